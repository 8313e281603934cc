"""The zk-rollup on both L1s: one scenario through ZkLab on the toy L1 and on anvil, outcome for outcome, gas for gas.

The scenario: deposits (two new accounts, then a deposit to an existing one),
batches proved with the project's Groth16 prover and verified on L1, a
withdrawal claimed, a forged batch (an honest proof for another new root)
and a proof that is no curve point refused, a full exit requested on L1 and
paid by the next batch, then censorship: exodus mode, an exit with its
Merkle proof, a refunded deposit. Both L1s must agree on every outcome and
rule, on the state roots, on what the contract pays whom, and on gas within
10 % except where ``EXPLAINED`` says why not. A second test measures what
the twin's Poseidon and key check really cost on the EVM against the figures
the toy L1 charges (gas.POSEIDON_GAS, gas.BABYJUB_REGISTRATION_GAS); a third
checks that the twin's Poseidon constants are what gen_poseidon.py makes of
the Python ones.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter

import pytest

from contracts_spec import gas as G
from contracts_spec.l1 import TransactionReverted
from contracts_spec.zk import keys
from contracts_spec.zk import pubdata as pd
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.params import SMALL
from primitives.secp256k1 import private_key_to_address
from primitives.snark.poseidon import poseidon
from rollup.zk.lab import ZkLab
from tests.evm_twin import RecordingL1, compare, gas_table, new_l1

ETH = 10**18
NAMES = ("operator", "alice", "bob", "carol")
KEYS = {name: bytes([i + 41]) * 32 for i, name in enumerate(NAMES)}
FUNDED = {private_key_to_address(k): 1000 * ETH for k in KEYS.values()}

EXPLAINED = {
    "deploy": "the twin pays 200 gas per byte of its 23 kB of code, checks the key's three G2 points with the "
              "pairing precompile and hashes the domain with its Poseidon; the toy L1 charges none of it to the "
              "Python class",
}


def _fee(receipt: dict | None) -> int:
    if not receipt:
        return 0
    return int(str(receipt["gasUsed"]), 0) * int(str(receipt["effectiveGasPrice"]), 0)


def scenario(kind: str) -> tuple[RecordingL1, dict]:
    """Run the scenario on a fresh L1 of ``kind``; its recording and what it observed."""
    l1 = new_l1(kind, FUNDED)
    lab = ZkLab(l1, KEYS, preset=SMALL)
    fees: Counter[str] = Counter()
    start = {name: l1.balance(lab.eth_address(name)) for name in NAMES}
    transact = lab.transact

    def metered(name: str, method: str, *args, **kw) -> dict:  # every user transaction's fee, mined or refused
        try:
            receipt = transact(name, method, *args, **kw)
        except TransactionReverted as exc:
            fees[name] += _fee(exc.receipt)
            raise
        fees[name] += _fee(receipt)
        return receipt

    lab.transact = metered  # type: ignore[method-assign]
    seen: dict = {"roots": [lab.call("state_root")], "refused": []}

    def refused(fn, match: str) -> None:
        with pytest.raises(TransactionReverted, match=match) as info:
            fn()
        seen["refused"].append(info.value.reason.split(":", 1)[0])

    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", 1 * ETH)
    lab.submit_batch()  # both deposit slots: a full batch
    seen["roots"].append(lab.call("state_root"))
    lab.deposit("alice", ETH)  # to her existing account
    lab.transfer("alice", "bob", 2 * ETH)
    lab.withdraw("bob", ETH // 2)
    lab.submit_batch()
    seen["roots"].append(lab.call("state_root"))
    refused(lambda: lab.transact("carol", "deposit", 1, 2, lab.eth_address("carol"), value=ETH, gas=300_000),
            "not on BabyJubJub")

    lab.transfer("bob", "alice", ETH)
    batch, _ = lab.next_batch()
    honest = lab.prove(batch)
    refused(lambda: lab.commit(honest, new_root=(honest.batch.new_root + 1) % (2**254), gas=2_000_000),
            "proof does not verify")
    refused(lambda: lab.commit(honest, proof=b"\x01" * pd.PROOF_BYTES, gas=2_000_000), "not on the curve")
    lab.commit(honest)
    lab._advance(honest.batch, 0)
    seen["roots"].append(lab.call("state_root"))
    lab.claim("bob")
    refused(lambda: lab.transact("bob", "claim_withdrawal", lab.eth_address("bob"), gas=100_000), "nothing to claim")

    lab.request_exit("alice")  # a full exit on L1: the next batch must pay her whole balance
    lab.submit_batch()
    seen["roots"].append(lab.call("state_root"))
    lab.claim("alice")

    lab.deposit("carol", 4 * ETH)  # the operator ignores it
    lab.censored.add(lab.call("counters")[0] - 1)
    refused(lambda: lab.transact("carol", "activate_exodus", gas=200_000), "no deposit is overdue")
    lab.l1.mine(SMALL.deposit_deadline_blocks + 1)
    lab.l1.increase_time(SMALL.deposit_deadline_seconds + 1)
    lab.l1.mine(1)
    lab.transact("carol", "activate_exodus")
    node = lab.full_node()
    seen["full_node_root"] = node.state.root
    lab.exit("bob", node)
    refused(lambda: lab.transact("bob", "exit", *node.exit_proof(lab.index("bob")), gas=2_000_000),
            "already exited")
    lab.transact("carol", "refund_deposit", lab.call("counters")[0] - 1)

    seen["counters"] = lab.call("counters")
    seen["left_in_contract"] = l1.balance(lab.address)
    seen["net"] = {name: l1.balance(lab.eth_address(name)) + fees[name] - start[name] for name in NAMES[1:]}

    def events(name: str, *fields: str) -> list[tuple]:
        return [tuple(str(e[f]).lower() for f in fields) for e in l1.events(lab.address, ZkRollup, name)]

    seen["deposits"] = events("DepositQueued", "id", "account", "amount", "ax", "ay", "owner", "depositor")
    seen["ready"] = events("WithdrawalReady", "batch", "account", "recipient", "amount")
    seen["paid"] = events("WithdrawalClaimed", "recipient", "amount")
    seen["exits"] = events("ExitRequested", "id", "account", "owner") + events("Exited", "account", "owner", "amount")
    seen["refunds"] = events("DepositRefunded", "id", "depositor", "amount")
    seen["batches"] = events("BatchVerified", "index", "old_root", "new_root", "first_deposit", "deposits")
    return l1, seen


def test_the_zk_rollup_scenario_on_both_l1s() -> None:
    toy_l1, toy = scenario("toy")
    evm_l1, evm = scenario("evm")
    assert evm == toy
    assert toy["roots"][-1] == toy["full_node_root"]
    # honest users got exactly what L2 gave them, on both L1s: alice deposited 6 and sent bob 2 - 1 on L2, bob
    # deposited 1 and took his 2 back (a withdrawal, then exodus), carol's censored deposit came back in full
    assert toy["net"] == {"alice": -ETH, "bob": ETH, "carol": 0}
    assert toy["left_in_contract"] == 0
    assert len(toy["batches"]) == 4 and len(toy["exits"]) == 2 and len(toy["refunds"]) == 1
    bob = private_key_to_address(KEYS["bob"]).lower()
    assert toy["refused"] == ["bad L2 key", "the proof does not verify for this batch (old root, new root, deposits "
                              "and pubdata)", "bn254", f"nothing to claim for {bob}", "no deposit is overdue",
                              "account 2 has already exited"]
    assert compare(toy_l1.calls, evm_l1.calls, explained=EXPLAINED) == []
    print("\nmethod               toy gas    evm gas   toy vs evm")
    for method, t, e, ratio in gas_table(toy_l1.calls, evm_l1.calls):
        print(f"{method:18} {t:>10,} {e:>10,}   {ratio:+.1%}")


# -- what the twin's Poseidon and key check cost on the EVM -------------------------------

PROBE = """// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;
import "ZkRollup.sol";
contract Probe {
    uint256 public sink;
    function h2(uint256 a, uint256 b) external { sink = Poseidon.hash2(a, b); }
    function n2(uint256 a, uint256 b) external { sink = a ^ b; }
    function h4(uint256 a, uint256 b, uint256 c, uint256 d) external { sink = Poseidon.hash4(a, b, c, d); }
    function n4(uint256 a, uint256 b, uint256 c, uint256 d) external { sink = a ^ b ^ c ^ d; }
    function key(uint256 x, uint256 y) external { (uint256 ax, uint256 ay) = BabyJub.keyFromRegistration(x, y);
        sink = ax ^ ay; }
    function hash2(uint256 a, uint256 b) external view returns (uint256) { return Poseidon.hash2(a, b); }
    function hash4(uint256 a, uint256 b, uint256 c, uint256 d) external view returns (uint256) {
        return Poseidon.hash4(a, b, c, d); }
    function registered(uint256 x, uint256 y) external view returns (uint256, uint256) {
        return BabyJub.keyFromRegistration(x, y); }
}
"""


def _probe_bytecode() -> bytes:
    from contracts_spec import evm as twins
    from node import evm

    request = {"language": "Solidity", "sources": {"Probe.sol": {"content": PROBE}},
               "settings": dict(twins.SETTINGS, outputSelection={"*": {"*": ["evm.bytecode.object"]}})}
    done = subprocess.run(["node", str(evm.TOOLS / "compile.js"), str(twins.SOURCES)], input=json.dumps(request),
                          capture_output=True, text=True, cwd=evm.TOOLS, check=True)
    out = json.loads(done.stdout)
    assert not [e for e in out.get("errors", []) if e["severity"] == "error"], out.get("errors")
    return bytes.fromhex(out["contracts"]["Probe.sol"]["Probe"]["evm"]["bytecode"]["object"])


def _selector(sig: str) -> bytes:
    from primitives.keccak import keccak256

    return keccak256(sig.encode())[:4]


def _args(*words: int) -> bytes:
    return b"".join(w.to_bytes(32, "big") for w in words)


def test_poseidon_cost_on_the_evm() -> None:
    """The twin's Poseidon hashes as primitives.snark.poseidon does; its real gas against the published figures."""
    key = KEYS["alice"]
    l1 = new_l1("evm", FUNDED)
    receipt = l1.wait_for_receipt(l1.submit(key, to=None, data=_probe_bytecode(), gas=10_000_000))
    probe = receipt["contractAddress"]

    def used(sig: str, *words: int) -> int:
        r = l1.wait_for_receipt(l1.submit(key, to=probe, data=_selector(sig) + _args(*words), gas=1_000_000))
        assert int(r["status"], 16) == 1
        return int(r["gasUsed"], 16)

    def view(sig: str, *words: int) -> list[int]:
        out = bytes.fromhex(l1.rpc("eth_call", {"to": probe, "data": "0x" + (_selector(sig) + _args(*words)).hex()},
                                   "latest")[2:])
        return [int.from_bytes(out[k:k + 32], "big") for k in range(0, len(out), 32)]

    a, b, c, d = 2**250 + 7, 12345, 2**200 - 1, 99
    assert view("hash2(uint256,uint256)", a, b) == [poseidon([a, b])]
    assert view("hash4(uint256,uint256,uint256,uint256)", a, b, c, d) == [poseidon([a, b, c, d])]
    public = keys.public_key(b"\x05" * 32)
    assert view("registered(uint256,uint256)", *keys.registration_point(public)) == list(public)
    used("n2(uint256,uint256)", 1, 2)  # the sink slot is non-zero from here on: each probe pays the same SSTORE
    t3 = used("h2(uint256,uint256)", a, b) - used("n2(uint256,uint256)", a, b)
    t5 = used("h4(uint256,uint256,uint256,uint256)", a, b, c, d) - used("n4(uint256,uint256,uint256,uint256)",
                                                                         a, b, c, d)
    point = keys.registration_point(public)
    reg = used("key(uint256,uint256)", *point) - used("n2(uint256,uint256)", *point)
    print(f"\nPoseidon of 2 inputs: {t3:,} gas on the EVM, {G.POSEIDON_GAS[2]:,} published"
          f"\nPoseidon of 4 inputs: {t5:,} gas on the EVM, {G.POSEIDON_GAS[4]:,} published"
          f"\nkey registration (8 P): {reg:,} gas on the EVM, {G.BABYJUB_REGISTRATION_GAS:,} charged by the toy L1")
    # within 10 % of the figures the toy L1 charges (four inputs: the priority chain and the exit proof)
    assert abs(t5 - G.POSEIDON_GAS[4]) < 0.1 * G.POSEIDON_GAS[4]
    assert abs(t3 - G.POSEIDON_GAS[2]) < 0.1 * G.POSEIDON_GAS[2]


def test_the_twins_poseidon_constants_are_generated_from_the_python_ones() -> None:
    from contracts_spec.evm import gen_poseidon

    text = gen_poseidon.SOL.read_text()
    assert gen_poseidon.rewrite(text) == text, "run python contracts_spec/evm/gen_poseidon.py, then recompile"


def test_a_withdrawal_to_an_address_whose_code_refuses_eth_is_paid_on_the_evm() -> None:
    """The toy L1's transfer never runs the recipient's code; on a real EVM a recipient that refuses ETH
    would make its claim revert for ever. The twin forces the ETH in, so the withdrawal is paid."""
    l1 = new_l1("evm", FUNDED)
    lab = ZkLab(l1, KEYS, preset=SMALL)
    refuser = "0x" + "5e" * 20
    l1.rpc("anvil_setCode", refuser, "0x60006000fd")  # PUSH1 0 PUSH1 0 REVERT: refuses every call
    lab.deposit("alice", 2 * ETH)
    lab.submit_batch()
    lab.withdraw("alice", ETH, recipient=refuser)
    lab.submit_batch()
    lab.transact("bob", "claim_withdrawal", refuser)
    assert l1.balance(refuser) == ETH
