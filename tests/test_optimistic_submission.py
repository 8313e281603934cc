"""The submission rules L1 and every proposer run: each refusal names its rule, and reads only what it needs."""

from __future__ import annotations

import pytest

from contracts_spec.optimistic.encoding import Batch, Entry
from contracts_spec.optimistic.rules import (
    Deposit,
    Transfer,
    Withdraw,
    next_deposit_hash,
    withdrawal_leaf,
)
from contracts_spec.optimistic.submission import (
    InvalidBatch,
    check_batch,
    check_proposer,
    compute_deposit_hash,
    compute_withdrawal_root,
    is_overdue,
)
from primitives.keccak import keccak256
from primitives.merkle import merkle_root

DEADLINE_BLOCKS, DEADLINE_SECONDS = 5, 60
T0 = 1_000_000
ROOT = b"\x11" * 32
ALICE, BOB, CAROL = b"\xaa" * 20, b"\xbb" * 20, b"\xcc" * 20
SIG = bytes(65)


class Queue:
    """A deposit queue in memory: ``(address, amount, index, block, time)`` per deposit; it records every read."""

    def __init__(self, deposits: list[tuple[bytes, int, int, int, int]]) -> None:
        self.deposits = deposits
        self.hashes = [bytes(32)]
        for address, amount, index, _, _ in deposits:
            self.hashes.append(next_deposit_hash(self.hashes[-1], index, address, amount))
        self.reads: list[tuple] = []

    def count(self) -> int:
        self.reads.append(("count",))
        return len(self.deposits)

    def running_hash(self, n: int) -> bytes:
        self.reads.append(("running_hash", n))
        return self.hashes[n]

    def due(self, deposit_id: int) -> tuple[int, int]:
        self.reads.append(("due", deposit_id))
        _, _, _, block, time = self.deposits[deposit_id]
        return block + DEADLINE_BLOCKS, time + DEADLINE_SECONDS


QUEUE = [(ALICE, 5, 0, 10, T0), (BOB, 7, 1, 11, T0 + 12), (CAROL, 9, 2, 12, T0 + 24)]


def batch(entries: list, first_deposit: int = 1, **changes) -> Batch:
    """A batch of ``entries`` from ROOT with its true withdrawal root, then ``changes``."""
    b = Batch(ROOT, b"\x22" * 32, bytes(32), first_deposit, [Entry(tx, b"") for tx in entries])
    return b._replace(withdrawal_root=compute_withdrawal_root(b))._replace(**changes)


def refused(rule: str, b: Batch, queue: Queue, block: int = 12, time: int = T0 + 24,
            included: int = 1) -> InvalidBatch:
    with pytest.raises(InvalidBatch) as info:
        check_batch(b, ROOT, included, queue, block, time)
    assert info.value.rule == rule
    assert str(info.value).startswith(rule)
    return info.value


def test_a_good_batch_passes_and_says_how_many_deposits_are_in():
    entries = [Deposit(1, BOB, 7), Transfer(0, 1, 3, 0, SIG), Deposit(2, CAROL, 9), Withdraw(1, CAROL, 2, 0, SIG)]
    assert check_batch(batch(entries), ROOT, 1, Queue(QUEUE), 12, T0) == 3
    assert check_batch(batch([Transfer(0, 1, 3, 0, SIG)]), ROOT, 1, Queue(QUEUE), 12, T0) == 1


def test_each_broken_rule_is_named():
    queue = Queue(QUEUE)
    good = [Deposit(1, BOB, 7), Withdraw(1, CAROL, 2, 0, SIG)]
    refused("empty batch", batch([]), queue)
    refused("wrong prev_root", batch(good, prev_root=bytes(32)), queue)
    assert "must start at deposit 1" in str(refused("deposit out of order", batch(good, first_deposit=0), queue))
    refused("deposits differ", batch([Deposit(1, BOB, 8)]), queue)
    refused("deposits differ", batch([Deposit(1, CAROL, 7)]), queue)
    refused("deposits differ", batch([Deposit(2, BOB, 7)]), queue)  # where L1 put it is part of the deposit
    refused("unknown deposit", batch([Deposit(1, BOB, 7), Deposit(2, CAROL, 9), Deposit(3, ALICE, 1)]), queue)
    refused("wrong withdrawal_root", batch(good, withdrawal_root=b"\x01" * 32), queue)
    refused("wrong withdrawal_root", batch([Deposit(1, BOB, 7)], withdrawal_root=b"\x01" * 32), queue)


