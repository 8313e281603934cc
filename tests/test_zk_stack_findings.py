"""Regression tests for three findings in the zk stack (``primitives/snark``).

1. ``examples.signed_update`` once took the signer's key as a free input, tied
   to nothing in the tree, and the signature covered only the new leaf: anyone
   could rewrite anyone's leaf, and a signature could be replayed. Now the old
   leaf is rebuilt from the signer's key, and the signed message names the
   tree (domain), the leaf (index) and the nonce.
2. A verifying key with ``delta_2 == gamma_2`` (a snarkjs key before any
   phase-2 contribution) was accepted, and under it anyone forges a proof of
   anything. Such keys, and the other degenerate deltas, are now refused.
3. ``gadgets.eddsa.verify`` takes an ``enabled`` bit: the check holds only
   when it is 1, and the default builds the very same constraints as before.
"""

from __future__ import annotations

import copy
import dataclasses
import random

import pytest
from py_ecc import optimized_bn128 as bn

from node.cli import main
from primitives.snark import babyjub, eddsa, examples, groth16, kernels, snarkjs
from primitives.snark import setup as keys
from primitives.snark.gadgets import eddsa as geddsa
from primitives.snark.gadgets import merkle
from primitives.snark.groth16 import G2_GEN, InvalidProof, Proof
from primitives.snark.kernels import Q, R
from primitives.snark.poseidon import poseidon
from primitives.snark.r1cs import Circuit, ConstraintError
from primitives.snark.verifier import pairing_product

DEPTH = 4
DOMAIN = examples.EXAMPLE_DOMAIN
VICTIM = b"victim's key, thirty-two bytes.."
ATTACKER = b"attacker's key, 32 bytes long..."
VICTIM_INDEX, SECOND_INDEX, ATTACKER_INDEX = 5, 6, 9


def refusal(update: examples.SignedUpdate) -> str | None:
    """The name of the first constraint ``update`` breaks in ``signed_update``, or None if it satisfies all."""
    circuit = examples.signed_update(update, DEPTH)
    try:
        circuit.compile().check(circuit.witness())
    except ConstraintError as exc:
        return exc.name
    return None


class Tree:
    """A full tree of ``2^DEPTH`` account leaves, for siblings and roots that hold together."""

    def __init__(self, leaves: dict[int, int]) -> None:
        self.leaves = [leaves.get(i, 0) for i in range(1 << DEPTH)]

    def siblings(self, index: int) -> tuple[int, ...]:
        level, out = list(self.leaves), []
        for _ in range(DEPTH):
            out.append(level[index ^ 1])
            level = [poseidon([level[i], level[i + 1]]) for i in range(0, len(level), 2)]
            index >>= 1
        return tuple(out)

    def root(self) -> int:
        return merkle.root_from_path(self.leaves[0], 0, self.siblings(0))


VICTIM_KEY, ATTACKER_KEY = eddsa.prv_to_pub(VICTIM), eddsa.prv_to_pub(ATTACKER)
TREE = Tree({
    VICTIM_INDEX: examples.account_leaf(VICTIM_KEY, 1000, 0),
    SECOND_INDEX: examples.account_leaf(VICTIM_KEY, 1000, 0),  # the victim's second account, same state
    ATTACKER_INDEX: examples.account_leaf(ATTACKER_KEY, 1, 0),
})


def victim_update(**changes: object) -> examples.SignedUpdate:
    """The victim's own update of leaf 5: balance 1000 -> 900 at nonce 0 in DOMAIN."""
    args: dict = dict(domain=DOMAIN, index=VICTIM_INDEX, siblings=TREE.siblings(VICTIM_INDEX),
                      old_balance=1000, new_balance=900, nonce=0)
    args.update(changes)
    return examples.sign_update(VICTIM, **args)


# ---------------------------------------------------------------- 1. signed_update


def _old_signed_update(old_root: int, new_root: int, old_leaf: int, new_leaf: int, index: int,
                       siblings: tuple[int, ...], public_key: tuple[int, int], signature: eddsa.Signature) -> Circuit:
    """The circuit as it was before the fix, kept here to show the attack below passed it."""
    c = Circuit()
    roots = c.public(old_root), c.public(new_root)
    leaves = c.private(old_leaf), c.private(new_leaf)
    bits = [c.private((index >> i) & 1) for i in range(DEPTH)]
    sibs = [c.private(s) for s in siblings]
    a, s, r8 = geddsa.signature_inputs(c, public_key, signature)
    geddsa.verify(c, leaves[1], a, s, r8)  # only the new leaf is signed, by whichever key the prover names
    computed = merkle.update_path(c, leaves[0], leaves[1], bits, sibs, roots[0])
    c.assert_equal(computed, roots[1], "new_root")
    return c


