"""The payment-channel rules: balance proofs, signatures, locks and settlement arithmetic, as pure functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts_spec.channels import rules as R
from contracts_spec.channels.params import (
    MAINNET,
    MAX_LOCKS_PER_CHANNEL,
    MINIMAL,
    SECONDS_PER_SLOT,
    ChannelPreset,
    get_preset,
)
from primitives.eip712 import Domain, typed_data_digest
from primitives.keccak import keccak256
from primitives.secp256k1 import SECP256K1_N, private_key_to_address

ETH = 10**18
CHAIN = 31337
ADJUDICATOR = "0x" + "ab" * 20
OTHER_ADJUDICATOR = "0x" + "cd" * 20
ALICE_KEY, BOB_KEY, MALLORY_KEY = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
ALICE, BOB, MALLORY = (private_key_to_address(k) for k in (ALICE_KEY, BOB_KEY, MALLORY_KEY))


def proof(nonce: int = 1, transferred: int = ETH, locked: int = 0, locksroot: bytes = R.EMPTY_LOCKSROOT,
          channel: int = 1, chain_id: int = CHAIN, adjudicator: str = ADJUDICATOR) -> R.BalanceProof:
    return R.BalanceProof(channel, chain_id, adjudicator, nonce, transferred, locked, locksroot)


def check(p: R.BalanceProof, signature: bytes, *, sender: str = ALICE, last_nonce: int = 0) -> None:
    """Bob checks a proof Alice sent him in channel 1 of this chain's adjudicator."""
    R.check_balance_proof(p, R.recover_balance_proof_signer(p, signature), sender=sender, channel_identifier=1,
                          chain_id=CHAIN, adjudicator=ADJUDICATOR, last_nonce=last_nonce)


def domain(adjudicator: str = ADJUDICATOR) -> Domain:
    return Domain(R.DOMAIN_NAME, R.DOMAIN_VERSION, CHAIN, adjudicator)


# -- EIP-712 -------------------------------------------------------------------------------


def test_every_digest_is_the_eip712_digest_of_its_typed_data() -> None:
    lock = R.Lock(ETH, 100, 1200, keccak256(b"\x09" * 32))
    p = proof(7, 3 * ETH, ETH, R.compute_locksroot([lock]))
    types = R.EIP712_TYPES
    assert p.digest() == typed_data_digest(domain(), types["BalanceProof"], "BalanceProof", p.eip712_message())
    signature = R.sign_balance_proof(p, ALICE_KEY)
    assert R.close_digest(p, signature) == typed_data_digest(
        domain(), types["CloseChannel"], "CloseChannel",
        {"partnerProof": p.eip712_message(), "partnerSignature": signature})
    assert R.update_digest(p, signature) == typed_data_digest(
        domain(), types["UpdateBalanceProof"], "UpdateBalanceProof",
        {"closerProof": p.eip712_message(), "closerSignature": signature})
    w = R.WithdrawRequest(1, CHAIN, ADJUDICATOR, ALICE, 2 * ETH, 50)
    assert w.digest() == typed_data_digest(domain(), types["Withdraw"], "Withdraw", {
        "channelIdentifier": 1, "participant": ALICE, "totalWithdraw": 2 * ETH, "expiration": 50})
    c = R.CooperativeSettlement(1, CHAIN, ADJUDICATOR, ALICE, ETH, BOB, 2 * ETH, 60)
    assert c.digest() == typed_data_digest(domain(), types["CooperativeSettle"], "CooperativeSettle", {
        "channelIdentifier": 1, "participant1": ALICE, "balance1": ETH, "participant2": BOB, "balance2": 2 * ETH,
        "expiration": 60})


def test_a_metered_hasher_gives_the_same_digests() -> None:
    calls: list[int] = []

    def metered(data: bytes) -> bytes:
        calls.append(len(data))
        return keccak256(data)

    p = proof()
    assert p.digest(metered) == p.digest()
    assert R.close_digest(p, b"sig", metered) == R.close_digest(p, b"sig")
    assert calls  # the domain and both structs went through the caller's hasher


