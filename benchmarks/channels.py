"""``l2lab bench channels``: payments per second, mediated payments over a network, L1 gas of a channel's life.

Measured in one run so the ratios are fair:

- direct payments per second between two peers, every balance proof signed
  by the payer and its signature recovered and checked by the payee (and the
  acknowledgement signed and checked back): through the whole peer runtime
  with its write-ahead log fsynced per state change, as ``l2lab node`` hosts
  peers; the same with the log in memory (the protocol's own work); both
  again with payments submitted 100 at a time (``Peer.transfer_many``: group
  commit, one fsync per batch and per delivery round, a round's messages
  under one envelope signature, one acknowledgement per round, signatures
  made and recovered in batches on every core); and the floor the one
  signature a payment cannot do without (its balance proof, signed and
  recovered) sets, one at a time and in batches. Beside them the issue's target (10,000/s)
  and Raiden's published figure (about 500/s per core), labelled published;
- mediated payments per second and latency per hop over a generated network
  (a ring with random chords) of 120 peers (30 with ``--quick``), routes of
  one to several hops;
- the L1 gas of each lifecycle call, from receipts (open, deposit, close,
  update, settle, register_secret, unlock of one lock), beside Raiden's
  published figures; and the whole lifecycle's gas per payment as the number
  of payments grows (the amortisation curve: the L1 part does not grow);
- capital locked per unit of throughput: the deposits a channel (or the
  network) locks, per payment per second it carried here.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks.harness import Figure
from channels.lab import ChannelLab
from channels.peer import Peer
from channels.transition import Refused
from contracts_spec.channels.params import MINIMAL
from node.chain import Chain
from node.rpc import in_process_l1
from node.schemes.channels.recording import RecordingL1, gas_of
from primitives.secp256k1 import private_key_to_address

ETH = 10**18
SCHEME = "channels"
TARGET_PER_SECOND = 10_000
BATCH = 100  # payments a user submits at once in the batched figures
RAIDEN_PUBLISHED_PER_SECOND = 500  # Raiden's published throughput, per core
# Raiden's published gas of each call (raiden-contracts' measurements; unlock: one lock).
RAIDEN_GAS = {"open_channel": 104_000, "set_total_deposit": 57_000, "close_channel": 123_000,
              "update_non_closing_balance_proof": 92_000, "settle_channel": 116_000, "unlock": 39_000}
LIFECYCLE = ("open_channel", "set_total_deposit", "close_channel", "update_non_closing_balance_proof",
             "settle_channel")


def _fig(metric: str, workload: str, unit: str, value: float, name: str, note: str = "") -> Figure:
    return Figure(scheme=SCHEME, metric=metric, workload=workload, unit=unit, value=value, note=note,
                  name=f"channels.{name}")


class _MemoryLog:
    """A peer's log kept in memory: what the peer does per payment without the durable commit."""

    def __init__(self) -> None:
        self.changes: list[Any] = []

    def append(self, change: Any) -> int:
        self.changes.append(change)
        return len(self.changes)

    def append_many(self, changes: list[Any]) -> None:
        self.changes.extend(changes)

    def delete(self, seq: int) -> None:
        pass

    def replay(self) -> Iterator[tuple[int, Any]]:
        return iter(())

    def __len__(self) -> int:
        return len(self.changes)

    def close(self) -> None:
        pass


def _key(i: int) -> bytes:
    return (10_000 + i).to_bytes(32, "big")


@contextmanager
def _lab(count: int, durable: bool = True) -> Iterator[tuple[ChannelLab, RecordingL1, list[str]]]:
    """A lab of ``count`` peers called p0, p1, ... on a fresh in-process L1 (receipts kept)."""
    names = [f"p{i}" for i in range(count)]
    keys = {name: _key(i) for i, name in enumerate(names)}
    deployer = _key(99_999)
    chain = Chain(genesis_alloc={private_key_to_address(k): 10_000 * ETH for k in [*keys.values(), deployer]})
    l1 = RecordingL1(in_process_l1(chain))
    with tempfile.TemporaryDirectory(prefix="l2lab-bench-channels-") as tmp:
        lab = ChannelLab(l1, keys, deployer, tmp, MINIMAL)
        lab.bus.keep = 0  # no record of what was delivered: the measurement is of the peers, not of a test's log
        if not durable:
            for peer in lab.peers.values():
                peer.log.close()
                peer.log = _MemoryLog()  # type: ignore[assignment]
        try:
            yield lab, l1, names
        finally:
            for peer in lab.peers.values():
                peer.close_log()
            chain.close()


