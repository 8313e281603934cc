"""The channel adjudicator on both L1s: the lifecycle, every refusal, the adversaries, and gas.

Each test runs twice, on the toy L1 (the Python contract) and on anvil (its
Solidity twin), and gets a fresh chain. Refused calls are sent with a fixed gas limit,
so they are mined, pay their gas, revert naming the rule, and are checked to
change nothing the adjudicator holds.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contracts_spec.channels import rules as R
from contracts_spec.channels.contract import CLOSED, OPENED, ChannelAdjudicator, SecretRegistry
from contracts_spec.channels.params import MINIMAL, SECONDS_PER_SLOT
from contracts_spec.l1 import L1Client, TransactionReverted
from primitives.secp256k1 import private_key_to_address
from tests.evm_twin import new_l1

ETH = 10**18
NAMES = ("alice", "bob", "carol", "mallory", "deployer")
KEYS = {name: bytes([i + 41]) * 32 for i, name in enumerate(NAMES)}
TIMEOUT = MINIMAL.default_settle_timeout
GAS = 2_000_000
NO_LOCKS = R.EMPTY_LOCKSROOT


class Channels:
    """Participants, the adjudicator and its registry on one L1, spoken to in the protocol's verbs."""

    def __init__(self, l1: L1Client) -> None:
        self.l1 = l1
        self.registry = l1.deploy(KEYS["deployer"], SecretRegistry)
        self.address = l1.deploy(KEYS["deployer"], ChannelAdjudicator, *MINIMAL.constructor_args(self.registry))

    # -- plumbing ---------------------------------------------------------------------------

    def addr(self, name: str) -> str:
        return private_key_to_address(KEYS[name])

    def tx(self, name: str, method: str, *args, value: int = 0, gas: int | None = None,
           contract: type = ChannelAdjudicator, to: str | None = None) -> dict:
        return self.l1.transact(KEYS[name], to or self.address, contract, method, *args, value=value, gas=gas)

    def call(self, method: str, *args):
        return self.l1.call(self.address, ChannelAdjudicator, method, *args)

    def snapshot(self, cid: int, *names: str) -> tuple:
        """Everything a refused call must leave as it was."""
        names = names or ("alice", "bob")
        return (
            self.call("channel_counter"), self.call("channel_identifier", self.addr(names[0]), self.addr(names[1])),
            self.call("channel_info", cid), tuple(self.call("participant_info", cid, self.addr(n)) for n in names),
            self.l1.balance(self.address),
        )

    def refused(self, cid: int, name: str, method: str, *args, match: str, value: int = 0) -> dict:
        before = self.snapshot(cid)
        with pytest.raises(TransactionReverted, match=match) as info:
            self.tx(name, method, *args, value=value, gas=GAS)
        assert self.snapshot(cid) == before
        receipt = info.value.receipt
        assert receipt is not None and int(receipt["status"], 16) == 0 and int(receipt["gasUsed"], 16) > 21_000
        return receipt

    # -- the protocol ---------------------------------------------------------------------------

    def open(self, a: str = "alice", b: str = "bob", timeout: int = TIMEOUT) -> int:
        self.tx(a, "open_channel", self.addr(b), timeout)
        return self.call("channel_identifier", self.addr(a), self.addr(b))

    def deposit(self, cid: int, who: str, partner: str, amount: int, by: str | None = None) -> dict:
        total = self.call("participant_info", cid, self.addr(who))[0] + amount
        return self.tx(by or who, "set_total_deposit", cid, self.addr(who), self.addr(partner), total, value=amount)

    def funded(self, a_amount: int = 10 * ETH, b_amount: int = 5 * ETH) -> int:
        cid = self.open()
        self.deposit(cid, "alice", "bob", a_amount)
        self.deposit(cid, "bob", "alice", b_amount)
        return cid

    def proof(self, cid: int, signer: str, nonce: int, transferred: int, locked: int = 0,
              locksroot: bytes = NO_LOCKS, *, chain_id: int | None = None,
              adjudicator: str | None = None) -> tuple[R.BalanceProof, bytes]:
        """``signer``'s balance proof about its payments, and its signature."""
        p = R.BalanceProof(cid, self.l1.chain_id if chain_id is None else chain_id, adjudicator or self.address,
                           nonce, transferred, locked, locksroot)
        return p, R.sign_balance_proof(p, KEYS[signer])

    def close_args(self, cid: int, closer: str, partner: str, signed: tuple[R.BalanceProof, bytes] | None,
                   closing_key: str | None = None) -> tuple:
        p, sig = signed or (R.BalanceProof.empty(cid, self.l1.chain_id, self.address), b"")
        closing_signature = R.sign(R.close_digest(p, sig), KEYS[closing_key or closer])
        return (cid, self.addr(closer), self.addr(partner), p.nonce, p.transferred_amount, p.locked_amount,
                p.locksroot, sig, closing_signature)

    def close(self, cid: int, closer: str, partner: str, signed: tuple[R.BalanceProof, bytes] | None = None,
              by: str | None = None) -> dict:
        return self.tx(by or closer, "close_channel", *self.close_args(cid, closer, partner, signed))

    def update_args(self, cid: int, closer: str, non_closer: str, signed: tuple[R.BalanceProof, bytes],
                    countersigner: str | None = None) -> tuple:
        p, sig = signed
        counter = R.sign(R.update_digest(p, sig), KEYS[countersigner or non_closer])
        return (cid, self.addr(closer), self.addr(non_closer), p.nonce, p.transferred_amount, p.locked_amount,
                p.locksroot, sig, counter)

    def update(self, cid: int, closer: str, non_closer: str, signed: tuple[R.BalanceProof, bytes],
               by: str | None = None) -> dict:
        return self.tx(by or non_closer, "update_non_closing_balance_proof",
                       *self.update_args(cid, closer, non_closer, signed))

    def wait_window(self, cid: int) -> None:
        """Let the settlement window pass: its blocks and its seconds."""
        _, _, settle_block, settle_time = self.call("channel_info", cid)
        self.l1.rpc("evm_increaseTime", max(0, settle_time - self.l1.timestamp()))
        self.l1.mine(max(1, settle_block - self.l1.block_number() + 1))

    def settle_args(self, cid: int, a: str, a_proof: R.BalanceProof | None, b: str,
                    b_proof: R.BalanceProof | None) -> tuple:
        def values(p: R.BalanceProof | None) -> tuple:
            return (0, 0, NO_LOCKS) if p is None else (p.transferred_amount, p.locked_amount, p.locksroot)
        return (cid, self.addr(a), *values(a_proof), self.addr(b), *values(b_proof))

    def settle(self, cid: int, a: str, a_proof: R.BalanceProof | None, b: str, b_proof: R.BalanceProof | None,
               by: str = "carol") -> tuple[int, int]:
        """Settle (sent by a third party, so the participants' balances move only by their payouts)."""
        before = self.l1.balance(self.addr(a)), self.l1.balance(self.addr(b))
        self.tx(by, "settle_channel", *self.settle_args(cid, a, a_proof, b, b_proof))
        return self.l1.balance(self.addr(a)) - before[0], self.l1.balance(self.addr(b)) - before[1]

    def register_secret(self, secret: bytes, by: str = "carol") -> dict:
        return self.tx(by, "register_secret", secret, contract=SecretRegistry, to=self.registry)

    def withdraw_args(self, cid: int, who: str, partner: str, total: int, expiration: int,
                      signers: tuple[str, str] | None = None) -> tuple:
        request = R.WithdrawRequest(cid, self.l1.chain_id, self.address, self.addr(who), total, expiration)
        first, second = signers or (who, partner)
        return (cid, self.addr(who), self.addr(partner), total, expiration,
                R.sign(request.digest(), KEYS[first]), R.sign(request.digest(), KEYS[second]))

    def coop_args(self, cid: int, b1: int, b2: int, expiration: int, cid_signed: int | None = None) -> tuple:
        s = R.CooperativeSettlement(cid if cid_signed is None else cid_signed, self.l1.chain_id, self.address,
                                    self.addr("alice"), b1, self.addr("bob"), b2, expiration)
        return (cid, self.addr("alice"), b1, self.addr("bob"), b2, expiration,
                R.sign(s.digest(), KEYS["alice"]), R.sign(s.digest(), KEYS["bob"]))