def test_close_and_update_signatures_cannot_stand_in_for_each_other() -> None:
    p, sig = proof(), b"\x11" * 65
    assert R.close_digest(p, sig) != R.update_digest(p, sig) != p.digest()


def test_a_proof_is_bound_to_its_chain_adjudicator_and_channel() -> None:
    digests = {proof().digest(), proof(chain_id=1).digest(), proof(adjudicator=OTHER_ADJUDICATOR).digest(),
               proof(channel=2).digest()}
    assert len(digests) == 4


# -- signatures and validity ------------------------------------------------------------------


def test_signing_and_recovery_round_trip_one_by_one_and_in_a_batch() -> None:
    proofs = [proof(n, n * ETH) for n in range(1, 6)]
    signatures = [R.sign_balance_proof(p, ALICE_KEY) for p in proofs]
    assert all(R.recover_balance_proof_signer(p, s) == ALICE for p, s in zip(proofs, signatures, strict=True))
    signatures[2] = b"\x00" * 65
    assert R.recover_balance_proof_signers(proofs, signatures) == [ALICE, ALICE, None, ALICE, ALICE]


def test_a_valid_newer_proof_is_accepted() -> None:
    p = proof(5)
    check(p, R.sign_balance_proof(p, ALICE_KEY), last_nonce=4)
    assert R.is_valid_and_newer(p, ALICE, sender=ALICE, channel_identifier=1, chain_id=CHAIN,
                                adjudicator=ADJUDICATOR.upper().replace("0X", "0x"), last_nonce=4)


@pytest.mark.parametrize("bad, rule", [
    (dict(chain_id=1), "wrong chain"),
    (dict(adjudicator=OTHER_ADJUDICATOR), "wrong adjudicator"),
    (dict(channel=2), "wrong channel"),  # the same pair's reopened channel has a new identifier
])
def test_a_proof_for_another_chain_contract_or_channel_is_refused(bad: dict, rule: str) -> None:
    p = proof(**bad)
    with pytest.raises(R.ChannelRuleError, match=rule):
        check(p, R.sign_balance_proof(p, ALICE_KEY))


def test_a_replayed_or_older_nonce_is_refused() -> None:
    p = proof(3)
    signature = R.sign_balance_proof(p, ALICE_KEY)
    for last in (3, 4):
        with pytest.raises(R.ChannelRuleError, match="stale nonce") as info:
            check(p, signature, last_nonce=last)
        assert info.value.rule == "stale nonce"
        assert not R.is_valid_and_newer(p, ALICE, sender=ALICE, channel_identifier=1, chain_id=CHAIN,
                                        adjudicator=ADJUDICATOR, last_nonce=last)


def test_a_forged_or_garbled_signature_is_refused() -> None:
    p = proof()
    with pytest.raises(R.ChannelRuleError, match="bad signature: signed by"):
        check(p, R.sign_balance_proof(p, MALLORY_KEY))
    with pytest.raises(R.ChannelRuleError, match="bad signature: the signature does not recover"):
        check(p, b"\x01" * 64)
    good = R.sign_balance_proof(p, ALICE_KEY)
    high_s = good[:32] + (SECP256K1_N - int.from_bytes(good[32:64], "big")).to_bytes(32, "big") \
        + bytes([good[64] ^ 1])
    assert R.recover_signer(p.digest(), high_s) is None  # the other encoding of the same signature
    with pytest.raises(R.ChannelRuleError, match="bad signature"):
        check(proof(transferred=2 * ETH), good)  # a signature over other amounts


@pytest.mark.parametrize("fields, rule", [
    (dict(transferred=-1), "bad amount"),
    (dict(transferred=1.5), "bad amount"),
    (dict(transferred=True), "bad amount"),
    (dict(locked=2**256), "bad amount"),
    (dict(nonce=2**64), "bad amount"),
    (dict(locksroot=b"\x01" * 31), "bad locksroot"),
    (dict(nonce=0), "bad empty proof"),
])
def test_malformed_proofs_are_refused(fields: dict, rule: str) -> None:
    with pytest.raises(R.ChannelRuleError, match=rule):
        R.check_proof_fields(proof(**fields))


