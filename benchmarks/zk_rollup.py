"""``l2lab bench zk-rollup``: the zk-rollup's circuit, prover and L1 costs, beside published figures.

Circuit
    Constraints of the batch circuit per batch and per slot type (a deposit,
    a transfer and a withdrawal slot, the SHA-256 of the pubdata, the
    header) for SMALL and, unless ``--quick``, BENCH16 (depth 24; the bare
    circuit is built once, about half a minute). Constraints per transfer
    are the transfer slot's own count plus its share of the pubdata hash
    (the hash's constraints times the slot's share of the pubdata bytes).
    One transfer slot is broken down by gadget, from the scopes its
    constraints are named in. Beside them: the target (at most 25,000 per
    transfer at depth 24) and Hermez's published circuit (2^25 constraints
    for 400 transactions at depth 32, about 84,000 per transaction).

Pubdata
    Bytes per transfer per preset, beside the published Hermez (14 B),
    zkSync Lite (20 B) and Loopring (22 B).

Session
    A real SMALL session on the in-process L1 (``ZkLab``): two deposits in a
    first batch, then a batch of four transfers (every transfer slot full)
    whose witness, proving and verification times and commit gas are
    measured, then a withdrawal batch, a claim and an exit in exodus mode.
    The commit gas is split into the Groth16 check (45,000 + 4 * 34,000 for
    the pairings and 6,150 per public input), the transaction's calldata and
    the rest (21,000 base, SHA-256 of the pubdata, the verifying key's
    SLOADs, storage writes, events). The prover's peak memory is measured in
    a fresh child process that loads the keys and proves the same batch
    (not with ``--quick``).

L1-bound ceiling
    Transfers per second at 30M gas per 12 s block from the measured gas per
    transfer; for the BENCH presets, gas per transfer projected as
    ``fixed / T + calldata per transfer`` from the measured SMALL fixed cost
    and the BENCH pubdata layout (a projection, not a measurement).
"""

from __future__ import annotations

import pickle
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import Figure
from contracts_spec import gas as G
from contracts_spec.l1 import encode_call
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.circuit import batch_circuit
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.params import BENCH16, BENCH64, BENCH256, SMALL, ZkPreset

ETH = 10**18
BLOCK_GAS = 30_000_000
BLOCK_SECONDS = 12
N_PUBLIC = 6
PAIRINGS = 4
VERIFY_GAS = 45_000 + PAIRINGS * 34_000 + N_PUBLIC * 6_150
TARGET_PER_TRANSFER = 25_000
# Hermez 1 (Polygon Hermez) zk-rollup circuit: 2^25 constraints for 400 transactions, 32-bit indices.
HERMEZ_CONSTRAINTS = 2**25
HERMEZ_TXS = 400
PUBLISHED_PUBDATA = {"hermez": (14, "Hermez, 32-bit indices"), "zksync_lite": (20, "zkSync Lite transfer"),
                     "loopring": (22, "Loopring transfer")}
NAMES = ("operator", "alice", "bob", "carol")
KEYS = {name: bytes([i + 41]) * 32 for i, name in enumerate(NAMES)}


def _figure(metric: str, workload: str, name: str, unit: str, value: float, note: str = "") -> Figure:
    return Figure(scheme="zk", metric=metric, workload=workload, name=name, unit=unit, value=float(value),
                  note=note)


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _gas(receipt: dict) -> int:
    return int(str(receipt["gasUsed"]), 0)


def _workload(preset: ZkPreset) -> str:
    return f"{preset.name}: depth {preset.depth_bits}, {preset.transfer_slots} transfer slots"


# -- circuit ---------------------------------------------------------------------------------

def constraint_names(preset: ZkPreset) -> list[str]:
    """The name of every constraint of ``preset``'s bare batch circuit, in order."""
    return batch_circuit(preset, None).compile().names


_SLOT = re.compile(r"(deposit|transfer|withdraw)\d+$")


def slot_counts(names: list[str]) -> dict[str, int]:
    """Constraints per part of the batch: one slot of each type (slot 0), the pubdata hash, the header."""
    by_top = Counter(n.split(".")[0] for n in names)
    out = {kind: by_top[f"{kind}0"] for kind in ("deposit", "transfer", "withdraw")}
    out["pubdata"] = by_top["pubdata"]
    out["header"] = by_top["header"]
    out["other"] = sum(v for k, v in by_top.items() if not _SLOT.fullmatch(k) and k not in ("pubdata", "header"))
    return out


