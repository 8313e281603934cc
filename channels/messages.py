"""What peers say to each other, and how it is signed and checked.

Every message names its ``sender`` and ``recipient`` and carries a
``message_identifier`` (the sender's counter) that the recipient's
:class:`Processed` acknowledges. The sender signs the message's canonical
bytes (``codec.pack``) under a domain naming the chain and the adjudicator
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

from collections.abc import Sequence
from dataclasses import dataclass

from channels import codec
from contracts_spec.channels import rules as R
from primitives import secp256k1
from primitives.keccak import keccak256

MESSAGE_PREFIX = b"\x19l2lab channel message\n"
ENVELOPE_PREFIX = b"\x19l2lab channel round\n"
# The most messages one envelope may list: a round is what a peer sends one partner at once, and a longer
# list only costs the recipient work (a message that claims a longer one is treated as unsigned).
MAX_ENVELOPE = 4096
# The most identifiers one Processed acknowledges (more is refused as oversized).
MAX_ACKNOWLEDGED = 4096


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
    """The recipient logged and applied message ``message_identifier`` (and each of ``also``: a peer
    acknowledges a round of messages at once); not itself acknowledged."""

    sender: str
    recipient: str
    message_identifier: int
    also: tuple[int, ...] = ()

    @property
    def identifiers(self) -> tuple[int, ...]:
        return (self.message_identifier, *self.also)


def merge_acknowledgements(messages: Sequence[Message]) -> list[Message]:
    """``messages`` with every :class:`Processed` to one recipient folded into its first (at most
    :data:`MAX_ACKNOWLEDGED` identifiers each), the rest in order."""
    out: list[Message] = []
    heads: list[tuple[int, Processed, list[int]]] = []  # where each head is in ``out``, it, identifiers it adds
    first: dict[str, tuple[int, Processed, list[int]]] = {}  # recipient (lower case) -> its open head
    for message in messages:
        if type(message) is not Processed:
            out.append(message)
            continue
        key = message.recipient.lower()
        head = first.get(key)
        if head is not None and len(head[1].also) + len(head[2]) + 1 + len(message.also) < MAX_ACKNOWLEDGED:
            head[2].append(message.message_identifier)
            head[2].extend(message.also)
            continue
        head = first[key] = (len(out), message, [])
        heads.append(head)
        out.append(message)
    for at, message, also in heads:
        if also:
            out[at] = Processed(message.sender, message.recipient, message.message_identifier,
                                message.also + tuple(also))
    return out


Message = (DirectTransfer | LockedTransfer | Unlock | LockExpired | SecretRequest | SecretReveal | RefundTransfer
           | WithdrawRequest | WithdrawConfirmation | SettleRequest | SettleConfirmation | Processed)
# Messages that carry a signature L1 checks besides the balance proof's: a withdrawal's or a settlement's.
CoSignedMessage = WithdrawRequest | WithdrawConfirmation | SettleRequest | SettleConfirmation
BalanceProofMessage = DirectTransfer | LockedTransfer | Unlock | LockExpired
_PROOF_MESSAGES = frozenset({DirectTransfer, LockedTransfer, Unlock, LockExpired})


@codec.register
@dataclass(frozen=True)
class Signed:
    """A message on the wire: its signature, and for a balance-proof message the proof's EIP-712 signature
    (for a withdrawal or settlement message, the EIP-712 signature L1 checks).

    With an empty ``envelope``, ``signature`` signs :func:`message_digest` of
    this message alone. A sender that hands a recipient several messages at
    once signs them together (:func:`sign_round`): ``envelope`` lists the
    digests of every message of that round, this one's among them, and
    ``signature`` signs :func:`envelope_digest` of the list, so one signature
    authenticates the round. Each balance proof is still signed on its own,
    as L1 needs it.
    """

    message: Message
    signature: bytes
    balance_signature: bytes = b""
    envelope: tuple[bytes, ...] = ()


# Per-deployment domain separators, keyed by the adjudicator exactly as given (no checksum encoding per message).
_DOMAINS: dict[tuple[int, str], bytes] = {}
# A batch of at least this many signatures is recovered on every core (threads without the GIL).
BATCH_THREADS_FROM = 32


def _domain(chain_id: int, adjudicator: str) -> bytes:
    domain = _DOMAINS.get((chain_id, adjudicator))
    if domain is None:
        if len(_DOMAINS) > 256:
            _DOMAINS.clear()
        domain = _DOMAINS[(chain_id, adjudicator)] = R.domain_separator(chain_id, adjudicator)
    return domain


_CANONICAL = "_l2lab_canonical"  # (None, codec.pack(message)), kept on the message (codec.pack reuses it)
_DIGEST = "_l2lab_digest"  # on a message: ((chain id, adjudicator), digest); on a proof: (None, digest)


def canonical(message: Message) -> bytes:
    """``codec.pack(message)``, encoded once per message object."""
    found = getattr(message, _CANONICAL, None)
    if found is not None:
        return found[1]
    value = codec.pack(message)
    object.__setattr__(message, _CANONICAL, (None, value))
    return value


def message_digest(message: Message, chain_id: int, adjudicator: str) -> bytes:
    """What the sender signs: the message's canonical bytes under this deployment's EIP-712 domain
    (computed once per message object and deployment)."""
    found = getattr(message, _DIGEST, None)
    if found is not None and found[0][0] == chain_id and found[0][1] == adjudicator:
        return found[1]
    value = keccak256(MESSAGE_PREFIX + _domain(chain_id, adjudicator) + canonical(message))
    object.__setattr__(message, _DIGEST, ((chain_id, adjudicator), value))
    return value


def proof_digest(proof: R.BalanceProof) -> bytes:
    """``proof.digest()``, computed once per proof object."""
    found = getattr(proof, _DIGEST, None)
    if found is not None:
        return found[1]
    value = keccak256(b"\x19\x01" + _domain(proof.chain_id, proof.adjudicator) + proof.struct_hash())
    object.__setattr__(proof, _DIGEST, (None, value))
    return value


def _checked_proof(message: Message) -> R.BalanceProof | None:
    proof = getattr(message, "balance_proof", None)
    if proof is not None:
        R.check_proof_fields(proof)
        if proof.is_empty:
            raise R.ChannelRuleError("bad empty proof", "the empty proof (nonce 0) is never signed")
    return proof


def sign_message(message: Message, private_key: bytes, chain_id: int, adjudicator: str) -> Signed:
    _checked_proof(message)
    second = _second_digest(message, chain_id, adjudicator)
    balance_signature = b"" if second is None else R.sign(second, private_key)
    return Signed(message, R.sign(message_digest(message, chain_id, adjudicator), private_key), balance_signature)


def envelope_digest(envelope: Sequence[bytes], chain_id: int, adjudicator: str) -> bytes:
    """What the sender of a round signs: the digests of its messages, in order, under this deployment's domain."""
    return keccak256(ENVELOPE_PREFIX + _domain(chain_id, adjudicator) + b"".join(envelope))


