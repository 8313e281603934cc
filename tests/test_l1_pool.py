"""The pending pool under automine: a transaction acknowledged but not yet mined is on disk too."""

from __future__ import annotations

from eth_account import Account

from node.chain import Chain

KEYS = [bytes([0x51 + i]) * 32 for i in range(3)]
ADDRESSES = [Account.from_key(k).address for k in KEYS]
DEAD = "0x000000000000000000000000000000000000dEaD"
ETH = 10**18


# Blocks with room for two plain transfers (21,000 gas each) and not a third.
BLOCK_GAS_LIMIT = 50_000


def big(chain: Chain, key: bytes, tip: int) -> bytes:
    """A plain transfer: two fit in one of these blocks, a third waits for the next."""
    tx = {
        "type": 2, "chainId": chain.chain_id, "nonce": chain.get_nonce(Account.from_key(key).address, pending=True),
        "to": DEAD, "value": 1, "gas": 21_000, "maxPriorityFeePerGas": tip,
        "maxFeePerGas": 2 * chain.base_fee() + tip,
    }
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


def test_an_acknowledged_tx_left_out_of_the_automined_block_survives_a_restart(tmp_path) -> None:
    alloc = {a: 100 * ETH for a in ADDRESSES}
    chain = Chain(data_dir=tmp_path, genesis_alloc=alloc, genesis_timestamp=1_700_000_000, automine=False,
                  block_gas_limit=BLOCK_GAS_LIMIT)
    chain.send_raw_transaction(big(chain, KEYS[0], 3 * 10**9))
    chain.send_raw_transaction(big(chain, KEYS[1], 2 * 10**9))
    chain.set_automine(True)
    # The block this mines takes the two best-paying transactions; the third does not fit beside them.
    late = chain.send_raw_transaction(big(chain, KEYS[2], 10**9))
    assert chain.block_number == 1 and chain.get_receipt(late) is None
    assert chain.get_transaction(late) is not None
    chain.close()  # what a crash leaves is what was committed: reopen from disk only

    again = Chain(data_dir=tmp_path)
    assert late in [t.hash for t in again.pending], "an acknowledged transaction was lost on restart"
    again.mine(2)
    assert again.get_receipt(late) is not None and again.get_receipt(late).status == 1
    again.close()
