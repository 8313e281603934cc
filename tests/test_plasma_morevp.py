"""More Viable Plasma's in-flight exits on the Plasma MVP root chain, in the protocol's words.

Every scenario runs the real thing: the operator (``plasma.operator``), each
user's ``Watcher`` validating blocks and its ``MoreVP`` client starting,
piggybacking, challenging and responding, real signatures and L1 calls, time
travelled through the two phases, on both L1s (the toy L1's Python contract
and anvil's Solidity twin, through the ``l1_kind`` fixture). The bonds: an
in-flight exit's (``IFE_BOND``), a piggyback's (``PB_BOND``) and a standard
exit's (``BOND``).
"""

from __future__ import annotations

import pytest

from contracts_spec.l1 import TransactionReverted
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import CHALLENGED, FINALIZED, STARTED, RootChain
from contracts_spec.plasma.params import MAX_FINALIZE_PER_CALL, MINIMAL, in_flight_bonds
from plasma.morevp import DEPOSIT_PROOF, MoreVP, tx_hash
from plasma.operator import Block, Operator, PlasmaRefused
from plasma.watcher import Watcher
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("alice", "bob", "carol", "mallory", "dave", "operator")
KEYS = {name: bytes([i + 151]) * 32 for i, name in enumerate(NAMES)}
ADDR = {name: private_key_to_address(k) for name, k in KEYS.items()}
BOND = MINIMAL.exit_bond
IFE_BOND, PB_BOND = MINIMAL.in_flight_bond, MINIMAL.piggyback_bond
GAS = 3_000_000
# OMG Network's in-flight exit game (omgnetwork/plasma-contracts, PaymentInFlightExitRouter.sol) sizes its bonds
# on the gas of the challenges they pay for: 185,000 for the in-flight exit's, 140,000 for a piggyback's.
OMG_GAS = {"in-flight exit challenge": 185_000, "piggyback challenge": 140_000}


