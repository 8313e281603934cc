"""``l2lab info``: the version and which backend serves each hot path."""

from __future__ import annotations

import argparse
import platform
from importlib import metadata


def collect() -> dict:
    from primitives import backends

    try:
        version = metadata.version("l2lab")
    except metadata.PackageNotFoundError:
        version = "unknown (not installed)"
    from primitives._backend import native_enabled

    return {
        "version": version,
        "python": platform.python_version(),
        "native_enabled": native_enabled(),
        "backends": backends(),
    }


def run(args: argparse.Namespace) -> int:
    info = collect()
    if args.json:
        from node.cli import print_json

        print_json(info)
        return 0
    print(f"l2lab {info['version']} on Python {info['python']}")
    if not info["native_enabled"]:
        print("L2LAB_NATIVE=0: compiled hot paths are switched off")
    for hot_path, backend in info["backends"].items():
        print(f"  {hot_path:<24} {backend}")
    if any(b == "pure" for b in info["backends"].values()) and info["native_enabled"]:
        print("some hot paths run their pure-Python twin: the compiled module was not built")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("info", help="version and the backend of each hot path")
    p.add_argument("--json", action="store_true", help="print as JSON")
    p.set_defaults(func=run)
