"""Proving with snarkjs' ``.zkey`` keys and ``.wtns`` witnesses (``primitives.snark.zkey``, ``l2lab zk prove``).

Without snarkjs: keys written by ``dev_zkey`` round-trip, prove and verify;
every prefix of a small key file and every flipped byte gives one
``ZkeyError``; hand-made corruptions name their problem. With snarkjs
(pinned in tools/snarkjs, installed with ``npm ci`` when missing; skipped
with a message when node or npm is absent): ``groth16 setup`` writes the same
key as ``dev_zkey``, and ``l2lab zk prove`` on a contributed key gives
proofs that ``snarkjs groth16 verify`` and l2lab's verifier accept. snarkjs'
files are made once per session under a temporary directory.
"""

from __future__ import annotations

import json
import random
import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from py_ecc import optimized_bn128 as bn

from node.cli import main
from primitives.snark import examples, groth16, kernels, ptau, snarkjs, zkey
from primitives.snark.kernels import Q, R
from primitives.snark.r1cs import Circuit

TOOLS = Path(__file__).resolve().parent.parent / "tools" / "snarkjs"
CLI = TOOLS / "node_modules" / "snarkjs" / "build" / "cli.cjs"
PTAU_SEED = b"test_zkey ptau seed"


def tiny_circuit(x: int = 3, y: int = 5) -> Circuit:
    """Two constraints, one public output: x * y + x = out."""
    c = Circuit()
    out = c.public(x * y + x)
    a, b = c.private(x), c.private(y)
    c.assert_equal(c.mul(a, b) + a, out, "out")
    return c


@pytest.fixture(scope="module")
def tiny():
    c = tiny_circuit()
    r1cs, witness = c.compile(), c.witness()
    zk = zkey.dev_zkey(r1cs, PTAU_SEED, b"tiny delta")
    return r1cs, witness, zk, zkey.zkey_bytes(zk)


@pytest.fixture(scope="module")
def preimage():
    c = examples.poseidon_preimage([11, 22])
    return c.compile(), c.witness()


# ---------------------------------------------------------------- keys l2lab writes


def test_dev_key_round_trips_proves_and_verifies(preimage):
    r1cs, witness = preimage
    zk = zkey.dev_zkey(r1cs, PTAU_SEED, b"some delta")
    data = zkey.zkey_bytes(zk)
    back = zkey.parse_zkey(data)
    assert back == zk and zkey.zkey_bytes(back) == data
    assert (back.n_vars, back.n_public, back.domain_size) == (r1cs.n_wires, 1, 256)
    proof, public = zkey.prove_zkey(back, zkey.parse_wtns(snarkjs.wtns_bytes(witness)), random.Random(1))
    assert public == r1cs.public_inputs(witness)
    vk = back.verifying_key()
    assert groth16.verify(vk, public, proof)
    assert groth16.verify(vk, [(public[0] + 1) % R], proof) is False
    # Blinded: another draw gives another proof of the same statement.
    other, _ = zkey.prove_zkey(back, witness, random.Random(2))
    assert other != proof and groth16.verify(vk, public, other)


def test_a_witness_that_does_not_fit_the_key(tiny):
    _, witness, zk, _ = tiny
    with pytest.raises(zkey.WtnsError, match="has 4 values but the proving key is for 5 variables"):
        zkey.prove_zkey(zk, witness[:-1])
    with pytest.raises(zkey.WtnsError, match="constant one"):
        zkey.prove_zkey(zk, [2, *witness[1:]])
    with pytest.raises(zkey.WtnsError, match="not a field element"):
        zkey.prove_zkey(zk, [*witness[:-1], R])
    # Like snarkjs, a witness breaking a constraint still proves, and the proof fails.
    bad = [*witness[:-1], witness[-1] + 1]
    proof, public = zkey.prove_zkey(zk, bad)
    assert groth16.verify(zk.verifying_key(), public, proof) is False


