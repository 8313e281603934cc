"""``l2lab zk-rollup``: use the zk-rollup a running node hosts, from the command line.

L1 actions (deposit, claim, exit) go over JSON-RPC to ``--rpc``; L2
operations (transfer, withdraw) are signed here with EdDSA-Poseidon and sent
to the operator's REST API (``/api/zk/`` under ``--api``, by default the
``--rpc`` URL). The signer is an Ethereum key (``--key``) or the node's dev
account N (``--account N``); its L2 key is derived from it as any wallet
would (``contracts_spec.zk.keys.derive_l2_key``: the keccak of a
``personal_sign`` signature over a text naming the chain and the rollup).
The rollup and its preset come from ``GET /api/zk/status``; ``--rollup`` and
``--preset`` name them instead, so ``exit`` and ``claim`` work from L1 alone
when the operator is gone. Every failure is one line on stderr and exit
code 1 (2 for bad usage).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from decimal import Decimal
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
NAME = "zk-rollup"


def make_transport(url: str, token: str | None = None) -> Any:
    """The JSON-RPC transport to ``url`` (tests swap in an in-process one)."""
    from node.client import HttpTransport

    return HttpTransport(url, token=token)


def make_http(url: str, token: str | None = None) -> Any:
    """An HTTP client for the REST API at ``url``, sending the admin token when one is given (tests swap in a
    TestClient)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, timeout=660.0, headers=headers)


def _fail(command: str, message: str, code: int = 1) -> int:
    return fail(NAME, command, message, code)


def _token(args: argparse.Namespace) -> str | None:
    from node.auth import find_token

    return find_token(getattr(args, "token", None), getattr(args, "data_dir", None))


def _l1(args: argparse.Namespace):
    from contracts_spec.l1 import L1Client

    return L1Client(make_transport(args.rpc))


def _http(args: argparse.Namespace, *, admin: bool = False) -> Any:
    return make_http(args.api or args.rpc, _token(args) if admin else None)


def _eth(wei: int) -> str:
    text = f"{Decimal(wei) / Decimal(10**18):f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " ETH"


def _wei(text: str, what: str = "--amount") -> int:
    from node.devaccounts import eth_to_wei

    try:
        wei = eth_to_wei(text)
    except ValueError:
        raise CliError(f"{what} must be a positive number of ETH with at most 18 decimals, got {text!r}") from None
    if wei <= 0:
        raise CliError(f"{what} must be more than 0 ETH, got {text!r}")
    return wei


def _key(text: str) -> bytes:
    return parse_private_key(text)


def _dev_key(args: argparse.Namespace, index_text: str, option: str = "--account") -> bytes:
    """The private key of the node's dev account ``index_text``, checked against what the node lists."""
    return dev_account_key(_l1(args).rpc("eth_accounts"), index_text, option)


def _signer(args: argparse.Namespace) -> bytes:
    if getattr(args, "key", None) is not None:
        return _key(args.key)
    if getattr(args, "account", None) is not None:
        return _dev_key(args, args.account)
    raise CliError("say who signs: --account N (a dev account the node printed) or --key 0x...")


def _address(text: str, option: str) -> str:
    import re

    if not re.fullmatch(r"0[xX][0-9a-fA-F]{40}", text or ""):
        raise CliError(f"{option} must be a 0x-prefixed 20-byte address, got {text!r}")
    return "0x" + text[2:]


def _detail(r: Any) -> str:
    return answer_detail(r)


def _get(http: Any, path: str, what: str) -> Any:
    r = http.get(path)
    if r.status_code != 200:
        raise CliError(f"{what}: {_detail(r)}")
    return r.json()


@dataclass
class Rollup:
    """The rollup a command acts on: its address, preset and the L1 it is on."""

    l1: Any
    address: str
    preset: Any
    status: dict | None  # the operator's status, when it was asked

    def call(self, method: str, *args: Any) -> Any:
        from contracts_spec.zk.contract import ZkRollup

        return self.l1.call(self.address, ZkRollup, method, *args)

    def transact(self, key: bytes, method: str, *args: Any, value: int = 0) -> dict:
        from contracts_spec.zk.contract import ZkRollup

        return self.l1.transact(key, self.address, ZkRollup, method, *args, value=value)


