"""The zk-rollup's rules: float40, keys, pubdata layout and apply_op's refusals."""

from __future__ import annotations

import random

import pytest

from contracts_spec.zk import float40, keys, pubdata
from contracts_spec.zk.params import SMALL, ZkPreset, get_preset
from contracts_spec.zk.rules import (
    Deposit,
    Noop,
    OpRefused,
    Transfer,
    Withdraw,
    apply_op,
    domain_of,
    sign,
)
from contracts_spec.zk.state import ZkState
from primitives.snark import babyjub

DOMAIN = domain_of(1337, "0x" + "ab" * 20)
ALICE, BOB = b"alice l2 key".ljust(32, b"."), b"bob l2 key".ljust(32, b".")


def funded() -> ZkState:
    s = ZkState(SMALL.depth_bits, DOMAIN)
    for index, key, amount in ((1, ALICE, 10**18), (2, BOB, 5)):
        ax, ay = keys.public_key(key)
        s.apply(Deposit(index, amount, ax, ay))
    return s


RECIPIENT_KEYS = {1: keys.public_key(ALICE), 2: keys.public_key(BOB)}


def signed(op, key=ALICE):
    recipient_key = RECIPIENT_KEYS.get(op.recipient, (0, 1)) if isinstance(op, Transfer) else None
    return sign(op, key, DOMAIN, SMALL.depth_bits, recipient_key)


def test_float40_round_trip_and_refusal_names_neighbours() -> None:
    rng = random.Random(4)
    for _ in range(500):
        amount = rng.randrange(10**rng.randrange(1, 30)) // 10**rng.randrange(0, 10) * 10**rng.randrange(0, 10)
        if float40.is_packable(amount):
            assert float40.unpack(float40.pack(amount)) == amount
        else:
            lo, hi = float40.round_down(amount), float40.round_up(amount)
            assert lo < amount < hi and float40.is_packable(lo) and float40.is_packable(hi)
    with pytest.raises(float40.NotPackable, match="nearest packable amounts are 34359738360 or 34359738370"):
        float40.pack(2**35)
    with pytest.raises(ValueError):
        float40.unpack(1 << 40)
    assert float40.unpack(float40.pack(float40.MAX_AMOUNT)) == float40.MAX_AMOUNT
    assert float40.round_up(float40.MAX_AMOUNT + 1) is None


def test_presets_and_sizes() -> None:
    assert pubdata.transfer_slot_bytes(get_preset("bench16")) == 11  # at depth 24: the <= 12-byte target
    assert pubdata.transfer_slot_bytes(SMALL) == 7
    with pytest.raises(ValueError, match="unknown zk preset"):
        get_preset("huge")
    with pytest.raises(ValueError, match="even"):
        ZkPreset("odd", 7, 1, 1, 1, 5)


def test_key_derivation_is_deterministic_per_rollup_and_registration_is_canonical() -> None:
    eth = bytes([7]) * 32
    k1 = keys.derive_l2_key(eth, 1337, "0x" + "ab" * 20)
    assert k1 == keys.derive_l2_key(eth, 1337, "0x" + "ab" * 20)
    assert k1 != keys.derive_l2_key(eth, 1, "0x" + "ab" * 20)
    assert k1 != keys.derive_l2_key(eth, 1337, "0x" + "cd" * 20)
    a = keys.public_key(k1)
    p = keys.registration_point(a)
    assert keys.key_from_registration(p) == a
    # a key with a small-order component is refused; its registration point cannot exist
    t = (0, babyjub.P - 1)  # the point of order two
    with pytest.raises(ValueError, match="small-order component"):
        keys.check_canonical(babyjub.add(a, t))
    with pytest.raises(ValueError, match="small order"):
        keys.key_from_registration(t)
    with pytest.raises(ValueError, match="not on BabyJubJub"):
        keys.key_from_registration((1, 2))


