"""A full node: L2 state rebuilt from L1 alone, every batch checked step by step.

It reads the rollup's events and the ``submit_batch`` calldata, replays each
batch with ``apply_tx``, and compares every intermediate root with the one
the batch claims. The first step that is invalid or whose root is wrong is a
:class:`Fault`; :meth:`FullNode.fraud_proof` turns it into the arguments of
``prove_fraud``. The challenger is a full node that sends those proofs.

Batches after a faulty one are recorded but not applied: they build on a
state nobody can know, and the fraud proof reverts them anyway. If no one
proves the fault before its window closes, L1 finalizes it; the node keeps
reporting the fault and stops following, since the accounts behind a false
root cannot be rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts_spec.optimistic.encoding import (
    Batch,
    batch_header,
    decode_batch,
    encode_witnesses,
    entry_proof,
)
from contracts_spec.optimistic.rules import (
    Deposit,
    InvalidTransaction,
    Tx,
    apply_tx,
    touched_accounts,
    tx_digest,
    tx_digests,
)
from contracts_spec.optimistic.state import FullState, build_witnesses
from primitives.secp256k1 import private_key_to_address, recover_addresses_raw
from rollup.optimistic.l1view import L1DepositQueue, RollupL1, check_submission
from rollup.optimistic.sequencer import Sequencer


@dataclass(frozen=True)
class Fault:
    """The first wrong step of a batch and what is wrong with it."""

    index: int
    step: int
    reason: str


@dataclass
class KnownBatch:
    """A live batch as a full node knows it."""

    index: int
    data: bytes
    batch: Batch
    proposer: str
    base: FullState | None  # the state it starts from; None after an earlier fault
    fault: Fault | None


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
    """Apply ``batch`` to ``state`` step by step (up to ``stop``), checking each claimed root.

    Returns the first fault, or None. After a fault ``state`` is partly
    updated: callers restart from their checkpoint. A compact batch has no
    intermediate roots: only its post_root is checked, and a wrong one is a
    fault at its last step that a bisection game narrows down.
    """
    if batch.prev_root != state.root:
        return Fault(index, 0, "prev_root is not the state root")
    signers = recover_batch_signers(batch, domain_separator, stop)
    compact = batch.compact
    for step, (tx, root) in enumerate(batch.entries[:stop]):
        try:
            apply_tx(state, tx, signers[step])
        except InvalidTransaction as exc:
            state.take_writes()
            return Fault(index, step, f"invalid transaction: {exc}")
        if compact:
            continue  # writes pile up and are hashed once, below
        if state.commit() != root:
            return Fault(index, step, "wrong state root")
    if compact and state.commit() != batch.post_root and stop is None:
        return Fault(index, len(batch.entries) - 1, "wrong post root")
    return None


def disputed_step_witnesses(base: FullState, batch: Batch, index: int, domain_separator: bytes, step: int) -> bytes:
    """The witnesses L1 needs to judge step ``step`` of ``batch``, which starts from ``base``.

    The steps before it are replayed (recovering their signers only) to reach
    its pre-state; the disputed step's own signer is recovered alone, never
    the rest of the batch's.
    """
    state = base.copy()
    if step and replay_batch(state, batch, index, domain_separator, stop=step):
        raise RuntimeError(f"steps before {step} of batch {index} do not replay cleanly: the fault is earlier")
    tx = batch.entries[step].tx
    return step_witnesses(state, tx, recover_signer(tx, domain_separator))


def step_witnesses(state: FullState, tx: Tx, signer: bytes | None) -> bytes:
    """The encoded witnesses L1 needs to run ``tx`` on ``state`` (the committed state before the step)."""
    scratch = state.copy()
    touched = touched_accounts(tx)
    try:
        apply_tx(scratch, tx, signer)
        writes = {i: scratch.get_account(i) for i in touched}
    except InvalidTransaction:
        writes = {}
    return encode_witnesses(build_witnesses(state, touched, writes))


class FullNode:
    """Follows the rollup on L1 and holds the L2 state its valid batches define."""

    def __init__(self, rollup: RollupL1) -> None:
        self.rollup = rollup
        params = rollup.params()
        self.depth = params.tree_depth
        self.domain_separator = rollup.domain_separator()
        self.state = FullState(self.depth)
        self.batches: list[KnownBatch] = []
        self.deposits = L1DepositQueue(params.deposit_deadline_blocks)
        self._next_block = 0

    @property
    def root(self) -> bytes:
        return self.state.root

    def faults(self) -> list[Fault]:
        """Faults of live batches (at most one: later batches wait for its revert)."""
        return [b.fault for b in self.batches if b.fault is not None]

    def sync(self) -> list[Fault]:
        """Process new L1 events; the faults of live batches afterwards."""
        events, self._next_block = self.rollup.events_since(self._next_block)
        for name, ev in events:
            if name == "DepositQueued":
                self.deposits.add(ev)
            elif name == "BatchSubmitted":
                self._on_batch(ev)
            elif name == "BatchReverted":
                self._on_revert(ev["index"])
        return self.faults()

    def _on_batch(self, ev: dict) -> None:
        index = ev["index"]
        if index != len(self.batches):
            raise RuntimeError(f"batch {index} arrived but {len(self.batches)} are known: events were missed")
        data = self.rollup.batch_data(ev)
        batch = decode_batch(data)
        healthy = all(b.fault is None for b in self.batches)
        base = self.state.copy() if healthy else None
        fault = replay_batch(self.state, batch, index, self.domain_separator) if healthy else None
        if fault is not None:
            self.state = base.copy()  # the valid state stays the one before the bad batch
        self.batches.append(KnownBatch(index, data, batch, ev["proposer"], base, fault))

    def _on_revert(self, index: int) -> None:
        if index >= len(self.batches):
            return  # already rolled back by an earlier event of the same proof
        base = self.batches[index].base
        if base is None:
            raise RuntimeError(f"batch {index} was reverted but its starting state is unknown")
        self.state = base.copy()
        del self.batches[index:]

    def fraud_proof(self, fault: Fault) -> tuple:
        """``prove_fraud``'s arguments for ``fault``.

        ``(index, header, step, entry, entry_proof, prev_entry, prev_proof,
        witnesses)``: the disputed entry and the one before it with their
        Merkle paths, never the whole batch.
        """
        known = self.batches[fault.index]
        if known.base is None:
            raise ValueError(f"batch {fault.index} follows a faulty batch: prove that one first")
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


def force_deposits(rollup: RollupL1, key: bytes, bond: int | None = None) -> dict:
    """Post a batch of the queued deposits the operator left out; anyone may once one is overdue.

    The batch is built from L1 alone: a full node rebuilds the state, the
    deposits are applied on top in queue order, and ``key`` posts it (bonding
    the preset minimum first if it has no bond). Returns the receipt. A batch
    the submission rules refuse (no deposit is overdue yet, say) raises their
    ``InvalidBatch`` before anything is sent.
    """
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
    sealed = seq.cut_batch()
    if sealed is None:
        raise ValueError("no queued deposit to force")
    sender = private_key_to_address(key)
    check_submission(rollup, node.deposits, sender, sealed.batch)  # before bonding: a refusal costs nothing
    if rollup.call("bond_of", sender) < params.min_bond:
        rollup.transact(key, "post_bond", value=bond if bond is not None else params.min_bond)
    return rollup.transact(key, "submit_batch", sealed.data)
