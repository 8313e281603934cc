"""The development powers-of-tau writer: layout, pairing relations, and snarkjs agreeing with it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from py_ecc import optimized_bn128 as bn

from primitives.snark import examples, kernels, ptau, snarkjs
from primitives.snark.kernels import G1_GENERATOR, G2_GENERATOR, Q, R
from primitives.snark.verifier import pairing_product

CLI = Path(__file__).resolve().parent.parent / "tools" / "snarkjs" / "node_modules" / "snarkjs" / "build" / "cli.cjs"
SEED = b"test ptau seed"


def _points(body: bytes, size: int, decode) -> list:
    return [decode(body[i : i + size]) for i in range(0, len(body), size)]


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    path = tmp_path_factory.mktemp("ptau") / "p3.ptau"
    secrets = ptau.write_ptau(path, 3, SEED)
    power, sections = ptau.read_sections(path.read_bytes())
    return secrets, power, sections


def _node() -> str:
    node = shutil.which("node")
    if node is None or not CLI.exists():
        pytest.skip("node or the pinned snarkjs (tools/snarkjs) is not installed")
    return node


def test_layout_matches_the_snarkjs_section_sizes(small):
    _, power, sections = small
    assert power == 3
    n = 1 << power
    assert sorted(sections) == [1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15]
    assert len(sections[2]) == (2 * n - 1) * 64
    assert len(sections[3]) == n * 128
    assert len(sections[4]) == len(sections[5]) == n * 64
    assert len(sections[6]) == 128
    assert sections[7] == b"\0\0\0\0"  # no contribution is claimed
    assert len(sections[12]) == (2 * n - 1 + 2 * n) * 64
    assert len(sections[13]) == (2 * n - 1) * 128
    assert len(sections[14]) == len(sections[15]) == (2 * n - 1) * 64


def test_coordinates_are_montgomery_form(small):
    _, _, sections = small
    raw = int.from_bytes(sections[2][:32], "little")
    assert raw == G1_GENERATOR[0] * pow(2, 256, Q) % Q  # tau^0 G1 is the generator
    assert ptau.g1_from_lem(sections[2][:64]) == G1_GENERATOR
    assert ptau.g2_from_lem(sections[3][:128]) == G2_GENERATOR


def test_powers_satisfy_the_pairing_relations(small):
    """e(tau^(k+1) G1, G2) = e(tau^k G1, tau G2) and e(alpha tau^k G1, G2) relates to tau^k: no secret needed."""
    secrets, _, sections = small
    g1 = _points(sections[2], 64, ptau.g1_from_lem)
    g2 = _points(sections[3], 128, ptau.g2_from_lem)
    one = bn.FQ12.one()
    neg = (g1[3][0], (Q - g1[3][1]) % Q)
    assert pairing_product([(g1[4], G2_GENERATOR), (neg, g2[1])]) == one
    bad = (g1[5][0], (Q - g1[5][1]) % Q)
    assert pairing_product([(g1[4], G2_GENERATOR), (bad, g2[1])]) != one
    beta_g2 = ptau.g2_from_lem(sections[6])
    beta_tau = _points(sections[5], 64, ptau.g1_from_lem)
    neg_tau2 = (g1[2][0], (Q - g1[2][1]) % Q)
    assert pairing_product([(beta_tau[2], G2_GENERATOR), (neg_tau2, beta_g2)]) == one
    assert beta_g2 == kernels.batch_mul_g2(G2_GENERATOR, [secrets.beta])[0]


def test_lagrange_levels_interpolate_tau(small):
    """At each level, sum L_j(tau) = 1 and sum omega^j L_j(tau) = tau, checked on the points."""
    _, power, sections = small
    lag = _points(sections[12], 64, ptau.g1_from_lem)
    tau_g1 = ptau.g1_from_lem(sections[2][64:128])
    pos = 0
    for p in range(power + 1):
        n = 1 << p
        level = lag[pos : pos + n]
        pos += n
        omega = kernels.root_of_unity(n)
        assert kernels.msm_g1(level, [1] * n) == G1_GENERATOR
        if n > 1:
            assert kernels.msm_g1(level, [pow(omega, j, R) for j in range(n)]) == tau_g1
    assert pos + (2 << power) == len(lag)


def test_bad_arguments_are_refused_and_write_nothing(tmp_path):
    for power in (0, ptau.MAX_POWER + 1, True, 3.0, "3"):
        with pytest.raises(ValueError, match="power must be an integer"):
            ptau.write_ptau(tmp_path / "x.ptau", power, SEED)  # type: ignore[arg-type]
    for seed in (b"", "text", None):
        with pytest.raises(TypeError, match="seed must be non-empty bytes"):
            ptau.write_ptau(tmp_path / "x.ptau", 3, seed)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


def test_reader_rejects_malformed_files(small, tmp_path):
    path = tmp_path / "p.ptau"
    ptau.write_ptau(path, 2, SEED)
    data = path.read_bytes()
    assert ptau.read_sections(data)[0] == 2
    with pytest.raises(ptau.PtauError, match="magic"):
        ptau.read_sections(b"zkey" + data[4:])
    with pytest.raises(ptau.PtauError, match="truncated"):
        ptau.read_sections(data[:-1])
    with pytest.raises(ptau.PtauError, match="version"):
        ptau.read_sections(data[:4] + b"\x02" + data[5:])


@pytest.mark.slow
def test_snarkjs_prepare_phase2_gives_the_same_bytes(tmp_path):
    """snarkjs' own FFT over group elements, from our unprepared file, yields our prepared file exactly."""
    node = _node()
    ptau.write_ptau(tmp_path / "raw.ptau", 4, SEED, prepared=False)
    ptau.write_ptau(tmp_path / "mine.ptau", 4, SEED)
    done = subprocess.run([node, str(CLI), "powersoftau", "prepare", "phase2", "raw.ptau", "theirs.ptau"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "mine.ptau").read_bytes() == (tmp_path / "theirs.ptau").read_bytes()


@pytest.mark.slow
def test_snarkjs_sets_up_proves_and_verifies_with_it(tmp_path):
    node = _node()
    circuit = examples.poseidon_preimage([5, 6])
    r1cs, witness = circuit.compile(), circuit.witness()
    power = (r1cs.n_constraints + r1cs.n_public).bit_length()
    ptau.write_ptau(tmp_path / "dev.ptau", power, SEED)
    snarkjs.write_r1cs(r1cs, tmp_path / "c.r1cs")
    snarkjs.write_wtns(witness, tmp_path / "c.wtns")
    for args in (
        ("groth16", "setup", "c.r1cs", "dev.ptau", "c0.zkey"),
        # a phase-2 contribution: without one delta_2 == gamma_2 and l2lab refuses the key as forgeable
        ("zkey", "contribute", "c0.zkey", "c.zkey", "--name=test", "-e=test_zk_ptau entropy"),
        ("zkey", "export", "verificationkey", "c.zkey", "vk.json"),
        ("groth16", "prove", "c.zkey", "c.wtns", "proof.json", "public.json"),
        ("groth16", "verify", "vk.json", "public.json", "proof.json"),
    ):
        done = subprocess.run([node, str(CLI), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"snarkjs {' '.join(args)}: {done.stdout}{done.stderr}"
    assert "OK" in done.stdout
    # and l2lab's verifier accepts snarkjs' proof made from this file
    from primitives.snark import groth16

    vk = snarkjs.load_vk(tmp_path / "vk.json")
    assert groth16.verify(vk, snarkjs.load_public(tmp_path / "public.json"), snarkjs.load_proof(tmp_path / "proof.json"))
