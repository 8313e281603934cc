"""Saved Groth16 keys: a round trip proves and verifies; truncated, corrupt or foreign files are refused."""

from __future__ import annotations

import random
import struct

import pytest

from primitives.keccak import keccak256
from primitives.snark import examples, groth16
from primitives.snark import setup as keys
from primitives.snark.kernels import Q


@pytest.fixture(scope="module")
def made():
    circuit = examples.poseidon_preimage([3, 4])
    r1cs, witness = circuit.compile(), circuit.witness()
    pk, vk = groth16.setup(r1cs, b"key file test")
    return r1cs, witness, pk, vk, keys.keys_to_bytes(pk, vk, r1cs)


def _resealed(data: bytes) -> bytes:
    """An edited body with a fresh checksum, to reach the checks behind the checksum."""
    return data + keccak256(data)


def test_round_trip_gives_equal_keys_that_prove(made, tmp_path):
    r1cs, witness, pk, vk, _ = made
    path = tmp_path / "pk.l2pk"
    keys.save_keys(path, pk, vk, r1cs)
    pk2, vk2 = keys.load_keys(path, r1cs)
    assert vk2 == vk
    assert pk2.__dict__ == pk.__dict__
    proof = groth16.prove(pk2, r1cs, witness, rng=random.Random(1))
    assert groth16.verify(vk, r1cs.public_inputs(witness), proof)
    assert not (tmp_path / "pk.l2pk.part").exists()


def test_every_truncation_is_refused(made):
    data = made[4]
    for cut in (0, 5, len(keys.KEY_MAGIC) + 3, 100, len(data) // 2, len(data) - 1):
        with pytest.raises(keys.KeyFileError, match="truncated|magic|checksum"):
            keys.keys_from_bytes(data[:cut])


def test_a_flipped_byte_is_caught_by_the_checksum(made):
    data = bytearray(made[4])
    for pos in (len(keys.KEY_MAGIC) + 10, len(data) // 3, len(data) - 40):
        bad = bytearray(data)
        bad[pos] ^= 1
        with pytest.raises(keys.KeyFileError, match="checksum"):
            keys.keys_from_bytes(bytes(bad))


def test_bad_magic_and_future_version(made):
    data = made[4]
    with pytest.raises(keys.KeyFileError, match="magic"):
        keys.keys_from_bytes(b"X" + data[1:])
    m = len(keys.KEY_MAGIC)
    with pytest.raises(keys.KeyFileError, match="version 2"):
        keys.keys_from_bytes(data[:m] + struct.pack(">I", 2) + data[m + 4 :])


def test_keys_for_another_circuit_are_refused(made):
    other = examples.poseidon_preimage([None, None, None]).compile()
    with pytest.raises(keys.KeyFileError, match="different circuit"):
        keys.keys_from_bytes(made[4], other)
    with pytest.raises(keys.KeyFileError, match="not made for this circuit"):
        keys.keys_to_bytes(made[2], made[3], other)


def test_resealed_bad_contents_are_still_refused(made):
    body = made[4][:-32]
    head = len(keys.KEY_MAGIC) + 4 + 32
    # a header promising more points than the file holds
    n_wires = struct.unpack_from(">I", body, head)[0]
    bigger = body[:head] + struct.pack(">I", n_wires + 1) + body[head + 4 :]
    with pytest.raises(keys.KeyFileError, match="header implies"):
        keys.keys_from_bytes(_resealed(bigger))
    # a domain size that is not a power of two
    odd = body[:head + 8] + struct.pack(">I", 1000) + body[head + 12 :]
    with pytest.raises(keys.KeyFileError, match="inconsistent"):
        keys.keys_from_bytes(_resealed(odd))
    # alpha_1 moved off the curve
    pts = head + 12
    off = body[:pts] + (1).to_bytes(32, "big") + (1).to_bytes(32, "big") + body[pts + 64 :]
    with pytest.raises(keys.KeyFileError, match="alpha_1 is not on the curve"):
        keys.keys_from_bytes(_resealed(off))
    # a coordinate >= q
    big = body[:pts] + Q.to_bytes(32, "big") + body[pts + 32 :]
    with pytest.raises(keys.KeyFileError, match="not a canonical Fq element"):
        keys.keys_from_bytes(_resealed(big))
    # the last IC point at infinity: a degenerate verifying key
    inf = body[:-64] + bytes(64)
    with pytest.raises(keys.KeyFileError, match="IC\\[1\\] is the point at infinity"):
        keys.keys_from_bytes(_resealed(inf))


def test_missing_and_directory_paths(tmp_path):
    with pytest.raises(keys.KeyFileError, match="not found"):
        keys.load_keys(tmp_path / "nope.l2pk")
    with pytest.raises(keys.KeyFileError, match="is a directory"):
        keys.load_keys(tmp_path)
