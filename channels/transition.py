"""A peer's state machine: ``state_transition(state, state_change) -> (state, events)``.

Pure and deterministic: no clock, no randomness, no I/O. The clock is the
last ``Block`` handed in, a payment's secret comes in its action, and
signatures arrive already recovered (the runtime recovers them; signing the
messages this peer sends is the runtime's too). Every input is checked
before anything is written; one that breaks a rule raises :class:`Refused`
naming it, and the state is left exactly as it was.

The protocol, hop by hop (initiator A, mediators, target T):

1. A picks a route (``routing.routes``) and sends a ``LockedTransfer`` to its
   first hop: a lock of the amount on the secret's hash, expiring after
   ``(hops + 1) * reveal_timeout`` blocks and as many slots. Each mediator
   carries it on with its own lock that expires one reveal timeout earlier
   (in blocks and in seconds), so however late its payee reveals the secret,
   it still has a reveal timeout to claim its own incoming lock on L1.
   A hop that cannot carry it on answers ``RefundTransfer``; A then tries
   its next route with a new secret (the refused lock just expires).
2. T asks A for the secret (``SecretRequest``); A reveals it (``SecretReveal``).
3. T reveals it to its payer, which pays T with an ``Unlock`` (a balance
   proof that turns the lock into a transfer) and reveals it to its own
   payer, and so on back to A, whose payment then succeeded.
4. A lock whose secret was not registered on L1 before it expired
   (``rules.is_lock_expired``: past its block *and* its second) is removed
   by its sender with ``LockExpired``. A receiver that knows a secret its
   payer has not unlocked registers it on L1 once the lock is within a
   reveal timeout of expiring by its seconds (its blocks are for sale: a
   burst of them could pass its block at any moment), and closes the
   channel if the payer still has not unlocked when the lock expires; after
   settlement it unlocks on L1.
5. A peer whose partner closes presents the partner's latest proof with
   ``update_non_closing_balance_proof``; after the window either settles.

Every message but ``Processed`` is acknowledged with ``Processed`` and kept
in ``state.queue`` until then, so the runtime can send it again after a
loss or a restart; a message applied once is refused the second time.
"""

from __future__ import annotations

from collections.abc import Callable

from channels import events as E
from channels import messages as M
from channels import routing
from channels import state_changes as S
from channels.state import (
    CLOSED,
    EMPTY_VALUES,
    OPENED,
    SETTLED,
    ChannelState,
    CooperativeSettle,
    EndState,
    InitiatorPayment,
    Mediation,
    NetworkChannel,
    PeerState,
    ProofValues,
    Reception,
    new_channel,
)
from contracts_spec.channels import rules as R
from contracts_spec.channels.params import SECONDS_PER_SLOT
from primitives.keccak import keccak256

# An L1 transaction the peer sent but whose effect L1 does not show yet is sent again after this many blocks.
TX_RETRY_BLOCKS = 4


class Refused(R.ChannelRuleError):
    """The peer refused an input; ``rule`` names why, and the state did not change."""


def _refuse(rule: str, detail: str = "") -> Refused:
    return Refused(rule, detail)


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def attempt_secret(seed: bytes, attempt: int) -> bytes:
    """The secret of a payment's ``attempt``-th route: the seed itself first, then keccak(seed || attempt)."""
    return seed if attempt == 0 else keccak256(seed + attempt.to_bytes(32, "big"))


def _message_identifier(state: PeerState) -> int:
    identifier = state.next_message_identifier
    state.next_message_identifier += 1
    return identifier


def _queue(state: PeerState, event: E.SendMessage) -> E.SendMessage:
    state.queue[event.message.message_identifier] = event.message
    return event


def _about(message: M.Message) -> bytes:
    """The secret hash a message without a balance proof is about ("" for the others)."""
    if isinstance(message, M.SecretRequest | M.RefundTransfer):
        return message.secrethash
    if isinstance(message, M.SecretReveal):
        return R.secrethash_of(message.secret)
    return b""


def _forget_queued(state: PeerState, secrethash: bytes) -> None:
    """The lock on ``secrethash`` is settled off-chain or gone: stop resending requests and reveals about it.

    (Balance-proof messages stay queued until acknowledged: the partner's view of the channel needs them.)
    """
    for identifier in [i for i, m in state.queue.items() if _about(m) == secrethash]:
        del state.queue[identifier]


# -- balance proofs ------------------------------------------------------------------------------------


def _record(end: EndState, proof: R.BalanceProof, locks: dict[bytes, R.Lock], signature: bytes = b"") -> None:
    end.balance_proof = proof
    end.locks = locks
    end.signature = signature
    end.history[proof.balance_hash()] = ProofValues(proof.transferred_amount, proof.locked_amount, proof.locksroot,
                                                   tuple(locks.values()))


def _next_proof(state: PeerState, channel: ChannelState, transferred: int,
                locks: dict[bytes, R.Lock]) -> R.BalanceProof:
    """Our next balance proof in ``channel``, recorded as our latest. ``locks`` may be ``channel.our.locks``
    itself (a payment that leaves the locks as they are): the latest proof commits to them already."""
    our, partner = channel.our, channel.partner
    current = our.balance_proof
    if locks is our.locks:  # recorded together with ``current`` (``_record``), never changed in place
        locked, locksroot = current.locked_amount, current.locksroot
    else:
        ordered = list(locks.values())
        locked, locksroot = R.locked_amount_of(ordered), R.compute_locksroot(ordered)
    proof = R.BalanceProof(channel.identifier, state.chain_id, state.adjudicator, current.nonce + 1, transferred,
                           locked, locksroot)
    # R.check_within_deposit(our.spending_side(), partner.spending_side(), proof)
    R.check_within_deposit_of(our.deposit, our.spending_withdrawn(), current.transferred_amount,
                              partner.balance_proof.transferred_amount, proof)
    _record(our, proof, locks)
    return proof