def test_the_empty_proof_is_all_zero_and_never_signed() -> None:
    empty = R.BalanceProof.empty(1, CHAIN, ADJUDICATOR)
    R.check_proof_fields(empty)
    assert empty.is_empty and empty.balance_hash() == R.EMPTY_BALANCE_HASH
    with pytest.raises(R.ChannelRuleError, match="never signed"):
        R.sign_balance_proof(empty, ALICE_KEY)
    assert proof().balance_hash() == keccak256(ETH.to_bytes(32, "big") + bytes(32) + R.EMPTY_LOCKSROOT)


# -- locks ------------------------------------------------------------------------------


def test_lock_encoding_and_locksroot() -> None:
    secret = b"\x05" * 32
    lock = R.Lock(amount=3, expiration=0x1234, expiration_time=0x5678, secrethash=R.secrethash_of(secret))
    encoded = lock.encode()
    assert encoded == (0x1234).to_bytes(32, "big") + (0x5678).to_bytes(32, "big") + (3).to_bytes(32, "big") \
        + keccak256(secret)
    locks = [lock, R.Lock(7, 99, 1000, keccak256(b"\x06" * 32))]
    data = R.encode_locks(locks)
    assert len(data) == 2 * R.LOCK_BYTES and R.decode_locks(data) == locks
    assert R.compute_locksroot(locks) == keccak256(data)
    assert R.compute_locksroot([]) == R.EMPTY_LOCKSROOT == bytes(32)
    assert R.locked_amount_of(locks) == 10


def test_bad_locks_are_refused() -> None:
    lock = R.Lock(1, 10, 120, bytes(32))
    with pytest.raises(R.ChannelRuleError, match="too many locks"):
        R.encode_locks([lock] * (MAX_LOCKS_PER_CHANNEL + 1))
    with pytest.raises(R.ChannelRuleError, match="too many locks"):
        R.decode_locks(lock.encode() * (MAX_LOCKS_PER_CHANNEL + 1))
    with pytest.raises(R.ChannelRuleError, match="bad locks"):
        R.decode_locks(lock.encode()[:-1])
    with pytest.raises(R.ChannelRuleError, match="bad lock"):
        R.Lock(1, 10, 120, b"short").encode()
    with pytest.raises(R.ChannelRuleError, match="bad amount"):
        R.Lock(-1, 10, 120, bytes(32)).encode()
    with pytest.raises(R.ChannelRuleError, match="bad amount"):
        R.Lock(1, 10, -1, bytes(32)).encode()
    with pytest.raises(R.ChannelRuleError, match="bad secret"):
        R.secrethash_of(b"\x01" * 31)


def test_pending_locks_must_match_the_proof() -> None:
    locks = [R.Lock(2, 10, 120, keccak256(b"a")), R.Lock(3, 11, 132, keccak256(b"b"))]
    p = proof(locked=5, locksroot=R.compute_locksroot(locks))
    R.check_pending_locks(p, locks)
    with pytest.raises(R.ChannelRuleError, match="locksroot mismatch"):
        R.check_pending_locks(p, locks[:1])
    with pytest.raises(R.ChannelRuleError, match="locked amount mismatch"):
        R.check_pending_locks(proof(locked=4, locksroot=p.locksroot), locks)
    with pytest.raises(R.ChannelRuleError, match="too many locks"):
        R.check_pending_locks(p, locks, max_locks=1)


def test_a_lock_is_claimed_only_by_a_secret_registered_before_it_expires() -> None:
    lock = R.Lock(5, 100, 1200, bytes(32))
    assert R.is_unlocked(lock, R.Reveal(1, 0)) and R.is_unlocked(lock, R.Reveal(100, 1200))
    assert not R.is_unlocked(lock, R.Reveal(101, 1201)) and not R.is_unlocked(lock, R.NEVER_REVEALED)


