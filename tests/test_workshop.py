"""The workshop kit (``docs/workshop/``) runs as written: every command a teacher or the audience types is run here.

The kit's convention (its README says the same, for teachers): a command is a
line ``$ l2lab …`` in a fenced ``console`` block; the lines after it, up to the
next ``$``, are what the audience sees, each a phrase that must appear in one
line of the output (``...`` stands for text left out, within a line or as a
line of its own; runs of spaces count as one). A trailing comment may carry
markers in square brackets:

- ``[keeps running]``: started in the background (``l2lab node``), ready once
  every line shown under it has appeared, stopped at the end;
- ``[press Enter]``: reads Enter at each pause (``--step``); fed newlines here;
- ``[repeat until shown]``: run again every two seconds until its lines appear
  (an operator works on its own clock: a batch lands within seconds);
- ``[homework]``: takes minutes; here its command line is only parsed.

Every command runs in one temporary directory, in the kit's order, through the
project's own entry point (``python -m node.cli``). The kit speaks of the
node's default address, http://127.0.0.1:8545; here the node runs on a free
port, so ``127.0.0.1:8545`` in a command or a shown line becomes that port,
``l2lab node`` gets ``--port``, and a scheme command (``l2lab optimistic``,
``zk-rollup``, ``channel``, ``plasma``) without ``--rpc`` gets the node's URL.
The node keeps its data in ``./l2lab-data`` of that directory, where the CLI
finds its admin token, as in a classroom.

To keep the run short, ``l2lab demo NAME`` as written (no option) is not run
again once the kit's ``l2lab tour --no-pause`` has run it: its lines are
checked in the tour's part for NAME, and the tour's verdict for it must be ok.
``l2lab compare`` has a test of its own.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parent.parent / "docs" / "workshop"
REPO = KIT.parent.parent
MARKERS = ("keeps running", "press Enter", "repeat until shown", "homework")
SCHEME_CLIS = ("optimistic", "zk-rollup", "channel", "plasma")
KIT_NODE = "127.0.0.1:8545"
TOUR = ["l2lab", "tour", "--no-pause"]
TWO_HOURS = 120


@dataclass
class Command:
    """One ``$`` line of the kit, with the output lines the kit shows under it."""

    file: str
    line: int
    text: str
    argv: list[str]
    markers: set[str]
    shown: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"docs/workshop/{self.file}:{self.line}: $ {self.text}"


def kit_files() -> list[Path]:
    """The kit's files in reading order: the README (the index), then the parts by number."""
    files = sorted(KIT.glob("*.md"))
    return sorted(files, key=lambda p: (p.name != "README.md", p.name))


def parse(path: Path) -> list[Command]:
    """Every command of one kit file, in order, each with the lines shown under it in its block."""
    commands: list[Command] = []
    in_console, current = False, None
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith("```"):
            in_console, current = not in_console and stripped == "```console", None
        elif in_console and stripped.startswith("$ "):
            text = stripped[2:].strip()
            code, comment = (re.split(r"\s+#\s", text, maxsplit=1) + [""])[:2]  # a shell comment after the command
            markers = set(re.findall(r"\[([^\]]+)\]", comment))
            current = Command(path.name, number, text, shlex.split(code), markers)
            commands.append(current)
        elif in_console and stripped and stripped != "..." and current is not None:
            current.shown.append(stripped)
    return commands


def all_commands() -> list[Command]:
    return [c for path in kit_files() for c in parse(path)]


def _norm(text: str) -> str:
    return " ".join(text.split())


def shows(output: str, line: str) -> bool:
    """Whether one line of ``output`` holds ``line``'s pieces (split at ``...``) in order."""
    pieces = [p for p in (_norm(x) for x in _norm(line).split("...")) if p]
    for candidate in output.splitlines():
        text, at = _norm(candidate), 0
        for piece in pieces:
            found = text.find(piece, at)
            if found < 0:
                break
            at = found + len(piece)
        else:
            return True
    return False


def missing(output: str, shown: list[str]) -> list[str]:
    return [line for line in shown if not shows(output, line)]


def localize(argv: list[str], port: int) -> list[str]:
    """A kit command pointed at the node this test runs on ``port``."""
    here = f"127.0.0.1:{port}"
    out = [a.replace(KIT_NODE, here).replace("localhost:8545", here) for a in argv]
    out = [str(port) if a == "8545" and i > 0 and out[i - 1] == "--port" else a for i, a in enumerate(out)]
    if out[1:2] == ["node"] and "--port" not in out:
        out += ["--port", str(port)]
    if len(out) > 2 and out[1] in SCHEME_CLIS and not {"--rpc", "--url"} & set(out):
        out[2:2] = ["--rpc", f"http://{here}"]
    return out


