"""Single-round fraud proof against the bisection game: what posting and disputing a batch cost on L1.

For each batch size, on a fresh in-process L1 with the mainnet-like preset,
each kind of rollup gets a batch whose last step steals; the challenger then
wins, in one ``prove_fraud`` or in a full bisection game (open, about
``log2(n)`` bisect/choose rounds, one-step proof). Gas and calldata bytes are
summed over every dispute transaction of both parties. One more figure
posts batches during the proposer's move of a bisection game and prices the
challenger's winning move, which must not grow with them.
"""

from __future__ import annotations

from benchmarks.harness import Figure
from contracts_spec.l1 import L1Client
from contracts_spec.optimistic.bisection import BisectionRollup
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.params import MAINNET
from contracts_spec.optimistic.rules import Account
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import Wallet
from rollup.optimistic.dispute import BisectionChallenger, BisectionProposer, play
from rollup.optimistic.fullnode import Challenger
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.operator import Operator

ETH = 10**18
USERS = 16


def _calldata_bytes(l1: L1Client, receipt: dict) -> int:
    tx = l1.rpc("eth_getTransactionByHash", receipt["transactionHash"])
    return (len(tx.get("input", tx.get("data", "0x"))) - 2) // 2


def _gas(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


def _post_and_dispute(contract: type[OptimisticRollup], size: int,
                      later: int = 0) -> tuple[int, int, int, int, int, int]:
    """(posting gas, posting calldata, dispute gas, dispute calldata, dispute transactions, winning move gas).

    On a bisection rollup ``later`` one-transfer batches are posted once the
    dispute is open, during the proposer's move.
    """
    from node.chain import Chain

    op_key, ch_key = b"\x01" * 32, b"\x02" * 32
    users = [(i + 1000).to_bytes(32, "big") for i in range(USERS)]
    l1 = in_process_l1(Chain(genesis_alloc={private_key_to_address(k): 10**6 * ETH
                                                   for k in [op_key, ch_key, *users]}))
    rollup = RollupL1.deploy(l1, op_key, MAINNET, private_key_to_address(op_key), contract)
    operator = Operator(rollup, op_key)
    operator.post_bond(MAINNET.min_bond)
    wallets = [Wallet(k, l1.chain_id, rollup.address) for k in users]
    for w in wallets:
        rollup.transact(w.private_key, "deposit", w.address, value=100 * ETH)
    operator.sync()
    operator.post_batch()
    nonces = [0] * USERS
    txs = []
    for k in range(size - 1):
        f, t = k % USERS, (k + 1) % USERS
        txs.append(wallets[f].transfer(f, t, 10**15, nonces[f]))
        nonces[f] += 1
    operator.submit(txs)
    state = operator.state
    victim = state.get_account(0)
    operator.sequencer.inject(
        wallets[1].transfer(0, 1, ETH, victim.nonce),  # signed by the wrong user
        {0: Account(victim.address, victim.balance - ETH, victim.nonce + 1),
         1: state.get_account(1)._replace(balance=state.get_account(1).balance + ETH)},
    )
    posted = operator.post_batch()
    if contract is BisectionRollup:
        proposer, challenger = BisectionProposer(operator), BisectionChallenger(rollup, ch_key)
        challenger.act()  # opens the dispute: the proposer's move
        for k in range(later):
            f = (size + k) % USERS
            operator.submit([wallets[f].transfer(f, (f + 1) % USERS, 10**15, nonces[f])])
            nonces[f] += 1
            operator.post_batch()
        play(proposer, challenger)
        receipts = challenger.receipts + proposer.receipts
        winning = challenger.receipts[-1]  # the one-step proof
    else:
        receipts = Challenger(rollup, ch_key).watch()
        winning = receipts[0]
    if rollup.call("batch_count") != 1:
        raise RuntimeError(f"the {contract.__name__} challenger did not revert the bad batch of {size}")
    return (_gas(posted), _calldata_bytes(l1, posted), sum(_gas(r) for r in receipts),
            sum(_calldata_bytes(l1, r) for r in receipts), len(receipts), _gas(winning))


def _figure(metric: str, workload: str, name: str, gas: int, note: str) -> Figure:
    return Figure(scheme="optimistic", metric=metric, workload=workload, name=name, unit="gas",
                  value=gas, note=note)


def dispute_costs(sizes: list[int]) -> list[Figure]:
    figures = []
    for size in sizes:
        post1, data1, gas1, proof1, _, _ = _post_and_dispute(OptimisticRollup, size)
        post2, data2, gas2, proof2, moves, _ = _post_and_dispute(BisectionRollup, size)
        workload = f"batch={size}, fraud at the last step"
        figures += [
            _figure("posting_gas_single_round", workload,
                    f"batch of {size}: posting gas, single-round rollup", post1,
                    f"{data1:,} calldata bytes, a root per step"),
            _figure("posting_gas_bisection", workload,
                    f"batch of {size}: posting gas, bisection rollup", post2,
                    f"{data2:,} calldata bytes, no intermediate roots ({post2 / post1:.2f}x)"),
            _figure("dispute_gas_single_round", workload,
                    f"batch of {size}: dispute gas, single-round fraud proof", gas1,
                    f"1 transaction, {proof1:,} calldata bytes"),
            _figure("dispute_gas_bisection", workload,
                    f"batch of {size}: dispute gas, bisection game", gas2,
                    f"{moves} transactions, {proof2:,} calldata bytes ({gas2 / gas1:.1f}x)"),
        ]
    size, later = sizes[0], 50 if len(sizes) < 3 else 500
    alone = _post_and_dispute(BisectionRollup, size)[-1]
    flooded = _post_and_dispute(BisectionRollup, size, later)[-1]
    figures.append(_figure("winning_move_gas_bisection", f"batch={size}, {later} batches posted during the dispute",
                           f"batch of {size}: the challenger's winning move, {later:,} batches posted meanwhile",
                           flooded, f"{alone:,} gas with none posted: bounded by the game, not by others' posts"))
    return figures
