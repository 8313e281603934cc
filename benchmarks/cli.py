"""``l2lab bench SUITE``: run a benchmark suite and print (or save) its figures.

The core suites are listed here; each registered scheme (``node.schemes``)
brings its own through its ``bench_suites``. The registry is read only when
a suite is looked up, so building the ``l2lab`` parser imports no scheme.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterator

# suite name -> module in benchmarks/ with run(quick: bool) -> list[Figure]
CORE_SUITES = {
    "primitives": "benchmarks.primitives",
    "l1": "benchmarks.bench_l1",
    "kernels": "benchmarks.bench_kernels",
    "zk": "benchmarks.zk",
    "evm": "benchmarks.evm_gas",
}
# Suites another suite already runs, so "all" runs each workload once.
COVERED_BY = {"l1": "primitives"}


def suites() -> dict[str, str]:
    """Every suite: the core ones, then each registered scheme's, by name.

    A scheme that fails to load raises here: a broken scheme is an error,
    not a suite that quietly goes missing.
    """
    from node.schemes import all_schemes

    table = dict(CORE_SUITES)
    for scheme_name, scheme in all_schemes().items():
        for name, module in scheme.bench_suites.items():
            if name in table or name == "all":
                raise ValueError(f"scheme {scheme_name!r}: bench suite {name!r} is already taken")
            table[name] = module
    return table


def all_suites() -> list[str]:
    """What ``l2lab bench all`` runs: every suite but those another one covers."""
    return [name for name in suites() if name not in COVERED_BY]


class _SuiteChoices:
    """argparse ``choices`` that read the scheme registry only when consulted."""

    def __contains__(self, name: object) -> bool:
        return name == "all" or name in suites()

    def __iter__(self) -> Iterator[str]:
        return iter([*suites(), "all"])


def run(args: argparse.Namespace) -> int:
    from benchmarks.harness import format_table, write_json

    table = suites()
    names = all_suites() if args.suite == "all" else [args.suite]
    figures = []
    for name in names:
        try:
            module = importlib.import_module(table[name])
        except ModuleNotFoundError as exc:
            if exc.name != table[name]:  # the suite is there but something it needs is not
                raise
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
    p.add_argument("suite", metavar="SUITE", choices=_SuiteChoices(),
                   help="which suite: %(choices)s ('all' runs each workload once)")
    p.add_argument("--json", metavar="FILE", help="write every figure to FILE as JSON")
    p.add_argument("--quick", action="store_true", help="smaller workloads, for a smoke run")
    p.set_defaults(func=run)
