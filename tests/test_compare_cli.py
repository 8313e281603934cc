"""``l2lab compare`` as a user runs it: the table, ``--json``, ``--out``, bad input, and a failing scheme."""

from __future__ import annotations

import json

import pytest

from node.cli import main

FAST = ["--quick", "--only", "l1", "--only", "optimistic", "--only", "plasma"]


def test_json_has_every_figure_and_out_writes_the_report(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["compare", *FAST, "--json", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    figures = [f for part in doc["workloads"] for f in part["figures"]] if "workloads" in doc else doc["figures"]
    assert figures and all({"scheme", "metric", "workload", "unit", "value"} <= set(f) for f in figures)
    schemes = {f["scheme"] for f in figures}
    assert {"l1", "optimistic", "plasma"} <= schemes
    assert not any(s.startswith("published") for s in schemes)  # published rows stay apart from measurements
    assert "L1 gas/transfer" in captured.err  # the table goes to stderr under --json
    assert [e["scheme"] for e in doc["leaving_alone"]] == ["optimistic", "plasma"]  # what --only ran
    assert all(e["demo_ok"] and e["l1_gas"] > 0 for e in doc["leaving_alone"])
    assert "Leaving alone" in captured.err
    for name in ("report.md", "report.html", "report.json"):
        assert (out / name).stat().st_size > 0
    html = (out / "report.html").read_text()
    assert "<svg" in html and "optimistic" in html


def test_the_hotspot_mix_is_its_own_workload(capsys):
    assert main(["compare", "--quick", "--mix", "hotspot", "--only", "l1"]) == 0
    assert "hotspot" in capsys.readouterr().out


@pytest.mark.parametrize(("args", "needle"), [
    (["--users", "0"], "must be at least 1"),
    (["--users", "x"], "not a whole number"),
    (["--users", "1"], "at least 2 users"),
    (["--transfers", "5000"], "outspend"),
    (["--only", "sidechain"], "no scheme named sidechain"),
    (["--mix", "zipf"], "invalid choice"),
])
def test_bad_input_is_named_and_runs_nothing(args, needle, capsys):
    try:
        code = main(["compare", "--quick", *args])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    assert code == 2
    captured = capsys.readouterr()
    assert needle in captured.err and "running" not in captured.out


def test_an_out_path_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("mine")
    assert main(["compare", "--quick", "--only", "l1", "--out", str(target)]) == 2
    assert "is not a directory" in capsys.readouterr().err
    assert target.read_text() == "mine"


def test_an_out_dir_that_cannot_be_made_is_refused_before_anything_runs(tmp_path, capsys):
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert main(["compare", "--quick", "--only", "l1", "--out", str(blocked / "report")]) == 2
    captured = capsys.readouterr()
    assert "cannot write the report to --out" in captured.err and "running" not in captured.out


def test_more_users_than_the_zk_circuit_holds_is_named_before_any_proof(capsys):
    assert main(["compare", "--users", "300", "--transfers", "10", "--only", "zk"]) == 1
    assert "zk failed: ValueError: the 'small' circuit holds 255 accounts, the workload has 300 users" in \
        capsys.readouterr().err


def test_a_failing_scheme_fails_the_command_and_is_named(monkeypatch, capsys):
    import benchmarks.compare.l1 as baseline

    monkeypatch.setattr(baseline, "run", lambda world: (_ for _ in ()).throw(RuntimeError("no L1 today")))
    assert main(["compare", "--quick", "--only", "l1", "--only", "optimistic"]) == 1
    err = capsys.readouterr().err
    assert "l1 failed: RuntimeError: no L1 today" in err


def test_an_honest_loss_fails_the_command(monkeypatch, capsys):
    from rollup.optimistic.lab import OptimisticLab

    monkeypatch.setattr(OptimisticLab, "claim_final_withdrawals", lambda self, name: [])
    assert main(["compare", "--quick", "--only", "optimistic"]) == 1
    assert "honest users lost" in capsys.readouterr().err
