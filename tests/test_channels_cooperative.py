"""Peers end a channel cooperatively, and withdraw from it while it stays open, each co-signed by both.

A cooperative settlement costs one L1 transaction however many payments the
channel carried; a withdrawal is co-signed with an expiry, and a request that
arrives after it is refused; while either is under way no payment can spend
what it pays out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.lab import ChannelLab
from channels.transition import Refused
from contracts_spec.channels.contract import ChannelAdjudicator
from tests.test_channels_peer import ETH, new_lab


@pytest.fixture
def lab(tmp_path: Path) -> ChannelLab:
    return new_lab(tmp_path, ("alice", "bob", "carol"))


def transactions_since(lab: ChannelLab, block: int) -> int:
    """L1 transactions mined after block ``block``."""
    return sum(len(lab.l1.block(n)["transactions"]) for n in range(block + 1, lab.l1.block_number() + 1))


def kind(signed) -> str:
    return type(signed.message).__name__


@pytest.mark.parametrize("payments", [4, 60])
def test_open_many_payments_both_ways_then_one_transaction_settles_cooperatively(lab: ChannelLab,
                                                                                  payments: int) -> None:
    lab.open("alice", "bob", 10 * ETH, 5 * ETH)
    funded = lab.l1.block_number()
    for i in range(payments):
        if i % 3 == 2:
            lab["bob"].transfer_direct(lab.address("alice"), ETH // 10)
        else:
            lab["alice"].transfer_direct(lab.address("bob"), ETH // 10)
    lab.settle_down()
    owed_alice, owed_bob = lab.balance("alice", "bob"), lab.balance("bob", "alice")
    assert owed_alice + owed_bob == 15 * ETH
    before = (lab.l1.balance(lab.address("alice")), lab.l1.balance(lab.address("bob")))
    lab["alice"].cooperative_settle(lab.address("bob"))
    lab.settle_down()
    assert transactions_since(lab, funded) == 1  # however many payments: one L1 transaction to end it
    [e] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled")
    assert (e["participant1_amount"], e["participant2_amount"]) == (owed_alice, owed_bob)
    assert lab.l1.balance(lab.adjudicator) == 0
    assert lab.l1.balance(lab.address("bob")) == before[1] + owed_bob  # bob paid no gas for it
    assert lab.l1.balance(lab.address("alice")) < before[0] + owed_alice  # alice paid the gas
    for a, b in (("alice", "bob"), ("bob", "alice")):
        assert lab[a].channel(lab.address(b)).status == "settled"
    assert not lab.bus.refused


def test_no_payment_moves_while_a_cooperative_settlement_is_under_way(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    lab["alice"].transfer_direct(lab.address("bob"), ETH)
    lab.settle_down()
    lab.bus.drop_when(lambda s: kind(s) == "SettleConfirmation")
    lab["alice"].cooperative_settle(lab.address("bob"))
    lab.settle_down()
    for payer, payee in (("alice", "bob"), ("bob", "alice")):
        with pytest.raises(Refused, match="settling cooperatively"):
            lab[payer].transfer_direct(lab.address(payee), ETH)
    # Every copy of the confirmation is lost: the settlement expires and the channel is usable again.
    lab.wait(2 * lab.preset.reveal_timeout + 1)
    lab.bus.clear_filters()
    lab["bob"].transfer_direct(lab.address("alice"), ETH)
    lab.settle_down()
    assert lab.balance("alice", "bob") == 10 * ETH and not lab.l1.events(lab.adjudicator, ChannelAdjudicator,
                                                                         "ChannelSettled")


def test_a_cooperative_settlement_with_a_lock_pending_is_refused(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    lab.open("bob", "carol", 10 * ETH)
    lab.bus.drop_when(lambda s: kind(s) == "SecretRequest")
    lab.pay("alice", "carol", ETH)
    with pytest.raises(Refused, match="pending locks"):
        lab["alice"].cooperative_settle(lab.address("bob"))


def test_withdraw_while_the_channel_stays_open(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    lab["alice"].transfer_direct(lab.address("bob"), 3 * ETH)
    lab.settle_down()
    before = lab.l1.balance(lab.address("bob"))
    lab["bob"].withdraw(lab.address("alice"), 2 * ETH)
    lab.settle_down()
    [e] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelWithdraw")
    assert e["participant"].lower() == lab.address("bob").lower() and e["total_withdraw"] == 2 * ETH
    assert before < lab.l1.balance(lab.address("bob")) < before + 2 * ETH  # 2 ETH less bob's gas
    channel = lab["bob"].channel(lab.address("alice"))
    assert channel.our.withdrawn == 2 * ETH and not channel.our.pending_withdraws
    assert lab.balance("bob", "alice") == ETH and lab.balance("alice", "bob") == 7 * ETH
    with pytest.raises(Refused, match="withdraw beyond balance"):
        lab["bob"].withdraw(lab.address("alice"), 2 * ETH)  # only 1 ETH of the channel is bob's now
    with pytest.raises(Refused, match="insufficient capacity"):
        lab["bob"].transfer_direct(lab.address("alice"), 2 * ETH)
    # The channel still works, and settles by what is left.
    lab["bob"].transfer_direct(lab.address("alice"), ETH)
    lab.settle_down()
    lab["alice"].cooperative_settle(lab.address("bob"))
    lab.settle_down()
    [s] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled")
    assert {s["participant1_amount"], s["participant2_amount"]} == {8 * ETH, 0}
    assert lab.l1.balance(lab.adjudicator) == 0


def test_an_expired_withdraw_request_is_refused_and_the_amount_is_spendable_again(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    lab.bus.hold_when(lambda s: kind(s) == "WithdrawRequest")
    lab["alice"].withdraw(lab.address("bob"), 6 * ETH)
    with pytest.raises(Refused, match="insufficient capacity"):  # the pending withdrawal is spoken for
        lab["alice"].transfer_direct(lab.address("bob"), 5 * ETH)
    lab.wait(2 * lab.preset.reveal_timeout)
    lab.bus.clear_filters()
    lab.bus.release()
    lab.settle_down()
    assert lab.bus.refused  # the request and every copy resent while it was held back
    assert {(kind(signed), error.rule) for signed, error in lab.bus.refused} == {("WithdrawRequest", "withdraw expired")}
    assert not lab["alice"].state.queue  # void on L1: alice stopped resending it
    assert not lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelWithdraw")
    assert not lab["alice"].channel(lab.address("bob")).our.pending_withdraws
    lab["alice"].transfer_direct(lab.address("bob"), 5 * ETH)  # expired: the amount is alice's to spend again
    lab.settle_down()
    assert lab.balance("bob", "alice") == 5 * ETH


def test_withdraw_requests_that_break_a_rule_are_refused(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    block = lab["alice"].state.block_number
    bob = lab.address("bob")
    with pytest.raises(Refused, match="withdraw beyond balance"):
        lab["alice"].withdraw(bob, 11 * ETH)
    with pytest.raises(Refused, match="withdraw expiration too far"):
        lab["alice"].withdraw(bob, ETH, expiration=block + 1000)
    with pytest.raises(Refused, match="withdraw expired"):
        lab["alice"].withdraw(bob, ETH, expiration=block)
    with pytest.raises(Refused, match="withdraw not increasing"):
        lab["alice"].withdraw(bob, 0)
