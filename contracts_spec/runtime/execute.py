"""Running messages: calls, contract creation, and a whole transaction's gas and fees.

``apply_message`` is the L1 state-transition rule for one validated
transaction: buy gas up front, charge intrinsic gas, run the call or
creation inside a checkpoint, undo it on revert or out-of-gas, refund unused
gas (and the capped EIP-3529 refund), pay the tip to the block's coinbase and
burn the base fee. Validation (signature, nonce, funds, fee caps) happens
before, in the node; this function assumes it passed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import rlp
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode

from contracts_spec import gas as G
from contracts_spec.runtime.abi import (
    DEPLOY_MAGIC,
    MethodSpec,
    Revert,
    bytecode,
    get_contract_class,
    parse_signature,
)
from contracts_spec.runtime.context import Context, Env, normalize_address
from contracts_spec.runtime.meter import GasMeter, OutOfGas
from contracts_spec.runtime.state import Log, WorldState
from contracts_spec.runtime.trace import CallFrame
from primitives.keccak import keccak256
from primitives.secp256k1 import to_checksum_address

MAX_DEPTH = 64  # nested-call limit (Ethereum allows 1024; Python's stack does not)


@dataclass
class Message:
    """A validated transaction, as execution needs it."""

    sender: str
    to: str | None
    value: int
    data: bytes
    gas: int
    gas_price: int  # effective price per gas the sender pays
    nonce: int
    access_list: tuple = ()


@dataclass
class Outcome:
    """What running a message did."""

    success: bool
    gas_used: int
    return_data: bytes = b""
    revert_reason: str | None = None
    revert_data: bytes = b""
    logs: list[Log] = field(default_factory=list)
    contract_address: str | None = None
    gas_breakdown: dict[str, int] = field(default_factory=dict)
    refund: int = 0


def contract_address(sender: str, nonce: int) -> str:
    """Ethereum's CREATE address: keccak256(rlp([sender, nonce]))[12:]."""
    return to_checksum_address(keccak256(rlp.encode([bytes.fromhex(sender[2:]), nonce]))[12:])


def parse_deploy_data(data: bytes) -> tuple[str, bytes]:
    """(contract name, ABI-encoded constructor args) of creation data; Revert if malformed."""
    if not data.startswith(DEPLOY_MAGIC):
        raise Revert("creation data must start with L2LAB\\x00 (see contracts_spec.runtime.deploy_data)")
    try:
        name, args = abi_decode(["string", "bytes"], data[len(DEPLOY_MAGIC):])
    except Exception as exc:
        raise Revert(f"bad creation data: {exc}") from None
    if not args:
        # web3's contract.constructor(...) appends the encoded arguments to the
        # "bytecode" (see abi.bytecode): take them from after the header.
        args = data[len(bytecode(name)):]
    return name, args


def _decode_args(spec: MethodSpec, payload: bytes) -> tuple:
    try:
        return tuple(abi_decode(list(spec.types), payload))
    except Exception as exc:
        raise Revert(f"bad ABI data for {spec.signature}: {exc}") from None


def _encode_returns(spec: MethodSpec, result: Any) -> bytes:
    if not spec.returns:
        return b""
    values = [result] if len(spec.returns) == 1 else list(result)
    try:
        return abi_encode(list(spec.returns), values)
    except Exception as exc:
        raise Revert(f"{spec.signature} returned a value that is not {spec.returns}: {exc}") from None


def _invoke(spec: MethodSpec, instance: Any, ctx: Context, args: tuple) -> Any:
    """Run a contract method; a Python error inside it becomes a revert naming it."""
    try:
        result = spec.func(instance, ctx, *args)
    except (Revert, OutOfGas):
        raise
    except RecursionError:
        raise Revert("call depth exceeded") from None
    except Exception as exc:
        if ctx.gas.ran_out:
            raise _swallowed(instance, spec) from None
        raise Revert(f"error in {type(instance).__name__}.{spec.name}: {type(exc).__name__}: {exc}") from None
    if ctx.gas.ran_out:
        # It caught its own OutOfGas (``except BaseException``) and went on: as on
        # the EVM, running out of gas ends the frame whatever the code does next.
        raise _swallowed(instance, spec)
    return result


