"""The Plasma MVP root chain on both L1s: deposits, blocks, the exit game, every refusal, and gas.

Each test runs on the toy L1 (the Python contract) and on anvil (its Solidity
twin, contracts_spec/evm/RootChain.sol), through the ``l1_kind`` fixture.
Each test gets a fresh chain and a small child chain kept by the test itself
(the operator's part: blocks checked with ``rules.check_block``, trees kept for
proofs). Refused calls are sent with a fixed gas limit, so they are mined, pay
their gas, revert naming the rule, and are checked to change nothing.
"""

from __future__ import annotations

import pytest

from contracts_spec.l1 import L1Client, TransactionReverted
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import CHALLENGED, FINALIZED, STARTED, RootChain
from contracts_spec.plasma.params import MINIMAL
from contracts_spec.runtime import ZERO_ADDRESS
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("alice", "bob", "carol", "mallory", "operator")
KEYS = {name: bytes([i + 71]) * 32 for i, name in enumerate(NAMES)}
BOND = MINIMAL.exit_bond
GAS = 2_000_000


def gas_of(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


def fee_of(receipt: dict) -> int:
    return gas_of(receipt) * int(receipt["effectiveGasPrice"], 16)


class Plasma:
    """Users, the operator and the root chain on one L1, spoken to in the protocol's verbs."""

    def __init__(self, l1: L1Client) -> None:
        self.l1 = l1
        self.address = l1.deploy(KEYS["operator"], RootChain, *MINIMAL.constructor_args(self.addr("operator")))
        self.domain = R.Domain(l1.chain_id, self.address)
        self.utxos: dict[int, R.Output] = {}
        self.blocks: dict[int, tuple[list[R.SignedTransaction], R.BlockTree]] = {}

    # -- plumbing ---------------------------------------------------------------------------

    def addr(self, name: str) -> str:
        """A user's address as the contract speaks it (lower case)."""
        return private_key_to_address(KEYS[name]).lower()

    def tx(self, name: str, method: str, *args, value: int = 0, gas: int | None = None) -> dict:
        return self.l1.transact(KEYS[name], self.address, RootChain, method, *args, value=value, gas=gas)

    def call(self, method: str, *args):
        return self.l1.call(self.address, RootChain, method, *args)

    def events(self, name: str) -> list[dict]:
        return self.l1.events(self.address, RootChain, name)

    def snapshot(self, *positions: int) -> tuple:
        """Everything a refused call must leave as it was."""
        return (
            self.call("current_child_block"), self.call("next_deposit_block"), self.call("queue_length", ZERO_ADDRESS),
            self.call("next_exit", ZERO_ADDRESS), self.l1.balance(self.address),
            tuple(self.call("exit_info", p) for p in positions),
        )

    def refused(self, name: str, method: str, *args, match: str, value: int = 0, watch: tuple = ()) -> dict:
        before = self.snapshot(*watch)
        with pytest.raises(TransactionReverted, match=match) as info:
            self.tx(name, method, *args, value=value, gas=GAS)
        assert self.snapshot(*watch) == before
        receipt = info.value.receipt
        assert receipt is not None and int(receipt["status"], 16) == 0 and gas_of(receipt) > 21_000
        return receipt

    # -- the protocol ---------------------------------------------------------------------------

    def deposit(self, name: str, amount: int) -> int:
        """Deposit on L1; returns the position of the deposit's output."""
        blknum = self.call("next_deposit_block")
        self.tx(name, "deposit", value=amount)
        utxo_pos = R.encode_utxo_pos(blknum, 0, 0)
        self.utxos[utxo_pos] = R.Output(self.addr(name), amount)
        return utxo_pos

    def spend(self, inputs: list[int], outputs: list[tuple[str, int]]) -> R.SignedTransaction:
        """A transaction signed by its inputs' owners, paying ``(name, amount)`` outputs."""
        keys = [KEYS[self.owner_name(p)] for p in inputs]
        tx = R.Transaction.spend(inputs, [(self.addr(n), a) for n, a in outputs])
        return R.sign_transaction(tx, keys, self.domain)

    def owner_name(self, utxo_pos: int) -> str:
        owner = self.utxos[utxo_pos].owner
        return next(n for n in NAMES if self.addr(n) == owner.lower())

    def submit(self, txs: list[R.SignedTransaction], check: bool = True) -> int:
        """The operator's block: checked as the rules say (unless an attack skips it), submitted."""
        blknum = self.call("current_child_block")
        if check:
            effect = R.check_block(blknum, txs, self.utxos, R.recover_signers(txs, self.domain))
            for p in effect.spent:
                del self.utxos[p]
            self.utxos.update(effect.created)
        tree = R.BlockTree([t.leaf() for t in txs])
        self.tx("operator", "submit_block", tree.root)
        self.blocks[blknum] = (txs, tree)
        return blknum

    def confirmations(self, blknum: int, txindex: int, *names: str) -> bytes:
        txs, tree = self.blocks[blknum]
        return R.confirmations(txs[txindex], tree.root, [KEYS[n] for n in names])

    def exit_args(self, utxo_pos: int, *confirmers: str) -> tuple:
        blknum, txindex, _ = R.decode_utxo_pos(utxo_pos)
        txs, tree = self.blocks[blknum]
        return (utxo_pos, txs[txindex].encode(), tree.proof(txindex), self.confirmations(blknum, txindex, *confirmers))

    def start_exit(self, name: str, utxo_pos: int, *confirmers: str) -> dict:
        return self.tx(name, "start_exit", *self.exit_args(utxo_pos, *confirmers), value=BOND)

    def start_deposit_exit(self, name: str, utxo_pos: int) -> dict:
        return self.tx(name, "start_deposit_exit", utxo_pos, self.utxos[utxo_pos].amount, value=BOND)

    def challenge_args(self, utxo_pos: int, spend_blknum: int, spend_txindex: int, confirmer: str) -> tuple:
        txs, tree = self.blocks[spend_blknum]
        signed = txs[spend_txindex]
        return (utxo_pos, R.tx_pos(spend_blknum, spend_txindex), signed.encode(), tree.proof(spend_txindex),
                R.confirm(signed, tree.root, KEYS[confirmer]))

    def wait_exit_period(self, utxo_pos: int) -> None:
        """Let an exit's period pass: its seconds and its blocks."""
        _, _, _, exit_time, exit_block = self.call("exit_info", utxo_pos)
        self.l1.increase_time(max(0, exit_time - self.l1.timestamp()) + 1)
        self.l1.mine(max(0, exit_block - self.l1.block_number()))

    def finalize(self, max_exits: int = 10, by: str = "carol") -> tuple[int, dict]:
        """Finalize (sent by a third party); how many exits left the queue, and the receipt."""
        before = self.call("queue_length", ZERO_ADDRESS)
        receipt = self.tx(by, "finalize_exits", ZERO_ADDRESS, max_exits)
        return before - self.call("queue_length", ZERO_ADDRESS), receipt


def new_net(l1_kind: str = "toy") -> Plasma:
    return Plasma(new_l1(l1_kind, {private_key_to_address(k): 1000 * ETH for k in KEYS.values()}))


@pytest.fixture
def net(l1_kind: str) -> Plasma:
    return new_net(l1_kind)


def paid(net: Plasma) -> list[tuple[int, str, int]]:
    return [(e["utxo_pos"], e["owner"], e["paid"]) for e in net.events("ExitFinalized")]


# -- deposits and blocks -----------------------------------------------------------------------------


def test_deposits_make_one_transaction_blocks_between_operator_blocks(net: Plasma) -> None:
    assert (net.call("current_child_block"), net.call("next_deposit_block")) == (1000, 1)
    assert net.deposit("alice", 3 * ETH) == R.encode_utxo_pos(1, 0, 0)
    assert net.deposit("bob", 2 * ETH) == R.encode_utxo_pos(2, 0, 0)
    root, created_at, l1_block = net.call("child_block", 1)
    assert root == R.deposit_root(net.addr("alice"), 3 * ETH) and created_at > 0 and l1_block > 0
    spend = net.spend([R.encode_utxo_pos(1, 0, 0)], [("bob", 3 * ETH)])
    assert net.submit([spend]) == 1000
    assert net.call("child_block", 1000)[0] == net.blocks[1000][1].root
    assert (net.call("current_child_block"), net.call("next_deposit_block")) == (2000, 1001)
    assert net.deposit("carol", ETH) == R.encode_utxo_pos(1001, 0, 0)
    assert [(e["depositor"], e["blknum"], e["amount"]) for e in net.events("DepositCreated")] == [
        (net.addr("alice"), 1, 3 * ETH), (net.addr("bob"), 2, 2 * ETH), (net.addr("carol"), 1001, ETH)]
    assert [(e["blknum"], e["root"]) for e in net.events("BlockSubmitted")] == [(1000, net.blocks[1000][1].root)]
    assert net.l1.balance(net.address) == 6 * ETH
    net.refused("alice", "deposit", match="zero deposit")


def test_only_the_operator_submits_blocks(net: Plasma) -> None:
    net.refused("mallory", "submit_block", b"\x11" * 32, match=f"not the operator: only {private_key_to_address(KEYS['operator'])}")
    net.refused("operator", "submit_block", bytes(32), match="empty root")
    assert net.call("child_block", 1000) == (bytes(32), 0, 0)
    assert net.call("operator") == net.addr("operator")
    assert net.call("params") == (MINIMAL.exit_period_blocks, MINIMAL.exit_period_seconds, BOND, MINIMAL.max_finalize)


def test_the_1000th_deposit_of_an_interval_is_refused_until_the_next_operator_block(net: Plasma) -> None:
    for _ in range(999):
        net.tx("alice", "deposit", value=1, gas=150_000)
    assert net.call("next_deposit_block") == 1000
    net.refused("bob", "deposit", value=ETH, match="deposit limit: 999 deposit blocks already precede operator "
                                                     "block 1000")
    net.tx("operator", "submit_block", b"\x22" * 32)
    assert net.deposit("bob", ETH) == R.encode_utxo_pos(1001, 0, 0)


# -- the honest flow ------------------------------------------------------------------------------------


def test_deposit_transfer_exit_and_finalize_pay_every_honest_user_in_full(net: Plasma) -> None:
    start = {n: net.l1.balance(net.addr(n)) for n in ("alice", "bob", "carol")}
    spent_gas = dict.fromkeys(start, 0)
    alice_coin = net.deposit("alice", 10 * ETH)
    carol_coin = net.deposit("carol", 2 * ETH)
    spent_gas["alice"] += fee_of(net.l1.receipt(net.events("DepositCreated")[0]["transactionHash"]))
    spent_gas["carol"] += fee_of(net.l1.receipt(net.events("DepositCreated")[1]["transactionHash"]))
    # Alice pays Bob 6 and herself 3; the operator keeps 1 as fee (an output of its own, later).
    blknum = net.submit([net.spend([alice_coin], [("bob", 6 * ETH), ("alice", 3 * ETH)])])
    bob_out, alice_change = R.encode_utxo_pos(blknum, 0, 0), R.encode_utxo_pos(blknum, 0, 1)
    for who, coin in (("bob", bob_out), ("alice", alice_change)):
        spent_gas[who] += fee_of(net.start_exit(who, coin, "alice"))
    spent_gas["carol"] += fee_of(net.start_deposit_exit("carol", carol_coin))
    assert net.call("exit_info", bob_out)[:3] == (net.addr("bob"), 6 * ETH, STARTED)
    assert net.call("queue_length", ZERO_ADDRESS) == 3
    assert net.l1.balance(net.address) == 12 * ETH + 3 * BOND
    net.wait_exit_period(bob_out)
    finalized, _ = net.finalize(by="operator")
    assert finalized == 3 and net.call("queue_length", ZERO_ADDRESS) == 0
    assert sorted(paid(net)) == sorted([(bob_out, net.addr("bob"), 6 * ETH + BOND),
                                        (alice_change, net.addr("alice"), 3 * ETH + BOND),
                                        (carol_coin, net.addr("carol"), 2 * ETH + BOND)])
    got = {n: net.l1.balance(net.addr(n)) - start[n] + spent_gas[n] for n in start}
    assert got == {"alice": -7 * ETH, "bob": 6 * ETH, "carol": 0}  # alice paid bob 6 and the operator 1
    assert net.l1.balance(net.address) == 1 * ETH  # what the contract still owes: the fee, unexited
    assert net.call("exit_info", bob_out)[2] == FINALIZED
    net.refused("bob", "start_exit", *net.exit_args(bob_out, "alice"), value=BOND,
                match="exit exists: .* already finalized", watch=(bob_out,))


def test_an_exit_of_a_two_input_spend_needs_both_confirmations(net: Plasma) -> None:
    a, b = net.deposit("alice", 2 * ETH), net.deposit("bob", 3 * ETH)
    blknum = net.submit([net.spend([a, b], [("carol", 5 * ETH)])])
    out = R.encode_utxo_pos(blknum, 0, 0)
    net.refused("carol", "start_exit", *net.exit_args(out, "alice", "alice"), value=BOND,
                match="bad confirmation: input 1 is not confirmed by its signer", watch=(out,))
    net.start_exit("carol", out, "alice", "bob")
    net.wait_exit_period(out)
    assert net.finalize()[0] == 1 and paid(net) == [(out, net.addr("carol"), 5 * ETH + BOND)]


# -- refused exits ------------------------------------------------------------------------------------------


def test_an_exit_of_someone_elses_output_is_refused(net: Plasma) -> None:
    coin = net.deposit("alice", ETH)
    blknum = net.submit([net.spend([coin], [("bob", ETH)])])
    out = R.encode_utxo_pos(blknum, 0, 0)
    net.refused("mallory", "start_exit", *net.exit_args(out, "alice"), value=BOND,
                match=f"not the owner: position {out} pays {private_key_to_address(KEYS['bob'])}", watch=(out,))
    other = net.deposit("carol", 2 * ETH)
    net.refused("mallory", "start_deposit_exit", other, 2 * ETH, value=BOND,
                match=f"not the deposit: deposit block 1001 does not pay {2 * ETH} wei", watch=(other,))
    net.refused("carol", "start_deposit_exit", other, 3 * ETH, value=BOND, match="not the deposit", watch=(other,))
    net.refused("carol", "start_deposit_exit", other, 0, value=BOND, match="not the deposit", watch=(other,))


def test_an_exit_with_a_wrong_or_missing_confirmation_is_refused(net: Plasma) -> None:
    coin = net.deposit("alice", ETH)
    blknum = net.submit([net.spend([coin], [("bob", ETH)])])
    out = R.encode_utxo_pos(blknum, 0, 0)
    utxo_pos, signed, proof, _ = net.exit_args(out, "alice")
    tx = R.SignedTransaction.decode(signed)
    root = net.blocks[blknum][1].root
    for confirmations, match in [
        (bytes(130), "bad signature|bad confirmation: input 0 is not confirmed"),  # missing
        (R.confirmations(tx, root, [KEYS["mallory"]]), "bad confirmation: input 0 is not confirmed by its signer"),
        (R.confirmations(tx, b"\x01" * 32, [KEYS["alice"]]), "bad confirmation: input 0"),  # another root
        (R.confirmations(tx, root, [KEYS["alice"]])[:129], "bad confirmation: confirmations are 130 bytes, got 129"),
        (R.confirmations(tx, root, [KEYS["alice"]])[:65] + b"\x01" * 65, "input 1 is unused"),
    ]:
        net.refused("bob", "start_exit", utxo_pos, signed, proof, confirmations, value=BOND, match=match,
                    watch=(out,))


def test_malformed_exits_are_refused_naming_the_problem(net: Plasma) -> None:
    coin = net.deposit("alice", ETH)
    first = net.spend([coin], [("bob", ETH // 2), ("alice", ETH // 2)])
    blknum = net.submit([first, net.spend([net.deposit("carol", ETH)], [("carol", ETH)])])
    out = R.encode_utxo_pos(blknum, 0, 0)
    utxo_pos, signed, proof, confirmations = net.exit_args(out, "alice")
    cases = [
        ((utxo_pos, signed[:-1], proof, confirmations), "bad encoding: a signed transaction is 218 bytes, got 217"),
        ((utxo_pos, signed, proof[:-32], confirmations), r"bad proof: a proof is 16 siblings \(512 bytes\)"),
        ((utxo_pos, signed, net.blocks[blknum][1].proof(1), confirmations), "bad proof: the transaction is not at"),
        ((utxo_pos + 10_000, signed, proof, confirmations), "bad proof: the transaction is not at index 1"),
        ((utxo_pos + 2, signed, proof, confirmations), "bad position: position .* names output 2"),
        ((R.encode_utxo_pos(3000, 0, 0), signed, proof, confirmations), "unknown block: child block 3000"),
        ((coin, signed, proof, confirmations), "deposit block: block 1 holds a deposit"),
    ]
    for args, match in cases:
        net.refused("bob", "start_exit", *args, value=BOND, match=match, watch=(out,))
    for value in (0, BOND - 1, BOND + 1):
        net.refused("bob", "start_exit", *net.exit_args(out, "alice"), value=value,
                    match=f"bad bond: an exit is bonded with exactly {BOND} wei, got {value}", watch=(out,))
    net.refused("bob", "start_deposit_exit", out, ETH, value=BOND, match="not a deposit block")
    net.refused("alice", "start_deposit_exit", coin + 1, ETH, value=BOND, match="not a deposit output")
    # An operator block's transaction without inputs mints coins: L1 refuses to exit it.
    mint = R.SignedTransaction.unsigned_deposit(net.addr("mallory"), 100 * ETH)
    minted = net.submit([mint], check=False)
    net.refused("mallory", "start_exit", *net.exit_args(R.encode_utxo_pos(minted, 0, 0)), value=BOND,
                match="not a spend: deposits come from L1")
    net.start_exit("bob", out, "alice")
    net.refused("bob", "start_exit", *net.exit_args(out, "alice"), value=BOND,
                match="exit exists: the exit of position .* was already started", watch=(out,))


# -- challenges ------------------------------------------------------------------------------------------------


def test_an_exit_of_a_spent_output_is_challenged_for_its_bond_and_cannot_restart(net: Plasma) -> None:
    coin = net.deposit("alice", 4 * ETH)
    blknum = net.submit([net.spend([coin], [("bob", 4 * ETH)])])
    bob_out = R.encode_utxo_pos(blknum, 0, 0)
    # Alice, having paid Bob, tries to exit the deposit she spent.
    net.tx("alice", "start_deposit_exit", coin, 4 * ETH, value=BOND)
    args = net.challenge_args(coin, blknum, 0, "alice")
    watch = (coin,)
    net.refused("bob", "challenge_exit", *args[:4], R.confirm(net.blocks[blknum][0][0], net.blocks[blknum][1].root,
                                                             KEYS["mallory"]),
                match=f"bad confirmation: not {private_key_to_address(KEYS['alice'])}'s confirmation", watch=watch)
    net.refused("bob", "challenge_exit", *args[:4], args[4][:64], match="bad confirmation: .* 65 bytes", watch=watch)
    net.refused("bob", "challenge_exit", args[0], args[1], args[2], args[3][:-1], args[4],
                match="bad proof: a proof is 16 siblings", watch=watch)
    net.refused("bob", "challenge_exit", args[0], args[1] + 10_000, *args[2:], match="bad proof: the transaction is not",
                watch=watch)
    net.refused("bob", "challenge_exit", args[0], args[1] + 1, *args[2:], match="bad position: name the spending",
                watch=watch)
    other = net.deposit("carol", ETH)
    net.refused("bob", "challenge_exit", other, *args[1:], match="no exit to challenge: .* not started")
    unrelated = net.submit([net.spend([other], [("carol", ETH)])])
    net.refused("bob", "challenge_exit", coin, R.tx_pos(unrelated, 0), *net.challenge_args(other, unrelated, 0,
                                                                                            "carol")[2:],
                match=f"not a spend: the transaction does not spend position {coin}", watch=watch)
    before = net.l1.balance(net.addr("bob"))
    receipt = net.tx("bob", "challenge_exit", *args)
    assert net.l1.balance(net.addr("bob")) == before + BOND - fee_of(receipt)
    assert net.call("exit_info", coin)[2] == CHALLENGED
    assert [(e["utxo_pos"], e["challenger"]) for e in net.events("ExitChallenged")] == [(coin, net.addr("bob"))]
    net.refused("alice", "start_deposit_exit", coin, 4 * ETH, value=BOND,
                match="exit exists: the exit of position .* was already challenged and cannot start again",
                watch=watch)
    net.refused("bob", "challenge_exit", *args, match="no exit to challenge: .* is challenged", watch=watch)
    # The challenged exit leaves the queue unpaid; Bob's own exit is paid in full.
    net.start_exit("bob", bob_out, "alice")
    net.wait_exit_period(bob_out)
    assert net.finalize()[0] == 2
    assert paid(net) == [(bob_out, net.addr("bob"), 4 * ETH + BOND)]
    assert net.l1.balance(net.address) == ETH  # carol's deposit, spent to herself and not exited


# -- finalizing ------------------------------------------------------------------------------------------------------


def test_finalize_before_the_exit_period_does_nothing_and_bad_calls_are_refused(net: Plasma) -> None:
    coin = net.deposit("alice", ETH)
    net.start_deposit_exit("alice", coin)
    before = net.snapshot(coin)
    assert net.finalize()[0] == 0 and net.snapshot(coin) == before and paid(net) == []
    net.refused("carol", "finalize_exits", ZERO_ADDRESS, 0, match="bad max_exits: 0 outside 1..128")
    net.refused("carol", "finalize_exits", ZERO_ADDRESS, 129, match="bad max_exits: 129 outside 1..128")
    net.refused("carol", "finalize_exits", net.addr("bob"), 1, match="unknown token")


def test_mining_fast_blocks_does_not_shorten_the_exit_period(net: Plasma) -> None:
    coin = net.deposit("alice", ETH)
    net.start_deposit_exit("alice", coin)
    _, _, _, exit_time, exit_block = net.call("exit_info", coin)
    net.l1.mine(3 * (exit_block - net.l1.block_number()))  # blocks far past the period, seconds not
    assert net.l1.block_number() > exit_block and net.l1.timestamp() < exit_time
    assert net.finalize()[0] == 0 and net.call("exit_info", coin)[2] == STARTED
    net.l1.increase_time(exit_time - net.l1.timestamp())
    assert net.finalize()[0] == 1 and paid(net) == [(coin, net.addr("alice"), ETH + BOND)]


def test_time_travel_without_blocks_does_not_end_the_exit_period_either(net: Plasma) -> None:
    coin = net.deposit("alice", ETH)
    net.start_deposit_exit("alice", coin)
    _, _, _, exit_time, exit_block = net.call("exit_info", coin)
    net.l1.increase_time(30 * 24 * 3600)  # a month of seconds, one block
    assert net.l1.block_number() < exit_block
    assert net.finalize()[0] == 0
    net.l1.mine(exit_block - net.l1.block_number())
    assert net.finalize()[0] == 1


def test_older_outputs_are_paid_first_even_when_their_exit_starts_later(net: Plasma) -> None:
    old_coin = net.deposit("carol", ETH)
    old_block = net.submit([net.spend([old_coin], [("carol", ETH)])])
    net.l1.increase_time(10)
    young_coin = net.deposit("bob", ETH)
    young_block = net.submit([net.spend([young_coin], [("bob", ETH)])])
    old, young = R.encode_utxo_pos(old_block, 0, 0), R.encode_utxo_pos(young_block, 0, 0)
    net.start_exit("bob", young, "bob")  # the younger output starts exiting first
    net.start_exit("carol", old, "carol")
    assert net.call("next_exit", ZERO_ADDRESS)[1] == old
    net.wait_exit_period(young)
    assert net.finalize(max_exits=1)[0] == 1
    assert paid(net) == [(old, net.addr("carol"), ETH + BOND)]
    assert net.finalize(max_exits=1)[0] == 1
    assert [p for p, _, _ in paid(net)] == [old, young]


def test_finalize_work_is_bounded_by_its_argument(net: Plasma) -> None:
    coins = [net.deposit(n, ETH) for n in ("alice", "bob", "carol", "alice", "bob")]
    for coin in coins:
        net.start_deposit_exit(net.owner_name(coin), coin)
    net.wait_exit_period(coins[-1])
    assert net.finalize(max_exits=2)[0] == 2 and net.call("queue_length", ZERO_ADDRESS) == 3
    assert net.finalize(max_exits=10)[0] == 3
    assert [p for p, _, _ in paid(net)] == coins  # deposit blocks in order, the oldest first
    assert net.l1.balance(net.address) == 0


# -- gas ----------------------------------------------------------------------------------------------------------------


def test_gas_of_each_call(net: Plasma) -> None:
    used: dict[str, int] = {}
    used["deposit"] = gas_of(net.tx("alice", "deposit", value=ETH))
    coin = R.encode_utxo_pos(1, 0, 0)
    net.utxos[coin] = R.Output(net.addr("alice"), ETH)
    b = net.deposit("bob", ETH)
    blknum = net.call("current_child_block")
    txs = [net.spend([coin], [("bob", ETH)]), net.spend([b], [("carol", ETH)])]
    net.submit(txs)
    used["submit_block"] = gas_of(net.l1.receipt(net.events("BlockSubmitted")[-1]["transactionHash"]))
    used["start_deposit_exit"] = gas_of(net.tx("alice", "start_deposit_exit", coin, ETH, value=BOND))
    used["start_exit (1 input)"] = gas_of(net.start_exit("bob", R.encode_utxo_pos(blknum, 0, 0), "alice"))
    used["challenge_exit"] = gas_of(net.tx("carol", "challenge_exit", *net.challenge_args(coin, blknum, 0, "alice")))
    two = net.submit([net.spend([net.deposit("alice", ETH), net.deposit("bob", ETH)], [("carol", 2 * ETH)])])
    used["start_exit (2 inputs)"] = gas_of(net.start_exit("carol", R.encode_utxo_pos(two, 0, 0), "alice", "bob"))
    n = 20
    coins = [net.deposit("mallory", ETH) for _ in range(n)]
    for c in coins:
        net.tx("mallory", "start_deposit_exit", c, ETH, value=BOND)
    net.wait_exit_period(coins[-1])
    done, receipt = net.finalize(max_exits=n + 3)
    assert done == n + 3
    used[f"finalize per exit ({n + 3}, one challenged)"] = gas_of(receipt) // done
    for call, gas in used.items():
        print(f"{call:<36} {gas:>9,}")
    assert used["deposit"] < 90_000 and used["submit_block"] < 90_000
    assert used["start_exit (2 inputs)"] < 250_000 and used["challenge_exit"] < 120_000
    assert max(used.values()) < 30_000_000 // 100


def test_an_output_cannot_exit_once_an_input_of_its_transaction_was_paid_out(net: Plasma) -> None:
    """plasma-mvp issue 90, with patience: Mallory self-spends, keeps the confirmation, exits the old deposit and
    waits until it is paid; the exit of the new output would pay the same value again, so L1 refuses it."""
    coin = net.deposit("mallory", 2 * ETH)
    net.deposit("bob", 2 * ETH)
    net.submit([net.spend([coin], [("mallory", 2 * ETH)])])
    net.tx("mallory", "start_deposit_exit", coin, 2 * ETH, value=BOND)  # nobody holds her confirmation to challenge
    assert net.call("next_exit_block", ZERO_ADDRESS) == net.call("exit_info", coin)[4] > 0
    net.wait_exit_period(coin)
    net.finalize()
    assert net.call("exit_info", coin)[2] == FINALIZED
    newer = R.encode_utxo_pos(1000, 0, 0)
    net.refused("mallory", "start_exit", *net.exit_args(newer, "mallory"), value=BOND, watch=(newer,),
                   match=f"input exited: input 0 \\(position {coin}\\) of this transaction was paid out")
    assert net.l1.balance(net.address) == 2 * ETH  # Bob's deposit is whole


def test_a_confirmation_from_another_root_chain_challenges_nothing(net: Plasma) -> None:
    """A second root chain's operator copies this chain's block root as its block 1000, and Mallory replays Alice's
    confirmation of a spend signed for this chain against Alice's unspent deposit there: refused."""
    other = Plasma(net.l1)  # a second deployment, its operator in league with Mallory
    coin = net.deposit("alice", ETH)
    assert other.deposit("alice", ETH) == coin  # the same position on both chains
    net.submit([net.spend([coin], [("bob", ETH)])])
    txs, tree = net.blocks[1000]
    other.tx("operator", "submit_block", tree.root)
    other.blocks[1000] = (txs, tree)
    other.start_deposit_exit("alice", coin)
    other.refused("mallory", "challenge_exit", *net.challenge_args(coin, 1000, 0, "alice"), watch=(coin,),
                  match="bad signature: the spend of position .* is not signed by .* for this root chain")
    assert other.call("exit_info", coin)[2] == STARTED
