import hashlib
import random

import coincurve
import pytest
from eth_keys import keys as eth_keys
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives import secp256k1
from primitives._secp256k1_py import HALF_N, N
from tests.conftest import twin_params

TWINS = twin_params("primitives._secp256k1_py", "primitives._secp256k1_c")
InvalidSignature = secp256k1.InvalidSignature


def test_group_order_is_public_and_is_the_sec2_value() -> None:
    assert secp256k1.SECP256K1_N == N == 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    assert "SECP256K1_N" in secp256k1.__all__


def _keys_and_digests(count: int, seed: int) -> tuple[list[bytes], list[bytes]]:
    rng = random.Random(seed)
    keys = [rng.randrange(1, N).to_bytes(32, "big") for _ in range(count)]
    digests = [rng.randbytes(32) for _ in range(count)]
    return keys, digests


def _with(sig: bytes, *, r: int | None = None, s: int | None = None, v: int | None = None) -> bytes:
    r_b = sig[:32] if r is None else r.to_bytes(32, "big")
    s_b = sig[32:64] if s is None else s.to_bytes(32, "big")
    return r_b + s_b + bytes([sig[64] if v is None else v])


def _eth_keys_address(key: bytes) -> str:
    return eth_keys.PrivateKey(key).public_key.to_checksum_address()


# --- signing --------------------------------------------------------------------------

@pytest.mark.parametrize("impl", TWINS)
def test_sign_published_rfc6979_vector(impl):
    # Private key 1, sha256("Satoshi Nakamoto"): the widely used RFC 6979 secp256k1 vector.
    digest = hashlib.sha256(b"Satoshi Nakamoto").digest()
    sig = impl.sign(digest, (1).to_bytes(32, "big"))
    assert sig.hex() == (
        "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8"
        "2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e51c"
    )


@pytest.mark.parametrize("impl", TWINS)
def test_sign_is_deterministic_low_s_and_matches_libsecp256k1(impl):
    keys, digests = _keys_and_digests(12, seed=1)
    for key, digest in zip(keys, digests, strict=True):
        sig = impl.sign(digest, key)
        assert sig == impl.sign(digest, key)
        assert len(sig) == 65 and sig[64] in (27, 28)
        assert int.from_bytes(sig[32:64], "big") <= HALF_N
        reference = coincurve.PrivateKey(key).sign_recoverable(digest, hasher=None)
        assert sig == reference[:64] + bytes([reference[64] + 27])


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("digest", [b"\xff" * 32, N.to_bytes(32, "big"), bytes(32)])
@pytest.mark.parametrize("key", [1, N - 1])
def test_sign_edge_digests_and_keys(impl, digest, key):
    # Digests at or above n are reduced mod n, as RFC 6979's bits2octets and libsecp256k1 do.
    private_key = key.to_bytes(32, "big")
    sig = impl.sign(digest, private_key)
    reference = coincurve.PrivateKey(private_key).sign_recoverable(digest, hasher=None)
    assert sig == reference[:64] + bytes([reference[64] + 27])
    assert impl.recover(digest, sig) == _eth_keys_address(private_key)


@pytest.mark.parametrize("impl", TWINS)
def test_sign_output_verifies_with_eth_keys(impl):
    keys, digests = _keys_and_digests(6, seed=2)
    for key, digest in zip(keys, digests, strict=True):
        sig = impl.sign(digest, key)
        r, s, v = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64] - 27
        recovered = eth_keys.Signature(vrs=(v, r, s)).recover_public_key_from_msg_hash(digest)
        assert recovered.to_checksum_address() == _eth_keys_address(key)


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize(
    "bad_key, problem",
    [(b"\x00" * 32, "[1, n-1]"), (N.to_bytes(32, "big"), "[1, n-1]"), (b"\x01" * 31, "32 bytes")],
)
def test_sign_rejects_bad_private_key(impl, bad_key, problem):
    with pytest.raises(ValueError, match=problem.replace("[", r"\[")):
        impl.sign(b"\x11" * 32, bad_key)


@pytest.mark.parametrize("impl", TWINS)
def test_sign_rejects_short_digest(impl):
    with pytest.raises(ValueError, match="digest must be 32 bytes"):
        impl.sign(b"\x11" * 31, b"\x01" * 32)


