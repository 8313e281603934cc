"""Three channel peers in three processes, talking HTTP, on one ``l2lab node`` process.

A mediated payment crosses them; then the mediator is killed with SIGKILL
right after it acknowledged a locked transfer it had not yet passed on, and
started again on its log: the payment completes and nothing is lost.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from contracts_spec.channels.contract import ChannelAdjudicator, SecretRegistry
from contracts_spec.channels.params import MINIMAL
from contracts_spec.l1 import L1Client
from node.client import HttpTransport, LocalNode, free_port
from node.devaccounts import derive_dev_accounts
from tests.hosting import PeerApiProcess
from tests.hosting import wait_for as hosting_wait_for

pytestmark = pytest.mark.slow  # four processes: about 15 s on two busy cores

ETH = 10**18
DEV = derive_dev_accounts(10)
NAMES = {"alice": DEV[7], "bob": DEV[8], "carol": DEV[9]}


class PeerProcess(PeerApiProcess):
    def __init__(self, name: str, tmp: Path, node_url: str, node_token: str, contracts: tuple[str, str],
                 ports: dict[str, int]) -> None:
        self.name, self.account = name, NAMES[name]
        self.url = f"http://127.0.0.1:{ports[name]}"
        self.log = tmp / f"{name}.sqlite"
        self.output = tmp / f"{name}.out"
        self.args = [sys.executable, "-m", "channels.peer_process", "--key", "-", "--node", node_url,
                     "--node-token", node_token, "--adjudicator", contracts[0], "--registry", contracts[1],
                     "--log", str(self.log), "--port", str(ports[name])]
        self.args += [arg for other, port in ports.items() if other != name
                      for arg in ("--peer", f"{NAMES[other].address}=http://127.0.0.1:{port}")]
        self.env = {**os.environ, "L2LAB_PEER_KEY": self.account.private_key.hex()}

    def start(self) -> PeerProcess:
        return self.spawn().ready()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.kill9()

    def channel_with(self, name: str) -> dict | None:
        return self.channel_of(NAMES[name].address)


def wait_for(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    hosting_wait_for(condition, what, timeout=timeout, poll=0.05)


@pytest.fixture
def network(tmp_path: Path) -> Iterator[dict[str, PeerProcess]]:
    node = LocalNode(str(tmp_path / "chain"), log_path=str(tmp_path / "node.log")).start()
    peers: dict[str, PeerProcess] = {}
    try:
        l1 = L1Client(HttpTransport(node.url, token=node.token))
        deployer = DEV[7].private_key
        registry = l1.deploy(deployer, SecretRegistry)
        adjudicator = l1.deploy(deployer, ChannelAdjudicator, *MINIMAL.constructor_args(registry))
        ports = {name: free_port() for name in NAMES}
        peers = {name: PeerProcess(name, tmp_path, node.url, node.token, (adjudicator, registry), ports)
                 for name in NAMES}
        for peer in peers.values():
            peer.spawn()
        for peer in peers.values():
            peer.ready()
        yield peers
    finally:
        for peer in peers.values():
            peer.stop()
        node.stop()


def opened(peer: PeerProcess, partner: str, deposit: int) -> Callable[[], bool]:
    def check() -> bool:
        channel = peer.channel_with(partner)
        return channel is not None and channel["status"] == "opened" and int(channel["deposit"]) == deposit
    return check


def test_a_mediated_payment_over_http_survives_a_kill_9_of_the_mediator(network: dict[str, PeerProcess]) -> None:
    alice, bob, carol = network["alice"], network["bob"], network["carol"]
    alice.post("open", partner=bob.account.address, deposit=10 * ETH)
    wait_for(opened(alice, "bob", 10 * ETH), "alice's channel with bob")
    bob.post("open", partner=carol.account.address, deposit=10 * ETH)
    wait_for(opened(bob, "carol", 10 * ETH), "bob's channel with carol")
    wait_for(lambda: alice.status()["block"] >= bob.status()["block"], "alice to see bob's channel")

    alice.post("pay", target=carol.account.address, amount=ETH)
    wait_for(lambda: carol.events("received") and alice.events("sent"), "the first payment")

    # Bob stops passing on the locked transfers he mediates: he acknowledges alice's, then dies.
    bob.post("withhold", kinds=["LockedTransfer"])
    alice.post("pay", target=carol.account.address, amount=2 * ETH)
    wait_for(lambda: bob.channel_with("alice")["pending_locks"] == 1 and not alice.status()["unacknowledged"],
             "bob to log and acknowledge alice's lock")
    bob.kill9()
    assert len(carol.events("received")) == 1  # carol never heard of the second payment
    bob.start()  # the log gives bob back the lock; he sends on the transfer he owes carol
    wait_for(lambda: len(carol.events("received")) == 2 and len(alice.events("sent")) == 2, "the second payment")
    wait_for(lambda: all(not p.status()["unacknowledged"] for p in network.values()), "every acknowledgement")
    for payer, payee in ((alice, "bob"), (bob, "carol")):
        channel = payer.channel_with(payee)
        assert (int(channel["balance"]), int(channel["partner_balance"])) == (7 * ETH, 3 * ETH)
        assert channel["pending_locks"] == 0
    assert [int(e["amount"]) for e in carol.events("received")] == [ETH, 2 * ETH]
    assert not any("Refused" in r and "replayed" not in r for p in network.values() for r in p.status()["refused"])
