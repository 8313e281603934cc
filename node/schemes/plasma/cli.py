"""``l2lab plasma``: use the Plasma MVP chain a running node hosts, from the command line.

The CLI is the user's client: it signs everything here with the user's key
(``--account N``, the node's dev account N, or ``--key``), sends L1 calls
(deposit, exit, challenge, finalize) over JSON-RPC to ``--rpc``, and talks to
the operator's REST API (``/api/plasma/`` under ``--api``, by default the
``--rpc`` URL) for transactions, blocks, proofs and confirmations. It never
takes the operator's word for what is on L1: a block or proof the operator
serves is checked against the root L1 holds before anything is signed or
sent on it.

``send`` waits (``--timeout``) until the operator's block holds the
transaction, checks the block against its root on L1, then signs and posts
the confirmation the recipient needs to exit (``--no-confirm`` skips it; the
recipient then cannot exit until ``confirm``). ``watch`` runs the watcher
(``plasma.watcher``): it validates every block and, when a block is invalid
or withheld, exits everything its owner holds and challenges every exit it
can disprove. It keeps what it validated and was handed in a store (``--store``,
by default ``watch-<address>.sqlite`` in ``--data-dir``), so that restarted,
even with the operator gone, it can still exit. ``advance`` (the node's admin token) moves L1's clock and
blocks past the exit period of the exit at the head of the queue. Every
failure is one line on stderr and exit code 1 (2 for bad usage).
"""

from __future__ import annotations

import argparse
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
NAME = "plasma"
API = "/api/plasma"
ETH_TOKEN = "0x" + "00" * 20


def make_transport(url: str, token: str | None = None) -> Any:
    """The JSON-RPC transport to ``url`` (tests swap in an in-process one)."""
    from node.client import HttpTransport

    return HttpTransport(url, token=token)


def make_http(url: str, token: str | None = None) -> Any:
    """An HTTP client for the REST API at ``url``, with the admin token when given (tests swap in a TestClient)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, timeout=30.0, headers=headers)


def pause(seconds: float) -> None:
    """Wait between polls of the operator (tests make it tick the operator instead)."""
    time.sleep(seconds)


def _token(args: argparse.Namespace) -> str | None:
    from node.auth import find_token

    return find_token(getattr(args, "token", None), getattr(args, "data_dir", None))


def _http(args: argparse.Namespace, *, admin: bool = False) -> Any:
    return make_http(args.api or args.rpc, _token(args) if admin else None)


def _l1(args: argparse.Namespace, *, admin: bool = False) -> Any:
    from contracts_spec.l1 import L1Client

    return L1Client(make_transport(args.rpc, _token(args) if admin else None))


def _eth(wei: int | str) -> str:
    text = f"{Decimal(int(wei)) / Decimal(10**18):f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " ETH"


def _wei(text: str, option: str) -> int:
    from contracts_spec.plasma.rules import MAX_AMOUNT
    from node.devaccounts import eth_to_wei

    try:
        wei = eth_to_wei(text)
    except ValueError:
        raise CliError(f"{option} must be a non-negative number of ETH with at most 18 decimals, "
                       f"got {text!r}") from None
    if wei == 0:
        raise CliError(f"{option} must be more than 0 ETH, got {text!r}")
    if wei > MAX_AMOUNT:
        raise CliError(f"{option} {text} ETH is too large: a Plasma amount is below 2**128 wei")
    return wei


def _get(args: argparse.Namespace, path: str, what: str, *, missing: str | None = None) -> Any:
    r = _http(args).get(f"{API}/{path}")
    if r.status_code == 404 and missing is not None and "no Plasma chain hosted" not in answer_detail(r):
        raise CliError(f"{missing}: {answer_detail(r)}")
    if r.status_code != 200:
        raise CliError(f"{what}: {answer_detail(r)}")
    return r.json()


def _post(args: argparse.Namespace, path: str, body: dict | None, what: str, *, admin: bool = False) -> Any:
    r = _http(args, admin=admin).post(f"{API}/{path}", json=body)
    if r.status_code != 200:
        raise CliError(f"{what}: {answer_detail(r)}")
    return r.json()


def _dev_key(args: argparse.Namespace, index_text: str) -> bytes:
    """The private key of the node's dev account ``index_text``, checked against what the node lists."""
    return dev_account_key(_l1(args).rpc("eth_accounts"), index_text)


