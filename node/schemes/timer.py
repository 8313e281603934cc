"""The timer every hosted scheme runs on: set up once, then tick until the node stops.

A scheme's host (``node/schemes/X/host.py``) subclasses :class:`SchemeTimer`
and supplies ``setup`` (deploy or reattach, then serve; it runs on the
timer's thread once the server is up, because with interval mining a
deployment's receipt only arrives after the miner has started), ``tick``
(one round of the scheme's actors) and, if it holds resources, ``close``.
A setup that fails leaves the L1 serving without the scheme and says so; a
tick that fails is logged and the next one tries again.
"""

from __future__ import annotations

import logging
import sys
import threading


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
