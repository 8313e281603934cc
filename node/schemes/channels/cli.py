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
"""

from __future__ import annotations

import argparse
import re
from decimal import Decimal
from typing import Any

from node.scheme_cli import CliError, answer_detail, run_commands

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


def run(args: argparse.Namespace) -> int:
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
    p.set_defaults(func=run)
