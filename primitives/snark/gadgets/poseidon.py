"""Poseidon in a circuit, the same instance as :func:`primitives.snark.poseidon.poseidon`.

Only the S-boxes cost constraints (x^5 as x^2, x^4, x^5: three each); the
round constants and the MDS mixing are linear and stay inside linear
combinations, as circom's --O2 substitution leaves them. The capacity word
starts at the constant 0, so its first S-box is a constant and free. For two
inputs that gives 8*3*3 + 57*3 - 3 = 240 constraints, circomlib's count.
"""

from __future__ import annotations

from collections.abc import Sequence

from primitives.snark._poseidon_params import PoseidonParams
from primitives.snark.poseidon import MAX_INPUTS, poseidon_params
from primitives.snark.r1cs import LC, Circuit, R, as_lc


def _sbox(c: Circuit, x: LC, r: int, i: int) -> LC:
    x2 = c.mul(x, x, f"round{r}.sbox{i}.x2")
    x4 = c.mul(x2, x2, f"round{r}.sbox{i}.x4")
    return c.mul(x4, x, f"round{r}.sbox{i}.x5")


def poseidon(c: Circuit, inputs: Sequence[LC | int]) -> LC:
    """circomlib's Poseidon of 1..16 inputs, as a linear combination of circuit signals."""
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {len(inputs)}")
    p = poseidon_params(len(inputs) + 1)
    state = [as_lc(0, c), *(as_lc(x, c) for x in inputs)]
    if not c.recording and all(s.value is not None for s in state):
        return _values_only(c, p, state)
    with c.scope("poseidon"):
        for r, rc in enumerate(p.round_constants):
            state = [s + k for s, k in zip(state, rc, strict=True)]
            if p.is_full_round(r):
                state = [_sbox(c, s, r, i) for i, s in enumerate(state)]
            else:
                state[0] = _sbox(c, state[0], r, 0)
            state = [_mix(row, state) for row in p.mds]
    return state[0]


def _values_only(c: Circuit, p: PoseidonParams, state: list[LC]) -> LC:
    """The same signals as the gadget above, in the same order, with their values and no terms.

    A circuit that does not record (a witness for a system compiled
    elsewhere) needs only each signal's value: the permutation runs on
    integers, and each S-box of a non-constant word allocates its three
    signals (x^2, x^4, x^5) and counts its three constraints, as ``Circuit.mul``
    would. A word is constant only while every word is: the first full round
    turns each non-constant word into a fresh signal, and the MDS mix, whose
    entries are all nonzero, spreads a fresh signal into every word.
    """
    values = [s.value or 0 for s in state]  # every value is known: the caller checked
    constant = [s.is_constant() for s in state]
    last: LC | None = None
    for r, rc in enumerate(p.round_constants):
        values = [(v + k) % R for v, k in zip(values, rc, strict=True)]
        for i in range(len(values)) if p.is_full_round(r) else (0,):
            x = values[i]
            if constant[i]:
                values[i] = pow(x, 5, R)
                continue
            x2 = x * x % R
            x4 = x2 * x2 % R
            x5 = x4 * x % R
            c.private(x2)
            c.private(x4)
            last = c.private(x5)
            c.count_constraints(3)
            values[i] = x5
        values = [sum(m * v for m, v in zip(row, values, strict=True)) % R for row in p.mds]
        if not all(constant):
            constant = [False] * len(values)
    if last is None:  # every input a constant: so is the hash
        return as_lc(values[0], c)
    # The output's terms stand for "not a constant": a circuit that does not record never reads them.
    return LC(c, dict(last.terms), values[0])


def _mix(row: Sequence[int], state: list[LC]) -> LC:
    """One row of the MDS product, merged into a single linear combination."""
    acc: dict[int, int] = {}
    for m, s in zip(row, state, strict=True):
        for var, coeff in s.terms.items():
            acc[var] = acc.get(var, 0) + m * coeff
    terms = {v: k % R for v, k in acc.items() if k % R}
    values = [s.value for s in state]
    known = [v for v in values if v is not None]
    value = sum(m * v for m, v in zip(row, known, strict=True)) % R if len(known) == len(values) else None
    circuit = next((s.circuit for s in state if s.circuit is not None), None)
    return LC(circuit, terms, value)
