"""The zk-rollup's full node: the whole L2 state rebuilt from L1 data alone, root for root.

It reads the ``DepositQueued`` events (the deposits' own L1 calldata) and the
calldata of every ``commit_and_verify`` that emitted ``BatchVerified``, and
replays each batch with the rules: the batch's deposits from the queue, then
its posted transfers and withdrawals. Posted operations carry no signature
and no nonce (the proof already showed them signed); the node applies them
with ``authorised=True`` at the sender's current nonce, and records which
operation each ``(sender, nonce)`` became (``applied``), so the operator can
tell its own operations from others that used the same nonce. After each
batch its root must equal the one L1 verified. It serves exit proofs for
exodus mode.

L1 reorganisations
    The node remembers the block (number and hash) of every batch it applied.
    Before each sync it checks that the last one is still on the chain; when
    it is not (``evm_revert``, or a block replaced), it forgets everything and
    replays L1 from the start. Rebuilding from scratch costs one Poseidon
    path per posted leaf write, which at the lab's sizes is cheaper to reason
    about than per-batch undo records; ``reorganisations`` counts the
    rebuilds. A batch that L1 drops is then dropped from the state, and one
    that is mined again (the same commit in a new block) is applied again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from eth_abi import decode as abi_decode

from contracts_spec.l1 import L1Client
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.params import ZkPreset
from contracts_spec.zk.rules import Deposit, Transfer, Withdraw
from contracts_spec.zk.state import ZkState


class RebuildMismatch(RuntimeError):
    """Replaying L1's batches gave another root than L1 verified: a bug, or a broken circuit."""


KIND_DEPOSIT = getattr(pd, "KIND_DEPOSIT", 0)
KIND_EXIT = getattr(pd, "KIND_EXIT", 1)


@dataclass(frozen=True)
class QueuedDeposit:
    """One entry of L1's priority queue: a deposit, or (``kind == KIND_EXIT``) a full-exit request."""

    id: int
    index: int
    amount: int
    ax: int
    ay: int
    owner: str
    depositor: str
    block: int = 0
    kind: int = KIND_DEPOSIT

    @property
    def is_exit(self) -> bool:
        return self.kind == KIND_EXIT

    def op(self) -> Any:
        """The operation the batch that processes this entry applies (a ``Deposit``, or a ``FullExit``)."""
        if self.is_exit:
            from contracts_spec.zk.rules import FullExit  # type: ignore[attr-defined]

            return FullExit(self.index)
        return Deposit(self.index, self.amount, self.ax, self.ay)

    def chain(self, chain: int) -> int:
        """The queue's running chain after this entry, from the chain before it."""
        if self.is_exit:
            return pd.next_chain(chain, self.index, 0, 0, 0, kind=KIND_EXIT)  # type: ignore[call-arg]
        return pd.next_chain(chain, self.index, self.amount, self.ax, self.ay)


def queued_deposits(l1: L1Client, address: str, from_block: int = 0) -> list[QueuedDeposit]:
    """L1's priority queue in id order: every ``DepositQueued`` (and ``ExitRequested``, where the contract has it)."""
    out = []
    for e in l1.events(address, ZkRollup, "DepositQueued", from_block=from_block):
        out.append(QueuedDeposit(e["id"], e["account"], e["amount"], e["ax"], e["ay"], e["owner"], e["depositor"],
                                 int(e.get("blockNumber", 0))))
    if hasattr(ZkRollup, "ExitRequested"):
        for e in l1.events(address, ZkRollup, "ExitRequested", from_block=from_block):
            out.append(QueuedDeposit(e["id"], e["account"], 0, 0, 0, e["owner"], e["owner"],
                                     int(e.get("blockNumber", 0)), KIND_EXIT))
    return sorted(out, key=lambda d: d.id)


def posted_ops(preset: ZkPreset, state: ZkState, raw: bytes) -> tuple[list[Transfer], list[Withdraw]]:
    """The operations a verified batch's pubdata carries, at the nonces they had (applied in order later)."""
    data = pd.decode(preset, raw)
    return ([Transfer(t.sender, t.recipient, t.amount40, -1) for t in data.transfers],
            [Withdraw(w.sender, w.amount, "0x" + w.recipient.to_bytes(20, "big").hex(), -1) for w in data.withdrawals])


