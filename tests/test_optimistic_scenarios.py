"""The optimistic rollup end to end, honest and under attack, on the in-process L1.

Each test reads as a lesson: deposit, transfer, submit_batch, challenge,
finalize, withdraw; and each checks the balances before and after. Time moves
with ``increase_time``, never with sleep.
"""

from __future__ import annotations

import dataclasses

import pytest

from contracts_spec.l1 import TransactionReverted
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.rules import Account, Transfer
from contracts_spec.optimistic.submission import InvalidBatch
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import Fault, force_deposits
from rollup.optimistic.lab import OptimisticLab
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob", "carol", "mallory")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}


@pytest.fixture
def lab(l1_kind: str) -> OptimisticLab:
    """The rollup's actors on a fresh L1: the toy L1, or anvil with the Solidity twin."""
    return OptimisticLab(new_l1(l1_kind, {private_key_to_address(k): 1000 * ETH for k in KEYS.values()}), KEYS,
                         preset=MINIMAL)


def gas_cost(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)


def fund(lab: OptimisticLab) -> None:
    """Alice deposits 5 ETH, Bob 1 ETH, Mallory 1 ETH; the operator posts batch 0."""
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", 1 * ETH)
    lab.deposit("mallory", 1 * ETH)
    lab.submit_batch()


def fraud_events(lab: OptimisticLab) -> list[dict]:
    return lab.l1.events(lab.rollup.address, OptimisticRollup, "FraudProven")


def pass_deposit_deadline(lab: OptimisticLab) -> None:
    """Let a deposit's deadline pass: its blocks, and its seconds too."""
    lab.l1.mine(MINIMAL.deposit_deadline_blocks + 1)
    lab.advance(MINIMAL.deposit_deadline_seconds + 1)


# -- the honest path ------------------------------------------------------------------------


def test_valid_batch_finalizes_and_bob_withdraws(lab: OptimisticLab) -> None:
    fund(lab)
    lab.transfer("alice", "bob", 2 * ETH)
    lab.withdraw("bob", ETH)
    lab.submit_batch()
    assert lab.l2_balance("alice") == 3 * ETH
    assert lab.l2_balance("bob") == 2 * ETH
    assert lab.challenge() == []  # nothing to prove
    assert lab.rollup.call("is_final", 1) is False
    lab.finalize()
    assert lab.rollup.call("is_final", 1) is True
    assert lab.rollup.call("challenge_time_left", 1) == 0
    bob_before = lab.l1_balance("bob")
    (receipt,) = lab.claim_withdrawals("bob", 1)
    assert lab.l1_balance("bob") == bob_before + ETH - gas_cost(receipt)


def test_challenge_window_counts_down(lab: OptimisticLab) -> None:
    fund(lab)
    left = lab.rollup.call("challenge_time_left", 0)
    assert 0 < left <= MINIMAL.challenge_window
    lab.advance(20)
    assert lab.rollup.call("challenge_time_left", 0) <= left - 20


# -- attacks that a fraud proof defeats ------------------------------------------------------


