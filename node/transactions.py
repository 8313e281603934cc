"""Raw Ethereum transactions: decode, recover the sender, and the rejection error.

Accepted: legacy transactions signed with an EIP-155 chain id (pre-155
signatures, v = 27/28, are refused: they replay on any chain), EIP-2930
(type 1) and EIP-1559 (type 2) typed envelopes -- exactly what
eth-account's ``sign_transaction(...).raw_transaction`` produces. The hash
is keccak256 of the raw bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import rlp

from node.rpc_codes import INVALID_PARAMS
from primitives import secp256k1
from primitives.keccak import keccak256
from primitives.secp256k1 import SECP256K1_N

MAX_TX_BYTES = 128 * 1024  # geth's txMaxSize

# JSON-RPC error codes (geth/anvil style).
INVALID_INPUT = -32000  # nonce, funds, gas, fee problems
TX_REJECTED = -32003  # signature or chain-id problems

# Typed envelopes this chain knows of but does not accept, so the refusal can say what they are.
UNSUPPORTED_TYPES = {3: "EIP-4844 blob transaction", 4: "EIP-7702 set-code transaction"}


class TxRejected(Exception):
    """A transaction refused before execution; nothing changed. ``code`` is JSON-RPC's."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass
class Transaction:
    """A decoded, signature-checked transaction."""

    type: int
    chain_id: int
    nonce: int
    gas: int
    to: str | None
    value: int
    data: bytes
    v: int
    r: int
    s: int
    sender: str
    hash: bytes
    raw: bytes
    gas_price: int | None = None  # legacy and type 1
    max_fee_per_gas: int | None = None  # type 2
    max_priority_fee_per_gas: int | None = None  # type 2
    access_list: tuple[tuple[str, tuple[int, ...]], ...] = field(default_factory=tuple)
    block_number: int | None = None  # where it was mined; None while pending
    block_hash: bytes | None = None
    tx_index: int | None = None

    @property
    def fee_cap(self) -> int:
        """Most the sender pays per gas."""
        return self.max_fee_per_gas if self.type == 2 else self.gas_price  # type: ignore[return-value]

    @property
    def tip_cap(self) -> int:
        """Most the block producer gets per gas above the base fee."""
        return self.max_priority_fee_per_gas if self.type == 2 else self.gas_price  # type: ignore[return-value]

    def effective_gas_price(self, base_fee: int) -> int:
        """What the sender pays per gas in a block with ``base_fee`` (EIP-1559)."""
        if self.type == 2:
            # Type 2 transactions always carry both caps (set at decode).
            return min(cast(int, self.max_fee_per_gas), base_fee + cast(int, self.max_priority_fee_per_gas))
        return self.gas_price  # type: ignore[return-value]


def rlp_encode(item: bytes | int | list) -> bytes:
    """RLP of bytes, non-negative ints and nested lists (the few shapes the node hashes).

    A direct encoder: pyrlp's generic one infers a serializer per item and
    dominated the cost of a transfer.
    """
    if isinstance(item, int):
        item = item.to_bytes((item.bit_length() + 7) // 8, "big") if item else b""
    if isinstance(item, (bytes, bytearray)):
        if len(item) == 1 and item[0] < 0x80:
            return bytes(item)
        return _rlp_length(len(item), 0x80) + bytes(item)
    payload = b"".join(rlp_encode(x) for x in item)
    return _rlp_length(len(payload), 0xC0) + payload


def _rlp_length(n: int, offset: int) -> bytes:
    if n < 56:
        return bytes([offset + n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(raw)]) + raw


def checksum(raw20: bytes) -> str:
    """EIP-55 form of a 20-byte address (compiled keccak; eth_utils' is much slower)."""
    return secp256k1.checksum_hex(raw20)


def _int(b: Any, name: str) -> int:
    if not isinstance(b, bytes):
        raise TxRejected(INVALID_PARAMS, f"transaction field {name} must be a byte string")
    if len(b) > 32:
        raise TxRejected(INVALID_PARAMS, f"transaction field {name} is longer than 32 bytes")
    if b[:1] == b"\x00":
        raise TxRejected(INVALID_PARAMS, f"transaction field {name} has a leading zero byte")
    return int.from_bytes(b, "big")


def _to(b: Any) -> str | None:
    if not isinstance(b, bytes) or len(b) not in (0, 20):
        raise TxRejected(INVALID_PARAMS, "transaction field to must be empty or 20 bytes")
    return checksum(b) if b else None


def _bytes(b: Any, name: str) -> bytes:
    if not isinstance(b, bytes):
        raise TxRejected(INVALID_PARAMS, f"transaction field {name} must be a byte string")
    return b


def _access_list(items: Any) -> tuple[tuple[str, tuple[int, ...]], ...]:
    if not isinstance(items, list):
        raise TxRejected(INVALID_PARAMS, "access list must be a list")
    out = []
    for entry in items:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[1], list)):
            raise TxRejected(INVALID_PARAMS, "access list entry must be [address, [slots]]")
        address, slots = entry
        if not isinstance(address, bytes) or len(address) != 20:
            raise TxRejected(INVALID_PARAMS, "access list address must be 20 bytes")
        if any(not isinstance(k, bytes) or len(k) != 32 for k in slots):
            raise TxRejected(INVALID_PARAMS, "access list storage keys must be 32 bytes")
        out.append((checksum(address), tuple(int.from_bytes(k, "big") for k in slots)))
    return tuple(out)


