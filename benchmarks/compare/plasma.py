"""Plasma MVP in ``l2lab compare``: the workload through a child chain whose operator puts one root per block on L1.

The operator (dev account 2, as ``l2lab node`` gives it the role) deploys
the root chain on the shared L1; every user runs a watcher
(``plasma.watcher.Watcher``) that validates each child block, confirms its
own spends under the block's root and plays the exit game. Each user
deposits on the root chain; the transfers go in order into child blocks,
each a spend of the sender's coin signed by the sender, with the change
back to the sender. Plasma MVP lets an output be spent only once the
transaction that made it is confirmed, so a sender's change waits for the
next block: the operator closes a block when the next transfer's sender
already has a spend in it, which makes blocks of several sizes (the batch
curve: a root costs L1 the same whatever its block holds). At the end each
user splits its coin into the withdrawal amount and the rest (one more
block), exits the first with a bond, the exit period passes by time travel
and ``finalize_exits`` pays every exit, bond back.

The root chain is deployed with ``benchmarks.plasma.BENCH``: the mainnet
preset's exit bond and an exit period of 1,200 L1 blocks (4 hours), so the
two periods a fresh output waits are 2,400 blocks to mine instead of
100,800; the withdrawal delay reported is the mainnet preset's one-week
period, a protocol parameter.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from benchmarks.compare.core import (
    BLOCK_SECONDS,
    PhaseMeter,
    SchemeRun,
    World,
    expected_balances,
    gas_of,
)
from benchmarks.plasma import BENCH
from contracts_spec.l1 import L1Client
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import MAINNET, SECONDS_PER_SLOT, PlasmaPreset
from contracts_spec.runtime import deploy_data
from node.schemes.plasma import OPERATOR_ACCOUNT
from plasma.operator import Block, Operator
from plasma.watcher import Watcher
from primitives.secp256k1 import private_key_to_address, to_checksum_address

MINE_STEP = 1_000  # L1 blocks mined per call while the exit period passes (the chain's cap per call)


def cut_blocks(pairs: tuple[tuple[int, int], ...]) -> list[list[int]]:
    """The transfers (indices into ``pairs``) in child blocks, in order: a block closes before a transfer
    whose sender already spends in it, since that sender's change is not spendable before the block is."""
    blocks: list[list[int]] = [[]]
    senders: set[int] = set()
    for k, (sender, _) in enumerate(pairs):
        if sender in senders:
            blocks.append([])
            senders = set()
        blocks[-1].append(k)
        senders.add(sender)
    return blocks


@dataclass
class Carried:
    """A run's record and the actors it leaves behind: the operator (close it when done) and each user's watcher."""

    result: SchemeRun
    operator: Operator
    watchers: list[Watcher]
    root_chain: str


def run(world: World) -> SchemeRun:
    carried = carry(world)
    carried.operator.close()
    return carried.result


