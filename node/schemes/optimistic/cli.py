"""``l2lab optimistic``: use an optimistic rollup on a running node from the command line.

L1 actions (deploy, deposit, challenge, claim, force, defend, unbond) and reads (status, balance,
rebuilt from L1 alone) go over JSON-RPC to ``--rpc``. L2 transactions
(transfer, withdraw) are signed here as EIP-712 typed data and sent to the
operator's REST API under ``--api`` (the node's ``/api/optimistic/`` routes).
Without ``--rollup`` every command uses the rollup the node hosts (``GET
/api/optimistic/status``), and ``--account N`` signs with the node's dev
account N, so the keys ``l2lab node`` printed are all a newcomer needs.
Every failure is one line on stderr and exit code 1 (2 for bad usage).
"""

from __future__ import annotations

import argparse
import sys
import time
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
# What an overdue deposit means, wherever the CLI names one.
_OVERDUE = "the operator may not post without it, and anyone bonded may post it (`l2lab optimistic force`)"
# The most wei an L2 amount may hold: the rollup's rules encode amounts as uint256.
MAX_WEI = 2**256 - 1


def make_transport(url: str, token: str | None = None) -> Any:
    """The JSON-RPC transport to ``url``, carrying the admin token (tests swap in an in-process one)."""
    from node.client import HttpTransport

    return HttpTransport(url, token=token)


def _transport(args: argparse.Namespace) -> Any:
    """The transport to ``--rpc``, with the node's admin token when one is found (``--token``,
    ``L2LAB_NODE_TOKEN`` or ``--data-dir``'s node-token): only ``advance`` needs it."""
    from node.auth import find_token

    return make_transport(args.rpc, find_token(getattr(args, "token", None), getattr(args, "data_dir", None)))


def make_http(url: str) -> Any:
    """An HTTP client for the REST API at ``url`` (tests swap in a TestClient)."""
    import httpx

    return httpx.Client(base_url=url, timeout=30.0)


def _fail(command: str, message: str, code: int = 1) -> int:
    return fail("optimistic", command, message, code)


def _key(text: str) -> bytes:
    return parse_private_key(text)


def _dev_address(args: argparse.Namespace, index_text: str) -> str:
    """The address of the node's dev account ``index_text``, as the node lists it (``eth_accounts``)."""
    try:
        index = int(index_text)
    except ValueError:
        raise CliError(f"--account must be a dev account number, got {index_text!r}") from None
    listed = _transport(args).request("eth_accounts", [])
    if not 0 <= index < len(listed):
        have = f"0..{len(listed) - 1}" if listed else "none"
        raise CliError(f"unknown account {index}: this node's dev accounts are {have}")
    return str(listed[index])


def _dev_key(args: argparse.Namespace, index_text: str) -> bytes:
    """The private key of the node's dev account ``index_text``, checked against what the node lists."""
    return dev_account_key(_transport(args).request("eth_accounts", []), index_text)


def _optional_signer(args: argparse.Namespace) -> bytes | None:
    """The key from ``--key`` or ``--account``; None when neither is given."""
    if getattr(args, "key", None) is not None:
        return _key(args.key)
    if getattr(args, "account", None) is not None:
        return _dev_key(args, args.account)
    return None


def _signer(args: argparse.Namespace) -> bytes:
    """The key from ``--key`` or ``--account``, one of which is required."""
    key = _optional_signer(args)
    if key is None:
        raise CliError("say who signs: --account N (a dev account the node printed) or --key 0x...")
    return key


def _wei(eth: str) -> int:
    from node.devaccounts import eth_to_wei

    try:
        wei = eth_to_wei(eth)
    except ValueError as exc:
        raise CliError(str(exc).replace("balance", "amount")) from None
    if wei > MAX_WEI:
        raise CliError(f"amount {eth} ETH is too large (more than 2**256-1 wei)")
    return wei


