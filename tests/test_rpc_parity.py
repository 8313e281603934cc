"""Dev-chain parity for web3.py users: a state root in every block that commits to the state."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_account import Account

from contracts_spec.examples import Counter, Reverter
from contracts_spec.runtime import Contract, deploy_data
from node.chain import Chain, StateCommitment
from node.rpc import RpcDispatcher
from primitives.keccak import keccak256
from primitives.smt import SparseMerkleTree, empty_root

KEY = b"\x21" * 32
ALICE = Account.from_key(KEY).address
BOB = Account.from_key(b"\x22" * 32).address
CAROL = Account.from_key(b"\x23" * 32).address
ETH = 10**18
T0 = 1_700_000_000


@pytest.fixture
def rpc() -> RpcDispatcher:
    chain = Chain(genesis_alloc={ALICE: 100 * ETH, BOB: 10 * ETH}, genesis_timestamp=T0)
    return RpcDispatcher(chain, {ALICE: KEY})


def call_data(cls: type[Contract], name: str, *args: object) -> str:
    spec = cls.method(name)
    return "0x" + (spec.selector + abi_encode(list(spec.types), list(args))).hex()


def send(rpc: RpcDispatcher, **tx: Any) -> dict:
    tx.setdefault("from", ALICE)
    return rpc.handle("eth_getTransactionReceipt", [rpc.handle("eth_sendTransaction", [tx])])


def deploy(rpc: RpcDispatcher, name: str, *args: object) -> str:
    receipt = send(rpc, data="0x" + deploy_data(name, *args).hex())
    assert receipt["status"] == "0x1"
    return receipt["contractAddress"]


# -- state roots ---------------------------------------------------------------------------------------------


def test_every_block_has_a_state_root_that_follows_the_state(rpc: RpcDispatcher) -> None:
    roots = [rpc.handle("eth_getBlockByNumber", ["latest", False])["stateRoot"]]
    send(rpc, to=BOB, value="0x1")
    counter = deploy(rpc, "Counter", 0)
    send(rpc, to=counter, data=call_data(Counter, "increment", 1))
    rpc.handle("evm_mine", [])  # an empty block: the coinbase got nothing, the state did not change
    for n in range(1, 5):
        roots.append(rpc.handle("eth_getBlockByNumber", [hex(n), False])["stateRoot"])
    assert "0x" + "00" * 32 not in roots
    assert len(set(roots[:4])) == 4 and roots[4] == roots[3]
    assert rpc.chain.state_root() == StateCommitment.of(rpc.chain.world).root  # incremental = from scratch


def test_equal_states_have_equal_roots_and_any_change_changes_it() -> None:
    one = Chain(genesis_alloc={ALICE: ETH, BOB: 2}, genesis_timestamp=T0)
    two = Chain(genesis_alloc={BOB: 2, ALICE: ETH}, genesis_timestamp=T0 + 99)
    assert one.head.state_root == two.head.state_root  # the genesis root is the allocation's alone
    one.set_balance(CAROL, 3)
    one.set_balance(ALICE, 4)
    two.set_balance(ALICE, 4)
    two.set_balance(CAROL, 3)
    assert one.state_root() == two.state_root()
    two.set_balance(CAROL, 4)
    assert one.state_root() != two.state_root()
    two.set_balance(CAROL, 3)
    assert one.state_root() == two.state_root()
    two.set_balance(CAROL, 0)  # an emptied account is no entry: as if it never existed
    assert two.state_root() == Chain(genesis_alloc={ALICE: 4, BOB: 2}).state_root()


def test_the_state_root_layout_is_as_documented() -> None:
    chain = Chain(genesis_alloc={ALICE: 5})
    entry_id = keccak256(b"\x00" + bytes.fromhex(ALICE[2:]))
    value = keccak256((5).to_bytes(32, "big") + bytes(32) + bytes(32))
    tree = SparseMerkleTree(16)
    tree.set(int.from_bytes(entry_id[:2], "big"), keccak256(entry_id + value))
    assert chain.state_root() == tree.root
    assert Chain().state_root() == empty_root(16)


def test_storage_and_code_are_in_the_root_and_it_survives_a_restart(tmp_path) -> None:
    chain = Chain(data_dir=tmp_path, genesis_alloc={ALICE: 100 * ETH})
    rpc = RpcDispatcher(chain, {ALICE: KEY})
    reverter = deploy(rpc, "Reverter")
    after_deploy = chain.state_root()
    send(rpc, to=reverter, data=call_data(Reverter, "set", 9))
    assert chain.state_root() != after_deploy
    root, head = chain.state_root(), chain.head.state_root
    assert root == head
    chain.close()
    with Chain(data_dir=tmp_path) as again:
        assert again.state_root() == root and again.head.state_root == head

