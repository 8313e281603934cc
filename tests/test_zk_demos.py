"""The zk-rollup's workshop demos, run in-process: each ends ok and no honest user loses a wei.

Each demo deploys its own rollup and proves real batches (seconds each); the
proving keys come from the shared cache (``L2LAB_ZK_KEYS`` or
``~/.cache/l2lab/zk-keys``), so only the first run of a fresh cache pays the
setup. Each demo runs once per module and its summary is checked by several tests.
"""

from __future__ import annotations

import io
import json

import pytest

from node.schemes.zk.demos import DEMOS, SUMMARIES

_RUNS: dict[str, tuple[int, dict, str]] = {}


def run(name: str) -> tuple[int, dict, str]:
    """(exit code, summary, narration) of one demo on the small preset, run once per module."""
    if name not in _RUNS:
        out = io.StringIO()
        code, summary = DEMOS[name]("small", out)
        _RUNS[name] = (code, summary, out.getvalue())
    return _RUNS[name]


def honest_losses(summary: dict) -> dict[str, int]:
    return {name: int(u["lost_wei"]) for name, u in summary["users"].items() if u["honest"]}


def test_the_three_demos_are_registered_with_one_line_summaries() -> None:
    assert set(DEMOS) == {"zk", "zk-invalid-batch", "zk-censorship"}
    for name in DEMOS:
        assert SUMMARIES[name] and "\n" not in SUMMARIES[name]


@pytest.mark.parametrize("name", ["zk", "zk-invalid-batch", "zk-censorship"])
def test_each_demo_ends_ok_and_honest_users_lose_nothing(name: str) -> None:
    code, summary, story = run(name)
    assert code == 0 and summary["ok"] is True, summary["verdict"]
    assert summary["scenario"] == name and summary["preset"] == "small"
    losses = honest_losses(summary)
    assert losses and set(losses.values()) == {0}
    # what each honest user lost is computed from balances, not set: start + moved - fees vs end
    for user in summary["users"].values():
        assert int(user["l1_fees_wei"]) >= 0 and "end" in user and "start" in user
    json.dumps(summary)  # the --json document
    assert story.startswith("\n[1]") and "L1 gas" in story


def test_zk_shows_proof_time_gas_of_verification_and_an_immediate_withdrawal() -> None:
    _, summary, story = run("zk")
    proofs = summary["batches"]["proofs"]
    assert summary["batches"]["verified"] == 2 and len(proofs) == 2
    for proof in proofs:
        assert proof["constraints"] > 0 and proof["prove_seconds"] > 0 and proof["pubdata_bytes"] > 0
        assert proof["verify_fixed_gas"] == 45_000 + 4 * 34_000 + 6 * 6_150
    assert "45,000 + 4·34,000 + 6·6,150" in story and "Groth16 proof" in story
    assert summary["withdrawal"]["claimed_wei"] == str(10**18)
    assert summary["withdrawal"]["seconds_after_verification"] < summary["withdrawal"]["optimistic_mainnet_window_s"]
    assert summary["withdrawal"]["optimistic_mainnet_window_s"] == 7 * 24 * 3600 and "7 days" in story
    assert "nothing to claim" in summary["second_claim_reason"]
    assert summary["rebuilt_root_matches"] is True


def test_zk_invalid_batch_refuses_all_four_forgeries_and_the_operator_pays() -> None:
    _, summary, story = run("zk-invalid-batch")
    attacks = summary["attacks"]
    assert len(attacks) == 4
    for attack in attacks:
        assert attack["refused"] and "proof does not verify" in attack["reason"]
        assert attack["gas"] > 21_000 and int(attack["fee_wei"]) > 0
    assert summary["operator_burned_gas"] == sum(a["gas"] for a in attacks)
    assert summary["batches"]["verified"] == 2  # batch 0, then the honest batch 1
    mallory = summary["users"]["mallory"]
    assert not mallory["honest"] and int(mallory["end"]["l2_wei"]) == 10**17  # her own deposit, no more
    assert story.count("refused:") == 4


def test_zk_censorship_ends_in_exodus_with_every_wei_returned() -> None:
    _, summary, story = run("zk-censorship")
    reasons = [r["reason"] for r in summary["refusals"]]
    assert all(r["refused"] for r in summary["refusals"])
    assert any("no deposit is overdue" in r for r in reasons)
    assert any("overdue and the batch leaves it out" in r for r in reasons)
    assert any("exodus mode" in r for r in reasons)
    assert any("already exited" in r for r in reasons)
    assert any("already refunded" in r for r in reasons)
    assert summary["exodus"] is True
    assert summary["contract_balance_end_wei"] == summary["contract_balance_wei"] == "0"
    exits = summary["exits"]
    assert set(exits) == {"alice", "bob"}
    assert exits["alice"]["amount_wei"] == str(2 * 10**18) and exits["bob"]["amount_wei"] == str(3 * 10**18)
    for e in exits.values():
        assert e["poseidon_gas"] == 5 * 54_352  # leaf + 4 levels at depth 8, poseidon-solidity's T5 figure
    carol = summary["users"]["carol"]
    assert carol["end"]["l2_wei"] == "0" and int(carol["lost_wei"]) == 0  # refunded on L1
