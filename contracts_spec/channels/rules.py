"""The payment-channel rules, written once: balance proofs, hash-time locks, settlement arithmetic.

Peers, watchtowers and the L1 adjudicator (``contract``) all run these
functions. They are pure: no clock, no I/O; the caller supplies what is
expensive or lives elsewhere (the recovered signer, the block a secret was
registered at, a metered hasher on L1).

Balance proofs
    A :class:`BalanceProof` is what one participant (its *sender*) signs
    about its own payments to the other: a strictly increasing ``nonce``,
    the total ``transferred_amount`` it has paid so far, the ``locked_amount``
    of its pending hash-time locks and their ``locksroot``. It is signed as
    EIP-712 typed data under a domain naming the chain id and the
    adjudicator's address, and carries the channel identifier (a counter L1
    assigns when the channel opens), so it is useless on another chain, on
    another adjudicator or on a reopened channel between the same pair.
    On L1 a presented proof is kept as ``balance_hash(transferred, locked,
    locksroot)`` and its nonce; settlement reveals the three values again.

Counter-signatures
    Closing names the partner's proof and is signed by the closer
    (``CloseChannel``), updating names the closer's proof and is signed by
    the non-closer (``UpdateBalanceProof``), so either may be sent by anyone
    on a participant's behalf, and neither can be turned into the other.
    Withdrawals and cooperative settlements are co-signed by both
    participants and expire at an L1 block.

Hash-time locks
    A :class:`Lock` pays ``amount`` to the receiver if the preimage of
    ``secrethash`` (the keccak of a 32-byte secret) is registered in the L1
    secret registry before the lock expires; otherwise it goes back to the
    sender. A lock expires at block ``expiration`` *and* second
    ``expiration_time``: it is expired at a block numbered ``b`` with
    timestamp ``t`` exactly when ``b > expiration and t > expiration_time``
    (:func:`is_lock_expired`), so a secret registered at ``(b, t)`` counts
    when ``b <= expiration or t <= expiration_time`` (:func:`is_unlocked`).
    Both, because blocks alone are for sale on a chain that mines on demand
    (a receiver's lock must not expire because someone mined blocks faster
    than real time), and seconds alone move under time travel; a sender
    sets ``expiration_time`` to its block's timestamp plus one 12-second
    slot per block of the lock's timeout (:func:`lock_expiration`), as the
    adjudicator's settlement window does. Peers, watchtowers and the
    adjudicator judge expiry by these two functions only. A lock is 128
    bytes, ``expiration[32] || expiration_time[32] || amount[32] ||
    secrethash[32]`` (big-endian words); the locksroot of pending locks is
    the keccak of their encodings concatenated in order, and 32 zero bytes
    when there are none. At most ``params.MAX_LOCKS_PER_CHANNEL`` locks may
    be pending, so their unlock always fits in one L1 block.

Settlement
    :func:`settle_amounts` splits what the channel holds (both deposits less
    both withdrawals) between the two sides and their pending locks; the
    parts never go negative and always add up to the whole, whatever proofs
    (stale, over-spent) are presented. :func:`unlock_amounts` then splits a
    side's retained locked amount between receiver and sender.

Every refusal raises :class:`ChannelRuleError` naming the broken rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from contracts_spec.channels.params import MAX_LOCKS_PER_CHANNEL, SECONDS_PER_SLOT
from primitives import secp256k1
from primitives.keccak import keccak256

Hasher = Callable[[bytes], bytes]

UINT256_MAX = 2**256 - 1
# A channel's deposits, and so every amount paid out of it, fit 96 bits (the
# adjudicator packs a side's deposit, withdrawn total and nonce in one word);
# 2**96 wei is about 79 billion ETH.
MAX_CHANNEL_DEPOSIT = 2**96 - 1
# Nonces fit the 64 bits the adjudicator keeps of them.
MAX_NONCE = 2**64 - 1
SECRET_BYTES = 32
LOCK_BYTES = 128
EMPTY_LOCKSROOT = bytes(32)
# What L1 keeps for a side whose partner presented no balance proof of it.
EMPTY_BALANCE_HASH = bytes(32)

# -- EIP-712 --------------------------------------------------------------------

DOMAIN_NAME = "l2lab payment channels"
DOMAIN_VERSION = "1"
DOMAIN_TYPEHASH = keccak256(b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
_NAME_HASH = keccak256(DOMAIN_NAME.encode())
_VERSION_HASH = keccak256(DOMAIN_VERSION.encode())

BALANCE_PROOF_TYPE = ("BalanceProof(uint256 channelIdentifier,uint256 nonce,uint256 transferredAmount,"
                      "uint256 lockedAmount,bytes32 locksroot)")
CLOSE_TYPE = "CloseChannel(BalanceProof partnerProof,bytes partnerSignature)" + BALANCE_PROOF_TYPE
UPDATE_TYPE = "UpdateBalanceProof(BalanceProof closerProof,bytes closerSignature)" + BALANCE_PROOF_TYPE
WITHDRAW_TYPE = "Withdraw(uint256 channelIdentifier,address participant,uint256 totalWithdraw,uint256 expiration)"
COOPERATIVE_SETTLE_TYPE = ("CooperativeSettle(uint256 channelIdentifier,address participant1,uint256 balance1,"
                           "address participant2,uint256 balance2,uint256 expiration)")
BALANCE_PROOF_TYPEHASH = keccak256(BALANCE_PROOF_TYPE.encode())
CLOSE_TYPEHASH = keccak256(CLOSE_TYPE.encode())
UPDATE_TYPEHASH = keccak256(UPDATE_TYPE.encode())
WITHDRAW_TYPEHASH = keccak256(WITHDRAW_TYPE.encode())
COOPERATIVE_SETTLE_TYPEHASH = keccak256(COOPERATIVE_SETTLE_TYPE.encode())

_BALANCE_PROOF_FIELDS = [
    {"name": "channelIdentifier", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "transferredAmount", "type": "uint256"},
    {"name": "lockedAmount", "type": "uint256"},
    {"name": "locksroot", "type": "bytes32"},
]
# The EIP-712 types, in the shape primitives.eip712 and wallets take (each with what it references).
EIP712_TYPES: dict[str, dict[str, list[dict[str, str]]]] = {
    "BalanceProof": {"BalanceProof": _BALANCE_PROOF_FIELDS},
    "CloseChannel": {
        "CloseChannel": [{"name": "partnerProof", "type": "BalanceProof"},
                         {"name": "partnerSignature", "type": "bytes"}],
        "BalanceProof": _BALANCE_PROOF_FIELDS,
    },
    "UpdateBalanceProof": {
        "UpdateBalanceProof": [{"name": "closerProof", "type": "BalanceProof"},
                               {"name": "closerSignature", "type": "bytes"}],
        "BalanceProof": _BALANCE_PROOF_FIELDS,
    },
    "Withdraw": {"Withdraw": [
        {"name": "channelIdentifier", "type": "uint256"},
        {"name": "participant", "type": "address"},
        {"name": "totalWithdraw", "type": "uint256"},
        {"name": "expiration", "type": "uint256"},
    ]},
    "CooperativeSettle": {"CooperativeSettle": [
        {"name": "channelIdentifier", "type": "uint256"},
        {"name": "participant1", "type": "address"},
        {"name": "balance1", "type": "uint256"},
        {"name": "participant2", "type": "address"},
        {"name": "balance2", "type": "uint256"},
        {"name": "expiration", "type": "uint256"},
    ]},
}


class ChannelRuleError(ValueError):
    """A channel message or call breaks a rule; ``rule`` names it in a few words."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _raw_address(address: str) -> bytes:
    return bytes.fromhex(secp256k1.to_checksum_address(address)[2:])


