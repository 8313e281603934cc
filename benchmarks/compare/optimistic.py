"""The optimistic rollups in ``l2lab compare``: the single-round fraud-proof rollup and the bisection one.

Both run the workload the same way, with the mainnet-like preset (a 7-day
challenge window, a 10 ETH operator bond, 2**32 accounts): the users
deposit and the operator posts the deposits in a batch; the users sign the
workload's transfers (EIP-712) and hand them to the operator, a few one by
one (the soft-confirmation latency) and the rest in calls of 100; the
operator posts them in full batches; every user withdraws, the operator
posts the withdrawals, the window passes by time travel and every user
claims on L1. A challenger watches throughout and finds nothing to prove.
The batch curve comes from batches of 1, 10, 100 and 1,000 transfers posted
after the workload on the same rollup.
"""

from __future__ import annotations

import statistics
import time

from benchmarks.compare.core import PhaseMeter, SchemeRun, World, expected_balances
from contracts_spec.optimistic.bisection import BisectionRollup
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.params import MAINNET
from rollup.optimistic.lab import OptimisticLab

OPERATOR, CHALLENGER = 9, 8  # the dev accounts l2lab node gives these roles
SINGLE = 8  # transfers handed over one at a time, for the latency of one
CALL = 100  # transfers per call after those
CURVE = (1, 10, 100, 1000)


def _names(n: int) -> list[str]:
    return [f"u{i}" for i in range(n)]


def _run(world: World, contract: type[OptimisticRollup], scheme: str, label: str) -> SchemeRun:
    w, l1, preset = world.workload, world.l1, MAINNET
    names = _names(w.users)
    keys = dict(zip(names, w.keys, strict=True))
    keys["operator"], keys["challenger"] = world.dev_key(OPERATOR), world.dev_key(CHALLENGER)
    meter = PhaseMeter(l1)
    start = [l1.balance(a) for a in w.addresses]
    with meter.phase("setup"):
        lab = OptimisticLab(l1, keys, preset=preset, contract=contract)
    with meter.phase("deposit"):
        for name in names:
            lab.deposit(name, w.deposit_wei)
        lab.submit_batch()
    # The users sign; then the operator admits, and posts.
    nonces = [lab.nonce(n) for n in names]
    index = [lab.index(n) for n in names]
    txs = []
    for sender, receiver in w.pairs:
        txs.append(lab.wallets[names[sender]].transfer(index[sender], index[receiver], w.amount_wei, nonces[sender]))
        nonces[sender] += 1
    singles = []
    began = time.perf_counter()
    for k in range(0, len(txs)):
        if k >= SINGLE:
            break
        t0 = time.perf_counter()
        refused = lab.operator.submit([txs[k]])
        singles.append(time.perf_counter() - t0)
        _check(refused)
    for k in range(SINGLE, len(txs), CALL):
        _check(lab.operator.submit(txs[k:k + CALL]))
    ingress = time.perf_counter() - began
    with meter.phase("transfer"):
        batches_before = len(lab.operator.posted)
        lab.submit_batch()
        transfer_batches = len(lab.operator.posted) - batches_before
    with meter.phase("withdraw"):
        for name in names:
            lab.withdraw(name, w.withdraw_wei)
        lab.submit_batch()
        lab.challenge()  # the challenger checks every batch: nothing to prove
        lab.finalize()
        for name in names:
            lab.claim_final_withdrawals(name)
    expected = expected_balances(w)
    lost = 0
    for i, name in enumerate(names):
        want = start[i] - w.deposit_wei - meter.fees_of(w.addresses[i]) + expected[i]
        lost += max(0, want - lab.l1_balance(name) - lab.l2_balance(name))
    curve = _curve(lab, names[0], names[1])
    window = preset.challenge_window
    return SchemeRun(
        scheme=scheme, label=label, workload=w.label,
        ingress_seconds=ingress, transfers=w.transfers,
        l1_gas=meter.gas(), l1_bytes=meter.calldata(),
        batch_curve=curve,
        soft_confirmation_s=statistics.median(singles),
        soft_what="the operator admits a signed transfer into its next batch (measured: signature check, "
                  "state update, write to its batch)",
        finality_s=float(window),
        finality_what=f"the batch's challenge window: {window // 86400} days (protocol parameter, passed by "
                      "time travel), after the operator posts the batch",
        withdrawal_delay_s=float(window),
        withdrawal_what=f"the {window // 86400}-day challenge window of the batch carrying the withdrawal, "
                        "then a claim on L1 (protocol parameter)",
        capital_locked_wei=w.users * w.deposit_wei + preset.min_bond,
        capital_what=f"the users' deposits and the operator's {preset.min_bond // 10**18} ETH bond",
        user_duty="nothing while one honest challenger watches every batch within its window (anyone may be it)",
        lost_wei=lost,
        notes=[f"mainnet-like preset: {window // 86400}-day window, depth-{preset.tree_depth} state tree, "
               f"{transfer_batches} batch(es) carried the {w.transfers} transfers",
               "the batch curve: batches of 1, 10, 100 and 1,000 transfers posted after the workload"],
        extra={"transfer_batches": {"unit": "batches", "value": transfer_batches}},
    )


def _check(refused: list) -> None:
    reasons = [r for r in refused if r is not None]
    if reasons:
        raise RuntimeError(f"the operator refused a workload transfer: {reasons[0]}")


def _curve(lab: OptimisticLab, a: str, b: str) -> list[tuple[int, float]]:
    """(transfers in one batch, L1 gas per transfer) for batches of each CURVE size, 1 wei back and forth."""
    points = []
    ia, ib = lab.index(a), lab.index(b)
    for size in CURVE:
        na, nb = lab.nonce(a), lab.nonce(b)
        txs = []
        for k in range(size):
            if k % 2 == 0:
                txs.append(lab.wallets[a].transfer(ia, ib, 1, na))
                na += 1
            else:
                txs.append(lab.wallets[b].transfer(ib, ia, 1, nb))
                nb += 1
        _check(lab.operator.submit(txs))
        receipt = lab.submit_batch()
        points.append((size, int(receipt["gasUsed"], 16) / size))
    return points


def run_single(world: World) -> SchemeRun:
    return _run(world, OptimisticRollup, "optimistic", "optimistic rollup (single-round fraud proofs)")


def run_bisection(world: World) -> SchemeRun:
    return _run(world, BisectionRollup, "optimistic-bisection", "optimistic rollup (bisection game)")


run = run_single
