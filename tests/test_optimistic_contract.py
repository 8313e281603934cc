"""The rollup contract refuses every bad input with a reason, and changes nothing when it does.

Every test runs on the toy L1 (the Python contract) and on anvil (its Solidity twin).
"""

from __future__ import annotations

import pytest

from contracts_spec.l1 import TransactionReverted
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.encoding import Batch, Entry, batch_header, encode_batch
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.rules import (
    DOMAIN_NAME,
    DOMAIN_VERSION,
    EIP712_TYPES,
    Deposit,
    domain_separator,
    eip712_message,
    tx_digest,
)
from primitives.eip712 import Domain, typed_data_digest
from primitives.eip712 import domain_separator as eip712_domain_separator
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import Fault
from rollup.optimistic.lab import OptimisticLab
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob", "carol")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}
FUNDED = {private_key_to_address(k): 1000 * ETH for k in KEYS.values()}


@pytest.fixture
def lab(l1_kind: str) -> OptimisticLab:
    """A rollup on the toy L1 or on anvil (its Solidity twin), with Alice's deposit in batch 0."""
    lab = OptimisticLab(new_l1(l1_kind, FUNDED), KEYS, preset=MINIMAL)
    lab.deposit("alice", 5 * ETH)
    lab.submit_batch()
    return lab


def snapshot(lab: OptimisticLab) -> tuple:
    """Everything a refused call must leave as it was."""
    r = lab.rollup
    return (
        r.call("batch_count"), r.call("state_root"), r.call("burned"), r.call("deposit_count"), r.call("deposits_included"),
        r.call("bond_of", lab.address("operator")), lab.l1.balance(r.address),
    )


def next_batch(lab: OptimisticLab, **changes) -> bytes:
    """Alice's honest transfer as the next batch's bytes, with ``changes`` to its fields."""
    lab.deposit("bob", ETH)
    lab.transfer("alice", "bob", ETH)
    sealed = lab.operator.sequencer.cut_batch()
    return encode_batch(sealed.batch._replace(**changes))


def refused(lab: OptimisticLab, name: str, method: str, *args, match: str, value: int = 0) -> None:
    before = snapshot(lab)
    with pytest.raises(TransactionReverted, match=match):
        lab.rollup.transact(lab.keys[name], method, *args, value=value)
    assert snapshot(lab) == before


def test_domain_separator_and_digest_match_the_eip712_module(lab: OptimisticLab) -> None:
    domain = Domain(DOMAIN_NAME, DOMAIN_VERSION, lab.l1.chain_id, lab.rollup.address)
    raw = bytes.fromhex(lab.rollup.address[2:])
    assert domain_separator(lab.l1.chain_id, raw) == eip712_domain_separator(domain)
    assert lab.rollup.domain_separator() == eip712_domain_separator(domain)
    tx = lab.wallets["alice"].withdraw(0, lab.address("bob"), ETH, 3)
    primary, message = eip712_message(tx)
    expected = typed_data_digest(domain, {primary: EIP712_TYPES[primary]}, primary, message)
    assert tx_digest(domain_separator(lab.l1.chain_id, raw), tx) == expected


def test_submit_batch_refusals(lab: OptimisticLab) -> None:
    good = next_batch(lab)
    refused(lab, "bob", "submit_batch", good, match="only the operator may submit")
    refused(lab, "operator", "submit_batch", good[:-3], match="malformed batch")
    refused(lab, "operator", "submit_batch", b"\x01" + bytes(108), match="empty batch")
    refused(lab, "operator", "submit_batch", b"x" * (MINIMAL.max_batch_bytes + 1), match="exceeds")
    sealed = decode(good)
    refused(lab, "operator", "submit_batch", encode_batch(sealed._replace(prev_accounts_root=bytes(32))),
            match="prev_root is not the current state root")
    refused(lab, "operator", "submit_batch", encode_batch(sealed._replace(prev_withdrawal_chain=bytes([1]) * 32)),
            match="prev_root is not the current state root")
    refused(lab, "operator", "submit_batch", encode_batch(sealed._replace(first_deposit=0)),
            match="must start at deposit 1")
    refused(lab, "operator", "submit_batch", encode_batch(sealed._replace(post_accounts_root=bytes([1]) * 32)),
            match="the last entry's root is not the post_root")
    wrong_deposit = [Entry(e.tx._replace(amount=e.tx.amount + 1), e.root) if isinstance(e.tx, Deposit) else e
                     for e in sealed.entries]
    refused(lab, "operator", "submit_batch", encode_batch(sealed._replace(entries=wrong_deposit)),
            match="deposits differ from the L1 queue")
    reseated = [Entry(e.tx._replace(index=7), e.root) if isinstance(e.tx, Deposit) else e for e in sealed.entries]
    refused(lab, "operator", "submit_batch", encode_batch(sealed._replace(entries=reseated)),
            match="deposits differ from the L1 queue")  # L1 fixed where Bob's deposit goes
    extra = [Entry(Deposit(5, b"\x07" * 20, 1), sealed.entries[0].root), *sealed.entries]
    refused(lab, "operator", "submit_batch", encode_batch(sealed._replace(entries=extra)),
            match="never made")
    lab.rollup.transact(lab.keys["operator"], "submit_batch", good)  # the real one still goes in
    assert lab.rollup.call("batch_count") == 2


