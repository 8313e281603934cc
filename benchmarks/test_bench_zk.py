"""pytest-benchmark timings of the ``l2lab bench zk`` workloads (the EdDSA circuit)."""

from __future__ import annotations

import pytest

from benchmarks.zk import eddsa_workload
from primitives.snark import groth16


@pytest.fixture(scope="module")
def eddsa_keys():
    build = eddsa_workload()
    circuit = build()
    r1cs = circuit.compile()
    witness = circuit.witness()
    pk, vk = groth16.setup(r1cs, b"bench")
    proof = groth16.prove(pk, r1cs, witness)
    vk.alpha_beta  # noqa: B018 - cached per key
    return build, r1cs, witness, pk, vk, proof


def test_bench_witness(benchmark, eddsa_keys):
    build = eddsa_keys[0]
    benchmark(lambda: build().witness())


def test_bench_prove(benchmark, eddsa_keys):
    _, r1cs, witness, pk, _, _ = eddsa_keys
    benchmark.pedantic(groth16.prove, args=(pk, r1cs, witness), rounds=3)


def test_bench_verify(benchmark, eddsa_keys):
    _, r1cs, witness, _, vk, proof = eddsa_keys
    assert benchmark.pedantic(groth16.verify, args=(vk, r1cs.public_inputs(witness), proof), rounds=3)


def test_bench_ptau_dev_2_12(benchmark, tmp_path):
    from benchmarks.zk import PTAU_SEED
    from primitives.snark import ptau

    benchmark.pedantic(ptau.write_ptau, args=(tmp_path / "dev.ptau", 12, PTAU_SEED), rounds=2)
