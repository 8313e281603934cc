"""The optimistic rollup behind an API: an operator and a full node, answering in JSON-ready dicts.

The HTTP routes (``node.schemes.optimistic.api``) and any other front end call this
one object; it serialises access with a lock because a web server calls from
several threads. Given a data directory, the operator keeps a write-ahead log
of accepted transactions there (``wal``) and replays it on start, so a crash
never loses a transaction the API answered "accepted". Wei amounts are decimal strings (JSON numbers lose precision
past 2**53) and addresses are checksummed ``0x…`` strings.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from contracts_spec.l1 import L1Client
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.encoding import Batch
from contracts_spec.optimistic.params import Preset
from contracts_spec.optimistic.rules import (
    DOMAIN_NAME,
    DOMAIN_VERSION,
    EIP712_TYPES,
    Transfer,
    Tx,
    Withdraw,
)
from primitives.eip712 import Domain, full_message
from primitives.secp256k1 import private_key_to_address, to_checksum_address
from rollup.optimistic.client import (
    WithdrawalStatus,
    address_bytes,
    parse_address,
    typed_data,
    withdrawals_to,
)
from rollup.optimistic.dispute import BisectionProposer
from rollup.optimistic.fullnode import FullNode
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.operator import NotLogged, Operator, Recovery
from rollup.optimistic.wal import AcceptLog

# Transactions one submit_many call may carry (one log commit, one signature-recovery batch).
MAX_SUBMIT_MANY = 1000


class NotAccepted(ValueError):
    """The operator could not log a submission, so it did not take it; the message says how far it got.

    A ValueError so that front ends answer it as a refusal with its reason
    (nothing half-done stays behind), not as an internal error.
    """


def wal_path(data_dir: str | os.PathLike, rollup_address: str) -> str:
    """Where the operator of ``rollup_address`` keeps its write-ahead log in ``data_dir``."""
    return os.path.join(os.fspath(data_dir), f"optimistic-{rollup_address.lower()}-wal.sqlite")


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


# Decimal digits, or 0x and hex digits: ASCII only, no sign, spaces or underscores, so what a
# wallet signed and what the operator reads can never be two different numbers.
_INT_TEXT = re.compile(r"(?:0[xX][0-9a-fA-F]+|[0-9]+)")
# Amounts are uint256 in the signed EIP-712 message and in the rules.
MAX_AMOUNT = 2**256 - 1


def _int_field(body: dict, name: str, limit: int = MAX_AMOUNT) -> int:
    value = body.get(name)
    if isinstance(value, bool) or value is None:
        raise ValueError(f"field {name!r} is required and must be an integer")
    if isinstance(value, str):
        if len(value) > 80 or not _INT_TEXT.fullmatch(value):
            raise ValueError(f"field {name!r} must be an integer (decimal digits or 0x-hex), got {value[:80]!r}")
        value = int(value[2:], 16) if value[:2] in ("0x", "0X") else int(value, 10)  # "037" is 37
    if not isinstance(value, int) or value < 0:
        raise ValueError(f"field {name!r} must be a non-negative integer, got {str(value)[:80]!r}")
    if value > limit:
        raise ValueError(f"field {name!r} must be at most {limit}, got {value}")
    return value


def parse_tx(body: dict, *, signed: bool = True) -> Transfer | Withdraw:
    """A transfer or withdrawal from its JSON form; ValueError names the bad field."""
    if not isinstance(body, dict):
        raise ValueError("a transaction must be a JSON object")
    kind = body.get("kind")
    signature = b""
    if signed:
        sig = body.get("signature")
        if not isinstance(sig, str) or not sig.startswith("0x") or len(sig) != 132:
            raise ValueError("field 'signature' must be 65 bytes as 0x-prefixed hex")
        try:
            signature = bytes.fromhex(sig[2:])
        except ValueError:
            raise ValueError("field 'signature' is not hex") from None
    if kind not in ("transfer", "withdraw"):
        raise ValueError(f"field 'kind' must be 'transfer' or 'withdraw', got {str(kind)[:40]!r}")
    frm, nonce = _int_field(body, "from", 2**32 - 1), _int_field(body, "nonce", 2**32 - 1)
    amount = _int_field(body, "amount")
    if kind == "transfer":
        to = _int_field(body, "to", 2**32 - 1)
        return Transfer(frm, to, amount, nonce, signature)
    if kind == "withdraw":
        raw = parse_address(body.get("recipient"), "field 'recipient'")
        return Withdraw(frm, raw, amount, nonce, signature)
    raise ValueError(f"field 'kind' must be 'transfer' or 'withdraw', got {kind!r}")


def tx_json(tx: Tx) -> dict[str, Any]:
    """The JSON form of any rollup transaction."""
    if isinstance(tx, Transfer):
        return {"kind": "transfer", "from": tx.from_index, "to": tx.to_index, "amount": str(tx.amount),
                "nonce": tx.nonce, "signature": _hex(tx.signature)}
    if isinstance(tx, Withdraw):
        return {"kind": "withdraw", "from": tx.from_index, "recipient": to_checksum_address(tx.recipient),
                "amount": str(tx.amount), "nonce": tx.nonce, "signature": _hex(tx.signature)}
    return {"kind": "deposit", "index": tx.index, "address": to_checksum_address(tx.address),
            "amount": str(tx.amount)}


def _withdrawal_json(w: WithdrawalStatus) -> dict[str, Any]:
    """A withdrawal's claim arguments and L1 status, in JSON form."""
    c = w.claim
    return {"batch": c.batch, "body_hash": _hex(c.body_hash), "withdrawal_root": _hex(c.withdrawal_root),
            "data_hash": _hex(c.data_hash), "leaf_index": c.leaf_index, "recipient": c.recipient, "amount": str(c.amount),
            "from": c.from_index, "nonce": c.nonce, "proof": [_hex(p) for p in c.proof],
            "final": w.final, "claimed": w.claimed}


