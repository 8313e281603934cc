"""The optimistic rollups on both L1s: the Python contracts on the toy L1 and their Solidity twins on anvil.

One scenario per rollup, played through ``OptimisticLab`` on each L1 with the
same keys: deposits, a batch, a transfer and a withdrawal claimed after the
challenge window (time travel), then an operator that credits itself from
nowhere and is caught, by a single-round fraud proof or by the bisection game
to its one-step verdict. Both L1s must agree call for call (outcome, rule,
gas within 10 % unless explained), on every state root and verdict, and pay
honest users the same.

Then what only a real EVM has: recipients with code of their own. The toy
L1's transfer never runs a recipient's code; the twins send ETH with the
value stipend alone and force it in when the recipient refuses it, so a
withdrawal to a contract that reverts on receipt is paid, and a challenger
contract that does cannot keep its moot dispute open (and the batches behind
it from finality). Both twins' runtimes fit EIP-170.
"""

from __future__ import annotations

import json
import time

from contracts_spec import evm as twins
from contracts_spec.l1 import encode_call
from contracts_spec.optimistic.bisection import BisectionRollup
from contracts_spec.optimistic.contract import OptimisticRollup
from contracts_spec.optimistic.encoding import batch_header
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.rules import Account
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.client import withdrawals_to
from rollup.optimistic.lab import OptimisticLab
from tests.evm_twin import compare, gas_table, new_l1

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob", "mallory")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}
FUNDED = {private_key_to_address(k): 1000 * ETH for k in KEYS.values()}

# Where the twin's gas stays more than 10 % from the toy L1's, and why.
EXPLAINED = {
    "deploy": "the twin's creation runs its constructor and deposits ~21-27 KB of code (200 gas a byte); the toy "
              "L1 deploys a Python class",
    "submit_batch": "EVM computation and memory to walk the batch calldata (per entry about 140 opcodes: kind, "
                    "size, copy, two keccaks, the Merkle frontier) and to hold its transactions for the data hash; "
                    "the toy L1 meters only the keccaks",
    "repropose_batch": "the same calldata walk as submit_batch, on a smaller call (no deposit checks, and the toy "
                       "L1 hashes the batch data once)",
    "prove_fraud": "EVM computation: ABI decoding of eight dynamic arguments, witnesses parsed into memory, the "
                   "4 x depth sparse-Merkle path loops and the EIP-712 digest, none of which the toy L1 meters",
    "prove_step": "as prove_fraud: witness parsing and sparse-Merkle loops in EVM computation (in the rollup's "
                  "StepJudge, whose STATICCALL and argument copy cost about what its immutables save in SLOADs)",
}


def events(lab: OptimisticLab, contract: type, name: str, *fields: str) -> list[tuple]:
    return [tuple(e[f] for f in fields) for e in lab.l1.events(lab.rollup.address, contract, name)]


