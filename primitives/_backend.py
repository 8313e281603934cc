"""Choice between a compiled hot path and its pure-Python twin.

Each hot path registers itself here when its module is imported. The compiled
twin is used when it was built and ``L2LAB_NATIVE`` is not ``0``; ``l2lab info``
reads the registry to say which backend each hot path uses.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

_REGISTRY: dict[str, str] = {}


def native_enabled() -> bool:
    """False when the user forces the pure-Python twins with ``L2LAB_NATIVE=0``."""
    return os.environ.get("L2LAB_NATIVE", "1").strip().lower() not in ("0", "false", "no", "off")


def load_native(module: str) -> ModuleType | None:
    """Import a compiled module, or return None when it is disabled or was not built."""
    if not native_enabled():
        return None
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


def choose(hot_path: str, pure: ModuleType, compiled: str) -> tuple[ModuleType, str]:
    """The module that serves ``hot_path`` (the compiled twin when built and enabled,
    else ``pure``) and its backend name, registered for ``l2lab info``."""
    native = load_native(compiled)
    impl, backend = (native, "compiled") if native is not None else (pure, "pure")
    register(hot_path, backend)
    return impl, backend


def register(hot_path: str, backend: str) -> None:
    """Record which backend (``"compiled"`` or ``"pure"``) serves a hot path."""
    _REGISTRY[hot_path] = backend


def backends() -> dict[str, str]:
    """The backend of every hot path, importing the modules that register them."""
    for mod in _HOT_PATH_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:
            pass
    return dict(sorted(_REGISTRY.items()))


# Modules that register hot paths when imported.
_HOT_PATH_MODULES = (
    "primitives.keccak",
    "primitives.merkle",
    "primitives.smt",
    "primitives.secp256k1",
    "primitives.snark.kernels",
    "primitives.snark.poseidon",
)
