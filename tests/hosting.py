"""Helpers for tests that run a real ``l2lab node`` hosting a scheme: wait for a condition, read a scheme's status,
run a channel peer in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx


def wait_for(fn: Callable[[], Any], what: str, timeout: float = 60.0, poll: float = 0.3) -> Any:
    """``fn()``'s first truthy value, asked every ``poll`` seconds; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(poll)


def scheme_status(url: str, scheme: str) -> dict | None:
    """``GET /api/<scheme>/status`` of the node at ``url``, or None until the scheme answers."""
    r = httpx.get(f"{url}/api/{scheme}/status", timeout=10)
    return r.json() if r.status_code == 200 else None


class PeerApiProcess:
    """A channel peer serving its API from a subprocess: started, asked, stopped.

    Subclasses set ``name``, ``url``, ``output`` (the process's stdout and stderr), ``args`` and ``env``.
    """

    name: str
    url: str
    output: Path
    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None

    def spawn(self) -> Any:
        with open(self.output, "ab") as out:
            self.process = subprocess.Popen(self.args, stdout=out, stderr=subprocess.STDOUT, env=self.env)
        return self

    def answers(self) -> bool:
        """Whether its API answers; RuntimeError with its last output if the process is gone."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited: {self.output.read_text()[-2000:]}")
        try:
            return httpx.get(f"{self.url}/status", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def ready(self) -> Any:
        wait_for(self.answers, f"{self.name} to serve its API", timeout=30, poll=0.05)
        return self

    def kill9(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def terminate(self) -> None:
        """SIGTERM, then SIGKILL after 10 s; nothing if it has ended."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def status(self) -> dict:
        return httpx.get(f"{self.url}/status", timeout=5).json()

    def post(self, route: str, **body: object) -> dict:
        answer = httpx.post(f"{self.url}/{route}", json=body, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def channel_of(self, partner: str) -> dict | None:
        """Its last channel with the address ``partner``, as its API shows it."""
        found = [c for c in self.status()["channels"] if c["partner"].lower() == partner.lower()]
        return found[-1] if found else None

    def events(self, kind: str) -> list[dict]:
        return [e for e in self.status()["events"] if e["kind"] == kind]
