"""An L2 user's side of the optimistic rollup: sign transfers and withdrawals, claim them on L1.

A wallet knows its key and the rollup's EIP-712 domain; it produces the signed
transactions the operator accepts. The same typed data can be signed with any
EIP-712 wallet (see ``typed_data``), which is what the HTTP API serves.

A withdrawal is paid on L1 once its batch's claim is final and says it
applies (a withdrawal that broke a rule is a skipped no-op and is never
paid): ``withdrawals_to`` lists a recipient's withdrawals in the posted
batches with where each stands on L1, and ``claim_final_withdrawals`` claims
those that are final and not yet claimed. The lab, the service and the CLI
all claim through these two.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from contracts_spec.optimistic.encoding import batch_header, decode_batch
from contracts_spec.optimistic.rules import (
    DOMAIN_NAME,
    DOMAIN_VERSION,
    EIP712_TYPES,
    Transfer,
    Withdraw,
    domain_separator,
    eip712_message,
    tx_digest,
    withdrawal_leaf,
)
from primitives.merkle import MerkleTree
from primitives.secp256k1 import private_key_to_address, sign, to_checksum_address

if TYPE_CHECKING:
    from rollup.optimistic.fullnode import KnownBatch
    from rollup.optimistic.l1view import RollupL1


def address_bytes(address: str | bytes) -> bytes:
    """A 20-byte address from a ``0x…`` string or bytes."""
    if isinstance(address, bytes):
        if len(address) != 20:
            raise ValueError(f"address must be 20 bytes, got {len(address)}")
        return address
    text = address[2:] if address.startswith(("0x", "0X")) else address
    if len(text) != 40:
        raise ValueError(f"address must be 40 hex digits, got {address!r}")
    return bytes.fromhex(text)


def parse_address(value: object, what: str) -> bytes:
    """The 20 bytes of a ``0x…`` address given as ``what``; ValueError naming ``what`` otherwise."""
    try:
        raw = address_bytes(value) if isinstance(value, str) else b""
    except ValueError:
        raw = b""
    if len(raw) != 20:
        raise ValueError(f"{what} must be a 0x-prefixed 20-byte address, got {str(value)[:60]!r}")
    return raw


class Wallet:
    """One L2 user: a private key and the rollup deployment it signs for."""

    def __init__(self, private_key: bytes, chain_id: int, rollup_address: str) -> None:
        self.private_key = private_key
        self.address = private_key_to_address(private_key)
        self.raw_address = address_bytes(self.address)
        self.chain_id = chain_id
        self.rollup_address = to_checksum_address(rollup_address)
        self.domain_separator = domain_separator(chain_id, address_bytes(rollup_address))

    def transfer(self, from_index: int, to_index: int, amount: int, nonce: int) -> Transfer:
        """A signed transfer of ``amount`` wei from this wallet's account."""
        unsigned = Transfer(from_index, to_index, amount, nonce, b"")
        return unsigned._replace(signature=sign(tx_digest(self.domain_separator, unsigned), self.private_key))

    def withdraw(self, from_index: int, recipient: str | bytes, amount: int, nonce: int) -> Withdraw:
        """A signed withdrawal of ``amount`` wei to an L1 ``recipient``."""
        unsigned = Withdraw(from_index, address_bytes(recipient), amount, nonce, b"")
        return unsigned._replace(signature=sign(tx_digest(self.domain_separator, unsigned), self.private_key))

    def typed_data(self, tx: Transfer | Withdraw) -> dict:
        """The EIP-712 document of ``tx``, as ``eth_signTypedData_v4`` takes it."""
        return typed_data(self.chain_id, self.rollup_address, tx)


def typed_data(chain_id: int, rollup_address: str, tx: Transfer | Withdraw) -> dict:
    """The EIP-712 document a wallet signs for ``tx`` on the given rollup."""
    from primitives.eip712 import Domain, full_message

    primary, message = eip712_message(tx)
    domain = Domain(DOMAIN_NAME, DOMAIN_VERSION, chain_id, to_checksum_address(rollup_address))
    return full_message(domain, {primary: EIP712_TYPES[primary]}, primary, message)


class WithdrawalClaim(NamedTuple):
    """The L1 contract's ``withdraw`` arguments for one withdrawal: ``transact(key, "withdraw", *claim)``."""

    batch: int
    body_hash: bytes
    withdrawal_root: bytes
    data_hash: bytes
    leaf_index: int
    recipient: str
    amount: int
    from_index: int
    nonce: int
    proof: list[bytes]


def withdrawal_claims(
    batch_index: int, data: bytes, recipient: str | bytes | None = None
) -> list[WithdrawalClaim]:
    """The claim of each withdrawal the batch ``data`` says applies (to ``recipient`` only, if given).

    Each is what the L1 contract needs to pay out once the batch is final.
    ``data`` is the calldata of the batch's current claim: the batch as
    posted, or the claim re-proposed for it.
    """
    batch = decode_batch(data)
    withdrawals = batch.claimed_withdrawals()
    if not withdrawals:
        return []
    header = batch_header(data, batch)
    body_hash = header.body_hash()
    wanted = None if recipient is None else address_bytes(recipient)
    tree = MerkleTree([withdrawal_leaf(w) for w in withdrawals])
    return [
        WithdrawalClaim(batch_index, body_hash, header.withdrawal_root, header.data_hash, i,
                        to_checksum_address(w.recipient), w.amount, w.from_index, w.nonce, tree.proof(i))
        for i, w in enumerate(withdrawals)
        if wanted is None or w.recipient == wanted
    ]


@dataclass(frozen=True)
class WithdrawalStatus:
    """A withdrawal's claim and where it stands on L1."""

    claim: WithdrawalClaim
    final: bool  # its batch's challenge window has closed
    claimed: bool
    time_left: int  # seconds of challenge window left; 0 once final

    @property
    def claimable(self) -> bool:
        return self.final and not self.claimed


def withdrawals_to(rollup: RollupL1, batches: Iterable[KnownBatch], recipient: str | bytes) -> list[WithdrawalStatus]:
    """Every withdrawal to ``recipient`` that ``batches`` claim (the batches a full node rebuilt), with its status."""
    out: list[WithdrawalStatus] = []
    for known in batches:
        claims = withdrawal_claims(known.index, known.data, recipient)
        if not claims:
            continue
        final = bool(rollup.call("is_final", known.index))
        time_left = 0 if final else rollup.call("challenge_time_left", known.index)
        out.extend(WithdrawalStatus(c, final, bool(rollup.call("is_claimed", c.batch, c.leaf_index)), time_left)
                   for c in claims)
    return out


def claim_final_withdrawals(
    rollup: RollupL1, key: bytes, withdrawals: Iterable[WithdrawalStatus]
) -> list[tuple[WithdrawalStatus, dict]]:
    """Claim on L1, signed by ``key``, each of ``withdrawals`` that is final and unclaimed; each with its receipt."""
    return [(w, rollup.transact(key, "withdraw", *w.claim)) for w in withdrawals if w.claimable]
