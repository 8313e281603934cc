"""``python -m channels.peer_process``: one channel peer in its own process, over HTTP.

It reads L1 from an ``l2lab node`` (``--node``), keeps its write-ahead log in
``--log`` (a peer killed with -9 and started again on the same log loses
nothing it acknowledged), serves its API on ``--port`` (``channels.http``),
and posts messages to its partners at the URLs of ``--peer ADDRESS=URL``.

:func:`serve` is the part ``l2lab channel peer`` shares with this module's
:func:`main`: that command finds the contracts, the preset and a dev
account's key from the node and hands them here.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from channels.http import (
    HttpMessageTransport,
    JsonRpcTransport,
    PeerService,
    create_app,
    is_loopback,
)
from channels.peer import Peer
from contracts_spec.channels.params import ChannelPreset, get_preset
from contracts_spec.l1 import L1Client

TOKEN_ENV = "L2LAB_PEER_TOKEN"
KEY_ENV = "L2LAB_PEER_KEY"
_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")


def host_refusal(host: str, token: str | None) -> str | None:
    """Why the peer must not serve on ``host`` (None when it may): a host other machines reach needs a token."""
    if token is None and not is_loopback(host):
        return (f"--host {host}: other machines could reach this peer's API and spend its channels; "
                f"set {TOKEN_ENV} to a secret first (clients send it as Authorization: Bearer ...)")
    return None


def parse_peers(items: Iterable[str]) -> dict[str, str]:
    """``ADDRESS=URL`` items as a directory of partners; ValueError naming the bad one."""
    directory = {}
    for item in items:
        address, _, url = item.partition("=")
        if not _ADDRESS.fullmatch(address) or not url.startswith(("http://", "https://")):
            raise ValueError(f"--peer {item!r}: expected ADDRESS=URL, a 0x-prefixed 20-byte address and an "
                             "http:// or https:// URL")
        directory[address] = url
    return directory


def serve(key: bytes, *, node: str, adjudicator: str, registry: str, log: str | os.PathLike, port: int,
          host: str = "127.0.0.1", node_token: str | None = None, peers: dict[str, str] | None = None,
          preset: ChannelPreset | None = None, withhold: Iterable[str] = (), token: str | None = None,
          announce: Callable[[str], None] | None = None) -> int:
    """Run the peer with ``key`` until interrupted: its log opened (or replayed), its API on ``host:port``."""
    import uvicorn

    withheld = set(withhold)
    transport = HttpMessageTransport(peers or {}, withhold=(lambda s: type(s.message).__name__ in withheld)
                                     if withheld else None)
    l1 = L1Client(JsonRpcTransport(node, node_token))
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    peer = Peer(key, l1, adjudicator, registry, transport, log, preset=preset or get_preset("minimal"))
    service = PeerService(peer).start()
    try:
        if announce is not None:
            announce(f"channel peer {peer.address} serving http://{host}:{port} (log {os.fspath(log)}, "
                     f"{len(peer.log)} logged state change(s)); adjudicator {adjudicator} on {node}")
        uvicorn.run(create_app(service, token), host=host, port=port, log_level="warning")
    finally:
        service.stop()
        peer.close_log()
    return 0


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m channels.peer_process", description=__doc__)
    p.add_argument("--key", required=True, help=f"the peer's private key, hex (or env {KEY_ENV} if '-')")
    p.add_argument("--node", required=True, help="URL of the l2lab node (JSON-RPC)")
    p.add_argument("--node-token", default=None, help="the node's admin token, if it asks for one")
    p.add_argument("--adjudicator", required=True)
    p.add_argument("--registry", required=True)
    p.add_argument("--log", required=True, help="the peer's write-ahead log (SQLite)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--peer", action="append", default=[], metavar="ADDRESS=URL", help="a partner's API (repeatable)")
    p.add_argument("--preset", default="minimal")
    p.add_argument("--withhold", action="append", default=[], metavar="MESSAGE",
                   help="never send messages of this kind (to show a crash mid-payment in a workshop)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    token = os.environ.get(TOKEN_ENV) or None
    refusal = host_refusal(args.host, token)
    if refusal is not None:
        print(refusal, file=sys.stderr)
        return 2
    key_hex = os.environ.get(KEY_ENV, "") if args.key == "-" else args.key
    try:
        key = bytes.fromhex(key_hex.removeprefix("0x"))
    except ValueError:
        print("--key: not a private key in hex", file=sys.stderr)
        return 2
    try:
        peers = parse_peers(args.peer)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    return serve(key, node=args.node, node_token=args.node_token, adjudicator=args.adjudicator,
                 registry=args.registry, log=args.log, host=args.host, port=args.port, peers=peers,
                 preset=get_preset(args.preset), withhold=args.withhold, token=token)


if __name__ == "__main__":
    raise SystemExit(main())
