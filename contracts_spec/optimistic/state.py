"""The two implementations of the rollup's account state.

:class:`FullState` holds every account and the sparse Merkle tree: the
operator, full nodes and challengers keep one. :class:`WitnessedState` holds
only the accounts a fraud proof's witnesses show: the L1 contract rebuilds it
from Merkle proofs against a step's pre-state root, runs the same
``apply_tx`` on it, and computes the post-state root from the same proofs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from contracts_spec.optimistic.rules import EMPTY_LEAF, Account, Hasher
from primitives.keccak import keccak256, keccak256_many
from primitives.smt import SparseMerkleTree, smt_root_from_proof


class FullState:
    """Every account, indexed by position and by address, with its state tree.

    Writes go to the account map at once and reach the tree at :meth:`commit`,
    which hashes every changed leaf in one batched tree update.
    """

    def __init__(self, depth: int) -> None:
        self.depth = depth
        self.accounts: dict[int, Account] = {}
        self.index_of: dict[bytes, int] = {}
        self.tree = SparseMerkleTree(depth)
        self._dirty: dict[int, Account] = {}

    def get_account(self, index: int) -> Account | None:
        return self.accounts.get(index)

    def set_account(self, index: int, account: Account) -> None:
        if index not in self.accounts:
            self.index_of.setdefault(account.address, index)
        self.accounts[index] = account
        self._dirty[index] = account

    def commit(self) -> bytes:
        """Hash the changed accounts into the tree and return the new root."""
        if self._dirty:
            dirty, self._dirty = self._dirty, {}
            return self.tree.update_many([(i, a.leaf()) for i, a in dirty.items()])
        return self.tree.root

    def take_writes(self) -> list[tuple[int, Account]]:
        """The writes since the last call, leaving their hashing to :meth:`commit_steps`."""
        dirty, self._dirty = self._dirty, {}
        return list(dirty.items())

    def commit_steps(self, steps: list[list[tuple[int, Account]]]) -> list[bytes]:
        """Hash each step's writes into the tree in order; the root after each step.

        All leaves of all steps are hashed in one batched keccak call; the tree
        then takes one batched update per step, since each root is needed.
        """
        flat = [a.address + a.balance.to_bytes(32, "big") + a.nonce.to_bytes(8, "big")
                for writes in steps for _, a in writes]
        leaves = iter(keccak256_many(flat))
        update = self.tree.update_many
        return [update([(i, next(leaves)) for i, _ in writes]) for writes in steps]

    @property
    def root(self) -> bytes:
        """The root of the committed state (call :meth:`commit` after writes)."""
        return self.tree.root

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
        twin._dirty = {}
        return twin

    def balance(self, index: int) -> int:
        """Balance of the account at ``index`` (0 when there is none)."""
        account = self.accounts.get(index)
        return account.balance if account else 0


class WitnessError(ValueError):
    """A fraud proof's witnesses are missing, duplicated or do not match the root."""


def account_leaf(account: Account | None, hasher: Hasher = keccak256) -> bytes:
    """The tree leaf of ``account``; the empty leaf when there is none."""
    return EMPTY_LEAF if account is None else account.leaf(hasher)


class WitnessedState:
    """The accounts a fraud proof shows, checked against a pre-state root.

    ``witnesses`` lists ``(index, account or None, siblings)``. The siblings of
    each witness are those of the tree *after* the writes to the witnesses
    before it: that way :meth:`post_root` checks every claimed account and
    computes the post-state root in one pass, whatever their paths share.
    A read of an account without a witness raises :class:`WitnessError`, which
    is the prover's mistake, never the batch's.
    """

    def __init__(
        self,
        depth: int,
        pre_root: bytes,
        witnesses: Iterable[tuple[int, Account | None, Sequence[bytes]]],
        hasher: Hasher = keccak256,
    ) -> None:
        self.depth = depth
        self.pre_root = pre_root
        self.hasher = hasher
        self._order: list[tuple[int, Account | None, Sequence[bytes]]] = []
        self._accounts: dict[int, Account | None] = {}
        for index, account, siblings in witnesses:
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

    def post_root(self) -> bytes:
        """Check every witness and return the root after the writes made so far."""
        root = self.pre_root
        for index, account, siblings in self._order:
            old_leaf = account_leaf(account, self.hasher)
            if smt_root_from_proof(index, old_leaf, siblings, self.depth, self.hasher) != root:
                raise WitnessError(f"the witness of account {index} does not match the state root")
            new = self._writes.get(index)
            if new is not None:
                root = smt_root_from_proof(index, new.leaf(self.hasher), siblings, self.depth, self.hasher)
        return root


def build_witnesses(state: FullState, indices: Sequence[int], writes: dict[int, Account]) -> list:
    """Witnesses of ``indices`` in the committed ``state``, in the order :class:`WitnessedState` checks.

    ``writes`` are the accounts the step writes (empty for an invalid step);
    they are applied to a scratch tree between proofs. ``state`` is unchanged.
    """
    tree = state.tree.copy() if writes else state.tree
    out: list[tuple[int, Account | None, list[bytes]]] = []
    for index in indices:
        if any(index == w[0] for w in out):
            continue
        if not 0 <= index < (1 << state.depth):
            break  # the rule rejects it before any read: no witness needed
        out.append((index, state.get_account(index), tree.prove(index)))
        if index in writes:
            tree.set(index, writes[index].leaf())
    return out
