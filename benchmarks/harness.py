"""The small harness every ``l2lab bench`` suite uses.

A suite is a module in ``benchmarks/`` with a function ``run(quick: bool) ->
list[Figure]``. Figures are measured in one process, one after another, so
ratios between them (compiled vs pure, l2lab vs a reference) are fair even on
a noisy machine. The pytest-benchmark files beside the suites time the same
workloads.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured number: ``name`` says what, ``unit`` in what."""

    name: str
    unit: str
    value: float
    note: str = ""


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
    """Write every figure with its name, unit and value."""
    Path(path).write_text(json.dumps([asdict(f) for f in figures], indent=2) + "\n")


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
