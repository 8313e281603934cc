"""What L1 checks when a batch is submitted, or a claim re-proposed, written once as pure rules.

``submit_batch`` and ``repropose_batch`` run these with their metered keccak
and storage behind :class:`DepositQueue`; the operator, and anyone forcing
deposits in, runs the same functions on the queue it rebuilt from L1 events
before it posts, so a batch L1 would refuse is refused at home, for the same
reason, without an L1 transaction. Each refusal is an :class:`InvalidBatch`
naming the rule:

- who: the operator may always submit, anyone else only while the queue's
  next deposit is overdue (forced inclusion);
- a batch has at least one entry and starts from the current state root;
  in a version-1 batch the last entry's root is the claimed post_root
  (:func:`check_claim`, which a re-proposed claim meets too);
- it starts at the queue's next deposit, and its deposits are exactly the
  next ones of the L1 queue, each at the account index L1 assigned it: the
  running hash (``rules.next_deposit_hash``) after them is the queue's after
  as many;
- it leaves no overdue deposit out: the first deposit after it is not
  overdue, that is, more than ``deposit_deadline_blocks`` blocks *and*
  ``deposit_deadline_seconds`` seconds old (both: blocks are cheap on a dev
  chain, and seconds move under time travel and timestamp skew).

The withdrawal root and the post-state root are not checked but computed:
``encoding.claim_roots`` derives them from the header and the withdrawal
kinds, so they are the claim a fraud proof disputes.
"""

from __future__ import annotations

from typing import Protocol

from contracts_spec.optimistic.encoding import Batch, ClaimRoots, claim_roots
from contracts_spec.optimistic.rules import Deposit, Hasher, next_deposit_hash
from primitives.keccak import keccak256


class InvalidBatch(ValueError):
    """A batch breaks a submission rule; ``rule`` names it in a few words."""

    def __init__(self, rule: str, detail: str = "") -> None:
        super().__init__(f"{rule}: {detail}" if detail else rule)
        self.rule = rule


class DepositQueue(Protocol):
    """The L1 deposit queue as the rules read it: contract storage on L1, replayed events elsewhere.

    The rules read only what they need, when they need it, so L1 pays for no
    storage read a batch does not call for.
    """

    def count(self) -> int:
        """Deposits ever queued."""
        ...

    def running_hash(self, n: int) -> bytes:
        """The queue's running hash after its first ``n`` deposits (32 zero bytes for none)."""
        ...

    def due(self, deposit_id: int) -> tuple[int, int]:
        """The last block and the last second at which a batch may still leave deposit ``deposit_id`` out."""
        ...


def is_overdue(queue: DepositQueue, deposit_id: int, block_number: int, timestamp: int) -> bool:
    """True when deposit ``deposit_id`` was queued and, at that block and time, is past both its deadlines."""
    if deposit_id >= queue.count():
        return False
    due_block, due_time = queue.due(deposit_id)
    return block_number > due_block and timestamp > due_time


def check_proposer(is_operator: bool, queue: DepositQueue, included: int, block_number: int, timestamp: int) -> None:
    """Only the operator submits, unless the queue's next deposit (``included``) is overdue."""
    if not is_operator and not is_overdue(queue, included, block_number, timestamp):
        raise InvalidBatch("not the operator", "only the operator may submit while no deposit is overdue")


def compute_deposit_hash(running: bytes, batch: Batch, hasher: Hasher = keccak256) -> tuple[bytes, int]:
    """The queue's running hash after ``batch``'s deposits, starting from ``running``; and their count."""
    count = 0
    for entry in batch.entries:
        tx = entry.tx
        if isinstance(tx, Deposit):
            running = next_deposit_hash(running, tx.index, tx.address, tx.amount, hasher)
            count += 1
    return running, count


def check_deposits(
    batch: Batch, included: int, queue: DepositQueue, block_number: int, timestamp: int,
    hasher: Hasher = keccak256,
) -> int:
    """``batch``'s deposits are the queue's next ones and leave none overdue; the deposits included after it."""
    running, count = compute_deposit_hash(queue.running_hash(included), batch, hasher)
    end = included + count
    if end > queue.count():
        raise InvalidBatch("unknown deposit", "batch includes deposits that were never made")
    if running != queue.running_hash(end):
        raise InvalidBatch("deposits differ", "batch deposits differ from the L1 queue (amounts, order or indices)")
    if is_overdue(queue, end, block_number, timestamp):
        raise InvalidBatch("overdue deposit left out", f"deposit {end} is overdue: include it first")
    return end


def check_claim(batch: Batch, state_root: bytes, hasher: Hasher = keccak256) -> ClaimRoots:
    """The claim rules every posted claim meets, new or re-proposed; the roots it claims.

    ``state_root`` is L1's current state root (the post_root of the last
    standing claim), where the claim must start.
    """
    if not batch.entries:
        raise InvalidBatch("empty batch")
    roots = claim_roots(batch, hasher)
    if roots.prev_root != state_root:
        raise InvalidBatch("wrong prev_root", "prev_root is not the current state root")
    if not batch.compact and batch.entries[-1].root != roots.post_root:
        raise InvalidBatch("wrong post_root", "the last entry's root is not the post_root the header claims")
    return roots


def check_batch(
    batch: Batch, state_root: bytes, included: int, queue: DepositQueue, block_number: int, timestamp: int,
    hasher: Hasher = keccak256,
) -> tuple[int, ClaimRoots]:
    """Every rule on a decoded new batch submitted at that block and time; the deposits included after it, and its roots.

    ``state_root`` and ``included`` are L1's current state root and count of
    deposits already in batches.
    """
    roots = check_claim(batch, state_root, hasher)
    if batch.first_deposit != included:
        raise InvalidBatch("deposit out of order", f"batch must start at deposit {included}")
    end = check_deposits(batch, included, queue, block_number, timestamp, hasher)
    return end, roots
