"""Everything ``l2lab compare`` prints and writes, rendered from the runs it measured.

Nothing here measures: the runners (``benchmarks/compare/<scheme>.py``)
carry the workload and return a :class:`~benchmarks.compare.core.SchemeRun`;
this module turns those into figures (``figures``), JSON (``to_json``), a
terminal table (``terminal_table``) and a report directory (``write_report``:
report.md, a self-contained report.html with its plots inline, report.json
and each plot as an SVG file). The ``*_all`` variants take several workloads
(the uniform and the hot-spot mix) as ``[(workload, runs, missing), ...]``
and write one report of them all.

Two rules shape it. Measured figures and published ones never mix: a
published row becomes a figure whose scheme is ``published:<system>``, kept
in its own list, table and heading. And a time that is a protocol parameter
rather than a measurement (its run's ``*_what`` string says "protocol",
"parameter" or "preset") is marked with a dagger and shown with its
explanation wherever it appears.
"""

from __future__ import annotations

import html
import io
import math
import os
import platform
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks.compare import risk as risk_view
from benchmarks.compare.core import BLOCK_GAS, BLOCK_SECONDS, ETH, SchemeRun, Workload
from benchmarks.compare.escape import Escape
from benchmarks.compare.published import ROWS, PublishedRow
from benchmarks.harness import Figure

FORMULA = (f"ceiling = {BLOCK_GAS:,} gas per block / (gas per transfer × {BLOCK_SECONDS} s); at the largest "
           "batch: the same with the batch curve's gas per transfer at its largest measured batch")
PHASES = ("setup", "deposit", "transfer", "withdraw")
ORDER = risk_view.SCHEMES
PARAMETER_MARK = "†"
_PARAMETER = re.compile(r"\b(protocol|parameter|preset)\b", re.IGNORECASE)
_NOT_SNAKE = re.compile(r"[^a-z0-9]+")
SVG_RC = {"svg.hashsalt": "l2lab-compare", "svg.fonttype": "none"}
SVG_METADATA = {"Date": None, "Creator": "l2lab compare"}
LEVEL_COLOURS = {"good": "#b7e1b0", "warning": "#ffe08a", "bad": "#f4a7a3"}
SCHEME_COLOURS = {"l1": "#555555", "optimistic": "#d62728", "optimistic-bisection": "#ff7f0e", "zk": "#1f77b4",
                  "plasma": "#9467bd", "channels": "#2ca02c"}
TABLE_HEADERS = ("scheme", "ingress tx/s", "L1 gas/transfer", "L1 bytes/transfer", "L1-bound ceiling tx/s",
                 "ceiling at largest batch", "soft confirmation", "finality", "withdrawal delay", "capital locked (ETH)", "user must…")

Result = tuple[Workload, Sequence[SchemeRun], Mapping[str, str]]


# -- units ----------------------------------------------------------------------------------------


def human_time(seconds: float) -> str:
    """Seconds in the unit a person reads them in: µs, ms, s, min, h or days."""
    if seconds == 0:
        return "0 s"
    for limit, scale, unit in ((1e-3, 1e-6, "µs"), (1, 1e-3, "ms"), (60, 1, "s"), (3_600, 60, "min"),
                               (86_400, 3_600, "h")):
        if seconds < limit:
            return f"{_short(seconds / scale)} {unit}"
    days = seconds / 86_400
    return f"{_short(days)} day" + ("" if days == 1 else "s")


def _short(value: float) -> str:
    """Three significant figures at most, no trailing zeros: 7, 2.5, 42.3, 318."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if value >= 1 else f"{value:.2g}"


def _count(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def _eth(wei: int) -> str:
    eth = wei / ETH
    return f"{eth:,.2f}" if eth >= 0.01 or eth == 0 else f"{eth:.2g}"


def is_parameter(what: str) -> bool:
    """Whether a run's explanation says the figure is a protocol parameter, not a measurement."""
    return bool(_PARAMETER.search(what))


def _timed(seconds: float, what: str) -> str:
    return human_time(seconds) + (PARAMETER_MARK if is_parameter(what) else "")


def _ceiling(run: SchemeRun) -> str:
    c = run.ceiling_tps()
    return "no L1 gas per transfer" if c is None else _count(c)


def largest_batch(run: SchemeRun) -> tuple[int, float] | None:
    """The batch curve's point at the most transfers per batch (block, channel lifetime), if it has one."""
    return max(run.batch_curve) if run.batch_curve else None


def _largest_ceiling(run: SchemeRun) -> str:
    point = largest_batch(run)
    if point is None or point[1] <= 0:
        return "-"
    size, gas = point
    return f"{_count(BLOCK_GAS / (gas * BLOCK_SECONDS))} ({size:,}/batch)"


def _ordered(runs: Iterable[SchemeRun]) -> list[SchemeRun]:
    """Runs in the report's order: the L1 baseline, the rollups, Plasma, the channels; others after."""
    rank = {s: i for i, s in enumerate(ORDER)}
    return sorted(runs, key=lambda r: (rank.get(r.scheme, len(rank)), r.scheme))


def _schemes(runs: Sequence[SchemeRun], missing: Mapping[str, str]) -> list[str]:
    present = {r.scheme for r in runs} | set(missing)
    return [s for s in ORDER if s in present] + sorted(present - set(ORDER))


def _phases(run: SchemeRun) -> list[str]:
    named = set(run.l1_gas) | set(run.l1_bytes)
    return [p for p in PHASES if p in named] + sorted(named - set(PHASES))


def _all_phase_gas_per_transfer(run: SchemeRun) -> float:
    return sum(run.l1_gas.values()) / run.transfers


# -- figures --------------------------------------------------------------------------------------


