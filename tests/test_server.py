"""The node's HTTP face: dev accounts, JSON-RPC at ``/`` and the REST API."""

from __future__ import annotations

import signal
import subprocess
import sys
import warnings

import httpx
import pytest
from eth_account import Account
from fastapi import APIRouter

from node.chain import Chain
from node.client import LocalNode
from node.devaccounts import (
    DEFAULT_BALANCE_ETH,
    WEI_PER_ETH,
    derive_dev_accounts,
    dev_keys,
    eth_to_wei,
    genesis_alloc,
)
from node.server import IntervalMiner, _bind, create_app, scheme_routers

with warnings.catch_warnings():
    # Starlette nags about its httpx backend on import; the client works the same.
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*deprecated")
    from fastapi.testclient import TestClient

# --------------------------------------------------------------------------- dev accounts

# What anvil and hardhat print for the standard test mnemonic.
ANVIL_ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_ACCOUNT_9 = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"


def test_dev_accounts_match_anvil_and_hardhat():
    accounts = derive_dev_accounts()
    assert len(accounts) == 10
    assert accounts[0].address == ANVIL_ACCOUNT_0
    assert accounts[0].private_key_hex == ANVIL_KEY_0
    assert accounts[9].address == ANVIL_ACCOUNT_9
    assert [a.index for a in accounts] == list(range(10))
    assert len({a.address for a in accounts}) == 10


def test_dev_key_signs_for_its_address():
    from eth_account import Account

    for acct in derive_dev_accounts(3):
        assert Account.from_key(acct.private_key).address == acct.address


def test_genesis_alloc_and_keys():
    accounts = derive_dev_accounts(2)
    alloc = genesis_alloc(accounts)
    assert alloc == {a.address: DEFAULT_BALANCE_ETH * WEI_PER_ETH for a in accounts}
    assert dev_keys(accounts)[ANVIL_ACCOUNT_0].hex() == ANVIL_KEY_0[2:]
    assert genesis_alloc(accounts, 5) == {a.address: 5 for a in accounts}


@pytest.mark.parametrize("count", [-1, 1001])
def test_dev_account_count_out_of_range(count):
    with pytest.raises(ValueError, match="account count"):
        derive_dev_accounts(count)


def test_dev_account_count_wrong_type():
    with pytest.raises(TypeError, match="account count must be an int"):
        derive_dev_accounts("3")  # type: ignore[arg-type]


def test_eth_to_wei_is_exact():
    assert eth_to_wei("10000") == 10_000 * 10**18
    assert eth_to_wei("0.000000000000000001") == 1
    assert eth_to_wei(1.5) == 15 * 10**17
    assert eth_to_wei(0) == 0


@pytest.mark.parametrize("bad", ["-1", "abc", "nan", "inf", "0.0000000000000000001"])
def test_eth_to_wei_rejects_bad_amounts(bad):
    with pytest.raises(ValueError, match="balance"):
        eth_to_wei(bad)


def test_negative_genesis_balance_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        genesis_alloc(derive_dev_accounts(1), -1)


# --------------------------------------------------------------------------- the app, in process

DEV = derive_dev_accounts(3)
GENESIS = DEFAULT_BALANCE_ETH * WEI_PER_ETH


@pytest.fixture
def chain():
    c = Chain(genesis_alloc=genesis_alloc(DEV))
    yield c
    c.close()


@pytest.fixture
def client(chain):
    extra = APIRouter(prefix="/api/example")

    @extra.get("/ping")
    def ping() -> dict:
        return {"pong": True}

    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[extra])
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def rpc(client, method, *params, request_id=1):
    reply = client.post("/", json={"jsonrpc": "2.0", "id": request_id, "method": method, "params": list(params)})
    assert reply.status_code == 200, reply.text
    return reply.json()


def state_of(client) -> dict:
    """Head, balances and nonces: what a refused request must leave as it was."""
    out = {"head": rpc(client, "eth_getBlockByNumber", "latest", False)["result"]["hash"]}
    for a in DEV:
        out[a.address] = (
            rpc(client, "eth_getBalance", a.address, "latest")["result"],
            rpc(client, "eth_getTransactionCount", a.address, "pending")["result"],
        )
    return out


