"""Peers in separate processes: messages over HTTP, each peer serving a small API, L1 over JSON-RPC.

:class:`HttpMessageTransport` is what :class:`~channels.peer.Peer` sends
through when its partners run elsewhere: the same ``register``/``send`` as
the in-process ``MessageBus``, posting each signed message (``codec`` JSON)
to the recipient's ``/messages``. A post that fails is not retried here: the
peer keeps every message until the partner's ``Processed`` comes back and
sends it again (:class:`PeerService` asks it to every ``resend_seconds``), so
a partner that is down or restarting gets it when it is back.

:class:`PeerService` runs one peer in a process: incoming messages and the
user's commands are queued by the HTTP handlers and applied by one loop
thread, which also polls L1, so the peer's state machine never runs on two
threads at once. :func:`create_app` is its API (FastAPI, as the node's):
``POST /messages`` (signed, so open to anyone), and for the user ``GET
/status``, ``POST /open``, ``POST /deposit``, ``POST /transfer``, ``POST /pay``,
``POST /close`` (and ``POST /withhold``, to show a crash mid-payment), which
need the peer's token when it has one.

:class:`JsonRpcTransport` is a minimal L1 transport for the peer process
(the node's own ``node.client.HttpTransport`` sits a layer above the actors).
"""

from __future__ import annotations

import hmac
import queue
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request

from channels import codec
from channels import events as E
from channels.messages import Signed
from channels.peer import Peer
from channels.state_changes import RECEIVE_BY_MESSAGE
from contracts_spec.channels.rules import ChannelRuleError
from contracts_spec.l1 import L1Error

MAX_MESSAGE_BYTES = 256 * 1024  # a locked transfer with the longest route is a few kilobytes
Handler = Callable[[Signed], object]


class JsonRpcError(L1Error):
    """The L1 node answered a JSON-RPC error (or could not be reached): ``message`` and ``data`` say why."""

    def __init__(self, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.message, self.data = message, data


class JsonRpcTransport:
    """``request(method, params)`` over HTTP to an ``l2lab node``."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url, self._client, self._ids = url, httpx.Client(timeout=timeout, headers=headers), 0
        self._lock = threading.Lock()

    def request(self, method: str, params: list) -> Any:
        with self._lock:
            self._ids += 1
            payload = {"jsonrpc": "2.0", "id": self._ids, "method": method, "params": list(params)}
            try:
                reply = self._client.post(self.url, json=payload).json()
            except (httpx.HTTPError, ValueError) as exc:
                raise JsonRpcError(f"cannot reach the L1 node at {self.url}: {exc}") from exc
        error = reply.get("error")
        if error is not None:
            raise JsonRpcError(str(error.get("message", "")), error.get("data"))
        return reply["result"]


class HttpMessageTransport:
    """Signed messages to peers by their URL; the peer's own messages come in through :func:`create_app`."""

    def __init__(self, directory: Mapping[str, str], timeout: float = 2.0,
                 withhold: Callable[[Signed], bool] | None = None) -> None:
        self.directory = {address.lower(): url.rstrip("/") for address, url in directory.items()}
        self._client = httpx.Client(timeout=timeout)
        self._handlers: dict[str, Handler] = {}
        self.withhold = withhold  # for demos of a crash mid-payment: messages it picks are never sent
        self.failed = 0

    def register(self, address: str, handler: Handler) -> None:
        self._handlers[address.lower()] = handler

    def send(self, signed: Signed) -> None:
        if self.withhold is not None and self.withhold(signed):
            return
        url = self.directory.get(signed.message.recipient.lower())
        if url is None:
            self.failed += 1
            return
        try:
            self._client.post(f"{url}/messages", content=codec.dumps(signed),
                              headers={"Content-Type": "application/json"})
        except httpx.HTTPError:
            self.failed += 1  # the peer sends it again until it is acknowledged


def channel_summary(peer: Peer) -> list[dict]:
    out = []
    for identifier, channel in sorted(peer.state.channels.items()):
        out.append({
            "identifier": identifier, "partner": channel.partner.address, "status": channel.status,
            "balance": str(channel.balance()), "partner_balance": str(
                channel.partner.deposit - channel.partner.withdrawn + channel.our.balance_proof.transferred_amount
                - channel.partner.balance_proof.transferred_amount),
            "our_nonce": channel.our.balance_proof.nonce, "partner_nonce": channel.partner.balance_proof.nonce,
            "deposit": str(channel.our.deposit), "pending_locks": len(channel.our.locks) + len(channel.partner.locks),
        })
    return out


def user_event_summary(event: Any) -> dict:
    kinds = {E.EventPaymentSentSuccess: "sent", E.EventPaymentSentFailed: "failed",
             E.EventPaymentReceived: "received"}
    row = {"kind": kinds.get(type(event), type(event).__name__),
           "payment_identifier": event.payment_identifier, "amount": str(event.amount)}
    row["partner"] = getattr(event, "target", None) or getattr(event, "initiator", "")
    return row


class PeerService:
    """One peer, its inbox and its user's commands, driven by one loop thread."""

    def __init__(self, peer: Peer, *, poll_seconds: float = 0.05, resend_seconds: float = 0.5) -> None:
        self.peer = peer
        self.inbox: queue.Queue[tuple[Callable[[], Any], Future | None]] = queue.Queue()
        self.poll_seconds, self.resend_seconds = poll_seconds, resend_seconds
        self.refused: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="channel-peer", daemon=True)

    def start(self) -> PeerService:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def deliver(self, signed: Signed) -> None:
        """Queue an incoming message for the loop."""
        self.inbox.put((lambda: self.peer.receive(signed), None))

    def call(self, fn: Callable[[Peer], Any], timeout: float = 30.0) -> Any:
        """Run ``fn(peer)`` on the loop thread; its result, or the exception it raised."""
        future: Future = Future()
        self.inbox.put((lambda: fn(self.peer), future))
        return future.result(timeout=timeout)

    def _run(self) -> None:
        last_resend = time.monotonic()
        while not self._stop.is_set():
            try:
                job, future = self.inbox.get(timeout=self.poll_seconds)
            except queue.Empty:
                job, future = None, None
            if job is not None:
                try:
                    result = job()
                except Exception as exc:  # noqa: BLE001 - a refused message or command is reported, the loop goes on
                    if future is not None:
                        future.set_exception(exc)
                    elif isinstance(exc, ChannelRuleError):
                        self.refused.append(str(exc))
                    else:
                        self.refused.append(f"{type(exc).__name__}: {exc}")
                else:
                    if future is not None:
                        future.set_result(result)
                if not self.inbox.empty():
                    continue
            try:
                self.peer.poll()
                if time.monotonic() - last_resend >= self.resend_seconds:
                    self.peer.resend()
                    last_resend = time.monotonic()
            except L1Error as exc:
                self.refused.append(f"L1: {exc}")


LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def is_loopback(host: str) -> bool:
    """True for an address only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def _same_machine(origin: str) -> bool:
    from urllib.parse import urlsplit

    try:
        host = urlsplit(origin).hostname or ""
    except ValueError:
        return False
    return is_loopback(host)


def create_app(service: PeerService, token: str | None = None) -> Any:
    """The peer's HTTP API (see the module doc)."""
    app = FastAPI(title=f"l2lab channel peer {service.peer.address}")

    def user(request: Request) -> None:
        origin = request.headers.get("Origin")
        if origin is not None and not _same_machine(origin):
            # a page of another site in the user's browser: a text/plain POST needs no CORS preflight
            raise HTTPException(403, f"requests from the page {origin!r} are refused: the user routes are the "
                                     "peer owner's, not a web page's")
        given = request.headers.get("Authorization", "")
        if token and not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise HTTPException(401, "this route needs the peer's token (Authorization: Bearer ...)")

    def run(fn: Callable[[Peer], Any]) -> Any:
        try:
            return service.call(fn)
        except ChannelRuleError as exc:
            raise HTTPException(400, str(exc)) from None

    def amount(body: dict, name: str = "amount") -> int:
        value = body.get(name)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise HTTPException(400, f"bad amount: {name} must be a non-negative integer (wei), got {value!r}")
        return value

    def address(body: dict, name: str) -> str:
        value = body.get(name)
        if not isinstance(value, str) or not value.startswith("0x") or len(value) != 42:
            raise HTTPException(400, f"bad address: {name} must be a 0x-prefixed 20-byte address, got {value!r}")
        return value

    @app.post("/messages")
    async def messages(request: Request) -> dict:
        body = await request.body()
        if len(body) > MAX_MESSAGE_BYTES:
            raise HTTPException(413, f"message too large: at most {MAX_MESSAGE_BYTES} bytes")
        try:
            signed = codec.loads(body)
        except (ValueError, TypeError) as exc:
            raise HTTPException(400, f"malformed message: {exc}") from None
        if (not isinstance(signed, Signed) or type(signed.message) not in RECEIVE_BY_MESSAGE
                or not isinstance(signed.signature, bytes) or not isinstance(signed.balance_signature, bytes)):
            raise HTTPException(400, "malformed message: a Signed peer message with byte signatures")
        service.deliver(signed)
        return {"queued": True}

    @app.get("/status", dependencies=[Depends(user)])
    def status() -> dict:
        def read(peer: Peer) -> dict:
            return {"address": peer.address, "block": peer.state.block_number, "channels": channel_summary(peer),
                    "events": [user_event_summary(e) for e in peer.user_events], "unacknowledged": len(
                        peer.state.queue), "refused": service.refused[-20:], "mediations": len(peer.state.mediations)}
        return run(read)

    @app.post("/open", dependencies=[Depends(user)])
    def open_channel(body: dict) -> dict:
        partner, deposit = address(body, "partner"), amount(body, "deposit")
        run(lambda peer: peer.open_channel(partner, deposit))
        return {"opening": partner}

    @app.post("/deposit", dependencies=[Depends(user)])
    def deposit(body: dict) -> dict:
        partner, value = address(body, "partner"), amount(body)
        run(lambda peer: peer.deposit(partner, value))
        return {"deposited": str(value)}

    @app.post("/transfer", dependencies=[Depends(user)])
    def transfer(body: dict) -> dict:
        partner, value = address(body, "partner"), amount(body)
        run(lambda peer: peer.transfer_direct(partner, value))
        return {"sent": str(value)}

    @app.post("/pay", dependencies=[Depends(user)])
    def pay(body: dict) -> dict:
        target, value = address(body, "target"), amount(body)
        return {"payment_identifier": run(lambda peer: peer.pay(target, value))}

    @app.post("/withhold", dependencies=[Depends(user)])
    def withhold(body: dict) -> dict:
        """For a workshop's crash demo: send no more messages of these kinds (an empty list sends all again)."""
        kinds = body.get("kinds")
        if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
            raise HTTPException(400, "bad kinds: a list of message type names, e.g. [\"LockedTransfer\"]")
        transport = service.peer.bus
        if not isinstance(transport, HttpMessageTransport):
            raise HTTPException(400, "this peer's transport cannot withhold messages")
        chosen = set(kinds)
        transport.withhold = (lambda s: type(s.message).__name__ in chosen) if chosen else None
        return {"withheld": sorted(chosen)}

    @app.post("/close", dependencies=[Depends(user)])
    def close(body: dict) -> dict:
        partner = address(body, "partner")
        run(lambda peer: peer.close(partner))
        return {"closing": partner}

    return app