def sign_round(messages: Sequence[Message], private_key: bytes, chain_id: int, adjudicator: str, *,
               envelopes: bool = True, threads: int | None = None,
               presigned: dict[bytes, bytes] | None = None) -> list[Signed]:
    """Every message signed, in order, with all signatures made in one batch (``secp256k1.sign_many``, on
    every core when there are many): each balance proof (or co-signature) on its own, and with
    ``envelopes`` the messages to each recipient under one envelope signature (see :class:`Signed`);
    without, each message under its own. One message that cannot be signed refuses the round.
    ``presigned`` maps digests to this key's signatures of them made already (signing is deterministic:
    the same bytes ``sign_many`` would make), which are used instead of signing again."""
    seconds: list[tuple[int, bytes]] = []
    for i, message in enumerate(messages):
        _checked_proof(message)
        second = _second_digest(message, chain_id, adjudicator)
        if second is not None:
            seconds.append((i, second))
    groups: dict[str, list[int]] = {}
    if envelopes:
        for i, message in enumerate(messages):
            groups.setdefault(message.recipient.lower(), []).append(i)
    else:
        groups = {str(i): [i] for i in range(len(messages))}
    heads: list[tuple[list[int], tuple[bytes, ...], bytes]] = []
    for members in groups.values():
        digests = tuple(message_digest(messages[i], chain_id, adjudicator) for i in members)
        if len(members) == 1:
            heads.append((members, (), digests[0]))
        else:
            for start in range(0, len(members), MAX_ENVELOPE):
                part = members[start:start + MAX_ENVELOPE]
                envelope = digests[start:start + MAX_ENVELOPE]
                heads.append((part, envelope, envelope_digest(envelope, chain_id, adjudicator)))
    known = presigned or {}
    fresh = [d for _, d in seconds if d not in known]
    to_sign = fresh + [d for _, _, d in heads]
    if threads is None:
        threads = None if len(to_sign) >= BATCH_THREADS_FROM else 1
    made = secp256k1.sign_many(to_sign, private_key, threads=threads) if to_sign else []
    if known:
        new_ones = iter(made[:len(fresh)])
        balance = {i: known[d] if d in known else next(new_ones) for i, d in seconds}
    else:
        balance = {i: made[k] for k, (i, _) in enumerate(seconds)}
    out: list[Signed | None] = [None] * len(messages)
    for k, (members, envelope, _) in enumerate(heads):
        signature = made[len(fresh) + k]
        for i in members:
            out[i] = Signed(messages[i], signature, balance.get(i, b""), envelope)
    return out  # type: ignore[return-value]


