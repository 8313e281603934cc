// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// Shared by the channel twins (ChannelAdjudicator.sol, MonitoringService.sol): refusal numbers, signature
/// recovery, and the payout no recipient can refuse.
/// Decimal numbers for refusal messages, and the signature check of the Python runtime's ecrecover
/// (65 bytes, v 27 or 28, low s; anything else recovers no one).
library ChannelText {
    uint256 internal constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;

    function u(uint256 v) internal pure returns (string memory out) {
        assembly ("memory-safe") {
            let end := add(mload(0x40), 128)
            let p := end
            let q := 0
            for {} 1 {} {
                p := sub(p, 2)
                q := mod(v, 100)
                mstore8(p, add(48, div(q, 10)))
                mstore8(add(p, 1), add(48, mod(q, 10)))
                v := div(v, 100)
                if iszero(v) { break }
            }
            if lt(q, 10) { p := add(p, 1) }
            out := sub(p, 32)
            mstore(out, sub(end, p))
            mstore(0x40, end)
        }
    }

    /// The signer of ``digest``, or the zero address where the Python runtime's ecrecover gives None.
    function recover(bytes32 digest, bytes calldata sig) internal view returns (address signer) {
        if (sig.length != 65) return address(0);
        assembly ("memory-safe") {
            let r := calldataload(sig.offset)
            let s := calldataload(add(sig.offset, 32))
            let v := byte(0, calldataload(add(sig.offset, 64)))
            if and(or(eq(v, 27), eq(v, 28)), iszero(gt(s, HALF_N))) {
                let p := mload(0x40)
                mstore(p, digest)
                mstore(add(p, 32), v)
                mstore(add(p, 64), r)
                mstore(add(p, 96), s)
                mstore(0, 0)
                if staticcall(gas(), 1, p, 128, 0, 32) { signer := mload(0) }
            }
        }
    }

    /// Send ETH as the Python runtime's transfer does: it always arrives, and the recipient's code does not
    /// decide. A call with the value stipend alone; a recipient that refuses it gets it through a one-shot
    /// contract that self-destructs to it (PUSH20 to, SELFDESTRUCT), so no one can block a settlement.
    /// Nothing to send still touches the recipient's account, as the Python transfer charges (BALANCE).
    function pay(address to, uint256 amount) internal {
        if (amount == 0) {
            assembly ("memory-safe") { if eq(balance(to), not(0)) { invalid() } }
            return;
        }
        (bool ok,) = payable(to).call{value: amount, gas: 0}("");
        if (!ok) {
            bytes memory initCode = abi.encodePacked(hex"73", to, hex"ff");
            address made;
            assembly ("memory-safe") { made := create(amount, add(initCode, 32), mload(initCode)) }
            require(made != address(0), "transfer failed: the ETH could not be sent");
        }
    }
}
