"""snarkjs interop: its JSON files for keys, proofs and public inputs, and its binary R1CS/witness files.

JSON (what ``snarkjs groth16 verify vk.json public.json proof.json`` reads):

* numbers are decimal strings;
* a G1 point is ``[x, y, "1"]`` (``["0", "1", "0"]`` is infinity);
* a G2 point is ``[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`` with ``c0 + c1*u``
  in the same order py_ecc's ``FQ2`` uses. Solidity verifiers and the EIP-197
  precompile take Fq2 elements the other way round, ``[c1, c0]``; that swap
  belongs to whatever writes calldata, not to these files.

Binary (what ``snarkjs groth16 setup`` and ``groth16 prove`` read): the iden3
``.r1cs`` and ``.wtns`` formats, little-endian, field elements as 32-byte
integers in standard (not Montgomery) form. They let snarkjs prove l2lab's
circuits, for interop tests and side-by-side benchmarks.

Every reader raises :class:`InvalidProof` (a ``ValueError``) naming what is
wrong; none lets a ``KeyError`` or ``TypeError`` through.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

from py_ecc import optimized_bn128 as bn

from primitives.jsonlimits import json_too_deep
from primitives.snark.groth16_types import InvalidProof, Proof, VerifyingKey
from primitives.snark.kernels import G1_INFINITY, G2_INFINITY, G1Point, G2Point, Q, R
from primitives.snark.r1cs import R1CS

# ---------------------------------------------------------------- numbers and points


def _num(v: object, what: str, allow_int: bool = False) -> int:
    """A decimal string as a non-negative int; canonical ranges are checked later.

    Field elements must be strings, as snarkjs writes them: a JSON number
    above 2^53 silently loses digits in JavaScript, so a file that has them
    is refused rather than read differently by different tools. Counts such
    as ``nPublic`` are JSON numbers in snarkjs' files (``allow_int``).
    """
    if isinstance(v, bool):
        raise InvalidProof(f"{what} must be a decimal string, got {json.dumps(v)}")
    if isinstance(v, int) and allow_int:
        if v < 0:
            raise InvalidProof(f"{what} must not be negative, got {v}")
        return v
    if isinstance(v, int | float):
        raise InvalidProof(f"{what} must be a decimal string such as \"{v}\", not a JSON number")
    if not isinstance(v, str):
        raise InvalidProof(f"{what} must be a decimal string, got {_short(v)}")
    if v.startswith("-"):
        raise InvalidProof(f"{what} must not be negative, got {_short(v)}")
    if not (v.isascii() and v.isdigit()):
        raise InvalidProof(f"{what} must be a decimal string of digits 0-9, got {_short(v)}")
    if len(v) > 80:  # every canonical element has at most 77 digits
        raise InvalidProof(f"{what} has {len(v)} digits: far above the field modulus")
    return int(v)


def _short(v: object) -> str:
    """``v`` as JSON, cut to a readable length for an error message."""
    text = json.dumps(v) if not isinstance(v, str) else repr(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _list(v: object, length: int, what: str) -> list:
    if not isinstance(v, list) or len(v) != length:
        raise InvalidProof(f"{what} must be a list of {length} items, got {_short(v)}")
    return v


def g1_to_json(p: G1Point) -> list[str]:
    if p == G1_INFINITY:
        return ["0", "1", "0"]
    return [str(p[0]), str(p[1]), "1"]


def g1_from_json(v: object, what: str) -> G1Point:
    """A snarkjs G1 triple as an affine tuple; not yet checked to be on the curve."""
    x, y, z = (_num(c, f"{what}[{i}]") for i, c in enumerate(_list(v, 3, what)))
    if z == 0:
        return G1_INFINITY
    if z != 1:
        raise InvalidProof(f"{what} must be affine (third coordinate \"1\"), got z={z}")
    if x >= Q or y >= Q:
        raise InvalidProof(f"{what} has a coordinate >= the base field modulus (not canonical)")
    return (x, y)


def g2_to_json(p: G2Point) -> list[list[str]]:
    if p == G2_INFINITY:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    (x0, x1), (y0, y1) = p
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


def g2_from_json(v: object, what: str) -> G2Point:
    """A snarkjs G2 triple of [c0, c1] pairs as an affine tuple; not yet checked to be on the twist."""
    coords = [
        tuple(_num(c, f"{what}[{i}][{j}]") for j, c in enumerate(_list(pair, 2, f"{what}[{i}]")))
        for i, pair in enumerate(_list(v, 3, what))
    ]
    x, y, z = coords
    if z == (0, 0):
        return G2_INFINITY
    if z != (1, 0):
        raise InvalidProof(f"{what} must be affine (third coordinate [\"1\", \"0\"]), got {z}")
    if any(c >= Q for c in (*x, *y)):
        raise InvalidProof(f"{what} has a coordinate >= the base field modulus (not canonical)")
    return ((x[0], x[1]), (y[0], y[1]))


def fq12_to_json(f: bn.FQ12) -> list:
    """An FQ12 in snarkjs' tower form ``[[c0, c1, c2], [c3, c4, c5]]`` of Fq2 pairs.

    py_ecc writes Fq12 as polynomials in ``w`` modulo ``w^12 - 18 w^6 + 82``;
    snarkjs as ``Fq6[w]/(w^2 - v)`` over ``Fq2[v]/(v^3 - (9 + u))``. With
    ``v = w^2`` and ``u = w^6 - 9``, the Fq2 coefficient of ``v^j w^i`` is
    ``(f[k] + 9 f[k+6]) + f[k+6] u`` for ``k = 2j + i``.
    """
    c = [int(x) for x in f.coeffs]
    out = []
    for i in range(2):
        row = []
        for j in range(3):
            k = 2 * j + i
            row.append([str((c[k] + 9 * c[k + 6]) % Q), str(c[k + 6] % Q)])
        out.append(row)
    return out


# snarkjs (ffjavascript) computes the final exponentiation with the hard part of
# Fuentes-Castaneda et al., which yields py_ecc's pairing raised to 2x(6x^2+3x+1),
# x = 4965661367192848881 the BN254 curve parameter. Both are valid pairings; the
# power makes vk_alphabeta_12 byte-for-byte what ``zkey export verificationkey`` writes.
_BN_X = 4965661367192848881
SNARKJS_PAIRING_POWER = 2 * _BN_X * (6 * _BN_X * _BN_X + 3 * _BN_X + 1)

# ---------------------------------------------------------------- JSON documents


def vk_to_json(vk: VerifyingKey) -> dict:
    """A ``verification_key.json`` document."""
    return {
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": vk.n_public,
        "vk_alpha_1": g1_to_json(vk.alpha_g1),
        "vk_beta_2": g2_to_json(vk.beta_g2),
        "vk_gamma_2": g2_to_json(vk.gamma_g2),
        "vk_delta_2": g2_to_json(vk.delta_g2),
        "vk_alphabeta_12": fq12_to_json(vk.alpha_beta ** SNARKJS_PAIRING_POWER),
        "IC": [g1_to_json(p) for p in vk.ic],
    }


def _header(obj: object, what: str) -> dict:
    if not isinstance(obj, dict):
        raise InvalidProof(f"{what} must be a JSON object")
    if obj.get("protocol") != "groth16":
        raise InvalidProof(f"{what}: protocol must be \"groth16\", got {obj.get('protocol')!r}")
    if obj.get("curve", "bn128") not in ("bn128", "bn254"):
        raise InvalidProof(f"{what}: curve must be \"bn128\", got {obj.get('curve')!r}")
    return obj


def _field(obj: dict, key: str, what: str) -> object:
    if key not in obj:
        raise InvalidProof(f"{what}: missing {key!r}")
    return obj[key]


def vk_from_json(obj: object) -> VerifyingKey:
    """A verifying key from a ``verification_key.json`` document, fully validated.

    ``VerifyingKey`` refuses a degenerate key, such as one exported from a
    zkey with no phase-2 contribution (``vk_delta_2 == vk_gamma_2``), under
    which anyone could forge proofs.
    """
    what = "verification key"
    d = _header(obj, what)
    ic_json = _field(d, "IC", what)
    if not isinstance(ic_json, list) or not ic_json:
        raise InvalidProof(f"{what}: IC must be a non-empty list")
    n_public = _num(_field(d, "nPublic", what), f"{what} nPublic", allow_int=True)
    if n_public != len(ic_json) - 1:
        raise InvalidProof(f"{what}: nPublic is {n_public} but IC has {len(ic_json)} points")
    return VerifyingKey(
        alpha_g1=g1_from_json(_field(d, "vk_alpha_1", what), "vk_alpha_1"),
        beta_g2=g2_from_json(_field(d, "vk_beta_2", what), "vk_beta_2"),
        gamma_g2=g2_from_json(_field(d, "vk_gamma_2", what), "vk_gamma_2"),
        delta_g2=g2_from_json(_field(d, "vk_delta_2", what), "vk_delta_2"),
        ic=tuple(g1_from_json(p, f"IC[{i}]") for i, p in enumerate(ic_json)),
    )


def proof_to_json(proof: Proof) -> dict:
    """A ``proof.json`` document."""
    return {
        "pi_a": g1_to_json(proof.a),
        "pi_b": g2_to_json(proof.b),
        "pi_c": g1_to_json(proof.c),
        "protocol": "groth16",
        "curve": "bn128",
    }


def proof_from_json(obj: object) -> Proof:
    """A proof from a ``proof.json`` document; curve and subgroup checks happen in ``verify``."""
    what = "proof"
    d = _header(obj, what)
    return Proof(
        a=g1_from_json(_field(d, "pi_a", what), "pi_a"),
        b=g2_from_json(_field(d, "pi_b", what), "pi_b"),
        c=g1_from_json(_field(d, "pi_c", what), "pi_c"),
    )


def public_to_json(values: Sequence[int]) -> list[str]:
    """A ``public.json`` document: the public signals as decimal strings."""
    return [str(v) for v in values]


def public_from_json(obj: object) -> list[int]:
    """Public inputs from a ``public.json`` document; each must be < R."""
    if not isinstance(obj, list):
        raise InvalidProof("public inputs must be a JSON list of decimal strings")
    out = [_num(v, f"public input {i}") for i, v in enumerate(obj)]
    for i, v in enumerate(out):
        if v >= R:
            raise InvalidProof(f"public input {i} is not a canonical field element (>= R)")
    return out


MAX_JSON_DEPTH = 32
"""snarkjs documents nest 4 deep; anything past this is refused before parsing (see ``jsonlimits``)."""


def _check_depth(text: str, what: str) -> None:
    """Refuse deeply nested JSON before parsing it: ``json.loads`` can crash the process on it."""
    if json_too_deep(text, MAX_JSON_DEPTH):
        raise InvalidProof(f"{what} is nested more than {MAX_JSON_DEPTH} levels deep: not a snarkjs document")


MAX_JSON_BYTES = 64 << 20
"""Largest JSON file read: a verifying key with a million public inputs is ~150 MB, a proof ~1 KB."""


def read_json(path: str | Path, what: str, max_bytes: int | None = None) -> object:
    """A JSON file, or an InvalidProof naming the file and what is wrong with it."""
    p = Path(path)
    max_bytes = MAX_JSON_BYTES if max_bytes is None else max_bytes
    try:
        if p.is_dir():
            raise InvalidProof(f"{what} file {path} is a directory, not a file")
        size = p.stat().st_size
        if size > max_bytes:
            raise InvalidProof(f"{what} file {path} is {size} bytes, above the {max_bytes}-byte limit")
        text = p.read_bytes().decode("utf-8")
        _check_depth(text, f"{what} file {path}")
        return json.loads(text)
    except InvalidProof:
        raise
    except FileNotFoundError:
        raise InvalidProof(f"{what} file not found: {path}") from None
    except OSError as exc:
        raise InvalidProof(f"cannot read {what} file {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InvalidProof(f"{what} file {path} is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InvalidProof(f"{what} file {path} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InvalidProof(f"{what} file {path} is nested too deeply to be a {what}") from None
    except ValueError as exc:  # e.g. an integer literal of more than 4300 digits
        raise InvalidProof(f"{what} file {path} is not usable JSON: {exc}") from None


def write_json(path: str | Path, obj: object) -> None:
    Path(path).write_text(json.dumps(obj, indent=1) + "\n")


def load_vk(path: str | Path) -> VerifyingKey:
    return vk_from_json(read_json(path, "verification key"))


def load_proof(path: str | Path) -> Proof:
    return proof_from_json(read_json(path, "proof"))


def load_public(path: str | Path) -> list[int]:
    return public_from_json(read_json(path, "public inputs"))


# ---------------------------------------------------------------- binary .r1cs and .wtns

_FS = 32  # bytes per field element


def _fe(x: int) -> bytes:
    return x.to_bytes(_FS, "little")


def _section(kind: int, body: bytes) -> bytes:
    return struct.pack("<IQ", kind, len(body)) + body


def r1cs_bytes(r1cs: R1CS) -> bytes:
    """The iden3 ``.r1cs`` encoding: header, constraints, and an identity wire-to-label map.

    All public wires are declared public inputs (none as outputs), so snarkjs
    orders them as l2lab does.
    """
    header = struct.pack("<I", _FS) + _fe(R) + struct.pack(
        "<IIIIQI", r1cs.n_wires, 0, r1cs.n_public, r1cs.n_wires - 1 - r1cs.n_public, r1cs.n_wires, r1cs.n_constraints
    )
    coeff = [_fe(v) for v in r1cs.table]
    pack_u32 = struct.Struct("<I").pack
    parts = []
    for m in r1cs.matrices:  # per matrix: each constraint's entries as (wire, coefficient), by wire
        wires, ids, starts = m.wires, m.ids, m.starts(r1cs.n_constraints)
        rows = []
        for j in range(r1cs.n_constraints):
            entries = sorted(zip(wires[starts[j]:starts[j + 1]], ids[starts[j]:starts[j + 1]], strict=True))
            rows.append(pack_u32(len(entries)) + b"".join(pack_u32(w) + coeff[i] for w, i in entries))
        parts.append(rows)
    body_rows = b"".join(a + b + c for a, b, c in zip(*parts, strict=True))
    del parts
    wire_map = struct.pack(f"<{r1cs.n_wires}Q", *range(r1cs.n_wires))
    body = _section(1, header) + _section(2, body_rows) + _section(3, wire_map)
    return b"r1cs" + struct.pack("<II", 1, 3) + body


def wtns_bytes(witness: Sequence[int]) -> bytes:
    """The iden3 ``.wtns`` encoding (version 2) of a full witness."""
    header = struct.pack("<I", _FS) + _fe(R) + struct.pack("<I", len(witness))
    values = b"".join(_fe(v % R) for v in witness)
    return b"wtns" + struct.pack("<II", 2, 2) + _section(1, header) + _section(2, values)


def write_r1cs(r1cs: R1CS, path: str | Path) -> None:
    Path(path).write_bytes(r1cs_bytes(r1cs))


def write_wtns(witness: Sequence[int], path: str | Path) -> None:
    Path(path).write_bytes(wtns_bytes(witness))
