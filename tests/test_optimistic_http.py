"""The same actors against ``l2lab node`` over HTTP: the rollup needs nothing but JSON-RPC."""

from __future__ import annotations

import pytest

from contracts_spec.l1 import L1Client
from contracts_spec.optimistic.params import MINIMAL
from node.client import LocalNode
from node.devaccounts import derive_dev_accounts
from rollup.optimistic.lab import OptimisticLab

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob", "mallory")


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    local = LocalNode(str(tmp_path_factory.mktemp("l1"))).start()
    yield local
    local.stop()


def test_honest_batch_and_fraud_proof_over_http(node) -> None:
    keys = {name: a.private_key for name, a in zip(NAMES, derive_dev_accounts(len(NAMES)), strict=True)}
    lab = OptimisticLab(L1Client(node.transport()), keys, preset=MINIMAL)
    lab.deposit("alice", 3 * ETH)
    lab.deposit("bob", ETH)
    lab.transfer("alice", "bob", ETH)
    lab.withdraw("bob", ETH // 2)
    lab.submit_batch()
    assert lab.challenge() == []

    from contracts_spec.optimistic.rules import Account

    m = lab.index("bob")
    bob = lab.operator.state.get_account(m)
    tx = lab.wallets["mallory"].transfer(lab.index("alice"), m, ETH, lab.nonce("alice"))  # forged
    alice = lab.operator.state.get_account(lab.index("alice"))
    lab.operator.sequencer.inject(tx, {lab.index("alice"): alice._replace(balance=alice.balance - ETH,
                                                                          nonce=alice.nonce + 1),
                                       m: Account(bob.address, bob.balance + ETH, bob.nonce)})
    lab.submit_batch()
    assert len(lab.challenge()) == 1
    assert lab.rollup.call("batch_count") == 1
    lab.finalize()
    before = lab.l1_balance("bob")
    (receipt,) = lab.claim_withdrawals("bob", 0)
    gas = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert lab.l1_balance("bob") == before + ETH // 2 - gas
    assert lab.rebuild().root == lab.operator.state.root
    assert lab.l2_balance("alice") == 2 * ETH