def test_a_lock_expires_only_past_both_its_block_and_its_second() -> None:
    """Mining blocks faster than real time (or travelling in time without blocks) expires no lock early."""
    block, when = R.lock_expiration(50, 10_000, 20)
    assert (block, when) == (70, 10_000 + 20 * SECONDS_PER_SLOT)
    lock = R.Lock(5, block, when, bytes(32))
    assert not R.is_lock_expired(lock, 70, when + 1) and not R.is_lock_expired(lock, 71, when)
    assert not R.is_lock_expired(lock, 10**6, when)  # a million fast blocks: still in time
    assert not R.is_lock_expired(lock, 70, when + 10**6)  # a jump in time with no blocks: still in time
    assert R.is_lock_expired(lock, 71, when + 1)
    assert R.is_unlocked(lock, R.Reveal(10**6, when)) and R.is_unlocked(lock, R.Reveal(70, when + 10**6))
    assert not R.is_unlocked(lock, R.Reveal(71, when + 1))


def test_unlock_pays_claimed_locks_to_the_receiver_and_refunds_the_rest() -> None:
    on_time, late, never = keccak256(b"1"), keccak256(b"2"), keccak256(b"3")
    locks = [R.Lock(5, 100, 1200, on_time), R.Lock(7, 100, 1200, late), R.Lock(11, 100, 1200, never)]
    revealed = {on_time: R.Reveal(100, 1300), late: R.Reveal(101, 1201)}
    assert R.unlock_amounts(locks, 23, lambda h: revealed.get(h, R.NEVER_REVEALED)) == R.Unlocked(5, 18)
    # Settlement kept less than the locks claim (the sender over-locked): the receiver gets at most that.
    assert R.unlock_amounts(locks, 3, lambda h: revealed.get(h, R.NEVER_REVEALED)) == R.Unlocked(3, 0)


# -- settlement, withdrawals and cooperative settlement ------------------------------------------


def test_settle_amounts_of_an_honest_channel() -> None:
    # Alice deposited 10 and sent Bob 4, with 1 locked to him; Bob deposited 5, withdrew 1 and sent Alice 2.
    split = R.settle_amounts(R.Side(10, 0, 4, 1), R.Side(5, 1, 2, 0))
    assert split == R.Settlement(7, 6, 1, 0)
    assert sum(split) == 14


def test_a_stale_or_over_spent_proof_never_pays_more_than_the_channel_holds() -> None:
    # Bob's proof claims he sent 100 out of a deposit of 5: Alice gets everything there is, no more.
    assert R.settle_amounts(R.Side(10), R.Side(5, 0, 100, 0)) == R.Settlement(15, 0, 0, 0)
    # Alice's stale proof hides her payments and Bob already withdrew what she paid him: he gets 0, not less.
    assert R.settle_amounts(R.Side(10, 0, 0, 0), R.Side(0, 5, 0, 0)) == R.Settlement(5, 0, 0, 0)
    # Locks beyond what their sender is owed are cut to that.
    assert R.settle_amounts(R.Side(10, 0, 0, 50), R.Side(5)) == R.Settlement(0, 5, 10, 0)
    with pytest.raises(R.ChannelRuleError, match="withdrawn beyond deposits"):
        R.settle_amounts(R.Side(1, 2), R.Side(0))
    with pytest.raises(R.ChannelRuleError, match="bad amount"):
        R.settle_amounts(R.Side(-1), R.Side(0))


def test_over_transfer_beyond_the_deposit_is_refused_by_the_receiving_peer() -> None:
    alice, bob = R.Side(10), R.Side(5, 0, 3)
    R.check_within_deposit(alice, bob, proof(transferred=12, locked=1))  # 10 deposited + 3 received
    with pytest.raises(R.ChannelRuleError, match="over-transfer"):
        R.check_within_deposit(alice, bob, proof(transferred=13, locked=1))
    with pytest.raises(R.ChannelRuleError, match="transferred amount decreased"):
        R.check_within_deposit(R.Side(10, 0, 4), bob, proof(transferred=3))
    assert R.distributable(R.Side(10, 0, 4, 1), R.Side(5, 0, 2)) == 7