def gadget_of(name: str) -> str:
    """The gadget a constraint of a slot belongs to, from its scopes (the outermost gadget wins)."""
    parts = name.split(".")[1:]  # drop the slot's own scope
    for i, part in enumerate(parts):
        if part == "eddsa":
            return "eddsa"
        if part == "quadmerkle":
            return "range_bits" if parts[i + 1:i + 2] == ["index"] else "quadmerkle"
        if part == "poseidon":
            return "poseidon"
        if part == "sha256" or part.startswith("sha"):
            return "sha256"
    last = parts[-1] if parts else ""
    if re.fullmatch(r"bit\d+", last) or last == "sum" or "range" in parts:
        return "range_bits"
    return "other"


GADGET_NOTES = {
    "quadmerkle": "two 4-ary Merkle updates (sender, recipient), their Poseidon(5) hashes included",
    "eddsa": "EdDSA-Poseidon signature check, its challenge hash included",
    "poseidon": "leaf hashes before and after (4) and the message hash",
    "range_bits": "128-bit balance range checks, index and float40 bits",
    "other": "enable flag, float40 amount, leaf selection",
}


def gadget_breakdown(names: list[str], slot: str = "transfer0") -> dict[str, int]:
    return dict(Counter(gadget_of(n) for n in names if n.split(".")[0] == slot))


def circuit_figures(preset: ZkPreset, names: list[str], build_s: float | None = None) -> list[Figure]:
    """Constraints of ``preset``'s batch circuit, per batch, per slot type and per transfer."""
    wl = _workload(preset)
    p = f"zk_rollup.{preset.name}"
    parts = slot_counts(names)
    total = len(names)
    length = pd.pubdata_length(preset)
    t_bytes = pd.transfer_slot_bytes(preset)
    hash_share = parts["pubdata"] * t_bytes / length
    per_transfer = parts["transfer"] + hash_share
    out = [
        _figure("constraints_per_batch", wl, f"{p}.constraints.batch", "constraints", total,
                f"{preset.deposit_slots} deposit, {preset.transfer_slots} transfer, {preset.withdraw_slots} "
                f"withdrawal slots" + (f"; bare circuit built and compiled in {build_s:.1f} s" if build_s is not None else "")),
        _figure("constraints_deposit_slot", wl, f"{p}.constraints.deposit_slot", "constraints", parts["deposit"]),
        _figure("constraints_transfer_slot", wl, f"{p}.constraints.transfer_slot", "constraints",
                parts["transfer"]),
        _figure("constraints_withdraw_slot", wl, f"{p}.constraints.withdraw_slot", "constraints",
                parts["withdraw"]),
        _figure("constraints_pubdata_sha256", wl, f"{p}.constraints.pubdata_sha256", "constraints",
                parts["pubdata"], f"SHA-256 of {length} B pubdata, {parts['pubdata'] / length:.0f} per byte"),
        _figure("constraints_header", wl, f"{p}.constraints.header", "constraints", parts["header"],
                "deposit count bits and its bound"),
        _figure("constraints_per_transfer", wl, f"{p}.constraints.per_transfer", "constraints", per_transfer,
                f"transfer slot {parts['transfer']:,} + {t_bytes}/{length} of the pubdata hash "
                f"({hash_share:,.0f})" + ("; target <= 25,000 at depth 24" if preset.depth_bits == 24 else "")),
    ]
    return out


def breakdown_figures(preset: ZkPreset, names: list[str]) -> list[Figure]:
    wl = f"{_workload(preset)}; one transfer slot"
    rows = gadget_breakdown(names)
    total = sum(rows.values())
    return [
        _figure(f"transfer_slot_constraints_{g}", wl, f"zk_rollup.{preset.name}.transfer_slot.{g}", "constraints",
                rows[g], f"{100 * rows[g] / total:.1f}%: {GADGET_NOTES.get(g, '')}")
        for g in sorted(rows, key=lambda g: -rows[g])
    ]


def reference_figures() -> list[Figure]:
    per_tx = HERMEZ_CONSTRAINTS / HERMEZ_TXS
    return [
        _figure("target_constraints_per_transfer", "depth 24", "zk_rollup.target.constraints_per_transfer",
                "constraints", TARGET_PER_TRANSFER, "target: at most this per transfer at depth 24"),
        _figure("published_constraints_per_transfer", "Hermez, depth 32, 400 transactions",
                "zk_rollup.published.hermez.constraints_per_transfer", "constraints", per_tx,
                "published: 2^25 constraints for 400 transactions"),
    ]


