"""The operator: sequencer and proposer of the optimistic rollup, talking to L1.

It admits signed transactions (batch signature recovery, then ``apply_tx``)
and includes L1 deposits in queue order, each at the account index L1
assigned it; admission only cuts a batch that is full (``batch_full``).
Batches are sent only by ``tick``, a timer's call (it syncs, then posts the
full batches, and the pending one once it is old enough) and by
``post_batch``, each with ``submit_batch`` once L1's submission rules
(``submission``) pass on the operator's own copy of the deposit queue.

It follows L1 too: a batch someone else forced in is adopted by derivation.
When a fraud proof shows a claim wrong, every posted batch stays posted: the
operator derives the true state from their data again (an invalid step is a
no-op), and before it posts anything new it re-proposes the true claims from
the first invalid one on, one ``repropose_batch`` per batch. Against a
contract that un-posts batches instead (``BatchReverted``), it rolls back to
the last good state and re-admits the transactions the revert handed back
(the invalid ones are refused again at the door).

With an :class:`~rollup.optimistic.wal.AcceptLog` every accepted
transaction is on disk before ``submit`` returns, and is forgotten once the
batch holding it is on L1; ``recover`` replays what a crash left in the log.
Admission and the log move together: a chunk whose log write fails is rolled
back out of the sequencer (:class:`NotLogged`), so the mempool never holds a
transaction the caller was told is refused, nor one the log cannot replay.

``malicious`` behaviour is explicit: ``censor_deposits`` leaves deposits out,
and ``sequencer.inject`` puts an unchecked transaction or a false state change
into the next batch.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts_spec.optimistic.encoding import ENTRY_SIZE, batch_header, decode_batch, encode_batch
from contracts_spec.optimistic.rules import Deposit, Transfer, Tx, Withdraw
from contracts_spec.optimistic.state import FullState
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import derive_claim
from rollup.optimistic.l1view import (
    Cursor,
    L1DepositQueue,
    RollupL1,
    check_reproposal,
    check_submission,
)
from rollup.optimistic.sequencer import SealedBatch, Sequencer
from rollup.optimistic.wal import AcceptLog, tx_ids

_LARGEST_ENTRY = max(ENTRY_SIZE.values())


@dataclass
class Recovery:
    """What replaying the write-ahead log did at start."""

    already_on_l1: int  # logged transactions a batch on L1 already holds: dropped
    readmitted: int  # back in the mempool, in their original order
    refused: list[tuple[Transfer | Withdraw, str]]  # no longer valid, with the reason


class NotLogged(RuntimeError):
    """The write-ahead log failed on a chunk of a ``submit``: that chunk left no trace.

    ``results`` are the outcomes of the transactions before it, which are
    logged and stay admitted; the transactions from ``len(results)`` on were not.
    """

    def __init__(self, results: list[str | None], total: int, cause: BaseException) -> None:
        self.results = results
        self.total = total
        accepted = sum(r is None for r in results)
        super().__init__(
            f"transactions {len(results)}..{total - 1} of {total} were not admitted, the operator "
            f"could not log them ({cause}); the {len(results)} before them stand "
            f"({accepted} accepted and logged)"
        )


@dataclass
class Posted:
    """A posted batch: its true claim as the operator derived it, and the claim L1 holds for it.

    ``sealed`` holds the batch's transactions with the roots derivation gives
    (what the operator posts, re-proposes and defends) and the derived state
    before it; ``proposer`` and ``claim`` (the body hash and withdrawal root
    that open L1's commitment) are those of the claim L1 holds.
    """

    sealed: SealedBatch
    proposer: str
    claim: tuple[bytes, bytes] = (b"", b"")


class Operator:
    """Sequences L2 transactions into batches and posts them to the rollup contract."""

    def __init__(
        self, rollup: RollupL1, key: bytes, *, max_batch_age: int = 10, log: AcceptLog | None = None
    ) -> None:
        self.rollup = rollup
        self.key = key
        self.address = private_key_to_address(key)
        params = rollup.params()
        self.params = params
        self.sequencer = Sequencer(
            params.tree_depth, rollup.domain_separator(), max_batch_bytes=params.max_batch_bytes,
            compact=rollup.compact,
        )
        self.max_batch_age = max_batch_age
        self.reorganisations = 0  # times L1 took back blocks this operator had read
        self.posted: list[Posted] = []
        self.ready: list[SealedBatch] = []  # full batches cut at admission, for the next tick to post
        self.deposit_queue = L1DepositQueue(params.deposit_deadline_blocks)
        self.censor_deposits = False
        self.returned: list[Tx] = []  # transactions handed back by a contract that un-posts batches
        self.invalid_from: int | None = None  # the first posted batch whose L1 claim was proven wrong
        self._first_pending_time: int | None = None
        self.cursor = Cursor()
        self._final_upto = 0  # posted batches before this are final on L1: the log has forgotten them
        self.log = log

    # -- L2 users ------------------------------------------------------------------------

    @property
    def state(self) -> FullState:
        """The operator's head state (pending transactions included)."""
        return self.sequencer.state

    @property
    def batch_full(self) -> bool:
        """True when a full batch waits for :meth:`tick` (or :meth:`post_batch`) to post it."""
        return bool(self.ready)

    @property
    def unposted(self) -> int:
        """Entries accepted and not yet on L1: those of the full batches waiting, and the pending ones."""
        return sum(len(s.batch.entries) for s in self.ready) + len(self.sequencer.pending)

    def submit(self, txs: list[Transfer | Withdraw]) -> list[str | None]:
        """Admit signed transactions; None for each accepted, else the reason.

        It never talks to L1 but to read its clock: when the batch being built
        is full it is cut and waits (``batch_full``) for the next :meth:`tick`
        to post it, and admission goes on into the next one. With a log, each
        chunk's accepted transactions are durable before the next step; a
        chunk the log fails to record is rolled back out of the sequencer and
        :class:`NotLogged` says how far the call got.
        """
        out: list[str | None] = []
        start = 0
        while start < len(txs):
            end = start
            room = self.params.max_batch_bytes - self.sequencer.pending_bytes
            while end < len(txs) and room >= _LARGEST_ENTRY:
                room -= _LARGEST_ENTRY
                end += 1
            if end == start:
                if not self._seal():
                    raise ValueError(f"max_batch_bytes {self.params.max_batch_bytes} fits no transaction")
                continue
            chunk = txs[start:end]
            mark = self.sequencer.mark()
            try:
                results = self.sequencer.submit(chunk)
                if self.log is not None:
                    try:
                        self.log.append([tx for tx, r in zip(chunk, results, strict=True) if r is None])
                    except Exception as exc:
                        raise NotLogged(out, len(txs), exc) from exc
            except Exception:
                self.sequencer.roll_back(mark)  # admitted only once logged: the chunk leaves no trace
                raise
            out.extend(results)
            start = end
            if self.sequencer.pending and self._first_pending_time is None:
                self._first_pending_time = self.rollup.l1.timestamp()
        return out

    # -- L1 ------------------------------------------------------------------------------

    def post_bond(self, amount: int) -> dict:
        return self.rollup.transact(self.key, "post_bond", value=amount)

    def sync(self) -> None:
        """Read new L1 events: deposits to include, foreign batches, claims proven wrong or re-proposed.

        When L1 reorganised under it (``evm_revert`` is one), the operator
        starts over from L1 and admits again, in their order, the transactions
        it had accepted that L1 no longer holds.
        """
        if self.cursor.moved_back(self.rollup.l1):
            self._follow_reorganisation()
            return
        events, next_block = self.rollup.events_since(self.cursor.next_block)
        self.cursor.advance(self.rollup.l1, next_block)
        for name, ev in events:
            if name == "DepositQueued":
                self.deposit_queue.add(ev)
            elif name == "BatchSubmitted" and ev["index"] >= len(self.posted):
                self._adopt(ev)
            elif name == "BatchReverted" and ev["index"] < len(self.posted):
                self._roll_back(ev["index"])
            elif name == "FraudProven" and ev["index"] < len(self.posted):
                self._rederive(ev["index"])
            elif name == "ClaimReproposed" and ev["index"] < len(self.posted):
                self._claim_replaced(ev)
        self.include_deposits()

    def include_deposits(self) -> None:
        """Apply queued deposits in order (unless censoring)."""
        if self.censor_deposits:
            return
        seq = self.sequencer
        queue = self.deposit_queue
        while seq.next_deposit in queue:
            address, amount = queue[seq.next_deposit]
            if not seq.room_for(Deposit(0, address, amount)):
                self._seal()
            seq.add_deposit(seq.next_deposit, address, amount, queue.account(seq.next_deposit))
            if self._first_pending_time is None:
                self._first_pending_time = self.rollup.l1.timestamp()

    def post_batch(self) -> dict | None:
        """Post every full batch waiting, then the pending transactions as one more; the last receipt.

        Claims proven wrong are re-proposed first (:meth:`repropose`). The
        submission rules run first on each, as L1 will run them: a batch they
        refuse raises their ``InvalidBatch`` without an L1 transaction.
        """
        receipt = self.repropose()
        self._seal()
        return self._post_ready() or receipt

    def repropose(self) -> dict | None:
        """Re-propose the true claim of every batch from the first invalid one on; the last receipt.

        One ``repropose_batch`` per batch, in order, each bounded by its own
        batch. The claim rules run first, as L1 will: a claim L1 would refuse
        (it starts from a root L1 does not hold) raises their ``InvalidBatch``.
        """
        receipt = None
        while self.invalid_from is not None:
            index = self.invalid_from
            posted = self.posted[index]
            check_reproposal(self.rollup, posted.sealed.batch)
            receipt = self.rollup.transact(self.key, "repropose_batch", index, *posted.claim, posted.sealed.data)
            self.cursor.witness(receipt)
            header = batch_header(posted.sealed.data, posted.sealed.batch)
            posted.proposer, posted.claim = self.address, (header.body_hash(), header.withdrawal_root)
            self.invalid_from = index + 1 if index + 1 < len(self.posted) else None
        return receipt

    def _seal(self) -> bool:
        """Cut the pending transactions into a batch that waits to be posted; False when none are pending."""
        sealed = self.sequencer.cut_batch()
        if sealed is None:
            return False
        self.ready.append(sealed)
        self._first_pending_time = None
        return True

    def _post_ready(self) -> dict | None:
        """Post the waiting batches in order; the last receipt (None when none waited)."""
        receipt = None
        while self.ready:
            sealed = self.ready[0]
            try:
                check_submission(self.rollup, self.deposit_queue, self.address, sealed.batch)
                receipt = self.rollup.transact(self.key, "submit_batch", sealed.data)
                self.cursor.witness(receipt)
            except Exception:
                # A rule or L1 refused it (e.g. an overdue deposit left out): its transactions,
                # and every later one, go back to pending, deposits first.
                self._unseal()
                raise
            self.ready.pop(0)
            header = batch_header(sealed.data, sealed.batch)
            self.posted.append(Posted(sealed, self.address, (header.body_hash(), header.withdrawal_root)))
        return receipt

    def _forget_final(self) -> None:
        """Let the log forget the transactions of batches now final on L1; until then a reorg may drop them."""
        if self.log is None:
            return
        while self._final_upto < len(self.posted) and self.rollup.call("is_final", self._final_upto):
            entries = self.posted[self._final_upto].sealed.batch.entries
            self.log.forget(tx_ids([e.tx for e in entries if not isinstance(e.tx, Deposit)]))
            self._final_upto += 1

    def _follow_reorganisation(self) -> None:
        """L1 took back blocks: rebuild from L1, then re-admit what this operator accepted and L1 lost."""
        accepted = [e.tx for p in self.posted for e in p.sealed.batch.entries]
        accepted += [e.tx for s in self.ready for e in s.batch.entries] + [p.tx for p in self.sequencer.pending]
        params = self.params
        self.sequencer = Sequencer(params.tree_depth, self.sequencer.domain_separator,
                                   max_batch_bytes=params.max_batch_bytes, compact=self.rollup.compact)
        self.posted, self.ready, self.invalid_from = [], [], None
        self.deposit_queue = L1DepositQueue(params.deposit_deadline_blocks)
        self.cursor, self._final_upto, self._first_pending_time = Cursor(), 0, None
        self.reorganisations += 1
        self.sync()
        on_l1 = set(tx_ids([e.tx for p in self.posted for e in p.sealed.batch.entries
                            if not isinstance(e.tx, Deposit)]))
        lost = [tx for tx in accepted if not isinstance(tx, Deposit) and tx_ids([tx])[0] not in on_l1]
        if lost:
            self.submit(lost)

    def _unseal(self) -> None:
        """Return the waiting batches and the pending transactions to the mempool, on the last posted state."""
        first = self.ready[0]
        txs = [e.tx for s in self.ready for e in s.batch.entries] + [p.tx for p in self.sequencer.pending]
        self.ready = []
        self.sequencer.reset(_checkpoint(first.base), first.batch.first_deposit)
        self._first_pending_time = None
        self.include_deposits()
        self._readmit(txs)

    def recover(self) -> Recovery:
        """Start from L1 and the write-ahead log after a crash (or any restart).

        Syncs (adopting every live batch from L1), drops logged transactions
        that a batch on L1 already holds, and re-admits the rest in their
        original order; those no longer valid are refused, reported and kept
        in the log's refused table.
        """
        if self.log is None:
            raise ValueError("this operator has no write-ahead log to recover from")
        self.sync()
        logged = self.log.entries()
        on_l1 = set(tx_ids([e.tx for p in self.posted for e in p.sealed.batch.entries
                            if not isinstance(e.tx, Deposit)]))
        self.log.forget(i for i, _ in logged if i in on_l1)
        todo = [(i, tx) for i, tx in logged if i not in on_l1]
        results = self.submit([tx for _, tx in todo])
        refused = [(i, tx, r) for (i, tx), r in zip(todo, results, strict=True) if r is not None]
        self.log.refuse((i, r) for i, _, r in refused)
        return Recovery(len(logged) - len(todo), len(todo) - len(refused), [(tx, r) for _, tx, r in refused])

    def tick(self) -> dict | None:
        """Sync with L1, post the full batches waiting, and the pending one once it is old enough.

        The timer's call: the only place besides :meth:`post_batch` that sends
        batches. Returns the receipt of the last batch posted, or None.
        """
        self.sync()
        self._forget_final()
        receipt = self.repropose()
        receipt = self._post_ready() or receipt
        if self._first_pending_time is None:
            return receipt
        if self.rollup.l1.timestamp() - self._first_pending_time >= self.max_batch_age:
            return self.post_batch()
        return receipt

    def _adopt(self, ev: dict) -> None:
        """Take in a batch another proposer posted (a forced deposit batch), or one from before a restart.

        Its transactions are derived on the head state, whatever it claims:
        a wrong claim is for the challengers to prove, and this operator
        re-proposes the true one once they have.
        """
        seq = self.sequencer
        dropped = [e.tx for s in self.ready for e in s.batch.entries]  # built on the same state: redo them after
        dropped += seq.reset(self._head_base(), ev["first_deposit"])
        self.ready = []
        batch = decode_batch(self.rollup.batch_data(ev))
        base = seq.state.copy()
        claim, post = derive_claim(base, batch, seq.domain_separator)
        seq.reset(post, batch.first_deposit + batch.deposit_count)
        sealed = SealedBatch(claim, encode_batch(claim, compact=seq.compact), base)
        self.posted.append(Posted(sealed, ev["proposer"], (ev["body_hash"], ev["withdrawal_root"])))
        self._readmit(dropped)

    def _rederive(self, index: int) -> None:
        """A fraud proof showed batch ``index``'s claim wrong: derive the true claims from there on.

        Nothing posted is dropped. The state after the posted batches is
        derived again from their data (this operator's own state may have
        held the lie), and what waited to be posted is admitted again on top.
        """
        self.invalid_from = index if self.invalid_from is None else min(self.invalid_from, index)
        seq = self.sequencer
        waiting = [e.tx for s in self.ready for e in s.batch.entries] + [p.tx for p in seq.pending]
        state = self.posted[index].sealed.base
        if state is None:
            raise RuntimeError("an operator keeps each batch's starting state (keep_checkpoints)")
        for posted in self.posted[index:]:
            claim, post = derive_claim(state, posted.sealed.batch, seq.domain_separator)
            posted.sealed = SealedBatch(claim, encode_batch(claim, compact=seq.compact), state)
            state = post
        last = self.posted[-1].sealed.batch
        self.ready = []
        seq.reset(state, last.first_deposit + last.deposit_count)
        self._first_pending_time = None
        self.include_deposits()
        self._readmit(waiting)

    def _claim_replaced(self, ev: dict) -> None:
        """L1 took a re-proposed claim for batch ``ev["index"]`` (this operator's, or anyone's)."""
        index = ev["index"]
        posted = self.posted[index]
        posted.proposer, posted.claim = ev["proposer"], (ev["body_hash"], ev["withdrawal_root"])
        if self.invalid_from is not None and index >= self.invalid_from:
            self.invalid_from = index + 1 if index + 1 < len(self.posted) else None

    def _roll_back(self, index: int) -> None:
        """Undo batches ``index..`` after a contract un-posted them, and re-admit their transactions."""
        returned = [e.tx for p in self.posted[index:] for e in p.sealed.batch.entries]
        returned += [e.tx for s in self.ready for e in s.batch.entries]
        returned += [p.tx for p in self.sequencer.pending]
        base = self.posted[index].sealed.base
        first_deposit = self.posted[index].sealed.batch.first_deposit
        del self.posted[index:]
        self.ready = []
        self.sequencer.reset(_checkpoint(base), first_deposit)
        self._first_pending_time = None
        user_txs = [tx for tx in returned if not isinstance(tx, Deposit)]
        self.returned.extend(user_txs)
        self.include_deposits()
        self._readmit(returned)

    def _head_base(self) -> FullState:
        """The state after the last live batch (where the first waiting batch, if any, starts)."""
        return _checkpoint(self.ready[0].base if self.ready else self.sequencer.base)

    def _readmit(self, txs: list[Tx]) -> None:
        user_txs = [tx for tx in txs if not isinstance(tx, Deposit)]
        if user_txs:
            self.submit(user_txs)


def _checkpoint(base: FullState | None) -> FullState:
    """A sealed batch's base state; the operator's sequencer always keeps them."""
    if base is None:
        raise RuntimeError("the operator's sequencer keeps no checkpoints: build it with keep_checkpoints=True")
    return base
