"""The Plasma operator (child chain): admission by the rules, blocks on L1, its log across a crash, and L1's exits."""

from __future__ import annotations

import pytest

from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import MINIMAL
from plasma.operator import Operator, PlasmaRefused, decode_block, encode_block, tx_id
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("alice", "bob", "carol", "operator")
KEYS = {name: bytes([i + 91]) * 32 for i, name in enumerate(NAMES)}
ADDR = {name: private_key_to_address(k) for name, k in KEYS.items()}


class Net:
    def __init__(self, log_path=None, kind: str = "toy") -> None:
        """The root chain and its operator on a fresh L1 of ``kind`` (toy or evm)."""
        self.l1 = new_l1(kind, {a: 1000 * ETH for a in ADDR.values()})
        self.address = self.l1.deploy(KEYS["operator"], RootChain, *MINIMAL.constructor_args(ADDR["operator"]))
        self.domain = R.Domain(self.l1.chain_id, self.address)
        self.log_path = log_path
        self.operator = Operator(self.l1, self.address, KEYS["operator"], log_path=log_path)

    def deposit(self, name: str, amount: int) -> int:
        blknum = self.l1.call(self.address, RootChain, "next_deposit_block")
        self.l1.transact(KEYS[name], self.address, RootChain, "deposit", value=amount)
        return R.encode_utxo_pos(blknum, 0, 0)

    def spend(self, signer: str, inputs: list[int], outputs: list[tuple[str, int]]) -> R.SignedTransaction:
        tx = R.Transaction.spend(inputs, [(ADDR[n], a) for n, a in outputs])
        return R.sign_transaction(tx, [KEYS[signer]] * len(inputs), self.domain)

    def root(self, blknum: int) -> bytes:
        return self.l1.call(self.address, RootChain, "child_block", blknum)[0]


@pytest.fixture
def net(l1_kind: str) -> Net:
    return Net(kind=l1_kind)


def test_a_valid_spend_is_admitted_blocked_and_its_root_lands_on_l1(net: Net) -> None:
    coin = net.deposit("alice", 3 * ETH)
    pay = net.spend("alice", [coin], [("bob", 2 * ETH), ("alice", ETH)])
    assert net.operator.submit(pay) == tx_id(pay)
    assert net.operator.submit(pay.encode()) == tx_id(pay)  # the same transaction again: one admission
    block = net.operator.make_block()
    assert block is not None and block.blknum == 1000 and block.txs == [pay]
    assert net.root(1000) == block.root
    assert net.operator.view.utxos[R.encode_utxo_pos(1000, 0, 0)] == R.Output(ADDR["bob"], 2 * ETH)
    assert coin not in net.operator.view.utxos
    assert decode_block(encode_block(net.operator.served_block(1000))) == [pay]
    assert net.operator.make_block() is None  # nothing pending: no empty block on L1


def test_refusals_name_their_rule_and_admit_nothing(net: Net) -> None:
    coin = net.deposit("alice", 3 * ETH)
    cases = [
        (net.spend("bob", [coin], [("bob", 3 * ETH)]), "bad signature"),
        (net.spend("alice", [coin], [("bob", 4 * ETH)]), "outputs exceed inputs"),
        (net.spend("alice", [R.encode_utxo_pos(7, 0, 0)], [("bob", 1)]), "unknown input"),
    ]
    for tx, rule in cases:
        with pytest.raises(PlasmaRefused, match=rule):
            net.operator.submit(tx)
    for junk in (b"", b"\x01" * 5, b"\x00" * R.SIGNED_TX_BYTES):
        with pytest.raises(PlasmaRefused):
            net.operator.submit(junk)
    assert net.operator.pending == [] and net.operator.log.pending() == []


def test_a_double_spend_within_the_pending_block_and_a_spend_of_an_unconfirmed_output_are_refused(net: Net) -> None:
    coin = net.deposit("alice", 3 * ETH)
    first = net.spend("alice", [coin], [("bob", 3 * ETH)])
    second = net.spend("alice", [coin], [("carol", 3 * ETH)])
    out = net.operator.submit_many([first, second])
    assert out[0] == tx_id(first) and isinstance(out[1], PlasmaRefused) and out[1].rule == "double spend"
    # An output created in the pending block is not spendable yet: its creator cannot be confirmed before
    # the block has a root. Once the block is on L1 and Alice confirms, Bob spends it.
    onward = net.spend("bob", [R.encode_utxo_pos(1000, 0, 0)], [("carol", 3 * ETH)])
    with pytest.raises(PlasmaRefused, match="unconfirmed input"):
        net.operator.submit(onward)
    block = net.operator.make_block()
    assert block is not None and block.txs == [first]
    with pytest.raises(PlasmaRefused, match="unconfirmed input: input 0 .* its spender has not confirmed"):
        net.operator.submit(onward)
    net.operator.post_confirmation(tx_id(first), R.confirmations(first, block.root, [KEYS["alice"]]))
    assert net.operator.submit(onward) == tx_id(onward)
    assert net.operator.make_block().txs == [onward]
    assert set(net.operator.view.utxos) == {R.encode_utxo_pos(2000, 0, 0)}


