"""The one small interface every actor uses to talk to L1.

``L1Client`` speaks Ethereum JSON-RPC through a *transport*: any object with
``request(method, params) -> result``. In one process the transport is the
node's own dispatcher; against a running ``l2lab node`` it is the HTTP
transport in ``node.client``. Operators, challengers, watchers and workshop
scripts therefore run unchanged in a test, a notebook or against a remote node.

Transactions are real EIP-1559 transactions signed with eth-account, and calls
are ABI-encoded from the contract class's ABI, so the bytes (and the gas) are
what any Ethereum client would send. By default they pay the tip the node
suggests (``eth_maxPriorityFeePerGas``); ``tip=`` and ``max_fee=`` pay more, and
:class:`DeadlineFees` says how much more as a deadline nears, so an actor's
transaction outbids whoever fills blocks to keep it out.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_utils import to_checksum_address

from contracts_spec.runtime.abi import param_type
from primitives.keccak import keccak256


class Transport(Protocol):
    """Anything that answers a JSON-RPC method call: the node's dispatcher in-process, or HTTP."""

    def request(self, method: str, params: list) -> Any: ...


GWEI = 10**9
METHOD_NOT_FOUND = -32601  # JSON-RPC 2.0: the chain has no such method
INVALID_PARAMS = -32602
# What the toy L1 answers to web3_clientVersion begins with (node.rpc.CLIENT_VERSION).
TOY_CLIENT_PREFIX = "l2lab/"
# A replacement (same sender and nonce) must raise both its tip and its fee cap by this
# much, as geth's default --txpool.pricebump asks, and as the node's pool does.
PRICE_BUMP_PERCENT = 10


def replacement_fee(old: int) -> int:
    """The least fee (tip or cap) a replacement of a pending transaction that paid ``old`` must pay."""
    return old + (old * PRICE_BUMP_PERCENT + 99) // 100


@dataclass(frozen=True)
class DeadlineFees:
    """A priority fee that rises as a deadline nears, so the transaction gets in before it.

    While more than ``share`` of the allowance is left the tip is ``floor``;
    from there to the deadline it grows geometrically to ``cap`` (equal
    stretches of time multiply it by equal factors), and it never exceeds ``cap``.
    A block stuffer who wants to keep the transaction out to the deadline must
    outbid the tip in every block, so it pays ``cap`` per gas at the end, for
    every block, on top of a base fee that full blocks raise 12.5% each
    (EIP-1559).
    """

    floor: int = GWEI
    cap: int = 500 * GWEI
    share: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.floor <= self.cap:
            raise ValueError(f"tip floor {self.floor} must be positive and at most the cap {self.cap}")
        if not 0 < self.share <= 1:
            raise ValueError(f"share {self.share} must be in (0, 1]")

    def tip(self, seconds_left: int, allowance: int) -> int:
        """The tip to pay with ``seconds_left`` of ``allowance`` seconds before the deadline."""
        horizon = allowance * self.share
        if seconds_left >= horizon:
            return self.floor
        if seconds_left <= 0:
            return self.cap
        urgency = 1 - seconds_left / horizon  # 0 where bumping starts, 1 at the deadline
        return min(self.cap, max(self.floor, math.floor(self.floor * (self.cap / self.floor) ** urgency)))


def max_fee_for(base_fee: int, tip: int) -> int:
    """A fee cap that keeps a transaction includable while the base fee doubles (six full blocks), plus its tip."""
    return 2 * base_fee + tip


class L1Error(Exception):
    """An L1 request failed; the message says why."""


