"""The Plasma operator: the child chain that admits transactions, builds blocks and submits their roots.

The operator's view of the child chain is rebuilt from one source: the
root chain's events (deposits create outputs, started exits spend them,
in-flight exits their inputs and piggybacked outputs)
and the operator's own blocks whose roots L1 holds, in block order. On top
of it sit the pending transactions of the next block, each admitted only if
it is valid against that view and the pending ones before it (the rules'
``check_spend``: signatures, no double spend within the pending block,
outputs no more than inputs), and only once every child-block transaction
that created one of its inputs is confirmed (``check_inputs_confirmed``):
until then that transaction's own inputs may still exit, and a spend of its
outputs would let the same value exit twice.

Nothing acknowledged is lost: a transaction is written to the operator's
SQLite log (synchronous, committed) before ``submit`` returns its id, and a
block is written there before its root is sent to L1. After a crash
``Operator`` reads the log back: blocks whose roots L1 holds are the chain,
a block built but not on L1 is sent again (or, once L1 has moved past its
number, its transactions go back to the pending block), and pending
transactions are admitted again against the rebuilt view. An L1
reorganisation is followed the same way: when the L1 block the operator last
read is no longer on the chain, the view is rebuilt from L1 as it now is and
any block of the operator's that L1 lost is submitted again.

A dishonest operator is a lab role: ``withhold(blknum)`` stops serving a
block, and ``submit_block(txs, check=False)`` submits one the rules refuse
(for example one minting coins); both only ever change what the operator
serves or submits, never what L1 accepts.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import ChainMap
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from contracts_spec.l1 import L1Client
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import CHILD_BLOCK_INTERVAL
from primitives import secp256k1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS txs (seq INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, tx BLOB NOT NULL,
                                state TEXT NOT NULL, blknum INTEGER, reason TEXT);
CREATE TABLE IF NOT EXISTS blocks (blknum INTEGER PRIMARY KEY, root BLOB NOT NULL, txs BLOB NOT NULL,
                                   withheld INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS confirmations (id TEXT PRIMARY KEY, sigs BLOB NOT NULL);
"""

MAX_REFUSED_KEPT = 1_000


class PlasmaRefused(ValueError):
    """A transaction the operator will not admit; ``rule`` names the rule it breaks."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule


def tx_id(signed: R.SignedTransaction) -> str:
    """A transaction's id: the hex of its hash (what its owners sign)."""
    return "0x" + signed.tx.hash().hex()


def encode_block(txs: Sequence[R.SignedTransaction]) -> bytes:
    """A block's transactions, each in its 218-byte encoding, back to back (what the operator serves)."""
    return b"".join(t.encode() for t in txs)


def decode_block(data: bytes) -> list[R.SignedTransaction]:
    """The transactions of a served block; PlasmaRuleError if ``data`` is not whole encodings."""
    if not isinstance(data, (bytes, bytearray)) or len(data) % R.SIGNED_TX_BYTES:
        raise R.PlasmaRuleError("bad block", f"a block is whole {R.SIGNED_TX_BYTES}-byte transactions")
    size = R.SIGNED_TX_BYTES
    return [R.SignedTransaction.decode(bytes(data[i:i + size])) for i in range(0, len(data), size)]


@dataclass
class Block:
    """One operator block: its transactions, their tree, and whether the operator serves it."""

    blknum: int
    txs: list[R.SignedTransaction]
    tree: R.BlockTree
    withheld: bool = False

    @property
    def root(self) -> bytes:
        return self.tree.root


