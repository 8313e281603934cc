"""``l2lab zk`` met with bad input: each case is one line on stderr naming the problem, a non-zero exit, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from py_ecc import optimized_bn128 as bn

from node.cli import main
from primitives.snark import snarkjs
from primitives.snark.kernels import Q, R


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["zk", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fails(capsys, *argv: str, match: str, code: int = 1) -> str:
    """Run a command that must fail: exit ``code``, exactly one stderr line containing ``match``."""
    rc, out, err = run(capsys, *argv)
    assert rc == code, (rc, out, err)
    assert err.count("\n") == 1 and err.startswith("l2lab zk "), err
    assert "Traceback" not in err
    assert match in err, err
    return err


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    """A valid proof written by ``l2lab zk example`` (which also saves the proving key)."""
    out = tmp_path_factory.mktemp("zk") / "ex"
    assert main(["zk", "example", "--out", str(out)]) == 0
    return out


@pytest.fixture
def files(example, tmp_path):
    """Editable copies of the example's three JSON documents, and a runner for ``zk verify`` on them."""
    docs = {name: json.loads((example / f"{name}.json").read_text()) for name in ("verification_key", "proof", "public")}

    def write(**changes: object) -> list[str]:
        paths = []
        for name, doc in docs.items():
            path = tmp_path / f"{name}.json"
            content = changes.get(name, doc)
            path.write_text(content if isinstance(content, str) else json.dumps(content))
            paths.append(str(path))
        return paths

    return docs, write


def test_the_example_verifies(capsys, files):
    _, write = files
    rc, out, _ = run(capsys, "verify", *write())
    assert rc == 0 and out == "proof is valid\n"


def test_a_false_proof_is_invalid_not_malformed(capsys, files):
    docs, write = files
    fails(capsys, "verify", *write(public=[str((int(docs["public"][0]) + 1) % R)]), match="INVALID")


def test_missing_file_directory_and_malformed_json(capsys, files, tmp_path):
    _, write = files
    vk, proof, public = write()
    fails(capsys, "verify", str(tmp_path / "absent.json"), proof, public, match="verification key file not found")
    fails(capsys, "verify", vk, str(tmp_path), public, match="is a directory")
    fails(capsys, "verify", *write(proof="{not json"), match="proof file")
    fails(capsys, "verify", *write(proof="{not json"), match="not valid JSON")
    fails(capsys, "verify", *write(public="[" * 100_000), match="nested more than 32 levels deep")
    fails(capsys, "verify", *write(public="[" + "9" * 5000 + "]"), match="not usable JSON")
    (tmp_path / "latin1.json").write_bytes(b'["\xe9"]')
    fails(capsys, "verify", vk, proof, str(tmp_path / "latin1.json"), match="not UTF-8")


def test_wrong_document_shapes(capsys, files):
    docs, write = files
    fails(capsys, "verify", *write(verification_key=[1, 2]), match="must be a JSON object")
    fails(capsys, "verify", *write(proof={k: v for k, v in docs["proof"].items() if k != "pi_b"}), match="missing 'pi_b'")
    fails(capsys, "verify", *write(proof={**docs["proof"], "protocol": "plonk"}), match='protocol must be "groth16"')
    fails(capsys, "verify", *write(proof={**docs["proof"], "pi_a": ["1", "2"]}), match="pi_a must be a list of 3")
    fails(capsys, "verify", *write(public={"x": "1"}), match="JSON list")


def test_off_curve_and_infinity_points(capsys, files):
    docs, write = files
    fails(capsys, "verify", *write(proof={**docs["proof"], "pi_a": ["1", "1", "1"]}), match="proof A is not on the curve")
    fails(capsys, "verify", *write(proof={**docs["proof"], "pi_c": ["0", "1", "0"]}), match="proof C is the point at infinity")
    fails(capsys, "verify", *write(proof={**docs["proof"], "pi_a": ["1", "2", "5"]}), match="must be affine")
    ic = [["0", "1", "0"], *docs["verification_key"]["IC"][1:]]
    fails(capsys, "verify", *write(verification_key={**docs["verification_key"], "IC": ic}),
          match="IC[0] is the point at infinity")
    vk = {**docs["verification_key"], "vk_beta_2": [["1", "0"], ["1", "0"], ["1", "0"]]}
    fails(capsys, "verify", *write(verification_key=vk), match="vk beta_2 is not on the twist")