def _recover(digest: bytes, y_parity: int, r: int, s: int) -> str:
    """The signer's checksummed address; high s, bad ranges and bad points rejected."""
    if not (0 < r < SECP256K1_N and 0 < s < SECP256K1_N):
        raise TxRejected(TX_REJECTED, "invalid signature: r or s out of range")
    if s > SECP256K1_N // 2:
        raise TxRejected(TX_REJECTED, "invalid signature: high s value (EIP-2)")
    if y_parity not in (0, 1):
        raise TxRejected(TX_REJECTED, f"invalid signature: y parity {y_parity}")
    try:
        return secp256k1.recover(digest, r.to_bytes(32, "big") + s.to_bytes(32, "big") + bytes([27 + y_parity]))
    except ValueError as exc:
        raise TxRejected(TX_REJECTED, f"invalid signature: {exc}") from None


def decode_raw_transaction(raw: bytes) -> Transaction:
    """Decode and signature-check a raw transaction; TxRejected naming the problem otherwise."""
    if not isinstance(raw, (bytes, bytearray)):
        raise TxRejected(INVALID_PARAMS, "raw transaction must be bytes")
    raw = bytes(raw)
    if not raw:
        raise TxRejected(INVALID_PARAMS, "empty raw transaction")
    if len(raw) > MAX_TX_BYTES:
        raise TxRejected(INVALID_INPUT, f"oversized transaction: {len(raw)} bytes > {MAX_TX_BYTES}")
    kind = raw[0]
    if kind >= 0xC0:
        return _decode_legacy(raw)
    if kind in (1, 2):
        return _decode_typed(kind, raw)
    if kind in UNSUPPORTED_TYPES:
        raise TxRejected(
            INVALID_PARAMS, f"unsupported transaction type 0x{kind:02x} ({UNSUPPORTED_TYPES[kind]}): use type 0, 1 or 2"
        )
    raise TxRejected(INVALID_PARAMS, f"unsupported transaction type 0x{kind:02x}: use type 0, 1 or 2")


def _rlp_declared_length(payload: bytes) -> int | None:
    """How many bytes the outer RLP item says it spans, or None if its header is cut short."""
    first = payload[0]
    if first < 0x80:
        return 1
    short, long_base = (0x80, 0xB7) if first < 0xC0 else (0xC0, 0xF7)
    if first <= long_base:
        return 1 + first - short
    size = first - long_base
    if len(payload) < 1 + size:
        return None
    return 1 + size + int.from_bytes(payload[1 : 1 + size], "big")


def _rlp_list(payload: bytes, n: int, what: str) -> list:
    if not payload:
        raise TxRejected(INVALID_PARAMS, f"undecodable RLP in {what}: truncated, no payload")
    declared = _rlp_declared_length(payload)
    if declared is None or declared > len(payload):
        raise TxRejected(
            INVALID_PARAMS,
            f"undecodable RLP in {what}: truncated, its header says {declared or 'more'} bytes, got {len(payload)}",
        )
    if declared < len(payload):
        raise TxRejected(
            INVALID_PARAMS, f"undecodable RLP in {what}: {len(payload) - declared} trailing bytes after it"
        )
    try:
        items = rlp.decode(payload, strict=True)
    except Exception as exc:
        raise TxRejected(INVALID_PARAMS, f"undecodable RLP in {what}: {exc}") from None
    if not isinstance(items, list) or len(items) != n:
        raise TxRejected(INVALID_PARAMS, f"{what} must be an RLP list of {n} items")
    return items


