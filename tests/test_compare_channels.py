"""``l2lab compare``'s channel runner: the workload as mediated payments through a hub, checked against L1."""

from __future__ import annotations

import pytest

from benchmarks.compare import channels
from benchmarks.compare.core import (
    PhaseMeter,
    SchemeRun,
    Workload,
    World,
    expected_balances,
    gas_of,
)
from contracts_spec.channels.contract import ChannelAdjudicator
from node.schemes.channels import PEER_ACCOUNTS

SIZE = {"users": 4, "transfers": 24, "seed": 5}


def carry(mix: str) -> tuple[World, PhaseMeter, Workload, SchemeRun]:
    workload = Workload(mix=mix, **SIZE)
    world = World(workload)
    meter = PhaseMeter(world.l1)
    with meter.phase("all"):  # every L1 transaction of the run, to check the fees it reports
        run = channels.run(world)
    return world, meter, workload, run


@pytest.fixture(scope="module")
def uniform():
    return carry("uniform")


@pytest.fixture(scope="module")
def hotspot():
    return carry("hotspot")


def events(world: World, run: SchemeRun, name: str) -> list[dict]:
    return world.l1.events(run.extra["adjudicator"]["value"], ChannelAdjudicator, name)


@pytest.mark.parametrize("mix", ["uniform", "hotspot"])
def test_nobody_loses_and_every_balance_is_what_the_workload_implies(mix, uniform, hotspot):
    world, meter, workload, run = uniform if mix == "uniform" else hotspot
    l1 = world.l1
    assert run.lost_wei == 0
    for address, balance in zip(workload.addresses, expected_balances(workload), strict=True):
        fees = meter.fees_of(address)
        assert fees > 0
        # The cooperative settlement paid out the whole channel: the deposit back, plus received, minus sent.
        assert l1.balance(address) == World.USER_L1_BALANCE - fees - workload.deposit_wei + balance
    hub = world.dev[PEER_ACCOUNTS[0]].address
    assert l1.balance(hub) == 10_000 * 10**18 - meter.fees_of(hub)  # the hub gets back exactly what it locked
    assert l1.balance(run.extra["adjudicator"]["value"]) == 0


@pytest.mark.parametrize("mix", ["uniform", "hotspot"])
def test_the_hub_funds_each_channel_with_what_its_user_receives(mix, uniform, hotspot):
    world, _, workload, run = uniform if mix == "uniform" else hotspot
    hub = world.dev[PEER_ACCOUNTS[0]].address.lower()
    receives = dict.fromkeys((a.lower() for a in workload.addresses), 0)
    for _, receiver in workload.pairs:
        receives[workload.addresses[receiver].lower()] += workload.amount_wei
    user_of = {e["channel_identifier"]: ({e["participant1"].lower(), e["participant2"].lower()} - {hub}).pop()
               for e in events(world, run, "ChannelOpened")}
    assert sorted(user_of.values()) == sorted(receives)
    hub_funds = {user_of[e["channel_identifier"]]: e["total_deposit"]
                 for e in events(world, run, "ChannelNewDeposit") if e["participant"].lower() == hub}
    assert hub_funds == {u: r for u, r in receives.items() if r}
    users_funds = [e["total_deposit"] for e in events(world, run, "ChannelNewDeposit") if e["participant"].lower() != hub]
    assert users_funds == [workload.deposit_wei] * workload.users
    assert run.extra["hub_locked_wei"]["value"] == workload.transfers * workload.amount_wei
    assert run.capital_locked_wei == workload.users * workload.deposit_wei + workload.transfers * workload.amount_wei


def test_a_hot_spot_concentrates_the_hubs_capital(uniform, hotspot):
    # The same total either way (every payment's amount), but toward the hot receivers in one channel each.
    assert uniform[3].extra["hub_locked_wei"] == hotspot[3].extra["hub_locked_wei"]
    assert hotspot[3].extra["hub_largest_channel_wei"]["value"] > uniform[3].extra["hub_largest_channel_wei"]["value"]


def test_l1_gas_by_phase_is_what_the_receipts_say(uniform):
    world, _, workload, run = uniform
    l1 = world.l1

    def gas(name: str) -> int:
        return sum(gas_of(l1.receipt(e["transactionHash"])) for e in events(world, run, name))

    assert len(events(world, run, "ChannelOpened")) == len(events(world, run, "ChannelSettled")) == workload.users
    assert run.l1_gas["transfer"] == run.l1_bytes["transfer"] == 0  # the payments never touch L1
    assert run.l1_gas["deposit"] == gas("ChannelNewDeposit")
    assert run.l1_gas["withdraw"] == gas("ChannelSettled")  # one cooperative_settle per channel, nothing else
    assert run.l1_gas["setup"] > gas("ChannelOpened")  # the opens and the contracts' deployment
    assert not events(world, run, "ChannelClosed")


def test_the_batch_curve_falls_as_a_channel_carries_more_payments(uniform):
    curve = uniform[3].batch_curve
    assert len(curve) >= 2
    counts = [count for count, _ in curve]
    assert counts == sorted(set(counts))
    assert curve[0][1] > curve[-1][1]
    assert sum(counts) <= 2 * SIZE["transfers"]  # a payment crosses two channels


def test_hub_deposits_count_every_payment_toward_its_receiver():
    assert channels.hub_deposits(((0, 1), (2, 1), (1, 0)), 3, 5) == [5, 10, 0]
