"""A watchtower defends an offline user against a stale close and is paid the reward the user signed, once.

Every test runs on the toy L1 (the Python contracts) and on anvil (their Solidity twins).

The MonitoringService contract lands the watchtower's update itself, so the
record of who landed it is made by the very call that did; after settlement
only that service may claim, and only once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from channels.lab import ChannelLab
from channels.watchtower import MonitorRequest, Watchtower, check_monitor_request
from contracts_spec.channels import rules as R
from contracts_spec.channels.contract import ChannelAdjudicator
from contracts_spec.channels.monitoring import MonitoringService
from contracts_spec.l1 import TransactionReverted
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
REWARD = ETH // 100
NAMES = ("alice", "bob")
KEYS = {name: bytes([i + 81]) * 32 for i, name in enumerate(NAMES)}
TOWERS = {name: bytes([i + 91]) * 32 for i, name in enumerate(("tower", "rival", "idler"))}
DEPLOYER = bytes([98]) * 32
GAS = 1_000_000


def new_lab(tmp_path: Path, kind: str = "toy") -> ChannelLab:
    alloc = {private_key_to_address(k): 1000 * ETH for k in [*KEYS.values(), *TOWERS.values(), DEPLOYER]}
    return ChannelLab(new_l1(kind, alloc), KEYS, DEPLOYER, tmp_path)


@pytest.fixture
def lab(tmp_path: Path, l1_kind: str) -> ChannelLab:
    return new_lab(tmp_path, l1_kind)


def events(lab: ChannelLab, name: str) -> list[dict]:
    return lab.l1.events(lab.monitoring_service, MonitoringService, name)


def settled_to(lab: ChannelLab, name: str) -> int:
    [e] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled")
    address = lab.address(name).lower()
    return e["participant1_amount"] if e["participant1"].lower() == address else e["participant2_amount"]


def ms(lab: ChannelLab, method: str, *args):
    return lab.l1.call(lab.monitoring_service, MonitoringService, method, *args)


def snapshot(lab: ChannelLab, cid: int) -> tuple:
    return (ms(lab, "balance_of", lab.address("bob")), ms(lab, "reward_info", cid, lab.address("bob")),
            lab.l1.balance(lab.monitoring_service), len(events(lab, "RewardClaimed")))


def refused(lab: ChannelLab, cid: int, key: bytes, method: str, *args, match: str) -> None:
    """The MonitoringService refuses the call naming ``match`` and changes nothing."""
    before = snapshot(lab, cid)
    with pytest.raises(TransactionReverted, match=match):
        lab.l1.transact(key, lab.monitoring_service, MonitoringService, method, *args)
    receipt = lab.l1.transact(key, lab.monitoring_service, MonitoringService, method, *args, gas=GAS, check=False)
    assert int(receipt["status"], 16) == 0
    assert snapshot(lab, cid) == before


def stale_close_while_bob_is_offline(lab: ChannelLab, *towers: str) -> int:
    """Alice pays bob 4 ETH in three payments, bob hires ``towers`` and goes offline, alice closes leaving them out."""
    lab.open("alice", "bob", 10 * ETH)
    for name in towers:
        lab.add_watchtower(name, TOWERS[name])
        lab.hire("bob", name, REWARD)
    for amount in (ETH, 2 * ETH, ETH):
        lab["alice"].transfer_direct(lab.address("bob"), amount)
    lab.settle_down()
    lab.online("bob", False)
    lab["alice"].close(lab.address("bob"))  # alice presents no proof of her own: as if she had paid nothing
    lab.settle_down()
    return lab["alice"].channel(lab.address("bob")).identifier


def test_the_watchtower_defends_the_offline_user_who_loses_nothing_and_pays_the_reward_once(lab: ChannelLab) -> None:
    cid = stale_close_while_bob_is_offline(lab, "tower")
    tower = lab.watchtowers["tower"]
    assert tower.watched[cid].request.balance_proof.nonce == 3
    lab.wait(lab.preset.default_settle_timeout + 2)  # alice settles after the window; bob never comes back
    [update] = lab.l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
    assert update["nonce"] == 3
    assert (settled_to(lab, "alice"), settled_to(lab, "bob")) == (6 * ETH, 4 * ETH)  # bob lost nothing
    [claim] = events(lab, "RewardClaimed")
    assert claim["monitoring_service"].lower() == tower.address.lower() and claim["amount"] == REWARD
    assert tower.stats.rewards == [(cid, REWARD)] and tower.stats.updates_landed == [cid]
    assert ms(lab, "balance_of", lab.address("bob")) == 0 and lab.l1.balance(lab.monitoring_service) == 0
    refused(lab, cid, TOWERS["tower"], "claim_reward", cid, lab.address("bob"), match="no reward")  # not twice


def test_a_watchtower_that_did_nothing_cannot_claim(lab: ChannelLab) -> None:
    cid = stale_close_while_bob_is_offline(lab, "tower")
    bob = lab.address("bob")
    refused(lab, cid, TOWERS["tower"], "claim_reward", cid, bob, match="no reward")  # nothing landed yet
    lab.wait(lab.preset.default_settle_timeout // 2 + 1)
    assert ms(lab, "reward_info", cid, bob)[0].lower() == lab.watchtowers["tower"].address.lower()
    refused(lab, cid, TOWERS["tower"], "claim_reward", cid, bob, match="channel not settled")
    refused(lab, cid, TOWERS["idler"], "claim_reward", cid, bob, match="not the rewarded service")
    lab.wait(lab.preset.default_settle_timeout)
    refused(lab, cid, TOWERS["idler"], "claim_reward", cid, bob, match="no reward")  # claimed by the tower
    assert [e["amount"] for e in events(lab, "RewardClaimed")] == [REWARD]


def test_no_reward_when_the_user_defended_itself(lab: ChannelLab) -> None:
    lab.open("alice", "bob", 10 * ETH)
    lab.add_watchtower("tower", TOWERS["tower"])
    lab.hire("bob", "tower", REWARD)
    lab["alice"].transfer_direct(lab.address("bob"), ETH)
    lab.settle_down()
    cid = lab["alice"].channel(lab.address("bob")).identifier
    lab["alice"].close(lab.address("bob"))
    lab.wait(lab.preset.default_settle_timeout + 2)  # bob is online: his own peer updates at once
    assert settled_to(lab, "bob") == ETH
    tower = lab.watchtowers["tower"]
    assert not tower.stats.updates_landed and not tower.stats.updates_failed  # it saw the update and kept still
    refused(lab, cid, TOWERS["tower"], "claim_reward", cid, lab.address("bob"), match="no reward")
    assert ms(lab, "balance_of", lab.address("bob")) == REWARD  # bob keeps his deposit


def test_two_watchtowers_race_and_only_the_one_whose_update_landed_is_paid(lab: ChannelLab) -> None:
    cid = stale_close_while_bob_is_offline(lab, "tower", "rival")
    lab.wait(lab.preset.default_settle_timeout + 2)
    tower, rival = lab.watchtowers["tower"], lab.watchtowers["rival"]
    assert len(tower.stats.updates_landed) + len(rival.stats.updates_landed) == 1
    winner, loser = (tower, rival) if tower.stats.updates_landed else (rival, tower)
    assert "stale nonce" in loser.stats.updates_failed[0][1]
    [claim] = events(lab, "RewardClaimed")
    assert claim["monitoring_service"].lower() == winner.address.lower() and claim["amount"] == REWARD
    assert winner.stats.rewards == [(cid, REWARD)] and not loser.stats.rewards
    assert (settled_to(lab, "alice"), settled_to(lab, "bob")) == (6 * ETH, 4 * ETH)
    assert ms(lab, "balance_of", lab.address("bob")) == REWARD  # both were offered it; one was paid


def test_monitor_refusals_name_their_rule_and_change_nothing(lab: ChannelLab) -> None:
    cid = stale_close_while_bob_is_offline(lab, "tower")
    bob = lab.address("bob")
    request = lab.watchtowers["tower"].watched[cid].request
    p = request.balance_proof

    def args(r: MonitorRequest = request, nonce: int = p.nonce, reward: int = REWARD) -> tuple:
        return (cid, r.closing_participant, r.non_closing_participant, nonce, p.transferred_amount,
                p.locked_amount, p.locksroot, r.closing_signature, r.non_closing_signature, reward,
                r.reward_signature)

    other = lab.watchtowers["tower"]
    forged = R.sign(request.reward(lab.monitoring_service).digest(), TOWERS["idler"])
    refused(lab, cid, TOWERS["idler"], "monitor", *args(MonitorRequest(**{**request.__dict__,
            "reward_signature": forged})), match="bad signature")
    refused(lab, cid, TOWERS["idler"], "monitor", *args(reward=2 * REWARD), match="bad signature")  # not what bob signed
    rich = lab["bob"].monitoring_request(lab.address("alice"), lab.monitoring_service, 5 * REWARD)
    refused(lab, cid, TOWERS["idler"], "monitor", *args(rich, reward=5 * REWARD), match="reward not covered")
    # A wrong proof makes the adjudicator's update revert, and the whole call with it.
    refused(lab, cid, TOWERS["idler"], "monitor", *args(nonce=p.nonce + 1), match="reward nonce mismatch|signature")
    # The watchtower itself refuses a request that L1 would: a counter-signature by someone else.
    bad = MonitorRequest(**{**request.__dict__, "non_closing_signature": R.sign(
        R.update_digest(p, request.closing_signature), TOWERS["idler"])})
    with pytest.raises(R.ChannelRuleError, match="bad signature"):
        check_monitor_request(bad, chain_id=lab.l1.chain_id, adjudicator=lab.adjudicator,
                              monitoring_service=lab.monitoring_service, last_nonce=0)
    with pytest.raises(R.ChannelRuleError, match="stale nonce"):
        other.accept(request)  # it keeps the newest proof only
    assert ms(lab, "balance_of", bob) == REWARD


def test_a_users_withdrawal_waits_out_the_delay(lab: ChannelLab) -> None:
    bob, key = lab.address("bob"), KEYS["bob"]
    lab.l1.transact(key, lab.monitoring_service, MonitoringService, "deposit", bob, value=REWARD)
    lab.l1.transact(key, lab.monitoring_service, MonitoringService, "plan_withdraw", REWARD)
    assert ms(lab, "effective_balance", bob) == 0  # watchtowers stop counting on it at once
    refused(lab, 1, key, "withdraw", match="withdraw delay")
    lab.wait(lab.preset.reward_withdraw_delay)
    lab.l1.transact(key, lab.monitoring_service, MonitoringService, "withdraw")
    assert ms(lab, "balance_of", bob) == 0 and lab.l1.balance(lab.monitoring_service) == 0


def test_gas_of_monitor_and_claim(lab: ChannelLab) -> None:
    """Gas from the receipts, printed (pytest -s); asserted only to be bounded."""
    cid = stale_close_while_bob_is_offline(lab, "tower")
    request = lab.watchtowers["tower"].watched[cid].request
    lab.watchtowers.clear()  # the test lands it by hand
    p = request.balance_proof
    monitor = lab.l1.transact(TOWERS["tower"], lab.monitoring_service, MonitoringService, "monitor", cid,
                              request.closing_participant, request.non_closing_participant, p.nonce,
                              p.transferred_amount, p.locked_amount, p.locksroot, request.closing_signature,
                              request.non_closing_signature, REWARD, request.reward_signature)
    lab.wait(lab.preset.default_settle_timeout + 2)
    claim = lab.l1.transact(TOWERS["tower"], lab.monitoring_service, MonitoringService, "claim_reward", cid,
                            lab.address("bob"))
    used = {"monitor": int(monitor["gasUsed"], 16), "claim_reward": int(claim["gasUsed"], 16)}
    print(f"\nMonitoringService gas: {used}")
    assert used["monitor"] < 200_000 and used["claim_reward"] < 100_000


def test_watchtower_options_are_checked(lab: ChannelLab) -> None:
    with pytest.raises(ValueError, match="patience"):
        Watchtower(TOWERS["tower"], lab.l1, lab.adjudicator, lab.monitoring_service, patience=1.0)
