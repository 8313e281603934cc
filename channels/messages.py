"""What peers say to each other, and how it is signed and checked.

Every message names its ``sender`` and ``recipient`` and carries a
``message_identifier`` (the sender's counter) that the recipient's
:class:`Processed` acknowledges. The sender signs the message's canonical
bytes (``codec.dumps``) under a domain naming the chain and the adjudicator
(:func:`message_digest`), so a message is useless on another deployment.
Messages that move money carry a new :class:`~contracts_spec.channels.rules.BalanceProof`
of the sender's payments, signed apart as EIP-712 typed data, which is the
signature the partner later presents on L1.

Balance-proof messages, payer to payee:
    :class:`DirectTransfer` pays outright; :class:`LockedTransfer` adds a
    hash-time lock; :class:`Unlock` turns a lock into a payment once the
    secret is known; :class:`LockExpired` removes a lock that expired.
Other messages:
    :class:`SecretRequest` (target to initiator), :class:`SecretReveal`
    (initiator to target, then each payee to its payer), :class:`RefundTransfer`
    (a payee refusing to carry a lock on: the payer's initiator tries another
    route), and :class:`Processed`.
Co-signing, for L1:
    :class:`WithdrawRequest` and its :class:`WithdrawConfirmation`,
    :class:`SettleRequest` and its :class:`SettleConfirmation`, each with the
    sender's EIP-712 signature of what the adjudicator checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from channels import codec
from contracts_spec.channels import rules as R
from primitives.keccak import keccak256

MESSAGE_PREFIX = b"\x19l2lab channel message\n"


@codec.register
@dataclass(frozen=True)
class DirectTransfer:
    sender: str
    recipient: str
    message_identifier: int
    payment_identifier: int
    amount: int
    balance_proof: R.BalanceProof


@codec.register
@dataclass(frozen=True)
class LockedTransfer:
    """A lock on the way from ``initiator`` to ``target`` along ``route`` (every hop, both ends included)."""

    sender: str
    recipient: str
    message_identifier: int
    payment_identifier: int
    amount: int
    initiator: str
    target: str
    route: tuple[str, ...]
    lock: R.Lock
    balance_proof: R.BalanceProof


@codec.register
@dataclass(frozen=True)
class Unlock:
    sender: str
    recipient: str
    message_identifier: int
    payment_identifier: int
    secret: bytes
    balance_proof: R.BalanceProof


@codec.register
@dataclass(frozen=True)
class LockExpired:
    sender: str
    recipient: str
    message_identifier: int
    secrethash: bytes
    balance_proof: R.BalanceProof


@codec.register
@dataclass(frozen=True)
class SecretRequest:
    sender: str
    recipient: str
    message_identifier: int
    payment_identifier: int
    secrethash: bytes
    amount: int


@codec.register
@dataclass(frozen=True)
class SecretReveal:
    sender: str
    recipient: str
    message_identifier: int
    secret: bytes


@codec.register
@dataclass(frozen=True)
class RefundTransfer:
    """The payee of the lock on ``secrethash`` will not carry it on; the lock waits to expire."""

    sender: str
    recipient: str
    message_identifier: int
    payment_identifier: int
    secrethash: bytes
    reason: str


@codec.register
@dataclass(frozen=True)
class WithdrawRequest:
    """``sender`` asks its partner to co-sign its withdrawal of ``total_withdraw`` in all, until block ``expiration``.

    Carries the sender's signature over :meth:`l1_digest` (in ``Signed.balance_signature``).
    """

    sender: str
    recipient: str
    message_identifier: int
    channel_identifier: int
    total_withdraw: int
    expiration: int

    def l1_digest(self, chain_id: int, adjudicator: str) -> bytes:
        return R.WithdrawRequest(self.channel_identifier, chain_id, adjudicator, self.sender, self.total_withdraw,
                                 self.expiration).digest()


@codec.register
@dataclass(frozen=True)
class WithdrawConfirmation:
    """The partner's co-signature of ``recipient``'s withdrawal (in ``Signed.balance_signature``)."""

    sender: str
    recipient: str
    message_identifier: int
    channel_identifier: int
    total_withdraw: int
    expiration: int

    def l1_digest(self, chain_id: int, adjudicator: str) -> bytes:
        return R.WithdrawRequest(self.channel_identifier, chain_id, adjudicator, self.recipient, self.total_withdraw,
                                 self.expiration).digest()


@codec.register
@dataclass(frozen=True)
class SettleRequest:
    """``sender`` proposes to end the channel now, paying ``balance1`` to ``participant1`` and ``balance2`` to
    ``participant2``, until block ``expiration``; its signature over :meth:`l1_digest` comes along."""

    sender: str
    recipient: str
    message_identifier: int
    channel_identifier: int
    participant1: str
    balance1: int
    participant2: str
    balance2: int
    expiration: int

    def settlement(self, chain_id: int, adjudicator: str) -> R.CooperativeSettlement:
        return R.CooperativeSettlement(self.channel_identifier, chain_id, adjudicator, self.participant1,
                                       self.balance1, self.participant2, self.balance2, self.expiration)

    def l1_digest(self, chain_id: int, adjudicator: str) -> bytes:
        return self.settlement(chain_id, adjudicator).digest()


@codec.register
@dataclass(frozen=True)
class SettleConfirmation(SettleRequest):
    """The partner's co-signature of the cooperative settlement it was asked for."""


