"""Disputes every honest party can win in time: the bisection rollup's adversarial scenarios.

Regression scenarios for three attacks on the bisection game, each in the
protocol's words, each checking that honest users lose nothing:

- a sham dispute, opened first by a puppet of the operator, used to keep the
  honest challenger out until the fraudulent batch was final (one dispute at
  a time, and the window never waited);
- a stalled dispute, which froze finality until someone called ``timeout``
  by hand (the honest actors claimed timeouts only on some turns);
- a proposer posting batches during its own move, so the winning move had to
  revert them all and no longer fitted in a block;

and the challenger whose dispute must get in through blocks stuffed with
higher tips before the window closes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contracts_spec.l1 import TransactionReverted, max_fee_for
from contracts_spec.optimistic.bisection import TURN_BISECT, TURN_CHOOSE, TURN_STEP, BisectionRollup
from contracts_spec.optimistic.params import MAINNET, MINIMAL, Preset
from contracts_spec.optimistic.rules import Account
from primitives.keccak import keccak256
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import Wallet
from rollup.optimistic.dispute import (
    BatchDefender,
    BisectionChallenger,
    BisectionProposer,
    play,
    read_dispute,
)
from rollup.optimistic.fullnode import FullNode, force_deposits
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.operator import Operator
from tests.evm_twin import new_l1

ETH = 10**18
GWEI = 10**9
MILLI = ETH // 1000
NAMES = ("operator", "challenger", "puppet", "liar", "alice", "bob", "mallory", "stuffer", "bystander")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}
ADDR = {name: private_key_to_address(k) for name, k in KEYS.items()}
DEAD = "0x000000000000000000000000000000000000dEaD"
METHODS = {keccak256(f"{f['name']}({','.join(i['type'] for i in f['inputs'])})".encode())[:4].hex(): f["name"]
           for f in BisectionRollup.abi() if f.get("type") == "function"}


class Rollup:
    """A bisection rollup on a fresh L1: Alice, Bob and Mallory deposit 5 ETH each in batch 0."""

    def __init__(self, preset: Preset = MINIMAL, kind: str = "toy") -> None:
        self.preset = preset
        self.l1 = new_l1(kind, {a: 10_000 * ETH for a in ADDR.values()})
        self.rollup = RollupL1.deploy(self.l1, KEYS["operator"], preset, ADDR["operator"], BisectionRollup)
        self.operator = Operator(self.rollup, KEYS["operator"])
        self.operator.post_bond(preset.min_bond)
        self.wallets = {n: Wallet(KEYS[n], self.l1.chain_id, self.rollup.address) for n in NAMES}
        for name in ("alice", "bob", "mallory"):
            self.rollup.transact(KEYS[name], "deposit", ADDR[name], value=5 * ETH)
        self.operator.sync()
        self.operator.post_batch()
        self.challenger = BisectionChallenger(self.rollup, KEYS["challenger"])
        self.proposer = BisectionProposer(self.operator)
        self.paid = 0  # what Alice paid Bob in posted batches

    def post_batch(self, steps: int, theft_at: int | None = None) -> int:
        """Alice pays Bob 0.001 ETH a step; at ``theft_at`` Mallory pays Bob 0.01 ETH and the operator
        credits her 3 ETH from nowhere. The new batch's index."""
        alice = self.wallets["alice"]
        for step in range(steps):
            if step == theft_at:
                mal, bob = self.operator.state.get_account(2), self.operator.state.get_account(1)
                tx = self.wallets["mallory"].transfer(2, 1, 10 * MILLI, mal.nonce)
                self.operator.sequencer.inject(tx, {
                    2: Account(mal.address, mal.balance + 3 * ETH, mal.nonce + 1),
                    1: bob._replace(balance=bob.balance + 10 * MILLI)})
            else:
                nonce = self.operator.state.get_account(0).nonce
                assert self.operator.submit([alice.transfer(0, 1, MILLI, nonce)]) == [None]
                self.paid += MILLI
        self.operator.post_batch()
        return len(self.operator.posted) - 1

    def advance(self, seconds: int) -> None:
        target = self.l1.timestamp() + seconds
        while (now := self.l1.timestamp()) < target:
            self.l1.increase_time(target - now)

    def ticks(self, seconds: int, every: int) -> Iterator[int]:
        """Let ``seconds`` of L1 time pass, ``every`` seconds at a time; yields the seconds passed so far."""
        for passed in range(every, seconds + every, every):
            self.advance(every)
            yield passed

    def events(self, name: str) -> list[dict]:
        return self.l1.events(self.rollup.address, BisectionRollup, name)

    def opened_by(self, name: str) -> list[dict]:
        return [e for e in self.events("DisputeOpened") if int(e["challenger"], 16) == int(ADDR[name], 16)]

    def fees_paid(self, receipts: list[dict]) -> int:
        return sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in receipts)

    def assert_honest_users_lost_nothing(self, mallory_paid: int = 0) -> None:
        """After the operator catches up and posts what it re-admitted, L1 alone says: Alice has what she
        did not pay Bob, Bob what he was paid, Mallory nothing from nowhere."""
        self.operator.sync()
        if self.rollup.call("bond_of", ADDR["operator"]) < self.preset.min_bond:
            self.operator.post_bond(self.preset.min_bond)
        self.operator.post_batch()
        node = FullNode(self.rollup)
        node.sync()
        assert node.faults() == []
        assert node.state.balance(0) == 5 * ETH - self.paid
        assert node.state.balance(1) == 5 * ETH + self.paid + mallory_paid
        assert node.state.balance(2) == 5 * ETH - mallory_paid


