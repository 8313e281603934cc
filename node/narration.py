"""The narrator of ``l2lab demo``: numbered steps, balance tables and the ``--json`` summary.

Every scheme's demos (``node/schemes/<scheme>/demos.py``) tell their story
through one ``Narrator``, so a workshop sees the same layout and the same
summary fields (``lost_wei``, ``l1_steps``, ``l1_gas_total``) whatever the scheme.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from contracts_spec.interfaces import DemoLab

ETH = 10**18


def eth(wei: int) -> str:
    """Wei as ETH with four decimals, the way every demo prints an amount."""
    return f"{wei / ETH:,.4f} ETH"


class Narrator:
    """Prints numbered steps and balance tables, and keeps the record a ``--json`` summary is made of.

    The story goes to ``out`` (stderr under ``--json``, so stdout holds only the
    JSON document). Every L1 receipt the demo shows is recorded with its step
    name, so the summary can list the gas of each step and the fees each person
    paid; ``flow`` notes the value a script moves on purpose between people, so
    that what an honest user *lost* is what is missing beyond those and their fees.
    ``holdings(name)`` says what a person holds, by kind (``{"l1_wei": …, "l2_wei": …,
    …}``, a scheme adds its own such as a bond or a channel deposit); by default
    the lab's L1 and L2 balances.
    """

    def __init__(self, lab: DemoLab, people: tuple[str, ...], out: TextIO | None = None,
                 honest: tuple[str, ...] = (),
                 holdings: Callable[[str], dict[str, int]] | None = None) -> None:
        self.lab = lab
        self.people = people
        self.honest = honest
        self.out = out if out is not None else sys.stdout
        self.holdings = holdings or (lambda name: {"l1_wei": lab.l1_balance(name), "l2_wei": lab.l2_balance(name)})
        self.step = 0
        self.steps: list[dict] = []
        self.fees: dict[str, int] = dict.fromkeys(people, 0)
        self.moved: dict[str, int] = dict.fromkeys(people, 0)
        self.start = self._snapshot()

    def _snapshot(self) -> dict[str, dict[str, int]]:
        return {name: self.holdings(name) for name in self.people}

    def say(self, text: str) -> None:
        self.step += 1
        print(f"\n[{self.step}] {text}", file=self.out)

    def note(self, text: str) -> None:
        print(f"    {text}", file=self.out)

    def record(self, step: str, receipt: dict | None) -> None:
        """Remember an L1 step's gas, and charge its fee to whoever sent it."""
        if receipt is None:
            return
        sender = str(receipt.get("from", "")).lower()
        who = next((n for n in self.people if self.lab.address(n).lower() == sender), sender)
        gas = int(receipt["gasUsed"], 16)
        if who in self.fees:
            self.fees[who] += gas * int(receipt.get("effectiveGasPrice", "0x0"), 16)
        self.steps.append({"step": step, "by": who, "gas": gas, "tx": receipt.get("transactionHash")})

    def gas(self, what: str, receipt: dict | None, step: str | None = None) -> None:
        """Say an L1 step's gas and record it under ``step`` (default: ``what``)."""
        self.record(step or what, receipt)
        if receipt is not None:
            self.note(f"{what}: {int(receipt['gasUsed'], 16):,} L1 gas")

    def flow(self, sender: str, receiver: str, amount: int) -> None:
        """``amount`` wei moves from ``sender`` to ``receiver`` because the script says so."""
        if sender in self.moved:
            self.moved[sender] -= amount
        if receiver in self.moved:
            self.moved[receiver] += amount

    def balances(self) -> None:
        print(f"    {'who':<10} {'L1 balance':>22} {'L2 balance':>16}", file=self.out)
        for name in self.people:
            print(f"    {name:<10} {eth(self.lab.l1_balance(name)):>22} {eth(self.lab.l2_balance(name)):>16}",
                  file=self.out)

    def summary(self, scenario: str, verdict: str, ok: bool, *, preset: str | None = None,
                context: dict | None = None, **extra: object) -> dict:
        """The JSON summary: who held what at start and end, each L1 step's gas, the verdict.

        ``preset`` follows the scenario's name; ``context`` (the scheme's own facts:
        its contract, batches) comes right after the verdict; ``extra`` at the end.
        """
        end = self._snapshot()
        people = {}
        for name in self.people:
            a, b = self.start[name], end[name]
            entry: dict[str, object] = {"address": self.lab.address(name),
                                        "start": {k: str(v) for k, v in a.items()},
                                        "end": {k: str(v) for k, v in b.items()},
                                        "l1_fees_wei": str(self.fees[name]), "honest": name in self.honest}
            if name in self.honest:
                # What should be there: the start, plus what the script moved to or from them, minus fees.
                expected = sum(a.values()) + self.moved[name] - self.fees[name]
                entry["lost_wei"] = str(max(0, expected - sum(b.values())))
            people[name] = entry
        return {
            "scenario": scenario, **({"preset": preset} if preset is not None else {}),
            "ok": ok, "verdict": verdict,
            **(context or {}),
            "users": people,
            "l1_steps": self.steps,
            "l1_gas_total": sum(s["gas"] for s in self.steps),
            **extra,
        }
