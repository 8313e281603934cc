"""The operator's write-ahead log: every accepted transaction is on disk before it is acknowledged.

Between acceptance and the batch that carries it to L1, a transaction lives
in the operator's memory; a crash there would lose a transaction the user was
told is accepted. So the operator appends each group of accepted
transactions (one API call, one SQLite transaction, one fsync: a group
commit) to this log *before* answering, forgets them once the batch holding
them is on L1, and on start replays what is left (``Operator.recover``).

The log is SQLite in WAL mode with ``synchronous=FULL``, so a committed row
survives a process kill and a power cut. A row is the transaction's batch
entry bytes (``encoding.encode_entry`` with a zero root) keyed by their
keccak, its *id*: a transaction that is logged twice (re-admitted after a
failed post or a revert) keeps its first place in the order. Transactions that
replay refuses move to a ``refused`` table with the reason, so none vanishes
without a trace.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from typing import cast

from contracts_spec.optimistic.encoding import decode_entry, encode_entry
from contracts_spec.optimistic.rules import Transfer, Withdraw
from primitives.keccak import keccak256_many

_NO_ROOT = bytes(32)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS accepted (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id  BLOB NOT NULL UNIQUE,
    tx  BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    seq    INTEGER PRIMARY KEY,
    id     BLOB NOT NULL,
    tx     BLOB NOT NULL,
    reason TEXT NOT NULL
);
"""


class LogWriteError(OSError):
    """The log could not record a group (disk full, I/O error, closed database): none of it is on disk."""


def tx_ids(txs: Sequence[Transfer | Withdraw]) -> list[bytes]:
    """The log id of each transaction: keccak of its entry bytes, in one batched call."""
    return keccak256_many([encode_entry(tx, _NO_ROOT) for tx in txs])


class AcceptLog:
    """Accepted-but-not-yet-posted transactions, durable on disk, in acceptance order."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        parent = os.path.dirname(os.path.abspath(self.path))
        if not os.path.isdir(parent):
            raise FileNotFoundError(f"write-ahead log directory {parent} does not exist")
        # The service answers from several web-server threads under its own lock.
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise OSError(f"{self.path}: SQLite refused WAL mode (got {mode})")
        self._db.execute("PRAGMA synchronous=FULL")  # fsync the WAL at every commit
        self._db.executescript(_SCHEMA)

    def append(self, txs: Sequence[Transfer | Withdraw]) -> None:
        """Log ``txs`` in order in one durable commit; returns once they are on disk.

        Raises :class:`LogWriteError` when SQLite cannot write or commit them;
        then no row of the group is on disk and the log takes the next group.
        """
        if not txs:
            return
        raws = [encode_entry(tx, _NO_ROOT) for tx in txs]
        rows = list(zip(keccak256_many(raws), raws, strict=True))
        with self._lock:
            try:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR IGNORE INTO accepted (id, tx) VALUES (?, ?)", rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._abandon()
                raise LogWriteError(f"write-ahead log {self.path}: could not record {len(rows)} "
                                    f"transaction(s): {exc}") from exc
            except BaseException:
                self._abandon()
                raise

    def _abandon(self) -> None:
        """Roll back a group that failed part-way, so a failed COMMIT does not wedge the next BEGIN."""
        try:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass  # closed or broken: the next write reports it

    def forget(self, ids: Iterable[bytes]) -> None:
        """Drop the rows of these ids (their transactions are in a batch on L1)."""
        rows = [(i,) for i in ids]
        if not rows:
            return
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("DELETE FROM accepted WHERE id = ?", rows)
            self._db.execute("COMMIT")

    def refuse(self, refused: Iterable[tuple[bytes, str]]) -> None:
        """Move rows to the refused table with the reason replay gave."""
        refused = list(refused)
        if not refused:
            return
        with self._lock:
            self._db.execute("BEGIN")
            for tx_id, reason in refused:
                self._db.execute(
                    "INSERT INTO refused (seq, id, tx, reason) SELECT seq, id, tx, ? FROM accepted WHERE id = ?",
                    (reason, tx_id),
                )
                self._db.execute("DELETE FROM accepted WHERE id = ?", (tx_id,))
            self._db.execute("COMMIT")

    def entries(self) -> list[tuple[bytes, Transfer | Withdraw]]:
        """Every logged transaction with its id, in acceptance order."""
        with self._lock:
            rows = self._db.execute("SELECT id, tx FROM accepted ORDER BY seq").fetchall()
        return [(bytes(i), cast("Transfer | Withdraw", decode_entry(raw).tx)) for i, raw in rows]

    def refused(self) -> list[tuple[Transfer | Withdraw, str]]:
        """Transactions replay refused, oldest first, with the reason."""
        with self._lock:
            rows = self._db.execute("SELECT tx, reason FROM refused ORDER BY seq").fetchall()
        return [(cast("Transfer | Withdraw", decode_entry(raw).tx), str(reason)) for raw, reason in rows]

    def __len__(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM accepted").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()