def check_uint(value: object, what: str, limit: int = UINT256_MAX) -> int:
    """``value`` if it is an int in 0..limit; ChannelRuleError("bad amount") otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ChannelRuleError("bad amount", f"{what} must be an integer, got {type(value).__name__}")
    if not 0 <= value <= limit:
        raise ChannelRuleError("bad amount", f"{what} {value} is outside 0..{limit}")
    return value


def _domain_separator(chain_id: int, adjudicator: bytes, hasher: Hasher) -> bytes:
    return hasher(DOMAIN_TYPEHASH + _NAME_HASH + _VERSION_HASH + _word(chain_id) + bytes(12) + adjudicator)


@lru_cache(maxsize=64)
def _cached_domain(chain_id: int, adjudicator: str) -> bytes:
    return _domain_separator(chain_id, _raw_address(adjudicator), keccak256)


def domain_separator(chain_id: int, adjudicator: str, hasher: Hasher | None = None) -> bytes:
    """The EIP-712 domain separator of the adjudicator at ``adjudicator`` on chain ``chain_id``.

    Without ``hasher`` it is computed once per deployment and cached; the
    adjudicator passes its metered keccak instead.
    """
    if hasher is None:
        return _cached_domain(chain_id, secp256k1.to_checksum_address(adjudicator))
    return _domain_separator(chain_id, _raw_address(adjudicator), hasher)


def _typed_digest(domain: bytes, struct_hash: bytes, hasher: Hasher) -> bytes:
    return hasher(b"\x19\x01" + domain + struct_hash)


# -- balance proofs -----------------------------------------------------------------


@dataclass(frozen=True)
class BalanceProof:
    """What a sender signs about its payments to its partner in one channel."""

    channel_identifier: int
    chain_id: int
    adjudicator: str
    nonce: int
    transferred_amount: int
    locked_amount: int
    locksroot: bytes

    def __init__(self, channel_identifier: int, chain_id: int, adjudicator: str, nonce: int,
                 transferred_amount: int, locked_amount: int, locksroot: bytes) -> None:
        # What the frozen dataclass's own __init__ does, without an object.__setattr__ call per field (a peer
        # makes a proof per payment). Kept in the fields' order.
        fields = self.__dict__
        fields["channel_identifier"] = channel_identifier
        fields["chain_id"] = chain_id
        fields["adjudicator"] = adjudicator
        fields["nonce"] = nonce
        fields["transferred_amount"] = transferred_amount
        fields["locked_amount"] = locked_amount
        fields["locksroot"] = locksroot

    @classmethod
    def empty(cls, channel_identifier: int, chain_id: int, adjudicator: str) -> BalanceProof:
        """The state before the sender's first payment: nonce 0, nothing sent, no locks; never signed."""
        return cls(channel_identifier, chain_id, adjudicator, 0, 0, 0, EMPTY_LOCKSROOT)

    @property
    def is_empty(self) -> bool:
        return self.nonce == 0

    def domain(self, hasher: Hasher | None = None) -> bytes:
        return domain_separator(self.chain_id, self.adjudicator, hasher)

    def struct_hash(self, hasher: Hasher = keccak256) -> bytes:
        """hashStruct(BalanceProof)."""
        return hasher(b"".join((BALANCE_PROOF_TYPEHASH, self.channel_identifier.to_bytes(32, "big"),
                                self.nonce.to_bytes(32, "big"), self.transferred_amount.to_bytes(32, "big"),
                                self.locked_amount.to_bytes(32, "big"), self.locksroot)))

    def digest(self, hasher: Hasher | None = None) -> bytes:
        """The EIP-712 digest the sender signs."""
        h = hasher or keccak256
        return _typed_digest(self.domain(hasher), self.struct_hash(h), h)

    def balance_hash(self, hasher: Hasher = keccak256) -> bytes:
        """What L1 keeps of this proof until settlement (see :func:`balance_hash`)."""
        return balance_hash(self.transferred_amount, self.locked_amount, self.locksroot, hasher)

    def eip712_message(self) -> dict:
        """The proof as an EIP-712 message of type ``BalanceProof``."""
        return {"channelIdentifier": self.channel_identifier, "nonce": self.nonce,
                "transferredAmount": self.transferred_amount, "lockedAmount": self.locked_amount,
                "locksroot": self.locksroot}


