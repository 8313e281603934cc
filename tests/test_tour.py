"""``l2lab tour``: the demos in teaching order, a pause between parts, a verdict per demo, bad input named."""

from __future__ import annotations

import io

import pytest

from node.cli import main
from node.cli_tour import tour


def test_two_parts_run_in_order_and_every_demo_is_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--no-pause", "--only", "channels", "--only", "plasma"]) == 0
    out = capsys.readouterr().out
    assert out.index("Part 1: channels") < out.index("Part 2: plasma")
    assert "10 of 10 demos ok" in out and "FAILED" not in out


def test_a_terminal_gets_a_pause_between_parts_and_none_after_the_last() -> None:
    asked: list[str] = []
    rows = tour(["channels", "plasma"], pause=True, rpc=None, out=io.StringIO(), prompt=asked.append)
    assert len(asked) == 1 and "plasma" in asked[0]
    assert [r["scheme"] for r in rows] == ["channels"] * 5 + ["plasma"] * 5 and all(r["ok"] for r in rows)


def test_a_demo_that_breaks_is_a_failed_row_and_the_tour_goes_on(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    from node import cli_demo

    real = cli_demo.all_demos()
    scheme, _ = real["channels"]

    def broken(preset: str, out):
        raise RuntimeError("the L1 went away")

    monkeypatch.setattr(cli_demo, "all_demos", lambda: {"channels": (scheme, broken),
                                                        "channels-multihop": real["channels-multihop"]})
    assert main(["tour", "--no-pause", "--only", "channels"]) == 1
    out = capsys.readouterr().out
    assert "RuntimeError: the L1 went away" in out and "1 of 2 demos ok; failed: channels" in out


@pytest.mark.parametrize(("argv", "says"), [
    (["--only", "nothing"], "no scheme named nothing"),
    (["--rpc", "localhost:8545"], "--rpc must start with http://"),
])
def test_bad_input_is_named(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--no-pause", *argv]) == 2
    assert says in capsys.readouterr().err
