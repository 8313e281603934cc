"""The optimistic rollup's front end: hosting beside ``l2lab node``, REST, CLI, demos, benchmarks.

Rules: ``contracts_spec/optimistic/``. Actors: ``rollup/optimistic/``. This
package only wires them to the world; ``SCHEME`` is its registry entry
(``node.schemes.SCHEME_MODULES``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter

    from contracts_spec.interfaces import Demo, Hosted, NodeContext

# Dev accounts the hosted rollup uses; the first ones stay free for users.
OPERATOR_ACCOUNT = 9
CHALLENGER_ACCOUNT = 8
PRESET_CHOICES = ("minimal", "mainnet")


class OptimisticScheme:
    """The optimistic rollup, as the node, the CLI, ``l2lab demo`` and ``l2lab bench`` see it."""

    name = "optimistic"
    summary = "optimistic rollup: batches, state roots, a challenge window and fraud proofs"
    bench_suites: Mapping[str, str] = {"optimistic": "benchmarks.optimistic"}
    compare_runners: Mapping[str, str] = {"optimistic": "benchmarks.compare.optimistic:run_single",
                                          "optimistic-bisection": "benchmarks.compare.optimistic:run_bisection"}
    # The hosted deployment's record and each operator's write-ahead log (rollup.optimistic.service.wal_path).
    data_files = ("optimistic.json", "optimistic-*-wal.sqlite*")

    def add_node_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--optimistic",
            default="minimal",
            choices=(*PRESET_CHOICES, "off"),
            help="host an optimistic rollup beside the L1 with this preset: 'minimal' (60 s challenge "
            "window, small tree) or 'mainnet' (7 days); 'off' hosts none (default minimal)",
        )

    def host(self, node: NodeContext) -> Hosted | None:
        """Deploy (or reattach) the hosted rollup and start its timer; None when off."""
        preset = node.args.optimistic
        if preset == "off":
            return None
        if len(node.accounts) <= OPERATOR_ACCOUNT:
            print(f"warning: the optimistic rollup needs at least {OPERATOR_ACCOUNT + 1} dev accounts; "
                  "not hosting it", file=sys.stderr)
            return None
        from node.schemes.optimistic.host import HostedOptimistic

        def announce(line: str) -> None:
            print(f"{line}; operator is dev account ({OPERATOR_ACCOUNT}), challenger dev account "
                  f"({CHALLENGER_ACCOUNT}); REST under {node.url}/api/optimistic/\n"
                  f"Try: l2lab optimistic --rpc {node.url} --help", flush=True)

        hosted = HostedOptimistic(
            node.app,
            node.l1,
            preset=preset,
            operator_key=node.accounts[OPERATOR_ACCOUNT].private_key,
            challenger_key=node.accounts[CHALLENGER_ACCOUNT].private_key,
            data_dir=node.data_dir,
            announce=announce,
        )
        hosted.start()
        return hosted

    def router(self) -> APIRouter:
        from node.schemes.optimistic.api import router

        return router

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        from node.schemes.optimistic.cli import add_parser

        add_parser(subparsers)

    def demos(self) -> Mapping[str, Demo]:
        from node.schemes.optimistic.demos import DEMOS

        return DEMOS

    def check_preset(self, name: str) -> None:
        from contracts_spec.optimistic.params import get_preset

        get_preset(name)


SCHEME: Any = OptimisticScheme()