def balance_hash(transferred: int, locked: int, locksroot: bytes, hasher: Hasher = keccak256) -> bytes:
    """``keccak(transferred[32] || locked[32] || locksroot[32])``; the empty proof's is 32 zero bytes."""
    if transferred == 0 and locked == 0 and locksroot == EMPTY_LOCKSROOT:
        return EMPTY_BALANCE_HASH
    return hasher(b"".join((transferred.to_bytes(32, "big"), locked.to_bytes(32, "big"), locksroot)))


def check_proof_fields(proof: BalanceProof) -> None:
    """The proof's fields are well formed: ints in range, a 32-byte locksroot, the empty proof all zero.

    A proof is frozen, so once it passes it is marked and not checked again."""
    known = proof.__dict__
    if known.get("_l2lab_fields_ok"):
        return
    nonce, transferred, locked, locksroot = proof.nonce, proof.transferred_amount, proof.locked_amount, proof.locksroot
    if (type(proof.channel_identifier) is int and type(proof.chain_id) is int and type(nonce) is int  # the
            and type(transferred) is int and type(locked) is int and type(locksroot) is bytes  # usual proof,
            and 0 <= proof.channel_identifier <= UINT256_MAX and 0 <= proof.chain_id <= UINT256_MAX  # passing
            and 0 <= nonce <= MAX_NONCE and 0 <= transferred <= UINT256_MAX  # every check below at once
            and 0 <= locked <= UINT256_MAX and len(locksroot) == 32
            and (nonce != 0 or (not transferred and not locked and locksroot == EMPTY_LOCKSROOT))):
        object.__setattr__(proof, "_l2lab_fields_ok", True)
        return
    check_uint(proof.channel_identifier, "channel identifier")
    check_uint(proof.chain_id, "chain id")
    check_uint(proof.nonce, "nonce", MAX_NONCE)
    check_uint(proof.transferred_amount, "transferred amount")
    check_uint(proof.locked_amount, "locked amount")
    if not isinstance(proof.locksroot, bytes) or len(proof.locksroot) != 32:
        raise ChannelRuleError("bad locksroot", "a locksroot is 32 bytes")
    if proof.nonce == 0 and (proof.transferred_amount or proof.locked_amount or proof.locksroot != EMPTY_LOCKSROOT):
        raise ChannelRuleError("bad empty proof", "a proof with nonce 0 sends nothing and locks nothing")
    object.__setattr__(proof, "_l2lab_fields_ok", True)


def check_balance_proof(
    proof: BalanceProof, signer: str | None, *, sender: str, channel_identifier: int, chain_id: int,
    adjudicator: str, last_nonce: int,
) -> None:
    """``proof`` is a valid balance proof of ``sender`` in this channel, newer than ``last_nonce``.

    ``signer`` is who the signature over ``proof.digest()`` recovers to (None
    when it does not); the caller recovers it, in a batch or with metered
    ``ecrecover``. Binding first, so a proof for another chain, adjudicator
    or channel is named as such rather than as a bad signature.
    """
    check_proof_fields(proof)
    if proof.chain_id != chain_id:
        raise ChannelRuleError("wrong chain", f"the proof is for chain {proof.chain_id}, this is chain {chain_id}")
    # (equal strings are the same address; only differently spelt ones need reading as numbers)
    if proof.adjudicator != adjudicator and int(proof.adjudicator, 16) != int(adjudicator, 16):
        raise ChannelRuleError("wrong adjudicator", f"the proof is for {proof.adjudicator}, not {adjudicator}")
    if proof.channel_identifier != channel_identifier:
        raise ChannelRuleError("wrong channel", f"the proof is for channel {proof.channel_identifier}, "
                                                f"not {channel_identifier}")
    if proof.nonce <= last_nonce:
        raise ChannelRuleError("stale nonce", f"nonce {proof.nonce} is not above {last_nonce}")
    if signer is None:
        raise ChannelRuleError("bad signature", "the signature does not recover")
    if signer != sender and int(signer, 16) != int(sender, 16):
        raise ChannelRuleError("bad signature", f"signed by {signer}, not by the sender {sender}")


