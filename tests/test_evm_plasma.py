"""The Plasma root chain's two implementations side by side: the Python contract on the toy L1, its Solidity twin
(contracts_spec/evm/RootChain.sol) on anvil.

One scenario runs on both L1s, call for call: deposits and operator blocks,
standard exits of deposits and of operator-block outputs (one and two
inputs, with their confirmation signatures), a challenged exit whose bond
goes to the challenger, MoreVP in-flight exits with piggybacks, canonicity
challenges included and not, a response, piggyback challenges, a standard
exit challenged in flight, and ``finalize_exits`` paying everything in
priority order. The two runs must agree on every outcome (each call's
success or rule, the events that pay, every user's gain besides fees, what
the contract holds) and on gas within 10 % (``tests.evm_twin.compare``).
"""

from __future__ import annotations

import json

import pytest

from contracts_spec import evm as twins
from contracts_spec.l1 import TransactionReverted
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import MINIMAL, PlasmaPreset
from contracts_spec.runtime import ZERO_ADDRESS
from contracts_spec.runtime.execute import contract_address
from plasma.morevp import DEPOSIT_PROOF
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import compare, gas_table, new_l1
from tests.test_plasma_rootchain import ETH, KEYS, NAMES, Plasma, fee_of

# A longer period than MINIMAL's, so that every in-flight exit's first phase outlasts the calls the scenario
# makes in it (each call mines a block).
PRESET = PlasmaPreset(name="differential", exit_period_blocks=200, exit_bond=MINIMAL.exit_bond)
BOND, IFE_BOND, PB_BOND = PRESET.exit_bond, PRESET.in_flight_bond, PRESET.piggyback_bond
USERS = ("alice", "bob", "carol", "mallory", "dave")
ALL_KEYS = {**KEYS, "dave": bytes([99]) * 32}

# Where the twin's gas may differ from the toy L1's by more than 10 %, and why. The toy L1 meters calldata,
# storage, keccak, ecrecover, logs and transfers, not the EVM's own execution and memory.
EXPLAINED: dict[str, str] = {
    "deploy": "the toy L1 charges a Python contract no code; the EVM pays 200 gas per byte of the root chain's "
              "14 kB runtime and of the 12 kB reasons contract it creates",
    "challenge_exit": "the refused call only: its reason comes from the reasons contract (a cold STATICCALL, 2,600 "
                      "gas) formatting an EIP-55 address (a keccak, memory), unmetered on the toy L1",
    "start_deposit_exit": "the refused call only: its reason comes from the reasons contract (a cold STATICCALL, "
                          "2,600 gas) formatting a decimal and a state name, unmetered on the toy L1",
    "respond_to_non_canonical_challenge": "EVM execution the toy L1 does not meter: the 218-byte transaction "
                                          "checked, the 16-level Merkle loop, the phase checks (about 2,000 "
                                          "opcodes); the refused call also gets its reason from the reasons "
                                          "contract (a cold STATICCALL, six decimals)",
    "challenge_in_flight_exit_not_canonical": "EVM execution the toy L1 does not meter: two 218-byte transactions "
                                              "checked and compared, a Merkle loop when the competitor is included "
                                              "(about 2,500 opcodes)",
    "challenge_piggybacked_output_spent": "EVM execution the toy L1 does not meter: two 218-byte transactions "
                                          "checked and the 16-level Merkle loop (about 2,500 opcodes)",
}


def address(name: str) -> str:
    return private_key_to_address(ALL_KEYS[name]).lower()


