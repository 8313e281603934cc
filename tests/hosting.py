"""Helpers for tests that run a real ``l2lab node`` hosting a scheme: wait for a condition, read a scheme's status."""

from __future__ import annotations

import time
from collections.abc import Callable
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
