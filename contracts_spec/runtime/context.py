"""``Context``: everything a contract method may see and do, each action metered.

Storage keys: ``ctx.sload(*key)`` and ``ctx.sstore(*key, value)`` name a slot
by one or more key parts. Each part becomes 32 bytes -- an int (0..2**256-1)
big-endian, an address string (``0x`` + 40 hex) or 20-byte value left-padded,
a 32-byte ``bytes`` as is, any other ``str``/``bytes`` as its keccak256 -- and
the slot is ``keccak256(concatenation)`` as a 256-bit int. So ``("balance",
addr)`` is a mapping entry and ``("count",)`` a plain variable, without
collisions between them. Slot values are uint256 ints; helpers store
addresses, bytes32 and bools.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from contracts_spec import gas as G
from contracts_spec.runtime import precompiles
from contracts_spec.runtime.abi import EventSpec, Revert
from contracts_spec.runtime.meter import GasMeter
from contracts_spec.runtime.state import Log, WorldState
from primitives.keccak import keccak256
from primitives.secp256k1 import to_checksum_address
from primitives.snark.field import R as BN254_R
from primitives.snark.poseidon import poseidon

UINT256_MAX = 2**256 - 1
_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class Env:
    """The block and transaction a call runs in."""

    block_number: int
    timestamp: int
    chain_id: int
    coinbase: str
    base_fee: int = 0
    gas_price: int = 0
    origin: str = "0x0000000000000000000000000000000000000000"
    block_gas_limit: int = 30_000_000


def _is_address(s: str) -> bool:
    return len(s) == 42 and s[:2] in ("0x", "0X") and set(s[2:]) <= _HEX


def _key_part(part: Any) -> bytes:
    if isinstance(part, bool):
        part = int(part)
    if isinstance(part, int):
        if not 0 <= part <= UINT256_MAX:
            raise Revert(f"storage key part {part} is outside uint256")
        return part.to_bytes(32, "big")
    if isinstance(part, str):
        if _is_address(part):
            return bytes.fromhex(part[2:]).rjust(32, b"\0")
        return keccak256(part.encode())
    if isinstance(part, (bytes, bytearray)):
        return bytes(part) if len(part) == 32 else keccak256(bytes(part))
    raise Revert(f"storage key part of type {type(part).__name__} is not supported")


def slot_of(*key: Any) -> int:
    """The 256-bit storage slot a key (one or more parts) names; see the module doc."""
    if not key:
        raise Revert("storage key needs at least one part")
    return int.from_bytes(keccak256(b"".join(_key_part(p) for p in key)), "big")


def normalize_address(value: Any, what: str = "address") -> str:
    """A checksummed address from a hex string or 20 bytes; Revert naming ``what`` otherwise."""
    try:
        if isinstance(value, (bytes, bytearray)) and len(value) == 20:
            return to_checksum_address(bytes(value))
        if isinstance(value, str) and _is_address(value):
            return to_checksum_address(value)
    except ValueError:
        pass
    raise Revert(f"{what}: not an address: {value!r}")


NestedCall = Callable[["Context", str, str, tuple, int], Any]


class Context:
    """The view a running contract method has of the chain; every effect is metered."""

    def __init__(
        self,
        world: WorldState,
        env: Env,
        *,
        sender: str,
        this: str,
        value: int,
        gas: GasMeter,
        static: bool = False,
        depth: int = 0,
        nested_call: NestedCall | None = None,
    ) -> None:
        self.world = world
        self.env = env
        self.sender = sender
        self.this = this
        self.value = value
        self.gas = gas
        self.static = static
        self.depth = depth
        # How a call to another contract runs: the executor hands its own in (execute.nested_call),
        # so this module never imports the executor that imports it.
        self._nested_call = nested_call

    # -- environment -----------------------------------------------------------

    @property
    def origin(self) -> str:
        return self.env.origin

    @property
    def block_number(self) -> int:
        return self.env.block_number

    @property
    def timestamp(self) -> int:
        return self.env.timestamp

    @property
    def chain_id(self) -> int:
        return self.env.chain_id

    @property
    def coinbase(self) -> str:
        return self.env.coinbase

    def require(self, condition: Any, reason: str = "requirement failed") -> None:
        """Revert with ``reason`` unless ``condition`` holds."""
        if not condition:
            raise Revert(reason)

    def _no_writes(self, what: str) -> None:
        if self.static:
            raise Revert(f"{what} not allowed in a view call")

    # -- storage -------------------------------------------------------------------

    def _touch_slot(self, slot: int, category: str) -> bool:
        """Charge EIP-2929 slot access; True if it was cold."""
        cold = self.world.warm_slot(self.this, slot)
        self.gas.charge(G.G_COLD_SLOAD if cold else G.G_WARM_ACCESS, category)
        return cold

    def sload(self, *key: Any) -> int:
        """Read a uint256 slot (cold 2100, warm 100)."""
        slot = slot_of(*key)
        self._touch_slot(slot, "sload")
        return self.world.get_storage(self.this, slot)

    def sstore(self, *key_and_value: Any) -> None:
        """Write a uint256 slot: ``sstore(*key, value)``, priced per EIP-2200/2929/3529."""
        self._no_writes("sstore")
        if len(key_and_value) < 2:
            raise Revert("sstore needs a key and a value")
        *key, value = key_and_value
        if isinstance(value, bool):
            value = int(value)
        if not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
            raise Revert(f"sstore value {value!r} is not a uint256")
        slot = slot_of(*key)
        if self.gas.remaining <= G.G_CALL_STIPEND:  # EIP-2200 sentry
            self.gas.charge(self.gas.remaining + 1, "sstore")
        world = self.world
        cold = world.warm_slot(self.this, slot)
        original = world.original_storage(self.this, slot)
        current = world.get_storage(self.this, slot)
        cost, refund = G.sstore_cost(original, current, value)
        self.gas.charge(cost + (G.G_COLD_SLOAD if cold else 0), "sstore")
        world.add_refund(refund)
        world.set_storage(self.this, slot, value)

    def sload_address(self, *key: Any) -> str:
        return to_checksum_address(self.sload(*key).to_bytes(32, "big")[12:])

    def sstore_address(self, *key_and_value: Any) -> None:
        *key, value = key_and_value
        self.sstore(*key, int(normalize_address(value), 16))

    def sload_bytes32(self, *key: Any) -> bytes:
        return self.sload(*key).to_bytes(32, "big")

    def sstore_bytes32(self, *key_and_value: Any) -> None:
        *key, value = key_and_value
        if not isinstance(value, (bytes, bytearray)) or len(value) != 32:
            raise Revert(f"sstore_bytes32 value must be 32 bytes, got {value!r}")
        self.sstore(*key, int.from_bytes(value, "big"))

    def sload_bool(self, *key: Any) -> bool:
        return self.sload(*key) != 0

    def sstore_bool(self, *key_and_value: Any) -> None:
        *key, value = key_and_value
        self.sstore(*key, 1 if value else 0)

    # -- hashing and signatures -------------------------------------------------

    def keccak(self, data: bytes) -> bytes:
        """keccak256, 30 + 6 per word."""
        data = bytes(data)
        self.gas.charge(G.keccak_gas(len(data)), "keccak")
        return keccak256(data)

    def ecrecover(self, digest: bytes, signature: bytes) -> str | None:
        """Signer of ``digest`` (3000 gas); None for an invalid or high-s signature."""
        self.gas.charge(G.G_ECRECOVER, "ecrecover")
        return precompiles.ecrecover(digest, signature)

    def sha256(self, data: bytes) -> bytes:
        """SHA-256 (precompile 0x02: 60 + 12 per word)."""
        data = bytes(data)
        self.gas.charge(G.sha256_gas(len(data)), "sha256")
        return hashlib.sha256(data).digest()

    def poseidon(self, inputs: Sequence[int]) -> int:
        """circomlib's Poseidon over BN254, charged at a Solidity library's published cost (gas.POSEIDON_GAS)."""
        self.gas.charge(G.poseidon_gas(len(inputs)), "poseidon")
        for v in inputs:
            if not isinstance(v, int) or not 0 <= v < BN254_R:
                raise Revert("poseidon input is not a field element")
        return poseidon(list(inputs))

    def bn254_add(self, p1: Sequence[int], p2: Sequence[int]) -> tuple[int, int]:
        """G1 addition (150 gas); bad points revert."""
        self.gas.charge(G.G_BN254_ADD, "bn254_add")
        try:
            return precompiles.bn254_add(p1, p2)
        except (ValueError, TypeError) as exc:
            raise Revert(str(exc)) from None

    def bn254_mul(self, point: Sequence[int], scalar: int) -> tuple[int, int]:
        """G1 scalar multiplication (6000 gas); bad points revert."""
        self.gas.charge(G.G_BN254_MUL, "bn254_mul")
        try:
            return precompiles.bn254_mul(point, scalar)
        except (ValueError, TypeError) as exc:
            raise Revert(str(exc)) from None

    def bn254_pairing(self, pairs: Sequence[tuple[Sequence[int], Sequence]]) -> bool:
        """Pairing product check (45000 + 34000 per pair); bad points revert."""
        self.gas.charge(G.pairing_gas(len(pairs)), "bn254_pairing")
        try:
            return precompiles.bn254_pairing(pairs)
        except (ValueError, TypeError) as exc:
            raise Revert(str(exc)) from None

    # -- logs ----------------------------------------------------------------------

    def emit(self, event: EventSpec, *args: Any) -> None:
        """Emit ``event`` with its arguments in declaration order."""
        self._no_writes("emit")
        if not isinstance(event, EventSpec):
            raise Revert(f"emit: {event!r} is not an event")
        try:
            topics, data = event.encode(args)
        except TypeError as exc:
            raise Revert(str(exc)) from None
        self.gas.charge(G.log_gas(len(topics), len(data)), "log")
        self.world.add_log(Log(self.this, topics, data))

    # -- ETH and calls -----------------------------------------------------------------

    def _touch_account(self, address: str) -> None:
        cold = self.world.warm_account(address)
        self.gas.charge(G.G_COLD_ACCOUNT_ACCESS if cold else G.G_WARM_ACCESS, "account_access")

    def balance(self, address: str) -> int:
        """ETH balance of ``address`` (account access: cold 2600, warm 100)."""
        address = normalize_address(address)
        self._touch_account(address)
        return self.world.get_balance(address)

    @property
    def self_balance(self) -> int:
        """This contract's balance (SELFBALANCE costs 5; charged as such)."""
        self.gas.charge(5, "account_access")
        return self.world.get_balance(self.this)

    def transfer(self, to: str, amount: int) -> None:
        """Send ETH out of this contract (CALL with value: 9000 + access).

        The recipient's code does not run: contracts receive ETH here as
        with Solidity's ``send``/``transfer`` to an account without logic.
        """
        self._no_writes("transfer")
        to = normalize_address(to, "transfer recipient")
        if not isinstance(amount, int) or amount < 0:
            raise Revert(f"transfer amount {amount!r} is not a non-negative int")
        self._touch_account(to)
        if amount == 0:
            return
        cost = G.G_CALL_VALUE + (G.G_NEW_ACCOUNT if self.world.is_empty(to) else 0)
        self.gas.charge(cost, "call")
        have = self.world.get_balance(self.this)
        if have < amount:
            raise Revert(f"transfer of {amount} wei exceeds the contract balance {have}")
        self.world.add_balance(self.this, -amount)
        self.world.add_balance(to, amount)
        if self.world.tracer is not None:
            self.world.tracer.transfer(self.this, to, amount)

    def call(self, address: str, signature: str, *args: Any, value: int = 0) -> Any:
        """Call another contract's method; returns its decoded result.

        The callee runs in a nested journal: if it reverts, its writes and
        logs are undone and ``Revert`` propagates here (catch it to go on).
        """
        if self._nested_call is None:
            raise Revert("this context cannot call other contracts")
        return self._nested_call(self, address, signature, args, value)
