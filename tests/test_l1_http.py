"""Bad input over HTTP: the node never answers 500 to a client's mistake.

JSON-RPC bodies of every wrong shape, and the REST endpoints with
impossible numbers.
"""

from __future__ import annotations

import warnings

import pytest
from eth_account import Account

from node.chain import Chain
from node.server import create_app

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*deprecated")
    from fastapi.testclient import TestClient

KEY = b"\x61" * 32
ALICE = Account.from_key(KEY).address


@pytest.fixture(scope="module")
def client():
    chain = Chain(genesis_alloc={ALICE: 10**21}, genesis_timestamp=1_700_000_000)
    with TestClient(create_app(chain, dev_keys={ALICE: KEY})) as c:
        yield c
    chain.close()


RPC_BODIES = [
    b"", b"{", b"null", b'"x"', b"[]", b"[1]", b"\xff\xfe\x00", b"[" * 100 + b"]" * 100,
    b'{"jsonrpc":"2.0","id":1e999,"method":"eth_blockNumber"}',
    b'{"jsonrpc":"2.0","id":NaN,"method":"eth_blockNumber"}',
    b'{"jsonrpc":"2.0","id":1,"method":"eth_getBalance","params":["' + ALICE.encode() + b'",Infinity]}',
    b'{"jsonrpc":"2.0","id":1,"method":"eth_getBlockByNumber","params":["0x' + b"f" * 5000 + b'",false]}',
    b'{"jsonrpc":"2.0","id":1,"method":"evm_mine","params":[{"blocks":"0xfffffff"}]}',
    b'{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"data":"0x' + b"00" * 3_000_000 + b'"}]}',
    b'{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{"data":"0x' + b"00" * 6_000_000 + b'"}]}',
]


@pytest.mark.parametrize("body", RPC_BODIES, ids=range(len(RPC_BODIES)))
def test_json_rpc_never_answers_500(client, body: bytes) -> None:
    head = client.app.state.chain.head.hash
    response = client.post("/", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 204), response.text[:200]
    answers = response.json() if response.status_code == 200 else []
    for answer in answers if isinstance(answers, list) else [answers]:
        assert "error" in answer and answer["error"]["code"] != -32603, answer
        assert answer["error"]["message"]
    assert client.app.state.chain.head.hash == head


def test_a_batch_of_1000_is_answered_in_order(client) -> None:
    batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(1000)]
    answers = client.post("/", json=batch).json()
    assert [a["id"] for a in answers] == list(range(1000)) and {a["result"] for a in answers} == {"0x7a69"}


@pytest.mark.parametrize("path", ["/api/blocks/99999999999999999999999999", "/api/blocks/9223372036854775808"])
def test_rest_block_past_the_head_is_404(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404 and "no block" in response.json()["detail"]


@pytest.mark.parametrize(("path", "body"), [
    ("/api/time/increase", b'{"seconds":1e400}'),
    ("/api/time/increase", b'{"seconds":NaN}'),
    ("/api/mine", b'{"blocks":1e400}'),
])
def test_rest_non_finite_numbers_are_a_400_not_a_500(client, path: str, body: bytes) -> None:
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("limit", [0, -1, 10**6, "x"])
def test_rest_recent_blocks_limit_out_of_range_is_refused(client, limit) -> None:
    response = client.get(f"/api/blocks?limit={limit}")
    assert response.status_code == 422 and "limit" in response.text
