"""Hashing hot paths: keccak256, binary Merkle roots and sparse Merkle updates.

Each workload is timed through the compiled twin and the pure twin in the same
run, so the ratios are fair. The pure twins are measured two ways:

- "pure": the pure twin hashing with pure keccak, which is what runs when the
  extensions were not built or ``L2LAB_NATIVE=0``;
- "pure twin, compiled keccak": the pure twin's Python loop calling the
  compiled keccak once per node, which isolates what the batch API saves by
  keeping the whole tree inside one C call.
"""

from __future__ import annotations

import importlib
import itertools
import random
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from benchmarks.harness import Figure, best_time
from primitives import _keccak_py, _merkle_py, _smt_py


def make_leaves(n: int, seed: int = 1) -> list[bytes]:
    """``n`` random 32-byte leaves, the same for every run."""
    rng = random.Random(seed)
    return [rng.randbytes(32) for _ in range(n)]


def make_items(n: int, depth: int = 32, seed: int = 2) -> list[tuple[int, bytes]]:
    """``n`` writes of random values to distinct random keys below ``2**depth``."""
    rng = random.Random(seed)
    keys = rng.sample(range(1 << depth), n)
    return [(key, rng.randbytes(32)) for key in keys]


def compiled(module: str) -> ModuleType | None:
    """A compiled twin, or None when it was not built."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None


@contextmanager
def pure_keccak() -> Iterator[None]:
    """Make the pure Merkle twins hash with pure keccak, as they do without extensions."""
    saved = _merkle_py.keccak256, _smt_py.keccak256
    _merkle_py.keccak256 = _smt_py.keccak256 = _keccak_py.keccak256
    try:
        yield
    finally:
        _merkle_py.keccak256, _smt_py.keccak256 = saved


def _once(fn) -> float:
    """Seconds for one call: for the slow pure workloads, where one call is long enough."""
    return best_time(fn, repeat=1, min_time=0.0)


def _best(fn, quick: bool, repeat: int = 3) -> float:
    """best_time, with shorter rounds for a quick smoke run."""
    return best_time(fn, repeat=2 if quick else repeat, min_time=0.05 if quick else 0.2)


# Backends a hashing figure can be measured on, as they appear in metric ids
# and in the table's row names.
PURE, MIXED, COMPILED = "pure", "pure twin, compiled keccak", "compiled"
_METRIC_SUFFIX = {PURE: "pure", MIXED: "pure_twin_compiled_keccak", COMPILED: "compiled"}


def _time(op: str, backend: str, workload: str, name: str, unit: str, value: float,
          note: str = "") -> Figure:
    """The time of ``op`` on one backend: metric ``{op}_time_{backend}``."""
    return Figure(scheme="primitives", metric=f"{op}_time_{_METRIC_SUFFIX[backend]}",
                  workload=workload, name=name, unit=unit, value=value, note=note)


def _speedup(op: str, slower: str, workload: str, name: str, value: float,
             note: str = "") -> Figure:
    """How many times faster the compiled twin runs ``op`` than ``slower``."""
    return Figure(scheme="primitives", metric=f"{op}_speedup_compiled_vs_{_METRIC_SUFFIX[slower]}",
                  workload=workload, name=name, unit="x", value=value, note=note)


def _keccak_figures(quick: bool) -> list[Figure]:
    data = bytes(range(64))
    workload = f"{len(data)}-byte input"
    figures = []
    pure = _best(lambda: _keccak_py.keccak256(data), quick)
    figures.append(_time("keccak256", PURE, workload, "keccak256 64 B, pure", "µs/hash", pure * 1e6))
    native = compiled("primitives._keccak_c")
    if native is not None:
        fast = _best(lambda: native.keccak256(data), quick)
        figures.append(_time("keccak256", COMPILED, workload, "keccak256 64 B, compiled", "µs/hash",
                             fast * 1e6))
        figures.append(_speedup("keccak256", PURE, workload, "keccak256 compiled speed-up", pure / fast))
    return figures


def _merkle_figures(quick: bool) -> list[Figure]:
    n = 1024 if quick else 65536
    workload = f"{n:,} leaves"
    label = f"merkle_root {workload}" + (" (quick)" if quick else "")
    leaves = make_leaves(n)
    with pure_keccak():
        pure = _once(lambda: _merkle_py.merkle_root(leaves))
    mixed = _best(lambda: _merkle_py.merkle_root(leaves), quick, repeat=2)
    figures = [
        _time("merkle_root", PURE, workload, f"{label}, {PURE}", "ms", pure * 1e3, "L2LAB_NATIVE=0 path"),
        _time("merkle_root", MIXED, workload, f"{label}, {MIXED}", "ms", mixed * 1e3),
    ]
    native = compiled("primitives._merkle_c")
    if native is not None:
        assert native.merkle_root(leaves) == _merkle_py.merkle_root(leaves)
        fast = _best(lambda: native.merkle_root(leaves), quick)
        figures += [
            _time("merkle_root", COMPILED, workload, f"{label}, {COMPILED}", "ms", fast * 1e3,
                  "one C call, GIL released"),
            _speedup("merkle_root", PURE, workload, f"{label}, compiled vs pure", pure / fast,
                     "target >= 20"),
            _speedup("merkle_root", MIXED, workload,
                     f"{label}, compiled vs pure twin on compiled keccak", mixed / fast),
        ]
    return figures


def _smt_figures(quick: bool) -> list[Figure]:
    n, depth = (100, 32) if quick else (1000, 32)
    workload = f"{n:,} random keys, depth {depth}"
    label = f"SMT update_many {workload}" + (" (quick)" if quick else "")
    items = make_items(n, depth)
    with pure_keccak():
        pure = _once(lambda: _smt_py.SparseMerkleTree(depth).update_many(items)) / n
    mixed = _best(lambda: _smt_py.SparseMerkleTree(depth).update_many(items), quick, repeat=2) / n
    op = "smt_update_many"
    figures = [
        _time(op, PURE, workload, f"{label}, {PURE}", "µs/update", pure * 1e6, "L2LAB_NATIVE=0 path"),
        _time(op, MIXED, workload, f"{label}, {MIXED}", "µs/update", mixed * 1e6),
    ]
    native = compiled("primitives._smt_c")
    if native is None:
        return figures
    fast = _best(lambda: native.SparseMerkleTree(depth).update_many(items), quick) / n
    figures += [
        _time(op, COMPILED, workload, f"{label}, {COMPILED}", "µs/update", fast * 1e6,
              "paths rehashed in C"),
        _speedup(op, PURE, workload, f"{label}, compiled vs pure", pure / fast),
        _speedup(op, MIXED, workload, f"{label}, compiled vs pure twin on compiled keccak",
                 mixed / fast),
    ]
    writes = itertools.cycle(make_items(n, depth, seed=3))
    set_workload = f"one write into {n:,} keys, depth {depth}"
    for backend, tree_type in ((COMPILED, native.SparseMerkleTree), (MIXED, _smt_py.SparseMerkleTree)):
        tree = tree_type(depth)
        tree.update_many(items)
        one = _best(lambda tree=tree: tree.set(*next(writes)), quick)
        figures.append(_time("smt_set", backend, set_workload,
                             f"SMT set on {n:,} keys, depth {depth}, {backend}", "µs/set", one * 1e6))
    return figures


def figures(quick: bool = False) -> list[Figure]:
    """Every hashing figure, measured one after another in this process."""
    return _keccak_figures(quick) + _merkle_figures(quick) + _smt_figures(quick)


# ``l2lab bench`` calls a suite's run(quick).
run = figures


if __name__ == "__main__":
    import sys

    from benchmarks.harness import format_table

    print(format_table(figures(quick="--quick" in sys.argv)))
