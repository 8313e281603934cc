"""The zk-rollup's front end: hosting beside ``l2lab node``, REST, CLI, demos, benchmarks.

Rules: ``contracts_spec/zk/``. Actors: ``rollup/zk/``. This package only
wires them to the world; ``SCHEME`` is its registry entry
(``node.schemes.SCHEME_MODULES``). Its command is ``l2lab zk-rollup``
(``l2lab zk`` is the proving stack's own command, ``node/cli_zk.py``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter

    from contracts_spec.interfaces import Demo, Hosted, NodeContext

# The dev account that operates the hosted zk-rollup (the optimistic rollup's host takes 9 and 8).
OPERATOR_ACCOUNT = 7
DEFAULT_PRESET = "small"


def preset_names() -> tuple[str, ...]:
    from contracts_spec.zk.params import PRESETS

    return tuple(PRESETS)


class ZkScheme:
    """The zk-rollup, as the node, the CLI, ``l2lab demo`` and ``l2lab bench`` see it."""

    name = "zk"
    summary = "zk-rollup: batches proved with Groth16 and verified on L1, withdrawals at once, exodus mode"
    bench_suites: Mapping[str, str] = {"zk-rollup": "benchmarks.zk_rollup",
                                       "zk-rollup-sizes": "benchmarks.zk_rollup_sizes"}
    compare_runners: Mapping[str, str] = {"zk": "benchmarks.compare.zk:run"}
    # The hosted deployment's record and each operator's log of admitted operations
    # (rollup.zk.service.op_log_path).
    data_files = ("zk-rollup.json", "zk-rollup-*-ops.sqlite*")

    def add_node_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--zk-preset",
            default=DEFAULT_PRESET,
            choices=(*preset_names(), "off"),
            help="host a zk-rollup beside the L1 with this preset: 'small' (256 accounts; 2 deposits, 4 "
            "transfers and 1 withdrawal per batch, a proof in about 10 s) or a bench preset (depth 24, "
            f"minutes of setup); 'off' hosts none (default {DEFAULT_PRESET})",
        )

    def host(self, node: NodeContext) -> Hosted | None:
        """Deploy (or reattach) the hosted zk-rollup and start its timer; None when off."""
        preset = getattr(node.args, "zk_preset", DEFAULT_PRESET)
        if preset == "off":
            return None
        if len(node.accounts) <= OPERATOR_ACCOUNT:
            print(f"warning: the zk-rollup needs at least {OPERATOR_ACCOUNT + 1} dev accounts; not hosting it",
                  file=sys.stderr)
            return None
        from node.schemes.zk.host import HostedZk

        def announce(line: str) -> None:
            print(f"{line}; operator is dev account ({OPERATOR_ACCOUNT}), proofs in a worker process; REST "
                  f"under {node.url}/api/zk/\nTry: l2lab zk-rollup --rpc {node.url} --help", flush=True)

        hosted = HostedZk(node.app, node.l1, preset=preset,
                          operator_key=node.accounts[OPERATOR_ACCOUNT].private_key,
                          data_dir=node.data_dir, announce=announce)
        hosted.start()
        return hosted

    def router(self) -> APIRouter:
        from node.schemes.zk.api import router

        return router

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        from node.schemes.zk.cli import add_parser

        add_parser(subparsers)

    def demos(self) -> Mapping[str, Demo]:
        from node.schemes import optional_demos

        return optional_demos("node.schemes.zk.demos")

    def check_preset(self, name: str) -> None:
        """A zk preset name; ``minimal`` (``l2lab demo``'s default, shared with the optimistic rollup) means small."""
        from contracts_spec.zk.params import get_preset

        get_preset("small" if name == "minimal" else name)


SCHEME: Any = ZkScheme()
