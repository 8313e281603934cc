"""A prepared powers-of-tau file in snarkjs' ``.ptau`` format, written directly from a seed.

**A development ceremony, never for value.** Every secret (tau, alpha, beta)
is derived from a public seed by hashing, by one party, with no contribution
recorded: anyone who knows the seed can forge proofs for every circuit set up
from the file. It exists so benchmarks, tests and workshops can run
``snarkjs groth16 setup`` in seconds instead of paying the ~35 minutes that
``powersoftau new / contribute / prepare phase2`` take at 2^15. For anything
of value, use a file from a real multi-party ceremony.

Why it is fast: snarkjs' ``prepare phase2`` turns the powers ``[tau^k]G`` into
the Lagrange basis with an FFT over group elements. Knowing tau, this module
takes the inverse FFT over scalars (microseconds) and multiplies the generator
once per point with the fixed-base kernels.

The layout (all integers little-endian; snarkjs ``powersoftau_*.js``):

* magic ``b"ptau"``, version ``u32 = 1``, section count ``u32 = 11``;
* each section: ``u32`` id, ``u64`` byte length, body;
* 1 header: ``u32 n8 = 32``, the base-field modulus q (32 bytes),
  ``u32 power``, ``u32 ceremonyPower``;
* 2 tauG1: ``[tau^k]G1`` for ``k < 2^(power+1) - 1``;
* 3 tauG2, 4 alphaTauG1, 5 betaTauG1: ``[tau^k]G2``, ``[alpha tau^k]G1``,
  ``[beta tau^k]G1`` for ``k < 2^power``;
* 6 betaG2: ``[beta]G2``;
* 7 contributions: ``u32`` count, here 0;
* 12-15 the Lagrange forms of sections 2-5: for each ``p = 0..power``, the
  ``2^p`` points ``[L_j(tau)]`` (times alpha or beta for 14/15) of the domain
  of size ``2^p``, with ``omega = 5^((r-1)/2^p)``. Section 12 has one more
  level, ``p = power + 1``, the inverse FFT of the ``2^(power+1) - 1``
  powers padded with a zero (``zkey new`` takes its odd entries for the H
  query).

Points are affine, each coordinate in Montgomery form (``x * 2^256 mod q``),
32 bytes; a G2 coordinate is ``c0`` then ``c1``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from primitives.snark import kernels
from primitives.snark.kernels import G1_GENERATOR, G2_GENERATOR, G1Point, G2Point, Q, R
from primitives.snark.setup import derive_scalar

MAX_POWER = 27
"""snarkjs' limit: BN254's Fr has 2-adicity 28 and section 12 needs ``power + 1`` of it."""
_N8 = 32
_MONT = pow(2, 256, Q)
_G1_SIZE = 2 * _N8
_G2_SIZE = 4 * _N8
_CHUNK = 1 << 14  # points per kernel call, so memory stays a few MB at any power


class PtauError(ValueError):
    """A ``.ptau`` file that is not what the reader expects; the message says what."""


@dataclass(frozen=True)
class PtauSecrets:
    """The toxic waste of a development file: public to whoever knows the seed."""

    tau: int
    alpha: int
    beta: int


def secrets_from_seed(seed: bytes) -> PtauSecrets:
    """tau, alpha and beta derived from ``seed``, each nonzero, under labels of their own."""
    if not isinstance(seed, bytes | bytearray) or not seed:
        raise TypeError("seed must be non-empty bytes")
    s = bytes(seed)
    return PtauSecrets(*(derive_scalar(s, f"ptau/{name}") for name in ("tau", "alpha", "beta")))


# ---------------------------------------------------------------- encoding


def _fq_lem(x: int) -> bytes:
    return (x * _MONT % Q).to_bytes(_N8, "little")


def g1_lem(p: G1Point) -> bytes:
    """One G1 point as snarkjs stores it: affine, Montgomery, little-endian (infinity is zeros)."""
    return _fq_lem(p[0]) + _fq_lem(p[1])


def g2_lem(p: G2Point) -> bytes:
    """One G2 point: x.c0, x.c1, y.c0, y.c1, each Montgomery little-endian."""
    (x0, x1), (y0, y1) = p
    return _fq_lem(x0) + _fq_lem(x1) + _fq_lem(y0) + _fq_lem(y1)


def _powers(x: int, count: int, scale: int = 1) -> list[int]:
    """``scale * x^k`` for ``k < count``."""
    out = [0] * count
    acc = scale % R
    for k in range(count):
        out[k] = acc
        acc = acc * x % R
    return out


def _lagrange(tau: int, p: int, count: int | None = None) -> list[int]:
    """``L_j(tau)`` over the domain of size ``2^p``: the inverse FFT of the powers of tau.

    ``count`` below ``2^p`` zero-pads the powers, which is what snarkjs does
    for section 12's extra level.
    """
    n = 1 << p
    count = n if count is None else count
    values = _powers(tau, count) + [0] * (n - count)
    return kernels.ifft(values, kernels.root_of_unity(n))


def _g1_bytes(scalars: Sequence[int]) -> Iterator[bytes]:
    for start in range(0, len(scalars), _CHUNK):
        yield b"".join(g1_lem(pt) for pt in kernels.batch_mul_g1(G1_GENERATOR, scalars[start : start + _CHUNK]))


def _g2_bytes(scalars: Sequence[int]) -> Iterator[bytes]:
    for start in range(0, len(scalars), _CHUNK):
        yield b"".join(g2_lem(pt) for pt in kernels.batch_mul_g2(G2_GENERATOR, scalars[start : start + _CHUNK]))


def _write_section(f: BinaryIO, section_id: int, size: int, parts: Iterator[bytes] | list[bytes]) -> None:
    """One section: id, length, then the body, checked to be exactly ``size`` bytes."""
    f.write(struct.pack("<IQ", section_id, size))
    written = 0
    for part in parts:
        f.write(part)
        written += len(part)
    if written != size:  # a bug here would make snarkjs misread every later section
        raise AssertionError(f"section {section_id}: wrote {written} bytes, expected {size}")


def _scaled(values: list[int], k: int) -> list[int]:
    return [v * k % R for v in values]


def write_ptau(path: str | Path, power: int, seed: bytes, prepared: bool = True) -> PtauSecrets:
    """Write a (by default phase-2 prepared) ``.ptau`` for circuits up to ``2^power`` rows.

    ``snarkjs groth16 setup`` accepts circuits whose constraints plus public
    inputs fit in ``2^power``. ``prepared=False`` stops after section 7, the
    state ``snarkjs powersoftau prepare phase2`` starts from (used by tests
    to compare with snarkjs' own preparation). Returns the secrets, which
    any holder of the seed can recompute: see the module doc.
    """
    if isinstance(power, bool) or not isinstance(power, int) or not 1 <= power <= MAX_POWER:
        raise ValueError(f"power must be an integer in [1, {MAX_POWER}], got {power!r}")
    sec = secrets_from_seed(seed)
    n = 1 << power
    tau_powers = _powers(sec.tau, 2 * n - 1)
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(b"ptau" + struct.pack("<II", 1, 11 if prepared else 7))
        header = struct.pack("<I", _N8) + Q.to_bytes(_N8, "little") + struct.pack("<II", power, power)
        _write_section(f, 1, len(header), [header])
        _write_section(f, 2, (2 * n - 1) * _G1_SIZE, _g1_bytes(tau_powers))
        _write_section(f, 3, n * _G2_SIZE, _g2_bytes(tau_powers[:n]))
        _write_section(f, 4, n * _G1_SIZE, _g1_bytes(_scaled(tau_powers[:n], sec.alpha)))
        _write_section(f, 5, n * _G1_SIZE, _g1_bytes(_scaled(tau_powers[:n], sec.beta)))
        _write_section(f, 6, _G2_SIZE, _g2_bytes([sec.beta]))
        _write_section(f, 7, 4, [struct.pack("<I", 0)])  # no contributions: say so, claim none
        if prepared:
            levels = [_lagrange(sec.tau, p) for p in range(power + 1)]
            total = 2 * n - 1  # sum of 2^p for p = 0..power
            extra = _lagrange(sec.tau, power + 1, 2 * n - 1)
            _write_section(f, 12, (total + 2 * n) * _G1_SIZE, (b for lv in [*levels, extra] for b in _g1_bytes(lv)))
            _write_section(f, 13, total * _G2_SIZE, (b for lv in levels for b in _g2_bytes(lv)))
            _write_section(f, 14, total * _G1_SIZE, (b for lv in levels for b in _g1_bytes(_scaled(lv, sec.alpha))))
            _write_section(f, 15, total * _G1_SIZE, (b for lv in levels for b in _g1_bytes(_scaled(lv, sec.beta))))
    tmp.replace(path)  # a half-written file never sits under the final name
    return sec


# ---------------------------------------------------------------- reading (for checks)


def read_sections(data: bytes) -> tuple[int, dict[int, bytes]]:
    """The power and the section bodies of a ``.ptau`` image; ``PtauError`` if malformed."""
    if len(data) < 12 or data[:4] != b"ptau":
        raise PtauError("not a .ptau file: missing the 'ptau' magic")
    version, count = struct.unpack_from("<II", data, 4)
    if version != 1:
        raise PtauError(f"unsupported .ptau version {version}")
    pos, sections = 12, {}
    for _ in range(count):
        if pos + 12 > len(data):
            raise PtauError("truncated .ptau file: a section header is cut off")
        sid, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        if pos + size > len(data):
            raise PtauError(f"truncated .ptau file: section {sid} is cut off")
        sections[sid] = data[pos : pos + size]
        pos += size
    head = sections.get(1)
    if head is None or len(head) != 4 + _N8 + 8 or int.from_bytes(head[4 : 4 + _N8], "little") != Q:
        raise PtauError("the .ptau header is missing or not for BN254")
    return struct.unpack_from("<I", head, 4 + _N8)[0], sections


def _fq_from_lem(b: bytes) -> int:
    return int.from_bytes(b, "little") * pow(_MONT, -1, Q) % Q


def g1_from_lem(b: bytes) -> G1Point:
    return (_fq_from_lem(b[:_N8]), _fq_from_lem(b[_N8:]))


def g2_from_lem(b: bytes) -> G2Point:
    c = [_fq_from_lem(b[i * _N8 : (i + 1) * _N8]) for i in range(4)]
    return ((c[0], c[1]), (c[2], c[3]))
