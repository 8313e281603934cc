"""Payment channels in ``l2lab compare``: the workload as mediated payments through one hub.

The topology is a hub: one peer (dev account 3, the first channel peer
``l2lab node`` hosts) deploys the secret registry and the adjudicator on the
shared L1 with the mainnet preset (Raiden's 500-block settlement window) and
opens a channel with each user. Each user funds its side with its deposit;
the hub funds its side of each channel with what that user will receive in
the workload, since every wei a user receives crosses the hub's side of that
user's channel: a hub locks capital toward its receivers, the most toward a
hot spot. Each transfer is a mediated payment user → hub → user with a
hash-time lock on each hop, over the in-process message bus: every balance
proof signed by its sender and checked by its receiver, each peer's
state changes in its write-ahead log (SQLite, fsynced) before it acts. At
the end each user and the hub settle their channel cooperatively: one
co-signed L1 transaction pays out both sides in full. Nothing touches L1
between the deposits and the settlements.
"""

from __future__ import annotations

import statistics
import tempfile
import time

from benchmarks.compare.core import (
    BLOCK_SECONDS,
    PhaseMeter,
    SchemeRun,
    World,
    expected_balances,
    gas_of,
)
from channels.lab import ChannelLab
from channels.peer import Peer
from channels.state import SETTLED
from contracts_spec.channels.contract import ChannelAdjudicator
from contracts_spec.channels.params import MAINNET, ChannelPreset
from contracts_spec.l1 import L1Client
from node.schemes.channels import PEER_ACCOUNTS

HUB = "hub"


def hub_deposits(workload_pairs: tuple[tuple[int, int], ...], users: int, amount: int) -> list[int]:
    """What the hub puts on its side of each user's channel: everything that user receives in the workload."""
    out = [0] * users
    for _, receiver in workload_pairs:
        out[receiver] += amount
    return out


def run(world: World, *, preset: ChannelPreset = MAINNET) -> SchemeRun:
    w, l1 = world.workload, world.l1
    names = [f"u{i}" for i in range(w.users)]
    keys = {HUB: world.dev_key(PEER_ACCOUNTS[0]), **dict(zip(names, w.keys, strict=True))}
    meter = PhaseMeter(l1)
    start = [l1.balance(a) for a in w.addresses]
    hub_funds = hub_deposits(w.pairs, w.users, w.amount_wei)
    hub_start = l1.balance(Peer.address_of(keys[HUB]))
    with tempfile.TemporaryDirectory(prefix="l2lab-compare-channels-") as logs:
        with meter.phase("setup"):
            lab = ChannelLab(l1, keys, keys[HUB], logs, preset)
            hub = lab[HUB]
            for name in names:
                hub.open_channel(lab.address(name))
            lab.settle_down()
        try:
            return _carry(world, lab, meter, names, start, hub_start, hub_funds)
        finally:
            for peer in lab.peers.values():
                peer.close_log()


