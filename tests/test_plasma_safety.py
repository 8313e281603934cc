"""The safety checklist (``shared/ARCHITECTURE.md``, "Safety invariants") for Plasma MVP: one scenario per invariant.

Each test is named after its invariant, in its words, and says in its docstring how Plasma meets it; each
scenario that moves coins ends with what the honest users were paid, exact to the wei (amount and bond back). The narrower refusals already pinned in ``test_plasma_rootchain``,
``test_plasma_operator``, ``test_plasma_watcher`` and ``test_plasma_api`` are not repeated here; the
scenarios below attack each invariant as a whole.

1. Time is not for sale: ``test_time_is_not_for_sale_no_fee_burst_or_stuffed_block_shortens_the_exit_period``.
2. Every honest party can act in time:
   ``test_every_honest_party_can_act_in_time_the_watchers_deadline_and_the_mass_exit_fit_in_the_exit_period``.
3. Bounded work: ``test_bounded_work_finalize_is_capped_the_queue_costs_a_log_and_bad_proofs_are_refused_cheaply``.
4. Posted data is final: ``test_posted_data_is_final_roots_and_block_numbers_are_never_replaced``.
5. Identities are fixed by L1: ``test_identities_are_fixed_by_l1_operator_exit_owner_bond_and_signing_domain``.
6. No frozen state: ``test_no_frozen_state_the_operator_vanishing_or_a_challenge_locks_no_honest_coin``.
7. Nothing acknowledged is lost:
   ``test_nothing_acknowledged_is_lost_a_transaction_the_node_acknowledged_survives_a_crash_into_the_next_block``.
8. The node is not an open door:
   ``test_the_node_is_not_an_open_door_admin_routes_need_the_token_and_bad_input_changes_nothing``.

And two attacks particular to the MVP exit game:

- The frustration attack (a spend withheld before its owner confirmed it):
  ``test_the_frustration_attack_an_unconfirmed_spend_in_a_withheld_block_cannot_challenge_its_input``.
- The priority key's edges: ``test_priority_keys_at_their_edges_round_trip_and_out_of_range_positions_are_refused``.

Every test uses the minimal preset (an exit period of 5 L1 blocks *and* 60 seconds, a 0.01 ETH bond).
"""

from __future__ import annotations

import math
import time

import pytest
from fastapi.testclient import TestClient

from contracts_spec.l1 import L1Client, TransactionReverted, encode_call
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import CHALLENGED, FINALIZED, STARTED, RootChain
from contracts_spec.plasma.params import (
    MAX_DEPOSITS_PER_INTERVAL,
    MAX_FINALIZE_PER_CALL,
    MINIMAL,
    SECONDS_PER_SLOT,
    PlasmaPreset,
)
from contracts_spec.runtime import ZERO_ADDRESS
from node.chain import Chain
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.rpc import in_process_l1
from node.schemes.plasma import OPERATOR_ACCOUNT
from node.schemes.plasma.api import router
from node.schemes.plasma.service import PlasmaService
from node.server import create_app
from plasma.operator import Operator, PlasmaRefused, tx_id
from plasma.watcher import Watcher
from primitives import secp256k1
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
GWEI = 10**9
NAMES = ("alice", "bob", "carol", "mallory", "operator", "deployer", "stuffer")
KEYS = {name: bytes([i + 161]) * 32 for i, name in enumerate(NAMES)}
ADDR = {name: private_key_to_address(k) for name, k in KEYS.items()}
PERIOD_BLOCKS, PERIOD_SECONDS, BOND = MINIMAL.exit_period_blocks, MINIMAL.exit_period_seconds, MINIMAL.exit_bond
BLOCK_GAS = 30_000_000
GAS = 2_000_000
DEAD = "0x000000000000000000000000000000000000dEaD"


