"""Byte layouts: the batch pubdata posted on L1, the commit call's data, and the proof's public inputs.

Pubdata (big-endian fields; ``I = ceil(depth_bits / 8)`` bytes per account index)

    offset 0            1 byte   n: queued deposits this batch processes (0..deposit_slots)
    then per transfer slot, 2I + 5 bytes:
                        I bytes  sender index
                        I bytes  recipient index
                        5 bytes  amount, float40 (exponent << 35 | mantissa)
    then per withdrawal slot, I + 36 bytes:
                        I bytes  sender index
                        16 bytes amount in wei
                        20 bytes L1 recipient address

    then per priority slot, 16 bytes: the wei a full exit in that slot paid
                        out (0 for a deposit or an unused slot)

    A slot whose sender is 0 is padding and must be all zeros. At depth 24 a
    transfer is 11 bytes (Hermez: 14 at depth 32; zkSync Lite: 20; Loopring: 22).

Priority operations (deposits and full exits) carry no other pubdata: L1
already holds them. It keeps a running Poseidon chain over the queue,
``chain[k+1] = poseidon([chain[k], kind << 128 | index << 96 | amount, ax, ay])``
with ``chain[0] = 0`` (kind 0: deposit; kind 1: full exit, with amount and
key 0), and a batch that processes operations ``k .. k+n-1`` proves it
applied exactly those by its chain values. Only a full exit's amount, which
the L2 state decides, is posted.

Binding the proof to what L1 saw: six public inputs
    ``[old_root, new_root, chain[k], chain[k+n], domain, sha256(pubdata) >> 3]``.
L1 hashes the pubdata with the SHA-256 precompile (60 + 12 gas per word);
the circuit hashes the same bytes with its SHA-256 gadget (about 420
constraints per byte) and keeps the digest's top 253 bits, which are below
the field modulus. Each public input costs one scalar multiplication and one
addition on L1 (6,150 gas); changing one byte of pubdata, a root or a chain
value changes an input, and the pairing check fails.

Commit call data (``commit_and_verify(bytes)``)

    offset 0    1 byte    VERSION
    offset 1    32 bytes  new state root
    offset 33   256 bytes proof: A.x, A.y, B.x.imag, B.x.real, B.y.imag, B.y.real, C.x, C.y
                          (32-byte big-endian words, the order EIP-197 takes G2 points in)
    offset 289  pubdata
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from contracts_spec.zk import float40
from contracts_spec.zk.params import DEPOSIT_BITS, ZkPreset
from primitives.snark.field import R
from primitives.snark.groth16_types import Proof
from primitives.snark.poseidon import poseidon

VERSION = 1
PROOF_BYTES = 256
COMMIT_HEADER = 1 + 32 + PROOF_BYTES
AMOUNT_BYTES = 16
ADDRESS_BYTES = 20


class PubdataError(ValueError):
    """Batch bytes that do not follow the layout; the message names the field."""


def transfer_slot_bytes(preset: ZkPreset) -> int:
    return 2 * preset.index_bytes + float40.PACKED_BYTES


def withdraw_slot_bytes(preset: ZkPreset) -> int:
    return preset.index_bytes + AMOUNT_BYTES + ADDRESS_BYTES


def pubdata_length(preset: ZkPreset) -> int:
    return (1 + preset.transfer_slots * transfer_slot_bytes(preset) + preset.withdraw_slots * withdraw_slot_bytes(preset)
            + preset.deposit_slots * AMOUNT_BYTES)


@dataclass(frozen=True)
class PostedTransfer:
    sender: int
    recipient: int
    amount40: int


@dataclass(frozen=True)
class PostedWithdraw:
    sender: int
    amount: int
    recipient: int  # the L1 address as an integer


@dataclass(frozen=True)
class Pubdata:
    n_deposits: int
    transfers: tuple[PostedTransfer, ...]
    withdrawals: tuple[PostedWithdraw, ...]
    exits: tuple[int, ...] = ()  # per processed priority operation (decode gives all n): a full exit's payout, 0 for a deposit


def encode(preset: ZkPreset, data: Pubdata) -> bytes:
    """The pubdata bytes; slots beyond those given are padding."""
    i = preset.index_bytes
    if not 0 <= data.n_deposits <= preset.deposit_slots:
        raise PubdataError(f"{data.n_deposits} deposits: a batch processes 0..{preset.deposit_slots}")
    if len(data.transfers) > preset.transfer_slots or len(data.withdrawals) > preset.withdraw_slots:
        raise PubdataError(f"{len(data.transfers)} transfers and {len(data.withdrawals)} withdrawals: the batch has "
                           f"{preset.transfer_slots} and {preset.withdraw_slots} slots")
    out = bytearray([data.n_deposits])
    for t in data.transfers:
        out += t.sender.to_bytes(i, "big") + t.recipient.to_bytes(i, "big") + t.amount40.to_bytes(5, "big")
    out += bytes(transfer_slot_bytes(preset) * (preset.transfer_slots - len(data.transfers)))
    for w in data.withdrawals:
        out += w.sender.to_bytes(i, "big") + w.amount.to_bytes(AMOUNT_BYTES, "big") + w.recipient.to_bytes(20, "big")
    out += bytes(withdraw_slot_bytes(preset) * (preset.withdraw_slots - len(data.withdrawals)))
    if len(data.exits) > data.n_deposits:
        raise PubdataError(f"{len(data.exits)} exit amounts for {data.n_deposits} priority operations")
    for amount in data.exits:
        out += amount.to_bytes(AMOUNT_BYTES, "big")
    out += bytes(AMOUNT_BYTES * (preset.deposit_slots - len(data.exits)))
    return bytes(out)


def decode(preset: ZkPreset, raw: bytes) -> Pubdata:
    """Strictly parse pubdata: exact length, indices in range, padding all zeros, deposit count in range."""
    want = pubdata_length(preset)
    if len(raw) != want:
        raise PubdataError(f"pubdata is {len(raw)} bytes; preset {preset.name} takes exactly {want}")
    i, cap = preset.index_bytes, preset.capacity
    n = raw[0]
    if n > preset.deposit_slots:
        raise PubdataError(f"pubdata processes {n} deposits; a batch has {preset.deposit_slots} deposit slots")
    transfers, withdrawals = [], []
    pos = 1
    ts, ws = transfer_slot_bytes(preset), withdraw_slot_bytes(preset)
    for k in range(preset.transfer_slots):
        slot = raw[pos:pos + ts]
        pos += ts
        sender, recipient = int.from_bytes(slot[:i], "big"), int.from_bytes(slot[i:2 * i], "big")
        amount40 = int.from_bytes(slot[2 * i:], "big")
        if sender >= cap or recipient >= cap:
            raise PubdataError(f"transfer slot {k}: account index out of range for depth {preset.depth_bits}")
        if sender == 0:
            if any(slot):
                raise PubdataError(f"transfer slot {k} has sender 0 (padding) but is not all zeros")
            continue
        transfers.append(PostedTransfer(sender, recipient, amount40))
    for k in range(preset.withdraw_slots):
        slot = raw[pos:pos + ws]
        pos += ws
        sender = int.from_bytes(slot[:i], "big")
        amount = int.from_bytes(slot[i:i + AMOUNT_BYTES], "big")
        recipient = int.from_bytes(slot[i + AMOUNT_BYTES:], "big")
        if sender >= cap:
            raise PubdataError(f"withdrawal slot {k}: account index out of range for depth {preset.depth_bits}")
        if sender == 0:
            if any(slot):
                raise PubdataError(f"withdrawal slot {k} has sender 0 (padding) but is not all zeros")
            continue
        withdrawals.append(PostedWithdraw(sender, amount, recipient))
    exits = []
    for k in range(preset.deposit_slots):
        amount = int.from_bytes(raw[pos:pos + AMOUNT_BYTES], "big")
        pos += AMOUNT_BYTES
        if k >= n and amount:
            raise PubdataError(f"priority slot {k} is unused but pays out {amount} wei")
        if k < n:
            exits.append(amount)
    return Pubdata(n, tuple(transfers), tuple(withdrawals), tuple(exits))


def pubdata_hash(raw: bytes, sha256: Callable[[bytes], bytes] | None = None) -> int:
    """``sha256(pubdata) >> 3``: a 253-bit field element (L1 passes its metered precompile)."""
    digest = sha256(raw) if sha256 is not None else hashlib.sha256(raw).digest()
    return int.from_bytes(digest, "big") >> 3


KIND_DEPOSIT, KIND_EXIT = 0, 1
KIND_SHIFT = 128


def deposit_word(index: int, amount: int, kind: int = KIND_DEPOSIT) -> int:
    return kind << KIND_SHIFT | index << DEPOSIT_BITS | amount


def next_chain(chain: int, index: int, amount: int, ax: int, ay: int,
               hasher: Callable[[list[int]], int] = poseidon, kind: int = KIND_DEPOSIT) -> int:
    """The priority chain after one more queued operation (a deposit, or a full exit with amount and key 0)."""
    return hasher([chain, deposit_word(index, amount, kind), ax, ay])


def public_inputs(old_root: int, new_root: int, chain_start: int, chain_end: int, domain: int,
                  pubdata_digest: int) -> list[int]:
    return [old_root, new_root, chain_start, chain_end, domain, pubdata_digest]


def _word(v: int) -> bytes:
    return v.to_bytes(32, "big")


def proof_bytes(proof: Proof) -> bytes:
    (ax, ay), ((bx0, bx1), (by0, by1)), (cx, cy) = proof.a, proof.b, proof.c
    return b"".join(_word(v) for v in (ax, ay, bx1, bx0, by1, by0, cx, cy))


def proof_words(raw: bytes) -> tuple[tuple[int, int], tuple[tuple[int, int], tuple[int, int]], tuple[int, int]]:
    """A proof's points from its 256 bytes, G2 in EIP-197 order ((x.imag, x.real), (y.imag, y.real))."""
    if len(raw) != PROOF_BYTES:
        raise PubdataError(f"a proof is {PROOF_BYTES} bytes, got {len(raw)}")
    w = [int.from_bytes(raw[k:k + 32], "big") for k in range(0, PROOF_BYTES, 32)]
    return (w[0], w[1]), ((w[2], w[3]), (w[4], w[5])), (w[6], w[7])


