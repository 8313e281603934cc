"""The contract runtime: dispatch, reverts, gas exhaustion, events, nested calls, precompiles."""

from __future__ import annotations

import pytest
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st
from py_ecc import optimized_bn128 as bn

from contracts_spec.examples import Caller, Counter, Reverter, Vault
from contracts_spec.runtime import (
    Context,
    Contract,
    Env,
    Message,
    Revert,
    WorldState,
    apply_message,
    contract_address,
    deploy_data,
    event,
    external,
    g2_from_py_ecc,
    register,
    simulate,
    slot_of,
    view,
)
from contracts_spec.runtime.abi import encode_revert_reason
from primitives import secp256k1
from primitives.keccak import keccak256

ALICE = to_checksum_address("0x" + "a1" * 20)
BOB = to_checksum_address("0x" + "b0" * 20)
COINBASE = to_checksum_address("0x" + "cb" * 20)
ENV = Env(block_number=7, timestamp=1_000, chain_id=31337, coinbase=COINBASE)


@register
class CryptoProbe(Contract):
    """Exercises the metered precompiles."""

    @view("signer(bytes32,bytes)", returns="address")
    def signer(self, ctx: Context, digest: bytes, sig: bytes) -> str:
        return ctx.ecrecover(digest, sig) or "0x" + "00" * 20

    @view("pairs(uint256)", returns="bool")
    def pairs(self, ctx: Context, k: int) -> bool:
        g1 = (1, 2)
        neg = (1, bn.field_modulus - 2)
        g2 = g2_from_py_ecc(bn.G2)
        return ctx.bn254_pairing([(ctx.bn254_mul(g1, k), g2), (ctx.bn254_mul(neg, k), g2)])

    @view("badPoint()", returns="uint256")
    def bad_point(self, ctx: Context) -> int:
        return ctx.bn254_add((1, 3), (1, 2))[0]

    @view("env()", returns="uint256,uint256,uint256,address")
    def env(self, ctx: Context) -> tuple:
        return ctx.block_number, ctx.timestamp, ctx.chain_id, ctx.origin


@register
class Greedy(Contract):
    """Tries to swallow running out of gas."""

    @external("swallow(uint256)")
    def swallow(self, ctx: Context, n: int) -> None:
        try:
            for i in range(n):
                ctx.sstore("g", i, i + 1)
        except Exception:  # noqa: BLE001 - the point of the test
            ctx.sstore("caught", 1)


@register
class Forwarder(Contract):
    """Takes plain ETH and forwards it into a Vault; dives into itself to test depth."""

    RECEIVES_ETH = True

    @external("forward(address)")
    def forward(self, ctx: Context, vault: str) -> None:
        ctx.call(vault, "deposit()", value=ctx.self_balance)

    @external("dive(uint256)", returns="uint256")
    def dive(self, ctx: Context, n: int) -> int:
        return 0 if n == 0 else 1 + ctx.call(ctx.this, "dive(uint256)", n - 1)


def world() -> WorldState:
    w = WorldState()
    w.set_balance(ALICE, 10**21)
    w.commit()
    return w


def run(w: WorldState, to: str | None, data: bytes = b"", value: int = 0, gas: int = 2_000_000):
    msg = Message(ALICE, to, value, data, gas, gas_price=1, nonce=w.get_nonce(ALICE))
    return apply_message(w, ENV, msg)


def enc(cls: type[Contract], name: str, *args: object) -> bytes:
    spec = cls.method(name)
    return spec.selector + abi_encode(list(spec.types), list(args))


def view_call(w: WorldState, to: str, data: bytes):
    return simulate(w, ENV, Message(ALICE, to, 0, data, 10_000_000, gas_price=0, nonce=0))


def deploy(w: WorldState, name: str, *args: object) -> str:
    out = run(w, None, deploy_data(name, *args))
    assert out.success, out.revert_reason
    return out.contract_address


