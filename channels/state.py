"""A peer's state: its channels, what it knows of the network and of L1, and its payments in flight.

The state is plain data. ``transition.state_transition`` updates it in place
(no copy per step) and checks every input before it writes, so an input it
refuses leaves the state as it was.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from channels import codec
from channels.messages import Message
from contracts_spec.channels import rules as R

OPENED, CLOSED, SETTLED = "opened", "closed", "settled"


@codec.register
class ProofValues(NamedTuple):
    """What a balance proof's balance hash stands for, and the locks behind its locksroot.

    A peer keeps one per proof while the channel is open: a tuple of plain values, which the garbage
    collector stops tracking, so a long channel's history costs its collections nothing."""

    transferred: int
    locked: int
    locksroot: bytes
    locks: tuple[R.Lock, ...]


EMPTY_VALUES = ProofValues(0, 0, R.EMPTY_LOCKSROOT, ())


@codec.register
@dataclass
class EndState:
    """One participant of a channel: its deposit, its latest balance proof and the locks that proof commits to."""

    address: str
    balance_proof: R.BalanceProof
    deposit: int = 0
    withdrawn: int = 0
    # The proof's signature: kept for the partner's proofs, which this peer presents on L1.
    signature: bytes = b""
    locks: dict[bytes, R.Lock] = field(default_factory=dict)  # secrethash -> lock, in the locksroot's order
    # Every proof of this side, by balance hash, so settlement can name what L1 holds.
    history: dict[bytes, ProofValues] = field(default_factory=dict)
    onchain_hash: bytes = R.EMPTY_BALANCE_HASH  # the balance hash L1 holds for this side once closed
    # Co-signed (or asked for) withdrawals not yet seen on L1: total withdraw -> expiration block.
    pending_withdraws: dict[int, int] = field(default_factory=dict)

    def side(self) -> R.Side:
        return R.Side(self.deposit, self.withdrawn, self.balance_proof.transferred_amount,
                      self.balance_proof.locked_amount)

    def spending_side(self) -> R.Side:
        """The side as payments must see it: every withdrawal pending counted as done (it may yet land)."""
        return R.Side(self.deposit, self.spending_withdrawn(), self.balance_proof.transferred_amount,
                      self.balance_proof.locked_amount)

    def spending_withdrawn(self) -> int:
        """The withdrawn total of :meth:`spending_side`."""
        return max([self.withdrawn, *self.pending_withdraws]) if self.pending_withdraws else self.withdrawn

    def onchain_values(self) -> ProofValues:
        return self.history.get(self.onchain_hash, EMPTY_VALUES)


@codec.register
@dataclass
class CooperativeSettle:
    """A cooperative settlement of the channel: who asked, what it pays, until when."""

    requester: str
    participant1: str
    balance1: int
    participant2: str
    balance2: int
    expiration: int


@codec.register
@dataclass
class ChannelState:
    identifier: int
    settle_timeout: int
    our: EndState
    partner: EndState
    status: str = OPENED
    closer: str = ""
    settle_block: int = 0
    settle_time: int = 0
    # Partner's locks this peer refused to carry on: it never claims them, they wait to expire.
    refused: dict[bytes, bool] = field(default_factory=dict)
    # L1 transactions sent, by what they do, with the block they were sent at (to retry, not to repeat).
    sent: dict[str, int] = field(default_factory=dict)
    # A cooperative settlement asked for or co-signed: no payment moves in this channel until it expires.
    cooperative: CooperativeSettle | None = None

    def distributable(self) -> int:
        """What this peer may still send or lock to its partner."""
        if self.cooperative is not None:
            return 0
        our, partner = self.our, self.partner  # R.distributable(our.spending_side(), partner.spending_side())
        return R.distributable_of(our.deposit, our.spending_withdrawn(), our.balance_proof.transferred_amount,
                                  our.balance_proof.locked_amount, partner.deposit, partner.spending_withdrawn(),
                                  partner.balance_proof.transferred_amount)

    def balance(self) -> int:
        """This peer's share of the channel if every pending lock went back to its sender."""
        return self.our.deposit - self.our.withdrawn + self.partner.balance_proof.transferred_amount \
            - self.our.balance_proof.transferred_amount


@codec.register
@dataclass
class NetworkChannel:
    """A channel anyone opened on the adjudicator, as L1 shows it: for routing."""

    participant1: str
    participant2: str
    deposit1: int = 0
    deposit2: int = 0


@codec.register
@dataclass
class InitiatorPayment:
    """A mediated payment this peer started; one route at a time, each with its own secret."""

    payment_identifier: int
    target: str
    amount: int
    secret: bytes  # the seed: attempt i uses attempt_secret(secret, i)
    routes: list[tuple[str, ...]]  # routes not tried yet, best first
    attempt: int = -1
    route: tuple[str, ...] = ()
    secrethash: bytes = b""
    status: str = "pending"  # pending, revealed (to the target), succeeded, failed


@codec.register
@dataclass
class Mediation:
    payment_identifier: int
    payer: str
    payee: str
    amount: int


@codec.register
@dataclass
class Reception:
    payment_identifier: int
    initiator: str
    payer: str
    amount: int
    received: bool = False


@codec.register
@dataclass
class PeerState:
    address: str
    chain_id: int
    adjudicator: str
    reveal_timeout: int
    max_locks: int
    block_number: int = 0
    block_timestamp: int = 0
    block_hash: bytes = b""  # of the block at block_number, as L1 gave it
    next_message_identifier: int = 1
    channels: dict[int, ChannelState] = field(default_factory=dict)
    channel_of: dict[str, int] = field(default_factory=dict)  # partner (lower case) -> its open or closed channel
    network: dict[int, NetworkChannel] = field(default_factory=dict)
    pending_opens: dict[str, int] = field(default_factory=dict)  # partner (lower case) -> deposit once open
    secrets: dict[bytes, bytes] = field(default_factory=dict)  # secrethash -> secret, once learned
    reveals: dict[bytes, R.Reveal] = field(default_factory=dict)  # secrethash -> where L1 registered it
    registering: dict[bytes, int] = field(default_factory=dict)  # secrethash -> block its registration was sent
    payments: dict[int, InitiatorPayment] = field(default_factory=dict)
    initiated: dict[bytes, int] = field(default_factory=dict)  # secrethash -> payment identifier
    mediations: dict[bytes, Mediation] = field(default_factory=dict)
    receptions: dict[bytes, Reception] = field(default_factory=dict)
    queue: dict[int, Message] = field(default_factory=dict)  # sent, not yet acknowledged
    processed: dict[tuple[str, int], bool] = field(default_factory=dict)  # (sender, message id) applied

    def channel_with(self, partner: str) -> ChannelState | None:
        identifier = self.channel_of.get(partner.lower())
        return None if identifier is None else self.channels[identifier]

    def reveal_of(self, secrethash: bytes) -> R.Reveal:
        return self.reveals.get(secrethash, R.NEVER_REVEALED)


def new_channel(state: PeerState, identifier: int, partner: str, settle_timeout: int) -> ChannelState:
    def empty() -> R.BalanceProof:
        return R.BalanceProof.empty(identifier, state.chain_id, state.adjudicator)
    return ChannelState(identifier, settle_timeout, EndState(state.address, empty()), EndState(partner, empty()))
