"""BLAKE-512: the BLAKE submission's vectors and circomlibjs' blake-hash output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from primitives.snark.blake512 import _C, _IV, blake512

VECTORS = json.loads((Path(__file__).parent / "vectors/circomlibjs/blake512.json").read_text())


def test_submission_vectors():
    # Appendix of the BLAKE submission: the one-byte and the 144-byte zero messages.
    assert blake512(b"\x00").hex() == (
        "97961587f6d970faba6d2478045de6d1fabd09b61ae50932054d52bc29d31be4"
        "ff9102b9f69e2bbdb83be13d4b9c06091e5fa0b48bd081b634058be0ec49beb3"
    )
    assert blake512(bytes(144)).hex() == (
        "313717d608e9cf758dcb1eb0f0c3cf9fc150b2d500fb33f51c52afc99d358a2f"
        "1374b8a38bba7974e7f6ef79cab16f22ce1e649d6e01ad9589c213045d545dde"
    )


def test_blake_hash_vectors():
    lengths = set()
    for v in VECTORS["vectors"]:
        msg = bytes.fromhex(v["msg"])
        lengths.add(len(msg))
        assert blake512(msg).hex() == v["digest"], f"{len(msg)}-byte message"
    # The padding edge cases: one byte of room (111), none (112) and whole blocks.
    assert {0, 111, 112, 128, 256} <= lengths


def test_derived_constants():
    assert _IV[0] == 0x6A09E667F3BCC908 and _IV[7] == 0x5BE0CD19137E2179  # SHA-512's IV
    # pi = 3.243F6A8885A308D3...: the constants are its fractional bits.
    assert (_C[0], _C[7], _C[15]) == (0x243F6A8885A308D3, 0x3F84D5B5B5470917, 0x636920D871574E69)


def test_accepts_bytes_like_and_rejects_others():
    assert blake512(bytearray(b"abc")) == blake512(memoryview(b"abc")) == blake512(b"abc")
    with pytest.raises(TypeError, match="hashes bytes"):
        blake512("abc")  # type: ignore[arg-type]
