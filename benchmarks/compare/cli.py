"""``l2lab compare``: one workload across every scheme, measured in one run, as a table, JSON or a report.

The workload (``benchmarks.compare.core``) is the same for every scheme: N
users with a deposit each, M transfers among them, a withdrawal each; it
runs on one in-process L1, scheme after scheme (``benchmarks.compare.run``).
``--quick`` is a smoke run in well under a minute; the default preset makes
a report in minutes, with the uniform and the hot-spot mix. The terminal
gets a table; ``--json`` prints every figure (scheme, metric, workload,
unit, value) instead; ``--out DIR`` also writes report.md, a self-contained
report.html with its plots, report.json and the plots as SVG files. The
command exits 1 when a scheme fails to run or an honest user loses anything.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path


def _workloads(args: argparse.Namespace) -> list:
    from benchmarks.compare.core import MIXES, PRESETS

    base = PRESETS["quick" if args.quick else "default"]
    changes: dict[str, object] = {"seed": args.seed}
    if args.users is not None:
        changes["users"] = args.users
    if args.transfers is not None:
        changes["transfers"] = args.transfers
    mixes = (["uniform"] if args.quick else list(MIXES)) if args.mix is None else (
        list(MIXES) if args.mix == "both" else [args.mix])
    return [dataclasses.replace(base, mix=mix, **changes) for mix in mixes]  # type: ignore[arg-type]


def run(args: argparse.Namespace) -> int:
    from benchmarks.compare import report
    from benchmarks.compare.published import PUBLISHED
    from benchmarks.compare.run import compare, runners

    known = runners()
    unknown = [s for s in args.only or [] if s not in known]
    if unknown:
        print(f"l2lab compare: no scheme named {', '.join(unknown)} (known: {', '.join(known)})", file=sys.stderr)
        return 2
    try:
        workloads = _workloads(args)
    except ValueError as exc:
        print(f"l2lab compare: {exc}", file=sys.stderr)
        return 2
    out_dir = Path(args.out) if args.out else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        print(f"l2lab compare: --out {args.out} exists and is not a directory", file=sys.stderr)
        return 2
    if out_dir is not None:
        try:  # before anything is measured: a report that cannot be written is known at once
            out_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"l2lab compare: cannot write the report to --out {args.out}: {exc.strerror or exc}",
                  file=sys.stderr)
            return 2
    log = sys.stderr if args.json else sys.stdout
    results = []
    began = time.perf_counter()
    for workload in workloads:
        print(f"running {workload.label} on every scheme, one shared in-process L1:", file=log, flush=True)
        runs, missing = compare(workload, args.only, progress=log)
        results.append((workload, runs, missing))
    escapes, escape_failed = _escapes(args.only, log)
    print(f"measured in {time.perf_counter() - began:.0f} s\n", file=log, flush=True)
    for workload, runs, missing in results:
        print(report.terminal_table(runs, workload, missing), file=log)
        print(file=log)
    for line in report.escape_lines(escapes):
        print(line, file=log)
    if escapes:
        print(file=log)
    if args.json:
        from node.cli import print_json

        print_json(report.to_json_all(results, PUBLISHED, escapes))
    if out_dir is not None:
        try:
            written = report.write_report_all(out_dir, results, PUBLISHED, escapes)
        except OSError as exc:
            print(f"l2lab compare: cannot write the report to --out {args.out}: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {', '.join(str(p) for p in written)}", file=log)
    failed = {s: why for _, _, missing in results for s, why in missing.items() if why != "not built"}
    failed.update(escape_failed)
    lost = {r.scheme: r.lost_wei for _, runs, _ in results for r in runs if r.lost_wei}
    for scheme, why in failed.items():
        print(f"l2lab compare: {scheme} {why}", file=sys.stderr)
    for scheme, wei in lost.items():
        print(f"l2lab compare: honest users lost {wei} wei on {scheme}", file=sys.stderr)
    return 1 if failed or lost else 0


def _escapes(only: list[str] | None, log) -> tuple[list, dict[str, str]]:
    """Each scheme's escape, measured by running its escape demo; and the routes that failed, with why."""
    from benchmarks.compare.escape import ROUTES, measure
    from node.cli_demo import all_demos

    known = all_demos()
    routes = [r for r in ROUTES if (not only or r.scheme in only) and r.demo in known]
    if routes:
        print("leaving alone, each scheme's escape demo:", file=log, flush=True)
    escapes, failed = [], {}
    for route in routes:
        print(f"  {route.scheme:<22} (l2lab demo {route.demo}) …", end="", file=log, flush=True)
        began = time.perf_counter()
        try:
            escape = measure(route)
        except Exception as exc:  # noqa: BLE001 - named, and the command exits 1
            failed[f"{route.scheme} (leaving alone)"] = f"failed: {type(exc).__name__}: {exc}"
            print(f" failed: {type(exc).__name__}: {exc}", file=log, flush=True)
            continue
        print(f" {time.perf_counter() - began:.1f} s", file=log, flush=True)
        if not escape.ok:
            failed[f"{route.scheme} (leaving alone)"] = f"the demo {route.demo} did not end as it should"
        escapes.append(escape)
    return escapes, failed


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("compare", help="one workload across every scheme, measured side by side, as a report")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 4 users, 32 transfers, the uniform mix (default: 16 users, 256 transfers, "
                        "both mixes)")
    p.add_argument("--mix", choices=["uniform", "hotspot", "both"],
                   help="uniform: any user pays any other; hotspot: 80%% of transfers go to 2 users")
    p.add_argument("--users", type=_positive, metavar="N", help="users in the workload (at least 2)")
    p.add_argument("--transfers", type=_positive, metavar="M", help="transfers in the workload")
    p.add_argument("--seed", type=int, default=7, help="the workload's random seed (default 7)")
    p.add_argument("--only", action="append", metavar="SCHEME",
                   help="run only this scheme (repeatable): l1, optimistic, optimistic-bisection, zk, plasma, "
                        "channels")
    p.add_argument("--json", action="store_true",
                   help="print every figure as JSON on stdout (the table and progress go to stderr)")
    p.add_argument("--out", metavar="DIR",
                   help="write report.md, report.html (self-contained, with plots), report.json and the plots")
    p.set_defaults(func=run)
