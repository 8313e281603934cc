"""The zk-rollup's operator: a mempool checked against the pending state, a write-ahead log, proving in a worker.

Admission
    ``submit(op)`` runs ``apply_op`` on the *pending* state (the last
    verified state, plus the deposits the next batch processes, plus every
    operation admitted since), so a bad signature, a replayed or future
    nonce, an overdraft or an unknown account is refused at once with the
    rule's name and changes nothing, and what is admitted will fit in a
    batch. The operation is appended to the write-ahead log (SQLite,
    ``synchronous=FULL``: on disk before the call returns) and only then
    acknowledged, so nothing acknowledged is lost to a crash.

Batches
    ``tick`` follows L1 (a :class:`ZkFullNode` rebuilds the verified state
    from L1 alone, so after a restart or an L1 reorganisation the operator
    stands where L1 does), then either starts proving the next batch or,
    when the proof is done, commits it. Proving runs in a worker process, so
    the node keeps serving while a proof takes seconds or minutes;
    ``progress`` says what the operator is doing and for how long. A worker
    that dies is replaced and the batch proved again; a proof that no longer
    starts where L1 stands is dropped and the batch rebuilt.

    The next batch takes, in order, the oldest queued deposits (up to the
    deposit slots; a deposit the operator censors stops the queue there, as
    the exodus demo shows), then the oldest admitted transfers and
    withdrawals, in admission order.

The log
    An operation is in a verified batch when the full node applied the same
    operation (kind, recipient, amount) at its sender and nonce. The log
    keeps it, marked with the batch, until that batch's block is
    ``final_depth`` blocks deep: an L1 reorganisation that drops the batch
    puts it back in the mempool, in its admission order. An operation that
    can no longer apply (another verified operation used its nonce, its
    recipient index now holds another key, or what it relied on is gone)
    moves to the log's ``refused`` table with the reason (``refused``;
    ``status(id)`` answers for one operation).
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts_spec.l1 import L1Client, TransactionReverted
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.params import ZkPreset
from contracts_spec.zk.rules import OpRefused, Transfer, Withdraw, apply_op
from contracts_spec.zk.state import ZkState
from contracts_spec.zk.witness import Batch, build_batch
from primitives.snark.eddsa import Signature
from rollup.zk.fullnode import QueuedDeposit, ZkFullNode, op_content, queued_deposits
from rollup.zk.prover import BatchProver, ProvedBatch

Signed = Transfer | Withdraw

# Blocks under which a verified batch counts as final: its operations leave the log then. Until then
# an L1 reorganisation may drop the batch, and the operations come back to the mempool from the log.
FINAL_DEPTH = 64


def op_to_json(op: Signed) -> dict[str, Any]:
    sig = op.signature
    out: dict[str, Any] = {"sender": op.sender, "nonce": op.nonce}
    if isinstance(op, Transfer):
        out.update(kind="transfer", recipient=op.recipient, amount40=op.amount, amount=str(op.value))
    else:
        out.update(kind="withdraw", recipient=op.recipient, amount=str(op.amount))
    if sig is not None:
        out["signature"] = {"R8": [str(sig.R8[0]), str(sig.R8[1])], "S": str(sig.S)}
    return out


def op_from_json(d: dict[str, Any]) -> Signed:
    sig = d.get("signature")
    signature = Signature((int(sig["R8"][0]), int(sig["R8"][1])), int(sig["S"])) if sig else None
    if d["kind"] == "transfer":
        return Transfer(int(d["sender"]), int(d["recipient"]), int(d["amount40"]), int(d["nonce"]), signature)
    return Withdraw(int(d["sender"]), int(d["amount"]), str(d["recipient"]), int(d["nonce"]), signature)


def op_id(op: Signed) -> str:
    """What names an admitted operation: its sender and nonce (one operation per pair ever verifies)."""
    return f"{op.sender}:{op.nonce}"


class LogWriteError(OSError):
    """The log could not record an operation: it was not admitted."""


@dataclass
class Entry:
    """An admitted operation as the operator keeps it: its admission order and the recipient's key then."""

    seq: int
    op: Signed
    to_key: tuple[int, int] | None = None  # a transfer's recipient key at admission (None: not recorded)
    batch: int | None = None  # the verified batch that holds it, while L1 could still take that back
    block: int | None = None

    @property
    def id(self) -> str:
        return op_id(self.op)


