"""The toy L1: accounts, contracts, EIP-1559 blocks, time travel and snapshots.

``Chain`` validates raw signed transactions, runs them with the contract
runtime (``contracts_spec.runtime``), mines them into blocks and persists
each block atomically in SQLite (``node.store``). Mining is automatic per
transaction by default, or manual (``set_automine(False)`` then ``mine()``);
the HTTP server's thread does interval mining by calling ``mine()`` every
``interval_mining_seconds``. The clock can be moved (``increase_time``,
``set_next_block_timestamp``) so a 7-day challenge window passes in a
workshop, and ``snapshot``/``revert`` work like anvil's ``evm_snapshot``.

Beyond the latest state the chain keeps what a web3 user of a dev node
expects of it:

- **A state root in every block** (``StateCommitment``): a sparse Merkle tree
  over 2**16 buckets of accounts and storage slots, updated from each block's
  dirty accounts and slots. The block hash commits to it.
- **The state of recent blocks**: for each of the ``HISTORY_BLOCKS`` (128,
  geth's default) latest blocks, the value each account field and slot had
  before the block changed it, kept in memory and, with a data dir, in the
  block's own SQLite transaction, so it survives a restart. A read at an older
  block looks the value up in those records; a call, estimate, access list or
  trace at one rewinds the live world in place under the lock, runs, and rolls
  it forward again. Memory is what the last 128 blocks changed, and at most
  ``MAX_UNDO_ENTRIES`` changes: past that the window narrows.
- **Unsigned transactions of impersonated accounts** (``impersonate``): checked,
  charged and mined as signed ones are, and recorded with a zero signature.
- **A call tracer re-run** of any transaction in that window (``trace_transaction``),
  so mining records nothing extra.

Every public method holds one re-entrant lock: the HTTP server calls in from
several threads.
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from contracts_spec import gas as G
from contracts_spec.gas import next_base_fee
from contracts_spec.runtime import (
    Env,
    Message,
    Outcome,
    WorldState,
    apply_message,
    contract_address,
    simulate,
)
from contracts_spec.runtime.abi import DEPLOY_MAGIC
from contracts_spec.runtime.trace import CallFrame, CallTracer
from node.store import Block, Log, Receipt, Store
from node.transactions import (
    INVALID_INPUT,
    INVALID_PARAMS,
    TX_REJECTED,
    Transaction,
    TxRejected,
    checksum,
    decode_raw_transaction,
    rlp_encode,
    tx_from_json,
    tx_to_json,
)
from node.txpool import PoolRefused, TxPool
from primitives.keccak import keccak256
from primitives.secp256k1 import to_checksum_address
from primitives.smt import EMPTY_VALUE, SparseMerkleTree

COINBASE = checksum(bytes.fromhex("00" * 17 + "c0ffee"))
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
DEFAULT_TIP = 1_000_000_000  # suggested priority fee (1 gwei), as anvil suggests
MAX_TIMESTAMP = 2**64 - 1  # a block timestamp is a uint64 in Ethereum's header
MAX_INTERVAL_SECONDS = 365 * 24 * 3600  # a block a year is already no mining at all
MAX_MINE_BLOCKS = 1_000  # per call, as the REST API: each block is one fsync (~4 ms) under the lock
UINT256_MAX = 2**256 - 1
HISTORY_BLOCKS = 128  # the state of this many blocks before the head is kept, as geth keeps by default
STATE_TREE_DEPTH = 16  # 2**16 buckets under the state root (see StateCommitment)
BUILD_SLICE = 256  # leaves per batch when a state root is built from scratch
UNDO_PRUNE_STEP = 32  # records older than the history are deleted from disk every this many blocks
# At most this many recorded changes in all (some 60 MB): a 30M-gas block can write ~14,000 fresh slots,
# so a run of full blocks narrows the window rather than growing memory.
MAX_UNDO_ENTRIES = 250_000
ACCESS_LIST_ROUNDS = 5  # eth_createAccessList re-runs a call with what it found until nothing new is found
REORG_RECORDS = 256  # how many reverts filters can catch up on (a filter idle longer starts from the oldest)
ARRIVAL_RECORDS = 4_096  # pooled transaction hashes kept for pending-transaction filters

F = TypeVar("F", bound=Callable[..., Any])


class Reverted(Exception):
    """A call or gas estimate reverted; ``reason`` is readable, ``data`` the raw revert bytes."""

    def __init__(self, reason: str, data: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data


class StateNotKept(Exception):
    """A read at a block whose state this chain no longer holds (or never had); the message says which it keeps."""


def _locked(method: F) -> F:
    @functools.wraps(method)
    def wrapper(self: Chain, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            return method(self, *args, **kwargs)

    return wrapper  # type: ignore[return-value]


def logs_bloom(logs: Sequence[Any]) -> bytes:
    """The 2048-bit bloom filter of addresses and topics (Yellow Paper, M3:2048)."""
    bloom = 0
    for log in logs:
        for item in [bytes.fromhex(log.address[2:]), *log.topics]:
            h = keccak256(item)
            for i in (0, 2, 4):
                bloom |= 1 << (((h[i] << 8) | h[i + 1]) & 2047)
    return bloom.to_bytes(256, "big")


@functools.lru_cache(maxsize=65_536)
def _checksummed(value: str) -> str | None:
    try:
        return to_checksum_address(value)
    except ValueError:
        return None


def _address(value: Any, name: str = "address") -> str:
    """A checksummed address, or ValueError naming the parameter."""
    if isinstance(value, (bytes, bytearray)) and len(value) == 20:
        return checksum(bytes(value))
    if isinstance(value, str) and len(value) == 42 and value[:2] in ("0x", "0X"):
        out = _checksummed(value)
        if out is not None:
            return out
    raise ValueError(f"{name}: not a 20-byte address: {value!r}")


def import_package_modules(package: str) -> tuple[list[str], dict[str, str]]:
    """Import every module under ``package``; the modules loaded and, per failed one, why.

    Contracts register themselves when their module is imported, so this is how
    a process comes to know every contract class a package defines.
    """
    root = importlib.import_module(package)
    loaded: list[str] = []
    failed: dict[str, str] = {}
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        try:
            importlib.import_module(info.name)
            loaded.append(info.name)
        except Exception as exc:  # noqa: BLE001 - one broken module must not stop the node
            failed[info.name] = f"{type(exc).__name__}: {exc}"
    return loaded, failed


@functools.cache
def load_contract_classes(package: str = "contracts_spec") -> tuple[str, ...]:
    """Import every module of ``package`` so each ``@register``-ed contract is deployable.

    A node serving remote clients only knows the classes its process has
    imported; this makes every contract in ``contracts_spec`` known. A module
    that fails to import is reported as a warning, not a dead node.
    """
    from contracts_spec.runtime import REGISTRY

    _, failed = import_package_modules(package)
    for name, why in failed.items():
        warnings.warn(f"could not import {name}: {why}", RuntimeWarning, stacklevel=2)
    return tuple(sorted(REGISTRY))


# -- the state root ------------------------------------------------------------------------------------


# The hot ids are cached (about 1 MB at most): the same accounts and slots are dirtied block after block.
@functools.lru_cache(maxsize=4_096)
def _account_key(address: str) -> tuple[int, bytes]:
    """(bucket, id) of an account's entry."""
    entry_id = keccak256(b"\x00" + bytes.fromhex(address[2:]))
    return int.from_bytes(entry_id[:2], "big") >> (16 - STATE_TREE_DEPTH), entry_id


@functools.lru_cache(maxsize=4_096)
def _slot_key(address: str, slot: int) -> tuple[int, bytes]:
    """(bucket, id) of a storage slot's entry."""
    entry_id = keccak256(b"\x01" + bytes.fromhex(address[2:]) + slot.to_bytes(32, "big"))
    return int.from_bytes(entry_id[:2], "big") >> (16 - STATE_TREE_DEPTH), entry_id


@functools.lru_cache(maxsize=4_096)
def _code_hash(name: str | None) -> bytes:
    return keccak256(DEPLOY_MAGIC + name.encode()) if name is not None else bytes(32)


def _account_entry(world: WorldState, address: str) -> bytes | None:
    """An account's value in the state root, or None for an EIP-161-empty account (no entry)."""
    balance, nonce, name = world.get_balance(address), world.get_nonce(address), world.get_code(address)
    if not balance and not nonce and name is None:
        return None
    return keccak256(balance.to_bytes(32, "big") + nonce.to_bytes(32, "big") + _code_hash(name))


