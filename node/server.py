"""``l2lab node``: the L1 chain served over HTTP, JSON-RPC at ``/`` and REST under ``/api/``.

JSON-RPC at ``/`` is what wallets, web3.py and the actors' HTTP transport
speak; the REST routes (``node/api.py``) with their OpenAPI page at ``/docs``
are for people poking at the chain from a browser or curl. Both read the same
``Chain`` through the same ``RpcDispatcher``, so they can never disagree.
"""

# No ``from __future__ import annotations`` here: FastAPI resolves route annotations
# at definition time, and the routes below use names imported inside create_app,
# which keeps ``l2lab`` (every subcommand imports this module) quick to start.

import argparse
import contextlib
import json
import logging
import math
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import APIRouter, FastAPI

    from contracts_spec.interfaces import Hosted, HostedScheme
    from node.chain import Chain

from node.rpc_codes import INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR
from primitives.jsonlimits import MAX_JSON_DEPTH, json_too_deep

log = logging.getLogger("l2lab.node")

# Bodies larger than this are refused before parsing: a raw tx is capped at 128 KiB
# and a generous batch of them fits well inside.
MAX_BODY_BYTES = 5 * 1024 * 1024


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(_has_surrogate(k) or _has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(v) for v in value)
    return False


def holds_lone_surrogate(body: bytes) -> bool:
    """Whether the JSON ``body`` decodes to a string with an unpaired UTF-16 surrogate.

    Python's JSON parser accepts ``"\\ud800"`` and yields a string no UTF-8
    encoder can write, so every answer that echoed it failed. Such a body is
    refused before any route sees it. Bodies without a surrogate escape (nearly
    all) are passed at the speed of one regex search.
    """
    if not _SURROGATE_ESCAPE.search(body):
        return False
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return False  # not JSON at all: the route answers that
    return _has_surrogate(document)