def _pay_direct(lab: ChannelLab, a: Peer, b: Peer, count: int, amount: int) -> float:
    """Seconds for ``count`` direct payments from ``a`` to ``b``, each delivered and acknowledged."""
    start = time.perf_counter()
    for _ in range(count):
        a.transfer_direct(b.address, amount)
        lab.bus.run()
    return time.perf_counter() - start


def _pay_batched(lab: ChannelLab, a: Peer, b: Peer, count: int, amount: int, batch: int = BATCH) -> float:
    """Seconds for ``count`` direct payments from ``a`` to ``b`` submitted ``batch`` at a time
    (``Peer.transfer_many``: one fsync per batch on each side), each delivered and acknowledged."""
    start = time.perf_counter()
    for done in range(0, count, batch):
        a.transfer_many(b.address, [amount] * min(batch, count - done))
        lab.bus.run()
    return time.perf_counter() - start


def direct_rates(count: int) -> dict[str, float]:
    """Direct payments per second, with the fsynced log and with it in memory, one at a time and in batches
    of ``BATCH``; best of two rounds each, all in one lab per log kind."""
    out = {}
    for durable in (True, False):
        with _lab(2, durable) as (lab, _, _):
            lab.open("p0", "p1", 1000 * ETH, 1000 * ETH)
            a, b = lab["p0"], lab["p1"]
            _pay_direct(lab, a, b, 20, 1)  # warm up
            best = min(_pay_direct(lab, a, b, count, 1) for _ in range(2))
            batched = min(_pay_batched(lab, a, b, count, 1) for _ in range(2))
            assert not lab.bus.refused and not a.state.queue and not b.state.queue
            kind = "wal" if durable else "memory"
            out[kind], out[f"{kind}_batched"] = count / best, count / batched
    return out


