"""The sequencer's batches replay cleanly on a fresh full state, whatever users send."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_spec.optimistic.encoding import decode_batch
from contracts_spec.optimistic.rules import Deposit, Withdraw
from contracts_spec.optimistic.state import FullState
from rollup.optimistic.client import Wallet
from rollup.optimistic.fullnode import Fault, replay_batch
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
    assert replay_batch(FullState(8), batch._replace(prev_root=bytes(32)), 0, DSEP).reason.startswith("prev_root")


def test_deposits_must_come_in_queue_order() -> None:
    seq = Sequencer(8, DSEP)
    with pytest.raises(Rejected, match="deposit 1 out of order: the next one is 0"):
        seq.add_deposit(1, WALLETS[0].raw_address, ETH)
    assert seq.pending == [] and seq.state.accounts == {}
