"""A fraud proof's cost does not grow with its batch: it carries two entries and their paths, not the batch.

On the toy L1 and on anvil (the Solidity twin).
"""

from __future__ import annotations

from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.rules import Account
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.lab import OptimisticLab
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob", "mallory")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}
FUNDED = {private_key_to_address(k): 1000 * ETH for k in KEYS.values()}


def proof_of_a_theft_at_the_end_of(kind: str, size: int) -> tuple[int, int]:
    """Gas of posting a batch of ``size`` steps whose last step steals, and of proving that step, on L1 ``kind``."""
    lab = OptimisticLab(new_l1(kind, FUNDED), KEYS, preset=MINIMAL)
    for name in ("alice", "bob", "mallory"):
        lab.deposit(name, 5 * ETH)
    lab.submit_batch()
    a, b, m = lab.index("alice"), lab.index("bob"), lab.index("mallory")
    txs = [lab.wallets["alice"].transfer(a, b, 10**12, n) for n in range(size - 1)]
    assert lab.operator.submit(txs) == [None] * (size - 1)
    mal, bob = lab.operator.state.get_account(m), lab.operator.state.get_account(b)
    tx = lab.wallets["mallory"].transfer(m, b, ETH, mal.nonce)
    lab.operator.sequencer.inject(tx, {m: Account(mal.address, mal.balance + 3 * ETH, mal.nonce + 1),
                                       b: bob._replace(balance=bob.balance + ETH)})
    posted = lab.submit_batch()
    (proof,) = lab.challenge()
    (event,) = lab.l1.events(lab.rollup.address, OptimisticRollup, "FraudProven")
    assert event["step"] == size - 1 and event["reason"] == "wrong state root"
    assert lab.rollup.call("batch_count") == 1
    return int(posted["gasUsed"], 16), int(proof["gasUsed"], 16)


def test_proof_gas_stays_flat_while_the_batch_grows_a_hundredfold(l1_kind: str) -> None:
    post_small, proof_small = proof_of_a_theft_at_the_end_of(l1_kind, 10)
    post_large, proof_large = proof_of_a_theft_at_the_end_of(l1_kind, 1000)
    print(f"[{l1_kind}] post 10: {post_small}, proof: {proof_small}; post 1000: {post_large}, proof: {proof_large}")
    assert post_large > 50 * post_small / 10  # posting grows with the batch...
    assert proof_large < 3 * proof_small  # ...the proof only by a few Merkle siblings
    assert proof_large < post_large / 10


def test_the_proof_builder_recovers_the_disputed_steps_signer_not_the_whole_batchs(monkeypatch, l1_kind: str) -> None:
    """Off L1 too, a proof costs what its step needs: the steps before it replayed, one signature recovered."""
    from rollup.optimistic import fullnode

    lab = OptimisticLab(new_l1(l1_kind, FUNDED), KEYS, preset=MINIMAL)
    for name in ("alice", "bob", "mallory"):
        lab.deposit(name, 5 * ETH)
    lab.submit_batch()
    a, b, m = lab.index("alice"), lab.index("bob"), lab.index("mallory")
    alice = lab.wallets["alice"]
    assert lab.operator.submit([alice.transfer(a, b, 10**12, n) for n in range(10)]) == [None] * 10
    mal, bob = lab.operator.state.get_account(m), lab.operator.state.get_account(b)
    theft = lab.wallets["mallory"].transfer(m, b, ETH, mal.nonce)
    lab.operator.sequencer.inject(theft, {m: Account(mal.address, mal.balance + 3 * ETH, mal.nonce + 1),
                                          b: bob._replace(balance=bob.balance + ETH)})
    assert lab.operator.submit([alice.transfer(a, b, 10**12, n) for n in range(10, 40)]) == [None] * 30
    lab.submit_batch()
    (fault,) = lab.challenger.node.sync()
    assert fault.step == 10

    recovered: list[int] = []
    real = fullnode.recover_addresses_raw

    def counting(digests, signatures, **kwargs):
        recovered.append(len(signatures))
        return real(digests, signatures, **kwargs)

    monkeypatch.setattr(fullnode, "recover_addresses_raw", counting)
    args = lab.challenger.node.fraud_proof(fault)
    assert recovered == [10, 1]  # the ten steps before the theft, then the theft's signer alone
    monkeypatch.setattr(fullnode, "recover_addresses_raw", real)
    receipt = lab.rollup.transact(lab.keys["challenger"], "prove_fraud", *args)
    assert int(receipt["status"], 16) == 1
    assert lab.rollup.call("batch_count") == 1
