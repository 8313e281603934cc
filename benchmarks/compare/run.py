"""Run the workload on every scheme, one after another on one in-process L1, and collect the runs.

The rows are the L1 baseline, then what each registered scheme names in its
``compare_runners``, in registry order. A runner whose module is not in this build
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

BASELINE = {"l1": "benchmarks.compare.l1:run"}  # the L1 itself, before any scheme


def runners() -> dict[str, str]:
    """Every row of the report, in order: the L1 baseline, then each registered scheme's runners.

    A scheme names its rows in its ``compare_runners`` (``"module:function"``);
    a row name taken twice is an error, not a row that quietly goes missing.
    """
    from node.schemes import all_schemes

    table = dict(BASELINE)
    for scheme_name, scheme in all_schemes().items():
        for name, target in getattr(scheme, "compare_runners", {}).items():
            if name in table:
                raise ValueError(f"scheme {scheme_name!r}: compare row {name!r} is already taken")
            table[name] = target
    return table


def runner(scheme: str) -> Callable[[World], SchemeRun] | None:
    """The runner of row ``scheme``, or None when its module is not in this build."""
    module, _, function = runners()[scheme].partition(":")
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    return getattr(found, function or "run")


def compare(workload: Workload, schemes: Sequence[str] | None = None,
            progress: TextIO | None = None) -> tuple[list[SchemeRun], dict[str, str]]:
    """Every scheme's run of ``workload`` on one shared L1, and why each missing scheme is missing."""
    world = World(workload)
    runs: list[SchemeRun] = []
    missing: dict[str, str] = {}
    for scheme in schemes or list(runners()):
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