class ChildChainLog:
    """The operator's write-ahead log in SQLite (``path=None``: in memory); every write is committed at once."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path is not None else ":memory:"
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if path is not None:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def _write(self, sql: str, rows: list[tuple]) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(sql, rows)

    def admit(self, rows: list[tuple[str, bytes]]) -> None:
        self._write("INSERT OR IGNORE INTO txs (id, tx, state) VALUES (?, ?, 'pending')", rows)

    def block(self, block: Block) -> None:
        ids = [(block.blknum, tx_id(t)) for t in block.txs]
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("INSERT OR REPLACE INTO blocks (blknum, root, txs, withheld) VALUES (?, ?, ?, ?)",
                             (block.blknum, block.root, encode_block(block.txs), int(block.withheld)))
            self._db.executemany("UPDATE txs SET state='included', blknum=? WHERE id=?", ids)

    def drop_block(self, blknum: int) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute("DELETE FROM blocks WHERE blknum=?", (blknum,))
            self._db.execute("UPDATE txs SET state='pending', blknum=NULL WHERE blknum=?", (blknum,))

    def refuse(self, rows: list[tuple[str, str]]) -> None:
        self._write("UPDATE txs SET state='refused', reason=? WHERE id=?", [(r, i) for i, r in rows])

    def confirm(self, ident: str, sigs: bytes) -> None:
        self._write("INSERT OR REPLACE INTO confirmations (id, sigs) VALUES (?, ?)", [(ident, sigs)])

    def pending(self) -> list[bytes]:
        return [r[0] for r in self._db.execute("SELECT tx FROM txs WHERE state='pending' ORDER BY seq")]

    def blocks(self) -> list[tuple[int, bytes, bytes, bool]]:
        return [(n, root, txs, bool(w)) for n, root, txs, w in
                self._db.execute("SELECT blknum, root, txs, withheld FROM blocks ORDER BY blknum")]

    def confirmations(self) -> dict[str, bytes]:
        return dict(self._db.execute("SELECT id, sigs FROM confirmations"))

    def close(self) -> None:
        self._db.close()


@dataclass
class _View:
    """The child chain as L1 and the operator's blocks make it."""

    utxos: dict[int, R.Output] = field(default_factory=dict)
    exited: set[int] = field(default_factory=set)


def _apply(utxos: dict[int, R.Output], block: Block) -> None:
    """A valid block's effect on the unspent outputs: its spends gone, its outputs (not spent within it) added."""
    spent = {pos for signed in block.txs for pos in signed.tx.spent}
    for pos in spent:
        utxos.pop(pos, None)
    for txindex, signed in enumerate(block.txs):
        for oindex, out in enumerate(signed.tx.outputs):
            pos = R.encode_utxo_pos(block.blknum, txindex, oindex)
            if not out.is_empty and pos not in spent:
                utxos[pos] = out


