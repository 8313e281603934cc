"""A node killed with SIGKILL comes back with everything it acknowledged; ``--fresh`` starts over."""

from __future__ import annotations

import pytest
from eth_account import Account

from contracts_spec.l1 import L1Client
from node.client import LocalNode
from node.devaccounts import derive_dev_accounts

pytestmark = pytest.mark.slow

DEV = derive_dev_accounts(3)
GENESIS_BALANCE = 10_000 * 10**18


def _snapshot(l1: L1Client, addresses: list[str], counter: str | None) -> dict:
    """Everything a restart must preserve, read over JSON-RPC."""
    head = l1.block("latest")
    state = {
        "head_number": int(head["number"], 16),
        "head_hash": head["hash"],
        "balances": {a: l1.balance(a) for a in addresses},
        "nonces": {a: l1.nonce(a, pending=False) for a in addresses},
    }
    if counter is not None:
        from contracts_spec.examples import Counter

        state["count"] = l1.call(counter, Counter, "count")
        state["code"] = l1.rpc("eth_getCode", counter, "latest")
        state["contracts"] = [c["address"] for c in l1.rpc("l2lab_contracts")]
    return state


def _node(data_dir, tmp_path, *extra: str) -> LocalNode:
    # The L1 alone: three dev accounts leave the rollups without operators; the Plasma operator (2) is turned off.
    return LocalNode(str(data_dir), log_path=str(tmp_path / "node.log"),
                     extra_args=["--accounts", "3", "--plasma-preset", "off", *extra])


def _has_contracts() -> bool:
    try:
        from contracts_spec.examples import Counter  # noqa: F401
        from contracts_spec.runtime import deploy_data  # noqa: F401
    except ImportError:
        return False
    return True


def test_kill_9_loses_nothing_acknowledged(tmp_path):
    data_dir = tmp_path / "chain"
    recipients = [Account.create().address for _ in range(3)]
    node = _node(data_dir, tmp_path).start()
    try:
        with node.transport() as transport:
            l1 = L1Client(transport)
            for i, to in enumerate(recipients):
                l1.transfer(DEV[0].private_key, to, 1000 + i)
            l1.transfer(DEV[1].private_key, recipients[0], 5)
            counter = None
            if _has_contracts():
                from contracts_spec.examples import Counter

                counter = l1.deploy(DEV[2].private_key, Counter, 40)
                l1.transact(DEV[2].private_key, counter, Counter, "increment", 2)
            addresses = [a.address for a in DEV] + recipients
            before = _snapshot(l1, addresses, counter)
            tx_hashes = [
                h for n in range(1, before["head_number"] + 1) for h in l1.block(n)["transactions"]
            ]
            receipts = {h: l1.receipt(h) for h in tx_hashes}
    finally:
        code = node.stop(kill=True)
    assert code == -9, "the node must die by SIGKILL, not shut down cleanly"

    assert before["balances"][recipients[0]] == 1005
    if counter is not None:
        assert before["count"] == 42

    node = _node(data_dir, tmp_path).start()
    try:
        with node.transport() as transport:
            l1 = L1Client(transport)
            after = _snapshot(l1, addresses, counter)
            assert after == before
            for tx_hash, receipt in receipts.items():
                assert l1.receipt(tx_hash) == receipt
            # The chain carries on from where it was: the next nonce is accepted.
            l1.transfer(DEV[0].private_key, recipients[1], 1)
            assert l1.block_number() == before["head_number"] + 1
            assert l1.nonce(DEV[0].address, pending=False) == before["nonces"][DEV[0].address] + 1
    finally:
        node.stop()


def test_restart_keeps_state_and_ignores_new_genesis_balance(tmp_path):
    data_dir = tmp_path / "chain"
    recipient = Account.create().address
    with _node(data_dir, tmp_path) as node, node.transport() as transport:
        L1Client(transport).transfer(DEV[0].private_key, recipient, 99)
    # A clean (Ctrl-C) shutdown, then a restart asking for a different genesis balance:
    # genesis only applies to a new data dir.
    with _node(data_dir, tmp_path, "--balance", "1") as node, node.transport() as transport:
        l1 = L1Client(transport)
        assert l1.balance(recipient) == 99
        assert l1.balance(DEV[1].address) == GENESIS_BALANCE
        assert l1.block_number() == 1
    assert "chain closed" in node.output()


def test_fresh_starts_over(tmp_path):
    data_dir = tmp_path / "chain"
    recipient = Account.create().address
    with _node(data_dir, tmp_path) as node, node.transport() as transport:
        l1 = L1Client(transport)
        l1.transfer(DEV[0].private_key, recipient, 99)
        old_genesis = l1.block(0)["hash"]
    with _node(data_dir, tmp_path, "--fresh", "--balance", "5") as node, node.transport() as transport:
        l1 = L1Client(transport)
        assert l1.block_number() == 0
        assert l1.balance(recipient) == 0
        assert l1.nonce(DEV[0].address, pending=False) == 0
        assert l1.balance(DEV[0].address) == 5 * 10**18
        assert l1.rpc("l2lab_contracts") == []
        # The genesis block itself may or may not differ (timestamps); the history is gone.
        assert l1.block(1) is None
        assert isinstance(old_genesis, str)


def test_the_mining_mode_survives_a_restart_and_a_flag_changes_it(tmp_path):
    data_dir = tmp_path / "chain"
    with _node(data_dir, tmp_path, "--optimistic", "off") as node, node.transport() as t:
        assert t.request("eth_mining", []) is True  # a new chain automines
        t.request("evm_setAutomine", [False])
    with _node(data_dir, tmp_path, "--optimistic", "off") as node, node.transport() as t:
        assert t.request("eth_mining", []) is False, "the data dir forgot it was left on manual mining"
        assert "manual" in node.output()
    with _node(data_dir, tmp_path, "--optimistic", "off", "--automine") as node, node.transport() as t:
        assert t.request("eth_mining", []) is True
