"""Call tracing: the tree of contract calls one message made (``debug_traceTransaction``).

Set a ``CallTracer`` as ``WorldState.tracer`` and ``execute`` reports every
call frame to it as the frame starts and ends, and ``Context.transfer`` every
payment of ETH out of a contract (a value call that runs no code, as
Solidity's ``transfer`` to an account is). A frame's gas is what it was given
and what it spent, its nested calls included; the intrinsic and calldata gas
of the transaction are not in any frame. Tracing observes only: a traced
message does and costs exactly what an untraced one does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class CallFrame:
    """One call or creation: who called whom, which contract method, what it cost and how it ended."""

    kind: str  # "CALL", "STATICCALL" or "CREATE"
    sender: str
    to: str | None  # for a creation: the new contract's address once it exists
    value: int
    input: bytes
    gas: int
    contract: str | None = None  # the contract class that ran; None for an account without code
    method: str | None = None  # the ABI signature called, "constructor", or None (plain transfer)
    gas_used: int = 0
    output: bytes = b""
    error: str | None = None
    revert_reason: str | None = None
    calls: list[CallFrame] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """geth's callTracer shape, plus the contract class and method that ran."""
        out: dict[str, Any] = {
            "type": self.kind, "from": self.sender, "to": self.to, "value": hex(self.value),
            "gas": hex(self.gas), "gasUsed": hex(self.gas_used), "input": "0x" + self.input.hex(),
            "output": "0x" + self.output.hex(), "contract": self.contract, "method": self.method,
        }
        if self.error is not None:
            out["error"] = self.error
            out["revertReason"] = self.revert_reason
        if self.calls:
            out["calls"] = [c.to_json() for c in self.calls]
        return out


class CallTracer:
    """Builds the call tree of one message; ``root`` is its outermost frame."""

    def __init__(self) -> None:
        self.root: CallFrame | None = None
        self._open: list[CallFrame] = []

    def enter(self, frame: CallFrame) -> CallFrame:
        if self._open:
            self._open[-1].calls.append(frame)
        elif self.root is None:
            self.root = frame
        self._open.append(frame)
        return frame

    def exit(self, frame: CallFrame, gas_used: int, *, output: bytes = b"", to: str | None = None,
             error: str | None = None, reason: str | None = None) -> None:
        while self._open and self._open.pop() is not frame:
            pass
        frame.gas_used, frame.output, frame.error, frame.revert_reason = gas_used, output, error, reason
        if to is not None:
            frame.to = to

    def transfer(self, sender: str, to: str, value: int) -> None:
        """ETH paid out of a running contract: a finished value call with no code."""
        call = CallFrame("CALL", sender, to, value, b"", 0)
        if self._open:
            self._open[-1].calls.append(call)
