"""snarkjs' Groth16 proving keys (``.zkey``) and witnesses (``.wtns``): strict readers and a prover.

With these, l2lab proves from a key made by ``snarkjs groth16 setup`` (and
``zkey contribute``), the interface rapidsnark offers:
``l2lab zk prove KEY.zkey WITNESS.wtns PROOF.json PUBLIC.json``.

Both files are iden3 binary containers: a 4-byte magic, ``u32`` version,
``u32`` section count, then sections of ``u32`` id, ``u64`` byte length and
body. All integers are little-endian. The ``.zkey`` (magic ``zkey``,
version 1) of a Groth16 key has these sections:

==  ========  ==============================================================
id  name      body
==  ========  ==============================================================
1   header    ``u32`` prover type: 1 is Groth16 (2 PLONK, 10 FFLONK)
2   groth16   ``u32 n8q``, q, ``u32 n8r``, r, ``u32`` nVars, nPublic,
              domainSize; alpha1, beta1 (G1), beta2, gamma2 (G2),
              delta1 (G1), delta2 (G2)
3   IC        nPublic + 1 G1 points
4   coefs     ``u32`` count, then per entry ``u32`` matrix (0 = A, 1 = B),
              ``u32`` constraint, ``u32`` signal, and the value
5   A         nVars G1 points ``u_i(tau)``
6   B1        nVars G1 points ``v_i(tau)``
7   B2        nVars G2 points ``v_i(tau)``
8   C         nVars - nPublic - 1 G1 points, the private wires'
              ``(beta u_i + alpha v_i + w_i)(tau) / delta``
9   H         domainSize G1 points ``L_(2i+1)(tau) / delta`` (below)
10  contribs  the phase-2 contributions: kept as bytes, not interpreted
==  ========  ==============================================================

Encodings. A coordinate is an Fq element in Montgomery form (``x * 2^256
mod q``), 32 bytes; a G1 point is x then y, a G2 point x.c0, x.c1, y.c0,
y.c1; the point at infinity is all zeros. A coefficient value is stored as
``v * 2^512 mod r`` (Montgomery form of ``v * 2^256``), so that snarkjs'
Montgomery product with a plain witness value lands in Montgomery form.
Section 4 holds only the A and B matrices, the public-input rows
``w_i * 0 = 0`` (rows ``nConstraints + i``) included; C is not needed, as
on the domain ``c = a * b`` for a satisfying witness.

The H query: for ``p = a b - c`` (degree <= 2n - 2, zero on the n-th
roots), ``p(tau) = sum_i p(w_2n^(2i+1)) L_(2i+1)(tau)`` over the Lagrange
basis of the 2n-th roots, the even terms vanishing. So snarkjs stores
``L_(2i+1)(tau) / delta`` and the prover needs ``p`` on the odd 2n-th
roots ``w_2n * w_n^i`` only: inverse FFT of a, b, c, shift by ``w_2n``,
FFT, ``a b - c`` pointwise -- no division by ``Z``.

The ``.wtns`` (magic ``wtns``, version 1 or 2): section 1 holds ``u32 n8``,
the prime r and ``u32`` nWitness; section 2 the values, ``n8`` bytes each,
in plain (not Montgomery) form.

The readers are strict: any truncation, wrong magic or version, unknown or
duplicated section, curve other than BN254, length that disagrees with the
counts, index out of range, non-canonical element, point off its curve or
(G2) outside the order-r subgroup raises :class:`ZkeyError` or
:class:`WtnsError` (both :class:`SnarkjsFileError`, an ``InvalidProof`` and
so a ``ValueError``) naming the section and the problem. G1 has cofactor 1,
so the curve check suffices there; the G2 points are checked together with
random combinations (``SUBGROUP_ROUNDS``), since a key with points outside
G2 would make proofs leak the witness through their small-order part.

``dev_zkey`` makes a key without snarkjs, from the secrets of a development
``.ptau`` (``ptau.write_ptau``): without a delta seed its sections 1-9 are
byte for byte what ``snarkjs groth16 setup`` writes from that file, so tests
and benchmarks need not wait minutes for snarkjs' setup. Development only,
like the ``.ptau`` it mirrors: anyone with the seeds can forge proofs.
"""

from __future__ import annotations

import gc
import mmap
import os
import random
import struct
import sys
from array import array
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import Literal, overload

from primitives.snark import kernels
from primitives.snark._kernels_py import check_g1, check_g2
from primitives.snark.groth16_types import G1_GEN, G2_GEN, InvalidProof, Proof, VerifyingKey
from primitives.snark.kernels import G1_INFINITY, G2_INFINITY, G1Point, G2Point, Q, R, Vector
from primitives.snark.prover import blinded_proof
from primitives.snark.r1cs import R1CS


class SnarkjsFileError(InvalidProof):
    """A snarkjs binary file (or a pairing of them) that cannot be used; the message says why."""


class ZkeyError(SnarkjsFileError):
    """A ``.zkey`` that is malformed, truncated, not Groth16 over BN254, or has invalid points."""


class WtnsError(SnarkjsFileError):
    """A ``.wtns`` that is malformed, or a witness that does not fit the proving key."""