def _check_partner_proof(state: PeerState, channel: ChannelState, change: S._Receive, proof: R.BalanceProof,
                         transferred: int, locks: dict[bytes, R.Lock]) -> None:
    """The partner's new proof is bound to this channel, newer, signed by it, within its deposit, and says
    exactly what the message does: ``transferred`` in all and ``locks`` pending (``partner.locks`` itself
    when the message leaves them as they are: its last proof commits to them)."""
    partner = channel.partner
    last = partner.balance_proof
    R.check_balance_proof(proof, change.balance_signer, sender=partner.address,
                          channel_identifier=channel.identifier, chain_id=state.chain_id,
                          adjudicator=state.adjudicator, last_nonce=last.nonce)
    # R.check_within_deposit(partner.spending_side(), channel.our.spending_side(), proof)
    R.check_within_deposit_of(partner.deposit, partner.spending_withdrawn(), last.transferred_amount,
                              channel.our.balance_proof.transferred_amount, proof)
    if proof.transferred_amount != transferred:
        raise _refuse("transferred amount mismatch", f"the proof says {proof.transferred_amount} sent in all, "
                                                     f"the message makes it {transferred}")
    if locks is partner.locks:  # recorded together with ``last`` (``_record``), never changed in place
        R.check_lock_commitment(proof, len(locks), last.locksroot, last.locked_amount, state.max_locks)
    else:
        R.check_pending_locks(proof, list(locks.values()), state.max_locks)


def _open_channel_with(state: PeerState, partner: str, what: str) -> ChannelState:
    channel = state.channel_with(partner)
    if channel is None or channel.status != OPENED:
        raise _refuse("no open channel", f"cannot {what}: no open channel with {partner}")
    return channel


def _payable_channel_with(state: PeerState, partner: str, what: str) -> ChannelState:
    """The open channel with ``partner``, unless a cooperative settlement of it is under way (no payment moves)."""
    channel = _open_channel_with(state, partner, what)
    if channel.cooperative is not None:
        raise _refuse("settling cooperatively", f"cannot {what}: the channel with {partner} is being settled "
                                                f"cooperatively until block {channel.cooperative.expiration}")
    return channel


# -- user actions --------------------------------------------------------------------------------------


def _action_open(state: PeerState, change: S.ActionChannelOpen) -> list:
    if _same(change.partner, state.address):
        raise _refuse("bad partner", "a channel needs two participants")
    if state.channel_with(change.partner) is not None or change.partner.lower() in state.pending_opens:
        raise _refuse("one open channel per pair", f"a channel with {change.partner} is open or opening")
    R.check_uint(change.total_deposit, "deposit")
    state.pending_opens[change.partner.lower()] = change.total_deposit
    return [E.ContractSendChannelOpen(change.partner, change.settle_timeout)]


def _action_deposit(state: PeerState, change: S.ActionChannelDeposit) -> list:
    channel = _open_channel_with(state, change.partner, "deposit")
    if R.check_uint(change.amount, "deposit") == 0:
        raise _refuse("bad amount", "a deposit adds more than 0")
    return [E.ContractSendChannelDeposit(channel.identifier, change.partner, channel.our.deposit + change.amount,
                                         change.amount)]


def _action_close(state: PeerState, change: S.ActionChannelClose) -> list:
    channel = _open_channel_with(state, change.partner, "close")
    channel.sent["close"] = state.block_number
    return [E.ContractSendChannelClose(channel.identifier, change.partner, channel.partner.balance_proof,
                                       channel.partner.signature)]


def _check_amount(amount: int) -> None:
    if R.check_uint(amount, "payment amount") == 0:
        raise _refuse("bad amount", "a payment pays more than 0")


def _action_direct(state: PeerState, change: S.ActionTransferDirect) -> list:
    channel = _payable_channel_with(state, change.partner, "pay")
    _check_amount(change.amount)
    capacity = channel.distributable()
    if change.amount > capacity:
        raise _refuse("insufficient capacity", f"{change.amount} is more than the {capacity} "
                                               f"this peer can send to {change.partner}")
    proof = _next_proof(state, channel, channel.our.balance_proof.transferred_amount + change.amount,
                        channel.our.locks)
    message = M.DirectTransfer(state.address, change.partner, _message_identifier(state), change.payment_identifier,
                               change.amount, proof)
    return [_queue(state, E.SendDirectTransfer(message)),
            E.EventPaymentSentSuccess(change.payment_identifier, change.partner, change.amount)]


def _lock_fits(state: PeerState, channel: ChannelState, amount: int, secrethash: bytes) -> str:
    """Why ``channel`` cannot carry a new lock of ``amount``; "" when it can."""
    if channel.status != OPENED:
        return f"the channel with {channel.partner.address} is not open"
    if channel.cooperative is not None:
        return f"the channel with {channel.partner.address} is being settled cooperatively"
    if amount > channel.distributable():
        return f"only {channel.distributable()} can go to {channel.partner.address}"
    if len(channel.our.locks) >= state.max_locks:
        return f"{state.max_locks} locks are pending with {channel.partner.address}"
    if secrethash in channel.our.locks:
        return "a lock on this secret hash is already pending"
    return ""


def _send_lock(state: PeerState, channel: ChannelState, lock: R.Lock, payment_identifier: int, initiator: str,
               target: str, route: tuple[str, ...], amount: int) -> E.SendLockedTransfer:
    locks = dict(channel.our.locks)
    locks[lock.secrethash] = lock
    proof = _next_proof(state, channel, channel.our.balance_proof.transferred_amount, locks)
    message = M.LockedTransfer(state.address, channel.partner.address, _message_identifier(state), payment_identifier,
                               amount, initiator, target, route, lock, proof)
    return _queue(state, E.SendLockedTransfer(message))  # type: ignore[return-value]


def _try_next_route(state: PeerState, payment: InitiatorPayment, why: str) -> list:
    """Start the payment on its next usable route, or give it up."""
    while payment.routes:
        route = payment.routes.pop(0)
        attempt = payment.attempt + 1
        secret = attempt_secret(payment.secret, attempt)
        secrethash = R.secrethash_of(secret)
        channel = state.channel_with(route[1])
        if channel is None or _lock_fits(state, channel, payment.amount, secrethash):
            continue
        hops = len(route) - 1
        timeout = min((hops + 1) * state.reveal_timeout, channel.settle_timeout)
        expiration, expiration_time = R.lock_expiration(state.block_number, state.block_timestamp, timeout)
        # Never as long as a window opened now, which may end in this very second (see _lock_problem).
        expiration_time = min(expiration_time,
                              state.block_timestamp + channel.settle_timeout * SECONDS_PER_SLOT - 1)
        lock = R.Lock(payment.amount, expiration, expiration_time, secrethash)
        payment.attempt, payment.route, payment.secrethash = attempt, route, secrethash
        state.initiated[secrethash] = payment.payment_identifier
        return [_send_lock(state, channel, lock, payment.payment_identifier, state.address, payment.target, route,
                           payment.amount)]
    payment.status = "failed"
    return [E.EventPaymentSentFailed(payment.payment_identifier, payment.target, payment.amount, why)]


