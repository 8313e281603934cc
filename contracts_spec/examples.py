"""Small sample contracts for tests and workshops.

``Counter`` is the hello-world of storage and events, ``Vault`` holds ETH
per depositor (payable deposit, withdraw, events, a contract-to-contract
call), ``Reverter`` always fails in the ways a contract can fail, and
``Caller`` calls another contract and can swallow its revert.
"""

from __future__ import annotations

from contracts_spec.runtime import (
    Context,
    Contract,
    Revert,
    constructor,
    event,
    external,
    register,
    view,
)


@register
class Counter(Contract):
    """A number anyone can increment; emits who did it."""

    Incremented = event("Incremented(address indexed by, uint256 value)")

    @constructor("uint256")
    def init(self, ctx: Context, start: int) -> None:
        ctx.sstore("count", start)

    @external("increment(uint256)", returns="uint256")
    def increment(self, ctx: Context, by: int) -> int:
        value = ctx.sload("count") + by
        ctx.require(value < 2**256, "counter overflow")
        ctx.sstore("count", value)
        ctx.emit(self.Incremented, ctx.sender, value)
        return value

    @external("reset()")
    def reset(self, ctx: Context) -> None:
        ctx.sstore("count", 0)

    @view("count()", returns="uint256")
    def count(self, ctx: Context) -> int:
        return ctx.sload("count")


@register
class Vault(Contract):
    """ETH deposits per account; withdraw what you put in."""

    Deposited = event("Deposited(address indexed who, uint256 amount, uint256 total)")
    Withdrawn = event("Withdrawn(address indexed who, address indexed to, uint256 amount)")

    @external("deposit()", payable=True)
    def deposit(self, ctx: Context) -> None:
        ctx.require(ctx.value > 0, "deposit of zero")
        total = ctx.sload("balance", ctx.sender) + ctx.value
        ctx.sstore("balance", ctx.sender, total)
        ctx.emit(self.Deposited, ctx.sender, ctx.value, total)

    @external("withdraw(uint256,address)")
    def withdraw(self, ctx: Context, amount: int, to: str) -> None:
        have = ctx.sload("balance", ctx.sender)
        ctx.require(amount <= have, f"withdraw {amount} exceeds balance {have}")
        ctx.sstore("balance", ctx.sender, have - amount)  # effects before the interaction
        ctx.transfer(to, amount)
        ctx.emit(self.Withdrawn, ctx.sender, to, amount)

    @view("balanceOf(address)", returns="uint256")
    def balance_of(self, ctx: Context, who: str) -> int:
        return ctx.sload("balance", who)


@register
class Reverter(Contract):
    """Fails on purpose: after writing, by running out of gas, or from a view."""

    Tried = event("Tried(uint256 n)")

    @external("writeThenRevert(uint256)")
    def write_then_revert(self, ctx: Context, n: int) -> None:
        ctx.sstore("x", n)
        ctx.emit(self.Tried, n)
        raise Revert(f"always reverts (n={n})")

    @external("burn(uint256)")
    def burn(self, ctx: Context, rounds: int) -> None:
        for i in range(rounds):
            ctx.sstore("burn", i, i + 1)

    @external("set(uint256)")
    def set(self, ctx: Context, n: int) -> None:
        ctx.sstore("x", n)

    @view("x()", returns="uint256")
    def x(self, ctx: Context) -> int:
        return ctx.sload("x")

    @view("sneakyWrite()")
    def sneaky_write(self, ctx: Context) -> None:
        ctx.sstore("x", 1)


@register
class Caller(Contract):
    """Calls a Counter or Reverter, optionally catching the callee's revert."""

    @external("bump(address,uint256)", returns="uint256")
    def bump(self, ctx: Context, counter: str, by: int) -> int:
        ctx.sstore("calls", ctx.sload("calls") + 1)
        return ctx.call(counter, "increment(uint256)", by)

    @external("tryRevert(address,uint256)", returns="bool")
    def try_revert(self, ctx: Context, target: str, n: int) -> bool:
        ctx.sstore("calls", ctx.sload("calls") + 1)
        try:
            ctx.call(target, "writeThenRevert(uint256)", n)
        except Revert:
            return False
        return True

    @external("mustRevert(address,uint256)")
    def must_revert(self, ctx: Context, target: str, n: int) -> None:
        ctx.sstore("calls", ctx.sload("calls") + 1)
        ctx.call(target, "writeThenRevert(uint256)", n)

    @view("calls()", returns="uint256")
    def calls(self, ctx: Context) -> int:
        return ctx.sload("calls")
