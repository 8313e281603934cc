"""The optimistic rollup against the attacks of issue 8, each told in the protocol's words.

One test per finding: cheap blocks that ran a deposit deadline out (1), a
full account tree that froze the rollup (6), and a forced batch that
reseated deposits under a signed transfer (7). Each checks what honest users
hold before and after: the attack fails and they lose nothing. Time moves
with ``increase_time``, never with sleep.
"""

from __future__ import annotations

import pytest

from contracts_spec.l1 import TransactionReverted
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.state import FullState
from contracts_spec.optimistic.submission import InvalidBatch
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import FullNode, force_deposits
from rollup.optimistic.lab import OptimisticLab
from rollup.optimistic.sequencer import Sequencer

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob", "carol", "mallory")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}


def make_lab(extra: dict[str, bytes] | None = None) -> OptimisticLab:
    keys = {**KEYS, **(extra or {})}
    chain = Chain(genesis_alloc={private_key_to_address(k): 1000 * ETH for k in keys.values()})
    return OptimisticLab(in_process_l1(chain), keys, preset=MINIMAL)


@pytest.fixture
def lab() -> OptimisticLab:
    return make_lab()


def gas_cost(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)


def fund(lab: OptimisticLab) -> None:
    """Alice deposits 5 ETH, Bob and Mallory 1 ETH each; the operator posts them as batch 0."""
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    lab.deposit("mallory", ETH)
    lab.submit_batch()


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


# -- finding 6: a deposit that could never be placed is refused on L1 ---------------------------------


def test_a_full_account_tree_refuses_a_new_account_and_the_rollup_goes_on() -> None:
    fillers = {f"filler{i}": (1000 + i).to_bytes(32, "big") for i in range(2**MINIMAL.tree_depth - 3)}
    newcomer = {"newcomer": (5000).to_bytes(32, "big")}
    lab = make_lab({**fillers, **newcomer})
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
