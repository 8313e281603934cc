"""The SHA-256 gadget: hashlib's digests, one constraint system with or without values, sound witnesses."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from primitives.snark.gadgets.sha256 import (
    DIGEST_FIELD_BITS,
    MAX_CONSTRAINTS_PER_BLOCK,
    bits_to_bytes,
    digest_field,
    digest_to_field,
    message_bits,
    sha256,
)
from primitives.snark.r1cs import LC, R1CS, Circuit, ConstraintError, MissingValue, R

LENGTHS = [0, 1, 3, 31, 32, 55, 56, 63, 64, 65, 100, 119, 120, 128]
RANDOM_LENGTHS = random.Random(0x5A256).sample(sorted(set(range(1, 120)) - set(LENGTHS)), 3)


class BlockCounter(Circuit):
    """A circuit that records how many constraints each ``block<k>`` scope adds."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[int] = []

    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        start = self.n_constraints
        with super().scope(name):
            yield
        if name.startswith("block"):
            self.blocks.append(self.n_constraints - start)


def message(length: int) -> bytes:
    return random.Random(length).randbytes(length)


def build(length: int, with_values: bool = True) -> tuple[BlockCounter, list[LC]]:
    """A circuit hashing ``message(length)`` given as private bits, boolean-constrained as the caller must."""
    c = BlockCounter()
    bits = [c.private(b if with_values else None) for b in message_bits(message(length))]
    for i, b in enumerate(bits):
        c.assert_bool(b, f"input{i}")
    return c, sha256(c, bits)


@dataclass
class Built:
    circuit: BlockCounter
    out: list[LC]
    r1cs: R1CS
    witness: list[int]


@pytest.fixture(scope="module")
def one_block() -> Built:
    c, out = build(31)
    return Built(c, out, c.compile(), c.witness())


@pytest.fixture(scope="module")
def two_blocks() -> Built:
    """100 bytes: the second block starts from chaining words the first left unreduced."""
    c, out = build(100)
    return Built(c, out, c.compile(), c.witness())


# Per-block counts, as the module docstring gives them.
BLOCKS = {
    55: [24_200],  # one block holding 55 bytes and the length
    64: [24_385, 17_737],  # a first block, then a padding-only one (constant schedule)
    119: [24_385, 24_522],  # a last block with 55 bytes and the length
    128: [24_385, 24_705, 17_737],
}


@pytest.mark.parametrize("length", LENGTHS + RANDOM_LENGTHS)
def test_digest_matches_hashlib(length):
    c, out = build(length)
    assert len(out) == 256
    values = [b.value for b in out]
    assert set(values) <= {0, 1}
    assert bits_to_bytes(values) == hashlib.sha256(message(length)).digest()
    assert len(c.blocks) == (length + 9 + 63) // 64
    assert max(c.blocks) <= MAX_CONSTRAINTS_PER_BLOCK
    if length in BLOCKS:
        assert c.blocks == BLOCKS[length]


def test_message_bits_round_trip():
    data = bytes([0x80, 0x01, 0xA5, 0x00, 0xFF])
    bits = message_bits(data)
    assert bits[:8] == [1, 0, 0, 0, 0, 0, 0, 0]
    assert bits[8:16] == [0, 0, 0, 0, 0, 0, 0, 1]
    assert bits_to_bytes(bits) == data
    assert bits_to_bytes([]) == b""
    with pytest.raises(ValueError, match="whole number of bytes"):
        bits_to_bytes([1, 0, 1])
    with pytest.raises(ValueError, match="not a bit"):
        bits_to_bytes([2, 0, 0, 0, 0, 0, 0, 0])


def test_rejects_partial_bytes_and_bad_constants():
    c = Circuit()
    with pytest.raises(ValueError, match="whole bytes"):
        sha256(c, [c.private(1)] * 7)
    with pytest.raises(ValueError, match="0 or 1"):
        sha256(c, [c.const(2)] * 8)


def test_constant_message_costs_nothing():
    c = Circuit()
    out = sha256(c, [c.const(b) for b in message_bits(b"abc")])
    assert c.n_constraints == 0
    assert bits_to_bytes([b.value for b in out]) == hashlib.sha256(b"abc").digest()
    c, out = build(0)
    assert c.n_constraints == 0
    assert bits_to_bytes([b.value for b in out]) == hashlib.sha256(b"").digest()


def test_same_constraints_without_values(two_blocks):
    c, out = build(100, with_values=False)
    assert all(b.value is None for b in out)
    assert c.n_constraints == two_blocks.circuit.n_constraints
    r1cs, honest = c.compile(), two_blocks.r1cs
    assert (r1cs.n_wires, r1cs.n_public) == (honest.n_wires, honest.n_public)
    assert r1cs.constraints == honest.constraints
    assert r1cs.names == honest.names
    with pytest.raises(MissingValue):
        c.witness()


def test_honest_witness_checks_and_tampered_digest_bit_fails(one_block, two_blocks):
    two_blocks.r1cs.check(two_blocks.witness)
    one_block.r1cs.check(one_block.witness)
    for index in (0, 131, 255):
        wire = one_block.circuit.wire(one_block.out[index])
        bad = list(one_block.witness)
        bad[wire] = 1 - bad[wire]
        with pytest.raises(ConstraintError) as err:
            one_block.r1cs.check(bad)
        assert err.value.name.startswith("sha256.block0.out.h")


def test_tampered_internal_signal_fails(one_block):
    # Every signal of the hash is pinned by some constraint: products by their
    # own, decomposition bits by booleanity and the sum, input bits downstream.
    r1cs = one_block.r1cs
    for wire in (1, 200, r1cs.n_wires // 3, r1cs.n_wires // 2, r1cs.n_wires - 1):
        bad = list(one_block.witness)
        bad[wire] = (bad[wire] + 1) % R
        with pytest.raises(ConstraintError):
            r1cs.check(bad)


def test_constraints_per_block():
    # Four full blocks (the first, later ones, and the one in four that reduces
    # the chaining words 3 and 7), then a padding-only block.
    c, out = build(256)
    assert c.blocks == [24_385, 24_705, 24_706, 24_776, 17_735]
    assert max(c.blocks) <= MAX_CONSTRAINTS_PER_BLOCK
    assert bits_to_bytes([b.value for b in out]) == hashlib.sha256(message(256)).digest()


def test_digest_field_matches_twin(two_blocks):
    c, out = two_blocks.circuit, two_blocks.out
    packed = digest_field(c, out)  # a linear combination: no new signal, no constraint
    assert c.n_constraints == two_blocks.r1cs.n_constraints
    digest = hashlib.sha256(message(100)).digest()
    assert packed.value == digest_to_field(digest) == int.from_bytes(digest, "big") >> 3
    assert digest_to_field(b"\xff" * 32) == (1 << DIGEST_FIELD_BITS) - 1 < R
    with pytest.raises(ValueError, match="32 bytes"):
        digest_to_field(b"\x00" * 31)
    with pytest.raises(ValueError, match="256 bits"):
        digest_field(c, out[:255])
    # Bits without values (a circuit built for the setup) give a valueless combination.
    c2 = Circuit()
    assert digest_field(c2, [c2.private() for _ in range(256)]).value is None
    # A constant digest packs to a constant.
    c3 = Circuit()
    packed = digest_field(c3, sha256(c3, [c3.const(b) for b in message_bits(b"abc")]))
    assert packed.is_constant()
    assert packed.constant_value() == digest_to_field(hashlib.sha256(b"abc").digest())
