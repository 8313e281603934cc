"""Groth16 end to end: valid proofs verify, anything altered or malformed is rejected."""

from __future__ import annotations

import argparse
import dataclasses
import json
import random

import pytest
from py_ecc import optimized_bn128 as bn

from node import cli_zk
from primitives.snark import examples, groth16, kernels, snarkjs
from primitives.snark.groth16 import InvalidProof, Proof, VerifyingKey
from primitives.snark.kernels import G1_INFINITY, Q, R
from primitives.snark.r1cs import Circuit, ConstraintError
from primitives.snark.verifier import pairing_product


def three_publics(x: int, a: int | None = None, b: int | None = None, c_: int | None = None) -> Circuit:
    """Public a = x^2, b = x^3, c = x + 7; private x."""
    c = Circuit()
    pa = c.public(x * x if a is None else a)
    pb = c.public(x**3 if b is None else b)
    pc = c.public(x + 7 if c_ is None else c_)
    xs = c.private(x)
    x2 = c.mul(xs, xs, "x2")
    c.assert_equal(x2, pa, "a")
    c.constrain(x2, xs, pb, "b")
    c.assert_equal(xs + 7, pc, "c")
    return c


@pytest.fixture(scope="module")
def setup3():
    c = three_publics(5)
    r1cs = c.compile()
    witness = c.witness()
    pk, vk = groth16.setup(r1cs, b"test setup")
    proof = groth16.prove(pk, r1cs, witness, random.Random(7))
    return r1cs, witness, pk, vk, proof


def rejected(vk, public, proof) -> bool:
    """A proof is rejected if verify says False or raises InvalidProof."""
    try:
        return not groth16.verify(vk, public, proof)
    except InvalidProof:
        return True


def test_valid_proof_verifies(setup3):
    r1cs, witness, _, vk, proof = setup3
    assert groth16.verify(vk, r1cs.public_inputs(witness), proof)
    assert r1cs.public_inputs(witness) == [25, 125, 12]


def test_pairing_product_matches_py_ecc():
    rnd = random.Random(3)
    pairs, expected = [], bn.FQ12.one()
    for _ in range(2):
        p = bn.multiply(bn.G1, rnd.randrange(1, R))
        q = bn.multiply(bn.G2, rnd.randrange(1, R))
        pairs.append((kernels.from_py_ecc_g1(p), kernels.from_py_ecc_g2(q)))
        expected = expected * bn.pairing(q, p)
    assert pairing_product(pairs) == expected
    # Infinity contributes the neutral element, as in py_ecc.
    assert pairing_product([*pairs, (G1_INFINITY, pairs[0][1])]) == expected


def test_changed_public_input_fails(setup3):
    r1cs, witness, _, vk, proof = setup3
    public = r1cs.public_inputs(witness)
    for i in range(len(public)):
        changed = list(public)
        changed[i] = (changed[i] + 1) % R
        assert groth16.verify(vk, changed, proof) is False


def test_changed_proof_coordinates_fail(setup3):
    r1cs, witness, _, vk, proof = setup3
    public = r1cs.public_inputs(witness)
    a, b, c = proof.a, proof.b, proof.c
    variants = [
        Proof((a[0] + 1, a[1]), b, c),
        Proof((a[0], a[1] + 1), b, c),
        Proof(a, b, (c[0] + 1, c[1])),
        Proof(a, b, (c[0], c[1] + 1)),
        Proof(a, ((b[0][0] + 1, b[0][1]), b[1]), c),
        Proof(a, ((b[0][0], b[0][1] + 1), b[1]), c),
        Proof(a, (b[0], (b[1][0] + 1, b[1][1])), c),
        Proof(a, (b[0], (b[1][0], b[1][1] + 1)), c),
        # Valid curve points that are not the proof's: only the pairing can tell.
        Proof(kernels.from_py_ecc_g1(bn.add(kernels.to_py_ecc_g1(a), bn.G1)), b, c),
        Proof(a, b, kernels.from_py_ecc_g1(bn.neg(kernels.to_py_ecc_g1(c)))),
        Proof(c, b, a),
    ]
    for v in variants:
        assert rejected(vk, public, v)


def test_other_key_fails(setup3):
    r1cs, witness, _, _, proof = setup3
    _, other_vk = groth16.setup(r1cs, b"another setup")
    assert groth16.verify(other_vk, r1cs.public_inputs(witness), proof) is False


