"""Channel peers on one in-process L1 and message bus: payments direct and mediated, in the protocol's words.

Every scenario ends by checking that honest users lost nothing: each one's
balances in its channels (and, after settlement, on L1) add up to what it
deposited plus what it was paid minus what it paid.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from channels import events as E
from channels.lab import ChannelLab
from channels.routing import routes
from channels.transition import Refused
from contracts_spec.channels.params import MINIMAL
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("alice", "bob", "carol", "dave", "erin", "mallory")
KEYS = {name: bytes([i + 61]) * 32 for i, name in enumerate(NAMES)}
DEPLOYER = bytes([99]) * 32


def new_lab(tmp_path: Path, names: tuple[str, ...] = NAMES, kind: str = "toy") -> ChannelLab:
    """Peers on a fresh L1 of ``kind``: the toy L1, or anvil with the contracts' Solidity twins."""
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), DEPLOYER]}
    return ChannelLab(new_l1(kind, alloc), {n: KEYS[n] for n in names}, DEPLOYER, tmp_path)


@pytest.fixture
def lab(tmp_path: Path, l1_kind: str) -> ChannelLab:
    return new_lab(tmp_path, kind=l1_kind)


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


def line(lab: ChannelLab, *names: str, deposit: int = 10 * ETH) -> None:
    """Channels along ``names``, each funded by its first participant (so payments flow that way)."""
    for a, b in zip(names, names[1:], strict=False):
        lab.open(a, b, deposit)


def test_a_payment_crosses_three_hops_and_every_hop_is_even(lab: ChannelLab) -> None:
    line(lab, "alice", "bob", "carol", "dave")
    lab.pay("alice", "dave", 3 * ETH)
    assert [e.amount for e in sent(lab, "alice")] == [3 * ETH]
    assert [e.amount for e in received(lab, "dave")] == [3 * ETH]
    # Every hop paid on exactly what it was paid: mediators end where they started.
    assert (lab.balance("alice", "bob"), lab.balance("bob", "alice")) == (7 * ETH, 3 * ETH)
    assert (lab.balance("bob", "carol"), lab.balance("carol", "bob")) == (7 * ETH, 3 * ETH)
    assert (lab.balance("carol", "dave"), lab.balance("dave", "carol")) == (7 * ETH, 3 * ETH)
    for a, b in (("alice", "bob"), ("bob", "carol"), ("carol", "dave")):
        assert lab.balance(a, b) + lab.balance(b, a) == 10 * ETH  # totals conserved in each channel
        assert not lab[a].channel(lab.address(b)).our.locks  # no lock left pending
    assert not lab.bus.refused


def test_per_hop_lock_expiries_shrink_by_the_reveal_timeout(lab: ChannelLab) -> None:
    line(lab, "alice", "bob", "carol", "dave")
    lab.bus.hold_when(lambda s: type(s.message).__name__ == "SecretRequest")
    lab["alice"].pay(lab.address("dave"), ETH)
    lab.settle_down()
    rt = lab.preset.reveal_timeout
    hops = [lab[a].channel(lab.address(b)).our.locks for a, b in (("alice", "bob"), ("bob", "carol"),
                                                                   ("carol", "dave"))]
    [first], [second], [third] = (list(h.values()) for h in hops)
    assert second.expiration == first.expiration - rt and third.expiration == second.expiration - rt
    assert second.expiration_time == first.expiration_time - rt * 12
    assert third.expiration > lab.l1.block_number() + rt  # the target still has more than a reveal timeout
    lab.bus.clear_filters()
    lab.bus.release()
    lab.settle_down()
    assert [e.amount for e in received(lab, "dave")] == [ETH]