def _swallowed(instance: Any, spec: MethodSpec) -> OutOfGas:
    return OutOfGas(f"{type(instance).__name__}.{spec.name}, which caught running out,", 0, 0)


def _move_value(world: WorldState, sender: str, to: str, value: int) -> None:
    if value:
        have = world.get_balance(sender)
        if have < value:
            raise Revert(f"value {value} exceeds the sender's balance {have}")
        world.add_balance(sender, -value)
        world.add_balance(to, value)


def run_call(
    world: WorldState,
    env: Env,
    *,
    sender: str,
    to: str,
    value: int,
    data: bytes,
    meter: GasMeter,
    static: bool = False,
    depth: int = 0,
) -> bytes:
    """Deliver a message to ``to``: move the value, run the contract method if any.

    On Revert the changes made here are rolled back before it propagates.
    """
    if world.tracer is not None:
        frame = CallFrame("STATICCALL" if static else "CALL", sender, to, value, bytes(data), meter.remaining,
                          *_callee(world, to, data))
        return _traced(world, frame, meter, lambda: _run_call(
            world, env, sender=sender, to=to, value=value, data=data, meter=meter, static=static, depth=depth))
    return _run_call(world, env, sender=sender, to=to, value=value, data=data, meter=meter, static=static,
                     depth=depth)


def _run_call(
    world: WorldState, env: Env, *, sender: str, to: str, value: int, data: bytes, meter: GasMeter,
    static: bool, depth: int,
) -> bytes:
    checkpoint = world.checkpoint()
    try:
        _move_value(world, sender, to, value)
        name = world.get_code(to)
        if name is None:
            return b""
        cls = get_contract_class(name)
        instance = cls(to)
        if not data:
            if cls.RECEIVES_ETH:
                return b""
            raise Revert(f"{name} does not accept plain ETH transfers (empty calldata)")
        if len(data) < 4:
            raise Revert(f"calldata of {len(data)} bytes is too short for a method selector")
        spec = cls._methods.get(bytes(data[:4]))
        if spec is None:
            raise Revert(f"unknown method selector 0x{bytes(data[:4]).hex()} for {name}")
        if value and not spec.payable:
            raise Revert(f"{spec.signature} is not payable")
        args = _decode_args(spec, bytes(data[4:]))
        ctx = Context(
            world, env, sender=sender, this=to, value=value, gas=meter,
            static=static or spec.is_view, depth=depth, nested_call=nested_call,
        )
        return _encode_returns(spec, _invoke(spec, instance, ctx, args))
    except (Revert, OutOfGas):
        # OutOfGas too: a caller may catch it and go on, and the callee's writes must not stay.
        world.rollback(checkpoint)
        raise


def run_create(
    world: WorldState, env: Env, *, sender: str, nonce: int, value: int, data: bytes, meter: GasMeter
) -> str:
    """Deploy the contract named in ``data``: constructor, then code deposit. Returns its address."""
    if world.tracer is not None:
        try:
            name: str | None = parse_deploy_data(data)[0]
        except Revert:
            name = None
        frame = CallFrame("CREATE", sender, None, value, bytes(data), meter.remaining, name, "constructor")
        return _traced(world, frame, meter, lambda: _run_create(
            world, env, sender=sender, nonce=nonce, value=value, data=data, meter=meter))
    return _run_create(world, env, sender=sender, nonce=nonce, value=value, data=data, meter=meter)


