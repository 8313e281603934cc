"""The safety checklist (docs/ARCHITECTURE.md, "Safety invariants") for the zk-rollup: one scenario per invariant.

1. Time is not for sale: ``test_time_is_not_for_sale_the_deposit_deadline_counts_blocks_and_slots``.
2. Every honest party can act in time: ``test_every_honest_party_can_act_in_time_anyone_starts_exodus_once_a_deposit_is_overdue``
   and ``test_every_honest_party_can_act_in_time_a_flood_of_deposits_cannot_force_exodus_on_an_operator_that_keeps_up``.
3. Bounded work: ``test_bounded_work_commit_gas_does_not_grow_with_the_state_and_pubdata_is_fixed`` (commits)
   and the exit gas in ``test_no_frozen_state_exodus_pays_everyone_and_refunds_every_unprocessed_deposit``.
4. Posted data is final: ``test_posted_data_is_final_a_verified_batch_cannot_be_replaced_or_replayed``.
5. Identities are fixed by L1: ``test_identities_are_fixed_by_l1_indices_owners_and_canonical_keys``.
6. No frozen state: ``test_no_frozen_state_exodus_pays_everyone_and_refunds_every_unprocessed_deposit``.
7. Nothing acknowledged is lost: tests/test_zk_operator.py (SIGKILL mid-proof, after the proof, during the
   commit; a restart while the worker proves; a dead worker; L1 reorganisations), named in
   ``test_nothing_acknowledged_is_lost_is_covered_by_the_operator_tests``.
8. The node is not an open door: the zk-rollup has no REST routes yet; the JSON-RPC admin methods its
   deadlines depend on (time travel, mining, snapshots) are tested over HTTP in tests/test_safety_node_doors.py,
   and the REST admin routes with the scheme's router where they are built.

The module shares one deployment (``world``) across the bounded-work, finality and exodus scenarios, in
file order: exodus, which ends the rollup, comes last.
"""

from __future__ import annotations

import pytest

from contracts_spec.l1 import TransactionReverted
from contracts_spec.zk import keys
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.params import SMALL
from node.chain import Chain
from node.rpc import in_process_l1, is_admin_method
from primitives.secp256k1 import private_key_to_address
from primitives.snark import babyjub
from rollup.zk.fullnode import ZkFullNode
from rollup.zk.lab import ZkLab
from rollup.zk.prover import BatchProver

ETH = 10**18
NAMES = ("operator", "alice", "bob", "carol", "dave", "erin", "mallory")
KEYS = {name: bytes([i + 51]) * 32 for i, name in enumerate(NAMES)}
PROVER = BatchProver(SMALL)
DEADLINE_BLOCKS, DEADLINE_SECONDS = SMALL.deposit_deadline_blocks, SMALL.deposit_deadline_seconds


def new_lab() -> ZkLab:
    chain = Chain(genesis_alloc={private_key_to_address(k): 1000 * ETH for k in KEYS.values()})
    return ZkLab(in_process_l1(chain), KEYS, preset=SMALL, prover=PROVER)


def gas(receipt: dict) -> int:
    return int(str(receipt["gasUsed"]), 0)


def fee(receipt: dict) -> int:
    return gas(receipt) * int(str(receipt["effectiveGasPrice"]), 0)


def refused(lab: ZkLab, name: str, method: str, *args, match: str, value: int = 0, gas_limit: int = 2_000_000) -> None:
    before = (lab.call("state_root"), lab.call("counters"), lab.call("exodus"), lab.l1.balance(lab.address))
    with pytest.raises(TransactionReverted, match=match):
        lab.transact(name, method, *args, value=value, gas=gas_limit)
    assert (lab.call("state_root"), lab.call("counters"), lab.call("exodus"), lab.l1.balance(lab.address)) == before


# -- 1. time is not for sale -------------------------------------------------------------------


