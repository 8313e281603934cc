"""An ``L1Client`` that keeps the receipt of every contract call it sends, with the method's name.

A channel peer sends its own L1 transactions from inside its event handler
(``channels.peer.Peer``) and returns events, not receipts. The world around it
(the node's REST answers, the demos' gas lines, the benchmark's lifecycle gas)
needs those receipts; handing the peers this client instead of a plain one
collects them without touching the peer. A transaction sent without waiting
(``submit``, as a watchtower does to raise its fee while it waits) is
recorded when its receipt is first read.
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
        self._submitted: dict[str, str] = {}  # hash of a transaction sent without waiting -> its method
        self._transacting = 0

    def transact(self, key: bytes, address: str, contract_cls: Any, method: str, *args: Any, value: int = 0,
                 gas: int | None = None, check: bool = True, tip: int | None = None,
                 max_fee: int | None = None) -> dict:
        self._transacting += 1
        try:
            receipt = super().transact(key, address, contract_cls, method, *args, value=value, gas=gas, check=check,
                                       tip=tip, max_fee=max_fee)
        except TransactionReverted as exc:
            if exc.receipt:
                self.receipts.append((method, exc.receipt))
            raise
        finally:
            self._transacting -= 1
        self.receipts.append((method, receipt))
        return receipt

    def send(self, key: bytes, **options: Any) -> dict:
        self._transacting += 1  # a deployment, a transfer or a ``transact``: not a contract call sent unwaited
        try:
            return super().send(key, **options)
        finally:
            self._transacting -= 1

    def submit(self, key: bytes, *, to: str | None, data: bytes = b"", **options: Any) -> str:
        tx_hash = super().submit(key, to=to, data=data, **options)
        if not self._transacting:  # ``transact`` records its own receipt
            self._submitted[str(tx_hash).lower()] = method_of(data)
        return tx_hash

    def receipt(self, tx_hash: str | bytes) -> dict | None:
        found = super().receipt(tx_hash)
        key = (tx_hash if isinstance(tx_hash, str) else "0x" + tx_hash.hex()).lower()
        if found is not None and key in self._submitted:
            self.receipts.append((self._submitted.pop(key), found))
        return found

    def since(self, mark: int) -> list[tuple[str, dict]]:
        """The receipts recorded after the first ``mark`` (``len(receipts)`` taken before an action)."""
        return self.receipts[mark:]


_METHODS: dict[bytes, str] = {}


def method_of(data: bytes) -> str:
    """The name of the channel contracts' method that ``data`` calls (its 4-byte selector, else as hex)."""
    if not _METHODS:
        from contracts_spec.channels.contract import ChannelAdjudicator, SecretRegistry
        from contracts_spec.channels.monitoring import MonitoringService
        from primitives.keccak import keccak256

        for cls in (ChannelAdjudicator, SecretRegistry, MonitoringService):
            for fn in cls.abi():
                if fn.get("type") == "function":
                    types = ",".join(_type(p) for p in fn["inputs"])
                    _METHODS[keccak256(f"{fn['name']}({types})".encode())[:4]] = fn["name"]
    return _METHODS.get(bytes(data[:4]), "0x" + bytes(data[:4]).hex())


def _type(param: dict) -> str:
    from contracts_spec.l1 import _abi_type

    return _abi_type(param)


def gas_of(receipt: dict) -> int:
    return int(str(receipt["gasUsed"]), 0)


def fee_of(receipt: dict) -> int:
    return gas_of(receipt) * int(str(receipt.get("effectiveGasPrice", "0x0")), 0)