def op_content(op: Transfer | Withdraw) -> tuple:
    """What pubdata keeps of an operation: its kind, recipient and amount (not its nonce or signature)."""
    if isinstance(op, Transfer):
        return ("transfer", op.recipient, op.amount)
    return ("withdraw", op.amount, op.recipient.lower())


@dataclass(frozen=True)
class AppliedOp:
    """One posted operation as the node applied it: the batch, and what it did at that (sender, nonce)."""

    batch: int
    content: tuple
    block: int


@dataclass(frozen=True)
class BatchSeen:
    index: int
    block: int
    block_hash: str


class ZkFullNode:
    """L2 state from L1 alone; ``sync`` catches up with new verified batches and follows reorganisations."""

    def __init__(self, l1: L1Client, address: str, preset: ZkPreset) -> None:
        self.l1, self.address, self.preset = l1, address, preset
        self.domain = l1.call(address, ZkRollup, "domain")
        self.reorganisations = 0
        self._reset()

    def _reset(self) -> None:
        self.state = ZkState(self.preset.depth_bits, self.domain)
        self.batches = 0
        self.processed = 0
        self.roots: list[int] = [self.state.root]
        self.seen: list[BatchSeen] = []
        self.applied: dict[tuple[int, int], AppliedOp] = {}

    def moved_back(self) -> bool:
        """Whether the block of the last applied batch is no longer on L1 (gone, or replaced)."""
        if not self.seen:
            return False
        last = self.seen[-1]
        if self.l1.block_number() < last.block:
            return True
        block = self.l1.block(last.block)
        return block is None or block.get("hash") != last.block_hash

    def sync(self) -> int:
        """Replay every verified batch not yet applied; how many were (after a reorganisation: all that remain).

        A reorganisation is counted in ``reorganisations``; callers that keep
        state derived from this node compare it before and after.
        """
        if self.moved_back():
            self._reset()
            self.reorganisations += 1
        events = self.l1.events(self.address, ZkRollup, "BatchVerified")
        new = [e for e in sorted(events, key=lambda e: e["index"]) if e["index"] >= self.batches]
        if not new:
            return 0
        deposits = queued_deposits(self.l1, self.address)
        for e in new:
            tx = self.l1.rpc("eth_getTransactionByHash", e["transactionHash"])
            raw_input = bytes.fromhex((tx.get("input") or tx.get("data"))[2:])
            (data,) = abi_decode(["bytes"], raw_input[4:])
            new_root, _, raw = pd.decode_commit(data)
            block = int(str(e["blockNumber"]), 0) if isinstance(e["blockNumber"], str) else int(e["blockNumber"])
            for q in deposits[e["first_deposit"]: e["first_deposit"] + e["deposits"]]:
                self.state.apply(q.op(), authorised=True)
            transfers, withdrawals = posted_ops(self.preset, self.state, raw)
            ops: list[Transfer | Withdraw] = [*transfers, *withdrawals]
            for op in ops:
                sender = self.state.account(op.sender)
                nonce = sender.nonce if sender is not None else 0
                self.state.apply(replace(op, nonce=nonce), authorised=True)
                self.applied[(op.sender, nonce)] = AppliedOp(e["index"], op_content(op), block)
            if self.state.root != new_root or new_root != e["new_root"]:
                raise RebuildMismatch(f"batch {e['index']}: replay gives root {self.state.root:#x}, L1 verified "
                                      f"{e['new_root']:#x}")
            self.batches = e["index"] + 1
            self.processed = e["first_deposit"] + e["deposits"]
            self.roots.append(new_root)
            self.seen.append(BatchSeen(e["index"], block, self.l1.block(block)["hash"]))
        return len(new)

    def exit_proof(self, index: int) -> tuple[int, int, int, int, int, list[int]]:
        """``exit``'s arguments for account ``index`` at the last verified root."""
        acct = self.state.account(index)
        if acct is None:
            raise KeyError(f"account {index} does not exist")
        siblings = [s for level in self.state.tree.proof(index) for s in level]
        return index, acct.ax, acct.ay, acct.balance, acct.nonce, siblings
