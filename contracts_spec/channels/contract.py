"""The payment channels' L1 contracts: the adjudicator (a token network for ETH) and the secret registry.

The life of a channel
    ``open_channel(partner, settle_timeout)`` gives the pair a new channel
    identifier from a counter (one open channel per pair; a channel opened
    again after settlement gets a new identifier, so old proofs are useless
    on it). Anyone may ``set_total_deposit`` for a participant: the total
    only grows, by exactly the value sent. While the channel is open, both
    participants may co-sign a withdrawal (``set_total_withdraw``, a total
    that only grows, before its expiration block) or a cooperative
    settlement that pays out everything at once.

Closing and disputing
    ``close_channel`` presents the partner's latest balance proof (or the
    empty one, nonce 0) with the closer's signature over it, so anyone may
    send it on the closer's behalf. The settlement window then runs for
    ``settle_timeout`` blocks *and* as many 12-second slots, so mining blocks
    faster than real time cannot end it early. During the window the
    non-closer, or a monitoring service carrying its counter-signature,
    presents the closer's own newer proofs with
    ``update_non_closing_balance_proof`` (strictly increasing nonces). A
    closer that closes and leaves out its latest payments is answered by
    that update: what it paid stays paid.

Settling and unlocking
    After the window anyone may ``settle_channel`` with the values behind the
    two balance hashes; ``rules.settle_amounts`` splits the channel's ETH,
    each side's pending locks are kept under (channel, sender, receiver,
    locksroot), and the pair may open a new channel. Anyone may then
    ``unlock`` a side's locks by sending them (at most ``max_locks``, so the
    call is bounded): locks whose secret the ``SecretRegistry`` recorded
    before they expired (past both their block and their second, so mining
    blocks fast expires no lock early: ``rules.is_unlocked``) pay the
    receiver, the rest go back to the sender (``rules.unlock_amounts``),
    once every lock is decided: claimed, or expired (``rules.check_unlockable``).

What L1 stores, per channel
    ``channel_of[low, high]``, the pair's channel identifier; ``channel[id]``,
    one word: state (1 open, 2 closed) | settle_timeout << 8 | settle_block
    << 72 | settle_time << 136 | (closer is the lower address) << 200; per
    participant ``side[id, address]``: deposit | withdrawn << 96 | nonce <<
    192, the nonce of the latest proof *signed by* that participant that L1
    has seen, and ``balance_hash[id, address]`` of that proof. Settlement
    deletes all of it (EIP-3529 refunds) and writes only
    ``locked[id, sender, receiver, locksroot]`` for sides with pending locks.

Every refusal reverts with a reason naming its rule, and the revert undoes
every write of the call. Every call does a bounded amount of work: nothing
loops except ``unlock``, over at most ``max_locks`` locks.
"""

from __future__ import annotations

from contracts_spec.channels.params import MAX_LOCKS_PER_CHANNEL, SECONDS_PER_SLOT
from contracts_spec.channels.rules import (
    EMPTY_BALANCE_HASH,
    EMPTY_LOCKSROOT,
    MAX_CHANNEL_DEPOSIT,
    BalanceProof,
    ChannelRuleError,
    CooperativeSettlement,
    Reveal,
    Side,
    WithdrawRequest,
    balance_hash,
    check_balance_proof,
    check_cooperative_settle,
    check_proof_fields,
    check_unlockable,
    close_digest,
    decode_locks,
    settle_amounts,
    unlock_amounts,
    update_digest,
    withdraw_amount,
)
from contracts_spec.runtime import (
    ZERO_ADDRESS,
    Context,
    Contract,
    Revert,
    constructor,
    event,
    external,
    register,
    same_address,
    view,
)

OPENED, CLOSED = 1, 2
MASK64 = (1 << 64) - 1
MASK96 = (1 << 96) - 1
TIMEOUT_SHIFT, BLOCK_SHIFT, TIME_SHIFT, CLOSER_SHIFT = 8, 72, 136, 200
WITHDRAWN_SHIFT, NONCE_SHIFT = 96, 192
STATE_NAMES = {0: "not open", OPENED: "open", CLOSED: "closed"}