def test_contribution_rerandomizes_delta(setup3):
    r1cs, witness, pk, vk, proof = setup3
    pk2, vk2 = groth16.contribute(pk, vk, b"fresh entropy, then forgotten")
    assert vk2.delta_g2 != vk.delta_g2 and vk2.ic == vk.ic
    public = r1cs.public_inputs(witness)
    assert groth16.verify(vk2, public, groth16.prove(pk2, r1cs, witness))
    assert groth16.verify(vk2, public, proof) is False
    with pytest.raises(ValueError, match="entropy"):
        groth16.contribute(pk, vk, b"short")


def test_bad_witness_is_named_before_proving(setup3):
    r1cs, _, pk, _, _ = setup3
    bad = three_publics(5, b=126)
    with pytest.raises(ConstraintError, match="'b'"):
        groth16.prove(pk, r1cs, bad.witness())
    with pytest.raises(ValueError, match="proving key"):
        groth16.prove(pk, Circuit().compile(), [1])


def test_malformed_inputs_are_rejected_with_a_message(setup3):
    r1cs, witness, _, vk, proof = setup3
    public = r1cs.public_inputs(witness)
    with pytest.raises(InvalidProof, match="expected 3 public inputs"):
        groth16.verify(vk, public[:2], proof)
    with pytest.raises(InvalidProof, match="not a field element"):
        groth16.verify(vk, [public[0] + R, *public[1:]], proof)
    with pytest.raises(InvalidProof, match="not a field element"):
        groth16.verify(vk, [True, *public[1:]], proof)
    with pytest.raises(InvalidProof, match="canonical"):
        groth16.verify(vk, public, Proof((proof.a[0] + Q, proof.a[1]), proof.b, proof.c))
    with pytest.raises(InvalidProof, match="not on the curve"):
        groth16.verify(vk, public, Proof((1, 1), proof.b, proof.c))
    with pytest.raises(InvalidProof, match="infinity"):
        groth16.verify(vk, public, Proof(G1_INFINITY, proof.b, proof.c))
    with pytest.raises(InvalidProof, match="not a Proof"):
        groth16.verify(vk, public, "proof")


