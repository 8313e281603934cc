"""Payment channels under attack: the issue's scenarios not covered elsewhere, each ending with exact balances.

Covered already, and only referenced here (Raiden's contract and client suites, in this protocol's words):

* open, deposit, withdraw, cooperative settle: ``test_channels_adjudicator`` (open, deposit, co-signed
  withdraw, cooperative settle and its two transactions) and ``test_channels_cooperative`` (the peers' side);
* close, update, settle: ``test_channels_adjudicator`` (``test_close_refusals``, ``test_update_refusals``,
  ``test_a_stale_close_is_answered_by_the_update_and_the_cheater_gains_nothing``; a settle before the window
  ends, by blocks or by seconds: ``test_settle_waits_for_both_the_blocks_and_the_seconds_of_the_window``);
* unlock and the secret registry: ``test_locks_unlock_after_settlement_by_secrets_registered_in_time`` (a secret
  one block and one second late is refunded), ``test_unlock_refuses_bad_lock_bytes_and_more_than_the_cap``;
* mediated transfer, lock expiry, refunds: ``test_channels_peer`` (three hops, shrinking expiries, a refused
  route retried, an unclaimed lock expiring back to the initiator, the lock cap) and
  ``test_channels_peer_disputes`` (a mediator claiming on L1, stale close, crash, forged and replayed
  messages);
* replay on a reopened channel: ``test_channels_safety.test_identities_are_fixed_by_l1`` (peer and contract).

Every scenario ends by checking that the honest participants lost nothing, to the wei.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from channels import codec
from channels import messages as M
from channels.lab import ChannelLab
from channels.transition import Refused
from channels.watchtower import Watchtower, monitor_request
from contracts_spec.channels import rules as R
from contracts_spec.channels.contract import ChannelAdjudicator, SecretRegistry
from contracts_spec.channels.monitoring import MonitoringService
from contracts_spec.channels.params import SECONDS_PER_SLOT
from contracts_spec.l1 import TransactionReverted, encode_call
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("alice", "mallory", "carol", "trudy", "dave")
KEYS = {name: bytes([i + 111]) * 32 for i, name in enumerate(NAMES)}
DEPLOYER = bytes([121]) * 32
TOWER = bytes([122]) * 32
GAS = 2_000_000


def new_lab(tmp_path: Path, kind: str = "toy") -> ChannelLab:
    """Every peer on a fresh L1 of ``kind``: the toy L1, or anvil with the contracts' Solidity twins."""
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), DEPLOYER, TOWER]}
    return ChannelLab(new_l1(kind, alloc), KEYS, DEPLOYER, tmp_path)


@pytest.fixture
def lab(tmp_path: Path, l1_kind: str) -> ChannelLab:
    return new_lab(tmp_path, l1_kind)


def kind(signed: M.Signed) -> str:
    return type(signed.message).__name__


def paid_on_l1(lab: ChannelLab) -> dict[str, int]:
    """What the adjudicator paid each participant, at settlement and by unlocks."""
    paid = dict.fromkeys(NAMES, 0)
    by_address = {lab.address(n).lower(): n for n in NAMES}
    for e in lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled"):
        for who, amount in ((e["participant1"], e["participant1_amount"]),
                            (e["participant2"], e["participant2_amount"])):
            paid[by_address[who.lower()]] += amount
    for e in lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelUnlocked"):
        paid[by_address[e["receiver"].lower()]] += e["unlocked_amount"]
        paid[by_address[e["sender"].lower()]] += e["returned_amount"]
    return paid


def refused(lab: ChannelLab, name: str, signed: M.Signed, match: str) -> None:
    """``name`` refuses ``signed`` naming ``match``; neither its state nor its log changes."""
    peer = lab[name]
    before, logged = codec.dumps(peer.state), len(peer.log)
    with pytest.raises(Refused, match=match):
        peer.receive(signed)
    assert codec.dumps(peer.state) == before and len(peer.log) == logged


def sign(lab: ChannelLab, name: str, message: M.Message) -> M.Signed:
    return M.sign_message(message, KEYS[name], lab.l1.chain_id, lab.adjudicator)


# -- a hub holding both ends of a path (Raiden's wormhole / start-end attack) ----------------------------------


def wormhole_line(lab: ChannelLab) -> None:
    """alice -> mallory -> carol -> trudy -> dave; mallory and trudy are one attacker, carol is honest."""
    for a, b in zip(NAMES, NAMES[1:], strict=False):
        lab.open(a, b, 10 * ETH)


