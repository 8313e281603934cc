"""The scheme registry: every Layer-2 scheme l2lab hosts, by name.

The node, ``l2lab`` (its per-scheme subcommands), ``l2lab demo`` and
``l2lab bench`` all read this one table; nothing else names a scheme. An entry
maps a scheme's name to the package under ``node/schemes/`` that holds its
front end; that package defines ``SCHEME``, an object meeting
``contracts_spec.interfaces.HostedScheme``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

    from contracts_spec.interfaces import Demo, HostedScheme

# The one registry line a new scheme adds.
SCHEME_MODULES: dict[str, str] = {
    "optimistic": "node.schemes.optimistic",
    "zk": "node.schemes.zk",
    "channels": "node.schemes.channels",
    "plasma": "node.schemes.plasma",
}


def get_scheme(name: str) -> HostedScheme:
    """The registered scheme ``name``; KeyError names the known ones."""
    if name not in SCHEME_MODULES:
        raise KeyError(f"unknown scheme {name!r}; known: {', '.join(SCHEME_MODULES)}")
    return importlib.import_module(SCHEME_MODULES[name]).SCHEME


def all_schemes() -> dict[str, HostedScheme]:
    """Every registered scheme, in registry order."""
    return {name: get_scheme(name) for name in SCHEME_MODULES}


def optional_demos(module: str) -> Mapping[str, Demo]:
    """``module.DEMOS``, or none when that module does not exist; a module it imports that is missing still raises."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return {}
    return found.DEMOS
