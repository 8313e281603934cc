"""A canonical JSON form of the peers' records: state changes in the log, messages to sign.

Dataclasses and named tuples of this package (and the rules' ``BalanceProof``,
``Lock`` and ``Reveal``) become ``{"_t": name, field: value, ...}``, bytes
``{"_b": hex}`` and tuples ``{"_l": [...]}``, so that decoding gives back
equal objects (tuples stay tuples, frozen dataclasses stay hashable).
Dumping sorts keys and drops spaces: the same object always gives the same
bytes.

:func:`pack` is the compact form a signature covers: each value is a tag
byte and, where it has a size, its length before its body (records give
their type's name and their fields in declared order), so every encoding
ends where it says and two different objects never pack to the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Callable
from typing import Any

from contracts_spec.channels.rules import BalanceProof, Lock, Reveal

_TYPES: dict[str, type] = {"BalanceProof": BalanceProof, "Lock": Lock, "Reveal": Reveal}


def register(cls: type) -> type:
    """Make ``cls`` (a dataclass or named tuple) known to :func:`decode` by its name (and give a frozen
    dataclass the quicker ``__init__`` of :func:`quick_init`)."""
    if _TYPES.setdefault(cls.__name__, cls) is not cls:
        raise ValueError(f"two record types are called {cls.__name__}")
    return quick_init(cls)


_NO_VALUE = object()


def quick_init(cls: type) -> type:
    """``cls``, a frozen dataclass, with an ``__init__`` that does what the generated one does (the same
    parameters and defaults, each field set in order) without a call to ``object.__setattr__`` per field: a
    peer builds several such records per payment. Any other class, or a dataclass with ``__post_init__``,
    fields left out of ``__init__``, keyword-only fields or slots, is left as it is."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or not params.init or "__slots__" in cls.__dict__:
        return cls
    if hasattr(cls, "__post_init__") or "__init__" not in cls.__dict__:
        return cls
    fields = dataclasses.fields(cls)  # (an InitVar would only reach a __post_init__)
    if any(not f.init or f.kw_only for f in fields):
        return cls
    env: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    args, body = [], []
    for i, f in enumerate(fields):
        if f.default is not dataclasses.MISSING:
            env[f"_default_{i}"] = f.default
            args.append(f"{f.name}=_default_{i}")
            body.append(f"    d[{f.name!r}] = {f.name}")
        elif f.default_factory is not dataclasses.MISSING:
            env[f"_factory_{i}"] = f.default_factory
            args.append(f"{f.name}=_NO_VALUE")
            body.append(f"    d[{f.name!r}] = _factory_{i}() if {f.name} is _NO_VALUE else {f.name}")
        else:
            args.append(f.name)
            body.append(f"    d[{f.name!r}] = {f.name}")
    source = f"def __init__(self, {', '.join(args)}):\n    d = self.__dict__\n" + "\n".join(body or ["    pass"]) + "\n"
    exec(source, env)  # noqa: S102 - built above from the dataclass's own field names
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__doc__ = cls.__dict__["__init__"].__doc__ if "__init__" in cls.__dict__ else None
    cls.__init__ = init  # type: ignore[misc]
    return cls