def test_a_hub_at_both_ends_of_a_path_skips_the_honest_mediator_who_loses_nothing(lab: ChannelLab) -> None:
    """The attacker's two nodes pass the secret round carol: trudy learns it from dave and pays him, never
    reveals it to carol, and hands it to mallory, who reveals it to alice and is paid. The payment
    succeeds without carol (l2lab's mediators charge no fee, so the skip takes no fee from her): both her
    locks expire, mallory's to her and hers to trudy, and she ends with exactly her deposit. The attacker
    stalled carol's capacity for one lock timeout and gained nothing (mallory +3, trudy -3)."""
    wormhole_line(lab)
    lab.bus.drop_when(lambda s: kind(s) == "SecretReveal" and s.message.recipient == lab.address("carol"))
    secret = b"\x77" * 32
    lab["alice"].pay(lab.address("dave"), 3 * ETH, secret=secret)
    lab.settle_down()
    assert lab.balance("dave", "trudy") == 3 * ETH  # dave is paid by trudy
    lab.online("trudy", False)  # and trudy keeps quiet: she never claims carol's lock, on or off L1
    mallory_payer = lab["mallory"].state.next_message_identifier + 1000
    lab.bus.send(sign(lab, "mallory", M.SecretReveal(lab.address("mallory"), lab.address("alice"), mallory_payer,
                                                     secret)))
    lab.settle_down()
    assert lab.balance("mallory", "alice") == 3 * ETH  # alice paid mallory on the attacker's word
    [to_trudy] = lab["carol"].channel(lab.address("trudy")).our.locks.values()
    assert lab["carol"].channel(lab.address("mallory")).partner.locks  # carol is owed a lock she cannot claim
    while not R.is_lock_expired(to_trudy, lab.l1.block_number(), lab.l1.timestamp()):
        lab.wait(1)
    lab.wait(2 * lab.preset.reveal_timeout)  # mallory's lock to carol expires a reveal timeout later
    lab.online("trudy", True)
    lab.wait(2)  # carol's LockExpired reaches trudy
    carol = lab["carol"]
    assert not carol.channel(lab.address("mallory")).partner.locks and not carol.channel(lab.address("trudy")).our.locks
    assert lab.balance("carol", "mallory") == 0 and lab.balance("carol", "trudy") == 10 * ETH  # her deposit
    assert lab.balance("mallory", "carol") == 10 * ETH and lab.balance("trudy", "carol") == 0
    assert lab.balance("alice", "mallory") == 7 * ETH and lab.balance("dave", "trudy") == 3 * ETH
    assert not lab.l1.events(lab.registry, SecretRegistry, "SecretRevealed")


def test_the_hub_that_claims_the_honest_mediators_lock_on_l1_pays_for_it_on_l1(lab: ChannelLab) -> None:
    """The same skip, but trudy claims carol's lock too: her peer registers the secret on L1 a reveal
    timeout before the lock expires, and mallory, paid by alice, vanishes without paying carol. The
    registration also claims mallory's lock to carol, which expires a reveal timeout later: carol pays
    trudy, closes on mallory once that lock expires, and unlocks it on L1 after settlement. She ends
    where she started."""
    wormhole_line(lab)
    lab.bus.drop_when(lambda s: kind(s) == "SecretReveal" and s.message.recipient == lab.address("carol"))
    secret = b"\x78" * 32
    lab["alice"].pay(lab.address("dave"), 3 * ETH, secret=secret)
    lab.settle_down()
    lab.bus.send(sign(lab, "mallory", M.SecretReveal(lab.address("mallory"), lab.address("alice"),
                                                     lab["mallory"].state.next_message_identifier + 1000, secret)))
    lab.settle_down()
    assert lab.balance("mallory", "alice") == 3 * ETH
    lab.online("mallory", False)
    window = lab.preset.default_settle_timeout
    lab.wait(4 * lab.preset.reveal_timeout + window + 4)
    [reveal] = lab.l1.events(lab.registry, SecretRegistry, "SecretRevealed")
    assert reveal["secrethash"] == R.secrethash_of(secret)
    assert lab.balance("trudy", "carol") == 3 * ETH  # carol paid trudy when the secret reached L1
    paid = paid_on_l1(lab)
    assert paid["carol"] == 3 * ETH and paid["mallory"] == 7 * ETH  # the mallory channel: carol claimed her lock
    assert lab.balance("carol", "trudy") == 7 * ETH  # 3 out, 3 in: carol is even
    assert lab.balance("alice", "mallory") == 7 * ETH and lab.balance("dave", "trudy") == 3 * ETH


# -- locks at the edge of the settlement window ----------------------------------------------------------------


def _locked_transfer(lab: ChannelLab, lock: R.Lock, message_identifier: int = 10_000) -> M.Signed:
    """alice's locked transfer of ``lock`` to mallory, the target, with its balance proof."""
    channel = lab["alice"].channel(lab.address("mallory"))
    proof = R.BalanceProof(channel.identifier, lab.l1.chain_id, lab.adjudicator, channel.our.balance_proof.nonce + 1,
                           0, lock.amount, R.compute_locksroot([lock]))
    message = M.LockedTransfer(lab.address("alice"), lab.address("mallory"), message_identifier, 1, lock.amount,
                               lab.address("alice"), lab.address("mallory"), (lab.address("alice"),
                                                                               lab.address("mallory")), lock, proof)
    return dataclasses.replace(sign(lab, "alice", message), balance_signature=R.sign_balance_proof(proof, KEYS["alice"]))


@pytest.mark.parametrize("extra_blocks, extra_seconds", [(1, 0), (0, 1), (0, 0)])
def test_a_lock_that_could_outlast_a_window_opened_now_is_refused_by_its_receiver(
        lab: ChannelLab, extra_blocks: int, extra_seconds: int) -> None:
    """A receiver takes a lock only if it expires before any settlement window opened now could end.

    Settlement pays out, and ``unlock`` may be called at once, so a lock still running then is refunded
    to its sender whatever secret is registered later. A close lands in a later block but may land in
    this very second: its window ends at ``block + W + 1`` at the earliest and at second ``now + W*12``.
    So a lock expiring at block ``block + W`` is fine, but one expiring at second ``now + W*12`` is not
    (it has not expired at that second: expiry is past both its block and its second). Before the fix
    the receiver took the lock of ``(0, 0)``; a sender closing in the same second could then settle and
    unlock it as a refund in the window's last second, ahead of the receiver's registration in that second
    (``test_a_lock_running_at_settlement_is_refunded_on_l1_so_receivers_refuse_them``)."""
    lab.open("alice", "mallory", 10 * ETH)
    mallory = lab["mallory"]
    window = mallory.channel(lab.address("alice")).settle_timeout
    now_block, now = mallory.state.block_number, mallory.state.block_timestamp
    lock = R.Lock(ETH, now_block + window + extra_blocks, now + window * SECONDS_PER_SLOT + extra_seconds,
                  R.secrethash_of(b"\x31" * 32))
    mallory.receive(_locked_transfer(lab, lock))
    [refund] = [m for m in mallory.state.queue.values() if isinstance(m, M.RefundTransfer)]
    assert "outlasts the settlement window" in refund.reason
    assert mallory.channel(lab.address("alice")).refused[lock.secrethash]
    assert not [m for m in mallory.state.queue.values() if isinstance(m, M.SecretRequest)]  # it never acts on it
    assert lab.balance("mallory", "alice") == 0  # the lock is alice's until it expires and she removes it


