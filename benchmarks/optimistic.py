"""``l2lab bench optimistic``: operator throughput, L1 cost per transfer, fraud-proof gas.

Measured in one run so the ratios are fair:

- transfers per second through the operator's sequencer: admission (EIP-712
  digests, batched signature recovery on every core, ``apply_tx``), the state
  tree updates with an intermediate root per step, and the batch encoding;
  then the same with the write-ahead log on, one fsynced commit per API call
  of 100 transactions and of 1 (the worst case: a commit per transaction);
- the bare coincurve recovery of one signature in a Python loop, the floor
  the hardware sets, and the ratio per-transfer cost / one bare recovery;
- on the in-process L1 with the mainnet-like preset: calldata bytes and gas per
  transfer at several batch sizes, and the gas of a fraud proof against the
  last step of a batch of each size (flat: it carries two entries and their
  Merkle paths, and the run fails if it grows); plus one deposit and one
  withdrawal claim;
- the single-round rollup against the bisection-game one (``optimistic_dispute``):
  posting gas and calldata, and the whole dispute's gas and calldata.
"""

from __future__ import annotations

import os
import tempfile
import time

import coincurve

from benchmarks.harness import Figure
from benchmarks.optimistic_dispute import dispute_costs
from contracts_spec.l1 import encode_call
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.params import MAINNET
from contracts_spec.optimistic.rules import Account, Transfer, tx_digest
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import Wallet, withdrawal_claims
from rollup.optimistic.fullnode import Challenger
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.operator import Operator
from rollup.optimistic.sequencer import Sequencer
from rollup.optimistic.wal import AcceptLog, tx_ids

ETH = 10**18
CHAIN_ID = 31337
USERS = 64


def _wallets(n: int, rollup_address: str) -> list[Wallet]:
    return [Wallet((i + 1000).to_bytes(32, "big"), CHAIN_ID, rollup_address) for i in range(n)]


def signed_transfers(wallets: list[Wallet], count: int) -> list[Transfer]:
    """``count`` transfers in a ring of users, signed ahead of time (users sign, not the operator)."""
    nonces = [0] * len(wallets)
    out = []
    for k in range(count):
        f, t = k % len(wallets), (k + 1) % len(wallets)
        out.append(wallets[f].transfer(f, t, 10**15, nonces[f]))
        nonces[f] += 1
    return out


def _funded_sequencer(wallets: list[Wallet], depth: int) -> Sequencer:
    seq = Sequencer(depth, wallets[0].domain_separator, max_batch_bytes=MAINNET.max_batch_bytes)
    for i, w in enumerate(wallets):
        seq.add_deposit(i, w.raw_address, 1000 * ETH)
    seq.cut_batch()
    return seq


def operator_seconds(
    wallets: list[Wallet], txs: list[Transfer], depth: int, group: int | None = None, durable: bool = False
) -> float:
    """Seconds to admit ``txs`` and cut them into full batches (best of 3 fresh runs).

    ``group`` transactions arrive per call (all of a batch at once by
    default). With ``durable``, the operator's write-ahead log is on, as in
    ``Operator``: each call is one fsynced commit before it is acknowledged,
    and each cut batch is forgotten by the log.
    """
    best = float("inf")
    per_batch = (MAINNET.max_batch_bytes - 109) // 115
    for _ in range(3):
        seq = _funded_sequencer(wallets, depth)
        with tempfile.TemporaryDirectory() as tmp:
            log = AcceptLog(os.path.join(tmp, "wal.sqlite")) if durable else None
            start = time.perf_counter()
            for i in range(0, len(txs), per_batch):
                chunk = txs[i:i + per_batch]
                step = group or len(chunk)
                for j in range(0, len(chunk), step):
                    calls = chunk[j:j + step]
                    results = seq.submit(calls)
                    if log is not None:
                        log.append([tx for tx, r in zip(calls, results, strict=True) if r is None])
                sealed = seq.cut_batch()
                if log is not None:
                    log.forget(tx_ids([e.tx for e in sealed.batch.entries]))
            best = min(best, time.perf_counter() - start)
            if log is not None:
                log.close()
        if any(r is not None for r in results):
            raise RuntimeError(f"benchmark transfer refused: {next(r for r in results if r)}")
    return best