def is_valid_and_newer(
    proof: BalanceProof, signer: str | None, *, sender: str, channel_identifier: int, chain_id: int,
    adjudicator: str, last_nonce: int,
) -> bool:
    """True when :func:`check_balance_proof` accepts ``proof``."""
    try:
        check_balance_proof(proof, signer, sender=sender, channel_identifier=channel_identifier,
                            chain_id=chain_id, adjudicator=adjudicator, last_nonce=last_nonce)
    except ChannelRuleError:
        return False
    return True


# -- the other signed messages -----------------------------------------------------


def close_digest(proof: BalanceProof, partner_signature: bytes, hasher: Hasher | None = None) -> bytes:
    """What the closer signs to close with its partner's ``proof`` (signed ``partner_signature``)."""
    h = hasher or keccak256
    struct = h(CLOSE_TYPEHASH + proof.struct_hash(h) + h(bytes(partner_signature)))
    return _typed_digest(proof.domain(hasher), struct, h)


def update_digest(proof: BalanceProof, closer_signature: bytes, hasher: Hasher | None = None) -> bytes:
    """What the non-closer signs so anyone may update the closer's ``proof`` on its behalf."""
    h = hasher or keccak256
    struct = h(UPDATE_TYPEHASH + proof.struct_hash(h) + h(bytes(closer_signature)))
    return _typed_digest(proof.domain(hasher), struct, h)


@dataclass(frozen=True)
class WithdrawRequest:
    """Both participants agree that ``participant`` has withdrawn ``total_withdraw`` in all, until ``expiration``."""

    channel_identifier: int
    chain_id: int
    adjudicator: str
    participant: str
    total_withdraw: int
    expiration: int

    def digest(self, hasher: Hasher | None = None) -> bytes:
        h = hasher or keccak256
        struct = h(WITHDRAW_TYPEHASH + _word(self.channel_identifier) + bytes(12) + _raw_address(self.participant)
                   + _word(self.total_withdraw) + _word(self.expiration))
        return _typed_digest(domain_separator(self.chain_id, self.adjudicator, hasher), struct, h)


@dataclass(frozen=True)
class CooperativeSettlement:
    """Both participants agree to end the channel now, paying ``balance1`` and ``balance2``, until ``expiration``."""

    channel_identifier: int
    chain_id: int
    adjudicator: str
    participant1: str
    balance1: int
    participant2: str
    balance2: int
    expiration: int

    def digest(self, hasher: Hasher | None = None) -> bytes:
        h = hasher or keccak256
        struct = h(COOPERATIVE_SETTLE_TYPEHASH + _word(self.channel_identifier)
                   + bytes(12) + _raw_address(self.participant1) + _word(self.balance1)
                   + bytes(12) + _raw_address(self.participant2) + _word(self.balance2) + _word(self.expiration))
        return _typed_digest(domain_separator(self.chain_id, self.adjudicator, hasher), struct, h)


# -- signing and recovery ---------------------------------------------------------------


def sign(digest: bytes, private_key: bytes) -> bytes:
    """A 65-byte low-s signature ``r || s || v`` of a digest above, with the project's secp256k1."""
    return secp256k1.sign(digest, private_key)


def recover_signer(digest: bytes, signature: bytes) -> str | None:
    """The checksummed address that signed ``digest``, or None for a malformed or high-s signature."""
    try:
        return secp256k1.recover(digest, bytes(signature))
    except (ValueError, TypeError):
        return None


def sign_balance_proof(proof: BalanceProof, private_key: bytes) -> bytes:
    check_proof_fields(proof)
    if proof.is_empty:
        raise ChannelRuleError("bad empty proof", "the empty proof (nonce 0) is never signed")
    return sign(proof.digest(), private_key)


def recover_balance_proof_signer(proof: BalanceProof, signature: bytes) -> str | None:
    return recover_signer(proof.digest(), signature)


def recover_balance_proof_signers(
    proofs: Sequence[BalanceProof], signatures: Sequence[bytes], threads: int | None = None,
) -> list[str | None]:
    """The signer of each proof (None where a signature is malformed), recovered in one batch."""
    digests = [p.digest() for p in proofs]
    return secp256k1.recover_signers(digests, [bytes(s) for s in signatures], strict=False, threads=threads)


# -- hash-time locks -----------------------------------------------------------------


class Lock(NamedTuple):
    """Pays ``amount`` to the receiver if ``secrethash``'s secret is on L1 before the lock expires.

    It expires once L1 is past both block ``expiration`` and second
    ``expiration_time`` (:func:`is_lock_expired`).
    """

    amount: int
    expiration: int
    expiration_time: int
    secrethash: bytes

    def encode(self) -> bytes:
        """``expiration[32] || expiration_time[32] || amount[32] || secrethash[32]``."""
        check_uint(self.amount, "lock amount")
        check_uint(self.expiration, "lock expiration")
        check_uint(self.expiration_time, "lock expiration time")
        if not isinstance(self.secrethash, bytes) or len(self.secrethash) != 32:
            raise ChannelRuleError("bad lock", "a secret hash is 32 bytes")
        return _word(self.expiration) + _word(self.expiration_time) + _word(self.amount) + self.secrethash


def lock_expiration(block_number: int, timestamp: int, timeout: int) -> tuple[int, int]:
    """The expiration (block, second) of a lock made at ``(block_number, timestamp)`` to last ``timeout`` blocks.

    ``timeout`` blocks and as many 12-second slots, like the settlement window.
    """
    return block_number + timeout, timestamp + timeout * SECONDS_PER_SLOT