class BodyGuard:
    """ASGI middleware: refuses requests from foreign web pages, and bodies no parser should see.

    A request whose ``Origin`` header names a site other than the node's own
    is refused before anything runs: a web page open in the user's browser
    could otherwise drive the node (a simple ``text/plain`` POST needs no CORS
    preflight). Tools that are not browsers send no ``Origin`` and are served.
    Bodies that are oversized, nested too deeply or hold a lone UTF-16
    surrogate are refused before anything parses them. On ``POST /`` a refusal
    is a JSON-RPC error with HTTP 200 (as geth answers bad input); elsewhere it
    is 403, 413 or 400 with a ``detail``.
    """

    def __init__(self, app: Any, origins: Sequence[str] = ()) -> None:
        self.app = app
        self.origins = frozenset(o.lower() for o in origins)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"origin"), None)
        if origin is not None and origin.lower() not in self.origins:
            await self._refuse(scope, send, 403, INVALID_REQUEST,
                               f"requests from web pages at {origin[:100]} are refused: this node answers its "
                               "own pages and tools that are not browsers")
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                await self._refuse(scope, send, 413, INVALID_REQUEST, f"request body over {MAX_BODY_BYTES} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if json_too_deep(body):
            await self._refuse(scope, send, 400, PARSE_ERROR, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            return
        if holds_lone_surrogate(body):
            await self._refuse(scope, send, 400, PARSE_ERROR,
                               "JSON holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair): "
                               "not a Unicode character")
            return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _refuse(scope: dict, send: Any, status: int, rpc_code: int, message: str) -> None:
        from fastapi.responses import JSONResponse

        if scope["path"] == "/":
            response = JSONResponse(_rpc_error(rpc_code, message))
        else:
            response = JSONResponse({"detail": message}, status_code=status)
        await response(scope, _no_receive, send)


async def _no_receive() -> dict:
    return {"type": "http.disconnect"}


class IntervalMiner:
    """Mines a block every ``chain.interval_mining_seconds`` while that is > 0.

    The interval is read from the chain on every tick, so ``evm_setIntervalMining``
    over RPC switches it on, off or to a new period without restarting anything.
    """

    # Longest sleep between looks at the interval, so changes take effect promptly.
    POLL_SECONDS = 0.2

    def __init__(self, chain: "Chain") -> None:
        self.chain = chain
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.blocks_mined = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="l2lab-interval-miner", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _interval(self) -> float:
        try:
            return float(getattr(self.chain, "interval_mining_seconds", 0) or 0)
        except (TypeError, ValueError):
            return 0.0

    def _run(self) -> None:
        last_mined = time.monotonic()
        while not self._stop.is_set():
            interval = self._interval()
            if interval <= 0:
                last_mined = time.monotonic()
                self._stop.wait(self.POLL_SECONDS)
                continue
            due_in = last_mined + interval - time.monotonic()
            if due_in > 0:
                self._stop.wait(min(due_in, self.POLL_SECONDS))
                continue
            try:
                self.chain.mine()
                self.blocks_mined += 1
            except Exception:  # a failed tick must not end interval mining for good
                log.exception("interval mining: mine() failed")
            last_mined = time.monotonic()


def _rpc_error(code: int, message: str, request_id: Any = None) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def create_app(
    chain: "Chain",
    *,
    dev_keys: Any = None,
    origins: Sequence[str] = (),
    admin_token: str | None = None,
    routers: Sequence["APIRouter"] = (),
    dispatcher: Any = None,
) -> "FastAPI":
    """Build the HTTP app around ``chain``; the caller keeps ownership and closes it.

    ``dev_keys`` (address → private key) enables ``eth_sendTransaction`` and
    ``GET /api/dev-accounts``; ``routers`` are mounted as they are, so a scheme can
    add its own endpoints (e.g. under ``/api/optimistic/``). ``origins`` are the
    node's own URLs: a browser request from any other page is refused. With
    ``admin_token``, the dev-only JSON-RPC methods and the admin routes answer
    only requests that carry it (``node.auth``); without, everyone may.
    ``dispatcher`` answers JSON-RPC instead of one over ``chain`` (``l2lab node
    --l1``: ``node.gateway.ForwardingDispatcher``).
    """
    from fastapi import FastAPI, Request
    from fastapi.concurrency import run_in_threadpool
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.middleware.cors import CORSMiddleware
    from fastapi.responses import JSONResponse, RedirectResponse, Response

    from node import api, dashboard, live
    from node.auth import is_authorized
    from node.rpc import RpcDispatcher

    dispatcher = dispatcher if dispatcher is not None else RpcDispatcher(chain, dev_keys)
    miner = IntervalMiner(chain)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        miner.start()
        try:
            yield
        finally:
            miner.stop()

    app = FastAPI(
        title="l2lab node",
        version=_version(),
        description=(
            "A toy Ethereum-like L1 for the Layer-2 lab. JSON-RPC 2.0 (the `eth_*`, `evm_*` "
            "and `l2lab_*` methods) is served at `POST /`; the REST routes below are a "
            "friendlier view of the same chain."
        ),
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    _serve_docs_offline(app)
    # Only the node's own pages may call it from a browser (``origins``: its own URLs); a page
    # elsewhere could otherwise repoint the hosted rollup or move the clock.
    app.add_middleware(BodyGuard, origins=origins)
    app.add_middleware(CORSMiddleware, allow_origins=list(origins), allow_methods=["*"], allow_headers=["*"])
    app.state.chain = chain
    app.state.dispatcher = dispatcher
    app.state.miner = miner
    app.state.dev_keys = dict(dev_keys or {})
    app.state.admin_token = admin_token
    app.state.live = live.LiveFeed(app)  # the dashboard's event feed and the demos' narration

    @app.post(
        "/",
        summary="JSON-RPC 2.0 endpoint (single requests and batches)",
        tags=["json-rpc"],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {"type": "object"},
                        "example": {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []},
                    }
                },
            }
        },
    )
    async def json_rpc(request: Request) -> Response:
        body = await request.body()  # BodyGuard already bounded its size and nesting
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            # Like geth: a body that is not JSON is still answered with HTTP 200.
            return JSONResponse(_rpc_error(PARSE_ERROR, f"Parse error: {exc}"))
        # The dispatcher takes the chain's lock and may touch disk: keep it off the event loop.
        try:
            admin = is_authorized(admin_token, request.headers.get("authorization"))
            reply = await run_in_threadpool(partial(dispatcher.handle_request, payload, admin=admin))
        except Exception as exc:  # handle_request should never raise; if it does, say what broke
            log.exception("JSON-RPC dispatcher failed")
            return JSONResponse(_rpc_error(INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}"))
        if reply is None or reply == []:
            # Only notifications: JSON-RPC 2.0 says nothing is returned.
            return Response(status_code=204)
        return JSONResponse(reply)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/dashboard")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        # FastAPI's own handler echoes the offending input, which cannot be written
        # as JSON when it is NaN or infinite (a 500); echo such numbers as text.
        return JSONResponse({"detail": _json_safe(jsonable_encoder(exc.errors()))}, status_code=422)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        # A bug must still answer in the protocol the client spoke, naming the error.
        log.error("unhandled error serving %s %s", request.method, request.url.path, exc_info=exc)
        message = f"internal error: {type(exc).__name__}: {exc}"
        if request.url.path == "/" and request.method == "POST":
            return JSONResponse(_rpc_error(INTERNAL_ERROR, message))
        return JSONResponse({"detail": message}, status_code=500)

    app.include_router(api.router)
    app.include_router(dashboard.router)
    app.include_router(live.router)
    for extra in routers:
        app.include_router(extra)
    return app


def _serve_docs_offline(app: "FastAPI") -> None:
    """``/docs`` (Swagger UI) and ``/redoc`` from assets installed with the node, not from a CDN.

    A workshop room often has no internet; the page must still render.
    """
    from pathlib import Path

    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - API docs",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js", swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - API reference",
            redoc_js_url="/docs-assets/redoc.standalone.js", redoc_favicon_url="/docs-assets/favicon.png",
            with_google_fonts=False,
        )


