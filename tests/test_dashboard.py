"""The dashboard's live feed (``GET /api/events``), the narration demos post (``/api/narration``), and ``--step``.

The feed is read over real HTTP from a node served in a thread: a block,
a rollup batch and a narrated step each arrive as their event. The
narration route is an admin route; a refusal names its field and keeps
nothing. ``--step`` waits for a line on stdin after each narrated step.
"""

from __future__ import annotations

import contextlib
import io
import json
import queue
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from contracts_spec.l1 import L1Client
from node.chain import Chain
from node.client import free_port
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.live import MAX_NARRATION_BYTES, MAX_RUNS, Narration, format_event, parse_step
from node.narration import Narrator, use_pause, use_sink, wait_for_enter
from node.schemes.optimistic.api import router as optimistic_router
from node.server import create_app
from tests.hosting import wait_for

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*deprecated")
    from fastapi.testclient import TestClient

ETH = 10**18
TOKEN = "t0ken-for-the-tests"
DEV = derive_dev_accounts(20)  # the channel demo's people are dev accounts 10 and up
STEP = {"run": "00c0ffee00c0ffee", "demo": "optimistic", "kind": "say", "step": 1, "text": "Alice deposits 5 ETH"}


def _app(token: str | None = TOKEN) -> Any:
    return create_app(Chain(genesis_alloc=genesis_alloc(DEV)), dev_keys=dev_keys(DEV[:3]),
                      routers=[optimistic_router], admin_token=token)


