"""The sequencer's batches replay cleanly on a fresh full state, whatever users send;
the operator runs L1's submission rules before it posts."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_spec.optimistic.encoding import decode_batch
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.rules import Deposit, Withdraw
from contracts_spec.optimistic.state import FullState
from contracts_spec.optimistic.submission import InvalidBatch, is_overdue
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import Wallet
from rollup.optimistic.fullnode import Fault, force_deposits, replay_batch
from rollup.optimistic.lab import OptimisticLab
from rollup.optimistic.sequencer import Rejected, Sequencer

ETH = 10**18
WALLETS = [Wallet(bytes([i + 7]) * 32, 31337, "0x" + "ab" * 20) for i in range(4)]
DSEP = WALLETS[0].domain_separator

op = st.tuples(
    st.sampled_from(["transfer", "withdraw", "deposit"]),
    st.integers(0, 3),  # who
    st.integers(0, 4),  # to (4 has no account)
    st.sampled_from([1, 10**15, ETH, 3 * ETH]),
    st.integers(-1, 1),  # nonce offset: -1 replay, 0 right, 1 gap
)


@settings(max_examples=25, deadline=None)
@given(ops=st.lists(op, min_size=1, max_size=25), cut_every=st.integers(1, 10))
def test_batches_replay_on_a_fresh_state_root_for_root(ops, cut_every) -> None:
    seq = Sequencer(8, DSEP)
    for i, w in enumerate(WALLETS):
        seq.add_deposit(i, w.raw_address, 2 * ETH)
    batches = []
    for n, (kind, who, to, amount, offset) in enumerate(ops):
        account = seq.state.get_account(who)
        nonce = max(0, account.nonce + offset)
        if kind == "transfer":
            seq.submit([WALLETS[who].transfer(who, to, amount, nonce)])
        elif kind == "withdraw":
            seq.submit([WALLETS[who].withdraw(who, WALLETS[to % 4].address, amount, nonce)])
        else:
            seq.add_deposit(seq.next_deposit, WALLETS[who].raw_address, amount)
        if n % cut_every == 0 and (sealed := seq.cut_batch()):
            batches.append(sealed)
    if sealed := seq.cut_batch():
        batches.append(sealed)

    fresh = FullState(8)
    for index, sealed in enumerate(batches):
        assert replay_batch(fresh, decode_batch(sealed.data), index, DSEP) is None
    assert fresh.root == seq.state.root
    assert fresh.accounts == seq.state.accounts
    # Value is conserved: what is on L2 is what came in minus what left.
    entries = [e.tx for sealed in batches for e in sealed.batch.entries]
    deposited = sum(tx.amount for tx in entries if isinstance(tx, Deposit))
    withdrawn = sum(tx.amount for tx in entries if isinstance(tx, Withdraw))
    assert sum(a.balance for a in fresh.accounts.values()) == deposited - withdrawn


def test_replay_reports_the_first_wrong_step() -> None:
    seq = Sequencer(8, DSEP)
    seq.add_deposit(0, WALLETS[0].raw_address, ETH)
    seq.add_deposit(1, WALLETS[1].raw_address, ETH)
    seq.submit([WALLETS[0].transfer(0, 1, 10**15, 0)])
    batch = decode_batch(seq.cut_batch().data)
    lying = batch._replace(entries=[batch.entries[0], batch.entries[1]._replace(root=bytes(32)), batch.entries[2]])
    assert replay_batch(FullState(8), lying, 0, DSEP) == Fault(0, 1, "wrong state root")
    assert replay_batch(FullState(8), batch._replace(prev_accounts_root=bytes(32)), 0, DSEP).reason.startswith(
        "prev_root")


def test_deposits_must_come_in_queue_order() -> None:
    seq = Sequencer(8, DSEP)
    with pytest.raises(Rejected, match="deposit 1 out of order: the next one is 0"):
        seq.add_deposit(1, WALLETS[0].raw_address, ETH)
    assert seq.pending == [] and seq.state.accounts == {}


# -- the operator runs L1's submission rules before it posts ------------------------------------------

NAMES = ("operator", "challenger", "alice", "bob", "carol")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}


def pass_deposit_deadline(lab: OptimisticLab) -> None:
    """Let a deposit's deadline pass: its blocks, and its seconds too."""
    lab.l1.mine(MINIMAL.deposit_deadline_blocks + 1)
    lab.advance(MINIMAL.deposit_deadline_seconds + 1)


