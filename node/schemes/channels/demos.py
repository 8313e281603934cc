"""Payment channels' workshop scenarios for ``l2lab demo``, narrated step by step.

``l2lab demo channels`` walks the honest path: a channel opened and funded
on L1, hundreds of payments both ways off-chain (signed balance proofs, no
gas), then one co-signed cooperative settlement: after opening, one L1
transaction, whatever the number of payments (the demo shows it for two
payment counts). The unilateral path (close, update, settle after the
window) is in the other demos. ``channels-stale-close`` has Mallory close
as if her payments to Alice never happened; Alice's peer answers with
Mallory's latest proof during the settlement window and Mallory gains
nothing. ``channels-multihop`` sends a payment over three channels with
hash-time locks whose expiries shrink hop by hop. ``channels-mediator-offline``
takes the mediator off the network in the middle of a payment: the payee
registers the secret on L1 in time, closes, settles and unlocks; back
online, the mediator claims its payer's lock the same way, and nobody loses
the locked amount. ``channels-watchtower`` has Alice offline when Mallory
closes stale: the watchtower Alice hired lands the update and is paid its
reward, only because its update landed.

Every scenario runs on its own in-process L1 with the ``minimal`` preset
(windows of 20 blocks); blocks and their 12-second slots are walked through
by time travel, never waited for.
"""

from __future__ import annotations

import dataclasses
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from node.narration import ETH, Narrator, eth
from node.schemes.channels.recording import RecordingL1, fee_of, gas_of

if TYPE_CHECKING:
    from channels.lab import ChannelLab
    from channels.state import ChannelState
    from contracts_spec.channels.params import ChannelPreset
    from contracts_spec.interfaces import Demo

Result = tuple[int, dict]
NAMES = ("alice", "bob", "carol", "dave", "mallory", "tower")
# Raiden's published gas of each call (raiden-contracts' gas measurements), shown beside l2lab's.
RAIDEN_GAS = {"open_channel": 104_000, "set_total_deposit": 57_000, "close_channel": 123_000,
              "update_non_closing_balance_proof": 92_000, "settle_channel": 116_000, "unlock": 39_000}


SHARED_CHAIN_WINDOW = 200  # blocks: the minimal preset's longest window


def shared_chain_preset(preset: ChannelPreset) -> ChannelPreset:
    """``preset``, with a window of at least ``SHARED_CHAIN_WINDOW`` blocks on a shared chain (``--rpc``).

    There, other actors mine blocks too (a node's own operators, another
    class's demo), and the demo's peers only look at L1 between its steps: a
    20-block window could pass before a watchtower's turn. A longer one
    leaves every honest party its time; in process, the short one keeps the
    demo quick.
    """
    from node.demo_l1 import rpc_url

    if rpc_url() is None:
        return preset
    window = max(preset.default_settle_timeout, min(preset.settle_timeout_max, SHARED_CHAIN_WINDOW))
    return dataclasses.replace(preset, default_settle_timeout=window)


