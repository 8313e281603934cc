"""Proving keys for the batch circuit, cached on disk, and the proof of one batch.

Keys come from the development setup (``primitives.snark.setup.setup``) with
the public seed :data:`DEV_SEED` and the preset's shape: anyone can rebuild
them, and anyone who knows the seed could forge proofs, so they are for
development and teaching only (say so in every workshop). They are saved
once per circuit in a versioned key file named after the preset's shape and
:data:`CIRCUIT_VERSION`, which carries the circuit's digest: a file made for another circuit (an older version of
this one) is replaced by a new setup.
"""

from __future__ import annotations

import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path

from contracts_spec.zk.circuit import batch_circuit
from contracts_spec.zk.params import ZkPreset
from contracts_spec.zk.witness import Batch, public_inputs
from primitives.snark import groth16
from primitives.snark.groth16_types import Proof, ProvingKey, VerifyingKey
from primitives.snark.r1cs import R1CS
from primitives.snark.setup import KeyFileError, circuit_digest, load_keys, save_keys

CIRCUIT_VERSION = 1
DEV_SEED = b"l2lab zk-rollup development setup: public seed, never for value"


_BARE: dict[str, R1CS] = {}


def bare_r1cs(preset: ZkPreset) -> R1CS:
    """The preset's constraint system (built once per process: seconds of pure Python)."""
    if preset.shape not in _BARE:
        _BARE[preset.shape] = batch_circuit(preset, None).compile()
    return _BARE[preset.shape]


def default_cache() -> Path:
    return Path(os.environ.get("L2LAB_ZK_KEYS", Path.home() / ".cache" / "l2lab" / "zk-keys"))


@dataclass(frozen=True)
class ProvedBatch:
    batch: Batch
    proof: Proof
    constraints: int
    witness_seconds: float
    prove_seconds: float


class BatchProver:
    """The keys of one preset's circuit, and proofs with them."""

    def __init__(self, preset: ZkPreset, cache_dir: Path | None = None) -> None:
        self.preset = preset
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_cache()
        self._pk: ProvingKey | None = None
        self._vk: VerifyingKey | None = None

    @property
    def key_path(self) -> Path:
        return self.cache_dir / f"zk-{self.preset.shape}-v{CIRCUIT_VERSION}.keys"

    def _load_or_setup(self) -> None:
        """Keys from the cache file when it was made for this very circuit; a new setup otherwise."""
        if self._pk is not None:
            return
        path = self.key_path
        r1cs = bare_r1cs(self.preset)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        # One setup per key file: a second process asking meanwhile waits for it and loads its result.
        with open(path.with_name(path.name + ".lock"), "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if path.exists():
                try:
                    self._pk, self._vk = load_keys(path, r1cs)
                    return
                except KeyFileError:
                    pass  # made for an older circuit, or damaged: set up again
            self._pk, self._vk = groth16.setup(r1cs, DEV_SEED + self.preset.shape.encode())
            save_keys(path, self._pk, self._vk, r1cs)

    def verifying_key(self) -> VerifyingKey:
        self._load_or_setup()
        assert self._vk is not None
        return self._vk

    def prove(self, batch: Batch) -> ProvedBatch:
        """Witness and proof of ``batch``; ConstraintError names the constraint a bad batch breaks."""
        self._load_or_setup()
        start = time.perf_counter()
        r1cs = bare_r1cs(self.preset)  # the very system the keys were made for
        witness = batch_circuit(self.preset, batch.witness, record=False).witness()
        mid = time.perf_counter()
        assert self._pk is not None
        proof = groth16.prove(self._pk, r1cs, witness)
        done = time.perf_counter()
        return ProvedBatch(batch, proof, r1cs.n_constraints, mid - start, done - mid)

    def check(self, proved: ProvedBatch) -> bool:
        return groth16.verify(self.verifying_key(), public_inputs(proved.batch.witness), proved.proof)


__all__ = ["CIRCUIT_VERSION", "DEV_SEED", "BatchProver", "ProvedBatch", "circuit_digest", "default_cache"]
