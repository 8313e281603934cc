"""Dev-chain parity for web3.py and eth-account users: signing, filters, access lists, impersonation,
reset, call traces and state roots, each with its refusals (a clear JSON-RPC error, nothing changed)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from web3 import Web3
from web3.providers.base import JSONBaseProvider

from contracts_spec.examples import Caller, Counter, Reverter, Vault
from contracts_spec.runtime import Contract, deploy_data, slot_of
from node.chain import Chain, StateCommitment
from node.rpc import RpcDispatcher, RpcError, is_admin_method
from primitives.keccak import keccak256
from primitives.smt import SparseMerkleTree, empty_root

KEY = b"\x21" * 32
ALICE = Account.from_key(KEY).address
BOB = Account.from_key(b"\x22" * 32).address  # funded, but the node holds no key for it
CAROL = Account.from_key(b"\x23" * 32).address
ETH = 10**18
T0 = 1_700_000_000
UNKNOWN, INVALID = -32000, -32602


@pytest.fixture
def rpc() -> RpcDispatcher:
    chain = Chain(genesis_alloc={ALICE: 100 * ETH, BOB: 10 * ETH}, genesis_timestamp=T0)
    return RpcDispatcher(chain, {ALICE: KEY})


class InProcessProvider(JSONBaseProvider):
    """web3.py calling the dispatcher directly, its requests encoded as its HTTP provider sends them,
    so web3's own formatters and filter classes run against the JSON the node would get."""

    def __init__(self, dispatcher: RpcDispatcher) -> None:
        super().__init__()
        self.dispatcher = dispatcher

    def make_request(self, method, params):  # type: ignore[override]
        request = json.loads(self.encode_rpc_request(method, params))
        return self.dispatcher.handle_request(request)

    def is_connected(self, show_traceback: bool = False) -> bool:
        return True


def call_data(cls: type[Contract], name: str, *args: object) -> str:
    spec = cls.method(name)
    return "0x" + (spec.selector + abi_encode(list(spec.types), list(args))).hex()


def send(rpc: RpcDispatcher, **tx: Any) -> dict:
    tx.setdefault("from", ALICE)
    return rpc.handle("eth_getTransactionReceipt", [rpc.handle("eth_sendTransaction", [tx])])


def deploy(rpc: RpcDispatcher, name: str, *args: object) -> str:
    receipt = send(rpc, data="0x" + deploy_data(name, *args).hex())
    assert receipt["status"] == "0x1"
    return receipt["contractAddress"]


def refused(rpc: RpcDispatcher, method: str, params: list, code: int, words: str) -> None:
    """The request fails with ``code`` and a message containing ``words``, and the chain did not change."""
    chain = rpc.chain
    before = (chain.head.hash, chain.state_root(), [t.hash for t in chain.pending], len(rpc.filters))
    with pytest.raises(RpcError) as info:
        rpc.handle(method, params)
    assert info.value.code == code, info.value.message
    assert words in info.value.message, info.value.message
    assert (chain.head.hash, chain.state_root(), [t.hash for t in chain.pending], len(rpc.filters)) == before


# -- signing with the dev accounts -------------------------------------------------------------------

TYPED = {
    "types": {
        "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
        "Mail": [{"name": "to", "type": "address"}, {"name": "contents", "type": "string"}],
    },
    "primaryType": "Mail",
    "domain": {"name": "l2lab", "chainId": 31337},
    "message": {"to": BOB, "contents": "hello"},
}


def test_eth_sign_and_personal_sign_recover_to_the_dev_account(rpc: RpcDispatcher) -> None:
    data = b"sign in to the workshop"
    signed = rpc.handle("eth_sign", [ALICE, "0x" + data.hex()])
    assert Account.recover_message(encode_defunct(primitive=data), signature=signed) == ALICE
    assert int(signed[-2:], 16) in (27, 28)  # geth's v
    # personal_sign takes (data, address), and a password the unlocked dev account does not need
    assert rpc.handle("personal_sign", ["0x" + data.hex(), ALICE]) == signed
    assert rpc.handle("personal_sign", ["0x" + data.hex(), ALICE.lower(), ""]) == signed
    w3 = Web3(InProcessProvider(rpc))
    assert Account.recover_message(encode_defunct(primitive=b"\x00\x01"),
                                   signature=w3.eth.sign(ALICE, data=b"\x00\x01")) == ALICE


