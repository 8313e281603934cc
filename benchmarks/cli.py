"""``l2lab bench SUITE``: run a benchmark suite and print (or save) its figures."""

from __future__ import annotations

import argparse
import importlib
import sys

# suite name -> module in benchmarks/ with run(quick: bool) -> list[Figure]
SUITES = {
    "primitives": "benchmarks.primitives",
    "l1": "benchmarks.bench_l1",
    "kernels": "benchmarks.bench_kernels",
    "zk": "benchmarks.zk",
    "optimistic": "benchmarks.optimistic",
}
# "all" runs each workload once: the primitives suite already includes l1.
ALL = ("primitives", "kernels", "zk", "optimistic")


def run(args: argparse.Namespace) -> int:
    from benchmarks.harness import format_table, write_json

    names = list(ALL) if args.suite == "all" else [args.suite]
    figures = []
    for name in names:
        try:
            module = importlib.import_module(SUITES[name])
        except ModuleNotFoundError:
            print(f"l2lab bench: suite {name!r} is not available in this build", file=sys.stderr)
            return 2
        print(f"== {name} ==", flush=True)
        suite_figures = module.run(quick=args.quick)
        print(format_table(suite_figures), flush=True)
        figures.extend(suite_figures)
    if args.json:
        write_json(figures, args.json)
        print(f"wrote {len(figures)} figures to {args.json}")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bench", help="run a benchmark suite")
    p.add_argument("suite", choices=[*SUITES, "all"], help="which suite")
    p.add_argument("--json", metavar="FILE", help="write every figure to FILE as JSON")
    p.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    p.set_defaults(func=run)
