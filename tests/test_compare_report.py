"""The rendering of ``l2lab compare``: figures, JSON, the terminal table, the report directory, the risk view.

The runs are built by hand with figures of the size the runners measure, so
these tests check what is printed and written, not what is measured.
"""

from __future__ import annotations

import json
import re

import pytest

from benchmarks.compare import report, risk
from benchmarks.compare.core import BLOCK_GAS, BLOCK_SECONDS, ETH, SchemeRun, Workload
from benchmarks.compare.published import PUBLISHED, ROWS, PublishedRow

WORKLOAD = Workload(users=4, transfers=32)
FIVE = ("scheme", "metric", "workload", "unit", "value")


def make_run(scheme: str, **changes: object) -> SchemeRun:
    base = dict(
        scheme=scheme, label=f"{scheme} run", workload=WORKLOAD.label,
        ingress_seconds=0.08, transfers=WORKLOAD.transfers,
        l1_gas={"setup": 2_400_000, "deposit": 4 * 60_000, "transfer": 32 * 1_900, "withdraw": 4 * 80_000},
        l1_bytes={"setup": 0, "deposit": 4 * 100, "transfer": 32 * 115, "withdraw": 4 * 400},
        batch_curve=[(1, 60_000.0), (10, 8_000.0), (100, 2_300.0), (1_000, 1_900.0)],
        soft_confirmation_s=0.0021,
        soft_what="the operator admits a signed transfer into its next batch (measured)",
        finality_s=7 * 86_400.0,
        finality_what="the batch's challenge window: 7 days (protocol parameter, passed by time travel)",
        withdrawal_delay_s=7 * 86_400.0,
        withdrawal_what="the 7-day challenge window of the batch carrying the withdrawal, then a claim on L1",
        capital_locked_wei=4 * ETH + 10 * ETH,
        capital_what="the users' deposits and the operator's 10 ETH bond",
        user_duty="nothing while one honest challenger watches every batch",
        lost_wei=0,
        notes=["mainnet-like preset"],
        extra={"transfer_batches": {"unit": "batches", "value": 1},
               "rollup": {"unit": "address", "value": "0x" + "ab" * 20}},
    )
    base.update(changes)
    return SchemeRun(**base)  # type: ignore[arg-type]


def sample_runs() -> list[SchemeRun]:
    """An L1 baseline, an optimistic rollup, a zk-rollup and channels, with figures of the measured size."""
    return [
        make_run("l1", l1_gas={"transfer": 32 * 21_000}, l1_bytes={"transfer": 0}, batch_curve=[(1, 21_000.0)],
                 soft_confirmation_s=12.0, soft_what="inclusion in the next L1 block: one 12 s slot (protocol)",
                 finality_s=768.0, finality_what="Ethereum's finality: two epochs of 32 slots (protocol)",
                 withdrawal_delay_s=0.0, withdrawal_what="nothing to withdraw", capital_locked_wei=0,
                 capital_what="none", user_duty="nothing", extra={}),
        make_run("optimistic"),
        make_run("zk", l1_gas={"setup": 3_000_000, "deposit": 4 * 90_000, "transfer": 4 * 420_000,
                               "withdraw": 4 * 50_000},
                 batch_curve=[(1, 420_000.0), (16, 27_000.0), (64, 7_300.0)],
                 finality_s=14.2, finality_what="measured admission + measured proof + one L1 block",
                 withdrawal_delay_s=26.0, withdrawal_what="measured proof + two L1 blocks",
                 capital_locked_wei=4 * ETH, capital_what="the users' deposits",
                 user_duty="nothing", extra={"pubdata_bytes_per_transfer": {"unit": "B", "value": 11}}),
        make_run("channels", l1_gas={"setup": 1_500_000, "deposit": 8 * 57_000, "transfer": 0,
                                     "withdraw": 4 * 90_000},
                 l1_bytes={"setup": 2_000, "deposit": 8 * 68, "transfer": 0, "withdraw": 4 * 400},
                 batch_curve=[(8, 30_000.0), (8, 31_000.0), (24, 10_500.0)],
                 soft_confirmation_s=0.004, finality_s=0.0,
                 finality_what="immediate, off-chain: final once the payee's unlock is acknowledged",
                 withdrawal_delay_s=12.0,
                 withdrawal_what="a cooperative settlement: one co-signed L1 transaction, one 12 s block "
                                 "(protocol)",
                 user_duty="stay online through every settlement window, or hire a watchtower",
                 extra={"hub_locked_wei": {"unit": "wei", "value": 3 * ETH}}),
    ]