class MemoryLog:
    """The operation log's interface without a disk (``log_path=None``): survives nothing but a reorganisation."""

    path: str | None = None

    def __init__(self) -> None:
        self._rows: dict[str, Entry] = {}
        self._seq = 0
        self._refused: list[tuple[Signed, str]] = []

    def append(self, op: Signed, to_key: tuple[int, int] | None) -> Entry:
        if op_id(op) in self._rows:
            raise LogWriteError(f"operation {op_id(op)} is already logged")
        self._seq += 1
        entry = self._rows[op_id(op)] = Entry(self._seq, op, to_key)
        return entry

    def mark_included(self, rows: Iterable[tuple[str, int, int]]) -> None:
        for i, batch, block in rows:
            if i in self._rows:
                self._rows[i].batch, self._rows[i].block = batch, block

    def mark_pending(self, ids: Iterable[str]) -> None:
        for i in ids:
            if i in self._rows:
                self._rows[i].batch = self._rows[i].block = None

    def refuse(self, rows: Iterable[tuple[str, str]]) -> None:
        for i, reason in rows:
            entry = self._rows.pop(i, None)
            if entry is not None:
                self._refused.append((entry.op, reason))

    def forget(self, ids: Iterable[str]) -> None:
        for i in ids:
            self._rows.pop(i, None)

    def entries(self) -> list[Entry]:
        return sorted(self._rows.values(), key=lambda e: e.seq)

    def refused(self) -> list[tuple[Signed, str]]:
        return list(self._refused)

    def close(self) -> None:
        pass


