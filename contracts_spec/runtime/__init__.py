"""The L1 contract runtime: Python contract classes, metered like the EVM.

Contracts subclass ``Contract`` and mark entry points with ``@external``,
``@view`` and ``@constructor``; ``@register`` makes them deployable by name.
Persistent state lives only in chain storage, reached through the
``Context`` each call gets, so a revert can undo it. See ``abi`` (selectors,
ABI JSON, deploy data), ``context`` (what a method may do, and the storage
key rule), ``execute`` (calls, creation, a transaction's gas and fees) and
``state`` (the journaled world state).

A contract, end to end::

    @register
    class Counter(Contract):
        Incremented = event("Incremented(address indexed by, uint256 value)")

        @constructor("uint256")
        def init(self, ctx: Context, start: int) -> None:
            ctx.sstore("count", start)

        @external("increment(uint256)", returns="uint256")
        def increment(self, ctx: Context, by: int) -> int:
            value = ctx.sload("count") + by
            ctx.sstore("count", value)
            ctx.emit(self.Incremented, ctx.sender, value)
            return value

Deploy it with a creation transaction whose data is ``deploy_data(Counter, 5)``
(or through web3 with ``bytecode(Counter)``); call it with the selector and
ABI-encoded arguments any Ethereum client produces from ``Counter.abi()``.
"""

from contracts_spec.runtime.abi import (
    REGISTRY,
    ZERO_ADDRESS,
    Contract,
    EventSpec,
    MethodSpec,
    Revert,
    bytecode,
    constructor,
    deploy_data,
    encode_revert_reason,
    event,
    external,
    get_contract_class,
    register,
    same_address,
    selector,
    view,
)
from contracts_spec.runtime.context import Context, Env, slot_of
from contracts_spec.runtime.execute import (
    Message,
    Outcome,
    apply_message,
    contract_address,
    simulate,
)
from contracts_spec.runtime.meter import GasMeter, OutOfGas
from contracts_spec.runtime.precompiles import g2_from_c0c1, g2_from_py_ecc
from contracts_spec.runtime.state import Log, WorldState

__all__ = [
    "REGISTRY",
    "ZERO_ADDRESS",
    "Context",
    "Contract",
    "Env",
    "EventSpec",
    "GasMeter",
    "Log",
    "Message",
    "MethodSpec",
    "Outcome",
    "OutOfGas",
    "Revert",
    "WorldState",
    "apply_message",
    "bytecode",
    "constructor",
    "contract_address",
    "deploy_data",
    "encode_revert_reason",
    "event",
    "external",
    "g2_from_c0c1",
    "g2_from_py_ecc",
    "get_contract_class",
    "register",
    "same_address",
    "selector",
    "simulate",
    "slot_of",
    "view",
]
