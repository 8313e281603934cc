"""Signature figures: batch ecrecover against a bare libsecp256k1 loop, signing, EIP-712.

The reference is coincurve's ``PublicKey.from_signature_and_message`` in a
Python loop: libsecp256k1 with the least Python around it, i.e. about what
the hardware allows one core. l2lab's compiled ``recover_signers`` does more
per signature (range and EIP-2 checks, keccak, EIP-55 checksum) yet keeps the
loop in C without the GIL, so on one thread it should stay near the bare loop
and on two threads beat it.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable

import coincurve

from benchmarks.harness import Figure, best_time
from primitives import _secp256k1_py, eip712
from primitives.keccak import keccak256

FULL_COUNT = 10_000
QUICK_COUNT = 1_000
PURE_COUNT = 8  # the pure twin takes milliseconds per signature


def make_workload(count: int, sign: Callable[[bytes, bytes], bytes] | None = None
                  ) -> tuple[list[bytes], list[bytes], list[bytes]]:
    """(private keys, digests, signatures) for ``count`` distinct signers, deterministic."""
    if sign is None:
        from primitives.secp256k1 import sign
    keys = [keccak256(b"key" + i.to_bytes(4, "big")) for i in range(count)]
    digests = [keccak256(b"msg" + i.to_bytes(4, "big")) for i in range(count)]
    return keys, digests, [sign(d, k) for d, k in zip(digests, keys, strict=True)]


def bare_coincurve_loop(digests: list[bytes], signatures: list[bytes]) -> list[bytes]:
    """libsecp256k1 recovery in a plain Python loop (coincurve wants v as 0/1)."""
    from_sig = coincurve.PublicKey.from_signature_and_message
    return [from_sig(s[:64] + bytes([s[64] - 27]), d, hasher=None).format(compressed=False)
            for d, s in zip(digests, signatures, strict=True)]


def compiled_module():
    """The compiled twin, or None when it was not built."""
    try:
        return importlib.import_module("primitives._secp256k1_c")
    except ImportError:
        return None


def transfer_workload() -> tuple[eip712.Domain, dict, dict]:
    domain = eip712.Domain(name="l2lab", version="1", chain_id=1337,
                           verifying_contract="0x000000000000000000000000000000000000bEEF")
    types = {"Transfer": [("from", "address"), ("to", "address"), ("amount", "uint256"),
                          ("fee", "uint128"), ("nonce", "uint64")]}
    message = {"from": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
               "to": "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
               "amount": 10**18, "fee": 21, "nonce": 7}
    return domain, types, message


def _cores_used(fn: Callable[[], object]) -> float:
    """Process CPU seconds per wall second over one call: how many cores it really got."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.process_time() - cpu) / (time.perf_counter() - wall)


def _interleaved_best(fns: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best wall seconds of each function over ``rounds`` rounds that call each once in turn."""
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def _per_item_us(seconds: float, count: int) -> float:
    return seconds / count * 1e6


def _figure(metric: str, workload: str, name: str, unit: str, value: float, note: str = "") -> Figure:
    return Figure(scheme="primitives", metric=metric, workload=workload, name=name, unit=unit,
                  value=value, note=note)


def figures(quick: bool) -> list[Figure]:
    count = QUICK_COUNT if quick else FULL_COUNT
    repeat = 2 if quick else 3
    out: list[Figure] = []
    native = compiled_module()
    sign = native.sign if native is not None else _secp256k1_py.sign
    keys, digests, sigs = make_workload(count, sign)

    # The three recovery loops take turns, so a burst of other work on the
    # machine lands on all of them rather than skewing their ratios.
    loops = {"bare": lambda: bare_coincurve_loop(digests, sigs)}
    if native is not None:
        loops["one"] = lambda: native.recover_signers(digests, sigs, threads=1)
        loops["two"] = lambda: native.recover_signers(digests, sigs, threads=2)
    best = _interleaved_best(loops, repeat + 2)
    bare = _per_item_us(best["bare"], count)
    batch = f"{count:,} signatures, distinct signers"
    out.append(_figure("ecrecover_time_bare_coincurve", batch, "ecrecover bare coincurve loop",
                       "us/sig", bare, f"{count} signatures, reference"))
    if native is not None:
        one, two = _per_item_us(best["one"], count), _per_item_us(best["two"], count)
        out += [
            _figure("recover_signers_time_compiled_1_thread", batch,
                    "recover_signers compiled, 1 thread", "us/sig", one, f"{count} signatures"),
            _figure("recover_signers_1_thread_vs_bare_coincurve", batch,
                    "recover_signers compiled, 1 thread / bare loop", "x", one / bare,
                    "target <= 1.3"),
            _figure("recover_signers_time_compiled_2_threads", batch,
                    "recover_signers compiled, 2 threads", "us/sig", two, f"{count} signatures"),
            _figure("recover_signers_2_threads_vs_bare_coincurve", batch,
                    "recover_signers compiled, 2 threads / bare loop", "x", two / bare),
            _figure("recover_signers_speedup_2_threads_vs_1", batch,
                    "recover_signers speedup, 2 threads vs 1", "x", one / two),
            _figure("recover_signers_cores_used_2_threads", batch,
                    "recover_signers 2 threads, CPU time / wall time", "cores",
                    _cores_used(loops["two"]), "below 2 when other work holds a core"),
        ]
        signed = _per_item_us(best_time(
            lambda: [native.sign(d, k) for d, k in zip(digests, keys, strict=True)],
            repeat, 0.1), count)
        out.append(_figure("sign_time_compiled", batch, "sign compiled", "us/sig", signed,
                           f"{count} signatures"))
    pure_d, pure_s = digests[:PURE_COUNT], sigs[:PURE_COUNT]
    pure_batch = f"{PURE_COUNT:,} signatures, distinct signers"
    pure = _per_item_us(best_time(
        lambda: _secp256k1_py.recover_signers(pure_d, pure_s), 1, 0.0), PURE_COUNT)
    out.append(_figure("recover_signers_time_pure", pure_batch, "recover_signers pure twin",
                       "us/sig", pure, f"{PURE_COUNT} signatures"))
    pure_sign = _per_item_us(best_time(
        lambda: [_secp256k1_py.sign(d, k) for d, k in zip(pure_d, keys, strict=False)], 1, 0.0),
        PURE_COUNT)
    out.append(_figure("sign_time_pure", pure_batch, "sign pure twin", "us/sig", pure_sign,
                       f"{PURE_COUNT} signatures"))

    domain, types, message = transfer_workload()
    hasher = eip712.StructHasher(types, "Transfer")
    separator = eip712.domain_separator(domain)
    fast = best_time(lambda: hasher.digest(separator, message), repeat, 0.1) * 1e6
    generic = best_time(
        lambda: eip712.typed_data_digest(domain, types, "Transfer", message), repeat, 0.1) * 1e6
    transfer = f"Transfer struct, {len(types['Transfer'])} fields"
    out += [
        _figure("eip712_digest_time_struct_hasher", transfer,
                "EIP-712 transfer digest, StructHasher", "us", fast, f"{1e6 / fast:,.0f}/s"),
        _figure("eip712_digest_time_generic", transfer, "EIP-712 transfer digest, generic", "us",
                generic),
        _figure("eip712_digest_speedup_struct_hasher_vs_generic", transfer,
                "EIP-712 StructHasher speedup", "x", generic / fast),
    ]
    return out


if __name__ == "__main__":
    import sys

    from benchmarks.harness import format_table

    print(format_table(figures(quick="--quick" in sys.argv)))