def signed_transfer(client, sender=DEV[0], *, to=None, value=1000, nonce=None, chain_id=31337, gas=21_000):
    status = client.get("/api/status").json()
    if nonce is None:
        nonce = int(rpc(client, "eth_getTransactionCount", sender.address, "pending")["result"], 16)
    tx = {
        "type": 2,
        "chainId": chain_id,
        "nonce": nonce,
        "to": to or Account.create().address,
        "value": value,
        "gas": gas,
        "maxPriorityFeePerGas": 10**9,
        "maxFeePerGas": 2 * status["base_fee_per_gas"] + 10**9,
    }
    return "0x" + Account.sign_transaction(tx, sender.private_key).raw_transaction.hex()


# JSON-RPC at /


def test_json_rpc_single_request(client):
    assert rpc(client, "eth_chainId") == {"jsonrpc": "2.0", "id": 1, "result": hex(31337)}


def test_malformed_json_is_parse_error_with_http_200(client):
    before = state_of(client)
    for body in (b"{not json", b"", b"\xff\xfe", b'{"jsonrpc": "2.0", "method": '):
        reply = client.post("/", content=body, headers={"content-type": "application/json"})
        assert reply.status_code == 200
        assert reply.json()["error"]["code"] == -32700
        assert reply.json()["id"] is None
    assert state_of(client) == before


def test_json_that_is_not_a_request(client):
    for body in (b"42", b"null", b'"eth_chainId"', b'{"id": 1}', b"[1, 2]"):
        reply = client.post("/", content=body, headers={"content-type": "application/json"})
        assert reply.status_code == 200
        errors = reply.json() if isinstance(reply.json(), list) else [reply.json()]
        assert all(e["error"]["code"] == -32600 for e in errors), body


def test_deep_or_huge_bodies_are_refused_before_parsing(client):
    """100000 nested brackets would overflow the C stack in the JSON parser (py_ecc
    lifts the recursion limit): the node must answer, not crash."""
    json_ct = {"content-type": "application/json"}
    before = state_of(client)
    deep = client.post("/", content=b"[" * 100_000, headers=json_ct)
    assert deep.status_code == 200
    assert deep.json()["error"]["code"] == -32700 and "nested deeper" in deep.json()["error"]["message"]
    rest = client.post("/api/tx", content=b'{"raw": ' + b"[" * 100_000, headers=json_ct)
    assert rest.status_code == 400 and "nested deeper" in rest.json()["detail"]
    huge = b'{"raw": "0x' + b"00" * (3 * 1024 * 1024) + b'"}'
    assert client.post("/api/tx", content=huge, headers=json_ct).status_code == 413
    rpc_huge = client.post("/", content=huge, headers=json_ct)
    assert rpc_huge.status_code == 200 and rpc_huge.json()["error"]["code"] == -32600
    # Ordinary nesting (log filters, batches) passes the guard.
    filt = {"jsonrpc": "2.0", "id": 1, "method": "eth_getLogs", "params": [{"topics": [None, ["0x" + "00" * 32, "0x" + "11" * 32]]}]}
    assert "result" in client.post("/", json=[filt] * 100).json()[0]
    assert state_of(client) == before


def test_notifications_get_no_answer(client):
    note = {"jsonrpc": "2.0", "method": "evm_mine", "params": []}
    assert client.post("/", json=note).status_code == 204
    assert client.post("/", json=[note, note]).status_code == 204
    # They were still executed: three blocks mined.
    assert client.get("/api/status").json()["head_number"] == 3


def test_unknown_method(client):
    error = rpc(client, "eth_doesNotExist")["error"]
    assert error["code"] == -32601
    assert "eth_doesNotExist" in error["message"]