def _signer(args: argparse.Namespace) -> bytes:
    if getattr(args, "key", None) is not None:
        return parse_private_key(args.key)
    if getattr(args, "account", None) is not None:
        return _dev_key(args, args.account)
    raise CliError("say who signs: --account N (a dev account the node printed) or --key 0x...")


def _address(args: argparse.Namespace, text: str, option: str) -> str:
    """A dev account number or a 0x address."""
    import re

    from primitives.secp256k1 import private_key_to_address, to_checksum_address

    if text.isdigit() and len(text) <= 5:
        return private_key_to_address(_dev_key(args, text))
    if re.fullmatch(r"0[xX][0-9a-fA-F]{40}", text):
        return to_checksum_address(text)
    raise CliError(f"{option} must be a dev account number or a 0x-prefixed 20-byte address, got {text!r}")


def _position(text: str, option: str = "--utxo") -> int:
    from contracts_spec.plasma import rules as R

    if not text.isdigit() or len(text) > 20:
        raise CliError(f"{option} must be an output position (blknum * 1000000000 + txindex * 10000 + oindex), "
                       f"got {text!r}")
    try:
        R.decode_utxo_pos(int(text))
    except R.PlasmaRuleError as exc:
        raise CliError(f"{option}: {exc}") from None
    return int(text)


class Chain:
    """The hosted root chain as this CLI reaches it: its address, domain and bond, L1 and the operator."""

    def __init__(self, args: argparse.Namespace, *, admin: bool = False) -> None:
        from contracts_spec.plasma import rules as R

        self.args = args
        self.status = _get(args, "status", "the node's Plasma status")
        self.address = self.status["address"]
        self.l1 = _l1(args, admin=admin)
        self.domain = R.Domain(self.l1.chain_id, self.address)
        self.bond = int(self.status["params"]["exit_bond"])

    def call(self, method: str, *a: Any) -> Any:
        from contracts_spec.plasma.contract import RootChain

        return self.l1.call(self.address, RootChain, method, *a)

    def send(self, key: bytes, method: str, *a: Any, value: int = 0) -> dict:
        from contracts_spec.plasma.contract import RootChain

        return self.l1.transact(key, self.address, RootChain, method, *a, value=value)

    def events(self, name: str, receipt: dict) -> list[dict]:
        from contracts_spec.plasma.contract import RootChain

        number = int(receipt["blockNumber"], 16)
        return [e for e in self.l1.events(self.address, RootChain, name, number, number)
                if e["transactionHash"] == receipt["transactionHash"]]

    def root_on_l1(self, blknum: int) -> bytes:
        root, _, _ = self.call("child_block", blknum)
        if root == bytes(32):
            raise CliError(f"L1 holds no root for block {blknum}")
        return root

    def checked_block(self, blknum: int) -> tuple[list[Any], Any]:
        """Block ``blknum``'s transactions as served, and their tree, once their root matches L1's."""
        from contracts_spec.plasma import rules as R

        served = _get(self.args, f"blocks/{blknum}", f"block {blknum}")
        txs = [R.SignedTransaction.decode(bytes.fromhex(t["encoded"][2:])) for t in served["transactions"]]
        tree = R.BlockTree([t.leaf() for t in txs])
        if tree.root != self.root_on_l1(blknum):
            raise CliError(f"the operator's block {blknum} does not match its root on L1: do not trust it "
                           "(run `l2lab plasma watch` to exit)")
        return txs, tree


def _gas(receipt: dict) -> str:
    return f"L1 gas {int(receipt['gasUsed'], 16):,}"


