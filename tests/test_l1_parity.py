"""What a web3 user of anvil or hardhat expects of a dev chain, and gets a clear answer for here."""

from __future__ import annotations

import pytest
from eth_account import Account

from node.chain import Chain
from node.transactions import TxRejected

KEY = bytes([0x61]) * 32
SENDER = Account.from_key(KEY).address
ETH = 10**18
# The first bytes of every solc-compiled contract: PUSH1 0x80 PUSH1 0x40 MSTORE ...
EVM_BYTECODE = bytes.fromhex("6080604052348015600f57600080fd5b50603f80601d6000396000f3fe")


def creation(chain: Chain, data: bytes) -> bytes:
    tx = {"type": 2, "chainId": chain.chain_id, "nonce": chain.get_nonce(SENDER, pending=True), "value": 0,
          "data": data, "gas": 1_000_000, "maxPriorityFeePerGas": 10**9, "maxFeePerGas": 10 * 10**9}
    return bytes(Account.sign_transaction(tx, KEY).raw_transaction)


def test_a_creation_transaction_with_evm_bytecode_is_refused_at_submission() -> None:
    chain = Chain(genesis_alloc={SENDER: 10 * ETH})
    with pytest.raises(TxRejected, match="Python contracts, not EVM bytecode"):
        chain.send_raw_transaction(creation(chain, EVM_BYTECODE))
    # Nothing was mined or charged, and the nonce is still free.
    assert chain.block_number == 0 and chain.get_balance(SENDER) == 10 * ETH
    assert chain.get_nonce(SENDER, pending=True) == 0


def test_l2lab_deploy_data_still_deploys() -> None:
    from contracts_spec.examples import Counter
    from contracts_spec.runtime import deploy_data

    chain = Chain(genesis_alloc={SENDER: 10 * ETH})
    receipt = chain.get_receipt(chain.send_raw_transaction(creation(chain, deploy_data(Counter, 3))))
    assert receipt.status == 1 and receipt.contract_address
