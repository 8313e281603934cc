"""State at recent blocks: balances, nonces, code, storage and calls at any of the last 128 blocks answer
what they were then; older blocks are refused by name; history is bounded, follows reverts and restarts."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_spec.examples import Counter
from contracts_spec.runtime import deploy_data, slot_of
from node.chain import HISTORY_BLOCKS, Chain, StateCommitment, StateNotKept
from node.rpc import RpcDispatcher, RpcError

KEY = b"\x31" * 32
ALICE = Account.from_key(KEY).address
BOB = Account.from_key(b"\x32" * 32).address
ETH = 10**18
INCREMENT = Counter.method("increment")
COUNT = "0x" + Counter.method("count").selector.hex()


def rpc_for(chain: Chain) -> RpcDispatcher:
    return RpcDispatcher(chain, {ALICE: KEY})


def send(rpc: RpcDispatcher, **tx: Any) -> dict:
    tx.setdefault("from", ALICE)
    return rpc.handle("eth_getTransactionReceipt", [rpc.handle("eth_sendTransaction", [tx])])


def increment(rpc: RpcDispatcher, counter: str, by: int) -> None:
    data = "0x" + (INCREMENT.selector + abi_encode(["uint256"], [by])).hex()
    assert send(rpc, to=counter, data=data)["status"] == "0x1"


def snapshot_of(rpc: RpcDispatcher, counter: str | None) -> dict[str, Any]:
    """What a web3 user reads about ALICE, BOB and the counter at the latest block."""
    h = rpc.handle
    out = {
        "alice": h("eth_getBalance", [ALICE]), "bob": h("eth_getBalance", [BOB]),
        "nonce": h("eth_getTransactionCount", [ALICE]),
    }
    if counter is not None:
        out.update(code=h("eth_getCode", [counter]), slot=h("eth_getStorageAt", [counter, hex(slot_of("count"))]))
    return out


def reads_at(rpc: RpcDispatcher, counter: str, block: Any) -> dict[str, Any]:
    h = rpc.handle
    out = {
        "alice": h("eth_getBalance", [ALICE, block]), "bob": h("eth_getBalance", [BOB, block]),
        "nonce": h("eth_getTransactionCount", [ALICE, block]),
        "code": h("eth_getCode", [counter, block]),
        "slot": h("eth_getStorageAt", [counter, hex(slot_of("count")), block]),
    }
    return out


def test_every_read_at_a_recent_block_answers_what_it_was_then() -> None:
    rpc = rpc_for(Chain(genesis_alloc={ALICE: 100 * ETH}))
    receipt = send(rpc, data="0x" + deploy_data(Counter, 7).hex())
    counter = receipt["contractAddress"]
    seen = {0: None}  # block number -> what was read while it was the head
    seen[1] = snapshot_of(rpc, counter)
    for by in (1, 2, 3):
        increment(rpc, counter, by)
        send(rpc, to=BOB, value=hex(by))
        seen[rpc.chain.block_number] = snapshot_of(rpc, counter)
    for number, expected in seen.items():
        if expected is None:  # before the deployment: no code, an empty slot, the genesis balance
            got = reads_at(rpc, counter, hex(number))
            assert got == {
                "alice": hex(100 * ETH), "bob": "0x0", "nonce": "0x0", "code": "0x", "slot": "0x" + "00" * 32,
            }
            continue
        assert reads_at(rpc, counter, hex(number)) == expected
        block_hash = rpc.handle("eth_getBlockByNumber", [hex(number), False])["hash"]
        assert reads_at(rpc, counter, {"blockHash": block_hash}) == expected  # EIP-1898
    assert reads_at(rpc, counter, "earliest")["code"] == "0x"
    # a block between two recorded ones: the increment's block, before the transfer
    assert rpc.handle("eth_getStorageAt", [counter, hex(slot_of("count")), "0x2"]) == "0x" + f"{8:064x}"


def test_calls_and_estimates_at_an_older_block_run_on_its_state() -> None:
    rpc = rpc_for(Chain(genesis_alloc={ALICE: 100 * ETH}))
    counter = send(rpc, data="0x" + deploy_data(Counter, 7).hex())["contractAddress"]
    increment(rpc, counter, 5)
    increment(rpc, counter, 5)
    before = (rpc.chain.state_root(), snapshot_of(rpc, counter))
    assert int(rpc.handle("eth_call", [{"to": counter, "data": COUNT}, "0x1"]), 16) == 7
    assert int(rpc.handle("eth_call", [{"to": counter, "data": COUNT}, "0x2"]), 16) == 12
    assert int(rpc.handle("eth_call", [{"to": counter, "data": COUNT}]), 16) == 17
    data = "0x" + (INCREMENT.selector + abi_encode(["uint256"], [1])).hex()
    assert int(rpc.handle("eth_estimateGas", [{"from": ALICE, "to": counter, "data": data}, "0x1"]), 16) > 21_000
    refused_before_deploy = rpc.handle("eth_call", [{"to": counter, "data": COUNT}, "0x0"])
    assert refused_before_deploy == "0x"  # no contract there yet: an account answers nothing
    assert (rpc.chain.state_root(), snapshot_of(rpc, counter)) == before  # the rewind left no trace
    increment(rpc, counter, 1)  # and mining goes on from the real state
    assert rpc.chain.state_root() == StateCommitment.of(rpc.chain.world).root


def test_a_dev_balance_change_between_blocks_belongs_to_the_head_it_was_made_at() -> None:
    """A block's state is the last one it had as the head: anvil_setBalance edits the head's state."""
    rpc = rpc_for(Chain(genesis_alloc={ALICE: 100 * ETH}))
    send(rpc, to=BOB, value="0x1")  # block 1
    rpc.handle("anvil_setBalance", [BOB, "0x64"])
    rpc.handle("evm_mine", [])  # block 2
    rpc.handle("anvil_setBalance", [BOB, "0x65"])
    assert [rpc.handle("eth_getBalance", [BOB, hex(n)]) for n in range(3)] == ["0x0", "0x64", "0x65"]
    assert rpc.handle("eth_getBalance", [BOB, "latest"]) == "0x65"
    rpc.handle("evm_mine", [])
    assert rpc.handle("eth_getBalance", [BOB, "0x2"]) == "0x65"


def test_blocks_older_than_the_window_and_future_ones_are_refused_by_name() -> None:
    rpc = rpc_for(Chain(genesis_alloc={ALICE: 100 * ETH}))
    send(rpc, to=BOB, value="0x1")
    rpc.handle("anvil_mine", [hex(HISTORY_BLOCKS)])
    head = rpc.chain.block_number
    assert rpc.handle("eth_getBalance", [BOB, hex(head - HISTORY_BLOCKS)]) == "0x1"
    for block in (hex(head - HISTORY_BLOCKS - 1), "earliest"):
        with pytest.raises(RpcError) as info:
            rpc.handle("eth_getBalance", [BOB, block])
        assert info.value.code == -32000
        assert f"not kept: this node keeps the state of the latest block and of up to {HISTORY_BLOCKS} before it" \
            in info.value.message
        assert f"now blocks {head - HISTORY_BLOCKS}..{head}" in info.value.message
    with pytest.raises(RpcError, match=f"state at block {head + 1} is not kept: the latest block is {head}"):
        rpc.handle("eth_call", [{"to": BOB}, hex(head + 1)])
    with pytest.raises(StateNotKept):
        rpc.chain.get_storage_at(BOB, 0, block=0)


def test_history_stays_bounded_in_memory_and_on_disk(tmp_path) -> None:
    chain = Chain(data_dir=tmp_path, genesis_alloc={ALICE: 100 * ETH})
    rpc = rpc_for(chain)
    for _ in range(3 * HISTORY_BLOCKS):
        send(rpc, to=BOB, value="0x1")
    head = chain.block_number
    assert chain.oldest_state_block == head - HISTORY_BLOCKS
    assert len(chain._undo) == HISTORY_BLOCKS
    on_disk = chain.store.undo_records()
    assert HISTORY_BLOCKS <= len(on_disk) < HISTORY_BLOCKS + 32 and max(on_disk) == head  # pruned in steps
    chain.close()


def test_blocks_full_of_changes_narrow_the_window_instead_of_growing_memory(monkeypatch) -> None:
    monkeypatch.setattr("node.chain.MAX_UNDO_ENTRIES", 10)  # a transfer block records 4 changes
    rpc = rpc_for(Chain(genesis_alloc={ALICE: 100 * ETH}))
    for value in range(1, 8):
        send(rpc, to=BOB, value=hex(value))
    head = rpc.chain.block_number
    assert rpc.chain.oldest_state_block == head - 2
    assert rpc.handle("eth_getBalance", [BOB, hex(head - 2)]) == hex(sum(range(1, 6)))
    with pytest.raises(RpcError, match=f"now blocks {head - 2}..{head}"):
        rpc.handle("eth_getBalance", [BOB, hex(head - 3)])


def test_history_survives_a_restart(tmp_path) -> None:
    chain = Chain(data_dir=tmp_path, genesis_alloc={ALICE: 100 * ETH})
    rpc = rpc_for(chain)
    counter = send(rpc, data="0x" + deploy_data(Counter, 1).hex())["contractAddress"]
    expected = {}
    for by in (2, 3, 4):
        increment(rpc, counter, by)
        expected[chain.block_number] = snapshot_of(rpc, counter)
    rpc.handle("anvil_setBalance", [BOB, "0x9"])
    chain.close()
    with Chain(data_dir=tmp_path) as again:
        rpc = rpc_for(again)
        for number, values in expected.items():
            if number < again.block_number:
                assert reads_at(rpc, counter, hex(number)) == values
        assert rpc.handle("eth_getBalance", [BOB, hex(again.block_number - 1)]) == "0x0"
        assert rpc.handle("eth_getBalance", [BOB]) == "0x9"
        assert again.oldest_state_block == 0


def test_a_data_dir_without_history_answers_for_its_head_only(tmp_path) -> None:
    """What a chain written before history was kept looks like: no records, no genesis state root."""
    chain = Chain(data_dir=tmp_path, genesis_alloc={ALICE: 100 * ETH})
    send(rpc_for(chain), to=BOB, value="0x1")
    chain.close()
    db = sqlite3.connect(tmp_path / "chain.sqlite3")
    db.execute("DELETE FROM state_undo")
    db.execute("DELETE FROM genesis")
    db.execute("UPDATE blocks SET data = json_remove(data, '$.state_root')")
    db.commit()
    db.close()
    with Chain(data_dir=tmp_path) as old:
        rpc = rpc_for(old)
        assert old.oldest_state_block == 1 and rpc.handle("eth_getBalance", [BOB, "0x1"]) == "0x1"
        with pytest.raises(RpcError, match="state at block 0 is not kept"):
            rpc.handle("eth_getBalance", [BOB, "0x0"])
        assert rpc.handle("eth_getBlockByNumber", ["0x1", False])["stateRoot"] == "0x" + "00" * 32
        with pytest.raises(RpcError, match="--fresh"):
            rpc.handle("anvil_reset", [])
        assert old.block_number == 1
        send(rpc, to=BOB, value="0x1")  # new blocks get roots and history again
        assert rpc.handle("eth_getBalance", [BOB, "0x1"]) == "0x1"
        assert rpc.handle("eth_getBlockByNumber", ["latest", False])["stateRoot"] != "0x" + "00" * 32


def test_history_follows_a_revert() -> None:
    rpc = rpc_for(Chain(genesis_alloc={ALICE: 100 * ETH}))
    send(rpc, to=BOB, value="0x1")  # block 1
    snap = rpc.handle("evm_snapshot", [])
    send(rpc, to=BOB, value="0x10")  # block 2, to be undone
    rpc.handle("evm_revert", [snap])
    send(rpc, to=BOB, value="0x100")  # a different block 2
    send(rpc, to=BOB, value="0x1000")  # block 3
    assert [rpc.handle("eth_getBalance", [BOB, hex(n)]) for n in range(4)] == ["0x0", "0x1", "0x101", "0x1101"]


# A random walk of transfers, dev balance changes, increments, empty blocks and snapshot/revert:
# every recent block's state read back equals what it was, and the incremental root equals one
# computed from scratch.
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("send"), st.integers(1, 1000)),
        st.tuples(st.just("set"), st.integers(0, 1000)),
        st.tuples(st.just("bump"), st.integers(1, 9)),
        st.tuples(st.just("mine"), st.just(0)),
        st.tuples(st.just("snapshot"), st.just(0)),
        st.tuples(st.just("revert"), st.just(0)),
    ),
    max_size=25,
)


@settings(max_examples=25)
@given(STEPS)
def test_random_histories_read_back_and_roots_match(steps: list[tuple[str, int]]) -> None:
    rpc = rpc_for(Chain(genesis_alloc={ALICE: 100 * ETH}))
    counter = send(rpc, data="0x" + deploy_data(Counter, 0).hex())["contractAddress"]
    seen = {rpc.chain.block_number: snapshot_of(rpc, counter)}
    snaps: list[tuple[str, dict]] = []
    for kind, n in steps:
        if kind == "send":
            send(rpc, to=BOB, value=hex(n))
        elif kind == "set":
            rpc.handle("anvil_setBalance", [BOB, hex(n)])
        elif kind == "bump":
            increment(rpc, counter, n)
        elif kind == "mine":
            rpc.handle("evm_mine", [])
        elif kind == "snapshot":
            snaps.append((rpc.handle("evm_snapshot", []), dict(seen)))
        elif snaps:
            sid, seen = snaps.pop()
            assert rpc.handle("evm_revert", [sid]) is True
        seen = {b: v for b, v in seen.items() if b < rpc.chain.block_number}
        seen[rpc.chain.block_number] = snapshot_of(rpc, counter)
        assert rpc.chain.state_root() == StateCommitment.of(rpc.chain.world).root
    for number, values in seen.items():
        assert reads_at(rpc, counter, hex(number)) == values