def test_counter_increments_and_returns_abi_encoded_value() -> None:
    w = world()
    counter = deploy(w, "Counter", 5)
    out = run(w, counter, enc(Counter, "increment", 3))
    assert out.success
    assert abi_decode(["uint256"], out.return_data) == (8,)
    assert w.get_storage(counter, slot_of("count")) == 8


def test_create_address_follows_ethereum_rlp_rule() -> None:
    # A published CREATE vector: sender 0x6ac7...dbf0 with nonce 0.
    sender = to_checksum_address("0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0")
    assert contract_address(sender, 0) == to_checksum_address("0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d")
    w = world()
    assert deploy(w, "Counter", 0) == contract_address(ALICE, 0)


def test_storage_key_rule() -> None:
    assert slot_of("count") == int.from_bytes(keccak256(keccak256(b"count")), "big")
    addr_part = bytes(12) + bytes.fromhex(BOB[2:])
    assert slot_of("balance", BOB) == int.from_bytes(keccak256(keccak256(b"balance") + addr_part), "big")
    assert slot_of(1) == int.from_bytes(keccak256((1).to_bytes(32, "big")), "big")
    with pytest.raises(Revert, match="outside uint256"):
        slot_of(-1)
    with pytest.raises(Revert, match="not supported"):
        slot_of(1.5)


def test_revert_rolls_back_storage_and_logs_but_charges_gas() -> None:
    w = world()
    r = deploy(w, "Reverter")
    assert run(w, r, enc(Reverter, "set", 4)).success
    before = w.get_balance(ALICE)
    nonce = w.get_nonce(ALICE)
    out = run(w, r, enc(Reverter, "writeThenRevert", 9))
    assert not out.success
    assert out.revert_reason == "always reverts (n=9)"
    assert out.revert_data == encode_revert_reason("always reverts (n=9)")
    assert out.logs == []
    assert w.get_storage(r, slot_of("x")) == 4
    assert out.gas_used > 21_000
    assert w.get_balance(ALICE) == before - out.gas_used
    assert w.get_nonce(ALICE) == nonce + 1


def test_out_of_gas_consumes_everything_and_changes_nothing() -> None:
    w = world()
    r = deploy(w, "Reverter")
    before = w.get_balance(ALICE)
    out = run(w, r, enc(Reverter, "burn", 50), gas=80_000)
    assert not out.success and "out of gas" in out.revert_reason
    assert out.gas_used == 80_000
    assert out.gas_breakdown["out_of_gas"] > 0
    assert sum(out.gas_breakdown.values()) == 80_000
    assert w.get_storage(r, slot_of("burn", 0)) == 0
    assert w.get_balance(ALICE) == before - 80_000


def test_out_of_gas_cannot_be_caught_by_a_contract() -> None:
    w = world()
    g = deploy(w, "Greedy")
    out = run(w, g, enc(Greedy, "swallow", 50), gas=100_000)
    assert not out.success and out.gas_used == 100_000
    assert w.get_storage(g, slot_of("caught")) == 0


def test_value_to_non_payable_method_reverts_and_value_stays() -> None:
    w = world()
    counter = deploy(w, "Counter", 0)
    out = run(w, counter, enc(Counter, "increment", 1), value=10)
    assert not out.success and out.revert_reason == "increment(uint256) is not payable"
    assert w.get_balance(counter) == 0


def test_bad_abi_data_names_the_method() -> None:
    w = world()
    counter = deploy(w, "Counter", 0)
    out = run(w, counter, Counter.method("increment").selector + b"\x01\x02")
    assert not out.success
    assert out.revert_reason.startswith("bad ABI data for increment(uint256)")


def test_unknown_and_short_selectors() -> None:
    w = world()
    counter = deploy(w, "Counter", 0)
    out = run(w, counter, bytes.fromhex("deadbeef"))
    assert out.revert_reason == "unknown method selector 0xdeadbeef for Counter"
    out = run(w, counter, b"\x01\x02")
    assert "too short" in out.revert_reason
    out = run(w, counter, b"", value=1)
    assert "does not accept plain ETH" in out.revert_reason