class Net(Plasma):
    """The root chain helpers of test_plasma_rootchain with this scenario's preset, a fifth user, and each user's
    fees and expected gains kept."""

    def __init__(self, l1) -> None:  # noqa: ANN001 - a RecordingL1
        self.l1 = l1
        self.address = l1.deploy(ALL_KEYS["operator"], RootChain, *PRESET.constructor_args(self.addr("operator")))
        self.domain = R.Domain(l1.chain_id, self.address)
        self.utxos: dict[int, R.Output] = {}
        self.blocks: dict = {}
        self.fees = dict.fromkeys((*USERS, "operator"), 0)
        self.expect = dict.fromkeys(USERS, 0)
        self.start = {n: l1.balance(self.addr(n)) for n in USERS}

    def addr(self, name: str) -> str:
        return address(name)

    def owner_name(self, utxo_pos: int) -> str:
        owner = self.utxos[utxo_pos].owner
        return next(n for n in (*NAMES, "dave") if self.addr(n) == owner.lower())

    def spend(self, inputs: list[int], outputs: list[tuple[str, int]]) -> R.SignedTransaction:
        keys = [ALL_KEYS[self.owner_name(p)] for p in inputs]
        tx = R.Transaction.spend(inputs, [(self.addr(n), a) for n, a in outputs])
        return R.sign_transaction(tx, keys, self.domain)

    def sign(self, inputs: list[int], outputs: list[tuple[str, int]], *signers: str) -> R.SignedTransaction:
        tx = R.Transaction.spend(inputs, [(self.addr(n), a) for n, a in outputs])
        return R.sign_transaction(tx, [ALL_KEYS[s] for s in signers], self.domain)

    def tx(self, name: str, method: str, *args, value: int = 0, gas: int | None = None) -> dict:
        receipt = self.l1.transact(ALL_KEYS[name], self.address, RootChain, method, *args, value=value, gas=gas)
        self.fees[name] += fee_of(receipt)
        return receipt

    def confirmations(self, blknum: int, txindex: int, *names: str) -> bytes:
        txs, tree = self.blocks[blknum]
        return R.confirmations(txs[txindex], tree.root, [ALL_KEYS[n] for n in names])

    def refuse(self, name: str, method: str, *args, value: int = 0) -> str:
        """A call the root chain refuses (mined, fee paid); the rule it names."""
        with pytest.raises(TransactionReverted) as info:
            self.l1.transact(ALL_KEYS[name], self.address, RootChain, method, *args, value=value, gas=2_000_000)
        self.fees[name] += fee_of(info.value.receipt)
        return info.value.reason.split(":", 1)[0]

    def ife(self, signed: R.SignedTransaction) -> tuple:
        return self.call("in_flight_exit", signed.tx.hash())

    def until(self, time: int, block: int) -> None:
        """The next transaction runs at ``time`` and in L1 block ``block`` or later."""
        if self.l1.timestamp() < time:
            self.l1.increase_time(time - self.l1.timestamp())
        if self.l1.block_number() + 1 < block:
            self.l1.rpc("anvil_mine", hex(block - self.l1.block_number() - 1))

    def gains(self) -> dict[str, int]:
        """What each user gained or lost on L1 besides its fees."""
        return {n: self.l1.balance(self.addr(n)) + self.fees[n] - self.start[n] for n in USERS}


