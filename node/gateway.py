"""``l2lab node --l1 URL``: the node's schemes on another chain (anvil, a testnet, any EVM chain).

Without a chain of its own, the node forwards every JSON-RPC request to the
chain at ``URL`` (still gated: the dev-only methods need the node's token) and
hosts its schemes there, deploying their Solidity twins, so every ``l2lab``
command and every wallet pointed at the node works unchanged on a real EVM.
:class:`RemoteChain` stands in for the toy chain where the REST routes and the
banner ask about it: its head, and its clock and miner through ``evm_*``
methods when the chain offers them.
"""

from __future__ import annotations

from typing import Any

from node.client import HttpTransport, TransportError
from node.rpc import MAX_PARAMS, SERVER_ERROR, RpcDispatcher, RpcError, is_admin_method
from node.rpc_codes import INVALID_REQUEST, METHOD_NOT_FOUND


class ForwardingDispatcher(RpcDispatcher):
    """A JSON-RPC dispatcher that answers every method by asking the chain at ``url``."""

    def __init__(self, url: str) -> None:  # noqa: D107 - no chain of its own: RpcDispatcher's state is not made
        self.url = url
        self.transport = HttpTransport(url)

    def handle(self, method: str, params: list | None = None) -> Any:
        """Forward one method the node serves itself (``node.rpc.MAX_PARAMS``, and the dev methods, which
        ``handle_request`` keeps behind the token); any other method of the chain behind is not served."""
        if not isinstance(method, str):
            raise RpcError(INVALID_REQUEST, "method must be a string")
        if not (method in MAX_PARAMS or is_admin_method(method)):
            raise RpcError(METHOD_NOT_FOUND, f"the method {method:.80} is not served by this node (it forwards "
                                             "only what an l2lab node serves)")
        if params is not None and not isinstance(params, list):
            raise RpcError(INVALID_REQUEST, "params must be a JSON array")
        try:
            return self.transport.request(method, params or [])
        except TransportError as exc:
            raise RpcError(SERVER_ERROR, f"the L1 at {self.url} did not answer: {exc}") from None


class RemoteChain:
    """What the node's routes and banner read of a chain, for a chain it reaches over JSON-RPC."""

    time_offset = 0
    interval_mining_seconds = 0.0
    automine = True

    def __init__(self, url: str) -> None:
        self.url = url
        self.dispatcher = ForwardingDispatcher(url)
        self.chain_id = int(self.dispatcher.handle("eth_chainId"), 16)
        self.client = str(self.dispatcher.handle("web3_clientVersion"))

    @property
    def block_number(self) -> int:
        return int(self.dispatcher.handle("eth_blockNumber"), 16)

    def mine(self, count: int = 1) -> None:
        self._dev("evm_mine", "mine blocks") if count == 1 else self._dev("anvil_mine", "mine blocks", hex(count))

    def increase_time(self, seconds: int) -> None:
        self._dev("evm_increaseTime", "move the clock", int(seconds))
        self._dev("evm_mine", "move the clock")

    def _dev(self, method: str, what: str, *params: Any) -> Any:
        try:
            return self.dispatcher.handle(method, list(params))
        except RpcError as exc:
            raise ValueError(f"the L1 at {self.url} ({self.client}) cannot {what}: {exc.message}") from None

    def close(self) -> None:
        pass