class StateCommitment:
    """The ``stateRoot`` of every block: a commitment to all accounts and contract storage.

    Layout. The state is a set of entries, each a 32-byte id and a 32-byte value:

    - an account: id ``keccak256(0x00 || address)``, value ``keccak256(balance ||
      nonce || code hash)``, each field 32 bytes big-endian; the code hash is
      keccak256 of what ``eth_getCode`` returns, or 32 zero bytes for an account
      without code. EIP-161-empty accounts (no balance, nonce or code) are no entry;
    - a storage slot: id ``keccak256(0x01 || address || slot)`` (20 + 32 bytes),
      value the slot's 32 bytes. Zero slots are no entry.

    The first ``STATE_TREE_DEPTH`` (16) bits of an id pick its bucket; a bucket
    is the concatenation of its entries' ``id || value`` sorted by id, and leaf
    ``b`` of a depth-16 sparse Merkle tree (``primitives.smt``: leaf
    ``keccak(0x00 || v)``, node ``keccak(0x01 || l || r)``) holds
    ``keccak256(bucket b)``, or the empty value for an empty bucket. The root of
    that tree is the state root; an empty state's is ``primitives.smt.empty_root(16)``.

    Why this shape: the root is a function of the state alone, so two chains
    with equal state have equal roots whatever order they got there in, and
    the genesis root depends on the allocation only; entries keep their full
    ids, so distinct states have distinct roots unless keccak256 collides; a
    block re-hashes only the buckets it dirtied (16 tree nodes each, in C), so
    mining stays fast; and the tree never holds more than 2**17 nodes however
    large the state grows, while buckets cost 64 bytes an entry.
    """

    def __init__(self) -> None:
        self.tree = SparseMerkleTree(STATE_TREE_DEPTH)
        self.buckets: dict[int, bytes] = {}

    @classmethod
    def of(cls, world: WorldState) -> StateCommitment:
        """The commitment to everything ``world`` holds, built from scratch (at start-up and after a revert)."""
        entries: dict[int, list[bytes]] = {}
        for address in set(world.balances) | set(world.nonces) | set(world.code):
            value = _account_entry(world, address)
            if value is not None:
                bucket, entry_id = _account_key.__wrapped__(address)  # not through the cache of hot ids
                entries.setdefault(bucket, []).append(entry_id + value)
        for address, slots in world.storage.items():
            for slot, word in slots.items():
                if word:
                    bucket, entry_id = _slot_key.__wrapped__(address, slot)
                    entries.setdefault(bucket, []).append(entry_id + word.to_bytes(32, "big"))
        out = cls()
        out.buckets = {bucket: b"".join(sorted(pairs)) for bucket, pairs in entries.items()}
        leaves = [(bucket, keccak256(data)) for bucket, data in out.buckets.items()]
        # In slices: the compiled tree makes room for a whole batch at every level, and keeps it.
        for start in range(0, len(leaves), BUILD_SLICE):
            out.tree.update_many(leaves[start:start + BUILD_SLICE])
        return out

    @property
    def root(self) -> bytes:
        return self.tree.root

    def update(
        self, world: WorldState, accounts: Iterable[str], slots: Iterable[tuple[str, int]]
    ) -> dict[int, bytes]:
        """Re-commit the entries of these accounts and slots as ``world`` has them now.

        Returns what ``restore`` needs to undo it: each changed bucket's old contents.
        """
        changes: dict[int, dict[bytes, bytes | None]] = {}
        for address in accounts:
            bucket, entry_id = _account_key(address)
            changes.setdefault(bucket, {})[entry_id] = _account_entry(world, address)
        for address, slot in slots:
            bucket, entry_id = _slot_key(address, slot)
            word = world.get_storage(address, slot)
            changes.setdefault(bucket, {})[entry_id] = word.to_bytes(32, "big") if word else None
        undo: dict[int, bytes] = {}
        contents: dict[int, bytes] = {}
        buckets = self.buckets
        for bucket, entries_now in changes.items():
            old = buckets.get(bucket, b"")
            if len(entries_now) == 1 and (not old or (len(old) == 64 and old[:32] in entries_now)):
                [(entry_id, value)] = entries_now.items()  # the usual case: a bucket of one entry
                new = entry_id + value if value is not None else b""
            else:
                entries = {old[i:i + 32]: old[i + 32:i + 64] for i in range(0, len(old), 64)}
                for entry_id, value in entries_now.items():
                    if value is None:
                        entries.pop(entry_id, None)
                    else:
                        entries[entry_id] = value
                new = b"".join(entry_id + entries[entry_id] for entry_id in sorted(entries))
            if new != old:
                undo[bucket], contents[bucket] = old, new
        self._put(contents)
        return undo

    def restore(self, undo: Mapping[int, bytes]) -> None:
        """Put back the buckets an ``update`` changed."""
        self._put(undo)

    def _put(self, contents: Mapping[int, bytes]) -> None:
        for bucket, data in contents.items():
            if data:
                self.buckets[bucket] = data
            else:
                self.buckets.pop(bucket, None)
        if contents:
            self.tree.update_many([(b, keccak256(d) if d else EMPTY_VALUE) for b, d in contents.items()])


# -- recent history: what each block overwrote ----------------------------------------------------------

_JOURNALED = {"bal": "b", "nonce": "n", "code": "c"}


def _current(world: WorldState, key: tuple) -> Any:
    kind = key[0]
    if kind == "b":
        return world.get_balance(key[1])
    if kind == "n":
        return world.get_nonce(key[1])
    if kind == "c":
        return world.get_code(key[1])
    return world.get_storage(key[1], key[2])


def _overwritten(world: WorldState) -> dict[tuple, Any]:
    """What the world changed since its last commit: per account field and slot, its value before.

    Read from the world's journal, whose oldest entry for a key holds the
    value it had at the last commit (``WorldState`` records ``(kind, address,
    [slot,] old)``). A key written back to its old value is left out.
    """
    before: dict[tuple, Any] = {}
    for entry in world.journal:
        kind = entry[0]
        if kind == "slot":
            before.setdefault(("s", entry[1], entry[2]), entry[3] or 0)
        elif kind in _JOURNALED:
            old = entry[2] if kind == "code" else entry[2] or 0
            before.setdefault((_JOURNALED[kind], entry[1]), old)
    return {key: old for key, old in before.items() if old != _current(world, key)}


def _undo_to_json(undo: Mapping[tuple, Any]) -> list:
    out: list = []
    for key, old in undo.items():
        if key[0] == "s":
            out.append(["s", key[1], hex(key[2]), hex(old)])
        elif key[0] == "b":
            out.append(["b", key[1], hex(old)])
        else:
            out.append([key[0], key[1], old])
    return out


def _undo_from_json(rows: list) -> dict[tuple, Any]:
    out: dict[tuple, Any] = {}
    for row in rows:
        if row[0] == "s":
            out[("s", row[1], int(row[2], 16))] = int(row[3], 16)
        elif row[0] == "b":
            out[("b", row[1])] = int(row[2], 16)
        else:
            out[(row[0], row[1])] = row[2]
    return out


# -- transactions nobody signed ---------------------------------------------------------------------------


