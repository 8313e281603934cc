"""Contracts that misbehave: each failure reverts with a reason, charges gas and changes nothing else.

``QaAbuse`` fails in every way a Python contract can -- a Python error, endless
recursion (through ``ctx.call`` and through Python itself), storage keys of
odd types, a wrong-arity event, sending more ETH than it holds, and
swallowing its own out-of-gas -- after first writing storage and emitting a
log, so the test can see both undone.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account

from contracts_spec.runtime import (
    Context,
    Contract,
    OutOfGas,
    Revert,
    deploy_data,
    event,
    external,
    register,
    slot_of,
)
from contracts_spec.runtime import view as view_method
from node.chain import COINBASE, Chain

KEY = b"\x31" * 32
ALICE = Account.from_key(KEY).address
ETH = 10**18


@register
class QaAbuse(Contract):
    """Misbehaves on request; every method writes and logs before it fails."""

    Pair = event("Pair(uint256 a, uint256 b)")

    def _scribble(self, ctx: Context) -> None:
        ctx.sstore("scribble", ctx.sload("scribble") + 1)
        ctx.emit(self.Pair, 1, 2)

    @external("fund()", payable=True)
    def fund(self, ctx: Context) -> None:
        ctx.sstore("funded", ctx.sload("funded") + ctx.value)

    @external("boom()")
    def boom(self, ctx: Context) -> None:
        self._scribble(ctx)
        _ = 1 // 0

    @external("recurse(uint256)")
    def recurse(self, ctx: Context, n: int) -> None:
        self._scribble(ctx)
        ctx.call(ctx.this, "recurse(uint256)", n + 1)

    @external("pyRecurse(uint256)")
    def py_recurse(self, ctx: Context, n: int) -> None:
        self._scribble(ctx)

        def down(i: int) -> int:
            return down(i + 1) + 1

        down(n)

    @external("badKey(uint256)")
    def bad_key(self, ctx: Context, kind: int) -> None:
        self._scribble(ctx)
        key: Any = [1.5, None, [1], -1, 2**256, object(), {"a": 1}][kind]
        ctx.sstore("m", key, 7)

    @external("badValue(uint256)")
    def bad_value(self, ctx: Context, kind: int) -> None:
        self._scribble(ctx)
        ctx.sstore("v", [-1, 2**256, 1.5, "7", None][kind])

    @external("badEmit(uint256)")
    def bad_emit(self, ctx: Context, kind: int) -> None:
        self._scribble(ctx)
        if kind == 0:
            ctx.emit(self.Pair, 1)
        elif kind == 1:
            ctx.emit(self.Pair, 1, 2, 3)
        else:
            ctx.emit(self.Pair, "x", -1)

    @external("overdraw(uint256)")
    def overdraw(self, ctx: Context, extra: int) -> None:
        self._scribble(ctx)
        ctx.transfer(ctx.sender, ctx.self_balance + extra)

    @external("swallowOutOfGas()")
    def swallow_out_of_gas(self, ctx: Context) -> None:
        self._scribble(ctx)
        try:
            i = 0
            while True:
                ctx.sstore("burn", i, 1)
                i += 1
        except BaseException:  # noqa: BLE001 - the abuse under test
            pass

    @external("swallowChildOutOfGas()")
    def swallow_child_out_of_gas(self, ctx: Context) -> None:
        """Catch a callee's out-of-gas and go on: the callee's writes must still be undone."""
        try:
            ctx.call(ctx.this, "swallowOutOfGas()")
        except (Revert, OutOfGas):
            pass
        ctx.sstore("after", 1)

    @external("wrongReturn()", returns="uint256")
    def wrong_return(self, ctx: Context) -> Any:
        self._scribble(ctx)
        return "not a number"

    @view_method("scribble()", returns="uint256")
    def scribble(self, ctx: Context) -> int:
        return ctx.sload("scribble")


def sign(chain: Chain, to: str | None, data: bytes, *, gas: int = 3_000_000, value: int = 0) -> bytes:
    tx = {
        "type": 2, "chainId": chain.chain_id, "nonce": chain.get_nonce(ALICE, pending=True), "value": value,
        "data": data, "gas": gas, "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 2 * chain.base_fee() + 10**9,
    }
    if to is not None:
        tx["to"] = to
    return bytes(Account.sign_transaction(tx, KEY).raw_transaction)


def call_data(name: str, *args: object) -> bytes:
    spec = QaAbuse.method(name)
    return spec.selector + abi_encode(list(spec.types), list(args))


@pytest.fixture(scope="module")
def setup() -> tuple[Chain, str]:
    chain = Chain(genesis_alloc={ALICE: 100 * ETH}, genesis_timestamp=1_700_000_000)
    receipt = chain.get_receipt(chain.send_raw_transaction(sign(chain, None, deploy_data(QaAbuse))))
    assert receipt.status == 1, receipt.revert_reason
    address = receipt.contract_address
    funded = chain.get_receipt(chain.send_raw_transaction(sign(chain, address, call_data("fund"), value=ETH)))
    assert funded.status == 1, funded.revert_reason
    return chain, address


def contract_state(chain: Chain, address: str) -> tuple:
    w = chain.world
    return w.get_balance(address), sorted(w.storage.get(address, {}).items()), w.get_nonce(address)


ABUSES = [
    ("boom", (), "ZeroDivisionError"),
    ("recurse", (0,), "call depth exceeded"),
    ("pyRecurse", (0,), "call depth exceeded"),
    *[("badKey", (k,), what) for k, what in enumerate(
        ["type float", "type NoneType", "type list", "outside uint256", "outside uint256", "type object", "type dict"]
    )],
    *[("badValue", (k,), "is not a uint256") for k in range(5)],
    ("badEmit", (0,), "takes 2 values, got 1"),
    ("badEmit", (1,), "takes 2 values, got 3"),
    ("badEmit", (2,), "Pair"),
    ("overdraw", (1,), "exceeds the contract balance"),
    ("swallowOutOfGas", (), "out of gas"),
    ("wrongReturn", (), "not ('uint256',)"),
]


@pytest.mark.parametrize(("method", "args", "reason"), ABUSES, ids=[f"{a[0]}{a[1]}" for a in ABUSES])
def test_abuse_reverts_with_reason_charges_gas_and_changes_nothing_else(setup, method, args, reason) -> None:
    chain, address = setup
    gas = 3_000_000
    before_contract = contract_state(chain, address)
    before_alice, nonce = chain.get_balance(ALICE), chain.get_nonce(ALICE)
    before_coinbase = chain.get_balance(COINBASE)
    receipt = chain.get_receipt(chain.send_raw_transaction(sign(chain, address, call_data(method, *args), gas=gas)))
    assert receipt.status == 0
    assert reason in (receipt.revert_reason or ""), receipt.revert_reason
    assert receipt.logs == []
    assert contract_state(chain, address) == before_contract
    assert chain.get_nonce(ALICE) == nonce + 1
    assert receipt.gas_used > 21_000
    if "out of gas" in reason:
        assert receipt.gas_used == gas  # out of gas spends the whole limit
    block = chain.get_block(receipt.block_number)
    paid = receipt.gas_used * receipt.effective_gas_price
    assert chain.get_balance(ALICE) == before_alice - paid
    tip = receipt.gas_used * (receipt.effective_gas_price - block.base_fee)
    assert chain.get_balance(COINBASE) == before_coinbase + tip


def test_a_swallowed_child_out_of_gas_still_undoes_the_child(setup) -> None:
    """A caller may go on after its callee ran out of gas, but the callee's writes and logs are gone."""
    chain, address = setup
    scribble_before = chain.world.get_storage(address, slot_of("scribble"))
    receipt = chain.get_receipt(chain.send_raw_transaction(sign(chain, address, call_data("swallowChildOutOfGas"))))
    assert receipt.status == 1, receipt.revert_reason
    storage = chain.world.storage.get(address, {})
    assert all(storage.get(slot_of("burn", i), 0) == 0 for i in range(50)), "the callee's writes survived"
    assert chain.world.get_storage(address, slot_of("scribble")) == scribble_before
    assert chain.world.get_storage(address, slot_of("after")) == 1
    assert receipt.logs == []
