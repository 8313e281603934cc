"""The baseline of ``l2lab compare``: every transfer of the workload as a plain ETH transfer on L1.

No deposits and no withdrawals: the users' money already is on L1. Each
transfer is a signed EIP-1559 transaction of 21,000 gas, mined by the toy L1;
what it takes to sign, send and mine them all on this machine is the
ingress figure. Confirmation is one L1 block; finality is Ethereum's: two
epochs of 32 slots of 12 s.
"""

from __future__ import annotations

import time

from benchmarks.compare.core import BLOCK_SECONDS, PhaseMeter, SchemeRun, World

EPOCH_SLOTS = 32
FINALITY_S = 2 * EPOCH_SLOTS * BLOCK_SECONDS  # Casper FFG finalises a block two epochs on: 768 s


def run(world: World) -> SchemeRun:
    w, l1 = world.workload, world.l1
    meter = PhaseMeter(l1)
    start = [l1.balance(a) for a in w.addresses]
    latencies = []
    with meter.phase("transfer"):
        began = time.perf_counter()
        for sender, receiver in w.pairs:
            t0 = time.perf_counter()
            l1.transfer(w.keys[sender], w.addresses[receiver], w.amount_wei)
            latencies.append(time.perf_counter() - t0)
        ingress = time.perf_counter() - began
    moved = [0] * w.users
    for sender, receiver in w.pairs:
        moved[sender] -= w.amount_wei
        moved[receiver] += w.amount_wei
    lost = sum(max(0, start[i] + moved[i] - meter.fees_of(a) - l1.balance(a)) for i, a in enumerate(w.addresses))
    gas_per_tx = meter.phases["transfer"].gas / w.transfers
    latencies.sort()
    return SchemeRun(
        scheme="l1", label="L1 directly (plain transfers)", workload=w.label,
        ingress_seconds=ingress, transfers=w.transfers,
        l1_gas={"transfer": meter.phases["transfer"].gas}, l1_bytes={"transfer": meter.phases["transfer"].calldata},
        batch_curve=[(1, gas_per_tx)],
        soft_confirmation_s=float(BLOCK_SECONDS),
        soft_what=f"inclusion in the next L1 block: one {BLOCK_SECONDS} s slot (protocol); the toy L1 mined each "
                  f"in {latencies[len(latencies) // 2] * 1e3:.1f} ms (median, measured)",
        finality_s=float(FINALITY_S),
        finality_what="Ethereum's finality: two epochs of 32 slots (protocol)",
        withdrawal_delay_s=0.0, withdrawal_what="nothing to withdraw: the money is on L1",
        capital_locked_wei=0, capital_what="none",
        user_duty="nothing",
        lost_wei=lost,
        notes=["every transfer is its own L1 transaction: 21,000 gas and no calldata, whatever the load"],
        extra={"median_send_ms": {"unit": "ms", "value": latencies[len(latencies) // 2] * 1e3}},
    )
