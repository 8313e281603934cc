"""The Plasma MVP root chain: deposits, child-block roots, and the exit game, on the toy L1.

Blocks
    ``deposit()`` takes the ETH sent and creates a deposit block holding one
    transaction that pays it to the sender (``rules.deposit_root``), numbered
    between two operator blocks: after operator block ``k * 1000`` come
    deposit blocks ``k * 1000 + 1`` .. ``k * 1000 + 999``; the 1000th deposit
    of an interval is refused until the operator submits its next block.
    ``submit_block(root)``, by the operator only, records the root of the next
    operator block. L1 keeps each block's root, timestamp and L1 block number
    and nothing else: the transactions never touch L1.

Exits
    The owner of an output starts its exit with a bond of exactly
    ``exit_bond`` wei: ``start_deposit_exit`` for a deposit (L1 rebuilds the
    deposit block's root from the owner and amount), ``start_exit`` for an
    output of an operator block (the signed transaction, its inclusion
    proof, and the confirmation signature of each input's signer over the
    transaction and the block's root). Anyone who holds a spend of the
    exiting output that is included in a block, with the exiter's
    confirmation of it, ``challenge_exit``s it: the exit is cancelled for
    good and the bond is the challenger's.

Finalizing
    Exits wait in a priority queue per token (here ETH only, the zero
    address), a binary heap in storage keyed ``exitable_at << 128 |
    utxo_pos``. ``finalize_exits(token, max_exits)`` pays, lowest key first,
    at most ``max_exits`` (capped) exits whose period is over, in seconds
    *and* in L1 blocks, each its amount and bond back; challenged exits are
    dropped from the queue on the way. The contract never pays more than it
    holds: only exits of coins nobody deposited can find it short, and older
    (honest) outputs are paid first.

What L1 stores
    ``params``: exit period blocks | seconds << 64 | bond << 128 | cap << 224;
    ``counters``: next operator block | next deposit index << 64; per block
    ``root`` and ``block_at`` (timestamp | L1 block << 64); per exit
    ``exit`` (owner | state << 160 | exitable block << 168) and
    ``exit_amount`` (amount | exitable time << 128); the heap ``queue`` (1-based)
    and its ``queue_len`` per token.

Every refusal reverts with a reason naming its rule, and the revert undoes
every write of the call. Every call does bounded work: a heap step per level
(its depth grows with the log of the exits, each paid for by a bond), and
``finalize_exits`` at most the cap.
"""

from __future__ import annotations

