import os
import random

import pytest
from eth_hash.auto import keccak as eth_keccak

from tests.conftest import twin_params

TWINS = twin_params("primitives._keccak_py", "primitives._keccak_c")


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("length", [0, 1, 31, 32, 55, 64, 135, 136, 137, 271, 272, 273, 1000])
def test_keccak256_matches_eth_hash(impl, length):
    data = os.urandom(length)
    assert impl.keccak256(data) == eth_keccak(data)


@pytest.mark.parametrize("impl", TWINS)
def test_keccak256_known_vectors(impl):
    assert impl.keccak256(b"").hex() == (
        "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    )
    assert impl.keccak256(b"transfer(address,uint256)")[:4].hex() == "a9059cbb"


@pytest.mark.parametrize("impl", TWINS)
def test_keccak256_many_matches_single(impl):
    rng = random.Random(7)
    items = [rng.randbytes(rng.randrange(0, 300)) for _ in range(20)]
    assert impl.keccak256_many(items) == [eth_keccak(x) for x in items]


def test_twins_agree_on_random_inputs():
    from primitives import _keccak_py, keccak256

    rng = random.Random(1)
    for _ in range(30):
        data = rng.randbytes(rng.randrange(0, 500))
        assert keccak256(data) == _keccak_py.keccak256(data)


def test_keccak_accepts_bytearray_and_memoryview():
    from primitives import keccak256

    assert keccak256(bytearray(b"abc")) == eth_keccak(b"abc")
    assert keccak256(memoryview(b"abc")) == eth_keccak(b"abc")