def test_withdraw_arithmetic() -> None:
    alice, bob = R.Side(10, 2), R.Side(5)
    assert R.withdraw_amount(alice, bob, 5, expiration=20, block_number=19) == 3
    with pytest.raises(R.ChannelRuleError, match="withdraw expired"):
        R.withdraw_amount(alice, bob, 5, expiration=20, block_number=20)
    with pytest.raises(R.ChannelRuleError, match="withdraw not increasing"):
        R.withdraw_amount(alice, bob, 2, expiration=20, block_number=1)
    with pytest.raises(R.ChannelRuleError, match="withdraw beyond deposits"):
        R.withdraw_amount(alice, bob, 16, expiration=20, block_number=1)
    assert R.withdrawable(R.Side(10, 2, 3, 1), R.Side(5, 0, 1)) == 5


def test_cooperative_settle_arithmetic() -> None:
    R.check_cooperative_settle(R.Side(10, 2), R.Side(5), 6, 7, expiration=9, block_number=8)
    with pytest.raises(R.ChannelRuleError, match="balances do not match deposits"):
        R.check_cooperative_settle(R.Side(10, 2), R.Side(5), 6, 8, expiration=9, block_number=8)
    with pytest.raises(R.ChannelRuleError, match="settlement expired"):
        R.check_cooperative_settle(R.Side(10, 2), R.Side(5), 6, 7, expiration=9, block_number=9)


# -- properties -------------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=2**256 - 1)
small = st.integers(min_value=0, max_value=R.MAX_CHANNEL_DEPOSIT)


@st.composite
def sides(draw: st.DrawFn) -> tuple[R.Side, R.Side]:
    """Any two sides L1 could hold: deposits within the cap, withdrawals within deposits, any signed amounts."""
    d1, d2 = draw(small), draw(small)
    w_total = draw(st.integers(0, d1 + d2))
    w1 = draw(st.integers(0, w_total))
    w2 = w_total - w1
    return (R.Side(d1, w1, draw(amounts), draw(amounts)), R.Side(d2, w2, draw(amounts), draw(amounts)))


@given(sides())
def test_settlement_never_goes_negative_and_always_adds_up_to_the_deposits(pair: tuple[R.Side, R.Side]) -> None:
    one, two = pair
    split = R.settle_amounts(one, two)
    total = one.deposit + two.deposit - one.withdrawn - two.withdrawn
    assert all(0 <= part <= total for part in split)
    assert sum(split) == total
    # Then unlocking splits each side's kept locks without creating or losing any wei.
    for kept in (split.locked1, split.locked2):
        unlocked = R.unlock_amounts([R.Lock(kept, 10, 120, bytes(32)), R.Lock(1, 10, 120, b"\x01" * 32)], kept,
                                    lambda h: R.Reveal(5, 60) if h == bytes(32) else R.NEVER_REVEALED)
        assert min(unlocked) >= 0 and sum(unlocked) == kept


@given(sides(), amounts)
def test_a_newer_proof_of_the_partner_never_hurts_its_holder(pair: tuple[R.Side, R.Side], more: int) -> None:
    """Alice gets at least as much when the proof of Bob's payments she presents is a later one."""
    one, two = pair
    later = R.Side(two.deposit, two.withdrawn, min(two.transferred + more, 2**256 - 1), two.locked)
    before, after = R.settle_amounts(one, two), R.settle_amounts(one, later)
    assert after.amount1 + after.locked1 >= before.amount1 + before.locked1