def is_lock_expired(lock: Lock, block_number: int, timestamp: int) -> bool:
    """At the block ``(block_number, timestamp)`` the lock has expired: past both its block and its second.

    Block numbers and timestamps only grow, so once a block says a lock is
    expired, no later registration of its secret counts.
    """
    return block_number > lock.expiration and timestamp > lock.expiration_time


def is_lock_expiring(lock: Lock, block_number: int, timestamp: int, margin: int) -> bool:
    """At most ``margin`` blocks *and* at most ``margin`` slots are left before the lock expires.

    Peers' rule (``params.ChannelPreset.reveal_timeout`` is the margin, as
    Raiden's ``expiration - reveal_timeout <= block``): a receiver acts on a
    new lock only while it does not hold *and* more than ``margin`` slots of
    the lock's seconds are left; a receiver that knows a lock's secret
    registers it on L1 once ``margin`` slots or fewer of its seconds are left
    and its partner has not unlocked. Seconds, not blocks, because blocks are
    for sale: a lock whose seconds are spent expires with the next burst of
    blocks (``channels.transition``).
    """
    return (block_number + margin >= lock.expiration
            and timestamp + margin * SECONDS_PER_SLOT >= lock.expiration_time)


def secrethash_of(secret: bytes) -> bytes:
    """The keccak of a 32-byte secret: what a lock names."""
    if not isinstance(secret, bytes) or len(secret) != SECRET_BYTES:
        raise ChannelRuleError("bad secret", f"a secret is {SECRET_BYTES} bytes")
    return keccak256(secret)


# The secret registry refuses the zero secret (its hash has a known preimage), so a lock on this hash can
# never be claimed on L1: peers neither make nor take one (``check_claimable``).
ZERO_SECRETHASH = keccak256(bytes(SECRET_BYTES))


def check_claimable(secrethash: bytes) -> None:
    """A lock on ``secrethash`` could be claimed on L1: not the zero secret's hash, which L1 will not register."""
    if secrethash == ZERO_SECRETHASH:
        raise ChannelRuleError("bad lock", "a lock on the zero secret's hash can never be claimed on L1: "
                                           "the secret registry refuses the zero secret")


def encode_locks(locks: Sequence[Lock], max_locks: int = MAX_LOCKS_PER_CHANNEL) -> bytes:
    """The pending locks as the adjudicator's ``unlock`` takes them; refused beyond ``max_locks``."""
    if len(locks) > max_locks:
        raise ChannelRuleError("too many locks", f"{len(locks)} pending locks, at most {max_locks}")
    return b"".join(lock.encode() for lock in locks)


def decode_locks(data: bytes, max_locks: int = MAX_LOCKS_PER_CHANNEL) -> list[Lock]:
    """The locks of :func:`encode_locks` bytes; ChannelRuleError for a bad length or too many."""
    if len(data) % LOCK_BYTES:
        raise ChannelRuleError("bad locks", f"{len(data)} bytes is not a whole number of {LOCK_BYTES}-byte locks")
    if len(data) // LOCK_BYTES > max_locks:
        raise ChannelRuleError("too many locks", f"{len(data) // LOCK_BYTES} locks, at most {max_locks}")
    return [
        Lock(int.from_bytes(data[i + 64:i + 96], "big"), int.from_bytes(data[i:i + 32], "big"),
             int.from_bytes(data[i + 32:i + 64], "big"), bytes(data[i + 96:i + 128]))
        for i in range(0, len(data), LOCK_BYTES)
    ]


def locksroot_of_encoded(data: bytes, hasher: Hasher = keccak256) -> bytes:
    """The locksroot of encoded locks: their keccak, or 32 zero bytes for none."""
    return hasher(bytes(data)) if data else EMPTY_LOCKSROOT


def compute_locksroot(locks: Sequence[Lock], hasher: Hasher = keccak256) -> bytes:
    if not locks:  # what encoding none gives, without encoding
        return EMPTY_LOCKSROOT
    return locksroot_of_encoded(encode_locks(locks), hasher)


def locked_amount_of(locks: Sequence[Lock]) -> int:
    return sum([lock.amount for lock in locks]) if locks else 0


def check_pending_locks(proof: BalanceProof, locks: Sequence[Lock], max_locks: int = MAX_LOCKS_PER_CHANNEL) -> None:
    """``locks`` are what ``proof`` commits to: at most ``max_locks``, their root and their total."""
    if len(locks) > max_locks:
        raise ChannelRuleError("too many locks", f"{len(locks)} pending locks, at most {max_locks}")
    check_lock_commitment(proof, len(locks), compute_locksroot(locks), locked_amount_of(locks), max_locks)


def check_lock_commitment(proof: BalanceProof, count: int, locksroot: bytes, locked: int,
                          max_locks: int = MAX_LOCKS_PER_CHANNEL) -> None:
    """:func:`check_pending_locks` of ``count`` locks whose root and total are known already (a peer whose
    partner's new proof keeps the locks of its last one checks it against that one's)."""
    if count > max_locks:
        raise ChannelRuleError("too many locks", f"{count} pending locks, at most {max_locks}")
    if locksroot != proof.locksroot:
        raise ChannelRuleError("locksroot mismatch", "the locks do not hash to the proof's locksroot")
    if locked != proof.locked_amount:
        raise ChannelRuleError("locked amount mismatch", f"the locks total {locked}, the proof says {proof.locked_amount}")


