"""pytest-benchmark timings of the workloads in bench_hashing.py.

Run with ``python -m pytest benchmarks/test_bench_hashing.py --benchmark-enable``.
"""

from __future__ import annotations

import itertools

import pytest

from benchmarks.bench_hashing import compiled, make_items, make_leaves, pure_keccak
from primitives import _merkle_py, _smt_py

keccak_c = compiled("primitives._keccak_c")
merkle_c = compiled("primitives._merkle_c")
smt_c = compiled("primitives._smt_c")
needs = pytest.mark.skipif(
    None in (keccak_c, merkle_c, smt_c), reason="compiled hot paths not built"
)


@needs
def test_keccak256_64_bytes_compiled(benchmark):
    data = bytes(range(64))
    assert len(benchmark(keccak_c.keccak256, data)) == 32


@needs
def test_merkle_root_65536_leaves_compiled(benchmark):
    leaves = make_leaves(65536)
    root = benchmark(merkle_c.merkle_root, leaves)
    assert root == merkle_c.MerkleTree(leaves).root


def test_merkle_root_256_leaves_pure(benchmark):
    leaves = make_leaves(256)
    with pure_keccak():
        root = benchmark.pedantic(_merkle_py.merkle_root, (leaves,), rounds=2, iterations=1)
    assert len(root) == 32


@needs
def test_smt_update_many_1000_keys_depth_32_compiled(benchmark):
    items = make_items(1000, 32)
    root = benchmark(lambda: smt_c.SparseMerkleTree(32).update_many(items))
    assert root == _smt_py.SparseMerkleTree(32).update_many(items)


@needs
def test_smt_set_on_1000_keys_depth_32_compiled(benchmark):
    tree = smt_c.SparseMerkleTree(32)
    tree.update_many(make_items(1000, 32))
    writes = itertools.cycle(make_items(1000, 32, seed=3))
    benchmark(lambda: tree.set(*next(writes)))
    assert len(tree) >= 1000
