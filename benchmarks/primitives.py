"""``l2lab bench primitives``: hashing, Merkle trees, signatures and L1 transfers.

Compiled and pure twins are measured side by side in one run, with a bare
libsecp256k1 recovery loop (coincurve) as the reference for what the hardware
allows. Each part lives in its own module; this suite runs them in order.
"""

from __future__ import annotations

import importlib

from benchmarks.harness import Figure

PARTS = ("benchmarks.bench_hashing", "benchmarks.bench_signatures", "benchmarks.bench_l1")


def run(quick: bool = False) -> list[Figure]:
    figures: list[Figure] = []
    for name in PARTS:
        module = importlib.import_module(name)
        figures.extend(module.figures(quick))
    return figures
