"""Smoke test of ``l2lab bench channels --quick``: every row is there, labelled, with sane units and values."""

from __future__ import annotations

import pytest

from benchmarks.channels import RAIDEN_GAS, run


@pytest.fixture(scope="module")
def rows():
    figures = run(quick=True)
    assert len({f.key for f in figures}) == len(figures)  # (scheme, metric, workload) names one figure
    return {f.name: f for f in figures}


def test_every_row_is_labelled_channels(rows) -> None:
    assert all(f.scheme == "channels" and f.name.startswith("channels.") for f in rows.values())


def test_direct_payment_rates_and_their_references(rows) -> None:
    wal, memory = rows["channels.direct.per_second.wal"], rows["channels.direct.per_second.memory"]
    floor = rows["channels.direct.per_second.signatures"]
    assert 0 < wal.value <= memory.value * 1.5 and memory.value < floor.value * 1.5
    assert all(f.unit == "payments/s" for f in (wal, memory, floor))
    batched, ceiling = rows["channels.direct.per_second.memory_batched"], rows["channels.direct.per_second.signatures_batched"]
    assert memory.value < batched.value < ceiling.value * 1.5 and "envelope" in rows[
        "channels.direct.per_second.wal_batched"].note
    assert rows["channels.target.per_second"].value == 10_000
    raiden = rows["channels.published.raiden.per_second"]
    assert raiden.value == 500 and "published" in raiden.note


def test_mediated_rows(rows) -> None:
    assert rows["channels.mediated.per_second"].value > 0 and rows["channels.mediated.latency_per_hop"].unit == "ms"
    assert rows["channels.mediated.mean_hops"].value >= 1
    assert "30 peers" in rows["channels.mediated.per_second"].workload
    assert rows["channels.capital.network"].value > rows["channels.capital.two_peers"].value > 0


def test_gas_of_each_call_beside_raidens_published_figures(rows) -> None:
    for method, published in RAIDEN_GAS.items():
        ours = rows[f"channels.gas.{method}"]
        assert ours.unit == "gas" and 21_000 < ours.value < 2 * published, method
        assert rows[f"channels.published.raiden.gas.{method}"].value == published
    assert rows["channels.gas.register_secret"].value > 21_000


def test_the_lifecycle_amortises_over_the_payments(rows) -> None:
    curve = [rows[f"channels.amortisation.{n}"].value for n in (1, 10, 100)]
    assert curve[0] > curve[1] > curve[2] > 0
    assert curve[1] * 10 == pytest.approx(curve[2] * 100, rel=1e-3)  # the same L1 transactions for 10 or 100
    assert all(rows[f"channels.amortisation.{n}"].unit == "gas/payment" for n in (1, 10, 100))