def gas_of(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


class Lab:
    """The operator, users with a watcher and a MoreVP client each, and the root chain on one L1."""

    def __init__(self, l1_kind: str = "toy") -> None:
        self.l1 = new_l1(l1_kind, {a: 1000 * ETH for a in ADDR.values()})
        self.address = self.l1.deploy(KEYS["operator"], RootChain, *MINIMAL.constructor_args(ADDR["operator"]))
        self.operator = Operator(self.l1, self.address, KEYS["operator"])
        self.domain = self.operator.domain
        op = self.operator
        self.w = {n: Watcher(self.l1, self.address, KEYS[n], fetch=op.served_block,
                             confirmations=op.confirmations.get, post=op.post_confirmation)
                  for n in NAMES if n != "operator"}
        self.m = {n: MoreVP(w) for n, w in self.w.items()}

    # -- the child chain ------------------------------------------------------------------------------------

    def deposit(self, name: str, amount: int) -> int:
        blknum = self.call("next_deposit_block")
        self.l1.transact(KEYS[name], self.address, RootChain, "deposit", value=amount)
        return R.encode_utxo_pos(blknum, 0, 0)

    def sign(self, inputs: list[int], outputs: list[tuple[str, int]], *signers: str) -> R.SignedTransaction:
        tx = R.Transaction.spend(inputs, [(ADDR[n], a) for n, a in outputs])
        return R.sign_transaction(tx, [KEYS[s] for s in signers], self.domain)

    def block(self, *txs: R.SignedTransaction, withhold: bool = False, check: bool = True) -> Block:
        return self.operator.submit_block(list(txs), check=check, withhold=withhold)

    def poll(self, *names: str) -> None:
        """Each named user's watcher validates what it can, then its MoreVP client acts."""
        for n in names:
            self.w[n].poll()
        for n in names:
            self.m[n].poll()

    # -- L1 ---------------------------------------------------------------------------------------------------

    def call(self, method: str, *args):
        return self.l1.call(self.address, RootChain, method, *args)

    def send(self, name: str, method: str, *args, value: int = 0, gas: int | None = None) -> dict:
        return self.l1.transact(KEYS[name], self.address, RootChain, method, *args, value=value, gas=gas)

    def ife(self, signed: R.SignedTransaction) -> tuple:
        return self.call("in_flight_exit", tx_hash(signed))

    def until(self, time: int, block: int) -> None:
        """Move the clock so that the next L1 transaction runs at ``time`` and in L1 block ``block`` or later."""
        if self.l1.timestamp() < time:
            self.l1.increase_time(time - self.l1.timestamp())
        if self.l1.block_number() + 1 < block:
            self.l1.mine(block - self.l1.block_number() - 1)

    def second_phase(self, signed: R.SignedTransaction) -> None:
        info = self.ife(signed)
        self.until(info[5], info[6])

    def due(self, signed: R.SignedTransaction) -> None:
        info = self.ife(signed)
        self.until(info[7], info[8])

    def wait_exit(self, utxo_pos: int) -> None:
        _, _, _, exit_time, exit_block = self.call("exit_info", utxo_pos)
        self.until(exit_time, exit_block)

    def finalize(self, max_exits: int = 16, by: str = "dave") -> dict:
        return self.send(by, "finalize_exits", R.ZERO_ADDRESS, max_exits)

    def fees(self, name: str) -> int:
        """The L1 fees ``name`` has paid so far."""
        total = 0
        for n in range(self.l1.block_number() + 1):
            for h in self.l1.block(n)["transactions"]:
                r = self.l1.receipt(h)
                if r is not None and r["from"].lower() == ADDR[name].lower():
                    total += gas_of(r) * int(r["effectiveGasPrice"], 16)
        return total

    def balances(self) -> dict[str, int]:
        """Each user's L1 balance with the fees it paid added back: what it gained or lost besides gas."""
        return {n: self.l1.balance(ADDR[n]) + self.fees(n) for n in NAMES if n != "operator"}

    def paid(self) -> dict[str, int]:
        """Wei each owner was paid by exits, standard and in flight, bonds included."""
        out: dict[str, int] = {}
        for ev in ("ExitFinalized", "InFlightExitPaid"):
            for e in self.l1.events(self.address, RootChain, ev):
                name = next(n for n, a in ADDR.items() if a.lower() == e["owner"].lower())
                out[name] = out.get(name, 0) + e["paid"]
        return out

    def snapshot(self, signed: R.SignedTransaction | None, *positions: int) -> tuple:
        """Everything a refused call must leave as it was."""
        ife = ()
        if signed is not None:
            h = tx_hash(signed)
            ife = (self.call("in_flight_exit", h), *(self.call("in_flight_input", h, i) for i in (0, 1)),
                   *(self.call("in_flight_output", h, j) for j in (0, 1)))
        return (self.call("queue_length", R.ZERO_ADDRESS), self.call("next_exit", R.ZERO_ADDRESS),
                self.l1.balance(self.address), ife, tuple(self.call("exit_info", p) for p in positions))

    def refused(self, name: str, method: str, *args, match: str, value: int = 0,
                signed: R.SignedTransaction | None = None, watch: tuple = ()) -> None:
        before = self.snapshot(signed, *watch)
        with pytest.raises(TransactionReverted, match=match) as info:
            self.send(name, method, *args, value=value, gas=GAS)
        assert self.snapshot(signed, *watch) == before
        receipt = info.value.receipt
        assert receipt is not None and int(receipt["status"], 16) == 0 and gas_of(receipt) > 21_000


@pytest.fixture
def lab(l1_kind: str) -> Lab:
    return Lab(l1_kind)


def flags(info: tuple) -> int:
    return info[2]


# -- 1. why MoreVP drops confirmation signatures -----------------------------------------------------------------


@pytest.mark.parametrize("withheld", [True, False], ids=["block withheld", "never included"])
def test_bob_exits_a_payment_he_cannot_see_without_any_confirmation_signature(lab: Lab, withheld: bool) -> None:
    """Alice pays Bob; the operator withholds the block that holds it (or never makes one).

    Under MVP Bob could exit only with Alice's confirmation signature, which
    she gives once she has seen the block: a withheld block leaves Bob with
    nothing. Under MoreVP the signed transaction is enough: Bob starts its
    in-flight exit and piggybacks his output; Alice, who cannot tell either,
    piggybacks her change and her input. The transaction is canonical (Alice
    spent her coin once), so the outputs are paid and the input is not.
    """
    coin = lab.deposit("alice", 5 * ETH)
    lab.poll("alice", "bob")
    pay = lab.w["alice"].pay(ADDR["bob"], 3 * ETH)  # 3 to Bob, 2 back to Alice
    lab.m["bob"].remember(pay)  # Alice hands Bob the signed transaction
    lab.operator.submit(pay)
    if withheld:
        block = lab.operator.make_block()
        assert block is not None
        lab.operator.withhold(block.blknum)
    lab.l1.mine(3)
    lab.poll("bob")
    assert lab.w["bob"].balance() == 0  # Bob's view never got his output: he cannot know whether it was included
    assert lab.operator.confirmations == {}  # nobody confirmed anything, and nobody ever will
    if withheld:
        # The MVP exit of Bob's output needs Alice's confirmation: even handed the block, Bob is refused without it.
        pos = R.encode_utxo_pos(block.blknum, 0, 0)
        lab.refused("bob", "start_exit", pos, pay.encode(), block.tree.proof(0), bytes(R.CONFIRMATIONS_BYTES),
                    value=BOND, match="bad confirmation|bad signature", watch=(pos,))
    start = lab.balances()
    lab.m["bob"].exit_in_flight(pay)
    lab.m["alice"].remember(pay)
    lab.m["alice"].piggyback(pay)  # her input 0 and her change, output 1
    h = tx_hash(pay)
    assert flags(lab.ife(pay)) == 0b1101  # input 0; outputs 0 and 1
    lab.poll("bob", "dave")
    lab.due(pay)
    lab.finalize()
    info = lab.ife(pay)
    assert info[1] == FINALIZED and info[2] >> 6 & 1  # finalized as canonical
    assert lab.paid() == {"bob": 3 * ETH + PB_BOND, "alice": 2 * ETH + PB_BOND}
    got = {n: v - start[n] for n, v in lab.balances().items()}
    # Bob: his 3 ETH, his bonds back; Alice: her change, both her bonds back, her input not paid a second time.
    assert got == {"alice": 2 * ETH, "bob": 3 * ETH, "carol": 0, "mallory": 0, "dave": 0}
    assert lab.l1.balance(lab.address) == 0
    # The input is spent by the canonical transaction: no standard exit of it starts.
    lab.refused("alice", "start_deposit_exit", coin, 5 * ETH, value=BOND,
                match="exit exists: the exit of position 1000000000 was already finalized", watch=(coin,))
    assert lab.call("in_flight_input", h, 0) == (coin, ADDR["alice"].lower(), 5 * ETH)
    assert lab.operator.confirmations == {}  # from broadcast to payout, no confirmation signature
    assert [a for a, _ in lab.m["bob"].actions] == ["start", "piggyback_output"]


def test_an_mvp_exit_of_the_input_of_a_canonical_in_flight_transaction_is_challenged(lab: Lab) -> None:
    """Alice's MVP watcher, alarmed by the withheld block, exits the input she spent; then Bob exits in flight,
    and his client challenges her exit.

    MVP told Alice to exit the input of an unconfirmed spend. With MoreVP on
    the same root chain the signed spend is Bob's: a standard exit of an
    input of a canonical in-flight transaction is cancelled and its bond is
    the challenger's, so Alice's coin is not paid twice.
    """
    coin = lab.deposit("alice", 4 * ETH)
    lab.poll("alice", "bob")
    pay = lab.w["alice"].pay(ADDR["bob"], 4 * ETH)
    lab.m["bob"].remember(pay)
    lab.operator.submit(pay)
    block = lab.operator.make_block()
    assert block is not None
    lab.operator.withhold(block.blknum)
    lab.l1.mine(3)
    lab.w["alice"].poll()
    assert lab.w["alice"].alarm is not None and coin in lab.w["alice"].exits  # her standard exit of the input
    assert lab.call("exit_info", coin)[2] == STARTED
    start = lab.balances()
    lab.m["bob"].exit_in_flight(pay)
    lab.poll("bob")
    assert ("challenge_standard", coin) in lab.m["bob"].actions
    assert lab.call("exit_info", coin)[2] == CHALLENGED
    lab.due(pay)
    lab.finalize()
    got = {n: v - start[n] for n, v in lab.balances().items()}
    assert got["bob"] == 4 * ETH + BOND and got["alice"] == 0  # Bob: the coin, and Alice's bond for his bonds
    assert lab.paid() == {"bob": 4 * ETH + PB_BOND} and lab.l1.balance(lab.address) == 0


def test_a_watcher_piggybacks_an_input_already_in_flight_instead_of_exiting_it(lab: Lab) -> None:
    """Bob starts the in-flight exit before Alice's watcher raises the alarm: the watcher does not exit her input
    alone (that exit would be challenged and its bond lost) but piggybacks it; the transaction is canonical, so the
    piggyback's bond comes back and Alice loses nothing but gas."""
    coin = lab.deposit("alice", 4 * ETH)
    lab.poll("alice", "bob")
    pay = lab.w["alice"].pay(ADDR["bob"], 4 * ETH)
    lab.m["bob"].remember(pay)
    lab.operator.submit(pay)
    block = lab.operator.make_block()
    assert block is not None
    lab.operator.withhold(block.blknum)
    lab.m["bob"].exit_in_flight(pay)
    lab.l1.mine(3)
    start = lab.balances()
    lab.w["alice"].poll()
    record = lab.w["alice"].exits[coin]
    assert lab.w["alice"].alarm is not None and record.refused is None
    assert lab.call("exit_info", coin)[2] == 0 and flags(lab.ife(pay)) & 1  # no standard exit; input 0 piggybacked
    assert coin not in lab.w["alice"].mine()
    lab.poll("bob", "dave")
    assert not any(a[0] == "challenge_standard" for a in lab.m["bob"].actions)
    lab.due(pay)
    lab.finalize()
    got = {n: v - start[n] for n, v in lab.balances().items()}
    assert got["alice"] == 0 and lab.paid() == {"bob": 4 * ETH + PB_BOND} and lab.l1.balance(lab.address) == 0


# -- 2. a transaction never included, whose co-signer spent her input elsewhere ----------------------------------------


def test_the_never_included_joint_payment_pays_alice_her_input_back(lab: Lab) -> None:
    """Alice and Carol pay Bob together; Carol spends her input again, and the operator includes that instead.

    The joint payment never gets into a block. A transaction never included
    is canonical only while no other spend of its inputs is known: Carol's
    is, so Dave's client shows it in the first phase and nobody can respond
    in the second. The piggybacked inputs are paid, the outputs are not:
    Alice gets her coin back (and her bond); Carol's piggyback on the input
    she spent elsewhere is challenged and its bond is Dave's, as is the
    in-flight exit's bond.
    """
    a, c = lab.deposit("alice", 2 * ETH), lab.deposit("carol", 3 * ETH)
    joint = lab.sign([a, c], [("bob", 5 * ETH)], "alice", "carol")
    for n in ("alice", "bob", "carol"):
        lab.m[n].remember(joint)
    elsewhere = lab.sign([c], [("carol", 3 * ETH)], "carol")
    lab.operator.submit(elsewhere)
    competitor = lab.operator.make_block()
    assert competitor is not None
    with pytest.raises(PlasmaRefused, match="unknown input"):
        lab.operator.submit(joint)  # Carol's input is spent: the operator never includes the joint payment
    lab.poll("alice", "bob", "carol", "dave")
    lab.m["bob"].exit_in_flight(joint)
    lab.m["alice"].piggyback(joint)
    lab.m["carol"].piggyback(joint, outputs=False)
    start = lab.balances()
    lab.poll("dave")  # the first phase: Dave shows Carol's included spend, then blocks her piggyback
    info = lab.ife(joint)
    assert info[3] == R.tx_pos(competitor.blknum, 0) and info[0] == ADDR["dave"].lower()
    assert [a for a, _ in lab.m["dave"].actions] == ["challenge", "challenge_input"]
    lab.second_phase(joint)
    lab.poll("alice", "bob", "carol", "dave")  # nobody can show the joint payment included: it never was
    assert lab.ife(joint)[4] == 0
    lab.due(joint)
    lab.finalize()
    assert lab.paid() == {"alice": 2 * ETH + PB_BOND}
    got = {n: v - start[n] for n, v in lab.balances().items()}
    assert got == {"alice": 2 * ETH + PB_BOND, "bob": PB_BOND, "carol": 0, "mallory": 0,
                   "dave": IFE_BOND + PB_BOND}
    assert lab.call("exit_info", a)[:3] == (ADDR["alice"].lower(), 0, FINALIZED)
    lab.refused("alice", "start_deposit_exit", a, 2 * ETH, value=BOND, match="exit exists: .* finalized", watch=(a,))
    # Carol's coin is where she spent it: the output of the included transaction, exited in flight too.
    lab.m["carol"].exit_in_flight(elsewhere)
    lab.due(elsewhere)
    lab.finalize()
    assert lab.paid()["carol"] == 3 * ETH + PB_BOND and lab.l1.balance(lab.address) == 0


# -- 3. a non-canonical in-flight exit, and the response that wins the game -----------------------------------------------


def test_a_sender_who_double_spent_in_an_included_transaction_makes_the_in_flight_exit_non_canonical(lab: Lab) -> None:
    """Mallory pays Bob and spends the same coin in a transaction the operator includes.

    Bob's output is not paid (his piggyback bond comes back); Mallory's
    piggyback on her own input is challenged as spent; the challenger takes
    the in-flight exit's bond and her piggyback bond.
    """
    coin = lab.deposit("mallory", 2 * ETH)
    to_bob = lab.sign([coin], [("bob", 2 * ETH)], "mallory")
    to_self = lab.sign([coin], [("mallory", 2 * ETH)], "mallory")
    lab.m["bob"].remember(to_bob)
    lab.operator.submit(to_self)
    assert lab.operator.make_block() is not None
    lab.poll("bob", "dave")
    lab.m["bob"].exit_in_flight(to_bob)
    lab.m["mallory"].remember(to_bob)
    lab.m["mallory"].piggyback(to_bob)  # her input: she hopes the transaction is non-canonical
    start = lab.balances()
    lab.poll("dave")
    assert lab.ife(to_bob)[3] == R.tx_pos(1000, 0) and flags(lab.ife(to_bob)) == 0b0100
    lab.due(to_bob)
    lab.finalize()
    assert lab.ife(to_bob)[1] == FINALIZED and not lab.ife(to_bob)[2] >> 6 & 1
    assert lab.paid() == {}
    got = {n: v - start[n] for n, v in lab.balances().items()}
    assert got == {"alice": 0, "bob": PB_BOND, "carol": 0, "mallory": 0, "dave": IFE_BOND + PB_BOND}
    assert lab.l1.balance(lab.address) == 2 * ETH  # Mallory's coin, in the output of her included spend


def test_a_response_showing_the_transaction_included_first_wins_the_canonicity_game(lab: Lab) -> None:
    """Mallory pays Bob in a served block, then tries to cancel it with another signed spend of the same coin.

    Bob exits his output in flight (he needs no confirmation from Mallory).
    Mallory shows her competitor in the first phase; in the second, Bob's
    client shows the payment included at an older position: the transaction
    is canonical, Bob is paid and, as the last to speak, takes the bond back.
    """
    coin = lab.deposit("mallory", 2 * ETH)
    to_bob = lab.sign([coin], [("bob", 2 * ETH)], "mallory")
    lab.operator.submit(to_bob)
    block = lab.operator.make_block()
    assert block is not None
    lab.poll("bob")
    assert lab.w["bob"].balance() == 2 * ETH
    lab.m["bob"].exit_in_flight(to_bob)
    cancel = lab.sign([coin], [("mallory", 2 * ETH)], "mallory")
    lab.send("mallory", "challenge_in_flight_exit_not_canonical", to_bob.encode(), 0, cancel.encode(), 0, b"")
    assert lab.ife(to_bob)[3] == R.NOT_INCLUDED and lab.ife(to_bob)[0] == ADDR["mallory"].lower()
    lab.poll("bob")  # the first phase: nothing to respond yet
    assert [a for a, _ in lab.m["bob"].actions] == ["start", "piggyback_output"]
    lab.second_phase(to_bob)
    lab.poll("bob")
    info = lab.ife(to_bob)
    assert info[4] == R.tx_pos(block.blknum, 0) and info[0] == ADDR["bob"].lower()
    lab.due(to_bob)
    lab.finalize()
    assert lab.paid() == {"bob": 2 * ETH + PB_BOND}
    assert lab.l1.balance(lab.address) == 0


# -- 4. piggybacks of spent inputs and outputs ------------------------------------------------------------------------------


def test_a_piggyback_of_a_spent_output_is_challenged_and_its_bond_is_the_challengers(lab: Lab) -> None:
    """Alice pays Mallory; Mallory pays Carol; then Mallory exits the output she spent, in flight."""
    coin = lab.deposit("alice", 3 * ETH)
    lab.poll("alice")
    to_mallory = lab.w["alice"].pay(ADDR["mallory"], 3 * ETH)
    lab.operator.submit(to_mallory)
    first = lab.operator.make_block()
    assert first is not None
    lab.poll("alice", "mallory")
    to_carol = lab.w["mallory"].pay(ADDR["carol"], 3 * ETH)
    lab.operator.submit(to_carol)
    assert lab.operator.make_block() is not None
    lab.poll("alice", "mallory", "carol", "dave")
    lab.m["mallory"].exit_in_flight(to_mallory)
    start = lab.balances()
    lab.poll("dave")
    assert lab.m["dave"].actions == [("challenge_output", tx_hash(to_mallory))]
    assert flags(lab.ife(to_mallory)) == 0
    # Carol, who got the coin, exits it in flight as well: canonical, paid.
    lab.m["carol"].exit_in_flight(to_carol)
    lab.poll("dave")
    lab.due(to_carol)
    lab.finalize()
    got = {n: v - start[n] for n, v in lab.balances().items()}
    assert got["dave"] == PB_BOND and got["mallory"] == IFE_BOND  # her exit's bond back: no canonicity challenge
    assert lab.paid() == {"carol": 3 * ETH + PB_BOND} and lab.l1.balance(lab.address) == 0
    # Mallory's exit, its one piggyback gone, claimed nothing: cleared. The coin it spends is Alice's spent
    # deposit, which her confirmation (posted when she validated the block) keeps from exiting again.
    assert lab.ife(to_mallory)[1] == 0 and lab.call("exit_info", coin)[2] == 0
    lab.send("alice", "start_deposit_exit", coin, 3 * ETH, value=BOND)
    lab.poll("dave")
    assert lab.w["dave"].challenged == [coin]


def test_a_piggyback_of_an_input_spent_elsewhere_is_challenged_and_an_unchallenged_one_is_paid(lab: Lab) -> None:
    """A non-canonical joint spend: Carol's input is spent elsewhere (bond to Dave), Alice's is paid."""
    a, c = lab.deposit("alice", ETH), lab.deposit("carol", ETH)
    joint = lab.sign([a, c], [("bob", 2 * ETH)], "alice", "carol")
    other = lab.sign([c], [("dave", ETH)], "carol")
    for n in ("alice", "carol", "dave"):
        lab.m[n].remember(joint)
    lab.m["dave"].remember(other)  # never included: Dave knows it because Carol paid him with it
    lab.m["alice"].exit_in_flight(joint)
    lab.m["carol"].piggyback(joint)
    start = lab.balances()
    lab.poll("dave")
    assert lab.ife(joint)[3] == R.NOT_INCLUDED
    assert [x for x, _ in lab.m["dave"].actions] == ["challenge", "challenge_input"]
    lab.due(joint)
    lab.finalize()
    got = {n: v - start[n] for n, v in lab.balances().items()}
    assert got == {"alice": ETH + PB_BOND, "bob": 0, "carol": 0, "mallory": 0, "dave": IFE_BOND + PB_BOND}


def test_a_piggybacked_output_that_also_exits_as_a_standard_exit_loses_its_piggyback(lab: Lab) -> None:
    """Bob exits his output both ways: the standard exit stands, the piggyback is challenged with it."""
    lab.deposit("alice", ETH)
    lab.poll("alice", "bob", "dave")
    pay = lab.w["alice"].pay(ADDR["bob"], ETH)
    lab.operator.submit(pay)
    block = lab.operator.make_block()
    assert block is not None
    lab.poll("alice", "bob", "dave")
    lab.poll("bob")  # Alice's confirmation is posted now
    out = R.encode_utxo_pos(block.blknum, 0, 0)
    assert lab.w["bob"].start_exit(out).refused is None
    lab.m["bob"].exit_in_flight(pay)
    lab.poll("dave")
    assert lab.m["dave"].actions == [("challenge_output", tx_hash(pay))]
    lab.due(pay)
    lab.wait_exit(out)
    lab.finalize()
    assert lab.paid() == {"bob": ETH + BOND} and lab.l1.balance(lab.address) == 0


def test_a_standard_exit_of_an_output_an_in_flight_exit_paid_is_challenged(lab: Lab) -> None:
    """The operator serves the withheld block after Bob's in-flight exit paid him; his MVP exit of it is cancelled."""
    lab.deposit("alice", ETH)
    lab.poll("alice", "bob")
    pay = lab.w["alice"].pay(ADDR["bob"], ETH)
    lab.m["bob"].remember(pay)
    lab.operator.submit(pay)
    block = lab.operator.make_block()
    assert block is not None
    lab.operator.withhold(block.blknum)
    lab.m["bob"].exit_in_flight(pay)
    lab.poll("dave")
    lab.due(pay)
    lab.finalize()
    assert lab.paid() == {"bob": ETH + PB_BOND}
    block.withheld = False  # served at last
    lab.poll("alice", "bob", "dave")
    lab.poll("bob")
    out = R.encode_utxo_pos(block.blknum, 0, 0)
    assert lab.w["bob"].start_exit(out).refused is None
    lab.poll("dave")
    assert ("challenge_standard", out) in lab.m["dave"].actions and lab.call("exit_info", out)[2] == CHALLENGED


def test_an_in_flight_transaction_with_an_input_already_exited_pays_its_inputs_only(lab: Lab) -> None:
    """Carol's standard exit of her deposit finalized first: the joint payment to Bob cannot pay its output."""
    a, c = lab.deposit("alice", ETH), lab.deposit("carol", 2 * ETH)
    joint = lab.sign([a, c], [("bob", 3 * ETH)], "alice", "carol")
    lab.send("carol", "start_deposit_exit", c, 2 * ETH, value=BOND)
    lab.wait_exit(c)
    lab.finalize()
    for n in ("alice", "bob"):
        lab.m[n].remember(joint)
    lab.m["bob"].exit_in_flight(joint)
    lab.m["alice"].piggyback(joint)
    lab.due(joint)
    lab.finalize()
    assert lab.paid() == {"carol": 2 * ETH + BOND, "alice": ETH + PB_BOND}
    assert lab.l1.balance(lab.address) == 0


def test_an_in_flight_exit_left_without_piggybacks_is_cleared_and_starts_again(lab: Lab) -> None:
    """Mallory starts the in-flight exit of Alice's payment to Bob while Bob is away; it claims nothing.

    When it finalizes its bond goes back and its record is cleared, so Bob,
    back after its first phase, starts it again, piggybacks, and is paid.
    """
    coin = lab.deposit("alice", ETH)
    pay = lab.sign([coin], [("bob", ETH)], "alice")
    lab.m["mallory"].remember(pay)
    lab.m["mallory"].start(pay)
    lab.second_phase(pay)
    lab.refused("bob", "piggyback_output", pay.encode(), 0, value=PB_BOND, signed=pay, match="out of phase")
    lab.due(pay)
    start = lab.balances()
    lab.finalize()
    assert lab.ife(pay)[1] == 0 and lab.call("exit_info", coin)[2] == 0  # cleared; the input was not touched
    assert lab.balances()["mallory"] - start["mallory"] == IFE_BOND
    lab.m["bob"].remember(pay)
    lab.m["bob"].exit_in_flight(pay)
    lab.due(pay)
    lab.finalize()
    assert lab.paid() == {"bob": ETH + PB_BOND} and lab.l1.balance(lab.address) == 0


# -- 5. refusals: each names its rule and changes nothing ------------------------------------------------------------------------


def test_in_flight_refusals_name_their_rule_and_change_nothing(lab: Lab) -> None:
    coin = lab.deposit("alice", 2 * ETH)
    pay = lab.sign([coin], [("bob", ETH), ("alice", ETH)], "alice")
    lab.operator.submit(pay)
    block = lab.operator.make_block()
    assert block is not None
    lab.operator.withhold(block.blknum)
    deposit_tx = R.SignedTransaction.unsigned_deposit(ADDR["alice"], 2 * ETH).encode()
    args = (pay.encode(), deposit_tx, DEPOSIT_PROOF)
    for value in (0, IFE_BOND - 1, IFE_BOND + 1):
        lab.refused("bob", "start_in_flight_exit", *args, value=value, signed=pay, watch=(coin,),
                    match=f"bad bond: an in-flight exit is bonded with exactly {IFE_BOND} wei, got {value}")
    forged = lab.sign([coin], [("mallory", 2 * ETH)], "mallory")
    for bad, match in [
        ((forged.encode(), deposit_tx, DEPOSIT_PROOF), "bad signature: input 0 .* is not signed by its owner"),
        ((pay.encode(), deposit_tx, b"\x01" * 512), "bad proof: the transaction is not at index 0"),
        ((pay.encode(), deposit_tx[:-1], DEPOSIT_PROOF), "bad input proof: 1 input"),
        ((pay.encode(), R.SignedTransaction.unsigned_deposit(ADDR["alice"], 3 * ETH).encode(), DEPOSIT_PROOF),
         "bad proof"),
        ((R.SignedTransaction.unsigned_deposit(ADDR["bob"], ETH).encode(), b"", b""), "not a spend"),
        ((pay.encode()[:-1], deposit_tx, DEPOSIT_PROOF), "bad encoding"),
    ]:
        lab.refused("bob", "start_in_flight_exit", *bad, value=IFE_BOND, signed=pay, match=match, watch=(coin,))
    # Unknown in-flight exit: nothing to piggyback, challenge or respond to.
    lab.refused("bob", "piggyback_output", pay.encode(), 0, value=PB_BOND, signed=pay,
                match=f"unknown in-flight exit: no in-flight exit of transaction 0x{tx_hash(pay).hex()}")
    lab.refused("dave", "respond_to_non_canonical_challenge", pay.encode(), R.tx_pos(block.blknum, 0),
                block.tree.proof(0), signed=pay, match="unknown in-flight exit")
    lab.send("bob", "start_in_flight_exit", *args, value=IFE_BOND)
    lab.refused("carol", "start_in_flight_exit", *args, value=IFE_BOND, signed=pay, watch=(coin,),
                match="in-flight exit exists: the in-flight exit of transaction 0x[0-9a-f]+ was already started")
    # Piggybacks: bonded exactly, by the owner, once, of a real input or output.
    lab.refused("bob", "piggyback_output", pay.encode(), 0, value=PB_BOND + 1, signed=pay,
                match=f"bad bond: a piggyback is bonded with exactly {PB_BOND} wei, got {PB_BOND + 1}")
    lab.refused("mallory", "piggyback_output", pay.encode(), 0, value=PB_BOND, signed=pay,
                match=f"not the owner: output 0 pays {ADDR['bob']}, not the sender")
    lab.refused("bob", "piggyback_input", pay.encode(), 0, value=PB_BOND, signed=pay,
                match=f"not the owner: input 0 \\(position {coin}\\) is owned by {ADDR['alice']}")
    lab.refused("alice", "piggyback_input", pay.encode(), 1, value=PB_BOND, signed=pay,
                match="bad index: input index 1 is outside 0..0")
    lab.send("bob", "piggyback_output", pay.encode(), 0, value=PB_BOND)
    lab.refused("bob", "piggyback_output", pay.encode(), 0, value=PB_BOND, signed=pay,
                match="piggybacked already: output 0")
    # Canonicity challenges: a real competitor, signed by the input's owner, older than the one shown.
    lab.refused("dave", "challenge_in_flight_exit_not_canonical", pay.encode(), 0, pay.encode(), 0, b"", signed=pay,
                match="not a competitor: the transaction shown is the in-flight transaction itself")
    lab.refused("dave", "challenge_in_flight_exit_not_canonical", pay.encode(), 0, forged.encode(), 0, b"",
                signed=pay, match="bad signature: the competitor's input 0 is not signed by its owner")
    cancel = lab.sign([coin], [("alice", 2 * ETH)], "alice")
    lab.refused("dave", "challenge_in_flight_exit_not_canonical", pay.encode(), 0, cancel.encode(), 0, b"\x00",
                signed=pay, match="bad proof: a competitor shown without its position carries no inclusion proof")
    lab.refused("dave", "respond_to_non_canonical_challenge", pay.encode(), R.tx_pos(block.blknum, 0),
                block.tree.proof(0), signed=pay, match="out of phase: responses to canonicity challenges are in the "
                                                       "second phase; .*\\(first phase\\)")
    lab.send("alice", "challenge_in_flight_exit_not_canonical", pay.encode(), 0, cancel.encode(), 0, b"")
    lab.refused("dave", "challenge_in_flight_exit_not_canonical", pay.encode(), 0, cancel.encode(), 0, b"",
                signed=pay, match="not older: a competitor not included is already shown")
    # A standard exit of the input of a non-canonical in-flight transaction stands.
    lab.send("alice", "start_deposit_exit", coin, 2 * ETH, value=BOND)
    lab.refused("bob", "challenge_standard_exit_in_flight", coin, pay.encode(), 0, b"", signed=pay, watch=(coin,),
                match="not canonical: the in-flight transaction has a competitor")
    # After the first phase: no piggyback, no challenge of canonicity.
    lab.second_phase(pay)
    lab.refused("alice", "piggyback_output", pay.encode(), 1, value=PB_BOND, signed=pay,
                match="out of phase: piggybacks are in the first phase; .*\\(second phase\\)")
    lab.refused("dave", "challenge_in_flight_exit_not_canonical", pay.encode(), 0, cancel.encode(), 0, b"",
                signed=pay, match="out of phase: canonicity challenges are in the first phase")
    lab.refused("dave", "challenge_piggybacked_input_spent", pay.encode(), 0, cancel.encode(), signed=pay,
                match="not piggybacked: input 0")
    lab.refused("dave", "respond_to_non_canonical_challenge", pay.encode(), R.tx_pos(block.blknum, 0) + 1,
                block.tree.proof(0), signed=pay, match="bad position: name a transaction by its output 0")
    lab.send("bob", "respond_to_non_canonical_challenge", pay.encode(), R.tx_pos(block.blknum, 0),
             block.tree.proof(0))
    lab.refused("dave", "respond_to_non_canonical_challenge", pay.encode(), R.tx_pos(block.blknum, 0),
                block.tree.proof(0), signed=pay, match="responded already")
    # Once due, it finalizes (canonical: Bob's output), and a position it spent never exits again.
    lab.due(pay)
    lab.refused("bob", "respond_to_non_canonical_challenge", pay.encode(), R.tx_pos(block.blknum, 0),
                block.tree.proof(0), signed=pay, match="out of phase: .*\\(over\\)")
    lab.send("bob", "challenge_standard_exit_in_flight", coin, pay.encode(), 0, b"")
    lab.finalize()
    lab.refused("alice", "start_deposit_exit", coin, 2 * ETH, value=BOND, watch=(coin,),
                match="exit exists: the exit of position .* was already challenged")
    lab.refused("bob", "piggyback_output", pay.encode(), 0, value=PB_BOND, signed=pay,
                match="in-flight exit finalized")
    out = R.encode_utxo_pos(block.blknum, 0, 0)
    assert lab.call("exit_info", out)[:3] == (ADDR["bob"].lower(), 0, FINALIZED)  # its position was proven
    lab.refused("bob", "start_exit", out, pay.encode(), block.tree.proof(0), R.confirmations(pay, block.root,
                                                                                            [KEYS["alice"]]),
                value=BOND, watch=(out,), match="exit exists: the exit of position .* was already finalized")


def test_a_standard_exit_of_a_position_already_exited_in_flight_is_refused(lab: Lab) -> None:
    """The input an in-flight exit paid back (non-canonical) is recorded finalized: its standard exit never starts."""
    a, c = lab.deposit("alice", ETH), lab.deposit("carol", ETH)
    joint = lab.sign([a, c], [("bob", 2 * ETH)], "alice", "carol")
    cancel = lab.sign([c], [("carol", ETH)], "carol")
    lab.m["alice"].remember(joint)
    lab.m["alice"].exit_in_flight(joint)
    lab.send("dave", "challenge_in_flight_exit_not_canonical", joint.encode(), 1, cancel.encode(), 0, b"")
    lab.due(joint)
    lab.finalize()
    assert lab.paid() == {"alice": ETH + PB_BOND}
    lab.refused("alice", "start_deposit_exit", a, ETH, value=BOND, watch=(a,),
                match=f"exit exists: the exit of position {a} was already finalized")
    # Carol's input was not piggybacked: it is still hers, and exits the standard way.
    lab.send("carol", "start_deposit_exit", c, ETH, value=BOND)
    lab.wait_exit(c)
    lab.finalize()
    assert lab.paid()["carol"] == ETH + BOND and lab.l1.balance(lab.address) == 0


# -- 6. priority ----------------------------------------------------------------------------------------------------------------


def test_an_in_flight_exit_waits_behind_older_outputs_and_ahead_of_younger_ones(lab: Lab) -> None:
    """Its priority is its youngest input's: an older deposit's exit goes first, a younger output's after."""
    old = lab.deposit("carol", ETH)
    lab.l1.increase_time(10)
    a = lab.deposit("alice", ETH)
    lab.l1.increase_time(10)
    young = lab.deposit("dave", ETH)
    pay = lab.sign([a], [("bob", ETH)], "alice")
    lab.m["bob"].remember(pay)
    lab.send("dave", "start_deposit_exit", young, ETH, value=BOND)  # the youngest starts first
    lab.m["bob"].exit_in_flight(pay)
    lab.send("carol", "start_deposit_exit", old, ETH, value=BOND)  # the oldest last
    assert lab.call("next_exit", R.ZERO_ADDRESS)[1] == old
    lab.wait_exit(young)
    lab.due(pay)
    order = []
    for _ in range(3):
        receipt = lab.finalize(max_exits=1)
        order += [e["utxo_pos"] for e in lab.l1.events(lab.address, RootChain, "ExitFinalized")
                  if e["transactionHash"] == receipt["transactionHash"]]
        order += ["in flight" for e in lab.l1.events(lab.address, RootChain, "InFlightExitFinalized")
                  if e["transactionHash"] == receipt["transactionHash"]]
    assert order == [old, "in flight", young]
    assert lab.paid() == {"carol": ETH + BOND, "bob": ETH + PB_BOND, "dave": ETH + BOND}


def test_the_queue_key_orders_by_time_then_youngest_input_then_standard_before_in_flight() -> None:
    t, y = 1_000, R.encode_utxo_pos(2000, 3, 1)
    keys = [R.exit_priority(t, y, 2), R.exit_priority(t, y + 9_999), R.exit_priority(t, y, 1),
            R.exit_priority(t, y), R.exit_priority(t - 1, R.MAX_BLKNUM * R.BLOCK_OFFSET, 5)]
    assert sorted(keys) == [keys[4], keys[3], keys[2], keys[0], keys[1]]
    assert R.decode_priority(keys[0]) == (t, y) and R.decode_queue_key(keys[0]) == (t, y, 2)
    assert R.decode_queue_key(R.exit_priority(t, y)) == (t, y, 0)


# -- 7. gas ---------------------------------------------------------------------------------------------------------------------


def test_gas_of_each_in_flight_call(lab: Lab) -> None:
    used: dict[str, int] = {}
    a, b, c, d = (lab.deposit(n, v) for n, v in (("alice", 2 * ETH), ("bob", ETH), ("carol", ETH), ("dave", ETH)))
    lab.poll("alice", "bob", "carol", "dave")
    # The first exits create the queue's and the in-flight counter's slots: not figures.
    warm = lab.sign([d], [("dave", ETH)], "dave")
    lab.m["dave"].start(warm)
    one = lab.sign([a], [("bob", ETH), ("alice", ETH)], "alice")
    lab.operator.submit(one)
    block = lab.operator.make_block()
    assert block is not None
    lab.poll("alice", "bob", "carol", "dave")
    two = lab.sign([R.encode_utxo_pos(block.blknum, 0, 1), b], [("carol", 2 * ETH)], "alice", "bob")
    four = lab.sign([c, R.encode_utxo_pos(block.blknum, 0, 0)], [("carol", ETH), ("bob", ETH)], "carol", "bob")
    for n in ("alice", "bob", "carol"):
        lab.m[n].remember(two)
        lab.m[n].remember(four)
    used["start_in_flight_exit (1 input)"] = gas_of(lab.m["bob"].start(one))
    used["start_in_flight_exit (2 inputs)"] = gas_of(lab.m["carol"].start(two))
    used["piggyback_output"] = gas_of(lab.m["carol"].piggyback(two, inputs=False)[0])
    used["piggyback_input"] = gas_of(lab.m["alice"].piggyback(two, outputs=False)[0])
    lab.m["bob"].piggyback(two)
    lab.m["bob"].piggyback(one)
    lab.m["alice"].piggyback(one, outputs=False)
    lab.m["carol"].exit_in_flight(four)
    lab.m["bob"].piggyback(four)  # all four of its inputs and outputs
    cancel = lab.sign([b], [("bob", ETH)], "bob")
    used["challenge_in_flight_exit_not_canonical (not included)"] = gas_of(
        lab.send("dave", "challenge_in_flight_exit_not_canonical", two.encode(), 1, cancel.encode(), 0, b""))
    used["challenge_piggybacked_input_spent"] = gas_of(
        lab.send("dave", "challenge_piggybacked_input_spent", two.encode(), 1, cancel.encode()))
    spend = lab.sign([R.encode_utxo_pos(block.blknum, 0, 0)], [("dave", ETH)], "bob")
    used["challenge_piggybacked_output_spent"] = gas_of(
        lab.send("dave", "challenge_piggybacked_output_spent", one.encode(), R.tx_pos(block.blknum, 0),
                 block.tree.proof(0), 0, spend.encode()))
    again = lab.sign([a], [("alice", 2 * ETH)], "alice")
    later = lab.block(again, check=False)  # the operator includes a double spend, later
    used["challenge_in_flight_exit_not_canonical (included)"] = gas_of(lab.send(
        "dave", "challenge_in_flight_exit_not_canonical", one.encode(), 0, again.encode(), R.tx_pos(later.blknum, 0),
        later.tree.proof(0)))
    lab.send("alice", "start_deposit_exit", a, 2 * ETH, value=BOND)
    lab.second_phase(one)
    used["respond_to_non_canonical_challenge"] = gas_of(lab.send(
        "bob", "respond_to_non_canonical_challenge", one.encode(), R.tx_pos(block.blknum, 0), block.tree.proof(0)))
    used["challenge_standard_exit_in_flight"] = gas_of(lab.send(
        "bob", "challenge_standard_exit_in_flight", a, one.encode(), 0, b""))
    for t in (warm, one, two, four):
        lab.due(t)
    kinds = {tx_hash(one): "one input, canonical", tx_hash(two): "two inputs, non-canonical",
             tx_hash(four): "two inputs and two outputs piggybacked"}
    while lab.call("queue_length", R.ZERO_ADDRESS):
        receipt = lab.finalize(max_exits=1)
        for e in lab.l1.events(lab.address, RootChain, "InFlightExitFinalized"):
            if e["transactionHash"] == receipt["transactionHash"] and e["tx_hash"] in kinds:
                used[f"finalize_exits of an in-flight exit ({kinds[e['tx_hash']]})"] = gas_of(receipt)
    # Left: Dave's output he never piggybacked, and Bob's deposit, spent in the cancel nobody exited.
    assert lab.l1.balance(lab.address) == 2 * ETH
    for call, gas in used.items():
        print(f"{call:<78} {gas:>9,}")
    for what, gas in OMG_GAS.items():
        print(f"{'omg plasma-contracts, ' + what:<78} {gas:>9,}  (published: the gas its bond is sized on)")
    assert max(used.values()) < 30_000_000 // 50
    assert used["start_in_flight_exit (2 inputs)"] < 500_000
    for call in ("challenge_in_flight_exit_not_canonical (not included)",
                 "challenge_in_flight_exit_not_canonical (included)", "respond_to_non_canonical_challenge"):
        assert OMG_GAS["in-flight exit challenge"] // 10 < used[call] < 10 * OMG_GAS["in-flight exit challenge"]
    for call in ("challenge_piggybacked_input_spent", "challenge_piggybacked_output_spent"):
        assert OMG_GAS["piggyback challenge"] // 10 < used[call] < 10 * OMG_GAS["piggyback challenge"]
    # A full finalize_exits call of the dearest in-flight exits fits one L1 block.
    worst = used["finalize_exits of an in-flight exit (two inputs and two outputs piggybacked)"]
    assert MAX_FINALIZE_PER_CALL * worst < 30_000_000


# -- the rules -------------------------------------------------------------------------------------------------------------------


def test_canonicity_and_settlement_rules() -> None:
    assert R.is_canonical(0, 0) and R.is_canonical(0, 5)
    assert not R.is_canonical(R.NOT_INCLUDED, 0) and R.is_canonical(R.NOT_INCLUDED, 1000 * R.BLOCK_OFFSET)
    assert R.is_canonical(3000 * R.BLOCK_OFFSET, 2000 * R.BLOCK_OFFSET)
    assert not R.is_canonical(2000 * R.BLOCK_OFFSET, 3000 * R.BLOCK_OFFSET)
    F, X, E = R.FREE, R.EXITING, R.EXITED
    s = R.settle_in_flight(True, [True, False], [True, True], [F, F], [F, X])
    assert (s.canonical, s.paid_outputs, s.refunded_outputs, s.refunded_inputs) == (True, (0,), (1,), (0,))
    s = R.settle_in_flight(True, [True, True], [True, False], [E, F], [F, F])  # an input exited: inputs only
    assert (s.canonical, s.paid_inputs, s.refunded_inputs, s.refunded_outputs) == (False, (1,), (0,), (0,))
    s = R.settle_in_flight(False, [True, True], [False, False], [X, F], [F, F])
    assert (s.paid_inputs, s.refunded_inputs) == ((1,), (0,))
    with pytest.raises(R.PlasmaRuleError, match="not older"):
        R.check_older_competitor(R.NOT_INCLUDED, R.NOT_INCLUDED)
    R.check_older_competitor(1000 * R.BLOCK_OFFSET, R.NOT_INCLUDED)
    with pytest.raises(R.PlasmaRuleError, match="not a spend"):
        R.youngest_input(R.Transaction.deposit(ADDR["alice"], 1))
    assert R.youngest_input(R.Transaction.spend([7 * R.BLOCK_OFFSET, 3 * R.BLOCK_OFFSET], [(ADDR["bob"], 1)])) \
        == 7 * R.BLOCK_OFFSET


def test_the_two_phases_need_their_seconds_and_their_blocks() -> None:
    assert R.first_phase_end(100, 5) == 103 and R.first_phase_end(100, 60) == 130
    first, due = (130, 13), (160, 20)
    assert R.in_flight_phase((129, 50), first, due) == R.FIRST_PHASE  # blocks past, seconds not
    assert R.in_flight_phase((500, 12), first, due) == R.FIRST_PHASE  # seconds past, blocks not
    assert R.in_flight_phase((130, 13), first, due) == R.SECOND_PHASE
    assert R.in_flight_phase((170, 19), first, due) == R.SECOND_PHASE
    assert R.in_flight_phase((160, 20), first, due) == R.PHASES_OVER
    assert in_flight_bonds(MINIMAL.exit_bond) == (IFE_BOND, PB_BOND) and 0 < PB_BOND < IFE_BOND
    with pytest.raises(R.PlasmaRuleError, match="amount too large"):
        R.check_in_flight_amounts(R.Transaction.spend([R.BLOCK_OFFSET], [(ADDR["bob"], 2**96)]), [2**97])


def test_the_operator_spends_nothing_an_in_flight_exit_claims(lab: Lab) -> None:
    """Once an in-flight exit starts, its inputs are exiting on the child chain: a competing spend would only make
    its transaction non-canonical. An output piggybacked on it is exiting too: the operator admits no spend of it."""
    coin = lab.deposit("alice", 5 * ETH)
    other = lab.deposit("carol", ETH)
    lab.poll("alice", "bob", "carol")
    pay = lab.w["alice"].pay(ADDR["bob"], 3 * ETH)
    lab.operator.submit(pay)
    block = lab.operator.make_block()
    assert block is not None
    lab.poll("alice", "bob")  # Alice confirms: Bob's output is spendable under MVP's rule
    lab.m["bob"].exit_in_flight(pay)  # Bob takes the in-flight road all the same, and piggybacks his output
    assert lab.call("next_exit_block", R.ZERO_ADDRESS) == lab.ife(pay)[8] > 0  # the head is the in-flight exit
    lab.operator.sync()
    bobs = R.encode_utxo_pos(block.blknum, 0, 0)
    assert {coin, bobs} <= lab.operator.view.exited and bobs not in lab.operator.view.utxos
    competitor = lab.sign([coin], [("carol", 5 * ETH)], "alice")
    onward = lab.sign([bobs], [("carol", 3 * ETH)], "bob")
    for tx in (competitor, onward):
        with pytest.raises(PlasmaRefused, match="exited input"):
            lab.operator.submit(tx)
    assert lab.operator.submit(lab.sign([other], [("bob", ETH)], "carol"))  # the rest of the chain goes on
