"""BN254 prover kernels: both twins against py_ecc, each other and naive math."""

from __future__ import annotations

import os
import random
import subprocess
import sys

import pytest
from py_ecc import bn128
from py_ecc import optimized_bn128 as bn

from primitives.snark import field, kernels, r1cs
from primitives.snark._kernels_py import Q, R
from tests.conftest import twin_params

TWINS = twin_params("primitives.snark._kernels_py", "primitives.snark._kernels_c")

G1 = kernels.from_py_ecc_g1(bn.G1)
G2 = kernels.from_py_ecc_g2(bn.G2)
INF1 = (0, 0)
INF2 = ((0, 0), (0, 0))


def test_bn254_moduli_have_one_home_and_match_py_ecc() -> None:
    assert (field.Q, field.R) == (bn.field_modulus, bn.curve_order)
    assert kernels.Q is field.Q and kernels.R is field.R and r1cs.R is field.R


def g1_mul(k: int) -> tuple[int, int]:
    return kernels.from_py_ecc_g1(bn.multiply(bn.G1, k % R))


def g2_mul(k: int) -> tuple:
    return kernels.from_py_ecc_g2(bn.multiply(bn.G2, k % R))


def neg1(p):
    return (p[0], (-p[1]) % Q) if p != INF1 else p


def neg2(p):
    (x, (y0, y1)) = p
    return (x, ((-y0) % Q, (-y1) % Q))


def ref_msm(points, scalars, conv_to, conv_from, zero):
    acc = zero
    for p, s in zip(points, scalars, strict=True):
        acc = bn.add(acc, bn.multiply(conv_to(p), s % R))
    return conv_from(acc)


# ---------------------------------------------------------------- MSM


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("n", [1, 2, 3, 7, 20])
def test_msm_g1_matches_py_ecc(impl, n):
    rng = random.Random(n)
    points = [g1_mul(rng.randrange(1, R)) for _ in range(n)]
    scalars = [rng.randrange(R) for _ in range(n)]
    want = ref_msm(points, scalars, kernels.to_py_ecc_g1, kernels.from_py_ecc_g1, bn.Z1)
    assert impl.msm_g1(points, scalars) == want


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("n", [1, 2, 5])
def test_msm_g2_matches_py_ecc(impl, n):
    rng = random.Random(100 + n)
    points = [g2_mul(rng.randrange(1, R)) for _ in range(n)]
    scalars = [rng.randrange(R) for _ in range(n)]
    want = ref_msm(points, scalars, kernels.to_py_ecc_g2, kernels.from_py_ecc_g2, bn.Z2)
    assert impl.msm_g2(points, scalars) == want


@pytest.mark.parametrize("impl", TWINS)
def test_msm_g1_infinity_cases(impl):
    p = g1_mul(12345)
    assert impl.msm_g1([], []) == INF1
    assert impl.msm_g1([p, p], [0, R]) == INF1
    assert impl.msm_g1([INF1, p], [5, 1]) == p
    assert impl.msm_g1([p, neg1(p)], [7, 7]) == INF1
    assert impl.msm_g1([p, p], [3, -3]) == INF1
    assert impl.msm_g1([p, p], [1, 1]) == g1_mul(2 * 12345)  # doubling through a bucket
    assert impl.msm_g1([G1], [R - 1]) == neg1(G1)


@pytest.mark.parametrize("impl", TWINS)
def test_msm_g2_infinity_cases(impl):
    p = g2_mul(999)
    assert impl.msm_g2([], []) == INF2
    assert impl.msm_g2([p], [0]) == INF2
    assert impl.msm_g2([INF2, p], [5, 2]) == g2_mul(1998)
    assert impl.msm_g2([p, neg2(p)], [4, 4]) == INF2
    assert impl.msm_g2([p, p], [1, 1]) == g2_mul(1998)


@pytest.mark.parametrize("impl", TWINS)
def test_msm_g1_extreme_scalars(impl):
    rng = random.Random(5)
    points = [g1_mul(rng.randrange(1, R)) for _ in range(9)]
    scalars = [1, 2, R - 1, R - 2, (1 << 253) % R, (1 << 128) - 1, R + 5, -1, 2**300]
    want = ref_msm(points, scalars, kernels.to_py_ecc_g1, kernels.from_py_ecc_g1, bn.Z1)
    assert impl.msm_g1(points, scalars) == want


# ---------------------------------------------------------------- fixed base


@pytest.mark.parametrize("impl", TWINS)
def test_batch_mul_g1(impl):
    rng = random.Random(3)
    base = g1_mul(77)
    scalars = [0, 1, 2, R - 1, R, -5] + [rng.randrange(R) for _ in range(10)]
    assert impl.batch_mul_g1(base, scalars) == [g1_mul(77 * s) for s in scalars]
    assert impl.batch_mul_g1(INF1, [1, 2]) == [INF1, INF1]
    assert impl.batch_mul_g1(base, []) == []


