"""The zk-rollup end to end on both L1s: real Groth16 proofs verified by the contract.

Every test runs on the toy L1 (the Python contract) and on anvil (its
Solidity twin), ids ``[toy]`` and ``[evm]``. One module-scoped session per L1
proves a handful of batches (each takes seconds); the attacks reuse them.
Every refused call is checked to change nothing.
"""

from __future__ import annotations

import pytest

from contracts_spec.l1 import TransactionReverted
from contracts_spec.zk import keys
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.params import SMALL
from primitives.secp256k1 import private_key_to_address
from primitives.snark import babyjub, groth16
from rollup.zk.lab import ZkLab
from tests.evm_twin import L1_KINDS, new_l1

ETH = 10**18
NAMES = ("operator", "alice", "bob", "carol", "mallory")
KEYS = {name: bytes([i + 11]) * 32 for i, name in enumerate(NAMES)}


def new_lab(kind: str) -> ZkLab:
    """A fresh rollup on a fresh L1 of ``kind`` (on evm: anvil reset, so one lab per L1 at a time)."""
    l1 = new_l1(kind, {private_key_to_address(k): 1000 * ETH for k in KEYS.values()})
    return ZkLab(l1, KEYS, preset=SMALL)


@pytest.fixture(scope="module", params=L1_KINDS)
def l1_kind(request: pytest.FixtureRequest) -> str:
    """The conftest fixture at module scope, so the proved session below is built once per L1."""
    return str(request.param)


@pytest.fixture(scope="module")
def lab(l1_kind: str) -> ZkLab:
    lab = new_lab(l1_kind)
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", 1 * ETH)
    lab.submit_batch()
    return lab


def snapshot(lab: ZkLab) -> tuple:
    return (lab.call("state_root"), lab.call("counters"), lab.call("exodus"), lab.l1.balance(lab.address),
            lab.call("withdrawable", lab.eth_address("mallory")))


def refused(lab: ZkLab, fn, match: str) -> dict:
    """``fn`` sends a transaction with fixed gas: it is mined, reverts naming ``match``, and changes nothing."""
    before = snapshot(lab)
    with pytest.raises(TransactionReverted, match=match) as info:
        fn()
    assert snapshot(lab) == before
    receipt = info.value.receipt
    assert receipt is not None and int(str(receipt["gasUsed"]), 0) > 21_000  # the gas is spent
    return receipt


