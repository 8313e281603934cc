"""More Viable Plasma for a Plasma user: in-flight exits of transactions the operator may withhold.

A user who broadcast a transaction (or received one) cannot always know
whether the operator included it: the block may be withheld, or never made.
MVP made the sender sign a confirmation once the block was out, and without
it the recipient could not exit; MoreVP needs no confirmation. Anyone holding
the signed transaction starts its in-flight exit (:meth:`MoreVP.start`): the
inputs' creating transactions and inclusion proofs, all of which the user's
:class:`~plasma.watcher.Watcher` holds from the blocks it validated (and
L1's deposits). Each owner then piggybacks what is theirs
(:meth:`MoreVP.piggyback`): a recipient its output, a sender its change and,
not knowing whether the transaction is canonical, its inputs. The root chain
pays the outputs if the transaction is canonical and the inputs if not.

:meth:`MoreVP.poll` is the watcher's part: it reads the in-flight exits
started on L1 (their calldata reveals the transactions), and for each one it
shows the oldest competitor it knows in the first phase, responds with the
transaction's inclusion in the second when the transaction is older, and
challenges a piggyback of an input or output it knows spent. It challenges a
standard exit of an input of a canonical in-flight transaction, and of an
output an in-flight exit paid. What it knows: the transactions of the blocks
its watcher validated, those it was handed (:meth:`MoreVP.remember`) and
those in-flight exits revealed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_abi import decode as abi_decode

from contracts_spec.l1 import TransactionReverted
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import CHILD_BLOCK_INTERVAL
from contracts_spec.runtime.abi import selector
from plasma.watcher import Watcher
from primitives import merkle

_START = selector("start_in_flight_exit(bytes,bytes,bytes)")
DEPOSIT_PROOF = merkle.ZERO_HASH * R.TREE_DEPTH  # a deposit block's one transaction: every sibling is padding
STARTED, FINALIZED = 1, 3
PB_INPUT, PB_OUTPUT, PAID_OUTPUT, SETTLED_CANONICAL = 0, 2, 4, 6


def tx_hash(signed: R.SignedTransaction) -> bytes:
    """An in-flight exit's id: the hash of the unsigned transaction."""
    return signed.tx.hash()


