"""The zk-rollup behind an API: its operator and full node, answering in JSON-ready dicts.

The HTTP routes (``node.schemes.zk.api``) and any other front end call this
one object. It serialises access with a lock, because a web server calls from
several threads while the node's timer ticks the operator; proving itself
runs in the operator's worker process, so no request waits for a proof
unless it asks to (:meth:`ZkService.wait`).

JSON conventions
    Wei amounts are decimal strings (JSON numbers lose precision past 2**53);
    field elements (keys, signatures, the domain, a message) are decimal
    strings, as EdDSA-Poseidon libraries take them; roots are 0x-hex;
    L1 addresses are checksummed. Numbers in a request may be text (decimal
    or 0x-hex) or JSON integers up to 2**53 - 1.

Refusals
    :class:`FormError` (the request is off its documented form: the message
    names the field), :class:`Refused` and the rules' ``OpRefused`` and
    ``NotPackable`` (well formed, but the rules say no: the message names the
    rule, and for a transfer amount that float40 cannot hold the nearest
    amounts it can), ``KeyError`` (nothing there), :class:`NotAccepted` (the
    operator could not log the operation; retry). A refused request changes
    nothing.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

from eth_abi import decode as abi_decode

from contracts_spec.l1 import L1Client
from contracts_spec.zk import float40, keys
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.contract import ZkRollup, constructor_args
from contracts_spec.zk.params import WITHDRAW_AMOUNT_BITS, ZkPreset
from contracts_spec.zk.pubdata import KIND_EXIT
from contracts_spec.zk.rules import OpRefused, Transfer, Withdraw, message_of
from primitives.secp256k1 import private_key_to_address, to_checksum_address
from primitives.snark import eddsa
from rollup.zk.fullnode import QueuedDeposit, queued_deposits
from rollup.zk.operator import LogWriteError, Signed, ZkOperator
from rollup.zk.prover import BatchProver

# The proving records status shows (the operator keeps them all).
HISTORY_SHOWN = 20
# How long one "prove and commit now" call waits for its batch.
WAIT_SECONDS = 600.0
ZERO_ADDRESS = "0x" + "00" * 20


class FormError(ValueError):
    """A request off its documented form; the message names the field."""


class Refused(ValueError):
    """A well-formed request the rollup refuses now; the message says which rule."""


class NotAccepted(RuntimeError):
    """The operator could not log an operation, so it did not admit it; retry later."""


def op_log_path(data_dir: str | os.PathLike, rollup_address: str) -> str:
    """Where the operator of ``rollup_address`` keeps its operation log in ``data_dir``."""
    return os.path.join(os.fspath(data_dir), f"zk-rollup-{rollup_address.lower()}-ops.sqlite")


def load_verifying_key(preset_name: str, cache_dir: str | None = None):
    """The preset's verifying key (a development setup the first time); a top-level function, so a
    process pool can run it away from a server's threads."""
    from pathlib import Path

    from contracts_spec.zk.params import get_preset

    return BatchProver(get_preset(preset_name), Path(cache_dir) if cache_dir else None).verifying_key()


# -- numbers and fields in requests ------------------------------------------------------------

# Decimal digits, or 0x and hex digits: ASCII only, no sign, spaces or underscores.
_NUMBER_TEXT = re.compile(r"(?:0[xX][0-9a-fA-F]{1,64}|[0-9]{1,78})")
_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
_PACKED_SIGNATURE = re.compile(r"(?:0[xX])?[0-9a-fA-F]{128}")
MAX_SAFE_INTEGER = 2**53 - 1
MAX_U32 = 2**32 - 1


