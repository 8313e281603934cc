"""The pending pool: transactions accepted but not yet mined, indexed by sender and nonce.

It behaves as geth's and anvil's pools do where a web3 user would notice: a
transaction whose nonce leaves a gap waits, queued, until the gap is filled; a
transaction with the nonce of one already pending replaces it when it pays at
least ``PRICE_BUMP_PERCENT`` more (both fee cap and tip), and is refused as
underpriced otherwise. It is bounded, so that nobody can grow the work every
submission and every block does: at most ``MAX_PER_SENDER`` transactions per
sender (and nonces at most that far ahead of the account's), and ``MAX_POOL``
in all. Every lookup is by hash or by sender, never a scan of the pool.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from contracts_spec.l1 import (
    PRICE_BUMP_PERCENT,  # a replacement pays this much more (geth's --txpool.pricebump)
)
from node.transactions import Transaction

# geth's defaults: 16 executable and 64 queued slots per account, 5,120 + 1,024 in all; one bound
# per sender and a round total keep the rule easy to state.
MAX_PER_SENDER = 64
MAX_POOL = 10_000


class PoolRefused(ValueError):
    """The pool will not take a transaction; the message says why."""


class TxPool:
    """Pending transactions by hash and by (sender, nonce), iterated in arrival order."""

    def __init__(self, txs: Iterable[Transaction] = ()) -> None:
        self._by_hash: dict[bytes, Transaction] = {}
        self._by_sender: dict[str, dict[int, Transaction]] = {}
        for tx in txs:
            self._put(tx)

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_hash)

    def __iter__(self) -> Iterator[Transaction]:
        return iter(list(self._by_hash.values()))

    def __contains__(self, tx: object) -> bool:
        return isinstance(tx, Transaction) and self._by_hash.get(tx.hash) is tx

    def get(self, tx_hash: bytes) -> Transaction | None:
        return self._by_hash.get(tx_hash)

    def of_sender(self, sender: str) -> dict[int, Transaction]:
        """The sender's pooled transactions by nonce (a copy)."""
        return dict(self._by_sender.get(sender, {}))

    def senders(self) -> list[str]:
        return list(self._by_sender)

    def next_nonce(self, sender: str, account_nonce: int) -> int:
        """The nonce after the sender's contiguous run of pooled transactions from ``account_nonce``."""
        mine = self._by_sender.get(sender, {})
        nonce = account_nonce
        while nonce in mine:
            nonce += 1
        return nonce

    def committed_cost(self, sender: str, *, besides: int | None = None) -> int:
        """What the sender's pooled transactions may spend at most (gas × fee cap + value)."""
        return sum(t.gas * t.fee_cap + t.value for n, t in self._by_sender.get(sender, {}).items() if n != besides)

    def split(self, account_nonce_of: dict[str, int]) -> tuple[list[Transaction], list[Transaction]]:
        """(executable, queued): per sender, the contiguous run from its account nonce, and the rest."""
        executable: list[Transaction] = []
        queued: list[Transaction] = []
        for sender, mine in self._by_sender.items():
            run = self.next_nonce(sender, account_nonce_of.get(sender, 0))
            for nonce, tx in sorted(mine.items()):
                (executable if nonce < run else queued).append(tx)
        return executable, queued

    # -- admission ---------------------------------------------------------------------------

    def check(self, tx: Transaction, account_nonce: int) -> Transaction | None:
        """Whether the pool takes ``tx``: the pending transaction it would replace, or None; PoolRefused if not."""
        if tx.nonce < account_nonce:
            raise PoolRefused(f"nonce too low: next nonce {account_nonce}, tx nonce {tx.nonce}")
        mine = self._by_sender.get(tx.sender, {})
        old = mine.get(tx.nonce)
        if old is not None:
            if not (_bumped(tx.fee_cap, old.fee_cap) and _bumped(tx.tip_cap, old.tip_cap)):
                raise PoolRefused(
                    f"replacement transaction underpriced: nonce {tx.nonce} is pending with fee cap "
                    f"{old.fee_cap} and tip {old.tip_cap}; a replacement pays at least {PRICE_BUMP_PERCENT}% "
                    "more of both")
            return old
        # Nonces from the account's own to MAX_PER_SENDER - 1 ahead: so at most MAX_PER_SENDER per sender.
        if tx.nonce >= account_nonce + MAX_PER_SENDER:
            raise PoolRefused(f"nonce too high: tx nonce {tx.nonce} is {tx.nonce - account_nonce} ahead of the "
                              f"account's {account_nonce}; a sender may have at most {MAX_PER_SENDER} pending, "
                              f"so at most {MAX_PER_SENDER - 1} ahead are queued")
        if len(self._by_hash) >= MAX_POOL:
            raise PoolRefused(f"the pending pool is full ({MAX_POOL} transactions): try again after the next block")
        return None

    def add(self, tx: Transaction) -> Transaction | None:
        """Put ``tx`` in (after ``check``); returns the transaction it replaced, if any."""
        old = self._by_sender.get(tx.sender, {}).get(tx.nonce)
        if old is not None:
            self.discard([old.hash])
        self._put(tx)
        return old

    def discard(self, hashes: Iterable[bytes]) -> None:
        for tx_hash in hashes:
            tx = self._by_hash.pop(tx_hash, None)
            if tx is None:
                continue
            mine = self._by_sender[tx.sender]
            if mine.get(tx.nonce) is tx:
                del mine[tx.nonce]
            if not mine:
                del self._by_sender[tx.sender]

    def _put(self, tx: Transaction) -> None:
        self._by_hash[tx.hash] = tx
        self._by_sender.setdefault(tx.sender, {})[tx.nonce] = tx


def _bumped(new: int, old: int) -> bool:
    return new * 100 >= old * (100 + PRICE_BUMP_PERCENT)
