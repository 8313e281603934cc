"""``l2lab demo --list``: every registered scenario named with a line each; no scenario named is a usage error."""

from __future__ import annotations

from node.cli import main
from node.cli_demo import all_demos, summary_line


def test_list_names_every_demo_with_its_line(capsys) -> None:
    assert main(["demo", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    demos = all_demos()
    for name, (scheme, demo) in demos.items():
        line = next(x for x in lines if x.split()[:1] == [name])
        assert f"[{scheme.name}]" in line and summary_line(demo) in line and summary_line(demo)
    assert f"{len(demos)} demos" in lines[-1]


def test_every_scheme_with_a_room_has_demos_listed() -> None:
    schemes = {scheme.name for scheme, _ in all_demos().values()}
    assert {"optimistic", "zk", "channels", "plasma"} <= schemes


def test_no_scenario_is_a_usage_error_that_points_at_the_list(capsys) -> None:
    assert main(["demo"]) == 2
    assert "l2lab demo --list" in capsys.readouterr().err
