"""Group commit in a peer's state-change log: one fsync per batch, and still nothing acknowledged is lost.

A peer applies a batch (a user's payments, a delivery round of messages, one
poll of L1) in memory, logs the accepted changes in one transaction, and only
then sends anything. These tests kill peers at each point of that path: before
the commit (nothing was said, the partner sends again), between the commit and
the sends (the log has it, the restarted peer sends it, or the partner's resend
is acknowledged as a replay), and check that no payment is lost or doubled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from channels import codec
from channels import events as E
from channels import state_changes as S
from channels.lab import ChannelLab
from channels.messages import (
    DirectTransfer,
    Processed,
    canonical,
    message_digest,
    proof_digest,
    recover_many,
)
from channels.peer import Peer
from channels.transition import Refused
from channels.wal import StateChangeLog
from contracts_spec.channels import rules as R
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address

ETH = 10**18
KEYS = {"alice": bytes([71]) * 32, "bob": bytes([72]) * 32}
DEPLOYER = bytes([98]) * 32


class Crash(Exception):
    """The process died here."""


def new_lab(tmp_path: Path) -> ChannelLab:
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), DEPLOYER]}
    lab = ChannelLab(in_process_l1(Chain(genesis_alloc=alloc)), KEYS, DEPLOYER, tmp_path)
    lab.open("alice", "bob", 10 * ETH, 5 * ETH)
    return lab


@pytest.fixture
def lab(tmp_path: Path) -> ChannelLab:
    return new_lab(tmp_path)


def count_commits(peer: Peer) -> list[int]:
    """Wrap the peer's log so that each commit's size is recorded."""
    sizes: list[int] = []
    append_many = peer.log.append_many

    def counted(changes: list) -> None:
        sizes.append(len(changes))
        append_many(changes)

    peer.log.append_many = counted  # type: ignore[method-assign]
    return sizes


def received(peer: Peer) -> list[int]:
    return [e.amount for e in peer.user_events if isinstance(e, E.EventPaymentReceived)]


def test_a_batch_of_payments_is_one_commit_on_each_side(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    a_commits, b_commits = count_commits(alice), count_commits(bob)
    before = len(alice.log)
    results = alice.transfer_many(bob.address, [1, 2, 3, 4, 5] * 20)
    assert all(isinstance(r, list) for r in results) and a_commits == [100]
    assert len(alice.log) == before + 100  # one entry per payment
    lab.bus.run()
    # the transfers in one round; the acknowledgement of them all, in the next, causes nothing: it waits
    # for alice's next commit (were she killed first, she would send again and be acknowledged again)
    assert b_commits == [100] and a_commits == [100] and len(alice._unsynced) == 1
    alice.transfer_direct(bob.address, 1)
    assert a_commits == [100, 2] and not alice._unsynced
    lab.bus.run()
    assert alice.balance(bob.address) == 10 * ETH - 301 and bob.balance(alice.address) == 5 * ETH + 301
    assert not alice.state.queue and not bob.state.queue and not lab.bus.refused
    assert received(bob) == [1, 2, 3, 4, 5] * 20 + [1]
    identifiers = [e.payment_identifier for e in bob.user_events if isinstance(e, E.EventPaymentReceived)]
    assert len(set(identifiers)) == 101


def test_a_refused_payment_in_a_batch_is_not_logged_and_the_rest_go_through(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    before = len(alice.log)
    results = alice.transfer_many(bob.address, [ETH, 100 * ETH, 0, ETH])
    assert [type(r).__name__ for r in results] == ["list", "Refused", "Refused", "list"]
    assert results[1].rule == "insufficient capacity" and results[2].rule == "bad amount"  # type: ignore[union-attr]
    assert len(alice.log) == before + 2
    lab.bus.run()
    assert bob.balance(alice.address) == 7 * ETH


def test_nothing_leaves_before_the_commit_and_a_crash_before_it_loses_nothing_acknowledged(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    alice.transfer_many(bob.address, [ETH] * 5)
    sent_before = len(lab.bus.delivered)

    def crash(_changes: list) -> None:
        assert lab.bus.pending() == 0  # Bob has applied the round in memory, sent nothing yet
        raise Crash

    bob.log.append_many = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        lab.bus.run()
    assert lab.bus.pending() == 0 and len(lab.bus.delivered) == sent_before + 5  # no Processed went out
    lab.kill("bob")
    bob = lab.restart("bob")
    assert bob.balance(alice.address) == 5 * ETH  # the round never reached Bob's disk: he knows nothing of it
    assert len(alice.state.queue) == 5  # and Alice has no acknowledgement: she sends again
    alice.resend()
    lab.bus.run()
    assert bob.balance(alice.address) == 10 * ETH and alice.balance(bob.address) == 5 * ETH
    assert not alice.state.queue and not lab.bus.refused


def test_a_crash_between_the_log_write_and_the_sends(lab: ChannelLab) -> None:
    """Both sides die after their commit, before sending: the payer's restart sends the transfers, the payee's
    restart does not lose them, and the payer's resends are acknowledged as replays."""
    alice, bob = lab["alice"], lab["bob"]

    def die_after_commit(peer: Peer) -> None:
        def crash(_event: object) -> None:
            raise Crash
        peer._perform = crash  # type: ignore[method-assign]

    die_after_commit(alice)
    with pytest.raises(Crash):
        alice.transfer_many(bob.address, [ETH] * 3)
    assert lab.bus.pending() == 0
    lab.kill("alice")
    alice = lab.restart("alice")  # replays the 3 payments, sends what is not acknowledged
    assert alice.balance(bob.address) == 7 * ETH and lab.bus.pending() == 3
    die_after_commit(bob)
    with pytest.raises(Crash):
        lab.bus.run()
    lab.kill("bob")
    bob = lab.restart("bob")
    assert bob.balance(alice.address) == 8 * ETH  # logged before the crash: kept, and it will say so
    assert len(alice.state.queue) == 3
    alice.resend()
    lab.bus.run()
    assert {rule for _, exc in lab.bus.refused for rule in [exc.rule]} == {"replayed message"}
    assert not alice.state.queue  # the replays were acknowledged again
    assert bob.balance(alice.address) == 8 * ETH and received(bob) == []  # no payment counted twice
    assert alice.balance(bob.address) + bob.balance(alice.address) == 15 * ETH


