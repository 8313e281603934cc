"""The batch circuit: every slot of a batch, constrained to compute exactly what ``rules.apply_op`` does.

Public inputs, in order: ``old_root, new_root, chain_start, chain_end,
domain, pubdata_digest`` (``pubdata``). Private: the pubdata fields and,
per slot, the accounts it touches with their Merkle proofs and, for signed
operations, the signature.

Slots, in the order the batch applies them
    * ``deposit_slots`` priority slots: slot j is enabled when j < n (the
      pubdata's first byte). An enabled slot extends the priority chain with
      its operation and writes that leaf. A deposit (kind 0): a new account
      (``is_new``: the old leaf is 0, balance and nonce 0) or the same key's
      account with the amount added. A full exit (kind 1): an existing
      account left with balance 0, its old balance posted as what L1 pays
      the owner. A disabled slot rewrites leaf 0 (always empty) with itself
      and posts 0.
    * ``transfer_slots`` transfer slots: enabled unless sender, recipient and
      amount are all 0. The sender's leaf is rebuilt from its key, balance
      and nonce, checked under the running root and replaced (balance minus
      the float40 amount, range-checked to 128 bits so it cannot go below
      zero; nonce + 1); the EdDSA-Poseidon signature of the transfer message
      under the sender's key is checked (it names the recipient's key, taken
      from the recipient's leaf); then the recipient's leaf (which
      must exist: an empty leaf has no preimage) gets the amount, again
      range-checked. Sender == recipient works because the second update
      starts from the root the first one left.
    * ``withdraw_slots`` withdrawal slots: enabled unless the sender is 0
      (and then amount and address must be 0 too), else moves at least one
      wei; one signed leaf update.

A disabled slot multiplies its leaves by 0, so its updates rewrite leaf 0
with 0, and its signature check is switched off (``eddsa.verify(enabled=)``).

The pubdata bytes are rebuilt from the same bits the slots use (index bits
for the Merkle paths, amount bits for range checks), hashed with the SHA-256
gadget and compared with the public digest, so the proof is bound to the
exact bytes L1 hashed. Indices are decomposed with ``depth_bits`` bits,
amounts with 40 (float40), 96 (deposits) or 128 (withdrawals) bits, and no
value is ever decomposed into 254 bits except inside the EdDSA gadget, which
uses the strict form.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts_spec.zk import float40
from contracts_spec.zk.params import (
    ADDRESS_BITS,
    BALANCE_BITS,
    DEPOSIT_BITS,
    WITHDRAW_AMOUNT_BITS,
    ZkPreset,
)
from contracts_spec.zk.pubdata import KIND_SHIFT
from contracts_spec.zk.rules import TAG_TRANSFER, TAG_WITHDRAW
from primitives.snark.babyjub import BASE8
from primitives.snark.eddsa import Signature
from primitives.snark.gadgets import eddsa as eddsa_gadget
from primitives.snark.gadgets import quadmerkle
from primitives.snark.gadgets.bits import (
    from_bits,
    is_zero,
    less_eq,
    less_than,
    range_check,
    to_bits,
)
from primitives.snark.gadgets.poseidon import poseidon
from primitives.snark.gadgets.sha256 import digest_field, sha256
from primitives.snark.r1cs import LC, Circuit, R, as_lc

Proof3 = tuple[tuple[int, int, int], ...]
DUMMY_SIGNATURE = Signature(R8=BASE8, S=0)


@dataclass(frozen=True)
class LeafWitness:
    """An account as the circuit sees it: key, balance, nonce and the proof before the write."""

    ax: int
    ay: int
    balance: int
    nonce: int
    proof: Proof3


@dataclass(frozen=True)
class DepositSlot:
    index: int
    amount: int
    ax: int
    ay: int
    is_new: int
    leaf: LeafWitness  # balance and nonce before (0, 0 for a new account)
    kind: int = 0  # 0: deposit; 1: full exit (amount, ax, ay are then 0; the leaf holds the key)


@dataclass(frozen=True)
class TransferSlot:
    sender: int
    recipient: int
    amount40: int
    nonce: int
    signature: Signature
    sender_leaf: LeafWitness
    recipient_leaf: LeafWitness  # as it is after the sender's update


@dataclass(frozen=True)
class WithdrawSlot:
    sender: int
    amount: int
    recipient: int
    signature: Signature
    leaf: LeafWitness


@dataclass(frozen=True)
class BatchWitness:
    old_root: int
    new_root: int
    chain_start: int
    chain_end: int
    domain: int
    pubdata_digest: int
    n_deposits: int
    deposits: tuple[DepositSlot, ...]
    transfers: tuple[TransferSlot, ...]
    withdrawals: tuple[WithdrawSlot, ...]


def _msb_bits(le_bits: Sequence[LC], n_bytes: int, c: Circuit) -> list[LC]:
    """A field's big-endian byte bits (MSB first) from its little-endian bits, zero-padded on top."""
    pad = 8 * n_bytes - len(le_bits)
    return [as_lc(0, c)] * pad + list(reversed(le_bits))


