"""Payment channels' front end: hosting beside ``l2lab node``, REST, CLI, demos, benchmarks.

Rules: ``contracts_spec/channels/``. Actors: ``channels/``. This package only
wires them to the world; ``SCHEME`` is its registry entry
(``node.schemes.SCHEME_MODULES``). Its command is ``l2lab channel``; its
REST routes are under ``/api/channels/``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter

    from contracts_spec.interfaces import Demo, Hosted, NodeContext

# The dev accounts whose channel peers the node runs: the optimistic rollup's host takes 9 and 8, the
# zk-rollup's 7. The first also deploys the adjudicator and the secret registry.
PEER_ACCOUNTS = (3, 4, 5, 6)
DEFAULT_PRESET = "minimal"


def preset_names() -> tuple[str, ...]:
    from contracts_spec.channels.params import PRESETS

    return tuple(PRESETS)


class ChannelsScheme:
    """Payment channels, as the node, the CLI, ``l2lab demo`` and ``l2lab bench`` see them."""

    name = "channels"
    summary = ("payment channels: deposits locked on L1, signed balance proofs off-chain, multi-hop hash-time "
               "locked payments, disputes within the settlement window")
    bench_suites: Mapping[str, str] = {"channels": "benchmarks.channels"}
    compare_runners: Mapping[str, str] = {"channels": "benchmarks.compare.channels:run"}
    # The hosted contracts' record and each hosted peer's write-ahead log (service.log_path).
    data_files = ("channels.json", "channels-*-peer*.sqlite*")

    def add_node_options(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--channels-preset",
            default=DEFAULT_PRESET,
            choices=(*preset_names(), "off"),
            help="host payment-channel peers for dev accounts "
            f"{', '.join(map(str, PEER_ACCOUNTS))} on an adjudicator with this preset: 'minimal' (settlement "
            "windows of 10..200 blocks, 20 by default) or 'mainnet' (Raiden's: 500 blocks); 'off' hosts none "
            f"(default {DEFAULT_PRESET})",
        )

    def host(self, node: NodeContext) -> Hosted | None:
        """Deploy (or reattach) the adjudicator, start the hosted peers and their timer; None when off."""
        preset = getattr(node.args, "channels_preset", DEFAULT_PRESET)
        if preset == "off":
            return None
        if len(node.accounts) <= max(PEER_ACCOUNTS):
            print(f"warning: the payment channels need at least {max(PEER_ACCOUNTS) + 1} dev accounts; not "
                  "hosting them", file=sys.stderr)
            return None
        from node.schemes.channels.host import HostedChannels

        peers = ", ".join(f"({i})" for i in PEER_ACCOUNTS)

        def announce(line: str) -> None:
            print(f"{line}; peers for dev accounts {peers}; REST under {node.url}/api/channels/\n"
                  f"Try: l2lab channel --rpc {node.url} --help", flush=True)

        hosted = HostedChannels(node.app, node.l1, preset=preset,
                                keys={i: node.accounts[i].private_key for i in PEER_ACCOUNTS},
                                deployer_key=node.accounts[PEER_ACCOUNTS[0]].private_key,
                                data_dir=node.data_dir, announce=announce)
        hosted.start()
        return hosted

    def router(self) -> APIRouter:
        from node.schemes.channels.api import router

        return router

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        from node.schemes.channels.cli import add_parser

        add_parser(subparsers)

    def demos(self) -> Mapping[str, Demo]:
        from node.schemes import optional_demos

        return optional_demos("node.schemes.channels.demos")

    def check_preset(self, name: str) -> None:
        """A channel preset name: minimal (``l2lab demo``'s default) or mainnet."""
        from contracts_spec.channels.params import get_preset

        get_preset(name)


SCHEME: Any = ChannelsScheme()
