"""The small harness every ``l2lab bench`` suite uses.

A suite is a module in ``benchmarks/`` with a function ``run(quick: bool) ->
list[Figure]``. Figures are measured in one process, one after another, so
ratios between them (compiled vs pure, l2lab vs a reference) are fair even on
a noisy machine. The pytest-benchmark files beside the suites time the same
workloads.

A figure is labelled for machines as well as people: ``scheme`` (the area
measured), ``metric`` (a stable snake_case identifier) and ``workload`` (the
input) identify it, so a report can pick figures out of ``--json`` output
without parsing the ``name`` the text table prints.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from pathlib import Path

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)*")


@dataclass(frozen=True, kw_only=True)
class Figure:
    """One measured number.

    ``scheme`` is the area measured ("primitives", "l1", "zk", "optimistic"),
    ``metric`` what was measured, as a stable snake_case identifier
    ("throughput", "l1_gas_per_transfer", "prove_time"), and ``workload`` the
    input, short and stable ("10,000 transfers, depth 32", "batch=100"): the
    three together name a figure within a suite. ``name`` is its row in the
    text table, ``unit`` in what ``value`` is counted, ``note`` any context.
    """

    scheme: str
    metric: str
    workload: str
    unit: str
    value: float
    note: str = ""
    name: str

    def __post_init__(self) -> None:
        for field in ("scheme", "workload", "unit", "name"):
            if not getattr(self, field):
                raise ValueError(f"figure {self.name or self.metric!r}: empty {field}")
        if not _SNAKE_CASE.fullmatch(self.metric):
            raise ValueError(f"figure {self.name!r}: metric {self.metric!r} is not snake_case")

    @property
    def key(self) -> tuple[str, str, str]:
        """(scheme, metric, workload): what identifies the figure within a suite."""
        return self.scheme, self.metric, self.workload


def best_time(fn: Callable[[], object], repeat: int = 3, min_time: float = 0.2) -> float:
    """Best wall-clock seconds of one call to ``fn`` over ``repeat`` rounds.

    A round calls ``fn`` enough times to last ``min_time`` and takes the mean;
    the best round is the least disturbed by other work on the machine.
    """
    best = float("inf")
    for _ in range(repeat):
        n = 0
        start = time.perf_counter()
        while True:
            fn()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_time:
                break
        best = min(best, elapsed / n)
    return best


def write_json(figures: list[Figure], path: str | Path) -> None:
    """Write every figure with all its fields: scheme, metric, workload, unit, value, note, name."""
    Path(path).write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")


def read_json(path: str | Path) -> list[Figure]:
    """The figures ``write_json`` wrote to ``path``."""
    names = {f.name for f in fields(Figure)}
    out = []
    for entry in json.loads(Path(path).read_text()):
        unknown = set(entry) - names
        if unknown:
            raise ValueError(f"{path}: unknown figure fields {sorted(unknown)}")
        out.append(Figure(**entry))
    return out


def format_table(figures: list[Figure]) -> str:
    """Figures as an aligned text table."""
    if not figures:
        return "(no figures)"
    width = max(len(f.name) for f in figures)
    lines = []
    for f in figures:
        value = f"{f.value:,.3f}" if isinstance(f.value, float) and not f.value.is_integer() else f"{f.value:,.0f}"
        lines.append(f"{f.name:<{width}}  {value:>16} {f.unit}" + (f"  ({f.note})" if f.note else ""))
    return "\n".join(lines)
