"""The zk-rollup on ``l2lab compare``'s workload: real EdDSA-Poseidon signatures, real Groth16 batches on L1.

The run deploys the rollup (``rollup.zk.lab.ZkLab``, operated by dev account
7 as in ``l2lab node``) on the world's L1 and carries the workload through it
in four phases, each with its own L1 gas and calldata:

setup
    The contract, with the batch circuit's verifying key in its storage.
deposit
    Each user's ``deposit`` on L1, then the batches that process the queue.
transfer
    Every transfer signed by its sender and admitted by the operator (the
    rules, the signature check and the pending state, timed as ingress), then
    proved in Groth16 batches that L1 verifies. The first transfer goes into
    a batch of its own: that measures one transfer's way to finality, and
    gives the amortisation curve a partly filled batch beside the full ones.
withdraw
    Each user signs a withdrawal; batches carry them, and each user claims
    the ETH on L1 at once (a validity proof needs no challenge window).

At the end a full node rebuilt from L1 alone gives every user's L2 balance,
and the L1 balances are checked against what the users paid in fees, so
``lost_wei`` is what L1 and L2 say, not what the operator believes.
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from benchmarks.compare.core import (
    BLOCK_SECONDS,
    PhaseMeter,
    SchemeRun,
    Workload,
    World,
    calldata_of,
    expected_balances,
    gas_of,
)
from contracts_spec.zk import float40
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.params import BENCH16, SMALL, ZkPreset
from contracts_spec.zk.rules import Transfer, Withdraw, sign
from rollup.zk.fullnode import queued_deposits
from rollup.zk.lab import ZkLab
from rollup.zk.prover import BatchProver, ProvedBatch

OPERATOR_DEV_ACCOUNT = 7  # the zk operator of ``l2lab node``
# A batch's gas limit, set rather than estimated: estimating would run L1's Groth16 check twice more.
COMMIT_GAS = 2_000_000
# The preset the comparison proves with, and why (repeated in the run's notes).
PRESET = SMALL
WIDE = BENCH16  # the circuit of the curve's wide point (``Workload.wide_curve``)
PRESET_WHY = ("preset 'small' (depth 8: 255 accounts; 2 deposit, 4 transfer and 1 withdrawal slots, 107,351 "
              "constraints per batch, half of them the SHA-256 of the pubdata): a batch's witness and proof take "
              "a few seconds on two cores (this run's figures: witness_seconds_per_batch, "
              "prove_seconds_per_batch); 'bench16' (depth 24, 16 transfer slots, 493,128 constraints) takes "
              "about three times as long a batch and carries four times the transfers, but padding slots are "
              "proved too, so the small workloads here would take longer with it")


@dataclass
class _Meter:
    """Every batch posted, with its proof's times; L1 gas, calldata and fees by phase come from ``phases``."""

    l1: Any
    phases: PhaseMeter
    batches: list[dict[str, Any]] = field(default_factory=list)

    def batch(self, phase: str, lab: ZkLab) -> ProvedBatch:
        """Build, prove and commit the operator's next batch, booked under ``phase``."""
        start = time.perf_counter()
        operator = lab.operator
        operator.sync()
        batch, _, _ = operator.next_batch()
        proved = operator.prove_now(batch)
        receipt = operator.commit(proved, gas=COMMIT_GAS)  # reverts raise; the operator follows L1 after it
        wall = time.perf_counter() - start
        w = proved.batch.witness
        parts = dict(receipt.get("gasBreakdown") or {})
        self.batches.append({
            "phase": phase, "gas": gas_of(receipt), "bytes": calldata_of(self.l1, receipt),
            "transfers": sum(1 for t in w.transfers if t.sender),
            "withdrawals": sum(1 for x in w.withdrawals if x.sender),
            "witness_s": proved.witness_seconds, "prove_s": proved.prove_seconds, "wall_s": wall,
            "constraints": proved.constraints,
            "verify_gas": sum(parts.get(k, 0) for k in ("bn254_pairing", "bn254_mul", "bn254_add")),
        })
        return proved

    def of(self, phase: str) -> list[dict[str, Any]]:
        return [b for b in self.batches if b["phase"] == phase]


def _figure(unit: str, value: float | int) -> dict[str, Any]:
    return {"unit": unit, "value": value}


@dataclass
class _Clock:
    """The wall times a run measured, in seconds."""

    setup: float = 0.0  # the deployment, with loading (or making) the proving keys
    signing: float = 0.0  # every transfer signed by its sender
    accept: list[float] = field(default_factory=list)  # the operator admitting each transfer
    withdraw_accept: list[float] = field(default_factory=list)
    claims: list[float] = field(default_factory=list)


