"""The few interfaces everything in l2lab meets, on one page.

Read this first. The layers (``docs/ARCHITECTURE.md``) are math → rules →
actors → world; these protocols are the seams between them:

- :class:`Transport` (defined beside its client in ``contracts_spec.l1``) and
  :class:`L1`: the L1 a scheme talks to. Every actor
  (operator, challenger, watcher, channel peer) holds an ``L1`` and nothing
  else of the chain, so it runs unchanged in one process or against a remote
  node. ``contracts_spec.l1.L1Client`` is the implementation.
- :class:`HostedScheme`: what one Layer-2 scheme provides to the node and the
  ``l2lab`` command: how ``l2lab node`` hosts it, its REST router, its CLI
  subcommand, its narrated demos and its benchmark suites. Each scheme has one
  in ``node/schemes/<scheme>/`` and one line in ``node.schemes.SCHEME_MODULES``.
- :class:`NodeContext` and :class:`Hosted`: what the node hands a scheme it
  hosts, and what it gets back to stop.
- :class:`DemoLab` and :class:`Demo`: the narrated lab a workshop demo drives.
- :class:`Figure` and :class:`BenchSuite`: a benchmark's structured output.

They are ``typing.Protocol`` classes: structural, so an implementation needs
no import of this module; it imports only ``contracts_spec.l1`` (the client it
describes) at run time, and nothing above its layer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO, runtime_checkable

from contracts_spec.l1 import L1Client, Transport

if TYPE_CHECKING:
    import argparse

    from fastapi import APIRouter, FastAPI


class L1(Protocol):
    """The L1 as an actor sees it: send transactions, call views, read events, read the clock.

    Transactions are real signed Ethereum transactions and calls are
    ABI-encoded, so what an actor pays here is what it would pay on Ethereum.
    """

    transport: Transport

    @property
    def chain_id(self) -> int: ...

    def rpc(self, method: str, *params: Any) -> Any: ...

    def deploy(self, key: bytes, contract_cls: Any, *args: Any, gas: int | None = None) -> str: ...

    def transact(self, key: bytes, address: str, contract_cls: Any, method: str, *args: Any,
                 value: int = 0, gas: int | None = None, check: bool = True,
                 tip: int | None = None, max_fee: int | None = None) -> dict: ...

    def call(self, address: str, contract_cls: Any, method: str, *args: Any,
             sender: str | None = None) -> Any: ...

    def events(self, address: str, contract_cls: Any, event: str, from_block: int = 0,
               to_block: int | str = "latest") -> list[dict]: ...

    def transfer(self, key: bytes, to: str, value: int) -> dict: ...

    def increase_time(self, seconds: int) -> None: ...

    def balance(self, address: str) -> int: ...

    def block_number(self) -> int: ...

    def timestamp(self) -> int: ...


@runtime_checkable
class Hosted(Protocol):
    """A scheme the node is running: its actors on their timer, until ``stop``."""

    def stop(self) -> None: ...


class NodeContext(Protocol):
    """What ``l2lab node`` hands a scheme it hosts.

    ``l1`` reaches the node's chain in-process; ``app`` is the HTTP app whose
    ``state`` the scheme's router reads; ``accounts`` are the dev accounts
    (``index``, ``address``, ``private_key``); ``args`` the parsed command line,
    including the options the scheme added with ``add_node_options``.
    """

    app: FastAPI
    l1: L1Client
    accounts: Sequence[Any]
    data_dir: Path | None
    url: str
    args: argparse.Namespace


class DemoLab(Protocol):
    """The narrated lab a demo drives: named people with L1 and L2 balances."""

    def address(self, name: str) -> str: ...

    def l1_balance(self, name: str) -> int: ...

    def l2_balance(self, name: str) -> int: ...


class Demo(Protocol):
    """A workshop scenario: runs on its own in-process L1, narrates to ``out``, returns (exit code, summary).

    The summary is the ``--json`` document: who held what at start and end,
    what each honest user lost (``lost_wei``, 0 when the scheme held), the L1
    gas of every step, and the verdict.
    """

    def __call__(self, preset: str, out: TextIO | None = None) -> tuple[int, dict]: ...


class Figure(Protocol):
    """One measured number, labelled so a report can be generated without parsing prose."""

    scheme: str  # the area measured: "l1", "primitives", "zk", "optimistic", ...
    metric: str  # a stable snake_case identifier, e.g. "l1_gas_per_transfer"
    workload: str  # the input it was measured on, e.g. "batch=100"
    unit: str
    value: float
    note: str


class BenchSuite(Protocol):
    """A module in ``benchmarks/``: its figures are measured in one process, so ratios are fair."""

    def run(self, quick: bool) -> Sequence[Figure]: ...


class HostedScheme(Protocol):
    """One Layer-2 scheme's front end: everything the node, the CLI, demos and benchmarks need of it.

    The rules live in ``contracts_spec/<scheme>/`` and the actors in their own
    package; this object only wires them to the world. Everything is loaded
    lazily so that ``l2lab --help`` stays quick.
    """

    name: str  # the registry key, the CLI subcommand and the REST prefix /api/<name>/
    summary: str  # one line for help texts
    bench_suites: Mapping[str, str]  # `l2lab bench` suite name -> module in benchmarks/
    compare_runners: Mapping[str, str]  # `l2lab compare` row -> "module:function" running its workload
    data_files: Sequence[str]  # glob patterns of what it keeps in the node's data dir; --fresh deletes them

    def add_node_options(self, parser: argparse.ArgumentParser) -> None:
        """Add this scheme's options to ``l2lab node`` (e.g. ``--optimistic PRESET``)."""

    def host(self, node: NodeContext) -> Hosted | None:
        """Deploy or reattach the scheme beside the node's L1 and start its actors; None when off."""

    def router(self) -> APIRouter:
        """The REST routes the node mounts (under ``/api/<name>/``)."""

    def add_cli(self, subparsers: argparse._SubParsersAction) -> None:
        """Add ``l2lab <name> ...``: the scheme's user commands against a running node."""

    def demos(self) -> Mapping[str, Demo]:
        """The ``l2lab demo`` scenarios, by name."""

    def check_preset(self, name: str) -> None:
        """Raise ValueError naming the known presets when ``name`` is not one of them."""


__all__ = ["BenchSuite", "Demo", "DemoLab", "Figure", "Hosted", "HostedScheme", "L1", "NodeContext",
           "Transport"]
