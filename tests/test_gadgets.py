"""Gadgets agree with the reference functions, and tampered witnesses fail ``check``."""

from __future__ import annotations

import random

import pytest

from primitives.snark import babyjub, eddsa
from primitives.snark.gadgets import babyjub as jub
from primitives.snark.gadgets import bits as gb
from primitives.snark.gadgets import eddsa as geddsa
from primitives.snark.gadgets import merkle
from primitives.snark.gadgets.poseidon import poseidon as poseidon_gadget
from primitives.snark.poseidon import poseidon
from primitives.snark.r1cs import Circuit, ConstraintError, R

rng = random.Random(2494)


def satisfied(c: Circuit, tamper: dict[int, int] | None = None) -> bool:
    """Whether the circuit's own witness (optionally with some wires overwritten) passes check."""
    r1cs = c.compile()
    w = c.witness()
    for wire, value in (tamper or {}).items():
        w[wire] = value % R
    try:
        r1cs.check(w)
    except ConstraintError:
        return False
    return True


# ---------------------------------------------------------------- bits


@pytest.mark.parametrize("value", [0, 1, 5, 2**16 - 1, rng.randrange(2**16)])
def test_to_bits_matches_binary(value):
    c = Circuit()
    bits = gb.to_bits(c, c.private(value), 16)
    assert [b.value for b in bits] == [(value >> i) & 1 for i in range(16)]
    assert gb.from_bits(bits).value == value
    assert c.n_constraints == 17
    assert satisfied(c)


def test_range_check_rejects_too_large_and_bad_bits():
    c = Circuit()
    gb.range_check(c, c.private(2**16), 16)
    assert not satisfied(c)
    c = Circuit()
    bits = gb.to_bits(c, c.private(6), 4)
    assert not satisfied(c, {c.wire(bits[1]): 0})  # a wrong bit breaks the sum
    assert not satisfied(c, {c.wire(bits[0]): 2, c.wire(bits[1]): 0})  # 2 + 0*2 + 4 = 6, but 2 is no bit
    with pytest.raises(ValueError, match="bit width"):
        gb.to_bits(c, 1, 0)


def test_strict_bits_reject_the_second_encoding():
    x = 12345
    c = Circuit()
    bits = gb.to_bits_strict(c, c.private(x))
    assert satisfied(c)
    alias = x + R  # < 2^254: the same field element, another bit pattern
    assert alias < 2**254
    tamper = {c.wire(b): (alias >> i) & 1 for i, b in enumerate(bits)}
    c2_ok = gb.from_bits(bits)  # bits still sum to x mod R under the alias
    assert c2_ok is not None
    assert not satisfied(c, tamper)


@pytest.mark.parametrize("k", [0b11110000, 0b11100111, 0b10000001, 0b01111111, 0b11111111, 0, 0b1110])
def test_le_const_exhaustive(k):
    for value in range(256):
        c = Circuit()
        bits = gb.to_bits(c, c.private(value), 8)
        gb.assert_bits_le_const(c, bits, k)
        assert satisfied(c) is (value <= k), (k, value)


def test_le_const_edges():
    for value, ok in [(200, True), (201, False), (0, True), (255, False)]:
        c = Circuit()
        bits = gb.to_bits(c, c.private(value), 8)
        gb.assert_bits_le_const(c, bits, 200)
        assert satisfied(c) is ok, value
    with pytest.raises(ValueError, match="does not fit"):
        gb.assert_bits_le_const(Circuit(), [], 1)


@pytest.mark.parametrize(
    "a,b", [(0, 0), (0, 1), (1, 0), (2**32 - 1, 2**32 - 1), (2**32 - 1, 0)] + [(rng.randrange(2**32), rng.randrange(2**32)) for _ in range(5)]
)
def test_comparisons(a, b):
    c = Circuit()
    x, y = c.private(a), c.private(b)
    lt, le, gt = gb.less_than(c, x, y, 32), gb.less_eq(c, x, y, 32), gb.greater_than(c, x, y, 32)
    eq = gb.is_equal(c, x, y)
    assert (lt.value, le.value, gt.value, eq.value) == (int(a < b), int(a <= b), int(a > b), int(a == b))
    assert satisfied(c)


