"""Poseidon permutation in pure Python: the readable twin of the compiled path.

Each round adds the round constants, applies x^5 (to every word in a full
round, to word 0 only in a partial one), then multiplies by the MDS matrix, as
circomlibjs' reference implementation does (``_permute_reference``). The hash
runs the equivalent sparse schedule of ``_poseidon_sparse``, which is cheaper.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from primitives.snark._poseidon_params import MAX_WIDTH, poseidon_params
from primitives.snark._poseidon_sparse import sparse_schedule
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


def _permute_reference(state: list[int]) -> list[int]:
    """The permutation exactly as specified: constants, S-box, full MDS product, every round."""
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


def _full_round(state: list[int], constants: Sequence[int], mds: Sequence[Sequence[int]]) -> list[int]:
    state = [pow((s + c) % R, 5, R) for s, c in zip(state, constants, strict=True)]
    return [sum(m * s for m, s in zip(row, state, strict=True)) % R for row in mds]


def _permute(state: list[int]) -> list[int]:
    """The same permutation on the sparse schedule (see ``_poseidon_sparse``): 2t - 1
    multiplications per partial round instead of t^2."""
    sch = sparse_schedule(len(state))
    last_first = len(sch.first_constants) - 1
    for i, rc in enumerate(sch.first_constants):
        state = _full_round(state, rc, sch.pre_sparse_mds if i == last_first else sch.mds)
    x0, rest = state[0], state[1:]
    for c, (m00, row, col) in zip(sch.partial_constants, sch.sparse, strict=True):
        x0 = pow((x0 + c) % R, 5, R)
        x0, rest = (
            (m00 * x0 + sum(a * b for a, b in zip(row, rest, strict=True))) % R,
            [(ci * x0 + xi) % R for ci, xi in zip(col, rest, strict=True)],
        )
    state = [x0, *rest]
    for rc in sch.last_constants:
        state = _full_round(state, rc, sch.mds)
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