def test_an_output_exiting_on_l1_cannot_be_spent_on_the_child_chain(net: Net) -> None:
    coin = net.deposit("alice", ETH)
    pending = net.spend("alice", [coin], [("bob", ETH)])
    net.operator.submit(pending)
    net.l1.transact(KEYS["alice"], net.address, RootChain, "start_deposit_exit", coin, ETH, value=MINIMAL.exit_bond)
    net.operator.sync()
    assert net.operator.pending == [] and net.operator.refused[-1][0] == tx_id(pending)
    assert "exited input" in net.operator.refused[-1][1]
    with pytest.raises(PlasmaRefused, match="exited input"):
        net.operator.submit(pending)


def test_nothing_acknowledged_is_lost_across_a_crash(tmp_path, l1_kind: str) -> None:
    net = Net(tmp_path / "plasma.sqlite", l1_kind)
    a, b = net.deposit("alice", ETH), net.deposit("bob", ETH)
    first = net.spend("alice", [a], [("carol", ETH)])
    net.operator.submit(first)
    block = net.operator.make_block()
    assert block is not None
    second = net.spend("bob", [b], [("carol", ETH)])
    net.operator.submit(second)
    net.operator.log.close()  # the process dies here: no shutdown, no flush beyond the log's own commits
    again = Operator(net.l1, net.address, KEYS["operator"], log_path=tmp_path / "plasma.sqlite")
    assert again.recovered == 1 and again.pending == [second]
    assert again.served_block(1000) == [first]
    assert again.make_block().blknum == 2000 and net.root(2000) != bytes(32)


def test_a_block_built_but_never_sent_is_sent_after_a_crash(tmp_path, l1_kind: str) -> None:
    net = Net(tmp_path / "plasma.sqlite", l1_kind)
    coin = net.deposit("alice", ETH)
    pay = net.spend("alice", [coin], [("bob", ETH)])
    net.operator.submit(pay)
    # The crash falls between logging the block and sending its root.
    block = net.operator._build(net.operator.pending)
    net.operator.log.block(block)
    net.operator.log.close()
    assert net.root(1000) == bytes(32)
    again = Operator(net.l1, net.address, KEYS["operator"], log_path=tmp_path / "plasma.sqlite")
    assert net.root(1000) == block.root and again.pending == []
    assert R.encode_utxo_pos(1000, 0, 0) in again.view.utxos


def test_a_withheld_block_is_not_served_and_an_unchecked_one_lands(net: Net) -> None:
    mint = R.SignedTransaction.unsigned_deposit(ADDR["operator"], 100 * ETH)
    with pytest.raises(R.PlasmaRuleError):
        net.operator.submit_block([mint])
    block = net.operator.submit_block([mint], check=False, withhold=True)
    assert net.root(block.blknum) == block.root and net.operator.served_block(block.blknum) is None


def test_a_block_an_l1_reorganisation_dropped_is_submitted_again(net: Net) -> None:
    coin = net.deposit("alice", ETH)
    snapshot = net.l1.rpc("evm_snapshot")
    pay = net.spend("alice", [coin], [("bob", ETH)])
    net.operator.submit(pay)
    block = net.operator.make_block()
    assert block is not None and net.root(1000) == block.root
    assert net.l1.rpc("evm_revert", snapshot) is True  # the block's root is gone from L1
    net.l1.mine(2)  # the new branch grows past the old head
    net.operator.sync()
    assert net.operator.reorganisations == 1 and net.root(1000) == block.root


def test_a_block_spending_a_deposit_the_reorganisation_dropped_goes_back_to_pending(net: Net) -> None:
    snapshot = net.l1.rpc("evm_snapshot")
    coin = net.deposit("alice", ETH)
    pay = net.spend("alice", [coin], [("bob", ETH)])
    net.operator.submit(pay)
    assert net.operator.make_block() is not None
    assert net.l1.rpc("evm_revert", snapshot) is True  # the deposit and the block are gone
    net.l1.mine(3)
    net.operator.sync()
    assert net.root(1000) == bytes(32) and net.operator.blocks == {}
    assert net.operator.pending == [] and "unknown input" in net.operator.refused[-1][1]