def test_is_zero_cannot_lie():
    for v in (0, 7):
        c = Circuit()
        out = gb.is_zero(c, c.private(v))
        assert out.value == int(v == 0)
        assert satisfied(c)
        # Flip out (through the product signal x * inv), with any inverse: always caught.
        r1cs = c.compile()
        for inv in (0, 1, pow(7, -1, R)):
            w = c.witness()
            w[r1cs.n_wires - 2] = inv
            w[r1cs.n_wires - 1] = int(v == 0)  # out = 1 - product: now claims the opposite
            with pytest.raises(ConstraintError, match="is_zero"):
                r1cs.check(w)


def test_select_and_nonzero():
    c = Circuit()
    bit = c.private(1)
    c.assert_bool(bit, "bit")
    assert gb.select(c, bit, 10, 20).value == 10
    gb.assert_nonzero(c, c.private(3))
    assert satisfied(c)
    c = Circuit()
    gb.assert_nonzero(c, c.private(0))
    assert not satisfied(c)


# ---------------------------------------------------------------- Poseidon


@pytest.mark.parametrize("n", [1, 2, 3, 5])
def test_poseidon_gadget_matches_reference(n):
    for inputs in ([0] * n, [R - 1] * n, [rng.randrange(R) for _ in range(n)]):
        c = Circuit()
        h = poseidon_gadget(c, [c.private(x) for x in inputs])
        assert h.value == poseidon(inputs)
        assert satisfied(c)


def test_poseidon_constraint_count_and_tamper():
    c = Circuit()
    poseidon_gadget(c, [c.private(1), c.private(2)])
    assert c.n_constraints == 240  # circom 2 --O2: 240
    r1cs = c.compile()
    w = c.witness()
    w[10] = (w[10] + 1) % R
    with pytest.raises(ConstraintError, match="poseidon.round"):
        r1cs.check(w)


# ---------------------------------------------------------------- Merkle


def merkle_circuit(leaf, index, siblings, root):
    c = Circuit()
    bits = [c.private((index >> i) & 1) for i in range(len(siblings))]
    merkle.verify_path(c, c.private(leaf), bits, [c.private(s) for s in siblings], c.public(root))
    return c, bits


def test_merkle_verify_and_wrong_sibling():
    siblings = [rng.randrange(R) for _ in range(4)]
    leaf, index = rng.randrange(R), 11
    root = merkle.root_from_path(leaf, index, siblings)
    c, bits = merkle_circuit(leaf, index, siblings, root)
    assert satisfied(c)
    assert not satisfied(c, {c.wire(bits[2]): 1 - bits[2].value})  # a wrong direction bit
    bad = list(siblings)
    bad[1] += 1
    c, _ = merkle_circuit(leaf, index, bad, root)
    with pytest.raises(ConstraintError, match="merkle.root"):
        c.compile().check(c.witness())
    c, bits = merkle_circuit(leaf, index, siblings, root)
    assert not satisfied(c, {c.wire(bits[0]): 2})  # a non-bit direction
    with pytest.raises(ValueError, match="siblings"):
        merkle.compute_root(Circuit(), 1, [], [1])
    with pytest.raises(ValueError, match="does not fit"):
        merkle.root_from_path(1, 4, [1, 2])


def test_merkle_update_matches_reference():
    siblings = [rng.randrange(R) for _ in range(3)]
    old, new, index = 5, 6, 6
    old_root = merkle.root_from_path(old, index, siblings)
    c = Circuit()
    bits = [c.private((index >> i) & 1) for i in range(3)]
    sib = [c.private(s) for s in siblings]
    new_root = merkle.update_path(c, c.private(old), c.private(new), bits, sib, c.public(old_root))
    assert new_root.value == merkle.root_from_path(new, index, siblings)
    assert satisfied(c)
    c = Circuit()
    bits = [c.private((index >> i) & 1) for i in range(3)]
    merkle.update_path(c, c.private(old + 1), c.private(new), bits, [c.private(s) for s in siblings], c.public(old_root))
    with pytest.raises(ConstraintError, match="merkle_update.old_root"):
        c.compile().check(c.witness())


# ---------------------------------------------------------------- BabyJubJub and EdDSA