def test_unknown_contract_and_bad_deploy_data() -> None:
    w = world()
    from eth_abi import encode

    out = run(w, None, b"L2LAB\x00" + encode(["string", "bytes"], ["NoSuchThing", b""]))
    assert not out.success and "unknown contract 'NoSuchThing'" in out.revert_reason
    out = run(w, None, b"\x60\x80")
    assert not out.success and "must start with L2LAB" in out.revert_reason
    assert w.code == {}
    with pytest.raises(TypeError, match="takes 1 arguments"):
        deploy_data("Counter")


def test_vault_deposit_withdraw_and_indexed_events_decode() -> None:
    w = world()
    vault = deploy(w, "Vault")
    out = run(w, vault, enc(Vault, "deposit"), value=1_000)
    assert out.success
    (log,) = out.logs
    assert log.topics[0] == keccak256(b"Deposited(address,uint256,uint256)")
    assert abi_decode(["address"], log.topics[1])[0] == ALICE.lower()
    assert abi_decode(["uint256", "uint256"], log.data) == (1_000, 1_000)
    out = run(w, vault, enc(Vault, "withdraw", 400, BOB))
    assert out.success, out.revert_reason
    assert w.get_balance(BOB) == 400 and w.get_balance(vault) == 600
    assert out.gas_breakdown["call"] == 9_000 + 25_000  # value to a new account
    topics = out.logs[0].topics
    assert [abi_decode(["address"], t)[0] for t in topics[1:]] == [ALICE.lower(), BOB.lower()]
    out = run(w, vault, enc(Vault, "withdraw", 601, BOB))
    assert not out.success and out.revert_reason == "withdraw 601 exceeds balance 600"
    assert w.get_balance(vault) == 600


def test_nested_call_revert_caught_keeps_caller_writes_only() -> None:
    w = world()
    r = deploy(w, "Reverter")
    caller = deploy(w, "Caller")
    out = run(w, caller, enc(Caller, "tryRevert", r, 5))
    assert out.success
    assert abi_decode(["bool"], out.return_data) == (False,)
    assert w.get_storage(caller, slot_of("calls")) == 1
    assert w.get_storage(r, slot_of("x")) == 0
    assert out.logs == []


def test_nested_call_revert_uncaught_reverts_everything() -> None:
    w = world()
    r = deploy(w, "Reverter")
    caller = deploy(w, "Caller")
    out = run(w, caller, enc(Caller, "mustRevert", r, 5))
    assert not out.success and out.revert_reason == "always reverts (n=5)"
    assert w.get_storage(caller, slot_of("calls")) == 0


def test_nested_call_returns_decoded_value_and_sender_is_the_caller() -> None:
    w = world()
    counter = deploy(w, "Counter", 1)
    caller = deploy(w, "Caller")
    out = run(w, caller, enc(Caller, "bump", counter, 2))
    assert out.success
    assert abi_decode(["uint256"], out.return_data) == (3,)
    (log,) = out.logs
    assert log.address == counter
    assert abi_decode(["address"], log.topics[1])[0] == caller.lower()


def test_view_cannot_write() -> None:
    w = world()
    r = deploy(w, "Reverter")
    out = view_call(w, r, enc(Reverter, "sneakyWrite"))
    assert not out.success and out.revert_reason == "sstore not allowed in a view call"


def test_simulate_changes_nothing() -> None:
    w = world()
    counter = deploy(w, "Counter", 1)
    out = view_call(w, counter, enc(Counter, "increment", 5))
    assert out.success and abi_decode(["uint256"], out.return_data) == (6,)
    assert w.get_storage(counter, slot_of("count")) == 1