class Operator:
    """The child chain of one root chain, operated with ``key`` (the root chain's operator)."""

    def __init__(self, l1: L1Client, address: str, key: bytes, *, log_path: str | Path | None = None,
                 max_block: int = R.MAX_TXS_PER_BLOCK) -> None:
        self.l1, self.address, self.key = l1, address, key
        self.domain = R.Domain(l1.chain_id, address)
        self.max_block = max_block
        self.log = ChildChainLog(log_path)
        self.lock = threading.RLock()
        self.blocks: dict[int, Block] = {}
        self._where: dict[str, tuple[int, int]] = {}  # transaction id -> (block, index), kept with ``blocks``
        self.view = _View()
        self.pending: list[R.SignedTransaction] = []
        self.pending_ids: set[str] = set()
        self._pending_spent: set[int] = set()
        self._pending_created: dict[int, R.Output] = {}
        self.refused: list[tuple[str, str]] = []  # (id, reason), the latest MAX_REFUSED_KEPT
        self.confirmations: dict[str, bytes] = self.log.confirmations()
        self.synced_block = -1
        self._synced_hash: str | None = None
        self.reorganisations = 0
        self.recovered = self._recover()

    # -- recovery and following L1 ---------------------------------------------------------------

    def _recover(self) -> int:
        """Read the log back: blocks, then pending transactions; returns how many were re-admitted."""
        for blknum, _root, data, withheld in self.log.blocks():
            txs = decode_block(data)
            self._put_block(Block(blknum, txs, R.BlockTree([t.leaf() for t in txs]), withheld))
        self.sync()
        logged = [R.SignedTransaction.decode(d) for d in self.log.pending()]
        self._readmit(logged)
        return len(logged)

    def _readmit(self, txs: Iterable[R.SignedTransaction]) -> None:
        txs = [t for t in txs if tx_id(t) not in self.pending_ids]
        for signed, outcome in zip(txs, self._admit(txs, log=False), strict=True):
            if isinstance(outcome, PlasmaRefused):
                self._note_refused([(tx_id(signed), str(outcome))])

    def _on_chain(self) -> tuple[int, str]:
        head = self.l1.block("latest")
        return int(head["number"], 16), head["hash"]

    def sync(self) -> None:
        """Follow L1: deposits, started exits and blocks; resubmit a block L1 lost. Safe to call any time."""
        with self.lock:
            number, head_hash = self._on_chain()
            if self._synced_hash is None:
                self._rebuild(number)
            elif number == self.synced_block and head_hash == self._synced_hash:
                return
            else:
                seen = self.l1.block(self.synced_block) if self.synced_block <= number else None
                # A block the operator sent after its last read may be the part L1 lost.
                if seen is None or seen["hash"] != self._synced_hash or self.call("current_child_block") != \
                        self.call_current():
                    self.reorganisations += 1
                    self._rebuild(number)
                else:
                    self._follow(self.synced_block + 1, number)
            self.synced_block, self._synced_hash = number, head_hash

    def _deposits(self, view: _View, from_block: int, to_block: int) -> None:
        for e in self.l1.events(self.address, RootChain, "DepositCreated", from_block, to_block):
            pos = R.encode_utxo_pos(e["blknum"], 0, 0)
            out = R.Output(secp256k1.to_checksum_address(e["depositor"]), e["amount"])
            view.utxos[pos] = out

    def _exits(self, view: _View, from_block: int, to_block: int) -> set[int]:
        """Positions exiting on L1 from these blocks: standard exits, the inputs of in-flight exits (a spend of
        one would compete with the in-flight transaction) and the outputs piggybacked on them."""
        started = {e["utxo_pos"] for e in self.l1.events(self.address, RootChain, "ExitStarted", from_block, to_block)}
        for e in self.l1.events(self.address, RootChain, "InFlightExitStarted", from_block, to_block):
            for i in range(R.INPUTS_PER_TX):
                pos = self.call("in_flight_input", e["tx_hash"], i)[0]
                if pos:
                    started.add(pos)
        for e in self.l1.events(self.address, RootChain, "InFlightOutputPiggybacked", from_block, to_block):
            where = self._where.get("0x" + e["tx_hash"].hex())
            if where is not None:  # an output of a transaction this operator included
                started.add(R.encode_utxo_pos(where[0], where[1], e["index"]))
        view.exited |= started
        for pos in started:
            view.utxos.pop(pos, None)
        return started

    def _follow(self, from_block: int, to_block: int) -> None:
        """New L1 blocks on the same chain: their deposits and exits (the operator's own blocks are applied as sent)."""
        self._deposits(self.view, from_block, to_block)
        if self._exits(self.view, from_block, to_block) & self._pending_spent:
            self._reset_pending(self.pending)  # a pending spend of an exiting output is refused

    def _rebuild(self, to_block: int) -> None:
        """The view from L1's events up to ``to_block`` and the operator's blocks L1 holds; then the pending block again."""
        view = _View()
        self._deposits(view, 0, to_block)
        on_l1 = {e["blknum"]: e["root"] for e in
                 self.l1.events(self.address, RootChain, "BlockSubmitted", 0, to_block)}
        # Deposit outputs are all in; the operator's blocks in number order spend and create outputs. A
        # deposit a block spends always precedes it, since L1 numbers deposits below the next operator block.
        lost = []
        for blknum in sorted(self.blocks):
            block = self.blocks[blknum]
            if on_l1.get(blknum) != block.root:
                lost.append(block)
            else:
                _apply(view.utxos, block)
        self._exits(view, 0, to_block)
        self.view = view
        current = self.call("current_child_block")
        requeue: list[R.SignedTransaction] = []
        for block in lost:
            if block.blknum == current and not requeue and self._still_valid(block):
                self._send_root(block)  # L1 lost it (a reorganisation) or never got it (a crash): send it again
                _apply(view.utxos, block)
                current += CHILD_BLOCK_INTERVAL
            else:
                self._drop_block(block.blknum)
                self.log.drop_block(block.blknum)
                requeue.extend(block.txs)
        self._reset_pending(requeue + self.pending)

    def _still_valid(self, block: Block) -> bool:
        try:
            R.check_block(block.blknum, block.txs, self.view.utxos, R.recover_signers(block.txs, self.domain))
        except R.PlasmaRuleError:
            return block.withheld  # the lab's dishonest operator stands by what it withheld
        return True

    def _clear_pending(self) -> None:
        self.pending, self.pending_ids = [], set()
        self._pending_spent, self._pending_created = set(), {}

    def _reset_pending(self, txs: list[R.SignedTransaction]) -> None:
        self._clear_pending()
        self._readmit(txs)

    def call(self, method: str, *args):  # noqa: ANN201 - the contract's own return types
        return self.l1.call(self.address, RootChain, method, *args)

    # -- admission ------------------------------------------------------------------------------------------

    def submit(self, tx: R.SignedTransaction | bytes) -> str:
        """Admit one transaction to the next block; its id once it is logged, or PlasmaRefused naming the rule."""
        outcome = self.submit_many([tx])[0]
        if isinstance(outcome, PlasmaRefused):
            raise outcome
        return outcome

    def submit_many(self, txs: Sequence[R.SignedTransaction | bytes]) -> list[str | PlasmaRefused]:
        """Admit many transactions in order (one batch signature recovery, one log write); each its id or refusal."""
        decoded: list[R.SignedTransaction | PlasmaRefused] = []
        for t in txs:
            try:
                decoded.append(t if isinstance(t, R.SignedTransaction) else R.SignedTransaction.decode(t))
            except (R.PlasmaRuleError, TypeError, ValueError) as exc:
                rule = exc.rule if isinstance(exc, R.PlasmaRuleError) else "malformed transaction"
                decoded.append(PlasmaRefused(rule, str(exc)))
        good = [d for d in decoded if isinstance(d, R.SignedTransaction)]
        with self.lock:
            self.sync()  # the deposits and exits L1 has seen so far (nothing to read when its head has not moved)
            results = iter(self._admit(good, log=True))
        return [d if isinstance(d, PlasmaRefused) else next(results) for d in decoded]

    def _admit(self, txs: Sequence[R.SignedTransaction], *, log: bool) -> list[str | PlasmaRefused]:
        signers = R.recover_signers(txs, self.domain) if txs else []
        out: list[str | PlasmaRefused] = []
        admitted: list[tuple[str, bytes]] = []
        view = ChainMap(self._pending_created, self.view.utxos)
        blknum = self.call_current()
        for signed, tx_signers in zip(txs, signers, strict=True):
            ident = tx_id(signed)
            if ident in self.pending_ids:
                out.append(ident)  # the same transaction again: already admitted
                continue
            if len(self.pending) >= self.max_block:
                out.append(PlasmaRefused("block full", f"the next block already holds {self.max_block} "
                                                       "transactions; send again after it is submitted"))
                continue
            try:
                for pos in signed.tx.spent:
                    if pos in self.view.exited:
                        raise R.PlasmaRuleError("exited input", f"position {pos} is exiting on L1")
                R.check_spend(signed.tx, view, tx_signers, self._pending_spent)  # type: ignore[arg-type]
                R.check_inputs_confirmed(signed.tx, self.confirmed)
            except R.PlasmaRuleError as exc:
                out.append(PlasmaRefused(exc.rule, str(exc).split(": ", 1)[-1]))
                continue
            self._add_pending(signed, ident, blknum)
            admitted.append((ident, signed.encode()))
            out.append(ident)
        if log and admitted:
            try:
                self.log.admit(admitted)
            except sqlite3.Error:
                for ident, _ in admitted:  # nothing unlogged is acknowledged
                    self._drop_pending(ident)
                raise
        return out

    def _add_pending(self, signed: R.SignedTransaction, ident: str, blknum: int) -> None:
        index = len(self.pending)
        self.pending.append(signed)
        self.pending_ids.add(ident)
        self._pending_spent.update(signed.tx.spent)
        for pos in signed.tx.spent:
            self._pending_created.pop(pos, None)
        for oindex, out in enumerate(signed.tx.outputs):
            if not out.is_empty:
                self._pending_created[R.encode_utxo_pos(blknum, index, oindex)] = out

    def _drop_pending(self, ident: str) -> None:
        keep = [t for t in self.pending if tx_id(t) != ident]
        self._clear_pending()
        blknum = self.call_current()
        for t in keep:
            self._add_pending(t, tx_id(t), blknum)

    def call_current(self) -> int:
        """The number the next operator block will get (L1's counter; the operator's own blocks are on it)."""
        last = max((n for n in self.blocks), default=0)
        return max(CHILD_BLOCK_INTERVAL, last + CHILD_BLOCK_INTERVAL)

    def _note_refused(self, rows: list[tuple[str, str]]) -> None:
        self.refused.extend(rows)
        del self.refused[:-MAX_REFUSED_KEPT]
        self.log.refuse(rows)

    # -- blocks -------------------------------------------------------------------------------------------

    def make_block(self) -> Block | None:
        """Build the next block from the pending transactions and submit its root; None when nothing is pending."""
        with self.lock:
            self.sync()
            if not self.pending:
                return None
            block = self._build(self.pending)
            self._clear_pending()
            self.log.block(block)
            self._send_root(block)
            _apply(self.view.utxos, block)
            return block

    def submit_block(self, txs: Sequence[R.SignedTransaction], *, check: bool = True, withhold: bool = False) -> Block:
        """Submit a block of exactly ``txs`` (the lab's dishonest operator: ``check=False`` skips the rules)."""
        with self.lock:
            self.sync()
            txs = list(txs)
            if check:
                R.check_block(self.call_current(), txs, self.view.utxos, R.recover_signers(txs, self.domain))
                for signed in txs:
                    R.check_inputs_confirmed(signed.tx, self.confirmed)
            block = self._build(txs, withheld=withhold)
            self.log.block(block)
            self._send_root(block)
            _apply(self.view.utxos, block)
            return block

    def _build(self, txs: Sequence[R.SignedTransaction], withheld: bool = False) -> Block:
        blknum = self.call_current()
        onchain = self.call("current_child_block")
        if onchain != blknum:
            raise R.PlasmaRuleError("out of step", f"L1 expects block {onchain}, the operator has {blknum}")
        return Block(blknum, list(txs), R.BlockTree([t.leaf() for t in txs]), withheld)

    def _put_block(self, block: Block) -> None:
        self.blocks[block.blknum] = block
        for i, t in enumerate(block.txs):
            self._where[tx_id(t)] = (block.blknum, i)

    def _drop_block(self, blknum: int) -> None:
        for t in self.blocks.pop(blknum).txs:
            ident = tx_id(t)
            if self._where.get(ident, (0, 0))[0] == blknum:
                del self._where[ident]

    def _send_root(self, block: Block) -> None:
        self._put_block(block)
        self.l1.transact(self.key, self.address, RootChain, "submit_block", block.root)

    def withhold(self, blknum: int) -> None:
        """Stop serving block ``blknum`` (the data-withholding attack)."""
        with self.lock:
            self.blocks[blknum].withheld = True
            self.log.block(self.blocks[blknum])

    def served_block(self, blknum: int) -> list[R.SignedTransaction] | None:
        """The transactions of operator block ``blknum`` as served to clients; None if unknown or withheld."""
        block = self.blocks.get(blknum)
        if block is None or block.withheld:
            return None
        return list(block.txs)

    def confirmed(self, pos: int) -> bool:
        """Whether the output at ``pos`` may be spent: a deposit, or an output of a confirmed transaction."""
        blknum, txindex, _ = R.decode_utxo_pos(pos)
        if blknum % CHILD_BLOCK_INTERVAL:
            return True
        block = self.blocks.get(blknum)
        return block is not None and txindex < len(block.txs) and tx_id(block.txs[txindex]) in self.confirmations

    def position_of(self, ident: str) -> tuple[int, int] | None:
        """(block, index) of an included transaction (in its latest block, should one hold it twice)."""
        return self._where.get(ident)

    # -- confirmations ------------------------------------------------------------------------------------------

    def post_confirmation(self, ident: str, sigs: bytes) -> None:
        """Keep an included transaction's confirmation signatures for its recipients to fetch; each is checked."""
        with self.lock:
            where = self.position_of(ident)
            if where is None:
                raise PlasmaRefused("not included", f"transaction {ident} is in no block of this operator")
            blknum, txindex = where
            block = self.blocks[blknum]
            signed = block.txs[txindex]
            try:
                R.check_confirmed(signed, block.root, sigs, self.domain)
            except R.PlasmaRuleError as exc:
                raise PlasmaRefused(exc.rule, str(exc).split(": ", 1)[-1]) from None
            self.confirmations[ident] = bytes(sigs)
            self.log.confirm(ident, bytes(sigs))

    def close(self) -> None:
        self.log.close()
