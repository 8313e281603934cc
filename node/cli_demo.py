"""``l2lab demo``: scripted workshop scenarios on an in-process L1, narrated step by step.

The scenarios belong to their schemes (``node/schemes/<scheme>/demos.py``) and
are found through the scheme registry; ``l2lab demo --list`` names them all,
a line each, scheme by scheme.
Each step prints what happened and the balances, so a class can follow along;
the L1 clock is advanced, never waited on. ``--json`` ends with a summary on
stdout (the narration goes to stderr). Against an l2lab node (``--rpc``), each
narrated step is also posted to the node, whose dashboard shows it as it
happens; ``--step`` waits for Enter after each step (from a pipe: a line each).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from contracts_spec.interfaces import Demo, HostedScheme

NARRATION_TIMEOUT_SECONDS = 5.0

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


def is_l2lab_node(url: str) -> bool:
    """Whether the chain at ``url`` is an l2lab node (its ``web3_clientVersion`` starts ``l2lab/``)."""
    from node.client import HttpTransport

    try:
        with HttpTransport(url, timeout=NARRATION_TIMEOUT_SECONDS) as transport:
            return str(transport.request("web3_clientVersion", [])).startswith("l2lab/")
    except Exception:  # noqa: BLE001 - a chain that cannot say is not one to post narration to
        return False


class NodeNarration:
    """Posts one demo run's narrated steps to an l2lab node (``POST /api/narration``) for its dashboard.

    A node that refuses (no token, a wrong one, an older node without the
    route) is told about once on ``err``; after that nothing more is sent, and
    the demo goes on as if there were no node to tell.
    """

    def __init__(self, url: str, token: str | None, demo: str, err: TextIO) -> None:
        import httpx

        from node.live import new_run_id

        self.url = url.rstrip("/") + "/api/narration"
        self.demo, self.run, self.err = demo, new_run_id(), err
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client: Any = httpx.Client(timeout=NARRATION_TIMEOUT_SECONDS, headers=headers)

    def __call__(self, step: dict[str, Any]) -> None:
        if self._client is None:
            return
        try:
            answer = self._client.post(self.url, json={"run": self.run, "demo": self.demo, **step})
            problem = None if answer.status_code == 200 else f"HTTP {answer.status_code}: {answer.text[:200]}"
        except Exception as exc:  # noqa: BLE001 - the node went away: the demo still runs
            problem = f"{type(exc).__name__}: {exc}"
        if problem is not None:
            hint = " (give the node's admin token: --token or L2LAB_NODE_TOKEN)" if "401" in problem else ""
            print(f"l2lab demo: the node's dashboard will not show this demo's narration: {problem}{hint}",
                  file=self.err, flush=True)
            self.close()

    def start(self, line: str) -> None:
        """Say on the dashboard that this run has begun, with the demo's one-line description."""
        self({"kind": "start", "step": 0, "text": line})

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def node_narration(rpc: str | None, token: str | None, demo: Demo, name: str, err: TextIO) -> NodeNarration | None:
    """The sink for a run of ``name`` against ``rpc`` when that is an l2lab node; None otherwise."""
    if rpc is None or not is_l2lab_node(rpc):
        return None
    sink = NodeNarration(rpc, token, name, err)
    sink.start(summary_line(demo))
    return sink


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

    from node.auth import find_token
    from node.narration import use_pause, use_sink, wait_for_enter

    token = find_token(getattr(args, "token", None)) if rpc is not None else None
    sink = node_narration(rpc, token, demo, args.scenario, sys.stderr)
    pause = wait_for_enter() if getattr(args, "step", False) else None
    try:
        # The token goes only to an l2lab node (whose dev methods need it), never to another chain.
        with use_rpc(rpc, token if sink is not None else None), use_sink(sink), use_pause(pause):
            code, summary = demo(args.preset, sys.stderr if as_json else sys.stdout)
    except Exception as exc:  # a demo that breaks says where, in one line
        print(f"l2lab demo {args.scenario}: failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if sink is not None:
            sink({"kind": "summary", "step": 0, "text": f"failed: {type(exc).__name__}: {exc}"[:2000], "ok": False})
        return 1
    finally:
        if sink is not None:
            sink.close()
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
    p.add_argument("--step", action="store_true",
                   help="pause after each narrated step until Enter; with stdin not a terminal, read a line "
                        "per step (at its end, run on)")
    p.add_argument("--token", metavar="TOKEN",
                   help="with --rpc at an l2lab node: its admin token, to post the narration to its dashboard "
                        "(default: L2LAB_NODE_TOKEN, else ./l2lab-data/node-token)")
    p.set_defaults(func=run)
