"""The optimistic rollup against the attacks of issue 8, each told in the protocol's words.

One test per finding: cheap blocks that ran a deposit deadline out (1). Each
checks what honest users hold before and after: the attack fails and they
lose nothing. Time moves with ``increase_time``, never with sleep.
"""

from __future__ import annotations

import pytest

from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.submission import InvalidBatch
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import force_deposits
from rollup.optimistic.lab import OptimisticLab

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
