"""A watchtower (monitoring service): defends offline users against stale closes, and is paid for it on L1.

A user hands the watchtower a :class:`MonitorRequest` each time its partner
pays it: the partner's latest balance proof with the partner's signature,
the user's counter-signature for ``update_non_closing_balance_proof``
(``rules.update_digest``) and a signed ``rules.RewardProof`` for that proof.
The watchtower checks all three with the channel rules and keeps only the
newest per channel. It reads L1: when the partner closes and the closer's
proof L1 holds is older than the one it keeps, it waits ``patience`` of the
settlement window, in blocks and in seconds (the user, if online, answers by
itself and pays nothing), then, while the window still runs by its blocks or
its seconds, lands the update through the MonitoringService contract, which
sets the reward aside for it. After settlement it claims the reward; the contract pays
only the service whose update landed.

The update has a deadline, the window's end, and someone may fill blocks to
keep it out until then: its tip rises as the deadline nears
(``contracts_spec.l1.DeadlineFees``, by the seconds left of the window), and
while it waits in the pool the watchtower replaces it at its nonce each time
the tip has risen past the pool's replacement bump (or the base fee has
outgrown its fee cap), as the rollups' dispute actors do.

Like a peer it only reacts: :meth:`Watchtower.accept` to users,
:meth:`Watchtower.poll` to L1; :func:`due_updates` is the pure decision.

A watchtower restarted must still defend what it was hired for, so given a
``log`` path it keeps a :class:`WatchtowerLog` (SQLite, WAL mode,
``synchronous=FULL``, like a peer's ``channels.wal``): each channel's newest
request and what L1 and its own transactions have shown of it (the window,
the update sent or waiting in the pool, the reward claimed), and the last
block it read. :meth:`Watchtower.accept` returns only once the request is on
disk; what :meth:`Watchtower.observe` read and what :meth:`Watchtower.act`
sent are on disk when they return (a transaction is recorded after it went
out, never before, so a crash in between sends it again rather than never).
A new ``Watchtower`` on the same path takes it all back and reads L1 on from
that block.
"""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from channels import codec
from channels.state import ChannelState
from contracts_spec.channels import rules as R
from contracts_spec.channels.contract import ChannelAdjudicator
from contracts_spec.channels.monitoring import MonitoringService
from contracts_spec.channels.params import SECONDS_PER_SLOT
from contracts_spec.l1 import (
    DeadlineFees,
    L1Client,
    L1Error,
    encode_call,
    max_fee_for,
    replacement_fee,
)
from primitives.secp256k1 import private_key_to_address


@codec.register
@dataclass(frozen=True)
class MonitorRequest:
    """What a user hands a watchtower to defend it in one channel."""

    closing_participant: str  # the user's partner, whose proof this is
    non_closing_participant: str  # the user
    balance_proof: R.BalanceProof
    closing_signature: bytes  # the partner's signature over the proof
    non_closing_signature: bytes  # the user's counter-signature (rules.update_digest)
    reward_amount: int
    reward_signature: bytes  # the user's, over rules.RewardProof

    def reward(self, monitoring_service: str) -> R.RewardProof:
        p = self.balance_proof
        return R.RewardProof(p.chain_id, monitoring_service, p.adjudicator, p.channel_identifier,
                             self.non_closing_participant, p.nonce, self.reward_amount)


def monitor_request(key: bytes, channel: ChannelState, monitoring_service: str, reward_amount: int) -> MonitorRequest:
    """The request a user with ``key`` hands a watchtower for ``channel``: its partner's latest proof, counter-signed."""
    proof, signature = channel.partner.balance_proof, channel.partner.signature
    if proof.is_empty:
        raise R.ChannelRuleError("nothing to monitor", "the partner has sent no balance proof in this channel")
    request = MonitorRequest(channel.partner.address, channel.our.address, proof, signature,
                             R.sign(R.update_digest(proof, signature), key), reward_amount, b"")
    reward_signature = R.sign(request.reward(monitoring_service).digest(), key)
    return MonitorRequest(**{**request.__dict__, "reward_signature": reward_signature})