# -- commands -----------------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> None:
    s = _get(args, "status", "the node's Plasma status")
    p = s["params"]
    print(f"Plasma root chain {s['address']} ({s['preset']} preset), operator {s['operator']}")
    print(f"exit period {p['exit_period_blocks']:,} L1 blocks and {p['exit_period_seconds']:,} s; exit bond "
          f"{_eth(p['exit_bond'])}; next operator block {s['current_child_block']}, next deposit block "
          f"{s['next_deposit_block']}")
    print(f"operator blocks {s['operator_blocks']}, pending transactions {s['pending']}, unspent outputs "
          f"{s['utxos']}" + (f", withheld blocks {s['withheld_blocks']}" if s["withheld_blocks"] else ""))
    for b in s["recent_blocks"]:
        print(f"  block {b['blknum']}: {b['transactions']} transaction(s), root {b['root'][:18]}…"
              + (" WITHHELD" if b["withheld"] else ""))
    q = s["exit_queue"]
    head = f", next: position {q['next']['utxo_pos']} exitable at {q['next']['exitable_at']}" if q["next"] else ""
    print(f"exit queue: {q['length']} exit(s){head}")
    if getattr(args, "account", None) is not None or getattr(args, "key", None) is not None:
        _print_balance(args, _owner(args))


def _owner(args: argparse.Namespace) -> str:
    from primitives.secp256k1 import private_key_to_address

    return private_key_to_address(_signer(args))


def _print_balance(args: argparse.Namespace, owner: str) -> None:
    mine = _get(args, f"utxos/{owner}", f"the outputs of {owner}")
    print(f"{owner}: {_eth(mine['balance'])} in {len(mine['utxos'])} output(s)")
    for u in mine["utxos"]:
        kind = "deposit" if u["deposit"] else f"block {u['blknum']} tx {u['txindex']} output {u['oindex']}"
        print(f"  {u['utxo_pos']}: {_eth(u['amount'])} ({kind})" + (" spend pending" if u["spend_pending"] else ""))


def cmd_balance(args: argparse.Namespace) -> None:
    owner = _address(args, args.address, "ADDRESS") if args.address else _owner(args)
    _print_balance(args, owner)


def cmd_deposit(args: argparse.Namespace) -> None:
    amount = _wei(args.amount, "--amount")
    key = _signer(args)
    chain = Chain(args)
    receipt = chain.send(key, "deposit", value=amount)
    [created] = chain.events("DepositCreated", receipt)
    from contracts_spec.plasma import rules as R

    pos = R.encode_utxo_pos(created["blknum"], 0, 0)
    print(f"deposited {_eth(amount)}: deposit block {created['blknum']}, output {pos} ({_gas(receipt)})")


def _choose(args: argparse.Namespace, owner: str, amount: int) -> tuple[list[int], int]:
    """Up to two of ``owner``'s outputs (largest first, none with a spend pending) covering ``amount``."""
    mine = _get(args, f"utxos/{owner}", f"the outputs of {owner}")["utxos"]
    free = sorted((u for u in mine if not u["spend_pending"]), key=lambda u: -int(u["amount"]))
    chosen, total = [], 0
    for u in free[:2]:
        if total >= amount:
            break
        chosen.append(u["utxo_pos"])
        total += int(u["amount"])
    if total < amount:
        held = sum(int(u["amount"]) for u in mine)
        raise CliError(f"{owner} cannot pay {_eth(amount)}: its two largest free outputs hold {_eth(total)} "
                       f"(all its outputs: {_eth(held)}; a transaction spends at most two)")
    return chosen, total


def cmd_send(args: argparse.Namespace) -> None:
    from contracts_spec.plasma import rules as R

    amount = _wei(args.amount, "--amount")
    if args.to is None:
        raise CliError("to whom? give --to ADDRESS or a dev account number")
    if not 0 < args.timeout <= 3600:
        raise CliError(f"--timeout must be between 0 and 3600 seconds, got {args.timeout}")
    key = _signer(args)
    owner = _owner(args)
    to = _address(args, args.to, "--to")
    chain = Chain(args)
    inputs, total = _choose(args, owner, amount)
    outputs: list[tuple[str, int]] = [(to, amount)] + ([(owner, total - amount)] if total > amount else [])
    signed = R.sign_transaction(R.Transaction.spend(inputs, outputs), [key] * len(inputs), chain.domain)
    try:
        answer = _post(args, "transactions", {"tx": "0x" + signed.encode().hex()}, "the operator refused it")
    except CliError as exc:
        raise CliError(str(exc) + _unconfirmed_hint(args, str(exc))) from None
    ident = answer["id"]
    print(f"sent {_eth(amount)} to {to}: transaction {ident}, for block {answer['next_block']}")
    deadline = time.monotonic() + args.timeout
    while True:
        where = _get(args, f"transactions/{ident}", "the transaction")
        if where["status"] != "pending":
            break
        if time.monotonic() > deadline:
            print(f"still pending after {args.timeout:g} s: confirm it once it is in a block "
                  f"(l2lab plasma confirm {ident})")
            return
        pause(0.2)
    if where["status"] == "refused":
        raise CliError(f"the operator dropped it: {where['reason']}")
    print(f"included in block {where['blknum']} at index {where['txindex']}: outputs {where['output_positions']}")
    if args.no_confirm:
        print(f"not confirmed: {to} cannot exit what it received until you run "
              f"`l2lab plasma confirm {ident}`")
        return
    _confirm(args, chain, key, ident, where)


