"""The R1CS builder: wire order, linear-combination arithmetic, and witness checking."""

from __future__ import annotations

import pytest

from primitives.snark.r1cs import Circuit, ConstraintError, MissingValue, R, as_lc


def cubic(x_value: int | None, out_value: int | None) -> Circuit:
    """x^3 + x + 5 == out, the classic first circuit."""
    c = Circuit()
    x = c.private(x_value)
    out = c.public(out_value)
    with c.scope("cubic"):
        y = c.mul(x, x, "x2") * x + x + 5
        c.assert_equal(y, out, "out")
    return c


def test_wires_are_one_then_public_then_private():
    c = cubic(3, 35)
    r1cs = c.compile()
    assert r1cs.n_public == 1
    assert r1cs.n_wires == 5
    w = c.witness()
    assert w[:3] == [1, 35, 3]
    r1cs.check(w)
    assert r1cs.public_inputs(w) == [35]


def test_constraint_names_carry_scope():
    r1cs = cubic(3, 35).compile()
    assert r1cs.names == ["cubic.x2", "cubic.mul", "cubic.out"]


def test_bad_witness_names_the_failing_constraint():
    c = cubic(3, 36)
    r1cs = c.compile()
    with pytest.raises(ConstraintError, match="cubic.out"):
        r1cs.check(c.witness())


def test_tampered_intermediate_is_caught():
    c = Circuit()
    x = c.private(4)
    y = c.mul(x, x, "square")
    r1cs = c.compile()
    w = c.witness()
    w[c.wire(y)] = 17
    with pytest.raises(ConstraintError, match="square"):
        r1cs.check(w)


def test_constants_are_free_and_values_reduce_mod_r():
    c = Circuit()
    x = c.private(R - 1)
    y = (x + 2) * 3 - as_lc(1) * x  # only constant multiplications
    assert c.n_constraints == 0
    assert y.value == ((R - 1 + 2) * 3 - (R - 1)) % R
    assert (as_lc(2) * as_lc(3)).value == 6


def test_same_constraints_without_values():
    with_values = cubic(3, 35).compile()
    without = cubic(None, None).compile()
    assert with_values.constraints == without.constraints
    with pytest.raises(MissingValue):
        cubic(None, None).witness()


def test_hints_and_bad_inputs():
    c = Circuit()
    x = c.private(5)
    inv = c.hint(lambda v: pow(v, -1, R), x)
    c.constrain(x, inv, 1, "inverse")
    r1cs = c.compile()
    r1cs.check(c.witness())
    with pytest.raises(TypeError):
        c.private("5")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        c.private(1)  # compiled circuits are frozen
    with pytest.raises(ValueError, match="wires"):
        r1cs.check([1, 5])
    with pytest.raises(ValueError, match="constant-one"):
        r1cs.check([2, 5, pow(5, -1, R)])
    with pytest.raises(ValueError, match="field element"):
        r1cs.check([1, R + 5, pow(5, -1, R)])
    with pytest.raises(ValueError, match="single allocated signal"):
        c.wire(x + 1)