def test_the_longest_lock_an_initiator_makes_is_one_its_receiver_takes(lab: ChannelLab) -> None:
    """An initiator's lock lasts ``(hops + 1)`` reveal timeouts, but never as long as the channel's window:
    as many blocks at most, and one second less than its slots, so the receiver's rule above never refuses
    the longest honest lock, and every hop after it keeps its reveal timeouts."""
    window = lab.preset.settle_timeout_min
    lab["alice"].open_channel(lab.address("mallory"), 10 * ETH, settle_timeout=window)
    lab.settle_down()
    for a, b in (("mallory", "carol"), ("carol", "trudy")):
        lab.open(a, b, 10 * ETH)
    lab.bus.hold_when(lambda s: kind(s) == "SecretRequest")
    lab["alice"].pay(lab.address("trudy"), ETH)  # 3 hops: 4 reveal timeouts = 12 blocks > the 10-block window
    lab.settle_down()
    [lock] = lab["alice"].channel(lab.address("mallory")).our.locks.values()
    state = lab["alice"].state
    assert (lock.expiration, lock.expiration_time) == (state.block_number + window,
                                                       state.block_timestamp + window * SECONDS_PER_SLOT - 1)
    assert not lab["mallory"].channel(lab.address("alice")).refused  # taken, and carried on
    lab.bus.clear_filters()
    lab.bus.release()
    lab.settle_down()
    assert lab.balance("trudy", "carol") == ETH and lab.balance("alice", "mallory") == 9 * ETH
    for a, b in (("mallory", "carol"), ("carol", "trudy")):
        assert lab.balance(a, b) == 9 * ETH and lab.balance(b, a) == ETH  # mediators even


def test_a_lock_running_at_settlement_cannot_be_refunded_before_it_expires(lab: ChannelLab) -> None:
    """The adjudicator's ``unlock`` waits until every lock is decided: a lock that has not expired at
    settlement cannot be refunded to its sender ahead of a registration that would still count.

    mallory holds alice's lock expiring at exactly the second the window ends (a lock the old peer rule let
    through); alice closes, and in the window's last second settles and tries to unlock: refused, the lock
    still running. mallory registers the secret in the next block, in the same second, in time by the lock's
    own rule, and her unlock pays her the lock."""
    lab.open("alice", "mallory", 10 * ETH)
    lab.online("alice", False)
    lab.online("mallory", False)
    l1, adjudicator = lab.l1, lab.adjudicator
    cid = lab["alice"].channel(lab.address("mallory")).identifier
    secret = b"\x32" * 32
    alice, mallory = lab.address("alice"), lab.address("mallory")
    close_args = (cid, alice, mallory, 0, 0, 0, R.EMPTY_LOCKSROOT, b"")
    empty = R.BalanceProof.empty(cid, l1.chain_id, adjudicator)
    l1.transact(KEYS["alice"], adjudicator, ChannelAdjudicator, "close_channel", *close_args,
                R.sign(R.close_digest(empty, b""), KEYS["alice"]))
    _, window, settle_block, settle_time = l1.call(adjudicator, ChannelAdjudicator, "channel_info", cid)
    lock = R.Lock(ETH, settle_block - 1, settle_time, R.secrethash_of(secret))
    proof = R.BalanceProof(cid, l1.chain_id, adjudicator, 1, 0, ETH, R.compute_locksroot([lock]))
    signature = R.sign_balance_proof(proof, KEYS["alice"])
    l1.transact(KEYS["mallory"], adjudicator, ChannelAdjudicator, "update_non_closing_balance_proof", cid, alice,
                mallory, 1, 0, ETH, proof.locksroot, signature,
                R.sign(R.update_digest(proof, signature), KEYS["mallory"]))
    l1.mine(settle_block - l1.block_number())
    l1.rpc("evm_setNextBlockTimestamp", settle_time)
    l1.rpc("evm_setAutomine", False)
    try:
        hashes = [l1.submit(KEYS["alice"], to=adjudicator, data=_call(method, *args), gas=GAS)
                  for method, args in (("settle_channel", (cid, alice, 0, ETH, proof.locksroot, mallory, 0, 0,
                                                           R.EMPTY_LOCKSROOT)),
                                       ("unlock", (cid, mallory, alice, R.encode_locks([lock]))))]
        l1.mine(1)
    finally:
        l1.rpc("evm_setAutomine", True)
    assert l1.timestamp() == settle_time and not R.is_lock_expired(lock, l1.block_number(), l1.timestamp())
    settled, refused = (l1.receipt(h) for h in hashes)
    assert int(settled["status"], 16) == 1 and int(refused["status"], 16) == 0  # the early unlock reverted
    assert l1.events(adjudicator, ChannelAdjudicator, "ChannelUnlocked") == []
    l1.transact(KEYS["mallory"], lab.registry, SecretRegistry, "register_secret", secret)
    at = l1.call(lab.registry, SecretRegistry, "get_secret_reveal", lock.secrethash)
    assert R.is_unlocked(lock, R.Reveal(*at))  # in time by the lock's rule
    l1.transact(KEYS["mallory"], adjudicator, ChannelAdjudicator, "unlock", cid, mallory, alice,
                R.encode_locks([lock]))
    [unlocked] = l1.events(adjudicator, ChannelAdjudicator, "ChannelUnlocked")
    assert (unlocked["unlocked_amount"], unlocked["returned_amount"]) == (ETH, 0)
    assert lock.expiration_time - (settle_time - window * SECONDS_PER_SLOT) == window * SECONDS_PER_SLOT