def _ordered(a: str, b: str) -> tuple[str, str]:
    return (a, b) if int(a, 16) < int(b, 16) else (b, a)


def _rule(exc: ChannelRuleError) -> Revert:
    return Revert(str(exc))


class _Side:
    """One participant's word in storage, unpacked."""

    __slots__ = ("deposit", "withdrawn", "nonce")

    def __init__(self, word: int) -> None:
        self.deposit = word & MASK96
        self.withdrawn = (word >> WITHDRAWN_SHIFT) & MASK96
        self.nonce = word >> NONCE_SHIFT

    def word(self) -> int:
        return self.deposit | self.withdrawn << WITHDRAWN_SHIFT | self.nonce << NONCE_SHIFT

    def totals(self, transferred: int = 0, locked: int = 0) -> Side:
        return Side(self.deposit, self.withdrawn, transferred, locked)


class _Channel:
    """A channel's word in storage, unpacked."""

    __slots__ = ("state", "settle_timeout", "settle_block", "settle_time", "closer_is_low")

    def __init__(self, word: int) -> None:
        self.state = word & 0xFF
        self.settle_timeout = (word >> TIMEOUT_SHIFT) & MASK64
        self.settle_block = (word >> BLOCK_SHIFT) & MASK64
        self.settle_time = (word >> TIME_SHIFT) & MASK64
        self.closer_is_low = (word >> CLOSER_SHIFT) & 1

    def word(self) -> int:
        return (self.state | self.settle_timeout << TIMEOUT_SHIFT | self.settle_block << BLOCK_SHIFT
                | self.settle_time << TIME_SHIFT | self.closer_is_low << CLOSER_SHIFT)

    def window_open(self, ctx: Context) -> bool:
        """The settlement window runs until both its blocks and its seconds have passed."""
        return ctx.block_number <= self.settle_block or ctx.timestamp < self.settle_time


@register
class SecretRegistry(Contract):
    """Records the L1 block, and its timestamp, at which each secret was first revealed, to judge locks by.

    One word per secret hash: ``block | timestamp << 64``.
    """

    SecretRevealed = event("SecretRevealed(bytes32 indexed secrethash, bytes32 secret)")

    @external("register_secret(bytes32)", returns="bool")
    def register_secret(self, ctx: Context, secret: bytes) -> bool:
        ctx.require(secret != bytes(32), "zero secret: its hash has a known preimage, so no lock may use it")
        secrethash = ctx.keccak(secret)
        at = ctx.sload("revealed_at", secrethash)
        ctx.require(at == 0, f"secret already registered: at block {at & MASK64}")
        ctx.sstore("revealed_at", secrethash, ctx.block_number | ctx.timestamp << 64)
        ctx.emit(self.SecretRevealed, secrethash, secret)
        return True

    @view("get_secret_reveal_block_height(bytes32)", returns="uint256")
    def get_secret_reveal_block_height(self, ctx: Context, secrethash: bytes) -> int:
        """The block the secret of ``secrethash`` was registered in; 0 if never."""
        return ctx.sload("revealed_at", secrethash) & MASK64

    @view("get_secret_reveal(bytes32)", returns="(uint256,uint256)")
    def get_secret_reveal(self, ctx: Context, secrethash: bytes) -> tuple:
        """The block and timestamp the secret of ``secrethash`` was registered at; (0, 0) if never."""
        word = ctx.sload("revealed_at", secrethash)
        return word & MASK64, word >> 64