def test_time_is_not_for_sale_the_deposit_deadline_counts_blocks_and_slots() -> None:
    lab = new_lab()
    lab.deposit("alice", ETH)
    start = lab.l1.timestamp()
    # many blocks mined within one second share its timestamp: the blocks pass, the slots do not
    lab.l1.mine(10 * DEADLINE_BLOCKS)
    assert lab.l1.timestamp() - start <= 2
    assert not lab.call("overdue")
    refused(lab, "mallory", "activate_exodus", match="no deposit is overdue")
    # seconds alone (one block of authenticated time travel) do not make it overdue either...
    lab2 = new_lab()
    lab2.deposit("alice", ETH)
    lab2.l1.increase_time(10 * DEADLINE_SECONDS)
    assert not lab2.call("overdue")
    # ...both together do; and the clock moves only by time travel, an admin method over HTTP
    lab.l1.increase_time(DEADLINE_SECONDS + 1)
    assert lab.call("overdue")
    assert all(is_admin_method(m) for m in ("evm_increaseTime", "evm_setNextBlockTimestamp", "evm_mine",
                                            "evm_revert"))


# -- 2. every honest party can act in time -----------------------------------------------------


def test_every_honest_party_can_act_in_time_anyone_starts_exodus_once_a_deposit_is_overdue() -> None:
    lab = new_lab()
    lab.deposit("alice", ETH)
    lab.l1.mine(DEADLINE_BLOCKS + 1)
    lab.l1.increase_time(DEADLINE_SECONDS + 1)
    assert lab.call("overdue")
    receipt = lab.transact("mallory", "activate_exodus")  # not the depositor, not the operator: anyone
    assert receipt["status"] in (1, "0x1") and lab.call("exodus")
    before = lab.l1.balance(lab.eth_address("alice"))
    refund = lab.transact("carol", "refund_deposit", 0)
    assert lab.l1.balance(lab.eth_address("alice")) == before + ETH and fee(refund) > 0


