"""The optimistic rollup's workshop scenarios for ``l2lab demo``, narrated step by step.

``l2lab demo optimistic`` walks the honest path of the optimistic rollup
(deposit, transfer, submit_batch, challenge window, withdraw) and
``l2lab demo optimistic-fraud`` the attack path (a forged signature, the fraud
proof, the revert and the slashing); ``l2lab demo optimistic-bisection`` the
same theft caught by the interactive bisection game. Each step prints what happened and the
balances, so a class can follow along; the L1 clock is advanced, never waited on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from node.narration import ETH, Narrator, eth

if TYPE_CHECKING:
    from contracts_spec.interfaces import Demo

NAMES = ("operator", "challenger", "alice", "bob", "carol", "mallory")
_eth = eth


def _holdings(lab) -> Callable[[str], dict[str, int]]:
    """What a person holds in an optimistic-rollup demo: L1 and L2 balances and any operator bond."""
    return lambda name: {"l1_wei": lab.l1_balance(name), "l2_wei": lab.l2_balance(name),
                         "bond_wei": lab.rollup.call("bond_of", lab.address(name))}


def _narrator(lab, people: tuple[str, ...], out: TextIO | None, honest: tuple[str, ...]) -> Narrator:
    return Narrator(lab, people, out, honest=honest, holdings=_holdings(lab))


def _summary(n: Narrator, scenario: str, verdict: str, ok: bool, **extra: object) -> dict:
    """The summary every optimistic demo ends with: the rollup's address and what became of its batches."""
    lab: Any = n.lab
    rollup = lab.rollup
    on_l1 = rollup.call("batch_count")
    submitted = sum(s["step"] == "submit_batch" for s in n.steps)
    context = {"preset": lab.preset.name, "rollup": rollup.address,
               "batches": {"submitted": submitted, "on_l1": on_l1, "reverted": submitted - on_l1,
                           "final": sum(bool(rollup.call("is_final", i)) for i in range(on_l1))}}
    return n.summary(scenario, verdict, ok, context=context, **extra)


def _make_lab(preset_name: str = "minimal", contract=None):
    from contracts_spec.optimistic.params import get_preset
    from node.chain import Chain
    from node.devaccounts import derive_dev_accounts
    from node.rpc import in_process_l1
    from rollup.optimistic.lab import OptimisticLab

    accounts = derive_dev_accounts(len(NAMES))
    chain = Chain(genesis_alloc={a.address: 100 * ETH for a in accounts})
    keys = {name: a.private_key for name, a in zip(NAMES, accounts, strict=True)}
    extra = {} if contract is None else {"contract": contract}
    return OptimisticLab(in_process_l1(chain), keys, preset=get_preset(preset_name), **extra)


Result = tuple[int, dict]


def demo_optimistic(preset: str, out: TextIO | None = None) -> Result:
    from contracts_spec.l1 import TransactionReverted

    lab = _make_lab(preset)
    n = _narrator(lab, ("operator", "alice", "bob"), out, honest=("operator", "alice", "bob"))
    p = lab.preset
    n.say(f"The rollup contract is deployed at {lab.rollup.address} (preset {p.name!r}: "
          f"{p.challenge_window}s challenge window, {2 ** p.tree_depth} accounts); "
          f"the operator bonded {_eth(p.min_bond)}.")
    n.say("Alice deposits 5 ETH and Bob 1 ETH on L1; the operator includes the deposits in batch 0.")
    n.record("deposit", lab.deposit("alice", 5 * ETH))
    n.record("deposit", lab.deposit("bob", 1 * ETH))
    n.gas("submit_batch", lab.submit_batch())
    n.balances()
    n.say("On L2, Alice signs a transfer of 2 ETH to Bob (EIP-712); Bob signs a withdrawal of 1 ETH.")
    lab.transfer("alice", "bob", 2 * ETH)
    n.flow("alice", "bob", 2 * ETH)
    lab.withdraw("bob", 1 * ETH)
    n.gas("the operator posts batch 1 with submit_batch", lab.submit_batch(), "submit_batch")
    n.note(f"batch 1 is {len(lab.operator.posted[-1].sealed.data)} bytes of calldata; L1 stores only its hash")
    n.balances()
    n.say("The challenger replays every batch from L1 calldata and finds nothing wrong.")
    n.note(f"fraud proofs sent: {len(lab.challenge())}")
    n.note(f"challenge time left on batch 1: {lab.rollup.call('challenge_time_left', 1)} s")
    n.say("Bob tries to claim his withdrawal on L1 before the window closes.")
    early = ""
    try:
        lab.claim_withdrawals("bob", 1)
    except TransactionReverted as exc:
        early = exc.reason
        n.note(f"refused: {exc.reason}")
    n.say(f"{p.challenge_window:,} seconds pass on L1 (time travel): batch 1 is final.")
    lab.finalize()
    n.note(f"is_final(1) = {lab.rollup.call('is_final', 1)}")
    (claim,) = lab.claim_withdrawals("bob", 1)
    n.gas("Bob claims his 1 ETH on L1", claim, "withdraw claim")
    n.balances()
    n.say("A fresh full node rebuilds L2 state from L1 data alone.")
    node = lab.rebuild()
    same = node.root == lab.operator.state.root
    n.note(f"rebuilt root {node.root.hex()[:16]}... equals the operator's: {same}")
    verdict = "no fraud: every batch valid and final; the early claim was refused, the late one paid"
    return (0 if same else 1), _summary(n, "optimistic", verdict, same, early_claim_refused=early,
                                         rebuilt_root_matches=same)


