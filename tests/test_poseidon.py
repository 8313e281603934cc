"""Poseidon: circomlibjs vectors, generated parameters, bad input, both twins."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from primitives.snark import _poseidon_params
from primitives.snark._poseidon_params import GrainLFSR, poseidon_params
from primitives.snark.field import R
from tests.conftest import twin_params

TWINS = twin_params("primitives.snark._poseidon_py", "primitives.snark._poseidon_c")
VECTORS = json.loads((Path(__file__).parent / "vectors/circomlibjs/poseidon.json").read_text())


@pytest.mark.parametrize("impl", TWINS)
def test_known_value(impl):
    assert impl.poseidon([1, 2]) == 0x115CC0F5E7D690413DF64C6B9662E9CF2A3617F2743245519E19607A4417189A


@pytest.mark.parametrize("impl", TWINS)
def test_circomlibjs_hash_vectors(impl):
    assert len(VECTORS["hashes"]) == 16 * 5
    for v in VECTORS["hashes"]:
        inputs = [int(x) for x in v["inputs"]]
        assert impl.poseidon(inputs) == int(v["output"]), f"{len(inputs)} inputs"


@pytest.mark.parametrize("impl", TWINS)
def test_circomlibjs_permutation_vectors(impl):
    for v in VECTORS["permutations"]:
        state = [int(x) for x in v["state"]]
        assert impl.poseidon_permutation(state) == [int(x) for x in v["output"]]


@pytest.mark.parametrize("impl", TWINS)
def test_batch_matches_single(impl):
    rng = random.Random(3)
    batch = [[rng.randrange(R) for _ in range(rng.randrange(1, 7))] for _ in range(12)]
    assert impl.poseidon_many(batch) == [impl.poseidon(x) for x in batch]


@pytest.mark.parametrize("impl", TWINS)
def test_hash_is_permutation_word_zero(impl):
    inputs = [5, 6, 7]
    assert impl.poseidon(inputs) == impl.poseidon_permutation([0, *inputs])[0]


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize(
    "bad, match",
    [
        ([], "1 to 16 inputs"),
        (list(range(17)), "1 to 16 inputs"),
        ([1, R], r"inputs\[1\] must be in \[0, R\)"),
        ([-1], r"inputs\[0\] must be in \[0, R\)"),
        ([1.0], r"inputs\[0\] must be an int"),
        (["1"], r"inputs\[0\] must be an int"),
        ([True], r"inputs\[0\] must be an int"),
    ],
)
def test_bad_inputs_rejected(impl, bad, match):
    with pytest.raises(ValueError, match=match):
        impl.poseidon(bad)


@pytest.mark.parametrize("impl", TWINS)
def test_bad_permutation_state_rejected(impl):
    with pytest.raises(ValueError, match="2 to 17 words"):
        impl.poseidon_permutation([1])
    with pytest.raises(ValueError, match="2 to 17 words"):
        impl.poseidon_permutation([0] * 18)
    with pytest.raises(ValueError, match=r"state\[2\]"):
        impl.poseidon_permutation([0, 0, R])


@pytest.mark.parametrize("impl", TWINS)
def test_caller_state_not_mutated(impl):
    state = [1, 2, 3]
    impl.poseidon_permutation(state)
    assert state == [1, 2, 3]


def test_twins_agree_on_random_inputs():
    from primitives.snark import _poseidon_py, poseidon

    rng = random.Random(11)
    for _ in range(10):
        n = rng.randrange(1, 17)
        inputs = [rng.choice([0, R - 1, rng.randrange(R)]) for _ in range(n)]
        assert poseidon.poseidon(inputs) == _poseidon_py.poseidon(inputs)


def test_params_shape_and_round_kinds():
    p = poseidon_params(3)
    assert (p.t, p.full_rounds, p.partial_rounds) == (3, 8, 57)
    assert len(p.round_constants) == p.rounds == 65
    assert all(len(rc) == 3 and all(0 <= c < R for c in rc) for rc in p.round_constants)
    assert [p.is_full_round(r) for r in (0, 3, 4, 60, 61, 64)] == [True, True, False, False, True, True]
    # circomlib's first constant and MDS entry for t = 3, as published in poseidon_constants.
    assert p.round_constants[0][0] == 0x0EE9A592BA9A9518D05986D656F40C2114C4993C11BB29938D21D47304CD8E6E
    assert p.mds[0][0] == 0x109B7F411BA0E4C9B2B70CAF5C36A7B194BE7C11AD24378BFEDB68592BA8118B


def test_mds_is_a_cauchy_matrix_with_nonzero_minors():
    p = poseidon_params(4)
    m = p.mds
    # Each 2x2 minor of a Cauchy matrix with distinct x's and y's is non-zero (MDS property).
    for i in range(4):
        for j in range(i + 1, 4):
            for k in range(4):
                for col in range(k + 1, 4):
                    assert (m[i][k] * m[j][col] - m[i][col] * m[j][k]) % R != 0


def test_params_are_cached_and_width_checked():
    assert poseidon_params(5) is poseidon_params(5)
    for bad in (1, 18):
        with pytest.raises(ValueError, match="width t"):
            poseidon_params(bad)


def test_grain_seed_depends_on_instance():
    a = GrainLFSR(1, 0, 254, 3, 8, 57).next_int(64)
    b = GrainLFSR(1, 0, 254, 3, 8, 56).next_int(64)
    assert a != b
    assert GrainLFSR(1, 0, 254, 3, 8, 57).next_int(64) == a


def test_partial_round_table():
    assert _poseidon_params.PARTIAL_ROUNDS[:8] == (56, 57, 56, 60, 60, 63, 64, 63)


def test_chunked_grain_matches_one_bit_at_a_time():
    """The 16-bit-at-a-time LFSR against a direct transcription of the reference's bit loop."""
    seq = [0, 1] + [0] * 4 + [int(b) for b in f"{254:012b}{3:012b}{8:010b}{57:010b}"] + [1] * 30

    def clock() -> int:
        new = seq[62] ^ seq[51] ^ seq[38] ^ seq[23] ^ seq[13] ^ seq[0]
        seq.pop(0)
        seq.append(new)
        return new

    for _ in range(160):
        clock()
    expected = []
    while len(expected) < 300:
        if clock():
            expected.append(clock())
        else:
            clock()
    lfsr = GrainLFSR(1, 0, 254, 3, 8, 57)
    got = [lfsr.next_int(1) for _ in range(100)] + [int(b) for b in f"{lfsr.next_int(200):0200b}"]
    assert got == expected