def test_a_refused_route_is_retried_on_the_next_one(lab: ChannelLab) -> None:
    """The first route's mediator looks rich on L1 but has spent its channel: it refuses, alice takes the other."""
    for mid in ("bob", "carol"):
        lab.open("alice", mid, 10 * ETH)
        lab.open(mid, "dave", 10 * ETH)
    by_address = {lab.address(n): n for n in NAMES}
    found = routes(lab["alice"].state, lab.address("dave"), 2 * ETH)
    assert [len(r) for r in found] == [3, 3]
    spent, other = (by_address[r[1]] for r in found)
    lab[spent].transfer_direct(lab.address("dave"), 9 * ETH)
    lab.settle_down()
    lab.pay("alice", "dave", 2 * ETH)
    refunds = [m for m in lab.bus.delivered if type(m.message).__name__ == "RefundTransfer"]
    assert len(refunds) == 1 and refunds[0].message.sender == lab.address(spent)
    assert "only 1000000000000000000 can go to" in refunds[0].message.reason
    assert [e.amount for e in sent(lab, "alice")] == [2 * ETH]
    assert [e.amount for e in received(lab, "dave")] == [9 * ETH, 2 * ETH]
    assert lab.balance(other, "dave") == 8 * ETH and lab.balance("alice", other) == 8 * ETH
    # The refused lock waits to expire, then comes back to alice.
    assert lab["alice"].channel(lab.address(spent)).our.locks
    lab.wait(3 * lab.preset.reveal_timeout + 1)
    assert not lab["alice"].channel(lab.address(spent)).our.locks
    assert not lab[spent].channel(lab.address("alice")).partner.locks
    assert lab.balance("alice", spent) == 10 * ETH and lab.balance(spent, "alice") == 0
    assert lab.balance(spent, "dave") == ETH and lab.balance("dave", spent) == 9 * ETH
    assert not lab.bus.refused


def test_a_lock_the_target_never_claims_expires_and_the_initiator_gets_it_back(lab: ChannelLab) -> None:
    line(lab, "alice", "bob", "carol")
    lab.bus.drop_when(lambda s: type(s.message).__name__ == "SecretRequest")  # carol never asks for the secret
    lab.pay("alice", "carol", 4 * ETH)
    assert not sent(lab, "alice") and not received(lab, "carol")
    assert lab["alice"].channel(lab.address("bob")).distributable() == 6 * ETH
    lab.wait(3 * lab.preset.reveal_timeout + 1)
    [failed] = sent(lab, "alice", E.EventPaymentSentFailed)
    assert "expired" in failed.reason
    for a, b in (("alice", "bob"), ("bob", "carol")):
        assert lab.balance(a, b) == 10 * ETH and lab[a].channel(lab.address(b)).distributable() == 10 * ETH
        assert not lab[a].channel(lab.address(b)).our.locks and not lab[b].channel(lab.address(a)).partner.locks
    assert not lab.bus.refused
    assert not any(lab[n].state.queue for n in ("alice", "bob", "carol"))  # nothing left to resend


def test_blocks_mined_faster_than_real_time_expire_no_lock(lab: ChannelLab) -> None:
    """Time is not for sale: fifty blocks in a second leave the lock pending, and the payment completes."""
    line(lab, "alice", "bob", "carol")
    lab.bus.hold_when(lambda s: type(s.message).__name__ == "SecretRequest")
    lab["alice"].pay(lab.address("carol"), 2 * ETH)
    lab.settle_down()
    [lock] = lab["alice"].channel(lab.address("bob")).our.locks.values()
    lab.l1.mine(50)
    lab.settle_down()
    assert lab.l1.block_number() > lock.expiration
    assert lab["alice"].channel(lab.address("bob")).our.locks  # not expired: its seconds still run
    assert not [s for s in lab.bus.delivered if type(s.message).__name__ == "LockExpired"]
    lab.bus.clear_filters()
    lab.bus.release()
    lab.settle_down()
    assert [e.amount for e in received(lab, "carol")] == [2 * ETH]
    assert lab.balance("bob", "alice") == 2 * ETH and lab.balance("carol", "bob") == 2 * ETH


def test_pending_locks_per_channel_are_capped(tmp_path: Path, l1_kind: str) -> None:
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), DEPLOYER]}
    l1 = new_l1(l1_kind, alloc)
    preset = dataclasses.replace(MINIMAL, name="two locks", max_locks=2)
    lab = ChannelLab(l1, {n: KEYS[n] for n in ("alice", "bob")}, DEPLOYER, tmp_path, preset)
    lab.open("alice", "bob", 10 * ETH)
    lab.bus.drop_when(lambda s: type(s.message).__name__ == "SecretRequest")
    lab.pay("alice", "bob", ETH)
    lab.pay("alice", "bob", ETH)
    with pytest.raises(Refused, match="no route"):
        lab["alice"].pay(lab.address("bob"), ETH)
    assert len(lab["bob"].channel(lab.address("alice")).partner.locks) == 2
    lab.wait(2 * preset.reveal_timeout + 1)  # both expire; the channel takes locks again
    lab.pay("alice", "bob", ETH)
    assert len(lab["alice"].channel(lab.address("bob")).our.locks) == 1
    assert lab.balance("alice", "bob") == 10 * ETH