def test_a_deposit_is_overdue_only_once_its_blocks_and_its_seconds_have_passed():
    queue = Queue(QUEUE)  # deposit 2 was queued in block 12 at T0 + 24: due by block 17 and T0 + 84
    assert not is_overdue(queue, 2, 17, T0 + 10**6)
    assert not is_overdue(queue, 2, 10**6, T0 + 84)  # many cheap blocks in a few seconds
    assert is_overdue(queue, 2, 18, T0 + 85)
    assert not is_overdue(queue, 3, 10**9, T0 + 10**9)  # never queued
    leaves_2_out = batch([Deposit(1, BOB, 7)])
    assert check_batch(leaves_2_out, ROOT, 1, queue, 100, T0 + 84) == 2
    assert "deposit 2 is overdue: include it first" in str(refused("overdue deposit left out", leaves_2_out,
                                                                   queue, block=18, time=T0 + 85))
    assert check_batch(batch([Deposit(1, BOB, 7), Deposit(2, CAROL, 9)]), ROOT, 1, queue, 18, T0 + 85) == 3


def test_only_the_operator_submits_until_a_deposit_is_overdue():
    queue = Queue(QUEUE)
    check_proposer(True, queue, 1, 12, T0)
    with pytest.raises(InvalidBatch, match="only the operator may submit while no deposit is overdue") as info:
        check_proposer(False, queue, 1, 10**6, T0 + 72)  # deposit 1 is due by T0 + 72
    assert info.value.rule == "not the operator"
    check_proposer(False, queue, 1, 17, T0 + 73)  # deposit 1, queued in block 11, is overdue from block 17
    with pytest.raises(InvalidBatch, match="only the operator"):
        check_proposer(False, queue, 3, 10**9, T0 + 10**9)  # nothing left in the queue to force


def test_rules_read_only_what_they_need():
    """L1 pays for each storage read: the happy path of a batch that empties the queue reads no deposit time."""
    queue = Queue(QUEUE)
    check_batch(batch([Deposit(1, BOB, 7), Deposit(2, CAROL, 9)]), ROOT, 1, queue, 12, T0)
    assert queue.reads == [("running_hash", 1), ("count",), ("running_hash", 3), ("count",)]
    queue.reads.clear()
    check_batch(batch([Deposit(1, BOB, 7)]), ROOT, 1, queue, 12, T0)
    assert queue.reads == [("running_hash", 1), ("count",), ("running_hash", 2), ("count",), ("due", 2)]
    queue.reads.clear()
    check_proposer(True, queue, 1, 12, T0)
    assert queue.reads == []


def test_the_deposit_hash_chains_the_batch_deposits_in_order():
    b = batch([Deposit(1, BOB, 7), Transfer(0, 1, 3, 0, SIG), Deposit(2, CAROL, 9)])
    start = Queue(QUEUE).hashes[1]
    assert compute_deposit_hash(start, b) == (Queue(QUEUE).hashes[3], 2)
    assert compute_deposit_hash(start, batch([Transfer(0, 1, 3, 0, SIG)])) == (start, 0)


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 8])
def test_the_withdrawal_root_is_the_merkle_root_of_the_leaves_whatever_the_hasher(n: int) -> None:
    withdrawals = [Withdraw(i, bytes([i]) * 20, 10 + i, i, SIG) for i in range(n)]
    b = batch([Transfer(0, 1, 1, 0, SIG), *withdrawals, Deposit(1, BOB, 7)])
    calls = []

    def metered(data: bytes) -> bytes:
        calls.append(len(data))
        return keccak256(data)

    expected = merkle_root([withdrawal_leaf(w) for w in withdrawals])
    assert compute_withdrawal_root(b) == expected
    assert compute_withdrawal_root(b, metered) == expected
    assert calls[:n] == [60] * n  # every leaf, then every tree node, through the metered hasher
    assert all(c in (33, 65) for c in calls[n:])
