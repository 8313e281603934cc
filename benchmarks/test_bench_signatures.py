"""pytest-benchmark twins of ``bench_signatures``: the same workloads, timed per call.

Run with ``python -m pytest benchmarks/test_bench_signatures.py --benchmark-enable``.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_signatures import (
    FULL_COUNT,
    PURE_COUNT,
    bare_coincurve_loop,
    compiled_module,
    make_workload,
    transfer_workload,
)
from primitives import _secp256k1_py, eip712

NATIVE = compiled_module()
needs_native = pytest.mark.skipif(NATIVE is None, reason="primitives._secp256k1_c not built")


@pytest.fixture(scope="module")
def workload():
    sign = NATIVE.sign if NATIVE is not None else _secp256k1_py.sign
    return make_workload(FULL_COUNT if NATIVE is not None else PURE_COUNT, sign)


def test_bare_coincurve_loop(benchmark, workload):
    _, digests, sigs = workload
    benchmark.group = "ecrecover batch"
    result = benchmark(bare_coincurve_loop, digests, sigs)
    assert len(result) == len(sigs)


@needs_native
@pytest.mark.parametrize("threads", [1, 2])
def test_recover_signers_compiled(benchmark, workload, threads):
    keys, digests, sigs = workload
    benchmark.group = "ecrecover batch"
    result = benchmark(NATIVE.recover_signers, digests, sigs, threads=threads)
    assert result[0] == _secp256k1_py.recover(digests[0], sigs[0])


def test_recover_signers_pure(benchmark, workload):
    _, digests, sigs = workload
    benchmark.group = "ecrecover pure"
    result = benchmark.pedantic(_secp256k1_py.recover_signers,
                                args=(digests[:PURE_COUNT], sigs[:PURE_COUNT]), rounds=1)
    assert len(result) == PURE_COUNT


@needs_native
def test_sign_compiled(benchmark, workload):
    keys, digests, sigs = workload
    benchmark.group = "sign"
    result = benchmark(lambda: [NATIVE.sign(d, k) for d, k in zip(digests, keys, strict=True)])
    assert result == sigs


def test_eip712_struct_hasher(benchmark):
    domain, types, message = transfer_workload()
    hasher = eip712.StructHasher(types, "Transfer")
    separator = eip712.domain_separator(domain)
    benchmark.group = "eip712"
    digest = benchmark(hasher.digest, separator, message)
    assert digest == eip712.typed_data_digest(domain, types, "Transfer", message)


def test_eip712_generic(benchmark):
    domain, types, message = transfer_workload()
    benchmark.group = "eip712"
    digest = benchmark(eip712.typed_data_digest, domain, types, "Transfer", message)
    assert len(digest) == 32
