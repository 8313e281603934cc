"""A peer's write-ahead log: every state change is on disk before the peer acts on it.

The peer appends each state change (one SQLite commit, fsynced: WAL mode
with ``synchronous=FULL``) before it runs the transition and performs what
comes out, so a peer killed at any point and started again replays the log
into the very state it had, and loses nothing it acknowledged. A change the
transition refuses is deleted again (it changed nothing); if the peer dies
first, replay refuses it again and skips it.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator

from channels import codec
from channels.state_changes import StateChange

_SCHEMA = "CREATE TABLE IF NOT EXISTS state_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL)"


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
        cursor = self._db.execute("INSERT INTO state_changes (data) VALUES (?)", (codec.dumps(change),))
        return int(cursor.lastrowid or 0)

    def delete(self, seq: int) -> None:
        self._db.execute("DELETE FROM state_changes WHERE seq = ?", (seq,))

    def replay(self) -> Iterator[tuple[int, StateChange]]:
        """Every logged state change with its sequence number, oldest first."""
        for seq, data in self._db.execute("SELECT seq, data FROM state_changes ORDER BY seq").fetchall():
            yield int(seq), codec.loads(data)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM state_changes").fetchone()[0])

    def close(self) -> None:
        self._db.close()
