"""The one workload ``l2lab compare`` runs on every scheme, and what a run of it measures.

A :class:`Workload` is N users, each with a deposit, M transfers among them
(a ``uniform`` mix, or a ``hotspot`` mix where most transfers go to a few
users, like an exchange's), and one withdrawal each. It is deterministic: the
same preset and seed give the same transfers, so every scheme carries exactly
the same traffic. A :class:`World` is the one in-process L1 every scheme of a
run shares, with the users funded in its genesis. Each scheme's runner
(``benchmarks/compare/<scheme>.py``, ``run(world) -> SchemeRun``) deploys its
own contracts on that L1, carries the workload through, and returns a
:class:`SchemeRun`: every figure measured, with the reason for each number
that is a protocol parameter rather than a measurement.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from primitives.secp256k1 import private_key_to_address

ETH = 10**18
BLOCK_GAS = 30_000_000  # Ethereum's gas limit per block, for the L1-bound ceiling
BLOCK_SECONDS = 12  # Ethereum's slot time
MIXES = ("uniform", "hotspot")
HOT_USERS = 2  # in the hot-spot mix, this many users receive HOT_SHARE of all transfers
HOT_SHARE = 0.8


@dataclass(frozen=True)
class Workload:
    """N users with a deposit each, M transfers among them, then one withdrawal each."""

    users: int
    transfers: int
    mix: str = "uniform"
    seed: int = 7
    deposit_wei: int = ETH
    amount_wei: int = 10**15  # small enough that no sender runs dry in any mix
    withdraw_wei: int = ETH // 10  # what each user withdraws at the end
    # Also measure the amortisation curve at batch sizes the workload does not reach by itself, where a
    # scheme's batch size is fixed by its setup (the zk-rollup: a full batch of its 16-slot circuit). Minutes.
    wide_curve: bool = False

    def __post_init__(self) -> None:
        if self.mix not in MIXES:
            raise ValueError(f"unknown mix {self.mix!r}; known: {', '.join(MIXES)}")
        if self.users < 2:
            raise ValueError(f"a workload needs at least 2 users, not {self.users}")
        if self.transfers < 1:
            raise ValueError(f"a workload needs at least 1 transfer, not {self.transfers}")
        if self.transfers * self.amount_wei + self.withdraw_wei > self.deposit_wei:
            raise ValueError("the transfers could outspend a deposit: lower transfers or amount_wei")

    @property
    def label(self) -> str:
        return f"{self.users} users, {self.transfers} transfers, {self.mix}"

    @cached_property
    def keys(self) -> tuple[bytes, ...]:
        """Each user's private key (deterministic, and distinct from the dev accounts')."""
        return tuple((0x1_0000 + self.seed * 1_000 + i).to_bytes(32, "big") for i in range(self.users))

    @cached_property
    def addresses(self) -> tuple[str, ...]:
        return tuple(private_key_to_address(k) for k in self.keys)

    @cached_property
    def pairs(self) -> tuple[tuple[int, int], ...]:
        """The M transfers as (sender, receiver) user indices; never to oneself."""
        rng = random.Random(self.seed)
        out = []
        for _ in range(self.transfers):
            if self.mix == "hotspot" and rng.random() < HOT_SHARE:
                receiver = rng.randrange(HOT_USERS)
            else:
                receiver = rng.randrange(self.users)
            sender = rng.randrange(self.users - 1)
            sender += sender >= receiver  # any user but the receiver
            out.append((sender, receiver))
        return tuple(out)


PRESETS: dict[str, Workload] = {
    "quick": Workload(users=4, transfers=32),
    "default": Workload(users=16, transfers=256, wide_curve=True),
}


@dataclass
class SchemeRun:
    """What one scheme measured on the workload, in one run. Times are seconds, gas is L1 gas.

    ``l1_gas`` and ``l1_bytes`` are by phase: ``setup`` (contracts, bonds,
    channel opening), ``deposit``, ``transfer`` (everything the M transfers
    cost on L1: batches, proofs, blocks; 0 for channels until they settle) and
    ``withdraw`` (withdrawals, exits, settlements). ``batch_curve`` is
    (transfers in one L1 batch or block or channel lifetime, L1 gas per
    transfer) at the sizes measured. A ``*_what`` string says what a time is
    made of, and whether it is measured or the protocol's parameter.
    """

    scheme: str  # "l1", "optimistic", "optimistic-bisection", "zk", "plasma", "channels"
    label: str
    workload: str
    ingress_seconds: float  # wall time for the scheme to accept all M transfers (soft-confirmed)
    transfers: int
    l1_gas: dict[str, int]
    l1_bytes: dict[str, int]
    batch_curve: list[tuple[int, float]]
    soft_confirmation_s: float  # one transfer's time to the scheme's first promise (measured)
    soft_what: str
    finality_s: float  # one transfer's time until L1 makes it final
    finality_what: str
    withdrawal_delay_s: float  # from asking to withdraw to holding the L1 ETH
    withdrawal_what: str
    capital_locked_wei: int  # what must sit idle on L1 for the workload to run (deposits, bonds, channel funds)
    capital_what: str
    user_duty: str  # what a user must do to stay safe
    lost_wei: int  # what honest users lost; anything but 0 is a failure of the scheme
    notes: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # scheme-specific figures, each {"unit":…, "value":…}

    @property
    def transfer_gas_per_tx(self) -> float:
        return self.l1_gas.get("transfer", 0) / self.transfers

    @property
    def transfer_bytes_per_tx(self) -> float:
        return self.l1_bytes.get("transfer", 0) / self.transfers

    @property
    def ingress_rate(self) -> float:
        return self.transfers / self.ingress_seconds if self.ingress_seconds > 0 else float("inf")

    def ceiling_tps(self, gas_per_transfer: float | None = None) -> float | None:
        """Transfers per second the L1 could carry: BLOCK_GAS / (gas per transfer × BLOCK_SECONDS)."""
        g = self.transfer_gas_per_tx if gas_per_transfer is None else gas_per_transfer
        return None if g <= 0 else BLOCK_GAS / (g * BLOCK_SECONDS)


class World:
    """The one in-process L1 a compare run's schemes share, with the workload's users funded in genesis.

    ``dev_keys`` are the ten dev accounts (operators and challengers use them,
    as ``l2lab node`` does); each user starts with 10 ETH on L1.
    """

    USER_L1_BALANCE = 10 * ETH

    def __init__(self, workload: Workload) -> None:
        from node.chain import Chain
        from node.devaccounts import derive_dev_accounts
        from node.rpc import in_process_l1

        self.workload = workload
        self.dev = derive_dev_accounts()
        alloc = {a: self.USER_L1_BALANCE for a in workload.addresses}
        alloc.update({a.address: 10_000 * ETH for a in self.dev})
        self.chain = Chain(genesis_alloc=alloc)
        self.l1 = in_process_l1(self.chain)

    def sharing(self, workload: Workload) -> World:
        """This world's L1 and dev accounts for another workload (its users must be funded here already)."""
        other = object.__new__(World)
        other.__dict__.update(self.__dict__)
        other.workload = workload
        return other

    def dev_key(self, index: int) -> bytes:
        return bytes(self.dev[index].private_key)