def _rollup(args: argparse.Namespace) -> Rollup:
    """The hosted rollup (``GET /api/zk/status``), or the one ``--rollup`` and ``--preset`` name."""
    from contracts_spec.zk.params import get_preset

    l1 = _l1(args)
    status = None
    address, preset_name = getattr(args, "rollup", None), getattr(args, "preset", None)
    if address is None or preset_name is None:
        r = _http(args).get("/api/zk/status")
        if r.status_code != 200:
            raise CliError(f"the node at {args.api or args.rpc} serves no zk-rollup ({_detail(r)}); "
                           "name one with --rollup ADDRESS --preset NAME")
        status = r.json()
        address = address or status["address"]
        preset_name = preset_name or status["preset"]
    else:
        address = _address(address, "--rollup")
    try:
        preset = get_preset(preset_name)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    code = l1.rpc("eth_getCode", address, "latest")
    if code in (None, "", "0x"):
        raise CliError(f"no contract at {address}")
    return Rollup(l1, address, preset, status)


def _l2_key(rollup: Rollup, eth_key: bytes) -> bytes:
    from contracts_spec.zk import keys

    return keys.derive_l2_key(eth_key, rollup.l1.chain_id, rollup.address)


def _my_account(args: argparse.Namespace, rollup: Rollup, eth_key: bytes, who: str = "the signer") -> dict:
    """The L2 account of ``eth_key``'s L2 key and address, as the operator sees it."""
    from contracts_spec.zk import keys
    from primitives.secp256k1 import private_key_to_address

    ax, ay = keys.public_key(_l2_key(rollup, eth_key))
    owner = private_key_to_address(eth_key)
    found = _get(_http(args), f"/api/zk/accounts/by-key/{ax}/{ay}", "account lookup")
    mine = [a for a in found if str(a["owner"]).lower() == owner.lower()]
    if not mine:
        raise CliError(f"{who} ({owner}) has no L2 account yet: deposit first (`l2lab {NAME} deposit`)")
    return mine[0]


# -- commands --------------------------------------------------------------------------------------


def cmd_deposit(args: argparse.Namespace) -> None:
    from contracts_spec.zk import keys
    from contracts_spec.zk.contract import ZkRollup
    from contracts_spec.zk.params import DEPOSIT_BITS
    from primitives.secp256k1 import private_key_to_address

    amount = _wei(args.amount)
    if amount >= 1 << DEPOSIT_BITS:
        raise CliError(f"--amount {args.amount} ETH is too large: a deposit is below 2**{DEPOSIT_BITS} wei")
    key = _signer(args)
    owner = _address(args.owner, "--owner") if args.owner else private_key_to_address(key)
    rollup = _rollup(args)
    px, py = keys.registration_point(keys.public_key(_l2_key(rollup, key)))
    receipt = rollup.transact(key, "deposit", px, py, owner, value=amount)
    queued = [e for e in rollup.l1.events(rollup.address, ZkRollup, "DepositQueued",
                                          from_block=int(str(receipt["blockNumber"]), 0))
              if e["transactionHash"] == receipt["transactionHash"]]
    where = f"L2 account {queued[0]['account']} (deposit {queued[0]['id']})" if queued else "the rollup"
    print(f"deposited {_eth(amount)} to {where}, owner {owner} (L1 gas {int(str(receipt['gasUsed']), 0):,}); "
          "the operator includes it in its next proved batch")


def _send(args: argparse.Namespace, op: Any, rollup: Rollup) -> None:
    from rollup.zk.service import op_json

    r = _http(args).post("/api/zk/operations", json=op_json(op))
    if r.status_code != 200:
        raise CliError(f"the operator refused the {op_json(op)['kind']}: {_detail(r)}")
    body = r.json()
    print(f"accepted: operation {body['id']}, {body['mempool']} in the operator's mempool; it is final once "
          "its batch is proved and verified on L1")


