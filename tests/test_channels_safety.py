"""The safety invariants of ``shared/ARCHITECTURE.md``, one scenario each, as payment channels meet them.

Each test is named after its invariant and says in its docstring how channels meet it; each ends with
the honest participants' balances, exact to the wei. The attacks of the issue's scenarios are in
``test_channels_attacks``; the tests here reference the narrower ones that already exist.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels import messages as M
from channels.lab import ChannelLab
from channels.transition import Refused
from contracts_spec.channels import rules as R
from contracts_spec.channels.contract import CLOSED, ChannelAdjudicator, SecretRegistry
from contracts_spec.channels.monitoring import MonitoringService
from contracts_spec.channels.params import MINIMAL, SECONDS_PER_SLOT
from contracts_spec.l1 import GWEI, DeadlineFees, L1Client, TransactionReverted, max_fee_for
from node.chain import Chain
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("alice", "bob", "carol", "mallory", "stuffer")
KEYS = {name: bytes([i + 131]) * 32 for i, name in enumerate(NAMES)}
TOWER = bytes([141]) * 32
DEPLOYER = bytes([142]) * 32
DEAD = "0x000000000000000000000000000000000000dEaD"
GAS = 2_000_000


def new_lab(tmp_path: Path, names: tuple[str, ...] = ("alice", "bob", "mallory"), kind: str = "toy") -> ChannelLab:
    """Peers on a fresh L1 of ``kind``: the toy L1, or anvil with the contracts' Solidity twins."""
    alloc = {private_key_to_address(k): 10_000 * ETH for k in [*KEYS.values(), TOWER, DEPLOYER]}
    return ChannelLab(new_l1(kind, alloc), {n: KEYS[n] for n in names}, DEPLOYER, tmp_path)


@pytest.fixture
def lab(tmp_path: Path, l1_kind: str) -> ChannelLab:
    return new_lab(tmp_path, kind=l1_kind)


def paid_on_l1(lab: ChannelLab, *names: str) -> tuple[int, ...]:
    """What the adjudicator paid each of ``names``, at settlement and by unlocks."""
    paid: dict[str, int] = {}
    for e in lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled"):
        for who, amount in ((e["participant1"], e["participant1_amount"]),
                            (e["participant2"], e["participant2_amount"])):
            paid[who.lower()] = paid.get(who.lower(), 0) + amount
    for e in lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelUnlocked"):
        paid[e["receiver"].lower()] = paid.get(e["receiver"].lower(), 0) + e["unlocked_amount"]
        paid[e["sender"].lower()] = paid.get(e["sender"].lower(), 0) + e["returned_amount"]
    return tuple(paid.get(lab.address(n).lower(), 0) for n in names)


def channel_info(lab: ChannelLab, cid: int) -> tuple:
    return lab.l1.call(lab.adjudicator, ChannelAdjudicator, "channel_info", cid)


# -- 1. time is not for sale ---------------------------------------------------------------------------------


