"""The L1 under bad input: every refusal names the problem and changes nothing.

Each case goes through ``RpcDispatcher.handle_request`` as a client's JSON
would, and checks the JSON-RPC error code, that the message names what was
wrong, and that the chain's whole state (head, accounts, storage, pool,
clock settings) is exactly what it was.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from typing import Any

import pytest
import rlp
from eth_abi import encode as abi_encode
from eth_account import Account

from contracts_spec.examples import Counter, Reverter
from contracts_spec.runtime import deploy_data, slot_of
from contracts_spec.runtime.abi import DEPLOY_MAGIC
from node.chain import MAX_MINE_BLOCKS, MAX_TIMESTAMP, Chain
from node.rpc import RpcDispatcher
from node.store import Store
from node.transactions import MAX_TX_BYTES, SECP256K1_N, TxRejected

KEY = b"\x21" * 32
ALICE = Account.from_key(KEY).address
DEAD = "0x000000000000000000000000000000000000dEaD"
ETH = 10**18
T0 = 1_700_000_000
HUGE = "0x1" + "0" * 64  # 2**256
WIDE = "0x" + "f" * 4000  # far past 256 bits
INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, INTERNAL = -32600, -32601, -32602, -32603


def chain_state(chain: Chain) -> str:
    """A digest of everything a refused request must leave alone."""
    w = chain.world
    parts = {
        "head": chain.head.hash.hex(),
        "number": chain.block_number,
        "balances": sorted((a, b) for a, b in w.balances.items() if b),
        "nonces": sorted((a, n) for a, n in w.nonces.items() if n),
        "code": sorted(w.code.items()),
        "storage": sorted((a, sorted((k, v) for k, v in s.items() if v)) for a, s in w.storage.items() if any(s.values())),
        "pending": [t.hash.hex() for t in chain.pending],
        "clock": [chain.time_offset, chain.next_timestamp, chain.automine, chain.interval_mining_seconds],
        "stored_pending": [r.hex() for r in chain.store.pending()],
    }
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def make_rpc() -> RpcDispatcher:
    chain = Chain(genesis_alloc={ALICE: 100 * ETH}, genesis_timestamp=T0)
    return RpcDispatcher(chain, {ALICE: KEY})


@pytest.fixture(scope="module")
def rpc() -> RpcDispatcher:
    """One chain with a little history (a transfer and a Counter) for all refusal cases."""
    r = make_rpc()
    r.handle("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "value": "0x1"}])
    r.handle("eth_sendTransaction", [{"from": ALICE, "data": "0x" + deploy_data("Counter", 1).hex()}])
    return r


def request(rpc: RpcDispatcher, method: Any, params: Any = None, **extra: Any) -> dict:
    obj: dict[str, Any] = {"jsonrpc": "2.0", "id": 7, "method": method, **extra}
    if params is not None:
        obj["params"] = params
    answer = rpc.handle_request(obj)
    json.dumps(answer, allow_nan=False)  # whatever comes back can be written as JSON
    assert isinstance(answer, dict)
    return answer


def signed(chain: Chain, key: bytes = KEY, **fields: Any) -> str:
    sender = Account.from_key(key).address
    tx = {
        "type": 2, "chainId": chain.chain_id, "nonce": chain.get_nonce(sender, pending=True), "to": DEAD,
        "value": 1, "gas": 21_000, "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 2 * chain.base_fee() + 10**9,
    }
    tx.update(fields)
    return "0x" + bytes(Account.sign_transaction(tx, key).raw_transaction).hex()


def _high_s(raw_hex: str) -> str:
    """The same type-2 transaction with its signature's s flipped to n - s (and parity with it)."""
    items = rlp.decode(bytes.fromhex(raw_hex[4:]))
    s = int.from_bytes(items[11], "big")
    items[11] = (SECP256K1_N - s).to_bytes(32, "big")
    items[9] = b"" if items[9] == b"\x01" else b"\x01"
    return "0x02" + rlp.encode(items).hex()