@pytest.fixture
def rollup(l1_kind: str) -> Rollup:
    """The game on a fresh L1: the toy L1, or anvil with the BisectionRollup's Solidity twin."""
    return Rollup(kind=l1_kind)


# -- finding 2: a sham dispute opened first ---------------------------------------------------------------


@pytest.mark.parametrize(("preset", "head_start"), [(MINIMAL, 0), (MAINNET, 0), (MAINNET, 1)],
                         ids=["minimal", "mainnet", "mainnet-sham-a-tick-earlier"])
def test_a_sham_dispute_opened_first_does_not_keep_the_honest_challenger_out(preset: Preset,
                                                                             head_start: int, l1_kind: str) -> None:
    """The sham may run out its proposer's clock a tick before the honest dispute does (``head_start``, on
    mainnet, where a tick is inside the window): the honest challenger, holding a dispute of its own, waits
    for it rather than claim the sham's timeout, whose fraud reward would go to the operator's friend."""
    r = Rollup(preset, l1_kind)
    bad = r.post_batch(6, theft_at=3)
    puppet = BisectionChallenger(r.rollup, KEYS["puppet"], honest=False)  # the operator's friend
    colluder = BisectionProposer(r.operator, stalls=True)  # burns its clocks, never answers
    puppet.node.sync()
    before = r.l1.balance(ADDR["challenger"])

    puppet.open(bad)  # the sham dispute comes first
    if head_start:
        r.advance(head_start * preset.move_clock // 8 + 1)
    r.challenger.act()  # the honest challenger opens its own all the same
    assert len(r.opened_by("challenger")) == 1, "the honest challenger could not open its own dispute"
    assert r.rollup.call("open_disputes", bad) == 2

    # The colluders burn their move clocks; the window passes long before. The honest challenger acts
    # on every tick, and the fraudulent batch is never final.
    for _ in r.ticks(preset.challenge_window + 2 * preset.move_clock, every=preset.move_clock // 8):
        assert not r.rollup.call("is_final", bad)
        r.challenger.act()
        colluder.act()
    assert r.rollup.call("batch_count") == bad  # its claim fell, never final

    (fraud,) = r.events("FraudProven")
    assert int(fraud["challenger"], 16) == int(ADDR["challenger"], 16)
    reward = preset.min_bond * preset.challenger_reward_percent // 100
    assert r.l1.balance(ADDR["challenger"]) == before + reward - r.fees_paid(r.challenger.receipts)
    # The sham is moot now that the claim it disputes has fallen: anyone dismisses it, and the puppet
    # gets its bond back.
    (sham,) = r.opened_by("puppet")
    assert read_dispute(r.rollup, sham["id"]).moot
    r.rollup.transact(KEYS["bystander"], "dismiss", sham["id"])
    assert r.rollup.call("finality") == (0, bad)
    r.assert_honest_users_lost_nothing(mallory_paid=10 * MILLI)


def test_the_honest_challenger_opens_its_own_dispute_however_many_others_are_open(rollup: Rollup) -> None:
    bad = rollup.post_batch(5, theft_at=4)
    puppet = BisectionChallenger(rollup.rollup, KEYS["puppet"], honest=False)
    puppet.node.sync()
    for _ in range(12):
        puppet.open(bad)
    shams = [int(r["gasUsed"], 16) for r in puppet.receipts]
    assert shams[1] == shams[-1]  # opening costs the same whatever is already open
    rollup.challenger.act()
    (honest,) = rollup.challenger.receipts
    assert int(honest["gasUsed"], 16) <= shams[0]
    play(rollup.proposer, rollup.challenger)  # the proposer's lies lead the honest challenger to the theft
    (fraud,) = rollup.events("FraudProven")
    assert fraud["step"] == 4 and int(fraud["challenger"], 16) == int(ADDR["challenger"], 16)
    assert rollup.rollup.call("batch_count") == bad
    rollup.assert_honest_users_lost_nothing(mallory_paid=10 * MILLI)


def test_a_batch_is_final_once_its_window_passed_and_no_dispute_is_open_against_it_or_an_earlier_one(
        rollup: Rollup) -> None:
    for index in range(1, 10):
        rollup.post_batch(8 if index == 8 else 2)  # batches 1..9, all valid
    liar = BisectionChallenger(rollup.rollup, KEYS["liar"], honest=False)
    liar.node.sync()
    liar.open(2)
    liar.open(8)
    rollup.advance(MINIMAL.challenge_window + 1)

    def final() -> list[int]:
        return [i for i in range(10) if rollup.rollup.call("is_final", i)]

    assert final() == [0, 1]  # batch 2 and every later one wait for the dispute against batch 2
    with pytest.raises(TransactionReverted, match="window has closed"):
        liar.open(1)  # no dispute after the window: a final batch stays final
    rollup.proposer.act()  # bisects in both
    liar.act()  # disagrees in both: one step is left of batch 2, four of batch 8
    liar.act()  # proves batch 2's last step, which is valid: the proposer wins that one
    assert rollup.rollup.call("finality") == (1, 6)  # closing moved the floor four batches on
    assert final() == [0, 1, 2, 3, 4, 5]
    rollup.proposer.act()  # bisects in the other, and pages the floor on to batch 8, which holds it
    assert rollup.rollup.call("finality") == (1, 8)
    assert final() == list(range(8))
    play(rollup.proposer, liar)
    assert final() == list(range(10))
    assert rollup.events("FraudProven") == []


# -- finding 9: a stalled dispute -----------------------------------------------------------------------------


def _liar_stops_at(rollup: Rollup, turn: int) -> BisectionChallenger:
    """A liar disputes valid batch 1 and plays until it is its ``turn``, then never moves again."""
    liar = BisectionChallenger(rollup.rollup, KEYS["liar"], honest=False)
    liar.node.sync()
    liar.open(1)
    while (d := read_dispute(rollup.rollup)).turn != turn:
        (rollup.proposer if d.turn == TURN_BISECT else liar).act()
    return liar


@pytest.mark.parametrize("turn", [TURN_CHOOSE, TURN_STEP], ids=["choose", "step"])
def test_a_stalled_dispute_is_ended_by_the_honest_proposer_without_anyone_calling_timeout(
        rollup: Rollup, turn: int) -> None:
    rollup.post_batch(6)
    operator_before = rollup.l1.balance(ADDR["operator"])
    _liar_stops_at(rollup, turn)
    ended_after = None
    for passed in rollup.ticks(MINIMAL.move_clock + 60, every=30):
        rollup.proposer.act()  # what the operator's timer does every tick
        if ended_after is None and not read_dispute(rollup.rollup).open:
            ended_after = passed
    (resolved,) = rollup.events("DisputeResolved")
    assert int(resolved["winner"], 16) == int(ADDR["operator"], 16)
    if turn == TURN_STEP:
        assert ended_after == 30 and resolved["reason"] == "step 0 is valid"  # the proposer proves it itself
    else:
        assert resolved["reason"] == "the challenger's clock ran out"
        assert MINIMAL.move_clock <= ended_after <= MINIMAL.move_clock + 30  # the first tick once it ran out
    assert rollup.rollup.call("is_final", 1)
    reward = MINIMAL.min_bond * MINIMAL.challenger_reward_percent // 100
    assert rollup.l1.balance(ADDR["operator"]) == operator_before + reward - rollup.fees_paid(rollup.proposer.receipts)
    rollup.assert_honest_users_lost_nothing()


def test_a_stalled_proposer_is_timed_out_by_the_honest_challenger_as_soon_as_it_is_due(rollup: Rollup) -> None:
    bad = rollup.post_batch(6, theft_at=2)
    rollup.proposer.stalls = True
    rollup.challenger.act()  # opens
    claimed_after = None
    for passed in rollup.ticks(MINIMAL.move_clock + 60, every=30):
        rollup.challenger.act()
        if claimed_after is None and rollup.rollup.call("batch_count") == bad:
            claimed_after = passed
    assert claimed_after is not None and MINIMAL.move_clock <= claimed_after <= MINIMAL.move_clock + 30
    (resolved,) = rollup.events("DisputeResolved")
    assert resolved["reason"] == "the proposer's clock ran out"
    rollup.assert_honest_users_lost_nothing(mallory_paid=10 * MILLI)


@pytest.mark.parametrize("turn", [TURN_BISECT, TURN_CHOOSE, TURN_STEP], ids=["bisect", "choose", "step"])
def test_anyone_may_claim_a_timeout_on_any_turn_once_it_is_due(rollup: Rollup, turn: int) -> None:
    rollup.post_batch(4)
    _liar_stops_at(rollup, turn)
    dispute = rollup.rollup.call("dispute_count") - 1
    rollup.advance(MINIMAL.move_clock - 5)
    assert read_dispute(rollup.rollup, dispute).timeout_due is False
    with pytest.raises(TransactionReverted, match="still has"):
        rollup.rollup.transact(KEYS["bystander"], "timeout", dispute)
    rollup.advance(10)
    assert read_dispute(rollup.rollup, dispute).timeout_due is True
    rollup.rollup.transact(KEYS["bystander"], "timeout", dispute)
    (resolved,) = rollup.events("DisputeResolved")
    winner = "liar" if turn == TURN_BISECT else "operator"
    assert int(resolved["winner"], 16) == int(ADDR[winner], 16)


# -- finding 3: batches posted during the proposer's own move ------------------------------------------------


def _dispute_gas(later_batches: int) -> tuple[dict[str, list[int]], Rollup]:
    """Gas of each move of a dispute over a theft, with ``later_batches`` posted during the proposer's move."""
    r = Rollup()
    bad = r.post_batch(8, theft_at=5)
    r.challenger.act()  # opens
    for _ in range(later_batches):  # the proposer's turn: it posts instead of bisecting
        r.post_batch(1)
    play(r.proposer, r.challenger)
    gas: dict[str, list[int]] = {}
    for receipt in r.challenger.receipts + r.proposer.receipts:
        tx = r.l1.rpc("eth_getTransactionByHash", receipt["transactionHash"])
        gas.setdefault(METHODS[tx["input"][2:10]], []).append(int(receipt["gasUsed"], 16))
    assert r.rollup.call("batch_count") == bad
    return gas, r


def test_batches_posted_during_the_proposers_move_do_not_make_the_challengers_moves_dearer() -> None:
    alone, _ = _dispute_gas(0)
    flooded, r = _dispute_gas(40)
    assert set(flooded) == set(alone) == {"open_dispute", "bisect", "choose", "prove_step"}
    # Every move, the winning one-step proof too, costs what it costs alone. The one margin is the clock
    # word a move rewrites: 100 gas when the last move was in the same second, 2,900 otherwise (EIP-2200);
    # a revert that touched each later batch would add about 3,500 gas per batch, 140,000 here.
    for method, moves in alone.items():
        assert len(flooded[method]) == len(moves)
        assert all(abs(f - a) <= 2_900 for f, a in zip(flooded[method], moves, strict=True)), (method, moves)
    # The later batches' claims went with the bad one; once the operator has caught up, Alice's 40
    # later payments to Bob are not lost either.
    r.assert_honest_users_lost_nothing(mallory_paid=10 * MILLI)


# -- a forced batch: whoever posts it defends it --------------------------------------------------------------


def _forced_withdrawal(r: Rollup) -> tuple[int, list[dict]]:
    """The operator censors Alice: she deposits 0.001 ETH, waits out its deadline, bonds and posts it herself
    with her 1 ETH withdrawal behind it. The batch's index, and her receipts."""
    r.operator.censor_deposits = True
    alice = r.operator.state.get_account(0)
    withdrawal = r.wallets["alice"].withdraw(0, ADDR["alice"], ETH, alice.nonce)
    receipts = [r.rollup.transact(KEYS["alice"], "deposit", ADDR["alice"], value=MILLI)]
    r.l1.mine(r.preset.deposit_deadline_blocks + 1)
    r.advance(r.preset.deposit_deadline_seconds + 1)
    receipts.append(r.rollup.transact(KEYS["alice"], "post_bond", value=r.preset.min_bond))
    receipts.append(force_deposits(r.rollup, KEYS["alice"], txs=[withdrawal]))
    return r.rollup.call("batch_count") - 1, receipts


def test_an_undefended_forced_batch_falls_to_a_liar_on_time(rollup: Rollup) -> None:
    """Why a forced batch needs its poster's defence: the operator's proposer plays only its own batches."""
    index, _ = _forced_withdrawal(rollup)
    liar = BisectionChallenger(rollup.rollup, KEYS["liar"], honest=False)
    liar.node.sync()
    liar.open(index)
    rollup.proposer.act()
    assert read_dispute(rollup.rollup).turn == TURN_BISECT  # nobody bisected for Alice
    rollup.advance(MINIMAL.move_clock + 1)
    liar.act()  # claims the timeout
    assert rollup.rollup.call("batch_count") == index  # her batch fell
    assert rollup.rollup.call("bond_of", ADDR["alice"]) < MINIMAL.min_bond  # and her bond paid the liar


def test_a_forced_batchs_poster_defends_it_from_l1_alone_and_loses_nothing(rollup: Rollup) -> None:
    from rollup.optimistic.client import claim_final_withdrawals, withdrawals_to

    start = rollup.l1.balance(ADDR["alice"])
    index, receipts = _forced_withdrawal(rollup)
    liar = BisectionChallenger(rollup.rollup, KEYS["liar"], honest=False)
    liar.node.sync()
    liar.open(index)
    alice = BatchDefender(rollup.rollup, KEYS["alice"])  # a full node and her key: no operator behind her
    play(alice, rollup.proposer, liar)
    (resolved,) = rollup.events("DisputeResolved")
    assert int(resolved["winner"], 16) == int(ADDR["alice"], 16) and resolved["reward"] > 0
    assert rollup.rollup.call("batch_count") == index + 1 and rollup.events("BatchReverted") == []
    rollup.advance(MINIMAL.challenge_window + 1)
    assert rollup.rollup.call("is_final", index)
    node = FullNode(rollup.rollup)
    node.sync()
    assert node.state.balance(0) == 5 * ETH - ETH + MILLI
    claimed = claim_final_withdrawals(rollup.rollup, KEYS["alice"],
                                      withdrawals_to(rollup.rollup, node.batches, ADDR["alice"]))
    assert [w.claim.amount for w, _ in claimed] == [ETH]
    receipts += [r for _, r in claimed] + alice.receipts
    receipts.append(rollup.rollup.transact(KEYS["alice"], "withdraw_bond", MINIMAL.min_bond))
    # Her L1 balance: the withdrawal back, the deposit now on L2, her fees paid, and the liar's forfeit won.
    assert rollup.l1.balance(ADDR["alice"]) == start + ETH - MILLI - rollup.fees_paid(receipts) + resolved["reward"]


# -- fee bumping: the challenger gets in through stuffed blocks ------------------------------------------------


def _stuff(r: Rollup, tip: int, leave: int) -> None:
    """Fill the next block with the stuffer's calldata-heavy transfers, all but ``leave`` gas, at ``tip``.

    The toy L1 ranks its pool by effective tip, as geth does, so the stuffer's high fee cap buys it nothing.
    anvil ranks by fee cap instead, which no mainnet client does: there the stuffer sets the cap any sender
    sets (``max_fee_for`` the base fee and its tip), so the test still asks whether a rising tip wins."""
    limit = int(r.l1.block("latest")["gasLimit"], 16)
    todo = limit - leave
    cap = 2_000 * GWEI if getattr(r.l1, "kind", "toy") == "toy" else max_fee_for(r.l1.base_fee(), tip)
    while todo >= 21_000:
        gas = min(todo, 1_900_000)
        data = b"\x01" * ((gas - 21_000) // 16)
        gas = 21_000 + 16 * len(data)
        r.l1.submit(KEYS["stuffer"], to=DEAD, data=data, gas=gas, tip=tip, max_fee=cap)
        todo -= gas


def test_the_challengers_dispute_gets_in_through_stuffed_blocks_before_the_window_closes(rollup: Rollup) -> None:
    from contracts_spec.l1 import DeadlineFees

    bad = rollup.post_batch(4, theft_at=1)
    attacker_tip, leave = 20 * GWEI, 50_000
    challenger = BisectionChallenger(rollup.rollup, KEYS["challenger"], fees=DeadlineFees(cap=200 * GWEI), wait=0)
    rollup.l1.rpc("evm_setAutomine", False)
    full_blocks = 0
    while rollup.rollup.call("challenge_time_left", bad) > 5:
        _stuff(rollup, attacker_tip, leave)
        challenger.act()  # opens its dispute, or raises the tip of the one waiting as the window runs out
        rollup.advance(5)  # one block
        if challenger.sender.poll():
            break
        block = rollup.l1.block("latest")
        assert int(block["gasUsed"], 16) >= int(block["gasLimit"], 16) - leave  # full: it did not fit
        full_blocks += 1
    assert challenger.receipts, "the challenger's dispute never got in"
    (opened,) = challenger.receipts
    base = int(rollup.l1.block(int(opened["blockNumber"], 16))["baseFeePerGas"], 16)
    assert int(opened["effectiveGasPrice"], 16) - base > attacker_tip  # it outbid the stuffer
    assert full_blocks >= 5 and not rollup.rollup.call("is_final", bad)
    rollup.l1.rpc("evm_setAutomine", True)
    # Blocks are mined as transactions arrive again, but anvil mines them off the request: a receipt may come
    # a moment after the hash. The challenger now waits for each, as an actor on a live chain does; with no
    # wait, a move still in the pool would end the game early.
    challenger.sender.wait = None
    play(rollup.proposer, challenger)
    assert rollup.rollup.call("batch_count") == bad
    rollup.assert_honest_users_lost_nothing(mallory_paid=10 * MILLI)


# -- the attacks as workshop demos -------------------------------------------------------------------------------


@pytest.mark.parametrize(("scenario", "preset"), [
    ("optimistic-sham-dispute", "minimal"), ("optimistic-sham-dispute", "mainnet"),
    ("optimistic-stuffing", "minimal"), ("optimistic-clock", "minimal"), ("optimistic-clock", "mainnet"),
    ("optimistic-censorship", "minimal"), ("optimistic-censorship", "mainnet")])
def test_each_attack_demo_shows_the_attack_failing_and_no_honest_user_losing_anything(
        scenario: str, preset: str, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from node.cli import main

    assert main(["demo", scenario, "--preset", preset, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["ok"] is True and summary["scenario"] == scenario
    honest = {name: p for name, p in summary["users"].items() if p["honest"]}
    assert "alice" in honest and all(p["lost_wei"] == "0" for p in honest.values()), honest
    if scenario == "optimistic-stuffing":
        assert summary["preset"] == "mainnet"  # whatever --preset says: the attack is on the 7-day window
        stuffing = summary["stuffing"]
        assert int(stuffing["cost_whole_window_wei"]) > 120_000_000 * ETH  # more than all the ether there is
        assert stuffing["blocks_until_all_ether_is_spent"] < 3600 // 12  # within the first hour of blocks
        assert stuffing["blocks_kept_out_here"] >= 1
    if scenario == "optimistic-clock":
        assert summary["burst_blocks"] > 60 and summary["clock_moved_s"] <= 2
    if scenario == "optimistic-censorship":
        assert summary["early_post_refused"] == "not the operator"  # a fresh deposit lets nobody else post
        assert summary["operator_batch_refused"] == "overdue deposit left out"
        alice = honest["alice"]
        assert int(alice["end"]["l2_wei"]) == 3 * ETH + ETH // 1000 and alice["end"]["bond_wei"] == "0"
        assert summary["forced_batch"] == 2  # Alice's own, between the operator's
        assert summary["batches"] == {"submitted": 4, "on_l1": 4, "reverted": 0, "final": 4}


def test_play_waits_a_moment_for_a_move_mined_off_the_request() -> None:
    """anvil answers a send before it mines the automined block: a move whose receipt comes a moment later is
    still a move, and the game goes on (it used to end the game, a regression seen in CI)."""

    class Sender:
        def __init__(self) -> None:
            self.pending: object | None = None
            self.receipts: list[dict] = []
            self.polls = 0

        def poll(self) -> dict | None:
            self.polls += 1
            if self.polls < 3:
                return None  # not mined yet
            self.pending = None
            self.receipts.append({"status": "0x1"})
            return self.receipts[-1]

    class Actor:
        def __init__(self) -> None:
            self.sender = Sender()
            self.receipts = self.sender.receipts
            self.turns = 0

        def act(self) -> None:
            self.turns += 1
            if self.turns == 1:
                self.sender.pending = object()  # sent; its receipt is not there yet

    actor = Actor()
    assert play(actor, settle_seconds=5) == 1  # type: ignore[arg-type]
    assert actor.turns == 2 and actor.sender.polls == 3
    stuck = Actor()
    stuck.sender.poll = lambda: None  # type: ignore[method-assign]  # waits for blocks: the game is over
    assert play(stuck, settle_seconds=0.2) == 0  # type: ignore[arg-type]