def _unconfirmed_hint(args: argparse.Namespace, refusal: str) -> str:
    """For a refusal of an unconfirmed input: the command its creating transaction's sender must run."""
    import re

    from contracts_spec.plasma import rules as R

    found = re.search(r"unconfirmed input: input \d \(position (\d+)\)", refusal)
    if found is None:
        return ""
    blknum, txindex, _ = R.decode_utxo_pos(int(found.group(1)))
    r = _http(args).get(f"{API}/blocks/{blknum}")
    if r.status_code != 200 or txindex >= len(r.json()["transactions"]):
        return ""
    ident = r.json()["transactions"][txindex]["id"]
    return f"; its sender confirms it with `l2lab plasma confirm {ident}`"


def _confirm(args: argparse.Namespace, chain: Chain, key: bytes, ident: str, where: dict) -> None:
    from contracts_spec.plasma import rules as R

    txs, tree = chain.checked_block(where["blknum"])
    signed = txs[where["txindex"]]
    if R.SignedTransaction.decode(bytes.fromhex(where["encoded"][2:])) != signed:
        raise CliError("the operator's block holds another transaction at that index: do not confirm")
    sigs = R.confirmations(signed, tree.root, [key] * len(signed.tx.spent))
    _post(args, "confirmations", {"id": ident, "confirmations": "0x" + sigs.hex()}, "the confirmation")
    print(f"confirmed against root 0x{tree.root.hex()[:16]}… of block {where['blknum']} (checked on L1)")


def cmd_confirm(args: argparse.Namespace) -> None:
    from node.schemes.plasma.service import FormError, parse_id

    try:
        ident = parse_id(args.tx_id, "TX_ID")
    except FormError as exc:
        raise CliError(str(exc)) from None
    key = _signer(args)
    chain = Chain(args)
    where = _get(args, f"transactions/{ident}", "the transaction", missing="unknown transaction")
    if where["status"] != "included":
        raise CliError(f"transaction {ident} is {where['status']}: only an included transaction is confirmed")
    _confirm(args, chain, key, ident, where)


def _start_exit(args: argparse.Namespace, chain: Chain, key: bytes, pos: int) -> None:
    from contracts_spec.plasma import rules as R
    from contracts_spec.plasma.params import CHILD_BLOCK_INTERVAL

    blknum, txindex, _ = R.decode_utxo_pos(pos)
    if blknum % CHILD_BLOCK_INTERVAL:
        owner = _owner(args)
        mine = {u["utxo_pos"]: u for u in _get(args, f"utxos/{owner}", "your outputs")["utxos"]}
        deposits = [e for e in chain.l1.events(chain.address, _root_chain(), "DepositCreated")
                    if e["blknum"] == blknum]
        if not deposits:
            raise CliError(f"no deposit block {blknum} on L1")
        amount = deposits[0]["amount"]
        if pos not in mine:
            print(f"note: position {pos} is not among your unspent outputs at the operator", file=sys.stderr)
        receipt = chain.send(key, "start_deposit_exit", pos, amount, value=chain.bond)
    else:
        p = _get(args, f"proofs/{pos}", f"the proof of {pos}", missing="cannot exit it")
        if p["confirmations"] is None:
            raise CliError(f"no confirmation of transaction {p['id']} is posted: its sender must confirm it "
                           "(l2lab plasma confirm) before its outputs can exit")
        tx, proof = bytes.fromhex(p["tx"][2:]), bytes.fromhex(p["proof"][2:])
        signed = R.SignedTransaction.decode(tx)
        try:
            R.check_inclusion(chain.root_on_l1(blknum), signed.leaf(), txindex, proof)
        except R.PlasmaRuleError as exc:
            raise CliError(f"the operator's proof does not match L1's root for block {blknum}: {exc}") from None
        receipt = chain.send(key, "start_exit", pos, tx, proof, bytes.fromhex(p["confirmations"][2:]),
                             value=chain.bond)
    [started] = chain.events("ExitStarted", receipt)
    print(f"exit of {pos} started: {_eth(started['amount'])} and the {_eth(chain.bond)} bond, exitable at "
          f"{started['exitable_at']} (L1 block {started['exitable_block']}) unless challenged ({_gas(receipt)})")


