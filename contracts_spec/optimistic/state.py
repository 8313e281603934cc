"""The two implementations of the rollup's state.

:class:`FullState` holds every account, the sparse Merkle tree and the
withdrawal chain: the operator, full nodes and challengers keep one.
:class:`WitnessedState` holds only what a fraud proof's witnesses show: the
accounts root and withdrawal chain that make up the step's pre-state root,
and the accounts the step touches with their Merkle proofs. The L1 contract
runs the same ``derive_step`` on it and computes the post-state root from
the same proofs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from contracts_spec.optimistic.rules import (
    EMPTY_CHAIN,
    EMPTY_LEAF,
    Account,
    Hasher,
    Withdraw,
    next_withdrawal_chain,
    state_root,
    withdrawal_leaf,
)
from primitives.keccak import keccak256, keccak256_many
from primitives.smt import SparseMerkleTree, smt_root_from_proof

# The writes of one step and the withdrawal chain after it: what its state root is made of.
StepWrites = tuple[list[tuple[int, Account]], bytes]


class FullState:
    """Every account, indexed by position and by address, with its state tree and withdrawal chain.

    Writes go to the account map at once and reach the tree at :meth:`commit`,
    which hashes every changed leaf in one batched tree update; a withdrawal
    extends the chain at once.
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.accounts: dict[int, Account] = {}
        self.index_of: dict[bytes, int] = {}
        self.tree = SparseMerkleTree(depth)
        self.withdrawal_chain = EMPTY_CHAIN
        self._dirty: dict[int, Account] = {}

    def get_account(self, index: int) -> Account | None:
        return self.accounts.get(index)

    def set_account(self, index: int, account: Account) -> None:
        if index not in self.accounts:
            self.index_of.setdefault(account.address, index)
        self.accounts[index] = account
        self._dirty[index] = account

    def record_withdrawal(self, tx: Withdraw) -> bytes:
        leaf = withdrawal_leaf(tx)
        self.withdrawal_chain = next_withdrawal_chain(self.withdrawal_chain, leaf)
        return leaf

    def commit(self) -> bytes:
        """Hash the changed accounts into the tree and return the new state root."""
        if self._dirty:
            dirty, self._dirty = self._dirty, {}
            self.tree.update_many([(i, a.leaf()) for i, a in dirty.items()])
        return self.root

    def take_writes(self) -> list[tuple[int, Account]]:
        """The writes since the last call, leaving their hashing to :meth:`commit_steps`."""
        dirty, self._dirty = self._dirty, {}
        return list(dirty.items())

    def commit_steps(self, steps: list[StepWrites]) -> list[bytes]:
        """Hash each step's writes into the tree in order; the state root after each step.

        ``steps`` are each step's account writes and the withdrawal chain after
        it. All leaves of all steps are hashed in one batched keccak call, the
        tree takes one batched update per step (each accounts root is needed),
        and the state roots are hashed in one more batched call.
        """
        flat = [a.address + a.balance.to_bytes(32, "big") + a.nonce.to_bytes(8, "big")
                for writes, _ in steps for _, a in writes]
        leaves = iter(keccak256_many(flat))
        update = self.tree.update_many
        parts = [update([(i, next(leaves)) for i, _ in writes]) + chain for writes, chain in steps]
        return keccak256_many(parts)

    @property
    def accounts_root(self) -> bytes:
        """The root of the committed account tree."""
        return self.tree.root

    @property
    def root(self) -> bytes:
        """The state root of the committed state (call :meth:`commit` after writes)."""
        return state_root(self.tree.root, self.withdrawal_chain)

    def prove(self, index: int) -> list[bytes]:
        """Merkle siblings of ``index`` in the committed tree."""
        return self.tree.prove(index)

    def deposit_index(self, address: bytes) -> int:
        """The index L1 assigns a deposit to ``address``: its account's, else the next one.

        L1 numbers new addresses in queue order and deposits apply in queue
        order, so the next index is the number of accounts; L1 refuses a new
        address once the tree is full, so a state built from L1 never asks.
        """
        index = self.index_of.get(address)
        if index is not None:
            return index
        if len(self.accounts) >= 1 << self.depth:
            raise ValueError(f"the account tree of depth {self.depth} is full")
        return len(self.accounts)

    def copy(self) -> FullState:
        """An independent checkpoint of the committed state."""
        if self._dirty:
            raise ValueError("commit the state before copying it")
        twin = FullState.__new__(FullState)
        twin.depth = self.depth
        twin.accounts = dict(self.accounts)
        twin.index_of = dict(self.index_of)
        twin.tree = self.tree.copy()
        twin.withdrawal_chain = self.withdrawal_chain
        twin._dirty = {}
        return twin

    def balance(self, index: int) -> int:
        """Balance of the account at ``index`` (0 when there is none)."""
        account = self.accounts.get(index)
        return account.balance if account else 0