def _figure(scheme: str, metric: str, workload: str, unit: str, value: float, note: str = "") -> Figure:
    return Figure(scheme=scheme, metric=metric, workload=workload, unit=unit, value=float(value), note=note,
                  name=f"compare.{scheme}.{metric}")


def _metric(name: str) -> str:
    """``name`` as a snake_case metric identifier."""
    metric = _NOT_SNAKE.sub("_", name.lower()).strip("_")
    return metric if metric and metric[0].isalpha() else f"x_{metric}"


def run_figures(run: SchemeRun, workload: str) -> list[Figure]:
    """Every figure of one run, labelled with the workload's label."""
    s, w = run.scheme, workload

    def fig(metric: str, unit: str, value: float, note: str = "") -> Figure:
        return _figure(s, metric, w, unit, value, note)

    out = [fig("ingress_seconds", "s", run.ingress_seconds,
               f"wall time for the scheme to accept all {run.transfers:,} transfers")]
    if math.isfinite(run.ingress_rate):
        out.append(fig("ingress_rate", "tx/s", run.ingress_rate, "transfers accepted per second on this machine"))
    for phase in _phases(run):
        out.append(fig(f"l1_gas_{_metric(phase)}", "gas", run.l1_gas.get(phase, 0), f"L1 gas of the {phase} phase"))
        out.append(fig(f"l1_bytes_{_metric(phase)}", "B", run.l1_bytes.get(phase, 0),
                       f"L1 calldata bytes of the {phase} phase"))
    out.append(fig("l1_gas_total", "gas", sum(run.l1_gas.values()), "L1 gas of every phase"))
    out.append(fig("l1_bytes_total", "B", sum(run.l1_bytes.values()), "L1 calldata bytes of every phase"))
    out.append(fig("l1_gas_per_transfer", "gas", run.transfer_gas_per_tx,
                   f"the transfer phase's L1 gas / {run.transfers:,} transfers"))
    out.append(fig("l1_bytes_per_transfer", "B", run.transfer_bytes_per_tx,
                   f"the transfer phase's L1 calldata bytes / {run.transfers:,} transfers"))
    out.append(fig("l1_gas_per_transfer_all_phases", "gas", _all_phase_gas_per_transfer(run),
                   f"every phase's L1 gas (setup, deposits, withdrawals too) / {run.transfers:,} transfers"))
    seen: dict[str, int] = {}
    for n, gas in sorted(run.batch_curve):
        metric = f"l1_gas_per_transfer_batch_{n}"
        seen[metric] = seen.get(metric, 0) + 1
        if seen[metric] > 1:
            metric += f"_{seen[metric]}"
        out.append(fig(metric, "gas", gas, f"batch curve: L1 gas per transfer with {n:,} transfers in one batch"))
    ceiling = run.ceiling_tps()
    if ceiling is not None:
        out.append(fig("l1_ceiling_tps", "tx/s", ceiling,
                       f"{BLOCK_GAS:,} / ({run.transfer_gas_per_tx:,.1f} gas × {BLOCK_SECONDS} s): "
                       "the L1-bound ceiling of the transfer phase's measured gas"))
    point = largest_batch(run)
    if point is not None and point[1] > 0:
        out.append(fig("l1_ceiling_tps_largest_batch", "tx/s", run.ceiling_tps(point[1]) or 0.0,
                       f"{BLOCK_GAS:,} / ({point[1]:,.1f} gas × {BLOCK_SECONDS} s): the ceiling at the batch curve's "
                       f"largest measured batch, {point[0]:,} transfers"))
    lifecycle = run.ceiling_tps(_all_phase_gas_per_transfer(run))
    if lifecycle is not None:
        out.append(fig("l1_ceiling_tps_all_phases", "tx/s", lifecycle,
                       f"{BLOCK_GAS:,} / ({_all_phase_gas_per_transfer(run):,.1f} gas × {BLOCK_SECONDS} s): "
                       "the ceiling if every phase's gas is charged to the transfers"))
    out.append(fig("soft_confirmation", "s", run.soft_confirmation_s, run.soft_what))
    out.append(fig("finality", "s", run.finality_s, run.finality_what))
    out.append(fig("withdrawal_delay", "s", run.withdrawal_delay_s, run.withdrawal_what))
    out.append(fig("capital_locked", "ETH", run.capital_locked_wei / ETH, run.capital_what))
    out.append(fig("lost_wei", "wei", run.lost_wei, "what honest users lost; anything but 0 is a failure"))
    taken = {f.metric for f in out}
    for key, entry in run.extra.items():
        value = entry.get("value") if isinstance(entry, Mapping) else None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            continue  # addresses and the like stay in the run's JSON, not among the figures
        metric = _metric(key)
        metric = metric if metric not in taken else f"extra_{metric}"
        taken.add(metric)
        out.append(fig(metric, str(entry.get("unit") or "-"), value, str(entry.get("note") or "scheme-specific")))
    return out


def figures(runs: Sequence[SchemeRun], workload: Workload) -> list[Figure]:
    """Every figure of every run: scheme = the run's scheme, workload = the workload's label."""
    return [f for run in _ordered(runs) for f in run_figures(run, workload.label)]


def published_figures(published: Sequence[PublishedRow] = ROWS) -> list[Figure]:
    """The published rows as figures of their own: scheme "published:<system>", note "published, <source>"."""
    return [_figure(row.scheme, row.metric, row.refers_to, row.unit, row.value,
                    f"published, {row.source}" + (f"; {row.note}" if row.note else ""))
            for row in published]