def entry_point(argv: list[str]) -> list[str]:
    """``l2lab ARGS`` as this interpreter runs the project's entry point."""
    return [sys.executable, "-m", "node.cli", *argv[1:]]


def tour_parts(output: str) -> tuple[dict[str, str], dict[str, str]]:
    """The tour's narration per demo, and its verdict per demo, from what ``l2lab tour`` printed."""
    parts: dict[str, list[str]] = {}
    verdicts: dict[str, str] = {}
    current: str | None = None
    for line in output.splitlines():
        head = re.match(r"^--- ([a-z0-9-]+): ", line)
        if head:
            current = head.group(1)
            parts[current] = []
        elif line.startswith("=== Part") or line.startswith("demo "):
            current = None
        elif current is not None:
            parts[current].append(line)
        row = re.match(r"^([a-z0-9-]+)\s+(ok|FAILED)\s+\d+ wei", line)
        if row:
            verdicts[row.group(1)] = row.group(2)
    return {name: "\n".join(lines) for name, lines in parts.items()}, verdicts


# --------------------------------------------------------------------------- what the kit must hold


def test_the_runner_points_commands_at_the_node_and_matches_shown_lines() -> None:
    assert localize(["l2lab", "node", "--fresh"], 4000) == ["l2lab", "node", "--fresh", "--port", "4000"]
    assert localize(["l2lab", "plasma", "advance"], 4000) == ["l2lab", "plasma", "--rpc", "http://127.0.0.1:4000",
                                                           "advance"]
    assert localize(["l2lab", "demo", "zk", "--rpc", "http://127.0.0.1:8545"], 4000)[-1] == "http://127.0.0.1:4000"
    assert shows("    verdict:   step 11: wrong state root\n", "verdict: step 11: wrong ... root")
    assert not shows("verdict: step 11\nwrong state root\n", "step 11 ... wrong state root")
    assert not shows("root wrong, step 11", "step 11 ... root")


def test_the_kit_follows_its_convention() -> None:
    commands = all_commands()
    assert commands, "the kit has no commands"
    for c in commands:
        assert c.argv[:1] == ["l2lab"], f"{c.where}: every command in the kit is an l2lab command"
        assert c.markers <= set(MARKERS), f"{c.where}: unknown marker(s) {c.markers - set(MARKERS)}"
        if "keeps running" in c.markers or "repeat until shown" in c.markers:
            assert c.shown, f"{c.where}: a command that is waited for shows the lines it waits for"
        if "keeps running" in c.markers:
            assert c.argv[1:2] == ["node"], f"{c.where}: only `l2lab node` keeps running"
            assert "--memory" not in c.argv, f"{c.where}: the CLI finds the admin token in the data dir"
        if "--data-dir" in c.argv:
            data_dir = c.argv[c.argv.index("--data-dir") + 1]
            assert not Path(data_dir).is_absolute(), f"{c.where}: a data dir inside the working directory"
    assert TOUR in [c.argv for c in commands], "the kit runs the tour: `l2lab tour --no-pause`"


def test_every_demo_named_in_the_kit_exists_and_every_demo_is_taught() -> None:
    from node.cli_demo import all_demos

    demos = set(all_demos())
    text = "\n".join(p.read_text() for p in kit_files())
    named = set(re.findall(r"l2lab demo ([a-z0-9][a-z0-9-]*)", text))
    assert named - demos == set(), f"the kit names demos that do not exist: {sorted(named - demos)}"
    run = {c.argv[2] for c in all_commands() if c.argv[1:2] == ["demo"] and len(c.argv) > 2
           and not c.argv[2].startswith("-")}
    assert demos - run == set(), f"demos the kit never runs (teach them): {sorted(demos - run)}"


def test_the_parts_add_up_to_two_hours() -> None:
    """Each part's title ends with its minutes; the plan is two hours."""
    minutes = {}
    for path in kit_files():
        title = next((line for line in path.read_text().splitlines() if line.startswith("# ")), "")
        found = re.search(r"\((\d+) min\)\s*$", title)
        if found:
            minutes[path.name] = int(found.group(1))
    assert sum(minutes.values()) == TWO_HOURS, minutes
    index = (KIT / "README.md").read_text()
    for name, mins in minutes.items():
        assert re.search(rf"\({re.escape(name)}\).*\|\s*{mins}\s*\|", index), f"README's table: {name}, {mins} min"