def decode(data: bytes) -> Batch:
    from contracts_spec.optimistic.encoding import decode_batch

    return decode_batch(data)


def test_submit_without_bond_is_refused(l1_kind: str) -> None:
    lab = OptimisticLab(new_l1(l1_kind, FUNDED), KEYS, preset=MINIMAL, bond=MINIMAL.min_bond // 2)
    lab.deposit("alice", ETH)
    sealed = lab.operator.sequencer.cut_batch()
    refused(lab, "operator", "submit_batch", sealed.data, match="bond below the minimum")


def test_deposit_and_bond_refusals(lab: OptimisticLab) -> None:
    refused(lab, "alice", "deposit", lab.address("alice"), match="deposit of 0 wei")
    refused(lab, "alice", "deposit", "0x" + "00" * 20, value=ETH, match="zero address")
    refused(lab, "alice", "post_bond", match="bond of zero")
    refused(lab, "operator", "withdraw_bond", 1, match="batch 0 of this proposer is not final")
    refused(lab, "alice", "withdraw_bond", 1, match="out of range")
    lab.finalize()
    before = lab.l1_balance("operator")
    receipt = lab.rollup.transact(lab.keys["operator"], "withdraw_bond", MINIMAL.min_bond)
    gas = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert lab.l1_balance("operator") == before + MINIMAL.min_bond - gas


def test_prove_fraud_refusals(lab: OptimisticLab) -> None:
    lab.deposit("bob", ETH)
    lab.transfer("alice", "bob", ETH)
    lab.submit_batch()
    node = lab.challenger.node
    node.sync()
    args = node.fraud_proof(Fault(1, 1, "test"))
    index, header, step, entry, proof, prev, prev_proof, witnesses = args

    def bad(*, match: str, **change) -> None:
        named = dict(zip(("index", "header", "step", "entry", "proof", "prev", "prev_proof", "witnesses"),
                         args, strict=True))
        named.update(change)
        refused(lab, "challenger", "prove_fraud", *named.values(), match=match)

    bad(index=7, match="batch 7 does not exist")
    bad(header=header + b"\x00", match="header is not the batch's header")
    bad(header=header[:-1] + b"\x09", match="header is not the batch's header")  # a lie about the count
    bad(step=9, match="step 9 out of range")
    bad(witnesses=witnesses[:-1], match="bad witnesses")
    lying = bytearray(witnesses)
    lying[64 + 30] ^= 1  # a byte of the first account's balance
    bad(witnesses=bytes(lying), match="does not match the state root")
    lying = bytearray(witnesses)
    lying[40] ^= 1  # a byte of the withdrawal chain said to make up the pre-state root
    bad(witnesses=bytes(lying), match="do not make the step's pre-state root")
    lying = bytearray(witnesses)
    lying[65:69] = (1 << MINIMAL.tree_depth).to_bytes(4, "big")  # the first witness's key, outside the tree
    bad(witnesses=bytes(lying), match=f"bad witnesses: key 256 is out of range for depth {MINIMAL.tree_depth}")
    only_one = node.fraud_proof(Fault(1, 0, "test"))[7]  # the deposit step's single witness
    bad(witnesses=only_one, match="no witness for account")


def test_prove_fraud_with_a_forged_inclusion_proof_fails(lab: OptimisticLab) -> None:
    """A made-up entry, or a real one at the wrong step, cannot be proven in the entries root."""
    lab.deposit("bob", ETH)
    lab.transfer("alice", "bob", ETH)
    lab.transfer("alice", "bob", ETH)
    lab.submit_batch()
    node = lab.challenger.node
    node.sync()
    args = node.fraud_proof(Fault(1, 1, "test"))
    index, header, step, entry, proof, prev, prev_proof, witnesses = args
    forged = bytearray(entry)
    forged[-1] ^= 1  # claim a different post-state root for step 1
    refused(lab, "challenger", "prove_fraud", index, header, step, bytes(forged), proof, prev, prev_proof,
            witnesses, match="entry is not step 1 of the batch")
    refused(lab, "challenger", "prove_fraud", index, header, step, entry, [bytes(32)] * len(proof), prev,
            prev_proof, witnesses, match="entry is not step 1 of the batch")
    refused(lab, "challenger", "prove_fraud", index, header, step, entry, proof[:-1], prev, prev_proof,
            witnesses, match="entry proof has 1 siblings, expected 2")
    step2 = node.fraud_proof(Fault(1, 2, "test"))
    refused(lab, "challenger", "prove_fraud", index, header, step, step2[3], step2[4], prev, prev_proof,
            witnesses, match="entry is not step 1")  # entry 2's bytes and path, posing as step 1
    refused(lab, "challenger", "prove_fraud", index, header, step, entry, proof, step2[5], step2[6],
            witnesses, match="previous entry is not step 0")
    step0 = node.fraud_proof(Fault(1, 0, "test"))
    refused(lab, "challenger", "prove_fraud", *step0[:5], prev, prev_proof, step0[7],
            match="step 0 starts from prev_root")


def test_withdraw_refusals(lab: OptimisticLab) -> None:
    lab.challenger.node.sync()
    header = batch_header(lab.challenger.node.batches[0].data)
    body, empty, data = header.body_hash(), header.withdrawal_root, header.data_hash  # batch 0 has no withdrawals
    alice = lab.address("alice")
    refused(lab, "alice", "withdraw", 5, body, empty, data, 0, alice, ETH, 0, 0, [], match="batch 5 does not exist")
    lab.finalize()
    refused(lab, "alice", "withdraw", 0, bytes([9]) * 32, empty, data, 0, alice, ETH, 0, 0, [],
            match="do not match the batch's claim")
    refused(lab, "alice", "withdraw", 0, body, empty, bytes([9]) * 32, 0, alice, ETH, 0, 0, [],
            match="do not match the batch's claim")
    refused(lab, "alice", "withdraw", 0, body, empty, data, 0, alice, ETH, 0, 0, [],
            match="withdrawal proof does not match")
    refused(lab, "alice", "withdraw", 0, body, empty, data, 2, alice, ETH, 0, 0, [], match="does not fit")


def test_repropose_refusals(lab: OptimisticLab) -> None:
    """Only an invalid claim is replaced, in order, by a bonded proposer, for the batch's own transactions."""
    from contracts_spec.optimistic.encoding import decode_batch

    lab.deposit("bob", ETH)
    lab.transfer("alice", "bob", ETH)
    alice = lab.operator.state.get_account(0)
    lab.operator.sequencer.inject(lab.wallets["bob"].transfer(0, 1, ETH, 1),  # signed by the wrong user
                                  {0: alice._replace(balance=0, nonce=2)})
    lab.submit_batch()  # batch 1: its claim lies at step 2
    node = lab.challenger.node
    node.sync()
    old = batch_header(node.batches[1].data)
    true = lab.operator.posted[1].sealed.data  # the operator's data is its claim as posted, for now
    refused(lab, "operator", "repropose_batch", 1, old.body_hash(), old.withdrawal_root, true,
            match="no claim is invalid")
    lab.challenge()  # proves it; the operator derives the true claim
    assert lab.rollup.call("batch_count") == 1 and lab.rollup.call("batches_posted") == 2
    true = lab.operator.posted[1].sealed.data
    refused(lab, "operator", "repropose_batch", 1, old.body_hash(), old.withdrawal_root, true,
            match="bond below the minimum")  # it was slashed
    lab.operator.post_bond(MINIMAL.min_bond)
    refused(lab, "operator", "submit_batch", true, match="re-propose them")
    refused(lab, "operator", "repropose_batch", 0, old.body_hash(), old.withdrawal_root, true,
            match="re-propose batch 1 first")
    refused(lab, "carol", "repropose_batch", 1, old.body_hash(), old.withdrawal_root, true,
            match="bond below the minimum")
    refused(lab, "operator", "repropose_batch", 1, bytes(32), old.withdrawal_root, true,
            match="not batch 1's transactions")
    batch = decode_batch(true)
    fewer = encode_batch(batch._replace(entries=batch.entries[:-1]))
    refused(lab, "operator", "repropose_batch", 1, old.body_hash(), old.withdrawal_root, fewer,
            match="not batch 1's transactions")
    moved = encode_batch(batch._replace(prev_accounts_root=bytes(32)))
    refused(lab, "operator", "repropose_batch", 1, old.body_hash(), old.withdrawal_root, moved,
            match="prev_root is not the current state root")
    lab.rollup.transact(lab.keys["operator"], "repropose_batch", 1, old.body_hash(), old.withdrawal_root, true)
    assert lab.rollup.call("batch_count") == 2
    assert lab.rollup.call("state_root") == lab.operator.state.root
    (event,) = lab.l1.events(lab.rollup.address, OptimisticRollup, "ClaimReproposed")
    assert event["index"] == 1 and event["post_root"] == lab.operator.state.root


def test_views_name_missing_batches(lab: OptimisticLab) -> None:
    assert lab.rollup.call("account_index", lab.address("alice")) == 0 and lab.rollup.call("account_count") == 1
    with pytest.raises(Exception, match="has no L2 account"):
        lab.rollup.call("account_index", lab.address("bob"))
    with pytest.raises(Exception, match="batch 3 does not exist"):
        lab.rollup.call("challenge_time_left", 3)
    assert lab.rollup.call("is_final", 3) is False
    params = lab.rollup.params()
    assert params.tree_depth == MINIMAL.tree_depth and params.challenge_window == MINIMAL.challenge_window