class Reveal(NamedTuple):
    """Where the secret registry recorded a secret: its block and that block's timestamp; (0, 0) for never."""

    block: int
    timestamp: int


NEVER_REVEALED = Reveal(0, 0)


def is_unlocked(lock: Lock, revealed: Reveal) -> bool:
    """A lock is claimed when its secret was registered (block > 0) before the lock expired."""
    return revealed.block > 0 and not is_lock_expired(lock, revealed.block, revealed.timestamp)


# -- what each side gets --------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One participant's totals: deposited and withdrawn on L1, sent and locked in its latest presented proof."""

    deposit: int
    withdrawn: int = 0
    transferred: int = 0
    locked: int = 0

    def checked(self, what: str) -> Side:
        check_uint(self.deposit, f"{what} deposit")
        check_uint(self.withdrawn, f"{what} withdrawn amount")
        check_uint(self.transferred, f"{what} transferred amount")
        check_uint(self.locked, f"{what} locked amount")
        return self


def channel_total(one: Side, two: Side) -> int:
    """What the adjudicator holds for the channel: both deposits less both withdrawals."""
    return _channel_total(one.deposit, one.withdrawn, two.deposit, two.withdrawn)


def _channel_total(deposit1: int, withdrawn1: int, deposit2: int, withdrawn2: int) -> int:
    total = deposit1 + deposit2 - withdrawn1 - withdrawn2
    if total < 0:
        raise ChannelRuleError("withdrawn beyond deposits",
                               f"{withdrawn1 + withdrawn2} withdrawn of {deposit1 + deposit2} deposited")
    return total


def distributable(own: Side, partner: Side) -> int:
    """What ``own`` may still send or lock: its deposit, less its withdrawals, sends and locks, plus what it received.

    Never negative and never more than the channel holds.
    """
    return distributable_of(own.deposit, own.withdrawn, own.transferred, own.locked, partner.deposit,
                            partner.withdrawn, partner.transferred)


def distributable_of(own_deposit: int, own_withdrawn: int, own_transferred: int, own_locked: int,
                     partner_deposit: int, partner_withdrawn: int, partner_transferred: int) -> int:
    """:func:`distributable` of the sides' values (a peer's hot path, without building two ``Side``)."""
    total = _channel_total(own_deposit, own_withdrawn, partner_deposit, partner_withdrawn)
    gross = own_deposit - own_withdrawn + partner_transferred - own_transferred - own_locked
    return min(max(gross, 0), total)


def check_within_deposit(own: Side, partner: Side, proof: BalanceProof) -> None:
    """A new proof of ``own`` sends and locks no more than it holds in the channel (no over-transfer)."""
    check_within_deposit_of(own.deposit, own.withdrawn, own.transferred, partner.transferred, proof)


def check_within_deposit_of(own_deposit: int, own_withdrawn: int, own_transferred: int, partner_transferred: int,
                            proof: BalanceProof) -> None:
    """:func:`check_within_deposit` of the sides' values (a peer's hot path, without building two ``Side``)."""
    check_proof_fields(proof)
    if proof.transferred_amount < own_transferred:
        raise ChannelRuleError("transferred amount decreased",
                               f"{proof.transferred_amount} after {own_transferred}: totals only grow")
    limit = own_deposit - own_withdrawn + partner_transferred
    if proof.transferred_amount + proof.locked_amount > limit:
        raise ChannelRuleError("over-transfer", f"sends {proof.transferred_amount} and locks {proof.locked_amount}, "
                                                f"but only {limit} was ever available to it")


class Settlement(NamedTuple):
    """Who gets what when a channel settles; the four parts add up to the channel total."""

    amount1: int  # paid to participant 1 now
    amount2: int  # paid to participant 2 now
    locked1: int  # participant 1's pending locks, kept for unlock
    locked2: int  # participant 2's pending locks, kept for unlock


def settle_amounts(one: Side, two: Side) -> Settlement:
    """Split the channel total between the sides and their pending locks.

    Side 1 is owed its deposit less its withdrawals and sends, plus what side 2
    sent it, kept within ``0..total`` (stale or over-spent proofs can push it
    out); side 2 is owed the rest. Each side's own pending locks come out of
    what it is owed, at most all of it, and wait for :func:`unlock_amounts`.
    """
    one, two = one.checked("participant 1"), two.checked("participant 2")
    total = channel_total(one, two)
    owed1 = min(max(one.deposit - one.withdrawn + two.transferred - one.transferred, 0), total)
    owed2 = total - owed1
    locked1 = min(one.locked, owed1)
    locked2 = min(two.locked, owed2)
    return Settlement(owed1 - locked1, owed2 - locked2, locked1, locked2)


class Unlocked(NamedTuple):
    to_receiver: int
    to_sender: int


def check_unlockable(locks: Sequence[Lock], revealed_at: Callable[[bytes], Reveal], block_number: int,
                     timestamp: int) -> None:
    """Settled locks may be paid out only once each is decided: claimed (its secret registered in time) or
    expired. Before that, a refund to the sender would take what the receiver may still claim on L1."""
    for i, lock in enumerate(locks):
        if not is_unlocked(lock, revealed_at(lock.secrethash)) and not is_lock_expired(lock, block_number, timestamp):
            raise ChannelRuleError("lock pending", f"lock {i}'s secret may still be registered until block "
                                                   f"{lock.expiration} and second {lock.expiration_time}: "
                                                   "unlock after it expires")


