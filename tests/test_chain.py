"""The L1 chain: raw transactions, rejections, fees, mining modes, time, snapshots, persistence."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading

import pytest
import rlp
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts_spec.examples import Caller, Counter, Reverter, Vault
from contracts_spec.runtime import Contract, deploy_data, slot_of
from node.chain import COINBASE, Chain, Reverted, next_base_fee
from node.transactions import (
    MAX_TX_BYTES,
    SECP256K1_N,
    TxRejected,
    decode_raw_transaction,
    rlp_encode,
)

KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
KEY2 = b"\x02" * 32
POOR = b"\x03" * 32
ALICE = Account.from_key(KEY).address
CAROL = Account.from_key(KEY2).address
BOB_CS = Account.from_key(b"\x09" * 32).address
ETH = 10**18


def make_chain(**kw) -> Chain:
    kw.setdefault("genesis_alloc", {ALICE: 100 * ETH, CAROL: 100 * ETH})
    kw.setdefault("genesis_timestamp", 1_700_000_000)
    return Chain(**kw)


def sign(chain: Chain, key: bytes = KEY, *, kind: int = 2, **fields) -> bytes:
    """A raw transaction signed by eth-account, with sensible defaults."""
    sender = Account.from_key(key).address
    tx = {
        "chainId": chain.chain_id,
        "nonce": chain.get_nonce(sender, pending=True),
        "value": 0,
        "data": b"",
        "gas": 21_000,
    }
    if kind == 2:
        tx.update(type=2, maxPriorityFeePerGas=10**9, maxFeePerGas=2 * chain.base_fee() + 10**9)
    else:
        tx["gasPrice"] = chain.gas_price()
        if kind == 1:
            tx.update(type=1, accessList=[])
    tx["to"] = BOB_CS
    tx.update(fields)
    if tx["to"] is None:
        del tx["to"]
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


def call_data(cls: type[Contract], name: str, *args: object) -> bytes:
    spec = cls.method(name)
    return spec.selector + abi_encode(list(spec.types), list(args))


def deploy(chain: Chain, name: str, *args: object, key: bytes = KEY) -> str:
    h = chain.send_raw_transaction(sign(chain, key, to=None, data=deploy_data(name, *args), gas=500_000))
    receipt = chain.get_receipt(h)
    assert receipt.status == 1, receipt.revert_reason
    return receipt.contract_address


def state_of(chain: Chain) -> tuple:
    return (
        chain.block_number,
        chain.get_balance(ALICE),
        chain.get_nonce(ALICE, pending=True),
        chain.get_balance(BOB_CS),
        len(chain.pending),
    )


# -- accepted transaction types -----------------------------------------------------------


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_eth_account_signed_transactions_are_accepted(kind: int) -> None:
    chain = make_chain()
    raw = sign(chain, kind=kind, value=1_234)
    tx = decode_raw_transaction(raw)
    assert tx.type == kind and tx.sender == ALICE and tx.chain_id == 31337
    h = chain.send_raw_transaction(raw)
    receipt = chain.get_receipt(h)
    assert receipt.status == 1 and receipt.gas_used == 21_000 and receipt.type == kind
    assert chain.get_balance(BOB_CS) == 1_234
    assert chain.get_nonce(ALICE) == 1
    mined = chain.get_transaction(h)
    assert mined.block_number == 1 and mined.tx_index == 0


def test_access_list_transaction_pays_for_its_list() -> None:
    chain = make_chain()
    raw = sign(chain, kind=1, gas=30_000, accessList=[{"address": BOB_CS, "storageKeys": ["0x" + "00" * 31 + "01"]}])
    tx = decode_raw_transaction(raw)
    assert tx.access_list == ((BOB_CS, (1,)),)
    receipt = chain.get_receipt(chain.send_raw_transaction(raw))
    assert receipt.gas_used == 21_000 + 2_400 + 1_900


def test_eip1559_fees_burn_base_and_tip_the_coinbase() -> None:
    chain = make_chain()
    base = chain.base_fee()
    before = chain.get_balance(ALICE)
    raw = sign(chain, value=5, maxPriorityFeePerGas=2 * 10**9, maxFeePerGas=base + 3 * 10**9)
    receipt = chain.get_receipt(chain.send_raw_transaction(raw))
    assert receipt.effective_gas_price == base + 2 * 10**9
    assert chain.get_balance(ALICE) == before - 5 - 21_000 * (base + 2 * 10**9)
    assert chain.get_balance(COINBASE) == 21_000 * 2 * 10**9
    assert chain.get_block("latest").base_fee == base


def test_base_fee_update_rule() -> None:
    assert next_base_fee(1_000, 15_000_000, 30_000_000) == 1_000
    assert next_base_fee(1_000, 30_000_000, 30_000_000) == 1_125
    assert next_base_fee(1_000, 0, 30_000_000) == 875
    assert next_base_fee(8, 15_000_001, 30_000_000) == 9  # rises by at least 1


# -- rejections --------------------------------------------------------------------------------


def _high_s(raw: bytes) -> bytes:
    items = rlp.decode(raw[1:])
    s = int.from_bytes(items[-1], "big")
    parity = int.from_bytes(items[-3], "big")
    items[-1] = (SECP256K1_N - s).to_bytes(32, "big").lstrip(b"\0")
    items[-3] = b"\x01" if parity == 0 else b""
    return raw[:1] + rlp.encode(items)


REJECTIONS = [
    ("undecodable", lambda c: b"\xf8\x05\x01", -32602, "undecodable RLP"),
    ("unknown type", lambda c: b"\x05\xc0", -32602, "unsupported transaction type"),
    ("oversized", lambda c: sign(c, data=b"\x01" * MAX_TX_BYTES, gas=29_000_000), -32000, "oversized"),
    ("high s", lambda c: _high_s(sign(c)), -32003, "high s"),
    ("pre-155", lambda c: sign(c, kind=0, chainId=None), -32003, "pre-EIP-155"),
    ("wrong chain", lambda c: sign(c, chainId=1), -32003, "wrong chain id 1"),
    ("nonce too high", lambda c: sign(c, nonce=1000), -32000, "nonce too high"),
    ("no funds", lambda c: sign(c, POOR, nonce=0, value=1), -32000, "insufficient funds"),
    ("too much value", lambda c: sign(c, value=101 * ETH), -32000, "insufficient funds"),
    ("intrinsic", lambda c: sign(c, gas=20_999), -32000, "intrinsic gas too low"),
    ("calldata intrinsic", lambda c: sign(c, gas=21_000, data=b"\x01"), -32000, "intrinsic gas too low"),
    ("over block limit", lambda c: sign(c, gas=30_000_001), -32000, "exceeds the block gas limit"),
    ("fee below base", lambda c: sign(c, maxFeePerGas=1, maxPriorityFeePerGas=1), -32000, "less than block base fee"),
    ("legacy below base", lambda c: sign(c, kind=0, gasPrice=1), -32000, "gas price 1 less than"),
    ("tip above cap", lambda c: sign(c, maxFeePerGas=3 * 10**9, maxPriorityFeePerGas=4 * 10**9), -32000,
     "higher than max fee"),
]


@pytest.mark.parametrize(("name", "make", "code", "message"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejected_transactions_change_nothing(name, make, code, message) -> None:
    chain = make_chain()
    chain.send_raw_transaction(sign(chain))  # some history first
    raw = make(chain) if name != "pre-155" else _pre155(chain)
    before = state_of(chain)
    with pytest.raises(TxRejected) as info:
        chain.send_raw_transaction(raw)
    assert info.value.code == code
    assert message in info.value.message
    assert state_of(chain) == before


def _pre155(chain: Chain) -> bytes:
    tx = {"nonce": 1, "gasPrice": chain.gas_price(), "gas": 21_000, "to": BOB_CS, "value": 0, "data": b""}
    return bytes(Account.sign_transaction(tx, KEY).raw_transaction)


def test_nonce_too_low_and_duplicates() -> None:
    chain = make_chain()
    raw = sign(chain)
    chain.send_raw_transaction(raw)
    with pytest.raises(TxRejected, match="already known"):
        chain.send_raw_transaction(raw)
    with pytest.raises(TxRejected, match="nonce too low: next nonce 1, tx nonce 0"):
        chain.send_raw_transaction(sign(chain, nonce=0, value=7))


def test_bad_signature_values_rejected() -> None:
    chain = make_chain()
    items = rlp.decode(sign(chain)[1:])
    items[-2] = b""  # r = 0
    with pytest.raises(TxRejected, match="out of range"):
        chain.send_raw_transaction(b"\x02" + rlp.encode(items))


# -- execution ----------------------------------------------------------------------------------


def test_contract_call_revert_keeps_nonce_and_fee() -> None:
    chain = make_chain()
    r = deploy(chain, "Reverter")
    before = chain.get_balance(ALICE)
    h = chain.send_raw_transaction(sign(chain, to=r, data=call_data(Reverter, "writeThenRevert", 3), gas=100_000))
    receipt = chain.get_receipt(h)
    assert receipt.status == 0 and receipt.revert_reason == "always reverts (n=3)"
    assert receipt.logs == []
    assert chain.get_nonce(ALICE) == 2
    assert chain.get_balance(ALICE) == before - receipt.gas_used * receipt.effective_gas_price
    assert chain.get_storage_at(r, slot_of("x")) == 0


def test_call_and_estimate_gas() -> None:
    chain = make_chain()
    counter = deploy(chain, "Counter", 41)
    out = chain.call(counter, call_data(Counter, "count"))
    assert abi_decode(["uint256"], out) == (41,)
    assert chain.estimate_gas(BOB_CS, b"", sender=ALICE, value=1) == 21_000
    gas = chain.estimate_gas(counter, call_data(Counter, "increment", 1), sender=ALICE)
    receipt = chain.get_receipt(chain.send_raw_transaction(
        sign(chain, to=counter, data=call_data(Counter, "increment", 1), gas=gas)))
    assert receipt.status == 1 and receipt.gas_used == gas
    with pytest.raises(Reverted) as info:
        chain.call(counter, b"\xde\xad\xbe\xef")
    assert "unknown method selector 0xdeadbeef" in info.value.reason
    assert info.value.data[:4] == bytes.fromhex("08c379a0")
    with pytest.raises(ValueError, match="to: not a 20-byte address"):
        chain.call("0x1234", b"")


def test_estimate_gas_covers_nested_calls() -> None:
    chain = make_chain()
    counter = deploy(chain, "Counter", 0)
    caller = deploy(chain, "Caller")
    data = call_data(Caller, "bump", counter, 1)
    gas = chain.estimate_gas(caller, data, sender=ALICE)
    receipt = chain.get_receipt(chain.send_raw_transaction(sign(chain, to=caller, data=data, gas=gas)))
    assert receipt.status == 1


def test_logs_filters() -> None:
    chain = make_chain()
    vault = deploy(chain, "Vault")
    counter = deploy(chain, "Counter", 0)
    chain.send_raw_transaction(sign(chain, to=vault, data=call_data(Vault, "deposit"), value=10, gas=200_000))
    chain.send_raw_transaction(sign(chain, KEY2, to=vault, data=call_data(Vault, "deposit"), value=20, gas=200_000))
    chain.send_raw_transaction(sign(chain, to=counter, data=call_data(Counter, "increment", 2), gas=200_000))
    deposited = Vault.Deposited.topic0
    assert len(chain.get_logs(0, "latest")) == 3
    assert len(chain.get_logs(0, "latest", address=vault)) == 2
    assert len(chain.get_logs(0, "latest", address=[vault, counter])) == 3
    alice_topic = bytes(12) + bytes.fromhex(ALICE[2:])
    carol_topic = bytes(12) + bytes.fromhex(CAROL[2:])
    only_alice = chain.get_logs(0, "latest", topics=[deposited, alice_topic])
    assert [abi_decode(["uint256", "uint256"], lg.data)[0] for lg in only_alice] == [10]
    both = chain.get_logs(0, "latest", topics=[None, [alice_topic, carol_topic]])
    assert len(both) == 3  # Counter's Incremented(by=alice) matches too
    assert chain.get_logs(0, "latest", topics=[None, None, None, deposited]) == []
    assert len(chain.get_logs(4, 4)) == 1 and chain.get_logs(5, 3) == []


# -- mining modes, time, snapshots ---------------------------------------------------------------


def test_manual_mining_orders_by_nonce_and_tip() -> None:
    chain = make_chain(automine=False)
    h1 = chain.send_raw_transaction(sign(chain, value=1))
    h2 = chain.send_raw_transaction(sign(chain, value=2))
    hc = chain.send_raw_transaction(sign(chain, KEY2, value=3, maxPriorityFeePerGas=5 * 10**9,
                                         maxFeePerGas=6 * 10**9))
    assert chain.block_number == 0 and len(chain.pending) == 3
    assert chain.get_receipt(h1) is None and chain.get_transaction(h1).block_number is None
    assert chain.get_nonce(ALICE) == 0 and chain.get_nonce(ALICE, pending=True) == 2
    (block_hash,) = chain.mine()
    block = chain.get_block(1)
    assert block.hash == block_hash and block.transactions == [hc, h1, h2]
    assert list(chain.pending) == [] and chain.get_balance(BOB_CS) == 6
    assert [chain.get_receipt(h).tx_index for h in (hc, h1, h2)] == [0, 1, 2]
    assert chain.get_receipt(h2).cumulative_gas_used == 63_000


def test_manual_mining_respects_the_block_gas_limit() -> None:
    chain = make_chain(automine=False, block_gas_limit=50_000)
    for _ in range(3):
        chain.send_raw_transaction(sign(chain))
    chain.mine()
    assert len(chain.get_block(1).transactions) == 2 and len(chain.pending) == 1
    chain.mine()
    assert len(chain.get_block(2).transactions) == 1 and list(chain.pending) == []


def test_time_travel_and_timestamps_strictly_increase() -> None:
    chain = make_chain()
    t0 = chain.get_block("latest").timestamp
    chain.increase_time(7 * 24 * 3600)
    chain.mine()
    assert chain.get_block("latest").timestamp >= t0 + 7 * 24 * 3600
    head = chain.get_block("latest").timestamp
    chain.set_next_block_timestamp(head + 100)
    chain.mine()
    assert chain.get_block("latest").timestamp == head + 100
    chain.mine(3, timestamp=head + 1_000)
    assert [chain.get_block(n).timestamp for n in (3, 4, 5)] == [head + 1_000, head + 1_001, head + 1_002]
    for bad in (head, head + 1_002):
        with pytest.raises(ValueError, match="after the latest block"):
            chain.mine(timestamp=bad)
        with pytest.raises(ValueError, match="after the latest block"):
            chain.set_next_block_timestamp(bad)
    with pytest.raises(ValueError, match="non-negative"):
        chain.increase_time(-1)
    with pytest.raises(ValueError, match="positive int"):
        chain.mine(0)
    assert chain.block_number == 5


def test_block_queries() -> None:
    chain = make_chain()
    h = chain.send_raw_transaction(sign(chain))
    latest = chain.get_block("latest")
    assert chain.get_block(latest.hash) == latest
    assert chain.get_block(1) == latest and chain.get_block("pending") == latest
    assert chain.get_block("earliest").number == 0
    assert latest.parent_hash == chain.get_block(0).hash
    assert chain.get_block(99) is None and chain.get_block(b"\x01" * 32) is None
    full = chain.get_block(1, full_transactions=True)
    assert full.transactions[0].hash == h
    with pytest.raises(ValueError, match="unknown block tag"):
        chain.get_block("newest")
    with pytest.raises(ValueError, match="32 bytes"):
        chain.get_block(b"\x01")


def test_snapshot_and_revert_restore_everything() -> None:
    chain = make_chain()
    counter = deploy(chain, "Counter", 1)
    snap = chain.snapshot()
    before = state_of(chain)
    chain.send_raw_transaction(sign(chain, to=counter, data=call_data(Counter, "increment", 5), gas=100_000))
    deploy(chain, "Vault")
    chain.increase_time(1_000)
    chain.set_automine(False)
    chain.send_raw_transaction(sign(chain, value=9))
    assert chain.revert(snap) is True
    assert state_of(chain) == before
    assert chain.get_storage_at(counter, slot_of("count")) == 1
    assert chain.contracts() == {counter: "Counter"}
    assert chain.time_offset == 0
    assert chain.revert(snap) is False
    chain.set_automine(True)
    chain.send_raw_transaction(sign(chain))  # the chain goes on from the snapshot
    assert chain.block_number == before[0] + 1


# -- persistence ----------------------------------------------------------------------------------


def test_reopening_a_data_dir_restores_everything(tmp_path) -> None:
    chain = make_chain(data_dir=tmp_path)
    counter = deploy(chain, "Counter", 3)
    h = chain.send_raw_transaction(sign(chain, to=counter, data=call_data(Counter, "increment", 4), gas=100_000))
    chain.increase_time(3_600)
    chain.set_automine(False)
    chain.interval_mining_seconds = 2
    pending = chain.send_raw_transaction(sign(chain, value=11))
    before = state_of(chain)
    head = chain.get_block("latest")
    receipt = chain.get_receipt(h)
    chain.close()

    again = Chain(data_dir=tmp_path, genesis_alloc={ALICE: 1})
    assert state_of(again) == before
    assert again.get_block("latest") == head
    assert again.get_receipt(h) == receipt
    assert again.get_storage_at(counter, slot_of("count")) == 7
    assert again.contracts() == {counter: "Counter"}
    assert again.time_offset == 3_600 and again.automine is False
    assert again.interval_mining_seconds == 2
    assert [t.hash for t in again.pending] == [pending]
    again.mine()
    assert again.get_balance(BOB_CS) == 11
    again.close()

    with pytest.raises(ValueError, match="chain id 31337, not 5"):
        Chain(data_dir=tmp_path, chain_id=5)
    wiped = Chain(data_dir=tmp_path, fresh=True)
    assert wiped.block_number == 0 and wiped.get_balance(ALICE) == 0
    wiped.close()


def test_revert_is_durable_on_disk(tmp_path) -> None:
    chain = make_chain(data_dir=tmp_path)
    snap = chain.snapshot()
    deploy(chain, "Counter", 1)
    chain.revert(snap)
    chain.close()
    again = Chain(data_dir=tmp_path)
    assert again.block_number == 0 and again.contracts() == {} and again.get_nonce(ALICE) == 0
    again.close()


CHILD = textwrap.dedent(
    """
    import sys
    from eth_account import Account
    from node.chain import Chain
    key = bytes.fromhex(sys.argv[2])
    sender = Account.from_key(key).address
    chain = Chain(data_dir=sys.argv[1], fresh=True, genesis_alloc={sender: 10**24})
    to = "0x" + "b0" * 20
    i = 0
    while True:
        tx = {"type": 2, "chainId": 31337, "nonce": i, "to": Account.from_key(b"\\x09" * 32).address,
              "value": i + 1, "gas": 21000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}
        h = chain.send_raw_transaction(Account.sign_transaction(tx, key).raw_transaction)
        print("ack", i, h.hex(), flush=True)
        i += 1
    """
)


def test_sigkill_leaves_a_consistent_complete_store(tmp_path) -> None:
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    data = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, str(script), str(data), KEY.hex()],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    acked = []
    try:
        for line in proc.stdout:
            acked.append(bytes.fromhex(line.split()[2]))
            if len(acked) == 25:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert len(acked) == 25
    chain = Chain(data_dir=data)
    for h in acked:
        assert chain.get_receipt(h).status == 1
    mined = chain.get_nonce(ALICE)
    assert mined in (25, 26)  # one more may have committed before its ack was printed
    assert chain.block_number == mined
    paid = values = 0
    for n in range(1, mined + 1):
        block = chain.get_block(n)
        assert len(block.transactions) == 1
        receipt = chain.get_receipt(block.transactions[0])
        paid += receipt.gas_used * receipt.effective_gas_price
        values += n
    assert chain.get_balance(BOB_CS) == values
    assert chain.get_balance(ALICE) == 10**24 - paid - values
    chain.close()


def test_concurrent_senders_are_serialised() -> None:
    chain = make_chain()
    raws = {KEY: [], KEY2: []}
    for key in raws:
        sender = Account.from_key(key).address
        for nonce in range(10):
            tx = {"type": 2, "chainId": 31337, "nonce": nonce, "to": BOB_CS, "value": 1, "gas": 21_000,
                  "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 10**9}
            raws[key].append(bytes(Account.sign_transaction(tx, key).raw_transaction))
        assert chain.get_nonce(sender) == 0
    errors = []

    def worker(items: list[bytes]) -> None:
        try:
            for raw in items:
                chain.send_raw_transaction(raw)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(items,)) for items in raws.values()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert chain.block_number == 20 and chain.get_balance(BOB_CS) == 20


def test_constructor_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="genesis_alloc"):
        Chain(genesis_alloc={"0x12": 1})
    with pytest.raises(ValueError, match="chain_id"):
        Chain(chain_id=0)
    with pytest.raises(ValueError, match="block_gas_limit"):
        Chain(block_gas_limit=100)


rlp_items = st.recursive(
    st.binary(max_size=70) | st.integers(min_value=0, max_value=2**256 - 1),
    lambda children: st.lists(children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(rlp_items)
def test_rlp_encoder_matches_pyrlp(item) -> None:
    assert rlp_encode(item) == rlp.encode(item)
