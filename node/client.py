"""JSON-RPC over HTTP: the transport that lets actors talk to a remote ``l2lab node``.

Anything that needs the L1 speaks through an object with ``request(method,
params)``. In one process that object is the dispatcher itself; across
processes it is :class:`HttpTransport`, which raises the same ``RpcError`` the
dispatcher raises, so callers cannot tell the two apart.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from typing import Any

import httpx

from node.rpc import RpcError
from node.rpc_codes import INTERNAL_ERROR

DEFAULT_URL = "http://127.0.0.1:8545"
DEFAULT_TIMEOUT = 30.0


class TransportError(ConnectionError):
    """The node could not be reached or answered with something that is not JSON-RPC."""


def url_problem(url: object, what: str = "node URL") -> str | None:
    """Why ``url`` cannot be a node's URL (naming it as ``what``), or None when it can."""
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return None
    return f"{what} must start with http:// or https://, got {url!r}"


class HttpTransport:
    """Send JSON-RPC 2.0 requests to a node over HTTP, one connection pool per transport."""

    def __init__(self, url: str = DEFAULT_URL, timeout: float = DEFAULT_TIMEOUT, *,
                 token: str | None = None) -> None:
        """``token``: the node's admin token, sent with every request (``node.auth.find_token``)."""
        problem = url_problem(url)
        if problem:
            raise ValueError(problem)
        if not timeout > 0:
            raise ValueError(f"timeout must be positive seconds, got {timeout!r}")
        self.url = url
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        # A counter per transport keeps request ids unique across threads.
        self._ids = itertools.count(1)
        self._id_lock = threading.Lock()

    def _next_id(self) -> int:
        with self._id_lock:
            return next(self._ids)

    def request(self, method: str, params: Sequence[Any] | None = None) -> Any:
        """Call ``method`` with ``params`` and return its result, or raise ``RpcError``."""
        if not isinstance(method, str) or not method:
            raise ValueError(f"method must be a non-empty string, got {method!r}")
        request_id = self._next_id()
        payload = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": _params(params)}
        reply = self._post(payload)
        return _unwrap(reply, request_id, method)

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Send several calls in one HTTP round trip; results in call order.

        A result that failed is returned as its ``RpcError`` instance rather than
        raised, so one bad call does not hide the answers to the others.
        """
        if not calls:
            return []
        ids = [self._next_id() for _ in calls]
        payload = [
            {"jsonrpc": "2.0", "id": i, "method": m, "params": _params(p)}
            for i, (m, p) in zip(ids, calls, strict=True)
        ]
        reply = self._post(payload)
        if not isinstance(reply, list):
            # A batch-level failure (e.g. the whole body was rejected) comes back as one object.
            _unwrap(reply, None, "batch")
            raise TransportError(f"node at {self.url} answered a batch with {type(reply).__name__}")
        by_id = {item.get("id"): item for item in reply if isinstance(item, dict)}
        results: list[Any] = []
        for request_id, (method, _) in zip(ids, calls, strict=True):
            item = by_id.get(request_id)
            if item is None:
                raise TransportError(f"node at {self.url} sent no answer for {method} in a batch")
            try:
                results.append(_unwrap(item, request_id, method))
            except RpcError as exc:
                results.append(exc)
        return results

    def _post(self, payload: object) -> Any:
        try:
            response = self._client.post(self.url, json=payload)
        except httpx.TimeoutException as exc:
            raise TransportError(
                f"node at {self.url} did not answer within {self.timeout} s ({type(exc).__name__})"
            ) from exc
        except httpx.TransportError as exc:
            raise TransportError(
                f"cannot reach an l2lab node at {self.url}: {exc or type(exc).__name__}. "
                "Is it running? Start one with `l2lab node`."
            ) from exc
        try:
            body = response.json()
        except ValueError:
            snippet = response.text[:200]
            raise TransportError(
                f"node at {self.url} answered HTTP {response.status_code} with non-JSON body: {snippet!r}"
            ) from None
        is_rpc = isinstance(body, list) or (isinstance(body, dict) and "jsonrpc" in body)
        if response.status_code >= 400 and not is_rpc:
            # Not a JSON-RPC endpoint (a wrong path, a proxy): say what came back.
            raise TransportError(
                f"node at {self.url} answered HTTP {response.status_code}: {response.text[:200]!r}"
            )
        return body

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HttpTransport({self.url!r})"


def _params(params: Sequence[Any] | None) -> list[Any]:
    """Positional params as a list; anything else is a caller's mistake worth naming."""
    if params is None:
        return []
    if not isinstance(params, list | tuple):
        raise TypeError(f"params must be a list or tuple, got {type(params).__name__}")
    return list(params)