def test_point_ops_match_reference():
    p = babyjub.mul(babyjub.BASE8, rng.randrange(babyjub.SUBORDER))
    q = babyjub.mul(babyjub.BASE8, rng.randrange(babyjub.SUBORDER))
    c = Circuit()
    pp = (c.private(p[0]), c.private(p[1]))
    qq = (c.private(q[0]), c.private(q[1]))
    jub.assert_on_curve(c, pp)
    s = jub.add(c, pp, qq)
    d = jub.double(c, pp)
    ident = jub.add(c, pp, jub.const_point(c, babyjub.IDENTITY))
    k = rng.randrange(2**20)
    kbits = gb.to_bits(c, c.private(k), 20)
    m = jub.mul_any(c, kbits, pp)
    f = jub.mul_fixed(c, kbits, babyjub.BASE8)
    assert (s[0].value, s[1].value) == babyjub.add(p, q)
    assert (d[0].value, d[1].value) == babyjub.double(p)
    assert (ident[0].value, ident[1].value) == p
    assert (m[0].value, m[1].value) == babyjub.mul(p, k)
    assert (f[0].value, f[1].value) == babyjub.mul(babyjub.BASE8, k)
    assert satisfied(c)
    c = Circuit()
    jub.assert_on_curve(c, (c.private(p[0]), c.private(p[1] + 1)))
    assert not satisfied(c)


@pytest.mark.parametrize(
    "k",
    [0, 1, 2, 2**250, 2**251 - 1, 2**251, 2**251 + 1, babyjub.SUBORDER - 1, babyjub.SUBORDER, R - 1, 2**254 - 1],
)
def test_mul_any_across_segments(k):
    p = babyjub.mul(babyjub.BASE8, 0xC0FFEE)
    c = Circuit()
    m = jub.mul_any(c, [c.private((k >> i) & 1) for i in range(254)], (c.private(p[0]), c.private(p[1])))
    assert (m[0].value, m[1].value) == babyjub.mul(p, k)
    assert satisfied(c)


def test_mul_any_intermediates_are_pinned():
    p = babyjub.mul(babyjub.BASE8, 77)
    c = Circuit()
    bits = [c.private(b) for b in (1, 0, 1, 1, 0, 1)]
    jub.mul_any(c, bits, (c.private(p[0]), c.private(p[1])))
    r1cs = c.compile()
    for wire in range(9, r1cs.n_wires, 5):
        w = c.witness()
        w[wire] = (w[wire] + 1) % R
        with pytest.raises(ConstraintError):
            r1cs.check(w)


def eddsa_circuit(msg, key, sig):
    c = Circuit()
    a, s, r8 = geddsa.signature_inputs(c, key, sig)
    geddsa.verify(c, c.public(msg), a, s, r8)
    return c


def test_eddsa_accepts_what_the_reference_accepts():
    for i in range(3):
        key = rng.randbytes(32)
        msg = rng.randrange(R) if i else 0
        sig = eddsa.sign_poseidon(key, msg)
        pub = eddsa.prv_to_pub(key)
        assert eddsa.verify_poseidon(msg, sig, pub)
        assert satisfied(eddsa_circuit(msg, pub, sig))


def test_eddsa_constraint_count():
    n = eddsa_circuit(None, None, None).n_constraints
    assert n <= 4300  # circom 2 --O2 EdDSAPoseidonVerifier: 4,217


def test_eddsa_rejects_bad_signatures():
    key = b"\x07" * 32
    msg = 42
    sig = eddsa.sign_poseidon(key, msg)
    pub = eddsa.prv_to_pub(key)
    other = eddsa.prv_to_pub(b"\x08" * 32)
    r8_moved = babyjub.add(sig.R8, babyjub.BASE8)
    cases = {
        "wrong message": (msg + 1, pub, sig),
        "S + 1": (msg, pub, eddsa.Signature(sig.R8, sig.S + 1)),
        "S + l (malleated)": (msg, pub, eddsa.Signature(sig.R8, sig.S + babyjub.SUBORDER)),
        "another key": (msg, other, sig),
        "moved R8": (msg, pub, eddsa.Signature(r8_moved, sig.S)),
        "R8 off curve": (msg, pub, eddsa.Signature((sig.R8[0], sig.R8[1] + 1), sig.S)),
        "small-order key": (msg, (0, R - 1), sig),
        "identity key": (msg, babyjub.IDENTITY, eddsa.Signature(babyjub.mul(babyjub.BASE8, sig.S), sig.S)),
    }
    for name, (m, a, s) in cases.items():
        if a[0] < R and a[1] < R and name != "R8 off curve" and s.S < babyjub.SUBORDER:
            assert not eddsa.verify_poseidon(m, s, a), name
        assert not satisfied(eddsa_circuit(m, a, s)), name