def scenario(kind: str) -> dict:
    """The whole scenario on one L1; what came out of it."""
    net = Net(new_l1(kind, {address(n): 1000 * ETH for n in (*USERS, "operator")}))
    e = net.expect
    rules = []

    # -- MVP: deposits, blocks, standard exits with confirmations, a challenge ------------------------------------
    a1, b1, c1, m0 = (net.deposit(n, v) for n, v in (("alice", 10 * ETH), ("bob", 3 * ETH), ("carol", 2 * ETH),
                                                     ("mallory", 4 * ETH)))
    e.update(alice=-10 * ETH, bob=-3 * ETH, carol=-2 * ETH, mallory=-4 * ETH)
    blk = net.submit([net.spend([a1], [("bob", 6 * ETH), ("alice", 3 * ETH)]),  # the operator keeps 1 as fee
                      net.spend([b1], [("carol", 3 * ETH)]), net.spend([m0], [("bob", 4 * ETH)])])
    net.start_exit("bob", R.encode_utxo_pos(blk, 0, 0), "alice")
    net.start_exit("alice", R.encode_utxo_pos(blk, 0, 1), "alice")
    net.start_exit("carol", R.encode_utxo_pos(blk, 1, 0), "bob")
    net.start_exit("bob", R.encode_utxo_pos(blk, 2, 0), "mallory")
    net.start_deposit_exit("carol", c1)
    e["alice"] += 3 * ETH
    e["bob"] += 10 * ETH
    e["carol"] += 5 * ETH
    net.tx("mallory", "start_deposit_exit", m0, 4 * ETH, value=BOND)  # the deposit she spent
    rules.append(net.refuse("bob", "challenge_exit", *net.challenge_args(m0, blk, 2, "alice")))
    net.tx("bob", "challenge_exit", *net.challenge_args(m0, blk, 2, "mallory"))
    e["bob"] += BOND
    e["mallory"] -= BOND
    rules.append(net.refuse("mallory", "start_deposit_exit", m0, 4 * ETH, value=BOND))
    a2, c2 = net.deposit("alice", 2 * ETH), net.deposit("carol", ETH)
    two = net.submit([net.spend([a2, c2], [("dave", 3 * ETH)])])
    net.tx("dave", "start_exit", *net.exit_args(R.encode_utxo_pos(two, 0, 0), "alice", "carol"), value=BOND)
    e["alice"] -= 2 * ETH
    e["carol"] -= ETH
    e["dave"] += 3 * ETH

    # -- MoreVP: in-flight exits ---------------------------------------------------------------------------------
    # Mallory pays Bob in a block; she shows a spend of the same coin she never had included; Bob responds.
    m1 = net.deposit("mallory", 2 * ETH)
    to_bob = net.sign([m1], [("bob", 2 * ETH)], "mallory")
    paid_bob = net.submit([to_bob], check=False)
    deposit_of = {m1: R.SignedTransaction.unsigned_deposit(net.addr("mallory"), 2 * ETH).encode()}
    net.tx("bob", "start_in_flight_exit", to_bob.encode(), deposit_of[m1], DEPOSIT_PROOF, value=IFE_BOND)
    net.tx("bob", "piggyback_output", to_bob.encode(), 0, value=PB_BOND)
    cancel = net.sign([m1], [("mallory", 2 * ETH)], "mallory")
    net.tx("mallory", "challenge_in_flight_exit_not_canonical", to_bob.encode(), 0, cancel.encode(), 0, b"")
    e["mallory"] -= 2 * ETH
    e["bob"] += 2 * ETH
    # A joint payment whose co-signer spends her input elsewhere: Alice gets her input back.
    a3, c3 = net.deposit("alice", ETH), net.deposit("carol", ETH)
    joint = net.sign([a3, c3], [("bob", 2 * ETH)], "alice", "carol")
    elsewhere = net.sign([c3], [("dave", ETH)], "carol")
    deposits = R.SignedTransaction.unsigned_deposit(net.addr("alice"), ETH).encode() + \
        R.SignedTransaction.unsigned_deposit(net.addr("carol"), ETH).encode()
    net.tx("alice", "start_in_flight_exit", joint.encode(), deposits, DEPOSIT_PROOF * 2, value=IFE_BOND)
    net.tx("alice", "piggyback_input", joint.encode(), 0, value=PB_BOND)
    net.tx("carol", "piggyback_input", joint.encode(), 1, value=PB_BOND)
    net.tx("dave", "challenge_in_flight_exit_not_canonical", joint.encode(), 1, elsewhere.encode(), 0, b"")
    net.tx("dave", "challenge_piggybacked_input_spent", joint.encode(), 1, elsewhere.encode())
    e["alice"] -= IFE_BOND
    e["carol"] += -ETH - PB_BOND
    e["dave"] += IFE_BOND + PB_BOND
    # Mallory exits in flight an output she spent: her piggyback is challenged; Carol, who got it, exits it.
    a4 = net.deposit("alice", 3 * ETH)
    to_mallory = net.sign([a4], [("mallory", 3 * ETH)], "alice")
    b4 = net.submit([to_mallory], check=False)
    to_carol = net.sign([R.encode_utxo_pos(b4, 0, 0)], [("carol", 3 * ETH)], "mallory")
    net.submit([to_carol], check=False)
    net.tx("mallory", "start_in_flight_exit", to_mallory.encode(),
           R.SignedTransaction.unsigned_deposit(net.addr("alice"), 3 * ETH).encode(), DEPOSIT_PROOF, value=IFE_BOND)
    net.tx("mallory", "piggyback_output", to_mallory.encode(), 0, value=PB_BOND)
    net.tx("dave", "challenge_piggybacked_output_spent", to_mallory.encode(), R.tx_pos(b4, 0),
           net.blocks[b4][1].proof(0), 0, to_carol.encode())
    net.tx("carol", "start_in_flight_exit", to_carol.encode(), to_mallory.encode(), net.blocks[b4][1].proof(0),
           value=IFE_BOND)
    net.tx("carol", "piggyback_output", to_carol.encode(), 0, value=PB_BOND)
    e["alice"] -= 3 * ETH
    e["mallory"] -= PB_BOND
    e["dave"] += PB_BOND
    e["carol"] += 3 * ETH
    # Bob's watcher exits the input of a payment to Dave it never saw included; Dave exits it in flight and
    # challenges the standard exit.
    b6 = net.deposit("bob", ETH)
    to_dave = net.sign([b6], [("dave", ETH)], "bob")
    net.tx("bob", "start_deposit_exit", b6, ETH, value=BOND)
    net.tx("dave", "start_in_flight_exit", to_dave.encode(),
           R.SignedTransaction.unsigned_deposit(net.addr("bob"), ETH).encode(), DEPOSIT_PROOF, value=IFE_BOND)
    net.tx("dave", "piggyback_output", to_dave.encode(), 0, value=PB_BOND)
    net.tx("dave", "challenge_standard_exit_in_flight", b6, to_dave.encode(), 0, b"")
    e["bob"] += -ETH - BOND
    e["dave"] += ETH + BOND
    # Carol double-spends a coin she paid Dave; the operator includes her other spend; Bob shows it.
    c7 = net.deposit("carol", 2 * ETH)
    to_dave2 = net.sign([c7], [("dave", 2 * ETH)], "carol")
    to_self = net.sign([c7], [("carol", 2 * ETH)], "carol")
    b7 = net.submit([to_self], check=False)
    net.tx("dave", "start_in_flight_exit", to_dave2.encode(),
           R.SignedTransaction.unsigned_deposit(net.addr("carol"), 2 * ETH).encode(), DEPOSIT_PROOF, value=IFE_BOND)
    net.tx("dave", "piggyback_output", to_dave2.encode(), 0, value=PB_BOND)
    net.tx("carol", "piggyback_input", to_dave2.encode(), 0, value=PB_BOND)
    net.tx("bob", "challenge_in_flight_exit_not_canonical", to_dave2.encode(), 0, to_self.encode(),
           R.tx_pos(b7, 0), net.blocks[b7][1].proof(0))
    net.tx("bob", "challenge_piggybacked_input_spent", to_dave2.encode(), 0, to_self.encode())
    rules.append(net.refuse("dave", "respond_to_non_canonical_challenge", to_bob.encode(), R.tx_pos(paid_bob, 0),
                            net.blocks[paid_bob][1].proof(0)))
    e["carol"] += -2 * ETH - PB_BOND
    e["dave"] -= IFE_BOND
    e["bob"] += IFE_BOND + PB_BOND

    # The second phase of every in-flight exit: Bob shows his payment included before Mallory's competitor.
    ifes = (to_bob, joint, to_mallory, to_carol, to_dave, to_dave2)
    infos = [net.ife(t) for t in ifes]
    net.until(max(i[5] for i in infos), max(i[6] for i in infos) + 1)
    assert all(net.l1.block_number() + 1 < i[8] for i in infos)  # still before any is due
    net.tx("bob", "respond_to_non_canonical_challenge", to_bob.encode(), R.tx_pos(paid_bob, 0),
           net.blocks[paid_bob][1].proof(0))

    # Everything is due: finalize_exits pays one exit a call, in priority order.
    positions = [a1, b1, c1, m0, a2, c2, b6, R.encode_utxo_pos(blk, 0, 0),
                                     R.encode_utxo_pos(blk, 0, 1), R.encode_utxo_pos(blk, 1, 0),
                                     R.encode_utxo_pos(blk, 2, 0), R.encode_utxo_pos(two, 0, 0)]
    infos = [net.ife(t) for t in ifes]
    exits = [net.call("exit_info", p) for p in positions]
    net.until(max([i[7] for i in infos] + [x[3] for x in exits]), max([i[8] for i in infos] + [x[4] for x in exits]))
    keys = []
    while net.call("queue_length", ZERO_ADDRESS):
        keys.append(net.call("next_exit", ZERO_ADDRESS))
        net.tx("dave", "finalize_exits", ZERO_ADDRESS, 1)
    assert keys == sorted(keys)  # lowest priority key first
    assert net.gains() == net.expect
    assert net.l1.balance(net.address) == 4 * ETH  # the operator's fee, and coins spent in what nobody exited
    lower = {net.addr(n): n for n in (*USERS, "operator")}
    return {
        "calls": net.l1.calls,
        "rules": rules,
        "gains": net.gains(),
        "held": net.l1.balance(net.address),
        "finalized": [(x["utxo_pos"], lower[x["owner"].lower()], x["amount"], x["paid"])
                      for x in net.events("ExitFinalized")],
        "in_flight_paid": [(x["tx_hash"], lower[x["owner"].lower()], x["index"], x["output"], x["amount"],
                            x["paid"]) for x in net.events("InFlightExitPaid")],
        "in_flight_finalized": [(x["tx_hash"], x["canonical"], lower[x["bond_owner"].lower()])
                                for x in net.events("InFlightExitFinalized")],
        "challenged": [(x["utxo_pos"], lower[x["challenger"].lower()], x["spend_pos"])
                       for x in net.events("ExitChallenged")],
        "exits": [(p, x[0].lower(), x[1], x[2]) for p, x in zip(positions, (net.call("exit_info", p)
                                                                            for p in positions), strict=True)],
        "ifes": [(net.ife(t)[0].lower(), *net.ife(t)[1:5], net.ife(t)[9]) for t in ifes],
        "roots": [net.call("child_block", b)[0] for b in sorted(net.blocks)],
    }