def unlock_amounts(locks: Sequence[Lock], retained: int, revealed_at: Callable[[bytes], Reveal]) -> Unlocked:
    """Split ``retained`` (the sender's locked amount kept at settlement) between receiver and sender.

    Locks whose secret was registered before they expired
    (``revealed_at(secrethash)``: the registration's block and timestamp,
    :data:`NEVER_REVEALED` for never; :func:`is_unlocked`) go to the
    receiver, the rest back to the sender; the receiver never gets more than
    was retained.
    """
    check_uint(retained, "retained amount")
    claimed = sum(lock.amount for lock in locks if is_unlocked(lock, revealed_at(lock.secrethash)))
    to_receiver = min(claimed, retained)
    return Unlocked(to_receiver, retained - to_receiver)


# -- withdrawals and cooperative settlement --------------------------------------------


def withdraw_amount(own: Side, partner: Side, total_withdraw: int, expiration: int, block_number: int) -> int:
    """What a co-signed withdrawal of ``total_withdraw`` in all pays now, once L1 checks it.

    The total only grows, the request has not expired, and the channel holds
    the increase. (Peers co-sign only up to :func:`withdrawable`.)
    """
    check_uint(total_withdraw, "total withdraw")
    check_uint(expiration, "withdraw expiration")
    if is_withdraw_expired(expiration, block_number):
        raise ChannelRuleError("withdraw expired", f"it expired at block {expiration}; this is block {block_number}")
    if total_withdraw <= own.withdrawn:
        raise ChannelRuleError("withdraw not increasing",
                               f"total withdraw {total_withdraw} is not above the {own.withdrawn} already withdrawn")
    amount = total_withdraw - own.withdrawn
    total = channel_total(own, partner)
    if amount > total:
        raise ChannelRuleError("withdraw beyond deposits", f"withdrawing {amount}, the channel holds {total}")
    return amount


def withdrawable(own: Side, partner: Side) -> int:
    """How much more ``own`` may withdraw without touching what it owes: :func:`distributable`."""
    return distributable(own, partner)


def check_cooperative_settle(one: Side, two: Side, balance1: int, balance2: int, expiration: int,
                             block_number: int) -> None:
    """A co-signed cooperative settlement pays out exactly what the channel holds, before it expires."""
    check_uint(balance1, "balance 1")
    check_uint(balance2, "balance 2")
    check_uint(expiration, "expiration")
    if is_withdraw_expired(expiration, block_number):
        raise ChannelRuleError("settlement expired", f"it expired at block {expiration}; this is block {block_number}")
    total = channel_total(one, two)
    if balance1 + balance2 != total:
        raise ChannelRuleError("balances do not match deposits",
                               f"{balance1} + {balance2} != {total} held for the channel")


def is_withdraw_expired(expiration: int, block_number: int) -> bool:
    """A co-signed withdrawal or cooperative settlement expiring at block ``expiration`` is void at this block.

    L1 refuses it from that block on (:func:`withdraw_amount`,
    :func:`check_cooperative_settle`), so a peer that sees the block may
    forget the request: it can never be executed any more.
    """
    return block_number >= expiration


# -- the monitoring service's reward ---------------------------------------------------------------
#
# A user who goes offline hands a monitoring service (a watchtower) its partner's latest balance
# proof, its own counter-signature for ``update_non_closing_balance_proof``, and a
# :class:`RewardProof`: "whoever presents the proof of ``nonce`` in this channel on my behalf, through
# the MonitoringService contract, gets ``reward_amount`` out of my deposit there". The contract
# (``contracts_spec.channels.monitoring``) performs the update itself, so the record of who updated is
# made by the very call that landed: a racing service whose update reverts records nothing. After
# settlement only that service may claim, once.

MONITOR_REWARD_TYPE = ("MonitorReward(address adjudicator,uint256 channelIdentifier,address nonClosingParticipant,"
                       "uint256 nonce,uint256 rewardAmount)")
MONITOR_REWARD_TYPEHASH = keccak256(MONITOR_REWARD_TYPE.encode())
EIP712_TYPES["MonitorReward"] = {"MonitorReward": [
    {"name": "adjudicator", "type": "address"},
    {"name": "channelIdentifier", "type": "uint256"},
    {"name": "nonClosingParticipant", "type": "address"},
    {"name": "nonce", "type": "uint256"},
    {"name": "rewardAmount", "type": "uint256"},
]}


@dataclass(frozen=True)
class RewardProof:
    """``non_closing_participant`` pays ``reward_amount`` to the service that lands its partner's proof of ``nonce``.

    Signed under the EIP-712 domain of the MonitoringService contract at
    ``monitoring_service`` (so it pays only there), naming the adjudicator and
    channel (so it pays only for this channel of this deployment).
    """

    chain_id: int
    monitoring_service: str
    adjudicator: str
    channel_identifier: int
    non_closing_participant: str
    nonce: int
    reward_amount: int

    def digest(self, hasher: Hasher | None = None) -> bytes:
        h = hasher or keccak256
        struct = h(MONITOR_REWARD_TYPEHASH + bytes(12) + _raw_address(self.adjudicator)
                   + _word(self.channel_identifier) + bytes(12) + _raw_address(self.non_closing_participant)
                   + _word(self.nonce) + _word(self.reward_amount))
        return _typed_digest(domain_separator(self.chain_id, self.monitoring_service, hasher), struct, h)