def gas_of(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


def calldata_of(l1: Any, receipt: dict) -> int:
    """The calldata bytes of the transaction behind ``receipt``."""
    tx = l1.rpc("eth_getTransactionByHash", receipt["transactionHash"])
    return (len(tx.get("input") or "0x") - 2) // 2


@dataclass
class Phase:
    """What every transaction mined on the L1 during one phase cost: gas, calldata bytes, fees by sender."""

    gas: int = 0
    calldata: int = 0
    transactions: int = 0
    fees: dict[str, int] = field(default_factory=dict)  # lower-case sender address -> wei paid in fees


class PhaseMeter:
    """Counts every L1 transaction a runner's phases mine, from the blocks themselves.

    ``with meter.phase("deposit"):`` reads the L1 head before and after, and
    adds the gas, calldata and fees of every transaction mined in between to
    that phase: nothing a scheme sends can escape the count, whichever actor
    sent it. One runner at a time uses the L1, so the blocks are its own.
    """

    def __init__(self, l1: Any) -> None:
        self.l1 = l1
        self.phases: dict[str, Phase] = {}

    def phase(self, name: str) -> _PhaseBlock:
        return _PhaseBlock(self, name)

    def _count(self, name: str, first: int, last: int) -> None:
        phase = self.phases.setdefault(name, Phase())
        for number in range(first, last + 1):
            block = self.l1.rpc("eth_getBlockByNumber", hex(number), True)
            for tx in block["transactions"]:
                receipt = self.l1.rpc("eth_getTransactionReceipt", tx["hash"])
                gas = int(receipt["gasUsed"], 16)
                phase.gas += gas
                phase.calldata += (len(tx.get("input") or "0x") - 2) // 2
                phase.transactions += 1
                sender = tx["from"].lower()
                phase.fees[sender] = phase.fees.get(sender, 0) + gas * int(receipt["effectiveGasPrice"], 16)

    def gas(self) -> dict[str, int]:
        return {name: p.gas for name, p in self.phases.items()}

    def calldata(self) -> dict[str, int]:
        return {name: p.calldata for name, p in self.phases.items()}

    def fees_of(self, address: str) -> int:
        """Every fee ``address`` paid in every phase."""
        return sum(p.fees.get(address.lower(), 0) for p in self.phases.values())


class _PhaseBlock:
    def __init__(self, meter: PhaseMeter, name: str) -> None:
        self.meter, self.name = meter, name

    def __enter__(self) -> Phase:
        self.first = self.meter.l1.block_number() + 1
        return self.meter.phases.setdefault(self.name, Phase())

    def __exit__(self, *exc: object) -> None:
        self.meter._count(self.name, self.first, self.meter.l1.block_number())


def expected_balances(workload: Workload) -> list[int]:
    """Each user's L2 balance after the transfers and before withdrawing: deposit + received − sent."""
    out = [workload.deposit_wei] * workload.users
    for sender, receiver in workload.pairs:
        out[sender] -= workload.amount_wei
        out[receiver] += workload.amount_wei
    return out
