"""``python -m channels.peer_process``: one channel peer in its own process, over HTTP.

It reads L1 from an ``l2lab node`` (``--node``), keeps its write-ahead log in
``--log`` (a peer killed with -9 and started again on the same log loses
nothing it acknowledged), serves its API on ``--port`` (``channels.http``),
and posts messages to its partners at the URLs of ``--peer ADDRESS=URL``.
"""

from __future__ import annotations

import argparse
import os
import sys

from channels.http import (
    HttpMessageTransport,
    JsonRpcTransport,
    PeerService,
    create_app,
    is_loopback,
)
from channels.peer import Peer
from contracts_spec.channels.params import get_preset
from contracts_spec.l1 import L1Client

TOKEN_ENV = "L2LAB_PEER_TOKEN"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m channels.peer_process", description=__doc__)
    p.add_argument("--key", required=True, help="the peer's private key, hex (or env L2LAB_PEER_KEY if '-')")
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
    import uvicorn

    token = os.environ.get(TOKEN_ENV) or None
    if token is None and not is_loopback(args.host):
        print(f"--host {args.host}: other machines could reach this peer's API and spend its channels; "
              f"set {TOKEN_ENV} to a secret first (clients send it as Authorization: Bearer ...)", file=sys.stderr)
        return 2
    key_hex = os.environ.get("L2LAB_PEER_KEY", "") if args.key == "-" else args.key
    key = bytes.fromhex(key_hex.removeprefix("0x"))
    directory = {}
    for item in args.peer:
        address, _, url = item.partition("=")
        if not url:
            print(f"--peer {item!r}: expected ADDRESS=URL", file=sys.stderr)
            return 2
        directory[address] = url
    withheld = set(args.withhold)
    transport = HttpMessageTransport(directory, withhold=(lambda s: type(s.message).__name__ in withheld)
                                     if withheld else None)
    l1 = L1Client(JsonRpcTransport(args.node, args.node_token))
    peer = Peer(key, l1, args.adjudicator, args.registry, transport, args.log,
                preset=get_preset(args.preset))
    service = PeerService(peer).start()
    app = create_app(service, token)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    service.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