def to_plain(obj: Any) -> Any:
    """``obj`` as JSON-ready values (see the module doc)."""
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, bytes):
        return {"_b": obj.hex()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        out["_t"] = type(obj).__name__
        return out
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        out = {name: to_plain(getattr(obj, name)) for name in obj._fields}
        out["_t"] = type(obj).__name__
        return out
    if isinstance(obj, tuple):
        return {"_l": [to_plain(v) for v in obj]}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {"_d": [[to_plain(k), to_plain(v)] for k, v in obj.items()]}
    raise TypeError(f"cannot encode a {type(obj).__name__}")


def from_plain(value: Any) -> Any:
    """The object :func:`to_plain` made ``value`` from."""
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "_b" in value:
        return bytes.fromhex(value["_b"])
    if "_l" in value:
        return tuple(from_plain(v) for v in value["_l"])
    if "_d" in value:
        return {from_plain(k): from_plain(v) for k, v in value["_d"]}
    name = value.get("_t")
    cls = _TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown record type {name!r}")
    return cls(**{k: from_plain(v) for k, v in value.items() if k != "_t"})


_FIELDS: dict[type, tuple[bytes, tuple[str, ...]]] = {}


def _record_fields(cls: type) -> tuple[bytes, tuple[str, ...]]:
    found = _FIELDS.get(cls)
    if found is None:
        names = (tuple(f.name for f in dataclasses.fields(cls)) if dataclasses.is_dataclass(cls)
                 else tuple(cls._fields))  # type: ignore[attr-defined]
        name = cls.__name__.encode()
        found = _FIELDS[cls] = (b"R%d:%s%d:" % (len(name), name, len(names)), names)
    return found


def _pack_int(obj: int, out: list[bytes]) -> None:
    out.append(b"I%d;" % obj)


def _pack_bytes(obj: bytes, out: list[bytes]) -> None:
    out.append(b"B%d:" % len(obj))
    out.append(obj)


def _pack_str(obj: str, out: list[bytes]) -> None:
    raw = obj.encode()
    out.append(b"S%d:" % len(raw))
    out.append(raw)  # (record fields go through _packed_str: the same bytes, in one piece)


def _pack_none(obj: None, out: list[bytes]) -> None:
    out.append(b"N")


def _pack_bool(obj: bool, out: list[bytes]) -> None:
    out.append(b"T" if obj else b"F")


def _pack_sequence(obj: tuple | list, out: list[bytes]) -> None:
    out.append(b"%s%d:" % (b"L" if isinstance(obj, tuple) else b"A", len(obj)))
    for value in obj:
        _pack(value, out)


def _pack_dict(obj: dict, out: list[bytes]) -> None:
    out.append(b"D%d:" % len(obj))
    for key, value in obj.items():
        _pack(key, out)
        _pack(value, out)


_PACKERS: dict[type, Callable[[Any, list[bytes]], None]] = {
    int: _pack_int, bytes: _pack_bytes, str: _pack_str, type(None): _pack_none, bool: _pack_bool,
    tuple: _pack_sequence, list: _pack_sequence, dict: _pack_dict}


# Packed strings seen often (addresses, the adjudicator), so each is encoded once: text -> its packed bytes.
_PACKED_STRINGS: dict[str, bytes] = {}
_PACKED_STRINGS_MAX = 4096
_CANONICAL = "_l2lab_canonical"  # where ``channels.messages.canonical`` keeps a message's packed bytes


def _packed_str(obj: str) -> bytes:
    found = _PACKED_STRINGS.get(obj)
    if found is None:
        raw = obj.encode()
        found = b"S%d:%s" % (len(raw), raw)
        if len(raw) <= 64:
            if len(_PACKED_STRINGS) >= _PACKED_STRINGS_MAX:
                _PACKED_STRINGS.clear()
            _PACKED_STRINGS[obj] = found
    return found


def _record_packer(cls: type) -> Callable[[Any, list[bytes]], None]:
    """The packer of one record type: its head, then each field by its value's own packer (ints, strings and
    bytes inline: what :func:`_pack_int`, :func:`_pack_str` and :func:`_pack_bytes` write)."""
    head, names = _record_fields(cls)
    getter: Callable[[Any], tuple] = (operator.attrgetter(*names) if len(names) > 1
                                      else (lambda obj: tuple(getattr(obj, n) for n in names)))
    packers = _PACKERS
    strings = _PACKED_STRINGS
    append = list.append

    def pack_record(obj: Any, out: list[bytes]) -> None:
        known = getattr(obj, _CANONICAL, None)
        if known is not None:  # a message whose packed bytes are kept on it
            append(out, known[1])
            return
        append(out, head)
        for value in getter(obj):
            kind = type(value)
            if kind is int:
                append(out, b"I%d;" % value)
            elif kind is str:
                packed = strings.get(value)
                append(out, packed if packed is not None else _packed_str(value))
            elif kind is bytes:
                append(out, b"B%d:" % len(value))
                append(out, value)
            else:
                packer = packers.get(kind)
                if packer is None:
                    _pack(value, out)
                else:
                    packer(value, out)
    return pack_record


def _pack(obj: Any, out: list[bytes]) -> None:
    kind = type(obj)
    packer = _PACKERS.get(kind)
    if packer is None:
        if dataclasses.is_dataclass(obj) or (isinstance(obj, tuple) and hasattr(obj, "_fields")):
            packer = _PACKERS[kind] = _record_packer(kind)
        elif isinstance(obj, tuple | list):
            packer = _pack_sequence
        elif isinstance(obj, dict):
            packer = _pack_dict
        else:
            raise TypeError(f"cannot encode a {type(obj).__name__}")
    packer(obj, out)


def pack(obj: Any) -> bytes:
    """The compact canonical bytes of ``obj`` (see the module doc): what a peer's message signature covers."""
    out: list[bytes] = []
    _pack(obj, out)
    return b"".join(out)


class _Reader:
    """Reads back what :func:`pack` wrote; any malformed input is a ValueError naming where."""

    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def fail(self, what: str) -> ValueError:
        return ValueError(f"packed record malformed at byte {self.at}: {what}")

    def number(self, end: bytes) -> int:
        stop = self.data.find(end, self.at, self.at + 80)
        if stop < 0:
            raise self.fail("a number does not end")
        text = self.data[self.at:stop]
        if not text or not (text.isdigit() or (text[:1] == b"-" and text[1:].isdigit())):
            raise self.fail(f"not a number: {text[:20]!r}")
        self.at = stop + 1
        return int(text)

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise self.fail(f"{size} bytes announced, {len(self.data) - self.at} left")
        chunk = self.data[self.at:self.at + size]
        self.at += size
        return chunk

    def value(self, depth: int = 0) -> Any:
        if depth > 32:
            raise self.fail("nested too deep")
        if self.at >= len(self.data):
            raise self.fail("the record ends early")
        tag = self.data[self.at:self.at + 1]
        self.at += 1
        if tag == b"I":
            return self.number(b";")
        if tag == b"B":
            return self.take(self.number(b":"))
        if tag == b"S":
            try:
                return self.take(self.number(b":")).decode()
            except UnicodeDecodeError as exc:
                raise self.fail("a string is not UTF-8") from exc
        if tag == b"N":
            return None
        if tag in (b"T", b"F"):
            return tag == b"T"
        if tag in (b"L", b"A"):
            items = [self.value(depth + 1) for _ in range(self.number(b":"))]
            return tuple(items) if tag == b"L" else items
        if tag == b"D":
            return {self.value(depth + 1): self.value(depth + 1) for _ in range(self.number(b":"))}
        if tag == b"R":
            name = self.take(self.number(b":")).decode("ascii", "replace")
            cls = _TYPES.get(name)
            if cls is None:
                raise self.fail(f"unknown record type {name!r}")
            count = self.number(b":")
            names = _record_fields(cls)[1]
            if count != len(names):
                raise self.fail(f"{name} has {len(names)} fields, the record gives {count}")
            return cls(*[self.value(depth + 1) for _ in names])
        raise self.fail(f"unknown tag {tag!r}")


def unpack(data: bytes) -> Any:
    """The object :func:`pack` made ``data`` from; ValueError for anything else."""
    reader = _Reader(bytes(data))
    value = reader.value()
    if reader.at != len(reader.data):
        raise reader.fail("bytes left after the record")
    return value


def dumps(obj: Any) -> bytes:
    """Canonical bytes of ``obj``."""
    return json.dumps(to_plain(obj), sort_keys=True, separators=(",", ":")).encode()


def loads(data: bytes | str) -> Any:
    return from_plain(json.loads(data))
