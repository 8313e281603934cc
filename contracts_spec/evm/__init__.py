"""The Solidity twins of l2lab's L1 contracts, for any EVM chain.

Each ``<Name>.sol`` here is the twin of the Python contract class of the same
name in ``contracts_spec/``: the same ABI (function names, argument and
return types, events) and the same rules, refusing what the Python contract
refuses with a reason that starts with the same rule name (the text before
the first colon). The Python class stays the specification; differential
tests (``tests/test_evm_*``) run the same scenarios on both L1s and compare
outcomes and gas.

Each twin is one source file named as its contract, which may import others
(a twin it extends, or shared code in ``lib/``), and
``artifacts/<Name>.json`` holds what the pinned compiler (``tools/evm``)
made of it (ABI and creation bytecode), with a digest of the source and
settings it was made from, so the twins deploy without a compiler and a
stale artefact is caught (``check_fresh``). ``l2lab evm compile`` rewrites
them.
"""

from __future__ import annotations

import hashlib
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi import encode as abi_encode

from contracts_spec.runtime.abi import param_type
from primitives.keccak import keccak256

SOURCES = Path(__file__).resolve().parent
ARTIFACTS = SOURCES / "artifacts"
# The compiler settings every twin is built with (also what artifacts.json records).
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "viaIR": True,
    "evmVersion": "cancun",
}


class EvmArtifactError(LookupError):
    """A twin's compiled artefact is missing or was made from other sources; the message says what to run."""


def source_files() -> list[Path]:
    """Every Solidity source of the twins, by name."""
    return sorted(SOURCES.glob("*.sol"))


def source_of(name: str) -> Path:
    return SOURCES / f"{name}.sol"


_IMPORT = re.compile(r'^\s*import\s+(?:[^"]*\s+from\s+)?"(\./[^"]+)"\s*;', re.MULTILINE)


def sources_of(name: str) -> list[Path]:
    """Twin ``name``'s source and every file it imports (``import ... "./X.sol"``), transitively, in order."""
    seen: list[Path] = []
    todo = [source_of(name)]
    while todo:
        path = todo.pop(0).resolve()
        if path in seen:
            continue
        seen.append(path)
        todo += [path.parent / found for found in _IMPORT.findall(path.read_text())]
    return seen


def source_digest(name: str) -> str:
    """SHA-256 over the compiler settings and the sources of twin ``name`` (its file and what that imports):
    what its artefact was made from."""
    h = hashlib.sha256(json.dumps(SETTINGS, sort_keys=True).encode())
    for path in sources_of(name):
        h.update(path.relative_to(SOURCES).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def artifact_path(name: str) -> Path:
    return ARTIFACTS / f"{name}.json"


@cache
def _artifact(name: str) -> dict[str, Any]:
    path = artifact_path(name)
    if not source_of(name).exists():
        have = ", ".join(p.stem for p in source_files())
        raise EvmArtifactError(f"no Solidity twin of {name} in contracts_spec/evm (have: {have})")
    if not path.exists():
        raise EvmArtifactError(f"{path} is missing: run `l2lab evm compile`")
    return json.loads(path.read_text())


def check_fresh(name: str | None = None) -> None:
    """Raise ``EvmArtifactError`` unless the artefact of ``name`` (default: every twin) was compiled from its
    source as it is now."""
    for each in [name] if name else [p.stem for p in source_files()]:
        if _artifact(each).get("source_sha256") != source_digest(each):
            raise EvmArtifactError(f"contracts_spec/evm/artifacts/{each}.json was compiled from another "
                                   f"{each}.sol than the one there: run `l2lab evm compile`")


def artifact(name: str) -> dict[str, Any]:
    """The compiled twin ``name``: ``{"abi": [...], "bytecode": "0x…", ...}``."""
    return _artifact(name)


def has_twin(name: str) -> bool:
    try:
        _artifact(name)
    except EvmArtifactError:
        return False
    return True


def is_twin_code(name: str, code: bytes) -> bool:
    """True when ``code`` (as ``eth_getCode`` returns it) is the runtime code of twin ``name``, whatever
    values its constructor wrote into the code's immutables."""
    if not has_twin(name) or not code:
        return False
    found = _artifact(name)
    if len(code) != found.get("runtime_size"):
        return False
    blanked = bytearray(code)
    for start, length in found.get("immutables", []):
        blanked[start:start + length] = bytes(length)
    return "0x" + keccak256(bytes(blanked)).hex() == found.get("runtime_keccak")


def deploy_data(contract_cls: type, *args: Any) -> bytes:
    """Creation data of ``contract_cls``'s Solidity twin: its bytecode and the ABI-encoded constructor arguments.

    A twin whose artefact was compiled from another source than the one here is refused (``check_fresh``).
    """
    check_fresh(contract_cls.__name__)
    found = artifact(contract_cls.__name__)
    ctor = next((e for e in contract_cls.abi() if e.get("type") == "constructor"), None)  # type: ignore[attr-defined]
    types = [p["type"] for p in ctor["inputs"]] if ctor else []
    if len(args) != len(types):
        raise TypeError(f"{contract_cls.__name__} constructor takes {len(types)} arguments, got {len(args)}")
    return bytes.fromhex(found["bytecode"][2:]) + (abi_encode(types, list(args)) if types else b"")


def _signature(entry: dict) -> str:
    args = ",".join(param_type(p) + (" indexed" if p.get("indexed") else "") for p in entry.get("inputs", []))
    outs = ",".join(param_type(p) for p in entry.get("outputs", []))
    return f"{entry['type']} {entry.get('name', '')}({args})->({outs})"


def abi_differences(contract_cls: type) -> list[str]:
    """What the twin's ABI lacks or adds against the Python class's, one line each; empty when they agree.

    Functions and events are compared by name, argument types (and which are
    indexed) and return types. A tuple return in Python is a list of returns
    in Solidity, so returns are compared flattened.
    """
    def entries(abi: list[dict]) -> set[str]:
        out = set()
        for e in abi:
            if e.get("type") not in ("function", "event", "constructor"):
                continue
            if e.get("type") == "function" and len(e.get("outputs", [])) == 1 and \
                    e["outputs"][0]["type"] == "tuple":
                e = dict(e, outputs=e["outputs"][0]["components"])
            out.add(_signature(e))
        return out

    spec = entries(contract_cls.abi())  # type: ignore[attr-defined]
    twin = entries(artifact(contract_cls.__name__)["abi"])
    return [f"missing in the twin: {s}" for s in sorted(spec - twin)] + \
        [f"only in the twin: {s}" for s in sorted(twin - spec)]


__all__ = ["ARTIFACTS", "SETTINGS", "SOURCES", "EvmArtifactError", "abi_differences", "artifact", "artifact_path",
           "check_fresh", "deploy_data", "has_twin", "is_twin_code", "source_digest", "source_files", "source_of",
           "sources_of"]