class RewardRecord(NamedTuple):
    """What the MonitoringService keeps per (channel, non-closer): the service whose update landed, and its reward."""

    service: str
    nonce: int
    reward_amount: int


NO_REWARD = RewardRecord("0x" + "00" * 20, 0, 0)


def check_reward_proof(reward: RewardProof, signer: str | None, *, non_closing: str, proof_nonce: int,
                       channel_identifier: int) -> None:
    """``reward`` is signed by the non-closer, for this channel and for the very proof being presented."""
    check_uint(reward.reward_amount, "reward amount", MAX_CHANNEL_DEPOSIT)
    check_uint(reward.nonce, "reward nonce", MAX_NONCE)
    if reward.channel_identifier != channel_identifier:
        raise ChannelRuleError("wrong channel", f"the reward is for channel {reward.channel_identifier}, "
                                                f"not {channel_identifier}")
    if reward.nonce != proof_nonce:
        raise ChannelRuleError("reward nonce mismatch", f"the reward pays for the proof of nonce {reward.nonce}, "
                                                        f"the update presents nonce {proof_nonce}")
    if signer is None or int(signer, 16) != int(non_closing, 16):
        raise ChannelRuleError("bad signature", f"the reward is not signed by the non-closing participant "
                                                f"{non_closing}")


def reward_after_monitor(recorded: RewardRecord, service: str, reward: RewardProof, available: int) -> RewardRecord:
    """The record once ``service`` has landed the update ``reward`` pays for; refused if it cannot be paid.

    A newer proof replaces an older service's record (the last update L1
    applied is the one that stands at settlement); ``available`` is the
    user's deposit with the replaced record's reward handed back.
    """
    if recorded.reward_amount and reward.nonce <= recorded.nonce:
        raise ChannelRuleError("stale nonce", f"a service already landed the proof of nonce {recorded.nonce}")
    if reward.reward_amount > available:
        raise ChannelRuleError("reward not covered", f"the user's deposit holds {available}, the reward is "
                                                     f"{reward.reward_amount}")
    return RewardRecord(service, reward.nonce, reward.reward_amount)


def check_reward_claim(recorded: RewardRecord, claimant: str, channel_settled: bool) -> int:
    """What ``claimant`` is paid: the recorded reward, once the channel settled, to the service whose update landed."""
    if recorded.reward_amount == 0:
        raise ChannelRuleError("no reward", "no update by a monitoring service landed in this channel, "
                                            "or its reward was claimed already")
    if int(recorded.service, 16) != int(claimant, 16):
        raise ChannelRuleError("not the rewarded service", f"the update that landed was {recorded.service}'s, "
                                                           f"not {claimant}'s")
    if not channel_settled:
        raise ChannelRuleError("channel not settled", "a reward is claimable after settlement")
    return recorded.reward_amount


def is_user_withdraw_ready(planned_block: int, planned_time: int, delay: int, block_number: int,
                           timestamp: int) -> bool:
    """A user's planned withdrawal from the MonitoringService may go out: ``delay`` blocks *and* slots later.

    The delay lets services see the plan before they act on a reward the
    withdrawal would leave uncovered; both blocks and seconds, so mining fast
    does not shorten it.
    """
    return block_number >= planned_block + delay and timestamp >= planned_time + delay * SECONDS_PER_SLOT


def check_withdraw_request(own: Side, partner: Side, total_withdraw: int, expiration: int, block_number: int,
                           longest: int) -> int:
    """What a peer co-signs: ``own`` (its withdrawals pending or done counted in ``withdrawn``) withdrawing
    ``total_withdraw`` in all, until ``expiration``; the amount withdrawn now.

    Peers' rule, stricter than L1's :func:`withdraw_amount`: the request has
    not expired and expires within ``longest`` blocks (so it cannot hold the
    partner's signature for long), the total grows, and the increase is no
    more than ``own`` holds (:func:`withdrawable`), so a withdrawal never takes
    what was paid to the partner or is locked.
    """
    check_uint(total_withdraw, "total withdraw")
    check_uint(expiration, "withdraw expiration")
    if is_withdraw_expired(expiration, block_number):
        raise ChannelRuleError("withdraw expired", f"it expired at block {expiration}; this is block {block_number}")
    if expiration > block_number + longest:
        raise ChannelRuleError("withdraw expiration too far", f"block {expiration} is more than {longest} blocks "
                                                              f"after block {block_number}")
    if total_withdraw <= own.withdrawn:
        raise ChannelRuleError("withdraw not increasing",
                               f"total withdraw {total_withdraw} is not above the {own.withdrawn} already withdrawn")
    amount = total_withdraw - own.withdrawn
    if amount > withdrawable(own, partner):
        raise ChannelRuleError("withdraw beyond balance", f"withdrawing {amount}, only {withdrawable(own, partner)} "
                                                          "is this participant's")
    return amount


def cooperative_balances(one: Side, two: Side) -> tuple[int, int]:
    """What a cooperative settlement pays each side: what settlement would, with no lock pending on either."""
    if one.locked or two.locked:
        raise ChannelRuleError("pending locks", f"{one.locked} and {two.locked} are locked: settle cooperatively "
                                                "once every lock is unlocked or expired")
    split = settle_amounts(one, two)
    return split.amount1, split.amount2