class WitnessError(ValueError):
    """A fraud proof's witnesses are missing, duplicated or do not match the root."""


AccountWitness = tuple[int, Account | None, Sequence[bytes]]


class Witnesses(NamedTuple):
    """What a fraud proof shows of a step's pre-state.

    ``accounts_root`` and ``withdrawal_chain`` make up the pre-state root;
    ``accounts`` lists ``(index, account or None, siblings)`` of each account
    the step touches.
    """

    accounts_root: bytes
    withdrawal_chain: bytes
    accounts: Sequence[AccountWitness]


def account_leaf(account: Account | None, hasher: Hasher = keccak256) -> bytes:
    """The tree leaf of ``account``; the empty leaf when there is none."""
    return EMPTY_LEAF if account is None else account.leaf(hasher)


class WitnessedState:
    """The accounts a fraud proof shows, checked against a pre-state root.

    The siblings of each account witness are those of the tree *after* the
    writes to the witnesses before it: that way :meth:`post_root` checks every
    claimed account and computes the post-state root in one pass, whatever
    their paths share. A read of an account without a witness raises
    :class:`WitnessError`, which is the prover's mistake, never the batch's.
    """

    def __init__(self, depth: int, pre_root: bytes, witnesses: Witnesses, hasher: Hasher = keccak256) -> None:
        self.depth = depth
        self.pre_root = pre_root
        self.hasher = hasher
        self._accounts_root = witnesses.accounts_root
        self._chain = witnesses.withdrawal_chain
        self.withdrawal_chain = witnesses.withdrawal_chain
        self._order: list[AccountWitness] = []
        self._accounts: dict[int, Account | None] = {}
        for index, account, siblings in witnesses.accounts:
            if not 0 <= index < 1 << depth:
                raise WitnessError(f"key {index} is out of range for depth {depth}")
            if index in self._accounts:
                raise WitnessError(f"account {index} is witnessed twice")
            if len(siblings) != depth:
                raise WitnessError(f"witness of account {index} has {len(siblings)} siblings, expected {depth}")
            self._order.append((index, account, siblings))
            self._accounts[index] = account
        self._writes: dict[int, Account] = {}

    def get_account(self, index: int) -> Account | None:
        if index not in self._accounts:
            raise WitnessError(f"no witness for account {index}")
        return self._writes.get(index, self._accounts[index])

    def set_account(self, index: int, account: Account) -> None:
        if index not in self._accounts:
            raise WitnessError(f"no witness for account {index}")
        self._writes[index] = account

    def record_withdrawal(self, tx: Withdraw) -> bytes:
        leaf = withdrawal_leaf(tx, self.hasher)
        self.withdrawal_chain = next_withdrawal_chain(self.withdrawal_chain, leaf, self.hasher)
        return leaf

    def post_root(self) -> bytes:
        """Check every witness and return the state root after the writes made so far."""
        if state_root(self._accounts_root, self._chain, self.hasher) != self.pre_root:
            raise WitnessError("the accounts root and withdrawal chain shown do not make the step's pre-state root")
        root = self._accounts_root
        for index, account, siblings in self._order:
            old_leaf = account_leaf(account, self.hasher)
            if smt_root_from_proof(index, old_leaf, siblings, self.depth, self.hasher) != root:
                raise WitnessError(f"the witness of account {index} does not match the state root")
            new = self._writes.get(index)
            if new is not None:
                root = smt_root_from_proof(index, new.leaf(self.hasher), siblings, self.depth, self.hasher)
        if not self._writes and self.withdrawal_chain == self._chain:
            return self.pre_root  # a no-op step: nothing to rehash
        return state_root(root, self.withdrawal_chain, self.hasher)


def build_witnesses(state: FullState, indices: Sequence[int], writes: dict[int, Account]) -> Witnesses:
    """Witnesses of ``indices`` in the committed ``state``, in the order :class:`WitnessedState` checks.

    ``writes`` are the accounts the step writes (empty for an invalid step);
    they are applied to a scratch tree between proofs. ``state`` is unchanged.
    """
    tree = state.tree.copy() if writes else state.tree
    out: list[AccountWitness] = []
    for index in indices:
        if any(index == w[0] for w in out):
            continue
        if not 0 <= index < (1 << state.depth):
            break  # the rule rejects it before any read: no witness needed
        out.append((index, state.get_account(index), tree.prove(index)))
        if index in writes:
            tree.set(index, writes[index].leaf())
    return Witnesses(state.accounts_root, state.withdrawal_chain, out)