def test_a_payment_without_a_route_is_refused_and_changes_nothing(lab: ChannelLab) -> None:
    line(lab, "alice", "bob")
    before = len(lab["alice"].log)
    with pytest.raises(Refused, match="no route: no path of channels can carry"):
        lab["alice"].pay(lab.address("carol"), ETH)
    with pytest.raises(Refused, match="insufficient capacity"):
        lab["alice"].transfer_direct(lab.address("bob"), 11 * ETH)
    assert len(lab["alice"].log) == before and not lab["alice"].state.payments



def test_a_refusal_deep_in_the_route_travels_back_to_the_initiator(lab: ChannelLab) -> None:
    """The second mediator of the first route cannot carry the lock on: its refund goes back hop by hop."""
    line(lab, "alice", "bob", "carol", "dave")
    line(lab, "alice", "erin", "mallory", "dave")
    by_address = {lab.address(n): n for n in NAMES}
    first, second = routes(lab["alice"].state, lab.address("dave"), ETH)
    deep = by_address[first[2]]
    lab[deep].transfer_direct(lab.address("dave"), 10 * ETH)
    lab.settle_down()
    lab.pay("alice", "dave", ETH)
    refunds = [(by_address[m.message.sender], by_address[m.message.recipient])
               for m in lab.bus.delivered if type(m.message).__name__ == "RefundTransfer"]
    assert refunds == [(deep, by_address[first[1]]), (by_address[first[1]], "alice")]
    assert [e.amount for e in sent(lab, "alice")] == [ETH]
    for a, b in zip(second, second[1:], strict=False):
        assert lab[by_address[a]].balance(b) == 9 * ETH
    lab.wait(4 * lab.preset.reveal_timeout + 1)  # the refused locks expire back
    for a, b in zip(first[:2], first[1:3], strict=False):
        assert lab[by_address[a]].balance(b) == 10 * ETH and not lab[by_address[a]].channel(b).our.locks
    assert not lab.bus.refused


def test_a_direct_transfer_must_keep_the_pending_locks_its_last_proof_committed_to(lab: ChannelLab) -> None:
    """A direct transfer leaves the locks as they are, so its proof must carry the last proof's locksroot and
    locked amount: with a lock pending (and with none) one that drops, adds or reprices them is refused by name."""
    from channels import messages as M
    from contracts_spec.channels import rules as R

    lab.open("alice", "bob", 10 * ETH)
    alice, bob = lab["alice"], lab["bob"]
    lab.bus.hold_when(lambda s: type(s.message).__name__ == "SecretRequest")  # the lock stays pending
    alice.pay(bob.address, 2 * ETH)
    lab.settle_down()
    for pending in (True, False):
        channel = alice.channel(bob.address)
        last = channel.our.balance_proof
        assert bool(channel.our.locks) is pending and (last.locked_amount == 2 * ETH) is pending
        base = R.BalanceProof(last.channel_identifier, last.chain_id, last.adjudicator, last.nonce + 1,
                              last.transferred_amount + ETH, last.locked_amount, last.locksroot)
        message_id = alice.state.next_message_identifier + 1000
        for lie, rule in ((dict(locksroot=b"\x01" * 32), "locksroot mismatch"),
                          (dict(locked_amount=last.locked_amount + 1, locksroot=last.locksroot),
                           "locked amount mismatch")):
            proof = dataclasses.replace(base, **lie)
            message = M.DirectTransfer(alice.address, bob.address, message_id, message_id, ETH, proof)
            before = len(bob.log)
            with pytest.raises(Refused) as refusal:
                bob.receive(M.sign_message(message, KEYS["alice"], alice.state.chain_id, alice.adjudicator))
            assert refusal.value.rule == rule and len(bob.log) == before
            assert bob.channel(alice.address).partner.balance_proof == last
        alice.transfer_direct(bob.address, ETH)  # the honest one goes through
        lab.settle_down()
        assert bob.channel(alice.address).partner.balance_proof.locked_amount == last.locked_amount
        if pending:
            lab.bus.clear_filters()
            lab.bus.release()
            lab.settle_down()
    assert lab.balance("bob", "alice") == 4 * ETH and not lab.bus.refused
