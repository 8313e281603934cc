"""The chain's SQLite store: state, blocks, transactions, receipts, logs, settings.

Durability rule: everything one mined block changes -- accounts, storage,
the block, its transactions and receipts and logs, the pending pool and the
chain's settings -- is written in **one** SQLite transaction, in WAL mode
with ``synchronous=FULL``. A ``kill -9`` at any moment therefore leaves
either the state before the block or the state after it, never a mix, and
a transaction the node acknowledged (after its block committed) is on disk.

Records are JSON (hex strings for bytes and big ints), so the file is easy
to inspect with the ``sqlite3`` shell. ``path=None`` keeps everything in
memory with the same code.

Besides the latest state, the store keeps what the chain needs to answer for
recent blocks and to start over: ``state_undo`` holds, per recent block, the
value each account field and storage slot had before that block changed it
(the chain prunes it to its history window in the same transaction that adds
a block), and ``genesis`` the balances the chain started with. A pending
transaction the node built unsigned for an impersonated sender has no
signature to recover its sender from, so its row carries the decoded
transaction too (``pending.tx``).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    address TEXT PRIMARY KEY, balance TEXT NOT NULL, nonce INTEGER NOT NULL, code TEXT
);
CREATE TABLE IF NOT EXISTS storage (
    address TEXT NOT NULL, slot TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (address, slot)
);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT UNIQUE NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS txs (
    hash TEXT PRIMARY KEY, block_number INTEGER NOT NULL, idx INTEGER NOT NULL,
    tx TEXT NOT NULL, receipt TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS txs_block ON txs (block_number);
CREATE TABLE IF NOT EXISTS logs (
    block_number INTEGER NOT NULL, log_index INTEGER NOT NULL, address TEXT NOT NULL,
    data TEXT NOT NULL, PRIMARY KEY (block_number, log_index)
);
CREATE INDEX IF NOT EXISTS logs_address ON logs (address, block_number);
CREATE TABLE IF NOT EXISTS pending (
    seq INTEGER PRIMARY KEY, hash TEXT UNIQUE NOT NULL, raw BLOB NOT NULL, tx TEXT
);
CREATE TABLE IF NOT EXISTS state_undo (number INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS genesis (address TEXT PRIMARY KEY, balance TEXT NOT NULL);
"""

DB_NAME = "chain.sqlite3"
LOCK_NAME = "LOCK"


class DataDirInUse(RuntimeError):
    """Another process holds this data directory; the message names it and the process."""


