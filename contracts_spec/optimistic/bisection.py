"""The optimistic rollup with an interactive fraud proof: a bisection game, as Arbitrum and the OP Stack play it.

What changes from :class:`~contracts_spec.optimistic.contract.OptimisticRollup`
    A batch is *compact* (``encoding``, version 2): its entries carry no
    intermediate roots, only the final ``post_root`` is claimed, so posting
    costs 32 calldata bytes less per entry. L1 still computes the entries'
    Merkle root from the calldata. Bonds, deposits, forced inclusion,
    withdrawals and the revert of later batches are the same; ``prove_fraud``
    is replaced by the game below.

The game (one dispute at a time)
    ``open_dispute(index, header)`` with a bond of at least ``min_bond``: the
    challenger says the batch's post_root is wrong. Both sides agree on the
    root after ``lo = 0`` steps (prev_root) and disagree on the root after
    ``hi = n`` steps. Then, while ``hi - lo > 1``:

    - the proposer ``bisect``s: it posts the root it claims after
      ``mid = (lo + hi) // 2`` steps;
    - the challenger ``choose``s: agreeing moves ``lo`` to ``mid``,
      disagreeing moves ``hi`` to ``mid``.

    After about ``log2(n)`` rounds one step is left: ``prove_step`` brings
    entry ``lo`` with its Merkle path and the account witnesses, and L1 runs
    that one step with the same ``apply_tx`` from the agreed root. If the
    step is invalid or does not reach the proposer's root at ``hi``, the
    challenger wins: the batch and its successors are reverted, the
    proposer's bond is slashed (reward to the challenger) and the
    challenger's bond returned. Otherwise the proposer wins the challenger's
    bond (the same share; the rest burned).

Clocks
    Each side has ``move_clock`` seconds in total for its moves (a chess
    clock). When the side to move has used it up, anyone may call
    ``timeout`` and the other side wins. A batch under dispute, and every
    later one, is not final until the dispute ends.
"""

from __future__ import annotations

from contracts_spec.optimistic.contract import ADDRESS_MASK, OptimisticRollup
from contracts_spec.optimistic.encoding import (
    VERSION_COMPACT,
    BatchFormatError,
    decode_entry,
    proof_length,
)
from contracts_spec.runtime import Context, Revert, constructor, event, external, register, view
from primitives.merkle import verify_merkle_proof

# Whose move it is.
TURN_BISECT, TURN_CHOOSE, TURN_STEP = 0, 1, 2
TURN_NAMES = {TURN_BISECT: "proposer bisects", TURN_CHOOSE: "challenger chooses", TURN_STEP: "one-step proof"}


def _same(a: str, b: str) -> bool:
    """Two addresses are one, whatever their checksum casing."""
    return int(a, 16) == int(b, 16)