# -- JSON -----------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """``value`` with every float finite (JSON has no infinity) and tuples as lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _run_json(run: SchemeRun) -> dict:
    """What a run says in words, and its raw numbers: what the figures are made of."""
    return _plain({
        "label": run.label, "workload": run.workload, "transfers": run.transfers,
        "ingress_seconds": run.ingress_seconds, "l1_gas": run.l1_gas, "l1_bytes": run.l1_bytes,
        "batch_curve": run.batch_curve, "soft_confirmation_s": run.soft_confirmation_s,
        "soft_what": run.soft_what, "finality_s": run.finality_s, "finality_what": run.finality_what,
        "withdrawal_delay_s": run.withdrawal_delay_s, "withdrawal_what": run.withdrawal_what,
        "capital_locked_wei": run.capital_locked_wei, "capital_what": run.capital_what,
        "user_duty": run.user_duty, "lost_wei": run.lost_wei, "notes": run.notes, "extra": run.extra,
        "parameters": [k for k, what in (("soft_confirmation", run.soft_what), ("finality", run.finality_what),
                                         ("withdrawal_delay", run.withdrawal_what)) if is_parameter(what)],
    })


def _figure_json(f: Figure) -> dict:
    return _plain(asdict(f))


def _workload_json(workload: Workload) -> dict:
    return {"label": workload.label, **asdict(workload)}


def _workload_part(workload: Workload, runs: Sequence[SchemeRun], missing: Mapping[str, str]) -> dict:
    return {
        "workload": _workload_json(workload),
        "figures": [_figure_json(f) for f in figures(runs, workload)],
        "runs": {r.scheme: _run_json(r) for r in _ordered(runs)},
        "not_built": dict(missing),
    }


def _published_json(published: Sequence[PublishedRow]) -> list[dict]:
    return [{**row.to_dict(), "figure": _figure_json(f)} for row, f in zip(published, published_figures(published),
                                                                           strict=True)]


def to_json(runs: Sequence[SchemeRun], workload: Workload, missing: Mapping[str, str],
            published: Sequence[PublishedRow] | None = None) -> dict:
    """One workload's report as data: every measured figure, the risk view, the published rows, what is missing."""
    published = ROWS if published is None else published
    return {
        **_workload_part(workload, runs, missing),
        "ceiling_formula": FORMULA,
        "risk": risk_view.to_json(),
        "published": _published_json(published),
    }


def to_json_all(results: Sequence[Result], published: Sequence[PublishedRow] | None = None,
                escapes: Sequence[Escape] = ()) -> dict:
    """Several workloads' report as data: each workload's part, every measured figure, risk, what leaving alone
    costs, published rows."""
    published = ROWS if published is None else published
    parts = [_workload_part(w, runs, missing) for w, runs, missing in results]
    return {
        "workloads": parts,
        "figures": [f for part in parts for f in part["figures"]] + [_figure_json(f) for f in escape_figures(escapes)],
        "not_built": {part["workload"]["label"]: part["not_built"] for part in parts},
        "ceiling_formula": FORMULA,
        "risk": risk_view.to_json(),
        "leaving_alone": [e.to_dict() for e in escapes],
        "published": _published_json(published),
    }


def escape_figures(escapes: Sequence[Escape]) -> list[Figure]:
    """Each escape's L1 gas and wait as figures (scheme, metric, workload, unit, value): the workload is its demo."""
    out = []
    for e in escapes:
        workload = f"l2lab demo {e.route.demo} ({e.route.preset} preset)"
        out.append(_figure(e.route.scheme, "escape_l1_gas", workload, "gas", e.total_gas,
                           " + ".join(f"{step} {gas:,}" for _, step, gas in e.gas)))
        out.append(_figure(e.route.scheme, "escape_wait", workload, "s", e.route.wait_s,
                           f"{e.route.wait} (mainnet-like preset, protocol parameter)"))
    return out


ESCAPE_HEADERS = ("scheme", "L1 gas", "L1 txs", "wait (mainnet-like)", "what she does", "measured in")


def escape_rows(escapes: Sequence[Escape]) -> list[tuple[str, ...]]:
    return [(e.route.scheme, f"{e.total_gas:,}", str(len(e.gas)), e.route.wait, e.route.how,
             f"l2lab demo {e.route.demo}") for e in escapes]


def escape_lines(escapes: Sequence[Escape]) -> list[str]:
    """The terminal's block: what one user pays, and waits, to leave alone."""
    if not escapes:
        return []
    rows = [row[:4] + (row[5],) for row in escape_rows(escapes)]
    return ["Leaving alone: what one user pays in L1 gas, and waits, when the operator (or her partner) will "
            "not help (measured in each scheme's escape demo):",
            _text_table(ESCAPE_HEADERS[:4] + ESCAPE_HEADERS[5:], rows)]


# -- the terminal table ---------------------------------------------------------------------------


def table_rows(runs: Sequence[SchemeRun], missing: Mapping[str, str]) -> list[tuple[str, ...]]:
    """The summary table's rows, one per scheme, in human units; a scheme not built says so."""
    by_scheme = {r.scheme: r for r in runs}
    rows = []
    for scheme in _schemes(runs, missing):
        run = by_scheme.get(scheme)
        if run is None:
            why = missing.get(scheme, "not built")
            rows.append((scheme, why if why.startswith("not built") else f"not built ({why})",
                         *[""] * (len(TABLE_HEADERS) - 2)))
            continue
        rows.append((
            scheme,
            _count(run.ingress_rate) if math.isfinite(run.ingress_rate) else "-",
            f"{run.transfer_gas_per_tx:,.0f}",
            _count(run.transfer_bytes_per_tx),
            _ceiling(run),
            _largest_ceiling(run),
            _timed(run.soft_confirmation_s, run.soft_what),
            _timed(run.finality_s, run.finality_what),
            _timed(run.withdrawal_delay_s, run.withdrawal_what),
            _eth(run.capital_locked_wei),
            run.user_duty,
        ))
    return rows


