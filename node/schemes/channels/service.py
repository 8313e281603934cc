"""The channel peers a node hosts for some of its dev accounts, and what its REST routes ask of them.

One :class:`ChannelService` holds the adjudicator and secret registry it
deployed (or found again), one :class:`channels.peer.Peer` per hosted dev
account with its write-ahead log in the data dir, and the in-process
``MessageBus`` between them. Every call takes one lock, so the node's timer
(:meth:`ChannelService.tick`: every online peer reads L1, then messages are
delivered until nothing moves) and the REST handlers never run a peer at
the same time.

Every request body is checked here before any peer is touched: an input off
its form raises :class:`FormError` (HTTP 400) naming the field, an unknown
peer ``KeyError`` (404), and what the channel rules or L1 refuse
``Refused`` or :class:`NotDone` (409) naming the rule, with nothing changed.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from channels.peer import Peer
from channels.routing import routes
from channels.state import CLOSED, OPENED, SETTLED, ChannelState
from channels.transport import MessageBus
from contracts_spec.channels.contract import ChannelAdjudicator, SecretRegistry
from contracts_spec.channels.params import ChannelPreset
from contracts_spec.channels.rules import UINT256_MAX
from contracts_spec.l1 import L1Client
from node.api import as_integer
from node.schemes.channels.recording import RecordingL1, gas_of

_log = logging.getLogger("l2lab.channels")
_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
_NUMBER = re.compile(r"(0[xX][0-9a-fA-F]{1,64}|[0-9]{1,77})")  # text below 2**256, as the API documents
MODES = ("auto", "direct", "mediated")
# A channel's transactions cost at most this much each: an L1 balance below it cannot open or deposit.
GAS_RESERVE_WEI = 10**16


class FormError(ValueError):
    """A request that is off its documented form (HTTP 400); the message names the field."""


class NotDone(ValueError):
    """A well-formed request that cannot be done now (HTTP 409); the message says why."""


def log_path(data_dir: Path, adjudicator: str, index: int) -> Path:
    """Where the hosted peer of dev account ``index`` keeps its write-ahead log."""
    return data_dir / f"channels-{adjudicator.lower()}-peer{index}.sqlite"


def parse_amount(value: Any, what: str, *, positive: bool = True) -> int:
    """A wei amount: a JSON integer or decimal/0x text, 0..2**256-1 (above 0 when ``positive``)."""
    value = as_integer(value)
    if isinstance(value, bool) or value is None or isinstance(value, float | list | dict):
        raise FormError(f"{what} must be a whole number of wei (an integer or decimal text), got {value!r:.60}")
    if isinstance(value, str):
        if value.isdigit() and value.isascii() and len(value) > 77:
            raise FormError(f"{what} is too large: decimal text has at most 77 digits (below 2**256 wei)")
        if not _NUMBER.fullmatch(value):
            raise FormError(f"{what} must be a whole number of wei (decimal text of at most 77 digits, or 0x and "
                            f"at most 64 hex digits), got {value!r:.60}")
        value = int(value, 16) if value[:2].lower() == "0x" else int(value)
    if not isinstance(value, int):
        raise FormError(f"{what} must be a whole number of wei, got {type(value).__name__}")
    if value < 0:
        raise FormError(f"{what} must not be negative, got {value}")
    if value > UINT256_MAX:
        raise FormError(f"{what} is too large: at most 2**256 - 1 wei")
    if positive and value == 0:
        raise FormError(f"{what} must be more than 0 wei")
    return value


def _body(body: Any, fields: Mapping[str, bool]) -> dict[str, Any]:
    """``body`` as an object with exactly the known ``fields`` (name -> required)."""
    if not isinstance(body, dict):
        raise FormError(f"the body must be a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise FormError(f"unknown field(s) {', '.join(map(str, unknown))}: expected {', '.join(fields)}")
    missing = [name for name, required in fields.items() if required and name not in body]
    if missing:
        raise FormError(f"missing field(s): {', '.join(missing)}")
    nulls = [name for name, value in body.items() if value is None]
    if nulls:
        raise FormError(f"field(s) {', '.join(nulls)} must not be null")
    return {name: as_integer(value) for name, value in body.items()}


def _channel_json(peer: Peer, channel: ChannelState) -> dict[str, Any]:
    our, partner = channel.our, channel.partner
    out: dict[str, Any] = {
        "channel_identifier": channel.identifier, "partner": partner.address, "status": channel.status,
        "settle_timeout": channel.settle_timeout,
        "deposit": str(our.deposit), "partner_deposit": str(partner.deposit),
        "balance": str(channel.balance()),
        "partner_balance": str(partner.deposit - partner.withdrawn + our.balance_proof.transferred_amount
                               - partner.balance_proof.transferred_amount),
        "can_send": str(channel.distributable() if channel.status == OPENED else 0),
        "locked": str(our.balance_proof.locked_amount), "partner_locked": str(partner.balance_proof.locked_amount),
        "pending_locks": len(our.locks), "partner_pending_locks": len(partner.locks),
        "nonce": our.balance_proof.nonce, "partner_nonce": partner.balance_proof.nonce,
        "withdrawn": str(our.withdrawn), "partner_withdrawn": str(partner.withdrawn),
    }
    if channel.status != OPENED:
        out["closer"] = channel.closer
        out["settle_block"] = channel.settle_block
        out["settle_time"] = channel.settle_time
    return out


class ChannelService:
    """Hosted channel peers for dev accounts, on one adjudicator and one message bus."""

    def __init__(self, l1: L1Client, adjudicator: str, registry: str, preset: ChannelPreset,
                 keys: Mapping[int, bytes], data_dir: str | os.PathLike | None = None) -> None:
        self.l1 = RecordingL1(l1)
        self.adjudicator, self.registry, self.preset = adjudicator, registry, preset
        self.keys = dict(keys)
        self._tmp = None if data_dir is not None else tempfile.TemporaryDirectory(prefix="l2lab-channels-")
        self.data_dir = Path(data_dir) if data_dir is not None else Path(cast(Any, self._tmp).name)
        self.bus = MessageBus()
        self.lock = threading.RLock()
        self.peers: dict[int, Peer] = {}
        self.recovered: dict[int, int] = {}  # dev account -> state changes replayed from its log at start
        for index, key in sorted(self.keys.items()):
            path = log_path(self.data_dir, adjudicator, index)
            existed = path.exists()
            peer = Peer(key, self.l1, adjudicator, registry, self.bus, path, preset=preset)
            if existed:
                self.recovered[index] = len(peer.log)
            self.peers[index] = peer
        self.tick()

    @classmethod
    def deploy(cls, l1: L1Client, deployer_key: bytes, preset: ChannelPreset, keys: Mapping[int, bytes],
               data_dir: str | os.PathLike | None = None) -> ChannelService:
        registry = l1.deploy(deployer_key, SecretRegistry)
        adjudicator = l1.deploy(deployer_key, ChannelAdjudicator, *preset.constructor_args(registry))
        return cls(l1, adjudicator, registry, preset, keys, data_dir)

    def shutdown(self) -> None:
        """Close every peer's log (the node is stopping)."""
        with self.lock:
            for peer in self.peers.values():
                peer.sync()
                peer.close_log()
            if self._tmp is not None:
                self._tmp.cleanup()

    # -- the world moving ------------------------------------------------------------------------------

    def _settle_down(self, rounds: int = 100) -> bool:
        """Every online peer reads L1, then messages flow, until nothing moves. A peer whose read fails is
        logged and left for the next round: one peer's failure must not keep the others from L1 (a close
        they must answer within the window, say)."""
        moved_any = False
        for _ in range(rounds):
            moved = False
            for index, peer in self.peers.items():
                if self.bus.is_online(peer.address):
                    try:
                        moved |= peer.poll()
                    except Exception:  # noqa: BLE001 - named in the log; the other peers go on
                        _log.exception("channel peer %s (dev account %s) could not read L1", peer.address, index)
            moved |= self.bus.run() > 0
            moved_any |= moved
            if not moved:
                break
        return moved_any

    def tick(self) -> dict[str, Any]:
        """Every online peer reads L1 (new events, the latest block), then messages flow until nothing moves."""
        with self.lock:
            mark = len(self.l1.receipts)
            self._settle_down()
            return {"block": self.l1.block_number(), "l1_transactions": self._gas_since(mark)}

    @contextmanager
    def _acting(self, peer: Peer) -> Iterator[list[dict[str, Any]]]:
        """Run a user action: afterwards the network settles down; the L1 calls it made land in the list.

        An L1 transaction the peer could not send (the peer keeps it in
        ``failed_transactions``) becomes a NotDone naming L1's reason.
        """
        if not self.bus.is_online(peer.address):
            raise NotDone(f"peer offline: {peer.address} is off the network (POST .../online brings it back)")
        with self.lock:
            mark, failed = len(self.l1.receipts), len(peer.failed_transactions)
            sent: list[dict[str, Any]] = []
            yield sent
            self._settle_down()
            sent += self._gas_since(mark)
            new = peer.failed_transactions[failed:]
            if new:
                event, reason = new[0]
                raise NotDone(f"L1 refused the {type(event).__name__.removeprefix('ContractSend')}: {reason}")

    def _gas_since(self, mark: int) -> list[dict[str, Any]]:
        names = {p.address.lower(): i for i, p in self.peers.items()}
        return [{"call": method, "by": names.get(str(r.get("from", "")).lower(), r.get("from")), "gas": gas_of(r),
                 "tx": r.get("transactionHash")} for method, r in self.l1.since(mark)]

    # -- naming peers ---------------------------------------------------------------------------------

    def _known(self) -> str:
        return ", ".join(str(i) for i in self.peers)

    def peer(self, who: Any, what: str = "peer") -> tuple[int, Peer]:
        """The hosted peer named by dev account number or address; KeyError naming the hosted ones."""
        index = self._index(who, what)
        if index is None:
            raise KeyError(f"unknown {what} {who!r:.60}: this node hosts channel peers for dev accounts "
                           f"{self._known()}")
        return index, self.peers[index]

    def _actor(self, who: Any) -> tuple[int, Peer]:
        """The hosted peer that is to act: it must be online."""
        index, peer = self.peer(who)
        if not self.bus.is_online(peer.address):
            raise NotDone(f"peer offline: peer {index} is off the network (POST /api/channels/peers/{index}/online "
                          "brings it back)")
        return index, peer

    def _index(self, who: Any, what: str) -> int | None:
        if isinstance(who, bool) or who is None:
            raise FormError(f"{what} must be a dev account number or a 0x address, got {who!r}")
        if isinstance(who, int) or (isinstance(who, str) and who.isdigit() and len(who) < 6):
            index = int(who)
            return index if index in self.peers else None
        if isinstance(who, str) and _ADDRESS.fullmatch(who):
            return next((i for i, p in self.peers.items() if p.address.lower() == who.lower()), None)
        raise FormError(f"{what} must be a dev account number or a 0x address, got {who!r:.60}")

    def _address(self, who: Any, what: str) -> str:
        """A partner or target: a hosted peer's number or address, or any 0x address."""
        index = self._index(who, what)
        if index is not None:
            return self.peers[index].address
        if isinstance(who, str) and _ADDRESS.fullmatch(who):
            return "0x" + who[2:]
        raise KeyError(f"unknown {what} {who!r:.60}: this node hosts channel peers for dev accounts {self._known()}; "
                       "name another participant by its 0x address")

    def _channel(self, peer: Peer, partner: str, verb: str, index: int) -> ChannelState:
        channel = peer.channel(partner)
        if channel is None:
            raise NotDone(f"no channel: peer {index} has no channel with {partner} to {verb}")
        return channel

    # -- reads ----------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self.lock:
            p = self.preset
            return {
                "adjudicator": self.adjudicator, "secret_registry": self.registry, "chain_id": self.l1.chain_id,
                "block": self.l1.block_number(), "timestamp": self.l1.timestamp(),
                "preset": {"name": p.name, "settle_timeout_min": p.settle_timeout_min,
                           "settle_timeout_max": p.settle_timeout_max,
                           "default_settle_timeout": p.default_settle_timeout, "reveal_timeout": p.reveal_timeout,
                           "max_locks": p.max_locks},
                "peers": [{"account": i, "address": peer.address, "online": self.bus.is_online(peer.address),
                           "channels": sum(1 for c in peer.state.channels.values() if c.status != SETTLED),
                           "block": peer.state.block_number, "logged_changes": len(peer.log),
                           "recovered_changes": self.recovered.get(i, 0)}
                          for i, peer in self.peers.items()],
                "deposits_held_wei": str(self.l1.balance(self.adjudicator)),
            }

    def channels(self) -> list[dict[str, Any]]:
        """Every channel a hosted peer is in (each once, from its lower-numbered hosted participant)."""
        with self.lock:
            seen: set[int] = set()
            out = []
            for index, peer in self.peers.items():
                for _, channel in sorted(peer.state.channels.items()):
                    if channel.identifier in seen:
                        continue
                    seen.add(channel.identifier)
                    out.append({"participant": peer.address, "account": index, **_channel_json(peer, channel)})
            return out

    def balances(self, who: Any) -> dict[str, Any]:
        """A hosted peer's channels and payments, and its L1 balance."""
        with self.lock:
            index, peer = self.peer(who)
            chans = [_channel_json(peer, c) for _, c in sorted(peer.state.channels.items())]
            in_channels = sum(int(c["balance"]) for c in chans if c["status"] != SETTLED)
            payments = [{"payment_identifier": pay.payment_identifier, "target": pay.target, "amount": str(pay.amount),
                         "status": pay.status, "route": list(pay.route)}
                        for _, pay in sorted(peer.state.payments.items())]
            return {"account": index, "address": peer.address, "online": self.bus.is_online(peer.address),
                    "l1_balance": str(self.l1.balance(peer.address)), "in_channels": str(in_channels),
                    "channels": chans, "payments": payments}

    # -- the user's verbs ---------------------------------------------------------------------------------

    def _check_l1_funds(self, peer: Peer, index: int, amount: int, what: str = "the deposit") -> None:
        have = self.l1.balance(peer.address)
        if amount + GAS_RESERVE_WEI > have:
            needs = f"needs {amount} wei and gas" if amount else f"needs up to {GAS_RESERVE_WEI} wei of gas"
            raise NotDone(f"insufficient L1 balance: peer {index} holds {have} wei, {what} {needs}")

    def _cosigner(self, partner: str, verb: str) -> None:
        """The partner must co-sign ``verb`` now: a hosted peer, online (else a 409, before anything moves)."""
        index = self._index(partner, "partner")
        if index is None:
            raise NotDone(f"partner not hosted: {partner} is not a peer of this node, and only hosted peers "
                          f"co-sign here; to {verb} with it, close the channel (`close`, then `settle`)")
        if not self.bus.is_online(partner):
            raise NotDone(f"partner offline: peer {index} must co-sign to {verb} (POST "
                          f"/api/channels/peers/{index}/online brings it back); closing needs no co-signature")

    def open(self, body: Any) -> dict[str, Any]:
        b = _body(body, {"peer": True, "partner": True, "deposit": False, "settle_timeout": False})
        with self.lock:
            index, peer = self._actor(b["peer"])
            partner = self._address(b["partner"], "partner")
            deposit = parse_amount(b.get("deposit", 0), "deposit", positive=False)
            timeout = b.get("settle_timeout")
            p = self.preset
            if timeout is None:
                timeout = p.default_settle_timeout
            elif isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
                raise FormError(f"settle_timeout must be a whole number of blocks, at least 1, got {timeout!r:.60}")
            elif not p.settle_timeout_min <= timeout <= p.settle_timeout_max:
                raise NotDone(f"settle_timeout must be between {p.settle_timeout_min} and "
                                f"{p.settle_timeout_max} blocks (the {p.name} preset), got {timeout}")
            if partner.lower() == peer.address.lower():
                raise NotDone(f"bad partner: peer {index} cannot open a channel with itself")
            current = peer.state.channel_with(partner)
            if current is not None:
                raise NotDone(f"one open channel per pair: peer {index} already has channel "
                              f"{current.identifier} ({current.status}) with {partner}")
            self._check_l1_funds(peer, index, deposit)
            with self._acting(peer) as sent:
                peer.open_channel(partner, deposit, timeout)
            channel = peer.channel(partner)
            if channel is None:
                raise NotDone(f"the channel with {partner} is not open on L1 yet: it opens once its block is mined")
            return {"account": index, **_channel_json(peer, channel), "l1_transactions": sent}

    def deposit(self, body: Any) -> dict[str, Any]:
        b = _body(body, {"peer": True, "partner": True, "amount": True})
        with self.lock:
            index, peer = self._actor(b["peer"])
            partner = self._address(b["partner"], "partner")
            amount = parse_amount(b["amount"], "amount")
            channel = self._channel(peer, partner, "deposit into", index)
            if channel.status != OPENED:
                raise NotDone(f"no open channel: channel {channel.identifier} with {partner} is {channel.status}")
            self._check_l1_funds(peer, index, amount)
            with self._acting(peer) as sent:
                peer.deposit(partner, amount)
            return {"account": index, **_channel_json(peer, self._channel(peer, partner, "deposit into", index)),
                    "l1_transactions": sent}

    def pay(self, body: Any) -> dict[str, Any]:
        b = _body(body, {"peer": True, "target": True, "amount": True, "mode": False})
        with self.lock:
            index, peer = self._actor(b["peer"])
            target = self._address(b["target"], "target")
            amount = parse_amount(b["amount"], "amount")
            mode = b.get("mode") or "auto"
            if mode not in MODES:
                raise FormError(f"mode must be one of {', '.join(MODES)}, got {mode!r:.40}")
            if target.lower() == peer.address.lower():
                raise NotDone(f"bad target: peer {index} does not pay itself")
            channel = peer.state.channel_with(target)
            direct_ok = channel is not None and channel.status == OPENED and channel.distributable() >= amount
            if mode == "auto":
                mode = "direct" if direct_ok else "mediated"
            if mode == "mediated" and not routes(peer.state, target, amount):
                raise NotDone(f"no route: no path of open channels can carry {amount} wei from peer {index} to "
                              f"{target}")
            with self._acting(peer) as sent:
                if mode == "direct":
                    identifier = peer.state.next_message_identifier
                    peer.transfer_direct(target, amount, identifier)
                else:
                    identifier = peer.pay(target, amount)
            answer: dict[str, Any] = {"account": index, "payment_identifier": identifier, "mode": mode,
                                      "target": target, "amount": str(amount), "l1_transactions": sent}
            if mode == "direct":
                answer.update(status="succeeded", route=[peer.address, target])
            else:
                payment = peer.state.payments[identifier]
                answer.update(status=payment.status, route=list(payment.route))
                failed = [e for e in peer.user_events if getattr(e, "payment_identifier", None) == identifier
                          and hasattr(e, "reason")]
                if failed:
                    answer["reason"] = failed[-1].reason
            after = peer.state.channel_with(answer["route"][1]) if answer["route"] else None
            if after is not None:
                answer["balance_with_first_hop"] = str(after.balance())
            return answer

    def close(self, body: Any) -> dict[str, Any]:
        b = _body(body, {"peer": True, "partner": True})
        with self.lock:
            index, peer = self._actor(b["peer"])
            partner = self._address(b["partner"], "partner")
            channel = self._channel(peer, partner, "close", index)
            if channel.status != OPENED:
                raise NotDone(f"no open channel: channel {channel.identifier} with {partner} is already "
                              f"{channel.status}")
            with self._acting(peer) as sent:
                peer.close(partner)
            channel = self._channel(peer, partner, "close", index)
            return {"account": index, **_channel_json(peer, channel), "l1_transactions": sent}

    def settle(self, body: Any) -> dict[str, Any]:
        """Settle a closed channel whose window is over (the peers do it on their own at the next block too)."""
        b = _body(body, {"peer": True, "partner": True})
        with self.lock:
            index, peer = self._actor(b["peer"])
            partner = self._address(b["partner"], "partner")
            channel = self._channel(peer, partner, "settle", index)
            if channel.status == OPENED:
                raise NotDone(f"channel open: close channel {channel.identifier} first; it settles after its "
                              f"{channel.settle_timeout}-block window")
            already = channel.status == SETTLED
            with self._acting(peer) as sent:
                pass  # a poll at the latest block is what makes a peer settle
            channel = self._channel(peer, partner, "settle", index)
            if channel.status == CLOSED:
                block, now = self.l1.block_number(), self.l1.timestamp()
                raise NotDone(f"settlement window open: channel {channel.identifier} settles after block "
                              f"{channel.settle_block} and time {channel.settle_time} (now block {block}, time "
                              f"{now}; {max(0, channel.settle_block + 1 - block)} more block(s) and "
                              f"{max(0, channel.settle_time - now)} s)")
            return {"account": index, **_channel_json(peer, channel), "already_settled": already,
                    "l1_transactions": sent}

    def withdraw(self, body: Any) -> dict[str, Any]:
        """Take ``amount`` out of an open channel to L1, co-signed by the partner; the channel stays open."""
        b = _body(body, {"peer": True, "partner": True, "amount": True})
        with self.lock:
            index, peer = self._actor(b["peer"])
            partner = self._address(b["partner"], "partner")
            amount = parse_amount(b["amount"], "amount")
            channel = self._channel(peer, partner, "withdraw from", index)
            if channel.status != OPENED:
                raise NotDone(f"no open channel: channel {channel.identifier} with {partner} is {channel.status}")
            self._cosigner(partner, "withdraw")
            self._check_l1_funds(peer, index, 0, "the withdrawal")
            before, l1_before = channel.our.withdrawn, self.l1.balance(peer.address)
            with self._acting(peer) as sent:
                peer.withdraw(partner, amount)
            channel = self._channel(peer, partner, "withdraw from", index)
            if channel.our.withdrawn < before + amount:
                raise NotDone(f"withdraw not co-signed: peer {index}'s request for {amount} wei is pending; "
                              f"{partner} has not co-signed it yet")
            return {"account": index, **_channel_json(peer, channel), "amount": str(amount),
                    "l1_balance": str(self.l1.balance(peer.address)),
                    "l1_balance_change": str(self.l1.balance(peer.address) - l1_before), "l1_transactions": sent}

    def cooperative_settle(self, body: Any) -> dict[str, Any]:
        """End an open channel at its current balances in one L1 transaction, co-signed by the partner."""
        b = _body(body, {"peer": True, "partner": True})
        with self.lock:
            index, peer = self._actor(b["peer"])
            partner = self._address(b["partner"], "partner")
            channel = self._channel(peer, partner, "settle cooperatively", index)
            if channel.status != OPENED:
                raise NotDone(f"no open channel: channel {channel.identifier} with {partner} is {channel.status}")
            self._cosigner(partner, "settle cooperatively")
            self._check_l1_funds(peer, index, 0, "the cooperative settlement")
            owed = {peer.address: str(channel.balance()), partner: _channel_json(peer, channel)["partner_balance"]}
            with self._acting(peer) as sent:
                peer.cooperative_settle(partner)
            channel = self._channel(peer, partner, "settle cooperatively", index)
            if channel.status != SETTLED:
                raise NotDone(f"settlement not co-signed: {partner} has not co-signed the cooperative settlement "
                              f"of channel {channel.identifier} yet")
            return {"account": index, **_channel_json(peer, channel), "paid_out": owed, "l1_transactions": sent}

    # -- dev: a peer taken off the network (admin routes) --------------------------------------------------------

    def set_online(self, who: Any, online: bool) -> dict[str, Any]:
        with self.lock:
            index, peer = self.peer(who)
            self.bus.set_online(peer.address, online)
            if online:
                peer.resend()
                self._settle_down()
            return {"account": index, "address": peer.address, "online": online}