def carry(world: World, preset: ZkPreset = PRESET, prover: BatchProver | None = None) -> tuple[SchemeRun, ZkLab]:
    """Run the workload on a new zk-rollup on ``world.l1``; the measurements and the lab (for checks)."""
    wl, l1 = world.workload, world.l1
    room = (1 << preset.depth_bits) - 1  # account 0 is nobody's
    if wl.users > room:
        raise ValueError(f"the {preset.name!r} circuit holds {room} accounts, the workload has {wl.users} users")
    names = [f"user{i}" for i in range(wl.users)]
    eth_keys = {"operator": world.dev_key(OPERATOR_DEV_ACCOUNT), **dict(zip(names, wl.keys, strict=True))}
    l1_before = {n: l1.balance(a) for n, a in zip(names, wl.addresses, strict=True)}
    meter, clock = _Meter(l1, PhaseMeter(l1)), _Clock()
    phase = meter.phases.phase

    # setup: the contract with the circuit's verifying key (the keys load from the cache, or are made once)
    start = time.perf_counter()
    with phase("setup"):
        lab = ZkLab(l1, eth_keys, preset=preset, prover=prover or BatchProver(preset))
    clock.setup = time.perf_counter() - start

    # deposits: each user's on L1, then the batches that process the queue
    with phase("deposit"):
        for n in names:
            lab.deposit(n, wl.deposit_wei)
        while lab.processed < wl.users:
            meter.batch("deposit", lab)
    queue = queued_deposits(l1, lab.address, lab.deploy_block)
    owner_index = {int(d.owner, 16): d.index for d in queue}
    index = [owner_index[int(a, 16)] for a in wl.addresses]
    key_of = {d.index: (d.ax, d.ay) for d in queue}

    # transfers: signed by the senders (EdDSA-Poseidon, over the recipient's index and key), nonce by nonce
    nonce = [0] * wl.users
    amount40 = float40.pack(wl.amount_wei)
    signed: list[Transfer] = []
    sign_start = time.perf_counter()
    for s, r in wl.pairs:
        op = sign(Transfer(index[s], index[r], amount40, nonce[s]), lab.l2_keys[names[s]], lab.domain,
                  preset.depth_bits, key_of[index[r]])
        assert isinstance(op, Transfer)
        signed.append(op)
        nonce[s] += 1
    clock.signing = time.perf_counter() - sign_start

    # the first transfer alone: admitted, proved in a batch of its own, verified on L1
    t0 = time.perf_counter()
    lab.operator.submit(signed[0])
    clock.accept.append(time.perf_counter() - t0)
    with phase("transfer"):
        lone = meter.batch("transfer", lab)
    # the rest: the operator admits them all (ingress), then proves them in full batches
    for op in signed[1:]:
        t0 = time.perf_counter()
        lab.operator.submit(op)
        clock.accept.append(time.perf_counter() - t0)
    with phase("transfer"):
        while lab.mempool:
            meter.batch("transfer", lab)

    # withdrawals: each user signs one, batches carry them, each user claims the ETH on L1
    for i, n in enumerate(names):
        op = sign(Withdraw(index[i], wl.withdraw_wei, wl.addresses[i], nonce[i]), lab.l2_keys[n], lab.domain,
                  preset.depth_bits)
        assert isinstance(op, Withdraw)
        nonce[i] += 1
        t0 = time.perf_counter()
        lab.operator.submit(op)
        clock.withdraw_accept.append(time.perf_counter() - t0)
    with phase("withdraw"):
        while lab.mempool:
            meter.batch("withdraw", lab)
        for n in names:
            t0 = time.perf_counter()
            lab.claim(n)
            clock.claims.append(time.perf_counter() - t0)

    # what the users hold: L2 from a full node that rebuilt the state from L1 alone, L1 from the chain
    node = lab.full_node()
    expected = expected_balances(wl)
    lost = 0
    for i, n in enumerate(names):
        acct = node.state.account(index[i])
        l2_now = acct.balance if acct is not None else 0
        l2_due = expected[i] - wl.withdraw_wei
        l1_due = l1_before[n] - wl.deposit_wei - meter.phases.fees_of(wl.addresses[i]) + wl.withdraw_wei
        lost += max(0, l2_due - l2_now) + max(0, l1_due - l1.balance(wl.addresses[i]))

    return _record(wl, lab, meter, clock, lone, lost), lab


