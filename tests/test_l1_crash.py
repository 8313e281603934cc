"""kill -9 at random moments while a client sends transactions: nothing acknowledged is lost.

A real ``l2lab node`` subprocess is killed with SIGKILL mid-stream a few
times and reopened on the same data directory. After every restart each
transaction the node acknowledged has its receipt, the blocks still chain
by parent hash, and value is conserved: the balances of every account the
traffic touched plus the base fees burned equal the genesis total.
"""

from __future__ import annotations

import random
import threading
from typing import Any

import httpx
import pytest
from eth_account import Account

from node.chain import COINBASE
from node.client import LocalNode
from node.devaccounts import derive_dev_accounts

pytestmark = pytest.mark.slow

DEV = derive_dev_accounts(2)
RECIPIENTS = [Account.from_key(bytes([0x40 + i]) * 32).address for i in range(3)]
ITERATIONS = 3


def rpc(client: httpx.Client, url: str, method: str, *params: Any) -> Any:
    answer = client.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}).json()
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def send_until_killed(url: str, chain_id: int, acked: list[str], stop: threading.Event, rng: random.Random) -> None:
    """Send signed transfers from both dev accounts until the node goes away; record acknowledged hashes."""
    with httpx.Client(timeout=10) as client:
        try:
            nonces = {a.address: int(rpc(client, url, "eth_getTransactionCount", a.address, "pending"), 16) for a in DEV}
            base = int(rpc(client, url, "eth_gasPrice"), 16)
            full: set[str] = set()  # senders whose pending pool is full (manual mining): refused, not acked
            while not stop.is_set() and len(full) < len(DEV):
                account = rng.choice([a for a in DEV if a.address not in full])
                tx: dict[str, Any] = {
                    "chainId": chain_id, "nonce": nonces[account.address], "to": rng.choice(RECIPIENTS),
                    "value": rng.randrange(1, 10**15), "gas": 21_000,
                }
                if rng.random() < 0.5:
                    tx.update(type=2, maxFeePerGas=4 * base, maxPriorityFeePerGas=rng.randrange(0, 2 * 10**9))
                else:
                    tx["gasPrice"] = 2 * base
                raw = "0x" + bytes(Account.sign_transaction(tx, account.private_key).raw_transaction).hex()
                try:
                    tx_hash = rpc(client, url, "eth_sendRawTransaction", raw)
                except RuntimeError as exc:
                    if "at most 64 pending" not in str(exc):
                        raise
                    full.add(account.address)
                    continue
                acked.append(tx_hash)  # the node said yes: from here on it must never be lost
                nonces[account.address] += 1
        except (httpx.HTTPError, OSError):
            return  # the node was killed mid-request: that transaction was not acknowledged


def check_store(url: str, acked: list[str], genesis_total: int) -> int:
    """Every acknowledged tx has a receipt, blocks chain, value is conserved; returns the head number."""
    with httpx.Client(timeout=30) as client:
        head = int(rpc(client, url, "eth_blockNumber"), 16)
        batch = [{"jsonrpc": "2.0", "id": n, "method": "eth_getBlockByNumber", "params": [hex(n), False]}
                 for n in range(head + 1)]
        blocks = [a["result"] for a in sorted(client.post(url, json=batch).json(), key=lambda a: a["id"])]
        for parent, block in zip(blocks, blocks[1:], strict=False):
            assert block["parentHash"] == parent["hash"], f"block {block['number']} does not follow its parent"
        batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionReceipt", "params": [h]}
                 for i, h in enumerate(acked)]
        receipts = client.post(url, json=batch).json() if acked else []
        missing = [acked[a["id"]] for a in receipts if a.get("result") is None]
        assert not missing, f"{len(missing)} acknowledged transactions lost, e.g. {missing[:3]}"
        assert all(a["result"]["status"] == "0x1" for a in receipts)
        burned = sum(int(b["gasUsed"], 16) * int(b["baseFeePerGas"], 16) for b in blocks)
        holders = [a.address for a in DEV] + RECIPIENTS + [COINBASE]
        total = sum(int(rpc(client, url, "eth_getBalance", a, "latest"), 16) for a in holders)
        assert total + burned == genesis_total, "value was created or destroyed across the crash"
        return head


def test_kill_9_in_a_loop_loses_nothing(tmp_path) -> None:
    rng = random.Random(20261121)
    data_dir = tmp_path / "chain"
    acked: list[str] = []
    genesis_total = 0
    heads = []
    for i in range(ITERATIONS):
        node = LocalNode(str(data_dir), log_path=str(tmp_path / f"node{i}.log"), extra_args=["--accounts", "2"])
        node.start()
        try:
            with httpx.Client(timeout=10) as client:
                chain_id = int(rpc(client, node.url, "eth_chainId"), 16)
                if i == 0:
                    genesis_total = sum(
                        int(rpc(client, node.url, "eth_getBalance", a.address, "latest"), 16) for a in DEV
                    )
            heads.append(check_store(node.url, acked, genesis_total))
            stop = threading.Event()
            sender = threading.Thread(
                target=send_until_killed, args=(node.url, chain_id, acked, stop, rng), daemon=True
            )
            sender.start()
            stop.wait(rng.uniform(0.3, 1.0))  # let traffic flow, then pull the plug mid-stream
        finally:
            code = node.stop(kill=True)
        stop.set()
        sender.join(timeout=30)
        assert not sender.is_alive()
        assert code == -9, "the node must die by SIGKILL"
    node = LocalNode(str(data_dir), log_path=str(tmp_path / "final.log"), extra_args=["--accounts", "2"])
    node.start()
    try:
        final = check_store(node.url, acked, genesis_total)
    finally:
        node.stop()
    assert acked, "no transaction was acknowledged: the test sent nothing"
    print(f"{len(acked)} acknowledged transactions over {ITERATIONS} kills, heads {heads} -> {final}")
    assert final >= len(acked) and heads == sorted(heads)


def test_kill_9_keeps_the_pending_pool_of_manual_mining(tmp_path) -> None:
    """With automine off, an accepted transaction sits in the pool: a crash must not drop it."""
    rng = random.Random(7)
    data_dir = tmp_path / "chain"
    acked: list[str] = []
    node = LocalNode(str(data_dir), log_path=str(tmp_path / "node.log"), extra_args=["--accounts", "2"])
    node.start()
    try:
        with httpx.Client(timeout=10, headers=node.admin_headers) as client:
            chain_id = int(rpc(client, node.url, "eth_chainId"), 16)
            genesis_total = sum(int(rpc(client, node.url, "eth_getBalance", a.address, "latest"), 16) for a in DEV)
            rpc(client, node.url, "evm_setAutomine", False)
        stop = threading.Event()
        sender = threading.Thread(target=send_until_killed, args=(node.url, chain_id, acked, stop, rng), daemon=True)
        sender.start()
        stop.wait(rng.uniform(0.3, 0.6))
    finally:
        code = node.stop(kill=True)
    stop.set()
    sender.join(timeout=30)
    assert code == -9 and acked
    node = LocalNode(str(data_dir), log_path=str(tmp_path / "again.log"), extra_args=["--accounts", "2"])
    node.start()
    try:
        with httpx.Client(timeout=30, headers=node.admin_headers) as client:
            assert rpc(client, node.url, "eth_blockNumber") == "0x0"  # nothing was mined before the crash
            pool = [rpc(client, node.url, "eth_getTransactionByHash", h) for h in acked]
            assert all(t is not None and t["blockNumber"] is None for t in pool), "a pending tx was lost"
            rpc(client, node.url, "evm_mine")
        check_store(node.url, acked, genesis_total)
    finally:
        node.stop()
