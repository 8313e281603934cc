"""The L2 state-transition rules of the optimistic rollup, written once.

The operator runs :func:`apply_tx` to admit a transaction, and every party
runs :func:`derive_step` on what was posted: the operator and the full node
to follow the chain, the challenger to find a wrong claim, the L1 contract on
a witnessed partial state to judge a fraud proof. Both are pure: no clock, no
I/O, and the signer is recovered by the caller (in a batch by the operator,
with metered ``ecrecover`` on L1), so recovery is never done twice on the
hot path.

Accounts
    Accounts live in a sparse Merkle tree (``primitives.smt``) keyed by
    account index. An account is ``(address, balance, nonce)``; its leaf value
    is ``keccak256(address[20] || balance[32, big-endian] || nonce[8, big-endian])``
    (60 bytes hashed), and an index that holds no account has the empty leaf,
    32 zero bytes. Accounts are created only by deposits, at the index L1
    assigned when the deposit landed (the address's account, or the next
    free index), so what a transfer is signed to is fixed by L1.

The state root
    ``keccak256(accounts_root[32] || withdrawal_chain[32])``, where the
    withdrawal chain is a running hash over the leaf of every withdrawal that
    applied (:func:`next_withdrawal_chain`; 32 zero bytes before the first).
    Every claimed root, per step or per batch, is one of these, so a claim
    about which withdrawals apply is disputed like any other state claim.

Transactions
    ``Deposit(index, address, amount)`` comes from the L1 deposit queue and is
    unsigned: it creates the account at an empty index or credits the account
    of the same address. ``Transfer(from, to, amount, nonce, sig)`` and
    ``Withdraw(from, recipient, amount, nonce, sig)`` are signed as EIP-712
    typed data (see :func:`tx_digest`) under a domain naming the L1 chain id
    and the rollup contract, so a signature is valid on one rollup only.

:func:`apply_tx` raises :class:`InvalidTransaction` naming the broken rule,
before any write, so a refused transaction leaves the state untouched.

The derivation rule
    A step posted to L1 is data, final in its L1 order. :func:`derive_step`
    is what it does to the state: :func:`apply_tx`, or, when it breaks a
    rule, nothing at all (balances and nonces unchanged), and the next step
    applies on top. A claim about a batch is a list of state roots; it is
    wrong when a root is not what derivation gives, and only the claim is
    replaced, never the data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple, Protocol

from primitives.keccak import keccak256, keccak256_many

Hasher = Callable[[bytes], bytes]

MAX_UINT256 = 2**256 - 1
# Nonces travel as 4 bytes in a batch; a larger one cannot be encoded.
MAX_NONCE = 2**32 - 1
# Deposits travel as 16 bytes in a batch and on L1.
MAX_DEPOSIT = 2**128 - 1
EMPTY_LEAF = bytes(32)
# The withdrawal chain before any withdrawal.
EMPTY_CHAIN = bytes(32)

# EIP-712 domain name and version of every rollup deployment.
DOMAIN_NAME = "l2lab optimistic rollup"
DOMAIN_VERSION = "1"
TRANSFER_TYPE = "Transfer(uint32 from,uint32 to,uint256 amount,uint32 nonce)"
WITHDRAW_TYPE = "Withdraw(uint32 from,address recipient,uint256 amount,uint32 nonce)"
TRANSFER_TYPEHASH = keccak256(TRANSFER_TYPE.encode())
WITHDRAW_TYPEHASH = keccak256(WITHDRAW_TYPE.encode())
# The EIP-712 types, in the shape primitives.eip712 and wallets take.
EIP712_TYPES: dict[str, list[dict[str, str]]] = {
    "Transfer": [
        {"name": "from", "type": "uint32"},
        {"name": "to", "type": "uint32"},
        {"name": "amount", "type": "uint256"},
        {"name": "nonce", "type": "uint32"},
    ],
    "Withdraw": [
        {"name": "from", "type": "uint32"},
        {"name": "recipient", "type": "address"},
        {"name": "amount", "type": "uint256"},
        {"name": "nonce", "type": "uint32"},
    ],
}


class InvalidTransaction(ValueError):
    """A transaction breaks a rule; ``rule`` names it in a few words."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