@st.composite
def honest_histories(draw: st.DrawFn) -> tuple[list[R.Side], list[int]]:
    """Two honest peers paying, locking and withdrawing, each step checked by the rules a receiver runs.

    Returns the final sides and each side's balance as the peers themselves
    keep it (what it may spend, its locks aside).
    """
    deposits = [draw(st.integers(0, 10**21)), draw(st.integers(0, 10**21))]
    state = [R.Side(deposits[0]), R.Side(deposits[1])]
    for _ in range(draw(st.integers(0, 25))):
        i = draw(st.integers(0, 1))
        own, other = state[i], state[1 - i]
        room = R.distributable(own, other)
        amount = draw(st.integers(0, room))
        kind = draw(st.sampled_from(["pay", "lock", "unlock", "withdraw"]))
        if kind == "pay":
            new = R.BalanceProof(1, CHAIN, ADJUDICATOR, 1, own.transferred + amount, own.locked,
                                 R.EMPTY_LOCKSROOT)
            R.check_within_deposit(own, other, new)
            state[i] = R.Side(own.deposit, own.withdrawn, new.transferred_amount, own.locked)
        elif kind == "lock":
            new = R.BalanceProof(1, CHAIN, ADJUDICATOR, 1, own.transferred, own.locked + amount, R.EMPTY_LOCKSROOT)
            R.check_within_deposit(own, other, new)
            state[i] = R.Side(own.deposit, own.withdrawn, own.transferred, own.locked + amount)
        elif kind == "unlock":  # a pending lock's secret arrived: the lock becomes a transfer
            moved = draw(st.integers(0, own.locked))
            state[i] = R.Side(own.deposit, own.withdrawn, own.transferred + moved, own.locked - moved)
        elif amount:
            R.withdraw_amount(own, other, own.withdrawn + amount, expiration=2, block_number=1)
            state[i] = R.Side(own.deposit, own.withdrawn + amount, own.transferred, own.locked)
    balances = [R.distributable(state[0], state[1]), R.distributable(state[1], state[0])]
    return state, balances


@given(honest_histories())
def test_honest_peers_settle_to_exactly_their_balances(history: tuple[list[R.Side], list[int]]) -> None:
    (one, two), (balance1, balance2) = history
    split = R.settle_amounts(one, two)
    assert (split.amount1, split.amount2) == (balance1, balance2)
    assert (split.locked1, split.locked2) == (one.locked, two.locked)
    # And cooperatively, the same split (locks counted back to their senders) is what both would sign.
    R.check_cooperative_settle(one, two, balance1 + one.locked, balance2 + two.locked, expiration=2, block_number=1)


# -- presets ------------------------------------------------------------------------------------------


def test_presets() -> None:
    assert get_preset("minimal") is MINIMAL and get_preset("mainnet") is MAINNET
    assert MAINNET.max_locks == 160 and MINIMAL.settle_seconds(10) == 120
    assert MINIMAL.constructor_args("0x" + "11" * 20)[1:] == (10, 200, 160)
    with pytest.raises(ValueError, match="unknown preset"):
        get_preset("nope")
    with pytest.raises(ValueError, match="reveal timeout"):
        ChannelPreset("bad", 10, 20, 10, reveal_timeout=6)
    with pytest.raises(ValueError, match="max_locks"):
        ChannelPreset("bad", 10, 20, 10, reveal_timeout=1, max_locks=161)
    with pytest.raises(ValueError, match="settle_timeout_min"):
        ChannelPreset("bad", 30, 20, 25, reveal_timeout=1)


# -- the hot path's forms of the rules give the same answers ---------------------------------------------------


class _Int(int):
    """An int subclass: accepted as an amount, like any int but a bool."""


def _fields_refusal(p: R.BalanceProof) -> str:
    """What check_proof_fields says of ``p``, check by check as the rule reads ("" when it passes)."""
    try:
        for value, what, limit in ((p.channel_identifier, "channel identifier", R.UINT256_MAX),
                                   (p.chain_id, "chain id", R.UINT256_MAX), (p.nonce, "nonce", R.MAX_NONCE),
                                   (p.transferred_amount, "transferred amount", R.UINT256_MAX),
                                   (p.locked_amount, "locked amount", R.UINT256_MAX)):
            R.check_uint(value, what, limit)
    except R.ChannelRuleError as exc:
        return str(exc)
    if not isinstance(p.locksroot, bytes) or len(p.locksroot) != 32:
        return "bad locksroot: a locksroot is 32 bytes"
    if p.nonce == 0 and (p.transferred_amount or p.locked_amount or p.locksroot != R.EMPTY_LOCKSROOT):
        return "bad empty proof: a proof with nonce 0 sends nothing and locks nothing"
    return ""


field_values = st.one_of(st.integers(-2, 3), st.integers(2**64 - 2, 2**64 + 1), st.integers(2**256 - 2, 2**256),
                         st.booleans(), st.integers(0, 5).map(_Int), st.just("1"))
roots = st.one_of(st.just(R.EMPTY_LOCKSROOT), st.binary(min_size=31, max_size=33), st.just("00" * 32))


