"""L1 figures: transfers per second through ``send_raw_transaction`` and a contract call's gas and time.

Transactions are signed with eth-account before the clock starts, so the
figures measure the node: decoding, sender recovery, validation, execution,
mining one block per transaction (automine) and, on disk, committing that
block to SQLite (WAL, synchronous=FULL: each acknowledged transaction is
durable). In-memory and on-disk runs are measured one after the other so
their ratio is fair.
"""

from __future__ import annotations

import tempfile
import time

from eth_abi import encode as abi_encode
from eth_account import Account

from benchmarks.harness import Figure, best_time
from contracts_spec.examples import Counter
from contracts_spec.runtime import deploy_data
from node.chain import Chain

KEY = bytes.fromhex("8da4ef21b864d2cc526dbdb2a120bd2874c36c9d0a1fb7f8c63d7f7a8b41de8f")
SENDER = Account.from_key(KEY).address
RECIPIENT = Account.from_key(b"\x42" * 32).address
MAX_FEE = 10**11  # above any base fee these runs reach


def _signed(count: int, *, to: str = RECIPIENT, data: bytes = b"", gas: int = 21_000, start: int = 0) -> list[bytes]:
    out = []
    for nonce in range(start, start + count):
        tx = {"type": 2, "chainId": 31337, "nonce": nonce, "to": to, "value": 1 if not data else 0,
              "data": data, "gas": gas, "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": 10**9}
        out.append(bytes(Account.sign_transaction(tx, KEY).raw_transaction))
    return out


def transfers_per_second(chain: Chain, raws: list[bytes]) -> float:
    """Send pre-signed transfers one by one (automine) and return the rate."""
    start = time.perf_counter()
    for raw in raws:
        chain.send_raw_transaction(raw)
    return len(raws) / (time.perf_counter() - start)


def _figure(metric: str, workload: str, name: str, unit: str, value: float, note: str = "") -> Figure:
    return Figure(scheme="l1", metric=metric, workload=workload, name=name, unit=unit, value=value,
                  note=note)


def figures(quick: bool = False) -> list[Figure]:
    n_mem, n_disk, n_calls = (200, 60, 100) if quick else (2_000, 400, 500)
    alloc = {SENDER: 10**24}
    out: list[Figure] = []

    raws = _signed(n_mem)
    with Chain(genesis_alloc=alloc) as chain:
        mem_rate = transfers_per_second(chain, raws)
    out.append(_figure("transfer_throughput_in_memory", f"{n_mem:,} transfers, a block each",
                       "l1 transfers, automine, in memory", "tx/s", mem_rate, f"{n_mem} txs"))

    raws = _signed(n_disk)
    with tempfile.TemporaryDirectory() as tmp, Chain(genesis_alloc=alloc, data_dir=tmp) as chain:
        disk_rate = transfers_per_second(chain, raws)
    out.append(_figure("transfer_throughput_on_disk", f"{n_disk:,} transfers, a block each",
                       "l1 transfers, automine, on disk (fsync per block)", "tx/s", disk_rate,
                       f"{n_disk} txs"))
    out.append(_figure("transfer_throughput_in_memory_vs_on_disk",
                       f"{n_mem:,} vs {n_disk:,} transfers, a block each",
                       "l1 in-memory / on-disk transfer rate", "x", mem_rate / disk_rate))

    with Chain(genesis_alloc=alloc) as chain:
        deploy = {"type": 2, "chainId": 31337, "nonce": 0, "value": 0, "data": deploy_data(Counter, 0),
                  "gas": 500_000, "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": 10**9}
        h = chain.send_raw_transaction(bytes(Account.sign_transaction(deploy, KEY).raw_transaction))
        counter = chain.get_receipt(h).contract_address
        spec = Counter.method("increment")
        data = spec.selector + abi_encode(["uint256"], [1])
        calls = _signed(n_calls, to=counter, data=data, gas=100_000, start=1)
        first = chain.get_receipt(chain.send_raw_transaction(calls[0]))
        second = chain.get_receipt(chain.send_raw_transaction(calls[1]))
        rate = transfers_per_second(chain, calls[2:])
        view = Counter.method("count").selector
        call_s = best_time(lambda: chain.call(counter, view), repeat=3, min_time=0.1 if quick else 0.3)
    out.append(_figure("counter_increment_gas_first_call", "Counter.increment(1), count 0 -> 1",
                       "Counter.increment gas, first call (zero -> non-zero)", "gas", first.gas_used,
                       ", ".join(f"{k} {v}" for k, v in first.gas_breakdown.items())))
    out.append(_figure("counter_increment_gas_later_call", "Counter.increment(1), count 1 -> 2",
                       "Counter.increment gas, later calls", "gas", second.gas_used))
    out.append(_figure("counter_increment_throughput_in_memory",
                       f"{len(calls) - 2:,} Counter.increment(1) calls, a block each",
                       "Counter.increment transactions, automine, in memory", "tx/s", rate))
    out.append(_figure("counter_count_call_time", "eth_call of Counter.count()",
                       "Counter.count() eth_call", "us", call_s * 1e6))
    return out


run = figures

if __name__ == "__main__":
    from benchmarks.harness import format_table

    print(format_table(figures(quick=True)))
