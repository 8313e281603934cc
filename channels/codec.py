"""A canonical JSON form of the peers' records: state changes in the log, messages to sign.

Dataclasses and named tuples of this package (and the rules' ``BalanceProof``,
``Lock`` and ``Reveal``) become ``{"_t": name, field: value, ...}``, bytes
``{"_b": hex}`` and tuples ``{"_l": [...]}``, so that decoding gives back
equal objects (tuples stay tuples, frozen dataclasses stay hashable).
Dumping sorts keys and drops spaces: the same object always gives the same
bytes, which is what a signature over a message needs.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from contracts_spec.channels.rules import BalanceProof, Lock, Reveal

_TYPES: dict[str, type] = {"BalanceProof": BalanceProof, "Lock": Lock, "Reveal": Reveal}


def register(cls: type) -> type:
    """Make ``cls`` (a dataclass or named tuple) known to :func:`decode` by its name."""
    if _TYPES.setdefault(cls.__name__, cls) is not cls:
        raise ValueError(f"two record types are called {cls.__name__}")
    return cls


def to_plain(obj: Any) -> Any:
    """``obj`` as JSON-ready values (see the module doc)."""
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, bytes):
        return {"_b": obj.hex()}
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        out = {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        out["_t"] = type(obj).__name__
        return out
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        out = {name: to_plain(getattr(obj, name)) for name in obj._fields}
        out["_t"] = type(obj).__name__
        return out
    if isinstance(obj, tuple):
        return {"_l": [to_plain(v) for v in obj]}
    if isinstance(obj, list):
        return [to_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {"_d": [[to_plain(k), to_plain(v)] for k, v in obj.items()]}
    raise TypeError(f"cannot encode a {type(obj).__name__}")


def from_plain(value: Any) -> Any:
    """The object :func:`to_plain` made ``value`` from."""
    if isinstance(value, list):
        return [from_plain(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "_b" in value:
        return bytes.fromhex(value["_b"])
    if "_l" in value:
        return tuple(from_plain(v) for v in value["_l"])
    if "_d" in value:
        return {from_plain(k): from_plain(v) for k, v in value["_d"]}
    name = value.get("_t")
    cls = _TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ValueError(f"unknown record type {name!r}")
    return cls(**{k: from_plain(v) for k, v in value.items() if k != "_t"})


def dumps(obj: Any) -> bytes:
    """Canonical bytes of ``obj``."""
    return json.dumps(to_plain(obj), sort_keys=True, separators=(",", ":")).encode()


def loads(data: bytes | str) -> Any:
    return from_plain(json.loads(data))
