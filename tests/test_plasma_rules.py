"""Plasma MVP rules: positions, the transaction layout, block trees, validity and exit priority."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_spec.plasma import params as P
from contracts_spec.plasma import rules as R
from primitives import merkle
from primitives.keccak import keccak256
from primitives.secp256k1 import private_key_to_address, recover

KEYS = {name: bytes([i + 61]) * 32 for i, name in enumerate(("alice", "bob", "carol", "mallory"))}
ADDR = {name: private_key_to_address(key) for name, key in KEYS.items()}
DOMAIN = R.Domain(31337, "0x" + "ab" * 20)
ETH = 10**18


def pos(blknum: int, txindex: int = 0, oindex: int = 0) -> int:
    return R.encode_utxo_pos(blknum, txindex, oindex)


# -- positions ----------------------------------------------------------------------------


@pytest.mark.parametrize("blknum,txindex,oindex", [
    (1, 0, 0), (1000, 1, 1), (3000, 5, 1), (1001, 0, 0), (7000, 65_535, 1), (R.MAX_BLKNUM, 65_535, 1),
])
def test_utxo_pos_round_trips_including_txindex_above_zero(blknum: int, txindex: int, oindex: int) -> None:
    utxo_pos = R.encode_utxo_pos(blknum, txindex, oindex)
    assert utxo_pos == blknum * 1_000_000_000 + txindex * 10_000 + oindex
    assert R.decode_utxo_pos(utxo_pos) == (blknum, txindex, oindex)


@given(st.integers(1, R.MAX_BLKNUM), st.integers(0, R.MAX_TXS_PER_BLOCK - 1), st.integers(0, 1))
@settings(max_examples=200, deadline=None)
def test_utxo_pos_round_trips_everywhere(blknum: int, txindex: int, oindex: int) -> None:
    utxo_pos = R.encode_utxo_pos(blknum, txindex, oindex)
    assert utxo_pos < 2**64 and R.decode_utxo_pos(utxo_pos) == (blknum, txindex, oindex)


@pytest.mark.parametrize("args,match", [
    ((0, 0, 0), "block number 0"), ((-1, 0, 0), "block number -1"), ((R.MAX_BLKNUM + 1, 0, 0), "block number"),
    ((1, 65_536, 0), "transaction index 65536"), ((1, -1, 0), "transaction index"),
    ((1, 0, 2), "output index 2"), ((True, 0, 0), "block number must be an integer"), ((1.0, 0, 0), "block number must be an integer"),
])
def test_utxo_pos_encoding_refuses_out_of_range_values(args: tuple, match: str) -> None:
    with pytest.raises(R.PlasmaRuleError, match=f"bad position: {match}"):
        R.encode_utxo_pos(*args)


@pytest.mark.parametrize("utxo_pos,match", [
    (0, "position 0 is outside"), (-5, "outside"), (2**64, "outside"), (999_999_999, "block 0"),
    (1_000_000_000 + 70_000 * 10_000, "transaction 70000"), (1_000_000_002, "output 2"),
    (1_000_009_999, "output 9999"), (True, "must be an integer"),
])
def test_utxo_pos_decoding_refuses_positions_that_name_no_output(utxo_pos: int, match: str) -> None:
    with pytest.raises(R.PlasmaRuleError, match=match):
        R.decode_utxo_pos(utxo_pos)


# -- transactions ----------------------------------------------------------------------------


def spend_2x2() -> R.Transaction:
    return R.Transaction.spend([pos(1000, 3, 1), pos(2000, 70, 0)], [(ADDR["bob"], 3 * ETH), (ADDR["alice"], 1)])


def test_the_layout_is_88_bytes_as_documented() -> None:
    tx = spend_2x2()
    data = tx.encode()
    assert len(data) == R.TX_BYTES == 88
    assert data[0:8] == pos(1000, 3, 1).to_bytes(8, "big") and data[8:16] == pos(2000, 70, 0).to_bytes(8, "big")
    assert data[16:36] == bytes.fromhex(ADDR["bob"][2:]) and data[36:52] == (3 * ETH).to_bytes(16, "big")
    assert data[52:72] == bytes.fromhex(ADDR["alice"][2:]) and data[72:88] == (1).to_bytes(16, "big")
    assert R.Transaction.decode(data) == tx and tx.hash() == keccak256(data)


@pytest.mark.parametrize("tx", [
    spend_2x2(),
    R.Transaction.spend([pos(1000)], [(ADDR["bob"], 5)]),
    R.Transaction.spend([pos(1, 0, 0)], [(ADDR["bob"], 5), (ADDR["carol"], 7)]),
    R.Transaction.deposit(ADDR["alice"], ETH),
])
def test_transactions_round_trip(tx: R.Transaction) -> None:
    assert R.Transaction.decode(tx.encode()) == tx
    keys = [KEYS["alice"] if p else None for p in tx.inputs]
    signed = R.sign_transaction(tx, keys, DOMAIN) if not tx.is_deposit else R.SignedTransaction(
        tx, (R.EMPTY_SIGNATURE, R.EMPTY_SIGNATURE))
    data = signed.encode()
    assert len(data) == R.SIGNED_TX_BYTES == 218
    assert R.SignedTransaction.decode(data) == signed
    assert signed.leaf() == keccak256(data)


def _raw(inputs: tuple[int, int], outputs: list[tuple[bytes, int]]) -> bytes:
    return (b"".join(p.to_bytes(8, "big") for p in inputs)
            + b"".join(owner + amount.to_bytes(16, "big") for owner, amount in outputs))


OWNER = bytes.fromhex(ADDR["bob"][2:])
NOBODY = bytes(20)


@pytest.mark.parametrize("data,match", [
    (b"", "bad encoding: a transaction is 88 bytes, got 0"),
    (bytes(87), "got 87"), (bytes(89), "got 89"),
    ("00" * 88, "a transaction is bytes"),
    (_raw((0, pos(1000)), [(OWNER, 1), (NOBODY, 0)]), "bad input: input 1 is used while input 0 is not"),
    (_raw((pos(1000), pos(1000)), [(OWNER, 1), (NOBODY, 0)]), "double spend: both inputs spend"),
    (_raw((5, 0), [(OWNER, 1), (NOBODY, 0)]), "bad input: input 0: bad position"),
    (_raw((pos(1000) + 2, 0), [(OWNER, 1), (NOBODY, 0)]), "bad input: input 0: .* output 2"),
    (_raw((pos(1000), 0), [(NOBODY, 1), (NOBODY, 0)]), "bad output: output 0 must pay a positive amount"),
    (_raw((pos(1000), 0), [(OWNER, 0), (NOBODY, 0)]), "bad output: output 0 must pay"),
    (_raw((pos(1000), 0), [(OWNER, 1), (NOBODY, 3)]), "bad output: output 1 must pay"),
    (_raw((pos(1000), 0), [(NOBODY, 0), (OWNER, 3)]), "bad output: output 0 is empty"),
    (_raw((0, 0), [(OWNER, 1), (OWNER, 3)]), "bad deposit: a deposit .* pays output 0 only"),
    (_raw((0, 0), [(NOBODY, 0), (NOBODY, 0)]), "bad output: output 0 is empty"),
])
def test_every_malformed_transaction_is_refused_naming_the_problem(data: bytes, match: str) -> None:
    with pytest.raises(R.PlasmaRuleError, match=match):
        R.Transaction.decode(data)  # type: ignore[arg-type]


def test_malformed_signed_transactions_are_refused() -> None:
    signed = R.sign_transaction(spend_2x2(), [KEYS["alice"], KEYS["bob"]], DOMAIN)
    data = signed.encode()
    one_input = R.sign_transaction(R.Transaction.spend([pos(1000)], [(ADDR["bob"], 5)]), [KEYS["alice"]], DOMAIN)
    for bad, match in [
        (data[:-1], "a signed transaction is 218 bytes, got 217"), (data + b"\0", "got 219"), (b"", "got 0"),
        (data[:88] + bytes(65) + data[153:], "input 0 is used but unsigned"),
        (one_input.encode()[:153] + b"\x01" * 65, "input 1 is unused, so its signature must be zero bytes"),
        (bytes(218), "bad output: output 0 is empty"),
    ]:
        with pytest.raises(R.PlasmaRuleError, match=match):
            R.SignedTransaction.decode(bad)
    with pytest.raises(R.PlasmaRuleError, match="bad signature: input 1 needs its owner's key"):
        R.sign_transaction(spend_2x2(), [KEYS["alice"]], DOMAIN)


@given(st.binary(min_size=R.TX_BYTES, max_size=R.TX_BYTES))
@settings(max_examples=300, deadline=None)
def test_any_88_bytes_decode_canonically_or_are_refused(data: bytes) -> None:
    try:
        tx = R.Transaction.decode(data)
    except R.PlasmaRuleError:
        return
    assert tx.encode() == data  # one encoding per transaction: nothing malleable is accepted


def test_constructed_transactions_are_checked_like_decoded_ones() -> None:
    with pytest.raises(R.PlasmaRuleError, match="bad output: output 0 owner"):
        R.Transaction.spend([pos(1000)], [("0x1234", 5)])
    with pytest.raises(R.PlasmaRuleError, match="bad output: output 0 amount 340282366920938463463374607431768211456"):
        R.Transaction.spend([pos(1000)], [(ADDR["bob"], 2**128)])
    with pytest.raises(R.PlasmaRuleError, match="bad transaction: a spend has 1..2 inputs"):
        R.Transaction.spend([], [(ADDR["bob"], 5)])
    with pytest.raises(R.PlasmaRuleError, match="bad transaction"):
        R.Transaction.spend([pos(1000)], [(ADDR["bob"], 5)] * 3)


# -- block trees ---------------------------------------------------------------------------------


def leaves(n: int) -> list[bytes]:
    return [keccak256(bytes([i]) * 7) for i in range(n)]


def naive_depth16_root(items: list[bytes]) -> bytes:
    """The depth-16 root computed the slow way: every one of the 65,536 leaf slots, padding as ZERO_HASH."""
    level = [merkle.hash_leaf(x) for x in items]
    for _ in range(R.TREE_DEPTH):
        if len(level) % 2:
            level.append(merkle.ZERO_HASH)
        level = [merkle.hash_node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 33])
def test_every_transaction_of_a_block_has_a_16_sibling_proof(n: int) -> None:
    items = leaves(n)
    tree = R.BlockTree(items)
    assert tree.root == R.block_root(items) == naive_depth16_root(items) == R.block_root(items, keccak256)
    for i, leaf in enumerate(items):
        proof = tree.proof(i)
        assert len(proof) == R.PROOF_BYTES == 512
        R.check_inclusion(tree.root, leaf, i, proof)


def test_a_proof_is_refused_at_a_wrong_index_root_or_length() -> None:
    items = leaves(5)
    tree = R.BlockTree(items)
    proof = tree.proof(2)
    with pytest.raises(R.PlasmaRuleError, match="bad proof: the transaction is not at index 3"):
        R.check_inclusion(tree.root, items[2], 3, proof)
    with pytest.raises(R.PlasmaRuleError, match="bad proof: the transaction is not at index"):
        R.check_inclusion(R.BlockTree(leaves(6)).root, items[2], 2, proof)
    with pytest.raises(R.PlasmaRuleError, match="bad proof: the transaction is not at index"):
        R.check_inclusion(tree.root, items[1], 2, proof)
    for bad in (proof[:-1], proof + b"\0", proof[:-32], b"", proof + bytes(32)):
        with pytest.raises(R.PlasmaRuleError, match=r"bad proof: a proof is 16 siblings \(512 bytes\)"):
            R.check_inclusion(tree.root, items[2], 2, bad)
    with pytest.raises(R.PlasmaRuleError, match="bad proof: transaction index 65536"):
        R.check_inclusion(tree.root, items[2], 65_536, proof)
    with pytest.raises(R.PlasmaRuleError, match="bad proof"):
        tree.proof(5)
    with pytest.raises(R.PlasmaRuleError, match="empty block"):
        R.BlockTree([])
    # An inner node cannot pass for a transaction: leaves and nodes hash under distinct prefixes.
    pair = merkle.hash_node(merkle.hash_leaf(items[0]), merkle.hash_leaf(items[1]))
    with pytest.raises(R.PlasmaRuleError, match="bad proof"):
        R.check_inclusion(R.BlockTree(items[:2]).root, pair, 0, merkle.ZERO_HASH * 16)


def test_a_deposit_block_root_is_the_tree_of_its_one_transaction() -> None:
    deposit = R.SignedTransaction.unsigned_deposit(ADDR["alice"], ETH)
    assert R.deposit_root(ADDR["alice"], ETH) == R.BlockTree([deposit.leaf()]).root
    assert R.deposit_root(ADDR["alice"], ETH + 1) != R.deposit_root(ADDR["alice"], ETH)


# -- signatures -------------------------------------------------------------------------------------


def test_signatures_are_recovered_in_one_batch_and_bound_to_the_deployment() -> None:
    tx = spend_2x2()
    signed = R.sign_transaction(tx, [KEYS["alice"], KEYS["bob"]], DOMAIN)
    other = R.Domain(DOMAIN.chain_id, "0x" + "cd" * 20)
    single = R.sign_transaction(R.Transaction.spend([pos(1000)], [(ADDR["bob"], 5)]), [KEYS["carol"]], DOMAIN)
    assert R.recover_signers([signed, single], DOMAIN) == [(ADDR["alice"], ADDR["bob"]), (ADDR["carol"],)]
    R.check_signatures(tx, (ADDR["alice"], ADDR["bob"]), (ADDR["alice"], ADDR["bob"]))
    with pytest.raises(R.PlasmaRuleError, match="bad signature: input 1 .* is not signed by its owner"):
        R.check_signatures(tx, R.recover_signers([signed], DOMAIN)[0], (ADDR["alice"], ADDR["carol"]))
    replayed = R.recover_signers([signed], other)[0]  # the same signature, read for another root chain
    with pytest.raises(R.PlasmaRuleError, match="bad signature: input 0"):
        R.check_signatures(tx, replayed, (ADDR["alice"], ADDR["bob"]))


def test_confirmations_sign_the_transaction_under_its_block_root() -> None:
    tx = spend_2x2()
    signed = R.sign_transaction(tx, [KEYS["alice"], KEYS["bob"]], DOMAIN)
    root = R.BlockTree([signed.leaf()]).root
    confirms = R.confirmations(signed, root, [KEYS["alice"], KEYS["bob"]])
    sigs = R.split_confirmations(confirms, tx)
    confirmers = [recover(R.confirmation_digest(tx.hash(), root), s) for s in sigs]
    R.check_confirmations(tx, (ADDR["alice"], ADDR["bob"]), confirmers)
    wrong_root = [recover(R.confirmation_digest(tx.hash(), bytes(32)), s) for s in sigs]
    with pytest.raises(R.PlasmaRuleError, match="bad confirmation: input 0 is not confirmed by its signer"):
        R.check_confirmations(tx, (ADDR["alice"], ADDR["bob"]), wrong_root)
    with pytest.raises(R.PlasmaRuleError, match="bad confirmation: confirmations are 130 bytes, got 129"):
        R.split_confirmations(confirms[:-1], tx)
    one = R.Transaction.spend([pos(1000)], [(ADDR["bob"], 5)])
    with pytest.raises(R.PlasmaRuleError, match="input 1 is unused, so its confirmation must be zero bytes"):
        R.split_confirmations(confirms, one)
    with pytest.raises(R.PlasmaRuleError, match="bad confirmation: every used input's owner must confirm"):
        R.confirmations(signed, root, [KEYS["alice"]])


# -- spending ------------------------------------------------------------------------------------------


def utxo_set() -> dict[int, R.Output]:
    return {pos(1): R.Output(ADDR["alice"], 10), pos(2): R.Output(ADDR["bob"], 5), pos(1000, 4, 1): R.Output(ADDR["alice"], 3)}


def signed_spend(inputs: list[int], outputs: list[tuple[str, int]], *signers: str) -> R.SignedTransaction:
    return R.sign_transaction(R.Transaction.spend(inputs, outputs), [KEYS[s] for s in signers], DOMAIN)


def test_a_valid_spend_pays_the_difference_as_fee() -> None:
    s = signed_spend([pos(1), pos(1000, 4, 1)], [(ADDR["bob"], 12)], "alice", "alice")
    assert R.check_spend(s.tx, utxo_set(), R.recover_signers([s], DOMAIN)[0]) == 1
    assert R.check_amounts(s.tx, [10, 2]) == 0


def test_outputs_above_inputs_are_refused() -> None:
    s = signed_spend([pos(1)], [(ADDR["bob"], 6), (ADDR["alice"], 5)], "alice")
    with pytest.raises(R.PlasmaRuleError, match="outputs exceed inputs: outputs pay 11 wei, inputs hold 10"):
        R.check_spend(s.tx, utxo_set(), R.recover_signers([s], DOMAIN)[0])


def test_unknown_inputs_wrong_signers_and_deposits_are_refused() -> None:
    unknown = signed_spend([pos(3)], [(ADDR["bob"], 1)], "alice")
    with pytest.raises(R.PlasmaRuleError, match="unknown input: position 3000000000"):
        R.check_spend(unknown.tx, utxo_set(), (ADDR["alice"],))
    theft = signed_spend([pos(2)], [(ADDR["mallory"], 5)], "mallory")
    with pytest.raises(R.PlasmaRuleError, match="bad signature: input 0"):
        R.check_spend(theft.tx, utxo_set(), R.recover_signers([theft], DOMAIN)[0])
    with pytest.raises(R.PlasmaRuleError, match="bad signature"):
        R.check_spend(theft.tx, utxo_set(), (None,))
    with pytest.raises(R.PlasmaRuleError, match="not a spend"):
        R.check_spend(R.Transaction.deposit(ADDR["alice"], 1), utxo_set(), ())


def test_a_block_that_spends_one_output_twice_is_refused() -> None:
    first = signed_spend([pos(1)], [(ADDR["bob"], 10)], "alice")
    second = signed_spend([pos(1)], [(ADDR["carol"], 10)], "alice")
    txs = [first, second]
    with pytest.raises(R.PlasmaRuleError, match="double spend: transaction 1: .*already spent in this block"):
        R.check_block(3000, txs, utxo_set(), R.recover_signers(txs, DOMAIN))


def test_a_block_applies_spends_in_order_and_may_chain_them() -> None:
    first = signed_spend([pos(1)], [(ADDR["bob"], 7), (ADDR["alice"], 3)], "alice")
    chained = signed_spend([pos(3000, 0, 0), pos(2)], [(ADDR["carol"], 11)], "bob", "bob")
    txs = [first, chained]
    effect = R.check_block(3000, txs, utxo_set(), R.recover_signers(txs, DOMAIN))
    assert effect.spent == (pos(1), pos(2))
    assert effect.created == ((pos(3000, 0, 1), R.Output(ADDR["alice"], 3)), (pos(3000, 1, 0), R.Output(ADDR["carol"], 11)))
    assert effect.fees == 1
    backwards = [chained, first]  # a spend of an output created later in the block is unknown
    with pytest.raises(R.PlasmaRuleError, match="unknown input: transaction 0"):
        R.check_block(3000, backwards, utxo_set(), R.recover_signers(backwards, DOMAIN))
    with pytest.raises(R.PlasmaRuleError, match="empty block"):
        R.check_block(3000, [], utxo_set(), [])


# -- exit priority and presets ------------------------------------------------------------------------------


def test_exitable_at_waits_two_periods_from_creation_and_one_from_the_start() -> None:
    week = 7 * 24 * 3600
    assert R.exitable_at(created_at=0, now=1, period=week) == 2 * week
    assert R.exitable_at(created_at=0, now=10 * week, period=week) == 11 * week


def test_older_outputs_exit_first_even_when_they_start_later() -> None:
    week = 7 * 24 * 3600
    old, young = pos(1000, 9, 1), pos(5000, 0, 0)
    young_key = R.exit_priority(R.exitable_at(created_at=3 * week, now=3 * week + 10, period=week), young)
    old_key = R.exit_priority(R.exitable_at(created_at=0, now=3 * week + 20, period=week), old)
    assert old_key < young_key
    same_time = [R.exit_priority(2 * week, p) for p in (young, old)]
    assert min(same_time) == R.exit_priority(2 * week, old)
    assert R.decode_priority(old_key) == (4 * week + 20, old)
    with pytest.raises(R.PlasmaRuleError, match="bad priority"):
        R.exit_priority(-1, old)


def test_presets_count_the_exit_period_in_blocks_and_seconds() -> None:
    assert P.MAINNET.exit_period_seconds == 7 * 24 * 3600 and P.MAINNET.exit_period_blocks == 50_400
    assert P.MINIMAL.exit_period_seconds == P.MINIMAL.exit_period_blocks * P.SECONDS_PER_SLOT
    assert P.CHILD_BLOCK_INTERVAL == 1000 and P.MAX_DEPOSITS_PER_INTERVAL == 999
    assert P.get_preset("minimal") is P.MINIMAL
    with pytest.raises(ValueError, match="unknown preset"):
        P.get_preset("tiny")
    with pytest.raises(ValueError, match="exit_bond"):
        P.PlasmaPreset("bad", exit_period_blocks=5, exit_bond=0)