@contextlib.contextmanager
def serving(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread; its URL. Open event streams end when it stops."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    app.state.live.stopping = lambda: server.should_exit
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, "the node to serve", timeout=30, poll=0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        assert not thread.is_alive(), "the server did not stop with an event stream open"


class EventStream:
    """A subscriber to ``/api/events`` in a thread; ``wait`` returns the first event matching a test."""

    def __init__(self, url: str) -> None:
        self.events: queue.Queue[tuple[str, dict]] = queue.Queue()
        self.seen: list[tuple[str, dict]] = []
        self.headers: dict[str, str] = {}
        self._client = httpx.Client(timeout=httpx.Timeout(60, connect=10))
        self._thread = threading.Thread(target=self._read, args=(url,), daemon=True)
        self._thread.start()

    def _read(self, url: str) -> None:
        with contextlib.suppress(httpx.HTTPError, RuntimeError), \
                self._client.stream("GET", url + "/api/events") as reply:
            self.headers = dict(reply.headers)
            name = None
            for line in reply.iter_lines():
                if line.startswith("event: "):
                    name = line[len("event: "):]
                elif line.startswith("data: ") and name is not None:
                    self.events.put((name, json.loads(line[len("data: "):])))
                    name = None

    def wait(self, name: str, test: Callable[[dict], bool] = lambda _: True, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                event, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"no {name} event as expected; seen: {[e for e, _ in self.seen]}") from None
            self.seen.append((event, data))
            if event == name and test(data):
                return data

    def close(self) -> None:
        self._client.close()


def _gas(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


def test_the_feed_sends_each_block_with_its_gas_by_scheme_a_batch_and_a_narrated_step() -> None:
    from rollup.optimistic.l1view import RollupL1

    app = _app()
    client = TestClient(app)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    rollup = client.post("/api/optimistic/deploy", json={}, headers=auth).json()["address"]
    l1 = L1Client.in_process(app.state.dispatcher)
    with serving(app) as url:
        feed = EventStream(url)
        try:
            hello = feed.wait("hello")
            assert "optimistic" in hello["schemes"]
            assert feed.wait("scheme", lambda p: p["name"] == "optimistic")["state"] == "hosted"

            deposit = RollupL1(l1, rollup).transact(DEV[1].private_key, "deposit", DEV[1].address, value=3 * ETH)
            number = int(deposit["blockNumber"], 16)
            block = feed.wait("block", lambda b: b["number"] == number)
            assert block["gas_by_scheme"] == {"optimistic": _gas(deposit)}
            (call,) = block["calls"]
            assert (call["contract"], call["method"], call["gas"]) == ("OptimisticRollup", "deposit", _gas(deposit))

            plain = l1.transfer(DEV[2].private_key, DEV[3].address, 1)
            other = feed.wait("block", lambda b: b["number"] == int(plain["blockNumber"], 16))
            assert other["gas_by_scheme"] == {"other": 21_000} and other["calls"][0]["method"] == "transfer"

            posted = client.post("/api/optimistic/batches", headers=auth).json()
            assert posted["posted"] is True
            head = feed.wait("block", lambda b: any(c["method"] == "submit_batch" for c in b["calls"]))
            assert set(head["gas_by_scheme"]) == {"optimistic"}
            panel = feed.wait("scheme", lambda p: p["name"] == "optimistic" and p.get("batches"))
            (batch,) = panel["batches"]
            assert batch["index"] == 0 and batch["final"] is False and batch["entries"] == 1
            assert 0 < batch["challenge_time_left"] <= panel["status"]["challenge_window"] == 60
            assert batch["proposer"] == panel["status"]["operator"]  # the panel says "the operator"
            assert client.post("/api/optimistic/censor", headers=auth).status_code == 200
            feed.wait("scheme", lambda p: p["name"] == "optimistic" and p["status"]["censoring_deposits"])

            assert client.post("/api/narration", json=STEP, headers=auth).status_code == 200
            told = feed.wait("narration")
            assert {k: told[k] for k in STEP} == STEP and told["seq"] == 1
            assert feed.headers["content-type"].startswith("text/event-stream")
        finally:
            feed.close()


def test_a_new_subscriber_is_sent_the_narration_kept_so_far() -> None:
    app = _app(token=None)
    client = TestClient(app)
    for step in (1, 2):
        assert client.post("/api/narration", json={**STEP, "step": step, "text": f"step {step}"}).status_code == 200
    with serving(app) as url:
        feed = EventStream(url)
        try:
            assert feed.wait("narration")["text"] == "step 1"
            assert feed.wait("narration")["text"] == "step 2"
        finally:
            feed.close()


def _refused(client: TestClient, body: Any, status: int, words: str, **kw: Any) -> None:
    """A refusal: its status and its words, and the kept narration unchanged."""
    before = client.get("/api/narration/recent").json()
    reply = client.post("/api/narration", **({"json": body} if body is not ... else {}), **kw)
    assert reply.status_code == status, reply.text
    assert words in reply.json()["detail"], reply.json()["detail"]
    assert client.get("/api/narration/recent").json() == before


def test_narration_needs_the_token_and_bad_input_is_named_and_keeps_nothing() -> None:
    client = TestClient(_app())
    auth = {"Authorization": f"Bearer {TOKEN}"}
    _refused(client, STEP, 401, "admin route")
    _refused(client, STEP, 401, "admin route", headers={"Authorization": "Bearer wrong"})
    _refused(client, ..., 400, "JSON object", content=b"not json", headers=auth)
    _refused(client, [STEP], 400, "JSON object", headers=auth)
    _refused(client, {k: v for k, v in STEP.items() if k != "text"}, 400, "missing field(s) text", headers=auth)
    _refused(client, {**STEP, "html": "<b>"}, 400, "unknown field(s) html", headers=auth)
    _refused(client, {**STEP, "kind": "shout"}, 400, "'kind'", headers=auth)
    _refused(client, {**STEP, "run": "../etc"}, 400, "'run'", headers=auth)
    _refused(client, {**STEP, "demo": "Optimistic!"}, 400, "'demo'", headers=auth)
    _refused(client, {**STEP, "step": -1}, 400, "'step'", headers=auth)
    _refused(client, {**STEP, "step": True}, 400, "'step' must be a whole number", headers=auth)
    _refused(client, {**STEP, "text": "x" * 2001}, 400, "'text' is over 2000", headers=auth)
    _refused(client, {**STEP, "kind": "gas", "gas": "lots"}, 400, "'gas'", headers=auth)
    _refused(client, {**STEP, "kind": "summary", "ok": "yes"}, 400, "'ok'", headers=auth)
    _refused(client, {**STEP, "kind": "balances", "rows": [{"who": "alice", "l1_wei": "1"}]}, 400, "rows[0]",
             headers=auth)
    _refused(client, {**STEP, "kind": "balances", "rows": [{"who": "alice", "l1_wei": "-1", "l2_wei": "0"}]}, 400,
             "rows[0]: field 'l1_wei'", headers=auth)
    _refused(client, {**STEP, "text": "x" * MAX_NARRATION_BYTES}, 413, "at most", headers=auth)
    assert client.get("/api/narration/recent").json() == []

    kept = client.post("/api/narration", headers=auth, json={**STEP, "kind": "summary", "text": "<script>", "ok": True,
                                                              "l1_gas_total": 3.0, "lost_wei": "0"}).json()
    assert kept["seq"] == 1 and kept["text"] == "<script>" and kept["l1_gas_total"] == 3
    assert client.get("/api/narration/recent").json() == [kept]


def test_the_last_runs_are_kept_and_older_ones_dropped() -> None:
    store = Narration()
    runs = [f"{i:016x}" for i in range(MAX_RUNS + 1)]
    for run in runs:
        for step in range(3):
            store.add(parse_step({**STEP, "run": run, "step": step}))
    kept = store.since(0)
    assert {s["run"] for s in kept} == set(runs[1:]) and len(kept) == 3 * MAX_RUNS
    assert [s["seq"] for s in store.since(kept[-2]["seq"])] == [kept[-1]["seq"]]


def test_an_event_is_one_line_of_json_whatever_its_text() -> None:
    wire = format_event("narration", {"text": "two\nlines </script>"}, 7).decode()
    assert wire == 'event: narration\nid: 7\ndata: {"text":"two\\nlines </script>"}\n\n'


class _Lab:
    """The least a narrator needs: balances and addresses of two people."""

    def l1_balance(self, name: str) -> int:
        return 10 * ETH

    def l2_balance(self, name: str) -> int:
        return ETH

    def address(self, name: str) -> str:
        return DEV[0].address if name == "alice" else DEV[1].address


def _story(out: io.StringIO) -> dict:
    n = Narrator(_Lab(), ("alice", "bob"), out, honest=("alice",))  # type: ignore[arg-type]
    n.say("Alice deposits.")
    n.gas("deposit", {"gasUsed": hex(45_000), "from": DEV[0].address, "effectiveGasPrice": "0x0"})
    n.say("Bob looks.")
    n.note("nothing to see")
    n.balances()
    return n.summary("story", "all well", True)


def test_a_sink_gets_every_step_and_a_failing_sink_is_dropped_without_ending_the_story() -> None:
    told: list[dict] = []
    with use_sink(told.append):
        summary = _story(io.StringIO())
    assert [(s["kind"], s["step"]) for s in told] == [("say", 1), ("gas", 1), ("say", 2), ("note", 2),
                                                      ("balances", 2), ("summary", 2)]
    assert told[1]["gas"] == 45_000 and told[1]["text"] == "deposit: 45,000 L1 gas"
    assert told[4]["rows"][0] == {"who": "alice", "l1_wei": str(10 * ETH), "l2_wei": str(ETH)}
    assert told[5]["ok"] is True and told[5]["l1_gas_total"] == summary["l1_gas_total"] == 45_000
    for step in told:
        parse_step({"run": "00c0ffee00c0ffee", "demo": "story", **step})  # every step is one the node keeps

    def broken(step: dict) -> None:
        raise ConnectionError("the node went away")

    out = io.StringIO()
    with use_sink(broken):
        assert _story(out)["ok"] is True
    assert out.getvalue().count("narration no longer sent") == 1
    plain = io.StringIO()
    _story(plain)
    assert plain.getvalue() in out.getvalue().replace("    (narration no longer sent: ConnectionError: "
                                                      "the node went away)\n", "")


class _Stdin:
    """A stdin that notes how many steps had been told each time a line is read."""

    def __init__(self, out: io.StringIO, lines: int) -> None:
        self.out, self.lines, self.told_at_read = out, lines, []

    def readline(self) -> str:
        self.told_at_read.append(self.out.getvalue().count("\n["))
        self.lines -= 1
        return "\n" if self.lines >= 0 else ""


def test_step_waits_for_a_line_after_each_step_and_runs_on_at_the_end_of_stdin() -> None:
    out = io.StringIO()
    stdin = _Stdin(out, lines=10)
    with use_pause(wait_for_enter(stdin)):  # type: ignore[arg-type]
        _story(out)
    assert stdin.told_at_read == [1, 2]  # after step 1, and after step 2 before the verdict
    assert out.getvalue().count("press Enter") == 2

    out = io.StringIO()
    stdin = _Stdin(out, lines=0)
    with use_pause(wait_for_enter(stdin)):  # type: ignore[arg-type]
        _story(out)
    assert stdin.told_at_read == [1]  # stdin ended at the first pause: no more waiting


@pytest.mark.slow
def test_l2lab_demo_step_reads_a_line_per_step_from_a_pipe() -> None:
    cmd = [sys.executable, "-m", "node.cli", "demo", "channels", "--step", "--json"]
    done = subprocess.run(cmd, input="\n" * 3, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout)["ok"] is True
    prompts = done.stderr.count("press Enter")
    assert prompts == 4  # three lines read, the fourth read finds the end of stdin, and the demo runs on
    assert done.stderr.index("(step 1 told") < done.stderr.index("\n[2]")


@pytest.mark.slow
def test_a_demo_against_an_l2lab_node_posts_its_steps_and_one_that_refuses_only_says_so(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    from node.cli import main

    app = _app()
    with serving(app) as url:
        monkeypatch.delenv("L2LAB_NODE_TOKEN", raising=False)
        monkeypatch.chdir(tmp_path)  # no ./l2lab-data/node-token to find
        assert main(["demo", "channels", "--rpc", url, "--json"]) == 0
        captured = capsys.readouterr()
        assert json.loads(captured.out)["ok"] is True
        assert captured.err.count("will not show this demo's narration") == 1 and "HTTP 401" in captured.err
        assert app.state.live.narration.since(0) == []

        assert main(["demo", "channels", "--rpc", url, "--json", "--token", TOKEN]) == 0
        summary = json.loads(capsys.readouterr().out)
        steps = app.state.live.narration.since(0)
    assert [s["kind"] for s in steps][:2] == ["start", "say"] and {s["demo"] for s in steps} == {"channels"}
    (verdict,) = [s for s in steps if s["kind"] == "summary"]
    assert verdict["ok"] is True and verdict["text"] == summary["verdict"]
    assert verdict["l1_gas_total"] == summary["l1_gas_total"] and verdict["lost_wei"] == "0"
    opened = next(x["gas"] for x in summary["l1_steps"] if x["step"] == "open_channel")
    assert any(f"open_channel: {opened:,} L1 gas" in s["text"] for s in steps)


@pytest.mark.slow
def test_a_demo_that_travels_in_time_runs_against_an_l2lab_node_with_its_token(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    """The token reaches the node's dev methods (set-balance, time travel, mining), so a demo runs to its verdict."""
    from node.cli import main

    app = _app()
    with serving(app) as url:
        monkeypatch.delenv("L2LAB_NODE_TOKEN", raising=False)
        monkeypatch.chdir(tmp_path)
        assert main(["demo", "optimistic", "--rpc", url, "--json"]) == 1  # no token: the dev methods say so
        assert "admin token" in capsys.readouterr().err
        assert main(["demo", "optimistic", "--rpc", url, "--json", "--token", TOKEN]) == 0
        summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True and all(u.get("lost_wei", "0") == "0" for u in summary["users"].values())
    assert any(s["step"] == "withdraw claim" for s in summary["l1_steps"])  # claimed after the window, by time travel


def test_event_streams_past_the_cap_are_refused_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nobody can hold the node with open streams: past ``MAX_STREAMS`` a new one is told why, and waits."""
    from node import live

    monkeypatch.setattr(live, "MAX_STREAMS", 2)
    app = _app()
    with serving(app) as url:
        first, second = EventStream(url), EventStream(url)
        first.wait("hello")
        second.wait("hello")
        refused = httpx.get(url + "/api/events", timeout=10)
        assert refused.status_code == 503 and "at most 2 event streams" in refused.json()["detail"]
        assert refused.headers["retry-after"] == "5"
        first.close()
        wait_for(lambda: app.state.live.streams < 2, "a closed stream to be let go", timeout=30, poll=0.1)
        third = EventStream(url)
        third.wait("hello")
        second.close()
        third.close()
