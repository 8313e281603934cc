"""keccak256 (Ethereum's hash), compiled when built, pure Python otherwise."""

from __future__ import annotations

from primitives import _backend, _keccak_py

_impl, BACKEND = _backend.choose("keccak256", _keccak_py, "primitives._keccak_c")
keccak256 = _impl.keccak256
keccak256_many = _impl.keccak256_many

__all__ = ["keccak256", "keccak256_many", "BACKEND"]
