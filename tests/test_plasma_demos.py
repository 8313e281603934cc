"""Plasma MVP's workshop demos, run in-process: each ends ok and no honest user loses a wei.

Each demo runs once per module on the minimal preset (well under a second
each) and its summary is checked by several tests; one more runs through the
``l2lab demo`` entry point with ``--json``, and two on the mainnet preset (a
week-long exit period walked through by time travel, some seconds each).
"""

from __future__ import annotations

import io
import json

import pytest

from node.cli import main
from node.schemes.plasma.demos import DEMOS, OMG_GAS, SUMMARIES

ETH = 10**18
BOND = ETH // 100  # the minimal preset's exit bond
IFE_BOND, PB_BOND = BOND, BOND * 3 // 4  # its in-flight exit's and piggyback's bonds
NAMES = ["plasma", "plasma-double-spend", "plasma-withheld", "plasma-exit-twice", "plasma-in-flight"]
_RUNS: dict[str, tuple[int, dict, str]] = {}


def run(name: str) -> tuple[int, dict, str]:
    """(exit code, summary, narration) of one demo on the minimal preset, run once per module."""
    if name not in _RUNS:
        out = io.StringIO()
        code, summary = DEMOS[name]("minimal", out)
        _RUNS[name] = (code, summary, out.getvalue())
    return _RUNS[name]


def honest_losses(summary: dict) -> dict[str, int]:
    return {name: int(u["lost_wei"]) for name, u in summary["users"].items() if u["honest"]}


def steps(summary: dict) -> list[tuple[str, str]]:
    return [(s["step"], s["by"]) for s in summary["l1_steps"]]


def test_the_demos_are_registered_with_one_line_summaries() -> None:
    from node.cli_demo import all_demos
    from node.schemes import get_scheme

    assert list(DEMOS) == NAMES
    assert set(get_scheme("plasma").demos()) == set(NAMES)
    assert all(all_demos()[name][1] is DEMOS[name] for name in NAMES)
    for name in NAMES:
        assert SUMMARIES[name] and "\n" not in SUMMARIES[name]


def test_the_demo_command_lists_them(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["demo", "--help"])
    assert exited.value.code == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_demo_ends_ok_and_honest_users_lose_nothing(name: str) -> None:
    code, summary, story = run(name)
    assert code == 0 and summary["ok"] is True, summary["verdict"]
    assert summary["scenario"] == name and summary["preset"] == "minimal"
    losses = honest_losses(summary)
    assert losses and set(losses.values()) == {0}
    for user in summary["users"].values():  # lost_wei is computed from balances: start + moved - fees vs end
        assert set(user["start"]) == set(user["end"]) == {"l1_wei", "plasma_wei", "exiting_wei", "bond_wei"}
        assert int(user["l1_fees_wei"]) >= 0
    assert summary["exit_bond_wei"] == str(BOND) and summary["exit_period"] == {"blocks": 5, "seconds": 60}
    assert summary["l1_gas_total"] == sum(s["gas"] for s in summary["l1_steps"]) > 0
    for step in summary["l1_steps"]:  # every figure the story tells is the receipt's
        assert step["gas"] > 0 and f"sends {step['step']}: {step['gas']:,} L1 gas" in story
    json.dumps(summary)  # the --json document
    assert story.startswith("\n[1]") and "L1 gas" in story