def _unwrap(reply: Any, request_id: int | None, method: str) -> Any:
    """The ``result`` of one JSON-RPC response, or its ``error`` raised as ``RpcError``."""
    if not isinstance(reply, dict):
        raise TransportError(f"answer to {method} is not a JSON-RPC object: {reply!r:.200}")
    error = reply.get("error")
    if error is not None:
        if not isinstance(error, dict):
            raise TransportError(f"answer to {method} has a malformed error: {error!r:.200}")
        raise RpcError(int(error.get("code", INTERNAL_ERROR)), str(error.get("message", "")), error.get("data"))
    if request_id is not None and reply.get("id") != request_id:
        raise TransportError(f"answer to {method} has id {reply.get('id')!r}, expected {request_id}")
    if "result" not in reply:
        raise TransportError(f"answer to {method} has neither result nor error: {reply!r:.200}")
    return reply["result"]


# --------------------------------------------------------------------------- a node in a subprocess


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class LocalNode:
    """``l2lab node`` in a child process, for scripts, benchmarks and end-to-end tests.

    Its output goes to ``log_path`` (a file, so a chatty node can never block on a
    full pipe). ``start()`` returns once the node answers JSON-RPC.
    """

    def __init__(
        self,
        data_dir: str | None,
        *,
        port: int | None = None,
        extra_args: Sequence[str] = (),
        log_path: str | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        import os
        import secrets
        import tempfile

        self.data_dir = data_dir
        # The child's admin token, chosen here so this side can send it (``L2LAB_NODE_TOKEN``).
        self.token = secrets.token_hex(16)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_args = list(extra_args)
        if log_path is None:
            fd, log_path = tempfile.mkstemp(prefix="l2lab-node-", suffix=".log")
            os.close(fd)
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.process: Any = None
        self._log_file: Any = None

    def command(self) -> list[str]:
        import sys

        cmd = [sys.executable, "-m", "node.cli", "node", "--port", str(self.port)]
        if self.data_dir is not None:
            cmd += ["--data-dir", str(self.data_dir)]
        return cmd + self.extra_args

    def start(self) -> LocalNode:
        import subprocess
        import time

        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        import os

        from node.auth import TOKEN_ENV

        env = {**os.environ, TOKEN_ENV: self.token}
        self.process = subprocess.Popen(self.command(), stdout=self._log_file, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.startup_timeout
        probe = HttpTransport(self.url, timeout=2.0)
        try:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(
                        f"l2lab node exited with code {self.process.returncode} while starting:\n{self.output()}"
                    )
                try:
                    probe.request("eth_chainId", [])
                    return self
                except TransportError:
                    if time.monotonic() > deadline:
                        self.stop(kill=True)
                        raise TimeoutError(
                            f"l2lab node did not answer within {self.startup_timeout} s:\n{self.output()}"
                        ) from None
                    time.sleep(0.1)
        finally:
            probe.close()

    @property
    def admin_headers(self) -> dict[str, str]:
        """The HTTP header that shows this node's admin token (for httpx, web3.py's request_kwargs)."""
        return {"Authorization": f"Bearer {self.token}"}

    def transport(self, timeout: float = DEFAULT_TIMEOUT, *, admin: bool = True) -> HttpTransport:
        """A transport to the node; with ``admin`` (the default) it carries the node's token."""
        return HttpTransport(self.url, timeout=timeout, token=self.token if admin else None)

    def output(self) -> str:
        """Everything the node printed so far."""
        if self._log_file is not None:
            self._log_file.flush()
        try:
            with open(self.log_path, "rb") as fh:
                return fh.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, *, kill: bool = False, sig: int | None = None, timeout: float = 20.0) -> int | None:
        """Stop the node: ``sig`` (default SIGINT, a Ctrl-C) for a clean shutdown, or
        SIGKILL with ``kill``; returns its exit code."""
        import signal

        if self.process is None:
            return None
        if self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.send_signal(signal.SIGINT if sig is None else sig)
            try:
                self.process.wait(timeout=timeout)
            except Exception:
                self.process.kill()
                self.process.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        return self.process.returncode

    def __enter__(self) -> LocalNode:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