def _text_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned text table; a "not built" row's message runs across the empty columns."""
    widths = [len(h) for h in headers]
    widths[0] = max([widths[0], *(len(row[0]) for row in rows)])
    for row in rows:
        if any(row[2:]):
            widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    numeric = set(range(1, len(headers) - 1))

    def line(cells: Sequence[str]) -> str:
        if not any(cells[2:]):
            return f"{cells[0]:<{widths[0]}}  {cells[1]}"
        parts = [c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths,
                                                                                              strict=True))]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def _explanations(runs: Sequence[SchemeRun]) -> list[str]:
    """One line per time that is a protocol parameter, saying what it is."""
    lines = []
    for run in _ordered(runs):
        for name, seconds, what in (("soft confirmation", run.soft_confirmation_s, run.soft_what),
                                    ("finality", run.finality_s, run.finality_what),
                                    ("withdrawal delay", run.withdrawal_delay_s, run.withdrawal_what)):
            if is_parameter(what):
                lines.append(f"{PARAMETER_MARK} {run.scheme}, {name} {human_time(seconds)}: {what}")
    return lines


def published_lines(published: Sequence[PublishedRow] = ROWS) -> list[str]:
    """The published rows, grouped by system, with what they refer to and their source."""
    out = []
    for system, rows in _by_system(published).items():
        shared = len({row.refers_to for row in rows}) == 1
        out.append(f"  {system} [{rows[0].kind}]" + (f", {rows[0].refers_to}:" if shared else ":"))
        for row in rows:
            said = [] if shared else [row.refers_to]
            said += [row.note] if row.note else []
            out.append(f"    {row.metric}: {_value(row)}" + (f" ({'; '.join(said)})" if said else ""))
        for source in dict.fromkeys(row.source for row in rows):
            out.append(f"    source: {source}")
    return out


def _by_system(published: Sequence[PublishedRow]) -> dict[str, list[PublishedRow]]:
    out: dict[str, list[PublishedRow]] = {}
    for row in published:
        out.setdefault(row.system, []).append(row)
    return out


def _value(row: PublishedRow) -> str:
    if row.unit == "s":
        return human_time(row.value)
    return f"{row.value:,.0f} {row.unit}" if float(row.value).is_integer() else f"{row.value:,} {row.unit}"


def terminal_table(runs: Sequence[SchemeRun], workload: Workload, missing: Mapping[str, str],
                   published: Sequence[PublishedRow] | None = None) -> str:
    """The table the terminal shows: one row per scheme, the ceiling's formula, then the published rows."""
    published = ROWS if published is None else published
    lines = [f"l2lab compare: {workload.label} (one in-process L1, every scheme in one run)", "",
             _text_table(TABLE_HEADERS, table_rows(runs, missing)), "", FORMULA]
    explained = _explanations(runs)
    if explained:
        lines += ["", f"{PARAMETER_MARK} a protocol parameter, not a measurement:", *explained]
    lost = [f"{r.scheme}: {r.lost_wei:,} wei" for r in _ordered(runs) if r.lost_wei]
    if lost:
        lines += ["", "HONEST USERS LOST FUNDS: " + "; ".join(lost)]
    if published:
        lines += ["", "Published figures (as their makers published them; not measured here, not comparable "
                      "one for one):", *published_lines(published)]
    return "\n".join(lines)


# -- plots ----------------------------------------------------------------------------------------


def _new_figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as PlotFigure

    fig = PlotFigure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=SVG_METADATA, bbox_inches="tight")
    return buf.getvalue()


def _colour(scheme: str) -> str:
    return SCHEME_COLOURS.get(scheme, "#7f7f7f")