def _record(wl: Workload, lab: ZkLab, meter: _Meter, clock: _Clock, lone: ProvedBatch, lost: int) -> SchemeRun:
    """The run's figures from what was measured (``lone``: the batch that held the first transfer alone)."""
    p = lab.preset
    transfer_batches = meter.of("transfer")
    by_fill: dict[int, list[int]] = {}
    for b in transfer_batches:
        by_fill.setdefault(b["transfers"], []).append(b["gas"])
    curve = [(k, statistics.fmean(g) / k) for k, g in sorted(by_fill.items())]
    proofs = [b["witness_s"] + b["prove_s"] for b in meter.batches]
    lone_proof = lone.witness_seconds + lone.prove_seconds
    soft = statistics.median(clock.accept)
    wd_batches = meter.of("withdraw")
    wd_proof = statistics.fmean(b["witness_s"] + b["prove_s"] for b in wd_batches)
    full = by_fill.get(p.transfer_slots)
    extra: dict[str, Any] = {
        "constraints_per_batch": _figure("constraints", lone.constraints),
        "prove_seconds_per_batch": _figure("s", statistics.fmean(b["prove_s"] for b in meter.batches)),
        "witness_seconds_per_batch": _figure("s", statistics.fmean(b["witness_s"] for b in meter.batches)),
        "prove_seconds_max": _figure("s", max(proofs)),
        "batch_seconds": _figure("s", statistics.fmean(b["wall_s"] for b in meter.batches)),
        "batches_deposit": _figure("batches", len(meter.of("deposit"))),
        "batches_transfer": _figure("batches", len(transfer_batches)),
        "batches_withdraw": _figure("batches", len(wd_batches)),
        "groth16_check_gas_per_batch": _figure("gas", statistics.fmean(b["verify_gas"] for b in meter.batches)),
        "transfer_slots_per_batch": _figure("transfers", p.transfer_slots),
        "pubdata_bytes_per_transfer": _figure("B", pd.transfer_slot_bytes(p)),
        "signing_rate": _figure("tx/s", wl.transfers / clock.signing if clock.signing > 0 else 0.0),
        "setup_seconds": _figure("s", clock.setup),
        "claim_seconds": _figure("s", statistics.fmean(clock.claims)),
    }
    if full:
        extra["gas_per_transfer_full_batch"] = _figure("gas", statistics.fmean(full) / p.transfer_slots)
    return SchemeRun(
        scheme="zk",
        label="zk-rollup (Groth16)",
        workload=wl.label,
        ingress_seconds=sum(clock.accept),
        transfers=wl.transfers,
        l1_gas=meter.phases.gas(),
        l1_bytes=meter.phases.calldata(),
        batch_curve=curve,
        soft_confirmation_s=soft,
        soft_what="measured: the operator admits a signed transfer (rules, EdDSA-Poseidon check, pending "
                  "state); median over the workload's transfers",
        finality_s=soft + lone_proof + BLOCK_SECONDS,
        finality_what=f"measured admission + measured witness and Groth16 proof of its batch "
                      f"({lone_proof:.2f} s, {lone.constraints:,} constraints) + one L1 block "
                      f"({BLOCK_SECONDS} s) for the verifying commit; a transfer that waits for a batch to fill "
                      "waits that long too",
        withdrawal_delay_s=statistics.median(clock.withdraw_accept) + wd_proof + 2 * BLOCK_SECONDS,
        withdrawal_what=f"measured admission + measured proof of the withdrawal batch ({wd_proof:.2f} s) + one "
                        f"L1 block for its commit and one for the claim ({BLOCK_SECONDS} s each); no challenge "
                        "window: the proof already showed the batch valid",
        capital_locked_wei=wl.users * wl.deposit_wei,
        capital_what="the users' deposits in the rollup contract; the operator bonds nothing (a batch is "
                     "accepted only with a valid proof, so there is nothing to slash)",
        user_duty="nothing: validity proofs and the on-chain pubdata let anyone rebuild the state, and exit "
                  "with a Merkle proof if the operator stops",
        lost_wei=lost,
        notes=[
            PRESET_WHY if p is PRESET else f"preset {p.name!r}",
            "the first transfer is proved in a batch of its own (one transfer's time to finality, and a "
            f"partly filled batch for the curve), so the transfer phase posts {len(transfer_batches)} batches "
            f"where {-(-wl.transfers // p.transfer_slots)} full ones would do",
            "deposits carry no pubdata (L1 keeps a Poseidon chain of its queue); a transfer slot is "
            f"{pd.transfer_slot_bytes(p)} B of pubdata, posted whether filled or not",
            "development proving keys from a public seed: anyone could forge proofs with them; for measuring "
            "and teaching only",
            "the operator proves in this process, one batch after another; L2 balances are read from a full "
            "node rebuilt from L1 alone",
        ],
        extra=extra,
    )


def run(world: World) -> SchemeRun:
    """The zk-rollup's row of the comparison, measured on ``world``.

    With ``wide_curve``, a second rollup with the 16-slot circuit (``bench16``)
    is deployed on the same L1 and two of the workload's users fill one of
    its batches: the curve's point at 16 transfers a batch, where the
    Groth16 check's fixed ~218k gas is shared 16 ways.
    """
    result = carry(world)[0]
    if world.workload.wide_curve:
        wide = dataclasses.replace(world.workload, users=2, transfers=WIDE.transfer_slots + 1, wide_curve=False)
        extra, _ = carry(world.sharing(wide), preset=WIDE)
        size, gas = max(extra.batch_curve)
        result.batch_curve.append((size, gas))
        result.extra["wide_batch_seconds"] = _figure("s", extra.extra["batch_seconds"]["value"])
        result.notes.append(f"the curve's point at {size} transfers is a full batch of a second rollup with the "
                            f"{WIDE.name!r} circuit ({extra.extra['constraints_per_batch']['value']:,} "
                            f"constraints), deployed on the same L1; the other points are {PRESET.name!r} batches")
    return result


__all__ = ["OPERATOR_DEV_ACCOUNT", "PRESET", "carry", "run"]
