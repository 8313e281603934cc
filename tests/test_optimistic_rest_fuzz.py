"""Bad input to the ``/api/optimistic/`` routes: a 4xx naming the problem, never a 500, and no state change.

One rollup is deployed with two funded L2 accounts; every bad request is
answered 400, 404 or 422 with a ``detail`` that names the field or thing at
fault, and afterwards the rollup's status and the L1 head are what they were.
"""

from __future__ import annotations

import json

import pytest
from eth_account import Account as EthAccount
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts_spec.l1 import L1Client
from node.chain import Chain
from node.schemes.optimistic.api import router
from node.server import create_app
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.l1view import RollupL1

ETH = 10**18
KEYS = [bytes([i + 1]) * 32 for i in range(3)]
ADDRS = [private_key_to_address(k) for k in KEYS]
GOOD = {"kind": "transfer", "from": 0, "to": 1, "amount": str(ETH), "nonce": 0}


@pytest.fixture(scope="module")
def node():
    """A deployed rollup where account 0 (3 ETH) and 1 (1 ETH) are in batch 0; and a good signature."""
    chain = Chain(genesis_alloc={a: 100 * ETH for a in ADDRS})
    app = create_app(chain, dev_keys=dict(zip(ADDRS, KEYS, strict=True)), routers=[router])
    with TestClient(app, raise_server_exceptions=False) as client:
        address = client.post("/api/optimistic/deploy", json={}).json()["address"]
        rollup = RollupL1(L1Client.in_process(app.state.dispatcher), address)
        rollup.transact(KEYS[1], "deposit", ADDRS[1], value=3 * ETH)
        rollup.transact(KEYS[2], "deposit", ADDRS[2], value=ETH)
        assert client.post("/api/optimistic/batches").json()["posted"] is True
        doc = client.post("/api/optimistic/typed-data", json=GOOD).json()
        sig = "0x" + bytes(EthAccount.sign_typed_data(KEYS[1], full_message=doc).signature).hex()
        yield client, chain, sig
    chain.close()


def _refused(node, method: str, path: str, body=None, *, raw: bytes | None = None) -> str:
    """Send a bad request; assert a 4xx with a detail and no change; return the detail as text."""
    client, chain, _ = node
    before, head = client.get("/api/optimistic/status").json(), chain.head.number
    if raw is not None:
        r = client.request(method, path, content=raw, headers={"content-type": "application/json"})
    elif method == "GET":
        r = client.get(path)
    else:
        r = client.request(method, path, json=body)
    assert r.status_code in (400, 404, 409, 422), (path, body, r.status_code, r.text)
    detail = r.json()["detail"]
    assert detail, r.text
    assert client.get("/api/optimistic/status").json() == before
    assert chain.head.number == head
    return json.dumps(detail) if not isinstance(detail, str) else detail


BAD_TX = [
    (None, "body"), ([], "body"), ("transfer", "body"), ({}, "kind"),
    ({**GOOD, "kind": "mint"}, "field 'kind' must be 'transfer' or 'withdraw'"),
    ({**GOOD, "kind": 5}, "field 'kind'"),
    ({k: v for k, v in GOOD.items() if k != "amount"}, "amount"),
    ({k: v for k, v in GOOD.items() if k != "nonce"}, "nonce"),
    ({**GOOD, "from": -1}, "field 'from' must be a non-negative integer"),
    ({**GOOD, "from": True}, "field 'from' is required and must be an integer"),
    ({**GOOD, "from": 1.5}, "field 'from' must be a non-negative integer"),
    ({**GOOD, "from": 2**32}, "field 'from' must be at most 4294967295"),
    ({**GOOD, "from": 2**300}, "field 'from' must be at most"),
    ({**GOOD, "to": None}, "field 'to' is required"),
    ({**GOOD, "to": 2**40}, "field 'to' must be at most"),
    ({**GOOD, "nonce": "abc"}, "field 'nonce' must be an integer"),
    ({**GOOD, "nonce": 2**64}, "field 'nonce' must be at most"),
    ({**GOOD, "amount": "-5"}, "field 'amount' must be an integer"),
    ({**GOOD, "amount": str(2**256)}, "field 'amount' must be at most"),
    ({**GOOD, "amount": "9" * 5000}, "field 'amount' must be an integer"),
    ({**GOOD, "amount": "1e18"}, "field 'amount' must be an integer"),
    ({**GOOD, "amount": " 1"}, "field 'amount' must be an integer"),
    ({**GOOD, "amount": "1_000"}, "field 'amount' must be an integer"),
    ({**GOOD, "amount": "\u0663"}, "field 'amount' must be an integer"),
    ({**GOOD, "amount": None}, "field 'amount' is required"),
    ({**GOOD, "amount": [1]}, "field 'amount' must be a non-negative integer"),
    ({**GOOD, "extra": 1}, "extra"),
    ({"kind": "withdraw", "from": 0, "amount": "1", "nonce": 0}, "field 'recipient' must be"),
    ({"kind": "withdraw", "from": 0, "amount": "1", "nonce": 0, "recipient": "0xzz"}, "field 'recipient'"),
    ({"kind": "withdraw", "from": 0, "amount": "1", "nonce": 0, "recipient": 12}, "field 'recipient'"),
    ({"kind": "withdraw", "from": 0, "amount": "1", "nonce": 0, "recipient": "0x" + "00" * 21}, "field 'recipient'"),
]