def plot_batch_curve(runs: Sequence[SchemeRun], title: str) -> str:
    """L1 gas per transfer against transfers per batch, log-log, one line per scheme."""
    fig = _new_figure(7.5, 4.6)
    ax = fig.add_subplot()
    drawn = 0
    for run in _ordered(runs):
        points = sorted((n, g) for n, g in run.batch_curve if n > 0 and g > 0)
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", linewidth=1.6, color=_colour(run.scheme), label=run.scheme)
            drawn += 1
    if drawn:
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no batch curve measured", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("transfers in one L1 batch, block or channel lifetime")
    ax.set_ylabel("L1 gas per transfer")
    ax.set_title(f"Gas per transfer against batch size ({title})", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    return _svg(fig)


def plot_ceiling(runs: Sequence[SchemeRun], title: str) -> str:
    """The L1-bound ceiling of each scheme's measured gas, as bars on a log scale.

    The solid bar charges the transfer phase's gas to the transfers; the
    hatched one charges every phase's (setup, deposits and withdrawals too),
    which is what bounds a scheme whose transfers cost no L1 gas at all.
    """
    fig = _new_figure(7.5, 4.6)
    ax = fig.add_subplot()
    ax.set_axisbelow(True)
    ordered = _ordered(runs)
    bars = [(r.ceiling_tps(), r.ceiling_tps(_all_phase_gas_per_transfer(r))) for r in ordered]
    drawable = [v for pair in bars for v in pair if v is not None]
    floor = min(drawable) / 3 if drawable else 1.0
    for i, (run, pair) in enumerate(zip(ordered, bars, strict=True)):
        for offset, value, hatch, label in ((-0.2, pair[0], "", "the transfer phase's gas"),
                                            (0.2, pair[1], "//", "every phase's gas")):
            x = i + offset
            if value is None:
                ax.text(x, floor * 1.2, "no L1 gas per transfer", ha="center", va="bottom", fontsize=6,
                        rotation=90)
                continue
            ax.bar(x, value, width=0.38, color=_colour(run.scheme), hatch=hatch, edgecolor="white",
                   alpha=0.55 if hatch else 0.95, label=label if i == 0 else None)
            ax.text(x, value * 1.1, f"{value:,.0f}", ha="center", va="bottom", fontsize=6, rotation=90)
    ax.set_yscale("log")
    if drawable:
        ax.set_ylim(floor, max(drawable) * 12)
        ax.legend(fontsize=7, loc="upper right")
    ax.set_xticks(range(len(ordered)), [r.scheme for r in ordered], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("transfers per second")
    ax.set_title(f"L1-bound TPS ceiling ({title})", fontsize=10)
    fig.text(0.01, -0.04, FORMULA, fontsize=7)
    ax.grid(True, axis="y", which="both", alpha=0.3)
    return _svg(fig)


_TIME_TICKS = ((1e-6, "1 µs"), (1e-3, "1 ms"), (1, "1 s"), (60, "1 min"), (3_600, "1 h"), (86_400, "1 day"),
               (7 * 86_400, "1 week"), (30 * 86_400, "30 days"))


def plot_latency(runs: Sequence[SchemeRun], title: str) -> str:
    """Time to soft confirmation and to L1 finality per scheme, seconds on a log scale."""
    fig = _new_figure(7.5, 4.6)
    ax = fig.add_subplot()
    ax.set_axisbelow(True)
    ordered = _ordered(runs)
    positive = [v for r in ordered for v in (r.soft_confirmation_s, r.finality_s) if v > 0]
    low = min(positive) / 4 if positive else 1e-3
    high = max(positive) * 4 if positive else 1.0
    for i, run in enumerate(ordered):
        for offset, value, what, label, hatch in (
                (-0.2, run.soft_confirmation_s, run.soft_what, "soft confirmation", ""),
                (0.2, run.finality_s, run.finality_what, "finality on L1", "//")):
            x = i + offset
            if value <= 0:
                ax.text(x, low * 1.3, "0: at once", ha="center", va="bottom", fontsize=6, rotation=90)
                continue
            ax.bar(x, value, width=0.38, color=_colour(run.scheme), hatch=hatch, edgecolor="white",
                   alpha=0.55 if not hatch else 0.95, label=label if i == 0 else None)
            ax.text(x, value * 1.15, human_time(value) + (PARAMETER_MARK if is_parameter(what) else ""),
                    ha="center", va="bottom", fontsize=6, rotation=90)
    ax.set_yscale("log")
    ax.set_ylim(low, high * 20)
    ticks = [(t, name) for t, name in _TIME_TICKS if low <= t <= high * 20]
    if ticks:
        ax.set_yticks([t for t, _ in ticks], [name for _, name in ticks])
    ax.set_xticks(range(len(ordered)), [r.scheme for r in ordered], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("time (log scale)")
    ax.set_title(f"Latency: soft confirmation (light) and finality (hatched) ({title})", fontsize=10)
    fig.text(0.01, -0.04, f"{PARAMETER_MARK} a protocol parameter, not a measurement", fontsize=7)
    ax.grid(True, axis="y", which="major", alpha=0.3)
    return _svg(fig)


def plot_risk(view: Mapping[str, Mapping[str, risk_view.RiskCell]] | None = None) -> str:
    """The risk view as a grid, a scheme a row and a category a column, coloured good / warning / bad."""
    from matplotlib.patches import Patch, Rectangle

    view = risk_view.risk_view() if view is None else view
    schemes = [s for s in ORDER if s in view] + sorted(set(view) - set(ORDER))
    cats = risk_view.CATEGORIES
    fig = _new_figure(11, 0.9 * len(schemes) + 1.2)
    ax = fig.add_subplot()
    for row, scheme in enumerate(schemes):
        for col, cat in enumerate(cats):
            cell = view[scheme][cat]
            ax.add_patch(Rectangle((col, row), 1, 1, facecolor=LEVEL_COLOURS[cell.level], edgecolor="white",
                                   linewidth=2))
            ax.text(col + 0.5, row + 0.5, "\n".join(textwrap.wrap(cell.verdict, 24)), ha="center",
                    va="center", fontsize=7)
    ax.set_xlim(0, len(cats))
    ax.set_ylim(len(schemes), 0)
    ax.set_xticks([c + 0.5 for c in range(len(cats))], [risk_view.CATEGORY_TITLES[c] for c in cats], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks([r + 0.5 for r in range(len(schemes))], schemes, fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    ax.legend(handles=[Patch(facecolor=LEVEL_COLOURS[lv], label=lv) for lv in risk_view.LEVELS],
              loc="upper center", bbox_to_anchor=(0.5, -0.02), ncol=3, fontsize=8, frameon=False)
    ax.set_title("Risk view (L2BEAT's five categories, of l2lab's implementation)", fontsize=10, pad=24)
    return _svg(fig)


def _plots(results: Sequence[Result]) -> dict[str, str]:
    """Every plot's SVG text by file name: three per workload and the risk view."""
    import matplotlib

    matplotlib.use("Agg")
    out: dict[str, str] = {}
    with matplotlib.rc_context(SVG_RC):
        for workload, runs, _ in results:
            suffix = _suffix(workload, results)
            title = workload.label
            out[f"gas_per_transfer{suffix}.svg"] = plot_batch_curve(runs, title)
            out[f"ceiling{suffix}.svg"] = plot_ceiling(runs, title)
            out[f"latency{suffix}.svg"] = plot_latency(runs, title)
        out["risk.svg"] = plot_risk()
    return out


def _suffix(workload: Workload, results: Sequence[Result]) -> str:
    """"" for a report of one workload, else "-<mix>" (with its place when two share a mix)."""
    if len(results) == 1:
        return ""
    mixes = [w.mix for w, _, _ in results]
    index = next(i for i, (w, _, _) in enumerate(results) if w is workload)
    return f"-{workload.mix}" if mixes.count(workload.mix) == 1 else f"-{index + 1}-{workload.mix}"


def _inline(svg: str) -> str:
    """An SVG file's text as an element to embed in HTML: no XML declaration, DOCTYPE or metadata."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    return re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)


# -- Markdown -------------------------------------------------------------------------------------


def _sentence(text: str) -> str:
    """``text`` as a sentence: a capital first letter and a full stop."""
    text = text.strip()
    return (text[:1].upper() + text[1:]).rstrip(".") + "." if text else text


def _md_cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(_md_cell(h) for h in headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    return lines


def _how_run(results: Sequence[Result]) -> list[str]:
    labels = "; ".join(w.label for w, _, _ in results)
    w = results[0][0]
    return [
        f"Every scheme carried the same workload ({labels}), one scheme after another, on one in-process L1 "
        "(l2lab's toy L1, shared by every scheme of a workload) in one process. Gas and bytes are what the L1's "
        "receipts and transactions say; times were measured on this machine unless marked "
        f"{PARAMETER_MARK} (a protocol parameter, with its explanation).",
        "",
        f"Workload: {w.users} users with a deposit of {w.deposit_wei / ETH:g} ETH each, {w.transfers} transfers of "
        f"{w.amount_wei / ETH:g} ETH, then a withdrawal of {w.withdraw_wei / ETH:g} ETH each; seed {w.seed}.",
        "",
        f"Machine: Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPU(s). Command: `l2lab compare` (`--quick` for the smoke preset, `--out DIR` for this "
        "report).",
    ]


def _phase_rows(runs: Sequence[SchemeRun]) -> list[tuple[str, ...]]:
    rows = []
    for run in _ordered(runs):
        cells = [f"{run.l1_gas.get(p, 0):,} ({run.l1_bytes.get(p, 0):,} B)" for p in PHASES]
        rows.append((run.scheme, *cells, f"{sum(run.l1_gas.values()):,} ({sum(run.l1_bytes.values()):,} B)"))
    return rows


def _curve_text(run: SchemeRun) -> str:
    return ", ".join(f"{n:,}: {g:,.0f}" for n, g in sorted(run.batch_curve)) or "not measured"


def _extras(run: SchemeRun) -> list[str]:
    out = []
    for key, entry in run.extra.items():
        if isinstance(entry, Mapping):
            value = entry.get("value")
            shown = f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else value
            out.append(f"{key}: {shown} {entry.get('unit', '')}".rstrip())
    return out


def _workload_md(workload: Workload, runs: Sequence[SchemeRun], missing: Mapping[str, str],
                 plots: Mapping[str, str], suffix: str) -> list[str]:
    lines = [f"## {workload.label}", "", *_md_table(TABLE_HEADERS, table_rows(runs, missing)), "",
             f"`{FORMULA}`", ""]
    lost = [r for r in runs if r.lost_wei]
    if lost:
        lines += ["**Honest users lost funds:** " + "; ".join(f"{r.scheme} {r.lost_wei:,} wei" for r in lost), ""]
    lines += ["### What each figure is", ""]
    for run in _ordered(runs):
        lines.append(f"- **{run.scheme}** ({run.label})")
        for name, seconds, what in (("soft confirmation", run.soft_confirmation_s, run.soft_what),
                                    ("finality", run.finality_s, run.finality_what),
                                    ("withdrawal delay", run.withdrawal_delay_s, run.withdrawal_what)):
            lines.append(f"  - {name}, {_timed(seconds, what)}: {what}")
        lines.append(f"  - capital locked, {_eth(run.capital_locked_wei)} ETH: {run.capital_what}")
        lines.append(f"  - the user must: {run.user_duty}")
    lines += ["", "### L1 gas (and calldata bytes) by phase", "",
              *_md_table(("scheme", *PHASES, "total"), _phase_rows(runs)), "",
              "### Batch curve: L1 gas per transfer by transfers per batch", "",
              *_md_table(("scheme", "transfers per batch: gas per transfer"),
                         ((r.scheme, _curve_text(r)) for r in _ordered(runs))), ""]
    lines += ["### Notes", ""]
    for run in _ordered(runs):
        for note in run.notes:
            lines.append(f"- {run.scheme}: {note}")
        extras = _extras(run)
        if extras:
            lines.append(f"- {run.scheme}, scheme-specific figures: " + "; ".join(extras))
    lines.append("")
    for name, caption in (("gas_per_transfer", "Gas per transfer against batch size"),
                          ("ceiling", "L1-bound TPS ceiling"), ("latency", "Latency to soft confirmation and "
                                                                           "finality")):
        file = f"{name}{suffix}.svg"
        if file in plots:
            lines += [f"![{caption}]({file})", ""]
    return lines


def _risk_md() -> list[str]:
    view = risk_view.risk_view()
    cats = risk_view.CATEGORIES
    lines = ["## Risk view", "",
             "L2BEAT's five categories, each cell true of l2lab's implementation (levels: good, warning, bad).", "",
             *_md_table(("scheme", *(risk_view.CATEGORY_TITLES[c] for c in cats)),
                        ((s, *(f"{view[s][c].verdict} ({view[s][c].level})" for c in cats)) for s in view)),
             "", "![Risk view](risk.svg)", "", "### Why, and where to see it", ""]
    for scheme, cells in view.items():
        lines.append(f"- **{risk_view.SCHEME_TITLES.get(scheme, scheme)}**")
        for c in cats:
            cell = cells[c]
            shown = (f" Shown by `{cell.command}`." if cell.command
                     else f" Shown by the test `{cell.test}`." if cell.test else "")
            lines.append(f"  - {risk_view.CATEGORY_TITLES[c]}: {cell.verdict} ({cell.level}). "
                         f"{_sentence(cell.reason)}{shown}")
    return lines + [""]


def _published_md(published: Sequence[PublishedRow]) -> list[str]:
    if not published:
        return []
    return ["## Published figures (not measured here)", "",
            "Figures their makers published, at their own versions, dates and block sizes: landmarks beside "
            "the measurements above, never mixed with them.", "",
            *_md_table(("system", "kind", "metric", "value", "refers to", "note", "source"),
                       ((r.system, r.kind, r.metric, _value(r), r.refers_to, r.note, r.source) for r in published)),
            ""]


_ESCAPE_INTRO = ("When the operator (or, in a channel, the partner) will not help, each scheme still lets a user "
                 "take her funds out alone. What that costs her in L1 gas, and how long she waits on the "
                 "mainnet-like preset, measured in the demo that plays it: its receipts give the gas of her "
                 "transactions (and of the one anyone may send for everyone, Plasma's finalize_exits).")


def _escape_steps(e: Escape) -> str:
    """One escape's transactions, each with who sent it and its gas, and the preset its demo ran on."""
    return (f"{e.route.scheme}: " + " + ".join(f"{step} ({who}) {gas:,}" for who, step, gas in e.gas)
            + f" gas; the demo ran on its {e.route.preset} preset")


def _escape_md(escapes: Sequence[Escape]) -> list[str]:
    if not escapes:
        return []
    return ["## Leaving alone", "", _ESCAPE_INTRO, "", *_md_table(ESCAPE_HEADERS, escape_rows(escapes)), "",
            *(f"- {_escape_steps(e)}" for e in escapes), ""]


def markdown(results: Sequence[Result], published: Sequence[PublishedRow] = ROWS,
             plots: Mapping[str, str] | None = None, escapes: Sequence[Escape] = ()) -> str:
    """report.md: the tables per workload, the risk view, leaving alone, the published rows, how it was run."""
    plots = plots or {}
    lines = ["# l2lab compare: one workload across every scheme", "", *_how_run(results), ""]
    for workload, runs, missing in results:
        lines += _workload_md(workload, runs, missing, plots, _suffix(workload, results))
    lines += _risk_md()
    lines += _escape_md(escapes)
    lines += _published_md(published)
    return "\n".join(lines).rstrip() + "\n"


# -- HTML -----------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: .85em; }
th, td { border: 1px solid #ddd; padding: .3em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.good { background: #b7e1b0; } td.warning { background: #ffe08a; } td.bad { background: #f4a7a3; }
.formula { font-family: ui-monospace, monospace; background: #f6f6f6; padding: .4em .6em; display: inline-block; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; }
.plot { flex: 1 1 540px; min-width: 0; } .plot.wide { flex-basis: 100%; }
.plot svg { max-width: 100%; height: auto; }
td { overflow-wrap: anywhere; }
.published { background: #f7f7fb; border-left: 4px solid #99a; padding: .2em 1em; }
.note { color: #555; font-size: .9em; }
code { font-family: ui-monospace, monospace; background: #f3f3f3; padding: 0 .2em; }
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _html_table(headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: set[int] | None = None,
                classes: Sequence[Sequence[str]] | None = None) -> str:
    numeric = numeric or set()
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in headers) + "</tr>"]
    for r, row in enumerate(rows):
        cells = []
        for i, cell in enumerate(row):
            cls = [c for c in (("num" if i in numeric else ""), (classes[r][i] if classes else "")) if c]
            attr = f' class="{" ".join(cls)}"' if cls else ""
            cells.append(f"<td{attr}>{_e(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _summary_html(runs: Sequence[SchemeRun], missing: Mapping[str, str]) -> str:
    rows = table_rows(runs, missing)
    out = ["<table>", "<tr>" + "".join(f"<th>{_e(h)}</th>" for h in TABLE_HEADERS) + "</tr>"]
    for row in rows:
        if not any(row[2:]):
            out.append(f"<tr><td>{_e(row[0])}</td><td colspan=\"{len(TABLE_HEADERS) - 1}\">{_e(row[1])}</td></tr>")
            continue
        out.append("<tr>" + "".join(f'<td class="num">{_e(c)}</td>' if 0 < i < len(row) - 1 else f"<td>{_e(c)}</td>"
                                    for i, c in enumerate(row)) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _workload_html(workload: Workload, runs: Sequence[SchemeRun], missing: Mapping[str, str],
                   plots: Mapping[str, str], suffix: str) -> str:
    parts = [f"<h2>{_e(workload.label)}</h2>", _summary_html(runs, missing),
             f'<p><span class="formula">{_e(FORMULA)}</span></p>']
    lost = [r for r in runs if r.lost_wei]
    if lost:
        parts.append("<p><strong>Honest users lost funds:</strong> "
                     + _e("; ".join(f"{r.scheme} {r.lost_wei:,} wei" for r in lost)) + "</p>")
    shown = [plots[f] for f in (f"{name}{suffix}.svg" for name in ("gas_per_transfer", "ceiling", "latency"))
             if f in plots]
    if shown:
        parts.append('<div class="plots">' + "".join(f'<div class="plot">{_inline(svg)}</div>' for svg in shown)
                     + "</div>")
    parts.append("<h3>What each figure is</h3><ul>")
    for run in _ordered(runs):
        items = [f"<li>{_e(name)}, {_e(_timed(seconds, what))}: {_e(what)}</li>"
                 for name, seconds, what in (("soft confirmation", run.soft_confirmation_s, run.soft_what),
                                             ("finality", run.finality_s, run.finality_what),
                                             ("withdrawal delay", run.withdrawal_delay_s, run.withdrawal_what))]
        items.append(f"<li>capital locked, {_e(_eth(run.capital_locked_wei))} ETH: {_e(run.capital_what)}</li>")
        items.append(f"<li>the user must: {_e(run.user_duty)}</li>")
        parts.append(f"<li><strong>{_e(run.scheme)}</strong> ({_e(run.label)})<ul>{''.join(items)}</ul></li>")
    parts.append("</ul>")
    parts.append("<h3>L1 gas (and calldata bytes) by phase</h3>")
    parts.append(_html_table(("scheme", *PHASES, "total"), _phase_rows(runs), numeric={1, 2, 3, 4, 5}))
    parts.append("<h3>Batch curve: L1 gas per transfer by transfers per batch</h3>")
    parts.append(_html_table(("scheme", "transfers per batch: gas per transfer"),
                             [(r.scheme, _curve_text(r)) for r in _ordered(runs)]))
    parts.append("<h3>Notes</h3><ul>")
    for run in _ordered(runs):
        parts += [f"<li>{_e(run.scheme)}: {_e(note)}</li>" for note in run.notes]
        extras = _extras(run)
        if extras:
            parts.append(f"<li>{_e(run.scheme)}, scheme-specific figures: {_e('; '.join(extras))}</li>")
    parts.append("</ul>")
    return "\n".join(parts)


def _risk_html(plots: Mapping[str, str]) -> str:
    view = risk_view.risk_view()
    cats = risk_view.CATEGORIES
    rows = [(s, *(view[s][c].verdict for c in cats)) for s in view]
    classes = [("", *(view[s][c].level for c in cats)) for s in view]
    parts = ["<h2>Risk view</h2>",
             "<p>L2BEAT's five categories, each cell true of l2lab's implementation: green good, yellow warning, "
             "red bad.</p>",
             _html_table(("scheme", *(risk_view.CATEGORY_TITLES[c] for c in cats)), rows, classes=classes)]
    if "risk.svg" in plots:
        parts.append(f'<div class="plot wide">{_inline(plots["risk.svg"])}</div>')
    parts.append("<h3>Why, and where to see it</h3>")
    for scheme, cells in view.items():
        parts.append(f"<h4>{_e(risk_view.SCHEME_TITLES.get(scheme, scheme))}</h4><ul>")
        for c in cats:
            cell = cells[c]
            shown = (f" Shown by <code>{_e(cell.command)}</code>." if cell.command
                     else f" Shown by the test <code>{_e(cell.test)}</code>." if cell.test else "")
            parts.append(f'<li><strong>{_e(risk_view.CATEGORY_TITLES[c])}</strong>: '
                         f'<span class="{cell.level}">{_e(cell.verdict)}</span> ({_e(cell.level)}). '
                         f"{_e(_sentence(cell.reason))}{shown}</li>")
        parts.append("</ul>")
    return "\n".join(parts)


def _published_html(published: Sequence[PublishedRow]) -> str:
    if not published:
        return ""
    table = _html_table(("system", "kind", "metric", "value", "refers to", "note", "source"),
                        [(r.system, r.kind, r.metric, _value(r), r.refers_to, r.note, r.source) for r in published],
                        numeric={3})
    return ('<div class="published"><h2>Published figures (not measured here)</h2>'
            "<p>Figures their makers published, at their own versions, dates and block sizes: landmarks beside "
            "the measurements above, never mixed with them. Sources are given as text.</p>" + table + "</div>")


def _escape_html(escapes: Sequence[Escape]) -> str:
    if not escapes:
        return ""
    steps = "".join(f"<li>{_e(_escape_steps(e))}</li>" for e in escapes)
    return (f"<h2>Leaving alone</h2><p>{_e(_ESCAPE_INTRO)}</p>"
            + _html_table(ESCAPE_HEADERS, escape_rows(escapes), numeric={1, 2}) + f"<ul>{steps}</ul>")


def html_report(results: Sequence[Result], published: Sequence[PublishedRow] = ROWS,
                plots: Mapping[str, str] | None = None, escapes: Sequence[Escape] = ()) -> str:
    """report.html: self-contained (inline CSS, the plots as inline SVG), nothing to fetch."""
    plots = plots or {}
    how = "".join(f"<p>{_e(p.replace('`', ''))}</p>" for p in _how_run(results) if p)
    body = [f"<h1>{_e('l2lab compare: one workload across every scheme')}</h1>", f'<div class="note">{how}</div>']
    for workload, runs, missing in results:
        body.append(_workload_html(workload, runs, missing, plots, _suffix(workload, results)))
    body.append(_risk_html(plots))
    body.append(_escape_html(escapes))
    body.append(_published_html(published))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<title>l2lab compare</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


# -- the report directory -------------------------------------------------------------------------


def _write(out_dir: Path, files: Mapping[str, str]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def _dump(data: dict) -> str:
    import json

    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_report_all(out_dir: str | Path, results: Sequence[Result],
                     published: Sequence[PublishedRow] | None = None, escapes: Sequence[Escape] = ()) -> list[Path]:
    """Write report.md, report.html, report.json and every plot as SVG for several workloads; the paths."""
    published = ROWS if published is None else published
    plots = _plots(results)
    files = {"report.md": markdown(results, published, plots, escapes),
             "report.html": html_report(results, published, plots, escapes),
             "report.json": _dump(to_json_all(results, published, escapes)), **plots}
    return _write(Path(out_dir), files)


def write_report(out_dir: str | Path, runs: Sequence[SchemeRun], workload: Workload, missing: Mapping[str, str],
                 published: Sequence[PublishedRow] | None = None) -> list[Path]:
    """Write report.md, report.html, report.json and every plot as SVG for one workload; the paths written."""
    published = ROWS if published is None else published
    results: list[Result] = [(workload, runs, missing)]
    plots = _plots(results)
    files = {"report.md": markdown(results, published, plots), "report.html": html_report(results, published, plots),
             "report.json": _dump(to_json(runs, workload, missing, published)), **plots}
    return _write(Path(out_dir), files)