def _json_safe(value: Any) -> Any:
    """``value`` with every NaN or infinite float replaced by its text, so it is valid JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("l2lab")
    except metadata.PackageNotFoundError:
        return "0.0.0"


# --------------------------------------------------------------------------- the command


def scheme_routers(
    schemes: "Mapping[str, HostedScheme] | None" = None,
) -> tuple[list["APIRouter"], dict[str, str]]:
    """The REST router of each registered scheme, and, per scheme whose router failed to load, why.

    One broken scheme must not keep the node's L1 down: it is reported, and the
    rest are served.
    """
    from node.schemes import all_schemes

    routers = []
    failed: dict[str, str] = {}
    for name, scheme in (all_schemes() if schemes is None else schemes).items():
        try:
            routers.append(scheme.router())
        except Exception as exc:
            failed[name] = f"{type(exc).__name__}: {exc}"
    return routers, failed


def load_contract_modules(extra: Sequence[str] = ()) -> tuple[list[str], dict[str, str]]:
    """Import every module under ``contracts_spec`` (and ``extra`` ones) so their contracts register.

    The chain deploys and runs contracts by registered class name: a node process
    that never imported a class could neither deploy it nor run one restored from
    its data dir. Returns the modules loaded and, per failed module, why.
    """
    import importlib

    from node.chain import import_package_modules

    loaded, failed = import_package_modules("contracts_spec")
    for name in extra:
        try:
            importlib.import_module(name)
            loaded.append(name)
        except Exception as exc:  # one broken scheme must not keep the node down
            failed[name] = f"{type(exc).__name__}: {exc}"
    return loaded, failed


@dataclass
class HostContext:
    """What the node hands each scheme it hosts (``contracts_spec.interfaces.NodeContext``)."""

    app: Any
    l1: Any
    accounts: Sequence[Any]
    data_dir: Path | None
    url: str
    args: argparse.Namespace


def _bind(host: str, port: int) -> socket.socket:
    """Bind the listening socket ourselves so a busy port is a message, not a traceback."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must say TCP: asyncio only sets TCP_NODELAY on such sockets' connections, and
    # without it every response waits ~40 ms for a delayed ACK (Nagle's algorithm).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from node.auth import new_token, write_token
    from node.chain import Chain
    from node.devaccounts import (
        PUBLIC_KEYS_WARNING,
        derive_dev_accounts,
        dev_keys,
        eth_to_wei,
        genesis_alloc,
    )

    if getattr(args, "l1", None) and (args.block_time is not None or args.automine):
        print("error: --l1 forwards to a chain that mines as it was started to: drop --block-time/--automine",
              file=sys.stderr)
        return 2
    from node.client import url_problem

    if getattr(args, "l1", None) and url_problem(args.l1, "--l1"):
        print(f"error: {url_problem(args.l1, '--l1')}", file=sys.stderr)
        return 2
    if args.block_time is not None and args.automine:
        print("error: --block-time and --automine choose different mining modes: give one", file=sys.stderr)
        return 2
    if args.block_time is not None and not (math.isfinite(args.block_time) and args.block_time > 0):
        print(f"error: --block-time must be positive seconds, got {args.block_time}", file=sys.stderr)
        return 2
    try:
        balance_wei = eth_to_wei(args.balance)
        accounts = derive_dev_accounts(args.accounts)
    except (TypeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    _, failed = load_contract_modules(args.contracts)
    for name, why in failed.items():
        print(f"warning: contracts in {name} are unavailable: {why}", file=sys.stderr)
    if any(name in failed for name in args.contracts):
        print("error: a module named with --contracts could not be imported", file=sys.stderr)
        return 2

    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(
            f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
            "Is another node running there? Choose another port with --port.",
            file=sys.stderr,
        )
        return 1

    remote = getattr(args, "l1", None)
    try:
        if args.memory:
            args.data_dir = None
        if remote:
            from node.gateway import RemoteChain

            chain: Any = RemoteChain(remote)
            if args.data_dir is not None:
                Path(args.data_dir).mkdir(parents=True, exist_ok=True)
            args.chain_id = chain.chain_id
        else:
            chain = Chain(
                chain_id=args.chain_id,
                data_dir=args.data_dir,
                fresh=args.fresh,
                genesis_alloc=genesis_alloc(accounts, balance_wei),
                automine=args.block_time is None,
            )
    except Exception as exc:
        sock.close()
        if remote:
            print(f"error: cannot reach the L1 at {remote}: {exc}", file=sys.stderr)
            return 1
        where = "memory" if args.data_dir is None else args.data_dir
        print(f"error: cannot open the chain in {where}: {exc}", file=sys.stderr)
        return 1

    try:
        if args.fresh and args.data_dir is not None:
            _forget_scheme_files(Path(args.data_dir))
        # The data dir remembers its mining mode (evm_setAutomine, evm_setIntervalMining); a flag
        # given on this command line changes it.
        if remote:
            pass  # the remote chain mines as it was started to
        elif args.block_time is not None:
            chain.set_automine(False)
            chain.interval_mining_seconds = args.block_time
        elif args.automine:
            chain.set_automine(True)
            chain.interval_mining_seconds = 0
        token = new_token()
        if args.data_dir is not None:
            write_token(args.data_dir, token)
        _print_banner(args, chain, accounts, balance_wei, PUBLIC_KEYS_WARNING, token)
        routers, failed_routers = scheme_routers()
        for name, why in failed_routers.items():
            print(f"warning: endpoints of {name} are unavailable: {why}", file=sys.stderr)
        app = create_app(chain, dev_keys=dev_keys(accounts), routers=routers, origins=own_origins(args),  # type: ignore[arg-type]
                         admin_token=token, dispatcher=getattr(chain, "dispatcher", None))
        hosted = _host_schemes(args, app, accounts)
        config = uvicorn.Config(app, log_level=args.log_level, access_log=args.log_level == "debug")
        server = uvicorn.Server(config)
        app.state.live.stopping = lambda: server.should_exit  # open event streams end at Ctrl-C
        # uvicorn shuts down gracefully on SIGINT/SIGTERM and then re-raises the signal
        # to the handler it found; with the default SIGTERM handler that would kill the
        # process before the chain is closed, so turn it into an exception we catch.
        previous = signal.signal(signal.SIGTERM, _terminate)
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # the shutdown already happened cleanly
        finally:
            signal.signal(signal.SIGTERM, previous)
            for running in hosted:
                running.stop()
    finally:
        sock.close()
        chain.close()
        print("l2lab node stopped; chain closed cleanly.", flush=True)
    return 0


def own_origins(args: argparse.Namespace) -> list[str]:
    """The origins of the node's own pages: every name of the loopback and the listening host."""
    hosts = {"127.0.0.1", "localhost", "[::1]", _url_host(args.host)}
    if args.host not in ("0.0.0.0", "::"):
        hosts.add(f"[{args.host}]" if ":" in args.host else args.host)
    return sorted(f"http://{host}:{args.port}" for host in hosts)


def _url(args: argparse.Namespace) -> str:
    return f"http://{_url_host(args.host)}:{args.port}"


def _forget_scheme_files(data_dir: Path) -> None:
    """With ``--fresh``: delete what every scheme kept in ``data_dir`` for the chain that was wiped.

    An operator's log of a wiped chain must not be replayed on the new one,
    where its rollup may be deployed at the same address.
    """
    from node.schemes import all_schemes

    for scheme in all_schemes().values():
        for pattern in scheme.data_files:
            for path in data_dir.glob(pattern):
                if path.is_file():
                    path.unlink()


def _host_schemes(args: argparse.Namespace, app: Any, accounts: Sequence[Any]) -> list["Hosted"]:
    """Start every registered scheme that hosts itself beside this node; the ones running."""
    from contracts_spec.l1 import L1Client
    from node.schemes import all_schemes

    context = HostContext(
        app=app,
        l1=L1Client.in_process(app.state.dispatcher),
        accounts=accounts,
        data_dir=Path(args.data_dir) if args.data_dir is not None else None,
        url=_url(args),
        args=args,
    )
    running = []
    for scheme in all_schemes().values():
        hosted = scheme.host(context)
        if hosted is not None:
            running.append(hosted)
    return running


def _mining_mode(chain: "Chain") -> str:
    if chain.interval_mining_seconds:
        return f"a block every {chain.interval_mining_seconds:g} s"
    return "automine (a block per transaction)" if chain.automine else "manual (evm_mine or POST /api/mine)"


def _print_banner(
    args: argparse.Namespace, chain: "Chain", accounts: Sequence[Any], balance_wei: int, warning: str,
    token: str,
) -> None:
    from contracts_spec.runtime import REGISTRY

    url = _url(args)
    head = chain.block_number
    import os

    where = "in memory" if args.data_dir is None else f"in {os.path.abspath(args.data_dir)}"
    where_token = ("not saved: the chain is in memory; the CLI takes --token or L2LAB_NODE_TOKEN"
                   if args.data_dir is None else f"saved in {os.path.join(os.path.abspath(args.data_dir), 'node-token')}")
    remote = getattr(chain, "url", None)
    lines = [
        "l2lab node" + (f" on the L1 at {remote} ({chain.client}): every JSON-RPC request goes there, "  # type: ignore[attr-defined]
                        "and the schemes deploy their Solidity twins" if remote else ""),
        f"  chain id   {args.chain_id}",
        f"  data       {where} (head block #{head})",
        f"  mining     {_mining_mode(chain) if not remote else 'as the L1 at ' + remote + ' mines'}",
        f"  contracts  {', '.join(sorted(REGISTRY)) or 'none registered'}",
        f"  JSON-RPC   {url}",
        f"  REST docs  {url}/docs",
        f"  dashboard  {url}/dashboard#token={token}",
        f"  admin      token {token} ({where_token}): send 'Authorization: Bearer <token>' for time travel,",
        "             mining, snapshots and set-balance over JSON-RPC, and the REST admin routes",
        "",
        f"Dev accounts ({len(accounts)}, {balance_wei / 10**18:g} ETH each at genesis):",
    ]
    for a in accounts:
        lines.append(f"  ({a.index}) {a.address}  {a.private_key_hex}")
    lines += ["", warning, "", "Press Ctrl-C to stop."]
    print("\n".join(lines), flush=True)


# EIP-2294: the largest chain id whose EIP-155 v (chain_id * 2 + 36) still fits in a uint64.
MAX_CHAIN_ID = (2**64 - 1) // 2 - 36


def _whole(text: str, what: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be a whole number, got {text!r}") from None


def _port(text: str) -> int:
    port = _whole(text, "the port")
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"the port must be between 0 and 65535, got {port}")
    return port


def _chain_id(text: str) -> int:
    chain_id = _whole(text, "the chain id")
    if not 1 <= chain_id <= MAX_CHAIN_ID:
        raise argparse.ArgumentTypeError(f"the chain id must be between 1 and {MAX_CHAIN_ID} (EIP-2294), "
                                         f"got {chain_id}")
    return chain_id


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "node",
        help="run the L1 chain with its JSON-RPC and REST API",
        description="Run the toy L1 chain over HTTP: JSON-RPC at /, REST under /api/, docs at /docs.",
    )
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8545, help="TCP port, 0 to 65535 (default 8545)")
    p.add_argument(
        "--data-dir",
        default="./l2lab-data",
        help="where the chain is stored; reopened if it exists (default ./l2lab-data)",
    )
    p.add_argument("--fresh", action="store_true", help="wipe the data dir and start a new chain")
    p.add_argument(
        "--memory", action="store_true", help="keep the chain in memory only; nothing is written to disk"
    )
    p.add_argument(
        "--l1", metavar="URL",
        help="no chain of its own: forward JSON-RPC to the EVM chain at URL (`l2lab evm up`'s anvil, a testnet) "
             "and host the schemes there, with their Solidity twins; the dev accounts must be funded there",
    )
    from node.schemes import all_schemes

    for scheme in all_schemes().values():
        scheme.add_node_options(p)
    p.add_argument("--chain-id", type=_chain_id, default=31337,
                   help=f"EIP-155 chain id, 1 to {MAX_CHAIN_ID} (default 31337)")
    p.add_argument(
        "--block-time",
        type=float,
        metavar="SECONDS",
        help="mine a block every SECONDS instead of one per transaction (kept in the data dir)",
    )
    p.add_argument("--automine", action="store_true",
                   help="mine a block per transaction (the default of a new chain; a data dir otherwise "
                        "keeps the mode it was left in)")
    p.add_argument("--accounts", type=int, default=10, help="dev accounts to fund (default 10)")
    p.add_argument(
        "--balance", default="10000", metavar="ETH", help="genesis balance of each dev account (default 10000)"
    )
    p.add_argument(
        "--contracts",
        action="append",
        default=[],
        metavar="MODULE",
        help="also import MODULE so the contracts it registers can be deployed (repeatable)",
    )
    p.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="server log level (default warning)",
    )
    p.set_defaults(func=run)
