"""An ``L1Client`` that keeps the receipt of every contract call it sends, with the method's name.

A channel peer sends its own L1 transactions from inside its event handler
(``channels.peer.Peer``) and returns events, not receipts. The world around it
(the node's REST answers, the demos' gas lines, the benchmark's lifecycle gas)
needs those receipts; handing the peers this client instead of a plain one
collects them without touching the peer.
"""

from __future__ import annotations

from typing import Any

from contracts_spec.l1 import L1Client, TransactionReverted


class RecordingL1(L1Client):
    """An ``L1Client`` over the same transport that appends each ``transact`` receipt to ``receipts``.

    Each entry is ``(method, receipt)``; a call the chain mined and reverted is
    kept too (it paid gas), one refused before sending (by the gas estimate) is not.
    """

    def __init__(self, base: L1Client) -> None:
        super().__init__(base.transport, receipt_timeout=base.receipt_timeout)
        self.receipts: list[tuple[str, dict]] = []

    def transact(self, key: bytes, address: str, contract_cls: Any, method: str, *args: Any, value: int = 0,
                 gas: int | None = None, check: bool = True, tip: int | None = None,
                 max_fee: int | None = None) -> dict:
        try:
            receipt = super().transact(key, address, contract_cls, method, *args, value=value, gas=gas, check=check,
                                       tip=tip, max_fee=max_fee)
        except TransactionReverted as exc:
            if exc.receipt:
                self.receipts.append((method, exc.receipt))
            raise
        self.receipts.append((method, receipt))
        return receipt

    def since(self, mark: int) -> list[tuple[str, dict]]:
        """The receipts recorded after the first ``mark`` (``len(receipts)`` taken before an action)."""
        return self.receipts[mark:]


def gas_of(receipt: dict) -> int:
    return int(str(receipt["gasUsed"]), 0)


def fee_of(receipt: dict) -> int:
    return gas_of(receipt) * int(str(receipt.get("effectiveGasPrice", "0x0")), 0)