def _action_mediated(state: PeerState, change: S.ActionInitMediated) -> list:
    _check_amount(change.amount)
    if _same(change.target, state.address):
        raise _refuse("bad target", "a peer does not pay itself")
    if change.payment_identifier in state.payments:
        raise _refuse("payment identifier in use", f"payment {change.payment_identifier} was already started")
    if change.secret == bytes(R.SECRET_BYTES):
        raise _refuse("bad secret", "the zero secret cannot be registered on L1, so no lock on it can be claimed")
    R.secrethash_of(change.secret)
    found = routing.routes(state, change.target, change.amount)
    if not found:
        raise _refuse("no route", f"no path of channels can carry {change.amount} to {change.target}")
    payment = InitiatorPayment(change.payment_identifier, change.target, change.amount, change.secret, found)
    state.payments[payment.payment_identifier] = payment
    return _try_next_route(state, payment, "no route could carry it")


# -- messages from other peers -------------------------------------------------------------------------


def _receive_direct(state: PeerState, change: S.ReceiveDirectTransfer) -> list:
    message = change.message
    channel = _payable_channel_with(state, message.sender, "receive a transfer")
    _check_amount(message.amount)
    partner = channel.partner
    locks = partner.locks  # a direct transfer leaves them as they are
    _check_partner_proof(state, channel, change, message.balance_proof,
                         partner.balance_proof.transferred_amount + message.amount, locks)
    _record(partner, message.balance_proof, locks, change.balance_signature)
    return [E.EventPaymentReceived(message.payment_identifier, message.sender, message.amount)]


def _lock_problem(state: PeerState, channel: ChannelState, lock: R.Lock) -> str:
    """Why this peer should not act on an incoming lock (too close to expiry, or too long); "" when it may.

    A lock must have expired by the time any settlement window opened now could end, for ``unlock``
    refunds every lock whose secret is not on L1 when it is called, expired or not. A close lands in a
    later block, so its window ends after block ``block_number + settle_timeout + 1``; but it may land in
    this very second, and then its window ends at second ``block_timestamp + settle_timeout`` slots, at
    which a lock expiring at that second still runs (expiry is past both its block and its second).

    And a lock must have more than a reveal timeout of *seconds* left, whatever its blocks say: blocks are
    for sale, so a lock whose seconds are spent expires with the next burst of blocks, before this peer
    could register its secret on L1 (a mediator would have paid its payee by then).
    """
    if (R.is_lock_expiring(lock, state.block_number, state.block_timestamp, state.reveal_timeout)
            or lock.expiration_time - state.block_timestamp <= state.reveal_timeout * SECONDS_PER_SLOT):
        return "the lock expires within the reveal timeout"
    if (lock.expiration - state.block_number > channel.settle_timeout
            or lock.expiration_time - state.block_timestamp >= channel.settle_timeout * SECONDS_PER_SLOT):
        return "the lock outlasts the settlement window"
    return ""


def _refund(state: PeerState, channel: ChannelState, message: M.LockedTransfer, reason: str) -> list:
    channel.refused[message.lock.secrethash] = True
    refund = M.RefundTransfer(state.address, message.sender, _message_identifier(state), message.payment_identifier,
                              message.lock.secrethash, reason)
    return [_queue(state, E.SendRefundTransfer(refund))]


def _receive_locked(state: PeerState, change: S.ReceiveLockedTransfer) -> list:
    message = change.message
    lock = message.lock
    channel = _payable_channel_with(state, message.sender, "receive a locked transfer")
    route = tuple(message.route)
    if (len(route) < 2 or len(set(a.lower() for a in route)) != len(route) or not _same(route[0], message.initiator)
            or not _same(route[-1], message.target)):
        raise _refuse("bad route", "a route runs from the initiator to the target without repeating a hop")
    hop = next((i for i, a in enumerate(route) if _same(a, state.address)), None)
    if hop is None or hop == 0 or not _same(route[hop - 1], message.sender):
        raise _refuse("bad route", "this peer is not the sender's next hop on the route")
    if lock.amount != message.amount:
        raise _refuse("bad lock", f"the lock holds {lock.amount}, the payment is {message.amount}")
    R.check_claimable(lock.secrethash)
    partner = channel.partner
    if lock.secrethash in partner.locks:
        raise _refuse("bad lock", "a lock on this secret hash is already pending")
    locks = dict(partner.locks)
    locks[lock.secrethash] = lock
    _check_partner_proof(state, channel, change, message.balance_proof, partner.balance_proof.transferred_amount,
                         locks)
    _record(partner, message.balance_proof, locks, change.balance_signature)
    problem = _lock_problem(state, channel, lock)
    if hop == len(route) - 1:
        if problem:
            return _refund(state, channel, message, problem)
        state.receptions[lock.secrethash] = Reception(message.payment_identifier, message.initiator,
                                                      message.sender, message.amount)
        request = M.SecretRequest(state.address, message.initiator, _message_identifier(state),
                                  message.payment_identifier, lock.secrethash, message.amount)
        return [_queue(state, E.SendSecretRequest(request))]
    payee = route[hop + 1]
    onward = R.Lock(lock.amount, lock.expiration - state.reveal_timeout,
                    lock.expiration_time - state.reveal_timeout * SECONDS_PER_SLOT, lock.secrethash)
    out = state.channel_with(payee)
    if not problem:
        problem = f"no open channel with {payee}" if out is None else _lock_fits(state, out, lock.amount,
                                                                                  lock.secrethash)
    if not problem and out is not None:
        problem = _lock_problem(state, out, onward)
    if problem or out is None or lock.secrethash in state.mediations or lock.secrethash in state.initiated:
        return _refund(state, channel, message, problem or "this peer already carries a lock on this secret")
    state.mediations[lock.secrethash] = Mediation(message.payment_identifier, message.sender, payee, message.amount)
    return [_send_lock(state, out, onward, message.payment_identifier, message.initiator, message.target, route,
                       message.amount)]


def _unlock_to(state: PeerState, channel: ChannelState, secrethash: bytes, payment_identifier: int) -> list:
    """Pay the partner the lock on ``secrethash`` we hold in ``channel``, if it is pending and still claimable."""
    lock = channel.our.locks.get(secrethash)
    if lock is None or channel.status != OPENED:
        return []
    reveal = state.reveal_of(secrethash)
    if R.is_lock_expired(lock, state.block_number, state.block_timestamp) and not R.is_unlocked(lock, reveal):
        return []  # expired unclaimed: it comes back with LockExpired
    locks = dict(channel.our.locks)
    del locks[secrethash]
    proof = _next_proof(state, channel, channel.our.balance_proof.transferred_amount + lock.amount, locks)
    message = M.Unlock(state.address, channel.partner.address, _message_identifier(state), payment_identifier,
                       state.secrets[secrethash], proof)
    return [_queue(state, E.SendUnlock(message))]