# (method, params, code, words the message must contain)
BAD_PARAMS: list[tuple[str, Any, int, str]] = [
    # quantities: strict hex only
    ("eth_getBalance", [ALICE, "0x-1"], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, "0x 1"], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, "0x1_0"], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, "0x"], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, "12"], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, 1.5], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, True], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, -1], INVALID_PARAMS, "negative"),
    ("eth_getBalance", [ALICE, ["latest"]], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, {"blockNumber": {"blockNumber": "0x0"}}], INVALID_PARAMS, "invalid block"),
    ("eth_getBalance", [ALICE, {"blockHash": 5}], INVALID_PARAMS, "blockHash"),
    ("eth_getBalance", [ALICE, "0x5"], -32000, "not kept"),
    ("eth_getBalance", ["0x12"], INVALID_PARAMS, "invalid address"),
    ("eth_getBalance", ["f39Fd6e51aad88F6F4ce6aB8827279cffFb92266"], INVALID_PARAMS, "invalid address"),
    ("eth_getBalance", [None], INVALID_PARAMS, "missing parameter 0: address"),
    ("eth_getBalance", [], INVALID_PARAMS, "missing parameter 0: address"),
    ("eth_getBalance", {"address": ALICE}, INVALID_PARAMS, "params must be a JSON array"),
    ("eth_getBalance", "0x1", INVALID_PARAMS, "params must be a JSON array"),
    # more arguments than the method takes
    ("eth_getBalance", [ALICE, "latest", "extra"], INVALID_PARAMS, "too many arguments for eth_getBalance"),
    ("eth_blockNumber", [1], INVALID_PARAMS, "too many arguments"),
    ("eth_call", [{"to": DEAD}, "latest", {DEAD: {"balance": "0x1"}}], INVALID_PARAMS, "too many arguments"),
    ("anvil_mine", ["0x1", "0x1", "0x1"], INVALID_PARAMS, "too many arguments for anvil_mine"),
    ("eth_getStorageAt", [DEAD, HUGE], INVALID_PARAMS, "larger than 256 bits"),
    ("eth_feeHistory", ["0x1", "latest", [True]], INVALID_PARAMS, "rewardPercentiles"),
    ("eth_feeHistory", ["0x1", "latest", [50, 10]], INVALID_PARAMS, "rewardPercentiles"),
    ("eth_feeHistory", ["0x1", "0x" + "f" * 40, []], INVALID_PARAMS, "after the latest block"),
    # calls
    ("eth_call", [{"to": DEAD, "data": "0x123"}], INVALID_PARAMS, "transaction.data"),
    ("eth_call", [{"to": DEAD, "data": "1234"}], INVALID_PARAMS, "transaction.data"),
    ("eth_call", [{"to": DEAD, "data": "0xzz"}], INVALID_PARAMS, "transaction.data"),
    ("eth_call", [{"to": 5}], INVALID_PARAMS, "transaction.to"),
    ("eth_call", [{"to": DEAD, "value": "-0x1"}], INVALID_PARAMS, "transaction.value"),
    ("eth_call", ["0x1"], INVALID_PARAMS, "expected a transaction object"),
    ("eth_call", [{"to": DEAD, "input": "0x12", "data": "0x34"}], INVALID_PARAMS, "input and data"),
    ("eth_call", [{"to": DEAD, "value": "0x1"}], 3, "exceeds the sender's balance"),
    ("eth_call", [{"data": "0x" + b"L2LAB\x00".hex()}], 3, "bad creation data"),
    ("eth_call", [{"data": "0x" + (DEPLOY_MAGIC + abi_encode(["string", "bytes"], ["Counter", b"\x01"])).hex()}],
     3, "bad ABI data for constructor(uint256)"),
    ("eth_call", [{"data": "0x" + deploy_data("Counter", 1).hex().replace(b"Counter".hex(), b"Nobody1".hex())}],
     3, "unknown contract 'Nobody1'"),
    ("eth_estimateGas", [{"to": DEAD, "gas": "0x1"}], 3, "intrinsic needs 21000"),
    # sending through the dev account
    ("eth_sendTransaction", [{"to": DEAD}], INVALID_PARAMS, "transaction.from"),
    ("eth_sendTransaction", [{"from": DEAD, "to": DEAD}], -32000, "unknown account"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "type": "0x3"}], INVALID_PARAMS, "transaction.type"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "value": HUGE}], INVALID_PARAMS, "transaction.value"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "value": hex(2**256 - 1)}], 3, "exceeds the sender's"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "gas": "0x1"}], -32000, "intrinsic gas too low"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "nonce": "0x3e8"}], -32000, "nonce too high"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "nonce": "0x0"}], -32000, "nonce too low"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "maxFeePerGas": "0x1", "maxPriorityFeePerGas": "0x2"}],
     -32000, "higher than max fee"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "gas": "0x1c9c381"}], -32000, "exceeds the block gas limit"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "chainId": "0x1"}], INVALID_PARAMS, "transaction.chainId"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "gasPrice": "0x1", "maxFeePerGas": "0x1"}],
     INVALID_PARAMS, "cannot both be set"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "type": "0x2", "gasPrice": "0x1"}],
     INVALID_PARAMS, "transaction.gasPrice"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "type": "0x0", "accessList": []}],
     INVALID_PARAMS, "transaction.accessList"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "accessList": [{"address": "0x12"}]}],
     INVALID_PARAMS, "transaction.accessList[0].address"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "accessList": [{"address": DEAD, "storageKeys": ["0x1"]}]}],
     INVALID_PARAMS, "transaction.accessList[0].storageKeys"),
    ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "accessList": "x"}], INVALID_PARAMS, "transaction.accessList"),
    # raw transactions that are not transactions
    ("eth_sendRawTransaction", ["0x"], INVALID_PARAMS, "empty raw transaction"),
    ("eth_sendRawTransaction", [12], INVALID_PARAMS, "raw transaction"),
    ("eth_sendRawTransaction", ["0x02"], INVALID_PARAMS, "truncated"),
    ("eth_sendRawTransaction", ["0xf8"], INVALID_PARAMS, "truncated"),
    ("eth_sendRawTransaction", ["0x02c0"], INVALID_PARAMS, "list of 12 items"),
    ("eth_sendRawTransaction", ["0x03" + rlp.encode([b"\x01"] * 14).hex()], INVALID_PARAMS, "blob"),
    ("eth_sendRawTransaction", ["0x04" + rlp.encode([b"\x01"] * 13).hex()], INVALID_PARAMS, "EIP-7702"),
    ("eth_sendRawTransaction", ["0x7f"], INVALID_PARAMS, "unsupported transaction type 0x7f"),
    ("eth_sendRawTransaction", ["0x" + "ff" * (MAX_TX_BYTES + 1)], -32000, "oversized"),
    ("eth_sendRawTransaction", ["0x02" + rlp.encode([[b""]] * 12).hex()], INVALID_PARAMS, "chainId"),
    # reads of things that do not exist, or cannot
    ("eth_getBlockByNumber", ["0x1", "yes"], INVALID_PARAMS, "full transactions"),
    ("eth_getBlockByNumber", ["foo"], INVALID_PARAMS, "invalid block"),
    ("eth_getBlockByHash", ["0x00", True], INVALID_PARAMS, "32-byte hash"),
    ("eth_getTransactionReceipt", ["0x1234"], INVALID_PARAMS, "32-byte hash"),
    ("eth_getLogs", [{"topics": ["0x12"]}], INVALID_PARAMS, "filter.topics[0]"),
    ("eth_getLogs", [{"topics": [[None]]}], INVALID_PARAMS, "filter.topics[0]"),
    ("eth_getLogs", [{"topics": [None] * 5}], INVALID_PARAMS, "at most 4"),
    ("eth_getLogs", [{"topics": "x"}], INVALID_PARAMS, "filter.topics"),
    ("eth_getLogs", [{"address": [5]}], INVALID_PARAMS, "filter.address"),
    ("eth_getLogs", [{"blockHash": "0x" + "00" * 32}], -32000, "unknown block"),
    ("eth_getLogs", [{"fromBlock": "0x-1"}], INVALID_PARAMS, "filter.fromBlock"),
    ("eth_getLogs", [{"blockHash": "0x" + "00" * 32, "fromBlock": "0x0"}], INVALID_PARAMS, "cannot be combined"),
    ("eth_getLogs", [None], INVALID_PARAMS, "missing parameter 0: filter"),
    # dev controls
    ("evm_increaseTime", [-5], INVALID_PARAMS, "negative"),
    ("evm_increaseTime", ["-0x5"], INVALID_PARAMS, "invalid seconds"),
    ("evm_increaseTime", ["0x" + "f" * 20], INVALID_PARAMS, "uint64"),
    ("evm_setNextBlockTimestamp", ["0x1"], INVALID_PARAMS, "after the latest block"),
    ("evm_setNextBlockTimestamp", [hex(MAX_TIMESTAMP + 1)], INVALID_PARAMS, "uint64"),
    ("evm_mine", ["0x1"], INVALID_PARAMS, "after the latest block"),
    ("evm_mine", [hex(MAX_TIMESTAMP + 1)], INVALID_PARAMS, "uint64"),
    ("evm_mine", [{"blocks": "0x0"}], INVALID_PARAMS, "blocks"),
    ("evm_mine", [{"blocks": hex(MAX_MINE_BLOCKS + 1)}], INVALID_PARAMS, "blocks"),
    ("evm_mine", [[1]], INVALID_PARAMS, "timestamp"),
    ("anvil_mine", ["0xfffffff"], INVALID_PARAMS, "blocks"),
    ("anvil_mine", ["0x2", hex(MAX_TIMESTAMP)], INVALID_PARAMS, "uint64"),
    ("evm_setAutomine", ["true"], INVALID_PARAMS, "enabled"),
    ("evm_setIntervalMining", ["0x" + "f" * 300], INVALID_PARAMS, "interval"),
    ("evm_revert", [], INVALID_PARAMS, "snapshot id"),
    ("anvil_setBalance", [DEAD, HUGE], INVALID_PARAMS, "256 bits"),
    ("anvil_setBalance", [DEAD], INVALID_PARAMS, "missing parameter 1: balance"),
    ("l2lab_gasBreakdown", ["0x00"], INVALID_PARAMS, "32-byte hash"),
    # quantities wider than 256 bits (Python cannot even print ints of over 4300 digits)
    *[(m, p, INVALID_PARAMS, "larger than 256 bits") for m, p in [
        ("eth_getBalance", [ALICE, WIDE]), ("evm_increaseTime", [WIDE]), ("evm_mine", [WIDE]),
        ("evm_setNextBlockTimestamp", [WIDE]), ("eth_feeHistory", ["0x1", WIDE]), ("anvil_mine", ["0x1", WIDE]),
        ("evm_revert", [WIDE]), ("eth_getLogs", [{"fromBlock": WIDE}]), ("eth_getBlockByNumber", [WIDE, False]),
        ("eth_call", [{"to": DEAD, "value": WIDE}]), ("eth_call", [{"to": DEAD, "gas": WIDE}]),
        ("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "nonce": WIDE}]), ("evm_setIntervalMining", [WIDE]),
        ("eth_estimateGas", [{"to": DEAD, "value": WIDE}]), ("evm_increaseTime", [2**300]),
    ]],
]