@pytest.mark.parametrize("impl", TWINS)
def test_batch_mul_g2(impl):
    rng = random.Random(4)
    scalars = [0, 1, R - 1] + [rng.randrange(R) for _ in range(3)]
    assert impl.batch_mul_g2(G2, scalars) == [g2_mul(s) for s in scalars]
    assert impl.batch_mul_g2(INF2, [3]) == [INF2]


# ---------------------------------------------------------------- FFT


@pytest.mark.parametrize("impl", TWINS)
def test_root_of_unity(impl):
    for n in (1, 2, 8, 1 << 16, 1 << 28):
        w = impl.root_of_unity(n)
        assert pow(w, n, R) == 1
        assert n == 1 or pow(w, n // 2, R) == R - 1
    # the convention: powers of 5, as snarkjs uses
    assert impl.root_of_unity(1 << 28) == pow(5, (R - 1) >> 28, R)
    for bad in (0, 3, 12, 1 << 29, -4):
        with pytest.raises(ValueError, match="power of two"):
            impl.root_of_unity(bad)


@pytest.mark.parametrize("impl", TWINS)
def test_fft_matches_naive_evaluation(impl):
    rng = random.Random(8)
    n = 8
    values = [rng.randrange(R) for _ in range(n)]
    w = impl.root_of_unity(n)
    want = [sum(v * pow(w, i * j, R) for j, v in enumerate(values)) % R for i in range(n)]
    assert impl.fft(values, w) == want


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("n", [1, 2, 4, 64, 1024])
def test_ifft_inverts_fft(impl, n):
    rng = random.Random(n)
    values = [rng.randrange(R) for _ in range(n)]
    w = impl.root_of_unity(n)
    evals = impl.fft(values, w)
    assert impl.ifft(evals, w) == values
    assert impl.fft(impl.ifft(values, w), w) == values


@pytest.mark.parametrize("impl", TWINS)
def test_fft_reduces_inputs(impl):
    w = impl.root_of_unity(4)
    assert impl.fft([R + 1, -1, 0, 2 * R], w) == impl.fft([1, R - 1, 0, 0], w)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("impl", TWINS)
def test_bad_inputs_rejected(impl):
    p = g1_mul(3)
    with pytest.raises(ValueError, match="length mismatch"):
        impl.msm_g1([p, p], [1])
    with pytest.raises(ValueError, match="not on the curve"):
        impl.msm_g1([p, (1, 3)], [1, 1])
    with pytest.raises(ValueError, match="Fq"):
        impl.msm_g1([(Q, 2)], [1])
    with pytest.raises(ValueError, match="Fq"):
        impl.msm_g1([(-1, 2)], [1])
    with pytest.raises(ValueError, match="scalar"):
        impl.msm_g1([p], ["1"])
    with pytest.raises(ValueError, match="twist"):
        impl.msm_g2([((1, 0), (2, 0))], [1])
    with pytest.raises(ValueError, match="length mismatch"):
        impl.msm_g2([G2], [1, 2])
    with pytest.raises(ValueError, match="not on the curve"):
        impl.batch_mul_g1((1, 3), [1])
    with pytest.raises(ValueError, match="twist"):
        impl.batch_mul_g2(((1, 0), (2, 0)), [1])
    with pytest.raises(ValueError, match="power of two"):
        impl.fft([1, 2, 3], 1)
    with pytest.raises(ValueError, match="power of two"):
        impl.ifft([], 1)
    with pytest.raises(ValueError, match="root of unity"):
        impl.fft([1, 2, 3, 4], impl.root_of_unity(8))
    with pytest.raises(ValueError, match="root of unity"):
        impl.fft([1, 2, 3, 4], 5)


def test_bad_input_leaves_caller_lists_alone():
    points = [g1_mul(3), (1, 3)]
    scalars = [1, 2]
    with pytest.raises(ValueError):
        kernels.msm_g1(points, scalars)
    assert points == [g1_mul(3), (1, 3)] and scalars == [1, 2]


# ---------------------------------------------------------------- twins and py_ecc


def test_twins_agree_on_random_inputs():
    from primitives.snark import _kernels_py as pure

    rng = random.Random(11)
    for n in (33, 130):
        points = [g1_mul(rng.randrange(1, R)) for _ in range(n)]
        points[3] = INF1
        scalars = [rng.randrange(R) for _ in range(n)]
        scalars[5] = 0
        assert kernels.msm_g1(points, scalars) == pure.msm_g1(points, scalars)
    points2 = pure.batch_mul_g2(G2, [rng.randrange(R) for _ in range(12)])
    scalars2 = [rng.randrange(R) for _ in range(12)]
    assert kernels.msm_g2(points2, scalars2) == pure.msm_g2(points2, scalars2)
    values = [rng.randrange(R) for _ in range(256)]
    w = pure.root_of_unity(256)
    assert kernels.fft(values, w) == pure.fft(values, w)


def test_py_ecc_round_trip():
    assert kernels.from_py_ecc_g1(kernels.to_py_ecc_g1(G1)) == G1
    assert kernels.from_py_ecc_g2(kernels.to_py_ecc_g2(G2)) == G2
    assert kernels.to_py_ecc_g1(INF1) == bn.Z1
    assert kernels.to_py_ecc_g2(INF2) == bn.Z2
    assert kernels.from_py_ecc_g1(bn.Z1) == INF1
    assert kernels.from_py_ecc_g2(bn.Z2) == INF2
    # the plain bn128 generator names the same point
    assert G2 == ((int(bn128.G2[0].coeffs[0]), int(bn128.G2[0].coeffs[1])),
                  (int(bn128.G2[1].coeffs[0]), int(bn128.G2[1].coeffs[1])))
    with pytest.raises(ValueError, match="not on the curve"):
        kernels.to_py_ecc_g1((1, 3))


# ---------------------------------------------------------------- compiled MSM paths


@pytest.fixture
def compiled_batch_affine(monkeypatch):
    """The compiled twin with batch-affine buckets forced on, even for tiny inputs."""
    native = pytest.importorskip("primitives.snark._kernels_c")
    monkeypatch.setattr(native, "BATCH_AFFINE_MIN", 0)
    return native


def test_batch_affine_msm_matches_pure(compiled_batch_affine):
    from primitives.snark import _kernels_py as pure

    rng = random.Random(21)
    points = pure.batch_mul_g1(G1, [rng.randrange(1, R) for _ in range(40)])
    scalars = [rng.randrange(R) for _ in range(40)]
    assert compiled_batch_affine.msm_g1(points, scalars) == pure.msm_g1(points, scalars)
    points2 = pure.batch_mul_g2(G2, [rng.randrange(1, R) for _ in range(6)])
    assert compiled_batch_affine.msm_g2(points2, scalars[:6]) == pure.msm_g2(points2, scalars[:6])


def test_batch_affine_msm_repeated_points(compiled_batch_affine):
    """Equal and opposite points in one bucket: doubling, cancellation, pending, overflow."""
    p, q = g1_mul(5), g1_mul(7)
    n = 700  # more same-bucket points than a batch holds, so the overflow path runs
    points = [p] * n + [neg1(p)] * 3 + [q, neg1(q), INF1]
    scalars = [3] * n + [3] * 3 + [9, 9, 4]
    assert compiled_batch_affine.msm_g1(points, scalars) == g1_mul(5 * 3 * (n - 3))
    many = [g1_mul(k) for k in range(1, 30)] * 20
    ks = [k % 5 + 1 for k in range(len(many))]
    want = g1_mul(sum(((i % 29) + 1) * k for i, k in enumerate(ks)))
    assert compiled_batch_affine.msm_g1(many, ks) == want


def test_large_msm_uses_batch_affine_and_agrees():
    """Above the threshold the default path is batch-affine; check it against Jacobian."""
    native = pytest.importorskip("primitives.snark._kernels_c")
    rng = random.Random(22)
    n = 3000
    points = native.batch_mul_g1(G1, [rng.randrange(1, R) for _ in range(n)])
    scalars = [rng.randrange(R) for _ in range(n)]
    assert n >= native.BATCH_AFFINE_MIN
    fast = native.msm_g1(points, scalars)
    saved = native.BATCH_AFFINE_MIN
    try:
        native.BATCH_AFFINE_MIN = n + 1
        assert native.msm_g1(points, scalars) == fast
    finally:
        native.BATCH_AFFINE_MIN = saved


def test_compiled_batch_mul_spans_chunks_and_threads():
    """More scalars than one chunk of the compiled fixed-base loop, spot-checked by py_ecc."""
    native = pytest.importorskip("primitives.snark._kernels_c")
    rng = random.Random(23)
    scalars = [rng.randrange(R) for _ in range(5000)]
    scalars[4321] = 0
    out = native.batch_mul_g1(G1, scalars)
    assert len(out) == 5000 and out[4321] == INF1
    for i in (0, 2047, 2048, 2500, 4999):
        assert out[i] == g1_mul(scalars[i])
    out2 = native.batch_mul_g2(G2, scalars[:3000])
    for i in (0, 2049, 2999):
        assert out2[i] == g2_mul(scalars[i])


def test_compiled_fft_two_threads_matches_pure():
    """From 4096 values the compiled NTT splits its stages over two threads."""
    native = pytest.importorskip("primitives.snark._kernels_c")
    from primitives.snark import _kernels_py as pure

    rng = random.Random(24)
    n = 8192
    values = [rng.randrange(R) for _ in range(n)]
    w = pure.root_of_unity(n)
    assert native.fft(values, w) == pure.fft(values, w)
    assert native.ifft(native.fft(values, w), w) == values


def test_batch_affine_g2_repeated_points(compiled_batch_affine):
    p = g2_mul(11)
    points = [p] * 300 + [neg2(p)] * 2 + [INF2]
    scalars = [2] * 300 + [2, 2, 5]
    assert compiled_batch_affine.msm_g2(points, scalars) == g2_mul(11 * 2 * 298)


def test_compiled_single_thread_agrees(monkeypatch):
    native = pytest.importorskip("primitives.snark._kernels_c")
    rng = random.Random(25)
    points = native.batch_mul_g1(G1, [rng.randrange(1, R) for _ in range(1500)])
    scalars = [rng.randrange(R) for _ in range(1500)]
    values = [rng.randrange(R) for _ in range(4096)]
    w = native.root_of_unity(4096)
    want = native.msm_g1(points, scalars), native.fft(values, w), native.batch_mul_g1(G1, scalars[:50])
    monkeypatch.setattr(native, "THREADS", 1)
    got = native.msm_g1(points, scalars), native.fft(values, w), native.batch_mul_g1(G1, scalars[:50])
    assert got == want


def test_portable_field_product_agrees():
    """The compiled twin without the x86-64 mulx/adx product (L2LAB_NO_ADX=1) gives the same results."""
    pytest.importorskip("primitives.snark._kernels_c")
    script = (
        "import random\n"
        "from primitives.snark import _kernels_c as c, _kernels_py as p\n"
        "rng = random.Random(26)\n"
        "pts = c.batch_mul_g1((1, 2), [rng.randrange(p.R) for _ in range(1100)])\n"
        "sc = [rng.randrange(p.R) for _ in range(1100)]\n"
        "g2 = c.batch_mul_g2(p.G2_GENERATOR, sc[:20])\n"
        "v = [rng.randrange(p.R) for _ in range(512)]\n"
        "w = p.root_of_unity(512)\n"
        "print(c.msm_g1(pts, sc), c.msm_g2(g2, sc[:20]), c.fft(v, w)[:3], pts[:2], g2[:2])\n"
    )
    outputs = []
    for flag in ("0", "1"):
        env = dict(os.environ, L2LAB_NO_ADX=flag)
        run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, check=True)
        outputs.append(run.stdout)
    assert outputs[0] == outputs[1] and outputs[0].startswith("(")


