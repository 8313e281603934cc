"""pytest-benchmark timings of the workloads in optimistic.py.

Run with ``python -m pytest benchmarks/test_bench_optimistic.py --benchmark-enable``.
"""

from __future__ import annotations

from benchmarks.optimistic import USERS, _funded_sequencer, _wallets, signed_transfers
from contracts_spec.optimistic.encoding import decode_batch
from contracts_spec.optimistic.params import MAINNET

WALLETS = _wallets(USERS, "0x" + "22" * 20)
TXS = signed_transfers(WALLETS, 1000)


def _one_batch() -> bytes:
    seq = _funded_sequencer(WALLETS, MAINNET.tree_depth)
    results = seq.submit(TXS)
    assert all(r is None for r in results)
    return seq.cut_batch().data


def test_operator_batch_of_1000_transfers(benchmark):
    """Admission with batched recovery, tree updates with a root per step, encoding."""
    data = benchmark.pedantic(_one_batch, rounds=3, iterations=1)
    assert len(decode_batch(data).entries) == 1000


def test_decode_batch_of_1000_transfers(benchmark):
    data = _one_batch()
    batch = benchmark(decode_batch, data)
    assert len(batch.entries) == 1000


def test_write_ahead_log_commit_of_100_transfers(benchmark, tmp_path):
    """One durable group commit (fsync) of an API call's 100 accepted transfers, then forgetting them."""
    from rollup.optimistic.wal import AcceptLog, tx_ids

    log = AcceptLog(tmp_path / "wal.sqlite")
    calls = TXS[:100]
    ids = tx_ids(calls)

    def commit_and_forget() -> None:
        log.append(calls)
        log.forget(ids)

    benchmark(commit_and_forget)
    assert len(log) == 0
    log.close()