@pytest.fixture(scope="module")
def runs() -> list[SchemeRun]:
    return sample_runs()


MISSING = {"plasma": "not built", "optimistic-bisection": "failed: RuntimeError: out of gas"}


# -- figures and JSON ---------------------------------------------------------------------------------


def test_the_json_has_every_figure_with_the_five_fields(runs) -> None:
    data = report.to_json(runs, WORKLOAD, MISSING, PUBLISHED)
    json.dumps(data, allow_nan=False)  # plain JSON: no infinity anywhere
    assert data["workload"]["label"] == WORKLOAD.label and data["workload"]["transfers"] == 32
    figs = data["figures"]
    assert len(figs) == len(report.figures(runs, WORKLOAD))
    for f in figs:
        assert all(f[k] not in ("", None) for k in FIVE), f
        assert isinstance(f["value"], float) and f["workload"] == WORKLOAD.label
    keys = [(f["scheme"], f["metric"], f["workload"]) for f in figs]
    assert len(keys) == len(set(keys)), "a figure's key names it once"
    metrics = {f["metric"] for f in figs if f["scheme"] == "optimistic"}
    for m in ("ingress_rate", "l1_gas_per_transfer", "l1_bytes_per_transfer", "l1_gas_deposit", "l1_bytes_withdraw",
              "l1_gas_per_transfer_batch_1000", "l1_ceiling_tps", "soft_confirmation", "finality",
              "withdrawal_delay", "capital_locked", "lost_wei", "transfer_batches"):
        assert m in metrics, m
    assert "rollup" not in metrics  # an address is not a figure; it stays in the run's own JSON
    assert data["runs"]["optimistic"]["extra"]["rollup"]["value"].startswith("0x")
    assert data["not_built"] == MISSING
    assert set(data["risk"]["schemes"]) == set(risk.SCHEMES)


def test_the_ceiling_is_the_block_gas_over_gas_per_transfer_times_the_slot(runs) -> None:
    figs = {(f.scheme, f.metric): f for f in report.figures(runs, WORKLOAD)}
    for run in runs:
        gas = run.l1_gas["transfer"] / run.transfers
        if gas:
            assert figs[run.scheme, "l1_ceiling_tps"].value == pytest.approx(BLOCK_GAS / (gas * BLOCK_SECONDS))
        else:  # channels: no L1 gas per transfer, so no finite ceiling from it, but one from every phase
            assert (run.scheme, "l1_ceiling_tps") not in figs
    assert figs["l1", "l1_ceiling_tps"].value == pytest.approx(30_000_000 / (21_000 * 12))
    every = sum(runs[3].l1_gas.values()) / 32
    assert figs["channels", "l1_ceiling_tps_all_phases"].value == pytest.approx(BLOCK_GAS / (every * BLOCK_SECONDS))


def test_repeated_batch_sizes_keep_every_point_under_its_own_name(runs) -> None:
    channels = [f for f in report.figures(runs, WORKLOAD) if f.scheme == "channels"
                and f.metric.startswith("l1_gas_per_transfer_batch_")]
    assert sorted(f.metric for f in channels) == ["l1_gas_per_transfer_batch_24", "l1_gas_per_transfer_batch_8",
                                                  "l1_gas_per_transfer_batch_8_2"]


def test_published_rows_are_labelled_published_and_never_among_the_measured_figures(runs) -> None:
    data = report.to_json(runs, WORKLOAD, MISSING, PUBLISHED)
    assert not any(f["scheme"].startswith("published") for f in data["figures"])
    assert {f["scheme"] for f in data["figures"]} <= set(risk.SCHEMES)
    assert len(data["published"]) == len(ROWS)
    for row in data["published"]:
        assert row["published"] is True and row["source"] and row["refers_to"]
        assert row["scheme"].startswith("published:") and row["kind"] in risk.SCHEMES
        assert row["figure"]["note"].startswith("published, ")
    loopring = {(r.metric, r.value) for r in ROWS if r.key == "loopring-3"}
    assert loopring == {("l1_ceiling_tps", 2_025), ("l1_gas_per_transfer", 375)}
    raiden = {r.metric: r.value for r in ROWS if r.key == "raiden"}
    assert round(raiden["l1_gas_open_channel"], -3) == 104_000 and round(raiden["l1_gas_settle_channel"], -3) == 116_000


