"""At settlement a peer forgets the channel's history, so its state grows with its partners, not its payments."""

from __future__ import annotations

from pathlib import Path

import pytest

from channels import codec
from channels.lab import ChannelLab
from tests.test_channels_peer import ETH, new_lab


def busy_then_settled(tmp_path: Path, payments: int) -> ChannelLab:
    """Alice pays carol through bob, and alice and bob pay each other directly; then both channels settle,
    alice-bob cooperatively, bob-carol by a close and the window."""
    tmp_path.mkdir(exist_ok=True)
    lab = new_lab(tmp_path, ("alice", "bob", "carol"))
    lab.open("alice", "bob", 100 * ETH, 10 * ETH)
    lab.open("bob", "carol", 100 * ETH)
    for i in range(payments):
        lab["alice"].pay(lab.address("carol"), ETH // 10)
        if i % 2:
            lab["bob"].transfer_direct(lab.address("alice"), ETH // 100)
        lab.settle_down()
    lab["alice"].cooperative_settle(lab.address("bob"))
    lab["bob"].close(lab.address("carol"))
    lab.settle_down()
    lab.wait(lab.preset.default_settle_timeout + 2)
    return lab


@pytest.mark.parametrize("payments", [4, 24])
def test_a_settled_channel_keeps_no_history(tmp_path: Path, payments: int) -> None:
    lab = busy_then_settled(tmp_path, payments)
    for name in ("alice", "bob", "carol"):
        state = lab[name].state
        assert all(c.status == "settled" for c in state.channels.values())
        for channel in state.channels.values():
            assert not channel.our.history and not channel.partner.history
            assert not channel.our.locks and not channel.partner.locks
        assert not state.processed and not state.queue
        assert not state.mediations and not state.receptions and not state.secrets and not state.reveals
    assert lab.l1.balance(lab.adjudicator) == 0


def test_a_mediators_state_after_settlement_does_not_grow_with_the_payments(tmp_path: Path) -> None:
    few, many = (len(codec.dumps(busy_then_settled(tmp_path / str(n), n)["bob"].state)) for n in (4, 24))
    assert many <= few + 64  # only counters gain digits


def test_the_pruned_state_is_what_a_replay_of_the_log_gives(tmp_path: Path) -> None:
    lab = busy_then_settled(tmp_path, 6)
    before = codec.dumps(lab["bob"].state)
    lab.kill("bob")
    assert codec.dumps(lab.restart("bob").state) == before
