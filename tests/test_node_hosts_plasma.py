"""``l2lab node`` hosts the Plasma chain: dev account 2 operates it, its log in the data dir, on a timer.

Users drive it with the ``l2lab plasma`` CLI in their own processes. A
transaction the operator acknowledged survives ``kill -9``: the restarted
node reattaches to the same root chain (it deploys no other), re-admits
what its log holds, and every acknowledged transaction is in a block again.
``--plasma-preset off`` hosts none.
"""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from contracts_spec.plasma import rules as R
from node.client import LocalNode
from node.devaccounts import derive_dev_accounts
from tests.hosting import scheme_status, wait_for

pytestmark = pytest.mark.slow

ETH = 10**18
PLASMA_ONLY = ["--optimistic", "off", "--zk-preset", "off", "--channels-preset", "off"]
DEV = derive_dev_accounts(5)


def _status(url: str) -> dict | None:
    return scheme_status(url, "plasma")


def _plasma(node: LocalNode, *argv: str) -> str:
    """``l2lab plasma ARGV`` in its own process against ``node``; its stdout (it must succeed)."""
    env = {**os.environ, "L2LAB_NODE_TOKEN": node.token}
    done = subprocess.run([sys.executable, "-m", "node.cli", "plasma", "--rpc", node.url, *argv],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _balance(url: str, who: int) -> int:
    r = httpx.get(f"{url}/api/plasma/utxos/{DEV[who].address}", timeout=10)
    assert r.status_code == 200, r.text
    return sum(int(u["amount"]) for u in r.json()["utxos"])


def _transaction(url: str, ident: str) -> dict:
    r = httpx.get(f"{url}/api/plasma/transactions/{ident}", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_restart_after_kill_9_reattaches_and_loses_no_acknowledged_transaction(tmp_path) -> None:
    data_dir = tmp_path / "chain"
    node = LocalNode(str(data_dir), log_path=str(tmp_path / "node.log"), extra_args=PLASMA_ONLY).start()
    try:
        status = wait_for(lambda: _status(node.url), "the hosted Plasma chain", 60, 0.2)
        root_chain = status["address"]
        assert status["operator"] == DEV[2].address
        assert "deposited 3 ETH" in _plasma(node, "deposit", "--account", "3", "--amount", "3")
        sent = _plasma(node, "send", "--account", "3", "--to", "4", "--amount", "1")
        assert "included in block 1000" in sent and "confirmed" in sent
        assert (_balance(node.url, 3), _balance(node.url, 4)) == (2 * ETH, ETH)

        # A second payment, acknowledged by the operator, then the node dies at once.
        inputs = [int(u["utxo_pos"]) for u in
                  httpx.get(f"{node.url}/api/plasma/utxos/{DEV[3].address}", timeout=10).json()["utxos"]]
        domain = R.Domain(status["chain_id"], root_chain)
        signed = R.sign_transaction(R.Transaction.spend(inputs, [(DEV[4].address, ETH // 2),
                                                                 (DEV[3].address, 2 * ETH - ETH // 2)]),
                                    [DEV[3].private_key] * len(inputs), domain)
        r = httpx.post(f"{node.url}/api/plasma/transactions", json={"tx": "0x" + signed.encode().hex()}, timeout=10)
        assert r.status_code == 200, r.text
        ident = r.json()["id"]
        node.stop(kill=True)

        node = LocalNode(str(data_dir), log_path=str(tmp_path / "node2.log"), extra_args=PLASMA_ONLY).start()
        again = wait_for(lambda: _status(node.url), "the restarted Plasma chain", 60, 0.2)
        assert again["address"] == root_chain
        log = (tmp_path / "node2.log").read_text()
        assert f"reattached: root chain {root_chain}" in log and "deployed: root chain" not in log
        where = wait_for(lambda: (t := _transaction(node.url, ident))["status"] == "included" and t,
                         "the acknowledged transaction in a block", 30, 0.2)
        assert where["blknum"] >= 1000
        assert wait_for(lambda: _balance(node.url, 4) == ETH + ETH // 2, "Bob's balance", 30, 0.2)
        assert _balance(node.url, 3) == 2 * ETH - ETH // 2
        assert "sent 0.25 ETH" in _plasma(node, "send", "--account", "4", "--to", "3", "--amount", "0.25")
    finally:
        node.stop()


def test_plasma_preset_off_hosts_nothing(tmp_path) -> None:
    with LocalNode(str(tmp_path / "chain"), log_path=str(tmp_path / "node.log"),
                   extra_args=[*PLASMA_ONLY, "--plasma-preset", "off"]) as node:
        r = httpx.get(f"{node.url}/api/plasma/status", timeout=10)
        assert r.status_code == 404 and "--plasma-preset off" in r.json()["detail"]


def test_fresh_forgets_the_operator_log(tmp_path) -> None:
    from node.server import _forget_scheme_files

    names = ["plasma.json", "plasma-0xabc-operator.sqlite", "plasma-0xabc-operator.sqlite-wal", "notes.txt"]
    for name in names:
        (tmp_path / name).write_text("old chain")
    _forget_scheme_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