def _integral(value: Any) -> Any:
    """3.0 as 3 (JSON Schema's integers), anything else as it is."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def parse_number(value: Any, what: str, *, integer_limit: int = MAX_SAFE_INTEGER) -> int:
    """A non-negative number given as text (decimal or 0x-hex) or as a JSON integer; FormError naming ``what``."""
    value = _integral(value)
    if isinstance(value, str):
        if not _NUMBER_TEXT.fullmatch(value):
            raise FormError(f"{what} must be a number as decimal digits or 0x-hex (at most 78 digits), "
                            f"got {value[:80]!r}")
        return int(value[2:], 16) if value[:2] in ("0x", "0X") else int(value, 10)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormError(f"{what} must be a number (text, or a JSON integer), got {type(value).__name__}")
    if not 0 <= value <= integer_limit:
        raise FormError(f"{what} as a JSON integer must be in 0..{integer_limit}; send larger numbers as text")
    return value


def parse_u32(value: Any, what: str) -> int:
    value = _integral(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormError(f"{what} must be a whole number, got {type(value).__name__} {str(value)[:40]!r}")
    if not 0 <= value <= MAX_U32:
        raise FormError(f"{what} must be in 0..{MAX_U32}, got {value}")
    return value


def parse_address(value: Any, what: str) -> str:
    """A 0x-prefixed 20-byte address, lowercased (as the rules and pubdata take it)."""
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise FormError(f"{what} must be a 0x-prefixed 20-byte address, got {str(value)[:60]!r}")
    return "0x" + value[2:].lower()


def parse_signature(value: Any, what: str = "field 'signature'") -> eddsa.Signature:
    """``{"R8": [x, y], "S": s}`` (as signPoseidon returns it) or circomlibjs' 64-byte packed hex.

    Only the form is checked here; a point off the curve or an S out of range
    is a bad signature, which the rules refuse.
    """
    if isinstance(value, str):
        if not _PACKED_SIGNATURE.fullmatch(value):
            raise FormError(f"{what} as text must be the 64-byte packed signature in hex, got {value[:80]!r}")
        try:
            return eddsa.unpack_signature(bytes.fromhex(value[-128:]))
        except ValueError as exc:  # a packing of no curve point: well formed, not a signature
            raise Refused(f"bad signature: {exc}") from None
    if not isinstance(value, dict):
        raise FormError(f"{what} must be an object {{\"R8\": [x, y], \"S\": s}} or 64 bytes of packed hex")
    extra = set(value) - {"R8", "S"}
    if extra:
        raise FormError(f"{what} has unknown field(s) {', '.join(sorted(map(str, extra)))[:80]}")
    r8 = value.get("R8")
    if not isinstance(r8, list) or len(r8) != 2:
        raise FormError(f"{what}.R8 must be a list of two numbers [x, y]")
    if "S" not in value:
        raise FormError(f"{what}.S is required")
    x, y = (parse_number(c, f"{what}.R8[{i}]") for i, c in enumerate(r8))
    return eddsa.Signature((x, y), parse_number(value["S"], f"{what}.S"))


_FIELDS = {"transfer": {"kind", "sender", "recipient", "amount", "amount40", "nonce"},
           "withdraw": {"kind", "sender", "recipient", "amount", "nonce"}}


def parse_op(body: Any, *, signed: bool = True) -> Signed:
    """A transfer or a withdrawal from its JSON form; FormError names the bad field.

    A transfer's ``amount`` is in wei and travels as float40: without
    ``amount40`` the smallest-exponent encoding is used (the one the message
    route signs), and an amount float40 cannot hold is refused with the
    nearest ones it can (``NotPackable``).
    """
    if not isinstance(body, dict):
        raise FormError("the request body must be a JSON object: a transfer or a withdrawal")
    kind = body.get("kind")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise FormError(f"field 'kind' must be 'transfer' or 'withdraw', got {str(kind)[:40]!r}")
    allowed = _FIELDS[kind] | ({"signature"} if signed else set())
    extra = set(body) - allowed
    if extra:
        raise FormError(f"unknown field(s) for a {kind}: {', '.join(sorted(map(str, extra)))[:120]}")
    for name in sorted(allowed - {"amount40"}):
        if name not in body:
            raise FormError(f"field {name!r} is required for a {kind}")
    sender = parse_u32(body["sender"], "field 'sender'")
    nonce = parse_u32(body["nonce"], "field 'nonce'")
    amount = parse_number(body["amount"], "field 'amount'")
    signature = parse_signature(body["signature"]) if signed else None
    if kind == "withdraw":
        return Withdraw(sender, amount, parse_address(body["recipient"], "field 'recipient'"), nonce, signature)
    recipient = parse_u32(body["recipient"], "field 'recipient'")
    if "amount40" in body:
        amount40 = _integral(body["amount40"])
        if isinstance(amount40, bool) or not isinstance(amount40, int) or not 0 <= amount40 < 1 << 40:
            raise FormError(f"field 'amount40' must be a whole number in 0..2**40-1, got {str(amount40)[:40]!r}")
        if float40.unpack(amount40) != amount:
            raise Refused(f"field 'amount40' encodes {float40.unpack(amount40)} wei, not the amount {amount}")
    else:
        amount40 = float40.pack(amount)  # NotPackable names the nearest packable amounts
    return Transfer(sender, recipient, amount40, nonce, signature)


def _check_ranges(preset: ZkPreset, op: Signed) -> None:
    """What a message needs before it can be hashed: indices and a withdrawal amount in range."""
    top = preset.capacity - 1
    for what, index in (("sender", op.sender), *([("recipient", op.recipient)] if isinstance(op, Transfer) else [])):
        if not 1 <= index <= top:
            raise Refused(f"{what} index {index} is out of range: accounts are 1..{top}")
    if isinstance(op, Withdraw) and not 0 < op.amount < 1 << WITHDRAW_AMOUNT_BITS:
        raise Refused(f"withdrawal amount {op.amount} must be in 1..2**{WITHDRAW_AMOUNT_BITS}-1 wei")


# -- answers -------------------------------------------------------------------------------------


def _root(value: int) -> str:
    return f"0x{value:064x}"


def signature_json(sig: eddsa.Signature | None) -> dict[str, Any] | None:
    if sig is None:
        return None
    return {"R8": [str(sig.R8[0]), str(sig.R8[1])], "S": str(sig.S)}


def op_json(op: Signed) -> dict[str, Any]:
    """The JSON form :func:`parse_op` reads back (a transfer also names its float40 encoding)."""
    out: dict[str, Any] = {"kind": "transfer" if isinstance(op, Transfer) else "withdraw", "sender": op.sender}
    if isinstance(op, Transfer):
        out.update(recipient=op.recipient, amount=str(op.value), amount40=op.amount)
    else:
        out.update(recipient=to_checksum_address(op.recipient), amount=str(op.amount))
    out["nonce"] = op.nonce
    if op.signature is not None:
        out["signature"] = signature_json(op.signature)
    return out


def _deposit_json(d: QueuedDeposit) -> dict[str, Any]:
    """A priority-queue entry: a deposit, or an owner's full-exit request."""
    if d.kind == KIND_EXIT:
        return {"id": d.id, "kind": "full_exit", "account": d.index, "owner": to_checksum_address(d.owner)}
    return {"id": d.id, "kind": "deposit", "account": d.index, "amount": str(d.amount),
            "owner": to_checksum_address(d.owner), "depositor": to_checksum_address(d.depositor)}


