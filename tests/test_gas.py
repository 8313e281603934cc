"""The gas schedule: constants as the EIPs give them, and as a transaction is charged."""

from __future__ import annotations

import pytest
from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address

from contracts_spec import gas as G
from contracts_spec.runtime import (
    Context,
    Contract,
    Env,
    Message,
    WorldState,
    apply_message,
    deploy_data,
    external,
    register,
)

ALICE = to_checksum_address("0x" + "a1" * 20)
BOB = to_checksum_address("0x" + "b0" * 20)
COINBASE = to_checksum_address("0x" + "cb" * 20)
ENV = Env(block_number=1, timestamp=1_000, chain_id=31337, coinbase=COINBASE)


@register
class GasProbe(Contract):
    """Touches storage in the patterns the EIPs price differently."""

    @external("readTwice()")
    def read_twice(self, ctx: Context) -> None:
        ctx.sload("a")
        ctx.sload("a")

    @external("put(uint256)")
    def put(self, ctx: Context, value: int) -> None:
        ctx.sstore("a", value)

    @external("putTwice(uint256,uint256)")
    def put_twice(self, ctx: Context, first: int, second: int) -> None:
        ctx.sstore("a", first)
        ctx.sstore("a", second)

    @external("hash(bytes)")
    def hash(self, ctx: Context, data: bytes) -> None:
        ctx.keccak(data)


def world() -> WorldState:
    w = WorldState()
    w.set_balance(ALICE, 10**21)
    w.commit()
    return w


def run(w: WorldState, to: str | None, data: bytes = b"", value: int = 0, gas: int = 1_000_000):
    msg = Message(ALICE, to, value, data, gas, gas_price=1, nonce=w.get_nonce(ALICE))
    return apply_message(w, ENV, msg)


def call_data(cls: type[Contract], name: str, *args: object) -> bytes:
    spec = cls.method(name)
    return spec.selector + abi_encode(list(spec.types), list(args))


def deploy(w: WorldState) -> str:
    out = run(w, None, deploy_data("GasProbe"))
    assert out.success, out.revert_reason
    return out.contract_address


def test_plain_transfer_costs_exactly_21000() -> None:
    assert G.intrinsic_gas(b"", is_create=False) == 21_000
    w = world()
    out = run(w, BOB, value=5, gas=21_000)
    assert out.success and out.gas_used == 21_000
    assert out.gas_breakdown == {"intrinsic": 21_000, "calldata": 0}
    assert w.get_balance(BOB) == 5
    assert w.get_balance(ALICE) == 10**21 - 5 - 21_000


def test_calldata_matches_a_hand_count() -> None:
    data = bytes([0, 0, 1, 0xFF, 0, 7])  # 3 zero bytes, 3 non-zero
    assert G.calldata_gas(data) == 3 * 4 + 3 * 16
    assert G.intrinsic_gas(data, is_create=False) == 21_000 + 60
    assert G.intrinsic_gas(data, is_create=True) == 21_000 + 32_000 + 60


def test_access_list_costs_per_address_and_key() -> None:
    access = [(ALICE, [1, 2]), (BOB, [3])]
    assert G.access_list_gas(access) == 2 * 2_400 + 3 * 1_900
    assert G.intrinsic_gas(b"", False, access) == 21_000 + 2 * 2_400 + 3 * 1_900


def test_keccak_log_and_pairing_formulas() -> None:
    assert [G.keccak_gas(n) for n in (0, 1, 32, 33, 64)] == [30, 36, 36, 42, 42]
    assert G.log_gas(0, 0) == 375
    assert G.log_gas(3, 10) == 375 + 3 * 375 + 80
    assert G.pairing_gas(4) == 45_000 + 4 * 34_000
    with pytest.raises(ValueError, match="0..4 topics"):
        G.log_gas(5, 0)
    with pytest.raises(ValueError, match="negative"):
        G.keccak_gas(-1)


@pytest.mark.parametrize(
    ("original", "current", "new", "cost", "refund"),
    [
        (0, 0, 0, 100, 0),  # no-op
        (0, 0, 5, 20_000, 0),  # set
        (5, 5, 6, 2_900, 0),  # reset
        (5, 5, 0, 2_900, 4_800),  # clear: refund
        (5, 5, 5, 100, 0),  # no-op on a non-zero slot
        (0, 5, 6, 100, 0),  # dirty slot
        (0, 5, 0, 100, 19_900),  # set then restored to zero
        (5, 6, 5, 100, 2_800),  # reset then restored
        (5, 0, 6, 100, -4_800),  # cleared then un-cleared: refund taken back
        (5, 6, 0, 100, 4_800),  # reset then cleared
    ],
)
def test_sstore_cases_eip2200_with_2929_and_3529(original, current, new, cost, refund) -> None:
    assert G.sstore_cost(original, current, new) == (cost, refund)


def test_refund_is_capped_at_a_fifth() -> None:
    assert G.capped_refund(4_800, 26_000) == 4_800
    assert G.capped_refund(19_900, 40_000) == 8_000
    assert G.capped_refund(-10, 40_000) == 0


def test_cold_then_warm_sload() -> None:
    w = world()
    probe = deploy(w)
    out = run(w, probe, call_data(GasProbe, "readTwice"))
    assert out.gas_breakdown["sload"] == 2_100 + 100


def test_sstore_set_reset_noop_and_clear_through_a_transaction() -> None:
    w = world()
    probe = deploy(w)
    data = call_data(GasProbe, "put", 7)
    set_ = run(w, probe, data)
    assert set_.gas_breakdown["sstore"] == 20_000 + 2_100  # cold slot, zero -> non-zero
    noop = run(w, probe, data)
    assert noop.gas_breakdown["sstore"] == 100 + 2_100
    reset = run(w, probe, call_data(GasProbe, "put", 8))
    assert reset.gas_breakdown["sstore"] == 2_900 + 2_100
    clear_data = call_data(GasProbe, "put", 0)
    clear = run(w, probe, clear_data)
    assert clear.gas_breakdown["sstore"] == 2_900 + 2_100
    before_refund = 21_000 + G.calldata_gas(clear_data) + 5_000
    assert clear.refund == min(4_800, before_refund // 5)
    assert clear.gas_used == before_refund - clear.refund
    assert clear.gas_breakdown["refund"] == -clear.refund


def test_dirty_slot_restored_in_one_transaction_is_refunded() -> None:
    w = world()
    probe = deploy(w)
    out = run(w, probe, call_data(GasProbe, "putTwice", 9, 0))
    # first write: set (20000 + cold 2100), second: dirty 100, refund 19900 capped at a fifth
    assert out.gas_breakdown["sstore"] == 22_100 + 100
    assert out.refund == (out.gas_used + out.refund) // 5


def test_keccak_is_metered_per_word() -> None:
    w = world()
    probe = deploy(w)
    out = run(w, probe, call_data(GasProbe, "hash", b"x" * 40))
    assert out.gas_breakdown["keccak"] == 30 + 2 * 6


def test_creation_charges_create_and_code_deposit() -> None:
    w = world()
    data = deploy_data("GasProbe")
    out = run(w, None, data)
    assert out.gas_breakdown["intrinsic"] == 21_000 + 32_000
    assert out.gas_breakdown["calldata"] == G.calldata_gas(data)
    assert out.gas_breakdown["code_deposit"] == 200 * len(b"L2LAB\x00GasProbe")
