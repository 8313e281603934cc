"""What every rollup actor reads from L1: the rollup's events, in order, and batch calldata.

Batches live only in the calldata of ``submit_batch`` transactions (and
re-proposed claims in that of ``repropose_batch``); this module finds each
one through its ``BatchSubmitted`` (or ``ClaimReproposed``) event and decodes
the bytes back from the transaction's input, so L2 state is rebuilt from L1
alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode

from contracts_spec import evm
from contracts_spec.l1 import L1Client, encode_call
from contracts_spec.optimistic.bisection import BisectionRollup
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.encoding import Batch
from contracts_spec.optimistic.params import SECONDS_PER_SLOT, Preset
from contracts_spec.optimistic.rules import next_deposit_hash
from contracts_spec.optimistic.submission import check_batch, check_claim, check_proposer

# Events that change what the L2 chain is, in the order actors replay them. The
# single-round contract never reverts a batch; a subclass may (``BatchReverted``).
CHAIN_EVENTS = ("DepositQueued", "BatchSubmitted", "BatchReverted", "FraudProven", "ClaimReproposed")


@dataclass(frozen=True)
class RollupParams:
    """The parameters a deployed rollup contract reports."""

    operator: str
    tree_depth: int
    challenge_window: int
    deposit_deadline_blocks: int
    min_bond: int
    challenger_reward_percent: int
    max_batch_bytes: int

    @property
    def deposit_deadline_seconds(self) -> int:
        """Seconds the deposit deadline waits besides its blocks: one 12-second slot per block."""
        return self.deposit_deadline_blocks * SECONDS_PER_SLOT


class L1DepositQueue:
    """The rollup's deposit queue rebuilt from ``DepositQueued`` events.

    It answers what the submission rules read (``submission.DepositQueue``)
    as the contract's storage does, so a proposer runs them before posting;
    ``queue[i]`` is deposit ``i``'s ``(address, amount)`` to include, and
    ``queue.account(i)`` the account index L1 assigned it.
    """

    def __init__(self, deadline_blocks: int) -> None:
        self.deadline_blocks = deadline_blocks
        self._deposits: list[tuple[bytes, int]] = []
        self._accounts: list[int] = []
        self._queued: list[tuple[int, int]] = []  # (block, time)
        self._hashes = [bytes(32)]

    def add(self, event: dict) -> None:
        """Take in one ``DepositQueued`` event; they come in id order, each once."""
        if event["id"] != len(self._deposits):
            raise RuntimeError(f"deposit {event['id']} arrived but {len(self._deposits)} are known: events were missed")
        address, amount, index = bytes.fromhex(event["l2_address"][2:]), event["amount"], event["account"]
        self._deposits.append((address, amount))
        self._accounts.append(index)
        self._queued.append((event["blockNumber"], event["time"]))
        self._hashes.append(next_deposit_hash(self._hashes[-1], index, address, amount))

    def __contains__(self, deposit_id: object) -> bool:
        return isinstance(deposit_id, int) and 0 <= deposit_id < len(self._deposits)

    def __getitem__(self, deposit_id: int) -> tuple[bytes, int]:
        return self._deposits[deposit_id]

    def account(self, deposit_id: int) -> int:
        """The account index L1 assigned deposit ``deposit_id`` when it was queued."""
        return self._accounts[deposit_id]

    def count(self) -> int:
        return len(self._deposits)

    def running_hash(self, n: int) -> bytes:
        return self._hashes[n]

    def due(self, deposit_id: int) -> tuple[int, int]:
        block, time = self._queued[deposit_id]
        return block + self.deadline_blocks, time + self.deadline_blocks * SECONDS_PER_SLOT


class Cursor:
    """Where an actor has read L1 up to, and the hash of that block, so a reorganisation is noticed.

    ``evm_revert`` (or a real reorg) can take blocks an actor already read
    back; what it derived from them is then wrong. ``moved_back`` says so
    before the next read, and the actor starts over from L1.
    """

    def __init__(self) -> None:
        self.next_block = 0
        self._seen: tuple[int, str] | None = None

    def moved_back(self, l1: Any) -> bool:
        """Whether the last block read is no longer on the chain (gone, or replaced)."""
        if self._seen is None:
            return False
        number, block_hash = self._seen
        if l1.block_number() < number:
            return True
        return l1.block(number).get("hash") != block_hash

    def witness(self, receipt: dict) -> None:
        """Remember the block of a transaction this actor sent: if L1 takes that block back, it is noticed."""
        number = int(receipt["blockNumber"], 16) if isinstance(receipt["blockNumber"], str) else receipt["blockNumber"]
        if self._seen is None or number >= self._seen[0]:
            self._seen = (number, receipt["blockHash"])

    def advance(self, l1: Any, next_block: int) -> None:
        """Record that blocks before ``next_block`` were read."""
        self.next_block = next_block
        if next_block > 0:
            self._seen = (next_block - 1, l1.block(next_block - 1).get("hash"))


class RollupL1:
    """The rollup contract as its actors see it: reads, event cursor and calldata."""

    def __init__(self, l1: L1Client, address: str, contract: type[OptimisticRollup] = OptimisticRollup) -> None:
        self.l1 = l1
        self.address = address
        self.contract = contract
        self._submit_selector = encode_call(OptimisticRollup, "submit_batch", b"")[:4]
        self._repropose_selector = encode_call(OptimisticRollup, "repropose_batch", 0, bytes(32), bytes(32), b"")[:4]

    @property
    def compact(self) -> bool:
        """True when the contract takes compact batches (no intermediate roots) and plays bisection games."""
        return issubclass(self.contract, BisectionRollup)

    @classmethod
    def deploy(
        cls, l1: L1Client, key: bytes, preset: Preset, operator: str,
        contract: type[OptimisticRollup] = OptimisticRollup,
    ) -> RollupL1:
        """Deploy a rollup (``contract``: single-round or bisection proofs) with ``preset``."""
        args = preset.bisection_args(operator) if issubclass(contract, BisectionRollup) \
            else preset.constructor_args(operator)
        address = l1.deploy(key, contract, *args)
        return cls(l1, address, contract)

    @classmethod
    def attach(cls, l1: L1Client, address: str) -> RollupL1:
        """The rollup at ``address``, of whichever kind its code says; ValueError if it is none."""
        code = l1.rpc("eth_getCode", address, "latest") or "0x"
        raw = bytes.fromhex(code[2:])
        for contract in (BisectionRollup, OptimisticRollup):
            if raw == contract.code() or evm.is_twin_code(contract.__name__, raw):
                return cls(l1, address, contract)
        raise ValueError(f"{address} is not an optimistic rollup contract")

    def call(self, method: str, *args: Any) -> Any:
        return self.l1.call(self.address, self.contract, method, *args)

    def transact(self, key: bytes, method: str, *args: Any, value: int = 0, gas: int | None = None) -> dict:
        return self.l1.transact(key, self.address, self.contract, method, *args, value=value, gas=gas)

    def params(self) -> RollupParams:
        return RollupParams(*self.call("params"))

    def domain_separator(self) -> bytes:
        return self.call("domain_separator")

    def events_since(self, from_block: int) -> tuple[list[tuple[str, dict]], int]:
        """Rollup events from ``from_block`` on, oldest first, as (name, args); and the next block to read.

        Each actor keeps its own cursor, so several can share this object.
        """
        head = self.l1.block_number()
        if head < from_block:
            return [], from_block
        found = []
        for name in CHAIN_EVENTS:
            for ev in self.l1.events(self.address, OptimisticRollup, name, from_block, head):
                found.append((ev["blockNumber"], ev["logIndex"], name, ev))
        found.sort(key=lambda f: (f[0], f[1]))
        return [(name, ev) for _, _, name, ev in found], head + 1

    def batch_data(self, event: dict) -> bytes:
        """The batch bytes of a ``BatchSubmitted`` or ``ClaimReproposed`` event, from its transaction's calldata."""
        tx = self.l1.rpc("eth_getTransactionByHash", event["transactionHash"])
        raw = tx["input"] if "input" in tx else tx["data"]
        data = bytes.fromhex(raw[2:])
        if data[:4] == self._submit_selector:
            return abi_decode(["bytes"], data[4:])[0]
        if data[:4] == self._repropose_selector:
            return abi_decode(["uint256", "bytes32", "bytes32", "bytes"], data[4:])[3]
        raise ValueError(f"transaction {event['transactionHash']} is neither a submit_batch nor a repropose_batch call")


def check_submission(rollup: RollupL1, queue: L1DepositQueue, proposer: str, batch: Batch) -> None:
    """Run L1's submission rules on ``batch`` from ``proposer`` as the next block will, before posting it.

    The state root, the deposits included and the block come from L1; the
    queue from its events. :class:`~contracts_spec.optimistic.submission.InvalidBatch`
    names the rule a post would break, and nothing was sent.
    """
    included = rollup.call("deposits_included")
    block, now = rollup.l1.block_number() + 1, rollup.l1.timestamp()  # the next block's time is no earlier
    check_proposer(int(proposer, 16) == int(rollup.params().operator, 16), queue, included, block, now)
    check_batch(batch, rollup.call("state_root"), included, queue, block, now)


def check_reproposal(rollup: RollupL1, batch: Batch) -> None:
    """Run L1's claim rules on a re-proposed claim ``batch`` as the next block will, before sending it."""
    check_claim(batch, rollup.call("state_root"))