def _decode_legacy(raw: bytes) -> Transaction:
    items = _rlp_list(raw, 9, "legacy transaction")
    nonce, gas_price, gas = (_int(items[i], n) for i, n in enumerate(("nonce", "gasPrice", "gas")))
    to = _to(items[3])
    value, data = _int(items[4], "value"), _bytes(items[5], "data")
    v, r, s = _int(items[6], "v"), _int(items[7], "r"), _int(items[8], "s")
    if v in (27, 28):
        raise TxRejected(TX_REJECTED, "pre-EIP-155 transaction (no chain id in v) is not accepted")
    if v < 37:
        raise TxRejected(TX_REJECTED, f"invalid signature: v={v}")
    chain_id, parity = (v - 35) // 2, (v - 35) % 2
    digest = keccak256(rlp_encode(items[:6] + [chain_id, 0, 0]))
    sender = _recover(digest, parity, r, s)
    return Transaction(
        type=0, chain_id=chain_id, nonce=nonce, gas=gas, to=to, value=value, data=data,
        v=v, r=r, s=s, sender=sender, hash=keccak256(raw), raw=raw, gas_price=gas_price,
    )


def _decode_typed(kind: int, raw: bytes) -> Transaction:
    n = 11 if kind == 1 else 12
    items = _rlp_list(raw[1:], n, f"type-{kind} transaction")
    chain_id, nonce = _int(items[0], "chainId"), _int(items[1], "nonce")
    if kind == 1:
        gas_price = _int(items[2], "gasPrice")
        max_fee = max_tip = None
        rest = items[3:]
    else:
        gas_price = None
        max_tip = _int(items[2], "maxPriorityFeePerGas")
        max_fee = _int(items[3], "maxFeePerGas")
        rest = items[4:]
    gas, to = _int(rest[0], "gas"), _to(rest[1])
    value, data = _int(rest[2], "value"), _bytes(rest[3], "data")
    access_list = _access_list(rest[4])
    parity, r, s = _int(rest[5], "yParity"), _int(rest[6], "r"), _int(rest[7], "s")
    digest = keccak256(bytes([kind]) + rlp_encode(items[: n - 3]))
    sender = _recover(digest, parity, r, s)
    return Transaction(
        type=kind, chain_id=chain_id, nonce=nonce, gas=gas, to=to, value=value, data=data,
        v=parity, r=r, s=s, sender=sender, hash=keccak256(raw), raw=raw, gas_price=gas_price,
        max_fee_per_gas=max_fee, max_priority_fee_per_gas=max_tip, access_list=access_list,
    )


def tx_to_json(tx: Transaction) -> dict[str, Any]:
    """A JSON-ready record of a transaction (what the store keeps)."""
    return {
        "type": tx.type, "chain_id": tx.chain_id, "nonce": tx.nonce, "gas": tx.gas, "to": tx.to,
        "value": tx.value, "data": tx.data.hex(), "v": tx.v, "r": tx.r, "s": tx.s,
        "sender": tx.sender, "hash": tx.hash.hex(), "raw": tx.raw.hex(), "gas_price": tx.gas_price,
        "max_fee_per_gas": tx.max_fee_per_gas, "max_priority_fee_per_gas": tx.max_priority_fee_per_gas,
        "access_list": [[a, list(slots)] for a, slots in tx.access_list],
        "block_number": tx.block_number,
        "block_hash": tx.block_hash.hex() if tx.block_hash is not None else None,
        "tx_index": tx.tx_index,
    }


def tx_from_json(d: dict[str, Any]) -> Transaction:
    """Inverse of ``tx_to_json``."""
    return Transaction(
        type=d["type"], chain_id=d["chain_id"], nonce=d["nonce"], gas=d["gas"], to=d["to"],
        value=d["value"], data=bytes.fromhex(d["data"]), v=d["v"], r=d["r"], s=d["s"],
        sender=d["sender"], hash=bytes.fromhex(d["hash"]), raw=bytes.fromhex(d["raw"]),
        gas_price=d["gas_price"], max_fee_per_gas=d["max_fee_per_gas"],
        max_priority_fee_per_gas=d["max_priority_fee_per_gas"],
        access_list=tuple((a, tuple(slots)) for a, slots in d["access_list"]),
        block_number=d["block_number"],
        block_hash=bytes.fromhex(d["block_hash"]) if d["block_hash"] is not None else None,
        tx_index=d["tx_index"],
    )
