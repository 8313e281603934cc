"""The optimistic rollup's L1 contract: bonds, deposits, batches, claims, fraud proofs, withdrawals.

Data and claims
    A batch posted with ``submit_batch`` is *data*: its transactions stay
    posted, in L1 order, whatever happens later. With them comes a *claim*:
    the state root after each step (and the withdrawal kinds, ``encoding``).
    A fraud proof shows a claim wrong and replaces nothing but that claim;
    derivation (``rules.derive_step``) makes an invalid posted step a no-op,
    so the valid transactions around it keep their effect.

What L1 stores
    Per batch a commitment, ``keccak(body_hash || withdrawal_root || data_hash)``
    with ``body_hash = keccak(prev_root || post_root || entries_root || entry_count)``
    and ``data_hash`` the hash of the transactions alone, and one packed word
    (the claim's proposer and time, the first deposit id); plus the current
    state root (the last standing claim's post_root), how many claims stand
    (``batches``: all posted batches, or those before the first claim proven
    wrong) and how many posted batches wait to have their claims re-proposed. The batch bytes stay in the calldata (the events name
    the body hash and roots), from which anyone rebuilds L2 state; a fraud
    proof opens the commitment with the 164-byte claim header, a withdrawal
    claim with the body hash, withdrawal root and data hash.

What L1 checks at submission (cheap, so no fraud proof is ever needed for it)
    The sender is bonded; no claim is waiting to be re-proposed; the batch
    decodes; it starts from the current state root; its deposits are exactly
    the next ones of the L1 queue, at the indices L1 assigned them (one
    running hash comparison); it includes every overdue deposit. Those rules
    are the pure functions of ``submission``, which a proposer runs too before
    it posts. The post root and withdrawal root are computed, not checked:
    they are the claim.

Deposits, account indices and forced inclusion
    ``deposit(l2_address)`` queues ETH and assigns its account index there
    and then: the address's account, or the next free index, so what a
    transfer is signed to never depends on who posts the deposit. A deposit
    that would open an account in a full tree is refused: it could never be
    placed. A deposit is *overdue* once more than ``deposit_deadline_blocks``
    blocks *and* that many 12-second slots have passed since it was queued.
    A batch may not leave an overdue deposit out, so a censoring operator can
    post nothing until it includes them; and while the queue's next deposit
    is overdue, *any* bonded address may submit a batch.

Fraud proofs
    ``prove_fraud(batch, header, step, entry, entry_proof, prev_entry,
    prev_proof, witnesses)`` carries only the disputed entry and the one
    before it (whose root is the step's pre-state; for step 0 the header's
    prev_root), each with its Merkle path in the entries root, and the
    witnesses, so its cost does not grow with the batch. L1 runs the step
    with the same ``derive_step`` on a :class:`WitnessedState`, with metered
    keccak and ``ecrecover``. If the claimed root is not what derivation
    gives, the claim is invalid: L1 records it as the first invalid claim
    (every later claim built on it is invalid too) and goes back to its
    prev_root, in O(1), whatever was posted after it; the proposer's bond is
    slashed, the preset's share to the challenger and the rest burned, or
    all of it burned when the proposer proves its own fraud. Otherwise the
    call reverts and the challenger has paid for it.

Re-proposing claims
    While a claim is invalid, no new batch goes in: any bonded address
    re-proposes the claims from the first invalid one on, one batch per call
    (``repropose_batch``): the same transactions (same data hash) with new
    roots, starting from the current state root. Each starts a new challenge
    window.

Withdrawals
    Once a standing claim's window has passed, anyone may prove a withdrawal
    leaf in its withdrawal root; the ETH goes to the recipient, once.
"""

from __future__ import annotations

from contracts_spec.optimistic.encoding import (
    VERSION,
    Batch,
    BatchFormatError,
    BatchHeader,
    Entry,
    commitment_of,
    compute_data_hash,
    decode_batch,
    decode_entry,
    decode_header,
    decode_witnesses,
    header_of,
    proof_length,
)
from contracts_spec.optimistic.params import SECONDS_PER_SLOT
from contracts_spec.optimistic.rules import (
    EMPTY_CHAIN,
    Deposit,
    Tx,
    Withdraw,
    derive_step,
    domain_separator,
    next_deposit_hash,
    state_root,
    tx_digest,
    withdrawal_leaf,
)
from contracts_spec.optimistic.state import WitnessedState, WitnessError
from contracts_spec.optimistic.submission import (
    InvalidBatch,
    check_batch,
    check_claim,
    check_proposer,
    is_overdue,
)
from contracts_spec.runtime import (
    ZERO_ADDRESS,
    Context,
    Contract,
    Revert,
    constructor,
    event,
    external,
    register,
    same_address,
    view,
)
from primitives.merkle import verify_merkle_proof
from primitives.smt import empty_root