@pytest.mark.parametrize(("method", "params", "code", "words"), BAD_PARAMS,
                         ids=[f"{i}-{c[0]}" for i, c in enumerate(BAD_PARAMS)])
def test_bad_params_are_named_and_change_nothing(rpc, method, params, code, words) -> None:
    before = chain_state(rpc.chain)
    answer = request(rpc, method, params)
    assert "result" not in answer, answer
    assert answer["error"]["code"] == code, answer
    assert words in answer["error"]["message"], answer
    assert answer["id"] == 7
    assert chain_state(rpc.chain) == before


def test_bad_raw_transactions_change_nothing(rpc) -> None:
    chain = rpc.chain
    good = signed(chain)
    cases = [
        (good[:-10], INVALID_PARAMS, "truncated"),
        (good + "00", INVALID_PARAMS, "trailing bytes"),
        (signed(chain, chainId=1), -32003, "wrong chain id 1"),
        (_high_s(good), -32003, "high s"),
        (signed(chain, value=2**256 - 1), -32000, "insufficient funds"),
        (signed(chain, maxFeePerGas=2**256 - 1, maxPriorityFeePerGas=1), -32000, "insufficient funds"),
        (signed(chain, gas=2**64), -32000, "exceeds the block gas limit"),
        (signed(chain, maxFeePerGas=1, maxPriorityFeePerGas=1), -32000, "less than block base fee"),
        (signed(Chain(chain_id=5), KEY), -32003, "wrong chain id 5"),
    ]
    legacy = Account.sign_transaction(
        {"nonce": 2, "to": DEAD, "value": 1, "gas": 21_000, "gasPrice": 10**10}, KEY
    )
    cases.append(("0x" + bytes(legacy.raw_transaction).hex(), -32003, "pre-EIP-155"))
    for raw, code, words in cases:
        before = chain_state(chain)
        error = request(rpc, "eth_sendRawTransaction", [raw])["error"]
        assert error["code"] == code and words in error["message"], (words, error)
        assert chain_state(chain) == before