def steal_with_a_wrong_root(lab: OptimisticLab) -> tuple[Transfer, dict]:
    """A valid transfer, but the operator also credits Mallory 3 ETH from nowhere."""
    m, b = lab.index("mallory"), lab.index("bob")
    tx = lab.wallets["mallory"].transfer(m, b, ETH // 10, lab.nonce("mallory"))
    mal, bob = lab.operator.state.get_account(m), lab.operator.state.get_account(b)
    writes = {m: Account(mal.address, mal.balance - ETH // 10 + 3 * ETH, mal.nonce + 1),
              b: Account(bob.address, bob.balance + ETH // 10, bob.nonce)}
    return tx, writes


def forge_alices_signature(lab: OptimisticLab) -> tuple[Transfer, dict]:
    """Alice's 4 ETH moved to Mallory with a signature Mallory made."""
    a, m = lab.index("alice"), lab.index("mallory")
    tx = lab.wallets["mallory"].transfer(a, m, 4 * ETH, lab.nonce("alice"))
    alice, mal = lab.operator.state.get_account(a), lab.operator.state.get_account(m)
    return tx, {a: Account(alice.address, alice.balance - 4 * ETH, alice.nonce + 1),
                m: Account(mal.address, mal.balance + 4 * ETH, mal.nonce)}


def overspend(lab: OptimisticLab) -> tuple[Transfer, dict]:
    """Mallory, holding 1 ETH, pays Carol's friend Bob 3 ETH."""
    m, b = lab.index("mallory"), lab.index("bob")
    tx = lab.wallets["mallory"].transfer(m, b, 3 * ETH, lab.nonce("mallory"))
    mal, bob = lab.operator.state.get_account(m), lab.operator.state.get_account(b)
    return tx, {m: Account(mal.address, 0, mal.nonce + 1), b: Account(bob.address, bob.balance + 3 * ETH, bob.nonce)}


def replay_alices_old_transfer(lab: OptimisticLab) -> tuple[Transfer, dict]:
    """Alice's transfer of batch 1 (nonce 0) included a second time."""
    tx = lab.batch(1).entries[0].tx
    a, b = tx.from_index, tx.to_index
    alice, bob = lab.operator.state.get_account(a), lab.operator.state.get_account(b)
    return tx, {a: Account(alice.address, alice.balance - tx.amount, alice.nonce),
                b: Account(bob.address, bob.balance + tx.amount, bob.nonce)}


@pytest.mark.parametrize(
    ("attack", "reason"),
    [
        (steal_with_a_wrong_root, "wrong state root"),
        (forge_alices_signature, "bad signature"),
        (overspend, "overspend"),
        (replay_alices_old_transfer, "bad nonce"),
    ],
    ids=["invalid-root", "invalid-signature", "overspend", "replayed-nonce"],
)
def test_fraudulent_claim_is_proven_replaced_and_honest_users_lose_nothing(lab, attack, reason) -> None:
    fund(lab)
    lab.transfer("alice", "bob", ETH)
    lab.submit_batch()  # batch 1, honest
    lab.transfer("bob", "alice", ETH // 2)
    tx, writes = attack(lab)
    lab.operator.sequencer.inject(tx, writes)  # the malicious operator's step 1
    lab.transfer("bob", "alice", ETH // 4)
    lab.submit_batch()  # batch 2, fraudulent
    assert lab.rollup.call("batch_count") == 3

    challenger_before = lab.l1_balance("challenger")
    (proof,) = lab.challenge()
    (event,) = fraud_events(lab)
    assert event["index"] == 2 and event["step"] == 1 and reason in event["reason"]
    assert lab.rollup.call("batch_count") == 2  # batch 2's claim no longer stands...
    assert lab.rollup.call("batches_posted") == 3  # ...but its transactions stay posted
    assert lab.rollup.call("bond_of", lab.address("operator")) == 0  # slashed
    reward = MINIMAL.min_bond * MINIMAL.challenger_reward_percent // 100
    assert event["reward"] == reward and lab.rollup.call("burned") == MINIMAL.min_bond - reward
    assert lab.l1_balance("challenger") == challenger_before + reward - gas_cost(proof)

    # The operator derived the true state from the posted data (the attack step is a no-op, or
    # Mallory's own transfer without the 3 ETH) and re-proposes batch 2's claim: nothing went back.
    assert lab.operator.returned == [] and lab.operator.sequencer.pending == []
    lab.operator.post_bond(MINIMAL.min_bond)
    lab.submit_batch()
    assert lab.rollup.call("batch_count") == 3
    assert lab.challenge() == []
    honest_mallory_spend = ETH // 10 if reason == "wrong state root" else 0
    assert lab.l2_balance("alice") == 5 * ETH - ETH + ETH // 2 + ETH // 4
    assert lab.l2_balance("bob") == 1 * ETH + ETH - ETH // 2 - ETH // 4 + honest_mallory_spend
    assert lab.l2_balance("mallory") == 1 * ETH - honest_mallory_spend
    assert lab.rebuild().root == lab.operator.state.root


def test_fraud_proof_against_a_valid_step_fails_and_costs_the_challenger(lab: OptimisticLab) -> None:
    fund(lab)
    lab.transfer("alice", "bob", ETH)
    lab.submit_batch()
    node = lab.challenger.node
    assert node.sync() == []
    args = node.fraud_proof(Fault(1, 0, "mistaken"))
    before = lab.l1_balance("challenger")
    with pytest.raises(TransactionReverted, match="no fraud: step 0 of batch 1 is claimed as derivation gives it") as info:
        lab.rollup.transact(lab.keys["challenger"], "prove_fraud", *args, gas=3_000_000)
    assert lab.l1_balance("challenger") == before - gas_cost(info.value.receipt)
    assert lab.rollup.call("batch_count") == 2
    assert lab.rollup.call("bond_of", lab.address("operator")) == MINIMAL.min_bond


def test_challenge_after_the_window_fails(lab: OptimisticLab) -> None:
    fund(lab)
    tx, writes = overspend(lab)
    lab.operator.sequencer.inject(tx, writes)
    lab.submit_batch()
    lab.finalize()  # nobody watched in time
    with pytest.raises(TransactionReverted, match="batch 1 is final"):
        lab.challenge()
    assert lab.rollup.call("batch_count") == 2
    assert lab.rollup.call("bond_of", lab.address("operator")) == MINIMAL.min_bond


# -- withdrawals ------------------------------------------------------------------------------------


def test_withdrawal_before_finality_fails_then_succeeds_once(lab: OptimisticLab) -> None:
    fund(lab)
    lab.withdraw("alice", 2 * ETH, recipient="carol")
    lab.submit_batch()
    carol_before = lab.l1_balance("carol")
    with pytest.raises(TransactionReverted, match="batch 1 is not final"):
        lab.claim_withdrawals("carol", 1)
    assert lab.l1_balance("carol") == carol_before
    assert [(w.final, w.claimed) for w in lab.claimable("carol")] == [(False, False)]
    assert lab.claim_final_withdrawals("carol") == []  # only what L1 would pay is sent
    lab.finalize()
    (receipt,) = lab.claim_withdrawals("carol", 1)
    assert lab.l1_balance("carol") == carol_before + 2 * ETH - gas_cost(receipt)
    with pytest.raises(TransactionReverted, match="already claimed"):
        lab.claim_withdrawals("carol", 1)
    assert [(w.final, w.claimed) for w in lab.claimable("carol")] == [(True, True)]
    assert lab.claim_final_withdrawals("carol") == []
    assert lab.rollup.call("is_claimed", 1, 0) is True
    assert lab.l2_balance("alice") == 3 * ETH


def test_withdrawal_with_a_forged_amount_fails(lab: OptimisticLab) -> None:
    fund(lab)
    lab.withdraw("bob", ETH // 2)
    lab.submit_batch()
    lab.finalize()
    from rollup.optimistic.client import withdrawal_claims

    lab.challenger.node.sync()
    (claim,) = withdrawal_claims(1, lab.challenger.node.batches[1].data)
    forged = claim._replace(amount=ETH)
    with pytest.raises(TransactionReverted, match="withdrawal proof does not match"):
        lab.rollup.transact(lab.keys["bob"], "withdraw", *forged)


# -- deposits ------------------------------------------------------------------------------------------


def test_censored_deposit_is_forced_through(lab: OptimisticLab) -> None:
    fund(lab)
    lab.operator.censor_deposits = True
    carol_l1_before = lab.l1_balance("carol")
    lab.deposit("carol", 2 * ETH)
    lab.transfer("alice", "bob", ETH)
    lab.submit_batch()  # without Carol's deposit: allowed while it is fresh
    assert lab.l2_balance("carol") == 0
    pass_deposit_deadline(lab)
    assert lab.rollup.call("is_overdue", 3) is True
    lab.transfer("bob", "alice", ETH // 2)
    sent = lab.l1.nonce(lab.address("operator"))
    with pytest.raises(InvalidBatch, match="deposit 3 is overdue") as refusal:
        lab.submit_batch()  # the operator's own run of the rule refuses it: nothing goes to L1
    assert refusal.value.rule == "overdue deposit left out"
    assert lab.l1.nonce(lab.address("operator")) == sent
    assert lab.rollup.call("batch_count") == 2
    assert len(lab.operator.sequencer.pending) == 1  # Bob's transfer waits for the next batch

    force_deposits(lab.rollup, lab.keys["carol"])  # Carol bonds and posts it herself
    lab.operator.sync()  # the operator adopts Carol's batch
    assert lab.l2_balance("carol") == 2 * ETH
    lab.submit_batch()
    assert lab.challenge() == []
    assert lab.l2_balance("alice") == 5 * ETH - ETH + ETH // 2
    assert lab.rollup.call("deposits_included") == 4
    assert lab.l1_balance("carol") < carol_l1_before - 2 * ETH  # the deposit and the bond left L1
    assert lab.rebuild().root == lab.operator.state.root


def test_only_the_operator_posts_while_no_deposit_is_overdue(lab: OptimisticLab) -> None:
    fund(lab)
    lab.rollup.transact(lab.keys["carol"], "post_bond", value=MINIMAL.min_bond)
    pass_deposit_deadline(lab)
    with pytest.raises(ValueError, match="no queued deposit"):
        force_deposits(lab.rollup, lab.keys["carol"])
    lab.deposit("alice", ETH)
    lab.operator.censor_deposits = True
    sent = lab.l1.nonce(lab.address("carol"))
    with pytest.raises(InvalidBatch, match="only the operator may submit while no deposit is overdue"):
        force_deposits(lab.rollup, lab.keys["carol"])
    assert lab.l1.nonce(lab.address("carol")) == sent


@pytest.mark.parametrize("bisection", [False, True], ids=["single-round", "bisection"])
def test_a_censored_users_withdrawal_gets_in_behind_an_overdue_deposit_of_its_own(
        l1_kind: str, bisection: bool) -> None:
    """L1 queues deposits only; a user whose signed withdrawal the operator drops makes a deposit, and once
    it is overdue posts a batch of it and the withdrawal herself."""
    from contracts_spec.optimistic.bisection import BisectionRollup

    l1 = new_l1(l1_kind, {private_key_to_address(k): 1000 * ETH for k in KEYS.values()})
    lab = OptimisticLab(l1, KEYS, preset=MINIMAL, **({"contract": BisectionRollup} if bisection else {}))
    fund(lab)
    lab.operator.censor_deposits = True
    withdrawal = lab.wallets["alice"].withdraw(lab.index("alice"), lab.address("alice"), 2 * ETH,
                                               lab.nonce("alice"))  # handed to the operator, who drops it
    lab.deposit("alice", ETH // 1000)
    lab.transfer("bob", "mallory", ETH // 4)
    lab.submit_batch()  # Bob's transfer, without Alice's deposit: allowed while it is fresh
    pass_deposit_deadline(lab)
    force_deposits(lab.rollup, lab.keys["alice"], txs=[withdrawal])
    mine = lab.rollup.call("batch_count") - 1
    lab.operator.sync()  # the operator adopts Alice's batch
    assert lab.l2_balance("alice") == 5 * ETH - 2 * ETH + ETH // 1000
    assert lab.challenge() == []
    lab.finalize()
    before = lab.l1_balance("alice")
    (claim,) = lab.claim_withdrawals("alice", mine)
    assert lab.l1_balance("alice") == before + 2 * ETH - gas_cost(claim)
    assert lab.rebuild().root == lab.operator.state.root


def test_a_forced_batch_with_a_transaction_the_rules_refuse_is_named_and_nothing_is_sent(
        lab: OptimisticLab) -> None:
    fund(lab)
    lab.operator.censor_deposits = True
    lab.deposit("carol", ETH)
    pass_deposit_deadline(lab)
    too_much = lab.wallets["bob"].withdraw(lab.index("bob"), lab.address("bob"), 2 * ETH, lab.nonce("bob"))
    forged = lab.wallets["mallory"].transfer(lab.index("alice"), lab.index("mallory"), ETH, lab.nonce("alice"))
    sent = lab.l1.nonce(lab.address("carol"))
    for bad, rule in ((too_much, "overspend"), (forged, "bad signature")):
        with pytest.raises(ValueError, match=f"transaction 0 .* refused: {rule}"):
            force_deposits(lab.rollup, lab.keys["carol"], txs=[bad])
    assert lab.l1.nonce(lab.address("carol")) == sent  # no bond, no batch
    assert lab.rollup.call("batch_count") == 1


# -- the rollup property -----------------------------------------------------------------------------


def test_state_rebuilt_from_l1_alone_equals_the_operators_root_for_root(lab: OptimisticLab) -> None:
    fund(lab)
    for round_ in range(3):
        lab.transfer("alice", "bob", ETH // 8)
        lab.transfer("bob", "mallory", ETH // 16)
        lab.withdraw("mallory", ETH // 32)
        if round_ == 1:
            lab.deposit("carol", ETH)
        lab.submit_batch()
    node = lab.rebuild()
    assert [b.batch.post_root for b in node.batches] == [p.sealed.batch.post_root for p in lab.operator.posted]
    ours = [e.root for p in lab.operator.posted for e in p.sealed.batch.entries]
    assert [e.root for b in node.batches for e in b.batch.entries] == ours
    assert node.state.accounts == lab.operator.state.accounts
    assert node.root == lab.operator.state.root == lab.rollup.call("state_root")


# -- batching by time and by size -----------------------------------------------------------------------


def test_operator_posts_a_batch_once_it_is_old_enough(lab: OptimisticLab) -> None:
    fund(lab)
    lab.operator.max_batch_age = 10
    lab.transfer("alice", "bob", ETH)
    assert lab.operator.tick() is None  # too young
    lab.advance(11)
    assert lab.operator.tick() is not None
    assert lab.rollup.call("batch_count") == 2
    assert lab.operator.tick() is None  # nothing pending


def test_operator_cuts_a_full_batch_before_admitting_more_and_the_tick_posts_it(lab: OptimisticLab) -> None:
    fund(lab)
    lab.operator.params = dataclasses.replace(lab.operator.params, max_batch_bytes=109 + 3 * 131)
    lab.operator.sequencer.max_batch_bytes = 109 + 3 * 131
    w = lab.wallets["alice"]
    txs = [w.transfer(lab.index("alice"), lab.index("bob"), ETH // 10, n) for n in range(7)]
    assert lab.operator.batch_full is False
    assert lab.operator.submit(txs) == [None] * 7
    assert lab.operator.batch_full is True  # two full batches of 3 wait; admission sent nothing to L1
    assert [len(s.batch.entries) for s in lab.operator.ready] == [3, 3]
    assert lab.rollup.call("batch_count") == 1
    assert lab.operator.tick() is not None  # the timer posts the full ones, not the young seventh
    assert lab.rollup.call("batch_count") == 3  # batch 0, then two full ones of 3
    assert lab.operator.batch_full is False and len(lab.operator.sequencer.pending) == 1
    lab.submit_batch()
    assert lab.l2_balance("bob") == ETH + 7 * ETH // 10
    assert lab.rebuild().root == lab.operator.state.root


def test_a_restarted_operator_recovers_its_state_from_l1(lab: OptimisticLab) -> None:
    fund(lab)
    lab.transfer("alice", "bob", ETH)
    lab.submit_batch()
    tx, writes = overspend(lab)
    lab.operator.sequencer.inject(tx, writes)
    lab.submit_batch()
    lab.challenge()  # batch 2's claim proven wrong; its transactions stay posted
    lab.operator.post_bond(MINIMAL.min_bond)
    lab.transfer("bob", "alice", ETH // 4)
    lab.submit_batch()

    from rollup.optimistic.operator import Operator

    reborn = Operator(lab.rollup, lab.keys["operator"])
    reborn.sync()  # adopts every live batch from L1 calldata
    assert reborn.state.root == lab.operator.state.root == lab.rollup.call("state_root")
    assert reborn.state.accounts == lab.operator.state.accounts
    assert reborn.sequencer.pending == []
