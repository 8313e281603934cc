"""The ``l2lab`` command line: one entry point, a subcommand per area.

Each area lives in its own module and registers its subcommand through
``add_parser(subparsers)``; this file only wires them so ``l2lab --help``
shows the whole tool on one page.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys

# Modules that contribute the subcommands every build has. Each defines
# ``add_parser(subparsers)``, which sets ``func`` on its parser to a callable
# taking the parsed args and returning an exit code. Each registered scheme
# (``node.schemes``) adds its own subcommand after them.
_SUBCOMMAND_MODULES = (
    "node.cli_info",
    "node.server",
    "benchmarks.cli",
    "node.cli_zk",
    "node.cli_demo",
    "node.cli_evm",
    "node.cli_tour",
    "benchmarks.compare.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="l2lab",
        description="A Layer-2 scaling lab: a toy L1 with rollups, channels and Plasma.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _SUBCOMMAND_MODULES:
        importlib.import_module(name).add_parser(subparsers)
    from node.schemes import all_schemes

    for scheme in all_schemes().values():
        scheme.add_cli(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``l2lab … | head``): stop quietly, and point stdout
        # at /dev/null so the interpreter's final flush does not complain either.
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # a stdout without a file descriptor
            pass
        return 0


def print_json(obj: object) -> None:
    """Print a JSON document the way every ``--json`` flag does."""
    json.dump(obj, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


if __name__ == "__main__":
    sys.exit(main())
