"""``l2lab optimistic``: use an optimistic rollup on a running node from the command line.

L1 actions (deploy, deposit, challenge, claim) and reads (status, balance,
rebuilt from L1 alone) go over JSON-RPC to ``--rpc``. L2 transactions
(transfer, withdraw) are signed here as EIP-712 typed data and sent to the
operator's REST API under ``--api`` (the node's ``/api/optimistic/`` routes).
Every failure is one line on stderr and exit code 1 (2 for bad usage).
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

DEFAULT_RPC = "http://127.0.0.1:8545"


def make_transport(url: str) -> Any:
    """The JSON-RPC transport to ``url`` (tests swap in an in-process one)."""
    from node.client import HttpTransport

    return HttpTransport(url)


def make_http(url: str) -> Any:
    """An HTTP client for the REST API at ``url`` (tests swap in a TestClient)."""
    import httpx

    return httpx.Client(base_url=url, timeout=30.0)


class CliError(Exception):
    """A failure to report in one line."""


def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"l2lab optimistic{' ' + command if command else ''}: {message}", file=sys.stderr)
    return code


def _key(text: str) -> bytes:
    hexpart = text[2:] if text.startswith("0x") else text
    try:
        key = bytes.fromhex(hexpart)
    except ValueError:
        raise CliError("--key must be a private key in hex") from None
    if len(key) != 32:
        raise CliError(f"--key must be 32 bytes, got {len(key)}")
    return key


def _wei(eth: str) -> int:
    from node.devaccounts import eth_to_wei

    try:
        return eth_to_wei(eth)
    except ValueError as exc:
        raise CliError(str(exc).replace("balance", "amount")) from None


def _eth(wei: int) -> str:
    from decimal import Decimal

    return f"{Decimal(wei) / Decimal(10**18):f} ETH"


def _rollup(args: argparse.Namespace):
    from contracts_spec.l1 import L1Client
    from rollup.optimistic.l1view import RollupL1

    l1 = L1Client(make_transport(args.rpc))
    if not getattr(args, "rollup", None):
        raise CliError("--rollup ADDRESS is required")
    try:
        return RollupL1.attach(l1, args.rollup)  # single-round or bisection, as its code says
    except ValueError as exc:
        raise CliError(str(exc)) from None


# -- L1 commands ---------------------------------------------------------------------------


def cmd_deploy(args: argparse.Namespace) -> None:
    from contracts_spec.l1 import L1Client
    from contracts_spec.optimistic.params import get_preset
    from primitives.secp256k1 import private_key_to_address
    from rollup.optimistic.l1view import RollupL1

    try:
        preset = get_preset(args.preset)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    key = _key(args.key)
    l1 = L1Client(make_transport(args.rpc))
    from contracts_spec.optimistic.bisection import BisectionRollup
    from contracts_spec.optimistic.contract import OptimisticRollup

    contract = BisectionRollup if args.bisection else OptimisticRollup
    rollup = RollupL1.deploy(l1, key, preset, private_key_to_address(key), contract)
    bond = _wei(args.bond) if args.bond else preset.min_bond
    rollup.transact(key, "post_bond", value=bond)
    print(rollup.address)


def cmd_deposit(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import private_key_to_address

    rollup = _rollup(args)
    key = _key(args.key)
    to = args.to or private_key_to_address(key)
    receipt = rollup.transact(key, "deposit", to, value=_wei(args.amount))
    print(f"deposited {args.amount} ETH for {to} (L1 gas {int(receipt['gasUsed'], 16):,})")


def cmd_status(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import to_checksum_address
    from rollup.optimistic.fullnode import FullNode

    rollup = _rollup(args)
    node = FullNode(rollup)
    node.sync()
    params = rollup.params()
    print(f"rollup {rollup.address}: depth {params.tree_depth}, window {params.challenge_window}s")
    print(f"batches {len(node.batches)}, state root 0x{node.root.hex()}, "
          f"deposits included {rollup.call('deposits_included')}/{rollup.call('deposit_count')}")
    for known in node.batches:
        left = rollup.call("challenge_time_left", known.index)
        verdict = f"FAULT at step {known.fault.step}: {known.fault.reason}" if known.fault else "valid"
        print(f"  batch {known.index}: {len(known.batch.entries)} entries, {verdict}, "
              f"{'final' if left == 0 else f'{left}s to challenge'}")
    for index, account in sorted(node.state.accounts.items()):
        print(f"  account {index} {to_checksum_address(account.address)}: {_eth(account.balance)}, "
              f"nonce {account.nonce}")


def cmd_balance(args: argparse.Namespace) -> None:
    from rollup.optimistic.client import address_bytes
    from rollup.optimistic.fullnode import FullNode

    node = FullNode(_rollup(args))
    node.sync()
    try:
        index = node.state.index_of.get(address_bytes(args.address))
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if index is None:
        raise CliError(f"{args.address} has no L2 account in the batches on L1")
    print(_eth(node.state.balance(index)))


def cmd_challenge(args: argparse.Namespace) -> None:
    from rollup.optimistic.fullnode import Challenger

    rollup = _rollup(args)
    if rollup.compact:
        _play_disputes(rollup, args)
        return
    challenger = Challenger(rollup, _key(args.key))
    while True:
        for receipt in challenger.watch():
            print(f"fraud proven (L1 gas {int(receipt['gasUsed'], 16):,}, tx {receipt['transactionHash']})")
        if not args.watch:
            break
        time.sleep(args.watch)
    print(f"checked {len(challenger.node.batches)} live batch(es); root 0x{challenger.node.root.hex()}")


def _play_disputes(rollup, args: argparse.Namespace) -> None:
    """On a bisection rollup: open a dispute on a wrong batch and make this side's moves as they fall due."""
    from rollup.optimistic.dispute import BisectionChallenger, read_dispute

    challenger = BisectionChallenger(rollup, _key(args.key))
    while True:
        while (receipt := challenger.act()) is not None:
            d = read_dispute(rollup)
            state = f"steps {d.lo}..{d.hi}" if d.open else "dispute over"
            print(f"dispute move (L1 gas {int(receipt['gasUsed'], 16):,}): {state}")
        if not args.watch:
            break
        time.sleep(args.watch)
    print(f"checked {len(challenger.node.batches)} live batch(es); root 0x{challenger.node.root.hex()}")


