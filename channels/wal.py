"""A peer's write-ahead log: every state change is on disk before the peer acts on it.

The peer applies a batch of state changes (one, or every message of a
delivery round, or a user's batch of payments) to its state in memory, then
appends the accepted ones in one SQLite transaction (one fsync: WAL mode with ``synchronous=FULL``)
with :meth:`StateChangeLog.append_many`, as one row (``codec.pack`` of the list of them; a batch of
one is the change's own ``codec.pack``, as every row was before), and only then
performs what came out of them: no message, acknowledgement or L1
transaction leaves before the commit that covers the state change causing
it. A peer killed at any point and started again replays the log into the
state it had when it last performed anything, so it loses nothing it
acknowledged; a peer killed before the commit has said nothing about the
batch, and its partners send it again. Refused changes changed nothing and
are not logged (:meth:`append` then :meth:`delete` remain for one change at
a time; replay refuses such a change again and skips it).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator

from channels import codec
from channels.state_changes import StateChange

_SCHEMA = "CREATE TABLE IF NOT EXISTS state_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL)"
REWRITE_ROW = 1000  # state changes per row when the whole log is written again


class StateChangeLog:
    """State changes in the order they were applied, durable on disk."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = os.fspath(path)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise OSError(f"{self.path}: SQLite refused WAL mode (got {mode})")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)

    def append(self, change: StateChange) -> int:
        """Log ``change``; its sequence number, once it is on disk."""
        cursor = self._db.execute("INSERT INTO state_changes (data) VALUES (?)", (codec.pack(change),))
        return int(cursor.lastrowid or 0)

    def append_many(self, changes: list[StateChange] | list[bytes]) -> None:
        """Log ``changes`` (state changes, or their ``codec.pack``) in one transaction, as one row: on disk,
        with one fsync, when this returns; none of them if it raises."""
        if not changes:
            return
        parts = [c if isinstance(c, bytes) else codec.pack(c) for c in changes]
        data = parts[0] if len(parts) == 1 else b"A%d:%s" % (len(parts), b"".join(parts))  # codec.pack of a list
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("INSERT INTO state_changes (data) VALUES (?)", (data,))
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def rewrite(self, changes: list[StateChange]) -> None:
        """Replace the whole log by ``changes``, in one transaction: the old log or the new, never a mix."""
        rows = [(codec.pack(changes[at:at + REWRITE_ROW]),) for at in range(0, len(changes), REWRITE_ROW)]
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("DELETE FROM state_changes")
            self._db.executemany("INSERT INTO state_changes (data) VALUES (?)", rows)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def delete(self, seq: int) -> None:
        self._db.execute("DELETE FROM state_changes WHERE seq = ?", (seq,))

    def replay(self) -> Iterator[tuple[int, StateChange]]:
        """Every logged state change with the sequence number of its row, oldest first."""
        for seq, data in self._db.execute("SELECT seq, data FROM state_changes ORDER BY seq").fetchall():
            try:  # rows are packed (a change, or a list of them); logs written before that hold JSON ("{...")
                head = bytes(data[:1])
                change = codec.loads(data) if head == b"{" else codec.unpack(data)
                if head == b"A" and (not isinstance(change, list) or not change):
                    raise ValueError("a row of changes holds none")
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{self.path}: state change {seq} cannot be read back: {exc}") from exc
            if head == b"A":
                for one in change:
                    yield int(seq), one
            else:
                yield int(seq), change

    def __len__(self) -> int:
        """How many state changes are logged (a row holds one, or a batch of them)."""
        count = 0
        for (head,) in self._db.execute("SELECT substr(data, 1, 24) FROM state_changes").fetchall():
            head = bytes(head)
            if head[:1] == b"A":  # a packed list: "A<count>:..."
                count += int(head[1:head.index(b":")])
            else:
                count += 1
        return count

    def close(self) -> None:
        self._db.close()
