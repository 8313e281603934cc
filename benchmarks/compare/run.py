"""Run the workload on every scheme, one after another on one in-process L1, and collect the runs.

``RUNNERS`` is the order of the report: the L1 baseline first, then the
rollups, Plasma and the channels. A runner whose module is not in this build
is reported as not built; a runner that fails is reported with its error,
and the command exits nonzero, so a broken scheme never hides as a gap.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO

from benchmarks.compare.core import SchemeRun, Workload, World

# scheme -> (module, function) of its runner
RUNNERS: dict[str, tuple[str, str]] = {
    "l1": ("benchmarks.compare.l1", "run"),
    "optimistic": ("benchmarks.compare.optimistic", "run_single"),
    "optimistic-bisection": ("benchmarks.compare.optimistic", "run_bisection"),
    "zk": ("benchmarks.compare.zk", "run"),
    "plasma": ("benchmarks.compare.plasma", "run"),
    "channels": ("benchmarks.compare.channels", "run"),
}


def runner(scheme: str) -> Callable[[World], SchemeRun] | None:
    """The runner of ``scheme``, or None when its module is not in this build."""
    module, function = RUNNERS[scheme]
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    return getattr(found, function)


def compare(workload: Workload, schemes: Sequence[str] | None = None,
            progress: TextIO | None = None) -> tuple[list[SchemeRun], dict[str, str]]:
    """Every scheme's run of ``workload`` on one shared L1, and why each missing scheme is missing."""
    world = World(workload)
    runs: list[SchemeRun] = []
    missing: dict[str, str] = {}
    for scheme in schemes or list(RUNNERS):
        fn = runner(scheme)
        if fn is None:
            missing[scheme] = "not built"
            continue
        if progress is not None:
            print(f"  {scheme:<22} ({workload.label}) …", end="", file=progress, flush=True)
        began = time.perf_counter()
        try:
            run = fn(world)
        except Exception as exc:  # noqa: BLE001 - the report names the failure; the command exits 1
            missing[scheme] = f"failed: {type(exc).__name__}: {exc}"
            if progress is not None:
                print(f" failed: {type(exc).__name__}: {exc}", file=progress, flush=True)
                traceback.print_exc(file=progress)
            continue
        run.extra.setdefault("runner_seconds", {"unit": "s", "value": round(time.perf_counter() - began, 2)})
        runs.append(run)
        if progress is not None:
            print(f" {time.perf_counter() - began:.1f} s", file=progress, flush=True)
    return runs, missing