def _fq2_sqrt(a: bn.FQ2) -> bn.FQ2 | None:
    """A square root in Fq2 (q = 3 mod 4), to build twist points outside G2."""
    a1 = a ** ((Q - 3) // 4)
    alpha = a1 * a1 * a
    x0 = a1 * a
    if alpha == bn.FQ2([Q - 1, 0]):
        return bn.FQ2([0, 1]) * x0
    b = (bn.FQ2.one() + alpha) ** ((Q - 1) // 2)
    x = b * x0
    return x if x * x == a else None


def test_g2_point_outside_the_subgroup_is_rejected(setup3):
    r1cs, witness, _, vk, proof = setup3
    x = bn.FQ2([1, 0])
    while True:
        y = _fq2_sqrt(x**3 + bn.b2)
        if y is not None:
            break
        x += bn.FQ2.one()
    point = kernels.from_py_ecc_g2((x, y, bn.FQ2.one()))
    with pytest.raises(InvalidProof, match="subgroup"):
        groth16.verify(vk, r1cs.public_inputs(witness), Proof(proof.a, point, proof.c))
    with pytest.raises(InvalidProof, match="subgroup"):
        dataclasses.replace(vk, gamma_g2=point)


def test_degenerate_keys_cannot_be_built(setup3):
    _, _, _, vk, _ = setup3
    with pytest.raises(InvalidProof, match="IC\\[1\\] is the point at infinity"):
        VerifyingKey(vk.alpha_g1, vk.beta_g2, vk.gamma_g2, vk.delta_g2, (vk.ic[0], G1_INFINITY, *vk.ic[2:]))
    with pytest.raises(InvalidProof, match="alpha_1 is the point at infinity"):
        dataclasses.replace(vk, alpha_g1=G1_INFINITY)
    with pytest.raises(InvalidProof, match="delta_2 is the point at infinity"):
        dataclasses.replace(vk, delta_g2=((0, 0), (0, 0)))
    with pytest.raises(InvalidProof, match="IC is empty"):
        dataclasses.replace(vk, ic=())


def test_signed_merkle_update_proves_and_verifies():
    update = examples.signed_update_sample(depth=4)
    circuit = examples.signed_update(update, 4)
    r1cs = circuit.compile()
    witness = circuit.witness()
    assert r1cs.constraints == examples.signed_update(None, 4).compile().constraints
    pk, vk = groth16.setup(r1cs, b"merkle + eddsa")
    proof = groth16.prove(pk, r1cs, witness)
    public = r1cs.public_inputs(witness)
    assert public == [update.old_root, update.new_root, update.domain]
    assert groth16.verify(vk, public, proof)
    assert groth16.verify(vk, [update.old_root, update.new_root + 1, update.domain], proof) is False
    assert groth16.verify(vk, [update.old_root, update.new_root, update.domain + 1], proof) is False


# ---------------------------------------------------------------- snarkjs JSON and the CLI


def test_json_round_trip(setup3):
    r1cs, witness, _, vk, proof = setup3
    vk_doc = json.loads(json.dumps(snarkjs.vk_to_json(vk)))
    assert vk_doc["nPublic"] == 3 and len(vk_doc["IC"]) == 4
    assert vk_doc["vk_beta_2"][2] == ["1", "0"] and vk_doc["vk_alpha_1"][2] == "1"
    assert snarkjs.vk_from_json(vk_doc) == vk
    assert snarkjs.proof_from_json(snarkjs.proof_to_json(proof)) == proof
    public = r1cs.public_inputs(witness)
    assert snarkjs.public_from_json(snarkjs.public_to_json(public)) == public


def test_malformed_json_is_rejected(setup3):
    _, _, _, vk, proof = setup3
    good = snarkjs.proof_to_json(proof)
    bad_docs = {
        "protocol": {**good, "protocol": "plonk"},
        "missing 'pi_b'": {k: v for k, v in good.items() if k != "pi_b"},
        "decimal string": {**good, "pi_a": ["0x12", "1", "1"]},
        "list of 3": {**good, "pi_a": ["1", "2"]},
        "affine": {**good, "pi_a": [good["pi_a"][0], good["pi_a"][1], "2"]},
        "modulus": {**good, "pi_a": [str(Q + 1), "2", "1"]},
    }
    for message, doc in bad_docs.items():
        with pytest.raises(InvalidProof, match=message):
            snarkjs.proof_from_json(doc)
    vk_doc = snarkjs.vk_to_json(vk)
    with pytest.raises(InvalidProof, match="nPublic is 2"):
        snarkjs.vk_from_json({**vk_doc, "nPublic": 2})
    with pytest.raises(InvalidProof, match="not on the twist"):
        snarkjs.vk_from_json({**vk_doc, "vk_gamma_2": [["1", "2"], ["3", "4"], ["1", "0"]]})
    with pytest.raises(InvalidProof, match="public input 1"):
        snarkjs.public_from_json(["1", str(R)])
    with pytest.raises(InvalidProof, match="JSON list"):
        snarkjs.public_from_json({"a": 1})


def zk(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="l2lab")
    cli_zk.add_parser(parser.add_subparsers())
    args = parser.parse_args(["zk", *argv])
    return args.func(args)


def test_cli_example_then_verify(tmp_path, capsys):
    assert zk("example", "--out", str(tmp_path)) == 0
    files = [str(tmp_path / n) for n in ("verification_key.json", "proof.json", "public.json")]
    capsys.readouterr()
    assert zk("verify", *files) == 0
    assert capsys.readouterr().out.strip() == "proof is valid"
    (tmp_path / "wrong.json").write_text('["1"]')
    assert zk("verify", files[0], files[1], str(tmp_path / "wrong.json")) == 1
    assert "INVALID" in capsys.readouterr().err
    (tmp_path / "two.json").write_text('["1", "2"]')
    assert zk("verify", files[0], files[1], str(tmp_path / "two.json")) == 1
    assert "expected 1 public inputs, got 2" in capsys.readouterr().err
    (tmp_path / "broken.json").write_text("{")
    assert zk("verify", str(tmp_path / "broken.json"), files[1], files[2]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    proof = json.loads((tmp_path / "proof.json").read_text())
    proof["pi_a"][1] = "5"
    (tmp_path / "offcurve.json").write_text(json.dumps(proof))
    assert zk("verify", files[0], str(tmp_path / "offcurve.json"), files[2]) == 1
    assert "not on the curve" in capsys.readouterr().err
    assert zk("verify", files[0], files[1], str(tmp_path / "missing.json")) == 1
    assert "not found" in capsys.readouterr().err


def test_cli_poseidon(capsys):
    from primitives.snark.poseidon import poseidon

    assert zk("poseidon", "1", "2") == 0
    assert capsys.readouterr().out.strip() == str(poseidon([1, 2]))
    assert zk("poseidon", "1", "two") == 2
    assert "not an integer" in capsys.readouterr().err
    assert zk("poseidon", str(R)) == 2
    assert "field element" in capsys.readouterr().err
