"""The optimistic rollup against the attacks of issue 8, each told in the protocol's words.

One test per finding: cheap blocks that ran a deposit deadline out (1), a
fraud proof whose work grew with what others posted (3), a full account tree
that froze the rollup (6), a forced batch that reseated deposits under a
signed transfer (7), and an operator that un-posted a valid payment by
proving its own fraud (8), with the two ways the rule that answers 8 (an
invalid posted step is a no-op) could be turned into a theft of
withdrawals. Each checks what honest users hold before and after: the attack
fails and they lose nothing. Time moves with ``increase_time``, never with
sleep.
"""

from __future__ import annotations

import pytest

from contracts_spec.l1 import TransactionReverted
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.state import FullState
from contracts_spec.optimistic.submission import InvalidBatch
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import WithdrawalClaim
from rollup.optimistic.fullnode import Challenger, Fault, FullNode, force_deposits
from rollup.optimistic.lab import OptimisticLab
from rollup.optimistic.sequencer import Sequencer
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob", "carol", "mallory")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}


def make_lab(kind: str = "toy", extra: dict[str, bytes] | None = None) -> OptimisticLab:
    """The rollup's actors on a fresh L1 of ``kind``: the toy L1, or anvil with the Solidity twin."""
    keys = {**KEYS, **(extra or {})}
    return OptimisticLab(new_l1(kind, {private_key_to_address(k): 1000 * ETH for k in keys.values()}), keys,
                         preset=MINIMAL)


@pytest.fixture
def lab(l1_kind: str) -> OptimisticLab:
    return make_lab(l1_kind)


def gas_cost(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)


def fund(lab: OptimisticLab) -> None:
    """Alice deposits 5 ETH, Bob and Mallory 1 ETH each; the operator posts them as batch 0."""
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    lab.deposit("mallory", ETH)
    lab.submit_batch()


def fraud_events(lab: OptimisticLab) -> list[dict]:
    return lab.l1.events(lab.rollup.address, OptimisticRollup, "FraudProven")


def withdraw_to_l1(lab: OptimisticLab, name: str, amount: int) -> int:
    """``name`` withdraws ``amount`` from L2, waits out the window and claims it; what its L1 balance gained."""
    lab.withdraw(name, amount)
    lab.submit_batch()
    assert lab.challenge() == []
    lab.finalize()
    before = lab.l1_balance(name)
    receipts = lab.claim_final_withdrawals(name)
    return lab.l1_balance(name) - before + sum(gas_cost(r) for r in receipts)


# -- finding 1, second half: deadlines count seconds as well as blocks ---------------------------


def test_cheap_blocks_do_not_run_a_deposit_deadline_out(lab: OptimisticLab) -> None:
    """Six empty blocks in one second leave Carol's deposit fresh: the deadline needs its seconds too."""
    lab.deposit("alice", 5 * ETH)
    lab.submit_batch()
    lab.operator.censor_deposits = True  # the operator sits on Carol's deposit for now
    lab.deposit("carol", 2 * ETH)  # deposit 1
    lab.rollup.transact(lab.keys["mallory"], "post_bond", value=MINIMAL.min_bond)

    lab.l1.mine(MINIMAL.deposit_deadline_blocks + 1)  # blocks are cheap, and these share a timestamp
    assert lab.rollup.call("is_overdue", 1) is False
    sent = lab.l1.nonce(lab.address("mallory"))
    with pytest.raises(InvalidBatch, match="only the operator may submit"):
        force_deposits(lab.rollup, lab.keys["mallory"])  # so nobody may force a batch yet
    assert lab.l1.nonce(lab.address("mallory")) == sent
    assert lab.rollup.call("batch_count") == 1

    lab.advance(MINIMAL.deposit_deadline_seconds + 1)  # once the seconds have passed as well...
    assert lab.rollup.call("is_overdue", 1) is True
    force_deposits(lab.rollup, lab.keys["carol"])  # ...Carol forces her deposit in herself
    lab.operator.censor_deposits = False
    lab.operator.sync()
    assert lab.l2_balance("carol") == 2 * ETH and lab.l2_balance("alice") == 5 * ETH
    assert lab.rebuild().root == lab.operator.state.root


# -- finding 3: a fraud proof does bounded work, whatever was posted after the fraud -----------------


