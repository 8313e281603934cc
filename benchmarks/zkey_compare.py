"""l2lab against ``snarkjs groth16 prove`` on the same ``.zkey`` and ``.wtns``.

Each side runs as a child process from the files on disk, as a user would
run it (``l2lab zk prove`` and the pinned snarkjs in tools/snarkjs), so the
wall times include starting Python or node and reading the key; the peak
memory is the child's ``ru_maxrss`` from ``os.wait4``. Linux carries a
process's peak across ``exec``, so a child reports at least its parent's size
when it was forked: the driver therefore does no heavy work itself (the keys
are written, the verifying key exported and the proofs checked by children
too) and stays at a few tens of MiB. Both proofs are checked: l2lab's by
``snarkjs groth16 verify``, snarkjs' by ``l2lab zk verify``.

The circuits are Poseidon(2) chains (``examples.poseidon_chain``) filling a
domain of 2^power rows. Their keys come from :func:`zkey.dev_zkey` (a
development key from a public seed, the key ``snarkjs groth16 setup`` would
write from the matching development ``.ptau`` plus a delta): snarkjs' own
setup takes minutes at 2^15 and would take hours at 2^18. Keys and witnesses
are cached in the work directory by power.

Run: ``python -m benchmarks.zkey_compare [POWER ...] [--work DIR]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from primitives.snark import examples, groth16, snarkjs, zkey

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "tools" / "snarkjs" / "node_modules" / "snarkjs" / "build" / "cli.cjs"
PTAU_SEED = b"l2lab zkey_compare ptau: public seed, development only"
DELTA_SEED = b"l2lab zkey_compare delta: public seed, development only"
ROWS_PER_LINK = 237  # constraints of one Poseidon(2) link in the chain


@dataclass(frozen=True)
class Run:
    """One prover's child process: wall seconds, peak resident bytes, and whether its proof verified."""

    seconds: float
    peak_bytes: int
    verified: bool


@dataclass(frozen=True)
class Comparison:
    power: int
    constraints: int
    zkey_bytes: int
    l2lab: Run
    snarkjs: Run
    l2lab_report: str
    """What ``l2lab zk prove`` printed: its own split between reading the key and proving."""

    @property
    def ratio(self) -> float:
        """l2lab's time over snarkjs' (below 1: l2lab is faster)."""
        return self.l2lab.seconds / self.snarkjs.seconds

    def lines(self) -> list[str]:
        per = self.constraints
        return [
            f"poseidon_chain, domain 2^{self.power}: {self.constraints} constraints, "
            f".zkey {self.zkey_bytes / 2**20:.0f} MiB",
            f"  l2lab zk prove       {self.l2lab.seconds:7.2f} s  peak {self.l2lab.peak_bytes / 2**20:7.0f} MiB "
            f"({self.l2lab.peak_bytes / per:5.0f} B/constraint)  verified by snarkjs: {self.l2lab.verified}",
            f"  snarkjs groth16 prove {self.snarkjs.seconds:6.2f} s  peak {self.snarkjs.peak_bytes / 2**20:7.0f} MiB "
            f"({self.snarkjs.peak_bytes / per:5.0f} B/constraint)  verified by l2lab: {self.snarkjs.verified}",
            f"  l2lab / snarkjs time: {self.ratio:.2f}",
            f"  l2lab's own report: {self.l2lab_report.splitlines()[0]}",
        ]


def links_for(power: int) -> int:
    """The longest chain whose constraints, two public inputs and the constant fit 2^power rows."""
    return ((1 << power) - 4) // ROWS_PER_LINK


def _child(argv: list[str], cwd: Path) -> tuple[float, int, str]:
    """Run ``argv``; its wall seconds, peak resident bytes (``ru_maxrss`` is KiB on Linux), and output."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {text}")
    scale = 1 if sys.platform == "darwin" else 1024
    return seconds, usage.ru_maxrss * scale, text


def prepare(power: int, work: Path) -> tuple[Path, Path, int]:
    """The cached ``.zkey`` and ``.wtns`` of the chain for 2^power, and its constraint count."""
    key, wtns, info = work / f"chain{power}.zkey", work / f"chain{power}.wtns", work / f"chain{power}.n"
    if not (key.exists() and wtns.exists() and info.exists()):
        circuit = examples.poseidon_chain(42, links_for(power))
        r1cs = circuit.compile()
        if groth16.domain_size(r1cs) != 1 << power:
            raise AssertionError(f"chain of {links_for(power)} links does not fill 2^{power}")
        snarkjs.write_wtns(circuit.witness(), wtns)
        zkey.write_zkey(zkey.dev_zkey(r1cs, PTAU_SEED, DELTA_SEED), key.with_suffix(".part"))
        key.with_suffix(".part").replace(key)
        info.write_text(f"{r1cs.n_constraints}\n")
    return key, wtns, int(info.read_text())


def compare(power: int, work: Path) -> Comparison:
    """Time both provers on the chain for 2^power; needs node and the pinned snarkjs installed."""
    node = shutil.which("node")
    if node is None or not CLI.exists():
        raise RuntimeError("node and tools/snarkjs (npm ci there) are needed for the comparison")
    work.mkdir(parents=True, exist_ok=True)
    py = sys.executable
    _child([py, "-m", "benchmarks.zkey_compare", "--prepare", str(power), "--work", str(work)], ROOT)
    key, wtns = work / f"chain{power}.zkey", work / f"chain{power}.wtns"
    constraints = int((work / f"chain{power}.n").read_text())
    l2_s, l2_mem, l2_out = _child([py, "-m", "node.cli", "zk", "prove", str(key), str(wtns),
                                   str(work / "l2_proof.json"), str(work / "l2_public.json")], ROOT)
    sj_s, sj_mem, _ = _child([node, str(CLI), "groth16", "prove", str(key), str(wtns),
                              "sj_proof.json", "sj_public.json"], work)
    _child([node, str(CLI), "zkey", "export", "verificationkey", str(key), "vk.json"], work)
    l2_ok = "OK" in _child([node, str(CLI), "groth16", "verify", "vk.json", "l2_public.json", "l2_proof.json"],
                           work)[2]
    sj_ok = "proof is valid" in _child([py, "-m", "node.cli", "zk", "verify", str(work / "vk.json"),
                                        str(work / "sj_proof.json"), str(work / "sj_public.json")], ROOT)[2]
    return Comparison(power, constraints, key.stat().st_size, Run(l2_s, l2_mem, l2_ok), Run(sj_s, sj_mem, sj_ok),
                      l2_out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("powers", nargs="*", type=int, default=[16, 18])
    parser.add_argument("--work", default=None, help="directory for the keys and witnesses (default: a temporary one)")
    parser.add_argument("--prepare", type=int, default=None, metavar="POWER",
                        help="only write the key and witness for 2^POWER into --work (the child step)")
    args = parser.parse_args(argv)
    if args.prepare is not None:
        prepare(args.prepare, Path(args.work))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        for power in args.powers:
            for line in compare(power, work).lines():
                print(line, flush=True)
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"(the driver's own peak, a floor under each child's figure: {own / 1024:.0f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
