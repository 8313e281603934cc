"""The L1 contract runtime: Python contract classes, metered like the EVM.

Contracts subclass ``Contract`` and mark entry points with ``@external``,
``@view`` and ``@constructor``; ``@register`` makes them deployable by name.
Persistent state lives only in chain storage, reached through the
``Context`` each call gets, so a revert can undo it. See ``abi`` (selectors,
ABI JSON, deploy data), ``context`` (what a method may do, and the storage
key rule), ``execute`` (calls, creation, a transaction's gas and fees) and
``state`` (the journaled world state).
"""

from contracts_spec.runtime.abi import (
    REGISTRY,
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
    "selector",
    "simulate",
    "slot_of",
    "view",
]