@pytest.mark.parametrize(("body", "problem"), BAD_TX, ids=[str(i) for i in range(len(BAD_TX))])
def test_bad_transaction_bodies_are_named(node, body, problem: str) -> None:
    sig = node[2]
    signed = {**body, "signature": sig} if isinstance(body, dict) else body
    assert problem in _refused(node, "POST", "/api/optimistic/typed-data", body)
    assert problem in _refused(node, "POST", "/api/optimistic/transactions", signed)
    batch = [signed] if isinstance(body, dict) else body
    detail = _refused(node, "POST", "/api/optimistic/transactions/batch", batch)
    assert (problem if isinstance(body, dict) else "") in detail


BAD_SIGNATURES = [None, "", "0x", 5, "0x" + "zz" * 65, "0x" + "00" * 64, "0x" + "00" * 66]


@pytest.mark.parametrize("signature", BAD_SIGNATURES, ids=[str(i) for i in range(len(BAD_SIGNATURES))])
def test_malformed_signatures_are_named(node, signature) -> None:
    detail = _refused(node, "POST", "/api/optimistic/transactions", {**GOOD, "signature": signature})
    assert "signature" in detail


@pytest.mark.parametrize("signature", ["0x" + "00" * 65, "0x" + "ff" * 65])
def test_wrong_signatures_are_refused_with_the_reason(node, signature) -> None:
    assert "bad signature" in _refused(node, "POST", "/api/optimistic/transactions", {**GOOD, "signature": signature})


def test_tampered_and_replayed_transactions_are_refused(node) -> None:
    client, _, sig = node
    tampered = {**GOOD, "amount": str(2 * ETH), "signature": sig}  # signed for 1 ETH
    assert "bad signature" in _refused(node, "POST", "/api/optimistic/transactions", tampered)
    other = {**GOOD, "from": 1, "to": 0, "signature": sig}  # account 0's signature, account 1's transfer
    assert "bad signature" in _refused(node, "POST", "/api/optimistic/transactions", other)
    too_much = {**GOOD, "amount": str(100 * ETH)}
    doc = client.post("/api/optimistic/typed-data", json=too_much).json()
    big = "0x" + bytes(EthAccount.sign_typed_data(KEYS[1], full_message=doc).signature).hex()
    assert "overspend: amount 100000000000000000000 exceeds balance" in _refused(
        node, "POST", "/api/optimistic/transactions", {**too_much, "signature": big})
    future = {**GOOD, "nonce": 5}
    doc = client.post("/api/optimistic/typed-data", json=future).json()
    fsig = "0x" + bytes(EthAccount.sign_typed_data(KEYS[1], full_message=doc).signature).hex()
    assert "bad nonce: expected 0, got 5" in _refused(node, "POST", "/api/optimistic/transactions",
                                                      {**future, "signature": fsig})
    # a batch of refused transactions answers each reason and changes nothing
    before = client.get("/api/optimistic/status").json()
    r = client.post("/api/optimistic/transactions/batch", json=[tampered, {**future, "signature": fsig}])
    assert r.status_code == 200 and [x["accepted"] for x in r.json()["results"]] == [False, False]
    assert "bad signature" in r.json()["results"][0]["reason"]
    assert client.get("/api/optimistic/status").json() == before


def test_a_replayed_transaction_is_refused_after_it_was_accepted(node) -> None:
    """Last in this module: it changes state (one transaction pending), then its replay changes none."""
    client, _, sig = node
    r = client.post("/api/optimistic/transactions", json={**GOOD, "signature": sig})
    assert r.status_code == 200, r.text
    assert "bad nonce: expected 1, got 0" in _refused(node, "POST", "/api/optimistic/transactions",
                                                      {**GOOD, "signature": sig})
    batch = _refused(node, "POST", "/api/optimistic/transactions/batch", [])
    assert "non-empty" in batch
    assert "at most 1000" in _refused(node, "POST", "/api/optimistic/transactions/batch",
                                      [{**GOOD, "signature": sig}] * 1001)


