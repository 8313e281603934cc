"""Both sides of the bisection game (``contracts_spec.optimistic.bisection``), as programs.

The proposer defends its batches with the intermediate roots it computed when
it built them (an honest one's are true; a cheating one's lead to its lie).
Whoever posted a batch without an operator of its own (a user who forced her
overdue deposit and her withdrawal in) defends it with a ``BatchDefender``,
whose full node replays the batch from L1 for the true roots: the contract
lets only a batch's proposer bisect, so an undefended batch is lost on time.
The challenger is a full node: it replays every batch, knows the true root
after every valid prefix, agrees with a claimed midpoint root exactly when it
is true, and, once one step is left, sends the one-step proof.

Any number of disputes may be open at once, so each actor plays every one
that concerns it: the challenger its own, and it opens its own against the
first wrong batch whatever disputes others have opened; the proposer every
dispute against its batches. ``act`` makes every move now due from the actor,
at most one per dispute, the most urgent first, and claims each timeout the
moment it is due, on whatever turn: in its own disputes, and in others'
against the first wrong batch while it has none of its own there (the
batch stays unfinal while any dispute is open, so it can wait for its own,
whose reward is its own). Moves come before the challenger reads
what others posted since, so a flood of batches cannot eat its clock.

Each transaction's tip rises as its deadline nears (``DeadlineFees``): a
transaction left waiting in the pool by blocks full of higher tips is
replaced, at the same nonce, with a higher one the next time the actor acts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from contracts_spec.l1 import (
    DeadlineFees,
    DeadlineSender,
    Move,
)
from contracts_spec.optimistic.bisection import (
    CHALLENGER,
    MAX_FLOOR_STEPS,
    PROPOSER,
    TURN_BISECT,
    TURN_CHOOSE,
    TURN_STEP,
    BisectionRollup,
    mover,
)
from contracts_spec.optimistic.encoding import Batch, batch_header, entry_proof
from contracts_spec.optimistic.rules import InvalidTransaction, apply_tx
from contracts_spec.optimistic.state import FullState
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import FullNode, disputed_step_witnesses, recover_batch_signers
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.operator import Operator


@dataclass(frozen=True)
class Dispute:
    """One dispute as the contract's ``dispute(id)`` view reports it."""

    id: int
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
    timeout_due: bool
    moot: bool

    @property
    def mid(self) -> int:
        return (self.lo + self.hi) // 2

    @property
    def mover(self) -> int:
        """``PROPOSER`` or ``CHALLENGER``: whose clock runs now."""
        return mover(self.turn)

    def clock(self, side: int) -> int:
        return self.proposer_clock if side == PROPOSER else self.challenger_clock


def read_dispute(rollup: RollupL1, dispute_id: int | None = None) -> Dispute:
    """Dispute ``dispute_id`` (default: the latest opened) as L1 reports it now."""
    if dispute_id is None:
        dispute_id = max(rollup.call("dispute_count") - 1, 0)
    return Dispute(dispute_id, *rollup.call("dispute", dispute_id))


class DisputeBook:
    """Every dispute of a rollup as its events tell, read incrementally: who opened which, which ended."""

    def __init__(self, rollup: RollupL1) -> None:
        self.rollup = rollup
        self.opened: dict[int, tuple[int, str]] = {}  # id -> (batch index, challenger)
        self.ended: set[int] = set()
        self._next_block = 0

    def sync(self) -> None:
        l1, head = self.rollup.l1, self.rollup.l1.block_number()
        if head < self._next_block:
            return
        for ev in l1.events(self.rollup.address, BisectionRollup, "DisputeOpened", self._next_block, head):
            self.opened[ev["id"]] = (ev["index"], ev["challenger"])
        for ev in l1.events(self.rollup.address, BisectionRollup, "DisputeResolved", self._next_block, head):
            self.ended.add(ev["id"])
        self._next_block = head + 1

    def open_ids(self, *, challenger: str | None = None, index: int | None = None) -> list[int]:
        """Ids of disputes not ended yet, by ``challenger`` or against batch ``index`` if given."""
        return [i for i, (at, who) in sorted(self.opened.items()) if i not in self.ended
                and (challenger is None or int(who, 16) == int(challenger, 16))
                and (index is None or at == index)]


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


