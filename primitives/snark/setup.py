"""Groth16 key generation: a single-party development setup and a delta contribution.

``setup(r1cs, seed)`` derives all the toxic waste (tau, alpha, beta, gamma,
delta) from ``seed`` by hashing, so the same seed gives the same keys and a
test can be replayed. Anyone who knows the seed can forge proofs: this is a
setup for development and teaching, never for value. ``contribute`` is the
phase-2 step that repairs that in practice: a second party multiplies delta by
a secret of its own and rescales the keys, and as long as one contributor
forgets their secret the keys are sound.

Neither returns a degenerate key (delta_2 equal to +-gamma_2 or +-the G2
generator, see ``groth16_types.check_not_degenerate``). Delta and gamma are
separate keccak256 hashes of the seed and a contribution multiplies delta by
a nonzero hash of the entropy, so delta is one of those four values only if
a hash output hits one of a few given field elements; were it ever so,
building the ``VerifyingKey`` raises ``InvalidProof`` instead of returning it.

The Lagrange basis at tau comes from one inverse FFT: since
``L_j(tau) = (1/n) * sum_k tau^k * omega^(-jk)``, the vector of all
``L_j(tau)`` is the inverse FFT of the powers of tau.

``save_keys`` / ``load_keys`` keep a circuit's keys in one versioned,
checksummed binary file (layout at the end of this module), bound to the
circuit by a digest of its constraints, so the setup runs once.
"""

from __future__ import annotations

import os
import struct
import sys
from array import array
from pathlib import Path
from typing import Literal, overload

