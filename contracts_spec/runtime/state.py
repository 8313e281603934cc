"""World state with a journal: accounts, contract code and storage.

Every write records how to undo it, so a reverted call (or a whole failed
transaction) rolls back to a checkpoint in time proportional to what it
wrote. The per-transaction sets EIP-2929 needs (warm accounts and slots), the
original slot values EIP-2200 prices against, the refund counter and the
logs live here too and are journaled the same way: a reverted call also
forgets what it warmed, refunded and logged, as on Ethereum.

``dirty_accounts`` and ``dirty_slots`` collect what changed since the owner
last persisted, so the node writes only that to disk.

Two optional observers cost nothing while unset: ``accessed``, a pair of
sets that collects every account and slot first warmed while it is set,
reverted frames included (what ``eth_createAccessList`` reports), and
``tracer``, which ``execute`` tells of every call frame (``trace.CallTracer``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Log:
    """One emitted event: the emitting address, 0..4 topics, the data."""

    address: str
    topics: list[bytes]
    data: bytes


@dataclass
class WorldState:
    """Balances, nonces, code (contract name) and storage, with undo."""

    balances: dict[str, int] = field(default_factory=dict)
    nonces: dict[str, int] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)
    storage: dict[str, dict[int, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.journal: list[tuple] = []
        self.dirty_accounts: set[str] = set()
        self.dirty_slots: set[tuple[str, int]] = set()
        self.accessed: tuple[set[str], set[tuple[str, int]]] | None = None
        self.tracer: Any = None
        self.begin_transaction()

    # -- transaction scope ---------------------------------------------------

    def begin_transaction(self) -> None:
        """Start a transaction: cold everything, no refund, no logs.

        The journal is kept, so a whole block can still be undone until the
        owner calls ``commit`` (after persisting it).
        """
        self.warm_accounts: set[str] = set()
        self.warm_slots: set[tuple[str, int]] = set()
        self.original: dict[tuple[str, int], int] = {}
        self.refund = 0
        self.logs: list[Log] = []

    def commit(self) -> None:
        """Forget the undo information: what is written stays written."""
        self.journal.clear()

    def checkpoint(self) -> int:
        """A point to roll back to."""
        return len(self.journal)

    def rollback(self, checkpoint: int) -> None:
        """Undo every change made since ``checkpoint``, newest first."""
        journal = self.journal
        while len(journal) > checkpoint:
            entry = journal.pop()
            kind = entry[0]
            if kind == "bal":
                _restore(self.balances, entry[1], entry[2])
            elif kind == "nonce":
                _restore(self.nonces, entry[1], entry[2])
            elif kind == "slot":
                slots = self.storage.setdefault(entry[1], {})
                _restore(slots, entry[2], entry[3])
            elif kind == "code":
                _restore(self.code, entry[1], entry[2])
            elif kind == "warm_acct":
                self.warm_accounts.discard(entry[1])
            elif kind == "warm_slot":
                self.warm_slots.discard(entry[1])
            elif kind == "refund":
                self.refund = entry[1]
            elif kind == "log" and self.logs:
                self.logs.pop()

    # -- accounts --------------------------------------------------------------

    def get_balance(self, address: str) -> int:
        return self.balances.get(address, 0)

    def set_balance(self, address: str, value: int) -> None:
        if value < 0:
            raise ValueError(f"negative balance for {address}")
        self.journal.append(("bal", address, self.balances.get(address)))
        self.balances[address] = value
        self.dirty_accounts.add(address)

    def add_balance(self, address: str, delta: int) -> None:
        self.set_balance(address, self.get_balance(address) + delta)

    def get_nonce(self, address: str) -> int:
        return self.nonces.get(address, 0)

    def set_nonce(self, address: str, value: int) -> None:
        self.journal.append(("nonce", address, self.nonces.get(address)))
        self.nonces[address] = value
        self.dirty_accounts.add(address)

    def get_code(self, address: str) -> str | None:
        """The contract name deployed at ``address``, or None for an EOA."""
        return self.code.get(address)

    def set_code(self, address: str, name: str) -> None:
        self.journal.append(("code", address, self.code.get(address)))
        self.code[address] = name
        self.dirty_accounts.add(address)

    def is_empty(self, address: str) -> bool:
        """EIP-161 emptiness: no balance, no nonce, no code."""
        return not self.get_balance(address) and not self.get_nonce(address) and address not in self.code

    # -- storage ------------------------------------------------------------------

    def get_storage(self, address: str, slot: int) -> int:
        slots = self.storage.get(address)
        return slots.get(slot, 0) if slots else 0

    def original_storage(self, address: str, slot: int) -> int:
        """The slot's value when this transaction began (EIP-2200)."""
        key = (address, slot)
        if key not in self.original:
            self.original[key] = self.get_storage(address, slot)
        return self.original[key]

    def set_storage(self, address: str, slot: int, value: int) -> None:
        self.original_storage(address, slot)  # pin the original before the first write
        slots = self.storage.setdefault(address, {})
        self.journal.append(("slot", address, slot, slots.get(slot)))
        if value:
            slots[slot] = value
        else:
            slots.pop(slot, None)
        self.dirty_slots.add((address, slot))

    # -- EIP-2929 access sets, refunds, logs ------------------------------------

    def warm_account(self, address: str) -> bool:
        """Mark ``address`` warm; True if it was cold (the caller pays the cold price)."""
        if address in self.warm_accounts:
            return False
        self.warm_accounts.add(address)
        self.journal.append(("warm_acct", address))
        if self.accessed is not None:
            self.accessed[0].add(address)
        return True

    def warm_slot(self, address: str, slot: int) -> bool:
        """Mark a slot warm; True if it was cold."""
        key = (address, slot)
        if key in self.warm_slots:
            return False
        self.warm_slots.add(key)
        self.journal.append(("warm_slot", key))
        if self.accessed is not None:
            self.accessed[1].add(key)
        return True

    def add_refund(self, delta: int) -> None:
        if delta:
            self.journal.append(("refund", self.refund))
            self.refund += delta

    def add_log(self, log: Log) -> None:
        self.journal.append(("log",))
        self.logs.append(log)

    # -- snapshots -----------------------------------------------------------------

    def copy_state(self) -> tuple[dict, dict, dict, dict]:
        """A deep-enough copy of the persistent state (for chain snapshots)."""
        return (
            dict(self.balances),
            dict(self.nonces),
            dict(self.code),
            {a: dict(s) for a, s in self.storage.items()},
        )

    def restore_state(self, copy: tuple[dict, dict, dict, dict]) -> None:
        """Replace the persistent state by a ``copy_state`` result."""
        balances, nonces, code, storage = copy
        self.balances, self.nonces, self.code = dict(balances), dict(nonces), dict(code)
        self.storage = {a: dict(s) for a, s in storage.items()}
        self.journal.clear()
        self.begin_transaction()


def _restore(mapping: dict, key: object, old: object) -> None:
    if old is None:
        mapping.pop(key, None)
    else:
        mapping[key] = old
