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

In-flight exits (More Viable Plasma)
    A transaction that was broadcast but whose block may be withheld (or
    that was never included) exits without confirmation signatures.
    ``start_in_flight_exit`` shows the signed transaction, each input's
    creating transaction and its inclusion proof, bonded with the in-flight
    bond (``params.in_flight_bonds``); anyone may start it, once per
    transaction (its id is the hash of the unsigned transaction). Its
    priority is its youngest input's position and it becomes exitable as a
    standard exit of that input would (``rules.exitable_at``). The game has
    two phases (``rules.first_phase_end``): in the first, input and output
    owners ``piggyback_input`` / ``piggyback_output`` with a piggyback bond,
    and anyone shows a competitor (another spend of one of its inputs,
    signed by that input's owner, included or not) with
    ``challenge_in_flight_exit_not_canonical``, the oldest competitor
    counting; in the second, anyone shows the transaction included before
    that competitor with ``respond_to_non_canonical_challenge``. Until the
    exit is due, ``challenge_piggybacked_input_spent`` (a spend of the
    input besides the transaction) and
    ``challenge_piggybacked_output_spent`` (a spend of the output, or a
    standard exit of it) take a piggyback's bond. When it finalizes (in the
    same queue, so in the same capped calls), a canonical transaction pays
    its piggybacked outputs, a non-canonical one its piggybacked inputs;
    unchallenged piggyback bonds go back to their owners, the in-flight
    bond to whoever made the last standing statement about canonicity. One
    left without a piggyback pays nothing and is cleared: the transaction's
    in-flight exit may start again.

    The two kinds of exit exclude each other through the positions' exit
    records: inputs an in-flight exit spends or pays (and outputs, where
    its position is proven) are recorded finalized, so no standard exit of
    them starts; an input already exited makes the transaction pay inputs
    only; ``challenge_standard_exit_in_flight`` cancels a standard exit of
    an input of a canonical in-flight transaction, or of an output an
    in-flight exit paid.

