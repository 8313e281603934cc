"""The timer every hosted scheme runs on: set up once, then tick until the node stops.

A scheme's host (``node/schemes/X/host.py``) subclasses :class:`SchemeTimer`
and supplies ``setup`` (deploy or reattach, then serve; it runs on the
timer's thread once the server is up, because with interval mining a
deployment's receipt only arrives after the miner has started), ``tick``
(one round of the scheme's actors) and, if it holds resources, ``close``.
A setup that fails leaves the L1 serving without the scheme and says so; a
tick that fails is logged and the next one tries again.

A host remembers what it deployed in a small JSON record in the data dir
(``read_record``), so a restarted node reattaches instead of deploying again.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any


class SchemeTimer:
    """``setup()`` once on a background thread, then ``tick()`` every ``interval`` seconds until ``stop()``."""

    #: what the warnings call the scheme, e.g. "the zk-rollup"
    label = "the scheme"
    #: the thread's name, e.g. "l2lab-zk"
    thread_name = "l2lab-scheme"

    def __init__(self, interval: float, log: logging.Logger) -> None:
        self.interval = interval
        self.ready = threading.Event()
        self._log = log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def setup(self) -> None:
        raise NotImplementedError

    def tick(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Release what the scheme holds (its service, worker, logs); called once the timer has stopped."""

    def _run(self) -> None:
        try:
            self.setup()
        except Exception as exc:  # the L1 keeps serving without the scheme
            self._log.exception("could not host %s", self.label)
            print(f"warning: {self.label} is not hosted: {exc}", file=sys.stderr, flush=True)
            return
        while not self._stop.wait(self.interval):
            try:
                self.tick()
            except Exception:  # a failed round is logged; the next one tries again
                self._log.exception("%s: tick failed", self.label)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.close()


def read_record(record: Path | None, l1: Any, fields: tuple[str, ...], contracts: tuple[str, ...],
                log: logging.Logger) -> dict[str, str] | None:
    """The ``fields`` of a host's record file, if it is readable and every one of its ``contracts`` (fields
    naming addresses) still has code on the chain; None otherwise (an unreadable record is logged, not fatal)."""
    if record is None or not record.exists():
        return None
    try:
        data = json.loads(record.read_text())
        found = {name: str(data[name]) for name in fields}
    except (ValueError, KeyError, TypeError):
        log.warning("ignoring unreadable %s", record)
        return None
    for name in contracts:
        if l1.rpc("eth_getCode", found[name], "latest") in (None, "0x", ""):
            return None
    return found