def test_the_plasma_scenario_has_the_same_outcomes_and_gas_on_both_l1s() -> None:
    toy, evm = scenario("toy"), scenario("evm")
    assert toy["rules"] == evm["rules"] == ["bad confirmation", "exit exists", "out of phase"]
    for what in ("gains", "held", "finalized", "in_flight_paid", "in_flight_finalized", "challenged", "exits",
                 "ifes", "roots"):
        assert toy[what] == evm[what], what
    print(f"\n{'method':<42} {'toy':>9} {'evm':>9} {'diff':>7}")
    for method, t, e, d in gas_table(toy["calls"], evm["calls"]):
        print(f"{method:<42} {t:>9,} {e:>9,} {d:>+7.1%}")
    assert compare(toy["calls"], evm["calls"], explained=EXPLAINED) == []


def test_the_root_chain_twin_fits_eip_170() -> None:
    """EIP-170: a deployed contract's runtime is at most 24,576 bytes. The refusal texts live in the reasons
    contract the root chain creates (its first CREATE, nonce 1), which fits too; one deploy makes both."""
    artifact = json.loads(twins.artifact_path("RootChain").read_text())
    assert artifact["runtime_size"] <= 24_576
    net = Net(new_l1("evm", {address("operator"): 1000 * ETH}))
    reasons = contract_address(net.address, 1)
    sizes = [len(bytes.fromhex(net.l1.rpc("eth_getCode", a, "latest")[2:])) for a in (net.address, reasons)]
    assert sizes[0] == artifact["runtime_size"] and 0 < sizes[1] <= 24_576