def _v(x: int | None, w: object | None) -> int | None:
    return None if w is None else x


def _leaf_inputs(c: Circuit, leaf: LeafWitness | None, levels: int) -> tuple[LC, LC, LC, LC, list[tuple[LC, LC, LC]]]:
    ax = c.private(leaf.ax if leaf else None)
    ay = c.private(leaf.ay if leaf else None)
    bal = c.private(leaf.balance if leaf else None)
    nonce = c.private(leaf.nonce if leaf else None)
    sibs = [tuple(c.private(leaf.proof[k][j] if leaf else None) for j in range(3)) for k in range(levels)]
    return ax, ay, bal, nonce, sibs  # type: ignore[return-value]


def _signature(c: Circuit, sig: Signature | None) -> tuple[LC, tuple[LC, LC]]:
    s = c.private(sig.S if sig else None)
    r8 = (c.private(sig.R8[0] if sig else None), c.private(sig.R8[1] if sig else None))
    return s, r8


def _rewrite_leaf(c: Circuit, en: LC, key: tuple[LC, LC], bal: LC, nonce: LC, new_bal: LC, new_nonce: LC,
                  bits: Sequence[LC], sibs: Sequence[tuple[LC, LC, LC]], root: LC) -> LC:
    """The root after an enabled slot rewrites the leaf (key, bal, nonce) as (key, new_bal, new_nonce).

    The old leaf is rebuilt from its parts and checked under ``root``; the
    new balance is range-checked to 128 bits (so a debit cannot go below
    zero nor a credit overflow). A disabled slot (``en`` 0) rewrites leaf 0
    with 0.
    """
    ax, ay = key
    old_leaf = c.mul(en, poseidon(c, [ax, ay, bal, nonce]), "old_leaf")
    range_check(c, new_bal, BALANCE_BITS)
    new_leaf = c.mul(en, poseidon(c, [ax, ay, new_bal, new_nonce]), "new_leaf")
    return quadmerkle.update(c, old_leaf, new_leaf, bits, sibs, root)


