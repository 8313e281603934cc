"""Ethereum's gas schedule, the part l2lab's L1 charges for, and the EIP-1559 base-fee rule.

Every constant names the EIP it comes from, at the prices current mainnet
charges (Berlin/London/Shanghai rules). What an EVM would charge per opcode
for plain computation, and for memory expansion, is *not* modelled: a Python
contract method pays only for what it touches (storage, hashing, signature
checks, curve operations, logs, calls), which is where an L1 contract's cost
lives anyway.
"""

from __future__ import annotations

from collections.abc import Iterable

# --- transactions -----------------------------------------------------------
G_TX = 21_000  # every transaction (Yellow Paper, Frontier)
G_TXCREATE = 32_000  # extra for a contract creation (EIP-2, Homestead)
G_TXDATA_ZERO = 4  # per zero calldata byte (Yellow Paper)
G_TXDATA_NONZERO = 16  # per non-zero calldata byte (EIP-2028, Istanbul)
G_CODEDEPOSIT = 200  # per byte of deployed code (Yellow Paper)
G_ACCESS_LIST_ADDRESS = 2_400  # per access-list address (EIP-2930)
G_ACCESS_LIST_STORAGE_KEY = 1_900  # per access-list storage key (EIP-2930)

# --- state access (EIP-2929, Berlin) ---------------------------------------
G_COLD_SLOAD = 2_100  # first read of a slot in a transaction
G_WARM_ACCESS = 100  # any later read of a slot or account
G_COLD_ACCOUNT_ACCESS = 2_600  # first touch of an account (BALANCE, CALL...)

# --- SSTORE (EIP-2200 structure with EIP-2929 costs, EIP-3529 refunds) ------
G_SSTORE_SET = 20_000  # zero -> non-zero on a clean slot
G_SSTORE_RESET = 5_000 - G_COLD_SLOAD  # 2900: non-zero -> other on a clean slot
G_SSTORE_NOOP = G_WARM_ACCESS  # 100: value unchanged, or slot already dirty
G_CALL_STIPEND = 2_300  # SSTORE fails if no more than this is left (EIP-2200 sentry)
R_SSTORE_CLEAR = 4_800  # refund for clearing a slot (EIP-3529: 5000 - 2100 + 1900)
MAX_REFUND_QUOTIENT = 5  # refund capped at gas_used // 5 (EIP-3529)

# --- hashing and precompiles ------------------------------------------------
G_KECCAK = 30  # KECCAK256 base (Yellow Paper)
G_KECCAK_WORD = 6  # per 32-byte word hashed
G_ECRECOVER = 3_000  # precompile 0x01 (Yellow Paper)
G_BN254_ADD = 150  # precompile 0x06 (EIP-196 at EIP-1108 price)
G_BN254_MUL = 6_000  # precompile 0x07 (EIP-196 at EIP-1108 price)
G_BN254_PAIRING_BASE = 45_000  # precompile 0x08 (EIP-197 at EIP-1108 price)
G_BN254_PAIRING_PER_PAIR = 34_000  # per (G1, G2) pair
G_SHA256 = 60  # precompile 0x02 (Yellow Paper)
G_SHA256_WORD = 12  # per 32-byte word hashed
# Poseidon has no precompile: these are what a contract pays to hash with the published
# poseidon-solidity library (github.com/chancehudson/poseidon-solidity, README "Hash cost"),
# by number of inputs (its PoseidonT2 .. PoseidonT6).
POSEIDON_GAS = {1: 13_488, 2: 21_124, 3: 37_643, 4: 54_352, 5: 74_065}
# Checking an L2 key registration on L1 (contracts_spec/zk/keys.py): the curve equation for
# P (7 MULMOD/ADDMOD), three projective twisted-Edwards doublings (13 field operations each),
# the affine conversion (3 field operations and one inversion), and the inversion as a
# MODEXP call with a 32-byte base, modulus and 254-bit exponent (EIP-2565: 16 * 253 / 3 =
# 1,349) after a 100-gas warm STATICCALL. A field operation is a MULMOD or ADDMOD (8 gas)
# with the stack and memory work around it: 44 gas, as the Solidity twin measures it
# (contracts_spec/evm/ZkRollup.sol: 3,628 gas for the whole check on anvil).
BABYJUB_FIELD_OP = 44
BABYJUB_REGISTRATION_GAS = (7 + 3 * 13 + 3) * BABYJUB_FIELD_OP + 1_349 + 100

# --- EIP-1559 fee market ------------------------------------------------------
ELASTICITY = 2  # target gas per block = gas limit / 2
BASE_FEE_CHANGE_DENOMINATOR = 8  # base fee moves at most 1/8 per block

# --- logs and calls ---------------------------------------------------------
G_LOG = 375  # LOG0..LOG4 base (Yellow Paper)
G_LOG_TOPIC = 375  # per topic
G_LOG_DATA = 8  # per data byte
G_CALL_VALUE = 9_000  # CALL that moves ETH (Yellow Paper)
G_NEW_ACCOUNT = 25_000  # CALL with value to an empty account (EIP-161)