def carry(world: World, preset: PlasmaPreset = BENCH) -> Carried:
    """Carry the workload through a child chain deployed with ``preset`` on ``world``'s L1."""
    w, l1 = world.workload, world.l1
    meter = PhaseMeter(l1)
    start = [l1.balance(a) for a in w.addresses]
    op_key = world.dev_key(OPERATOR_ACCOUNT)
    blocks: list[tuple[str, Block, int]] = []  # (phase, block, its submit_block gas)

    with meter.phase("setup"):
        receipt = l1.send(op_key, to=None,
                          data=deploy_data(RootChain, *preset.constructor_args(private_key_to_address(op_key))))
        root_chain = to_checksum_address(receipt["contractAddress"])
    operator = Operator(l1, root_chain, op_key)
    watchers = [Watcher(l1, root_chain, key, fetch=operator.served_block, confirmations=operator.confirmations.get,
                        post=operator.post_confirmation) for key in w.keys]

    def poll() -> None:
        for watcher in watchers:
            watcher.poll()
            if watcher.alarm is not None:
                raise RuntimeError(f"a watcher raised the alarm on an honest chain: {watcher.alarm}")

    def make_block(phase: str) -> Block:
        first = l1.block_number() + 1
        began = time.perf_counter()
        block = operator.make_block()
        built.append(time.perf_counter() - began)
        if block is None:
            raise RuntimeError("the operator had nothing to put in a block")
        [submitted] = [e for e in l1.events(root_chain, RootChain, "BlockSubmitted", first)
                       if e["blknum"] == block.blknum]
        blocks.append((phase, block, gas_of(l1.wait_for_receipt(submitted["transactionHash"]))))
        poll()  # every watcher validates the block; each spender confirms its spends under the root
        return block

    def submit(signed: R.SignedTransaction) -> None:
        began = time.perf_counter()
        operator.submit(signed)  # raises PlasmaRefused, naming the rule, for a transfer it will not admit
        admitted.append(time.perf_counter() - began)

    with meter.phase("deposit"):
        for key in w.keys:
            l1.transact(key, root_chain, RootChain, "deposit", value=w.deposit_wei)
    poll()

    admitted: list[float] = []
    built: list[float] = []
    began = time.perf_counter()
    with meter.phase("transfer"):
        for indices in cut_blocks(w.pairs):
            for k in indices:
                sender, receiver = w.pairs[k]
                submit(watchers[sender].pay(w.addresses[receiver], w.amount_wei))
            make_block("transfer")
    transfer_wall = time.perf_counter() - began
    ingress = sum(admitted) + sum(built)
    soft = statistics.mean(admitted)
    transfer_blocks = len(blocks)

    with meter.phase("withdraw"):
        # Each user splits out an output of the withdrawal amount (its change stays on the child chain) ...
        for watcher in watchers:
            submit(watcher.pay(watcher.owner, w.withdraw_wei))
        split = make_block("withdraw")
        # ... and exits it with a bond.
        exits = []
        for index, watcher in enumerate(watchers):
            record = watcher.start_exit(R.encode_utxo_pos(split.blknum, index, 0))
            if record.refused is not None:
                raise RuntimeError(f"user {index}'s exit was refused: {record.refused}")
            exits.append(record)
        exit_started = l1.timestamp()
        walked = _wait_for_exits(l1, root_chain, [r.utxo_pos for r in exits])
        poll()
        while l1.call(root_chain, RootChain, "queue_length", R.ZERO_ADDRESS):
            l1.transact(op_key, root_chain, RootChain, "finalize_exits", R.ZERO_ADDRESS, preset.max_finalize)
        exit_paid = l1.timestamp()
    poll()

    expected = expected_balances(w)
    lost = 0
    for i, watcher in enumerate(watchers):
        want = start[i] - w.deposit_wei - meter.fees_of(w.addresses[i]) + expected[i]
        lost += max(0, want - l1.balance(w.addresses[i]) - watcher.balance())  # an unpaid exit shows here

    sizes: dict[int, list[int]] = {}
    for _, block, gas in blocks:
        sizes.setdefault(len(block.txs), []).append(gas)
    curve = [(size, statistics.mean(gases) / size) for size, gases in sorted(sizes.items())]
    submit_gas = [gas for phase, _, gas in blocks if phase == "transfer"]
    bonds = w.users * preset.exit_bond
    week = MAINNET.exit_period_seconds
    result = SchemeRun(
        scheme="plasma", label="Plasma MVP", workload=w.label,
        ingress_seconds=ingress, transfers=w.transfers,
        l1_gas=meter.gas(), l1_bytes=meter.calldata(),
        batch_curve=curve,
        soft_confirmation_s=soft,
        soft_what="the operator admits a signed spend into its next block (measured, mean: signature recovery, "
                  "the rules' check against its view, its log)",
        finality_s=float(BLOCK_SECONDS),
        finality_what=f"the child block's root included on L1: one {BLOCK_SECONDS} s slot (protocol; the toy L1 "
                      f"built and mined each block's submission in {statistics.mean(built) * 1e3:.1f} ms, "
                      "measured); the recipient also needs the sender's confirmation signed under that root",
        withdrawal_delay_s=float(week),
        withdrawal_what=f"the mainnet preset's exit period, {MAINNET.exit_period_blocks:,} L1 blocks and "
                        f"{week // 86_400} days (protocol parameter) for an output a period old; a younger one "
                        "waits until two periods after its block. This run walked its own preset's "
                        f"{preset.exit_period_blocks:,}-block period by time travel",
        capital_locked_wei=w.users * w.deposit_wei + bonds,
        capital_what=f"the users' deposits and their exit bonds ({preset.exit_bond / 10**18:g} ETH each) while "
                     "the exits are open",
        user_duty="watch every child block; exit if data is withheld",
        lost_wei=lost,
        notes=[f"{transfer_blocks} child blocks carried the {w.transfers} transfers: a block closes before a "
               "transfer whose sender already spends in it (MVP: change is spendable once its block is confirmed)",
               "each user exits a whole output: a last spend of its own splits out one of the withdrawal amount; "
               "its change and the coins it received stay on the child chain",
               f"preset {preset.name!r}: the mainnet exit bond and a {preset.exit_period_blocks:,}-block exit "
               f"period, walked by time travel ({walked:,} L1 blocks); finalize_exits sent by the operator",
               "the batch curve: every child block of this run, by its number of transactions"],
        extra={
            "root_chain": {"unit": "address", "value": root_chain},
            "transfer_blocks": {"unit": "blocks", "value": transfer_blocks},
            "submit_block_gas": {"unit": "gas", "value": round(statistics.mean(submit_gas))},
            "transfer_phase_wall_s": {"unit": "s", "value": round(transfer_wall, 3)},
            "exit_bond_wei": {"unit": "wei", "value": preset.exit_bond},
            "run_exit_period_blocks": {"unit": "blocks", "value": preset.exit_period_blocks},
            "exit_wait_l1_s": {"unit": "s", "value": exit_paid - exit_started},
            "exit_wait_l1_blocks": {"unit": "blocks", "value": walked},
        },
    )
    return Carried(result, operator, watchers, root_chain)


def _wait_for_exits(l1: L1Client, root_chain: str, positions: list[int]) -> int:
    """Mine 12-second L1 blocks until every exit at ``positions`` is due, in blocks and in seconds; how many."""
    infos = [l1.call(root_chain, RootChain, "exit_info", pos) for pos in positions]
    due_time, due_block = max(i[3] for i in infos), max(i[4] for i in infos)
    blocks = max(0, due_block - (l1.block_number() + 1), -(-(due_time - l1.timestamp()) // SECONDS_PER_SLOT))
    left = blocks
    while left > 0:
        count = min(MINE_STEP, left)
        l1.rpc("anvil_mine", hex(count), hex(SECONDS_PER_SLOT))
        left -= count
    return blocks
