"""Smoke test of ``l2lab bench plasma --quick``: every row is there, labelled, and its values hang together."""

from __future__ import annotations

import pytest

from benchmarks.plasma import BOND, OMG_PUBLISHED_GAS, START_GAS, run
from contracts_spec.plasma.rules import (
    CONFIRMATIONS_BYTES,
    HASH_BYTES,
    MAX_TXS_PER_BLOCK,
    SIGNED_TX_BYTES,
)

SIZES = (1, 10, 100, 1000)
USERS = (100, 300)


@pytest.fixture(scope="module")
def rows():
    figures = run(quick=True)
    assert len({f.key for f in figures}) == len(figures)  # (scheme, metric, workload) names one figure
    assert len({f.name for f in figures}) == len(figures)
    return {f.name: f for f in figures}


def test_every_row_is_labelled_plasma(rows) -> None:
    assert all(f.scheme == "plasma" and f.name.startswith("plasma.") for f in rows.values())


def test_operator_rates_are_positive_and_name_their_block(rows) -> None:
    for kind in ("wal", "memory"):
        assert rows[f"plasma.operator.admit_per_second.{kind}"].value > 0
        assert rows[f"plasma.operator.per_second.{kind}"].value > 0
        assert rows[f"plasma.operator.block_time.{kind}"].unit == "ms"
        assert "1,000 spends" in rows[f"plasma.operator.per_second.{kind}"].workload
    assert rows["plasma.operator.admit_per_second.single"].value > 0
    assert rows["plasma.operator.admit_per_second.recovery_floor"].value > 0
    assert 0 < rows["plasma.operator.txs_per_block"].value <= MAX_TXS_PER_BLOCK


def test_a_block_costs_l1_the_same_whatever_it_holds(rows) -> None:
    per_block = [rows[f"plasma.block_gas.{n}"].value for n in SIZES]
    per_tx = [rows[f"plasma.gas_per_tx.{n}"].value for n in SIZES]
    assert 21_000 < min(per_block) and max(per_block) < 100_000
    assert max(per_block) - min(per_block) <= 0.01 * min(per_block)
    assert all(a > b for a, b in zip(per_tx, per_tx[1:], strict=False))  # gas per tx falls as blocks grow
    assert per_tx[-1] < 100 and all(rows[f"plasma.gas_per_tx.{n}"].unit == "gas/tx" for n in SIZES)


def test_a_client_stores_every_transaction_of_every_block_it_watches(rows) -> None:
    # Each of the n single-input spends spends an output whose creating transaction's confirmation it keeps.
    for n in SIZES:
        assert rows[f"plasma.storage.{n}"].value == n * (SIGNED_TX_BYTES + CONFIRMATIONS_BYTES) + HASH_BYTES


def test_gas_of_each_call_beside_omgs_published_figures(rows) -> None:
    gas = {c: rows[f"plasma.gas.{c}"].value for c in ("deposit", "start_deposit_exit", "start_exit_1_input",
                                                      "start_exit_2_inputs", "challenge_exit", "finalize_per_exit")}
    assert all(rows[f"plasma.gas.{c}"].unit == "gas" for c in gas)
    assert all(21_000 < g < 300_000 for c, g in gas.items() if c != "finalize_per_exit")
    assert 0 < gas["finalize_per_exit"] < gas["start_exit_1_input"]
    assert gas["start_exit_2_inputs"] > gas["start_exit_1_input"] > gas["start_deposit_exit"]  # more to check
    for call, published in OMG_PUBLISHED_GAS.items():
        row = rows[f"plasma.published.omg.gas.{call}"]
        assert row.value == published and "published" in row.note
        assert gas[call] < 3 * published


def test_every_mass_exit_pays_every_honest_user_first_and_empties_the_contract(rows) -> None:
    for n in USERS:
        exits = rows[f"plasma.mass_exit.exits.{n}"].value
        assert exits == n + n // 2 + 1  # each user's outputs and the thief's
        assert rows[f"plasma.mass_exit.paid_in_full.{n}"].value == exits - 1
        assert rows[f"plasma.mass_exit.paid_before_thief.{n}"].value == exits - 1
        assert 0 < rows[f"plasma.mass_exit.thief_paid.{n}"].value <= BOND
        assert rows[f"plasma.mass_exit.contract_left.{n}"].value == 0


def test_the_mass_exit_fits_l1_blocks_and_grows_with_the_users(rows) -> None:
    limit = 30_000_000
    for n in USERS:
        start_gas = rows[f"plasma.mass_exit.start_gas.{n}"].value
        blocks = rows[f"plasma.mass_exit.start_blocks.{n}"].value
        assert rows[f"plasma.mass_exit.max_block_gas.{n}"].value <= limit  # no block over the gas limit
        # Packed: no fewer blocks than the gas needs, and every block but the last as full as an exit allows.
        assert blocks >= -(-start_gas // limit) and start_gas > (blocks - 1) * (limit - START_GAS)
        assert rows[f"plasma.mass_exit.finalize_blocks.{n}"].value >= 1
        assert f"{limit:,}" in rows[f"plasma.mass_exit.start_blocks.{n}"].note
        assert rows[f"plasma.mass_exit.base_fee_rise.{n}"].value >= 1
    small, large = USERS
    for metric in ("start_gas", "finalize_gas"):
        assert rows[f"plasma.mass_exit.{metric}.{large}"].value > rows[f"plasma.mass_exit.{metric}.{small}"].value
    assert rows[f"plasma.mass_exit.start_blocks.{large}"].value > rows[f"plasma.mass_exit.start_blocks.{small}"].value
    assert rows["plasma.mass_exit.users_per_week"].value > large
    assert "derived" in rows["plasma.mass_exit.users_per_week"].note