@contextmanager
def _refusing_unlogged() -> Iterator[None]:
    """Answer a log failure as a refusal naming it: the operator rolled the unlogged part back."""
    try:
        yield
    except NotLogged as exc:
        raise NotAccepted(f"not accepted: {exc}; retry once the operator's disk is writable") from exc


class OptimisticService:
    """One rollup deployment: its operator (when this process holds the key) and a full node."""

    def __init__(
        self, l1: L1Client, rollup_address: str, operator_key: bytes | None = None,
        *, data_dir: str | os.PathLike | None = None,
    ) -> None:
        """Serve the rollup at ``rollup_address``; with ``data_dir`` the operator's log lives there.

        An operator with a log recovers at once: what the log holds and L1
        does not re-enters the mempool (``recovery`` says what happened).
        """
        self.l1 = l1
        self.rollup = RollupL1.attach(l1, to_checksum_address(rollup_address))
        self.log: AcceptLog | None = None
        if operator_key and data_dir is not None:
            self.log = AcceptLog(wal_path(data_dir, self.rollup.address))
        self.operator = Operator(self.rollup, operator_key, log=self.log) if operator_key else None
        self.recovery: Recovery | None = (
            self.operator.recover() if self.operator is not None and self.log is not None else None)
        # On a bisection rollup the operator must answer disputes of its batches, or lose on time.
        self.defender = BisectionProposer(self.operator) if self.operator and self.rollup.compact else None
        self.node = FullNode(self.rollup)
        self._lock = threading.RLock()

    @classmethod
    def deploy(
        cls, l1: L1Client, operator_key: bytes, preset: Preset, bond: int | None = None,
        *, data_dir: str | os.PathLike | None = None, contract: type[OptimisticRollup] = OptimisticRollup,
    ) -> OptimisticService:
        """Deploy a rollup (``contract``: single-round or ``BisectionRollup``) with ``preset``, bond, serve.

        A bond the operator cannot post is refused before anything is deployed (ValueError).
        """
        amount = bond if bond is not None else preset.min_bond
        if amount < preset.min_bond:
            raise ValueError(f"bond {amount} wei is below the preset's minimum {preset.min_bond} wei")
        if amount > l1.balance(private_key_to_address(operator_key)):
            raise ValueError(f"bond {amount} wei exceeds the operator's L1 balance")
        rollup = RollupL1.deploy(l1, operator_key, preset, private_key_to_address(operator_key), contract)
        service = cls(l1, rollup.address, operator_key, data_dir=data_dir)
        service._require_operator().post_bond(amount)
        return service

    def _sync(self) -> None:
        if self.operator is not None:
            self.operator.sync()
        self.node.sync()

    def _state(self):
        return self.operator.state if self.operator is not None else self.node.state

    def _require_operator(self) -> Operator:
        if self.operator is None:
            raise PermissionError("this service does not hold the operator key: it only follows the rollup")
        return self.operator

    # -- reads -------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        with self._lock:
            self._sync()
            params = self.rollup.params()
            count = self.rollup.call("batch_count")
            return {
                "address": self.rollup.address,
                "fraud_proof": "bisection" if self.rollup.compact else "single-round",
                "chain_id": self.l1.chain_id,
                "operator": to_checksum_address(params.operator),
                "tree_depth": params.tree_depth,
                "challenge_window": params.challenge_window,
                "deposit_deadline_blocks": params.deposit_deadline_blocks,
                "deposit_deadline_seconds": params.deposit_deadline_seconds,
                "min_bond": str(params.min_bond),
                "batch_count": count,
                "batches_posted": self.rollup.call("batches_posted"),
                "state_root": _hex(self.rollup.call("state_root")),
                "rebuilt_root": _hex(self.node.root),
                "deposits_queued": self.rollup.call("deposit_count"),
                "deposits_included": self.rollup.call("deposits_included"),
                "pending_transactions": self.operator.unposted if self.operator else None,
                "censoring_deposits": self.operator.censor_deposits if self.operator else None,
                "faults": [vars(f) for f in self.node.faults()],
                "write_ahead_log": self.log.path if self.log is not None else None,
                "recovered": None if self.recovery is None else {
                    "already_on_l1": self.recovery.already_on_l1,
                    "readmitted": self.recovery.readmitted,
                    "refused": [{**tx_json(tx), "reason": r} for tx, r in self.recovery.refused],
                },
            }

    def account(self, who: str) -> dict[str, Any]:
        """An L2 account by index or by L1-style address; KeyError when there is none."""
        with self._lock:
            self._sync()
            state = self._state()
            if who.isascii() and who.isdigit():
                if len(who) > 10:
                    raise KeyError(f"no L2 account at index {who[:20]}...")
                index = int(who)
            else:
                index = state.index_of.get(address_bytes(who))
                if index is None:
                    raise KeyError(f"no L2 account for {who}")
            account = state.get_account(index)
            if account is None:
                raise KeyError(f"no L2 account at index {index}")
            return {"index": index, "address": to_checksum_address(account.address),
                    "balance": str(account.balance), "nonce": account.nonce}

    def batch(self, index: int) -> dict[str, Any]:
        with self._lock:
            self._sync()
            if not 0 <= index < len(self.node.batches):
                raise KeyError(f"batch {index} does not exist (or was reverted)")
            known = self.node.batches[index]
            b: Batch = known.batch
            return {
                "index": index,
                "proposer": to_checksum_address(known.proposer),
                "bytes": len(known.data),
                "prev_root": _hex(b.prev_root),
                "post_root": _hex(b.post_root),
                "withdrawal_root": _hex(b.withdrawal_root),
                "first_deposit": b.first_deposit,
                "claim_standing": known.standing,
                "final": self.rollup.call("is_final", index),
                "challenge_time_left": self.rollup.call("challenge_time_left", index),
                "fault": vars(known.fault) if known.fault else None,
                "entries": [{**tx_json(e.tx), "root": _hex(e.root), **({"skipped": True} if i in b.skipped else {})}
                            for i, e in enumerate(b.entries)],
            }

    def withdrawals(self, recipient: str) -> list[dict[str, Any]]:
        """Withdrawals to ``recipient`` in live batches, with their claim arguments."""
        raw = parse_address(recipient, "recipient")
        with self._lock:
            self._sync()
            return [_withdrawal_json(w) for w in withdrawals_to(self.rollup, self.node.batches, raw)]

    def eip712_schema(self, kind: str = "transfer") -> dict[str, Any]:
        """The EIP-712 document to sign, with the message fields left null for the wallet to fill.

        With ``message`` filled in (``from``, ``to`` or ``recipient``, ``amount``,
        ``nonce``) it is exactly what eth-account's
        ``sign_typed_data(key, full_message=...)`` takes.
        """
        primaries = {"transfer": "Transfer", "withdraw": "Withdraw"}
        if kind not in primaries:
            raise ValueError(f"kind must be 'transfer' or 'withdraw', got {kind!r}")
        primary = primaries[kind]
        domain = Domain(DOMAIN_NAME, DOMAIN_VERSION, self.l1.chain_id, self.rollup.address)
        fields = EIP712_TYPES[primary]
        zeros = {f["name"]: "0x" + "00" * 20 if f["type"] == "address" else 0 for f in fields}
        doc = full_message(domain, {primary: fields}, primary, zeros)
        doc["message"] = {f["name"]: None for f in fields}
        return doc

    def typed_data(self, body: dict) -> dict[str, Any]:
        """The EIP-712 document a wallet signs for the (unsigned) transaction ``body``."""
        return typed_data(self.l1.chain_id, self.rollup.address, parse_tx(body, signed=False))

    # -- the operator's side -----------------------------------------------------------------

    def submit(self, body: dict) -> dict[str, Any]:
        """Admit one signed transaction; ValueError says why it was refused.

        "accepted" is answered only once the transaction is in the write-ahead
        log. Admission reads no L1 events and posts nothing: :meth:`tick`, on
        a timer, does both (``batch_full`` says a full batch waits for it).
        """
        tx = parse_tx(body)
        with self._lock, _refusing_unlogged():
            operator = self._require_operator()
            (reason,) = operator.submit([tx])
            if reason is not None:
                raise ValueError(f"transaction refused: {reason}")
            return {"accepted": True, "pending": operator.unposted, "batch_full": operator.batch_full}

    def submit_many(self, bodies: list) -> dict[str, Any]:
        """Admit several signed transactions in order, with one durable log commit for all.

        Every body is parsed first, so a malformed one refuses the whole call
        (ValueError naming its position) and changes nothing; after that each
        transaction is accepted or refused on its own, with the reason.
        """
        if not isinstance(bodies, list) or not bodies:
            raise ValueError("a batch of transactions must be a non-empty JSON array")
        if len(bodies) > MAX_SUBMIT_MANY:
            raise ValueError(f"{len(bodies)} transactions in one call: at most {MAX_SUBMIT_MANY}")
        txs = []
        for i, body in enumerate(bodies):
            try:
                txs.append(parse_tx(body))
            except ValueError as exc:
                raise ValueError(f"transaction {i}: {exc}") from None
        with self._lock, _refusing_unlogged():
            operator = self._require_operator()
            reasons = operator.submit(txs)
            return {"results": [{"accepted": r is None, **({"reason": r} if r else {})} for r in reasons],
                    "pending": operator.unposted, "batch_full": operator.batch_full}

    def tick(self) -> dict | None:
        """Sync with L1, post the full batches waiting and the pending one once it is old enough.

        A timer calls this (the hosted node's thread); requests never do.
        """
        with self._lock:
            if self.operator is None:
                self.node.sync()
                return None
            if self.defender is not None:
                self.defender.act()
            return self.operator.tick()

    def censor(self, on: bool = True) -> dict[str, Any]:
        """Make the operator leave every deposit out (or, with ``on=False``, take them in again): the
        censorship lesson. Once a deposit is overdue the operator may not post without it, and anyone bonded
        may post it, with her own transactions behind it (``force_deposits``)."""
        with self._lock:
            operator = self._require_operator()
            operator.censor_deposits = on
            if not on:
                operator.include_deposits()
            return {"censoring_deposits": operator.censor_deposits, "pending": operator.unposted}

    def close(self) -> None:
        """Close the write-ahead log (everything in it is already durable)."""
        if self.log is not None:
            self.log.close()

    def post_batch(self) -> dict[str, Any]:
        """Post the pending transactions as a batch now (after any full ones waiting); the last one posted."""
        with self._lock:
            operator = self._require_operator()
            operator.sync()
            receipt = operator.post_batch()
            if receipt is None:
                return {"posted": False, "reason": "nothing pending"}
            return {"posted": True, "index": len(operator.posted) - 1,
                    "transaction_hash": receipt["transactionHash"], "gas_used": int(receipt["gasUsed"], 16)}


__all__ = ["NotAccepted", "OptimisticService", "parse_tx", "tx_json"]