def _call(method: str, *args: object) -> bytes:
    return encode_call(ChannelAdjudicator, method, *args)


# -- overspending ----------------------------------------------------------------------------------------------


def test_overspending_beyond_the_deposit_is_refused_by_the_peer_and_pays_nothing_more_on_l1(lab: ChannelLab) -> None:
    """mallory deposited 2 ETH. Her own peer will not send more; a hand-made transfer or lock beyond it is
    refused by alice; and an over-spent proof alice never took, closed on L1, pays out only what the
    channel holds: alice gets her 10, mallory her 2."""
    lab.open("alice", "mallory", 10 * ETH, 2 * ETH)
    with pytest.raises(Refused, match="insufficient capacity"):
        lab["mallory"].transfer_direct(lab.address("alice"), 2 * ETH + 1)
    channel = lab["mallory"].channel(lab.address("alice"))
    cid, nonce = channel.identifier, channel.our.balance_proof.nonce

    def proof(transferred: int, locked: int = 0, locks: tuple[R.Lock, ...] = ()) -> R.BalanceProof:
        return R.BalanceProof(cid, lab.l1.chain_id, lab.adjudicator, nonce + 1, transferred, locked,
                              R.compute_locksroot(list(locks)))

    def signed(message: M.Message, p: R.BalanceProof) -> M.Signed:
        return dataclasses.replace(sign(lab, "mallory", message),
                                   balance_signature=R.sign_balance_proof(p, KEYS["mallory"]))

    mallory, alice = lab.address("mallory"), lab.address("alice")
    over = proof(3 * ETH)
    refused(lab, "alice", signed(M.DirectTransfer(mallory, alice, 5000, 1, 3 * ETH, over), over), "over-transfer")
    block, now = lab["alice"].state.block_number, lab["alice"].state.block_timestamp
    lock = R.Lock(ETH + 1, *R.lock_expiration(block, now, 6), R.secrethash_of(b"\x41" * 32))
    half = proof(ETH, lock.amount, (lock,))  # sends 1 and locks 1 + 1 wei: 1 wei more than she has
    refused(lab, "alice", signed(M.LockedTransfer(mallory, alice, 5001, 2, lock.amount, mallory, alice,
                                                  (mallory, alice), lock, half), half), "over-transfer")
    assert lab.balance("alice", "mallory") == 10 * ETH and lab.balance("mallory", "alice") == 2 * ETH
    # On L1: mallory's over-spent proof (say alice's peer had a bug and kept it) is closed on by alice.
    huge = proof(50 * ETH)
    signature = R.sign_balance_proof(huge, KEYS["mallory"])
    lab.online("alice", False)
    lab.online("mallory", False)
    lab.l1.transact(KEYS["alice"], lab.adjudicator, ChannelAdjudicator, "close_channel", cid, alice, mallory,
                    huge.nonce, huge.transferred_amount, 0, R.EMPTY_LOCKSROOT, signature,
                    R.sign(R.close_digest(huge, signature), KEYS["alice"]))
    lab.wait(lab.preset.default_settle_timeout + 2)
    lab.l1.transact(KEYS["carol"], lab.adjudicator, ChannelAdjudicator, "settle_channel", cid, alice, 0, 0,
                    R.EMPTY_LOCKSROOT, mallory, 50 * ETH, 0, R.EMPTY_LOCKSROOT)
    paid = paid_on_l1(lab)
    assert (paid["alice"], paid["mallory"]) == (12 * ETH, 0)  # all there is: never more than the channel holds
    assert lab.l1.balance(lab.adjudicator) == 0


# -- bad signatures and non-increasing nonces, at every interface ------------------------------------------------


