"""JSON-RPC: each method's shape, parameter errors naming the parameter, envelopes and batches."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from web3 import Web3
from web3.providers.base import BaseProvider

from contracts_spec.examples import Counter, Vault
from contracts_spec.runtime import Contract, bytecode, deploy_data, slot_of
from node.chain import Chain
from node.rpc import RpcDispatcher, RpcError

KEY = b"\x11" * 32
ALICE = Account.from_key(KEY).address
BOB = Account.from_key(b"\x12" * 32).address
ETH = 10**18


@pytest.fixture
def rpc() -> RpcDispatcher:
    chain = Chain(genesis_alloc={ALICE: 100 * ETH}, genesis_timestamp=1_700_000_000)
    return RpcDispatcher(chain, {ALICE: KEY})


def call_data(cls: type[Contract], name: str, *args: object) -> str:
    spec = cls.method(name)
    return "0x" + (spec.selector + abi_encode(list(spec.types), list(args))).hex()


def send(rpc: RpcDispatcher, **tx: Any) -> dict:
    tx.setdefault("from", ALICE)
    h = rpc.handle("eth_sendTransaction", [tx])
    return rpc.handle("eth_getTransactionReceipt", [h])


def deploy(rpc: RpcDispatcher, name: str, *args: object) -> str:
    receipt = send(rpc, data="0x" + deploy_data(name, *args).hex())
    assert receipt["status"] == "0x1"
    return receipt["contractAddress"]


def is_qty(v: Any) -> bool:
    return isinstance(v, str) and v.startswith("0x") and (v == "0x0" or not v.startswith("0x0"))


def test_basic_reads(rpc: RpcDispatcher) -> None:
    h = rpc.handle
    assert h("web3_clientVersion", []).startswith("l2lab/")
    assert h("net_version", []) == "31337"
    assert h("eth_chainId", []) == "0x7a69"
    assert h("eth_blockNumber", []) == "0x0"
    assert h("eth_getBalance", [ALICE, "latest"]) == hex(100 * ETH)
    assert h("eth_getBalance", [ALICE.lower()]) == hex(100 * ETH)
    assert h("eth_getTransactionCount", [ALICE, "latest"]) == "0x0"
    assert h("eth_getCode", [ALICE, "latest"]) == "0x"
    assert h("eth_accounts", []) == [ALICE]
    assert h("eth_syncing", []) is False
    assert h("eth_mining", []) is True
    assert is_qty(h("eth_gasPrice", [])) and h("eth_maxPriorityFeePerGas", []) == hex(10**9)


def test_contract_flow_shapes(rpc: RpcDispatcher) -> None:
    counter = deploy(rpc, "Counter", 2)
    assert rpc.handle("eth_getCode", [counter, "latest"]) == "0x" + b"L2LAB\x00Counter".hex()
    slot = hex(slot_of("count"))
    assert rpc.handle("eth_getStorageAt", [counter, slot, "latest"]) == "0x" + "00" * 31 + "02"
    receipt = send(rpc, to=counter, data=call_data(Counter, "increment", 3))
    for key in ("transactionHash", "blockHash", "blockNumber", "gasUsed", "cumulativeGasUsed",
                "effectiveGasPrice", "logsBloom", "status", "type", "transactionIndex"):
        assert key in receipt
    assert receipt["type"] == "0x2" and receipt["from"] == ALICE and receipt["to"] == counter
    assert receipt["contractAddress"] is None
    assert len(receipt["logsBloom"]) == 2 + 512
    (log,) = receipt["logs"]
    assert log["address"] == counter and log["logIndex"] == "0x0" and log["removed"] is False
    assert sum(receipt["gasBreakdown"].values()) == int(receipt["gasUsed"], 16)
    assert rpc.handle("l2lab_gasBreakdown", [receipt["transactionHash"]]) == receipt["gasBreakdown"]
    out = rpc.handle("eth_call", [{"to": counter, "data": call_data(Counter, "count")}, "latest"])
    assert int(out, 16) == 5
    est = rpc.handle("eth_estimateGas", [{"from": ALICE, "to": counter, "input": call_data(Counter, "increment", 1)}])
    assert int(est, 16) > 21_000
    tx = rpc.handle("eth_getTransactionByHash", [receipt["transactionHash"]])
    assert tx["blockNumber"] == receipt["blockNumber"] and tx["from"] == ALICE
    assert tx["input"] == call_data(Counter, "increment", 3)
    assert tx["gasPrice"] == receipt["effectiveGasPrice"]
    block = rpc.handle("eth_getBlockByNumber", [receipt["blockNumber"], False])
    assert block["transactions"] == [receipt["transactionHash"]]
    assert rpc.handle("eth_getBlockByHash", [block["hash"], True])["transactions"][0]["hash"] == tx["hash"]
    for key in ("baseFeePerGas", "gasLimit", "gasUsed", "timestamp", "parentHash", "miner", "number"):
        assert is_qty(block[key]) or block[key].startswith("0x")
    logs = rpc.handle("eth_getLogs", [{"fromBlock": "0x0", "address": counter,
                                      "topics": ["0x" + Counter.Incremented.topic0.hex()]}])
    assert logs == receipt["logs"]
    assert rpc.handle("eth_getLogs", [{"blockHash": block["hash"]}]) == receipt["logs"]
    contracts = rpc.handle("l2lab_contracts", [])
    assert contracts == [{"address": counter, "name": "Counter", "abi": Counter.abi()}]


def test_block_level_helpers(rpc: RpcDispatcher) -> None:
    receipt = send(rpc, to=BOB, value="0x1")
    block = receipt["blockNumber"]
    assert rpc.handle("eth_getBlockReceipts", [block]) == [receipt]
    assert rpc.handle("eth_getBlockTransactionCountByNumber", [block]) == "0x1"
    block_hash = receipt["blockHash"]
    assert rpc.handle("eth_getBlockTransactionCountByHash", [block_hash]) == "0x1"
    tx = rpc.handle("eth_getTransactionByBlockNumberAndIndex", [block, "0x0"])
    assert tx["hash"] == receipt["transactionHash"]
    assert rpc.handle("eth_getTransactionByBlockNumberAndIndex", [block, "0x1"]) is None
    raw = rpc.handle("eth_getRawTransactionByHash", [receipt["transactionHash"]])
    assert Web3.keccak(hexstr=raw).hex().removeprefix("0x") == receipt["transactionHash"][2:]
    assert rpc.handle("eth_coinbase", []).startswith("0x")


def test_missing_receipts_and_blocks_are_null(rpc: RpcDispatcher) -> None:
    zero = "0x" + "00" * 32
    assert rpc.handle("eth_getTransactionReceipt", [zero]) is None
    assert rpc.handle("eth_getTransactionByHash", [zero]) is None
    assert rpc.handle("eth_getBlockByHash", [zero, False]) is None
    assert rpc.handle("eth_getBlockByNumber", ["0x99", False]) is None
    assert rpc.handle("l2lab_gasBreakdown", [zero]) is None


def test_fee_history_shape(rpc: RpcDispatcher) -> None:
    send(rpc, to=BOB, value="0x1")
    fh = rpc.handle("eth_feeHistory", ["0x2", "latest", [25, 75]])
    assert fh["oldestBlock"] == "0x0"
    assert len(fh["baseFeePerGas"]) == 3 and len(fh["gasUsedRatio"]) == 2
    assert fh["reward"][1] == [hex(10**9), hex(10**9)]


@pytest.mark.parametrize(
    ("method", "params", "names"),
    [
        ("eth_getBalance", ["0x12", "latest"], "address"),
        ("eth_getBalance", [ALICE, "tomorrow"], "block"),
        ("eth_getBalance", [], "address"),
        ("eth_getStorageAt", [ALICE, "zz", "latest"], "slot"),
        ("eth_getBlockByNumber", ["0x1", "yes"], "full transactions"),
        ("eth_getBlockByHash", ["0x1234", False], "block hash"),
        ("eth_getTransactionReceipt", [12], "transaction hash"),
        ("eth_sendRawTransaction", ["0xzz"], "raw transaction"),
        ("eth_call", [{"to": ALICE, "data": "0x123"}], "transaction.data"),
        ("eth_call", ["not an object"], "transaction"),
        ("eth_getLogs", [{"topics": ["0x12"]}], "filter.topics[0]"),
        ("eth_getLogs", [{"address": "nope"}], "filter.address"),
        ("evm_increaseTime", [-5], "seconds"),
        ("evm_setAutomine", ["true"], "enabled"),
        ("eth_feeHistory", ["0x1", "latest", [50, 10]], "rewardPercentiles"),
    ],
)
def test_bad_params_name_the_parameter(rpc: RpcDispatcher, method: str, params: list, names: str) -> None:
    with pytest.raises(RpcError) as info:
        rpc.handle(method, params)
    assert info.value.code == -32602
    assert names in info.value.message


def test_unknown_method_and_old_state(rpc: RpcDispatcher) -> None:
    with pytest.raises(RpcError) as info:
        rpc.handle("eth_teleport", [])
    assert info.value.code == -32601 and "eth_teleport" in info.value.message
    send(rpc, to=BOB, value="0x1")
    # Recent blocks' state is kept (see tests/test_state_history.py); the future is not.
    assert rpc.handle("eth_getBalance", [BOB, "0x0"]) == "0x0"
    assert rpc.handle("eth_getBalance", [ALICE, "earliest"]) == hex(100 * ETH)
    with pytest.raises(RpcError, match="not kept") as info:
        rpc.handle("eth_getBalance", [ALICE, "0x2"])
    assert info.value.code == -32000
    head = rpc.handle("eth_getBlockByNumber", ["latest", False])
    assert rpc.handle("eth_getBalance", [BOB, {"blockHash": head["hash"]}]) == "0x1"
    assert rpc.handle("eth_getBalance", [BOB, {"blockNumber": head["number"]}]) == "0x1"


def test_rejected_and_reverted_transactions(rpc: RpcDispatcher) -> None:
    tx = {"type": 2, "chainId": 1, "nonce": 0, "to": BOB, "value": 0, "gas": 21_000,
          "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1}
    raw = "0x" + bytes(Account.sign_transaction(tx, KEY).raw_transaction).hex()
    with pytest.raises(RpcError) as info:
        rpc.handle("eth_sendRawTransaction", [raw])
    assert info.value.code == -32003 and "wrong chain id" in info.value.message
    tx.update(chainId=31337, nonce=1000)
    raw = "0x" + bytes(Account.sign_transaction(tx, KEY).raw_transaction).hex()
    with pytest.raises(RpcError) as info:
        rpc.handle("eth_sendRawTransaction", [raw])
    assert info.value.code == -32000 and "nonce too high" in info.value.message
    vault = deploy(rpc, "Vault")
    data = call_data(Vault, "withdraw", 5, BOB)
    with pytest.raises(RpcError) as info:
        rpc.handle("eth_call", [{"from": ALICE, "to": vault, "data": data}])
    assert info.value.code == 3
    assert info.value.message == "execution reverted: withdraw 5 exceeds balance 0"
    assert info.value.data.startswith("0x08c379a0")
    with pytest.raises(RpcError) as info:
        rpc.handle("eth_estimateGas", [{"from": ALICE, "to": vault, "data": data}])
    assert info.value.code == 3
    receipt = send(rpc, to=vault, data=data, gas="0x30000")
    assert receipt["status"] == "0x0" and receipt["revertReason"] == "withdraw 5 exceeds balance 0"
    with pytest.raises(RpcError, match="only signs for dev accounts"):
        rpc.handle("eth_sendTransaction", [{"from": BOB, "to": ALICE}])


def test_dev_controls(rpc: RpcDispatcher) -> None:
    h = rpc.handle
    assert h("evm_setAutomine", [False]) is None
    tx_hash = h("eth_sendTransaction", [{"from": ALICE, "to": BOB, "value": "0x5"}])
    assert h("eth_getTransactionReceipt", [tx_hash]) is None
    assert h("eth_getTransactionCount", [ALICE, "pending"]) == "0x1"
    assert h("eth_getTransactionByHash", [tx_hash])["blockNumber"] is None
    snap = h("evm_snapshot", [])
    assert h("evm_mine", []) == "0x0"
    assert h("eth_getTransactionReceipt", [tx_hash])["status"] == "0x1"
    assert h("evm_revert", [snap]) is True
    assert h("evm_revert", [snap]) is False
    assert h("eth_getTransactionReceipt", [tx_hash]) is None
    assert h("eth_getTransactionByHash", [tx_hash])["blockNumber"] is None  # pending again
    assert h("eth_blockNumber", []) == "0x0"
    ts = int(h("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
    assert h("evm_increaseTime", [3600]) == hex(3600)
    h("evm_setNextBlockTimestamp", [hex(ts + 10_000)])
    h("evm_mine", [])
    assert h("eth_getBlockByNumber", ["latest", False])["timestamp"] == hex(ts + 10_000)
    h("evm_mine", [{"timestamp": hex(ts + 20_000), "blocks": "0x2"}])
    assert h("eth_blockNumber", []) == "0x3"
    h("anvil_mine", ["0x2", "0x3c"])
    assert int(h("eth_getBlockByNumber", ["latest", False])["timestamp"], 16) == ts + 20_001 + 120
    h("evm_setIntervalMining", [2])
    assert rpc.chain.interval_mining_seconds == 2 and rpc.chain.automine is False
    h("anvil_setBalance", [BOB, hex(ETH)])
    assert h("eth_getBalance", [BOB, "latest"]) == hex(ETH)


def test_envelopes_batches_and_notifications(rpc: RpcDispatcher) -> None:
    ok = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    assert rpc.handle_request(ok) == {"jsonrpc": "2.0", "id": 1, "result": "0x7a69"}
    batch = rpc.handle_request([
        ok,
        {"jsonrpc": "2.0", "id": 2, "method": "eth_getBalance", "params": ["0x12"]},
        {"jsonrpc": "2.0", "id": 3, "method": "nope"},
        {"id": 4, "method": "eth_chainId"},
        42,
        {"jsonrpc": "2.0", "method": "eth_chainId"},  # a notification: no answer
        {"jsonrpc": "2.0", "id": "x", "method": "eth_blockNumber"},
    ])
    assert [a["id"] for a in batch] == [1, 2, 3, 4, None, "x"]
    assert batch[0]["result"] == "0x7a69" and batch[5]["result"] == "0x0"
    assert [a.get("error", {}).get("code") for a in batch] == [None, -32602, -32601, -32600, -32600, None]
    assert rpc.handle_request([])["error"]["code"] == -32600
    assert rpc.handle_request("hello")["error"]["code"] == -32600
    assert rpc.handle_request({"jsonrpc": "2.0", "id": 5, "method": "eth_chainId", "params": {}})[
        "error"]["code"] == -32602


class InProcessProvider(BaseProvider):
    """web3.py talking straight to the dispatcher, so web3's own formatters check our shapes."""

    _ids = itertools.count()

    def __init__(self, dispatcher: RpcDispatcher) -> None:
        super().__init__()
        self.dispatcher = dispatcher

    def make_request(self, method, params):  # type: ignore[override]
        return self.dispatcher.handle_request(
            {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        )

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True


def test_web3_formatters_accept_our_shapes(rpc: RpcDispatcher) -> None:
    w3 = Web3(InProcessProvider(rpc))
    assert w3.eth.chain_id == 31337
    assert w3.eth.get_balance(ALICE) == 100 * ETH
    tx_hash = w3.eth.send_transaction({"from": ALICE, "to": BOB, "value": 7})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=5)
    assert receipt.status == 1 and receipt.gasUsed == 21_000
    block = w3.eth.get_block("latest", full_transactions=True)
    assert block.number == 1 and block.transactions[0]["hash"] == tx_hash
    factory = w3.eth.contract(abi=Vault.abi())
    deploy_hash = w3.eth.send_transaction({"from": ALICE, "data": deploy_data("Vault")})
    vault_address = w3.eth.get_transaction_receipt(deploy_hash).contractAddress
    vault = w3.eth.contract(address=vault_address, abi=factory.abi)
    h = vault.functions.deposit().transact({"from": ALICE, "value": 1_000})
    receipt = w3.eth.get_transaction_receipt(h)
    (event,) = vault.events.Deposited().process_receipt(receipt)
    assert event.args.who == ALICE and event.args.amount == 1_000
    assert vault.functions.balanceOf(ALICE).call() == 1_000
    logs = vault.events.Deposited().get_logs(from_block=0)
    assert logs[0].args.total == 1_000
    fee = w3.eth.fee_history(1, "latest", [50])
    assert len(fee.baseFeePerGas) == 2
    with pytest.raises(Exception, match="exceeds balance"):
        vault.functions.withdraw(5_000, BOB).call({"from": ALICE})
    counter_factory = w3.eth.contract(abi=Counter.abi(), bytecode=bytecode(Counter))
    h = counter_factory.constructor(12).transact({"from": ALICE})
    counter = w3.eth.contract(address=w3.eth.get_transaction_receipt(h).contractAddress, abi=Counter.abi())
    assert counter.functions.count().call() == 12
