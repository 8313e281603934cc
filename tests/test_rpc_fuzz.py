"""Fuzzing the JSON-RPC dispatcher with arbitrary JSON: it always answers, and a refusal changes nothing.

Every answer is a JSON-RPC 2.0 result or error object that can be written
as strict JSON; a method that answers an error leaves the chain's state
digest (head, accounts, storage, pool, clock settings) exactly as it was;
nothing is ever an internal error (-32603), which would mean a bug.
"""

from __future__ import annotations

import json
from typing import Any

from eth_account import Account
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.chain import MAX_TIMESTAMP
from node.rpc import RpcDispatcher
from node.transactions import TxRejected, decode_raw_transaction
from primitives.keccak import keccak256
from tests.test_l1_adversarial import ALICE, DEAD, chain_state, make_rpc

_RPC: list[RpcDispatcher] = []


def dispatcher() -> RpcDispatcher:
    """One chain for the whole run, so state built by earlier calls is fuzzed too."""
    if not _RPC:
        rpc = make_rpc()
        rpc.handle("eth_sendTransaction", [{"from": ALICE, "to": DEAD, "value": "0x1"}])
        _RPC.append(rpc)
    return _RPC[0]


INTERESTING_INTS = [0, 1, 2, 63, 64, 2**31, 2**63 - 1, 2**63, 2**64 - 1, 2**64, 2**255, 2**256 - 1, 2**256,
                    MAX_TIMESTAMP, -1, -(2**70)]
hex_quantities = st.sampled_from(INTERESTING_INTS).map(lambda n: hex(n) if n >= 0 else "-" + hex(-n))
hex_data = st.binary(max_size=40).map(lambda b: "0x" + b.hex())
odd_strings = st.sampled_from([
    "", "0x", "0X", "0x0", "0x-1", "0x 1", "0x1_0", "0xg", "1234", "latest", "earliest", "pending", "safe",
    "finalized", "0x" + "0" * 64, "0x" + "f" * 64, ALICE, ALICE.lower(), DEAD, "0x" + "00" * 20, "\u0000", "💥",
    "0x" + "ab" * 33, "true", "0x" + "f" * 4000,
])
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from(INTERESTING_INTS),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20), hex_quantities, hex_data, odd_strings,
)
keys = st.sampled_from(["to", "from", "data", "input", "value", "gas", "gasPrice", "nonce", "type",
                        "maxFeePerGas", "maxPriorityFeePerGas", "blockHash", "blockNumber", "fromBlock",
                        "toBlock", "address", "topics", "blocks", "timestamp"]) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=12,
)


def method_names() -> st.SearchStrategy[str]:
    return st.sampled_from(sorted(dispatcher().methods)) | st.text(max_size=12)


def check_answer(answer: Any, req_id: Any) -> bool:
    """The answer is well formed; True if it is an error."""
    json.dumps(answer, allow_nan=False)
    assert isinstance(answer, dict) and answer["jsonrpc"] == "2.0"
    assert ("result" in answer) != ("error" in answer), answer
    if "error" in answer:
        error = answer["error"]
        assert isinstance(error["code"], int) and isinstance(error["message"], str) and error["message"]
        assert error["code"] != -32603, f"internal error: {error}"
        assert "set_int_max_str_digits" not in error["message"] and "Traceback" not in error["message"], error
        return True
    assert answer["id"] == req_id
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(method=st.data(), params=st.one_of(st.lists(json_values, max_size=4), json_values))
def test_any_method_any_params(method: st.DataObject, params: Any) -> None:
    rpc = dispatcher()
    name = method.draw(method_names())
    before = chain_state(rpc.chain)
    answer = rpc.handle_request({"jsonrpc": "2.0", "id": 1, "method": name, "params": params})
    if check_answer(answer, 1):
        assert chain_state(rpc.chain) == before, f"{name}({params!r}) failed but changed state"


@settings(max_examples=150, deadline=None)
@given(obj=st.one_of(json_values, st.lists(json_values, max_size=3), st.dictionaries(
    st.sampled_from(["jsonrpc", "id", "method", "params"]) | st.text(max_size=5), json_values, max_size=5)))
def test_any_envelope(obj: Any) -> None:
    rpc = dispatcher()
    before = chain_state(rpc.chain)
    answer = rpc.handle_request(obj)
    if answer is None:  # a notification: only a dict with no "id" gets no answer
        assert isinstance(obj, dict) and "id" not in obj or isinstance(obj, list)
        return
    answers = answer if isinstance(answer, list) else [answer]
    errors = [check_answer(a, a.get("id")) for a in answers]
    if all(errors):
        assert chain_state(rpc.chain) == before


def _valid_raw(kind: int) -> bytes:
    chain = dispatcher().chain
    tx: dict[str, Any] = {"chainId": chain.chain_id, "nonce": 0, "to": DEAD, "value": 1, "gas": 50_000,
                          "data": b"\x01\x00\x02"}
    if kind == 2:
        tx.update(type=2, maxFeePerGas=10**10, maxPriorityFeePerGas=10**9)
    else:
        tx["gasPrice"] = 10**10
        if kind == 1:
            tx.update(type=1, accessList=[{"address": DEAD, "storageKeys": ["0x" + "00" * 32]}])
    return bytes(Account.sign_transaction(tx, b"\x21" * 32).raw_transaction)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from([0, 1, 2]), cut=st.integers(0, 300), flips=st.lists(
    st.tuples(st.integers(0, 300), st.integers(1, 255)), max_size=3), tail=st.binary(max_size=4))
def test_mangled_raw_transactions_are_refused_cleanly(kind: int, cut: int, flips: list, tail: bytes) -> None:
    """A signed transaction cut short, with bytes flipped or appended: refused by name, or valid, never a crash."""
    raw = bytearray(_valid_raw(kind))
    for at, mask in flips:
        raw[at % len(raw)] ^= mask
    mangled = bytes(raw[: max(1, len(raw) - cut % len(raw))]) + tail
    try:
        tx = decode_raw_transaction(mangled)
    except TxRejected as exc:
        assert exc.code in (-32602, -32000, -32003) and exc.message
        return
    assert tx.hash == keccak256(mangled) and tx.type == kind


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=200))
def test_random_bytes_are_refused_cleanly(raw: bytes) -> None:
    rpc = dispatcher()
    before = chain_state(rpc.chain)
    answer = rpc.handle_request({"jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
                                 "params": ["0x" + raw.hex()]})
    assert check_answer(answer, 1)
    assert chain_state(rpc.chain) == before
