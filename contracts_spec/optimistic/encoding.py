"""Byte layouts of a batch, of the claim L1 commits to, and of a fraud proof's witnesses.

A batch is the bytes ``submit_batch`` carries in L1 calldata: everything
needed to rebuild L2 state from L1 alone. All integers are big-endian.

Header, 109 bytes::

    version                1   = 1, or 2 for a compact batch (below)
    prev_accounts_root    32   the accounts root and withdrawal chain the batch starts from:
    prev_withdrawal_chain 32   prev_root = keccak(prev_accounts_root || prev_withdrawal_chain)
    post_accounts_root    32   the accounts root after the last entry
    first_deposit          8   id of the first L1 deposit this batch includes (the queue's next one)
    entry_count            4

Entries follow, each a kind byte, its fields, and the intermediate state root
after it (what a fraud proof points at)::

    0 deposit    index 4 | address 20 | amount 16           | root 32   =  73 bytes
    1 transfer   from 4 | to 4        | amount 5 | nonce 4 | sig 65 | root 32 = 115 bytes
    2 withdraw   from 4 | recipient 20 | amount 5 | nonce 4 | sig 65 | root 32 = 131 bytes
    3 withdraw the claim says is skipped: the same fields as kind 2

Kinds 2 and 3 carry the same transaction; the kind is part of the claim: 2
says the withdrawal applies, 3 that derivation skips it as a no-op. From
them L1 computes, at submission, the batch's *claim roots*
(:func:`claim_roots`): the withdrawal chain after the batch (the previous one
extended with each kind-2 leaf), so ``post_root = keccak(post_accounts_root ||
chain)``, and the *withdrawal root*, the binary Merkle root (``primitives.merkle``)
of the kind-2 leaves, against which withdrawals are claimed once final. A
kind that lies makes ``post_root`` differ from derivation, so a fraud proof
catches it like any wrong root.

A *compact* batch (version 2, posted to the bisection-game contract) has the
same header and entries *without* their 32-byte roots: only the final
post_root is claimed, and a dispute bisects to find the first wrong step.

A transfer or withdrawal amount is packed into 5 bytes as a 35-bit mantissa
and a 5-bit decimal exponent, ``amount = mantissa * 10**exponent`` (the high
35 bits hold the mantissa); an amount that does not fit exactly cannot be
batched, so the operator refuses it at the door. Deposits keep their exact
16-byte amount because L1 checks them against its queue. Signatures are
``r || s || v``, 65 bytes.

Entries root: the leaf of entry ``i`` is ``keccak256(entry bytes)`` (its
post-state root included in a version-1 batch), and the batch's *entries root* is the binary
Merkle root (``primitives.merkle``) of those leaves. L1 computes it from the
calldata at submission, so a fraud proof need only carry one or two entries
and their inclusion proofs instead of the whole batch.

Data hash: ``keccak256(first_deposit[8] || entry_count[4] || tx bytes...)``
where each entry's tx bytes are its bytes without the root and with kind 3
read as 2: the transactions alone, the part of a batch that is final. A
claim re-proposed for a posted batch must carry the same data hash.

Claim header (what L1 commits to, 164 bytes; ``prove_fraud`` carries it)::

    prev_root 32 | post_root 32 | entries_root 32 | withdrawal_root 32 | data_hash 32 | entry_count 4

``body_hash = keccak256(prev_root || post_root || entries_root || entry_count)`` and the
batch commitment L1 stores is ``keccak256(body_hash || withdrawal_root || data_hash)``,
so a withdrawal claim brings just those three words.

Witnesses (``prove_fraud``'s last argument): the step's pre-state
``accounts_root 32 | withdrawal_chain 32``, a count byte, then per account
``index 4 | present 1 | [address 20 | balance 32 | nonce 8 if present] |
siblings depth*32`` in the order :class:`WitnessedState` checks them.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from contracts_spec.optimistic.rules import (
    Account,
    Deposit,
    Hasher,
    Transfer,
    Tx,
    Withdraw,
    next_withdrawal_chain,
    state_root,
    withdrawal_leaf,
)
from contracts_spec.optimistic.state import Witnesses
from primitives.keccak import keccak256, keccak256_many
from primitives.merkle import merkle_proof, merkle_root

VERSION = 1
VERSION_COMPACT = 2
HEADER_SIZE = 109
KIND_DEPOSIT, KIND_TRANSFER, KIND_WITHDRAW, KIND_SKIPPED_WITHDRAW = 0, 1, 2, 3
ENTRY_SIZE = {KIND_DEPOSIT: 73, KIND_TRANSFER: 115, KIND_WITHDRAW: 131, KIND_SKIPPED_WITHDRAW: 131}
MANTISSA_BITS = 35
EXPONENT_BITS = 5
_MAX_MANTISSA = (1 << MANTISSA_BITS) - 1
_POW10 = [10**e for e in range(1 << EXPONENT_BITS)]

_HEADER = struct.Struct(">B32s32s32sQI")
_DEPOSIT = struct.Struct(">BI20s16s32s")
_TRANSFER = struct.Struct(">BII5sI65s32s")
_WITHDRAW = struct.Struct(">BI20s5sI65s32s")
HEADER_COMMIT_SIZE = 164
ROOT_SIZE = 32


class BatchFormatError(ValueError):
    """Batch or witness bytes that do not follow the layout; the message says where."""


class Entry(NamedTuple):
    """One batch entry: a transaction and the state root after it."""

    tx: Tx
    root: bytes


class Batch(NamedTuple):
    """A decoded batch: the header's fields, its entries, and which withdrawals its claim skips."""

    prev_accounts_root: bytes
    prev_withdrawal_chain: bytes
    post_accounts_root: bytes
    first_deposit: int
    entries: list[Entry]
    version: int = VERSION
    # Steps holding a withdrawal the claim says derivation skips (kind 3).
    skipped: frozenset[int] = frozenset()

    @property
    def compact(self) -> bool:
        """True for a version-2 batch: no intermediate roots, ``Entry.root`` is empty."""
        return self.version == VERSION_COMPACT

    @property
    def deposit_count(self) -> int:
        return sum(1 for e in self.entries if isinstance(e.tx, Deposit))

    @property
    def prev_root(self) -> bytes:
        """The state root the batch starts from."""
        return state_root(self.prev_accounts_root, self.prev_withdrawal_chain)

    @property
    def post_root(self) -> bytes:
        """The state root the batch claims after its last entry."""
        return claim_roots(self).post_root

    @property
    def withdrawal_root(self) -> bytes:
        """The Merkle root of the withdrawals the batch claims apply."""
        return claim_roots(self).withdrawal_root

    def claimed_withdrawals(self) -> list[Withdraw]:
        """The withdrawals the claim says apply, in entry order: those L1 pays once the batch is final."""
        return [e.tx for step, e in enumerate(self.entries)
                if isinstance(e.tx, Withdraw) and step not in self.skipped]

    def root_before(self, step: int) -> bytes:
        """The state root a step starts from (version-1 batches only)."""
        return self.prev_root if step == 0 else self.entries[step - 1].root