# --------------------------------------------------------------------------- the kit, run


class Workshop:
    """The classroom: one directory, the node on a free port, what the tour printed."""

    def __init__(self, root: Path) -> None:
        from node.client import free_port

        self.root = root
        self.port = free_port()
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1",
                    "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        self.background: list[tuple[subprocess.Popen, Path]] = []
        self.tour: tuple[dict[str, str], dict[str, str]] | None = None

    def run(self, c: Command) -> None:
        argv = localize(c.argv, self.port)
        c = replace(c, shown=[line.replace(KIT_NODE, f"127.0.0.1:{self.port}") for line in c.shown])
        if "keeps running" in c.markers:
            self.start(c, argv)
        elif "homework" in c.markers:
            self.parse_only(c, argv)
        elif self.tour is not None and c.argv[1:2] == ["demo"] and len(c.argv) == 3 and c.argv[2] in self.tour[0]:
            parts, verdicts = self.tour
            assert verdicts.get(c.argv[2]) == "ok", f"{c.where}: the tour's verdict is {verdicts.get(c.argv[2])}"
            lost = missing(parts[c.argv[2]], c.shown)
            assert not lost, f"{c.where}: not in the tour's part for it: {lost}\n{parts[c.argv[2]][-3000:]}"
        else:
            deadline = time.monotonic() + 150
            while True:
                code, output = self.once(c, argv)
                lost = missing(output, c.shown)
                if "repeat until shown" not in c.markers or (code == 0 and not lost) or time.monotonic() > deadline:
                    break
                time.sleep(2)
            assert code == 0, f"{c.where}: exit code {code}\n{output[-3000:]}"
            assert not lost, f"{c.where}: the audience does not see {lost}\n{output[-3000:]}"
            if c.argv == TOUR:
                self.tour = tour_parts(output)

    def once(self, c: Command, argv: list[str]) -> tuple[int, str]:
        stdin = "\n" * 500 if "press Enter" in c.markers else ""
        timeout = 600 if argv[1:2] in (["tour"], ["compare"]) else 240
        done = subprocess.run(entry_point(argv), cwd=self.root, env=self.env, input=stdin, capture_output=True,
                              text=True, timeout=timeout)
        return done.returncode, done.stdout + done.stderr

    def start(self, c: Command, argv: list[str]) -> None:
        log = self.root / f"background-{len(self.background)}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(entry_point(argv), cwd=self.root, env=self.env, stdin=subprocess.DEVNULL,
                                       stdout=out, stderr=subprocess.STDOUT)
        self.background.append((process, log))
        deadline = time.monotonic() + 300
        while missing(log.read_text(errors="replace"), c.shown):
            assert process.poll() is None, f"{c.where}: exited with {process.returncode}\n{log.read_text()[-3000:]}"
            assert time.monotonic() < deadline, (f"{c.where}: not ready; missing "
                                                 f"{missing(log.read_text(), c.shown)}\n{log.read_text()[-3000:]}")
            time.sleep(0.3)

    def parse_only(self, c: Command, argv: list[str]) -> None:
        from node.cli import build_parser

        try:
            build_parser().parse_args(argv[1:])
        except SystemExit as exc:
            pytest.fail(f"{c.where}: l2lab does not accept this command line (exit {exc.code})")

    def stop(self) -> None:
        """Ctrl-C to whatever keeps running, as a teacher ends the class; a kill if it does not stop."""
        import signal

        for process, log in self.background:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            assert process.returncode == 0, f"stopped with {process.returncode}\n{log.read_text()[-3000:]}"


@pytest.fixture
def classroom(tmp_path: Path) -> Iterator[Workshop]:
    room = Workshop(tmp_path)
    try:
        yield room
    finally:
        room.stop()


@pytest.mark.slow
def test_every_command_in_the_kit_runs_as_written(classroom: Workshop) -> None:
    """The whole workshop in order: the node started once, every part's commands against it."""
    for c in all_commands():
        if c.argv[1:2] != ["compare"]:
            classroom.run(c)


@pytest.mark.slow
def test_the_closing_report_runs_as_written(classroom: Workshop) -> None:
    """``l2lab compare`` as the kit's closing part runs it (the full one, homework, is parsed only)."""
    report = [c for c in all_commands() if c.argv[1:2] == ["compare"]]
    assert ["l2lab", "compare", "--quick", "--out", "report/"] in [c.argv for c in report]
    for c in report:
        classroom.run(c)
    written = {p.name for p in (classroom.root / "report").iterdir()}
    assert {"report.md", "report.html", "report.json"} <= written, written