def signature_floor(count: int = 2000) -> tuple[float, float]:
    """Seconds per payment for the signatures it cannot do without: its balance proof signed once and
    recovered once. First one at a time on one core, then as a batched peer does them: ``BATCH`` at a time
    through ``secp256k1.sign_many`` and ``recover_signers`` on every core."""
    from contracts_spec.channels import rules as R
    from primitives import secp256k1

    key = _key(1)
    digests = [bytes([i % 256, i // 256]) * 16 for i in range(count)]
    start = time.perf_counter()
    for d in digests:
        R.recover_signer(d, R.sign(d, key))
    one = (time.perf_counter() - start) / count
    start = time.perf_counter()
    for at in range(0, count, BATCH):
        part = digests[at:at + BATCH]
        secp256k1.recover_signers(part, secp256k1.sign_many(part, key))
    return one, (time.perf_counter() - start) / count


# -- a network of peers ---------------------------------------------------------------------------------


def _network(lab: ChannelLab, names: list[str], seed: int, deposit: int) -> list[tuple[str, str]]:
    """A ring with one random chord per two peers, every channel funded by both sides."""
    rng = random.Random(seed)
    n = len(names)
    pairs = {tuple(sorted((i, (i + 1) % n))) for i in range(n)}
    while len(pairs) < n + n // 2:
        i, j = rng.sample(range(n), 2)
        pairs.add(tuple(sorted((i, j))))
    edges = [(names[i], names[j]) for i, j in sorted(pairs)]
    for a, b in edges:  # every open goes out first; the peers then read L1 and deposit
        lab[a].open_channel(lab.address(b), deposit)
    lab.settle_down()
    for a, b in edges:
        lab[b].deposit(lab.address(a), deposit)
    lab.settle_down()
    return edges


def mediated(count_peers: int, payments: int, durable: bool = True) -> dict[str, float]:
    """Mediated payments between random pairs of a generated network: rate, hops, latency per hop."""
    deposit = 100 * ETH
    with _lab(count_peers, durable) as (lab, _, names):
        edges = _network(lab, names, seed=7, deposit=deposit)
        rng = random.Random(11)
        pairs: list[tuple[str, str]] = []
        while len(pairs) < payments:
            a, b = rng.sample(names, 2)
            pairs.append((a, b))
        hops = done = unroutable = 0
        start = time.perf_counter()
        for a, b in pairs:
            try:
                identifier = lab[a].pay(lab.address(b), ETH // 1000)
            except Refused:  # farther than the router's hop limit: refused at once, nothing sent
                unroutable += 1
                continue
            lab.bus.run()
            payment = lab[a].state.payments[identifier]
            if payment.status == "succeeded":
                done += 1
                hops += len(payment.route) - 1
        seconds = time.perf_counter() - start
        return {"peers": count_peers, "channels": len(edges), "payments": payments, "succeeded": done,
                "unroutable": unroutable,
                "per_second": done / seconds, "mean_hops": hops / max(done, 1),
                "seconds_per_hop": seconds / max(hops, 1), "deposits": 2 * deposit * len(edges)}


# -- L1 gas ----------------------------------------------------------------------------------------------------


def lifecycle_gas(payments: int) -> dict[str, Any]:
    """Open, two deposits, ``payments`` payments both ways, close, update, settle: each call's gas."""
    with _lab(2, durable=False) as (lab, l1, _):
        lab.open("p0", "p1", 1000 * ETH, 1000 * ETH)
        a, b = lab["p0"], lab["p1"]
        for i in range(payments):
            (a if i % 2 == 0 else b).transfer_direct((b if i % 2 == 0 else a).address, 1000 + i)
            lab.bus.run()
        during = len(l1.receipts)
        b.close(a.address)
        lab.settle_down()
        lab.wait(MINIMAL.default_settle_timeout + 2)
        calls = [(m, gas_of(r)) for m, r in l1.receipts]
        assert {m for m, _ in calls} <= set(LIFECYCLE) and during == 3, calls  # nothing on L1 per payment
        return {"calls": calls, "total": sum(g for _, g in calls), "during_payments": during - 3}


def unlock_gas() -> dict[str, int]:
    """A one-hop locked payment its payer never unlocks: the payee registers the secret, closes, settles, unlocks."""
    with _lab(2, durable=False) as (lab, l1, _):
        lab.open("p0", "p1", 10 * ETH)
        lab.bus.drop_when(lambda s: type(s.message).__name__ == "Unlock")
        lab.pay("p0", "p1", ETH)
        for _ in range(200):
            if any(m == "unlock" for m, _ in l1.receipts):
                break
            lab.wait(1)
        return {f"{m}_with_lock" if m in ("close_channel", "settle_channel") else m: gas_of(r)
                for m, r in l1.receipts if m in ("register_secret", "close_channel", "settle_channel", "unlock")}


# -- the suite ---------------------------------------------------------------------------------------------------


def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    count = 300 if quick else 3000
    rates = direct_rates(count)
    floor = signature_floor(500 if quick else 3000)
    w = "two peers, direct payments"
    figures += [
        _fig("payments_per_second", f"{w}, log fsynced", "payments/s", round(rates["wal"]), "direct.per_second.wal",
             "the whole peer runtime as l2lab node hosts it: each state change in the SQLite log (WAL, "
             "synchronous=FULL) before it is applied; proof and message signed, both recovered and checked, the "
             "acknowledgement signed and checked back"),
        _fig("payments_per_second", f"{w}, log in memory", "payments/s", round(rates["memory"]),
             "direct.per_second.memory", "the same with the log kept in memory: the protocol's own work"),
        _fig("payments_per_second", f"{w} in batches of {BATCH}, log fsynced", "payments/s",
             round(rates["wal_batched"]), "direct.per_second.wal_batched",
             f"Peer.transfer_many of {BATCH} payments, then delivery rounds: one fsync per batch on each side "
             "(the acknowledgements ride with the next); every proof signed and recovered on its own, each "
             "round's messages under one envelope signature and acknowledged by one Processed, signatures of a "
             "round made and recovered in one batch on every core"),
        _fig("payments_per_second", f"{w} in batches of {BATCH}, log in memory", "payments/s",
             round(rates["memory_batched"]), "direct.per_second.memory_batched",
             "the same with the log kept in memory"),
        _fig("payments_per_second", "signatures only", "payments/s", round(1 / floor[0]),
             "direct.per_second.signatures",
             "the balance proof signed and recovered, one payment at a time on one core, nothing else"),
        _fig("payments_per_second", f"signatures only, in batches of {BATCH}", "payments/s", round(1 / floor[1]),
             "direct.per_second.signatures_batched",
             f"the same {BATCH} at a time on every core (secp256k1.sign_many, recover_signers): the ceiling of the "
             "batched figures"),
        _fig("payments_per_second", "target", "payments/s", TARGET_PER_SECOND, "target.per_second",
             "the issue's target on this machine"),
        _fig("payments_per_second", "raiden, published", "payments/s", RAIDEN_PUBLISHED_PER_SECOND,
             "published.raiden.per_second", "published: Raiden's figure, about 500 per second per core"),
    ]

    peers, payments = (30, 40) if quick else (120, 300)
    net = mediated(peers, payments)
    nw = f"{net['peers']} peers, {net['channels']} channels"
    figures += [
        _fig("mediated_payments_per_second", nw, "payments/s", round(net["per_second"], 1), "mediated.per_second",
             f"random pairs over a ring with chords, log fsynced; {net['succeeded']} of {net['payments']} "
             f"succeeded ({net['unroutable']} farther than the router's 6 hops), {net['mean_hops']:.2f} hops on "
             "average"),
        _fig("latency_per_hop", nw, "ms", round(1000 * net["seconds_per_hop"], 3), "mediated.latency_per_hop",
             "wall time of a mediated payment (lock, secret request and reveal, unlock back) over its hops"),
        _fig("mean_hops", nw, "hops", round(net["mean_hops"], 2), "mediated.mean_hops"),
        _fig("capital_locked_per_throughput", nw, "ETH per payment/s",
             round(net["deposits"] / ETH / max(net["per_second"], 1e-9), 2), "capital.network",
             "all the network's deposits over the mediated payments per second it carried here"),
        _fig("capital_locked_per_throughput", "two peers, 2,000 ETH deposited", "ETH per payment/s",
             round(2000 / rates["wal"], 4), "capital.two_peers",
             "the channel's deposits over the direct payments per second it carried (log fsynced)"),
    ]

    ten = lifecycle_gas(10)
    per_call: dict[str, int] = {}
    for method, gas in ten["calls"]:
        per_call.setdefault(method, gas)
    per_call.update(unlock_gas())
    for method, gas in per_call.items():
        figures.append(_fig("l1_gas", method, "gas", gas, f"gas.{method}", "from its receipt"))
        if method in RAIDEN_GAS:
            figures.append(_fig("l1_gas_published", f"raiden, {method}", "gas", RAIDEN_GAS[method],
                                f"published.raiden.gas.{method}", "published: raiden-contracts' gas figures"))
    counts = (1, 10, 100) if quick else (1, 10, 100, 1000, 10_000)
    for n in counts:
        life = ten if n == 10 else lifecycle_gas(n)
        figures.append(_fig("l1_gas_per_payment", f"lifecycle, {n:,} payments", "gas/payment",
                            round(life["total"] / n, 1), f"amortisation.{n}",
                            f"open, 2 deposits, close, update, settle: {len(life['calls'])} transactions, "
                            f"{life['total']:,} gas in all; {life['during_payments']} during the payments"))
    return figures