def gas_of(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


def new_net(kind: str = "toy") -> Channels:
    return Channels(new_l1(kind, {private_key_to_address(k): 1000 * ETH for k in KEYS.values()}))


@pytest.fixture
def net(l1_kind: str) -> Channels:
    return new_net(l1_kind)


# -- open -------------------------------------------------------------------------------------


def test_open_gives_each_channel_a_new_identifier_and_one_open_channel_per_pair(net: Channels) -> None:
    first = net.open("alice", "bob")
    assert first == 1 and net.call("channel_info", first) == (OPENED, TIMEOUT, 0, 0)
    assert net.open("alice", "carol") == 2
    assert net.call("channel_identifier", net.addr("bob"), net.addr("alice")) == 1  # either order
    net.refused(first, "bob", "open_channel", net.addr("alice"), TIMEOUT, match="one open channel per pair")
    net.refused(first, "alice", "open_channel", net.addr("alice"), TIMEOUT, match="two participants")
    net.refused(first, "alice", "open_channel", "0x" + "00" * 20, TIMEOUT, match="zero address")
    net.refused(first, "carol", "open_channel", net.addr("bob"), MINIMAL.settle_timeout_min - 1,
                match="bad settle timeout: 9 outside 10..200")
    net.refused(first, "carol", "open_channel", net.addr("bob"), MINIMAL.settle_timeout_max + 1,
                match="bad settle timeout: 201 outside")
    assert net.call("params") == (MINIMAL.settle_timeout_min, MINIMAL.settle_timeout_max, MINIMAL.max_locks)
    assert net.call("secret_registry").lower() == net.registry.lower()


# -- deposit -------------------------------------------------------------------------------------


def test_deposits_set_a_growing_total_by_exactly_the_value_sent(net: Channels) -> None:
    cid = net.open()
    net.deposit(cid, "alice", "bob", 3 * ETH)
    net.deposit(cid, "alice", "bob", 2 * ETH, by="carol")  # anyone may deposit for a participant
    assert net.call("participant_info", cid, net.addr("alice"))[:2] == (5 * ETH, 0)
    assert net.l1.balance(net.address) == 5 * ETH
    events = net.l1.events(net.address, ChannelAdjudicator, "ChannelNewDeposit")
    assert [e["total_deposit"] for e in events] == [3 * ETH, 5 * ETH]
    a, b = net.addr("alice"), net.addr("bob")
    net.refused(cid, "alice", "set_total_deposit", cid, a, b, 5 * ETH, value=ETH, match="deposit total mismatch")
    net.refused(cid, "alice", "set_total_deposit", cid, a, b, 4 * ETH, value=ETH, match="deposit total mismatch")
    net.refused(cid, "alice", "set_total_deposit", cid, a, b, 5 * ETH, match="zero deposit")
    net.refused(cid, "alice", "set_total_deposit", cid, a, net.addr("carol"), 6 * ETH, value=ETH,
                match="unknown channel")
    net.refused(cid, "alice", "set_total_deposit", cid + 1, a, b, 6 * ETH, value=ETH, match="unknown channel")
    net.close(cid, "alice", "bob")
    net.refused(cid, "alice", "set_total_deposit", cid, a, b, 6 * ETH, value=ETH, match=r"wrong channel state: channel \d+ is closed, cannot deposit")


# -- withdraw -------------------------------------------------------------------------------------


def test_a_co_signed_withdraw_pays_once_before_it_expires(net: Channels) -> None:
    cid = net.funded()
    expiry = net.l1.block_number() + 10
    args = net.withdraw_args(cid, "alice", "bob", 3 * ETH, expiry)
    before = net.l1.balance(net.addr("alice"))
    net.tx("carol", "set_total_withdraw", *args)  # anyone may send it: both signed
    assert net.l1.balance(net.addr("alice")) == before + 3 * ETH
    assert net.call("participant_info", cid, net.addr("alice"))[:2] == (10 * ETH, 3 * ETH)
    net.refused(cid, "carol", "set_total_withdraw", *args, match="withdraw not increasing")  # a replay
    a, b = net.addr("alice"), net.addr("bob")
    net.refused(cid, "alice", "set_total_withdraw", *net.withdraw_args(cid, "alice", "bob", 16 * ETH, expiry),
                match="withdraw beyond deposits")
    net.refused(cid, "alice", "set_total_withdraw",
                *net.withdraw_args(cid, "alice", "bob", 4 * ETH, expiry, signers=("alice", "mallory")),
                match="bad signature: the partner's withdraw signature")
    net.refused(cid, "mallory", "set_total_withdraw",
                *net.withdraw_args(cid, "alice", "bob", 4 * ETH, expiry, signers=("mallory", "bob")),
                match="bad signature: the participant's withdraw signature")
    late = net.withdraw_args(cid, "alice", "bob", 4 * ETH, net.l1.block_number() + 1)
    net.refused(cid, "alice", "set_total_withdraw", *late, match="withdraw expired")  # mined in the expiry block
    other_channel = net.withdraw_args(cid + 1, "alice", "bob", 4 * ETH, expiry)
    net.refused(cid, "alice", "set_total_withdraw", cid, a, b, *other_channel[3:], match="bad signature")
    net.close(cid, "alice", "bob")
    net.refused(cid, "alice", "set_total_withdraw", *net.withdraw_args(cid, "alice", "bob", 4 * ETH, expiry),
                match=r"wrong channel state: channel \d+ is closed, cannot withdraw")


# -- cooperative settle ------------------------------------------------------------------------------


def test_cooperative_settle_ends_the_channel_in_one_transaction(net: Channels) -> None:
    cid = net.funded()
    expiry = net.l1.block_number() + 10
    net.refused(cid, "carol", "cooperative_settle", *net.coop_args(cid, 8 * ETH, 8 * ETH, expiry),
                match="balances do not match deposits")
    net.refused(cid, "carol", "cooperative_settle", *net.coop_args(cid, 8 * ETH, 7 * ETH, net.l1.block_number() + 1),
                match="settlement expired")
    forged = list(net.coop_args(cid, 15 * ETH, 0, expiry))
    forged[7] = R.sign(R.CooperativeSettlement(cid, net.l1.chain_id, net.address, net.addr("alice"), 15 * ETH,
                                               net.addr("bob"), 0, expiry).digest(), KEYS["mallory"])
    net.refused(cid, "alice", "cooperative_settle", *forged, match="bad signature: the participant 2's")
    before = net.l1.balance(net.addr("alice")), net.l1.balance(net.addr("bob"))
    net.tx("carol", "cooperative_settle", *net.coop_args(cid, 8 * ETH, 7 * ETH, expiry))
    assert (net.l1.balance(net.addr("alice")) - before[0], net.l1.balance(net.addr("bob")) - before[1]) == \
        (8 * ETH, 7 * ETH)
    assert net.l1.balance(net.address) == 0
    assert net.call("channel_identifier", net.addr("alice"), net.addr("bob")) == 0
    assert net.call("participant_info", cid, net.addr("alice")) == (0, 0, 0, bytes(32))
    # The pair reopens under a new identifier; the old settlement is useless on it.
    new = net.funded()
    assert new == cid + 1
    net.refused(new, "carol", "cooperative_settle", *net.coop_args(new, 8 * ETH, 7 * ETH, expiry, cid_signed=cid),
                match="bad signature")


def test_many_payments_then_cooperative_close_cost_two_transactions(net: Channels) -> None:
    cid = net.funded()
    blocks = net.l1.block_number()
    alice_sent = bob_sent = 0
    last: dict[str, tuple[R.BalanceProof, bytes]] = {}
    for n in range(1, 101):  # a hundred payments each way, all off-chain
        alice_sent += ETH // 100
        bob_sent += ETH // 200
        last["alice"] = net.proof(cid, "alice", n, alice_sent)
        last["bob"] = net.proof(cid, "bob", n, bob_sent)
    assert net.l1.block_number() == blocks  # nothing touched L1
    one, two = R.Side(10 * ETH, 0, alice_sent), R.Side(5 * ETH, 0, bob_sent)
    split = R.settle_amounts(one, two)
    net.tx("alice", "cooperative_settle", *net.coop_args(cid, split.amount1, split.amount2,
                                                         net.l1.block_number() + 5))
    assert net.l1.block_number() == blocks + 1 and net.l1.balance(net.address) == 0


# -- close ------------------------------------------------------------------------------------------


def test_close_with_the_partners_proof_by_the_closer_or_anyone_it_authorised(net: Channels) -> None:
    cid = net.funded()
    signed = net.proof(cid, "bob", 4, 2 * ETH)
    receipt = net.close(cid, "alice", "bob", signed, by="carol")  # carol carries alice's closing signature
    state, timeout, settle_block, settle_time = net.call("channel_info", cid)
    block = int(receipt["blockNumber"], 16)
    assert (state, timeout, settle_block) == (CLOSED, TIMEOUT, block + TIMEOUT)
    assert settle_time == int(net.l1.block(block)["timestamp"], 16) + TIMEOUT * SECONDS_PER_SLOT
    assert net.call("participant_info", cid, net.addr("bob"))[2:] == (4, signed[0].balance_hash())
    [event] = net.l1.events(net.address, ChannelAdjudicator, "ChannelClosed")
    assert event["closing_participant"].lower() == net.addr("alice").lower() and event["nonce"] == 4
    net.refused(cid, "bob", "close_channel", *net.close_args(cid, "bob", "alice", None),
                match=r"wrong channel state: channel \d+ is closed, cannot close")


def test_close_refusals(net: Channels) -> None:
    cid = net.funded()
    signed = net.proof(cid, "bob", 4, 2 * ETH)
    # A third party cannot close for alice without her signature.
    net.refused(cid, "mallory", "close_channel", *net.close_args(cid, "alice", "bob", signed, closing_key="mallory"),
                match="bad signature: the closing signature")
    # A proof bob never signed (mallory's forgery) or signed by the closer herself.
    forged = R.BalanceProof(cid, net.l1.chain_id, net.address, 4, 0, 0, NO_LOCKS)
    for key in ("mallory", "alice"):
        net.refused(cid, "alice", "close_channel",
                    *net.close_args(cid, "alice", "bob", (forged, R.sign_balance_proof(forged, KEYS[key]))),
                    match="bad signature: signed by")
    # Proofs bob signed for another chain or another adjudicator are refused here.
    net.refused(cid, "alice", "close_channel",
                *net.close_args(cid, "alice", "bob", net.proof(cid, "bob", 4, 0, chain_id=1)),
                match="bad signature")
    net.refused(cid, "alice", "close_channel",
                *net.close_args(cid, "alice", "bob", net.proof(cid, "bob", 4, 0, adjudicator=net.registry)),
                match="bad signature")
    # The empty proof is all zero and unsigned.
    args = list(net.close_args(cid, "alice", "bob", None))
    args[4] = 1
    args[8] = R.sign(R.close_digest(R.BalanceProof(cid, net.l1.chain_id, net.address, 0, 1, 0, NO_LOCKS), b""),
                     KEYS["alice"])
    net.refused(cid, "alice", "close_channel", *args, match="bad empty proof")
    empty = R.BalanceProof.empty(cid, net.l1.chain_id, net.address)
    with_sig = (empty, b"\x01" * 65)
    net.refused(cid, "alice", "close_channel", *net.close_args(cid, "alice", "bob", with_sig),
                match="carries no signature")
    net.refused(cid, "alice", "close_channel", *net.close_args(cid, "alice", "carol", None), match="unknown channel")


def test_a_proof_from_another_adjudicator_with_the_same_identifier_is_refused(net: Channels) -> None:
    other = Channels(net.l1)
    cid = net.funded()
    assert other.open() == cid  # the same pair, the same channel number, on another contract
    replayed = other.proof(cid, "bob", 9, 0)
    net.refused(cid, "alice", "close_channel", *net.close_args(cid, "alice", "bob", replayed), match="bad signature")


# -- update ----------------------------------------------------------------------------------------


def test_a_stale_close_is_answered_by_the_update_and_the_cheater_gains_nothing(net: Channels) -> None:
    cid = net.funded(10 * ETH, 5 * ETH)
    alice_latest = net.proof(cid, "alice", 7, 6 * ETH)  # alice has paid bob 6 ETH over 7 payments
    bob_latest = net.proof(cid, "bob", 3, 1 * ETH)
    # Alice closes, presenting bob's proof, and leaves out her own payments, hoping bob is away.
    net.close(cid, "alice", "bob", bob_latest)
    net.update(cid, "alice", "bob", alice_latest)
    net.wait_window(cid)
    got = net.settle(cid, "alice", alice_latest[0], "bob", bob_latest[0])
    assert got == (10 * ETH - 6 * ETH + ETH, 5 * ETH + 6 * ETH - ETH)  # exactly the off-chain balances
    assert net.l1.balance(net.address) == 0


def test_without_the_update_the_closer_keeps_what_it_hid(net: Channels) -> None:
    """Why a peer must be online during the window (or hire a watchtower)."""
    cid = net.funded(10 * ETH, 5 * ETH)
    net.proof(cid, "alice", 7, 6 * ETH)  # signed and handed to bob, but bob never presents it
    net.close(cid, "alice", "bob", None)
    net.wait_window(cid)
    assert net.settle(cid, "alice", None, "bob", None) == (10 * ETH, 5 * ETH)


def test_a_monitoring_service_updates_with_the_partners_counter_signature(net: Channels) -> None:
    cid = net.funded()
    net.close(cid, "alice", "bob", None)
    older, newer = net.proof(cid, "alice", 2, ETH), net.proof(cid, "alice", 5, 3 * ETH)
    net.update(cid, "alice", "bob", older, by="carol")  # carol watches for bob
    net.update(cid, "alice", "bob", newer, by="carol")  # and may answer again with a newer proof
    assert net.call("participant_info", cid, net.addr("alice"))[2:] == (5, newer[0].balance_hash())
    [first, second] = net.l1.events(net.address, ChannelAdjudicator, "NonClosingBalanceProofUpdated")
    assert (first["nonce"], second["nonce"]) == (2, 5)


def test_update_refusals(net: Channels) -> None:
    cid = net.funded()
    signed = net.proof(cid, "alice", 5, 3 * ETH)
    net.refused(cid, "bob", "update_non_closing_balance_proof", *net.update_args(cid, "alice", "bob", signed),
                match=r"wrong channel state: channel \d+ is open, cannot update")
    net.close(cid, "alice", "bob", None)
    net.refused(cid, "carol", "update_non_closing_balance_proof",
                *net.update_args(cid, "alice", "bob", signed, countersigner="mallory"),
                match="bad signature: the non-closing participant's update signature")
    net.refused(cid, "bob", "update_non_closing_balance_proof", *net.update_args(cid, "bob", "alice", signed),
                match="not the closer")
    forged = R.BalanceProof(cid, net.l1.chain_id, net.address, 6, 0, 0, NO_LOCKS)
    net.refused(cid, "bob", "update_non_closing_balance_proof",
                *net.update_args(cid, "alice", "bob", (forged, R.sign_balance_proof(forged, KEYS["bob"]))),
                match="bad signature: signed by")
    net.update(cid, "alice", "bob", signed)
    net.refused(cid, "bob", "update_non_closing_balance_proof", *net.update_args(cid, "alice", "bob", signed),
                match="stale nonce: nonce 5 is not above 5")  # a replay
    net.refused(cid, "bob", "update_non_closing_balance_proof",
                *net.update_args(cid, "alice", "bob", net.proof(cid, "alice", 4, 4 * ETH)),
                match="stale nonce: nonce 4 is not above 5")
    net.wait_window(cid)
    net.refused(cid, "bob", "update_non_closing_balance_proof",
                *net.update_args(cid, "alice", "bob", net.proof(cid, "alice", 9, 4 * ETH)),
                match="settlement window over")


# -- settle ----------------------------------------------------------------------------------------


def test_settle_waits_for_both_the_blocks_and_the_seconds_of_the_window(net: Channels) -> None:
    cid = net.funded()
    net.close(cid, "alice", "bob", None)
    args = net.settle_args(cid, "alice", None, "bob", None)
    net.refused(cid, "carol", "settle_channel", *args, match="settlement window open")
    _, _, settle_block, settle_time = net.call("channel_info", cid)
    net.l1.mine(settle_block - net.l1.block_number() + 1)  # blocks mined faster than real time...
    assert net.l1.timestamp() < settle_time
    net.refused(cid, "carol", "settle_channel", *args, match="settlement window open")  # ...do not end it
    # and while it is open the non-closer can still answer
    net.update(cid, "alice", "bob", net.proof(cid, "alice", 1, ETH))
    net.wait_window(cid)
    net.refused(cid, "carol", "settle_channel", *args, match="balance hash mismatch")  # alice's values are wrong now
    assert net.settle(cid, "alice", R.BalanceProof(cid, 0, net.address, 1, ETH, 0, NO_LOCKS), "bob", None) == \
        (9 * ETH, 6 * ETH)
    net.refused(cid, "carol", "settle_channel", *args, match="unknown channel")  # once


def test_settle_refuses_an_open_channel_and_wrong_amounts(net: Channels) -> None:
    cid = net.funded()
    net.refused(cid, "carol", "settle_channel", *net.settle_args(cid, "alice", None, "bob", None),
                match=r"wrong channel state: channel \d+ is open, cannot settle")
    bob = net.proof(cid, "bob", 2, ETH)
    net.close(cid, "alice", "bob", bob)
    net.wait_window(cid)
    lie = R.BalanceProof(cid, 0, net.address, 2, 2 * ETH, 0, NO_LOCKS)  # bob claims he sent more than he signed
    net.refused(cid, "bob", "settle_channel", *net.settle_args(cid, "alice", None, "bob", lie),
                match="balance hash mismatch")
    assert net.settle(cid, "bob", bob[0], "alice", None) == (4 * ETH, 11 * ETH)  # either order


def test_a_reopened_channel_refuses_the_old_channels_proofs(net: Channels) -> None:
    cid = net.funded()
    old_alice = net.proof(cid, "alice", 50, 9 * ETH)  # from the first channel: alice paid bob 9 ETH
    net.close(cid, "alice", "bob", None)
    net.wait_window(cid)
    net.settle(cid, "alice", None, "bob", None)
    new = net.funded()
    assert new == cid + 1 and net.call("channel_info", new)[0] == OPENED
    net.refused(new, "bob", "close_channel", *net.close_args(new, "bob", "alice", old_alice), match="bad signature")
    net.refused(new, "bob", "close_channel", *net.close_args(cid, "bob", "alice", old_alice), match="unknown channel")


def test_an_over_transfer_beyond_the_deposit_cannot_take_other_channels_money(net: Channels) -> None:
    cid = net.funded(10 * ETH, 5 * ETH)
    other = net.open("carol", "mallory")
    net.deposit(other, "carol", "mallory", 7 * ETH)
    # Bob signs that he sent 100 ETH out of his 5: alice closes with it.
    bob = net.proof(cid, "bob", 1, 100 * ETH)
    net.close(cid, "alice", "bob", bob)
    net.wait_window(cid)
    assert net.settle(cid, "alice", None, "bob", bob[0]) == (15 * ETH, 0)  # everything there is, no more
    assert net.l1.balance(net.address) == 7 * ETH  # carol's channel is untouched


def test_honest_users_lose_nothing_through_a_dispute_with_both_sides_paying(net: Channels) -> None:
    cid = net.funded(10 * ETH, 5 * ETH)
    alice_total = bob_total = 0
    proofs: dict[str, tuple[R.BalanceProof, bytes]] = {}
    for n in range(1, 21):
        alice_total += ETH // 4
        bob_total += ETH // 10
        proofs["alice"] = net.proof(cid, "alice", n, alice_total)
        proofs["bob"] = net.proof(cid, "bob", n, bob_total)
    net.tx("bob", "set_total_withdraw", *net.withdraw_args(cid, "bob", "alice", ETH, net.l1.block_number() + 5))
    net.close(cid, "bob", "alice", proofs["alice"])
    net.update(cid, "bob", "alice", proofs["bob"])
    net.wait_window(cid)
    got = net.settle(cid, "bob", proofs["bob"][0], "alice", proofs["alice"][0])
    assert got == (5 * ETH - ETH - bob_total + alice_total, 10 * ETH - alice_total + bob_total)
    assert net.l1.balance(net.address) == 0


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(deposits=st.tuples(st.integers(0, 20), st.integers(0, 20)), sent=st.tuples(st.integers(0, 40), st.integers(0, 40)),
       withdrawn=st.integers(0, 20), alice_closes=st.booleans(), updated=st.booleans())
def test_the_contract_pays_what_the_rules_say_and_never_more_than_it_holds(
    l1_kind: str, deposits: tuple[int, int], sent: tuple[int, int], withdrawn: int, alice_closes: bool, updated: bool,
) -> None:
    """Any deposits, any (even over-spent) proofs, either closer, with or without the update."""
    net = new_net(l1_kind)
    cid = net.open()
    for who, partner, amount in (("alice", "bob", deposits[0]), ("bob", "alice", deposits[1])):
        if amount:
            net.deposit(cid, who, partner, amount * ETH)
    bob_withdrew = min(withdrawn, sum(deposits)) * ETH
    if bob_withdrew:
        net.tx("bob", "set_total_withdraw",
               *net.withdraw_args(cid, "bob", "alice", bob_withdrew, net.l1.block_number() + 5))
    proofs = {"alice": net.proof(cid, "alice", 3, sent[0] * ETH), "bob": net.proof(cid, "bob", 3, sent[1] * ETH)}
    closer, other = ("alice", "bob") if alice_closes else ("bob", "alice")
    net.close(cid, closer, other, proofs[other])
    if updated:
        net.update(cid, closer, other, proofs[closer])
    net.wait_window(cid)
    on_l1 = {other: proofs[other][0], closer: proofs[closer][0] if updated else None}
    got = net.settle(cid, "alice", on_l1["alice"], "bob", on_l1["bob"])

    def side(name: str, deposit: int, withdrew: int) -> R.Side:
        p = on_l1[name]
        return R.Side(deposit * ETH, withdrew, p.transferred_amount if p else 0, 0)

    split = R.settle_amounts(side("alice", deposits[0], 0), side("bob", deposits[1], bob_withdrew))
    assert got == (split.amount1, split.amount2)
    assert sum(got) + bob_withdrew == sum(deposits) * ETH
    assert net.l1.balance(net.address) == 0


# -- unlock -----------------------------------------------------------------------------------------


def test_locks_unlock_after_settlement_by_secrets_registered_in_time(net: Channels) -> None:
    cid = net.funded(10 * ETH, 5 * ETH)
    secrets = [bytes([i + 1]) * 32 for i in range(3)]
    expiry = net.l1.block_number() + 8
    expiry_time = net.l1.timestamp()  # its second already passed: expiry by blocks alone here
    locks = [R.Lock((i + 1) * ETH, expiry, expiry_time, R.secrethash_of(s)) for i, s in enumerate(secrets)]
    root = R.compute_locksroot(locks)
    alice = net.proof(cid, "alice", 3, ETH, 6 * ETH, root)  # alice paid 1 and locked 1 + 2 + 3 to bob
    net.register_secret(secrets[0])  # in time
    net.close(cid, "bob", "alice", alice)
    net.l1.mine(max(0, expiry - net.l1.block_number() - 1))
    net.register_secret(secrets[1])  # in the expiry block itself: in time
    assert net.l1.block_number() == expiry
    net.l1.increase_time(1)
    net.register_secret(secrets[2])  # one block, and past its second, late: refunded
    data = R.encode_locks(locks)
    net.refused(cid, "carol", "unlock", cid, net.addr("bob"), net.addr("alice"), data, match="not settled yet")
    net.wait_window(cid)
    assert net.settle(cid, "alice", alice[0], "bob", None) == (3 * ETH, 6 * ETH)
    assert net.call("locked_amount", cid, net.addr("alice"), net.addr("bob"), root) == 6 * ETH
    net.refused(cid, "carol", "unlock", cid, net.addr("bob"), net.addr("alice"), data[:-R.LOCK_BYTES],
                match="nothing to unlock")  # not the locks the locksroot commits to
    net.refused(cid, "carol", "unlock", cid, net.addr("mallory"), net.addr("alice"), data,
                match="nothing to unlock")  # nor another receiver
    before = net.l1.balance(net.addr("alice")), net.l1.balance(net.addr("bob"))
    net.tx("carol", "unlock", cid, net.addr("bob"), net.addr("alice"), data)
    assert (net.l1.balance(net.addr("alice")) - before[0], net.l1.balance(net.addr("bob")) - before[1]) == \
        (3 * ETH, 3 * ETH)
    [event] = net.l1.events(net.address, ChannelAdjudicator, "ChannelUnlocked")
    assert (event["unlocked_amount"], event["returned_amount"]) == (3 * ETH, 3 * ETH)
    assert net.l1.balance(net.address) == 0
    net.refused(cid, "carol", "unlock", cid, net.addr("bob"), net.addr("alice"), data, match="nothing to unlock")


def test_unlock_refuses_bad_lock_bytes_and_more_than_the_cap(net: Channels) -> None:
    cid = net.funded()
    a, b = net.addr("alice"), net.addr("bob")
    net.refused(cid, "carol", "unlock", cid, b, a, b"", match="no locks")
    net.refused(cid, "carol", "unlock", cid, b, a, b"\x01" * 95, match="bad locks")
    too_many = R.Lock(1, 1, 12, bytes(32)).encode() * (MINIMAL.max_locks + 1)
    net.refused(cid, "carol", "unlock", cid, b, a, too_many, match="too many locks")


def test_locks_without_a_locksroot_go_back_to_their_sender_at_settlement(net: Channels) -> None:
    cid = net.funded()
    bob = net.proof(cid, "bob", 1, ETH, 2 * ETH, NO_LOCKS)  # a malformed proof bob signed: locks, no root
    net.close(cid, "alice", "bob", bob)
    net.wait_window(cid)
    assert net.settle(cid, "alice", None, "bob", bob[0]) == (11 * ETH, 4 * ETH)
    assert net.l1.balance(net.address) == 0


def test_blocks_mined_faster_than_real_time_expire_no_lock_early(net: Channels) -> None:
    """Time is not for sale: a burst of blocks past a lock's expiration block leaves its receiver in time.

    Alice locks 2 ETH to bob for 10 blocks (and so 120 seconds). Mallory
    mines 30 blocks in a second; bob registers the secret after them, while
    the lock's seconds still run: it pays bob. A second lock whose block and
    second have both passed is refunded to alice.
    """
    cid = net.funded(10 * ETH, 5 * ETH)
    secret, late_secret = b"\x51" * 32, b"\x52" * 32
    start_block, start_time = net.l1.block_number(), net.l1.timestamp()
    lock = R.Lock(2 * ETH, *R.lock_expiration(start_block, start_time, 10), R.secrethash_of(secret))
    late = R.Lock(ETH, *R.lock_expiration(start_block, start_time, 1), R.secrethash_of(late_secret))
    root = R.compute_locksroot([lock, late])
    alice = net.proof(cid, "alice", 1, 0, 3 * ETH, root)
    net.l1.mine(30)
    assert net.l1.block_number() > lock.expiration and net.l1.timestamp() <= lock.expiration_time
    assert not R.is_lock_expired(lock, net.l1.block_number(), net.l1.timestamp())
    receipt = net.register_secret(secret, by="bob")
    at = net.l1.block(int(receipt["blockNumber"], 16))
    assert net.l1.call(net.registry, SecretRegistry, "get_secret_reveal", R.secrethash_of(secret)) == \
        (int(at["number"], 16), int(at["timestamp"], 16))
    net.l1.increase_time(lock.expiration_time - net.l1.timestamp() + 1)
    assert R.is_lock_expired(late, net.l1.block_number(), net.l1.timestamp())
    net.register_secret(late_secret, by="bob")  # past both its block and its second: too late
    net.close(cid, "bob", "alice", alice)
    net.wait_window(cid)
    assert net.settle(cid, "alice", alice[0], "bob", None) == (7 * ETH, 5 * ETH)
    before = net.l1.balance(net.addr("alice")), net.l1.balance(net.addr("bob"))
    net.tx("carol", "unlock", cid, net.addr("bob"), net.addr("alice"), R.encode_locks([lock, late]))
    assert (net.l1.balance(net.addr("alice")) - before[0], net.l1.balance(net.addr("bob")) - before[1]) == \
        (ETH, 2 * ETH)
    assert net.l1.balance(net.address) == 0


def test_a_full_set_of_locks_unlocks_within_one_block(net: Channels) -> None:
    cid = net.funded()
    expiry, expiry_time = R.lock_expiration(net.l1.block_number(), net.l1.timestamp(), 1000)
    locks = [R.Lock(1000, expiry, expiry_time, R.secrethash_of(i.to_bytes(32, "big")))
             for i in range(1, MINIMAL.max_locks + 1)]
    for i in range(1, 11):
        net.register_secret(i.to_bytes(32, "big"))
    alice = net.proof(cid, "alice", 1, 0, 1000 * len(locks), R.compute_locksroot(locks))
    net.close(cid, "bob", "alice", alice)
    net.wait_window(cid)
    net.settle(cid, "alice", alice[0], "bob", None)
    net.refused(cid, "carol", "unlock", cid, net.addr("bob"), net.addr("alice"), R.encode_locks(locks),
                match="lock pending: lock 10's secret may still be registered until block")
    net.l1.increase_time(max(0, expiry_time - net.l1.timestamp()) + 1)  # the unclaimed locks expire
    net.l1.mine(max(0, expiry - net.l1.block_number()) + 1)
    receipt = net.tx("carol", "unlock", cid, net.addr("bob"), net.addr("alice"), R.encode_locks(locks))
    assert gas_of(receipt) < 30_000_000 // 4  # a quarter of a block at most, whoever else is in it
    [event] = net.l1.events(net.address, ChannelAdjudicator, "ChannelUnlocked")
    assert (event["unlocked_amount"], event["returned_amount"]) == (10 * 1000, 150 * 1000)


# -- the secret registry --------------------------------------------------------------------------------


def test_the_secret_registry_records_the_block_of_the_first_registration(net: Channels) -> None:
    secret = b"\x42" * 32
    receipt = net.register_secret(secret)
    block = int(receipt["blockNumber"], 16)
    assert net.l1.call(net.registry, SecretRegistry, "get_secret_reveal_block_height",
                       R.secrethash_of(secret)) == block
    again = f"secret already registered: at block {block}"
    for bad, match in ((secret, again), (bytes(32), "zero secret")):
        with pytest.raises(TransactionReverted, match=match):
            net.tx("mallory", "register_secret", bad, contract=SecretRegistry, to=net.registry, gas=GAS)
    assert net.l1.call(net.registry, SecretRegistry, "get_secret_reveal_block_height",
                       R.secrethash_of(secret)) == block


# -- gas ------------------------------------------------------------------------------------------------

RAIDEN_GAS = {"open": 104_000, "deposit": 57_000, "close": 123_000, "update": 92_000, "settle": 116_000,
              "unlock (1 lock)": 39_000}


def test_lifecycle_gas_beside_raidens_published_figures(net: Channels) -> None:
    """Gas of each call from its receipt; printed beside Raiden's (pytest -s shows it), asserted on nothing."""
    net.open("carol", "mallory")  # the identifier counter is already set, as on a used adjudicator
    used: dict[str, int] = {}
    used["open"] = gas_of(net.tx("alice", "open_channel", net.addr("bob"), TIMEOUT))
    cid = net.call("channel_identifier", net.addr("alice"), net.addr("bob"))
    used["deposit"] = gas_of(net.deposit(cid, "alice", "bob", 10 * ETH))
    net.deposit(cid, "bob", "alice", 5 * ETH)
    secret = b"\x99" * 32
    lock = R.Lock(ETH, *R.lock_expiration(net.l1.block_number(), net.l1.timestamp(), 50), R.secrethash_of(secret))
    bob = net.proof(cid, "bob", 4, 2 * ETH, ETH, R.compute_locksroot([lock]))
    alice = net.proof(cid, "alice", 6, 3 * ETH)
    used["close"] = gas_of(net.close(cid, "alice", "bob", bob))
    used["update"] = gas_of(net.update(cid, "alice", "bob", alice))
    net.register_secret(secret)
    net.wait_window(cid)
    used["settle"] = gas_of(net.tx("carol", "settle_channel", *net.settle_args(cid, "alice", alice[0], "bob", bob[0])))
    used["unlock (1 lock)"] = gas_of(net.tx("carol", "unlock", cid, net.addr("alice"), net.addr("bob"),
                                            R.encode_locks([lock])))
    print("\ncall              l2lab   Raiden")
    for call, gas in used.items():
        print(f"{call:<16} {gas:>7,} {RAIDEN_GAS[call]:>8,}")
    assert net.l1.balance(net.address) == 0