class _World:
    """A channel lab on its own in-process L1, every peer transaction's receipt kept (``DemoLab``)."""

    def __init__(self, preset_name: str, names: tuple[str, ...], offset: int = 0) -> None:
        """``offset``: the first dev account it uses, so two worlds on one chain (``--rpc``) never share one."""
        from channels.lab import ChannelLab
        from contracts_spec.channels.params import get_preset
        from node.demo_l1 import demo_l1
        from node.devaccounts import derive_dev_accounts

        accounts = derive_dev_accounts(offset + len(NAMES) + 1)[offset:]
        self.l1 = RecordingL1(demo_l1([a.address for a in accounts], 100 * ETH))
        self.all_keys = {name: a.private_key for name, a in zip(NAMES, accounts, strict=False)}
        self.keys = {name: key for name, key in self.all_keys.items() if name in names}
        self._dir = tempfile.TemporaryDirectory(prefix="l2lab-demo-channels-")
        self.lab: ChannelLab = ChannelLab(self.l1, self.keys, accounts[-1].private_key, self._dir.name,
                                          shared_chain_preset(get_preset(preset_name)))
        self.seen = 0

    # -- DemoLab ----------------------------------------------------------------------------------------

    def address(self, name: str) -> str:
        from primitives.secp256k1 import private_key_to_address

        return self.lab.address(name) if name in self.keys else private_key_to_address(self.all_keys[name])

    def l1_balance(self, name: str) -> int:
        return self.l1.balance(self.address(name))

    def l2_balance(self, name: str) -> int:
        """What ``name`` holds in its channels that are not settled yet."""
        if name not in self.lab.peers:
            return 0
        peer = self.lab[name]
        return sum(c.balance() for c in peer.state.channels.values() if c.status != "settled")

    def holdings(self, name: str) -> dict[str, int]:
        held = {"l1_wei": self.l1_balance(name), "channel_wei": self.l2_balance(name)}
        if self.lab._monitoring_service:  # a watchtower's contract: the reward deposit is the user's too
            from contracts_spec.channels.monitoring import MonitoringService

            held["monitoring_deposit_wei"] = self.l1.call(self.lab.monitoring_service, MonitoringService,
                                                          "balance_of", self.address(name))
        return held

    # -- telling it -------------------------------------------------------------------------------------

    def l1_news(self, n: Narrator) -> list[dict]:
        """Say and record every L1 transaction the peers sent since the last call; their records."""
        out = []
        for method, receipt in self.l1.receipts[self.seen:]:
            who = next((m for m in n.people if self.address(m).lower() == str(receipt.get("from")).lower()), "?")
            n.record(method, receipt)
            raiden = RAIDEN_GAS.get(method)
            beside = f" (Raiden: {raiden:,})" if raiden else ""
            n.note(f"L1: {who} sends {method}: {gas_of(receipt):,} L1 gas{beside}")
            out.append({"call": method, "by": who, "gas": gas_of(receipt), "fee_wei": str(fee_of(receipt))})
        self.seen = len(self.l1.receipts)
        return out

    def table(self, n: Narrator, pairs: tuple[tuple[str, str], ...]) -> list[dict]:
        """Each channel's two sides, as their peers see them."""
        rows = []
        for a, b in pairs:
            channel = self.lab[a].channel(self.address(b))
            if channel is None:
                continue
            mine, theirs = self.lab.balance(a, b), self.lab.balance(b, a)
            n.note(f"channel {a}-{b} ({channel.status}): {a} {eth(mine)}, {b} {eth(theirs)}; nonces "
                   f"{channel.our.balance_proof.nonce}/{channel.partner.balance_proof.nonce}; locked "
                   f"{eth(channel.our.balance_proof.locked_amount + channel.partner.balance_proof.locked_amount)}")
            rows.append({"channel": f"{a}-{b}", "status": channel.status, a: str(mine), b: str(theirs)})
        return rows

    def close(self) -> None:
        for peer in self.lab.peers.values():
            peer.close_log()
        self._dir.cleanup()


def _channel(lab: ChannelLab, a: str, b: str) -> ChannelState:
    """``a``'s channel with ``b`` (the open one, else the last settled)."""
    channel = lab[a].channel(lab.address(b))
    if channel is None:
        raise RuntimeError(f"{a} has no channel with {b}")
    return channel


def _narrator(world: _World, people: tuple[str, ...], out: TextIO | None, honest: tuple[str, ...]) -> Narrator:
    return Narrator(world, people, out, honest=honest, holdings=world.holdings)


def _summary(n: Narrator, world: _World, scenario: str, verdict: str, ok: bool, **extra: object) -> dict:
    """The summary every channel demo ends with; ``ok`` holds only if no honest user lost a wei."""
    lab = world.lab
    context = {"adjudicator": lab.adjudicator, "secret_registry": lab.registry,
               "adjudicator_balance_wei": str(world.l1.balance(lab.adjudicator))}
    summary = n.summary(scenario, verdict, ok, preset=lab.preset.name, context=context, **extra)
    lost = {name: int(u["lost_wei"]) for name, u in summary["users"].items() if "lost_wei" in u}
    summary["ok"] = ok and not any(lost.values())
    return summary


