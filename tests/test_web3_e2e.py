"""web3.py, unmodified, against ``l2lab node`` over HTTP: reads, an EIP-1559 transfer, a contract."""

from __future__ import annotations

import pytest
from eth_account import Account
from web3 import Web3
from web3.exceptions import Web3RPCError

from node.client import LocalNode
from node.devaccounts import derive_dev_accounts

pytestmark = pytest.mark.slow

DEV = derive_dev_accounts(10)
GENESIS_BALANCE = Web3.to_wei(10_000, "ether")


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("web3-node")
    # the bare L1, as web3 users see it: no hosted scheme spending from the dev accounts
    bare = ["--optimistic", "off", "--zk-preset", "off", "--channels-preset", "off", "--plasma-preset", "off"]
    with LocalNode(str(data_dir / "chain"), log_path=str(data_dir / "node.log"), extra_args=bare) as n:
        yield n


@pytest.fixture(scope="module")
def w3(node):
    w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))
    assert w3.is_connected()
    return w3


def _fees(w3: Web3) -> dict:
    base = w3.eth.get_block("latest")["baseFeePerGas"]
    tip = w3.eth.max_priority_fee
    return {"maxPriorityFeePerGas": tip, "maxFeePerGas": 2 * base + tip}


def test_chain_and_dev_accounts_as_web3_sees_them(w3):
    assert w3.eth.chain_id == 31337
    # Account 9 is never spent from in this module, so it still holds its genesis balance.
    assert w3.eth.get_balance(DEV[9].address) == GENESIS_BALANCE
    assert w3.eth.get_transaction_count(DEV[9].address) == 0
    assert set(w3.eth.accounts) >= {a.address for a in DEV}
    block = w3.eth.get_block("latest")
    assert block["number"] == w3.eth.block_number
    assert block["gasLimit"] == 30_000_000


def test_eip1559_transfer_moves_exact_amounts(w3):
    sender = DEV[1]
    recipient = Account.create().address
    value = Web3.to_wei(1.25, "ether")
    sender_before = w3.eth.get_balance(sender.address)
    tx = {
        "type": 2,
        "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(sender.address),
        "to": recipient,
        "value": value,
        "gas": 21_000,
        **_fees(w3),
    }
    signed = Account.sign_transaction(tx, sender.private_key)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)

    assert receipt["status"] == 1
    assert receipt["gasUsed"] == 21_000
    assert receipt["transactionHash"] == tx_hash
    fee = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert w3.eth.get_balance(recipient) == value
    assert w3.eth.get_balance(sender.address) == sender_before - value - fee
    assert w3.eth.get_transaction_count(sender.address) == tx["nonce"] + 1
    mined = w3.eth.get_transaction(tx_hash)
    assert mined["from"] == sender.address and mined["value"] == value
    assert mined["blockNumber"] == receipt["blockNumber"]


def test_eth_send_transaction_signs_for_dev_accounts(w3):
    recipient = Account.create().address
    tx_hash = w3.eth.send_transaction({"from": DEV[2].address, "to": recipient, "value": 777})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1
    assert w3.eth.get_balance(recipient) == 777


def test_bad_transactions_raise_and_change_nothing(w3):
    sender = DEV[3]
    head = w3.eth.block_number
    balance = w3.eth.get_balance(sender.address)
    nonce = w3.eth.get_transaction_count(sender.address)
    base = {"type": 2, "to": DEV[4].address, "value": 1, "gas": 21_000, **_fees(w3)}
    bad = [
        {**base, "chainId": 1, "nonce": nonce},  # another chain's id
        {**base, "chainId": 31337, "nonce": nonce + 1000},  # past the queue of nonce gaps
        {**base, "chainId": 31337, "nonce": nonce, "value": balance},  # value + fee > balance
    ]
    for tx in bad:
        signed = Account.sign_transaction(tx, sender.private_key)
        with pytest.raises(Web3RPCError) as info:
            w3.eth.send_raw_transaction(signed.raw_transaction)
        assert info.value.rpc_response["error"]["code"] in (-32000, -32003)
    assert w3.eth.block_number == head
    assert w3.eth.get_balance(sender.address) == balance
    assert w3.eth.get_transaction_count(sender.address) == nonce


def _deploy_counter(w3: Web3, deployer, start: int) -> str:
    from contracts_spec.examples import Counter
    from contracts_spec.runtime import deploy_data

    tx = {
        "type": 2,
        "chainId": w3.eth.chain_id,
        "nonce": w3.eth.get_transaction_count(deployer.address),
        "data": deploy_data(Counter, start),
        "value": 0,
        "gas": 1_000_000,
        **_fees(w3),
    }
    signed = Account.sign_transaction(tx, deployer.private_key)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), 30)
    assert receipt["status"] == 1
    assert receipt["contractAddress"]
    return receipt["contractAddress"]


def test_contract_deploy_and_call_through_web3(w3, node):
    deployer = DEV[5]
    address = _deploy_counter(w3, deployer, 7)
    assert w3.eth.get_code(address) != b""

    listed = w3.provider.make_request("l2lab_contracts", [])["result"]
    abi = next(c["abi"] for c in listed if c["address"].lower() == address.lower())
    counter = w3.eth.contract(address=address, abi=abi)
    assert counter.functions.count().call() == 7

    tx = counter.functions.increment(5).build_transaction(
        {
            "from": deployer.address,
            "nonce": w3.eth.get_transaction_count(deployer.address),
            "gas": 200_000,
            "chainId": w3.eth.chain_id,
            **_fees(w3),
        }
    )
    signed = Account.sign_transaction(tx, deployer.private_key)
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(signed.raw_transaction), 30)
    assert receipt["status"] == 1
    assert counter.functions.count().call() == 12
    events = counter.events.Incremented().process_receipt(receipt)
    assert len(events) == 1
    assert events[0]["args"]["by"] == deployer.address
    assert events[0]["args"]["value"] == 12

    # web3's everyday flow: it estimates gas and picks fees itself, the node signs for a dev account.
    tx_hash = counter.functions.increment(3).transact({"from": DEV[6].address})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1 and counter.functions.count().call() == 15
    logs = counter.events.Incremented.get_logs(from_block=0)
    assert [(e["args"]["by"], e["args"]["value"]) for e in logs] == [
        (deployer.address, 12),
        (DEV[6].address, 15),
    ]
    # The REST view knows the contract by name.
    import httpx

    info = httpx.get(f"{node.url}/api/accounts/{address}").json()
    assert info["is_contract"] and info["contract_name"] == "Counter"
