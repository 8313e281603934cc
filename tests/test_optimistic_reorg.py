"""Finding 12 of the hardening: an L1 reorganisation (``evm_revert``) must not wedge the operator or lose
an accepted transaction.

Before, the operator went on building on batches L1 no longer had: every tick
failed ("prev_root is not the current state root"), and after a restart the
transfer it had accepted since was dropped as a bad nonce, because the log had
forgotten the earlier transfer the reverted batch held.
"""

from __future__ import annotations

import pytest

from contracts_spec.optimistic.params import MINIMAL
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import Wallet
from rollup.optimistic.fullnode import FullNode
from rollup.optimistic.service import OptimisticService, tx_json

ETH = 10**18
OPERATOR, ALICE, BOB = (bytes([i]) * 32 for i in (1, 2, 3))


@pytest.fixture
def world(tmp_path):
    chain = Chain(genesis_alloc={private_key_to_address(k): 100 * ETH for k in (OPERATOR, ALICE, BOB)})
    l1 = in_process_l1(chain)
    service = OptimisticService.deploy(l1, OPERATOR, MINIMAL, data_dir=tmp_path)
    for key in (ALICE, BOB):
        service.rollup.transact(key, "deposit", private_key_to_address(key), value=5 * ETH)
    service.post_batch()
    yield chain, l1, service, tmp_path
    service.close()
    chain.close()


def send(service, l1, key: bytes, nonce: int, amount: int) -> dict:
    wallet = Wallet(key, l1.chain_id, service.rollup.address)
    tx = wallet.transfer(0 if key == ALICE else 1, 1 if key == ALICE else 0, amount, nonce)
    return service.submit(tx_json(tx))


def balances_on_l1(service) -> tuple[int, int]:
    node = FullNode(service.rollup)
    node.sync()
    return node.state.balance(0), node.state.balance(1)


def test_the_operator_follows_an_evm_revert_and_keeps_every_accepted_transfer(world) -> None:
    chain, l1, service, _ = world
    snapshot = l1.rpc("evm_snapshot")
    assert send(service, l1, ALICE, 0, ETH)["accepted"]
    assert service.post_batch()["posted"]  # batch 1 holds Alice's first transfer
    assert l1.rpc("evm_revert", snapshot) is True  # ...and L1 takes it back
    assert send(service, l1, ALICE, 1, 2 * ETH)["accepted"]  # accepted against the operator's view
    service.tick()
    assert service.operator.reorganisations == 1
    posted = service.post_batch()
    assert posted["posted"], posted
    # Both accepted transfers are on L1, in order: Alice paid Bob 1 + 2 ETH.
    assert balances_on_l1(service) == (2 * ETH, 8 * ETH)
    assert service.status()["state_root"] == service.status()["rebuilt_root"]


def test_a_restart_after_an_evm_revert_loses_no_accepted_transfer(world) -> None:
    chain, l1, service, data_dir = world
    snapshot = l1.rpc("evm_snapshot")
    assert send(service, l1, ALICE, 0, ETH)["accepted"]
    assert service.post_batch()["posted"]
    assert l1.rpc("evm_revert", snapshot) is True
    assert send(service, l1, ALICE, 1, 2 * ETH)["accepted"]
    service.close()  # the operator stops before it next syncs
    again = OptimisticService(l1, service.rollup.address, OPERATOR, data_dir=data_dir)
    try:
        assert again.recovery.refused == [], again.recovery.refused
        assert again.post_batch()["posted"]
        assert balances_on_l1(again) == (2 * ETH, 8 * ETH)
    finally:
        again.close()


def test_a_forced_batch_l1_takes_back_loses_nothing_the_operator_adopted_from_it(world) -> None:
    """A user forces her overdue deposit and her withdrawal in past a censoring operator, which adopts the
    batch; L1 then drops it. The operator carries her withdrawal on with its own pending transfer, and once
    it takes deposits in again, both reach L1."""
    from rollup.optimistic.fullnode import force_deposits

    chain, l1, service, _ = world
    service.censor(True)
    service.rollup.transact(ALICE, "deposit", private_key_to_address(ALICE), value=ETH // 1000)
    l1.mine(MINIMAL.deposit_deadline_blocks + 1)
    l1.increase_time(MINIMAL.deposit_deadline_seconds + 1)
    snapshot = l1.rpc("evm_snapshot")
    withdrawal = Wallet(ALICE, l1.chain_id, service.rollup.address).withdraw(0, private_key_to_address(ALICE),
                                                                              ETH, 0)
    force_deposits(service.rollup, ALICE, txs=[withdrawal])
    assert send(service, l1, BOB, 0, ETH // 10)["accepted"]
    service.tick()
    assert service.status()["batch_count"] == 2  # adopted
    assert l1.rpc("evm_revert", snapshot) is True
    service.tick()
    assert service.operator.reorganisations == 1 and service.status()["batch_count"] == 1
    assert service.status()["pending_transactions"] == 2  # her withdrawal, and Bob's transfer
    service.censor(False)
    assert service.post_batch()["posted"]
    assert balances_on_l1(service) == (5 * ETH + ETH // 1000 - ETH + ETH // 10, 5 * ETH - ETH // 10)
    assert service.status()["state_root"] == service.status()["rebuilt_root"]