class TransactionReverted(L1Error):
    """A transaction was mined but reverted (status 0), or would revert."""

    def __init__(self, reason: str, receipt: dict | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.receipt = receipt


class _DispatcherTransport:
    """Adapts an in-process dispatcher (``handle(method, params)``) to a transport."""

    def __init__(self, dispatcher: Any) -> None:
        self._dispatcher = dispatcher

    def request(self, method: str, params: list) -> Any:
        return self._dispatcher.handle(method, params)


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def _unhex(s: str) -> bytes:
    return bytes.fromhex(s[2:] if s.startswith("0x") else s)


def _qty(s: str | int) -> int:
    return s if isinstance(s, int) else int(s, 16)


_abi_type = param_type  # the canonical type string of an ABI parameter, tuples expanded


def _function_abi(contract_cls: Any, name: str) -> dict:
    for entry in contract_cls.abi():
        if entry.get("type") == "function" and entry.get("name") == name:
            return entry
    raise L1Error(f"{contract_cls.__name__} has no method {name!r}")


def _event_abi(contract_cls: Any, name: str) -> dict:
    for entry in contract_cls.abi():
        if entry.get("type") == "event" and entry.get("name") == name:
            return entry
    raise L1Error(f"{contract_cls.__name__} has no event {name!r}")


def encode_call(contract_cls: Any, method: str, *args: Any) -> bytes:
    """Selector and ABI-encoded arguments for ``contract_cls.method(*args)``."""
    fn = _function_abi(contract_cls, method)
    types = [_abi_type(p) for p in fn["inputs"]]
    if len(types) != len(args):
        raise L1Error(f"{method} takes {len(types)} arguments, got {len(args)}")
    selector = keccak256(f"{method}({','.join(types)})".encode())[:4]
    return selector + abi_encode(types, list(args))


def decode_result(contract_cls: Any, method: str, data: bytes) -> Any:
    """Decode a call's return data: one value, a tuple of values, or None."""
    fn = _function_abi(contract_cls, method)
    types = [_abi_type(p) for p in fn.get("outputs", [])]
    if not types:
        return None
    values = abi_decode(types, data)
    return values[0] if len(values) == 1 else tuple(values)


def decode_revert(data: bytes) -> str:
    """The reason string of an ``Error(string)`` revert, or the raw data in hex."""
    if data[:4] == keccak256(b"Error(string)")[:4]:
        try:
            return abi_decode(["string"], data[4:])[0]
        except Exception:  # noqa: BLE001 - undecodable reason: show the bytes
            pass
    return "reverted" if not data else f"reverted with data {_hex(data)}"


class L1Client:
    """Send transactions, call views and read events on an L1 through a transport."""

    def __init__(self, transport: Transport, *, receipt_timeout: float = 30.0) -> None:
        self.transport = transport
        self.receipt_timeout = receipt_timeout
        self._chain_id: int | None = None
        self._toy: bool | None = None
        self._no_dev = False

    @classmethod
    def in_process(cls, target: Any) -> L1Client:
        """A client over an in-process dispatcher (anything with ``handle(method, params)``) or transport.

        To reach a bare chain, hand it the node's dispatcher:
        ``L1Client.in_process(RpcDispatcher(chain))``, or ``node.rpc.in_process_l1(chain)``.
        """
        if hasattr(target, "request"):
            return cls(target)
        if not hasattr(target, "handle"):
            raise TypeError(f"L1Client.in_process needs a dispatcher or a transport, got {type(target).__name__}: "
                            "wrap a chain with node.rpc.in_process_l1(chain)")
        return cls(_DispatcherTransport(target))

    # -- reads ---------------------------------------------------------------

    def rpc(self, method: str, *params: Any) -> Any:
        """A raw JSON-RPC call, for what the helpers below do not cover."""
        return self.transport.request(method, list(params))

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = _qty(self.rpc("eth_chainId"))
        return self._chain_id

    def block_number(self) -> int:
        return _qty(self.rpc("eth_blockNumber"))

    def block(self, ref: int | str = "latest") -> dict:
        tag = hex(ref) if isinstance(ref, int) else ref
        return self.rpc("eth_getBlockByNumber", tag, False)

    def timestamp(self) -> int:
        """Timestamp of the latest block."""
        return _qty(self.block("latest")["timestamp"])

    def balance(self, address: str) -> int:
        return _qty(self.rpc("eth_getBalance", address, "latest"))

    def nonce(self, address: str, pending: bool = True) -> int:
        return _qty(self.rpc("eth_getTransactionCount", address, "pending" if pending else "latest"))

    def receipt(self, tx_hash: str | bytes) -> dict | None:
        h = tx_hash if isinstance(tx_hash, str) else _hex(tx_hash)
        return self.rpc("eth_getTransactionReceipt", h)

    # -- time and mining (development chains) ---------------------------------

    def mine(self, blocks: int = 1) -> None:
        """Mine ``blocks`` blocks now; on a chain that cannot (no ``evm_mine``), wait for them in real time."""
        mined = 0
        while mined < blocks and self._dev("evm_mine"):
            mined += 1
        if mined < blocks:
            target = self.block_number() + blocks - mined
            self._wait(lambda: self.block_number() >= target, f"{blocks - mined} more block(s)")

    def increase_time(self, seconds: int) -> None:
        """Move the clock forward and mine a block so the new time is visible; on a chain that cannot
        (no ``evm_increaseTime``), wait until a block that late is mined, within ``real_time_limit``."""
        if self._dev("evm_increaseTime", int(seconds)):
            self.rpc("evm_mine")
            return
        target = self.timestamp() + int(seconds)
        self._wait(lambda: self.timestamp() >= target, f"{int(seconds)} s to pass", seconds)

    # Longest a time-travel request waits in real time on a chain without evm_* methods.
    real_time_limit = 3600.0

    def _dev(self, method: str, *params: Any) -> bool:
        """Call a development method; False when the chain does not offer it (a public chain)."""
        if self._no_dev:
            return False
        try:
            self.rpc(method, *params)
        except Exception as exc:  # noqa: BLE001 - only "no such method" means the chain lacks it
            if getattr(exc, "code", None) != METHOD_NOT_FOUND and "not supported" not in str(exc).lower():
                raise
            self._no_dev = True
            return False
        return True

    def _wait(self, done: Any, what: str, seconds: float = 0.0) -> None:
        if seconds > self.real_time_limit:
            raise L1Error(f"this chain offers no time travel (evm_increaseTime, evm_mine) and {what} is longer "
                          f"than this client waits ({self.real_time_limit:.0f} s): use a development chain "
                          "(l2lab node, anvil) or a preset with shorter windows")
        deadline = time.monotonic() + max(seconds, 0) * 1.5 + self.receipt_timeout
        while not done():
            if time.monotonic() > deadline:
                raise L1Error(f"waited for {what} in real time, and the chain did not get there")
            time.sleep(0.5)

    # -- contracts -------------------------------------------------------------

    def call(
        self, address: str, contract_cls: Any, method: str, *args: Any, sender: str | None = None
    ) -> Any:
        """Run a view (or any method without committing) and decode its result."""
        tx: dict[str, Any] = {"to": address, "data": _hex(encode_call(contract_cls, method, *args))}
        if sender:
            tx["from"] = sender
        out = self.rpc("eth_call", tx, "latest")
        return decode_result(contract_cls, method, _unhex(out))

    def transact(
        self,
        key: bytes,
        address: str,
        contract_cls: Any,
        method: str,
        *args: Any,
        value: int = 0,
        gas: int | None = None,
        check: bool = True,
        tip: int | None = None,
        max_fee: int | None = None,
    ) -> dict:
        """Send a signed call to ``contract_cls.method`` and return its receipt.

        Without ``gas`` the gas is estimated first, so a call that would revert
        raises ``TransactionReverted`` before anything is sent. With ``gas``
        the transaction is sent as is (and pays for a revert, as on Ethereum).
        ``tip`` and ``max_fee`` are as for :meth:`send`.
        """
        data = encode_call(contract_cls, method, *args)
        return self.send(key, to=address, data=data, value=value, gas=gas, check=check, tip=tip, max_fee=max_fee)

    @property
    def toy(self) -> bool:
        """True on l2lab's toy L1 (Python contracts); False on a real EVM chain (their Solidity twins)."""
        if self._toy is None:
            self._toy = str(self.rpc("web3_clientVersion")).startswith(TOY_CLIENT_PREFIX)
        return self._toy

    def deploy(self, key: bytes, contract_cls: Any, *args: Any, gas: int | None = None) -> str:
        """Deploy a contract class from ``contracts_spec`` and return its address.

        On the toy L1 the class itself runs; on any other chain its Solidity
        twin from ``contracts_spec/evm`` is deployed, with the same ABI.
        """
        if self.toy:
            from contracts_spec.runtime import deploy_data as toy_deploy_data

            data = toy_deploy_data(contract_cls, *args)
        else:
            from contracts_spec.evm import deploy_data as evm_deploy_data

            data = evm_deploy_data(contract_cls, *args)
        receipt = self.send(key, to=None, data=data, gas=gas)
        address = receipt.get("contractAddress")
        if not address:
            raise L1Error(f"deployment of {contract_cls.__name__} returned no address")
        return to_checksum_address(address)

    def transfer(self, key: bytes, to: str, value: int) -> dict:
        """A plain ETH transfer."""
        return self.send(key, to=to, value=value, gas=21000)

    def send(
        self,
        key: bytes,
        *,
        to: str | None,
        data: bytes = b"",
        value: int = 0,
        gas: int | None = None,
        check: bool = True,
        tip: int | None = None,
        max_fee: int | None = None,
    ) -> dict:
        """Sign an EIP-1559 transaction with ``key``, send it, wait for its receipt.

        ``tip`` is the priority fee per gas (default: what the node suggests);
        ``max_fee`` the fee cap per gas (default: :func:`max_fee_for` the
        latest base fee and the tip).
        """
        tx_hash = self.submit(key, to=to, data=data, value=value, gas=gas, tip=tip, max_fee=max_fee)
        receipt = self.wait_for_receipt(tx_hash)
        if check and _qty(receipt["status"]) != 1:
            raise TransactionReverted(self.revert_reason(receipt), receipt)
        return receipt

    def revert_reason(self, receipt: dict) -> str:
        """Why a mined transaction reverted: the receipt's ``revertReason`` (the toy L1 gives one), else the
        transaction replayed with ``eth_call`` on the state before its block, with the block's own number
        and time as block overrides where the chain takes them (exact when it was the block's first
        transaction, as with automining, and for refusals that depend on the block, such as an expiry)."""
        if receipt.get("revertReason"):
            return str(receipt["revertReason"])
        tx = self.rpc("eth_getTransactionByHash", receipt["transactionHash"])
        if not tx:
            return "transaction reverted"
        call = {"from": tx["from"], "to": tx.get("to"), "data": tx.get("input", "0x"), "value": tx.get("value", "0x0"),
                "gas": tx.get("gas")}
        before = hex(_qty(receipt["blockNumber"]) - 1)
        mined = self.block(_qty(receipt["blockNumber"])) or {}
        overrides = {"number": mined.get("number"), "time": mined.get("timestamp")} if mined else None
        for params in ([call, before, {}, overrides], [call, before]) if overrides else ([call, before],):
            try:
                self.rpc("eth_call", *params)
            except Exception as exc:  # noqa: BLE001 - the node says why it reverts
                if getattr(exc, "code", None) == INVALID_PARAMS and len(params) > 2:
                    continue  # a chain that takes no block overrides: replay without them
                return _reason_of(exc)
        return "transaction reverted (out of gas, or a revert its replay does not repeat)"

    def submit(
        self,
        key: bytes,
        *,
        to: str | None,
        data: bytes = b"",
        value: int = 0,
        gas: int | None = None,
        tip: int | None = None,
        max_fee: int | None = None,
        nonce: int | None = None,
    ) -> str:
        """Sign and send an EIP-1559 transaction without waiting for it to be mined; its hash.

        ``nonce`` (default: the sender's next, counting pending ones) of a
        transaction still pending replaces it, if it pays at least
        :func:`replacement_fee` of the old tip and fee cap: that is how a
        waiting transaction raises its fee.
        """
        account = Account.from_key(key)
        tx: dict[str, Any] = {"from": account.address, "value": hex(value), "data": _hex(data)}
        if to is not None:
            tx["to"] = to
        if gas is None:
            try:
                gas = int(_qty(self.rpc("eth_estimateGas", tx)) * 1.2) + 10_000
            except Exception as exc:  # the node says why it would fail
                raise TransactionReverted(_reason_of(exc)) from exc
        if tip is None:
            tip = _qty(self.rpc("eth_maxPriorityFeePerGas"))
        if max_fee is None:
            max_fee = max_fee_for(self.base_fee(), tip)
        unsigned = {
            "type": 2,
            "chainId": self.chain_id,
            "nonce": self.nonce(account.address) if nonce is None else nonce,
            "to": to_checksum_address(to) if to is not None else b"",
            "value": value,
            "data": data,
            "gas": gas,
            "maxPriorityFeePerGas": tip,
            "maxFeePerGas": max_fee,
        }
        if to is None:
            del unsigned["to"]
        signed = Account.sign_transaction(unsigned, key)
        return self.rpc("eth_sendRawTransaction", _hex(signed.raw_transaction))

    def base_fee(self) -> int:
        """The latest block's base fee per gas."""
        return _qty(self.block("latest").get("baseFeePerGas", "0x0"))

    def wait_for_receipt(self, tx_hash: str, timeout: float | None = None) -> dict:
        """The receipt of ``tx_hash`` once it is mined; L1Error after ``timeout`` seconds (default: the client's)."""
        limit = self.receipt_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            receipt = self.receipt(tx_hash)
            if receipt is not None:
                return receipt
            if time.monotonic() >= deadline:
                raise L1Error(f"no receipt for {tx_hash} after {limit}s (is mining on, or are blocks full?)")
            time.sleep(0.05)

    def events(
        self,
        address: str,
        contract_cls: Any,
        event: str,
        from_block: int = 0,
        to_block: int | str = "latest",
    ) -> list[dict]:
        """Decoded logs of one event, oldest first; each dict has the event's
        arguments plus ``blockNumber``, ``transactionHash`` and ``logIndex``."""
        abi = _event_abi(contract_cls, event)
        types = [_abi_type(p) for p in abi["inputs"]]
        topic0 = _hex(keccak256(f"{event}({','.join(types)})".encode()))
        logs = self.rpc(
            "eth_getLogs",
            {
                "address": address,
                "fromBlock": hex(from_block),
                "toBlock": hex(to_block) if isinstance(to_block, int) else to_block,
                "topics": [topic0],
            },
        )
        return [decode_log(abi, log) for log in logs]


def decode_log(event_abi: dict, log: dict) -> dict:
    """Decode one JSON-RPC log with its event's ABI."""
    indexed = [p for p in event_abi["inputs"] if p.get("indexed")]
    plain = [p for p in event_abi["inputs"] if not p.get("indexed")]
    out: dict[str, Any] = {}
    for param, topic in zip(indexed, log["topics"][1:], strict=False):
        t = _abi_type(param)
        if t in ("string", "bytes") or t.endswith("]") or t.startswith("("):
            out[param["name"]] = _unhex(topic)  # dynamic indexed values are hashed
        else:
            out[param["name"]] = abi_decode([t], _unhex(topic))[0]
    values = abi_decode([_abi_type(p) for p in plain], _unhex(log["data"])) if plain else ()
    for param, value in zip(plain, values, strict=True):
        out[param["name"]] = value
    out["blockNumber"] = _qty(log["blockNumber"])
    out["transactionHash"] = log["transactionHash"]
    out["logIndex"] = _qty(log["logIndex"])
    return out


def _reason_of(exc: Exception) -> str:
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return decode_revert(_unhex(data))
    return str(getattr(exc, "message", None) or exc)


class Move(NamedTuple):
    """A transaction an actor wants in before ``seconds_left`` of its ``allowance`` run out."""

    method: str
    args: tuple
    seconds_left: int
    allowance: int
    value: int = 0


class _Pending(NamedTuple):
    nonce: int
    tx_hash: str
    tip: int
    max_fee: int


class DeadlineSender:
    """One key's L1 transactions, each at a tip that rises as its deadline nears.

    ``wait`` is how long to wait for a receipt (default: the client's
    timeout). A transaction not mined by then stays pending; the next send
    replaces it at the same nonce, paying the policy's tip for the time left
    and at least the pool's replacement bump, instead of queueing behind it.
    """

    def __init__(self, l1: L1Client, key: bytes, fees: DeadlineFees | None = None,
                 wait: float | None = None) -> None:
        self.l1 = l1
        self.key = key
        self.address = Account.from_key(key).address
        self.fees = fees or DeadlineFees()
        self.wait = wait
        self.pending: _Pending | None = None
        self.receipts: list[dict] = []

    def poll(self) -> dict | None:
        """The receipt of the transaction left pending, once it is mined (forgotten if the pool dropped it)."""
        if self.pending is None:
            return None
        receipt = self.l1.receipt(self.pending.tx_hash)
        if receipt is not None:
            self.pending = None
            self.receipts.append(receipt)
        elif self.l1.rpc("eth_getTransactionByHash", self.pending.tx_hash) is None:
            self.pending = None
        return receipt

    def send(self, address: str, contract: type, move: Move) -> dict | None:
        """Send ``move``; its receipt, or None while it (or the one it would replace) waits in the pool.

        A waiting transaction is replaced once the policy's tip has risen past
        the pool's replacement bump, or once the base fee has outgrown its fee
        cap; never above the policy's cap.
        """
        self.poll()
        base_fee = self.l1.base_fee()
        tip = self.fees.tip(move.seconds_left, move.allowance)
        if self.pending is None:
            nonce = self.l1.nonce(self.address)
            max_fee = max_fee_for(base_fee, tip)
        else:
            nonce, need = self.pending.nonce, replacement_fee(self.pending.tip)
            priced_out = self.pending.max_fee < base_fee + self.pending.tip
            if tip < need and not priced_out:
                return None  # the policy asks no more than it pays yet
            tip = max(tip, need)
            if tip > self.fees.cap:
                return None  # as high as the policy goes: it waits as it is
            max_fee = max(max_fee_for(base_fee, tip), replacement_fee(self.pending.max_fee))
        data = encode_call(contract, move.method, *move.args)
        tx_hash = self.l1.submit(self.key, to=address, data=data, value=move.value, tip=tip, max_fee=max_fee,
                                 nonce=nonce)
        self.pending = _Pending(nonce, tx_hash, tip, max_fee)
        try:
            receipt = self.l1.wait_for_receipt(tx_hash, self.wait)
        except L1Error:
            return None
        self.pending = None
        self.receipts.append(receipt)
        if int(receipt["status"], 16) != 1:
            raise TransactionReverted(self.l1.revert_reason(receipt), receipt)
        return receipt


__all__ = [
    "DeadlineSender",
    "Move",
    "DeadlineFees",
    "GWEI",
    "L1Client",
    "L1Error",
    "Transport",
    "TransactionReverted",
    "decode_log",
    "decode_result",
    "decode_revert",
    "encode_call",
    "max_fee_for",
    "replacement_fee",
]
