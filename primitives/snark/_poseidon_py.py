"""Poseidon permutation in pure Python: the readable twin of the compiled path.

Each round adds the round constants, applies x^5 (to every word in a full
round, to word 0 only in a partial one), then multiplies by the MDS matrix,
exactly as circomlibjs' reference implementation does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from primitives.snark._poseidon_params import MAX_WIDTH, poseidon_params
from primitives.snark.field import R

MAX_INPUTS = MAX_WIDTH - 1


def _check_words(words: Sequence[int], what: str) -> list[int]:
    """Copy ``words`` as field elements, naming the first one that is not."""
    out = []
    for i, w in enumerate(words):
        if not isinstance(w, int) or isinstance(w, bool):
            raise ValueError(f"{what}[{i}] must be an int, got {type(w).__name__}")
        if not 0 <= w < R:
            raise ValueError(f"{what}[{i}] must be in [0, R), got {w}")
        out.append(w)
    return out


def _permute(state: list[int]) -> list[int]:
    """The permutation on an already-checked state (its length picks the width)."""
    p = poseidon_params(len(state))
    mds = p.mds
    for r, rc in enumerate(p.round_constants):
        state = [(s + c) % R for s, c in zip(state, rc, strict=True)]
        if p.is_full_round(r):
            state = [pow(s, 5, R) for s in state]
        else:
            state[0] = pow(state[0], 5, R)
        state = [sum(m * s for m, s in zip(row, state, strict=True)) % R for row in mds]
    return state


def poseidon_permutation(state: Sequence[int]) -> list[int]:
    """The Poseidon permutation of a width-t state (t = 2..17), returned as a new list."""
    if not 2 <= len(state) <= MAX_WIDTH:
        raise ValueError(f"Poseidon state must have 2 to {MAX_WIDTH} words, got {len(state)}")
    return _permute(_check_words(state, "state"))


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib's Poseidon hash: permute ``[0, *inputs]`` and return word 0."""
    if not 1 <= len(inputs) <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {len(inputs)}")
    return _permute([0, *_check_words(inputs, "inputs")])[0]


def poseidon_many(batch: Iterable[Sequence[int]]) -> list[int]:
    """``poseidon`` of each input list; the batch form keeps loops on one side of the boundary."""
    return [poseidon(inputs) for inputs in batch]