def test_time_is_not_for_sale(lab: ChannelLab) -> None:
    """Every deadline of the scheme counts blocks *and* 12-second slots, so mining blocks faster than real
    time ends none of them early: the settlement window (``_Channel.window_open``), a lock's expiry
    (``rules.is_lock_expired``: past both its block and its second) and the MonitoringService's withdraw
    delay (``rules.is_user_withdraw_ready``). Here mallory mines three windows' worth of blocks in a
    second: alice's lock to bob does not expire (bob claims it on L1 afterwards), alice's stale close
    cannot be settled, bob's update still lands, and bob's planned withdrawal from the MonitoringService
    still waits. (On L1 alone:
    ``test_channels_adjudicator.test_blocks_mined_faster_than_real_time_expire_no_lock_early`` and
    ``test_settle_waits_for_both_the_blocks_and_the_seconds_of_the_window``; peers:
    ``test_channels_peer.test_blocks_mined_faster_than_real_time_expire_no_lock``.)"""
    lab.open("alice", "bob", 10 * ETH)
    lab["alice"].transfer_direct(lab.address("bob"), 2 * ETH)
    lab.settle_down()
    lab.bus.hold_when(lambda s: type(s.message).__name__ == "SecretRequest")  # bob waits with the lock
    lab.pay("alice", "bob", ETH)
    [lock] = lab["alice"].channel(lab.address("bob")).our.locks.values()
    window = lab.preset.default_settle_timeout
    lab.l1.mine(3 * window)
    lab.settle_down()
    assert lab.l1.block_number() > lock.expiration and not R.is_lock_expired(lock, lab.l1.block_number(),
                                                                               lab.l1.timestamp())
    assert lab["bob"].channel(lab.address("alice")).partner.locks  # alice sent no LockExpired: it still runs
    # Bob plans a withdrawal of his MonitoringService deposit; the delay's blocks pass in a burst.
    ms = lab.monitoring_service
    lab.l1.transact(KEYS["bob"], ms, MonitoringService, "deposit", lab.address("bob"), value=ETH)
    lab.l1.transact(KEYS["bob"], ms, MonitoringService, "plan_withdraw", ETH)
    lab.l1.mine(3 * lab.preset.reward_withdraw_delay)
    with pytest.raises(TransactionReverted, match="withdraw delay"):
        lab.l1.transact(KEYS["bob"], ms, MonitoringService, "withdraw")
    # Alice closes leaving out her payment while bob is away; a burst of blocks does not end the window.
    lab.online("bob", False)
    lab["alice"].close(lab.address("bob"))
    lab.settle_down()
    cid = lab["alice"].channel(lab.address("bob")).identifier
    lab.l1.mine(3 * window)
    lab.settle_down()  # alice's peer would settle if the window were over
    assert channel_info(lab, cid)[0] == CLOSED
    lab.online("bob", True)
    lab.settle_down()  # bob is back in the window's seconds: his update lands
    assert [e["nonce"] for e in lab.l1.events(lab.adjudicator, ChannelAdjudicator,
                                               "NonClosingBalanceProofUpdated")] == [2]
    lab.bus.clear_filters()
    lab.bus.release()  # bob asks alice for the secret at last: his lock, three windows of blocks on, still runs
    lab.wait(window + 2)
    [reveal] = lab.l1.events(lab.registry, SecretRegistry, "SecretRevealed")
    assert reveal["blockNumber"] > lock.expiration  # registered on L1 (the channel is closed) past its block...
    [unlocked] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelUnlocked")
    assert unlocked["unlocked_amount"] == ETH  # ...and in time: it pays bob
    lab.l1.increase_time(lab.preset.reward_withdraw_delay * SECONDS_PER_SLOT)
    lab.l1.transact(KEYS["bob"], ms, MonitoringService, "withdraw")  # its slots have passed: now it goes out
    assert paid_on_l1(lab, "alice", "bob") == (7 * ETH, 3 * ETH)
    assert lab.l1.balance(lab.adjudicator) == 0 and lab.l1.balance(ms) == 0


# -- 2. every honest party can act in time ----------------------------------------------------------------------


