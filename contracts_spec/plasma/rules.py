"""The Plasma MVP rules, written once: positions, transactions, blocks, validity, exit priority.

The child-chain operator, the watchers and the root chain (``contract``) all
run these functions. They are pure: no clock, no I/O; the caller supplies
what is expensive or lives elsewhere (recovered signers, the UTXO set, a
gas-metered hasher on L1).

Positions
    An output is named by ``utxo_pos = blknum * 1_000_000_000 + txindex *
    10_000 + oindex`` (:func:`encode_utxo_pos`, :func:`decode_utxo_pos`):
    ``blknum`` from 1, ``txindex`` below ``2**16`` (a block holds that many
    transactions), ``oindex`` 0 or 1, and the whole below ``2**64`` (the
    8 bytes an input takes). Position 0 names no output: an unused input.

Transactions (88 bytes, big-endian, every field fixed)::

    offset  size  field
         0     8  input 0: utxo_pos of the output it spends (0: unused)
         8     8  input 1: utxo_pos (0: unused)
        16    20  output 0: owner
        36    16  output 0: amount (uint128 wei)
        52    20  output 1: owner
        72    16  output 1: amount

    A deposit has no inputs and pays output 0 only. A spend uses input 0, or
    both (never input 1 alone, never one output twice). An output is either
    empty (zero owner, zero amount) or pays a positive amount to a non-zero
    owner; output 0 is never empty. The amounts spent by the inputs less
    those of the outputs is the operator's fee (:func:`check_spend`).

Signed transactions (218 bytes): the transaction, then one 65-byte ``r||s||v``
signature per input slot, 65 zero bytes for an unused one. Input ``i``'s
owner signs :func:`signing_digest`, which binds the transaction to the chain
and the root chain contract, so a signature is useless on another deployment.

Blocks
    A block is a Merkle tree of depth 16 (:data:`TREE_DEPTH`) over the
    keccak256 of its signed transactions, as ``primitives.merkle`` hashes
    trees (leaf and node prefixes, zero padding), padded to 65,536 leaves:
    every inclusion proof is exactly 16 siblings (512 bytes).

Confirmation signatures (MVP)
    Once a spend is in a block, each of its inputs' owners signs
    :func:`confirmation_digest` of the transaction hash and that block's
    root. An exit of the spend's outputs must show them, and a challenge of an
    exit shows the exiter's confirmation of the spend that spent it: an owner
    who never saw the block that holds its spend (a withheld block) never
    confirmed it, and can still exit its input instead.

Exit priority
    An exit may finalize at :func:`exitable_at` ``= max(created_at + 2 *
    period, now + period)``, counted in seconds and, separately, in L1
    blocks; exits are processed lowest :func:`exit_priority` first,
    ``exitable_at << 128 | utxo_pos << 64 | seq``, so of two outputs waiting
    out the same periods the older one (lower position) is paid first.
    ``seq`` is 0 for a standard exit and an in-flight exit's number for an
    in-flight exit, whose position is that of its transaction's youngest
    input: the two kinds share one queue.

In-flight exits (More Viable Plasma)
    A transaction that was broadcast but may be withheld (its block never
    served, or never made) exits without any confirmation signature: its
    inputs' creating transactions and their inclusion proofs show it is
    *exitable* (each input exists and is signed by its owner, the outputs
    pay no more than the inputs). It is *canonical* when none of its inputs
    was spent first by a competitor (:func:`is_canonical`); then its
    piggybacked outputs are paid, otherwise its piggybacked inputs are
    (:func:`settle_in_flight`). Its priority is its youngest input's
    (:func:`youngest_input`), so it waits behind every older output and an
    "out of nowhere" input only delays itself. The game has two phases
    (:func:`first_phase_end`, :func:`in_flight_phase`): piggybacks and
    canonicity challenges in the first, responses in the second.

Every refusal raises :class:`PlasmaRuleError` naming the broken rule.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping, Sequence, Set
from dataclasses import dataclass

from contracts_spec.plasma.params import CHILD_BLOCK_INTERVAL
from primitives import merkle, secp256k1
from primitives.keccak import keccak256

Hasher = Callable[[bytes], bytes]

BLOCK_OFFSET = 1_000_000_000
TX_OFFSET = 10_000
TREE_DEPTH = 16
MAX_TXS_PER_BLOCK = 2**TREE_DEPTH
OUTPUTS_PER_TX = 2
INPUTS_PER_TX = 2
UINT64_MAX = 2**64 - 1
MAX_AMOUNT = 2**128 - 1
# The highest block number whose every position still fits the 8 bytes of an input.
MAX_BLKNUM = (UINT64_MAX - (MAX_TXS_PER_BLOCK - 1) * TX_OFFSET - (OUTPUTS_PER_TX - 1)) // BLOCK_OFFSET

POS_BYTES, OWNER_BYTES, AMOUNT_BYTES, SIG_BYTES, HASH_BYTES = 8, 20, 16, 65, 32
TX_BYTES = INPUTS_PER_TX * POS_BYTES + OUTPUTS_PER_TX * (OWNER_BYTES + AMOUNT_BYTES)  # 88
SIGNED_TX_BYTES = TX_BYTES + INPUTS_PER_TX * SIG_BYTES  # 218
PROOF_BYTES = TREE_DEPTH * HASH_BYTES  # 512
CONFIRMATIONS_BYTES = INPUTS_PER_TX * SIG_BYTES  # 130

ZERO_ADDRESS = "0x" + "00" * 20
EMPTY_SIGNATURE = bytes(SIG_BYTES)
TX_TAG = b"l2lab plasma transaction"
CONFIRM_TAG = b"l2lab plasma confirmation"


class PlasmaRuleError(ValueError):
    """A Plasma transaction, proof or call breaks a rule; ``rule`` names it in a few words."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