def bare_recovery_seconds(wallets: list[Wallet], txs: list[Transfer]) -> float:
    """Seconds per signature of coincurve's recovery in a plain Python loop (best of 3)."""
    pairs = [(tx.signature[:64] + bytes([tx.signature[64] - 27]), tx_digest(wallets[0].domain_separator, tx))
             for tx in txs]
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for sig, digest in pairs:
            coincurve.PublicKey.from_signature_and_message(sig, digest, hasher=None)
        best = min(best, time.perf_counter() - start)
    return best / len(pairs)


def _figure(metric: str, workload: str, name: str, unit: str, value: float, note: str = "") -> Figure:
    return Figure(scheme="optimistic", metric=metric, workload=workload, name=name, unit=unit,
                  value=value, note=note)


def l1_costs(sizes: list[int]) -> list[Figure]:
    """Calldata and gas per transfer per batch size, and the gas of a fraud proof."""
    from node.chain import Chain

    op_key, ch_key = b"\x01" * 32, b"\x02" * 32
    users = [(i + 1000).to_bytes(32, "big") for i in range(USERS)]
    alloc = {private_key_to_address(k): 10**6 * ETH for k in [op_key, ch_key, *users]}
    l1 = in_process_l1(Chain(genesis_alloc=alloc))
    rollup = RollupL1.deploy(l1, op_key, MAINNET, private_key_to_address(op_key))
    operator = Operator(rollup, op_key)
    operator.post_bond(MAINNET.min_bond * 10)
    challenger = Challenger(rollup, ch_key)
    wallets = [Wallet(k, l1.chain_id, rollup.address) for k in users]
    figures = []
    deposit = None
    for w in wallets:
        deposit = rollup.transact(w.private_key, "deposit", w.address, value=100 * ETH)
    figures.append(_figure("l1_gas_per_deposit", "deposit of 100 ETH", "L1 gas of one deposit", "gas",
                           int(deposit["gasUsed"], 16)))
    operator.sync()
    operator.post_batch()
    nonces = [0] * USERS

    def ring(count: int) -> list[Transfer]:
        out = []
        for k in range(count):
            f, t = k % USERS, (k + 1) % USERS
            out.append(wallets[f].transfer(f, t, 10**15, nonces[f]))
            nonces[f] += 1
        return out

    proofs: dict[int, int] = {}
    for size in sizes:
        operator.submit(ring(size))
        receipt = operator.post_batch()
        calldata = encode_call(OptimisticRollup, "submit_batch", operator.posted[-1].sealed.data)
        gas = int(receipt["gasUsed"], 16)
        figures.append(_figure("l1_calldata_per_transfer", f"batch={size}",
                               f"L1 calldata per transfer, batch of {size}", "bytes", len(calldata) / size,
                               note="ABI-encoded submit_batch input"))
        figures.append(_figure("l1_gas_per_transfer", f"batch={size}",
                               f"L1 gas per transfer, batch of {size}", "gas", gas / size,
                               note=f"{gas:,} gas for the batch, entries root computed on L1"))
        # The same size again with a theft at its last step, proven by the challenger.
        operator.submit(ring(size - 1))
        state = operator.state
        victim = state.get_account(0)
        operator.sequencer.inject(
            wallets[1].transfer(0, 1, ETH, victim.nonce),  # signed by the wrong user
            {0: Account(victim.address, victim.balance - ETH, victim.nonce + 1),
             1: state.get_account(1)._replace(balance=state.get_account(1).balance + ETH)},
        )
        operator.post_batch()
        challenger.node.sync()
        (proof,) = challenger.watch()
        proofs[size] = gas = int(proof["gasUsed"], 16)
        calldata = l1.rpc("eth_getTransactionByHash", proof["transactionHash"])
        proof_bytes = (len(calldata.get("input", calldata.get("data", "0x"))) - 2) // 2
        breakdown = l1.rpc("l2lab_gasBreakdown", proof["transactionHash"]) or {}
        top = ", ".join(f"{k} {v:,}" for k, v in sorted(breakdown.items(), key=lambda kv: -kv[1])[:4])
        figures.append(_figure("fraud_proof_gas", f"batch={size}, fraud at the last step",
                               f"L1 gas of a fraud proof, last step of a batch of {size}", "gas", gas,
                               note=f"{proof_bytes:,} calldata bytes; {top}"))
        operator.sync()  # roll back past the reverted batch, re-admit its honest transfers
        operator.post_bond(MAINNET.min_bond)
        operator.post_batch()
    small, large = min(proofs), max(proofs)
    ratio = proofs[large] / proofs[small]
    figures.append(_figure("fraud_proof_gas_growth", f"batch={large} vs batch={small}",
                           f"fraud-proof gas, batch of {large} / batch of {small}", "x", ratio,
                           note="flat: only Merkle siblings grow; target <= 1.5"))
    if ratio > 1.5:
        raise RuntimeError(f"fraud-proof gas grows with the batch: {ratio:.2f}x from {small} to {large} steps")
    # A withdrawal claim once final.
    operator.sync()
    operator.post_bond(MAINNET.min_bond)
    nonce = operator.state.get_account(2).nonce
    operator.submit([wallets[2].withdraw(2, wallets[2].address, ETH, nonce)])
    operator.post_batch()
    target = l1.timestamp() + MAINNET.challenge_window + 1
    while (now := l1.timestamp()) < target:
        l1.increase_time(target - now)
    challenger.node.sync()
    index = len(challenger.node.batches) - 1
    (claim,) = withdrawal_claims(index, challenger.node.batches[index].data)
    receipt = rollup.transact(wallets[2].private_key, "withdraw", *claim)
    figures.append(_figure("l1_gas_per_withdrawal_claim", "claim of a 1 ETH withdrawal",
                           "L1 gas of a withdrawal claim", "gas", int(receipt["gasUsed"], 16)))
    return figures


