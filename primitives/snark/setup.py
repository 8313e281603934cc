"""Groth16 key generation: a single-party development setup and a delta contribution.

``setup(r1cs, seed)`` derives all the toxic waste (tau, alpha, beta, gamma,
delta) from ``seed`` by hashing, so the same seed gives the same keys and a
test can be replayed. Anyone who knows the seed can forge proofs: this is a
setup for development and teaching, never for value. ``contribute`` is the
phase-2 step that repairs that in practice: a second party multiplies delta by
a secret of its own and rescales the keys, and as long as one contributor
forgets their secret the keys are sound.

The Lagrange basis at tau comes from one inverse FFT: since
``L_j(tau) = (1/n) * sum_k tau^k * omega^(-jk)``, the vector of all
``L_j(tau)`` is the inverse FFT of the powers of tau.
"""

from __future__ import annotations

from primitives.keccak import keccak256
from primitives.snark import kernels
from primitives.snark.groth16 import (
    G1_GEN,
    G2_GEN,
    ProvingKey,
    VerifyingKey,
    domain_size,
    qap_rows,
)
from primitives.snark.kernels import R
from primitives.snark.r1cs import R1CS

_DOMAIN_TAG = b"l2lab/groth16/dev-setup/"


def derive_scalar(seed: bytes, label: str) -> int:
    """A nonzero field element from ``seed`` for one named secret (tau, alpha, ...)."""
    counter = 0
    while True:
        k = int.from_bytes(keccak256(_DOMAIN_TAG + label.encode() + bytes([counter]) + seed), "big") % R
        if k:
            return k
        counter += 1


def qap_at(r1cs: R1CS, tau: int) -> tuple[list[int], list[int], list[int], int, int]:
    """``u_i(tau), v_i(tau), w_i(tau)`` for every wire, the domain size n and ``Z(tau)``."""
    n = domain_size(r1cs)
    z_tau = (pow(tau, n, R) - 1) % R
    if z_tau == 0:
        raise ValueError("tau lies in the evaluation domain; choose another seed")
    powers = [1] * n
    for k in range(1, n):
        powers[k] = powers[k - 1] * tau % R
    lagrange = kernels.ifft(powers, kernels.root_of_unity(n))
    u, v, w = ([0] * r1cs.n_wires for _ in range(3))
    for rows, acc in zip(qap_rows(r1cs), (u, v, w), strict=True):
        for j, row in enumerate(rows):
            lj = lagrange[j]
            for wire, coeff in row.items():
                acc[wire] = (acc[wire] + coeff * lj) % R
    return u, v, w, n, z_tau


def setup(r1cs: R1CS, seed: bytes) -> tuple[ProvingKey, VerifyingKey]:
    """Proving and verifying keys for ``r1cs`` from toxic waste derived from ``seed``."""
    if not isinstance(seed, bytes | bytearray):
        raise TypeError("seed must be bytes")
    tau, alpha, beta, gamma, delta = (derive_scalar(bytes(seed), s) for s in ("tau", "alpha", "beta", "gamma", "delta"))
    u, v, w, n, z_tau = qap_at(r1cs, tau)
    gamma_inv, delta_inv = pow(gamma, -1, R), pow(delta, -1, R)
    n_pub = r1cs.n_public
    # (beta u_i + alpha v_i + w_i): divided by gamma for public wires, by delta for private ones.
    k = [(beta * u[i] + alpha * v[i] + w[i]) % R for i in range(r1cs.n_wires)]
    ic = [k[i] * gamma_inv % R for i in range(n_pub + 1)]
    lq = [k[i] * delta_inv % R for i in range(n_pub + 1, r1cs.n_wires)]
    hq = [0] * (n - 1)
    t = z_tau * delta_inv % R
    for j in range(n - 1):
        hq[j] = t
        t = t * tau % R
    # One fixed-base batch per group, so the window table is built once.
    g1_scalars = [alpha, beta, delta, *u, *v, *ic, *lq, *hq]
    g1 = kernels.batch_mul_g1(G1_GEN, g1_scalars)
    g2 = kernels.batch_mul_g2(G2_GEN, [beta, gamma, delta, *v])
    m = r1cs.n_wires
    alpha_g1, beta_g1, delta_g1 = g1[0], g1[1], g1[2]
    pos = 3
    a_query = g1[pos : pos + m]
    b_g1_query = g1[pos + m : pos + 2 * m]
    pos += 2 * m
    ic_points = g1[pos : pos + n_pub + 1]
    pos += n_pub + 1
    l_query = g1[pos : pos + len(lq)]
    h_query = g1[pos + len(lq) :]
    vk = VerifyingKey(alpha_g1, g2[0], g2[1], g2[2], tuple(ic_points))
    pk = ProvingKey(
        n_wires=m,
        n_public=n_pub,
        domain_size=n,
        alpha_g1=alpha_g1,
        beta_g1=beta_g1,
        beta_g2=g2[0],
        delta_g1=delta_g1,
        delta_g2=g2[2],
        a_query=a_query,
        b_g1_query=b_g1_query,
        b_g2_query=g2[3:],
        l_query=l_query,
        h_query=h_query,
    )
    return pk, vk


def _scale_g1(points: list, k: int) -> list:
    """Every point times the same scalar (infinity stays infinity)."""
    return [kernels.msm_g1([p], [k]) for p in points]


def contribute(pk: ProvingKey, vk: VerifyingKey, entropy: bytes) -> tuple[ProvingKey, VerifyingKey]:
    """A phase-2 contribution: delta becomes ``delta * d`` with ``d`` derived from ``entropy``.

    ``delta`` appears as delta in G1/G2 and as ``1/delta`` in the L and H
    queries, so those are rescaled by ``1/d``. Proofs made with the old keys
    stop verifying under the new verifying key; the contributor then forgets
    ``entropy``.
    """
    if not isinstance(entropy, bytes | bytearray) or len(entropy) < 16:
        raise ValueError("entropy must be at least 16 bytes")
    d = derive_scalar(bytes(entropy), "contribution")
    d_inv = pow(d, -1, R)
    delta_g2 = kernels.msm_g2([pk.delta_g2], [d])
    new_pk = ProvingKey(
        n_wires=pk.n_wires,
        n_public=pk.n_public,
        domain_size=pk.domain_size,
        alpha_g1=pk.alpha_g1,
        beta_g1=pk.beta_g1,
        beta_g2=pk.beta_g2,
        delta_g1=kernels.msm_g1([pk.delta_g1], [d]),
        delta_g2=delta_g2,
        a_query=pk.a_query,
        b_g1_query=pk.b_g1_query,
        b_g2_query=pk.b_g2_query,
        l_query=_scale_g1(pk.l_query, d_inv),
        h_query=_scale_g1(pk.h_query, d_inv),
    )
    new_vk = VerifyingKey(vk.alpha_g1, vk.beta_g2, vk.gamma_g2, delta_g2, vk.ic)
    return new_pk, new_vk
