// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ChannelText} from "./lib/ChannelText.sol";

/// The SecretRegistry twin's view the adjudicator asks, once per lock, when it unlocks.
interface ISecretRegistry {
    function get_secret_reveal(bytes32 secrethash) external view returns (uint256, uint256);
}

/// The twin of contracts_spec/channels/contract.py's ChannelAdjudicator, with the rules it runs from
/// contracts_spec/channels/rules.py (EIP-712 digests, balance_hash, check_balance_proof, settle_amounts,
/// decode_locks, check_unlockable, unlock_amounts, withdraw_amount, check_cooperative_settle).
///
/// Storage, as the Python contract keeps it: the secret registry's address and the params word
/// (settle_timeout_min | settle_timeout_max << 64 | max_locks << 128) in a slot each; the channel counter;
/// channelOf[low][high], the pair's identifier; channelWord[id], one word: state | settle_timeout << 8 |
/// settle_block << 72 | settle_time << 136 | (closer is the lower address) << 200; per participant
/// sideWord[id][participant]: deposit | withdrawn << 96 | nonce << 192, and balanceHash[id][participant];
/// lockedOf[id][sender][receiver][locksroot] for what settlement kept for unlock. Settlement deletes the
/// channel's words. The EIP-712 domain separator is computed per call, as the Python contract hashes it.
/// ETH goes out by a call with no gas beyond the value stipend, forced in when the recipient refuses it.
/// Refusals carry the Python reasons' rule and static text and their numbers; the addresses they name are
/// left out (checksumming them in EVM code would cost more than the rest of a refused call).
contract ChannelAdjudicator {
    using ChannelText for uint256;

    event ChannelOpened(uint256 indexed channel_identifier, address indexed participant1,
                        address indexed participant2, uint256 settle_timeout);
    event ChannelNewDeposit(uint256 indexed channel_identifier, address indexed participant, uint256 total_deposit);
    event ChannelWithdraw(uint256 indexed channel_identifier, address indexed participant, uint256 total_withdraw);
    event ChannelClosed(uint256 indexed channel_identifier, address indexed closing_participant, uint256 nonce,
                        bytes32 balance_hash);
    event NonClosingBalanceProofUpdated(uint256 indexed channel_identifier, address indexed closing_participant,
                                        uint256 nonce, bytes32 balance_hash);
    event ChannelSettled(uint256 indexed channel_identifier, address participant1, uint256 participant1_amount,
                         bytes32 participant1_locksroot, address participant2, uint256 participant2_amount,
                         bytes32 participant2_locksroot);
    event ChannelUnlocked(uint256 indexed channel_identifier, address indexed receiver, address indexed sender,
                          bytes32 locksroot, uint256 unlocked_amount, uint256 returned_amount);

    uint256 private constant OPENED = 1;
    uint256 private constant CLOSED = 2;
    uint256 private constant MASK64 = (1 << 64) - 1;
    uint256 private constant MASK96 = (1 << 96) - 1;
    uint256 private constant MAX_CHANNEL_DEPOSIT = (1 << 96) - 1;
    uint256 private constant MAX_NONCE = (1 << 64) - 1;
    uint256 private constant MAX_LOCKS_PER_CHANNEL = 160;
    uint256 private constant SECONDS_PER_SLOT = 12;
    uint256 private constant LOCK_BYTES = 128;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("l2lab payment channels");
    bytes32 private constant VERSION_HASH = keccak256("1");
    bytes32 private constant BALANCE_PROOF_TYPEHASH = keccak256(
        "BalanceProof(uint256 channelIdentifier,uint256 nonce,uint256 transferredAmount,uint256 lockedAmount,"
        "bytes32 locksroot)");
    bytes32 private constant CLOSE_TYPEHASH = keccak256(
        "CloseChannel(BalanceProof partnerProof,bytes partnerSignature)BalanceProof(uint256 channelIdentifier,"
        "uint256 nonce,uint256 transferredAmount,uint256 lockedAmount,bytes32 locksroot)");
    bytes32 private constant UPDATE_TYPEHASH = keccak256(
        "UpdateBalanceProof(BalanceProof closerProof,bytes closerSignature)BalanceProof(uint256 channelIdentifier,"
        "uint256 nonce,uint256 transferredAmount,uint256 lockedAmount,bytes32 locksroot)");
    bytes32 private constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(uint256 channelIdentifier,address participant,uint256 totalWithdraw,uint256 expiration)");
    bytes32 private constant COOPERATIVE_SETTLE_TYPEHASH = keccak256(
        "CooperativeSettle(uint256 channelIdentifier,address participant1,uint256 balance1,address participant2,"
        "uint256 balance2,uint256 expiration)");

    // The verbs of the wrong-state refusal, by code.
    uint256 private constant V_DEPOSIT = 0;
    uint256 private constant V_WITHDRAW = 1;
    uint256 private constant V_COOPERATIVE = 2;
    uint256 private constant V_CLOSE = 3;
    uint256 private constant V_UPDATE = 4;
    uint256 private constant V_SETTLE = 5;

    address private registryAddress;
    uint256 private paramsWord;
    uint256 private counter;
    mapping(address => mapping(address => uint256)) private channelOf;
    mapping(uint256 => uint256) private channelWord;
    mapping(uint256 => mapping(address => uint256)) private sideWord;
    mapping(uint256 => mapping(address => bytes32)) private balanceHash;
    mapping(uint256 => mapping(address => mapping(address => mapping(bytes32 => uint256)))) private lockedOf;

    constructor(address secret_registry_, uint64 settle_timeout_min, uint64 settle_timeout_max, uint16 max_locks) {
        require(secret_registry_ != address(0), "bad secret registry: the zero address");
        if (!(0 < settle_timeout_min && settle_timeout_min <= settle_timeout_max)) {
            revert(string.concat("bad settle timeouts: ", uint256(settle_timeout_min).u(), "..",
                                 uint256(settle_timeout_max).u(), ", need 0 < min <= max"));
        }
        if (!(0 < max_locks && max_locks <= MAX_LOCKS_PER_CHANNEL)) {
            revert(string.concat("bad lock cap: ", uint256(max_locks).u(), " outside 1..160"));
        }
        registryAddress = secret_registry_;
        paramsWord = uint256(settle_timeout_min) | uint256(settle_timeout_max) << 64 | uint256(max_locks) << 128;
    }

    // -- helpers ------------------------------------------------------------------------------------

    function _ordered(address x, address y) private pure returns (address, address) {
        return x < y ? (x, y) : (y, x);
    }

    function _verb(uint256 code) private pure returns (string memory) {
        if (code == V_DEPOSIT) return "deposit";
        if (code == V_WITHDRAW) return "withdraw";
        if (code == V_COOPERATIVE) return "settle cooperatively";
        if (code == V_CLOSE) return "close";
        if (code == V_UPDATE) return "update a balance proof";
        return "settle";
    }

    function _stateName(uint256 state) private pure returns (string memory) {
        if (state == OPENED) return "open";
        if (state == CLOSED) return "closed";
        return "not open";
    }

    /// The channel word of ``x`` and ``y`` with this identifier, once it is in ``state``; else revert naming why.
    function _channel(uint256 id, address x, address y, uint256 state, uint256 verb) private view returns (uint256 word) {
        (address low, address high) = _ordered(x, y);
        if (id == 0 || channelOf[low][high] != id) {
            revert(string.concat("unknown channel: ", id.u(), " is not the channel of these participants ",
                                 "(never opened, already settled, or reopened under a new identifier)"));
        }
        word = channelWord[id];
        if (word & 0xff != state) {
            revert(string.concat("wrong channel state: channel ", id.u(), " is ", _stateName(word & 0xff),
                                 ", cannot ", _verb(verb)));
        }
    }

    function _windowOpen(uint256 word) private view returns (bool) {
        return block.number <= (word >> 72) & MASK64 || block.timestamp < (word >> 136) & MASK64;
    }

    /// keccak256(0x1901 || domain separator || structHash), the domain hashed afresh as the Python contract does.
    function _typed(bytes32 structHash) private view returns (bytes32 digest) {
        (bytes32 t, bytes32 n, bytes32 v) = (DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH);
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, t)
            mstore(add(p, 32), n)
            mstore(add(p, 64), v)
            mstore(add(p, 96), chainid())
            mstore(add(p, 128), address())
            let domain := keccak256(p, 160)
            mstore(p, shl(240, 0x1901))
            mstore(add(p, 2), domain)
            mstore(add(p, 34), structHash)
            digest := keccak256(p, 66)
        }
    }

    /// keccak256(typehash || proofHash || keccak256(signature)): the CloseChannel and UpdateBalanceProof structs.
    function _counterStruct(bytes32 typehash, bytes32 proofHash, bytes calldata sig) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, sig.offset, sig.length)
            let sigHash := keccak256(p, sig.length)
            mstore(p, typehash)
            mstore(add(p, 32), proofHash)
            mstore(add(p, 64), sigHash)
            h := keccak256(p, 96)
        }
    }

    function _recovered(bytes32 digest, bytes calldata sig, address expected, string memory what) private view {
        address signer = ChannelText.recover(digest, sig);
        if (signer == address(0) || signer != expected) {
            revert(string.concat("bad signature: the ", what, " signature is not the expected signer's"));
        }
    }

    /// hashStruct(BalanceProof).
    function _proofHash(uint256 id, uint256 nonce, uint256 transferred, uint256 locked, bytes32 locksroot)
        private pure returns (bytes32 h)
    {
        bytes32 t = BALANCE_PROOF_TYPEHASH;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, t)
            mstore(add(p, 32), id)
            mstore(add(p, 64), nonce)
            mstore(add(p, 96), transferred)
            mstore(add(p, 128), locked)
            mstore(add(p, 160), locksroot)
            h := keccak256(p, 192)
        }
    }

    /// rules.balance_hash: the empty proof's is zero.
    function _balanceHash(uint256 transferred, uint256 locked, bytes32 locksroot) private pure returns (bytes32 h) {
        if (transferred == 0 && locked == 0 && locksroot == bytes32(0)) return bytes32(0);
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, transferred)
            mstore(add(p, 32), locked)
            mstore(add(p, 64), locksroot)
            h := keccak256(p, 96)
        }
    }

    /// rules.check_proof_fields, for the fields a call presents (the others are this chain's and contract's).
    function _checkFields(uint256 nonce, uint256 transferred, uint256 locked, bytes32 locksroot) private pure {
        if (nonce > MAX_NONCE) {
            revert(string.concat("bad amount: nonce ", nonce.u(), " is outside 0..", MAX_NONCE.u()));
        }
        if (nonce == 0 && (transferred != 0 || locked != 0 || locksroot != bytes32(0))) {
            revert("bad empty proof: a proof with nonce 0 sends nothing and locks nothing");
        }
    }

    /// rules.check_balance_proof, the binding being this chain, contract and channel.
    function _checkProof(uint256 nonce, uint256 lastNonce, address signer, address sender) private pure {
        if (nonce <= lastNonce) {
            revert(string.concat("stale nonce: nonce ", nonce.u(), " is not above ", lastNonce.u()));
        }
        if (signer == address(0)) revert("bad signature: the signature does not recover");
        if (signer != sender) {
            revert("bad signature: signed by another key, not by the sender");
        }
    }

    /// rules.channel_total: both deposits less both withdrawals.
    function _total(uint256 one, uint256 two) private pure returns (uint256) {
        uint256 deposits = (one & MASK96) + (two & MASK96);
        uint256 withdrawn = (one >> 96 & MASK96) + (two >> 96 & MASK96);
        if (deposits < withdrawn) {
            revert(string.concat("withdrawn beyond deposits: ", withdrawn.u(), " withdrawn of ", deposits.u(),
                                 " deposited"));
        }
        unchecked { return deposits - withdrawn; }
    }

    /// min(max(deposit - withdrawn + received - sent, 0), total), for any received and sent.
    function _owed(uint256 word, uint256 received, uint256 sent, uint256 total) private pure returns (uint256) {
        unchecked {
            uint256 plus = word & MASK96;
            uint256 minus = word >> 96 & MASK96;
            if (received >= sent) {
                uint256 x = received - sent;
                if (x > total + minus) return total;
                plus += x;
            } else {
                uint256 y = sent - received;
                if (y >= plus) return 0;
                minus += y;
            }
            if (plus <= minus) return 0;
            uint256 v = plus - minus;
            return v < total ? v : total;
        }
    }

    // -- open, deposit, withdraw ----------------------------------------------------------------------

    function open_channel(address partner, uint256 settle_timeout) external returns (uint256) {
        require(partner != address(0), "bad partner: the zero address cannot sign");
        require(partner != msg.sender, "bad partner: a channel needs two participants");
        uint256 p = paramsWord;
        uint256 lowTimeout = p & MASK64;
        uint256 highTimeout = p >> 64 & MASK64;
        if (settle_timeout < lowTimeout || settle_timeout > highTimeout) {
            revert(string.concat("bad settle timeout: ", settle_timeout.u(), " outside ", lowTimeout.u(), "..",
                                 highTimeout.u(), " blocks"));
        }
        (address low, address high) = _ordered(msg.sender, partner);
        uint256 existing = channelOf[low][high];
        if (existing != 0) {
            revert(string.concat("one open channel per pair: channel ", existing.u(),
                                 " of these participants is not settled yet"));
        }
        uint256 id = counter + 1;
        counter = id;
        channelOf[low][high] = id;
        channelWord[id] = OPENED | settle_timeout << 8;
        emit ChannelOpened(id, msg.sender, partner, settle_timeout);
        return id;
    }

    function set_total_deposit(uint256 channel_identifier, address participant, address partner,
                               uint256 total_deposit) external payable {
        _channel(channel_identifier, participant, partner, OPENED, V_DEPOSIT);
        require(msg.value > 0, "zero deposit: send the wei to add");
        uint256 side = sideWord[channel_identifier][participant];
        uint256 deposit = side & MASK96;
        if (total_deposit != deposit + msg.value) {
            revert(string.concat("deposit total mismatch: the total only grows, by the value sent, and ", deposit.u(),
                                 " + ", msg.value.u(), " != ", total_deposit.u()));
        }
        uint256 other = sideWord[channel_identifier][partner] & MASK96;
        if (total_deposit + other > MAX_CHANNEL_DEPOSIT) {
            revert(string.concat("channel deposit cap: the channel may hold at most ", MAX_CHANNEL_DEPOSIT.u(), " wei"));
        }
        sideWord[channel_identifier][participant] = side & ~MASK96 | total_deposit;
        emit ChannelNewDeposit(channel_identifier, participant, total_deposit);
    }

    function set_total_withdraw(uint256 channel_identifier, address participant, address partner,
                                uint256 total_withdraw, uint256 expiration, bytes calldata participant_signature,
                                bytes calldata partner_signature) external {
        _channel(channel_identifier, participant, partner, OPENED, V_WITHDRAW);
        bytes32 digest = _typed(keccak256(abi.encode(WITHDRAW_TYPEHASH, channel_identifier, participant,
                                                     total_withdraw, expiration)));
        _recovered(digest, participant_signature, participant, "participant's withdraw");
        _recovered(digest, partner_signature, partner, "partner's withdraw");
        uint256 own = sideWord[channel_identifier][participant];
        uint256 other = sideWord[channel_identifier][partner];
        // rules.withdraw_amount
        if (block.number >= expiration) {
            revert(string.concat("withdraw expired: it expired at block ", expiration.u(), "; this is block ",
                                 block.number.u()));
        }
        uint256 withdrawn = own >> 96 & MASK96;
        if (total_withdraw <= withdrawn) {
            revert(string.concat("withdraw not increasing: total withdraw ", total_withdraw.u(),
                                 " is not above the ", withdrawn.u(), " already withdrawn"));
        }
        uint256 amount;
        unchecked { amount = total_withdraw - withdrawn; }
        uint256 total = _total(own, other);
        if (amount > total) {
            revert(string.concat("withdraw beyond deposits: withdrawing ", amount.u(), ", the channel holds ",
                                 total.u()));
        }
        sideWord[channel_identifier][participant] = own & ~(MASK96 << 96) | total_withdraw << 96;
        ChannelText.pay(participant, amount);
        emit ChannelWithdraw(channel_identifier, participant, total_withdraw);
    }

    function cooperative_settle(uint256 channel_identifier, address participant1, uint256 balance1,
                                address participant2, uint256 balance2, uint256 expiration,
                                bytes calldata signature1, bytes calldata signature2) external {
        _channel(channel_identifier, participant1, participant2, OPENED, V_COOPERATIVE);
        bytes32 digest = _typed(keccak256(abi.encode(COOPERATIVE_SETTLE_TYPEHASH, channel_identifier, participant1,
                                                     balance1, participant2, balance2, expiration)));
        _recovered(digest, signature1, participant1, "participant 1's settlement");
        _recovered(digest, signature2, participant2, "participant 2's settlement");
        uint256 one = sideWord[channel_identifier][participant1];
        uint256 two = sideWord[channel_identifier][participant2];
        // rules.check_cooperative_settle
        if (block.number >= expiration) {
            revert(string.concat("settlement expired: it expired at block ", expiration.u(), "; this is block ",
                                 block.number.u()));
        }
        uint256 total = _total(one, two);
        if (balance1 > total || balance2 != total - balance1) {
            revert(string.concat("balances do not match deposits: ", balance1.u(), " + ", balance2.u(), " != ",
                                 total.u(), " held for the channel"));
        }
        _delete(channel_identifier, participant1, participant2);
        ChannelText.pay(participant1, balance1);
        ChannelText.pay(participant2, balance2);
        emit ChannelSettled(channel_identifier, participant1, balance1, bytes32(0), participant2, balance2, bytes32(0));
    }

    // -- close and dispute ----------------------------------------------------------------------------

    function close_channel(uint256 channel_identifier, address closing_participant, address non_closing_participant,
                           uint256 nonce, uint256 transferred_amount, uint256 locked_amount, bytes32 locksroot,
                           bytes calldata non_closing_signature, bytes calldata closing_signature) external {
        uint256 word = _channel(channel_identifier, closing_participant, non_closing_participant, OPENED, V_CLOSE);
        _checkFields(nonce, transferred_amount, locked_amount, locksroot);
        bytes32 proofHash = _proofHash(channel_identifier, nonce, transferred_amount, locked_amount, locksroot);
        _recovered(_typed(_counterStruct(CLOSE_TYPEHASH, proofHash, non_closing_signature)), closing_signature,
                   closing_participant, "closing");
        if (nonce == 0) {
            require(non_closing_signature.length == 0,
                    "bad empty proof: the empty proof (nonce 0) carries no signature");
        } else {
            address signer = ChannelText.recover(_typed(proofHash), non_closing_signature);
            _checkProof(nonce, 0, signer, non_closing_participant);
            uint256 side = sideWord[channel_identifier][non_closing_participant];
            sideWord[channel_identifier][non_closing_participant] = side & ~(MASK64 << 192) | nonce << 192;
        }
        bytes32 stored = _balanceHash(transferred_amount, locked_amount, locksroot);
        if (stored != bytes32(0)) balanceHash[channel_identifier][non_closing_participant] = stored;
        uint256 timeout = word >> 8 & MASK64;
        channelWord[channel_identifier] = CLOSED | timeout << 8 | (block.number + timeout) << 72
            | (block.timestamp + timeout * SECONDS_PER_SLOT) << 136
            | (closing_participant < non_closing_participant ? uint256(1) : 0) << 200;
        emit ChannelClosed(channel_identifier, closing_participant, nonce, stored);
    }

    function update_non_closing_balance_proof(uint256 channel_identifier, address closing_participant,
                                              address non_closing_participant, uint256 nonce,
                                              uint256 transferred_amount, uint256 locked_amount, bytes32 locksroot,
                                              bytes calldata closing_signature,
                                              bytes calldata non_closing_signature) external {
        uint256 word = _channel(channel_identifier, closing_participant, non_closing_participant, CLOSED, V_UPDATE);
        if (!_windowOpen(word)) {
            revert(string.concat("settlement window over: channel ", channel_identifier.u(),
                                 "'s window ended at block ", (word >> 72 & MASK64).u()));
        }
        (address low, address high) = _ordered(closing_participant, non_closing_participant);
        address closer = (word >> 200) & 1 == 1 ? low : high;
        if (closer != closing_participant) {
            revert(string.concat("not the closer: the closing participant named did not close channel ",
                                 channel_identifier.u(), ", only the closer's proof can be updated"));
        }
        bytes32 proofHash = _proofHash(channel_identifier, nonce, transferred_amount, locked_amount, locksroot);
        uint256 side = sideWord[channel_identifier][closing_participant];
        address signer = ChannelText.recover(_typed(proofHash), closing_signature);
        _checkFields(nonce, transferred_amount, locked_amount, locksroot);
        _checkProof(nonce, side >> 192, signer, closing_participant);
        _recovered(_typed(_counterStruct(UPDATE_TYPEHASH, proofHash, closing_signature)), non_closing_signature,
                   non_closing_participant, "non-closing participant's update");
        sideWord[channel_identifier][closing_participant] = side & ~(MASK64 << 192) | nonce << 192;
        bytes32 stored = _balanceHash(transferred_amount, locked_amount, locksroot);
        balanceHash[channel_identifier][closing_participant] = stored;
        emit NonClosingBalanceProofUpdated(channel_identifier, closing_participant, nonce, stored);
    }

    // -- settle and unlock ----------------------------------------------------------------------------

    function _checkHeld(uint256 id, address who, uint256 transferred, uint256 locked, bytes32 locksroot,
                        string memory which) private view {
        if (_balanceHash(transferred, locked, locksroot) != balanceHash[id][who]) {
            revert(string.concat("balance hash mismatch: ", which, "'s amounts and locksroot are not those of ",
                                 "its balance proof on L1"));
        }
    }

    function settle_channel(uint256 channel_identifier, address participant1, uint256 transferred1, uint256 locked1,
                            bytes32 locksroot1, address participant2, uint256 transferred2, uint256 locked2,
                            bytes32 locksroot2) external {
        uint256 word = _channel(channel_identifier, participant1, participant2, CLOSED, V_SETTLE);
        if (_windowOpen(word)) {
            revert(string.concat("settlement window open: channel ", channel_identifier.u(), " settles after block ",
                                 (word >> 72 & MASK64).u(), " and time ", (word >> 136 & MASK64).u()));
        }
        _checkHeld(channel_identifier, participant1, transferred1, locked1, locksroot1, "participant 1");
        _checkHeld(channel_identifier, participant2, transferred2, locked2, locksroot2, "participant 2");
        uint256 amount1;
        uint256 amount2;
        {
            // rules.settle_amounts
            uint256 one = sideWord[channel_identifier][participant1];
            uint256 two = sideWord[channel_identifier][participant2];
            uint256 total = _total(one, two);
            uint256 owed1 = _owed(one, transferred2, transferred1, total);
            uint256 owed2 = total - owed1;
            uint256 kept1 = locked1 < owed1 ? locked1 : owed1;
            uint256 kept2 = locked2 < owed2 ? locked2 : owed2;
            amount1 = owed1 - kept1;
            amount2 = owed2 - kept2;
            _delete(channel_identifier, participant1, participant2);
            // Locks with no locksroot can never be unlocked: they go back to their sender now.
            if (kept1 != 0 && locksroot1 != bytes32(0)) {
                lockedOf[channel_identifier][participant1][participant2][locksroot1] = kept1;
            } else {
                amount1 += kept1;
            }
            if (kept2 != 0 && locksroot2 != bytes32(0)) {
                lockedOf[channel_identifier][participant2][participant1][locksroot2] = kept2;
            } else {
                amount2 += kept2;
            }
        }
        ChannelText.pay(participant1, amount1);
        ChannelText.pay(participant2, amount2);
        emit ChannelSettled(channel_identifier, participant1, amount1, locksroot1, participant2, amount2, locksroot2);
    }

    /// Forget a finished channel, so the pair may open a new one (and L1 refunds the slots).
    function _delete(uint256 id, address participant1, address participant2) private {
        (address low, address high) = _ordered(participant1, participant2);
        channelOf[low][high] = 0;
        channelWord[id] = 0;
        sideWord[id][participant1] = 0;
        if (balanceHash[id][participant1] != bytes32(0)) balanceHash[id][participant1] = bytes32(0);
        sideWord[id][participant2] = 0;
        if (balanceHash[id][participant2] != bytes32(0)) balanceHash[id][participant2] = bytes32(0);
    }

    function unlock(uint256 channel_identifier, address receiver, address sender, bytes calldata locks) external {
        uint256 maxLocks = paramsWord >> 128;
        // rules.decode_locks
        if (locks.length % LOCK_BYTES != 0) {
            revert(string.concat("bad locks: ", locks.length.u(), " bytes is not a whole number of 128-byte locks"));
        }
        uint256 count = locks.length / LOCK_BYTES;
        if (count > maxLocks) {
            revert(string.concat("too many locks: ", count.u(), " locks, at most ", maxLocks.u()));
        }
        require(count != 0, "no locks: send the pending locks the sender's locksroot commits to");
        bytes32 locksroot = keccak256(locks);
        uint256 retained = lockedOf[channel_identifier][sender][receiver][locksroot];
        if (retained == 0) {
            (address low, address high) = _ordered(sender, receiver);
            if (channelOf[low][high] == channel_identifier && channel_identifier != 0) {
                revert(string.concat("channel ", channel_identifier.u(),
                                     " is not settled yet: locks unlock after settlement"));
            }
            revert(string.concat("nothing to unlock: no locks of the sender to the receiver with this locksroot ",
                                 "await unlock in channel ", channel_identifier.u(),
                                 " (never pending, or already unlocked)"));
        }
        ISecretRegistry registry = ISecretRegistry(registryAddress);
        // rules.check_unlockable and rules.unlock_amounts in one pass: one registry call per lock; the first
        // lock neither claimed nor expired is named; the receiver's claims are kept within what was retained.
        uint256 claimed;
        uint256 pending = type(uint256).max;
        for (uint256 i; i < count; ++i) {
            uint256 at = i * LOCK_BYTES;
            uint256 expiration = uint256(bytes32(locks[at:at + 32]));
            uint256 expirationTime = uint256(bytes32(locks[at + 32:at + 64]));
            (uint256 revealBlock, uint256 revealTime) = registry.get_secret_reveal(bytes32(locks[at + 96:at + 128]));
            // rules.is_unlocked: registered (block > 0) before the lock expired.
            if (revealBlock > 0 && !(revealBlock > expiration && revealTime > expirationTime)) {
                uint256 amount = uint256(bytes32(locks[at + 64:at + 96]));
                unchecked { claimed = amount >= retained - claimed ? retained : claimed + amount; }
            } else if (pending == type(uint256).max
                       && !(block.number > expiration && block.timestamp > expirationTime)) {
                pending = i;
            }
        }
        if (pending != type(uint256).max) {
            uint256 at = pending * LOCK_BYTES;
            revert(string.concat("lock pending: lock ", pending.u(), "'s secret may still be registered until block ",
                                 uint256(bytes32(locks[at:at + 32])).u(), " and second ",
                                 uint256(bytes32(locks[at + 32:at + 64])).u(), ": unlock after it expires"));
        }
        lockedOf[channel_identifier][sender][receiver][locksroot] = 0;
        uint256 returned;
        unchecked { returned = retained - claimed; }
        ChannelText.pay(receiver, claimed);
        ChannelText.pay(sender, returned);
        emit ChannelUnlocked(channel_identifier, receiver, sender, locksroot, claimed, returned);
    }

    // -- views ----------------------------------------------------------------------------------------

    function channel_identifier(address x, address y) external view returns (uint256) {
        (address low, address high) = _ordered(x, y);
        return channelOf[low][high];
    }

    function channel_counter() external view returns (uint256) {
        return counter;
    }

    function channel_info(uint256 id) external view returns (uint8, uint256, uint256, uint256) {
        uint256 word = channelWord[id];
        return (uint8(word), word >> 8 & MASK64, word >> 72 & MASK64, word >> 136 & MASK64);
    }

    function participant_info(uint256 id, address participant) external view
        returns (uint256, uint256, uint256, bytes32)
    {
        uint256 side = sideWord[id][participant];
        return (side & MASK96, side >> 96 & MASK96, side >> 192, balanceHash[id][participant]);
    }

    function locked_amount(uint256 id, address sender, address receiver, bytes32 locksroot)
        external view returns (uint256)
    {
        return lockedOf[id][sender][receiver][locksroot];
    }

    function secret_registry() external view returns (address) {
        return registryAddress;
    }

    function params() external view returns (uint64, uint64, uint16) {
        uint256 p = paramsWord;
        return (uint64(p), uint64(p >> 64), uint16(p >> 128));
    }
}
