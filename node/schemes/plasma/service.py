"""The Plasma child chain a node hosts, and what its REST routes ask of it.

One :class:`PlasmaService` holds the root chain it deployed (or found again)
and the :class:`plasma.operator.Operator` that runs its child chain, with the
operator's log in the data dir. Every call takes the operator's lock, so the
node's timer (:meth:`PlasmaService.tick`: follow L1, then put the pending
transactions in a block) and the REST handlers never act at the same time.

The service serves what a Plasma client needs from the operator and nothing
it should take on trust: blocks (the client checks them against the roots on
L1), inclusion proofs (checked against the same roots), the spend of a
position (to challenge an exit) and the confirmations owners posted. Users
sign their own transactions and confirmations; their keys never reach the
node.

Every request body is checked here before the operator is touched: an input
off its form raises :class:`FormError` (HTTP 400) naming the field, something
absent ``KeyError`` (404), and what the Plasma rules refuse
:class:`plasma.operator.PlasmaRefused` (409) naming the rule, with nothing
changed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from contracts_spec.l1 import L1Client
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import ETH, STATE_NAMES, RootChain
from contracts_spec.plasma.params import CHILD_BLOCK_INTERVAL, PlasmaPreset
from node.api import as_integer
from plasma.operator import Block, Operator, PlasmaRefused, tx_id
from primitives.secp256k1 import private_key_to_address, to_checksum_address

_ADDRESS = re.compile(r"0[xX][0-9a-fA-F]{40}")
_HEX = re.compile(r"(0[xX])?([0-9a-fA-F]{2})*")
_ID = re.compile(r"0x[0-9a-f]{64}")
# What the status and exit listings show at most: the latest blocks and exits.
RECENT_BLOCKS = 10
LISTED_EXITS = 200
MAX_POSITION = R.encode_utxo_pos(R.MAX_BLKNUM, R.MAX_TXS_PER_BLOCK - 1, R.OUTPUTS_PER_TX - 1)


class FormError(ValueError):
    """A request that is off its documented form (HTTP 400); the message names the field."""


def log_path(data_dir: Path, address: str) -> Path:
    """Where the hosted operator of the root chain at ``address`` keeps its log."""
    return data_dir / f"plasma-{address.lower()}-operator.sqlite"


def parse_hex(value: Any, what: str, size: int | None = None) -> bytes:
    """Bytes from 0x-hex text (``size`` of them when given); FormError naming ``what`` otherwise."""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise FormError(f"{what} must be hex text (0x and an even number of hex digits), got {value!r:.80}")
    data = bytes.fromhex(value[2:] if value[:2] in ("0x", "0X") else value)
    if size is not None and len(data) != size:
        raise FormError(f"{what} must be {size} bytes, got {len(data)}")
    return data


def parse_position(value: Any, what: str = "utxo_pos") -> int:
    """An output position ``blknum * 1e9 + txindex * 1e4 + oindex`` (a JSON integer or decimal text)."""
    value = as_integer(value)
    if isinstance(value, str) and value.isdigit() and value.isascii() and len(value) <= 20:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FormError(f"{what} must be a whole number (blknum * 1,000,000,000 + txindex * 10,000 + oindex), "
                        f"got {value!r:.60}")
    if not 0 < value <= MAX_POSITION:
        raise FormError(f"{what} must be in 1..{MAX_POSITION}, got {value}")
    try:
        R.decode_utxo_pos(value)
    except R.PlasmaRuleError as exc:  # well formed, but no output can be there
        raise KeyError(f"no output at {what} {value}: {exc}") from None
    return value


def parse_id(value: Any, what: str = "id") -> str:
    """A transaction id: 0x and 64 lowercase hex digits (keccak of the signed transaction)."""
    if not isinstance(value, str) or not _ID.fullmatch(value.lower()):
        raise FormError(f"{what} must be a transaction id: 0x and 64 hex digits, got {value!r:.80}")
    return value.lower()


def parse_address(value: Any, what: str) -> str:
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise FormError(f"{what} must be a 0x-prefixed 20-byte address, got {value!r:.60}")
    return to_checksum_address("0x" + value[2:].lower())  # any case: an address names its owner


def _body(body: Any, fields: dict[str, bool]) -> dict[str, Any]:
    """``body`` as an object with exactly the known ``fields`` (name -> required)."""
    if not isinstance(body, dict):
        raise FormError(f"the body must be a JSON object, got {type(body).__name__}")
    unknown = sorted(set(body) - set(fields))
    if unknown:
        raise FormError(f"unknown field {unknown[0]!r}: the body takes {', '.join(fields)}")
    for name, required in fields.items():
        if required and name not in body:
            raise FormError(f"{name} is required")
    return body


def tx_json(signed: R.SignedTransaction, blknum: int | None = None, txindex: int | None = None) -> dict[str, Any]:
    """A signed transaction as the API shows it: id, inputs, outputs (wei as text), its 218 bytes in hex."""
    out: dict[str, Any] = {
        "id": tx_id(signed),
        "inputs": list(signed.tx.spent),
        "outputs": [{"owner": o.owner, "amount": str(o.amount)} for o in signed.tx.outputs if not o.is_empty],
        "encoded": "0x" + signed.encode().hex(),
    }
    if blknum is not None and txindex is not None:
        out["blknum"], out["txindex"] = blknum, txindex
        out["output_positions"] = [R.encode_utxo_pos(blknum, txindex, i)
                                   for i, o in enumerate(signed.tx.outputs) if not o.is_empty]
    return out


class PlasmaService:
    """A root chain and the operator of its child chain, for one node."""

    def __init__(self, l1: L1Client, address: str, operator_key: bytes, data_dir: str | Path | None = None,
                 *, preset_name: str = "") -> None:
        self.l1, self.address = l1, to_checksum_address(address)
        self.preset_name = preset_name
        path = log_path(Path(data_dir), self.address) if data_dir is not None else None
        self.operator = Operator(l1, self.address, operator_key, log_path=path)
        self.lock = self.operator.lock
        blocks, seconds, bond, cap = l1.call(self.address, RootChain, "params")
        self.params = {"exit_period_blocks": blocks, "exit_period_seconds": seconds, "exit_bond": str(bond),
                       "max_finalize": cap}
        self.bond = bond
        self.blocks_made = 0

    @classmethod
    def deploy(cls, l1: L1Client, operator_key: bytes, preset: PlasmaPreset,
               data_dir: str | Path | None = None) -> PlasmaService:
        """Deploy a root chain operated by ``operator_key``'s address, with ``preset``'s parameters."""
        operator = private_key_to_address(operator_key)
        address = l1.deploy(operator_key, RootChain, *preset.constructor_args(operator))
        return cls(l1, address, operator_key, data_dir, preset_name=preset.name)

    # -- the timer ------------------------------------------------------------------------------------

    def tick(self) -> dict[str, Any]:
        """Follow L1 (deposits, exits, reorganisations), then put what is pending in the next block."""
        with self.lock:
            self.operator.sync()
            block = self.operator.make_block()
            if block is not None:
                self.blocks_made += 1
            return {"block": None if block is None else self._block_summary(block)}

    # -- reads ---------------------------------------------------------------------------------------------

    def _block_summary(self, block: Block) -> dict[str, Any]:
        return {"blknum": block.blknum, "root": "0x" + block.root.hex(), "transactions": len(block.txs),
                "withheld": block.withheld}

    def status(self) -> dict[str, Any]:
        """The root chain, its parameters, the operator's progress, and the exit queue."""
        with self.lock:
            op = self.operator
            op.sync()
            top_time, top = self.call("next_exit", ETH)
            recent = [self._block_summary(op.blocks[n]) for n in sorted(op.blocks)[-RECENT_BLOCKS:]]
            return {
                "address": self.address, "preset": self.preset_name, "chain_id": self.l1.chain_id,
                "operator": to_checksum_address(self.call("operator")), "params": self.params,
                "current_child_block": self.call("current_child_block"),
                "next_deposit_block": self.call("next_deposit_block"),
                "child_block_interval": CHILD_BLOCK_INTERVAL,
                "operator_blocks": len(op.blocks), "recent_blocks": recent,
                "withheld_blocks": sorted(n for n, b in op.blocks.items() if b.withheld),
                "pending": len(op.pending), "utxos": len(op.view.utxos),
                "exit_queue": {"length": self.call("queue_length", ETH),
                               "next": None if top == 0 else {"utxo_pos": top, "exitable_at": top_time}},
                "refused": [{"id": i, "reason": r} for i, r in op.refused[-RECENT_BLOCKS:]],
                "recovered": op.recovered, "reorganisations": op.reorganisations,
                "l1_block": op.synced_block,
            }

    def call(self, method: str, *args: Any) -> Any:
        return self.l1.call(self.address, RootChain, method, *args)

    def utxos(self, owner: Any) -> dict[str, Any]:
        """The unspent outputs of ``owner`` in the operator's view (blocks L1 holds), oldest first."""
        address = parse_address(owner, "owner")
        with self.lock:
            op = self.operator
            op.sync()
            mine = sorted((p, o) for p, o in op.view.utxos.items() if int(o.owner, 16) == int(address, 16))
            rows = []
            for pos, out in mine:
                blknum, txindex, oindex = R.decode_utxo_pos(pos)
                rows.append({"utxo_pos": pos, "blknum": blknum, "txindex": txindex, "oindex": oindex,
                             "amount": str(out.amount), "deposit": blknum % CHILD_BLOCK_INTERVAL != 0,
                             "spend_pending": pos in op._pending_spent})
            return {"owner": address, "utxos": rows, "balance": str(sum(o.amount for _, o in mine))}

    def block(self, blknum: Any) -> dict[str, Any]:
        """Operator block ``blknum`` as served: its root and transactions; KeyError if unknown or withheld."""
        number = as_integer(blknum)
        if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= R.MAX_BLKNUM:
            raise FormError(f"blknum must be a block number in 1..{R.MAX_BLKNUM}, got {blknum!r:.40}")
        if number % CHILD_BLOCK_INTERVAL:
            raise KeyError(f"block {number} is a deposit block: L1 holds its one transaction (its DepositCreated "
                           "event); exit it with start_deposit_exit")
        with self.lock:
            found = self.operator.blocks.get(number)
            if found is None:
                raise KeyError(f"no operator block {number}: the next one is {self.operator.call_current()}")
            if found.withheld:
                raise KeyError(f"block {number} is withheld: its root is on L1, its transactions are not served")
            return {"blknum": number, "root": "0x" + found.root.hex(),
                    "transactions": [tx_json(t, number, i) for i, t in enumerate(found.txs)]}

    def transaction(self, ident: Any) -> dict[str, Any]:
        """Where a submitted transaction is: pending, included (block and index) or refused (why)."""
        ident = parse_id(ident)
        with self.lock:
            op = self.operator
            where = op.position_of(ident)
            if where is not None:
                blknum, txindex = where
                block = op.blocks[blknum]
                return {**tx_json(block.txs[txindex], blknum, txindex), "status": "included",
                        "root": "0x" + block.root.hex(), "withheld": block.withheld,
                        "confirmed": ident in op.confirmations}
            for signed in op.pending:
                if tx_id(signed) == ident:
                    return {**tx_json(signed), "status": "pending", "next_block": op.call_current()}
            for refused, reason in reversed(op.refused):
                if refused == ident:
                    return {"id": ident, "status": "refused", "reason": reason}
        raise KeyError(f"no transaction {ident} at this operator")

    def _included(self, blknum: int, txindex: int) -> tuple[Block, R.SignedTransaction]:
        block = self.operator.blocks.get(blknum)
        if block is None or block.withheld or txindex >= len(block.txs):
            raise KeyError(f"no served transaction at block {blknum}, index {txindex}")
        return block, block.txs[txindex]

    def proof(self, utxo_pos: Any) -> dict[str, Any]:
        """What ``start_exit`` of an operator block's output takes: the transaction, its proof, confirmations."""
        pos = parse_position(utxo_pos)
        blknum, txindex, oindex = R.decode_utxo_pos(pos)
        if blknum % CHILD_BLOCK_INTERVAL:
            raise KeyError(f"position {pos} is in deposit block {blknum}: start_deposit_exit needs no proof")
        with self.lock:
            block, signed = self._included(blknum, txindex)
            out = signed.tx.outputs[oindex]
            if out.is_empty:
                raise KeyError(f"position {pos}: output {oindex} of that transaction is empty")
            sigs = self.operator.confirmations.get(tx_id(signed))
            return {"utxo_pos": pos, "owner": out.owner, "amount": str(out.amount), "root": "0x" + block.root.hex(),
                    "tx": "0x" + signed.encode().hex(), "proof": "0x" + block.tree.proof(txindex).hex(),
                    "confirmations": None if sigs is None else "0x" + sigs.hex(), "id": tx_id(signed)}

    def spend(self, utxo_pos: Any) -> dict[str, Any]:
        """The served transaction spending ``utxo_pos``, with its proof and confirmations (to challenge an exit)."""
        pos = parse_position(utxo_pos)
        with self.lock:
            op = self.operator
            for blknum in sorted(op.blocks):
                block = op.blocks[blknum]
                if block.withheld:
                    continue
                for txindex, signed in enumerate(block.txs):
                    if pos in signed.tx.spent:
                        sigs = op.confirmations.get(tx_id(signed))
                        return {"utxo_pos": pos, "spend_pos": R.tx_pos(blknum, txindex),
                                "input_index": signed.tx.inputs.index(pos),
                                "blknum": blknum, "txindex": txindex, "id": tx_id(signed),
                                "tx": "0x" + signed.encode().hex(), "proof": "0x" + block.tree.proof(txindex).hex(),
                                "root": "0x" + block.root.hex(),
                                "confirmations": None if sigs is None else "0x" + sigs.hex()}
        raise KeyError(f"no served block spends position {pos}")

    def confirmation(self, ident: Any) -> dict[str, Any]:
        ident = parse_id(ident)
        with self.lock:
            sigs = self.operator.confirmations.get(ident)
        if sigs is None:
            raise KeyError(f"no confirmation of transaction {ident} has been posted")
        return {"id": ident, "confirmations": "0x" + sigs.hex()}

    def exits(self) -> dict[str, Any]:
        """The latest exits started on L1 and the state each is in now."""
        events = self.l1.events(self.address, RootChain, "ExitStarted")
        rows = []
        for e in events[-LISTED_EXITS:]:
            state = self.call("exit_info", e["utxo_pos"])[2]  # a paid exit's record is cleared, its event kept
            rows.append({"utxo_pos": e["utxo_pos"], "owner": to_checksum_address(e["owner"]),
                         "amount": str(e["amount"]), "state": STATE_NAMES[state], "exitable_at": e["exitable_at"],
                         "exitable_block": e["exitable_block"], "l1_block": e["blockNumber"]})
        return {"started": len(events), "exits": rows, "queue_length": self.call("queue_length", ETH)}

    # -- writes -----------------------------------------------------------------------------------------

    def submit(self, body: Any) -> dict[str, Any]:
        """Admit a signed transaction (its 218 bytes in hex) to the next block."""
        fields = _body(body, {"tx": True})
        data = parse_hex(fields["tx"], "tx", R.SIGNED_TX_BYTES)
        with self.lock:
            ident = self.operator.submit(data)
            return {"id": ident, "status": "pending", "next_block": self.operator.call_current()}

    def confirm(self, body: Any) -> dict[str, Any]:
        """Keep the confirmations of an included transaction (one 65-byte signature per input)."""
        fields = _body(body, {"id": True, "confirmations": True})
        ident = parse_id(fields["id"])
        sigs = parse_hex(fields["confirmations"], "confirmations")
        if len(sigs) not in (R.SIG_BYTES, R.CONFIRMATIONS_BYTES):
            raise FormError(f"confirmations must be one or two 65-byte signatures, got {len(sigs)} bytes")
        if len(sigs) == R.SIG_BYTES:
            sigs += R.EMPTY_SIGNATURE  # the unused second input's zero bytes (a two-input spend is refused below)
        with self.lock:
            self.operator.post_confirmation(ident, sigs)
        return {"id": ident, "confirmed": True}

    def make_block(self, body: Any = None) -> dict[str, Any]:
        """Put the pending transactions in a block now; ``withhold`` makes it the data-withholding attack."""
        fields = _body({} if body is None else body, {"withhold": False})
        withhold = fields.get("withhold", False)
        if not isinstance(withhold, bool):
            raise FormError(f"withhold must be true or false, got {withhold!r:.40}")
        with self.lock:
            block = self.operator.make_block()
            if block is None:
                raise PlasmaRefused("nothing pending", "no admitted transaction waits for a block")
            if withhold:
                self.operator.withhold(block.blknum)
            self.blocks_made += 1
            return self._block_summary(block)

    def withhold(self, blknum: Any) -> dict[str, Any]:
        """Stop serving operator block ``blknum`` (the data-withholding attack)."""
        number = as_integer(blknum)
        with self.lock:
            if isinstance(number, bool) or number not in self.operator.blocks:
                raise KeyError(f"no operator block {blknum!r:.40} to withhold")
            self.operator.withhold(number)
            return self._block_summary(self.operator.blocks[number])

    def shutdown(self) -> None:
        with self.lock:
            self.operator.close()