def test_an_exit_owner_whose_code_refuses_eth_is_paid_and_the_queue_moves_on() -> None:
    """The toy L1's transfer never runs the recipient's code; on a real EVM a recipient that refuses ETH
    could hold up the exit queue, or, if the refusal were ignored, lose its exit. The twin forces the ETH
    in, so Alice's exit is paid although her account now refuses every call, and Bob's after it too."""
    from tests.test_plasma_rootchain import new_net

    net = new_net("evm")
    alice, bob = net.deposit("alice", ETH), net.deposit("bob", 2 * ETH)
    net.start_deposit_exit("alice", alice)
    net.start_deposit_exit("bob", bob)
    net.l1.rpc("anvil_setCode", net.addr("alice"), "0x60006000fd")  # PUSH1 0 PUSH1 0 REVERT: refuses every call
    net.wait_exit_period(bob)
    before = {n: net.l1.balance(net.addr(n)) for n in ("alice", "bob")}
    done, _ = net.finalize(by="carol")
    assert done == 2
    assert net.l1.balance(net.addr("alice")) - before["alice"] == ETH + MINIMAL.exit_bond
    assert net.l1.balance(net.addr("bob")) - before["bob"] == 2 * ETH + MINIMAL.exit_bond
    assert net.l1.balance(net.address) == 0
