"""A round of messages under one signature, acknowledgements of many at once, and the packed log.

A peer hands each partner what a batch sends in one go: every balance proof
signed on its own (L1 needs it), the messages themselves under one envelope
signature over their digests, and one ``Processed`` naming every message it
applied. These tests forge, tamper with, truncate and replay each part, and
check that a forgery changes nothing while honest rounds pay in full.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest

from channels import codec
from channels import state_changes as S
from channels.lab import ChannelLab
from channels.messages import (
    MAX_ACKNOWLEDGED,
    MAX_ENVELOPE,
    DirectTransfer,
    Processed,
    Signed,
    envelope_digest,
    message_digest,
    recover_many,
    sign_round,
)
from channels.wal import StateChangeLog
from contracts_spec.channels import rules as R
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address

ETH = 10**18
KEYS = {"alice": bytes([81]) * 32, "bob": bytes([82]) * 32, "mallory": bytes([83]) * 32}
DEPLOYER = bytes([97]) * 32


@pytest.fixture
def lab(tmp_path: Path) -> ChannelLab:
    return new_lab(tmp_path)


def new_lab(tmp_path: Path) -> ChannelLab:
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), DEPLOYER]}
    lab = ChannelLab(in_process_l1(Chain(genesis_alloc=alloc)), KEYS, DEPLOYER, tmp_path)
    lab.open("alice", "bob", 10 * ETH, 5 * ETH)
    return lab


def held_round(lab: ChannelLab, amounts: list[int]) -> list[Signed]:
    """Alice pays Bob ``amounts`` in one batch; the round is taken off the bus before Bob sees it."""
    lab["alice"].transfer_many(lab.address("bob"), amounts)
    signed = list(lab.bus._queue)
    lab.bus._queue.clear()
    return signed


def test_a_batch_goes_out_under_one_envelope_and_comes_back_under_one_acknowledgement(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    signed = held_round(lab, [1, 2, 3] * 10)
    assert len({s.signature for s in signed}) == 1 and all(len(s.envelope) == 30 for s in signed)
    assert len({s.balance_signature for s in signed}) == 30  # every proof signed on its own
    for s in signed:
        assert R.recover_signer(s.message.balance_proof.digest(), s.balance_signature) == alice.address
    for s in signed:
        lab.bus.send(s)
    lab.bus.run()
    acks = [s.message for s in lab.bus.delivered if isinstance(s.message, Processed)]
    assert len(acks) == 1 and sorted(acks[0].identifiers) == sorted(s.message.message_identifier for s in signed)
    assert bob.balance(alice.address) == 5 * ETH + 60 and not alice.state.queue and not lab.bus.refused


def test_a_message_swapped_into_an_envelope_is_unsigned(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    signed = held_round(lab, [1, 2])
    first = signed[0]
    more = dataclasses.replace(first.message, amount=first.message.amount + ETH)  # not what alice signed
    forged = Signed(more, first.signature, first.balance_signature, first.envelope)
    assert recover_many([forged], alice.state.chain_id, alice.adjudicator) == [(None, alice.address)]
    before = bob.balance(alice.address)
    with pytest.raises(R.ChannelRuleError, match="not signed by its sender"):
        bob.receive(forged)
    assert bob.balance(alice.address) == before


@pytest.mark.parametrize("envelope", [
    "not a tuple", (b"\x00" * 31,), (1,), ("00" * 32,), tuple(b"\x00" * 32 for _ in range(MAX_ENVELOPE + 1))])
def test_a_malformed_envelope_is_unsigned_and_changes_nothing(lab: ChannelLab, envelope: object) -> None:
    alice, bob = lab["alice"], lab["bob"]
    (signed,) = held_round(lab, [1])
    digest = message_digest(signed.message, alice.state.chain_id, alice.adjudicator)
    if isinstance(envelope, tuple) and len(envelope) > MAX_ENVELOPE:
        envelope = (digest, *envelope)  # lists the message, but is too long to be worth recovering
    bad = Signed(signed.message, signed.signature, signed.balance_signature, envelope)  # type: ignore[arg-type]
    assert recover_many([bad], alice.state.chain_id, alice.adjudicator)[0][0] is None
    with pytest.raises(R.ChannelRuleError, match="bad signature|not signed"):
        bob.receive(bad)
    assert bob.balance(alice.address) == 5 * ETH


def test_an_envelope_signed_by_someone_else_or_for_another_deployment_is_refused(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    signed = held_round(lab, [1, 2])
    chain_id, adjudicator = alice.state.chain_id, alice.adjudicator
    mallory = sign_round([s.message for s in signed], KEYS["mallory"], chain_id, adjudicator)
    other_chain = sign_round([s.message for s in signed], KEYS["alice"], chain_id + 1, adjudicator)
    for round_ in (mallory, other_chain):
        results = bob.receive_many([Signed(r.message, r.signature, s.balance_signature, r.envelope)
                                    for r, s in zip(round_, signed, strict=True)])
        assert [r.rule for r in results] == ["bad signature"] * 2  # type: ignore[union-attr]
    assert bob.balance(alice.address) == 5 * ETH
    assert envelope_digest(signed[0].envelope, chain_id, adjudicator) != envelope_digest(
        signed[0].envelope, chain_id + 1, adjudicator)


def test_messages_of_a_round_delivered_apart_or_again_each_count_once(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    signed = held_round(lab, [1, 2, 3])
    # out of order, a later proof does not match its message's payment: refused, and sent again later
    (early,) = bob.receive_many([signed[2]])
    assert isinstance(early, R.ChannelRuleError) and early.rule == "transferred amount mismatch"
    for s in signed:  # one at a time: the envelope still vouches for each
        assert not isinstance(bob.receive_many([s])[0], R.ChannelRuleError)
    assert [r.rule for r in bob.receive_many(signed)] == ["replayed message"] * 3  # type: ignore[union-attr]
    lab.bus.run()
    assert bob.balance(alice.address) == 5 * ETH + 6 and not alice.state.queue


def test_an_acknowledgement_forgets_only_what_it_names_and_refuses_garbage(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    signed = held_round(lab, [1, 2, 3])
    ids = [s.message.message_identifier for s in signed]
    chain_id, adjudicator = alice.state.chain_id, alice.adjudicator

    def ack(*identifiers: int, also: object = None) -> Signed:
        message = Processed(bob.address, alice.address, identifiers[0],
                            tuple(identifiers[1:]) if also is None else also)  # type: ignore[arg-type]
        return sign_round([message], KEYS["bob"], chain_id, adjudicator)[0]

    assert alice.receive_many([ack(ids[0], 10**9)])[0] == []  # an unknown id beside a known one: the known goes
    assert sorted(alice.state.queue) == ids[1:]
    (late,) = alice.receive_many([ack(ids[0])])
    assert isinstance(late, R.ChannelRuleError) and late.rule == "nothing to acknowledge"
    (odd,) = alice.receive_many([ack(ids[1], also=[ids[2]])])
    assert isinstance(odd, R.ChannelRuleError) and odd.rule == "malformed message"
    (big,) = alice.receive_many([ack(ids[1], *range(10**9, 10**9 + MAX_ACKNOWLEDGED))])
    assert isinstance(big, R.ChannelRuleError) and big.rule == "oversized message"
    assert sorted(alice.state.queue) == ids[1:]  # neither changed anything
    (forged,) = alice.receive_many([sign_round([Processed(bob.address, alice.address, ids[1], (ids[2],))],
                                               KEYS["mallory"], chain_id, adjudicator)[0]])
    assert isinstance(forged, R.ChannelRuleError) and forged.rule == "bad signature"
    assert sorted(alice.state.queue) == ids[1:]


def test_the_log_is_packed_reads_old_json_rows_and_names_a_corrupt_one(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite"
    log = StateChangeLog(path)
    change = S.ActionTransferDirect("0x" + "11" * 20, 5, 7)
    log.append_many([change])
    log.close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT data FROM state_changes").fetchone()[0] == codec.pack(change)
    db.execute("INSERT INTO state_changes (data) VALUES (?)", (codec.dumps(S.Block(3, 36)),))  # an older row
    db.commit()
    log = StateChangeLog(path)
    assert [c for _, c in log.replay()] == [change, S.Block(3, 36)]
    log.close()
    db.execute("INSERT INTO state_changes (data) VALUES (?)", (codec.pack(change)[:-3],))
    db.commit()
    db.close()
    log = StateChangeLog(path)
    with pytest.raises(ValueError, match="state change 3 cannot be read back"):
        list(log.replay())
    log.close()


@pytest.mark.parametrize("data", [b"", b"X", b"I12", b"Iabc;", b"B5:abc", b"R3:Nop0:", b"L2:I1;", b"I1;I2;",
                                  b"S2:\xff\xfe", b"R5:Block1:I1;", b"L1:" * 40 + b"N" + b""])
def test_unpack_refuses_every_malformed_record(data: bytes) -> None:
    with pytest.raises(ValueError, match="packed record malformed"):
        codec.unpack(data)


def test_pack_round_trips_every_record_a_peer_logs(lab: ChannelLab) -> None:
    lab["alice"].transfer_many(lab.address("bob"), [1, 2])
    lab.pay("alice", "bob", ETH // 10)
    lab.settle_down()
    changes = [c for _, c in lab["bob"].log.replay()] + [c for _, c in lab["alice"].log.replay()]
    assert len(changes) > 10
    assert all(codec.unpack(codec.pack(c)) == c for c in changes)
    assert any(isinstance(c, S.ReceiveDirectTransfer) for c in changes)
    assert DirectTransfer  # the record types a log holds are known to the codec by name


def test_the_bus_keeps_a_bounded_record_of_what_it_carried(lab: ChannelLab) -> None:
    lab.bus.keep = 5
    for _ in range(30):
        lab["alice"].transfer_direct(lab.address("bob"), 1)
        lab.bus.run()
    assert 5 <= len(lab.bus.delivered) <= 10 and lab.bus.delivered[-1].message.sender == lab.address("bob")
    assert lab["bob"].balance(lab.address("alice")) == 5 * ETH + 30 and not lab["alice"].state.queue
    lab.bus.keep = 0
    lab["alice"].transfer_direct(lab.address("bob"), 1)
    before = len(lab.bus.delivered)
    lab.bus.run()
    assert len(lab.bus.delivered) == before
