"""Smoke test of ``l2lab bench zk-rollup --quick``: every row is there, with sane units and values."""

from __future__ import annotations

import pytest

from benchmarks.zk_rollup import run
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.params import BENCH16, SMALL


@pytest.fixture(scope="module")
def rows():
    figures = run(quick=True)
    assert len({f.key for f in figures}) == len(figures)  # (scheme, metric, workload) names one figure
    return {f.name: f for f in figures}


def test_every_row_is_labelled_zk(rows) -> None:
    assert all(f.scheme == "zk" for f in rows.values())


def test_constraint_rows_add_up(rows) -> None:
    p = "zk_rollup.small.constraints"
    parts = (SMALL.deposit_slots * rows[f"{p}.deposit_slot"].value + SMALL.transfer_slots * rows[f"{p}.transfer_slot"].value
             + SMALL.withdraw_slots * rows[f"{p}.withdraw_slot"].value + rows[f"{p}.pubdata_sha256"].value
             + rows[f"{p}.header"].value)
    assert 0 <= rows[f"{p}.batch"].value - parts < 10  # the root and chain checks at the end
    assert rows[f"{p}.transfer_slot"].value < rows[f"{p}.per_transfer"].value < rows[f"{p}.batch"].value
    gadgets = [f for name, f in rows.items() if name.startswith("zk_rollup.small.transfer_slot.")]
    assert {"eddsa", "quadmerkle", "poseidon", "range_bits"} <= {f.name.rsplit(".", 1)[1] for f in gadgets}
    assert sum(f.value for f in gadgets) == rows[f"{p}.transfer_slot"].value
    assert all(f.unit == "constraints" for name, f in rows.items() if ".constraints" in name)


def test_published_and_target_rows(rows) -> None:
    assert rows["zk_rollup.target.constraints_per_transfer"].value == 25_000
    hermez = rows["zk_rollup.published.hermez.constraints_per_transfer"]
    assert round(hermez.value) == 83_886 and "published" in hermez.note
    published = {name.split(".")[2]: f.value for name, f in rows.items() if name.endswith("pubdata_per_transfer")
                 and ".published." in name}
    assert published == {"hermez": 14, "zksync_lite": 20, "loopring": 22}
    assert rows["zk_rollup.bench16.pubdata_per_transfer"].value == pd.transfer_slot_bytes(BENCH16) == 11
    assert rows["zk_rollup.small.pubdata_per_transfer"].unit == "B"


def test_session_rows(rows) -> None:
    p = "zk_rollup.small"
    for name in ("witness.batch", "prove.batch", "prove.per_transfer", "verify"):
        assert rows[f"{p}.{name}"].unit == "s" and rows[f"{p}.{name}"].value > 0
    assert f"{p}.prover_memory" not in rows  # measured in a child process, not with quick=True
    gas = rows[f"{p}.gas.commit.batch"].value
    split = (rows[f"{p}.gas.commit.verification"].value + rows[f"{p}.gas.commit.calldata"].value
             + rows[f"{p}.gas.commit.rest"].value)
    assert split == gas and rows[f"{p}.gas.commit.verification"].value == 45_000 + 4 * 34_000 + 6 * 6_150
    assert rows[f"{p}.gas.commit.rest"].value > 21_000
    assert rows[f"{p}.gas.commit.per_transfer"].value == gas / SMALL.transfer_slots
    for name in ("deposit", "claim_withdrawal", "exit", "activate_exodus"):
        assert rows[f"{p}.gas.{name}"].unit == "gas" and 21_000 < rows[f"{p}.gas.{name}"].value < 2_000_000


def test_ceiling_rows(rows) -> None:
    tps = rows["zk_rollup.small.l1_bound_tps"]
    assert tps.unit == "tx/s"
    assert tps.value == pytest.approx(30_000_000 / rows["zk_rollup.small.gas.commit.per_transfer"].value / 12)
    for preset in ("bench16", "bench64", "bench256"):
        proj = rows[f"zk_rollup.{preset}.gas.per_transfer_projected"]
        assert proj.metric.startswith("projected_") and "projected" in proj.note
        assert 11 * 16 < proj.value < rows["zk_rollup.small.gas.commit.per_transfer"].value
    assert (rows["zk_rollup.bench256.gas.per_transfer_projected"].value
            < rows["zk_rollup.bench16.gas.per_transfer_projected"].value)