def check_monitor_request(request: MonitorRequest, *, chain_id: int, adjudicator: str, monitoring_service: str,
                          last_nonce: int) -> None:
    """The request is one L1 would take: the closer's proof, newer than ``last_nonce``, both users' signatures."""
    proof = request.balance_proof
    R.check_balance_proof(proof, R.recover_balance_proof_signer(proof, request.closing_signature),
                          sender=request.closing_participant, channel_identifier=proof.channel_identifier,
                          chain_id=chain_id, adjudicator=adjudicator, last_nonce=last_nonce)
    counter = R.recover_signer(R.update_digest(proof, request.closing_signature), request.non_closing_signature)
    if counter is None or int(counter, 16) != int(request.non_closing_participant, 16):
        raise R.ChannelRuleError("bad signature", "the update's counter-signature is not the non-closer's")
    reward = request.reward(monitoring_service)
    R.check_reward_proof(reward, R.recover_signer(reward.digest(), request.reward_signature),
                         non_closing=request.non_closing_participant, proof_nonce=proof.nonce,
                         channel_identifier=proof.channel_identifier)


@dataclass(frozen=True)
class Pending:
    """A monitor transaction sent but not mined yet: what a replacement at its nonce must outbid."""

    nonce: int
    tx_hash: str
    tip: int
    max_fee: int
    gas: int
    data: bytes


@dataclass
class Watched:
    """One channel the watchtower defends, and what L1 has shown of it."""

    request: MonitorRequest
    closed_block: int = 0  # 0 while open
    settle_block: int = 0
    settle_timeout: int = 0
    settle_time: int = 0  # the window's last second
    onchain_nonce: int = 0  # the closer's proof L1 holds
    sent_at: int = -1  # block the monitor transaction went out at
    pending: Pending | None = None  # the monitor transaction while it waits in the pool
    settled: bool = False
    claimed: bool = False


def _block_hash(block: dict | None) -> bytes:
    return b"" if block is None else bytes.fromhex(str(block.get("hash") or "0x")[2:])


def due_updates(watched: Mapping[int, Watched], block_number: int, timestamp: int, patience: float) -> list[int]:
    """Channels whose stale close the watchtower should answer now: closed by the partner, L1 holding an
    older proof than the one kept, ``patience`` of the window gone and the window still open.

    The window, like the adjudicator's, is judged by its blocks *and* its seconds: it is open while either
    runs (so a burst of blocks does not end it), and ``patience`` of it has passed once both have.
    """
    due = []
    for cid, w in sorted(watched.items()):
        if not w.closed_block or w.settled or w.sent_at >= 0 or w.onchain_nonce >= w.request.balance_proof.nonce:
            continue
        waited = int(w.settle_timeout * patience)
        closed_time = w.settle_time - w.settle_timeout * SECONDS_PER_SLOT
        patient = block_number >= w.closed_block + waited and timestamp >= closed_time + waited * SECONDS_PER_SLOT
        window_open = block_number <= w.settle_block or timestamp < w.settle_time
        if patient and window_open:
            due.append(cid)
    return due


_ROW = "watched/1"
_SCHEMA = ("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
           "CREATE TABLE IF NOT EXISTS watched (channel INTEGER PRIMARY KEY, data BLOB NOT NULL)")


def pack_watched(w: Watched) -> bytes:
    """One channel's row: the request and what the watchtower knows and did about it (``codec.pack``)."""
    pending = None if w.pending is None else dataclasses.astuple(w.pending)
    return codec.pack((_ROW, w.request, w.closed_block, w.settle_block, w.settle_timeout, w.settle_time,
                       w.onchain_nonce, w.sent_at, pending, w.settled, w.claimed))