def _carry(world: World, lab: ChannelLab, meter: PhaseMeter, names: list[str], start: list[int], hub_start: int,
           hub_funds: list[int]) -> SchemeRun:
    """Deposits, the workload's payments, the settlements, and what they measured."""
    w, l1, hub, preset = world.workload, world.l1, lab[HUB], lab.preset
    lab.bus.keep = 0  # no record of delivered messages: the measurement is of the peers
    with meter.phase("deposit"):
        for name, funds in zip(names, hub_funds, strict=True):
            lab[name].deposit(hub.address, w.deposit_wei)
            if funds:
                hub.deposit(lab.address(name), funds)
        lab.settle_down()

    latencies: list[float] = []
    with meter.phase("transfer"):
        for sender, receiver in w.pairs:
            payer = lab[names[sender]]
            began = time.perf_counter()
            identifier = payer.pay(lab.address(names[receiver]), w.amount_wei)
            lab.bus.run()  # lock, secret request and reveal, unlocks back: every message delivered and acknowledged
            latencies.append(time.perf_counter() - began)
            payment = payer.state.payments[identifier]
            if payment.status != "succeeded" or tuple(payment.route) != (payer.address, hub.address,
                                                                            lab.address(names[receiver])):
                raise RuntimeError(f"payment {identifier} did not go through the hub: {payment.status}, "
                                   f"route {payment.route}")
    if lab.bus.refused:
        raise RuntimeError(f"a peer refused a message: {lab.bus.refused[0][1]}")
    if any(peer.state.queue for peer in lab.peers.values()):
        raise RuntimeError("a message of the payments is still waiting for its acknowledgement")
    ingress = sum(latencies)

    with meter.phase("withdraw"):
        for name in names:
            lab[name].cooperative_settle(hub.address)
        lab.settle_down()
    if any(getattr(lab[name].channel(hub.address), "status", None) != SETTLED for name in names):
        raise RuntimeError("a channel did not settle")

    expected = expected_balances(w)
    lost = max(0, hub_start - meter.fees_of(hub.address) - l1.balance(hub.address) - _in_channels(hub))
    for i, name in enumerate(names):
        want = start[i] - meter.fees_of(w.addresses[i]) - w.deposit_wei + expected[i]
        lost += max(0, want - l1.balance(w.addresses[i]) - _in_channels(lab[name]))
    curve, per_call = _lifecycles(l1, lab.adjudicator, w.pairs, [lab.address(n) for n in names])
    window = preset.default_settle_timeout
    window_s = preset.settle_seconds(window)
    capital = w.users * w.deposit_wei + sum(hub_funds)
    return SchemeRun(
        scheme="channels", label="payment channels (hub)", workload=w.label,
        ingress_seconds=ingress, transfers=w.transfers,
        l1_gas=meter.gas(), l1_bytes=meter.calldata(),
        batch_curve=curve,
        soft_confirmation_s=statistics.mean(latencies),
        soft_what="one mediated payment user → hub → user, start to last acknowledgement (measured, mean): "
                  "locked transfers, secret request and reveal, unlocks, each balance proof signed, checked and "
                  "logged (fsynced) by its peers",
        finality_s=float(window_s),
        finality_what=f"on L1, when the channel settles: alone (the partner not co-signing), a close and the "
                      f"settlement window of {window} blocks ({window_s // 60} minutes, protocol parameter of the "
                      "mainnet preset); off-chain the payment is final once the payee's unlock is acknowledged, "
                      "the balance proofs enforceable on L1 at any time",
        withdrawal_delay_s=float(BLOCK_SECONDS),
        withdrawal_what=f"a cooperative settlement: one co-signed L1 transaction, one {BLOCK_SECONDS} s block "
                        f"(protocol); alone, a close, then the settlement window of {window} blocks "
                        f"({window_s // 60} minutes, the mainnet preset's), then settle",
        capital_locked_wei=capital,
        capital_what=f"the users' deposits and the hub's {sum(hub_funds) / 10**18:g} ETH: on its side of each "
                     "channel, all that user receives",
        user_duty="stay online through every settlement window, or hire a watchtower",
        lost_wei=lost,
        notes=["one hub opens a channel with every user; each transfer is a mediated payment through it with "
               "hash-time locks; no L1 transaction between the deposits and the settlements",
               "the hub funds each channel with what its user receives in the workload: a hub locks capital "
               "toward its receivers, the most toward a hot spot",
               "the withdrawal: each channel settles cooperatively at the end and pays out the whole balance of "
               "both sides, not only the workload's withdrawal amount",
               "setup is the adjudicator's and secret registry's deployment and the hub's open_channel calls; "
               "deposit is every set_total_deposit, the users' and the hub's",
               "the batch curve: each channel of this run, its open, deposits and cooperative settle over the "
               "payments that crossed it (a mediated payment crosses two channels)"],
        extra={
            "adjudicator": {"unit": "address", "value": lab.adjudicator},
            "hub_locked_wei": {"unit": "wei", "value": sum(hub_funds)},
            "hub_largest_channel_wei": {"unit": "wei", "value": max(hub_funds)},
            "settlement_window_blocks": {"unit": "blocks", "value": window},
            "settlement_window_s": {"unit": "s", "value": window_s},
            "payments_per_second": {"unit": "payments/s", "value": round(w.transfers / ingress, 1)},
            **{f"gas_{method}": {"unit": "gas", "value": gas} for method, gas in per_call.items()},
        },
    )


def _in_channels(peer: Peer) -> int:
    """What ``peer`` holds in its channels not settled yet (its share, pending locks back to their senders)."""
    return sum(c.balance() for c in peer.state.channels.values() if c.status != SETTLED)


def _lifecycles(l1: L1Client, adjudicator: str, pairs: tuple[tuple[int, int], ...],
                users: list[str]) -> tuple[list[tuple[int, float]], dict[str, int]]:
    """The batch curve from this run's channels, and each call's mean gas, all from L1's receipts.

    A channel's life is its open_channel, its set_total_deposit calls and its
    cooperative settlement; the payments through it are its user's sends and
    receipts. Channels with the same count of payments are averaged.
    """
    calls: dict[int, dict[str, list[int]]] = {}
    for event, method in (("ChannelOpened", "open_channel"), ("ChannelNewDeposit", "set_total_deposit"),
                          ("ChannelSettled", "cooperative_settle")):
        for e in l1.events(adjudicator, ChannelAdjudicator, event):
            gas = gas_of(l1.wait_for_receipt(e["transactionHash"]))
            calls.setdefault(e["channel_identifier"], {}).setdefault(method, []).append(gas)
    opened = {e["channel_identifier"]: {e["participant1"].lower(), e["participant2"].lower()}
              for e in l1.events(adjudicator, ChannelAdjudicator, "ChannelOpened")}
    through = {u.lower(): 0 for u in users}
    for sender, receiver in pairs:
        through[users[sender].lower()] += 1
        through[users[receiver].lower()] += 1
    by_count: dict[int, list[float]] = {}
    for identifier, parts in opened.items():
        user = next(iter(parts & set(through)))
        count = through[user]
        if count:
            life = sum(sum(g) for g in calls[identifier].values())
            by_count.setdefault(count, []).append(life / count)
    per_call: dict[str, list[int]] = {}
    for methods in calls.values():
        for method, gases in methods.items():
            per_call.setdefault(method, []).extend(gases)
    return ([(count, statistics.mean(v)) for count, v in sorted(by_count.items())],
            {m: round(statistics.mean(g)) for m, g in per_call.items()})

