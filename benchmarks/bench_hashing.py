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


def _keccak_figures(quick: bool) -> list[Figure]:
    data = bytes(range(64))
    figures = []
    pure = _best(lambda: _keccak_py.keccak256(data), quick)
    figures.append(Figure("keccak256 64 B, pure", "µs/hash", pure * 1e6))
    native = compiled("primitives._keccak_c")
    if native is not None:
        fast = _best(lambda: native.keccak256(data), quick)
        figures.append(Figure("keccak256 64 B, compiled", "µs/hash", fast * 1e6))
        figures.append(Figure("keccak256 compiled speed-up", "x", pure / fast))
    return figures


def _merkle_figures(quick: bool) -> list[Figure]:
    n = 1024 if quick else 65536
    label = f"merkle_root {n:,} leaves" + (" (quick)" if quick else "")
    leaves = make_leaves(n)
    with pure_keccak():
        pure = _once(lambda: _merkle_py.merkle_root(leaves))
    mixed = _best(lambda: _merkle_py.merkle_root(leaves), quick, repeat=2)
    figures = [
        Figure(f"{label}, pure", "ms", pure * 1e3, "L2LAB_NATIVE=0 path"),
        Figure(f"{label}, pure twin, compiled keccak", "ms", mixed * 1e3),
    ]
    native = compiled("primitives._merkle_c")
    if native is not None:
        assert native.merkle_root(leaves) == _merkle_py.merkle_root(leaves)
        fast = _best(lambda: native.merkle_root(leaves), quick)
        figures += [
            Figure(f"{label}, compiled", "ms", fast * 1e3, "one C call, GIL released"),
            Figure(f"{label}, compiled vs pure", "x", pure / fast, "target >= 20"),
            Figure(f"{label}, compiled vs pure twin on compiled keccak", "x", mixed / fast),
        ]
    return figures


def _smt_figures(quick: bool) -> list[Figure]:
    n, depth = (100, 32) if quick else (1000, 32)
    label = f"SMT update_many {n:,} random keys, depth {depth}" + (" (quick)" if quick else "")
    items = make_items(n, depth)
    with pure_keccak():
        pure = _once(lambda: _smt_py.SparseMerkleTree(depth).update_many(items)) / n
    mixed = _best(lambda: _smt_py.SparseMerkleTree(depth).update_many(items), quick, repeat=2) / n
    figures = [
        Figure(f"{label}, pure", "µs/update", pure * 1e6, "L2LAB_NATIVE=0 path"),
        Figure(f"{label}, pure twin, compiled keccak", "µs/update", mixed * 1e6),
    ]
    native = compiled("primitives._smt_c")
    if native is None:
        return figures
    fast = _best(lambda: native.SparseMerkleTree(depth).update_many(items), quick) / n
    figures += [
        Figure(f"{label}, compiled", "µs/update", fast * 1e6, "paths rehashed in C"),
        Figure(f"{label}, compiled vs pure", "x", pure / fast),
        Figure(f"{label}, compiled vs pure twin on compiled keccak", "x", mixed / fast),
    ]
    writes = itertools.cycle(make_items(n, depth, seed=3))
    for name, tree_type in (("compiled", native.SparseMerkleTree),
                            ("pure twin, compiled keccak", _smt_py.SparseMerkleTree)):
        tree = tree_type(depth)
        tree.update_many(items)
        one = _best(lambda tree=tree: tree.set(*next(writes)), quick)
        figures.append(Figure(f"SMT set on {n:,} keys, depth {depth}, {name}", "µs/set",
                              one * 1e6))
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
