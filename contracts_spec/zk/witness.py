"""From operations to a batch: run the rules, collect every leaf's witness, lay out the pubdata.

``build_batch`` is the one place a batch is assembled; the operator proves
what it returns and the tests run it against the circuit. It applies the
operations to ``state`` (pass a copy to keep the original) in the circuit's
slot order: priority operations (deposits and full exits), transfers, withdrawals; a refused operation raises
:class:`rules.OpRefused` before anything is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.circuit import (
    DUMMY_SIGNATURE,
    BatchWitness,
    DepositSlot,
    LeafWitness,
    TransferSlot,
    WithdrawSlot,
)
from contracts_spec.zk.params import ZkPreset
from contracts_spec.zk.rules import Account, FullExit, OpRefused, Priority, Transfer, Withdraw
from contracts_spec.zk.state import LeafUpdate, ZkState
from primitives.snark.babyjub import BASE8


@dataclass(frozen=True)
class Batch:
    witness: BatchWitness
    pubdata: bytes
    new_root: int
    withdrawals: tuple[tuple[str, int], ...]


def _leaf(update: LeafUpdate, fallback_key: tuple[int, int] = (0, 0)) -> LeafWitness:
    old: Account | None = update.old
    if old is None:
        return LeafWitness(fallback_key[0], fallback_key[1], 0, 0, update.proof)
    return LeafWitness(old.ax, old.ay, old.balance, old.nonce, update.proof)


def build_batch(preset: ZkPreset, state: ZkState, chain_start: int, deposits: Sequence[Priority],
                transfers: Sequence[Transfer], withdrawals: Sequence[Withdraw], *, authorised: bool = False) -> Batch:
    """The witness and pubdata of a batch of these operations, applied to ``state`` in place."""
    if len(deposits) > preset.deposit_slots or len(transfers) > preset.transfer_slots \
            or len(withdrawals) > preset.withdraw_slots:
        raise OpRefused(f"batch of {len(deposits)} deposits, {len(transfers)} transfers, {len(withdrawals)} "
                        f"withdrawals exceeds the preset's {preset.deposit_slots}/{preset.transfer_slots}/"
                        f"{preset.withdraw_slots} slots")
    old_root, chain = state.root, chain_start
    dep_slots, tx_slots, wd_slots = [], [], []
    exits: list[int] = []
    for dep in deposits:
        if isinstance(dep, FullExit):
            effect, (u,) = state.apply(dep)
            dep_slots.append(DepositSlot(dep.index, 0, 0, 0, 0, _leaf(u), kind=pd.KIND_EXIT))
            chain = pd.next_chain(chain, dep.index, 0, 0, 0, kind=pd.KIND_EXIT)
            exits.append(effect.exited)
            continue
        _, (u,) = state.apply(dep)
        dep_slots.append(DepositSlot(dep.index, dep.amount, dep.ax, dep.ay, int(u.old is None),
                                     _leaf(u, (dep.ax, dep.ay))))
        chain = pd.next_chain(chain, dep.index, dep.amount, dep.ax, dep.ay)
        exits.append(0)
    for _ in range(preset.deposit_slots - len(deposits)):
        dep_slots.append(DepositSlot(0, 0, 0, 0, 1, LeafWitness(0, 0, 0, 0, state.tree.proof(0))))
    posted_t, posted_w, paid = [], [], []
    for op in transfers:
        _, (us, ur) = state.apply(op, authorised=authorised)
        tx_slots.append(TransferSlot(op.sender, op.recipient, op.amount, op.nonce, op.signature or DUMMY_SIGNATURE,
                                     _leaf(us), _leaf(ur)))
        posted_t.append(pd.PostedTransfer(op.sender, op.recipient, op.amount))
    for _ in range(preset.transfer_slots - len(transfers)):
        proof0 = state.tree.proof(0)
        tx_slots.append(TransferSlot(0, 0, 0, 0, DUMMY_SIGNATURE, LeafWitness(BASE8[0], BASE8[1], 0, 0, proof0),
                                     LeafWitness(0, 0, 0, 0, proof0)))
    for wd in withdrawals:
        effect, (u,) = state.apply(wd, authorised=authorised)
        wd_slots.append(WithdrawSlot(wd.sender, wd.amount, int(wd.recipient, 16), wd.signature or DUMMY_SIGNATURE,
                                     _leaf(u)))
        posted_w.append(pd.PostedWithdraw(wd.sender, wd.amount, int(wd.recipient, 16)))
        assert effect.withdrawal is not None
        paid.append(effect.withdrawal)
    for _ in range(preset.withdraw_slots - len(withdrawals)):
        wd_slots.append(WithdrawSlot(0, 0, 0, DUMMY_SIGNATURE,
                                     LeafWitness(BASE8[0], BASE8[1], 0, 0, state.tree.proof(0))))
    raw = pd.encode(preset, pd.Pubdata(len(deposits), tuple(posted_t), tuple(posted_w), tuple(exits)))
    witness = BatchWitness(
        old_root=old_root, new_root=state.root, chain_start=chain_start, chain_end=chain, domain=state.domain,
        pubdata_digest=pd.pubdata_hash(raw), n_deposits=len(deposits), deposits=tuple(dep_slots),
        transfers=tuple(tx_slots), withdrawals=tuple(wd_slots),
    )
    return Batch(witness, raw, state.root, tuple(paid))


def public_inputs(w: BatchWitness) -> list[int]:
    return pd.public_inputs(w.old_root, w.new_root, w.chain_start, w.chain_end, w.domain, w.pubdata_digest)
