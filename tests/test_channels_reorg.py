"""Channel peers follow L1 reorganisations (``evm_revert`` here, as anvil and this L1 offer it).

A peer that went on from the last block it saw would never read the events
L1 puts in the blocks it re-mines below that number: a close made there
would go unanswered and its window would pass. A peer notices that L1 no
longer has the block it last handed in, rebuilds its state on the chain as
it is now (``Peer.follow_reorganisation``), sends again what L1 forgot, and
answers what L1 now holds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from channels import codec
from channels.lab import ChannelLab
from contracts_spec.channels import rules as R
from contracts_spec.channels.contract import ChannelAdjudicator
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address

ETH = 10**18
KEYS = {"alice": bytes([91]) * 32, "bob": bytes([92]) * 32}
DEPLOYER = bytes([96]) * 32


@pytest.fixture
def lab(tmp_path: Path) -> ChannelLab:
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), DEPLOYER]}
    lab = ChannelLab(in_process_l1(Chain(genesis_alloc=alloc)), KEYS, DEPLOYER, tmp_path)
    lab.open("alice", "bob", 10 * ETH, 5 * ETH)
    lab["alice"].transfer_direct(lab.address("bob"), 3 * ETH)
    lab.settle_down()
    return lab


def paid(lab: ChannelLab, name: str) -> int:
    return sum(e["participant1_amount"] if int(e["participant1"], 16) == int(lab.address(name), 16)
               else e["participant2_amount"] if int(e["participant2"], 16) == int(lab.address(name), 16) else 0
               for e in lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled"))


def test_a_close_in_a_block_remined_below_what_the_peer_saw_is_answered(lab: ChannelLab) -> None:
    bob = lab["bob"]
    snapshot = lab.l1.rpc("evm_snapshot")
    lab.wait(6)  # bob's peer has seen six more blocks...
    seen = bob.state.block_number
    assert lab.l1.rpc("evm_revert", snapshot) is True  # ...which L1 takes back
    lab.online("alice", False)
    cid = bob.channel(lab.address("alice")).identifier
    empty = R.BalanceProof.empty(cid, lab.l1.chain_id, lab.adjudicator)
    lab.l1.transact(KEYS["alice"], lab.adjudicator, ChannelAdjudicator, "close_channel", cid, lab.address("alice"),
                    lab.address("bob"), 0, 0, 0, R.EMPTY_LOCKSROOT, b"",
                    R.sign(R.close_digest(empty, b""), KEYS["alice"]))  # leaves out her 3 ETH to bob
    assert lab.l1.block_number() < seen
    lab.wait(2)
    updates = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
    assert [u["nonce"] for u in updates] == [1]  # bob answered with alice's latest proof
    assert bob.reorganisations and bob.reorganisations[0] < seen
    lab.online("alice", True)
    lab.wait(lab.preset.default_settle_timeout + 2)
    assert (paid(lab, "alice"), paid(lab, "bob")) == (7 * ETH, 8 * ETH)  # bob lost nothing
    assert lab.l1.balance(lab.adjudicator) == 0


def test_a_deposit_the_reorganisation_dropped_is_sent_again(lab: ChannelLab) -> None:
    bob = lab["bob"]
    cid = bob.channel(lab.address("alice")).identifier
    snapshot = lab.l1.rpc("evm_snapshot")
    bob.deposit(lab.address("alice"), 2 * ETH)
    lab.wait(3)
    assert bob.channel(lab.address("alice")).our.deposit == 7 * ETH
    assert lab.l1.rpc("evm_revert", snapshot) is True  # the deposit is gone from L1
    assert lab.l1.call(lab.adjudicator, ChannelAdjudicator, "participant_info", cid, lab.address("bob"))[0] == 5 * ETH
    lab.wait(1)
    on_l1 = lab.l1.call(lab.adjudicator, ChannelAdjudicator, "participant_info", cid, lab.address("bob"))[0]
    assert on_l1 == bob.channel(lab.address("alice")).our.deposit == 7 * ETH  # sent again, and seen again
    assert bob.reorganisations
    lab["alice"].transfer_direct(lab.address("bob"), ETH)
    bob.transfer_direct(lab.address("alice"), 6 * ETH)  # spends the deposit that came back
    lab.settle_down()
    assert lab.balance("bob", "alice") == 5 * ETH + 2 * ETH + 4 * ETH - 6 * ETH


def test_the_rebuilt_log_replays_into_the_rebuilt_state(lab: ChannelLab) -> None:
    snapshot = lab.l1.rpc("evm_snapshot")
    lab.wait(4)
    lab.l1.rpc("evm_revert", snapshot)
    lab.wait(2)
    bob = lab["bob"]
    assert bob.reorganisations
    bob.sync()
    state = codec.dumps(bob.state)
    lab.kill("bob")
    assert codec.dumps(lab.restart("bob").state) == state
    assert lab.balance("bob", "alice") == 8 * ETH


def test_a_watchtower_answers_a_stale_close_re_mined_below_what_it_saw(tmp_path: Path) -> None:
    from contracts_spec.channels.monitoring import MonitoringService

    tower_key = bytes([95]) * 32
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), DEPLOYER, tower_key]}
    lab = ChannelLab(in_process_l1(Chain(genesis_alloc=alloc)), KEYS, DEPLOYER, tmp_path)
    lab.open("alice", "bob", 10 * ETH)
    tower = lab.add_watchtower("tower", tower_key)
    lab.hire("bob", "tower", ETH // 100)
    for amount in (ETH, 3 * ETH):
        lab["alice"].transfer_direct(lab.address("bob"), amount)
    lab.settle_down()
    lab.online("bob", False)
    snapshot = lab.l1.rpc("evm_snapshot")
    lab.wait(6)
    seen = tower.block_number
    assert lab.l1.rpc("evm_revert", snapshot) is True
    lab["alice"].close(lab.address("bob"))  # leaves out her 4 ETH to bob, in a block below what the tower saw
    assert lab.l1.block_number() < seen
    lab.wait(lab.preset.default_settle_timeout + 2)
    updates = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
    assert [u["nonce"] for u in updates] == [2] and tower.stats.updates_landed
    assert (paid(lab, "alice"), paid(lab, "bob")) == (6 * ETH, 4 * ETH)  # bob, offline, lost nothing
    assert tower.reorganisations == 1
    assert lab.l1.call(lab.monitoring_service, MonitoringService, "balance_of", lab.address("bob")) == 0
