"""Channel peers on one in-process L1 and message bus: payments direct and mediated, in the protocol's words.

Every scenario ends by checking that honest users lost nothing: each one's
balances in its channels (and, after settlement, on L1) add up to what it
deposited plus what it was paid minus what it paid.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from channels import events as E
from channels.lab import ChannelLab
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address

ETH = 10**18
NAMES = ("alice", "bob", "carol", "dave", "erin", "mallory")
KEYS = {name: bytes([i + 61]) * 32 for i, name in enumerate(NAMES)}
DEPLOYER = bytes([99]) * 32


def new_lab(tmp_path: Path, names: tuple[str, ...] = NAMES) -> ChannelLab:
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), DEPLOYER]}
    l1 = in_process_l1(Chain(genesis_alloc=alloc))
    return ChannelLab(l1, {n: KEYS[n] for n in names}, DEPLOYER, tmp_path)


@pytest.fixture
def lab(tmp_path: Path) -> ChannelLab:
    return new_lab(tmp_path)


def received(lab: ChannelLab, name: str) -> list:
    return [e for e in lab[name].user_events if isinstance(e, E.EventPaymentReceived)]


def sent(lab: ChannelLab, name: str, kind: type = E.EventPaymentSentSuccess) -> list:
    return [e for e in lab[name].user_events if isinstance(e, kind)]


def test_direct_payments_both_ways(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH, 5 * ETH)
    for _ in range(3):
        lab["alice"].transfer_direct(lab.address("bob"), ETH)
    lab["bob"].transfer_direct(lab.address("alice"), 2 * ETH)
    lab.settle_down()
    assert lab.balance("alice", "bob") == 9 * ETH and lab.balance("bob", "alice") == 6 * ETH
    assert [e.amount for e in received(lab, "bob")] == [ETH] * 3
    assert not lab.bus.refused and not lab["alice"].state.queue and not lab["bob"].state.queue
