"""``l2lab tour``: every demo of every scheme in teaching order, narrated, with a verdict table at the end.

The order is the registry's (optimistic rollup, zk-rollup, payment channels,
Plasma), each scheme's honest path first and its attacks after. Run in a
terminal, the tour pauses between schemes until Enter; ``--no-pause`` (or a
stdin that is not a terminal) runs straight through. ``--only`` keeps one
scheme's part, ``--rpc`` runs every demo against that chain instead of an
in-process one (an l2lab node's dashboard then shows each demo's narration, as
``l2lab demo --rpc`` does), ``--step`` waits for Enter after every narrated
step. It exits 1 when a demo fails or an honest user loses anything.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any, TextIO

SMALL_PRESETS = {"zk": "small"}  # each scheme's small preset, for a tour in minutes


def tour(schemes: list[str], *, pause: bool, rpc: str | None, out: TextIO, prompt: Any = input,
         step: bool = False, token: str | None = None) -> list[dict]:
    """Run the demos of ``schemes`` in order; one row per demo (name, scheme, ok, honest loss, seconds).

    ``step`` waits for a line on stdin after each narrated step; against an l2lab
    node (``rpc``), each demo's narration is posted to it with ``token``.
    """
    from node.cli_demo import all_demos, honest_losses, is_l2lab_node, node_narration, summary_line
    from node.demo_l1 import use_rpc
    from node.narration import use_pause, use_sink, wait_for_enter

    rows = []
    demos = all_demos()
    to_node = rpc is not None and is_l2lab_node(rpc)
    stepping = wait_for_enter() if step else None
    for i, scheme in enumerate(schemes):
        part = [(name, demo) for name, (s, demo) in demos.items() if s.name == scheme]
        print(f"\n=== Part {i + 1}: {scheme} ({len(part)} demos) ===", file=out, flush=True)
        for name, demo in part:
            print(f"\n--- {name}: {summary_line(demo)} ---", file=out, flush=True)
            started = time.perf_counter()
            sink = node_narration(rpc, token, demo, name, sys.stderr) if to_node else None
            try:
                with use_rpc(rpc, token if to_node else None), use_sink(sink), use_pause(stepping):
                    code, summary = demo(SMALL_PRESETS.get(scheme, "minimal"), out)
                ok, lost, why = code == 0 and bool(summary.get("ok")), honest_losses(summary), ""
            except Exception as exc:  # a demo that breaks is a failed row, and the tour goes on
                ok, lost, why = False, 0, f"{type(exc).__name__}: {exc}"
            finally:
                if sink is not None:
                    sink.close()
            rows.append({"demo": name, "scheme": scheme, "ok": ok and lost == 0, "honest_lost_wei": lost,
                         "seconds": round(time.perf_counter() - started, 1), "error": why})
        if pause and i + 1 < len(schemes):
            prompt(f"\n(end of part {i + 1}; press Enter for {schemes[i + 1]}) ")
    return rows


def run(args: argparse.Namespace) -> int:
    from node.schemes import all_schemes

    known = list(all_schemes())
    schemes = known if not args.only else args.only
    unknown = [s for s in schemes if s not in known]
    if unknown:
        print(f"l2lab tour: no scheme named {', '.join(unknown)} (known: {', '.join(known)})", file=sys.stderr)
        return 2
    from node.client import url_problem

    if args.rpc is not None and url_problem(args.rpc, "--rpc"):
        print(f"l2lab tour: {url_problem(args.rpc, '--rpc')}", file=sys.stderr)
        return 2
    from node.auth import find_token

    pause = not args.no_pause and sys.stdin.isatty()
    rows = tour(schemes, pause=pause, rpc=args.rpc, out=sys.stdout, step=getattr(args, "step", False),
                token=find_token(getattr(args, "token", None)) if args.rpc is not None else None)
    print(f"\n{'demo':<28}{'verdict':<10}{'honest users lost':>18}{'seconds':>9}")
    for row in rows:
        verdict = "ok" if row["ok"] else "FAILED"
        print(f"{row['demo']:<28}{verdict:<10}{row['honest_lost_wei']:>14} wei{row['seconds']:>9}"
              + (f"  {row['error']}" if row["error"] else ""))
    failed = [row["demo"] for row in rows if not row["ok"]]
    print(f"\n{len(rows) - len(failed)} of {len(rows)} demos ok" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("tour", help="run every demo in teaching order, narrated, pausing between schemes")
    p.add_argument("--no-pause", action="store_true", help="run straight through (also when stdin is no terminal)")
    p.add_argument("--only", action="append", metavar="SCHEME", help="one scheme's part (repeatable)")
    p.add_argument("--rpc", metavar="URL", help="run every demo against the chain at URL (see `l2lab demo --rpc`)")
    p.add_argument("--step", action="store_true",
                   help="pause after each narrated step until Enter (see `l2lab demo --step`)")
    p.add_argument("--token", metavar="TOKEN", help="with --rpc at an l2lab node: its admin token, for its dashboard")
    p.set_defaults(func=run)