def run(quick: bool = False) -> list[Figure]:
    count = 1_000 if quick else 10_000
    sizes = [10, 100] if quick else [10, 100, 1000]
    wallets = _wallets(USERS, "0x" + "22" * 20)
    txs = signed_transfers(wallets, count)
    seconds = operator_seconds(wallets, txs, MAINNET.tree_depth)
    per_tx = seconds / count
    n_bare = min(count, 2000)
    bare = bare_recovery_seconds(wallets, txs[:n_bare])
    workload = f"{count:,} transfers, depth {MAINNET.tree_depth}"
    figures = [
        _figure("throughput", workload, f"operator throughput, {workload}", "tx/s", count / seconds,
                note="target >= 10,000"),
        _figure("cost_per_transfer", workload, "operator cost per transfer", "us", per_tx * 1e6),
        _figure("bare_recovery_time", f"{n_bare:,} transfer signatures",
                "bare coincurve recovery per signature", "us", bare * 1e6),
        _figure("cost_per_transfer_vs_bare_recovery", workload, "per-transfer cost / one bare recovery",
                "x", per_tx / bare, note="target <= 2"),
    ]
    # The write-ahead log: one fsynced commit per API call, so its cost depends on the call size.
    for group in (1000, 100, 1):
        n = count if group > 1 else min(count, 200)
        plain = operator_seconds(wallets, txs[:n], MAINNET.tree_depth, group=group)
        logged = operator_seconds(wallets, txs[:n], MAINNET.tree_depth, group=group, durable=True)
        calls = f"{n:,} transfers, {group:,} per call, depth {MAINNET.tree_depth}"
        figures.append(_figure("throughput_with_wal", calls,
                               f"operator throughput with the write-ahead log, {group} tx per call", "tx/s",
                               n / logged, note=f"{(logged - plain) / n * 1e6:+.1f} us per transfer for the log "
                               f"({n / plain:,.0f} tx/s without it)"))
    figures.extend(l1_costs(sizes))
    figures.extend(dispute_costs(sizes))
    return figures


figures = run

if __name__ == "__main__":
    from benchmarks.harness import format_table

    print(format_table(run(quick=True)))
