"""One zk-rollup session on an L1, spoken in protocol verbs.

``ZkLab`` deploys the rollup with the preset's verifying key, gives each
named user an Ethereum key and the L2 key derived from it, and offers the
steps a teacher says aloud: deposit, transfer, withdraw, next_batch,
prove, commit, claim, request_exit, and in exodus mode exit. The operator
is the rollup's own :class:`ZkOperator` (proving in this process, so a demo
can hold a proof in hand and tamper with what it posts); ``commit`` takes
the changes a dishonest operator would make. Tests and demos drive the
rollup through it; it talks to L1 only through ``L1Client``.
"""

from __future__ import annotations

from collections.abc import Mapping

from contracts_spec.l1 import L1Client
from contracts_spec.zk import float40, keys
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.contract import ZkRollup, constructor_args
from contracts_spec.zk.params import SMALL, ZkPreset
from contracts_spec.zk.rules import Op, Transfer, Withdraw, sign
from contracts_spec.zk.state import ZkState
from contracts_spec.zk.witness import Batch
from primitives.secp256k1 import private_key_to_address
from rollup.zk.fullnode import ZkFullNode, queued_deposits
from rollup.zk.operator import ZkOperator
from rollup.zk.prover import BatchProver, ProvedBatch


class ZkLab:
    """A deployed zk-rollup with its operator (a :class:`ZkOperator` proving in this process) and named users."""

    def __init__(self, l1: L1Client, eth_keys: Mapping[str, bytes], *, preset: ZkPreset = SMALL,
                 operator: str = "operator", prover: BatchProver | None = None) -> None:
        self.l1, self.preset = l1, preset
        self.eth_keys = dict(eth_keys)
        self.operator_key = self.eth_keys[operator]
        self.prover = prover or BatchProver(preset)
        vk = self.prover.verifying_key()
        self.address = l1.deploy(self.operator_key, ZkRollup,
                                 *constructor_args(preset, private_key_to_address(self.operator_key), vk))
        self.deploy_block = l1.block_number()
        self.domain = self.call("domain")
        self.l2_keys = {name: keys.derive_l2_key(k, l1.chain_id, self.address) for name, k in self.eth_keys.items()}
        self.operator = ZkOperator(l1, self.address, preset, self.operator_key, self.prover, worker=False)

    @property
    def state(self) -> ZkState:
        """The operator's verified state (rebuilt from L1)."""
        return self.operator.state

    @property
    def pending(self) -> ZkState:
        """The verified state, the next batch's deposits and the mempool's operations."""
        return self.operator.pending

    @property
    def mempool(self) -> list[Transfer | Withdraw]:
        return self.operator.mempool

    @property
    def censored(self) -> set[int]:
        """Queue ids the operator ignores (the censorship demo): the queue stops there."""
        return self.operator.censored

    @property
    def processed(self) -> int:
        """Queued priority operations that verified batches processed."""
        return self.operator.node.processed

    # -- L1 --------------------------------------------------------------------------------

    def call(self, method: str, *args):
        return self.l1.call(self.address, ZkRollup, method, *args)

    def transact(self, name: str, method: str, *args, value: int = 0, gas: int | None = None) -> dict:
        return self.l1.transact(self.eth_keys[name], self.address, ZkRollup, method, *args, value=value, gas=gas)

    def eth_address(self, name: str) -> str:
        return private_key_to_address(self.eth_keys[name])

    # -- users -----------------------------------------------------------------------------

    def public_key(self, name: str) -> tuple[int, int]:
        return keys.public_key(self.l2_keys[name])

    def index(self, name: str) -> int:
        key = self.public_key(name)
        owner = int(self.eth_address(name), 16)
        for d in queued_deposits(self.l1, self.address, self.deploy_block):
            if (d.ax, d.ay) == key and int(d.owner, 16) == owner:
                return d.index
        raise KeyError(f"{name} has no L2 account yet: deposit first")

    def key_of(self, index: int) -> tuple[int, int] | None:
        """The key L1 bound account ``index`` to at its first deposit (what a transfer to it signs)."""
        for d in queued_deposits(self.l1, self.address, self.deploy_block):
            if d.index == index and d.kind == 0:
                return (d.ax, d.ay)
        return None

    def l2_balance(self, name: str, pending: bool = False) -> int:
        try:
            acct = (self.pending if pending else self.state).account(self.index(name))
        except KeyError:
            return 0
        return acct.balance if acct else 0

    def deposit(self, name: str, amount: int) -> dict:
        px, py = keys.registration_point(self.public_key(name))
        return self.transact(name, "deposit", px, py, self.eth_address(name), value=amount)

    def _next_nonce(self, index: int) -> int:
        acct = self.pending.account(index)
        return acct.nonce if acct else 0

    def transfer(self, sender: str, recipient: str, amount: int) -> Transfer:
        """``sender`` signs a transfer to ``recipient``'s account (index and key) and the operator admits it."""
        s, r = self.index(sender), self.index(recipient)
        op = sign(Transfer(s, r, float40.pack(amount), self._next_nonce(s)),
                  self.l2_keys[sender], self.domain, self.preset.depth_bits, self.key_of(r))
        assert isinstance(op, Transfer)
        self.operator.submit(op)  # refuses with the rule's name; nothing changes then
        return op

    def withdraw(self, name: str, amount: int, recipient: str | None = None) -> Withdraw:
        s = self.index(name)
        op = sign(Withdraw(s, amount, recipient or self.eth_address(name), self._next_nonce(s)),
                  self.l2_keys[name], self.domain, self.preset.depth_bits)
        assert isinstance(op, Withdraw)
        self.operator.submit(op)
        return op

    # -- the operator ----------------------------------------------------------------------

    def next_batch(self) -> tuple[Batch, int]:
        """The operator's next batch from the deposit queue and the mempool (not yet proved); its deposit count."""
        self.operator.sync()
        batch, deposits, _ = self.operator.next_batch()
        return batch, deposits

    def prove(self, batch: Batch) -> ProvedBatch:
        return self.prover.prove(batch)

    def commit(self, proved: ProvedBatch, *, new_root: int | None = None, pubdata: bytes | None = None,
               proof: bytes | None = None, gas: int | None = None) -> dict:
        """Post a proved batch (the keyword arguments let a demo tamper with what is posted)."""
        data = pd.encode_commit(proved.batch.new_root if new_root is None else new_root,
                                proved.proof if proof is None else proof,
                                proved.batch.pubdata if pubdata is None else pubdata)
        return self.l1.transact(self.operator_key, self.address, ZkRollup, "commit_and_verify", data, gas=gas)

    def submit_batch(self) -> tuple[ProvedBatch, dict]:
        """Build, prove and commit the next batch; on success the operator's state moves on."""
        batch, n = self.next_batch()
        proved = self.prove(batch)
        receipt = self.commit(proved)
        self._advance(batch, n)
        return proved, receipt

    def _advance(self, batch: Batch, n: int) -> None:
        """After a commit: the operator follows L1, so its state is the verified one and its mempool shrinks."""
        self.operator.sync()

    def request_exit(self, name: str) -> dict:
        """``name`` asks L1 for the full exit of its account: a priority operation the operator must process."""
        return self.transact(name, "request_exit", self.index(name))

    def claim(self, name: str) -> dict:
        return self.transact(name, "claim_withdrawal", self.eth_address(name))

    # -- exodus ----------------------------------------------------------------------------

    def full_node(self) -> ZkFullNode:
        node = ZkFullNode(self.l1, self.address, self.preset)
        node.sync()
        return node

    def exit(self, name: str, node: ZkFullNode | None = None) -> dict:
        node = node or self.full_node()
        return self.transact(name, "exit", *node.exit_proof(self.index(name)))


__all__ = ["Op", "ZkLab"]
