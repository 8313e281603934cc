"""Unit tests of the optimistic rollup's rules, state and byte layouts."""

from __future__ import annotations

import pytest
from eth_account import Account as EthAccount
from eth_account.messages import encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_spec.optimistic.encoding import (
    VERSION_COMPACT,
    Batch,
    BatchFormatError,
    Entry,
    compute_data_hash,
    decode_batch,
    decode_witnesses,
    encode_batch,
    encode_witnesses,
    is_packable,
    pack_amount,
    unpack_amount,
)
from contracts_spec.optimistic.rules import (
    EMPTY_CHAIN,
    Account,
    Deposit,
    InvalidTransaction,
    Transfer,
    Tx,
    Withdraw,
    apply_tx,
    derive_step,
    next_withdrawal_chain,
    state_root,
    touched_accounts,
    tx_digest,
    withdrawal_leaf,
)
from contracts_spec.optimistic.state import (
    FullState,
    WitnessedState,
    WitnessError,
    Witnesses,
    build_witnesses,
)
from primitives.keccak import keccak256
from primitives.secp256k1 import recover_addresses_raw
from primitives.smt import empty_root
from rollup.optimistic.client import Wallet, address_bytes

CHAIN_ID = 31337
ROLLUP = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
ALICE_KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
BOB_KEY = bytes.fromhex("59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d")
ALICE = Wallet(ALICE_KEY, CHAIN_ID, ROLLUP)
BOB = Wallet(BOB_KEY, CHAIN_ID, ROLLUP)
ETH = 10**18


def funded_state() -> FullState:
    """Alice at index 0 with 5 ETH, Bob at index 1 with 1 ETH."""
    state = FullState(8)
    apply_tx(state, Deposit(0, ALICE.raw_address, 5 * ETH))
    apply_tx(state, Deposit(1, BOB.raw_address, 1 * ETH))
    state.commit()
    return state


def signer_of(wallet_tx: Transfer | Withdraw) -> bytes | None:
    return recover_addresses_raw([tx_digest(ALICE.domain_separator, wallet_tx)], [wallet_tx.signature], strict=False)[0]


# -- digests -------------------------------------------------------------------------


def test_digest_matches_eth_account_typed_data() -> None:
    """The hand-written EIP-712 digest equals what a standard wallet signs."""
    for tx in (ALICE.transfer(0, 1, 3 * ETH, 7), ALICE.withdraw(0, BOB.address, 10**15, 2)):
        doc = ALICE.typed_data(tx)
        signable = encode_typed_data(full_message=doc)
        signed = EthAccount.sign_message(signable, ALICE_KEY)
        assert signed.message_hash == tx_digest(ALICE.domain_separator, tx)
        assert bytes(signed.signature) == tx.signature  # RFC 6979 + low s on both sides


def test_signature_for_another_rollup_does_not_recover_to_signer() -> None:
    other = Wallet(ALICE_KEY, CHAIN_ID, "0x" + "11" * 20)
    tx = other.transfer(0, 1, ETH, 0)
    assert signer_of(tx) != ALICE.raw_address


# -- apply_tx ----------------------------------------------------------------------------


def test_deposit_creates_then_credits_account() -> None:
    state = FullState(8)
    apply_tx(state, Deposit(3, ALICE.raw_address, 2))
    apply_tx(state, Deposit(3, ALICE.raw_address, 5))
    assert state.get_account(3) == Account(ALICE.raw_address, 7, 0)


def test_deposit_to_an_index_of_another_address_is_invalid() -> None:
    state = funded_state()
    with pytest.raises(InvalidTransaction, match="account taken"):
        apply_tx(state, Deposit(0, BOB.raw_address, 1))


def test_transfer_moves_balance_and_bumps_nonce() -> None:
    state = funded_state()
    tx = ALICE.transfer(0, 1, 2 * ETH, 0)
    apply_tx(state, tx, signer_of(tx))
    assert state.get_account(0) == Account(ALICE.raw_address, 3 * ETH, 1)
    assert state.get_account(1) == Account(BOB.raw_address, 3 * ETH, 0)


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        (lambda: BOB.transfer(0, 1, ETH, 0), "bad signature"),
        (lambda: ALICE.transfer(0, 1, ETH, 1), "bad nonce"),
        (lambda: ALICE.transfer(0, 1, 6 * ETH, 0), "overspend"),
        (lambda: ALICE.transfer(0, 9, ETH, 0), "unknown account"),
        (lambda: ALICE.transfer(0, 0, ETH, 0), "self transfer"),
        (lambda: ALICE.transfer(0, 1, 0, 0), "zero amount"),
        (lambda: ALICE.transfer(0, 300, ETH, 0), "index out of range"),
        (lambda: ALICE.withdraw(0, BOB.address, 9 * ETH, 0), "overspend"),
    ],
)
def test_invalid_transactions_name_their_rule_and_change_nothing(make, rule: str) -> None:
    state = funded_state()
    before = dict(state.accounts)
    tx = make()
    with pytest.raises(InvalidTransaction) as info:
        apply_tx(state, tx, signer_of(tx))
    assert info.value.rule == rule
    assert state.accounts == before