def _positive_wei(eth: str) -> int:
    wei = _wei(eth)
    if wei == 0:
        raise CliError(f"amount must be more than 0 ETH, got {eth!r}")
    return wei


def _address(text: str, option: str) -> str:
    """A 0x-prefixed 20-byte address, checked here so a typo is named before anything is sent."""
    from rollup.optimistic.client import parse_address

    try:
        parse_address(text, option)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return text


def _detail(r: Any) -> str:
    return answer_detail(r)


def _http(args: argparse.Namespace) -> Any:
    base = args.api or args.rpc
    if not str(base).startswith(("http://", "https://")):
        raise CliError(f"node URL must start with http:// or https://, got {base!r}")
    return make_http(base)


def _http_get(args: argparse.Namespace, path: str) -> Any:
    return _http(args).get(path)


def _eth(wei: int) -> str:
    from decimal import Decimal

    return f"{Decimal(wei) / Decimal(10**18):f} ETH"


def _hosted_status(args: argparse.Namespace) -> dict:
    """The node's hosted rollup as ``GET /api/optimistic/status`` reports it."""
    base = args.api or args.rpc
    r = _http_get(args, "/api/optimistic/status")
    if r.status_code == 404:
        raise CliError(f"the node at {base} hosts no optimistic rollup (started with --optimistic off, or "
                       "still deploying): pass --rollup ADDRESS")
    if r.status_code != 200:
        raise CliError(f"the node at {base} answered {r.status_code} to /api/optimistic/status: {_detail(r)}")
    return r.json()


def _rollup(args: argparse.Namespace):
    from contracts_spec.l1 import L1Client
    from rollup.optimistic.l1view import RollupL1

    l1 = L1Client(_transport(args))
    address = getattr(args, "rollup", None)
    if address is None:
        address = _hosted_status(args)["address"]
        # Say which rollup a command acts on: the node's hosted one changes only with its admin's say.
        print(f"rollup {address} (hosted by the node at {args.api or args.rpc})", file=sys.stderr)
    try:
        return RollupL1.attach(l1, address)  # single-round or bisection, as its code says
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
    key = _signer(args)
    l1 = L1Client(_transport(args))
    from contracts_spec.optimistic.bisection import BisectionRollup
    from contracts_spec.optimistic.contract import OptimisticRollup

    contract = BisectionRollup if args.bisection else OptimisticRollup
    bond = _wei(args.bond) if args.bond else preset.min_bond
    if bond < preset.min_bond:  # checked before deploying, so a refusal leaves nothing behind
        raise CliError(f"--bond must be at least the preset's minimum, {_eth(preset.min_bond)}")
    if bond > l1.balance(private_key_to_address(key)):
        raise CliError(f"--bond {_eth(bond)} exceeds the key's L1 balance")
    rollup = RollupL1.deploy(l1, key, preset, private_key_to_address(key), contract)
    rollup.transact(key, "post_bond", value=bond)
    print(rollup.address)


