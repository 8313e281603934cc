"""The full L2 state: accounts by index and their Poseidon quad tree, with the witnesses a batch needs.

``ZkState`` is what the operator and the full node keep. It answers
``apply_op``'s reads (:class:`rules.StateView`) and applies an
:class:`rules.Effect` write by write, returning for each write the old leaf,
its Merkle proof before the write and the new leaf: what the circuit takes
as private inputs for that leaf update.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts_spec.zk.rules import Account, Effect, Op, apply_op
from primitives.snark.quadtree import QuadTree


@dataclass(frozen=True)
class LeafUpdate:
    index: int
    old: Account | None
    new: Account
    proof: tuple[tuple[int, int, int], ...]  # siblings before the write
    old_root: int
    new_root: int


class ZkState:
    """Accounts and their tree; ``apply`` runs the rules and writes, ``copy`` forks a pending state."""

    def __init__(self, depth_bits: int, domain: int) -> None:
        self.depth_bits = depth_bits
        self.domain = domain
        self.tree = QuadTree(depth_bits)
        self.accounts: dict[int, Account] = {}

    @property
    def root(self) -> int:
        return self.tree.root

    def account(self, index: int) -> Account | None:
        return self.accounts.get(index)

    def copy(self) -> ZkState:
        other = ZkState.__new__(ZkState)
        other.depth_bits, other.domain = self.depth_bits, self.domain
        other.tree = self.tree.copy()
        other.accounts = dict(self.accounts)
        return other

    def write(self, effect: Effect) -> list[LeafUpdate]:
        """Apply an effect's writes in order; the witnesses of each leaf update."""
        out = []
        for index, new in effect.writes:
            old = self.accounts.get(index)
            proof = self.tree.proof(index)
            old_root = self.tree.root
            self.tree.set(index, new.leaf())
            self.accounts[index] = new
            out.append(LeafUpdate(index, old, new, proof, old_root, self.tree.root))
        return out

    def apply(self, op: Op, *, authorised: bool = False) -> tuple[Effect, list[LeafUpdate]]:
        """Run the rules on ``op`` and write its effect; OpRefused leaves the state unchanged."""
        effect = apply_op(self, op, authorised=authorised)
        return effect, self.write(effect)

    def total_balance(self) -> int:
        return sum(a.balance for a in self.accounts.values())