from primitives.keccak import keccak256
from primitives.snark import kernels
from primitives.snark.groth16_types import (
    G1_GEN,
    G2_GEN,
    InvalidProof,
    ProvingKey,
    VerifyingKey,
    domain_size,
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
    """``u_i(tau), v_i(tau), w_i(tau)`` for every wire, the domain size n and ``Z(tau)``.

    ``u_i(tau) = sum_j A[j][i] L_j(tau)`` over the Lagrange basis ``L_j``:
    the rows kernel with rows and wires swapped, one call per matrix. The
    public-input rows ``w_i * 0 = 0`` add ``L_{m + i}(tau)`` to ``u_i``.
    """
    n = domain_size(r1cs)
    z_tau = (pow(tau, n, R) - 1) % R
    if z_tau == 0:
        raise ValueError("tau lies in the evaluation domain; choose another seed")
    powers = [1] * n
    for k in range(1, n):
        powers[k] = powers[k - 1] * tau % R
    lagrange = kernels.FrWords.from_ints(kernels.ifft(powers, kernels.root_of_unity(n)))
    del powers
    t = r1cs.table_words()
    u, v, w = (kernels.fr_rows(r1cs.n_wires, m.wires, m.rows, m.ids, t, lagrange).tolist() for m in r1cs.matrices)
    m0 = r1cs.n_constraints
    for i in range(r1cs.n_public + 1):
        u[i] = (u[i] + lagrange[m0 + i]) % R
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
    g1 = kernels.batch_mul_g1(G1_GEN, g1_scalars, packed=True)
    del g1_scalars
    g2 = kernels.batch_mul_g2(G2_GEN, [beta, gamma, delta, *v], packed=True)
    m = r1cs.n_wires
    alpha_g1, beta_g1, delta_g1 = g1[0], g1[1], g1[2]
    pos = 3
    a_query = g1[pos : pos + m]
    b_g1_query = g1[pos + m : pos + 2 * m]
    pos += 2 * m
    ic_points = g1[pos : pos + n_pub + 1].tolist()
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


def _scale_g1(points: kernels.Vector[kernels.G1Point], k: int) -> kernels.G1Points:
    """Every point times the same scalar (infinity stays infinity), packed."""
    return kernels.G1Points.from_points([kernels.msm_g1([p], [k]) for p in points])


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
    new_vk = VerifyingKey(vk.alpha_g1, vk.beta_g2, vk.gamma_g2, delta_g2, vk.ic)  # refuses a degenerate delta
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
    return new_pk, new_vk


# ---------------------------------------------------------------- key files
#
# A proving-key file holds the proving key and its verifying key, so a circuit's
# setup runs once. Layout (big-endian, points affine, coordinates standard form):
#
#   magic  b"l2lab-groth16-keys"   version u32 = 1
#   circuit digest (32 bytes: keccak256 of the circuit's iden3 .r1cs encoding)
#   u32 n_wires, n_public, domain_size
#   G1 alpha, beta, delta; G2 beta, gamma, delta
#   G1 a_query[n_wires], b_g1_query[n_wires]; G2 b_g2_query[n_wires]
#   G1 l_query[n_wires - n_public - 1], h_query[domain_size - 1], ic[n_public + 1]
#   keccak256 of every byte above (catches truncation and corruption)
#
# A G1 point is x || y (32 bytes each), a G2 point x.c0 || x.c1 || y.c0 || y.c1;
# infinity is all zeros, as in EIP-196/197.

KEY_MAGIC = b"l2lab-groth16-keys"
KEY_VERSION = 1
KEY_SUFFIX = ".l2pk"


class KeyFileError(ValueError):
    """A key file that is unreadable, truncated, corrupt or for another circuit; the message says which."""


def circuit_digest(r1cs: R1CS) -> bytes:
    """keccak256 of the packed constraint system: two circuits share it only if their constraints match.

    Hashed, in order: ``n_wires, n_public, n_constraints`` and the table
    size (u32 little-endian), the coefficient table (32-byte little-endian
    words), then per matrix A, B, C its entry count and its rows, wires and
    coefficient ids (u32 little-endian each). Entries keep the order the
    circuit stated them in, so the same constraints written in another
    order give another digest (and a new setup), never a false match. It
    reads the packed arrays as they are: milliseconds for a million
    constraints, no second copy of the system.
    """
    parts = [struct.pack("<IIII", r1cs.n_wires, r1cs.n_public, r1cs.n_constraints, len(r1cs.table)),
             bytes(r1cs.table_words().buf)]
    for m in r1cs.matrices:
        parts.append(struct.pack("<I", len(m)))
        for col in (m.rows, m.wires, m.ids):
            if sys.byteorder == "big":
                col = array("I", col)
                col.byteswap()
            parts.append(col.tobytes())
    return keccak256(b"".join(parts))


def _g1_raw(p: tuple[int, int]) -> bytes:
    return p[0].to_bytes(32, "big") + p[1].to_bytes(32, "big")


def _g2_raw(p: tuple) -> bytes:
    (x0, x1), (y0, y1) = p
    return b"".join(c.to_bytes(32, "big") for c in (x0, x1, y0, y1))


def keys_to_bytes(pk: ProvingKey, vk: VerifyingKey, r1cs: R1CS) -> bytes:
    """The key-file image of ``pk`` and ``vk`` for ``r1cs`` (layout above)."""
    if pk.n_wires != r1cs.n_wires or pk.n_public != r1cs.n_public or vk.n_public != r1cs.n_public:
        raise KeyFileError("the keys were not made for this circuit (wire or public-input counts differ)")
    head = KEY_MAGIC + struct.pack(">I", KEY_VERSION) + circuit_digest(r1cs)
    head += struct.pack(">III", pk.n_wires, pk.n_public, pk.domain_size)
    g1s = [pk.alpha_g1, pk.beta_g1, pk.delta_g1]
    g2s = [pk.beta_g2, vk.gamma_g2, pk.delta_g2]
    body = b"".join(map(_g1_raw, g1s)) + b"".join(map(_g2_raw, g2s))
    g1, g2 = kernels.G1Points.from_points, kernels.G2Points.from_points
    body += kernels.encode_points(g1(pk.a_query), "be") + kernels.encode_points(g1(pk.b_g1_query), "be")
    body += kernels.encode_points(g2(pk.b_g2_query), "be")
    body += kernels.encode_points(g1(pk.l_query), "be") + kernels.encode_points(g1(pk.h_query), "be")
    body += b"".join(map(_g1_raw, vk.ic))
    data = head + body
    return data + keccak256(data)


def save_keys(path: str | Path, pk: ProvingKey, vk: VerifyingKey, r1cs: R1CS) -> None:
    """Write the key file atomically, so a crash never leaves half a key under ``path``."""
    path = Path(path)
    data = keys_to_bytes(pk, vk, r1cs)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.part")  # one per writer: two processes may race here
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


class _Reader:
    """Walks a key image, turning a short read into a KeyFileError instead of an IndexError."""

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise KeyFileError("key file is truncated")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def g1(self, what: str) -> tuple[int, int]:
        b = self.take(64)
        p = (int.from_bytes(b[:32], "big"), int.from_bytes(b[32:], "big"))
        try:
            return kernels.check_g1(p, what)
        except ValueError as exc:
            raise KeyFileError(f"key file: {exc}") from None

    def g2(self, what: str) -> tuple:
        b = self.take(128)
        c = [int.from_bytes(b[i : i + 32], "big") for i in range(0, 128, 32)]
        try:
            return kernels.check_g2(((c[0], c[1]), (c[2], c[3])), what)
        except ValueError as exc:
            raise KeyFileError(f"key file: {exc}") from None

    @overload
    def points(self, count: int, g2: Literal[False], what: str) -> kernels.G1Points: ...
    @overload
    def points(self, count: int, g2: Literal[True], what: str) -> kernels.G2Points: ...
    def points(self, count: int, g2: bool, what: str) -> kernels.G1Points | kernels.G2Points:
        """``count`` points packed, each checked canonical and on its curve in one kernel call."""
        data = self.take(count * (128 if g2 else 64))
        try:
            return (kernels.decode_g2 if g2 else kernels.decode_g1)(data, "be")
        except kernels.PointError as exc:
            problem = "has a coordinate that is not a canonical Fq element" if exc.kind == "canonical" else (
                "is not on the twist y^2 = x^3 + 3/(9+i)" if g2 else "is not on the curve y^2 = x^3 + 3")
            raise KeyFileError(f"key file: {what}[{exc.index}] {problem}") from None


def keys_from_bytes(data: bytes, r1cs: R1CS | None = None) -> tuple[ProvingKey, VerifyingKey]:
    """Keys from a key-file image; with ``r1cs``, also refuses keys made for another circuit."""
    if not data.startswith(KEY_MAGIC):
        raise KeyFileError("not an l2lab Groth16 key file (bad magic)")
    if len(data) < len(KEY_MAGIC) + 4 + 32 + 12 + 32:
        raise KeyFileError("key file is truncated")
    (version,) = struct.unpack_from(">I", data, len(KEY_MAGIC))
    if version != KEY_VERSION:
        raise KeyFileError(f"key file version {version} is not supported (this l2lab reads {KEY_VERSION})")
    if keccak256(data[:-32]) != data[-32:]:
        raise KeyFileError("key file is corrupt or truncated (checksum mismatch)")
    rd = _Reader(data[:-32])
    rd.take(len(KEY_MAGIC) + 4)
    digest = rd.take(32)
    if r1cs is not None and digest != circuit_digest(r1cs):
        raise KeyFileError("key file was made for a different circuit (circuit digest mismatch)")
    n_wires, n_public, n = struct.unpack(">III", rd.take(12))
    if not (0 <= n_public < n_wires and n >= 2 and n & (n - 1) == 0 and n <= 1 << 28):
        raise KeyFileError(f"key file header is inconsistent: {n_wires} wires, {n_public} public, domain {n}")
    # Sizes first, so a forged header cannot make us allocate or loop far past the data.
    need = 3 * 64 + 3 * 128 + n_wires * (2 * 64 + 128) + (n_wires - n_public - 1 + n - 1 + n_public + 1) * 64
    if len(rd.data) - rd.pos != need:
        raise KeyFileError(f"key file body is {len(rd.data) - rd.pos} bytes, its header implies {need}")
    alpha, beta1, delta1 = (rd.g1(w) for w in ("alpha_1", "beta_1", "delta_1"))
    beta2, gamma2, delta2 = (rd.g2(w) for w in ("beta_2", "gamma_2", "delta_2"))
    a_q = rd.points(n_wires, False, "a_query")
    b1_q = rd.points(n_wires, False, "b_g1_query")
    b2_q = rd.points(n_wires, True, "b_g2_query")
    l_q = rd.points(n_wires - n_public - 1, False, "l_query")
    h_q = rd.points(n - 1, False, "h_query")
    ic = tuple(rd.g1(f"IC[{i}]") for i in range(n_public + 1))
    try:
        vk = VerifyingKey(alpha, beta2, gamma2, delta2, ic)
    except InvalidProof as exc:
        raise KeyFileError(f"key file holds an invalid verifying key: {exc}") from None
    pk = ProvingKey(n_wires, n_public, n, alpha, beta1, beta2, delta1, delta2, a_q, b1_q, b2_q, l_q, h_q)
    return pk, vk


def load_keys(path: str | Path, r1cs: R1CS | None = None) -> tuple[ProvingKey, VerifyingKey]:
    """Keys saved by :func:`save_keys`; ``KeyFileError`` names what is wrong with the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"key file not found: {path}") from None
    except IsADirectoryError:
        raise KeyFileError(f"key file {path} is a directory") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {path}: {exc.strerror}") from None
    return keys_from_bytes(data, r1cs)
