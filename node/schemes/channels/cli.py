"""``l2lab channel``: use the payment-channel peers a running node hosts, from the command line.

``l2lab node`` runs a channel peer for some of its dev accounts (3, 4, 5 and
6 by default); each command names the peer that acts with ``--account N``
and its partner (or a payment's target) by dev account number or 0x
address, and goes to the node's REST API (``/api/channels/`` under ``--api``,
by default the ``--rpc`` URL). Amounts are in ETH. ``withdraw`` and
``coop-settle`` need the partner's co-signature, so the partner must be a
peer the node hosts and online. ``settle --time-travel``
first moves L1's clock and blocks to the end of the settlement window,
which only the node's admin token may do. Every failure is one line on
stderr and exit code 1 (2 for bad usage).

``l2lab channel peer`` is different: it runs one more channel peer, in its
own process, for a key of the user's (``--key``, ``-`` to read it from
``L2LAB_PEER_KEY``) or a dev account the node does not host
(``--account N``, its key derived from the dev mnemonic as the node derives
it). It finds the adjudicator, the secret registry and the preset at the
node's ``/api/channels/status``, keeps its write-ahead log under the user's
data dir (``$XDG_DATA_HOME/l2lab/channel-peers``) unless ``--log`` says
where, serves its own API (``channels.http``: ``/status``, ``/open``,
``/pay`` ...) on ``--port``, and talks to the partners ``--peer
ADDRESS=URL`` names over HTTP, so a workshop runs a peer per terminal or
per laptop (``--host 0.0.0.0`` needs ``L2LAB_PEER_TOKEN`` set). An
unreachable node, a bad key or a bad ``--peer`` is one line and exit code 2.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from node.scheme_cli import (
    CliError,
    answer_detail,
    dev_account_key,
    fail,
    parse_private_key,
    run_commands,
)

DEFAULT_RPC = "http://127.0.0.1:8545"
NAME = "channel"
API = "/api/channels"


def make_transport(url: str, token: str | None = None) -> Any:
    """The JSON-RPC transport to ``url`` (tests swap in an in-process one)."""
    from node.client import HttpTransport

    return HttpTransport(url, token=token)


def make_http(url: str, token: str | None = None) -> Any:
    """An HTTP client for the REST API at ``url``, with the admin token when given (tests swap in a TestClient)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, timeout=60.0, headers=headers)


def _token(args: argparse.Namespace) -> str | None:
    from node.auth import find_token

    return find_token(getattr(args, "token", None), getattr(args, "data_dir", None))


def _http(args: argparse.Namespace, *, admin: bool = False) -> Any:
    return make_http(args.api or args.rpc, _token(args) if admin else None)


def _eth(wei: int | str) -> str:
    text = f"{Decimal(int(wei)) / Decimal(10**18):f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " ETH"


def _wei(text: str, option: str, *, zero: bool = False) -> int:
    from node.devaccounts import eth_to_wei

    try:
        wei = eth_to_wei(text)
    except ValueError:
        raise CliError(f"{option} must be a non-negative number of ETH with at most 18 decimals, "
                       f"got {text!r}") from None
    if wei == 0 and not zero:
        raise CliError(f"{option} must be more than 0 ETH, got {text!r}")
    if wei >= 2**256:
        raise CliError(f"{option} {text} ETH is too large: an amount is below 2**256 wei")
    return wei


def _who(text: str | None, option: str) -> int | str:
    """A dev account number or a 0x address, as the REST API takes it."""
    if text is None:
        raise CliError(f"{option} is required: a dev account number or a 0x address")
    if text.isdigit() and len(text) < 6:
        return int(text)
    if re.fullmatch(r"0[xX][0-9a-fA-F]{40}", text):
        return "0x" + text[2:]
    raise CliError(f"{option} must be a dev account number or a 0x-prefixed 20-byte address, got {text!r}")


def _post(args: argparse.Namespace, path: str, body: dict, what: str) -> dict:
    r = _http(args).post(f"{API}/{path}", json=body)
    if r.status_code != 200:
        raise CliError(f"{what}: {answer_detail(r)}")
    return r.json()


def _get(args: argparse.Namespace, path: str, what: str) -> Any:
    r = _http(args).get(f"{API}/{path}")
    if r.status_code != 200:
        raise CliError(f"{what}: {answer_detail(r)}")
    return r.json()


def _gas_line(answer: dict) -> str:
    sent = answer.get("l1_transactions") or []
    if not sent:
        return "no L1 transaction"
    return "L1: " + ", ".join(f"{t['call']} by {t['by']} ({t['gas']:,} gas)" for t in sent)