def _reveal_to(state: PeerState, partner: str, secrethash: bytes) -> list:
    """Ask ``partner``, who owes us a lock on ``secrethash``, to unlock it by showing it the secret."""
    channel = state.channel_with(partner)
    if channel is None or secrethash not in channel.partner.locks or channel.status != OPENED:
        return []
    reveal = M.SecretReveal(state.address, partner, _message_identifier(state), state.secrets[secrethash])
    return [_queue(state, E.SendSecretReveal(reveal))]


def _learned_from_payee(state: PeerState, secrethash: bytes, payee: str) -> list:
    """The payee of our lock on ``secrethash`` knows its secret: pay it, and claim from our payer."""
    out: list = []
    mediation = state.mediations.get(secrethash)
    payment_id = state.initiated.get(secrethash)
    channel = state.channel_with(payee)
    if mediation is not None and _same(mediation.payee, payee):
        if channel is not None:
            out += _unlock_to(state, channel, secrethash, mediation.payment_identifier)
        out += _reveal_to(state, mediation.payer, secrethash)
        payer = state.channel_with(mediation.payer)
        if payer is not None:  # at once, not at the next block: one burst of blocks may be all there is
            out += _register_if_due(state, payer, secrethash)
    elif payment_id is not None:
        payment = state.payments[payment_id]
        if channel is not None:
            out += _unlock_to(state, channel, secrethash, payment_id)
        if payment.secrethash == secrethash and payment.status in ("pending", "revealed"):
            payment.status = "succeeded"
            out.append(E.EventPaymentSentSuccess(payment_id, payment.target, payment.amount))
    return out


def _receive_secret_reveal(state: PeerState, change: S.ReceiveSecretReveal) -> list:
    message = change.message
    secrethash = R.secrethash_of(message.secret)
    reception = state.receptions.get(secrethash)
    mediation = state.mediations.get(secrethash)
    payment_id = state.initiated.get(secrethash)
    from_payee = ((mediation is not None and _same(mediation.payee, message.sender))
                  or (payment_id is not None and _same(state.payments[payment_id].route[1], message.sender)))
    if reception is not None:
        known = secrethash in state.secrets
        state.secrets[secrethash] = message.secret
        return [] if known else _reveal_to(state, reception.payer, secrethash)
    if from_payee:
        state.secrets[secrethash] = message.secret
        return _learned_from_payee(state, secrethash, message.sender)
    raise _refuse("unexpected secret reveal", "this peer awaits no secret on this hash from the sender")


def _receive_secret_request(state: PeerState, change: S.ReceiveSecretRequest) -> list:
    message = change.message
    payment_id = state.initiated.get(message.secrethash)
    payment = None if payment_id is None else state.payments[payment_id]
    if payment is None or payment.secrethash != message.secrethash or not _same(payment.target, message.sender):
        raise _refuse("unexpected secret request", "the sender is not the target of a payment in flight on this hash")
    if message.amount != payment.amount or message.payment_identifier != payment.payment_identifier:
        raise _refuse("secret request mismatch", f"asks for payment {message.payment_identifier} of "
                                                 f"{message.amount}, not {payment.payment_identifier} of "
                                                 f"{payment.amount}")
    if payment.status not in ("pending", "revealed"):
        raise _refuse("payment not in flight", f"payment {payment.payment_identifier} has {payment.status}")
    channel = state.channel_with(payment.route[1])
    lock = None if channel is None else channel.our.locks.get(message.secrethash)
    if lock is None or R.is_lock_expiring(lock, state.block_number, state.block_timestamp, state.reveal_timeout):
        raise _refuse("too late to reveal", "the lock is gone or expires within the reveal timeout")
    payment.status = "revealed"
    reveal = M.SecretReveal(state.address, message.sender, _message_identifier(state),
                            attempt_secret(payment.secret, payment.attempt))
    return [_queue(state, E.SendSecretReveal(reveal))]


def _receive_refund(state: PeerState, change: S.ReceiveTransferRefund) -> list:
    message = change.message
    payment_id = state.initiated.get(message.secrethash)
    mediation = state.mediations.get(message.secrethash)
    if payment_id is not None:
        payment = state.payments[payment_id]
        if payment.secrethash != message.secrethash or not _same(payment.route[1], message.sender):
            raise _refuse("unexpected refund", "not the payee of the payment's current route")
        if payment.status != "pending":
            raise _refuse("unexpected refund", f"payment {payment_id} has {payment.status}")
        return _try_next_route(state, payment, f"every route was refused; the last: {message.reason}")
    if mediation is not None and _same(mediation.payee, message.sender) and message.secrethash not in state.secrets:
        channel = state.channel_with(mediation.payer)
        if channel is None or message.secrethash not in channel.partner.locks or channel.refused.get(
                message.secrethash):
            raise _refuse("unexpected refund", "the payer's lock is gone")
        channel.refused[message.secrethash] = True
        refund = M.RefundTransfer(state.address, mediation.payer, _message_identifier(state),
                                  mediation.payment_identifier, message.secrethash, message.reason)
        return [_queue(state, E.SendRefundTransfer(refund))]
    raise _refuse("unexpected refund", "this peer sent no lock on this hash to the sender")


def _receive_unlock(state: PeerState, change: S.ReceiveUnlock) -> list:
    message = change.message
    channel = _open_channel_with(state, message.sender, "receive an unlock")
    secrethash = R.secrethash_of(message.secret)
    partner = channel.partner
    lock = partner.locks.get(secrethash)
    if lock is None:
        raise _refuse("unknown lock", "no lock of the sender's is pending on this secret")
    locks = dict(partner.locks)
    del locks[secrethash]
    _check_partner_proof(state, channel, change, message.balance_proof,
                         partner.balance_proof.transferred_amount + lock.amount, locks)
    _record(partner, message.balance_proof, locks, change.balance_signature)
    state.secrets[secrethash] = message.secret
    _forget_queued(state, secrethash)
    reception = state.receptions.get(secrethash)
    if reception is not None and _same(reception.payer, message.sender) and not reception.received:
        reception.received = True
        return [E.EventPaymentReceived(reception.payment_identifier, reception.initiator, lock.amount)]
    return []