def test_the_same_message_twice_in_one_round_is_applied_once_and_acknowledged_after_the_commit(
        lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    alice.transfer_direct(bob.address, ETH)
    (signed,) = list(lab.bus._queue)
    lab.bus.send(signed)  # a duplicate, as a retransmission might make
    commits = count_commits(bob)
    lab.bus.run(limit=2)
    assert commits[0] == 1 and bob.balance(alice.address) == 6 * ETH
    lab.bus.run()
    # the replay is acknowledged again, after the commit, in the same acknowledgement as the first
    assert not alice.state.queue
    assert [exc.rule for _, exc in lab.bus.refused] == ["replayed message"]
    (ack,) = [s.message for s in lab.bus.delivered if isinstance(s.message, Processed)]
    assert ack.identifiers == (signed.message.message_identifier,) * 2


def test_replay_of_a_group_committed_log_gives_the_same_state(tmp_path: Path) -> None:
    lab = new_lab(tmp_path)
    alice, bob = lab["alice"], lab["bob"]
    for _ in range(3):
        alice.transfer_many(bob.address, [ETH // 10] * 7)
        bob.transfer_many(alice.address, [ETH // 100] * 4)
        lab.bus.run()
    states = {name: codec.dumps(lab[name].state) for name in ("alice", "bob")}
    for name in ("alice", "bob"):
        lab[name].sync()  # a clean stop: the last acknowledgements are logged too
        lab.kill(name)
        assert codec.dumps(lab.restart(name).state) == states[name]


def test_acknowledgements_lost_in_a_kill_are_asked_for_again(tmp_path: Path) -> None:
    lab = new_lab(tmp_path)
    alice, bob = lab["alice"], lab["bob"]
    alice.transfer_many(bob.address, [ETH // 10] * 5)
    lab.bus.run()
    assert not alice.state.queue and alice._unsynced
    lab.kill("alice")  # before anything logged the acknowledgement
    alice = lab.restart("alice")
    assert len(alice.state.queue) == 5  # it sent them again on restart
    lab.bus.run()
    assert not alice.state.queue and {e.rule for _, e in lab.bus.refused} == {"replayed message"}
    assert bob.balance(alice.address) == 5 * ETH + ETH // 2 and alice.balance(bob.address) == 10 * ETH - ETH // 2


def test_a_failed_open_does_not_stay_pending(lab: ChannelLab) -> None:
    alice = lab["alice"]
    stranger = private_key_to_address(bytes([73]) * 32)
    alice.open_channel(stranger, 10**30)  # more than Alice has: the deposit fails, the open does not
    lab.settle_down()
    alice.l1.transact = lambda *a, **k: (_ for _ in ()).throw(  # type: ignore[method-assign]
        __import__("contracts_spec.l1", fromlist=["L1Error"]).L1Error("refused by L1"))
    other = private_key_to_address(bytes([74]) * 32)
    alice.open_channel(other, ETH)
    assert alice.failed_transactions and other.lower() not in alice.state.pending_opens
    del alice.l1.transact  # type: ignore[attr-defined]
    lab.kill("alice")
    alice = lab.restart("alice")  # the failure is in the log: replay clears it too
    assert other.lower() not in alice.state.pending_opens
    alice.open_channel(other, ETH)  # and the user may try again
    assert other.lower() in alice.state.pending_opens


def test_the_log_commits_a_batch_atomically(tmp_path: Path) -> None:
    log = StateChangeLog(tmp_path / "log.sqlite")
    log.append_many([S.Block(1, 12), S.Block(2, 24)])
    with pytest.raises(TypeError):
        log.append_many([S.Block(3, 36), object()])  # type: ignore[list-item]
    assert [c for _, c in log.replay()] == [S.Block(1, 12), S.Block(2, 24)]
    log.close()
    log = StateChangeLog(tmp_path / "log.sqlite")
    assert len(log) == 2


def test_cached_encodings_and_digests_equal_the_plain_ones() -> None:
    adjudicator = "0x" + "ab" * 20
    proof = R.BalanceProof(1, 1337, adjudicator, 3, 5, 0, R.EMPTY_LOCKSROOT)
    message = DirectTransfer("0x" + "11" * 20, "0x" + "22" * 20, 1, 1, 5, proof)
    assert proof_digest(proof) == proof.digest() and proof_digest(proof) == proof.digest()
    assert canonical(message) == codec.pack(message) == codec.pack(codec.loads(codec.dumps(message)))
    assert message_digest(message, 1337, adjudicator) != message_digest(message, 1, adjudicator)  # per deployment
    ack = Processed("0x" + "22" * 20, "0x" + "11" * 20, 1)
    assert codec.loads(codec.dumps(message)) == message and hash(ack) == hash(Processed(*ack.__dict__.values()))


def test_packed_encoding_tells_every_value_apart() -> None:
    values = [None, True, False, 0, 1, -1, 10, "", "1", "a:b", "ab", b"", b"1", b"a:b", (), (1,), (1, 2), [1, 2],
              ((1,), 2), (1, (2,)), {1: 2}, {"1": 2}, ("a", "b"), ("ab",), ("a:", "b"),
              R.Lock(1, 2, 3, b"\x00" * 32)]
    packed = [codec.pack(v) for v in values]
    assert len(set(packed)) == len(packed)
    ack = Processed("0x" + "22" * 20, "0x" + "11" * 20, 1)
    assert codec.pack(ack) != codec.pack(Processed(ack.sender, ack.recipient, 1, (2,)))
    with pytest.raises(TypeError, match="cannot encode a float"):
        codec.pack(1.5)


def test_batch_recovery_matches_one_by_one_and_flags_bad_signatures(lab: ChannelLab) -> None:
    from channels.messages import Signed, recover_signers, sign_message

    alice, bob = lab["alice"], lab["bob"]
    proof = alice.state.channel_with(bob.address).our.balance_proof  # type: ignore[union-attr]
    proof = R.BalanceProof(proof.channel_identifier, proof.chain_id, proof.adjudicator, 1, 5, 0, R.EMPTY_LOCKSROOT)
    batch = [sign_message(DirectTransfer(alice.address, bob.address, i, i, 5, proof), KEYS["alice"],
                          alice.state.chain_id, alice.adjudicator) for i in range(40)]
    batch.append(Signed(batch[0].message, b"\x01" * 65, b"junk"))
    got = recover_many(batch, alice.state.chain_id, alice.adjudicator)
    assert got[:40] == [(alice.address, alice.address)] * 40 and got[40] == (None, None)
    assert got == [recover_signers(s, alice.state.chain_id, alice.adjudicator) for s in batch]


def test_a_lab_attaches_to_contracts_already_deployed(tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    lab = new_lab(tmp_path / "first")
    lab["alice"].transfer_direct(lab.address("bob"), ETH)
    lab.bus.run()
    for name in ("alice", "bob"):
        lab.kill(name)
    again = ChannelLab.attach(lab.l1, KEYS, tmp_path / "first", adjudicator=lab.adjudicator, registry=lab.registry)
    assert again.balance("bob", "alice") == 6 * ETH
    again["bob"].transfer_direct(again.address("alice"), 2 * ETH)
    again.settle_down()
    assert again.balance("alice", "bob") == 11 * ETH
    with pytest.raises(ValueError, match="no contract"):
        ChannelLab.attach(lab.l1, KEYS, tmp_path / "x", adjudicator="0x" + "00" * 19 + "01", registry=lab.registry)
    with pytest.raises(Refused):
        again["bob"].transfer_direct(again.address("alice"), 100 * ETH)


def test_a_batch_is_one_row_of_its_changes_and_old_rows_still_replay(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "log.sqlite"
    log = StateChangeLog(path)
    blocks = [S.Block(n, 12 * n) for n in range(1, 8)]
    log.append_many(blocks[:1])  # a batch of one: the change's own packed bytes, as every row was before
    log.append_many(blocks[1:4])  # a batch: one row, the packed list of its changes
    log.append_many([codec.pack(blocks[4]), blocks[5]])  # changes given packed already
    log.close()
    db = sqlite3.connect(path)
    rows = [bytes(r[0]) for r in db.execute("SELECT data FROM state_changes ORDER BY seq")]
    assert rows == [codec.pack(blocks[0]), codec.pack(blocks[1:4]), codec.pack(blocks[4:6])]
    db.execute("INSERT INTO state_changes (data) VALUES (?)", (codec.dumps(blocks[6]),))  # a JSON row of old
    db.commit()
    log = StateChangeLog(path)
    assert [c for _, c in log.replay()] == blocks and len(log) == 7
    assert [seq for seq, _ in log.replay()] == [1, 2, 2, 2, 3, 3, 4]  # each change names its row
    log.rewrite(blocks * 300)  # a whole log written again: rows of many changes
    assert [c for _, c in log.replay()] == blocks * 300 and len(log) == 2100
    log.close()
    db.execute("INSERT INTO state_changes (data) VALUES (?)", (codec.pack(blocks[:2])[:-2],))  # torn batch row
    db.execute("INSERT INTO state_changes (data) VALUES (?)", (codec.pack([]),))
    db.commit()
    db.close()
    log = StateChangeLog(path)
    with pytest.raises(ValueError, match="cannot be read back"):
        list(log.replay())
    log.close()


def test_a_restarted_peer_replays_batch_rows_to_the_same_state(lab: ChannelLab) -> None:
    alice, bob = lab["alice"], lab["bob"]
    alice.transfer_many(bob.address, [1, 2, 3] * 30)
    lab.bus.run()
    alice.transfer_many(bob.address, [4] * 10)  # (also logs the acknowledgement of the first batch)
    lab.bus.run()
    before = {name: (lab[name].balance(lab[other].address), dict(lab[name].state.processed),
                     sorted(lab[name].state.queue)) for name, other in (("alice", "bob"), ("bob", "alice"))}
    for name in ("alice", "bob"):
        lab.kill(name)
        lab.restart(name)
    # the second batch's acknowledgement waited for alice's next commit: she sends those again, bob says so again
    assert len(lab["alice"].state.queue) == 10
    lab.bus.run()
    after = {name: (lab[name].balance(lab[other].address), dict(lab[name].state.processed),
                    sorted(lab[name].state.queue)) for name, other in (("alice", "bob"), ("bob", "alice"))}
    assert after == before and before["bob"][0] == 5 * ETH + 220 and not before["alice"][2]


def test_quick_init_records_are_the_dataclasses_they_replace() -> None:
    import dataclasses

    from channels.messages import Signed

    ack = Processed("0x" + "22" * 20, "0x" + "11" * 20, 1)
    assert ack.also == () and ack == Processed(sender=ack.sender, recipient=ack.recipient, message_identifier=1)
    assert dataclasses.replace(ack, also=(2,)).identifiers == (1, 2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ack.also = (3,)  # type: ignore[misc]
    with pytest.raises(TypeError):
        Processed("0x" + "22" * 20)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        Processed("0x" + "22" * 20, "0x" + "11" * 20, 1, (), 5)  # type: ignore[call-arg]
    signed = Signed(ack, b"s" * 65)
    assert (signed.balance_signature, signed.envelope) == (b"", ()) and codec.unpack(codec.pack(signed)) == signed
    assert [f.name for f in dataclasses.fields(E.EventPaymentReceived)] == ["payment_identifier", "initiator",
                                                                              "amount"]
    assert E.EventPaymentReceived(1, "0x", 2) == E.EventPaymentReceived(payment_identifier=1, initiator="0x", amount=2)

    @codec.quick_init
    @dataclasses.dataclass(frozen=True)
    class WithFactory:
        a: int
        b: list = dataclasses.field(default_factory=list)

    one, two = WithFactory(1), WithFactory(1)
    assert one == two and one.b == [] and one.b is not two.b and WithFactory(1, [2]).b == [2]


def test_proofs_signed_while_the_commit_waits_leave_only_after_it(lab: ChannelLab) -> None:
    """A batch of many payments signs its proofs while a worker commits it: nothing is sent before the commit
    returns, a failed commit sends nothing, and the proofs' signatures are the ones signing afterwards makes."""
    import threading

    from channels.messages import sign_round
    from channels.peer import PRESIGN_FROM

    alice, bob = lab["alice"], lab["bob"]
    count = PRESIGN_FROM + 4
    append_many = alice.log.append_many
    seen: list[tuple[int, str]] = []

    def slow(changes: list) -> None:
        seen.append((lab.bus.pending(), threading.current_thread().name))
        append_many(changes)

    alice.log.append_many = slow  # type: ignore[method-assign]
    alice.transfer_many(bob.address, [ETH // 100] * count)
    assert seen[0][0] == 0 and seen[0][1].startswith("l2lab-peer-log") and lab.bus.pending() == count
    sent = [s for s in list(lab.bus._queue) if isinstance(s.message, DirectTransfer)]
    again = sign_round([s.message for s in sent], KEYS["alice"], alice.state.chain_id, alice.adjudicator)
    assert [s.balance_signature for s in sent] == [s.balance_signature for s in again]
    assert [s.signature for s in sent] == [s.signature for s in again]
    lab.bus.run()
    assert bob.balance(alice.address) == 5 * ETH + count * (ETH // 100) and not lab.bus.refused

    def crash(_changes: list) -> None:
        raise Crash

    alice.log.append_many = crash  # type: ignore[method-assign]
    with pytest.raises(Crash):
        alice.transfer_many(bob.address, [ETH // 100] * count)
    assert lab.bus.pending() == 0 and not alice._outbox  # nothing went out, nothing waits to
    lab.kill("alice")
    alice = lab.restart("alice")
    lab.bus.run()
    assert alice.balance(bob.address) == 10 * ETH - count * (ETH // 100) and not alice.state.queue
