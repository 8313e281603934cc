"""Finding paths of channels that can carry a payment.

The graph is what the peer knows: its own channels with their exact spendable
balance, and every other open channel with what L1 shows of it (the payer's
deposit, an upper bound: off-chain payments may have spent some). So a route
can still be refused by a hop, and the initiator then tries the next one.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from channels.state import OPENED, PeerState

Graph = Mapping[str, Mapping[str, int]]  # node -> neighbour -> what node can send to neighbour


def find_paths(graph: Graph, source: str, target: str, amount: int, *, max_paths: int = 5, max_hops: int = 6,
               max_expansions: int = 100_000) -> list[tuple[str, ...]]:
    """Simple paths from ``source`` to ``target`` whose every hop can carry ``amount``: fewest hops first.

    Breadth-first over partial paths, neighbours in address order, so the
    answer is deterministic; at most ``max_paths`` paths of at most
    ``max_hops`` channels, and at most ``max_expansions`` partial paths looked
    at, so a large graph costs a bounded search.
    """
    found: list[tuple[str, ...]] = []
    frontier: deque[tuple[str, ...]] = deque([(source,)])
    expansions = 0
    while frontier and len(found) < max_paths and expansions < max_expansions:
        path = frontier.popleft()
        expansions += 1
        if len(path) > max_hops:
            continue
        node = path[-1]
        for neighbour in sorted(graph.get(node, {}), key=lambda a: a.lower()):
            if neighbour in path or graph[node][neighbour] < amount:
                continue
            if neighbour == target:
                found.append((*path, neighbour))
                if len(found) == max_paths:
                    break
            else:
                frontier.append((*path, neighbour))
    return found


def channel_graph(state: PeerState) -> dict[str, dict[str, int]]:
    """The peer's view of the network: own channels by their exact balances, the rest by L1 deposits."""
    graph: dict[str, dict[str, int]] = {}
    for identifier, known in sorted(state.network.items()):
        if identifier in state.channels:
            continue
        graph.setdefault(known.participant1, {})[known.participant2] = known.deposit1
        graph.setdefault(known.participant2, {})[known.participant1] = known.deposit2
    for _, channel in sorted(state.channels.items()):
        if channel.status != OPENED:
            continue
        usable = len(channel.our.locks) < state.max_locks
        graph.setdefault(state.address, {})[channel.partner.address] = channel.distributable() if usable else 0
        graph.setdefault(channel.partner.address, {})[state.address] = channel.partner.deposit
    return graph


def routes(state: PeerState, target: str, amount: int, max_paths: int = 5) -> list[tuple[str, ...]]:
    """Routes from this peer to ``target`` for ``amount``, best first."""
    return find_paths(channel_graph(state), state.address, target, amount, max_paths=max_paths)
