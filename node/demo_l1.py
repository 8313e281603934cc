"""The L1 a demo runs on: its own in-process toy chain (the default), or any EVM chain over JSON-RPC.

``l2lab demo NAME --rpc URL`` sets :func:`use_rpc` before the scenario
starts; each scheme's demo asks :func:`demo_l1` for its L1 and gets either a
fresh toy chain with the demo's accounts funded in genesis, or an
``L1Client`` over HTTP to ``URL`` (a running ``l2lab node``, an anvil, any
EVM chain), where the demo deploys its contracts anew (their Solidity twins
on a chain that is not the toy L1). On a development chain that lets it
(``anvil_setBalance``), each demo account is set to the demo's balance, so
the narrated balances read the same on both; elsewhere the accounts must
already hold it, and the demo says which one does not.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from contracts_spec.l1 import L1Client

_rpc: str | None = None
_token: str | None = None  # the node's admin token, for the dev methods an l2lab node guards
_recording: list[tuple[Any, str]] | None = None


@dataclass(frozen=True)
class SentCall:
    """One transaction a demo sent: the method it called (``deploy`` for a creation), whether it
    succeeded, and the gas its receipt says it used."""

    method: str
    ok: bool
    gas: int
    to: str | None


class _Recording:
    """A transport that notes the hash of every transaction sent through it."""

    def __init__(self, inner: Any, sink: list[tuple[Any, str]]) -> None:
        self.inner, self.sink = inner, sink

    def request(self, method: str, params: list) -> Any:
        out = self.inner.request(method, params)
        if method == "eth_sendRawTransaction":
            self.sink.append((self.inner, out))
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextmanager
def recording() -> Iterator[list[SentCall]]:
    """Record every transaction the demos started in this block send; the list fills in when the block ends."""
    global _recording
    before, _recording = _recording, []
    calls: list[SentCall] = []
    sent = _recording
    try:
        yield calls
    finally:
        _recording = before
        calls.extend(resolve(sent))


def resolve(sent: list[tuple[Any, str]]) -> list[SentCall]:
    """Each recorded transaction's method, outcome and gas, read back from its chain."""
    from contracts_spec.runtime.abi import method_names

    names = method_names()
    out = []
    for transport, tx_hash in sent:
        receipt = transport.request("eth_getTransactionReceipt", [tx_hash])
        if receipt is None:
            continue  # replaced, or never mined
        tx = transport.request("eth_getTransactionByHash", [tx_hash]) or {}
        data = bytes.fromhex((tx.get("input") or "0x")[2:])
        method = "deploy" if not tx.get("to") else names.get(data[:4], "transfer" if not data else data[:4].hex())
        out.append(SentCall(method, int(receipt["status"], 16) == 1, int(receipt["gasUsed"], 16), tx.get("to")))
    return out


@contextmanager
def use_rpc(url: str | None, token: str | None = None) -> Iterator[None]:
    """Within this block, demos run against the chain at ``url`` (None: each on its own in-process chain).

    ``token`` is sent with every request: an l2lab node serves its dev
    methods (time travel, mining, set-balance) only to its admin token.
    """
    global _rpc, _token
    before, _rpc, _token = (_rpc, _token), url, token
    try:
        yield
    finally:
        _rpc, _token = before


def rpc_url() -> str | None:
    """The chain demos run against, or None for an in-process chain of their own."""
    return _rpc


def demo_l1(addresses: Sequence[str], balance: int) -> L1Client:
    """An L1 for a demo whose accounts ``addresses`` start with ``balance`` wei each.

    In process, the chain is made with that genesis. Against ``--rpc``, each
    account is set to ``balance`` where the chain allows it, or must hold at
    least that much already.
    """
    if _rpc is None:
        from node.chain import Chain
        from node.rpc import in_process_l1

        chain = Chain(genesis_alloc={a: balance for a in addresses})
        return L1Client(_wrap(in_process_l1(chain).transport))
    from node.client import HttpTransport

    l1 = L1Client(_wrap(HttpTransport(_rpc, token=_token)))
    for address in addresses:
        try:
            l1.rpc("anvil_setBalance", address, hex(balance))
        except Exception:  # noqa: BLE001 - a chain without it: the account must be funded already
            held = l1.balance(address)
            if held < balance:
                raise RuntimeError(f"{address} holds {held} wei on {_rpc}, the demo needs {balance}, and the chain "
                                   "cannot set balances (anvil_setBalance): fund it first") from None
    return l1


def _wrap(transport: Any) -> Any:
    return transport if _recording is None else _Recording(transport, _recording)
