"""``l2lab bench zk-rollup-sizes``: real batches of the bench presets, proved and verified on the toy L1.

For each preset a session on an in-process L1: deploy (the first run of a
circuit does its development setup and caches the keys), two deposits in a
first batch, then a batch with every transfer and withdrawal slot used
(transfers from one account to another, nonces in order). Measured: the
circuit's constraints, setup time, witness and proving time per batch and
per transfer, L1 gas of ``commit_and_verify`` per batch and per transfer,
pubdata bytes, and this process's peak memory (which holds the circuit, the
proving key and the chain). ``--quick``: BENCH16 only; otherwise BENCH16 and
BENCH64. ``L2LAB_ZK_SIZES`` names the presets to run instead, e.g.
``L2LAB_ZK_SIZES=bench256`` for the batch of 256 transfers (about 7 million
constraints: its first run spends most of an hour on the bare circuit and
the setup, and needs about 10 GB).
"""

from __future__ import annotations

import os
import resource
import time

from benchmarks.harness import Figure
from contracts_spec.zk.params import BENCH16, BENCH64, ZkPreset, get_preset

ETH = 10**18


def _figure(metric: str, workload: str, name: str, unit: str, value: float, note: str = "") -> Figure:
    return Figure(scheme="zk", metric=metric, workload=workload, name=name, unit=unit, value=float(value),
                  note=note)


def session(preset: ZkPreset) -> list[Figure]:
    from benchmarks.zk_rollup import circuit_figures
    from node.chain import Chain
    from node.rpc import in_process_l1
    from primitives.secp256k1 import private_key_to_address
    from rollup.zk.lab import ZkLab
    from rollup.zk.prover import bare_r1cs

    keys = {n: bytes([i + 41]) * 32 for i, n in enumerate(("operator", "alice", "bob"))}
    chain = Chain(genesis_alloc={private_key_to_address(k): 1000 * ETH for k in keys.values()})
    start = time.perf_counter()
    lab = ZkLab(in_process_l1(chain), keys, preset=preset)
    setup_s = time.perf_counter() - start
    lab.deposit("alice", 100 * ETH)
    lab.deposit("bob", ETH)
    lab.submit_batch()
    for _ in range(preset.transfer_slots):
        lab.transfer("alice", "bob", ETH // 100)
    for _ in range(preset.withdraw_slots):
        lab.withdraw("bob", ETH // 1000)
    proved, receipt = lab.submit_batch()
    assert lab.full_node().state.root == lab.call("state_root")
    gas = int(str(receipt["gasUsed"]), 0)
    n = preset.transfer_slots
    wl = f"{preset.name}: {n} transfers + {preset.withdraw_slots} withdrawals, depth {preset.depth_bits}"
    p = f"zk_rollup.{preset.name}"
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [
        _figure("constraints_per_batch", wl, f"{p}.session.constraints", "constraints", proved.constraints),
        _figure("setup_time", wl, f"{p}.session.deploy_and_keys", "s", setup_s,
                "deploy, with the development setup when no key is cached for this circuit"),
        _figure("witness_time_per_batch", wl, f"{p}.session.witness", "s", proved.witness_seconds,
                "the circuit run for its values only (record=False), witness laid out"),
        _figure("prove_time_per_batch", wl, f"{p}.session.prove", "s", proved.prove_seconds),
        _figure("prove_time_per_transfer", wl, f"{p}.session.prove_per_transfer", "s",
                (proved.witness_seconds + proved.prove_seconds) / n, "witness and proof over the transfer slots"),
        _figure("l1_gas_per_batch", wl, f"{p}.session.gas.commit", "gas", gas, "commit_and_verify, from the receipt"),
        _figure("l1_gas_per_transfer", wl, f"{p}.session.gas.per_transfer", "gas", gas / n,
                "the whole commit over the transfer slots (withdrawals ride along)"),
        _figure("pubdata_bytes_per_batch", wl, f"{p}.session.pubdata", "B", len(proved.batch.pubdata)),
        _figure("process_peak_memory", wl, f"{p}.session.peak_memory", "MiB", peak_mib,
                "this process's peak RSS: the setup when it ran, circuit, proving key, chain"),
        *[f for f in circuit_figures(preset, bare_r1cs(preset).names) if f.metric == "constraints_per_transfer"],
    ]


def presets(quick: bool) -> list[ZkPreset]:
    """The presets to run: ``L2LAB_ZK_SIZES`` (comma-separated names) when set, else by ``quick``."""
    named = os.environ.get("L2LAB_ZK_SIZES", "").strip()
    if named:
        return [get_preset(name.strip()) for name in named.split(",") if name.strip()]
    return [BENCH16] if quick else [BENCH16, BENCH64]


def run(quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for preset in presets(quick):
        figures += session(preset)
    return figures


figures = run
