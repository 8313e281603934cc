"""Plasma MVP's workshop scenarios for ``l2lab demo``, narrated step by step.

``l2lab demo plasma`` walks the honest path: Alice deposits on the root
chain and pays Bob and Carol over three child blocks. The operator puts one
Merkle root per block on L1 and nothing else: the gas of each block, and per
transaction, shows that a root costs the same whatever its block holds.
Each spender confirms its spend once the block is on L1; Bob exits both
outputs he holds, each with a bond, waits out the exit period and
finalizes: paid in full with his bonds back, and the root chain holds
exactly what is still on the child chain. ``plasma-double-spend`` has
Mallory pay Bob, then start the exit of the deposit she spent; Bob's
watcher challenges it with her spend and the confirmation she signed for
him, her exit is removed and her bond is Bob's. ``plasma-withheld`` has the
operator submit the root of a block it never serves, in which it spends
Alice's coin with its own signature and mints itself 20 ETH. Nobody can
prove what a block nobody has seen holds, so once its data is not served by
the deadline every watcher raises the alarm and its user exits everything
it holds, oldest first; the thief's exit, though started first, is queued
behind them (its output is younger), the honest users are paid in full, and
the thief finds only its own bond left. ``plasma-exit-twice``
(omisego/plasma-mvp issue 90) has Mallory pay herself, keep the
confirmation of that spend to herself and exit both the old output and the
new one; the new exit's calldata reveals the confirmation, Bob's watcher
reads it there and challenges the old exit, and nothing is paid twice.
``plasma-in-flight`` shows why More Viable Plasma drops the confirmation:
Alice pays Bob 3 ETH in a block the operator never serves, Alice (who
confirms only what she has seen) never confirms, and Bob's MVP
``start_exit`` is refused on L1 for want of her confirmation. With MoreVP
Bob starts the transaction's in-flight exit and piggybacks his output,
Alice piggybacks her change, and after the exit period both are paid, Bob
with his bonds back, with no confirmation signature made at any point;
Alice's input, spent by the canonical transaction, is recorded so and
never exits. In contrast a joint payment from Alice and Mallory to Bob,
whose input Mallory spent first in an included block, is not canonical:
Carol's watcher shows Mallory's spend in the first phase (and against
Mallory's piggyback of her input), nobody can respond in the second, and
the exit pays Alice's input back, Bob's output nothing but his bond, and
Mallory's bonds to Carol. The root chain ends holding exactly the 1 ETH
still on the child chain.

Every scenario runs on its own in-process L1, the ``minimal`` preset by
default (an exit period of 5 blocks and 60 s, a 0.01 ETH bond); blocks and
their 12-second slots are walked through by time travel, never waited for.
Every user who watches runs a watcher (``plasma.watcher.Watcher``) that
validates each block, confirms its spends and plays the exit game (in
``plasma-in-flight`` Carol's also plays the in-flight exit game,
``plasma.morevp.MoreVP``); the gas of every L1 call comes from its receipt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from eth_utils import to_checksum_address

from contracts_spec.l1 import L1Client, TransactionReverted
from node.narration import ETH, Narrator, eth

if TYPE_CHECKING:
    from contracts_spec.interfaces import Demo
    from contracts_spec.plasma.rules import SignedTransaction
    from plasma.morevp import MoreVP
    from plasma.operator import Block
    from plasma.watcher import Watcher

Result = tuple[int, dict]
NAMES = ("operator", "alice", "bob", "carol", "mallory")
SLOT_SECONDS = 12
MAX_MINE_STEP = 1_000  # blocks mined at once while a long exit period passes (the chain's own cap per call)
# The OMG Network's published gas of a challenge and of processing one exit (omgnetwork/plasma-contracts,
# plasma_framework: PaymentStandardExitRouter.sol and ExitBounty.sol), shown beside l2lab's.
OMG_GAS = {"challenge_exit": 70_000, "finalize_exits_per_exit": 107_000}
STATE_WORDS = {0: "not started", 1: "started", 2: "challenged", 3: "finalized"}


def _gas(receipt: dict) -> int:
    return int(str(receipt["gasUsed"]), 0)


def _fee(receipt: dict) -> int:
    return _gas(receipt) * int(str(receipt.get("effectiveGasPrice", "0x0")), 0)


class _RecordingL1(L1Client):
    """An ``L1Client`` over the same transport that keeps ``(method, receipt)`` of every contract call it sends.

    A call the chain mined and reverted is kept too (it paid gas); one the gas
    estimate refused before sending is not.
    """

    def __init__(self, base: L1Client) -> None:
        super().__init__(base.transport, receipt_timeout=base.receipt_timeout)
        self.receipts: list[tuple[str, dict]] = []

    def transact(self, key: bytes, address: str, contract_cls: Any, method: str, *args: Any, value: int = 0,
                 gas: int | None = None, check: bool = True, tip: int | None = None,
                 max_fee: int | None = None) -> dict:
        try:
            receipt = super().transact(key, address, contract_cls, method, *args, value=value, gas=gas, check=check,
                                       tip=tip, max_fee=max_fee)
        except TransactionReverted as exc:
            if exc.receipt:
                self.receipts.append((method, exc.receipt))
            raise
        self.receipts.append((method, receipt))
        return receipt


class _World:
    """A root chain on its own in-process L1, its operator, and a watcher for each user (``DemoLab``)."""

    def __init__(self, preset_name: str, users: tuple[str, ...]) -> None:
        from contracts_spec import evm
        from contracts_spec.plasma.contract import RootChain
        from contracts_spec.plasma.params import get_preset
        from contracts_spec.runtime import deploy_data
        from node.demo_l1 import demo_l1
        from node.devaccounts import derive_dev_accounts
        from plasma.operator import Operator
        from plasma.watcher import Watcher

        accounts = derive_dev_accounts(len(NAMES))
        self.l1 = _RecordingL1(demo_l1([a.address for a in accounts], 100 * ETH))
        self.keys = {name: a.private_key for name, a in zip(NAMES, accounts, strict=True)}
        self.addresses = {name: a.address for name, a in zip(NAMES, accounts, strict=True)}
        self.preset = get_preset(preset_name)
        args = self.preset.constructor_args(self.addresses["operator"])
        data = deploy_data(RootChain, *args) if self.l1.toy else evm.deploy_data(RootChain, *args)
        self.deploy_receipt = self.l1.send(self.keys["operator"], to=None, data=data)
        self.root_chain: str = to_checksum_address(self.deploy_receipt["contractAddress"])
        self.operator = Operator(self.l1, self.root_chain, self.keys["operator"])
        op = self.operator
        self.watchers: dict[str, Watcher] = {
            name: Watcher(self.l1, self.root_chain, self.keys[name], fetch=op.served_block,
                          confirmations=op.confirmations.get, post=op.post_confirmation)
            for name in users}
        # MoreVP clients that play the in-flight exit game at every poll (plasma.morevp.MoreVP.poll).
        self.morevp: dict[str, MoreVP] = {}
        self.reference = self.watchers[users[0]]
        self.bond = self.preset.exit_bond
        self.seen = 0

    # -- DemoLab ----------------------------------------------------------------------------------------

    def address(self, name: str) -> str:
        return self.addresses[name]

    def l1_balance(self, name: str) -> int:
        return self.l1.balance(self.address(name))

    def l2_balance(self, name: str) -> int:
        """What ``name`` holds on the child chain and has not been paid out on L1 yet."""
        held = self.holdings(name)
        return held["plasma_wei"] + held["exiting_wei"]

    def holdings(self, name: str) -> dict[str, int]:
        """L1 ETH; outputs on the child chain not exiting; outputs exiting; bonds of exits still open.

        The child chain is read in the first user's watcher's view (the last valid block it checked), the
        same for everyone: a person without a watcher still holds outputs, and a withheld block adds none.
        """
        held = {"l1_wei": self.l1_balance(name), "plasma_wei": 0, "exiting_wei": 0, "bond_wei": 0}
        owner = int(self.address(name), 16)
        for pos, output in sorted(self.reference.utxos.items()):
            if int(output.owner, 16) != owner:
                continue
            state = self.exit_state(pos)
            if state == 0:
                held["plasma_wei"] += output.amount
            elif state == 1:
                held["exiting_wei"] += output.amount
        held["bond_wei"] = self.bond * sum(1 for e in self.exits_started()
                                           if self.name_of(e["owner"]) == name and self.exit_state(e["utxo_pos"]) == 1)
        held["bond_wei"] += self.in_flight_bonds_of(owner)
        return held

    def in_flight_bonds_of(self, owner: int) -> int:
        """The in-flight and piggyback bonds that open in-flight exits will pay back to ``owner`` (as things stand)."""
        total = 0
        for h in self.in_flight_hashes():
            info = self.call("in_flight_exit", h)
            if info[1] != 1:
                continue
            if int(info[0], 16) == owner:
                total += self.preset.in_flight_bond
            for i in (0, 1):
                if info[2] >> i & 1 and int(self.call("in_flight_input", h, i)[1], 16) == owner:
                    total += self.preset.piggyback_bond
            for j in (0, 1):
                if info[2] >> (2 + j) & 1 and int(self.call("in_flight_output", h, j)[0], 16) == owner:
                    total += self.preset.piggyback_bond
        return total

    # -- reading L1 -------------------------------------------------------------------------------------

    def name_of(self, address: str) -> str:
        return next((n for n, a in self.addresses.items() if a.lower() == str(address).lower()), str(address))

    def call(self, method: str, *args: Any) -> Any:
        from contracts_spec.plasma.contract import RootChain

        return self.l1.call(self.root_chain, RootChain, method, *args)

    def events(self, event: str) -> list[dict]:
        from contracts_spec.plasma.contract import RootChain

        return self.l1.events(self.root_chain, RootChain, event)

    def exit_state(self, pos: int) -> int:
        return int(self.call("exit_info", pos)[2])

    def exits_started(self) -> list[dict]:
        return self.events("ExitStarted")

    def held(self) -> int:
        """The wei the root chain holds."""
        return self.l1.balance(self.root_chain)

    def in_flight_hashes(self) -> list[bytes]:
        """The transaction hash of every in-flight exit started, once each, in the order they started."""
        return list(dict.fromkeys(e["tx_hash"] for e in self.events("InFlightExitStarted")))

    def in_flight(self, signed: SignedTransaction) -> tuple:
        """The root chain's record of ``signed``'s in-flight exit (``RootChain.in_flight_exit``)."""
        return self.call("in_flight_exit", signed.tx.hash())

    # -- acting -----------------------------------------------------------------------------------------

    def send(self, name: str, method: str, *args: Any, value: int = 0, gas: int | None = None) -> dict:
        """``name`` calls the root chain's ``method`` directly (not through its watcher)."""
        from contracts_spec.plasma.contract import RootChain

        return self.l1.transact(self.keys[name], self.root_chain, RootChain, method, *args, value=value, gas=gas)

    def poll(self) -> None:
        """Every watcher reads L1 and the operator once (blocks to validate, exits to challenge)."""
        for watcher in self.watchers.values():
            watcher.poll()
        for client in self.morevp.values():
            client.poll()

    def advance(self, blocks: int = 1, step: int = 1) -> None:
        """Let ``blocks`` L1 blocks pass, 12 s each, ``step`` at a time, every watcher reading after each step."""
        while blocks > 0:
            count = min(step, blocks)
            self.l1.rpc("anvil_mine", hex(count), hex(SLOT_SECONDS))
            blocks -= count
            self.poll()

    def deposit(self, name: str, amount: int) -> int:
        """``name`` deposits ``amount`` on the root chain; the deposit block's number."""
        self.send(name, "deposit", value=amount)
        created = [e for e in self.events("DepositCreated") if self.name_of(e["depositor"]) == name][-1]
        self.advance()
        return int(created["blknum"])

    def pay(self, n: Narrator, frm: str, to: str, amount: int) -> str:
        """``frm``'s watcher signs a payment to ``to`` and hands it to the operator; its id."""
        signed = self.watchers[frm].pay(self.address(to), amount)
        ident = self.operator.submit(signed)
        n.flow(frm, to, amount)
        return ident

    def block(self) -> Block:
        """The operator makes the next block of what it admitted and submits its root; the watchers validate it."""
        block = self.operator.make_block()
        if block is None:
            raise RuntimeError("the operator has nothing to put in a block")
        self.advance()
        return block

    def wait_for_exits(self, n: Narrator) -> int:
        """Walk L1 until every open exit is due, in seconds and in blocks; the blocks walked."""
        due = [self.call("exit_info", e["utxo_pos"]) for e in self.exits_started()]
        due = [info for info in due if info[2] == 1]
        if not due:
            return 0
        return self.walk_to(n, max(info[3] for info in due), max(info[4] for info in due), "the last of them is due")

    def walk_to(self, n: Narrator, when: int, at_block: int, what: str) -> int:
        """Walk L1 until the next transaction runs at time ``when`` and L1 block ``at_block`` or later; blocks walked."""
        head = self.l1.block_number()
        seconds = when - self.l1.timestamp()
        blocks = max(0, at_block - (head + 1), -(-seconds // SLOT_SECONDS))
        step = min(MAX_MINE_STEP, max(1, self.preset.exit_period_blocks // 10))
        n.note(f"{what} at L1 block {at_block:,} and time {when:,}: {blocks:,} blocks of "
               f"{SLOT_SECONDS} s pass (time travel), every watcher reading them")
        self.advance(blocks, step)
        return blocks

    # -- telling it -------------------------------------------------------------------------------------

    def l1_news(self, n: Narrator) -> list[dict]:
        """Say and record every root chain call sent since the last one; their records."""
        out = []
        for method, receipt in self.l1.receipts[self.seen:]:
            who = self.name_of(str(receipt.get("from")))
            n.record(method, receipt)
            omg = OMG_GAS.get(method)
            beside = f" (OMG Network: ~{omg:,})" if omg else ""
            failed = "" if int(str(receipt.get("status", "0x1")), 0) == 1 else ", reverted"
            n.note(f"L1: {who} sends {method}: {_gas(receipt):,} L1 gas{beside}{failed}")
            out.append({"call": method, "by": who, "gas": _gas(receipt), "fee_wei": str(_fee(receipt)),
                        "status": "reverted" if failed else "ok"})
        self.seen = len(self.l1.receipts)
        return out

    def queue(self, n: Narrator) -> list[dict]:
        """The open exits in the order ``finalize_exits`` pays them: lowest priority key first."""
        from contracts_spec.plasma.rules import decode_utxo_pos, exit_priority

        rows = []
        for e in self.exits_started():
            if self.exit_state(e["utxo_pos"]) == 1:
                rows.append({"owner": self.name_of(e["owner"]), "utxo_pos": e["utxo_pos"], "amount": str(e["amount"]),
                             "exitable_at": e["exitable_at"], "exitable_block": e["exitable_block"],
                             "priority": exit_priority(e["exitable_at"], e["utxo_pos"])})
        rows.sort(key=lambda r: r["priority"])
        for i, row in enumerate(rows, 1):
            blknum, txindex, oindex = decode_utxo_pos(row["utxo_pos"])
            n.note(f"{i}. {row['owner']}: {eth(int(row['amount']))} at block {blknum}, tx {txindex}, output "
                   f"{oindex}; due at time {row['exitable_at']:,}, L1 block {row['exitable_block']:,}")
        for row in rows:
            row["priority"] = str(row["priority"])
        return rows

    def payouts(self, n: Narrator | None = None) -> list[dict]:
        """Every exit ``finalize_exits`` paid, in the order it paid them."""
        rows = []
        for e in self.events("ExitFinalized"):
            row = {"owner": self.name_of(e["owner"]), "utxo_pos": e["utxo_pos"], "amount": str(e["amount"]),
                   "paid": str(e["paid"])}
            rows.append(row)
            if n is not None:
                short = "" if e["paid"] == e["amount"] + self.bond else " (all the root chain had left)"
                n.note(f"paid {row['owner']}: {eth(e['paid'])} for an exit of {eth(e['amount'])} and its bond{short}")
        return rows

    def close(self) -> None:
        self.operator.close()


def _narrator(world: _World, people: tuple[str, ...], out: TextIO | None, honest: tuple[str, ...]) -> Narrator:
    return Narrator(world, people, out, honest=honest, holdings=world.holdings)


def _summary(n: Narrator, world: _World, scenario: str, verdict: str, ok: bool, **extra: object) -> dict:
    """The summary every Plasma demo ends with; ``ok`` holds only if no honest user lost a wei."""
    world.poll()
    context = {"root_chain": world.root_chain, "operator": world.address("operator"),
               "root_chain_balance_wei": str(world.held()), "exit_bond_wei": str(world.bond),
               "exit_period": {"blocks": world.preset.exit_period_blocks,
                               "seconds": world.preset.exit_period_seconds}}
    summary = n.summary(scenario, verdict, ok, preset=world.preset.name, context=context, **extra)
    lost = {name: int(u["lost_wei"]) for name, u in summary["users"].items() if "lost_wei" in u}
    summary["ok"] = ok and not any(lost.values())
    return summary


def _gain(n: Narrator, world: _World, name: str) -> int:
    """What ``name`` holds beyond its start, the payments the script made and its L1 fees."""
    return sum(world.holdings(name).values()) - sum(n.start[name].values()) - n.moved[name] + n.fees[name]


def _code(summary: dict) -> int:
    return 0 if summary["ok"] else 1


def _introduce(world: _World, n: Narrator) -> None:
    p = world.preset
    n.say(f"The operator deploys the Plasma root chain at {world.root_chain} ({_gas(world.deploy_receipt):,} L1 gas; "
          f"preset {p.name!r}: an exit period of {p.exit_period_blocks:,} L1 blocks and {p.exit_period_seconds:,} s, "
          f"a bond of {eth(p.exit_bond)} per exit). A watcher checks every block for {_names(tuple(world.watchers))}.")


def _names(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _run(body: Callable[[_World], Result], preset: str, users: tuple[str, ...]) -> Result:
    world = _World(preset, users)
    try:
        return body(world)
    finally:
        world.close()


# -- plasma: the honest path ---------------------------------------------------------------------------------


def demo_plasma(preset: str, out: TextIO | None = None) -> Result:
    """Plasma MVP: a deposit, payments over three child blocks (one root each on L1), an exit, finalized."""

    def body(world: _World) -> Result:
        from contracts_spec.plasma.rules import ZERO_ADDRESS, decode_utxo_pos

        names = ("operator", "alice", "bob", "carol")
        n = _narrator(world, names, out, honest=names)
        _introduce(world, n)
        n.say("Alice deposits 10 ETH on the root chain: L1 creates a deposit block whose one transaction pays it "
              "to her on the child chain.")
        world.deposit("alice", 10 * ETH)
        setup = world.l1_news(n)
        n.balances()

        rounds: tuple[tuple[tuple[str, str, int], ...], ...] = (
            (("alice", "bob", 3 * ETH),),
            (("alice", "carol", 2 * ETH), ("bob", "carol", ETH)),
            (("alice", "bob", ETH), ("bob", "carol", ETH // 2), ("carol", "alice", ETH // 4)),
        )
        n.say("They pay each other on the child chain over three blocks. Each payment is a transaction signed by "
              "the owner of each output it spends and handed to the operator; the operator checks it (signatures, "
              "no double spend, outputs no more than inputs) and keeps it for its next block. At each block the "
              "operator submits only the block's Merkle root to L1; every watcher downloads the block, checks it "
              "against that root and the rules, and each spender signs a confirmation of its spend under the root.")
        blocks = []
        for payments in rounds:
            for frm, to, amount in payments:
                world.pay(n, frm, to, amount)
            block = world.block()
            [(_, receipt)] = world.l1.receipts[world.seen:]
            world.l1_news(n)
            gas = _gas(receipt)
            n.note(f"block {block.blknum}: {len(block.txs)} transaction(s) "
                   f"({', '.join(f'{f} pays {t} {eth(a)}' for f, t, a in payments)}); its root "
                   f"{block.root.hex()[:16]}... cost {gas:,} L1 gas, {gas // len(block.txs):,} per transaction")
            blocks.append({"blknum": block.blknum, "transactions": len(block.txs), "submit_gas": gas,
                           "gas_per_transaction": gas // len(block.txs)})
        spread = max(b["submit_gas"] for b in blocks) - min(b["submit_gas"] for b in blocks)
        n.note(f"the root costs the same whatever the block holds (within {spread:,} gas here): a block of 65,536 "
               "transactions would cost L1 what one of a single transaction costs; the transactions never touch L1")
        alarms = [w.alarm for w in world.watchers.values() if w.alarm]
        n.note(f"every watcher validated the three blocks: {'no alarm' if not alarms else alarms}")
        n.balances()

        bob = world.watchers["bob"]
        held = dict(bob.mine())
        n.say(f"Bob takes what he holds back to L1. He has {len(held)} outputs "
              f"({', '.join(eth(o.amount) for o in held.values())}) and exits each with a bond of {eth(world.bond)}: "
              "start_exit carries the transaction that paid him, its Merkle proof in the block and the "
              "confirmation its spender signed. Anyone holding a confirmed spend of the output could challenge "
              "during the exit period; none exists.")
        records = bob.exit_all()
        exits = world.l1_news(n)
        world.queue(n)
        n.balances()

        n.say("The exit period passes: an output exits no sooner than two periods after its block and one after "
              "its exit started, counted in L1 blocks and in seconds. Then anyone may call finalize_exits; Bob does.")
        world.wait_for_exits(n)
        final = bob.finalize()
        finals = world.l1_news(n)
        paid = world.payouts(n)
        if final is not None and paid:
            n.note(f"finalize_exits paid {len(paid)} exits for {_gas(final):,} L1 gas "
                   f"({_gas(final) // len(paid):,} per exit; OMG Network: ~{OMG_GAS['finalize_exits_per_exit']:,})")
        n.balances()

        left = {name: world.watchers[name].balance() for name in ("alice", "carol")}
        exited = sum(int(p["amount"]) for p in paid)
        n.say(f"Everybody's balances add up: {eth(10 * ETH)} deposited = {eth(exited)} exited by Bob + "
              f"{eth(left['alice'])} Alice and {eth(left['carol'])} Carol still hold on the child chain; the root "
              f"chain holds {eth(world.held())}, exactly what is still there. Bob paid only L1 gas; his bonds are back.")
        bob_exits = {r.utxo_pos: r.amount for r in records}
        bob_paid = all(int(p["paid"]) == bob_exits.get(p["utxo_pos"], -1) + world.bond and p["owner"] == "bob"
                       for p in paid)
        total = sum(bob_exits.values())
        ok = (not alarms and all(r.refused is None for r in records) and len(paid) == len(records) == 2
              and bob_paid and world.held() == sum(left.values()) == 10 * ETH - total
              and all(world.exit_state(pos) == 3 for pos in bob_exits) and world.call("queue_length", ZERO_ADDRESS) == 0)
        verdict = (f"{sum(len(r) for r in rounds)} payments in three child blocks, one root each on L1; Bob exited "
                   f"{eth(total)}, was paid in full with his bonds back, and the root chain holds exactly what Alice "
                   "and Carol still hold")
        summary = _summary(n, world, "plasma", verdict, ok, blocks=blocks, l1_transactions=setup + exits + finals,
                           exits=[{"utxo_pos": pos, "block": decode_utxo_pos(pos)[0], "amount": str(amount)}
                                  for pos, amount in bob_exits.items()],
                           payouts=paid, still_on_child_chain={k: str(v) for k, v in left.items()},
                           omg_gas=OMG_GAS)
        return _code(summary), summary

    return _run(body, preset, ("alice", "bob", "carol"))


# -- plasma-double-spend: an exit of a spent output ----------------------------------------------------------


def demo_double_spend(preset: str, out: TextIO | None = None) -> Result:
    """A double-spend exit: Mallory exits a coin she paid Bob; his watcher challenges and takes her bond."""

    def body(world: _World) -> Result:
        from contracts_spec.plasma.rules import encode_utxo_pos

        names = ("operator", "bob", "mallory")
        n = _narrator(world, names, out, honest=("operator", "bob"))
        _introduce(world, n)
        n.say("Mallory deposits 3 ETH; Bob deposits 1 ETH.")
        coin = encode_utxo_pos(world.deposit("mallory", 3 * ETH), 0, 0)
        world.deposit("bob", ETH)
        world.l1_news(n)
        n.say("Mallory buys from Bob for 2 ETH on the child chain: her transaction spends her 3 ETH deposit, pays "
              "Bob 2 ETH and herself 1 ETH change. Once the block's root is on L1, her watcher confirms the spend "
              "under that root and hands the confirmation to Bob (through the operator): Bob needs it to ever exit "
              "what she paid him, so he ships only once he holds it.")
        world.pay(n, "mallory", "bob", 2 * ETH)
        block = world.block()
        world.l1_news(n)
        [spend] = block.txs
        confirmed = world.operator.confirmations.get("0x" + spend.tx.hash().hex()) is not None
        n.note(f"block {block.blknum} holds her spend of the deposit at position {coin:,}; confirmation posted: "
               f"{confirmed}")
        n.balances()

        n.say(f"Mallory now starts the exit of the deposit she already spent, with a bond of {eth(world.bond)}. L1 "
              "cannot know the coin was spent (it sees roots, not transactions): the deposit block's root matches, "
              "so the exit starts. If nobody objected she would get her 3 ETH back on L1 and keep Bob's goods.")
        world.send("mallory", "start_deposit_exit", coin, 3 * ETH, value=world.bond)
        attack = world.l1_news(n)
        n.say("Bob's watcher reads the ExitStarted event at the next L1 block. It holds the block that spends "
              "that position and Mallory's confirmation of the spend: it calls challenge_exit with the spending "
              "transaction, its Merkle proof and her confirmation signature. L1 checks the spend is in a block it "
              "holds the root of and that the exiter signed the confirmation, removes the exit and pays the bond "
              "to the challenger.")
        world.advance()
        challenge = world.l1_news(n)
        [challenged] = world.events("ExitChallenged")
        by = world.name_of(challenged["challenger"])
        n.note(f"exit of position {coin:,}: {STATE_WORDS[world.exit_state(coin)]}; the challenger is {by} and "
               f"{eth(world.bond)} of Mallory's bond is now his")
        n.balances()

        n.say("Mallory tries to start the same exit again: L1 refuses, a challenged exit never starts again.")
        refused = ""
        try:
            world.send("mallory", "start_deposit_exit", coin, 3 * ETH, value=world.bond)
        except TransactionReverted as exc:
            refused = str(exc)
        n.note(f"refused before it was sent (the gas estimate reverts): {refused or 'not refused!'}")
        world.l1_news(n)

        n.say("Bob exits the 2 ETH Mallory paid him, waits out the exit period and finalizes: paid in full.")
        received = encode_utxo_pos(block.blknum, 0, 0)
        records = [world.watchers["bob"].start_exit(received)]
        world.l1_news(n)
        world.wait_for_exits(n)
        world.watchers["bob"].finalize()
        world.l1_news(n)
        paid = world.payouts(n)
        n.balances()
        bob_gain, mallory_gain = _gain(n, world, "bob"), _gain(n, world, "mallory")
        n.note(f"beyond what Mallory paid him and his gas, Bob is {eth(bob_gain)} ahead (her bond); beyond her "
               f"payment and her gas, Mallory is {eth(-mallory_gain)} behind")
        ok = (by == "bob" and world.exit_state(coin) == 2 and bool(refused) and len(records) == 1
              and [(p["owner"], int(p["paid"])) for p in paid] == [("bob", 2 * ETH + world.bond)]
              and bob_gain == world.bond and mallory_gain == -world.bond and world.held() == 2 * ETH)
        verdict = ("Mallory exited a coin she had spent; Bob's watcher challenged with her own confirmation of the "
                   f"spend, her exit was removed and her {eth(world.bond)} bond went to Bob, who exited what she "
                   "paid him in full")
        summary = _summary(n, world, "plasma-double-spend", verdict, ok,
                           attack={"by": "mallory", "utxo_pos": coin, "gas": attack[0]["gas"] if attack else 0},
                           challenge={"by": by, "utxo_pos": coin, "spend_pos": challenged["spend_pos"],
                                      "gas": challenge[0]["gas"] if challenge else 0, "bond_wei": str(world.bond)},
                           restart_refused=refused, payouts=paid, challenger_gain_wei=str(bob_gain),
                           cheater_gain_wei=str(mallory_gain), omg_gas=OMG_GAS)
        return _code(summary), summary

    return _run(body, preset, ("bob", "mallory"))


# -- plasma-withheld: a block nobody may see, and the mass exit --------------------------------------------


def demo_withheld(preset: str, out: TextIO | None = None) -> Result:
    """Withheld data: the operator mints itself coins in a block it never serves; everyone exits first, in full."""

    def body(world: _World) -> Result:
        from contracts_spec.plasma import rules as R

        names = ("operator", "alice", "bob", "carol")
        honest = ("alice", "bob", "carol")
        n = _narrator(world, names, out, honest=honest)
        _introduce(world, n)
        n.say("Alice deposits 5 ETH and Bob 3 ETH; in block 1000 Alice pays Carol 1 ETH (4 ETH change to herself). "
              "Everyone's watcher validates the block.")
        world.deposit("alice", 5 * ETH)
        world.deposit("bob", 3 * ETH)
        world.pay(n, "alice", "carol", ETH)
        world.block()
        world.advance()
        world.l1_news(n)
        n.balances()

        minted = 20 * ETH
        change = R.encode_utxo_pos(1000, 0, 1)
        n.say(f"The operator turns thief. It signs a transaction spending Alice's 4 ETH change with its own key and "
              f"paying itself {eth(minted)}: coins nobody deposited, more than the root chain holds "
              f"({eth(world.held())}). It submits the root of a block holding it, and never serves the block.")
        theft = R.sign_transaction(R.Transaction.spend([change], [(world.address("operator"), minted)]),
                                   [world.keys["operator"]], world.operator.domain)
        block = world.operator.submit_block([theft], check=False, withhold=True)
        world.l1_news(n)
        stolen = R.encode_utxo_pos(block.blknum, 0, 0)
        n.say(f"At once it exits its minted output (position {stolen:,}) with its own confirmation, to be first "
              "in line. L1 checks the proof against the root it holds and the confirmation against the "
              "transaction's signer: all in order. L1 never sees transactions, so it cannot tell the coins are "
              "made up; and nobody can prove it, since nobody has the block.")
        world.send("operator", "start_exit", stolen, theft.encode(), block.tree.proof(0),
                   R.confirmations(theft, block.root, [world.keys["operator"]]), value=world.bond)
        world.l1_news(n)

        deadline = world.watchers["alice"].deadline_blocks
        n.say(f"The watchers see the new root on L1 and ask the operator for block {block.blknum}: it is not "
              f"served. They give it {deadline} L1 blocks. Why everyone must leave: without the block nobody knows "
              "which outputs it spends or creates, so no later block can be checked; the operator may have spent "
              "anyone's coins in it, and an exit of a made-up coin cannot be challenged (a challenge shows a spend "
              "of the exiting output; nothing spends the minted one). Plasma MVP's answer is the mass exit: every "
              "user exits what it held in the last valid block, in time to be paid before any output of the "
              "withheld block, which is younger.")
        walked = 0
        while not all(w.alarm for w in world.watchers.values()) and walked < 4 * deadline:
            world.advance()
            walked += 1
        alarm = world.watchers["alice"].alarm or ""
        n.note(f"{walked} L1 blocks later, every watcher raises the alarm: {alarm}")
        exits = world.l1_news(n)
        n.note(f"each watcher exited everything its user holds, oldest first: {len(exits)} exits. Alice exits her "
               "4 ETH change too: whatever the withheld block says, she never confirmed a spend of it, and no "
               "challenge stands without her confirmation.")

        n.say("The thief tries to challenge Alice's exit with its spend from the withheld block. L1 wants that "
              "spend signed by Alice and her confirmation of it; the thief can only sign its own.")
        rebuffed = ""
        try:
            world.send("operator", "challenge_exit", change, R.tx_pos(block.blknum, 0), theft.encode(),
                       block.tree.proof(0), R.confirm(theft, block.root, world.keys["operator"]), gas=300_000)
        except TransactionReverted as exc:
            rebuffed = str(exc)
        n.note(f"refused on L1: {rebuffed or 'accepted!'}")
        world.l1_news(n)

        n.say("The exit queue, in the order finalize_exits pays it (lowest priority key first: exitable time, then "
              "position). The thief's exit started first, but its output's block is the youngest: an exit is due "
              "no sooner than two periods after its output's block, so it is queued behind every honest exit "
              "started within a period of the withheld block.")
        queue = world.queue(n)
        n.balances()

        n.say("The exit period passes; Carol calls finalize_exits for everyone.")
        world.wait_for_exits(n)
        before = world.held()
        world.watchers["carol"].finalize()
        world.l1_news(n)
        paid = world.payouts(n)
        n.note(f"the root chain held {eth(before)} before; it has {eth(world.held())} left")
        n.balances()

        owners = [p["owner"] for p in paid]
        thief_at = owners.index("operator") if "operator" in owners else len(owners)
        honest_paid = {name: sum(int(p["paid"]) for p in paid if p["owner"] == name) for name in honest}
        expected = {"alice": 4 * ETH + world.bond, "bob": 3 * ETH + world.bond, "carol": ETH + world.bond}
        thief_paid = sum(int(p["paid"]) for p in paid if p["owner"] == "operator")
        thief_gain = _gain(n, world, "operator")
        who = ", ".join(f"{p['owner']} {eth(int(p['paid']))}" for p in paid)
        n.say(f"Who was paid: {who}. Every honest user "
              f"got what it held and its bond before the thief's exit came up; the thief found {eth(thief_paid)} "
              f"left, its own bond, and none of the {eth(minted)} it minted. Net, it lost its gas.")
        ok = (all(w.alarm and "withheld" in w.alarm for w in world.watchers.values())
              and honest_paid == expected and all(o != "operator" for o in owners[:thief_at])
              and set(owners[:thief_at]) == set(honest) and thief_paid <= world.bond and thief_gain <= 0
              and bool(rebuffed) and world.held() == 0 and queue[-1]["owner"] == "operator")
        verdict = (f"the operator withheld a block minting it {eth(minted)} and exited first; every watcher raised "
                   "the alarm and exited, the honest users were paid in full before the thief, who got back at most "
                   "its bond")
        summary = _summary(n, world, "plasma-withheld", verdict, ok, withheld_block=block.blknum,
                           minted_wei=str(minted), alarms={k: w.alarm for k, w in world.watchers.items()},
                           queue=queue, payouts=paid, paid_order=owners, thief_paid_wei=str(thief_paid),
                           thief_gain_wei=str(thief_gain), challenge_refused=rebuffed,
                           root_chain_before_payouts_wei=str(before))
        return _code(summary), summary

    return _run(body, preset, ("alice", "bob", "carol"))


# -- plasma-exit-twice: a chain of self-spends (plasma-mvp issue 90) -------------------------------------------


def demo_exit_twice(preset: str, out: TextIO | None = None) -> Result:
    """Exiting twice (plasma-mvp issue 90): a self-spend's hidden confirmation, revealed by its exit, is challenged."""

    def body(world: _World) -> Result:
        from contracts_spec.plasma import rules as R

        names = ("operator", "bob", "mallory")
        n = _narrator(world, names, out, honest=("operator", "bob"))
        _introduce(world, n)
        n.say("Mallory deposits 2 ETH; Bob deposits 2 ETH. The root chain holds 4 ETH.")
        coin = R.encode_utxo_pos(world.deposit("mallory", 2 * ETH), 0, 0)
        world.deposit("bob", 2 * ETH)
        world.l1_news(n)
        n.say("Mallory pays herself: a transaction spending her deposit into a new 2 ETH output, signed by her and "
              "put in block 1000. She may sign its confirmation whenever she likes, and shows it to nobody: with no "
              "recipient to hand it to, nothing makes her. (plasma-mvp issue 90: confirmations sent only to recipients let a "
              "chain of 'Sybil' self-spends exit the same value more than once.)")
        to_self: SignedTransaction = R.sign_transaction(
            R.Transaction.spend([coin], [(world.address("mallory"), 2 * ETH)]), [world.keys["mallory"]],
            world.operator.domain)
        world.operator.submit(to_self)
        block = world.block()
        world.l1_news(n)
        ident = "0x" + to_self.tx.hash().hex()
        n.note(f"block {block.blknum} holds her spend; confirmation posted to the operator: "
               f"{world.operator.confirmations.get(ident) is not None}; Bob's watcher validated the block")
        new = R.encode_utxo_pos(block.blknum, 0, 0)
        n.say(f"Mallory exits both: the old deposit at position {coin:,} (start_deposit_exit) and the new output at "
              f"{new:,} (start_exit), each with a bond. Bob's watcher cannot challenge the first on its own: it "
              "holds the spend of the deposit, but not her confirmation of it. To exit the new output, though, L1 "
              "wants that very confirmation in start_exit's calldata.")
        world.send("mallory", "start_deposit_exit", coin, 2 * ETH, value=world.bond)
        world.send("mallory", "start_exit", new, to_self.encode(), block.tree.proof(0),
                   R.confirmations(to_self, block.root, [world.keys["mallory"]]), value=world.bond)
        attack = world.l1_news(n)
        n.say("Bob's watcher reads each ExitStarted at the next L1 block, and the calldata of the transaction "
              "behind it: the new exit reveals Mallory's confirmation of her self-spend. That is what a challenge "
              "of the old exit needs: spend, proof, her confirmation.")
        world.advance()
        challenge = world.l1_news(n)
        challenged = world.events("ExitChallenged")
        by = world.name_of(challenged[0]["challenger"]) if challenged else ""
        n.note(f"exit of the old deposit: {STATE_WORDS[world.exit_state(coin)]}" + (f", by {by}" if by else "")
               + f"; exit of the new output: {STATE_WORDS[world.exit_state(new)]}")
        n.note("what this relies on: the confirmation comes out while the old exit is still open. The root chain has "
               "no challenge showing that an exit's input already exited (issue 90's second fix): had Mallory waited "
               "for the old exit to be paid before starting the new one, or spent through two self-spends, no "
               "confirmation of the first spend would have come out in time")
        world.queue(n)

        n.say("The exit period passes and Bob finalizes: 2 ETH leave for Mallory, once.")
        world.wait_for_exits(n)
        world.watchers["bob"].finalize()
        world.l1_news(n)
        paid = world.payouts(n)
        n.note(f"the root chain still holds {eth(world.held())}: Bob's deposit, untouched")
        n.balances()
        mallory_gain = _gain(n, world, "mallory")
        out_total = sum(int(p["amount"]) for p in paid)
        ok = (by == "bob" and world.exit_state(coin) == 2 and world.exit_state(new) == 3
              and [(p["owner"], int(p["paid"])) for p in paid] == [("mallory", 2 * ETH + world.bond)]
              and world.held() == 2 * ETH and world.watchers["bob"].balance() == 2 * ETH
              and mallory_gain == -world.bond)
        verdict = ("Mallory tried to exit one 2 ETH coin twice through a self-spend; the confirmation her second exit "
                   "revealed let Bob's watcher challenge the first, she was paid once and lost a bond, Bob's deposit "
                   "stayed whole")
        summary = _summary(n, world, "plasma-exit-twice", verdict, ok,
                           exits=[{"utxo_pos": coin, "kind": "deposit", "state": STATE_WORDS[world.exit_state(coin)]},
                                  {"utxo_pos": new, "kind": "self-spend", "state": STATE_WORDS[world.exit_state(new)]}],
                           attack=attack, challenge={"by": by, "utxo_pos": coin,
                                                     "gas": challenge[0]["gas"] if challenge else 0},
                           payouts=paid, paid_out_wei=str(out_total), cheater_gain_wei=str(mallory_gain))
        return _code(summary), summary

    return _run(body, preset, ("bob",))


# -- plasma-in-flight: More Viable Plasma's in-flight exit, without confirmations ---------------------------------


def demo_in_flight(preset: str, out: TextIO | None = None) -> Result:
    """MoreVP: Bob exits a payment in a withheld block with no confirmation; a double-spent one pays its input back."""

    def body(world: _World) -> Result:
        from contracts_spec.plasma import rules as R
        from plasma.morevp import DEPOSIT_PROOF, MoreVP
        from plasma.operator import PlasmaRefused

        honest = ("alice", "bob", "carol")
        n = _narrator(world, NAMES, out, honest=honest)
        _introduce(world, n)
        ife_bond, pb_bond = world.preset.in_flight_bond, world.preset.piggyback_bond
        bob = MoreVP(world.watchers["bob"])
        world.morevp["carol"] = MoreVP(world.watchers["carol"])
        n.note(f"MoreVP on the same root chain: an in-flight exit is bonded with {eth(ife_bond)}, a piggyback with "
               f"{eth(pb_bond)}. Carol's watcher also plays the in-flight exit game for everyone "
               "(plasma.morevp.MoreVP.poll). Alice and Mallory run no watcher of their own here (part 2 says why).")
        key = world.keys

        n.say("Alice deposits 5 ETH and 1 ETH; Mallory deposits 1 ETH.")
        coin = R.encode_utxo_pos(world.deposit("alice", 5 * ETH), 0, 0)
        share_a = R.encode_utxo_pos(world.deposit("alice", ETH), 0, 0)
        share_m = R.encode_utxo_pos(world.deposit("mallory", ETH), 0, 0)
        world.l1_news(n)
        n.balances()

        n.say("First, the transaction part 3 of this story comes back to (it comes first because once a block is "
              "withheld no watcher validates a later one). Alice and Mallory owe Bob 2 ETH together: "
              "they sign one transaction spending Alice's 1 ETH deposit and Mallory's into 2 ETH for Bob, and hand "
              "it to him. Before it reaches the operator, Mallory signs another spend of her deposit, to herself, "
              "and sends it first: block 1000 holds it, every watcher validates the block.")
        domain = world.operator.domain
        joint = R.sign_transaction(R.Transaction.spend([share_a, share_m], [(world.address("bob"), 2 * ETH)]),
                                   [key["alice"], key["mallory"]], domain)
        to_self = R.sign_transaction(R.Transaction.spend([share_m], [(world.address("mallory"), ETH)]),
                                     [key["mallory"]], domain)
        world.operator.submit(to_self)
        first = world.block()
        world.l1_news(n)
        joint_refused = ""
        try:
            world.operator.submit(joint)
        except PlasmaRefused as exc:
            joint_refused = str(exc)
        n.note(f"Bob hands the joint payment to the operator: refused ({joint_refused or 'admitted!'}). It will never "
               "be in a block, and Bob holds it, signed by both.")

        n.say("Part 1, Plasma MVP. Alice pays Bob 3 ETH from her 5 ETH deposit (2 ETH change to herself) and hands "
              "the signed transaction to the operator. The operator puts it in block 2000, submits the block's root to "
              "L1, and never serves the block.")
        pay = R.sign_transaction(R.Transaction.spend([coin], [(world.address("bob"), 3 * ETH),
                                                              (world.address("alice"), 2 * ETH)]),
                                 [key["alice"]], domain)
        ident = world.operator.submit(pay)
        n.flow("alice", "bob", 3 * ETH)
        block = world.operator.make_block()
        if block is None:
            raise RuntimeError("the operator made no block of Alice's payment")
        world.operator.withhold(block.blknum)
        world.advance()
        world.l1_news(n)
        deadline = world.watchers["bob"].deadline_blocks
        walked = 1
        while not all(w.alarm for w in world.watchers.values()) and walked < 4 * deadline:
            world.advance()
            walked += 1
        alarm = world.watchers["bob"].alarm or ""
        n.note(f"{walked} L1 blocks later, Bob's and Carol's watchers raise the alarm: {alarm}. Neither holds an "
               "output in the last valid block, so neither has anything to exit.")

        n.say("Under MVP Bob can exit the 3 ETH only with Alice's confirmation: her second signature, over the "
              "transaction and block 2000's root, given once she has seen the block. Alice is honest but cautious: "
              "she confirms only spends in blocks she validated. A block nobody can see may hold anything (another "
              "spend of her coin, coins made up), and once she confirms, her confirmation challenges any exit of "
              "her 5 ETH input, her only way out should the block be bad. So she does not confirm, and nobody ever will.")
        confirmation = world.operator.confirmations.get(ident)
        n.note(f"the operator holds {len(world.operator.confirmations)} confirmation(s); of Alice's payment: "
               f"{'one' if confirmation else 'none'}")
        n.say("Bob tries anyway. Even were he handed the Merkle proof of his payment in block 2000 (the operator "
              "serves nothing; the lab's operator object lends it), start_exit wants a confirmation of each input. "
              "He has none to send (130 zero bytes): L1 refuses.")
        out_pos = R.encode_utxo_pos(block.blknum, 0, 0)
        mvp_refused = ""
        try:
            world.send("bob", "start_exit", out_pos, pay.encode(), block.tree.proof(0),
                       bytes(R.CONFIRMATIONS_BYTES), value=world.bond, gas=500_000)
        except TransactionReverted as exc:
            mvp_refused = str(exc)
        n.note(f"refused on L1: {mvp_refused or 'accepted!'}")
        world.l1_news(n)
        n.note("MVP's way out is Alice's, not Bob's: her input is unconfirmed, so she exits it (her watcher would "
               "on this very alarm) and the payment is undone. Bob, who was paid, is left with nothing.")

        n.say("Part 2, More Viable Plasma: the transaction itself is the evidence. Bob holds it (he was sent it), so "
              "he starts its in-flight exit: start_in_flight_exit carries the signed transaction and, for its input, "
              "the transaction that created it with its inclusion proof (here Alice's deposit, from L1). L1 checks "
              "Alice signed it, that the input exists and the outputs pay no more than it; no block 2000, no "
              f"confirmation. Bob bonds it with {eth(ife_bond)} and piggybacks his output (output 0) with "
              f"{eth(pb_bond)}: a piggyback names what is to be paid if the transaction is canonical. Alice "
              "piggybacks her 2 ETH change (output 1).")
        bob.start(pay)
        bob.piggyback(pay, inputs=False)
        world.send("alice", "piggyback_output", pay.encode(), 1, value=pb_bond)
        world.l1_news(n)
        info = world.in_flight(pay)
        n.note(f"in-flight exit of Alice's payment: started by {world.name_of(info[0])}, piggybacked outputs "
               f"{[j for j in (0, 1) if info[2] >> (2 + j) & 1]}, inputs {[i for i in (0, 1) if info[2] >> i & 1]}; "
               f"its first phase ends at L1 block {info[6]:,}, it is due at L1 block {info[8]:,}")
        n.note(f"confirmations the operator holds: {len(world.operator.confirmations)}; none was asked for")
        n.say("Why Alice runs no MVP watcher here: alarmed by block 2000, it would start the standard exit of the 5 "
              "ETH input she spent, as MVP tells her to. With MoreVP, anyone holding her signed payment shows it "
              "with challenge_standard_exit_in_flight: a canonical in-flight transaction's input is spent, and the "
              "exit's bond goes to the challenger. A MoreVP wallet claims what is hers in the transaction instead.")

        n.say("Part 3, a transaction that is not canonical. Mallory starts the in-flight exit of the joint payment "
              "and piggybacks her input (input 1): a non-canonical transaction pays back its piggybacked inputs, "
              "and she hopes to be paid her 1 ETH on L1 while keeping the 1 ETH her own spend gave her. Alice's "
              "wallet sees an in-flight exit spend her coin and piggybacks her input (input 0): if the "
              "transaction is not canonical, that pays her coin back. Bob piggybacks his output: should the "
              "transaction be canonical it is his, and its bond comes back unless it is shown spent.")
        deposits = [R.SignedTransaction.unsigned_deposit(world.address(who), ETH).encode() for who in ("alice", "mallory")]
        world.send("mallory", "start_in_flight_exit", joint.encode(), b"".join(deposits), DEPOSIT_PROOF * 2,
                   value=ife_bond)
        world.send("mallory", "piggyback_input", joint.encode(), 1, value=pb_bond)
        world.send("alice", "piggyback_input", joint.encode(), 0, value=pb_bond)
        bob.piggyback(joint, inputs=False)
        world.l1_news(n)
        n.say("The first phase: piggybacks, and challenges of canonicity. Carol's watcher reads the new in-flight "
              "exit (its calldata reveals the transaction) and knows an older spend of Mallory's input: her "
              "self-spend in block 1000. It shows it with its inclusion proof "
              "(challenge_in_flight_exit_not_canonical: the transaction is not canonical, and the in-flight bond is "
              "now Carol's), then shows the same spend against Mallory's piggyback "
              "(challenge_piggybacked_input_spent: her input is spent elsewhere, her piggyback bond is Carol's).")
        world.advance()
        challenges = world.l1_news(n)
        jinfo = world.in_flight(joint)
        n.note(f"joint payment: oldest competitor at position {jinfo[3]:,} (block {jinfo[3] // R.BLOCK_OFFSET}); "
               f"bond owner {world.name_of(jinfo[0])}; piggybacked inputs "
               f"{[i for i in (0, 1) if jinfo[2] >> i & 1]}, outputs {[j for j in (0, 1) if jinfo[2] >> (2 + j) & 1]}")
        n.note("nothing shows another spend of Alice's 5 ETH coin: her payment to Bob stays canonical")

        exits = [("Alice's payment to Bob", pay), ("the joint payment", joint)]
        queue: list[dict[str, Any]] = []
        for label, signed in exits:
            record = world.in_flight(signed)
            young = R.youngest_input(signed.tx)
            queue.append({"exit": label, "tx_hash": "0x" + signed.tx.hash().hex(), "youngest_input": young,
                          "exitable_at": record[7], "exitable_block": record[8], "seq": record[9],
                          "priority": R.exit_priority(record[7], young, record[9])})
        queue.sort(key=lambda r: r["priority"])
        n.say("The exit queue. An in-flight exit is queued as a standard exit of its youngest input would be: due "
              "two periods after that input's block at the earliest and one after it started, and ordered by that "
              "input's position. It waits behind every older output; a transaction made of a young input only "
              "delays itself.")
        for i, row in enumerate(queue, 1):
            n.note(f"{i}. {row['exit']}: youngest input at position {row['youngest_input']:,}; due at time "
                   f"{row['exitable_at']:,}, L1 block {row['exitable_block']:,}")
        for row in queue:
            row["priority"] = str(row["priority"])

        n.say("The second phase: responses. Anyone may answer a canonicity challenge by showing the in-flight "
              "transaction included in a block older than the competitor. The joint payment was never included: "
              "nobody can. Alice's payment to Bob has no challenge to answer. (No canonicity challenge comes after "
              "the first phase, so a response settles it for good.)")
        infos = [world.in_flight(s) for _, s in exits]
        world.walk_to(n, max(i[5] for i in infos), max(i[6] for i in infos), "the first phases end")
        responses = world.l1_news(n)
        n.note(f"responses sent: {len(responses)}")

        n.say("The exit period passes; Bob calls finalize_exits. A canonical transaction pays its piggybacked "
              "outputs, a non-canonical one its piggybacked inputs; unchallenged piggyback bonds go back, the "
              "in-flight bond to whoever made the last statement about canonicity that stood.")
        infos = [world.in_flight(s) for _, s in exits]
        world.walk_to(n, max(i[7] for i in infos), max(i[8] for i in infos), "the last in-flight exit is due")
        before = world.held()
        final = world.watchers["bob"].finalize()
        world.l1_news(n)
        paid = []
        names_of = {s.tx.hash(): label for label, s in exits}
        for e in world.events("InFlightExitPaid"):
            row = {"exit": names_of.get(e["tx_hash"], "0x" + e["tx_hash"].hex()), "owner": world.name_of(e["owner"]),
                   "kind": "output" if e["output"] else "input", "index": e["index"], "amount": str(e["amount"]),
                   "paid": str(e["paid"])}
            paid.append(row)
            n.note(f"paid {row['owner']}: {eth(e['paid'])} for {row['kind']} {row['index']} of {row['exit']} "
                   f"({eth(e['amount'])}) and its piggyback bond")
        settled = []
        for e in world.events("InFlightExitFinalized"):
            row = {"exit": names_of.get(e["tx_hash"], "0x" + e["tx_hash"].hex()), "canonical": bool(e["canonical"]),
                   "bond_owner": world.name_of(e["bond_owner"])}
            settled.append(row)
            n.note(f"{row['exit']}: {'canonical' if row['canonical'] else 'not canonical'}; its in-flight bond of "
                   f"{eth(ife_bond)} went to {row['bond_owner']}")
        n.note(f"the root chain held {eth(before)} before; it has {eth(world.held())} left")

        n.say("Alice's 5 ETH input: the canonical transaction spent it, so L1 records it spent, paid to nobody, and "
              "its standard exit can never start. Her wallet asks L1 (a gas estimate, nothing is sent):")
        coin_record = world.call("exit_info", coin)
        input_refused = ""
        try:
            world.send("alice", "start_deposit_exit", coin, 5 * ETH, value=world.bond)
        except TransactionReverted as exc:
            input_refused = str(exc)
        n.note(f"refused before it was sent: {input_refused or 'not refused!'}")
        world.l1_news(n)
        n.balances()

        owed = sum(o.amount for pos, o in world.reference.utxos.items() if world.exit_state(pos) == 0)
        bob_net = sum(world.holdings("bob").values()) - sum(n.start["bob"].values()) + n.fees["bob"]
        carol_gain, mallory_gain = _gain(n, world, "carol"), _gain(n, world, "mallory")
        n.say(f"What it adds up to. Bob got {eth(bob_net)} beyond his gas: the 3 ETH Alice paid him, both his bonds "
              f"back, and not one confirmation signature was made from broadcast to payout. Alice got her 2 ETH "
              f"change and her 1 ETH share back; her 5 ETH coin was paid out once, 3 ETH to Bob and 2 ETH to her. Carol, the "
              f"watcher, is {eth(carol_gain)} ahead (Mallory's two bonds); Mallory is {eth(-mallory_gain)} behind, "
              f"and still holds the 1 ETH of her own spend on the child chain. The root chain holds "
              f"{eth(world.held())}: exactly that 1 ETH, all that is still owed.")
        n.say("The lesson. MVP's confirmation was a second signature every sender had to give after seeing its "
              "block, and without it a recipient could not exit: a withheld block left Bob with nothing. MoreVP "
              "needs no confirmation: the signed transaction is the evidence, and whether it counts (canonical) is "
              "decided by a challenge game in two phases, piggybacks and challenges first, responses second; its "
              "place in the exit queue is its youngest input's.")

        pay_paid = [(p["owner"], p["kind"], p["index"], int(p["paid"])) for p in paid if p["exit"] == exits[0][0]]
        joint_paid = [(p["owner"], p["kind"], p["index"], int(p["paid"])) for p in paid if p["exit"] == exits[1][0]]
        pinfo, jinfo = world.in_flight(pay), world.in_flight(joint)
        actions = [a for a, _ in world.morevp["carol"].actions]
        ok = (all(w.alarm and "withheld" in w.alarm for w in world.watchers.values()) and bool(joint_refused)
              and "bad confirmation" in mvp_refused and confirmation is None and not world.operator.confirmations
              and not any(w.kept for w in world.watchers.values())
              and final is not None
              and pay_paid == [("bob", "output", 0, 3 * ETH + pb_bond), ("alice", "output", 1, 2 * ETH + pb_bond)]
              and joint_paid == [("alice", "input", 0, ETH + pb_bond)]
              and pinfo[1] == 3 and pinfo[2] >> 6 & 1 == 1 and jinfo[1] == 3 and jinfo[2] >> 6 & 1 == 0
              and jinfo[3] == R.tx_pos(first.blknum, 0) and actions == ["challenge", "challenge_input"]
              and [(s["canonical"], s["bond_owner"]) for s in settled] == [(True, "bob"), (False, "carol")]
              and coin_record[2] == 3 and int(coin_record[0], 16) == 0 and "exit exists" in input_refused
              and bob_net == 3 * ETH and carol_gain == ife_bond + pb_bond and mallory_gain == -(ife_bond + pb_bond)
              and world.held() == owed == ETH)
        verdict = ("Bob exited a payment in a withheld block with no confirmation signature, paid in full with his "
                   "bonds back; the joint payment Mallory double-spent was shown not canonical by Carol's watcher, "
                   "paid Alice her input back and Mallory nothing; the root chain holds exactly what is still owed")
        summary = _summary(
            n, world, "plasma-in-flight", verdict, ok, withheld_block=block.blknum, competitor_block=first.blknum,
            joint_refused=joint_refused, mvp_exit_refused=mvp_refused,
            confirmations_posted=len(world.operator.confirmations),
            confirmations_kept=sum(len(w.kept) for w in world.watchers.values()),
            in_flight=[{"exit": label, "tx_hash": "0x" + s.tx.hash().hex(), "started_by": started,
                        "state": world.in_flight(s)[1], "competitor_pos": world.in_flight(s)[3],
                        "canonical": bool(world.in_flight(s)[2] >> 6 & 1)}
                       for (label, s), started in zip(exits, ("bob", "mallory"), strict=True)],
            watcher_actions=actions, challenges=challenges, queue=queue, payouts=paid, settled=settled,
            input_record={"utxo_pos": coin, "state": STATE_WORDS[coin_record[2]], "owner": coin_record[0]},
            input_exit_refused=input_refused, owed_wei=str(owed), root_chain_before_payouts_wei=str(before),
            bob_net_wei=str(bob_net), challenger_gain_wei=str(carol_gain), cheater_gain_wei=str(mallory_gain),
            in_flight_bond_wei=str(ife_bond), piggyback_bond_wei=str(pb_bond))
        return _code(summary), summary

    return _run(body, preset, ("bob", "carol"))


DEMOS: Mapping[str, Demo] = {
    "plasma": demo_plasma,
    "plasma-double-spend": demo_double_spend,
    "plasma-withheld": demo_withheld,
    "plasma-exit-twice": demo_exit_twice,
    "plasma-in-flight": demo_in_flight,
}

# One line each, as ``l2lab demo --list`` prints them: the first line of each demo's docstring.
SUMMARIES: Mapping[str, str] = {name: (demo.__doc__ or "").strip().splitlines()[0] for name, demo in DEMOS.items()}

__all__ = ["DEMOS", "OMG_GAS", "SUMMARIES", "demo_double_spend", "demo_exit_twice", "demo_in_flight", "demo_plasma",
           "demo_withheld"]