def test_sparse_schedule_equals_reference_rounds():
    """The rewritten schedule is the same permutation as the rounds the paper specifies."""
    from primitives.snark._poseidon_py import _permute, _permute_reference
    from primitives.snark._poseidon_sparse import sparse_schedule

    rng = random.Random(5)
    for t in range(2, 18):
        state = [rng.randrange(R) for _ in range(t)]
        assert _permute(state) == _permute_reference(state), f"t = {t}"
    s = sparse_schedule(4)
    assert len(s.partial_constants) == len(s.sparse) == poseidon_params(4).partial_rounds
    assert all(len(row) == len(col) == 3 for _, row, col in s.sparse)


def test_a_values_only_circuit_gives_the_recorded_circuits_witness():
    """With record=False the gadget runs on integers; signals, their order and the constraint count are the same."""
    from primitives.snark.gadgets.poseidon import poseidon as poseidon_gadget
    from primitives.snark.poseidon import poseidon as poseidon_native
    from primitives.snark.r1cs import Circuit

    def build(record: bool, inputs: list) -> tuple[Circuit, object]:
        c = Circuit(record=record)
        args = [c.private(v) if kind == "signal" else v for kind, v in inputs]
        out = poseidon_gadget(c, args)
        again = poseidon_gadget(c, [out, 5])  # the output feeds a second hash, as Merkle paths do
        c.public(again.value)
        return c, (out.value, again.value, out.is_constant())

    for inputs in ([("signal", 1), ("signal", 2)], [("const", 7), ("signal", 3), ("const", 0)],
                   [("const", 1), ("const", 2)], [("signal", 9)] * 5):
        recorded, a = build(True, inputs)
        values_only, b = build(False, inputs)
        assert a == b
        assert a[0] == poseidon_native([v for _, v in inputs])
        assert values_only.n_constraints == recorded.n_constraints
        assert values_only.witness() == recorded.witness()
