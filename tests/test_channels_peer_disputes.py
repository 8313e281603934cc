"""Channel peers when someone misbehaves: on-chain claims, stale closes, crashes, forged and replayed messages.

Honest users lose nothing in each: the balances asserted are what the
settlement rules owe them, read from the adjudicator's own events.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from channels import codec
from channels import events as E
from channels import messages as M
from channels.lab import ChannelLab
from channels.transition import Refused
from contracts_spec.channels import rules as R
from contracts_spec.channels.contract import ChannelAdjudicator, SecretRegistry
from tests.test_channels_peer import ETH, KEYS, NAMES, new_lab, received, sent


@pytest.fixture
def lab(tmp_path: Path) -> ChannelLab:
    return new_lab(tmp_path)


def kind(signed: M.Signed) -> str:
    return type(signed.message).__name__


def settled_amounts(lab: ChannelLab) -> dict[str, int]:
    """What the adjudicator paid each participant, at settlement and by unlocks."""
    paid: dict[str, int] = {}
    for e in lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled"):
        for who, amount in ((e["participant1"], e["participant1_amount"]), (e["participant2"], e["participant2_amount"])):
            paid[who.lower()] = paid.get(who.lower(), 0) + amount
    for e in lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelUnlocked"):
        paid[e["receiver"].lower()] = paid.get(e["receiver"].lower(), 0) + e["unlocked_amount"]
        paid[e["sender"].lower()] = paid.get(e["sender"].lower(), 0) + e["returned_amount"]
    return {name: paid.get(lab.address(name).lower(), 0) for name in NAMES}


def test_a_mediator_whose_payer_never_unlocks_claims_on_l1_in_time_and_is_made_whole(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    lab.open("bob", "carol", 10 * ETH)
    # Alice reveals the secret to carol, then vanishes: bob's reveal never reaches her, she never unlocks.
    lab.bus.drop_when(lambda s: kind(s) == "SecretReveal" and s.message.recipient == lab.address("alice"))
    lab.pay("alice", "carol", 3 * ETH)
    lab.online("alice", False)
    assert [e.amount for e in received(lab, "carol")] == [3 * ETH]
    assert lab.balance("bob", "carol") == 7 * ETH  # bob paid carol off-chain
    [lock] = lab["bob"].channel(lab.address("alice")).partner.locks.values()
    rt = lab.preset.reveal_timeout
    while not lab.l1.events(lab.registry, SecretRegistry, "SecretRevealed"):
        assert not R.is_lock_expiring(lock, lab.l1.block_number() + 1, lab.l1.timestamp() + 12, rt - 1)
        lab.wait(1)
    [reveal] = lab.l1.events(lab.registry, SecretRegistry, "SecretRevealed")
    at = R.Reveal(reveal["blockNumber"], int(lab.l1.block(reveal["blockNumber"])["timestamp"], 16))
    assert R.is_unlocked(lock, at) and at.block <= lock.expiration - rt + 1  # a reveal timeout to spare
    # Past expiry, alice still owes the lock: bob closes, waits out the window, settles and unlocks.
    lab.wait(lab.preset.default_settle_timeout + rt + 4)
    assert lab["bob"].channel(lab.address("alice")).status == "settled"
    paid = settled_amounts(lab)
    assert paid["bob"] == 3 * ETH and paid["alice"] == 7 * ETH  # bob is whole: 3 out to carol, 3 in on L1
    assert lab.l1.balance(lab.adjudicator) == 10 * ETH  # only the open bob-carol channel's deposit is left


def test_a_stale_close_is_answered_by_the_update_and_the_honest_peer_loses_nothing(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH, 5 * ETH)
    for amount in (ETH, 2 * ETH, ETH):
        lab["alice"].transfer_direct(lab.address("bob"), amount)
    lab["bob"].transfer_direct(lab.address("alice"), ETH)
    lab.settle_down()
    # Alice closes: L1 sees bob's proof, and of her own payments nothing, as if she had paid bob 0.
    lab["alice"].close(lab.address("bob"))
    lab.settle_down()
    [update] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
    assert update["closing_participant"].lower() == lab.address("alice").lower() and update["nonce"] == 3
    lab.wait(lab.preset.default_settle_timeout + 1)
    paid = settled_amounts(lab)
    assert (paid["alice"], paid["bob"]) == (7 * ETH, 8 * ETH)  # 10 - 4 + 1 and 5 - 1 + 4
    assert lab.l1.balance(lab.adjudicator) == 0


def test_a_peer_killed_mid_payment_restarts_from_its_log_and_the_payment_completes(lab: ChannelLab) -> None:
    for a, b in (("alice", "bob"), ("bob", "carol"), ("carol", "dave")):
        lab.open(a, b, 10 * ETH)
    # Bob dies right after logging alice's locked transfer: nothing he would send gets out.
    lab.bus.drop_when(lambda s: s.message.sender == lab.address("bob"))
    lab["alice"].pay(lab.address("dave"), 2 * ETH)
    lab.settle_down()
    before = codec.dumps(lab["bob"].state)
    assert lab["bob"].state.mediations and not received(lab, "dave")
    lab.kill("bob")
    lab.bus.clear_filters()
    bob = lab.restart("bob")
    assert codec.dumps(bob.state) == before  # the log gave back everything bob had acknowledged
    lab.settle_down()
    lab.wait(1)  # alice sends her unacknowledged transfer again; bob says it was applied and acknowledges
    assert [e.amount for e in received(lab, "dave")] == [2 * ETH]
    assert [e.amount for e in sent(lab, "alice")] == [2 * ETH]
    for a, b in (("alice", "bob"), ("bob", "carol"), ("carol", "dave")):
        assert (lab.balance(a, b), lab.balance(b, a)) == (8 * ETH, 2 * ETH)
        assert not lab[a].state.queue
    assert {e.rule for _, e in lab.bus.refused} <= {"replayed message", "nothing to acknowledge"}


# -- forged and replayed messages ---------------------------------------------------------------------------


def _refused(lab: ChannelLab, signed: M.Signed, match: str) -> None:
    """``bob`` refuses ``signed`` naming ``match``, and neither his state nor his log changes."""
    bob = lab["bob"]
    before, logged = codec.dumps(bob.state), len(bob.log)
    with pytest.raises(Refused, match=match):
        bob.receive(signed)
    assert codec.dumps(bob.state) == before and len(bob.log) == logged


def test_forged_replayed_and_rule_breaking_messages_are_refused_and_change_nothing(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    lab["alice"].transfer_direct(lab.address("bob"), ETH)
    lab.settle_down()
    [original] = [s for s in lab.bus.delivered if kind(s) == "DirectTransfer"]
    chain_id, adjudicator = lab.l1.chain_id, lab.adjudicator
    alice_key, mallory_key = KEYS["alice"], KEYS["mallory"]

    def signed(message: M.DirectTransfer, key: bytes = alice_key, proof_key: bytes | None = None,
               domain: str = adjudicator) -> M.Signed:
        out = M.sign_message(message, key, chain_id, domain)
        if proof_key is not None:
            out = dataclasses.replace(out, balance_signature=R.sign_balance_proof(message.balance_proof, proof_key))
        return out

    old = original.message
    assert isinstance(old, M.DirectTransfer)
    proof = old.balance_proof
    fresh = dataclasses.replace(old, message_identifier=old.message_identifier + 100,
                                balance_proof=dataclasses.replace(proof, nonce=proof.nonce + 1,
                                                                  transferred_amount=2 * ETH))
    _refused(lab, original, "replayed message")
    _refused(lab, dataclasses.replace(original, message=dataclasses.replace(old, amount=5 * ETH)), "bad signature")
    _refused(lab, signed(fresh, key=mallory_key), "bad signature")  # mallory signs as alice
    _refused(lab, signed(fresh, proof_key=mallory_key), "bad signature")  # alice's envelope, mallory's proof
    _refused(lab, signed(fresh, domain="0x" + "11" * 20), "bad signature")  # signed for another adjudicator
    _refused(lab, signed(dataclasses.replace(fresh, balance_proof=dataclasses.replace(
        fresh.balance_proof, channel_identifier=proof.channel_identifier + 1))), "wrong channel")
    _refused(lab, signed(dataclasses.replace(fresh, balance_proof=dataclasses.replace(
        fresh.balance_proof, nonce=proof.nonce))), "stale nonce")
    _refused(lab, signed(dataclasses.replace(fresh, amount=20 * ETH, balance_proof=dataclasses.replace(
        fresh.balance_proof, transferred_amount=21 * ETH))), "over-transfer")
    _refused(lab, signed(dataclasses.replace(fresh, amount=2 * ETH)), "transferred amount mismatch")
    _refused(lab, signed(dataclasses.replace(fresh, amount=0, balance_proof=dataclasses.replace(
        fresh.balance_proof, transferred_amount=ETH))), "bad amount")
    # The genuine next payment still goes through.
    lab["bob"].receive(signed(fresh))
    assert lab.balance("bob", "alice") == 2 * ETH


def test_a_lock_expired_message_before_expiry_is_refused(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    lab.open("bob", "carol", 10 * ETH)
    lab.bus.drop_when(lambda s: kind(s) == "SecretRequest")
    lab.pay("alice", "carol", ETH)
    channel = lab["alice"].channel(lab.address("bob"))
    [lock] = channel.our.locks.values()
    early = R.BalanceProof(channel.identifier, lab.l1.chain_id, lab.adjudicator, channel.our.balance_proof.nonce + 1,
                           0, 0, R.EMPTY_LOCKSROOT)
    message = M.LockExpired(lab.address("alice"), lab.address("bob"), 10_000, lock.secrethash, early)
    _refused(lab, M.sign_message(message, KEYS["alice"], lab.l1.chain_id, lab.adjudicator), "lock not expired")
    lab.wait(3 * lab.preset.reveal_timeout + 1)  # then the real one, after expiry, is taken
    assert not lab["bob"].channel(lab.address("alice")).partner.locks
    assert sent(lab, "alice", E.EventPaymentSentFailed)
