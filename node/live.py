"""The node's live feed: ``GET /api/events`` (server-sent events) and the narration demos post (``/api/narration``).

The dashboard (``node/dashboard.py``) subscribes once and redraws from what
arrives. The feed reads nothing the REST and JSON-RPC APIs do not already
serve: each L1 block with its receipts, each transaction classified by the
contract it calls (``l2lab_contracts`` names it; the contract class's package,
``contracts_spec.<scheme>``, names the scheme, so contracts a demo deployed are
recognised too), and each hosted scheme's own REST routes read in process
(``SCHEME_READS``), so whatever the page shows can be fetched with curl.

One refresher per node reads the chain and the schemes about once a second
while someone is subscribed; each subscriber is sent what changed since it
last looked. A demo run with ``--rpc`` against this node posts its narrated
steps (``l2lab demo``, ``node.narration.use_sink``); the last ``MAX_STEPS`` are
kept in memory, and pushed to every subscriber as they arrive.

Events, each ``data`` a JSON object: ``hello`` (the schemes hosted, the poll
period), ``status`` (head, clock, mining), ``block`` (one L1 block: its gas,
the gas per scheme, its calls), ``scheme`` (one scheme's panel: ``name``,
``state`` hosted, starting or off, and what its routes said), ``narration``
(one narrated step). The stream is left out of the OpenAPI document: it never
ends, so no generated request could check its answer.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import StreamingResponse

from node.api import as_integer, require_admin, responses

router = APIRouter(prefix="/api", tags=["live"])

POLL_SECONDS = 1.0  # how often the refresher reads the chain and the schemes
TICK_SECONDS = 0.25  # how often a subscriber looks for news (narration arrives within this)
KEEPALIVE_SECONDS = 15.0  # a comment line this often keeps proxies open and finds gone clients
RECENT_BLOCKS = 12  # blocks a new subscriber is sent, and the most sent at once
MAX_CALLS_SHOWN = 20  # calls listed per block (the gas per scheme counts them all)
READ_TIMEOUT_SECONDS = 5.0  # a scheme route slower than this shows its last answer

MAX_STREAMS = 64  # event streams open at once; one more is refused (a dashboard per seat of a class, and then some)
MAX_STEPS = 1000  # narrated steps kept, across runs
MAX_RUNS = 5  # demo runs kept; a sixth drops the oldest run's steps
MAX_NARRATION_BYTES = 64 * 1024
MAX_TEXT = 2000
MAX_ROWS = 32
MAX_SAFE_INTEGER = 2**53 - 1
KINDS = ("start", "say", "note", "gas", "balances", "summary")

_RUN = re.compile(r"[0-9a-f]{8,32}")
_DEMO = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")
_WEI = re.compile(r"[0-9]{1,78}")


# --------------------------------------------------------------------------- narration


_WEI_SCHEMA = {"type": "string", "pattern": "^[0-9]{1,78}$", "description": "wei, decimal text"}
_COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER}
NARRATION_SCHEMA: dict[str, Any] = {
    "type": "object", "title": "NarratedStep",
    "properties": {
        "run": {"type": "string", "pattern": "^[0-9a-f]{8,32}$", "description": "one demo run's id (hex)"},
        "demo": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,63}$", "description": "the demo's name"},
        "kind": {"enum": list(KINDS)},
        "step": {"type": "integer", "minimum": 0, "maximum": 100_000, "description": "the step it belongs to"},
        "text": {"type": "string", "maxLength": MAX_TEXT},
        "gas": {**_COUNT, "description": "L1 gas of a gas line, as its receipt says"},
        "rows": {"type": "array", "maxItems": MAX_ROWS, "description": "a balances table",
                 "items": {"type": "object", "additionalProperties": False, "required": ["who", "l1_wei", "l2_wei"],
                           "properties": {"who": {"type": "string", "maxLength": 64},
                                          "l1_wei": _WEI_SCHEMA, "l2_wei": _WEI_SCHEMA}}},
        "ok": {"type": "boolean", "description": "a summary's verdict"},
        "l1_gas_total": {**_COUNT, "description": "a summary's L1 gas, all steps"},
        "lost_wei": {**_WEI_SCHEMA, "description": "a summary's honest users' loss"},
    },
    "required": ["run", "demo", "kind", "step", "text"],
    "additionalProperties": False,
}


def _text(doc: dict, name: str, pattern: re.Pattern | None = None, max_length: int | None = None) -> str:
    value = doc[name]
    if not isinstance(value, str):
        raise ValueError(f"field '{name}' must be text")
    if max_length is not None and len(value) > max_length:
        raise ValueError(f"field '{name}' is over {max_length} characters")
    if pattern is not None and pattern.fullmatch(value) is None:
        raise ValueError(f"field '{name}' must match {pattern.pattern}, got {value[:40]!r}")
    return value


def _whole(doc: dict, name: str, high: int) -> int:
    value = as_integer(doc[name])
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"field '{name}' must be a whole number")
    if not 0 <= value <= high:
        raise ValueError(f"field '{name}' must be between 0 and {high}, got {value}")
    return value


def parse_step(doc: Any) -> dict[str, Any]:
    """A narrated step as posted, checked field by field (ValueError naming the field); what is kept."""
    if not isinstance(doc, dict):
        raise ValueError("the body must be a JSON object: a narrated step")
    missing = [f for f in NARRATION_SCHEMA["required"] if f not in doc]
    if missing:
        raise ValueError(f"missing field(s) {', '.join(missing)}")
    extra = sorted(set(doc) - set(NARRATION_SCHEMA["properties"]))
    if extra:
        raise ValueError(f"unknown field(s) {', '.join(map(str, extra))[:200]}")
    kind = doc["kind"]
    if kind not in KINDS:
        raise ValueError(f"field 'kind' must be one of {', '.join(KINDS)}, got {str(kind)[:40]!r}")
    step: dict[str, Any] = {"run": _text(doc, "run", _RUN), "demo": _text(doc, "demo", _DEMO), "kind": kind,
                            "step": _whole(doc, "step", 100_000), "text": _text(doc, "text", None, MAX_TEXT)}
    for name in ("gas", "l1_gas_total"):
        if name in doc:
            step[name] = _whole(doc, name, MAX_SAFE_INTEGER)
    if "lost_wei" in doc:
        step["lost_wei"] = _text(doc, "lost_wei", _WEI)
    if "ok" in doc:
        if not isinstance(doc["ok"], bool):
            raise ValueError("field 'ok' must be true or false")
        step["ok"] = doc["ok"]
    if "rows" in doc:
        rows = doc["rows"]
        if not isinstance(rows, list) or len(rows) > MAX_ROWS:
            raise ValueError(f"field 'rows' must be a list of at most {MAX_ROWS} balances")
        kept = []
        for i, row in enumerate(rows):
            if not isinstance(row, dict) or set(row) != {"who", "l1_wei", "l2_wei"}:
                raise ValueError(f"rows[{i}] must be an object of exactly who, l1_wei and l2_wei")
            try:
                kept.append({"who": _text(row, "who", None, 64), "l1_wei": _text(row, "l1_wei", _WEI),
                             "l2_wei": _text(row, "l2_wei", _WEI)})
            except ValueError as exc:
                raise ValueError(f"rows[{i}]: {exc}") from None
        step["rows"] = kept
    return step


class Narration:
    """The narrated steps of the last demo runs, in arrival order, each numbered by ``seq``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steps: deque[dict[str, Any]] = deque(maxlen=MAX_STEPS)
        self._runs: list[str] = []
        self.seq = 0

    def add(self, step: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if step["run"] not in self._runs:
                self._runs.append(step["run"])
                if len(self._runs) > MAX_RUNS:
                    dropped = self._runs.pop(0)
                    kept = [s for s in self._steps if s["run"] != dropped]
                    self._steps.clear()
                    self._steps.extend(kept)
            self.seq += 1
            kept_step = {"seq": self.seq, "received": round(time.time(), 3), **step}
            self._steps.append(kept_step)
            return kept_step

    def since(self, seq: int) -> list[dict[str, Any]]:
        """The kept steps after ``seq``, oldest first."""
        with self._lock:
            return [s for s in self._steps if s["seq"] > seq]


# --------------------------------------------------------------------------- the chain and the schemes


def _q(value: Any) -> int:
    return value if isinstance(value, int) else int(value or "0x0", 16)


def scheme_of_contract(name: str, schemes: set[str]) -> str | None:
    """The scheme a registered contract class belongs to, by its package (``contracts_spec.<scheme>``)."""
    from contracts_spec.runtime import REGISTRY

    cls = REGISTRY.get(name)
    parts = (cls.__module__ if cls is not None else "").split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "contracts_spec" and parts[1] in schemes else None


class ChainReader:
    """Reads L1 blocks through the node's dispatcher, with each call's contract, scheme, method and gas.

    A block is read once (kept by hash); the contracts list is read again when
    a call goes to an address it does not name, so a contract a demo has just
    deployed is recognised from its first call.
    """

    def __init__(self, dispatcher: Any, schemes: set[str]) -> None:
        self.dispatcher = dispatcher
        self.schemes = schemes
        self._contracts: dict[str, str] = {}
        self._known_missing: set[str] = set()
        self._blocks: dict[str, dict[str, Any]] = {}
        self._methods: dict[bytes, str] | None = None

    def rpc(self, method: str, *params: Any) -> Any:
        return self.dispatcher.handle(method, list(params))

    def _contract(self, address: str) -> str | None:
        address = address.lower()
        if address not in self._contracts and address not in self._known_missing:
            self._contracts = {str(c["address"]).lower(): c["name"] for c in self.rpc("l2lab_contracts") or []}
            if address not in self._contracts:
                self._known_missing.add(address)
        return self._contracts.get(address)

    def _method(self, data: str) -> str:
        if self._methods is None:
            from contracts_spec.runtime.abi import method_names

            self._methods = method_names()
        raw = bytes.fromhex(data[2:10]) if len(data) >= 10 else b""
        return self._methods.get(raw, raw.hex() or "transfer")

    def head(self) -> tuple[int, str, int]:
        """The head block's number, hash and timestamp."""
        block = self.rpc("eth_getBlockByNumber", "latest", False)
        return _q(block["number"]), block["hash"], _q(block["timestamp"])

    def block(self, number: int) -> dict[str, Any] | None:
        """Block ``number``: its totals, the gas per scheme (``other`` for the rest) and its first calls."""
        raw = self.rpc("eth_getBlockByNumber", hex(number), True)
        if raw is None:
            return None
        if raw["hash"] in self._blocks:
            return self._blocks[raw["hash"]]
        by_scheme: dict[str, int] = {}
        calls: list[dict[str, Any]] = []
        for tx in raw.get("transactions") or []:
            receipt = self.rpc("eth_getTransactionReceipt", tx["hash"]) or {}
            gas = _q(receipt.get("gasUsed"))
            target = tx.get("to") or receipt.get("contractAddress") or ""
            contract = self._contract(target) if target else None
            scheme = scheme_of_contract(contract, self.schemes) if contract else None
            method = "deploy" if not tx.get("to") else self._method(tx.get("input") or "0x")
            by_scheme[scheme or "other"] = by_scheme.get(scheme or "other", 0) + gas
            if len(calls) < MAX_CALLS_SHOWN:
                calls.append({"hash": tx["hash"], "from": tx.get("from"), "to": target or None, "contract": contract,
                              "scheme": scheme, "method": method, "gas": gas,
                              "ok": _q(receipt.get("status", "0x1")) == 1})
        summary = {"number": _q(raw["number"]), "hash": raw["hash"], "timestamp": _q(raw["timestamp"]),
                   "transactions": len(raw.get("transactions") or []), "gas_used": _q(raw.get("gasUsed")),
                   "gas_limit": _q(raw.get("gasLimit")), "base_fee_per_gas": _q(raw.get("baseFeePerGas")),
                   "gas_by_scheme": by_scheme, "calls": calls}
        if len(self._blocks) > 4 * RECENT_BLOCKS:
            self._blocks.clear()
        self._blocks[raw["hash"]] = summary
        return summary


Get = Callable[[str], Awaitable[Any]]


async def _optimistic(get: Get, status: dict) -> dict[str, Any]:
    """The rollup's last batches, each with its challenge window and any fault found in it."""
    count = int(status.get("batch_count") or 0)
    batches = []
    for index in range(max(0, count - 6), count):
        b = await get(f"/api/optimistic/batches/{index}")
        batches.append({"index": index, "proposer": b["proposer"], "bytes": b["bytes"],
                        "entries": len(b["entries"]), "final": b["final"],
                        "challenge_time_left": b["challenge_time_left"], "claim_standing": b["claim_standing"],
                        "fault": b["fault"]})
    return {"batches": batches}


async def _channels(get: Get, status: dict) -> dict[str, Any]:
    """Every channel of the hosted peers, with both sides' balances and locks (the graph's edges)."""
    return {"channels": await get("/api/channels/channels")}


async def _plasma(get: Get, status: dict) -> dict[str, Any]:
    """The exits started on L1 and their states (the queue's order is in the status)."""
    return {"exits": await get("/api/plasma/exits")}


# What the feed reads of each scheme beyond ``/api/<scheme>/status``; a scheme not named here shows its status.
SCHEME_READS: dict[str, Callable[[Get, dict], Awaitable[dict[str, Any]]]] = {
    "optimistic": _optimistic, "channels": _channels, "plasma": _plasma,
}


class _Unavailable(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


async def scheme_panel(app: Any, name: str) -> dict[str, Any]:
    """One scheme's panel as its REST routes say it now: hosted (with its data), starting, or off."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        async def get(path: str) -> Any:
            r = await asyncio.wait_for(client.get(path), READ_TIMEOUT_SECONDS)
            if r.status_code != 200:
                try:
                    detail = str(r.json().get("detail", r.text))
                except ValueError:
                    detail = r.text
                raise _Unavailable(r.status_code, detail[:300])
            return r.json()

        try:
            status = await get(f"/api/{name}/status")
            extra = SCHEME_READS.get(name)
            return {"name": name, "state": "hosted", "status": status, **(await extra(get, status) if extra else {})}
        except _Unavailable as exc:
            state = {404: "off", 503: "starting"}.get(exc.status, "error")
            return {"name": name, "state": state, "detail": exc.detail}
        except TimeoutError:
            return {"name": name, "state": "busy", "detail": f"its routes did not answer within "
                                                             f"{READ_TIMEOUT_SECONDS:g} s"}


# --------------------------------------------------------------------------- the feed


class LiveFeed:
    """What the node's subscribers are sent: the narration store and the latest read of chain and schemes.

    ``stopping`` says when the server is shutting down, so open streams end
    and a Ctrl-C is not held up by a dashboard left open.
    """

    def __init__(self, app: Any, schemes: list[str] | None = None) -> None:
        self.app = app
        self.narration = Narration()
        self._schemes = schemes
        self.stopping: Callable[[], bool] = lambda: False
        self.version = 0
        self.status: dict[str, Any] = {}
        self.blocks: list[dict[str, Any]] = []  # the last RECENT_BLOCKS, oldest first
        self.panels: dict[str, dict[str, Any]] = {}
        self._reader: ChainReader | None = None
        self._subscribers = 0
        self.streams = 0  # event streams open now (``MAX_STREAMS`` at most)
        self._task: asyncio.Task | None = None
        self._fresh = asyncio.Event()

    @property
    def schemes(self) -> list[str]:
        """The registered schemes this node has routes for (its OpenAPI document lists their status)."""
        if self._schemes is None:
            from node.schemes import SCHEME_MODULES

            paths = self.app.openapi().get("paths", {})
            self._schemes = [n for n in SCHEME_MODULES if f"/api/{n}/status" in paths]
        return self._schemes

    def _read_chain(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if self._reader is None:
            from node.schemes import SCHEME_MODULES

            self._reader = ChainReader(self.app.state.dispatcher, set(SCHEME_MODULES))
        reader = self._reader
        number, head_hash, timestamp = reader.head()
        chain = self.app.state.chain
        status = {"chain_id": _q(reader.rpc("eth_chainId")), "head_number": number, "head_hash": head_hash,
                  "head_timestamp": timestamp, "time_offset": getattr(chain, "time_offset", 0),
                  "automine": getattr(chain, "automine", None),
                  "interval_mining_seconds": getattr(chain, "interval_mining_seconds", 0)}
        known = {b["number"]: b for b in self.blocks if b["number"] <= number}
        blocks = []
        for n in range(max(0, number - RECENT_BLOCKS + 1), number + 1):
            block = known.get(n)
            if block is None or (n == number and block["hash"] != head_hash):
                block = reader.block(n)
            if block is not None:
                blocks.append(block)
        return status, blocks

    async def refresh(self) -> None:
        """Read the chain and every scheme once; subscribers see the new read at their next tick."""
        from starlette.concurrency import run_in_threadpool

        status, blocks = await run_in_threadpool(self._read_chain)
        panels = {name: await scheme_panel(self.app, name) for name in self.schemes}
        self.status, self.blocks, self.panels = status, blocks, panels
        self.version += 1

    async def _refresh_loop(self) -> None:
        import logging

        while self._subscribers > 0 and not self.stopping():
            try:
                await self.refresh()
            except Exception:  # one failed read must not end the feed for good
                logging.getLogger("l2lab.node").exception("live feed: a refresh failed")
            self._fresh.set()  # a subscriber waits for a first read, failed or not
            await asyncio.sleep(POLL_SECONDS)
        self._task = None

    async def subscribe(self) -> None:
        self._subscribers += 1
        if self._task is None:
            self._fresh.clear()
            self._task = asyncio.create_task(self._refresh_loop())
        await self._fresh.wait()  # a first read before the first events

    def unsubscribe(self) -> None:
        self._subscribers -= 1


class Subscriber:
    """One stream's cursor: what it was sent, so each tick sends only what changed since."""

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed
        self.version = 0  # the feed has read nothing at version 0
        self.head: int | None = None
        self.block_hashes: dict[int, str] = {}
        self.panels: dict[str, str] = {}
        self.status = ""
        self.seq = 0

    def hello(self) -> list[tuple[str, dict[str, Any]]]:
        return [("hello", {"schemes": self.feed.schemes, "poll_seconds": POLL_SECONDS,
                           "max_steps": MAX_STEPS})]

    def news(self) -> list[tuple[str, dict[str, Any]]]:
        """The events this subscriber has not been sent yet."""
        out: list[tuple[str, dict[str, Any]]] = []
        feed = self.feed
        if feed.version != self.version:
            self.version = feed.version
            status = json.dumps(feed.status, sort_keys=True, default=str)
            if status != self.status:
                self.status = status
                out.append(("status", feed.status))
            for block in feed.blocks:
                if self.block_hashes.get(block["number"]) != block["hash"]:
                    self.block_hashes[block["number"]] = block["hash"]
                    out.append(("block", block))
            head = feed.status.get("head_number", 0)
            self.block_hashes = {n: h for n, h in self.block_hashes.items() if n <= head and n > head - 4 * RECENT_BLOCKS}
            for name, panel in feed.panels.items():
                text = json.dumps(panel, sort_keys=True, default=str)
                if self.panels.get(name) != text:
                    self.panels[name] = text
                    out.append(("scheme", panel))
        steps = feed.narration.since(self.seq)
        if steps:
            self.seq = steps[-1]["seq"]
            out.extend(("narration", s) for s in steps)
        return out


def format_event(event: str, data: dict[str, Any], event_id: int | None = None) -> bytes:
    """One server-sent event: its name, its JSON data on one line, an id the browser sends back on reconnect."""
    lines = [f"event: {event}"]
    if event_id is not None:
        lines.append(f"id: {event_id}")
    lines.append("data: " + json.dumps(data, separators=(",", ":"), default=str))
    return ("\n".join(lines) + "\n\n").encode()


def feed_of(app: Any) -> LiveFeed:
    feed = getattr(app.state, "live", None)
    if feed is None:
        feed = app.state.live = LiveFeed(app)
    return feed


async def stream(request: Request, feed: LiveFeed) -> AsyncIterator[bytes]:
    """The event stream of one subscriber, until it goes away or the server stops."""
    sub = Subscriber(feed)
    feed.streams += 1
    try:
        async for chunk in _events_of(request, feed, sub):
            yield chunk
    finally:
        feed.streams -= 1


async def _events_of(request: Request, feed: LiveFeed, sub: Subscriber) -> AsyncIterator[bytes]:
    yield b"retry: 2000\n\n"
    await feed.subscribe()
    try:
        count = 0
        for name, data in [*sub.hello(), *sub.news()]:
            count += 1
            yield format_event(name, data, count)
        quiet_since = time.monotonic()
        while not feed.stopping() and not await request.is_disconnected():
            await asyncio.sleep(TICK_SECONDS)
            news = sub.news()
            for name, data in news:
                count += 1
                yield format_event(name, data, count)
            if news:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = time.monotonic()
                yield b": keepalive\n\n"
    finally:
        feed.unsubscribe()


@router.get("/events", include_in_schema=False)
async def events(request: Request) -> StreamingResponse:
    """Server-sent events: what changed on the chain, in each hosted scheme and in the last demo's narration."""
    feed = feed_of(request.app)
    if feed.streams >= MAX_STREAMS:
        raise HTTPException(503, f"the node serves at most {MAX_STREAMS} event streams at once; close a dashboard "
                                 "and try again", headers={"Retry-After": "5"})
    return StreamingResponse(stream(request, feed), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/narration/recent", summary="The narrated steps of the last demo runs, oldest first", responses=responses())
def get_narration(request: Request) -> list[dict[str, Any]]:
    return feed_of(request.app).narration.since(0)


@router.post("/narration", summary="Add a demo's narrated step (what `l2lab demo --rpc` sends, for the dashboard)",
             dependencies=[Depends(require_admin)], responses=responses(401),
             openapi_extra={"requestBody": {"required": True,
                                            "content": {"application/json": {"schema": NARRATION_SCHEMA}}}})
async def post_narration(request: Request) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_NARRATION_BYTES:
        raise HTTPException(413, f"a narrated step is at most {MAX_NARRATION_BYTES} bytes, got {len(body)}")
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPException(400, "the body must be a JSON object: a narrated step") from None
    try:
        step = parse_step(doc)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return feed_of(request.app).narration.add(step)


def new_run_id() -> str:
    """A demo run's id, as the narration posts carry it."""
    return secrets.token_hex(8)