def test_attacker_cannot_rewrite_the_victims_leaf():
    siblings = TREE.siblings(VICTIM_INDEX)
    old_root = TREE.root()
    # The attack on the old circuit: the victim's leaf as the free old leaf, a new leaf giving the
    # victim's 1000 to the attacker's key, signed by the attacker himself. It satisfied every constraint.
    loot = examples.account_leaf(ATTACKER_KEY, 1000, 0)
    stolen_root = merkle.root_from_path(loot, VICTIM_INDEX, siblings)
    old = _old_signed_update(old_root, stolen_root, TREE.leaves[VICTIM_INDEX], loot, VICTIM_INDEX, siblings,
                             ATTACKER_KEY, eddsa.sign_poseidon(ATTACKER, loot))
    old.compile().check(old.witness())  # passed before the fix: anyone could move anyone's balance

    # The same attack on the fixed circuit: the attacker signs an update of leaf 5 with his key.
    # The old leaf is rebuilt from the signer's key, so it is not the leaf under the root.
    forged = examples.sign_update(ATTACKER, domain=DOMAIN, index=VICTIM_INDEX, siblings=siblings,
                                  old_balance=1000, new_balance=0, nonce=0)
    forged = dataclasses.replace(forged, old_root=old_root)
    assert refusal(forged) == "merkle_update.old_root"
    circuit = examples.signed_update(forged, DEPTH)
    with pytest.raises(ConstraintError):
        circuit.compile().check(circuit.witness())

    # Naming the victim's key makes the old leaf right, but then the attacker's signature is not the victim's.
    emptied = examples.account_leaf(VICTIM_KEY, 0, 1)
    with_victim_key = dataclasses.replace(forged, public_key=VICTIM_KEY,
                                          new_root=merkle.root_from_path(emptied, VICTIM_INDEX, siblings))
    assert refusal(with_victim_key).startswith("eddsa.check")


@pytest.mark.parametrize("replay", ["another index", "another nonce", "another domain", "another balance"])
def test_a_signature_is_good_for_one_update_only(replay):
    honest = victim_update()
    assert refusal(honest) is None
    if replay == "another index":
        # The victim's second leaf is in the same state; the signature names leaf 5, not 6.
        target = victim_update(index=SECOND_INDEX, siblings=TREE.siblings(SECOND_INDEX))
    elif replay == "another nonce":
        # After the update the leaf holds 900 at nonce 1; signing "900" again at nonce 0 does not carry over.
        after = Tree({**dict(enumerate(TREE.leaves)), VICTIM_INDEX: honest.new_leaf})
        target = victim_update(siblings=after.siblings(VICTIM_INDEX), old_balance=900, nonce=1)
        assert target.old_root == honest.new_root
        # Nor does the honest update apply twice: on the tree it produced, leaf 5 no longer has nonce 0.
        assert refusal(dataclasses.replace(honest, old_root=honest.new_root)) == "merkle_update.old_root"
    elif replay == "another domain":
        # The same tree under another rollup's name.
        target = victim_update(domain=DOMAIN + 1)
    else:
        target = victim_update(new_balance=1_000_000)
    assert refusal(target) is None  # signed by the victim for itself, the target update is fine
    replayed = dataclasses.replace(target, signature=honest.signature)
    assert refusal(replayed).startswith("eddsa.check"), replay


def test_balances_and_nonce_are_range_checked():
    def forced(**fields: object) -> examples.SignedUpdate:
        """An update whose fields are set directly (the victim signs the message they imply)."""
        u = dataclasses.replace(victim_update(), **fields)
        msg = examples.update_message(u.domain, u.index, u.nonce, u.new_balance)
        old_root = merkle.root_from_path(u.old_leaf, u.index, u.siblings)
        new_root = merkle.root_from_path(u.new_leaf, u.index, u.siblings)
        return dataclasses.replace(u, old_root=old_root, new_root=new_root, signature=eddsa.sign_poseidon(VICTIM, msg))

    assert refusal(forced()) is None
    assert refusal(forced(new_balance=(1 << 128) - 1)) is None
    assert refusal(forced(new_balance=R - 100)).startswith("ranges.new_balance")  # "-100"
    assert refusal(forced(old_balance=1 << 128)).startswith("ranges.old_balance")
    assert refusal(forced(nonce=(1 << 64) - 1)) is None
    assert refusal(forced(nonce=R - 1)).startswith("ranges.nonce")  # nonce + 1 would wrap round to 0
    with pytest.raises(ValueError, match="new_balance"):
        victim_update(new_balance=1 << 128)


