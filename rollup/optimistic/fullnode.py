"""A full node: L2 state derived from L1 alone, every claim checked against it step by step.

It reads the rollup's events and the batch calldata and derives the state
from every posted batch with ``derive_step`` (a step that breaks a rule is a
no-op), whatever the batches claim: posted data is final. It then compares
each standing claim's roots with what derivation gives; the first step whose
claimed root differs is a :class:`Fault`, and :meth:`FullNode.fraud_proof`
turns it into the arguments of ``prove_fraud``. The challenger is a full node
that sends those proofs.

A fraud proof invalidates the claim from that batch on; the node keeps the
batches (and the state) and checks the claims re-proposed for them. Only the
first faulty claim is reported: later ones build on it and go with it. If no
one proves a fault before its window closes, L1 finalizes a wrong root; the
node keeps reporting it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

from contracts_spec.optimistic.encoding import (
    Batch,
    Entry,
    batch_header,
    decode_batch,
    encode_witnesses,
    entry_proof,
)
from contracts_spec.optimistic.rules import (
    Account,
    Deposit,
    Transfer,
    Tx,
    Withdraw,
    derive_step,
    touched_accounts,
    tx_digest,
    tx_digests,
)
from contracts_spec.optimistic.state import FullState, build_witnesses
from primitives.secp256k1 import private_key_to_address, recover_addresses_raw
from rollup.optimistic.l1view import Cursor, L1DepositQueue, RollupL1, check_submission
from rollup.optimistic.sequencer import Sequencer


@dataclass(frozen=True)
class Fault:
    """The first wrong step of a batch and what is wrong with it."""

    index: int
    step: int
    reason: str


@dataclass
class KnownBatch:
    """A posted batch as a full node knows it: its current claim, and the derived state before it."""

    index: int
    data: bytes  # the calldata of its current claim: the original batch, or the re-proposal
    batch: Batch
    proposer: str  # the current claim's proposer
    base: FullState  # the derived state it starts from
    fault: Fault | None  # the first step where the current claim differs from derivation
    standing: bool = True  # False from a fraud proof until the claim is re-proposed


def recover_batch_signers(batch: Batch, domain_separator: bytes, stop: int | None = None) -> list[bytes | None]:
    """The signer of each entry (up to ``stop``; None for deposits and bad signatures), in one batched call."""
    entries = batch.entries[:stop]
    signed = [(i, e.tx) for i, e in enumerate(entries) if not isinstance(e.tx, Deposit)]
    raws = recover_addresses_raw(
        tx_digests(domain_separator, [tx for _, tx in signed]), [tx.signature for _, tx in signed], strict=False
    )
    out: list[bytes | None] = [None] * len(entries)
    for (i, _), raw in zip(signed, raws, strict=True):
        out[i] = raw
    return out


def recover_signer(tx: Tx, domain_separator: bytes) -> bytes | None:
    """The signer of one transaction (None for a deposit or a signature that does not recover)."""
    if isinstance(tx, Deposit):
        return None
    (raw,) = recover_addresses_raw([tx_digest(domain_separator, tx)], [tx.signature], strict=False)
    return raw


def replay_batch(
    state: FullState, batch: Batch, index: int, domain_separator: bytes, stop: int | None = None
) -> Fault | None:
    """Derive ``batch`` on ``state`` step by step (up to ``stop``), checking each claimed root.

    ``state`` always ends as derivation leaves it, every step applied or
    skipped as a no-op; the result is the first step whose claimed root
    differs from derivation, or None. A compact batch has no intermediate
    roots: only its post_root is checked, and a wrong one is a fault at its
    last step that a bisection game narrows down.
    """
    fault = None if batch.prev_root == state.root else Fault(index, 0, "prev_root is not the derived state root")
    signers = recover_batch_signers(batch, domain_separator, stop)
    compact = batch.compact
    for step, (tx, root) in enumerate(batch.entries[:stop]):
        skipped = derive_step(state, tx, signers[step]).skipped
        if compact:
            continue  # writes pile up and are hashed once, below
        if state.commit() != root and fault is None:
            why = f"invalid transaction: {skipped}; it is a no-op, so the claimed root is wrong" if skipped else ""
            fault = Fault(index, step, why or "wrong state root")
    if compact and state.commit() != batch.post_root and stop is None and fault is None:
        fault = Fault(index, len(batch.entries) - 1, "wrong post root")
    return fault


def derive_claim(base: FullState, batch: Batch, domain_separator: bytes) -> tuple[Batch, FullState]:
    """The true claim for ``batch``'s transactions from ``base``, and the state after them.

    Each step is derived (``derive_step``): the roots after each, which
    withdrawals apply and which are skipped. The transactions and their order
    are ``batch``'s own; only the claim is new. ``base`` is unchanged.
    """
    state = base.copy()
    signers = recover_batch_signers(batch, domain_separator)
    steps, skipped = [], set()
    for step, (tx, _) in enumerate(batch.entries):
        if derive_step(state, tx, signers[step]).skipped and isinstance(tx, Withdraw):
            skipped.add(step)
        steps.append((state.take_writes(), state.withdrawal_chain))
    roots = state.commit_steps(steps)
    claim = Batch(base.accounts_root, base.withdrawal_chain, state.accounts_root, batch.first_deposit,
                  [Entry(e.tx, root) for e, root in zip(batch.entries, roots, strict=True)],
                  batch.version, frozenset(skipped))
    return claim, state


def disputed_step_witnesses(base: FullState, batch: Batch, index: int, domain_separator: bytes, step: int) -> bytes:
    """The witnesses L1 needs to judge step ``step`` of ``batch``, which starts from ``base``.

    The steps before it are replayed (recovering their signers only) to reach
    its pre-state; the disputed step's own signer is recovered alone, never
    the rest of the batch's.
    """
    state = base.copy()
    if step and replay_batch(state, batch, index, domain_separator, stop=step):
        raise RuntimeError(f"steps before {step} of batch {index} do not replay cleanly: the fault is earlier")
    state.commit()
    tx = batch.entries[step].tx
    return step_witnesses(state, tx, recover_signer(tx, domain_separator))


def step_witnesses(state: FullState, tx: Tx, signer: bytes | None) -> bytes:
    """The encoded witnesses L1 needs to derive ``tx`` on ``state`` (the committed state before the step)."""
    scratch = state.copy()
    touched = touched_accounts(tx)
    skipped = derive_step(scratch, tx, signer).skipped
    # A step that applied leaves every account it touches in place.
    writes = {} if skipped else {i: cast(Account, scratch.get_account(i)) for i in touched}
    return encode_witnesses(build_witnesses(state, touched, writes))


class FullNode:
    """Follows the rollup on L1 and holds the L2 state its posted batches derive."""

    def __init__(self, rollup: RollupL1) -> None:
        self.rollup = rollup
        params = rollup.params()
        self.depth = params.tree_depth
        self.domain_separator = rollup.domain_separator()
        self._deadline_blocks = params.deposit_deadline_blocks
        self._start_over()

    def _start_over(self) -> None:
        """Forget everything derived: the next sync reads L1 from its first block."""
        self.state = FullState(self.depth)
        self.batches: list[KnownBatch] = []
        self.deposits = L1DepositQueue(self._deadline_blocks)
        self.cursor = Cursor()

    @property
    def root(self) -> bytes:
        return self.state.root

    def faults(self) -> list[Fault]:
        """The fault of the first standing claim that differs from derivation (later ones go with it)."""
        for known in self.batches:
            if known.standing and known.fault is not None:
                return [known.fault]
        return []

    def sync(self) -> list[Fault]:
        """Process new L1 events; the faults of standing claims afterwards."""
        if self.cursor.moved_back(self.rollup.l1):  # L1 reorganised under us: derive again from L1
            self._start_over()
        events, next_block = self.rollup.events_since(self.cursor.next_block)
        self.cursor.advance(self.rollup.l1, next_block)
        for name, ev in events:
            if name == "DepositQueued":
                self.deposits.add(ev)
            elif name == "BatchSubmitted":
                self._on_batch(ev)
            elif name == "FraudProven":
                self._on_fraud(ev["index"])
            elif name == "ClaimReproposed":
                self._on_reproposal(ev)
            elif name == "BatchReverted":
                self._on_revert(ev["index"])
        return self.faults()

    def _on_batch(self, ev: dict) -> None:
        index = ev["index"]
        if index != len(self.batches):
            raise RuntimeError(f"batch {index} arrived but {len(self.batches)} are known: events were missed")
        data = self.rollup.batch_data(ev)
        batch = decode_batch(data)
        base = self.state.copy()
        fault = replay_batch(self.state, batch, index, self.domain_separator)
        self.batches.append(KnownBatch(index, data, batch, ev["proposer"], base, fault))

    def _on_fraud(self, index: int) -> None:
        """A claim was proven wrong: it and every later one wait to be re-proposed; the data stays."""
        for known in self.batches[index:]:
            known.standing, known.fault = False, None

    def _on_reproposal(self, ev: dict) -> None:
        known = self.batches[ev["index"]]
        data = self.rollup.batch_data(ev)
        known.data, known.batch, known.proposer, known.standing = data, decode_batch(data), ev["proposer"], True
        known.fault = replay_batch(known.base.copy(), known.batch, known.index, self.domain_separator)

    def _on_revert(self, index: int) -> None:
        """A contract that un-posts batches removed batch ``index`` and every later one."""
        if index >= len(self.batches):
            return  # already rolled back by an earlier event of the same proof
        self.state = self.batches[index].base.copy()
        del self.batches[index:]

    def fraud_proof(self, fault: Fault) -> tuple:
        """``prove_fraud``'s arguments for ``fault``.

        ``(index, header, step, entry, entry_proof, prev_entry, prev_proof,
        witnesses)``: the disputed entry and the one before it with their
        Merkle paths, never the whole batch.
        """
        known = self.batches[fault.index]
        witnesses = disputed_step_witnesses(known.base, known.batch, fault.index, self.domain_separator, fault.step)
        header = batch_header(known.data, known.batch)
        entry, proof = entry_proof(known.data, fault.step)
        prev_entry, prev_proof = entry_proof(known.data, fault.step - 1) if fault.step else (b"", [])
        return (fault.index, header.encode(), fault.step, entry, proof, prev_entry, prev_proof, witnesses)


class Challenger:
    """A full node with a key: it proves the first fault of every bad batch on L1."""

    def __init__(self, rollup: RollupL1, key: bytes) -> None:
        self.rollup = rollup
        self.key = key
        self.node = FullNode(rollup)
        self.receipts: list[dict] = []

    def watch(self) -> list[dict]:
        """Sync, and prove every fault found; the receipts of the proofs sent."""
        sent = []
        for fault in self.node.sync():
            receipt = self.rollup.transact(self.key, "prove_fraud", *self.node.fraud_proof(fault))
            sent.append(receipt)
            self.node.sync()  # take in the revert the proof caused
        self.receipts.extend(sent)
        return sent


def _forced(rollup: RollupL1) -> tuple[FullNode, Sequencer]:
    """A full node rebuilt from L1, and a sequencer on its state with every queued deposit that fits applied."""
    node = FullNode(rollup)
    node.sync()
    if node.faults():
        raise RuntimeError("a live batch is fraudulent: prove it before building on it")
    params = rollup.params()
    seq = Sequencer(node.depth, node.domain_separator, max_batch_bytes=params.max_batch_bytes,
                    keep_checkpoints=False, compact=rollup.compact)
    seq.reset(node.state, rollup.call("deposits_included"))
    while seq.next_deposit in node.deposits:
        address, amount = node.deposits[seq.next_deposit]
        if not seq.room_for(Deposit(0, address, amount)):
            break
        seq.add_deposit(seq.next_deposit, address, amount, node.deposits.account(seq.next_deposit))
    if not seq.pending:
        raise ValueError("no queued deposit to force")
    return node, seq


def forced_state(rollup: RollupL1) -> FullState:
    """The L2 state a forced batch's transactions start from: L1's, plus the queued deposits it carries
    (so a depositor's account, index and balance are known before she signs what follows them)."""
    return _forced(rollup)[1].state


def force_deposits(rollup: RollupL1, key: bytes, bond: int | None = None,
                   txs: Sequence[Transfer | Withdraw] = ()) -> dict:
    """Post a batch of the queued deposits the operator left out; anyone may once one is overdue.

    The batch is built from L1 alone: a full node rebuilds the state, the
    deposits are applied on top in queue order, then the signed transactions
    ``txs`` (a censored user's own withdrawal, say: L1 has no queue for them,
    so an overdue deposit is how they get in without the operator; sign them
    against ``forced_state``), and ``key`` posts it (bonding the preset
    minimum first if it has no bond). Returns the receipt. A transaction the
    rules refuse raises ValueError naming it and why, and a batch the
    submission rules refuse (no deposit is overdue yet, say) their
    ``InvalidBatch``, both before anything is sent.
    """
    node, seq = _forced(rollup)
    for i, reason in enumerate(seq.submit(txs)):
        if reason is not None:
            raise ValueError(f"transaction {i} ({type(txs[i]).__name__} from account {txs[i].from_index}) "
                             f"refused: {reason}")
    sealed = seq.cut_batch()
    assert sealed is not None  # it holds a deposit at least
    params = rollup.params()
    sender = private_key_to_address(key)
    check_submission(rollup, node.deposits, sender, sealed.batch)  # before bonding: a refusal costs nothing
    if rollup.call("bond_of", sender) < params.min_bond:
        rollup.transact(key, "post_bond", value=bond if bond is not None else params.min_bond)
    return rollup.transact(key, "submit_batch", sealed.data)