def test_unrecoverable_signature_is_a_bad_signature() -> None:
    state = funded_state()
    tx = ALICE.transfer(0, 1, ETH, 0)
    with pytest.raises(InvalidTransaction, match="bad signature"):
        apply_tx(state, tx, None)


def test_withdraw_burns_and_returns_its_leaf() -> None:
    state = funded_state()
    tx = ALICE.withdraw(0, BOB.address, ETH, 0)
    applied = apply_tx(state, tx, signer_of(tx))
    assert state.balance(0) == 4 * ETH
    assert applied.withdrawal_leaf == withdrawal_leaf(tx)
    assert state.withdrawal_chain == next_withdrawal_chain(EMPTY_CHAIN, applied.withdrawal_leaf)
    assert state.commit() == state_root(state.accounts_root, state.withdrawal_chain)


# -- the derivation rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "rule"),
    [
        (lambda: BOB.transfer(0, 1, ETH, 0), "bad signature"),
        (lambda: ALICE.transfer(0, 1, 6 * ETH, 0), "overspend"),
        (lambda: ALICE.withdraw(0, BOB.address, 9 * ETH, 0), "overspend"),
        (lambda: BOB.withdraw(0, BOB.address, ETH, 0), "bad signature"),
        (lambda: Deposit(0, BOB.raw_address, 1), "account taken"),
    ],
)
def test_a_posted_step_that_breaks_a_rule_is_a_no_op_and_the_next_applies_on_top(make, rule: str) -> None:
    state = funded_state()
    root = state.root
    tx = make()
    applied = derive_step(state, tx, None if isinstance(tx, Deposit) else signer_of(tx))
    assert applied.skipped.startswith(rule) and applied.withdrawal_leaf is None
    assert state.commit() == root  # balances, nonces and the withdrawal chain unchanged
    good = ALICE.transfer(0, 1, ETH, 0)  # still nonce 0: the no-op used none
    assert derive_step(state, good, signer_of(good)).skipped == ""
    assert state.balance(0) == 4 * ETH and state.get_account(0).nonce == 1


# -- witnessed state -------------------------------------------------------------------------


def test_witnessed_state_computes_the_same_post_root() -> None:
    state = funded_state()
    tx = ALICE.transfer(0, 1, ETH, 0)
    signer = signer_of(tx)
    scratch = state.copy()
    apply_tx(scratch, tx, signer)
    expected = scratch.commit()
    writes = {i: scratch.get_account(i) for i in touched_accounts(tx)}
    witnesses = build_witnesses(state, touched_accounts(tx), writes)
    partial = WitnessedState(8, state.root, decode_witnesses(encode_witnesses(witnesses), 8))
    apply_tx(partial, tx, signer)
    assert partial.post_root() == expected


def test_witnessed_state_rejects_a_lying_witness() -> None:
    state = funded_state()
    tx = ALICE.transfer(0, 1, ETH, 0)
    witnesses = build_witnesses(state, touched_accounts(tx), {})
    index, account, siblings = witnesses.accounts[0]
    poor = witnesses._replace(accounts=[(index, account._replace(balance=0), siblings), witnesses.accounts[1]])
    partial = WitnessedState(8, state.root, poor)
    with pytest.raises(InvalidTransaction, match="overspend"):
        apply_tx(partial, tx, signer_of(tx))
    with pytest.raises(WitnessError, match="account 0"):
        partial.post_root()


def test_a_witness_of_a_key_outside_the_tree_is_refused_by_name() -> None:
    """A fraud proof's witness for index 2**depth or beyond names the rule ("bad witnesses" on L1), rather than
    failing inside the path check as an unexpected error."""
    state = funded_state()
    tx = ALICE.transfer(0, 1, ETH, 0)
    witnesses = build_witnesses(state, touched_accounts(tx), {})
    index, account, siblings = witnesses.accounts[0]
    outside = witnesses._replace(accounts=[(1 << 8, account, siblings), witnesses.accounts[1]])
    with pytest.raises(WitnessError, match="key 256 is out of range for depth 8"):
        WitnessedState(8, state.root, outside)


