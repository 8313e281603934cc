"""The operator's core without L1: admit transactions, apply them, cut batches.

The sequencer applies every admitted transaction to its state at once with
``apply_tx`` (so admission *is* the nonce and balance check), and hashes the
state tree only when it cuts a batch: every leaf of the batch in one batched
keccak call, then one tree update per step for the intermediate roots, then
each step's state root (accounts root and withdrawal chain) in one more
batched call. It does no I/O, so the benchmark times exactly this and the
``Operator`` wraps it with L1. Deposits go where L1 put them: each at the
account index its ``DepositQueued`` event names.

Admission is undoable: :meth:`Sequencer.mark` notes where the pending list
stands (three integers, nothing copied) and :meth:`Sequencer.roll_back`
rebuilds the prior accounts from the batch's base state and the earlier
pending writes, so the operator can drop a chunk its log failed to record.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from contracts_spec.optimistic.encoding import (
    ENTRY_SIZE,
    HEADER_SIZE,
    KIND_DEPOSIT,
    KIND_TRANSFER,
    KIND_WITHDRAW,
    Batch,
    Entry,
    encode_batch,
    is_packable,
)
from contracts_spec.optimistic.rules import (
    Account,
    Deposit,
    InvalidTransaction,
    Transfer,
    Tx,
    Withdraw,
    apply_tx,
    tx_digests,
)
from contracts_spec.optimistic.state import FullState
from primitives.secp256k1 import recover_addresses_raw

_KIND = {Deposit: KIND_DEPOSIT, Transfer: KIND_TRANSFER, Withdraw: KIND_WITHDRAW}
_SIGNED = (Transfer, Withdraw)


class Rejected(ValueError):
    """A transaction the sequencer refused at the door; the message says why."""


@dataclass
class Pending:
    """An admitted transaction, the writes it made, its withdrawal leaf and the withdrawal chain after it."""

    tx: Tx
    writes: list[tuple[int, Account]]
    withdrawal_leaf: bytes | None
    chain: bytes
    skipped: bool = False  # a withdrawal posted as a no-op (only ``inject`` makes one)


@dataclass(frozen=True)
class Mark:
    """Where admission stood: what :meth:`Sequencer.roll_back` returns to."""

    epoch: int  # the sequencer's count of cuts and resets: a mark dies with its batch
    pending: int
    pending_bytes: int
    next_deposit: int


@dataclass
class SealedBatch:
    """A cut batch: its decoded form, its bytes and the state it started from."""

    batch: Batch
    data: bytes
    base: FullState | None


class Sequencer:
    """Orders and applies L2 transactions and cuts them into batches."""

    def __init__(
        self,
        depth: int,
        domain_separator: bytes,
        *,
        max_batch_bytes: int = 120_000,
        next_deposit: int = 0,
        keep_checkpoints: bool = True,
        compact: bool = False,
    ) -> None:
        self.state = FullState(depth)
        self.domain_separator = domain_separator
        self.max_batch_bytes = max_batch_bytes
        self.next_deposit = next_deposit  # id of the next L1 deposit to include
        self.keep_checkpoints = keep_checkpoints
        self.compact = compact  # post version-2 batches: no intermediate roots in calldata
        self.pending: list[Pending] = []
        self.pending_bytes = HEADER_SIZE
        self.batch_first_deposit = next_deposit
        self.base: FullState | None = self.state.copy() if keep_checkpoints else None
        self._start_chain = self.state.withdrawal_chain  # the withdrawal chain where the next batch starts
        self._epoch = 0

    # -- admission ----------------------------------------------------------------------

    def room_for(self, tx: Tx) -> bool:
        """True when ``tx`` still fits in the batch being built."""
        return self.pending_bytes + ENTRY_SIZE[_KIND[type(tx)]] <= self.max_batch_bytes

    def submit(self, txs: Sequence[Transfer | Withdraw]) -> list[str | None]:
        """Admit signed transactions; per transaction None, or why it was refused.

        Signatures are recovered in one batched call on every core, then each
        transaction is applied in order, so a later one may spend what an
        earlier one received. Callers cut a batch when :meth:`room_for` is False.
        """
        signed = [tx for tx in txs if type(tx) in _SIGNED]
        digests = tx_digests(self.domain_separator, signed)
        recovered = iter(recover_addresses_raw(digests, [tx.signature for tx in signed], strict=False))
        out: list[str | None] = []
        for tx in txs:
            signer = next(recovered) if type(tx) in _SIGNED else None
            try:
                self._admit(tx, signer)
                out.append(None)
            except InvalidTransaction as exc:
                self.state.take_writes()  # apply_tx wrote nothing; keep the journal clean
                out.append(str(exc))
        return out

    def _admit(self, tx: Transfer | Withdraw, signer: bytes | None) -> None:
        if type(tx) not in _SIGNED:
            raise InvalidTransaction("unknown transaction type", type(tx).__name__)
        if not isinstance(tx.signature, bytes) or len(tx.signature) != 65:
            raise InvalidTransaction("bad signature", "a signature is 65 bytes r||s||v")
        if not is_packable(tx.amount):
            raise InvalidTransaction("amount not packable", f"{tx.amount} has no 5-byte packed form")
        if not self.room_for(tx):
            raise InvalidTransaction("batch full", "cut a batch first")
        applied = apply_tx(self.state, tx, signer)
        self._append(tx, self.state.take_writes(), applied.withdrawal_leaf)
        return None

    def add_deposit(self, deposit_id: int, address: bytes, amount: int, index: int | None = None) -> Deposit:
        """Include L1 deposit ``deposit_id`` (they must come in queue order) at account ``index``.

        ``index`` is the one L1 assigned the deposit (its ``DepositQueued``
        event says which); without it, the one L1 assigns by its rule.
        """
        if deposit_id != self.next_deposit:
            raise Rejected(f"deposit {deposit_id} out of order: the next one is {self.next_deposit}")
        tx = Deposit(self.state.deposit_index(address) if index is None else index, address, amount)
        apply_tx(self.state, tx)
        self._append(tx, self.state.take_writes(), None)
        self.next_deposit += 1
        return tx

    def inject(self, tx: Tx, writes: Mapping[int, Account], *, applies: bool = True) -> None:
        """Include ``tx`` with the state change ``writes``, checking nothing.

        This is how a *malicious* operator steals, skips a signature check or
        lies about a root; honest code never calls it. A withdrawal is claimed
        to apply (its leaf joins the withdrawal chain and root) unless
        ``applies`` is False, which posts it as a skipped no-op.
        """
        for index, account in writes.items():
            self.state.set_account(index, account)
        leaf = None
        if isinstance(tx, Withdraw) and applies:
            leaf = self.state.record_withdrawal(tx)
        self._append(tx, self.state.take_writes(), leaf, skipped=isinstance(tx, Withdraw) and not applies)

    def _append(self, tx: Tx, writes: list[tuple[int, Account]], leaf: bytes | None, *, skipped: bool = False) -> None:
        self.pending.append(Pending(tx, writes, leaf, self.state.withdrawal_chain, skipped))
        self.pending_bytes += ENTRY_SIZE[_KIND[type(tx)]]

    # -- undo -----------------------------------------------------------------------------

    def mark(self) -> Mark:
        """A cheap checkpoint of admission; valid until the next cut or reset."""
        return Mark(self._epoch, len(self.pending), self.pending_bytes, self.next_deposit)

    def roll_back(self, mark: Mark) -> list[Tx]:
        """Undo every admission since ``mark``; the transactions it drops, in order.

        The accounts they wrote get back the value they had at ``mark``: the
        last earlier pending write, else the batch's base state; accounts they
        created disappear with their address index. Nothing is kept per
        admission for this, so it costs the hot path nothing and the rare
        rollback a pass over the batch being built.
        """
        if mark.epoch != self._epoch or mark.pending > len(self.pending):
            raise ValueError("this mark belongs to a batch already cut or reset: nothing to roll back to")
        undone = self.pending[mark.pending:]
        # An admission that raised half-way may have written without a pending entry.
        stray = self.state.take_writes()
        if not undone and not stray:
            return []
        if self.base is None:
            raise ValueError("rolling back needs the batch's base state: build with keep_checkpoints=True")
        base_accounts = self.base.accounts
        prior = {i: base_accounts.get(i) for p in undone for i, _ in p.writes}
        prior.update((i, base_accounts.get(i)) for i, _ in stray)
        for p in self.pending[:mark.pending]:
            for i, account in p.writes:
                if i in prior:
                    prior[i] = account
        state = self.state
        for i, before in prior.items():
            if before is not None:
                state.accounts[i] = before
                continue
            created = state.accounts.pop(i, None)
            if created is not None and state.index_of.get(created.address) == i:
                del state.index_of[created.address]
        state.withdrawal_chain = self.pending[mark.pending - 1].chain if mark.pending else self._start_chain
        del self.pending[mark.pending:]
        self.pending_bytes = mark.pending_bytes
        self.next_deposit = mark.next_deposit
        return [p.tx for p in undone]

    # -- batches -------------------------------------------------------------------------

    def cut_batch(self) -> SealedBatch | None:
        """Hash the pending steps into the tree and encode them as one batch."""
        if not self.pending:
            return None
        prev_accounts = self.state.accounts_root
        roots = self.state.commit_steps([(p.writes, p.chain) for p in self.pending])
        entries = [Entry(p.tx, root) for p, root in zip(self.pending, roots, strict=True)]
        skipped = frozenset(i for i, p in enumerate(self.pending) if p.skipped)
        batch = Batch(prev_accounts, self._start_chain, self.state.accounts_root, self.batch_first_deposit, entries,
                      skipped=skipped)
        # The roots stay in ``batch`` either way: a proposer defends a compact batch with them.
        sealed = SealedBatch(batch, encode_batch(batch, compact=self.compact), self.base)
        self.pending = []
        self.pending_bytes = HEADER_SIZE
        self.batch_first_deposit = self.next_deposit
        self.base = self.state.copy() if self.keep_checkpoints else None
        self._start_chain = self.state.withdrawal_chain
        self._epoch += 1
        return sealed

    def reset(self, base: FullState, next_deposit: int) -> list[Tx]:
        """Drop pending work and restart from ``base``; the dropped transactions."""
        dropped = [p.tx for p in self.pending]
        self.state = base.copy()
        self.base = base.copy() if self.keep_checkpoints else None
        self._start_chain = base.withdrawal_chain
        self.pending = []
        self.pending_bytes = HEADER_SIZE
        self.next_deposit = self.batch_first_deposit = next_deposit
        self._epoch += 1
        return dropped