_N8 = 32
_G1_BYTES = 2 * _N8
_G2_BYTES = 4 * _N8
_COEF_BYTES = 12 + _N8
_MONT_Q = pow(2, 256, Q)
_MONT_Q_INV = pow(2, -256, Q)
_COEF_R = pow(2, 512, R)
_COEF_R_INV = pow(2, -512, R)
MAX_DOMAIN = 1 << 27
"""Largest domain: the H query needs the 2n-th roots of unity, and Fr has 2-adicity 28."""
MAX_WITNESS = 1 << 28
ZKEY_SECTIONS = {1: "header", 2: "groth16 header", 3: "IC", 4: "coefficients", 5: "A", 6: "B1",
                 7: "B2", 8: "C", 9: "H", 10: "contributions"}
_WRITE_ORDER = (1, 2, 4, 3, 9, 8, 5, 6, 7, 10)  # the order snarkjs writes them in
_GROTH16_HEADER_BYTES = 4 + _N8 + 4 + _N8 + 12 + 3 * _G1_BYTES + 3 * _G2_BYTES
_PROVER_TYPES = {1: "Groth16", 2: "PLONK", 10: "FFLONK"}
SUBGROUP_ROUNDS = ((64, 1), (16, 4))
"""Rounds of the batched G2 subgroup check: (bits of the random weights, how many rounds).

A point of the twist outside G2 carries a component of prime order ``p``
dividing the cofactor ``10069 * 5864401 * (a 218-bit number)``. A round
with weights uniform below ``2^b`` hides it with probability at most
``ceil(2^b / p) / 2^b``: ``2^-13.2`` for ``p = 10069`` in every round, at
most ``2^-16`` for the larger primes in the 16-bit rounds and ``2^-22`` in the
64-bit one. Five rounds bound a miss by ``2^-66``; the short weights keep
the four extra rounds at about 40% of the first one's cost.
"""


# ---------------------------------------------------------------- the container


def _sections(data: bytes | memoryview | mmap.mmap, magic: bytes, versions: tuple[int, ...], known: dict[int, str],
              error: type[SnarkjsFileError], offsets: dict[int, int] | None = None) -> dict[int, memoryview]:
    """The section bodies of an iden3 binary file, each id at most once; nothing left over."""
    kind = magic.decode()
    mv = memoryview(data).cast("B")
    if len(mv) < 12:
        if bytes(mv[:4]) != magic[: len(mv[:4])]:
            raise error(f"not a .{kind} file: it does not start with the magic {magic!r}")
        raise error(f"truncated .{kind} file: {len(mv)} bytes, shorter than the 12-byte preamble")
    if bytes(mv[:4]) != magic:
        raise error(f"not a .{kind} file: it starts with {bytes(mv[:4])!r}, not the magic {magic!r}")
    version, count = struct.unpack_from("<II", mv, 4)
    if version not in versions:
        raise error(f".{kind} version {version} is not supported (only {', '.join(map(str, versions))})")
    pos = 12
    out: dict[int, memoryview] = {}
    for i in range(count):
        if pos + 12 > len(mv):
            raise error(f"truncated .{kind} file: the header of section {i + 1} of {count} is cut off "
                        f"at byte {len(mv)}")
        sid, size = struct.unpack_from("<IQ", mv, pos)
        pos += 12
        name = known.get(sid)
        if name is None:
            raise error(f".{kind} file has an unknown section id {sid}")
        if sid in out:
            raise error(f".{kind} file has section {sid} ({name}) twice")
        if size > len(mv) - pos:
            raise error(f"truncated .{kind} file: section {sid} ({name}) declares {size} bytes "
                        f"but only {len(mv) - pos} remain")
        out[sid] = mv[pos : pos + size]
        if offsets is not None:
            offsets[sid] = pos
        pos += size
    if pos != len(mv):
        raise error(f".{kind} file has {len(mv) - pos} bytes after its last section")
    return out


def _container(magic: bytes, version: int, sections: list[tuple[int, bytes]]) -> bytes:
    parts = [magic, struct.pack("<II", version, len(sections))]
    for sid, body in sections:
        parts.append(struct.pack("<IQ", sid, len(body)))
        parts.append(body)
    return b"".join(parts)


