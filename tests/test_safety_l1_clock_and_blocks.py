"""Safety invariants of the L1 itself: time is not for sale, and a stuffed block still has room.

Regression scenarios for two attacks on the optimistic rollup that needed
nothing but ordinary transactions: a burst of self-transfers that ran the
challenge window out (every automined block stepped the clock one second), and
blocks "filled" by one huge gas limit that kept the challenger's proof out.
"""

from __future__ import annotations

import time

from eth_account import Account

from contracts_spec.optimistic.params import MINIMAL
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.lab import OptimisticLab

ETH = 10**18
GWEI = 10**9
NAMES = ("operator", "challenger", "alice", "bob", "carol", "mallory")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}
DEAD = "0x000000000000000000000000000000000000dEaD"


def transfer(chain: Chain, key: bytes, *, gas: int = 21_000, tip: int = GWEI, to: str | None = None) -> bytes:
    sender = Account.from_key(key).address
    tx = {
        "type": 2, "chainId": chain.chain_id, "nonce": chain.get_nonce(sender, pending=True),
        "to": to or sender, "value": 1, "gas": gas, "maxPriorityFeePerGas": tip,
        "maxFeePerGas": 2 * chain.base_fee() + tip,
    }
    return chain.send_raw_transaction(bytes(Account.sign_transaction(tx, key).raw_transaction))


def test_a_burst_of_self_transfers_does_not_move_the_clock_ahead_of_real_time() -> None:
    chain = Chain(genesis_alloc={private_key_to_address(KEYS["mallory"]): 10 * ETH})
    start_wall, start_block = time.time(), chain.head.timestamp
    for _ in range(120):  # one automined block each
        transfer(chain, KEYS["mallory"])
    assert chain.block_number == 120
    elapsed = time.time() - start_wall
    # The clock may only have moved as far as real time did (the second boundary gives one more).
    assert chain.head.timestamp - start_block <= elapsed + 1


def test_mallory_cannot_run_out_the_challenge_window_with_ordinary_transactions() -> None:
    chain = Chain(genesis_alloc={private_key_to_address(k): 1000 * ETH for k in KEYS.values()})
    lab = OptimisticLab(in_process_l1(chain), KEYS, preset=MINIMAL)
    lab.deposit("alice", 5 * ETH)
    lab.submit_batch()
    window = lab.rollup.call("challenge_time_left", 0)
    assert window > 0
    for _ in range(MINIMAL.challenge_window + 10):  # more blocks than the window has seconds
        transfer(chain, KEYS["mallory"])
    # Only real time has passed: the challenger still has (nearly) the whole window.
    assert not lab.rollup.call("is_final", 0)
    assert lab.rollup.call("challenge_time_left", 0) >= window - 5


def test_a_huge_gas_limit_reserves_nothing_the_challengers_transaction_still_fits() -> None:
    """Blocks are filled by gas used, as on Ethereum: a 29.9M-gas-limit transfer uses 21,000."""
    chain = Chain(genesis_alloc={private_key_to_address(KEYS[n]): 10 * ETH for n in ("mallory", "challenger")},
                  automine=False)
    stuffing = transfer(chain, KEYS["mallory"], gas=29_900_000, tip=2 * GWEI, to=DEAD)
    proof = transfer(chain, KEYS["challenger"], gas=200_000, tip=GWEI, to=DEAD)
    chain.mine()
    assert chain.get_receipt(stuffing).block_number == 1
    assert chain.get_receipt(proof) is not None and chain.get_receipt(proof).block_number == 1
    assert chain.head.gas_used == 2 * 21_000


def test_a_transaction_that_does_not_fit_in_what_is_left_waits_for_the_next_block() -> None:
    chain = Chain(genesis_alloc={private_key_to_address(KEYS[n]): 10 * ETH for n in ("alice", "bob", "carol")},
                  automine=False, block_gas_limit=50_000)
    first = transfer(chain, KEYS["alice"], tip=3 * GWEI)
    second = transfer(chain, KEYS["bob"], tip=2 * GWEI)
    third = transfer(chain, KEYS["carol"], tip=GWEI)
    chain.mine()
    assert chain.get_receipt(first) is not None and chain.get_receipt(second) is not None
    assert chain.get_receipt(third) is None  # 21,000 > the 8,000 gas left
    chain.mine()
    assert chain.get_receipt(third).block_number == 2