def test_plasma_puts_one_root_per_block_on_l1_and_bob_exits_in_full() -> None:
    _, summary, story = run("plasma")
    blocks = summary["blocks"]
    assert [(b["blknum"], b["transactions"]) for b in blocks] == [(1000, 1), (2000, 2), (3000, 3)]
    gas = [b["submit_gas"] for b in blocks]
    assert max(gas) - min(gas) < 100  # a root costs the same whatever its block holds
    assert [b["gas_per_transaction"] for b in blocks] == [g // n for g, n in zip(gas, (1, 2, 3), strict=True)]
    assert steps(summary).count(("submit_block", "operator")) == 3
    assert steps(summary).count(("start_exit", "bob")) == 2 and ("finalize_exits", "bob") in steps(summary)
    # Bob is paid each exit and its bond; the root chain holds exactly what Alice and Carol still hold.
    exits = {e["utxo_pos"]: int(e["amount"]) for e in summary["exits"]}
    assert sum(exits.values()) == 5 * ETH // 2
    assert {(p["owner"], p["utxo_pos"], int(p["paid"])) for p in summary["payouts"]} == {
        ("bob", pos, amount + BOND) for pos, amount in exits.items()}
    still = {k: int(v) for k, v in summary["still_on_child_chain"].items()}
    assert still == {"alice": 17 * ETH // 4, "carol": 13 * ETH // 4}
    assert int(summary["root_chain_balance_wei"]) == sum(still.values())
    bob = summary["users"]["bob"]
    assert bob["end"]["bond_wei"] == "0" and bob["end"]["plasma_wei"] == bob["end"]["exiting_wei"] == "0"
    for words in ("deposits 10 ETH", "block 3000: 3 transaction(s)", "per transaction", "Merkle root",
                  "confirmation", "exit period passes", "balances add up", "his bonds are back"):
        assert words in story, words
    assert f"OMG Network: ~{OMG_GAS['finalize_exits_per_exit']:,}" in story


def test_a_double_spend_exit_is_challenged_and_the_challenger_gets_the_bond() -> None:
    _, summary, story = run("plasma-double-spend")
    assert summary["users"]["mallory"]["honest"] is False and "lost_wei" not in summary["users"]["mallory"]
    assert ("start_deposit_exit", "mallory") in steps(summary) and ("challenge_exit", "bob") in steps(summary)
    challenge = summary["challenge"]
    assert challenge["by"] == "bob" and challenge["utxo_pos"] == summary["attack"]["utxo_pos"] == 10**9
    assert challenge["spend_pos"] == 1000 * 10**9 and challenge["bond_wei"] == str(BOND)
    assert int(summary["challenger_gain_wei"]) == BOND and int(summary["cheater_gain_wei"]) == -BOND
    assert "exit exists" in summary["restart_refused"] and "challenged" in summary["restart_refused"]
    assert [(p["owner"], p["paid"]) for p in summary["payouts"]] == [("bob", str(2 * ETH + BOND))]
    assert summary["users"]["mallory"]["end"]["plasma_wei"] == str(ETH)  # her change stays hers
    for words in ("already spent", "challenge_exit", "confirmation signature", "challenged; the challenger is bob",
                  f"OMG Network: ~{OMG_GAS['challenge_exit']:,}"):
        assert words in story, words


def test_withheld_data_sends_everyone_out_before_the_thief() -> None:
    _, summary, story = run("plasma-withheld")
    assert summary["users"]["operator"]["honest"] is False
    assert all("block 2000 withheld" in alarm for alarm in summary["alarms"].values())
    assert summary["withheld_block"] == 2000 and summary["minted_wei"] == str(20 * ETH)
    # The thief exited first, yet its exit is queued last and paid last.
    started = [by for step, by in steps(summary) if step in ("start_exit", "start_deposit_exit")]
    assert started[0] == "operator" and set(started[1:]) == {"alice", "bob", "carol"}
    assert [row["owner"] for row in summary["queue"]] == ["bob", "carol", "alice", "operator"]
    assert summary["paid_order"] == ["bob", "carol", "alice", "operator"]
    paid = {p["owner"]: int(p["paid"]) for p in summary["payouts"]}
    assert paid == {"alice": 4 * ETH + BOND, "bob": 3 * ETH + BOND, "carol": ETH + BOND, "operator": BOND}
    assert summary["root_chain_before_payouts_wei"] == str(8 * ETH + 4 * BOND)
    assert summary["root_chain_balance_wei"] == "0"
    assert int(summary["thief_paid_wei"]) <= BOND and int(summary["thief_gain_wei"]) <= 0
    # Its challenge of Alice's exit with the withheld spend was mined and reverted: no confirmation of hers.
    assert "bad signature" in summary["challenge_refused"] and ("challenge_exit", "operator") in steps(summary)
    for words in ("never serves the block", "mass exit", "raises the alarm", "oldest first", "queued behind",
                  "all the root chain had left", "reverted"):
        assert words in story, words


def test_a_chain_of_self_spends_does_not_exit_twice() -> None:
    _, summary, story = run("plasma-exit-twice")
    assert [(e["kind"], e["state"]) for e in summary["exits"]] == [("deposit", "challenged"),
                                                                  ("self-spend", "finalized")]
    assert [t["call"] for t in summary["attack"]] == ["start_deposit_exit", "start_exit"]
    assert summary["challenge"]["by"] == "bob" and ("challenge_exit", "bob") in steps(summary)
    assert [(p["owner"], p["paid"]) for p in summary["payouts"]] == [("mallory", str(2 * ETH + BOND))]
    assert summary["paid_out_wei"] == str(2 * ETH)  # once
    assert summary["root_chain_balance_wei"] == str(2 * ETH)  # Bob's deposit, untouched
    assert int(summary["cheater_gain_wei"]) == -BOND
    assert "confirmation posted to the operator: False" in story  # Bob's watcher found it in the calldata
    for words in ("issue 90", "calldata", "reveals Mallory's confirmation", "challenged, by bob"):
        assert words in story, words


def test_an_in_flight_exit_pays_bob_without_any_confirmation_and_a_double_spent_one_pays_its_input_back() -> None:
    _, summary, story = run("plasma-in-flight")
    assert summary["withheld_block"] == 2000 and summary["competitor_block"] == 1000
    assert summary["users"]["operator"]["honest"] is False and summary["users"]["mallory"]["honest"] is False
    assert "unknown input" in summary["joint_refused"]  # Mallory's own spend got in first
    # Every L1 call, in order; the MVP exit was mined and reverted, for want of Alice's confirmation.
    assert steps(summary) == [
        ("deposit", "alice"), ("deposit", "alice"), ("deposit", "mallory"), ("submit_block", "operator"),
        ("submit_block", "operator"), ("start_exit", "bob"),
        ("start_in_flight_exit", "bob"), ("piggyback_output", "bob"), ("piggyback_output", "alice"),
        ("start_in_flight_exit", "mallory"), ("piggyback_input", "mallory"), ("piggyback_input", "alice"),
        ("piggyback_output", "bob"), ("challenge_in_flight_exit_not_canonical", "carol"),
        ("challenge_piggybacked_input_spent", "carol"), ("finalize_exits", "bob")]
    assert "bad confirmation" in summary["mvp_exit_refused"] and "sends start_exit" in story
    # From broadcast to payout no confirmation signature exists: none posted to the operator, none kept by a watcher.
    assert summary["confirmations_posted"] == 0 and summary["confirmations_kept"] == 0
    # Bob: his 3 ETH and his bonds back, nothing else; paid once, by the in-flight exit.
    payouts = [(p["exit"], p["owner"], p["kind"], p["index"], int(p["paid"])) for p in summary["payouts"]]
    assert payouts == [("Alice's payment to Bob", "bob", "output", 0, 3 * ETH + PB_BOND),
                       ("Alice's payment to Bob", "alice", "output", 1, 2 * ETH + PB_BOND),
                       ("the joint payment", "alice", "input", 0, ETH + PB_BOND)]
    assert int(summary["bob_net_wei"]) == 3 * ETH
    assert {k: summary["users"]["bob"]["end"][k] for k in ("plasma_wei", "exiting_wei", "bond_wei")} == {
        "plasma_wei": "0", "exiting_wei": "0", "bond_wei": "0"}
    # Alice's 5 ETH input is not paid a second time: the canonical transaction spent it, and L1 says so.
    assert summary["input_record"] == {"utxo_pos": 10**9, "state": "finalized", "owner": "0x" + "00" * 20}
    assert "exit exists" in summary["input_exit_refused"] and "finalized" in summary["input_exit_refused"]
    # Canonicity: Alice's payment stands; the joint payment lost to Mallory's spend in block 1000, shown by Carol.
    assert [(s["exit"], s["canonical"], s["bond_owner"]) for s in summary["settled"]] == [
        ("Alice's payment to Bob", True, "bob"), ("the joint payment", False, "carol")]
    assert [(e["started_by"], e["state"], e["competitor_pos"], e["canonical"]) for e in summary["in_flight"]] == [
        ("bob", 3, 0, True), ("mallory", 3, 1000 * 10**9, False)]
    assert summary["watcher_actions"] == ["challenge", "challenge_input"]
    assert int(summary["challenger_gain_wei"]) == IFE_BOND + PB_BOND == -int(summary["cheater_gain_wei"])
    # The queue: by youngest input (Alice's 5 ETH deposit is older than Mallory's).
    assert [(r["exit"], r["youngest_input"]) for r in summary["queue"]] == [
        ("Alice's payment to Bob", 10**9), ("the joint payment", 3 * 10**9)]
    # The root chain holds exactly what is still owed: Mallory's 1 ETH from her own spend, on the child chain.
    assert summary["root_chain_before_payouts_wei"] == str(7 * ETH + 2 * IFE_BOND + 4 * PB_BOND)
    assert summary["root_chain_balance_wei"] == summary["owed_wei"] == str(ETH)
    assert summary["users"]["mallory"]["end"]["plasma_wei"] == str(ETH)
    for words in ("confirmation", "withheld", "start_in_flight_exit", "piggyback", "not canonical", "first phase",
                  "second phase", "youngest input", "reverted", "no confirmation", "still owed"):
        assert words in story, words


def test_the_demo_command_runs_one_with_a_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "plasma-double-spend", "--json"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)  # stdout is the one JSON document, the story is on stderr
    assert summary["scenario"] == "plasma-double-spend" and summary["ok"] is True
    assert set(honest_losses(summary).values()) == {0} and summary["challenge"]["by"] == "bob"
    assert captured.err.startswith("\n[1]") and "challenge_exit" in captured.err


def test_the_demo_command_refuses_an_unknown_preset(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "plasma", "--preset", "huge"]) == 2
    assert "unknown preset" in capsys.readouterr().err


def test_the_mass_exit_holds_with_a_week_long_exit_period() -> None:
    code, summary = DEMOS["plasma-withheld"]("mainnet", io.StringIO())
    assert code == 0 and summary["ok"] is True and summary["preset"] == "mainnet"
    assert summary["exit_period"]["blocks"] == 50_400 and set(honest_losses(summary).values()) == {0}
    assert summary["paid_order"] == ["bob", "carol", "alice", "operator"]
    assert int(summary["thief_paid_wei"]) <= ETH // 10 and summary["root_chain_balance_wei"] == "0"


def test_the_in_flight_exits_hold_with_a_week_long_exit_period() -> None:
    code, summary = DEMOS["plasma-in-flight"]("mainnet", io.StringIO())
    assert code == 0 and summary["ok"] is True and summary["preset"] == "mainnet"
    assert summary["exit_period"]["blocks"] == 50_400 and set(honest_losses(summary).values()) == {0}
    assert [(s["canonical"], s["bond_owner"]) for s in summary["settled"]] == [(True, "bob"), (False, "carol")]
    assert int(summary["bob_net_wei"]) == 3 * ETH and summary["confirmations_posted"] == 0
    assert summary["root_chain_balance_wei"] == summary["owed_wei"] == str(ETH)
