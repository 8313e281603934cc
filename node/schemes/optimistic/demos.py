"""The optimistic rollup's workshop scenarios for ``l2lab demo``, narrated step by step.

``l2lab demo optimistic`` walks the honest path of the optimistic rollup
(deposit, transfer, submit_batch, challenge window, withdraw) and
``l2lab demo optimistic-fraud`` the attack path (a forged signature, the fraud
proof, the struck claim and the slashing); ``l2lab demo optimistic-bisection`` the
same theft caught by the interactive bisection game. Three attacks that fail:
``optimistic-sham-dispute`` (a puppet's dispute cannot shield a fraudulent
batch), ``optimistic-stuffing`` (what filling every block of a 7-day window
would cost under EIP-1559, and the challenger's rising tip) and
``optimistic-clock`` (a burst of transactions does not move this L1's clock, as
it would on anvil); and ``optimistic-censorship``, an operator that drops a
withdrawal, which the user posts herself behind a deposit of her own once
that deposit is overdue. Each step prints what happened and the balances, so a
class can follow along; the L1 clock is advanced, never waited on.
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
    context = {"rollup": rollup.address,
               "batches": {"submitted": submitted, "on_l1": on_l1, "reverted": submitted - on_l1,
                           "final": sum(bool(rollup.call("is_final", i)) for i in range(on_l1))}}
    return n.summary(scenario, verdict, ok, preset=lab.preset.name, context=context, **extra)


def _make_lab(preset_name: str = "minimal", contract=None):
    from contracts_spec.optimistic.params import get_preset
    from node.demo_l1 import demo_l1
    from node.devaccounts import derive_dev_accounts
    from rollup.optimistic.lab import OptimisticLab

    accounts = derive_dev_accounts(len(NAMES))
    keys = {name: a.private_key for name, a in zip(NAMES, accounts, strict=True)}
    extra = {} if contract is None else {"contract": contract}
    return OptimisticLab(demo_l1([a.address for a in accounts], 100 * ETH), keys, preset=get_preset(preset_name), **extra)


Result = tuple[int, dict]


def demo_optimistic(preset: str, out: TextIO | None = None) -> Result:
    """Optimistic rollup: deposit, transfers, a batch on L1, the challenge window, a withdrawal claimed after it."""
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
    """A cheating operator posts a forged transfer; a single-round fraud proof strikes the claim and slashes it."""
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
    """The same fraud settled by an interactive bisection game: a few rounds, one step re-executed on L1."""
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
            n.flow("mallory", "bob", ETH // 10)  # Mallory's own payment is valid, and stays posted
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
    n.note(f"batch 1's claim struck; operator bond slashed: {_eth(fraud['reward'])} to the challenger, "
           f"{_eth(fraud['burned'])} burned")
    n.say("Batch 1's transactions stay posted: only its wrong root was struck. Every valid step stands, "
          "Mallory's own 0.1 ETH payment to Bob too; the 3 ETH from nowhere never existed.")
    n.balances()
    node = lab.rebuild()
    mallory = node.state.balance(lab.index("mallory"))
    n.note(f"a full node rebuilt from L1 alone: Mallory has {_eth(mallory)} on L2 (1 ETH less the 0.1 she paid); "
           "her stolen 3 ETH are gone")
    ok = mallory == ETH - ETH // 10
    return (0 if ok else 1), _summary(n, "optimistic-bisection", str(fraud["reason"]), ok, fraud_step=fraud["step"],
                                       dispute_moves=len(receipts), slashing=slashing)


GWEI = 10**9
# About 120 million ETH exist (2024): a cost above it cannot be paid by anyone.
ETHER_SUPPLY = 120_000_000 * ETH
SLOT_SECONDS = 12  # Ethereum's block time since the merge
STUFFING_SINK = "0x000000000000000000000000000000000000dEaD"


def _theft_batch(lab, n: Narrator, steps: int, theft_at: int) -> None:
    """Batch 1: Alice pays Bob 0.01 ETH a step; at ``theft_at`` Mallory pays Bob 0.1 ETH and the operator
    credits her 3 ETH from nowhere."""
    from contracts_spec.optimistic.rules import Account

    for i in range(steps):
        if i == theft_at:
            m, b = lab.index("mallory"), lab.index("bob")
            mal, bob = lab.operator.state.get_account(m), lab.operator.state.get_account(b)
            tx = lab.wallets["mallory"].transfer(m, b, ETH // 10, mal.nonce)
            lab.operator.sequencer.inject(tx, {m: Account(mal.address, mal.balance + 3 * ETH, mal.nonce + 1),
                                               b: bob._replace(balance=bob.balance + ETH // 10)})
            n.flow("mallory", "bob", ETH // 10)
        else:
            lab.transfer("alice", "bob", ETH // 100)
            n.flow("alice", "bob", ETH // 100)
    n.gas(f"batch 1 is posted ({steps} entries, only the final root claimed)", lab.submit_batch(), "submit_batch")


def _seconds(s: int) -> str:
    """A span of L1 time the way a class reads it."""
    if s >= 86400:
        days = f"{s / 86400:.2f}".rstrip("0").rstrip(".")
        return days + (" day" if days == "1" else " days")
    return f"{s:,} s"


def demo_optimistic_sham_dispute(preset: str, out: TextIO | None = None) -> Result:
    """A sham dispute by the operator's puppet cannot shield a fraudulent batch from the honest challenger."""
    from contracts_spec.optimistic.bisection import BisectionRollup
    from rollup.optimistic.dispute import BisectionChallenger, read_dispute

    lab = _make_lab(preset, BisectionRollup)
    p = lab.preset
    n = _narrator(lab, ("operator", "challenger", "alice", "bob", "mallory"), out,
                  honest=("alice", "bob", "challenger"))
    n.say(f"A bisection rollup (preset {p.name!r}: {_seconds(p.challenge_window)} challenge window, "
          f"{_seconds(p.move_clock)} on each player's clock). Alice deposits 5 ETH, Bob and Mallory 1 ETH.")
    for name, amount in (("alice", 5 * ETH), ("bob", ETH), ("mallory", ETH)):
        n.record("deposit", lab.deposit(name, amount))
    n.record("submit_batch", lab.submit_batch())
    n.say("The operator turns thief: in batch 1, amid Alice's 0.01 ETH payments to Bob, Mallory's own valid "
          "0.1 ETH payment also credits her 3 ETH from nowhere.")
    _theft_batch(lab, n, 8, theft_at=5)
    n.say("Mallory, the operator's friend, opens a dispute on batch 1 first: a sham she means to lose slowly. "
          "Where one dispute at a time was the rule, the honest challenger's would now be refused, and two "
          "stalled clocks outlast the window.")
    puppet = BisectionChallenger(lab.rollup, lab.keys["mallory"], honest=False)
    n.gas("Mallory's sham open_dispute", puppet.open(1), "open_dispute")
    n.say("The challenger replays batch 1, finds its post_root wrong and opens its own dispute beside the sham.")
    lab.challenger.act()
    n.gas("the challenger's open_dispute", lab.challenger.receipts[0], "open_dispute")
    n.note(f"open disputes against batch 1: {lab.rollup.call('open_disputes', 1)}; each has its own players, "
           "game and clocks")
    n.say(f"The colluders stall: the operator answers neither dispute, Mallory never moves. "
          f"{_seconds(p.challenge_window)} pass: batch 1's window is over.")
    lab.advance(p.challenge_window + 1)
    n.note(f"challenge_time_left(1) = {lab.rollup.call('challenge_time_left', 1)} s, "
           f"is_final(1) = {lab.rollup.call('is_final', 1)}: a batch is final only once its window has passed "
           "and no dispute against it (or an earlier batch) is open")
    n.say("The operator's clock in the honest dispute runs down; the challenger acts on every tick and claims "
          "the timeout the moment it is due, on whatever turn the game stands.")
    ticks = 0
    while lab.rollup.call("batch_count") > 1 and ticks < 20:
        lab.advance(p.move_clock // 10)
        ticks += 1
        lab.challenger.act()
    n.note(f"{ticks} tick{'' if ticks == 1 else 's'} of {_seconds(p.move_clock // 10)}")
    for receipt in lab.challenger.receipts[1:]:
        n.gas("the challenger claims the timeout", receipt, "timeout")
    events = {name: lab.l1.events(lab.rollup.address, BisectionRollup, name)
              for name in ("DisputeResolved", "FraudProven")}
    (fraud,) = events["FraudProven"]
    n.flow("operator", "challenger", fraud["reward"])
    n.note(f"verdict: {fraud['reason']}; batch 1's claim fell without ever being final; operator bond "
           f"slashed: {_eth(fraud['reward'])} to the challenger, {_eth(fraud['burned'])} burned")
    sham = read_dispute(lab.rollup, 0)
    n.say("The sham is moot now that the claim it disputed has fallen: anyone may dismiss it, and Mallory only "
          "gets her bond back (the operator's bond was already slashed, to the honest challenger).")
    n.note(f"dispute 0: open={sham.open}, moot={sham.moot}")
    n.gas("Mallory dismisses her sham dispute", lab.rollup.transact(lab.keys["mallory"], "dismiss", 0), "dismiss")
    lab.operator.sync()
    n.say("The operator catches up with L1; the valid transfers (Mallory's own 0.1 ETH payment too) keep their "
          "effect. The L2 column is the operator's view.")
    n.balances()
    node = lab.rebuild()
    mallory = node.state.balance(lab.index("mallory"))
    n.note(f"a full node rebuilt from L1 alone: Mallory has {_eth(mallory)} on L2, no more than she deposited; "
           "the 3 ETH from nowhere are gone")
    ok = mallory <= ETH and lab.rollup.call("batch_count") == 1 and int(fraud["challenger"], 16) == int(
        lab.address("challenger"), 16) and not any(
        int(e["winner"], 16) == int(lab.address("operator"), 16) for e in events["DisputeResolved"])
    return (0 if ok else 1), _summary(n, "optimistic-sham-dispute", str(fraud["reason"]), ok,
                                       disputes_opened=lab.rollup.call("dispute_count"), ticks=ticks)


def stuffing_cost(base_fee: int, gas_limit: int, blocks: int, used: int, tip: int) -> tuple[int, int, int]:
    """Wei to fill ``blocks`` blocks with ``used`` gas each at ``tip`` over EIP-1559's base fee.

    The base fee follows ``contracts_spec.gas.next_base_fee`` from ``base_fee``. Returns (total cost, the
    last block's base fee, blocks paid before the total passed all ether in existence).
    """
    from contracts_spec.gas import next_base_fee

    total, exhausted = 0, 0
    for block in range(1, blocks + 1):
        total += used * (base_fee + tip)
        if not exhausted and total > ETHER_SUPPLY:
            exhausted = block
        base_fee = next_base_fee(base_fee, used, gas_limit)
    return total, base_fee, exhausted


def _magnitude(wei: int) -> str:
    """A number of wei as ETH, in powers of ten once it is past reading."""
    if wei < 10**30:
        return _eth(wei)
    digits = len(str(wei // ETH))
    return f"about 10^{digits - 1} ETH"


def _stuff_block(lab, key: bytes, tip: int, leave: int) -> list[str]:
    """Fill the next block, all but ``leave`` gas, with calldata-heavy transfers at ``tip``; their hashes."""
    from contracts_spec.l1 import max_fee_for

    limit = int(lab.l1.block("latest")["gasLimit"], 16)
    todo, hashes, max_fee = limit - leave, [], max_fee_for(lab.l1.base_fee(), tip)
    while todo >= 21_000:
        data = b"\x01" * ((min(todo, 1_900_000) - 21_000) // 16)  # 16 gas per non-zero byte (EIP-2028)
        gas = 21_000 + 16 * len(data)
        hashes.append(lab.l1.submit(key, to=STUFFING_SINK, data=data, gas=gas, tip=tip, max_fee=max_fee))
        todo -= gas
    return hashes


def demo_optimistic_stuffing(preset: str, out: TextIO | None = None) -> Result:
    """Block stuffing: what filling every block of the window would cost under EIP-1559; the challenger's rising tip."""
    from contracts_spec.l1 import DeadlineFees
    from contracts_spec.optimistic.bisection import BisectionRollup
    from rollup.optimistic.dispute import BisectionChallenger, play

    lab = _make_lab("mainnet", BisectionRollup)  # the attack is about the 7-day window: always mainnet
    p = lab.preset
    n = _narrator(lab, ("operator", "challenger", "alice", "bob", "mallory"), out,
                  honest=("alice", "bob", "challenger"))
    limit = int(lab.l1.block("latest")["gasLimit"], 16)
    blocks = p.challenge_window // SLOT_SECONDS
    n.say(f"To keep a challenger out, Mallory must fill every block of the {_seconds(p.challenge_window)} window "
          f"({blocks:,} blocks of {SLOT_SECONDS} s, {limit:,} gas each) so the dispute (about 300,000 gas) does "
          "not fit, and outbid its tip. What EIP-1559 charges for that (this demo always runs the mainnet preset):")
    base = 10 * GWEI  # a typical mainnet base fee
    dispute_gas = 300_000
    full, last_base, exhausted = stuffing_cost(base, limit, blocks, limit - dispute_gas + 1, 2 * GWEI)
    hour, _, _ = stuffing_cost(base, limit, 3600 // SLOT_SECONDS, limit - dispute_gas + 1, 2 * GWEI)
    target, _, _ = stuffing_cost(base, limit, blocks, limit // 2, 2 * GWEI)
    n.note(f"from a 10 gwei base fee, each block more than half full raises it by up to 1/8 (next_base_fee): "
           f"after {blocks:,} blocks it is {_magnitude(last_base)} per gas")
    n.note(f"stuffing the first hour alone costs {_magnitude(hour)}; the whole window {_magnitude(full)}")
    n.note(f"all ether in existence (~{ETHER_SUPPLY // ETH:,} ETH) is spent after {exhausted} blocks "
           f"({exhausted * SLOT_SECONDS / 60:.0f} minutes)")
    n.note(f"filling only to the target ({limit // 2:,} gas) keeps the base fee flat ({_magnitude(target)} for "
           f"the window) but leaves {limit // 2:,} gas free in every block: the dispute fits at any tip")

    n.say("On this chain, then: Alice deposits 5 ETH, Bob and Mallory 1 ETH; the operator steals in batch 1.")
    for name, amount in (("alice", 5 * ETH), ("bob", ETH), ("mallory", ETH)):
        n.record("deposit", lab.deposit(name, amount))
    n.record("submit_batch", lab.submit_batch())
    _theft_batch(lab, n, 8, theft_at=5)
    attacker_tip = 30 * GWEI
    fees = DeadlineFees()
    n.say(f"Mallory stuffs every block with calldata at a {attacker_tip // GWEI} gwei tip. The challenger's "
          f"tip starts at {fees.floor // GWEI} gwei and rises geometrically to {fees.cap // GWEI} gwei over the "
          f"last {fees.share:.0%} of the window; a waiting open_dispute is replaced at its nonce with a higher "
          "tip. One block stands for each 12 hours here (time travel skips the rest).")
    challenger = BisectionChallenger(lab.rollup, lab.keys["challenger"], fees=fees, wait=0)
    lab.l1.rpc("evm_setAutomine", False)
    stuffing: list[str] = []
    kept_out = 0
    while lab.rollup.call("challenge_time_left", 1) > 0:
        left = lab.rollup.call("challenge_time_left", 1)
        stuffing += _stuff_block(lab, lab.keys["mallory"], attacker_tip, leave=dispute_gas // 3)
        challenger.act()
        tip = challenger.sender.pending.tip if challenger.sender.pending else 0
        lab.advance(12 * 3600)
        block = lab.l1.block("latest")
        landed = challenger.sender.poll() is not None
        n.note(f"{_seconds(left):>12} left: challenger tips {tip / GWEI:7.2f} gwei; block "
               f"{int(block['number'], 16)} uses {int(block['gasUsed'], 16):,} gas: "
               + ("the dispute is in" if landed else "full, the dispute waits"))
        if landed:
            break
        kept_out += 1
    lab.l1.rpc("evm_setAutomine", True)
    lab.l1.mine()  # what Mallory had left in the pool
    spent = sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16)
                for r in (lab.l1.receipt(h) for h in stuffing) if r is not None)
    in_time = bool(challenger.receipts) and not lab.rollup.call("is_final", 1)
    if challenger.receipts:
        n.gas("the challenger's open_dispute", challenger.receipts[0], "open_dispute")
    n.note(f"Mallory paid {_eth(spent)} to keep the dispute out of {kept_out} blocks; on mainnet she would have "
           f"had to stuff all {kept_out * 3600:,} of them")
    n.say("The dispute is open before the window closed; the game is played out (block stuffing would have "
          "to last the move clocks too, at the same price).")
    challenger.sender.wait = None
    start = len(challenger.receipts)
    play(lab.defender, challenger)
    for receipt in challenger.receipts[start:] + lab.defender.receipts:
        n.record("dispute move", receipt)
    events = lab.l1.events(lab.rollup.address, BisectionRollup, "FraudProven")
    verdict = str(events[0]["reason"]) if events else "the fraud was not proven"
    if events:
        n.flow("operator", "challenger", events[0]["reward"])
        n.note(f"verdict: {verdict}; batch 1's claim fell")
    lab.operator.sync()
    n.balances()
    node = lab.rebuild()
    ok = in_time and bool(events) and node.state.balance(lab.index("mallory")) <= ETH
    return (0 if ok else 1), _summary(
        n, "optimistic-stuffing", verdict, ok,
        stuffing={"window_blocks": blocks, "cost_whole_window_wei": str(full), "cost_first_hour_wei": str(hour),
                  "blocks_until_all_ether_is_spent": exhausted, "cost_at_target_wei": str(target),
                  "blocks_kept_out_here": kept_out, "paid_here_wei": str(spent),
                  "attacker_tip_wei": str(attacker_tip)})


def demo_optimistic_clock(preset: str, out: TextIO | None = None) -> Result:
    """Time is not for sale: a burst of transactions does not move this L1's clock, as it would on anvil."""
    import time

    lab = _make_lab(preset)
    p = lab.preset
    n = _narrator(lab, ("operator", "challenger", "alice", "mallory"), out, honest=("alice", "challenger"))
    n.say(f"Alice deposits 5 ETH; batch 0 is posted. Its challenge window is {_seconds(p.challenge_window)}.")
    n.record("deposit", lab.deposit("alice", 5 * ETH))
    n.record("submit_batch", lab.submit_batch())
    before = lab.rollup.call("challenge_time_left", 0)
    start_block, start_time = lab.l1.block_number(), lab.l1.timestamp()
    burst = min(p.challenge_window + 10, 120)
    n.say(f"Mallory sends a burst of {burst} ordinary self-transfers; automine puts each in a block of its own.")
    wall = time.monotonic()
    for _ in range(burst):
        n.record("self-transfer", lab.l1.transfer(lab.keys["mallory"], lab.address("mallory"), 1))
    wall = time.monotonic() - wall
    after = lab.rollup.call("challenge_time_left", 0)
    blocks = lab.l1.block_number() - start_block
    moved = lab.l1.timestamp() - start_time
    n.note(f"{blocks} blocks mined in {wall:.1f} s of real time; the L1 clock moved {moved} s")
    n.note(f"challenge_time_left(0): {before:,} s before the burst, {after:,} s after")
    anvil_left = max(0, before - blocks)
    n.say("On anvil or hardhat with automine, each block is stamped one second after its parent, so the "
          "same burst would have driven the clock:")
    n.note(f"{blocks} blocks = {blocks} s ahead: {anvil_left:,} s of the window left"
           + (" -> batch 0 final, unchallenged" if anvil_left == 0 else
              f" (and {p.challenge_window + 10:,} transactions would close it)"))
    n.note("here, blocks mined within one second share its timestamp: no number of transactions moves the "
           "clock ahead of real time")
    n.say("Only authenticated time travel moves it faster: evm_increaseTime, which over HTTP needs the node's "
          "admin token.")
    lab.advance(p.challenge_window // 2)
    n.note(f"after evm_increaseTime({p.challenge_window // 2:,}): challenge_time_left(0) = "
           f"{lab.rollup.call('challenge_time_left', 0):,} s")
    n.note(f"fraud proofs needed: {len(lab.challenge())} (batch 0 is honest)")
    n.balances()
    ok = before - after <= wall + 2 and not lab.rollup.call("is_final", 0)
    verdict = (f"{blocks} blocks moved the clock {moved} s; the window is open" if ok
               else f"{blocks} blocks moved the clock {moved} s: the burst bought time")
    return (0 if ok else 1), _summary(n, "optimistic-clock", verdict, ok, burst_blocks=blocks, clock_moved_s=moved,
                                       anvil_clock_moved_s=blocks, time_left_before_s=before,
                                       time_left_after_s=after)


def demo_optimistic_censorship(preset: str, out: TextIO | None = None) -> Result:
    """A censoring operator drops Alice's withdrawal; her own overdue deposit lets her post it herself."""
    from contracts_spec.l1 import TransactionReverted
    from contracts_spec.optimistic.submission import InvalidBatch
    from rollup.optimistic.fullnode import force_deposits

    lab = _make_lab(preset)
    p = lab.preset
    n = _narrator(lab, ("operator", "alice", "bob", "carol"), out, honest=("alice", "bob", "carol"))
    n.say("Alice deposits 5 ETH, Bob and Carol 1 ETH each; the operator posts batch 0.")
    for name, amount in (("alice", 5 * ETH), ("bob", ETH), ("carol", ETH)):
        n.record("deposit", lab.deposit(name, amount))
    n.record("submit_batch", lab.submit_batch())
    n.balances()
    n.say("The operator turns censor. Alice signs a withdrawal of 2 ETH and hands it over; the operator drops "
          "it, and will leave out any deposit she makes. Bob's payment to Carol it still takes, in batch 1.")
    withdrawal = lab.wallets["alice"].withdraw(lab.index("alice"), lab.address("alice"), 2 * ETH,
                                               lab.nonce("alice"))
    lab.operator.censor_deposits = True
    lab.transfer("bob", "carol", ETH // 4)
    n.flow("bob", "carol", ETH // 4)
    n.record("submit_batch", lab.submit_batch())
    n.note("L1 queues no L2 transactions: only deposits, and each must be in a batch within "
           f"{p.deposit_deadline_blocks:,} blocks and {_seconds(p.deposit_deadline_seconds)}")
    n.say(f"So Alice deposits {_eth(ETH // 1000)} on L1. The operator leaves it out, and she may not post a "
          "batch of her own while it is fresh.")
    n.record("deposit (overdue trigger)", lab.deposit("alice", ETH // 1000))
    early = ""
    try:
        force_deposits(lab.rollup, lab.keys["alice"], txs=[withdrawal])
    except InvalidBatch as exc:
        early = exc.rule
        n.note(f"Alice posts it herself at once: refused ({exc}); nothing was sent")
    n.say(f"{p.deposit_deadline_blocks + 1:,} blocks and {_seconds(p.deposit_deadline_seconds + 1)} go by on L1 "
          "(time travel): the deposit is overdue.")
    lab.l1.mine(p.deposit_deadline_blocks + 1)
    lab.advance(p.deposit_deadline_seconds + 1)
    lab.transfer("bob", "carol", ETH // 4)
    n.flow("bob", "carol", ETH // 4)
    operator_refused = ""
    try:
        lab.submit_batch()
    except InvalidBatch as exc:
        operator_refused = exc.rule
        n.note(f"the operator's next batch (Bob's second payment, no deposit): refused ({exc}); until one "
               "takes the deposit, anyone bonded may post")
    n.say(f"Alice bonds {_eth(p.min_bond)} and posts batch 2 herself, built from L1 alone: her deposit, then her "
          "signed withdrawal.")
    n.gas("Alice's post_bond", lab.rollup.transact(lab.keys["alice"], "post_bond", value=p.min_bond), "post_bond")
    n.gas("Alice's submit_batch", force_deposits(lab.rollup, lab.keys["alice"], txs=[withdrawal]), "submit_batch")
    forced = lab.rollup.call("batch_count") - 1
    lab.operator.sync()
    n.note(f"the operator adopts batch {forced} and goes on: Alice has {_eth(lab.l2_balance('alice'))} on L2")
    n.record("submit_batch", lab.submit_batch())
    n.note(f"batch {forced + 1} carries Bob's second payment: with no deposit overdue, only the operator "
           "posts again")
    n.say(f"The challenge window passes ({_seconds(p.challenge_window)}): nobody disputes an honest batch, "
          "whoever posted it. Alice claims her 2 ETH and takes her bond back.")
    n.note(f"fraud proofs needed: {len(lab.challenge())}")
    lab.finalize()
    claims = lab.claim_withdrawals("alice", forced)
    for claim in claims:
        n.gas("Alice claims her withdrawal on L1", claim, "withdraw claim")
    try:
        n.gas("Alice's withdraw_bond", lab.rollup.transact(lab.keys["alice"], "withdraw_bond", p.min_bond),
              "withdraw_bond")
    except TransactionReverted as exc:
        n.note(f"withdraw_bond refused: {exc.reason}")
    n.balances()
    node = lab.rebuild()
    same = node.root == lab.operator.state.root
    n.note(f"a full node rebuilt from L1 agrees with the operator's root: {same}")
    paid = len(claims) == 1 and lab.rollup.call("bond_of", lab.address("alice")) == 0
    ok = bool(early and operator_refused and same and paid)
    verdict = ("the censored withdrawal got in behind Alice's own overdue deposit; paid after the window"
               if ok else "the censored withdrawal did not get out")
    return (0 if ok else 1), _summary(n, "optimistic-censorship", verdict, ok, early_post_refused=early,
                                       operator_batch_refused=operator_refused, forced_batch=forced)


DEMOS: Mapping[str, Demo] = {
    "optimistic": demo_optimistic,
    "optimistic-fraud": demo_optimistic_fraud,
    "optimistic-bisection": demo_optimistic_bisection,
    "optimistic-sham-dispute": demo_optimistic_sham_dispute,
    "optimistic-stuffing": demo_optimistic_stuffing,
    "optimistic-clock": demo_optimistic_clock,
    "optimistic-censorship": demo_optimistic_censorship,
}