# --- keys and addresses ---------------------------------------------------------------

@pytest.mark.parametrize("impl", TWINS)
def test_public_key_matches_eth_keys(impl):
    keys, _ = _keys_and_digests(5, seed=3)
    for key in keys:
        assert impl.private_key_to_public_key(key) == eth_keys.PrivateKey(key).public_key.to_bytes()


def test_addresses_match_eth_keys():
    keys, _ = _keys_and_digests(5, seed=4)
    for key in keys:
        address = secp256k1.private_key_to_address(key)
        assert address == _eth_keys_address(key)
        public = secp256k1.private_key_to_public_key(key)
        assert secp256k1.public_key_to_address(public) == address
        assert secp256k1.public_key_to_address(b"\x04" + public) == address


def test_public_key_to_address_rejects_bad_keys():
    with pytest.raises(ValueError, match="64 bytes"):
        secp256k1.public_key_to_address(b"\x01" * 63)
    with pytest.raises(ValueError, match="not a point"):
        secp256k1.public_key_to_address(b"\x01" * 64)


@pytest.mark.parametrize(
    "address",
    [
        # The test vectors of EIP-55.
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_checksum_address_eip55_vectors(address):
    assert secp256k1.to_checksum_address(address.lower()) == address
    assert secp256k1.to_checksum_address("0x" + address[2:].upper()) == address
    assert secp256k1.to_checksum_address(bytes.fromhex(address[2:])) == address
    assert secp256k1.to_checksum_address(address) == address


@pytest.mark.parametrize(
    "bad, problem",
    [
        ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae", "40 hex digits"),
        ("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beazz", "40 hex digits"),
        ("0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "checksum"),
        (b"\x00" * 19, "20 bytes"),
    ],
)
def test_checksum_address_rejects_bad_input(bad, problem):
    with pytest.raises(ValueError, match=problem):
        secp256k1.to_checksum_address(bad)


def test_checksum_address_rejects_other_types():
    with pytest.raises(TypeError, match="bytes or str"):
        secp256k1.to_checksum_address(12345)


def test_generate_private_key_is_valid_and_fresh():
    keys = {secp256k1.generate_private_key() for _ in range(8)}
    assert len(keys) == 8
    assert all(len(k) == 32 and 0 < int.from_bytes(k, "big") < N for k in keys)


# --- recovery -------------------------------------------------------------------------

@pytest.mark.parametrize("impl", TWINS)
def test_recover_accepts_one_v_encoding_only(impl):
    """v is 27 or 28, as the ecrecover precompile takes it: v - 27 would be a second valid encoding."""
    keys, digests = _keys_and_digests(4, seed=5)
    for key, digest in zip(keys, digests, strict=True):
        sig = impl.sign(digest, key)
        expected = _eth_keys_address(key)
        assert impl.recover(digest, sig) == expected
        with pytest.raises(ValueError, match="v must be 27 or 28"):
            impl.recover(digest, _with(sig, v=sig[64] - 27))
        assert impl.recover(bytearray(digest), bytearray(sig)) == expected
        # Flipping the parity of v recovers some other key, never the signer.
        assert impl.recover(digest, _with(sig, v=55 - sig[64])) != expected


def _bad_cases() -> list[tuple[bytes, bytes, str]]:
    key, digest = (7).to_bytes(32, "big"), bytes(range(32))
    sig = secp256k1.sign(digest, key)
    s = int.from_bytes(sig[32:64], "big")
    return [
        (digest[:31], sig, "digest must be 32 bytes"),
        (digest, sig[:64], "65 bytes"),
        (digest, sig + b"\x00", "65 bytes"),
        (digest, _with(sig, v=0), "v must be"),
        (digest, _with(sig, v=1), "v must be"),
        (digest, _with(sig, v=2), "v must be"),
        (digest, _with(sig, v=29), "v must be"),
        (digest, _with(sig, r=0), "r is zero"),
        (digest, _with(sig, r=N), "r is zero or not below"),
        (digest, _with(sig, s=0), "s is zero"),
        (digest, _with(sig, s=N), "s is zero or not below"),
        (digest, _with(sig, s=N - s), r"high s"),
        (digest, _with(sig, s=HALF_N + 1), r"high s"),
        # x = 5 has no y on the curve: 5³ + 7 is not a square mod p.
        (digest, _with(sig, r=5), "does not recover"),
    ]


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("case", range(12))
def test_recover_rejects_malformed_signatures(impl, case):
    digest, sig, problem = _bad_cases()[case]
    with pytest.raises(InvalidSignature, match=problem):
        impl.recover(digest, sig)


@pytest.mark.parametrize("impl", TWINS)
def test_recover_rejects_non_bytes(impl):
    with pytest.raises(InvalidSignature, match="digest"):
        impl.recover("00" * 32, b"\x00" * 65)
    with pytest.raises(InvalidSignature, match="65 bytes"):
        impl.recover(b"\x00" * 32, None)


def test_invalid_signature_is_a_value_error():
    assert issubclass(InvalidSignature, ValueError)


def test_verify():
    key, digest = (99).to_bytes(32, "big"), bytes(32)
    sig = secp256k1.sign(digest, key)
    address = secp256k1.private_key_to_address(key)
    assert secp256k1.verify(digest, sig, address)
    assert secp256k1.verify(digest, sig, address.lower())
    assert secp256k1.verify(digest, sig, bytes.fromhex(address[2:]))
    assert not secp256k1.verify(b"\x01" * 32, sig, address)
    assert not secp256k1.verify(digest, sig, secp256k1.private_key_to_address((98).to_bytes(32, "big")))
    with pytest.raises(InvalidSignature, match="high s"):
        secp256k1.verify(digest, _with(sig, s=N - int.from_bytes(sig[32:64], "big")), address)
    with pytest.raises(ValueError, match="40 hex digits"):
        secp256k1.verify(digest, sig, "0x1234")


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("threads", [1, 2])
def test_sign_many_equals_sign_one_by_one_in_order(impl, threads):
    count = 200 if impl.__name__.endswith("_c") else 3
    keys, digests = _keys_and_digests(count, seed=21)
    signatures = impl.sign_many(digests, keys[0], threads=threads)
    assert signatures == [impl.sign(d, keys[0]) for d in digests]
    assert impl.recover_signers(digests, signatures) == [_eth_keys_address(keys[0])] * count
    assert impl.sign_many([], keys[0]) == []


@pytest.mark.parametrize("impl", TWINS)
def test_sign_many_refuses_a_bad_digest_or_key_naming_it(impl):
    good = b"\x11" * 32
    with pytest.raises(ValueError, match="digest 1 must be 32 bytes"):
        impl.sign_many([good, b"\x11" * 31], (1).to_bytes(32, "big"))
    with pytest.raises(ValueError, match="digest 0 must be 32 bytes"):
        impl.sign_many(["not bytes"], (1).to_bytes(32, "big"))
    for bad_key in (b"\x00" * 32, N.to_bytes(32, "big"), b"\x01" * 31):
        with pytest.raises(ValueError, match="private key"):
            impl.sign_many([good], bad_key)
    with pytest.raises(ValueError, match="threads"):
        impl.sign_many([good], (1).to_bytes(32, "big"), threads=0)


# --- batch recovery -------------------------------------------------------------------

def _batch(count: int, seed: int) -> tuple[list[bytes], list[bytes], list[str]]:
    keys, digests = _keys_and_digests(count, seed)
    sigs = [secp256k1.sign(d, k) for d, k in zip(digests, keys, strict=True)]
    return digests, sigs, [_eth_keys_address(k) for k in keys]


@pytest.mark.parametrize("impl", TWINS)
def test_recover_signers_matches_signers(impl):
    digests, sigs, signers = _batch(20, seed=6)
    assert impl.recover_signers(digests, sigs) == signers
    raw = impl.recover_addresses_raw(digests, sigs)
    assert raw == [bytes.fromhex(a[2:]) for a in signers]
    assert impl.recover_signers([], []) == []


@pytest.mark.parametrize("impl", TWINS)
@pytest.mark.parametrize("threads", [1, 2, 3])
def test_recover_signers_threads_agree(impl, threads):
    count = 300 if impl.__name__.endswith("_c") else 4
    digests, sigs, signers = _batch(count, seed=7)
    assert impl.recover_signers(digests, sigs, threads=threads) == signers


@pytest.mark.parametrize("impl", TWINS)
def test_recover_signers_strict_names_first_bad_index(impl):
    digests, sigs, _ = _batch(6, seed=8)
    sigs[4] = _with(sigs[4], v=5)
    sigs[2] = _with(sigs[2], s=N - int.from_bytes(sigs[2][32:64], "big"))
    with pytest.raises(InvalidSignature, match=r"signature 2: high s"):
        impl.recover_signers(digests, sigs)
    with pytest.raises(InvalidSignature, match=r"signature 2: high s"):
        impl.recover_addresses_raw(digests, sigs)


@pytest.mark.parametrize("impl", TWINS)
def test_recover_signers_non_strict_puts_none_at_bad_items(impl):
    digests, sigs, signers = _batch(9, seed=9)
    bad = {0: (digests[0][:5], sigs[0]), 3: (digests[3], sigs[3][:10]),
           5: (digests[5], _with(sigs[5], r=0)), 8: (digests[8], _with(sigs[8], r=5)),
           6: (None, sigs[6])}
    for i, (d, s) in bad.items():
        digests[i], sigs[i] = d, s
    got = impl.recover_signers(digests, sigs, strict=False)
    assert got == [None if i in bad else a for i, a in enumerate(signers)]
    raw = impl.recover_addresses_raw(digests, sigs, strict=False)
    assert [r is None for r in raw] == [i in bad for i in range(9)]


@pytest.mark.parametrize("impl", TWINS)
def test_recover_signers_rejects_length_mismatch_and_bad_threads(impl):
    digests, sigs, _ = _batch(2, seed=10)
    with pytest.raises(ValueError, match="2 digests but 1 signatures"):
        impl.recover_signers(digests, sigs[:1])
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="threads must be a positive integer"):
            impl.recover_signers(digests, sigs, threads=bad)


def test_thread_count_from_environment(monkeypatch):
    digests, sigs, signers = _batch(2, seed=11)
    monkeypatch.setenv("L2LAB_SIG_THREADS", "2")
    assert secp256k1.recover_signers(digests, sigs) == signers
    monkeypatch.setenv("L2LAB_SIG_THREADS", "many")
    with pytest.raises(ValueError, match="L2LAB_SIG_THREADS"):
        secp256k1.recover_signers(digests, sigs)


def test_twins_agree_on_random_batches():
    from primitives import _secp256k1_py

    rng = random.Random(12)
    digests, sigs, _ = _batch(8, seed=13)
    # Mutate some bytes so that both valid and invalid signatures are compared.
    for i in range(0, 8, 2):
        s = bytearray(sigs[i])
        s[rng.randrange(65)] ^= 1 << rng.randrange(8)
        sigs[i] = bytes(s)
    assert secp256k1.recover_signers(digests, sigs, strict=False) == (
        _secp256k1_py.recover_signers(digests, sigs, strict=False)
    )


@settings(max_examples=40, deadline=None)
@given(digest=st.binary(min_size=32, max_size=32) | st.binary(max_size=40),
       sig=st.binary(min_size=65, max_size=65) | st.binary(max_size=70),
       v=st.sampled_from([0, 1, 2, 27, 28, 29, 255]))
def test_twins_agree_on_arbitrary_bytes(digest, sig, v):
    from primitives import _secp256k1_py

    if len(sig) == 65:
        sig = sig[:64] + bytes([v])
    outcomes = []
    for impl in (_secp256k1_py, secp256k1):
        try:
            outcomes.append(impl.recover(digest, sig))
        except InvalidSignature as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_batch_recovery_works_in_a_forked_child():
    # A forked server worker must not inherit a thread pool whose threads are gone.
    import multiprocessing

    digests, sigs, signers = _batch(200, seed=14)
    assert secp256k1.recover_signers(digests, sigs, threads=2) == signers

    def child() -> None:
        raise SystemExit(0 if secp256k1.recover_signers(digests, sigs, threads=2) == signers else 1)

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join(120)  # a hang guard, not a timing assertion
    if process.is_alive():
        process.kill()
    assert process.exitcode == 0


def test_compiled_batch_is_split_over_worker_threads():
    import threading

    native = pytest.importorskip("primitives._secp256k1_c")
    digests, sigs, signers = _batch(256, seed=15)
    assert native.recover_signers(digests, sigs, threads=2) == signers
    assert any(t.name.startswith("l2lab-ecrecover") for t in threading.enumerate())
