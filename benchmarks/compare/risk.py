"""The risk view of every scheme l2lab has, in the five categories L2BEAT uses.

L2BEAT rates a scaling system by what a user relies on: who checks the state
(state validation), where the data to rebuild it lives (data availability),
how long a user has to leave before the rules can change under them (exit
window), and what a user can do when the sequencer or the proposer stops or
censors (sequencer failure, proposer failure). Each cell here says the same
of l2lab's own implementation: a short verdict, a level for colour, one line
of reason that is true of this code, and the ``l2lab demo`` that shows it
happen (``None`` where no demo does; ``test`` then names the test that does).

The figures in the verdicts are read from the schemes' mainnet-like presets
(the benchmark presets for the zk-rollup), so a changed preset changes the
view. The levels follow L2BEAT's own reading of the same mechanisms: fraud
proofs anyone may send and validity proofs are good, data held only by an
operator is bad, self-sequencing with a delay is good, one that needs a bond
is a warning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from contracts_spec.channels.params import MAINNET as CHANNELS
from contracts_spec.optimistic.params import MAINNET as OPTIMISTIC
from contracts_spec.optimistic.params import SECONDS_PER_SLOT, WEI_PER_ETH
from contracts_spec.plasma.params import MAINNET as PLASMA
from contracts_spec.zk.params import BENCH64 as ZK

CATEGORIES = ("state_validation", "data_availability", "exit_window", "sequencer_failure", "proposer_failure")
CATEGORY_TITLES = {
    "state_validation": "State validation",
    "data_availability": "Data availability",
    "exit_window": "Exit window",
    "sequencer_failure": "Sequencer failure",
    "proposer_failure": "Proposer failure",
}
LEVELS = ("good", "warning", "bad")
SCHEMES = ("l1", "optimistic", "optimistic-bisection", "zk", "plasma", "channels")
SCHEME_TITLES = {
    "l1": "L1 (baseline)",
    "optimistic": "Optimistic rollup (1-round proof)",
    "optimistic-bisection": "Optimistic rollup (bisection)",
    "zk": "zk-rollup (Groth16)",
    "plasma": "Plasma MVP + MoreVP",
    "channels": "Payment channels",
}


@dataclass(frozen=True)
class RiskCell:
    """One scheme in one category: what it is, how good, why, and where to watch it."""

    verdict: str
    level: str
    reason: str
    demo: str | None = None  # `l2lab demo NAME` that shows it
    test: str | None = None  # a test that shows it, where no demo does

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"risk level {self.level!r} is not one of {LEVELS}")

    @property
    def command(self) -> str | None:
        """The command that shows this cell, or None."""
        return f"l2lab demo {self.demo}" if self.demo else None

    def to_dict(self) -> dict:
        return {**asdict(self), "command": self.command}


def _span(seconds: int, adjective: bool = False) -> str:
    """A protocol window in the unit people say it in: "7 days", "3.5 days", "100 min" ("7-day" before a noun)."""
    if seconds % 43_200 == 0:
        days = seconds / 86_400
        number = f"{days:g}"
        return f"{number}-day" if adjective else f"{number} day" + ("" if days == 1 else "s")
    if seconds % 3_600 == 0:
        return f"{seconds // 3_600}-hour" if adjective else f"{seconds // 3_600} h"
    return f"{seconds / 60:,.0f}-minute" if adjective else f"{seconds / 60:,.0f} min"


def _blocks(blocks: int) -> str:
    """A deadline counted in blocks and as many 12-second slots."""
    return f"{blocks:,} blocks and as many {SECONDS_PER_SLOT}-s slots ({_span(blocks * SECONDS_PER_SLOT)})"


_WINDOW = _span(OPTIMISTIC.challenge_window)
_WINDOW_ADJ = _span(OPTIMISTIC.challenge_window, adjective=True)
_BOND = f"{OPTIMISTIC.min_bond // WEI_PER_ETH} ETH"
_IMMUTABLE = "the L1 contract has no owner, no pause and no upgrade path, so no rule can change under a user"


def _optimistic(interactive: bool) -> dict[str, RiskCell]:
    if interactive:
        state = RiskCell(
            "fraud proofs (interactive)", "good",
            f"any challenger bonds and opens a dispute within the {_WINDOW_ADJ} window; about log2(n) bisect/choose "
            f"rounds on {_span(OPTIMISTIC.move_clock, adjective=True)} chess clocks narrow it to one step, which L1 re-runs",
            demo="optimistic-bisection")
    else:
        state = RiskCell(
            "fraud proofs (1 round)", "good",
            f"anyone may call prove_fraud within the {_WINDOW_ADJ} window with one entry, its Merkle path and "
            "witnesses; L1 re-runs that step (~120k gas, whatever the batch size) and slashes the proposer",
            demo="optimistic-fraud")
    return {
        "state_validation": state,
        "data_availability": RiskCell(
            "on chain (calldata)", "good",
            "every batch's transactions are submit_batch calldata and L1 keeps only their hash; "
            "a fresh full node rebuilds the L2 state from L1 alone, root for root",
            demo="optimistic"),
        "exit_window": RiskCell(
            f"∞ (no upgrades); exits take {_WINDOW}", "good",
            f"{_IMMUTABLE}; a withdrawal is paid once its batch's {_WINDOW_ADJ} challenge window has passed",
            demo="optimistic"),
        "sequencer_failure": RiskCell(
            f"self-sequence after an overdue deposit ({_BOND} bond)", "warning",
            f"a deposit left out for {_blocks(OPTIMISTIC.deposit_deadline_blocks)} must be in the next batch, "
            f"and until it is, any address bonded with {_BOND} may post batches itself, which may carry signed "
            "transactions such as its own withdrawal; there is no L1 queue for other transactions"
            + ("; the poster then answers any dispute against her batch (`l2lab optimistic defend`)"
               if interactive else ""),
            demo="optimistic-censorship"),
        "proposer_failure": RiskCell(
            f"self-propose after an overdue deposit ({_BOND} bond)", "warning",
            "only the operator posts while no deposit is overdue; then any bonded address may; after a won "
            "fraud proof any bonded address re-proposes the true claims, so an absent operator freezes nothing",
            demo="optimistic-fraud"),
    }


def _zk() -> dict[str, RiskCell]:
    deadline = _blocks(ZK.deposit_deadline_blocks)
    return {
        "state_validation": RiskCell(
            "ZK proofs (Groth16)", "warning",
            "L1 verifies a Groth16 proof of every batch with the BN254 precompiles before its root moves on; "
            "the setup is a single-party development ceremony derived from a seed, so its keeper could forge one",
            demo="zk-invalid-batch"),
        "data_availability": RiskCell(
            "on chain (pubdata)", "good",
            f"each batch's pubdata ({2 * ZK.index_bytes + 5} bytes a transfer) is calldata whose SHA-256 is a "
            "public input of the proof; a full node rebuilds the tree from it and the DepositQueued events",
            demo="zk-censorship"),
        "exit_window": RiskCell(
            "∞ (no upgrades); exits at once", "good",
            f"{_IMMUTABLE}; a withdrawal is claimable on L1 as soon as its batch's proof verifies",
            demo="zk"),
        "sequencer_failure": RiskCell(
            "force via L1 (request_exit)", "good",
            f"an owner queues a full exit on L1; a batch must pay it out within {deadline}, "
            "or anyone may start exodus mode",
            demo="zk-censorship"),
        "proposer_failure": RiskCell(
            "escape hatch (Merkle exit)", "good",
            "only the operator commits batches; once it misses a deadline, exodus lets every account exit with a "
            "Merkle proof against the last verified root (no prover needed) and refunds unprocessed deposits",
            demo="zk-censorship"),
    }


def _plasma() -> dict[str, RiskCell]:
    period = _span(PLASMA.exit_period_seconds)
    period_adj = _span(PLASMA.exit_period_seconds, adjective=True)
    return {
        "state_validation": RiskCell(
            "exits only (exit game)", "bad",
            "L1 checks no child block; watchers check every block, challenge an exit of a spent output "
            f"within the {period_adj} exit period, and answer an invalid block by exiting first",
            demo="plasma-double-spend"),
        "data_availability": RiskCell(
            "operator only (off chain)", "bad",
            "L1 holds one 32-byte root per block; a block the operator withholds is caught by the watcher's "
            "deadline, which then exits every output its owner holds, oldest first",
            demo="plasma-withheld"),
        "exit_window": RiskCell(
            f"∞ (no upgrades); exits take {period}+", "good",
            f"{_IMMUTABLE}; an output exits no sooner than two {period_adj} periods after its block and one after "
            "its exit starts",
            demo="plasma"),
        "sequencer_failure": RiskCell(
            "no forced inclusion: exit to L1", "warning",
            "the operator alone makes blocks and nothing forces a transaction in; a censored owner exits its "
            "outputs on L1, a payment stuck in a withheld block by an in-flight exit (MoreVP)",
            demo="plasma-in-flight"),
        "proposer_failure": RiskCell(
            "exit from your own copy", "warning",
            "if the operator stops, owners exit with the blocks their watcher validated and kept "
            "(218 bytes a transaction) and the roots on L1; the exit period must fit the whole mass exit",
            demo="plasma-withheld"),
    }


def _channels() -> dict[str, RiskCell]:
    window = f"{CHANNELS.default_settle_timeout:,}-block"
    window_time = _span(CHANNELS.settle_seconds(CHANNELS.default_settle_timeout))
    return {
        "state_validation": RiskCell(
            "signed balance proofs + dispute", "warning",
            f"a close with a stale proof is answered within the {window} settlement window ({window_time}) by "
            "the partner's newer proof; only the partner or the watchtower it hired can answer",
            demo="channels-stale-close"),
        "data_availability": RiskCell(
            "each peer's own log", "good",
            "a close needs only the partner's latest signed balance proof, which a peer logs (fsynced) as it "
            "receives it and may hand a watchtower; nobody else can withhold it",
            demo="channels-watchtower"),
        "exit_window": RiskCell(
            f"∞ (no upgrades); exits at once or {window_time}", "good",
            f"{_IMMUTABLE}; a co-signed settle pays at once, a one-sided close after the {window} window "
            f"({window_time})",
            demo="channels"),
        "sequencer_failure": RiskCell(
            "no operator: close on L1", "good",
            "payments need only the two peers (and mediators on a path); a mediator that goes offline mid-payment "
            "leaves locks the payee claims on L1 by registering the secret in time",
            demo="channels-mediator-offline"),
        "proposer_failure": RiskCell(
            "nothing to propose: settle on L1", "good",
            "no one proposes state for others; either participant closes with the partner's latest proof, and "
            "after the window anyone may send the settle",
            demo="channels-stale-close"),
    }


def _l1() -> dict[str, RiskCell]:
    return {
        "state_validation": RiskCell(
            "every node re-executes", "good",
            "each transfer is a plain L1 transaction that every L1 node executes and checks"),
        "data_availability": RiskCell(
            "on chain", "good", "each transfer is its own L1 transaction, kept in L1's blocks"),
        "exit_window": RiskCell(
            "nothing to exit", "good", "the ETH never leaves L1: there is no bridge whose rules could change"),
        "sequencer_failure": RiskCell(
            "L1 block builders", "good",
            "no operator stands between a user and L1: any block builder includes the transfer"),
        "proposer_failure": RiskCell(
            "no proposer", "good", "there is no L2 state root for anyone to stop posting"),
    }


def risk_view() -> dict[str, dict[str, RiskCell]]:
    """Every scheme's five cells, by scheme name then category."""
    return {
        "l1": _l1(),
        "optimistic": _optimistic(interactive=False),
        "optimistic-bisection": _optimistic(interactive=True),
        "zk": _zk(),
        "plasma": _plasma(),
        "channels": _channels(),
    }


def demos_named(view: dict[str, dict[str, RiskCell]] | None = None) -> set[str]:
    """The demo names the risk view points to."""
    view = risk_view() if view is None else view
    return {cell.demo for cells in view.values() for cell in cells.values() if cell.demo}


def to_json(view: dict[str, dict[str, RiskCell]] | None = None) -> dict:
    """The risk view as plain data: categories, levels, and each scheme's cells."""
    view = risk_view() if view is None else view
    return {
        "source": "the five categories of L2BEAT's risk view, applied to l2lab's own implementation",
        "categories": {c: CATEGORY_TITLES[c] for c in CATEGORIES},
        "levels": list(LEVELS),
        "schemes": {scheme: {c: cells[c].to_dict() for c in CATEGORIES} for scheme, cells in view.items()},
    }