def _stuff(l1: L1Client, tip: int, leave: int) -> None:
    """Fill the next block with the stuffer's calldata-heavy transfers, all but ``leave`` gas, at ``tip``.

    The toy L1 ranks its pool by effective tip, as geth does, so the stuffer's fee cap buys it nothing and
    is set high. anvil ranks by fee cap (``max_fee_per_gas``) instead, which no mainnet client does: there
    the stuffer's cap is what any sender sets (``max_fee_for`` the base fee and its tip), so the test still
    asks whether a rising tip beats a stuffer, not whether a cap beats anvil's ordering."""
    todo = int(l1.block("latest")["gasLimit"], 16) - leave
    cap = 5_000 * GWEI if getattr(l1, "kind", "toy") == "toy" else max_fee_for(l1.base_fee(), tip)
    while todo >= 21_000:
        gas = min(todo, 1_900_000)
        data = b"\x01" * ((gas - 21_000) // 16)
        gas = 21_000 + 16 * len(data)
        l1.submit(KEYS["stuffer"], to=DEAD, data=data, gas=gas, tip=tip, max_fee=cap)
        todo -= gas


def test_every_honest_party_can_act_in_time(tmp_path: Path, l1_kind: str) -> None:
    """Blocks are filled by gas used, so keeping a transaction out costs the stuffer real fees, and the
    watchtower's update of an offline user's channel pays a tip that rises as the settlement window
    closes (``contracts_spec.l1.DeadlineFees``, by the window's seconds left), replacing its waiting
    transaction at its nonce each time. Mallory closes stale while bob is offline and a stuffer fills every
    block at 20 gwei from the moment the watchtower acts: its update still lands before the window ends,
    outbidding the stuffer, and bob is paid what alice owed him. (Before the watchtower raised its tip it
    sent at the node's suggestion and never got in.) A peer online defends itself the same way:
    ``test_a_peer_online_lands_its_own_update_through_stuffed_blocks``."""
    lab = new_lab(tmp_path, ("alice", "bob", "stuffer"), l1_kind)
    lab.open("alice", "bob", 10 * ETH)
    tower = lab.add_watchtower("tower", TOWER, fees=DeadlineFees(cap=200 * GWEI))
    lab.hire("bob", "tower", ETH // 100)
    for amount in (ETH, 3 * ETH):
        lab["alice"].transfer_direct(lab.address("bob"), amount)
    lab.settle_down()
    lab.online("bob", False)
    lab["alice"].close(lab.address("bob"))
    lab.settle_down()
    lab.online("alice", False)  # she waits for the window to end
    cid = lab["alice"].channel(lab.address("bob")).identifier
    _, window, settle_block, settle_time = channel_info(lab, cid)
    l1, attacker_tip, leave = lab.l1, 20 * GWEI, 50_000
    l1.rpc("evm_setAutomine", False)
    full_blocks = 0
    try:
        while not tower.stats.updates_landed:
            assert l1.block_number() < settle_block, "the window ended without the watchtower's update"
            if tower.watched[cid].pending is not None or tower.watched[cid].sent_at >= 0:
                _stuff(l1, attacker_tip, leave)
            tower.poll()
            l1.rpc("evm_increaseTime", SECONDS_PER_SLOT)
            l1.mine(1)
            tower.poll()
            block = l1.block("latest")
            if not tower.stats.updates_landed and int(block["gasUsed"], 16) >= int(block["gasLimit"], 16) - leave:
                full_blocks += 1
    finally:
        l1.rpc("evm_setAutomine", True)
    [update] = l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
    receipt = l1.receipt(update["transactionHash"])
    base = int(l1.block(update["blockNumber"])["baseFeePerGas"], 16)
    assert int(receipt["effectiveGasPrice"], 16) - base > attacker_tip  # it outbid the stuffer
    assert full_blocks >= 3 and update["blockNumber"] <= settle_block
    lab.online("alice", True)
    lab.wait(window + 2)
    assert paid_on_l1(lab, "alice", "bob") == (6 * ETH, 4 * ETH)  # bob lost nothing
    assert tower.stats.rewards == [(cid, ETH // 100)]


def test_a_peer_online_lands_its_own_update_through_stuffed_blocks(tmp_path: Path, l1_kind: str) -> None:
    """The same defence without a watchtower: bob is online, and his peer's own update is a transaction with
    a deadline (the window's end, by its seconds). It goes out at a tip that rises as the window closes
    (``DeadlineSender`` with ``DeadlineFees``), replaced at its nonce on each new block while it waits, one
    such transaction in flight at a time. A stuffer fills every block at 20 gwei from the close on; bob's
    update still lands inside the window, outbidding the stuffer, and bob is paid what alice owed him.
    (Before, the peer sent at the node's suggested tip and waited for a receipt that never came.)"""
    lab = new_lab(tmp_path, ("alice", "bob", "stuffer"), l1_kind)
    lab.open("alice", "bob", 10 * ETH)
    for amount in (ETH, 3 * ETH):
        lab["alice"].transfer_direct(lab.address("bob"), amount)
    lab.settle_down()
    bob = lab["bob"]
    cid = bob.channel(lab.address("alice")).identifier
    l1, attacker_tip, leave = lab.l1, 20 * GWEI, 50_000
    lab["alice"].close(lab.address("bob"))  # mined; bob's peer has not read it yet
    _, window, settle_block, _ = channel_info(lab, cid)
    l1.rpc("evm_setAutomine", False)
    full_blocks = 0
    try:
        updated: list = []
        while not updated:
            assert l1.block_number() < settle_block, "the window ended without bob's update"
            _stuff(l1, attacker_tip, leave)
            l1.rpc("evm_increaseTime", SECONDS_PER_SLOT)
            l1.mine(1)
            bob.poll()
            block = l1.block("latest")
            updated = l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
            if not updated and int(block["gasUsed"], 16) >= int(block["gasLimit"], 16) - leave:
                full_blocks += 1
    finally:
        l1.rpc("evm_setAutomine", True)
    [update] = updated
    receipt = l1.receipt(update["transactionHash"])
    base = int(l1.block(update["blockNumber"])["baseFeePerGas"], 16)
    assert int(receipt["effectiveGasPrice"], 16) - base > attacker_tip  # it outbid the stuffer
    assert full_blocks >= 3 and update["blockNumber"] <= settle_block and not bob.urgent
    lab.wait(window + 2)
    assert paid_on_l1(lab, "alice", "bob") == (6 * ETH, 4 * ETH)  # bob lost nothing


# -- 3. bounded work -----------------------------------------------------------------------------------------


def test_bounded_work(lab: ChannelLab) -> None:
    """Nothing on L1 loops except ``unlock``, over at most ``max_locks`` locks the caller sends, so every
    call's gas is bounded whatever others posted: close, update and settle cost the same with no lock and
    with a full set (a locksroot is one word), and unlocking the full set with *every* secret registered
    (one registry call per lock, the worst case) fits in a small share of a block. A peer never commits to
    more locks than that (``test_channels_peer.test_pending_locks_per_channel_are_capped``), nor does the
    contract take more (``test_unlock_refuses_bad_lock_bytes_and_more_than_the_cap``)."""
    lab.online("alice", False)
    lab.online("bob", False)
    l1, adj = lab.l1, lab.adjudicator
    alice, bob = lab.address("alice"), lab.address("bob")
    n = MINIMAL.max_locks
    secrets = [(i + 1).to_bytes(32, "big") for i in range(n)]
    expiry = R.lock_expiration(l1.block_number(), l1.timestamp(), 100)
    locks = [R.Lock(ETH // 1000, *expiry, R.secrethash_of(s)) for s in secrets]
    gas: dict[str, list[int]] = {"close": [], "update": [], "settle": []}
    for round_locks in ([], locks):
        l1.transact(KEYS["alice"], adj, ChannelAdjudicator, "open_channel", bob, MINIMAL.default_settle_timeout)
        cid = l1.call(adj, ChannelAdjudicator, "channel_identifier", alice, bob)
        l1.transact(KEYS["alice"], adj, ChannelAdjudicator, "set_total_deposit", cid, alice, bob, ETH, value=ETH)
        mine = R.BalanceProof(cid, l1.chain_id, adj, 3, 0, R.locked_amount_of(round_locks),
                              R.compute_locksroot(round_locks))
        theirs = R.BalanceProof(cid, l1.chain_id, adj, 2, 0, 0, R.EMPTY_LOCKSROOT)
        ms, ts = R.sign_balance_proof(mine, KEYS["alice"]), R.sign_balance_proof(theirs, KEYS["bob"])
        receipt = l1.transact(KEYS["alice"], adj, ChannelAdjudicator, "close_channel", cid, alice, bob, 2, 0, 0,
                              R.EMPTY_LOCKSROOT, ts, R.sign(R.close_digest(theirs, ts), KEYS["alice"]))
        gas["close"].append(int(receipt["gasUsed"], 16))
        receipt = l1.transact(KEYS["bob"], adj, ChannelAdjudicator, "update_non_closing_balance_proof", cid, alice,
                              bob, 3, 0, mine.locked_amount, mine.locksroot, ms,
                              R.sign(R.update_digest(mine, ms), KEYS["bob"]))
        gas["update"].append(int(receipt["gasUsed"], 16))
        _, _, settle_block, settle_time = channel_info(lab, cid)
        l1.rpc("evm_increaseTime", settle_time - l1.timestamp() + 1)
        l1.mine(settle_block - l1.block_number() + 1)
        receipt = l1.transact(KEYS["mallory"], adj, ChannelAdjudicator, "settle_channel", cid, alice, 0, mine.locked_amount, mine.locksroot, bob, 0, 0,
                              R.EMPTY_LOCKSROOT)
        gas["settle"].append(int(receipt["gasUsed"], 16))
    # Every secret registered in time (their locks run 100 blocks and slots; it is still before that).
    for secret in secrets:
        l1.transact(KEYS["mallory"], lab.registry, SecretRegistry, "register_secret", secret)
    receipt = l1.transact(KEYS["mallory"], adj, ChannelAdjudicator, "unlock", cid, bob, alice, R.encode_locks(locks))
    limit = int(l1.block("latest")["gasLimit"], 16)
    assert int(receipt["gasUsed"], 16) < limit // 3
    for call, (empty, full) in gas.items():  # a full set of locks costs these calls a few words at most
        assert full - empty < 25_000, (call, empty, full)
    [unlocked] = l1.events(adj, ChannelAdjudicator, "ChannelUnlocked")
    assert (unlocked["unlocked_amount"], unlocked["returned_amount"]) == (n * (ETH // 1000), 0)
    assert paid_on_l1(lab, "alice", "bob") == (2 * ETH - n * (ETH // 1000), n * (ETH // 1000))
    assert l1.balance(adj) == 0


# -- 4. posted data is final; claims are disputed --------------------------------------------------------------


def test_posted_data_is_final(lab: ChannelLab) -> None:
    """What a channel posts on L1 is a balance proof its partner signed; a later call can only replace it
    with a newer one of the same signer (a strictly higher nonce) during the window, never with an older
    one, never by the other side, never after the window. The close is the claim, the update its dispute;
    settlement pays by the proofs L1 holds, with the values behind their hashes. Here mallory closes on
    an old proof of alice's, alice's peer updates with mallory's newest, and mallory tries to push her
    older proofs back, to update alice's side, to close again and to settle with other values: each is
    refused, and alice is paid her exact off-chain balance."""
    lab.open("alice", "mallory", 5 * ETH, 5 * ETH)
    for _ in range(3):
        lab["mallory"].transfer_direct(lab.address("alice"), ETH)
        lab.settle_down()
    lab["alice"].transfer_direct(lab.address("mallory"), ETH // 2)
    lab.settle_down()
    mallory_peer = lab["mallory"]
    channel = mallory_peer.channel(lab.address("alice"))
    cid = channel.identifier
    alice_proof, alice_sig = channel.partner.balance_proof, channel.partner.signature
    # mallory's own older proofs, re-signed (she can sign anything of her own)
    old = R.BalanceProof(cid, lab.l1.chain_id, lab.adjudicator, 1, ETH, 0, R.EMPTY_LOCKSROOT)
    old_sig = R.sign_balance_proof(old, KEYS["mallory"])
    lab["mallory"].close(lab.address("alice"))
    lab.settle_down()  # alice's peer sees the close and updates with mallory's newest proof (3 ETH sent)
    alice, mallory = lab.address("alice"), lab.address("mallory")
    [update] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
    assert update["nonce"] == 3

    def refused(method: str, *args: object, match: str) -> None:
        before = (channel_info(lab, cid), lab.l1.call(lab.adjudicator, ChannelAdjudicator, "participant_info", cid,
                                                      alice),
                  lab.l1.call(lab.adjudicator, ChannelAdjudicator, "participant_info", cid, mallory))
        with pytest.raises(TransactionReverted, match=match):
            lab.l1.transact(KEYS["mallory"], lab.adjudicator, ChannelAdjudicator, method, *args, gas=GAS)
        assert before == (channel_info(lab, cid), lab.l1.call(lab.adjudicator, ChannelAdjudicator,
                                                              "participant_info", cid, alice),
                          lab.l1.call(lab.adjudicator, ChannelAdjudicator, "participant_info", cid, mallory))

    # Her older proof, counter-signed by a key she holds (not alice's): refused; and not newer anyway.
    refused("update_non_closing_balance_proof", cid, mallory, alice, 1, ETH, 0, R.EMPTY_LOCKSROOT, old_sig,
            R.sign(R.update_digest(old, old_sig), KEYS["mallory"]), match="stale nonce")
    # Updating alice's side (alice did not close): only the closer's proof can be updated.
    refused("update_non_closing_balance_proof", cid, alice, mallory, alice_proof.nonce + 1, 0, 0, R.EMPTY_LOCKSROOT,
            alice_sig, R.sign(R.update_digest(alice_proof, alice_sig), KEYS["mallory"]), match="not the closer")
    # Closing again, with a newer-looking proof: the channel is closed already.
    refused("close_channel", cid, mallory, alice, alice_proof.nonce, alice_proof.transferred_amount, 0,
            R.EMPTY_LOCKSROOT, alice_sig, R.sign(R.close_digest(alice_proof, alice_sig), KEYS["mallory"]),
            match="wrong channel state")
    window = lab.preset.default_settle_timeout
    lab.wait(window + 2)  # alice's peer settles with the values behind the hashes
    assert paid_on_l1(lab, "alice", "mallory") == (5 * ETH + 3 * ETH - ETH // 2, 5 * ETH - 3 * ETH + ETH // 2)
    assert lab.l1.balance(lab.adjudicator) == 0


# -- 5. identities are fixed by L1 ---------------------------------------------------------------------------


def test_identities_are_fixed_by_l1(lab: ChannelLab) -> None:
    """A channel's identifier is the adjudicator's counter when ``open_channel`` lands, and its participants
    are the two addresses L1 recorded: no peer chooses either. Every balance proof names the identifier, the
    chain and the adjudicator, so a proof of a settled channel is useless on the pair's reopened one, both to
    the partner's peer (``wrong channel``) and to the contract (its signature does not recover to the
    signer under the new identifier; under the old one the channel is unknown). Here alice pays bob 3 ETH,
    they settle and reopen; bob replays alice's old payment on the new channel, to her peer's new channel
    state and to L1: refused, and alice keeps her new deposit. (Contract only:
    ``test_channels_adjudicator.test_a_reopened_channel_refuses_the_old_channels_proofs``.)"""
    lab.open("alice", "bob", 10 * ETH)
    lab["alice"].transfer_direct(lab.address("bob"), 3 * ETH)
    lab.settle_down()
    first = lab["alice"].channel(lab.address("bob")).identifier
    assert first == lab.l1.call(lab.adjudicator, ChannelAdjudicator, "channel_counter")
    [paid] = [s for s in lab.bus.delivered if isinstance(s.message, M.DirectTransfer)]
    lab["alice"].close(lab.address("bob"))
    lab.wait(lab.preset.default_settle_timeout + 2)
    assert paid_on_l1(lab, "alice", "bob") == (7 * ETH, 3 * ETH)
    lab.open("alice", "bob", 4 * ETH)
    second = lab["bob"].channel(lab.address("alice")).identifier
    assert second == first + 1 == lab.l1.call(lab.adjudicator, ChannelAdjudicator, "channel_counter")
    assert second == lab["alice"].channel(lab.address("bob")).identifier
    # bob, holding alice's old proof, plays it back as a payment to himself on the new channel... (to alice's
    # peer as if it came from alice: the replay of the very message, then under a fresh message identifier)
    old = paid.message
    assert isinstance(old, M.DirectTransfer)
    bob = lab["bob"]
    for message in (old, M.DirectTransfer(old.sender, old.recipient, old.message_identifier + 1000,
                                          old.payment_identifier + 1, old.amount, old.balance_proof)):
        signed = M.Signed(message, paid.signature if message is old else M.sign_message(
            message, KEYS["alice"], lab.l1.chain_id, lab.adjudicator).signature, paid.balance_signature)
        with pytest.raises(Refused, match="wrong channel|replayed message"):
            bob.receive(signed)
    # ...and closes the new channel with it on L1.
    p, sig = old.balance_proof, paid.balance_signature
    alice, bob_address = lab.address("alice"), lab.address("bob")
    for cid in (second, first):
        with pytest.raises(TransactionReverted, match="bad signature|unknown channel"):
            lab.l1.transact(KEYS["bob"], lab.adjudicator, ChannelAdjudicator, "close_channel", cid, bob_address, alice,
                            p.nonce, p.transferred_amount, 0, R.EMPTY_LOCKSROOT, sig,
                            R.sign(R.close_digest(R.BalanceProof(cid, p.chain_id, p.adjudicator, p.nonce,
                                                                 p.transferred_amount, 0, R.EMPTY_LOCKSROOT), sig),
                                   KEYS["bob"]), gas=GAS)
    assert lab.balance("alice", "bob") == 4 * ETH and lab.balance("bob", "alice") == 0
    assert channel_info(lab, second)[0] == 1  # still open


# -- 6. no frozen state ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("bob_closes_first", [False, True])
def test_no_frozen_state(lab: ChannelLab, bob_closes_first: bool) -> None:
    """No one can lock a participant's funds for ever: either side may close alone with the partner's latest
    proof (or none), anyone may settle after the window, and anyone may unlock after settlement, where
    every lock whose secret was never registered goes back to its sender. bob pays alice 2 ETH, alice
    locks 3 ETH to bob and nobody ever registers its secret; then bob vanishes, having closed on alice's
    proof with the lock in it (or not closed at all). alice alone updates or closes, settles and unlocks,
    gets exactly what she did not pay, and the pair may open a new channel."""
    lab.open("alice", "bob", 10 * ETH, 5 * ETH)
    lab["bob"].transfer_direct(lab.address("alice"), 2 * ETH)
    lab.settle_down()
    lab.bus.drop_when(lambda s: type(s.message).__name__ == "SecretRequest")  # nobody learns the secret
    lab.pay("alice", "bob", 3 * ETH)
    assert lab["alice"].channel(lab.address("bob")).our.locks
    if bob_closes_first:
        lab["bob"].close(lab.address("alice"))  # alice's proof, lock and all, is on L1
    lab.online("bob", False)  # for good
    lab.bus.drop_when(lambda s: s.message.recipient == lab.address("bob"))
    if not bob_closes_first:
        lab["alice"].close(lab.address("bob"))
    lab.wait(lab.preset.default_settle_timeout + 2)
    assert lab.l1.call(lab.adjudicator, ChannelAdjudicator, "channel_identifier", lab.address("alice"),
                       lab.address("bob")) == 0
    assert paid_on_l1(lab, "alice", "bob") == (12 * ETH, 3 * ETH)  # the lock came back to alice
    assert len(lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelUnlocked")) == int(bob_closes_first)
    assert lab.l1.balance(lab.adjudicator) == 0 and not lab.l1.events(lab.registry, SecretRegistry, "SecretRevealed")
    lab.bus.clear_filters()
    lab.online("bob", True)
    lab.open("alice", "bob", ETH)  # nothing left of the old channel stands in the way
    assert lab.balance("alice", "bob") == ETH


# -- 7. nothing acknowledged is lost --------------------------------------------------------------------------


def test_nothing_acknowledged_is_lost(lab: ChannelLab) -> None:
    """A peer logs every state change before it acts on it (``channels.wal``), so what it acknowledged
    (a ``Processed`` goes out only after the change that applied the message is logged) survives a kill -9:
    recovery is a replay. Here bob acknowledges three payments, is killed before he can do anything else,
    and alice closes on the first of them; the restarted bob updates with her latest and is paid all of it.
    (Mid-payment crashes: ``test_channels_peer_disputes.test_a_peer_killed_mid_payment_restarts_from_its_log_and_the_payment_completes``;
    a kill -9 of a mediator process over HTTP: ``test_channels_http``; the pruned state equal to a replay:
    ``test_channels_pruning.test_the_pruned_state_is_what_a_replay_of_the_log_gives``.)"""
    lab.open("alice", "bob", 10 * ETH)
    for amount in (ETH, 2 * ETH, 3 * ETH):
        lab["alice"].transfer_direct(lab.address("bob"), amount)
    lab.settle_down()
    acknowledged = [i for s in lab.bus.delivered if isinstance(s.message, M.Processed)
                    and s.message.sender == lab.address("bob") for i in s.message.identifiers]
    assert len(acknowledged) == 3 and not lab["alice"].state.queue
    lab.kill("bob")
    # alice closes on bob's behalf-less view: as if she had paid only the first
    channel = lab["alice"].channel(lab.address("bob"))
    cid = channel.identifier
    empty = R.BalanceProof.empty(cid, lab.l1.chain_id, lab.adjudicator)
    lab.l1.transact(KEYS["alice"], lab.adjudicator, ChannelAdjudicator, "close_channel", cid, lab.address("alice"),
                    lab.address("bob"), 0, 0, 0, R.EMPTY_LOCKSROOT, b"",
                    R.sign(R.close_digest(empty, b""), KEYS["alice"]))
    lab.restart("bob")
    assert lab.balance("bob", "alice") == 6 * ETH  # replayed from the log
    lab.wait(lab.preset.default_settle_timeout + 2)
    assert paid_on_l1(lab, "alice", "bob") == (4 * ETH, 6 * ETH)


# -- 8. the node is not an open door ---------------------------------------------------------------------------


def test_the_node_is_not_an_open_door(tmp_path: Path) -> None:
    """The channel routes that move the world for everyone (``tick``, taking a peer off or on the network)
    need the node's admin token, in the ``Authorization: Bearer`` header and nowhere else; the user routes
    act only for the dev accounts the node hosts. A wrong token, a token in the query, a Basic header or a
    token with a suffix are all 401 and change nothing. (Each route, and the 409s of the rules:
    ``test_channels_api.test_admin_routes_need_the_token`` and its neighbours.)"""
    from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
    from node.schemes.channels import PEER_ACCOUNTS
    from node.schemes.channels.api import router
    from node.schemes.channels.service import ChannelService
    from node.server import create_app

    token = "safety-token-" * 3
    accounts = derive_dev_accounts(7)
    chain = Chain(genesis_alloc=genesis_alloc(accounts, 100 * ETH))
    app = create_app(chain, dev_keys=dev_keys(accounts), routers=[router], admin_token=token)
    l1 = L1Client.in_process(app.state.dispatcher)
    service = ChannelService.deploy(l1, accounts[3].private_key, MINIMAL,
                                    {i: accounts[i].private_key for i in PEER_ACCOUNTS}, tmp_path)
    app.state.channels = service
    client = TestClient(app)
    try:
        assert client.post("/api/channels/open", json={"peer": 3, "partner": 4, "deposit": str(ETH)}).status_code == 200
        block = chain.block_number
        for path in ("tick", "peers/4/offline", "peers/4/online"):
            for attempt in ({"headers": {"Authorization": f"Bearer {token}x"}},
                            {"headers": {"Authorization": f"Basic {token}"}},
                            {"headers": {"Authorization": token}},
                            {"params": {"token": token}},
                            {"headers": {"X-Admin-Token": token}}):
                r = client.post(f"/api/channels/{path}", **attempt)  # type: ignore[arg-type]
                assert r.status_code == 401, (path, attempt, r.text)
        assert chain.block_number == block and service.bus.is_online(accounts[4].address)
        r = client.post("/api/channels/pay", json={"peer": 0, "target": 4, "amount": "1"})
        assert r.status_code == 404  # not a hosted peer: nobody can spend the deployer's or anyone else's keys
        assert client.post("/api/channels/tick", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert service.peers[3].balance(accounts[4].address) == ETH  # peer 3 lost nothing
    finally:
        service.shutdown()
        chain.close()