def gas_of(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


def fee_of(receipt: dict) -> int:
    return gas_of(receipt) * int(receipt["effectiveGasPrice"], 16)


def calldata_gas(data: bytes) -> int:
    """What a transaction's calldata costs before it runs (EIP-2028)."""
    return sum(16 if b else 4 for b in data)


class World:
    """The root chain of the minimal preset, its operator (``plasma.operator.Operator``), and named users."""

    def __init__(self, extra: dict[str, int] | None = None, kind: str | None = None) -> None:
        """``kind``: None for a toy chain whose block production the test drives itself (``self.chain``);
        "toy" or "evm" for a fresh L1 of that kind (``tests.evm_twin.new_l1``), with no chain object."""
        alloc = {a: 1000 * ETH for a in ADDR.values()}
        alloc.update(extra or {})
        if kind is None:
            self.chain = Chain(genesis_alloc=alloc)
            self.l1 = in_process_l1(self.chain)
        else:
            self.l1 = new_l1(kind, alloc)
        self.address = self.l1.deploy(KEYS["operator"], RootChain, *MINIMAL.constructor_args(ADDR["operator"]))
        self.domain = R.Domain(self.l1.chain_id, self.address)
        self.operator = Operator(self.l1, self.address, KEYS["operator"])

    def tx(self, name: str, method: str, *args, value: int = 0, gas: int | None = None, **fees) -> dict:
        return self.l1.transact(KEYS[name], self.address, RootChain, method, *args, value=value, gas=gas, **fees)

    def call(self, method: str, *args):
        return self.l1.call(self.address, RootChain, method, *args)

    def events(self, name: str) -> list[dict]:
        return self.l1.events(self.address, RootChain, name)

    def exit_info(self, utxo_pos: int) -> tuple:
        return self.call("exit_info", utxo_pos)

    def deposit(self, name: str, amount: int) -> int:
        blknum = self.call("next_deposit_block")
        self.tx(name, "deposit", value=amount)
        return R.encode_utxo_pos(blknum, 0, 0)

    def sign(self, name: str, inputs: list[int], outputs: list[tuple[str, int]],
             domain: R.Domain | None = None) -> R.SignedTransaction:
        tx = R.Transaction.spend(inputs, [(ADDR[n], a) for n, a in outputs])
        return R.sign_transaction(tx, [KEYS[name]] * len(inputs), domain or self.domain)

    def snapshot(self, *positions: int) -> tuple:
        """Everything a refused call must leave as it was."""
        return (self.call("current_child_block"), self.call("next_deposit_block"),
                self.call("queue_length", ZERO_ADDRESS), self.call("next_exit", ZERO_ADDRESS),
                self.l1.balance(self.address), tuple(self.exit_info(p) for p in positions))

    def refused(self, name: str, method: str, *args, match: str, value: int = 0, watch: tuple = ()) -> dict:
        """Send a call L1 must refuse (mined, its gas paid, reverted naming ``match``), changing nothing."""
        before = self.snapshot(*watch)
        with pytest.raises(TransactionReverted, match=match) as info:
            self.tx(name, method, *args, value=value, gas=GAS)
        assert self.snapshot(*watch) == before
        receipt = info.value.receipt
        assert receipt is not None and int(receipt["status"], 16) == 0
        return receipt

    def watcher(self, name: str, **kw) -> Watcher:
        op = self.operator
        kw.setdefault("fetch", op.served_block)
        kw.setdefault("confirmations", op.confirmations.get)
        kw.setdefault("post", op.post_confirmation)
        return Watcher(kw.pop("l1", self.l1), self.address, KEYS[name], **kw)

    def wait_out(self) -> None:
        """Let every exit started so far pass its period: its seconds and its blocks, two periods over."""
        self.l1.increase_time(2 * PERIOD_SECONDS + 1)
        self.l1.mine(2 * PERIOD_BLOCKS + 1)

    def finalize_all(self, by: str = "carol") -> list[dict]:
        receipts = []
        while self.call("queue_length", ZERO_ADDRESS):
            receipts.append(self.tx(by, "finalize_exits", ZERO_ADDRESS, MAX_FINALIZE_PER_CALL))
        return receipts

    def paid(self) -> dict[str, int]:
        """What ExitFinalized paid each owner (amount and bond), by name."""
        names = {a.lower(): n for n, a in ADDR.items()}
        out: dict[str, int] = {}
        for e in self.events("ExitFinalized"):
            who = names.get(e["owner"].lower(), e["owner"].lower())
            out[who] = out.get(who, 0) + e["paid"]
        return out


class PoolingL1(L1Client):
    """An L1 client that sends without waiting for a receipt: on a slot-paced L1 the transaction waits in the pool.

    The watchers' exits go through it, so many of them compete for the same blocks, packed by gas used as
    Ethereum packs them, instead of each getting a block of its own from automine.
    """

    def send(self, key: bytes, *, to: str | None, data: bytes = b"", value: int = 0, gas: int | None = None,
             check: bool = True, tip: int | None = None, max_fee: int | None = None) -> dict:
        return {"transactionHash": self.submit(key, to=to, data=data, value=value, gas=gas, tip=tip,
                                               max_fee=max_fee)}


def _stuff(l1: L1Client, tip: int, leave: int) -> None:
    """Fill the next block with the stuffer's calldata-heavy transfers, all but ``leave`` gas, at ``tip``."""
    todo = int(l1.block("latest")["gasLimit"], 16) - leave
    while todo >= 21_000:
        gas = min(todo, 1_900_000)
        data = b"\x01" * ((gas - 21_000) // 16)
        gas = 21_000 + 16 * len(data)
        l1.submit(KEYS["stuffer"], to=DEAD, data=data, gas=gas, tip=tip, max_fee=10_000 * GWEI)
        todo -= gas


# -- 1. time is not for sale -----------------------------------------------------------------------------------


def test_time_is_not_for_sale_no_fee_burst_or_stuffed_block_shortens_the_exit_period() -> None:
    """An exit's period is ``rules.exitable_at`` twice over, in L1 seconds and in L1 blocks, both read from L1
    when the exit starts; nothing the exiter pays changes either. Mallory exits a deposit she spent to Bob,
    at 1,000 gwei a gas; then she mines three periods' worth of blocks with ordinary transactions at the same
    price (the blocks pass, the seconds do not: blocks within a second share its timestamp), and fills
    every block to the brim at 50 gwei. Her exit never finalizes early; Bob's challenge, and Carol's exit,
    outbid the stuffer and land in a stuffed block inside the period; Bob takes her bond and exits in full."""
    w = World()
    assert w.call("params")[:2] == (PERIOD_BLOCKS, PERIOD_BLOCKS * SECONDS_PER_SLOT) == (5, 60)
    coin = w.deposit("mallory", 2 * ETH)
    carol_coin = w.deposit("carol", ETH)
    pay = w.sign("mallory", [coin], [("bob", 2 * ETH)])
    w.operator.submit(pay)
    block = w.operator.make_block()
    assert block is not None
    bob_out = R.encode_utxo_pos(block.blknum, 0, 0)
    confirmation = R.confirm(pay, block.root, KEYS["mallory"])  # what mallory handed bob for his payment

    _, created_at, created_block = w.call("child_block", 1)
    price = {"tip": 1_000 * GWEI, "max_fee": 3_000 * GWEI}
    receipt = w.tx("mallory", "start_deposit_exit", coin, 2 * ETH, value=BOND, **price)
    head = w.l1.block(int(receipt["blockNumber"], 16))
    start_time, start_block = int(head["timestamp"], 16), int(head["number"], 16)
    _, _, state, exit_time, exit_block = w.exit_info(coin)
    assert state == STARTED
    assert exit_time == R.exitable_at(created_at, start_time, PERIOD_SECONDS) == max(
        created_at + 2 * PERIOD_SECONDS, start_time + PERIOD_SECONDS)
    assert exit_block == R.exitable_at(created_block, start_block, PERIOD_BLOCKS) == max(
        created_block + 2 * PERIOD_BLOCKS, start_block + PERIOD_BLOCKS)
    [started] = w.events("ExitStarted")
    assert (started["exitable_at"], started["exitable_block"]) == (exit_time, exit_block)

    # A burst of ordinary transactions at the same price: three periods of blocks, automined at once.
    wall = time.time()
    for _ in range(3 * PERIOD_BLOCKS):
        w.l1.send(KEYS["mallory"], to=DEAD, value=1, gas=21_000, **price)
    assert w.l1.block_number() > exit_block and w.l1.timestamp() < exit_time
    assert w.l1.timestamp() - start_time <= time.time() - wall + 1  # only real time has passed
    w.tx("mallory", "finalize_exits", ZERO_ADDRESS, MAX_FINALIZE_PER_CALL, **price)
    assert w.exit_info(coin)[2] == STARTED and w.paid() == {}

    # Stuffed blocks, mined back to back: bob's challenge at the node's suggested tip waits behind them.
    chal_args = (coin, R.tx_pos(block.blknum, 0), pay.encode(), block.tree.proof(0), confirmation)
    challenge = encode_call(RootChain, "challenge_exit", *chal_args)
    carol_exit = encode_call(RootChain, "start_deposit_exit", carol_coin, ETH)
    w.chain.set_automine(False)
    try:
        bob_nonce = w.l1.nonce(ADDR["bob"])
        waiting = w.l1.submit(KEYS["bob"], to=w.address, data=challenge, gas=300_000)
        for _ in range(PERIOD_BLOCKS):
            _stuff(w.l1, 50 * GWEI, leave=50_000)
            w.chain.mine()
            assert int(w.l1.block("latest")["gasUsed"], 16) >= BLOCK_GAS - 50_000  # full
        assert w.l1.receipt(waiting) is None and w.exit_info(coin)[2] == STARTED
        assert w.l1.block_number() >= start_block + PERIOD_BLOCKS and w.l1.timestamp() < exit_time
        # Bob replaces his challenge at a tip above the stuffer's; Carol exits at one too; the stuffer goes on.
        landed = w.l1.submit(KEYS["bob"], to=w.address, data=challenge, gas=300_000, nonce=bob_nonce,
                             tip=100 * GWEI, max_fee=10_000 * GWEI)
        carol = w.l1.submit(KEYS["carol"], to=w.address, data=carol_exit, value=BOND, gas=300_000,
                            tip=100 * GWEI, max_fee=10_000 * GWEI)
        _stuff(w.l1, 50 * GWEI, leave=50_000)
        w.chain.mine()
    finally:
        w.chain.set_automine(True)
    for h in (landed, carol):
        r = w.l1.receipt(h)
        assert r is not None and int(r["status"], 16) == 1, r
    # They got in a stuffed block, ahead of the stuffer's transactions (one of which now waits for the next).
    assert int(w.l1.block("latest")["gasUsed"], 16) >= BLOCK_GAS - 2_000_000 and w.chain.pending
    assert w.l1.timestamp() < exit_time and w.exit_info(coin)[2] == CHALLENGED
    [challenged] = w.events("ExitChallenged")
    assert challenged["challenger"].lower() == ADDR["bob"].lower()

    w.tx("bob", "start_exit", bob_out, pay.encode(), block.tree.proof(0),
         R.confirmations(pay, block.root, [KEYS["mallory"]]), value=BOND)
    w.wait_out()
    w.finalize_all()
    assert w.paid() == {"bob": 2 * ETH + BOND, "carol": ETH + BOND}
    assert w.l1.balance(w.address) == 0  # mallory's bond went to bob with the challenge


# -- 2. every honest party can act in time ----------------------------------------------------------------------


def starts_block(w: World, utxo_pos: int) -> int:
    return next(e["blockNumber"] for e in w.events("ExitStarted") if e["utxo_pos"] == utxo_pos)


def _users(n: int) -> dict[str, bytes]:
    return {f"user{i}": (2 * 10**6 + i).to_bytes(32, "big") for i in range(n)}


def test_every_honest_party_can_act_in_time_the_watchers_deadline_and_the_mass_exit_fit_in_the_exit_period(
) -> None:
    """A mass exit is only safe if every honest exit starts early enough to queue ahead of the thief's: the
    thief's output is at least two periods younger than its block, so an honest exit is ahead if it starts
    within one period of the withheld block (``rules.exitable_at``). The watcher raises the alarm
    ``deadline_blocks`` (3) L1 blocks after a root whose block is not served, which leaves the minimal
    preset's 5-block, 60-second period two 12-second slots of 30M gas for everyone's exits.

    The L1 here is paced like Ethereum: one block per 12-second slot, 30M gas, transactions waiting in the
    pool and packed by gas used (not automine's block per transaction). 100 users (the size the watcher
    tests claim) hold 150 outputs; the operator withholds a block stealing one of them and exits the theft
    in the very next slot. Every honest exit lands within the period, queues ahead of the thief, and is
    paid in full with its bond; the thief gets no more than its own bond back."""
    users = _users(100)
    alloc = {private_key_to_address(k): 1000 * ETH for k in users.values()}
    w = World(extra=alloc)
    pooled = PoolingL1(w.l1.transport)
    op = w.operator
    watchers = {n: Watcher(pooled, w.address, k, fetch=op.served_block, confirmations=op.confirmations.get,
                           post=op.post_confirmation) for n, k in users.items()}
    names = list(users)
    for i, n in enumerate(names):
        w.l1.transact(users[n], w.address, RootChain, "deposit", value=ETH + i)
    for i in range(0, len(names), 2):  # half the users pay their neighbour, in one block
        payer = watchers[names[i]]
        payer.poll()
        op.submit(payer.pay(watchers[names[i + 1]].owner, ETH // 2))
    assert op.make_block() is not None
    for _ in range(2):  # validate, then the confirmations the first round posted
        for watcher in watchers.values():
            watcher.poll()
    held = {n: watcher.balance() for n, watcher in watchers.items()}

    victim = R.encode_utxo_pos(1000, 0, 1)
    theft = R.sign_transaction(R.Transaction.spend([victim], [(ADDR["operator"], ETH // 2)]),
                               [KEYS["operator"]], op.domain)
    stolen = op.submit_block([theft], check=False, withhold=True)
    withheld_at = w.l1.block_number()
    withheld_time = w.l1.timestamp()
    deadline = watchers[names[0]].deadline_blocks

    w.chain.set_automine(False)
    try:
        thief_pos = R.encode_utxo_pos(stolen.blknum, 0, 0)
        pooled.transact(KEYS["operator"], w.address, RootChain, "start_exit", thief_pos, theft.encode(),
                        stolen.tree.proof(0), R.confirmations(theft, stolen.root, [KEYS["operator"]]), value=BOND)
        alarm_at = None
        while alarm_at is None or w.chain.pending:
            assert w.l1.block_number() < withheld_at + 4 * PERIOD_BLOCKS, "the exits never got in"
            w.chain.mine(1, timestamp=w.chain.head.timestamp + SECONDS_PER_SLOT)
            for watcher in watchers.values():
                watcher.poll()
            if alarm_at is None and all(x.alarm for x in watchers.values()):
                alarm_at = w.l1.block_number()
        last = w.l1.block_number()
    finally:
        w.chain.set_automine(True)

    assert alarm_at == withheld_at + deadline
    assert starts_block(w, thief_pos) == withheld_at + 1  # the thief exited in the very next slot
    starts = {e["utxo_pos"]: e for e in w.events("ExitStarted")}
    honest = {p: e for p, e in starts.items() if p != thief_pos}
    assert len(honest) == 150 and all(r.refused is None for x in watchers.values() for r in x.exits.values())
    landed = sorted({e["blockNumber"] for e in honest.values()})
    blocks_used = landed[-1] - alarm_at
    gas_per_block = {b: int(w.l1.block(b)["gasUsed"], 16) for b in landed}
    assert all(g <= BLOCK_GAS for g in gas_per_block.values())
    worst = max(gas_of(w.l1.receipt(e["transactionHash"])) for e in honest.values())
    room = (PERIOD_BLOCKS - deadline) * (BLOCK_GAS // worst)
    print(f"mass exit: {len(honest)} honest exits in {blocks_used} slot(s) after the alarm "
          f"(gas per block {sorted(gas_per_block.values())}); the period leaves room for {room} exits of "
          f"{worst:,} gas")
    # The deadline and the mass exit fit in the period, in blocks and in seconds...
    assert deadline + blocks_used <= PERIOD_BLOCKS and len(honest) <= room
    assert last == landed[-1]
    for e in honest.values():
        assert int(w.l1.block(e["blockNumber"])["timestamp"], 16) <= withheld_time + PERIOD_SECONDS
    # ...so every honest exit queues ahead of the thief's.
    thief_time = starts[thief_pos]["exitable_at"]
    assert all(R.exit_priority(e["exitable_at"], p) < R.exit_priority(thief_time, thief_pos)
               for p, e in honest.items())

    w.wait_out()
    w.finalize_all()
    order = [e["utxo_pos"] for e in w.events("ExitFinalized")]
    assert order[-1] == thief_pos
    paid: dict[str, int] = {}
    by_owner = {watcher.owner.lower(): n for n, watcher in watchers.items()}
    for e in w.events("ExitFinalized"):
        if e["utxo_pos"] != thief_pos:
            who = by_owner[e["owner"].lower()]
            paid[who] = paid.get(who, 0) + e["paid"]
    assert paid == {n: held[n] + BOND * len(watchers[n].exits) for n in names}
    assert sum(held.values()) == 100 * ETH + sum(range(100))
    assert w.paid()["operator"] <= BOND and w.l1.balance(w.address) == 0


# -- 3. bounded work ---------------------------------------------------------------------------------------------


def test_bounded_work_finalize_is_capped_the_queue_costs_a_log_and_bad_proofs_are_refused_cheaply(l1_kind: str) -> None:
    """``finalize_exits`` pays at most ``MAX_FINALIZE_PER_CALL`` (128) exits a call whatever it is asked, and
    no deployment may raise the cap; the exit queue is a heap, so starting an exit costs a step per level
    (the worst case, each new exit older than all queued, sifts to the root); a proof or confirmation of
    the wrong length is refused before any hashing or signature recovery, so a huge one costs its calldata
    and nothing more. 130 exits of mallory's deposits, queued youngest first: the 128-exit call fits a
    small part of a block, and the queue's last exits are paid in the next call."""
    w = World(kind=l1_kind)
    n = MAX_FINALIZE_PER_CALL + 2
    coins = [w.deposit("mallory", ETH) for _ in range(n)]
    start_gas = [gas_of(w.tx("mallory", "start_deposit_exit", c, ETH, value=BOND)) for c in reversed(coins)]
    levels = math.ceil(math.log2(n + 1))
    print(f"start_deposit_exit gas, queue of 0 to {n - 1}: {start_gas[0]:,} .. {max(start_gas):,}")
    assert max(start_gas) - start_gas[0] <= levels * 8_000  # a cold read and a warm write per level at most
    assert w.call("next_exit", ZERO_ADDRESS)[1] == coins[0]  # the oldest deposit heads the queue

    w.wait_out()
    for asked in (MAX_FINALIZE_PER_CALL + 1, 2**64, 2**256 - 1):
        w.refused("carol", "finalize_exits", ZERO_ADDRESS, asked, match=f"bad max_exits: {asked} outside 1..128")
    receipt = w.tx("carol", "finalize_exits", ZERO_ADDRESS, MAX_FINALIZE_PER_CALL)
    assert w.call("queue_length", ZERO_ADDRESS) == 2 and len(w.events("ExitFinalized")) == MAX_FINALIZE_PER_CALL
    print(f"finalize_exits of 128 from a queue of {n}: {gas_of(receipt):,} gas")
    assert gas_of(receipt) < BLOCK_GAS // 2
    w.tx("carol", "finalize_exits", ZERO_ADDRESS, MAX_FINALIZE_PER_CALL)
    assert [e["utxo_pos"] for e in w.events("ExitFinalized")] == coins
    assert w.paid() == {"mallory": n * (ETH + BOND)} and w.l1.balance(w.address) == 0

    # No deployment raises the cap: the preset and the constructor both refuse it.
    with pytest.raises(ValueError, match="max_finalize must be in 1..128"):
        PlasmaPreset("greedy", exit_period_blocks=5, exit_bond=BOND, max_finalize=MAX_FINALIZE_PER_CALL + 1)
    with pytest.raises(TransactionReverted, match="bad finalize cap: 129 outside 1..128"):
        w.l1.deploy(KEYS["deployer"], RootChain, ADDR["operator"], 5, 60, BOND, MAX_FINALIZE_PER_CALL + 1)

    # Wrong-length proofs and confirmations are refused before the expensive work.
    coin = w.deposit("alice", ETH)
    pay = w.sign("alice", [coin], [("bob", ETH)])
    w.operator.submit(pay)
    block = w.operator.make_block()
    assert block is not None
    out = R.encode_utxo_pos(block.blknum, 0, 0)
    proof, sigs = block.tree.proof(0), R.confirmations(pay, block.root, [KEYS["alice"]])

    def execution_gas(receipt: dict) -> int:
        data = bytes.fromhex(w.l1.rpc("eth_getTransactionByHash", receipt["transactionHash"])["input"][2:])
        return gas_of(receipt) - 21_000 - calldata_gas(data)

    short = execution_gas(w.refused("bob", "start_exit", out, pay.encode(), proof[:-1], sigs, value=BOND,
                                    match="bad proof: a proof is 16 siblings", watch=(out,)))
    huge = execution_gas(w.refused("bob", "start_exit", out, pay.encode(), proof * 64, sigs, value=BOND,
                                   match="bad proof: a proof is 16 siblings", watch=(out,)))
    huge_sigs = execution_gas(w.refused("bob", "start_exit", out, pay.encode(), proof, sigs * 100, value=BOND,
                                        match="bad confirmation: confirmations are 130 bytes", watch=(out,)))
    valid = execution_gas(w.tx("bob", "start_exit", out, pay.encode(), proof, sigs, value=BOND))
    print(f"execution gas of start_exit: proof of 511 bytes {short:,}, of 32 KiB {huge:,}, confirmations of "
          f"13 KB {huge_sigs:,}, the valid exit {valid:,}")
    assert huge <= short + 5_000 and huge_sigs <= short + 5_000  # no work grows with what was sent
    assert huge < valid // 3  # no keccak over the proof, no signature recovered


# -- 4. posted data is final ---------------------------------------------------------------------------------------


def test_posted_data_is_final_roots_and_block_numbers_are_never_replaced(l1_kind: str) -> None:
    """L1 numbers every block itself: ``submit_block`` takes a root and no number, ``deposit`` neither, and no
    method of the root chain writes a block it has already recorded. Operator blocks are 1000, 2000, ...;
    deposits fill the 999 numbers between, and the 1000th deposit of an interval is refused, naming the
    limit, until the next operator block, so a deposit can never take (or be taken by) an operator block's
    number. Here the operator submits the same root twice (it gets a new number; the first stays as it was),
    999 deposits fill an interval, the 1000th is refused changing nothing, and the root that follows still
    lands at its own number; the last deposit of the full interval exits in full."""
    w = World(kind=l1_kind)
    writers = {f["name"] for f in RootChain.abi() if f["type"] == "function" and f["stateMutability"] != "view"}
    # Only submit_block writes a root; the exit games (MVP's and MoreVP's in-flight one) never touch blocks.
    assert writers == {"deposit", "submit_block", "start_deposit_exit", "start_exit", "challenge_exit",
                       "finalize_exits", "start_in_flight_exit", "piggyback_input", "piggyback_output",
                       "challenge_in_flight_exit_not_canonical", "respond_to_non_canonical_challenge",
                       "challenge_piggybacked_input_spent", "challenge_piggybacked_output_spent",
                       "challenge_standard_exit_in_flight"}
    first = w.deposit("alice", ETH)
    pay = w.sign("alice", [first], [("bob", ETH)])
    w.operator.submit(pay)
    block = w.operator.make_block()
    assert block is not None and block.blknum == 1000
    recorded = w.call("child_block", 1000)
    # The operator sends the very same root again: L1 makes it block 2000 and leaves 1000 alone.
    w.tx("operator", "submit_block", block.root)
    assert w.call("child_block", 2000)[0] == block.root and w.call("child_block", 1000) == recorded
    assert w.call("child_block", 1)[0] == R.deposit_root(ADDR["alice"], ETH)

    # Fill the interval before operator block 3000 with 999 deposits.
    assert w.call("next_deposit_block") == 2001
    for _ in range(MAX_DEPOSITS_PER_INTERVAL - 1):
        w.tx("carol", "deposit", value=1, gas=150_000)
    last = w.deposit("carol", 7)
    assert last == R.encode_utxo_pos(2999, 0, 0)
    assert w.call("next_deposit_block") == w.call("current_child_block") == 3000
    w.refused("bob", "deposit", value=ETH, match="deposit limit: 999 deposit blocks already precede operator "
                                                  "block 3000; deposit again once the operator has submitted it")
    assert w.call("child_block", 3000) == (bytes(32), 0, 0)
    root = b"\x33" * 32
    w.tx("operator", "submit_block", root)
    assert w.call("child_block", 3000)[0] == root
    assert w.deposit("bob", ETH) == R.encode_utxo_pos(3001, 0, 0)

    deposits = [e["blknum"] for e in w.events("DepositCreated")]
    operator_blocks = [e["blknum"] for e in w.events("BlockSubmitted")]
    assert operator_blocks == [1000, 2000, 3000] and all(b % 1000 for b in deposits)
    assert len(set(deposits)) == len(deposits) == 1 + MAX_DEPOSITS_PER_INTERVAL + 1
    assert w.call("child_block", 1000) == recorded and w.call("child_block", 2999)[0] == R.deposit_root(
        ADDR["carol"], 7)

    w.tx("carol", "start_deposit_exit", last, 7, value=BOND)
    w.wait_out()
    w.finalize_all()
    assert w.paid() == {"carol": 7 + BOND}


# -- 5. identities are fixed by L1 -----------------------------------------------------------------------------


def test_identities_are_fixed_by_l1_operator_exit_owner_bond_and_signing_domain(l1_kind: str) -> None:
    """What L1 fixed is what counts: the operator is the address the constructor got (not whoever deployed),
    an exit belongs to and pays the address L1 saw start it (whoever finalizes), its bond is exactly the
    deployment's, and a spend is signed under ``rules.Domain`` (the chain id and the root chain's address),
    so a signature made for another chain or another root chain spends nothing here: the operator refuses
    it, ``check_block`` refuses it, and L1 will not exit an output of it even when a dishonest operator
    puts it in a block."""
    w = World(kind=l1_kind)
    other = w.l1.deploy(KEYS["deployer"], RootChain, *MINIMAL.constructor_args(ADDR["carol"]))
    assert w.l1.call(other, RootChain, "operator").lower() == ADDR["carol"].lower()
    with pytest.raises(TransactionReverted, match=f"not the operator: only {ADDR['carol']} submits"):
        w.l1.transact(KEYS["deployer"], other, RootChain, "submit_block", b"\x01" * 32, gas=GAS)
    with pytest.raises(TransactionReverted, match="not the operator"):
        w.l1.transact(KEYS["operator"], other, RootChain, "submit_block", b"\x01" * 32, gas=GAS)
    w.l1.transact(KEYS["carol"], other, RootChain, "submit_block", b"\x01" * 32)
    assert w.l1.call(other, RootChain, "current_child_block") == 2000

    coin = w.deposit("alice", 2 * ETH)
    for value in (0, BOND - 1, BOND + 1, 2 * BOND):
        w.refused("alice", "start_deposit_exit", coin, 2 * ETH, value=value,
                  match=f"bad bond: an exit is bonded with exactly {BOND} wei, got {value}", watch=(coin,))
    # Alice's spend signed for another chain, and for another root chain on this one.
    foreign = [R.Domain(w.l1.chain_id + 1, w.address), R.Domain(w.l1.chain_id, other)]
    for domain in foreign:
        signed = w.sign("alice", [coin], [("bob", 2 * ETH)], domain=domain)
        with pytest.raises(PlasmaRefused, match="bad signature: input 0 .* is not signed by its owner"):
            w.operator.submit(signed)
        with pytest.raises(R.PlasmaRuleError, match="bad signature"):
            R.check_block(1000, [signed], w.operator.view.utxos, R.recover_signers([signed], w.domain))
        R.check_block(1000, [signed], w.operator.view.utxos, R.recover_signers([signed], domain))  # valid there
    assert w.operator.pending == []
    # A dishonest operator includes one anyway; Alice even confirms it. L1 still exits nothing of it.
    signed = w.sign("alice", [coin], [("bob", 2 * ETH)], domain=foreign[1])
    block = w.operator.submit_block([signed], check=False)
    out = R.encode_utxo_pos(block.blknum, 0, 0)
    w.refused("bob", "start_exit", out, signed.encode(), block.tree.proof(0),
              R.confirmations(signed, block.root, [KEYS["alice"]]), value=BOND,
              match="bad confirmation: input 0 is not confirmed by its signer", watch=(out,))

    # Alice's exit is hers, whoever finalizes it; a finalizer gets nothing but the gas it paid.
    w.tx("alice", "start_deposit_exit", coin, 2 * ETH, value=BOND)
    assert w.exit_info(coin)[0].lower() == ADDR["alice"].lower()
    w.wait_out()
    before = w.l1.balance(ADDR["mallory"])
    receipt = w.tx("mallory", "finalize_exits", ZERO_ADDRESS, 1)
    assert w.l1.balance(ADDR["mallory"]) == before - fee_of(receipt)
    assert w.paid() == {"alice": 2 * ETH + BOND} and w.exit_info(coin)[2] == FINALIZED


# -- 6. no frozen state --------------------------------------------------------------------------------------------


def test_no_frozen_state_the_operator_vanishing_or_a_challenge_locks_no_honest_coin(l1_kind: str) -> None:
    """Nothing the operator does after the fact, disappearing included, keeps an honest user's coins in:
    each watcher kept every block it validated (the transactions, hence every inclusion proof), and each
    recipient holds the confirmation its sender handed over (MVP's hand-over; here a wallet store filled as
    the senders post them). The operator then serves nothing and accepts nothing; every user exits every
    output it holds from what it kept, and is paid in full. A challenged exit never restarts, but it takes
    only the disproved claim: Carol's exit of a deposit she had spent is challenged, and her other deposit
    and Bob's output of her spend still exit. A deposit that could never exit (zero, or more wei than an
    output holds) is refused when it is made."""
    w = World(extra={ADDR["mallory"]: 2**130}, kind=l1_kind)
    op = w.operator
    up = [True]
    handed: dict[str, bytes] = {}  # the confirmations each sender handed its recipients

    def fetch(blknum: int):
        return op.served_block(blknum) if up[0] else None

    def post(ident: str, sigs: bytes) -> None:
        if not up[0]:
            raise ConnectionError("the operator is gone")
        op.post_confirmation(ident, sigs)
        handed[ident] = sigs

    users = {n: w.watcher(n, fetch=fetch, confirmations=handed.get, post=post) for n in ("alice", "bob", "carol")}
    w.deposit("alice", 5 * ETH)
    carol_spent = w.deposit("carol", ETH)
    carol_kept = w.deposit("carol", 2 * ETH)
    users["alice"].poll()
    op.submit(users["alice"].pay(ADDR["bob"], 3 * ETH))
    op.submit(w.sign("carol", [carol_spent], [("bob", ETH)]))
    assert op.make_block() is not None
    for _ in range(2):
        for u in users.values():
            u.poll()
    assert len(handed) == 2 and {n: u.balance() for n, u in users.items()} == {
        "alice": 2 * ETH, "bob": 4 * ETH, "carol": 2 * ETH}

    up[0] = False  # the operator disappears: no block, no data, no confirmation served or taken
    # Carol (an old wallet backup) exits the deposit she spent; Bob's watcher disproves it with what it kept.
    w.tx("carol", "start_deposit_exit", carol_spent, ETH, value=BOND)
    users["bob"].poll()
    assert users["bob"].challenged == [carol_spent] and w.exit_info(carol_spent)[2] == CHALLENGED
    w.refused("carol", "start_deposit_exit", carol_spent, ETH, value=BOND,
              match="exit exists: .* already challenged and cannot start again", watch=(carol_spent,))
    for name, u in users.items():
        records = u.exit_all()
        assert records and all(r.refused is None for r in records), (name, [r.refused for r in records])
    assert carol_kept in users["carol"].exits
    w.wait_out()
    w.finalize_all()
    assert w.paid() == {"alice": 2 * ETH + BOND, "bob": 4 * ETH + 2 * BOND, "carol": 2 * ETH + BOND}
    assert w.l1.balance(w.address) == 0

    # Deposits that could never be exited are refused when made. (anvil's pool turns away any transaction
    # whose value nears 2**128 wei, "insufficient funds" whatever the balance, before a contract sees it: there
    # the over-large deposit is the toy L1's to show.)
    for value in (0, R.MAX_AMOUNT + 1) if l1_kind == "toy" else (0,):
        w.refused("mallory", "deposit", value=value, match="deposit")


# -- 7. nothing acknowledged is lost -------------------------------------------------------------------------------


DEV = derive_dev_accounts(4)
TOKEN = "safety-token-" * 3
ALICE, BOB = DEV[0], DEV[1]
OWN = "http://127.0.0.1:8545"


class Node:
    """A node hosting the Plasma child chain (``test_plasma_api``'s way), its operator log in ``data_dir``."""

    def __init__(self, data_dir) -> None:
        self.chain = Chain(genesis_alloc=genesis_alloc(DEV, 100 * ETH))
        self.app = create_app(self.chain, dev_keys=dev_keys(DEV), routers=[router], admin_token=TOKEN,
                              origins=[OWN])
        self.l1 = L1Client.in_process(self.app.state.dispatcher)
        self.data_dir = data_dir
        self.service = PlasmaService.deploy(self.l1, DEV[OPERATOR_ACCOUNT].private_key, MINIMAL, data_dir)
        self.app.state.plasma = self.service
        self.http = TestClient(self.app, raise_server_exceptions=False)
        self.admin = TestClient(self.app, headers={"Authorization": f"Bearer {TOKEN}"},
                                raise_server_exceptions=False)
        self.domain = R.Domain(self.l1.chain_id, self.service.address)

    def crash_and_restart(self) -> PlasmaService:
        """The operator's process dies (its log is not shut down, only what it committed is there); a new one starts."""
        self.service.operator.log.close()
        self.service = PlasmaService(self.l1, self.service.address, DEV[OPERATOR_ACCOUNT].private_key,
                                     self.data_dir, preset_name=MINIMAL.name)
        self.app.state.plasma = self.service
        return self.service

    def deposit(self, who, amount: int) -> int:
        self.l1.transact(who.private_key, self.service.address, RootChain, "deposit", value=amount)
        return R.encode_utxo_pos(self.l1.call(self.service.address, RootChain, "next_deposit_block") - 1, 0, 0)

    def pay(self, who, inputs, outputs) -> R.SignedTransaction:
        return R.sign_transaction(R.Transaction.spend(inputs, outputs), [who.private_key] * len(inputs), self.domain)

    def root(self, blknum: int) -> bytes:
        return self.l1.call(self.service.address, RootChain, "child_block", blknum)[0]

    def state(self) -> tuple:
        op = self.service.operator
        op.sync()
        return (self.chain.block_number, self.l1.call(self.service.address, RootChain, "current_child_block"),
                tuple(tx_id(t) for t in op.pending), tuple(sorted(op.view.utxos)), len(op.confirmations),
                tuple(sorted((n, b.withheld) for n, b in op.blocks.items())))


@pytest.fixture
def node(tmp_path):
    n = Node(tmp_path)
    yield n
    n.service.shutdown()
    n.chain.close()


def test_nothing_acknowledged_is_lost_a_transaction_the_node_acknowledged_survives_a_crash_into_the_next_block(
        node) -> None:
    """The operator logs a transaction (SQLite, synchronous, committed) before ``POST
    /api/plasma/transactions`` answers 200 with its id, and a confirmation before ``POST
    /api/plasma/confirmations`` answers. The operator's process dies right after both answers; the one
    that starts on the same log has every acknowledged transaction pending (in the order acknowledged),
    every confirmation served, the block L1 holds served, and the next tick puts the transactions in the
    next block, whose root lands on L1. Alice then exits her change from the block before the crash, with the
    proof and the confirmation the restarted node serves, and is paid in full."""
    a, b = node.deposit(ALICE, 3 * ETH), node.deposit(BOB, ETH)
    first = node.pay(ALICE, [a], [(BOB.address, 2 * ETH), (ALICE.address, ETH)])
    r = node.http.post("/api/plasma/transactions", json={"tx": "0x" + first.encode().hex()})
    assert r.status_code == 200
    node.service.tick()
    sigs = R.confirmations(first, node.root(1000), [ALICE.private_key])
    r = node.http.post("/api/plasma/confirmations", json={"id": tx_id(first), "confirmations": "0x" + sigs.hex()})
    assert r.status_code == 200 and r.json()["confirmed"]
    acknowledged = []
    for signed in (node.pay(BOB, [b], [(ALICE.address, ETH)]),
                   node.pay(BOB, [R.encode_utxo_pos(1000, 0, 0)], [(ALICE.address, 2 * ETH)])):
        r = node.http.post("/api/plasma/transactions", json={"tx": "0x" + signed.encode().hex()})
        assert r.status_code == 200 and r.json() == {"id": tx_id(signed), "status": "pending", "next_block": 2000}
        acknowledged.append(signed)

    service = node.crash_and_restart()
    assert service.operator.recovered == 2 and service.operator.pending == acknowledged
    for signed in acknowledged:
        assert node.http.get(f"/api/plasma/transactions/{tx_id(signed)}").json()["status"] == "pending"
    assert node.http.get(f"/api/plasma/confirmations/{tx_id(first)}").json()["confirmations"] == "0x" + sigs.hex()
    assert node.http.get("/api/plasma/blocks/1000").json()["transactions"][0]["id"] == tx_id(first)

    assert service.tick()["block"]["blknum"] == 2000
    block = service.operator.blocks[2000]
    assert block.txs == acknowledged and node.root(2000) == block.root
    for i, signed in enumerate(acknowledged):
        where = node.http.get(f"/api/plasma/transactions/{tx_id(signed)}").json()
        assert (where["status"], where["blknum"], where["txindex"]) == ("included", 2000, i)

    # Alice's change from block 1000 exits with what the restarted node serves.
    proof = node.http.get(f"/api/plasma/proofs/{R.encode_utxo_pos(1000, 0, 1)}").json()
    node.l1.transact(ALICE.private_key, service.address, RootChain, "start_exit", R.encode_utxo_pos(1000, 0, 1),
                     bytes.fromhex(proof["tx"][2:]), bytes.fromhex(proof["proof"][2:]),
                     bytes.fromhex(proof["confirmations"][2:]), value=BOND)
    node.l1.increase_time(2 * PERIOD_SECONDS + 1)
    node.l1.mine(2 * PERIOD_BLOCKS + 1)
    node.l1.transact(BOB.private_key, service.address, RootChain, "finalize_exits", ZERO_ADDRESS, 1)
    [paid] = node.l1.events(service.address, RootChain, "ExitFinalized")
    assert (paid["owner"].lower(), paid["paid"]) == (ALICE.address.lower(), ETH + BOND)


# -- 8. the node is not an open door --------------------------------------------------------------------------------


def test_the_node_is_not_an_open_door_admin_routes_need_the_token_and_bad_input_changes_nothing(node) -> None:
    """The routes that change what the operator does on its own (make a block now, withhold one: the lab's
    dishonest operator) need the node's token: without it, or with a wrong one, they answer 401 and nothing
    changes, no block on L1 and nothing withheld; a foreign web page is refused even with the token. The
    public routes answer input off their form with 400 (or the node's 422 for a path that is not a number),
    something absent with 404, a rule broken with 409, each naming the problem, never a 500, and with
    nothing changed."""
    coin = node.deposit(ALICE, 2 * ETH)
    signed = node.pay(ALICE, [coin], [(BOB.address, ETH)])
    assert node.http.post("/api/plasma/transactions", json={"tx": "0x" + signed.encode().hex()}).status_code == 200
    doors = [("/api/plasma/blocks", {"withhold": True}), ("/api/plasma/blocks", None),
             ("/api/plasma/withhold/1000", None)]
    wrong = TestClient(node.app, headers={"Authorization": "Bearer " + TOKEN[:-1] + "x"},
                       raise_server_exceptions=False)
    basic = TestClient(node.app, headers={"Authorization": "Basic " + TOKEN}, raise_server_exceptions=False)
    before = node.state()
    for client in (node.http, wrong, basic):
        for path, body in doors:
            r = client.post(path, json=body)
            assert r.status_code == 401 and "admin route" in r.json()["detail"], (path, r.text)
            assert node.state() == before, path
    r = node.admin.post("/api/plasma/blocks", json={"withhold": True}, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403 and "refused" in r.json()["detail"]
    assert node.state() == before and node.root(1000) == bytes(32)

    r = node.admin.post("/api/plasma/blocks")
    assert r.status_code == 200 and r.json()["blknum"] == 1000 and not r.json()["withheld"]
    before = node.state()
    for client in (node.http, wrong):
        assert client.post("/api/plasma/withhold/1000").status_code == 401
    assert node.http.get("/api/plasma/blocks/1000").status_code == 200 and node.state() == before

    sig_bytes = R.confirmations(signed, node.root(1000), [ALICE.private_key])
    sig_hex = "0x" + sig_bytes.hex()
    big = str(2**64)
    cases = [
        ("get", "/api/plasma/blocks/abc", None, 422, "blknum"),
        ("get", "/api/plasma/blocks/-1000", None, 400, "blknum must be a block number"),
        ("get", f"/api/plasma/blocks/{(R.MAX_BLKNUM + 1) * 1000}", None, 400, "blknum must be a block number"),
        ("get", f"/api/plasma/proofs/{big}", None, 400, "utxo_pos must be in 1.."),
        ("get", "/api/plasma/proofs/1000000020000", None, 404, "no served transaction at block 1000, index 2"),
        ("get", "/api/plasma/proofs/1000000000002", None, 404, "no output at utxo_pos"),
        ("get", "/api/plasma/spends/x1", None, 422, "utxo_pos"),
        ("get", "/api/plasma/utxos/" + "0x" + "zz" * 20, None, 400, "owner must be a 0x-prefixed 20-byte address"),
        ("post", "/api/plasma/transactions", {"tx": "0x" + signed.encode().hex() + "00"}, 400,
         "tx must be 218 bytes, got 219"),
        ("post", "/api/plasma/transactions", {"tx": None}, 400, "tx must be hex text"),
        ("post", "/api/plasma/transactions", "0x" + signed.encode().hex(), 400, "must be a JSON object"),
        ("post", "/api/plasma/transactions", {"tx": "0x" + signed.encode()[:88].hex() + "00" * 130}, 409,
         "bad signature"),
        ("post", "/api/plasma/confirmations", {"id": tx_id(signed), "confirmations": "0x" + (sig_bytes * 3).hex()}, 400,
         "one or two 65-byte signatures"),
        ("post", "/api/plasma/confirmations", {"id": tx_id(signed)}, 400, "confirmations is required"),
        ("post", "/api/plasma/confirmations", {"id": tx_id(signed), "confirmations": "0x" + "11" * 65 + "00" * 65},
         409, "bad confirmation: input 0 is not confirmed by its signer"),
    ]
    for method, path, body, code, needle in cases:
        before = node.state()
        r = node.http.get(path) if method == "get" else node.http.post(path, json=body)
        assert r.status_code == code, (path, body, r.status_code, r.text)
        assert needle in r.text, (path, r.text)
        assert node.state() == before, path
    r = node.http.post("/api/plasma/transactions", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422) and node.state() == before
    r = node.http.post("/api/plasma/confirmations", json={"id": tx_id(signed), "confirmations": sig_hex})
    assert r.status_code == 200  # and the right one is taken


# -- the frustration attack ---------------------------------------------------------------------------------------------


def test_the_frustration_attack_an_unconfirmed_spend_in_a_withheld_block_cannot_challenge_its_input(l1_kind: str) -> None:
    """Alice sends Bob a transaction; the operator includes it in a block and withholds the block. Alice
    never saw the block, so she never signs the confirmation of her spend, and her watcher raises the alarm
    and exits the input (her deposit) instead. The operator holds the included spend, its proof and Alice's
    *spend* signature, but a challenge needs her confirmation: its own, her spend signature passed as one,
    and empty bytes are all refused, before and after it serves the block at last, and a watcher that then
    validates the block finds no confirmation to challenge with. Bob cannot exit the unconfirmed payment
    either. Alice is paid her deposit in full, with her bond."""
    w = World(kind=l1_kind)
    alice = w.watcher("alice")
    coin = w.deposit("alice", 3 * ETH)
    w.deposit("carol", ETH)
    alice.poll()
    spend = alice.pay(ADDR["bob"], 3 * ETH)
    w.operator.submit(spend)
    block = w.operator.make_block()
    assert block is not None
    w.operator.withhold(block.blknum)
    alice.poll()
    assert alice.alarm is None
    w.l1.mine(alice.deadline_blocks)
    alice.poll()
    assert alice.alarm is not None and "withheld" in alice.alarm
    assert set(alice.exits) == {coin} and alice.exits[coin].refused is None
    assert tx_id(spend) not in w.operator.confirmations  # she confirmed nothing

    spend_pos = R.tx_pos(block.blknum, 0)
    digest = R.confirmation_digest(spend.tx.hash(), block.root)
    forgeries = {
        "the operator's own": R.confirm(spend, block.root, KEYS["operator"]),
        "alice's spend signature": spend.signatures[0],
        "bob's": R.confirm(spend, block.root, KEYS["bob"]),
        "alice's, of another root": R.confirm(spend, b"\x01" * 32, KEYS["alice"]),
        "empty": bytes(65),
    }
    assert all(secp256k1.recover_signers([digest], [s], strict=False)[0] != ADDR["alice"]
               for s in forgeries.values())

    def try_all(by: str) -> None:
        for sig in forgeries.values():
            w.refused(by, "challenge_exit", coin, spend_pos, spend.encode(), block.tree.proof(0), sig,
                      match="bad confirmation", watch=(coin,))

    try_all("operator")
    # The operator serves the block at last; a fresh watcher validates it, and has nothing to challenge with.
    w.operator.blocks[block.blknum].withheld = False
    carol = w.watcher("carol")
    carol.poll()
    assert block.blknum in carol.blocks and carol.challenged == [] and w.exit_info(coin)[2] == STARTED
    try_all("carol")
    bob_out = R.encode_utxo_pos(block.blknum, 0, 0)
    w.refused("bob", "start_exit", bob_out, spend.encode(), block.tree.proof(0), bytes(65) + bytes(65),
              value=BOND, match="bad signature|bad confirmation", watch=(bob_out,))
    w.refused("bob", "start_exit", bob_out, spend.encode(), block.tree.proof(0),
              forgeries["the operator's own"] + bytes(65), value=BOND, match="bad confirmation", watch=(bob_out,))

    w.wait_out()
    w.finalize_all()
    assert w.paid() == {"alice": 3 * ETH + BOND}
    assert w.l1.balance(w.address) == ETH  # carol's deposit, untouched


# -- priority keys at their edges ----------------------------------------------------------------------------------------


def test_priority_keys_at_their_edges_round_trip_and_out_of_range_positions_are_refused() -> None:
    """A queue key is ``exitable_at << 128 | utxo_pos``: the position fits its 64 bits at every field's maximum
    (block ``MAX_BLKNUM``, transaction 65,535, output 1), the exitable time its 128 (any uint64 timestamp
    plus two periods), and the key decodes to what made it at both ends; one past any field is refused as a
    "bad position" or "bad priority", by the rules and by the root chain alike, which stores nothing for it."""
    top = R.encode_utxo_pos(R.MAX_BLKNUM, R.MAX_TXS_PER_BLOCK - 1, R.OUTPUTS_PER_TX - 1)
    assert top <= 2**64 - 1 and R.decode_utxo_pos(top) == (R.MAX_BLKNUM, R.MAX_TXS_PER_BLOCK - 1, 1)
    assert R.decode_utxo_pos(R.BLOCK_OFFSET) == (1, 0, 0)
    for args in ((R.MAX_BLKNUM + 1, 0, 0), (0, 0, 0), (1, R.MAX_TXS_PER_BLOCK, 0), (1, 0, 2), (1, -1, 0)):
        with pytest.raises(R.PlasmaRuleError, match="bad position"):
            R.encode_utxo_pos(*args)
    for pos in (0, 2**64, 2**64 - 1, 1, R.BLOCK_OFFSET + R.MAX_TXS_PER_BLOCK * R.TX_OFFSET, R.BLOCK_OFFSET + 2):
        with pytest.raises(R.PlasmaRuleError, match="bad position"):
            R.decode_utxo_pos(pos)

    latest = R.exitable_at(2**64 - 1, 2**64 - 1, 2**32 * 12)  # the largest timestamp, the largest preset
    assert latest < 2**128
    for exitable, pos in ((0, 1), (2**128 - 1, top), (latest, top), (2**128 - 1, 1), (0, 2**64 - 1)):
        key = R.exit_priority(exitable, pos)
        assert key < 2**256 and R.decode_priority(key) == (exitable, pos)
    assert R.exit_priority(7, top) < R.exit_priority(8, 1)  # time first
    assert R.exit_priority(7, top - 1) < R.exit_priority(7, top)  # then age
    for exitable, pos in ((2**128, 1), (-1, 1), (0, 0), (0, 2**64)):
        with pytest.raises(R.PlasmaRuleError, match="bad priority"):
            R.exit_priority(exitable, pos)

    w = World()
    coin = w.deposit("alice", ETH)
    for pos in (0, 2**64, 2**256 - 1, R.BLOCK_OFFSET + 2, R.BLOCK_OFFSET + R.MAX_TXS_PER_BLOCK * R.TX_OFFSET):
        w.refused("alice", "start_deposit_exit", pos, ETH, value=BOND, match="bad position", watch=(coin,))
        w.refused("alice", "start_exit", pos, bytes(218), bytes(512), bytes(130), value=BOND, match="bad position",
                  watch=(coin,))
    w.refused("alice", "start_deposit_exit", top, ETH, value=BOND, match="not a deposit output", watch=(coin,))
    w.refused("alice", "start_deposit_exit", R.encode_utxo_pos(R.MAX_BLKNUM, 0, 0), ETH, value=BOND,
              match=f"unknown block: child block {R.MAX_BLKNUM} was never created", watch=(coin,))
    w.tx("alice", "start_deposit_exit", coin, ETH, value=BOND)
    for spend_pos in (0, 2**64, 2**256 - 1):
        w.refused("bob", "challenge_exit", coin, spend_pos, bytes(218), bytes(512), bytes(65),
                  match="bad position", watch=(coin,))
    exitable, pos = w.call("next_exit", ZERO_ADDRESS)
    assert pos == coin and exitable == w.exit_info(coin)[3]
    assert w.exit_info(2**256 - 1) == (ZERO_ADDRESS, 0, 0, 0, 0)
    w.wait_out()
    w.finalize_all()
    assert w.paid() == {"alice": ETH + BOND}
