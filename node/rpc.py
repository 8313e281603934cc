"""Ethereum JSON-RPC over a ``Chain``: the methods web3.py, ethers and anvil users expect.

``RpcDispatcher.handle(method, params)`` returns JSON-ready results -- hex
quantities, ``0x`` data, lower-case hashes, EIP-55 addresses -- or raises
``RpcError`` with a JSON-RPC code and a message naming the bad parameter.
``handle_request`` takes a whole JSON-RPC 2.0 envelope (or a batch) and never
raises. Reverts answer like geth/anvil: code 3, "execution reverted: …", the
revert bytes in ``data``. State reads and calls take a block: the latest, or
one of the ``HISTORY_BLOCKS`` (128) before it, as geth keeps by default; an
older one is refused by name rather than answered wrongly.

Filters (``eth_newFilter``, ``eth_newBlockFilter``,
``eth_newPendingTransactionFilter``) behave as geth's: random hex ids,
``eth_getFilterChanges`` answers what is new since the last poll, an unknown id
is "filter not found". They are bounded: at most ``MAX_FILTERS`` live at once,
and one not polled for ``FILTER_TIMEOUT_SECONDS`` (geth's five minutes) is
removed, so no caller can grow the node's memory; each holds a few numbers,
not the changes themselves, which are read from the chain when polled.

Limits, each refused by name rather than half-obeyed: quantities are strict
``0x`` hex of at most 256 bits; a method takes at most ``MAX_PARAMS`` arguments
(trailing nulls aside); block timestamps are uint64; one call mines at most
``MAX_MINE_BLOCKS`` blocks; eth_call/eth_estimateGas gas is capped at the block
gas limit, as geth caps it, since gas is what bounds a call's work.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from eth_utils import to_checksum_address

from contracts_spec import gas as G
from contracts_spec.l1 import L1Client
from contracts_spec.runtime import get_contract_class
from node.chain import (
    COINBASE,
    DEFAULT_TIP,
    MAX_INTERVAL_SECONDS,
    MAX_MINE_BLOCKS,
    MAX_TIMESTAMP,
    Chain,
    Reverted,
    StateNotKept,
)
from node.rpc_codes import (
    EXECUTION_REVERTED,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    UNAUTHORIZED,
)
from node.store import Block, Log, Receipt
from node.transactions import Transaction, TxRejected

CLIENT_VERSION = "l2lab/0.1.0/python"
EMPTY_UNCLES = "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347"
ZERO32 = "0x" + "00" * 32

_HEX = frozenset("0123456789abcdefABCDEF")
UINT256_MAX = 2**256 - 1


class RpcError(Exception):
    """A JSON-RPC error: ``code``, a ``message`` naming the problem, optional ``data``."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            err["data"] = self.data
        return err


# How many parameters each method takes (geth's rule: more is an error, not silently ignored).
# anvil_/hardhat_ aliases are looked up by the name after the prefix.
MAX_PARAMS: dict[str, int] = {
    "web3_clientVersion": 0, "net_version": 0, "net_listening": 0, "eth_chainId": 0,
    "eth_blockNumber": 0, "eth_syncing": 0, "eth_mining": 0, "eth_accounts": 0, "eth_gasPrice": 0,
    "eth_maxPriorityFeePerGas": 0, "eth_coinbase": 0, "eth_getBalance": 2, "eth_getTransactionCount": 2,
    "eth_getCode": 2, "eth_getStorageAt": 3, "eth_feeHistory": 3, "eth_call": 2, "eth_estimateGas": 2,
    "eth_sendRawTransaction": 1, "eth_sendTransaction": 1, "eth_getTransactionByHash": 1,
    "eth_getTransactionReceipt": 1, "eth_getBlockByNumber": 2, "eth_getBlockByHash": 2, "eth_getLogs": 1,
    "eth_getBlockReceipts": 1, "eth_getBlockTransactionCountByNumber": 1,
    "eth_getBlockTransactionCountByHash": 1, "eth_getTransactionByBlockNumberAndIndex": 2,
    "eth_getRawTransactionByHash": 1, "evm_mine": 1, "evm_increaseTime": 1, "evm_setNextBlockTimestamp": 1,
    "evm_setAutomine": 1, "evm_setIntervalMining": 1, "evm_snapshot": 0, "evm_revert": 1,
    "l2lab_contracts": 0, "l2lab_gasBreakdown": 1, "txpool_status": 0, "txpool_content": 0, "mine": 2, "setBalance": 2, "increaseTime": 1,
    "setNextBlockTimestamp": 1, "setAutomine": 1, "setIntervalMining": 1, "snapshot": 0, "revert": 1,
    "eth_sign": 2, "personal_sign": 3, "eth_signTypedData_v4": 2,
    "eth_newFilter": 1, "eth_newBlockFilter": 0, "eth_newPendingTransactionFilter": 1, "eth_getFilterChanges": 1,
    "eth_getFilterLogs": 1, "eth_uninstallFilter": 1, "eth_createAccessList": 2, "debug_traceTransaction": 2,
    "impersonateAccount": 1, "stopImpersonatingAccount": 1, "reset": 1,
}

FILTER_TIMEOUT_SECONDS = 300.0  # geth's: a filter nobody polled for five minutes is removed
MAX_FILTERS = 1_024  # live filters at once, all callers together
SERVER_ERROR = -32000  # geth's code for a request it understood and cannot serve (unknown filter, account, state)


# -- parameter parsing: each failure names the parameter ------------------------------------


def _bad(name: str, why: str) -> RpcError:
    return RpcError(INVALID_PARAMS, f"invalid {name}: {why}")