def cmd_deposit(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import private_key_to_address

    amount = _positive_wei(args.amount)
    key = _signer(args)
    to = _address(args.to, "--to") if args.to else private_key_to_address(key)
    rollup = _rollup(args)
    receipt = rollup.transact(key, "deposit", to, value=amount)
    print(f"deposited {args.amount} ETH for {to} (L1 gas {int(receipt['gasUsed'], 16):,})")


def cmd_status(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import to_checksum_address
    from rollup.optimistic.fullnode import FullNode

    rollup = _rollup(args)
    node = FullNode(rollup)
    node.sync()
    params = rollup.params()
    kind = "bisection" if rollup.compact else "single-round"
    print(f"rollup {rollup.address} ({kind} fraud proofs): depth {params.tree_depth}, "
          f"challenge window {params.challenge_window}s, operator {to_checksum_address(params.operator)}")
    included, queued = rollup.call("deposits_included"), rollup.call("deposit_count")
    print(f"batches {len(node.batches)}, state root 0x{node.root.hex()}, deposits included {included}/{queued}")
    if included < queued and rollup.call("is_overdue", included):
        print(f"deposit {included} is overdue: {_OVERDUE}")
    for known in node.batches:
        left = rollup.call("challenge_time_left", known.index)
        verdict = f"FAULT at step {known.fault.step}: {known.fault.reason}" if known.fault else "valid"
        print(f"  batch {known.index}: {len(known.batch.entries)} entries, {verdict}, "
              f"{'final' if left == 0 else f'{left}s of challenge time left'}")
    for index, account in sorted(node.state.accounts.items()):
        print(f"  account {index} {to_checksum_address(account.address)}: {_eth(account.balance)}, "
              f"nonce {account.nonce}")
    hosted = _operator_status(args) if getattr(args, "rollup", None) is None else {}
    if hosted.get("pending_transactions"):
        print(f"the operator holds {hosted['pending_transactions']} transaction(s) and deposit(s) for its next "
              "batch")
    if hosted.get("censoring_deposits"):
        print("the operator leaves every deposit out (`l2lab optimistic censor --off` ends it)")


def _operator_status(args: argparse.Namespace) -> dict:
    """The hosted operator's own status ({} when the node hosts no operator or does not answer)."""
    try:
        r = _http_get(args, "/api/optimistic/status")
    except Exception:  # the L1 view is the answer; the operator's queue is a bonus
        return {}
    return dict(r.json()) if r.status_code == 200 else {}


def _operator_pending(args: argparse.Namespace) -> int | None:
    """What the hosted operator holds for its next batch (None when the node hosts no operator)."""
    return _operator_status(args).get("pending_transactions")


def cmd_balance(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import private_key_to_address
    from rollup.optimistic.client import address_bytes
    from rollup.optimistic.fullnode import FullNode

    if args.address:
        who = _address(args.address, "ADDRESS")
    else:
        key = _optional_signer(args)
        if key is None:
            raise CliError("whose balance? give an ADDRESS, --account N or --key 0x...")
        who = private_key_to_address(key)
    node = FullNode(_rollup(args))
    node.sync()
    index = node.state.index_of.get(address_bytes(who))
    if index is None:
        hint = ""
        try:
            r = _http_get(args, f"/api/optimistic/accounts/{who}")
            if r.status_code == 200:
                hint = (f"; the operator's next batch gives it {_eth(int(r.json()['balance']))} "
                        "(it posts within seconds)")
        except Exception:  # no operator to ask: the plain answer stands
            pass
        raise CliError(f"{who} has no L2 account in the batches on L1 yet{hint}")
    print(_eth(node.state.balance(index)))


def cmd_advance(args: argparse.Namespace) -> None:
    """Walk the L1 clock (``evm_increaseTime``): by SECONDS, or past every batch's challenge window."""
    from contracts_spec.l1 import L1Client

    if args.deadline:
        if args.seconds is not None:
            raise CliError("give SECONDS or --deadline, not both")
        _advance_past_deadline(args)
        return
    if args.seconds is not None:
        try:
            seconds = int(args.seconds)
        except ValueError:
            raise CliError(f"SECONDS must be a whole number, got {args.seconds!r}") from None
        if not 0 < seconds <= 10**9:
            raise CliError(f"SECONDS must be between 1 and 1000000000, got {seconds}")
    else:
        rollup = _rollup(args)
        # Blocks mined faster than one a second run ahead of the wall clock, so one jump may fall
        # short of what the contract reads: step until no batch has challenge time left.
        moved = 0
        for _ in range(8):
            count = rollup.call("batch_count")
            left = max([rollup.call("challenge_time_left", i) for i in range(count)] + [0])
            if left == 0:
                break
            rollup.l1.increase_time(left + 1)
            moved += left + 1
        if moved == 0:
            print("every batch is already final: nothing to wait for")
            return
        l1 = rollup.l1
        print(f"L1 time moved {moved:,}s forward: every batch is final "
              f"(block {l1.block_number()}, timestamp {l1.timestamp()})")
        return
    l1 = L1Client(_transport(args))
    l1.increase_time(seconds)
    print(f"L1 time moved {seconds:,}s forward (block {l1.block_number()}, timestamp {l1.timestamp()})")


def _advance_past_deadline(args: argparse.Namespace) -> None:
    """Mine blocks and move the clock until the oldest deposit no batch has taken is overdue."""
    rollup = _rollup(args)
    first = rollup.call("deposits_included")
    if first >= rollup.call("deposit_count"):
        raise CliError("no deposit waits for a batch: nothing to make overdue (deposit first)")
    params, l1 = rollup.params(), rollup.l1
    for _ in range(8):  # blocks run ahead of the wall clock, as in the window's walk
        if rollup.call("is_overdue", first):
            break
        l1.mine(params.deposit_deadline_blocks + 1)
        l1.increase_time(params.deposit_deadline_seconds + 1)
    print(f"deposit {first} is overdue (block {l1.block_number()}, timestamp {l1.timestamp()}): {_OVERDUE}")


def cmd_censor(args: argparse.Namespace) -> None:
    """Admin: make the hosted operator leave every deposit out (or, with --off, take them in again)."""
    from node.auth import find_token

    token = find_token(getattr(args, "token", None), getattr(args, "data_dir", None))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = _http(args).post(f"/api/optimistic/{'uncensor' if args.off else 'censor'}", headers=headers)
    if r.status_code in (401, 403):
        raise CliError(f"the node refused: {_detail(r)} (the admin token: --token, L2LAB_NODE_TOKEN, or the "
                       "node-token file in --data-dir)")
    if r.status_code == 404:
        raise CliError(f"the node hosts no optimistic rollup here ({_detail(r)})")
    if r.status_code != 200:
        raise CliError(_detail(r))
    print("the operator leaves every deposit out (and so, once one is overdue, cannot post at all)"
          if r.json()["censoring_deposits"] else "the operator takes deposits in again")


def cmd_challenge(args: argparse.Namespace) -> None:
    from rollup.optimistic.fullnode import Challenger

    if args.watch is not None and not 0 < args.watch < 86400:
        raise CliError(f"--watch must be between 0 and 86400 seconds, got {args.watch}")
    rollup = _rollup(args)
    if rollup.compact:
        _play_disputes(rollup, args)
        return
    challenger = Challenger(rollup, _signer(args))
    while True:
        for receipt in challenger.watch():
            print(f"fraud proven (L1 gas {int(receipt['gasUsed'], 16):,}, tx {receipt['transactionHash']})")
        if not args.watch:
            break
        time.sleep(args.watch)
    print(f"checked {len(challenger.node.batches)} live batch(es); root 0x{challenger.node.root.hex()}")


def _moves_as_due(player: Any, args: argparse.Namespace, what: str) -> None:
    """Make ``player``'s dispute moves as they fall due, each said with its gas: once, or every --watch seconds."""
    from rollup.optimistic.dispute import read_dispute

    while True:
        while (receipt := player.act()) is not None:
            d = read_dispute(player.rollup)
            state = f"steps {d.lo}..{d.hi}" if d.open else "dispute over"
            print(f"{what} (L1 gas {int(receipt['gasUsed'], 16):,}): {state}")
        if not args.watch:
            break
        time.sleep(args.watch)


def _play_disputes(rollup, args: argparse.Namespace) -> None:
    """On a bisection rollup: open a dispute on a wrong batch and make this side's moves as they fall due."""
    from rollup.optimistic.dispute import BisectionChallenger

    challenger = BisectionChallenger(rollup, _signer(args))
    _moves_as_due(challenger, args, "dispute move")
    print(f"checked {len(challenger.node.batches)} live batch(es); root 0x{challenger.node.root.hex()}")


def cmd_claim(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import private_key_to_address
    from rollup.optimistic.client import claim_final_withdrawals, withdrawals_to
    from rollup.optimistic.fullnode import FullNode

    key = _signer(args)
    recipient = _address(args.recipient, "--recipient") if args.recipient else private_key_to_address(key)
    rollup = _rollup(args)
    node = FullNode(rollup)
    node.sync()
    withdrawals = withdrawals_to(rollup, node.batches, recipient)
    for w in withdrawals:
        if not w.final:
            print(f"batch {w.claim.batch}: {_eth(w.claim.amount)} waits {w.time_left}s more")
    claimed = claim_final_withdrawals(rollup, key, withdrawals)
    for w, receipt in claimed:
        print(f"claimed {_eth(w.claim.amount)} from batch {w.claim.batch} for {recipient} "
              f"(L1 gas {int(receipt['gasUsed'], 16):,})")
    waiting = sum(not w.final for w in withdrawals)
    unposted = _operator_pending(args)
    if waiting and not claimed:
        print("nothing claimable yet: the challenge window must pass first "
              "(on a dev node, `l2lab optimistic advance` moves the L1 clock past it)")
    elif not claimed:
        print(f"nothing to claim for {recipient}")
    if unposted:
        print(f"the operator holds {unposted} transaction(s) not yet in a batch on L1: a withdrawal sent just now "
              "is claimable once its batch is posted and its challenge window has passed")


def cmd_force(args: argparse.Namespace) -> None:
    """Post the queued deposits the operator left out, once one is overdue; with ``--withdraw``, the
    signer's own withdrawal after them (L1 queues deposits only, so a deposit of one's own is the way
    in for a transaction the operator drops)."""
    from contracts_spec.optimistic.submission import InvalidBatch
    from primitives.secp256k1 import private_key_to_address
    from rollup.optimistic.client import Wallet, address_bytes
    from rollup.optimistic.fullnode import force_deposits, forced_state

    key = _signer(args)
    me = private_key_to_address(key)
    amount = _positive_wei(args.withdraw) if args.withdraw else None
    recipient = _address(args.recipient, "--recipient") if args.recipient else me
    rollup = _rollup(args)
    no_deposit_hint = ": deposit any amount first (`l2lab optimistic deposit`), then wait for its deadline"
    txs = []
    if amount is not None:
        try:
            state = forced_state(rollup)  # what the batch's deposits leave: her account may be new
        except ValueError as exc:
            raise CliError(f"{exc}{no_deposit_hint}") from None
        index = state.index_of.get(address_bytes(me))
        account = None if index is None else state.get_account(index)
        if index is None or account is None:
            raise CliError(f"{me} has no L2 account, in the batches on L1 or in the queued deposits: "
                           "nothing to withdraw")
        if amount > account.balance:
            raise CliError(f"insufficient L2 balance: {me} has {_eth(account.balance)} with the queued deposits, "
                           f"the withdrawal needs {_eth(amount)}")
        wallet = Wallet(key, rollup.l1.chain_id, rollup.address)
        txs.append(wallet.withdraw(index, recipient, amount, account.nonce))
    bonded = rollup.call("bond_of", me)
    try:
        receipt = force_deposits(rollup, key, txs=txs)
    except InvalidBatch as exc:
        hint = ""
        if exc.rule == "not the operator":
            params = rollup.params()
            hint = (f" (a deposit is overdue once it has waited {params.deposit_deadline_blocks} blocks and "
                    f"{params.deposit_deadline_seconds} s unbatched)")
        raise CliError(f"{exc}{hint}") from None
    except ValueError as exc:
        raise CliError(f"{exc}{no_deposit_hint if 'no queued deposit' in str(exc) else ''}") from None
    index = rollup.call("batch_count") - 1
    what = f" and your withdrawal of {_eth(amount)}" if amount is not None else ""
    print(f"posted batch {index}: the overdue deposit(s){what} (L1 gas {int(receipt['gasUsed'], 16):,})")
    if rollup.call("bond_of", me) > bonded:
        print(f"bonded {_eth(rollup.call('bond_of', me) - bonded)} to post it; `l2lab optimistic unbond` takes it "
              "back once the batch is final")
    if amount is not None:
        print("claim the withdrawal with `l2lab optimistic claim` once the batch's challenge window has passed")
    if rollup.compact:
        print("this rollup settles disputes by bisection, and the batch is yours to defend: keep `l2lab optimistic "
              "defend --watch 5` running with the same key until it is final (a dispute left unanswered is lost "
              "on time, and the bond with it)")


def cmd_defend(args: argparse.Namespace) -> None:
    """Answer every dispute against the batches this key posted (a forced batch, say), from L1 alone."""
    from rollup.optimistic.dispute import BatchDefender

    if args.watch is not None and not 0 < args.watch < 86400:
        raise CliError(f"--watch must be between 0 and 86400 seconds, got {args.watch}")
    rollup = _rollup(args)
    if not rollup.compact:
        raise CliError("this rollup takes single-round fraud proofs: a valid batch needs no defence (no dispute "
                       "of it can win)")
    defender = BatchDefender(rollup, _signer(args))
    _moves_as_due(defender, args, "defence move")
    mine = [k.index for k in defender.node.batches if int(k.proposer, 16) == int(defender.address, 16)]
    final = [i for i in mine if rollup.call("is_final", i)]
    print(f"defending {len(mine)} batch(es) of {defender.address}: {len(final)} final; "
          f"{len(defender.book.open_ids())} dispute(s) open on the rollup")


def cmd_unbond(args: argparse.Namespace) -> None:
    from primitives.secp256k1 import private_key_to_address

    key = _signer(args)
    rollup = _rollup(args)
    bond = rollup.call("bond_of", private_key_to_address(key))
    if not bond:
        raise CliError(f"{private_key_to_address(key)} has no bond on this rollup")
    receipt = rollup.transact(key, "withdraw_bond", bond)
    print(f"bond of {_eth(bond)} withdrawn to L1 (L1 gas {int(receipt['gasUsed'], 16):,})")


# -- L2 commands (through the operator's REST API) ---------------------------------------


def _api_get(http: Any, path: str, what: str) -> Any:
    r = http.get(path)
    if r.status_code == 404 and "no optimistic rollup" in _detail(r):
        raise CliError("the node hosts no optimistic rollup (started with --optimistic off, or still "
                       "deploying)")
    if r.status_code == 404 and path.startswith("/api/optimistic/accounts/"):
        raise CliError(f"{what} has no L2 account yet: deposit first (an L2 account appears once the "
                       "operator includes its deposit)")
    if r.status_code == 404:
        raise CliError(f"the node hosts no optimistic rollup here ({_detail(r)})")
    if r.status_code != 200:
        raise CliError(f"{what}: {_detail(r)}")
    return r.json()


def _send_l2(args: argparse.Namespace, tx: dict) -> None:
    from eth_account import Account as EthAccount

    from primitives.secp256k1 import private_key_to_address

    key = _signer(args)
    http = _http(args)
    _api_get(http, "/api/optimistic/status", "status")
    sender = private_key_to_address(key)
    me = _api_get(http, f"/api/optimistic/accounts/{sender}", f"the sender {sender}")
    nonce = me["nonce"] if args.nonce is None else args.nonce
    if not 0 <= nonce < 2**32:
        raise CliError(f"--nonce must be between 0 and 2**32-1, got {nonce}")
    if tx["amount"] > int(me["balance"]):
        raise CliError(f"insufficient L2 balance: {sender} has {_eth(int(me['balance']))}, "
                       f"the {tx['kind']} needs {_eth(tx['amount'])}")
    tx = {**tx, "amount": str(tx["amount"]), "from": me["index"], "nonce": nonce}
    r = http.post("/api/optimistic/typed-data", json=tx)
    if r.status_code != 200:
        raise CliError(_detail(r))
    signature = EthAccount.sign_typed_data(key, full_message=r.json()).signature
    r = http.post("/api/optimistic/transactions", json={**tx, "signature": "0x" + bytes(signature).hex()})
    if r.status_code != 200:
        raise CliError(f"the operator refused the {tx['kind']}: {_detail(r)}")
    print(f"accepted: {r.json()['pending']} transaction(s) pending in the operator's next batch")


def cmd_transfer(args: argparse.Namespace) -> None:
    amount = _positive_wei(args.amount)
    if args.to is None and args.to_account is None:
        raise CliError("to whom? give --to ADDRESS_OR_L2_INDEX or --to-account N")
    if args.to_account is not None:
        receiver = _dev_address(args, args.to_account)
    elif args.to.isdigit():
        receiver = args.to
    else:
        receiver = _address(args.to, "--to")
    to = _api_get(_http(args), f"/api/optimistic/accounts/{receiver}", f"the receiver {receiver}")["index"]
    _send_l2(args, {"kind": "transfer", "to": to, "amount": amount})


def cmd_withdraw(args: argparse.Namespace) -> None:
    amount = _positive_wei(args.amount)
    recipient = _address(args.recipient, "--recipient") if args.recipient else None
    if recipient is None:
        from primitives.secp256k1 import private_key_to_address

        recipient = private_key_to_address(_signer(args))
    _send_l2(args, {"kind": "withdraw", "recipient": recipient, "amount": amount})


COMMANDS = {
    "deploy": cmd_deploy, "deposit": cmd_deposit, "status": cmd_status, "balance": cmd_balance,
    "transfer": cmd_transfer, "withdraw": cmd_withdraw, "challenge": cmd_challenge, "claim": cmd_claim,
    "advance": cmd_advance, "force": cmd_force, "defend": cmd_defend, "unbond": cmd_unbond,
    "censor": cmd_censor,
}


def run(args: argparse.Namespace) -> int:
    return run_commands("optimistic", COMMANDS, args)


EXAMPLE = """\
a first session against `l2lab node` (dev accounts as the node printed them; 9 operates, 8 challenges):
  l2lab optimistic deposit --account 0 --amount 3     # L1 -> L2; the operator batches it within seconds
  l2lab optimistic deposit --account 1 --amount 1
  l2lab optimistic balance --account 0
  l2lab optimistic transfer --account 0 --to-account 1 --amount 1
  l2lab optimistic withdraw --account 1 --amount 0.5
  l2lab optimistic status                             # each batch's challenge time left
  l2lab optimistic advance                            # dev chain: move L1 time past the window
  l2lab optimistic claim --account 1                  # the 0.5 ETH arrives on L1
"""


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "optimistic", help="use an optimistic rollup on a running node",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Use the optimistic rollup a running `l2lab node` hosts (or any other, with --rollup).",
        epilog=EXAMPLE)
    p.add_argument("--rpc", default=DEFAULT_RPC, help=f"the node's JSON-RPC URL (default {DEFAULT_RPC})")
    p.add_argument("--api", help="the operator's REST base URL (default: the --rpc URL)")
    p.add_argument("--token", help="the node's admin token, for `advance` and `censor` (default: L2LAB_NODE_TOKEN, "
                   "or the node-token file in --data-dir)")
    p.add_argument("--data-dir", default="./l2lab-data",
                   help="the node's data dir, where its admin token is found (default ./l2lab-data)")
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    # The same options after the action too; SUPPRESS keeps an absent one from hiding the first.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--rpc", default=argparse.SUPPRESS, help="the node's JSON-RPC URL")
    common.add_argument("--api", default=argparse.SUPPRESS, help="the operator's REST base URL")
    common.add_argument("--token", default=argparse.SUPPRESS, help="the node's admin token")
    common.add_argument("--data-dir", default=argparse.SUPPRESS, help="the node's data dir, where its admin "
                        "token is found")

    def add(name: str, help_: str, signer: bool | None = None, rollup: bool = True) -> argparse.ArgumentParser:
        """A subcommand; ``signer`` adds --key/--account (True: one of them is needed)."""
        d = sub.add_parser(name, help=help_, parents=[common])
        if rollup:
            d.add_argument("--rollup", help="the rollup's address (default: the one the node hosts)")
        if signer is not None:
            who = d.add_mutually_exclusive_group()
            who.add_argument("--key", help="private key, 0x-hex")
            who.add_argument("--account", metavar="N", help="the node's dev account N (as `l2lab node` printed)")
        return d

    d = add("deploy", "deploy a rollup; the key becomes its operator and bonds", signer=True, rollup=False)
    d.add_argument("--preset", default="minimal", help="minimal or mainnet")
    d.add_argument("--bond", help="bond in ETH (default: the preset minimum)")
    d.add_argument("--bisection", action="store_true",
                   help="compact batches (no intermediate roots) and an interactive bisection dispute game")
    d = add("deposit", "deposit ETH from L1 into the rollup", signer=True)
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--to", help="L2 address credited (default: the signer's address)")
    d = add("status", "batches (with challenge time left), verdicts and accounts, rebuilt from L1 alone")
    d = add("balance", "an L2 balance, rebuilt from L1 alone", signer=False)
    d.add_argument("address", nargs="?", help="whose (default: the --account or --key address)")
    d = add("transfer", "sign an L2 transfer and send it to the operator", signer=True, rollup=False)
    d.add_argument("--to", help="receiving address or L2 account index")
    d.add_argument("--to-account", metavar="N", help="receiving dev account N")
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--nonce", type=int, help="L2 nonce (default: the account's next)")
    d = add("withdraw", "sign an L2 withdrawal and send it to the operator", signer=True, rollup=False)
    d.add_argument("--amount", required=True, help="ETH")
    d.add_argument("--recipient", help="L1 address paid (default: the signer's address)")
    d.add_argument("--nonce", type=int, help="L2 nonce (default: the account's next)")
    d = add("challenge", "check every batch from L1 and prove any fraud", signer=True)
    d.add_argument("--watch", type=float, help="keep watching, every SECONDS")
    d = add("claim", "claim final withdrawals on L1", signer=True)
    d.add_argument("--recipient", help="whose withdrawals (default: the signer's address)")
    d = add("force", "once a deposit is overdue, post the deposits the operator left out yourself (bonding if "
            "needed), with your own withdrawal after them if the operator drops it", signer=True)
    d.add_argument("--withdraw", metavar="AMOUNT", help="ETH of yours to withdraw in the same batch")
    d.add_argument("--recipient", help="L1 address the withdrawal pays (default: the signer's address)")
    d = add("defend", "answer every dispute against the batches you posted (bisection rollups)", signer=True)
    d.add_argument("--watch", type=float, help="keep defending, every SECONDS")
    d = add("unbond", "withdraw your proposer bond to L1 (once your last batch is final)", signer=True)
    d = add("advance", "move the L1 clock forward (evm_increaseTime): by SECONDS, or past every challenge window")
    d.add_argument("seconds", nargs="?", help="how far (default: until every batch is final)")
    d.add_argument("--deadline", action="store_true",
                   help="instead: mine blocks and move time until the oldest unbatched deposit is overdue")
    d = add("censor", "admin: make the hosted operator leave every deposit out (the censorship lesson)",
            rollup=False)
    d.add_argument("--off", action="store_true", help="take deposits in again")
    p.set_defaults(func=run)