def test_apply_op_accepts_honest_operations_and_never_mutates() -> None:
    s = funded()
    root = s.root
    t = signed(Transfer(1, 2, float40.pack(10**17), 0))
    effect = apply_op(s, t)
    assert s.root == root  # pure: the state is unchanged
    assert [(i, a.balance, a.nonce) for i, a in effect.writes] == [(1, 9 * 10**17, 1), (2, 10**17 + 5, 0)]
    w = signed(Withdraw(1, 123, "0x" + "11" * 20, 0))
    assert apply_op(s, w).withdrawal == ("0x" + "11" * 20, 123)
    self_transfer = signed(Transfer(1, 1, float40.pack(5), 0))
    ((_, a), (_, b)) = apply_op(s, self_transfer).writes
    assert b.balance == 10**18 and b.nonce == 1
    assert apply_op(s, Noop()).writes == ()


@pytest.mark.parametrize("op, match", [
    (Transfer(1, 2, float40.pack(2 * 10**18), 0), "cannot send"),
    (Transfer(1, 2, 1, 5), "next nonce is 0"),
    (Transfer(1, 3, 1, 0), "recipient account 3 does not exist"),
    (Transfer(0, 2, 1, 0), "out of range"),
    (Transfer(1, 256, 1, 0), "out of range"),
    (Transfer(1, 2, 1 << 40, 0), "float40"),
    (Withdraw(1, 2 * 10**18, "0x" + "11" * 20, 0), "cannot withdraw"),
    (Withdraw(1, 0, "0x" + "11" * 20, 0), "must be in 1"),
    (Withdraw(1, 1, "0x11", 0), "20-byte address"),
    (Deposit(1, 1 << 96, 1, 2), "must be in 1"),
])
def test_apply_op_refusals_name_the_rule(op, match) -> None:
    s = funded()
    with pytest.raises(OpRefused, match=match):
        apply_op(s, op if isinstance(op, Deposit) else signed(op))


def test_signatures_bind_every_field_and_the_domain() -> None:
    s = funded()
    good = signed(Transfer(1, 2, 7, 0))
    assert apply_op(s, good).writes
    from dataclasses import replace

    for forged in (replace(good, amount=8), replace(good, recipient=1), replace(good, nonce=1),
                   signed(Transfer(1, 2, 7, 0), key=BOB)):
        with pytest.raises(OpRefused):
            apply_op(s, forged)
    other = sign(Transfer(1, 2, 7, 0), ALICE, domain_of(1, "0x" + "ab" * 20), SMALL.depth_bits, RECIPIENT_KEYS[2])
    with pytest.raises(OpRefused, match="bad signature"):
        apply_op(s, other)
    with pytest.raises(OpRefused, match="not signed"):
        apply_op(s, Transfer(1, 2, 7, 0))
    # a deposit to an existing index with another key is refused (L1 never queues one)
    bx, by = keys.public_key(BOB)
    with pytest.raises(OpRefused, match="another key"):
        apply_op(s, Deposit(1, 5, bx, by))


def test_pubdata_round_trip_and_strict_decoding() -> None:
    data = pubdata.Pubdata(1, (pubdata.PostedTransfer(1, 2, 77),), (pubdata.PostedWithdraw(3, 10**18, 0xAB),), (0,))
    raw = pubdata.encode(SMALL, data)
    assert len(raw) == pubdata.pubdata_length(SMALL)
    assert pubdata.decode(SMALL, raw) == data
    with pytest.raises(pubdata.PubdataError, match="exactly"):
        pubdata.decode(SMALL, raw + b"\0")
    bad2 = bytearray(raw)
    bad2[1 + 7 + 6] = 1  # amount byte of the second (padding) transfer slot
    with pytest.raises(pubdata.PubdataError, match="padding"):
        pubdata.decode(SMALL, bytes(bad2))
    bad3 = bytearray(raw)
    bad3[0] = SMALL.deposit_slots + 1
    with pytest.raises(pubdata.PubdataError, match="deposit slots"):
        pubdata.decode(SMALL, bytes(bad3))
    with pytest.raises(pubdata.PubdataError, match="header"):
        pubdata.decode_commit(b"\x01" * 10)
