"""keccak256 (Ethereum's hash), compiled when built, pure Python otherwise."""

from __future__ import annotations

from primitives import _backend, _keccak_py

_native = _backend.load_native("primitives._keccak_c")
if _native is not None:
    keccak256 = _native.keccak256
    keccak256_many = _native.keccak256_many
    _backend.register("keccak256", "compiled")
else:
    keccak256 = _keccak_py.keccak256
    keccak256_many = _keccak_py.keccak256_many
    _backend.register("keccak256", "pure")

BACKEND = "compiled" if _native is not None else "pure"

__all__ = ["keccak256", "keccak256_many", "BACKEND"]
