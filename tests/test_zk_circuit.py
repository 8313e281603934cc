"""Differential test of the zk-rollup's batch circuit against its rules.

Every operation ``apply_op`` accepts must give a satisfiable circuit whose
``new_root`` is the root the rules compute; every operation it refuses must
leave a cheating prover with an unsatisfiable circuit, even when the prover
builds the rest of the witness consistently (Merkle proofs, new root and
pubdata digest of what the forged writes give).

A forged witness is built by :func:`forge`, which lays out slots exactly as
``witness.build_batch`` does but takes each slot's leaf writes from
:func:`lax_writes` (``apply_op``'s arithmetic with every check removed, field
arithmetic modulo R) instead of the rules. Run on honest operations it
reproduces ``build_batch`` exactly, which the accepted-batch test checks.

The SMALL circuit takes about five seconds to build with values, so each
refused case builds it once; the constraint system itself is compiled once,
from the bare circuit, and shared.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace

import pytest

from contracts_spec.zk import float40, keys
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.circuit import (
    DUMMY_SIGNATURE,
    BatchWitness,
    DepositSlot,
    LeafWitness,
    TransferSlot,
    WithdrawSlot,
    batch_circuit,
)
from contracts_spec.zk.params import SMALL
from contracts_spec.zk.rules import (
    Account,
    Deposit,
    Effect,
    OpRefused,
    Transfer,
    Withdraw,
    apply_op,
    domain_of,
    sign,
)
from contracts_spec.zk.state import ZkState
from contracts_spec.zk.witness import build_batch, public_inputs
from primitives.snark.babyjub import BASE8, SUBORDER
from primitives.snark.field import R
from primitives.snark.r1cs import R1CS, ConstraintError

DOMAIN = domain_of(1337, "0x" + "ab" * 20)
CAP = SMALL.capacity
ALICE, BOB, CAROL, DAVE, MALLORY = (name.ljust(32, b".") for name in (b"alice", b"bob", b"carol", b"dave", b"mallory"))
PUB = {k: keys.public_key(k) for k in (ALICE, BOB, CAROL, DAVE, MALLORY)}
L1_ADDRESS = "0x" + "cd" * 20
NEAR_LIMIT = 2**128 - 10  # Carol's balance: 10 wei below the 128-bit limit
# The deposit chain as L1 left it before this batch (one earlier deposit).
CHAIN_START = pd.next_chain(0, 1, 10**18, *PUB[ALICE])


# -- the shared honest state and the cheating prover --------------------------------------------------------------

@pytest.fixture(scope="module")
def base() -> ZkState:
    """Alice (1), Bob (2) and Carol (3, near the balance limit), written directly as a prior batch left them."""
    state = ZkState(SMALL.depth_bits, DOMAIN)
    state.write(Effect(writes=(
        (1, Account(*PUB[ALICE], 10**18, 2)),
        (2, Account(*PUB[BOB], 5 * 10**17, 0)),
        (3, Account(*PUB[CAROL], NEAR_LIMIT, 7)),
    )))
    return state


@pytest.fixture(scope="module")
def r1cs() -> R1CS:
    """The batch circuit's constraint system, compiled once from the bare circuit."""
    return batch_circuit(SMALL, None).compile()


RECIPIENT_KEYS = {1: PUB[ALICE], 2: PUB[BOB], 3: PUB[CAROL], 4: PUB[DAVE]}  # whose key each index holds


def signed(op: Transfer | Withdraw, key: bytes) -> Transfer | Withdraw:
    recipient_key = RECIPIENT_KEYS.get(op.recipient, (0, 0)) if isinstance(op, Transfer) else None  # empty: zeros
    return sign(op, key, DOMAIN, SMALL.depth_bits, recipient_key)


