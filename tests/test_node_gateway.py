"""``l2lab node --l1 URL``: the node's schemes on anvil, its JSON-RPC forwarded, its doors still shut.

A real anvil (tools/evm) and a real node process in front of it; the CLI
commands a user runs against a node run unchanged against this one, and
what they do lands on the EVM, with the schemes' Solidity twins.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from contracts_spec.l1 import L1Client
from node.client import HttpTransport, LocalNode
from node.rpc import RpcError
from tests.evm_twin import require_evm


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, LocalNode]]:
    require_evm("l2lab node --l1 on anvil")
    from node.evm import Anvil

    with Anvil() as anvil:
        data = tmp_path_factory.mktemp("gateway")
        node = LocalNode(data_dir=data, extra_args=["--l1", anvil.url, "--optimistic", "off",
                                                    "--zk-preset", "off", "--channels-preset", "off"],
                         startup_timeout=60)
        node.start()
        try:
            yield anvil.url, node
        finally:
            node.stop()


def cli(node: LocalNode, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "node.cli", *argv, "--rpc", node.url], capture_output=True,
                          text=True, timeout=120, env={**__import__("os").environ, "L2LAB_NODE_TOKEN": node.token})


def test_json_rpc_goes_to_the_l1(gateway: tuple[str, LocalNode]) -> None:
    anvil_url, node = gateway
    through = L1Client(HttpTransport(node.url))
    direct = L1Client(HttpTransport(anvil_url))
    assert str(through.rpc("web3_clientVersion")).startswith("anvil/")
    assert through.block_number() == direct.block_number() and not through.toy


def test_dev_methods_still_need_the_node_token(gateway: tuple[str, LocalNode]) -> None:
    _, node = gateway
    with pytest.raises(RpcError, match="evm_mine"):
        HttpTransport(node.url).request("evm_mine", [])
    before = L1Client(HttpTransport(node.url)).block_number()
    HttpTransport(node.url, token=node.token).request("evm_mine", [])
    assert L1Client(HttpTransport(node.url)).block_number() == before + 1


def test_methods_an_l2lab_node_does_not_serve_are_not_forwarded(gateway: tuple[str, LocalNode]) -> None:
    """anvil's own extras (sending from any address unsigned, rewinding the head) stay behind the node."""
    _, node = gateway
    for method, params in (("eth_sendUnsignedTransaction", [{"from": "0x" + "11" * 20, "to": "0x" + "22" * 20}]),
                           ("debug_setHead", ["0x0"]), ("personal_unlockAccount", ["0x" + "11" * 20, "", 0])):
        with pytest.raises(RpcError, match="not served by this node"):
            HttpTransport(node.url, token=node.token).request(method, params)


def test_the_hosted_root_chain_is_the_solidity_twin_on_the_l1(gateway: tuple[str, LocalNode]) -> None:
    from contracts_spec import evm

    anvil_url, node = gateway
    status = _wait_status(node, "plasma")
    code = L1Client(HttpTransport(anvil_url)).rpc("eth_getCode", status["address"], "latest")
    assert evm.is_twin_code("RootChain", bytes.fromhex(code[2:]))


def test_a_plasma_deposit_and_payment_through_the_cli_land_on_the_l1(gateway: tuple[str, LocalNode]) -> None:
    _, node = gateway
    _wait_status(node, "plasma")
    done = cli(node, "plasma", "deposit", "--account", "0", "--amount", "1")
    assert done.returncode == 0, done.stderr
    assert "deposited 1 ETH" in done.stdout
    done = cli(node, "plasma", "balance", "--account", "0")
    assert done.returncode == 0 and "1" in done.stdout, done.stderr


def test_a_node_refuses_an_l1_that_does_not_answer(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "node.cli", "node", "--l1", "http://127.0.0.1:9", "--port", "0",
                           "--data-dir", str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "cannot reach the L1 at http://127.0.0.1:9" in done.stderr


def test_a_bad_l1_url_is_named(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "node.cli", "node", "--l1", "localhost:9", "--data-dir",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "--l1 must start with http://" in done.stderr


def _wait_status(node: LocalNode, scheme: str, timeout: float = 60) -> dict:
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while True:
        reply = httpx.get(f"{node.url}/api/{scheme}/status", timeout=30)
        if reply.status_code == 200 and json.loads(reply.text).get("address"):
            return dict(reply.json())
        if time.monotonic() > deadline:
            raise AssertionError(f"{scheme} not hosted after {timeout} s: {reply.text[:300]}")
        time.sleep(0.5)
