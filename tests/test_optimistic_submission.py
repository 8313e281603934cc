"""The submission rules L1 and every proposer run: each refusal names its rule, and reads only what it needs."""

from __future__ import annotations

import pytest

from contracts_spec.optimistic.encoding import VERSION, VERSION_COMPACT, Batch, Entry, claim_roots
from contracts_spec.optimistic.rules import (
    EMPTY_CHAIN,
    Deposit,
    Transfer,
    Withdraw,
    next_deposit_hash,
    next_withdrawal_chain,
    state_root,
    withdrawal_leaf,
)
from contracts_spec.optimistic.submission import (
    InvalidBatch,
    check_batch,
    check_claim,
    check_proposer,
    compute_deposit_hash,
    is_overdue,
)
from primitives.keccak import keccak256
from primitives.merkle import merkle_root

DEADLINE_BLOCKS, DEADLINE_SECONDS = 5, 60
PREV_ACCOUNTS, POST_ACCOUNTS = b"\x11" * 32, b"\x22" * 32
ROOT = state_root(PREV_ACCOUNTS, EMPTY_CHAIN)
ALICE, BOB, CAROL = b"\xaa" * 20, b"\xbb" * 20, b"\xcc" * 20
SIG = bytes(65)
T0 = 1_000_000


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
    """A compact batch of ``entries`` from ROOT (claims are checked, not computed, only in version 1)."""
    b = Batch(PREV_ACCOUNTS, EMPTY_CHAIN, POST_ACCOUNTS, first_deposit, [Entry(tx, b"") for tx in entries],
              VERSION_COMPACT)
    return b._replace(**changes)


def refused(rule: str, b: Batch, queue: Queue, block: int = 12, time: int = T0 + 24,
            included: int = 1) -> InvalidBatch:
    with pytest.raises(InvalidBatch) as info:
        check_batch(b, ROOT, included, queue, block, time)
    assert info.value.rule == rule
    assert str(info.value).startswith(rule)
    return info.value


def test_a_good_batch_passes_and_says_how_many_deposits_are_in():
    entries = [Deposit(1, BOB, 7), Transfer(0, 1, 3, 0, SIG), Deposit(2, CAROL, 9), Withdraw(1, CAROL, 2, 0, SIG)]
    end, roots = check_batch(batch(entries), ROOT, 1, Queue(QUEUE), 12, T0)
    assert end == 3 and roots == claim_roots(batch(entries))
    assert check_batch(batch([Transfer(0, 1, 3, 0, SIG)]), ROOT, 1, Queue(QUEUE), 12, T0)[0] == 1


def test_each_broken_rule_is_named():
    queue = Queue(QUEUE)
    good = [Deposit(1, BOB, 7), Withdraw(1, CAROL, 2, 0, SIG)]
    refused("empty batch", batch([]), queue)
    refused("wrong prev_root", batch(good, prev_accounts_root=bytes(32)), queue)
    refused("wrong prev_root", batch(good, prev_withdrawal_chain=b"\x01" * 32), queue)
    assert "must start at deposit 1" in str(refused("deposit out of order", batch(good, first_deposit=0), queue))
    refused("deposits differ", batch([Deposit(1, BOB, 8)]), queue)
    refused("deposits differ", batch([Deposit(1, CAROL, 7)]), queue)
    refused("deposits differ", batch([Deposit(2, BOB, 7)]), queue)  # where L1 put it is part of the deposit
    refused("unknown deposit", batch([Deposit(1, BOB, 7), Deposit(2, CAROL, 9), Deposit(3, ALICE, 1)]), queue)


def test_a_version_1_batch_claims_its_last_entrys_root_as_its_post_root():
    entries = [Transfer(0, 1, 3, 0, SIG)]
    b = batch(entries, version=VERSION)
    post = claim_roots(b).post_root
    assert check_claim(b._replace(entries=[Entry(entries[0], post)]), ROOT).post_root == post
    with pytest.raises(InvalidBatch, match="the last entry's root is not the post_root") as info:
        check_claim(b._replace(entries=[Entry(entries[0], bytes(32))]), ROOT)
    assert info.value.rule == "wrong post_root"


def test_a_deposit_is_overdue_only_once_its_blocks_and_its_seconds_have_passed():
    queue = Queue(QUEUE)  # deposit 2 was queued in block 12 at T0 + 24: due by block 17 and T0 + 84
    assert not is_overdue(queue, 2, 17, T0 + 10**6)
    assert not is_overdue(queue, 2, 10**6, T0 + 84)  # many cheap blocks in a few seconds
    assert is_overdue(queue, 2, 18, T0 + 85)
    assert not is_overdue(queue, 3, 10**9, T0 + 10**9)  # never queued
    leaves_2_out = batch([Deposit(1, BOB, 7)])
    assert check_batch(leaves_2_out, ROOT, 1, queue, 100, T0 + 84)[0] == 2
    assert "deposit 2 is overdue: include it first" in str(refused("overdue deposit left out", leaves_2_out,
                                                                   queue, block=18, time=T0 + 85))
    assert check_batch(batch([Deposit(1, BOB, 7), Deposit(2, CAROL, 9)]), ROOT, 1, queue, 18, T0 + 85)[0] == 3


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
def test_the_claim_roots_are_computed_from_the_withdrawals_the_claim_applies_whatever_the_hasher(n: int) -> None:
    withdrawals = [Withdraw(i, bytes([i]) * 20, 10 + i, i, SIG) for i in range(n)]
    junk = Withdraw(9, ALICE, 1, 0, SIG)  # a withdrawal the claim says is skipped
    b = batch([Transfer(0, 1, 1, 0, SIG), junk, *withdrawals, Deposit(1, BOB, 7)], skipped=frozenset({1}))
    calls = []

    def metered(data: bytes) -> bytes:
        calls.append(len(data))
        return keccak256(data)

    leaves = [withdrawal_leaf(w) for w in withdrawals]
    chain = EMPTY_CHAIN
    for leaf in leaves:
        chain = next_withdrawal_chain(chain, leaf)
    expected = (ROOT, state_root(POST_ACCOUNTS, chain), chain, merkle_root(leaves))
    assert claim_roots(b) == expected
    assert claim_roots(b, metered) == expected
    assert calls[:2 * n] == [60, 64] * n  # every leaf and chain link, then the roots and tree nodes, metered
    assert b.claimed_withdrawals() == withdrawals