class Account(NamedTuple):
    """One L2 account: a 20-byte L1-style address, a wei balance and a nonce."""

    address: bytes
    balance: int
    nonce: int

    def leaf(self, hasher: Hasher = keccak256) -> bytes:
        """The account's leaf value in the state tree."""
        return hasher(self.address + self.balance.to_bytes(32, "big") + self.nonce.to_bytes(8, "big"))


class Deposit(NamedTuple):
    """An L1 deposit credited to ``address`` at account ``index``."""

    # The field shadows tuple.index on purpose: "index" is the account index
    # every caller and the encoding use; the tuple method is never needed here.
    index: int  # type: ignore[assignment]
    address: bytes
    amount: int


class Transfer(NamedTuple):
    """An L2 transfer between two existing accounts."""

    from_index: int
    to_index: int
    amount: int
    nonce: int
    signature: bytes


class Withdraw(NamedTuple):
    """An L2 withdrawal: burn on L2, claimable on L1 by ``recipient`` once final."""

    from_index: int
    recipient: bytes
    amount: int
    nonce: int
    signature: bytes


Tx = Deposit | Transfer | Withdraw


class Applied(NamedTuple):
    """What a step produced besides the state change."""

    withdrawal_leaf: bytes | None
    # Why derivation skipped the step as a no-op ("" when it applied).
    skipped: str = ""


class AccountState(Protocol):
    """The accounts a transaction reads and writes.

    Implemented by the full state of the operator and full nodes, and by the
    witnessed partial state an L1 fraud proof rebuilds from Merkle proofs.
    """

    depth: int

    def get_account(self, index: int) -> Account | None: ...

    def set_account(self, index: int, account: Account) -> None: ...

    def record_withdrawal(self, tx: Withdraw) -> bytes:
        """Extend the withdrawal chain with ``tx``'s leaf (hashed as the state hashes); the leaf."""
        ...


# -- digests ------------------------------------------------------------------

