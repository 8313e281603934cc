"""The zk-rollup that ``l2lab node`` hosts beside its L1.

On start the node deploys a zk-rollup with the preset's verifying key (or,
when its data dir already records one that is still on the chain,
reattaches to it), runs its operator with a dev account's key, the operation
log in the data dir (so nothing admitted is lost to a crash), and proofs in a
worker process, and ticks the operator on a timer: it follows L1, starts
proving as soon as there is a queued deposit or an admitted operation, and
commits each proof when it is done. The REST routes in
``node.schemes.zk.api`` serve users through the same operator.

The verifying key is read (the first time: set up, about 15 s for the small
preset) in a child process, so the node keeps answering meanwhile.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

from contracts_spec.l1 import L1Client
from node.schemes.timer import SchemeTimer, read_record

log = logging.getLogger("l2lab.zk")

RECORD = "zk-rollup.json"


def verifying_key_in_child(preset_name: str, cache_dir: str | None = None) -> Any:
    """The preset's verifying key, computed (or read from the key cache) in a child process."""
    import concurrent.futures as cf
    import multiprocessing

    from rollup.zk.service import load_verifying_key

    with cf.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(load_verifying_key, preset_name, cache_dir).result()


class HostedZk(SchemeTimer):
    """An operator for one zk-rollup, ticked by a background thread (deployment too, see ``node.schemes.timer``)."""

    label, thread_name = "the zk-rollup", "l2lab-zk"

    def __init__(self, app: Any, l1: L1Client, *, preset: str, operator_key: bytes, data_dir: str | Path | None,
                 interval: float = 1.0, announce: Any = print, worker: bool = True) -> None:
        self.app = app
        self.l1 = l1
        self.preset = preset
        self.operator_key = operator_key
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.record = self.data_dir / RECORD if self.data_dir is not None else None
        super().__init__(interval, log)
        self.announce = announce
        self.worker = worker
        self.service: Any = None

    def recorded(self) -> tuple[str, str] | None:
        """(address, preset) of the rollup this data dir deployed, if it is still on the chain."""
        found = read_record(self.record, self.l1, ("address", "preset"), ("address",), log)
        return None if found is None else (found["address"], found["preset"])

    def setup(self) -> None:
        """Reattach to the recorded rollup or deploy a new one; then serve it."""
        from contracts_spec.zk.params import get_preset
        from rollup.zk.prover import BatchProver
        from rollup.zk.service import ZkService

        self.app.state.zk_starting = True
        try:
            found = self.recorded()
            if found is not None:
                address, name = found
                preset = get_preset(name)
                service = ZkService(self.l1, address, preset, self.operator_key, data_dir=self.data_dir,
                                    worker=self.worker)
                verb = "reattached"
            else:
                preset = get_preset(self.preset)
                prover = BatchProver(preset)
                if not prover.key_path.exists():
                    print(f"zk-rollup: setting up the development proving keys for the {preset.name} preset "
                          f"(first run only; cached in {prover.cache_dir})", flush=True)
                vk = verifying_key_in_child(preset.name, str(prover.cache_dir))
                service = ZkService.deploy(self.l1, self.operator_key, preset, data_dir=self.data_dir,
                                           worker=self.worker, prover=prover, verifying_key=vk)
                verb = "deployed"
                if self.record is not None:
                    self.record.write_text(json.dumps({"address": service.address, "preset": preset.name}) + "\n")
            self.service = service
            self.app.state.zk = service
        finally:
            self.app.state.zk_starting = False
        self.ready.set()
        p = service.preset
        back = f"; {service.recovered} logged operation(s) re-admitted" if service.recovered else ""
        self.announce(f"zk-rollup ({p.name} preset: {p.capacity:,} accounts; {p.deposit_slots} deposits, "
                      f"{p.transfer_slots} transfers, {p.withdraw_slots} withdrawal(s) per batch) {verb}: "
                      f"{service.address}{back}")
        if found is not None and found[1] != self.preset:
            # A data dir keeps its rollup; the flag only chooses the preset of a new one.
            print(f"warning: this data dir's zk-rollup was deployed with the {found[1]} preset, not "
                  f"--zk-preset {self.preset}; start with --fresh (or another --data-dir) for a new one",
                  file=sys.stderr, flush=True)

    def tick(self) -> None:
        self.service.tick()

    def close(self) -> None:
        if self.service is not None:
            self.service.close()