@register
class ChannelAdjudicator(Contract):
    """Holds the channels' ETH; settles each by its participants' signed balance proofs."""

    ChannelOpened = event("ChannelOpened(uint256 indexed channel_identifier, address indexed participant1, "
                          "address indexed participant2, uint256 settle_timeout)")
    ChannelNewDeposit = event("ChannelNewDeposit(uint256 indexed channel_identifier, address indexed participant, "
                              "uint256 total_deposit)")
    ChannelWithdraw = event("ChannelWithdraw(uint256 indexed channel_identifier, address indexed participant, "
                            "uint256 total_withdraw)")
    ChannelClosed = event("ChannelClosed(uint256 indexed channel_identifier, address indexed closing_participant, "
                          "uint256 nonce, bytes32 balance_hash)")
    NonClosingBalanceProofUpdated = event(
        "NonClosingBalanceProofUpdated(uint256 indexed channel_identifier, address indexed closing_participant, "
        "uint256 nonce, bytes32 balance_hash)")
    ChannelSettled = event("ChannelSettled(uint256 indexed channel_identifier, address participant1, "
                           "uint256 participant1_amount, bytes32 participant1_locksroot, address participant2, "
                           "uint256 participant2_amount, bytes32 participant2_locksroot)")
    ChannelUnlocked = event("ChannelUnlocked(uint256 indexed channel_identifier, address indexed receiver, "
                            "address indexed sender, bytes32 locksroot, uint256 unlocked_amount, "
                            "uint256 returned_amount)")

    @constructor("address", "uint64", "uint64", "uint16")
    def init(self, ctx: Context, secret_registry: str, settle_timeout_min: int, settle_timeout_max: int,
             max_locks: int) -> None:
        ctx.require(not same_address(secret_registry, ZERO_ADDRESS), "bad secret registry: the zero address")
        ctx.require(0 < settle_timeout_min <= settle_timeout_max,
                    f"bad settle timeouts: {settle_timeout_min}..{settle_timeout_max}, need 0 < min <= max")
        ctx.require(0 < max_locks <= MAX_LOCKS_PER_CHANNEL, f"bad lock cap: {max_locks} outside 1..{MAX_LOCKS_PER_CHANNEL}")
        ctx.sstore_address("secret_registry", secret_registry)
        ctx.sstore("params", settle_timeout_min | settle_timeout_max << 64 | max_locks << 128)

    # -- storage helpers --------------------------------------------------------------------

    def _params(self, ctx: Context) -> tuple[int, int, int]:
        word = ctx.sload("params")
        return word & MASK64, (word >> 64) & MASK64, word >> 128

    def _channel(self, ctx: Context, channel_identifier: int, a: str, b: str, state: int, verb: str) -> _Channel:
        """The channel of ``a`` and ``b`` with this identifier, once it is in ``state``; else revert naming why."""
        low, high = _ordered(a, b)
        ctx.require(channel_identifier != 0 and ctx.sload("channel_of", low, high) == channel_identifier,
                    f"unknown channel: {channel_identifier} is not the channel of {a} and {b} "
                    "(never opened, already settled, or reopened under a new identifier)")
        channel = _Channel(ctx.sload("channel", channel_identifier))
        ctx.require(channel.state == state, f"wrong channel state: channel {channel_identifier} "
                                            f"is {STATE_NAMES[channel.state]}, cannot {verb}")
        return channel

    def _side(self, ctx: Context, channel_identifier: int, participant: str) -> _Side:
        return _Side(ctx.sload("side", channel_identifier, participant))

    def _recovered(self, ctx: Context, digest: bytes, signature: bytes, expected: str, what: str) -> None:
        signer = ctx.ecrecover(digest, signature)
        ctx.require(signer is not None and same_address(signer, expected),
                    f"bad signature: the {what} signature is not {expected}'s")

    def _proof(self, ctx: Context, channel_identifier: int, nonce: int, transferred: int, locked: int,
               locksroot: bytes) -> BalanceProof:
        return BalanceProof(channel_identifier, ctx.chain_id, ctx.this, nonce, transferred, locked, locksroot)

    # -- open, deposit, withdraw ---------------------------------------------------------------

    @external("open_channel(address,uint256)", returns="uint256")
    def open_channel(self, ctx: Context, partner: str, settle_timeout: int) -> int:
        """Open a channel between the sender and ``partner``; its new identifier."""
        ctx.require(not same_address(partner, ZERO_ADDRESS), "bad partner: the zero address cannot sign")
        ctx.require(not same_address(partner, ctx.sender), "bad partner: a channel needs two participants")
        low_timeout, high_timeout, _ = self._params(ctx)
        ctx.require(low_timeout <= settle_timeout <= high_timeout,
                    f"bad settle timeout: {settle_timeout} outside {low_timeout}..{high_timeout} blocks")
        low, high = _ordered(ctx.sender, partner)
        existing = ctx.sload("channel_of", low, high)
        ctx.require(existing == 0, f"one open channel per pair: channel {existing} of these participants "
                                   "is not settled yet")
        channel_identifier = ctx.sload("counter") + 1
        ctx.sstore("counter", channel_identifier)
        ctx.sstore("channel_of", low, high, channel_identifier)
        ctx.sstore("channel", channel_identifier, OPENED | settle_timeout << TIMEOUT_SHIFT)
        ctx.emit(self.ChannelOpened, channel_identifier, ctx.sender, partner, settle_timeout)
        return channel_identifier

    @external("set_total_deposit(uint256,address,address,uint256)", payable=True)
    def set_total_deposit(self, ctx: Context, channel_identifier: int, participant: str, partner: str,
                          total_deposit: int) -> None:
        """Raise ``participant``'s total deposit to ``total_deposit`` by exactly the value sent; anyone may."""
        self._channel(ctx, channel_identifier, participant, partner, OPENED, "deposit")
        ctx.require(ctx.value > 0, "zero deposit: send the wei to add")
        side = self._side(ctx, channel_identifier, participant)
        ctx.require(total_deposit == side.deposit + ctx.value,
                    f"deposit total mismatch: the total only grows, by the value sent, and {side.deposit} + "
                    f"{ctx.value} != {total_deposit}")
        other = self._side(ctx, channel_identifier, partner)
        ctx.require(total_deposit + other.deposit <= MAX_CHANNEL_DEPOSIT,
                    f"channel deposit cap: the channel may hold at most {MAX_CHANNEL_DEPOSIT} wei")
        side.deposit = total_deposit
        ctx.sstore("side", channel_identifier, participant, side.word())
        ctx.emit(self.ChannelNewDeposit, channel_identifier, participant, total_deposit)

    @external("set_total_withdraw(uint256,address,address,uint256,uint256,bytes,bytes)")
    def set_total_withdraw(self, ctx: Context, channel_identifier: int, participant: str, partner: str,
                           total_withdraw: int, expiration: int, participant_signature: bytes,
                           partner_signature: bytes) -> None:
        """Pay ``participant`` up to ``total_withdraw`` withdrawn in all, as both participants signed."""
        self._channel(ctx, channel_identifier, participant, partner, OPENED, "withdraw")
        request = WithdrawRequest(channel_identifier, ctx.chain_id, ctx.this, participant, total_withdraw, expiration)
        digest = request.digest(ctx.keccak)
        self._recovered(ctx, digest, participant_signature, participant, "participant's withdraw")
        self._recovered(ctx, digest, partner_signature, partner, "partner's withdraw")
        own, other = self._side(ctx, channel_identifier, participant), self._side(ctx, channel_identifier, partner)
        try:
            amount = withdraw_amount(own.totals(), other.totals(), total_withdraw, expiration, ctx.block_number)
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        own.withdrawn = total_withdraw
        ctx.sstore("side", channel_identifier, participant, own.word())
        ctx.transfer(participant, amount)
        ctx.emit(self.ChannelWithdraw, channel_identifier, participant, total_withdraw)

    @external("cooperative_settle(uint256,address,uint256,address,uint256,uint256,bytes,bytes)")
    def cooperative_settle(self, ctx: Context, channel_identifier: int, participant1: str, balance1: int,
                           participant2: str, balance2: int, expiration: int, signature1: bytes,
                           signature2: bytes) -> None:
        """End an open channel at once, paying both balances both participants signed."""
        self._channel(ctx, channel_identifier, participant1, participant2, OPENED, "settle cooperatively")
        settlement = CooperativeSettlement(channel_identifier, ctx.chain_id, ctx.this, participant1, balance1,
                                           participant2, balance2, expiration)
        digest = settlement.digest(ctx.keccak)
        self._recovered(ctx, digest, signature1, participant1, "participant 1's settlement")
        self._recovered(ctx, digest, signature2, participant2, "participant 2's settlement")
        one, two = self._side(ctx, channel_identifier, participant1), self._side(ctx, channel_identifier, participant2)
        try:
            check_cooperative_settle(one.totals(), two.totals(), balance1, balance2, expiration, ctx.block_number)
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        self._delete(ctx, channel_identifier, participant1, participant2)
        ctx.transfer(participant1, balance1)
        ctx.transfer(participant2, balance2)
        ctx.emit(self.ChannelSettled, channel_identifier, participant1, balance1, EMPTY_LOCKSROOT,
                 participant2, balance2, EMPTY_LOCKSROOT)

    # -- close and dispute -----------------------------------------------------------------------

    @external("close_channel(uint256,address,address,uint256,uint256,uint256,bytes32,bytes,bytes)")
    def close_channel(self, ctx: Context, channel_identifier: int, closing_participant: str,
                      non_closing_participant: str, nonce: int, transferred_amount: int, locked_amount: int,
                      locksroot: bytes, non_closing_signature: bytes, closing_signature: bytes) -> None:
        """Close with the non-closer's balance proof, as the closer signed; anyone may send it."""
        channel = self._channel(ctx, channel_identifier, closing_participant, non_closing_participant, OPENED,
                                "close")
        proof = self._proof(ctx, channel_identifier, nonce, transferred_amount, locked_amount, locksroot)
        try:
            check_proof_fields(proof)
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        self._recovered(ctx, close_digest(proof, non_closing_signature, ctx.keccak), closing_signature,
                        closing_participant, "closing")
        if nonce == 0:
            ctx.require(not non_closing_signature, "bad empty proof: the empty proof (nonce 0) carries no signature")
        else:
            signer = ctx.ecrecover(proof.digest(ctx.keccak), non_closing_signature)
            try:
                check_balance_proof(proof, signer, sender=non_closing_participant,
                                    channel_identifier=channel_identifier, chain_id=ctx.chain_id,
                                    adjudicator=ctx.this, last_nonce=0)
            except ChannelRuleError as exc:
                raise _rule(exc) from None
            side = self._side(ctx, channel_identifier, non_closing_participant)
            side.nonce = nonce
            ctx.sstore("side", channel_identifier, non_closing_participant, side.word())
        stored = balance_hash(transferred_amount, locked_amount, locksroot, ctx.keccak)
        if stored != EMPTY_BALANCE_HASH:
            ctx.sstore_bytes32("balance_hash", channel_identifier, non_closing_participant, stored)
        channel.state = CLOSED
        channel.settle_block = ctx.block_number + channel.settle_timeout
        channel.settle_time = ctx.timestamp + channel.settle_timeout * SECONDS_PER_SLOT
        channel.closer_is_low = int(_ordered(closing_participant, non_closing_participant)[0] == closing_participant)
        ctx.sstore("channel", channel_identifier, channel.word())
        ctx.emit(self.ChannelClosed, channel_identifier, closing_participant, nonce, stored)

    @external("update_non_closing_balance_proof(uint256,address,address,uint256,uint256,uint256,bytes32,bytes,bytes)")
    def update_non_closing_balance_proof(self, ctx: Context, channel_identifier: int, closing_participant: str,
                                         non_closing_participant: str, nonce: int, transferred_amount: int,
                                         locked_amount: int, locksroot: bytes, closing_signature: bytes,
                                         non_closing_signature: bytes) -> None:
        """Present the closer's newer balance proof during the window, as the non-closer counter-signed."""
        channel = self._channel(ctx, channel_identifier, closing_participant, non_closing_participant, CLOSED,
                                "update a balance proof")
        ctx.require(channel.window_open(ctx), f"settlement window over: channel {channel_identifier}'s window "
                                              f"ended at block {channel.settle_block}")
        closer = _ordered(closing_participant, non_closing_participant)[0 if channel.closer_is_low else 1]
        ctx.require(same_address(closer, closing_participant),
                    f"not the closer: {closing_participant} did not close channel {channel_identifier}, "
                    "only the closer's proof can be updated")
        proof = self._proof(ctx, channel_identifier, nonce, transferred_amount, locked_amount, locksroot)
        side = self._side(ctx, channel_identifier, closing_participant)
        signer = ctx.ecrecover(proof.digest(ctx.keccak), closing_signature)
        try:
            check_balance_proof(proof, signer, sender=closing_participant, channel_identifier=channel_identifier,
                                chain_id=ctx.chain_id, adjudicator=ctx.this, last_nonce=side.nonce)
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        self._recovered(ctx, update_digest(proof, closing_signature, ctx.keccak), non_closing_signature,
                        non_closing_participant, "non-closing participant's update")
        side.nonce = nonce
        ctx.sstore("side", channel_identifier, closing_participant, side.word())
        stored = balance_hash(transferred_amount, locked_amount, locksroot, ctx.keccak)
        ctx.sstore_bytes32("balance_hash", channel_identifier, closing_participant, stored)
        ctx.emit(self.NonClosingBalanceProofUpdated, channel_identifier, closing_participant, nonce, stored)

    # -- settle and unlock ---------------------------------------------------------------------------

    @external("settle_channel(uint256,address,uint256,uint256,bytes32,address,uint256,uint256,bytes32)")
    def settle_channel(self, ctx: Context, channel_identifier: int, participant1: str, transferred1: int,
                       locked1: int, locksroot1: bytes, participant2: str, transferred2: int, locked2: int,
                       locksroot2: bytes) -> None:
        """After the window, pay both sides by the balance proofs L1 holds; anyone may, with their values."""
        channel = self._channel(ctx, channel_identifier, participant1, participant2, CLOSED, "settle")
        ctx.require(not channel.window_open(ctx),
                    f"settlement window open: channel {channel_identifier} settles after block "
                    f"{channel.settle_block} and time {channel.settle_time}")
        for who, t, lk, root in ((participant1, transferred1, locked1, locksroot1),
                                 (participant2, transferred2, locked2, locksroot2)):
            held = ctx.sload_bytes32("balance_hash", channel_identifier, who)
            ctx.require(balance_hash(t, lk, root, ctx.keccak) == held,
                        f"balance hash mismatch: {who}'s amounts and locksroot are not those of its balance "
                        "proof on L1")
        one, two = self._side(ctx, channel_identifier, participant1), self._side(ctx, channel_identifier, participant2)
        try:
            split = settle_amounts(one.totals(transferred1, locked1), two.totals(transferred2, locked2))
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        self._delete(ctx, channel_identifier, participant1, participant2)
        amount1, amount2 = split.amount1, split.amount2
        # Locks with no locksroot can never be unlocked: they go back to their sender now.
        if split.locked1 and locksroot1 != EMPTY_LOCKSROOT:
            ctx.sstore("locked", channel_identifier, participant1, participant2, locksroot1, split.locked1)
        else:
            amount1 += split.locked1
        if split.locked2 and locksroot2 != EMPTY_LOCKSROOT:
            ctx.sstore("locked", channel_identifier, participant2, participant1, locksroot2, split.locked2)
        else:
            amount2 += split.locked2
        ctx.transfer(participant1, amount1)
        ctx.transfer(participant2, amount2)
        ctx.emit(self.ChannelSettled, channel_identifier, participant1, amount1, locksroot1, participant2,
                 amount2, locksroot2)

    def _delete(self, ctx: Context, channel_identifier: int, participant1: str, participant2: str) -> None:
        """Forget a finished channel, so the pair may open a new one (and L1 refunds the slots)."""
        low, high = _ordered(participant1, participant2)
        ctx.sstore("channel_of", low, high, 0)
        ctx.sstore("channel", channel_identifier, 0)
        for who in (participant1, participant2):
            ctx.sstore("side", channel_identifier, who, 0)
            if ctx.sload("balance_hash", channel_identifier, who):
                ctx.sstore("balance_hash", channel_identifier, who, 0)

    @external("unlock(uint256,address,address,bytes)")
    def unlock(self, ctx: Context, channel_identifier: int, receiver: str, sender: str, locks: bytes) -> None:
        """Pay out ``sender``'s pending locks to ``receiver`` of a settled channel: claimed ones to the receiver."""
        _, _, max_locks = self._params(ctx)
        try:
            decoded = decode_locks(locks, max_locks)
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        ctx.require(decoded, "no locks: send the pending locks the sender's locksroot commits to")
        locksroot = ctx.keccak(locks)
        retained = ctx.sload("locked", channel_identifier, sender, receiver, locksroot)
        if not retained:
            low, high = _ordered(sender, receiver)
            ctx.require(ctx.sload("channel_of", low, high) != channel_identifier or channel_identifier == 0,
                        f"channel {channel_identifier} is not settled yet: locks unlock after settlement")
            raise Revert(f"nothing to unlock: no locks of {sender} to {receiver} with this locksroot await unlock "
                         f"in channel {channel_identifier} (never pending, or already unlocked)")
        registry = ctx.sload_address("secret_registry")

        def revealed_at(secrethash: bytes) -> Reveal:
            block, timestamp = ctx.call(registry, "get_secret_reveal(bytes32)", secrethash)
            return Reveal(int(block), int(timestamp))

        reveals = {lock.secrethash: revealed_at(lock.secrethash) for lock in decoded}  # one registry call each
        try:
            check_unlockable(decoded, reveals.__getitem__, ctx.block_number, ctx.timestamp)
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        paid = unlock_amounts(decoded, retained, reveals.__getitem__)
        ctx.sstore("locked", channel_identifier, sender, receiver, locksroot, 0)
        ctx.transfer(receiver, paid.to_receiver)
        ctx.transfer(sender, paid.to_sender)
        ctx.emit(self.ChannelUnlocked, channel_identifier, receiver, sender, locksroot, paid.to_receiver,
                 paid.to_sender)

    # -- views -------------------------------------------------------------------------------------------

    @view("channel_identifier(address,address)", returns="uint256")
    def channel_identifier(self, ctx: Context, a: str, b: str) -> int:
        """The identifier of the pair's open or closed channel; 0 when there is none."""
        low, high = _ordered(a, b)
        return ctx.sload("channel_of", low, high)

    @view("channel_counter()", returns="uint256")
    def channel_counter(self, ctx: Context) -> int:
        return ctx.sload("counter")

    @view("channel_info(uint256)", returns="(uint8,uint256,uint256,uint256)")
    def channel_info(self, ctx: Context, channel_identifier: int) -> tuple:
        """State (0 none or settled, 1 open, 2 closed), settle timeout, and the window's end block and time."""
        c = _Channel(ctx.sload("channel", channel_identifier))
        return c.state, c.settle_timeout, c.settle_block, c.settle_time

    @view("participant_info(uint256,address)", returns="(uint256,uint256,uint256,bytes32)")
    def participant_info(self, ctx: Context, channel_identifier: int, participant: str) -> tuple:
        """Deposit, withdrawn total, and the nonce and balance hash of its latest proof L1 holds."""
        side = self._side(ctx, channel_identifier, participant)
        return (side.deposit, side.withdrawn, side.nonce,
                ctx.sload_bytes32("balance_hash", channel_identifier, participant))

    @view("locked_amount(uint256,address,address,bytes32)", returns="uint256")
    def locked_amount(self, ctx: Context, channel_identifier: int, sender: str, receiver: str,
                      locksroot: bytes) -> int:
        """What settlement kept of ``sender``'s locks to ``receiver`` under ``locksroot``, until unlocked."""
        return ctx.sload("locked", channel_identifier, sender, receiver, locksroot)

    @view("secret_registry()", returns="address")
    def secret_registry(self, ctx: Context) -> str:
        return ctx.sload_address("secret_registry")

    @view("params()", returns="(uint64,uint64,uint16)")
    def params(self, ctx: Context) -> tuple:
        """Settle timeout bounds and the lock cap the adjudicator was deployed with."""
        return self._params(ctx)