def _run_create(
    world: WorldState, env: Env, *, sender: str, nonce: int, value: int, data: bytes, meter: GasMeter
) -> str:
    checkpoint = world.checkpoint()
    try:
        name, ctor_args = parse_deploy_data(data)
        try:
            cls = get_contract_class(name)
        except KeyError as exc:
            raise Revert(str(exc.args[0])) from None
        address = contract_address(sender, nonce)
        if world.get_code(address) is not None or world.get_nonce(address):
            raise Revert(f"address collision at {address}")
        world.warm_account(address)
        world.set_nonce(address, 1)  # EIP-161: contracts start at nonce 1
        _move_value(world, sender, address, value)
        spec = cls._constructor
        if spec is None:
            if ctor_args:
                raise Revert(f"{name} has no constructor but got arguments")
            if value:
                raise Revert(f"{name} has no payable constructor")
        else:
            if value and not spec.payable:
                raise Revert(f"{name} constructor is not payable")
            args = _decode_args(spec, ctor_args)
            ctx = Context(world, env, sender=sender, this=address, value=value, gas=meter,
                          nested_call=nested_call)
            _invoke(spec, cls(address), ctx, args)
        meter.charge(G.code_deposit_gas(cls.code()), "code_deposit")
        world.set_code(address, name)
        return address
    except (Revert, OutOfGas):
        world.rollback(checkpoint)
        raise


def _callee(world: WorldState, to: str, data: bytes) -> tuple[str | None, str | None]:
    """The contract class at ``to`` and the method ``data`` selects, as far as they exist."""
    name = world.get_code(to)
    if name is None or len(data) < 4:
        return name, None
    try:
        spec = get_contract_class(name)._methods.get(bytes(data[:4]))
    except KeyError:
        return name, None
    return name, spec.signature if spec is not None else None


def _traced(world: WorldState, frame: CallFrame, meter: GasMeter, run: Callable[[], Any]) -> Any:
    """Run one call or creation as ``run`` does, telling the world's tracer where it began and ended."""
    tracer = world.tracer
    start = meter.used
    tracer.enter(frame)
    try:
        out = run()
    except Revert as exc:
        tracer.exit(frame, meter.used - start, error="execution reverted", reason=exc.reason)
        raise
    except OutOfGas as exc:
        tracer.exit(frame, meter.used - start, error=str(exc))
        raise
    if isinstance(out, str):  # a creation returns the new contract's address
        tracer.exit(frame, meter.used - start, to=out)
    else:
        tracer.exit(frame, meter.used - start, output=out)
    return out


def nested_call(ctx: Context, address: str, signature: str, args: tuple, value: int) -> Any:
    """Context.call: a contract calling another, with EIP-150's 63/64 rule and the value stipend."""
    to = normalize_address(address, "call target")
    if value and ctx.static:
        raise Revert("call with value not allowed in a view call")
    if not isinstance(value, int) or value < 0:
        raise Revert(f"call value {value!r} is not a non-negative int")
    if ctx.depth + 1 > MAX_DEPTH:
        raise Revert("call depth exceeded")
    try:
        name, types = parse_signature(signature)
        data = keccak256(f"{name}({','.join(types)})".encode())[:4] + abi_encode(types, list(args))
    except Exception as exc:
        raise Revert(f"cannot encode call {signature}: {exc}") from None
    cold = ctx.world.warm_account(to)
    ctx.gas.charge(G.G_COLD_ACCOUNT_ACCESS if cold else G.G_WARM_ACCESS, "call")
    stipend = 0
    if value:
        ctx.gas.charge(G.G_CALL_VALUE + (G.G_NEW_ACCOUNT if ctx.world.is_empty(to) else 0), "call")
        stipend = G.G_CALL_STIPEND
    available = ctx.gas.remaining - ctx.gas.remaining // 64
    child = GasMeter(available + stipend)
    try:
        out = run_call(
            ctx.world, ctx.env, sender=ctx.this, to=to, value=value, data=data,
            meter=child, static=ctx.static, depth=ctx.depth + 1,
        )
    finally:
        ctx.gas.absorb(child, discount=min(stipend, child.used))
    contract = ctx.world.get_code(to)
    if contract is None:
        return None
    spec = get_contract_class(contract)._methods[data[:4]]
    if not spec.returns:
        return None
    values = abi_decode(list(spec.returns), out)
    return values[0] if len(values) == 1 else tuple(values)