class _Player:
    """What both sides share: a rollup, a key, a fee-bumping sender, and the dispute book."""

    def __init__(self, rollup: RollupL1, key: bytes, fees: DeadlineFees | None, wait: float | None) -> None:
        self.rollup = rollup
        self.key = key
        self.address = private_key_to_address(key)
        self.sender = DeadlineSender(rollup.l1, key, fees, wait)
        self.receipts = self.sender.receipts
        self.book = DisputeBook(rollup)
        self.window = rollup.params().challenge_window
        self.clock = rollup.call("move_clock")

    def moves(self) -> Iterator[Move]:
        """The moves now due from this actor, most urgent first, each decided on fresh L1 state."""
        raise NotImplementedError

    def act(self) -> dict | None:
        """Make every move now due from this actor; the last receipt (None if none was made or one waits)."""
        last = None
        for move in self.moves():
            receipt = self.sender.send(self.rollup.address, self.rollup.contract, move)
            if receipt is None:
                return None  # waiting in the pool: anything sent now would queue behind it
            last = receipt
        return last

    def _urgent_first(self, ids: list[int], side: int) -> Iterator[Dispute]:
        """The disputes ``ids``, least time left on ``side``'s clock first, each re-read just before its move."""
        for d in sorted((read_dispute(self.rollup, i) for i in ids), key=lambda d: d.clock(side)):
            fresh = read_dispute(self.rollup, d.id)
            if fresh.open:
                yield fresh

    def _free(self, method: str, *args: object) -> Move:
        """A move with no deadline of its own (a dismissal, a timeout already due): the floor tip."""
        return Move(method, args, self.clock, self.clock)


class BisectionChallenger(_Player):
    """A full node with a key that disputes wrong batches and plays each of its disputes to the end.

    ``honest=False`` makes a liar: it disagrees with every midpoint, true or
    not, and opens disputes only when told to (``open``).
    """

    def __init__(self, rollup: RollupL1, key: bytes, *, honest: bool = True, bond: int | None = None,
                 fees: DeadlineFees | None = None, wait: float | None = None) -> None:
        super().__init__(rollup, key, fees, wait)
        self.node = FullNode(rollup)
        self.honest = honest
        self.bond = bond if bond is not None else rollup.params().min_bond

    def open(self, index: int) -> dict | None:
        """Dispute batch ``index`` (the honest challenger does on a fault; a liar on anything)."""
        if index >= len(self.node.batches):
            self.node.sync()
        return self.sender.send(self.rollup.address, self.rollup.contract, self._open_move(index))

    def _open_move(self, index: int) -> Move:
        known = self.node.batches[index]
        return Move("open_dispute", (index, batch_header(known.data, known.batch).encode()),
                    self.rollup.call("challenge_time_left", index), self.window, self.bond)

    def claim_timeout(self, dispute_id: int | None = None) -> dict | None:
        """Claim a timeout (default: in this challenger's latest dispute)."""
        if dispute_id is None:
            self.book.sync()
            dispute_id = self.book.open_ids(challenger=self.address)[-1]
        return self.sender.send(self.rollup.address, self.rollup.contract, self._free("timeout", dispute_id))

    def moves(self) -> Iterator[Move]:
        self.book.sync()
        for d in self._urgent_first(self.book.open_ids(challenger=self.address), CHALLENGER):
            move = self._play(d)
            if move is not None:
                yield move
        self.node.sync()  # only now what others posted since
        faults = self.node.faults()
        if not faults:
            return
        index = faults[0].index
        live = [d for d in self._urgent_first(self.book.open_ids(index=index), CHALLENGER) if not d.moot]
        mine = any(int(d.challenger, 16) == int(self.address, 16) for d in live)
        if not mine:  # with a dispute of its own, it wins that one: a claim of another's would pay that challenger
            for d in live:
                if d.timeout_due and d.mover == PROPOSER:  # the fraud goes sooner, whoever's dispute it is
                    yield self._free("timeout", d.id)
        # Re-read after the timeouts just sent: one of them may have struck the claim already.
        if self.honest and not mine and index < self.rollup.call("batch_count") \
                and self.rollup.call("challenge_time_left", index) > 0:
            yield self._open_move(index)

    def _play(self, d: Dispute) -> Move | None:
        """This challenger's move in its dispute ``d``, if one is due."""
        if d.moot:
            return self._free("dismiss", d.id)
        if d.timeout_due:
            return self._free("timeout", d.id) if d.mover == PROPOSER else None
        if d.mover != CHALLENGER:
            return None
        if d.index >= len(self.node.batches):
            self.node.sync()  # after a restart: the disputed batch is not known yet
        known = self.node.batches[d.index]
        left = d.challenger_clock
        if d.turn == TURN_CHOOSE:
            if self.honest:
                roots = valid_prefix_roots(known.base, known.batch, self.node.domain_separator)
                agree = d.mid < len(roots) and roots[d.mid] == d.mid_root
            else:
                agree = False
            return Move("choose", (d.id, agree), left, self.clock)
        args = one_step_proof(known.base, known.batch, known.data, d.index, self.node.domain_separator, d.lo)
        return Move("prove_step", (d.id, *args), left, self.clock)


