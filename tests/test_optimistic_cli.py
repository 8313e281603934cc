"""The ``l2lab demo optimistic*`` scenarios run to the end and tell the story they promise."""

from __future__ import annotations

import pytest

from node.cli import main


def test_demo_optimistic_honest_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "optimistic"]) == 0
    out = capsys.readouterr().out
    assert "refused: batch 1 is not final" in out
    assert "equals the operator's: True" in out


def test_demo_optimistic_fraud(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "optimistic-fraud"]) == 0
    out = capsys.readouterr().out
    assert "verdict: invalid transaction: bad signature" in out
    assert "Alice has 5.0000 ETH on L2" in out


def test_demo_unknown_scenario_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "nonesuch"])
    assert info.value.code == 2
