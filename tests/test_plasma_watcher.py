"""Plasma users' watchers against an honest and a dishonest operator, in the protocol's words.

Each user runs a ``Watcher`` that validates every block; the operator is
``plasma.operator.Operator``. The scenarios check that honest users lose
nothing: paid in full, bond back, before any exit of coins nobody deposited.
"""

from __future__ import annotations

import pytest

from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import MINIMAL
from plasma.operator import Operator
from plasma.watcher import Watcher
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
BOND = MINIMAL.exit_bond
NAMES = ("alice", "bob", "carol", "operator")
KEYS = {name: bytes([i + 111]) * 32 for i, name in enumerate(NAMES)}
ADDR = {name: private_key_to_address(k) for name, k in KEYS.items()}


def add_users(n: int) -> list[str]:
    """``n`` more named users ("user0", ...), each with a key and an address."""
    names = [f"user{i}" for i in range(n)]
    for i, name in enumerate(names):
        KEYS.setdefault(name, (10**6 + i).to_bytes(32, "big"))
        ADDR.setdefault(name, private_key_to_address(KEYS[name]))
    return names


class Lab:
    def __init__(self, users=("alice", "bob", "carol"), kind: str = "toy") -> None:
        """The root chain, its operator and a watcher per user on a fresh L1 of ``kind`` (toy or evm)."""
        self.l1 = new_l1(kind, {ADDR[n]: 1000 * ETH for n in (*users, "operator")})
        self.address = self.l1.deploy(KEYS["operator"], RootChain, *MINIMAL.constructor_args(ADDR["operator"]))
        self.operator = Operator(self.l1, self.address, KEYS["operator"])
        op = self.operator
        self.users = {n: Watcher(self.l1, self.address, KEYS[n], fetch=op.served_block,
                                 confirmations=op.confirmations.get, post=op.post_confirmation)
                      for n in users}

    def deposit(self, name: str, amount: int) -> None:
        self.l1.transact(KEYS[name], self.address, RootChain, "deposit", value=amount)

    def poll(self) -> None:
        for w in self.users.values():
            w.poll()

    def pay(self, frm: str, to: str, amount: int) -> str:
        self.users[frm].poll()
        return self.operator.submit(self.users[frm].pay(ADDR[to], amount))

    def block(self) -> None:
        assert self.operator.make_block() is not None
        self.poll()
        self.poll()  # confirmations the first round posted

    def wait_period(self) -> None:
        self.l1.increase_time(4 * MINIMAL.exit_period_seconds)
        self.l1.mine(4 * MINIMAL.exit_period_blocks)

    def paid(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.l1.events(self.address, RootChain, "ExitFinalized"):
            owner = next(n for n, a in ADDR.items() if a.lower() == e["owner"].lower())
            out[owner] = out.get(owner, 0) + e["paid"]
        return out


def test_deposit_transfers_blocks_exit_and_finalize_return_everything_with_the_bond(l1_kind: str) -> None:
    lab = Lab(kind=l1_kind)
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", 2 * ETH)
    lab.pay("alice", "bob", 3 * ETH)
    lab.block()
    lab.pay("bob", "carol", 4 * ETH)
    lab.block()
    assert {n: w.balance() for n, w in lab.users.items()} == {"alice": 2 * ETH, "bob": ETH, "carol": 4 * ETH}
    for w in lab.users.values():
        assert w.alarm is None and all(r.refused is None for r in w.exit_all())
    lab.wait_period()
    lab.users["carol"].finalize()
    assert lab.paid() == {"alice": 2 * ETH + BOND, "bob": ETH + BOND, "carol": 4 * ETH + BOND}
    assert lab.l1.balance(lab.address) == 0


def test_an_exit_of_a_spent_output_is_challenged_by_the_recipient_who_gets_the_bond(l1_kind: str) -> None:
    lab = Lab(kind=l1_kind)
    lab.deposit("alice", 2 * ETH)
    lab.pay("alice", "bob", 2 * ETH)
    lab.block()
    spent = R.encode_utxo_pos(1, 0, 0)
    # Alice tries to exit the deposit she has spent (her own watcher would never do it).
    lab.l1.transact(KEYS["alice"], lab.address, RootChain, "start_deposit_exit", spent, 2 * ETH, value=BOND)
    lab.users["bob"].poll()
    assert lab.users["bob"].challenged == [spent]
    assert lab.l1.call(lab.address, RootChain, "exit_info", spent)[2] == 2  # challenged
    lab.users["bob"].exit_all()
    lab.wait_period()
    lab.users["bob"].finalize()
    assert lab.paid() == {"bob": 2 * ETH + BOND}


def test_a_withheld_block_minting_coins_sends_everyone_out_first_and_in_full(l1_kind: str) -> None:
    lab = Lab(kind=l1_kind)
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", 3 * ETH)
    lab.pay("alice", "carol", ETH)
    lab.block()
    # The operator's block: it spends Alice's change with its own signature and withholds the block.
    change = R.encode_utxo_pos(1000, 0, 1)
    theft = R.sign_transaction(R.Transaction.spend([change], [(ADDR["operator"], 4 * ETH)]),
                               [KEYS["operator"]], lab.operator.domain)
    block = lab.operator.submit_block([theft], check=False, withhold=True)
    lab.poll()
    assert all(w.alarm is None for w in lab.users.values())  # the deadline has not passed yet
    lab.l1.mine(3)
    # The operator exits its stolen output (its own confirmation) as soon as it can.
    confirmation = R.confirmations(theft, block.root, [KEYS["operator"]])
    stolen = R.encode_utxo_pos(block.blknum, 0, 0)
    lab.l1.transact(KEYS["operator"], lab.address, RootChain, "start_exit", stolen, theft.encode(),
                    block.tree.proof(0), confirmation, value=BOND)
    lab.poll()
    for w in lab.users.values():
        assert w.alarm is not None and "withheld" in w.alarm
        assert all(r.refused is None for r in w.exits.values()) and w.exits
    lab.wait_period()
    for _ in range(3):
        lab.users["carol"].finalize()
    paid = lab.paid()
    assert (paid["alice"], paid["bob"], paid["carol"]) == (4 * ETH + BOND, 3 * ETH + BOND, ETH + BOND)
    assert paid.get("operator", 0) <= BOND  # what was left: its own bond at most, none of the users' coins


def test_a_mass_exit_of_100_users_fits_l1_blocks_and_pays_every_honest_user_first(l1_kind: str) -> None:
    users = add_users(100)
    lab = Lab(users, kind=l1_kind)
    for i, name in enumerate(users):
        lab.deposit(name, ETH + i)
    for i in range(0, 100, 2):  # half the users pay their neighbour, in one block
        lab.pay(users[i], users[i + 1], ETH // 2)
    lab.block()
    # The operator withholds a block that pays it what nobody deposited.
    victim = R.encode_utxo_pos(1000, 0, 1)
    theft = R.sign_transaction(R.Transaction.spend([victim], [(ADDR["operator"], ETH // 2)]),
                               [KEYS["operator"]], lab.operator.domain)
    lab.operator.submit_block([theft], check=False, withhold=True)
    lab.l1.mine(3)
    start = lab.l1.block_number()
    lab.poll()
    starts = [r.receipt for w in lab.users.values() for r in w.exits.values()]
    assert len(starts) == 150 and all(r is not None for r in starts)  # 100 deposits and 50 outputs of block 1000
    start_gas = sum(int(r["gasUsed"], 16) for r in starts)
    finals = []
    lab.wait_period()
    while lab.l1.call(lab.address, RootChain, "queue_length", R.ZERO_ADDRESS):
        finals.append(lab.users[users[0]].finalize(max_exits=MINIMAL.max_finalize))
    final_gas = [int(r["gasUsed"], 16) for r in finals]
    assert max(final_gas) < 30_000_000 and len(finals) == -(-150 // MINIMAL.max_finalize)
    # Every L1 block of the mass exit stayed under its 30M gas limit.
    for n in range(start, lab.l1.block_number() + 1):
        assert int(lab.l1.block(n)["gasUsed"], 16) <= 30_000_000
    print(f"mass exit of 100 users: {len(starts)} exits, {start_gas:,} gas to start "
          f"(at least {-(-start_gas // 30_000_000)} full L1 blocks), {sum(final_gas):,} gas to finalize "
          f"in {len(finals)} calls")
    paid = lab.paid()
    balances = {n: lab.users[n].balance() for n in users}
    assert sum(balances.values()) == 100 * ETH + sum(range(100))
    assert all(paid[n] == balances[n] + BOND * len(lab.users[n].exits) for n in users)
    assert lab.l1.balance(lab.address) == 0


def test_a_served_block_that_breaks_the_rules_raises_the_alarm_at_once(l1_kind: str) -> None:
    lab = Lab(kind=l1_kind)
    lab.deposit("alice", 2 * ETH)
    lab.deposit("bob", ETH)
    coin = R.encode_utxo_pos(1, 0, 0)
    # The operator serves a block in which it spends Alice's deposit with its own signature.
    forged = R.sign_transaction(R.Transaction.spend([coin], [(ADDR["operator"], 2 * ETH)]),
                                [KEYS["operator"]], lab.operator.domain)
    lab.operator.submit_block([forged], check=False)
    lab.poll()
    for w in lab.users.values():
        assert w.alarm is not None and "invalid" in w.alarm and "bad signature" in w.alarm
    assert set(lab.users["alice"].exits) == {coin} and set(lab.users["bob"].exits) == {R.encode_utxo_pos(2, 0, 0)}
    assert lab.users["alice"].balance() == 2 * ETH  # her view never took the forged spend


def test_a_served_block_that_is_not_the_block_of_the_root_raises_the_alarm(l1_kind: str) -> None:
    lab = Lab(kind=l1_kind)
    lab.deposit("alice", 2 * ETH)
    alice = lab.users["alice"]
    alice.poll()
    honest = alice.pay(ADDR["bob"], ETH)
    lab.operator.submit(honest)
    block = lab.operator.make_block()
    assert block is not None
    other = alice.pay(ADDR["carol"], ETH)  # signed, but never in the block whose root L1 holds
    block.txs[:] = [other]
    lab.poll()
    assert all("wrong root" in (w.alarm or "") for w in lab.users.values())


def test_a_chain_of_spends_cannot_exit_the_same_value_twice(l1_kind: str) -> None:
    """plasma-mvp issue 90: pay yourself, then exit the old output and the new one.

    Alice never posts the confirmation of her spend to herself; she reveals it
    only in her own exit of the new output. A watcher reads it there and
    challenges the exit of the old one.
    """
    lab = Lab(kind=l1_kind)
    lab.deposit("alice", 2 * ETH)
    lab.deposit("bob", 2 * ETH)
    lab.poll()
    coin = R.encode_utxo_pos(1, 0, 0)
    to_self = R.sign_transaction(R.Transaction.spend([coin], [(ADDR["alice"], 2 * ETH)]),
                                 [KEYS["alice"]], lab.operator.domain)
    lab.operator.submit(to_self)
    block = lab.operator.make_block()
    assert block is not None
    lab.users["bob"].poll()
    assert lab.operator.confirmations.get("0x" + to_self.tx.hash().hex()) is None  # never posted
    new = R.encode_utxo_pos(block.blknum, 0, 0)
    for method, args in (("start_deposit_exit", (coin, 2 * ETH)),
                         ("start_exit", (new, to_self.encode(), block.tree.proof(0),
                                         R.confirmations(to_self, block.root, [KEYS["alice"]])))):
        lab.l1.transact(KEYS["alice"], lab.address, RootChain, method, *args, value=BOND)
    lab.users["bob"].poll()
    assert lab.users["bob"].challenged == [coin]
    lab.wait_period()
    lab.users["bob"].finalize()
    assert lab.paid() == {"alice": 2 * ETH + BOND}
    assert lab.l1.balance(lab.address) == 2 * ETH  # Bob's deposit, untouched


def test_the_operator_vanishing_leaves_every_watcher_what_it_needs_to_exit(l1_kind: str) -> None:
    """Recipients keep the checked confirmations of what paid them, spenders their own: no operator needed to exit."""
    lab = Lab(kind=l1_kind)
    lab.deposit("alice", 3 * ETH)
    lab.pay("alice", "bob", ETH)
    lab.block()
    for w in lab.users.values():  # the operator is gone: it serves nothing, not even confirmations
        w.fetch, w.confirmations = (lambda blknum: None), (lambda ident: None)
    records = lab.users["alice"].exit_all() + lab.users["bob"].exit_all()
    assert [(r.amount, r.refused) for r in records] == [(2 * ETH, None), (ETH, None)]
    lab.wait_period()
    lab.users["carol"].finalize()
    assert lab.paid() == {"alice": 2 * ETH + BOND, "bob": ETH + BOND}
    assert lab.l1.balance(lab.address) == 0


def test_a_block_spending_an_output_of_an_unconfirmed_transaction_raises_the_alarm(l1_kind: str) -> None:
    """Mallory self-spends twice and never confirms the first: the honest operator refuses the second; an operator
    in league with her includes it, and every watcher treats that block as invalid and exits first, in full."""
    from plasma.operator import PlasmaRefused

    lab = Lab(users=("alice", "bob", "carol"), kind=l1_kind)
    lab.deposit("bob", 2 * ETH)
    lab.deposit("alice", ETH)  # alice plays Mallory
    lab.poll()
    coin = R.encode_utxo_pos(2, 0, 0)
    hop1 = R.sign_transaction(R.Transaction.spend([coin], [(ADDR["alice"], ETH)]), [KEYS["alice"]],
                              lab.operator.domain)
    lab.operator.submit(hop1)
    lab.users["alice"].post = lambda ident, sigs: None  # she keeps her confirmation to herself
    lab.block()
    hop2 = R.sign_transaction(R.Transaction.spend([R.encode_utxo_pos(1000, 0, 0)], [(ADDR["alice"], ETH)]),
                              [KEYS["alice"]], lab.operator.domain)
    with pytest.raises(PlasmaRefused) as refused:
        lab.operator.submit(hop2)
    assert refused.value.rule == "unconfirmed input"
    lab.operator.submit_block([hop2], check=False)  # the colluding operator includes it anyway
    for name in ("bob", "carol"):
        lab.users[name].poll()
        assert "unconfirmed input" in (lab.users[name].alarm or ""), lab.users[name].alarm
    assert [r.refused for r in lab.users["bob"].exits.values()] == [None]
    lab.wait_period()
    lab.users["carol"].finalize()
    assert lab.paid()["bob"] == 2 * ETH + BOND
