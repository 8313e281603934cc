"""The inputs of a peer's state machine, named by where they come from.

``Action*`` come from the peer's own user, ``Receive*`` from another peer's
message (with the signers the runtime recovered from it), ``Block`` and
``ContractReceive*`` from L1. Each is logged before it is applied, so the log
of them is the peer's history and replaying it rebuilds the state. Whatever
is random or read from a clock (a payment's secret, a block's timestamp) is
inside the state change, never fetched by the transition.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels import codec
from channels.messages import (
    DirectTransfer,
    LockedTransfer,
    LockExpired,
    Processed,
    RefundTransfer,
    SecretRequest,
    SecretReveal,
    SettleConfirmation,
    SettleRequest,
    Unlock,
    WithdrawConfirmation,
    WithdrawRequest,
)

# -- the user -------------------------------------------------------------------------


@codec.register
@dataclass(frozen=True)
class ActionChannelOpen:
    partner: str
    total_deposit: int
    settle_timeout: int


@codec.register
@dataclass(frozen=True)
class ActionChannelDeposit:
    partner: str
    amount: int


@codec.register
@dataclass(frozen=True)
class ActionChannelClose:
    partner: str


@codec.register
@dataclass(frozen=True)
class ActionTransferDirect:
    partner: str
    amount: int
    payment_identifier: int


@codec.register
@dataclass(frozen=True)
class ActionInitMediated:
    """Pay ``target`` over a path of channels; ``secret`` seeds the secret of each route tried."""

    target: str
    amount: int
    payment_identifier: int
    secret: bytes


@codec.register
@dataclass(frozen=True)
class ActionChannelWithdraw:
    """Withdraw up to ``total_withdraw`` in all from the channel, if the partner co-signs before ``expiration``."""

    partner: str
    total_withdraw: int
    expiration: int


@codec.register
@dataclass(frozen=True)
class ActionChannelCooperativeSettle:
    """End the channel in one L1 transaction at the current balances, if the partner co-signs before ``expiration``."""

    partner: str
    expiration: int


# -- other peers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Receive:
    """A message as it arrived: who signed it, and who signed its balance proof (None: did not recover)."""

    signer: str | None
    balance_signature: bytes
    balance_signer: str | None


@codec.register
@dataclass(frozen=True)
class ReceiveDirectTransfer(_Receive):
    message: DirectTransfer


@codec.register
@dataclass(frozen=True)
class ReceiveLockedTransfer(_Receive):
    message: LockedTransfer


@codec.register
@dataclass(frozen=True)
class ReceiveUnlock(_Receive):
    message: Unlock


@codec.register
@dataclass(frozen=True)
class ReceiveLockExpired(_Receive):
    message: LockExpired


@codec.register
@dataclass(frozen=True)
class ReceiveSecretRequest(_Receive):
    message: SecretRequest


@codec.register
@dataclass(frozen=True)
class ReceiveSecretReveal(_Receive):
    message: SecretReveal


@codec.register
@dataclass(frozen=True)
class ReceiveTransferRefund(_Receive):
    message: RefundTransfer


@codec.register
@dataclass(frozen=True)
class ReceiveProcessed(_Receive):
    message: Processed


@codec.register
@dataclass(frozen=True)
class ReceiveWithdrawRequest(_Receive):
    message: WithdrawRequest


@codec.register
@dataclass(frozen=True)
class ReceiveWithdrawConfirmation(_Receive):
    message: WithdrawConfirmation


@codec.register
@dataclass(frozen=True)
class ReceiveSettleRequest(_Receive):
    message: SettleRequest


@codec.register
@dataclass(frozen=True)
class ReceiveSettleConfirmation(_Receive):
    message: SettleConfirmation


RECEIVE_BY_MESSAGE: dict[type, type[_Receive]] = {
    DirectTransfer: ReceiveDirectTransfer, LockedTransfer: ReceiveLockedTransfer, Unlock: ReceiveUnlock,
    LockExpired: ReceiveLockExpired, SecretRequest: ReceiveSecretRequest, SecretReveal: ReceiveSecretReveal,
    RefundTransfer: ReceiveTransferRefund, Processed: ReceiveProcessed,
    WithdrawRequest: ReceiveWithdrawRequest, WithdrawConfirmation: ReceiveWithdrawConfirmation,
    SettleRequest: ReceiveSettleRequest, SettleConfirmation: ReceiveSettleConfirmation,
}

# -- L1 --------------------------------------------------------------------------------------


@codec.register
@dataclass(frozen=True)
class Block:
    """L1's latest block: every event up to it has been handed in before it (its hash tells a peer later
    whether L1 still has it)."""

    number: int
    timestamp: int
    block_hash: bytes = b""


@codec.register
@dataclass(frozen=True)
class ContractReceiveTransactionFailed:
    """L1 refused the peer's transaction ``method`` (about the channel with ``partner``), for ``reason``."""

    method: str
    partner: str
    reason: str


@codec.register
@dataclass(frozen=True)
class ContractReceiveChannelOpened:
    channel_identifier: int
    participant1: str
    participant2: str
    settle_timeout: int


@codec.register
@dataclass(frozen=True)
class ContractReceiveChannelDeposit:
    channel_identifier: int
    participant: str
    total_deposit: int


@codec.register
@dataclass(frozen=True)
class ContractReceiveChannelWithdraw:
    channel_identifier: int
    participant: str
    total_withdraw: int


@codec.register
@dataclass(frozen=True)
class ContractReceiveChannelClosed:
    """``closer`` closed, presenting its partner's proof of ``nonce`` and ``balance_hash``, in block (number, time)."""

    channel_identifier: int
    closer: str
    nonce: int
    balance_hash: bytes
    block_number: int
    timestamp: int


@codec.register
@dataclass(frozen=True)
class ContractReceiveUpdateTransfer:
    """The closer's proof L1 holds is now the one of ``nonce`` and ``balance_hash``."""

    channel_identifier: int
    closer: str
    nonce: int
    balance_hash: bytes


@codec.register
@dataclass(frozen=True)
class ContractReceiveChannelSettled:
    channel_identifier: int
    participant1: str
    locksroot1: bytes
    participant2: str
    locksroot2: bytes


@codec.register
@dataclass(frozen=True)
class ContractReceiveChannelUnlocked:
    channel_identifier: int
    receiver: str
    sender: str
    locksroot: bytes


@codec.register
@dataclass(frozen=True)
class ContractReceiveSecretRevealed:
    secrethash: bytes
    secret: bytes
    block_number: int
    timestamp: int


StateChange = (
    ActionChannelOpen | ActionChannelDeposit | ActionChannelClose | ActionTransferDirect | ActionInitMediated
    | ActionChannelWithdraw | ActionChannelCooperativeSettle
    | ReceiveWithdrawRequest | ReceiveWithdrawConfirmation | ReceiveSettleRequest | ReceiveSettleConfirmation
    | ContractReceiveChannelWithdraw
    | ReceiveDirectTransfer | ReceiveLockedTransfer | ReceiveUnlock | ReceiveLockExpired | ReceiveSecretRequest
    | ReceiveSecretReveal | ReceiveTransferRefund | ReceiveProcessed
    | Block | ContractReceiveChannelOpened | ContractReceiveChannelDeposit | ContractReceiveChannelClosed
    | ContractReceiveUpdateTransfer | ContractReceiveChannelSettled | ContractReceiveChannelUnlocked
    | ContractReceiveTransactionFailed
    | ContractReceiveSecretRevealed
)
