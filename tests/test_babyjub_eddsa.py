"""BabyJubJub group law and EdDSA-Poseidon, against circomlibjs vectors and adversarial input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.snark import babyjub as bj
from primitives.snark.eddsa import (
    Signature,
    pack_signature,
    private_scalar,
    prv_to_pub,
    sign_poseidon,
    unpack_signature,
    verify_poseidon,
)
from primitives.snark.field import R, sqrt

VECTORS = json.loads((Path(__file__).parent / "vectors/circomlibjs/eddsa.json").read_text())
KEY = bytes.fromhex("0001020304050607080900010203040506070809000102030405060708090001")

scalars = st.integers(min_value=0, max_value=bj.ORDER - 1)


def _point(pair: list[str]) -> tuple[int, int]:
    return (int(pair[0]), int(pair[1]))


def _order2_and_4_points() -> list[tuple[int, int]]:
    """Small-order points: (0, -1) of order 2 and (+-1/sqrt(a), 0) of order 4."""
    x = pow(sqrt(bj.A), -1, R)
    return [(0, R - 1), (x, 0), (R - x, 0)]


# --- the curve ----------------------------------------------------------------------------

def test_constants_match_eip2494():
    assert bj.is_on_curve(bj.GENERATOR) and bj.is_on_curve(bj.BASE8)
    assert bj.mul(bj.GENERATOR, 8) == bj.BASE8
    assert bj.mul(bj.BASE8, bj.SUBORDER) == bj.IDENTITY
    assert bj.mul(bj.GENERATOR, bj.SUBORDER) != bj.IDENTITY  # G generates the whole group
    assert bj.ORDER == 8 * bj.SUBORDER


@settings(max_examples=25, deadline=None)
@given(scalars, scalars)
def test_scalar_mul_is_a_homomorphism(a, b):
    assert bj.add(bj.mul(bj.GENERATOR, a), bj.mul(bj.GENERATOR, b)) == bj.mul(bj.GENERATOR, a + b)


@settings(max_examples=25, deadline=None)
@given(scalars, scalars, scalars)
def test_group_laws(a, b, c):
    p, q, r = (bj.mul(bj.GENERATOR, k) for k in (a, b, c))
    assert bj.add(p, q) == bj.add(q, p)
    assert bj.add(bj.add(p, q), r) == bj.add(p, bj.add(q, r))
    assert bj.add(p, bj.IDENTITY) == p
    assert bj.add(p, bj.neg(p)) == bj.IDENTITY
    assert bj.double(p) == bj.add(p, p) == bj.mul(p, 2)
    assert bj.is_on_curve(bj.add(p, q))
    assert bj.mul(bj.mul(p, b), c) == bj.mul(p, b * c)


@settings(max_examples=25, deadline=None)
@given(scalars)
def test_packing_round_trip(k):
    p = bj.mul(bj.GENERATOR, k)
    assert bj.unpack_point(bj.pack_point(p)) == p


def test_packing_vectors():
    for v in VECTORS["packing"]:
        p = _point(v["point"])
        assert bj.pack_point(p).hex() == v["packed"]
        assert bj.unpack_point(bytes.fromhex(v["packed"])) == p


def test_unpack_rejects_bad_encodings():
    with pytest.raises(ValueError, match="32 bytes"):
        bj.unpack_point(b"\x00" * 31)
    with pytest.raises(ValueError, match="below the field modulus"):
        bj.unpack_point(R.to_bytes(32, "little"))
    with pytest.raises(ValueError, match="sign bit for x = 0"):
        bj.unpack_point(bytes(bytearray((1).to_bytes(32, "little"))[:31] + b"\x80"))
    y = next(y for y in range(2, 100) if sqrt((1 - y * y) * pow(bj.A - bj.D * y * y, -1, R) % R) is None)
    with pytest.raises(ValueError, match="no x on the curve"):
        bj.unpack_point(y.to_bytes(32, "little"))


def test_on_curve_and_subgroup_checks():
    assert not bj.is_on_curve((1, 1))
    assert not bj.is_on_curve((bj.BASE8[0] + R, bj.BASE8[1]))  # unreduced coordinate
    assert not bj.is_on_curve((bj.BASE8[0],))
    assert not bj.is_on_curve("point")
    assert bj.in_subgroup(bj.BASE8) and bj.in_subgroup(bj.IDENTITY)
    assert not bj.in_subgroup(bj.GENERATOR)
    for p in _order2_and_4_points():
        assert bj.is_on_curve(p) and not bj.in_subgroup(p)
    with pytest.raises(ValueError, match="not a BabyJubJub point"):
        bj.pack_point((1, 1))


# --- EdDSA-Poseidon -------------------------------------------------------------------------

def test_circomlibjs_signature_vectors():
    assert len(VECTORS["signatures"]) >= 10
    for v in VECTORS["signatures"]:
        key, msg = bytes.fromhex(v["private_key"]), int(v["msg"])
        pub = prv_to_pub(key)
        assert pub == _point(v["public_key"])
        assert bj.pack_point(pub).hex() == v["public_key_packed"]
        sig = sign_poseidon(key, msg)
        assert sig == Signature(_point(v["R8"]), int(v["S"]))
        assert pack_signature(sig).hex() == v["signature_packed"]
        assert unpack_signature(bytes.fromhex(v["signature_packed"])) == sig
        assert verify_poseidon(msg, sig, pub)


def test_public_key_is_scalar_times_generator():
    s = private_scalar(KEY)
    assert s % 8 == 0 and s >> 254 == 1
    assert prv_to_pub(KEY) == bj.mul(bj.GENERATOR, s)


@settings(max_examples=10, deadline=None)
@given(st.binary(min_size=1, max_size=64), st.integers(min_value=0, max_value=R - 1))
def test_sign_verify_round_trip(key, msg):
    sig = sign_poseidon(key, msg)
    pub = prv_to_pub(key)
    assert verify_poseidon(msg, sig, pub)
    assert sign_poseidon(key, msg) == sig  # deterministic nonce


def test_tampering_fails():
    msg = 1234
    pub, sig = prv_to_pub(KEY), sign_poseidon(KEY, msg)
    other = prv_to_pub(b"another key")
    assert verify_poseidon(msg, sig, pub)
    assert not verify_poseidon(msg + 1, sig, pub)
    assert not verify_poseidon(msg, Signature(sig.R8, (sig.S + 1) % bj.SUBORDER), pub)
    assert not verify_poseidon(msg, Signature(bj.add(sig.R8, bj.BASE8), sig.S), pub)
    assert not verify_poseidon(msg, sig, other)
    assert not verify_poseidon(msg, sign_poseidon(b"another key", msg), pub)


def test_off_curve_and_small_order_points_rejected():
    msg = 7
    pub, sig = prv_to_pub(KEY), sign_poseidon(KEY, msg)
    off = (pub[0], (pub[1] + 1) % R)
    assert not verify_poseidon(msg, sig, off)
    assert not verify_poseidon(msg, Signature(off, sig.S), pub)
    for small in _order2_and_4_points():
        # A torsion component leaves the cofactored equation intact, so only the subgroup check catches it.
        assert not verify_poseidon(msg, Signature(bj.add(sig.R8, small), sig.S), pub)
        assert not verify_poseidon(msg, sig, bj.add(pub, small))
        assert not verify_poseidon(msg, sig, small)
    # The identity key would make S * B8 == R8 a valid "signature" for anyone.
    s = 99
    assert not verify_poseidon(msg, Signature(bj.mul(bj.BASE8, s), s), bj.IDENTITY)


def test_key_with_torsion_component_rejected():
    """A key A + T (T of order 2) passes the bare cofactored equation, so only the subgroup check stops it."""
    from primitives.snark.poseidon import poseidon

    msg, r = 7, 12345
    s = private_scalar(KEY)
    twisted = bj.add(prv_to_pub(KEY), (0, R - 1))
    r8 = bj.mul(bj.BASE8, r)
    hm = poseidon([r8[0], r8[1], twisted[0], twisted[1], msg])
    sig = Signature(r8, (r + hm * s) % bj.SUBORDER)
    # 8 * hm * (A + T) == 8 * hm * A: the equation holds for the twisted key.
    assert bj.mul(bj.BASE8, sig.S) == bj.add(r8, bj.mul(twisted, 8 * hm))
    assert not verify_poseidon(msg, sig, twisted)


def test_s_at_or_above_order_rejected():
    msg = 5
    pub, sig = prv_to_pub(KEY), sign_poseidon(KEY, msg)
    # S + l is the same scalar modulo l: malleable unless S < l is enforced.
    assert not verify_poseidon(msg, Signature(sig.R8, sig.S + bj.SUBORDER), pub)
    assert not verify_poseidon(msg, Signature(sig.R8, -1), pub)
    with pytest.raises(ValueError, match="below the subgroup order"):
        unpack_signature(bj.pack_point(sig.R8) + (sig.S + bj.SUBORDER).to_bytes(32, "little"))
    with pytest.raises(ValueError, match="below the subgroup order"):
        pack_signature(Signature(sig.R8, bj.SUBORDER))


def test_malformed_arguments():
    pub, sig = prv_to_pub(KEY), sign_poseidon(KEY, 1)
    assert not verify_poseidon(1, (sig.R8, sig.S), pub)  # type: ignore[arg-type]
    assert not verify_poseidon(1, sig, (pub[0],))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="message must be in"):
        verify_poseidon(R, sig, pub)
    with pytest.raises(ValueError, match="message must be in"):
        sign_poseidon(KEY, R)
    with pytest.raises(ValueError, match="message must be an int"):
        sign_poseidon(KEY, "1")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="private key must be bytes"):
        prv_to_pub("key")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must not be empty"):
        sign_poseidon(b"", 1)
    with pytest.raises(ValueError, match="64 bytes"):
        unpack_signature(b"\x00" * 63)


def test_a_remembered_valid_signature_vouches_for_nothing_else():
    """Verification remembers valid (message, signature, key) triples; any change is checked afresh."""
    from primitives.snark import eddsa

    msg = 99
    pub, sig = prv_to_pub(KEY), sign_poseidon(KEY, msg)
    eddsa._VERIFIED.clear()
    assert verify_poseidon(msg, sig, pub) and verify_poseidon(msg, sig, pub)
    assert len(eddsa._VERIFIED) == 1
    assert not verify_poseidon(msg + 1, sig, pub)
    assert not verify_poseidon(msg, Signature(sig.R8, (sig.S + 1) % bj.SUBORDER), pub)
    assert not verify_poseidon(msg, sig, prv_to_pub(b"another key"))
    assert len(eddsa._VERIFIED) == 1  # what failed is not remembered