def test_sign_typed_data_v4_takes_a_json_string_or_an_object(rpc: RpcDispatcher) -> None:
    for typed in (TYPED, json.dumps(TYPED)):
        signed = rpc.handle("eth_signTypedData_v4", [ALICE, typed])
        assert Account.recover_message(encode_typed_data(full_message=TYPED), signature=signed) == ALICE


@pytest.mark.parametrize(
    ("method", "params", "code", "words"),
    [
        ("eth_sign", [BOB, "0x00"], UNKNOWN, f"unknown account {BOB}"),
        ("personal_sign", ["0x00", BOB], UNKNOWN, "dev accounts"),
        ("eth_signTypedData_v4", [BOB, TYPED], UNKNOWN, "unknown account"),
        ("eth_sign", [ALICE, "hello"], INVALID, "invalid data"),
        ("eth_sign", ["0x00", ALICE], INVALID, "invalid address"),  # personal_sign's order given to eth_sign
        ("personal_sign", [ALICE, "0x00"], INVALID, "invalid address"),
        ("personal_sign", ["0x00", ALICE, 7], INVALID, "invalid password"),
        ("eth_sign", [ALICE], INVALID, "missing parameter 1: data"),
        ("eth_sign", [ALICE, "0x00", "0x00"], INVALID, "too many arguments"),
        ("eth_signTypedData_v4", [ALICE, "{not json"], INVALID, "not JSON"),
        ("eth_signTypedData_v4", [ALICE, [1, 2]], INVALID, "EIP-712 object"),
        ("eth_signTypedData_v4", [ALICE, {"types": {}}], INVALID, "missing primaryType, domain, message"),
        ("eth_signTypedData_v4", [ALICE, {**TYPED, "primaryType": "Nope"}], INVALID, "invalid typed data"),
    ],
)
def test_signing_refusals(rpc: RpcDispatcher, method: str, params: list, code: int, words: str) -> None:
    refused(rpc, method, params, code, words)


# -- filters ----------------------------------------------------------------------------------------


def test_block_and_pending_filters_through_web3(rpc: RpcDispatcher) -> None:
    w3 = Web3(InProcessProvider(rpc))
    blocks, pending = w3.eth.filter("latest"), w3.eth.filter("pending")
    assert blocks.filter_id != pending.filter_id and blocks.filter_id.startswith("0x")
    assert blocks.get_new_entries() == [] and pending.get_new_entries() == []
    h1 = w3.eth.send_transaction({"from": ALICE, "to": BOB, "value": 1})
    h2 = w3.eth.send_transaction({"from": ALICE, "to": BOB, "value": 2})
    mined = [w3.eth.get_block(n)["hash"] for n in (1, 2)]
    assert blocks.get_new_entries() == mined
    assert pending.get_new_entries() == [h1, h2]
    assert blocks.get_new_entries() == [] and pending.get_new_entries() == []  # changes since the last poll
    assert w3.eth.uninstall_filter(blocks.filter_id) is True
    assert w3.eth.uninstall_filter(blocks.filter_id) is False
    refused(rpc, "eth_getFilterChanges", [blocks.filter_id], UNKNOWN, "filter not found")


