"""Leaving alone (``benchmarks.compare.escape``): each scheme's escape, measured from the receipts of the demo
that plays it, with the mainnet-like preset's wait; in the terminal, the JSON and the report."""

from __future__ import annotations

import pytest

from benchmarks.compare import report
from benchmarks.compare.escape import ROUTES, Escape, Route, measure
from contracts_spec.channels.params import MAINNET as CHANNELS
from contracts_spec.optimistic.params import MAINNET as OPTIMISTIC
from contracts_spec.plasma.params import MAINNET as PLASMA
from contracts_spec.zk.params import BENCH64 as ZK
from node.cli_demo import all_demos

DAY = 86_400
WAITS = {
    "optimistic": OPTIMISTIC.deposit_deadline_seconds + OPTIMISTIC.challenge_window,
    "zk": ZK.deposit_deadline_seconds,
    "plasma": PLASMA.exit_period_seconds,
    "channels": CHANNELS.settle_seconds(CHANNELS.default_settle_timeout),
}


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES, ids=[r.scheme for r in ROUTES])
def test_each_escape_is_its_demos_own_receipts_and_the_presets_wait(route: Route) -> None:
    import io

    _, demo = all_demos()[route.demo]
    escape = measure(route)
    assert escape.ok
    _, summary = demo(route.preset, io.StringIO())  # the demo again: the same steps, the same gas
    recorded = [(s["by"], s["step"], s["gas"]) for s in summary["l1_steps"] if (s["by"], s["step"]) in route.steps]
    assert [g[:2] for g in escape.gas] == [r[:2] for r in recorded] and len(recorded) == len(route.steps)
    # A signature's zero bytes cost 4 calldata gas instead of 16, so a call's gas moves by a few dozen.
    assert all(abs(g[2] - r[2]) <= 200 for g, r in zip(escape.gas, recorded, strict=True)), (escape.gas, recorded)
    assert all(gas > 21_000 for _, _, gas in escape.gas)  # each a contract call, not a plain transfer
    assert escape.route.wait_s == WAITS[route.scheme]


def test_the_waits_are_the_mainnet_like_presets() -> None:
    by = {r.scheme: r for r in ROUTES}
    assert set(by) == set(WAITS)  # every scheme with an operator or a partner to leave
    assert by["optimistic"].wait_s == 8 * DAY and "1 day" in by["optimistic"].wait and "7 days" in by["optimistic"].wait
    assert by["plasma"].wait_s == 7 * DAY
    assert by["channels"].wait.startswith("100 min")


def test_a_route_its_demo_does_not_play_is_an_error_naming_the_step() -> None:
    route = Route("optimistic", "optimistic-censorship", (("alice", "teleport"),), "none", 0, "none")
    with pytest.raises(ValueError, match=r"made no step \[\('alice', 'teleport'\)\]"):
        measure(route)


def test_the_report_has_a_leaving_alone_section_and_figures() -> None:
    from benchmarks.compare.core import PRESETS
    from benchmarks.compare.run import compare

    workload = PRESETS["quick"]
    runs, missing = compare(workload, ["l1"])
    results = [(workload, runs, missing)]
    route = ROUTES[0]
    escape = Escape(route, (("alice", "post_bond", 44_801), ("alice", "submit_batch", 129_772)), True)
    md = report.markdown(results, escapes=[escape])
    assert "## Leaving alone" in md and "| optimistic | 174,573 | 2 |" in md
    html = report.html_report(results, escapes=[escape])
    assert "<h2>Leaving alone</h2>" in html and "174,573" in html
    doc = report.to_json_all(results, escapes=[escape])
    assert doc["leaving_alone"][0]["l1_gas"] == 174_573 and doc["leaving_alone"][0]["steps"][1]["gas"] == 129_772
    (gas, wait) = [f for f in doc["figures"] if f["metric"].startswith("escape")]
    assert (gas["metric"], gas["unit"], gas["value"]) == ("escape_l1_gas", "gas", 174_573)
    assert (wait["metric"], wait["unit"], wait["value"]) == ("escape_wait", "s", route.wait_s)
    lines = report.escape_lines([escape])
    assert lines[0].startswith("Leaving alone") and "optimistic-censorship" in lines[1]
    assert report.markdown(results).count("Leaving alone") == 0  # none measured: no section