def _root_chain() -> Any:
    from contracts_spec.plasma.contract import RootChain

    return RootChain


def cmd_exit(args: argparse.Namespace) -> None:
    if (args.utxo is None) == (not args.all):
        raise CliError("say what exits: --utxo POSITION, or --all for every output you hold")
    key = _signer(args)
    chain = Chain(args)
    if args.utxo is not None:
        _start_exit(args, chain, key, _position(args.utxo))
        return
    mine = _get(args, f"utxos/{_owner(args)}", "your outputs")["utxos"]
    if not mine:
        print("nothing to exit: no unspent outputs")
    for u in mine:  # oldest first: older outputs are paid first
        _start_exit(args, chain, key, u["utxo_pos"])


def _challenge(args: argparse.Namespace, chain: Chain, key: bytes, pos: int) -> bool:
    from contracts_spec.plasma import rules as R
    from primitives import secp256k1

    exiter, _, state, _, _ = chain.call("exit_info", pos)
    if state != 1:
        raise CliError(f"no open exit of position {pos} to challenge (state: "
                       f"{['not started', 'started', 'challenged', 'finalized'][state]})")
    s = _get(args, f"spends/{pos}", f"the spend of {pos}", missing="cannot challenge it")
    if s["confirmations"] is None:
        raise CliError(f"transaction {s['id']} spends {pos} but no confirmation of it is posted: the exiter "
                       "never confirmed it, so it does not disprove the exit")
    tx, proof = bytes.fromhex(s["tx"][2:]), bytes.fromhex(s["proof"][2:])
    signed = R.SignedTransaction.decode(tx)
    root = chain.root_on_l1(s["blknum"])
    digest = R.confirmation_digest(signed.tx.hash(), root)
    for sig in R.split_confirmations(bytes.fromhex(s["confirmations"][2:]), signed.tx):
        signer = secp256k1.recover_signers([digest], [sig], strict=False)[0]
        if signer is not None and int(signer, 16) == int(exiter, 16):
            receipt = chain.send(key, "challenge_exit", pos, s["spend_pos"], tx, proof, sig)
            print(f"exit of {pos} challenged with its spend in block {s['blknum']}: the "
                  f"{_eth(chain.bond)} bond is yours ({_gas(receipt)})")
            return True
    raise CliError(f"no confirmation by the exiter {exiter} among the spend's confirmations")


def cmd_challenge(args: argparse.Namespace) -> None:
    key = _signer(args)
    chain = Chain(args)
    _challenge(args, chain, key, _position(args.utxo))