def theft(lab: OptimisticLab) -> None:
    """The operator posts Mallory's honest-looking transfer with 3 ETH credited to her from nowhere."""
    m, b = lab.index("mallory"), lab.index("bob")
    mal, bob = lab.operator.state.get_account(m), lab.operator.state.get_account(b)
    tx = lab.wallets["mallory"].transfer(m, b, ETH // 100, mal.nonce)
    lab.operator.sequencer.inject(tx, {m: Account(mal.address, mal.balance + 3 * ETH, mal.nonce + 1),
                                       b: bob._replace(balance=bob.balance + ETH // 100)})


def honest_start(lab: OptimisticLab) -> dict:
    """Deposits, a batch, a transfer and Bob's withdrawal, claimed once final; what L1 says after each."""
    seen: dict = {}
    for name, amount in (("alice", 5 * ETH), ("bob", 2 * ETH), ("mallory", ETH)):
        lab.deposit(name, amount)
    lab.submit_batch()
    seen["root after deposits"] = lab.rollup.call("state_root")
    lab.transfer("alice", "bob", ETH)
    lab.withdraw("bob", ETH // 2)
    lab.submit_batch()
    seen["root after the withdrawal"] = lab.rollup.call("state_root")
    before = lab.l1_balance("bob")
    lab.finalize()
    receipts = lab.claim_final_withdrawals("bob")
    gas = sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in receipts)
    seen["bob's withdrawal paid"] = lab.l1_balance("bob") - before + gas
    seen["claimed"] = lab.rollup.call("is_claimed", 1, 0)
    return seen


def single_round(kind: str) -> tuple[dict, list]:
    l1 = new_l1(kind, FUNDED)
    lab = OptimisticLab(l1, KEYS, preset=MINIMAL)
    seen = honest_start(lab)
    theft(lab)
    lab.transfer("alice", "bob", ETH // 10)
    lab.submit_batch()
    challenger_before = lab.l1_balance("challenger")
    (proof,) = lab.challenge()
    gas = int(proof["gasUsed"], 16) * int(proof["effectiveGasPrice"], 16)
    seen["challenger reward"] = lab.l1_balance("challenger") - challenger_before + gas
    seen["fraud"] = events(lab, OptimisticRollup, "FraudProven", "index", "step", "reason", "reward", "burned")
    seen["after fraud"] = (lab.rollup.call("batch_count"), lab.rollup.call("batches_posted"),
                           lab.rollup.call("state_root"), lab.rollup.call("burned"))
    lab.operator.post_bond(MINIMAL.min_bond)
    lab.submit_batch()  # re-proposes the true claim of batch 2
    seen["re-proposed"] = (lab.rollup.call("batch_count"), lab.rollup.call("state_root"))
    assert lab.rebuild().faults() == []
    seen["mallory on L2"] = lab.l2_balance("mallory")
    return seen, l1.calls


def next_second() -> None:
    """Wait for the wall clock's next second. Both L1s' block time follows it, and a move rewrites its dispute's
    clock word (2,900 gas) only when a second ticked since the last move (else 100): a game started on the
    second plays on one timestamp on both L1s, so their gas compares."""
    time.sleep(1.0 - time.time() % 1.0)


def bisection(kind: str) -> tuple[dict, list]:
    l1 = new_l1(kind, FUNDED)
    lab = OptimisticLab(l1, KEYS, preset=MINIMAL, contract=BisectionRollup)
    seen = honest_start(lab)
    for _ in range(3):
        lab.transfer("alice", "bob", ETH // 10)
    theft(lab)
    for _ in range(3):
        lab.transfer("alice", "bob", ETH // 10)
    lab.submit_batch()
    challenger_before = lab.l1_balance("challenger")
    next_second()
    lab.challenge()  # the whole game: open, bisect and choose in turn, the one-step proof
    gas = sum(int(r["gasUsed"], 16) * int(r["effectiveGasPrice"], 16) for r in lab.challenger.receipts)
    seen["challenger gain"] = lab.l1_balance("challenger") - challenger_before + gas
    seen["moves"] = [(e["lo"], e["hi"], e["mid"], e["mid_root"])
                     for e in lab.l1.events(lab.rollup.address, BisectionRollup, "Bisected")]
    seen["fraud"] = events(lab, BisectionRollup, "FraudProven", "index", "step", "reason", "reward", "burned")
    seen["resolved"] = events(lab, BisectionRollup, "DisputeResolved", "id", "index", "reason", "reward", "burned")
    seen["after the verdict"] = (lab.rollup.call("batch_count"), lab.rollup.call("state_root"),
                                 lab.rollup.call("finality"), lab.rollup.call("burned"))
    lab.operator.post_bond(MINIMAL.min_bond)
    lab.submit_batch()
    seen["re-proposed"] = (lab.rollup.call("batch_count"), lab.rollup.call("state_root"))
    return seen, l1.calls


def check(play) -> None:
    toy, toy_calls = play("toy")
    evm, evm_calls = play("evm")
    assert evm == toy
    assert compare(toy_calls, evm_calls, explained=EXPLAINED) == []
    for method, toy_gas, evm_gas, diff in gas_table(toy_calls, evm_calls):
        print(f"{play.__name__:12} {method:18} toy {toy_gas:9} evm {evm_gas:9} {diff:+.1%}")


def test_the_single_round_rollup_on_both_l1s() -> None:
    check(single_round)


def test_the_bisection_rollup_on_both_l1s() -> None:
    check(bisection)


def test_both_twins_fit_eip_170() -> None:
    for contract in (OptimisticRollup, BisectionRollup):
        made = json.loads(twins.artifact_path(contract.__name__).read_text())
        assert made["runtime_size"] <= 24_576, (contract.__name__, made["runtime_size"])


REFUSER = "0x" + "5e" * 20
REFUSES_ETH = "0x60006000fd"  # PUSH1 0 PUSH1 0 REVERT: refuses every call


def forwarder(target: str) -> str:
    """Runtime code that forwards any call with data (and its value) to ``target`` and reverts on plain ETH:
    a contract that can play on the rollup but refuses every payment."""
    # CALLDATASIZE ISZERO PUSH1 47 JUMPI; CALLDATACOPY(0, 0, size); CALL(GAS, target, CALLVALUE, 0, size, 0, 0);
    # ISZERO PUSH1 47 JUMPI; STOP; 47: JUMPDEST REVERT(0, 0)
    return "0x3615602f573660006000376000600036600034" + "73" + target[2:].lower() + "5af115602f57005b60006000fd"


def test_a_withdrawal_to_a_contract_that_refuses_eth_is_paid_all_the_same_on_the_evm() -> None:
    l1 = new_l1("evm", FUNDED)
    lab = OptimisticLab(l1, KEYS, preset=MINIMAL)
    l1.rpc("anvil_setCode", REFUSER, REFUSES_ETH)
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", 2 * ETH)
    lab.submit_batch()
    to_refuser = lab.wallets["alice"].withdraw(lab.index("alice"), REFUSER, ETH, lab.nonce("alice"))
    assert lab.operator.submit([to_refuser]) == [None]
    lab.withdraw("bob", ETH // 2)
    lab.submit_batch()
    lab.finalize()
    lab.challenger.node.sync()
    (claim,) = [w.claim for w in withdrawals_to(lab.rollup, lab.challenger.node.batches, REFUSER)]
    lab.rollup.transact(KEYS["challenger"], "withdraw", *claim)  # anyone may claim it for the recipient
    assert l1.balance(REFUSER) == ETH and lab.rollup.call("is_claimed", claim.batch, claim.leaf_index)
    assert l1.rpc("eth_getCode", REFUSER, "latest") == REFUSES_ETH
    before = lab.l1_balance("bob")
    (receipt,) = lab.claim_final_withdrawals("bob")  # the batch's other withdrawal, as ever
    fee = int(receipt["gasUsed"], 16) * int(receipt["effectiveGasPrice"], 16)
    assert lab.l1_balance("bob") - before + fee == ETH // 2
    assert l1.balance(lab.rollup.address) == 7 * ETH - ETH - ETH // 2 + MINIMAL.min_bond
    assert [c.method for c in l1.calls if not c.ok] == []


def test_a_challenger_contract_that_refuses_eth_cannot_hold_up_finality_on_the_evm() -> None:
    """A contract disputes a wrong batch and refuses ETH; the honest challenger's own dispute wins first, so the
    contract's is moot and dismissed: its bond is forced in, the dispute closes, and finality moves on."""
    l1 = new_l1("evm", FUNDED)
    lab = OptimisticLab(l1, KEYS, preset=MINIMAL, contract=BisectionRollup)
    for name, amount in (("alice", 5 * ETH), ("bob", 2 * ETH), ("mallory", ETH)):
        lab.deposit(name, amount)
    lab.submit_batch()
    theft(lab)
    lab.transfer("alice", "bob", ETH // 10)
    lab.submit_batch()  # batch 1: Mallory's 3 ETH from nowhere
    player = "0x" + "c0" * 20
    l1.rpc("anvil_setCode", player, forwarder(lab.rollup.address))
    lab.challenger.node.sync()
    known = lab.challenger.node.batches[1]
    header = batch_header(known.data, known.batch).encode()
    l1.send(KEYS["alice"], to=player, data=encode_call(BisectionRollup, "open_dispute", 1, header),
            value=MINIMAL.min_bond)
    (opened,) = lab.l1.events(lab.rollup.address, BisectionRollup, "DisputeOpened")
    assert int(opened["challenger"], 16) == int(player, 16)
    lab.challenge()  # the honest challenger opens its own dispute and wins it; the proposer dismisses the other
    resolved = {e["id"]: (e["winner"], e["reason"])
                for e in lab.l1.events(lab.rollup.address, BisectionRollup, "DisputeResolved")}
    assert resolved[opened["id"]] == ("0x" + "00" * 20, "the disputed claim no longer stands: bond returned")
    assert l1.balance(player) == MINIMAL.min_bond
    assert l1.rpc("eth_getCode", player, "latest") == forwarder(lab.rollup.address)
    assert lab.rollup.call("open_disputes", 1) == 0 and lab.rollup.call("finality")[0] == 0
    lab.operator.post_bond(MINIMAL.min_bond)
    lab.submit_batch()  # the true claim of batch 1
    lab.finalize()
    assert lab.rollup.call("batch_count") == 2 and lab.rollup.call("is_final", 1)
    assert lab.rebuild().faults() == []