def pubdata_figures(presets: tuple[ZkPreset, ...]) -> list[Figure]:
    out = [
        _figure("pubdata_bytes_per_transfer", _workload(p), f"zk_rollup.{p.name}.pubdata_per_transfer", "B",
                pd.transfer_slot_bytes(p), f"2 x {p.index_bytes} B index + 5 B float40 amount")
        for p in presets
    ]
    for key, (n, what) in PUBLISHED_PUBDATA.items():
        out.append(_figure("published_pubdata_bytes_per_transfer", what,
                           f"zk_rollup.published.{key}.pubdata_per_transfer", "B", n, "published"))
    return out


# -- session ---------------------------------------------------------------------------------

def _hwm_kib() -> int:
    """This process's peak resident memory in KiB.

    ``VmHWM`` belongs to the process image, so it starts afresh after exec;
    ``ru_maxrss`` (the fallback off Linux) is inherited from the parent.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _prove_child(job: Path) -> None:
    """In a fresh process: load the keys, then prove the pickled batch; print max RSS before and after."""
    from contracts_spec.zk.params import get_preset
    from rollup.zk.prover import BatchProver

    preset_name, batch, cache_dir = pickle.loads(job.read_bytes())
    start = _hwm_kib()
    prover = BatchProver(get_preset(preset_name), Path(cache_dir))
    prover.verifying_key()
    base = _hwm_kib()
    try:  # reset the high-water mark to the current RSS, so the proof's own peak shows
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    proved = prover.prove(batch)
    peak = _hwm_kib()
    print(start, base, peak, proved.prove_seconds)


def child_prove_memory(preset: ZkPreset, batch: object, cache_dir: Path) -> tuple[int, int, int, float]:
    """Max RSS (KiB) of a fresh process after its imports, after loading the keys and after proving; prove seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        job = Path(tmp) / "job.pickle"
        job.write_bytes(pickle.dumps((preset.name, batch, str(cache_dir))))
        done = subprocess.run([sys.executable, "-m", "benchmarks.zk_rollup", "--prove-child", str(job)],
                              cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True,
                              timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the proving child process failed: {done.stderr[-2000:]}")
    start, base, peak, seconds = done.stdout.split()[-4:]
    return int(start), int(base), int(peak), float(seconds)


def key_dir(preset: ZkPreset) -> Path:
    """Where the suite keeps ``preset``'s proving keys: the prover's cache, one folder per circuit digest.

    A change to a gadget changes the circuit without renaming the prover's key
    file; keyed by digest, the suite never loads keys made for another circuit
    (the first run after such a change does the setup again).
    """
    from primitives.snark.setup import circuit_digest
    from rollup.zk.prover import default_cache

    digest = circuit_digest(batch_circuit(preset, None).compile()).hex()[:16]
    return default_cache() / f"circuit-{digest}"


def session(child_memory: bool = True) -> dict:
    """Run a SMALL session and return what it measured."""
    from node.chain import Chain
    from node.rpc import in_process_l1
    from primitives.secp256k1 import private_key_to_address
    from rollup.zk.lab import ZkLab
    from rollup.zk.prover import BatchProver

    chain = Chain(genesis_alloc={private_key_to_address(k): 1000 * ETH for k in KEYS.values()})
    prover = BatchProver(SMALL, key_dir(SMALL))
    lab = ZkLab(in_process_l1(chain), KEYS, preset=SMALL, prover=prover)
    m: dict = {}
    m["deposit_gas"] = _gas(lab.deposit("alice", 5 * ETH))
    m["deposit_again_gas"] = _gas(lab.deposit("bob", 5 * ETH))
    lab.submit_batch()  # the deposits; the first proof after a key load also checks the key file
    for s, r in (("alice", "bob"), ("bob", "alice"), ("alice", "bob"), ("bob", "alice"))[: SMALL.transfer_slots]:
        lab.transfer(s, r, ETH // 10)
    wall, (proved, receipt) = _timed(lab.submit_batch)  # type: ignore[misc]
    n = sum(1 for t in proved.batch.witness.transfers if t.sender)
    data = pd.encode_commit(proved.batch.new_root, proved.proof, proved.batch.pubdata)
    m.update(
        transfers=n, constraints=proved.constraints, witness_s=proved.witness_seconds, prove_s=proved.prove_seconds,
        submit_s=wall, commit_gas=_gas(receipt), calldata_gas=G.calldata_gas(encode_call(ZkRollup, "commit_and_verify",
                                                                                       data)),
        transfer_calldata_gas=G.calldata_gas(proved.batch.pubdata[1:1 + n * pd.transfer_slot_bytes(SMALL)]),
    )
    lab.prover.check(proved)  # the verifying key's alpha_beta is computed once per key, not per proof
    m["verify_s"] = min(_timed(lambda: lab.prover.check(proved))[0] for _ in range(2))
    if child_memory:
        m["child_rss_kib"] = child_prove_memory(SMALL, proved.batch, lab.prover.cache_dir)
    lab.withdraw("bob", ETH // 2)
    _, wd_receipt = lab.submit_batch()
    m["withdraw_batch_gas"] = _gas(wd_receipt)
    m["claim_gas"] = _gas(lab.claim("bob"))
    # exodus: a censored deposit goes overdue, anyone starts exodus mode, alice exits
    lab.deposit("carol", ETH)
    lab.censored.add(2)
    lab.l1.mine(SMALL.deposit_deadline_blocks + 1)
    lab.l1.increase_time(SMALL.deposit_deadline_seconds + 1)
    lab.l1.mine(1)
    m["activate_exodus_gas"] = _gas(lab.transact("carol", "activate_exodus"))
    m["exit_gas"] = _gas(lab.exit("alice"))
    return m


def session_figures(m: dict) -> list[Figure]:
    n = m["transfers"]
    wl = f"small: batch of {n} transfers"
    p = "zk_rollup.small"
    gas = m["commit_gas"]
    rest = gas - VERIFY_GAS - m["calldata_gas"]
    out = [
        _figure("witness_time_per_batch", wl, f"{p}.witness.batch", "s", m["witness_s"],
                "the circuit run for its values only (record=False), witness laid out"),
        _figure("witness_time_per_transfer", wl, f"{p}.witness.per_transfer", "s", m["witness_s"] / n),
        _figure("prove_time_per_batch", wl, f"{p}.prove.batch", "s", m["prove_s"],
                f"Groth16, {m['constraints']:,} constraints"),
        _figure("prove_time_per_transfer", wl, f"{p}.prove.per_transfer", "s", m["prove_s"] / n),
        _figure("verify_time", wl, f"{p}.verify", "s", m["verify_s"], "groth16.verify, best of 2"),
    ]
    if "child_rss_kib" in m:
        start, base, peak, _ = m["child_rss_kib"]
        mib = (peak - start) / 1024
        out += [
            _figure("prover_peak_memory", wl, f"{p}.prover_memory", "MiB", mib,
                    f"peak RSS while proving in a fresh process with the keys loaded, less its imports; "
                    f"loading the key file peaked at {(base - start) / 1024:,.0f} MiB"),
            _figure("prover_memory_per_constraint", wl, f"{p}.prover_memory.per_constraint", "KiB",
                    (peak - start) / m["constraints"]),
        ]
    out += [
        _figure("l1_gas_per_batch", wl, f"{p}.gas.commit.batch", "gas", gas, "commit_and_verify, from the receipt"),
        _figure("l1_gas_per_transfer", wl, f"{p}.gas.commit.per_transfer", "gas", gas / n),
        _figure("l1_gas_verification", wl, f"{p}.gas.commit.verification", "gas", VERIFY_GAS,
                "45,000 + 4 x 34,000 pairings + 6 x 6,150 per public input"),
        _figure("l1_gas_calldata", wl, f"{p}.gas.commit.calldata", "gas", m["calldata_gas"],
                "16 per non-zero, 4 per zero byte of the tx data"),
        _figure("l1_gas_rest", wl, f"{p}.gas.commit.rest", "gas", rest,
                "21,000 base, SHA-256, verifying key SLOADs, storage, events"),
        _figure("l1_gas_deposit", "small: first deposit", f"{p}.gas.deposit", "gas", m["deposit_gas"],
                "new account"),
        _figure("l1_gas_withdraw_batch", "small: batch with 1 withdrawal", f"{p}.gas.commit.withdraw_batch", "gas",
                m["withdraw_batch_gas"]),
        _figure("l1_gas_claim_withdrawal", "small: claim", f"{p}.gas.claim_withdrawal", "gas", m["claim_gas"]),
        _figure("l1_gas_activate_exodus", "small: exodus", f"{p}.gas.activate_exodus", "gas",
                m["activate_exodus_gas"]),
        _figure("l1_gas_exit", "small: exodus exit, depth 8", f"{p}.gas.exit", "gas", m["exit_gas"],
                "Merkle proof checked on L1 with Poseidon"),
    ]
    return out


# -- L1-bound ceiling ------------------------------------------------------------------------

def ceiling_figures(m: dict, presets: tuple[ZkPreset, ...] = (BENCH16, BENCH64, BENCH256)) -> list[Figure]:
    n = m["transfers"]
    per_tx = m["commit_gas"] / n
    tps = BLOCK_GAS / per_tx / BLOCK_SECONDS
    out = [_figure("l1_bound_tps", f"small: batch of {n} transfers", "zk_rollup.small.l1_bound_tps", "tx/s", tps,
                   f"30,000,000 / {per_tx:,.0f} gas per transfer / 12 s")]
    fixed = m["commit_gas"] - m["transfer_calldata_gas"]
    for p in presets:
        t_bytes = pd.transfer_slot_bytes(p)
        # every transfer byte non-zero (16 gas) and hashed by the SHA-256 precompile (12 gas per 32 B word)
        per_byte_note = f"{t_bytes} B x 16 + {t_bytes} B x 12/32"
        marginal = t_bytes * G.G_TXDATA_NONZERO + t_bytes * G.G_SHA256_WORD / 32
        proj = fixed / p.transfer_slots + marginal
        wl = f"{p.name}: {p.transfer_slots} transfers, depth {p.depth_bits}"
        label = "projected from the measured SMALL fixed cost and the BENCH pubdata layout"
        out += [
            _figure("projected_l1_gas_per_transfer", wl, f"zk_rollup.{p.name}.gas.per_transfer_projected", "gas",
                    proj, f"{label}: {fixed:,} / {p.transfer_slots} + {per_byte_note}"),
            _figure("projected_l1_bound_tps", wl, f"zk_rollup.{p.name}.l1_bound_tps_projected", "tx/s",
                    BLOCK_GAS / proj / BLOCK_SECONDS, f"{label}: 30,000,000 / {proj:,.0f} / 12 s"),
        ]
    return out


def ingress_figures(n: int = 200) -> list[Figure]:
    """Admission rate of signed transfers (rules + EdDSA-Poseidon check + pending-state write) beside bare verifies.

    Measured in one run on a state of two funded accounts, so the ratio says
    what admission adds to the signature check that dominates it.
    """
    from contracts_spec.zk import float40, keys
    from contracts_spec.zk.rules import Deposit, Transfer, apply_op, domain_of, message_of, sign
    from contracts_spec.zk.state import ZkState
    from primitives.snark import eddsa

    domain = domain_of(31337, "0x" + "11" * 20)
    alice, bob = b"bench ingress alice".ljust(32, b"."), b"bench ingress bob".ljust(32, b".")
    state = ZkState(SMALL.depth_bits, domain)
    state.apply(Deposit(1, 10**24, *keys.public_key(alice)))
    state.apply(Deposit(2, 1, *keys.public_key(bob)))
    bob_key = keys.public_key(bob)
    ops = [sign(Transfer(1, 2, float40.pack(1000), i), alice, domain, SMALL.depth_bits, bob_key) for i in range(n)]
    msgs = [message_of(op, domain, SMALL.depth_bits, bob_key) for op in ops]
    pub = keys.public_key(alice)
    t_verify, _ = _timed(lambda: [eddsa.verify_poseidon(m, op.signature, pub) for m, op in zip(msgs, ops, strict=True)])

    def admit() -> None:
        for op in ops:
            state.write(apply_op(state, op))

    t_admit, _ = _timed(admit)
    wl = f"{n} signed transfers, depth {SMALL.depth_bits}"
    return [
        _figure("ingress_rate", wl, "zk_rollup.ingress.admitted", "tx/s", n / t_admit,
                "rules, EdDSA-Poseidon check and pending-state write per operation, one core"),
        _figure("eddsa_verify_rate", wl, "zk_rollup.ingress.eddsa_verify", "tx/s", n / t_verify,
                "bare eddsa.verify_poseidon in the same run"),
        _figure("ingress_over_verify", wl, "zk_rollup.ingress.ratio", "x", t_admit / t_verify,
                "admission time over the bare signature checks"),
    ]


def run(quick: bool = False) -> list[Figure]:
    """The zk-rollup suite: SMALL always; BENCH16's circuit unless ``quick``."""
    figures: list[Figure] = []
    names = constraint_names(SMALL)
    figures += circuit_figures(SMALL, names)
    figures += breakdown_figures(SMALL, names)
    if not quick:
        build_s, names16 = _timed(lambda: constraint_names(BENCH16))
        figures += circuit_figures(BENCH16, names16, build_s)
        figures += breakdown_figures(BENCH16, names16)
    figures += reference_figures()
    figures += pubdata_figures((SMALL, BENCH16, BENCH64, BENCH256))
    figures += ingress_figures(50 if quick else 200)
    m = session(child_memory=not quick)
    figures += session_figures(m)
    figures += ceiling_figures(m)
    return figures


figures = run


if __name__ == "__main__" and sys.argv[1:2] == ["--prove-child"]:
    _prove_child(Path(sys.argv[2]))