@dataclass
class MoreVP:
    """The in-flight exits of the owner of ``watcher``'s key, and the watch on everyone's."""

    watcher: Watcher
    known: dict[bytes, R.SignedTransaction] = field(default_factory=dict)
    in_flight: dict[bytes, R.SignedTransaction] = field(default_factory=dict)
    actions: list[tuple[str, bytes | int]] = field(default_factory=list)
    synced_block: int = -1

    def __post_init__(self) -> None:
        w = self.watcher
        self.l1, self.address, self.key, self.owner = w.l1, w.address, w.key, w.owner
        self.in_flight_bond, self.piggyback_bond = self.l1.call(self.address, RootChain, "in_flight_bonds")
        self._where: dict[bytes, tuple[int, int]] = {}  # transaction hash -> (block, index) in validated blocks
        self._indexed: set[int] = set()
        self._open: set[bytes] = set()
        self._standard: set[int] = set()  # standard exits started, not yet settled here

    def _send(self, method: str, *args, value: int = 0) -> dict:
        return self.l1.transact(self.key, self.address, RootChain, method, *args, value=value)

    def remember(self, signed: R.SignedTransaction) -> None:
        """Keep a transaction the user sent or was handed: it may need an in-flight exit, or disprove one."""
        self.known[tx_hash(signed)] = signed

    def info(self, signed_or_hash: R.SignedTransaction | bytes) -> tuple:
        """The root chain's record of an in-flight exit (``RootChain.in_flight_exit``)."""
        h = signed_or_hash if isinstance(signed_or_hash, bytes) else tx_hash(signed_or_hash)
        return self.l1.call(self.address, RootChain, "in_flight_exit", h)

    # -- the user's own in-flight exits ------------------------------------------------------------------

    def _creating(self, pos: int) -> tuple[R.SignedTransaction, bytes]:
        """The transaction that created ``pos`` and its inclusion proof, from L1's deposits or a validated block."""
        blknum, txindex, _ = R.decode_utxo_pos(pos)
        if blknum % CHILD_BLOCK_INTERVAL:
            for e in self.l1.events(self.address, RootChain, "DepositCreated"):
                if e["blknum"] == blknum:
                    return R.SignedTransaction.unsigned_deposit(e["depositor"], e["amount"]), DEPOSIT_PROOF
        elif blknum in self.watcher.blocks:
            block = self.watcher.blocks[blknum]
            return block.txs[txindex], block.tree.proof(txindex)
        raise R.PlasmaRuleError("unknown input", f"position {pos} is in no block this client validated")

    def start(self, signed: R.SignedTransaction) -> dict:
        """Start the in-flight exit of ``signed`` (bonded): its inputs' transactions and proofs, no confirmation."""
        self.remember(signed)
        creating = [self._creating(p) for p in signed.tx.spent]
        receipt = self._send("start_in_flight_exit", signed.encode(), b"".join(t.encode() for t, _ in creating),
                             b"".join(p for _, p in creating), value=self.in_flight_bond)
        self.actions.append(("start", tx_hash(signed)))
        return receipt

    def piggyback(self, signed: R.SignedTransaction, *, inputs: bool = True, outputs: bool = True) -> list[dict]:
        """Piggyback every input and output of ``signed`` the owner holds (each bonded) not piggybacked yet."""
        h = tx_hash(signed)
        flags = self.info(h)[2]
        receipts = []
        mine = int(self.owner, 16)
        for i in range(len(signed.tx.spent)) if inputs else ():
            owner = self.l1.call(self.address, RootChain, "in_flight_input", h, i)[1]
            if int(owner, 16) == mine and not flags >> (PB_INPUT + i) & 1:
                receipts.append(self._send("piggyback_input", signed.encode(), i, value=self.piggyback_bond))
                self.actions.append(("piggyback_input", h))
        for j, out in enumerate(signed.tx.outputs) if outputs else ():
            if not out.is_empty and int(out.owner, 16) == mine and not flags >> (PB_OUTPUT + j) & 1:
                receipts.append(self._send("piggyback_output", signed.encode(), j, value=self.piggyback_bond))
                self.actions.append(("piggyback_output", h))
        return receipts

    def exit_in_flight(self, signed: R.SignedTransaction, *, inputs: bool = True) -> list[dict]:
        """Start ``signed``'s in-flight exit unless someone has, then piggyback what the owner holds in it."""
        receipts = [] if self.info(signed)[1] else [self.start(signed)]
        return receipts + self.piggyback(signed, inputs=inputs)

    # -- the watch ----------------------------------------------------------------------------------------

    def poll(self) -> None:
        """Read L1 once: in-flight and standard exits started; challenge or respond where the client can."""
        for blknum in sorted(set(self.watcher.blocks) - self._indexed):
            for txindex, t in enumerate(self.watcher.blocks[blknum].txs):
                self._where[tx_hash(t)] = (blknum, txindex)
                self.known.setdefault(tx_hash(t), t)
            self._indexed.add(blknum)
        number = self.l1.block_number()
        lo = self.synced_block + 1
        if number >= lo:
            for e in self.l1.events(self.address, RootChain, "InFlightExitStarted", lo, number):
                signed = self._harvest(e["transactionHash"])
                if signed is not None:
                    self.in_flight[e["tx_hash"]] = signed
                    self.known.setdefault(e["tx_hash"], signed)
                    self._open.add(e["tx_hash"])
            self._standard |= {e["utxo_pos"] for e in self.l1.events(self.address, RootChain, "ExitStarted", lo,
                                                                     number)}
            self.synced_block = number
        for h in sorted(self._open):
            self._referee(h)
        for pos in sorted(self._standard):
            self._check_standard(pos)

    def _harvest(self, l1_tx: str) -> R.SignedTransaction | None:
        tx = self.l1.rpc("eth_getTransactionByHash", l1_tx)
        data = bytes.fromhex((tx or {}).get("input", "0x")[2:])
        if data[:4] != _START:
            return None
        try:
            return R.SignedTransaction.decode(abi_decode(["bytes", "bytes", "bytes"], data[4:])[0])
        except (R.PlasmaRuleError, ValueError, TypeError):
            return None  # L1 accepted the exit, so this cannot happen

    def _phase(self, info: tuple) -> int:
        # The next transaction runs in the next L1 block.
        now = (self.l1.timestamp(), self.l1.block_number() + 1)
        return R.in_flight_phase(now, (info[5], info[6]), (info[7], info[8]))

    def _position(self, h: bytes) -> int:
        """A known transaction's position (its output 0's) in a validated block; NOT_INCLUDED if it is in none."""
        where = self._where.get(h)
        return R.NOT_INCLUDED if where is None else R.tx_pos(*where)

    def _proof(self, h: bytes) -> bytes:
        blknum, txindex = self._where[h]
        return self.watcher.blocks[blknum].tree.proof(txindex)

    def _spends(self, signed: R.SignedTransaction, pos: int) -> list[tuple[int, bytes]]:
        """Known transactions besides ``signed`` spending ``pos``: (position, hash), oldest first."""
        own = tx_hash(signed)
        return sorted((self._position(h), h) for h, t in self.known.items() if h != own and pos in t.tx.spent)

    def _try(self, action: str, subject: bytes | int, method: str, *args) -> None:
        try:
            self._send(method, *args)
            self.actions.append((action, subject))
        except TransactionReverted:
            pass  # someone else acted first, or the phase just ended

    def _referee(self, h: bytes) -> None:
        info = self.info(h)
        if info[1] != STARTED:
            self._open.discard(h)
            return
        signed, flags, competitor, tx_pos = self.in_flight[h], info[2], info[3], info[4]
        phase = self._phase(info)
        data = signed.encode()
        if phase == R.FIRST_PHASE:
            best = min(((p, c, i) for i, pos in enumerate(signed.tx.spent) for p, c in self._spends(signed, pos)),
                       default=None)
            own = self._position(h)  # a transaction included before every competitor it knows is canonical
            if best is not None and (competitor == 0 or best[0] < competitor) and \
                    (own == R.NOT_INCLUDED or best[0] < own):
                position, c, i = best
                included = position != R.NOT_INCLUDED
                self._try("challenge", h, "challenge_in_flight_exit_not_canonical", data, i, self.known[c].encode(),
                          position if included else 0, self._proof(c) if included else b"")
        if phase == R.SECOND_PHASE and competitor and not tx_pos and h in self._where:
            position = self._position(h)
            if position < competitor:
                self._try("respond", h, "respond_to_non_canonical_challenge", data, position, self._proof(h))
        if phase in (R.FIRST_PHASE, R.SECOND_PHASE):
            for i, pos in enumerate(signed.tx.spent):
                spends = self._spends(signed, pos)
                if flags >> (PB_INPUT + i) & 1 and spends:
                    self._try("challenge_input", h, "challenge_piggybacked_input_spent", data, i,
                              self.known[spends[0][1]].encode())
            if h in self._where:
                position = self._position(h)
                for j in (0, 1):
                    if not flags >> (PB_OUTPUT + j) & 1:
                        continue
                    spends = self._spends(signed, position + j)
                    exiting = self.l1.call(self.address, RootChain, "exit_info", position + j)[2] in (1, 3)
                    if spends or exiting:
                        spend = self.known[spends[0][1]].encode() if spends else b""
                        self._try("challenge_output", h, "challenge_piggybacked_output_spent", data, position,
                                  self._proof(h), j, spend)

    def _check_standard(self, pos: int) -> None:
        """Challenge a standard exit of an input of a canonical in-flight transaction, or of an output one paid."""
        if self.l1.call(self.address, RootChain, "exit_info", pos)[2] != 1:
            self._standard.discard(pos)
            return
        for h, signed in self.in_flight.items():
            info = self.info(h)
            state, flags, competitor, tx_pos = info[1], info[2], info[3], info[4]
            if pos in signed.tx.spent:
                exited = any(self.l1.call(self.address, RootChain, "exit_info", p)[2] == 3 for p in signed.tx.spent)
                canonical = (R.is_canonical(competitor, tx_pos) and not exited if state == STARTED
                             else bool(flags >> SETTLED_CANONICAL & 1))
                if canonical:
                    self._try("challenge_standard", pos, "challenge_standard_exit_in_flight", pos, signed.encode(),
                              0, b"")
                    self._standard.discard(pos)
                    return
            elif state == FINALIZED and h in self._where:
                position = self._position(h)
                j = pos - position
                if j in (0, 1) and flags >> (PAID_OUTPUT + j) & 1:
                    self._try("challenge_standard", pos, "challenge_standard_exit_in_flight", pos, signed.encode(),
                              position, self._proof(h))
                    self._standard.discard(pos)
                    return
