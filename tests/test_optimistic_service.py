"""The service behind the REST routes: a request only admits; the timer reads L1 and posts."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from contracts_spec.optimistic.params import MINIMAL
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import Wallet, claim_final_withdrawals, withdrawals_to
from rollup.optimistic.service import OptimisticService, tx_json

ETH = 10**18
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(("operator", "alice", "bob"))}
# What a request may ask of L1: the chain id and the clock (admission dates the batch it opens).
READS_OF_A_REQUEST = {"eth_chainId", "eth_blockNumber", "eth_getBlockByNumber"}


class Recording:
    """A transport that notes each JSON-RPC method it passes on."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.methods: list[str] = []

    def request(self, method: str, params: list) -> Any:
        self.methods.append(method)
        return self.inner.request(method, params)


@pytest.fixture
def service() -> OptimisticService:
    chain = Chain(genesis_alloc={private_key_to_address(k): 100 * ETH for k in KEYS.values()})
    l1 = in_process_l1(chain)
    l1.transport = Recording(l1.transport)
    service = OptimisticService.deploy(l1, KEYS["operator"], MINIMAL)
    for name in ("alice", "bob"):
        service.rollup.transact(KEYS[name], "deposit", private_key_to_address(KEYS[name]), value=5 * ETH)
    service.tick()  # the timer takes the deposits in
    assert service.post_batch()["posted"]
    return service


def wallet(service: OptimisticService, name: str) -> Wallet:
    return Wallet(KEYS[name], service.l1.chain_id, service.rollup.address)


def test_a_submit_reads_no_events_and_sends_nothing_the_tick_posts(service: OptimisticService) -> None:
    service.operator.max_batch_age = 0  # any pending batch is old enough for the tick
    recording = service.l1.transport
    recording.methods.clear()
    alice = wallet(service, "alice")
    assert service.submit(tx_json(alice.transfer(0, 1, ETH, 0))) == {"accepted": True, "pending": 1,
                                                                      "batch_full": False}
    answer = service.submit_many([tx_json(alice.transfer(0, 1, ETH, n)) for n in (1, 2)])
    assert answer == {"results": [{"accepted": True}] * 2, "pending": 3, "batch_full": False}
    assert set(recording.methods) <= READS_OF_A_REQUEST
    assert service.rollup.call("batch_count") == 1

    service.tick()
    assert service.rollup.call("batch_count") == 2
    assert service.status()["pending_transactions"] == 0


def test_a_full_batch_is_reported_and_posted_by_the_tick(service: OptimisticService) -> None:
    operator = service.operator
    operator.max_batch_age = 10**6  # only fullness posts here
    room = 109 + 2 * 131
    operator.sequencer.max_batch_bytes = room
    operator.params = dataclasses.replace(operator.params, max_batch_bytes=room)
    alice = wallet(service, "alice")
    assert service.submit(tx_json(alice.transfer(0, 1, ETH, 0)))["batch_full"] is False
    answer = service.submit_many([tx_json(alice.transfer(0, 1, ETH, n)) for n in (1, 2)])
    assert answer["batch_full"] is True and answer["pending"] == 3
    assert service.rollup.call("batch_count") == 1  # admission posted nothing
    service.tick()  # the full batch of two goes; the third waits for its age
    assert service.rollup.call("batch_count") == 2
    assert service.status()["pending_transactions"] == 1


def test_a_deposit_reaches_the_operator_with_the_tick_not_with_a_request(service: OptimisticService) -> None:
    bob = wallet(service, "bob")
    service.rollup.transact(KEYS["bob"], "deposit", bob.address, value=ETH)  # Bob tops up on L1
    assert service.submit(tx_json(bob.transfer(1, 0, 5 * ETH, 0)))["accepted"]  # what the operator knows of
    with pytest.raises(ValueError, match="overspend"):
        service.submit(tx_json(bob.transfer(1, 0, ETH, 1)))  # the new deposit is not read by a request
    service.tick()
    assert service.operator.state.balance(1) == ETH
    assert service.submit(tx_json(bob.transfer(1, 0, ETH, 1)))["accepted"]


def test_withdrawals_are_listed_with_their_status_and_only_final_ones_are_claimed(service: OptimisticService) -> None:
    alice, bob = wallet(service, "alice"), wallet(service, "bob")
    service.submit(tx_json(bob.withdraw(1, bob.address, ETH, 0)))
    service.submit(tx_json(alice.withdraw(0, bob.address, 2 * ETH, 0)))
    service.submit(tx_json(alice.withdraw(0, alice.address, ETH, 1)))  # to Alice: not Bob's to list
    assert service.post_batch()["index"] == 1
    listed = service.withdrawals(bob.address)
    assert [(w["batch"], w["leaf_index"], w["amount"], w["final"], w["claimed"]) for w in listed] == [
        (1, 0, str(ETH), False, False), (1, 1, str(2 * ETH), False, False)]

    waiting = withdrawals_to(service.rollup, service.node.batches, bob.address)
    assert [w.claimable for w in waiting] == [False, False] and waiting[0].time_left > 0
    sent = service.l1.nonce(bob.address)
    assert claim_final_withdrawals(service.rollup, KEYS["bob"], waiting) == []  # nothing final: nothing sent
    assert service.l1.nonce(bob.address) == sent

    target = service.l1.timestamp() + MINIMAL.challenge_window + 1
    while (now := service.l1.timestamp()) < target:
        service.l1.increase_time(target - now)
    final = withdrawals_to(service.rollup, service.node.batches, bob.address)
    assert [(w.final, w.claimed, w.time_left) for w in final] == [(True, False, 0)] * 2
    before = service.l1.balance(bob.address)
    claimed = claim_final_withdrawals(service.rollup, KEYS["bob"], final)
    assert [w.claim.amount for w, _ in claimed] == [ETH, 2 * ETH]
    fees = sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for _, r in claimed)
    assert service.l1.balance(bob.address) == before + 3 * ETH - fees
    assert [w["claimed"] for w in service.withdrawals(bob.address)] == [True, True]
    again = withdrawals_to(service.rollup, service.node.batches, bob.address)
    assert claim_final_withdrawals(service.rollup, KEYS["bob"], again) == []  # each is paid once