def _receive_lock_expired(state: PeerState, change: S.ReceiveLockExpired) -> list:
    message = change.message
    channel = _open_channel_with(state, message.sender, "remove an expired lock")
    partner = channel.partner
    lock = partner.locks.get(message.secrethash)
    if lock is None:
        raise _refuse("unknown lock", "no lock of the sender's is pending on this secret hash")
    if not R.is_lock_expired(lock, state.block_number, state.block_timestamp):
        raise _refuse("lock not expired", f"it expires past block {lock.expiration} and second "
                                          f"{lock.expiration_time}; this peer is at block {state.block_number}, "
                                          f"second {state.block_timestamp}")
    if R.is_unlocked(lock, state.reveal_of(message.secrethash)):
        raise _refuse("lock claimed", "its secret was registered on L1 before it expired")
    locks = dict(partner.locks)
    del locks[message.secrethash]
    _check_partner_proof(state, channel, change, message.balance_proof, partner.balance_proof.transferred_amount,
                         locks)
    _record(partner, message.balance_proof, locks, change.balance_signature)
    state.receptions.pop(message.secrethash, None)
    _forget_queued(state, message.secrethash)
    return []


def _receive_processed(state: PeerState, change: S.ReceiveProcessed) -> list:
    """Forget every queued message the acknowledgement names; refused when it names none (a late duplicate)."""
    message = change.message
    if not isinstance(message.also, tuple):
        raise _refuse("malformed message", "an acknowledgement's further identifiers must be a list")
    identifiers = message.identifiers
    if len(identifiers) > M.MAX_ACKNOWLEDGED:
        raise _refuse("oversized message", f"an acknowledgement of {len(identifiers)} messages "
                                           f"(at most {M.MAX_ACKNOWLEDGED})")
    done = [i for i in identifiers if isinstance(i, int) and (queued := state.queue.get(i)) is not None
            and _same(queued.recipient, message.sender)]
    if not done:
        raise _refuse("nothing to acknowledge", f"no message {message.message_identifier} to {message.sender} "
                                                "awaits acknowledgement")
    for i in done:
        state.queue.pop(i, None)
    return []


# -- withdrawals and cooperative settlement --------------------------------------------------------------


def _check_cosigner(change: S._Receive, sender: str) -> None:
    if change.balance_signer is None or not _same(change.balance_signer, sender):
        raise _refuse("bad signature", f"the signature for L1 is not {sender}'s")


def _check_channel_named(channel: ChannelState, identifier: int) -> None:
    if identifier != channel.identifier:
        raise _refuse("wrong channel", f"the message is for channel {identifier}, not {channel.identifier}")


def _action_withdraw(state: PeerState, change: S.ActionChannelWithdraw) -> list:
    channel = _payable_channel_with(state, change.partner, "withdraw")
    R.check_withdraw_request(channel.our.spending_side(), channel.partner.spending_side(), change.total_withdraw,
                             change.expiration, state.block_number, channel.settle_timeout)
    channel.our.pending_withdraws[change.total_withdraw] = change.expiration
    request = M.WithdrawRequest(state.address, change.partner, _message_identifier(state), channel.identifier,
                                change.total_withdraw, change.expiration)
    return [_queue(state, E.SendWithdrawRequest(request))]


def _receive_withdraw_request(state: PeerState, change: S.ReceiveWithdrawRequest) -> list:
    message = change.message
    channel = _payable_channel_with(state, message.sender, "co-sign a withdrawal")
    _check_channel_named(channel, message.channel_identifier)
    _check_cosigner(change, message.sender)
    R.check_withdraw_request(channel.partner.spending_side(), channel.our.spending_side(), message.total_withdraw,
                             message.expiration, state.block_number, channel.settle_timeout)
    channel.partner.pending_withdraws[message.total_withdraw] = message.expiration
    confirmation = M.WithdrawConfirmation(state.address, message.sender, _message_identifier(state),
                                          channel.identifier, message.total_withdraw, message.expiration)
    return [_queue(state, E.SendWithdrawConfirmation(confirmation))]


def _receive_withdraw_confirmation(state: PeerState, change: S.ReceiveWithdrawConfirmation) -> list:
    message = change.message
    channel = _open_channel_with(state, message.sender, "withdraw")
    _check_channel_named(channel, message.channel_identifier)
    if channel.our.pending_withdraws.get(message.total_withdraw) != message.expiration:
        raise _refuse("unexpected withdraw confirmation", f"this peer asked for no withdrawal of "
                                                          f"{message.total_withdraw} until block {message.expiration}")
    _check_cosigner(change, message.sender)
    if R.is_withdraw_expired(message.expiration, state.block_number):
        raise _refuse("withdraw expired", f"it expired at block {message.expiration}")
    return [E.ContractSendChannelWithdraw(channel.identifier, message.sender, message.total_withdraw,
                                          message.expiration, change.balance_signature)]


def _cooperative_problem(state: PeerState, channel: ChannelState, expiration: int) -> None:
    """Refuse a cooperative settlement of ``channel`` that cannot be settled now, or would hold it too long."""
    if channel.cooperative is not None:
        raise _refuse("settling cooperatively", f"a cooperative settlement runs until block "
                                                f"{channel.cooperative.expiration}")
    if channel.our.pending_withdraws or channel.partner.pending_withdraws:
        raise _refuse("withdraw pending", "settle cooperatively once the pending withdrawals land or expire")
    if expiration > state.block_number + channel.settle_timeout:
        raise _refuse("settlement expiration too far", f"block {expiration} is more than {channel.settle_timeout} "
                                                       f"blocks after block {state.block_number}")


def _action_cooperative_settle(state: PeerState, change: S.ActionChannelCooperativeSettle) -> list:
    channel = _open_channel_with(state, change.partner, "settle cooperatively")
    _cooperative_problem(state, channel, change.expiration)
    if any(_same(m.recipient, change.partner) and hasattr(m, "balance_proof") for m in state.queue.values()):
        raise _refuse("payments in flight", f"{change.partner} has not acknowledged every balance proof yet")
    one, two = channel.our.side(), channel.partner.side()
    balance1, balance2 = R.cooperative_balances(one, two)
    R.check_cooperative_settle(one, two, balance1, balance2, change.expiration, state.block_number)
    channel.cooperative = CooperativeSettle(state.address, state.address, balance1, change.partner, balance2,
                                            change.expiration)
    request = M.SettleRequest(state.address, change.partner, _message_identifier(state), channel.identifier,
                              state.address, balance1, change.partner, balance2, change.expiration)
    return [_queue(state, E.SendSettleRequest(request))]