# ---------------------------------------------------------------- coset FFT


@pytest.mark.parametrize("impl", TWINS)
def test_coset_fft_matches_naive_evaluation(impl):
    rng = random.Random(27)
    n, g = 8, 5
    values = [rng.randrange(R) for _ in range(n)]
    w = impl.root_of_unity(n)
    want = [sum(v * pow(g * pow(w, i, R), j, R) for j, v in enumerate(values)) % R
            for i in range(n)]
    assert impl.fft(values, w, g) == want
    assert impl.ifft(want, w, g) == values


@pytest.mark.parametrize("impl", TWINS)
def test_coset_ifft_inverts_coset_fft(impl):
    rng = random.Random(28)
    for n in (1, 2, 256, 4096):
        values = [rng.randrange(R) for _ in range(n)]
        w, g = impl.root_of_unity(n), rng.randrange(2, R)
        assert impl.ifft(impl.fft(values, w, g), w, g) == values
        assert impl.fft(values, w, 1) == impl.fft(values, w)
        assert impl.fft(values, w, g + R) == impl.fft(values, w, g)


@pytest.mark.parametrize("impl", TWINS)
def test_bad_coset_shift_rejected(impl):
    w = impl.root_of_unity(4)
    for bad in (0, R, -R):
        with pytest.raises(ValueError, match="nonzero"):
            impl.fft([1, 2, 3, 4], w, bad)
        with pytest.raises(ValueError, match="nonzero"):
            impl.ifft([1, 2, 3, 4], w, bad)
    for bad in ("5", True, 5.0):
        with pytest.raises(ValueError, match="coset shift"):
            impl.fft([1, 2, 3, 4], w, bad)


def test_coset_fft_twins_agree():
    native = pytest.importorskip("primitives.snark._kernels_c")
    from primitives.snark import _kernels_py as pure

    rng = random.Random(29)
    values = [rng.randrange(R) for _ in range(4096)]
    w = pure.root_of_unity(4096)
    assert native.fft(values, w, 5) == pure.fft(values, w, 5)
    assert native.ifft(values, w, 5) == pure.ifft(values, w, 5)
