"""An equivalent, cheaper round schedule for Poseidon's partial rounds (Poseidon paper, App. B).

A partial round ``x <- M * S0(x + c)`` spends t^2 multiplications on the MDS
product although the S-box touched one word. Two exact rewrites cut that to 2t - 1:

1. Constant folding. In a partial round the constants of words 1..t-1 pass the
   S-box unchanged, so ``M * (0, c[1:])`` can be added to the next round's
   constants instead; afterwards every partial round adds a constant to word 0 only.
2. Sparse factorisation. Write ``M = S * diag(1, M_hat)`` with ``M_hat`` the lower
   right (t-1)x(t-1) block and ``S = [[m00, v * M_hat^-1], [w, I]]`` sparse.
   ``diag(1, M_hat)`` leaves word 0 alone, so it commutes with that round's
   word-0 constant and S-box and moves into the previous round's matrix. Walking
   from the last partial round back to the first, each round keeps a sparse S and
   the dense remainder ends in the last full round before the partial ones.

The result computes the same permutation; the circomlibjs vectors check it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from primitives.snark._poseidon_params import poseidon_params
from primitives.snark.field import R

Matrix = list[list[int]]


def _mat_mul(a: Matrix, b: Matrix) -> Matrix:
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) % R for j in range(len(b[0]))]
            for i in range(len(a))]


def _mat_vec(m: Matrix, v: list[int]) -> list[int]:
    return [sum(x * y for x, y in zip(row, v, strict=True)) % R for row in m]


def _mat_inv(m: Matrix) -> Matrix:
    """Gauss-Jordan inverse over F_r; every square block of a Cauchy MDS matrix is invertible."""
    n = len(m)
    a = [row[:] + [int(i == j) for j in range(n)] for i, row in enumerate(m)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if a[r][col])
        a[col], a[pivot] = a[pivot], a[col]
        scale = pow(a[col][col], -1, R)
        a[col] = [x * scale % R for x in a[col]]
        for r in range(n):
            if r != col and a[r][col]:
                f = a[r][col]
                a[r] = [(x - f * y) % R for x, y in zip(a[r], a[col], strict=True)]
    return [row[n:] for row in a]


@dataclass(frozen=True)
class SparseSchedule:
    """The rewritten rounds of one width.

    ``first_constants`` / ``last_constants``: the full rounds' constant vectors;
    ``pre_sparse_mds``: the matrix of the last full round before the partial
    rounds; ``partial_constants``: one word-0 constant per partial round;
    ``sparse``: per partial round ``(m00, row, col)`` meaning
    ``y0 = m00 x0 + row . x[1:]`` and ``y[i] = col[i-1] x0 + x[i]``.
    """

    t: int
    mds: tuple[tuple[int, ...], ...]
    pre_sparse_mds: tuple[tuple[int, ...], ...]
    first_constants: tuple[tuple[int, ...], ...]
    partial_constants: tuple[int, ...]
    sparse: tuple[tuple[int, tuple[int, ...], tuple[int, ...]], ...]
    last_constants: tuple[tuple[int, ...], ...]


@functools.cache
def sparse_schedule(t: int) -> SparseSchedule:
    """Derive the sparse schedule of the width-t circomlib instance (cached per t)."""
    p = poseidon_params(t)
    half, n_p = p.full_rounds // 2, p.partial_rounds
    mds = [list(row) for row in p.mds]
    consts = [list(rc) for rc in p.round_constants]
    for r in range(half, half + n_p):  # 1. fold words 1.. of each partial constant forward
        carry = _mat_vec(mds, [0, *consts[r][1:]])
        consts[r][1:] = [0] * (t - 1)
        consts[r + 1] = [(a + b) % R for a, b in zip(consts[r + 1], carry, strict=True)]
    sparse = []
    a = mds
    for _ in range(n_p):  # 2. factor from the last partial round back to the first
        hat = [row[1:] for row in a[1:]]
        row = _mat_vec([list(c) for c in zip(*_mat_inv(hat), strict=True)], a[0][1:])
        sparse.append((a[0][0], tuple(row), tuple(r[0] for r in a[1:])))
        a = _mat_mul([[1] + [0] * (t - 1)] + [[0, *h] for h in hat], mds)
    sparse.reverse()
    return SparseSchedule(
        t=t,
        mds=p.mds,
        pre_sparse_mds=tuple(tuple(row) for row in a),
        first_constants=tuple(tuple(c) for c in consts[:half]),
        partial_constants=tuple(consts[r][0] for r in range(half, half + n_p)),
        sparse=tuple(sparse),
        last_constants=tuple(tuple(c) for c in consts[half + n_p:]),
    )