def test_abi_json_is_what_web3_encodes_with() -> None:
    from web3 import Web3

    abi = Counter.abi()
    ctor = next(e for e in abi if e["type"] == "constructor")
    assert ctor["inputs"] == [{"name": "start", "type": "uint256"}]
    ev = next(e for e in abi if e["type"] == "event")
    assert [p["indexed"] for p in ev["inputs"]] == [True, False]
    contract = Web3().eth.contract(abi=abi)
    assert bytes.fromhex(contract.encode_abi("increment", [3])[2:]) == enc(Counter, "increment", 3)


def test_declaration_errors_are_caught_at_definition() -> None:
    with pytest.raises(TypeError, match="bad ABI type 'uint7'"):
        external("f(uint7)")(lambda self, ctx, x: None)
    with pytest.raises(TypeError, match="signature has 1 arguments"):
        external("f(uint256)")(lambda self, ctx: None)
    with pytest.raises(TypeError, match="at most 3 indexed"):
        event("E(uint256 indexed a, uint256 indexed b, uint256 indexed c, uint256 indexed d)")


def test_ecrecover_and_env_through_a_view() -> None:
    w = world()
    probe = deploy(w, "CryptoProbe")
    key = b"\x07" * 32
    digest = keccak256(b"hello")
    sig = secp256k1.sign(digest, key)
    out = view_call(w, probe, enc(CryptoProbe, "signer", digest, sig))
    signer = secp256k1.recover(digest, sig)
    assert abi_decode(["address"], out.return_data)[0] == signer.lower()
    assert out.gas_breakdown["ecrecover"] == 3_000
    bad = sig[:64] + bytes([5])
    out = view_call(w, probe, enc(CryptoProbe, "signer", digest, bad))
    assert abi_decode(["address"], out.return_data)[0] == "0x" + "00" * 20
    out = view_call(w, probe, enc(CryptoProbe, "env"))
    assert abi_decode(["uint256", "uint256", "uint256", "address"], out.return_data)[:3] == (7, 1_000, 31337)


def test_bn254_pairing_and_bad_points() -> None:
    w = world()
    probe = deploy(w, "CryptoProbe")
    out = view_call(w, probe, enc(CryptoProbe, "pairs", 5))
    assert out.success, out.revert_reason
    assert abi_decode(["bool"], out.return_data) == (True,)
    assert out.gas_breakdown["bn254_pairing"] == 45_000 + 2 * 34_000
    assert out.gas_breakdown["bn254_mul"] == 2 * 6_000
    out = view_call(w, probe, enc(CryptoProbe, "badPoint"))
    assert not out.success and "not on the curve" in out.revert_reason


def test_bn254_precompile_math() -> None:
    from contracts_spec.runtime import precompiles as pc

    g2 = g2_from_py_ecc(bn.G2)
    assert pc.bn254_pairing([((1, 2), g2), ((1, 2), g2)]) is False
    assert pc.bn254_pairing([]) is True
    assert pc.g2_from_c0c1(((g2[0][1], g2[0][0]), (g2[1][1], g2[1][0]))) == g2
    two = pc.bn254_add((1, 2), (1, 2))
    assert two == pc.bn254_mul((1, 2), 2)
    assert pc.bn254_add(two, (0, 0)) == two
    assert pc.bn254_mul((1, 2), bn.curve_order) == (0, 0)
    (xi, xr), (yi, yr) = g2
    with pytest.raises(ValueError, match="not on the twist"):
        pc.bn254_pairing([((1, 2), ((xi, xr), (yi, yr + 1)))])
    with pytest.raises(ValueError, match="field element"):
        pc.bn254_add((bn.field_modulus, 0), (1, 2))