def test_log_filter_changes_and_all_logs_through_web3(rpc: RpcDispatcher) -> None:
    w3 = Web3(InProcessProvider(rpc))
    address = deploy(rpc, "Counter", 0)
    counter = w3.eth.contract(address=address, abi=Counter.abi())
    counter.functions.increment(1).transact({"from": ALICE})
    new_only = counter.events.Incremented.create_filter(from_block="latest")
    everything = counter.events.Incremented.create_filter(from_block=0)
    other = w3.eth.filter({"address": ALICE})  # matches nothing
    counter.functions.increment(2).transact({"from": ALICE})
    counter.functions.increment(3).transact({"from": ALICE})
    assert [e["args"]["value"] for e in new_only.get_new_entries()] == [3, 6]
    assert new_only.get_new_entries() == []
    assert [e["args"]["value"] for e in everything.get_all_entries()] == [1, 3, 6]
    assert [e["args"]["value"] for e in new_only.get_all_entries()] == [6]  # fromBlock "latest", read now
    assert other.get_new_entries() == []
    refused(rpc, "eth_getFilterLogs", [w3.eth.filter("latest").filter_id], UNKNOWN, "takes a log filter")


def test_a_filter_after_a_revert_reports_the_new_blocks(rpc: RpcDispatcher) -> None:
    fid = rpc.handle("eth_newBlockFilter", [])
    snap = rpc.handle("evm_snapshot", [])
    rpc.handle("evm_mine", [])
    assert len(rpc.handle("eth_getFilterChanges", [fid])) == 1
    rpc.handle("evm_revert", [snap])
    rpc.handle("evm_mine", [])
    assert rpc.handle("eth_getFilterChanges", [fid]) == [rpc.handle("eth_getBlockByNumber", ["0x1", False])["hash"]]


def test_filters_expire_after_five_idle_minutes_and_are_capped(rpc: RpcDispatcher) -> None:
    now = [1000.0]
    rpc.filters.clock = lambda: now[0]
    polled, idle = rpc.handle("eth_newBlockFilter", []), rpc.handle("eth_newBlockFilter", [])
    now[0] += 299
    rpc.handle("eth_getFilterChanges", [polled])
    now[0] += 2  # idle has not been polled for 301 s: gone, as geth's timeout removes it
    rpc.handle("eth_getFilterChanges", [polled])
    refused(rpc, "eth_getFilterChanges", [idle], UNKNOWN, "filter not found")
    rpc.filters.limit = 3
    rpc.handle("eth_newFilter", [{}])
    rpc.handle("eth_newPendingTransactionFilter", [])
    refused(rpc, "eth_newBlockFilter", [], UNKNOWN, "too many filters")
    now[0] += 300  # every filter idle: installing sweeps them away first
    rpc.handle("eth_newBlockFilter", [])
    assert len(rpc.filters) == 1


@pytest.mark.parametrize(
    ("method", "params", "code", "words"),
    [
        ("eth_getFilterChanges", ["0x1234"], UNKNOWN, "filter not found"),
        ("eth_getFilterLogs", ["0x1234"], UNKNOWN, "filter not found"),
        ("eth_getFilterChanges", [1234], INVALID, "invalid filter id"),
        ("eth_getFilterChanges", ["banana"], INVALID, "invalid filter id"),
        ("eth_getFilterChanges", [], INVALID, "missing parameter 0: filter id"),
        ("eth_uninstallFilter", [None], INVALID, "missing parameter 0"),
        ("eth_newFilter", ["latest"], INVALID, "expected a filter object"),
        ("eth_newFilter", [{"address": "0x12"}], INVALID, "invalid filter.address"),
        ("eth_newFilter", [{"fromBlock": "soon"}], INVALID, "invalid filter.fromBlock"),
        ("eth_newFilter", [{"topics": ["0x12"]}], INVALID, "invalid filter.topics[0]"),
        ("eth_newFilter", [{"blockHash": "0x" + "00" * 32}], INVALID, "use eth_getLogs"),
        ("eth_newBlockFilter", [True], INVALID, "too many arguments"),
        ("eth_newPendingTransactionFilter", ["yes"], INVALID, "invalid full transactions"),
    ],
)
def test_filter_refusals(rpc: RpcDispatcher, method: str, params: list, code: int, words: str) -> None:
    refused(rpc, method, params, code, words)


