"""``l2lab channel peer``: a channel peer of the user's own, in its own process, on a node's adjudicator.

Two such peers (dev accounts 7 and 8, which the node does not host) run as
``l2lab`` subprocesses against an ``l2lab node`` subprocess: they find the
adjudicator at the node, open a channel and pay each other over HTTP. Bad
input (a key, an account, a ``--peer``, a host, a node that is not there or
hosts no channels) is one line and exit code 2, and starts nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

import channels.peer_process
from contracts_spec.channels.params import MINIMAL
from contracts_spec.l1 import L1Client
from node.chain import Chain
from node.cli import main
from node.client import LocalNode, free_port
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.channels import PEER_ACCOUNTS
from node.schemes.channels import cli as channel_cli
from node.schemes.channels.api import router
from node.schemes.channels.service import ChannelService
from node.server import create_app
from tests.hosting import PeerApiProcess
from tests.hosting import wait_for as hosting_wait_for

ETH = 10**18
DEV = derive_dev_accounts(10)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
    hosting_wait_for(condition, what, timeout=timeout, poll=0.05)


class OwnPeer(PeerApiProcess):
    """``l2lab channel peer --account N`` in a subprocess."""

    def __init__(self, account: int, node_url: str, ports: dict[int, int], tmp: Path, *,
                 log: Path | None) -> None:
        self.account, self.address = account, DEV[account].address
        self.name = f"peer {account}"
        self.url = f"http://127.0.0.1:{ports[account]}"
        self.output = tmp / f"peer{account}.out"
        self.args = [sys.executable, "-m", "node.cli", "channel", "--rpc", node_url, "peer", "--account",
                     str(account), "--port", str(ports[account])]
        self.args += ["--log", str(log)] if log is not None else []
        self.args += [arg for other, port in ports.items() if other != account
                      for arg in ("--peer", f"{DEV[other].address}=http://127.0.0.1:{port}")]
        env = {k: v for k, v in os.environ.items() if k not in ("L2LAB_PEER_TOKEN", "L2LAB_NODE_TOKEN")}
        self.env = {**env, "XDG_DATA_HOME": str(tmp / "xdg")}

    def stop(self) -> None:
        self.terminate()

    def channel_with(self, other: OwnPeer) -> dict | None:
        return self.channel_of(other.address)


@pytest.fixture
def own_peers(tmp_path: Path) -> Iterator[tuple[LocalNode, OwnPeer, OwnPeer]]:
    node = LocalNode(str(tmp_path / "chain"), log_path=str(tmp_path / "node.log")).start()
    peers: list[OwnPeer] = []
    try:
        ports = {7: free_port(), 8: free_port()}
        peers = [OwnPeer(7, node.url, ports, tmp_path, log=tmp_path / "seven.sqlite"),
                 OwnPeer(8, node.url, ports, tmp_path, log=None)]  # 8 keeps its log in the user's data dir
        for peer in peers:
            peer.spawn()
        for peer in peers:
            wait_for(peer.answers, f"peer {peer.account} to serve its API")
        yield node, peers[0], peers[1]
    finally:
        for peer in peers:
            peer.stop()
        node.stop()


@pytest.mark.slow
def test_two_peers_of_their_own_find_the_nodes_adjudicator_and_pay_each_other(own_peers, tmp_path: Path) -> None:
    node, seven, eight = own_peers
    status = httpx.get(f"{node.url}/api/channels/status", timeout=30).json()
    assert seven.status()["address"] == DEV[7].address and eight.status()["address"] == DEV[8].address
    assert f"adjudicator {status['adjudicator']}" in seven.output.read_text()

    seven.post("open", partner=eight.address, deposit=5 * ETH)
    wait_for(lambda: (c := eight.channel_with(seven)) is not None and c["status"] == "opened"
             and int(c["partner_balance"]) == 5 * ETH, "the channel, seen by both")
    seven.post("pay", target=eight.address, amount=2 * ETH)  # seven pays
    wait_for(lambda: eight.events("received"), "eight to be paid")
    eight.post("transfer", partner=seven.address, amount=ETH // 2)  # eight pays back
    wait_for(lambda: int(seven.channel_with(eight)["balance"]) == 3 * ETH + ETH // 2, "seven to be paid back")
    wait_for(lambda: not seven.status()["unacknowledged"] and not eight.status()["unacknowledged"],
             "every acknowledgement")
    assert int(eight.channel_with(seven)["balance"]) == ETH + ETH // 2

    assert (tmp_path / "seven.sqlite").exists()
    [log] = (tmp_path / "xdg" / "l2lab" / "channel-peers").glob("*.sqlite")
    assert status["adjudicator"].lower() in log.name and DEV[8].address.lower() in log.name
    hosted = httpx.get(f"{node.url}/api/channels/status", timeout=30).json()["peers"]
    assert all(p["channels"] == 0 for p in hosted)  # the node's own peers took no part


# -- wiring and bad input, in this process: no peer is started ------------------------------------------------


@pytest.fixture
def node(tmp_path, monkeypatch):
    chain = Chain(genesis_alloc=genesis_alloc(DEV, 100 * ETH))
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[router])
    l1 = L1Client.in_process(app.state.dispatcher)
    app.state.channels = ChannelService.deploy(l1, DEV[3].private_key, MINIMAL,
                                               {i: DEV[i].private_key for i in PEER_ACCOUNTS}, tmp_path)

    class Rpc:
        def request(self, method, params=None):
            return app.state.dispatcher.handle(method, list(params or []))

    monkeypatch.setattr(channel_cli, "make_transport", lambda url, token=None: Rpc())
    monkeypatch.setattr(channel_cli, "make_http", lambda url, token=None: TestClient(app))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    for name in ("L2LAB_PEER_TOKEN", "L2LAB_PEER_KEY"):
        monkeypatch.delenv(name, raising=False)
    served: list[dict] = []
    monkeypatch.setattr(channels.peer_process, "serve", lambda key, **kw: served.append({"key": key, **kw}) or 0)
    yield app, served
    app.state.channels.shutdown()
    chain.close()


def test_the_peer_takes_the_contracts_and_preset_from_the_node(node, tmp_path) -> None:
    app, served = node
    assert main(["channel", "peer", "--account", "7", "--port", str(free_port()),
                 "--peer", f"{DEV[8].address}=http://127.0.0.1:9"]) == 0
    [run] = served
    service = app.state.channels
    assert run["key"] == DEV[7].private_key and run["peers"] == {DEV[8].address: "http://127.0.0.1:9"}
    assert (run["adjudicator"], run["registry"], run["preset"]) == (service.adjudicator, service.registry, MINIMAL)
    assert run["host"] == "127.0.0.1" and run["token"] is None
    assert Path(run["log"]).parent == tmp_path / "xdg" / "l2lab" / "channel-peers"
    assert DEV[7].address.lower() in Path(run["log"]).name


@pytest.mark.parametrize("argv, env, words", [
    (("--key", "zz"), {}, "--key must be a private key in hex"),
    (("--key", "0x" + "11" * 31), {}, "--key must be 32 bytes"),
    (("--key", "0x" + "00" * 32), {}, "not a valid secp256k1 private key"),
    (("--key", "-"), {}, "set L2LAB_PEER_KEY"),
    (("--key", "-"), {"L2LAB_PEER_KEY": "nothex"}, "--key must be a private key in hex"),
    (("--account", "42"), {}, "unknown account 42: this node's dev accounts are 0..9"),
    (("--account", "x"), {}, "--account must be a dev account number"),
    (("--account", "3"), {}, "whose peer the node already runs"),
    (("--key", DEV[4].private_key.hex()), {}, "is dev account 4, whose peer the node already runs"),
    (("--account", "7", "--peer", "bob"), {}, "--peer 'bob': expected ADDRESS=URL"),
    (("--account", "7", "--peer", "0x12=http://x"), {}, "expected ADDRESS=URL"),
    (("--account", "7", "--peer", f"{DEV[8].address}=ftp://x"), {}, "expected ADDRESS=URL"),
    (("--account", "7", "--host", "0.0.0.0"), {}, "set L2LAB_PEER_TOKEN"),
    (("--account", "7", "--port", "70000"), {}, "--port must be between 1 and 65535"),
    (("--account", "7", "--rpc", "ftp://x"), {}, "must start with http://"),
])
def test_bad_input_is_one_line_and_exit_code_2(node, monkeypatch, capsys, argv, env, words) -> None:
    _, served = node
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["channel", "peer", *argv]) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("l2lab channel peer: ") and words in lines[0], err
    assert not served


def test_a_node_that_is_not_there_or_hosts_no_channels_is_exit_code_2(node, monkeypatch, capsys) -> None:
    app, served = node
    monkeypatch.setattr(channel_cli, "make_http", lambda url, token=None: httpx.Client(base_url=url, timeout=2))
    assert main(["channel", "--rpc", "http://127.0.0.1:1", "peer", "--account", "7"]) == 2
    assert "cannot reach the node at http://127.0.0.1:1" in capsys.readouterr().err
    bare = create_app(Chain(genesis_alloc=genesis_alloc(DEV, ETH)), dev_keys=dev_keys(DEV), routers=[router])
    monkeypatch.setattr(channel_cli, "make_http", lambda url, token=None: TestClient(bare))
    assert main(["channel", "peer", "--account", "7"]) == 2
    assert "serves no payment channels" in capsys.readouterr().err
    assert not served


def test_one_of_account_and_key_is_required(capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["channel", "peer"])
    assert exit_.value.code == 2 and "one of the arguments --account --key is required" in capsys.readouterr().err
