"""Presets of the Plasma MVP root chain: one table, a small one for tests, a realistic one.

The exit period is counted in L1 blocks *and* in seconds, one 12-second slot
per block (``optimistic.params.SECONDS_PER_SLOT``), as the other schemes'
windows are: blocks are cheap on a chain that mines on demand, so mining fast
cannot end a period early, and seconds alone would move with every step of
the workshop's time travel.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts_spec.optimistic.params import SECONDS_PER_SLOT, WEI_PER_ETH

# Operator blocks are numbered 1000, 2000, ...; up to 999 one-transaction deposit
# blocks fit between two of them (Plasma MVP's CHILD_BLOCK_INTERVAL).
CHILD_BLOCK_INTERVAL = 1_000
MAX_DEPOSITS_PER_INTERVAL = CHILD_BLOCK_INTERVAL - 1
# Exits one finalize_exits call may process, so the call always fits in a 30M-gas block
# (about 100k gas per exit from a queue of 10,000).
MAX_FINALIZE_PER_CALL = 128

__all__ = ["CHILD_BLOCK_INTERVAL", "MAINNET", "MAX_DEPOSITS_PER_INTERVAL", "MAX_FINALIZE_PER_CALL", "MINIMAL",
           "PRESETS", "SECONDS_PER_SLOT", "PlasmaPreset", "get_preset", "in_flight_bonds"]


def in_flight_bonds(exit_bond: int) -> tuple[int, int]:
    """The bonds of MoreVP's in-flight exits, from the deployment's exit bond: ``(in_flight, piggyback)``.

    Starting an in-flight exit is bonded like a standard exit (``exit_bond``):
    it pays for the statements about the transaction's canonicity, and goes
    to whoever made the last one that stood (the exit's starter when there
    was none, a challenger, a responder). A piggyback on one of its inputs
    or outputs is bonded with three quarters of that, as OMG sizes its
    piggyback bond beside its in-flight exit bond (the gas of the
    challenges each pays for, 140,000 to 185,000); it is returned unless a
    challenge shows the input or output spent.
    """
    return exit_bond, max(1, exit_bond * 3 // 4)


@dataclass(frozen=True)
class PlasmaPreset:
    """Parameters the root chain is deployed with and every actor reads back."""

    name: str
    # The minimum exit period, in L1 blocks; it also lasts as many slots of seconds.
    # An output exits no sooner than two periods after its block landed and one
    # period after its exit started (rules.exitable_at).
    exit_period_blocks: int
    # Wei an exit is bonded with: returned when it finalizes, paid to whoever challenges it. The in-flight
    # exits' bonds follow from it (in_flight_bonds).
    exit_bond: int
    # Cap on the exits one finalize_exits call processes.
    max_finalize: int = MAX_FINALIZE_PER_CALL

    def __post_init__(self) -> None:
        if not 0 < self.exit_period_blocks < 2**32:
            raise ValueError(f"preset {self.name}: exit_period_blocks must be in 1..2**32-1")
        if not 0 < self.exit_bond < 2**96:
            raise ValueError(f"preset {self.name}: exit_bond must be in 1..2**96-1 wei")
        if not 0 < self.max_finalize <= MAX_FINALIZE_PER_CALL:
            raise ValueError(f"preset {self.name}: max_finalize must be in 1..{MAX_FINALIZE_PER_CALL}")

    @property
    def exit_period_seconds(self) -> int:
        """Seconds the exit period lasts besides its blocks: one slot per block."""
        return self.exit_period_blocks * SECONDS_PER_SLOT

    @property
    def in_flight_bond(self) -> int:
        """Wei an in-flight exit is bonded with (``in_flight_bonds``)."""
        return in_flight_bonds(self.exit_bond)[0]

    @property
    def piggyback_bond(self) -> int:
        """Wei a piggyback on an in-flight exit is bonded with (``in_flight_bonds``)."""
        return in_flight_bonds(self.exit_bond)[1]

    def constructor_args(self, operator: str) -> tuple:
        """The RootChain's constructor arguments for this preset."""
        return (operator, self.exit_period_blocks, self.exit_period_seconds, self.exit_bond, self.max_finalize)


# Tests and workshops: a 5-block (60-second) period, so an output exits 10 blocks and 2 minutes
# after its block at the earliest.
MINIMAL = PlasmaPreset(
    name="minimal",
    exit_period_blocks=5,
    exit_bond=WEI_PER_ETH // 100,
)

# Plasma MVP's figures: a one-week period, so an output exits two weeks after its block at the
# earliest and one week after its exit started (50,400 slots of 12 seconds is a week).
MAINNET = PlasmaPreset(
    name="mainnet",
    exit_period_blocks=7 * 24 * 3600 // SECONDS_PER_SLOT,
    exit_bond=WEI_PER_ETH // 10,
)

PRESETS = {p.name: p for p in (MINIMAL, MAINNET)}


def get_preset(name: str) -> PlasmaPreset:
    """The preset called ``name``, or a ValueError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}: choose one of {sorted(PRESETS)}") from None