class ZkService:
    """One zk-rollup deployment served through its operator (which holds the operator key)."""

    def __init__(self, l1: L1Client, address: str, preset: ZkPreset, operator_key: bytes, *,
                 data_dir: str | os.PathLike | None = None, worker: bool = True,
                 prover: BatchProver | None = None) -> None:
        """Serve the rollup at ``address``, deployed with ``preset``.

        With ``data_dir`` the operator logs every admitted operation there
        before it answers, and re-admits what the log holds on start
        (``recovered`` says how many came back). ``worker=False`` proves in
        this process (tests that want the proof in hand).
        """
        self.l1 = l1
        self.address = to_checksum_address(address)
        self.preset = preset
        self.prover = prover or BatchProver(preset)
        self.log_path = op_log_path(data_dir, self.address) if data_dir is not None else None
        self.operator = ZkOperator(l1, self.address, preset, operator_key, self.prover,
                                   log_path=self.log_path, worker=worker)
        self.recovered = len(self.operator.mempool)
        self.domain: int = l1.call(self.address, ZkRollup, "domain")
        self._lock = threading.RLock()

    @classmethod
    def deploy(cls, l1: L1Client, operator_key: bytes, preset: ZkPreset, *,
               data_dir: str | os.PathLike | None = None, worker: bool = True, prover: BatchProver | None = None,
               verifying_key: Any = None) -> ZkService:
        """Deploy a rollup with ``preset``'s verifying key (``prover``'s, unless one is given) and serve it."""
        prover = prover or BatchProver(preset)
        vk = verifying_key if verifying_key is not None else prover.verifying_key()
        address = l1.deploy(operator_key, ZkRollup,
                            *constructor_args(preset, private_key_to_address(operator_key), vk))
        return cls(l1, address, preset, operator_key, data_dir=data_dir, worker=worker, prover=prover)

    def _call(self, method: str, *args: Any) -> Any:
        return self.l1.call(self.address, ZkRollup, method, *args)

    def _events(self, name: str) -> list[dict]:
        return self.l1.events(self.address, ZkRollup, name)

    # -- reads -------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            op = self.operator
            queued, processed, accounts, batches = self._call("counters")
            p = self.preset
            waiting = op.queued()
            return {
                "address": self.address,
                "chain_id": self.l1.chain_id,
                "operator": to_checksum_address(self._call("operator")),
                "preset": p.name,
                "shape": p.shape,
                "depth_bits": p.depth_bits,
                "slots": {"deposits": p.deposit_slots, "transfers": p.transfer_slots,
                          "withdrawals": p.withdraw_slots},
                "deposit_deadline_blocks": p.deposit_deadline_blocks,
                "deposit_deadline_seconds": p.deposit_deadline_seconds,
                "domain": str(self.domain),
                "state_root": _root(self._call("state_root")),
                "rebuilt_root": _root(op.state.root),
                "pending_root": _root(op.pending.root),
                "l1": {"deposits_queued": queued, "deposits_processed": processed, "accounts": accounts,
                       "batches": batches},
                "exodus": self._call("exodus"),
                "overdue": self._call("overdue"),
                "progress": op.progress.as_json(),
                "proving_history": op.history[-HISTORY_SHOWN:],
                "mempool": len(op.mempool),
                "queued_deposits": len(waiting),
                "censored": sorted(op.censored),
                "operation_log": self.log_path,
                "recovered": self.recovered,
            }

    def _owner(self, index: int) -> str | None:
        owner = self._call("owner_of", index)
        return None if int(owner, 16) == 0 else to_checksum_address(owner)

    def _account_json(self, index: int, deposits: list[QueuedDeposit]) -> dict[str, Any]:
        op = self.operator
        mine = [d for d in deposits if d.index == index and not d.kind == KIND_EXIT]
        verified, pending = op.state.account(index), op.pending.account(index)
        key = (verified.ax, verified.ay) if verified else (mine[0].ax, mine[0].ay) if mine else None
        return {
            "index": index,
            "owner": to_checksum_address(mine[0].owner) if mine else self._owner(index),
            "key": [str(key[0]), str(key[1])] if key else None,
            "verified": verified is not None,
            "balance": str(verified.balance if verified else 0),
            "nonce": verified.nonce if verified else 0,
            "pending_balance": str(pending.balance if pending else 0),
            "next_nonce": pending.nonce if pending else 0,
            "queued_deposits_wei": str(sum(d.amount for d in mine if d.id >= op.node.processed)),
            "exited": self._call("exited", index),
        }

    def account(self, index: int) -> dict[str, Any]:
        """An L2 account: its verified balance and nonce, what the mempool makes of them, its queued deposits.

        ``next_nonce`` is the nonce the account's next operation signs.
        KeyError when L1 never assigned the index.
        """
        with self._lock:
            if not 1 <= index < self.preset.capacity or self._owner(index) is None:
                raise KeyError(f"no L2 account at index {index}: L1 assigns an index at its first deposit")
            return self._account_json(index, queued_deposits(self.l1, self.address))

    def accounts_of(self, *, owner: str | None = None, key: tuple[int, int] | None = None) -> list[dict[str, Any]]:
        """The accounts L1 assigned to ``owner`` and/or ``key`` (assigned at a first deposit, verified or not)."""
        owner_raw = None if owner is None else int(parse_address(owner, "owner"), 16)
        with self._lock:
            deposits = queued_deposits(self.l1, self.address)
            found: dict[int, None] = {}
            for d in deposits:
                if d.kind == KIND_EXIT:
                    continue
                if owner_raw is not None and int(d.owner, 16) != owner_raw:
                    continue
                if key is not None and (d.ax, d.ay) != key:
                    continue
                found.setdefault(d.index)
            return [self._account_json(i, deposits) for i in found]

    def batch(self, index: int) -> dict[str, Any]:
        """A verified batch as L1 holds it: roots, its deposits, its pubdata decoded, the gas of its commit."""
        with self._lock:
            verified = [e for e in self._events("BatchVerified") if e["index"] == index]
            if not verified:
                raise KeyError(f"batch {index} does not exist: {self._call('counters')[3]} batch(es) verified")
            e = verified[0]
            tx = self.l1.rpc("eth_getTransactionByHash", e["transactionHash"])
            receipt = self.l1.receipt(e["transactionHash"]) or {}
            calldata = bytes.fromhex(tx["input"][2:])
            (data,) = abi_decode(["bytes"], calldata[4:])
            _, _, raw = pd.decode_commit(data)
            posted = pd.decode(self.preset, raw)
            deposits = queued_deposits(self.l1, self.address)[e["first_deposit"]: e["first_deposit"] + e["deposits"]]
            proving = next((h for h in self.operator.history if h.get("batch") == index), None)
            return {
                "index": index,
                "old_root": _root(e["old_root"]),
                "new_root": _root(e["new_root"]),
                "transaction_hash": e["transactionHash"],
                "block_number": e["blockNumber"],
                "gas_used": int(str(receipt.get("gasUsed", "0x0")), 0),
                "calldata_bytes": len(calldata),
                "pubdata": "0x" + raw.hex(),
                "pubdata_bytes": len(raw),
                "deposits": [_deposit_json(d) for d in deposits],
                "transfers": [{"sender": t.sender, "recipient": t.recipient, "amount40": t.amount40,
                               "amount": str(float40.unpack(t.amount40))} for t in posted.transfers],
                "withdrawals": [{"sender": w.sender, "amount": str(w.amount),
                                 "recipient": to_checksum_address(f"0x{w.recipient:040x}")} for w in posted.withdrawals],
                "proving": proving,
            }

    def mempool(self) -> list[dict[str, Any]]:
        """Admitted operations not yet in a verified batch, in admission order."""
        with self._lock:
            return [op_json(op) for op in self.operator.mempool]

    def key_message(self) -> dict[str, Any]:
        """The text to personal_sign (EIP-191) to derive the L2 key for this rollup, and how."""
        return {"message": keys.key_message(self.l1.chain_id, self.address), "chain_id": self.l1.chain_id,
                "rollup": self.address,
                "derivation": "personal_sign the message with your L1 key; the L2 private key is keccak256 of the "
                              "65-byte signature r || s || v, and its BabyJubJub public key is what a first "
                              "deposit registers (as P = A / 8)"}

    def _recipient_key(self, op: Transfer | Withdraw) -> tuple[int, int] | None:
        """The key a transfer's message names: its recipient account's, as the pending state has it."""
        if not isinstance(op, Transfer):
            return None
        with self._lock:
            acct = self.operator.pending.account(op.recipient)
        if acct is None:
            raise OpRefused(f"recipient account {op.recipient} does not exist (an empty leaf has no key)")
        return acct.key

    def message(self, body: Any) -> dict[str, Any]:
        """The field element an (unsigned) transfer or withdrawal signs with EdDSA-Poseidon, and its domain."""
        op = parse_op(body, signed=False)
        _check_ranges(self.preset, op)
        out = {"kind": "transfer" if isinstance(op, Transfer) else "withdraw",
               "message": str(message_of(op, self.domain, self.preset.depth_bits, self._recipient_key(op))),
               "domain": str(self.domain), "depth_bits": self.preset.depth_bits, "operation": op_json(op)}
        if isinstance(op, Transfer):
            out["amount40"] = op.amount
        return out

    def withdrawals(self, address: str) -> dict[str, Any]:
        """What ``address`` may claim on L1 now (``claim_withdrawal`` pays it all), and its history."""
        who = int(parse_address(address, "address"), 16)
        with self._lock:
            ready = [{"batch": e["batch"], "account": e["account"], "amount": str(e["amount"])}
                     for e in self._events("WithdrawalReady") if int(e["recipient"], 16) == who]
            claimed = [{"amount": str(e["amount"]), "transaction_hash": e["transactionHash"]}
                       for e in self._events("WithdrawalClaimed") if int(e["recipient"], 16) == who]
            return {"address": to_checksum_address(f"0x{who:040x}"),
                    "withdrawable": str(self._call("withdrawable", f"0x{who:040x}")),
                    "ready": ready, "claimed": claimed}

    def exit_proof(self, index: int) -> dict[str, Any]:
        """``exit``'s arguments for account ``index`` at the last verified root (exits open in exodus mode only)."""
        with self._lock:
            if not 1 <= index < self.preset.capacity:
                raise KeyError(f"account {index} does not exist")
            account, ax, ay, balance, nonce, siblings = self.operator.node.exit_proof(index)
            return {"account": account, "ax": str(ax), "ay": str(ay), "balance": str(balance), "nonce": nonce,
                    "siblings": [str(s) for s in siblings], "root": _root(self.operator.state.root),
                    "owner": self._owner(index), "exodus": self._call("exodus"),
                    "exited": self._call("exited", index)}

    # -- the operator's side -----------------------------------------------------------------

    def submit(self, body: Any) -> dict[str, Any]:
        """Admit a signed operation; answered only once it is in the operation log."""
        op = parse_op(body, signed=True)
        with self._lock:
            if self._call("exodus"):
                raise Refused("exodus mode: the rollup takes no more operations; exit on L1 with an exit proof")
            try:
                op_id = self.operator.submit(op)
            except LogWriteError as exc:
                raise NotAccepted(f"not accepted: {exc}; retry once the operator's disk is writable") from None
            except OpRefused as exc:
                raise OpRefused(f"operation refused: {exc}") from None
            pending = self.operator.pending.account(op.sender)
            return {"accepted": True, "id": op_id, "mempool": len(self.operator.mempool),
                    "next_nonce": pending.nonce if pending else 0}

    def tick(self) -> dict[str, Any]:
        """One operator step (the node's timer calls this): follow L1, commit a finished proof or start one."""
        with self._lock:
            receipt = self.operator.tick()
            return self._step(receipt)

    def _step(self, receipt: Mapping | None) -> dict[str, Any]:
        out: dict[str, Any] = {"committed": receipt is not None, "progress": self.operator.progress.as_json()}
        if receipt is not None:
            out.update(transaction_hash=receipt["transactionHash"], gas_used=int(str(receipt["gasUsed"]), 0),
                       batch=self.operator.history[-1])
        return out

    def has_work(self) -> bool:
        with self._lock:
            return self.operator.has_work()

    def wait(self, timeout: float = WAIT_SECONDS) -> dict[str, Any] | None:
        """Tick until the batch in the making is committed; its proving record, or None when none was.

        Safe beside the node's timer: whichever tick commits, the batch
        committed while this waited is reported.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            before = len(self.operator.history)
        while True:
            with self._lock:
                self.operator.tick()
                phase = self.operator.progress.phase
                if len(self.operator.history) > before:
                    return self.operator.history[before]
            if phase not in ("proving", "committing") or time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def prove_now(self, timeout: float = WAIT_SECONDS) -> dict[str, Any]:
        """Prove and commit the next batch now, answering once it is on L1; Refused when there is nothing to do."""
        with self._lock:
            if self._call("exodus"):
                raise Refused("exodus mode: the rollup takes no more batches")
            if not self.operator.has_work() and self.operator.progress.phase != "proving":
                raise Refused("nothing to prove: no queued deposit the operator processes and no admitted operation")
        done = self.wait(timeout)
        if done is None:
            last = self.operator.progress.last
            why = last.get("error") if isinstance(last, dict) else None
            raise Refused(f"no batch was committed{': ' + why if why else ' within ' + str(int(timeout)) + ' s'}")
        return done

    def censor(self, deposit_id: int, on: bool = True) -> dict[str, Any]:
        """Make the operator ignore (or stop ignoring) a queued deposit: the censorship and exodus demo.

        The queue is first in, first out, so a censored deposit holds back the
        ones after it; once it is overdue anyone may start exodus mode.
        """
        with self._lock:
            queued = self._call("counters")[0]
            if not 0 <= deposit_id < queued:
                raise KeyError(f"no deposit {deposit_id}: {queued} deposit(s) queued so far")
            if on:
                self.operator.censored.add(deposit_id)
            else:
                self.operator.censored.discard(deposit_id)
            return {"censored": sorted(self.operator.censored)}

    def close(self) -> None:
        """Stop the proving worker and close the operation log (everything in it is already durable)."""
        with self._lock:
            self.operator.close()


def key_point(ax: Any, ay: Any) -> tuple[int, int]:
    """An L2 public key from its two coordinates (text or integers); FormError naming the bad one."""
    return parse_number(ax, "ax"), parse_number(ay, "ay")


__all__ = ["FormError", "NotAccepted", "Refused", "ZkService", "key_point", "load_verifying_key", "op_json",
           "op_log_path", "parse_op", "signature_json"]