Finalizing
    Exits wait in a priority queue per token (here ETH only, the zero
    address), a binary heap in storage keyed ``exitable_at << 128 |
    utxo_pos << 64 | seq`` (``rules.exit_priority``; ``seq`` 0 for a standard
    exit, the in-flight exit's number for an in-flight one).
    ``finalize_exits(token, max_exits)`` pays, lowest key first, at most
    ``max_exits`` (capped) exits whose period is over, in seconds *and* in
    L1 blocks, each its amount and bond back; challenged exits are dropped
    from the queue on the way. The contract never pays more than it holds:
    only exits of coins nobody deposited can find it short, and older
    (honest) outputs are paid first.

What L1 stores
    ``params``: exit period blocks | seconds << 64 | bond << 128 | cap << 224;
    ``counters``: next operator block | next deposit index << 64; per block
    ``root`` and ``block_at`` (timestamp | L1 block << 64); per exit
    ``exit`` (owner | state << 160 | exitable block << 168) and
    ``exit_amount`` (amount | exitable time << 128); the heap ``queue`` (1-based)
    and its ``queue_len`` per token. Per in-flight exit, by transaction hash:
    ``ife`` (bond owner | state << 160 | flags << 168 | seq << 176),
    ``ife_clock`` (first phase's end time | its block << 64 | exitable time
    << 128 | exitable block << 192), ``ife_pos`` (input positions | oldest
    competitor's position << 128 | the transaction's proven position <<
    192), ``ife_in`` and ``ife_out`` per index (owner | amount << 160);
    ``ife_seq`` maps an in-flight exit's number to its hash, ``ife_count``
    counts them.

Every refusal reverts with a reason naming its rule, and the revert undoes
every write of the call. Every call does bounded work: a heap step per level
(its depth grows with the log of the exits, each paid for by a bond),
``finalize_exits`` at most the cap, and an in-flight exit's calls at most
its two inputs and two outputs.
"""

from __future__ import annotations

from contracts_spec.plasma import rules as R
from contracts_spec.plasma.params import (
    CHILD_BLOCK_INTERVAL,
    MAX_DEPOSITS_PER_INTERVAL,
    MAX_FINALIZE_PER_CALL,
    in_flight_bonds,
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


# An in-flight exit's flags: bits 0-1 its piggybacked inputs, 2-3 its piggybacked outputs, 4-5 the outputs it
# paid, 6 set when it finalized as canonical.
PB_INPUT, PB_OUTPUT, PAID_OUTPUT, SETTLED_CANONICAL = 0, 2, 4, 6


def _rule(exc: PlasmaRuleError) -> Revert:
    return Revert(str(exc))


def _exit_state(state: int) -> int:
    """How an in-flight exit sees a position's standard exit record: free, exiting or exited."""
    return R.EXITING if state == STARTED else R.EXITED if state == FINALIZED else R.FREE


class _InFlight:
    """An in-flight exit's three words in storage, unpacked."""

    __slots__ = ("bond_owner", "state", "flags", "seq", "first_time", "first_block", "exit_time", "exit_block",
                 "inputs", "competitor", "tx_pos")

    def __init__(self, word: int, clock: int, pos: int) -> None:
        self.bond_owner = word & MASK160
        self.state = (word >> 160) & 0xFF
        self.flags = (word >> 168) & 0xFF
        self.seq = (word >> 176) & MASK64
        self.first_time, self.first_block = clock & MASK64, (clock >> 64) & MASK64
        self.exit_time, self.exit_block = (clock >> 128) & MASK64, clock >> 192
        self.inputs = tuple(p for p in (pos & MASK64, (pos >> 64) & MASK64) if p)
        self.competitor, self.tx_pos = (pos >> 128) & MASK64, pos >> 192

    def word(self) -> int:
        return self.bond_owner | self.state << 160 | self.flags << 168 | self.seq << 176

    def pos_word(self) -> int:
        ins = [*self.inputs, 0, 0]
        return ins[0] | ins[1] << 64 | self.competitor << 128 | self.tx_pos << 192

    def flag(self, bit: int, index: int = 0) -> bool:
        return bool(self.flags >> (bit + index) & 1)

    def phase(self, ctx: Context) -> int:
        return R.in_flight_phase((ctx.timestamp, ctx.block_number), (self.first_time, self.first_block),
                                 (self.exit_time, self.exit_block))

    def bond_owner_address(self) -> str:
        return "0x" + self.bond_owner.to_bytes(20, "big").hex()


def _owner_amount(word: int) -> tuple[str, int]:
    return "0x" + (word & MASK160).to_bytes(20, "big").hex(), word >> 160


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
    InFlightExitStarted = event("InFlightExitStarted(address indexed initiator, bytes32 indexed tx_hash, "
                                "uint256 youngest_input, uint256 exitable_at, uint256 exitable_block)")
    InFlightInputPiggybacked = event("InFlightInputPiggybacked(address indexed owner, bytes32 indexed tx_hash, "
                                     "uint8 index)")
    InFlightOutputPiggybacked = event("InFlightOutputPiggybacked(address indexed owner, bytes32 indexed tx_hash, "
                                      "uint8 index)")
    InFlightExitChallenged = event("InFlightExitChallenged(address indexed challenger, bytes32 indexed tx_hash, "
                                   "uint256 competitor_pos)")
    InFlightExitChallengeResponded = event("InFlightExitChallengeResponded(address indexed responder, "
                                           "bytes32 indexed tx_hash, uint256 tx_pos)")
    InFlightInputBlocked = event("InFlightInputBlocked(address indexed challenger, bytes32 indexed tx_hash, "
                                 "uint8 index)")
    InFlightOutputBlocked = event("InFlightOutputBlocked(address indexed challenger, bytes32 indexed tx_hash, "
                                  "uint8 index)")
    InFlightExitPaid = event("InFlightExitPaid(bytes32 indexed tx_hash, address indexed owner, uint8 index, "
                             "bool output, uint256 amount, uint256 paid)")
    InFlightExitFinalized = event("InFlightExitFinalized(bytes32 indexed tx_hash, bool canonical, "
                                  "address bond_owner)")

    @constructor("address", "uint64", "uint64", "uint96", "uint16")
    def init(self, ctx: Context, operator: str, exit_period_blocks: int, exit_period_seconds: int, exit_bond: int,
             max_finalize: int) -> None:
        ctx.require(not same_address(operator, ZERO_ADDRESS), "bad operator: the zero address")
        ctx.require(exit_period_blocks > 0 and exit_period_seconds > 0,
                    "bad exit period: blocks and seconds must both be positive")
        ctx.require(exit_period_blocks < 2**32, "bad exit period: at most 2**32 - 1 blocks, so two periods "
                                                "past any block fit an exit's 64-bit record")
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

    def _exit_head(self, ctx: Context, utxo_pos: int) -> _Exit:
        """An exit's first word only (owner, state, exitable block): what a check of its state needs."""
        return _Exit(ctx.sload("exit", utxo_pos), 0)

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
        ctx.require(ctx.value > 0, "zero deposit: send the wei to deposit")
        ctx.require(ctx.value <= MAX_AMOUNT, f"deposit too large: at most {MAX_AMOUNT} wei per deposit")
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
            for i, pos in enumerate(tx.spent):  # one value never exits twice: as an input and as this output
                paid = self._exit_head(ctx, pos)
                ctx.require(not (paid.state == FINALIZED and paid.owner),
                            f"input exited: input {i} (position {pos}) of this transaction was paid out by its "
                            "own exit")
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
        tx_hash = signed.tx.hash(ctx.keccak)
        owner = held.owner_address()
        # The spend itself is the exiter's, signed for this root chain: a confirmation copied from another
        # deployment (whose root an operator can copy too) challenges nothing here.
        spender = ctx.ecrecover(signing_digest(tx_hash, Domain(ctx.chain_id, ctx.this), ctx.keccak),
                                signed.signatures[signed.tx.spent.index(utxo_pos)])
        ctx.require(spender is not None and same_address(spender, owner),
                    f"bad signature: the spend of position {utxo_pos} is not signed by {to_checksum_address(owner)} "
                    "for this root chain")
        confirmer = ctx.ecrecover(confirmation_digest(tx_hash, root, ctx.keccak), confirmation_sig)
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
            exit_time, utxo_pos, seq = R.decode_queue_key(top)
            if ctx.timestamp < exit_time:
                break
            if seq:  # an in-flight exit
                tx_hash = ctx.sload_bytes32("ife_seq", seq)
                ife = self._in_flight(ctx, tx_hash)
                if ctx.block_number < ife.exit_block:
                    break
                self._pop(ctx, token)
                done += 1
                self._settle(ctx, tx_hash, ife)
                continue
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

    # -- in-flight exits (More Viable Plasma) ----------------------------------------------------------------

    def _in_flight(self, ctx: Context, tx_hash: bytes) -> _InFlight:
        return _InFlight(ctx.sload("ife", tx_hash), ctx.sload("ife_clock", tx_hash), ctx.sload("ife_pos", tx_hash))

    def _bonds(self, ctx: Context) -> tuple[int, int]:
        return in_flight_bonds(self._params(ctx)[2])

    def _decode(self, signed_tx: bytes) -> SignedTransaction:
        try:
            return SignedTransaction.decode(signed_tx)
        except PlasmaRuleError as exc:
            raise _rule(exc) from None

    def _open(self, ctx: Context, in_flight_tx: bytes) -> tuple[SignedTransaction, bytes, _InFlight]:
        """The in-flight transaction, its hash and its open exit; revert if it has none or it finalized."""
        signed = self._decode(in_flight_tx)
        tx_hash = signed.tx.hash(ctx.keccak)
        ife = self._in_flight(ctx, tx_hash)
        ctx.require(ife.state != 0, f"unknown in-flight exit: no in-flight exit of transaction 0x{tx_hash.hex()} "
                                    "was started")
        ctx.require(ife.state == STARTED, f"in-flight exit finalized: the in-flight exit of transaction "
                                          f"0x{tx_hash.hex()} is over")
        return signed, tx_hash, ife

    def _require_phase(self, ctx: Context, ife: _InFlight, phases: tuple[int, ...], what: str) -> None:
        phase = ife.phase(ctx)
        ctx.require(phase in phases,
                    f"out of phase: {what}; the first phase ends at time {ife.first_time} and L1 block "
                    f"{ife.first_block}, the second at time {ife.exit_time} and L1 block {ife.exit_block}; it is "
                    f"time {ctx.timestamp}, L1 block {ctx.block_number} ({R.PHASE_NAMES[phase]})")

    def _included_at(self, ctx: Context, signed: SignedTransaction, tx_pos: int, proof: bytes) -> None:
        """``signed`` is the transaction at ``tx_pos`` (its output 0's position) of an operator block."""
        blknum, txindex, oindex = self._position(tx_pos)
        ctx.require(oindex == 0, f"bad position: name a transaction by its output 0, not output {oindex}")
        ctx.require(blknum % CHILD_BLOCK_INTERVAL == 0,
                    f"deposit block: block {blknum} holds a deposit, not a spend")
        root, _, _ = self._block(ctx, blknum)
        try:
            check_inclusion(root, signed.leaf(ctx.keccak), txindex, proof, ctx.keccak)
        except PlasmaRuleError as exc:
            raise _rule(exc) from None

    def _signer(self, ctx: Context, signed: SignedTransaction, index: int) -> str | None:
        digest = signing_digest(signed.tx.hash(ctx.keccak), Domain(ctx.chain_id, ctx.this), ctx.keccak)
        return ctx.ecrecover(digest, signed.signatures[index])

    def _pay(self, ctx: Context, to: str, amount: int) -> int:
        paid = min(amount, ctx.self_balance)
        ctx.transfer(to, paid)
        return paid

    @external("start_in_flight_exit(bytes,bytes,bytes)", payable=True)
    def start_in_flight_exit(self, ctx: Context, in_flight_tx: bytes, input_txs: bytes, input_proofs: bytes) -> None:
        """Start the in-flight exit of a signed spend, bonded; no confirmation signature is needed.

        ``in_flight_tx`` is the transaction with its signatures (218 bytes),
        ``input_txs`` the transaction that created each of its inputs (218
        bytes each, in input order; a deposit's is the deposit as its block
        holds it), ``input_proofs`` their inclusion proofs (512 bytes each;
        a deposit's is 16 zero hashes). Anyone may start it.
        """
        blocks, seconds, _, _ = self._params(ctx)
        bond, _ = self._bonds(ctx)
        ctx.require(ctx.value == bond, f"bad bond: an in-flight exit is bonded with exactly {bond} wei, "
                                       f"got {ctx.value}")
        signed = self._decode(in_flight_tx)
        tx = signed.tx
        try:
            youngest = R.youngest_input(tx)
            tx_hash = tx.hash(ctx.keccak)
            ctx.require(ctx.sload("ife", tx_hash) == 0,
                        f"in-flight exit exists: the in-flight exit of transaction 0x{tx_hash.hex()} was already "
                        "started")
            owners, amounts, created = [], [], (0, 0)
            for pos, (creating, proof) in zip(tx.spent, R.split_input_proofs(tx, input_txs, input_proofs),
                                              strict=True):
                blknum, txindex, oindex = decode_utxo_pos(pos)
                root, created_at, created_block = self._block(ctx, blknum)
                check_inclusion(root, creating.leaf(ctx.keccak), txindex, proof, ctx.keccak)
                output = R.created_output(creating.tx, oindex, blknum % CHILD_BLOCK_INTERVAL != 0)
                owners.append(output.owner)
                amounts.append(output.amount)
                if pos == youngest:
                    created = (created_at, created_block)
            R.check_in_flight_amounts(tx, amounts)
            R.check_signatures(tx, [self._signer(ctx, signed, i) for i in range(len(tx.spent))], owners)
        except PlasmaRuleError as exc:
            raise _rule(exc) from None
        seq = ctx.sload("ife_count") + 1
        ctx.sstore("ife_count", seq)
        exit_time = exitable_at(created[0], ctx.timestamp, seconds)
        exit_block = exitable_at(created[1], ctx.block_number, blocks)
        ife = _InFlight(0, 0, 0)
        ife.bond_owner, ife.state, ife.seq = int(ctx.sender, 16), STARTED, seq
        ife.inputs = tx.spent
        ctx.sstore("ife", tx_hash, ife.word())
        ctx.sstore("ife_clock", tx_hash, R.first_phase_end(ctx.timestamp, seconds)
                   | R.first_phase_end(ctx.block_number, blocks) << 64 | exit_time << 128 | exit_block << 192)
        ctx.sstore("ife_pos", tx_hash, ife.pos_word())
        for i, (owner, amount) in enumerate(zip(owners, amounts, strict=True)):
            ctx.sstore("ife_in", tx_hash, i, int(owner, 16) | amount << 160)
        ctx.sstore_bytes32("ife_seq", seq, tx_hash)
        self._push(ctx, ETH, exit_priority(exit_time, youngest, seq))
        ctx.emit(self.InFlightExitStarted, ctx.sender, tx_hash, youngest, exit_time, exit_block)

    def _open_piggyback(self, ctx: Context, in_flight_tx: bytes) -> tuple[SignedTransaction, bytes, _InFlight]:
        """A piggyback's common checks: its exact bond, an open in-flight exit of the transaction, the first phase."""
        _, bond = self._bonds(ctx)
        ctx.require(ctx.value == bond, f"bad bond: a piggyback is bonded with exactly {bond} wei, got {ctx.value}")
        signed, tx_hash, ife = self._open(ctx, in_flight_tx)
        self._require_phase(ctx, ife, (R.FIRST_PHASE,), "piggybacks are in the first phase")
        return signed, tx_hash, ife

    @external("piggyback_input(bytes,uint8)", payable=True)
    def piggyback_input(self, ctx: Context, in_flight_tx: bytes, index: int) -> None:
        """Claim input ``index`` of an in-flight transaction, paid if it turns out non-canonical (owner only, bonded)."""
        signed, tx_hash, ife = self._open_piggyback(ctx, in_flight_tx)
        try:
            pos = R.input_position(signed.tx, index)
        except PlasmaRuleError as exc:
            raise _rule(exc) from None
        owner, _ = _owner_amount(ctx.sload("ife_in", tx_hash, index))
        ctx.require(same_address(owner, ctx.sender),
                    f"not the owner: input {index} (position {pos}) is owned by {to_checksum_address(owner)}, not "
                    "the sender")
        ctx.require(not ife.flag(PB_INPUT, index), f"piggybacked already: input {index} is piggybacked")
        ife.flags |= 1 << (PB_INPUT + index)
        ctx.sstore("ife", tx_hash, ife.word())
        ctx.emit(self.InFlightInputPiggybacked, ctx.sender, tx_hash, index)

    @external("piggyback_output(bytes,uint8)", payable=True)
    def piggyback_output(self, ctx: Context, in_flight_tx: bytes, index: int) -> None:
        """Claim output ``index`` of an in-flight transaction, paid if it is canonical (owner only, bonded)."""
        signed, tx_hash, ife = self._open_piggyback(ctx, in_flight_tx)
        try:
            output = R.piggyback_output(signed.tx, index)
        except PlasmaRuleError as exc:
            raise _rule(exc) from None
        ctx.require(same_address(output.owner, ctx.sender),
                    f"not the owner: output {index} pays {output.owner}, not the sender")
        ctx.require(not ife.flag(PB_OUTPUT, index), f"piggybacked already: output {index} is piggybacked")
        ife.flags |= 1 << (PB_OUTPUT + index)
        ctx.sstore("ife", tx_hash, ife.word())
        ctx.sstore("ife_out", tx_hash, index, int(output.owner, 16) | output.amount << 160)
        ctx.emit(self.InFlightOutputPiggybacked, ctx.sender, tx_hash, index)

    @external("challenge_in_flight_exit_not_canonical(bytes,uint8,bytes,uint256,bytes)")
    def challenge_in_flight_exit_not_canonical(self, ctx: Context, in_flight_tx: bytes, input_index: int,
                                               competitor_tx: bytes, competitor_pos: int,
                                               competitor_proof: bytes) -> None:
        """Show a competitor: another spend of input ``input_index``, signed by its owner, included or not.

        ``competitor_pos`` and ``competitor_proof`` place it in a block (its
        output 0's position and inclusion proof); 0 and empty bytes show it
        without inclusion, as younger than every included transaction. Only a
        competitor older than the oldest one shown so far counts; the
        challenger becomes the in-flight bond's owner.
        """
        signed, tx_hash, ife = self._open(ctx, in_flight_tx)
        self._require_phase(ctx, ife, (R.FIRST_PHASE,), "canonicity challenges are in the first phase")
        competitor = self._decode(competitor_tx)
        owner, _ = _owner_amount(ctx.sload("ife_in", tx_hash, input_index) if 0 <= input_index < 2 else 0)
        try:
            k = R.competing_input(signed.tx, competitor.tx, input_index)
            R.check_signed_by(self._signer(ctx, competitor, k), owner, f"the competitor's input {k}")
        except PlasmaRuleError as exc:
            raise _rule(exc) from None
        if competitor_pos == 0:
            ctx.require(competitor_proof == b"", "bad proof: a competitor shown without its position carries no "
                                                 "inclusion proof")
            position = R.NOT_INCLUDED
        else:
            self._included_at(ctx, competitor, competitor_pos, competitor_proof)
            position = competitor_pos
        try:
            R.check_older_competitor(position, ife.competitor)
        except PlasmaRuleError as exc:
            raise _rule(exc) from None
        ife.competitor, ife.bond_owner = position, int(ctx.sender, 16)
        ctx.sstore("ife", tx_hash, ife.word())
        ctx.sstore("ife_pos", tx_hash, ife.pos_word())
        ctx.emit(self.InFlightExitChallenged, ctx.sender, tx_hash, position)

    @external("respond_to_non_canonical_challenge(bytes,uint256,bytes)")
    def respond_to_non_canonical_challenge(self, ctx: Context, in_flight_tx: bytes, tx_pos: int,
                                           proof: bytes) -> None:
        """Show the in-flight transaction included at ``tx_pos``, older than the oldest competitor shown.

        The transaction is canonical again for good (no challenge comes
        after the first phase), and the responder becomes the in-flight
        bond's owner.
        """
        signed, tx_hash, ife = self._open(ctx, in_flight_tx)
        self._require_phase(ctx, ife, (R.SECOND_PHASE,), "responses to canonicity challenges are in the second "
                                                         "phase")
        ctx.require(ife.competitor != 0, "no challenge: no competitor of the in-flight transaction was shown")
        ctx.require(ife.tx_pos == 0, f"responded already: the in-flight transaction is shown at {ife.tx_pos}")
        self._included_at(ctx, signed, tx_pos, proof)
        ctx.require(tx_pos < ife.competitor, f"not older: the in-flight transaction at {tx_pos} is not older than "
                                             f"the competitor at {ife.competitor}")
        ife.tx_pos, ife.bond_owner = tx_pos, int(ctx.sender, 16)
        ctx.sstore("ife", tx_hash, ife.word())
        ctx.sstore("ife_pos", tx_hash, ife.pos_word())
        ctx.emit(self.InFlightExitChallengeResponded, ctx.sender, tx_hash, tx_pos)

    @external("challenge_piggybacked_input_spent(bytes,uint8,bytes)")
    def challenge_piggybacked_input_spent(self, ctx: Context, in_flight_tx: bytes, input_index: int,
                                          spending_tx: bytes) -> None:
        """Block a piggybacked input with another spend of it signed by its owner (included or not); take its bond."""
        signed, tx_hash, ife = self._open(ctx, in_flight_tx)
        self._require_phase(ctx, ife, (R.FIRST_PHASE, R.SECOND_PHASE), "piggybacks are challenged until the "
                                                                       "second phase ends")
        ctx.require(0 <= input_index < 2 and ife.flag(PB_INPUT, input_index),
                    f"not piggybacked: input {input_index} of the in-flight transaction is not piggybacked")
        spend = self._decode(spending_tx)
        owner, _ = _owner_amount(ctx.sload("ife_in", tx_hash, input_index))
        try:
            k = R.competing_input(signed.tx, spend.tx, input_index)
            R.check_signed_by(self._signer(ctx, spend, k), owner, f"the spend's input {k}")
        except PlasmaRuleError as exc:
            raise _rule(exc) from None
        ife.flags &= ~(1 << (PB_INPUT + input_index))
        ctx.sstore("ife", tx_hash, ife.word())
        ctx.transfer(ctx.sender, self._bonds(ctx)[1])
        ctx.emit(self.InFlightInputBlocked, ctx.sender, tx_hash, input_index)

    @external("challenge_piggybacked_output_spent(bytes,uint256,bytes,uint8,bytes)")
    def challenge_piggybacked_output_spent(self, ctx: Context, in_flight_tx: bytes, tx_pos: int, proof: bytes,
                                           output_index: int, spending_tx: bytes) -> None:
        """Block a piggybacked output shown spent; take its bond.

        The in-flight transaction is shown included at ``tx_pos``, which
        names the output's position; ``spending_tx`` spends that position,
        signed by the output's owner (included or not), or is empty when a
        standard exit of the output is started or finalized.
        """
        signed, tx_hash, ife = self._open(ctx, in_flight_tx)
        self._require_phase(ctx, ife, (R.FIRST_PHASE, R.SECOND_PHASE), "piggybacks are challenged until the "
                                                                       "second phase ends")
        ctx.require(0 <= output_index < 2 and ife.flag(PB_OUTPUT, output_index),
                    f"not piggybacked: output {output_index} of the in-flight transaction is not piggybacked")
        self._included_at(ctx, signed, tx_pos, proof)
        out_pos = tx_pos + output_index
        if spending_tx == b"":
            state = self._exit_head(ctx, out_pos).state
            ctx.require(state in (STARTED, FINALIZED), f"not spent: position {out_pos} has no standard exit "
                                                       f"({STATE_NAMES[state]}) and no spend of it is shown")
        else:
            spend = self._decode(spending_tx)
            ctx.require(out_pos in spend.tx.spent, f"not a spend: the transaction does not spend position {out_pos}")
            owner, _ = _owner_amount(ctx.sload("ife_out", tx_hash, output_index))
            try:
                R.check_signed_by(self._signer(ctx, spend, spend.tx.spent.index(out_pos)), owner,
                                  f"the spend of position {out_pos}")
            except PlasmaRuleError as exc:
                raise _rule(exc) from None
        ife.flags &= ~(1 << (PB_OUTPUT + output_index))
        ctx.sstore("ife", tx_hash, ife.word())
        ctx.transfer(ctx.sender, self._bonds(ctx)[1])
        ctx.emit(self.InFlightOutputBlocked, ctx.sender, tx_hash, output_index)

    @external("challenge_standard_exit_in_flight(uint256,bytes,uint256,bytes)")
    def challenge_standard_exit_in_flight(self, ctx: Context, utxo_pos: int, in_flight_tx: bytes, tx_pos: int,
                                          proof: bytes) -> None:
        """Cancel a standard exit of a position an in-flight exit spends or paid; take its bond.

        With ``tx_pos`` 0, ``utxo_pos`` is an input of the in-flight
        transaction, which is canonical (still, or as it finalized): the
        input is spent. Otherwise the transaction is shown included at
        ``tx_pos`` and ``utxo_pos`` is an output of it the in-flight exit paid.
        """
        held = self._exit(ctx, utxo_pos)
        ctx.require(held.state == STARTED, f"no exit to challenge: the exit of position {utxo_pos} is "
                                           f"{STATE_NAMES[held.state]}")
        signed = self._decode(in_flight_tx)
        tx_hash = signed.tx.hash(ctx.keccak)
        ife = self._in_flight(ctx, tx_hash)
        ctx.require(ife.state != 0, f"unknown in-flight exit: no in-flight exit of transaction 0x{tx_hash.hex()} "
                                    "was started")
        if tx_pos == 0:
            ctx.require(utxo_pos in ife.inputs, f"not an input: the in-flight transaction does not spend position "
                                                f"{utxo_pos}")
            if ife.state == STARTED:
                exited = [p for p in ife.inputs if self._exit_head(ctx, p).state == FINALIZED]
                ctx.require(R.is_canonical(ife.competitor, ife.tx_pos) and not exited,
                            "not canonical: the in-flight transaction has a competitor or an exited input, so its "
                            "inputs may still exit")
            else:
                ctx.require(ife.flag(SETTLED_CANONICAL), "not canonical: the in-flight exit paid its inputs, not "
                                                         "its outputs")
        else:
            self._included_at(ctx, signed, tx_pos, proof)
            j = utxo_pos - tx_pos
            ctx.require(j in (0, 1) and ife.state == FINALIZED and ife.flag(PAID_OUTPUT, j),
                        f"not exited in flight: position {utxo_pos} is no output the in-flight exit paid")
        ctx.sstore("exit", utxo_pos, CHALLENGED << 160)
        ctx.sstore("exit_amount", utxo_pos, 0)
        ctx.transfer(ctx.sender, self._params(ctx)[2])
        ctx.emit(self.ExitChallenged, utxo_pos, ctx.sender, tx_pos)

    def _settle(self, ctx: Context, tx_hash: bytes, ife: _InFlight) -> None:
        """Pay what a due in-flight exit owes (rules.settle_in_flight), record the positions it spent or paid.

        One with no piggyback left claims nothing: its bond goes back and its
        record is cleared, so the transaction's in-flight exit may start again
        (an owner who missed the first phase of an exit someone else started
        is not shut out for good).
        """
        ife_bond, pb_bond = self._bonds(ctx)
        if not ife.flags & 0b1111:
            bond_owner = ife.bond_owner_address()
            self._pay(ctx, bond_owner, ife_bond)
            ctx.sstore("ife", tx_hash, 0)
            ctx.emit(self.InFlightExitFinalized, tx_hash, R.is_canonical(ife.competitor, ife.tx_pos), bond_owner)
            return
        in_states = [self._exit_head(ctx, p).state for p in ife.inputs]
        out_states = [0, 0]
        if ife.tx_pos:
            out_states = [self._exit_head(ctx, ife.tx_pos + j).state if ife.flag(PB_OUTPUT, j) else 0 for j in (0, 1)]
        s = R.settle_in_flight(R.is_canonical(ife.competitor, ife.tx_pos),
                               [ife.flag(PB_INPUT, i) for i in range(len(ife.inputs))],
                               [ife.flag(PB_OUTPUT, j) for j in (0, 1)],
                               [_exit_state(x) for x in in_states], [_exit_state(x) for x in out_states])
        for i in s.paid_inputs:
            owner, amount = _owner_amount(ctx.sload("ife_in", tx_hash, i))
            paid = self._pay(ctx, owner, amount + pb_bond)
            ctx.sstore("exit", ife.inputs[i], int(owner, 16) | FINALIZED << 160 | ife.exit_block << 168)
            ctx.emit(self.InFlightExitPaid, tx_hash, owner, i, False, amount, paid)
        for j in s.paid_outputs:
            owner, amount = _owner_amount(ctx.sload("ife_out", tx_hash, j))
            paid = self._pay(ctx, owner, amount + pb_bond)
            ife.flags |= 1 << (PAID_OUTPUT + j)
            if ife.tx_pos and out_states[j] == 0:
                ctx.sstore("exit", ife.tx_pos + j, int(owner, 16) | FINALIZED << 160 | ife.exit_block << 168)
            ctx.emit(self.InFlightExitPaid, tx_hash, owner, j, True, amount, paid)
        for i in s.refunded_inputs:
            self._pay(ctx, _owner_amount(ctx.sload("ife_in", tx_hash, i))[0], pb_bond)
        for j in s.refunded_outputs:
            self._pay(ctx, _owner_amount(ctx.sload("ife_out", tx_hash, j))[0], pb_bond)
        if s.canonical:  # its inputs are spent: no standard exit of them starts any more
            ife.flags |= 1 << SETTLED_CANONICAL
            for pos, state in zip(ife.inputs, in_states, strict=True):
                if state == 0:
                    ctx.sstore("exit", pos, FINALIZED << 160 | ife.exit_block << 168)
        bond_owner = ife.bond_owner_address()
        self._pay(ctx, bond_owner, ife_bond)
        ife.state = FINALIZED
        ctx.sstore("ife", tx_hash, ife.word())
        ctx.emit(self.InFlightExitFinalized, tx_hash, s.canonical, bond_owner)

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
        """Owner, amount, state (0 none, 1 started, 2 challenged, 3 finalized), exitable time and block.

        A position an in-flight exit spent or paid reads finalized too (its
        owner the one paid, or zero when it was spent), with that exit's
        exitable block.
        """
        held = self._exit(ctx, utxo_pos)
        return held.owner_address(), held.amount, held.state, held.exitable_time, held.exitable_block

    @view("next_exit(address)", returns="(uint256,uint256)")
    def next_exit(self, ctx: Context, token: str) -> tuple:
        """Exitable time and position of the exit at the head of ``token``'s queue; (0, 0) when it is empty.

        For an in-flight exit the position is its transaction's youngest input.
        """
        return decode_priority(ctx.sload("queue", token, 1))

    @view("next_exit_block(address)", returns="uint256")
    def next_exit_block(self, ctx: Context, token: str) -> int:
        """The L1 block from which the exit at the head of ``token``'s queue may be paid (with its time,
        ``next_exit``); 0 when the queue is empty. For an in-flight exit, its own exitable block."""
        top = ctx.sload("queue", token, 1)
        if top == 0:
            return 0
        _, utxo_pos, seq = R.decode_queue_key(top)
        if seq:
            return self._in_flight(ctx, ctx.sload_bytes32("ife_seq", seq)).exit_block
        return self._exit_head(ctx, utxo_pos).exitable_block

    @view("queue_length(address)", returns="uint256")
    def queue_length(self, ctx: Context, token: str) -> int:
        return ctx.sload("queue_len", token)

    @view("in_flight_bonds()", returns="(uint256,uint256)")
    def in_flight_bonds(self, ctx: Context) -> tuple:
        """The in-flight exit's bond and a piggyback's bond, in wei."""
        return self._bonds(ctx)

    @view("in_flight_exit(bytes32)",
          returns="(address,uint8,uint8,uint256,uint256,uint256,uint256,uint256,uint256,uint256)")
    def in_flight_exit(self, ctx: Context, tx_hash: bytes) -> tuple:
        """Bond owner, state (0 none, 1 started, 3 finalized), flags, oldest competitor's position (0 none),
        the transaction's proven position (0 none), the first phase's end (time, L1 block), exitable time
        and block, and its number in the queue.

        Flags: bits 0-1 piggybacked inputs, 2-3 piggybacked outputs, 4-5
        outputs paid, 6 finalized as canonical.
        """
        ife = self._in_flight(ctx, tx_hash)
        return (ife.bond_owner_address(), ife.state, ife.flags, ife.competitor, ife.tx_pos, ife.first_time,
                ife.first_block, ife.exit_time, ife.exit_block, ife.seq)

    @view("in_flight_input(bytes32,uint8)", returns="(uint256,address,uint256)")
    def in_flight_input(self, ctx: Context, tx_hash: bytes, index: int) -> tuple:
        """Position, owner and amount of input ``index`` of an in-flight exit's transaction."""
        ife = self._in_flight(ctx, tx_hash)
        pos = ife.inputs[index] if 0 <= index < len(ife.inputs) else 0
        return (pos, *_owner_amount(ctx.sload("ife_in", tx_hash, index) if pos else 0))

    @view("in_flight_output(bytes32,uint8)", returns="(address,uint256)")
    def in_flight_output(self, ctx: Context, tx_hash: bytes, index: int) -> tuple:
        """Owner and amount of output ``index`` once piggybacked; zeros before."""
        return _owner_amount(ctx.sload("ife_out", tx_hash, index) if 0 <= index < 2 else 0)
