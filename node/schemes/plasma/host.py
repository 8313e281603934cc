"""The Plasma child chain that ``l2lab node`` hosts beside its L1.

On start the node deploys a root chain with the preset's exit period and
bond, operated by a dev account (or, when its data dir records one that is
still on the chain, reattaches to it), runs its operator with the log in
the data dir (so a restarted node replays it and nothing it acknowledged is
lost), and ticks the operator on a timer: it follows L1's deposits, exits
and reorganisations, and puts whatever is pending in the next block. The
REST routes in ``node.schemes.plasma.api`` serve users through the same
operator.

Deployment happens on the timer's thread once the server is up: with
interval mining its receipt only arrives after the miner has started.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracts_spec.l1 import L1Client
from node.schemes.timer import SchemeTimer, read_record

log = logging.getLogger("l2lab.plasma")

RECORD = "plasma.json"


class HostedPlasma(SchemeTimer):
    """A :class:`~node.schemes.plasma.service.PlasmaService` on ``app.state.plasma``, ticked by a thread."""

    label, thread_name = "the Plasma chain", "l2lab-plasma"

    def __init__(self, app: Any, l1: L1Client, *, preset: str, operator_key: bytes, data_dir: str | Path | None,
                 interval: float = 1.0, announce: Callable[[str], None] = print) -> None:
        self.app, self.l1, self.preset, self.operator_key = app, l1, preset, operator_key
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.record = self.data_dir / RECORD if self.data_dir is not None else None
        super().__init__(interval, log)
        self.announce = announce
        self.service: Any = None

    def recorded(self) -> tuple[str, str] | None:
        """(address, preset) of the root chain this data dir deployed, if it is still on the chain."""
        found = read_record(self.record, self.l1, ("address", "preset"), ("address",), log)
        return None if found is None else (found["address"], found["preset"])

    def setup(self) -> None:
        """Reattach to the recorded root chain or deploy a new one; then serve it."""
        from contracts_spec.plasma.params import get_preset
        from node.schemes.plasma.service import PlasmaService

        self.app.state.plasma_starting = True
        try:
            found = self.recorded()
            if found is not None:
                service = PlasmaService(self.l1, found[0], self.operator_key, self.data_dir, preset_name=found[1])
                verb = "reattached"
            else:
                service = PlasmaService.deploy(self.l1, self.operator_key, get_preset(self.preset), self.data_dir)
                verb = "deployed"
                if self.record is not None:
                    self.record.write_text(json.dumps({"address": service.address, "preset": self.preset}) + "\n")
            self.service = service
            self.app.state.plasma = service
        finally:
            self.app.state.plasma_starting = False
        self.ready.set()
        p = service.params
        back = f"; {service.operator.recovered} logged transaction(s) re-admitted" if service.operator.recovered else ""
        self.announce(f"Plasma MVP ({service.preset_name} preset: exit period {p['exit_period_blocks']:,} blocks "
                      f"and {p['exit_period_seconds']:,} s, exit bond {int(p['exit_bond']) / 10**18:g} ETH) {verb}: "
                      f"root chain {service.address}{back}")
        if found is not None and found[1] != self.preset:
            print(f"warning: this data dir's Plasma root chain was deployed with the {found[1]} preset, not "
                  f"--plasma-preset {self.preset}; start with --fresh (or another --data-dir) for a new one",
                  file=sys.stderr, flush=True)

    def tick(self) -> None:
        self.service.tick()

    def close(self) -> None:
        if self.service is not None:
            self.service.shutdown()