DOMAIN_TYPEHASH = keccak256(
    b"EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)


def domain_separator(chain_id: int, verifying_contract: bytes, hasher: Hasher = keccak256) -> bytes:
    """The EIP-712 domain separator of the rollup deployed at ``verifying_contract``."""
    if len(verifying_contract) != 20:
        raise ValueError(f"verifying contract must be 20 bytes, got {len(verifying_contract)}")
    return hasher(
        DOMAIN_TYPEHASH + hasher(DOMAIN_NAME.encode()) + hasher(DOMAIN_VERSION.encode())
        + chain_id.to_bytes(32, "big") + bytes(12) + verifying_contract
    )



def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


def tx_digest(domain_separator: bytes, tx: Transfer | Withdraw, hasher: Hasher = keccak256) -> bytes:
    """The EIP-712 digest a transfer or withdrawal is signed over.

    Written out for these two static structs so the L1 can meter each keccak;
    a test checks it equals ``primitives.eip712.typed_data_digest``.
    """
    if isinstance(tx, Transfer):
        encoded = (
            TRANSFER_TYPEHASH + _word(tx.from_index) + _word(tx.to_index)
            + _word(tx.amount) + _word(tx.nonce)
        )
    elif isinstance(tx, Withdraw):
        encoded = (
            WITHDRAW_TYPEHASH + _word(tx.from_index) + bytes(12) + tx.recipient
            + _word(tx.amount) + _word(tx.nonce)
        )
    else:
        raise TypeError(f"only transfers and withdrawals are signed, got {type(tx).__name__}")
    return hasher(b"\x19\x01" + domain_separator + hasher(encoded))


def tx_digests(domain_separator: bytes, txs: Sequence[Transfer | Withdraw]) -> list[bytes]:
    """:func:`tx_digest` of many transactions, hashed in two batched keccak calls (the operator's path)."""
    structs: list[bytes] = []
    append = structs.append
    for tx in txs:
        if type(tx) is Transfer:
            append(TRANSFER_TYPEHASH + tx.from_index.to_bytes(32, "big") + tx.to_index.to_bytes(32, "big")
                   + tx.amount.to_bytes(32, "big") + tx.nonce.to_bytes(32, "big"))
        elif type(tx) is Withdraw:
            append(WITHDRAW_TYPEHASH + tx.from_index.to_bytes(32, "big") + bytes(12) + tx.recipient
                   + tx.amount.to_bytes(32, "big") + tx.nonce.to_bytes(32, "big"))
        else:
            raise TypeError(f"only transfers and withdrawals are signed, got {type(tx).__name__}")
    prefix = b"\x19\x01" + domain_separator
    return keccak256_many([prefix + h for h in keccak256_many(structs)])


def eip712_message(tx: Transfer | Withdraw) -> tuple[str, dict]:
    """The primary type and message of ``tx`` as EIP-712 typed data."""
    if isinstance(tx, Transfer):
        return "Transfer", {"from": tx.from_index, "to": tx.to_index, "amount": tx.amount, "nonce": tx.nonce}
    if isinstance(tx, Withdraw):
        recipient = "0x" + tx.recipient.hex()
        return "Withdraw", {"from": tx.from_index, "recipient": recipient, "amount": tx.amount, "nonce": tx.nonce}
    raise TypeError(f"only transfers and withdrawals are signed, got {type(tx).__name__}")


# -- leaves that L1 checks -----------------------------------------------------


def withdrawal_leaf(tx: Withdraw, hasher: Hasher = keccak256) -> bytes:
    """The 32-byte leaf of a withdrawal in its batch's withdrawal tree.

    ``keccak256(recipient[20] || amount[32] || from[4] || nonce[4])``: the
    account and nonce make every withdrawal's leaf unique.
    """
    return hasher(
        tx.recipient + _word(tx.amount) + tx.from_index.to_bytes(4, "big") + tx.nonce.to_bytes(4, "big")
    )


def next_deposit_hash(
    previous: bytes, index: int, address: bytes, amount: int, hasher: Hasher = keccak256
) -> bytes:
    """The running hash of the L1 deposit queue after one more deposit.

    ``hasher(previous[32] || index[4] || address[20] || amount[16])``, where
    ``index`` is the account index L1 assigned the deposit; the contract keeps
    it per deposit so a batch's deposits, and where they go, are checked with
    one comparison.
    """
    return hasher(previous + index.to_bytes(4, "big") + address + amount.to_bytes(16, "big"))


def next_withdrawal_chain(chain: bytes, leaf: bytes, hasher: Hasher = keccak256) -> bytes:
    """The withdrawal chain after one more withdrawal applied: ``hasher(chain[32] || leaf[32])``."""
    return hasher(chain + leaf)


def state_root(accounts_root: bytes, withdrawal_chain: bytes, hasher: Hasher = keccak256) -> bytes:
    """The state root every claim names: ``hasher(accounts_root[32] || withdrawal_chain[32])``."""
    return hasher(accounts_root + withdrawal_chain)


def touched_accounts(tx: Tx) -> tuple[int, ...]:
    """The account indices ``tx`` reads and writes, in the order witnesses follow."""
    if isinstance(tx, Transfer):
        return (tx.from_index, tx.to_index)
    if isinstance(tx, Withdraw):
        return (tx.from_index,)
    if isinstance(tx, Deposit):
        return (tx.index,)
    raise TypeError(f"not a rollup transaction: {type(tx).__name__}")


# -- the transition -------------------------------------------------------------


def _check_index(state: AccountState, index: int, what: str) -> None:
    if not 0 <= index < (1 << state.depth):
        raise InvalidTransaction("index out of range", f"{what} account {index} >= 2**{state.depth}")


def _signed_account(state: AccountState, index: int, nonce: int, signer: bytes | None) -> Account:
    """The sending account, once the signature and nonce rules hold."""
    _check_index(state, index, "sending")
    account = state.get_account(index)
    if account is None:
        raise InvalidTransaction("unknown account", f"no account at index {index}")
    if signer is None:
        raise InvalidTransaction("bad signature", "the signature does not recover")
    if signer != account.address:
        raise InvalidTransaction(
            "bad signature", f"signed by 0x{signer.hex()}, account {index} is 0x{account.address.hex()}"
        )
    if nonce != account.nonce:
        raise InvalidTransaction("bad nonce", f"expected {account.nonce}, got {nonce}")
    if account.nonce >= MAX_NONCE:
        raise InvalidTransaction("nonce overflow", f"account {index} used every nonce")
    return account


def _check_amount(account: Account, amount: int) -> None:
    if amount <= 0:
        raise InvalidTransaction("zero amount", f"amount must be positive, got {amount}")
    if amount > account.balance:
        raise InvalidTransaction("overspend", f"amount {amount} exceeds balance {account.balance}")


def apply_deposit(state: AccountState, tx: Deposit) -> Applied:
    """Credit an L1 deposit: create the account at an empty index or top it up."""
    _check_index(state, tx.index, "deposit")
    if not 0 < tx.amount <= MAX_DEPOSIT:
        raise InvalidTransaction("zero amount", f"deposit amount {tx.amount} out of range")
    account = state.get_account(tx.index)
    if account is None:
        state.set_account(tx.index, Account(tx.address, tx.amount, 0))
        return Applied(None)
    if account.address != tx.address:
        raise InvalidTransaction(
            "account taken", f"index {tx.index} belongs to 0x{account.address.hex()}, not 0x{tx.address.hex()}"
        )
    if account.balance + tx.amount > MAX_UINT256:
        raise InvalidTransaction("balance overflow", f"account {tx.index}")
    state.set_account(tx.index, Account(account.address, account.balance + tx.amount, account.nonce))
    return Applied(None)


def apply_transfer(state: AccountState, tx: Transfer, signer: bytes | None) -> Applied:
    """Move ``amount`` between two existing accounts, bumping the sender's nonce."""
    sender = _signed_account(state, tx.from_index, tx.nonce, signer)
    _check_index(state, tx.to_index, "receiving")
    if tx.to_index == tx.from_index:
        raise InvalidTransaction("self transfer", f"account {tx.from_index} pays itself")
    _check_amount(sender, tx.amount)
    receiver = state.get_account(tx.to_index)
    if receiver is None:
        raise InvalidTransaction("unknown account", f"no account at index {tx.to_index}")
    if receiver.balance + tx.amount > MAX_UINT256:
        raise InvalidTransaction("balance overflow", f"account {tx.to_index}")
    state.set_account(tx.from_index, Account(sender.address, sender.balance - tx.amount, sender.nonce + 1))
    state.set_account(tx.to_index, Account(receiver.address, receiver.balance + tx.amount, receiver.nonce))
    return Applied(None)


def apply_withdraw(state: AccountState, tx: Withdraw, signer: bytes | None) -> Applied:
    """Burn ``amount`` on L2 and emit the leaf its recipient claims on L1."""
    sender = _signed_account(state, tx.from_index, tx.nonce, signer)
    if len(tx.recipient) != 20:
        raise InvalidTransaction("bad recipient", f"recipient must be 20 bytes, got {len(tx.recipient)}")
    _check_amount(sender, tx.amount)
    state.set_account(tx.from_index, Account(sender.address, sender.balance - tx.amount, sender.nonce + 1))
    return Applied(state.record_withdrawal(tx))


def apply_tx(state: AccountState, tx: Tx, signer: bytes | None = None) -> Applied:
    """Apply one rollup transaction to ``state``: the one transition function.

    ``signer`` is the 20-byte address recovered from the transaction's
    signature over :func:`tx_digest` (None when it does not recover); deposits
    ignore it. Raises :class:`InvalidTransaction` naming the broken rule, and
    then has written nothing.
    """
    if isinstance(tx, Transfer):
        return apply_transfer(state, tx, signer)
    if isinstance(tx, Withdraw):
        return apply_withdraw(state, tx, signer)
    if isinstance(tx, Deposit):
        return apply_deposit(state, tx)
    raise InvalidTransaction("unknown transaction type", type(tx).__name__)


def derive_step(state: AccountState, tx: Tx, signer: bytes | None = None) -> Applied:
    """What posted step ``tx`` does to ``state``: :func:`apply_tx`, or nothing when it breaks a rule.

    The derivation rule every party runs on posted data. A step that breaks
    a rule is a no-op (``Applied.skipped`` says which rule), so the data
    around it stays valid input and the steps after it apply on top.
    """
    try:
        return apply_tx(state, tx, signer)
    except InvalidTransaction as exc:
        return Applied(None, str(exc))
