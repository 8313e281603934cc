"""EdDSA-Poseidon signature verification in a circuit, agreeing with ``primitives.snark.eddsa``.

The statement is the cofactor form circomlib's ``EdDSAPoseidonVerifier`` uses:

    S * B8 == R8 + h * (8 * A),   h = poseidon([R8x, R8y, Ax, Ay, msg]),

with ``S < l`` (the subgroup order; a larger S would be a second encoding of
the same signature) and ``8 * A`` not the identity (a key of small order
would verify anything). Beyond circomlib, A and R8 are constrained to lie on
the curve, which the complete addition formulas rely on. Like circomlib, and
unlike the stricter reference verifier, a public key carrying a small-order
component is not rejected: ``8 * A`` removes that component.

``verify(..., enabled=e)`` makes the check conditional, like circomlib's
``enabled`` input, for circuits where a row may carry no signature (a padding
slot of a batch). ``e`` must be a bit the caller constrains. With ``e = 1`` the
statement above holds unchanged; with ``e = 0`` it is satisfiable for any
on-curve A and R8 and any ``S < l``, which are still checked.
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
from primitives.snark.r1cs import LC, Circuit, R, as_lc

S_BITS = SUBORDER.bit_length()  # 251: S < l fits


def verify(
    c: Circuit, msg: LC | int, a: jub.Point, s: LC | int, r8: jub.Point, *, enabled: LC | int | None = None
) -> None:
    """Constrain that ``(R8, S)`` is a valid signature of ``msg`` under public key ``a``.

    With ``enabled`` (a signal the caller constrains to be 0 or 1, or the
    constant 0 or 1) the signature is checked only when it is 1; see the
    module doc. Without it the constraints are those of an unconditional
    check; an ``enabled`` signal adds two (the selections below).

    Conditional form: the two final equalities become
    ``(left - right) * enabled == 0``, and "8 * A is not the identity" becomes
    ``a8x * inv == enabled`` with ``inv`` from the prover, which forces
    ``a8x != 0`` exactly when enabled is 1 and holds with ``inv = 0`` when it
    is 0. One more step keeps the disabled case satisfiable for every
    on-curve key: the scalar multiplication needs a point of the prime-order
    subgroup other than the identity, which ``8 * A`` is not for a key of
    small order, so it multiplies ``enabled ? 8 * A : B8`` (two selections).
    When enabled is 1 that is ``8 * A`` itself.
    """
    if enabled is not None and not isinstance(enabled, LC) and enabled not in (0, 1):
        raise ValueError(f"enabled must be a bit signal or the constant 0 or 1, got {enabled!r}")
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
        if enabled is None:
            assert_nonzero(c, a8[0], "a8_not_small_order")
            right = jub.add(c, r8, jub.mul_any(c, h_bits, a8), "right")
            left = jub.mul_fixed(c, s_bits, BASE8)
            c.assert_equal(left[0], right[0], "check.x")
            c.assert_equal(left[1], right[1], "check.y")
            return
        on = as_lc(enabled, c)
        inv = c.hint(lambda x, e: e * pow(x, -1, R) % R if x else 0, a8[0], on)
        c.constrain(a8[0], inv, on, "a8_not_small_order")
        base = jub.select_point(c, on, a8, jub.const_point(c, BASE8), "a8_or_b8")
        right = jub.add(c, r8, jub.mul_any(c, h_bits, base), "right")
        left = jub.mul_fixed(c, s_bits, BASE8)
        c.constrain(left[0] - right[0], on, 0, "check.x")
        c.constrain(left[1] - right[1], on, 0, "check.y")


def signature_inputs(
    c: Circuit, public_key: tuple[int, int] | None, signature: Signature | None
) -> tuple[jub.Point, LC, jub.Point]:
    """Allocate a public key and a signature as private signals (no values: for a setup)."""
    ax, ay = public_key if public_key is not None else (None, None)
    s = signature.S if signature is not None else None
    rx, ry = signature.R8 if signature is not None else (None, None)
    return (c.private(ax), c.private(ay)), c.private(s), (c.private(rx), c.private(ry))