def _lock_data_dir(directory: Path) -> int:
    """Hold an exclusive lock on ``directory`` for as long as the returned descriptor is open.

    Two nodes on one data directory would each attach an operator with the
    same key and corrupt each other's chain; the second is refused here, before
    it reads or wipes anything. The lock is the kernel's (``flock``), so a
    ``kill -9`` releases it.
    """
    import fcntl

    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise DataDirInUse(
            f"data directory {directory.resolve()} is in use by another l2lab process (pid {holder}): "
            "stop it, or choose another --data-dir"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


class Store:
    """SQLite persistence for one chain. Not thread-safe by itself: the Chain's lock guards it."""

    def __init__(self, path: str | os.PathLike | None = None, *, fresh: bool = False) -> None:
        self._lock_fd: int | None = None
        if path is None:
            target = ":memory:"
        else:
            directory = Path(path)
            directory.mkdir(parents=True, exist_ok=True)
            self._lock_fd = _lock_data_dir(directory)
            db = directory / DB_NAME
            if fresh:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(db) + suffix).unlink(missing_ok=True)
            target = str(db)
        self.path = target
        try:
            self.conn = sqlite3.connect(target, isolation_level=None, check_same_thread=False)
            if target != ":memory:":
                self.conn.execute("PRAGMA journal_mode=WAL")
                self.conn.execute("PRAGMA synchronous=FULL")
            self.conn.executescript(SCHEMA)
            columns = {row[1] for row in self.conn.execute("PRAGMA table_info(pending)")}
            if "tx" not in columns:  # a data dir written before unsigned pending transactions existed
                self.conn.execute("ALTER TABLE pending ADD COLUMN tx TEXT")
        except BaseException:
            if self._lock_fd is not None:
                os.close(self._lock_fd)
            raise

    def close(self) -> None:
        self.conn.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the data directory's lock
            self._lock_fd = None

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit of writes: all of it lands, or none of it."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- settings --------------------------------------------------------------

    def get_meta(self) -> dict[str, Any]:
        return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    @staticmethod
    def put_meta(conn: sqlite3.Connection, values: dict[str, Any]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [(k, json.dumps(v)) for k, v in values.items()],
        )

    # -- state -------------------------------------------------------------------

    def load_state(self) -> tuple[dict[str, int], dict[str, int], dict[str, str], dict[str, dict[int, int]]]:
        balances: dict[str, int] = {}
        nonces: dict[str, int] = {}
        code: dict[str, str] = {}
        storage: dict[str, dict[int, int]] = {}
        for address, balance, nonce, name in self.conn.execute(
            "SELECT address, balance, nonce, code FROM accounts"
        ):
            if int(balance, 16):
                balances[address] = int(balance, 16)
            if nonce:
                nonces[address] = nonce
            if name is not None:
                code[address] = name
        for address, slot, value in self.conn.execute("SELECT address, slot, value FROM storage"):
            storage.setdefault(address, {})[int(slot, 16)] = int(value, 16)
        return balances, nonces, code, storage

    @staticmethod
    def put_accounts(conn: sqlite3.Connection, rows: Iterable[tuple[str, int, int, str | None]]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO accounts (address, balance, nonce, code) VALUES (?, ?, ?, ?)",
            [(a, hex(b), n, c) for a, b, n, c in rows],
        )

    @staticmethod
    def put_slots(conn: sqlite3.Connection, rows: Iterable[tuple[str, int, int]]) -> None:
        rows = list(rows)
        conn.executemany(
            "INSERT OR REPLACE INTO storage (address, slot, value) VALUES (?, ?, ?)",
            [(a, hex(s), hex(v)) for a, s, v in rows if v],
        )
        conn.executemany(
            "DELETE FROM storage WHERE address = ? AND slot = ?",
            [(a, hex(s)) for a, s, v in rows if not v],
        )

    @staticmethod
    def clear_state(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM accounts")
        conn.execute("DELETE FROM storage")

    # -- history and genesis ----------------------------------------------------------

    @staticmethod
    def put_undo(conn: sqlite3.Connection, number: int, rows: list) -> None:
        """What block ``number`` overwrote (replacing an earlier record of it)."""
        conn.execute(
            "INSERT OR REPLACE INTO state_undo (number, data) VALUES (?, ?)", (number, json.dumps(rows))
        )

    @staticmethod
    def drop_undo_through(conn: sqlite3.Connection, number: int) -> None:
        conn.execute("DELETE FROM state_undo WHERE number <= ?", (number,))

    def undo_records(self) -> dict[int, list]:
        return {n: json.loads(d) for n, d in self.conn.execute("SELECT number, data FROM state_undo")}

    @staticmethod
    def put_genesis(conn: sqlite3.Connection, alloc: Iterable[tuple[str, int]]) -> None:
        conn.executemany(
            "INSERT OR REPLACE INTO genesis (address, balance) VALUES (?, ?)", [(a, hex(b)) for a, b in alloc]
        )

    def genesis_alloc(self) -> dict[str, int]:
        return {a: int(b, 16) for a, b in self.conn.execute("SELECT address, balance FROM genesis")}

    # -- blocks, transactions, logs ---------------------------------------------------

    @staticmethod
    def put_block(conn: sqlite3.Connection, number: int, block_hash: str, data: dict) -> None:
        conn.execute(
            "INSERT INTO blocks (number, hash, data) VALUES (?, ?, ?)", (number, block_hash, json.dumps(data))
        )

    @staticmethod
    def put_tx(conn: sqlite3.Connection, tx_hash: str, number: int, idx: int, tx: dict, receipt: dict) -> None:
        conn.execute(
            "INSERT INTO txs (hash, block_number, idx, tx, receipt) VALUES (?, ?, ?, ?, ?)",
            (tx_hash, number, idx, json.dumps(tx), json.dumps(receipt)),
        )

    @staticmethod
    def put_log(conn: sqlite3.Connection, number: int, log_index: int, address: str, data: dict) -> None:
        conn.execute(
            "INSERT INTO logs (block_number, log_index, address, data) VALUES (?, ?, ?, ?)",
            (number, log_index, address, json.dumps(data)),
        )

    @staticmethod
    def truncate_after(conn: sqlite3.Connection, number: int) -> None:
        """Drop every block above ``number`` with its transactions and logs."""
        conn.execute("DELETE FROM blocks WHERE number > ?", (number,))
        conn.execute("DELETE FROM txs WHERE block_number > ?", (number,))
        conn.execute("DELETE FROM logs WHERE block_number > ?", (number,))
        conn.execute("DELETE FROM state_undo WHERE number > ?", (number,))

    def head_number(self) -> int | None:
        row = self.conn.execute("SELECT MAX(number) FROM blocks").fetchone()
        return row[0]

    def block_by_number(self, number: int) -> dict | None:
        row = self.conn.execute("SELECT data FROM blocks WHERE number = ?", (number,)).fetchone()
        return json.loads(row[0]) if row else None

    def block_hashes(self, from_block: int, to_block: int) -> list[str]:
        """The hashes of blocks ``from_block..to_block``, in order."""
        rows = self.conn.execute(
            "SELECT hash FROM blocks WHERE number BETWEEN ? AND ? ORDER BY number", (from_block, to_block)
        )
        return [r[0] for r in rows]

    def block_by_hash(self, block_hash: str) -> dict | None:
        row = self.conn.execute("SELECT data FROM blocks WHERE hash = ?", (block_hash,)).fetchone()
        return json.loads(row[0]) if row else None

    def tx(self, tx_hash: str) -> tuple[dict, dict] | None:
        row = self.conn.execute("SELECT tx, receipt FROM txs WHERE hash = ?", (tx_hash,)).fetchone()
        return (json.loads(row[0]), json.loads(row[1])) if row else None

    def txs_of_block(self, number: int) -> list[tuple[dict, dict]]:
        rows = self.conn.execute("SELECT tx, receipt FROM txs WHERE block_number = ? ORDER BY idx", (number,))
        return [(json.loads(t), json.loads(r)) for t, r in rows]

    def logs(self, from_block: int, to_block: int, addresses: list[str] | None) -> list[dict]:
        if addresses:
            marks = ",".join("?" * len(addresses))
            rows = self.conn.execute(
                f"SELECT data FROM logs WHERE block_number BETWEEN ? AND ? AND address IN ({marks}) "
                "ORDER BY block_number, log_index",
                (from_block, to_block, *addresses),
            )
        else:
            rows = self.conn.execute(
                "SELECT data FROM logs WHERE block_number BETWEEN ? AND ? ORDER BY block_number, log_index",
                (from_block, to_block),
            )
        return [json.loads(r[0]) for r in rows]

    # -- pending pool -------------------------------------------------------------------

    def pending(self) -> list[bytes]:
        return [bytes(r[0]) for r in self.conn.execute("SELECT raw FROM pending ORDER BY seq")]

    def pending_records(self) -> list[tuple[bytes, dict | None]]:
        """Each pending transaction's raw bytes, with its decoded record if it was stored with one."""
        rows = self.conn.execute("SELECT raw, tx FROM pending ORDER BY seq")
        return [(bytes(raw), json.loads(tx) if tx is not None else None) for raw, tx in rows]

    @staticmethod
    def put_pending(conn: sqlite3.Connection, tx_hash: str, raw: bytes, tx: dict | None = None) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO pending (hash, raw, tx) VALUES (?, ?, ?)",
            (tx_hash, raw, json.dumps(tx) if tx is not None else None),
        )

    @staticmethod
    def drop_pending(conn: sqlite3.Connection, hashes: Iterable[str]) -> None:
        conn.executemany("DELETE FROM pending WHERE hash = ?", [(h,) for h in hashes])

    @staticmethod
    def clear_pending(conn: sqlite3.Connection) -> None:
        conn.execute("DELETE FROM pending")