def _read_file(path: str | Path, kind: str, error: type[SnarkjsFileError]) -> bytes | mmap.mmap:
    """The file's bytes; a large one mapped rather than read, so its pages can be let go once used."""
    p = Path(path)
    try:
        if p.is_dir():
            raise error(f"{kind} file {path} is a directory, not a file")
        with p.open("rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 1 << 20:
                return f.read()
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except FileNotFoundError:
        raise error(f"{kind} file not found: {path}") from None
    except OSError as exc:
        raise error(f"cannot read {kind} file {path}: {exc.strerror or exc}") from None


# ---------------------------------------------------------------- points


def _words(body: memoryview, count: int) -> list[int]:
    """``count`` 32-byte little-endian words (the body holds exactly that many)."""
    fb = int.from_bytes
    return [fb(x, "little") for (x,) in struct.iter_unpack("32s", body[: count * _N8])]


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while millions of point tuples are made (none are cycles)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _fq_mont(words: list[int], what: str) -> list[int]:
    """Montgomery coordinates to plain ones, each checked to be canonical (below q)."""
    if words and max(words) >= Q:
        i = next(i for i, v in enumerate(words) if v >= Q)
        raise ZkeyError(f"{what}: coordinate {i} is not a canonical Fq element (not below q)")
    inv = _MONT_Q_INV
    return [v * inv % Q for v in words]


def _g1_points(body: memoryview, count: int, what: str) -> list[G1Point]:
    c = _fq_mont(_words(body, 2 * count), what)
    return list(zip(c[0::2], c[1::2], strict=True))


@overload
def _packed(body: memoryview, g2: Literal[False], what: str, check: bool = ...) -> kernels.G1Points: ...
@overload
def _packed(body: memoryview, g2: Literal[True], what: str, check: bool = ...) -> kernels.G2Points: ...
def _packed(body: memoryview, g2: bool, what: str, check: bool = True) -> kernels.G1Points | kernels.G2Points:
    """A section's points packed (plain little-endian), each checked canonical and on its curve in C."""
    try:
        return (kernels.decode_g2 if g2 else kernels.decode_g1)(body, "mont")
    except kernels.PointError as exc:
        words = 4 if g2 else 2
        if exc.kind == "canonical":
            start = exc.index * words
            coords = _words(body[start * _N8 :], words)
            j = next(j for j, v in enumerate(coords) if v >= Q)
            raise ZkeyError(f"{what}: coordinate {start + j} is not a canonical Fq element (not below q)") from None
        kind = "twist y^2 = x^3 + 3/(9+i)" if g2 else "curve y^2 = x^3 + 3"
        raise ZkeyError(f"{what} point {exc.index} is not on the {kind}") from None


def _g2_points(body: memoryview, count: int, what: str) -> list[G2Point]:
    c = _fq_mont(_words(body, 4 * count), what)
    return list(zip(zip(c[0::4], c[1::4], strict=True), zip(c[2::4], c[3::4], strict=True), strict=True))


Group = tuple[str, Sequence]
"""Points to check and what to call them: a section (``what point i``) or one named point."""


def _name(group: Group, i: int) -> str:
    what = group[0]
    return f"{what} point {i}" if " section " in what else what


def _find_off_curve(groups: list[Group], check) -> None:
    """Name the first point the (pure) curve check refuses."""
    kind = "curve y^2 = x^3 + 3" if check is check_g1 else "twist y^2 = x^3 + 3/(9+i)"
    for group in groups:
        for i, p in enumerate(group[1]):
            try:
                check(p)
            except ValueError:
                raise ZkeyError(f"{_name(group, i)} is not on the {kind}") from None


def _check_g1_groups(groups: list[Group]) -> None:
    """Every point on G1 (cofactor 1, so in the group): the kernels check all of them in one call."""
    points = [p for _, pts in groups for p in pts]
    try:
        kernels.msm_g1(points, [0] * len(points))
    except ValueError:
        _find_off_curve(groups, check_g1)
        raise ZkeyError("zkey has a G1 point off the curve") from None


def _in_g2(p: G2Point) -> bool:
    """Exactly: ``r * P = O``, as ``(r - 1) P = -P`` (the kernels take scalars mod r)."""
    if p == G2_INFINITY:
        return True
    (x, (y0, y1)) = p
    return kernels.msm_g2([p], [R - 1]) == (x, ((-y0) % Q, (-y1) % Q))


_WEIGHT_CODES: dict[int, Literal["Q", "I", "H"]] = {64: "Q", 32: "I", 16: "H"}
"""The array type code of a weight of 64, 32 or 16 bits."""


def _weights(count: int, bits: int, rng: random.Random | None) -> kernels.FrWords:
    """``count`` random weights below ``2^bits``, packed: the low bytes of each 32-byte word."""
    code = _WEIGHT_CODES[bits]
    if rng is not None:
        raw = array(code, [rng.getrandbits(bits) for _ in range(count)]).tobytes()
        if sys.byteorder != "little":
            a = array(code, raw)
            a.byteswap()
            raw = a.tobytes()
    else:
        raw = os.urandom(count * bits // 8)
    buf = bytearray(32 * count)
    per = 256 // bits
    memoryview(buf).cast(code)[::per] = memoryview(raw).cast(code)
    return kernels.FrWords(buf)


def _check_g2_packed(points: kernels.G2Points, what: str, rng: random.Random | None = None) -> None:
    """Every point of a packed section in G2 (they are on the twist): batched, see ``SUBGROUP_ROUNDS``."""
    n = len(points)
    if not n:
        return
    for bits, rounds in SUBGROUP_ROUNDS:
        for _ in range(rounds):
            if not _in_g2(kernels.msm_g2(points, _weights(n, bits, rng))):
                for i, p in enumerate(points):
                    if not _in_g2(p):
                        raise ZkeyError(f"{what} point {i} is on the twist but not in the order-r subgroup G2")
                raise ZkeyError("zkey has a G2 point outside the order-r subgroup")


def _check_g2_groups(groups: list[Group], rng: random.Random | None = None) -> None:
    """Every point on the twist and in G2: batched random combinations, see ``SUBGROUP_ROUNDS``.

    Each round checks ``r * S = O`` for ``S = sum k_i P_i`` with random
    weights ``k_i``; a failure is then pinned to its point one by one.
    """
    live = [p for _, pts in groups for p in pts if p != G2_INFINITY]
    if not live:
        return
    for bits, rounds in SUBGROUP_ROUNDS:
        for _ in range(rounds):
            try:
                s = kernels.msm_g2(live, _weights(len(live), bits, rng))
            except ValueError:
                _find_off_curve(groups, check_g2)
                raise ZkeyError("zkey has a G2 point off the twist") from None
            if not _in_g2(s):
                for group in groups:
                    for i, p in enumerate(group[1]):
                        if not _in_g2(p):
                            raise ZkeyError(f"{_name(group, i)} is on the twist but not in the order-r subgroup G2")
                raise ZkeyError("zkey has a G2 point outside the order-r subgroup")


def _fq_lem(x: int) -> bytes:
    return (x * _MONT_Q % Q).to_bytes(_N8, "little")


def _g1_lem(points: Sequence[G1Point]) -> bytes:
    return b"".join(_fq_lem(x) + _fq_lem(y) for x, y in points)


def _g2_lem(points: Sequence[G2Point]) -> bytes:
    return b"".join(_fq_lem(x0) + _fq_lem(x1) + _fq_lem(y0) + _fq_lem(y1) for (x0, x1), (y0, y1) in points)


# ---------------------------------------------------------------- the key


@dataclass(eq=False)
class Matrix:
    """The entries of one QAP matrix (A or B) in file order, as parallel columns.

    Entry ``k`` adds ``values[k] * w[signals[k]]`` to row ``constraints[k]``.
    Values are kept once each: ``ids[k]`` indexes ``table``, the distinct
    values (a circuit has few), so an entry costs 12 bytes.
    """

    constraints: array
    signals: array
    ids: array
    table: list[int]

    @classmethod
    def from_entries(cls, entries: Iterator[tuple[int, int, int]] | list[tuple[int, int, int]]) -> Matrix:
        m = cls(array("I"), array("I"), array("I"), [])
        index: dict[int, int] = {}
        for c, s, v in entries:
            m.constraints.append(c)
            m.signals.append(s)
            i = index.get(v)
            if i is None:
                i = index[v] = len(m.table)
                m.table.append(v)
            m.ids.append(i)
        return m

    @property
    def values(self) -> list[int]:
        t = self.table
        return [t[i] for i in self.ids]

    def __len__(self) -> int:
        return len(self.ids)

    def entries(self) -> Iterator[tuple[int, int, int]]:
        return zip(self.constraints, self.signals, self.values, strict=True)

    def rows(self, w: Vector[int], n: int) -> kernels.FrWords:
        """The ``n`` row values ``sum_k values[k] w[signals[k]]``, packed (one kernel call)."""
        words = w if isinstance(w, kernels.FrWords) else kernels.FrWords.from_ints(w)
        return kernels.fr_rows(n, self.constraints, self.signals, self.ids, kernels.FrWords.from_ints(self.table),
                               words)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Matrix):
            return NotImplemented
        return (self.constraints, self.signals, self.values) == (other.constraints, other.signals, other.values)

    __hash__ = None  # type: ignore[assignment]


@dataclass(eq=False)
class Zkey:
    """A Groth16 proving key in snarkjs' form: the point sections packed (``kernels.G1Points`` and
    ``G2Points``, read as affine int tuples, infinity ``(0, 0)``), the header points and IC as tuples.

    ``a_coefs``/``b_coefs`` are section 4's entries of the A and B matrices
    in file order, values plain field elements.
    ``contributions`` is section 10's body as read (``None`` when absent).
    """

    n_vars: int
    n_public: int
    domain_size: int
    alpha_g1: G1Point
    beta_g1: G1Point
    beta_g2: G2Point
    gamma_g2: G2Point
    delta_g1: G1Point
    delta_g2: G2Point
    ic: list[G1Point] = field(repr=False)
    a_coefs: Matrix = field(repr=False)
    b_coefs: Matrix = field(repr=False)
    coef_order: bytes = field(repr=False)
    """The matrix (0 = A, 1 = B) of each entry in file order, so a written key keeps it."""
    a_points: Vector[G1Point] = field(repr=False)
    b1_points: Vector[G1Point] = field(repr=False)
    b2_points: Vector[G2Point] = field(repr=False)
    c_points: Vector[G1Point] = field(repr=False)
    h_points: Vector[G1Point] = field(repr=False)
    contributions: bytes | None = field(default=None, repr=False)

    def verifying_key(self) -> VerifyingKey:
        return VerifyingKey(self.alpha_g1, self.beta_g2, self.gamma_g2, self.delta_g2, tuple(self.ic))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Zkey):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self.__dataclass_fields__)

    __hash__ = None  # type: ignore[assignment]


