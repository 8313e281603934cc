"""The node is not an open door, and what it holds is its own.

Regression scenarios: a web page in the user's browser drove the node (CORS
answered ``*``, and a simple POST needs no preflight); a lone UTF-16 surrogate
in a JSON body was a server error on every route; two nodes opened one data
directory; ``--fresh`` kept the old chain's operator log, which the new chain's
rollup (deployed at the same address) replayed.
"""

from __future__ import annotations

import argparse

import pytest
from fastapi.testclient import TestClient

from node.chain import Chain
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.optimistic.api import router
from node.server import _forget_scheme_files, create_app, own_origins
from node.store import DataDirInUse

DEV = derive_dev_accounts(3)
EVIL = "http://evil.example"


@pytest.fixture
def node():
    chain = Chain(genesis_alloc=genesis_alloc(DEV))
    args = argparse.Namespace(host="127.0.0.1", port=8545)
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[router], origins=own_origins(args))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield chain, client
    chain.close()


def test_a_foreign_web_page_cannot_move_the_clock_or_repoint_the_rollup(node) -> None:
    chain, client = node
    offset = chain.time_offset
    body = '{"jsonrpc": "2.0", "id": 1, "method": "evm_increaseTime", "params": ["0x93a80"]}'
    # A "simple" cross-site request: text/plain, no preflight; the browser still sends Origin.
    reply = client.post("/", content=body, headers={"Origin": EVIL, "Content-Type": "text/plain"})
    assert "refused" in reply.json()["error"]["message"] and EVIL in reply.json()["error"]["message"]
    assert chain.time_offset == offset
    for path, payload in (("/api/time/increase", {"seconds": 604800}),
                          ("/api/optimistic/attach", {"address": "0x" + "11" * 20}),
                          ("/api/optimistic/deploy", {})):
        reply = client.post(path, json=payload, headers={"Origin": EVIL})
        assert reply.status_code == 403 and "refused" in reply.json()["detail"], path
    assert chain.time_offset == offset
    assert client.get("/api/optimistic/status").status_code == 404  # no rollup was deployed


def test_tools_that_are_not_browsers_and_the_nodes_own_pages_are_served(node) -> None:
    chain, client = node
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}
    assert client.post("/", json=body).json()["result"] == hex(chain.chain_id)
    for own in ("http://127.0.0.1:8545", "http://localhost:8545"):
        assert client.post("/", json=body, headers={"Origin": own}).json()["result"] == hex(chain.chain_id)


@pytest.mark.parametrize("path", ["/api/time/increase", "/api/tx", "/api/mine", "/api/optimistic/transactions",
                                  "/api/optimistic/typed-data", "/api/optimistic/deploy",
                                  "/api/optimistic/attach"])
def test_a_lone_surrogate_in_a_rest_body_is_a_clear_400(node, path) -> None:
    chain, client = node
    head = chain.block_number
    reply = client.post(path, content=b'{"\\ud800": 1}', headers={"Content-Type": "application/json"})
    assert reply.status_code == 400 and "surrogate" in reply.json()["detail"]
    assert chain.block_number == head


def test_a_lone_surrogate_in_json_rpc_is_an_error_and_the_connection_keeps_serving(node) -> None:
    chain, client = node
    for body in (b'{"jsonrpc": "2.0", "id": "\\udfff", "method": "eth_chainId", "params": []}',
                 b'{"jsonrpc": "2.0", "id": 1, "method": "eth_\\ud800", "params": []}'):
        reply = client.post("/", content=body, headers={"Content-Type": "application/json"})
        assert reply.status_code == 200 and "surrogate" in reply.json()["error"]["message"]
    # A paired surrogate is a real character, and an escaped backslash is no escape at all.
    ok = client.post("/", content=b'{"jsonrpc": "2.0", "id": "\\ud83d\\ude00 \\\\ud800", "method": "eth_chainId"}',
                     headers={"Content-Type": "application/json"})
    assert ok.json()["result"] == hex(chain.chain_id)