def test_every_honest_party_can_act_in_time_a_flood_of_deposits_cannot_force_exodus_on_an_operator_that_keeps_up(
) -> None:
    lab = new_lab()
    for name in ("alice", "bob", "carol", "dave"):  # twice the deposit slots, queued at once
        lab.deposit(name, ETH)
    lab.l1.increase_time(DEADLINE_SECONDS * 2 // 3)
    lab.submit_batch()  # fills both deposit slots: the deadline starts again for the rest
    lab.l1.mine(DEADLINE_BLOCKS + 1)
    lab.l1.increase_time(DEADLINE_SECONDS * 2 // 3)
    # deposit 2 waited longer than the deadline since it was queued, but not since the last full batch
    assert not lab.call("overdue")
    refused(lab, "mallory", "activate_exodus", match="no deposit is overdue")
    lab.submit_batch()
    assert lab.call("counters")[1] == 4
    # the other side: an operator that stops keeping up (or censors) does meet the deadline
    lab.deposit("erin", ETH)
    lab.l1.mine(DEADLINE_BLOCKS + 1)
    lab.l1.increase_time(DEADLINE_SECONDS + 1)
    assert lab.call("overdue")
    lab.transact("mallory", "activate_exodus")
    assert lab.call("exodus")


# -- the shared deployment ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> dict:
    """Three full batches: 0, 2 and then 4 accounts before each; batches 2 and 3 have the same shape."""
    lab = new_lab()
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", 2 * ETH)
    b1 = lab.submit_batch()
    lab.deposit("carol", ETH)
    lab.deposit("dave", ETH)
    lab.transfer("alice", "bob", ETH)
    lab.withdraw("bob", ETH)
    b2 = lab.submit_batch()
    lab.claim("bob")
    lab.deposit("erin", ETH)
    lab.deposit("mallory", ETH)
    lab.transfer("alice", "bob", ETH)
    lab.withdraw("bob", 3 * ETH)  # everything bob has: his account stays, at zero
    b3 = lab.submit_batch()
    return {"lab": lab, "batches": [b1, b2, b3]}


# -- 3. bounded work ---------------------------------------------------------------------------


def test_bounded_work_commit_gas_does_not_grow_with_the_state_and_pubdata_is_fixed(world) -> None:
    lab, (_, (_, r2), (p3, r3)) = world["lab"], world["batches"]
    # the same batch shape at 2 and at 4 accounts: the same work (the calldata's zero bytes differ a little)
    assert abs(gas(r2) - gas(r3)) < 1_000, (gas(r2), gas(r3))
    assert gas(r3) < 700_000
    # pubdata has one length per preset, whatever the batch holds; more is refused
    assert len(p3.batch.pubdata) == pd.pubdata_length(SMALL)
    data = pd.encode_commit(p3.batch.new_root, p3.proof, p3.batch.pubdata + bytes(1))
    with pytest.raises(TransactionReverted, match="exactly"):
        lab.l1.transact(KEYS["operator"], lab.address, ZkRollup, "commit_and_verify", data, gas=2_000_000)


# -- 4. posted data is final -------------------------------------------------------------------


def test_posted_data_is_final_a_verified_batch_cannot_be_replaced_or_replayed(world) -> None:
    lab, (_, (p2, _), (p3, _)) = world["lab"], world["batches"]
    root = lab.call("state_root")
    # an older batch, and the last one again: both start from an old root and an old deposit chain
    # (these also process deposits already processed, which L1 refuses first)
    for proved in (p2, p3):
        data = pd.encode_commit(proved.batch.new_root, proved.proof, proved.batch.pubdata)
        with pytest.raises(TransactionReverted, match="proof does not verify|only 0 are queued"):
            lab.l1.transact(KEYS["operator"], lab.address, ZkRollup, "commit_and_verify", data, gas=2_000_000)
    # replacing batch 3 by another outcome from the same old root: same failure, the root stays
    data = pd.encode_commit((p3.batch.new_root + 1) % (1 << 250), p3.proof, p3.batch.pubdata)
    with pytest.raises(TransactionReverted, match="proof does not verify|only 0 are queued"):
        lab.l1.transact(KEYS["operator"], lab.address, ZkRollup, "commit_and_verify", data, gas=2_000_000)
    assert lab.call("state_root") == root and lab.call("counters")[3] == 3


# -- 5. identities are fixed by L1 -------------------------------------------------------------


def test_identities_are_fixed_by_l1_indices_owners_and_canonical_keys() -> None:
    lab = new_lab()
    lab.deposit("alice", ETH)
    lab.deposit("bob", ETH)
    events = sorted(lab.l1.events(lab.address, ZkRollup, "DepositQueued"), key=lambda e: e["id"])
    assert [e["account"] for e in events] == [1, 2]  # assigned by L1, in order, never chosen by a poster
    # another deposit to alice's key and owner lands in her account; with mallory as owner it opens another
    lab.deposit("alice", ETH)
    px, py = keys.registration_point(lab.public_key("alice"))
    lab.transact("mallory", "deposit", px, py, lab.eth_address("mallory"), value=ETH)
    events = sorted(lab.l1.events(lab.address, ZkRollup, "DepositQueued"), key=lambda e: e["id"])
    assert [e["account"] for e in events] == [1, 2, 1, 3]
    assert lab.call("owner_of", 1).lower() == lab.eth_address("alice").lower()
    assert lab.call("owner_of", 3).lower() == lab.eth_address("mallory").lower()
    # a registration point with a small-order component: L1 binds 8 P, the canonical key, never the other one
    t8 = babyjub.mul(babyjub.GENERATOR, babyjub.SUBORDER)  # a point of order 8
    assert babyjub.mul(t8, 4) != babyjub.IDENTITY
    lab.transact("carol", "deposit", *babyjub.add((px, py), t8), lab.eth_address("carol"), value=ETH)
    last = sorted(lab.l1.events(lab.address, ZkRollup, "DepositQueued"), key=lambda e: e["id"])[-1]
    assert (last["ax"], last["ay"]) == lab.public_key("alice") and babyjub.in_subgroup((last["ax"], last["ay"]))
    # a point of small order alone is refused
    for bad in ((0, 1), (0, babyjub.P - 1), t8):
        refused(lab, "carol", "deposit", *bad, lab.eth_address("carol"), value=ETH, match="small order",
                gas_limit=500_000)


# -- 7, 8: elsewhere ----------------------------------------------------------------------------


def test_nothing_acknowledged_is_lost_is_covered_by_the_operator_tests() -> None:
    from tests import test_zk_operator as t

    for name in ("test_an_acknowledged_operation_survives_sigkill_of_the_operator",
                 "test_restart_while_the_worker_is_proving_and_a_dead_worker_is_replaced",
                 "test_an_operation_made_void_by_what_l1_verified_is_dropped_with_its_reason",
                 "test_a_batch_l1_drops_comes_back_to_the_mempool_and_a_remined_batch_is_readopted",
                 "test_a_deposit_l1_drops_is_dropped_and_a_reassigned_index_is_never_paid"):
        assert callable(getattr(t, name)), name


# -- 6. no frozen state (last: it ends the shared rollup) --------------------------------------


def test_no_frozen_state_exodus_pays_everyone_and_refunds_every_unprocessed_deposit(world) -> None:
    lab = world["lab"]
    lab.claim("bob")
    lab.deposit("carol", 2 * ETH)  # never processed: the operator has gone
    lab.l1.mine(DEADLINE_BLOCKS + 1)
    lab.l1.increase_time(DEADLINE_SECONDS + 1)
    lab.transact("mallory", "activate_exodus")
    node = ZkFullNode(lab.l1, lab.address, SMALL)
    node.sync()
    assert node.state.root == lab.call("state_root")
    exit_gas = []
    for name in ("alice", "bob", "carol", "dave", "erin", "mallory"):
        i = lab.index(name)
        owed = node.state.account(i).balance
        before = lab.l1.balance(lab.eth_address(name))
        receipt = lab.exit(name, node)  # bob's balance is zero: his exit still goes through
        exit_gas.append(gas(receipt))
        assert lab.l1.balance(lab.eth_address(name)) == before + owed - fee(receipt)
        assert lab.call("exited", i)
    assert node.state.account(lab.index("bob")).balance == 0
    # bounded work: an exit costs the same whatever the account, one Poseidon per level at depth 8
    assert max(exit_gas) - min(exit_gas) < 12_000, exit_gas
    assert max(exit_gas) < 5 * 54_352 + 100_000
    before = lab.l1.balance(lab.eth_address("carol"))
    refund = lab.transact("mallory", "refund_deposit", 6)
    assert lab.l1.balance(lab.eth_address("carol")) == before + 2 * ETH and fee(refund) > 0
    assert lab.l1.balance(lab.address) == 0  # nothing left behind, nothing paid twice


def test_identities_are_fixed_by_l1_a_signed_transfer_binds_its_recipients_key() -> None:
    from contracts_spec.zk import float40
    from contracts_spec.zk.rules import Account, OpRefused, Transfer, apply_op, sign
    from contracts_spec.zk.state import ZkState

    alice, carol, mallory = (keys.public_key(bytes([k]) * 32) for k in (1, 2, 3))
    state = ZkState(SMALL.depth_bits, 7)
    state.accounts[1] = Account(*alice, 5 * ETH, 0)
    state.accounts[2] = Account(*carol, 0, 0)
    op = sign(Transfer(1, 2, float40.pack(ETH), 0), bytes([1]) * 32, 7, SMALL.depth_bits, carol)
    apply_op(state, op)  # alice pays carol at index 2
    state.accounts[2] = Account(*mallory, 0, 0)  # after a reorganisation index 2 is mallory's
    with pytest.raises(OpRefused):
        apply_op(state, op)
