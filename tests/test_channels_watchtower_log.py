"""A watchtower restarted from its log still defends what it was hired for, on both L1s.

The user hires the watchtower, hands it proofs and goes offline; the
watchtower dies (its object dropped, its log closed as a kill would leave
it) and a new one starts on the same log. Whether it died before the stale
close, after its update landed or while the update waited in the pool, the
user loses nothing and the reward is claimed once. A log that is not one,
belongs to another watchtower or holds a damaged row is refused naming why.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from channels import codec
from channels.lab import ChannelLab
from channels.watchtower import MonitorRequest, Watchtower, WatchtowerLog, pack_watched
from contracts_spec.channels.contract import ChannelAdjudicator
from contracts_spec.channels.monitoring import MonitoringService
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
REWARD = ETH // 100
KEYS = {"alice": bytes([81]) * 32, "bob": bytes([82]) * 32}
TOWER, OTHER = bytes([91]) * 32, bytes([92]) * 32
DEPLOYER = bytes([98]) * 32


@pytest.fixture
def lab(tmp_path: Path, l1_kind: str) -> ChannelLab:
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), TOWER, OTHER, DEPLOYER]}
    return ChannelLab(new_l1(l1_kind, alloc), KEYS, DEPLOYER, tmp_path)


def start_tower(lab: ChannelLab, log: Path) -> Watchtower:
    return lab.add_watchtower("tower", TOWER, log=log)


def kill_tower(lab: ChannelLab) -> None:
    """The watchtower stops as a crash would stop it: nothing is written on the way out."""
    lab.watchtowers.pop("tower").close()


def bob_hires_the_tower_and_goes_offline(lab: ChannelLab, log: Path) -> int:
    lab.open("alice", "bob", 10 * ETH)
    start_tower(lab, log)
    lab.hire("bob", "tower", REWARD)
    for amount in (ETH, 2 * ETH, ETH):
        lab["alice"].transfer_direct(lab.address("bob"), amount)
    lab.settle_down()
    lab.online("bob", False)
    return lab["alice"].channel(lab.address("bob")).identifier


def alice_closes_stale(lab: ChannelLab) -> None:
    lab["alice"].close(lab.address("bob"))  # with no proof of bob's: as if she had paid nothing
    lab.settle_down()


def settled_to(lab: ChannelLab, name: str) -> int:
    [e] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled")
    address = lab.address(name).lower()
    return e["participant1_amount"] if e["participant1"].lower() == address else e["participant2_amount"]


def bob_lost_nothing_and_the_tower_was_paid_once(lab: ChannelLab) -> None:
    [update] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
    assert update["nonce"] == 3
    assert (settled_to(lab, "alice"), settled_to(lab, "bob")) == (6 * ETH, 4 * ETH)
    [claim] = lab.l1.events(lab.monitoring_service, MonitoringService, "RewardClaimed")
    assert claim["monitoring_service"].lower() == private_key_to_address(TOWER).lower()
    assert claim["amount"] == REWARD


def test_a_tower_restarted_before_the_stale_close_lands_the_update(lab: ChannelLab, tmp_path: Path) -> None:
    log = tmp_path / "tower.sqlite"
    cid = bob_hires_the_tower_and_goes_offline(lab, log)
    kill_tower(lab)
    alice_closes_stale(lab)  # nobody is watching now
    tower = start_tower(lab, log)
    assert tower.watched[cid].request.balance_proof.nonce == 3  # the newest of the three proofs bob handed it
    assert not tower.watched[cid].closed_block  # it reads the close from the block it had reached
    lab.wait(lab.preset.default_settle_timeout + 2)
    assert tower.stats.updates_landed == [cid] and tower.stats.rewards == [(cid, REWARD)]
    bob_lost_nothing_and_the_tower_was_paid_once(lab)
    assert not tower.watched and not Watchtower(TOWER, lab.l1, lab.adjudicator, lab.monitoring_service,
                                                log=log).watched  # done with, on disk too


def test_a_tower_restarted_after_its_update_landed_claims_the_reward(lab: ChannelLab, tmp_path: Path) -> None:
    log = tmp_path / "tower.sqlite"
    cid = bob_hires_the_tower_and_goes_offline(lab, log)
    alice_closes_stale(lab)
    lab.wait(lab.preset.default_settle_timeout // 2 + 1)
    assert lab.watchtowers["tower"].stats.updates_landed == [cid]
    kill_tower(lab)
    tower = start_tower(lab, log)
    assert tower.watched[cid].sent_at >= 0 and tower.watched[cid].closed_block  # it knows it answered
    lab.wait(lab.preset.default_settle_timeout)
    assert tower.stats.rewards == [(cid, REWARD)] and not tower.stats.updates_failed  # no second update
    bob_lost_nothing_and_the_tower_was_paid_once(lab)


def test_a_tower_restarted_while_its_update_waits_in_the_pool_sends_no_second(lab: ChannelLab,
                                                                             tmp_path: Path) -> None:
    log = tmp_path / "tower.sqlite"
    cid = bob_hires_the_tower_and_goes_offline(lab, log)
    alice_closes_stale(lab)
    lab.l1.rpc("evm_setAutomine", False)  # blocks only come when lab.wait mines them
    first = lab.watchtowers["tower"]
    while first.watched[cid].pending is None:
        lab.wait(1)
    sent = first.watched[cid].pending
    kill_tower(lab)
    tower = start_tower(lab, log)
    assert tower.watched[cid].pending == sent
    lab.wait(1)  # the block that mines it: the new watchtower finds its receipt
    assert tower.stats.updates_landed == [cid] and tower.watched[cid].pending is None
    lab.l1.rpc("evm_setAutomine", True)  # the claim waits for its receipt
    lab.wait(lab.preset.default_settle_timeout)
    assert tower.stats.updates_landed == [cid] and tower.stats.rewards == [(cid, REWARD)]
    assert lab.l1.nonce(tower.address) == sent.nonce + 2  # the update, once, and the claim
    bob_lost_nothing_and_the_tower_was_paid_once(lab)


def test_a_damaged_or_foreign_log_is_refused_naming_why(lab: ChannelLab, tmp_path: Path) -> None:
    log = tmp_path / "tower.sqlite"
    cid = bob_hires_the_tower_and_goes_offline(lab, log)
    tower = lab.watchtowers["tower"]
    kept = tower.watched[cid]
    kill_tower(lab)

    with pytest.raises(ValueError, match="this log is for watchtower"):
        Watchtower(OTHER, lab.l1, lab.adjudicator, lab.monitoring_service, log=log)
    with pytest.raises(ValueError, match="this log is for adjudicator"):
        Watchtower(TOWER, lab.l1, lab.registry, lab.monitoring_service, log=log)

    def with_row(data: bytes) -> None:
        db = sqlite3.connect(log)
        db.execute("UPDATE watched SET data = ? WHERE channel = ?", (data, cid))
        db.commit()
        db.close()

    def reopen() -> Watchtower:
        return Watchtower(TOWER, lab.l1, lab.adjudicator, lab.monitoring_service, log=log)

    with_row(b"\x00garbage")
    with pytest.raises(ValueError, match=f"watched channel {cid} cannot be read back: packed record malformed"):
        reopen()
    with_row(codec.pack(("watched/1", "not a request")))
    with pytest.raises(ValueError, match=f"watched channel {cid} cannot be read back: not a watched/1 row"):
        reopen()
    forged = MonitorRequest(**{**kept.request.__dict__, "reward_amount": 100 * REWARD})  # not what bob signed
    with_row(pack_watched(type(kept)(forged)))
    with pytest.raises(ValueError, match=f"watched channel {cid} holds a request that does not verify: bad "
                                         "signature"):
        reopen()
    with_row(pack_watched(kept))
    assert reopen().watched[cid].request == kept.request  # the good row reads back again

    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ValueError, match="not a watchtower log"):
        WatchtowerLog(junk, {"watchtower": "0x0"})