def test_bad_signatures_and_stale_nonces_are_refused_at_every_message_that_carries_a_proof(lab: ChannelLab) -> None:
    """Locked transfers, unlocks, lock expiries, withdraw and settle requests: forged envelope, forged
    proof signature, a replayed nonce, each refused naming the rule, changing nothing; the genuine
    messages still go through and the balances are exact. (Direct transfers: ``test_channels_peer_disputes``;
    close and update on L1: ``test_channels_adjudicator``; the MonitoringService: ``test_channels_watchtower``.)"""
    lab.open("alice", "mallory", 10 * ETH)
    lab.bus.hold_when(lambda s: s.message.recipient == lab.address("mallory"))
    secret = b"\x51" * 32
    lab["alice"].pay(lab.address("mallory"), ETH, secret=secret)
    lab.settle_down()
    [held] = lab.bus.held
    assert kind(held) == "LockedTransfer"
    message = held.message
    assert isinstance(message, M.LockedTransfer)
    carol_key = KEYS["carol"]

    def variants(signed: M.Signed) -> None:
        m = signed.message
        p = m.balance_proof  # type: ignore[attr-defined]
        refused(lab, "mallory", dataclasses.replace(signed, signature=M.sign_message(
            m, carol_key, lab.l1.chain_id, lab.adjudicator).signature), "bad signature")
        refused(lab, "mallory", dataclasses.replace(signed, balance_signature=R.sign_balance_proof(p, carol_key)),
                "bad signature")
        stale = dataclasses.replace(p, nonce=lab["mallory"].channel(lab.address("alice")).partner.balance_proof.nonce)
        if stale.nonce:
            m2 = dataclasses.replace(m, balance_proof=stale, message_identifier=m.message_identifier + 500)
            refused(lab, "mallory", dataclasses.replace(sign(lab, "alice", m2),
                                                        balance_signature=R.sign_balance_proof(stale, KEYS["alice"])),
                    "stale nonce")

    variants(held)
    lab.bus.clear_filters()
    lab.bus.hold_when(lambda s: kind(s) == "Unlock")
    lab.bus.release()
    lab.settle_down()  # the genuine locked transfer, the secret request and reveal
    [unlock] = lab.bus.held
    variants(unlock)
    lab.bus.clear_filters()
    lab.bus.release()
    lab.settle_down()  # the genuine unlock
    assert lab.balance("mallory", "alice") == ETH
    refused(lab, "mallory", unlock, "replayed message")
    replayed = dataclasses.replace(unlock.message, message_identifier=unlock.message.message_identifier + 500)
    refused(lab, "mallory", dataclasses.replace(sign(lab, "alice", replayed),
                                                balance_signature=unlock.balance_signature), "unknown lock")
    # A lock that expires: its LockExpired, forged or stale, is refused too.
    lab.bus.drop_when(lambda s: kind(s) == "SecretRequest")
    lab["alice"].pay(lab.address("mallory"), ETH)
    lab.settle_down()
    lab.bus.hold_when(lambda s: kind(s) == "LockExpired")
    lab.wait(3 * lab.preset.reveal_timeout + 1)
    expired = lab.bus.held[0]  # (and its resends)
    variants(expired)
    lab.bus.clear_filters()
    lab.bus.release()
    lab.settle_down()
    assert not lab["mallory"].channel(lab.address("alice")).partner.locks
    # Co-signed requests: a withdraw request whose L1 signature is not the sender's.
    cid = lab["alice"].channel(lab.address("mallory")).identifier
    request = M.WithdrawRequest(lab.address("mallory"), lab.address("alice"), 7000, cid, ETH // 2,
                                lab.l1.block_number() + 4)
    withdraw = R.WithdrawRequest(cid, lab.l1.chain_id, lab.adjudicator, lab.address("mallory"), ETH // 2,
                                 request.expiration)
    forged = dataclasses.replace(M.sign_message(request, KEYS["mallory"], lab.l1.chain_id, lab.adjudicator),
                                 balance_signature=R.sign(withdraw.digest(), carol_key))
    alice = lab["alice"]
    before = codec.dumps(alice.state)
    with pytest.raises(Refused, match="bad signature"):
        alice.receive(forged)
    assert codec.dumps(alice.state) == before
    assert lab.balance("alice", "mallory") == 9 * ETH and lab.balance("mallory", "alice") == ETH