from contracts_spec.plasma.params import (
    CHILD_BLOCK_INTERVAL,
    MAX_DEPOSITS_PER_INTERVAL,
    MAX_FINALIZE_PER_CALL,
)
from contracts_spec.plasma.rules import (
    MAX_AMOUNT,
    Domain,
    PlasmaRuleError,
    SignedTransaction,
    check_confirmations,
    check_inclusion,
    confirmation_digest,
    decode_priority,
    decode_utxo_pos,
    deposit_root,
    exit_priority,
    exitable_at,
    signing_digest,
    split_confirmations,
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
from primitives.secp256k1 import to_checksum_address

MASK64 = (1 << 64) - 1
MASK96 = (1 << 96) - 1
MASK128 = (1 << 128) - 1
MASK160 = (1 << 160) - 1
STARTED, CHALLENGED, FINALIZED = 1, 2, 3
STATE_NAMES = {0: "not started", STARTED: "started", CHALLENGED: "challenged", FINALIZED: "finalized"}
ETH = ZERO_ADDRESS


def _rule(exc: PlasmaRuleError) -> Revert:
    return Revert(str(exc))


class _Exit:
    """An exit's two words in storage, unpacked."""

    __slots__ = ("owner", "state", "exitable_block", "amount", "exitable_time")

    def __init__(self, word: int, amount_word: int) -> None:
        self.owner = word & MASK160
        self.state = (word >> 160) & 0xFF
        self.exitable_block = (word >> 168) & MASK64
        self.amount = amount_word & MASK128
        self.exitable_time = amount_word >> 128

    def owner_address(self) -> str:
        return "0x" + self.owner.to_bytes(20, "big").hex()


@register
class RootChain(Contract):
    """Holds the child chain's ETH; commits its blocks' roots and runs the MVP exit game."""

    DepositCreated = event("DepositCreated(address indexed depositor, uint256 indexed blknum, uint256 amount)")
    BlockSubmitted = event("BlockSubmitted(uint256 indexed blknum, bytes32 root)")
    ExitStarted = event("ExitStarted(address indexed owner, uint256 indexed utxo_pos, uint256 amount, "
                        "uint256 exitable_at, uint256 exitable_block)")
    ExitChallenged = event("ExitChallenged(uint256 indexed utxo_pos, address indexed challenger, "
                           "uint256 spend_pos)")
    ExitFinalized = event("ExitFinalized(uint256 indexed utxo_pos, address indexed owner, uint256 amount, "
                          "uint256 paid)")

    @constructor("address", "uint64", "uint64", "uint96", "uint16")
    def init(self, ctx: Context, operator: str, exit_period_blocks: int, exit_period_seconds: int, exit_bond: int,
             max_finalize: int) -> None:
        ctx.require(not same_address(operator, ZERO_ADDRESS), "bad operator: the zero address")
        ctx.require(exit_period_blocks > 0 and exit_period_seconds > 0,
                    "bad exit period: blocks and seconds must both be positive")
        ctx.require(exit_bond > 0, "bad exit bond: an exit must be bonded, or nobody is paid to challenge it")
        ctx.require(0 < max_finalize <= MAX_FINALIZE_PER_CALL,
                    f"bad finalize cap: {max_finalize} outside 1..{MAX_FINALIZE_PER_CALL}")
        ctx.sstore_address("operator", operator)
        ctx.sstore("params", exit_period_blocks | exit_period_seconds << 64 | exit_bond << 128 | max_finalize << 224)
        ctx.sstore("counters", CHILD_BLOCK_INTERVAL | 1 << 64)

    # -- storage helpers ---------------------------------------------------------------------

    def _params(self, ctx: Context) -> tuple[int, int, int, int]:
        word = ctx.sload("params")
        return word & MASK64, (word >> 64) & MASK64, (word >> 128) & MASK96, word >> 224

    def _counters(self, ctx: Context) -> tuple[int, int]:
        word = ctx.sload("counters")
        return word & MASK64, word >> 64

    def _record_block(self, ctx: Context, blknum: int, root: bytes) -> None:
        ctx.sstore_bytes32("root", blknum, root)
        ctx.sstore("block_at", blknum, ctx.timestamp | ctx.block_number << 64)

    def _block(self, ctx: Context, blknum: int) -> tuple[bytes, int, int]:
        """The root, timestamp and L1 block of child block ``blknum``; revert if there is none."""
        root = ctx.sload_bytes32("root", blknum)
        ctx.require(root != bytes(32), f"unknown block: child block {blknum} was never created")
        at = ctx.sload("block_at", blknum)
        return root, at & MASK64, at >> 64

    def _exit(self, ctx: Context, utxo_pos: int) -> _Exit:
        return _Exit(ctx.sload("exit", utxo_pos), ctx.sload("exit_amount", utxo_pos))

    def _position(self, utxo_pos: int) -> tuple[int, int, int]:
        try:
            return decode_utxo_pos(utxo_pos)
        except PlasmaRuleError as exc:
            raise _rule(exc) from None

    # -- the exit queue: a binary min-heap in storage, one per token ------------------------------

    def _push(self, ctx: Context, token: str, key: int) -> None:
        n = ctx.sload("queue_len", token) + 1
        i = n
        while i > 1:
            parent_key = ctx.sload("queue", token, i // 2)
            if parent_key < key:
                break
            ctx.sstore("queue", token, i, parent_key)
            i //= 2
        ctx.sstore("queue", token, i, key)
        ctx.sstore("queue_len", token, n)

    def _pop(self, ctx: Context, token: str) -> None:
        """Remove the lowest key (the caller has read it at position 1)."""
        n = ctx.sload("queue_len", token)
        last = ctx.sload("queue", token, n)
        ctx.sstore("queue", token, n, 0)
        n -= 1
        ctx.sstore("queue_len", token, n)
        if n == 0:
            return
        i = 1
        while 2 * i <= n:
            child = 2 * i
            child_key = ctx.sload("queue", token, child)
            if child + 1 <= n:
                right_key = ctx.sload("queue", token, child + 1)
                if right_key < child_key:
                    child, child_key = child + 1, right_key
            if last < child_key:
                break
            ctx.sstore("queue", token, i, child_key)
            i = child
        ctx.sstore("queue", token, i, last)

    # -- deposits and blocks -------------------------------------------------------------------------

    @external("deposit()", returns="uint256", payable=True)
    def deposit(self, ctx: Context) -> int:
        """Create a deposit block paying the ETH sent to the sender; returns its number."""
        ctx.require(0 < ctx.value <= MAX_AMOUNT, "zero deposit: send the wei to deposit")
        child, index = self._counters(ctx)
        ctx.require(index <= MAX_DEPOSITS_PER_INTERVAL,
                    f"deposit limit: {MAX_DEPOSITS_PER_INTERVAL} deposit blocks already precede operator block "
                    f"{child}; deposit again once the operator has submitted it")
        blknum = child - CHILD_BLOCK_INTERVAL + index
        self._record_block(ctx, blknum, deposit_root(ctx.sender, ctx.value, ctx.keccak))
        ctx.sstore("counters", child | (index + 1) << 64)
        ctx.emit(self.DepositCreated, ctx.sender, blknum, ctx.value)
        return blknum

    @external("submit_block(bytes32)", returns="uint256")
    def submit_block(self, ctx: Context, root: bytes) -> int:
        """Record the root of the next operator block (operator only); returns its number."""
        operator = ctx.sload_address("operator")
        ctx.require(same_address(ctx.sender, operator), f"not the operator: only {operator} submits blocks")
        ctx.require(root != bytes(32), "empty root: a block holds at least one transaction")
        child, _ = self._counters(ctx)
        self._record_block(ctx, child, root)
        ctx.sstore("counters", (child + CHILD_BLOCK_INTERVAL) | 1 << 64)
        ctx.emit(self.BlockSubmitted, child, root)
        return child

    # -- exits ----------------------------------------------------------------------------------------

    def _start(self, ctx: Context, utxo_pos: int, owner: str, amount: int, created_at: int,
               created_block: int) -> None:
        blocks, seconds, bond, _ = self._params(ctx)
        ctx.require(ctx.value == bond, f"bad bond: an exit is bonded with exactly {bond} wei, got {ctx.value}")
        held = self._exit(ctx, utxo_pos)
        ctx.require(held.state == 0, f"exit exists: the exit of position {utxo_pos} was already "
                                     f"{STATE_NAMES[held.state]} and cannot start again")
        exit_time = exitable_at(created_at, ctx.timestamp, seconds)
        exit_block = exitable_at(created_block, ctx.block_number, blocks)
        ctx.sstore("exit", utxo_pos, int(owner, 16) | STARTED << 160 | exit_block << 168)
        ctx.sstore("exit_amount", utxo_pos, amount | exit_time << 128)
        self._push(ctx, ETH, exit_priority(exit_time, utxo_pos))
        ctx.emit(self.ExitStarted, owner, utxo_pos, amount, exit_time, exit_block)

    @external("start_deposit_exit(uint256,uint256)", payable=True)
    def start_deposit_exit(self, ctx: Context, utxo_pos: int, amount: int) -> None:
        """Start the exit of the sender's deposit of ``amount`` wei at ``utxo_pos``, bonded."""
        blknum, txindex, oindex = self._position(utxo_pos)
        ctx.require(blknum % CHILD_BLOCK_INTERVAL != 0,
                    f"not a deposit block: block {blknum} is an operator block, exit its outputs with start_exit")
        ctx.require(txindex == 0 and oindex == 0,
                    f"not a deposit output: a deposit block's one output is at transaction 0, output 0, "
                    f"not {txindex}, {oindex}")
        root, created_at, created_block = self._block(ctx, blknum)
        ctx.require(0 < amount <= MAX_AMOUNT, f"not the deposit: no deposit pays {amount} wei")
        ctx.require(deposit_root(ctx.sender, amount, ctx.keccak) == root,
                    f"not the deposit: deposit block {blknum} does not pay {amount} wei to {ctx.sender}")
        self._start(ctx, utxo_pos, ctx.sender, amount, created_at, created_block)

    @external("start_exit(uint256,bytes,bytes,bytes)", payable=True)
    def start_exit(self, ctx: Context, utxo_pos: int, signed_tx: bytes, proof: bytes,
                   confirmation_sigs: bytes) -> None:
        """Start the exit of the sender's output at ``utxo_pos`` of an operator block, bonded.

        ``signed_tx`` is the transaction with its signatures (218 bytes),
        ``proof`` its inclusion in the block (512 bytes), and
        ``confirmation_sigs`` each input signer's confirmation of it in that
        block (130 bytes; zero for an unused input).
        """
        blknum, txindex, oindex = self._position(utxo_pos)
        ctx.require(blknum % CHILD_BLOCK_INTERVAL == 0,
                    f"deposit block: block {blknum} holds a deposit, exit it with start_deposit_exit")
        root, created_at, created_block = self._block(ctx, blknum)
        try:
            signed = SignedTransaction.decode(signed_tx)
            tx = signed.tx
            ctx.require(not tx.is_deposit, "not a spend: deposits come from L1, an operator block only spends")
            output = tx.outputs[oindex]
            ctx.require(not output.is_empty, f"empty output: output {oindex} of the transaction pays nobody")
            ctx.require(same_address(output.owner, ctx.sender),
                        f"not the owner: position {utxo_pos} pays {output.owner}, not the sender")
            confirmations = split_confirmations(confirmation_sigs, tx)
            check_inclusion(root, signed.leaf(ctx.keccak), txindex, proof, ctx.keccak)
            tx_hash = tx.hash(ctx.keccak)
            digest = signing_digest(tx_hash, Domain(ctx.chain_id, ctx.this), ctx.keccak)
            signers = [ctx.ecrecover(digest, signed.signatures[i]) for i in range(len(tx.spent))]
            confirmed = confirmation_digest(tx_hash, root, ctx.keccak)
            check_confirmations(tx, signers, [ctx.ecrecover(confirmed, sig) for sig in confirmations])
        except PlasmaRuleError as exc:
            raise _rule(exc) from None
        self._start(ctx, utxo_pos, output.owner, output.amount, created_at, created_block)

    @external("challenge_exit(uint256,uint256,bytes,bytes,bytes)")
    def challenge_exit(self, ctx: Context, utxo_pos: int, spend_pos: int, signed_tx: bytes, proof: bytes,
                       confirmation_sig: bytes) -> None:
        """Cancel the exit of ``utxo_pos`` with an included spend of it and the exiter's confirmation of it.

        ``spend_pos`` names the spending transaction (its output 0's
        position); the bond goes to the sender.
        """
        held = self._exit(ctx, utxo_pos)
        ctx.require(held.state == STARTED, f"no exit to challenge: the exit of position {utxo_pos} is "
                                           f"{STATE_NAMES[held.state]}")
        blknum, txindex, oindex = self._position(spend_pos)
        ctx.require(oindex == 0, f"bad position: name the spending transaction by its output 0, not {oindex}")
        root, _, _ = self._block(ctx, blknum)
        try:
            signed = SignedTransaction.decode(signed_tx)
            ctx.require(utxo_pos in signed.tx.spent,
                        f"not a spend: the transaction does not spend position {utxo_pos}")
            check_inclusion(root, signed.leaf(ctx.keccak), txindex, proof, ctx.keccak)
        except PlasmaRuleError as exc:
            raise _rule(exc) from None
        ctx.require(isinstance(confirmation_sig, bytes) and len(confirmation_sig) == 65,
                    "bad confirmation: a confirmation signature is 65 bytes")
        confirmer = ctx.ecrecover(confirmation_digest(signed.tx.hash(ctx.keccak), root, ctx.keccak),
                                  confirmation_sig)
        owner = held.owner_address()
        ctx.require(confirmer is not None and same_address(confirmer, owner),
                    f"bad confirmation: not {to_checksum_address(owner)}'s confirmation of the spend in "
                    f"block {blknum}")
        ctx.sstore("exit", utxo_pos, CHALLENGED << 160)
        ctx.sstore("exit_amount", utxo_pos, 0)
        _, _, bond, _ = self._params(ctx)
        ctx.transfer(ctx.sender, bond)
        ctx.emit(self.ExitChallenged, utxo_pos, ctx.sender, spend_pos)

    @external("finalize_exits(address,uint256)", returns="uint256")
    def finalize_exits(self, ctx: Context, token: str, max_exits: int) -> int:
        """Pay up to ``max_exits`` exits whose period is over, lowest priority key first; returns how many left the queue.

        Anyone may call it. It stops at the first exit still in its period,
        so a call with nothing due does nothing.
        """
        ctx.require(same_address(token, ETH), f"unknown token: {token}; only ETH (the zero address) exits here")
        _, _, bond, cap = self._params(ctx)
        ctx.require(0 < max_exits <= cap, f"bad max_exits: {max_exits} outside 1..{cap}")
        done = 0
        while done < max_exits:
            top = ctx.sload("queue", token, 1)
            if top == 0:
                break
            exit_time, utxo_pos = decode_priority(top)
            if ctx.timestamp < exit_time:
                break
            held = self._exit(ctx, utxo_pos)
            if held.state == STARTED and ctx.block_number < held.exitable_block:
                break
            self._pop(ctx, token)
            done += 1
            if held.state != STARTED:  # challenged: its bond is already paid
                continue
            ctx.sstore("exit", utxo_pos, held.owner | FINALIZED << 160 | held.exitable_block << 168)
            ctx.sstore("exit_amount", utxo_pos, 0)
            paid = min(held.amount + bond, ctx.self_balance)
            owner = held.owner_address()
            ctx.transfer(owner, paid)
            ctx.emit(self.ExitFinalized, utxo_pos, owner, held.amount, paid)
        return done

    # -- views -------------------------------------------------------------------------------------------

    @view("operator()", returns="address")
    def operator(self, ctx: Context) -> str:
        return ctx.sload_address("operator")

    @view("params()", returns="(uint64,uint64,uint96,uint16)")
    def params(self, ctx: Context) -> tuple:
        """Exit period in blocks and in seconds, the exit bond, and the finalize cap."""
        return self._params(ctx)

    @view("current_child_block()", returns="uint256")
    def current_child_block(self, ctx: Context) -> int:
        """The number the next operator block will get."""
        return self._counters(ctx)[0]

    @view("next_deposit_block()", returns="uint256")
    def next_deposit_block(self, ctx: Context) -> int:
        """The number the next deposit will get (past the interval's 999th: the next operator block's number)."""
        child, index = self._counters(ctx)
        return child - CHILD_BLOCK_INTERVAL + index

    @view("child_block(uint256)", returns="(bytes32,uint256,uint256)")
    def child_block(self, ctx: Context, blknum: int) -> tuple:
        """Root, timestamp and L1 block of child block ``blknum``; zeros if it was never created."""
        at = ctx.sload("block_at", blknum)
        return ctx.sload_bytes32("root", blknum), at & MASK64, at >> 64

    @view("exit_info(uint256)", returns="(address,uint256,uint8,uint256,uint256)")
    def exit_info(self, ctx: Context, utxo_pos: int) -> tuple:
        """Owner, amount, state (0 none, 1 started, 2 challenged, 3 finalized), exitable time and block."""
        held = self._exit(ctx, utxo_pos)
        return held.owner_address(), held.amount, held.state, held.exitable_time, held.exitable_block

    @view("next_exit(address)", returns="(uint256,uint256)")
    def next_exit(self, ctx: Context, token: str) -> tuple:
        """Exitable time and position of the exit at the head of ``token``'s queue; (0, 0) when it is empty."""
        return decode_priority(ctx.sload("queue", token, 1))

    @view("queue_length(address)", returns="uint256")
    def queue_length(self, ctx: Context, token: str) -> int:
        return ctx.sload("queue_len", token)