def _channel_line(c: dict) -> str:
    line = (f"channel {c['channel_identifier']} with {c['partner']}: {c['status']}; balance {_eth(c['balance'])}, "
            f"partner {_eth(c['partner_balance'])}; can send {_eth(c['can_send'])}")
    if int(c["locked"]) or int(c["partner_locked"]):
        line += f"; locked {_eth(c['locked'])} out, {_eth(c['partner_locked'])} in"
    if c["status"] == "closed":
        line += f"; settles after block {c['settle_block']}"
    return line


# -- commands --------------------------------------------------------------------------------------


def cmd_open(args: argparse.Namespace) -> None:
    body: dict[str, Any] = {"peer": _who(args.account, "--account"), "partner": _who(args.partner, "--partner"),
                            "deposit": str(_wei(args.deposit, "--deposit", zero=True))}
    if args.settle_timeout is not None:
        body["settle_timeout"] = args.settle_timeout
    c = _post(args, "open", body, "the channel was not opened")
    print(f"opened {_channel_line(c)}\n{_gas_line(c)}")


def cmd_deposit(args: argparse.Namespace) -> None:
    body = {"peer": _who(args.account, "--account"), "partner": _who(args.partner, "--partner"),
            "amount": str(_wei(args.amount, "--amount"))}
    c = _post(args, "deposit", body, "the deposit was not made")
    print(f"deposited: {_channel_line(c)}\n{_gas_line(c)}")


def cmd_pay(args: argparse.Namespace) -> None:
    amount = _wei(args.amount, "--amount")
    body = {"peer": _who(args.account, "--account"), "target": _who(args.to, "--to"), "amount": str(amount),
            "mode": args.mode}
    p = _post(args, "pay", body, "the payment was not made")
    hops = max(0, len(p.get("route", [])) - 1)
    how = "directly" if p["mode"] == "direct" else f"over {hops} hop{'s' if hops != 1 else ''}"
    print(f"payment {p['payment_identifier']} of {_eth(amount)} to {p['target']} {how}: {p['status']}"
          + (f" ({p['reason']})" if p.get("reason") else "") + f"; {_gas_line(p)}")
    if p["status"] == "failed":
        raise CliError(f"payment {p['payment_identifier']} failed: {p.get('reason', 'no route carried it')}")


def cmd_close(args: argparse.Namespace) -> None:
    body = {"peer": _who(args.account, "--account"), "partner": _who(args.partner, "--partner")}
    c = _post(args, "close", body, "the channel was not closed")
    print(f"closed {_channel_line(c)}\n{_gas_line(c)}\nthe partner may present a newer balance proof until the "
          f"window ends; then `l2lab {NAME} settle` (the peers also settle on their own)")


def cmd_withdraw(args: argparse.Namespace) -> None:
    amount = _wei(args.amount, "--amount")
    body = {"peer": _who(args.account, "--account"), "partner": _who(args.partner, "--partner"),
            "amount": str(amount)}
    c = _post(args, "withdraw", body, "nothing was withdrawn")
    print(f"withdrew {_eth(amount)} to L1 (co-signed by {c['partner']}; L1 balance now {_eth(c['l1_balance'])}): "
          f"{_channel_line(c)}\n{_gas_line(c)}")


def cmd_coop_settle(args: argparse.Namespace) -> None:
    body = {"peer": _who(args.account, "--account"), "partner": _who(args.partner, "--partner")}
    c = _post(args, "cooperative-settle", body, "the channel was not settled")
    paid = "; ".join(f"{who} {_eth(wei)}" for who, wei in c["paid_out"].items())
    print(f"settled cooperatively: channel {c['channel_identifier']} with {c['partner']}, no settlement window; "
          f"paid out {paid}\n{_gas_line(c)}")