def _receive_settle_request(state: PeerState, change: S.ReceiveSettleRequest) -> list:
    message = change.message
    channel = _open_channel_with(state, message.sender, "settle cooperatively")
    _check_channel_named(channel, message.channel_identifier)
    _cooperative_problem(state, channel, message.expiration)
    _check_cosigner(change, message.sender)
    if not (_same(message.participant1, message.sender) and _same(message.participant2, state.address)):
        raise _refuse("bad settlement", "a settlement names its requester first and this peer second")
    one, two = channel.partner.side(), channel.our.side()
    balances = R.cooperative_balances(one, two)
    if (message.balance1, message.balance2) != balances:
        raise _refuse("settlement mismatch", f"it pays {message.balance1} and {message.balance2}; this peer's "
                                             f"balance proofs say {balances[0]} and {balances[1]}")
    R.check_cooperative_settle(one, two, *balances, message.expiration, state.block_number)
    channel.cooperative = CooperativeSettle(message.sender, message.participant1, message.balance1,
                                            message.participant2, message.balance2, message.expiration)
    confirmation = M.SettleConfirmation(state.address, message.sender, _message_identifier(state),
                                        channel.identifier, message.participant1, message.balance1,
                                        message.participant2, message.balance2, message.expiration)
    return [_queue(state, E.SendSettleConfirmation(confirmation))]


def _receive_settle_confirmation(state: PeerState, change: S.ReceiveSettleConfirmation) -> list:
    message = change.message
    channel = _open_channel_with(state, message.sender, "settle cooperatively")
    _check_channel_named(channel, message.channel_identifier)
    ours = channel.cooperative
    if ours is None or not _same(ours.requester, state.address) or (
            ours.participant1, ours.balance1, ours.participant2, ours.balance2, ours.expiration) != (
            message.participant1, message.balance1, message.participant2, message.balance2, message.expiration):
        raise _refuse("unexpected settlement confirmation", "this peer asked for no such cooperative settlement")
    _check_cosigner(change, message.sender)
    if R.is_withdraw_expired(message.expiration, state.block_number):
        raise _refuse("settlement expired", f"it expired at block {message.expiration}")
    return [E.ContractSendChannelCooperativeSettle(channel.identifier, ours.participant1, ours.balance1,
                                                   ours.participant2, ours.balance2, ours.expiration,
                                                   change.balance_signature)]


def _channel_withdraw(state: PeerState, change: S.ContractReceiveChannelWithdraw) -> list:
    channel = state.channels.get(change.channel_identifier)
    if channel is not None:
        end = channel.our if _same(change.participant, state.address) else channel.partner
        end.withdrawn = max(end.withdrawn, change.total_withdraw)
        for total in [t for t in end.pending_withdraws if t <= change.total_withdraw]:
            del end.pending_withdraws[total]
    return []


def _expire_cosigned(state: PeerState, channel: ChannelState) -> None:
    """Forget withdrawals and a cooperative settlement that L1 would refuse from now on."""
    for end in (channel.our, channel.partner):
        for total in [t for t, exp in end.pending_withdraws.items() if R.is_withdraw_expired(exp, state.block_number)]:
            del end.pending_withdraws[total]
    if channel.cooperative is not None and R.is_withdraw_expired(channel.cooperative.expiration, state.block_number):
        channel.cooperative = None
    for identifier in [i for i, m in state.queue.items() if isinstance(m, M.CoSignedMessage)
                       and m.channel_identifier == channel.identifier
                       and R.is_withdraw_expired(m.expiration, state.block_number)]:
        del state.queue[identifier]  # void on L1 now: no use resending it


_RECEIVERS: dict[type, Callable] = {
    S.ReceiveDirectTransfer: _receive_direct, S.ReceiveLockedTransfer: _receive_locked,
    S.ReceiveUnlock: _receive_unlock, S.ReceiveLockExpired: _receive_lock_expired,
    S.ReceiveSecretRequest: _receive_secret_request, S.ReceiveSecretReveal: _receive_secret_reveal,
    S.ReceiveTransferRefund: _receive_refund,
    S.ReceiveWithdrawRequest: _receive_withdraw_request, S.ReceiveWithdrawConfirmation: _receive_withdraw_confirmation,
    S.ReceiveSettleRequest: _receive_settle_request, S.ReceiveSettleConfirmation: _receive_settle_confirmation,
}


def _receive(state: PeerState, change: S._Receive) -> list:
    """Checks every message shares, then the message's own handler, then the acknowledgement."""
    message = change.message  # type: ignore[attr-defined]
    if change.signer is None or not _same(change.signer, message.sender):
        raise _refuse("bad signature", f"the message is not signed by its sender {message.sender}")
    if not _same(message.recipient, state.address):
        raise _refuse("wrong recipient", f"the message is for {message.recipient}")
    if isinstance(change, S.ReceiveProcessed):
        return _receive_processed(state, change)
    key = (message.sender.lower(), message.message_identifier)
    if key in state.processed:
        raise _refuse("replayed message", f"message {message.message_identifier} of {message.sender} "
                                          "was already applied")
    out = _RECEIVERS[type(change)](state, change)
    state.processed[key] = True
    ack = M.Processed(state.address, message.sender, message.message_identifier)
    return [E.SendProcessed(ack), *out]


# -- L1 --------------------------------------------------------------------------------------------------


def _channel_opened(state: PeerState, change: S.ContractReceiveChannelOpened) -> list:
    if change.channel_identifier in state.channels or change.channel_identifier in state.network:
        return []  # seen already (a poll repeated after a restart)
    state.network[change.channel_identifier] = NetworkChannel(change.participant1, change.participant2)
    if _same(change.participant1, state.address):
        partner = change.participant2
    elif _same(change.participant2, state.address):
        partner = change.participant1
    else:
        return []
    channel = new_channel(state, change.channel_identifier, partner, change.settle_timeout)
    state.channels[channel.identifier] = channel
    state.channel_of[partner.lower()] = channel.identifier
    deposit = state.pending_opens.pop(partner.lower(), 0)
    if deposit:
        return [E.ContractSendChannelDeposit(channel.identifier, partner, deposit, deposit)]
    return []