@register
class BisectionRollup(OptimisticRollup):
    """The optimistic rollup whose frauds are found by bisection and judged one step at a time."""

    BATCH_VERSION = VERSION_COMPACT

    DisputeOpened = event(
        "DisputeOpened(uint256 indexed index, address indexed challenger, uint256 steps, uint256 bond)"
    )
    Bisected = event("Bisected(uint256 indexed index, uint256 lo, uint256 hi, uint256 mid, bytes32 mid_root)")
    Chosen = event("Chosen(uint256 indexed index, bool agree, uint256 lo, uint256 hi)")
    DisputeResolved = event(
        "DisputeResolved(uint256 indexed index, address indexed winner, string reason, uint256 reward, uint256 burned)"
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

    # -- finality --------------------------------------------------------------------

    def _is_final(self, ctx: Context, index: int) -> bool:
        open_ = ctx.sload("d_open")  # index + 1 of the disputed batch, 0 when none
        if open_ and open_ - 1 <= index:
            return False
        return super()._is_final(ctx, index)

    # -- the game ----------------------------------------------------------------------

    # Packed words, so a move writes three slots, not six: the game's counters, its clock.
    _W48 = (1 << 48) - 1
    _W64 = (1 << 64) - 1

    def _game(self, ctx: Context) -> tuple[int, int, int, int]:
        """(lo, hi, steps, turn) of the open dispute."""
        word = ctx.sload("d_game")
        w = self._W48
        return word & w, (word >> 48) & w, (word >> 96) & w, word >> 144

    def _set_game(self, ctx: Context, lo: int, hi: int, steps: int, turn: int) -> None:
        ctx.sstore("d_game", lo | hi << 48 | steps << 96 | turn << 144)

    def _clocks(self, ctx: Context) -> tuple[int, list[int]]:
        """(time of the last move, [proposer's seconds left, challenger's]) as stored at the last move."""
        word = ctx.sload("d_time")
        w = self._W64
        return word & w, [(word >> 64) & w, word >> 128]

    def _set_clocks(self, ctx: Context, last: int, clocks: list[int]) -> None:
        ctx.sstore("d_time", last | clocks[0] << 64 | clocks[1] << 128)

    def _challenger(self, ctx: Context) -> tuple[str, int]:
        """The challenger's address and bond (one word: address low, bond high)."""
        word = ctx.sload("d_challenger")
        return "0x" + (word & ADDRESS_MASK).to_bytes(20, "big").hex(), word >> 160

    @external("open_dispute(uint256,bytes)", payable=True)
    def open_dispute(self, ctx: Context, index: int, header_bytes: bytes) -> None:
        """Dispute batch ``index``'s post_root, bonding ``msg.value``."""
        ctx.require(not ctx.sload("d_open"), "a dispute is already open: one at a time")
        header = self._live_header(ctx, index, ctx.sload("batches"), header_bytes)
        ctx.require(ctx.value >= ctx.sload("min_bond"), "challenger bond below the minimum")
        ctx.require(ctx.value < 1 << 96, "challenger bond above 2**96 wei")
        clock = ctx.sload("move_clock")
        n = header.entry_count
        ctx.sstore("d_open", index + 1)
        ctx.sstore("d_challenger", int(ctx.sender, 16) | ctx.value << 160)
        self._set_game(ctx, 0, n, n, TURN_STEP if n == 1 else TURN_BISECT)
        self._set_clocks(ctx, ctx.timestamp, [clock, clock])
        ctx.sstore_bytes32("d_root_lo", header.prev_root)
        ctx.sstore_bytes32("d_root_hi", header.post_root)
        ctx.sstore_bytes32("d_prev_root", header.prev_root)
        ctx.sstore_bytes32("d_entries_root", header.entries_root)
        ctx.emit(self.DisputeOpened, index, ctx.sender, n, ctx.value)

    def _mover(self, turn: int) -> int:
        return 0 if turn == TURN_BISECT else 1

    def _spend_clock(self, ctx: Context, turn: int) -> None:
        """Charge the side to move for the time since the last move; it must not have run out."""
        side = self._mover(turn)
        last, clocks = self._clocks(ctx)
        left = clocks[side] - (ctx.timestamp - last)
        ctx.require(left >= 0, f"the {'proposer' if side == 0 else 'challenger'}'s clock has run out: call timeout")
        clocks[side] = left
        self._set_clocks(ctx, ctx.timestamp, clocks)

    def _require_turn(self, ctx: Context, turn: int) -> tuple[int, int, int, int]:
        """The disputed batch index and (lo, hi, steps), once it is ``turn``'s move."""
        open_ = ctx.sload("d_open")
        ctx.require(open_, "no dispute is open")
        lo, hi, steps, current = self._game(ctx)
        ctx.require(current == turn, f"not this move's turn: it is the {TURN_NAMES[current]} turn")
        return open_ - 1, lo, hi, steps

    @external("bisect(bytes32)")
    def bisect(self, ctx: Context, mid_root: bytes) -> None:
        """The proposer claims the root after ``(lo + hi) // 2`` steps."""
        index, lo, hi, steps = self._require_turn(ctx, TURN_BISECT)
        proposer, _, _ = self._meta(ctx, index)
        ctx.require(_same(ctx.sender, proposer), "only the batch's proposer bisects")
        self._spend_clock(ctx, TURN_BISECT)
        mid = (lo + hi) // 2
        ctx.sstore_bytes32("d_mid_root", mid_root)
        self._set_game(ctx, lo, hi, steps, TURN_CHOOSE)
        ctx.emit(self.Bisected, index, lo, hi, mid, mid_root)

    @external("choose(bool)")
    def choose(self, ctx: Context, agree: bool) -> None:
        """The challenger agrees with the root at mid (the fault is later) or not (it is earlier)."""
        index, lo, hi, steps = self._require_turn(ctx, TURN_CHOOSE)
        ctx.require(_same(ctx.sender, self._challenger(ctx)[0]), "only the challenger chooses")
        self._spend_clock(ctx, TURN_CHOOSE)
        mid = (lo + hi) // 2
        mid_root = ctx.sload_bytes32("d_mid_root")
        if agree:
            lo = mid
            ctx.sstore_bytes32("d_root_lo", mid_root)
        else:
            hi = mid
            ctx.sstore_bytes32("d_root_hi", mid_root)
        self._set_game(ctx, lo, hi, steps, TURN_STEP if hi - lo == 1 else TURN_BISECT)
        ctx.emit(self.Chosen, index, agree, lo, hi)

    @external("prove_step(bytes,bytes32[],bytes)")
    def prove_step(self, ctx: Context, entry: bytes, proof: list[bytes], witnesses: bytes) -> None:
        """Run step ``lo`` from the agreed root: the verdict decides the dispute either way."""
        index, step, _, steps = self._require_turn(ctx, TURN_STEP)
        challenger, _ = self._challenger(ctx)
        proposer, _, _ = self._meta(ctx, index)
        ctx.require(_same(ctx.sender, challenger) or _same(ctx.sender, proposer),
                    "only the two parties prove the last step")
        self._spend_clock(ctx, TURN_STEP)
        expected = proof_length(steps)
        ctx.require(len(proof) == expected, f"entry proof has {len(proof)} siblings, expected {expected}")
        ctx.require(
            verify_merkle_proof(ctx.sload_bytes32("d_entries_root"), ctx.keccak(entry), step, proof,
                                hasher=ctx.keccak),
            f"entry is not step {step} of the batch: inclusion proof does not match",
        )
        try:
            tx = decode_entry(entry, compact=True).tx
        except BatchFormatError as exc:  # unreachable for a posted batch, which decoded at submission
            raise Revert(f"entry: {exc}") from None
        reason = self._judge_step(
            ctx, ctx.sload_bytes32("d_root_lo"), tx, ctx.sload_bytes32("d_root_hi"), witnesses
        )
        if reason:
            self._challenger_wins(ctx, index, step, f"step {step}: {reason}")
        else:
            self._proposer_wins(ctx, index, f"step {step} is valid")

    @external("timeout()")
    def timeout(self, ctx: Context) -> None:
        """End the dispute against the side to move once its clock has run out."""
        open_ = ctx.sload("d_open")
        ctx.require(open_, "no dispute is open")
        lo, _, _, turn = self._game(ctx)
        side = self._mover(turn)
        last, clocks = self._clocks(ctx)
        left = clocks[side] - (ctx.timestamp - last)
        ctx.require(left < 0, f"the side to move still has {max(left, 0)} seconds")
        if side == 0:
            self._challenger_wins(ctx, open_ - 1, lo, "the proposer's clock ran out")
        else:
            self._proposer_wins(ctx, open_ - 1, "the challenger's clock ran out")

    def _close(self, ctx: Context) -> tuple[str, int]:
        challenger, bond = self._challenger(ctx)
        for key in ("d_open", "d_challenger", "d_game", "d_time"):
            ctx.sstore(key, 0)
        return challenger, bond

    def _challenger_wins(self, ctx: Context, index: int, step: int, reason: str) -> None:
        prev_root = ctx.sload_bytes32("d_prev_root")
        challenger, bond = self._close(ctx)
        ctx.transfer(challenger, bond)  # its bond back; the reward comes from the proposer's
        self._revert_from(ctx, index, ctx.sload("batches"), step, reason, prev_root, winner=challenger)
        ctx.emit(self.DisputeResolved, index, challenger, reason, 0, 0)

    def _proposer_wins(self, ctx: Context, index: int, reason: str) -> None:
        proposer, _, _ = self._meta(ctx, index)
        _, bond = self._close(ctx)
        reward = bond * ctx.sload("reward_percent") // 100
        ctx.sstore("burned", ctx.sload("burned") + bond - reward)
        ctx.transfer(proposer, reward)
        ctx.emit(self.DisputeResolved, index, proposer, reason, reward, bond - reward)

    # -- views -------------------------------------------------------------------------

    @view("dispute()", returns="(bool,uint256,address,uint256,uint256,bytes32,bytes32,bytes32,uint8,uint256,uint256)")
    def dispute(self, ctx: Context) -> tuple:
        """(open, batch, challenger, lo, hi, root_lo, root_hi, mid_root, turn, proposer clock, challenger clock).

        The clocks are what each side has left now, counting the running move.
        """
        open_ = ctx.sload("d_open")
        lo, hi, _, turn = self._game(ctx)
        last, clocks = self._clocks(ctx)
        if open_:
            clocks[self._mover(turn)] -= ctx.timestamp - last
        return (
            bool(open_), max(open_ - 1, 0), self._challenger(ctx)[0], lo, hi,
            ctx.sload_bytes32("d_root_lo"), ctx.sload_bytes32("d_root_hi"), ctx.sload_bytes32("d_mid_root"),
            turn, max(clocks[0], 0), max(clocks[1], 0),
        )

    @view("move_clock()", returns="uint256")
    def move_clock(self, ctx: Context) -> int:
        return ctx.sload("move_clock")