def _time_travel(args: argparse.Namespace, body: dict) -> None:
    """Move L1's clock and blocks past the channel's settlement window (the node's admin token)."""
    from contracts_spec.channels.params import SECONDS_PER_SLOT
    from contracts_spec.l1 import L1Client

    me = _get(args, f"peers/{body['peer']}", "the peer")
    partner = str(body["partner"])
    if isinstance(body["partner"], int):
        listed = _get(args, "status", "the node's channels")["peers"]
        partner = next((p["address"] for p in listed if p["account"] == body["partner"]), partner)
    found = [c for c in me["channels"] if c["partner"].lower() == partner.lower() and c["status"] == "closed"]
    if not found:
        return  # nothing to wait for: the settle below says what the channel is
    channel = found[-1]
    token = _token(args)
    if not token:
        raise CliError("--time-travel needs the node's admin token: --token, L2LAB_NODE_TOKEN or --data-dir")
    l1 = L1Client(make_transport(args.rpc, token))
    blocks = max(0, channel["settle_block"] + 1 - l1.block_number())
    seconds = max(0, channel["settle_time"] - l1.timestamp())
    if seconds:
        l1.rpc("evm_increaseTime", max(seconds, blocks * SECONDS_PER_SLOT))
    if blocks:
        l1.rpc("hardhat_mine", hex(blocks))
    else:
        l1.rpc("evm_mine")
    print(f"time travel: {blocks} block(s) mined and the clock moved {seconds} s")


def cmd_settle(args: argparse.Namespace) -> None:
    body = {"peer": _who(args.account, "--account"), "partner": _who(args.partner, "--partner")}
    if args.time_travel:
        _time_travel(args, body)
    c = _post(args, "settle", body, "the channel was not settled")
    again = " (the peers had already settled it)" if c.get("already_settled") else ""
    print(f"settled{again}: channel {c['channel_identifier']} with {c['partner']}; {_gas_line(c)}")


def cmd_status(args: argparse.Namespace) -> None:
    if args.account is None:
        s = _get(args, "status", "the node serves no payment channels")
        p = s["preset"]
        print(f"adjudicator {s['adjudicator']} (preset {p['name']}: windows of {p['settle_timeout_min']}.."
              f"{p['settle_timeout_max']} blocks, reveal timeout {p['reveal_timeout']}); block {s['block']}; "
              f"deposits held {_eth(s['deposits_held_wei'])}")
        for peer in s["peers"]:
            print(f"  peer {peer['account']} {peer['address']}: {peer['channels']} channel(s)"
                  + ("" if peer["online"] else " (offline)"))
        for c in _get(args, "channels", "the channels"):
            print(f"  {c['account']}: {_channel_line(c)}")
        return
    me = _get(args, f"peers/{_who(args.account, '--account')}", "the peer")
    print(f"peer {me['account']} {me['address']}: L1 {_eth(me['l1_balance'])}, in channels {_eth(me['in_channels'])}"
          + ("" if me["online"] else " (offline)"))
    for c in me["channels"]:
        print(f"  {_channel_line(c)}")
    for pay in me["payments"][-5:]:
        print(f"  payment {pay['payment_identifier']} of {_eth(pay['amount'])} to {pay['target']}: {pay['status']}")


COMMANDS = {"open": cmd_open, "deposit": cmd_deposit, "pay": cmd_pay, "withdraw": cmd_withdraw,
            "coop-settle": cmd_coop_settle, "close": cmd_close, "settle": cmd_settle, "status": cmd_status}


# -- a peer of the user's own, in this process --------------------------------------------------------


def peer_data_dir() -> Path:
    """Where this user's own channel peers keep their logs by default."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "l2lab" / "channel-peers"


def _node_channels(args: argparse.Namespace, wait: float = 15.0) -> dict:
    """The node's channel status (adjudicator, registry, preset, hosted peers); waits out a deployment."""
    import httpx

    url = args.api or args.rpc
    deadline = time.monotonic() + wait
    while True:
        try:
            r = _http(args).get(f"{API}/status")
        except httpx.HTTPError as exc:
            raise CliError(f"cannot reach the node at {url}: {exc} (is `l2lab node` running?)") from None
        if r.status_code == 503 and time.monotonic() < deadline:
            time.sleep(0.5)  # the node is deploying its adjudicator
            continue
        if r.status_code != 200:
            raise CliError(f"the node at {url} serves no payment channels: {answer_detail(r)}")
        try:
            status = r.json()
            _ = (status["adjudicator"], status["secret_registry"], status["preset"]["name"], status["peers"])
        except (ValueError, KeyError, TypeError):
            raise CliError(f"the node at {url} does not answer /api/channels/status as l2lab does") from None
        return dict(status)


def _peer_key(args: argparse.Namespace) -> bytes:
    """The peer's key: ``--key`` (``-``: from L2LAB_PEER_KEY) or the node's dev account ``--account``."""
    from channels.peer_process import KEY_ENV

    if args.key is not None:
        text = args.key
        if text == "-":
            text = os.environ.get(KEY_ENV, "")
            if not text:
                raise CliError(f"--key -: set {KEY_ENV} to the peer's private key (hex)")
        return parse_private_key(text)
    if not args.account.isdigit():  # before asking the node anything
        raise CliError(f"--account must be a dev account number, got {args.account!r}")
    return dev_account_key(make_transport(args.rpc).request("eth_accounts", []), args.account)