def test_honest_update_proves_and_verifies():
    update = victim_update()
    circuit = examples.signed_update(update, DEPTH)
    r1cs, witness = circuit.compile(), circuit.witness()
    assert r1cs.constraints == examples.signed_update(None, DEPTH).compile().constraints
    pk, vk = groth16.setup(r1cs, b"signed update findings")
    proof = groth16.prove(pk, r1cs, witness, rng=random.Random(5))
    public = r1cs.public_inputs(witness)
    assert public == [TREE.root(), update.new_root, DOMAIN]
    assert groth16.verify(vk, public, proof)
    assert groth16.verify(vk, [TREE.root(), update.new_root, DOMAIN + 1], proof) is False


# ---------------------------------------------------------------- 2. degenerate verifying keys


@pytest.fixture(scope="module")
def keypair():
    circuit = examples.poseidon_preimage([3, 4])
    r1cs = circuit.compile()
    pk, vk = groth16.setup(r1cs, b"degenerate key findings")
    return r1cs, circuit.witness(), pk, vk


def _neg(p):
    (x0, x1), (y0, y1) = p
    return ((x0, x1), ((Q - y0) % Q, (Q - y1) % Q))


def _bypassing_checks(vk: groth16.VerifyingKey, **fields: object) -> groth16.VerifyingKey:
    """A copy of ``vk`` with fields replaced behind ``__post_init__``'s back, as a bug or an attacker might."""
    bad = copy.copy(vk)
    for name, value in fields.items():
        object.__setattr__(bad, name, value)
    return bad


def _forged(vk: groth16.VerifyingKey, public: list[int], sign: int) -> Proof:
    """A = alpha, B = beta, C = -sign * vk_x: valid whenever delta_2 == sign * gamma_2."""
    vk_x = kernels.msm_g1(list(vk.ic), [1, *public])
    return Proof(vk.alpha_g1, vk.beta_g2, vk_x if sign < 0 else (vk_x[0], (Q - vk_x[1]) % Q))


def _pairing_equation_holds(vk: groth16.VerifyingKey, public: list[int], proof: Proof) -> bool:
    """The bare Groth16 equation, what ``verify`` computed before the fix."""
    vk_x = kernels.msm_g1(list(vk.ic), [1, *public])
    neg_a = (proof.a[0], (Q - proof.a[1]) % Q)
    product = pairing_product([(neg_a, proof.b), (vk_x, vk.gamma_g2), (proof.c, vk.delta_g2)])
    return product * vk.alpha_beta == bn.FQ12.one()


@pytest.mark.parametrize("sign", [1, -1], ids=["delta=gamma", "delta=-gamma"])
def test_a_key_with_delta_equal_to_plus_or_minus_gamma_is_refused(keypair, sign):
    _, _, _, vk = keypair
    degenerate_delta = vk.gamma_g2 if sign > 0 else _neg(vk.gamma_g2)
    match = "delta_2 equals gamma_2" if sign > 0 else "delta_2 equals -gamma_2"
    with pytest.raises(InvalidProof, match=f"verifying key is degenerate: {match}"):
        dataclasses.replace(vk, delta_g2=degenerate_delta)
    # The forgery it allows: a "proof" of a public input nobody knows a preimage of.
    public = [123456789]
    bad = _bypassing_checks(vk, delta_g2=degenerate_delta)
    forged = _forged(bad, public, sign)
    assert _pairing_equation_holds(bad, public, forged)  # what verify accepted before the fix
    with pytest.raises(InvalidProof, match=match):
        groth16.verify(bad, public, forged)