def _u32s(body: memoryview, offset: int, count: int) -> tuple[int, ...]:
    return struct.unpack_from(f"<{count}I", body, offset)


def _exact(body: memoryview, size: int, sid: int) -> None:
    if len(body) != size:
        raise ZkeyError(f"zkey section {sid} ({ZKEY_SECTIONS[sid]}) is {len(body)} bytes; "
                        f"the header's counts make it {size}")


def _header(s: dict[int, memoryview]) -> tuple[int, int, int, list[G1Point], list[G2Point]]:
    head = s[1]
    if len(head) != 4:
        raise ZkeyError(f"zkey section 1 (header) is {len(head)} bytes, not 4 (the prover type)")
    (prover,) = _u32s(head, 0, 1)
    if prover != 1:
        name = _PROVER_TYPES.get(prover, "unknown")
        raise ZkeyError(f"zkey prover type is {prover} ({name}), not 1 (Groth16)")
    g = s[2]
    if len(g) < 4:
        raise ZkeyError("zkey section 2 (groth16 header) is cut off before n8q")
    (n8q,) = _u32s(g, 0, 1)
    if n8q != _N8:
        raise ZkeyError(f"zkey n8q is {n8q}: not BN254 (its base field takes 32 bytes)")
    if len(g) < 4 + _N8 + 4:
        raise ZkeyError("zkey section 2 (groth16 header) is cut off before n8r")
    if int.from_bytes(g[4 : 4 + _N8], "little") != Q:
        raise ZkeyError("zkey q is not BN254's base field modulus: the key is for another curve")
    (n8r,) = _u32s(g, 4 + _N8, 1)
    if n8r != _N8:
        raise ZkeyError(f"zkey n8r is {n8r}: not BN254 (its scalar field takes 32 bytes)")
    _exact(g, _GROTH16_HEADER_BYTES, 2)
    if int.from_bytes(g[8 + _N8 : 8 + 2 * _N8], "little") != R:
        raise ZkeyError("zkey r is not BN254's group order: the key is for another curve")
    n_vars, n_public, n = _u32s(g, 8 + 2 * _N8, 3)
    if n_vars < 1 or n_public >= n_vars:
        raise ZkeyError(f"zkey has {n_vars} variables and {n_public} public ones: "
                        "needs nPublic + 1 <= nVars (the constant one comes first)")
    if n < 1 or n & (n - 1) or n > MAX_DOMAIN:
        raise ZkeyError(f"zkey domain size {n} is not a power of two in [1, 2^27]")
    if n < n_public + 1:
        raise ZkeyError(f"zkey domain size {n} cannot hold the {n_public + 1} public-input rows")
    pos = 20 + 2 * _N8
    pts = g[pos:]
    g1 = _g1_points(pts[: _G1_BYTES * 2], 2, "zkey groth16 header")  # alpha1, beta1
    g2 = _g2_points(pts[2 * _G1_BYTES : 2 * _G1_BYTES + 2 * _G2_BYTES], 2, "zkey groth16 header")
    tail = 2 * _G1_BYTES + 2 * _G2_BYTES
    g1 += _g1_points(pts[tail : tail + _G1_BYTES], 1, "zkey groth16 header")  # delta1
    g2 += _g2_points(pts[tail + _G1_BYTES :], 1, "zkey groth16 header")  # delta2
    for name, p in zip(("alpha1", "beta1", "delta1"), g1, strict=True):
        try:
            check_g1(p)
        except ValueError:
            raise ZkeyError(f"zkey {name} is not on the curve y^2 = x^3 + 3") from None
        if p == G1_INFINITY:
            raise ZkeyError(f"zkey {name} is the point at infinity")
    for name, q in zip(("beta2", "gamma2", "delta2"), g2, strict=True):
        try:
            check_g2(q)
        except ValueError:
            raise ZkeyError(f"zkey {name} is not on the twist y^2 = x^3 + 3/(9+i)") from None
        if q == G2_INFINITY:
            raise ZkeyError(f"zkey {name} is the point at infinity")
    return n_vars, n_public, n, g1, g2