def apply_message(world: WorldState, env: Env, msg: Message) -> Outcome:
    """Apply one validated transaction to ``world`` (see the module doc)."""
    world.begin_transaction()
    sender, is_create = msg.sender, msg.to is None
    world.add_balance(sender, -msg.gas * msg.gas_price)  # buy all gas up front
    world.set_nonce(sender, msg.nonce + 1)
    _warm_up(world, env, msg)

    meter = GasMeter(msg.gas)
    meter.charge(G.G_TX + (G.G_TXCREATE if is_create else 0), "intrinsic")
    meter.charge(G.calldata_gas(msg.data), "calldata")
    if msg.access_list:
        meter.charge(G.access_list_gas(msg.access_list), "access_list")

    out = Outcome(success=True, gas_used=0)
    checkpoint = world.checkpoint()
    try:
        if is_create:
            out.contract_address = run_create(
                world, env, sender=sender, nonce=msg.nonce, value=msg.value, data=msg.data, meter=meter
            )
        else:
            assert msg.to is not None
            out.return_data = run_call(
                world, env, sender=sender, to=msg.to, value=msg.value, data=msg.data, meter=meter
            )
    except Revert as exc:
        world.rollback(checkpoint)
        out.success, out.revert_reason, out.revert_data = False, exc.reason, exc.data
    except OutOfGas as exc:
        world.rollback(checkpoint)
        meter.exhaust()
        out.success, out.revert_reason = False, str(exc)

    refund = G.capped_refund(world.refund, meter.used) if out.success else 0
    out.refund = refund
    out.gas_used = meter.used - refund
    out.gas_breakdown = dict(meter.breakdown)
    if refund:
        out.gas_breakdown["refund"] = -refund
    out.logs = list(world.logs) if out.success else []
    world.add_balance(sender, (msg.gas - out.gas_used) * msg.gas_price)
    tip = max(0, msg.gas_price - env.base_fee)
    if tip:
        world.add_balance(env.coinbase, out.gas_used * tip)
    return out


def _warm_up(world: WorldState, env: Env, msg: Message) -> None:
    """What a transaction starts with warm (EIP-2929): sender, recipient, the
    coinbase (EIP-3651) and everything its access list (EIP-2930) names."""
    world.warm_account(msg.sender)
    world.warm_account(env.coinbase)
    if msg.to is not None:
        world.warm_account(msg.to)
    for address, slots in msg.access_list:
        world.warm_account(address)
        for slot in slots:
            world.warm_slot(address, slot)


def simulate(world: WorldState, env: Env, msg: Message) -> Outcome:
    """Run a message without fees and without keeping any change (eth_call)."""
    world.begin_transaction()
    start = world.checkpoint()
    _warm_up(world, env, msg)  # as apply_message does, so estimates match
    meter = GasMeter(msg.gas)
    out = Outcome(success=True, gas_used=0)
    try:
        meter.charge(G.intrinsic_gas(msg.data, msg.to is None, msg.access_list), "intrinsic")
        if msg.to is None:
            nonce = world.get_nonce(msg.sender)
            out.contract_address = run_create(
                world, env, sender=msg.sender, nonce=nonce, value=msg.value, data=msg.data, meter=meter
            )
        else:
            out.return_data = run_call(
                world, env, sender=msg.sender, to=msg.to, value=msg.value, data=msg.data, meter=meter
            )
    except Revert as exc:
        out.success, out.revert_reason, out.revert_data = False, exc.reason, exc.data
    except OutOfGas as exc:
        meter.exhaust()
        out.success, out.revert_reason = False, str(exc)
    finally:
        out.gas_used = meter.used
        out.gas_breakdown = dict(meter.breakdown)
        out.logs = list(world.logs)
        world.rollback(start)
        world.begin_transaction()
    return out