def test_delta_equal_to_the_generator_is_refused(keypair):
    _, _, _, vk = keypair
    with pytest.raises(InvalidProof, match="delta_2 is the G2 generator"):
        dataclasses.replace(vk, delta_g2=G2_GEN)
    with pytest.raises(InvalidProof, match="delta_2 is minus the G2 generator"):
        dataclasses.replace(vk, delta_g2=_neg(G2_GEN))
    # snarkjs keys have gamma_2 = the generator; before phase 2 delta_2 is the generator too.
    with pytest.raises(InvalidProof, match="delta_2 equals gamma_2"):
        dataclasses.replace(vk, gamma_g2=G2_GEN, delta_g2=G2_GEN)
    # Lists (as a JSON reader might give) are compared as points, not refused or let through by type.
    as_lists = [list(G2_GEN[0]), list(G2_GEN[1])]
    with pytest.raises(InvalidProof, match="degenerate"):
        dataclasses.replace(vk, delta_g2=as_lists)
    with pytest.raises(InvalidProof, match="degenerate"):
        groth16.verify(_bypassing_checks(vk, delta_g2=as_lists), [1], Proof(vk.alpha_g1, vk.beta_g2, vk.alpha_g1))
    with pytest.raises(InvalidProof, match="vk delta_2 is not a G2 point"):
        groth16.verify(_bypassing_checks(vk, delta_g2=5), [1], Proof(vk.alpha_g1, vk.beta_g2, vk.alpha_g1))


def test_snarkjs_reader_cli_and_key_files_refuse_the_degenerate_key(keypair, tmp_path, capsys):
    r1cs, _, pk, vk = keypair
    doc = snarkjs.vk_to_json(vk)
    doc["vk_delta_2"] = doc["vk_gamma_2"]
    with pytest.raises(InvalidProof, match="delta_2 equals gamma_2"):
        snarkjs.vk_from_json(doc)
    public = [987654321]
    forged = _forged(_bypassing_checks(vk, delta_g2=vk.gamma_g2), public, 1)
    paths = {name: tmp_path / f"{name}.json" for name in ("vk", "proof", "public")}
    snarkjs.write_json(paths["vk"], doc)
    snarkjs.write_json(paths["proof"], snarkjs.proof_to_json(forged))
    snarkjs.write_json(paths["public"], snarkjs.public_to_json(public))
    rc = main(["zk", "verify", *(str(p) for p in paths.values())])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "proof is valid" not in out
    assert "verifying key is degenerate: delta_2 equals gamma_2" in err and err.count("\n") == 1
    # A key file whose delta is gamma is refused on loading.
    data = keys.keys_to_bytes(dataclasses.replace(pk, delta_g2=vk.gamma_g2), vk, r1cs)
    with pytest.raises(keys.KeyFileError, match="invalid verifying key: verifying key is degenerate"):
        keys.keys_from_bytes(data, r1cs)
    # A sound key written and read back is untouched.
    snarkjs.write_json(paths["vk"], snarkjs.vk_to_json(vk))
    assert snarkjs.load_vk(paths["vk"]) == vk


def test_setup_and_contribute_never_return_a_degenerate_key(keypair, monkeypatch):
    r1cs, witness, pk, vk = keypair
    seed = b"degenerate key findings"
    real = keys.derive_scalar
    gamma, delta = real(seed, "gamma"), real(seed, "delta")
    assert delta not in (gamma, R - gamma, 1, R - 1)
    pk2, vk2 = groth16.contribute(pk, vk, b"sixteen bytes or more")
    assert groth16.verify(vk2, r1cs.public_inputs(witness), groth16.prove(pk2, r1cs, witness))
    # Were the hash of "delta" ever gamma, setup would raise rather than return the key.
    monkeypatch.setattr(keys, "derive_scalar", lambda s, label: real(s, "gamma" if label == "delta" else label))
    with pytest.raises(InvalidProof, match="delta_2 equals gamma_2"):
        groth16.setup(r1cs, seed)
    # Were a contribution's factor ever gamma / delta, contribute would too.
    monkeypatch.setattr(keys, "derive_scalar", lambda s, label: gamma * pow(delta, -1, R) % R)
    with pytest.raises(InvalidProof, match="delta_2 equals gamma_2"):
        groth16.contribute(pk, vk, b"sixteen bytes or more")
    monkeypatch.setattr(keys, "derive_scalar", lambda s, label: pow(delta, -1, R))
    with pytest.raises(InvalidProof, match="delta_2 is the G2 generator"):
        groth16.contribute(pk, vk, b"sixteen bytes or more")


