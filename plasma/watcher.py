"""A Plasma user's client: it watches every block, confirms its own spends, and exits when the chain goes bad.

The watcher validates every operator block the root chain records: it
fetches the block's transactions from the operator, checks they hash to the
root on L1 and that the block is valid by the rules (``check_block``)
against its own view of the child chain, which it builds from L1's
deposits and the blocks it has validated, in order. What it keeps (every
validated block's transactions, and the confirmations of the spends that
paid its owner, checked as it collects them) is all it needs to exit
without the operator.

The alarm goes off when a block is invalid (which includes a spend of an
output whose creating transaction's confirmation the operator cannot
show), or when a root is on L1 but its block is not served within
``deadline_blocks`` L1 blocks (withheld data).

With ``store_path``, what the watcher validated and was handed survives a
crash and a restart, with or without the operator: a SQLite file
(:class:`WatcherStore`) receives each validated block and each kept
confirmation before the watcher acts on it (applies the block, posts a
confirmation, starts an exit). A watcher started on an existing store
re-reads L1 from block 0 and validates the stored blocks again, in order,
against L1's roots, exactly as it validated them first, without the
operator; a stored block L1 does not hold, or a store made for another root
chain, chain id or owner, is refused (:class:`WatcherStoreError`).
From then on the watcher validates nothing newer and exits every output its
owner holds in the last valid view, oldest first (older outputs are paid
first), and never confirms a spend in a block it could not check: an input
of such a spend still exits, since a challenge needs the owner's
confirmation. It challenges any exit it can disprove: an output spent in a
valid block, where it holds the spend and its owner's confirmation.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from eth_abi import decode as abi_decode

from contracts_spec.l1 import L1Client, TransactionReverted
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import CHILD_BLOCK_INTERVAL
from contracts_spec.runtime.abi import selector
from plasma.operator import decode_block, encode_block, tx_id
from primitives import secp256k1

Fetch = Callable[[int], "list[R.SignedTransaction] | None"]
Confirmations = Callable[[str], "bytes | None"]
Post = Callable[[str, bytes], None]


_START_EXIT = selector("start_exit(uint256,bytes,bytes,bytes)")
_START_IN_FLIGHT = selector("start_in_flight_exit(bytes,bytes,bytes)")


@dataclass
class WatchedBlock:
    txs: list[R.SignedTransaction]
    tree: R.BlockTree

    def stored_bytes(self) -> int:
        """What the watcher keeps for this block: its transactions and its root."""
        return len(self.txs) * R.SIGNED_TX_BYTES + R.HASH_BYTES


@dataclass
class ExitRecord:
    utxo_pos: int
    amount: int
    receipt: dict | None = None
    refused: str | None = None


class WatcherStoreError(Exception):
    """A watcher store that cannot be opened, or that belongs to another root chain, chain or owner."""


_STORE_FORMAT = "1"
_STORE_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (blknum INTEGER PRIMARY KEY, root BLOB NOT NULL, txs BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS kept (id TEXT PRIMARY KEY, sigs BLOB NOT NULL, posted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS exits (utxo_pos INTEGER PRIMARY KEY, amount TEXT NOT NULL, receipt TEXT, refused TEXT);
CREATE TABLE IF NOT EXISTS challenged (utxo_pos INTEGER PRIMARY KEY);
"""