def test_deposits_transfers_and_a_withdrawal_claimable_at_once(lab: ZkLab) -> None:
    assert lab.l2_balance("alice") == 5 * ETH and lab.l2_balance("bob") == ETH
    lab.transfer("alice", "bob", 2 * ETH)
    lab.withdraw("bob", ETH // 2)
    proved, receipt = lab.submit_batch()
    assert receipt["status"] in (1, "0x1")
    assert lab.l2_balance("alice") == 3 * ETH and lab.l2_balance("bob") == 2 * ETH + ETH // 2
    before = lab.l1.balance(lab.eth_address("bob"))
    claim = lab.claim("bob")  # no challenge window: final as soon as the proof verified
    fee = int(str(claim["gasUsed"]), 0) * int(str(claim["effectiveGasPrice"]), 0)
    assert lab.l1.balance(lab.eth_address("bob")) == before + ETH // 2 - fee
    refused_claim = pytest.raises(TransactionReverted, match="nothing to claim")
    with refused_claim:
        lab.claim("bob")
    # L1 holds exactly what L2 owes: balances plus unclaimed withdrawals
    assert lab.l1.balance(lab.address) == lab.state.total_balance()
    # the full node, from L1 alone, reaches the contract's root
    node = lab.full_node()
    assert node.state.root == lab.call("state_root") == lab.state.root
    assert proved.constraints == groth16_constraints(lab)


def groth16_constraints(lab: ZkLab) -> int:
    from contracts_spec.zk.circuit import batch_circuit

    return batch_circuit(SMALL, None).n_constraints


@pytest.fixture(scope="module")
def proved(lab: ZkLab):
    """An honest, proved, not yet committed batch (alice pays carol... bob), for the attacks."""
    lab.transfer("alice", "bob", ETH)
    batch, _ = lab.next_batch()
    return lab.prove(batch)


def test_wrong_new_root_with_an_honest_proof_is_refused(lab: ZkLab, proved) -> None:
    stolen = (proved.batch.new_root + 1) % (2**254)
    refused(lab, lambda: lab.commit(proved, new_root=stolen, gas=2_000_000), "proof does not verify")


def test_tampered_pubdata_is_refused(lab: ZkLab, proved) -> None:
    raw = bytearray(proved.batch.pubdata)
    raw[1 + SMALL.index_bytes] ^= 1  # the recipient of the first transfer: pay someone else
    refused(lab, lambda: lab.commit(proved, pubdata=bytes(raw), gas=2_000_000), "proof does not verify")
    raw = bytearray(proved.batch.pubdata)
    raw[7] = 0xFF  # the top byte of the first transfer's amount: more than was signed
    refused(lab, lambda: lab.commit(proved, pubdata=bytes(raw), gas=2_000_000), "proof does not verify")


def test_a_proof_for_another_statement_or_from_another_key_is_refused(lab: ZkLab, proved) -> None:
    # the proof of another batch (the same transfer with different pubdata cannot reuse it)
    other_lab = new_lab("toy")  # only its proof is used; the toy L1 leaves this test's anvil alone
    other_lab.deposit("alice", ETH)
    batch, _ = other_lab.next_batch()
    other = other_lab.prove(batch)
    refused(lab, lambda: lab.commit(proved, proof=pd.proof_bytes(other.proof), gas=2_000_000), "proof does not verify")
    # a proof from a key the contract does not hold: same circuit, another setup
    from contracts_spec.zk.circuit import batch_circuit

    r1cs = batch_circuit(SMALL, None).compile()
    pk2, _ = groth16.setup(r1cs, b"mallory's own setup")
    circuit = batch_circuit(SMALL, proved.batch.witness)
    forged = groth16.prove(pk2, circuit.compile(), circuit.witness())
    refused(lab, lambda: lab.commit(proved, proof=pd.proof_bytes(forged), gas=2_000_000), "proof does not verify")


def test_garbage_proofs_and_malformed_batches_are_refused(lab: ZkLab, proved) -> None:
    refused(lab, lambda: lab.commit(proved, proof=b"\x01" * 256, gas=2_000_000), "not on the curve")
    refused(lab, lambda: lab.commit(proved, proof=b"\xff" * 256, gas=2_000_000), "not a field element")
    refused(lab, lambda: lab.commit(proved, pubdata=proved.batch.pubdata + b"\0", gas=2_000_000), "exactly")
    refused(lab, lambda: lab.l1.transact(KEYS["operator"], lab.address, type(lab).__mro__[0] and
                                         __import__("contracts_spec.zk.contract", fromlist=["ZkRollup"]).ZkRollup,
                                         "commit_and_verify", b"\x02" + b"\0" * 400, gas=2_000_000), "version")


def test_only_the_operator_commits_and_an_old_batch_cannot_be_replayed(lab: ZkLab, proved) -> None:
    from contracts_spec.zk.contract import ZkRollup

    data = pd.encode_commit(proved.batch.new_root, proved.proof, proved.batch.pubdata)
    refused(lab, lambda: lab.l1.transact(KEYS["mallory"], lab.address, ZkRollup, "commit_and_verify", data,
                                         gas=2_000_000), "only the operator")
    # the honest batch lands; posting it again starts from the wrong old root
    lab.commit(proved)
    lab._advance(proved.batch, 0)
    refused(lab, lambda: lab.commit(proved, gas=2_000_000), "proof does not verify")


def test_bad_deposits_are_refused(lab: ZkLab) -> None:
    px, py = keys.registration_point(lab.public_key("carol"))
    me = lab.eth_address("carol")
    refused(lab, lambda: lab.transact("carol", "deposit", px, py, me, value=0, gas=500_000), "deposit of 0 wei")
    refused(lab, lambda: lab.transact("carol", "deposit", 1, 2, me, value=ETH, gas=500_000), "not on BabyJubJub")
    order2 = (0, babyjub.P - 1)
    refused(lab, lambda: lab.transact("carol", "deposit", *order2, me, value=ETH, gas=500_000), "small order")
    refused(lab, lambda: lab.transact("carol", "deposit", px, py, "0x" + "00" * 20, value=ETH, gas=500_000),
            "zero address")


def test_a_withdrawal_to_the_zero_address_is_refused_at_admission(lab: ZkLab) -> None:
    from contracts_spec.zk.rules import OpRefused

    with pytest.raises(OpRefused, match="zero address"):
        lab.withdraw("alice", 1, "0x" + "00" * 20)


# The tests below build their own lab (on evm that resets anvil, ending the module's session there).


def test_censorship_ends_in_exodus_where_everyone_leaves_with_their_balance(l1_kind: str) -> None:
    lab = new_lab(l1_kind)
    lab.deposit("alice", 3 * ETH)
    lab.deposit("bob", 2 * ETH)
    lab.submit_batch()
    lab.transfer("alice", "bob", ETH)
    lab.submit_batch()
    victim = lab.deposit("carol", 4 * ETH)  # the operator will ignore this one
    lab.censored.add(2)
    refused(lab, lambda: lab.transact("mallory", "activate_exodus", gas=200_000), "no deposit is overdue")
    lab.l1.mine(SMALL.deposit_deadline_blocks + 1)
    lab.l1.increase_time(SMALL.deposit_deadline_seconds + 1)
    lab.l1.mine(1)
    batch, n = lab.next_batch()
    assert n == 0
    proved = lab.prove(batch)
    refused(lab, lambda: lab.commit(proved, gas=2_000_000), "deposit 2 is overdue")
    lab.transact("mallory", "activate_exodus")  # anyone may
    assert lab.call("exodus")
    refused(lab, lambda: lab.commit(proved, gas=2_000_000), "exodus mode")
    node = lab.full_node()
    assert node.state.root == lab.call("state_root")
    owed = {"alice": 2 * ETH, "bob": 3 * ETH}
    for name, amount in owed.items():
        before = lab.l1.balance(lab.eth_address(name))
        receipt = lab.exit(name, node)
        fee = int(str(receipt["gasUsed"]), 0) * int(str(receipt["effectiveGasPrice"]), 0)
        assert lab.l1.balance(lab.eth_address(name)) == before + amount - fee
        refused(lab, lambda name=name: lab.transact(name, "exit", *node.exit_proof(lab.index(name)), gas=2_000_000),
                "already exited")
    # a forged exit (more than the leaf holds) fails the Merkle check
    i, ax, ay, bal, nonce, sib = node.exit_proof(lab.index("alice"))
    # carol's censored deposit comes back in full
    before = lab.l1.balance(lab.eth_address("carol"))
    lab.transact("mallory", "refund_deposit", 2)
    assert lab.l1.balance(lab.eth_address("carol")) == before + 4 * ETH
    refused(lab, lambda: lab.transact("mallory", "refund_deposit", 2, gas=200_000), "already refunded")
    refused(lab, lambda: lab.transact("mallory", "refund_deposit", 0, gas=200_000), "not an unprocessed")
    assert lab.l1.balance(lab.address) == 0  # nothing left behind, nothing paid twice
    del victim, i, ax, ay, bal, nonce, sib


def test_a_forged_exit_proof_is_refused(l1_kind: str) -> None:
    lab = new_lab(l1_kind)
    lab.deposit("alice", ETH)
    lab.deposit("mallory", 1)
    lab.submit_batch()
    lab.deposit("bob", ETH)
    lab.censored.add(2)
    lab.l1.mine(SMALL.deposit_deadline_blocks + 1)
    lab.l1.increase_time(SMALL.deposit_deadline_seconds + 1)
    lab.l1.mine(1)
    lab.transact("bob", "activate_exodus")
    node = lab.full_node()
    i, ax, ay, bal, nonce, sib = node.exit_proof(lab.index("mallory"))
    refused(lab, lambda: lab.transact("mallory", "exit", i, ax, ay, ETH, nonce, sib, gas=2_000_000),
            "does not show account")
    j = lab.index("alice")
    refused(lab, lambda: lab.transact("mallory", "exit", j, ax, ay, bal, nonce, sib, gas=2_000_000),
            "does not show account")
    refused(lab, lambda: lab.transact("mallory", "exit", 77, ax, ay, bal, nonce, sib, gas=2_000_000),
            "does not exist")
    refused(lab, lambda: lab.transact("mallory", "exit", i, ax, ay, bal, nonce, sib[:-1], gas=2_000_000),
            "siblings")


def test_a_full_exit_requested_on_l1_pays_the_whole_balance_even_if_the_operator_ignores_l2_withdrawals(
        l1_kind: str) -> None:
    lab = new_lab(l1_kind)
    lab.deposit("alice", 3 * ETH)
    lab.deposit("bob", ETH)
    lab.submit_batch()
    refused(lab, lambda: lab.transact("mallory", "request_exit", lab.index("alice"), gas=300_000),
            "only account 1's owner")
    refused(lab, lambda: lab.transact("alice", "request_exit", 99, gas=300_000), "does not exist")
    lab.request_exit("alice")
    proved, receipt = lab.submit_batch()
    assert lab.l2_balance("alice") == 0
    assert lab.call("withdrawable", lab.eth_address("alice")) == 3 * ETH
    before = lab.l1.balance(lab.eth_address("alice"))
    claim = lab.claim("alice")
    fee = int(str(claim["gasUsed"]), 0) * int(str(claim["effectiveGasPrice"]), 0)
    assert lab.l1.balance(lab.eth_address("alice")) == before + 3 * ETH - fee
    assert lab.full_node().state.root == lab.call("state_root")
    # an exit request the operator ignores ends in exodus, where the account exits anyway
    lab.request_exit("bob")
    lab.censored.add(3)
    lab.l1.mine(SMALL.deposit_deadline_blocks + 1)
    lab.l1.increase_time(SMALL.deposit_deadline_seconds + 1)
    lab.l1.mine(1)
    lab.transact("mallory", "activate_exodus")
    refused(lab, lambda: lab.transact("mallory", "refund_deposit", 3, gas=200_000), "full-exit request")
    before = lab.l1.balance(lab.eth_address("bob"))
    receipt = lab.exit("bob")
    fee = int(str(receipt["gasUsed"]), 0) * int(str(receipt["effectiveGasPrice"]), 0)
    assert lab.l1.balance(lab.eth_address("bob")) == before + ETH - fee
    assert lab.l1.balance(lab.address) == 0
