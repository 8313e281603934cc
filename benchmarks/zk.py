"""``l2lab bench zk``: Groth16 on two circuit sizes, beside snarkjs on the same R1CS.

Circuits: one EdDSA-Poseidon signature check (4,218 constraints; circom's
is 4,217) and a chain of 130 Poseidon(2) hashes (about 31,000). For each:
constraints, witness time, setup, prove and verify time. When npm is present
the same R1CS and witness go to snarkjs (pinned in tools/snarkjs, installed
here if needed) and its ``groth16 prove`` is timed in the same run, so the
ratio compares like with like. snarkjs timings include starting node (a few
hundred ms); its prepared powers-of-tau file is cached under
``~/.cache/l2lab/ptau``, and when none is there one is written in seconds
from a public seed (:mod:`primitives.snark.ptau`: a development ceremony).
snarkjs' proving keys (``groth16 setup``, minutes at 2^15) are cached under
``~/.cache/l2lab/zkey`` by circuit digest.
``--quick`` runs the small circuit only.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import Figure
from primitives.snark import eddsa, examples, groth16, ptau, setup, snarkjs
from primitives.snark.r1cs import R1CS, Circuit

TOOLS = Path(__file__).resolve().parent.parent / "tools" / "snarkjs"
CLI = TOOLS / "node_modules" / "snarkjs" / "build" / "cli.cjs"
PTAU_CACHE = Path.home() / ".cache" / "l2lab" / "ptau"
ZKEY_CACHE = Path.home() / ".cache" / "l2lab" / "zkey"
CHAIN_LINKS = 130
PTAU_SEED = b"l2lab bench ptau: public seed, development only"


def _timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _figure(metric: str, workload: str, name: str, unit: str, value: float, note: str = "") -> Figure:
    return Figure(scheme="zk", metric=metric, workload=workload, name=name, unit=unit, value=value,
                  note=note)


def eddsa_workload() -> Callable[[], Circuit]:
    key = b"l2lab bench key.................."
    msg = 987654321
    sig = eddsa.sign_poseidon(key, msg)
    pub = eddsa.prv_to_pub(key)
    return lambda: examples.eddsa_check(msg, pub, sig)


def chain_workload() -> Callable[[], Circuit]:
    return lambda: examples.poseidon_chain(42, CHAIN_LINKS)


# Each circuit the suite proves: its label in row names, what it computes, how to build it.
CIRCUITS: dict[str, tuple[str, Callable[[], Callable[[], Circuit]]]] = {
    "eddsa": ("eddsa circuit: one EdDSA-Poseidon signature check", eddsa_workload),
    "poseidon_chain": (f"poseidon_chain circuit: {CHAIN_LINKS} Poseidon(2) hashes", chain_workload),
}


def _snarkjs_ready() -> bool:
    """True when the pinned snarkjs can run, installing it with ``npm ci`` if needed."""
    if shutil.which("node") is None:
        return False
    if not CLI.exists():
        npm = shutil.which("npm")
        if npm is None:
            return False
        done = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=TOOLS, capture_output=True)
        if done.returncode != 0:
            return False
    return CLI.exists()


def _snarkjs(*args: object, cwd: Path) -> None:
    done = subprocess.run(["node", str(CLI), *map(str, args)], cwd=cwd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"snarkjs {' '.join(map(str, args))} failed: {done.stdout}{done.stderr}")


def _ptau(power: int) -> Path:
    """A prepared powers-of-tau file for at least 2^power rows, cached under ``PTAU_CACHE``.

    Any cached ``pot{p}_final.ptau`` (e.g. from a real ceremony, dropped in by
    hand) or ``pot{p}_dev.ptau`` with ``p >= power`` serves. Otherwise a
    development file is written directly from a public seed by
    :mod:`primitives.snark.ptau` (seconds, where snarkjs' own
    ``new/contribute/prepare phase2`` takes about 35 minutes at 2^15): fine
    for timing, worthless as a ceremony.
    """
    PTAU_CACHE.mkdir(parents=True, exist_ok=True)
    for p in range(power, ptau.MAX_POWER + 1):
        for name in (f"pot{p}_final.ptau", f"pot{p}_dev.ptau"):
            if (PTAU_CACHE / name).exists():
                return PTAU_CACHE / name
    final = PTAU_CACHE / f"pot{power}_dev.ptau"
    ptau.write_ptau(final, power, PTAU_SEED)
    return final


def _zkey(r1cs: R1CS, ptau_file: Path, work: Path) -> Path:
    """snarkjs' proving key for ``r1cs``, cached by circuit digest and ptau file.

    ``groth16 setup`` is the slow snarkjs step at 2^15 (about 6 minutes on
    two cores); it is deterministic for a given R1CS and ptau, so it runs once.
    """
    digest = setup.circuit_digest(r1cs).hex()[:24]
    cached = ZKEY_CACHE / f"{digest}_{ptau_file.stem}.zkey"
    if not cached.exists():
        ZKEY_CACHE.mkdir(parents=True, exist_ok=True)
        _snarkjs("groth16", "setup", "c.r1cs", ptau_file, "c.zkey", cwd=work)
        shutil.move(str(work / "c.zkey"), cached.with_name(cached.name + ".part"))
        cached.with_name(cached.name + ".part").replace(cached)
    return cached


def snarkjs_prove_time(r1cs: R1CS, witness: list[int]) -> float:
    """Seconds for ``snarkjs groth16 prove`` on this R1CS and witness (setup not timed)."""
    power = max(1, (r1cs.n_constraints + r1cs.n_public).bit_length())
    ptau_file = _ptau(power)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        snarkjs.write_r1cs(r1cs, d / "c.r1cs")
        snarkjs.write_wtns(witness, d / "c.wtns")
        zkey = _zkey(r1cs, ptau_file, d)
        seconds, _ = _timed(lambda: _snarkjs("groth16", "prove", zkey, "c.wtns", "proof.json", "public.json", cwd=d))
        return seconds


def circuit_figures(label: str, n_constraints: int, witness_s: float, setup_s: float, prove_s: float,
                    verify_s: float, snarkjs_s: float | None = None) -> list[Figure]:
    """One circuit's figures from its measurements (``snarkjs_s`` None: snarkjs not run)."""
    workload = CIRCUITS[label][0]
    figures = [
        _figure("constraints", workload, f"zk.{label}.constraints", "constraints", float(n_constraints)),
        _figure("witness_time", workload, f"zk.{label}.witness", "s", witness_s,
                "build circuit with values"),
        _figure("setup_time", workload, f"zk.{label}.setup", "s", setup_s),
        _figure("prove_time", workload, f"zk.{label}.prove", "s", prove_s),
        _figure("verify_time", workload, f"zk.{label}.verify", "s", verify_s, "target < 0.3 s"),
    ]
    if snarkjs_s is not None:
        figures.append(_figure("snarkjs_prove_time", workload, f"zk.{label}.snarkjs_prove", "s",
                               snarkjs_s, "same R1CS, node start included"))
        figures.append(_figure("prove_time_vs_snarkjs", workload, f"zk.{label}.prove_vs_snarkjs", "x",
                               prove_s / snarkjs_s, "l2lab / snarkjs, target <= 2"))
    return figures


