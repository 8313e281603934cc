"""``l2lab info`` reports the version and the backend of every hot path."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from node.cli import main


def test_info_json_lists_backends(capsys):
    assert main(["info", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["version"]
    assert info["backends"]["keccak256"] in ("compiled", "pure")


def test_native_switch_forces_pure_twins():
    env = dict(os.environ, L2LAB_NATIVE="0")
    out = subprocess.run(
        [sys.executable, "-m", "node.cli", "info", "--json"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    info = json.loads(out)
    assert info["native_enabled"] is False
    assert set(info["backends"].values()) == {"pure"}


def test_compiled_backends_built_when_required():
    """CI sets L2LAB_REQUIRE_NATIVE=1: there, every hot path must run compiled code."""
    if os.environ.get("L2LAB_REQUIRE_NATIVE") != "1":
        return
    from primitives import backends

    pure = [name for name, backend in backends().items() if backend != "compiled"]
    assert not pure, f"hot paths without their compiled twin: {pure}"


def test_unknown_command_is_an_error(capsys):
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2


def test_closed_stdout_ends_quietly(monkeypatch):
    """``l2lab … | head`` closes our stdout early: exit 0, no error about the node or a trace."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone: every write raises BrokenPipeError
    stream = os.fdopen(write_end, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        assert main(["info"]) == 0
    finally:
        monkeypatch.undo()
        try:
            stream.close()
        except BrokenPipeError:
            pass


def test_closed_stdout_is_not_reported_as_an_unreachable_node(monkeypatch, capsys):
    from node.schemes.optimistic import cli as cli_optimistic

    def prints_a_lot(args):
        raise BrokenPipeError(32, "Broken pipe")  # what print() raises once the reader left

    monkeypatch.setitem(cli_optimistic.COMMANDS, "status", prints_a_lot)
    read_end, write_end = os.pipe()
    os.close(read_end)
    stream = os.fdopen(write_end, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", stream)
    try:
        code = main(["optimistic", "--rpc", "http://127.0.0.1:9", "status"])
    finally:
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
        try:
            stream.close()
        except BrokenPipeError:
            pass
    assert code == 0
    assert "cannot reach" not in capsys.readouterr().err