@dataclass(frozen=True)
class Claim:
    """What a proposer stands behind in one batch: the state it starts from, the batch, its calldata, and the
    root it claims after each step (``roots[k]`` after ``k`` steps; an honest one's are the true ones)."""

    base: FullState | None
    batch: Batch
    data: bytes
    roots: list[bytes]


class _ProposerSide(_Player):
    """The proposer's side of every dispute against the batches ``_claim`` knows: bisect with its claimed roots,
    prove a valid last step, claim the challenger's timeout the moment it is due, dismiss disputes whose batch
    is gone, and move the finality floor on when it holds one of these batches back."""

    stalls = False

    def _claim(self, index: int) -> Claim | None:
        """This side's claim in batch ``index``, or None if the batch is not one it defends."""
        raise NotImplementedError

    def _domain(self) -> bytes:
        raise NotImplementedError

    def moves(self) -> Iterator[Move]:
        if self.stalls:
            return
        self.book.sync()
        for d in self._urgent_first(self.book.open_ids(), PROPOSER):
            if d.moot:
                yield self._free("dismiss", d.id)
            elif (claim := self._claim(d.index)) is not None:
                move = self._play(d, claim)
                if move is not None:
                    yield move
        open_total, floor = self.rollup.call("finality")
        if open_total and floor < self.rollup.call("batch_count") and self._claim(floor) is not None \
                and not self.rollup.call("open_disputes", floor):
            yield self._free("advance_finality", MAX_FLOOR_STEPS)

    def _play(self, d: Dispute, claim: Claim) -> Move | None:
        if d.timeout_due:
            return self._free("timeout", d.id) if d.mover == CHALLENGER else None
        if d.turn == TURN_BISECT:
            if d.mid >= len(claim.roots):
                return None  # nothing to claim there: the side that cannot answer loses on time
            return Move("bisect", (d.id, claim.roots[d.mid]), d.proposer_clock, self.clock)
        if d.turn == TURN_STEP:
            if claim.base is None:
                raise RuntimeError("the proposer's sequencer keeps no checkpoints: it cannot prove a step")
            domain = self._domain()
            true = valid_prefix_roots(claim.base, claim.batch, domain)
            if d.hi < len(true) and true[d.lo] == d.root_lo and true[d.hi] == d.root_hi:
                args = one_step_proof(claim.base, claim.batch, claim.data, d.index, domain, d.lo)
                return Move("prove_step", (d.id, *args), d.challenger_clock, self.clock)
        return None  # the challenger's turn (TURN_CHOOSE), or a step this proposer would lose


