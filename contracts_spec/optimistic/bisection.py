"""The optimistic rollup with an interactive fraud proof: a bisection game, as Arbitrum and the OP Stack play it.

What changes from :class:`~contracts_spec.optimistic.contract.OptimisticRollup`
    A batch is *compact* (``encoding``, version 2): its entries carry no
    intermediate roots, only the final ``post_root`` is claimed, so posting
    costs 32 calldata bytes less per entry. L1 still computes the entries'
    Merkle root from the calldata. Bonds, deposits, forced inclusion,
    withdrawals and the verdict on a wrong claim are the same; ``prove_fraud``
    is replaced by the game below.

The game (any number at once)
    ``open_dispute(index, header)`` with a bond of at least ``min_bond``, while
    the batch's challenge window is open: the challenger says the batch's
    post_root is wrong, and gets the next dispute id. Any number of disputes
    may be open against one batch, each with its own players, game and
    clocks, so a sham dispute opened first by a friend of the proposer takes
    nothing from an honest challenger's own. In each, both sides agree on the
    root after ``lo = 0`` steps (prev_root) and disagree on the root after
    ``hi = n`` steps. Then, while ``hi - lo > 1``:

    - the proposer ``bisect``s: it posts the root it claims after
      ``mid = (lo + hi) // 2`` steps;
    - the challenger ``choose``s: agreeing moves ``lo`` to ``mid``,
      disagreeing moves ``hi`` to ``mid``.

    After about ``log2(n)`` rounds one step is left: ``prove_step`` brings
    entry ``lo`` with its Merkle path and the account witnesses, and L1 runs
    that one step with the same ``apply_tx`` from the agreed root. If the
    step does not reach the proposer's root at ``hi`` (an invalid step is a
    no-op), the challenger wins: the batch's claim is shown wrong and, with
    every later claim, waits to be re-proposed, while the posted data stays;
    the proposer's bond is slashed (reward to the challenger) and the
    challenger's bond returned. Otherwise the proposer wins the challenger's
    bond (the same share; the rest burned). A dispute whose claim no longer
    stands (another dispute won first) or was re-proposed ends with no
    winner: ``dismiss``, or its next ``prove_step`` or ``timeout``, returns
    the bond.

Clocks
    Each side of each dispute has ``move_clock`` seconds in total for its
    moves (a chess clock); the mover may move while its clock shows zero or
    more. Once it is below zero, *anyone* may call ``timeout`` on whatever
    turn it is, and the other side wins.

Finality
    A batch is final once its challenge window has passed and no dispute is
    open against it or against an earlier batch (whose claim, were it shown
    wrong, would take this one's along). L1 decides that in O(1): it counts open disputes per batch and in
    total, and keeps ``floor``, a lower bound on the lowest batch with an open
    dispute; batches below it are not held back. Closing a dispute moves the
    floor over a few batches with none open; ``advance_finality`` lets whoever
    waits move it further, in pages. A new dispute can only open inside its
    batch's window, which closes no later than any later batch's, so a batch
    once final stays final.

Bounded work
    No call loops over batches or disputes others can add: the verdict of a
    won dispute touches no later batch (the single-round rollup's O(1)
    verdict), so a proposer that posts thousands of batches during its own
    move cannot price the challenger's winning move out of a block, and the
    finality floor moves in bounded pages.
"""

from __future__ import annotations

from contracts_spec.optimistic.contract import ADDRESS_MASK, OptimisticRollup
from contracts_spec.optimistic.encoding import (
    VERSION_COMPACT,
    BatchFormatError,
    decode_entry,
    proof_length,
)
from contracts_spec.runtime import (
    ZERO_ADDRESS,
    Context,
    Revert,
    constructor,
    event,
    external,
    register,
    same_address,
    view,
)
from primitives.merkle import verify_merkle_proof

# Whose move it is.
TURN_BISECT, TURN_CHOOSE, TURN_STEP = 0, 1, 2
TURN_NAMES = {TURN_BISECT: "proposer bisects", TURN_CHOOSE: "challenger chooses", TURN_STEP: "one-step proof"}
PROPOSER, CHALLENGER = 0, 1

# Batches with no open dispute that closing a dispute moves the finality floor over.
FLOOR_STEPS_ON_CLOSE = 4
# At most this many batches per advance_finality call.
MAX_FLOOR_STEPS = 256



def mover(turn: int) -> int:
    """The side whose clock runs on ``turn``: the proposer bisects, the challenger chooses and proves the step."""
    return PROPOSER if turn == TURN_BISECT else CHALLENGER


