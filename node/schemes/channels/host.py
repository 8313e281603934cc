"""The payment-channel peers that ``l2lab node`` hosts beside its L1.

On start the node deploys a secret registry and a channel adjudicator with
the preset's windows (or, when its data dir records a pair that is still on
the chain, reattaches to it), starts one peer per hosted dev account with its
write-ahead log in the data dir (so a restarted node replays each log and
every peer is back where it was, nothing it acknowledged lost), and ticks
them on a timer: each peer reads the adjudicator's and the registry's new
events and the latest block, answers them (an update against a stale close,
a secret registered before its lock expires, a settle after the window),
and messages flow until nothing moves. The REST routes in
``node.schemes.channels.api`` act through the same peers.

Deployment happens on the timer's thread once the server is up: with
interval mining its receipts only arrive after the miner has started.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from contracts_spec.l1 import L1Client
from node.schemes.timer import SchemeTimer, read_record

log = logging.getLogger("l2lab.channels")

RECORD = "channels.json"


class HostedChannels(SchemeTimer):
    """A :class:`~node.schemes.channels.service.ChannelService` on ``app.state.channels``, ticked by a thread."""

    label, thread_name = "the payment channels", "l2lab-channels"

    def __init__(self, app: Any, l1: L1Client, *, preset: str, keys: Mapping[int, bytes], deployer_key: bytes,
                 data_dir: str | Path | None, interval: float = 1.0,
                 announce: Callable[[str], None] = print) -> None:
        self.app, self.l1, self.preset = app, l1, preset
        self.keys, self.deployer_key = dict(keys), deployer_key
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.record = self.data_dir / RECORD if self.data_dir is not None else None
        super().__init__(interval, log)
        self.announce = announce
        self.service: Any = None

    def recorded(self) -> dict[str, Any] | None:
        """What this data dir deployed (adjudicator, registry, preset), if both contracts are still on the chain."""
        return read_record(self.record, self.l1, ("adjudicator", "registry", "preset"), ("adjudicator", "registry"),
                           log)

    def setup(self) -> None:
        """Reattach to the recorded contracts or deploy new ones; then serve the peers."""
        from contracts_spec.channels.params import get_preset
        from node.schemes.channels.service import ChannelService

        self.app.state.channels_starting = True
        try:
            found = self.recorded()
            if found is not None:
                service = ChannelService(self.l1, found["adjudicator"], found["registry"],
                                         get_preset(found["preset"]), self.keys, self.data_dir)
                verb = "reattached"
            else:
                service = ChannelService.deploy(self.l1, self.deployer_key, get_preset(self.preset), self.keys,
                                                self.data_dir)
                verb = "deployed"
                if self.record is not None:
                    self.record.write_text(json.dumps({"adjudicator": service.adjudicator,
                                                       "registry": service.registry,
                                                       "preset": service.preset.name}) + "\n")
            self.service = service
            self.app.state.channels = service
        finally:
            self.app.state.channels_starting = False
        self.ready.set()
        p = service.preset
        back = "".join(f"; peer {i} replayed {n} logged state change(s)" for i, n in service.recovered.items())
        self.announce(f"payment channels ({p.name} preset: settlement windows of {p.settle_timeout_min}.."
                      f"{p.settle_timeout_max} blocks, default {p.default_settle_timeout}; reveal timeout "
                      f"{p.reveal_timeout}) {verb}: adjudicator {service.adjudicator}, secret registry "
                      f"{service.registry}{back}")
        if found is not None and found["preset"] != self.preset:
            print(f"warning: this data dir's channel adjudicator was deployed with the {found['preset']} preset, "
                  f"not --channels-preset {self.preset}; start with --fresh (or another --data-dir) for a new one",
                  file=sys.stderr, flush=True)

    def tick(self) -> None:
        self.service.tick()

    def close(self) -> None:
        if self.service is not None:
            self.service.shutdown()
