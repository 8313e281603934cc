"""Interop with snarkjs (pinned in tools/snarkjs): each side verifies the other's proofs.

The session fixture installs tools/snarkjs with ``npm ci`` when its
node_modules is missing; without npm these tests skip, saying why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from primitives.snark import examples, groth16, snarkjs

TOOLS = Path(__file__).resolve().parent.parent / "tools" / "snarkjs"
CLI = TOOLS / "node_modules" / "snarkjs" / "build" / "cli.cjs"


@pytest.fixture(scope="session")
def run_snarkjs():
    """A function running the pinned snarkjs CLI; installs it on first use."""
    if not CLI.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: cannot install the pinned snarkjs in tools/snarkjs")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=TOOLS, check=True, capture_output=True)
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot run snarkjs")

    def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess:
        return subprocess.run([node, str(CLI), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)

    return run


@pytest.fixture(scope="module")
def preimage():
    circuit = examples.poseidon_preimage([11, 22])
    return circuit.compile(), circuit.witness()


def test_l2lab_proof_verifies_in_snarkjs(run_snarkjs, preimage, tmp_path):
    r1cs, witness = preimage
    pk, vk = groth16.setup(r1cs, b"interop")
    proof = groth16.prove(pk, r1cs, witness)
    snarkjs.write_json(tmp_path / "vk.json", snarkjs.vk_to_json(vk))
    snarkjs.write_json(tmp_path / "proof.json", snarkjs.proof_to_json(proof))
    snarkjs.write_json(tmp_path / "public.json", snarkjs.public_to_json(r1cs.public_inputs(witness)))
    ok = run_snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK" in ok.stdout
    snarkjs.write_json(tmp_path / "public.json", ["1"])
    bad = run_snarkjs("groth16", "verify", "vk.json", "public.json", "proof.json", cwd=tmp_path)
    assert bad.returncode != 0


def test_r1cs_and_witness_files_are_read_by_snarkjs(run_snarkjs, preimage, tmp_path):
    r1cs, witness = preimage
    snarkjs.write_r1cs(r1cs, tmp_path / "c.r1cs")
    snarkjs.write_wtns(witness, tmp_path / "c.wtns")
    info = run_snarkjs("r1cs", "info", "c.r1cs", cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert f"# of Constraints: {r1cs.n_constraints}" in info.stdout
    assert "# of Public Inputs: 1" in info.stdout
    good = run_snarkjs("wtns", "check", "c.r1cs", "c.wtns", cwd=tmp_path)
    assert good.returncode == 0 and "WITNESS IS CORRECT" in good.stdout, good.stdout + good.stderr
    bad_witness = list(witness)
    bad_witness[5] = (bad_witness[5] + 1) % groth16.kernels.R
    snarkjs.write_wtns(bad_witness, tmp_path / "bad.wtns")
    bad = run_snarkjs("wtns", "check", "c.r1cs", "bad.wtns", cwd=tmp_path)
    assert "WITNESS IS CORRECT" not in bad.stdout


@pytest.mark.slow
def test_snarkjs_proof_verifies_in_l2lab(run_snarkjs, preimage, tmp_path):
    r1cs, witness = preimage
    snarkjs.write_r1cs(r1cs, tmp_path / "c.r1cs")
    snarkjs.write_wtns(witness, tmp_path / "c.wtns")
    power = max(1, (r1cs.n_constraints + r1cs.n_public + 1 - 1).bit_length())
    steps = [
        ("powersoftau", "new", "bn128", power, "pot0.ptau"),
        ("powersoftau", "contribute", "pot0.ptau", "pot1.ptau", "--name=test", "-e=l2lab test entropy"),
        ("powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau"),
        ("groth16", "setup", "c.r1cs", "pot.ptau", "c0.zkey"),
        ("zkey", "contribute", "c0.zkey", "c1.zkey", "--name=test", "-e=more entropy"),
        ("zkey", "export", "verificationkey", "c1.zkey", "vk.json"),
        ("groth16", "prove", "c1.zkey", "c.wtns", "proof.json", "public.json"),
    ]
    for step in steps:
        done = run_snarkjs(*step, cwd=tmp_path)
        assert done.returncode == 0, f"snarkjs {' '.join(map(str, step))}: {done.stdout}{done.stderr}"
    vk_doc = json.loads((tmp_path / "vk.json").read_text())
    vk = snarkjs.load_vk(tmp_path / "vk.json")
    proof = snarkjs.load_proof(tmp_path / "proof.json")
    public = snarkjs.load_public(tmp_path / "public.json")
    assert public == r1cs.public_inputs(witness)
    assert groth16.verify(vk, public, proof)
    assert groth16.verify(vk, [(public[0] + 1) % groth16.kernels.R], proof) is False
    # Written back, the key is what snarkjs exported, e(alpha, beta) included.
    assert snarkjs.vk_to_json(vk) == vk_doc
