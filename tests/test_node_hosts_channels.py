"""``l2lab node`` hosts payment channels: peers for dev accounts 3 to 6, their logs in the data dir, on a timer.

A payment the peers acknowledged survives ``kill -9``: the restarted node
reattaches to the same adjudicator (it deploys no other), every peer replays
its write-ahead log into the balances it had, and the peers go on paying.
``--channels-preset off`` hosts none.
"""

from __future__ import annotations

import httpx
import pytest

from node.client import LocalNode
from tests.hosting import scheme_status, wait_for

pytestmark = pytest.mark.slow

ETH = 10**18
CHANNELS_ONLY = ["--optimistic", "off", "--zk-preset", "off"]


def _wait_for(fn, timeout: float = 60.0):
    return wait_for(fn, "the hosted channels", timeout, 0.2)


def _status(url: str) -> dict | None:
    return scheme_status(url, "channels")


def _post(url: str, path: str, body: dict) -> dict:
    r = httpx.post(f"{url}/api/channels/{path}", json=body, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def _balances(url: str, who: int) -> list[tuple[int, str, str]]:
    me = httpx.get(f"{url}/api/channels/peers/{who}", timeout=10).json()
    return [(c["channel_identifier"], c["balance"], c["partner_balance"]) for c in me["channels"]]


def test_a_restart_after_kill_9_reattaches_and_the_peers_recover_from_their_logs(tmp_path) -> None:
    data_dir = tmp_path / "chain"
    node = LocalNode(str(data_dir), log_path=str(tmp_path / "node.log"), extra_args=CHANNELS_ONLY).start()
    try:
        status = _wait_for(lambda: _status(node.url))
        adjudicator = status["adjudicator"]
        assert [p["account"] for p in status["peers"]] == [3, 4, 5, 6]
        for a, b in ((3, 4), (4, 5)):
            _post(node.url, "open", {"peer": a, "partner": b, "deposit": str(5 * ETH)})
        _post(node.url, "pay", {"peer": 3, "target": 4, "amount": str(ETH)})
        routed = _post(node.url, "pay", {"peer": 3, "target": 5, "amount": str(ETH)})
        assert routed["status"] == "succeeded" and len(routed["route"]) == 3
        before = {who: _balances(node.url, who) for who in (3, 4, 5)}
        assert before[3] == [(1, str(3 * ETH), str(2 * ETH))]
        node.stop(kill=True)  # the answers were given: every peer's log has what it acknowledged

        node = LocalNode(str(data_dir), log_path=str(tmp_path / "node2.log"), extra_args=CHANNELS_ONLY).start()
        again = _wait_for(lambda: _status(node.url))
        assert again["adjudicator"] == adjudicator
        log = (tmp_path / "node2.log").read_text()
        assert f"reattached: adjudicator {adjudicator}" in log and ") deployed: " not in log
        assert all(p["recovered_changes"] > 0 for p in again["peers"] if p["account"] in (3, 4, 5))
        assert {who: _balances(node.url, who) for who in (3, 4, 5)} == before
        _post(node.url, "pay", {"peer": 4, "target": 3, "amount": str(ETH // 2)})  # the channel goes on
        assert _balances(node.url, 3) == [(1, str(3 * ETH + ETH // 2), str(2 * ETH - ETH // 2))]
    finally:
        node.stop()


def test_channels_preset_off_hosts_nothing(tmp_path) -> None:
    with LocalNode(str(tmp_path / "chain"), log_path=str(tmp_path / "node.log"),
                   extra_args=[*CHANNELS_ONLY, "--channels-preset", "off"]) as node:
        r = httpx.get(f"{node.url}/api/channels/status", timeout=10)
        assert r.status_code == 404 and "--channels-preset off" in r.json()["detail"]


def test_fresh_forgets_the_peers_logs(tmp_path) -> None:
    from node.server import _forget_scheme_files

    names = ["channels.json", "channels-0xabc-peer3.sqlite", "channels-0xabc-peer3.sqlite-wal", "notes.txt"]
    for name in names:
        (tmp_path / name).write_text("old chain")
    _forget_scheme_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
