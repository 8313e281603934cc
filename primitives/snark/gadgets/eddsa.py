"""EdDSA-Poseidon signature verification in a circuit, agreeing with ``primitives.snark.eddsa``.

The statement is the cofactor form circomlib's ``EdDSAPoseidonVerifier`` uses:

    S * B8 == R8 + h * (8 * A),   h = poseidon([R8x, R8y, Ax, Ay, msg]),

with ``S < l`` (the subgroup order; a larger S would be a second encoding of
the same signature) and ``8 * A`` not the identity (a key of small order
would verify anything). Beyond circomlib, A and R8 are constrained to lie on
the curve, which the complete addition formulas rely on. Like circomlib, and
unlike the stricter reference verifier, a public key carrying a small-order
component is not rejected: ``8 * A`` removes that component.
"""

from __future__ import annotations

from primitives.snark.babyjub import BASE8, SUBORDER
from primitives.snark.eddsa import Signature
from primitives.snark.gadgets import babyjub as jub
from primitives.snark.gadgets.bits import (
    assert_bits_le_const,
    assert_nonzero,
    to_bits,
    to_bits_strict,
)
from primitives.snark.gadgets.poseidon import poseidon
from primitives.snark.r1cs import LC, Circuit, as_lc

S_BITS = SUBORDER.bit_length()  # 251: S < l fits


def verify(c: Circuit, msg: LC | int, a: jub.Point, s: LC | int, r8: jub.Point) -> None:
    """Constrain that ``(R8, S)`` is a valid signature of ``msg`` under public key ``a``."""
    msg, s = as_lc(msg, c), as_lc(s, c)
    with c.scope("eddsa"):
        with c.scope("s_range"):
            s_bits = to_bits(c, s, S_BITS)
            assert_bits_le_const(c, s_bits, SUBORDER - 1, "lt_order")
        jub.assert_on_curve(c, a, "a_on_curve")
        jub.assert_on_curve(c, r8, "r8_on_curve")
        h = poseidon(c, [r8[0], r8[1], a[0], a[1], msg])
        with c.scope("h_bits"):
            h_bits = to_bits_strict(c, h)
        a8 = jub.double(c, jub.double(c, jub.double(c, a, "a2"), "a4"), "a8")
        assert_nonzero(c, a8[0], "a8_not_small_order")
        right = jub.add(c, r8, jub.mul_any(c, h_bits, a8), "right")
        left = jub.mul_fixed(c, s_bits, BASE8)
        c.assert_equal(left[0], right[0], "check.x")
        c.assert_equal(left[1], right[1], "check.y")


def signature_inputs(
    c: Circuit, public_key: tuple[int, int] | None, signature: Signature | None
) -> tuple[jub.Point, LC, jub.Point]:
    """Allocate a public key and a signature as private signals (no values: for a setup)."""
    ax, ay = public_key if public_key is not None else (None, None)
    s = signature.S if signature is not None else None
    rx, ry = signature.R8 if signature is not None else (None, None)
    return (c.private(ax), c.private(ay)), c.private(s), (c.private(rx), c.private(ry))
