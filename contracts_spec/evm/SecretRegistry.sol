// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// The twin of contracts_spec/channels/contract.py's SecretRegistry: the L1 block and timestamp at which each
/// secret was first revealed, one word per secret hash (block | timestamp << 64).
contract SecretRegistry {
    event SecretRevealed(bytes32 indexed secrethash, bytes32 secret);

    mapping(bytes32 => uint256) private revealedAt;

    function register_secret(bytes32 secret) external returns (bool) {
        require(secret != bytes32(0), "zero secret: its hash has a known preimage, so no lock may use it");
        bytes32 secrethash = keccak256(abi.encodePacked(secret));
        uint256 at = revealedAt[secrethash];
        if (at != 0) revert(string.concat("secret already registered: at block ", decimal(at & type(uint64).max)));
        revealedAt[secrethash] = block.number | (block.timestamp << 64);
        emit SecretRevealed(secrethash, secret);
        return true;
    }

    function decimal(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory out = new bytes(78);
        uint256 i = 78;
        while (v != 0) {
            out[--i] = bytes1(uint8(48 + v % 10));
            v /= 10;
        }
        bytes memory trimmed = new bytes(78 - i);
        for (uint256 j = 0; j < trimmed.length; j++) trimmed[j] = out[i + j];
        return string(trimmed);
    }

    function get_secret_reveal_block_height(bytes32 secrethash) external view returns (uint256) {
        return revealedAt[secrethash] & type(uint64).max;
    }

    function get_secret_reveal(bytes32 secrethash) external view returns (uint256, uint256) {
        uint256 word = revealedAt[secrethash];
        return (word & type(uint64).max, word >> 64);
    }
}