# -- eth_createAccessList -------------------------------------------------------------------------------


def _listed(result: dict) -> dict[str, list[int]]:
    return {e["address"]: [int(k, 16) for k in e["storageKeys"]] for e in result["accessList"]}


def test_access_list_names_the_slots_and_the_contracts_a_call_reaches(rpc: RpcDispatcher) -> None:
    counter, caller = deploy(rpc, "Counter", 0), deploy(rpc, "Caller")
    call = {"from": ALICE, "to": caller, "data": call_data(Caller, "bump", counter, 5)}
    result = rpc.handle("eth_createAccessList", [call])
    # the recipient is warm anyway, so only its slots are listed; the nested callee with its own
    assert _listed(result) == {caller: [slot_of("calls")], counter: [slot_of("count")]}
    assert list(_listed(result)) == sorted(_listed(result))  # in address order, as the slots are
    # the gas it reports is the gas the same transaction uses with that list: as with geth's lists, each
    # listed cold account and slot saves 100, and the recipient's entry (listed for its slots) costs 2400
    snap = rpc.handle("evm_snapshot", [])
    without = send(rpc, **call)
    rpc.handle("evm_revert", [snap])
    receipt = send(rpc, **call, accessList=result["accessList"], gas=hex(int(result["gasUsed"], 16) + 10_000))
    assert receipt["status"] == "0x1" and receipt["gasUsed"] == result["gasUsed"]
    assert int(receipt["gasUsed"], 16) - int(without["gasUsed"], 16) == 2_400 - 3 * 100


def test_access_list_includes_what_a_reverted_frame_touched(rpc: RpcDispatcher) -> None:
    reverter, caller = deploy(rpc, "Reverter"), deploy(rpc, "Caller")
    call = {"from": ALICE, "to": caller, "data": call_data(Caller, "tryRevert", reverter, 7)}
    before = rpc.chain.state_root()
    result = rpc.handle("eth_createAccessList", [call, "latest"])
    assert slot_of("x") in _listed(result)[reverter]
    assert "error" not in result  # the caller caught the revert
    failing = {"from": ALICE, "to": caller, "data": call_data(Caller, "mustRevert", reverter, 7)}
    result = rpc.handle("eth_createAccessList", [failing])
    assert result["error"].startswith("execution reverted: always reverts")
    assert rpc.chain.state_root() == before  # simulations change nothing


def test_access_list_of_a_plain_transfer_is_empty_and_an_input_list_is_kept(rpc: RpcDispatcher) -> None:
    result = rpc.handle("eth_createAccessList", [{"from": ALICE, "to": BOB, "value": "0x1"}])
    assert result == {"accessList": [], "gasUsed": hex(21_000)}
    given = [{"address": CAROL, "storageKeys": ["0x" + "00" * 31 + "05"]}]
    result = rpc.handle("eth_createAccessList", [{"from": ALICE, "to": BOB, "accessList": given}])
    assert result["accessList"] == given
    assert int(result["gasUsed"], 16) == 21_000 + 2_400 + 1_900


@pytest.mark.parametrize(
    ("params", "code", "words"),
    [
        ([{"to": BOB, "accessList": "all"}], INVALID, "transaction.accessList"),
        ([{"to": BOB, "accessList": [{"address": "0x1"}]}], INVALID, "accessList[0].address"),
        ([{"to": "0x12"}], INVALID, "invalid transaction.to"),
        (["latest"], INVALID, "expected a transaction object"),
        ([{"to": BOB}, "0x99"], UNKNOWN, "not kept"),
        ([{"to": BOB}, "latest", {}], INVALID, "too many arguments"),
    ],
)
def test_access_list_refusals(rpc: RpcDispatcher, params: list, code: int, words: str) -> None:
    refused(rpc, "eth_createAccessList", params, code, words)


# -- impersonation and reset ----------------------------------------------------------------------------