def test_wtns_round_trip_and_errors():
    w = [1, 2, R - 1, 0]
    data = snarkjs.wtns_bytes(w)
    assert zkey.parse_wtns(data) == w
    assert zkey.parse_wtns(data[:4] + struct.pack("<I", 1) + data[8:]) == w  # version 1, same layout
    for cut in range(len(data)):
        with pytest.raises(zkey.WtnsError):
            zkey.parse_wtns(data[:cut])
    cases = {
        "not a .wtns file": b"zkey" + data[4:],
        "version 3 is not supported": data[:4] + struct.pack("<I", 3) + data[8:],
        "n8 is 48": data[:24] + struct.pack("<I", 48) + data[28:],
        "another curve": data[:28] + Q.to_bytes(32, "little") + data[60:],
        "value 1 is not a canonical": snarkjs.wtns_bytes([1, 2, 3])[:-64] + R.to_bytes(32, "little") + bytes(32),
        "bytes after its last section": data + b"\0",
        "values section is 96 bytes; 4 values make it 128": (
            data[:64] + struct.pack("<IQ", 2, 96) + data[76:-32]),
    }
    for match, blob in cases.items():
        with pytest.raises(zkey.WtnsError, match=match):
            zkey.parse_wtns(blob)


# ---------------------------------------------------------------- strict reading


def _section_offsets(data: bytes) -> dict[int, tuple[int, int]]:
    """Section id -> (offset of its body, its length) in a well-formed file."""
    (count,) = struct.unpack_from("<I", data, 8)
    pos, out = 12, {}
    for _ in range(count):
        sid, size = struct.unpack_from("<IQ", data, pos)
        out[sid] = (pos + 12, size)
        pos += 12 + size
    return out


def test_every_prefix_of_a_key_is_a_clear_error(tiny):
    *_, data = tiny
    assert 2000 < len(data) < 4000
    for cut in range(len(data)):
        with pytest.raises(zkey.ZkeyError):
            zkey.parse_zkey(data[:cut])


def test_flipped_bytes_are_refused_or_harmless(tiny):
    """A flip gives ZkeyError or a key that still parses; in a point it is always refused.

    Every byte outside the points is flipped, and a sample of the point bytes
    (each parse runs the batched subgroup check, a few kernel calls).
    """
    *_, data = tiny
    sections = _section_offsets(data)
    points = [range(o, o + n) for sid, (o, n) in sections.items() if sid in (3, 5, 6, 7, 8, 9)]
    head_off, _ = sections[2]
    points.append(range(head_off + 84, head_off + 660))  # alpha1 ... delta2
    in_points = [i for r in points for i in r]
    rng = random.Random(5)
    positions = sorted({*range(len(data))} - set(in_points)) + rng.sample(in_points, 300)
    refused = 0
    for i in positions:
        corrupt = bytearray(data)
        corrupt[i] ^= rng.randrange(1, 256)
        try:
            zkey.parse_zkey(bytes(corrupt), rng=rng)
        except zkey.ZkeyError:
            refused += 1
        else:
            assert not any(i in r for r in points), f"a flip at byte {i}, inside a point, was accepted"
    assert refused > 300


def _patch(data: bytes, offset: int, new: bytes) -> bytes:
    return data[:offset] + new + data[offset + len(new) :]


def _u32(v: int) -> bytes:
    return struct.pack("<I", v)


def _lem(x: int) -> bytes:
    return (x * pow(2, 256, Q) % Q).to_bytes(32, "little")


def _fq2_sqrt(a: bn.FQ2) -> bn.FQ2 | None:
    """A square root in Fq2 (q = 3 mod 4), or None."""
    a1 = a ** ((Q - 3) // 4)
    alpha = a1 * a1 * a
    if alpha ** Q * alpha == bn.FQ2([Q - 1, 0]):
        return None
    x0 = a1 * a
    root = bn.FQ2([0, 1]) * x0 if alpha == bn.FQ2([Q - 1, 0]) else (alpha + bn.FQ2.one()) ** ((Q - 1) // 2) * x0
    return root if root * root == a else None


def _twist_point_outside_g2() -> tuple:
    """A point of the twist (its first from x = k + i) that is not in G2."""
    b2 = bn.FQ2([3, 0]) / bn.FQ2([9, 1])
    for k in range(1, 100):
        x = bn.FQ2([k, 1])
        y = _fq2_sqrt(x ** 3 + b2)
        if y is not None:
            p = ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))
            if kernels.msm_g2([p], [R - 1]) != (p[0], ((-p[1][0]) % Q, (-p[1][1]) % Q)):
                return p
    raise AssertionError("no twist point found")