ADDRESS_MASK = (1 << 160) - 1
TIME_SHIFT, DEPOSIT_SHIFT, FIELD_MASK = 160, 208, (1 << 48) - 1
# "batches" counts the batches whose claims stand; "counters" packs three 64-bit counts:
# deposits queued, account indices assigned, and the posted batches whose claims wait to be
# re-proposed (so invalidating a claim rewrites a word already set, not a fresh slot).
WORD64 = (1 << 64) - 1
ACCOUNTS_SHIFT, AWAITING_SHIFT = 64, 128


def _raw(address: str) -> bytes:
    return bytes.fromhex(address[2:])


class StoredDeposits:
    """The deposit queue in the rollup's storage, read the way the submission rules ask for it."""

    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    def count(self) -> int:
        return self._ctx.sload("counters") & WORD64

    def running_hash(self, n: int) -> bytes:
        return self._ctx.sload_bytes32("deposit_hash", n)

    def due(self, deposit_id: int) -> tuple[int, int]:
        queued = self._ctx.sload("deposit_at", deposit_id)  # block | time << 64
        blocks = self._ctx.sload("deadline")
        return (queued & WORD64) + blocks, (queued >> 64) + blocks * SECONDS_PER_SLOT


@register
class OptimisticRollup(Contract):
    """Holds the rollup's ETH and its batch commitments; judges fraud proofs."""

    # Batches carry every intermediate root, so one round of proof suffices.
    BATCH_VERSION = VERSION

    BondPosted = event("BondPosted(address indexed proposer, uint256 amount, uint256 total)")
    BondWithdrawn = event("BondWithdrawn(address indexed proposer, uint256 amount)")
    DepositQueued = event(
        "DepositQueued(uint256 indexed id, address indexed l2_address, uint256 amount, uint256 account, uint256 time)"
    )
    BatchSubmitted = event(
        "BatchSubmitted(uint256 indexed index, address indexed proposer, bytes32 body_hash, "
        "bytes32 entries_root, bytes32 post_root, bytes32 withdrawal_root, uint256 first_deposit, uint256 entry_count)"
    )
    ClaimReproposed = event(
        "ClaimReproposed(uint256 indexed index, address indexed proposer, bytes32 body_hash, "
        "bytes32 entries_root, bytes32 post_root, bytes32 withdrawal_root)"
    )
    FraudProven = event(
        "FraudProven(uint256 indexed index, uint256 step, address indexed challenger, string reason, "
        "uint256 reward, uint256 burned)"
    )
    # This contract never un-posts a batch; a subclass whose fraud removes batches says so with it.
    BatchReverted = event("BatchReverted(uint256 indexed index, bytes32 commitment)")
    WithdrawalClaimed = event(
        "WithdrawalClaimed(uint256 indexed index, uint256 indexed leaf_index, address recipient, uint256 amount)"
    )

    @constructor("address", "uint8", "uint64", "uint64", "uint256", "uint8", "uint32")
    def init(
        self, ctx: Context, operator: str, depth: int, window: int, deadline: int,
        min_bond: int, reward_percent: int, max_batch_bytes: int,
    ) -> None:
        ctx.require(1 <= depth <= 32, f"tree depth {depth} must be in 1..32")
        ctx.require(reward_percent <= 100, f"reward percent {reward_percent} exceeds 100")
        ctx.sstore_address("operator", operator)
        ctx.sstore("depth", depth)
        ctx.sstore("window", window)
        ctx.sstore("deadline", deadline)
        ctx.sstore("min_bond", min_bond)
        ctx.sstore("reward_percent", reward_percent)
        ctx.sstore("max_batch_bytes", max_batch_bytes)
        ctx.sstore_bytes32("state_root", state_root(empty_root(depth), EMPTY_CHAIN, ctx.keccak))
        ctx.sstore_bytes32("domain", domain_separator(ctx.chain_id, _raw(ctx.this), ctx.keccak))

    # -- bonds -------------------------------------------------------------------------

    @external("post_bond()", payable=True)
    def post_bond(self, ctx: Context) -> None:
        ctx.require(ctx.value > 0, "bond of zero")
        total = ctx.sload("bond", ctx.sender) + ctx.value
        ctx.sstore("bond", ctx.sender, total)
        ctx.emit(self.BondPosted, ctx.sender, ctx.value, total)

    @external("withdraw_bond(uint256)")
    def withdraw_bond(self, ctx: Context, amount: int) -> None:
        have = ctx.sload("bond", ctx.sender)
        ctx.require(0 < amount <= have, f"bond withdrawal {amount} out of range (bonded {have})")
        last = ctx.sload("last_batch_of", ctx.sender)  # index + 1 of its newest claim
        if 0 < last <= self._posted(ctx):
            ctx.require(self._is_final(ctx, last - 1), f"batch {last - 1} of this proposer is not final yet")
        ctx.sstore("bond", ctx.sender, have - amount)
        ctx.transfer(ctx.sender, amount)
        ctx.emit(self.BondWithdrawn, ctx.sender, amount)

    # -- deposits ------------------------------------------------------------------------

    @external("deposit(address)", payable=True)
    def deposit(self, ctx: Context, l2_address: str) -> None:
        """Queue ``msg.value`` for ``l2_address`` at the account index L1 assigns it now."""
        ctx.require(0 < ctx.value < 2**128, f"deposit of {ctx.value} wei: must be in 1..2**128-1")
        ctx.require(not same_address(l2_address, ZERO_ADDRESS), "deposit to the zero address: no key could ever spend it")
        word = ctx.sload("counters")
        n, accounts = word & WORD64, (word >> ACCOUNTS_SHIFT) & WORD64
        slot = ctx.sload("account_of", l2_address)  # index + 1, 0 before its first deposit
        if slot:
            index = slot - 1
        else:
            depth = ctx.sload("depth")
            ctx.require(accounts < 1 << depth,
                        f"the account tree is full: all 2**{depth} indices are taken, so a deposit to a new "
                        "address could never be placed; deposit to an address that has an L2 account")
            index, accounts = accounts, accounts + 1
            ctx.sstore("account_of", l2_address, index + 1)
        previous = ctx.sload_bytes32("deposit_hash", n)
        ctx.sstore_bytes32("deposit_hash", n + 1,
                           next_deposit_hash(previous, index, _raw(l2_address), ctx.value, ctx.keccak))
        ctx.sstore("deposit_at", n, ctx.block_number | ctx.timestamp << 64)
        ctx.sstore("counters", word >> AWAITING_SHIFT << AWAITING_SHIFT | (n + 1) | accounts << ACCOUNTS_SHIFT)
        ctx.emit(self.DepositQueued, n, l2_address, ctx.value, index, ctx.timestamp)

    def _overdue(self, ctx: Context, deposit_id: int) -> bool:
        """True when queued deposit ``deposit_id`` exists and has waited past its deadline's blocks and seconds."""
        return is_overdue(StoredDeposits(ctx), deposit_id, ctx.block_number, ctx.timestamp)

    # -- batches -------------------------------------------------------------------------

    @external("submit_batch(bytes)")
    def submit_batch(self, ctx: Context, data: bytes) -> None:
        included, count = ctx.sload("included"), ctx.sload("batches")
        queue = StoredDeposits(ctx)
        try:
            check_proposer(ctx.sender == ctx.sload_address("operator"), queue, included, ctx.block_number,
                           ctx.timestamp)
        except InvalidBatch as exc:
            raise Revert(str(exc)) from None
        ctx.require(not self._awaiting(ctx), f"the claims from batch {count} on were proven wrong: re-propose them "
                                             "(repropose_batch) before posting a new batch")
        batch = self._decoded_batch(ctx, data)
        try:  # the rules every proposer runs before it posts, here with metered keccak
            end, roots = check_batch(batch, ctx.sload_bytes32("state_root"), included, queue, ctx.block_number,
                                     ctx.timestamp, ctx.keccak)
        except InvalidBatch as exc:
            raise Revert(str(exc)) from None
        # The entries root from the calldata itself (one metered keccak per entry and per
        # tree node), so later a fraud proof needs only the disputed entries.
        header = header_of(data, batch, roots, ctx.keccak)
        body_hash = self._store_claim(ctx, count, header)
        meta = int(ctx.sender, 16) | (ctx.timestamp << TIME_SHIFT) | (included << DEPOSIT_SHIFT)
        ctx.sstore("batch_meta", count, meta)
        ctx.sstore("batches", count + 1)
        ctx.sstore("included", end)
        ctx.emit(
            self.BatchSubmitted, count, ctx.sender, body_hash, header.entries_root, header.post_root,
            header.withdrawal_root, included, len(batch.entries),
        )

    @external("repropose_batch(uint256,bytes32,bytes32,bytes)")
    def repropose_batch(
        self, ctx: Context, index: int, old_body_hash: bytes, old_withdrawal_root: bytes, data: bytes,
    ) -> None:
        """Replace the invalid claim of batch ``index`` with a new one for the same transactions.

        Claims are replaced in order, from the first invalid one; any bonded
        address may, since only one claim follows from the data. The old
        claim's body hash and withdrawal root open the stored commitment, so
        L1 checks ``data`` holds exactly the batch's transactions.
        """
        awaiting, standing = self._awaiting(ctx), ctx.sload("batches")
        ctx.require(awaiting, "no claim is invalid: there is nothing to re-propose")
        ctx.require(index == standing, f"re-propose batch {standing} first: claims are replaced in order")
        batch = self._decoded_batch(ctx, data)
        data_hash = compute_data_hash(data, ctx.keccak)
        ctx.require(commitment_of(old_body_hash, old_withdrawal_root, data_hash, ctx.keccak)
                    == ctx.sload_bytes32("commitment", index),
                    f"these are not batch {index}'s transactions (or not its current claim)")
        try:
            roots = check_claim(batch, ctx.sload_bytes32("state_root"), ctx.keccak)
        except InvalidBatch as exc:
            raise Revert(str(exc)) from None
        header = header_of(data, batch, roots, ctx.keccak, data_hash)
        body_hash = self._store_claim(ctx, index, header)
        _, _, first_deposit = self._meta(ctx, index)
        ctx.sstore("batch_meta", index,
                   int(ctx.sender, 16) | (ctx.timestamp << TIME_SHIFT) | (first_deposit << DEPOSIT_SHIFT))
        ctx.sstore("batches", index + 1)
        self._set_awaiting(ctx, awaiting - 1)
        ctx.emit(self.ClaimReproposed, index, ctx.sender, body_hash, header.entries_root, header.post_root,
                 header.withdrawal_root)

    def _decoded_batch(self, ctx: Context, data: bytes) -> Batch:
        """``data`` decoded, once the sender is bonded and it fits this rollup's size and version."""
        ctx.require(ctx.sload("bond", ctx.sender) >= ctx.sload("min_bond"), "proposer bond below the minimum")
        limit = ctx.sload("max_batch_bytes")
        ctx.require(len(data) <= limit, f"batch of {len(data)} bytes exceeds {limit}")
        try:
            batch = decode_batch(data)
        except BatchFormatError as exc:
            raise Revert(f"malformed batch: {exc}") from None
        ctx.require(batch.version == self.BATCH_VERSION,
                    f"batch version {batch.version}: this rollup takes version {self.BATCH_VERSION}")
        return batch

    def _store_claim(self, ctx: Context, index: int, header: BatchHeader) -> bytes:
        """Commit to ``header`` as batch ``index``'s claim and move the state root on; its body hash."""
        body_hash = header.body_hash(ctx.keccak)
        ctx.sstore_bytes32("commitment", index,
                           commitment_of(body_hash, header.withdrawal_root, header.data_hash, ctx.keccak))
        ctx.sstore_bytes32("state_root", header.post_root)
        ctx.sstore("last_batch_of", ctx.sender, index + 1)
        return body_hash

    def _meta(self, ctx: Context, index: int) -> tuple[str, int, int]:
        meta = ctx.sload("batch_meta", index)
        proposer = "0x" + (meta & ADDRESS_MASK).to_bytes(20, "big").hex()
        return proposer, (meta >> TIME_SHIFT) & FIELD_MASK, (meta >> DEPOSIT_SHIFT) & FIELD_MASK

    def _awaiting(self, ctx: Context) -> int:
        """Posted batches whose claims wait to be re-proposed: those from ``batches`` on."""
        return ctx.sload("counters") >> AWAITING_SHIFT

    def _set_awaiting(self, ctx: Context, awaiting: int) -> None:
        word = ctx.sload("counters")
        ctx.sstore("counters", word & ((1 << AWAITING_SHIFT) - 1) | awaiting << AWAITING_SHIFT)

    def _posted(self, ctx: Context) -> int:
        """Batches posted: their data is final, whether or not their claims stand."""
        return ctx.sload("batches") + self._awaiting(ctx)

    def _standing(self, ctx: Context, index: int) -> bool:
        """True when batch ``index`` has a claim that stands: posted, and neither it nor one before it shown wrong."""
        return index < ctx.sload("batches")

    def _is_final(self, ctx: Context, index: int) -> bool:
        """A standing claim is final once its window has passed (claim times never decrease with the index)."""
        if not self._standing(ctx, index):
            return False
        _, submitted, _ = self._meta(ctx, index)
        return ctx.timestamp >= submitted + ctx.sload("window")

    # -- fraud proofs -----------------------------------------------------------------------

    @external("prove_fraud(uint256,bytes,uint256,bytes,bytes32[],bytes,bytes32[],bytes)")
    def prove_fraud(
        self, ctx: Context, index: int, header_bytes: bytes, step: int, entry: bytes, entry_proof: list[bytes],
        prev_entry: bytes, prev_proof: list[bytes], witnesses: bytes,
    ) -> None:
        """Judge step ``step`` of batch ``index`` from that entry, the one before it and witnesses.

        ``header_bytes`` opens the stored commitment; ``entry`` and
        ``prev_entry`` (empty for step 0, whose pre-state is the batch's
        prev_root) are proven in the entries root by their Merkle paths.
        """
        count = ctx.sload("batches")
        header = self._live_header(ctx, index, count, header_bytes)
        ctx.require(step < header.entry_count, f"step {step} out of range: the batch has {header.entry_count}")
        disputed = self._proven_entry(ctx, header, step, entry, entry_proof, "entry")
        if step == 0:
            ctx.require(not prev_entry and not prev_proof, "step 0 starts from prev_root: send no previous entry")
            pre_root = header.prev_root
        else:
            pre_root = self._proven_entry(ctx, header, step - 1, prev_entry, prev_proof, "previous entry").root
        tx, claimed_root = disputed
        reason = self._judge_step(ctx, pre_root, tx, claimed_root, witnesses)
        ctx.require(reason, f"no fraud: step {step} of batch {index} is claimed as derivation gives it")
        self._revert_from(ctx, index, count, step, reason, header.prev_root)

    def _judge_step(
        self, ctx: Context, pre_root: bytes, tx: Tx, claimed_root: bytes, witnesses: bytes
    ) -> str:
        """Re-run one step on L1: "" when derivation takes ``pre_root`` to ``claimed_root``, else why not.

        Both the single-round fraud proof and the bisection game's last move
        judge a step here, with the same ``derive_step`` every party runs: a
        step that breaks a rule is a no-op, so its right root is ``pre_root``.
        The signer is recovered with the metered ``ecrecover``. Witnesses that
        do not match ``pre_root`` revert: they prove nothing either way.
        """
        depth = ctx.sload("depth")
        try:
            partial = WitnessedState(depth, pre_root, decode_witnesses(witnesses, depth), ctx.keccak)
        except (BatchFormatError, WitnessError) as exc:
            raise Revert(f"bad witnesses: {exc}") from None
        signer = None
        if not isinstance(tx, Deposit):
            recovered = ctx.ecrecover(tx_digest(ctx.sload_bytes32("domain"), tx, ctx.keccak), tx.signature)
            signer = _raw(recovered) if recovered else None
        try:
            skipped = derive_step(partial, tx, signer).skipped
            root = partial.post_root()  # checks every witness against the step's pre-state root
        except WitnessError as exc:
            raise Revert(f"bad witnesses: {exc}") from None
        if root == claimed_root:
            return ""
        if skipped:
            return f"invalid transaction: {skipped}; it is a no-op, so the claimed root is wrong"
        return "wrong state root"

    def _live_header(self, ctx: Context, index: int, count: int, header_bytes: bytes) -> BatchHeader:
        """The header of live batch ``index`` (of ``count``), once it opens the stored commitment.

        A disputed batch must exist, its claim must stand and still be inside
        its challenge window, and ``header_bytes`` must be that claim's header.
        """
        ctx.require(index < count, f"batch {index} does not exist or has no standing claim: claims stand for the "
                                   f"batches below {count}, the others wait to be posted or re-proposed")
        ctx.require(not self._is_final(ctx, index), f"batch {index} is final: its challenge window has closed")
        try:
            header = decode_header(header_bytes)
        except BatchFormatError:
            raise Revert("header is not the batch's header") from None
        ctx.require(header.commitment(ctx.keccak) == ctx.sload_bytes32("commitment", index),
                    "header is not the batch's header")
        return header

    def _proven_entry(
        self, ctx: Context, header: BatchHeader, step: int, raw: bytes, proof: list[bytes], what: str
    ) -> Entry:
        """Entry ``step`` decoded from ``raw`` once its Merkle path reaches the entries root."""
        expected = proof_length(header.entry_count)
        ctx.require(len(proof) == expected, f"{what} proof has {len(proof)} siblings, expected {expected}")
        ctx.require(
            verify_merkle_proof(header.entries_root, ctx.keccak(raw), step, proof, hasher=ctx.keccak),
            f"{what} is not step {step} of the batch: inclusion proof does not match",
        )
        try:
            return decode_entry(raw)
        except BatchFormatError as exc:  # unreachable for a posted batch, which decoded at submission
            raise Revert(f"{what}: {exc}") from None

    def _revert_from(
        self, ctx: Context, index: int, count: int, step: int, reason: str, root: bytes, winner: str | None = None,
    ) -> None:
        """The verdict of a won fraud proof (or dispute) against batch ``index``'s claim; ``count`` is ignored.

        Nothing is un-posted and no later batch is touched: batch ``index``
        becomes the first invalid claim (every later claim builds on it), the
        state root goes back to ``root``, the claim's prev_root, and the
        claims from ``index`` on wait to be re-proposed. The proposer's bond is
        slashed: the preset's share to ``winner`` (the caller by default), the
        rest burned; all of it burned when the winner is the proposer itself,
        so proving one's own fraud pays nothing back.
        """
        winner = winner or ctx.sender
        proposer, _, _ = self._meta(ctx, index)
        standing = ctx.sload("batches")
        if index < standing:
            self._set_awaiting(ctx, self._awaiting(ctx) + standing - index)
            ctx.sstore("batches", index)
            ctx.sstore_bytes32("state_root", root)
        bond = ctx.sload("bond", proposer)
        reward = 0 if same_address(winner, proposer) else bond * ctx.sload("reward_percent") // 100
        ctx.sstore("bond", proposer, 0)
        ctx.sstore("burned", ctx.sload("burned") + bond - reward)
        if reward:
            ctx.transfer(winner, reward)
        ctx.emit(self.FraudProven, index, step, winner, reason, reward, bond - reward)

    # -- withdrawals ---------------------------------------------------------------------------

    @external("withdraw(uint256,bytes32,bytes32,bytes32,uint256,address,uint256,uint32,uint32,bytes32[])")
    def withdraw(
        self, ctx: Context, index: int, body_hash: bytes, withdrawal_root: bytes, data_hash: bytes,
        leaf_index: int, recipient: str, amount: int, from_index: int, nonce: int, proof: list[bytes],
    ) -> None:
        """Pay a withdrawal that batch ``index``'s standing, final claim says applies."""
        ctx.require(self._standing(ctx, index),
                    f"batch {index} does not exist or its claim was proven wrong (it waits to be re-proposed)")
        ctx.require(self._is_final(ctx, index), f"batch {index} is not final: its challenge window is open")
        ctx.require(leaf_index < 1 << len(proof), f"leaf index {leaf_index} does not fit a proof of {len(proof)}")
        ctx.require(not ctx.sload_bool("claimed", index, leaf_index), "withdrawal already claimed")
        commitment = commitment_of(body_hash, withdrawal_root, data_hash, ctx.keccak)
        ctx.require(commitment == ctx.sload_bytes32("commitment", index),
                    "body hash, withdrawal root and data hash do not match the batch's claim")
        leaf = withdrawal_leaf(Withdraw(from_index, _raw(recipient), amount, nonce, b""), ctx.keccak)
        ctx.require(
            verify_merkle_proof(withdrawal_root, leaf, leaf_index, proof, hasher=ctx.keccak),
            "withdrawal proof does not match",
        )
        ctx.sstore_bool("claimed", index, leaf_index, True)
        ctx.transfer(recipient, amount)
        ctx.emit(self.WithdrawalClaimed, index, leaf_index, recipient, amount)

    # -- views -----------------------------------------------------------------------------------

    @view("batch_count()", returns="uint256")
    def batch_count(self, ctx: Context) -> int:
        """Batches whose claims stand: every posted batch before the first invalid claim."""
        return ctx.sload("batches")

    @view("batches_posted()", returns="uint256")
    def batches_posted(self, ctx: Context) -> int:
        """Batches posted: their data is final, whether or not their claims stand."""
        return self._posted(ctx)

    @view("state_root()", returns="bytes32")
    def state_root(self, ctx: Context) -> bytes:
        return ctx.sload_bytes32("state_root")

    @view("batch_info(uint256)", returns="(bytes32,address,uint256,uint256)")
    def batch_info(self, ctx: Context, index: int) -> tuple:
        """Commitment, the claim's proposer and time, and first deposit id of a posted batch."""
        ctx.require(index < self._posted(ctx), f"batch {index} does not exist")
        proposer, submitted, first_deposit = self._meta(ctx, index)
        return ctx.sload_bytes32("commitment", index), proposer, submitted, first_deposit

    @view("is_final(uint256)", returns="bool")
    def is_final(self, ctx: Context, index: int) -> bool:
        return self._is_final(ctx, index)

    @view("challenge_time_left(uint256)", returns="uint256")
    def challenge_time_left(self, ctx: Context, index: int) -> int:
        """Seconds until batch ``index``'s claim is final; the whole window while its claim waits to be re-proposed."""
        ctx.require(index < self._posted(ctx), f"batch {index} does not exist")
        if not self._standing(ctx, index):
            return ctx.sload("window")
        _, submitted, _ = self._meta(ctx, index)
        return max(0, submitted + ctx.sload("window") - ctx.timestamp)

    @view("deposit_count()", returns="uint256")
    def deposit_count(self, ctx: Context) -> int:
        return ctx.sload("counters") & WORD64

    @view("account_count()", returns="uint256")
    def account_count(self, ctx: Context) -> int:
        """Account indices assigned: deposits to new addresses so far (at most 2**depth)."""
        return (ctx.sload("counters") >> ACCOUNTS_SHIFT) & WORD64

    @view("account_index(address)", returns="uint256")
    def account_index(self, ctx: Context, l2_address: str) -> int:
        """The L2 account index L1 assigned ``l2_address`` at its first deposit."""
        slot = ctx.sload("account_of", l2_address)
        ctx.require(slot, f"{l2_address} has no L2 account: it has never been deposited to")
        return slot - 1

    @view("deposits_included()", returns="uint256")
    def deposits_included(self, ctx: Context) -> int:
        return ctx.sload("included")

    @view("is_overdue(uint256)", returns="bool")
    def is_overdue(self, ctx: Context, deposit_id: int) -> bool:
        return deposit_id >= ctx.sload("included") and self._overdue(ctx, deposit_id)

    @view("bond_of(address)", returns="uint256")
    def bond_of(self, ctx: Context, proposer: str) -> int:
        return ctx.sload("bond", proposer)

    @view("burned()", returns="uint256")
    def burned(self, ctx: Context) -> int:
        return ctx.sload("burned")

    @view("is_claimed(uint256,uint256)", returns="bool")
    def is_claimed(self, ctx: Context, index: int, leaf_index: int) -> bool:
        return ctx.sload_bool("claimed", index, leaf_index)

    @view("domain_separator()", returns="bytes32")
    def domain_separator(self, ctx: Context) -> bytes:
        return ctx.sload_bytes32("domain")

    @view("params()", returns="(address,uint8,uint64,uint64,uint256,uint8,uint32)")
    def params(self, ctx: Context) -> tuple:
        return (
            ctx.sload_address("operator"), ctx.sload("depth"), ctx.sload("window"), ctx.sload("deadline"),
            ctx.sload("min_bond"), ctx.sload("reward_percent"), ctx.sload("max_batch_bytes"),
        )
