"""A peer's runtime: the one place where its state machine touches the world.

:meth:`Peer.handle` is the whole loop: append the state change to the
write-ahead log, run ``transition.state_transition``, then perform the
events it returns: sign and send messages on the transport, sign and send L1
transactions through ``L1Client``, and keep the user's news. Its inputs come
from the user (:meth:`Peer.pay`, :meth:`Peer.open_channel`, ...), from the
transport (:meth:`Peer.receive`, which recovers the signers first) and from
L1 (:meth:`Peer.poll`, which turns new adjudicator and registry events, then
the latest block, into state changes).

A new ``Peer`` on an existing log replays it (recovery is a replay) and sends
again every message its partners have not acknowledged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, NamedTuple

from channels import events as E
from channels import state_changes as S
from channels.messages import (
    BATCH_THREADS_FROM,
    Message,
    Processed,
    Signed,
    merge_acknowledgements,
    proof_digest,
    recover_many,
    sign_round,
)
from channels.state import SETTLED, ChannelState, PeerState
from channels.transition import Refused, state_transition
from channels.transport import MessageBus, Transport
from channels.wal import StateChangeLog
from channels.watchtower import MonitorRequest, monitor_request
from contracts_spec.channels import rules as R
from contracts_spec.channels.contract import ChannelAdjudicator, SecretRegistry
from contracts_spec.channels.params import MINIMAL, SECONDS_PER_SLOT, ChannelPreset
from contracts_spec.l1 import DeadlineFees, DeadlineSender, L1Client, L1Error, Move
from primitives import secp256k1
from primitives.secp256k1 import private_key_to_address, to_checksum_address

_ADJUDICATOR_EVENTS = ("ChannelOpened", "ChannelNewDeposit", "ChannelWithdraw", "ChannelClosed", "NonClosingBalanceProofUpdated",
                       "ChannelSettled", "ChannelUnlocked")
# State changes that only say what L1 holds: dropped and read again from L1 when it reorganises.
_FROM_L1 = (S.ContractReceiveChannelOpened, S.ContractReceiveChannelDeposit, S.ContractReceiveChannelWithdraw,
            S.ContractReceiveChannelClosed, S.ContractReceiveUpdateTransfer, S.ContractReceiveChannelSettled,
            S.ContractReceiveChannelUnlocked, S.ContractReceiveSecretRevealed)


def _hash_of(block: dict) -> bytes:
    return bytes.fromhex(str(block.get("hash") or "0x")[2:])


# A batch that sends at least this many balance proofs signs them while its commit waits for the disk.
PRESIGN_FROM = 16
_ADDRESS_FIELDS = {"participant1", "participant2", "participant", "closing_participant", "receiver", "sender"}


class Peer:
    """One participant of the channel network, with its key, its log, an L1 and a transport."""

    def __init__(self, private_key: bytes, l1: L1Client, adjudicator: str, registry: str, bus: MessageBus | Transport,
                 log_path: str | os.PathLike, *, preset: ChannelPreset = MINIMAL,
                 fees: DeadlineFees | None = None) -> None:
        self.key = private_key
        self.address = private_key_to_address(private_key)
        self.l1, self.adjudicator, self.registry, self.bus, self.preset = l1, adjudicator, registry, bus, preset
        self.state = PeerState(self.address, l1.chain_id, adjudicator, preset.reveal_timeout, preset.max_locks)
        self.user_events: list[Any] = []
        self.failed_transactions: list[tuple[Any, str]] = []
        self.reorganisations: list[int] = []  # for each L1 reorganisation followed, the block the old chain kept
        self._sent_at: dict[int, int] = {}
        # Transactions with a deadline (an update in the settlement window, a secret before its lock
        # expires), one in flight at a time, its tip rising as the deadline nears: purpose -> what to send.
        self.deadlines = DeadlineSender(l1, private_key, fees, wait=0)
        self.urgent: dict[str, Urgent] = {}
        self._batch: Batch | None = None
        # Messages to send, signed together when the batch that caused them has been performed.
        self._outbox: list[Message] = []
        self._performing = 0
        self._unsynced: list[S.StateChange] = []  # acknowledgements applied, logged with the next commit
        self._committer: ThreadPoolExecutor | None = None  # waits for the disk while a batch's proofs are signed
        self._presigned: dict[bytes, bytes] = {}  # proof digest -> our signature, made during the commit
        # A bus that delivers rounds lets a round's messages to one partner share an envelope signature.
        self._envelopes = bool(getattr(bus, "delivers_rounds", False))
        # Watchtowers this peer hands its partners' newest proofs to: (accept, monitoring service, reward).
        self.watchtowers: list[tuple[Callable[[Any], object], str, int]] = []
        self.monitoring_refusals: list[str] = []
        self.log = StateChangeLog(log_path)
        for _, change in self.log.replay():
            try:
                state_transition(self.state, change)
            except Refused:
                pass  # logged, then refused, then the peer died before deleting it
        bus.register(self.address, self.receive)
        register_round = getattr(bus, "register_round", None)
        if register_round is not None:
            register_round(self.address, self.receive_round)
        self.resend()

    @staticmethod
    def address_of(private_key: bytes) -> str:
        return private_key_to_address(private_key)

    # -- the one handler -------------------------------------------------------------------------------

    def handle(self, change: S.StateChange) -> list:
        """Apply ``change``, log it (fsynced), perform its events; the events. Refused changes are not kept."""
        with self.batch() as batch:
            result = batch.apply(change)
        if isinstance(result, Refused):
            raise result
        return result

    def handle_many(self, changes: Iterable[S.StateChange]) -> list[list | Refused]:
        """Apply every change, log the accepted ones with one fsync, then perform their events in order:
        for each change its events, or the ``Refused`` that says why it changed nothing."""
        with self.batch() as batch:
            return [batch.apply(change) for change in changes]

    @contextmanager
    def batch(self) -> Iterator[Batch]:
        """A group commit: changes applied inside are logged together on leaving, then their events performed.

        Nothing leaves the peer (message, acknowledgement, L1 transaction, news to
        a watchtower) before the fsync that covers the state change causing it.
        If the commit fails, nothing of the batch is performed (and the peer must
        be restarted from its log: its memory is ahead of its disk).
        """
        if self._batch is not None:  # nested: the outer batch commits
            yield self._batch
            return
        batch = self._batch = Batch(self)
        try:
            yield batch
        finally:  # also when a change raised: what was applied before it is logged and performed
            self._batch = None
            self._performing += 1  # a change handled by an effect joins this batch's messages
            try:
                if batch.logged and not batch.effects and all(type(c) is S.ReceiveProcessed for c in batch.logged):
                    # Only acknowledgements, which cause nothing: they wait for the next commit. If the peer
                    # dies first, it sends those messages again and its partner acknowledges them again.
                    self._unsynced.extend(batch.logged)
                elif batch.logged:
                    self._commit([*self._unsynced, *batch.logged], batch)
                    self._unsynced.clear()
                for effect in batch.effects:
                    if isinstance(effect, list):  # a change's events, in order
                        for event in effect:
                            self._perform(event)
                    else:
                        effect()
            finally:
                self._performing -= 1
            if not self._performing:
                self._flush()

    def _commit(self, changes: list[S.StateChange], batch: Batch) -> None:
        """Log ``changes`` (one fsync). A batch that will send many balance proofs has them signed meanwhile,
        on this thread, while a worker waits for the disk: a signature sends nothing, and what is signed is
        only handed to the transport once this has returned (if the commit fails, it is dropped unsent)."""
        proofs = batch.proofs_to_send() if len(batch.logged) >= PRESIGN_FROM else []
        if len(proofs) < PRESIGN_FROM:
            self.log.append_many(changes)
            return
        if self._committer is None:
            self._committer = ThreadPoolExecutor(1, thread_name_prefix="l2lab-peer-log")
        done = self._committer.submit(self.log.append_many, changes)
        try:
            digests = [proof_digest(p) for p in proofs]
            self._presigned = dict(zip(digests, secp256k1.sign_many(
                digests, self.key, threads=None if len(digests) >= BATCH_THREADS_FROM else 1), strict=True))
        finally:
            done.result()  # the commit's own error, if any, before anything of the batch is performed

    def _flush(self) -> None:
        """Sign what the batch sends, all signatures in one call, and hand it to the transport in order."""
        try:
            while self._outbox:
                messages, self._outbox = merge_acknowledgements(self._outbox), []
                for signed in sign_round(messages, self.key, self.state.chain_id, self.adjudicator,
                                         envelopes=self._envelopes, presigned=self._presigned):
                    self.bus.send(signed)
        finally:
            self._presigned = {}

    def _tell_watchtowers(self, partner: str) -> None:
        channel = self.state.channel_with(partner)
        if channel is None or channel.partner.balance_proof.is_empty:
            return
        for accept, service, reward in self.watchtowers:
            try:
                accept(monitor_request(self.key, channel, service, reward))
            except R.ChannelRuleError as exc:  # the watchtower refused: the user keeps watching by itself
                self.monitoring_refusals.append(str(exc))

    def _perform(self, event: Any) -> None:
        if isinstance(event, E.SendMessage):
            self._send(event.message)
        elif isinstance(event, E.EventPaymentSentSuccess | E.EventPaymentSentFailed | E.EventPaymentReceived):
            self.user_events.append(event)
        else:
            try:
                self._transact(event)
            except L1Error as exc:  # someone else did it first, or it is too late: L1 says which
                self.failed_transactions.append((event, str(exc)))
                if isinstance(event, E.ContractSendChannelOpen):
                    self.handle(S.ContractReceiveTransactionFailed("open_channel", event.partner, str(exc)))

    def _send(self, message: Message) -> None:
        """Queue ``message``: it is signed and sent when the current batch ends (at once outside one)."""
        if not isinstance(message, Processed):
            self._sent_at[message.message_identifier] = self.state.block_number
        self._outbox.append(message)
        if self._batch is None and not self._performing:
            self._flush()

    def _tx(self, method: str, *args: Any, value: int = 0, contract: type = ChannelAdjudicator,
            to: str | None = None) -> dict:
        return self.l1.transact(self.key, to or self.adjudicator, contract, method, *args, value=value)

    def _transact(self, event: Any) -> None:
        me = self.address
        if isinstance(event, E.ContractSendChannelOpen):
            self._tx("open_channel", event.partner, event.settle_timeout)
        elif isinstance(event, E.ContractSendChannelDeposit):
            self._tx("set_total_deposit", event.channel_identifier, me, event.partner, event.total_deposit,
                     value=event.amount)
        elif isinstance(event, E.ContractSendChannelClose):
            p, signature = event.balance_proof, event.signature
            closing = R.sign(R.close_digest(p, signature), self.key)
            self._tx("close_channel", event.channel_identifier, me, event.partner, p.nonce, p.transferred_amount,
                     p.locked_amount, p.locksroot, signature, closing)
        elif isinstance(event, E.ContractSendChannelUpdate):
            p, signature = event.balance_proof, event.signature
            counter = R.sign(R.update_digest(p, signature), self.key)
            channel = self.state.channels.get(event.channel_identifier)
            args = (event.channel_identifier, event.partner, me, p.nonce, p.transferred_amount, p.locked_amount,
                    p.locksroot, signature, counter)
            if channel is None or not channel.settle_time:
                self._tx("update_non_closing_balance_proof", *args)
            else:  # due by the window's end, in its seconds
                self._send_urgent(f"update {event.channel_identifier}", Urgent(
                    self.adjudicator, ChannelAdjudicator, "update_non_closing_balance_proof", args,
                    channel.settle_time, channel.settle_timeout * SECONDS_PER_SLOT))
        elif isinstance(event, E.ContractSendChannelSettle):
            one, two = event.one, event.two
            self._tx("settle_channel", event.channel_identifier, one.participant, one.transferred, one.locked,
                     one.locksroot, two.participant, two.transferred, two.locked, two.locksroot)
        elif isinstance(event, E.ContractSendChannelUnlock):
            self._tx("unlock", event.channel_identifier, event.receiver, event.sender, R.encode_locks(event.locks))
        elif isinstance(event, E.ContractSendChannelWithdraw):
            request = R.WithdrawRequest(event.channel_identifier, self.state.chain_id, self.adjudicator, me,
                                        event.total_withdraw, event.expiration)
            own = R.sign(request.digest(), self.key)
            self._tx("set_total_withdraw", event.channel_identifier, me, event.partner, event.total_withdraw,
                     event.expiration, own, event.partner_signature)
        elif isinstance(event, E.ContractSendChannelCooperativeSettle):
            settlement = R.CooperativeSettlement(event.channel_identifier, self.state.chain_id, self.adjudicator,
                                                 event.participant1, event.balance1, event.participant2,
                                                 event.balance2, event.expiration)
            own = R.sign(settlement.digest(), self.key)
            first_is_me = event.participant1.lower() == me.lower()
            signatures = (own, event.partner_signature) if first_is_me else (event.partner_signature, own)
            self._tx("cooperative_settle", event.channel_identifier, event.participant1, event.balance1,
                     event.participant2, event.balance2, event.expiration, *signatures)
        elif isinstance(event, E.ContractSendSecretReveal):
            expiries = [lock.expiration_time for channel in self.state.channels.values()
                        for h, lock in channel.partner.locks.items() if h == R.secrethash_of(event.secret)]
            if not expiries:
                self._tx("register_secret", event.secret, contract=SecretRegistry, to=self.registry)
            else:  # due before the earliest lock on it expires, in its seconds
                self._send_urgent(f"register {event.secret.hex()}", Urgent(
                    self.registry, SecretRegistry, "register_secret", (event.secret,), min(expiries),
                    self.preset.reveal_timeout * SECONDS_PER_SLOT))
        else:
            raise TypeError(f"no effect for {type(event).__name__}")

    def _send_urgent(self, purpose: str, urgent: Urgent) -> None:
        self.urgent[purpose] = urgent  # sent again, the same purpose replaces what it would send
        self._push_urgent()

    def _push_urgent(self) -> None:
        """Send, or raise the tip of, the first transaction with a deadline; the next once it is mined.

        One is in flight at a time, so a replacement never takes another's
        nonce. A transaction L1 refuses (someone else landed it, or it is too
        late) is noted in ``failed_transactions`` and dropped.
        """
        while self.urgent:
            purpose, u = next(iter(self.urgent.items()))
            move = Move(u.method, u.args, max(0, u.deadline - self.l1.timestamp()), max(1, u.allowance))
            try:
                receipt = self.deadlines.send(u.to, u.contract, move)
            except L1Error as exc:
                self.failed_transactions.append((purpose, str(exc)))
                receipt = {}
            if receipt is None:
                return  # it waits in the pool: the tip is raised again on the next block
            del self.urgent[purpose]

    # -- inputs ------------------------------------------------------------------------------------------

    def receive(self, signed: Signed) -> list:
        """A message from the transport: signers recovered, then handled. Raises ``Refused``."""
        result = self.receive_many([signed])[0]
        if isinstance(result, Refused):
            raise result
        return result

    def receive_many(self, batch: Sequence[Signed]) -> list[list | Refused]:
        """A delivery round: every message's signers recovered in one batch, every message applied, the
        accepted ones logged with one fsync, then acknowledged; for each its events or its ``Refused``."""
        signers = recover_many(batch, self.state.chain_id, self.adjudicator)
        results: list[list | Refused] = []
        with self.batch() as group:
            for signed, (signer, balance_signer) in zip(batch, signers, strict=True):
                kind = S.RECEIVE_BY_MESSAGE.get(type(signed.message))
                if kind is None:
                    results.append(Refused("unknown message", type(signed.message).__name__))
                    continue
                change = kind(signer=signer, balance_signature=signed.balance_signature,  # type: ignore[call-arg]
                              balance_signer=balance_signer, message=signed.message)
                result = group.apply(change)  # type: ignore[arg-type]
                if isinstance(result, Refused) and result.rule == "replayed message":
                    # applied before: say so again (after the commit: the first answer may be lost)
                    message = signed.message
                    ack = Processed(self.address, message.sender, message.message_identifier)
                    group.effects.append(lambda ack=ack: self._send(ack))  # type: ignore[misc]
                results.append(result)
        return results

    def receive_round(self, batch: Sequence[Signed]) -> list[tuple[Signed, Refused]]:
        """What the message bus calls with a delivery round: the refused messages, with why."""
        return [(signed, result) for signed, result in zip(batch, self.receive_many(batch), strict=True)
                if isinstance(result, Refused)]

    def poll(self) -> bool:
        """Hand in L1's new events and its latest block; True when there was a new block.

        If L1 no longer has the block this peer last saw (a reorganisation),
        the peer first rebuilds its state on the chain L1 has now
        (:meth:`follow_reorganisation`)."""
        if self._reorganised():
            self.follow_reorganisation()
        latest = self.l1.block_number()
        start = self.state.block_number + 1
        if latest < start:
            return False
        found = self._l1_events(start, latest)
        block = self.l1.block(latest)
        with self.batch() as batch:  # one fsync for the whole poll
            for _, _, name, e in found:
                batch.apply(self._state_change(name, e), strict=True)
            batch.apply(S.Block(latest, int(block["timestamp"], 16), _hash_of(block)), strict=True)
        self._push_urgent()
        self.resend(older_than=latest)
        return True

    def _l1_events(self, start: int, end: int) -> list[tuple[int, int, str, dict]]:
        """The adjudicator's and the registry's events in blocks ``start..end``, in the order L1 made them."""
        found = []
        for name in _ADJUDICATOR_EVENTS:
            found += [(e["blockNumber"], e["logIndex"], name, e)
                      for e in self.l1.events(self.adjudicator, ChannelAdjudicator, name, start, end)]
        found += [(e["blockNumber"], e["logIndex"], "SecretRevealed", e)
                  for e in self.l1.events(self.registry, SecretRegistry, "SecretRevealed", start, end)]
        return sorted(found, key=lambda f: (f[0], f[1]))

    def _reorganised(self) -> bool:
        """Whether L1 has lost (or replaced) the block this peer last handed in."""
        if not self.state.block_hash:
            return False
        block = self.l1.block(self.state.block_number)
        return block is None or _hash_of(block) != self.state.block_hash

    def follow_reorganisation(self) -> int:
        """Rebuild the state on the chain L1 has now; the block up to which the old chain still stands.

        Everything this peer knows from L1 is a function of the chain, and
        everything else (its user's actions, its partners' messages) is in its
        log beside the blocks it had seen when each came in. So the log is
        read again with every L1 state change dropped, and at each block it
        had seen, the events the chain has now up to that block are handed in
        instead: each action and message is applied in the same place against
        L1 as L1 now is (one that the lost blocks made possible is refused as
        it would have been). The new log replaces the old one in one
        transaction. L1 transactions that what came after the fork causes on
        the chain as it is now are sent (each is idempotent, or refused by L1
        when it is done already), and unacknowledged messages go out again.
        """
        head = self.l1.block_number()
        old = [change for _, change in self.log.replay()] + self._unsynced
        self._unsynced = []
        fork = 0
        for change in old:
            if type(change) is S.Block and change.number <= head:
                block = self.l1.block(change.number)
                if block is not None and change.block_hash in (b"", _hash_of(block)):
                    fork = change.number
                else:
                    break
        events: dict[int, list] = {}
        for number, _, name, e in self._l1_events(0, head):
            events.setdefault(number, []).append((name, e))
        rebuilt: list[S.StateChange] = []
        state = PeerState(self.address, self.state.chain_id, self.adjudicator, self.preset.reveal_timeout,
                          self.preset.max_locks)
        seen = 0
        again: list[Any] = []
        for change in old:
            if isinstance(change, _FROM_L1):
                continue
            batch: list[tuple[S.StateChange, bool]] = []  # (change, whether it comes after the fork)
            if type(change) is S.Block:
                upto = min(change.number, head)
                if upto <= seen and seen:
                    continue
                for number in range(seen + 1, upto + 1):
                    batch += [(self._state_change(name, e), number > fork) for name, e in events.get(number, [])]
                block = self.l1.block(upto)
                batch.append((S.Block(upto, int(block["timestamp"], 16), _hash_of(block)), upto > fork))
                seen = upto
            else:
                batch.append((change, state.block_number >= fork))
            for item, after_fork in batch:
                try:
                    _, out = state_transition(state, item)
                except Refused:
                    continue
                rebuilt.append(item)
                if after_fork:
                    again += [e for e in out if type(e).__name__.startswith("ContractSend")]
        self.log.rewrite(rebuilt)
        self.state = state
        self.reorganisations.append(fork)
        for event in again:
            self._perform(event)
        self.resend()
        return fork

    def _timestamp(self, number: int) -> int:
        return int(self.l1.block(number)["timestamp"], 16)

    def _state_change(self, name: str, e: dict) -> S.StateChange:
        e = {k: to_checksum_address(v) if k in _ADDRESS_FIELDS else v for k, v in e.items()}
        cid = e.get("channel_identifier", 0)
        if name == "ChannelOpened":
            return S.ContractReceiveChannelOpened(cid, e["participant1"], e["participant2"], e["settle_timeout"])
        if name == "ChannelNewDeposit":
            return S.ContractReceiveChannelDeposit(cid, e["participant"], e["total_deposit"])
        if name == "ChannelWithdraw":
            return S.ContractReceiveChannelWithdraw(cid, e["participant"], e["total_withdraw"])
        if name == "ChannelClosed":
            return S.ContractReceiveChannelClosed(cid, e["closing_participant"], e["nonce"], e["balance_hash"],
                                                  e["blockNumber"], self._timestamp(e["blockNumber"]))
        if name == "NonClosingBalanceProofUpdated":
            return S.ContractReceiveUpdateTransfer(cid, e["closing_participant"], e["nonce"], e["balance_hash"])
        if name == "ChannelSettled":
            return S.ContractReceiveChannelSettled(cid, e["participant1"], e["participant1_locksroot"],
                                                   e["participant2"], e["participant2_locksroot"])
        if name == "ChannelUnlocked":
            return S.ContractReceiveChannelUnlocked(cid, e["receiver"], e["sender"], e["locksroot"])
        return S.ContractReceiveSecretRevealed(e["secrethash"], e["secret"], e["blockNumber"],
                                               self._timestamp(e["blockNumber"]))

    def resend(self, older_than: int | None = None) -> None:
        """Send again the messages not acknowledged yet (those sent before block ``older_than``; all by default)."""
        with self.batch():  # nothing to log: the messages go out signed together
            for identifier, message in sorted(self.state.queue.items()):
                sent = self._sent_at.get(identifier)
                if older_than is None or sent is None or sent < older_than:
                    self._send(message)

    # -- the user's verbs ----------------------------------------------------------------------------------

    def open_channel(self, partner: str, deposit: int = 0, settle_timeout: int | None = None) -> list:
        return self.handle(S.ActionChannelOpen(partner, deposit, settle_timeout or self.preset.default_settle_timeout))

    def deposit(self, partner: str, amount: int) -> list:
        return self.handle(S.ActionChannelDeposit(partner, amount))

    def close(self, partner: str) -> list:
        return self.handle(S.ActionChannelClose(partner))

    def withdraw(self, partner: str, amount: int, expiration: int | None = None) -> list:
        """Ask ``partner`` to co-sign a withdrawal of ``amount`` more, valid until block ``expiration``
        (default: two reveal timeouts from now); the L1 transaction goes out once it does."""
        channel = self.state.channel_with(partner)
        if channel is None:
            raise Refused("no open channel", f"cannot withdraw: no open channel with {partner}")
        total = max([channel.our.withdrawn, *channel.our.pending_withdraws]) + R.check_uint(amount, "withdraw amount")
        return self.handle(S.ActionChannelWithdraw(partner, total, self._expiration(expiration)))

    def cooperative_settle(self, partner: str, expiration: int | None = None) -> list:
        """Ask ``partner`` to co-sign ending the channel at the current balances in one L1 transaction,
        valid until block ``expiration`` (default: two reveal timeouts from now)."""
        return self.handle(S.ActionChannelCooperativeSettle(partner, self._expiration(expiration)))

    def _expiration(self, given: int | None) -> int:
        return given if given is not None else self.state.block_number + 2 * self.preset.reveal_timeout

    def _payment_identifier(self, given: int | None) -> int:
        return given if given is not None else self.state.next_message_identifier  # unique, never reused

    def transfer_direct(self, partner: str, amount: int, payment_identifier: int | None = None) -> list:
        return self.handle(S.ActionTransferDirect(partner, amount, self._payment_identifier(payment_identifier)))

    def transfer_many(self, partner: str, amounts: Iterable[int]) -> list[list | Refused]:
        """Pay ``partner`` each of ``amounts`` directly: one log entry per payment, one fsync for them all,
        then every transfer sent. For each payment its events, or the ``Refused`` that says why not."""
        with self.batch() as batch:
            return [batch.apply(S.ActionTransferDirect(partner, amount, self._payment_identifier(None)))
                    for amount in amounts]

    def pay(self, target: str, amount: int, payment_identifier: int | None = None,
            secret: bytes | None = None) -> int:
        """Start a mediated payment; its identifier. ``secret`` defaults to 32 random bytes."""
        identifier = self._payment_identifier(payment_identifier)
        self.handle(S.ActionInitMediated(target, amount, identifier, secret or os.urandom(32)))
        return identifier

    def hire(self, accept: Callable[[Any], object], monitoring_service: str, reward: int) -> None:
        """Hand every newest proof of a partner to a watchtower (``Watchtower.accept``), offering ``reward``.

        The reward is paid out of this peer's deposit in the MonitoringService
        contract, and only if the watchtower's update lands. Channels where the
        partner has paid already are handed over at once.
        """
        self.watchtowers.append((accept, monitoring_service, reward))
        for channel in list(self.state.channels.values()):
            if channel.status != SETTLED:
                self._tell_watchtowers(channel.partner.address)

    def monitoring_request(self, partner: str, monitoring_service: str, reward: int) -> MonitorRequest:
        """What to hand a watchtower for the channel with ``partner``: its latest proof, counter-signed, and a reward."""
        channel = self.state.channel_with(partner)
        if channel is None:
            raise Refused("no open channel", f"no open or closed channel with {partner}")
        return monitor_request(self.key, channel, monitoring_service, reward)

    # -- reading the state ----------------------------------------------------------------------------------

    def channel(self, partner: str) -> ChannelState | None:
        """The open or closed channel with ``partner``, else the last one that settled."""
        current = self.state.channel_with(partner)
        if current is not None:
            return current
        settled = [c for c in self.state.channels.values() if c.partner.address.lower() == partner.lower()]
        return max(settled, key=lambda c: c.identifier) if settled else None

    def balance(self, partner: str) -> int:
        """Our share of the channel with ``partner`` if every pending lock went back to its sender."""
        channel = self.channel(partner)
        return 0 if channel is None else channel.balance()

    def close_log(self) -> None:
        """Stop: close the log (as a killed process would, with nothing flushed that was not already)."""
        if self._committer is not None:
            self._committer.shutdown()
            self._committer = None
        self.log.close()

    def sync(self) -> None:
        """Log the acknowledgements still waiting for a commit (a peer stopping cleanly calls this)."""
        if self._unsynced:
            self.log.append_many(self._unsynced)
            self._unsynced.clear()


class Urgent(NamedTuple):
    """An L1 call due before ``deadline`` (a timestamp), of ``allowance`` seconds in all."""

    to: str
    contract: type
    method: str
    args: tuple
    deadline: int
    allowance: int


class Batch:
    """State changes applied to a peer together, logged with one fsync, then performed (see :meth:`Peer.batch`)."""

    def __init__(self, peer: Peer) -> None:
        self.peer = peer
        self.logged: list[S.StateChange] = []
        # What to do once the batch is logged, in order: a change's events (a list) or a call.
        self.effects: list[list | Callable[[], None]] = []

    def proofs_to_send(self) -> list[R.BalanceProof]:
        """The balance proofs of the messages this batch's events send (each signed before it goes)."""
        out = []
        for effect in self.effects:
            if type(effect) is list:
                for event in effect:
                    if isinstance(event, E.SendMessage):
                        proof = getattr(event.message, "balance_proof", None)
                        if isinstance(proof, R.BalanceProof) and proof.nonce:
                            out.append(proof)
        return out

    def apply(self, change: S.StateChange, strict: bool = False) -> list | Refused:
        """Apply ``change`` now (its effects wait for the commit); its events, or the ``Refused`` (raised if
        ``strict``)."""
        peer = self.peer
        try:
            _, events = state_transition(peer.state, change)
        except Refused as exc:
            if strict:
                raise
            return exc
        self.logged.append(change)
        if events:
            self.effects.append(events)
        if peer.watchtowers and isinstance(change, S._Receive) and hasattr(change.message, "balance_proof"):
            sender = change.message.sender  # type: ignore[attr-defined]
            self.effects.append(lambda: peer._tell_watchtowers(sender))
        return events