class BisectionProposer(_ProposerSide):
    """The operator's side of every dispute against its batches, defended with the intermediate roots it
    computed when it built them (an honest one's are true; a cheating one's lead to its lie).

    ``stalls=True`` makes a proposer that never moves, to lose on time.
    """

    def __init__(self, operator: Operator, *, stalls: bool = False, fees: DeadlineFees | None = None,
                 wait: float | None = None) -> None:
        super().__init__(operator.rollup, operator.key, fees, wait)
        self.operator = operator
        self.stalls = stalls

    def _claim(self, index: int) -> Claim | None:
        posted = self.operator.posted
        if not (index < len(posted) and int(posted[index].proposer, 16) == int(self.address, 16)):
            return None
        sealed = posted[index].sealed
        batch = sealed.batch
        return Claim(sealed.base, batch, sealed.data, [batch.prev_root] + [e.root for e in batch.entries])

    def _domain(self) -> bytes:
        return self.operator.sequencer.domain_separator


class BatchDefender(_ProposerSide):
    """The proposer's side for whoever posted a batch without an operator of its own: a user who forced her
    overdue deposit (and her withdrawal) in (``force_deposits``). It needs L1 alone: a full node replays the
    batches, so its roots are the true ones. Without it, a liar's dispute against her honest batch wins on
    time: the batch goes, and her bond with it."""

    def __init__(self, rollup: RollupL1, key: bytes, *, fees: DeadlineFees | None = None,
                 wait: float | None = None) -> None:
        super().__init__(rollup, key, fees, wait)
        self.node = FullNode(rollup)

    def moves(self) -> Iterator[Move]:
        self.node.sync()  # what L1 holds now: new batches, reverts, re-proposals
        yield from super().moves()

    def _claim(self, index: int) -> Claim | None:
        if index >= len(self.node.batches):
            return None
        known = self.node.batches[index]
        if int(known.proposer, 16) != int(self.address, 16):
            return None
        return Claim(known.base, known.batch, known.data,
                     valid_prefix_roots(known.base, known.batch, self.node.domain_separator))

    def _domain(self) -> bytes:
        return self.node.domain_separator


def _mined_soon(actors: tuple[_Player, ...], seconds: float) -> bool:
    """Whether a move some actor left waiting in the pool is mined within ``seconds`` (its receipt then joins
    the actor's). anvil mines an automined transaction off the request, so a receipt can come a moment after
    the hash; a move still waiting after that waits for blocks, not for a moment."""
    deadline = time.monotonic() + seconds
    while any(a.sender.pending is not None for a in actors):
        if any(a.sender.poll() is not None for a in actors if a.sender.pending is not None):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return False


def play(*actors: _Player, max_moves: int = 200, settle_seconds: float = 1.0) -> int:
    """Let the actors move in turn until none has anything to do; the number of moves made.

    A round in which no move was mined but one waits in the pool gives it ``settle_seconds`` to be mined
    before the game counts as over."""
    moves = 0
    while moves < max_moves:
        before = sum(len(a.receipts) for a in actors)
        for actor in actors:
            actor.act()
        made = sum(len(a.receipts) for a in actors) - before
        if not made:
            if not _mined_soon(actors, settle_seconds):
                return moves
            made = sum(len(a.receipts) for a in actors) - before
        moves += made
    raise RuntimeError(f"the disputes did not end within {max_moves} moves")


__all__ = [
    "BatchDefender",
    "BisectionChallenger",
    "BisectionProposer",
    "Claim",
    "DeadlineSender",
    "Dispute",
    "DisputeBook",
    "Move",
    "TURN_BISECT",
    "TURN_CHOOSE",
    "TURN_STEP",
    "one_step_proof",
    "play",
    "read_dispute",
    "valid_prefix_roots",
]
