"""Paying for inclusion: a tip that rises as a deadline nears, and replacing a transaction left waiting."""

from __future__ import annotations

import pytest
from eth_account import Account

from contracts_spec.l1 import GWEI, DeadlineFees, L1Error, max_fee_for, replacement_fee
from node.chain import Chain
from node.rpc import RpcError, in_process_l1

KEY = b"\x07" * 32
SENDER = Account.from_key(KEY).address
DEAD = "0x000000000000000000000000000000000000dEaD"
ETH = 10**18


def test_the_tip_is_the_floor_until_the_urgent_share_of_the_allowance_is_left() -> None:
    fees = DeadlineFees(floor=GWEI, cap=100 * GWEI, share=0.5)
    assert fees.tip(600, 600) == fees.tip(300, 600) == GWEI
    assert fees.tip(299, 600) > GWEI


def test_the_tip_is_the_cap_at_the_deadline_and_after_it() -> None:
    fees = DeadlineFees(floor=GWEI, cap=100 * GWEI)
    assert fees.tip(0, 600) == fees.tip(-30, 600) == 100 * GWEI


def test_the_tip_grows_geometrically_and_never_leaves_floor_to_cap() -> None:
    fees = DeadlineFees(floor=GWEI, cap=400 * GWEI, share=0.5)
    tips = [fees.tip(left, 1000) for left in range(1000, -1, -1)]
    assert tips == sorted(tips)  # the nearer the deadline, the more (never less)
    assert all(GWEI <= t <= 400 * GWEI for t in tips)
    assert fees.tip(250, 1000) == pytest.approx(20 * GWEI, rel=1e-6)  # halfway: the geometric mean


@pytest.mark.parametrize("kwargs", [{"floor": 0}, {"floor": 2 * GWEI, "cap": GWEI}, {"share": 0}, {"share": 1.5}])
def test_a_policy_that_cannot_work_is_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        DeadlineFees(**kwargs)


def _chain(**kwargs) -> tuple[Chain, object]:
    chain = Chain(genesis_alloc={SENDER: 10 * ETH}, **kwargs)
    return chain, in_process_l1(chain)


def test_send_pays_the_tip_it_is_given() -> None:
    _, l1 = _chain()
    default = l1.send(KEY, to=DEAD, value=1, gas=21_000)
    base = int(l1.block(int(default["blockNumber"], 16))["baseFeePerGas"], 16)
    assert int(default["effectiveGasPrice"], 16) == base + GWEI  # the node's suggestion
    bumped = l1.send(KEY, to=DEAD, value=1, gas=21_000, tip=37 * GWEI)
    base = int(l1.block(int(bumped["blockNumber"], 16))["baseFeePerGas"], 16)
    assert int(bumped["effectiveGasPrice"], 16) == base + 37 * GWEI


def test_a_waiting_transaction_is_replaced_at_its_nonce_by_one_paying_the_pools_bump() -> None:
    chain, l1 = _chain(automine=False)
    tip, cap = GWEI, max_fee_for(l1.base_fee(), GWEI)
    first = l1.submit(KEY, to=DEAD, value=1, gas=21_000, tip=tip, max_fee=cap)
    with pytest.raises(L1Error, match="no receipt"):
        l1.wait_for_receipt(first, timeout=0)
    with pytest.raises(RpcError, match="underpriced"):  # one wei short of the bump
        l1.submit(KEY, to=DEAD, value=2, gas=21_000, tip=replacement_fee(tip) - 1, max_fee=replacement_fee(cap),
                  nonce=0)
    second = l1.submit(KEY, to=DEAD, value=2, gas=21_000, tip=replacement_fee(tip), max_fee=replacement_fee(cap),
                       nonce=0)
    chain.mine()
    assert l1.receipt(first) is None
    assert int(l1.wait_for_receipt(second, timeout=0)["status"], 16) == 1
    assert l1.nonce(SENDER) == 1


def test_the_replacement_bump_is_ten_percent_rounded_up() -> None:
    assert replacement_fee(100) == 110 and replacement_fee(101) == 112 and replacement_fee(GWEI) == 1_100_000_000