def batch_circuit(preset: ZkPreset, w: BatchWitness | None, record: bool = True) -> Circuit:
    """The circuit of one batch; ``w=None`` builds the bare constraint system for a setup.

    ``record=False`` computes the witness only (the prover checks it against
    the system compiled once from the bare circuit).
    """
    c = Circuit(record)
    d, levels, ib = preset.depth_bits, preset.levels, preset.index_bytes
    old_root = c.public(w.old_root if w else None)
    new_root = c.public(w.new_root if w else None)
    chain_start = c.public(w.chain_start if w else None)
    chain_end = c.public(w.chain_end if w else None)
    domain = c.public(w.domain if w else None)
    digest = c.public(w.pubdata_digest if w else None)

    pub_bits: list[LC] = []
    exit_bits: list[list[LC]] = []
    root, chain = old_root, chain_start

    with c.scope("header"):
        n = c.private(w.n_deposits if w else None)
        n_bits = to_bits(c, n, 8)
        c.assert_equal(less_eq(c, n, preset.deposit_slots, 8), 1, "n_le_slots")
        pub_bits += list(reversed(n_bits))

    for j in range(preset.deposit_slots):
        slot = w.deposits[j] if w else None
        with c.scope(f"deposit{j}"):
            en = less_than(c, j, n, 8)
            idx = c.private(slot.index if slot else None)
            bits = quadmerkle.index_bits(c, idx, d)
            amount = c.private(slot.amount if slot else None)
            range_check(c, amount, DEPOSIT_BITS)
            ax, ay, bal, nonce, sibs = _leaf_inputs(c, slot.leaf if slot else None, levels)
            kind = c.private(slot.kind if slot else None)
            c.assert_bool(kind, "kind")
            # the chain names a deposit by its key, which is the leaf's; a full exit by its index alone
            c.assert_equal(ax - c.mul(kind, ax, "exit_key_x"), c.private(slot.ax if slot else None), "key_x")
            c.assert_equal(ay - c.mul(kind, ay, "exit_key_y"), c.private(slot.ay if slot else None), "key_y")
            c.constrain(kind, amount, 0, "exit_has_no_amount")
            is_new = c.private(slot.is_new if slot else None)
            c.assert_bool(is_new, "is_new")
            c.constrain(kind, is_new, 0, "exit_needs_an_account")
            c.constrain(is_new, bal, 0, "new_has_no_balance")
            c.constrain(is_new, nonce, 0, "new_has_no_nonce")
            h_old = poseidon(c, [ax, ay, bal, nonce])
            old_leaf = h_old - c.mul(is_new, h_old, "old_leaf")
            topped = bal + amount
            new_bal = topped - c.mul(kind, topped, "exit_empties")  # a deposit adds; a full exit leaves 0
            range_check(c, new_bal, BALANCE_BITS)
            h_new = poseidon(c, [ax, ay, new_bal, nonce])
            new_leaf = old_leaf + c.mul(en, h_new - old_leaf, "new_leaf")
            root = quadmerkle.update(c, old_leaf, new_leaf, bits, sibs, root)
            word = kind.scale(1 << KIND_SHIFT) + idx.scale(1 << DEPOSIT_BITS) + amount
            nxt = poseidon(c, [chain, word, ax - c.mul(kind, ax, "chain_x"), ay - c.mul(kind, ay, "chain_y")])
            chain = chain + c.mul(en, nxt - chain, "chain")
            paid = c.mul(c.mul(en, kind, "enabled_exit"), bal, "exit_paid")  # posted: what the exit pays
            exit_bits.append(list(reversed(to_bits(c, paid, WITHDRAW_AMOUNT_BITS))))

    for k in range(preset.transfer_slots):
        slot_t = w.transfers[k] if w else None
        with c.scope(f"transfer{k}"):
            sender = c.private(slot_t.sender if slot_t else None)
            recipient = c.private(slot_t.recipient if slot_t else None)
            amount40 = c.private(slot_t.amount40 if slot_t else None)
            fbits = quadmerkle.index_bits(c, sender, d)
            tbits = quadmerkle.index_bits(c, recipient, d)
            abits = to_bits(c, amount40, float40.PACKED_BITS)
            packed = sender + recipient.scale(1 << d) + amount40.scale(1 << 2 * d)
            en = 1 - is_zero(c, packed)
            pow10: LC = as_lc(1, c)
            for i, e in enumerate(abits[float40.MANTISSA_BITS:]):
                pow10 = c.mul(pow10, 1 + e.scale(10 ** (1 << i) - 1), f"pow10_{i}")
            amount = c.mul(from_bits(abits[:float40.MANTISSA_BITS]), pow10, "amount")

            ax, ay, bal, nonce, sibs = _leaf_inputs(c, slot_t.sender_leaf if slot_t else None, levels)
            with c.scope("sender"):
                root = _rewrite_leaf(c, en, (ax, ay), bal, nonce, bal - amount, nonce + 1, fbits, sibs, root)
            rax, ray, rbal, rnonce, rsibs = _leaf_inputs(c, slot_t.recipient_leaf if slot_t else None, levels)
            with c.scope("signature"):
                word = TAG_TRANSFER + sender.scale(1 << 8) + recipient.scale(1 << (8 + d)) \
                    + amount40.scale(1 << (8 + 2 * d))
                msg = poseidon(c, [domain, word, rax, ray, nonce])  # names the recipient's key (its leaf's)
                sig = slot_t.signature if slot_t else None
                s, r8 = _signature(c, sig)
                eddsa_gadget.verify(c, msg, (ax, ay), s, r8, enabled=en)
            with c.scope("recipient"):
                root = _rewrite_leaf(c, en, (rax, ray), rbal, rnonce, rbal + amount, rnonce, tbits, rsibs, root)
            pub_bits += _msb_bits(fbits, ib, c) + _msb_bits(tbits, ib, c) + list(reversed(abits))

    for k in range(preset.withdraw_slots):
        slot_w = w.withdrawals[k] if w else None
        with c.scope(f"withdraw{k}"):
            sender = c.private(slot_w.sender if slot_w else None)
            amount = c.private(slot_w.amount if slot_w else None)
            address = c.private(slot_w.recipient if slot_w else None)
            fbits = quadmerkle.index_bits(c, sender, d)
            amt_bits = to_bits(c, amount, WITHDRAW_AMOUNT_BITS)
            addr_bits = to_bits(c, address, ADDRESS_BITS)
            en = 1 - is_zero(c, sender)
            c.constrain(1 - en, amount, 0, "padding_amount")
            c.constrain(1 - en, address, 0, "padding_address")
            # an enabled withdrawal moves at least one wei: amount * inverse == en
            inv = c.hint(lambda v: pow(v, -1, R) if v else 0, amount)
            c.constrain(amount, inv, en, "amount_nonzero")
            ax, ay, bal, nonce, sibs = _leaf_inputs(c, slot_w.leaf if slot_w else None, levels)
            root = _rewrite_leaf(c, en, (ax, ay), bal, nonce, bal - amount, nonce + 1, fbits, sibs, root)
            with c.scope("signature"):
                word = TAG_WITHDRAW + sender.scale(1 << 8) + amount.scale(1 << (8 + d))
                msg = poseidon(c, [domain, word, address, nonce])
                sig = slot_w.signature if slot_w else None
                s, r8 = _signature(c, sig)
                eddsa_gadget.verify(c, msg, (ax, ay), s, r8, enabled=en)
            pub_bits += _msb_bits(fbits, ib, c) + list(reversed(amt_bits)) + list(reversed(addr_bits))

    for bits_of_paid in exit_bits:
        pub_bits += bits_of_paid
    c.assert_equal(root, new_root, "new_root")
    c.assert_equal(chain, chain_end, "chain_end")
    with c.scope("pubdata"):
        c.assert_equal(digest_field(c, sha256(c, pub_bits)), digest, "digest")
    return c
