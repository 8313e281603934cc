"""The R1CS builder: wire order, linear-combination arithmetic, and witness checking."""

from __future__ import annotations

import pytest

from primitives.snark.kernels import FrWords
from primitives.snark.r1cs import (
    R1CS,
    Circuit,
    ConstraintError,
    MissingValue,
    R,
    as_lc,
    dot,
    first_nonzero,
)
from primitives.snark.setup import circuit_digest


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


# -- the packed system -------------------------------------------------------------


def _random_system(seed: int, c: Circuit | None = None, n: int = 40) -> Circuit:
    """``n`` products of random combinations, on ``c`` (a new recording circuit by default)."""
    import random

    rng = random.Random(seed)
    c = Circuit() if c is None else c
    xs = [c.public(rng.randrange(R)) for _ in range(2)] + [c.private(rng.randrange(R)) for _ in range(4)]
    for k in range(n):
        a = sum((x.scale(rng.randrange(1, 9)) for x in rng.sample(xs, 3)), as_lc(rng.randrange(R)))
        b = rng.choice(xs) - rng.randrange(4)
        xs.append(c.mul(a, b, f"m{k}"))
    return c


def test_packed_rows_unpack_to_the_dicts_the_constraints_stated():
    c = _random_system(1)
    stated = [tuple(dict(row) for row in con) for con in _stated_rows(_random_system(1))]
    r1cs = c.compile()
    wire_of = c._wire_map()
    expect = [tuple({wire_of[v]: k for v, k in row.items()} for row in con) for con in stated]
    assert r1cs.constraints == expect
    # a system given as dicts packs to the same thing
    again = R1CS(r1cs.n_wires, r1cs.n_public, expect, r1cs.names)
    assert again.constraints == expect and again.n_constraints == r1cs.n_constraints == 40
    assert sum(len(m) for m in r1cs.matrices) == sum(len(row) for con in expect for row in con)
    assert len(r1cs.table) == len({k for con in expect for row in con for k in row.values()})


def _stated_rows(c: Circuit) -> list:
    """The rows the circuit stated, in variable indices, read back from its packed matrices before compile."""
    t = c._table.values
    out = []
    for j in range(c.n_constraints):
        out.append(tuple({m.wires[e]: t[m.ids[e]] for e in range(len(m)) if m.rows[e] == j} for m in c._matrices))
    return out


def test_evaluate_matches_a_plain_dot_product():
    c = _random_system(2)
    r1cs = c.compile()
    w = c.witness()
    a, b, cc = r1cs.evaluate(w)
    for j, con in enumerate(r1cs.constraints):
        assert [a[j], b[j], cc[j]] == [dot(row, w) for row in con]
    r1cs.check(w)


def test_a_witness_only_circuit_counts_the_same_constraints_and_gives_the_same_witness():
    full, lean = _random_system(3), _random_system(3, Circuit(record=False))
    assert lean.n_constraints == full.n_constraints == 40
    assert lean.witness() == full.witness()
    full.compile().check(lean.witness())
    with pytest.raises(RuntimeError, match="record=False"):
        lean.compile()


def test_compile_twice_gives_the_same_system_and_freezes_the_circuit():
    c = cubic(3, 35)
    assert c.compile() is c.compile()
    with pytest.raises(RuntimeError):
        c.private(1)


def test_first_broken_constraint_is_found_past_the_first_chunk():
    c = Circuit()
    x = c.private(3)
    ys = [c.mul(x, x, f"sq{k}") for k in range(3000)]  # 3,000 rows: past one 64 KiB chunk of packed words
    r1cs = c.compile()
    w = c.witness()
    w[c.wire(ys[2500])] = 10
    with pytest.raises(ConstraintError, match="sq2500") as err:
        r1cs.check(w)
    assert err.value.index == 2500
    assert first_nonzero(FrWords.zeros(5000)) is None


def test_circuit_digest_binds_every_coefficient_wire_and_count():
    base = _random_system(4).compile()
    d = circuit_digest(base)
    assert circuit_digest(_random_system(4).compile()) == d
    assert circuit_digest(_random_system(5).compile()) != d
    cons = base.constraints
    for change in ("coeff", "wire", "drop"):
        rows = [tuple(dict(r) for r in con) for con in cons]
        a = rows[7][0]
        w0 = next(iter(a))
        if change == "coeff":
            a[w0] = (a[w0] + 1) % R
        elif change == "wire":
            a[(w0 + 1) % base.n_wires if (w0 + 1) % base.n_wires not in a else 0] = a.pop(w0)
        else:
            rows.pop()
        assert circuit_digest(R1CS(base.n_wires, base.n_public, rows, base.names)) != d, change
    assert circuit_digest(R1CS(base.n_wires + 1, base.n_public, cons, base.names)) != d