def measure(label: str, build: Callable[[], Circuit], with_snarkjs: bool) -> list[Figure]:
    """Every figure for one circuit (``label``, a key of ``CIRCUITS``)."""
    witness_s, circuit = _timed(build)
    r1cs = circuit.compile()  # type: ignore[union-attr]
    witness = circuit.witness()  # type: ignore[union-attr]
    r1cs.check(witness)
    setup_s, (pk, vk) = _timed(lambda: groth16.setup(r1cs, b"bench"))  # type: ignore[misc]
    prove_s, proof = _timed(lambda: groth16.prove(pk, r1cs, witness))
    public = r1cs.public_inputs(witness)
    vk.alpha_beta  # noqa: B018 - computed once per key, not per proof
    verify_s = min(_timed(lambda: groth16.verify(vk, public, proof))[0] for _ in range(2))
    if not groth16.verify(vk, public, proof):
        raise RuntimeError(f"{label}: the benchmark proof does not verify")
    snark_s = snarkjs_prove_time(r1cs, witness) if with_snarkjs else None
    return circuit_figures(label, r1cs.n_constraints, witness_s, setup_s, prove_s, verify_s, snark_s)


def ptau_write_time(power: int) -> float:
    """Seconds to write a prepared development ``.ptau`` of 2^power (snarkjs' route: ~35 min at 2^15)."""
    with tempfile.TemporaryDirectory() as tmp:
        seconds, _ = _timed(lambda: ptau.write_ptau(Path(tmp) / "dev.ptau", power, PTAU_SEED))
        return seconds


def ptau_figure(power: int, seconds: float) -> Figure:
    return _figure("ptau_write_time", f"development .ptau, 2^{power} rows",
                   f"zk.ptau_dev_p{power}.write", "s", seconds,
                   "prepared .ptau from a public seed; development only")


def snarkjs_skipped() -> Figure:
    """The row that says the snarkjs comparison did not run."""
    return _figure("snarkjs_comparison", "snarkjs groth16 prove on the same R1CS", "zk.snarkjs",
                   "skipped", 0.0, "npm/node not available")


def run(quick: bool = False) -> list[Figure]:
    """The zk suite: the EdDSA circuit, and unless ``quick`` the 31k-constraint chain."""
    with_snarkjs = _snarkjs_ready()
    power = 12 if quick else 15
    figures = [ptau_figure(power, ptau_write_time(power))]
    for label in ("eddsa",) if quick else tuple(CIRCUITS):
        figures += measure(label, CIRCUITS[label][1](), with_snarkjs)
    if not with_snarkjs:
        figures.append(snarkjs_skipped())
    return figures


figures = run