class OperationLog(MemoryLog):
    """Admitted operations until their batch is final on L1, durable on disk, in admission order.

    A row is pending (admitted, in no verified batch), or included (in a
    verified batch whose block L1 could still take back: a reorganisation
    makes it pending again). It is deleted once its batch's block is
    ``final_depth`` blocks deep. An operation that can no longer apply (its
    nonce was used by another verified operation, or what it relied on is
    gone) moves to the ``refused`` table with the reason, so none vanishes
    without a trace.
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS ops (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                         "id TEXT NOT NULL UNIQUE, sender INTEGER NOT NULL, nonce INTEGER NOT NULL, op TEXT NOT NULL)")
        columns = {r[1] for r in self._db.execute("PRAGMA table_info(ops)")}
        for name, kind in (("to_key", "TEXT"), ("batch", "INTEGER"), ("block", "INTEGER")):
            if name not in columns:  # a log written before these columns: its rows are pending, keys unrecorded
                self._db.execute(f"ALTER TABLE ops ADD COLUMN {name} {kind}")
        self._db.execute("CREATE TABLE IF NOT EXISTS refused (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, "
                         "op TEXT NOT NULL, reason TEXT NOT NULL)")

    def append(self, op: Signed, to_key: tuple[int, int] | None) -> Entry:
        with self._lock:
            try:
                cur = self._db.execute("INSERT INTO ops (id, sender, nonce, op, to_key) VALUES (?, ?, ?, ?, ?)",
                                       (op_id(op), op.sender, op.nonce, json.dumps(op_to_json(op)),
                                        json.dumps([str(v) for v in to_key]) if to_key else None))
            except sqlite3.Error as exc:
                raise LogWriteError(f"operation log {self.path}: could not record {op_id(op)}: {exc}") from exc
            return Entry(int(cur.lastrowid or 0), op, to_key)

    def _many(self, sql: str, rows: list[tuple]) -> None:
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def mark_included(self, rows: Iterable[tuple[str, int, int]]) -> None:
        self._many("UPDATE ops SET batch = ?, block = ? WHERE id = ?", [(b, k, i) for i, b, k in rows])

    def mark_pending(self, ids: Iterable[str]) -> None:
        self._many("UPDATE ops SET batch = NULL, block = NULL WHERE id = ?", [(i,) for i in ids])

    def refuse(self, rows: Iterable[tuple[str, str]]) -> None:
        rows = list(rows)
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            try:
                for i, reason in rows:
                    self._db.execute("INSERT INTO refused (seq, id, op, reason) SELECT seq, id, op, ? FROM ops "
                                     "WHERE id = ?", (reason, i))
                    self._db.execute("DELETE FROM ops WHERE id = ?", (i,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def forget(self, ids: Iterable[str]) -> None:
        self._many("DELETE FROM ops WHERE id = ?", [(i,) for i in ids])

    def entries(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute("SELECT seq, op, to_key, batch, block FROM ops ORDER BY seq").fetchall()
        out = []
        for seq, raw, to_key, batch, block in rows:
            key = tuple(int(v) for v in json.loads(to_key)) if to_key else None
            out.append(Entry(seq, op_from_json(json.loads(raw)), key, batch, block))  # type: ignore[arg-type]
        return out

    def refused(self) -> list[tuple[Signed, str]]:
        with self._lock:
            rows = self._db.execute("SELECT op, reason FROM refused ORDER BY seq").fetchall()
        return [(op_from_json(json.loads(raw)), str(reason)) for raw, reason in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()


# -- the proving worker -----------------------------------------------------------------------

_WORKER_PROVERS: dict[tuple[str, str], BatchProver] = {}


def _prove_in_worker(preset: ZkPreset, cache_dir: str, batch: Batch) -> ProvedBatch:
    key = (preset.shape, cache_dir)
    prover = _WORKER_PROVERS.get(key)
    if prover is None:
        prover = _WORKER_PROVERS[key] = BatchProver(preset, Path(cache_dir))
    return prover.prove(batch)


@dataclass
class Progress:
    phase: str = "idle"  # idle | proving | committing
    batch: int | None = None
    started: float | None = None
    transfers: int = 0
    withdrawals: int = 0
    deposits: int = 0
    last: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"phase": self.phase, "batch": self.batch, "deposits": self.deposits, "transfers": self.transfers,
               "withdrawals": self.withdrawals, "last": self.last}
        out["elapsed_seconds"] = round(time.time() - self.started, 2) if self.started else None
        return out


class ZkOperator:
    """Admits signed operations, proves batches in a worker process and commits them to L1."""

    def __init__(self, l1: L1Client, address: str, preset: ZkPreset, key: bytes, prover: BatchProver, *,
                 log_path: str | os.PathLike | None = None, worker: bool = True,
                 final_depth: int = FINAL_DEPTH) -> None:
        self.l1, self.address, self.preset, self.key, self.prover = l1, address, preset, key, prover
        self.final_depth = final_depth
        self.node = ZkFullNode(l1, address, preset)
        self.pending = self.node.state.copy()
        self.mempool: list[Signed] = []
        self.censored: set[int] = set()
        self.log: MemoryLog = OperationLog(log_path) if log_path is not None else MemoryLog()
        self._entries: list[Entry] = []
        self._next_deposits: list[QueuedDeposit] = []  # the queue entries the pending state already holds
        self.dropped: list[tuple[Signed, str]] = []  # operations this process refused after admitting them
        self._lock = threading.RLock()
        self._worker = worker
        self._pool: cf.ProcessPoolExecutor | None = self._new_pool() if worker else None
        self._job: cf.Future | None = None
        self._job_batch: Batch | None = None
        self.progress = Progress()
        self.history: list[dict[str, Any]] = []
        self.recover()

    @staticmethod
    def _new_pool() -> cf.ProcessPoolExecutor:
        return cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

    # -- state -----------------------------------------------------------------------------

    @property
    def state(self) -> ZkState:
        """The last verified state, rebuilt from L1."""
        return self.node.state

    @property
    def refused(self) -> list[tuple[Signed, str]]:
        """Operations admitted once and refused later (made void by what L1 verified), with the reason."""
        return self.log.refused()

    def recover(self) -> int:
        """Catch up with L1 and re-admit what the log holds; how many operations came back to the mempool."""
        with self._lock:
            self.node.sync()
            self._entries = self.log.entries()
            self._rebase()
            return len(self.mempool)

    def status(self, ident: str) -> dict[str, Any] | None:
        """Where operation ``ident`` (``sender:nonce``) stands: pending, included (batch) or refused (reason)."""
        with self._lock:
            for e in self._entries:
                if e.id == ident:
                    if e.batch is not None:
                        return {"id": ident, "status": "included", "batch": e.batch}
                    return {"id": ident, "status": "pending"}
            for op, reason in reversed(self.refused):
                if op_id(op) == ident:
                    return {"id": ident, "status": "refused", "reason": reason}
            return None

    def submit(self, op: Signed) -> str:
        """Admit ``op`` (OpRefused names the rule it breaks); logged on disk before this returns."""
        with self._lock:
            effect = apply_op(self.pending, op)
            to_key = None
            if isinstance(op, Transfer):
                recipient = self.pending.account(op.recipient)
                to_key = recipient.key if recipient is not None else None
            entry = self.log.append(op, to_key)
            self.pending.write(effect)
            self.mempool.append(op)
            self._entries.append(entry)
            return op_id(op)

    def queued(self) -> list[QueuedDeposit]:
        return [d for d in queued_deposits(self.l1, self.address) if d.id >= self.node.processed]

    def _deposits_for_next(self) -> list[QueuedDeposit]:
        """The deposits the next batch processes: the oldest queued, up to the slots, stopping at a censored one."""
        out = []
        for d in self.queued()[: self.preset.deposit_slots]:
            if d.id in self.censored:
                break
            out.append(d)
        return out

    def sync(self) -> None:
        """Follow L1 (new batches, a reorganisation, new deposits) and re-check the mempool on it."""
        with self._lock:
            before = (self.node.batches, self.node.reorganisations)
            self.node.sync()
            if (self.node.batches, self.node.reorganisations) != before \
                    or self._deposits_for_next() != self._next_deposits:
                self._rebase()

    def _rebase(self) -> None:
        """Pending state = verified state + the next batch's deposits + every admitted operation L1 does not hold.

        Each logged operation, in admission order, is either in a verified
        batch (the node applied the same operation at its sender and nonce),
        made void (another operation used its nonce, its recipient index now
        holds another key, or it no longer applies: refused with the reason),
        or re-checked onto the pending state and kept in the mempool. After
        a reorganisation the operations of the batches L1 dropped come back
        here in their order.
        """
        self.pending = self.state.copy()
        deposits = self._deposits_for_next()
        self._next_deposits = []
        for d in deposits:
            try:
                self.pending.write(apply_op(self.pending, d.op()))
            except OpRefused:
                break
            self._next_deposits.append(d)
        keep, mempool = [], []
        included, back, refused = [], [], []
        head = self.l1.block_number()
        final = []
        for e in self._entries:
            op = e.op
            applied = self.node.applied.get((op.sender, op.nonce))
            if applied is not None:
                if applied.content != op_content(op):
                    refused.append((e, f"void: nonce {op.nonce} of account {op.sender} was used by another "
                                       f"operation in verified batch {applied.batch}"))
                    continue
                if head - applied.block >= self.final_depth:
                    final.append(e.id)
                    continue
                if (e.batch, e.block) != (applied.batch, applied.block):
                    e.batch, e.block = applied.batch, applied.block
                    included.append((e.id, applied.batch, applied.block))
                keep.append(e)
                continue
            try:
                if isinstance(op, Transfer) and e.to_key is not None:
                    to = self.pending.account(op.recipient)
                    if to is None or to.key != e.to_key:
                        raise OpRefused(f"recipient account {op.recipient} no longer holds the key it had when the "
                                        "transfer was admitted (L1 assigned the index anew)")
                self.pending.write(apply_op(self.pending, op))
            except OpRefused as exc:
                refused.append((e, f"void after verified batch {self.node.batches - 1}: {exc}"))
                continue
            if e.batch is not None:
                e.batch = e.block = None
                back.append(e.id)
            keep.append(e)
            mempool.append(op)
        self._entries, self.mempool = keep, mempool
        self.log.mark_included(included)
        self.log.mark_pending(back)
        self.log.forget(final)
        self._refuse(refused)

    def _refuse(self, rows: list[tuple[Entry, str]]) -> None:
        if not rows:
            return
        self.log.refuse([(e.id, reason) for e, reason in rows])
        self.dropped.extend((e.op, reason) for e, reason in rows)

    # -- batches ---------------------------------------------------------------------------

    def has_work(self) -> bool:
        return bool(self.mempool) or any(d.id not in self.censored for d in self.queued()[:1])

    def _choose(self) -> list[Signed]:
        """The mempool's oldest operations that fit the slots, in admission order, stopping at the first left out.

        The circuit runs transfers before withdrawals, so a transfer whose
        sender has a withdrawal earlier in the batch (its nonce follows it)
        ends the batch there.
        """
        chosen: list[Signed] = []
        t = w = 0
        withdrew: set[int] = set()
        for op in self.mempool:
            if isinstance(op, Transfer):
                if t == self.preset.transfer_slots or op.sender in withdrew:
                    break
                t += 1
            else:
                if w == self.preset.withdraw_slots:
                    break
                w += 1
                withdrew.add(op.sender)
            chosen.append(op)
        return chosen

    def next_batch(self) -> tuple[Batch, int, int]:
        """(batch, deposits, operations) for the next batch from the queue and the mempool.

        The chosen operations are run in the circuit's order first; one that
        fails there is left out with the ones after it, and when it fails even
        first in line it is refused (with the reason), so a batch is always
        built and the operator never stalls on one operation.
        """
        while True:
            deposits = [d.op() for d in self._deposits_for_next()]
            chosen = self._choose()
            sim = self.state.copy()
            for d in deposits:
                sim.write(apply_op(sim, d))
            bad: Signed | None = None
            reason = ""
            for op in [o for o in chosen if isinstance(o, Transfer)] + [o for o in chosen if isinstance(o, Withdraw)]:
                try:
                    sim.write(apply_op(sim, op))
                except OpRefused as exc:
                    bad, reason = op, str(exc)
                    break
            if bad is None:
                break
            cut = chosen.index(bad)
            if cut > 0:
                chosen = chosen[:cut]
                break
            entry = next(e for e in self._entries if e.op is bad)
            self._refuse([(entry, f"refused while building batch {self.node.batches}: {reason}")])
            self._entries.remove(entry)
            self._rebase()
        chain = self._chain_at(self.node.processed)
        batch = build_batch(self.preset, self.state.copy(), chain, deposits,
                            [op for op in chosen if isinstance(op, Transfer)],
                            [op for op in chosen if isinstance(op, Withdraw)])
        return batch, len(deposits), len(chosen)

    def _chain_at(self, count: int) -> int:
        chain = 0
        for d in queued_deposits(self.l1, self.address)[:count]:
            chain = d.chain(chain)
        return chain

    def prove_now(self, batch: Batch) -> ProvedBatch:
        """Prove in this process (tests and demos that want the proof in hand)."""
        return self.prover.prove(batch)

    def commit(self, proved: ProvedBatch, *, gas: int | None = None) -> dict:
        data = pd.encode_commit(proved.batch.new_root, proved.proof, proved.batch.pubdata)
        receipt = self.l1.transact(self.key, self.address, ZkRollup, "commit_and_verify", data, gas=gas)
        self.history.append({"batch": self.node.batches, "gas": int(str(receipt["gasUsed"]), 0),
                             "constraints": proved.constraints, "witness_seconds": round(proved.witness_seconds, 3),
                             "prove_seconds": round(proved.prove_seconds, 3)})
        self.sync()
        return receipt

    def _still_current(self, batch: Batch) -> bool:
        """Whether a batch built earlier still starts where L1 stands (root and deposit chain)."""
        w = batch.witness
        return w.old_root == self.state.root and w.chain_start == self._chain_at(self.node.processed)

    def _commit_proved(self, proved: ProvedBatch) -> dict | None:
        self.progress.phase = "committing"
        try:
            receipt = self.commit(proved)
        except TransactionReverted as exc:
            self.progress = Progress(last={"error": f"L1 refused the batch: {exc.reason}"})
            self.sync()
            return None
        self.progress = Progress(last=self.history[-1])
        return receipt

    def tick(self) -> dict | None:
        """One step: follow L1; commit a finished proof, or start proving the next batch. A receipt when committed."""
        with self._lock:
            self.sync()
            if self.l1.call(self.address, ZkRollup, "exodus"):
                return None
            if self._job is not None:
                if not self._job.done():
                    return None
                job, batch, self._job, self._job_batch = self._job, self._job_batch, None, None
                try:
                    proved: ProvedBatch = job.result()
                except Exception as exc:  # a worker that died (or a proof that failed): prove again now
                    if isinstance(exc, BrokenProcessPool) and self._worker:
                        if self._pool is not None:
                            self._pool.shutdown(wait=False, cancel_futures=True)
                        self._pool = self._new_pool()
                    failure = {"error": f"proving failed: {type(exc).__name__}: {exc}"}
                    self.progress = Progress(last=failure)
                    proved = None  # type: ignore[assignment]
                if proved is not None:
                    assert batch is not None
                    if not self._still_current(proved.batch):
                        self.progress = Progress(last={"error": "L1 moved on while proving; the batch is rebuilt"})
                        return None
                    return self._commit_proved(proved)
            if not self.has_work():
                return None
            batch, n_dep, _ = self.next_batch()
            if self._pool is None:
                self.progress = Progress("proving", self.node.batches, time.time(), deposits=n_dep)
                proved = self.prove_now(batch)
                return self._commit_proved(proved)
            try:
                self._job = self._pool.submit(_prove_in_worker, self.preset, str(self.prover.cache_dir), batch)
            except BrokenProcessPool:  # the worker died between jobs: a new one takes this batch
                self._pool = self._new_pool()
                self._job = self._pool.submit(_prove_in_worker, self.preset, str(self.prover.cache_dir), batch)
            self._job_batch = batch
            self.progress = Progress("proving", self.node.batches, time.time(), deposits=n_dep,
                                     transfers=sum(1 for t in batch.witness.transfers if t.sender),
                                     withdrawals=sum(1 for w in batch.witness.withdrawals if w.sender),
                                     last=self.progress.last)
            return None

    def wait(self, timeout: float = 600.0) -> dict | None:
        """Tick until the batch in the making is committed (or there is nothing to do)."""
        deadline = time.time() + timeout
        receipt = self.tick()
        while receipt is None and self._job is not None and time.time() < deadline:
            time.sleep(0.05)
            receipt = self.tick()
        return receipt

    def worker_pids(self) -> list[int]:
        """The proving worker's process ids (empty without a worker or before its first job)."""
        procs = getattr(self._pool, "_processes", None) or {}
        return list(procs)

    def close(self) -> None:
        """Stop: a proof under way is abandoned (its worker is ended: it holds nothing the log does not)."""
        if self._pool is not None:
            procs = list((getattr(self._pool, "_processes", None) or {}).values())
            self._pool.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()
            self._pool = None
        self.log.close()


def included(ops: Iterable[Signed], state: ZkState) -> list[bool]:
    return [(a := state.account(op.sender)) is not None and a.nonce > op.nonce for op in ops]