def test_a_published_row_must_name_an_l2lab_scheme_and_a_source() -> None:
    with pytest.raises(ValueError, match="kind"):
        PublishedRow(system="X", key="x", kind="sidechain", metric="throughput_tps", value=1, unit="tx/s",
                     source="somewhere", refers_to="2020")
    with pytest.raises(ValueError, match="empty source"):
        PublishedRow(system="X", key="x", kind="zk", metric="throughput_tps", value=1, unit="tx/s", source="",
                     refers_to="2020")


def test_the_all_workloads_json_keeps_each_workload_apart(runs) -> None:
    hot = Workload(users=4, transfers=32, mix="hotspot")
    data = report.to_json_all([(WORKLOAD, runs, MISSING), (hot, runs[:1], {})], PUBLISHED)
    assert [p["workload"]["mix"] for p in data["workloads"]] == ["uniform", "hotspot"]
    assert {f["workload"] for f in data["figures"]} == {WORKLOAD.label, hot.label}
    assert data["not_built"][hot.label] == {}


# -- the terminal table ------------------------------------------------------------------------------


def test_the_terminal_table_has_a_row_per_scheme_the_formula_and_the_published_rows_apart(runs) -> None:
    text = report.terminal_table(runs, WORKLOAD, MISSING)
    lines = text.splitlines()
    for header in ("ingress tx/s", "L1 gas/transfer", "L1 bytes/transfer", "L1-bound ceiling tx/s",
                   "soft confirmation", "finality", "withdrawal delay", "capital locked (ETH)", "user must…"):
        assert header in lines[2]
    row = {line.split()[0]: line for line in lines[4:12] if line.strip()}
    assert set(row) >= {"l1", "optimistic", "zk", "channels", "plasma", "optimistic-bisection"}
    assert "not built" in row["plasma"] and "not built (failed: RuntimeError" in row["optimistic-bisection"]
    assert re.search(r"21,000\s+0\.0\s+119", row["l1"])  # 30M / (21,000 × 12) = 119 tx/s
    assert "7 days†" in row["optimistic"] and "2.1 ms" in row["optimistic"]
    assert "12 s†" in row["l1"] and "12.8 min†" in row["l1"]
    assert "no L1 gas per transfer" in row["channels"] and "hire a watchtower" in row["channels"]
    assert report.FORMULA in lines and report.FORMULA.startswith(
        "ceiling = 30,000,000 gas per block / (gas per transfer × 12 s)")
    assert text.index("channels") < text.index("Published figures")
    published = text[text.index("Published figures"):]
    assert "not measured here" in published.splitlines()[0]
    assert "Loopring 3.0" in published and "2,025 trades/s" in published and "DESIGN.md" in published
    assert "the batch's challenge window: 7 days" in text  # a parameter is shown with its explanation


@pytest.mark.parametrize(("seconds", "shown"), [
    (0, "0 s"), (0.0004, "400 µs"), (0.0021, "2.1 ms"), (0.35, "350 ms"), (12, "12 s"), (90, "1.5 min"),
    (6_000, "1.67 h"), (86_400, "1 day"), (7 * 86_400, "7 days"), (14 * 86_400, "14 days")])
def test_times_are_shown_in_human_units(seconds: float, shown: str) -> None:
    assert report.human_time(seconds) == shown


# -- the report directory --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def written(runs, tmp_path_factory) -> dict[str, str]:
    out = tmp_path_factory.mktemp("report")
    paths = report.write_report(out, runs, WORKLOAD, MISSING, PUBLISHED)
    assert all(p.parent == out for p in paths)
    return {p.name: p.read_text(encoding="utf-8") for p in paths}


def test_the_report_writes_markdown_html_json_and_each_plot(written) -> None:
    assert set(written) == {"report.md", "report.html", "report.json", "gas_per_transfer.svg", "ceiling.svg",
                            "latency.svg", "risk.svg"}
    for name, text in written.items():
        if name.endswith(".svg"):
            assert "<svg" in text and "</svg>" in text, name
    data = json.loads(written["report.json"])
    assert data["figures"] and data["published"] and data["not_built"] == MISSING