BAD_DEPLOY = [
    ({"preset": "huge"}, "unknown preset"), ({"preset": 5}, "preset"),
    ({"bond_wei": "-1"}, "bond_wei must be a decimal number"), ({"bond_wei": "\u0661"}, "bond_wei must be"),
    ({"bond_wei": "1" * 100}, "bond_wei must be"), ({"bond_wei": "0x10"}, "bond_wei must be"),
    ({"operator": "0xzz"}, "is not a dev account"), ({"operator": 5}, "operator"),
    ({"fraud_proof": "zk"}, "fraud_proof must be"), ({"bond_wei": "9" * 70}, "exceeds the operator's L1 balance"),
    ({"bond_wei": "1"}, "below the preset's minimum"), ({"preset": "minimal", "junk": 1}, "junk"),
    ([], "body"),
]


@pytest.mark.parametrize(("body", "problem"), BAD_DEPLOY, ids=[str(i) for i in range(len(BAD_DEPLOY))])
def test_bad_deploy_is_named_and_keeps_the_rollup(node, body, problem: str) -> None:
    assert problem in _refused(node, "POST", "/api/optimistic/deploy", body)


BAD_ATTACH = [
    ({}, "address"), ({"address": "0xzz"}, "address"), ({"address": 5}, "address"),
    ({"address": ADDRS[0]}, "no contract at"), ({"address": "0x" + "00" * 20}, "no contract at"),
    ({"address": "x" * 10000}, "address"), ({"address": ADDRS[0], "junk": True}, "junk"),
]


@pytest.mark.parametrize(("body", "problem"), BAD_ATTACH, ids=[str(i) for i in range(len(BAD_ATTACH))])
def test_bad_attach_is_named_and_keeps_the_rollup(node, body, problem: str) -> None:
    assert problem in _refused(node, "POST", "/api/optimistic/attach", body)


BAD_GETS = [
    ("/api/optimistic/accounts/-1", "address"), ("/api/optimistic/accounts/99", "no L2 account at index 99"),
    ("/api/optimistic/accounts/" + "9" * 5000, "no L2 account"), ("/api/optimistic/accounts/0xzz", "address"),
    ("/api/optimistic/accounts/\u0663", "address"), ("/api/optimistic/accounts/" + "0x" + "ab" * 20, "no L2 account"),
    ("/api/optimistic/batches/-1", "batch"), ("/api/optimistic/batches/7", "batch"),
    ("/api/optimistic/batches/" + "9" * 40, "batch"), ("/api/optimistic/batches/x", "index"),
    ("/api/optimistic/withdrawals/0xzz", "recipient must be"), ("/api/optimistic/withdrawals/5", "recipient must be"),
    ("/api/optimistic/eip712?kind=mint", "kind"),
]


@pytest.mark.parametrize(("path", "problem"), BAD_GETS, ids=[str(i) for i in range(len(BAD_GETS))])
def test_bad_reads_are_named(node, path: str, problem: str) -> None:
    assert problem in _refused(node, "GET", path)


RAW = [b'{"kind":', b"\xff\xfe", b'{"kind":"transfer","from":NaN,"to":1,"amount":"1","nonce":0}',
       b'{"kind":"transfer","from":0,"to":1,"amount":1e400,"nonce":0}', b"[" * 5000]


@pytest.mark.parametrize("raw", RAW, ids=[str(i) for i in range(len(RAW))])
@pytest.mark.parametrize("path", ["typed-data", "transactions", "transactions/batch", "deploy", "attach"])
def test_malformed_json_is_a_4xx(node, path: str, raw: bytes) -> None:
    _refused(node, "POST", f"/api/optimistic/{path}", raw=raw)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
                    | st.text(max_size=20), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=8), inner, max_size=3), max_leaves=8)
FIELD_VALUES = st.one_of(JSON, st.integers(min_value=-(2**300), max_value=2**300).map(str),
                         st.sampled_from(["transfer", "withdraw", "0x", "0x" + "ab" * 20]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(JSON, st.fixed_dictionaries({}, optional={
    k: FIELD_VALUES for k in ("kind", "from", "to", "recipient", "amount", "nonce", "signature")})))
def test_fuzzed_bodies_never_500_and_never_change_state(node, body) -> None:
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if not (k == "kind" and v in ("transfer", "withdraw")
                                                      and "signature" not in body)}
    for path in ("typed-data", "transactions"):
        client = node[0]
        before = client.get("/api/optimistic/status").json()
        r = client.post(f"/api/optimistic/{path}", json=body)
        if path == "typed-data" and r.status_code == 200:
            continue  # a well-formed unsigned body has its document; nothing changed
        assert r.status_code in (400, 404, 409, 422), (body, r.status_code, r.text)
        assert r.json()["detail"] and client.get("/api/optimistic/status").json() == before


def test_decimal_text_with_leading_zeros_is_the_number_it_spells(node) -> None:
    """ "037" is 37 wei, as JSON Schema's pattern allows; int(x, 0) refused it with Python's own words."""
    client, _, _ = node
    doc = client.post("/api/optimistic/typed-data", json={**GOOD, "amount": "037"})
    assert doc.status_code == 200, doc.text
    assert int(doc.json()["message"]["amount"]) == 37