def _prepare(args: argparse.Namespace, amount: int) -> tuple[Rollup, bytes, dict, int]:
    """The rollup, the signer's L2 key, its account (with enough balance) and the nonce to sign."""
    key = _signer(args)
    rollup = _rollup(args)
    me = _my_account(args, rollup, key)
    if not me["verified"] and int(me["pending_balance"]) == 0:
        raise CliError(f"L2 account {me['index']}'s first deposit is not in a verified batch yet: wait for the "
                       f"operator's proof (`l2lab {NAME} status` shows its progress)")
    if amount > int(me["pending_balance"]):
        raise CliError(f"insufficient L2 balance: account {me['index']} has {_eth(int(me['pending_balance']))}, "
                       f"the operation needs {_eth(amount)}")
    nonce = me["next_nonce"] if args.nonce is None else args.nonce
    if not 0 <= nonce < 2**32:
        raise CliError(f"--nonce must be between 0 and 2**32-1, got {nonce}")
    return rollup, _l2_key(rollup, key), me, nonce


def cmd_transfer(args: argparse.Namespace) -> None:
    from contracts_spec.zk import float40
    from contracts_spec.zk.rules import Transfer, sign

    amount = _wei(args.amount)
    try:
        amount40 = float40.pack(amount)
    except float40.NotPackable as exc:
        nearest = _eth(exc.below) + (f" or {_eth(exc.above)}" if exc.above is not None else "")
        raise CliError(f"{_eth(amount)} cannot be sent: a transfer amount is float40 (35-bit mantissa times a "
                       f"power of ten); the nearest amounts are {nearest}") from None
    if (args.to is None) == (args.to_account is None):
        raise CliError("to whom? give --to L2_INDEX or --to-account N (a dev account)")
    rollup, l2_key, me, nonce = _prepare(args, amount)
    if args.to_account is not None:
        to = _my_account(args, rollup, _dev_key(args, args.to_account, "--to-account"),
                         who=f"dev account {args.to_account}")["index"]
    else:
        try:
            to = int(args.to)
        except ValueError:
            raise CliError(f"--to must be an L2 account index, got {args.to!r}") from None
        if not 1 <= to < rollup.preset.capacity:
            raise CliError(f"--to {to} is out of range: accounts are 1..{rollup.preset.capacity - 1}")
    target = _get(_http(args), f"/api/zk/accounts/{to}", f"recipient account {to}")
    if not target.get("key"):
        raise CliError(f"recipient account {to} has no key yet: its first deposit is not processed")
    recipient_key = (int(target["key"][0]), int(target["key"][1]))
    op = sign(Transfer(me["index"], to, amount40, nonce), l2_key, rollup.call("domain"), rollup.preset.depth_bits,
              recipient_key)
    _send(args, op, rollup)


def cmd_withdraw(args: argparse.Namespace) -> None:
    from contracts_spec.zk.rules import Withdraw, sign
    from primitives.secp256k1 import private_key_to_address

    amount = _wei(args.amount)
    recipient = _address(args.recipient, "--recipient") if args.recipient else None
    rollup, l2_key, me, nonce = _prepare(args, amount)
    recipient = (recipient or private_key_to_address(_signer(args))).lower()
    op = sign(Withdraw(me["index"], amount, recipient, nonce), l2_key, rollup.call("domain"),
              rollup.preset.depth_bits)
    _send(args, op, rollup)


def cmd_status(args: argparse.Namespace) -> None:
    http = _http(args)
    s = _get(http, "/api/zk/status", "status")
    l1 = s["l1"]
    print(f"zk-rollup {s['address']} ({s['preset']} preset, {s['shape']}), operator {s['operator']}")
    print(f"state root {s['state_root']} ({'rebuilt from L1: same' if s['rebuilt_root'] == s['state_root'] else 'rebuilt root differs: ' + s['rebuilt_root']})")
    print(f"batches verified {l1['batches']}, deposits processed {l1['deposits_processed']}/{l1['deposits_queued']}, "
          f"accounts {l1['accounts']}, mempool {s['mempool']}"
          + (", EXODUS MODE: exit with `l2lab zk-rollup exit`" if s["exodus"] else "")
          + (", a deposit is OVERDUE: anyone may start exodus mode" if s["overdue"] and not s["exodus"] else ""))
    p = s["progress"]
    if p["phase"] != "idle":
        print(f"operator: {p['phase']} batch {p['batch']} for {p['elapsed_seconds']} s "
              f"({p['deposits']} deposit(s), {p['transfers']} transfer(s), {p['withdrawals']} withdrawal(s))")
    elif isinstance(p.get("last"), dict) and p["last"].get("error"):
        print(f"operator: last attempt failed: {p['last']['error']}")
    for h in s["proving_history"][-5:]:
        print(f"  batch {h['batch']}: {h['constraints']:,} constraints, witness {h['witness_seconds']} s, proof "
              f"{h['prove_seconds']} s, L1 gas {h['gas']:,}")
    if s["censored"]:
        print(f"the operator censors deposit(s) {', '.join(map(str, s['censored']))}")
    if getattr(args, "account", None) is not None or getattr(args, "key", None) is not None:
        rollup = _rollup(args)
        me = _my_account(args, rollup, _signer(args))
        pending = "" if me["pending_balance"] == me["balance"] else f" ({_eth(int(me['pending_balance']))} after the mempool)"
        print(f"account {me['index']}: {_eth(int(me['balance']))} verified{pending}, next nonce {me['next_nonce']}"
              + (f", {_eth(int(me['queued_deposits_wei']))} in queued deposits" if int(me["queued_deposits_wei"]) else ""))


