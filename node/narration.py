"""The narrator of ``l2lab demo``: numbered steps, balance tables and the ``--json`` summary.

Every scheme's demos (``node/schemes/<scheme>/demos.py``) tell their story
through one ``Narrator``, so a workshop sees the same layout and the same
summary fields (``lost_wei``, ``l1_steps``, ``l1_gas_total``) whatever the scheme.

Two hooks reach every narrator made inside their block, so the demos need not
know about them: :func:`use_sink` hands each narrated step, as a small dict, to
a sink (``l2lab demo --rpc`` posts them to an l2lab node's dashboard), and
:func:`use_pause` waits after each numbered step (``l2lab demo --step``).
Outside them a narrator only prints.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from contracts_spec.interfaces import DemoLab

ETH = 10**18


# A sink takes one narrated step: {"kind": "say" | "note" | "gas" | "balances" | "summary", "step": n,
# "text": ..., and per kind "gas", "rows" or "ok", "l1_gas_total", "lost_wei"}.
Sink = Callable[[dict[str, Any]], None]
# A pause is called once a numbered step is told, with its number and the narrator's stream.
Pause = Callable[[int, TextIO], None]

_sink: Sink | None = None
_pause: Pause | None = None


@contextmanager
def use_sink(sink: Sink | None) -> Iterator[None]:
    """Within this block every new narrator also hands each step to ``sink`` (None: to nobody)."""
    global _sink
    before, _sink = _sink, sink
    try:
        yield
    finally:
        _sink = before


@contextmanager
def use_pause(pause: Pause | None) -> Iterator[None]:
    """Within this block every new narrator calls ``pause`` after each numbered step (None: never)."""
    global _pause
    before, _pause = _pause, pause
    try:
        yield
    finally:
        _pause = before


def wait_for_enter(stdin: TextIO | None = None) -> Pause:
    """A pause that waits for a line on ``stdin`` (default: the process's) after each step.

    In a terminal that is the Enter key; from a pipe, one line per step, so a
    script or a test can feed newlines. Once ``stdin`` is at its end, the demo
    runs on without pausing.
    """
    ended = False

    def pause(step: int, out: TextIO) -> None:
        nonlocal ended
        if ended:
            return
        print(f"    (step {step} told: press Enter to go on)", file=out, flush=True)
        line = (stdin if stdin is not None else sys.stdin).readline()
        ended = line == ""

    return pause


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
        self.sink = _sink
        self.pause = _pause
        self.start = self._snapshot()

    def _snapshot(self) -> dict[str, dict[str, int]]:
        return {name: self.holdings(name) for name in self.people}

    def _tell(self, kind: str, text: str, **fields: Any) -> None:
        """Hand one step to the sink, if there is one; a sink that fails is dropped, the story goes on."""
        if self.sink is None:
            return
        try:
            self.sink({"kind": kind, "step": self.step, "text": text, **fields})
        except Exception as exc:  # noqa: BLE001 - a dashboard that went away must not end the demo
            self.sink = None
            print(f"    (narration no longer sent: {type(exc).__name__}: {exc})", file=self.out)

    def _paused(self) -> None:
        if self.pause is not None and self.step > 0:
            self.pause(self.step, self.out)

    def say(self, text: str) -> None:
        self._paused()
        self.step += 1
        print(f"\n[{self.step}] {text}", file=self.out)
        self._tell("say", text)

    def note(self, text: str) -> None:
        print(f"    {text}", file=self.out)
        self._tell("note", text)

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
            gas = int(receipt["gasUsed"], 16)
            text = f"{what}: {gas:,} L1 gas"
            print(f"    {text}", file=self.out)
            self._tell("gas", text, gas=gas)

    def flow(self, sender: str, receiver: str, amount: int) -> None:
        """``amount`` wei moves from ``sender`` to ``receiver`` because the script says so."""
        if sender in self.moved:
            self.moved[sender] -= amount
        if receiver in self.moved:
            self.moved[receiver] += amount

    def balances(self) -> None:
        print(f"    {'who':<10} {'L1 balance':>22} {'L2 balance':>16}", file=self.out)
        rows = []
        for name in self.people:
            l1, l2 = self.lab.l1_balance(name), self.lab.l2_balance(name)
            print(f"    {name:<10} {eth(l1):>22} {eth(l2):>16}", file=self.out)
            rows.append({"who": name, "l1_wei": str(l1), "l2_wei": str(l2)})
        self._tell("balances", "balances", rows=rows)

    def summary(self, scenario: str, verdict: str, ok: bool, *, preset: str | None = None,
                context: dict | None = None, **extra: object) -> dict:
        """The JSON summary: who held what at start and end, each L1 step's gas, the verdict.

        ``preset`` follows the scenario's name; ``context`` (the scheme's own facts:
        its contract, batches) comes right after the verdict; ``extra`` at the end.
        """
        self._paused()
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
        lost = sum(int(str(p.get("lost_wei", 0))) for p in people.values())
        self._tell("summary", verdict, ok=bool(ok), l1_gas_total=sum(s["gas"] for s in self.steps),
                   lost_wei=str(lost))
        return {
            "scenario": scenario, **({"preset": preset} if preset is not None else {}),
            "ok": ok, "verdict": verdict,
            **(context or {}),
            "users": people,
            "l1_steps": self.steps,
            "l1_gas_total": sum(s["gas"] for s in self.steps),
            **extra,
        }
