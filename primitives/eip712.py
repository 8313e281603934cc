"""EIP-712 typed structured data hashing: what a wallet shows, exactly what gets signed.

``hash_struct`` and ``typed_data_digest`` follow the EIP's definitions line by
line (encodeType with sorted dependencies, encodeData, hashStruct) and re-read
the type table on every call. ``StructHasher`` resolves the table once into a
list of field encoders, for an operator hashing thousands of transfers a second.
Both share the atomic encoders below, so a value is valid in one exactly when it
is valid in the other. ``full_message`` is the same data as the JSON document
that wallets and ``eth_account.Account.sign_typed_data`` accept.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from primitives.keccak import keccak256
from primitives.secp256k1 import to_checksum_address

# A type table maps a struct name to its ordered fields, each (name, type); the
# JSON form [{"name": ..., "type": ...}, ...] is accepted too.
Fields = Sequence[tuple[str, str]] | Sequence[Mapping[str, str]]
Types = Mapping[str, Fields]

_ARRAY = re.compile(r"^(.+)\[(\d*)\]$")
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_DOMAIN_TYPE = "EIP712Domain"
_DOMAIN_FIELDS = (  # the EIP's order; only the members a domain sets take part
    ("name", "string", "name"),
    ("version", "string", "version"),
    ("chainId", "uint256", "chain_id"),
    ("verifyingContract", "address", "verifying_contract"),
    ("salt", "bytes32", "salt"),
)


@dataclass(frozen=True)
class Domain:
    """The EIP-712 domain: who the signature is for, so it cannot be replayed elsewhere."""

    name: str | None = None
    version: str | None = None
    chain_id: int | None = None
    verifying_contract: str | None = None
    salt: bytes | None = None

    def fields(self) -> list[tuple[str, str]]:
        """The EIP712Domain struct type: the members this domain sets, in the EIP's order."""
        return [(key, typ) for key, typ, attr in _DOMAIN_FIELDS if getattr(self, attr) is not None]

    def as_message(self) -> dict[str, Any]:
        """The domain as an EIP712Domain message, JSON-able (address checksummed, salt hex)."""
        out: dict[str, Any] = {}
        for key, _typ, attr in _DOMAIN_FIELDS:
            value = getattr(self, attr)
            if value is None:
                continue
            if attr == "verifying_contract":
                value = to_checksum_address(value)
            elif attr == "salt":
                value = "0x" + _fixed_bytes(value, 32, "salt").hex()
            out[key] = value
        return out


# --- atomic values ---------------------------------------------------------------------