def cmd_finalize(args: argparse.Namespace) -> None:
    if not 1 <= args.max <= 128:
        raise CliError(f"--max must be between 1 and 128, got {args.max}")
    key = _signer(args)
    chain = Chain(args)
    top_time, top = chain.call("next_exit", ETH_TOKEN)
    if top == 0:
        print("the exit queue is empty: nothing to finalize")
        return
    top_block = chain.call("next_exit_block", ETH_TOKEN)  # a standard or an in-flight exit's
    now, head = chain.l1.timestamp(), chain.l1.block_number()
    if now < top_time or head < top_block:
        raise CliError(f"the first exit ({top}) is exitable at {top_time} and L1 block {top_block}; it is "
                       f"{now} at block {head} (`l2lab plasma advance` on a dev chain)")
    receipt = chain.send(key, "finalize_exits", ETH_TOKEN, args.max)
    from primitives.secp256k1 import to_checksum_address

    paid = chain.events("ExitFinalized", receipt)
    for e in paid:
        print(f"  {e['utxo_pos']}: paid {_eth(e['paid'])} to {to_checksum_address(e['owner'])}")
    print(f"finalized {len(paid)} exit(s); {chain.call('queue_length', ETH_TOKEN)} left in the queue "
          f"({_gas(receipt)})")


def cmd_exits(args: argparse.Namespace) -> None:
    listed = _get(args, "exits", "the exits")
    print(f"{listed['started']} exit(s) started, {listed['queue_length']} in the queue")
    for e in listed["exits"]:
        print(f"  {e['utxo_pos']}: {_eth(e['amount'])} by {e['owner']}, {e['state']}, exitable at "
              f"{e['exitable_at']} (L1 block {e['exitable_block']})")


def cmd_advance(args: argparse.Namespace) -> None:
    chain = Chain(args, admin=True)
    top_time, top = chain.call("next_exit", ETH_TOKEN)
    if top == 0:
        print("the exit queue is empty: nothing to wait for")
        return
    top_block = chain.call("next_exit_block", ETH_TOKEN)
    seconds = max(0, top_time - chain.l1.timestamp()) + 1
    blocks = max(0, top_block - chain.l1.block_number())
    chain.l1.increase_time(seconds)
    if blocks:
        chain.l1.rpc("anvil_mine", hex(blocks))
    print(f"L1 moved {seconds:,} s and {blocks + 1:,} block(s) forward: the exit of {top} can be finalized "
          f"(block {chain.l1.block_number()}, timestamp {chain.l1.timestamp()})")


def _watch_store(args: argparse.Namespace, owner: str) -> tuple[Path | None, str]:
    """Where the watcher keeps its state (``--store``, else ``watch-<owner>.sqlite`` in an existing --data-dir),
    or None and why not."""
    if args.no_store:
        if args.store is not None:
            raise CliError("--store and --no-store exclude each other")
        return None, "no store (--no-store)"
    if args.store is None:
        data_dir = Path(args.data_dir)
        if not data_dir.is_dir():
            return None, (f"no store: --data-dir {data_dir} does not exist, so what this watcher validates is lost "
                          "when it stops (give --store FILE to keep it)")
        return data_dir / f"watch-{owner}.sqlite", ""
    path = Path(args.store)
    if path.is_dir():
        raise CliError(f"--store {path} is a directory: name a file (such as {path / f'watch-{owner}.sqlite'})")
    if not path.parent.is_dir():
        raise CliError(f"--store {path}: directory {path.parent} does not exist")
    return path, ""


def _watched_chain(args: argparse.Namespace, store: Path | None) -> tuple[Any, str, str]:
    """L1, the root chain's address, and a note: from the operator's status, else from the store."""
    import httpx

    from plasma.watcher import WatcherStore

    try:
        chain = Chain(args)
        return chain.l1, chain.address, ""
    except (CliError, httpx.HTTPError) as exc:
        meta = None if store is None else WatcherStore.read_meta(store)
        if meta is None or "root_chain" not in meta:
            raise CliError(f"cannot learn the root chain from the operator ({exc}) and no watcher store names it: "
                           "give the --store of an earlier watch") from None
        return _l1(args), meta["root_chain"], f"the operator is unreachable ({exc}): root chain from the store; "