def test_an_impersonated_account_sends_without_its_key_and_pays_its_own_gas(rpc: RpcDispatcher) -> None:
    refused(rpc, "eth_sendTransaction", [{"from": BOB, "to": CAROL, "value": "0x5"}], UNKNOWN, "unknown account")
    assert rpc.handle("anvil_impersonateAccount", [BOB]) is None
    before = int(rpc.handle("eth_getBalance", [BOB]), 16)
    tx_hash = rpc.handle("eth_sendTransaction", [{"from": BOB, "to": CAROL, "value": "0x5"}])
    receipt = rpc.handle("eth_getTransactionReceipt", [tx_hash])
    fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert receipt["status"] == "0x1" and receipt["from"] == BOB and fee > 0
    assert int(rpc.handle("eth_getBalance", [BOB]), 16) == before - 5 - fee
    assert rpc.handle("eth_getBalance", [CAROL]) == "0x5"
    assert rpc.handle("eth_getTransactionCount", [BOB]) == "0x1"
    # recorded honestly: no signature, and a hash that binds the sender
    tx = rpc.handle("eth_getTransactionByHash", [tx_hash])
    assert tx["from"] == BOB and tx["r"] == "0x0" and tx["s"] == "0x0"
    raw = bytes.fromhex(rpc.handle("eth_getRawTransactionByHash", [tx_hash])[2:])
    assert tx_hash == "0x" + keccak256(raw + bytes.fromhex(BOB[2:])).hex()
    # the same send from an account with no funds is refused like any other
    rpc.handle("anvil_impersonateAccount", [CAROL])
    refused(rpc, "eth_sendTransaction", [{"from": CAROL, "to": BOB, "value": "0x5", "gas": "0x5208"}],
            UNKNOWN, "insufficient funds")
    assert rpc.handle("anvil_stopImpersonatingAccount", [BOB]) is None
    refused(rpc, "eth_sendTransaction", [{"from": BOB, "to": CAROL}], UNKNOWN, "unknown account")


def test_impersonated_transactions_of_every_type_and_a_contract_call(rpc: RpcDispatcher) -> None:
    counter = deploy(rpc, "Counter", 0)
    rpc.handle("hardhat_impersonateAccount", [BOB])
    data = call_data(Counter, "increment", 2)
    for extra in ({"type": "0x0", "gasPrice": hex(rpc.chain.gas_price())}, {"type": "0x1", "accessList": []}, {}):
        receipt = send(rpc, **{"from": BOB, "to": counter, "data": data, **extra})
        assert receipt["status"] == "0x1" and receipt["from"] == BOB
    assert rpc.handle("eth_call", [{"to": counter, "data": call_data(Counter, "count")}]) == "0x" + f"{6:064x}"


def test_a_pending_impersonated_transaction_survives_a_restart(tmp_path) -> None:
    chain = Chain(data_dir=tmp_path, genesis_alloc={BOB: ETH}, automine=False)
    rpc = RpcDispatcher(chain)
    rpc.handle("anvil_impersonateAccount", [BOB])
    tx_hash = rpc.handle("eth_sendTransaction", [{"from": BOB, "to": CAROL, "value": "0x7"}])
    chain.close()
    with Chain(data_dir=tmp_path) as chain:  # impersonation is not kept; the accepted transaction is
        assert [t.sender for t in chain.pending] == [BOB]
        chain.mine()
        receipt = chain.get_receipt(bytes.fromhex(tx_hash[2:]))
        assert receipt is not None and receipt.status == 1 and chain.get_balance(CAROL) == 7