def test_a_second_node_on_the_same_data_directory_is_refused_by_name(tmp_path) -> None:
    first = Chain(data_dir=tmp_path)
    try:
        with pytest.raises(DataDirInUse, match="in use by another l2lab process"):
            Chain(data_dir=tmp_path)
        with pytest.raises(DataDirInUse):
            Chain(data_dir=tmp_path, fresh=True)  # and it cannot wipe what the first one runs on
        assert first.block_number == 0
    finally:
        first.close()
    Chain(data_dir=tmp_path).close()  # once the first has stopped, the directory opens again


def test_fresh_forgets_the_old_chains_operator_log(tmp_path) -> None:
    wal = tmp_path / "optimistic-0x5fbdb2315678afecb367f032d93f642f64180aa3-wal.sqlite"
    for path in (wal, tmp_path / (wal.name + "-wal"), tmp_path / "optimistic.json"):
        path.write_text("old chain")
    keep = tmp_path / "notes.txt"
    keep.write_text("the user's own file")
    _forget_scheme_files(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


TOKEN = "t0ken" * 6


@pytest.fixture
def guarded():
    chain = Chain(genesis_alloc=genesis_alloc(DEV))
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[router], admin_token=TOKEN)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield chain, client
    chain.close()


def call(client, method, *params, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/", json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
                       headers=headers).json()


@pytest.mark.parametrize("method, params", [
    ("evm_increaseTime", [604800]), ("evm_setNextBlockTimestamp", [4_000_000_000]), ("evm_mine", []),
    ("evm_snapshot", []), ("evm_setAutomine", [False]), ("evm_setIntervalMining", [1]),
    ("anvil_setBalance", ["0x" + "22" * 20, "0x1"]), ("hardhat_mine", ["0x2"]), ("anvil_increaseTime", [60]),
])
def test_time_travel_mining_and_balances_need_the_nodes_token(guarded, method, params) -> None:
    chain, client = guarded
    before = (chain.block_number, chain.time_offset, chain.automine, chain.get_balance("0x" + "22" * 20))
    for token in (None, "wrong"):
        error = call(client, method, *params, token=token)["error"]
        assert error["code"] == -32001 and method in error["message"] and "token" in error["message"]
    assert (chain.block_number, chain.time_offset, chain.automine, chain.get_balance("0x" + "22" * 20)) == before
    assert "result" in call(client, method, *params, token=TOKEN)


def test_a_batch_without_the_token_answers_reads_and_refuses_admin_calls(guarded) -> None:
    chain, client = guarded
    reply = client.post("/", json=[{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                                   {"jsonrpc": "2.0", "id": 2, "method": "evm_mine", "params": []}]).json()
    assert reply[0]["result"] == hex(chain.chain_id) and reply[1]["error"]["code"] == -32001
    assert chain.block_number == 0


def test_rest_admin_routes_need_the_nodes_token(guarded) -> None:
    chain, client = guarded
    for path, payload in (("/api/time/increase", {"seconds": 60}), ("/api/mine", {"blocks": 1}),
                          ("/api/optimistic/deploy", {}), ("/api/optimistic/attach", {"address": "0x" + "11" * 20}),
                          ("/api/optimistic/batches", None)):
        reply = client.post(path, json=payload)
        assert reply.status_code == 401 and "admin" in reply.json()["detail"], path
    assert chain.block_number == 0 and chain.time_offset == 0
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert client.post("/api/time/increase", json={"seconds": 60}, headers=auth).status_code == 200
    assert client.post("/api/mine", json={"blocks": 1}, headers=auth).status_code == 200
    # Reads and signed transactions stay open: they change nothing by fiat.
    assert client.get("/api/status").status_code == 200


def test_a_real_node_writes_its_token_for_its_owner_and_refuses_calls_without_it(tmp_path) -> None:
    import stat

    from node.auth import TOKEN_FILE, find_token
    from node.client import LocalNode
    from node.rpc import RpcError

    data = tmp_path / "chain"
    with LocalNode(str(data), log_path=str(tmp_path / "node.log"), extra_args=["--optimistic", "off"]) as node:
        token_file = data / TOKEN_FILE
        assert find_token(data_dir=data) == node.token
        assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
        with pytest.raises(RpcError, match="token"):
            node.transport(admin=False).request("evm_increaseTime", [3600])
        assert node.transport().request("evm_increaseTime", [3600]) is not None
        assert f"#token={node.token}" in node.output()