@register
class BisectionRollup(OptimisticRollup):
    """The optimistic rollup whose frauds are found by bisection and judged one step at a time."""

    BATCH_VERSION = VERSION_COMPACT

    DisputeOpened = event(
        "DisputeOpened(uint256 indexed id, uint256 indexed index, address indexed challenger, uint256 steps, "
        "uint256 bond)"
    )
    Bisected = event("Bisected(uint256 indexed id, uint256 lo, uint256 hi, uint256 mid, bytes32 mid_root)")
    Chosen = event("Chosen(uint256 indexed id, bool agree, uint256 lo, uint256 hi)")
    DisputeResolved = event(
        "DisputeResolved(uint256 indexed id, uint256 indexed index, address indexed winner, string reason, "
        "uint256 reward, uint256 burned)"
    )

    @constructor("address", "uint8", "uint64", "uint64", "uint256", "uint8", "uint32", "uint64")
    def init(
        self, ctx: Context, operator: str, depth: int, window: int, deadline: int,
        min_bond: int, reward_percent: int, max_batch_bytes: int, move_clock: int,
    ) -> None:
        ctx.require(move_clock > 0, "move clock of zero seconds")
        OptimisticRollup.init(self, ctx, operator, depth, window, deadline, min_bond, reward_percent, max_batch_bytes)
        ctx.sstore("move_clock", move_clock)

    @external("prove_fraud(uint256,bytes,uint256,bytes,bytes32[],bytes,bytes32[],bytes)")
    def prove_fraud(
        self, ctx: Context, index: int, header_bytes: bytes, step: int, entry: bytes, entry_proof: list[bytes],
        prev_entry: bytes, prev_proof: list[bytes], witnesses: bytes,
    ) -> None:
        raise Revert("this rollup has no intermediate roots to prove against: open_dispute and bisect")

    # Storage words are packed: 48-bit step counters and batch index, 64-bit times and counts.
    _W48 = (1 << 48) - 1
    _W64 = (1 << 64) - 1

    # -- finality --------------------------------------------------------------------

    def _window_open(self, ctx: Context, index: int) -> bool:
        """True while batch ``index``'s challenge window runs: disputes may be opened against it."""
        _, submitted, _ = self._meta(ctx, index)
        return ctx.timestamp < submitted + ctx.sload("window")

    def _finality(self, ctx: Context) -> tuple[int, int]:
        """(disputes open in all, floor), one word."""
        word = ctx.sload("finality")
        return word & self._W64, word >> 64

    def _set_finality(self, ctx: Context, open_total: int, floor: int) -> None:
        ctx.sstore("finality", open_total | floor << 64)

    def _is_final(self, ctx: Context, index: int) -> bool:
        """Final as the single-round rollup has it (the window has passed), and no dispute holds it back."""
        if not super()._is_final(ctx, index):
            return False
        open_total, floor = self._finality(ctx)
        return not open_total or index < floor

    def _raise_floor(self, ctx: Context, open_total: int, floor: int, steps: int) -> int:
        """Store the count and the floor moved over up to ``steps`` batches with no open dispute; the floor."""
        count, start = ctx.sload("batches"), floor
        while floor - start < steps and floor < count and not ctx.sload("open_against", floor):
            floor += 1
        self._set_finality(ctx, open_total, floor)
        return floor

    @external("advance_finality(uint256)")
    def advance_finality(self, ctx: Context, steps: int) -> None:
        """Move the finality floor over up to ``steps`` (at most 256) batches against which no dispute is open."""
        ctx.require(0 < steps <= MAX_FLOOR_STEPS, f"steps {steps} out of range 1..{MAX_FLOOR_STEPS}")
        open_total, floor = self._finality(ctx)
        ctx.require(open_total, "no dispute is open: every batch past its window is final")
        ctx.require(self._raise_floor(ctx, open_total, floor, steps) != floor,
                    f"batch {floor} has an open dispute (or none follows)")

    # -- the game's storage, per dispute id: a move writes two slots -----------------

    def _game(self, ctx: Context, dispute: int) -> tuple[int, int, int, int, int]:
        """(batch index, lo, hi, steps, turn) of dispute ``dispute``."""
        word = ctx.sload("d_game", dispute)
        w = self._W48
        return word >> 152, word & w, (word >> 48) & w, (word >> 96) & w, (word >> 144) & 0xFF

    def _set_game(self, ctx: Context, dispute: int, index: int, lo: int, hi: int, steps: int, turn: int) -> None:
        ctx.sstore("d_game", dispute, lo | hi << 48 | steps << 96 | turn << 144 | index << 152)

    def _clocks(self, ctx: Context, dispute: int) -> tuple[int, list[int]]:
        """(time of the last move, [proposer's seconds left, challenger's]) as stored at the last move."""
        word = ctx.sload("d_time", dispute)
        w = self._W64
        return word & w, [(word >> 64) & w, word >> 128]

    def _set_clocks(self, ctx: Context, dispute: int, last: int, clocks: list[int]) -> None:
        ctx.sstore("d_time", dispute, last | clocks[0] << 64 | clocks[1] << 128)

    def _challenger(self, ctx: Context, dispute: int) -> tuple[str, int]:
        """The challenger's address and bond (one word: address low, bond high; zero once closed)."""
        word = ctx.sload("d_challenger", dispute)
        return "0x" + (word & ADDRESS_MASK).to_bytes(20, "big").hex(), word >> 160

    def _left(self, ctx: Context, dispute: int, turn: int) -> int:
        """Seconds the side to move has left now (negative once it ran out)."""
        last, clocks = self._clocks(ctx, dispute)
        return clocks[mover(turn)] - (ctx.timestamp - last)

    def _root_lo(self, ctx: Context, dispute: int, lo: int) -> bytes:
        """The agreed root after ``lo`` steps: prev_root until the challenger first agrees."""
        return ctx.sload_bytes32("d_root_lo", dispute) if lo else ctx.sload_bytes32("d_prev_root", dispute)

    def _moot(self, ctx: Context, dispute: int, index: int) -> bool:
        """True when the disputed claim no longer stands: another dispute won first, or it was re-proposed."""
        return index >= ctx.sload("batches") or \
            ctx.sload_bytes32("commitment", index) != ctx.sload_bytes32("d_commitment", dispute)

    # -- opening and moving ------------------------------------------------------------

    @external("open_dispute(uint256,bytes)", payable=True)
    def open_dispute(self, ctx: Context, index: int, header_bytes: bytes) -> None:
        """Dispute batch ``index``'s post_root, bonding ``msg.value``; the id is in ``DisputeOpened``."""
        count = ctx.sload("batches")
        ctx.require(index < count, f"batch {index} has no standing claim to dispute")
        ctx.require(self._window_open(ctx, index), f"batch {index}'s challenge window has closed")
        header = self._live_header(ctx, index, count, header_bytes)
        ctx.require(ctx.value >= ctx.sload("min_bond"), "challenger bond below the minimum")
        ctx.require(ctx.value < 1 << 96, "challenger bond above 2**96 wei")
        dispute = ctx.sload("disputes")
        ctx.sstore("disputes", dispute + 1)
        n = header.entry_count
        clock = ctx.sload("move_clock")
        ctx.sstore("d_challenger", dispute, int(ctx.sender, 16) | ctx.value << 160)
        self._set_game(ctx, dispute, index, 0, n, n, TURN_STEP if n == 1 else TURN_BISECT)
        self._set_clocks(ctx, dispute, ctx.timestamp, [clock, clock])
        ctx.sstore_bytes32("d_commitment", dispute, ctx.sload_bytes32("commitment", index))
        ctx.sstore_bytes32("d_prev_root", dispute, header.prev_root)
        ctx.sstore_bytes32("d_entries_root", dispute, header.entries_root)
        ctx.sstore_bytes32("d_root_hi", dispute, header.post_root)  # the root at lo = 0 is prev_root
        ctx.sstore("open_against", index, ctx.sload("open_against", index) + 1)
        open_total, floor = self._finality(ctx)
        self._set_finality(ctx, open_total + 1, index if not open_total else min(floor, index))
        ctx.emit(self.DisputeOpened, dispute, index, ctx.sender, n, ctx.value)

    def _spend_clock(self, ctx: Context, dispute: int, turn: int) -> None:
        """Charge the side to move for the time since the last move; it must not have run out."""
        side = mover(turn)
        last, clocks = self._clocks(ctx, dispute)
        left = clocks[side] - (ctx.timestamp - last)
        ctx.require(left >= 0, f"the {'proposer' if side == PROPOSER else 'challenger'}'s clock has run out: "
                               "call timeout")
        clocks[side] = left
        self._set_clocks(ctx, dispute, ctx.timestamp, clocks)

    def _require_turn(self, ctx: Context, dispute: int, turn: int) -> tuple[int, int, int, int]:
        """The disputed batch index and (lo, hi, steps), once it is ``turn``'s move in open dispute ``dispute``."""
        ctx.require(ctx.sload("d_challenger", dispute), f"dispute {dispute} is not open")
        index, lo, hi, steps, current = self._game(ctx, dispute)
        ctx.require(current == turn, f"not this move's turn: it is the {TURN_NAMES[current]} turn")
        return index, lo, hi, steps

    @external("bisect(uint256,bytes32)")
    def bisect(self, ctx: Context, dispute: int, mid_root: bytes) -> None:
        """The proposer claims the root after ``(lo + hi) // 2`` steps."""
        index, lo, hi, steps = self._require_turn(ctx, dispute, TURN_BISECT)
        proposer, _, _ = self._meta(ctx, index)
        ctx.require(same_address(ctx.sender, proposer), "only the batch's proposer bisects")
        self._spend_clock(ctx, dispute, TURN_BISECT)
        mid = (lo + hi) // 2
        ctx.sstore_bytes32("d_mid_root", dispute, mid_root)
        self._set_game(ctx, dispute, index, lo, hi, steps, TURN_CHOOSE)
        ctx.emit(self.Bisected, dispute, lo, hi, mid, mid_root)

    @external("choose(uint256,bool)")
    def choose(self, ctx: Context, dispute: int, agree: bool) -> None:
        """The challenger agrees with the root at mid (the fault is later) or not (it is earlier)."""
        index, lo, hi, steps = self._require_turn(ctx, dispute, TURN_CHOOSE)
        ctx.require(same_address(ctx.sender, self._challenger(ctx, dispute)[0]), "only the challenger chooses")
        self._spend_clock(ctx, dispute, TURN_CHOOSE)
        mid = (lo + hi) // 2
        mid_root = ctx.sload_bytes32("d_mid_root", dispute)
        if agree:
            lo = mid
            ctx.sstore_bytes32("d_root_lo", dispute, mid_root)
        else:
            hi = mid
            ctx.sstore_bytes32("d_root_hi", dispute, mid_root)
        self._set_game(ctx, dispute, index, lo, hi, steps, TURN_STEP if hi - lo == 1 else TURN_BISECT)
        ctx.emit(self.Chosen, dispute, agree, lo, hi)

    @external("prove_step(uint256,bytes,bytes32[],bytes)")
    def prove_step(self, ctx: Context, dispute: int, entry: bytes, proof: list[bytes], witnesses: bytes) -> None:
        """Run step ``lo`` from the agreed root: the verdict decides the dispute either way."""
        index, step, _, steps = self._require_turn(ctx, dispute, TURN_STEP)
        challenger, _ = self._challenger(ctx, dispute)
        proposer, _, _ = self._meta(ctx, index)
        ctx.require(same_address(ctx.sender, challenger) or same_address(ctx.sender, proposer),
                    "only the two parties prove the last step")
        if self._moot(ctx, dispute, index):
            self._end_moot(ctx, dispute, index)
            return
        self._spend_clock(ctx, dispute, TURN_STEP)
        expected = proof_length(steps)
        ctx.require(len(proof) == expected, f"entry proof has {len(proof)} siblings, expected {expected}")
        ctx.require(
            verify_merkle_proof(ctx.sload_bytes32("d_entries_root", dispute), ctx.keccak(entry), step, proof,
                                hasher=ctx.keccak),
            f"entry is not step {step} of the batch: inclusion proof does not match",
        )
        try:
            tx = decode_entry(entry, compact=True).tx
        except BatchFormatError as exc:  # unreachable for a posted batch, which decoded at submission
            raise Revert(f"entry: {exc}") from None
        reason = self._judge_step(ctx, self._root_lo(ctx, dispute, step), tx, ctx.sload_bytes32("d_root_hi", dispute),
                                  witnesses)
        if reason:
            self._challenger_wins(ctx, dispute, index, step, f"step {step}: {reason}")
        else:
            self._proposer_wins(ctx, dispute, index, f"step {step} is valid")

    @external("timeout(uint256)")
    def timeout(self, ctx: Context, dispute: int) -> None:
        """Anyone ends dispute ``dispute`` against the side to move once its clock has run out, on any turn."""
        ctx.require(ctx.sload("d_challenger", dispute), f"dispute {dispute} is not open")
        index, lo, _, _, turn = self._game(ctx, dispute)
        left = self._left(ctx, dispute, turn)
        ctx.require(left < 0, f"the side to move still has {max(left, 0)} seconds")
        if self._moot(ctx, dispute, index):
            self._end_moot(ctx, dispute, index)
        elif mover(turn) == PROPOSER:
            self._challenger_wins(ctx, dispute, index, lo, "the proposer's clock ran out")
        else:
            self._proposer_wins(ctx, dispute, index, "the challenger's clock ran out")

    @external("dismiss(uint256)")
    def dismiss(self, ctx: Context, dispute: int) -> None:
        """Anyone ends a dispute whose claim fell or was replaced under it; the challenger gets its bond back."""
        ctx.require(ctx.sload("d_challenger", dispute), f"dispute {dispute} is not open")
        index = self._game(ctx, dispute)[0]
        ctx.require(self._moot(ctx, dispute, index), f"batch {index}'s claim still stands: play the dispute out")
        self._end_moot(ctx, dispute, index)

    # -- endings -----------------------------------------------------------------------

    def _close(self, ctx: Context, dispute: int, index: int) -> tuple[str, int]:
        """Close the dispute, uncount it, let the finality floor move on; its challenger and bond."""
        challenger, bond = self._challenger(ctx, dispute)
        for key in ("d_challenger", "d_game", "d_time"):
            ctx.sstore(key, dispute, 0)
        ctx.sstore("open_against", index, ctx.sload("open_against", index) - 1)
        open_total, floor = self._finality(ctx)
        self._raise_floor(ctx, open_total - 1, floor, FLOOR_STEPS_ON_CLOSE if open_total > 1 else 0)
        return challenger, bond

    def _end_moot(self, ctx: Context, dispute: int, index: int) -> None:
        challenger, bond = self._close(ctx, dispute, index)
        ctx.transfer(challenger, bond)
        ctx.emit(self.DisputeResolved, dispute, index, ZERO_ADDRESS,
                 "the disputed claim no longer stands: bond returned", 0, 0)

    def _challenger_wins(self, ctx: Context, dispute: int, index: int, step: int, reason: str) -> None:
        prev_root = ctx.sload_bytes32("d_prev_root", dispute)
        challenger, bond = self._close(ctx, dispute, index)
        ctx.transfer(challenger, bond)  # its bond back; the reward comes from the proposer's
        self._revert_from(ctx, index, ctx.sload("batches"), step, reason, prev_root, winner=challenger)
        ctx.emit(self.DisputeResolved, dispute, index, challenger, reason, 0, 0)

    def _proposer_wins(self, ctx: Context, dispute: int, index: int, reason: str) -> None:
        proposer, _, _ = self._meta(ctx, index)
        _, bond = self._close(ctx, dispute, index)
        reward = bond * ctx.sload("reward_percent") // 100
        ctx.sstore("burned", ctx.sload("burned") + bond - reward)
        ctx.transfer(proposer, reward)
        ctx.emit(self.DisputeResolved, dispute, index, proposer, reason, reward, bond - reward)

    # -- views -------------------------------------------------------------------------

    @view("dispute(uint256)",
          returns="(bool,uint256,address,uint256,uint256,bytes32,bytes32,bytes32,uint8,uint256,uint256,bool,bool)")
    def dispute(self, ctx: Context, dispute: int) -> tuple:
        """(open, batch, challenger, lo, hi, root_lo, root_hi, mid_root, turn, proposer clock, challenger clock,
        timeout due, moot).

        The clocks are what each side has left now, counting the running move;
        ``timeout due`` says the side to move has run out, ``moot`` that the
        claim it disputes no longer stands.
        """
        open_ = ctx.sload("d_challenger", dispute) != 0
        challenger, _ = self._challenger(ctx, dispute)
        index, lo, hi, _, turn = self._game(ctx, dispute)
        last, clocks = self._clocks(ctx, dispute)
        if open_:
            clocks[mover(turn)] -= ctx.timestamp - last
        return (
            open_, index, challenger, lo, hi,
            self._root_lo(ctx, dispute, lo), ctx.sload_bytes32("d_root_hi", dispute),
            ctx.sload_bytes32("d_mid_root", dispute), turn, max(clocks[0], 0), max(clocks[1], 0),
            open_ and clocks[mover(turn)] < 0, open_ and self._moot(ctx, dispute, index),
        )

    @view("dispute_count()", returns="uint256")
    def dispute_count(self, ctx: Context) -> int:
        """Disputes ever opened; ids run from 0."""
        return ctx.sload("disputes")

    @view("open_disputes(uint256)", returns="uint256")
    def open_disputes(self, ctx: Context, index: int) -> int:
        """How many disputes are open against batch ``index``."""
        return ctx.sload("open_against", index)

    @view("finality()", returns="(uint256,uint256)")
    def finality(self, ctx: Context) -> tuple:
        """(disputes open in all, floor): no batch from the floor on is final while any dispute is open."""
        return self._finality(ctx)

    @view("move_clock()", returns="uint256")
    def move_clock(self, ctx: Context) -> int:
        return ctx.sload("move_clock")
