"""A network of peers on one L1 and one message bus, spoken to in the protocol's verbs.

Tests, demos and benchmarks build it over any ``L1Client`` (an in-process
chain from ``node.rpc.in_process_l1``, or a node over HTTP): it deploys the
secret registry and the adjudicator, starts one :class:`~channels.peer.Peer`
per key with its own log, and moves the world forward: :meth:`ChannelLab.settle_down`
lets every online peer read L1 and delivers messages until nothing moves,
:meth:`ChannelLab.wait` lets blocks *and* their 12-second slots pass.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from channels.peer import Peer
from channels.transport import MessageBus
from channels.watchtower import Watchtower
from contracts_spec.channels.contract import ChannelAdjudicator, SecretRegistry
from contracts_spec.channels.monitoring import MonitoringService
from contracts_spec.channels.params import MINIMAL, SECONDS_PER_SLOT, ChannelPreset
from contracts_spec.l1 import L1Client


class ChannelLab:
    def __init__(self, l1: L1Client, keys: Mapping[str, bytes], deployer_key: bytes, log_dir: str | os.PathLike,
                 preset: ChannelPreset = MINIMAL) -> None:
        registry = l1.deploy(deployer_key, SecretRegistry)
        adjudicator = l1.deploy(deployer_key, ChannelAdjudicator, *preset.constructor_args(registry))
        self._setup(l1, keys, deployer_key, log_dir, preset, adjudicator, registry, "")

    @classmethod
    def attach(cls, l1: L1Client, keys: Mapping[str, bytes], log_dir: str | os.PathLike, *, adjudicator: str,
               registry: str, preset: ChannelPreset = MINIMAL, deployer_key: bytes | None = None,
               monitoring_service: str = "") -> ChannelLab:
        """A lab over contracts already deployed at ``adjudicator`` and ``registry`` (peers restart from their
        logs in ``log_dir`` if there are any). ``deployer_key`` is only needed to deploy a MonitoringService
        later, unless ``monitoring_service`` names one already deployed for this adjudicator."""
        for address in (adjudicator, registry):
            if l1.rpc("eth_getCode", address, "latest") in ("0x", "", None):
                raise ValueError(f"no contract at {address}")
        lab = cls.__new__(cls)
        lab._setup(l1, keys, deployer_key or b"", log_dir, preset, adjudicator, registry, monitoring_service)
        return lab

    def _setup(self, l1: L1Client, keys: Mapping[str, bytes], deployer_key: bytes, log_dir: str | os.PathLike,
               preset: ChannelPreset, adjudicator: str, registry: str, monitoring_service: str) -> None:
        self.l1, self.preset, self.log_dir = l1, preset, os.fspath(log_dir)
        self.registry, self.adjudicator = registry, adjudicator
        self.bus = MessageBus()
        self.deployer_key = deployer_key
        self._monitoring_service = monitoring_service
        self.watchtowers: dict[str, Watchtower] = {}
        self.keys = dict(keys)
        self.peers: dict[str, Peer] = {}
        for name in self.keys:
            self.start(name)

    def start(self, name: str) -> Peer:
        """Start (or restart, from its log) the peer called ``name``."""
        peer = Peer(self.keys[name], self.l1, self.adjudicator, self.registry, self.bus,
                    os.path.join(self.log_dir, f"{name}.sqlite"), preset=self.preset)
        self.peers[name] = peer
        return peer

    @property
    def monitoring_service(self) -> str:
        """The MonitoringService contract of this adjudicator, deployed the first time it is asked for."""
        if not self._monitoring_service:
            if not self.deployer_key:
                raise ValueError("no MonitoringService given and no deployer key to deploy one")
            self._monitoring_service = self.l1.deploy(self.deployer_key, MonitoringService,
                                                      *self.preset.monitoring_args(self.adjudicator))
        return self._monitoring_service

    def add_watchtower(self, name: str, key: bytes, **options: object) -> Watchtower:
        """Start a watchtower called ``name`` with its own key (``Watchtower`` options: patience, min_reward)."""
        tower = Watchtower(key, self.l1, self.adjudicator, self.monitoring_service, **options)  # type: ignore[arg-type]
        self.watchtowers[name] = tower
        return tower

    def hire(self, user: str, tower: str, reward: int, deposit: int | None = None) -> None:
        """``user`` deposits ``deposit`` (default: the reward) in the MonitoringService and hires ``tower``."""
        amount = reward if deposit is None else deposit
        if amount:
            self.l1.transact(self.keys[user], self.monitoring_service, MonitoringService, "deposit",
                             self.address(user), value=amount)
        self.peers[user].hire(self.watchtowers[tower].accept, self.monitoring_service, reward)

    def kill(self, name: str) -> None:
        """Stop the peer as a kill -9 would: whatever it has not logged is gone, its log stays."""
        peer = self.peers.pop(name)
        peer.close_log()
        self.bus.register(peer.address, _dead)

    def restart(self, name: str) -> Peer:
        return self.start(name)

    def address(self, name: str) -> str:
        return self.peers[name].address if name in self.peers else Peer.address_of(self.keys[name])

    def __getitem__(self, name: str) -> Peer:
        return self.peers[name]

    def online(self, name: str, online: bool = True) -> None:
        """Take a peer off the network and off L1 (``online=False``), or bring it back."""
        self.bus.set_online(self.address(name), online)

    def settle_down(self, rounds: int = 100) -> None:
        """Let online peers read L1 and talk until no new block and no message is left."""
        for _ in range(rounds):
            moved = False
            for peer in list(self.peers.values()):
                if self.bus.is_online(peer.address):
                    moved |= peer.poll()
            towers = [t for t in self.watchtowers.values() if t.observe()]  # all decide on the same block,
            for tower in towers:  # so two watchtowers answering one close race for it
                tower.act()
            moved |= bool(towers)
            moved |= self.bus.run() > 0
            if not moved:
                return
        raise RuntimeError(f"the network did not settle down in {rounds} rounds")

    def wait(self, blocks: int) -> None:
        """Let ``blocks`` blocks pass, one 12-second slot each, the peers reacting to every one."""
        for _ in range(blocks):
            self.l1.rpc("evm_increaseTime", SECONDS_PER_SLOT)
            self.l1.mine(1)
            self.settle_down()

    def open(self, a: str, b: str, deposit_a: int, deposit_b: int = 0) -> None:
        self.peers[a].open_channel(self.address(b), deposit_a)
        self.settle_down()
        if deposit_b:
            self.peers[b].deposit(self.address(a), deposit_b)
            self.settle_down()

    def pay(self, a: str, b: str, amount: int) -> int:
        identifier = self.peers[a].pay(self.address(b), amount)
        self.settle_down()
        return identifier

    def balance(self, a: str, b: str) -> int:
        return self.peers[a].balance(self.address(b))


def _dead(_signed: object) -> None:
    """What a killed peer does with a message: nothing."""