def _as_bytes(value: object, what: str) -> bytes:
    """bytes from bytes-like or ``0x`` hex text, as JSON carries it."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            raise ValueError(f"{what}: {value!r} is not valid hex") from None
    raise ValueError(f"{what}: expected bytes or 0x-hex, got {type(value).__name__}")


def _fixed_bytes(value: object, size: int, what: str) -> bytes:
    data = _as_bytes(value, what)
    if len(data) != size:
        raise ValueError(f"{what}: bytes{size} needs exactly {size} bytes, got {len(data)}")
    return data


def _int_encoder(bits: int, signed: bool) -> Callable[[object, str], bytes]:
    low, high = (-(1 << (bits - 1)), 1 << (bits - 1)) if signed else (0, 1 << bits)
    name = f"{'int' if signed else 'uint'}{bits}"

    def encode(value: object, what: str) -> bytes:
        if type(value) is not int:  # bool is an int subclass, and a confusing one here
            raise ValueError(f"{what}: {name} needs an int, got {type(value).__name__}")
        if not low <= value < high:
            raise ValueError(f"{what}: {value} is out of range for {name}")
        return (value % (1 << 256)).to_bytes(32, "big")

    return encode


@functools.lru_cache(maxsize=1 << 16)
def _address_word(address: str) -> bytes:
    """The word of an address string; cached, as an operator sees the same accounts again."""
    return bytes(12) + bytes.fromhex(to_checksum_address(address)[2:])


def _encode_address(value: object, what: str) -> bytes:
    try:
        if isinstance(value, str):
            return _address_word(value)
        return bytes(12) + bytes.fromhex(to_checksum_address(value)[2:])  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{what}: {exc}") from None


def _encode_bool(value: object, what: str) -> bytes:
    if not isinstance(value, bool):
        raise ValueError(f"{what}: bool needs True or False, got {value!r}")
    return bytes(31) + bytes([value])


def _bytes_n_encoder(size: int) -> Callable[[object, str], bytes]:
    def encode(value: object, what: str) -> bytes:
        return _fixed_bytes(value, size, what).ljust(32, b"\x00")

    return encode


def _encode_dynamic_bytes(value: object, what: str) -> bytes:
    return keccak256(_as_bytes(value, what))


def _encode_string(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise ValueError(f"{what}: string needs a str, got {type(value).__name__}")
    return keccak256(value.encode("utf-8"))


def _build_atomic() -> dict[str, Callable[[object, str], bytes]]:
    table: dict[str, Callable[[object, str], bytes]] = {
        "address": _encode_address, "bool": _encode_bool,
        "bytes": _encode_dynamic_bytes, "string": _encode_string,
    }
    for bits in range(8, 257, 8):
        table[f"uint{bits}"] = _int_encoder(bits, signed=False)
        table[f"int{bits}"] = _int_encoder(bits, signed=True)
    for size in range(1, 33):
        table[f"bytes{size}"] = _bytes_n_encoder(size)
    return table


# Every non-struct type, mapped to the function giving its 32-byte encodeData word.
ATOMIC_ENCODERS = _build_atomic()


# --- the type table --------------------------------------------------------------------

def _normalise(types: Types) -> dict[str, list[tuple[str, str]]]:
    """Check a type table and bring it to {struct: [(field, type), ...]}."""
    if not isinstance(types, Mapping):
        raise ValueError("types must map struct names to field lists")
    table: dict[str, list[tuple[str, str]]] = {}
    for struct, fields in types.items():
        if not isinstance(struct, str) or not _IDENT.match(struct):
            raise ValueError(f"struct name {struct!r} is not an identifier")
        if struct in ATOMIC_ENCODERS:
            raise ValueError(f"struct name {struct!r} collides with an atomic type")
        pairs = []
        for field in fields:
            name, typ = (field["name"], field["type"]) if isinstance(field, Mapping) else field
            if not isinstance(name, str) or not _IDENT.match(name):
                raise ValueError(f"{struct}: field name {name!r} is not an identifier")
            pairs.append((name, typ))
        if len({n for n, _ in pairs}) != len(pairs):
            raise ValueError(f"{struct}: field names repeat")
        table[struct] = pairs
    for struct, pairs in table.items():
        for name, typ in pairs:
            base = _base_type(typ)
            if base not in ATOMIC_ENCODERS and base not in table:
                raise ValueError(f"{struct}.{name}: unknown type {typ!r}")
    return table


def _base_type(typ: str) -> str:
    """The element type under any array suffixes: ``Mail[][2]`` -> ``Mail``."""
    while (m := _ARRAY.match(typ)) is not None:
        typ = m.group(1)
    return typ


def _dependencies(table: dict[str, list[tuple[str, str]]], primary: str) -> list[str]:
    """Struct types reachable from ``primary`` (itself first), the rest sorted by name."""
    seen: set[str] = set()
    stack = [primary]
    while stack:
        struct = stack.pop()
        if struct in seen:
            continue
        seen.add(struct)
        stack.extend(b for _, t in table[struct] if (b := _base_type(t)) in table)
    return [primary] + sorted(seen - {primary})


def encode_type(types: Types, primary_type: str) -> str:
    """encodeType: ``Primary(type name,...)`` followed by each dependency, sorted by name."""
    table = _normalise(types)
    _require_struct(table, primary_type)
    return _encode_type(table, primary_type)


def _encode_type(table: dict[str, list[tuple[str, str]]], primary: str) -> str:
    return "".join(
        f"{s}({','.join(f'{t} {n}' for n, t in table[s])})" for s in _dependencies(table, primary)
    )


def _require_struct(table: Mapping[str, object], primary: str) -> None:
    if primary not in table:
        raise ValueError(f"primary type {primary!r} is not defined in types")


# --- the generic path, as the EIP writes it ---------------------------------------------

def _encode_value(table: dict[str, list[tuple[str, str]]], typ: str, value: object, what: str) -> bytes:
    """The 32-byte encodeData word of one value of any type."""
    if (m := _ARRAY.match(typ)) is not None:
        element, length = m.group(1), m.group(2)
        if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
            raise ValueError(f"{what}: {typ} needs a list")
        if length and len(value) != int(length):
            raise ValueError(f"{what}: {typ} needs {length} items, got {len(value)}")
        return keccak256(b"".join(
            _encode_value(table, element, item, f"{what}[{i}]") for i, item in enumerate(value)
        ))
    if typ in table:
        return _hash_struct(table, typ, value, what)
    return ATOMIC_ENCODERS[typ](value, what)


def _hash_struct(table: dict[str, list[tuple[str, str]]], struct: str, message: object,
                 what: str) -> bytes:
    fields = table[struct]
    _check_keys(message, fields, what)
    type_hash = keccak256(_encode_type(table, struct).encode())
    assert isinstance(message, Mapping)
    return keccak256(type_hash + b"".join(
        _encode_value(table, t, message[n], f"{what}.{n}") for n, t in fields
    ))


def _check_keys(message: object, fields: Sequence[tuple[str, str]], what: str) -> None:
    if not isinstance(message, Mapping):
        raise ValueError(f"{what}: a struct value must be a mapping, got {type(message).__name__}")
    names = [n for n, _ in fields]
    missing = [n for n in names if n not in message]
    extra = [k for k in message if k not in names]
    if missing:
        raise ValueError(f"{what}: missing field(s) {', '.join(missing)}")
    if extra:
        raise ValueError(f"{what}: unexpected field(s) {', '.join(map(str, extra))}")


def hash_struct(types: Types, primary_type: str, message: Mapping[str, Any]) -> bytes:
    """hashStruct(message) = keccak256(typeHash ‖ encodeData(message))."""
    table = _normalise(types)
    _require_struct(table, primary_type)
    return _hash_struct(table, primary_type, message, primary_type)


def domain_separator(domain: Domain) -> bytes:
    """hashStruct of the domain as an EIP712Domain struct."""
    if not isinstance(domain, Domain):
        raise ValueError(f"domain must be a Domain, got {type(domain).__name__}")
    return hash_struct({_DOMAIN_TYPE: domain.fields()}, _DOMAIN_TYPE, domain.as_message())


def _check_user_types(types: Types) -> None:
    if _DOMAIN_TYPE in types:
        raise ValueError(f"{_DOMAIN_TYPE} is derived from the Domain; leave it out of types")


def typed_data_digest(domain: Domain, types: Types, primary_type: str,
                      message: Mapping[str, Any]) -> bytes:
    """The 32 bytes signed: keccak256(0x19 0x01 ‖ domainSeparator ‖ hashStruct(message))."""
    _check_user_types(types)
    return keccak256(b"\x19\x01" + domain_separator(domain)
                     + hash_struct(types, primary_type, message))


def _jsonable(table: dict[str, list[tuple[str, str]]], typ: str, value: Any) -> Any:
    """A value as JSON carries it: bytes as 0x-hex, addresses checksummed, ints as ints."""
    if (m := _ARRAY.match(typ)) is not None:
        return [_jsonable(table, m.group(1), item) for item in value]
    if typ in table:
        return {n: _jsonable(table, t, value[n]) for n, t in table[typ]}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "0x" + bytes(value).hex()
    if typ == "address":
        return to_checksum_address(value)
    return value


def full_message(domain: Domain, types: Types, primary_type: str,
                 message: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON document wallets sign (``eth_signTypedData_v4``), EIP712Domain included.

    The message is hashed first, so a document is only produced for data that
    is valid and that hashes to ``typed_data_digest``.
    """
    typed_data_digest(domain, types, primary_type, message)
    table = _normalise(types)
    return {
        "types": {
            _DOMAIN_TYPE: [{"name": n, "type": t} for n, t in domain.fields()],
            # Only the types the primary one uses: wallets derive primaryType as the
            # one type no other references, so unrelated entries would confuse them.
            **{s: [{"name": n, "type": t} for n, t in table[s]]
               for s in _dependencies(table, primary_type)},
        },
        "primaryType": primary_type,
        "domain": domain.as_message(),
        "message": _jsonable(table, primary_type, message),
    }


