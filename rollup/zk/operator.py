"""The zk-rollup's operator: a mempool checked against the pending state, a write-ahead log, proving in a worker.

Admission
    ``submit(op)`` runs ``apply_op`` on the *pending* state (the last
    verified state plus every operation admitted since), so a bad signature,
    a replayed or future nonce, an overdraft or an unknown account is
    refused at once with the rule's name, and what is admitted will fit in a
    batch. The operation is appended to the write-ahead log (SQLite,
    ``synchronous=FULL``: on disk before the call returns) and only then
    acknowledged, so nothing acknowledged is lost to a crash.

Batches
    ``tick`` follows L1 (a :class:`ZkFullNode` rebuilds the verified state
    from L1 alone, so after a restart or an L1 reorganisation the operator
    stands where L1 does), then either starts proving the next batch or,
    when the proof is done, commits it. Proving runs in a worker process, so
    the node keeps serving while a proof takes seconds or minutes;
    ``progress`` says what the operator is doing and for how long.

    The next batch takes, in order, the oldest queued deposits (up to the
    deposit slots; a deposit the operator censors stops the queue there, as
    the exodus demo shows), then the oldest admitted transfers and
    withdrawals. An operation is in a verified batch exactly when the
    verified state's nonce of its sender has passed its nonce: that is how
    the log forgets, and how a restart tells what is still to do.
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
from rollup.zk.fullnode import QueuedDeposit, ZkFullNode, queued_deposits
from rollup.zk.prover import BatchProver, ProvedBatch

Signed = Transfer | Withdraw


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


class OperationLog:
    """Admitted operations not yet in a verified batch, durable on disk, in admission order."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS ops (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                         "id TEXT NOT NULL UNIQUE, sender INTEGER NOT NULL, nonce INTEGER NOT NULL, op TEXT NOT NULL)")

    def append(self, op: Signed) -> None:
        with self._lock:
            try:
                self._db.execute("INSERT OR IGNORE INTO ops (id, sender, nonce, op) VALUES (?, ?, ?, ?)",
                                 (op_id(op), op.sender, op.nonce, json.dumps(op_to_json(op))))
            except sqlite3.Error as exc:
                raise LogWriteError(f"operation log {self.path}: could not record {op_id(op)}: {exc}") from exc

    def forget_included(self, state: ZkState) -> None:
        """Drop every operation whose sender's verified nonce has passed it."""
        with self._lock:
            rows = self._db.execute("SELECT id, sender, nonce FROM ops").fetchall()
            done = [(i,) for i, s, n in rows if (a := state.account(s)) is not None and a.nonce > n]
            if done:
                self._db.executemany("DELETE FROM ops WHERE id = ?", done)

    def entries(self) -> list[Signed]:
        with self._lock:
            return [op_from_json(json.loads(r[0])) for r in self._db.execute("SELECT op FROM ops ORDER BY seq")]

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
                 log_path: str | os.PathLike | None = None, worker: bool = True) -> None:
        self.l1, self.address, self.preset, self.key, self.prover = l1, address, preset, key, prover
        self.node = ZkFullNode(l1, address, preset)
        self.pending = self.node.state.copy()
        self.mempool: list[Signed] = []
        self.censored: set[int] = set()
        self.log = OperationLog(log_path) if log_path is not None else None
        self._lock = threading.RLock()
        self._pool: cf.ProcessPoolExecutor | None = None
        if worker:
            self._pool = cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))
        self._job: cf.Future | None = None
        self._job_batch: Batch | None = None
        self.progress = Progress()
        self.history: list[dict[str, Any]] = []
        self.recover()

    # -- state -----------------------------------------------------------------------------

    @property
    def state(self) -> ZkState:
        """The last verified state, rebuilt from L1."""
        return self.node.state

    def recover(self) -> int:
        """Catch up with L1 and re-admit what the log holds; how many operations came back."""
        with self._lock:
            self.node.sync()
            self.mempool = []
            self.pending = self.state.copy()
            back = 0
            for op in self.log.entries() if self.log else []:
                try:
                    self.pending.write(apply_op(self.pending, op))
                except OpRefused:
                    continue  # included meanwhile, or made void by what was included
                self.mempool.append(op)
                back += 1
            if self.log:
                self.log.forget_included(self.state)
            return back

    def submit(self, op: Signed) -> str:
        """Admit ``op`` (OpRefused names the rule it breaks); logged on disk before this returns."""
        with self._lock:
            effect = apply_op(self.pending, op)
            if self.log:
                self.log.append(op)
            self.pending.write(effect)
            self.mempool.append(op)
            return op_id(op)

    def queued(self) -> list[QueuedDeposit]:
        return [d for d in queued_deposits(self.l1, self.address) if d.id >= self.node.processed]

    def sync(self) -> None:
        with self._lock:
            if self.node.sync():
                self._rebase()

    def _rebase(self) -> None:
        """The mempool minus what L1 verified, re-checked on the new verified state."""
        keep, self.pending = [], self.state.copy()
        for op in self.mempool:
            try:
                self.pending.write(apply_op(self.pending, op))
                keep.append(op)
            except OpRefused:
                pass
        self.mempool = keep
        if self.log:
            self.log.forget_included(self.state)

    # -- batches ---------------------------------------------------------------------------

    def has_work(self) -> bool:
        return bool(self.mempool) or any(d.id not in self.censored for d in self.queued()[:1])

    def next_batch(self) -> tuple[Batch, int, int]:
        """(batch, deposits, operations) for the next batch from the queue and the mempool."""
        deposits = []
        for d in self.queued()[: self.preset.deposit_slots]:
            if d.id in self.censored:
                break
            deposits.append(d.op())
        transfers = [op for op in self.mempool if isinstance(op, Transfer)][: self.preset.transfer_slots]
        withdrawals = [op for op in self.mempool if isinstance(op, Withdraw)][: self.preset.withdraw_slots]
        # keep admission order among the chosen operations: stop at the first one left out
        chosen, t, w = [], 0, 0
        for op in self.mempool:
            if isinstance(op, Transfer) and t < len(transfers):
                t += 1
            elif isinstance(op, Withdraw) and w < len(withdrawals):
                w += 1
            else:
                break
            chosen.append(op)
        state = self.state.copy()
        chain = self._chain_at(self.node.processed)
        batch = build_batch(self.preset, state, chain, deposits,
                            [op for op in chosen if isinstance(op, Transfer)],
                            [op for op in chosen if isinstance(op, Withdraw)])
        return batch, len(deposits), len(chosen)

    def _chain_at(self, count: int) -> int:
        chain = 0
        for d in queued_deposits(self.l1, self.address)[:count]:
            chain = pd.next_chain(chain, d.index, d.amount, d.ax, d.ay)
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
                except Exception as exc:  # a worker that died: prove again next tick
                    self.progress = Progress(last={"error": f"proving failed: {exc}"})
                    return None
                assert batch is not None
                if proved.batch.witness.old_root != self.state.root:
                    self.progress = Progress(last={"error": "L1 moved on while proving; the batch is rebuilt"})
                    return None
                self.progress.phase = "committing"
                try:
                    receipt = self.commit(proved)
                except TransactionReverted as exc:
                    self.progress = Progress(last={"error": f"L1 refused the batch: {exc.reason}"})
                    return None
                self.progress = Progress(last=self.history[-1])
                return receipt
            if not self.has_work():
                return None
            batch, n_dep, _ = self.next_batch()
            if self._pool is None:
                self.progress = Progress("proving", self.node.batches, time.time(), deposits=n_dep)
                proved = self.prove_now(batch)
                self.progress.phase = "committing"
                receipt = self.commit(proved)
                self.progress = Progress(last=self.history[-1])
                return receipt
            self._job = self._pool.submit(_prove_in_worker, self.preset, str(self.prover.cache_dir), batch)
            self._job_batch = batch
            self.progress = Progress("proving", self.node.batches, time.time(), deposits=n_dep,
                                     transfers=sum(1 for t in batch.witness.transfers if t.sender),
                                     withdrawals=sum(1 for w in batch.witness.withdrawals if w.sender))
            return None

    def wait(self, timeout: float = 600.0) -> dict | None:
        """Tick until the batch in the making is committed (or there is nothing to do)."""
        deadline = time.time() + timeout
        receipt = self.tick()
        while receipt is None and self._job is not None and time.time() < deadline:
            time.sleep(0.05)
            receipt = self.tick()
        return receipt

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        if self.log:
            self.log.close()


def included(ops: Iterable[Signed], state: ZkState) -> list[bool]:
    return [(a := state.account(op.sender)) is not None and a.nonce > op.nonce for op in ops]
