"""The zk-rollup's full node: the whole L2 state rebuilt from L1 data alone, root for root.

It reads the ``DepositQueued`` events (the deposits' own L1 calldata) and the
calldata of every ``commit_and_verify`` that emitted ``BatchVerified``, and
replays each batch with the rules: the batch's deposits from the queue, then
its posted transfers and withdrawals. Posted operations carry no signature
and no nonce (the proof already showed them signed); the node applies them
with ``authorised=True`` at the sender's current nonce. After each batch its
root must equal the one L1 verified. It serves exit proofs for exodus mode.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from eth_abi import decode as abi_decode

from contracts_spec.l1 import L1Client
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.params import ZkPreset
from contracts_spec.zk.rules import Deposit, Transfer, Withdraw
from contracts_spec.zk.state import ZkState


class RebuildMismatch(RuntimeError):
    """Replaying L1's batches gave another root than L1 verified: a bug, or a broken circuit."""


@dataclass(frozen=True)
class QueuedDeposit:
    id: int
    index: int
    amount: int
    ax: int
    ay: int
    owner: str
    depositor: str

    def op(self) -> Deposit:
        return Deposit(self.index, self.amount, self.ax, self.ay)


def queued_deposits(l1: L1Client, address: str, from_block: int = 0) -> list[QueuedDeposit]:
    out = []
    for e in l1.events(address, ZkRollup, "DepositQueued", from_block=from_block):
        out.append(QueuedDeposit(e["id"], e["account"], e["amount"], e["ax"], e["ay"], e["owner"], e["depositor"]))
    return sorted(out, key=lambda d: d.id)


def posted_ops(preset: ZkPreset, state: ZkState, raw: bytes) -> tuple[list[Transfer], list[Withdraw]]:
    """The operations a verified batch's pubdata carries, at the nonces they had (applied in order later)."""
    data = pd.decode(preset, raw)
    return ([Transfer(t.sender, t.recipient, t.amount40, -1) for t in data.transfers],
            [Withdraw(w.sender, w.amount, "0x" + w.recipient.to_bytes(20, "big").hex(), -1) for w in data.withdrawals])


class ZkFullNode:
    """L2 state from L1 alone; ``sync`` catches up with new verified batches."""

    def __init__(self, l1: L1Client, address: str, preset: ZkPreset) -> None:
        self.l1, self.address, self.preset = l1, address, preset
        self.state = ZkState(preset.depth_bits, l1.call(address, ZkRollup, "domain"))
        self.batches = 0
        self.processed = 0
        self.roots: list[int] = [self.state.root]

    def sync(self) -> int:
        """Replay every verified batch not yet applied; how many were."""
        events = self.l1.events(self.address, ZkRollup, "BatchVerified")
        new = [e for e in sorted(events, key=lambda e: e["index"]) if e["index"] >= self.batches]
        if not new:
            return 0
        deposits = queued_deposits(self.l1, self.address)
        for e in new:
            tx = self.l1.rpc("eth_getTransactionByHash", e["transactionHash"])
            raw_input = bytes.fromhex(tx["input"][2:])
            (data,) = abi_decode(["bytes"], raw_input[4:])
            new_root, _, raw = pd.decode_commit(data)
            for q in deposits[e["first_deposit"]: e["first_deposit"] + e["deposits"]]:
                self.state.apply(q.op(), authorised=True)
            transfers, withdrawals = posted_ops(self.preset, self.state, raw)
            ops: list[Transfer | Withdraw] = [*transfers, *withdrawals]
            for op in ops:
                sender = self.state.account(op.sender)
                self.state.apply(replace(op, nonce=sender.nonce if sender is not None else 0), authorised=True)
            if self.state.root != new_root or new_root != e["new_root"]:
                raise RebuildMismatch(f"batch {e['index']}: replay gives root {self.state.root:#x}, L1 verified "
                                      f"{e['new_root']:#x}")
            self.batches = e["index"] + 1
            self.processed = e["first_deposit"] + e["deposits"]
            self.roots.append(new_root)
        return len(new)

    def exit_proof(self, index: int) -> tuple[int, int, int, int, int, list[int]]:
        """``exit``'s arguments for account ``index`` at the last verified root."""
        acct = self.state.account(index)
        if acct is None:
            raise KeyError(f"account {index} does not exist")
        siblings = [s for level in self.state.tree.proof(index) for s in level]
        return index, acct.ax, acct.ay, acct.balance, acct.nonce, siblings
