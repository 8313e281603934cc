"""BN254 prover kernels: MSM on G1 and G2, fixed-base batch multiplication, FFT over Fr.

The compiled twin is timed at the sizes a Groth16 prover meets (2^12 and 2^15
points, 2^16 evaluations); the pure twin only at small sizes, so the two are
compared per point (or per butterfly-free element), measured in the same run.
"""

from __future__ import annotations

import importlib
import random
import time
from types import ModuleType

from benchmarks.harness import Figure, best_time
from primitives.snark import _kernels_py
from primitives.snark._kernels_py import G1_GENERATOR, G2_GENERATOR, R

G1, G2 = G1_GENERATOR, G2_GENERATOR


def compiled() -> ModuleType | None:
    """The compiled twin, or None when it was not built."""
    try:
        return importlib.import_module("primitives.snark._kernels_c")
    except ImportError:
        return None


def fastest() -> ModuleType:
    """The compiled twin when built, for making inputs quickly."""
    return compiled() or _kernels_py


def make_scalars(n: int, seed: int = 1) -> list[int]:
    """``n`` random scalars of Fr, the same for every run."""
    rng = random.Random(seed)
    return [rng.randrange(R) for _ in range(n)]


def make_g1(n: int, seed: int = 2) -> list[tuple[int, int]]:
    """``n`` random G1 points (random multiples of the generator)."""
    return fastest().batch_mul_g1(G1, make_scalars(n, seed))


def make_g2(n: int, seed: int = 3) -> list:
    """``n`` random G2 points (random multiples of the generator)."""
    return fastest().batch_mul_g2(G2, make_scalars(n, seed))


def _once(fn) -> float:
    """Seconds for one call, for the slow workloads where one call is long enough."""
    return best_time(fn, repeat=1, min_time=0.0)


def _cpu_seconds(fn, repeat: int = 2) -> float:
    """Least CPU time (all threads) of one call: steadier than wall time on a shared machine."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best


def _figure(metric: str, workload: str, name: str, unit: str, value: float, note: str = "") -> Figure:
    """A kernel figure: the zk provers' hot paths, so scheme "zk"."""
    return Figure(scheme="zk", metric=metric, workload=workload, name=name, unit=unit, value=value,
                  note=note)


def _per_point_ratio(op: str, workload: str, name: str, pure_each: float, fast_each: float) -> Figure:
    return _figure(f"{op}_speedup_compiled_vs_pure_per_point", workload,
                   f"{name} compiled vs pure, per point", "x", pure_each / fast_each)


def _msm_figures(quick: bool) -> list[Figure]:
    native = compiled()
    figures = []
    for group, make, pure_n in (("g1", make_g1, 64 if quick else 256),
                                ("g2", make_g2, 16 if quick else 64)):
        pure_pts, pure_sc = make(pure_n), make_scalars(pure_n, 4)
        msm_pure = getattr(_kernels_py, f"msm_{group}")
        op, small = f"msm_{group}", f"{pure_n} points"
        pure = _once(lambda f=msm_pure, p=pure_pts, s=pure_sc: f(p, s))
        figures.append(_figure(f"{op}_time_pure", small, f"{op} {small}, pure", "ms", pure * 1e3,
                               "L2LAB_NATIVE=0 path"))
        if native is None:
            continue
        msm_fast = getattr(native, op)
        assert msm_fast(pure_pts, pure_sc) == msm_pure(pure_pts, pure_sc)
        fast_small = best_time(lambda f=msm_fast, p=pure_pts, s=pure_sc: f(p, s))
        figures.append(_per_point_ratio(op, small, f"{op} {small}",
                                        pure / pure_n, fast_small / pure_n))
        for log_n in ((10, 12) if quick else (12, 15)):
            n, size = 1 << log_n, f"2^{log_n} points"
            pts, sc = make(n), make_scalars(n, 5)
            t = best_time(lambda f=msm_fast, p=pts, s=sc: f(p, s), repeat=2 if quick else 3)
            figures.append(_figure(f"{op}_time_compiled", size, f"{op} {size}, compiled", "ms",
                                   t * 1e3, f"{native.THREADS} threads"))
            cpu = _cpu_seconds(lambda f=msm_fast, p=pts, s=sc: f(p, s))
            figures.append(_figure(f"{op}_cpu_time_compiled", size,
                                   f"{op} {size}, compiled, CPU time", "ms", cpu * 1e3,
                                   "summed over threads"))
    return figures


def _batch_mul_figures(quick: bool) -> list[Figure]:
    native = compiled()
    pure_n = 64 if quick else 256
    sc = make_scalars(pure_n, 6)
    pure = _once(lambda: _kernels_py.batch_mul_g1(G1, sc))
    small = f"{pure_n} scalars"
    figures = [_figure("batch_mul_g1_time_pure", small, f"batch_mul_g1 {small}, pure", "ms",
                       pure * 1e3)]
    if native is None:
        return figures
    log_n = 12 if quick else 15
    size = f"2^{log_n} scalars"
    big = make_scalars(1 << log_n, 7)
    t = best_time(lambda: native.batch_mul_g1(G1, big), repeat=2 if quick else 3)
    figures += [
        _figure("batch_mul_g1_time_compiled", size, f"batch_mul_g1 {size}, compiled", "ms",
                t * 1e3, "window table"),
        _figure("batch_mul_g1_cpu_time_compiled", size, f"batch_mul_g1 {size}, compiled, CPU time",
                "ms", _cpu_seconds(lambda: native.batch_mul_g1(G1, big)) * 1e3,
                "summed over threads"),
        _per_point_ratio("batch_mul_g1", f"{small} pure vs {size} compiled", "batch_mul_g1",
                         pure / pure_n, t / (1 << log_n)),
    ]
    return figures


def _fft_figures(quick: bool) -> list[Figure]:
    native = compiled()
    log_n = 12 if quick else 16
    n = 1 << log_n
    values = make_scalars(n, 8)
    omega = _kernels_py.root_of_unity(n)
    pure = _once(lambda: _kernels_py.fft(values, omega))
    size = f"2^{log_n} evaluations over Fr"
    figures = [_figure("fft_time_pure", size, f"fft 2^{log_n}, pure", "ms", pure * 1e3)]
    if native is None:
        return figures
    assert native.fft(values, omega) == _kernels_py.fft(values, omega)
    fast = best_time(lambda: native.fft(values, omega))
    figures += [
        _figure("fft_time_compiled", size, f"fft 2^{log_n}, compiled", "ms", fast * 1e3,
                "ints in and out included"),
        _figure("fft_cpu_time_compiled", size, f"fft 2^{log_n}, compiled, CPU time", "ms",
                _cpu_seconds(lambda: native.fft(values, omega)) * 1e3, "summed over threads"),
        _figure("fft_speedup_compiled_vs_pure", size, f"fft 2^{log_n} compiled vs pure", "x",
                pure / fast),
    ]
    return figures


def figures(quick: bool = False) -> list[Figure]:
    """Every kernel figure, measured one after another in this process."""
    return _msm_figures(quick) + _batch_mul_figures(quick) + _fft_figures(quick)


# ``l2lab bench`` calls a suite's run(quick).
run = figures


if __name__ == "__main__":
    import sys

    from benchmarks.harness import format_table

    print(format_table(figures(quick="--quick" in sys.argv)))