class ClaimRoots(NamedTuple):
    """What a batch's header and withdrawal kinds make L1 compute (:func:`claim_roots`)."""

    prev_root: bytes
    post_root: bytes
    withdrawal_chain: bytes
    withdrawal_root: bytes


def claim_roots(batch: Batch, hasher: Hasher = keccak256) -> ClaimRoots:
    """The state roots and withdrawal root ``batch`` claims, every hash through ``hasher``."""
    chain = batch.prev_withdrawal_chain
    leaves = []
    for tx in batch.claimed_withdrawals():
        leaf = withdrawal_leaf(tx, hasher)
        leaves.append(leaf)
        chain = next_withdrawal_chain(chain, leaf, hasher)
    return ClaimRoots(
        state_root(batch.prev_accounts_root, batch.prev_withdrawal_chain, hasher),
        state_root(batch.post_accounts_root, chain, hasher), chain, merkle_root(leaves, hasher),
    )


# -- packed amounts ----------------------------------------------------------------


def is_packable(amount: int) -> bool:
    """True when ``amount`` has an exact 5-byte packed form."""
    try:
        pack_amount(amount)
    except ValueError:
        return False
    return True


def pack_amount(amount: int) -> bytes:
    """The 5-byte packed form of ``amount``, with the smallest exponent that fits."""
    if amount < 0:
        raise ValueError(f"amount {amount} is negative")
    if amount <= _MAX_MANTISSA:
        return (amount << EXPONENT_BITS).to_bytes(5, "big")
    # The smallest exponent whose quotient fits: estimated from the bit length
    # (log10 2 ~ 0.30103, rounded down so the estimate never overshoots), then stepped up.
    exponent = (amount.bit_length() - MANTISSA_BITS - 1) * 30103 // 100000
    while exponent < len(_POW10) and amount // _POW10[exponent] > _MAX_MANTISSA:
        exponent += 1
    if exponent >= len(_POW10) or amount % _POW10[exponent]:
        raise ValueError(
            f"amount {amount} has no packed form: it needs {MANTISSA_BITS} significant bits "
            "times a power of ten"
        )
    return ((amount // _POW10[exponent] << EXPONENT_BITS) | exponent).to_bytes(5, "big")


def unpack_amount(packed: bytes) -> int:
    """The amount a 5-byte packed form stands for."""
    value = int.from_bytes(packed, "big")
    return (value >> EXPONENT_BITS) * _POW10[value & ((1 << EXPONENT_BITS) - 1)]


# -- batches ---------------------------------------------------------------------------


def encode_batch(batch: Batch, *, compact: bool = False) -> bytes:
    """The calldata bytes of ``batch`` (``compact``: version 2, no roots); ValueError names a bad entry."""
    parts = [
        _HEADER.pack(
            VERSION_COMPACT if compact else VERSION, batch.prev_accounts_root, batch.prev_withdrawal_chain,
            batch.post_accounts_root, batch.first_deposit, len(batch.entries),
        )
    ]
    append = parts.append
    cut = -ROOT_SIZE if compact else None
    skipped = batch.skipped
    for i, (tx, root) in enumerate(batch.entries):
        try:
            append(encode_entry(tx, root or bytes(ROOT_SIZE), skipped=i in skipped)[:cut])
        except (ValueError, struct.error) as exc:
            raise ValueError(f"entry {i}: {exc}") from None
    return b"".join(parts)


def encode_entry(tx: Tx, root: bytes, *, skipped: bool = False) -> bytes:
    """One entry's bytes (see the module docstring); ``skipped`` marks a withdrawal the claim skips."""
    if type(tx) is Transfer:
        return _TRANSFER.pack(
            KIND_TRANSFER, tx.from_index, tx.to_index, pack_amount(tx.amount), tx.nonce,
            _sig(tx.signature), root,
        )
    if type(tx) is Withdraw:
        if len(tx.recipient) != 20:
            raise ValueError(f"recipient must be 20 bytes, got {len(tx.recipient)}")
        return _WITHDRAW.pack(
            KIND_SKIPPED_WITHDRAW if skipped else KIND_WITHDRAW, tx.from_index, tx.recipient,
            pack_amount(tx.amount), tx.nonce, _sig(tx.signature), root,
        )
    if type(tx) is Deposit:
        if len(tx.address) != 20:
            raise ValueError(f"deposit address must be 20 bytes, got {len(tx.address)}")
        if skipped:
            raise ValueError("only a withdrawal is marked skipped")
        return _DEPOSIT.pack(KIND_DEPOSIT, tx.index, tx.address, tx.amount.to_bytes(16, "big"), root)
    if skipped:
        raise ValueError("only a withdrawal is marked skipped")
    raise ValueError(f"not a rollup transaction: {type(tx).__name__}")


def _sig(signature: bytes) -> bytes:
    if len(signature) != 65:
        raise ValueError(f"signature must be 65 bytes, got {len(signature)}")
    return signature


def decode_batch(data: bytes) -> Batch:
    """Parse batch bytes; :class:`BatchFormatError` names the first problem."""
    data = bytes(data)
    if len(data) < HEADER_SIZE:
        raise BatchFormatError(f"batch is {len(data)} bytes, shorter than its {HEADER_SIZE}-byte header")
    version, prev_accounts, prev_chain, post_accounts, first_deposit, count = _HEADER.unpack_from(data)
    if version not in (VERSION, VERSION_COMPACT):
        raise BatchFormatError(f"unknown batch version {version}")
    cut = ROOT_SIZE if version == VERSION_COMPACT else 0
    entries: list[Entry] = []
    skipped: set[int] = set()
    offset = HEADER_SIZE
    for i in range(count):
        if offset >= len(data):
            raise BatchFormatError(f"batch ends before entry {i} of {count}")
        kind = data[offset]
        size = ENTRY_SIZE.get(kind)
        if size is None:
            raise BatchFormatError(f"entry {i} has unknown kind {kind}")
        size -= cut
        if offset + size > len(data):
            raise BatchFormatError(f"entry {i} is truncated")
        entries.append(decode_entry(data[offset:offset + size], compact=bool(cut)))
        if kind == KIND_SKIPPED_WITHDRAW:
            skipped.add(i)
        offset += size
    if offset != len(data):
        raise BatchFormatError(f"{len(data) - offset} bytes after the last entry")
    return Batch(prev_accounts, prev_chain, post_accounts, first_deposit, entries, version, frozenset(skipped))


def decode_entry(raw: bytes, *, compact: bool = False) -> Entry:
    """One entry from its exact bytes (``compact``: without its root, which is then empty).

    :class:`BatchFormatError` names the problem.
    """
    raw = bytes(raw)
    if not raw:
        raise BatchFormatError("entry is empty")
    size = ENTRY_SIZE.get(raw[0])
    if size is None:
        raise BatchFormatError(f"entry has unknown kind {raw[0]}")
    if compact:
        size -= ROOT_SIZE
    if len(raw) != size:
        raise BatchFormatError(f"entry of kind {raw[0]} is {len(raw)} bytes, expected {size}")
    if compact:
        raw += bytes(ROOT_SIZE)
        entry = decode_entry(raw)
        return Entry(entry.tx, b"")
    if raw[0] == KIND_TRANSFER:
        _, frm, to, amount, nonce, sig, root = _TRANSFER.unpack(raw)
        return Entry(Transfer(frm, to, unpack_amount(amount), nonce, sig), root)
    if raw[0] in (KIND_WITHDRAW, KIND_SKIPPED_WITHDRAW):
        _, frm, recipient, amount, nonce, sig, root = _WITHDRAW.unpack(raw)
        return Entry(Withdraw(frm, recipient, unpack_amount(amount), nonce, sig), root)
    _, index, address, amount, root = _DEPOSIT.unpack(raw)
    return Entry(Deposit(index, address, int.from_bytes(amount, "big")), root)


def entry_slices(data: bytes) -> list[bytes]:
    """The exact bytes of each entry of a well-formed batch, in order (decode it first)."""
    out = []
    offset = HEADER_SIZE
    cut = ROOT_SIZE if data[0] == VERSION_COMPACT else 0
    while offset < len(data):
        size = ENTRY_SIZE[data[offset]] - cut
        out.append(data[offset:offset + size])
        offset += size
    return out


def compute_data_hash(data: bytes, hasher: Hasher = keccak256) -> bytes:
    """The data hash of well-formed batch bytes: its first deposit, count and transactions, without roots or kinds 3."""
    cut = ROOT_SIZE if data[0] == VERSION else 0
    parts = [data[HEADER_SIZE - 12:HEADER_SIZE]]
    for raw in entry_slices(data):
        body = raw[:len(raw) - cut]
        parts.append(bytes([KIND_WITHDRAW]) + body[1:] if body[0] == KIND_SKIPPED_WITHDRAW else body)
    return hasher(b"".join(parts))


# -- the claim L1 commits to ---------------------------------------------------------


class BatchHeader(NamedTuple):
    """What L1 commits to per batch (see the module docstring)."""

    prev_root: bytes
    post_root: bytes
    entries_root: bytes
    withdrawal_root: bytes
    data_hash: bytes
    entry_count: int

    def encode(self) -> bytes:
        return (self.prev_root + self.post_root + self.entries_root + self.withdrawal_root + self.data_hash
                + self.entry_count.to_bytes(4, "big"))

    def body_hash(self, hasher: Hasher = keccak256) -> bytes:
        return hasher(self.prev_root + self.post_root + self.entries_root + self.entry_count.to_bytes(4, "big"))

    def commitment(self, hasher: Hasher = keccak256) -> bytes:
        return commitment_of(self.body_hash(hasher), self.withdrawal_root, self.data_hash, hasher)


def commitment_of(body_hash: bytes, withdrawal_root: bytes, data_hash: bytes, hasher: Hasher = keccak256) -> bytes:
    """The commitment L1 stores for a claim: ``keccak(body_hash || withdrawal_root || data_hash)``."""
    return hasher(body_hash + withdrawal_root + data_hash)


def decode_header(raw: bytes) -> BatchHeader:
    """A claim header from its 164 bytes; :class:`BatchFormatError` when the length is wrong."""
    raw = bytes(raw)
    if len(raw) != HEADER_COMMIT_SIZE:
        raise BatchFormatError(f"header is {len(raw)} bytes, expected {HEADER_COMMIT_SIZE}")
    return BatchHeader(raw[:32], raw[32:64], raw[64:96], raw[96:128], raw[128:160], int.from_bytes(raw[160:], "big"))


def entry_leaves(data: bytes) -> list[bytes]:
    """The entries-tree leaves of well-formed batch bytes: keccak of each entry, in one batched call."""
    return keccak256_many(entry_slices(data))


def header_of(data: bytes, batch: Batch, roots: ClaimRoots, hasher: Hasher = keccak256,
              data_hash: bytes | None = None) -> BatchHeader:
    """The claim header of batch bytes ``data`` (decoded as ``batch``, its claim roots ``roots``); ``data_hash``
    is ``compute_data_hash(data)`` when the caller has it already, so it is not hashed twice."""
    if hasher is keccak256:
        leaves = entry_leaves(data)
    else:
        leaves = [hasher(raw) for raw in entry_slices(data)]
    return BatchHeader(roots.prev_root, roots.post_root, merkle_root(leaves, hasher), roots.withdrawal_root,
                       data_hash if data_hash is not None else compute_data_hash(data, hasher), len(batch.entries))


def batch_header(data: bytes, batch: Batch | None = None) -> BatchHeader:
    """The claim header L1 computes for batch bytes ``data`` (``batch`` is its decoded form, if at hand)."""
    batch = batch if batch is not None else decode_batch(data)
    return header_of(data, batch, claim_roots(batch))


def entry_proof(data: bytes, step: int) -> tuple[bytes, list[bytes]]:
    """Entry ``step``'s bytes and its inclusion proof under the batch's entries root."""
    slices = entry_slices(data)
    return slices[step], merkle_proof(keccak256_many(slices), step)


def proof_length(entry_count: int) -> int:
    """Siblings in an inclusion proof of a tree of ``entry_count`` leaves: ceil(log2(n))."""
    return (entry_count - 1).bit_length() if entry_count > 1 else 0


# -- witnesses -------------------------------------------------------------------------


def encode_witnesses(witnesses: Witnesses) -> bytes:
    """The bytes of a fraud proof's witnesses (see the module docstring)."""
    accounts = witnesses.accounts
    if len(accounts) > 255:
        raise ValueError(f"{len(accounts)} witnesses: at most 255")
    out = [witnesses.accounts_root, witnesses.withdrawal_chain, bytes([len(accounts)])]
    for index, account, siblings in accounts:
        out.append(index.to_bytes(4, "big"))
        if account is None:
            out.append(b"\x00")
        else:
            out.append(b"\x01" + account.address + account.balance.to_bytes(32, "big")
                       + account.nonce.to_bytes(8, "big"))
        out.extend(siblings)
    return b"".join(out)


def decode_witnesses(data: bytes, depth: int) -> Witnesses:
    """Parse witness bytes for a tree of ``depth``; :class:`BatchFormatError` names the problem."""
    data = bytes(data)
    if len(data) < 65:
        raise BatchFormatError("witnesses are short: expected a 64-byte pre-state and a count byte")
    count, offset, out = data[64], 65, []
    for i in range(count):
        if offset + 5 > len(data):
            raise BatchFormatError(f"witness {i} is truncated")
        index = int.from_bytes(data[offset:offset + 4], "big")
        present = data[offset + 4]
        offset += 5
        account = None
        if present == 1:
            if offset + 60 > len(data):
                raise BatchFormatError(f"witness {i} account is truncated")
            account = Account(
                data[offset:offset + 20],
                int.from_bytes(data[offset + 20:offset + 52], "big"),
                int.from_bytes(data[offset + 52:offset + 60], "big"),
            )
            offset += 60
        elif present != 0:
            raise BatchFormatError(f"witness {i} has presence flag {present}, expected 0 or 1")
        end = offset + 32 * depth
        if end > len(data):
            raise BatchFormatError(f"witness {i} has fewer than {depth} siblings")
        out.append((index, account, [data[j:j + 32] for j in range(offset, end, 32)]))
        offset = end
    if offset != len(data):
        raise BatchFormatError(f"{len(data) - offset} bytes after the last witness")
    return Witnesses(data[:32], data[32:64], out)