@pytest.fixture
def lab() -> OptimisticLab:
    chain = Chain(genesis_alloc={private_key_to_address(k): 1000 * ETH for k in KEYS.values()})
    lab = OptimisticLab(in_process_l1(chain), KEYS, preset=MINIMAL)
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    lab.submit_batch()
    return lab


def test_the_operators_deposit_queue_answers_as_l1_storage_does(lab: OptimisticLab) -> None:
    lab.operator.censor_deposits = True
    lab.deposit("carol", ETH)
    queue = lab.operator.deposit_queue
    assert queue.count() == lab.rollup.call("deposit_count") == 3
    assert queue.account(2) == lab.rollup.call("account_index", lab.address("carol")) == 2

    def overdue(deposit_id: int) -> bool:
        """The operator's reading, checked against L1's where the next transaction runs."""
        ours = is_overdue(queue, deposit_id, lab.l1.block_number() + 1, lab.l1.timestamp())
        assert ours == lab.rollup.call("is_overdue", deposit_id)
        return ours

    seen = []
    for _ in range(MINIMAL.deposit_deadline_blocks + 2):  # blocks alone run no deadline out
        seen.append(overdue(2))
        assert not overdue(3)
        lab.l1.mine(1)
    assert seen == [False] * len(seen)
    lab.advance(MINIMAL.deposit_deadline_seconds + 1)  # nor seconds alone, but both do
    assert overdue(2) and not overdue(3)


def test_a_batch_the_rules_refuse_is_never_sent_and_waits_until_it_passes(lab: OptimisticLab) -> None:
    """A forced batch lands before the operator's: the rule says so, the operator adopts it and posts on top."""
    lab.operator.censor_deposits = True
    lab.deposit("carol", 2 * ETH)
    lab.transfer("alice", "bob", ETH)
    pass_deposit_deadline(lab)
    force_deposits(lab.rollup, lab.keys["carol"])  # Carol forces her deposit in: L1's state root moves on
    sent = lab.l1.nonce(lab.address("operator"))
    with pytest.raises(InvalidBatch, match="prev_root is not the current state root") as refusal:
        lab.operator.post_batch()
    assert refusal.value.rule == "wrong prev_root"
    assert lab.l1.nonce(lab.address("operator")) == sent
    assert [p.tx for p in lab.operator.sequencer.pending][-1].amount == ETH  # the transfer is still pending
    lab.operator.censor_deposits = False
    lab.submit_batch()  # syncs: adopts Carol's batch, re-admits the transfer on top, posts
    assert lab.rollup.call("batch_count") == 3
    assert lab.l2_balance("bob") == 2 * ETH and lab.l2_balance("carol") == 2 * ETH
    assert lab.rebuild().root == lab.operator.state.root


def test_full_batches_wait_for_the_tick_and_are_rebuilt_on_a_batch_that_lands_first(lab: OptimisticLab) -> None:
    small = 109 + 2 * 131  # two transfers per batch
    lab.operator.params = dataclasses.replace(lab.operator.params, max_batch_bytes=small)
    lab.operator.sequencer.max_batch_bytes = small
    lab.operator.censor_deposits = True
    lab.deposit("carol", 2 * ETH)
    alice = lab.wallets["alice"]
    assert lab.operator.submit([alice.transfer(0, 1, ETH // 10, n) for n in range(5)]) == [None] * 5
    assert lab.operator.batch_full and lab.operator.unposted == 5
    pass_deposit_deadline(lab)
    force_deposits(lab.rollup, lab.keys["carol"])  # lands before the operator's full batches
    lab.operator.censor_deposits = False
    lab.operator.tick()  # adopts Carol's batch, re-admits the five on top, posts the full ones
    assert lab.rollup.call("batch_count") == 4  # batch 0, Carol's, two full ones of two
    assert lab.operator.unposted == 1
    lab.submit_batch()
    assert lab.l2_balance("bob") == ETH + 5 * ETH // 10 and lab.l2_balance("carol") == 2 * ETH
    assert lab.rebuild().root == lab.operator.state.root
