"""``l2lab compare``'s Plasma runner: the workload through a child chain, checked against L1's own record."""

from __future__ import annotations

import pytest

from benchmarks.compare import plasma
from benchmarks.compare.core import PhaseMeter, Workload, World, expected_balances, gas_of
from contracts_spec.plasma.contract import RootChain

WORKLOAD = Workload(users=4, transfers=20, seed=3)


@pytest.fixture(scope="module")
def carried():
    world = World(WORKLOAD)
    meter = PhaseMeter(world.l1)
    with meter.phase("all"):  # every L1 transaction of the run, to check the fees it reports
        done = plasma.carry(world)
    yield world, meter, done
    done.operator.close()


def events(world: World, root_chain: str, name: str) -> list[dict]:
    return world.l1.events(root_chain, RootChain, name)


def test_blocks_never_hold_two_spends_of_one_sender_and_keep_the_order():
    pairs = WORKLOAD.pairs
    blocks = plasma.cut_blocks(pairs)
    assert [k for b in blocks for k in b] == list(range(len(pairs)))
    for block in blocks:
        senders = [pairs[k][0] for k in block]
        assert len(senders) == len(set(senders))
    for before, after in zip(blocks, blocks[1:], strict=False):  # a block closes only when it must
        assert pairs[after[0]][0] in {pairs[k][0] for k in before}


def test_honest_users_lose_nothing_and_hold_what_the_workload_implies(carried):
    world, meter, done = carried
    w, l1, run = WORKLOAD, world.l1, done.result
    assert run.lost_wei == 0
    expected = expected_balances(w)
    done.operator.sync()  # the operator reads the exits from L1
    for i, (address, watcher) in enumerate(zip(w.addresses, done.watchers, strict=True)):
        fees = meter.fees_of(address)
        assert fees > 0
        assert l1.balance(address) == World.USER_L1_BALANCE - w.deposit_wei + w.withdraw_wei - fees
        on_child = expected[i] - w.withdraw_wei
        assert watcher.balance() == on_child
        held = sum(o.amount for o in done.operator.view.utxos.values() if o.owner.lower() == address.lower())
        assert held == on_child  # the operator's view agrees with the user's own
    # The root chain holds exactly what is still on the child chain: every bond went back.
    assert l1.balance(done.root_chain) == sum(expected) - w.users * w.withdraw_wei


def test_l1_gas_by_phase_is_what_the_receipts_say(carried):
    world, _, done = carried
    run, l1 = done.result, world.l1
    submitted = events(world, done.root_chain, "BlockSubmitted")
    transfer_blocks = run.extra["transfer_blocks"]["value"]
    assert len(submitted) == transfer_blocks + 1  # the transfers' blocks, then the withdrawal split
    assert transfer_blocks >= len(WORKLOAD.pairs) // WORKLOAD.users
    gas = [gas_of(l1.receipt(e["transactionHash"])) for e in submitted]
    assert run.l1_gas["transfer"] == sum(gas[:-1])
    assert run.l1_bytes["transfer"] == 36 * transfer_blocks  # submit_block(bytes32): selector and root
    deposits = events(world, done.root_chain, "DepositCreated")
    assert len(deposits) == WORKLOAD.users
    assert run.l1_gas["deposit"] == sum(gas_of(l1.receipt(e["transactionHash"])) for e in deposits)
    started = events(world, done.root_chain, "ExitStarted")
    paid = events(world, done.root_chain, "ExitFinalized")
    assert len(started) == len(paid) == WORKLOAD.users
    assert {e["paid"] for e in paid} == {WORKLOAD.withdraw_wei + run.extra["exit_bond_wei"]["value"]}
    withdraw = gas[-1] + sum(gas_of(l1.receipt(e["transactionHash"])) for e in started)
    assert run.l1_gas["withdraw"] > withdraw  # and the finalize_exits call(s)
    assert run.capital_locked_wei == WORKLOAD.users * (WORKLOAD.deposit_wei + run.extra["exit_bond_wei"]["value"])


def test_the_batch_curve_falls_with_block_size(carried):
    curve = carried[2].result.batch_curve
    assert len(curve) >= 2
    sizes = [size for size, _ in curve]
    assert sizes == sorted(set(sizes))
    per_transfer = [gas for _, gas in curve]
    assert all(a > b for a, b in zip(per_transfer, per_transfer[1:], strict=False))


def test_the_exit_waits_out_the_period_on_l1(carried):
    run = carried[2].result
    period = run.extra["run_exit_period_blocks"]["value"]
    assert run.extra["exit_wait_l1_blocks"]["value"] >= period
    assert run.extra["exit_wait_l1_s"]["value"] >= period * 12
    assert run.withdrawal_delay_s == 7 * 24 * 3600  # the mainnet preset's period, reported as the parameter