def _check_int(value: object, what: str, low: int, high: int, rule: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlasmaRuleError(rule, f"{what} must be an integer, got {type(value).__name__}")
    if not low <= value <= high:
        raise PlasmaRuleError(rule, f"{what} {value} is outside {low}..{high}")
    return value


# -- positions ---------------------------------------------------------------------------


def encode_utxo_pos(blknum: int, txindex: int, oindex: int) -> int:
    """The position of output ``oindex`` of transaction ``txindex`` in child block ``blknum``."""
    _check_int(blknum, "block number", 1, MAX_BLKNUM, "bad position")
    _check_int(txindex, "transaction index", 0, MAX_TXS_PER_BLOCK - 1, "bad position")
    _check_int(oindex, "output index", 0, OUTPUTS_PER_TX - 1, "bad position")
    return blknum * BLOCK_OFFSET + txindex * TX_OFFSET + oindex


def decode_utxo_pos(utxo_pos: int) -> tuple[int, int, int]:
    """``(blknum, txindex, oindex)`` of a position; PlasmaRuleError("bad position") if it names no output."""
    _check_int(utxo_pos, "position", 1, UINT64_MAX, "bad position")
    blknum, rest = divmod(utxo_pos, BLOCK_OFFSET)
    txindex, oindex = divmod(rest, TX_OFFSET)
    if blknum == 0:
        raise PlasmaRuleError("bad position", f"position {utxo_pos} names block 0, which does not exist")
    if txindex >= MAX_TXS_PER_BLOCK:
        raise PlasmaRuleError("bad position", f"position {utxo_pos} names transaction {txindex}, "
                                              f"a block holds {MAX_TXS_PER_BLOCK}")
    if oindex >= OUTPUTS_PER_TX:
        raise PlasmaRuleError("bad position", f"position {utxo_pos} names output {oindex}, "
                                              f"a transaction has {OUTPUTS_PER_TX}")
    return blknum, txindex, oindex


def tx_pos(blknum: int, txindex: int) -> int:
    """The position of a transaction: that of its output 0."""
    return encode_utxo_pos(blknum, txindex, 0)


# -- transactions --------------------------------------------------------------------------


def _address(owner: object, what: str) -> str:
    try:
        if isinstance(owner, (bytes, str)):
            return secp256k1.to_checksum_address(owner)
    except (ValueError, TypeError) as exc:
        raise PlasmaRuleError("bad output", f"{what} owner: {exc}") from None
    raise PlasmaRuleError("bad output", f"{what} owner must be an address, got {type(owner).__name__}")


@dataclass(frozen=True)
class Output:
    """An amount of wei its owner may spend or exit; ``Output.empty()`` fills an unused slot."""

    owner: str
    amount: int

    @classmethod
    def empty(cls) -> Output:
        return cls(ZERO_ADDRESS, 0)

    @property
    def is_empty(self) -> bool:
        return self.amount == 0 and int(self.owner, 16) == 0

    def encode(self) -> bytes:
        return bytes.fromhex(self.owner[2:]) + self.amount.to_bytes(AMOUNT_BYTES, "big")


def _checked_output(output: object, index: int) -> Output:
    if not isinstance(output, Output):
        raise PlasmaRuleError("bad output", f"output {index} must be an Output, got {type(output).__name__}")
    owner = _address(output.owner, f"output {index}")
    amount = _check_int(output.amount, f"output {index} amount", 0, MAX_AMOUNT, "bad output")
    if (amount == 0) != (int(owner, 16) == 0):
        raise PlasmaRuleError("bad output", f"output {index} must pay a positive amount to a non-zero owner, "
                                            "or be empty (zero owner, zero amount)")
    return Output(owner, amount)


@dataclass(frozen=True)
class Transaction:
    """Two input positions (0: unused) and two outputs; built and decoded only in canonical form."""

    inputs: tuple[int, int]
    outputs: tuple[Output, Output]

    def __post_init__(self) -> None:
        inputs, outputs = tuple(self.inputs), tuple(self.outputs)
        if len(inputs) != INPUTS_PER_TX or len(outputs) != OUTPUTS_PER_TX:
            raise PlasmaRuleError("bad transaction", f"a transaction has {INPUTS_PER_TX} inputs and "
                                                     f"{OUTPUTS_PER_TX} outputs")
        for i, pos in enumerate(inputs):
            if isinstance(pos, bool) or pos != 0:
                try:
                    decode_utxo_pos(pos)
                except PlasmaRuleError as exc:
                    raise PlasmaRuleError("bad input", f"input {i}: {exc}") from None
        if inputs[0] == 0 and inputs[1] != 0:
            raise PlasmaRuleError("bad input", "input 1 is used while input 0 is not: fill input 0 first")
        if inputs[0] != 0 and inputs[0] == inputs[1]:
            raise PlasmaRuleError("double spend", f"both inputs spend position {inputs[0]}")
        checked = tuple(_checked_output(o, i) for i, o in enumerate(outputs))
        if checked[0].is_empty:
            raise PlasmaRuleError("bad output", "output 0 is empty: a transaction pays at least one output")
        if inputs[0] == 0 and not checked[1].is_empty:
            raise PlasmaRuleError("bad deposit", "a deposit (no inputs) pays output 0 only")
        object.__setattr__(self, "inputs", inputs)
        object.__setattr__(self, "outputs", checked)

    @classmethod
    def deposit(cls, owner: str, amount: int) -> Transaction:
        """The transaction the root chain puts alone in a deposit block."""
        return cls((0, 0), (Output(owner, amount), Output.empty()))

    @classmethod
    def spend(cls, inputs: Sequence[int], outputs: Sequence[tuple[str, int] | Output]) -> Transaction:
        """A spend of one or two positions into one or two ``(owner, amount)`` outputs."""
        if not 1 <= len(inputs) <= INPUTS_PER_TX or not 1 <= len(outputs) <= OUTPUTS_PER_TX:
            raise PlasmaRuleError("bad transaction", f"a spend has 1..{INPUTS_PER_TX} inputs and "
                                                     f"1..{OUTPUTS_PER_TX} outputs")
        ins = [*inputs, 0][:INPUTS_PER_TX]
        outs = [o if isinstance(o, Output) else Output(*o) for o in outputs] + [Output.empty()]
        return cls((ins[0], ins[1]), (outs[0], outs[1]))

    @property
    def is_deposit(self) -> bool:
        return self.inputs[0] == 0

    @property
    def spent(self) -> tuple[int, ...]:
        """The positions this transaction spends, in input order."""
        return tuple(p for p in self.inputs if p)

    def encode(self) -> bytes:
        """The 88 bytes of the layout in the module doc."""
        return (b"".join(p.to_bytes(POS_BYTES, "big") for p in self.inputs)
                + b"".join(o.encode() for o in self.outputs))

    @classmethod
    def decode(cls, data: bytes) -> Transaction:
        """The transaction of exactly 88 canonical bytes; PlasmaRuleError naming what is wrong otherwise."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise PlasmaRuleError("bad encoding", f"a transaction is bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) != TX_BYTES:
            raise PlasmaRuleError("bad encoding", f"a transaction is {TX_BYTES} bytes, got {len(data)}")
        inputs = tuple(int.from_bytes(data[i * POS_BYTES:(i + 1) * POS_BYTES], "big") for i in range(INPUTS_PER_TX))
        outputs = []
        at = INPUTS_PER_TX * POS_BYTES
        for _ in range(OUTPUTS_PER_TX):
            owner = secp256k1.to_checksum_address(data[at:at + OWNER_BYTES])
            amount = int.from_bytes(data[at + OWNER_BYTES:at + OWNER_BYTES + AMOUNT_BYTES], "big")
            outputs.append(Output(owner, amount))
            at += OWNER_BYTES + AMOUNT_BYTES
        return cls(inputs, tuple(outputs))  # type: ignore[arg-type]

    def hash(self, hasher: Hasher = keccak256) -> bytes:
        """keccak256 of the encoding: what signatures and confirmations sign."""
        return hasher(self.encode())


@dataclass(frozen=True)
class SignedTransaction:
    """A transaction and one signature per input slot (65 zero bytes for an unused one)."""

    tx: Transaction
    signatures: tuple[bytes, bytes]

    def __post_init__(self) -> None:
        sigs = tuple(self.signatures)
        if len(sigs) != INPUTS_PER_TX or not all(isinstance(s, (bytes, bytearray)) for s in sigs):
            raise PlasmaRuleError("bad signature", f"a signed transaction carries {INPUTS_PER_TX} signatures")
        sigs = tuple(bytes(s) for s in sigs)
        for i, (pos, sig) in enumerate(zip(self.tx.inputs, sigs, strict=True)):
            if len(sig) != SIG_BYTES:
                raise PlasmaRuleError("bad signature", f"signature {i} is {len(sig)} bytes, not {SIG_BYTES}")
            if pos == 0 and sig != EMPTY_SIGNATURE:
                raise PlasmaRuleError("bad signature", f"input {i} is unused, so its signature must be zero bytes")
            if pos != 0 and sig == EMPTY_SIGNATURE:
                raise PlasmaRuleError("bad signature", f"input {i} is used but unsigned")
        object.__setattr__(self, "signatures", sigs)

    @classmethod
    def unsigned_deposit(cls, owner: str, amount: int) -> SignedTransaction:
        return cls(Transaction.deposit(owner, amount), (EMPTY_SIGNATURE, EMPTY_SIGNATURE))

    def encode(self) -> bytes:
        """The 218 bytes: the transaction, then its two signatures."""
        return self.tx.encode() + b"".join(self.signatures)

    @classmethod
    def decode(cls, data: bytes) -> SignedTransaction:
        """The signed transaction of exactly 218 canonical bytes; PlasmaRuleError otherwise."""
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise PlasmaRuleError("bad encoding", f"a signed transaction is bytes, got {type(data).__name__}")
        data = bytes(data)
        if len(data) != SIGNED_TX_BYTES:
            raise PlasmaRuleError("bad encoding", f"a signed transaction is {SIGNED_TX_BYTES} bytes, got {len(data)}")
        tx = Transaction.decode(data[:TX_BYTES])
        sigs = (data[TX_BYTES:TX_BYTES + SIG_BYTES], data[TX_BYTES + SIG_BYTES:])
        return cls(tx, sigs)  # type: ignore[arg-type]

    def leaf(self, hasher: Hasher = keccak256) -> bytes:
        """The block tree's leaf for this transaction: keccak256 of the signed encoding."""
        return hasher(self.encode())


# -- signatures ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """The deployment a signature binds to: the L1 chain and the root chain contract."""

    chain_id: int
    root_chain: str

    def encode(self) -> bytes:
        return self.chain_id.to_bytes(32, "big") + bytes.fromhex(secp256k1.to_checksum_address(self.root_chain)[2:])


def signing_digest(tx_hash: bytes, domain: Domain, hasher: Hasher = keccak256) -> bytes:
    """What each input's owner signs to spend it: the transaction hash under the deployment's domain."""
    return hasher(TX_TAG + domain.encode() + tx_hash)


def confirmation_digest(tx_hash: bytes, root: bytes, hasher: Hasher = keccak256) -> bytes:
    """What an input's owner signs once the spend is in the block of ``root`` (MVP's confirmation)."""
    return hasher(CONFIRM_TAG + tx_hash + root)


def sign_transaction(tx: Transaction, keys: Sequence[bytes | None], domain: Domain) -> SignedTransaction:
    """``tx`` signed by the key of each used input, given in input order."""
    digest = signing_digest(tx.hash(), domain)
    sigs = []
    for i, (pos, key) in enumerate(zip(tx.inputs, [*keys, None, None][:INPUTS_PER_TX], strict=True)):
        if not pos:
            sigs.append(EMPTY_SIGNATURE)
        elif key is None:
            raise PlasmaRuleError("bad signature", f"input {i} needs its owner's key")
        else:
            sigs.append(secp256k1.sign(digest, key))
    return SignedTransaction(tx, (sigs[0], sigs[1]))


def confirm(signed: SignedTransaction, root: bytes, key: bytes) -> bytes:
    """One input owner's confirmation signature of ``signed`` in the block of ``root``."""
    return secp256k1.sign(confirmation_digest(signed.tx.hash(), root), key)


def confirmations(signed: SignedTransaction, root: bytes, keys: Sequence[bytes | None]) -> bytes:
    """The 130 bytes an exit carries: each used input's confirmation, zero bytes for an unused one."""
    out = []
    for pos, key in zip(signed.tx.inputs, [*keys, None, None][:INPUTS_PER_TX], strict=True):
        if pos and key is None:
            raise PlasmaRuleError("bad confirmation", "every used input's owner must confirm")
        out.append(confirm(signed, root, key) if pos and key is not None else EMPTY_SIGNATURE)
    return b"".join(out)


def split_confirmations(data: bytes, tx: Transaction) -> tuple[bytes, ...]:
    """The confirmation signature of each used input of ``tx``, from the 130 bytes an exit carries."""
    if not isinstance(data, (bytes, bytearray)) or len(data) != CONFIRMATIONS_BYTES:
        size = len(data) if isinstance(data, (bytes, bytearray)) else type(data).__name__
        raise PlasmaRuleError("bad confirmation", f"confirmations are {CONFIRMATIONS_BYTES} bytes, got {size}")
    data = bytes(data)
    sigs = (data[:SIG_BYTES], data[SIG_BYTES:])
    for i, (pos, sig) in enumerate(zip(tx.inputs, sigs, strict=True)):
        if not pos and sig != EMPTY_SIGNATURE:
            raise PlasmaRuleError("bad confirmation", f"input {i} is unused, so its confirmation must be zero bytes")
    return tuple(sig for pos, sig in zip(tx.inputs, sigs, strict=True) if pos)


def recover_signers(signed_txs: Sequence[SignedTransaction], domain: Domain) -> list[tuple[str | None, ...]]:
    """Each transaction's signer per used input (None where a signature recovers nobody), in one batch call."""
    digests, sigs, where = [], [], []
    for t, signed in enumerate(signed_txs):
        digest = signing_digest(signed.tx.hash(), domain)
        for i, pos in enumerate(signed.tx.inputs):
            if pos:
                digests.append(digest)
                sigs.append(signed.signatures[i])
                where.append(t)
    recovered = secp256k1.recover_signers(digests, sigs, strict=False) if digests else []
    out: list[list[str | None]] = [[] for _ in signed_txs]
    for t, signer in zip(where, recovered, strict=True):
        out[t].append(signer)
    return [tuple(s) for s in out]


def check_signatures(tx: Transaction, signers: Sequence[str | None], owners: Sequence[str]) -> None:
    """Each used input is signed by the owner of the output it spends."""
    if len(signers) != len(tx.spent) or len(owners) != len(tx.spent):
        raise PlasmaRuleError("bad signature", f"need one signer and one owner per used input ({len(tx.spent)})")
    for i, (signer, owner) in enumerate(zip(signers, owners, strict=True)):
        if signer is None or int(signer, 16) != int(owner, 16):
            raise PlasmaRuleError("bad signature", f"input {i} (position {tx.inputs[i]}) is not signed by its "
                                                   f"owner {owner}")


def check_confirmations(tx: Transaction, signers: Sequence[str | None], confirmers: Sequence[str | None]) -> None:
    """Each used input's confirmation is signed by whoever signed that input."""
    if len(confirmers) != len(tx.spent) or len(signers) != len(tx.spent):
        raise PlasmaRuleError("bad confirmation", f"need one confirmation per used input ({len(tx.spent)})")
    for i, (signer, confirmer) in enumerate(zip(signers, confirmers, strict=True)):
        if signer is None:
            raise PlasmaRuleError("bad signature", f"input {i}'s signature recovers no signer")
        if confirmer is None or int(confirmer, 16) != int(signer, 16):
            raise PlasmaRuleError("bad confirmation", f"input {i} is not confirmed by its signer {signer}")


def check_confirmed(signed: SignedTransaction, root: bytes, sigs: bytes, domain: Domain) -> None:
    """``sigs`` (the 130 bytes an exit carries) confirm ``signed`` in the block of ``root``: each used input's
    confirmation is by the signer of that input (``domain``'s signatures), as the root chain's ``start_exit``
    checks; the off-chain actors' one check of a confirmation they are handed."""
    confirmations = split_confirmations(sigs, signed.tx)
    digest = confirmation_digest(signed.tx.hash(), root)
    confirmers = secp256k1.recover_signers([digest] * len(confirmations), list(confirmations), strict=False)
    check_confirmations(signed.tx, recover_signers([signed], domain)[0], confirmers)


# -- spending ---------------------------------------------------------------------------------


def check_amounts(tx: Transaction, input_amounts: Sequence[int]) -> int:
    """The fee, what the inputs hold beyond the outputs; PlasmaRuleError if the outputs pay more."""
    paid_in, paid_out = sum(input_amounts), sum(o.amount for o in tx.outputs)
    if paid_out > paid_in:
        raise PlasmaRuleError("outputs exceed inputs", f"outputs pay {paid_out} wei, inputs hold {paid_in}")
    return paid_in - paid_out


def check_inputs_confirmed(tx: Transaction, confirmed: Callable[[int], bool]) -> None:
    """Each input of ``tx`` that a child-block transaction created is spendable only once that transaction is
    confirmed (``confirmed(position)``); a deposit's output always is.

    Until its spender confirms a transaction, the transaction's own inputs
    may still exit (an unconfirmed spend cannot challenge them). A spend of
    its outputs before then would let one value exit twice: once as the old
    input, once as the newer output, with nothing on record to challenge
    either (plasma-mvp issue 90, in a chain of self-spends).
    """
    for i, pos in enumerate(tx.spent):
        blknum = pos // BLOCK_OFFSET
        if blknum % CHILD_BLOCK_INTERVAL == 0 and not confirmed(pos):
            raise PlasmaRuleError("unconfirmed input", f"input {i} (position {pos}) was created by a transaction "
                                                       "its spender has not confirmed yet")


def check_spend(tx: Transaction, utxos: Mapping[int, Output], signers: Sequence[str | None],
                spent: Set[int] = frozenset()) -> int:
    """A spend is valid against the unspent outputs ``utxos`` less ``spent``; returns its fee."""
    if tx.is_deposit:
        raise PlasmaRuleError("not a spend", "deposits come from the root chain, not from a child block's author")
    owned = []
    for pos in tx.spent:
        if pos in spent:
            raise PlasmaRuleError("double spend", f"position {pos} is already spent in this block")
        if pos not in utxos:
            raise PlasmaRuleError("unknown input", f"position {pos} is not an unspent output")
        owned.append(utxos[pos])
    check_signatures(tx, signers, [o.owner for o in owned])
    return check_amounts(tx, [o.amount for o in owned])


@dataclass(frozen=True)
class BlockEffect:
    """What a valid block does to the UTXO set: positions spent, outputs created, fees earned."""

    spent: tuple[int, ...]
    created: tuple[tuple[int, Output], ...]
    fees: int


def check_block(blknum: int, txs: Sequence[SignedTransaction], utxos: Mapping[int, Output],
                signers: Sequence[Sequence[str | None]]) -> BlockEffect:
    """Block ``blknum`` of ``txs`` is valid against ``utxos``: each spend valid, no output spent twice.

    A spend may use an output created earlier in the same block. ``signers``
    holds each transaction's recovered signers (``recover_signers``).
    """
    if not txs:
        raise PlasmaRuleError("empty block", f"block {blknum} holds no transaction")
    if len(txs) > MAX_TXS_PER_BLOCK:
        raise PlasmaRuleError("block too large", f"{len(txs)} transactions, a block holds {MAX_TXS_PER_BLOCK}")
    if len(signers) != len(txs):
        raise PlasmaRuleError("bad signature", "need the signers of every transaction")
    created: dict[int, Output] = {}
    spent: set[int] = set()
    fees = 0
    # This block's outputs, then the older ones; ChainMap only reads the older ones, nothing is copied.
    view: Mapping[int, Output] = ChainMap(created, utxos)  # type: ignore[arg-type]
    for txindex, (signed, tx_signers) in enumerate(zip(txs, signers, strict=True)):
        try:
            fees += check_spend(signed.tx, view, tx_signers, spent)
        except PlasmaRuleError as exc:
            raise PlasmaRuleError(exc.rule, f"transaction {txindex}: {exc}") from None
        spent.update(signed.tx.spent)
        for oindex, output in enumerate(signed.tx.outputs):
            if not output.is_empty:
                created[encode_utxo_pos(blknum, txindex, oindex)] = output
    for pos in spent:
        created.pop(pos, None)
    return BlockEffect(tuple(sorted(p for p in spent if p in utxos)), tuple(sorted(created.items())), fees)


# -- blocks -------------------------------------------------------------------------------------


def _extend(node: bytes, from_depth: int, hasher: Hasher) -> bytes:
    """The depth-16 root over a subtree of ``from_depth`` whose siblings are all padding."""
    for _ in range(from_depth, TREE_DEPTH):
        node = merkle.hash_node(node, merkle.ZERO_HASH, hasher)
    return node


def _depth(n: int) -> int:
    return (n - 1).bit_length() if n > 1 else 0


def block_root(leaves: Sequence[bytes], hasher: Hasher | None = None) -> bytes:
    """The root of a block's depth-16 tree of leaves (``SignedTransaction.leaf``)."""
    if not leaves:
        raise PlasmaRuleError("empty block", "a block holds at least one transaction")
    if len(leaves) > MAX_TXS_PER_BLOCK:
        raise PlasmaRuleError("block too large", f"{len(leaves)} transactions, a block holds {MAX_TXS_PER_BLOCK}")
    return _extend(merkle.merkle_root(leaves, hasher), _depth(len(leaves)), hasher or keccak256)


class BlockTree:
    """A block's tree, kept whole, so each of its 16-sibling proofs is a lookup."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        if not leaves:
            raise PlasmaRuleError("empty block", "a block holds at least one transaction")
        if len(leaves) > MAX_TXS_PER_BLOCK:
            raise PlasmaRuleError("block too large", f"{len(leaves)} transactions, a block holds {MAX_TXS_PER_BLOCK}")
        self._tree = merkle.MerkleTree(leaves)
        self._depth = _depth(len(leaves))
        self.root = _extend(self._tree.root, self._depth, keccak256)

    def proof(self, txindex: int) -> bytes:
        """The 512-byte inclusion proof of transaction ``txindex``: 16 siblings, leaf level first."""
        try:
            siblings = self._tree.proof(txindex)
        except ValueError as exc:
            raise PlasmaRuleError("bad proof", str(exc)) from None
        return b"".join(siblings) + merkle.ZERO_HASH * (TREE_DEPTH - self._depth)

    def __len__(self) -> int:
        return len(self._tree)


def deposit_root(owner: str, amount: int, hasher: Hasher = keccak256) -> bytes:
    """The root of the deposit block the root chain creates for ``amount`` wei paid to ``owner``."""
    leaf = SignedTransaction.unsigned_deposit(owner, amount).leaf(hasher)
    return _extend(merkle.hash_leaf(leaf, hasher), 0, hasher)


def split_proof(proof: bytes) -> list[bytes]:
    """The 16 siblings of a 512-byte proof; PlasmaRuleError("bad proof") for any other length."""
    if not isinstance(proof, (bytes, bytearray)):
        raise PlasmaRuleError("bad proof", f"a proof is bytes, got {type(proof).__name__}")
    if len(proof) != PROOF_BYTES:
        raise PlasmaRuleError("bad proof", f"a proof is {TREE_DEPTH} siblings ({PROOF_BYTES} bytes), got {len(proof)}")
    proof = bytes(proof)
    return [proof[i:i + HASH_BYTES] for i in range(0, PROOF_BYTES, HASH_BYTES)]


def check_inclusion(root: bytes, leaf: bytes, txindex: int, proof: bytes, hasher: Hasher = keccak256) -> None:
    """``proof`` shows ``leaf`` as transaction ``txindex`` of the block of ``root``; PlasmaRuleError if not."""
    siblings = split_proof(proof)
    _check_int(txindex, "transaction index", 0, MAX_TXS_PER_BLOCK - 1, "bad proof")
    if not merkle.verify_merkle_proof(root, leaf, txindex, siblings, hasher):
        raise PlasmaRuleError("bad proof", f"the transaction is not at index {txindex} of the block with this root")


# -- exits ----------------------------------------------------------------------------------------


def exitable_at(created_at: int, now: int, period: int) -> int:
    """When an exit started at ``now`` of an output created at ``created_at`` may finalize.

    Two periods after the output's block, and at least one after the exit
    started: an old output's exit still waits a period for challenges, and
    a young output cannot jump the queue ahead of older ones. Used alike for
    seconds and for L1 blocks.
    """
    return max(created_at + 2 * period, now + period)


def exit_priority(exitable: int, utxo_pos: int, seq: int = 0) -> int:
    """The exit queue's key: lower first, by exitable time, then by age (position), then by ``seq``.

    ``seq`` is 0 for a standard exit of ``utxo_pos`` and an in-flight exit's
    number (from 1) for an in-flight exit whose youngest input is at
    ``utxo_pos``: of a standard exit and in-flight exits with the same
    exitable time and position, the standard exit comes first, then the
    in-flight exits in the order they started.
    """
    _check_int(exitable, "exitable time", 0, 2**128 - 1, "bad priority")
    _check_int(utxo_pos, "position", 1, UINT64_MAX, "bad priority")
    _check_int(seq, "in-flight exit number", 0, UINT64_MAX, "bad priority")
    return exitable << 128 | utxo_pos << 64 | seq


def decode_priority(priority: int) -> tuple[int, int]:
    """``(exitable_at, utxo_pos)`` of an exit queue key (an in-flight exit's: its youngest input)."""
    return priority >> 128, (priority >> 64) & UINT64_MAX


def decode_queue_key(priority: int) -> tuple[int, int, int]:
    """``(exitable_at, utxo_pos, seq)`` of an exit queue key; ``seq`` 0 is a standard exit."""
    return priority >> 128, (priority >> 64) & UINT64_MAX, priority & UINT64_MAX


# -- in-flight exits (More Viable Plasma) ------------------------------------------------------------

# The position a competitor shown without an inclusion proof takes: younger than every included one.
# (No transaction sits there: a transaction's position ends in 0000, this one in 5.)
NOT_INCLUDED = UINT64_MAX
# Amounts an in-flight exit records are below 2**96 wei (one storage word holds an owner and an amount);
# all the ETH there is (below 2**87 wei) fits, so no honest amount is refused.
IN_FLIGHT_AMOUNT_LIMIT = 2**96
FIRST_PHASE, SECOND_PHASE, PHASES_OVER = 1, 2, 3
PHASE_NAMES = {FIRST_PHASE: "first phase", SECOND_PHASE: "second phase", PHASES_OVER: "over"}
# A position as an in-flight exit finds it elsewhere: free, being exited by a standard exit, or exited.
FREE, EXITING, EXITED = 0, 1, 2


def youngest_input(tx: Transaction) -> int:
    """The position of ``tx``'s youngest input: the priority of its in-flight exit."""
    if tx.is_deposit:
        raise PlasmaRuleError("not a spend", "a deposit has no inputs; it exits with start_deposit_exit")
    return max(tx.spent)


def first_phase_end(started: int, period: int) -> int:
    """When the first phase of an in-flight exit started at ``started`` ends: half a period (rounded up) on.

    Used alike for seconds and for L1 blocks. The second phase runs from
    there to the exit's :func:`exitable_at`, at least the other half.
    """
    return started + (period + 1) // 2


def in_flight_phase(now: tuple[int, int], first_end: tuple[int, int], exitable: tuple[int, int]) -> int:
    """The phase an in-flight exit is in at ``now``, each argument ``(seconds, L1 block)``.

    A phase ends only once both its seconds and its blocks have passed, so
    neither mining fast nor time travel alone ends it.
    """
    if now[0] < first_end[0] or now[1] < first_end[1]:
        return FIRST_PHASE
    if now[0] < exitable[0] or now[1] < exitable[1]:
        return SECOND_PHASE
    return PHASES_OVER


def split_input_proofs(tx: Transaction, input_txs: bytes, proofs: bytes) -> list[tuple[SignedTransaction, bytes]]:
    """Each input's creating transaction (218 bytes) and its inclusion proof (512 bytes), in input order."""
    n = len(tx.spent)
    for data, size, what in ((input_txs, SIGNED_TX_BYTES, "input transactions"), (proofs, PROOF_BYTES, "proofs")):
        if not isinstance(data, (bytes, bytearray)) or len(data) != n * size:
            got = len(data) if isinstance(data, (bytes, bytearray)) else type(data).__name__
            raise PlasmaRuleError("bad input proof", f"{n} input(s): the {what} are {n} x {size} bytes, got {got}")
    return [(SignedTransaction.decode(bytes(input_txs[i * SIGNED_TX_BYTES:(i + 1) * SIGNED_TX_BYTES])),
             bytes(proofs[i * PROOF_BYTES:(i + 1) * PROOF_BYTES])) for i in range(n)]


def created_output(creating: Transaction, oindex: int, deposit_block: bool) -> Output:
    """The output at ``oindex`` of an input's creating transaction, as an in-flight exit may spend it.

    A deposit block holds a deposit; an operator block only spends (a
    transaction without inputs there mints coins, and is not exited).
    """
    if deposit_block != creating.is_deposit:
        raise PlasmaRuleError("not a spend", "an operator block's transaction without inputs mints coins"
                              if creating.is_deposit else "a deposit block holds a deposit, not a spend")
    output = creating.outputs[oindex]
    if output.is_empty:
        raise PlasmaRuleError("empty output", f"output {oindex} of the input's transaction pays nobody")
    return output


def check_in_flight_amounts(tx: Transaction, input_amounts: Sequence[int]) -> int:
    """``check_amounts``, with every input and output below :data:`IN_FLIGHT_AMOUNT_LIMIT`; returns the fee."""
    for what, amount in [*((f"input {i}", a) for i, a in enumerate(input_amounts)),
                         *((f"output {j}", o.amount) for j, o in enumerate(tx.outputs))]:
        if amount >= IN_FLIGHT_AMOUNT_LIMIT:
            raise PlasmaRuleError("amount too large", f"{what} holds {amount} wei, an in-flight exit records "
                                                      f"amounts below 2**96")
    return check_amounts(tx, input_amounts)


def input_position(tx: Transaction, index: object) -> int:
    """The position input ``index`` of ``tx`` spends; PlasmaRuleError("bad index") if it is unused."""
    return tx.spent[_check_int(index, "input index", 0, len(tx.spent) - 1, "bad index")]


def piggyback_output(tx: Transaction, index: object) -> Output:
    """Output ``index`` of ``tx`` that a piggyback claims; PlasmaRuleError("bad index") if it pays nobody."""
    output = tx.outputs[_check_int(index, "output index", 0, OUTPUTS_PER_TX - 1, "bad index")]
    if output.is_empty:
        raise PlasmaRuleError("bad index", f"output {index} of the in-flight transaction pays nobody")
    return output


def competing_input(tx: Transaction, other: Transaction, index: object) -> int:
    """``other`` spends input ``index`` of ``tx`` and is another transaction; returns ``other``'s input spending it.

    This is what a canonicity challenge shows (a competitor, included or
    not) and what blocks a piggybacked input (a spend of it besides the
    in-flight transaction).
    """
    pos = input_position(tx, index)
    if other.encode() == tx.encode():
        raise PlasmaRuleError("not a competitor", "the transaction shown is the in-flight transaction itself")
    if pos not in other.spent:
        raise PlasmaRuleError("not a competitor", f"the transaction shown does not spend input {index} "
                                                  f"(position {pos})")
    return other.spent.index(pos)


def check_signed_by(signer: str | None, owner: str, what: str) -> None:
    """``signer`` (recovered) is ``owner``; PlasmaRuleError("bad signature") naming ``what`` otherwise."""
    if signer is None or int(signer, 16) != int(owner, 16):
        raise PlasmaRuleError("bad signature", f"{what} is not signed by its owner "
                                               f"{secp256k1.to_checksum_address(owner)}")


def check_older_competitor(position: int, known: int) -> None:
    """A new competitor must be older than the oldest one shown so far (0: none yet)."""
    if known and position >= known:
        where = "not included" if known == NOT_INCLUDED else f"at position {known}"
        raise PlasmaRuleError("not older", f"a competitor {where} is already shown; only an older one counts")


def is_canonical(competitor_pos: int, tx_pos: int) -> bool:
    """Canonical: no competitor shown, or the transaction's proven position is older than the oldest one.

    ``competitor_pos`` is the oldest competitor's position (0: none,
    :data:`NOT_INCLUDED`: shown without inclusion); ``tx_pos`` the in-flight
    transaction's own position once a response proved it (0: not proved).
    """
    return competitor_pos == 0 or (tx_pos != 0 and tx_pos < competitor_pos)


@dataclass(frozen=True)
class Settlement:
    """What an in-flight exit pays when it finalizes: input or output indices, and the piggybacks refunded."""

    canonical: bool
    paid_inputs: tuple[int, ...]
    paid_outputs: tuple[int, ...]
    refunded_inputs: tuple[int, ...]
    refunded_outputs: tuple[int, ...]


def settle_in_flight(canonical: bool, input_piggybacks: Sequence[bool], output_piggybacks: Sequence[bool],
                     input_states: Sequence[int], output_states: Sequence[int]) -> Settlement:
    """Which piggybacks an in-flight exit pays.

    Canonical, and none of its inputs exited some other way: its piggybacked
    outputs not exiting otherwise are paid. Otherwise its piggybacked
    inputs not exiting otherwise are. ``*_states`` are :data:`FREE`,
    :data:`EXITING` (a standard exit is open) or :data:`EXITED`. Every other
    piggyback gets its bond back.
    """
    canonical = canonical and EXITED not in input_states
    ins = [i for i, on in enumerate(input_piggybacks) if on]
    outs = [j for j, on in enumerate(output_piggybacks) if on]
    if canonical:
        paid_out = tuple(j for j in outs if output_states[j] == FREE)
        return Settlement(True, (), paid_out, tuple(ins), tuple(j for j in outs if j not in paid_out))
    paid_in = tuple(i for i in ins if input_states[i] == FREE)
    return Settlement(False, paid_in, (), tuple(i for i in ins if i not in paid_in), tuple(outs))


__all__ = [
    "BLOCK_OFFSET", "CONFIRMATIONS_BYTES", "EMPTY_SIGNATURE", "MAX_AMOUNT", "MAX_BLKNUM", "MAX_TXS_PER_BLOCK",
    "PROOF_BYTES", "SIGNED_TX_BYTES", "TREE_DEPTH", "TX_BYTES", "TX_OFFSET", "ZERO_ADDRESS",
    "BlockEffect", "BlockTree", "Domain", "Output", "PlasmaRuleError", "SignedTransaction", "Transaction",
    "block_root", "check_amounts", "check_block", "check_confirmations", "check_confirmed", "check_inclusion", "check_signatures",
    "check_spend", "confirm", "confirmation_digest", "confirmations", "decode_priority", "deposit_root", "decode_utxo_pos",
    "encode_utxo_pos", "exit_priority", "exitable_at", "recover_signers", "sign_transaction", "signing_digest",
    "split_confirmations", "split_proof", "tx_pos",
    "EXITED", "EXITING", "FIRST_PHASE", "FREE", "IN_FLIGHT_AMOUNT_LIMIT", "NOT_INCLUDED", "PHASES_OVER",
    "PHASE_NAMES", "SECOND_PHASE", "Settlement", "check_in_flight_amounts", "check_older_competitor",
    "check_signed_by", "competing_input", "created_output", "decode_queue_key", "first_phase_end", "in_flight_phase",
    "input_position", "is_canonical", "piggyback_output", "settle_in_flight", "split_input_proofs", "youngest_input",
]
