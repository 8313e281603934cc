"""The node's HTTP face: dev accounts, JSON-RPC at ``/`` and the REST API."""

from __future__ import annotations

import pytest

from node.devaccounts import (
    DEFAULT_BALANCE_ETH,
    WEI_PER_ETH,
    derive_dev_accounts,
    dev_keys,
    eth_to_wei,
    genesis_alloc,
)

# --------------------------------------------------------------------------- dev accounts

# What anvil and hardhat print for the standard test mnemonic.
ANVIL_ACCOUNT_0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
ANVIL_KEY_0 = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
ANVIL_ACCOUNT_9 = "0xa0Ee7A142d267C1f36714E4a8F75612F20a79720"


def test_dev_accounts_match_anvil_and_hardhat():
    accounts = derive_dev_accounts()
    assert len(accounts) == 10
    assert accounts[0].address == ANVIL_ACCOUNT_0
    assert accounts[0].private_key_hex == ANVIL_KEY_0
    assert accounts[9].address == ANVIL_ACCOUNT_9
    assert [a.index for a in accounts] == list(range(10))
    assert len({a.address for a in accounts}) == 10


def test_dev_key_signs_for_its_address():
    from eth_account import Account

    for acct in derive_dev_accounts(3):
        assert Account.from_key(acct.private_key).address == acct.address


def test_genesis_alloc_and_keys():
    accounts = derive_dev_accounts(2)
    alloc = genesis_alloc(accounts)
    assert alloc == {a.address: DEFAULT_BALANCE_ETH * WEI_PER_ETH for a in accounts}
    assert dev_keys(accounts)[ANVIL_ACCOUNT_0].hex() == ANVIL_KEY_0[2:]
    assert genesis_alloc(accounts, 5) == {a.address: 5 for a in accounts}


@pytest.mark.parametrize("count", [-1, 1001])
def test_dev_account_count_out_of_range(count):
    with pytest.raises(ValueError, match="account count"):
        derive_dev_accounts(count)


def test_dev_account_count_wrong_type():
    with pytest.raises(TypeError, match="account count must be an int"):
        derive_dev_accounts("3")  # type: ignore[arg-type]


def test_eth_to_wei_is_exact():
    assert eth_to_wei("10000") == 10_000 * 10**18
    assert eth_to_wei("0.000000000000000001") == 1
    assert eth_to_wei(1.5) == 15 * 10**17
    assert eth_to_wei(0) == 0


@pytest.mark.parametrize("bad", ["-1", "abc", "nan", "inf", "0.0000000000000000001"])
def test_eth_to_wei_rejects_bad_amounts(bad):
    with pytest.raises(ValueError, match="balance"):
        eth_to_wei(bad)


def test_negative_genesis_balance_rejected():
    with pytest.raises(ValueError, match="non-negative"):
        genesis_alloc(derive_dev_accounts(1), -1)