def _code(summary: dict) -> int:
    return 0 if summary["ok"] else 1


def _wait_window(world: _World, n: Narrator, channel: Any) -> None:
    """Walk L1 through the rest of the channel's settlement window, one block and slot at a time."""
    lab = world.lab
    blocks = max(0, channel.settle_block + 1 - lab.l1.block_number())
    n.note(f"the window ends after block {channel.settle_block} and 12 s per block; {blocks} blocks pass "
           "(time travel), the peers reading every one")
    lab.wait(blocks + 1)


def _run(body: Callable[[_World], Result], preset: str, names: tuple[str, ...], offset: int = 0) -> Result:
    world = _World(preset, names, offset)
    try:
        return body(world)
    finally:
        world.close()


# -- channels: the honest path ----------------------------------------------------------------------------


def _pay_both_ways(lab: ChannelLab, n: Narrator | None, payments: int) -> float:
    """Alice and Bob pay each other ``payments`` times (three of every five from Alice); the seconds it took."""
    alice, bob = lab["alice"], lab["bob"]
    start = time.perf_counter()
    for i in range(payments):
        payer, payee, amount = ("alice", "bob", ETH // 100) if i % 5 < 3 else ("bob", "alice", ETH // 200)
        (alice if payer == "alice" else bob).transfer_direct(lab.address(payee), amount)
        if n is not None:
            n.flow(payer, payee, amount)
        lab.bus.run()
    return time.perf_counter() - start


def _after_opening(payments: int, preset: str) -> dict:
    """The same channel's life with ``payments`` payments, told in numbers: its L1 transactions after opening."""

    def body(world: _World) -> Result:
        lab = world.lab
        lab.open("alice", "bob", 5 * ETH, 2 * ETH)
        opened = len(world.l1.receipts)
        _pay_both_ways(lab, None, payments)
        lab.settle_down()
        lab["alice"].cooperative_settle(lab.address("bob"))
        lab.settle_down()
        after = world.l1.receipts[opened:]
        settled = _channel(lab, "alice", "bob").status == "settled" and world.l1.balance(lab.adjudicator) == 0
        return 0, {"payments": payments, "l1_transactions": len(after), "l1_gas": sum(gas_of(r) for _, r in after),
                   "calls": [method for method, _ in after], "settled": settled}

    return _run(body, preset, ("alice", "bob"), offset=len(NAMES) + 1)[1]  # its own accounts


def demo_channels(preset: str, out: TextIO | None = None, payments: int = 200, compare: int | None = None) -> Result:
    """Payment channels: open, hundreds of payments both ways off-chain for no gas, one co-signed L1 settle."""

    def body(world: _World) -> Result:
        lab = world.lab
        n = _narrator(world, ("alice", "bob"), out, honest=("alice", "bob"))
        p = lab.preset
        n.say(f"The channel adjudicator is deployed at {lab.adjudicator} with its secret registry (preset "
              f"{p.name!r}: settlement windows of {p.settle_timeout_min}..{p.settle_timeout_max} blocks, "
              f"{p.default_settle_timeout} by default).")
        n.say("Alice opens a channel with Bob and locks 5 ETH in it; Bob adds 2 ETH. These are L1 transactions.")
        lab.open("alice", "bob", 5 * ETH, 2 * ETH)
        setup = world.l1_news(n)
        world.table(n, (("alice", "bob"),))
        n.balances()

        there = (payments * 3 + 4) // 5
        n.say(f"They pay each other {payments} times off-chain: {there} payments of 0.01 ETH from Alice, "
              f"{payments - there} of 0.005 ETH from Bob. Each is one balance proof (EIP-712, secp256k1) that the "
              "payer signs and the payee verifies; nothing goes to L1.")
        seconds = max(_pay_both_ways(lab, n, payments), 1e-9)
        lab.settle_down()
        during = world.l1_news(n)
        n.note(f"{payments} payments in {seconds:.2f} s ({payments / seconds:,.0f} per second, each proof signed, "
               f"sent, verified and logged); L1 transactions meanwhile: {len(during)}")
        world.table(n, (("alice", "bob"),))

        n.say("They are done: Alice asks Bob to co-sign the final balances (a SettleRequest; Bob's peer checks them "
              "against its own balance proofs and answers with a SettleConfirmation), and sends cooperative_settle: "
              "one L1 transaction pays both sides, with no settlement window to wait for.")
        lab["alice"].cooperative_settle(lab.address("bob"))
        lab.settle_down()
        closing = world.l1_news(n)
        world.table(n, (("alice", "bob"),))
        n.balances()
        n.note("(closing alone, without the partner's signature, takes close, update and settle and a window: "
               "`l2lab demo channels-stale-close` shows that path)")

        other = compare if compare is not None else payments * 2
        n.say(f"The same channel's life with {other} payments instead of {payments}, on a fresh L1:")
        again = _after_opening(other, preset)
        after = during + closing
        rows = [{"payments": payments, "l1_transactions": len(after), "l1_gas": sum(t["gas"] for t in after),
                 "calls": [t["call"] for t in after]},
                {key: again[key] for key in ("payments", "l1_transactions", "l1_gas", "calls")}]
        for row in rows:
            n.note(f"{row['payments']:>6} payments: {row['l1_transactions']} L1 transaction(s) after opening "
                   f"({', '.join(row['calls'])}), {row['l1_gas']:,} L1 gas")
        # Only the calldata of the two balances can differ: a few gas per non-zero byte, never per payment.
        difference = abs(rows[0]["l1_gas"] - rows[1]["l1_gas"])
        flat = rows[0]["calls"] == rows[1]["calls"] and difference < 1_000
        n.note(f"the same transactions; the {difference:,} gas between them is the calldata of the two final "
               "balances (zero and non-zero bytes cost differently), not the payments")

        all_l1 = setup + after
        settled = _channel(lab, "alice", "bob").status == "settled"
        held = world.l1.balance(lab.adjudicator)
        total = sum(t["gas"] for t in all_l1)
        n.note(f"L1 transactions for the channel's whole life: {len(all_l1)} for {payments} payments "
               f"({total:,} gas, {total / payments:,.0f} per payment)")
        ok = (settled and held == 0 and not during and not lab.bus.refused and flat and again["settled"]
              and [t["call"] for t in closing] == ["cooperative_settle"])
        verdict = (f"{payments} off-chain payments, then one co-signed L1 transaction to settle: "
                   f"{len(all_l1)} L1 transactions in all; with {other} payments the same {len(after)} after "
                   "opening; both settled with exactly what they were paid")
        summary = _summary(n, world, "channels", verdict, ok, payments=payments,
                           payments_per_second=round(payments / seconds), l1_transactions=all_l1,
                           l1_transactions_during_payments=len(during), after_opening=rows, raiden_gas=RAIDEN_GAS)
        return _code(summary), summary

    return _run(body, preset, ("alice", "bob"))


# -- channels-stale-close: the partner closes as if it never paid ------------------------------------------


def _mallory_buys_from_alice(lab: ChannelLab, n: Narrator) -> None:
    """Alice pays Mallory 1 ETH, then Mallory pays Alice 4 ETH in eight payments: the state Mallory would rather forget."""
    lab["alice"].transfer_direct(lab.address("mallory"), ETH)
    n.flow("alice", "mallory", ETH)
    lab.settle_down()
    for _ in range(8):
        lab["mallory"].transfer_direct(lab.address("alice"), ETH // 2)
        n.flow("mallory", "alice", ETH // 2)
        lab.settle_down()


def demo_stale_close(preset: str, out: TextIO | None = None) -> Result:
    """A stale close: Mallory closes as if her payments never happened; Alice's update defeats it."""

    def body(world: _World) -> Result:
        from contracts_spec.channels.contract import ChannelAdjudicator

        lab = world.lab
        n = _narrator(world, ("alice", "mallory"), out, honest=("alice",))
        n.say(f"Alice and Mallory open a channel (adjudicator {lab.adjudicator}): 5 ETH each.")
        lab.open("alice", "mallory", 5 * ETH, 5 * ETH)
        world.l1_news(n)
        n.say("Alice pays Mallory 1 ETH; Mallory then buys from Alice and pays her 4 ETH in eight payments.")
        mallory = lab["mallory"]
        _mallory_buys_from_alice(lab, n)
        world.table(n, (("alice", "mallory"),))
        latest = _channel(lab, "alice", "mallory").partner.balance_proof

        n.say("Mallory closes on L1 presenting only Alice's proof: L1 holds no proof of Mallory's payments, so "
              "as it stands she would get back 5 - 0 + 1 = 6 ETH instead of the 2 she is owed.")
        mallory.close(lab.address("alice"))
        mallory_close = world.l1_news(n)
        [closed] = world.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelClosed")
        n.note(f"ChannelClosed: channel {closed['channel_identifier']}, closer Mallory, the window runs "
               f"{lab.preset.default_settle_timeout} blocks")
        n.say(f"Alice's peer reads the close at the next block and presents Mallory's latest balance proof "
              f"(nonce {latest.nonce}, {eth(latest.transferred_amount)} transferred) within the window.")
        lab.settle_down()
        update = world.l1_news(n)
        [updated] = world.l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
        n.note(f"L1 now holds Mallory's proof of nonce {updated['nonce']}: the stale state is gone")
        _wait_window(world, n, _channel(lab, "mallory", "alice"))
        world.l1_news(n)
        [settled] = world.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled")
        paid = {settled["participant1"].lower(): settled["participant1_amount"],
                settled["participant2"].lower(): settled["participant2_amount"]}
        to_alice, to_mallory = paid[lab.address("alice").lower()], paid[lab.address("mallory").lower()]
        n.say(f"Settled: Alice receives {eth(to_alice)}, Mallory {eth(to_mallory)}: exactly what the latest proofs "
              "say. Mallory only spent gas on her attempt.")
        n.balances()
        # What Mallory holds beyond her start, the payments and her fees: what cheating earned her.
        mallory_gain = (sum(world.holdings("mallory").values()) - sum(n.start["mallory"].values())
                        - n.moved["mallory"] + n.fees["mallory"])
        ok = (to_alice == 8 * ETH and to_mallory == 2 * ETH and updated["nonce"] == latest.nonce
              and mallory_gain <= 0 and world.l1.balance(lab.adjudicator) == 0)
        verdict = ("Mallory closed with a stale state; Alice's update within the window put her latest proof on L1, "
                   "Alice lost nothing and Mallory gained nothing")
        summary = _summary(n, world, "channels-stale-close", verdict, ok,
                           close={"by": "mallory", "gas": mallory_close[0]["gas"] if mallory_close else 0},
                           update={"by": "alice", "nonce": updated["nonce"],
                                   "gas": update[0]["gas"] if update else 0},
                           settled_wei={"alice": str(to_alice), "mallory": str(to_mallory)},
                           cheater_gain_wei=str(mallory_gain))
        return _code(summary), summary

    return _run(body, preset, ("alice", "mallory"))


# -- channels-multihop: a payment over three channels ----------------------------------------------------


def demo_multihop(preset: str, out: TextIO | None = None) -> Result:
    """A mediated payment over three hops: hash-time locks with shrinking expiries, balances at every hop."""

    def body(world: _World) -> Result:
        from channels.messages import LockedTransfer

        lab = world.lab
        names = ("alice", "bob", "carol", "dave")
        pairs = (("alice", "bob"), ("bob", "carol"), ("carol", "dave"))
        n = _narrator(world, names, out, honest=names)
        n.say("Three channels in a line, each funded with 5 ETH by its left side: Alice-Bob, Bob-Carol, Carol-Dave. "
              "Alice and Dave share no channel.")
        for a, b in pairs:
            lab.open(a, b, 5 * ETH)
        world.l1_news(n)
        world.table(n, pairs)

        amount = 2 * ETH
        n.say(f"Alice pays Dave {eth(amount)}. Her peer finds a route with the capacity (routing over the channel "
              "graph L1 shows) and sends a locked transfer: a lock on the hash of a secret only she knows.")
        mark = len(lab.bus.delivered)
        identifier = lab.pay("alice", "dave", amount)
        n.flow("alice", "dave", amount)
        payment = lab["alice"].state.payments[identifier]
        route = [next(m for m in names if lab.address(m).lower() == a.lower()) for a in payment.route]
        n.note(f"route: {' -> '.join(route)} ({len(route) - 1} hops)")
        kinds: dict[str, int] = {}
        hops = []
        for signed in lab.bus.delivered[mark:]:
            kind = type(signed.message).__name__
            kinds[kind] = kinds.get(kind, 0) + 1
            if isinstance(signed.message, LockedTransfer):
                lock = signed.message.lock
                frm = next(m for m in names if lab.address(m).lower() == signed.message.sender.lower())
                to = next(m for m in names if lab.address(m).lower() == signed.message.recipient.lower())
                hops.append({"from": frm, "to": to, "amount": str(lock.amount), "expiration": lock.expiration})
                n.note(f"{frm} locks {eth(lock.amount)} for {to}, expiring at block {lock.expiration}")
        n.note(f"each mediator's lock expires {lab.preset.reveal_timeout} blocks (a reveal timeout) before the one it "
               "was paid with, so it can always claim its own on L1 in time")
        n.note("messages: " + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items())))
        n.say("Dave asks Alice for the secret and reveals it to Carol; each hop pays the next with an Unlock and "
              "reveals the secret to its own payer, back to Alice. Balances at every hop:")
        rows = world.table(n, pairs)
        world.l1_news(n)
        n.balances()
        succeeded = payment.status == "succeeded"
        mediators_even = all(world.l2_balance(m) == 5 * ETH for m in ("bob", "carol"))
        no_locks = all(not _channel(lab, a, b).our.locks for a, b in pairs)
        ok = succeeded and mediators_even and no_locks and not lab.bus.refused
        verdict = (f"{eth(amount)} crossed {len(route) - 1} hops off-chain; every mediator ended with what it had, "
                   "no lock left pending, no L1 transaction")
        summary = _summary(n, world, "channels-multihop", verdict, ok, route=route, locks=hops, messages=kinds,
                           channels=rows, payment_status=payment.status)
        return _code(summary), summary

    return _run(body, preset, ("alice", "bob", "carol", "dave"))


# -- channels-mediator-offline: the mediator vanishes mid-payment ----------------------------------------


def demo_mediator_offline(preset: str, out: TextIO | None = None) -> Result:
    """A mediator goes offline mid-payment: the payee claims on L1 in time, nobody loses the locked amount."""

    def body(world: _World) -> Result:
        from contracts_spec.channels.contract import SecretRegistry

        lab = world.lab
        names = ("alice", "bob", "carol")
        pairs = (("alice", "bob"), ("bob", "carol"))
        n = _narrator(world, names, out, honest=names)
        n.say("Alice-Bob and Bob-Carol channels, 5 ETH each from the left side.")
        for a, b in pairs:
            lab.open(a, b, 5 * ETH)
        world.l1_news(n)
        amount = 3 * ETH
        n.say(f"Alice pays Carol {eth(amount)} through Bob. Bob takes Alice's lock and sends Carol his own, then "
              "goes offline: he reads neither messages nor L1 from here on.")
        lab["alice"].pay(lab.address("carol"), amount)
        n.flow("alice", "carol", amount)
        lab.bus.run(limit=1)  # Alice's locked transfer reaches Bob, who locks for Carol
        lab.online("bob", False)
        lab.settle_down()
        carol_lock = next(iter(_channel(lab, "carol", "bob").partner.locks.values()))
        n.note(f"Carol holds Bob's lock of {eth(carol_lock.amount)} expiring at block {carol_lock.expiration}; she "
               "got the secret from Alice, and Bob is not there to unlock it")
        world.table(n, pairs)
        n.say("Blocks pass. A reveal timeout before the lock expires, Carol registers the secret on L1: from then on "
              "the lock is hers whatever Bob does.")
        while not world.l1.events(lab.registry, SecretRegistry, "SecretRevealed"):
            lab.wait(1)
        world.l1_news(n)
        [revealed] = world.l1.events(lab.registry, SecretRegistry, "SecretRevealed")
        n.note(f"the secret is on L1 at block {revealed['blockNumber']}, before the lock's expiry at "
               f"{carol_lock.expiration}; Alice's peer reads it and unlocks to Bob off-chain (queued until Bob is back)")
        n.say("The lock expires unpaid: Carol closes Bob-Carol on L1, waits out the window, settles and unlocks the "
              "lock with the registered secret.")
        while _channel(lab, "carol", "bob").status == "opened":
            lab.wait(1)
        world.l1_news(n)
        _wait_window(world, n, _channel(lab, "carol", "bob"))
        lab.wait(2)
        world.l1_news(n)
        n.say("Bob comes back online. His peer reads L1 (Carol's close, the settlement, her unlock) and learns the "
              "secret from the registry. Alice's lock to him has expired while her unlock waited in her outbox, so "
              "his peer does as Carol's did: it closes Alice-Bob, waits out the window, settles and unlocks on L1.")
        lab.online("bob", True)
        lab.settle_down()
        world.l1_news(n)
        bob_side = _channel(lab, "bob", "alice")
        if bob_side.status == "closed":
            _wait_window(world, n, bob_side)
        lab.wait(2)
        world.l1_news(n)
        world.table(n, pairs)
        n.balances()
        payment = next(iter(lab["alice"].state.payments.values()))
        settled = all(_channel(lab, a, b).status == "settled" for a, b in pairs)
        ok = payment.status == "succeeded" and settled and world.l1.balance(lab.adjudicator) == 0
        verdict = (f"the mediator vanished with {eth(amount)} locked; the payee registered the secret and claimed the "
                   "lock on L1 in time, the mediator claimed the payer's lock the same way once back, and nobody lost "
                   "the locked amount")
        summary = _summary(n, world, "channels-mediator-offline", verdict, ok, locked_wei=str(amount),
                           secret_registered_block=revealed["blockNumber"], lock_expiration=carol_lock.expiration,
                           payment_status=payment.status)
        return _code(summary), summary

    return _run(body, preset, ("alice", "bob", "carol"))


# -- channels-watchtower: the user offline, a watchtower defends it ---------------------------------------


def demo_watchtower(preset: str, out: TextIO | None = None) -> Result:
    """The user offline: a watchtower answers the partner's stale close and is paid the reward, only then."""

    def body(world: _World) -> Result:
        from contracts_spec.channels.contract import ChannelAdjudicator

        lab = world.lab
        reward = ETH // 100
        _ = lab.monitoring_service  # deployed before the narrator takes its first snapshot
        n = _narrator(world, ("alice", "mallory", "tower"), out, honest=("alice", "tower"))
        n.say(f"Alice and Mallory open a channel, 5 ETH each. A watchtower runs beside the adjudicator; its "
              f"MonitoringService contract is at {lab.monitoring_service}.")
        lab.open("alice", "mallory", 5 * ETH, 5 * ETH)
        world.l1_news(n)
        tower = lab.add_watchtower("tower", world.all_keys["tower"])
        n.say(f"Alice hires it: she deposits a reward of {eth(reward)} in the MonitoringService; from now on her "
              "peer hands the watchtower every newest proof Mallory signs, counter-signed for the update.")
        lab.hire("alice", "tower", reward)
        world.l1_news(n)
        n.say("Mallory pays Alice 4 ETH in eight payments; Alice pays Mallory 1 ETH.")
        mallory = lab["mallory"]
        _mallory_buys_from_alice(lab, n)
        latest = _channel(lab, "alice", "mallory").partner.balance_proof
        n.note(f"the watchtower holds Mallory's proof of nonce {latest.nonce} ({tower.stats.accepted} handed over)")
        world.table(n, (("alice", "mallory"),))
        n.say("Alice goes offline (her laptop is shut). Mallory closes at once with only Alice's proof: on L1 her "
              "4 ETH of payments never happened.")
        lab.online("alice", False)
        mallory.close(lab.address("alice"))
        lab.settle_down()
        world.l1_news(n)
        n.say(f"Blocks pass. Alice does not answer; half-way through the window (patience {tower.patience}) the "
              "watchtower lands the update through the MonitoringService, with Alice's counter-signature.")
        window = _channel(lab, "mallory", "alice")
        while not tower.stats.updates_landed and lab.l1.block_number() <= window.settle_block:
            lab.wait(1)
        world.l1_news(n)
        updates = world.l1.events(lab.adjudicator, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
        landed = bool(updates) and updates[-1]["nonce"] == latest.nonce
        n.note(f"L1 holds Mallory's proof of nonce {updates[-1]['nonce'] if updates else 0}: the stale state is gone")
        _wait_window(world, n, window)
        lab.wait(2)
        world.l1_news(n)
        claimed = sum(amount for _, amount in tower.stats.rewards)
        if claimed:
            n.flow("alice", "tower", claimed)
        n.say(f"Settled with the latest proofs; the watchtower claims its reward ({eth(claimed)}) from Alice's "
              "deposit, which it could not have done had its update not landed. Alice comes back online.")
        lab.online("alice", True)
        lab.settle_down()
        world.l1_news(n)
        n.balances()
        [settled] = world.l1.events(lab.adjudicator, ChannelAdjudicator, "ChannelSettled")
        paid = {settled["participant1"].lower(): settled["participant1_amount"],
                settled["participant2"].lower(): settled["participant2_amount"]}
        to_alice = paid[lab.address("alice").lower()]
        ok = landed and to_alice == 8 * ETH and claimed == reward and world.l1.balance(lab.adjudicator) == 0
        verdict = (f"Alice was offline during Mallory's stale close; the watchtower's update landed in the window, "
                   f"Alice got her 8 ETH and the watchtower its {eth(claimed)} reward")
        summary = _summary(n, world, "channels-watchtower", verdict, ok, reward_wei=str(claimed),
                           monitoring_service=lab.monitoring_service, update_nonce=latest.nonce,
                           settled_wei={"alice": str(to_alice), "mallory": str(paid[lab.address("mallory").lower()])})
        return _code(summary), summary

    return _run(body, preset, ("alice", "mallory"))


DEMOS: Mapping[str, Demo] = {
    "channels": demo_channels,
    "channels-stale-close": demo_stale_close,
    "channels-multihop": demo_multihop,
    "channels-mediator-offline": demo_mediator_offline,
    "channels-watchtower": demo_watchtower,
}

# One line each, as ``l2lab demo --list`` prints them: the first line of each demo's docstring.
SUMMARIES: Mapping[str, str] = {name: (demo.__doc__ or "").strip().splitlines()[0] for name, demo in DEMOS.items()}

__all__ = ["DEMOS", "SUMMARIES", "demo_channels", "demo_mediator_offline", "demo_multihop", "demo_stale_close",
           "demo_watchtower"]