def cmd_watch(args: argparse.Namespace) -> None:
    import httpx

    from contracts_spec.plasma import rules as R
    from plasma.watcher import Watcher, WatcherStoreError

    if not 0.1 <= args.interval <= 3600:
        raise CliError(f"--interval must be between 0.1 and 3600 seconds, got {args.interval}")
    if not 1 <= args.deadline <= 10_000:
        raise CliError(f"--deadline must be between 1 and 10000 L1 blocks, got {args.deadline}")
    key = _signer(args)
    store, why = _watch_store(args, _owner(args))
    l1, address, note = _watched_chain(args, store)
    http = _http(args)

    def fetch(blknum: int) -> list[R.SignedTransaction] | None:
        try:
            r = http.get(f"{API}/blocks/{blknum}")
        except httpx.HTTPError:
            return None  # the operator unreachable serves nothing: past the deadline, that is the alarm
        if r.status_code == 404:
            return None
        if r.status_code != 200:
            raise CliError(f"block {blknum}: {answer_detail(r)}")
        return [R.SignedTransaction.decode(bytes.fromhex(t["encoded"][2:])) for t in r.json()["transactions"]]

    def confirmations(ident: str) -> bytes | None:
        try:
            r = http.get(f"{API}/confirmations/{ident}")
        except httpx.HTTPError:
            return None
        found = r.json().get("confirmations") if r.status_code == 200 else None
        return bytes.fromhex(found[2:]) if found else None

    def post(ident: str, sigs: bytes) -> None:
        try:
            r = http.post(f"{API}/confirmations", json={"id": ident, "confirmations": "0x" + sigs.hex()})
        except httpx.HTTPError as exc:
            print(f"warning: could not post the confirmation of {ident}: {exc}", file=sys.stderr)
            return
        if r.status_code != 200:
            print(f"warning: the operator refused a confirmation of {ident}: {answer_detail(r)}", file=sys.stderr)

    try:
        watcher = Watcher(l1, address, key, fetch=fetch, confirmations=confirmations, post=post,
                          deadline_blocks=args.deadline, store_path=store)
    except WatcherStoreError as exc:
        raise CliError(str(exc)) from None
    try:
        _watch(args, watcher, note, store, why)
    finally:
        watcher.close()


def _watch(args: argparse.Namespace, watcher: Any, note: str, store: Path | None, why: str) -> None:
    kept = why if store is None else f"store {store}, {len(watcher.blocks)} block(s) resumed"
    print(f"{note}watching {watcher.address} for {watcher.owner} (deadline {args.deadline} L1 blocks; {kept})",
          flush=True)
    reported: set[tuple[str, int]] = set()
    alarmed = False
    while True:
        watcher.poll()
        if watcher.alarm is not None and not alarmed:
            alarmed = True
            print(f"ALARM: {watcher.alarm}; exiting every output, oldest first", flush=True)
        for pos, record in watcher.exits.items():
            if ("exit", pos) not in reported:
                reported.add(("exit", pos))
                outcome = f"refused: {record.refused}" if record.refused else f"started ({_gas(record.receipt or {'gasUsed': '0x0'})})"
                print(f"exit of {pos} ({_eth(record.amount)}) {outcome}", flush=True)
        for pos in watcher.challenged:
            if ("challenge", pos) not in reported:
                reported.add(("challenge", pos))
                print(f"challenged the exit of {pos}: it spends an output already spent", flush=True)
        if args.finalize:
            receipt = watcher.finalize()
            if receipt is not None:
                print(f"finalized due exits ({_gas(receipt)})", flush=True)
        if args.once:
            print(f"validated {len(watcher.blocks)} block(s); {watcher.owner} holds {_eth(watcher.balance())} in "
                  f"{len(watcher.mine())} output(s)" + ("" if watcher.alarm is None else "; ALARM raised"))
            return
        pause(args.interval)


COMMANDS = {
    "status": cmd_status, "balance": cmd_balance, "deposit": cmd_deposit, "send": cmd_send, "confirm": cmd_confirm,
    "exit": cmd_exit, "challenge": cmd_challenge, "finalize": cmd_finalize, "exits": cmd_exits,
    "advance": cmd_advance, "watch": cmd_watch,
}


def run(args: argparse.Namespace) -> int:
    return run_commands(NAME, COMMANDS, args)


