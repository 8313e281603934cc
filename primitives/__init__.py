"""The shared math of l2lab: hashing, Merkle trees, signatures, encodings, SNARKs.

Workshops import the everyday names from here::

    from primitives import keccak256, merkle_root, recover_signers

Each hot path is compiled with Cython when the build had a C compiler and has a
pure-Python twin with the same signature; ``L2LAB_NATIVE=0`` forces the twins.
"""

from __future__ import annotations

from typing import Any

from primitives.keccak import keccak256, keccak256_many

_LAZY = {
    "merkle_root": "primitives.merkle",
    "recover_signers": "primitives.secp256k1",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'primitives' has no attribute {name!r}")


def backends() -> dict[str, str]:
    """Which backend ("compiled" or "pure") serves each hot path."""
    from primitives import _backend

    return _backend.backends()


__all__ = ["keccak256", "keccak256_many", "merkle_root", "recover_signers", "backends"]
