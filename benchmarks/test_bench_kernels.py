"""pytest-benchmark timings of the workloads in bench_kernels.py.

Run with ``python -m pytest benchmarks/test_bench_kernels.py --benchmark-enable``.
"""

from __future__ import annotations

import pytest

from benchmarks.bench_kernels import G1, compiled, make_g1, make_g2, make_scalars
from primitives.snark import _kernels_py

native = compiled()
needs = pytest.mark.skipif(native is None, reason="compiled kernels not built")


@needs
@pytest.mark.parametrize("log_n", [12, 15])
def test_msm_g1_compiled(benchmark, log_n):
    points, scalars = make_g1(1 << log_n), make_scalars(1 << log_n, 5)
    result = benchmark(native.msm_g1, points, scalars)
    assert result != (0, 0)


@needs
@pytest.mark.parametrize("log_n", [12, 15])
def test_msm_g2_compiled(benchmark, log_n):
    points, scalars = make_g2(1 << log_n), make_scalars(1 << log_n, 5)
    result = benchmark(native.msm_g2, points, scalars)
    assert result != ((0, 0), (0, 0))


def test_msm_g1_256_points_pure(benchmark):
    points, scalars = make_g1(256), make_scalars(256, 4)
    result = benchmark.pedantic(_kernels_py.msm_g1, (points, scalars), rounds=2, iterations=1)
    assert result != (0, 0)


@needs
def test_batch_mul_g1_32768_compiled(benchmark):
    scalars = make_scalars(1 << 15, 7)
    out = benchmark(native.batch_mul_g1, G1, scalars)
    assert len(out) == 1 << 15


@needs
def test_fft_65536_compiled(benchmark):
    values = make_scalars(1 << 16, 8)
    omega = native.root_of_unity(1 << 16)
    out = benchmark(native.fft, values, omega)
    assert len(out) == 1 << 16


def test_fft_4096_pure(benchmark):
    values = make_scalars(1 << 12, 8)
    omega = _kernels_py.root_of_unity(1 << 12)
    out = benchmark.pedantic(_kernels_py.fft, (values, omega), rounds=2, iterations=1)
    assert len(out) == 1 << 12
