"""The zk-rollup's row of ``l2lab compare``: a small workload through real Groth16 batches on the toy L1.

One run (3 users, 5 transfers) is checked against what L1 itself says: the
balances a full node rebuilds from L1 data alone, the users' ETH on L1 less
the fees their own transactions paid, and the gas of every verified batch,
read from its receipt and sorted by what its pubdata carries.
"""

from __future__ import annotations

import pytest
from eth_abi import decode as abi_decode

from benchmarks.compare.core import Workload, World, calldata_of, gas_of
from benchmarks.compare.zk import carry
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.contract import ZkRollup
from rollup.zk.fullnode import ZkFullNode, queued_deposits

pytestmark = pytest.mark.slow

WORKLOAD = Workload(users=3, transfers=5)


@pytest.fixture(scope="module")
def carried():
    world = World(WORKLOAD)
    result, lab = carry(world)
    return world, result, lab


def _fees_paid(world: World, address: str) -> int:
    """What ``address`` paid in L1 fees, from every receipt of the chain."""
    paid = 0
    for n in range(world.l1.block_number() + 1):
        for r in world.l1.rpc("eth_getBlockReceipts", hex(n)) or []:
            if str(r["from"]).lower() == address.lower():
                paid += gas_of(r) * int(str(r["effectiveGasPrice"]), 0)
    return paid


def _posted_batches(world: World, lab) -> list[tuple[pd.Pubdata, dict]]:
    """Every batch L1 verified: its decoded pubdata and its receipt."""
    out = []
    for e in world.l1.events(lab.address, ZkRollup, "BatchVerified"):
        tx = world.l1.rpc("eth_getTransactionByHash", e["transactionHash"])
        (data,) = abi_decode(["bytes"], bytes.fromhex(tx["input"][2:])[4:])
        _, _, raw = pd.decode_commit(data)
        out.append((pd.decode(lab.preset, raw), world.l1.receipt(e["transactionHash"])))
    return out


def test_honest_users_lose_nothing(carried):
    _, result, _ = carried
    assert result.scheme == "zk" and result.label == "zk-rollup (Groth16)"
    assert result.lost_wei == 0


def test_every_user_ends_with_what_the_workload_says(carried):
    world, _, lab = carried
    node = ZkFullNode(world.l1, lab.address, lab.preset)  # rebuilt from L1 alone, nothing from the operator
    node.sync()
    owner_index = {int(d.owner, 16): d.index for d in queued_deposits(world.l1, lab.address)}
    for i, address in enumerate(WORKLOAD.addresses):
        sent = sum(WORKLOAD.amount_wei for s, _ in WORKLOAD.pairs if s == i)
        received = sum(WORKLOAD.amount_wei for _, r in WORKLOAD.pairs if r == i)
        account = node.state.account(owner_index[int(address, 16)])
        assert account is not None
        assert account.balance == WORKLOAD.deposit_wei + received - sent - WORKLOAD.withdraw_wei
        assert account.nonce == sum(1 for s, _ in WORKLOAD.pairs if s == i) + 1  # its transfers and a withdrawal
        assert world.l1.balance(address) == (World.USER_L1_BALANCE - WORKLOAD.deposit_wei + WORKLOAD.withdraw_wei
                                             - _fees_paid(world, address))
        assert lab.call("withdrawable", address) == 0  # claimed


def test_gas_per_phase_is_what_the_receipts_say(carried):
    world, result, lab = carried
    batches = _posted_batches(world, lab)
    by_phase = {"deposit": 0, "transfer": 0, "withdraw": 0}
    counts = dict.fromkeys(by_phase, 0)
    for posted, receipt in batches:
        kinds = [k for k, n in (("deposit", posted.n_deposits), ("transfer", len(posted.transfers)),
                                ("withdraw", len(posted.withdrawals))) if n]
        assert len(kinds) == 1, "each batch carries one phase's operations"
        by_phase[kinds[0]] += gas_of(receipt)
        counts[kinds[0]] += 1
    assert sum(len(p.transfers) for p, _ in batches) == WORKLOAD.transfers
    assert sum(len(p.withdrawals) for p, _ in batches) == WORKLOAD.users
    assert counts["transfer"] == result.extra["batches_transfer"]["value"] >= 2
    deposits = [world.l1.receipt(e["transactionHash"])
                for e in world.l1.events(lab.address, ZkRollup, "DepositQueued")]
    claims = [world.l1.receipt(e["transactionHash"])
              for e in world.l1.events(lab.address, ZkRollup, "WithdrawalClaimed")]
    assert len(deposits) == len(claims) == WORKLOAD.users
    assert result.l1_gas["transfer"] == by_phase["transfer"] > 0
    assert result.l1_gas["deposit"] == by_phase["deposit"] + sum(gas_of(r) for r in deposits)
    assert result.l1_gas["withdraw"] == by_phase["withdraw"] + sum(gas_of(r) for r in claims)
    assert result.l1_gas["setup"] > 0 and all(v > 0 for v in result.l1_bytes.values())
    assert result.l1_bytes["transfer"] == sum(calldata_of(world.l1, r) for p, r in batches if p.transfers)


def test_ingress_and_the_curve_falls_as_the_batch_fills(carried):
    _, result, lab = carried
    assert result.ingress_seconds > 0 and result.soft_confirmation_s > 0
    fills = [k for k, _ in result.batch_curve]
    assert len(fills) >= 2 and fills == sorted(fills) and fills[-1] == lab.preset.transfer_slots
    per_transfer = [g for _, g in result.batch_curve]
    assert all(a > b for a, b in zip(per_transfer, per_transfer[1:], strict=False))
    assert result.finality_s > 12 and result.withdrawal_delay_s > 24
    assert result.capital_locked_wei == WORKLOAD.users * WORKLOAD.deposit_wei
    assert result.extra["constraints_per_batch"]["value"] > 0