def _words(n_bytes: int) -> int:
    """Number of 32-byte words covering ``n_bytes`` (rounded up)."""
    return (n_bytes + 31) // 32


def calldata_gas(data: bytes) -> int:
    """Calldata cost: 16 per non-zero byte, 4 per zero byte (EIP-2028)."""
    zeros = data.count(0)
    return zeros * G_TXDATA_ZERO + (len(data) - zeros) * G_TXDATA_NONZERO


def access_list_gas(access_list: Iterable) -> int:
    """EIP-2930 cost of an access list of ``(address, [slots...])`` entries."""
    total = 0
    for entry in access_list:
        _address, slots = entry
        total += G_ACCESS_LIST_ADDRESS + G_ACCESS_LIST_STORAGE_KEY * len(slots)
    return total


def intrinsic_gas(data: bytes, is_create: bool, access_list: Iterable = ()) -> int:
    """Gas charged before any execution: base, creation, calldata, access list."""
    gas = G_TX + calldata_gas(data) + access_list_gas(access_list)
    if is_create:
        gas += G_TXCREATE
    return gas


def keccak_gas(n_bytes: int) -> int:
    """KECCAK256 of ``n_bytes``: 30 + 6 per word."""
    if n_bytes < 0:
        raise ValueError(f"keccak_gas: negative length {n_bytes}")
    return G_KECCAK + G_KECCAK_WORD * _words(n_bytes)


def log_gas(n_topics: int, n_bytes: int) -> int:
    """LOGn: 375 + 375 per topic + 8 per data byte (memory expansion not modelled)."""
    if not 0 <= n_topics <= 4:
        raise ValueError(f"log_gas: a log has 0..4 topics, not {n_topics}")
    if n_bytes < 0:
        raise ValueError(f"log_gas: negative length {n_bytes}")
    return G_LOG + G_LOG_TOPIC * n_topics + G_LOG_DATA * n_bytes


def code_deposit_gas(code: bytes) -> int:
    """Cost of storing deployed code: 200 per byte."""
    return G_CODEDEPOSIT * len(code)


def sha256_gas(n_bytes: int) -> int:
    """SHA-256 precompile: 60 + 12 per word."""
    return G_SHA256 + G_SHA256_WORD * _words(n_bytes)


def poseidon_gas(n_inputs: int) -> int:
    """One Poseidon hash of ``n_inputs`` field elements in a contract (POSEIDON_GAS)."""
    try:
        return POSEIDON_GAS[n_inputs]
    except KeyError:
        raise ValueError(f"no published EVM gas figure for Poseidon of {n_inputs} inputs") from None


def pairing_gas(n_pairs: int) -> int:
    """BN254 pairing check over ``n_pairs`` pairs (EIP-197 at EIP-1108 prices)."""
    return G_BN254_PAIRING_BASE + G_BN254_PAIRING_PER_PAIR * n_pairs


def sstore_cost(original: int, current: int, new: int) -> tuple[int, int]:
    """(gas, refund delta) of an SSTORE on a warm slot, per EIP-2200 with EIP-2929/3529.

    ``original`` is the slot's value when the transaction began, ``current``
    its value now. The cold-slot surcharge (2100) is added by the caller.
    """
    if current == new:
        return G_SSTORE_NOOP, 0
    if original == current:  # clean slot: first write in this transaction
        if original == 0:
            return G_SSTORE_SET, 0
        return G_SSTORE_RESET, (R_SSTORE_CLEAR if new == 0 else 0)
    refund = 0  # dirty slot: cheap, but undo refunds that no longer hold
    if original != 0:
        if current == 0:
            refund -= R_SSTORE_CLEAR
        if new == 0:
            refund += R_SSTORE_CLEAR
    if original == new:  # restored to the original value
        if original == 0:
            refund += G_SSTORE_SET - G_WARM_ACCESS
        else:
            refund += G_SSTORE_RESET - G_WARM_ACCESS
    return G_SSTORE_NOOP, refund


def capped_refund(refund: int, gas_used: int) -> int:
    """Refund actually returned: at most gas_used // 5 (EIP-3529)."""
    return max(0, min(refund, gas_used // MAX_REFUND_QUOTIENT))


def next_base_fee(parent_base_fee: int, parent_gas_used: int, parent_gas_limit: int) -> int:
    """EIP-1559: raise or lower the base fee by up to 1/8 toward a half-full block."""
    target = parent_gas_limit // ELASTICITY
    if target == 0 or parent_gas_used == target:
        return parent_base_fee
    if parent_gas_used > target:
        delta = parent_base_fee * (parent_gas_used - target) // target // BASE_FEE_CHANGE_DENOMINATOR
        return parent_base_fee + max(delta, 1)
    delta = parent_base_fee * (target - parent_gas_used) // target // BASE_FEE_CHANGE_DENOMINATOR
    return parent_base_fee - delta