def test_replayed_transaction_is_refused() -> None:
    rpc = make_rpc()
    raw = signed(rpc.chain)
    tx_hash = request(rpc, "eth_sendRawTransaction", [raw])["result"]
    before = chain_state(rpc.chain)
    error = request(rpc, "eth_sendRawTransaction", [raw])["error"]
    assert error["code"] == -32000 and "already known" in error["message"] and tx_hash[2:] in error["message"]
    assert chain_state(rpc.chain) == before


def test_numbers_past_the_head_are_absent_not_internal_errors(rpc) -> None:
    """Block numbers too big for SQLite's integers answered 'internal error' before."""
    for big in ("0x" + "f" * 20, "0x" + "f" * 64, hex(2**63)):
        assert request(rpc, "eth_getBlockByNumber", [big, False])["result"] is None
        assert request(rpc, "eth_getBlockReceipts", [big])["result"] is None
        assert request(rpc, "eth_getBlockTransactionCountByNumber", [big])["result"] is None
        assert request(rpc, "eth_getTransactionByBlockNumberAndIndex", [big, big])["result"] is None
        assert request(rpc, "eth_getLogs", [{"fromBlock": "0x0", "toBlock": big}])["result"] == []
        assert request(rpc, "eth_getLogs", [{"fromBlock": big, "toBlock": big}])["result"] == []