def lax_writes(state: ZkState, op: Deposit | Transfer | Withdraw) -> tuple[tuple[int, Account], ...]:
    """The leaf writes a cheating prover makes for ``op``: ``apply_op``'s arithmetic without any of its checks.

    Indices wrap modulo the tree's capacity, balances modulo the field, and a
    missing account reads as the all-zero leaf preimage.
    """
    blank = Account(0, 0, 0, 0)
    if isinstance(op, Deposit):
        old = state.account(op.index % CAP)
        new = Account(op.ax, op.ay, op.amount, 0) if old is None else replace(old, balance=old.balance + op.amount)
        return ((op.index % CAP, new),)
    if isinstance(op, Transfer):
        s, r = op.sender % CAP, op.recipient % CAP
        src = state.account(s) or blank
        src_new = replace(src, balance=(src.balance - op.value) % R, nonce=src.nonce + 1)
        dst = src_new if r == s else state.account(r) or blank
        return ((s, src_new), (r, replace(dst, balance=(dst.balance + op.value) % R)))
    if op.sender == 0:  # a padding slot writes nothing
        return ()
    src = state.account(op.sender % CAP) or blank
    return ((op.sender % CAP, replace(src, balance=(src.balance - op.amount) % R, nonce=src.nonce + 1)),)


def _leaf(old: Account | None, proof, key: tuple[int, int] = (0, 0)) -> LeafWitness:
    if old is None:
        return LeafWitness(key[0], key[1], 0, 0, proof)
    return LeafWitness(old.ax, old.ay, old.balance, old.nonce, proof)


def forge(base: ZkState, deposits: Sequence[Deposit] = (), transfers: Sequence[Transfer] = (),
          withdrawals: Sequence[Withdraw] = (), *, chain_end: int | None = None,
          is_new: bool | None = None) -> BatchWitness:
    """A batch witness laid out as ``build_batch`` lays it out, with the writes of :func:`lax_writes`.

    ``chain_end`` overrides the deposit chain value the witness claims (the
    one L1 holds); ``is_new`` forces every deposit slot's ``is_new`` flag,
    with the deposit's key and a zero balance and nonce as its old leaf.
    The new root and the pubdata digest are those of the forged writes, so
    the public inputs are consistent with the forged claim.
    """
    state = base.copy()
    old_root, chain = state.root, CHAIN_START
    dep_slots, tx_slots, wd_slots, posted_t, posted_w = [], [], [], [], []
    for dep in deposits:
        fresh = state.account(dep.index % CAP) is None if is_new is None else is_new
        writes = ((dep.index % CAP, Account(dep.ax, dep.ay, dep.amount, 0)),) if fresh else lax_writes(state, dep)
        (u,) = state.write(Effect(writes=writes))
        leaf = _leaf(None if fresh else u.old, u.proof, (dep.ax, dep.ay))
        dep_slots.append(DepositSlot(dep.index, dep.amount, dep.ax, dep.ay, int(fresh), leaf))
        chain = pd.next_chain(chain, dep.index, dep.amount, dep.ax, dep.ay)
    for _ in range(SMALL.deposit_slots - len(deposits)):
        dep_slots.append(DepositSlot(0, 0, 0, 0, 1, LeafWitness(0, 0, 0, 0, state.tree.proof(0))))
    for op in transfers:
        us, ur = state.write(Effect(writes=lax_writes(state, op)))
        tx_slots.append(TransferSlot(op.sender, op.recipient, op.amount, op.nonce, op.signature or DUMMY_SIGNATURE,
                                     _leaf(us.old, us.proof), _leaf(ur.old, ur.proof)))
        posted_t.append(pd.PostedTransfer(op.sender % CAP, op.recipient % CAP, op.amount))
    for _ in range(SMALL.transfer_slots - len(transfers)):
        proof0 = state.tree.proof(0)
        tx_slots.append(TransferSlot(0, 0, 0, 0, DUMMY_SIGNATURE, LeafWitness(BASE8[0], BASE8[1], 0, 0, proof0),
                                     LeafWitness(0, 0, 0, 0, proof0)))
    for wd in withdrawals:
        updates = state.write(Effect(writes=lax_writes(state, wd)))
        leaf = _leaf(updates[0].old, updates[0].proof) if updates else \
            LeafWitness(BASE8[0], BASE8[1], 0, 0, state.tree.proof(0))
        wd_slots.append(WithdrawSlot(wd.sender, wd.amount, int(wd.recipient, 16), wd.signature or DUMMY_SIGNATURE,
                                     leaf))
        posted_w.append(pd.PostedWithdraw(wd.sender % CAP, wd.amount, int(wd.recipient, 16)))
    for _ in range(SMALL.withdraw_slots - len(withdrawals)):
        wd_slots.append(WithdrawSlot(0, 0, 0, DUMMY_SIGNATURE,
                                     LeafWitness(BASE8[0], BASE8[1], 0, 0, state.tree.proof(0))))
    raw = pd.encode(SMALL, pd.Pubdata(len(deposits), tuple(posted_t), tuple(posted_w)))
    return BatchWitness(
        old_root=old_root, new_root=state.root, chain_start=CHAIN_START,
        chain_end=chain if chain_end is None else chain_end, domain=DOMAIN, pubdata_digest=pd.pubdata_hash(raw),
        n_deposits=len(deposits), deposits=tuple(dep_slots), transfers=tuple(tx_slots), withdrawals=tuple(wd_slots),
    )


