"""BN254 kernels of the Groth16 prover (MSM, fixed-base multiplication, FFT), compiled when built.

Points are affine int tuples, ``(0, 0)`` (G1) and ``((0, 0), (0, 0))`` (G2)
being the point at infinity as in EIP-196/197; G2 coordinates are Fq2 pairs
``(c0, c1)`` meaning c0 + c1 i, as py_ecc's ``FQ2([c0, c1])``. FFTs run over
Fr with ``root_of_unity(n) = 5^((R-1)/n)``, the roots snarkjs uses, and take
an optional coset shift. The module also converts to and from py_ecc
``optimized_bn128`` points, because the verifier runs its pairings in py_ecc.
"""

from __future__ import annotations

from typing import TypeAlias

from py_ecc import optimized_bn128 as _bn

from primitives import _backend
from primitives.snark import _kernels_py
from primitives.snark._kernels_py import (
    ENCODINGS,
    G1_GENERATOR,
    G1_INFINITY,
    G2_GENERATOR,
    G2_INFINITY,
    FrWords,
    G1Point,
    G1Points,
    G2Point,
    G2Points,
    PointError,
    Q,
    R,
    Vector,
    check_g1,
    check_g2,
)

_impl, BACKEND = _backend.choose("bn254_kernels", _kernels_py, "primitives.snark._kernels_c")

msm_g1 = _impl.msm_g1
msm_g2 = _impl.msm_g2
batch_mul_g1 = _impl.batch_mul_g1
batch_mul_g2 = _impl.batch_mul_g2
fft = _impl.fft
ifft = _impl.ifft
root_of_unity = _impl.root_of_unity
# Packed vectors (see _kernels_py): keys and FFT inputs without a Python int per coordinate.
decode_g1 = _impl.decode_g1
decode_g2 = _impl.decode_g2
encode_points = _impl.encode_points
fft_words = _impl.fft_words
fr_mul_sub = _impl.fr_mul_sub
fr_rows = _impl.fr_rows

# py_ecc's optimized_bn128 projective points (X, Y, Z), over Fq for G1 and Fq2 for G2.
PyEccG1: TypeAlias = tuple[_bn.FQ, _bn.FQ, _bn.FQ]
PyEccG2: TypeAlias = tuple[_bn.FQ2, _bn.FQ2, _bn.FQ2]


def to_py_ecc_g1(p: G1Point) -> PyEccG1:
    """An affine G1 tuple as a py_ecc optimized_bn128 projective point."""
    x, y = check_g1(p)
    if (x, y) == G1_INFINITY:
        return _bn.Z1
    return (_bn.FQ(x), _bn.FQ(y), _bn.FQ.one())


def from_py_ecc_g1(p: PyEccG1) -> G1Point:
    """A py_ecc optimized_bn128 G1 point as an affine tuple, (0, 0) for infinity."""
    if _bn.is_inf(p):
        return G1_INFINITY
    x, y = _bn.normalize(p)
    return (int(x), int(y))


def to_py_ecc_g2(p: G2Point) -> PyEccG2:
    """An affine G2 tuple ((x.c0, x.c1), (y.c0, y.c1)) as a py_ecc optimized_bn128 point."""
    x, y = check_g2(p)
    if (x, y) == G2_INFINITY:
        return _bn.Z2
    return (_bn.FQ2(list(x)), _bn.FQ2(list(y)), _bn.FQ2.one())


def from_py_ecc_g2(p: PyEccG2) -> G2Point:
    """A py_ecc optimized_bn128 G2 point as an affine tuple, ((0, 0), (0, 0)) for infinity."""
    if _bn.is_inf(p):
        return G2_INFINITY
    x, y = _bn.normalize(p)
    return (
        (int(x.coeffs[0]), int(x.coeffs[1])),
        (int(y.coeffs[0]), int(y.coeffs[1])),
    )


__all__ = [
    "BACKEND",
    "ENCODINGS",
    "FrWords",
    "G1Points",
    "G2Points",
    "PointError",
    "decode_g1",
    "decode_g2",
    "encode_points",
    "fft_words",
    "fr_mul_sub",
    "fr_rows",
    "G1_GENERATOR",
    "G1_INFINITY",
    "G2_GENERATOR",
    "G2_INFINITY",
    "G1Point",
    "G2Point",
    "Q",
    "R",
    "batch_mul_g1",
    "batch_mul_g2",
    "fft",
    "from_py_ecc_g1",
    "from_py_ecc_g2",
    "ifft",
    "msm_g1",
    "msm_g2",
    "root_of_unity",
    "to_py_ecc_g1",
    "to_py_ecc_g2",
    "Vector",
]