def _column(records: memoryview, index: int) -> array:
    """Word ``index`` of every 44-byte coefficient record, as unsigned 32-bit ints."""
    col = array("I")
    col.frombytes(records.cast("I")[index::_COEF_BYTES // 4].tobytes())
    if sys.byteorder != "little":
        col.byteswap()
    return col


_CHUNK = 1 << 16


def _coefficients(body: memoryview, n_vars: int, n: int) -> tuple[Matrix, Matrix, bytes]:
    if len(body) < 4:
        raise ZkeyError("zkey section 4 (coefficients) is cut off before its count")
    (count,) = _u32s(body, 0, 1)
    _exact(body, 4 + count * _COEF_BYTES, 4)
    records = body[4:]
    ms, cs, ss = (_column(records, i) for i in range(3))
    for col, limit, what in ((ms, 2, "matrix {} is neither 0 (A) nor 1 (B)"),
                             (cs, n, f"constraint {{}} is outside the domain of {n}"),
                             (ss, n_vars, f"signal {{}} is not below nVars = {n_vars}")):
        if count and max(col) >= limit:
            i = next(i for i, x in enumerate(col) if x >= limit)
            raise ZkeyError(f"zkey coefficient {i}: " + what.format(col[i]))
    ids = array("I")
    cache: dict[bytes, int] = {}
    table: list[int] = []
    for start in range(0, count, _CHUNK):
        raws = [x for (x,) in struct.iter_unpack("<12x32s", records[start * _COEF_BYTES : (start + _CHUNK) * _COEF_BYTES])]
        for raw in set(raws).difference(cache):
            x = int.from_bytes(raw, "little")
            if x >= R:
                i = start + raws.index(raw)
                raise ZkeyError(f"zkey coefficient {i}: value is not a canonical Fr element (not below r)")
            cache[raw] = len(table)
            table.append(x * _COEF_R_INV % R)
        ids.extend(map(cache.__getitem__, raws))
    del cache
    is_b = bytes(ms.tolist())
    del ms
    is_a = is_b.translate(bytes([1, 0]) + bytes(254))
    a = Matrix(array("I", compress(cs, is_a)), array("I", compress(ss, is_a)), array("I", compress(ids, is_a)), table)
    b = Matrix(array("I", compress(cs, is_b)), array("I", compress(ss, is_b)), array("I", compress(ids, is_b)), table)
    return a, b, is_b


def _release(data: object, offsets: dict[int, int], sid: int, size: int) -> None:
    """Let the pages of a mapped file's section go once it is read, so they stop counting as resident."""
    if isinstance(data, mmap.mmap) and hasattr(mmap, "MADV_DONTNEED"):
        page = mmap.PAGESIZE
        lo = -(-offsets[sid] // page) * page
        hi = (offsets[sid] + size) // page * page
        if hi > lo:
            data.madvise(mmap.MADV_DONTNEED, lo, hi - lo)


def parse_zkey(data: bytes | memoryview | mmap.mmap, *, check_points: bool = True, rng: random.Random | None = None) -> Zkey:
    """A Groth16 ``.zkey`` image, fully validated (see the module doc).

    Points are checked canonical and on their curve in C and kept packed
    (``kernels.G1Points``/``G2Points``). ``check_points=False`` skips the G2
    subgroup checks: for a key this process wrote itself. ``rng`` seeds the
    subgroup check's weights, for reproducible tests.
    """
    with _gc_paused():
        return _parse_zkey(data, check_points, rng)


def _parse_zkey(data: bytes | memoryview | mmap.mmap, check_points: bool, rng: random.Random | None) -> Zkey:
    offsets: dict[int, int] = {}
    s = _sections(data, b"zkey", (1,), ZKEY_SECTIONS, ZkeyError, offsets)
    for sid in range(1, 10):
        if sid not in s:
            raise ZkeyError(f"zkey file has no section {sid} ({ZKEY_SECTIONS[sid]})")
    n_vars, n_public, n, (alpha1, beta1, delta1), (beta2, gamma2, delta2) = _header(s)
    n_private = n_vars - n_public - 1
    sizes = {3: (n_public + 1) * _G1_BYTES, 5: n_vars * _G1_BYTES, 6: n_vars * _G1_BYTES,
             7: n_vars * _G2_BYTES, 8: n_private * _G1_BYTES, 9: n * _G1_BYTES}
    for sid, size in sizes.items():
        _exact(s[sid], size, sid)
    a_coefs, b_coefs, order = _coefficients(s[4], n_vars, n)
    _release(data, offsets, 4, len(s[4]))
    what = {sid: f"zkey section {sid} ({ZKEY_SECTIONS[sid]})" for sid in ZKEY_SECTIONS}
    # Canonical and on the curve (cheap, in C) for every point; G1 has cofactor 1.
    ic = _packed(s[3], False, what[3]).tolist()
    g1 = {}
    for sid in (5, 6, 8, 9):
        g1[sid] = _packed(s[sid], False, what[sid])
        _release(data, offsets, sid, len(s[sid]))
    b2 = _packed(s[7], True, what[7])
    _release(data, offsets, 7, len(s[7]))
    for i, p in enumerate(ic):
        if p == G1_INFINITY:
            raise ZkeyError(f"{what[3]} point {i} is the point at infinity")
    if check_points:
        for name, q in zip(("beta2", "gamma2", "delta2"), (beta2, gamma2, delta2), strict=True):
            if not _in_g2(q):
                raise ZkeyError(f"zkey {name} is on the twist but not in the order-r subgroup G2")
        _check_g2_packed(b2, what[7], rng)
    contributions = bytes(s[10]) if 10 in s else None
    return Zkey(n_vars, n_public, n, alpha1, beta1, beta2, gamma2, delta1, delta2, ic, a_coefs, b_coefs,
                order, g1[5], g1[6], b2, g1[8], g1[9], contributions)


def read_zkey(path: str | Path, *, check_points: bool = True) -> Zkey:
    """The ``.zkey`` file at ``path``, fully validated; :class:`ZkeyError` otherwise."""
    return parse_zkey(_read_file(path, "zkey", ZkeyError), check_points=check_points)


def zkey_bytes(zk: Zkey) -> bytes:
    """The ``.zkey`` encoding of ``zk``, sections in the order snarkjs writes them."""
    head = (struct.pack("<I", _N8) + Q.to_bytes(_N8, "little") + struct.pack("<I", _N8) + R.to_bytes(_N8, "little")
            + struct.pack("<III", zk.n_vars, zk.n_public, zk.domain_size)
            + _g1_lem([zk.alpha_g1, zk.beta_g1]) + _g2_lem([zk.beta_g2, zk.gamma_g2])
            + _g1_lem([zk.delta_g1]) + _g2_lem([zk.delta_g2]))
    coefs = [struct.pack("<I", len(zk.coef_order))]
    entries = (zk.a_coefs.entries(), zk.b_coefs.entries())
    pack = struct.Struct("<III").pack
    for m in zk.coef_order:
        c, s, v = next(entries[m])
        coefs.append(pack(m, c, s) + (v * _COEF_R % R).to_bytes(_N8, "little"))
    g1, g2 = kernels.G1Points.from_points, kernels.G2Points.from_points
    body = {1: struct.pack("<I", 1), 2: head, 3: _g1_lem(zk.ic), 4: b"".join(coefs),
            5: kernels.encode_points(g1(zk.a_points), "mont"), 6: kernels.encode_points(g1(zk.b1_points), "mont"),
            7: kernels.encode_points(g2(zk.b2_points), "mont"), 8: kernels.encode_points(g1(zk.c_points), "mont"),
            9: kernels.encode_points(g1(zk.h_points), "mont")}
    if zk.contributions is not None:
        body[10] = zk.contributions
    return _container(b"zkey", 1, [(sid, body[sid]) for sid in _WRITE_ORDER if sid in body])


def write_zkey(zk: Zkey, path: str | Path) -> None:
    Path(path).write_bytes(zkey_bytes(zk))


# ---------------------------------------------------------------- a development key


def dev_zkey(r1cs: R1CS, ptau_seed: bytes, delta_seed: bytes | None) -> Zkey:
    """A Groth16 key for ``r1cs`` from the secrets of ``ptau.write_ptau(path, power, ptau_seed)``.

    With ``delta_seed=None`` it is the key ``snarkjs groth16 setup`` makes
    from that file: tau, alpha, beta from the ``.ptau`` and gamma = delta = 1
    as before any ``zkey contribute`` (a key whose verifying key
    ``VerifyingKey`` refuses as degenerate). With a ``delta_seed``, delta is
    derived from it, as one phase-2 contribution would make it (not recorded
    in section 10). The H query uses the Lagrange basis of all 2n powers of
    tau, which is what snarkjs reads when the ``.ptau``'s power exceeds the
    circuit's. Section 10 says no contributions were made (its circuit hash
    left zero). DEVELOPMENT ONLY: anyone with the seeds can forge proofs.
    """
    from primitives.snark.ptau import secrets_from_seed  # ptau imports setup, which imports snarkjs
    from primitives.snark.setup import derive_scalar, qap_at

    sec = secrets_from_seed(ptau_seed)
    delta = 1 if delta_seed is None else derive_scalar(bytes(delta_seed), "zkey/delta")
    delta_inv = pow(delta, -1, R)
    u, v, w, n, _ = qap_at(r1cs, sec.tau)
    if n > MAX_DOMAIN:
        raise ValueError(f"circuit needs a domain of {n}, above 2^27")
    powers = [1] * (2 * n)
    for j in range(1, 2 * n):
        powers[j] = powers[j - 1] * sec.tau % R
    lagrange_2n = kernels.ifft(powers, kernels.root_of_unity(2 * n))
    n_pub = r1cs.n_public
    k = [(sec.beta * u[i] + sec.alpha * v[i] + w[i]) % R for i in range(r1cs.n_wires)]
    k[n_pub + 1 :] = [x * delta_inv % R for x in k[n_pub + 1 :]]
    h = [x * delta_inv % R for x in lagrange_2n[1::2]]
    g1 = kernels.batch_mul_g1(G1_GEN, [sec.alpha, sec.beta, *k, *u, *v, *h, delta], packed=True)
    g2 = kernels.batch_mul_g2(G2_GEN, [sec.beta, *v, delta], packed=True)
    delta_g1, delta_g2 = g1[-1], g2[-1]
    m = r1cs.n_wires
    pos = 2 + m
    a_coefs: list[tuple[int, int, int]] = []
    b_coefs: list[tuple[int, int, int]] = []
    order = bytearray()  # snarkjs writes each constraint's A entries, then its B entries
    for c, (row_a, row_b, _row_c) in enumerate(r1cs.iter_constraints()):
        for sig in sorted(row_a):
            a_coefs.append((c, sig, row_a[sig] % R))
            order.append(0)
        for sig in sorted(row_b):
            b_coefs.append((c, sig, row_b[sig] % R))
            order.append(1)
    for sig in range(n_pub + 1):
        a_coefs.append((r1cs.n_constraints + sig, sig, 1))
        order.append(0)
    return Zkey(
        n_vars=m, n_public=n_pub, domain_size=n,
        alpha_g1=g1[0], beta_g1=g1[1], beta_g2=g2[0], gamma_g2=G2_GEN, delta_g1=delta_g1, delta_g2=delta_g2,
        ic=g1[2 : 2 + n_pub + 1].tolist(), a_coefs=Matrix.from_entries(a_coefs), b_coefs=Matrix.from_entries(b_coefs),
        coef_order=bytes(order),
        a_points=g1[pos : pos + m], b1_points=g1[pos + m : pos + 2 * m], b2_points=g2[1:-1],
        c_points=g1[2 + n_pub + 1 : 2 + m], h_points=g1[pos + 2 * m : -1],
        contributions=bytes(64) + struct.pack("<I", 0),
    )


# ---------------------------------------------------------------- witnesses


def parse_wtns(data: bytes | memoryview | mmap.mmap) -> list[int]:
    """The witness values of a ``.wtns`` image, each a canonical element of Fr."""
    s = _sections(data, b"wtns", (1, 2), {1: "header", 2: "values"}, WtnsError)
    for sid, name in ((1, "header"), (2, "values")):
        if sid not in s:
            raise WtnsError(f"wtns file has no section {sid} ({name})")
    head = s[1]
    if len(head) < 4:
        raise WtnsError("wtns header is cut off before n8")
    (n8,) = struct.unpack_from("<I", head, 0)
    if n8 != _N8:
        raise WtnsError(f"wtns n8 is {n8}: not BN254 (its scalar field takes 32 bytes)")
    if len(head) != 4 + _N8 + 4:
        raise WtnsError(f"wtns header is {len(head)} bytes, not {4 + _N8 + 4}")
    if int.from_bytes(head[4 : 4 + _N8], "little") != R:
        raise WtnsError("wtns prime is not BN254's scalar field: the witness is for another curve")
    (count,) = struct.unpack_from("<I", head, 4 + _N8)
    if count < 1 or count > MAX_WITNESS:
        raise WtnsError(f"wtns has {count} values: a witness has at least the constant one")
    if len(s[2]) != count * _N8:
        raise WtnsError(f"wtns values section is {len(s[2])} bytes; {count} values make it {count * _N8}")
    values = _words(s[2], count)
    if max(values) >= R:
        i = next(i for i, v in enumerate(values) if v >= R)
        raise WtnsError(f"wtns value {i} is not a canonical Fr element (not below r)")
    return values


def read_wtns(path: str | Path) -> list[int]:
    """The witness in the ``.wtns`` file at ``path``; :class:`WtnsError` otherwise."""
    return parse_wtns(_read_file(path, "wtns", WtnsError))


# ---------------------------------------------------------------- proving


def check_witness(zk: Zkey, witness: Sequence[int]) -> list[int]:
    """The witness as a list of canonical elements that fits ``zk``: nVars values, the first one 1."""
    w = list(witness)
    if len(w) != zk.n_vars:
        raise WtnsError(f"the witness has {len(w)} values but the proving key is for {zk.n_vars} variables")
    for i, x in enumerate(w):
        if not isinstance(x, int) or isinstance(x, bool) or not 0 <= x < R:
            raise WtnsError(f"witness value {i} is not a field element in [0, r): {x!r}")
    if w[0] != 1:
        raise WtnsError(f"witness value 0 (the constant one) is {w[0]}, not 1")
    return w


def odd_coset_values(zk: Zkey, w: list[int]) -> list[int]:
    """``a b - c`` at the odd 2n-th roots ``w_2n * w_n^i``: the scalars of the H query.

    ``a, b`` are the A and B rows dotted with the witness (values still
    carry no reduction until the end), ``c = a * b`` on the domain.
    """
    return _odd_coset_words(zk, kernels.FrWords.from_ints(w)).tolist()


def _odd_coset_words(zk: Zkey, w: kernels.FrWords) -> kernels.FrWords:
    """:func:`odd_coset_values`, packed, each vector freed once used."""
    n = zk.domain_size
    a, b = zk.a_coefs.rows(w, n), zk.b_coefs.rows(w, n)
    c = kernels.fr_mul_sub(a, b, None)
    omega = kernels.root_of_unity(n)
    shift = kernels.root_of_unity(2 * n)
    ea = kernels.fft_words(kernels.fft_words(a, omega, 1, True), omega, shift)
    del a
    eb = kernels.fft_words(kernels.fft_words(b, omega, 1, True), omega, shift)
    del b
    ec = kernels.fft_words(kernels.fft_words(c, omega, 1, True), omega, shift)
    del c
    return kernels.fr_mul_sub(ea, eb, ec)


def prove_zkey(zk: Zkey, witness: Sequence[int], rng: random.Random | None = None) -> tuple[Proof, list[int]]:
    """A proof from a snarkjs proving key and full witness, and the public inputs it proves.

    Like snarkjs and rapidsnark, the witness is not checked against the
    constraints (the key does not hold C): a witness that does not satisfy
    them gives a proof that does not verify. ``rng`` only for reproducible tests.
    """
    w = check_witness(zk, witness)
    public = w[1 : zk.n_public + 1]
    words = kernels.FrWords.from_ints(w)
    del w
    with _gc_paused():
        h = _odd_coset_words(zk, words)
        proof = blinded_proof(
            zk.alpha_g1, zk.beta_g1, zk.beta_g2, zk.delta_g1, zk.delta_g2,
            (zk.a_points, zk.b1_points, zk.b2_points), words,
            ((zk.c_points, words[zk.n_public + 1 :]), (zk.h_points, h)), rng,
        )
    return proof, public


__all__ = [
    "MAX_DOMAIN",
    "SUBGROUP_ROUNDS",
    "SnarkjsFileError",
    "WtnsError",
    "Zkey",
    "ZkeyError",
    "check_witness",
    "dev_zkey",
    "odd_coset_values",
    "parse_wtns",
    "parse_zkey",
    "prove_zkey",
    "read_wtns",
    "read_zkey",
    "write_zkey",
    "zkey_bytes",
]