@codec.register
@dataclass(frozen=True)
class Processed:
    """The recipient logged and applied message ``message_identifier``; not itself acknowledged."""

    sender: str
    recipient: str
    message_identifier: int


Message = (DirectTransfer | LockedTransfer | Unlock | LockExpired | SecretRequest | SecretReveal | RefundTransfer
           | WithdrawRequest | WithdrawConfirmation | SettleRequest | SettleConfirmation | Processed)
# Messages that carry a signature L1 checks besides the balance proof's: a withdrawal's or a settlement's.
CoSignedMessage = WithdrawRequest | WithdrawConfirmation | SettleRequest | SettleConfirmation
BalanceProofMessage = DirectTransfer | LockedTransfer | Unlock | LockExpired


@codec.register
@dataclass(frozen=True)
class Signed:
    """A message on the wire: its signature, and for a balance-proof message the proof's EIP-712 signature
    (for a withdrawal or settlement message, the EIP-712 signature L1 checks)."""

    message: Message
    signature: bytes
    balance_signature: bytes = b""


def message_digest(message: Message, chain_id: int, adjudicator: str) -> bytes:
    """What the sender signs: the message's canonical bytes under this deployment's EIP-712 domain."""
    return keccak256(MESSAGE_PREFIX + R.domain_separator(chain_id, adjudicator) + codec.dumps(message))


def sign_message(message: Message, private_key: bytes, chain_id: int, adjudicator: str) -> Signed:
    proof = getattr(message, "balance_proof", None)
    balance_signature = R.sign_balance_proof(proof, private_key) if proof is not None else b""
    if isinstance(message, CoSignedMessage):
        balance_signature = R.sign(message.l1_digest(chain_id, adjudicator), private_key)
    return Signed(message, R.sign(message_digest(message, chain_id, adjudicator), private_key), balance_signature)


def recover_signers(signed: Signed, chain_id: int, adjudicator: str) -> tuple[str | None, str | None]:
    """Who signed the message, and who signed its balance proof, or its withdrawal or settlement, for L1
    (None when a signature does not recover)."""
    signer = R.recover_signer(message_digest(signed.message, chain_id, adjudicator), signed.signature)
    proof = getattr(signed.message, "balance_proof", None)
    balance_signer = R.recover_balance_proof_signer(proof, signed.balance_signature) if proof is not None else None
    if isinstance(signed.message, CoSignedMessage):
        balance_signer = R.recover_signer(signed.message.l1_digest(chain_id, adjudicator), signed.balance_signature)
    return signer, balance_signer
