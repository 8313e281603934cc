"""Plasma MVP's front end: hosting beside ``l2lab node``, REST, CLI, demos, benchmarks.

Rules and the root chain: ``contracts_spec/plasma/``. Actors (the operator
and the users' watchers): ``plasma/``. This package only wires them to the
world; ``SCHEME`` is its registry entry (``node.schemes.SCHEME_MODULES``).
Its command is ``l2lab plasma``; its REST routes are under ``/api/plasma/``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter

    from contracts_spec.interfaces import Demo, Hosted, NodeContext

# The dev account that operates the hosted child chain: the channels' peers take 3 to 6, the zk-rollup 7,
# the optimistic rollup 9 and 8.
OPERATOR_ACCOUNT = 2
DEFAULT_PRESET = "minimal"


def preset_names() -> tuple[str, ...]:
    from contracts_spec.plasma.params import PRESETS

    return tuple(PRESETS)


class PlasmaScheme:
    """Plasma MVP, as the node, the CLI, ``l2lab demo`` and ``l2lab bench`` see it."""

    name = "plasma"
    summary = ("Plasma MVP: one Merkle root per child block on L1, users watch every block and exit with a "
               "bond, challenges within the exit period, a mass exit when data is withheld")
    bench_suites: Mapping[str, str] = {"plasma": "benchmarks.plasma"}
    compare_runners: Mapping[str, str] = {"plasma": "benchmarks.compare.plasma:run"}
    # The hosted root chain's record and its operator's log (service.log_path).
    data_files = ("plasma.json", "plasma-*-operator.sqlite*")

    def add_node_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--plasma-preset",
            default=DEFAULT_PRESET,
            choices=(*preset_names(), "off"),
            help=f"host a Plasma MVP child chain operated by dev account {OPERATOR_ACCOUNT} with this preset: "
            "'minimal' (an exit period of 5 blocks and 60 s, a 0.01 ETH bond) or 'mainnet' (a week, 0.1 ETH); "
            f"'off' hosts none (default {DEFAULT_PRESET})",
        )

    def host(self, node: NodeContext) -> Hosted | None:
        """Deploy (or reattach) the root chain, start its operator and timer; None when off."""
        preset = getattr(node.args, "plasma_preset", DEFAULT_PRESET)
        if preset == "off":
            return None
        if len(node.accounts) <= OPERATOR_ACCOUNT:
            print(f"warning: the Plasma chain needs at least {OPERATOR_ACCOUNT + 1} dev accounts; not hosting it",
                  file=sys.stderr)
            return None
        from node.schemes.plasma.host import HostedPlasma

        def announce(line: str) -> None:
            print(f"{line}; operator is dev account ({OPERATOR_ACCOUNT}); REST under {node.url}/api/plasma/\n"
                  f"Try: l2lab plasma --rpc {node.url} --help", flush=True)

        hosted = HostedPlasma(node.app, node.l1, preset=preset,
                              operator_key=node.accounts[OPERATOR_ACCOUNT].private_key,
                              data_dir=node.data_dir, announce=announce)
        hosted.start()
        return hosted

    def router(self) -> APIRouter:
        from node.schemes.plasma.api import router

        return router

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        from node.schemes.plasma.cli import add_parser

        add_parser(subparsers)

    def demos(self) -> Mapping[str, Demo]:
        from node.schemes import optional_demos

        return optional_demos("node.schemes.plasma.demos")

    def check_preset(self, name: str) -> None:
        """A Plasma preset name: minimal (``l2lab demo``'s default) or mainnet."""
        from contracts_spec.plasma.params import get_preset

        get_preset(name)


SCHEME: Any = PlasmaScheme()
