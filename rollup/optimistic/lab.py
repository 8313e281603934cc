"""One optimistic-rollup session on an L1, spoken in protocol verbs.

``OptimisticLab`` deploys the rollup, bonds an operator, starts a challenger
and gives each named user a wallet, then offers the steps a teacher would
say aloud: deposit, transfer, withdraw, submit_batch, challenge, finalize,
claim. Tests, the CLI demos and workshops all drive the rollup through it,
and it only talks to L1 through ``L1Client``.
"""

from __future__ import annotations

from collections.abc import Mapping

from contracts_spec.l1 import L1Client
from contracts_spec.optimistic.bisection import BisectionRollup
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.encoding import Batch
from contracts_spec.optimistic.params import MINIMAL, Preset
from contracts_spec.optimistic.rules import Transfer, Withdraw
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import (
    Wallet,
    WithdrawalStatus,
    address_bytes,
    claim_final_withdrawals,
    withdrawals_to,
)
from rollup.optimistic.dispute import BisectionChallenger, BisectionProposer, play
from rollup.optimistic.fullnode import Challenger, FullNode
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.operator import Operator


class OptimisticLab:
    """A deployed rollup with its operator, a challenger and named users."""

    def __init__(
        self,
        l1: L1Client,
        keys: Mapping[str, bytes],
        *,
        preset: Preset = MINIMAL,
        operator: str = "operator",
        challenger: str = "challenger",
        bond: int | None = None,
        contract: type[OptimisticRollup] = OptimisticRollup,
    ) -> None:
        """Deploy ``contract``: the single-round rollup, or ``BisectionRollup`` for the dispute game."""
        self.l1 = l1
        self.keys = dict(keys)
        self.preset = preset
        self.rollup = RollupL1.deploy(l1, self.keys[operator], preset, private_key_to_address(self.keys[operator]),
                                      contract)
        self.operator = Operator(self.rollup, self.keys[operator])
        self.operator.post_bond(bond if bond is not None else preset.min_bond)
        self.challenger: Challenger | BisectionChallenger
        if issubclass(contract, BisectionRollup):
            self.challenger = BisectionChallenger(self.rollup, self.keys[challenger])
            self.defender: BisectionProposer | None = BisectionProposer(self.operator)
        else:
            self.challenger = Challenger(self.rollup, self.keys[challenger])
            self.defender = None
        self.wallets = {name: Wallet(key, l1.chain_id, self.rollup.address) for name, key in self.keys.items()}

    # -- who is who ------------------------------------------------------------------------

    def address(self, name: str) -> str:
        return self.wallets[name].address

    def index(self, name: str) -> int:
        """The L2 account index of ``name`` in the operator's state."""
        index = self.operator.state.index_of.get(self.wallets[name].raw_address)
        if index is None:
            raise KeyError(f"{name} has no L2 account yet: deposit first")
        return index

    def l2_balance(self, name: str) -> int:
        """Balance of ``name`` on L2 as the operator's head state has it (0 without an account)."""
        index = self.operator.state.index_of.get(self.wallets[name].raw_address)
        return 0 if index is None else self.operator.state.balance(index)

    def l1_balance(self, name: str) -> int:
        return self.l1.balance(self.address(name))

    def nonce(self, name: str) -> int:
        account = self.operator.state.get_account(self.index(name))
        return account.nonce if account else 0

    # -- the verbs ----------------------------------------------------------------------------

    def deposit(self, name: str, amount: int) -> dict:
        """``name`` deposits ``amount`` wei from L1 to its own L2 address; the operator sees it."""
        receipt = self.rollup.transact(self.keys[name], "deposit", self.address(name), value=amount)
        self.operator.sync()
        return receipt

    def transfer(self, sender: str, receiver: str, amount: int) -> Transfer:
        """``sender`` signs a transfer to ``receiver`` and hands it to the operator."""
        tx = self.wallets[sender].transfer(self.index(sender), self.index(receiver), amount, self.nonce(sender))
        self._submit(tx)
        return tx

    def withdraw(self, name: str, amount: int, recipient: str | None = None) -> Withdraw:
        """``name`` signs a withdrawal of ``amount`` to its L1 address (or ``recipient``'s)."""
        to = self.address(recipient or name)
        tx = self.wallets[name].withdraw(self.index(name), to, amount, self.nonce(name))
        self._submit(tx)
        return tx

    def _submit(self, tx: Transfer | Withdraw) -> None:
        (reason,) = self.operator.submit([tx])
        if reason is not None:
            raise ValueError(f"the operator refused the transaction: {reason}")

    def submit_batch(self) -> dict | None:
        """The operator syncs with L1 and posts what is pending; the receipt."""
        self.operator.sync()
        return self.operator.post_batch()

    def challenge(self) -> list[dict]:
        """The challenger checks every claim and proves any fraud; then the operator catches up.

        On the single-round rollup the operator re-derives its state from the
        posted data and re-proposes the true claims at its next ``submit_batch``.

        On a bisection rollup this plays the whole dispute game, both sides' moves in turn.
        """
        challenger = self.challenger
        if isinstance(challenger, Challenger):
            receipts = challenger.watch()
        else:
            assert self.defender is not None  # a bisection rollup always has its proposer's defender
            start = len(challenger.receipts) + len(self.defender.receipts)
            play(self.defender, challenger)
            both = challenger.receipts + self.defender.receipts
            receipts = sorted(both, key=lambda r: (int(r["blockNumber"], 16), int(r["transactionIndex"], 16)))
            receipts = receipts[start:] if start else receipts
        self.operator.sync()
        return receipts

    def finalize(self) -> None:
        """Let the challenge window of every batch posted so far pass on L1."""
        self.advance(self.preset.challenge_window + 1)

    def advance(self, seconds: int) -> None:
        """Move L1 time ``seconds`` past the latest block's timestamp (mining a block)."""
        target = self.l1.timestamp() + seconds
        while (now := self.l1.timestamp()) < target:
            self.l1.increase_time(target - now)

    def batch(self, index: int) -> Batch:
        """Batch ``index`` as rebuilt from L1 by the challenger's full node."""
        self.challenger.node.sync()
        return self.challenger.node.batches[index].batch

    def claimable(self, name: str) -> list[WithdrawalStatus]:
        """Every withdrawal to ``name`` in the live batches, with whether it is final and claimed yet."""
        self.challenger.node.sync()
        return withdrawals_to(self.rollup, self.challenger.node.batches, self.address(name))

    def claim_withdrawals(self, name: str, batch_index: int) -> list[dict]:
        """``name`` claims on L1 every withdrawal to it in batch ``batch_index``; the receipts.

        Sent whatever their status, so a class sees L1 refuse a claim that is
        early or made twice; ``claim_final_withdrawals`` claims only the final
        and unclaimed ones.
        """
        claims = [w.claim for w in self.claimable(name) if w.claim.batch == batch_index]
        return [self.rollup.transact(self.keys[name], "withdraw", *claim) for claim in claims]

    def claim_final_withdrawals(self, name: str) -> list[dict]:
        """``name`` claims every final, unclaimed withdrawal to it; the receipts."""
        return [r for _, r in claim_final_withdrawals(self.rollup, self.keys[name], self.claimable(name))]

    def rebuild(self) -> FullNode:
        """A fresh full node that rebuilt L2 state from L1 alone."""
        node = FullNode(self.rollup)
        node.sync()
        return node

    def raw(self, name: str) -> bytes:
        return address_bytes(self.address(name))
