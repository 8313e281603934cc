"""The outputs of a peer's state machine, named by where they go.

``Send*`` are messages for another peer (the runtime signs and sends them),
``ContractSend*`` transactions for L1 (the runtime signs what L1 wants
signed and sends them through ``L1Client``), ``Event*`` news for the user.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels.codec import quick_init
from channels.messages import Message
from contracts_spec.channels.rules import BalanceProof, Lock

# -- to other peers ------------------------------------------------------------------------------


@quick_init
@dataclass(frozen=True)
class SendMessage:
    message: Message


class SendDirectTransfer(SendMessage):
    pass


class SendLockedTransfer(SendMessage):
    pass


class SendUnlock(SendMessage):
    pass


class SendLockExpired(SendMessage):
    pass


class SendSecretRequest(SendMessage):
    pass


class SendSecretReveal(SendMessage):
    pass


class SendRefundTransfer(SendMessage):
    pass


class SendProcessed(SendMessage):
    pass


class SendWithdrawRequest(SendMessage):
    pass


class SendWithdrawConfirmation(SendMessage):
    pass


class SendSettleRequest(SendMessage):
    pass


class SendSettleConfirmation(SendMessage):
    pass


# -- to L1 ------------------------------------------------------------------------------------------


@quick_init
@dataclass(frozen=True)
class ContractSendChannelOpen:
    partner: str
    settle_timeout: int


@quick_init
@dataclass(frozen=True)
class ContractSendChannelDeposit:
    channel_identifier: int
    partner: str
    total_deposit: int
    amount: int


@quick_init
@dataclass(frozen=True)
class ContractSendChannelClose:
    """Close presenting the partner's latest proof (the empty one, unsigned, when it never paid)."""

    channel_identifier: int
    partner: str
    balance_proof: BalanceProof
    signature: bytes


@quick_init
@dataclass(frozen=True)
class ContractSendChannelUpdate:
    """Present the closing partner's latest proof during the settlement window."""

    channel_identifier: int
    partner: str
    balance_proof: BalanceProof
    signature: bytes


@quick_init
@dataclass(frozen=True)
class SettleSide:
    participant: str
    transferred: int
    locked: int
    locksroot: bytes


@quick_init
@dataclass(frozen=True)
class ContractSendChannelSettle:
    channel_identifier: int
    one: SettleSide
    two: SettleSide


@quick_init
@dataclass(frozen=True)
class ContractSendChannelUnlock:
    channel_identifier: int
    receiver: str
    sender: str
    locks: tuple[Lock, ...]


@quick_init
@dataclass(frozen=True)
class ContractSendSecretReveal:
    secret: bytes


@quick_init
@dataclass(frozen=True)
class ContractSendChannelWithdraw:
    """Withdraw as both signed; the runtime adds this peer's own signature."""

    channel_identifier: int
    partner: str
    total_withdraw: int
    expiration: int
    partner_signature: bytes


@quick_init
@dataclass(frozen=True)
class ContractSendChannelCooperativeSettle:
    """Settle the channel at once as both signed; the runtime adds this peer's own signature."""

    channel_identifier: int
    participant1: str
    balance1: int
    participant2: str
    balance2: int
    expiration: int
    partner_signature: bytes


# -- to the user -------------------------------------------------------------------------------------


@quick_init
@dataclass(frozen=True)
class EventPaymentSentSuccess:
    payment_identifier: int
    target: str
    amount: int


@quick_init
@dataclass(frozen=True)
class EventPaymentSentFailed:
    payment_identifier: int
    target: str
    amount: int
    reason: str


@quick_init
@dataclass(frozen=True)
class EventPaymentReceived:
    payment_identifier: int
    initiator: str
    amount: int


Event = (
    SendMessage | ContractSendChannelOpen | ContractSendChannelDeposit | ContractSendChannelClose
    | ContractSendChannelUpdate | ContractSendChannelSettle | ContractSendChannelUnlock | ContractSendSecretReveal
    | ContractSendChannelWithdraw | ContractSendChannelCooperativeSettle
    | EventPaymentSentSuccess | EventPaymentSentFailed | EventPaymentReceived
)