def test_logs_range_and_topics(rpc) -> None:
    logs = request(rpc, "eth_getLogs", [{"fromBlock": "earliest", "toBlock": "pending"}])["result"]
    assert logs == []  # the Counter's constructor emits nothing
    assert request(rpc, "eth_getLogs", [{"fromBlock": "0x5", "toBlock": "0x1"}])["result"] == []
    assert request(rpc, "eth_getLogs", [{"topics": [[]], "address": []}])["result"] == []


def test_calls_to_accounts_without_code_return_nothing(rpc) -> None:
    for to in (ALICE, DEAD, "0x0000000000000000000000000000000000000001"):
        assert request(rpc, "eth_call", [{"to": to, "data": "0x12345678"}])["result"] == "0x"


def test_envelope_errors() -> None:
    rpc = make_rpc()
    before = chain_state(rpc.chain)
    assert rpc.handle_request([])["error"]["code"] == INVALID_REQUEST
    assert rpc.handle_request([1]) == [
        {"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST, "message": "request must be a JSON object"}}
    ]
    for bad_id in (float("inf"), float("nan"), [1], {"a": 1}, True):
        answer = rpc.handle_request({"jsonrpc": "2.0", "id": bad_id, "method": "eth_blockNumber"})
        assert answer["error"]["code"] == INVALID_REQUEST and "id must be" in answer["error"]["message"]
        json.dumps(answer, allow_nan=False)
    assert request(rpc, "eth_blockNumber", jsonrpc="1.0")["error"]["code"] == INVALID_REQUEST
    assert request(rpc, 5)["error"]["code"] == INVALID_REQUEST
    long_name = "x" * 100_000
    error = request(rpc, long_name)["error"]
    assert error["code"] == METHOD_NOT_FOUND and len(error["message"]) < 200
    assert request(rpc, "__init__")["error"]["code"] == METHOD_NOT_FOUND
    # a notification gets no answer, even when it is bad
    assert rpc.handle_request({"jsonrpc": "2.0", "method": "eth_getBalance", "params": [1]}) is None
    batch = rpc.handle_request([{"jsonrpc": "2.0", "id": i, "method": "eth_blockNumber"} for i in range(1000)])
    assert isinstance(batch, list) and [a["id"] for a in batch] == list(range(1000))
    assert chain_state(rpc.chain) == before


def test_trailing_nulls_are_defaults_not_extra_arguments(rpc) -> None:
    assert request(rpc, "eth_getBalance", [ALICE, None, None])["result"].startswith("0x")
    assert request(rpc, "eth_blockNumber", [None])["result"] == hex(rpc.chain.block_number)


def test_fee_history_of_zero_blocks() -> None:
    rpc = make_rpc()
    out = request(rpc, "eth_feeHistory", ["0x0", "latest", []])["result"]
    assert out == {"oldestBlock": "0x0", "baseFeePerGas": [], "gasUsedRatio": []}


def test_mining_bounds_allow_the_largest_legal_values() -> None:
    rpc = make_rpc()
    assert request(rpc, "evm_setIntervalMining", ["0x3c"])["result"] is None
    assert request(rpc, "evm_setIntervalMining", ["0x0"])["result"] is None
    assert request(rpc, "evm_setAutomine", [True])["result"] is None
    assert request(rpc, "evm_mine", [hex(MAX_TIMESTAMP)])["result"] == "0x0"
    assert rpc.chain.head.timestamp == MAX_TIMESTAMP
    # Blocks may share a timestamp, so the chain still mines at the end of time...
    assert request(rpc, "evm_mine", [])["result"] == "0x0"
    assert rpc.chain.head.timestamp == MAX_TIMESTAMP
    # ...but no block is mined past it.
    error = request(rpc, "evm_mine", [hex(MAX_TIMESTAMP + 1)])["error"]
    assert error["code"] == INVALID_PARAMS and "uint64" in error["message"]


def test_revert_to_unknown_snapshot_is_false_and_changes_nothing() -> None:
    rpc = make_rpc()
    before = chain_state(rpc.chain)
    for sid in ("0x99", "0x" + "f" * 64):
        assert request(rpc, "evm_revert", [sid])["result"] is False
    assert chain_state(rpc.chain) == before
    sid = request(rpc, "evm_snapshot")["result"]
    request(rpc, "evm_mine")
    assert request(rpc, "evm_revert", [sid])["result"] is True
    assert chain_state(rpc.chain) == before
    assert request(rpc, "evm_revert", [sid])["result"] is False  # used up


def test_failed_block_write_leaves_no_ghost_transaction(monkeypatch) -> None:
    """A transaction whose block could not be written is not acknowledged and not kept."""
    rpc = make_rpc()
    chain = rpc.chain
    raw = signed(chain)
    before = chain_state(chain)

    def disk_full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as m:
        m.setattr(Store, "put_block", staticmethod(disk_full))
        answer = request(rpc, "eth_sendRawTransaction", [raw])
    assert answer["error"]["code"] == INTERNAL and "disk is full" in answer["error"]["message"]
    assert list(chain.pending) == [] and chain_state(chain) == before
    assert request(rpc, "eth_getTransactionCount", [ALICE, "pending"])["result"] == "0x0"
    # the same transaction goes through once the disk is back
    tx_hash = request(rpc, "eth_sendRawTransaction", [raw])["result"]
    assert request(rpc, "eth_getTransactionReceipt", [tx_hash])["result"]["status"] == "0x1"
    assert chain.block_number == 1


def test_call_gas_is_capped_at_the_block_limit() -> None:
    """eth_call with gas 2**64 on an endless loop ends out of gas instead of holding the node for hours."""
    rpc = make_rpc()
    h = rpc.handle("eth_sendTransaction", [{"from": ALICE, "data": "0x" + deploy_data("Reverter").hex()}])
    reverter = rpc.handle("eth_getTransactionReceipt", [h])["contractAddress"]
    spec = Reverter.method("burn")
    data = "0x" + (spec.selector + abi_encode(["uint256"], [10**9])).hex()
    before = chain_state(rpc.chain)
    for method in ("eth_call", "eth_estimateGas"):
        error = request(rpc, method, [{"to": reverter, "data": data, "gas": hex(2**64)}])["error"]
        assert error["code"] == 3 and "out of gas" in error["message"]
    assert chain_state(rpc.chain) == before


def test_concurrent_dev_sends_never_collide_on_a_nonce() -> None:
    """The HTTP server answers from several threads; each eth_sendTransaction gets its own nonce."""
    rpc = make_rpc()
    errors: list[str] = []

    def send_some() -> None:
        for _ in range(10):
            answer = request(rpc, "eth_sendTransaction", [{"from": ALICE, "to": DEAD, "value": "0x1"}])
            if "error" in answer:
                errors.append(answer["error"]["message"])

    threads = [threading.Thread(target=send_some) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert rpc.chain.get_nonce(ALICE) == 40 and rpc.chain.get_balance(DEAD) == 40


def test_calls_with_bad_abi_data_name_the_problem(rpc) -> None:
    counter = rpc.handle("eth_getTransactionReceipt", [_deploy_hash(rpc)])["contractAddress"]
    selector = Counter.method("increment").selector.hex()
    cases = [
        ("0x" + selector, "bad ABI data for increment(uint256)"),
        ("0x" + selector + "00" * 31, "bad ABI data for increment(uint256)"),
        ("0xdeadbeef", "unknown method selector 0xdeadbeef for Counter"),
        ("0x1234", "too short for a method selector"),
        ("0x", "does not accept plain ETH"),
    ]
    for data, words in cases:
        before = chain_state(rpc.chain)
        error = request(rpc, "eth_call", [{"to": counter, "data": data}])["error"]
        assert error["code"] == 3 and words in error["message"], (data, error)
        assert error["data"].startswith("0x08c379a0")  # Solidity's Error(string), as clients decode it
        assert chain_state(rpc.chain) == before
    error = request(rpc, "eth_call", [{"from": ALICE, "to": counter, "value": "0x1",
                                       "data": "0x" + selector + "00" * 32}])["error"]
    assert "not payable" in error["message"]


def test_a_mined_call_with_bad_abi_data_reverts_and_pays_gas() -> None:
    rpc = make_rpc()
    deployed = rpc.handle("eth_sendTransaction", [{"from": ALICE, "data": "0x" + deploy_data("Counter", 1).hex()}])
    counter = rpc.handle("eth_getTransactionReceipt", [deployed])["contractAddress"]
    balance = rpc.chain.get_balance(ALICE)
    h = rpc.handle("eth_sendTransaction", [{"from": ALICE, "to": counter, "gas": "0x30000",
                                            "data": "0x" + Counter.method("increment").selector.hex()}])
    receipt = rpc.handle("eth_getTransactionReceipt", [h])
    assert receipt["status"] == "0x0" and "bad ABI data for increment(uint256)" in receipt["revertReason"]
    assert receipt["logs"] == [] and rpc.chain.get_storage_at(counter, slot_of("count")) == 1
    paid = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert int(receipt["gasUsed"], 16) > 21_000 and rpc.chain.get_balance(ALICE) == balance - paid


def _deploy_hash(rpc: RpcDispatcher) -> str:
    """The Counter deployment of the shared fixture (the block with ALICE's second transaction)."""
    block = rpc.handle("eth_getBlockByNumber", ["0x2", False])
    return block["transactions"][0]


def test_chain_api_refuses_bad_arguments_by_name() -> None:
    """Actors call ``Chain`` directly: the same refusals, as ValueError/TxRejected, with no change."""
    rpc = make_rpc()
    chain = rpc.chain
    before = chain_state(chain)
    cases: list[tuple[Any, str]] = [
        (lambda: chain.get_balance(123), "not a 20-byte address"),
        (lambda: chain.call("0x12"), "to: not a 20-byte address"),
        (lambda: chain.call(DEAD, gas=-1), "gas must be a non-negative int"),
        (lambda: chain.mine(True), "count must be a positive int"),
        (lambda: chain.mine(MAX_MINE_BLOCKS + 1), "count must be a positive int"),
        (lambda: chain.get_block(True), "bad block reference"),
        (lambda: chain.get_logs(from_block=-5), "bad block number"),
        (lambda: chain.get_storage_at(DEAD, -1), "slot must be a uint256"),
        (lambda: chain.set_next_block_timestamp(T0 + 10**6 + 0.5), "must be an int"),
        (lambda: chain.increase_time(True), "non-negative int"),
        (lambda: chain.set_balance(DEAD, 2**256), "0..2**256-1"),
        (lambda: setattr(chain, "interval_mining_seconds", float("nan")), "interval must be"),
        (lambda: setattr(chain, "interval_mining_seconds", float("inf")), "interval must be"),
        (lambda: setattr(chain, "interval_mining_seconds", -1), "interval must be"),
        (lambda: chain.send_raw_transaction("0x02"), "raw transaction must be bytes"),
    ]
    for action, words in cases:
        with pytest.raises((ValueError, TxRejected)) as info:
            action()
        assert words in str(info.value), (words, info.value)
        assert chain_state(chain) == before
    with pytest.raises(ValueError, match="0..2"):
        Chain(genesis_alloc={DEAD: 2**256})


def test_a_revert_that_cannot_be_written_changes_nothing(monkeypatch) -> None:
    rpc = make_rpc()
    sid = request(rpc, "evm_snapshot")["result"]
    request(rpc, "eth_sendRawTransaction", [signed(rpc.chain)])
    request(rpc, "evm_increaseTime", ["0x100"])
    before = chain_state(rpc.chain)

    def disk_full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as m:
        m.setattr(Store, "put_pending", staticmethod(disk_full))
        m.setattr(Store, "put_meta", staticmethod(disk_full))
        answer = request(rpc, "evm_revert", [sid])
    assert "disk is full" in answer["error"]["message"]
    assert chain_state(rpc.chain) == before and rpc.chain.block_number == 1
    assert request(rpc, "evm_revert", [sid])["result"] is True  # the snapshot is still there
    assert rpc.chain.block_number == 0 and rpc.chain.time_offset == 0


def test_settings_that_cannot_be_saved_stay_as_they_were(monkeypatch) -> None:
    rpc = make_rpc()
    before = chain_state(rpc.chain)

    def disk_full(*args: Any) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    with monkeypatch.context() as m:
        m.setattr(Store, "put_meta", staticmethod(disk_full))
        for method, params in [("evm_setAutomine", [False]), ("evm_increaseTime", ["0x10"]),
                               ("evm_setNextBlockTimestamp", [hex(T0 + 10**7)]), ("evm_setIntervalMining", ["0x5"])]:
            answer = request(rpc, method, params)
            assert "disk is full" in answer["error"]["message"], (method, answer)
            assert chain_state(rpc.chain) == before, method


def test_send_transaction_honours_type_and_access_list() -> None:
    """Fields a client sets are used, not silently dropped: type 0/1/2 and the access list."""
    rpc = make_rpc()
    slot = "0x" + "00" * 31 + "07"
    for fields, kind in [({"type": "0x0"}, "0x0"), ({"gasPrice": hex(3 * 10**9)}, "0x0"),
                         ({"type": "0x1"}, "0x1"), ({"gasPrice": hex(3 * 10**9), "accessList": []}, "0x1"),
                         ({}, "0x2"), ({"accessList": [{"address": DEAD, "storageKeys": [slot]}]}, "0x2")]:
        h = rpc.handle("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "value": "0x1", **fields}])
        tx = rpc.handle("eth_getTransactionByHash", [h])
        assert tx["type"] == kind and rpc.handle("eth_getTransactionReceipt", [h])["status"] == "0x1"
        if "accessList" in fields and fields["accessList"]:
            assert tx["accessList"] == [{"address": DEAD, "storageKeys": [slot]}]