def theft_then_later_batches(later: int, kind: str = "toy") -> tuple[int, OptimisticLab]:
    """The operator credits Mallory 3 ETH from nowhere in batch 1, then posts ``later`` valid batches.

    Each later batch is one honest payment of Alice to Bob. The challenger
    then proves the theft; returns the proof's gas and the lab.
    """
    lab = make_lab(kind)
    fund(lab)
    m, b = lab.index("mallory"), lab.index("bob")
    tx = lab.wallets["mallory"].transfer(m, b, ETH // 10, lab.nonce("mallory"))
    mallory, bob = lab.operator.state.get_account(m), lab.operator.state.get_account(b)
    lab.operator.sequencer.inject(tx, {m: mallory._replace(balance=mallory.balance - ETH // 10 + 3 * ETH,
                                                           nonce=mallory.nonce + 1),
                                       b: bob._replace(balance=bob.balance + ETH // 10)})
    lab.submit_batch()
    for _ in range(later):
        lab.transfer("alice", "bob", 10**12)
        lab.submit_batch()
    assert lab.rollup.call("batch_count") == 2 + later
    (proof,) = lab.challenge()
    (event,) = fraud_events(lab)
    assert event["index"] == 1 and "wrong state root" in event["reason"]
    return int(proof["gasUsed"], 16), lab


def test_a_fraud_proof_costs_the_same_after_200_later_batches_and_their_payments_stand(l1_kind: str) -> None:
    alone, _ = theft_then_later_batches(0, l1_kind)
    crowded, lab = theft_then_later_batches(200, l1_kind)
    assert crowded <= alone * 1.03, f"{crowded:,} gas after 200 later batches against {alone:,} with none"

    # Honest users lose nothing: every later batch's data stays posted; the operator re-proposes
    # their claims, one L1 call each, and Alice's 200 payments to Bob stand.
    lab.operator.post_bond(MINIMAL.min_bond)
    lab.submit_batch()
    assert lab.challenge() == []
    node = lab.rebuild()
    assert node.root == lab.rollup.call("state_root") == lab.operator.state.root
    assert node.state.balance(lab.index("bob")) == ETH + ETH // 10 + 200 * 10**12
    assert node.state.balance(lab.index("alice")) == 5 * ETH - 200 * 10**12
    assert node.state.balance(lab.index("mallory")) == ETH - ETH // 10  # her own payment, no 3 ETH
    assert withdraw_to_l1(lab, "bob", ETH) == ETH


# -- finding 6: a deposit that could never be placed is refused on L1 ---------------------------------


def test_a_full_account_tree_refuses_a_new_account_and_the_rollup_goes_on(l1_kind: str) -> None:
    fillers = {f"filler{i}": (1000 + i).to_bytes(32, "big") for i in range(2**MINIMAL.tree_depth - 3)}
    newcomer = {"newcomer": (5000).to_bytes(32, "big")}
    lab = make_lab(l1_kind, {**fillers, **newcomer})
    fund(lab)  # three accounts
    for name in fillers:  # 253 one-wei deposits take every index that is left
        lab.rollup.transact(lab.keys[name], "deposit", lab.address(name), value=1)
    lab.submit_batch()
    assert len(lab.operator.state.accounts) == 2**MINIMAL.tree_depth

    newcomer_before = lab.l1_balance("newcomer")
    with pytest.raises(TransactionReverted, match="account tree is full") as refusal:
        lab.rollup.transact(lab.keys["newcomer"], "deposit", lab.address("newcomer"), value=ETH, gas=200_000)
    assert lab.l1_balance("newcomer") == newcomer_before - gas_cost(refusal.value.receipt)

    lab.deposit("bob", ETH)  # an existing account still takes deposits
    lab.transfer("alice", "bob", ETH)
    lab.submit_batch()  # and batches still go in
    assert lab.rollup.call("deposits_included") == lab.rollup.call("deposit_count")
    assert withdraw_to_l1(lab, "bob", 3 * ETH) == 3 * ETH
    assert lab.rebuild().root == lab.operator.state.root


# -- finding 7: what a signature binds to is fixed on L1 ------------------------------------------------


def force_reseated(lab: OptimisticLab, name: str, seats: dict[bytes, int],
                   monkeypatch: pytest.MonkeyPatch) -> dict:
    """``name`` forces the queued deposits in, in queue order, but at the account indices of its choice."""
    node = FullNode(lab.rollup)
    node.sync()
    seq = Sequencer(node.depth, node.domain_separator, max_batch_bytes=MINIMAL.max_batch_bytes,
                    keep_checkpoints=False)
    seq.reset(node.state, lab.rollup.call("deposits_included"))
    real = FullState.deposit_index
    with monkeypatch.context() as patch:
        patch.setattr(FullState, "deposit_index", lambda self, address: seats.get(address, real(self, address)))
        while seq.next_deposit in node.deposits:
            address, amount = node.deposits[seq.next_deposit]
            seq.add_deposit(seq.next_deposit, address, amount)
    sealed = seq.cut_batch()
    lab.rollup.transact(lab.keys[name], "post_bond", value=MINIMAL.min_bond)
    return lab.rollup.transact(lab.keys[name], "submit_batch", sealed.data)


def test_a_forced_batch_cannot_reseat_a_deposit_under_a_signed_transfer(lab, monkeypatch) -> None:
    lab.deposit("alice", 5 * ETH)
    lab.submit_batch()
    lab.operator.max_batch_age = 10**6  # a slow operator: its next batch waits
    lab.deposit("mallory", ETH)
    lab.deposit("bob", ETH)
    bobs_index = lab.index("bob")  # the index Bob's deposit has, as published before any batch holds it
    tx = lab.wallets["alice"].transfer(lab.index("alice"), bobs_index, 2 * ETH, lab.nonce("alice"))
    assert lab.operator.submit([tx]) == [None]  # Alice signs 2 ETH to that index

    lab.l1.mine(MINIMAL.deposit_deadline_blocks + 1)
    lab.advance(MINIMAL.deposit_deadline_seconds + 1)  # the deposits are overdue: anyone may force them
    seats = {lab.raw("mallory"): bobs_index, lab.raw("bob"): lab.index("mallory")}
    try:
        force_reseated(lab, "mallory", seats, monkeypatch)  # Mallory seats herself where Bob was
        reseated = True
    except TransactionReverted as exc:
        assert "deposits differ from the L1 queue" in exc.reason
        reseated = False
    lab.submit_batch()  # the operator adopts what is on L1 and posts Alice's signed transfer on top
    assert lab.challenge() == []

    node = lab.rebuild()
    bob, mallory = node.state.index_of[lab.raw("bob")], node.state.index_of[lab.raw("mallory")]
    assert node.state.balance(bob) == 3 * ETH  # Alice's payment reached Bob
    assert node.state.balance(mallory) == ETH
    assert bob == bobs_index
    assert not reseated


# -- finding 8: posted data stays posted; a fraud proof only replaces a claim ------------------------------


def forget_what_was_handed_back(lab: OptimisticLab) -> None:
    """The colluding operator drops whatever a fraud proof handed back to its mempool."""
    seq = lab.operator.sequencer
    seq.reset(seq.base, seq.batch_first_deposit)
    lab.operator.ready = []


def test_the_operator_cannot_unpost_a_valid_payment_by_proving_its_own_fraud(lab: OptimisticLab) -> None:
    fund(lab)
    lab.deposit("carol", ETH)
    lab.submit_batch()
    a, m, c = lab.index("alice"), lab.index("mallory"), lab.index("carol")
    lab.transfer("mallory", "bob", ETH // 2)  # Mallory pays Bob, nonce 0: a valid payment
    forged = lab.wallets["mallory"].transfer(a, m, 4 * ETH, lab.nonce("alice"))
    alice, mallory = lab.operator.state.get_account(a), lab.operator.state.get_account(m)
    lab.operator.sequencer.inject(forged, {  # then a junk step whose claim lies
        a: alice._replace(balance=alice.balance - 4 * ETH, nonce=alice.nonce + 1),
        m: mallory._replace(balance=mallory.balance + 4 * ETH)})
    lab.submit_batch()  # batch 2
    operator_before = lab.l1_balance("operator")

    (own,) = Challenger(lab.rollup, lab.keys["operator"]).watch()  # the operator proves its own fraud
    gained = lab.l1_balance("operator") - operator_before + gas_cost(own)
    lab.operator.sync()
    forget_what_was_handed_back(lab)
    respend = lab.wallets["mallory"].transfer(m, c, ETH // 2, 0)  # Mallory signs nonce 0 again, to Carol
    lab.operator.submit([respend])  # the colluding operator takes it if it can
    lab.operator.post_bond(MINIMAL.min_bond)
    lab.submit_batch()
    assert lab.challenge() == []

    node = lab.rebuild()
    assert node.state.balance(lab.index("bob")) == ETH + ETH // 2  # Bob keeps Mallory's payment
    assert node.state.balance(c) == ETH  # the re-spend paid Carol nothing
    assert node.state.balance(m) == ETH // 2
    assert node.state.balance(a) == 5 * ETH  # the junk step moved nothing
    assert withdraw_to_l1(lab, "bob", ETH + ETH // 2) == ETH + ETH // 2

    # Proving its own fraud gained the operator nothing: its bond is gone, none of it paid back to it.
    (event,) = fraud_events(lab)
    assert event["index"] == 2 and event["reward"] == 0 and event["burned"] == MINIMAL.min_bond
    assert gained == 0


def test_a_junk_withdrawal_posted_as_the_no_op_it_is_pays_nothing_and_cannot_be_disputed(lab) -> None:
    fund(lab)
    a = lab.index("alice")
    junk = lab.wallets["mallory"].withdraw(a, lab.address("mallory"), 4 * ETH, lab.nonce("alice"))
    lab.operator.sequencer.inject(junk, {}, applies=False)  # Alice's ETH, Mallory's signature: a no-op
    lab.transfer("alice", "bob", ETH)  # the steps after it apply on top
    lab.withdraw("bob", ETH)
    lab.submit_batch()  # batch 1: its claim is right, the junk step skipped
    assert lab.challenge() == []
    step0 = lab.challenger.node.fraud_proof(Fault(1, 0, "junk"))
    with pytest.raises(TransactionReverted, match="no fraud: step 0 of batch 1 is claimed as derivation gives it"):
        lab.rollup.transact(lab.keys["challenger"], "prove_fraud", *step0, gas=3_000_000)

    lab.finalize()
    assert lab.claimable("mallory") == []  # the withdrawal root holds no junk
    forged = WithdrawalClaim(1, *lab.claimable("bob")[0].claim[1:4], 0, lab.address("mallory"), 4 * ETH, a, 0, [])
    mallory_before = lab.l1_balance("mallory")
    with pytest.raises(TransactionReverted, match="withdrawal proof does not match"):
        lab.rollup.transact(lab.keys["mallory"], "withdraw", *forged, gas=500_000)
    assert lab.l1_balance("mallory") < mallory_before  # she paid gas and got nothing
    bob_before = lab.l1_balance("bob")
    (receipt,) = lab.claim_final_withdrawals("bob")
    assert lab.l1_balance("bob") == bob_before + ETH - gas_cost(receipt)
    node = lab.rebuild()
    assert node.state.balance(a) == 4 * ETH and node.state.balance(lab.index("bob")) == ETH


def test_a_claim_that_pays_a_junk_withdrawal_is_proven_wrong_and_replaced(lab) -> None:
    fund(lab)
    a = lab.index("alice")
    junk = lab.wallets["mallory"].withdraw(a, lab.address("mallory"), 4 * ETH, lab.nonce("alice"))
    lab.operator.sequencer.inject(junk, {})  # moves no balance, but claims the withdrawal applies
    lab.withdraw("bob", ETH)  # Bob's own withdrawal, in the same batch
    lab.submit_batch()
    (proof,) = lab.challenge()
    (event,) = fraud_events(lab)
    assert event["index"] == 1 and event["step"] == 0 and "bad signature" in event["reason"]
    assert not any(w.claimable for w in lab.claimable("mallory"))  # the false claim never becomes final

    lab.operator.post_bond(MINIMAL.min_bond)
    lab.submit_batch()  # the true claim: the junk skipped, Bob's withdrawal applied
    assert lab.challenge() == []
    lab.finalize()
    assert lab.claimable("mallory") == []
    bob_before = lab.l1_balance("bob")
    (receipt,) = lab.claim_final_withdrawals("bob")
    assert lab.l1_balance("bob") == bob_before + ETH - gas_cost(receipt)
    assert lab.rebuild().state.balance(a) == 5 * ETH