def _transaction_failed(state: PeerState, change: S.ContractReceiveTransactionFailed) -> list:
    """L1 refused one of our transactions: an open that failed no longer waits to be opened (it may be retried)."""
    if change.method == "open_channel" and state.channel_with(change.partner) is None:
        state.pending_opens.pop(change.partner.lower(), None)
    return []


def _channel_deposit(state: PeerState, change: S.ContractReceiveChannelDeposit) -> list:
    known = state.network.get(change.channel_identifier)
    if known is not None:
        if _same(known.participant1, change.participant):
            known.deposit1 = change.total_deposit
        else:
            known.deposit2 = change.total_deposit
    channel = state.channels.get(change.channel_identifier)
    if channel is not None:
        end = channel.our if _same(change.participant, state.address) else channel.partner
        end.deposit = max(end.deposit, change.total_deposit)
    return []


def _channel_closed(state: PeerState, change: S.ContractReceiveChannelClosed) -> list:
    state.network.pop(change.channel_identifier, None)
    channel = state.channels.get(change.channel_identifier)
    if channel is None:
        return []
    channel.status = CLOSED
    channel.closer = change.closer
    channel.settle_block = change.block_number + channel.settle_timeout
    channel.settle_time = change.timestamp + channel.settle_timeout * SECONDS_PER_SLOT
    non_closer = channel.partner if _same(change.closer, state.address) else channel.our
    non_closer.onchain_hash = change.balance_hash
    return _channel_on_block(state, channel)


def _update_seen(state: PeerState, change: S.ContractReceiveUpdateTransfer) -> list:
    channel = state.channels.get(change.channel_identifier)
    if channel is not None:
        closer = channel.our if _same(change.closer, state.address) else channel.partner
        closer.onchain_hash = change.balance_hash
    return []


def _channel_settled(state: PeerState, change: S.ContractReceiveChannelSettled) -> list:
    state.network.pop(change.channel_identifier, None)
    channel = state.channels.get(change.channel_identifier)
    if channel is None or channel.status == SETTLED:
        return []
    channel.status = SETTLED
    if state.channel_of.get(channel.partner.address.lower()) == channel.identifier:
        del state.channel_of[channel.partner.address.lower()]
    out: list = []
    theirs, ours = channel.partner.onchain_values(), channel.our.onchain_values()
    claimed = [lk for lk in theirs.locks if R.is_unlocked(lk, state.reveal_of(lk.secrethash))]
    if claimed:
        out.append(E.ContractSendChannelUnlock(channel.identifier, state.address, channel.partner.address,
                                               theirs.locks))
    unclaimed = [lk for lk in ours.locks if not R.is_unlocked(lk, state.reveal_of(lk.secrethash))]
    if unclaimed:
        out.append(E.ContractSendChannelUnlock(channel.identifier, channel.partner.address, state.address,
                                               ours.locks))
    _prune_settled(state, channel)
    return out


def _message_channel(message: M.Message) -> int | None:
    proof = getattr(message, "balance_proof", None)
    if proof is not None:
        return proof.channel_identifier
    return getattr(message, "channel_identifier", None)


def _prune_settled(state: PeerState, channel: ChannelState) -> None:
    """Forget what a settled channel no longer needs, so a peer's state grows with its partners, not its payments.

    Kept: the channel's final balance proofs and deposits (what a user reads).
    Gone: every proof's values (settlement named the ones L1 held, and the
    unlocks carry their locks), the off-chain locks, the messages queued about
    it, the record of applied messages from the partner and from every peer
    this one has no live channel with (a replay of one is refused anyway: a
    balance proof of a settled channel names no open channel, and a secret
    request or reveal of a finished payment is unexpected), older settled channels with the same partner, and the
    secrets, reveals and mediations of locks no other channel still holds.
    """
    partner = channel.partner.address.lower()
    for end in (channel.our, channel.partner):
        end.history, end.locks, end.pending_withdraws = {}, {}, {}
    channel.refused, channel.sent, channel.cooperative = {}, {}, None
    for identifier in [i for i, c in state.channels.items()
                       if c.status == SETTLED and i != channel.identifier and c.partner.address.lower() == partner]:
        del state.channels[identifier]
    live = {h for c in state.channels.values() if c.status != SETTLED for h in (*c.our.locks, *c.partner.locks)}
    for identifier in [i for i, m in state.queue.items() if m.recipient.lower() == partner and (
            _message_channel(m) == channel.identifier or (_about(m) and _about(m) not in live))]:
        del state.queue[identifier]
    partners = {c.partner.address.lower() for c in state.channels.values() if c.status != SETTLED}
    for key in [k for k in state.processed if k[0] not in partners]:
        del state.processed[key]
    in_flight = {p.secrethash for p in state.payments.values() if p.status in ("pending", "revealed")}
    for table in (state.mediations, state.receptions, state.registering, state.reveals, state.secrets):
        for secrethash in [h for h in table if h not in live and h not in in_flight]:
            del table[secrethash]  # type: ignore[attr-defined]


def _channel_unlocked(state: PeerState, change: S.ContractReceiveChannelUnlocked) -> list:
    return []


def _secret_revealed(state: PeerState, change: S.ContractReceiveSecretRevealed) -> list:
    """A secret is on L1: pay the locks it claims that we owe, and ask for those owed to us."""
    secrethash = change.secrethash
    if secrethash in state.reveals:
        return []
    reveal = state.reveals[secrethash] = R.Reveal(change.block_number, change.timestamp)
    state.secrets[secrethash] = change.secret
    mediation = state.mediations.get(secrethash)
    payment_id = state.initiated.get(secrethash)
    payment = None if payment_id is None else state.payments[payment_id]
    out: list = []
    for _, channel in sorted(state.channels.items()):
        lock = channel.our.locks.get(secrethash)
        if lock is not None and R.is_unlocked(lock, reveal):
            identifier = mediation.payment_identifier if mediation is not None else (payment_id or 0)
            out += _unlock_to(state, channel, secrethash, identifier)
        if secrethash in channel.partner.locks and not channel.refused.get(secrethash):
            out += _reveal_to(state, channel.partner.address, secrethash)
    if payment is not None and payment.secrethash == secrethash and payment.status in ("pending", "revealed"):
        payment.status = "succeeded"
        out.append(E.EventPaymentSentSuccess(payment.payment_identifier, payment.target, payment.amount))
    return out


def _send_once(state: PeerState, channel: ChannelState, what: str) -> bool:
    """True (and noted) unless this transaction went out less than ``TX_RETRY_BLOCKS`` ago."""
    sent = channel.sent.get(what)
    if sent is not None and state.block_number < sent + TX_RETRY_BLOCKS:
        return False
    channel.sent[what] = state.block_number
    return True


