"""Presets of the payment-channel adjudicator: one table, a small one for tests, a realistic one.

Windows are counted in L1 blocks, as Raiden counts them; the adjudicator also
waits one 12-second slot per block (``optimistic.params.SECONDS_PER_SLOT``),
so blocks mined faster than real time cannot shorten a settlement window.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts_spec.optimistic.params import SECONDS_PER_SLOT

# Pending locks one balance proof may commit to, so that unlocking all of them
# on L1 always fits in one block (Raiden's MAXIMUM_PENDING_TRANSFERS).
MAX_LOCKS_PER_CHANNEL = 160

__all__ = ["MAINNET", "MAX_LOCKS_PER_CHANNEL", "MINIMAL", "PRESETS", "SECONDS_PER_SLOT", "ChannelPreset",
           "get_preset"]


@dataclass(frozen=True)
class ChannelPreset:
    """Parameters the adjudicator is deployed with and every peer reads back."""

    name: str
    # Bounds on the settlement window (L1 blocks) a channel may be opened with.
    settle_timeout_min: int
    settle_timeout_max: int
    # The window a peer opens channels with unless told otherwise.
    default_settle_timeout: int
    # Blocks before a lock's expiration by which a peer that knows the secret
    # registers it on L1 if its partner has not unlocked off-chain; per-hop
    # expiries shrink by at least this much along a path (peers' rule, not L1's).
    reveal_timeout: int
    # Pending locks per balance proof (and so per on-chain unlock).
    max_locks: int = MAX_LOCKS_PER_CHANNEL
    # Blocks (and as many slots) a user's planned withdrawal from the MonitoringService waits, so
    # watchtowers see it coming before they rely on the reward it would take away.
    reward_withdraw_delay: int = 100

    def __post_init__(self) -> None:
        if not 0 < self.settle_timeout_min <= self.default_settle_timeout <= self.settle_timeout_max:
            raise ValueError(f"preset {self.name}: need 0 < settle_timeout_min <= default <= max")
        if not 0 < 2 * self.reveal_timeout <= self.settle_timeout_min:
            raise ValueError(f"preset {self.name}: the reveal timeout must fit twice in the shortest window")
        if not 0 < self.max_locks <= MAX_LOCKS_PER_CHANNEL:
            raise ValueError(f"preset {self.name}: max_locks must be in 1..{MAX_LOCKS_PER_CHANNEL}")

    def settle_seconds(self, settle_timeout: int) -> int:
        """Seconds a window of ``settle_timeout`` blocks also lasts: one slot per block."""
        return settle_timeout * SECONDS_PER_SLOT

    def constructor_args(self, secret_registry: str) -> tuple:
        """The adjudicator's constructor arguments for this preset."""
        return (secret_registry, self.settle_timeout_min, self.settle_timeout_max, self.max_locks)

    def monitoring_args(self, adjudicator: str) -> tuple:
        """The MonitoringService's constructor arguments for this preset."""
        return (adjudicator, self.reward_withdraw_delay)


# Tests and workshops: windows of 10..200 blocks, so a dispute is walked through in seconds.
MINIMAL = ChannelPreset(
    name="minimal",
    settle_timeout_min=10,
    settle_timeout_max=200,
    default_settle_timeout=20,
    reveal_timeout=3,
    reward_withdraw_delay=40,
)

# Raiden's mainnet defaults: a 500-block window (about 100 minutes), a 50-block reveal timeout,
# and windows up to 555,428 blocks (about 3 months).
MAINNET = ChannelPreset(
    name="mainnet",
    settle_timeout_min=500,
    settle_timeout_max=555_428,
    default_settle_timeout=500,
    reveal_timeout=50,
)

PRESETS = {p.name: p for p in (MINIMAL, MAINNET)}


def get_preset(name: str) -> ChannelPreset:
    """The preset called ``name``, or a ValueError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}: choose one of {sorted(PRESETS)}") from None