def _fq2_sqrt(a: bn.FQ2) -> bn.FQ2 | None:
    """A square root in Fq2 (q = 3 mod 4), or None: enough to build a twist point by hand."""
    a1 = a ** ((Q - 3) // 4)
    alpha = a1 * a1 * a
    x0 = a1 * a
    if alpha == bn.FQ2([Q - 1, 0]):
        root = bn.FQ2([0, 1]) * x0
    else:
        root = (alpha + bn.FQ2.one()) ** ((Q - 1) // 2) * x0
    return root if root * root == a else None


def _twist_point_outside_g2() -> list[list[str]]:
    """A point on the twist y^2 = x^3 + 3/(9+u) whose order is not R (the twist's cofactor is huge)."""
    for k in range(1, 100):
        x = bn.FQ2([k, 1])
        y = _fq2_sqrt(x ** 3 + bn.b2)
        if y is not None:
            point = (x, y, bn.FQ2.one())
            assert bn.is_on_curve(point, bn.b2) and not bn.is_inf(bn.multiply(point, R))
            return [[str(c) for c in x.coeffs], [str(c) for c in y.coeffs], ["1", "0"]]
    raise AssertionError("no twist point found")


def test_g2_point_outside_the_subgroup(capsys, files):
    docs, write = files
    bad = _twist_point_outside_g2()
    fails(capsys, "verify", *write(proof={**docs["proof"], "pi_b": bad}), match="proof B is on the twist but not in the order-R subgroup")
    fails(capsys, "verify", *write(verification_key={**docs["verification_key"], "vk_delta_2": bad}),
          match="vk delta_2 is on the twist but not in the order-R subgroup")


def test_numbers_that_are_not_canonical_field_elements(capsys, files):
    docs, write = files
    pub = docs["public"][0]
    fails(capsys, "verify", *write(public=[str(R)]), match="public input 0 is not a canonical field element")
    fails(capsys, "verify", *write(public=[str(int(pub) + R)]), match="not a canonical field element")
    fails(capsys, "verify", *write(proof={**docs["proof"], "pi_a": [str(Q), "2", "1"]}), match="pi_a has a coordinate >= the base field modulus")
    fails(capsys, "verify", *write(public=["-1"]), match="public input 0 must not be negative")
    fails(capsys, "verify", *write(public=[int(pub)]), match="not a JSON number")
    fails(capsys, "verify", *write(public=[1.5]), match="not a JSON number")
    fails(capsys, "verify", *write(public=[True]), match="must be a decimal string, got true")
    fails(capsys, "verify", *write(public=["0x10"]), match="digits 0-9")
    fails(capsys, "verify", *write(public=["1" * 200]), match="200 digits")
    vk = {**docs["verification_key"], "nPublic": -1}
    fails(capsys, "verify", *write(verification_key=vk), match="nPublic must not be negative")


def test_public_input_counts(capsys, files):
    docs, write = files
    fails(capsys, "verify", *write(public=[]), match="expected 1 public inputs, got 0")
    fails(capsys, "verify", *write(public=[*docs["public"], "1"]), match="expected 1 public inputs, got 2")
    vk = {**docs["verification_key"], "nPublic": 3}
    fails(capsys, "verify", *write(verification_key=vk), match="nPublic is 3 but IC has 2 points")


def test_huge_files_are_refused_before_reading(capsys, files, monkeypatch):
    _, write = files
    monkeypatch.setattr(snarkjs, "MAX_JSON_BYTES", 1000)
    fails(capsys, "verify", *write(public=json.dumps(["1"] * 500)), match="above the 1000-byte limit")


def test_example_bad_input_changes_nothing(capsys, tmp_path):
    out = tmp_path / "never"
    fails(capsys, "example", "--out", str(out), "--preimage", "abc", match="not an integer: 'abc'", code=2)
    fails(capsys, "example", "--out", str(out), "--preimage", str(R), match="not a field element", code=2)
    fails(capsys, "example", "--out", str(out), "--preimage", "-1", match="not a field element", code=2)
    fails(capsys, "example", "--out", str(out), "--preimage", *["1"] * 40, match="1 to", code=2)
    assert not out.exists()
    (tmp_path / "file").write_text("x")
    fails(capsys, "example", "--out", str(tmp_path / "file"), match="not a directory")
    fails(capsys, "example", "--out", str(out), "--key", str(tmp_path / "nokey.l2pk"), match="key file not found")
    (tmp_path / "bad.l2pk").write_bytes(b"l2lab-groth16-keys" + b"\0" * 50)
    fails(capsys, "example", "--out", str(out), "--key", str(tmp_path / "bad.l2pk"), match="key file")
    assert not out.exists()


def test_example_reuses_its_saved_key(capsys, example, tmp_path):
    key = example / "proving_key.l2pk"
    assert key.exists()
    out = tmp_path / "again"
    rc, text, _ = run(capsys, "example", "--out", str(out), "--key", str(key), "--preimage", "8", "9")
    assert rc == 0 and "reused the keys" in text
    assert not (out / "proving_key.l2pk").exists()
    assert (out / "verification_key.json").read_text() == (example / "verification_key.json").read_text()
    rc, _, _ = run(capsys, "verify", *(str(out / f"{n}.json") for n in ("verification_key", "proof", "public")))
    assert rc == 0
    fails(capsys, "example", "--out", str(out), "--key", str(key), "--preimage", "1", "2", "3", match="different circuit")
    corrupt = tmp_path / "corrupt.l2pk"
    data = bytearray(key.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupt.write_bytes(bytes(data))
    fails(capsys, "example", "--out", str(out), "--key", str(corrupt), match="corrupt")


def test_poseidon_bad_input(capsys):
    rc, out, _ = run(capsys, "poseidon", "1", "2")
    assert rc == 0 and int(out) < R
    fails(capsys, "poseidon", "abc", match="not an integer", code=2)
    fails(capsys, "poseidon", "-5", match="not a field element", code=2)
    fails(capsys, "poseidon", str(R), match="not a field element", code=2)
    fails(capsys, "poseidon", "9" * 5000, match="not an integer", code=2)
    fails(capsys, "poseidon", *["1"] * 40, match="Poseidon takes 1 to", code=2)


def test_ptau_bad_input(capsys, tmp_path):
    fails(capsys, "ptau", "--power", "abc", "--out", str(tmp_path / "p.ptau"), match="--power must be an integer", code=2)
    fails(capsys, "ptau", "--power", "0", "--out", str(tmp_path / "p.ptau"), match="in [1, 27]", code=2)
    fails(capsys, "ptau", "--power", "2", "--out", str(tmp_path), match="is a directory")
    fails(capsys, "ptau", "--power", "2", "--out", str(tmp_path / "no" / "dir" / "p.ptau"), match="cannot write")
    assert list(tmp_path.iterdir()) == []
    rc, out, _ = run(capsys, "ptau", "--power", "2", "--out", str(tmp_path / "p.ptau"))
    assert rc == 0 and "DEVELOPMENT ONLY" in out and (tmp_path / "p.ptau").exists()
