"""Published figures of production systems, shown beside l2lab's measurements and never mixed with them.

Each row is a figure a project published about itself, with where it was
published and what version, date and conditions it refers to: those differ
from l2lab's (older gas limits and prices, 13-second blocks, other
transaction types), so a row is a landmark, not a measurement of the same
thing. ``kind`` is the l2lab scheme the system is an instance of, so a
reader can find the row to hold it against. Figures that no primary source
gives are left out: Raiden's payments per second, for one, is not here.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from benchmarks.compare.risk import SCHEMES

_KEY = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
_METRIC = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")
DAY = 86_400

LOOPRING_DESIGN = ("Loopring 3.0 design document, section 'Throughput': "
                   "https://github.com/Loopring/protocols/blob/master/packages/loopring_v3/DESIGN.md")
ZKSYNC_SPEED = ("zkSync FAQ, 'Speed': https://zksync.io/faq/speed.html "
                "(matter-labs/zksync-lite-docs, docs/faq/speed.md)")
ZKSYNC_FEES = ("zkSync FAQ, 'Tokens and fees': https://zksync.io/faq/tokens.html "
               "(matter-labs/zksync-lite-docs, docs/faq/tokens.md)")
HERMEZ_DOCS = ("Hermez 1.0 documentation, 'Ethereum Scalability and zk-Rollups': "
               "https://docs.hermez.io/Hermez_1.0/about/scalability/ (hermeznetwork/docs, docs/about/scalability.md)")
OPTIMISM_FEES = ("Optimism community docs, 'Transaction Fees in OVM 2.0': "
                 "https://community.optimism.io/docs/users/fees-2.0.html "
                 "(ethereum-optimism/community-hub, src/docs/users/fees-2.0.md)")
OPTIMISM_WITHDRAWAL = ("Optimism community docs, 'Withdrawing from Optimistic Ethereum': "
                       "https://community.optimism.io/docs/users/withdrawal.html "
                       "(ethereum-optimism/community-hub, src/docs/users/withdrawal.md)")
OPTIMISM_BEDROCK = ("Optimism blog, 'Increasing Confidence in the OP Mainnet Bridge with Two-Step Withdrawals': "
                    "https://dev.optimism.io/two-step-withdrawals/")
RAIDEN_GAS = ("raiden-contracts' measured gas, raiden_contracts/data/gas.json: "
              "https://github.com/raiden-network/raiden-contracts/blob/0414fc5/raiden_contracts/data/gas.json")
PLASMA_MVP = ("OmiseGO plasma-mvp root chain, RootChain.sol (addExitToQueue): https://github.com/omisego/plasma-mvp "
              "(plasma/root_chain/contracts/RootChain.sol, commit 05af4e6), implementing Minimal Viable Plasma "
              "(https://ethresear.ch/t/minimal-viable-plasma/426)")


@dataclass(frozen=True)
class PublishedRow:
    """One published figure: whose, of what, how much, where it was published and what it refers to."""

    system: str  # the system's name as its makers write it
    key: str  # short stable id: the figure's scheme is "published:<key>"
    kind: str  # the l2lab scheme it is an instance of
    metric: str  # snake_case, as l2lab's own figures name the same quantity
    value: float
    unit: str
    source: str  # the document (and its address) that publishes the figure
    refers_to: str  # the version, date and conditions the figure is of
    note: str = ""

    def __post_init__(self) -> None:
        if not _KEY.fullmatch(self.key):
            raise ValueError(f"published row key {self.key!r} is not lower-case words joined by '-'")
        if not _METRIC.fullmatch(self.metric):
            raise ValueError(f"published row {self.key}: metric {self.metric!r} is not snake_case")
        if self.kind not in SCHEMES:
            raise ValueError(f"published row {self.key}: kind {self.kind!r} is not an l2lab scheme {SCHEMES}")
        for field in ("system", "unit", "source", "refers_to"):
            if not getattr(self, field):
                raise ValueError(f"published row {self.key}/{self.metric}: empty {field}")

    @property
    def scheme(self) -> str:
        """The scheme label its figure carries, so it can never pass for a measured scheme."""
        return f"published:{self.key}"

    def to_dict(self) -> dict:
        return {"published": True, "scheme": self.scheme, **asdict(self)}


_LOOPRING = dict(system="Loopring 3.0", key="loopring-3", kind="zk", source=LOOPRING_DESIGN,
                 refers_to="Loopring 3.0 with on-chain data availability; 10,000,000-gas Ethereum blocks every "
                           "~13 s (after Muir Glacier, January 2020)")
_ZKSYNC = dict(system="zkSync Lite (zkSync 1.0)", key="zksync-lite", kind="zk")
_HERMEZ = dict(system="Polygon Hermez 1.0", key="hermez-1", kind="zk", source=HERMEZ_DOCS,
               refers_to="Hermez 1.0 documentation (2020-21), around its mainnet launch in March 2021")
_OVM2 = dict(system="Optimism (pre-Bedrock, OVM 2.0)", key="optimism-ovm2", kind="optimistic",
             refers_to="Optimistic Ethereum after the OVM 2.0 upgrade (11 November 2021), before Bedrock")
_RAIDEN = dict(system="Raiden Network", key="raiden", kind="channels", unit="gas", source=RAIDEN_GAS,
               refers_to="raiden-contracts' TokenNetwork (ERC-20 channels), gas measured by its test suite "
                         "(commit 0414fc5)")
_PLASMA = dict(system="Plasma MVP (OmiseGO)", key="plasma-mvp", kind="plasma", unit="s", source=PLASMA_MVP,
               refers_to="omisego/plasma-mvp root chain (2018), exitable_at = max(created_at + 2 weeks, "
                         "now + 1 week)")

ROWS: tuple[PublishedRow, ...] = (
    PublishedRow(**_LOOPRING, metric="l1_ceiling_tps", value=2_025, unit="trades/s",
                 note="L1-bound: (10,000,000 - 7 x 225,000 gas to commit and verify 7 blocks) / 320 gas of data "
                      "per trade = ~26,300 trades per Ethereum block"),
    PublishedRow(**_LOOPRING, metric="l1_gas_per_transfer", value=375, unit="gas per trade",
                 note="a trade is a ring of two orders; its data and its share of the proof's verification"),
    PublishedRow(**_ZKSYNC, metric="throughput_tps", value=300, unit="tx/s", source=ZKSYNC_SPEED,
                 refers_to="zkSync 1.0 FAQ (2020), before recursive proofs",
                 note="upper bound set by the prover (BN256 circuit size), not by L1 gas; over 3,500 tx/s "
                      "expected with RedShift"),
    PublishedRow(**_ZKSYNC, metric="l1_gas_per_transfer", value=400, unit="gas", source=ZKSYNC_FEES,
                 refers_to="zkSync 1.0 FAQ, fee estimate of 17 April 2020",
                 note="~0.4k gas per transaction to publish the state delta, plus ~400k gas per block to verify "
                      "the SNARK, amortised over the block"),
    PublishedRow(**_ZKSYNC, metric="finality", value=600, unit="s", source=ZKSYNC_SPEED,
                 refers_to="zkSync 1.0 FAQ (2020)",
                 note="~10 min: the expected time to generate the block's proof"),
    PublishedRow(**_HERMEZ, metric="throughput_tps", value=2_000, unit="tx/s",
                 note="'How is 2000 tps possible?': transfers compressed to ~10 bytes of calldata, signatures "
                      "replaced by one zk-SNARK per batch"),
    PublishedRow(**_HERMEZ, metric="l1_bytes_per_transfer", value=10, unit="B",
                 note="'~10 bytes' in the text; the figure beside it shows 8 bytes"),
    PublishedRow(**_OVM2, metric="l1_gas_per_tx_fixed", value=2_750, unit="gas", source=OPTIMISM_FEES,
                 note="l1GasUsed = 1.5 x (2,750 gas + calldata gas): 2,750 is the fixed share per "
                      "transaction, 1.5 the margin the fee adds over the real L1 cost"),
    PublishedRow(**_OVM2, metric="withdrawal_delay", value=7 * DAY, unit="s", source=OPTIMISM_WITHDRAWAL,
                 note="seven days of verification challenge period, counted from the batch's publication on L1"),
    PublishedRow(system="OP Mainnet (Bedrock)", key="optimism-bedrock", kind="optimistic",
                 metric="withdrawal_delay", value=7 * DAY, unit="s", source=OPTIMISM_BEDROCK,
                 refers_to="Bedrock's two-step withdrawals (OP Mainnet, June 2023)",
                 note="the seven-day finalization window after the withdrawal is proven; the output root to "
                      "prove it against takes about an hour to appear"),
    PublishedRow(**_RAIDEN, metric="l1_gas_open_channel", value=104_256, note="TokenNetwork.openChannel"),
    PublishedRow(**_RAIDEN, metric="l1_gas_deposit", value=57_368, note="TokenNetwork.setTotalDeposit"),
    PublishedRow(**_RAIDEN, metric="l1_gas_close_channel", value=122_682, note="TokenNetwork.closeChannel"),
    PublishedRow(**_RAIDEN, metric="l1_gas_update_balance_proof", value=91_696,
                 note="TokenNetwork.updateNonClosingBalanceProof"),
    PublishedRow(**_RAIDEN, metric="l1_gas_settle_channel", value=116_222, note="TokenNetwork.settleChannel"),
    PublishedRow(**_RAIDEN, metric="l1_gas_unlock_one_lock", value=38_589, note="TokenNetwork.unlock, 1 lock"),
    PublishedRow(**_PLASMA, metric="withdrawal_delay", value=7 * DAY,
                 note="an exit of an old output waits one week after it starts"),
    PublishedRow(**_PLASMA, metric="withdrawal_delay_fresh_output", value=14 * DAY,
                 note="an output is exitable no sooner than two weeks after its block"),
)

PUBLISHED = ROWS  # the name ``l2lab compare`` passes to the report


def rows_by_system(rows: tuple[PublishedRow, ...] = ROWS) -> dict[str, list[PublishedRow]]:
    """The rows grouped by system, in the order they are listed."""
    out: dict[str, list[PublishedRow]] = {}
    for row in rows:
        out.setdefault(row.system, []).append(row)
    return out
