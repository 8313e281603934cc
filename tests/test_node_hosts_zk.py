"""``l2lab node`` hosts a zk-rollup: dev account 7 operates it, proofs run in a worker, a timer commits them.

A deposit made on L1 is proved and verified with nobody asking; a transfer
the operator admitted survives ``kill -9`` (it is in the operation log
before the answer), and the restarted node reattaches to the same rollup
instead of deploying another. ``--zk-preset off`` hosts none.
"""

from __future__ import annotations

import httpx
import pytest

from contracts_spec.l1 import L1Client
from contracts_spec.zk import keys
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.rules import Transfer, sign
from node.client import HttpTransport, LocalNode
from node.devaccounts import derive_dev_accounts
from rollup.zk.service import op_json
from tests.hosting import scheme_status, wait_for

pytestmark = pytest.mark.slow

ETH = 10**18
DEV = derive_dev_accounts(10)
ZK_ONLY = ["--optimistic", "off"]


def _wait_for(fn, timeout: float = 120.0):
    return wait_for(fn, "the hosted zk-rollup", timeout, 0.3)


def _status(url: str) -> dict | None:
    return scheme_status(url, "zk")


def test_node_proves_on_its_timer_and_a_restart_after_kill_9_loses_nothing(tmp_path):
    data_dir = tmp_path / "chain"
    node = LocalNode(str(data_dir), log_path=str(tmp_path / "node.log"), extra_args=ZK_ONLY).start()
    try:
        status = _wait_for(lambda: _status(node.url))
        address = status["address"]
        assert status["operator"] == DEV[7].address and status["l1"]["batches"] == 0
        l1 = L1Client(HttpTransport(node.url))
        alice, bob = DEV[0], DEV[1]
        l2 = {who.address: keys.derive_l2_key(who.private_key, l1.chain_id, address) for who in (alice, bob)}
        for who in (alice, bob):
            px, py = keys.registration_point(keys.public_key(l2[who.address]))
            l1.transact(who.private_key, address, ZkRollup, "deposit", px, py, who.address, value=ETH)
        # the timer proves the deposits in its worker and commits the proof, unasked
        _wait_for(lambda: (_status(node.url) or {}).get("l1", {}).get("deposits_processed", 0) == 2)
        done = _status(node.url)
        assert done["state_root"] == done["rebuilt_root"] and done["proving_history"][-1]["gas"] > 0

        op = sign(Transfer(1, 2, 10**6, 0), l2[alice.address], int(done["domain"]), done["depth_bits"],
                  keys.public_key(l2[bob.address]))
        r = httpx.post(f"{node.url}/api/zk/operations", json=op_json(op), timeout=10)
        assert r.status_code == 200 and r.json()["id"] == "1:0", r.text
        node.stop(kill=True)  # before its proof is done: the answer was given, the log has it

        node = LocalNode(str(data_dir), log_path=str(tmp_path / "node2.log"), extra_args=ZK_ONLY).start()
        again = _wait_for(lambda: _status(node.url))
        assert again["address"] == address
        log = (tmp_path / "node2.log").read_text()
        assert f"reattached: {address}" in log and ") deployed: " not in log
        a = httpx.get(f"{node.url}/api/zk/accounts/1", timeout=10).json()
        assert a["next_nonce"] == 1 and a["pending_balance"] == str(ETH - 10**6)  # admitted, still
        assert again["recovered"] == 1 or a["nonce"] == 1  # in the mempool again, or already verified
    finally:
        node.stop()


def test_zk_preset_off_hosts_nothing(tmp_path):
    with LocalNode(str(tmp_path / "chain"), log_path=str(tmp_path / "node.log"),
                   extra_args=[*ZK_ONLY, "--zk-preset", "off"]) as node:
        r = httpx.get(f"{node.url}/api/zk/status", timeout=10)
        assert r.status_code == 404 and "--zk-preset off" in r.json()["detail"]


def test_fresh_forgets_the_zk_operation_log(tmp_path):
    from node.server import _forget_scheme_files

    names = ["zk-rollup.json", "zk-rollup-0xabc-ops.sqlite", "zk-rollup-0xabc-ops.sqlite-wal", "notes.txt"]
    for name in names:
        (tmp_path / name).write_text("old chain")
    _forget_scheme_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