class WatcherStore:
    """A watcher's durable state in SQLite (WAL, ``synchronous=FULL``); every write is committed at once.

    ``meta`` names the root chain, chain id and owner the store was made for;
    ``blocks`` holds each validated block (number, root, transactions in their
    218-byte encodings back to back); ``kept`` the checked confirmations by
    transaction id (``posted`` once the operator was handed the owner's own);
    ``exits`` and ``challenged`` what the watcher did on L1.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise WatcherStoreError(f"cannot open the watcher store {self.path}: {exc}") from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_STORE_SCHEMA)
        except sqlite3.Error as exc:
            self._db.close()
            raise WatcherStoreError(f"cannot use {self.path} as a watcher store: {exc}") from None

    @staticmethod
    def read_meta(path: str | Path) -> dict[str, str] | None:
        """What an existing store at ``path`` was made for (None if there is no such store)."""
        if not Path(path).is_file():
            return None
        try:
            db = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
            try:
                return dict(db.execute("SELECT key, value FROM meta"))
            finally:
                db.close()
        except sqlite3.Error:
            return None

    def _write(self, sql: str, rows: list[tuple]) -> None:
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(sql, rows)

    def claim(self, root_chain: str, chain_id: int, owner: str) -> None:
        """Make the store this watcher's, or check it is; WatcherStoreError naming both if it is another's."""
        want = {"root_chain": root_chain, "chain_id": str(chain_id), "owner": owner}
        have = dict(self._db.execute("SELECT key, value FROM meta"))
        if not have:
            self._write("INSERT INTO meta (key, value) VALUES (?, ?)",
                        [("format", _STORE_FORMAT), *want.items()])
            return
        if have.get("format") != _STORE_FORMAT:
            raise WatcherStoreError(f"the watcher store {self.path} has format {have.get('format')!r}, "
                                    f"this watcher reads format {_STORE_FORMAT!r}")
        if any(have.get(k, "").lower() != v.lower() for k, v in want.items()):
            raise WatcherStoreError(
                f"the watcher store {self.path} was made for owner {have.get('owner')} on root chain "
                f"{have.get('root_chain')} (chain id {have.get('chain_id')}), not for owner {owner} on root chain "
                f"{root_chain} (chain id {chain_id}): use another store file")

    def block(self, blknum: int, root: bytes, txs: list[R.SignedTransaction]) -> None:
        self._write("INSERT OR REPLACE INTO blocks (blknum, root, txs) VALUES (?, ?, ?)",
                    [(blknum, root, encode_block(txs))])

    def keep(self, ident: str, sigs: bytes) -> None:
        self._write("INSERT INTO kept (id, sigs) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET sigs=excluded.sigs",
                    [(ident, bytes(sigs))])

    def posted(self, ident: str) -> None:
        self._write("UPDATE kept SET posted=1 WHERE id=?", [(ident,)])

    def exit(self, record: ExitRecord) -> None:
        receipt = None if record.receipt is None else json.dumps(record.receipt, default=str)
        self._write("INSERT OR REPLACE INTO exits (utxo_pos, amount, receipt, refused) VALUES (?, ?, ?, ?)",
                    [(record.utxo_pos, str(record.amount), receipt, record.refused)])

    def challenge(self, pos: int) -> None:
        self._write("INSERT OR IGNORE INTO challenged (utxo_pos) VALUES (?)", [(pos,)])

    def blocks(self) -> dict[int, tuple[bytes, list[R.SignedTransaction]]]:
        try:
            return {n: (bytes(root), decode_block(bytes(txs))) for n, root, txs in
                    self._db.execute("SELECT blknum, root, txs FROM blocks ORDER BY blknum")}
        except R.PlasmaRuleError as exc:
            raise WatcherStoreError(f"the watcher store {self.path} holds a damaged block: {exc}") from None

    def kept(self) -> tuple[dict[str, bytes], set[str]]:
        """The kept confirmations by transaction id, and the ids of those posted."""
        rows = list(self._db.execute("SELECT id, sigs, posted FROM kept"))
        return {i: bytes(s) for i, s, _ in rows}, {i for i, _, p in rows if p}

    def exits(self) -> dict[int, ExitRecord]:
        return {pos: ExitRecord(pos, int(amount), None if receipt is None else json.loads(receipt), refused)
                for pos, amount, receipt, refused in
                self._db.execute("SELECT utxo_pos, amount, receipt, refused FROM exits ORDER BY utxo_pos")}

    def challenged(self) -> list[int]:
        return [r[0] for r in self._db.execute("SELECT utxo_pos FROM challenged ORDER BY utxo_pos")]

    def close(self) -> None:
        self._db.close()


@dataclass
class Watcher:
    """The client of the owner of ``key``; ``fetch``, ``confirmations`` and ``post`` reach the operator.

    With ``store_path`` it keeps its state in a :class:`WatcherStore` there and resumes from it at once: L1
    is read from block 0 and the stored blocks are validated again, in order, the operator not asked (the
    blocks after them are fetched by the next ``poll``); ``close()`` closes the store.
    """

    l1: L1Client
    address: str
    key: bytes
    fetch: Fetch
    confirmations: Confirmations
    post: Post
    deadline_blocks: int = 3
    owner: str = ""
    blocks: dict[int, WatchedBlock] = field(default_factory=dict)
    utxos: dict[int, R.Output] = field(default_factory=dict)
    waiting: dict[int, tuple[bytes, int]] = field(default_factory=dict)
    alarm: str | None = None
    exits: dict[int, ExitRecord] = field(default_factory=dict)
    challenged: list[int] = field(default_factory=list)
    synced_block: int = -1
    store_path: str | Path | None = None

    def __post_init__(self) -> None:
        self.owner = secp256k1.private_key_to_address(self.key)
        self.domain = R.Domain(self.l1.chain_id, self.address)
        self.bond = self.l1.call(self.address, RootChain, "params")[2]
        self._spent_by: dict[int, tuple[int, int]] = {}  # position -> (block, index) of its spend
        self._deposit_owner: dict[int, str] = {}
        # Exits started by others not yet disproved, and confirmations read from exits' calldata.
        self._open_exits: set[int] = set()
        # Positions whose owner started their exit on L1 (in this session or before): no longer the owner's to spend.
        self._exiting: set[int] = set()
        # Positions that are inputs of an in-flight exit on L1: (its transaction, the input's index).
        self._in_flight_inputs: dict[int, tuple[R.SignedTransaction, int]] = {}
        self._revealed: dict[str, bytes] = {}
        # Checked confirmations it holds, by transaction id: of its owner's spends, of the spends that paid its
        # owner (for its exits), and of every transaction whose output a valid block spends (the rule demands them).
        self.kept: dict[str, bytes] = {}
        self._posted: set[str] = set()  # ids of the owner's spends whose confirmation the operator was handed
        self._stored: dict[int, tuple[bytes, list[R.SignedTransaction]]] = {}  # stored blocks not yet replayed
        self._resumed = False  # replayed from the store: the next poll acts even if L1 has not moved
        self.store: WatcherStore | None = None
        if self.store_path is not None:
            self.store = WatcherStore(self.store_path)
            try:
                self._resume(self.store)
            except BaseException:
                self.store.close()
                raise

    def _resume(self, store: WatcherStore) -> None:
        store.claim(self.address, self.l1.chain_id, self.owner)
        self.kept, self._posted = store.kept()
        self.exits.update(store.exits())
        self.challenged.extend(store.challenged())
        self._stored = store.blocks()
        self._read_l1(self.l1.block_number(), stored_only=True)
        if self._stored:
            raise WatcherStoreError(
                f"the watcher store {store.path} holds block(s) {sorted(self._stored)} that root chain "
                f"{self.address} on L1 does not follow (no root, or after a block L1 has no root for): "
                "it is not of this chain")
        self._resumed = True

    def close(self) -> None:
        """Close the store (if any); what was written stays."""
        if self.store is not None:
            self.store.close()
            self.store = None

    # -- watching ------------------------------------------------------------------------------------

    def mine(self) -> dict[int, R.Output]:
        """The owner's unspent outputs in the last valid view that no exit on L1 has taken, oldest first."""
        return {p: o for p, o in sorted(self.utxos.items())
                if int(o.owner, 16) == int(self.owner, 16) and p not in self._exiting}

    def balance(self) -> int:
        return sum(o.amount for o in self.mine().values())

    def poll(self) -> None:
        """Read L1 and the operator once: deposits, new roots, blocks to validate, exits to challenge."""
        number = self.l1.block_number()
        if number > self.synced_block:
            self._read_l1(number)
        elif self._resumed:
            self._validate(number)  # the blocks after the stored ones, from the operator
        else:
            return
        self._resumed = False
        for pos in sorted(self._open_exits):
            self._maybe_challenge(pos)
        self._collect_confirmations()
        if self.alarm is not None:
            self.exit_all()

    def _read_l1(self, number: int, *, stored_only: bool = False) -> None:
        """L1 up to block ``number``: deposits, roots, then the blocks to validate, then the exits started."""
        lo = self.synced_block + 1
        for e in self.l1.events(self.address, RootChain, "DepositCreated", lo, number):
            pos, depositor = R.encode_utxo_pos(e["blknum"], 0, 0), secp256k1.to_checksum_address(e["depositor"])
            self.utxos[pos] = R.Output(depositor, e["amount"])
            self._deposit_owner[pos] = depositor
        for e in self.l1.events(self.address, RootChain, "BlockSubmitted", lo, number):
            self.waiting[e["blknum"]] = (e["root"], e["blockNumber"])
        self.synced_block = number
        self._validate(number, stored_only=stored_only)
        for e in self.l1.events(self.address, RootChain, "ExitStarted", lo, number):
            self._harvest(e["transactionHash"])
            self._open_exits.add(e["utxo_pos"])
            if int(e["owner"], 16) == int(self.owner, 16):
                self._exiting.add(e["utxo_pos"])
        for e in self.l1.events(self.address, RootChain, "InFlightExitStarted", lo, number):
            self._note_in_flight(e["transactionHash"])

    def _validate(self, number: int, *, stored_only: bool = False) -> None:
        for blknum in sorted(self.waiting):
            if self.alarm is not None:
                return
            root, seen = self.waiting[blknum]
            stored = self._stored.pop(blknum, None)
            if stored is not None:
                txs: list[R.SignedTransaction] | None = stored[1]
            elif stored_only:
                return
            else:
                txs = self.fetch(blknum)
            if txs is None:
                if number - seen >= self.deadline_blocks:
                    self.alarm = f"block {blknum} withheld: its root is on L1 since block {seen}, its data is not served"
                return  # nothing newer is valid before this block is
            try:
                tree = R.BlockTree([t.leaf() for t in txs])
                if tree.root != root:
                    raise R.PlasmaRuleError("wrong root", "the served transactions do not hash to the root on L1")
                effect = R.check_block(blknum, txs, self.utxos, R.recover_signers(txs, self.domain))
                for t in txs:
                    R.check_inputs_confirmed(t.tx, self._creator_confirmed)
            except R.PlasmaRuleError as exc:
                if stored is not None:
                    raise WatcherStoreError(f"the watcher store's block {blknum} is not valid on root chain "
                                            f"{self.address}: {exc}; it is not of this chain") from None
                self.alarm = f"block {blknum} invalid: {exc}"
                return
            if self.store is not None and stored is None:
                self.store.block(blknum, root, list(txs))
            for pos in effect.spent:
                del self.utxos[pos]
            self.utxos.update(effect.created)
            for txindex, t in enumerate(txs):
                for pos in t.tx.spent:
                    self._spent_by[pos] = (blknum, txindex)
            self.blocks[blknum] = WatchedBlock(list(txs), tree)
            del self.waiting[blknum]
            self._confirm_own(blknum)

    def _confirm_own(self, blknum: int) -> None:
        """Confirm the owner's spends in a valid block, so their recipients can exit what they received."""
        block = self.blocks[blknum]
        for t in block.txs:
            owners = [self._owner_of_spent(p) for p in t.tx.spent]
            if owners and all(o is not None and int(o, 16) == int(self.owner, 16) for o in owners):
                ident = tx_id(t)
                if ident in self._posted:
                    continue  # replayed from the store, posted before
                sigs = R.confirmations(t, block.tree.root, [self.key] * len(t.tx.spent))
                self._keep(ident, sigs)
                self.post(ident, sigs)
                self._posted.add(ident)
                if self.store is not None:
                    self.store.posted(ident)

    def _keep(self, ident: str, sigs: bytes) -> None:
        """Keep a checked confirmation: in the store first, when there is one."""
        if self.store is not None:
            self.store.keep(ident, sigs)
        self.kept[ident] = sigs

    def _creator_confirmed(self, pos: int) -> bool:
        """Whether the transaction of a valid block that created ``pos`` is confirmed: its confirmation kept, or
        fetched (from the operator, or an exit's calldata), checked and kept now."""
        blknum, txindex, _ = R.decode_utxo_pos(pos)
        block = self.blocks.get(blknum)
        if block is None or txindex >= len(block.txs):
            return False  # created in the block being validated (or nowhere): not confirmed yet
        signed = block.txs[txindex]
        ident = tx_id(signed)
        if ident in self.kept:
            return True
        sigs = self.confirmations(ident) or self._revealed.get(ident)
        if sigs is None or not self._confirms(signed, block.tree.root, sigs):
            return False
        self._keep(ident, sigs)
        return True

    def _collect_confirmations(self) -> None:
        """Fetch and keep, checked, the confirmation of each spend that paid an output the owner holds."""
        for pos in self.mine():
            self._creator_confirmed(pos)  # a deposit's needs none: nothing is fetched for it

    def _confirms(self, signed: R.SignedTransaction, root: bytes, sigs: bytes) -> bool:
        """Whether ``sigs`` are the confirmations of ``signed`` in the block of ``root`` by its inputs' signers."""
        try:
            R.check_confirmed(signed, root, sigs, self.domain)
        except R.PlasmaRuleError:
            return False
        return True

    def _owner_of_spent(self, pos: int) -> str | None:
        blknum, txindex, oindex = R.decode_utxo_pos(pos)
        if blknum % CHILD_BLOCK_INTERVAL:
            return self._deposit_owner.get(pos)
        block = self.blocks.get(blknum)
        return None if block is None else block.txs[txindex].tx.outputs[oindex].owner

    # -- the exit game ---------------------------------------------------------------------------------

    def _send(self, method: str, *args, value: int = 0) -> dict:
        return self.l1.transact(self.key, self.address, RootChain, method, *args, value=value)

    def start_exit(self, pos: int) -> ExitRecord:
        """Start the exit of one of the owner's outputs (a deposit, or an output of a valid block); an input of an
        in-flight exit on L1 is piggybacked on it instead."""
        out = self.utxos[pos]
        record = ExitRecord(pos, out.amount)
        blknum, txindex, _ = R.decode_utxo_pos(pos)
        try:
            if pos in self._in_flight_inputs:
                self._piggyback(record, *self._in_flight_inputs[pos])
            elif blknum % CHILD_BLOCK_INTERVAL:
                record.receipt = self._send("start_deposit_exit", pos, out.amount, value=self.bond)
            else:
                block = self.blocks[blknum]
                signed = block.txs[txindex]
                ident = tx_id(signed)
                sigs = self._confirmations_of(ident)
                if sigs is None:
                    record.refused = "no confirmation: the spender never confirmed the transaction paying this output"
                else:
                    if ident not in self.kept and self._confirms(signed, block.tree.root, sigs):
                        self._keep(ident, sigs)
                    record.receipt = self._send("start_exit", pos, signed.encode(), block.tree.proof(txindex), sigs,
                                                value=self.bond)
        except TransactionReverted as exc:
            record.refused = str(exc)
        if self.store is not None:
            self.store.exit(record)
        self.exits[pos] = record
        return record

    def exit_all(self) -> list[ExitRecord]:
        """Exit every output the owner holds in the last valid view, oldest first (each once)."""
        return [self.start_exit(p) for p in self.mine() if p not in self.exits]

    def _harvest(self, tx_hash: str) -> None:
        """Keep the confirmations an exit's own calldata reveals: they may disprove an exit of an older output."""
        tx = self.l1.rpc("eth_getTransactionByHash", tx_hash)
        data = bytes.fromhex((tx or {}).get("input", "0x")[2:])
        if data[:4] != _START_EXIT:
            return
        try:
            _, signed_tx, _, sigs = abi_decode(["uint256", "bytes", "bytes", "bytes"], data[4:])
            self._revealed[tx_id(R.SignedTransaction.decode(signed_tx))] = sigs
        except (R.PlasmaRuleError, ValueError, TypeError):
            return  # L1 accepted the exit, so this cannot happen; nothing to keep if it does

    def _note_in_flight(self, l1_tx: str) -> None:
        """Remember the owner's inputs of an in-flight exit someone started: they leave by piggyback, not alone.

        A standard exit of an input of a canonical in-flight transaction is
        challenged (its bond lost); a piggyback on the input is paid back if
        the transaction turns out not canonical, and its bond returned if it is.
        """
        tx = self.l1.rpc("eth_getTransactionByHash", l1_tx)
        data = bytes.fromhex((tx or {}).get("input", "0x")[2:])
        if data[:4] != _START_IN_FLIGHT:
            return
        try:
            signed = R.SignedTransaction.decode(abi_decode(["bytes", "bytes", "bytes"], data[4:])[0])
        except (R.PlasmaRuleError, ValueError, TypeError):
            return  # L1 accepted the exit, so this cannot happen
        for i, pos in enumerate(signed.tx.spent):
            self._in_flight_inputs.setdefault(pos, (signed, i))

    def _piggyback(self, record: ExitRecord, signed: R.SignedTransaction, index: int) -> None:
        bond = self.l1.call(self.address, RootChain, "in_flight_bonds")[1]
        record.receipt = self._send("piggyback_input", signed.encode(), index, value=bond)
        self._exiting.add(record.utxo_pos)

    def _confirmations_of(self, ident: str) -> bytes | None:
        return self.kept.get(ident) or self.confirmations(ident) or self._revealed.get(ident)

    def _maybe_challenge(self, pos: int) -> None:
        """Challenge the exit of ``pos`` if a valid block spends it and the spend's confirmation is at hand."""
        exiter, _, state, _, _ = self.l1.call(self.address, RootChain, "exit_info", pos)
        if state != 1:
            self._open_exits.discard(pos)  # challenged or finalized already
            return
        where = self._spent_by.get(pos)
        if where is None or pos in self.exits:
            return
        blknum, txindex = where
        block = self.blocks[blknum]
        signed = block.txs[txindex]
        sigs = self._confirmations_of(tx_id(signed))
        if sigs is None:
            return
        root = block.tree.root
        digest = R.confirmation_digest(signed.tx.hash(), root)
        for sig in R.split_confirmations(sigs, signed.tx):
            signer = secp256k1.recover_signers([digest], [sig], strict=False)[0]
            if signer is not None and int(signer, 16) == int(exiter, 16):
                try:
                    self._send("challenge_exit", pos, R.tx_pos(blknum, txindex), signed.encode(),
                               block.tree.proof(txindex), sig)
                    if self.store is not None:
                        self.store.challenge(pos)
                    self.challenged.append(pos)
                except TransactionReverted:
                    pass  # someone else challenged it first
                self._open_exits.discard(pos)
                return

    def finalize(self, max_exits: int = 16) -> dict | None:
        """Pay the exits that are due (anyone may); None when none is."""
        top_time, top = self.l1.call(self.address, RootChain, "next_exit", R.ZERO_ADDRESS)
        if top == 0 or self.l1.timestamp() < top_time:
            return None
        try:
            return self._send("finalize_exits", R.ZERO_ADDRESS, max_exits)
        except TransactionReverted:
            return None

    # -- paying -----------------------------------------------------------------------------------------

    def pay(self, to: str, amount: int) -> R.SignedTransaction:
        """A signed spend of up to two of the owner's outputs paying ``amount`` to ``to``, change back."""
        chosen: list[int] = []
        total = 0
        for pos, out in sorted(self.mine().items(), key=lambda kv: -kv[1].amount):
            if total >= amount or len(chosen) == R.INPUTS_PER_TX:
                break
            chosen.append(pos)
            total += out.amount
        if total < amount:
            raise R.PlasmaRuleError("outputs exceed inputs", f"{amount} wei to pay, two outputs hold {total}")
        outputs: list[tuple[str, int]] = [(to, amount)]
        if total > amount:
            outputs.append((self.owner, total - amount))
        return R.sign_transaction(R.Transaction.spend(chosen, outputs), [self.key] * len(chosen), self.domain)

    def stored_bytes(self) -> int:
        """What the watcher keeps: every validated block, and the confirmations it holds."""
        return sum(b.stored_bytes() for b in self.blocks.values()) + sum(len(c) for c in self.kept.values())
