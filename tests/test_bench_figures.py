"""``l2lab bench`` figures are labelled for machines: scheme, metric, workload, and JSON that round-trips.

The cheap suites are run in their quick form. The zk suite's quick run waits
on snarkjs (node, npm), so it runs with the snarkjs step stubbed out, and its
full-size circuits are checked through the helper that labels their figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import re
import sys
import types

import pytest

from benchmarks import cli, zk
from benchmarks.harness import Figure, format_table, read_json, write_json

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
FIELDS = {"scheme", "metric", "workload", "unit", "value", "note", "name"}

CHEAP_SUITES = {
    "primitives": "benchmarks.primitives",
    "l1": "benchmarks.bench_l1",
    "kernels": "benchmarks.bench_kernels",
    "optimistic": "benchmarks.optimistic",
}


def _zk_quick(with_snarkjs: bool) -> list[Figure]:
    mp = pytest.MonkeyPatch()
    try:
        mp.setattr(zk, "_snarkjs_ready", lambda: with_snarkjs)
        mp.setattr(zk, "snarkjs_prove_time", lambda r1cs, witness: 1.0)
        return zk.run(quick=True)
    finally:
        mp.undo()


def _zk_full_labels() -> list[Figure]:
    """The zk figures a full run with snarkjs makes, from made-up measurements."""
    figures = [zk.ptau_figure(15, 1.0)]
    for label in zk.CIRCUITS:
        figures += zk.circuit_figures(label, 4218, 0.1, 0.2, 0.3, 0.05, snarkjs_s=0.6)
    return figures


@pytest.fixture(scope="module", params=[*CHEAP_SUITES, "zk quick", "zk quick, snarkjs", "zk full"])
def suite_figures(request) -> list[Figure]:
    if request.param in CHEAP_SUITES:
        return importlib.import_module(CHEAP_SUITES[request.param]).run(quick=True)
    if request.param == "zk full":
        return _zk_full_labels()
    return _zk_quick(with_snarkjs="snarkjs" in request.param)


@pytest.mark.slow
def test_every_field_is_filled(suite_figures):
    assert suite_figures
    for f in suite_figures:
        assert f.scheme and f.metric and f.workload and f.unit and f.name, f
        assert f.scheme in ("primitives", "l1", "zk", "optimistic"), f
        assert SNAKE_CASE.fullmatch(f.metric), f
        assert isinstance(f.value, int | float), f


@pytest.mark.slow
def test_scheme_metric_workload_name_one_figure(suite_figures):
    keys = [(f.scheme, f.metric, f.workload) for f in suite_figures]
    assert len(set(keys)) == len(keys), [k for k in keys if keys.count(k) > 1]
    names = [f.name for f in suite_figures]
    assert len(set(names)) == len(names), [n for n in names if names.count(n) > 1]


@pytest.mark.slow
def test_json_round_trips(suite_figures, tmp_path):
    path = tmp_path / "figures.json"
    write_json(suite_figures, path)
    raw = json.loads(path.read_text())
    assert [set(entry) for entry in raw] == [FIELDS] * len(suite_figures)
    assert read_json(path) == suite_figures


@pytest.mark.slow
def test_table_rows_are_the_names(suite_figures):
    rows = format_table(suite_figures).splitlines()
    assert [row.split("  ")[0] for row in rows] == [f.name for f in suite_figures]


def test_zk_quick_is_the_eddsa_part_of_the_full_run():
    full = {f.key for f in _zk_full_labels()}
    quick = zk.circuit_figures("eddsa", 1, 1.0, 1.0, 1.0, 1.0, snarkjs_s=1.0)
    assert {f.key for f in quick} <= full
    assert zk.snarkjs_skipped().key not in full


def test_figure_rejects_unlabelled_figures():
    good = dict(scheme="l1", metric="transfer_throughput", workload="10 transfers", unit="tx/s",
                value=1.0, name="l1 transfers")
    Figure(**good)
    for field, bad in (("metric", "Transfer throughput"), ("metric", "tx/s"), ("metric", "_x"),
                       ("metric", ""), ("scheme", ""), ("workload", ""), ("unit", ""), ("name", "")):
        with pytest.raises(ValueError):
            Figure(**{**good, field: bad})
    with pytest.raises(TypeError):  # keyword-only: the string fields cannot be swapped by position
        Figure("l1", "transfer_throughput", "10 transfers", "tx/s", 1.0)  # type: ignore[misc]


def test_read_json_rejects_unknown_fields(tmp_path):
    path = tmp_path / "figures.json"
    entry = dataclasses.asdict(Figure(scheme="zk", metric="prove_time", workload="eddsa circuit",
                                      unit="s", value=0.2, name="zk.eddsa.prove"))
    path.write_text(json.dumps([{**entry, "extra": 1}]))
    with pytest.raises(ValueError, match="extra"):
        read_json(path)


# --- the ``l2lab bench`` command ---------------------------------------------------------------


class _Scheme:
    def __init__(self, bench_suites: dict[str, str]):
        self.bench_suites = bench_suites


def _registry(monkeypatch, schemes) -> None:
    import node.schemes

    def all_schemes():
        if isinstance(schemes, Exception):
            raise schemes
        return schemes

    monkeypatch.setattr(node.schemes, "all_schemes", all_schemes)


def _bench(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="l2lab")
    cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["bench", *argv])
    return args.func(args)


def test_scheme_suites_come_from_the_registry():
    table = cli.suites()
    assert {name: table[name] for name in cli.CORE_SUITES} == cli.CORE_SUITES
    assert table["optimistic"] == "benchmarks.optimistic"


def test_all_runs_each_workload_once(monkeypatch):
    _registry(monkeypatch, {"a": _Scheme({"a": "benchmarks.a", "a_dispute": "benchmarks.a2"})})
    assert cli.all_suites() == ["primitives", "kernels", "zk", "evm", "a", "a_dispute"]


def test_a_suite_name_is_taken_once(monkeypatch):
    _registry(monkeypatch, {"a": _Scheme({"zk": "benchmarks.a"})})
    with pytest.raises(ValueError, match="already taken"):
        cli.suites()


def test_building_the_parser_reads_no_scheme(monkeypatch):
    _registry(monkeypatch, AssertionError("the registry was read while building the parser"))
    cli.add_parser(argparse.ArgumentParser().add_subparsers())


def test_a_broken_scheme_fails_loudly(monkeypatch):
    _registry(monkeypatch, ImportError("node.schemes.broken: cannot import name 'SCHEME'"))
    with pytest.raises(ImportError, match="broken"):
        _bench(["primitives", "--quick"])


def test_bench_runs_a_scheme_suite_and_writes_json(monkeypatch, tmp_path, capsys):
    figure = Figure(scheme="demo", metric="l1_gas_per_transfer", workload="batch=3", unit="gas",
                    value=1234, note="made up", name="L1 gas per transfer, batch of 3")
    suite = types.ModuleType("fake_bench_suite")
    suite.run = lambda quick: [figure]
    monkeypatch.setitem(sys.modules, "fake_bench_suite", suite)
    _registry(monkeypatch, {"demo": _Scheme({"demo": "fake_bench_suite"})})
    path = tmp_path / "out.json"
    assert _bench(["demo", "--quick", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert "== demo ==" in out and "L1 gas per transfer, batch of 3" in out
    assert read_json(path) == [figure]


def test_unknown_suite_lists_the_known_ones(capsys):
    with pytest.raises(SystemExit):
        _bench(["no-such-suite"])
    err = capsys.readouterr().err
    assert "'optimistic'" in err and "'all'" in err