def _settle_side(end: EndState) -> E.SettleSide:
    values = end.onchain_values()
    return E.SettleSide(end.address, values.transferred, values.locked, values.locksroot)


def _register_if_due(state: PeerState, channel: ChannelState, secrethash: bytes) -> list:
    """Register on L1 the secret of the partner's lock on ``secrethash``, known to us, if that is due now.

    Due once the lock is within a reveal timeout of expiring by its seconds, whatever its blocks say:
    blocks are for sale, and a burst of them would expire it before this peer sees another block. Sent
    again after ``TX_RETRY_BLOCKS`` if L1 does not show it yet.
    """
    lock = channel.partner.locks.get(secrethash)
    secret = state.secrets.get(secrethash)
    block, now = state.block_number, state.block_timestamp
    if lock is None or secret is None or channel.refused.get(secrethash) or state.reveal_of(secrethash).block:
        return []
    sent = state.registering.get(secrethash)
    if (now + state.reveal_timeout * SECONDS_PER_SLOT >= lock.expiration_time
            and not R.is_lock_expired(lock, block, now)
            and (sent is None or block >= sent + TX_RETRY_BLOCKS)):
        state.registering[secrethash] = block
        return [E.ContractSendSecretReveal(secret)]
    return []


def _channel_on_block(state: PeerState, channel: ChannelState) -> list:
    """What one channel needs at the current block: expired locks removed, secrets registered in time,
    an update during the window, a close when a claimed lock is left unpaid, a settle after the window."""
    block, now = state.block_number, state.block_timestamp
    out: list = []
    if channel.status == SETTLED:
        return out
    _expire_cosigned(state, channel)
    for secrethash, lock in list(channel.our.locks.items()):
        if (channel.status == OPENED and R.is_lock_expired(lock, block, now)
                and not R.is_unlocked(lock, state.reveal_of(secrethash))):
            locks = dict(channel.our.locks)
            del locks[secrethash]
            proof = _next_proof(state, channel, channel.our.balance_proof.transferred_amount, locks)
            expired = M.LockExpired(state.address, channel.partner.address, _message_identifier(state), secrethash,
                                    proof)
            _forget_queued(state, secrethash)
            out.append(_queue(state, E.SendLockExpired(expired)))
            payment_id = state.initiated.get(secrethash)
            payment = None if payment_id is None else state.payments[payment_id]
            if payment is not None and payment.secrethash == secrethash and payment.status in ("pending", "revealed"):
                payment.status = "failed"
                out.append(E.EventPaymentSentFailed(payment.payment_identifier, payment.target, payment.amount,
                                                    "the lock expired before the target claimed it"))
    unpaid_claim = False
    for secrethash, lock in channel.partner.locks.items():
        if secrethash not in state.secrets or channel.refused.get(secrethash):
            continue
        reveal = state.reveal_of(secrethash)
        if reveal.block == 0:
            out += _register_if_due(state, channel, secrethash)
        elif R.is_unlocked(lock, reveal) and R.is_lock_expired(lock, block, now):
            unpaid_claim = True
    if channel.status == OPENED and unpaid_claim and _send_once(state, channel, "close"):
        out.append(E.ContractSendChannelClose(channel.identifier, channel.partner.address,
                                              channel.partner.balance_proof, channel.partner.signature))
    if channel.status == CLOSED:
        partner = channel.partner
        window_open = block <= channel.settle_block or now < channel.settle_time
        if (window_open and _same(channel.closer, partner.address) and partner.balance_proof.nonce > 0
                and partner.onchain_hash != partner.balance_proof.balance_hash() and _send_once(state, channel,
                                                                                               "update")):
            out.append(E.ContractSendChannelUpdate(channel.identifier, partner.address, partner.balance_proof,
                                                   partner.signature))
        if not window_open and _send_once(state, channel, "settle"):
            out.append(E.ContractSendChannelSettle(channel.identifier, _settle_side(channel.our),
                                                   _settle_side(partner)))
    return out


def _block(state: PeerState, change: S.Block) -> list:
    if change.number < state.block_number:
        raise _refuse("old block", f"block {change.number} is before block {state.block_number}")
    state.block_number, state.block_timestamp = change.number, max(change.timestamp, state.block_timestamp)
    state.block_hash = change.block_hash
    out: list = []
    for _, channel in sorted(state.channels.items()):
        out += _channel_on_block(state, channel)
    return out


_HANDLERS: dict[type, Callable] = {
    S.ActionChannelOpen: _action_open, S.ActionChannelDeposit: _action_deposit, S.ActionChannelClose: _action_close,
    S.ActionTransferDirect: _action_direct, S.ActionInitMediated: _action_mediated,
    S.ActionChannelWithdraw: _action_withdraw, S.ActionChannelCooperativeSettle: _action_cooperative_settle,
    S.ContractReceiveChannelWithdraw: _channel_withdraw,
    S.Block: _block, S.ContractReceiveChannelOpened: _channel_opened,
    S.ContractReceiveChannelDeposit: _channel_deposit, S.ContractReceiveChannelClosed: _channel_closed,
    S.ContractReceiveUpdateTransfer: _update_seen, S.ContractReceiveChannelSettled: _channel_settled,
    S.ContractReceiveChannelUnlocked: _channel_unlocked, S.ContractReceiveSecretRevealed: _secret_revealed,
    S.ContractReceiveTransactionFailed: _transaction_failed,
}


def state_transition(state: PeerState, change: S.StateChange) -> tuple[PeerState, list[E.Event]]:
    """Apply one state change: the (updated) state and the events to perform, in order.

    Raises :class:`Refused` (a ``ChannelRuleError``) for an input that breaks
    a rule, having changed nothing.
    """
    try:
        if isinstance(change, S._Receive):
            return state, _receive(state, change)
        handler = _HANDLERS.get(type(change))
        if handler is None:
            raise _refuse("unknown state change", type(change).__name__)
        return state, handler(state, change)
    except Refused:
        raise
    except R.ChannelRuleError as exc:  # a rule of contracts_spec.channels.rules: the same name, as a refusal
        raise Refused(exc.rule, str(exc).removeprefix(exc.rule).removeprefix(": ")) from exc


__all__ = ["EMPTY_VALUES", "Refused", "TX_RETRY_BLOCKS", "attempt_secret", "state_transition"]
