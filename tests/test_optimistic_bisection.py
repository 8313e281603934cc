"""The bisection game: compact batches, a dispute narrowed to one step, a chess clock, either side may lie.

Disputes beside each other, finality and timeouts under contention are in ``test_optimistic_disputes``.
Every test here runs on the toy L1 (the Python contract) and on anvil (its Solidity twin).
"""

from __future__ import annotations

import pytest

from contracts_spec.l1 import TransactionReverted
from contracts_spec.optimistic.bisection import TURN_CHOOSE, TURN_STEP, BisectionRollup
from contracts_spec.optimistic.encoding import HEADER_SIZE, batch_header, decode_batch, encode_batch
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.rules import Account
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import Wallet
from rollup.optimistic.dispute import (
    BisectionChallenger,
    BisectionProposer,
    one_step_proof,
    play,
    read_dispute,
    valid_prefix_roots,
)
from rollup.optimistic.fullnode import FullNode
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.operator import Operator
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("operator", "challenger", "liar", "alice", "bob", "mallory")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}
ADDR = {name: private_key_to_address(k) for name, k in KEYS.items()}


class Game:
    """A bisection rollup with Alice, Bob and Mallory funded in batch 0."""

    def __init__(self, kind: str = "toy") -> None:
        self.l1 = new_l1(kind, {a: 1000 * ETH for a in ADDR.values()})
        self.rollup = RollupL1.deploy(self.l1, KEYS["operator"], MINIMAL, ADDR["operator"], BisectionRollup)
        self.operator = Operator(self.rollup, KEYS["operator"])
        self.operator.post_bond(MINIMAL.min_bond)
        self.wallets = {n: Wallet(KEYS[n], self.l1.chain_id, self.rollup.address) for n in NAMES}
        for name in ("alice", "bob", "mallory"):
            self.rollup.transact(KEYS[name], "deposit", ADDR[name], value=5 * ETH)
        self.operator.sync()
        self.operator.post_batch()
        self.challenger = BisectionChallenger(self.rollup, KEYS["challenger"])
        self.proposer = BisectionProposer(self.operator)

    def batch(self, steps: int, theft_at: int | None = None) -> None:
        """Alice pays Bob ``steps`` times; at ``theft_at`` the operator credits Mallory 3 ETH from nowhere."""
        alice = self.wallets["alice"]
        nonce = self.operator.state.get_account(0).nonce
        for step in range(steps):
            if step == theft_at:
                mal = self.operator.state.get_account(2)
                tx = self.wallets["mallory"].transfer(2, 1, ETH // 100, mal.nonce)
                bob = self.operator.state.get_account(1)
                self.operator.sequencer.inject(tx, {
                    2: Account(mal.address, mal.balance + 3 * ETH, mal.nonce + 1),
                    1: bob._replace(balance=bob.balance + ETH // 100)})
            else:
                assert self.operator.submit([alice.transfer(0, 1, ETH // 1000, nonce)]) == [None]
                nonce += 1
        self.operator.post_batch()

    def advance(self, seconds: int) -> None:
        target = self.l1.timestamp() + seconds
        while (now := self.l1.timestamp()) < target:
            self.l1.increase_time(target - now)

    def events(self, name: str) -> list[dict]:
        return self.l1.events(self.rollup.address, BisectionRollup, name)


@pytest.fixture
def game(l1_kind: str) -> Game:
    """The game on the toy L1 or on anvil (the Solidity twin)."""
    return Game(l1_kind)


def test_a_compact_batch_carries_no_intermediate_roots(game: Game) -> None:
    game.batch(10)
    data = game.operator.posted[-1].sealed.data
    assert len(data) == HEADER_SIZE + 10 * (115 - 32)
    assert decode_batch(data).compact
    with pytest.raises(TransactionReverted, match="this rollup takes version 2"):
        game.rollup.transact(KEYS["operator"], "submit_batch", encode_batch(game.operator.posted[-1].sealed.batch))


def test_honest_challenger_bisects_to_the_theft_and_wins(game: Game) -> None:
    game.batch(13, theft_at=6)
    before = game.l1.balance(ADDR["challenger"])
    moves = play(game.proposer, game.challenger)
    assert moves >= 2 * 3  # about log2(13) rounds of bisect and choose, plus open and the one-step proof
    (fraud,) = game.events("FraudProven")
    assert fraud["step"] == 6 and "wrong state root" in fraud["reason"]
    (resolved,) = game.events("DisputeResolved")
    assert int(resolved["winner"], 16) == int(ADDR["challenger"], 16)
    assert game.rollup.call("batch_count") == 1
    assert game.rollup.call("bond_of", ADDR["operator"]) == 0
    gas = sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in game.challenger.receipts)
    reward = MINIMAL.min_bond * MINIMAL.challenger_reward_percent // 100
    assert game.l1.balance(ADDR["challenger"]) == before + reward - gas  # its bond came back
    assert read_dispute(game.rollup).open is False
    # The operator rolls back and re-posts the valid transfers (Mallory's signed 0.01 ETH too, without
    # the 3 ETH from nowhere); a full node agrees.
    game.operator.sync()
    game.operator.post_bond(MINIMAL.min_bond)
    game.operator.post_batch()
    node = FullNode(game.rollup)
    node.sync()
    assert node.faults() == [] and node.state.balance(2) == 5 * ETH - ETH // 100
    assert node.state.balance(1) == 5 * ETH + 12 * ETH // 1000 + ETH // 100


def test_an_invalid_first_step_is_found_too(game: Game) -> None:
    game.batch(8, theft_at=0)
    play(game.proposer, game.challenger)
    (fraud,) = game.events("FraudProven")
    assert fraud["step"] == 0


def test_dishonest_challenger_against_a_good_batch_loses_its_bond(game: Game) -> None:
    game.batch(9)
    liar = BisectionChallenger(game.rollup, KEYS["liar"], honest=False)
    liar.node.sync()
    before = game.l1.balance(ADDR["liar"])
    operator_before = game.l1.balance(ADDR["operator"])
    liar.open(1)
    play(game.proposer, liar)
    (resolved,) = game.events("DisputeResolved")
    assert int(resolved["winner"], 16) == int(ADDR["operator"], 16) and "is valid" in resolved["reason"]
    gas = sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in liar.receipts)
    assert game.l1.balance(ADDR["liar"]) == before - MINIMAL.min_bond - gas
    reward = MINIMAL.min_bond * MINIMAL.challenger_reward_percent // 100
    op_gas = sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in game.proposer.receipts)
    assert game.l1.balance(ADDR["operator"]) == operator_before + reward - op_gas
    assert game.rollup.call("burned") == MINIMAL.min_bond - reward
    assert game.rollup.call("batch_count") == 2 and game.events("FraudProven") == []
    game.advance(MINIMAL.challenge_window + 1)
    assert game.rollup.call("is_final", 1) is True


def test_a_proposer_that_stops_moving_loses_on_time(game: Game) -> None:
    game.batch(6, theft_at=3)
    game.proposer.stalls = True
    play(game.proposer, game.challenger)  # opens; then nothing: the proposer does not answer
    assert read_dispute(game.rollup).open is True
    with pytest.raises(TransactionReverted, match="still has"):
        game.challenger.claim_timeout()
    game.advance(MINIMAL.move_clock + 1)
    game.challenger.act()  # sees the proposer's clock at zero and claims the timeout
    (resolved,) = game.events("DisputeResolved")
    assert resolved["reason"] == "the proposer's clock ran out"
    assert game.rollup.call("batch_count") == 1


def test_a_challenger_that_stops_moving_loses_on_time(game: Game) -> None:
    game.batch(6)
    liar = BisectionChallenger(game.rollup, KEYS["liar"], honest=False)
    liar.node.sync()
    liar.open(1)
    game.proposer.act()  # bisects; the liar never chooses
    game.advance(MINIMAL.challenge_window + MINIMAL.move_clock + 1)
    assert game.rollup.call("is_final", 1) is False  # a disputed batch waits for its dispute
    game.proposer.act()
    (resolved,) = game.events("DisputeResolved")
    assert resolved["reason"] == "the challenger's clock ran out"
    assert game.rollup.call("is_final", 1) is True


def refused(game: Game, name: str, method: str, *args, match: str, value: int = 0) -> None:
    def snapshot() -> tuple:
        d = game.rollup.call("dispute", 0)  # less its clocks, which run with the wall clock
        return (d[:9] + d[11:], game.rollup.call("dispute_count"), game.rollup.call("finality"),
                game.rollup.call("batch_count"), game.rollup.call("state_root"))

    before = snapshot()
    with pytest.raises(TransactionReverted, match=match):
        game.rollup.transact(KEYS[name], method, *args, value=value)
    assert snapshot() == before


def test_moves_out_of_turn_or_by_the_wrong_party_are_refused(game: Game) -> None:
    game.batch(5, theft_at=4)
    game.challenger.node.sync()
    known = game.challenger.node.batches[1]
    header = batch_header(known.data, known.batch).encode()
    refused(game, "challenger", "bisect", 0, bytes(32), match="dispute 0 is not open")
    refused(game, "challenger", "open_dispute", 1, header, value=MINIMAL.min_bond // 2, match="bond below")
    refused(game, "challenger", "open_dispute", 1, header[:-1] + b"\x09", value=MINIMAL.min_bond,
            match="not the batch's header")
    refused(game, "challenger", "open_dispute", 7, header, value=MINIMAL.min_bond, match="batch 7 has no standing")
    refused(game, "challenger", "prove_fraud", 1, header, 0, b"", [], b"", [], b"\x00", match="open_dispute")
    game.challenger.act()  # opens dispute 0
    refused(game, "challenger", "bisect", 0, bytes(32), match="only the batch's proposer")
    refused(game, "operator", "choose", 0, True, match="not this move's turn")
    refused(game, "operator", "dismiss", 0, match="claim still stands")
    game.proposer.act()
    refused(game, "operator", "choose", 0, True, match="only the challenger")
    refused(game, "challenger", "timeout", 0, match="still has")
    refused(game, "challenger", "advance_finality", 0, match="out of range")
    play(game.proposer, game.challenger)
    refused(game, "challenger", "choose", 0, True, match="dispute 0 is not open")
    refused(game, "challenger", "open_dispute", 1, header, value=MINIMAL.min_bond, match="no standing claim")


def test_a_second_dispute_against_one_batch_opens_beside_the_first(game: Game) -> None:
    game.batch(5, theft_at=4)
    liar = BisectionChallenger(game.rollup, KEYS["liar"], honest=False)
    liar.open(1)
    game.challenger.act()  # the honest challenger is not kept out: it opens dispute 1
    assert [e["id"] for e in game.events("DisputeOpened")] == [0, 1]
    assert game.rollup.call("open_disputes", 1) == 2 and game.rollup.call("finality") == (2, 1)
    assert read_dispute(game.rollup, 0).challenger.lower() == ADDR["liar"].lower()
    assert read_dispute(game.rollup, 1).challenger.lower() == ADDR["challenger"].lower()


def test_a_forged_one_step_proof_is_refused(game: Game) -> None:
    game.batch(4, theft_at=3)
    ch = game.challenger
    ch.act()  # opens
    while read_dispute(game.rollup, 0).turn != TURN_STEP:
        assert game.proposer.act() is not None  # bisects
        if read_dispute(game.rollup, 0).turn == TURN_CHOOSE:
            d = read_dispute(game.rollup, 0)
            roots = valid_prefix_roots(ch.node.batches[1].base, ch.node.batches[1].batch, ch.node.domain_separator)
            game.rollup.transact(KEYS["challenger"], "choose", 0, d.mid < len(roots) and roots[d.mid] == d.mid_root)
    d = read_dispute(game.rollup, 0)
    known = ch.node.batches[d.index]
    entry, proof, witnesses = one_step_proof(known.base, known.batch, known.data, d.index,
                                             ch.node.domain_separator, d.lo)
    other, other_proof, _ = one_step_proof(known.base, known.batch, known.data, d.index,
                                           ch.node.domain_separator, d.lo - 1)
    refused(game, "challenger", "prove_step", 0, other, other_proof, witnesses, match=f"not step {d.lo}")
    refused(game, "challenger", "prove_step", 0, entry, proof[:-1], witnesses, match="siblings")
    refused(game, "challenger", "prove_step", 0, entry, proof, witnesses[:-1], match="bad witnesses")
    refused(game, "liar", "prove_step", 0, entry, proof, witnesses, match="only the two parties")
    game.challenger.act()
    assert game.events("FraudProven")[0]["step"] == 3