def cmd_claim(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import private_key_to_address

    key = _signer(args)
    recipient = _address(args.recipient, "--recipient") if args.recipient else private_key_to_address(key)
    rollup = _rollup(args)
    amount = rollup.call("withdrawable", recipient)
    if amount == 0:
        print(f"nothing to claim for {recipient}: a withdrawal is claimable once its batch is verified on L1")
        return
    receipt = rollup.transact(key, "claim_withdrawal", recipient)
    print(f"claimed {_eth(amount)} for {recipient} (L1 gas {int(str(receipt['gasUsed']), 0):,})")


def cmd_exit(args: argparse.Namespace) -> None:
    """Exodus: start it when a deposit is overdue, exit every account of the signer, refund its deposits."""
    from contracts_spec.zk import keys
    from primitives.secp256k1 import private_key_to_address
    from rollup.zk.fullnode import ZkFullNode, queued_deposits

    key = _signer(args)
    me = private_key_to_address(key)
    rollup = _rollup(args)
    if not rollup.call("exodus"):
        if not rollup.call("overdue"):
            raise CliError("exits open only in exodus mode, and no deposit is overdue: the operator is processing "
                           "the queue (withdraw through it instead)")
        receipt = rollup.transact(key, "activate_exodus")
        print(f"exodus mode started: a deposit was overdue (L1 gas {int(str(receipt['gasUsed']), 0):,})")
    node = ZkFullNode(rollup.l1, rollup.address, rollup.preset)  # the state from L1 alone, not the operator's word
    node.sync()
    ax, ay = keys.public_key(_l2_key(rollup, key))
    deposits = queued_deposits(rollup.l1, rollup.address)
    mine = sorted({d.index for d in deposits if (d.ax, d.ay) == (ax, ay) and int(d.owner, 16) == int(me, 16)})
    did = False
    for index in mine:
        acct = node.state.account(index)
        if acct is None or rollup.call("exited", index):
            continue
        balance = acct.balance
        receipt = rollup.transact(key, "exit", *node.exit_proof(index))
        print(f"exited L2 account {index}: {_eth(balance)} paid to {me} (L1 gas {int(str(receipt['gasUsed']), 0):,})")
        did = True
    processed = rollup.call("counters")[1]
    for d in deposits:
        if d.id >= processed and int(d.depositor, 16) == int(me, 16) and not getattr(d, "is_exit", False):
            from contracts_spec.l1 import TransactionReverted

            try:
                receipt = rollup.transact(key, "refund_deposit", d.id)
            except TransactionReverted:  # refunded already
                continue
            print(f"refunded deposit {d.id}: {_eth(d.amount)} back to {me} (L1 gas "
                  f"{int(str(receipt['gasUsed']), 0):,})")
            did = True
    if not did:
        print(f"nothing left to exit or refund for {me}")


def cmd_censor(args: argparse.Namespace) -> None:
    """Admin: make the hosted operator ignore (or, with --off, process again) a queued deposit."""
    http = _http(args, admin=True)
    r = http.post(f"/api/zk/{'uncensor' if args.off else 'censor'}/{args.deposit}")
    if r.status_code != 200:
        raise CliError(_detail(r))
    censored = r.json()["censored"]
    print(f"the operator censors deposit(s) {', '.join(map(str, censored))}" if censored
          else "the operator censors no deposit")


COMMANDS = {"deposit": cmd_deposit, "transfer": cmd_transfer, "withdraw": cmd_withdraw, "status": cmd_status,
            "claim": cmd_claim, "exit": cmd_exit, "censor": cmd_censor}


def run(args: argparse.Namespace) -> int:
    return run_commands(NAME, COMMANDS, args)


EXAMPLE = f"""\
a first session against `l2lab node` (dev accounts as the node printed them; 7 operates the zk-rollup):
  l2lab {NAME} deposit --account 0 --amount 3       # L1 -> L2; the operator proves it within seconds
  l2lab {NAME} deposit --account 1 --amount 1
  l2lab {NAME} status --account 0                   # the operator's progress and account 0's balance
  l2lab {NAME} transfer --account 0 --to-account 1 --amount 1
  l2lab {NAME} withdraw --account 1 --amount 0.5
  l2lab {NAME} claim --account 1                    # once its batch is verified: no challenge window
exodus (the operator censors a deposit past its deadline; needs the node's admin token for `censor`):
  l2lab {NAME} censor 2                             # then, once the deposit is overdue:
  l2lab {NAME} exit --account 0                     # start exodus mode, exit with a Merkle proof
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        NAME, help="use the zk-rollup a running node hosts",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Use the zk-rollup a running `l2lab node` hosts (or another, with --rollup and --preset).",
        epilog=EXAMPLE)
    p.add_argument("--rpc", "--url", dest="rpc", default=DEFAULT_RPC,
                   help=f"the node's URL, JSON-RPC and REST (default {DEFAULT_RPC})")
    p.add_argument("--api", help="the operator's REST base URL (default: the --rpc URL)")
    p.add_argument("--token", help="the node's admin token, for `censor` (default: L2LAB_NODE_TOKEN, or the "
                   "node-token file in --data-dir)")
    p.add_argument("--data-dir", default="./l2lab-data",
                   help="the node's data dir, where its admin token is found (default ./l2lab-data)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--rpc", "--url", dest="rpc", default=argparse.SUPPRESS, help="the node's URL")
    common.add_argument("--api", default=argparse.SUPPRESS, help="the operator's REST base URL")

    def add(name: str, help_: str, signer: bool = True) -> argparse.ArgumentParser:
        d = sub.add_parser(name, help=help_, parents=[common])
        d.add_argument("--rollup", help="the rollup's address (default: the one the node hosts)")
        d.add_argument("--preset", help="its preset, with --rollup (default: as the node reports it)")
        if signer:
            who = d.add_mutually_exclusive_group()
            who.add_argument("--key", help="an Ethereum private key, 0x-hex (the L2 key is derived from it)")
            who.add_argument("--account", metavar="N", help="the node's dev account N (as `l2lab node` printed)")
        return d

    d = add("deposit", "deposit ETH from L1 to the signer's L2 account (opened at the first deposit)")
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--owner", help="the L1 address an exodus exit pays (default: the signer's)")
    d = add("transfer", "sign an L2 transfer and send it to the operator")
    d.add_argument("--to", metavar="L2_INDEX", help="the recipient's L2 account index")
    d.add_argument("--to-account", metavar="N", help="the recipient: dev account N's L2 account")
    d.add_argument("--amount", required=True, help="ETH (a float40 amount: 35-bit mantissa times a power of ten)")
    d.add_argument("--nonce", type=int, help="L2 nonce (default: the account's next)")
    d = add("withdraw", "sign an L2 withdrawal to L1 and send it to the operator")
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--recipient", help="the L1 address paid (default: the signer's)")
    d.add_argument("--nonce", type=int, help="L2 nonce (default: the account's next)")
    add("status", "the rollup, the operator's progress and proving times; with a signer, its account")
    d = add("claim", "claim verified withdrawals on L1")
    d.add_argument("--recipient", help="whose withdrawals (default: the signer's address)")
    add("exit", "exodus mode: start it if a deposit is overdue, exit the signer's accounts, refund its deposits")
    d = add("censor", "admin: make the hosted operator ignore a queued deposit (the exodus demo)", signer=False)
    d.add_argument("deposit", type=int, help="the deposit id")
    d.add_argument("--off", action="store_true", help="process it again")
    p.set_defaults(func=run)