def parse_quantity(value: Any, name: str) -> int:
    """A JSON-RPC quantity: ``0x`` hex (or a plain non-negative int), at most 256 bits as in geth.

    The bound keeps every later message short: Python refuses to print ints
    of more than 4300 digits, which would turn a plain refusal into a riddle.
    """
    if isinstance(value, bool):
        raise _bad(name, f"expected a hex quantity, got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise _bad(name, "negative quantity")
        if value > UINT256_MAX:
            raise _bad(name, "larger than 256 bits")
        return value
    # int(.., 16) alone would also take "0x-1", "0x 1" and "0x1_0": check the digits first.
    if isinstance(value, str) and value[:2] in ("0x", "0X") and len(value) > 2 and _HEX.issuperset(value[2:]):
        if len(value[2:].lstrip("0")) > 64:
            raise _bad(name, "larger than 256 bits")
        return int(value[2:], 16)
    raise _bad(name, f"expected a hex quantity like 0x1a, got {value!r:.80}")


def parse_data(value: Any, name: str) -> bytes:
    """``0x``-prefixed hex bytes."""
    if isinstance(value, str) and value[:2] in ("0x", "0X"):
        body = value[2:]
        if len(body) % 2 == 0:
            try:
                return bytes.fromhex(body)
            except ValueError:
                pass
    raise _bad(name, f"expected 0x-prefixed hex bytes, got {value!r:.80}")


def parse_address(value: Any, name: str) -> str:
    if isinstance(value, str) and len(value) == 42 and value[:2] in ("0x", "0X"):
        try:
            return to_checksum_address(value)
        except ValueError:
            pass
    raise _bad(name, f"expected a 20-byte 0x address, got {value!r:.80}")


def parse_hash(value: Any, name: str) -> bytes:
    raw = parse_data(value, name)
    if len(raw) != 32:
        raise _bad(name, f"expected a 32-byte hash, got {len(raw)} bytes")
    return raw


def parse_block_ref(value: Any, name: str = "block") -> int | str:
    """A block tag or number (EIP-1898 objects with blockNumber are accepted)."""
    if isinstance(value, dict):
        if "blockNumber" in value and not isinstance(value["blockNumber"], dict):
            return parse_block_ref(value["blockNumber"], name)
        raise _bad(name, "block objects need blockNumber (or blockHash where a state is read)")
    if value in ("latest", "earliest", "pending", "safe", "finalized"):
        return value
    return parse_quantity(value, name)


def parse_bool(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _bad(name, f"expected true or false, got {value!r:.80}")


def _param(params: list, i: int, name: str, default: Any = ..., *, allow_none: bool = False) -> Any:
    if i < len(params) and (params[i] is not None or allow_none):
        return params[i]
    if default is ...:
        raise RpcError(INVALID_PARAMS, f"missing parameter {i}: {name}")
    return default


def _hex(b: bytes) -> str:
    return "0x" + bytes(b).hex()


def _q(n: int) -> str:
    return hex(n)


# -- result shapes ------------------------------------------------------------------------------


def format_log(log: Log) -> dict[str, Any]:
    return {
        "address": log.address,
        "topics": [_hex(t) for t in log.topics],
        "data": _hex(log.data),
        "blockNumber": _q(log.block_number),
        "blockHash": _hex(log.block_hash),
        "transactionHash": _hex(log.tx_hash),
        "transactionIndex": _q(log.tx_index),
        "logIndex": _q(log.log_index),
        "removed": False,
    }


def format_receipt(r: Receipt) -> dict[str, Any]:
    out: dict[str, Any] = {
        "transactionHash": _hex(r.tx_hash),
        "transactionIndex": _q(r.tx_index),
        "blockHash": _hex(r.block_hash),
        "blockNumber": _q(r.block_number),
        "from": r.sender,
        "to": r.to,
        "cumulativeGasUsed": _q(r.cumulative_gas_used),
        "gasUsed": _q(r.gas_used),
        "effectiveGasPrice": _q(r.effective_gas_price),
        "contractAddress": r.contract_address,
        "logs": [format_log(lg) for lg in r.logs],
        "logsBloom": _hex(r.logs_bloom),
        "status": _q(r.status),
        "type": _q(r.type),
        "gasBreakdown": dict(r.gas_breakdown),
    }
    if r.status == 0:
        out["revertReason"] = r.revert_reason
        out["revertData"] = _hex(r.revert_data)
    return out


def format_transaction(tx: Transaction, base_fee: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "hash": _hex(tx.hash),
        "type": _q(tx.type),
        "chainId": _q(tx.chain_id),
        "nonce": _q(tx.nonce),
        "blockHash": _hex(tx.block_hash) if tx.block_hash is not None else None,
        "blockNumber": _q(tx.block_number) if tx.block_number is not None else None,
        "transactionIndex": _q(tx.tx_index) if tx.tx_index is not None else None,
        "from": tx.sender,
        "to": tx.to,
        "value": _q(tx.value),
        "gas": _q(tx.gas),
        "input": _hex(tx.data),
        "v": _q(tx.v),
        "r": _q(tx.r),
        "s": _q(tx.s),
    }
    if tx.type == 2:
        out["maxFeePerGas"] = _q(tx.max_fee_per_gas or 0)
        out["maxPriorityFeePerGas"] = _q(tx.max_priority_fee_per_gas or 0)
        price = tx.effective_gas_price(base_fee) if base_fee is not None else tx.fee_cap
        out["gasPrice"] = _q(price)
    else:
        out["gasPrice"] = _q(tx.gas_price or 0)
    if tx.type in (1, 2):
        out["accessList"] = [
            {"address": a, "storageKeys": [_hex(s.to_bytes(32, "big")) for s in slots]}
            for a, slots in tx.access_list
        ]
        out["yParity"] = _q(tx.v)
    return out


def format_block(block: Block, base_fees: Mapping[int, int] | None = None) -> dict[str, Any]:
    txs: list[Any] = []
    for t in block.transactions:
        if isinstance(t, Transaction):
            txs.append(format_transaction(t, block.base_fee))
        else:
            txs.append(_hex(t))
    return {
        "number": _q(block.number),
        "hash": _hex(block.hash),
        "parentHash": _hex(block.parent_hash),
        "nonce": "0x0000000000000000",
        "mixHash": ZERO32,
        "sha3Uncles": EMPTY_UNCLES,
        "logsBloom": _hex(block.logs_bloom),
        "transactionsRoot": _hex(block.transactions_root),
        "stateRoot": _hex(block.state_root),
        "receiptsRoot": ZERO32,
        "miner": block.miner,
        "difficulty": "0x0",
        "totalDifficulty": "0x0",
        "extraData": "0x",
        "size": _q(500 + 32 * len(block.transactions)),
        "gasLimit": _q(block.gas_limit),
        "gasUsed": _q(block.gas_used),
        "timestamp": _q(block.timestamp),
        "baseFeePerGas": _q(block.base_fee),
        "transactions": txs,
        "uncles": [],
    }


# -- filters ----------------------------------------------------------------------------------------


@dataclass
class LogCriteria:
    """What a log filter matches: a block range (numbers or tags), emitters, topic alternatives."""

    from_block: int | str
    to_block: int | str
    addresses: list[str] | str | None
    topics: list[Any]


@dataclass
class Filter:
    """An installed filter: its kind and how far its caller has seen; the changes are read when polled."""

    kind: str  # "logs", "blocks" or "pending"
    last_block: int  # the newest block whose changes were delivered
    reorg_mark: int  # Chain.reorg_mark when last polled
    arrival_mark: int  # Chain.arrival_mark when last polled
    polled: float  # the registry's clock when last installed or polled
    criteria: LogCriteria | None = None
    full_transactions: bool = False


class FilterRegistry:
    """The live filters, bounded by number (``limit``) and idleness (``timeout`` seconds, on ``clock``)."""

    def __init__(self, *, limit: int = MAX_FILTERS, timeout: float = FILTER_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit, self.timeout, self.clock = limit, timeout, clock
        self._filters: dict[int, Filter] = {}

    def __len__(self) -> int:
        return len(self._filters)

    def expire(self) -> None:
        """Remove every filter nobody polled for ``timeout`` seconds."""
        now = self.clock()
        for fid in [fid for fid, f in self._filters.items() if now - f.polled >= self.timeout]:
            del self._filters[fid]

    def install(self, f: Filter) -> int:
        self.expire()
        if len(self._filters) >= self.limit:
            raise RpcError(SERVER_ERROR, f"too many filters: {self.limit} are installed; uninstall some with "
                                         f"eth_uninstallFilter, or wait: a filter not polled for "
                                         f"{self.timeout:g} s is removed")
        fid = 0
        while fid == 0 or fid in self._filters:  # unguessable, as geth's: a filter is only its id's caller's
            fid = secrets.randbits(128)
        f.polled = self.clock()
        self._filters[fid] = f
        return fid

    def poll(self, fid: int) -> Filter:
        """The filter with id ``fid``, its idle clock restarted; "filter not found" if there is none."""
        self.expire()
        f = self._filters.get(fid)
        if f is None:
            raise RpcError(SERVER_ERROR, "filter not found")
        f.polled = self.clock()
        return f

    def remove(self, fid: int) -> bool:
        self.expire()
        return self._filters.pop(fid, None) is not None


def parse_filter_id(value: Any) -> int:
    if not isinstance(value, str):
        raise _bad("filter id", f"expected a hex filter id like 0x1f, got {value!r:.80}")
    return parse_quantity(value, "filter id")


# -- the dispatcher ---------------------------------------------------------------------------------


# Methods that change the chain by fiat rather than by a signed transaction: the clock, mining,
# snapshots, balances; every evm_, anvil_ and hardhat_ method is one. Over HTTP the node answers
# them only with its admin token.
ADMIN_PREFIXES = ("evm_", "anvil_", "hardhat_")


def is_admin_method(method: str) -> bool:
    return method.startswith(ADMIN_PREFIXES)


TOKEN_HINT = ("needs the node's admin token: send 'Authorization: Bearer TOKEN' with the token "
              "`l2lab node` printed (also in DATA_DIR/node-token)")


class RpcDispatcher:
    """Answers JSON-RPC methods from one ``Chain``; holds dev keys for eth_sendTransaction."""

    def __init__(self, chain: Chain, dev_keys: Mapping[str, bytes] | None = None) -> None:
        self.chain = chain
        # Keyed by checksummed address as a plain str, the form parse_address returns.
        self.dev_keys: dict[str, bytes] = {to_checksum_address(a): bytes(k) for a, k in (dev_keys or {}).items()}
        self.filters = FilterRegistry()
        self.methods: dict[str, Callable[[list], Any]] = {
            "web3_clientVersion": lambda p: CLIENT_VERSION,
            "net_version": lambda p: str(self.chain.chain_id),
            "net_listening": lambda p: True,
            "eth_chainId": lambda p: _q(self.chain.chain_id),
            "eth_blockNumber": lambda p: _q(self.chain.block_number),
            "eth_syncing": lambda p: False,
            "eth_mining": lambda p: bool(self.chain.automine or self.chain.interval_mining_seconds),
            "eth_accounts": lambda p: list(self.dev_keys),
            "eth_gasPrice": lambda p: _q(self.chain.gas_price()),
            "eth_maxPriorityFeePerGas": lambda p: _q(DEFAULT_TIP),
            "eth_getBalance": self._get_balance,
            "eth_getTransactionCount": self._get_transaction_count,
            "eth_getCode": self._get_code,
            "eth_getStorageAt": self._get_storage_at,
            "eth_feeHistory": self._fee_history,
            "eth_call": self._call,
            "eth_estimateGas": self._estimate_gas,
            "eth_sendRawTransaction": self._send_raw_transaction,
            "eth_sendTransaction": self._send_transaction,
            "eth_getTransactionByHash": self._get_transaction_by_hash,
            "eth_getTransactionReceipt": self._get_transaction_receipt,
            "eth_getBlockByNumber": self._get_block_by_number,
            "eth_getBlockByHash": self._get_block_by_hash,
            "eth_getLogs": self._get_logs,
            "eth_getBlockReceipts": self._get_block_receipts,
            "eth_getBlockTransactionCountByNumber": self._tx_count_by_number,
            "eth_getBlockTransactionCountByHash": self._tx_count_by_hash,
            "eth_getTransactionByBlockNumberAndIndex": self._tx_by_number_and_index,
            "eth_getRawTransactionByHash": self._raw_transaction,
            "eth_coinbase": lambda p: COINBASE,
            "evm_mine": self._evm_mine,
            "evm_increaseTime": self._increase_time,
            "evm_setNextBlockTimestamp": self._set_next_block_timestamp,
            "evm_setAutomine": self._set_automine,
            "evm_setIntervalMining": self._set_interval_mining,
            "evm_snapshot": lambda p: _q(self.chain.snapshot()),
            "evm_revert": lambda p: self.chain.revert(parse_quantity(_param(p, 0, "snapshot id"), "snapshot id")),
            "l2lab_contracts": self._contracts,
            "l2lab_gasBreakdown": self._gas_breakdown,
            "txpool_status": self._txpool_status,
            "txpool_content": self._txpool_content,
            "anvil_mine": self._anvil_mine,
            "hardhat_mine": self._anvil_mine,
            "anvil_setBalance": self._set_balance,
            "hardhat_setBalance": self._set_balance,
            "eth_sign": self._eth_sign,
            "personal_sign": self._personal_sign,
            "eth_signTypedData_v4": self._sign_typed_data,
            "eth_newFilter": self._new_filter,
            "eth_newBlockFilter": self._new_block_filter,
            "eth_newPendingTransactionFilter": self._new_pending_filter,
            "eth_getFilterChanges": self._filter_changes,
            "eth_getFilterLogs": self._filter_logs,
            "eth_uninstallFilter": self._uninstall_filter,
            "eth_createAccessList": self._create_access_list,
            "debug_traceTransaction": self._trace_transaction,
            "anvil_impersonateAccount": self._impersonate,
            "anvil_stopImpersonatingAccount": self._stop_impersonating,
            "anvil_reset": self._reset,
            # hardhat answers these with true where anvil answers null
            "hardhat_impersonateAccount": _answering_true(self._impersonate),
            "hardhat_stopImpersonatingAccount": _answering_true(self._stop_impersonating),
            "hardhat_reset": _answering_true(self._reset),
        }
        for name in ("IncreaseTime", "SetNextBlockTimestamp", "SetAutomine", "SetIntervalMining",
                     "Snapshot", "Revert"):
            evm = "evm_" + name[0].lower() + name[1:]
            self.methods["anvil_" + name[0].lower() + name[1:]] = self.methods[evm]

    # -- entry points -------------------------------------------------------------------------------

    def handle(self, method: str, params: list | None = None) -> Any:
        """Run one method; RpcError for every bad input."""
        if not isinstance(method, str):
            raise RpcError(INVALID_REQUEST, "method must be a string")
        fn = self.methods.get(method)
        if fn is None:
            raise RpcError(METHOD_NOT_FOUND, f"the method {method:.80} does not exist/is not available")
        if params is None:
            params = []
        if not isinstance(params, list):
            raise RpcError(INVALID_PARAMS, "params must be a JSON array")
        most = MAX_PARAMS.get(method.split("_", 1)[-1] if method.startswith(("anvil_", "hardhat_")) else method)
        if most is not None:
            # Trailing nulls mean "default", as in geth; anything more would be silently ignored.
            given = len(params)
            while given > most and params[given - 1] is None:
                given -= 1
            if given > most:
                raise RpcError(INVALID_PARAMS, f"too many arguments for {method}: want at most {most}, got {given}")
        try:
            return fn(params)
        except RpcError:
            raise
        except TxRejected as exc:
            raise RpcError(exc.code, exc.message) from None
        except Reverted as exc:
            raise RpcError(EXECUTION_REVERTED, f"execution reverted: {exc.reason}", _hex(exc.data)) from None
        except StateNotKept as exc:
            raise RpcError(SERVER_ERROR, str(exc)) from None
        except (ValueError, TypeError) as exc:
            raise RpcError(INVALID_PARAMS, f"{method}: {exc}") from None

    def handle_request(self, obj: Any, *, admin: bool = True) -> dict | list | None:
        """Answer a JSON-RPC 2.0 request or batch; notifications get no answer. Never raises.

        Without ``admin`` (an HTTP caller that did not show the node's token) the
        methods ``is_admin_method`` names are refused, each with an error naming it.
        """
        if isinstance(obj, list):
            if not obj:
                return _error(None, RpcError(INVALID_REQUEST, "empty batch"))
            answers = [self._one(item, admin) for item in obj]
            return [a for a in answers if a is not None]
        return self._one(obj, admin)

    def _one(self, obj: Any, admin: bool = True) -> dict | None:
        if not isinstance(obj, dict):
            return _error(None, RpcError(INVALID_REQUEST, "request must be a JSON object"))
        req_id = obj.get("id")
        # The id is checked first: every later error echoes it, and a non-finite
        # or structured id could not be written back as JSON.
        if req_id is not None and (
            not isinstance(req_id, (str, int, float)) or isinstance(req_id, bool)
            or (isinstance(req_id, float) and not math.isfinite(req_id))
        ):
            return _error(None, RpcError(INVALID_REQUEST, "id must be a string, a finite number or null"))
        if obj.get("jsonrpc") != "2.0":
            return _error(req_id, RpcError(INVALID_REQUEST, 'jsonrpc must be "2.0"'))
        if not isinstance(obj.get("method"), str):
            return _error(req_id, RpcError(INVALID_REQUEST, "method must be a string"))
        try:
            if not admin and is_admin_method(obj["method"]):
                raise RpcError(UNAUTHORIZED, f"{obj['method']} {TOKEN_HINT}")
            result = self.handle(obj["method"], obj.get("params", []))
            reply: dict = {"jsonrpc": "2.0", "id": req_id, "result": result}
        except RpcError as exc:
            reply = _error(req_id, exc)
        except Exception as exc:  # a bug: answer it, naming it, rather than dropping the request
            reply = _error(req_id, RpcError(INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}"))
        return None if "id" not in obj else reply

    # -- state reads ------------------------------------------------------------------------------------

    def _state_block(self, params: list, i: int) -> int | str:
        """The block a state read asks for: a tag, a number, or (EIP-1898) a block hash's number.

        The chain refuses a block whose state it no longer keeps (``StateNotKept``).
        """
        raw = _param(params, i, "block", "latest")
        if isinstance(raw, dict) and raw.get("blockHash") is not None:
            block = self.chain.get_block(parse_hash(raw["blockHash"], "block.blockHash"))
            if block is None:
                raise RpcError(SERVER_ERROR, f"unknown block {raw['blockHash']}")
            return block.number
        return parse_block_ref(raw)

    def _get_balance(self, p: list) -> str:
        address = parse_address(_param(p, 0, "address"), "address")
        return _q(self.chain.get_balance(address, self._state_block(p, 1)))

    def _get_transaction_count(self, p: list) -> str:
        address = parse_address(_param(p, 0, "address"), "address")
        block = self._state_block(p, 1)
        return _q(self.chain.get_nonce(address, pending=block == "pending", block=block))

    def _get_code(self, p: list) -> str:
        address = parse_address(_param(p, 0, "address"), "address")
        return _hex(self.chain.get_code(address, self._state_block(p, 1)))

    def _get_storage_at(self, p: list) -> str:
        address = parse_address(_param(p, 0, "address"), "address")
        slot = parse_quantity(_param(p, 1, "slot"), "slot")
        if slot >= 2**256:
            raise _bad("slot", "larger than 256 bits")
        return _hex(self.chain.get_storage_at(address, slot, self._state_block(p, 2)).to_bytes(32, "big"))

    def _fee_history(self, p: list) -> dict[str, Any]:
        count = parse_quantity(_param(p, 0, "blockCount"), "blockCount")
        newest_ref = parse_block_ref(_param(p, 1, "newestBlock", "latest"), "newestBlock")
        percentiles = _param(p, 2, "rewardPercentiles", [])
        if not isinstance(percentiles, list) or any(
            not isinstance(x, (int, float)) or isinstance(x, bool) or not 0 <= x <= 100 for x in percentiles
        ) or percentiles != sorted(percentiles):
            raise _bad("rewardPercentiles", "expected an increasing list of numbers in 0..100")
        count = min(count, 1024)
        head = self.chain.block_number
        newest = head if isinstance(newest_ref, str) else newest_ref
        if newest_ref == "earliest":
            newest = 0
        if newest > head:
            raise _bad("newestBlock", f"block {newest} is after the latest block {head}")
        oldest = max(0, newest - count + 1) if count else 0
        base_fees, ratios, rewards = [], [], []
        for n in range(oldest, newest + 1 if count else oldest):
            block = self.chain.get_block(n, full_transactions=True)
            assert block is not None
            base_fees.append(_q(block.base_fee))
            ratios.append(block.gas_used / block.gas_limit)
            if percentiles:
                tips = sorted(
                    t.effective_gas_price(block.base_fee) - block.base_fee
                    for t in block.transactions
                    if isinstance(t, Transaction)
                )
                rewards.append([
                    _q(tips[min(len(tips) - 1, int(len(tips) * x / 100))] if tips else 0) for x in percentiles
                ])
        if count:
            last = self.chain.get_block(newest)
            assert last is not None
            from node.chain import next_base_fee

            base_fees.append(_q(next_base_fee(last.base_fee, last.gas_used, last.gas_limit)))
        out: dict[str, Any] = {"oldestBlock": _q(oldest), "baseFeePerGas": base_fees, "gasUsedRatio": ratios}
        if percentiles:
            out["reward"] = rewards
        return out

    # -- calls ---------------------------------------------------------------------------------------------

    def _call_args(self, p: list) -> dict[str, Any]:
        tx = _param(p, 0, "transaction")
        if not isinstance(tx, dict):
            raise _bad("transaction", "expected a transaction object")
        if tx.get("input") is not None and tx.get("data") is not None and tx["input"] != tx["data"]:
            raise _bad("transaction", "both input and data are set and they differ")
        data_key = "input" if tx.get("input") is not None else "data"
        return {
            "to": parse_address(tx["to"], "transaction.to") if tx.get("to") is not None else None,
            "data": parse_data(tx[data_key], f"transaction.{data_key}") if tx.get(data_key) is not None else b"",
            "sender": parse_address(tx["from"], "transaction.from") if tx.get("from") is not None else None,
            "value": parse_quantity(tx["value"], "transaction.value") if tx.get("value") is not None else 0,
            "gas": parse_quantity(tx["gas"], "transaction.gas") if tx.get("gas") is not None else None,
        }

    def _call(self, p: list) -> str:
        args = self._call_args(p)
        return _hex(self.chain.call(**args, block=self._state_block(p, 1)))

    def _estimate_gas(self, p: list) -> str:
        args = self._call_args(p)
        return _q(self.chain.estimate_gas(**args, block=self._state_block(p, 1)))

    def _create_access_list(self, p: list) -> dict[str, Any]:
        """geth's eth_createAccessList: the accounts and slots the call touches, and its gas with them listed."""
        args = self._call_args(p)
        tx = p[0]
        given = _parse_access_list(tx["accessList"]) if tx.get("accessList") is not None else []
        listed, out = self.chain.create_access_list(
            **args, access_list=[(e["address"], [int(k, 16) for k in e["storageKeys"]]) for e in given],
            block=self._state_block(p, 1),
        )
        result: dict[str, Any] = {
            "accessList": [
                {"address": a, "storageKeys": [_hex(k.to_bytes(32, "big")) for k in keys]} for a, keys in listed
            ],
            "gasUsed": _q(out.gas_used),
        }
        if not out.success:
            result["error"] = f"execution reverted: {out.revert_reason or 'reverted'}"
        return result

    # -- sending -------------------------------------------------------------------------------------------

    def _send_raw_transaction(self, p: list) -> str:
        raw = parse_data(_param(p, 0, "raw transaction"), "raw transaction")
        return _hex(self.chain.send_raw_transaction(raw))

    def _send_transaction(self, p: list) -> str:
        # Nonce, estimate and send under the chain's lock: two concurrent requests
        # from one dev account would otherwise sign the same nonce.
        with self.chain.lock:
            return self._send_transaction_locked(p)

    def _send_transaction_locked(self, p: list) -> str:
        tx = _param(p, 0, "transaction")
        if not isinstance(tx, dict):
            raise _bad("transaction", "expected a transaction object")
        if tx.get("from") is None:
            raise _bad("transaction.from", "missing")
        sender = parse_address(tx["from"], "transaction.from")
        key = self.dev_keys.get(sender)
        chain = self.chain
        if key is None and not chain.is_impersonated(sender):
            raise RpcError(SERVER_ERROR, f"unknown account {sender}: eth_sendTransaction only signs for dev "
                                         "accounts (eth_accounts) and sends for impersonated ones "
                                         "(anvil_impersonateAccount)")
        if tx.get("chainId") is not None and parse_quantity(tx["chainId"], "transaction.chainId") != chain.chain_id:
            raise _bad("transaction.chainId", f"{tx['chainId']!r:.40} is not this chain's id {chain.chain_id}")
        has_1559 = tx.get("maxFeePerGas") is not None or tx.get("maxPriorityFeePerGas") is not None
        if tx.get("gasPrice") is not None and has_1559:
            raise _bad("transaction", "gasPrice and maxFeePerGas/maxPriorityFeePerGas cannot both be set")
        access_list = _parse_access_list(tx["accessList"]) if tx.get("accessList") is not None else None
        if tx.get("type") is not None:
            kind = parse_quantity(tx["type"], "transaction.type")
            if kind not in (0, 1, 2):
                raise _bad("transaction.type", f"type {tx['type']!r:.40} is not supported (0, 1 and 2 are)")
        else:
            kind = 2 if tx.get("gasPrice") is None else (1 if access_list is not None else 0)
        if kind == 2 and tx.get("gasPrice") is not None:
            raise _bad("transaction.gasPrice", "a type-2 transaction takes maxFeePerGas and maxPriorityFeePerGas")
        if kind != 2 and has_1559:
            raise _bad("transaction", f"a type-{kind} transaction takes gasPrice, not maxFeePerGas")
        if kind == 0 and access_list is not None:
            raise _bad("transaction.accessList", "a legacy (type-0) transaction has no access list")
        args = self._call_args(p)
        unsigned: dict[str, Any] = {
            "chainId": chain.chain_id,
            "nonce": parse_quantity(tx["nonce"], "transaction.nonce")
            if tx.get("nonce") is not None else chain.get_nonce(sender, pending=True),
            "value": args["value"],
            "data": args["data"],
            "gas": args["gas"] if args["gas"] is not None else (
                # the estimate runs without the list: add what the list itself costs (EIP-2930)
                chain.estimate_gas(**{**args, "gas": None})
                + G.access_list_gas((e["address"], e["storageKeys"]) for e in access_list or [])
            ),
        }
        if args["to"] is not None:
            unsigned["to"] = args["to"]
        if kind in (1, 2):
            unsigned["type"] = kind
            unsigned["accessList"] = access_list or []
        if kind != 2:
            unsigned["gasPrice"] = parse_quantity(tx["gasPrice"], "transaction.gasPrice") \
                if tx.get("gasPrice") is not None else chain.gas_price()
        else:
            tip = parse_quantity(tx["maxPriorityFeePerGas"], "transaction.maxPriorityFeePerGas") \
                if tx.get("maxPriorityFeePerGas") is not None else DEFAULT_TIP
            unsigned["maxPriorityFeePerGas"] = tip
            unsigned["maxFeePerGas"] = parse_quantity(tx["maxFeePerGas"], "transaction.maxFeePerGas") \
                if tx.get("maxFeePerGas") is not None else 2 * chain.base_fee() + tip
        if key is None:  # impersonated: built unsigned here, checked and charged as any other
            return _hex(chain.send_impersonated_transaction(unsigned, sender))
        signed = Account.sign_transaction(unsigned, key)
        return _hex(chain.send_raw_transaction(bytes(signed.raw_transaction)))

    # -- signing with the dev keys --------------------------------------------------------------------------

    def _dev_key(self, address: str, method: str) -> bytes:
        key = self.dev_keys.get(address)
        if key is None:
            raise RpcError(SERVER_ERROR, f"unknown account {address}: {method} signs only for the node's dev "
                                         "accounts (eth_accounts)")
        return key

    def _eth_sign(self, p: list) -> str:
        """geth's eth_sign(address, data): an EIP-191 personal-message signature (v is 27 or 28)."""
        address = parse_address(_param(p, 0, "address"), "address")
        data = parse_data(_param(p, 1, "data"), "data")
        key = self._dev_key(address, "eth_sign")
        return _hex(Account.sign_message(encode_defunct(primitive=data), key).signature)

    def _personal_sign(self, p: list) -> str:
        """geth's personal_sign(data, address[, password]): as eth_sign, parameters the other way round.

        Dev accounts are unlocked, so a password is accepted and not needed.
        """
        data = parse_data(_param(p, 0, "data"), "data")
        address = parse_address(_param(p, 1, "address"), "address")
        password = _param(p, 2, "password", None)
        if password is not None and not isinstance(password, str):
            raise _bad("password", f"expected a string, got {password!r:.80}")
        key = self._dev_key(address, "personal_sign")
        return _hex(Account.sign_message(encode_defunct(primitive=data), key).signature)

    def _sign_typed_data(self, p: list) -> str:
        """eth_signTypedData_v4(address, typedData): an EIP-712 signature; the data as a JSON string or object."""
        address = parse_address(_param(p, 0, "address"), "address")
        typed = _param(p, 1, "typed data")
        if isinstance(typed, str):
            try:
                typed = json.loads(typed)
            except ValueError as exc:
                raise _bad("typed data", f"not JSON: {exc}") from None
        if not isinstance(typed, dict):
            raise _bad("typed data", "expected an EIP-712 object {types, primaryType, domain, message}")
        missing = [k for k in ("types", "primaryType", "domain", "message") if k not in typed]
        if missing:
            raise _bad("typed data", f"missing {', '.join(missing)}")
        key = self._dev_key(address, "eth_signTypedData_v4")
        try:
            signable = encode_typed_data(full_message=typed)
        except Exception as exc:  # noqa: BLE001 - eth-account refuses bad typed data with many error types
            raise _bad("typed data", f"{type(exc).__name__}: {exc}") from None
        return _hex(Account.sign_message(signable, key).signature)

    # -- filters ---------------------------------------------------------------------------------------------

    def _new_filter(self, p: list) -> str:
        f = _param(p, 0, "filter")
        if not isinstance(f, dict):
            raise _bad("filter", "expected a filter object")
        if f.get("blockHash") is not None:
            raise _bad("filter.blockHash", "a filter watches new blocks; for one block's logs use eth_getLogs")
        criteria = _log_criteria(f)
        return self._install("logs", criteria=criteria)

    def _new_block_filter(self, p: list) -> str:
        return self._install("blocks")

    def _new_pending_filter(self, p: list) -> str:
        full = parse_bool(_param(p, 0, "full transactions", False), "full transactions")
        return self._install("pending", full_transactions=full)

    def _install(self, kind: str, **fields: Any) -> str:
        chain = self.chain
        with chain.lock:
            f = Filter(kind, chain.block_number, chain.reorg_mark, chain.arrival_mark, 0.0, **fields)
            return _q(self.filters.install(f))

    def _filter_changes(self, p: list) -> list:
        """What is new for a filter since it was installed or last polled: logs, block hashes or tx hashes."""
        fid = parse_filter_id(_param(p, 0, "filter id"))
        chain = self.chain
        with chain.lock:
            f = self.filters.poll(fid)
            went_back_to = chain.went_back_since(f.reorg_mark)
            if went_back_to is not None:  # evm_revert or anvil_reset: new blocks may reuse old numbers
                f.last_block = min(f.last_block, went_back_to)
            f.reorg_mark = chain.reorg_mark
            head = chain.block_number
            since, f.last_block = f.last_block, head
            if f.kind == "blocks":
                return [_hex(h) for h in chain.block_hashes(since + 1, head)]
            if f.kind == "pending":
                hashes = chain.arrivals_since(f.arrival_mark)
                f.arrival_mark = chain.arrival_mark
                if not f.full_transactions:
                    return [_hex(h) for h in hashes]
                txs = [chain.get_transaction(h) for h in hashes]
                return [format_transaction(t) for t in txs if t is not None]
            c = f.criteria
            assert c is not None
            start = 0 if c.from_block == "earliest" else c.from_block
            end = 0 if c.to_block == "earliest" else c.to_block
            lo = max(since + 1, start) if isinstance(start, int) else since + 1  # new blocks only
            hi = min(head, end) if isinstance(end, int) else head
            if lo > hi:
                return []
            return [format_log(lg) for lg in chain.get_logs(lo, hi, c.addresses, c.topics)]

    def _filter_logs(self, p: list) -> list:
        """Every log a log filter matches, as eth_getLogs with its criteria would answer now."""
        fid = parse_filter_id(_param(p, 0, "filter id"))
        with self.chain.lock:
            f = self.filters.poll(fid)
            if f.criteria is None:
                raise RpcError(SERVER_ERROR, f"filter not found: {_q(fid)} is a {f.kind} filter, and "
                                             "eth_getFilterLogs takes a log filter (eth_newFilter)")
            c = f.criteria
            logs = self.chain.get_logs(c.from_block, c.to_block, c.addresses, c.topics)
        return [format_log(lg) for lg in logs]

    def _uninstall_filter(self, p: list) -> bool:
        fid = parse_filter_id(_param(p, 0, "filter id"))
        with self.chain.lock:
            return self.filters.remove(fid)

    # -- debugging -------------------------------------------------------------------------------------------

    def _trace_transaction(self, p: list) -> dict[str, Any]:
        """The Python-contract call tree of a mined transaction, re-run on the state before it.

        The shape is geth's callTracer (type, from, to, value, gas, gasUsed,
        input, output, error, revertReason, calls) with each frame's contract
        class and method; the top frame's gas and gasUsed are the whole
        transaction's, and ``gasBreakdown`` is the receipt's. ``matchesReceipt``
        says whether the re-run used the receipt's gas (a contract class edited
        since the block was mined may not).
        """
        h = parse_hash(_param(p, 0, "transaction hash"), "transaction hash")
        options = _param(p, 1, "options", {})
        if not isinstance(options, dict):
            raise _bad("options", "expected an object such as {\"tracer\": \"callTracer\"}")
        tracer = options.get("tracer", "callTracer")
        if tracer != "callTracer":
            raise _bad("options.tracer", f"{tracer!r:.40} is not available: this chain runs Python contracts, not "
                                         "EVM opcodes; the callTracer (the default) shows their call tree")
        traced = self.chain.trace_transaction(h)
        if traced is None:
            raise RpcError(SERVER_ERROR, f"transaction {_hex(h)} not found (unknown, or not mined yet)")
        root, outcome, receipt = traced
        tx = self.chain.get_transaction(h)
        assert root is not None and tx is not None
        out = root.to_json()
        out.update(
            gas=_q(tx.gas), gasUsed=_q(receipt.gas_used), executionGasUsed=_q(root.gas_used),
            gasBreakdown=dict(receipt.gas_breakdown), status=_q(receipt.status),
            matchesReceipt=outcome.gas_used == receipt.gas_used and outcome.success == bool(receipt.status),
        )
        return out

    # -- transactions, blocks, logs ---------------------------------------------------------------------

    def _get_transaction_by_hash(self, p: list) -> dict | None:
        h = parse_hash(_param(p, 0, "transaction hash"), "transaction hash")
        tx = self.chain.get_transaction(h)
        if tx is None:
            return None
        base_fee = None
        if tx.block_number is not None:
            block = self.chain.get_block(tx.block_number)
            base_fee = block.base_fee if block else None
        return format_transaction(tx, base_fee)

    def _get_transaction_receipt(self, p: list) -> dict | None:
        h = parse_hash(_param(p, 0, "transaction hash"), "transaction hash")
        r = self.chain.get_receipt(h)
        return format_receipt(r) if r else None

    def _get_block_by_number(self, p: list) -> dict | None:
        ref = parse_block_ref(_param(p, 0, "block"), "block")
        full = parse_bool(_param(p, 1, "full transactions", False), "full transactions")
        block = self.chain.get_block(ref, full_transactions=full)
        return format_block(block) if block else None

    def _get_block_by_hash(self, p: list) -> dict | None:
        h = parse_hash(_param(p, 0, "block hash"), "block hash")
        full = parse_bool(_param(p, 1, "full transactions", False), "full transactions")
        block = self.chain.get_block(h, full_transactions=full)
        return format_block(block) if block else None

    def _get_block_receipts(self, p: list) -> list[dict] | None:
        block = self.chain.get_block(parse_block_ref(_param(p, 0, "block"), "block"))
        if block is None:
            return None
        return [format_receipt(self.chain.get_receipt(h)) for h in block.transactions]  # type: ignore[arg-type]

    def _tx_count_by_number(self, p: list) -> str | None:
        block = self.chain.get_block(parse_block_ref(_param(p, 0, "block"), "block"))
        return _q(len(block.transactions)) if block else None

    def _tx_count_by_hash(self, p: list) -> str | None:
        block = self.chain.get_block(parse_hash(_param(p, 0, "block hash"), "block hash"))
        return _q(len(block.transactions)) if block else None

    def _tx_by_number_and_index(self, p: list) -> dict | None:
        block = self.chain.get_block(parse_block_ref(_param(p, 0, "block"), "block"))
        index = parse_quantity(_param(p, 1, "index"), "index")
        if block is None or index >= len(block.transactions):
            return None
        tx = self.chain.get_transaction(block.transactions[index])  # type: ignore[arg-type]
        return format_transaction(tx, block.base_fee) if tx else None

    def _raw_transaction(self, p: list) -> str | None:
        tx = self.chain.get_transaction(parse_hash(_param(p, 0, "transaction hash"), "transaction hash"))
        return _hex(tx.raw) if tx else None

    def _get_logs(self, p: list) -> list[dict]:
        f = _param(p, 0, "filter")
        if not isinstance(f, dict):
            raise _bad("filter", "expected a filter object")
        criteria = _log_criteria(f)
        if f.get("blockHash") is not None:
            if f.get("fromBlock") is not None or f.get("toBlock") is not None:
                raise _bad("filter", "blockHash cannot be combined with fromBlock/toBlock")
            block = self.chain.get_block(parse_hash(f["blockHash"], "filter.blockHash"))
            if block is None:
                raise RpcError(SERVER_ERROR, f"unknown block {f['blockHash']}")
            criteria.from_block = criteria.to_block = block.number
        c = criteria
        logs = self.chain.get_logs(c.from_block, c.to_block, c.addresses, c.topics)
        return [format_log(lg) for lg in logs]

    # -- dev chain controls ----------------------------------------------------------------------------

    def _evm_mine(self, p: list) -> str:
        arg = _param(p, 0, "timestamp", None)
        count, ts = 1, None
        if isinstance(arg, dict):
            if arg.get("blocks") is not None:
                count = parse_quantity(arg["blocks"], "blocks")
            if arg.get("timestamp") is not None:
                ts = parse_quantity(arg["timestamp"], "timestamp")
        elif arg is not None:
            ts = parse_quantity(arg, "timestamp")
        _check_block_count(count)
        self.chain.mine(count, timestamp=ts)
        return "0x0"

    def _anvil_mine(self, p: list) -> None:
        count = parse_quantity(_param(p, 0, "blocks", 1), "blocks")
        interval = parse_quantity(_param(p, 1, "interval", 0), "interval")
        _check_block_count(count)
        head = self.chain.head.timestamp
        if interval and head + interval * count > MAX_TIMESTAMP:
            raise _bad("interval", f"{count} blocks {interval} seconds apart go past the uint64 timestamp limit")
        for _ in range(count):
            ts = self.chain.head.timestamp + interval if interval else None
            self.chain.mine(1, timestamp=ts)
        return None

    def _increase_time(self, p: list) -> str:
        seconds = parse_quantity(_param(p, 0, "seconds"), "seconds")
        return _q(self.chain.increase_time(seconds))

    def _set_next_block_timestamp(self, p: list) -> None:
        ts = parse_quantity(_param(p, 0, "timestamp"), "timestamp")
        self.chain.set_next_block_timestamp(ts)
        return None

    def _set_automine(self, p: list) -> None:
        self.chain.set_automine(parse_bool(_param(p, 0, "enabled"), "enabled"))
        return None

    def _set_interval_mining(self, p: list) -> None:
        """Seconds between blocks, as anvil takes it; a positive interval turns automine off."""
        seconds = parse_quantity(_param(p, 0, "interval"), "interval")
        if seconds > MAX_INTERVAL_SECONDS:
            raise _bad("interval", f"{seconds} seconds is more than a year ({MAX_INTERVAL_SECONDS})")
        self.chain.interval_mining_seconds = seconds
        if seconds:
            self.chain.set_automine(False)
        return None

    def _impersonate(self, p: list) -> None:
        """anvil_impersonateAccount: eth_sendTransaction from ``address`` works without its key."""
        self.chain.impersonate(parse_address(_param(p, 0, "address"), "address"))
        return None

    def _stop_impersonating(self, p: list) -> None:
        self.chain.stop_impersonating(parse_address(_param(p, 0, "address"), "address"))
        return None

    def _reset(self, p: list) -> None:
        """anvil_reset: this chain from its genesis again (forking, anvil's other use of it, is not offered)."""
        options = _param(p, 0, "options", None)
        if options is not None:
            if not isinstance(options, dict):
                raise _bad("options", "expected nothing, or an empty object")
            if options:
                raise _bad("options", f"{', '.join(sorted(map(str, options)))[:80]} not supported: this chain runs "
                                      "Python contracts and cannot fork another network; anvil_reset with no "
                                      "options starts this chain over from its genesis block")
        self.chain.reset()
        return None

    def _set_balance(self, p: list) -> None:
        address = parse_address(_param(p, 0, "address"), "address")
        balance = parse_quantity(_param(p, 1, "balance"), "balance")
        if balance > UINT256_MAX:
            raise _bad("balance", "larger than 256 bits")
        self.chain.set_balance(address, balance)
        return None

    # -- l2lab extras ----------------------------------------------------------------------------------------

    def _txpool_status(self, p: list) -> dict[str, str]:
        """geth's txpool_status: how many pooled transactions can run now, and how many wait on a gap."""
        executable, queued = self.chain.pool_split()
        return {"pending": _q(len(executable)), "queued": _q(len(queued))}

    def _txpool_content(self, p: list) -> dict[str, dict[str, dict[str, Any]]]:
        """geth's txpool_content: pooled transactions by sender and nonce, runnable ("pending") or "queued"."""
        out: dict[str, dict[str, dict[str, Any]]] = {"pending": {}, "queued": {}}
        for kind, txs in zip(("pending", "queued"), self.chain.pool_split(), strict=True):
            for tx in txs:
                out[kind].setdefault(tx.sender, {})[str(tx.nonce)] = format_transaction(tx)
        return out

    def _contracts(self, p: list) -> list[dict[str, Any]]:
        out = []
        for address, name in sorted(self.chain.contracts().items()):
            try:
                abi = get_contract_class(name).abi()
            except KeyError:
                abi = []  # the class is not imported in this process
            out.append({"address": address, "name": name, "abi": abi})
        return out

    def _gas_breakdown(self, p: list) -> dict[str, int] | None:
        h = parse_hash(_param(p, 0, "transaction hash"), "transaction hash")
        r = self.chain.get_receipt(h)
        return dict(r.gas_breakdown) if r else None


def _parse_access_list(value: Any) -> list[dict[str, Any]]:
    """An EIP-2930 access list as JSON: ``[{"address": ..., "storageKeys": [32-byte hashes]}]``."""
    if not isinstance(value, list):
        raise _bad("transaction.accessList", "expected a list of {address, storageKeys}")
    out = []
    for i, entry in enumerate(value):
        where = f"transaction.accessList[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("storageKeys", []), list):
            raise _bad(where, "expected {address, storageKeys: [...]}")
        out.append({
            "address": parse_address(entry.get("address"), f"{where}.address"),
            "storageKeys": [_hex(parse_hash(k, f"{where}.storageKeys")) for k in entry.get("storageKeys", [])],
        })
    return out


def _log_criteria(f: dict[str, Any]) -> LogCriteria:
    """The block range, emitters and topics of an eth_getLogs / eth_newFilter filter object."""
    lo = parse_block_ref(f["fromBlock"] if f.get("fromBlock") is not None else "latest", "filter.fromBlock")
    hi = parse_block_ref(f["toBlock"] if f.get("toBlock") is not None else "latest", "filter.toBlock")
    address = f.get("address")
    if isinstance(address, list):
        addresses: Any = [parse_address(a, "filter.address") for a in address]
    elif address is not None:
        addresses = parse_address(address, "filter.address")
    else:
        addresses = None
    topics_in = f.get("topics") or []
    if not isinstance(topics_in, list) or len(topics_in) > 4:
        raise _bad("filter.topics", "expected a list of at most 4 entries")
    topics: list[Any] = []
    for i, t in enumerate(topics_in):
        if t is None:
            topics.append(None)
        elif isinstance(t, list):
            topics.append([parse_hash(x, f"filter.topics[{i}]") for x in t] or None)
        else:
            topics.append(parse_hash(t, f"filter.topics[{i}]"))
    return LogCriteria(lo, hi, addresses, topics)


def _answering_true(method: Callable[[list], None]) -> Callable[[list], bool]:
    def run(params: list) -> bool:
        method(params)
        return True

    return run


def _check_block_count(count: int) -> None:
    if not 1 <= count <= MAX_MINE_BLOCKS:
        raise _bad("blocks", f"{count} is not in 1..{MAX_MINE_BLOCKS}")


def _error(req_id: Any, exc: RpcError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": req_id, "error": exc.to_json()}


__all__ = [
    "FilterRegistry",
    "RpcDispatcher",
    "RpcError",
    "format_block",
    "format_log",
    "format_receipt",
    "format_transaction",
]


def in_process_l1(chain: Chain, dev_keys: Mapping[str, bytes] | None = None) -> L1Client:
    """An ``L1Client`` over ``chain`` in this process, through a dispatcher of its own.

    Tests, notebooks, demos and benchmarks use this to talk to a chain without a server.
    """
    return L1Client.in_process(RpcDispatcher(chain, dev_keys))
