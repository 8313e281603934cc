"""Both sides of the bisection game (``contracts_spec.optimistic.bisection``), as programs.

The proposer defends a batch with the intermediate roots it computed when it
built the batch (an honest one's are true; a cheating one's lead to its lie).
The challenger is a full node: it replays the disputed batch, knows the true
root after every valid prefix, agrees with a claimed midpoint root exactly
when it is true, and, once one step is left, sends the one-step proof.

Each actor's ``act`` makes at most the one move the contract waits for from
it, so tests and the benchmark can interleave them, stop one (to lose on
time), or script a liar.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts_spec.optimistic.bisection import TURN_BISECT, TURN_CHOOSE, TURN_STEP
from contracts_spec.optimistic.encoding import Batch, batch_header, entry_proof
from contracts_spec.optimistic.rules import InvalidTransaction, apply_tx
from contracts_spec.optimistic.state import FullState
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import FullNode, disputed_step_witnesses, recover_batch_signers
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.operator import Operator


@dataclass(frozen=True)
class Dispute:
    """The open dispute as the contract's ``dispute()`` view reports it."""

    open: bool
    index: int
    challenger: str
    lo: int
    hi: int
    root_lo: bytes
    root_hi: bytes
    mid_root: bytes
    turn: int
    proposer_clock: int
    challenger_clock: int

    @property
    def mid(self) -> int:
        return (self.lo + self.hi) // 2


def read_dispute(rollup: RollupL1) -> Dispute:
    return Dispute(*rollup.call("dispute"))


def valid_prefix_roots(base: FullState, batch: Batch, domain_separator: bytes) -> list[bytes]:
    """``roots[k]`` = the true root after ``k`` steps, for every ``k`` up to the first invalid step."""
    state = base.copy()
    signers = recover_batch_signers(batch, domain_separator)
    roots = [state.root]
    for step, (tx, _) in enumerate(batch.entries):
        try:
            apply_tx(state, tx, signers[step])
        except InvalidTransaction:
            break
        roots.append(state.commit())
    return roots


def one_step_proof(base: FullState, batch: Batch, data: bytes, index: int, domain_separator: bytes,
                   step: int) -> tuple[bytes, list[bytes], bytes]:
    """``prove_step``'s arguments for ``step``: the compact entry, its Merkle path, the witnesses."""
    entry, proof = entry_proof(data, step)
    return entry, proof, disputed_step_witnesses(base, batch, index, domain_separator, step)


class BisectionChallenger:
    """A full node with a key that disputes wrong batches and plays the game to the one-step proof.

    ``honest=False`` makes a liar: it disagrees with every midpoint, true or not.
    """

    def __init__(self, rollup: RollupL1, key: bytes, *, honest: bool = True, bond: int | None = None) -> None:
        self.rollup = rollup
        self.key = key
        self.address = private_key_to_address(key)
        self.node = FullNode(rollup)
        self.honest = honest
        self.bond = bond if bond is not None else rollup.params().min_bond
        self.receipts: list[dict] = []

    def _send(self, method: str, *args: object, value: int = 0) -> dict:
        receipt = self.rollup.transact(self.key, method, *args, value=value)
        self.receipts.append(receipt)
        return receipt

    def open(self, index: int) -> dict:
        """Dispute batch ``index`` (the honest watcher calls this on a fault; a liar on anything)."""
        known = self.node.batches[index]
        return self._send("open_dispute", index, batch_header(known.data, known.batch).encode(), value=self.bond)

    def act(self) -> dict | None:
        """Make the move the game waits for from this challenger, if any; its receipt."""
        self.node.sync()
        d = read_dispute(self.rollup)
        if not d.open:
            faults = self.node.faults()
            return self.open(faults[0].index) if faults and self.honest else None
        if int(d.challenger, 16) != int(self.address, 16):
            return None
        known = self.node.batches[d.index]
        if d.turn == TURN_CHOOSE:
            if self.honest:
                roots = valid_prefix_roots(known.base, known.batch, self.node.domain_separator)
                agree = d.mid < len(roots) and roots[d.mid] == d.mid_root
            else:
                agree = False
            return self._send("choose", agree)
        if d.turn == TURN_STEP:
            args = one_step_proof(known.base, known.batch, known.data, d.index, self.node.domain_separator, d.lo)
            return self._send("prove_step", *args)
        if d.turn == TURN_BISECT and d.proposer_clock == 0:
            return self.claim_timeout()
        return None

    def claim_timeout(self) -> dict:
        return self._send("timeout")


class BisectionProposer:
    """The operator's side of a dispute: it answers each bisection with its own intermediate root.

    ``stalls=True`` makes a proposer that never moves, to lose on time.
    """

    def __init__(self, operator: Operator, *, stalls: bool = False) -> None:
        self.operator = operator
        self.rollup = operator.rollup
        self.stalls = stalls
        self.receipts: list[dict] = []

    def act(self) -> dict | None:
        """Bisect when it is the proposer's turn on one of its batches; its receipt."""
        d = read_dispute(self.rollup)
        if not d.open or self.stalls or d.index >= len(self.operator.posted):
            return None
        posted = self.operator.posted[d.index]
        if int(posted.proposer, 16) != int(self.operator.address, 16):
            return None
        if d.turn == TURN_BISECT:
            batch = posted.sealed.batch
            roots = [batch.prev_root] + [e.root for e in batch.entries]
            receipt = self.rollup.transact(self.operator.key, "bisect", roots[d.mid])
        elif d.turn == TURN_CHOOSE and d.challenger_clock == 0:
            receipt = self.rollup.transact(self.operator.key, "timeout")
        else:
            return None
        self.receipts.append(receipt)
        return receipt


def play(proposer: BisectionProposer, challenger: BisectionChallenger, max_moves: int = 200) -> int:
    """Let both sides move until neither has anything to do; the number of moves made."""
    moves = 0
    while moves < max_moves:
        made = [r for r in (challenger.act(), proposer.act()) if r is not None]
        if not made:
            return moves
        moves += len(made)
    raise RuntimeError(f"the dispute did not end within {max_moves} moves")
