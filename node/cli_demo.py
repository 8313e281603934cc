"""``l2lab demo``: scripted workshop scenarios on an in-process L1, narrated step by step.

The scenarios belong to their schemes (``node/schemes/<scheme>/demos.py``) and
are found through the scheme registry; ``l2lab demo --list`` names them all,
a line each, scheme by scheme.
Each step prints what happened and the balances, so a class can follow along;
the L1 clock is advanced, never waited on. ``--json`` ends with a summary on
stdout (the narration goes to stderr).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contracts_spec.interfaces import Demo, HostedScheme

def all_demos() -> dict[str, tuple[HostedScheme, Demo]]:
    """Every registered scheme's scenarios, by name, with the scheme each belongs to."""
    from node.schemes import all_schemes

    found: dict[str, tuple[HostedScheme, Demo]] = {}
    for scheme in all_schemes().values():
        for name, demo in scheme.demos().items():
            if name in found:
                raise ValueError(f"demo {name!r} is registered by two schemes")
            found[name] = (scheme, demo)
    return found


def honest_losses(summary: dict) -> int:
    """What a demo's honest users lost, in wei, by its own summary."""
    return sum(int(u.get("lost_wei", 0)) for u in summary.get("users", {}).values() if u.get("honest"))


def summary_line(demo: Demo) -> str:
    """A demo's one-line description: the first line of its docstring."""
    lines = (getattr(demo, "__doc__", None) or "").strip().splitlines()
    return lines[0].strip() if lines else ""


def print_list() -> None:
    demos = all_demos()
    width = max(len(name) for name in demos)
    for name, (scheme, demo) in demos.items():
        print(f"  {name:<{width}}  [{scheme.name}] {summary_line(demo)}")
    print(f"\n{len(demos)} demos; run one with `l2lab demo NAME` (add --json for a summary, --preset for a preset)")


def run(args: argparse.Namespace) -> int:
    if args.list:
        print_list()
        return 0
    if args.scenario is None:
        print("l2lab demo: name a scenario (l2lab demo --list shows them all)", file=sys.stderr)
        return 2
    scheme, demo = all_demos()[args.scenario]
    try:
        scheme.check_preset(args.preset)  # an unknown preset is a usage error, before anything runs
    except ValueError as exc:
        print(f"l2lab demo: {exc}", file=sys.stderr)
        return 2
    as_json = getattr(args, "json", False)
    from node.client import url_problem
    from node.demo_l1 import use_rpc

    rpc = getattr(args, "rpc", None)
    if rpc is not None and url_problem(rpc, "--rpc"):
        print(f"l2lab demo: {url_problem(rpc, '--rpc')}", file=sys.stderr)
        return 2

    try:
        with use_rpc(rpc):
            code, summary = demo(args.preset, sys.stderr if as_json else sys.stdout)
    except Exception as exc:  # a demo that breaks says where, in one line
        print(f"l2lab demo {args.scenario}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if as_json:
        from node.cli import print_json

        print_json(summary)
    return code


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("demo", help="run a narrated workshop scenario on an in-process L1")
    p.add_argument("scenario", nargs="?", choices=sorted(all_demos()), metavar="SCENARIO",
                   help="which scenario: " + ", ".join(all_demos()))
    p.add_argument("--list", action="store_true", help="name every scenario with a line each, and stop")
    p.add_argument("--preset", default="minimal",
                   help="the scheme's preset. Optimistic: minimal (a 60 s window) or mainnet (a 7-day window, "
                        "walked through by time travel); zk: small (minimal means small) or bench16/64/256; "
                        "channels and Plasma: minimal or mainnet")
    p.add_argument("--rpc", metavar="URL",
                   help="run against the chain at URL (a running `l2lab node`, `l2lab evm up`'s anvil, any EVM "
                        "chain) instead of an in-process one; its contracts are deployed anew, as Solidity twins "
                        "on a chain that is not the toy L1")
    p.add_argument("--json", action="store_true",
                   help="end with a JSON summary on stdout (balances, losses, gas per L1 step, verdict); "
                        "the narration goes to stderr")
    p.set_defaults(func=run)
