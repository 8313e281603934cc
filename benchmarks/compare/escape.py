"""Leaving alone: what one user pays in L1 gas, and waits, to get her funds out when the operator (or, in a
channel, the partner) will not help, measured by running each scheme's escape demo.

Each route names the demo that plays it and the L1 transactions in it that are the escape: the user's own,
plus any a third party may send for everyone (Plasma's ``finalize_exits``). Their gas is read from the
receipts the demo recorded, so it is counted by L1 from the bytes and operations, as every figure here (a
run-to-run spread of a few dozen gas is a signature's zero bytes, which cost 4 calldata gas, not 16). The
demos run on their small presets, whose calls cost what they cost on the mainnet-like ones (no call's gas
depends on the length of a window; the zk-rollup's exit does depend on its tree depth, so its preset is
named); the wait is the mainnet-like preset's, as in the risk view. Like the risk view, this is one of the
few places that name schemes outside their own packages: it reads what their demos do.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from benchmarks.compare.risk import CHANNELS, OPTIMISTIC, PLASMA, ZK, _span


@dataclass(frozen=True)
class Route:
    """How one user leaves a scheme alone, in a demo that plays it."""

    scheme: str  # the report's row
    demo: str
    steps: tuple[tuple[str, str], ...]  # (who, step name) of the demo's L1 steps that are the escape
    how: str  # what she does, in one line
    wait_s: int  # the mainnet-like preset's wait, in seconds
    wait: str  # the same, in words
    preset: str = "minimal"  # the preset the demo runs on


ROUTES: tuple[Route, ...] = (
    Route("optimistic", "optimistic-censorship",
          (("alice", "deposit (overdue trigger)"), ("alice", "post_bond"), ("alice", "submit_batch"),
           ("alice", "withdraw claim"), ("alice", "withdraw_bond")),
          "a deposit of her own, left out past its deadline; then she bonds and posts it with her signed "
          "withdrawal, claims it after the window and takes the bond back",
          OPTIMISTIC.deposit_deadline_seconds + OPTIMISTIC.challenge_window,
          f"{_span(OPTIMISTIC.deposit_deadline_seconds)} (the deposit deadline) + "
          f"{_span(OPTIMISTIC.challenge_window)} (the challenge window)"),
    Route("zk", "zk-censorship", (("bob", "activate_exodus"), ("bob", "exit")),
          "once a deposit is overdue, activate exodus mode and exit her account with a Merkle proof against the "
          "last verified root",
          ZK.deposit_deadline_seconds, f"{_span(ZK.deposit_deadline_seconds)} (the deposit deadline)",
          preset="small"),
    Route("plasma", "plasma-withheld", (("alice", "start_exit"), ("carol", "finalize_exits")),
          "start the exit of her output with its bond; after the exit period anyone finalizes the queue "
          "(that call pays every exit due)",
          PLASMA.exit_period_seconds, f"{_span(PLASMA.exit_period_seconds)} (the exit period)"),
    Route("channels", "channels-mediator-offline",
          (("carol", "register_secret"), ("carol", "close_channel"), ("carol", "settle_channel"),
           ("carol", "unlock")),
          "close the channel alone with the partner's last balance proof, settle after the window, and claim "
          "the lock in flight with its secret registered on L1",
          CHANNELS.settle_seconds(CHANNELS.default_settle_timeout),
          f"{_span(CHANNELS.settle_seconds(CHANNELS.default_settle_timeout))} (the settlement window of "
          f"{CHANNELS.default_settle_timeout:,} blocks)"),
)


@dataclass(frozen=True)
class Escape:
    """A route as measured: the gas of each of its steps in the demo's run."""

    route: Route
    gas: tuple[tuple[str, str, int], ...]  # (who, step, gas), in the demo's order
    ok: bool  # the demo's own verdict

    @property
    def total_gas(self) -> int:
        return sum(g for _, _, g in self.gas)

    def to_dict(self) -> dict:
        r = self.route
        return {"scheme": r.scheme, "demo": r.demo, "preset": r.preset, "how": r.how,
                "steps": [{"by": who, "step": step, "gas": gas} for who, step, gas in self.gas],
                "l1_gas": self.total_gas, "l1_transactions": len(self.gas), "wait_s": r.wait_s, "wait": r.wait,
                "demo_ok": self.ok}


def measure(route: Route) -> Escape:
    """Run the route's demo offline and read its escape steps' gas from the receipts it recorded.

    A step the demo did not make is an error: the route and the demo have drifted apart.
    """
    from node.cli_demo import all_demos

    _, demo = all_demos()[route.demo]
    _, summary = demo(route.preset, io.StringIO())
    steps = [(s["by"], s["step"], int(s["gas"])) for s in summary["l1_steps"]]
    wanted = set(route.steps)
    found = tuple(s for s in steps if (s[0], s[1]) in wanted)
    lost = wanted - {(who, step) for who, step, _ in found}
    if lost:
        raise ValueError(f"demo {route.demo!r} made no step {sorted(lost)}: its steps are "
                         f"{sorted({(who, step) for who, step, _ in steps})}")
    return Escape(route, found, bool(summary["ok"]))


__all__ = ["ROUTES", "Escape", "Route", "measure"]
