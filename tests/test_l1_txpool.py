"""The pending pool as geth and anvil keep it: gaps queue, a better-paying twin replaces, and it is bounded.

Finding 10 of the optimistic hardening: the pool had no cap and every send
rescanned all of it under the chain lock. It is now indexed by sender and
nonce and capped per sender and in all.
"""

from __future__ import annotations

import pytest
from eth_account import Account

from node import txpool
from node.chain import Chain
from node.transactions import TxRejected

GWEI = 10**9
ETH = 10**18
KEYS = [bytes([0x71 + i]) * 32 for i in range(3)]
ADDR = [Account.from_key(k).address for k in KEYS]
DEAD = "0x000000000000000000000000000000000000dEaD"


def raw(key: bytes, nonce: int, *, tip: int = GWEI, fee: int = 20 * GWEI, value: int = 1) -> bytes:
    tx = {"type": 2, "chainId": 31337, "nonce": nonce, "to": DEAD, "value": value, "gas": 21_000,
          "maxPriorityFeePerGas": tip, "maxFeePerGas": fee}
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


@pytest.fixture
def chain(tmp_path):
    c = Chain(data_dir=tmp_path, genesis_alloc={a: 10 * ETH for a in ADDR})
    yield c
    c.close()


def test_a_nonce_gap_waits_in_the_queue_until_it_is_filled(chain) -> None:
    later = chain.send_raw_transaction(raw(KEYS[0], 1))
    assert chain.get_receipt(later) is None and chain.get_transaction(later) is not None
    assert chain.get_nonce(ADDR[0], pending=True) == 0  # the gap: nonce 0 is still the next to send
    first = chain.send_raw_transaction(raw(KEYS[0], 0))
    assert chain.get_receipt(first).status == 1 and chain.get_receipt(later).status == 1
    assert chain.get_nonce(ADDR[0]) == 2 and len(chain.pending) == 0


def test_a_better_paying_twin_replaces_a_pending_transaction_and_survives_a_restart(chain, tmp_path) -> None:
    chain.set_automine(False)
    old = chain.send_raw_transaction(raw(KEYS[0], 0, tip=GWEI, fee=20 * GWEI))
    with pytest.raises(TxRejected, match="replacement transaction underpriced"):
        chain.send_raw_transaction(raw(KEYS[0], 0, tip=GWEI + 1, fee=21 * GWEI))  # +5%: not enough
    new = chain.send_raw_transaction(raw(KEYS[0], 0, tip=2 * GWEI, fee=22 * GWEI, value=2))
    assert [t.hash for t in chain.pending] == [new] and chain.get_transaction(old) is None
    chain.close()
    again = Chain(data_dir=tmp_path)
    try:
        assert [t.hash for t in again.pending] == [new]
        again.mine()
        assert again.get_receipt(new).status == 1 and again.get_receipt(old) is None
    finally:
        again.close()


def test_one_sender_cannot_fill_the_pool(chain) -> None:
    chain.set_automine(False)
    for nonce in range(txpool.MAX_PER_SENDER):
        chain.send_raw_transaction(raw(KEYS[1], nonce, value=0))
    before = len(chain.pending)
    with pytest.raises(TxRejected, match=f"at most {txpool.MAX_PER_SENDER} pending"):
        chain.send_raw_transaction(raw(KEYS[1], txpool.MAX_PER_SENDER, value=0))
    with pytest.raises(TxRejected, match="nonce too high"):
        chain.send_raw_transaction(raw(KEYS[2], txpool.MAX_PER_SENDER))  # too far ahead to queue
    assert len(chain.pending) == before
    chain.send_raw_transaction(raw(KEYS[0], 0))  # others are still served


def test_the_pool_is_bounded_in_all(chain, monkeypatch) -> None:
    monkeypatch.setattr(txpool, "MAX_POOL", 3)
    chain.set_automine(False)
    for nonce in range(3):
        chain.send_raw_transaction(raw(KEYS[0], nonce))
    with pytest.raises(TxRejected, match="pending pool is full"):
        chain.send_raw_transaction(raw(KEYS[1], 0))
    chain.mine()
    chain.send_raw_transaction(raw(KEYS[1], 0))  # room again after a block


def test_txpool_status_and_content_show_runnable_and_queued_transactions(chain) -> None:
    from node.rpc import RpcDispatcher

    rpc = RpcDispatcher(chain)
    chain.set_automine(False)
    chain.send_raw_transaction(raw(KEYS[0], 0))
    chain.send_raw_transaction(raw(KEYS[0], 2))  # behind a gap
    assert rpc.handle("txpool_status", []) == {"pending": "0x1", "queued": "0x1"}
    content = rpc.handle("txpool_content", [])
    assert list(content["pending"][ADDR[0]]) == ["0"] and list(content["queued"][ADDR[0]]) == ["2"]
    assert content["queued"][ADDR[0]]["2"]["nonce"] == "0x2"