# ---------------------------------------------------------------- 3. eddsa verify(..., enabled=)


def eddsa_circuit(msg: int | None, key, sig, enabled: int | None | str = None) -> Circuit:
    """One signature check; ``enabled`` is None, a constant, or ``"0"``/``"1"`` for a bit signal."""
    c = Circuit()
    a, s, r8 = geddsa.signature_inputs(c, key, sig)
    if isinstance(enabled, str):
        on = c.private(int(enabled) if msg is not None else None)
        c.assert_bool(on, "enabled.bit")  # constrained elsewhere, as verify requires
        geddsa.verify(c, c.public(msg), a, s, r8, enabled=on)
    else:
        geddsa.verify(c, c.public(msg), a, s, r8, enabled=enabled)
    return c


def satisfied(c: Circuit) -> bool:
    try:
        c.compile().check(c.witness())
    except ConstraintError:
        return False
    return True


KEY = b"\x07" * 32
MSG = 42
SIG = eddsa.sign_poseidon(KEY, MSG)
PUB = eddsa.prv_to_pub(KEY)
BAD_WITH_VALID_POINTS = {
    "wrong message": (MSG + 1, PUB, SIG),
    "S + 1": (MSG, PUB, eddsa.Signature(SIG.R8, SIG.S + 1)),
    "S = 0": (MSG, PUB, eddsa.Signature(SIG.R8, 0)),
    "another key": (MSG, eddsa.prv_to_pub(b"\x08" * 32), SIG),
    "moved R8": (MSG, PUB, eddsa.Signature(babyjub.add(SIG.R8, babyjub.BASE8), SIG.S)),
    "R8 the identity": (MSG, PUB, eddsa.Signature(babyjub.IDENTITY, SIG.S)),
    "small-order key": (MSG, (0, R - 1), SIG),
    "identity key": (MSG, babyjub.IDENTITY, eddsa.Signature(babyjub.mul(babyjub.BASE8, SIG.S), SIG.S)),
}


def test_enabled_none_builds_the_same_constraints_as_before():
    plain = eddsa_circuit(None, None, None).compile()
    assert plain.n_constraints == 4218  # the count before verify took ``enabled``
    assert eddsa_circuit(None, None, None, enabled=1).compile().constraints == plain.constraints
    assert eddsa_circuit(None, None, None, enabled="1").n_constraints == 4218 + 1 + 2  # the bit, two selections
    with pytest.raises(ValueError, match="enabled"):
        eddsa_circuit(None, None, None, enabled=2)


@pytest.mark.parametrize("enabled", [None, 1, "1"], ids=["none", "const1", "signal1"])
def test_enabled_one_checks_the_signature(enabled):
    assert satisfied(eddsa_circuit(MSG, PUB, SIG, enabled))
    for name, (m, a, s) in BAD_WITH_VALID_POINTS.items():
        assert not satisfied(eddsa_circuit(m, a, s, enabled)), name


@pytest.mark.parametrize("enabled", [0, "0"], ids=["const0", "signal0"])
def test_enabled_zero_accepts_any_valid_points(enabled):
    assert satisfied(eddsa_circuit(MSG, PUB, SIG, enabled))
    for name, (m, a, s) in BAD_WITH_VALID_POINTS.items():
        assert satisfied(eddsa_circuit(m, a, s, enabled)), name
    # Still checked when disabled: points on the curve and S < l.
    assert not satisfied(eddsa_circuit(MSG, PUB, eddsa.Signature((SIG.R8[0], SIG.R8[1] + 1), SIG.S), enabled))
    assert not satisfied(eddsa_circuit(MSG, PUB, eddsa.Signature(SIG.R8, SIG.S + babyjub.SUBORDER), enabled))


def test_enabled_signal_cannot_be_flipped_by_the_prover():
    """With a valid witness for enabled = 0, setting the bit to 1 in the witness breaks the check."""
    c = Circuit()
    a, s, r8 = geddsa.signature_inputs(c, PUB, SIG)
    on = c.private(0)
    c.assert_bool(on, "enabled.bit")
    geddsa.verify(c, c.public(MSG + 1), a, s, r8, enabled=on)
    r1cs, w = c.compile(), c.witness()
    r1cs.check(w)
    w[c.wire(on)] = 1
    with pytest.raises(ConstraintError):
        r1cs.check(w)