def test_reset_goes_back_to_genesis_and_forgets_pool_and_snapshots(tmp_path) -> None:
    chain = Chain(data_dir=tmp_path, genesis_alloc={ALICE: 100 * ETH}, genesis_timestamp=T0)
    rpc = RpcDispatcher(chain, {ALICE: KEY})
    genesis = rpc.handle("eth_getBlockByNumber", ["0x0", False])
    deploy(rpc, "Counter", 1)
    snap = rpc.handle("evm_snapshot", [])
    rpc.handle("evm_increaseTime", ["0x100"])
    rpc.handle("evm_setAutomine", [False])
    rpc.handle("anvil_impersonateAccount", [BOB])
    rpc.handle("eth_sendTransaction", [{"from": ALICE, "to": BOB, "value": "0x1"}])
    refused(rpc, "anvil_reset", [{"forking": {"jsonRpcUrl": "http://x"}}], INVALID, "cannot fork")
    refused(rpc, "anvil_reset", ["now"], INVALID, "invalid options")
    assert rpc.handle("anvil_reset", []) is None
    assert rpc.handle("eth_getBlockByNumber", ["latest", False]) == genesis
    assert rpc.handle("eth_getBalance", [ALICE]) == hex(100 * ETH)
    assert rpc.handle("eth_getTransactionCount", [ALICE]) == "0x0"
    assert rpc.handle("txpool_status", []) == {"pending": "0x0", "queued": "0x0"}
    assert rpc.handle("evm_revert", [snap]) is False
    assert chain.time_offset == 0 and chain.state_root() == bytes.fromhex(genesis["stateRoot"][2:])
    assert not chain.is_impersonated(BOB) and chain.automine is False  # the mining mode stays
    chain.close()
    with Chain(data_dir=tmp_path) as again:  # on disk too
        assert again.block_number == 0 and again.get_balance(ALICE) == 100 * ETH and not list(again.pending)
        assert again.contracts() == {}


def test_new_dev_methods_are_admin_methods() -> None:
    rpc = RpcDispatcher(Chain(genesis_alloc={BOB: ETH}))
    for method in ("anvil_impersonateAccount", "anvil_stopImpersonatingAccount", "anvil_reset",
                   "hardhat_impersonateAccount", "hardhat_stopImpersonatingAccount", "hardhat_reset"):
        assert is_admin_method(method)
        answer = rpc.handle_request({"jsonrpc": "2.0", "id": 1, "method": method, "params": [BOB]}, admin=False)
        assert answer is not None and "admin token" in answer["error"]["message"]
    assert not rpc.chain.is_impersonated(BOB)


# -- debug_traceTransaction ------------------------------------------------------------------------------


def test_trace_shows_the_python_call_tree_with_the_receipts_gas(rpc: RpcDispatcher) -> None:
    counter, caller = deploy(rpc, "Counter", 0), deploy(rpc, "Caller")
    receipt = send(rpc, to=caller, data=call_data(Caller, "bump", counter, 5))
    trace = rpc.handle("debug_traceTransaction", [receipt["transactionHash"]])
    assert trace["contract"] == "Caller" and trace["method"] == "bump(address,uint256)"
    assert trace["from"] == ALICE and trace["to"] == caller and trace["type"] == "CALL"
    assert trace["gasUsed"] == receipt["gasUsed"] and trace["gasBreakdown"] == receipt["gasBreakdown"]
    assert trace["matchesReceipt"] is True and trace["status"] == "0x1"
    [inner] = trace["calls"]
    assert (inner["from"], inner["to"], inner["contract"], inner["method"]) == (
        caller, counter, "Counter", "increment(uint256)")
    assert inner["output"] == "0x" + f"{5:064x}"
    assert 0 < int(inner["gasUsed"], 16) < int(trace["executionGasUsed"], 16) < int(trace["gasUsed"], 16)
    assert rpc.handle("debug_traceTransaction", [receipt["transactionHash"], {"tracer": "callTracer"}]) == trace