def run_peer(args: argparse.Namespace) -> int:
    """``l2lab channel peer``: serve one channel peer until interrupted (see the module doc)."""
    from channels.peer_process import TOKEN_ENV, host_refusal, parse_peers, serve
    from contracts_spec.channels.params import get_preset
    from node.client import free_port
    from primitives.secp256k1 import private_key_to_address

    def usage(message: str) -> int:
        return fail(NAME, "peer", message, 2)

    token = os.environ.get(TOKEN_ENV) or None
    refusal = host_refusal(args.host, token)
    if refusal is not None:
        return usage(refusal)
    if args.port is not None and not 0 < args.port < 65536:
        return usage(f"--port must be between 1 and 65535, got {args.port}")
    for url in (args.rpc, args.api):
        if url is not None and not str(url).startswith(("http://", "https://")):
            return usage(f"node URL must start with http:// or https://, got {url!r}")
    try:
        peers = parse_peers(args.peer)
        status = _node_channels(args)
        key = _peer_key(args)
        address = private_key_to_address(key)
        hosted = [p for p in status["peers"] if str(p["address"]).lower() == address.lower()]
        if hosted:
            others = ", ".join(str(p["account"]) for p in status["peers"])
            raise CliError(f"{address} is dev account {hosted[0]['account']}, whose peer the node already runs "
                           f"(it hosts {others}): two peers with one key would both answer for it; pick "
                           "another --account or a --key of your own")
        preset = get_preset(status["preset"]["name"])
        chain_id = int(make_transport(args.rpc).request("eth_chainId", []), 16)
    except CliError as exc:
        return usage(str(exc))
    except Exception as exc:  # the node answered something else than a node would: still one line
        return usage(f"cannot use the node at {args.rpc}: {type(exc).__name__}: {exc}")
    log = Path(args.log) if args.log else peer_data_dir() / (
        f"{chain_id}-{str(status['adjudicator']).lower()}-{address.lower()}.sqlite")
    port = args.port or free_port(args.host)
    try:
        with socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((args.host.strip("[]"), port))
    except OSError as exc:
        return usage(f"--port {port}: cannot listen on {args.host}:{port}: {exc.strerror or exc}")
    try:
        return serve(key, node=args.rpc, node_token=args.token, adjudicator=status["adjudicator"],
                     registry=status["secret_registry"], log=log, host=args.host, port=port, peers=peers,
                     preset=preset, withhold=args.withhold, token=token,
                     announce=lambda line: print(line + ("; its user routes need the L2LAB_PEER_TOKEN"
                                                         if token else ""), flush=True))
    except (OSError, ValueError) as exc:
        print(f"l2lab {NAME} peer: {exc}", file=sys.stderr)
        return 1


def run(args: argparse.Namespace) -> int:
    if getattr(args, "action", None) == "peer":
        return run_peer(args)
    return run_commands(NAME, COMMANDS, args)


