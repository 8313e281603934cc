"""Both L1s for one scenario: the toy L1 (Python contracts) and anvil (their Solidity twins).

A test module that runs on both takes the ``l1_kind`` fixture (``"toy"`` or
``"evm"``) and builds its L1 with :func:`new_l1`; on ``"evm"`` it gets a fresh
anvil chain (one anvil per test process, reset per test) with the same
accounts funded. When node, npm or the pinned tools cannot be had, the evm
half skips with a message naming what is missing.

Every transaction either L1 mines is recorded in ``l1.calls`` (method name,
whether it reverted, the rule it reverted with, gas used), so a differential
test can run one scenario on both and compare outcome for outcome, gas for
gas (:func:`compare`).
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from contracts_spec.l1 import L1Client, TransactionReverted
from contracts_spec.runtime.abi import method_names
from node.chain import Chain
from node.client import HttpTransport
from node.rpc import in_process_l1

GAS_TOLERANCE = 0.10  # the target: every call within 10 % of the EVM's receipt

_anvil: Any = None


def rule(reason: str) -> str:
    """The rule a refusal names: its text up to the first colon."""
    return reason.split(":", 1)[0].strip()


@dataclass
class Call:
    method: str
    ok: bool
    rule: str
    gas: int


class RecordingL1(L1Client):
    """An L1Client that records every transaction it sees mined: method, outcome, rule, gas."""

    kind = "toy"

    def __init__(self, transport: Any, kind: str) -> None:
        super().__init__(transport)
        self.kind = kind
        self.calls: list[Call] = []
        self._names = method_names()

    def _name(self, data: str | None, to: str | None) -> str:
        if not to:
            return "deploy"
        raw = bytes.fromhex((data or "0x")[2:])
        return self._names.get(raw[:4], "transfer" if not raw else "0x" + raw[:4].hex())

    def wait_for_receipt(self, tx_hash: str, timeout: float | None = None) -> dict:
        receipt = super().wait_for_receipt(tx_hash, timeout)
        tx = self.rpc("eth_getTransactionByHash", tx_hash) or {}
        ok = int(receipt["status"], 16) == 1
        self.calls.append(Call(self._name(tx.get("input"), tx.get("to")), ok,
                               "" if ok else rule(self.revert_reason(receipt)), int(receipt["gasUsed"], 16)))
        return receipt

    def submit(self, key: bytes, **kw: Any) -> str:
        try:
            return super().submit(key, **kw)
        except TransactionReverted as exc:  # refused at estimation: nothing mined, but an outcome all the same
            self.calls.append(Call(self._name("0x" + bytes(kw.get("data", b"")).hex(), kw.get("to")), False,
                                   rule(exc.reason), 0))
            raise


def evm_missing() -> str | None:
    """Why anvil cannot run here, or None; installs the pinned tools when only they are missing."""
    from node import evm

    try:
        evm.ensure_tools()
    except evm.EvmToolsMissing as exc:
        return str(exc)
    return None


def require_evm(what: str = "real-EVM half") -> None:
    """Skip, naming what is missing, when anvil and the pinned compiler cannot run here; fail instead when
    ``L2LAB_REQUIRE_EVM`` is set (CI sets it: its machines have node and npm, so a skip there would hide a
    failure)."""
    why = evm_missing()
    if why:
        if os.environ.get("L2LAB_REQUIRE_EVM"):
            pytest.fail(f"L2LAB_REQUIRE_EVM is set but the real EVM cannot run: {why}")
        pytest.skip(f"{what} skipped: {why}")


def anvil_url() -> str:
    """The URL of this test process's anvil, started on first use and stopped at exit."""
    global _anvil
    if _anvil is None:
        from node import evm

        require_evm()
        _anvil = evm.Anvil(accounts=10).start()
        atexit.register(_anvil.stop)
    return str(_anvil.url)


def new_l1(kind: str, funded: Mapping[str, int]) -> RecordingL1:
    """A fresh L1 of ``kind`` ("toy" or "evm") with ``funded`` balances (address -> wei)."""
    if kind == "toy":
        dispatcher = in_process_l1(Chain(genesis_alloc=dict(funded))).transport
        return RecordingL1(dispatcher, "toy")
    if kind != "evm":
        raise ValueError(f"unknown L1 kind {kind!r}: toy or evm")
    l1 = RecordingL1(HttpTransport(anvil_url()), "evm")
    l1.rpc("anvil_reset")
    for address, wei in funded.items():
        l1.rpc("anvil_setBalance", address, hex(wei))
    return l1


L1_KINDS = ["toy", "evm"]


def compare(toy: list[Call], evm: list[Call], *, explained: Mapping[str, str] | None = None,
            tolerance: float = GAS_TOLERANCE) -> list[str]:
    """Where two recordings of one scenario disagree, one line each: outcome, rule, or gas beyond ``tolerance``.

    ``explained`` maps a method to the one-line reason its gas may differ by
    more (the line is then not a failure). Refusals at estimation (gas 0) are
    compared by outcome and rule alone.
    """
    explained = explained or {}
    problems = []
    if [c.method for c in toy] != [c.method for c in evm]:
        return [f"different calls: toy {[c.method for c in toy]} vs evm {[c.method for c in evm]}"]
    for i, (t, e) in enumerate(zip(toy, evm, strict=True)):
        where = f"call {i} ({t.method})"
        if t.ok != e.ok or t.rule != e.rule:
            problems.append(f"{where}: toy {'ok' if t.ok else 'refused: ' + t.rule}, "
                            f"evm {'ok' if e.ok else 'refused: ' + e.rule}")
        elif t.gas and e.gas and abs(t.gas - e.gas) > tolerance * e.gas and t.method not in explained:
            problems.append(f"{where}: gas toy {t.gas} vs evm {e.gas} ({(t.gas - e.gas) / e.gas:+.1%})")
    return problems


def gas_table(toy: list[Call], evm: list[Call]) -> list[tuple[str, int, int, float]]:
    """(method, toy gas, evm gas, relative difference) for each mined call of a scenario."""
    return [(t.method, t.gas, e.gas, (t.gas - e.gas) / e.gas) for t, e in zip(toy, evm, strict=True)
            if t.gas and e.gas]
