"""Well-known development accounts, funded at genesis.

The keys come from the public mnemonic every Ethereum dev node uses, so the
addresses match what anvil and hardhat print and wallets or scripts written
for them work here unchanged. Anyone can derive these keys: they exist for a
local lab and must never hold real funds.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_account import Account

DEV_MNEMONIC = "test test test test test test test test test test test junk"
# BIP-44 path for Ethereum (coin type 60); the last index picks the account.
DEV_PATH_TEMPLATE = "m/44'/60'/0'/0/{index}"
DEFAULT_ACCOUNT_COUNT = 10
DEFAULT_BALANCE_ETH = 10_000
WEI_PER_ETH = 10**18
# Deriving is cheap but not free; far more than any lab needs is a typo.
MAX_ACCOUNT_COUNT = 1000

PUBLIC_KEYS_WARNING = (
    "WARNING: these accounts and their private keys are publicly known. "
    "Never send real funds to them: anything sent on a real network will be stolen."
)


@dataclass(frozen=True)
class DevAccount:
    """One funded development account: its index on the path, address and key."""

    index: int
    address: str  # EIP-55 checksummed
    private_key: bytes

    @property
    def private_key_hex(self) -> str:
        return "0x" + self.private_key.hex()


def derive_dev_accounts(
    count: int = DEFAULT_ACCOUNT_COUNT, mnemonic: str = DEV_MNEMONIC
) -> list[DevAccount]:
    """Derive the first ``count`` accounts of ``mnemonic`` on the Ethereum BIP-44 path."""
    if isinstance(count, bool) or not isinstance(count, int):
        raise TypeError(f"account count must be an int, got {type(count).__name__}")
    if not 0 <= count <= MAX_ACCOUNT_COUNT:
        raise ValueError(f"account count must be between 0 and {MAX_ACCOUNT_COUNT}, got {count}")
    return [derive_dev_account(index, mnemonic) for index in range(count)]


def derive_dev_account(index: int, mnemonic: str = DEV_MNEMONIC) -> DevAccount:
    """The account at ``index`` on the Ethereum BIP-44 path of ``mnemonic``."""
    # eth-account gates HD derivation behind this switch; it only enables the API.
    Account.enable_unaudited_hdwallet_features()
    acct = Account.from_mnemonic(mnemonic, account_path=DEV_PATH_TEMPLATE.format(index=index))
    return DevAccount(index=index, address=acct.address, private_key=bytes(acct.key))


def eth_to_wei(eth: int | float | str) -> int:
    """Convert an ETH amount (as typed on a command line) to wei, exactly for decimals."""
    from decimal import Decimal, InvalidOperation

    try:
        amount = Decimal(str(eth))
    except InvalidOperation:
        raise ValueError(f"balance must be a number of ETH, got {eth!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"balance must be a non-negative number of ETH, got {eth!r}")
    wei = amount * WEI_PER_ETH
    if wei != wei.to_integral_value():
        raise ValueError(f"balance {eth!r} ETH is not a whole number of wei")
    return int(wei)


def genesis_alloc(
    accounts: list[DevAccount], balance_wei: int = DEFAULT_BALANCE_ETH * WEI_PER_ETH
) -> dict[str, int]:
    """The genesis allocation giving each account ``balance_wei``."""
    if balance_wei < 0:
        raise ValueError(f"balance must be non-negative, got {balance_wei}")
    return {a.address: balance_wei for a in accounts}


def dev_keys(accounts: list[DevAccount]) -> dict[str, bytes]:
    """Address → private key, the shape the RPC dispatcher takes for eth_sendTransaction."""
    return {a.address: a.private_key for a in accounts}