def _g2_lem(p) -> bytes:
    (x0, x1), (y0, y1) = p
    return _lem(x0) + _lem(x1) + _lem(y0) + _lem(y1)


def test_corruptions_name_their_problem(tiny):
    _, _, zk, data = tiny
    s = _section_offsets(data)
    head, _ = s[2]
    coef, _ = s[4]
    other_prime = 2**255 - 19
    outside = _twist_point_outside_g2()
    # A G2 point plus a torsion point of order 10069 (the cofactor's smallest prime): the batched check's hard case.
    cofactor = 2 * Q - R
    torsion = bn.multiply(kernels.to_py_ecc_g2(outside), R * (cofactor // 10069))
    assert not bn.is_inf(torsion) and bn.is_inf(bn.multiply(torsion, 10069))
    sneaky = kernels.from_py_ecc_g2(bn.add(kernels.to_py_ecc_g2(zk.b2_points[3]), torsion))
    b2_off, _ = s[7]
    cases = {
        "not a .zkey file": b"ptau" + data[4:],
        "version 2 is not supported": _patch(data, 4, _u32(2)),
        r"prover type is 2 \(PLONK\), not 1": _patch(data, s[1][0], _u32(2)),
        "n8q is 48": _patch(data, head, _u32(48)),
        "q is not BN254's": _patch(data, head + 4, other_prime.to_bytes(32, "little")),
        "r is not BN254's": _patch(data, head + 40, other_prime.to_bytes(32, "little")),
        "needs nPublic": _patch(data, head + 76, _u32(5)),
        "domain size 6 is not a power of two": _patch(data, head + 80, _u32(6)),
        r"section 9 \(H\) is 256 bytes; the header's counts make it 512": _patch(data, head + 80, _u32(8)),
        "unknown section id 11": _patch(data, s[10][0] - 12, _u32(11)),
        r"section 5 \(A\) twice": _patch(data, s[6][0] - 12, _u32(5)),
        "bytes after its last section": data + b"\0",
        r"no section 10|has 10 sections": b"",  # placeholder, replaced below
        r"coefficient 0: matrix 2": _patch(data, coef + 4, _u32(2)),
        "coefficient 1: constraint 4 is outside the domain of 4": _patch(data, coef + 4 + 44 + 4, _u32(4)),
        "coefficient 0: signal 5 is not below nVars = 5": _patch(data, coef + 4 + 8, _u32(5)),
        "coefficient 0: value is not a canonical Fr": _patch(data, coef + 4 + 12, R.to_bytes(32, "little")),
        r"section 5 \(A\): coordinate 2 is not a canonical": _patch(data, s[5][0] + 64, Q.to_bytes(32, "little")),
        r"section 6 \(B1\) point 1 is not on the curve": _patch(data, s[6][0] + 64, _lem(1) + _lem(3)),
        r"section 7 \(B2\) point 2 is not on the twist": _patch(data, b2_off + 256, _lem(1) * 4),
        r"section 7 \(B2\) point 3 is on the twist but not in the order-r subgroup": _patch(
            data, b2_off + 384, _g2_lem(outside)),
        r"section 7 \(B2\) point 3 is on the twist but not in the order-r subgroup G2": _patch(
            data, b2_off + 384, _g2_lem(sneaky)),
        "gamma2 is on the twist but not in the order-r subgroup": _patch(data, head + 84 + 256, _g2_lem(outside)),
        "alpha1 is the point at infinity": _patch(data, head + 84, bytes(64)),
        r"section 3 \(IC\) point 1 is the point at infinity": _patch(data, s[3][0] + 64, bytes(64)),
    }
    # A file without section 10 is fine; one without section 9 is not.
    del cases[r"no section 10|has 10 sections"]
    no_h = data[:8] + _u32(9) + data[12 : s[9][0] - 12] + data[s[9][0] + s[9][1] :]
    cases[r"no section 9 \(H\)"] = no_h
    for match, blob in cases.items():
        with pytest.raises(zkey.ZkeyError, match=match):
            zkey.parse_zkey(blob)
    without_contributions = data[:8] + _u32(9) + data[12 : s[10][0] - 12]
    assert zkey.parse_zkey(without_contributions).contributions is None


def test_reading_files(tiny, tmp_path):
    *_, data = tiny
    (tmp_path / "k.zkey").write_bytes(data)
    assert zkey.read_zkey(tmp_path / "k.zkey") == zkey.parse_zkey(data)
    with pytest.raises(zkey.ZkeyError, match="zkey file not found"):
        zkey.read_zkey(tmp_path / "absent.zkey")
    with pytest.raises(zkey.ZkeyError, match="is a directory"):
        zkey.read_zkey(tmp_path)
    with pytest.raises(zkey.WtnsError, match="wtns file not found"):
        zkey.read_wtns(tmp_path / "absent.wtns")


# ---------------------------------------------------------------- the CLI


def _cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["zk", *map(str, argv)])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_prove_and_export_vk(capsys, tiny, tmp_path):
    r1cs, witness, _, data = tiny
    (tmp_path / "k.zkey").write_bytes(data)
    snarkjs.write_wtns(witness, tmp_path / "w.wtns")
    code, out, err = _cli(capsys, "prove", tmp_path / "k.zkey", tmp_path / "w.wtns", tmp_path / "p.json",
                          tmp_path / "pub.json")
    assert code == 0 and err == "", err
    assert out.startswith("proved in ") and " s (reading" in out
    code, out, _ = _cli(capsys, "export-vk", tmp_path / "k.zkey", tmp_path / "vk.json")
    assert code == 0 and "1 public input)" in out
    code, out, _ = _cli(capsys, "verify", tmp_path / "vk.json", tmp_path / "p.json", tmp_path / "pub.json")
    assert code == 0 and out == "proof is valid\n"
    assert snarkjs.load_public(tmp_path / "pub.json") == r1cs.public_inputs(witness)


def test_cli_bad_files_fail_in_one_line(capsys, tiny, tmp_path):
    _, witness, _, data = tiny
    (tmp_path / "k.zkey").write_bytes(data)
    (tmp_path / "cut.zkey").write_bytes(data[:1000])
    snarkjs.write_wtns(witness, tmp_path / "w.wtns")
    snarkjs.write_wtns(witness[:3], tmp_path / "short.wtns")
    k, cut, w, short = (str(tmp_path / n) for n in ("k.zkey", "cut.zkey", "w.wtns", "short.wtns"))
    out_files = (str(tmp_path / "p.json"), str(tmp_path / "pub.json"))
    cases = [
        (("prove", cut, w, *out_files), "truncated .zkey file"),
        (("prove", w, k, *out_files), "not a .zkey file"),
        (("prove", k, k, *out_files), "not a .wtns file"),
        (("prove", k, short, *out_files), "the witness has 3 values but the proving key is for 5 variables"),
        (("prove", str(tmp_path / "nope.zkey"), w, *out_files), "zkey file not found"),
        (("prove", k, w, str(tmp_path / "no" / "p.json"), out_files[1]), "cannot write"),
        (("export-vk", cut, str(tmp_path / "vk.json")), "truncated .zkey file"),
    ]
    for argv, match in cases:
        code, out, err = _cli(capsys, *argv)
        assert code == 1, (argv, out, err)
        assert err.count("\n") == 1 and err.startswith(f"l2lab zk {argv[0]}: ") and match in err, err
    assert not (tmp_path / "p.json").exists()


# ---------------------------------------------------------------- with snarkjs


@pytest.fixture(scope="session")
def run_snarkjs():
    """A function running the pinned snarkjs CLI; installs it on first use."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot run snarkjs for the .zkey interop tests")
    if not CLI.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot install the pinned snarkjs in tools/snarkjs")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=TOOLS, check=True, capture_output=True)

    def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
        done = subprocess.run([node, str(CLI), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"snarkjs {' '.join(map(str, args))}: {done.stdout}{done.stderr}"
        return done

    return run


@pytest.fixture(scope="session")
def snarkjs_keys(run_snarkjs, tmp_path_factory):
    """snarkjs' keys for the Poseidon preimage circuit: ``groth16 setup`` (c0) and one contribution (c1)."""
    d = tmp_path_factory.mktemp("snarkjs_zkey")
    c = examples.poseidon_preimage([11, 22])
    r1cs, witness = c.compile(), c.witness()
    snarkjs.write_r1cs(r1cs, d / "c.r1cs")
    snarkjs.write_wtns(witness, d / "c.wtns")
    ptau.write_ptau(d / "pot.ptau", 9, PTAU_SEED)  # 2^9 > the circuit's 2^8
    run_snarkjs("groth16", "setup", "c.r1cs", "pot.ptau", "c0.zkey", cwd=d)
    run_snarkjs("zkey", "contribute", "c0.zkey", "c1.zkey", "--name=test", "-e=test_zkey entropy", cwd=d)
    run_snarkjs("zkey", "export", "verificationkey", "c1.zkey", "vk.json", cwd=d)
    return d, r1cs, witness


def test_snarkjs_setup_writes_the_dev_key(snarkjs_keys):
    d, r1cs, _ = snarkjs_keys
    theirs = (d / "c0.zkey").read_bytes()
    ours = zkey.zkey_bytes(zkey.dev_zkey(r1cs, PTAU_SEED, None))
    assert len(ours) == len(theirs)
    assert _section_offsets(ours) == _section_offsets(theirs)
    o10, _ = _section_offsets(theirs)[10]
    assert ours[:o10] == theirs[:o10]  # sections 1-9; section 10 holds snarkjs' circuit hash
    assert zkey.zkey_bytes(zkey.parse_zkey(theirs)) == theirs


def test_cli_proof_from_a_snarkjs_key_verifies_in_snarkjs_and_l2lab(capsys, snarkjs_keys, run_snarkjs):
    d, r1cs, witness = snarkjs_keys
    code, out, err = _cli(capsys, "prove", d / "c1.zkey", d / "c.wtns", d / "l2_proof.json", d / "l2_public.json")
    assert code == 0, err
    ok = run_snarkjs("groth16", "verify", "vk.json", "l2_public.json", "l2_proof.json", cwd=d)
    assert "OK" in ok.stdout
    vk = snarkjs.load_vk(d / "vk.json")
    assert vk == zkey.read_zkey(d / "c1.zkey").verifying_key()
    public = snarkjs.load_public(d / "l2_public.json")
    assert public == r1cs.public_inputs(witness)
    assert groth16.verify(vk, public, snarkjs.load_proof(d / "l2_proof.json"))
    code, _, _ = _cli(capsys, "export-vk", d / "c1.zkey", d / "l2_vk.json")
    assert code == 0
    assert json.loads((d / "l2_vk.json").read_text()) == json.loads((d / "vk.json").read_text())


def test_prefixes_and_flips_of_a_snarkjs_key(snarkjs_keys):
    d, _, _ = snarkjs_keys
    data = (d / "c1.zkey").read_bytes()
    sections = _section_offsets(data)
    rng = random.Random(7)
    cuts = {o + k for o, _ in sections.values() for k in (-13, -12, -1, 0, 1, 4, 31, 32)}
    cuts |= {rng.randrange(len(data)) for _ in range(300)}
    for cut in sorted(c for c in cuts if 0 <= c < len(data)):
        with pytest.raises(zkey.ZkeyError):
            zkey.parse_zkey(data[:cut], check_points=False)
    points = [range(o, o + n) for sid, (o, n) in sections.items() if sid in (3, 5, 6, 7, 8, 9)]
    for _ in range(30):
        section = rng.choice(points)
        i = rng.choice(section)
        corrupt = bytearray(data)
        corrupt[i] ^= rng.randrange(1, 256)
        with pytest.raises(zkey.ZkeyError):
            zkey.parse_zkey(bytes(corrupt), rng=rng)