def test_batch_with_one_bad_item_answers_all(client):
    reply = client.post(
        "/",
        json=[
            {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
            {"jsonrpc": "2.0", "id": 2, "method": "eth_nope", "params": []},
            {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0xzz", "latest"]},
            {"jsonrpc": "2.0", "id": 4, "method": "eth_blockNumber", "params": []},
        ],
    )
    assert reply.status_code == 200
    by_id = {item["id"]: item for item in reply.json()}
    assert by_id[1]["result"] == hex(31337)
    assert by_id[2]["error"]["code"] == -32601
    assert by_id[3]["error"]["code"] == -32602
    assert by_id[4]["result"] == "0x0"


@pytest.mark.parametrize(
    "raw, words",
    [
        ("0xzz", ["hex"]),
        ("0x", []),
        ("0xdeadbeef", []),
        ("not hex at all", []),
    ],
)
def test_undecodable_raw_transactions_are_errors_not_500(client, raw, words):
    before = state_of(client)
    error = rpc(client, "eth_sendRawTransaction", raw)["error"]
    assert error["code"] in (-32000, -32602, -32003)
    for w in words:
        assert w in error["message"].lower()
    assert state_of(client) == before


def test_wrong_chain_id_bad_nonce_and_insufficient_funds_change_nothing(client):
    poor = Account.create()
    before = state_of(client)
    cases = {
        "chain id": signed_transfer(client, chain_id=1),
        "nonce": signed_transfer(client, nonce=1000),
        "funds": signed_transfer(client, value=GENESIS),
    }
    for word, raw in cases.items():
        error = rpc(client, "eth_sendRawTransaction", raw)["error"]
        assert error["code"] in (-32000, -32003), error
        assert word in error["message"].lower(), error
    poor_tx = {
        "type": 2, "chainId": 31337, "nonce": 0, "to": DEV[0].address, "value": 1, "gas": 21_000,
        "maxPriorityFeePerGas": 1, "maxFeePerGas": 10**10,
    }
    raw = "0x" + Account.sign_transaction(poor_tx, poor.key).raw_transaction.hex()
    assert "funds" in rpc(client, "eth_sendRawTransaction", raw)["error"]["message"].lower()
    assert state_of(client) == before


def test_a_dispatcher_crash_is_a_json_rpc_error(client, monkeypatch):
    def explode(obj, **options):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(client.app.state.dispatcher, "handle_request", explode)
    reply = client.post("/", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    assert reply.status_code == 200
    assert reply.json()["error"]["code"] == -32603
    assert "ZeroDivisionError: boom" in reply.json()["error"]["message"]


# REST under /api/


def test_status(client):
    status = client.get("/api/status").json()
    assert status["chain_id"] == 31337
    assert status["head_number"] == 0
    assert status["automine"] is True
    assert status["interval_mining_seconds"] == 0
    assert status["time_offset"] == 0
    assert status["head_hash"].startswith("0x") and len(status["head_hash"]) == 66
    assert status["base_fee_per_gas"] > 0


def test_blocks(client):
    latest = client.get("/api/blocks/latest").json()
    genesis = client.get("/api/blocks/0").json()
    assert latest == genesis
    assert genesis["number"] == 0 and genesis["gas_limit"] == 30_000_000
    missing = client.get("/api/blocks/5")
    assert missing.status_code == 404 and "no block 5" in missing.json()["detail"]
    assert client.get("/api/blocks/-1").status_code == 400
    assert client.get("/api/blocks/abc").status_code == 422
    client.post("/api/mine", json={"blocks": 4})
    recent = client.get("/api/blocks", params={"limit": 3}).json()
    assert [b["number"] for b in recent] == [4, 3, 2]
    assert recent[1]["hash"] == recent[0]["parent_hash"]
    assert [b["number"] for b in client.get("/api/blocks").json()] == [4, 3, 2, 1, 0]
    for bad in ("0", "101", "x"):
        assert client.get("/api/blocks", params={"limit": bad}).status_code == 422


def test_account(client):
    info = client.get(f"/api/accounts/{DEV[0].address.lower()}").json()
    assert info == {
        "address": DEV[0].address,
        "balance_wei": str(GENESIS),
        "balance_eth": "10000",
        "nonce": 0,
        "is_contract": False,
        "contract_name": None,
    }
    huge = 123_456_789 * 10**30 + 1  # past Decimal's 28 digits and JavaScript's 2**53
    assert "error" not in rpc(client, "anvil_setBalance", DEV[2].address, hex(huge))
    info = client.get(f"/api/accounts/{DEV[2].address}").json()
    assert info["balance_wei"] == str(huge)
    assert info["balance_eth"] == "123456789000000000000.000000000000000001"
    bad = client.get("/api/accounts/0x1234")
    assert bad.status_code == 400 and "40 hex digits" in bad.json()["detail"]


def test_send_and_read_a_transaction(client):
    recipient = Account.create().address
    raw = signed_transfer(client, to=recipient, value=4321)
    sent = client.post("/api/tx", json={"raw": raw})
    assert sent.status_code == 200, sent.text
    sent = sent.json()
    assert sent["mined"] is True and sent["status"] == "success" and sent["block_number"] == 1
    info = client.get(f"/api/tx/{sent['hash']}").json()
    assert info["status"] == "success"
    assert int(info["receipt"]["gasUsed"], 16) == 21_000
    assert sum(info["gas_breakdown"].values()) == 21_000
    assert client.get(f"/api/accounts/{recipient}").json()["balance_wei"] == "4321"
    assert client.get("/api/blocks/latest").json()["transactions"] == [sent["hash"]]


def test_send_bad_transaction_is_refused_and_changes_nothing(client):
    before = state_of(client)
    # Well-formed hex the chain refuses: 409, naming why.
    for body in ({"raw": "0xdeadbeef"}, {"raw": signed_transfer(client, chain_id=5)}):
        reply = client.post("/api/tx", json=body)
        assert reply.status_code == 409, reply.text
        assert reply.json()["detail"]
    # Off the documented form: 422.
    assert client.post("/api/tx", json={"raw": "zz"}).status_code == 422
    assert client.post("/api/tx", json={}).status_code == 422
    assert client.post("/api/tx", content=b"{oops", headers={"content-type": "application/json"}).status_code == 422
    assert state_of(client) == before


def test_tx_lookup_errors(client):
    assert client.get("/api/tx/0x" + "ab" * 32).status_code == 404
    bad = client.get("/api/tx/0x1234")
    assert bad.status_code == 400 and "64 hex digits" in bad.json()["detail"]


def test_mine(client):
    mined = client.post("/api/mine", json={"blocks": 3}).json()
    assert mined["blocks_mined"] == 3 and mined["head_number"] == 3
    assert client.post("/api/mine").json()["head_number"] == 4
    before = state_of(client)
    for body in ({"blocks": 0}, {"blocks": -2}, {"blocks": 10**6}, {"blocks": "x"}):
        assert client.post("/api/mine", json=body).status_code == 422
    assert state_of(client) == before


def test_time_increase_shows_in_the_next_block(client):
    t0 = client.get("/api/status").json()["head_timestamp"]
    reply = client.post("/api/time/increase", json={"seconds": 7 * 24 * 3600})
    assert reply.status_code == 200, reply.text
    assert reply.json()["time_offset"] >= 7 * 24 * 3600
    client.post("/api/mine", json={"blocks": 1})
    assert client.get("/api/status").json()["head_timestamp"] >= t0 + 7 * 24 * 3600
    for body in ({"seconds": 0}, {"seconds": -5}, {}, {"seconds": "soon"}):
        assert client.post("/api/time/increase", json=body).status_code == 422


def test_dev_accounts(client):
    listed = client.get("/api/dev-accounts").json()
    assert "never" in listed["warning"].lower()
    assert [a["address"] for a in listed["accounts"]] == [a.address for a in DEV]
    assert listed["accounts"][0]["private_key"] == ANVIL_KEY_0
    assert listed["accounts"][0]["balance_wei"] == str(GENESIS)


def test_contracts_empty_then_listed(client):
    assert client.get("/api/contracts").json() == []
    from contracts_spec import examples, runtime

    deploy_tx = {
        "type": 2, "chainId": 31337, "nonce": 0, "value": 0, "gas": 1_000_000,
        "data": runtime.deploy_data(examples.Counter, 3),
        "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 10**10,
    }
    raw = "0x" + Account.sign_transaction(deploy_tx, DEV[1].private_key).raw_transaction.hex()
    sent = client.post("/api/tx", json={"raw": raw}).json()
    assert sent["status"] == "success"
    receipt = client.get(f"/api/tx/{sent['hash']}").json()["receipt"]
    contracts = client.get("/api/contracts").json()
    assert [(c["name"], c["address"]) for c in contracts] == [("Counter", receipt["contractAddress"])]
    assert any(e.get("name") == "increment" for e in contracts[0]["abi"])
    account = client.get(f"/api/accounts/{receipt['contractAddress']}").json()
    assert account["is_contract"] is True and account["contract_name"] == "Counter"


def test_manual_mining_keeps_transactions_pending(client, chain):
    chain.set_automine(False)
    sent = client.post("/api/tx", json={"raw": signed_transfer(client)}).json()
    assert sent == {"hash": sent["hash"], "mined": False, "block_number": None, "status": "pending"}
    status = client.get("/api/status").json()
    assert status["automine"] is False and status["pending_transactions"] == 1
    assert client.get(f"/api/tx/{sent['hash']}").json()["status"] == "pending"
    client.post("/api/mine", json={"blocks": 1})
    assert client.get(f"/api/tx/{sent['hash']}").json()["status"] == "success"
    assert client.get("/api/status").json()["pending_transactions"] == 0


def test_browsers_on_other_origins_are_refused_and_own_pages_served(chain):
    own = "http://127.0.0.1:8545"
    with TestClient(create_app(chain, dev_keys=dev_keys(DEV), origins=[own])) as c:
        headers = {"Origin": "https://remix.ethereum.org", "Access-Control-Request-Method": "POST",
                   "Access-Control-Request-Headers": "content-type"}
        preflight = c.options("/", headers=headers)
        assert "access-control-allow-origin" not in preflight.headers
        reply = c.post("/", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
                       headers={"Origin": "http://x.test"})
        assert reply.status_code == 200 and "refused" in reply.json()["error"]["message"]
        reply = c.post("/", json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}, headers={"Origin": own})
        assert reply.json()["result"] == hex(chain.chain_id)
        assert reply.headers["access-control-allow-origin"] == own


def test_dashboard_page(client):
    page = client.get("/dashboard")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "/api/status" in page.text
    home = client.get("/", follow_redirects=False)
    assert home.status_code in (302, 307) and home.headers["location"] == "/dashboard"


def test_extra_routers_are_mounted_and_documented(client):
    assert client.get("/api/example/ping").json() == {"pong": True}
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/", "/api/status", "/api/tx", "/api/mine", "/api/example/ping", "/api/dev-accounts"):
        assert path in paths
    assert client.get("/docs").status_code == 200


def test_interval_mining_via_rpc_reaches_the_miner(client, chain):
    assert "error" not in rpc(client, "evm_setIntervalMining", 5)
    assert client.get("/api/status").json()["interval_mining_seconds"] == 5
    assert client.app.state.miner._interval() == 5
    rpc(client, "evm_setIntervalMining", 0)


class _CountingChain:
    """Stands in for the chain: counts mine() calls and fails once, to prove the loop survives."""

    def __init__(self, interval: float) -> None:
        import threading

        self.interval_mining_seconds = interval
        self.calls = 0
        self.enough = threading.Event()

    def mine(self, count: int = 1) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("a transient failure")
        if self.calls >= 3:
            self.enough.set()


def test_interval_miner_mines_repeatedly_and_survives_errors():
    fake = _CountingChain(0.01)
    miner = IntervalMiner(fake)  # type: ignore[arg-type]
    miner.start()
    try:
        assert fake.enough.wait(30), "interval miner stopped mining"
    finally:
        miner.stop()
    assert miner.blocks_mined >= 2


def test_interval_miner_idle_when_interval_is_zero():
    fake = _CountingChain(0)
    miner = IntervalMiner(fake)  # type: ignore[arg-type]
    miner.start()
    miner._stop.wait(0.3)
    miner.stop()
    assert fake.calls == 0


# --------------------------------------------------------------------------- a real uvicorn process


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("served")
    node = LocalNode(str(data_dir / "chain"), log_path=str(data_dir / "node.log"), extra_args=["--accounts", "3"])
    with node:
        yield node


@pytest.mark.slow
def test_every_rest_endpoint_over_real_http(served):
    url = served.url + "/api"
    with httpx.Client(timeout=30, headers=served.admin_headers) as http:
        assert http.get(f"{url}/status").json()["chain_id"] == 31337
        recipient = Account.create().address
        nonce = int(http.post(served.url, json={
            "jsonrpc": "2.0", "id": 1, "method": "eth_getTransactionCount", "params": [DEV[0].address, "pending"],
        }).json()["result"], 16)
        base_fee = http.get(f"{url}/status").json()["base_fee_per_gas"]
        tx = {
            "type": 2, "chainId": 31337, "nonce": nonce, "to": recipient, "value": 5, "gas": 21_000,
            "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 2 * base_fee + 10**9,
        }
        raw = "0x" + Account.sign_transaction(tx, DEV[0].private_key).raw_transaction.hex()
        sent = http.post(f"{url}/tx", json={"raw": raw}).json()
        assert sent["status"] == "success"
        assert http.get(f"{url}/tx/{sent['hash']}").json()["gas_breakdown"]
        assert http.get(f"{url}/accounts/{recipient}").json()["balance_wei"] == "5"
        head = http.get(f"{url}/blocks/latest").json()
        assert http.get(f"{url}/blocks/{head['number']}").json() == head
        assert http.post(f"{url}/mine", json={"blocks": 2}).json()["head_number"] == head["number"] + 2
        assert http.post(f"{url}/time/increase", json={"seconds": 60}).status_code == 200
        assert isinstance(http.get(f"{url}/contracts").json(), list)
        assert len(http.get(f"{url}/dev-accounts").json()["accounts"]) == 3
        assert http.get(f"{url}/blocks/99999").status_code == 404
        assert http.get(f"{url}/accounts/nope").status_code == 400
        parse = http.post(served.url, content=b"{", headers={"content-type": "application/json"})
        assert parse.status_code == 200 and parse.json()["error"]["code"] == -32700
        assert http.get(served.url + "/docs").status_code == 200


@pytest.mark.slow
def test_banner_shows_urls_and_key_warning(served):
    out = served.output()
    assert f"http://127.0.0.1:{served.port}" in out
    assert f"http://127.0.0.1:{served.port}/docs" in out
    assert ANVIL_ACCOUNT_0 in out and ANVIL_KEY_0 in out
    assert "Counter" in out  # the example contracts were loaded, so they can be deployed
    assert "never" in out.lower() and "real funds" in out.lower()


@pytest.mark.slow
def test_port_in_use_is_a_message_and_exit_code_1(served, tmp_path):
    cmd = [sys.executable, "-m", "node.cli", "node", "--port", str(served.port), "--data-dir", str(tmp_path / "x")]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{served.port}" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_ctrl_c_and_sigterm_shut_down_cleanly(tmp_path, sig):
    node = LocalNode(str(tmp_path / "chain"), log_path=str(tmp_path / "node.log")).start()
    code = node.stop(sig=sig)
    assert code == 0, node.output()
    assert "chain closed" in node.output()
    assert "Traceback" not in node.output()


@pytest.mark.slow
def test_bad_command_line_values_exit_2(tmp_path):
    for extra in (
        ["--block-time", "0"],
        ["--balance", "lots"],
        ["--accounts", "-3"],
        ["--contracts", "no_such_module_here"],
    ):
        cmd = [sys.executable, "-m", "node.cli", "node", "--port", "0", "--data-dir", str(tmp_path / "x"), *extra]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert done.returncode == 2, (extra, done.stderr)
        assert "error:" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_block_time_mines_on_an_interval(tmp_path):
    from contracts_spec.l1 import L1Client

    node = LocalNode(None, log_path=str(tmp_path / "node.log"), extra_args=["--memory", "--block-time", "0.5"])
    with node, node.transport() as transport:
        status = httpx.get(node.url + "/api/status").json()
        assert status["automine"] is False and status["interval_mining_seconds"] == 0.5
        base_fee = status["base_fee_per_gas"]
        tx = {
            "type": 2, "chainId": 31337, "nonce": 0, "to": DEV[1].address, "value": 3, "gas": 21_000,
            "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 4 * base_fee + 10**9,
        }
        raw = "0x" + Account.sign_transaction(tx, DEV[0].private_key).raw_transaction.hex()
        sent = httpx.post(node.url + "/api/tx", json={"raw": raw}).json()
        assert sent["mined"] is False and sent["status"] == "pending"
        # Nobody calls mine(): the interval miner includes it.
        receipt = L1Client(transport, receipt_timeout=60).wait_for_receipt(sent["hash"])
        assert int(receipt["status"], 16) == 1
        assert "in memory" in node.output()


@pytest.mark.slow
def test_reopening_with_another_chain_id_is_refused(tmp_path):
    data_dir = tmp_path / "chain"
    with LocalNode(str(data_dir), log_path=str(tmp_path / "node.log")):
        pass
    cmd = [sys.executable, "-m", "node.cli", "node", "--port", "0", "--data-dir", str(data_dir), "--chain-id", "5"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "chain id" in done.stderr and "Traceback" not in done.stderr


def test_listening_socket_is_tcp_so_responses_are_not_delayed():
    """asyncio sets TCP_NODELAY only on sockets whose proto is TCP; without it each
    HTTP response waits for a delayed ACK (about 40 ms)."""
    import socket

    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        assert sock.getsockname()[1] > 0
        with pytest.raises(OSError):
            _bind("127.0.0.1", sock.getsockname()[1])
    finally:
        sock.close()


def test_scheme_routers_are_found_and_broken_ones_reported():
    from types import SimpleNamespace

    good = APIRouter(prefix="/api/test-scheme")

    def broken():
        raise ImportError("no module named l2lab_test_absent")

    routers, failed = scheme_routers({"good": SimpleNamespace(router=lambda: good),
                                      "broken": SimpleNamespace(router=broken)})
    assert routers == [good]
    assert failed == {"broken": "ImportError: no module named l2lab_test_absent"}


def test_every_registered_scheme_mounts_its_router():
    from node.schemes import all_schemes

    routers, failed = scheme_routers()
    assert failed == {}
    assert [r.prefix for r in routers] == [f"/api/{name}" for name in all_schemes()]


@pytest.mark.slow
def test_concurrent_clients_are_served_consistently(served):
    """Senders on several threads at once: every transfer lands exactly once."""
    import threading

    from contracts_spec.l1 import L1Client

    recipient = Account.create().address
    errors: list[BaseException] = []
    senders = DEV[0:2]  # not dev account 2, the hosted Plasma operator, which sends on its own
    with served.transport() as t:  # earlier tests sent from them too
        nonces = {a.address: int(t.request("eth_getTransactionCount", [a.address, "latest"]), 16) for a in senders}

    def send_five(sender) -> None:
        try:
            with served.transport() as t:
                l1 = L1Client(t)
                for _ in range(5):
                    l1.transfer(sender.private_key, recipient, 1)
        except BaseException as exc:  # reported below, with the thread's error
            errors.append(exc)

    threads = [threading.Thread(target=send_five, args=(a,)) for a in senders]
    for t in threads:
        t.start()
    with served.transport() as t:  # reads interleave with the writes
        for _ in range(20):
            t.request("eth_blockNumber", [])
    for t in threads:
        t.join(120)
    assert not errors, errors
    with served.transport() as t:
        assert int(t.request("eth_getBalance", [recipient, "latest"]), 16) == 10
        for a in senders:
            assert int(t.request("eth_getTransactionCount", [a.address, "latest"]), 16) == nonces[a.address] + 5


def test_docs_and_redoc_render_from_assets_the_node_serves(client):
    import re

    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200
        urls = re.findall(r'(?:src|href)="([^"]+)"', html.text)
        assert urls and all(u.startswith("/docs-assets/") for u in urls), (page, urls)
        for url in urls:
            asset = client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 1000, url
    assert "https://" not in client.get("/docs").text and "cdn" not in client.get("/redoc").text