# --- the fast path ---------------------------------------------------------------------

Encoder = Callable[[object, str], bytes]


class StructHasher:
    """hashStruct and the signing digest for one struct type, with the type table resolved once.

    The type hash and one encoder per field are computed at construction; a
    message then costs its field encodings and two keccaks.
    """

    def __init__(self, types: Types, primary_type: str) -> None:
        _check_user_types(types)
        table = _normalise(types)
        _require_struct(table, primary_type)
        self._setup(table, {}, primary_type)

    def _setup(self, table: dict[str, list[tuple[str, str]]],
               hashers: dict[str, StructHasher], struct: str) -> None:
        """Resolve ``struct``; nested structs share ``hashers``, so each is resolved once."""
        self.primary_type = struct
        self.type_string = _encode_type(table, struct)
        self.type_hash = keccak256(self.type_string.encode())
        self._table = table
        self._hashers = hashers
        hashers[struct] = self  # registered before its fields, so recursive types terminate
        self._names = frozenset(n for n, _ in table[struct])
        self._fields: list[tuple[str, Encoder]] = [(n, self._encoder(t)) for n, t in table[struct]]

    def _encoder(self, typ: str) -> Encoder:
        """The function giving the 32-byte word of a value of ``typ``."""
        if (m := _ARRAY.match(typ)) is not None:
            return self._array_encoder(typ, self._encoder(m.group(1)), m.group(2))
        if typ in self._table:
            nested = self._hashers.get(typ)
            if nested is None:
                nested = StructHasher.__new__(StructHasher)
                nested._setup(self._table, self._hashers, typ)
            return nested._hash_as_field
        return ATOMIC_ENCODERS[typ]

    @staticmethod
    def _array_encoder(typ: str, element: Encoder, length: str) -> Encoder:
        size = int(length) if length else None

        def encode(value: object, what: str) -> bytes:
            if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
                raise ValueError(f"{what}: {typ} needs a list")
            if size is not None and len(value) != size:
                raise ValueError(f"{what}: {typ} needs {size} items, got {len(value)}")
            return keccak256(b"".join(element(item, f"{what}[{i}]") for i, item in enumerate(value)))

        return encode

    def _hash_as_field(self, message: object, what: str) -> bytes:
        if not isinstance(message, Mapping) or message.keys() != self._names:
            _check_keys(message, self._table[self.primary_type], what)
        assert isinstance(message, Mapping)
        return keccak256(self.type_hash + b"".join(
            [encode(message[name], what + "." + name) for name, encode in self._fields]
        ))

    def hash_struct(self, message: Mapping[str, Any]) -> bytes:
        """hashStruct(message), equal to the generic ``hash_struct``."""
        return self._hash_as_field(message, self.primary_type)

    def digest(self, separator: bytes, message: Mapping[str, Any]) -> bytes:
        """The signing digest under a precomputed ``domain_separator``."""
        if not isinstance(separator, bytes) or len(separator) != 32:
            raise ValueError("domain separator must be 32 bytes")
        return keccak256(b"\x19\x01" + separator + self._hash_as_field(message, self.primary_type))


__all__ = [
    "ATOMIC_ENCODERS",
    "Domain",
    "StructHasher",
    "domain_separator",
    "encode_type",
    "full_message",
    "hash_struct",
    "typed_data_digest",
]
