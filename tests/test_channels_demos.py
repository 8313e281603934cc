"""The payment channels' workshop demos, run in-process: each ends ok and no honest user loses a wei.

Each demo runs once per module on the minimal preset (a second or two each)
and its summary is checked by several tests.
"""

from __future__ import annotations

import io
import json

import pytest

from node.schemes.channels.demos import DEMOS, RAIDEN_GAS, SUMMARIES

_RUNS: dict[str, tuple[int, dict, str]] = {}
NAMES = ["channels", "channels-stale-close", "channels-multihop", "channels-mediator-offline", "channels-watchtower"]


def run(name: str) -> tuple[int, dict, str]:
    """(exit code, summary, narration) of one demo on the minimal preset, run once per module."""
    if name not in _RUNS:
        out = io.StringIO()
        code, summary = DEMOS[name]("minimal", out)
        _RUNS[name] = (code, summary, out.getvalue())
    return _RUNS[name]


def honest_losses(summary: dict) -> dict[str, int]:
    return {name: int(u["lost_wei"]) for name, u in summary["users"].items() if u["honest"]}


def test_the_demos_are_registered_with_one_line_summaries() -> None:
    assert set(NAMES) <= set(DEMOS)
    for name in DEMOS:
        assert SUMMARIES[name] and "\n" not in SUMMARIES[name]


@pytest.mark.parametrize("name", NAMES)
def test_each_demo_ends_ok_and_honest_users_lose_nothing(name: str) -> None:
    code, summary, story = run(name)
    assert code == 0 and summary["ok"] is True, summary["verdict"]
    assert summary["scenario"] == name and summary["preset"] == "minimal"
    losses = honest_losses(summary)
    assert losses and set(losses.values()) == {0}
    for user in summary["users"].values():  # lost_wei is computed from balances: start + moved - fees vs end
        assert int(user["l1_fees_wei"]) >= 0 and "channel_wei" in user["end"] and "l1_wei" in user["start"]
    assert summary["l1_gas_total"] == sum(s["gas"] for s in summary["l1_steps"]) > 0
    json.dumps(summary)  # the --json document
    assert story.startswith("\n[1]") and "L1 gas" in story


def test_channels_settles_cooperatively_in_one_transaction_for_any_number_of_payments() -> None:
    _, summary, story = run("channels")
    assert summary["payments"] == 200 and summary["l1_transactions_during_payments"] == 0
    calls = [t["call"] for t in summary["l1_transactions"]]
    assert calls == ["open_channel", "set_total_deposit", "set_total_deposit", "cooperative_settle"]
    assert "(Raiden: 104,000)" in story and summary["raiden_gas"] == RAIDEN_GAS
    # The headline, for two payment counts: after opening, one transaction and the same gas (but calldata).
    few, many = summary["after_opening"]
    assert (few["payments"], many["payments"]) == (200, 400)
    assert few["calls"] == many["calls"] == ["cooperative_settle"] and few["l1_transactions"] == 1
    assert abs(few["l1_gas"] - many["l1_gas"]) < 1_000
    assert "200 payments: 1 L1 transaction(s) after opening" in story
    assert "400 payments: 1 L1 transaction(s) after opening" in story
    assert "channels-stale-close" in story  # where the close/update/settle path is shown
    code, small = DEMOS["channels"]("minimal", io.StringIO(), payments=10, compare=3)  # type: ignore[call-arg]
    assert code == 0 and [t["call"] for t in small["l1_transactions"]] == calls
    assert [row["l1_transactions"] for row in small["after_opening"]] == [1, 1]
    assert set(honest_losses(small).values()) == {0}


def test_the_unilateral_path_stays_in_the_other_demos() -> None:
    _, stale, _ = run("channels-stale-close")
    steps = [s["step"] for s in stale["l1_steps"]]
    for call in ("close_channel", "update_non_closing_balance_proof", "settle_channel"):
        assert call in steps


def test_a_stale_close_gains_the_cheater_nothing() -> None:
    _, summary, story = run("channels-stale-close")
    assert summary["update"]["by"] == "alice" and summary["update"]["nonce"] == 8
    assert summary["settled_wei"] == {"alice": str(8 * 10**18), "mallory": str(2 * 10**18)}
    assert int(summary["cheater_gain_wei"]) <= 0 and summary["users"]["mallory"]["honest"] is False
    assert "update_non_closing_balance_proof" in story


def test_multihop_crosses_three_hops_with_shrinking_expiries() -> None:
    _, summary, _ = run("channels-multihop")
    assert summary["route"] == ["alice", "bob", "carol", "dave"] and summary["payment_status"] == "succeeded"
    expiries = [hop["expiration"] for hop in summary["locks"]]
    assert len(expiries) == 3 and expiries[0] > expiries[1] > expiries[2]
    assert [row["channel"] for row in summary["channels"]] == ["alice-bob", "bob-carol", "carol-dave"]
    assert all(row[row["channel"].split("-")[1]] == str(2 * 10**18) for row in summary["channels"])
    assert summary["l1_steps"] and all(s["step"] in ("open_channel", "set_total_deposit") for s in summary["l1_steps"])


def test_the_offline_mediators_lock_is_claimed_on_l1_in_time() -> None:
    _, summary, _ = run("channels-mediator-offline")
    assert summary["secret_registered_block"] <= summary["lock_expiration"]
    steps = [s["step"] for s in summary["l1_steps"]]
    assert steps.count("unlock") == 2 and "register_secret" in steps
    assert summary["adjudicator_balance_wei"] == "0"


def test_the_watchtower_answers_for_the_offline_user_and_is_paid_only_then() -> None:
    _, summary, _ = run("channels-watchtower")
    steps = [(s["step"], s["by"]) for s in summary["l1_steps"]]
    assert ("monitor", "tower") in steps and ("claim_reward", "tower") in steps
    assert not any(by == "alice" for step, by in steps if step == "update_non_closing_balance_proof")
    assert summary["settled_wei"]["alice"] == str(8 * 10**18) and summary["reward_wei"] == str(10**16)
    assert summary["users"]["alice"]["end"]["monitoring_deposit_wei"] == "0"


def test_on_a_shared_chain_the_demos_window_is_long_enough_for_other_peoples_blocks():
    """Against --rpc, others mine blocks between the demo's steps: the window grows to 200 blocks (never shrinks)."""
    from contracts_spec.channels.params import MAINNET, MINIMAL
    from node.demo_l1 import use_rpc
    from node.schemes.channels.demos import shared_chain_preset

    assert shared_chain_preset(MINIMAL) is MINIMAL
    with use_rpc("http://127.0.0.1:8545"):
        assert shared_chain_preset(MINIMAL).default_settle_timeout == 200
        assert shared_chain_preset(MAINNET).default_settle_timeout == 500