def test_a_watchtower_refuses_forged_stale_and_foreign_requests(lab: ChannelLab) -> None:
    """The watchtower checks what it is handed as L1 would: the closer's signature, the user's
    counter-signature and reward signature, a nonce above the one it keeps, this adjudicator and chain."""
    lab.open("alice", "mallory", 10 * ETH)
    tower = Watchtower(TOWER, lab.l1, lab.adjudicator, lab.monitoring_service)
    lab.l1.transact(KEYS["mallory"], lab.monitoring_service, MonitoringService, "deposit", lab.address("mallory"),
                    value=ETH)
    for amount in (ETH, ETH):
        lab["alice"].transfer_direct(lab.address("mallory"), amount)
        lab.settle_down()
    channel = lab["mallory"].channel(lab.address("alice"))
    good = monitor_request(KEYS["mallory"], channel, lab.monitoring_service, ETH // 100)
    checks = [
        (dataclasses.replace(good, closing_signature=R.sign_balance_proof(good.balance_proof, KEYS["carol"])),
         "bad signature"),
        (dataclasses.replace(good, non_closing_signature=R.sign(R.update_digest(
            good.balance_proof, good.closing_signature), KEYS["carol"])), "bad signature"),
        (dataclasses.replace(good, reward_signature=R.sign(good.reward(lab.monitoring_service).digest(),
                                                           KEYS["carol"])), "bad signature"),
        (dataclasses.replace(good, reward_amount=2 * ETH), "bad signature"),  # the reward as signed, no more
    ]
    for bad, rule in checks:
        with pytest.raises(R.ChannelRuleError, match=rule):
            tower.accept(bad)
    tower.accept(good)
    with pytest.raises(R.ChannelRuleError, match="stale nonce"):
        tower.accept(good)  # the same proof again
    elsewhere = Watchtower(TOWER, lab.l1, lab.registry, lab.monitoring_service)  # watching another adjudicator
    with pytest.raises(R.ChannelRuleError, match="wrong adjudicator"):
        elsewhere.accept(good)
    assert tower.stats.accepted == 1 and tower.watched[channel.identifier].request == good
    assert lab.balance("mallory", "alice") == 2 * ETH


# -- lying proofs and forged locks on L1 ---------------------------------------------------------------------


def _closed_with_locks(lab: ChannelLab, locks: list[R.Lock], locked: int, secrets: list[bytes]) -> tuple:
    """mallory closes on alice's proof of ``locks`` (locked amount ``locked``, as alice signed it), the
    ``secrets`` are registered in time, and the channel settles; the channel identifier and alice's proof."""
    lab.open("alice", "mallory", 10 * ETH)
    for name in ("alice", "mallory"):
        lab.online(name, False)
    l1, adj = lab.l1, lab.adjudicator
    cid = lab["alice"].channel(lab.address("mallory")).identifier
    alice, mallory = lab.address("alice"), lab.address("mallory")
    proof = R.BalanceProof(cid, l1.chain_id, adj, 1, ETH, locked, R.compute_locksroot(locks))
    signature = R.sign_balance_proof(proof, KEYS["alice"])
    for secret in secrets:
        l1.transact(KEYS["mallory"], lab.registry, SecretRegistry, "register_secret", secret)
    l1.transact(KEYS["mallory"], adj, ChannelAdjudicator, "close_channel", cid, mallory, alice, 1, ETH, locked,
                proof.locksroot, signature, R.sign(R.close_digest(proof, signature), KEYS["mallory"]))
    lab.wait(lab.preset.default_settle_timeout + 2)
    l1.transact(KEYS["carol"], adj, ChannelAdjudicator, "settle_channel", cid, alice, ETH, locked,
                proof.locksroot, mallory, 0, 0, R.EMPTY_LOCKSROOT)
    return cid, proof


def _lock(lab: ChannelLab, amount: int, secret: bytes, blocks: int = 8) -> R.Lock:
    return R.Lock(amount, *R.lock_expiration(lab.l1.block_number(), lab.l1.timestamp(), blocks),
                  R.secrethash_of(secret))


def test_an_unlock_with_forged_locks_is_refused_and_the_real_ones_pay_exactly(lab: ChannelLab) -> None:
    """After settlement mallory unlocks alice's locks with forgeries: a lock's amount raised, its secret
    hash swapped for one she knows, the locks reordered, one dropped. None hashes to the locksroot L1
    kept: each is refused and pays nothing. The real locks pay mallory the claimed one, alice the rest."""
    known, unknown = b"\x61" * 32, b"\x62" * 32
    locks = [_lock(lab, 2 * ETH, known), _lock(lab, 3 * ETH, unknown)]
    cid, proof = _closed_with_locks(lab, locks, 5 * ETH, [known])
    alice, mallory = lab.address("alice"), lab.address("mallory")
    assert paid_on_l1(lab)["alice"] == 4 * ETH and paid_on_l1(lab)["mallory"] == ETH
    forgeries = [
        [locks[0], locks[1]._replace(amount=5 * ETH)],
        [locks[0], locks[1]._replace(secrethash=R.secrethash_of(known))],
        [locks[1], locks[0]],
        [locks[0]],
    ]
    for forged in forgeries:
        with pytest.raises(TransactionReverted, match="nothing to unlock"):
            lab.l1.transact(KEYS["mallory"], lab.adjudicator, ChannelAdjudicator, "unlock", cid, mallory, alice,
                            R.encode_locks(forged))
    assert lab.l1.balance(lab.adjudicator) == 5 * ETH
    lab.l1.transact(KEYS["carol"], lab.adjudicator, ChannelAdjudicator, "unlock", cid, mallory, alice,
                    R.encode_locks(locks))
    paid = paid_on_l1(lab)
    assert (paid["alice"], paid["mallory"]) == (7 * ETH, 3 * ETH) and lab.l1.balance(lab.adjudicator) == 0
    assert proof.locked_amount == 5 * ETH


@pytest.mark.parametrize("locked, to_mallory", [(9 * ETH, 2 * ETH), (ETH, ETH)])
def test_a_proof_whose_locked_amount_lies_about_its_locks(lab: ChannelLab, locked: int, to_mallory: int) -> None:
    """A proof whose locked amount is not the sum of its locks (9 or 1 ETH for one lock of 2) is refused
    by a receiving peer (``locked amount mismatch``); on L1 the receiver of such a proof is paid its
    claimed locks up to what settlement retained, and the rest goes back: never more than was locked,
    and the totals add up."""
    secret = b"\x63" * 32
    lock = _lock(lab, 2 * ETH, secret)
    bad = R.BalanceProof(1, lab.l1.chain_id, lab.adjudicator, 1, ETH, locked, R.compute_locksroot([lock]))
    with pytest.raises(R.ChannelRuleError, match="locked amount mismatch"):
        R.check_pending_locks(bad, [lock])
    cid, _ = _closed_with_locks(lab, [lock], locked, [secret])
    lab.l1.transact(KEYS["carol"], lab.adjudicator, ChannelAdjudicator, "unlock", cid, lab.address("mallory"),
                    lab.address("alice"), R.encode_locks([lock]))
    paid = paid_on_l1(lab)
    assert paid["mallory"] == ETH + to_mallory and paid["alice"] == 10 * ETH - ETH - to_mallory
    assert lab.l1.balance(lab.adjudicator) == 0


def test_a_secret_registered_past_both_the_block_and_the_second_of_a_lock_is_refunded(lab: ChannelLab) -> None:
    """Three locks of alice to mallory, their secrets registered: one after its block but within its second
    (blocks mined fast: counts), one after its second but within its block (time travel: counts), one a
    block *and* a second past (refunded to alice). (One block and one second late together:
    ``test_channels_adjudicator.test_locks_unlock_after_settlement_by_secrets_registered_in_time``.)"""
    fast, travelled, late = b"\x64" * 32, b"\x65" * 32, b"\x66" * 32
    b0, t0 = lab.l1.block_number(), lab.l1.timestamp()
    locks = [R.Lock(ETH, b0 + 3, t0 + 10_000, R.secrethash_of(fast)),
             R.Lock(2 * ETH, b0 + 10_000, t0 + 30, R.secrethash_of(travelled)),
             R.Lock(3 * ETH, b0 + 60, t0 + 60 * SECONDS_PER_SLOT, R.secrethash_of(late))]
    lab.l1.mine(5)  # past the first lock's block, within its second
    lab.l1.transact(KEYS["mallory"], lab.registry, SecretRegistry, "register_secret", fast)
    lab.l1.increase_time(60)  # past the second lock's second, within its block
    lab.l1.transact(KEYS["mallory"], lab.registry, SecretRegistry, "register_secret", travelled)
    lab.l1.mine(60)
    lab.l1.increase_time(60 * SECONDS_PER_SLOT)
    assert R.is_lock_expired(locks[2], lab.l1.block_number() + 1, lab.l1.timestamp())
    lab.l1.transact(KEYS["mallory"], lab.registry, SecretRegistry, "register_secret", late)
    cid, _ = _closed_with_locks(lab, locks, 6 * ETH, [])
    lab.l1.transact(KEYS["carol"], lab.adjudicator, ChannelAdjudicator, "unlock", cid, lab.address("mallory"),
                    lab.address("alice"), R.encode_locks(locks))
    [unlocked] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelUnlocked")
    assert (unlocked["unlocked_amount"], unlocked["returned_amount"]) == (3 * ETH, 3 * ETH)
    paid = paid_on_l1(lab)
    assert (paid["alice"], paid["mallory"]) == (6 * ETH, 4 * ETH) and lab.l1.balance(lab.adjudicator) == 0


# -- the watchtower and the clock ---------------------------------------------------------------------------------


def test_a_burst_of_blocks_does_not_make_the_watchtower_give_up_while_the_window_runs(lab: ChannelLab) -> None:
    """mallory closes stale on carol, who is offline and hired a watchtower, then mines two windows' worth
    of blocks in a second. The window runs on by its seconds (``_Channel.window_open``), and so does the
    watchtower's patience and its deadline: it lands carol's update and carol is paid all mallory sent
    her. (Before the fix the watchtower judged the window by its blocks alone, saw it over, and kept
    still; mallory then settled on her stale close and carol lost the 4 ETH.)"""
    lab.open("mallory", "carol", 10 * ETH)
    tower = lab.add_watchtower("tower", TOWER)
    lab.hire("carol", "tower", ETH // 100)
    for amount in (ETH, 3 * ETH):
        lab["mallory"].transfer_direct(lab.address("carol"), amount)
    lab.settle_down()
    lab.online("carol", False)
    lab["mallory"].close(lab.address("carol"))
    lab.settle_down()
    cid = lab["mallory"].channel(lab.address("carol")).identifier
    window = lab.preset.default_settle_timeout
    lab.l1.mine(2 * window)
    lab.settle_down()
    assert not tower.stats.updates_landed  # not yet: half the window's seconds must pass first (patience)
    lab.wait(window + 2)
    assert tower.stats.updates_landed == [cid]
    assert paid_on_l1(lab)["carol"] == 4 * ETH and paid_on_l1(lab)["mallory"] == 6 * ETH
    assert tower.stats.rewards == [(cid, ETH // 100)]


def test_a_lock_whose_seconds_are_spent_is_refused_so_a_burst_of_blocks_cannot_expire_it(lab: ChannelLab) -> None:
    """A lock expires past both its block and its second, so its seconds are what a burst of blocks cannot
    buy. mallory, paying through carol to her own trudy, sends a lock with blocks to spare but its second
    already past: it would expire by blocks alone. Had carol carried it on, trudy would reveal the secret
    at once (carol pays her), and mallory would mine a burst of blocks before carol registers it on L1:
    carol's incoming lock expired, her outgoing one paid, 1 ETH lost. (Before the fix carol took the lock,
    since it was not near its expiry by *both* measures, and lost the 1 ETH.) Now she refuses a lock
    that has no more than a reveal timeout of seconds left, whatever its blocks say."""
    lab.open("mallory", "carol", 10 * ETH)
    lab.open("carol", "trudy", 10 * ETH)
    carol = lab["carol"]
    channel = lab["mallory"].channel(lab.address("carol"))
    secret = b"\x71" * 32
    block, now = carol.state.block_number, carol.state.block_timestamp
    lock = R.Lock(ETH, block + 3 * lab.preset.reveal_timeout, now - 1, R.secrethash_of(secret))
    proof = R.BalanceProof(channel.identifier, lab.l1.chain_id, lab.adjudicator, channel.our.balance_proof.nonce + 1,
                           0, ETH, R.compute_locksroot([lock]))
    mallory, trudy = lab.address("mallory"), lab.address("trudy")
    route = (mallory, lab.address("carol"), trudy)
    message = M.LockedTransfer(mallory, lab.address("carol"), 9000, 1, ETH, mallory, trudy, route, lock, proof)
    carol.receive(dataclasses.replace(sign(lab, "mallory", message),
                                      balance_signature=R.sign_balance_proof(proof, KEYS["mallory"])))
    [refund] = [m for m in carol.state.queue.values() if isinstance(m, M.RefundTransfer)]
    assert "expires within the reveal timeout" in refund.reason
    lab.settle_down()
    assert not lab["trudy"].channel(lab.address("carol")).partner.locks  # nothing went on to trudy
    # The rest of the attack finds nothing to take: trudy's reveal is unexpected, the burst expires a lock
    # carol never paid on.
    lab.bus.send(sign(lab, "trudy", M.SecretReveal(trudy, lab.address("carol"), 9001, secret)))
    lab.settle_down()
    lab.l1.mine(4 * lab.preset.reveal_timeout)
    lab.settle_down()
    assert R.is_lock_expired(lock, lab.l1.block_number(), lab.l1.timestamp())
    assert lab.balance("carol", "trudy") == 10 * ETH and lab.balance("trudy", "carol") == 0
    assert lab.balance("carol", "mallory") == 0  # the refused lock stays mallory's


def test_a_quiet_chain_then_a_burst_of_blocks_cannot_expire_a_mediators_claim(lab: ChannelLab) -> None:
    """On a chain that mines on demand, time passes without blocks. mallory pays her own trudy through
    carol and trudy keeps the secret from carol until carol's lock to her has run out of seconds (though
    not of blocks), then reveals it: carol pays her, as the lock to trudy has not expired. carol's own
    incoming lock from mallory has seconds spent too, so one burst of blocks would expire it; carol
    therefore registers the secret on L1 at once, and is made whole on L1 although mallory never unlocks.
    (Before the fix carol waited for the lock to near its expiry by blocks as well, mallory's burst
    expired it first, and carol lost the 1 ETH she paid trudy.)"""
    lab.open("mallory", "carol", 10 * ETH)
    lab.open("carol", "trudy", 10 * ETH)
    lab.bus.drop_when(lambda s: kind(s) == "SecretReveal" and s.message.recipient == lab.address("carol"))
    secret = b"\x72" * 32
    lab["mallory"].pay(lab.address("trudy"), ETH, secret=secret)
    lab.settle_down()
    [incoming] = lab["carol"].channel(lab.address("mallory")).partner.locks.values()
    lab.online("mallory", False)  # paid by nobody, she will never unlock to carol
    lab.l1.rpc("evm_increaseTime", incoming.expiration_time - lab.l1.timestamp() + 1)
    lab.l1.mine(1)  # a quiet spell: every lock's seconds are spent, its blocks are not
    lab.settle_down()
    assert lab.l1.block_number() < incoming.expiration - lab.preset.reveal_timeout
    lab.bus.clear_filters()
    lab.bus.send(sign(lab, "trudy", M.SecretReveal(lab.address("trudy"), lab.address("carol"), 9100, secret)))
    lab.settle_down()
    assert lab.balance("trudy", "carol") == ETH  # carol paid trudy
    assert lab.l1.events(lab.registry, SecretRegistry, "SecretRevealed")  # and registered it, before any block
    lab.l1.mine(lab.preset.reveal_timeout * 4)  # mallory's burst
    lab.settle_down()
    [reveal] = lab.l1.events(lab.registry, SecretRegistry, "SecretRevealed")
    at = R.Reveal(reveal["blockNumber"], int(lab.l1.block(reveal["blockNumber"])["timestamp"], 16))
    assert R.is_unlocked(incoming, at)  # registered before the burst expired it
    lab.wait(lab.preset.default_settle_timeout + 4)  # carol closes on mallory, settles, unlocks
    paid = paid_on_l1(lab)
    assert paid["carol"] == ETH and paid["mallory"] == 9 * ETH  # carol is even: 1 out to trudy, 1 in on L1
    assert lab.balance("carol", "trudy") == 9 * ETH


def test_a_lock_on_the_zero_secret_which_l1_will_not_register_is_refused(lab: ChannelLab) -> None:
    """The secret registry refuses the zero secret (its hash has a known preimage), so a lock on its hash can
    never be claimed on L1. mallory pays her own trudy through carol on the zero secret: trudy reveals it,
    carol pays her, mallory never unlocks, and carol's registration would revert: her incoming lock
    expires and she is 1 ETH down. (Before the fix carol took the lock and lost the 1 ETH.) Now no peer
    takes such a lock and no initiator makes one: carol refuses it naming the rule, and nobody pays."""
    lab.open("mallory", "carol", 10 * ETH)
    lab.open("carol", "trudy", 10 * ETH)
    with pytest.raises(Refused, match="bad secret"):
        lab["mallory"].pay(lab.address("trudy"), ETH, secret=bytes(32))  # an honest peer never makes one
    carol = lab["carol"]
    channel = lab["mallory"].channel(lab.address("carol"))
    lock = R.Lock(ETH, *R.lock_expiration(carol.state.block_number, carol.state.block_timestamp,
                                          3 * lab.preset.reveal_timeout), R.secrethash_of(bytes(32)))
    proof = R.BalanceProof(channel.identifier, lab.l1.chain_id, lab.adjudicator, channel.our.balance_proof.nonce + 1,
                           0, ETH, R.compute_locksroot([lock]))
    mallory, trudy = lab.address("mallory"), lab.address("trudy")
    message = M.LockedTransfer(mallory, lab.address("carol"), 9200, 1, ETH, mallory, trudy,
                               (mallory, lab.address("carol"), trudy), lock, proof)
    signed = dataclasses.replace(sign(lab, "mallory", message), balance_signature=R.sign_balance_proof(proof,
                                                                                                      KEYS["mallory"]))
    refused(lab, "carol", signed, "bad lock")
    with pytest.raises(TransactionReverted, match="zero secret"):  # why: L1 would never count it
        lab.l1.transact(KEYS["carol"], lab.registry, SecretRegistry, "register_secret", bytes(32))
    lab.wait(4 * lab.preset.reveal_timeout)
    assert lab.balance("carol", "trudy") == 10 * ETH and lab.balance("carol", "mallory") == 0
    assert lab.balance("mallory", "carol") == 10 * ETH