EXAMPLE = """\
a first session against `l2lab node` (dev account 2 operates the child chain):
  l2lab plasma deposit --account 0 --amount 3          # L1: a deposit block pays account 0
  l2lab plasma send --account 0 --to 1 --amount 1      # signed here; waits for the block, then confirms it
  l2lab plasma balance --account 1
  l2lab plasma exit --account 1 --all                  # L1: every output, each with the exit bond
  l2lab plasma advance                                 # dev chain: past the exit period
  l2lab plasma finalize --account 1                    # paid: the amount and the bond back
  l2lab plasma watch --account 0                       # validate every block; exit if one is bad or withheld
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        NAME, help="use the Plasma MVP chain a running node hosts",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Use the Plasma MVP child chain a running `l2lab node` hosts: you sign, the node's operator "
                    "includes, L1 holds the roots and the exit game.",
        epilog=EXAMPLE)
    p.add_argument("--rpc", default=DEFAULT_RPC, help=f"the node's JSON-RPC URL (default {DEFAULT_RPC})")
    p.add_argument("--api", help="the operator's REST base URL (default: the --rpc URL)")
    p.add_argument("--token", help="the node's admin token, for `advance` (default: L2LAB_NODE_TOKEN, or the "
                   "node-token file in --data-dir)")
    p.add_argument("--data-dir", default="./l2lab-data",
                   help="the node's data dir, where its admin token is found and `watch` keeps its store "
                        "(default ./l2lab-data)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--rpc", default=argparse.SUPPRESS, help="the node's JSON-RPC URL")
    common.add_argument("--api", default=argparse.SUPPRESS, help="the operator's REST base URL")

    def add(name: str, help_: str, signer: bool = True) -> argparse.ArgumentParser:
        d = sub.add_parser(name, help=help_, parents=[common])
        if signer:
            who = d.add_mutually_exclusive_group()
            who.add_argument("--key", help="your private key, 0x-hex")
            who.add_argument("--account", metavar="N", help="the node's dev account N (as `l2lab node` printed)")
        return d

    add("status", "the root chain, the operator's blocks, the exit queue (and your outputs with --account)")
    d = add("balance", "unspent outputs of an address or dev account")
    d.add_argument("address", nargs="?", help="whose: an address or dev account number (default: the signer)")
    d = add("deposit", "deposit ETH on L1: a deposit block pays you")
    d.add_argument("--amount", required=True, help="ETH")
    d = add("send", "sign a payment of up to two of your outputs, send it, confirm it once included")
    d.add_argument("--to", help="receiving address or dev account number")
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the block (default 30)")
    d.add_argument("--no-confirm", action="store_true", help="do not confirm (the recipient cannot exit yet)")
    d = add("confirm", "sign and post the confirmation of an included transaction you spent in")
    d.add_argument("tx_id", metavar="TX_ID", help="the transaction's id (0x and 64 hex digits)")
    d = add("exit", "start the exit of an output on L1, with the bond")
    d.add_argument("--utxo", metavar="POSITION", help="the output's position")
    d.add_argument("--all", action="store_true", help="every output you hold, oldest first")
    d = add("challenge", "challenge an exit of an output that a served block spends")
    d.add_argument("--utxo", metavar="POSITION", required=True, help="the exiting output's position")
    d = add("finalize", "pay the exits whose period is over (anyone may)")
    d.add_argument("--max", type=int, default=16, help="exits to process at most (default 16, cap 128)")
    add("exits", "the exits started on L1, each in its state", signer=False)
    add("advance", "dev chain: move L1's clock and blocks past the first exit's period (admin token)",
        signer=False)
    d = add("watch", "validate every block; on a bad or withheld block exit everything; challenge bad exits")
    d.add_argument("--interval", type=float, default=1.0, help="seconds between polls (default 1)")
    d.add_argument("--deadline", type=int, default=3, help="L1 blocks a root may wait for its data (default 3)")
    d.add_argument("--finalize", action="store_true", help="also finalize due exits")
    d.add_argument("--once", action="store_true", help="poll once and report")
    d.add_argument("--store", metavar="FILE",
                   help="the SQLite file keeping what the watcher validated and was handed, so a restart (even "
                        "with the operator gone) resumes and can still exit (default: watch-<your address>.sqlite "
                        "in --data-dir, if that directory exists; a store is refused for another owner or root "
                        "chain)")
    d.add_argument("--no-store", action="store_true", help="keep nothing: a restart starts from scratch")
    p.set_defaults(func=run)


__all__ = ["add_parser", "fail", "run"]