def test_witnessed_state_refuses_unwitnessed_reads() -> None:
    partial = WitnessedState(8, state_root(empty_root(8), EMPTY_CHAIN), Witnesses(empty_root(8), EMPTY_CHAIN, []))
    with pytest.raises(WitnessError, match="no witness for account 0"):
        apply_tx(partial, Deposit(0, ALICE.raw_address, 1))


def test_witnessed_state_checks_the_pre_state_it_is_shown() -> None:
    state = funded_state()
    tx = ALICE.withdraw(0, BOB.address, ETH, 0)
    scratch = state.copy()
    apply_tx(scratch, tx, signer_of(tx))
    writes = {0: scratch.get_account(0)}
    witnesses = build_witnesses(state, touched_accounts(tx), writes)
    partial = WitnessedState(8, state.root, witnesses)
    apply_tx(partial, tx, signer_of(tx))
    assert partial.post_root() == scratch.commit()  # the withdrawal chain moved on L1 as at home
    lying = WitnessedState(8, state.root, witnesses._replace(withdrawal_chain=b"\x01" * 32))
    apply_tx(lying, tx, signer_of(tx))
    with pytest.raises(WitnessError, match="do not make the step's pre-state root"):
        lying.post_root()


# -- encoding --------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, 1, 2**35 - 1, 10**18, 123456789 * 10**12, (2**35 - 1) * 10**20])
def test_packed_amounts_round_trip(amount: int) -> None:
    assert unpack_amount(pack_amount(amount)) == amount


def test_unpackable_amount_is_refused() -> None:
    assert not is_packable(10**18 + 1)
    with pytest.raises(ValueError, match="no packed form"):
        pack_amount(10**18 + 1)


def sample_batch() -> Batch:
    entries = [
        Entry(Deposit(2, ALICE.raw_address, 10**20 + 1), keccak256(b"1")),
        Entry(ALICE.transfer(0, 1, ETH, 0), keccak256(b"2")),
        Entry(ALICE.withdraw(0, BOB.address, ETH, 1), keccak256(b"3")),
    ]
    return Batch(keccak256(b"p"), keccak256(b"c"), keccak256(b"a"), 4, entries)


def test_batch_round_trips_and_has_the_documented_size() -> None:
    batch = sample_batch()
    data = encode_batch(batch)
    assert len(data) == 109 + 73 + 115 + 131
    assert decode_batch(data) == batch
    skipping = batch._replace(skipped=frozenset({2}))
    assert decode_batch(encode_batch(skipping)) == skipping
    assert encode_batch(skipping)[-131] == 3  # the withdrawal's kind says the claim skips it
    assert skipping.claimed_withdrawals() == [] and batch.claimed_withdrawals() == [batch.entries[2].tx]


def test_the_data_hash_covers_the_transactions_not_the_claim() -> None:
    batch = sample_batch()
    data = encode_batch(batch)
    other_claim = batch._replace(entries=[e._replace(root=keccak256(e.root)) for e in batch.entries],
                                 post_accounts_root=bytes(32), skipped=frozenset({2}))
    assert compute_data_hash(encode_batch(other_claim)) == compute_data_hash(data)
    compact = encode_batch(batch._replace(version=VERSION_COMPACT), compact=True)
    assert compute_data_hash(compact) == compute_data_hash(data)
    fewer = batch._replace(entries=batch.entries[:2])
    assert compute_data_hash(encode_batch(fewer)) != compute_data_hash(data)
    assert compute_data_hash(encode_batch(batch._replace(first_deposit=5))) != compute_data_hash(data)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d[:50], "shorter than"),
        (lambda d: d[:-1], "truncated"),
        (lambda d: d + b"\x00", "after the last entry"),
        (lambda d: b"\x07" + d[1:], "unknown batch version"),
        (lambda d: d[:109] + b"\x07" + d[110:], "unknown kind 7"),
    ],
)
def test_malformed_batches_are_named(mutate, message: str) -> None:
    with pytest.raises(BatchFormatError, match=message):
        decode_batch(mutate(encode_batch(sample_batch())))


def test_unencodable_entry_is_named() -> None:
    batch = sample_batch()
    batch.entries.append(Entry(ALICE.transfer(0, 1, 10**18 + 1, 2), keccak256(b"x")))
    with pytest.raises(ValueError, match="entry 3: amount"):
        encode_batch(batch)


def test_malformed_witnesses_are_named() -> None:
    with pytest.raises(BatchFormatError, match="short"):
        decode_witnesses(bytes(64), 8)
    pre = bytes(64)
    with pytest.raises(BatchFormatError, match="fewer than 8 siblings"):
        decode_witnesses(pre + b"\x01" + bytes(5) + bytes(32 * 7), 8)
    with pytest.raises(BatchFormatError, match="presence flag 3"):
        decode_witnesses(pre + b"\x01" + bytes(4) + b"\x03", 8)