def proof_from_bytes(raw: bytes) -> Proof:
    a, ((bxi, bxr), (byi, byr)), c = proof_words(raw)
    return Proof(a, ((bxr, bxi), (byr, byi)), c)


def encode_commit(new_root: int, proof: Proof | bytes, pubdata: bytes) -> bytes:
    if not 0 <= new_root < R:
        raise PubdataError("new root is not a field element")
    raw = proof if isinstance(proof, bytes | bytearray) else proof_bytes(proof)
    return bytes([VERSION]) + _word(new_root) + bytes(raw) + pubdata


def decode_commit(data: bytes) -> tuple[int, bytes, bytes]:
    """``(new_root, proof bytes, pubdata)`` of a commit call's data."""
    if len(data) < COMMIT_HEADER:
        raise PubdataError(f"commit data of {len(data)} bytes is shorter than its {COMMIT_HEADER}-byte header")
    if data[0] != VERSION:
        raise PubdataError(f"commit version {data[0]}: this rollup takes version {VERSION}")
    new_root = int.from_bytes(data[1:33], "big")
    if new_root >= R:
        raise PubdataError("new root is not a field element (>= the BN254 scalar modulus)")
    return new_root, data[33:COMMIT_HEADER], data[COMMIT_HEADER:]


def pack_slots(preset: ZkPreset, transfers: Sequence[PostedTransfer], withdrawals: Sequence[PostedWithdraw],
               n_deposits: int) -> bytes:
    return encode(preset, Pubdata(n_deposits, tuple(transfers), tuple(withdrawals)))