def broken_constraint(r1cs: R1CS, witness: BatchWitness) -> str:
    """The name of the first constraint the witness breaks (the test fails if it breaks none)."""
    circuit = batch_circuit(SMALL, witness)
    values = circuit.witness()
    assert r1cs.public_inputs(values) == public_inputs(witness)  # the claim L1 would check is the forged one
    with pytest.raises(ConstraintError) as err:
        r1cs.check(values)
    return err.value.name


def refused(base: ZkState, op, match: str) -> None:
    with pytest.raises(OpRefused, match=match):
        apply_op(base, op)


# -- accepted: the circuit computes what the rules compute --------------------------------------------------------

def test_random_batch_is_satisfiable_and_matches_the_rules_root(base: ZkState, r1cs: R1CS) -> None:
    rng = random.Random(20240611)
    ref = base.copy()  # applies the ops one by one with the rules, independently of build_batch

    def packable(upto: int) -> int:
        return float40.pack(float40.round_down(rng.randrange(1, upto)))

    deposits = [Deposit(4, rng.randrange(1, 2**96), *PUB[DAVE]),  # a new account
                Deposit(1, rng.randrange(1, 2**96), *PUB[ALICE])]  # a top-up
    for dep in deposits:
        ref.apply(dep)
    transfers = []
    for sender, recipient, key in ((1, 2, ALICE), (2, 2, BOB), (2, 4, BOB)):  # (2, 2): sender == recipient
        op = signed(Transfer(sender, recipient, packable(ref.account(sender).balance // 2),
                             ref.account(sender).nonce), key)
        ref.apply(op)
        transfers.append(op)
    withdrawals = [signed(Withdraw(1, rng.randrange(1, ref.account(1).balance), L1_ADDRESS, ref.account(1).nonce),
                          ALICE)]
    ref.apply(withdrawals[0])
    assert len(transfers) < SMALL.transfer_slots  # one transfer slot stays padding

    batch = build_batch(SMALL, base.copy(), CHAIN_START, deposits, transfers, withdrawals)
    assert forge(base, deposits, transfers, withdrawals) == batch.witness  # the forger is build_batch without rules
    circuit = batch_circuit(SMALL, batch.witness)
    values = circuit.witness()
    r1cs.check(values)
    compiled = circuit.compile()
    assert compiled.n_constraints == r1cs.n_constraints  # the bare circuit has the same constraints
    assert compiled.constraints == r1cs.constraints and compiled.n_wires == r1cs.n_wires
    old_root, new_root, chain_start, chain_end, domain, digest = r1cs.public_inputs(values)
    assert new_root == ref.root == batch.new_root
    assert old_root == base.root and domain == DOMAIN and chain_start == CHAIN_START
    chain = CHAIN_START
    for dep in deposits:
        chain = pd.next_chain(chain, dep.index, dep.amount, dep.ax, dep.ay)
    assert chain_end == chain
    assert digest == pd.pubdata_hash(batch.pubdata)
    assert batch.withdrawals == ((L1_ADDRESS, withdrawals[0].amount),)


# -- refused: a cheating prover cannot satisfy the circuit --------------------------------------------------------

def test_overdrawn_transfer_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Bob signs away twice his balance; the forged leaf holds (balance - amount) mod R.
    op = signed(Transfer(2, 1, float40.pack(10**18), 0), BOB)
    refused(base, op, "cannot send")
    name = broken_constraint(r1cs, forge(base, transfers=[op]))
    assert name.startswith("transfer0.sender.") and "bits.sum" in name


def test_wrong_nonce_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Alice signs at nonce 3 while her leaf holds nonce 2: the signature is valid for its own message only.
    op = signed(Transfer(1, 2, float40.pack(1000), 3), ALICE)
    refused(base, op, "next nonce is 2")
    assert "transfer0.signature.eddsa" in broken_constraint(r1cs, forge(base, transfers=[op]))


def test_signature_by_another_key_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Mallory signs a transfer out of Alice's account with her own key.
    op = signed(Transfer(1, 2, float40.pack(1000), 2), MALLORY)
    refused(base, op, "bad signature")
    assert "transfer0.signature.eddsa.check" in broken_constraint(r1cs, forge(base, transfers=[op]))


def test_malleated_signature_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Alice's valid signature with S + L (the same point S * B8): only the S < L range check refuses it.
    honest = signed(Withdraw(1, 1000, L1_ADDRESS, 2), ALICE)
    op = replace(honest, signature=replace(honest.signature, S=honest.signature.S + SUBORDER))
    refused(base, op, "bad signature")
    assert "withdraw0.signature.eddsa.s_range" in broken_constraint(r1cs, forge(base, withdrawals=[op]))


def test_recipient_balance_overflow_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Alice sends 100 wei to Carol, who holds 2**128 - 10: the forged leaf holds 2**128 + 90.
    op = signed(Transfer(1, 3, float40.pack(100), 2), ALICE)
    refused(base, op, "past 2\\*\\*128-1")
    name = broken_constraint(r1cs, forge(base, transfers=[op]))
    assert name.startswith("transfer0.recipient.") and "bits.sum" in name


def test_transfer_to_an_empty_leaf_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Alice sends to index 9, which has no account: the prover shows poseidon(0, 0, 0, 0) as its old leaf.
    op = signed(Transfer(1, 9, float40.pack(1000), 2), ALICE)
    refused(base, op, "recipient account 9 does not exist")
    assert broken_constraint(r1cs, forge(base, transfers=[op])) == "transfer0.recipient.quadmerkle.old_root"


def test_index_out_of_range_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Alice signs 1 -> 3; at depth 8 its packed word equals that of 257 -> 2, which wraps to a transfer 1 -> 2.
    honest = signed(Transfer(1, 3, float40.pack(1000), 2), ALICE)
    op = replace(honest, sender=CAP + 1, recipient=2)
    refused(base, op, "sender index 257 is out of range")
    name = broken_constraint(r1cs, forge(base, transfers=[op]))
    assert name.startswith("transfer0.quadmerkle.index.") and "bits.sum" in name


def test_withdrawal_padding_slot_with_an_amount_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # A withdrawal from sender 0 (padding, no signature, no debit) that would pay 1 ETH on L1.
    op = Withdraw(0, 10**18, L1_ADDRESS, 0)
    refused(base, op, "sender index 0 is out of range")
    assert broken_constraint(r1cs, forge(base, withdrawals=[op])) == "withdraw0.padding_amount"


def test_deposit_of_another_amount_than_the_chain_commits_to_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # L1 queued 1 wei for Alice; the slot credits 10**18 wei and claims L1's chain value.
    queued = Deposit(1, 1, *PUB[ALICE])
    credited = replace(queued, amount=10**18)
    chain_on_l1 = pd.next_chain(CHAIN_START, queued.index, queued.amount, queued.ax, queued.ay)
    assert pd.next_chain(CHAIN_START, credited.index, credited.amount, credited.ax, credited.ay) != chain_on_l1
    assert broken_constraint(r1cs, forge(base, deposits=[credited], chain_end=chain_on_l1)) == "chain_end"


def test_new_account_deposit_over_an_existing_account_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Mallory's deposit to Alice's index, claimed as a new account (is_new=1), would replace Alice's leaf.
    op = Deposit(1, 1, *PUB[MALLORY])
    refused(base, op, "names another key")
    assert broken_constraint(r1cs, forge(base, deposits=[op], is_new=True)) == "deposit0.quadmerkle.old_root"


def test_zero_withdrawal_is_unsatisfiable(base: ZkState, r1cs: R1CS) -> None:
    # Alice signs a withdrawal of 0 wei: the rules refuse it (amounts are 1..2**128-1), the circuit should too.
    op = signed(Withdraw(1, 0, L1_ADDRESS, 2), ALICE)
    refused(base, op, "withdrawal amount 0")
    assert broken_constraint(r1cs, forge(base, withdrawals=[op])) == "withdraw0.amount_nonzero"