EXAMPLE = f"""\
a first session against `l2lab node` (its channel peers are dev accounts 3, 4, 5 and 6):
  l2lab {NAME} open --account 3 --partner 4 --deposit 5      # 5 ETH locked on L1: two transactions
  l2lab {NAME} open --account 4 --partner 5 --deposit 5
  l2lab {NAME} pay --account 3 --to 4 --amount 0.1           # off-chain: a signed balance proof, no gas
  l2lab {NAME} pay --account 3 --to 5 --amount 1             # routed over 4 with a hash-time lock
  l2lab {NAME} status --account 4
  l2lab {NAME} withdraw --account 4 --partner 5 --amount 1   # co-signed by 5: back to L1, channel stays open
  l2lab {NAME} coop-settle --account 4 --partner 5           # co-signed: one L1 transaction, no window
  l2lab {NAME} close --account 3 --partner 4                 # starts the settlement window
  l2lab {NAME} settle --account 3 --partner 4 --time-travel  # needs the node's admin token
a peer of your own, in its own terminal, paying peers of other terminals over HTTP:
  l2lab {NAME} peer --account 7 --port 9007 --peer 0x23618e81E3f5cdF7f54C3d65f7FBc0aBf5B21E8f=http://127.0.0.1:9008
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        NAME, help="use the payment-channel peers a running node hosts",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Open, fund, pay over, withdraw from, settle cooperatively, close and settle payment "
                    "channels between the channel peers a running `l2lab node` hosts for its dev accounts.",
        epilog=EXAMPLE)
    p.add_argument("--rpc", "--url", dest="rpc", default=DEFAULT_RPC,
                   help=f"the node's URL, JSON-RPC and REST (default {DEFAULT_RPC})")
    p.add_argument("--api", help="the REST base URL (default: the --rpc URL)")
    p.add_argument("--token", help="the node's admin token, for `settle --time-travel` (default: "
                   "L2LAB_NODE_TOKEN, or the node-token file in --data-dir)")
    p.add_argument("--data-dir", default="./l2lab-data",
                   help="the node's data dir, where its admin token is found (default ./l2lab-data)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--rpc", "--url", dest="rpc", default=argparse.SUPPRESS, help="the node's URL")
    common.add_argument("--api", default=argparse.SUPPRESS, help="the REST base URL")

    def add(name: str, help_: str, *, account: bool = True) -> argparse.ArgumentParser:
        d = sub.add_parser(name, help=help_, parents=[common])
        d.add_argument("--account", metavar="N", required=account,
                       help="the hosted peer that acts: its dev account number (or address)")
        return d

    d = add("open", "open a channel with a partner and deposit into it")
    d.add_argument("--partner", required=True, help="dev account number or 0x address")
    d.add_argument("--deposit", default="0", help="ETH to lock in the channel (default 0)")
    d.add_argument("--settle-timeout", type=int, metavar="BLOCKS",
                   help="the settlement window in blocks (default: the preset's)")
    d = add("deposit", "add ETH to the peer's deposit in an open channel")
    d.add_argument("--partner", required=True, help="dev account number or 0x address")
    d.add_argument("--amount", required=True, help="ETH")
    d = add("pay", "pay off-chain: directly over the peer's own channel, or routed over several")
    d.add_argument("--to", required=True, help="the payee: dev account number or 0x address")
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--mode", choices=("auto", "direct", "mediated"), default="auto",
                   help="direct, mediated (hash-time locks along a route) or auto (direct when possible)")
    d = add("withdraw", "take ETH out of an open channel back to L1, co-signed by the partner (stays open)")
    d.add_argument("--partner", required=True, help="dev account number or 0x address (a hosted peer, online)")
    d.add_argument("--amount", required=True, help="ETH")
    d = add("coop-settle", "end an open channel at its current balances in one L1 transaction, co-signed by the "
            "partner (no settlement window)")
    d.add_argument("--partner", required=True, help="dev account number or 0x address (a hosted peer, online)")
    d = add("close", "close a channel on L1 with the partner's latest balance proof")
    d.add_argument("--partner", required=True, help="dev account number or 0x address")
    d = add("settle", "settle a closed channel once its settlement window is over")
    d.add_argument("--partner", required=True, help="dev account number or 0x address")
    d.add_argument("--time-travel", action="store_true",
                   help="first mine blocks and move L1's clock to the end of the window (admin token)")
    add("status", "the adjudicator, the hosted peers and every channel; with --account, that peer's",
        account=False)
    d = sub.add_parser("peer", parents=[common], help="run a channel peer of your own here, over HTTP, until Ctrl-C",
                       description="Run one channel peer in this process on the node's adjudicator: it serves "
                                   "its API (GET /status, POST /open, /deposit, /transfer, /pay, /close) and "
                                   "talks to its partners over HTTP.")
    who = d.add_mutually_exclusive_group(required=True)
    who.add_argument("--account", metavar="N", help="a dev account of the node that it does not host itself")
    who.add_argument("--key", help="the peer's private key, 0x-hex; '-' reads it from L2LAB_PEER_KEY")
    d.add_argument("--log", help="its write-ahead log (default: one per chain, adjudicator and address under "
                   "$XDG_DATA_HOME/l2lab/channel-peers)")
    d.add_argument("--host", default="127.0.0.1",
                   help="where its API listens (default 127.0.0.1; another host needs L2LAB_PEER_TOKEN)")
    d.add_argument("--port", type=int, help="its API's port (default: a free one, printed)")
    d.add_argument("--peer", action="append", default=[], metavar="ADDRESS=URL",
                   help="a partner's address and API URL (repeatable)")
    d.add_argument("--withhold", action="append", default=[], metavar="MESSAGE",
                   help="never send messages of this kind (a crash mid-payment, for a workshop)")
    p.set_defaults(func=run)