@given(field_values, field_values, field_values, field_values, field_values, roots)
def test_the_proof_field_checks_answer_as_the_rule_reads(cid, chain, nonce, transferred, locked, root) -> None:
    p = R.BalanceProof(cid, chain, ADJUDICATOR, nonce, transferred, locked, root)
    expected = _fields_refusal(p)
    try:
        R.check_proof_fields(p)
        said = ""
    except R.ChannelRuleError as exc:
        said = str(exc)
    assert said == expected
    if not expected:
        R.check_proof_fields(p)  # marked: passes again at once


@given(sides(), amounts, amounts)
def test_the_side_value_forms_equal_the_side_forms(pair: tuple[R.Side, R.Side], sent: int, locked: int) -> None:
    own, partner = pair
    total = own.deposit + partner.deposit - own.withdrawn - partner.withdrawn
    gross = own.deposit - own.withdrawn + partner.transferred - own.transferred - own.locked
    assert R.distributable(own, partner) == min(max(gross, 0), total) == R.distributable_of(
        own.deposit, own.withdrawn, own.transferred, own.locked, partner.deposit, partner.withdrawn,
        partner.transferred)
    p = proof(transferred=sent, locked=locked)
    outcomes = []
    for check in (lambda: R.check_within_deposit(own, partner, p),
                  lambda: R.check_within_deposit_of(own.deposit, own.withdrawn, own.transferred, partner.transferred,
                                                    p)):
        try:
            check()
            outcomes.append("")
        except R.ChannelRuleError as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]
    limit = own.deposit - own.withdrawn + partner.transferred
    assert (outcomes[0] == "") == (sent >= own.transferred and sent + locked <= limit)


def test_a_known_lock_commitment_is_checked_as_the_locks_are() -> None:
    locks = [R.Lock(2, 10, 120, keccak256(b"a")), R.Lock(3, 11, 132, keccak256(b"b"))]
    root = R.compute_locksroot(locks)
    cases = [(proof(locked=5, locksroot=root), locks, 160), (proof(locked=5, locksroot=root), locks[:1], 160),
             (proof(locked=4, locksroot=root), locks, 160), (proof(locked=5, locksroot=root), locks, 1),
             (proof(), [], 160), (proof(locked=1), [], 160), (proof(locksroot=root), [], 160)]
    for p, held, cap in cases:
        said = []
        for check in (lambda p=p, held=held, cap=cap: R.check_pending_locks(p, held, cap),
                      lambda p=p, held=held, cap=cap: R.check_lock_commitment(
                          p, len(held), R.compute_locksroot(held), R.locked_amount_of(held), cap)):
            try:
                check()
                said.append("")
            except R.ChannelRuleError as exc:
                said.append(str(exc))
        assert said[0] == said[1], (p, held, cap)
    assert R.compute_locksroot(()) == R.EMPTY_LOCKSROOT and R.locked_amount_of(()) == 0


def test_a_proof_built_by_its_own_init_is_the_frozen_dataclass_it_was() -> None:
    import dataclasses

    p = proof(nonce=3, transferred=7)
    assert dataclasses.astuple(p) == (1, CHAIN, ADJUDICATOR, 3, 7, 0, R.EMPTY_LOCKSROOT)
    assert p == R.BalanceProof(channel_identifier=1, chain_id=CHAIN, adjudicator=ADJUDICATOR, nonce=3,
                               transferred_amount=7, locked_amount=0, locksroot=R.EMPTY_LOCKSROOT)
    assert hash(p) == hash(proof(nonce=3, transferred=7)) and dataclasses.replace(p, nonce=4).nonce == 4
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.nonce = 5  # type: ignore[misc]
    with pytest.raises(TypeError):
        R.BalanceProof(1, CHAIN, ADJUDICATOR, 3, 7, 0)  # type: ignore[call-arg]
    assert p.struct_hash() == keccak256(R.BALANCE_PROOF_TYPEHASH + b"".join(
        v.to_bytes(32, "big") for v in (1, 3, 7, 0)) + R.EMPTY_LOCKSROOT)
