"""The optimistic rollup that ``l2lab node`` hosts beside its L1.

On start the node deploys a rollup (or, when its data dir already holds one,
attaches to it), runs its operator with one dev account's key (its log of
accepted transactions in the data dir, so none is lost to a crash) and a
challenger with another's, and ticks both on a timer: the operator posts a
batch once its oldest pending transaction is old enough, the challenger
replays every new batch from L1 calldata and proves the first fault it finds.
The REST routes in ``node.schemes.optimistic.api`` serve users through the
same operator.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from contracts_spec.l1 import L1Client
from node.schemes.timer import SchemeTimer, read_record

log = logging.getLogger("l2lab.optimistic")

_RECORD = "optimistic.json"


class HostedOptimistic(SchemeTimer):
    """An operator and a challenger for one rollup, ticked by a background thread (deployment too, see
    ``node.schemes.timer``)."""

    label, thread_name = "the optimistic rollup", "l2lab-optimistic"

    def __init__(
        self,
        app: Any,
        l1: L1Client,
        *,
        preset: str,
        operator_key: bytes,
        challenger_key: bytes,
        data_dir: str | Path | None,
        interval: float = 1.0,
        batch_seconds: float = 5.0,
        announce: Any = print,
    ) -> None:
        self.app = app
        self.l1 = l1
        self.preset = preset
        self.operator_key = operator_key
        self.challenger_key = challenger_key
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.record = self.data_dir / _RECORD if self.data_dir is not None else None
        super().__init__(interval, log)
        self.batch_seconds = batch_seconds
        self._pending_since: float | None = None
        self._refused: str | None = None  # why the operator's batch was last refused, said once
        self.announce = announce
        self.service: Any = None
        self.challenger: Any = None

    def _recorded_address(self) -> str | None:
        """The rollup this data dir already deployed, if it is still on the chain."""
        found = read_record(self.record, self.l1, ("address",), ("address",), log)
        return None if found is None else found["address"]

    def setup(self) -> None:
        """Attach to the recorded rollup or deploy a new one; then serve it."""
        from contracts_spec.optimistic.params import get_preset
        from rollup.optimistic.fullnode import Challenger
        from rollup.optimistic.service import OptimisticService

        address = self._recorded_address()
        if address is not None:
            service = OptimisticService(self.l1, address, self.operator_key, data_dir=self.data_dir)
            verb = "attached at"
        else:
            service = OptimisticService.deploy(
                self.l1, self.operator_key, get_preset(self.preset), data_dir=self.data_dir
            )
            verb = "deployed at"
            if self.record is not None:
                self.record.write_text(json.dumps({"address": service.rollup.address}) + "\n")
        self.service = service
        if service.rollup.compact:  # a bisection rollup: the challenger plays the dispute game
            from rollup.optimistic.dispute import BisectionChallenger

            self.challenger = BisectionChallenger(service.rollup, self.challenger_key)
        else:
            self.challenger = Challenger(service.rollup, self.challenger_key)
        self.app.state.optimistic = service
        self.ready.set()
        params = service.rollup.params()
        kind = "bisection" if service.rollup.compact else "single-round"
        self.announce(
            f"Optimistic rollup ({self.preset_of(params)}, {params.challenge_window:,}s challenge window, "
            f"{kind} fraud proofs) {verb} {service.rollup.address}: operator and challenger running"
        )
        if address is not None and self.preset_of(params) != f"{self.preset} preset":
            # A data dir keeps its rollup; the flag only chooses the preset of a new one.
            print(f"warning: this data dir's rollup was deployed with other parameters than "
                  f"--optimistic {self.preset}; start with --fresh (or another --data-dir) for a new one",
                  file=sys.stderr, flush=True)

    @staticmethod
    def preset_of(params: Any) -> str:
        """The name of the preset a deployed rollup's parameters match, or "custom"."""
        from contracts_spec.optimistic.params import PRESETS

        for name, preset in PRESETS.items():
            if (preset.challenge_window, preset.tree_depth) == (params.challenge_window, params.tree_depth):
                return f"{name} preset"
        return "custom"

    def _operate(self) -> None:
        self.service.tick()
        operator = self.service.operator
        if operator is not None and operator.sequencer.pending:
            now = time.monotonic()
            if self._pending_since is None:
                self._pending_since = now
            elif now - self._pending_since >= self.batch_seconds:
                self.service.post_batch()
                self._pending_since = None
        else:
            self._pending_since = None

    def tick(self) -> None:
        """One round: the operator posts what is due, the challenger checks what was posted (even when the
        operator's batch is refused).

        Besides the operator's own rule (by L1 time, which stands still on an
        automining chain without traffic), anything pending for
        ``batch_seconds`` of wall-clock time is posted, deposits included.
        """
        from contracts_spec.optimistic.submission import InvalidBatch

        try:
            self._operate()
            self._refused = None
        except InvalidBatch as exc:  # a censoring operator's own rules refuse its batch: said once, and
            if str(exc) != self._refused:  # the challenger below still watches
                log.warning("the operator's batch is refused: %s", exc)
                self._refused = str(exc)
        except Exception:  # noqa: BLE001 - whatever stopped the operator this round, the challenger still watches
            log.exception("the operator's round failed")
        if hasattr(self.challenger, "act"):
            for _ in range(8):  # the moves due now; the proposer answers on its own tick
                receipt = self.challenger.act()
                if receipt is None:
                    break
                log.warning("challenger made a dispute move: tx %s", receipt.get("transactionHash"))
            return
        for receipt in self.challenger.watch():
            log.warning("challenger proved a fraudulent batch: tx %s", receipt.get("transactionHash"))

