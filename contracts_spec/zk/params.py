"""Presets of the zk-rollup: the tree depth, the batch's slots and the deposit deadline.

A batch circuit has a fixed shape: ``deposit_slots`` slots that process
queued L1 deposits, then ``transfer_slots`` transfer slots, then
``withdraw_slots`` withdrawal slots; an unused slot is padding. The shape is
part of the circuit, so each preset has its own proving and verifying keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts_spec.optimistic.params import SECONDS_PER_SLOT, WEI_PER_ETH

# Bits of an L2 balance: a leaf's balance is always < 2**128 (the circuit range-checks it).
BALANCE_BITS = 128
# Bits of one deposit: < 2**96 wei (79 billion ETH), so an account index and an amount
# pack into one field element of the deposit chain.
DEPOSIT_BITS = 96
# Bits of a withdrawal's amount in pubdata (exact wei, 16 bytes) and of an L1 address.
WITHDRAW_AMOUNT_BITS = 128
ADDRESS_BITS = 160


@dataclass(frozen=True)
class ZkPreset:
    """Parameters the L1 contract is deployed with and every actor reads back."""

    name: str
    # Bits of an account index: 2**depth_bits leaves, a 4-ary tree of depth_bits // 2 levels.
    depth_bits: int
    deposit_slots: int
    transfer_slots: int
    withdraw_slots: int
    # L1 blocks (and as many 12-second slots) a queued deposit may wait before
    # every batch must include it; past that, anyone may start exodus mode.
    deposit_deadline_blocks: int

    def __post_init__(self) -> None:
        if self.depth_bits % 2 or not 2 <= self.depth_bits <= 32:
            raise ValueError(f"depth_bits {self.depth_bits} must be even and in 2..32")
        if not 1 <= self.deposit_slots <= 255:
            raise ValueError(f"deposit_slots {self.deposit_slots} must be in 1..255 (one byte counts them)")
        if self.transfer_slots < 1 or self.withdraw_slots < 1:
            raise ValueError("a batch needs at least one transfer slot and one withdrawal slot")

    @property
    def levels(self) -> int:
        return self.depth_bits // 2

    @property
    def capacity(self) -> int:
        return 1 << self.depth_bits

    @property
    def index_bytes(self) -> int:
        """Bytes of an account index in pubdata."""
        return (self.depth_bits + 7) // 8

    @property
    def deposit_deadline_seconds(self) -> int:
        return self.deposit_deadline_blocks * SECONDS_PER_SLOT

    @property
    def shape(self) -> str:
        """The circuit's shape, as key files and row names spell it."""
        return f"d{self.depth_bits}-dep{self.deposit_slots}-tx{self.transfer_slots}-wd{self.withdraw_slots}"

    def constructor_args(self, operator: str) -> tuple:
        return (operator, self.depth_bits, self.deposit_slots, self.transfer_slots, self.withdraw_slots,
                self.deposit_deadline_blocks)


# Tests and workshops: 256 accounts, 2 deposits, 4 transfers and 1 withdrawal per batch.
SMALL = ZkPreset(name="small", depth_bits=8, deposit_slots=2, transfer_slots=4, withdraw_slots=1,
                 deposit_deadline_blocks=5)

# Benchmarks: 2**24 accounts; batches of 16, 64 and 256 transfers.
BENCH16 = ZkPreset(name="bench16", depth_bits=24, deposit_slots=2, transfer_slots=16, withdraw_slots=2,
                   deposit_deadline_blocks=7200)
BENCH64 = ZkPreset(name="bench64", depth_bits=24, deposit_slots=4, transfer_slots=64, withdraw_slots=4,
                   deposit_deadline_blocks=7200)
BENCH256 = ZkPreset(name="bench256", depth_bits=24, deposit_slots=8, transfer_slots=256, withdraw_slots=8,
                    deposit_deadline_blocks=7200)

PRESETS = {p.name: p for p in (SMALL, BENCH16, BENCH64, BENCH256)}


def preset_of_config(config: tuple[int, int, int, int, int]) -> ZkPreset:
    """The preset a deployed contract's ``config()`` describes: a known one when it matches, else a new one."""
    depth, dep, tx, wd, deadline = config
    for p in PRESETS.values():
        if (p.depth_bits, p.deposit_slots, p.transfer_slots, p.withdraw_slots, p.deposit_deadline_blocks) == config:
            return p
    return ZkPreset(name="deployed", depth_bits=depth, deposit_slots=dep, transfer_slots=tx, withdraw_slots=wd,
                    deposit_deadline_blocks=deadline)


def get_preset(name: str) -> ZkPreset:
    """The preset called ``name``, or a ValueError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown zk preset {name!r}: choose one of {sorted(PRESETS)}") from None


__all__ = ["ADDRESS_BITS", "BALANCE_BITS", "DEPOSIT_BITS", "PRESETS", "WEI_PER_ETH", "WITHDRAW_AMOUNT_BITS",
           "ZkPreset", "get_preset", "preset_of_config"]
