"""The zk-rollup's workshop scenarios for ``l2lab demo``, narrated step by step.

``l2lab demo zk`` walks the honest path: deposits, transfers, a batch proved
with Groth16 (the proof time shown), verified on L1 (its gas, part by part),
and a withdrawal claimed at once, beside the optimistic rollup's challenge
window. ``l2lab demo zk-invalid-batch`` lets a dishonest operator try four
ways to post a batch that steals (a wrong root, someone else's proof, a proof
from its own setup, tampered pubdata) and L1 refuse each. ``l2lab demo
zk-censorship`` has the operator ignore a deposit until the deadline passes:
exodus mode, and everyone leaves with a Merkle proof from a full node that
rebuilt the state from L1 alone.

Every scenario runs on its own in-process L1 with real proofs on the
``small`` preset. The proving keys come from a public development seed and
are cached on disk (``L2LAB_ZK_KEYS`` or ``~/.cache/l2lab/zk-keys``); the
first run makes them, which takes a few seconds more, and says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from node.narration import ETH, Narrator, eth

if TYPE_CHECKING:
    from contracts_spec.interfaces import Demo
    from contracts_spec.zk.params import ZkPreset
    from contracts_spec.zk.rules import Account
    from contracts_spec.zk.state import ZkState
    from rollup.zk.lab import ZkLab
    from rollup.zk.prover import ProvedBatch

NAMES = ("operator", "alice", "bob", "carol", "mallory")
COMMIT_GAS = 2_000_000  # a fixed gas limit, so a refused batch is mined and its gas is spent
CALL_GAS = 1_000_000
Result = tuple[int, dict]


def _gas(receipt: dict) -> int:
    return int(str(receipt["gasUsed"]), 0)


def _fee(receipt: dict) -> int:
    return _gas(receipt) * int(str(receipt.get("effectiveGasPrice", "0x0")), 0)


class _People:
    """The demo's view of a zk-rollup lab (``DemoLab``): each person's L1 address, L1 and L2 balance.

    The L2 balance is the account's balance at the last verified root, and 0
    once the account has exited in exodus mode (its ETH is then on L1).
    """

    def __init__(self, lab: ZkLab) -> None:
        self.zk = lab

    def address(self, name: str) -> str:
        return self.zk.eth_address(name)

    def l1_balance(self, name: str) -> int:
        return self.zk.l1.balance(self.zk.eth_address(name))

    def l2_balance(self, name: str) -> int:
        try:
            index = self.zk.index(name)
        except KeyError:
            return 0
        if self.zk.call("exited", index):
            return 0
        return self.zk.l2_balance(name)

    def claimable(self, name: str) -> int:
        return self.zk.call("withdrawable", self.zk.eth_address(name))


def _holdings(people: _People) -> Callable[[str], dict[str, int]]:
    """What a person holds: L1 balance, L2 balance and verified withdrawals not yet claimed."""
    return lambda name: {"l1_wei": people.l1_balance(name), "l2_wei": people.l2_balance(name),
                         "claimable_wei": people.claimable(name)}


def _narrator(lab: ZkLab, people: tuple[str, ...], out: TextIO | None, honest: tuple[str, ...]) -> Narrator:
    view = _People(lab)
    return Narrator(view, people, out, honest=honest, holdings=_holdings(view))


def _zk_preset(name: str) -> ZkPreset:
    """The zk preset ``name``; ``minimal`` (the demo command's default) means ``small``."""
    from contracts_spec.zk.params import get_preset

    return get_preset("small" if name == "minimal" else name)


def _key_stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_mtime_ns, st.st_size


class _Session:
    """A deployed zk-rollup and what its start cost: whether the proving keys had to be made."""

    def __init__(self, preset_name: str) -> None:
        from node.demo_l1 import demo_l1
        from node.devaccounts import derive_dev_accounts
        from rollup.zk.lab import ZkLab
        from rollup.zk.prover import BatchProver

        preset = _zk_preset(preset_name)
        accounts = derive_dev_accounts(len(NAMES))
        keys = {name: a.private_key for name, a in zip(NAMES, accounts, strict=True)}
        self.prover = BatchProver(preset)
        before = _key_stamp(self.prover.key_path)
        start = time.perf_counter()
        self.lab = ZkLab(demo_l1([a.address for a in accounts], 100 * ETH), keys, preset=preset, prover=self.prover)
        self.start_seconds = time.perf_counter() - start
        self.setup_ran = _key_stamp(self.prover.key_path) != before

    def introduce(self, n: Narrator) -> None:
        lab, p = self.lab, self.lab.preset
        n.say(f"The zk-rollup contract is deployed at {lab.address} (preset {p.name!r}: {p.capacity} accounts; "
              f"a batch has {p.deposit_slots} deposit, {p.transfer_slots} transfer and {p.withdraw_slots} "
              "withdrawal slots). L1 holds the verifying key of the batch circuit.")
        if self.setup_ran:
            n.note(f"no proving key was cached for this circuit: the one-time development setup ran now "
                   f"({self.start_seconds:.1f} s with building the circuit); the keys are saved in "
                   f"{self.prover.key_path.parent} and every later run loads them")
        else:
            n.note(f"the circuit was built and its cached proving key loaded in {self.start_seconds:.1f} s")
        n.note("these keys come from a public seed, so anyone could forge proofs with them: they are for "
               "teaching only, never for value")


def _proof_notes(n: Narrator, proved: ProvedBatch) -> None:
    n.note(f"proof generated: {proved.constraints:,} constraints; the witness took {proved.witness_seconds:.1f} s, "
           f"the Groth16 proof {proved.prove_seconds:.1f} s; the proof is 256 bytes whatever the batch holds")


def _verify_notes(n: Narrator, lab: ZkLab, proved: ProvedBatch, receipt: dict) -> dict:
    """The parts of a verified batch's L1 gas; returns them for the summary."""
    from contracts_spec import gas as G
    from contracts_spec.zk import pubdata as pd
    from contracts_spec.zk.contract import N_PUBLIC, VK_WORDS

    parts = dict(receipt.get("gasBreakdown") or {})
    pairing = parts.get("bn254_pairing", 0)
    inputs = parts.get("bn254_mul", 0) + parts.get("bn254_add", 0)
    fixed = G.pairing_gas(4) + N_PUBLIC * (G.G_BN254_MUL + G.G_BN254_ADD)
    per_input = G.G_BN254_MUL + G.G_BN254_ADD
    raw = proved.batch.pubdata
    n.note(f"the pairing check: {pairing:,} gas = {G.G_BN254_PAIRING_BASE:,} + 4·{G.G_BN254_PAIRING_PER_PAIR:,} "
           f"(four pairs); the {N_PUBLIC} public inputs: {inputs:,} gas = {N_PUBLIC}·{per_input:,}. "
           f"Together {pairing + inputs:,} gas, the fixed part of every verification "
           f"(45,000 + 4·34,000 + 6·6,150 = {fixed:,})")
    n.note(f"reading the verifying key from storage: {VK_WORDS}·{G.G_COLD_SLOAD:,} = {VK_WORDS * G.G_COLD_SLOAD:,} "
           f"gas (of {parts.get('sload', 0):,} for all reads); SHA-256 of the pubdata: {parts.get('sha256', 0)} gas")
    p = lab.preset
    slots = p.transfer_slots * pd.transfer_slot_bytes(p) + p.withdraw_slots * pd.withdraw_slot_bytes(p)
    rest = len(raw) - 1 - slots
    layout = (f"1 byte of deposit count, {p.transfer_slots} transfer slots of {pd.transfer_slot_bytes(p)} bytes, "
              f"{p.withdraw_slots} withdrawal slot{'s' if p.withdraw_slots > 1 else ''} of "
              f"{pd.withdraw_slot_bytes(p)}" + (f", {rest} bytes of priority-slot payouts" if rest > 0 else ""))
    n.note(f"pubdata: {len(raw)} bytes ({layout}); deposits add none, L1 already holds them. The call carries "
           f"{pd.COMMIT_HEADER + len(raw)} bytes with the root and the proof: {parts.get('calldata', 0):,} gas "
           "of calldata")
    return {"verify_fixed_gas": pairing + inputs, "pairing_gas": pairing, "public_inputs_gas": inputs,
            "pubdata_bytes": len(raw), "gas_breakdown": parts}


def _brief_verify_note(n: Narrator, proved: ProvedBatch, receipt: dict) -> dict:
    """One line on a verified batch's gas: its fixed verification part and its pubdata."""
    parts = dict(receipt.get("gasBreakdown") or {})
    fixed = parts.get("bn254_pairing", 0) + parts.get("bn254_mul", 0) + parts.get("bn254_add", 0)
    n.note(f"of which {fixed:,} gas is the fixed verification (pairings and public inputs); "
           f"{len(proved.batch.pubdata)} bytes of pubdata")
    return {"verify_fixed_gas": fixed, "pairing_gas": parts.get("bn254_pairing", 0),
            "public_inputs_gas": parts.get("bn254_mul", 0) + parts.get("bn254_add", 0),
            "pubdata_bytes": len(proved.batch.pubdata)}


def _log_batch(lab: ZkLab, proved: ProvedBatch, receipt: dict, parts: dict, log: list[dict]) -> None:
    log.append({"batch": lab.call("counters")[3] - 1, "constraints": proved.constraints,
                "witness_seconds": round(proved.witness_seconds, 2), "prove_seconds": round(proved.prove_seconds, 2),
                "l1_gas": _gas(receipt), **{k: v for k, v in parts.items() if k != "gas_breakdown"}})


def _batch(n: Narrator, lab: ZkLab, what: str, log: list[dict], detail: bool = False) -> tuple[ProvedBatch, dict]:
    """Build, prove and commit the next batch, with its numbers (each part of its gas when ``detail``)."""
    batch, count = lab.next_batch()
    proved = lab.prove(batch)
    _proof_notes(n, proved)
    receipt = lab.commit(proved)
    lab._advance(batch, count)  # the operator's state moves on, rebuilt from L1
    n.gas(what, receipt, "commit_and_verify")
    parts = _verify_notes(n, lab, proved, receipt) if detail else _brief_verify_note(n, proved, receipt)
    _log_batch(lab, proved, receipt, parts, log)
    return proved, receipt


def _refused(n: Narrator, what: str, send: Callable[[], dict], step: str) -> dict:
    """Send a transaction L1 must refuse; say its reason and the gas it burned. The refusal's record."""
    from contracts_spec.l1 import TransactionReverted

    try:
        receipt = send()
    except TransactionReverted as exc:
        mined = exc.receipt
        n.record(step, mined)
        burned = f"; {_gas(mined):,} gas burned ({eth(_fee(mined))})" if mined else ""
        n.note(f"{what}: refused: {exc.reason}{burned}")
        return {"step": step, "what": what, "refused": True, "reason": exc.reason,
                "gas": _gas(mined) if mined else 0, "fee_wei": str(_fee(mined)) if mined else "0"}
    n.record(step, receipt)
    n.note(f"{what}: ACCEPTED ({_gas(receipt):,} gas)")
    return {"step": step, "what": what, "refused": False, "reason": "", "gas": _gas(receipt),
            "fee_wei": str(_fee(receipt))}


def _summary(n: Narrator, lab: ZkLab, scenario: str, verdict: str, ok: bool, batches: list[dict],
             **extra: object) -> dict:
    """The summary every zk demo ends with; ``ok`` holds only if no honest user lost a wei."""
    queued, processed, accounts, verified = lab.call("counters")
    context = {"rollup": lab.address,
               "batches": {"verified": verified, "proofs": batches},
               "deposits": {"queued": queued, "processed": processed}, "accounts": accounts,
               "exodus": lab.call("exodus"), "contract_balance_wei": str(lab.l1.balance(lab.address))}
    summary = n.summary(scenario, verdict, ok, preset=lab.preset.name, context=context, **extra)
    lost = {name: int(u["lost_wei"]) for name, u in summary["users"].items() if "lost_wei" in u}
    summary["ok"] = ok and not any(lost.values())
    return summary


def _code(summary: dict) -> int:
    return 0 if summary["ok"] else 1


# -- zk: the honest path -----------------------------------------------------------------------


def demo_zk(preset: str, out: TextIO | None = None) -> Result:
    """zk-rollup: deposits, transfers, a Groth16 proof verified on L1, a withdrawal claimed at once."""
    from contracts_spec.optimistic.params import MAINNET, MINIMAL

    session = _Session(preset)
    lab = session.lab
    n = _narrator(lab, ("operator", "alice", "bob"), out, honest=("operator", "alice", "bob"))
    session.introduce(n)
    batches: list[dict] = []

    n.say("Alice deposits 5 ETH and Bob 1 ETH on L1. Each deposit joins L1's queue; the operator must "
          "process them in order, and the proof shows it did.")
    n.record("deposit", lab.deposit("alice", 5 * ETH))
    n.record("deposit", lab.deposit("bob", 1 * ETH))
    n.say("The operator builds batch 0 from the queue and proves that it moves the state root correctly.")
    _batch(n, lab, "batch 0 verified on L1 (commit_and_verify)", batches, detail=True)
    n.balances()

    n.say("On L2, Alice signs a transfer of 2 ETH to Bob and Bob one of 0.5 ETH back (EdDSA over BabyJubJub). "
          "Bob also signs a withdrawal of 1 ETH to his L1 address.")
    lab.transfer("alice", "bob", 2 * ETH)
    n.flow("alice", "bob", 2 * ETH)
    lab.transfer("bob", "alice", ETH // 2)
    n.flow("bob", "alice", ETH // 2)
    lab.withdraw("bob", ETH)
    n.say("The operator proves batch 1: the circuit checks every signature, nonce and balance, and that the "
          "posted pubdata is exactly what the state change did. L1 checks only the proof.")
    _batch(n, lab, "batch 1 verified on L1 (commit_and_verify)", batches, detail=True)
    verified_at = lab.l1.timestamp()
    n.balances()

    n.say("Bob claims his 1 ETH on L1 at once: the proof already showed the batch valid, so there is "
          "nothing to wait for.")
    ready = lab.call("withdrawable", lab.eth_address("bob"))
    claim = lab.claim("bob")
    n.gas("Bob's claim_withdrawal", claim, "claim_withdrawal")
    waited = lab.l1.timestamp() - verified_at
    n.note(f"claimed {eth(ready)} {waited} s after batch 1 was verified")
    n.note(f"on the optimistic rollup the same claim waits out the challenge window: "
           f"{MAINNET.challenge_window:,} s = {MAINNET.challenge_window // 86400} days on mainnet "
           f"({MINIMAL.challenge_window} s in the workshop preset), so that anyone can show fraud. "
           "This zk withdrawal needed no window at all")
    second = _refused(n, "Bob claims again", lambda: lab.transact("bob", "claim_withdrawal", lab.eth_address("bob"),
                                                                  gas=CALL_GAS), "claim_withdrawal")
    n.balances()

    n.say("A fresh full node rebuilds the L2 state from L1 data alone: the deposit events and each batch's "
          "pubdata in calldata.")
    node = lab.full_node()
    same = node.state.root == lab.call("state_root")
    backed = lab.l1.balance(lab.address) == node.state.total_balance()
    n.note(f"rebuilt root {f'{node.state.root:#066x}'[:18]}... equals L1's: {same}")
    n.note(f"the contract holds {eth(lab.l1.balance(lab.address))}: exactly the L2 balances ({backed})")
    ok = same and backed and claim is not None and second["refused"] and waited < MAINNET.challenge_window
    verdict = (f"valid batches verified by proof; the withdrawal was claimed {waited} s after its batch, "
               f"against {MAINNET.challenge_window // 86400} days on the optimistic rollup")
    summary = _summary(n, lab, "zk", verdict, ok, batches, keys_setup_ran=session.setup_ran,
                       withdrawal={"claimed_wei": str(ready), "seconds_after_verification": waited,
                                   "optimistic_mainnet_window_s": MAINNET.challenge_window},
                       second_claim_reason=second["reason"], rebuilt_root_matches=same)
    return _code(summary), summary


# -- zk-invalid-batch: a dishonest operator tries to steal -------------------------------------


def _account(state: ZkState, index: int) -> Account:
    acct = state.account(index)
    if acct is None:
        raise KeyError(f"account {index} is empty")
    return acct


def _replay_root(lab: ZkLab, deposits: int, transfers: list) -> int:
    """The root after the verified state takes the next ``deposits`` queued deposits and then ``transfers``."""
    from rollup.zk.fullnode import queued_deposits

    state = lab.state.copy()
    for d in queued_deposits(lab.l1, lab.address, lab.deploy_block)[lab.processed: lab.processed + deposits]:
        state.apply(d.op(), authorised=True)
    for t in transfers:
        state.apply(replace(t, nonce=_account(state, t.sender).nonce), authorised=True)
    return state.root


def _rogue_proof(lab: ZkLab, proved: ProvedBatch) -> tuple[bytes, float]:
    """A proof of ``proved``'s batch under another setup of the same circuit (Mallory's own), and its time."""
    from contracts_spec.zk import pubdata as pd
    from contracts_spec.zk.circuit import batch_circuit
    from primitives.snark import groth16
    from rollup.zk.prover import bare_r1cs

    start = time.perf_counter()
    pk, _ = groth16.setup(bare_r1cs(lab.preset), b"mallory's own setup of the batch circuit")
    circuit = batch_circuit(lab.preset, proved.batch.witness)
    proof = groth16.prove(pk, circuit.compile(), circuit.witness())
    return pd.proof_bytes(proof), time.perf_counter() - start


def demo_zk_invalid_batch(preset: str, out: TextIO | None = None) -> Result:
    """zk-rollup: a wrong root, a foreign proof, a rogue key's proof, tampered pubdata; L1 refuses each."""
    from contracts_spec.zk import float40
    from contracts_spec.zk import pubdata as pd
    from contracts_spec.zk.rules import Account, Transfer

    session = _Session(preset)
    lab = session.lab
    n = _narrator(lab, ("operator", "alice", "bob", "mallory"), out, honest=("alice", "bob"))
    session.introduce(n)
    batches: list[dict] = []

    n.say("Alice deposits 5 ETH and Bob 1 ETH; batch 0 is proved and verified.")
    n.record("deposit", lab.deposit("alice", 5 * ETH))
    n.record("deposit", lab.deposit("bob", 1 * ETH))
    first, _ = _batch(n, lab, "batch 0 verified on L1", batches)

    n.say("Mallory, the operator's accomplice, deposits 0.1 ETH. Alice signs a transfer of 2 ETH to Bob. "
          "The operator builds batch 1 (Mallory's deposit and Alice's transfer) and proves it honestly.")
    n.record("deposit", lab.deposit("mallory", ETH // 10))
    transfer = lab.transfer("alice", "bob", 2 * ETH)
    n.flow("alice", "bob", 2 * ETH)
    batch, count = lab.next_batch()
    proved = lab.prove(batch)
    _proof_notes(n, proved)
    a, m = lab.index("alice"), lab.index("mallory")
    honest_root = _replay_root(lab, count, [transfer])
    n.balances()

    n.say("The operator turns thief. Four ways to post a batch that is not what happened; L1 checks each "
          "against the six public inputs (old root, new root, deposit chain before and after, domain, "
          "SHA-256 of the pubdata) and the key it was deployed with.")
    attacks = []
    # (a) the honest proof with a new root in which Alice's L2 balance sits in Mallory's account
    stolen_state = lab.state.copy()
    alice = _account(stolen_state, a)
    mx, my = lab.public_key("mallory")
    stolen_state.tree.set(a, Account(alice.ax, alice.ay, 0, alice.nonce).leaf())
    stolen_state.tree.set(m, Account(mx, my, alice.balance + ETH // 10, 0).leaf())
    stolen = stolen_state.root
    n.say(f"(a) A wrong new root: one in which Alice's {eth(alice.balance)} sit in Mallory's account, posted "
          "with the honest proof and pubdata.")
    attacks.append(_refused(n, "wrong root, honest proof",
                            lambda: lab.commit(proved, new_root=stolen, gas=COMMIT_GAS), "commit_and_verify (a)"))
    n.say("(b) The same stolen root with a proof L1 accepted before, batch 0's: a valid proof, but of "
          "another statement (other roots, other deposits, other pubdata).")
    attacks.append(_refused(n, "stolen root, batch 0's proof",
                            lambda: lab.commit(proved, new_root=stolen, proof=pd.proof_bytes(first.proof),
                                               gas=COMMIT_GAS), "commit_and_verify (b)"))
    n.say("(c) A proof from another setup: Mallory runs her own setup of the very same circuit, so she knows "
          "its toxic waste and could forge anything under her key. She proves batch 1 with it.")
    rogue, rogue_seconds = _rogue_proof(lab, proved)
    n.note(f"her setup and proof took {rogue_seconds:.1f} s")
    attacks.append(_refused(n, "batch 1 proved under Mallory's key",
                            lambda: lab.commit(proved, proof=rogue, gas=COMMIT_GAS), "commit_and_verify (c)"))
    n.note("L1 checks against the verifying key it was deployed with; a key L1 does not hold proves nothing")
    n.say("(d) Tampered pubdata: the operator edits the posted transfer so Alice's 2 ETH go to Mallory, "
          "with the new root that edit would give (so a full node replaying it would agree), and the honest "
          "proof.")
    raw = bytearray(proved.batch.pubdata)
    i = lab.preset.index_bytes
    recipient_at = 1 + i  # the first transfer slot: sender, then recipient
    assert int.from_bytes(raw[recipient_at: recipient_at + i], "big") == lab.index("bob")
    raw[recipient_at: recipient_at + i] = m.to_bytes(i, "big")
    redirected = Transfer(a, m, float40.pack(2 * ETH), 0)
    redirected_root = _replay_root(lab, count, [redirected])
    attacks.append(_refused(n, "transfer redirected to Mallory",
                            lambda: lab.commit(proved, new_root=redirected_root, pubdata=bytes(raw), gas=COMMIT_GAS),
                            "commit_and_verify (d)"))
    n.note("one changed byte of pubdata changes its SHA-256, a public input: the pairing check fails")
    burned = sum(x["gas"] for x in attacks)
    burned_fee = sum(int(x["fee_wei"]) for x in attacks)
    n.note(f"the operator burned {burned:,} gas ({eth(burned_fee)}) on four refused batches; "
           f"the state root did not move")

    n.say("The operator gives up and posts the honest batch 1.")
    receipt = lab.commit(proved)
    lab._advance(batch, count)
    n.gas("batch 1 verified on L1", receipt, "commit_and_verify")
    _log_batch(lab, proved, receipt, _brief_verify_note(n, proved, receipt), batches)
    node = lab.full_node()
    held = {name: _account(node.state, lab.index(name)).balance for name in ("alice", "bob", "mallory")}
    n.note(f"a full node rebuilt from L1 alone: Alice {eth(held['alice'])}, Bob {eth(held['bob'])}, "
           f"Mallory {eth(held['mallory'])} (her own deposit, nothing more)")
    n.balances()
    all_refused = all(x["refused"] for x in attacks)
    ok = (all_refused and lab.call("state_root") == honest_root == proved.batch.new_root
          and held["mallory"] == ETH // 10)
    verdict = ("every forged batch refused: the proof does not verify" if all_refused
               else "a forged batch was accepted")
    summary = _summary(n, lab, "zk-invalid-batch", verdict, ok, batches, keys_setup_ran=session.setup_ran,
                       attacks=attacks, operator_burned_gas=burned, operator_burned_wei=str(burned_fee))
    return _code(summary), summary


# -- zk-censorship: exodus mode ------------------------------------------------------------------


def demo_zk_censorship(preset: str, out: TextIO | None = None) -> Result:
    """zk-rollup: a deposit censored past its deadline; exodus, Merkle exits, the deposit refunded."""
    from contracts_spec import gas as G
    from rollup.zk.fullnode import ZkFullNode

    session = _Session(preset)
    lab = session.lab
    p = lab.preset
    n = _narrator(lab, ("operator", "alice", "bob", "carol"), out, honest=("alice", "bob", "carol"))
    session.introduce(n)
    batches: list[dict] = []

    n.say("Alice deposits 3 ETH and Bob 2 ETH; batch 0 takes them.")
    n.record("deposit", lab.deposit("alice", 3 * ETH))
    n.record("deposit", lab.deposit("bob", 2 * ETH))
    _batch(n, lab, "batch 0 verified on L1", batches)
    n.say("Alice pays Bob 1 ETH on L2; batch 1.")
    lab.transfer("alice", "bob", ETH)
    n.flow("alice", "bob", ETH)
    _batch(n, lab, "batch 1 verified on L1", batches)
    n.balances()

    n.say("Carol deposits 4 ETH. The operator decides to ignore her: it will never put her deposit in a batch.")
    n.record("deposit", lab.deposit("carol", 4 * ETH))
    victim = lab.call("counters")[0] - 1
    lab.censored.add(victim)
    n.note(f"deposit {victim} is in L1's queue; the deadline is {p.deposit_deadline_blocks} blocks and "
           f"{p.deposit_deadline_seconds} s on this preset (the benchmark presets give a day: 7,200 blocks)")
    early = _refused(n, "Carol calls activate_exodus right away",
                     lambda: lab.transact("carol", "activate_exodus", gas=CALL_GAS), "activate_exodus (early)")

    n.say(f"{p.deposit_deadline_blocks + 2} blocks and {p.deposit_deadline_seconds + 1} s pass on L1 (time "
          "travel); Carol's deposit is still not processed.")
    lab.l1.mine(p.deposit_deadline_blocks + 1)
    lab.l1.increase_time(p.deposit_deadline_seconds + 1)
    lab.l1.mine(1)
    n.note(f"overdue() = {lab.call('overdue')}")
    n.say("The operator proves a batch that leaves Carol's deposit out and posts it.")
    batch, count = lab.next_batch()
    proved = lab.prove(batch)
    _proof_notes(n, proved)
    overdue = _refused(n, "a batch without the overdue deposit",
                       lambda: lab.commit(proved, gas=COMMIT_GAS), "commit_and_verify (overdue)")

    n.say("Anyone may now stop the rollup: Bob calls activate_exodus. No batch is accepted from here on.")
    n.gas("activate_exodus", lab.transact("bob", "activate_exodus"), "activate_exodus")
    late = _refused(n, "the operator posts its batch again",
                    lambda: lab.commit(proved, gas=COMMIT_GAS), "commit_and_verify (exodus)")

    n.say("Each user runs a full node that rebuilds the state from L1 alone (deposit events and batch "
          "calldata), with no help from the operator, and gets a Merkle proof of their account.")
    node = ZkFullNode(lab.l1, lab.address, p)
    node.sync()
    same = node.state.root == lab.call("state_root")
    n.note(f"{node.batches} batches replayed; the rebuilt root equals L1's last verified root: {same}")
    exits: dict[str, dict] = {}
    names = [name for name in n.people if name != "operator"]
    for name in names:
        try:
            index = lab.index(name)
        except KeyError:
            continue
        acct = node.state.account(index)
        if acct is None:
            continue
        receipt = lab.exit(name, node)
        n.gas(f"{name.capitalize()} exits with {eth(acct.balance)} from account {index}", receipt, "exit")
        exits[name] = {"account": index, "amount_wei": str(acct.balance), "gas": _gas(receipt),
                       "poseidon_gas": (receipt.get("gasBreakdown") or {}).get("poseidon", 0)}
    levels = p.levels
    per_hash = G.poseidon_gas(4)
    if exits:
        some = next(iter(exits.values()))
        n.note(f"an exit checks the leaf and {levels} levels: {levels + 1} Poseidon hashes of 4 inputs at "
               f"{per_hash:,} gas each (the published poseidon-solidity figure) = {(levels + 1) * per_hash:,} gas "
               f"of its {some['gas']:,}")
    again = _refused(n, "Bob exits a second time",
                     lambda: lab.transact("bob", "exit", *node.exit_proof(lab.index("bob")), gas=COMMIT_GAS),
                     "exit (again)")

    n.say(f"Carol's deposit was never processed: exodus mode refunds it from the queue (deposit {victim}).")
    n.gas("Carol's refund_deposit", lab.transact("carol", "refund_deposit", victim), "refund_deposit")
    refund_again = _refused(n, "a second refund", lambda: lab.transact("carol", "refund_deposit", victim,
                                                                        gas=CALL_GAS), "refund_deposit (again)")
    held = lab.l1.balance(lab.address)
    n.note(f"the contract now holds {eth(held)}: everyone has left with what they owned, nothing paid twice")
    n.balances()

    refusals = [early, overdue, late, again, refund_again]
    ok = (same and all(r["refused"] for r in refusals) and held == 0 and lab.call("exodus")
          and "overdue" in overdue["reason"])
    verdict = ("the operator censored a deposit; the overdue batch was refused, exodus mode let every user exit "
               "with their full balance and the deposit was refunded")
    summary = _summary(n, lab, "zk-censorship", verdict, ok, batches, keys_setup_ran=session.setup_ran,
                       censored_deposit=victim, refusals=refusals, exits=exits, contract_balance_end_wei=str(held),
                       rebuilt_root_matches=same)
    return _code(summary), summary


DEMOS: Mapping[str, Demo] = {
    "zk": demo_zk,
    "zk-invalid-batch": demo_zk_invalid_batch,
    "zk-censorship": demo_zk_censorship,
}

# One line each, as ``l2lab demo --list`` prints them: the first line of each demo's docstring.
SUMMARIES: Mapping[str, str] = {name: (demo.__doc__ or "").strip().splitlines()[0] for name, demo in DEMOS.items()}

__all__ = ["DEMOS", "SUMMARIES", "demo_zk", "demo_zk_censorship", "demo_zk_invalid_batch"]