def test_the_html_is_self_contained(written) -> None:
    page = written["report.html"]
    assert page.count("<svg") == 4  # three plots and the risk grid, inline
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page), "nothing to fetch"
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert "<style>" in page and "<!DOCTYPE svg" not in page
    assert 'class="bad"' in page and 'class="good"' in page and 'class="warning"' in page
    assert "Published figures (not measured here)" in page and "not built" in page


def test_the_markdown_has_the_table_the_formula_the_risk_view_and_the_sources(written) -> None:
    md = written["report.md"]
    assert "| scheme | ingress tx/s |" in md
    assert f"`{report.FORMULA}`" in md
    assert "| plasma | not built |" in md
    assert "## Risk view" in md and "| scheme | State validation | Data availability | Exit window |" in md
    assert "fraud proofs (1 round) (good)" in md and "`l2lab demo optimistic-fraud`" in md
    assert "![Risk view](risk.svg)" in md and "![L1-bound TPS ceiling](ceiling.svg)" in md
    published = md[md.index("## Published figures (not measured here)"):]
    assert "https://github.com/Loopring/protocols" in published and "raiden_contracts/data/gas.json" in published
    assert md.index("## Published figures") > md.index("## Risk view") > md.index("| channels |")
    assert "Python" in md and "one in-process L1" in md  # how it was run


def test_the_plots_are_the_same_bytes_every_time(runs, written, tmp_path) -> None:
    again = {p.name: p.read_text(encoding="utf-8")
             for p in report.write_report(tmp_path, runs, WORKLOAD, MISSING, PUBLISHED)}
    assert again == written


def test_a_report_of_two_workloads_names_each_workloads_plots(runs, tmp_path) -> None:
    hot = Workload(users=4, transfers=32, mix="hotspot")
    names = {p.name for p in report.write_report_all(tmp_path, [(WORKLOAD, runs, {}), (hot, runs, {})])}
    assert {"ceiling-uniform.svg", "ceiling-hotspot.svg", "latency-hotspot.svg", "risk.svg"} <= names
    md = (tmp_path / "report.md").read_text()
    assert f"## {WORKLOAD.label}" in md and f"## {hot.label}" in md


# -- the risk view ---------------------------------------------------------------------------------------


def test_the_risk_view_rates_every_scheme_in_the_five_categories() -> None:
    view = risk.risk_view()
    assert tuple(view) == risk.SCHEMES
    for scheme, cells in view.items():
        assert tuple(cells) == risk.CATEGORIES, scheme
        for cell in cells.values():
            assert cell.verdict and cell.reason and cell.level in risk.LEVELS
    assert view["optimistic"]["state_validation"].verdict == "fraud proofs (1 round)"
    assert view["optimistic"]["exit_window"].verdict.endswith("7 days")
    assert view["plasma"]["data_availability"].level == "bad"
    assert view["zk"]["sequencer_failure"].demo == "zk-censorship"


def test_the_risk_view_names_only_demos_that_exist() -> None:
    from node.cli_demo import all_demos

    demos = all_demos()
    named = risk.demos_named()
    assert named and named <= set(demos), sorted(named - set(demos))
    for scheme, cells in risk.risk_view().items():
        for cell in cells.values():
            if cell.demo:  # a scheme's cell shows that scheme's own demo
                assert demos[cell.demo][0].name == scheme.split("-")[0], (scheme, cell.demo)
            assert cell.demo or cell.test or scheme == "l1", (scheme, cell.verdict)


def test_a_cell_with_an_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError, match="risk level"):
        risk.RiskCell("x", "fine", "y")


def test_the_ceiling_at_the_largest_batch_uses_the_curve_point_with_the_most_transfers():
    run = make_run("optimistic", batch_curve=[(1, 100_000.0), (1000, 2_000.0), (10, 12_000.0)])
    (f,) = [f for f in report.run_figures(run, "w") if f.metric == "l1_ceiling_tps_largest_batch"]
    assert f.value == pytest.approx(30_000_000 / (2_000 * 12))
    assert report.table_rows([run], {})[0][5] == "1,250 (1,000/batch)"