# -- records ----------------------------------------------------------------------------
# What the chain returns from its reads; each converts to and from its JSON record.


def _h(b: bytes) -> str:
    return b.hex()


def _b(h: str) -> bytes:
    return bytes.fromhex(h)


@dataclass
class Log:
    """An event in a mined block."""

    address: str
    topics: list[bytes]
    data: bytes
    block_number: int
    block_hash: bytes
    tx_hash: bytes
    tx_index: int
    log_index: int

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address, "topics": [_h(t) for t in self.topics], "data": _h(self.data),
            "block_number": self.block_number, "block_hash": _h(self.block_hash),
            "tx_hash": _h(self.tx_hash), "tx_index": self.tx_index, "log_index": self.log_index,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Log:
        return cls(
            d["address"], [_b(t) for t in d["topics"]], _b(d["data"]), d["block_number"],
            _b(d["block_hash"]), _b(d["tx_hash"]), d["tx_index"], d["log_index"],
        )


@dataclass
class Receipt:
    """What executing a transaction did: status, gas (and where it went), logs."""

    tx_hash: bytes
    tx_index: int
    block_number: int
    block_hash: bytes
    sender: str
    to: str | None
    contract_address: str | None
    type: int
    status: int
    gas_used: int
    cumulative_gas_used: int
    effective_gas_price: int
    logs: list[Log]
    logs_bloom: bytes
    revert_reason: str | None = None
    revert_data: bytes = b""
    gas_breakdown: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "tx_hash": _h(self.tx_hash), "tx_index": self.tx_index, "block_number": self.block_number,
            "block_hash": _h(self.block_hash), "sender": self.sender, "to": self.to,
            "contract_address": self.contract_address, "type": self.type, "status": self.status,
            "gas_used": self.gas_used, "cumulative_gas_used": self.cumulative_gas_used,
            "effective_gas_price": self.effective_gas_price, "logs": [lg.to_json() for lg in self.logs],
            "logs_bloom": _h(self.logs_bloom), "revert_reason": self.revert_reason,
            "revert_data": _h(self.revert_data), "gas_breakdown": self.gas_breakdown,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Receipt:
        return cls(
            _b(d["tx_hash"]), d["tx_index"], d["block_number"], _b(d["block_hash"]), d["sender"],
            d["to"], d["contract_address"], d["type"], d["status"], d["gas_used"],
            d["cumulative_gas_used"], d["effective_gas_price"], [Log.from_json(x) for x in d["logs"]],
            _b(d["logs_bloom"]), d["revert_reason"], _b(d["revert_data"]), dict(d["gas_breakdown"]),
        )


@dataclass
class Block:
    """A mined block's header fields and its transaction hashes."""

    number: int
    hash: bytes
    parent_hash: bytes
    timestamp: int
    gas_limit: int
    gas_used: int
    base_fee: int
    miner: str
    transactions: list[bytes]
    logs_bloom: bytes
    transactions_root: bytes
    state_root: bytes = bytes(32)  # blocks stored before state roots existed read as zero

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.number, "hash": _h(self.hash), "parent_hash": _h(self.parent_hash),
            "timestamp": self.timestamp, "gas_limit": self.gas_limit, "gas_used": self.gas_used,
            "base_fee": self.base_fee, "miner": self.miner,
            "transactions": [_h(t) for t in self.transactions], "logs_bloom": _h(self.logs_bloom),
            "transactions_root": _h(self.transactions_root), "state_root": _h(self.state_root),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Block:
        return cls(
            d["number"], _b(d["hash"]), _b(d["parent_hash"]), d["timestamp"], d["gas_limit"],
            d["gas_used"], d["base_fee"], d["miner"], [_b(t) for t in d["transactions"]],
            _b(d["logs_bloom"]), _b(d["transactions_root"]), _b(d.get("state_root", "00" * 32)),
        )