def test_address_bytes_rejects_bad_addresses() -> None:
    with pytest.raises(ValueError, match="40 hex digits"):
        address_bytes("0x1234")


# -- the L1's witnessed re-execution agrees with the full state, whatever the transaction ----------


def _outcome(state, tx: Tx, signer: bytes | None):
    try:
        apply_tx(state, tx, signer)
    except InvalidTransaction as exc:
        return ("invalid", exc.rule)
    return ("ok", None)


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["transfer", "withdraw", "deposit"]),
    frm=st.sampled_from([0, 1, 2, 7, 255, 256]),
    to=st.sampled_from([0, 1, 2, 7, 300]),
    amount=st.sampled_from([0, 1, ETH, 5 * ETH, 6 * ETH]),
    nonce=st.integers(0, 2),
    by_alice=st.booleans(),
)
def test_witnessed_re_execution_agrees_with_the_full_state(kind, frm, to, amount, nonce, by_alice) -> None:
    state = funded_state()
    wallet = ALICE if by_alice else BOB
    if kind == "transfer":
        tx: Tx = wallet.transfer(frm, to, amount, nonce)
    elif kind == "withdraw":
        tx = wallet.withdraw(frm, BOB.address, amount, nonce)
    else:
        tx = Deposit(frm, wallet.raw_address, amount)
    signer = None if kind == "deposit" else signer_of(tx)
    scratch = state.copy()
    expected = _outcome(scratch, tx, signer)
    writes = {i: scratch.get_account(i) for i in touched_accounts(tx) if expected[0] == "ok"}
    expected_root = scratch.commit()
    witnesses = build_witnesses(state, touched_accounts(tx), writes)
    partial = WitnessedState(8, state.root, decode_witnesses(encode_witnesses(witnesses), 8))
    assert _outcome(partial, tx, signer) == expected
    assert partial.post_root() == (expected_root if expected[0] == "ok" else state.root)


def test_batched_digests_equal_one_by_one() -> None:
    from contracts_spec.optimistic.rules import tx_digests

    txs = [ALICE.transfer(0, 1, 5, 0), ALICE.withdraw(0, BOB.address, 7, 1), BOB.transfer(1, 0, 10**18, 4)]
    assert tx_digests(ALICE.domain_separator, txs) == [tx_digest(ALICE.domain_separator, t) for t in txs]
    assert tx_digests(ALICE.domain_separator, []) == []


def test_sequencer_refuses_each_bad_transaction_and_keeps_the_good_ones() -> None:
    from rollup.optimistic.sequencer import Sequencer

    seq = Sequencer(8, ALICE.domain_separator)
    seq.add_deposit(0, ALICE.raw_address, 5 * ETH)
    seq.add_deposit(1, BOB.raw_address, ETH)
    good = ALICE.transfer(0, 1, ETH, 0)
    results = seq.submit([
        Deposit(0, ALICE.raw_address, 1),  # only L1 makes deposits
        good._replace(signature=good.signature[:64]),
        good,
        good,  # replayed
        ALICE.transfer(0, 1, 10**18 + 1, 1),  # no packed form
        BOB.transfer(1, 0, 9 * ETH, 0),
    ])
    assert results[0].startswith("unknown transaction type")
    assert results[1].startswith("bad signature")
    assert results[2] is None
    assert results[3].startswith("bad nonce")
    assert results[4].startswith("amount not packable")
    assert results[5].startswith("overspend")
    sealed = seq.cut_batch()
    assert [type(e.tx).__name__ for e in sealed.batch.entries] == ["Deposit", "Deposit", "Transfer"]
    assert seq.state.balance(1) == 2 * ETH
    from contracts_spec.optimistic.encoding import decode_batch

    assert decode_batch(sealed.data) == sealed.batch


def _pack_reference(amount: int) -> bytes | None:
    """The packed form by the definition: the smallest exponent whose exact quotient fits."""
    for exponent in range(32):
        mantissa, rest = divmod(amount, 10**exponent)
        if rest:
            return None
        if mantissa < 2**35:
            return ((mantissa << 5) | exponent).to_bytes(5, "big")
    return None


@settings(max_examples=300, deadline=None)
@given(mantissa=st.integers(0, 2**40), exponent=st.integers(0, 34), noise=st.sampled_from([0, 0, 1, 7]))
def test_pack_amount_matches_its_definition(mantissa: int, exponent: int, noise: int) -> None:
    amount = mantissa * 10**exponent + noise
    expected = _pack_reference(amount)
    if expected is None:
        assert not is_packable(amount)
    else:
        assert pack_amount(amount) == expected
        assert unpack_amount(expected) == amount