def _slashing(lab, contract, operator_bond_before: int) -> tuple[dict, dict]:
    """The FraudProven event and what the slashing did to the operator's bond."""
    (event,) = lab.l1.events(lab.rollup.address, contract, "FraudProven")
    after = lab.rollup.call("bond_of", lab.address("operator"))
    return event, {"operator_bond_before_wei": str(operator_bond_before), "operator_bond_after_wei": str(after),
                   "slashed_wei": str(operator_bond_before - after), "reward_to_challenger_wei": str(event["reward"]),
                   "burned_wei": str(event["burned"])}


def demo_optimistic_fraud(preset: str, out: TextIO | None = None) -> Result:
    from contracts_spec.optimistic.contract import OptimisticRollup
    from contracts_spec.optimistic.rules import Account

    lab = _make_lab(preset)
    n = _narrator(lab, ("operator", "challenger", "alice", "mallory"), out, honest=("alice", "challenger"))
    bond = lab.rollup.call("bond_of", lab.address("operator"))
    n.say("Alice deposits 5 ETH, Mallory 0.1 ETH; batch 0 is posted.")
    n.record("deposit", lab.deposit("alice", 5 * ETH))
    n.record("deposit", lab.deposit("mallory", ETH // 10))
    n.record("submit_batch", lab.submit_batch())
    n.balances()
    n.say("The operator turns malicious: it moves Alice's 4 ETH to Mallory with a signature Mallory made.")
    a, m = lab.index("alice"), lab.index("mallory")
    forged = lab.wallets["mallory"].transfer(a, m, 4 * ETH, lab.nonce("alice"))
    alice, mallory = lab.operator.state.get_account(a), lab.operator.state.get_account(m)
    lab.operator.sequencer.inject(forged, {
        a: Account(alice.address, alice.balance - 4 * ETH, alice.nonce + 1),
        m: Account(mallory.address, mallory.balance + 4 * ETH, mallory.nonce),
    })
    n.gas("batch 1 is posted", lab.submit_batch(), "submit_batch")
    n.note(f"the operator's L2 state now says Mallory has {_eth(lab.l2_balance('mallory'))}")
    n.say("The challenger replays batch 1 from L1, finds step 0 invalid and sends a fraud proof: just that "
          "entry and its Merkle path in the batch's entries root, plus the accounts it touches.")
    (proof,) = lab.challenge()
    n.gas("prove_fraud (L1 checks the entry's path, then re-runs derive_step on Merkle witnesses)", proof,
          "prove_fraud")
    event, slashing = _slashing(lab, OptimisticRollup, bond)
    n.flow("operator", "challenger", event["reward"])
    n.note(f"verdict: {event['reason']}")
    n.note(f"batch 1's claim is invalid ({lab.rollup.call('batch_count')} claim(s) stand), its data stays posted; "
           f"operator bond slashed: {_eth(event['reward'])} to the challenger, {_eth(event['burned'])} burned")
    n.balances()
    n.say("Mallory cannot withdraw the stolen ETH: the forged transfer stays posted, but derivation makes it a "
          "no-op. The operator bonds again and re-proposes batch 1's true claim.")
    lab.operator.post_bond(bond)
    n.gas("repropose_batch", lab.submit_batch(), "repropose_batch")
    node = lab.rebuild()
    n.note(f"a full node rebuilt from L1 agrees: Alice has {_eth(node.state.balance(a))} on L2")
    ok = node.state.balance(a) == 5 * ETH
    return (0 if ok else 1), _summary(n, "optimistic-fraud", str(event["reason"]), ok, fraud_step=event.get("step"),
                                       slashing=slashing)


def demo_optimistic_bisection(preset: str, out: TextIO | None = None) -> Result:
    from contracts_spec.optimistic.bisection import BisectionRollup
    from contracts_spec.optimistic.rules import Account

    lab = _make_lab(preset, BisectionRollup)
    n = _narrator(lab, ("operator", "challenger", "alice", "bob", "mallory"), out,
                 honest=("alice", "bob", "challenger"))
    bond = lab.rollup.call("bond_of", lab.address("operator"))
    n.say("A rollup whose batches carry no intermediate roots: only the final state root is claimed. "
          "Alice deposits 5 ETH, Bob and Mallory 1 ETH; batch 0 is posted.")
    for name, amount in (("alice", 5 * ETH), ("bob", ETH), ("mallory", ETH)):
        n.record("deposit", lab.deposit(name, amount))
    n.record("submit_batch", lab.submit_batch())
    n.balances()
    n.say("Batch 1: sixteen steps. Fifteen are Alice's honest 0.01 ETH transfers to Bob; step 11 is Mallory's "
          "own valid 0.1 ETH payment to Bob, in which the operator also credits her 3 ETH from nowhere.")
    for i in range(16):
        if i == 11:
            m, b = lab.index("mallory"), lab.index("bob")
            mal, bob = lab.operator.state.get_account(m), lab.operator.state.get_account(b)
            tx = lab.wallets["mallory"].transfer(m, b, ETH // 10, mal.nonce)
            lab.operator.sequencer.inject(tx, {m: Account(mal.address, mal.balance + 3 * ETH, mal.nonce + 1),
                                               b: bob._replace(balance=bob.balance + ETH // 10)})
            n.flow("mallory", "bob", ETH // 10)  # Mallory's own payment is valid, and is re-admitted
        else:
            lab.transfer("alice", "bob", ETH // 100)
            n.flow("alice", "bob", ETH // 100)
    n.gas("batch 1 is posted (16 entries, no roots in between)", lab.submit_batch(), "submit_batch")
    n.say("The challenger replays batch 1, finds its post_root wrong, bonds and opens a dispute. "
          "The proposer names the root at each midpoint; the challenger agrees or not, halving the range.")
    receipts = lab.challenge()
    events = {name: lab.l1.events(lab.rollup.address, BisectionRollup, name)
              for name in ("Bisected", "Chosen", "FraudProven", "DisputeResolved")}
    for receipt in receipts:
        n.record("dispute move", receipt)
    if n.steps and n.steps[-1]["step"] == "dispute move":
        n.steps[-1]["step"] = "prove_fraud"  # the last move runs the one disputed step on L1
    for bisected, chosen in zip(events["Bisected"], events["Chosen"], strict=False):
        verdict = "agrees" if chosen["agree"] else "disagrees"
        n.note(f"steps {bisected['lo']}..{bisected['hi']}: proposer claims the root after step {bisected['mid']}, "
               f"challenger {verdict} -> {chosen['lo']}..{chosen['hi']}")
    fraud, slashing = _slashing(lab, BisectionRollup, bond)
    n.flow("operator", "challenger", fraud["reward"])
    n.say(f"One step is left: L1 runs step {fraud['step']} with apply_tx from the agreed root.")
    n.note(f"verdict: {fraud['reason']}")
    n.note(f"{len(receipts)} dispute transactions, {sum(int(r['gasUsed'], 16) for r in receipts):,} L1 gas in all")
    n.note(f"batch 1 reverted; operator bond slashed: {_eth(fraud['reward'])} to the challenger, "
           f"{_eth(fraud['burned'])} burned")
    n.say("The operator rolled back and re-admitted the valid transfers (Mallory's own 0.1 ETH payment too); "
          "they wait for the next batch. The L2 column is the operator's view, with them applied.")
    n.balances()
    node = lab.rebuild()
    n.note(f"a full node rebuilt from L1 alone (the waiting transfers not yet posted): Mallory has "
           f"{_eth(node.state.balance(lab.index('mallory')))} on L2; her stolen 3 ETH are gone")
    ok = node.state.balance(lab.index("mallory")) == ETH
    return (0 if ok else 1), _summary(n, "optimistic-bisection", str(fraud["reason"]), ok, fraud_step=fraud["step"],
                                       dispute_moves=len(receipts), slashing=slashing)


DEMOS: Mapping[str, Demo] = {
    "optimistic": demo_optimistic,
    "optimistic-fraud": demo_optimistic_fraud,
    "optimistic-bisection": demo_optimistic_bisection,
}