journal_ops = st.lists(
    st.tuples(
        st.sampled_from(["bal", "nonce", "slot", "code", "warm", "refund", "checkpoint"]),
        st.sampled_from([ALICE, BOB, COINBASE]),
        st.integers(min_value=0, max_value=3),
        st.integers(min_value=0, max_value=5),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(journal_ops, st.data())
def test_rollback_restores_exactly_the_checkpointed_state(ops, data) -> None:
    w = world()
    w.set_storage(ALICE, 1, 9)
    w.commit()
    checkpoints = []
    for kind, addr, slot, value in ops:
        if kind == "checkpoint":
            checkpoints.append((w.checkpoint(), w.copy_state(), set(w.warm_slots), w.refund))
        elif kind == "bal":
            w.set_balance(addr, value)
        elif kind == "nonce":
            w.set_nonce(addr, value)
        elif kind == "slot":
            w.set_storage(addr, slot, value)
        elif kind == "code":
            w.set_code(addr, f"C{value}")
        elif kind == "warm":
            w.warm_slot(addr, slot)
        else:
            w.add_refund(value)
    if checkpoints:
        point, state, warm, refund = data.draw(st.sampled_from(checkpoints))
        w.rollback(point)
        assert _normal(w.copy_state()) == _normal(state)
        assert w.warm_slots == warm and w.refund == refund


def _normal(state: tuple) -> tuple:
    balances, nonces, code, storage = state
    return balances, nonces, code, {a: s for a, s in storage.items() if s}


def test_plain_eth_to_a_receiving_contract_and_a_value_call_with_stipend() -> None:
    w = world()
    fwd = deploy(w, "Forwarder")
    vault = deploy(w, "Vault")
    assert run(w, fwd, b"", value=500).success
    assert w.get_balance(fwd) == 500
    out = run(w, fwd, enc(Forwarder, "forward", vault))
    assert out.success, out.revert_reason
    assert w.get_balance(vault) == 500 and w.get_balance(fwd) == 0
    assert w.get_storage(vault, slot_of("balance", fwd)) == 500
    # cold account 2600 + value 9000, less the 2300 stipend the callee got for free
    assert out.gas_breakdown["call"] == 2_600 + 9_000 - 2_300
    assert sum(out.gas_breakdown.values()) == out.gas_used


def test_call_depth_is_limited_with_a_clean_revert() -> None:
    w = world()
    fwd = deploy(w, "Forwarder")
    out = run(w, fwd, enc(Forwarder, "dive", 10), gas=5_000_000)
    assert out.success and abi_decode(["uint256"], out.return_data) == (10,)
    out = run(w, fwd, enc(Forwarder, "dive", 200), gas=29_000_000)
    assert not out.success and out.revert_reason == "call depth exceeded"


def test_bn254_pairing_agrees_with_py_ecc_pairings_multiplied() -> None:
    """The precompile's one shared Miller loop gives py_ecc's answer, for products that are one and not."""
    import random

    from py_ecc import optimized_bn128 as bn

    from contracts_spec.runtime import precompiles as pc

    def g1(k: int) -> tuple[int, int]:
        x, y = bn.normalize(bn.multiply(bn.G1, k))
        return int(x), int(y)

    def g2(k: int) -> tuple[tuple[int, int], tuple[int, int]]:
        x, y = bn.normalize(bn.multiply(bn.G2, k))
        return (int(x.coeffs[1]), int(x.coeffs[0])), (int(y.coeffs[1]), int(y.coeffs[0]))

    def by_py_ecc(pairs: list) -> bool:
        acc = bn.FQ12.one()
        for (a, b), k in pairs:
            acc *= bn.pairing(bn.multiply(bn.G2, k), bn.multiply(bn.G1, a * b), final_exponentiate=False)
        return bn.final_exponentiate(acc) == bn.FQ12.one()

    rng = random.Random(5)
    for _ in range(3):
        a, b, c = (rng.randrange(1, 2**64) for _ in range(3))
        # e(aG1, bG2) · e(-(ab/c)G1, cG2) is one when the scalars cancel; one off, it is not.
        n = bn.curve_order
        cancel = (-a * b * pow(c, -1, n)) % n
        for off in (0, 1):
            pairs = [(g1(a), g2(b)), (g1((cancel + off) % n), g2(c))]
            assert pc.bn254_pairing(pairs) is (off == 0)
            assert by_py_ecc([((a, 1), b), (((cancel + off) % n, 1), c)]) is (off == 0)
