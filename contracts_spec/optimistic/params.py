"""Presets of the optimistic rollup: one table, a small one for tests, a realistic one.

Everything that differs between a workshop run and a mainnet-like deployment
lives here, so the rules themselves take a preset and never a magic number.
"""

from __future__ import annotations

from dataclasses import dataclass

WEI_PER_ETH = 10**18
# Seconds per Ethereum slot (consensus-specs, SECONDS_PER_SLOT): a block deadline also waits
# this many seconds per block, so blocks mined faster than a slot cannot run it out.
SECONDS_PER_SLOT = 12


@dataclass(frozen=True)
class Preset:
    """Parameters the L1 contract is deployed with and every actor reads back."""

    name: str
    # Depth of the account tree: 2**depth account indices.
    tree_depth: int
    # Seconds after a batch is posted during which a fraud proof may revert it.
    challenge_window: int
    # L1 blocks a queued deposit may wait before a batch must include it and
    # any bonded address may force it in; the deadline passes only once these
    # blocks *and* as many slots of seconds (``deposit_deadline_seconds``) have.
    deposit_deadline_blocks: int
    # Wei a proposer must have bonded to post a batch.
    min_bond: int
    # Share of a slashed bond paid to the challenger, in percent; the rest is burned.
    challenger_reward_percent: int
    # Bytes of batch data per submit_batch, so a batch and its fraud proof fit
    # in one L1 transaction (the toy L1 caps raw transactions at 128 KiB).
    max_batch_bytes: int
    # Seconds each party of a bisection dispute may spend on its moves in
    # total (a chess clock); who runs out loses (``bisection``).
    move_clock: int = 600

    @property
    def deposit_deadline_seconds(self) -> int:
        """Seconds the deposit deadline waits besides its blocks: one slot per block."""
        return self.deposit_deadline_blocks * SECONDS_PER_SLOT

    def constructor_args(self, operator: str) -> tuple:
        """The L1 contract's constructor arguments for this preset."""
        return (
            operator,
            self.tree_depth,
            self.challenge_window,
            self.deposit_deadline_blocks,
            self.min_bond,
            self.challenger_reward_percent,
            self.max_batch_bytes,
        )

    def bisection_args(self, operator: str) -> tuple:
        """The bisection-game contract's constructor arguments: the above and the move clock."""
        return (*self.constructor_args(operator), self.move_clock)


# Tests and workshops: a 256-account tree, a 60-second window, deposits due in 5 blocks and 60 s.
MINIMAL = Preset(
    name="minimal",
    tree_depth=8,
    challenge_window=60,
    deposit_deadline_blocks=5,
    min_bond=1 * WEI_PER_ETH,
    challenger_reward_percent=50,
    max_batch_bytes=120_000,
    move_clock=600,
)

# Mainnet-like: 2**32 accounts and the 7-day window optimistic rollups use in production.
MAINNET = Preset(
    name="mainnet",
    tree_depth=32,
    challenge_window=7 * 24 * 3600,
    deposit_deadline_blocks=7200,  # a day of 12-second slots
    min_bond=10 * WEI_PER_ETH,
    challenger_reward_percent=50,
    max_batch_bytes=120_000,
    move_clock=int(3.5 * 24 * 3600),  # the OP Stack fault-dispute game gives each side 3.5 days
)

PRESETS = {p.name: p for p in (MINIMAL, MAINNET)}


def get_preset(name: str) -> Preset:
    """The preset called ``name``, or a ValueError listing the known ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown preset {name!r}: choose one of {sorted(PRESETS)}") from None