def unpack_watched(data: bytes) -> Watched:
    """The :class:`Watched` :func:`pack_watched` made ``data`` from; ValueError naming what is off."""
    row = codec.unpack(data)
    if not isinstance(row, tuple) or len(row) != 11 or row[0] != _ROW:
        raise ValueError(f"not a {_ROW} row")
    _, request, closed, settle_block, timeout, settle_time, onchain_nonce, sent_at, pending, settled, claimed = row
    numbers = (closed, settle_block, timeout, settle_time, onchain_nonce, sent_at)
    if not isinstance(request, MonitorRequest) or not isinstance(request.balance_proof, R.BalanceProof):
        raise ValueError("its request is not a MonitorRequest")
    if not all(type(n) is int for n in numbers) or type(settled) is not bool or type(claimed) is not bool:
        raise ValueError("a block, time, nonce or flag is not of its type")
    if pending is not None:
        kinds = (int, str, int, int, int, bytes)
        if not isinstance(pending, tuple) or len(pending) != 6 or any(
                type(v) is not k for v, k in zip(pending, kinds, strict=True)):
            raise ValueError("its waiting transaction is malformed")
        pending = Pending(*pending)
    return Watched(request, closed, settle_block, timeout, settle_time, onchain_nonce, sent_at, pending, settled,
                   claimed)