def test_trace_of_caught_and_uncaught_reverts_and_of_eth_paid_out(rpc: RpcDispatcher) -> None:
    reverter, caller, vault = deploy(rpc, "Reverter"), deploy(rpc, "Caller"), deploy(rpc, "Vault")
    caught = send(rpc, to=caller, data=call_data(Caller, "tryRevert", reverter, 3))
    trace = rpc.handle("debug_traceTransaction", [caught["transactionHash"]])
    assert "error" not in trace
    assert trace["calls"][0]["error"] == "execution reverted"
    assert trace["calls"][0]["revertReason"] == "always reverts (n=3)"
    failed = send(rpc, to=caller, data=call_data(Caller, "mustRevert", reverter, 4), gas="0x30000")
    trace = rpc.handle("debug_traceTransaction", [failed["transactionHash"]])
    assert failed["status"] == "0x0" and trace["status"] == "0x0" and trace["matchesReceipt"]
    assert trace["revertReason"] == "always reverts (n=4)"
    send(rpc, to=vault, data=call_data(Vault, "deposit"), value=hex(ETH))
    paid = send(rpc, to=vault, data=call_data(Vault, "withdraw", ETH // 2, CAROL))
    [payment] = rpc.handle("debug_traceTransaction", [paid["transactionHash"]])["calls"]
    assert (payment["from"], payment["to"], int(payment["value"], 16), payment["contract"]) == (
        vault, CAROL, ETH // 2, None)


def test_trace_of_a_creation_and_of_a_later_transaction_in_a_shared_block(rpc: RpcDispatcher) -> None:
    rpc.handle("evm_setAutomine", [False])
    first = rpc.handle("eth_sendTransaction", [{"from": ALICE, "data": "0x" + deploy_data(Counter, 9).hex()}])
    second = rpc.handle("eth_sendTransaction", [{"from": ALICE, "to": BOB, "value": "0x1"}])
    rpc.handle("evm_mine", [])
    created = rpc.handle("debug_traceTransaction", [first])
    receipt = rpc.handle("eth_getTransactionReceipt", [first])
    assert created["type"] == "CREATE" and created["to"] == receipt["contractAddress"]
    assert created["contract"] == "Counter" and created["method"] == "constructor"
    later = rpc.handle("debug_traceTransaction", [second])  # re-run after the creation before it
    assert later["matchesReceipt"] is True and later["contract"] is None and later["value"] == "0x1"


def test_trace_refusals(rpc: RpcDispatcher) -> None:
    tx_hash = send(rpc, to=BOB, value="0x1")["transactionHash"]
    refused(rpc, "debug_traceTransaction", ["0x" + "ab" * 32], UNKNOWN, "not found")
    refused(rpc, "debug_traceTransaction", ["0x12"], INVALID, "32-byte hash")
    refused(rpc, "debug_traceTransaction", [tx_hash, {"tracer": "prestateTracer"}], INVALID, "not available")
    refused(rpc, "debug_traceTransaction", [tx_hash, "callTracer"], INVALID, "invalid options")
    rpc.handle("anvil_mine", [hex(129)])
    refused(rpc, "debug_traceTransaction", [tx_hash], UNKNOWN, "not kept")


# -- state roots ---------------------------------------------------------------------------------------------


def test_every_block_has_a_state_root_that_follows_the_state(rpc: RpcDispatcher) -> None:
    roots = [rpc.handle("eth_getBlockByNumber", ["latest", False])["stateRoot"]]
    send(rpc, to=BOB, value="0x1")
    counter = deploy(rpc, "Counter", 0)
    send(rpc, to=counter, data=call_data(Counter, "increment", 1))
    rpc.handle("evm_mine", [])  # an empty block: the coinbase got nothing, the state did not change
    for n in range(1, 5):
        roots.append(rpc.handle("eth_getBlockByNumber", [hex(n), False])["stateRoot"])
    assert "0x" + "00" * 32 not in roots
    assert len(set(roots[:4])) == 4 and roots[4] == roots[3]
    assert rpc.chain.state_root() == StateCommitment.of(rpc.chain.world).root  # incremental = from scratch


def test_equal_states_have_equal_roots_and_any_change_changes_it() -> None:
    one = Chain(genesis_alloc={ALICE: ETH, BOB: 2}, genesis_timestamp=T0)
    two = Chain(genesis_alloc={BOB: 2, ALICE: ETH}, genesis_timestamp=T0 + 99)
    assert one.head.state_root == two.head.state_root  # the genesis root is the allocation's alone
    one.set_balance(CAROL, 3)
    one.set_balance(ALICE, 4)
    two.set_balance(ALICE, 4)
    two.set_balance(CAROL, 3)
    assert one.state_root() == two.state_root()
    two.set_balance(CAROL, 4)
    assert one.state_root() != two.state_root()
    two.set_balance(CAROL, 3)
    assert one.state_root() == two.state_root()
    two.set_balance(CAROL, 0)  # an emptied account is no entry: as if it never existed
    assert two.state_root() == Chain(genesis_alloc={ALICE: 4, BOB: 2}).state_root()


def test_the_state_root_layout_is_as_documented() -> None:
    chain = Chain(genesis_alloc={ALICE: 5})
    entry_id = keccak256(b"\x00" + bytes.fromhex(ALICE[2:]))
    value = keccak256((5).to_bytes(32, "big") + bytes(32) + bytes(32))
    tree = SparseMerkleTree(16)
    tree.set(int.from_bytes(entry_id[:2], "big"), keccak256(entry_id + value))
    assert chain.state_root() == tree.root
    assert Chain().state_root() == empty_root(16)


def test_storage_and_code_are_in_the_root_and_it_survives_a_restart(tmp_path) -> None:
    chain = Chain(data_dir=tmp_path, genesis_alloc={ALICE: 100 * ETH})
    rpc = RpcDispatcher(chain, {ALICE: KEY})
    reverter = deploy(rpc, "Reverter")
    after_deploy = chain.state_root()
    send(rpc, to=reverter, data=call_data(Reverter, "set", 9))
    assert chain.state_root() != after_deploy
    root, head = chain.state_root(), chain.head.state_root
    assert root == head
    chain.close()
    with Chain(data_dir=tmp_path) as again:
        assert again.state_root() == root and again.head.state_root == head


# -- over HTTP: the real server, web3's HTTP provider, the admin token ----------------------------------


@pytest.mark.slow
def test_filters_signing_and_impersonation_over_http(tmp_path) -> None:
    from web3.exceptions import Web3RPCError

    from node.client import LocalNode

    with LocalNode(str(tmp_path / "chain"), log_path=str(tmp_path / "node.log"),
                   extra_args=["--optimistic", "off"]) as node:
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))
        dev = w3.eth.accounts[0]
        blocks = w3.eth.filter("latest")
        first = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": dev, "to": CAROL, "value": 1}))
        # Other hosted schemes may mine blocks of their own meanwhile: the
        # filter must report every new block, in order, ending at the head.
        entries = blocks.get_new_entries()
        assert first["blockHash"] in entries
        assert entries[-1] == w3.eth.get_block("latest")["hash"]
        assert len(set(entries)) == len(entries)
        numbers = [w3.eth.get_block(h)["number"] for h in entries]
        assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
        signed = w3.eth.sign(dev, data=b"over http")
        assert Account.recover_message(encode_defunct(primitive=b"over http"), signature=signed) == dev
        with pytest.raises(Web3RPCError, match="admin token"):
            w3.manager.request_blocking("anvil_impersonateAccount", [BOB])
        admin = Web3(Web3.HTTPProvider(node.url, request_kwargs={
            "timeout": 30, "headers": {"Authorization": f"Bearer {node.token}"}}))
        admin.manager.request_blocking("anvil_setBalance", [BOB, hex(ETH)])
        admin.manager.request_blocking("anvil_impersonateAccount", [BOB])
        receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": BOB, "to": CAROL, "value": 2}))
        assert receipt["status"] == 1 and receipt["from"] == BOB
        assert w3.eth.get_balance(CAROL) == 3
        assert w3.eth.get_balance(CAROL, block_identifier=receipt["blockNumber"] - 1) == 1
