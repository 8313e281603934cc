"""``l2lab compare``'s workload, its L1 meter, and the L1 and optimistic runners, on real transactions."""

from __future__ import annotations

import pytest

from benchmarks.compare import optimistic
from benchmarks.compare.core import (
    PRESETS,
    PhaseMeter,
    Workload,
    World,
    expected_balances,
)
from benchmarks.compare.l1 import run as run_l1
from benchmarks.compare.run import compare, runner, runners
from rollup.optimistic.lab import OptimisticLab

SMALL = Workload(users=3, transfers=12)


def test_workload_is_deterministic_and_never_pays_oneself():
    a, b = Workload(users=5, transfers=50, seed=3), Workload(users=5, transfers=50, seed=3)
    assert a.pairs == b.pairs and a.keys == b.keys
    assert a.pairs != Workload(users=5, transfers=50, seed=4).pairs
    assert all(s != r for s, r in a.pairs) and len(a.pairs) == 50
    assert len(set(a.addresses)) == 5


def test_hotspot_mix_sends_most_transfers_to_two_users():
    w = Workload(users=16, transfers=400, mix="hotspot")
    to_hot = sum(1 for _, r in w.pairs if r < 2)
    assert to_hot > 0.7 * 400
    uniform = Workload(users=16, transfers=400)
    assert sum(1 for _, r in uniform.pairs if r < 2) < 0.3 * 400


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"users": 1, "transfers": 4}, "at least 2 users"),
    ({"users": 3, "transfers": 0}, "at least 1 transfer"),
    ({"users": 3, "transfers": 4, "mix": "zipf"}, "unknown mix 'zipf'"),
    ({"users": 3, "transfers": 2000}, "outspend"),
])
def test_a_bad_workload_says_what_is_wrong(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        Workload(**kwargs)


def test_expected_balances_keep_the_total():
    w = PRESETS["quick"]
    assert sum(expected_balances(w)) == w.users * w.deposit_wei


def test_the_meter_counts_every_transaction_mined_in_a_phase():
    world = World(SMALL)
    meter = PhaseMeter(world.l1)
    with meter.phase("p"):
        world.l1.transfer(SMALL.keys[0], SMALL.addresses[1], 5)
        world.l1.send(SMALL.keys[1], to=SMALL.addresses[2], data=b"\x01" * 10, value=0)
    world.l1.transfer(SMALL.keys[0], SMALL.addresses[1], 5)  # outside the phase
    phase = meter.phases["p"]
    assert phase.transactions == 2 and phase.calldata == 10
    assert phase.gas == 21_000 + 21_000 + 10 * 16
    assert meter.fees_of(SMALL.addresses[0]) > 0 and meter.fees_of(SMALL.addresses[2]) == 0


def test_the_l1_baseline_pays_21000_gas_a_transfer_and_loses_nothing():
    r = run_l1(World(SMALL))
    assert r.l1_gas == {"transfer": 21_000 * SMALL.transfers}
    assert r.transfer_gas_per_tx == 21_000 and r.lost_wei == 0
    assert r.ceiling_tps() == pytest.approx(30_000_000 / (21_000 * 12))


@pytest.mark.parametrize("fn", [optimistic.run_single, optimistic.run_bisection])
def test_an_optimistic_rollup_carries_the_workload_and_every_user_gets_their_withdrawal(fn):
    world = World(SMALL)
    r = fn(world)
    assert r.lost_wei == 0
    assert all(r.l1_gas[p] > 0 for p in ("setup", "deposit", "transfer", "withdraw"))
    assert r.l1_bytes["transfer"] > 80 * SMALL.transfers  # every transfer's data is posted on L1
    sizes = [size for size, _ in r.batch_curve]
    per_tx = [gas for _, gas in r.batch_curve]
    assert sizes == list(optimistic.CURVE) and per_tx == sorted(per_tx, reverse=True)
    assert r.finality_s == r.withdrawal_delay_s == 7 * 24 * 3600
    assert r.capital_locked_wei == SMALL.users * SMALL.deposit_wei + 10 * 10**18
    assert 0 < r.soft_confirmation_s < r.ingress_seconds


def test_a_withdrawal_never_claimed_counts_as_lost(monkeypatch):
    """The loss check can fail: skip the users' claims and their withdrawals are missing."""
    monkeypatch.setattr(OptimisticLab, "claim_final_withdrawals", lambda self, name: [])
    r = optimistic.run_single(World(SMALL))
    assert r.lost_wei == SMALL.users * SMALL.withdraw_wei


def test_the_bisection_rollup_posts_less_per_transfer_than_the_single_round_one():
    world = World(SMALL)
    single, bisection = optimistic.run_single(world), optimistic.run_bisection(world)
    assert bisection.batch_curve[-1][1] < single.batch_curve[-1][1]  # no intermediate roots in its batches


def test_compare_runs_schemes_on_one_l1_and_names_what_fails(monkeypatch):
    import benchmarks.compare.l1 as l1_runner

    def broken(world):
        raise RuntimeError("the baseline broke")

    monkeypatch.setattr(l1_runner, "run", broken)
    runs, missing = compare(SMALL, ["l1", "optimistic"])
    assert [r.scheme for r in runs] == ["optimistic"]
    assert missing == {"l1": "failed: RuntimeError: the baseline broke"}


def test_every_runner_is_built():
    assert all(runner(s) is not None for s in runners())


def test_the_rows_come_from_the_registry_and_a_row_taken_twice_is_an_error(monkeypatch):
    import node.schemes as registry

    assert list(runners())[:3] == ["l1", "optimistic", "optimistic-bisection"]

    class Clash:
        compare_runners = {"l1": "benchmarks.compare.l1:run"}

    monkeypatch.setattr(registry, "all_schemes", lambda: {"clash": Clash()})
    with pytest.raises(ValueError, match="compare row 'l1' is already taken"):
        runners()