class WatchtowerLog:
    """A watchtower's channels and the last block it read, durable on disk (see the module doc)."""

    def __init__(self, path: str | os.PathLike, identity: Mapping[str, str]) -> None:
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        try:
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise OSError(f"{self.path}: SQLite refused WAL mode (got {mode})")
            self._db.execute("PRAGMA synchronous=FULL")
            for statement in _SCHEMA:
                self._db.execute(statement)
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ValueError(f"{self.path}: not a watchtower log: {exc}") from exc
        known = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        for name, value in identity.items():  # a log serves one watchtower on one adjudicator of one chain
            if name in known and known[name].lower() != value.lower():
                self._db.close()
                raise ValueError(f"{self.path}: this log is for {name} {known[name]}, not {value}")
        self._db.executemany("INSERT OR IGNORE INTO meta (name, value) VALUES (?, ?)", list(identity.items()))

    def load(self) -> tuple[int, int, dict[int, Watched]]:
        """The last block read, its timestamp, and every channel kept."""
        meta = dict(self._db.execute("SELECT name, value FROM meta").fetchall())
        watched = {}
        for cid, data in self._db.execute("SELECT channel, data FROM watched ORDER BY channel").fetchall():
            try:
                w = unpack_watched(data)
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{self.path}: watched channel {cid} cannot be read back: {exc}") from exc
            if w.request.balance_proof.channel_identifier != cid:
                raise ValueError(f"{self.path}: watched channel {cid} holds a request for channel "
                                 f"{w.request.balance_proof.channel_identifier}")
            watched[int(cid)] = w
        try:
            return int(meta.get("block_number", 0)), int(meta.get("timestamp", 0)), watched
        except ValueError as exc:
            raise ValueError(f"{self.path}: the last block read cannot be read back: {exc}") from exc

    def save(self, rows: Mapping[int, bytes], forgotten: Iterable[int], block_number: int, timestamp: int) -> None:
        """Write ``rows``, drop ``forgotten`` and move the cursor in one transaction: on disk when this returns."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO watched (channel, data) VALUES (?, ?)", list(rows.items()))
            self._db.executemany("DELETE FROM watched WHERE channel = ?", [(cid,) for cid in forgotten])
            self._db.executemany("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)",
                                 [("block_number", str(block_number)), ("timestamp", str(timestamp))])
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def close(self) -> None:
        self._db.close()


@dataclass
class WatchtowerStats:
    accepted: int = 0
    refused: list[tuple[MonitorRequest, str]] = field(default_factory=list)
    updates_landed: list[int] = field(default_factory=list)
    updates_failed: list[tuple[int, str]] = field(default_factory=list)
    rewards: list[tuple[int, int]] = field(default_factory=list)  # (channel, amount) claimed


class Watchtower:
    """A monitoring service with its own key, watching one adjudicator for the users who hired it."""

    def __init__(self, key: bytes, l1: L1Client, adjudicator: str, monitoring_service: str, *,
                 patience: float = 0.5, min_reward: int = 0, fees: DeadlineFees | None = None,
                 log: str | os.PathLike | None = None) -> None:
        if not 0 <= patience < 1:
            raise ValueError(f"patience {patience} must be in [0, 1): a share of the settlement window")
        self.key, self.address = key, private_key_to_address(key)
        self.l1, self.adjudicator, self.monitoring_service = l1, adjudicator, monitoring_service
        self.patience, self.min_reward = patience, min_reward
        self.fees = fees or DeadlineFees()
        self.watched: dict[int, Watched] = {}
        self.block_number = self.timestamp = 0
        self.block_hash = b""  # of the last block read (not logged: after a restart the next read sets it)
        self.reorganisations = 0
        self.stats = WatchtowerStats()
        self.log: WatchtowerLog | None = None
        self._stored: dict[int, bytes] = {}  # each channel's row as the log holds it
        if log is not None:
            self._reopen(log)

    def _reopen(self, path: str | os.PathLike) -> None:
        """Take back from the log at ``path`` what an earlier watchtower with this key was hired for."""
        self.log = WatchtowerLog(path, {"watchtower": self.address, "adjudicator": self.adjudicator,
                                        "monitoring_service": self.monitoring_service,
                                        "chain_id": str(self.l1.chain_id)})
        try:
            self.block_number, self.timestamp, watched = self.log.load()
            for cid, w in watched.items():  # a row that decodes may still not be a request L1 would take
                try:
                    check_monitor_request(w.request, chain_id=self.l1.chain_id, adjudicator=self.adjudicator,
                                          monitoring_service=self.monitoring_service, last_nonce=0)
                except R.ChannelRuleError as exc:
                    raise ValueError(f"{self.log.path}: watched channel {cid} holds a request that does not "
                                     f"verify: {exc}") from None
        except BaseException:
            self.log.close()
            raise
        self.watched = watched
        self._stored = {cid: pack_watched(w) for cid, w in watched.items()}

    def _persist(self, extra: Mapping[int, Watched] | None = None) -> None:
        """Put on disk the channels that changed since the last write (and ``extra``), and the last block read."""
        if self.log is None:
            return
        watched = {**self.watched, **(extra or {})}
        rows = {cid: row for cid, w in watched.items() if (row := pack_watched(w)) != self._stored.get(cid)}
        forgotten = [cid for cid in self._stored if cid not in watched]
        self.log.save(rows, forgotten, self.block_number, self.timestamp)
        self._stored.update(rows)
        for cid in forgotten:
            del self._stored[cid]

    def close(self) -> None:
        """Close the log (everything in it is already on disk)."""
        if self.log is not None:
            self.log.close()
            self.log = None

    # -- users -------------------------------------------------------------------------------------

    def accept(self, request: MonitorRequest) -> None:
        """Keep ``request`` if it is valid, newer than the one kept and its reward is covered; else raise naming the rule."""
        try:
            cid = request.balance_proof.channel_identifier
            held = self.watched.get(cid)
            if held is not None and int(held.request.non_closing_participant, 16) != int(
                    request.non_closing_participant, 16):
                raise R.ChannelRuleError("wrong user", "another participant of this channel hired this watchtower")
            check_monitor_request(request, chain_id=self.l1.chain_id, adjudicator=self.adjudicator,
                                  monitoring_service=self.monitoring_service,
                                  last_nonce=0 if held is None else held.request.balance_proof.nonce)
            if request.reward_amount < self.min_reward:
                raise R.ChannelRuleError("reward too small", f"{request.reward_amount}, this service asks "
                                                             f"{self.min_reward}")
            covered = self.l1.call(self.monitoring_service, MonitoringService, "effective_balance",
                                   request.non_closing_participant)
            if request.reward_amount > covered:
                raise R.ChannelRuleError("reward not covered", f"the user's deposit holds {covered}, the reward is "
                                                               f"{request.reward_amount}")
        except R.ChannelRuleError as exc:
            self.stats.refused.append((request, str(exc)))
            raise
        kept = Watched(request) if held is None else dataclasses.replace(held, request=request)
        self._persist({cid: kept})  # on disk before the user hears it was accepted
        self.watched[cid] = kept
        self.stats.accepted += 1

    # -- L1 -------------------------------------------------------------------------------------------

    def poll(self) -> bool:
        """Read L1's new closes, updates and settlements, then act; True when there was a new block."""
        moved = self.observe()
        if moved:
            self.act()
        return moved

    def observe(self) -> bool:
        """Read L1's new closes, updates and settlements; True when there was a new block.

        If L1 no longer has the last block read (a reorganisation), what L1 had
        shown of every channel is forgotten and read again from the start: a
        close, an update or a settlement may be gone, or have moved."""
        if self.block_hash and _block_hash(self.l1.block(self.block_number)) != self.block_hash:
            self.reorganisations += 1
            for kept in self.watched.values():
                kept.closed_block = kept.settle_block = kept.settle_timeout = kept.settle_time = 0
                kept.onchain_nonce, kept.settled = 0, False
                if kept.pending is None and not kept.claimed:
                    kept.sent_at = -1  # an update L1 lost may be sent again (one L1 still has is refused as stale)
            self.block_number = self.timestamp = 0
            self.block_hash = b""
        latest = self.l1.block_number()
        if latest <= self.block_number:
            return False
        start = self.block_number + 1
        head = self.l1.block(latest)
        timestamp = int(head["timestamp"], 16)

        def events(name: str) -> list[dict]:
            return self.l1.events(self.adjudicator, ChannelAdjudicator, name, start, latest)

        closed, updated, settled = events("ChannelClosed"), events("NonClosingBalanceProofUpdated"), events(
            "ChannelSettled")  # all read before any is applied: a failed read leaves the cursor where it was
        for e in closed:
            w = self.watched.get(e["channel_identifier"])
            if w is not None and int(e["closing_participant"], 16) == int(w.request.closing_participant, 16):
                _, w.settle_timeout, w.settle_block, w.settle_time = self.l1.call(self.adjudicator, ChannelAdjudicator,
                                                                      "channel_info", e["channel_identifier"])
                w.closed_block = e["blockNumber"]
        for e in updated:
            w = self.watched.get(e["channel_identifier"])
            if w is not None:
                w.onchain_nonce = max(w.onchain_nonce, e["nonce"])
        for e in settled:
            w = self.watched.get(e["channel_identifier"])
            if w is not None:
                w.settled = True
        self.block_number, self.timestamp, self.block_hash = latest, timestamp, _block_hash(head)
        self._persist()
        return True

    def act(self) -> None:
        """Answer the stale closes that are due, claim the rewards that are, forget the channels that are done."""
        for cid in due_updates(self.watched, self.block_number, self.timestamp, self.patience):
            self._monitor(cid)
        for cid, w in sorted(self.watched.items()):
            if w.pending is not None:
                self._bump(cid)
        for cid, w in sorted(self.watched.items()):
            if w.settled and not w.claimed and w.sent_at >= 0:
                self._claim(cid)
        for cid in [c for c, w in self.watched.items() if w.settled and (w.claimed or w.sent_at < 0)]:
            del self.watched[cid]  # done with: nothing more to defend or claim
        self._persist()

    def _tip(self, w: Watched) -> int:
        """The tip for the update now: the floor early in the window, rising to the cap at its end."""
        seconds_left = max(0, w.settle_time - self.l1.timestamp())
        return self.fees.tip(seconds_left, max(1, w.settle_timeout * SECONDS_PER_SLOT))

    def _monitor(self, cid: int) -> None:
        w = self.watched[cid]
        r, p = w.request, w.request.balance_proof
        w.sent_at = self.block_number
        data = encode_call(MonitoringService, "monitor", cid, r.closing_participant, r.non_closing_participant,
                           p.nonce, p.transferred_amount, p.locked_amount, p.locksroot, r.closing_signature,
                           r.non_closing_signature, r.reward_amount, r.reward_signature)
        tip = self._tip(w)
        nonce, max_fee = self.l1.nonce(self.address), max_fee_for(self.l1.base_fee(), tip)
        try:  # the gas is estimated first: an update that would revert is not sent
            tx_hash = self.l1.submit(self.key, to=self.monitoring_service, data=data, tip=tip, max_fee=max_fee,
                                     nonce=nonce)
        except L1Error as exc:  # another service, or the user, landed it (or a newer proof) first
            self.stats.updates_failed.append((cid, str(exc)))
            return
        gas = int(self.l1.rpc("eth_getTransactionByHash", tx_hash)["gas"], 16)
        w.pending = Pending(nonce, tx_hash, tip, max_fee, gas, data)
        self._persist()  # sent: a restarted watchtower waits for it, or replaces it at its nonce
        self._mined(cid)

    def _mined(self, cid: int) -> bool:
        """Whether the waiting update is mined (landed or reverted, and noted as such)."""
        w = self.watched[cid]
        assert w.pending is not None
        receipt = self.l1.receipt(w.pending.tx_hash)
        if receipt is None:
            return False
        w.pending = None
        if int(receipt["status"], 16) == 1:
            self.stats.updates_landed.append(cid)
        else:
            self.stats.updates_failed.append((cid, self.l1.revert_reason(receipt)))
        return True

    def _bump(self, cid: int) -> None:
        """The update still waits: replace it at its nonce once the deadline's tip outbids it by the pool's bump."""
        if self._mined(cid):
            return
        w = self.watched[cid]
        old = w.pending
        assert old is not None
        base_fee = self.l1.base_fee()
        tip = self._tip(w)
        priced_out = old.max_fee < base_fee + old.tip
        if tip < replacement_fee(old.tip) and not priced_out:
            return  # the deadline asks no more than it pays yet
        tip = max(tip, replacement_fee(old.tip))
        if tip > self.fees.cap:
            return  # as high as the policy goes: it waits as it is
        max_fee = max(max_fee_for(base_fee, tip), replacement_fee(old.max_fee))
        try:
            tx_hash = self.l1.submit(self.key, to=self.monitoring_service, data=old.data, gas=old.gas, tip=tip,
                                     max_fee=max_fee, nonce=old.nonce)
        except L1Error as exc:  # the old one was mined meanwhile, or the pool refused: look again next block
            self.stats.updates_failed.append((cid, f"replacement: {exc}"))
            return
        w.pending = Pending(old.nonce, tx_hash, tip, max_fee, old.gas, old.data)
        self._mined(cid)

    def _claim(self, cid: int) -> None:
        w = self.watched[cid]
        w.claimed = True
        service, _, amount = self.l1.call(self.monitoring_service, MonitoringService, "reward_info", cid,
                                          w.request.non_closing_participant)
        if int(service, 16) != int(self.address, 16):
            return  # our update did not stand: nothing to claim
        try:
            self.l1.transact(self.key, self.monitoring_service, MonitoringService, "claim_reward", cid,
                             w.request.non_closing_participant)
        except L1Error as exc:
            self.stats.updates_failed.append((cid, f"claim: {exc}"))
            return
        self.stats.rewards.append((cid, amount))