def unsigned_transaction(fields: Mapping[str, Any], sender: str) -> Transaction:
    """A transaction from ``sender`` built without its key (an impersonated account's), recorded as unsigned.

    ``fields`` are eth-account's (``chainId``, ``nonce``, ``gas``, ``to``, ``value``,
    ``data``, ``type``, ``accessList``, the fee fields). The signature is all
    zeros (r = s = 0, which no real signature has), the raw form is the usual
    envelope with that signature, and the hash is ``keccak256(raw || sender)``,
    as anvil hashes impersonated transactions: two senders' unsigned envelopes
    can be byte for byte equal.
    """
    kind = int(fields.get("type", 0))
    chain_id, nonce, gas = int(fields["chainId"]), int(fields["nonce"]), int(fields["gas"])
    value, data = int(fields.get("value", 0)), bytes(fields.get("data", b""))
    to = _address(fields["to"], "to") if fields.get("to") is not None else None
    access = tuple(
        (_address(e["address"], "accessList.address"), tuple(int(k, 16) for k in e.get("storageKeys", [])))
        for e in fields.get("accessList", [])
    )
    to_raw = bytes.fromhex(to[2:]) if to is not None else b""
    access_rlp = [[bytes.fromhex(a[2:]), [k.to_bytes(32, "big") for k in keys]] for a, keys in access]
    gas_price = max_fee = tip = None
    if kind == 2:
        tip, max_fee = int(fields["maxPriorityFeePerGas"]), int(fields["maxFeePerGas"])
        v = 0
        raw = b"\x02" + rlp_encode([chain_id, nonce, tip, max_fee, gas, to_raw, value, data, access_rlp, 0, 0, 0])
    elif kind == 1:
        gas_price, v = int(fields["gasPrice"]), 0
        raw = b"\x01" + rlp_encode([chain_id, nonce, gas_price, gas, to_raw, value, data, access_rlp, 0, 0, 0])
    else:
        gas_price, v = int(fields["gasPrice"]), chain_id * 2 + 35  # EIP-155's v, with no signature
        raw = rlp_encode([nonce, gas_price, gas, to_raw, value, data, v, 0, 0])
    return Transaction(
        type=kind, chain_id=chain_id, nonce=nonce, gas=gas, to=to, value=value, data=data, v=v, r=0, s=0,
        sender=sender, hash=keccak256(raw + bytes.fromhex(sender[2:])), raw=raw, gas_price=gas_price,
        max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip, access_list=access,
    )


def is_unsigned(tx: Transaction) -> bool:
    """Built by the node for an impersonated sender (``unsigned_transaction``), not signed by a key."""
    return tx.r == 0 and tx.s == 0


def _put_pending(conn: Any, tx: Transaction) -> None:
    """Store a pooled transaction; an unsigned one with its record, since its sender cannot be recovered."""
    Store.put_pending(conn, tx.hash.hex(), tx.raw, tx_to_json(tx) if is_unsigned(tx) else None)


@dataclass
class _Snapshot:
    head: int
    state: tuple
    pending: list[Transaction]
    time_offset: int
    next_timestamp: int | None


