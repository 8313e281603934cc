"""The HTTP transport against a real ``l2lab node`` subprocess, and when no node is there."""

from __future__ import annotations

import pytest
from eth_account import Account

from node.client import HttpTransport, LocalNode, TransportError, free_port
from node.devaccounts import derive_dev_accounts
from node.rpc import RpcError

pytestmark = pytest.mark.slow

DEV = derive_dev_accounts(2)


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("client-node")
    with LocalNode(str(data_dir), log_path=str(data_dir / "node.log"), extra_args=["--accounts", "2"]) as n:
        yield n


@pytest.fixture
def transport(node):
    with node.transport() as t:
        yield t


def test_request_returns_the_result(transport):
    assert transport.request("eth_chainId", []) == hex(31337)
    assert int(transport.request("eth_blockNumber", []), 16) >= 0
    assert transport.request("eth_getBalance", [DEV[1].address, "latest"]).startswith("0x")


def test_params_default_to_empty(transport):
    assert transport.request("eth_chainId") == hex(31337)


def test_json_rpc_error_is_raised_as_rpc_error(transport):
    with pytest.raises(RpcError) as info:
        transport.request("eth_noSuchMethod", [])
    assert info.value.code == -32601
    assert "eth_noSuchMethod" in info.value.message


def test_bad_params_name_the_problem(transport):
    with pytest.raises(RpcError) as info:
        transport.request("eth_getBalance", ["0x1234", "latest"])
    assert info.value.code == -32602


def test_rejected_transaction_carries_its_code(transport):
    with pytest.raises(RpcError) as info:
        transport.request("eth_sendRawTransaction", ["0xdeadbeef"])
    assert info.value.code in (-32000, -32602, -32003)


def test_batch_answers_each_call_in_order(transport):
    results = transport.batch(
        [("eth_chainId", []), ("eth_noSuchMethod", []), ("eth_getBalance", [DEV[0].address, "latest"])]
    )
    assert results[0] == hex(31337)
    assert isinstance(results[1], RpcError) and results[1].code == -32601
    assert results[2].startswith("0x")
    assert transport.batch([]) == []


def test_l1_client_runs_over_http(transport):
    """The lead's L1Client works unchanged over this transport: a transfer moves exact wei."""
    from contracts_spec.l1 import L1Client

    l1 = L1Client(transport)
    recipient = Account.create().address
    before = l1.balance(DEV[0].address)
    receipt = l1.transfer(DEV[0].private_key, recipient, 12345)
    assert int(receipt["status"], 16) == 1
    assert l1.balance(recipient) == 12345
    fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert l1.balance(DEV[0].address) == before - 12345 - fee


def test_unreachable_node_is_a_clear_connection_error():
    url = f"http://127.0.0.1:{free_port()}"
    with HttpTransport(url, timeout=2) as t, pytest.raises(ConnectionError, match="cannot reach an l2lab node"):
        t.request("eth_chainId", [])


def test_non_json_answer_is_a_transport_error(node):
    # /api/status is not a JSON-RPC endpoint: the transport must say so rather than crash.
    with HttpTransport(node.url + "/api/status", timeout=5) as t, pytest.raises(TransportError, match="HTTP 405"):
        t.request("eth_chainId", [])


@pytest.mark.parametrize("url", ["", "localhost:8545", "ftp://x", None])
def test_bad_url_rejected(url):
    with pytest.raises(ValueError, match="must start with http"):
        HttpTransport(url)  # type: ignore[arg-type]


@pytest.mark.parametrize("timeout", [0, -1])
def test_bad_timeout_rejected(timeout):
    with pytest.raises(ValueError, match="timeout"):
        HttpTransport("http://127.0.0.1:8545", timeout=timeout)


@pytest.mark.parametrize("params", [{"a": 1}, "0x1", 5])
def test_params_must_be_positional(params):
    with HttpTransport(f"http://127.0.0.1:{free_port()}") as t:
        with pytest.raises(TypeError, match="params must be a list"):
            t.request("eth_getBalance", params)
        with pytest.raises(TypeError, match="params must be a list"):
            t.batch([("eth_chainId", []), ("eth_getBalance", params)])


def test_bad_method_rejected_before_sending():
    with HttpTransport(f"http://127.0.0.1:{free_port()}") as t, pytest.raises(ValueError, match="method"):
        t.request("", [])


class _NoDevMethods:
    """A chain that offers no evm_* methods, as a public chain does: blocks come when they come."""

    def __init__(self, chain) -> None:
        from node.rpc import RpcDispatcher

        self.inner = RpcDispatcher(chain)

    def request(self, method: str, params: list):
        from node.rpc import RpcError

        if method.startswith(("evm_", "anvil_")):
            raise RpcError(-32601, f"the method {method} does not exist/is not available")
        return self.inner.handle(method, params)


def test_time_travel_on_a_chain_without_it_waits_for_real_blocks() -> None:
    import threading
    import time as clock

    from contracts_spec.l1 import L1Client
    from node.chain import Chain

    chain = Chain()
    l1 = L1Client(_NoDevMethods(chain))
    stop = threading.Event()

    def producer() -> None:  # the chain's own block production, one block every 0.3 s
        while not stop.is_set():
            chain.mine(1)
            clock.sleep(0.3)

    start = l1.block_number()
    worker = threading.Thread(target=producer, daemon=True)
    worker.start()
    try:
        l1.mine(2)
        assert l1.block_number() >= start + 2
        before = l1.timestamp()
        l1.increase_time(1)
        assert l1.timestamp() >= before + 1
    finally:
        stop.set()
        worker.join()


def test_a_wait_longer_than_the_client_allows_says_what_it_needs() -> None:
    from contracts_spec.l1 import L1Client, L1Error
    from node.chain import Chain

    l1 = L1Client(_NoDevMethods(Chain()))
    with pytest.raises(L1Error, match="offers no time travel .* use a development chain"):
        l1.increase_time(7 * 24 * 3600)
