"""The zk-rollup's rules, once: accounts, leaves, operations, messages and ``apply_op``.

Account state
    A 4-ary sparse Merkle tree hashed with Poseidon
    (:mod:`primitives.snark.quadtree`: a node is ``poseidon([c0, c1, c2, c3])``,
    an empty leaf 0) of ``2**depth_bits`` leaves. The leaf of account ``i`` is

        leaf = poseidon([ax, ay, balance, nonce])

    with ``(ax, ay)`` its BabyJubJub key (canonical, :mod:`keys`), the balance
    in wei (< 2**128) and the nonce of its next signed operation. Index 0 is
    never assigned (L1 starts at 1), so it stays empty and padding slots use it.

Operations
    * ``Deposit(index, amount, ax, ay)``: queued on L1, which assigned the
      index (the key's account with the same owner, or the next free one).
      Creates the account or adds to its balance.
    * ``Transfer(sender, recipient, amount, nonce, signature)``: ``amount``
      is a float40 encoding (:mod:`float40`). The recipient must be an
      existing account (its key is in its leaf); sender == recipient is
      allowed and only bumps the nonce.
    * ``Withdraw(sender, amount, recipient, nonce, signature)``: exact wei to
      an L1 address, claimable there as soon as the batch verifies.
    * ``FullExit(index)``: requested on L1 by the account's owner and queued
      with the deposits (a *priority operation*: the operator must process it
      before its deadline, or anyone may start exodus mode). Empties the
      account and pays its whole balance to the owner on L1, so an operator
      that censors a user's L2 withdrawals cannot keep their funds.
    * ``Noop``: padding.

Signed messages (EdDSA-Poseidon, one field element each)
    ``domain = poseidon([chain_id, rollup_address])`` binds every signature
    to one rollup on one chain; the nonce binds it to one position in the
    sender's history, so no signature is ever accepted twice.

        transfer: poseidon([domain, 1 | sender << 8 | recipient << (8 + d) | amount40 << (8 + 2d),
                            recipient_ax, recipient_ay, nonce])
        withdraw: poseidon([domain, 2 | sender << 8 | amount << (8 + d), recipient_address, nonce])

    where d is ``depth_bits``. Each packed word is below the field modulus
    (at d = 32: 112 and 168 bits), so the packing is injective. A transfer
    names its recipient by index *and* key: should an L1 reorganisation give
    that index to another key, the signature no longer verifies, so nobody
    is ever paid who was not the one signed to.

``apply_op(state, op)`` reads the state and returns the leaf writes the
operation makes (and the withdrawal it pays), or raises :class:`OpRefused`
naming the rule; it never changes the state. The operator, the witness
generator and the full node call it; the batch circuit constrains exactly
what it computes (``circuit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from contracts_spec.zk import float40
from contracts_spec.zk.params import BALANCE_BITS, DEPOSIT_BITS, WITHDRAW_AMOUNT_BITS
from primitives.snark import eddsa
from primitives.snark.babyjub import Point
from primitives.snark.field import R
from primitives.snark.poseidon import poseidon

TAG_TRANSFER, TAG_WITHDRAW = 1, 2
MAX_BALANCE = (1 << BALANCE_BITS) - 1


class OpRefused(ValueError):
    """An operation the rules refuse; the message names the rule."""


@dataclass(frozen=True)
class Account:
    ax: int
    ay: int
    balance: int
    nonce: int

    @property
    def key(self) -> Point:
        return (self.ax, self.ay)

    def leaf(self) -> int:
        return leaf_hash(self.ax, self.ay, self.balance, self.nonce)


def leaf_hash(ax: int, ay: int, balance: int, nonce: int) -> int:
    return poseidon([ax, ay, balance, nonce])


def domain_of(chain_id: int, rollup: str | int) -> int:
    """The field element every signature of this rollup commits to."""
    address = int(rollup, 16) if isinstance(rollup, str) else rollup
    return poseidon([chain_id % R, address])


@dataclass(frozen=True)
class Deposit:
    index: int
    amount: int
    ax: int
    ay: int


@dataclass(frozen=True)
class Transfer:
    sender: int
    recipient: int
    amount: int  # the float40 encoding
    nonce: int
    signature: eddsa.Signature | None = None

    @property
    def value(self) -> int:
        return float40.unpack(self.amount)


@dataclass(frozen=True)
class Withdraw:
    sender: int
    amount: int  # exact wei
    recipient: str  # L1 address, 0x-hex
    nonce: int
    signature: eddsa.Signature | None = None


@dataclass(frozen=True)
class FullExit:
    index: int


@dataclass(frozen=True)
class Noop:
    pass


Op = Deposit | FullExit | Transfer | Withdraw | Noop
Priority = Deposit | FullExit


def transfer_message(domain: int, depth_bits: int, sender: int, recipient: int, amount40: int, nonce: int,
                     recipient_key: Point) -> int:
    packed = TAG_TRANSFER | sender << 8 | recipient << (8 + depth_bits) | amount40 << (8 + 2 * depth_bits)
    return poseidon([domain, packed, recipient_key[0], recipient_key[1], nonce])


def withdraw_message(domain: int, depth_bits: int, sender: int, amount: int, recipient: str, nonce: int) -> int:
    packed = TAG_WITHDRAW | sender << 8 | amount << (8 + depth_bits)
    return poseidon([domain, packed, int(recipient, 16), nonce])


def message_of(op: Transfer | Withdraw, domain: int, depth_bits: int, recipient_key: Point | None = None) -> int:
    """The field element ``op`` signs; a transfer's names the key of its recipient's account."""
    if isinstance(op, Transfer):
        if recipient_key is None:
            raise ValueError("a transfer's message names its recipient's key: pass recipient_key")
        return transfer_message(domain, depth_bits, op.sender, op.recipient, op.amount, op.nonce, recipient_key)
    return withdraw_message(domain, depth_bits, op.sender, op.amount, op.recipient, op.nonce)


def sign(op: Transfer | Withdraw, l2_private_key: bytes, domain: int, depth_bits: int,
         recipient_key: Point | None = None) -> Transfer | Withdraw:
    """``op`` with the EdDSA-Poseidon signature of its message (a transfer needs its recipient's key)."""
    from dataclasses import replace

    message = message_of(op, domain, depth_bits, recipient_key)
    return replace(op, signature=eddsa.sign_poseidon(l2_private_key, message))


class StateView(Protocol):
    """What ``apply_op`` reads: the preset's depth, the domain, and accounts by index."""

    depth_bits: int
    domain: int

    def account(self, index: int) -> Account | None: ...


@dataclass(frozen=True)
class Effect:
    """What one operation does: leaf writes in order, and the L1 payment of a withdrawal."""

    writes: tuple[tuple[int, Account], ...] = ()
    withdrawal: tuple[str, int] | None = None
    exited: int = 0  # what a FullExit took from the account (paid to its owner on L1)


def _check_index(state: StateView, index: object, what: str) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise OpRefused(f"{what} index must be an integer, got {index!r}")
    if not 1 <= index < 1 << state.depth_bits:
        raise OpRefused(f"{what} index {index} is out of range: accounts are 1..{(1 << state.depth_bits) - 1}")
    return index


def _existing(state: StateView, index: int, what: str) -> Account:
    acct = state.account(index)
    if acct is None:
        raise OpRefused(f"{what} account {index} does not exist (an empty leaf has no key)")
    return acct


def _check_nonce(acct: Account, nonce: object, index: int) -> None:
    if nonce != acct.nonce:
        raise OpRefused(f"nonce {nonce!r} for account {index}: its next nonce is {acct.nonce}")


def _check_signature(op: Transfer | Withdraw, acct: Account, state: StateView, authorised: bool,
                     recipient_key: Point | None = None) -> None:
    if authorised:
        return
    if not isinstance(op.signature, eddsa.Signature):
        raise OpRefused("the operation is not signed")
    if not eddsa.verify_poseidon(message_of(op, state.domain, state.depth_bits, recipient_key), op.signature, acct.key):
        to = f" to account {op.recipient}'s key" if isinstance(op, Transfer) else ""
        raise OpRefused(f"bad signature: not by the key of account {op.sender} over this operation{to}")


def apply_op(state: StateView, op: Op, *, authorised: bool = False) -> Effect:
    """The writes ``op`` makes on ``state``, or OpRefused naming the rule.

    ``authorised=True`` skips the signature check, for operations read back
    from a verified batch (its proof already showed the signatures valid).
    """
    if isinstance(op, Noop):
        return Effect()
    if isinstance(op, Deposit):
        index = _check_index(state, op.index, "deposit")
        if isinstance(op.amount, bool) or not isinstance(op.amount, int) or not 0 < op.amount < 1 << DEPOSIT_BITS:
            raise OpRefused(f"deposit amount {op.amount!r} must be in 1..2**{DEPOSIT_BITS}-1 wei")
        acct = state.account(index)
        if acct is None:
            new = Account(op.ax, op.ay, op.amount, 0)
        else:
            if acct.key != (op.ax, op.ay):
                raise OpRefused(f"deposit to account {index} names another key than the account's")
            new = Account(acct.ax, acct.ay, acct.balance + op.amount, acct.nonce)
        if new.balance > MAX_BALANCE:
            raise OpRefused(f"deposit would take account {index}'s balance past 2**{BALANCE_BITS}-1 wei")
        return Effect(writes=((index, new),))
    if isinstance(op, FullExit):
        index = _check_index(state, op.index, "exit")
        acct = _existing(state, index, "exiting")
        return Effect(writes=((index, Account(acct.ax, acct.ay, 0, acct.nonce)),), exited=acct.balance)
    if isinstance(op, Transfer):
        sender = _check_index(state, op.sender, "sender")
        recipient = _check_index(state, op.recipient, "recipient")
        try:
            value = float40.unpack(op.amount)
        except ValueError as exc:
            raise OpRefused(f"transfer amount: {exc}") from None
        src = _existing(state, sender, "sender")
        dst_before = _existing(state, recipient, "recipient")
        _check_nonce(src, op.nonce, sender)
        if value > src.balance:
            raise OpRefused(f"account {sender} has {src.balance} wei, cannot send {value}")
        _check_signature(op, src, state, authorised, dst_before.key)
        src_new = Account(src.ax, src.ay, src.balance - value, src.nonce + 1)
        dst = src_new if recipient == sender else state.account(recipient)
        assert dst is not None
        dst_new = Account(dst.ax, dst.ay, dst.balance + value, dst.nonce)
        if dst_new.balance > MAX_BALANCE:
            raise OpRefused(f"transfer would take account {recipient}'s balance past 2**{BALANCE_BITS}-1 wei")
        return Effect(writes=((sender, src_new), (recipient, dst_new)))
    if isinstance(op, Withdraw):
        sender = _check_index(state, op.sender, "sender")
        if isinstance(op.amount, bool) or not isinstance(op.amount, int) or not 0 < op.amount < 1 << WITHDRAW_AMOUNT_BITS:
            raise OpRefused(f"withdrawal amount {op.amount!r} must be in 1..2**{WITHDRAW_AMOUNT_BITS}-1 wei")
        if not (isinstance(op.recipient, str) and op.recipient.startswith("0x") and len(op.recipient) == 42):
            raise OpRefused(f"withdrawal recipient {op.recipient!r} is not a 0x-prefixed 20-byte address")
        try:
            recipient_int = int(op.recipient, 16)
        except ValueError:
            raise OpRefused(f"withdrawal recipient {op.recipient!r} is not hex") from None
        if recipient_int == 0:
            raise OpRefused("withdrawal to the zero address: nobody could ever claim it")
        src = _existing(state, sender, "sender")
        _check_nonce(src, op.nonce, sender)
        if op.amount > src.balance:
            raise OpRefused(f"account {sender} has {src.balance} wei, cannot withdraw {op.amount}")
        _check_signature(op, src, state, authorised)
        src_new = Account(src.ax, src.ay, src.balance - op.amount, src.nonce + 1)
        return Effect(writes=((sender, src_new),), withdrawal=(op.recipient, op.amount))
    raise OpRefused(f"unknown operation {type(op).__name__}")