class Chain:
    """One L1 chain, in memory or in a data directory (see the module doc).

    Reopening a data directory restores the chain it holds; ``genesis_alloc``,
    ``block_gas_limit`` and ``automine`` then come from the store, and a
    different ``chain_id`` is an error. ``fresh=True`` wipes the directory.
    """

    def __init__(
        self,
        *,
        chain_id: int = 31337,
        data_dir: str | os.PathLike | None = None,
        fresh: bool = False,
        block_gas_limit: int = 30_000_000,
        genesis_alloc: Mapping[str, int] | None = None,
        automine: bool = True,
        initial_base_fee: int = 1_000_000_000,
        genesis_timestamp: int | None = None,
    ) -> None:
        if chain_id <= 0:
            raise ValueError(f"chain_id must be positive, got {chain_id}")
        self.data_dir = data_dir
        if block_gas_limit < G.G_TX:
            raise ValueError(f"block_gas_limit {block_gas_limit} is below one transaction's 21000")
        alloc = {_address(a, "genesis_alloc"): b for a, b in (genesis_alloc or {}).items()}
        for address, balance in alloc.items():
            if not isinstance(balance, int) or isinstance(balance, bool) or not 0 <= balance <= UINT256_MAX:
                raise ValueError(f"genesis_alloc: balance of {address} must be an int in 0..2**256-1")
        self._lock = threading.RLock()
        # Reverts and pool arrivals, for filters (node.rpc): never persisted, and kept across anvil_reset.
        self._reorgs: deque[tuple[int, int]] = deque(maxlen=REORG_RECORDS)  # (mark after it, block gone back to)
        self._reorg_mark = 0
        self._arrivals: deque[tuple[int, bytes]] = deque(maxlen=ARRIVAL_RECORDS)
        self._arrival_mark = 0
        load_contract_classes()
        self.store = Store(data_dir, fresh=fresh)
        try:
            self._open(chain_id, block_gas_limit, alloc, automine, initial_base_fee, genesis_timestamp)
        except BaseException:
            self.store.close()
            raise

    def _open(
        self, chain_id: int, block_gas_limit: int, alloc: dict[str, int], automine: bool,
        initial_base_fee: int, genesis_timestamp: int | None,
    ) -> None:
        """Start a new chain in an empty store, or restore the one the store holds."""
        self.world = WorldState()
        self.pending = TxPool()
        self._snapshots: dict[int, _Snapshot] = {}
        self._next_snapshot = 1
        self._impersonated: set[str] = set()
        # What each recent block overwrote (see _state_at); the state of every block from _oldest to the
        # head can be rebuilt from it.
        self._undo: dict[int, dict[tuple, Any]] = {}
        self._undo_size = 0  # entries in all of them
        self._oldest = 0
        self._roots = StateCommitment()
        meta = self.store.get_meta()
        self._saved_meta: dict[str, Any] = meta
        if self.store.head_number() is None:
            self.chain_id = chain_id
            self.block_gas_limit = block_gas_limit
            self.automine = automine
            self.time_offset = 0
            self.next_timestamp: int | None = None
            self._interval = 0.0
            self._genesis(alloc, initial_base_fee, genesis_timestamp)
        else:
            if meta.get("chain_id", chain_id) != chain_id:
                raise ValueError(
                    f"data dir holds chain id {meta['chain_id']}, not {chain_id} (use fresh=True to wipe it)"
                )
            self.chain_id = meta["chain_id"]
            self.block_gas_limit = meta.get("block_gas_limit", block_gas_limit)
            self.automine = meta.get("automine", automine)
            self.time_offset = meta.get("time_offset", 0)
            self.next_timestamp = meta.get("next_timestamp")
            self._interval = meta.get("interval_mining_seconds", 0.0)
            self.world = WorldState(*self.store.load_state())
            self._head = self._load_block(self.store.head_number())  # type: ignore[arg-type]
            self.pending = TxPool(
                tx_from_json(record) if record is not None else decode_raw_transaction(raw)
                for raw, record in self.store.pending_records()
            )
            self._roots = StateCommitment.of(self.world)
            self._undo = {n: _undo_from_json(rows) for n, rows in self.store.undo_records().items()}
            # A data dir written before history was kept has no records: only its head's state is known.
            self._oldest = self._head.number
            while self._oldest in self._undo:
                self._oldest -= 1
            for number in [n for n in self._undo if n <= self._oldest]:  # not yet pruned on disk
                del self._undo[number]
            self._undo_size = sum(map(len, self._undo.values()))
            self._trim_history()

    # -- setup and persistence -----------------------------------------------------------

    def _meta(self) -> dict[str, Any]:
        return {
            "chain_id": self.chain_id,
            "block_gas_limit": self.block_gas_limit,
            "automine": self.automine,
            "time_offset": self.time_offset,
            "next_timestamp": self.next_timestamp,
            "interval_mining_seconds": self._interval,
        }

    def _genesis(self, alloc: Mapping[str, int], base_fee: int, timestamp: int | None) -> None:
        for address, balance in alloc.items():
            self.world.set_balance(address, balance)
        root_undo = self._commit_roots()
        ts = int(time.time()) if timestamp is None else int(timestamp)
        block = self._make_block(0, b"\0" * 32, ts, 0, base_fee, [], [], self._roots.root)
        self._persist(block, [], [], [], root_undo=root_undo, genesis=alloc)

    def _make_block(
        self, number: int, parent: bytes, ts: int, gas_used: int, base_fee: int,
        tx_hashes: list[bytes], logs: list[Any], state_root: bytes,
    ) -> Block:
        tx_root = keccak256(rlp_encode(tx_hashes))
        bloom = logs_bloom(logs)
        header = [
            parent, bytes.fromhex(COINBASE[2:]), state_root, number, self.block_gas_limit, gas_used, ts,
            base_fee, tx_root, bloom, self.chain_id,
        ]
        return Block(
            number=number, hash=keccak256(rlp_encode(header)), parent_hash=parent, timestamp=ts,
            gas_limit=self.block_gas_limit, gas_used=gas_used, base_fee=base_fee, miner=COINBASE,
            transactions=tx_hashes, logs_bloom=bloom, transactions_root=tx_root, state_root=state_root,
        )

    def _commit_roots(self) -> dict[int, bytes]:
        """Bring the state root up to the world's dirty accounts and slots; what undoes it.

        If that fails halfway (out of memory), the uncommitted changes are rolled
        back and the root is rebuilt for the state that remains.
        """
        world = self.world
        try:
            return self._roots.update(world, world.dirty_accounts, world.dirty_slots)
        except BaseException:
            world.rollback(0)
            self._roots = StateCommitment.of(world)
            raise

    def _persist(
        self, block: Block | None, txs: list[Transaction], receipts: list[Receipt], dropped: list[Transaction],
        *, root_undo: dict[int, bytes] | None = None, genesis: Mapping[str, int] | None = None,
    ) -> None:
        """Write the dirty state, a block and its records in one SQLite transaction.

        The state root follows the dirty state (``root_undo`` says it already
        did), and what the block overwrote is recorded for reads at recent
        blocks; a change without a block (``set_balance``) is recorded with the
        head's block, so each block's state is the one it had while it was the head.
        """
        world = self.world
        if root_undo is None:
            root_undo = self._commit_roots()
        head = block.number if block is not None else self._head.number
        undo = _overwritten(world)
        if block is None:
            undo = {**undo, **self._undo.get(head, {})}  # what the head's block overwrote first stays
        record = head > self._oldest and (block is not None or undo != self._undo.get(head, {}))
        try:
            with self.store.transaction() as conn:
                Store.put_accounts(
                    conn,
                    [
                        (a, world.get_balance(a), world.get_nonce(a), world.get_code(a))
                        for a in world.dirty_accounts
                    ],
                )
                Store.put_slots(conn, [(a, s, world.get_storage(a, s)) for a, s in world.dirty_slots])
                if block is not None:
                    Store.put_block(conn, block.number, block.hash.hex(), block.to_json())
                    for tx, receipt in zip(txs, receipts, strict=True):
                        Store.put_tx(conn, tx.hash.hex(), block.number, receipt.tx_index,
                                     tx_to_json(tx), receipt.to_json())
                        for log in receipt.logs:
                            Store.put_log(conn, block.number, log.log_index, log.address, log.to_json())
                Store.drop_pending(conn, [t.hash.hex() for t in dropped])
                meta = self._meta()
                if meta != self._saved_meta:
                    Store.put_meta(conn, meta)
                if self.data_dir is not None:  # an in-memory chain has no restart to keep history for
                    if record:
                        Store.put_undo(conn, head, _undo_to_json(undo))
                    if block is not None and block.number % UNDO_PRUNE_STEP == 0:
                        Store.drop_undo_through(conn, self._oldest)  # what the window let go of lately
                if genesis is not None:
                    Store.put_genesis(conn, genesis.items())
        except BaseException:
            world.rollback(0)  # the block never happened: undo it in memory too
            self._roots.restore(root_undo)
            raise
        world.commit()
        world.dirty_accounts.clear()
        world.dirty_slots.clear()
        self._saved_meta = meta
        if record:
            self._undo_size += len(undo) - len(self._undo.get(head, ()))
            self._undo[head] = undo
        if block is not None:
            self._head = block
        self._trim_history()

    def _trim_history(self) -> None:
        """Let go of the records the window no longer needs.

        The window is the head and the HISTORY_BLOCKS blocks before it, and
        narrower if their records hold more than MAX_UNDO_ENTRIES changes in
        all: blocks full of fresh storage writes must not buy memory without bound.
        """
        head = self._head.number
        while self._oldest < head and (
            self._oldest < head - HISTORY_BLOCKS or self._undo_size > MAX_UNDO_ENTRIES
        ):
            self._oldest += 1
            self._undo_size -= len(self._undo.pop(self._oldest, ()))

    def _update_settings(self, **changes: Any) -> None:
        """Change settings and save them; if saving fails, the old values stay in memory too."""
        old = {name: getattr(self, name) for name in changes}
        for name, value in changes.items():
            setattr(self, name, value)
        try:
            self._save_meta()
        except BaseException:
            for name, value in old.items():
                setattr(self, name, value)
            raise

    def _save_meta(self) -> None:
        meta = self._meta()
        with self.store.transaction() as conn:
            Store.put_meta(conn, meta)
        self._saved_meta = meta

    def close(self) -> None:
        """Close the store; the chain is unusable afterwards."""
        with self._lock:
            self.store.close()

    def __enter__(self) -> Chain:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- settings ------------------------------------------------------------------------

    @property
    def interval_mining_seconds(self) -> float:
        """Seconds between blocks the server's miner thread produces (0: off)."""
        return self._interval

    @interval_mining_seconds.setter
    def interval_mining_seconds(self, seconds: float) -> None:
        if (
            not isinstance(seconds, (int, float)) or isinstance(seconds, bool)
            or not 0 <= seconds <= MAX_INTERVAL_SECONDS  # also refuses NaN, which compares false
        ):
            raise ValueError(f"interval must be 0..{MAX_INTERVAL_SECONDS} seconds, got {seconds!r:.80}")
        with self._lock:
            self._update_settings(_interval=float(seconds))

    @_locked
    def set_automine(self, enabled: bool) -> None:
        """Mine a block per transaction (True) or wait for ``mine()`` (False)."""
        self._update_settings(automine=bool(enabled))

    @_locked
    def increase_time(self, seconds: int) -> int:
        """Move the clock forward for future blocks; returns the total offset in seconds."""
        if not isinstance(seconds, int) or isinstance(seconds, bool) or seconds < 0:
            raise ValueError(f"seconds must be a non-negative int, got {seconds!r}")
        if self.now() + seconds > MAX_TIMESTAMP:
            raise ValueError(f"seconds {seconds} would move the clock past the uint64 timestamp limit")
        self._update_settings(time_offset=self.time_offset + seconds)
        return self.time_offset

    @_locked
    def set_next_block_timestamp(self, timestamp: int) -> None:
        """Fix the next block's timestamp (it must be after the head's)."""
        self._check_timestamp(timestamp)
        self._update_settings(next_timestamp=timestamp)

    def _check_timestamp(self, timestamp: Any, count: int = 1) -> None:
        """A block timestamp must be a uint64 after the head's (``count`` blocks from it on)."""
        head = self._head.timestamp
        if not isinstance(timestamp, int) or isinstance(timestamp, bool) or timestamp <= head:
            raise ValueError(f"timestamp {timestamp!r:.80} must be an int after the latest block's {head}")
        if timestamp + count - 1 > MAX_TIMESTAMP:
            raise ValueError(f"timestamp {timestamp} is past the uint64 limit {MAX_TIMESTAMP}")

    @_locked
    def set_balance(self, address: str, wei: int) -> None:
        """Set an account's balance (a development convenience, like anvil_setBalance)."""
        if not isinstance(wei, int) or isinstance(wei, bool) or not 0 <= wei <= UINT256_MAX:
            raise ValueError(f"balance must be an int in 0..2**256-1, got {wei!r:.80}")
        self.world.set_balance(_address(address), wei)
        self._persist(None, [], [], [])

    @property
    def lock(self) -> threading.RLock:
        """The chain's re-entrant lock, for callers that must read then write atomically."""
        return self._lock  # type: ignore[return-value]

    def now(self) -> int:
        """The chain's clock: wall time plus the offset from ``increase_time``."""
        return int(time.time()) + self.time_offset

    # -- transactions ------------------------------------------------------------------------

    def base_fee(self) -> int:
        """The base fee per gas of the next block."""
        with self._lock:
            head = self._head
            return next_base_fee(head.base_fee, head.gas_used, head.gas_limit)

    def gas_price(self) -> int:
        """A legacy gas price that gets included: next base fee plus the suggested tip."""
        return self.base_fee() + DEFAULT_TIP

    def max_priority_fee(self) -> int:
        return DEFAULT_TIP

    def _known(self, tx_hash: bytes) -> bool:
        return self.pending.get(tx_hash) is not None or self.store.tx(tx_hash.hex()) is not None

    def _validate(self, tx: Transaction) -> Transaction | None:
        """Every check a transaction must pass before the pool takes it; TxRejected otherwise.

        Returns the pending transaction it replaces (same sender and nonce, paying enough more), if any.
        """
        if tx.chain_id != self.chain_id:
            raise TxRejected(TX_REJECTED, f"wrong chain id {tx.chain_id}: this chain is {self.chain_id}")
        if self._known(tx.hash):
            raise TxRejected(INVALID_INPUT, f"already known: transaction 0x{tx.hash.hex()}")
        try:
            replaced = self.pending.check(tx, self.world.get_nonce(tx.sender))
        except PoolRefused as exc:
            raise TxRejected(INVALID_INPUT, str(exc)) from None
        if tx.gas > self.block_gas_limit:
            raise TxRejected(INVALID_INPUT, f"gas {tx.gas} exceeds the block gas limit {self.block_gas_limit}")
        if tx.to is None and not tx.data.startswith(DEPLOY_MAGIC):
            raise TxRejected(
                INVALID_INPUT,
                "this L1 runs l2lab's Python contracts, not EVM bytecode: a creation transaction's data must "
                "be l2lab deploy data (contracts_spec.runtime.deploy_data, or bytecode(Contract) with web3); "
                "for Solidity contracts use a real EVM node such as anvil",
            )
        intrinsic = G.intrinsic_gas(tx.data, tx.to is None, tx.access_list)
        if tx.gas < intrinsic:
            raise TxRejected(INVALID_INPUT, f"intrinsic gas too low: gas {tx.gas}, need {intrinsic}")
        if tx.type == 2 and tx.tip_cap > tx.fee_cap:
            raise TxRejected(
                INVALID_INPUT,
                f"max priority fee per gas {tx.tip_cap} higher than max fee per gas {tx.fee_cap}",
            )
        base_fee = self.base_fee()
        if tx.fee_cap < base_fee:
            what = "max fee per gas" if tx.type == 2 else "gas price"
            raise TxRejected(INVALID_INPUT, f"{what} {tx.fee_cap} less than block base fee {base_fee}")
        cost = tx.gas * tx.fee_cap + tx.value
        balance = self.world.get_balance(tx.sender) - self.pending.committed_cost(tx.sender, besides=tx.nonce)
        if balance < cost:
            raise TxRejected(
                INVALID_INPUT,
                f"insufficient funds for gas * price + value: balance {max(balance, 0)}, cost {cost}",
            )
        return replaced

    @_locked
    def send_raw_transaction(self, raw: bytes) -> bytes:
        """Validate, queue and (when automining) mine a raw signed transaction; returns its hash.

        With automine the hash is returned only after the block holding the
        transaction is committed to the store.
        """
        return self._submit(decode_raw_transaction(raw))

    # -- impersonation (anvil_impersonateAccount) -------------------------------------------

    @_locked
    def impersonate(self, address: str) -> None:
        """Accept transactions from ``address`` without its signature (``send_impersonated_transaction``)."""
        self._impersonated.add(_address(address))

    @_locked
    def stop_impersonating(self, address: str) -> bool:
        """Stop accepting unsigned transactions from ``address``; False if it was not impersonated."""
        address = _address(address)
        was = address in self._impersonated
        self._impersonated.discard(address)
        return was

    @_locked
    def is_impersonated(self, address: str) -> bool:
        return _address(address) in self._impersonated

    @_locked
    def send_impersonated_transaction(self, fields: Mapping[str, Any], sender: str) -> bytes:
        """Submit a transaction an impersonated ``sender`` did not sign (see ``unsigned_transaction``).

        It passes every check a signed one does and pays its gas from ``sender``;
        it is stored, mined and reported with its all-zero signature.
        """
        sender = _address(sender, "from")
        if sender not in self._impersonated:
            raise TxRejected(INVALID_INPUT, f"{sender} is not impersonated: call anvil_impersonateAccount first")
        return self._submit(unsigned_transaction(fields, sender))

    def _submit(self, tx: Transaction) -> bytes:
        replaced = self._validate(tx)
        self.pending.add(tx)

        def undo() -> None:  # not acknowledged and not on disk: it must not linger in memory either
            self.pending.discard([tx.hash])
            if replaced is not None:
                self.pending.add(replaced)

        try:
            if self.automine:
                self._mine_one(None)
            if tx in self.pending:
                # Waiting in the pool (manual mining, a nonce gap, a full block): an
                # acknowledged transaction in the pool is on disk like any other.
                with self.store.transaction() as conn:
                    if replaced is not None:
                        Store.drop_pending(conn, [replaced.hash.hex()])
                    _put_pending(conn, tx)
        except BaseException:
            if tx in self.pending:
                undo()
            raise
        self._arrival_mark += 1
        self._arrivals.append((self._arrival_mark, tx.hash))
        return tx.hash

    # -- mining ------------------------------------------------------------------------------------

    @_locked
    def mine(self, count: int = 1, timestamp: int | None = None) -> list[bytes]:
        """Mine ``count`` blocks (pending transactions go into the first ones); returns their hashes."""
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_MINE_BLOCKS:
            raise ValueError(f"count must be a positive int up to {MAX_MINE_BLOCKS}, got {count!r:.80}")
        if timestamp is not None:
            self._check_timestamp(timestamp, count)
        hashes = []
        for i in range(count):
            hashes.append(self._mine_one(timestamp + i if timestamp is not None else None).hash)
        return hashes

    def _next_timestamp(self, explicit: int | None) -> int:
        """The next block's timestamp: what time travel fixed, else the chain's clock.

        Blocks mined within one second of the clock share its timestamp (as
        hardhat's ``allowBlocksWithSameTimestamp`` does), so no number of
        transactions moves the chain ahead of real time: only ``increase_time``
        and ``set_next_block_timestamp`` do. anvil and hardhat by default step
        every automined block one second ahead, which lets a burst of ordinary
        transactions run a challenge window out; ``docs/ARCHITECTURE.md`` says why.
        """
        parent = self._head.timestamp
        if explicit is not None:
            return explicit
        if self.next_timestamp is not None:
            ts, self.next_timestamp = self.next_timestamp, None
            return max(ts, parent + 1)
        return max(self.now(), parent)

    def _fill(self, env: Env, base_fee: int) -> tuple[list[tuple[Transaction, Outcome, int]], list[Transaction]]:
        """Execute pending transactions into the block ``env`` describes, as Ethereum builds one.

        In nonce order per sender and highest tip first across senders; a
        transaction fits while its gas limit is at most the block's gas limit
        less the gas the transactions before it *used* (not their limits), so a
        high gas limit reserves nothing. Returns what ran, with its outcome and
        price, and the stale transactions (nonce already used) to drop. A sender
        whose next transaction cannot run yet (a nonce gap, a fee cap below the
        base fee, too little gas left, funds moved since it was accepted) waits
        for a later block with the rest of its queue.
        """
        queues = {sender: [t for _, t in sorted(self.pending.of_sender(sender).items())]
                  for sender in self.pending.senders()}
        outcomes: list[tuple[Transaction, Outcome, int]] = []
        dropped: list[Transaction] = []
        gas_used = 0
        nonces = {s: self.world.get_nonce(s) for s in queues}

        def tip(t: Transaction) -> int:
            return min(t.tip_cap, t.fee_cap - base_fee)

        while queues:
            sender = max(queues, key=lambda s: tip(queues[s][0]))
            tx = queues[sender][0]
            if tx.nonce < nonces[sender]:
                dropped.append(queues[sender].pop(0))
            elif (tx.nonce > nonces[sender] or tx.fee_cap < base_fee
                  or tx.gas > self.block_gas_limit - gas_used
                  or self.world.get_balance(tx.sender) < tx.gas * tx.fee_cap + tx.value):
                del queues[sender]  # it waits for a later block
                continue
            else:
                queues[sender].pop(0)
                nonces[sender] += 1
                price = tx.effective_gas_price(base_fee)
                msg = Message(
                    sender=tx.sender, to=tx.to, value=tx.value, data=tx.data, gas=tx.gas,
                    gas_price=price, nonce=tx.nonce, access_list=tx.access_list,
                )
                outcome = apply_message(self.world, replace(env, origin=tx.sender, gas_price=price), msg)
                gas_used += outcome.gas_used
                outcomes.append((tx, outcome, price))
            if not queues[sender]:
                del queues[sender]
        return outcomes, dropped

    def _mine_one(self, timestamp: int | None) -> Block:
        parent = self._head
        base_fee = next_base_fee(parent.base_fee, parent.gas_used, parent.gas_limit)
        saved_next = self.next_timestamp
        ts = self._next_timestamp(timestamp)
        if ts > MAX_TIMESTAMP:
            self.next_timestamp = saved_next
            raise ValueError(f"the next block's timestamp {ts} is past the uint64 limit: the clock is at its end")
        number = parent.number + 1
        env = Env(
            block_number=number, timestamp=ts, chain_id=self.chain_id, coinbase=COINBASE,
            base_fee=base_fee, block_gas_limit=self.block_gas_limit,
        )
        try:
            outcomes, dropped = self._fill(env, base_fee)
            root_undo = self._commit_roots()
        except BaseException:
            self.world.rollback(0)
            self.next_timestamp = saved_next
            raise
        cumulative = sum(o.gas_used for _, o, _ in outcomes)
        all_logs = [lg for _, o, _ in outcomes for lg in o.logs]
        block = self._make_block(
            number, parent.hash, ts, cumulative, base_fee, [t.hash for t, _, _ in outcomes], all_logs,
            self._roots.root,
        )
        txs, receipts = [], []
        cumulative = log_index = 0
        for index, (tx, outcome, price) in enumerate(outcomes):
            cumulative += outcome.gas_used
            logs = []
            for lg in outcome.logs:
                logs.append(Log(lg.address, list(lg.topics), lg.data, number, block.hash, tx.hash, index, log_index))
                log_index += 1
            # a copy: the pool's object stays pending in snapshots taken before this block
            txs.append(replace(tx, block_number=number, block_hash=block.hash, tx_index=index))
            receipts.append(Receipt(
                tx_hash=tx.hash, tx_index=index, block_number=number, block_hash=block.hash,
                sender=tx.sender, to=tx.to, contract_address=outcome.contract_address, type=tx.type,
                status=1 if outcome.success else 0, gas_used=outcome.gas_used,
                cumulative_gas_used=cumulative, effective_gas_price=price, logs=logs,
                logs_bloom=logs_bloom(logs), revert_reason=outcome.revert_reason,
                revert_data=outcome.revert_data, gas_breakdown=outcome.gas_breakdown,
            ))
        done = {t.hash for t in txs} | {t.hash for t in dropped}
        try:
            self._persist(block, txs, receipts, txs + dropped, root_undo=root_undo)
        except BaseException:
            self.next_timestamp = saved_next
            raise
        self.pending.discard(done)
        return block

    # -- snapshots ------------------------------------------------------------------------------------

    @_locked
    def snapshot(self) -> int:
        """Remember the whole chain now; returns an id for ``revert``."""
        sid = self._next_snapshot
        self._next_snapshot += 1
        self._snapshots[sid] = _Snapshot(
            self._head.number, self.world.copy_state(), list(self.pending),
            self.time_offset, self.next_timestamp,
        )
        return sid

    @_locked
    def revert(self, snapshot_id: int) -> bool:
        """Go back to a snapshot (state, blocks, pending pool, clock; on disk too).

        That snapshot and later ones are used up, as with anvil. False if unknown.
        """
        snap = self._snapshots.get(snapshot_id)
        if snap is None:
            return False
        # Disk first, from the snapshot itself: if the write fails, memory is untouched too.
        world = WorldState(*snap.state)
        meta = {**self._meta(), "time_offset": snap.time_offset, "next_timestamp": snap.next_timestamp}
        with self.store.transaction() as conn:
            Store.truncate_after(conn, snap.head)
            Store.clear_state(conn)
            Store.put_accounts(conn, [
                (a, world.get_balance(a), world.get_nonce(a), world.get_code(a))
                for a in set(world.balances) | set(world.nonces) | set(world.code)
            ])
            Store.put_slots(conn, [(a, s, v) for a, slots in world.storage.items() for s, v in slots.items()])
            Store.clear_pending(conn)
            for tx in snap.pending:
                _put_pending(conn, tx)
            Store.put_meta(conn, meta)
        self.world.restore_state(snap.state)
        self.time_offset, self.next_timestamp = snap.time_offset, snap.next_timestamp
        self.pending = TxPool(snap.pending)
        self._saved_meta = meta
        self.world.dirty_accounts.clear()
        self.world.dirty_slots.clear()
        self._head = self._load_block(snap.head)
        for sid in [s for s in self._snapshots if s >= snapshot_id]:
            del self._snapshots[sid]
        self._went_back(snap.head)
        return True

    @_locked
    def reset(self) -> None:
        """Start this chain over from its genesis block (anvil_reset): its allocation, no pool, no snapshots.

        Blocks after genesis, their transactions and history, the pending pool,
        snapshots, impersonations and time travel are gone, on disk too; the
        mining mode stays. A data dir written before the genesis allocation was
        recorded cannot be reset (its genesis block has no state root).
        """
        genesis = self._load_block(0)
        alloc = self.store.genesis_alloc()
        world = WorldState(balances=dict(alloc))
        if genesis.state_root != StateCommitment.of(world).root:
            raise ValueError(
                "this data dir was written before l2lab recorded genesis allocations, so its genesis state is "
                "unknown: start the node with --fresh for a new chain instead"
            )
        meta = {**self._meta(), "time_offset": 0, "next_timestamp": None}
        with self.store.transaction() as conn:
            Store.truncate_after(conn, 0)
            Store.clear_state(conn)
            Store.put_accounts(conn, [(a, b, 0, None) for a, b in alloc.items()])
            Store.clear_pending(conn)
            Store.put_meta(conn, meta)
        self.world.restore_state(world.copy_state())
        self.world.dirty_accounts.clear()
        self.world.dirty_slots.clear()
        self.time_offset, self.next_timestamp = 0, None
        self._saved_meta = meta
        self.pending = TxPool()
        self._snapshots.clear()
        self._impersonated.clear()
        self._head = genesis
        self._went_back(0)

    def _went_back(self, number: int) -> None:
        """The chain's head is now block ``number`` of what was a longer chain (or the same length)."""
        for later in [n for n in self._undo if n > number]:
            self._undo_size -= len(self._undo.pop(later))
        self._oldest = min(self._oldest, number)
        self._roots = StateCommitment.of(self.world)
        self._reorg_mark += 1
        self._reorgs.append((self._reorg_mark, number))

    # -- what filters poll ----------------------------------------------------------------------------

    @property
    def reorg_mark(self) -> int:
        """Counts the times the chain went back (evm_revert, anvil_reset); see ``went_back_since``."""
        return self._reorg_mark

    @_locked
    def went_back_since(self, mark: int) -> int | None:
        """The lowest block the chain went back to after ``reorg_mark`` was ``mark``; None if it did not."""
        lowest = [number for seen, number in self._reorgs if seen > mark]
        if not lowest and mark < self._reorg_mark:  # older than the records kept: the lowest kept
            lowest = [number for _, number in self._reorgs]
        return min(lowest) if lowest else None

    @property
    def arrival_mark(self) -> int:
        """Counts the transactions the pool accepted; see ``arrivals_since``."""
        return self._arrival_mark

    @_locked
    def arrivals_since(self, mark: int) -> list[bytes]:
        """Hashes of transactions accepted after ``arrival_mark`` was ``mark`` (the latest ARRIVAL_RECORDS)."""
        return [tx_hash for seen, tx_hash in self._arrivals if seen > mark]

    @_locked
    def block_hashes(self, from_block: int, to_block: int) -> list[bytes]:
        """The hashes of blocks ``from_block..to_block`` that exist, in order."""
        to_block = min(to_block, self._head.number)
        if from_block > to_block:
            return []
        return [bytes.fromhex(h) for h in self.store.block_hashes(from_block, to_block)]

    # -- reads --------------------------------------------------------------------------------------------

    def _load_block(self, number: int) -> Block:
        data = self.store.block_by_number(number)
        if data is None:
            raise KeyError(f"no block {number}")
        return Block.from_json(data)

    @property
    def block_number(self) -> int:
        with self._lock:
            return self._head.number

    @property
    def head(self) -> Block:
        with self._lock:
            return self._head

    @_locked
    def get_block(self, ref: int | str | bytes = "latest", full_transactions: bool = False) -> Block | None:
        """A block by number, tag ("latest", "earliest", "pending") or 32-byte hash; None if absent.

        With ``full_transactions`` the block's ``transactions`` are
        ``Transaction`` objects instead of hashes. "pending" is the latest
        block (the pool is not a block until mined).
        """
        if isinstance(ref, (bytes, bytearray)):
            if len(ref) != 32:
                raise ValueError(f"block hash must be 32 bytes, got {len(ref)}")
            data = self.store.block_by_hash(bytes(ref).hex())
            block = Block.from_json(data) if data else None
        elif isinstance(ref, str):
            if ref in ("latest", "pending", "safe", "finalized"):
                block = self._head
            elif ref == "earliest":
                block = self._load_block(0)
            else:
                raise ValueError(f"unknown block tag {ref!r}")
        elif isinstance(ref, int) and not isinstance(ref, bool):
            if ref < 0:
                raise ValueError(f"block number must be >= 0, got {ref}")
            if ref > self._head.number:
                return None  # also keeps numbers past SQLite's 64-bit integers away from it
            data = self.store.block_by_number(ref)
            block = Block.from_json(data) if data else None
        else:
            raise ValueError(f"bad block reference {ref!r}")
        if block is not None and full_transactions:
            txs = [tx_from_json(t) for t, _ in self.store.txs_of_block(block.number)]
            block = Block(**{**block.__dict__, "transactions": txs})  # type: ignore[arg-type]
        return block

    def _resolve_number(self, ref: int | str | None, default: int) -> int:
        if ref is None:
            return default
        if isinstance(ref, str):
            if ref in ("latest", "pending", "safe", "finalized"):
                return self._head.number
            if ref == "earliest":
                return 0
            raise ValueError(f"unknown block tag {ref!r}")
        if not isinstance(ref, int) or ref < 0:
            raise ValueError(f"bad block number {ref!r}")
        return ref

    # -- state at recent blocks ----------------------------------------------------------------------
    # Every read below takes ``block``: None or a tag for the latest state, else a block number; the
    # state of the head and of the HISTORY_BLOCKS blocks before it is kept (StateNotKept otherwise).

    def _past(self, block: int | str | None) -> int | None:
        """None for the head's state; else the number of the older block whose state is asked for."""
        if block is None or block in ("latest", "pending", "safe", "finalized"):
            return None
        if block == "earliest":
            block = 0
        if not isinstance(block, int) or isinstance(block, bool) or block < 0:
            raise ValueError(f"bad block reference {block!r:.80}")
        head = self._head.number
        if block > head:
            raise StateNotKept(f"state at block {block} is not kept: the latest block is {head}")
        if block == head:
            return None
        oldest = self.oldest_state_block
        if block < oldest:
            raise StateNotKept(
                f"state at block {block} is not kept: this node keeps the state of the latest block and of up to "
                f"{HISTORY_BLOCKS} before it (now blocks {oldest}..{head})"
            )
        return block

    @property
    def oldest_state_block(self) -> int:
        """The oldest block whose state reads and calls can still ask for."""
        with self._lock:
            return self._oldest

    def _at(self, key: tuple, number: int | None) -> Any:
        """An account field or slot at the end of block ``number`` (None: now)."""
        if number is not None:
            for later in range(number + 1, self._head.number + 1):
                undo = self._undo.get(later)
                if undo is not None and key in undo:
                    return undo[key]
        return _current(self.world, key)

    @contextmanager
    def _state_at(self, number: int | None) -> Iterator[None]:
        """Rewind the live world to the end of block ``number`` for the duration (None: leave it).

        Each block's overwritten values are written back, newest block first,
        through the world's journal, and rolled back afterwards: the cost is the
        number of changes since that block, not the size of the state. Runs
        under the chain's lock, so no one else sees the rewound world.
        """
        if number is None:
            yield
            return
        world = self.world
        dirty = set(world.dirty_accounts), set(world.dirty_slots)
        code = dict(world.code)
        mark = world.checkpoint()
        try:
            for later in range(self._head.number, number, -1):
                for key, old in self._undo.get(later, {}).items():
                    kind = key[0]
                    if kind == "b":
                        world.set_balance(key[1], old)
                    elif kind == "n":
                        world.set_nonce(key[1], old)
                    elif kind == "s":
                        world.set_storage(key[1], key[2], old)
                    elif old is None:
                        world.code.pop(key[1], None)  # deployed later (code is never removed otherwise)
                    else:
                        world.code[key[1]] = old
            world.begin_transaction()
            yield
        finally:
            world.rollback(mark)
            world.code = code
            world.begin_transaction()
            world.dirty_accounts, world.dirty_slots = dirty

    @_locked
    def get_balance(self, address: str, block: int | str | None = None) -> int:
        return self._at(("b", _address(address)), self._past(block))

    @_locked
    def get_nonce(self, address: str, pending: bool = False, block: int | str | None = None) -> int:
        """The account's nonce; with ``pending`` it counts its transactions in the pool."""
        address = _address(address)
        if pending:
            return self.pending.next_nonce(address, self.world.get_nonce(address))
        return self._at(("n", address), self._past(block))

    @_locked
    def pool_split(self) -> tuple[list[Transaction], list[Transaction]]:
        """Pooled transactions as (runnable in nonce order from each account's nonce, queued behind a gap)."""
        return self.pending.split({s: self.world.get_nonce(s) for s in self.pending.senders()})

    @_locked
    def get_code(self, address: str, block: int | str | None = None) -> bytes:
        """The contract marker ``L2LAB\\x00<name>`` at ``address``, or b"" for an account."""
        name = self._at(("c", _address(address)), self._past(block))
        return DEPLOY_MAGIC + name.encode() if name is not None else b""

    @_locked
    def get_contract_name(self, address: str) -> str | None:
        return self.world.get_code(_address(address))

    @_locked
    def contracts(self) -> dict[str, str]:
        """Every deployed contract: address -> class name."""
        return dict(self.world.code)

    @_locked
    def get_storage_at(self, address: str, slot: int, block: int | str | None = None) -> int:
        if not isinstance(slot, int) or not 0 <= slot < 2**256:
            raise ValueError(f"slot must be a uint256, got {slot!r}")
        return self._at(("s", _address(address), slot), self._past(block))

    @_locked
    def state_root(self) -> bytes:
        """The root committing to the current state (the head block's, unless set_balance changed it since)."""
        return self._roots.root

    @_locked
    def get_transaction(self, tx_hash: bytes) -> Transaction | None:
        """A mined or pending transaction by hash, or None."""
        pooled = self.pending.get(bytes(tx_hash))
        if pooled is not None:
            return pooled
        found = self.store.tx(bytes(tx_hash).hex())
        return tx_from_json(found[0]) if found else None

    @_locked
    def get_receipt(self, tx_hash: bytes) -> Receipt | None:
        """The receipt of a mined transaction, or None (unknown or still pending)."""
        found = self.store.tx(bytes(tx_hash).hex())
        return Receipt.from_json(found[1]) if found else None

    @_locked
    def get_logs(
        self,
        from_block: int | str | None = None,
        to_block: int | str | None = None,
        address: str | Sequence[str] | None = None,
        topics: Sequence[bytes | Sequence[bytes] | None] | None = None,
    ) -> list[Log]:
        """Logs in a block range (default: latest), by emitter and topic filters.

        ``topics[i]`` is None (any), one topic, or a list of alternatives.
        """
        head = self._head.number
        lo = self._resolve_number(from_block, head)
        hi = min(self._resolve_number(to_block, head), head)  # no logs above the head
        if lo > hi:
            return []
        if address is None:
            addresses = None
        elif isinstance(address, str):
            addresses = [_address(address)]
        else:
            addresses = [_address(a) for a in address]
        wanted: list[set[bytes] | None] = []
        for t in topics or []:
            if t is None:
                wanted.append(None)
            elif isinstance(t, (bytes, bytearray)):
                wanted.append({bytes(t)})
            else:
                wanted.append({bytes(x) for x in t} or None)
        out = []
        for data in self.store.logs(lo, hi, addresses):
            log = Log.from_json(data)
            if len(wanted) > len(log.topics) and any(w is not None for w in wanted[len(log.topics):]):
                continue
            if all(w is None or log.topics[i] in w for i, w in enumerate(wanted) if i < len(log.topics)):
                out.append(log)
        return out

    def _sim_env(self, sender: str, number: int | None = None) -> Env:
        """The block a call runs in: the next one; after an older block ``number``, the one that followed it."""
        if number is not None:
            after = self._load_block(number + 1)
            return Env(
                block_number=after.number, timestamp=after.timestamp, chain_id=self.chain_id,
                coinbase=after.miner, base_fee=after.base_fee, origin=sender, block_gas_limit=after.gas_limit,
            )
        head = self._head
        return Env(
            block_number=head.number + 1, timestamp=max(self.now(), head.timestamp),
            chain_id=self.chain_id, coinbase=COINBASE, base_fee=self.base_fee(), origin=sender,
            block_gas_limit=self.block_gas_limit,
        )

    def _simulate(
        self, to: str | None, data: bytes, sender: str | None, value: int, gas: int,
        access_list: tuple = (), number: int | None = None,
    ) -> Outcome:
        """Run a call on the state as it is (``_state_at`` may have rewound it to block ``number``)."""
        sender = _address(sender, "from") if sender is not None else ZERO_ADDRESS
        target = _address(to, "to") if to is not None else None
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"value must be a non-negative int, got {value!r}")
        msg = Message(sender=sender, to=target, value=value, data=bytes(data), gas=gas, gas_price=0,
                      nonce=self.world.get_nonce(sender), access_list=access_list)
        return simulate(self.world, self._sim_env(sender, number), msg)

    def _call_gas(self, gas: int | None) -> int:
        """Gas for a call or estimate: at most the block gas limit, as geth caps it.

        Gas is what bounds a contract's work, so an uncapped 2**64 would let one
        eth_call run for hours while it holds the chain's lock.
        """
        if gas is None:
            return self.block_gas_limit
        if not isinstance(gas, int) or isinstance(gas, bool) or gas < 0:
            raise ValueError(f"gas must be a non-negative int, got {gas!r:.80}")
        return min(gas, self.block_gas_limit)

    @_locked
    def call(
        self, to: str | None, data: bytes = b"", sender: str | None = None, value: int = 0,
        gas: int | None = None, block: int | str | None = None,
    ) -> bytes:
        """Run a call against the latest state (or a recent block's) without changing it; its return data.

        At an older block the call runs as it would have at the start of the
        block that followed it (that block's number, timestamp and base fee).
        Raises ``Reverted(reason, data)`` if it reverts or runs out of gas.
        """
        number = self._past(block)
        with self._state_at(number):
            out = self._simulate(to, data, sender, value, self._call_gas(gas), number=number)
        if not out.success:
            raise Reverted(out.revert_reason or "reverted", out.revert_data)
        return out.return_data

    @_locked
    def estimate_gas(
        self, to: str | None, data: bytes = b"", sender: str | None = None, value: int = 0,
        gas: int | None = None, block: int | str | None = None,
    ) -> int:
        """The least gas limit with which the transaction succeeds (before refunds).

        Raises ``Reverted`` if it fails even with ``gas`` (default: the block limit).
        """
        cap = self._call_gas(gas)
        number = self._past(block)
        with self._state_at(number):
            def succeeds(limit: int) -> Outcome:
                return self._simulate(to, data, sender, value, limit, number=number)

            out = succeeds(cap)
            if not out.success:
                raise Reverted(out.revert_reason or "reverted", out.revert_data)
            lo, hi = out.gas_used, cap
            if succeeds(lo).success:
                return lo
            # Nested calls keep 1/64 back (and value calls need the stipend sentry), so
            # the gas used is not always enough as a limit: try a little more, then search.
            guess = min(cap, lo * 64 // 63 + G.G_CALL_STIPEND + 100)
            if succeeds(guess).success:
                hi = guess
            while hi - lo > max(64, hi // 200):  # within 0.5%: each probe re-runs the call
                mid = (lo + hi) // 2
                if succeeds(mid).success:
                    hi = mid
                else:
                    lo = mid
            return hi

    @_locked
    def create_access_list(
        self, to: str | None, data: bytes = b"", sender: str | None = None, value: int = 0,
        gas: int | None = None, access_list: Sequence[tuple[str, Sequence[int]]] = (),
        block: int | str | None = None,
    ) -> tuple[list[tuple[str, list[int]]], Outcome]:
        """The accounts and slots a call touches (EIP-2930), and how the call goes with them listed.

        As geth does: the call runs with ``access_list``; every account and slot
        it warmed (reverted frames too) joins the list, except the sender, the
        recipient, the coinbase and a created contract, which are warm anyway
        (their slots are listed); it runs again with the longer list until the
        list stops growing (at most ACCESS_LIST_ROUNDS runs). Sorted by address
        and slot; the outcome is the last run's, whose gas includes the list's.
        """
        number = self._past(block)
        cap = self._call_gas(gas)
        listed: dict[str, set[int]] = {}
        for address, slots in access_list:
            listed.setdefault(_address(address, "accessList.address"), set()).update(slots)
        world = self.world
        with self._state_at(number):
            origin = _address(sender, "from") if sender is not None else ZERO_ADDRESS
            env = self._sim_env(origin, number)
            warm_anyway = {origin, env.coinbase}
            if to is not None:
                warm_anyway.add(_address(to, "to"))
            else:
                warm_anyway.add(contract_address(origin, world.get_nonce(origin)))
            for run in range(1, ACCESS_LIST_ROUNDS + 1):
                entries = tuple((a, tuple(sorted(slots))) for a, slots in sorted(listed.items()))
                world.accessed = (set(), set())
                try:
                    out = self._simulate(to, data, sender, value, cap, access_list=entries, number=number)
                    accounts, slots_touched = world.accessed
                finally:
                    world.accessed = None
                found = {a: set(s) for a, s in listed.items()}
                for address in accounts - warm_anyway:
                    found.setdefault(address, set())
                for address, slot in slots_touched:
                    found.setdefault(address, set()).add(slot)
                for address in warm_anyway:
                    if address in found and not found[address]:
                        del found[address]
                if found == listed or run == ACCESS_LIST_ROUNDS:
                    break  # the list the last run had is the one its outcome belongs to
                listed = found
        return [(a, sorted(s)) for a, s in entries], out

    @_locked
    def trace_transaction(self, tx_hash: bytes) -> tuple[CallFrame | None, Outcome, Receipt] | None:
        """Re-run a mined transaction with a call tracer: (its call tree, the re-run's outcome, its receipt).

        The block's earlier transactions run first on the state before the
        block, so the state must still be kept (StateNotKept otherwise). None if
        the transaction is unknown or still pending. The re-run's gas should equal
        the receipt's; if a contract class changed since, it need not.
        """
        found = self.store.tx(bytes(tx_hash).hex())
        if found is None:
            return None
        receipt = Receipt.from_json(found[1])
        number = receipt.block_number
        if number - 1 < self._oldest:
            raise StateNotKept(
                f"cannot trace a transaction of block {number}: the state before it is not kept (this node keeps "
                f"the latest block's and up to {HISTORY_BLOCKS} before it, now blocks "
                f"{self._oldest}..{self._head.number})"
            )
        block = self._load_block(number)
        env = Env(
            block_number=number, timestamp=block.timestamp, chain_id=self.chain_id, coinbase=block.miner,
            base_fee=block.base_fee, block_gas_limit=block.gas_limit,
        )
        world = self.world
        with self._state_at(number - 1):
            for tx_json, receipt_json in self.store.txs_of_block(number)[: receipt.tx_index + 1]:
                tx = tx_from_json(tx_json)
                price = receipt_json["effective_gas_price"]
                msg = Message(
                    sender=tx.sender, to=tx.to, value=tx.value, data=tx.data, gas=tx.gas,
                    gas_price=price, nonce=tx.nonce, access_list=tx.access_list,
                )
                tracer = CallTracer() if tx.hash == receipt.tx_hash else None
                world.tracer = tracer
                try:
                    outcome = apply_message(world, replace(env, origin=tx.sender, gas_price=price), msg)
                finally:
                    world.tracer = None
        assert tracer is not None
        return tracer.root, outcome, receipt


__all__ = [
    "COINBASE",
    "HISTORY_BLOCKS",
    "StateCommitment",
    "StateNotKept",
    "Block",
    "Chain",
    "INVALID_INPUT",
    "INVALID_PARAMS",
    "Log",
    "Receipt",
    "Reverted",
    "Transaction",
    "TxRejected",
    "load_contract_classes",
    "logs_bloom",
    "next_base_fee",
]