def cmd_claim(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import private_key_to_address
    from rollup.optimistic.client import withdrawal_claims
    from rollup.optimistic.fullnode import FullNode

    rollup = _rollup(args)
    key = _key(args.key)
    recipient = args.recipient or private_key_to_address(key)
    node = FullNode(rollup)
    node.sync()
    claimed = 0
    for known in node.batches:
        for claim in withdrawal_claims(known.index, known.data, recipient):
            leaf_index, amount = claim[3], claim[5]
            if not rollup.call("is_final", known.index):
                print(f"batch {known.index}: {_eth(amount)} waits "
                      f"{rollup.call('challenge_time_left', known.index)}s more")
                continue
            if rollup.call("is_claimed", known.index, leaf_index):
                continue
            rollup.transact(key, "withdraw", *claim)
            print(f"claimed {_eth(amount)} from batch {known.index} for {recipient}")
            claimed += 1
    if not claimed:
        print("nothing to claim")


# -- L2 commands (through the operator's REST API) ---------------------------------------


def _api_get(http: Any, path: str) -> Any:
    r = http.get(path)
    if r.status_code != 200:
        raise CliError(f"GET {path}: {r.json().get('detail', r.text)}")
    return r.json()


def _send_l2(args: argparse.Namespace, tx: dict) -> None:
    from eth_account import Account as EthAccount

    from primitives.secp256k1 import private_key_to_address

    key = _key(args.key)
    http = make_http(args.api or args.rpc)
    me = _api_get(http, f"/api/optimistic/accounts/{private_key_to_address(key)}")
    tx = {**tx, "from": me["index"], "nonce": me["nonce"]}
    r = http.post("/api/optimistic/typed-data", json=tx)
    if r.status_code != 200:
        raise CliError(r.json().get("detail", r.text))
    signature = EthAccount.sign_typed_data(key, full_message=r.json()).signature
    r = http.post("/api/optimistic/transactions", json={**tx, "signature": "0x" + bytes(signature).hex()})
    if r.status_code != 200:
        raise CliError(r.json().get("detail", r.text))
    print(f"accepted: {r.json()['pending']} transaction(s) pending in the operator's next batch")


def cmd_transfer(args: argparse.Namespace) -> None:
    http = make_http(args.api or args.rpc)
    to = _api_get(http, f"/api/optimistic/accounts/{args.to}")["index"]
    _send_l2(args, {"kind": "transfer", "to": to, "amount": str(_wei(args.amount))})


def cmd_withdraw(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import private_key_to_address

    recipient = args.recipient or private_key_to_address(_key(args.key))
    _send_l2(args, {"kind": "withdraw", "recipient": recipient, "amount": str(_wei(args.amount))})


COMMANDS = {
    "deploy": cmd_deploy, "deposit": cmd_deposit, "status": cmd_status, "balance": cmd_balance,
    "transfer": cmd_transfer, "withdraw": cmd_withdraw, "challenge": cmd_challenge, "claim": cmd_claim,
}


def run(args: argparse.Namespace) -> int:
    from contracts_spec.l1 import L1Error

    if not getattr(args, "action", None):
        return _fail("", "choose a command: " + ", ".join(COMMANDS), 2)
    try:
        COMMANDS[args.action](args)
    except CliError as exc:
        return _fail(args.action, str(exc))
    except L1Error as exc:
        return _fail(args.action, f"L1 refused: {exc}")
    except (OSError, ConnectionError) as exc:
        return _fail(args.action, f"cannot reach the node: {exc}")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("optimistic", help="use an optimistic rollup on a running node")
    p.add_argument("--rpc", default=DEFAULT_RPC, help=f"the node's JSON-RPC URL (default {DEFAULT_RPC})")
    p.add_argument("--api", help="the operator's REST base URL (default: the --rpc URL)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    # The same options after the action too; SUPPRESS keeps an absent one from hiding the first.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--rpc", default=argparse.SUPPRESS, help="the node's JSON-RPC URL")
    common.add_argument("--api", default=argparse.SUPPRESS, help="the operator's REST base URL")

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_, parents=[common])

    d = add("deploy", "deploy a rollup; the key becomes its operator and bonds")
    d.add_argument("--key", required=True)
    d.add_argument("--preset", default="minimal", help="minimal or mainnet")
    d.add_argument("--bond", help="bond in ETH (default: the preset minimum)")
    d.add_argument("--bisection", action="store_true",
                   help="compact batches (no intermediate roots) and an interactive bisection dispute game")
    d = add("deposit", "deposit ETH from L1 into the rollup")
    d.add_argument("--rollup", required=True)
    d.add_argument("--key", required=True)
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--to", help="L2 address credited (default: the key's address)")
    d = add("status", "batches, verdicts and accounts, rebuilt from L1 alone")
    d.add_argument("--rollup", required=True)
    d = add("balance", "an address's L2 balance, rebuilt from L1 alone")
    d.add_argument("--rollup", required=True)
    d.add_argument("address")
    d = add("transfer", "sign an L2 transfer and send it to the operator")
    d.add_argument("--key", required=True)
    d.add_argument("--to", required=True, help="receiving address or account index")
    d.add_argument("--amount", required=True, help="ETH")
    d = add("withdraw", "sign an L2 withdrawal and send it to the operator")
    d.add_argument("--key", required=True)
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--recipient", help="L1 address paid (default: the key's address)")
    d = add("challenge", "check every batch from L1 and prove any fraud")
    d.add_argument("--rollup", required=True)
    d.add_argument("--key", required=True)
    d.add_argument("--watch", type=float, help="keep watching, every SECONDS")
    d = add("claim", "claim final withdrawals on L1")
    d.add_argument("--rollup", required=True)
    d.add_argument("--key", required=True)
    d.add_argument("--recipient", help="whose withdrawals (default: the key's address)")
    p.set_defaults(func=run)