def _second_digest(message: Message, chain_id: int, adjudicator: str) -> bytes | None:
    """What ``Signed.balance_signature`` signs for this message, if anything."""
    if type(message) in _PROOF_MESSAGES:  # the common case, decided without the checks below
        proof = message.balance_proof  # type: ignore[union-attr]
        return proof_digest(proof) if isinstance(proof, R.BalanceProof) else None
    if isinstance(message, CoSignedMessage):
        return message.l1_digest(chain_id, adjudicator)
    proof = getattr(message, "balance_proof", None)
    return proof_digest(proof) if isinstance(proof, R.BalanceProof) else None


def recover_signers(signed: Signed, chain_id: int, adjudicator: str) -> tuple[str | None, str | None]:
    """Who signed the message, and who signed its balance proof, or its withdrawal or settlement, for L1
    (None when a signature does not recover)."""
    return recover_many([signed], chain_id, adjudicator)[0]


def _well_formed(signature: object) -> bool:
    return isinstance(signature, bytes) and len(signature) == 65


def _envelope_ok(envelope: object) -> bool:
    return (isinstance(envelope, tuple) and 0 < len(envelope) <= MAX_ENVELOPE
            and all(isinstance(d, bytes) and len(d) == 32 for d in envelope))


def recover_many(batch: Sequence[Signed], chain_id: int, adjudicator: str,
                 threads: int | None = None) -> list[tuple[str | None, str | None]]:
    """:func:`recover_signers` of every message of ``batch``, all signatures recovered in one call
    (``secp256k1.recover_signers``; split over every core when there are many). A round's envelope
    signature is recovered once for all its messages; a message whose digest its envelope does not
    list, or whose envelope is malformed, has no signer."""
    digests: list[bytes] = []
    signatures: list[bytes] = []
    slots: list[tuple[int | None, int | None]] = []
    rounds: dict[tuple[int, bytes], tuple[int | None, frozenset[bytes]]] = {}
    for signed in batch:
        slot: list[int | None] = [None, None]
        digest = message_digest(signed.message, chain_id, adjudicator)
        envelope = signed.envelope
        if not envelope:
            if _well_formed(signed.signature):
                slot[0] = len(digests)
                digests.append(digest)
                signatures.append(signed.signature)
        else:
            key = (id(envelope), signed.signature if isinstance(signed.signature, bytes) else b"")
            seen = rounds.get(key)
            if seen is None:
                if _envelope_ok(envelope) and _well_formed(signed.signature):
                    seen = (len(digests), frozenset(envelope))
                    digests.append(envelope_digest(envelope, chain_id, adjudicator))
                    signatures.append(signed.signature)
                else:
                    seen = (None, frozenset())
                rounds[key] = seen
            if digest in seen[1]:
                slot[0] = seen[0]
        second = _second_digest(signed.message, chain_id, adjudicator)
        if second is not None and _well_formed(signed.balance_signature):
            slot[1] = len(digests)
            digests.append(second)
            signatures.append(signed.balance_signature)
        slots.append((slot[0], slot[1]))
    if threads is None:
        threads = None if len(digests) >= BATCH_THREADS_FROM else 1
    signers = secp256k1.recover_signers(digests, signatures, strict=False, threads=threads) if digests else []
    return [(None if a is None else signers[a], None if b is None else signers[b]) for a, b in slots]
