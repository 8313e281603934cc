// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// The twin of contracts_spec/plasma/contract.py's RootChain: the Plasma MVP root chain (deposits, child-block
/// roots, standard exits with confirmation signatures, challenges, the exit queue) and MoreVP's in-flight exits,
/// with the pure rules of contracts_spec/plasma/rules.py it calls (transaction decoding, positions, digests,
/// depth-16 Merkle inclusion with primitives/merkle.py's leaf and node prefixes, priorities, settlement).
///
/// Storage, as the Python contract keeps it: `params` (exit period blocks | seconds << 64 | bond << 128 |
/// cap << 224), `counters` (next operator block | next deposit index << 64), per child block its root and
/// `blockAt` (timestamp | L1 block << 64), per position `exits` (owner | state << 160 | exitable block << 168)
/// and `exitAmounts` (amount | exitable time << 128), the 1-based heap `queue` and `queueLen` per token, and per
/// in-flight transaction hash `ifeWord` (bond owner | state << 160 | flags << 168 | seq << 176), `ifeClock`
/// (first phase's end time | its block << 64 | exitable time << 128 | exitable block << 192), `ifePos` (input
/// positions | oldest competitor << 128 | proven position << 192), `ifeIn` and `ifeOut` per index (owner |
/// amount << 160), `ifeSeq` (number -> hash) and `ifeCount`.
///
/// Transactions are read in place from calldata (88 bytes, then two 65-byte signatures). ETH leaves through a
/// CALL with the value and the stipend only (no code of the recipient's runs beyond it; a refusing recipient
/// does not stop the queue), as the toy L1's transfer credits without running code.
///
/// Refusals: the texts and their formatting live in a second contract, RootChainReasons (below), which the
/// constructor creates and whose address is an immutable, so the root chain's runtime stays under EIP-170's
/// 24,576 bytes. Only a refused call reaches it: the root chain STATICCALLs `text(why, a, b, c)` with the
/// refusal's code (`Why`) and up to three values, and reverts with the Error(string) of the text it returns,
/// whose rule name (up to the first colon) and wording are the Python contract's.
contract RootChain {
    event DepositCreated(address indexed depositor, uint256 indexed blknum, uint256 amount);
    event BlockSubmitted(uint256 indexed blknum, bytes32 root);
    event ExitStarted(address indexed owner, uint256 indexed utxo_pos, uint256 amount, uint256 exitable_at,
                      uint256 exitable_block);
    event ExitChallenged(uint256 indexed utxo_pos, address indexed challenger, uint256 spend_pos);
    event ExitFinalized(uint256 indexed utxo_pos, address indexed owner, uint256 amount, uint256 paid);
    event InFlightExitStarted(address indexed initiator, bytes32 indexed tx_hash, uint256 youngest_input,
                              uint256 exitable_at, uint256 exitable_block);
    event InFlightInputPiggybacked(address indexed owner, bytes32 indexed tx_hash, uint8 index);
    event InFlightOutputPiggybacked(address indexed owner, bytes32 indexed tx_hash, uint8 index);
    event InFlightExitChallenged(address indexed challenger, bytes32 indexed tx_hash, uint256 competitor_pos);
    event InFlightExitChallengeResponded(address indexed responder, bytes32 indexed tx_hash, uint256 tx_pos);
    event InFlightInputBlocked(address indexed challenger, bytes32 indexed tx_hash, uint8 index);
    event InFlightOutputBlocked(address indexed challenger, bytes32 indexed tx_hash, uint8 index);
    event InFlightExitPaid(bytes32 indexed tx_hash, address indexed owner, uint8 index, bool output,
                           uint256 amount, uint256 paid);
    event InFlightExitFinalized(bytes32 indexed tx_hash, bool canonical, address bond_owner);

    uint256 private constant CHILD_BLOCK_INTERVAL = 1000;
    uint256 private constant MAX_DEPOSITS_PER_INTERVAL = 999;
    uint256 private constant MAX_FINALIZE_PER_CALL = 128;
    uint256 private constant BLOCK_OFFSET = 1_000_000_000;
    uint256 private constant TX_OFFSET = 10_000;
    uint256 private constant MAX_TXS = 65536;
    uint256 private constant MAX_AMOUNT = type(uint128).max;
    uint256 private constant NOT_INCLUDED = type(uint64).max;
    uint256 private constant IN_FLIGHT_AMOUNT_LIMIT = 1 << 96;
    uint256 private constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    uint256 private constant M64 = type(uint64).max;
    uint256 private constant M160 = type(uint160).max;
    uint256 private constant STARTED = 1;
    uint256 private constant CHALLENGED = 2;
    uint256 private constant FINALIZED = 3;
    uint256 private constant FIRST_PHASE = 1;
    uint256 private constant SECOND_PHASE = 2;
    uint256 private constant PHASES_OVER = 3;
    // An in-flight exit's flags: bits 0-1 piggybacked inputs, 2-3 piggybacked outputs, 4-5 outputs paid, 6
    // finalized as canonical.
    uint256 private constant PB_OUTPUT = 2;
    uint256 private constant PAID_OUTPUT = 4;
    uint256 private constant SETTLED_CANONICAL = 6;

    address private operatorAddress;
    uint256 private paramsWord;
    uint256 private counters;
    mapping(uint256 => bytes32) private roots;
    mapping(uint256 => uint256) private blockAt;
    mapping(uint256 => uint256) private exits;
    mapping(uint256 => uint256) private exitAmounts;
    mapping(address => mapping(uint256 => uint256)) private queue;
    mapping(address => uint256) private queueLen;
    mapping(bytes32 => uint256) private ifeWord;
    mapping(bytes32 => uint256) private ifeClock;
    mapping(bytes32 => uint256) private ifePos;
    mapping(bytes32 => mapping(uint256 => uint256)) private ifeIn;
    mapping(bytes32 => mapping(uint256 => uint256)) private ifeOut;
    mapping(uint256 => bytes32) private ifeSeq;
    uint256 private ifeCount;
    RootChainReasons private immutable reasons;

    constructor(address operator_, uint64 exit_period_blocks, uint64 exit_period_seconds, uint96 exit_bond,
                uint16 max_finalize) {
        require(operator_ != address(0), "bad operator: the zero address");
        require(exit_period_blocks > 0 && exit_period_seconds > 0,
                "bad exit period: blocks and seconds must both be positive");
        require(exit_period_blocks < 2 ** 32, "bad exit period: at most 2**32 - 1 blocks, so two periods past any "
                                              "block fit an exit's 64-bit record");
        require(exit_bond > 0, "bad exit bond: an exit must be bonded, or nobody is paid to challenge it");
        RootChainReasons r = new RootChainReasons();
        if (max_finalize == 0 || max_finalize > MAX_FINALIZE_PER_CALL) {
            revert(r.text(Why.BadFinalizeCap, max_finalize, 0, 0));
        }
        reasons = r;
        operatorAddress = operator_;
        paramsWord = uint256(exit_period_blocks) | uint256(exit_period_seconds) << 64 | uint256(exit_bond) << 128
            | uint256(max_finalize) << 224;
        counters = CHILD_BLOCK_INTERVAL | 1 << 64;
    }

    // -- refusals ---------------------------------------------------------------------------------------------

    /// Revert with the text of refusal `why` about `a`, `b`, `c`, as the reasons contract formats it.
    function _refuse(Why why, uint256 a, uint256 b, uint256 c) private view {
        // Never taken (`why` is at most the last code), but a function that may call itself is one the optimizer
        // neither specializes nor inlines: the ~80 call sites share this one body.
        if (why > Why.NotExitedInFlight) _refuse(Why.NotExitedInFlight, a, b, c);
        address r = address(reasons);
        bytes4 selector = RootChainReasons.text.selector;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, selector)
            mstore(add(m, 0x04), why)
            mstore(add(m, 0x24), a)
            mstore(add(m, 0x44), b)
            mstore(add(m, 0x64), c)
            if iszero(staticcall(gas(), r, m, 0x84, 0, 0)) { revert(0, 0) }
            // The returned string's ABI encoding is Error(string)'s after its selector.
            mstore(m, shl(224, 0x08c379a0))
            returndatacopy(add(m, 0x04), 0, returndatasize())
            revert(m, add(returndatasize(), 0x04))
        }
    }

    // -- positions ------------------------------------------------------------------------------------------------

    function _positionOk(uint256 p) private pure returns (bool) {
        return p != 0 && p <= M64 && p / BLOCK_OFFSET != 0 && (p % BLOCK_OFFSET) / TX_OFFSET < MAX_TXS
            && p % TX_OFFSET < 2;
    }

    function _position(uint256 p) private view returns (uint256 blknum, uint256 txindex, uint256 oindex) {
        if (!_positionOk(p)) _refuse(Why.BadPosition, p, 0, 0);
        uint256 rest = p % BLOCK_OFFSET;
        return (p / BLOCK_OFFSET, rest / TX_OFFSET, rest % TX_OFFSET);
    }

    // -- transactions, read in place from calldata -----------------------------------------------------------------

    function _word(bytes calldata s, uint256 at) private pure returns (uint256 w) {
        assembly ("memory-safe") {
            w := calldataload(add(s.offset, at))
        }
    }

    function _input(bytes calldata s, uint256 i) private pure returns (uint256) {
        return _word(s, 8 * i) >> 192;
    }

    function _owner(bytes calldata s, uint256 j) private pure returns (uint256) {
        return _word(s, 16 + 36 * j) >> 96;
    }

    function _amount(bytes calldata s, uint256 j) private pure returns (uint256) {
        return _word(s, 36 + 36 * j) >> 128;
    }

    /// The 65 bytes at `at` are zero: an unused input's signature or confirmation.
    function _zeroSig(bytes calldata s, uint256 at) private pure returns (bool) {
        return _word(s, at) == 0 && _word(s, at + 32) == 0 && _word(s, at + 64) >> 248 == 0;
    }

    /// SignedTransaction.decode: exactly 218 canonical bytes, or a refusal naming what is wrong (the reasons
    /// contract finds which, in the order rules.py checks, from the length, the inputs and what is zero).
    function _checkSigned(bytes calldata s) private view {
        if (s.length != 218) _refuse(Why.SignedTx, s.length, 0, 0);
        uint256 w = _word(s, 0);
        uint256 in0 = w >> 192;
        uint256 in1 = (w >> 128) & M64;
        uint256 o0 = _owner(s, 0);
        uint256 o1 = _owner(s, 1);
        bool z0 = _zeroSig(s, 88);
        bool z1 = _zeroSig(s, 153);
        // A valid spend or deposit, in one test.
        if (o0 != 0 && _amount(s, 0) != 0 && (o1 == 0) == (_amount(s, 1) == 0) && (in0 == 0) == z0
                && (in1 == 0) == z1 && (in0 != 0 ? _positionOk(in0) && (in1 == 0 || (_positionOk(in1) && in1 != in0))
                                                 : in1 == 0 && o1 == 0)) return;
        uint256 a0 = _amount(s, 0);
        uint256 a1 = _amount(s, 1);
        uint256 zeros;  // bits: owner 0, owner 1, amount 0, amount 1, signature 0, signature 1 zero
        assembly ("memory-safe") {
            zeros := or(or(or(iszero(o0), shl(1, iszero(o1))), or(shl(2, iszero(a0)), shl(3, iszero(a1)))),
                        or(shl(4, z0), shl(5, z1)))
        }
        _refuse(Why.SignedTx, 218, w, zeros);
    }

    function _txHash(bytes calldata s) private pure returns (bytes32) {
        return keccak256(s[:88]);
    }

    function _signingDigest(bytes32 txHash) private view returns (bytes32) {
        return keccak256(abi.encodePacked("l2lab plasma transaction", block.chainid, address(this), txHash));
    }

    function _confirmationDigest(bytes32 txHash, bytes32 root) private pure returns (bytes32) {
        return keccak256(abi.encodePacked("l2lab plasma confirmation", txHash, root));
    }

    /// The signer of a 65-byte r||s||v signature, 0 when it recovers nobody (v other than 27/28, high s).
    function _recover(bytes32 digest, bytes calldata sig) private pure returns (uint256) {
        uint256 r = _word(sig, 0);
        uint256 s = _word(sig, 32);
        uint8 v = uint8(_word(sig, 64) >> 248);
        if (s > HALF_N) return 0;
        return uint256(uint160(ecrecover(digest, v, bytes32(r), bytes32(s))));
    }

    /// Input `i`'s signer of a signed transaction, for this root chain.
    function _signer(bytes calldata s, uint256 i) private view returns (uint256) {
        return _recover(_signingDigest(_txHash(s)), s[88 + 65 * i:153 + 65 * i]);
    }

    // -- blocks and proofs ---------------------------------------------------------------------------------------

    function _block(uint256 blknum) private view returns (bytes32 root, uint256 at) {
        root = roots[blknum];
        if (root == bytes32(0)) _refuse(Why.UnknownBlock, blknum, 0, 0);
        at = blockAt[blknum];
    }

    function _recordBlock(uint256 blknum, bytes32 root) private {
        roots[blknum] = root;
        blockAt[blknum] = block.timestamp | block.number << 64;
    }

    /// rules.deposit_root: the depth-16 root over the one unsigned deposit transaction paying `amount` to `owner`.
    function _depositRoot(address owner, uint256 amount) private pure returns (bytes32 node) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            for { let i := 0 } lt(i, 224) { i := add(i, 32) } { mstore(add(m, i), 0) }
            mstore(add(m, 16), shl(96, owner))
            mstore(add(m, 36), shl(128, amount))
            let leaf := keccak256(m, 218)
            mstore8(m, 0)
            mstore(add(m, 1), leaf)
            node := keccak256(m, 33)
            mstore8(m, 1)
            mstore(add(m, 33), 0)
            for { let i := 0 } lt(i, 16) { i := add(i, 1) } {
                mstore(add(m, 1), node)
                node := keccak256(m, 65)
            }
        }
    }

    /// rules.check_inclusion: `proof` (16 siblings, leaf level first) shows `leaf` at `txindex` under `root`.
    function _checkInclusion(bytes32 root, bytes32 leaf, uint256 txindex, bytes calldata proof) private view {
        if (proof.length != 512) _refuse(Why.ProofLength, proof.length, 0, 0);
        bytes32 node;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore8(m, 0)
            mstore(add(m, 1), leaf)
            node := keccak256(m, 33)
            mstore8(m, 1)
            let index := txindex
            for { let i := 0 } lt(i, 16) { i := add(i, 1) } {
                let sibling := calldataload(add(proof.offset, mul(i, 32)))
                switch and(index, 1)
                case 0 {
                    mstore(add(m, 1), node)
                    mstore(add(m, 33), sibling)
                }
                default {
                    mstore(add(m, 1), sibling)
                    mstore(add(m, 33), node)
                }
                node := keccak256(m, 65)
                index := shr(1, index)
            }
        }
        if (node != root) _refuse(Why.NotAtIndex, txindex, 0, 0);
    }

    function _leaf(bytes calldata s) private pure returns (bytes32) {
        return keccak256(s);
    }

    // -- ETH out ------------------------------------------------------------------------------------------------

    /// Send ETH as the Python runtime's transfer does: it always arrives, whatever the recipient's code does,
    /// so no recipient can hold up the queue. A call with the value stipend alone; a recipient that refuses it
    /// gets it through a one-shot contract that self-destructs to it (PUSH20 recipient, SELFDESTRUCT).
    function _transfer(uint256 to, uint256 amount) private {
        if (amount == 0) return;
        assembly ("memory-safe") {
            if iszero(call(0, to, amount, 0, 0, 0, 0)) {
                let p := mload(0x40)
                mstore(p, or(shl(248, 0x73), shl(88, to)))
                mstore8(add(p, 21), 0xff)
                pop(create(amount, p, 22))
            }
        }
    }

    /// Pay what the contract holds of `amount`; returns what was paid.
    function _pay(uint256 to, uint256 amount) private returns (uint256 paid) {
        paid = amount < address(this).balance ? amount : address(this).balance;
        _transfer(to, paid);
    }

    // -- the exit queue: a binary min-heap in storage, one per token ------------------------------------------

    function _push(address token, uint256 key) private {
        mapping(uint256 => uint256) storage q = queue[token];
        uint256 n = queueLen[token] + 1;
        uint256 i = n;
        while (i > 1) {
            uint256 parentKey = q[i / 2];
            if (parentKey < key) break;
            q[i] = parentKey;
            i /= 2;
        }
        q[i] = key;
        queueLen[token] = n;
    }

    function _pop(address token) private {
        mapping(uint256 => uint256) storage q = queue[token];
        uint256 n = queueLen[token];
        uint256 last = q[n];
        q[n] = 0;
        n -= 1;
        queueLen[token] = n;
        if (n == 0) return;
        uint256 i = 1;
        while (2 * i <= n) {
            uint256 child = 2 * i;
            uint256 childKey = q[child];
            if (child + 1 <= n) {
                uint256 rightKey = q[child + 1];
                if (rightKey < childKey) (child, childKey) = (child + 1, rightKey);
            }
            if (last < childKey) break;
            q[i] = childKey;
            i = child;
        }
        q[i] = last;
    }

    // -- deposits and blocks ------------------------------------------------------------------------------------

    function deposit() external payable returns (uint256 blknum) {
        if (msg.value == 0) _refuse(Why.ZeroDeposit, 0, 0, 0);
        if (msg.value > MAX_AMOUNT) _refuse(Why.DepositTooLarge, 0, 0, 0);
        uint256 c = counters;
        uint256 child = c & M64;
        uint256 index = c >> 64;
        if (index > MAX_DEPOSITS_PER_INTERVAL) _refuse(Why.DepositLimit, child, 0, 0);
        unchecked {  // index is at most 999, child at least 1000
            blknum = child - CHILD_BLOCK_INTERVAL + index;
        }
        _recordBlock(blknum, _depositRoot(msg.sender, msg.value));
        unchecked {
            counters = child | (index + 1) << 64;
        }
        emit DepositCreated(msg.sender, blknum, msg.value);
    }

    function submit_block(bytes32 root) external returns (uint256 child) {
        address op = operatorAddress;
        if (msg.sender != op) _refuse(Why.NotOperator, uint160(op), 0, 0);
        if (root == bytes32(0)) _refuse(Why.EmptyRoot, 0, 0, 0);
        child = counters & M64;
        _recordBlock(child, root);
        counters = (child + CHILD_BLOCK_INTERVAL) | 1 << 64;
        emit BlockSubmitted(child, root);
    }

    // -- exits ------------------------------------------------------------------------------------------------

    function _exitableAt(uint256 createdAt, uint256 nowAt, uint256 period) private pure returns (uint256) {
        uint256 a = createdAt + 2 * period;
        uint256 b = nowAt + period;
        return a > b ? a : b;
    }

    function _start(uint256 utxoPos, uint256 owner, uint256 amount, uint256 at) private {
        uint256 p = paramsWord;
        uint256 bond = (p >> 128) & type(uint96).max;
        if (msg.value != bond) _refuse(Why.BadBondExit, bond, msg.value, 0);
        uint256 state = (exits[utxoPos] >> 160) & 0xff;
        if (state != 0) _refuse(Why.ExitExists, utxoPos, state, 0);
        uint256 exitTime = _exitableAt(at & M64, block.timestamp, (p >> 64) & M64);
        uint256 exitBlock = _exitableAt(at >> 64, block.number, p & M64);
        exits[utxoPos] = owner | STARTED << 160 | exitBlock << 168;
        exitAmounts[utxoPos] = amount | exitTime << 128;
        _push(address(0), exitTime << 128 | utxoPos << 64);
        emit ExitStarted(address(uint160(owner)), utxoPos, amount, exitTime, exitBlock);
    }

    function start_deposit_exit(uint256 utxo_pos, uint256 amount) external payable {
        (uint256 blknum, uint256 txindex, uint256 oindex) = _position(utxo_pos);
        if (blknum % CHILD_BLOCK_INTERVAL == 0) _refuse(Why.NotDepositBlock, blknum, 0, 0);
        if (txindex != 0 || oindex != 0) _refuse(Why.NotDepositOutput, txindex, oindex, 0);
        (bytes32 root, uint256 at) = _block(blknum);
        if (amount == 0 || amount > MAX_AMOUNT) _refuse(Why.NoDepositPays, amount, 0, 0);
        if (_depositRoot(msg.sender, amount) != root) {
            _refuse(Why.NotTheDeposit, utxo_pos / BLOCK_OFFSET, amount, uint160(msg.sender));
        }
        _start(utxo_pos, uint160(msg.sender), amount, at);
    }

    function start_exit(uint256 utxo_pos, bytes calldata signed_tx, bytes calldata proof,
                        bytes calldata confirmation_sigs) external payable {
        (uint256 blknum, uint256 txindex, uint256 oindex) = _position(utxo_pos);
        if (blknum % CHILD_BLOCK_INTERVAL != 0) _refuse(Why.DepositBlockExit, blknum, 0, 0);
        (bytes32 root, uint256 at) = _block(blknum);
        _checkSigned(signed_tx);
        uint256 in0 = _input(signed_tx, 0);
        uint256 in1 = _input(signed_tx, 1);
        if (in0 == 0) _refuse(Why.DepositsFromL1, 0, 0, 0);
        uint256 owner = _owner(signed_tx, oindex);
        if (owner == 0) _refuse(Why.EmptyOutput, oindex, 0, 0);
        if (owner != uint160(msg.sender)) _refuse(Why.NotOwnerPosition, utxo_pos, owner, 0);
        if (confirmation_sigs.length != 130) _refuse(Why.ConfirmationsLength, confirmation_sigs.length, 0, 0);
        if (in1 == 0 && !_zeroSig(confirmation_sigs, 65)) _refuse(Why.ConfirmationUnused, 0, 0, 0);
        uint256 n = in1 == 0 ? 1 : 2;
        for (uint256 i; i < n; i++) {  // one value never exits twice: as an input and as this output
            uint256 pos = i == 0 ? in0 : in1;
            uint256 paid = exits[pos];
            if ((paid >> 160) & 0xff == FINALIZED && paid & M160 != 0) _refuse(Why.InputExited, i, pos, 0);
        }
        _checkInclusion(root, _leaf(signed_tx), txindex, proof);
        _checkConfirmations(signed_tx, confirmation_sigs, root, n);
        _start(utxo_pos, owner, _amount(signed_tx, oindex), at);
    }

    /// rules.check_confirmations: each of the `n` used inputs of `signed_tx` (included in the block of `root`)
    /// is signed, and confirmed by its signer.
    function _checkConfirmations(bytes calldata signed_tx, bytes calldata confirmation_sigs, bytes32 root,
                                 uint256 n) private view {
        bytes32 txHash = _txHash(signed_tx);
        bytes32 digest = _signingDigest(txHash);
        bytes32 confirmed = _confirmationDigest(txHash, root);
        for (uint256 i; i < n; i++) {
            uint256 signer = _recover(digest, signed_tx[88 + 65 * i:153 + 65 * i]);
            if (signer == 0) _refuse(Why.NoSigner, i, 0, 0);
            if (_recover(confirmed, confirmation_sigs[65 * i:65 * i + 65]) != signer) {
                _refuse(Why.NotConfirmed, i, signer, 0);
            }
        }
    }

    function challenge_exit(uint256 utxo_pos, uint256 spend_pos, bytes calldata signed_tx, bytes calldata proof,
                            bytes calldata confirmation_sig) external {
        uint256 held = exits[utxo_pos];
        _requireStartedExit(utxo_pos, held);
        (uint256 blknum, uint256 txindex, uint256 oindex) = _position(spend_pos);
        if (oindex != 0) _refuse(Why.SpendByOutput0, oindex, 0, 0);
        (bytes32 root,) = _block(blknum);
        _checkSigned(signed_tx);
        uint256 k = _spentIndex(signed_tx, utxo_pos);
        if (k == 2) _refuse(Why.NotASpendOf, utxo_pos, 0, 0);
        _checkInclusion(root, _leaf(signed_tx), txindex, proof);
        if (confirmation_sig.length != 65) _refuse(Why.ConfirmationLength, 0, 0, 0);
        bytes32 txHash = _txHash(signed_tx);
        uint256 owner = held & M160;
        // The spend itself is the exiter's, signed for this root chain: a confirmation copied from another
        // deployment (whose root an operator can copy too) challenges nothing here.
        if (_recover(_signingDigest(txHash), signed_tx[88 + 65 * k:153 + 65 * k]) != owner) {
            _refuse(Why.SpendNotSigned, utxo_pos, owner, 0);
        }
        if (_recover(_confirmationDigest(txHash, root), confirmation_sig) != owner) {
            _refuse(Why.NotConfirmation, owner, spend_pos / BLOCK_OFFSET, 0);
        }
        _cancelExit(utxo_pos, spend_pos);
    }

    function _requireStartedExit(uint256 utxoPos, uint256 held) private view {
        uint256 state = (held >> 160) & 0xff;
        if (state != STARTED) _refuse(Why.NoExitToChallenge, utxoPos, state, 0);
    }

    /// A challenged standard exit: cancelled for good, its bond to the sender.
    function _cancelExit(uint256 utxoPos, uint256 shownPos) private {
        exits[utxoPos] = CHALLENGED << 160;
        exitAmounts[utxoPos] = 0;
        _transfer(uint160(msg.sender), (paramsWord >> 128) & type(uint96).max);
        emit ExitChallenged(utxoPos, msg.sender, shownPos);
    }

    /// Which input of the signed transaction `s` spends `pos` (non-zero): 0 or 1, or 2 when none does.
    function _spentIndex(bytes calldata s, uint256 pos) private pure returns (uint256) {
        return _input(s, 0) == pos ? 0 : _input(s, 1) == pos ? 1 : 2;
    }

    function finalize_exits(address token, uint256 max_exits) external returns (uint256 done) {
        if (token != address(0)) _refuse(Why.UnknownToken, uint160(token), 0, 0);
        uint256 p = paramsWord;
        uint256 bond = (p >> 128) & type(uint96).max;
        uint256 cap = p >> 224;
        if (max_exits == 0 || max_exits > cap) _refuse(Why.BadMaxExits, max_exits, cap, 0);
        mapping(uint256 => uint256) storage q = queue[address(0)];  // the token, as checked
        while (done < max_exits) {
            uint256 top = q[1];
            if (top == 0) break;
            if (block.timestamp < top >> 128) break;
            uint256 seq = top & M64;
            if (seq != 0) {  // an in-flight exit
                bytes32 txHash = ifeSeq[seq];
                uint256[3] memory f = _inFlight(txHash);
                if (block.number < f[1] >> 192) break;
                _pop(address(0));
                done++;
                _settle(txHash, f);
                continue;
            }
            uint256 utxoPos = (top >> 64) & M64;
            uint256 held = exits[utxoPos];
            uint256 amountWord = exitAmounts[utxoPos];
            bool started = (held >> 160) & 0xff == STARTED;
            uint256 exitBlock = (held >> 168) & M64;
            if (started && block.number < exitBlock) break;
            _pop(address(0));
            done++;
            if (!started) continue;  // challenged: its bond is already paid
            uint256 owner = held & M160;
            exits[utxoPos] = owner | FINALIZED << 160 | exitBlock << 168;
            exitAmounts[utxoPos] = 0;
            uint256 amount = amountWord & MAX_AMOUNT;
            uint256 paid = _pay(owner, amount + bond);
            emit ExitFinalized(utxoPos, address(uint160(owner)), amount, paid);
        }
    }

    // -- in-flight exits (More Viable Plasma) -------------------------------------------------------------------

    /// An in-flight exit's three words: [ifeWord, ifeClock, ifePos].
    function _inFlight(bytes32 txHash) private view returns (uint256[3] memory f) {
        f[0] = ifeWord[txHash];
        f[1] = ifeClock[txHash];
        f[2] = ifePos[txHash];
    }

    function _flag(uint256[3] memory f, uint256 bit) private pure returns (bool) {
        return (f[0] >> (168 + bit)) & 1 == 1;
    }

    function _isCanonical(uint256 competitor, uint256 txPos) private pure returns (bool) {
        return competitor == 0 || (txPos != 0 && txPos < competitor);
    }

    function _competitor(uint256[3] memory f) private pure returns (uint256) {
        return (f[2] >> 128) & M64;
    }

    function _bonds() private view returns (uint256 ifeBond, uint256 pbBond) {
        ifeBond = (paramsWord >> 128) & type(uint96).max;
        pbBond = ifeBond * 3 / 4;
        if (pbBond == 0) pbBond = 1;
    }

    /// The in-flight transaction's hash and its open exit; revert if it has none or it finalized.
    function _open(bytes calldata s) private view returns (bytes32 txHash, uint256[3] memory f) {
        _checkSigned(s);
        txHash = _txHash(s);
        f = _inFlight(txHash);
        uint256 state = (f[0] >> 160) & 0xff;
        _requireKnown(txHash, state);
        if (state != STARTED) _refuse(Why.InFlightExitFinalized, uint256(txHash), 0, 0);
    }

    function _requireKnown(bytes32 txHash, uint256 state) private view {
        if (state == 0) _refuse(Why.UnknownInFlightExit, uint256(txHash), 0, 0);
    }

    function _phase(uint256 clock) private view returns (uint256) {
        if (block.timestamp < clock & M64 || block.number < (clock >> 64) & M64) return FIRST_PHASE;
        if (block.timestamp < (clock >> 128) & M64 || block.number < clock >> 192) return SECOND_PHASE;
        return PHASES_OVER;
    }

    /// Revert unless the in-flight exit is in a phase up to `last` from `first`.
    function _requirePhase(uint256 clock, uint256 first, uint256 last, uint256 what) private view {
        uint256 phase = _phase(clock);
        if (phase < first || phase > last) _refuse(Why.OutOfPhase, what, clock, phase);
    }

    /// `s` is the transaction at `txPos` (its output 0's position) of an operator block.
    function _includedAt(bytes calldata s, uint256 txPos, bytes calldata proof) private view {
        (uint256 blknum, uint256 txindex, uint256 oindex) = _position(txPos);
        if (oindex != 0) _refuse(Why.TxByOutput0, oindex, 0, 0);
        if (blknum % CHILD_BLOCK_INTERVAL != 0) _refuse(Why.DepositBlockSpend, blknum, 0, 0);
        (bytes32 root,) = _block(blknum);
        _checkInclusion(root, _leaf(s), txindex, proof);
    }

    function start_in_flight_exit(bytes calldata in_flight_tx, bytes calldata input_txs,
                                  bytes calldata input_proofs) external payable {
        (uint256 bond,) = _bonds();
        if (msg.value != bond) _refuse(Why.BadBondInFlight, bond, msg.value, 0);
        _checkSigned(in_flight_tx);
        uint256[2] memory ins = [_input(in_flight_tx, 0), _input(in_flight_tx, 1)];
        if (ins[0] == 0) _refuse(Why.DepositHasNoInputs, 0, 0, 0);
        uint256 youngest = ins[0] > ins[1] ? ins[0] : ins[1];
        bytes32 txHash = _txHash(in_flight_tx);
        if (ifeWord[txHash] != 0) _refuse(Why.InFlightExitExists, uint256(txHash), 0, 0);
        uint256 n = ins[1] == 0 ? 1 : 2;
        (uint256[2] memory words, uint256 created, uint256 paidIn) =
            _createdOutputs(input_txs, input_proofs, ins, n, youngest);
        _checkInFlightAmounts(in_flight_tx, words, n, paidIn);
        for (uint256 i; i < n; i++) {
            if (_signer(in_flight_tx, i) != words[i] & M160) _refuse(Why.NotSignedInput, i, ins[i], words[i] & M160);
        }
        _recordInFlight(txHash, ins, n, words, created, youngest);
    }

    /// The new in-flight exit of `txHash`: its words, its number, its place in the queue, its event.
    function _recordInFlight(bytes32 txHash, uint256[2] memory ins, uint256 n, uint256[2] memory words,
                             uint256 created, uint256 youngest) private {
        uint256 prm = paramsWord;
        uint256 seq = ifeCount + 1;
        ifeCount = seq;
        uint256 exitTime = _exitableAt(created & M64, block.timestamp, (prm >> 64) & M64);
        uint256 exitBlock = _exitableAt(created >> 64, block.number, prm & M64);
        ifeWord[txHash] = uint160(msg.sender) | STARTED << 160 | seq << 176;
        ifeClock[txHash] = (block.timestamp + (((prm >> 64) & M64) + 1) / 2)
            | (block.number + ((prm & M64) + 1) / 2) << 64 | exitTime << 128 | exitBlock << 192;
        ifePos[txHash] = ins[0] | ins[1] << 64;
        for (uint256 i; i < n; i++) ifeIn[txHash][i] = words[i];
        ifeSeq[seq] = txHash;
        _push(address(0), exitTime << 128 | youngest << 64 | seq);
        emit InFlightExitStarted(msg.sender, txHash, youngest, exitTime, exitBlock);
    }

    /// rules.split_input_proofs and rules.created_output: the output each of the `n` inputs `ins` spends, shown
    /// by its creating transaction in `input_txs` and its inclusion proof in `input_proofs` (owner | amount << 160
    /// each), the time and L1 block the `youngest` was created at, and what the inputs hold.
    function _createdOutputs(bytes calldata input_txs, bytes calldata input_proofs, uint256[2] memory ins, uint256 n,
                             uint256 youngest) private view
        returns (uint256[2] memory words, uint256 created, uint256 paidIn)
    {
        if (input_txs.length != n * 218) _refuse(Why.BadInputTxs, n, n, input_txs.length);
        if (input_proofs.length != n * 512) _refuse(Why.BadInputProofs, n, n, input_proofs.length);
        for (uint256 i; i < n; i++) _checkSigned(input_txs[218 * i:218 * i + 218]);
        for (uint256 i; i < n; i++) {
            bytes calldata creating = input_txs[218 * i:218 * i + 218];
            uint256 blknum = ins[i] / BLOCK_OFFSET;
            uint256 rest = ins[i] % BLOCK_OFFSET;
            (bytes32 root, uint256 at) = _block(blknum);
            _checkInclusion(root, _leaf(creating), rest / TX_OFFSET, input_proofs[512 * i:512 * i + 512]);
            bool isDeposit = _input(creating, 0) == 0;
            if ((blknum % CHILD_BLOCK_INTERVAL != 0) != isDeposit) {
                _refuse(isDeposit ? Why.MintsCoins : Why.DepositNotASpend, 0, 0, 0);
            }
            uint256 oindex = rest % TX_OFFSET;
            uint256 owner = _owner(creating, oindex);
            if (owner == 0) _refuse(Why.EmptyCreatedOutput, oindex, 0, 0);
            uint256 amount = _amount(creating, oindex);
            words[i] = owner | amount << 160;
            paidIn += amount;
            if (ins[i] == youngest) created = at;
        }
    }

    /// rules.check_in_flight_amounts: every amount below 2**96, the outputs at most the inputs.
    function _checkInFlightAmounts(bytes calldata s, uint256[2] memory words, uint256 n, uint256 paidIn)
        private view
    {
        for (uint256 i; i < n; i++) {
            if (words[i] >> 160 >= IN_FLIGHT_AMOUNT_LIMIT) _refuse(Why.AmountTooLargeInput, i, words[i] >> 160, 0);
        }
        uint256 paidOut;
        for (uint256 j; j < 2; j++) {
            uint256 a = _amount(s, j);
            if (a >= IN_FLIGHT_AMOUNT_LIMIT) _refuse(Why.AmountTooLargeOutput, j, a, 0);
            paidOut += a;
        }
        if (paidOut > paidIn) _refuse(Why.OutputsExceedInputs, paidOut, paidIn, 0);
    }

    /// A piggyback's common checks: its exact bond, an open in-flight exit of the transaction, the first phase.
    function _openPiggyback(bytes calldata s) private view returns (bytes32 txHash, uint256[3] memory f) {
        (, uint256 bond) = _bonds();
        if (msg.value != bond) _refuse(Why.BadBondPiggyback, bond, msg.value, 0);
        (txHash, f) = _open(s);
        _requirePhase(f[1], FIRST_PHASE, FIRST_PHASE, 0);
    }

    /// rules.input_position: the position input `index` of `s` spends, or a refusal naming a bad index.
    function _inputPosition(bytes calldata s, uint256 index) private view returns (uint256) {
        uint256 n = _input(s, 1) == 0 ? 1 : 2;
        if (index >= n) _refuse(Why.BadInputIndex, index, n - 1, 0);
        return _input(s, index);
    }

    function piggyback_input(bytes calldata in_flight_tx, uint8 index) external payable {
        (bytes32 txHash, uint256[3] memory f) = _openPiggyback(in_flight_tx);
        uint256 pos = _inputPosition(in_flight_tx, index);
        uint256 owner = ifeIn[txHash][index] & M160;
        if (owner != uint160(msg.sender)) _refuse(Why.NotOwnerInput, index, pos, owner);
        if (_flag(f, index)) _refuse(Why.PiggybackedInput, index, 0, 0);
        ifeWord[txHash] = f[0] | 1 << (168 + index);
        emit InFlightInputPiggybacked(msg.sender, txHash, index);
    }

    function piggyback_output(bytes calldata in_flight_tx, uint8 index) external payable {
        (bytes32 txHash, uint256[3] memory f) = _openPiggyback(in_flight_tx);
        if (index >= 2) _refuse(Why.BadOutputIndex, index, 0, 0);
        uint256 owner = _owner(in_flight_tx, index);
        if (owner == 0) _refuse(Why.OutputPaysNobody, index, 0, 0);
        if (owner != uint160(msg.sender)) _refuse(Why.NotOwnerOutput, index, owner, 0);
        if (_flag(f, PB_OUTPUT + index)) _refuse(Why.PiggybackedOutput, index, 0, 0);
        ifeWord[txHash] = f[0] | 1 << (168 + PB_OUTPUT + index);
        ifeOut[txHash][index] = owner | _amount(in_flight_tx, index) << 160;
        emit InFlightOutputPiggybacked(msg.sender, txHash, index);
    }

    /// rules.competing_input: `other` spends input `index` of `s` and is another transaction; returns the input
    /// of `other` spending it.
    function _competingInput(bytes calldata s, bytes calldata other, uint256 index) private view returns (uint256) {
        uint256 pos = _inputPosition(s, index);
        if (keccak256(other[:88]) == keccak256(s[:88])) _refuse(Why.CompetitorItself, 0, 0, 0);
        uint256 k = _spentIndex(other, pos);
        if (k == 2) _refuse(Why.NotACompetitor, index, pos, 0);
        return k;
    }

    function challenge_in_flight_exit_not_canonical(bytes calldata in_flight_tx, uint8 input_index,
                                                    bytes calldata competitor_tx, uint256 competitor_pos,
                                                    bytes calldata competitor_proof) external {
        (bytes32 txHash, uint256[3] memory f) = _open(in_flight_tx);
        _requirePhase(f[1], FIRST_PHASE, FIRST_PHASE, 1);
        _checkSigned(competitor_tx);
        uint256 owner = input_index < 2 ? ifeIn[txHash][input_index] & M160 : 0;
        uint256 k = _competingInput(in_flight_tx, competitor_tx, input_index);
        if (_signer(competitor_tx, k) != owner || owner == 0) _refuse(Why.NotSignedCompetitor, k, owner, 0);
        uint256 position;
        if (competitor_pos == 0) {
            if (competitor_proof.length != 0) _refuse(Why.CompetitorProof, 0, 0, 0);
            position = NOT_INCLUDED;
        } else {
            _includedAt(competitor_tx, competitor_pos, competitor_proof);
            position = competitor_pos;
        }
        uint256 known = _competitor(f);
        if (known != 0 && position >= known) _refuse(Why.NotOlderCompetitor, known, 0, 0);
        ifeWord[txHash] = (f[0] & ~M160) | uint160(msg.sender);
        ifePos[txHash] = (f[2] & ~(M64 << 128)) | position << 128;
        emit InFlightExitChallenged(msg.sender, txHash, position);
    }

    function respond_to_non_canonical_challenge(bytes calldata in_flight_tx, uint256 tx_pos, bytes calldata proof)
        external
    {
        (bytes32 txHash, uint256[3] memory f) = _open(in_flight_tx);
        _requirePhase(f[1], SECOND_PHASE, SECOND_PHASE, 2);
        uint256 competitor = _competitor(f);
        if (competitor == 0) _refuse(Why.NoChallenge, 0, 0, 0);
        if (f[2] >> 192 != 0) _refuse(Why.RespondedAlready, f[2] >> 192, 0, 0);
        _includedAt(in_flight_tx, tx_pos, proof);
        if (tx_pos >= competitor) _refuse(Why.NotOlderTransaction, tx_pos, competitor, 0);
        ifeWord[txHash] = (f[0] & ~M160) | uint160(msg.sender);
        ifePos[txHash] = (f[2] & type(uint192).max) | tx_pos << 192;
        emit InFlightExitChallengeResponded(msg.sender, txHash, tx_pos);
    }

    function challenge_piggybacked_input_spent(bytes calldata in_flight_tx, uint8 input_index,
                                               bytes calldata spending_tx) external {
        (bytes32 txHash, uint256[3] memory f) = _open(in_flight_tx);
        _requirePhase(f[1], FIRST_PHASE, SECOND_PHASE, 3);
        if (input_index >= 2 || !_flag(f, input_index)) _refuse(Why.NotPiggybackedInput, input_index, 0, 0);
        _checkSigned(spending_tx);
        uint256 owner = ifeIn[txHash][input_index] & M160;
        uint256 k = _competingInput(in_flight_tx, spending_tx, input_index);
        if (_signer(spending_tx, k) != owner) _refuse(Why.NotSignedSpendInput, k, owner, 0);
        ifeWord[txHash] = f[0] & ~(uint256(1) << (168 + input_index));
        (, uint256 pbBond) = _bonds();
        _transfer(uint160(msg.sender), pbBond);
        emit InFlightInputBlocked(msg.sender, txHash, input_index);
    }

    function challenge_piggybacked_output_spent(bytes calldata in_flight_tx, uint256 tx_pos, bytes calldata proof,
                                                uint8 output_index, bytes calldata spending_tx) external {
        (bytes32 txHash, uint256[3] memory f) = _open(in_flight_tx);
        _requirePhase(f[1], FIRST_PHASE, SECOND_PHASE, 3);
        if (output_index >= 2 || !_flag(f, PB_OUTPUT + output_index)) _refuse(Why.NotPiggybackedOutput, output_index, 0, 0);
        _includedAt(in_flight_tx, tx_pos, proof);
        uint256 outPos = tx_pos + output_index;
        if (spending_tx.length == 0) {
            uint256 state = (exits[outPos] >> 160) & 0xff;
            if (state != STARTED && state != FINALIZED) _refuse(Why.NotSpent, outPos, state, 0);
        } else {
            _checkSigned(spending_tx);
            uint256 k = _spentIndex(spending_tx, outPos);
            if (k == 2) _refuse(Why.NotASpendOf, outPos, 0, 0);
            uint256 owner = ifeOut[txHash][output_index] & M160;
            if (_signer(spending_tx, k) != owner) _refuse(Why.NotSignedSpendOf, outPos, owner, 0);
        }
        ifeWord[txHash] = f[0] & ~(uint256(1) << (168 + PB_OUTPUT + output_index));
        (, uint256 pbBond) = _bonds();
        _transfer(uint160(msg.sender), pbBond);
        emit InFlightOutputBlocked(msg.sender, txHash, output_index);
    }

    function challenge_standard_exit_in_flight(uint256 utxo_pos, bytes calldata in_flight_tx, uint256 tx_pos,
                                               bytes calldata proof) external {
        _requireStartedExit(utxo_pos, exits[utxo_pos]);
        _checkSigned(in_flight_tx);
        bytes32 txHash = _txHash(in_flight_tx);
        uint256[3] memory f = _inFlight(txHash);
        uint256 state = (f[0] >> 160) & 0xff;
        _requireKnown(txHash, state);
        if (tx_pos == 0) {
            uint256 in0 = f[2] & M64;
            uint256 in1 = (f[2] >> 64) & M64;
            if (utxo_pos != in0 && utxo_pos != in1) _refuse(Why.NotAnInput, utxo_pos, 0, 0);
            if (state == STARTED) {
                bool exited = (exits[in0] >> 160) & 0xff == FINALIZED
                    || (in1 != 0 && (exits[in1] >> 160) & 0xff == FINALIZED);
                if (!_isCanonical(_competitor(f), f[2] >> 192) || exited) _refuse(Why.NotCanonicalOpen, 0, 0, 0);
            } else if (!_flag(f, SETTLED_CANONICAL)) {
                _refuse(Why.NotCanonicalSettled, 0, 0, 0);
            }
        } else {
            _includedAt(in_flight_tx, tx_pos, proof);
            if (utxo_pos < tx_pos || utxo_pos - tx_pos >= 2 || state != FINALIZED
                    || !_flag(f, PAID_OUTPUT + utxo_pos - tx_pos)) {
                _refuse(Why.NotExitedInFlight, utxo_pos, 0, 0);
            }
        }
        _cancelExit(utxo_pos, tx_pos);
    }

    /// What a standard exit record means to an in-flight exit: free (0), exiting (1) or exited (2).
    function _exitState(uint256 pos) private view returns (uint256 raw, uint256 mapped) {
        raw = (exits[pos] >> 160) & 0xff;
        mapped = raw == STARTED ? 1 : raw == FINALIZED ? 2 : 0;
    }

    /// Pay what a due in-flight exit owes (rules.settle_in_flight), record the positions it spent or paid.
    function _settle(bytes32 txHash, uint256[3] memory f) private {
        (uint256 ifeBond, uint256 pbBond) = _bonds();
        uint256 word = f[0];
        address bondOwner = address(uint160(word));
        uint256 competitor = _competitor(f);
        uint256 txPos = f[2] >> 192;
        if ((word >> 168) & 15 == 0) {
            _pay(uint160(bondOwner), ifeBond);
            ifeWord[txHash] = 0;
            emit InFlightExitFinalized(txHash, _isCanonical(competitor, txPos), bondOwner);
            return;
        }
        uint256 exitBlock = f[1] >> 192;
        uint256[2] memory ins = [f[2] & M64, (f[2] >> 64) & M64];
        uint256 n = ins[1] == 0 ? 1 : 2;
        uint256[2] memory inRaw;
        uint256[2] memory inState;
        bool anyExited;
        for (uint256 i; i < n; i++) {
            (inRaw[i], inState[i]) = _exitState(ins[i]);
            if (inState[i] == 2) anyExited = true;
        }
        uint256[2] memory outRaw;
        uint256[2] memory outState;
        if (txPos != 0) {
            for (uint256 j; j < 2; j++) {
                if (_flag(f, PB_OUTPUT + j)) (outRaw[j], outState[j]) = _exitState(txPos + j);
            }
        }
        bool canonical = _isCanonical(competitor, txPos) && !anyExited;
        if (canonical) {
            for (uint256 j; j < 2; j++) {
                if (_flag(f, PB_OUTPUT + j) && outState[j] == 0) {
                    uint256 w = ifeOut[txHash][j];
                    uint256 paid = _pay(w & M160, (w >> 160) + pbBond);
                    word |= 1 << (168 + PAID_OUTPUT + j);
                    if (txPos != 0 && outRaw[j] == 0) {
                        exits[txPos + j] = (w & M160) | FINALIZED << 160 | exitBlock << 168;
                    }
                    emit InFlightExitPaid(txHash, address(uint160(w)), uint8(j), true, w >> 160, paid);
                }
            }
        } else {
            for (uint256 i; i < n; i++) {
                if (_flag(f, i) && inState[i] == 0) {
                    uint256 w = ifeIn[txHash][i];
                    uint256 paid = _pay(w & M160, (w >> 160) + pbBond);
                    exits[ins[i]] = (w & M160) | FINALIZED << 160 | exitBlock << 168;
                    emit InFlightExitPaid(txHash, address(uint160(w)), uint8(i), false, w >> 160, paid);
                }
            }
        }
        for (uint256 i; i < n; i++) {  // refunded inputs
            if (_flag(f, i) && (canonical || inState[i] != 0)) _pay(ifeIn[txHash][i] & M160, pbBond);
        }
        for (uint256 j; j < 2; j++) {  // refunded outputs
            if (_flag(f, PB_OUTPUT + j) && (!canonical || outState[j] != 0)) _pay(ifeOut[txHash][j] & M160, pbBond);
        }
        if (canonical) {  // its inputs are spent: no standard exit of them starts any more
            word |= 1 << (168 + SETTLED_CANONICAL);
            for (uint256 i; i < n; i++) {
                if (inRaw[i] == 0) exits[ins[i]] = FINALIZED << 160 | exitBlock << 168;
            }
        }
        _pay(uint160(bondOwner), ifeBond);
        ifeWord[txHash] = (word & ~(uint256(0xff) << 160)) | FINALIZED << 160;
        emit InFlightExitFinalized(txHash, canonical, bondOwner);
    }

    // -- views ----------------------------------------------------------------------------------------------

    function operator() external view returns (address) {
        return operatorAddress;
    }

    function params() external view returns (uint64, uint64, uint96, uint16) {
        uint256 p = paramsWord;
        return (uint64(p), uint64(p >> 64), uint96(p >> 128), uint16(p >> 224));
    }

    function current_child_block() external view returns (uint256) {
        return counters & M64;
    }

    function next_deposit_block() external view returns (uint256) {
        uint256 c = counters;
        return (c & M64) - CHILD_BLOCK_INTERVAL + (c >> 64);
    }

    function child_block(uint256 blknum) external view returns (bytes32, uint256, uint256) {
        uint256 at = blockAt[blknum];
        return (roots[blknum], at & M64, at >> 64);
    }

    function exit_info(uint256 utxo_pos) external view returns (address, uint256, uint8, uint256, uint256) {
        uint256 held = exits[utxo_pos];
        uint256 amountWord = exitAmounts[utxo_pos];
        return (address(uint160(held)), amountWord & MAX_AMOUNT, uint8(held >> 160), amountWord >> 128,
                (held >> 168) & M64);
    }

    function next_exit(address token) external view returns (uint256, uint256) {
        uint256 top = queue[token][1];
        return (top >> 128, (top >> 64) & M64);
    }

    function next_exit_block(address token) external view returns (uint256) {
        uint256 top = queue[token][1];
        if (top == 0) return 0;
        uint256 seq = top & M64;
        if (seq != 0) return ifeClock[ifeSeq[seq]] >> 192;
        return (exits[(top >> 64) & M64] >> 168) & M64;
    }

    function queue_length(address token) external view returns (uint256) {
        return queueLen[token];
    }

    function in_flight_bonds() external view returns (uint256, uint256) {
        return _bonds();
    }

    function in_flight_exit(bytes32 tx_hash) external view returns (address, uint8, uint8, uint256, uint256,
                                                                    uint256, uint256, uint256, uint256, uint256) {
        uint256 w = ifeWord[tx_hash];
        uint256 c = ifeClock[tx_hash];
        uint256 p = ifePos[tx_hash];
        return (address(uint160(w)), uint8(w >> 160), uint8(w >> 168), (p >> 128) & M64, p >> 192, c & M64,
                (c >> 64) & M64, (c >> 128) & M64, c >> 192, (w >> 176) & M64);
    }

    function in_flight_input(bytes32 tx_hash, uint8 index) external view returns (uint256, address, uint256) {
        uint256 p = ifePos[tx_hash];
        uint256 pos = index == 0 ? p & M64 : index == 1 && p & M64 != 0 ? (p >> 64) & M64 : 0;
        uint256 w = pos != 0 ? ifeIn[tx_hash][index] : 0;
        return (pos, address(uint160(w)), w >> 160);
    }

    function in_flight_output(bytes32 tx_hash, uint8 index) external view returns (address, uint256) {
        uint256 w = index < 2 ? ifeOut[tx_hash][index] : 0;
        return (address(uint160(w)), w >> 160);
    }
}


/// A refusal of RootChain's, by the rule it breaks; in brackets the values it is formatted with (a, b, c in
/// order; the others are 0).
enum Why {
    BadFinalizeCap,         // [cap]
    BadPosition,            // [position]
    SignedTx,               // [length, first word, zeros: bits owner 0, owner 1, amount 0, amount 1, signature 0, 1]
    UnknownBlock,           // [block]
    ProofLength,            // [length]
    NotAtIndex,             // [transaction index]
    ZeroDeposit,
    DepositTooLarge,
    DepositLimit,           // [operator block]
    NotOperator,            // [operator]
    EmptyRoot,
    BadBondExit,            // [bond, value sent]
    BadBondInFlight,        // [bond, value sent]
    BadBondPiggyback,       // [bond, value sent]
    ExitExists,             // [position, state]
    NotDepositBlock,        // [block]
    NotDepositOutput,       // [transaction index, output index]
    NoDepositPays,          // [amount]
    NotTheDeposit,          // [block, amount, sender]
    DepositBlockExit,       // [block]
    DepositsFromL1,
    EmptyOutput,            // [output index]
    NotOwnerPosition,       // [position, owner]
    ConfirmationsLength,    // [length]
    ConfirmationUnused,
    InputExited,            // [input index, position]
    NoSigner,               // [input index]
    NotConfirmed,           // [input index, signer]
    SpendByOutput0,         // [output index]
    NotASpendOf,            // [position]
    ConfirmationLength,
    SpendNotSigned,         // [position, owner]
    NotConfirmation,        // [owner, block]
    NoExitToChallenge,      // [position, state]
    UnknownToken,           // [token]
    BadMaxExits,            // [max_exits, cap]
    UnknownInFlightExit,    // [transaction hash]
    InFlightExitFinalized,  // [transaction hash]
    OutOfPhase,             // [what: 0 piggyback, 1 challenge, 2 response, 3 piggyback challenge; clock; phase]
    TxByOutput0,            // [output index]
    DepositBlockSpend,      // [block]
    NotSignedInput,         // [input index, position, owner]
    NotSignedCompetitor,    // [competitor's input index, owner]
    NotSignedSpendInput,    // [spend's input index, owner]
    NotSignedSpendOf,       // [position, owner]
    DepositHasNoInputs,
    InFlightExitExists,     // [transaction hash]
    BadInputTxs,            // [inputs, inputs, length]
    BadInputProofs,         // [inputs, inputs, length]
    MintsCoins,
    DepositNotASpend,
    EmptyCreatedOutput,     // [output index]
    AmountTooLargeInput,    // [index, amount]
    AmountTooLargeOutput,   // [index, amount]
    OutputsExceedInputs,    // [outputs' sum, inputs' sum]
    BadInputIndex,          // [index, last index]
    NotOwnerInput,          // [index, position, owner]
    PiggybackedInput,       // [index]
    BadOutputIndex,         // [index]
    OutputPaysNobody,       // [index]
    NotOwnerOutput,         // [index, owner]
    PiggybackedOutput,      // [index]
    CompetitorItself,
    NotACompetitor,         // [input index, position]
    CompetitorProof,
    NotOlderCompetitor,     // [oldest competitor's position]
    NoChallenge,
    RespondedAlready,       // [proven position]
    NotOlderTransaction,    // [position, competitor's position]
    NotPiggybackedInput,    // [index]
    NotPiggybackedOutput,   // [index]
    NotSpent,               // [position, state]
    NotAnInput,             // [position]
    NotCanonicalOpen,
    NotCanonicalSettled,
    NotExitedInFlight       // [position]
}

/// RootChain's refusal texts: for each refusal the Python contract's reason (rules.py's for the rules it calls),
/// with the values formatted as it formats them. RootChain creates it and calls it (STATICCALL) on a refusal
/// only; it keeps no state. A text is written from templates whose bytes below 0x20 each take the next value:
/// 0x01 in decimal, 0x02 as an EIP-55 address, 0x03 as a 0x-prefixed hash, 0x04 as an exit state's name, 0x05
/// as a phase's. The phase refusal reads the block's time and number, which are the refused call's.
contract RootChainReasons {
    uint256 private constant M64 = type(uint64).max;

    function text(Why why, uint256 a, uint256 b, uint256 c) external view returns (string memory out) {
        assembly ("memory-safe") {  // the text, empty, with room for 1 KiB of it (the longest is below 300 bytes)
            out := mload(0x40)
            mstore(out, 0)
            mstore(0x40, add(out, 0x420))
        }
        if (why == Why.BadPosition) {
            _position(out, a);
        } else if (why == Why.SignedTx) {
            _signedTx(out, a, b, c);
        } else if (why == Why.OutOfPhase) {
            _put(out, a == 0 ? "out of phase: piggybacks are in the first phase" : a == 1
                 ? "out of phase: canonicity challenges are in the first phase" : a == 2
                 ? "out of phase: responses to canonicity challenges are in the second phase"
                 : "out of phase: piggybacks are challenged until the second phase ends", 0, 0, 0);
            _put(out, "; the first phase ends at time \x01 and L1 block \x01", b & M64, (b >> 64) & M64, 0);
            _put(out, ", the second at time \x01 and L1 block \x01", (b >> 128) & M64, b >> 192, 0);
            _put(out, "; it is time \x01, L1 block \x01 (\x05)", block.timestamp, block.number, c);
        } else if (why == Why.NotOlderCompetitor) {
            _put(out, a == M64 ? "not older: a competitor not included is already shown; only an older one counts"
                 : "not older: a competitor at position \x01 is already shown; only an older one counts", a, 0, 0);
        } else {
            _put(out, _template(why), a, b, c);
        }
    }

    function _template(Why why) private pure returns (string memory) {
        if (why == Why.BadFinalizeCap) return "bad finalize cap: \x01 outside 1..128";
        if (why == Why.UnknownBlock) return "unknown block: child block \x01 was never created";
        if (why == Why.ProofLength) return "bad proof: a proof is 16 siblings (512 bytes), got \x01";
        if (why == Why.NotAtIndex) return "bad proof: the transaction is not at index \x01 of the block with this root";
        if (why == Why.ZeroDeposit) return "zero deposit: send the wei to deposit";
        if (why == Why.DepositTooLarge) {
            return "deposit too large: at most 340282366920938463463374607431768211455 wei per deposit";
        }
        if (why == Why.DepositLimit) {
            return "deposit limit: 999 deposit blocks already precede operator block \x01; deposit again once the "
                   "operator has submitted it";
        }
        if (why == Why.NotOperator) return "not the operator: only \x02 submits blocks";
        if (why == Why.EmptyRoot) return "empty root: a block holds at least one transaction";
        if (why == Why.BadBondExit) return "bad bond: an exit is bonded with exactly \x01 wei, got \x01";
        if (why == Why.BadBondInFlight) return "bad bond: an in-flight exit is bonded with exactly \x01 wei, got \x01";
        if (why == Why.BadBondPiggyback) return "bad bond: a piggyback is bonded with exactly \x01 wei, got \x01";
        if (why == Why.ExitExists) {
            return "exit exists: the exit of position \x01 was already \x04 and cannot start again";
        }
        if (why == Why.NotDepositBlock) {
            return "not a deposit block: block \x01 is an operator block, exit its outputs with start_exit";
        }
        if (why == Why.NotDepositOutput) {
            return "not a deposit output: a deposit block's one output is at transaction 0, output 0, not \x01, \x01";
        }
        if (why == Why.NoDepositPays) return "not the deposit: no deposit pays \x01 wei";
        if (why == Why.NotTheDeposit) return "not the deposit: deposit block \x01 does not pay \x01 wei to \x02";
        if (why == Why.DepositBlockExit) {
            return "deposit block: block \x01 holds a deposit, exit it with start_deposit_exit";
        }
        if (why == Why.DepositsFromL1) return "not a spend: deposits come from L1, an operator block only spends";
        if (why == Why.EmptyOutput) return "empty output: output \x01 of the transaction pays nobody";
        if (why == Why.NotOwnerPosition) return "not the owner: position \x01 pays \x02, not the sender";
        if (why == Why.ConfirmationsLength) return "bad confirmation: confirmations are 130 bytes, got \x01";
        if (why == Why.ConfirmationUnused) {
            return "bad confirmation: input 1 is unused, so its confirmation must be zero bytes";
        }
        if (why == Why.InputExited) {
            return "input exited: input \x01 (position \x01) of this transaction was paid out by its own exit";
        }
        if (why == Why.NoSigner) return "bad signature: input \x01's signature recovers no signer";
        if (why == Why.NotConfirmed) return "bad confirmation: input \x01 is not confirmed by its signer \x02";
        if (why == Why.SpendByOutput0) return "bad position: name the spending transaction by its output 0, not \x01";
        if (why == Why.NotASpendOf) return "not a spend: the transaction does not spend position \x01";
        if (why == Why.ConfirmationLength) return "bad confirmation: a confirmation signature is 65 bytes";
        if (why == Why.SpendNotSigned) {
            return "bad signature: the spend of position \x01 is not signed by \x02 for this root chain";
        }
        if (why == Why.NotConfirmation) return "bad confirmation: not \x02's confirmation of the spend in block \x01";
        if (why == Why.NoExitToChallenge) return "no exit to challenge: the exit of position \x01 is \x04";
        if (why == Why.UnknownToken) return "unknown token: \x02; only ETH (the zero address) exits here";
        if (why == Why.BadMaxExits) return "bad max_exits: \x01 outside 1..\x01";
        if (why == Why.UnknownInFlightExit) {
            return "unknown in-flight exit: no in-flight exit of transaction \x03 was started";
        }
        if (why == Why.InFlightExitFinalized) {
            return "in-flight exit finalized: the in-flight exit of transaction \x03 is over";
        }
        if (why == Why.TxByOutput0) return "bad position: name a transaction by its output 0, not output \x01";
        if (why == Why.DepositBlockSpend) return "deposit block: block \x01 holds a deposit, not a spend";
        if (why == Why.NotSignedInput) {
            return "bad signature: input \x01 (position \x01) is not signed by its owner \x02";
        }
        if (why == Why.NotSignedCompetitor) {
            return "bad signature: the competitor's input \x01 is not signed by its owner \x02";
        }
        if (why == Why.NotSignedSpendInput) return "bad signature: the spend's input \x01 is not signed by its owner \x02";
        if (why == Why.NotSignedSpendOf) {
            return "bad signature: the spend of position \x01 is not signed by its owner \x02";
        }
        if (why == Why.DepositHasNoInputs) return "not a spend: a deposit has no inputs; it exits with start_deposit_exit";
        if (why == Why.InFlightExitExists) {
            return "in-flight exit exists: the in-flight exit of transaction \x03 was already started";
        }
        if (why == Why.BadInputTxs) {
            return "bad input proof: \x01 input(s): the input transactions are \x01 x 218 bytes, got \x01";
        }
        if (why == Why.BadInputProofs) return "bad input proof: \x01 input(s): the proofs are \x01 x 512 bytes, got \x01";
        if (why == Why.MintsCoins) return "not a spend: an operator block's transaction without inputs mints coins";
        if (why == Why.DepositNotASpend) return "not a spend: a deposit block holds a deposit, not a spend";
        if (why == Why.EmptyCreatedOutput) return "empty output: output \x01 of the input's transaction pays nobody";
        if (why == Why.AmountTooLargeInput) {
            return "amount too large: input \x01 holds \x01 wei, an in-flight exit records amounts below 2**96";
        }
        if (why == Why.AmountTooLargeOutput) {
            return "amount too large: output \x01 holds \x01 wei, an in-flight exit records amounts below 2**96";
        }
        if (why == Why.OutputsExceedInputs) return "outputs exceed inputs: outputs pay \x01 wei, inputs hold \x01";
        if (why == Why.BadInputIndex) return "bad index: input index \x01 is outside 0..\x01";
        if (why == Why.NotOwnerInput) {
            return "not the owner: input \x01 (position \x01) is owned by \x02, not the sender";
        }
        if (why == Why.PiggybackedInput) return "piggybacked already: input \x01 is piggybacked";
        if (why == Why.BadOutputIndex) return "bad index: output index \x01 is outside 0..1";
        if (why == Why.OutputPaysNobody) return "bad index: output \x01 of the in-flight transaction pays nobody";
        if (why == Why.NotOwnerOutput) return "not the owner: output \x01 pays \x02, not the sender";
        if (why == Why.PiggybackedOutput) return "piggybacked already: output \x01 is piggybacked";
        if (why == Why.CompetitorItself) {
            return "not a competitor: the transaction shown is the in-flight transaction itself";
        }
        if (why == Why.NotACompetitor) {
            return "not a competitor: the transaction shown does not spend input \x01 (position \x01)";
        }
        if (why == Why.CompetitorProof) {
            return "bad proof: a competitor shown without its position carries no inclusion proof";
        }
        if (why == Why.NoChallenge) return "no challenge: no competitor of the in-flight transaction was shown";
        if (why == Why.RespondedAlready) return "responded already: the in-flight transaction is shown at \x01";
        if (why == Why.NotOlderTransaction) {
            return "not older: the in-flight transaction at \x01 is not older than the competitor at \x01";
        }
        if (why == Why.NotPiggybackedInput) {
            return "not piggybacked: input \x01 of the in-flight transaction is not piggybacked";
        }
        if (why == Why.NotPiggybackedOutput) {
            return "not piggybacked: output \x01 of the in-flight transaction is not piggybacked";
        }
        if (why == Why.NotSpent) {
            return "not spent: position \x01 has no standard exit (\x04) and no spend of it is shown";
        }
        if (why == Why.NotAnInput) return "not an input: the in-flight transaction does not spend position \x01";
        if (why == Why.NotCanonicalOpen) {
            return "not canonical: the in-flight transaction has a competitor or an exited input, so its inputs may "
                   "still exit";
        }
        if (why == Why.NotCanonicalSettled) return "not canonical: the in-flight exit paid its inputs, not its outputs";
        return "not exited in flight: position \x01 is no output the in-flight exit paid";
    }

    /// rules.decode_utxo_pos's refusal of position `p`.
    function _position(string memory out, uint256 p) private pure {
        uint256 rest = p % 1_000_000_000;
        if (p == 0 || p > M64) {
            _put(out, "bad position: position \x01 is outside 1..18446744073709551615", p, 0, 0);
        } else if (p / 1_000_000_000 == 0) {
            _put(out, "bad position: position \x01 names block 0, which does not exist", p, 0, 0);
        } else if (rest / 10_000 >= 65536) {
            _put(out, "bad position: position \x01 names transaction \x01, a block holds 65536", p, rest / 10_000, 0);
        } else {
            _put(out, "bad position: position \x01 names output \x01, a transaction has 2", p, rest % 10_000, 0);
        }
    }

    function _positionOk(uint256 p) private pure returns (bool) {
        return p != 0 && p <= M64 && p / 1_000_000_000 != 0 && (p % 1_000_000_000) / 10_000 < 65536
            && p % 10_000 < 2;
    }

    /// SignedTransaction.decode's refusal, in the order rules.py checks (the length, the inputs, the outputs,
    /// the signatures). `w` is the transaction's first word (its inputs), `zeros` says which owners, amounts and
    /// signatures are zero. Nothing for a valid one (RootChain asks about an invalid one only).
    function _signedTx(string memory out, uint256 length, uint256 w, uint256 zeros) private pure {
        if (length != 218) return _put(out, "bad encoding: a signed transaction is 218 bytes, got \x01", length, 0, 0);
        uint256[2] memory ins = [w >> 192, (w >> 128) & M64];
        for (uint256 i; i < 2; i++) {
            if (ins[i] != 0 && !_positionOk(ins[i])) {
                _put(out, "bad input: input \x01: ", i, 0, 0);
                return _position(out, ins[i]);
            }
        }
        if (ins[0] == 0 && ins[1] != 0) {
            return _put(out, "bad input: input 1 is used while input 0 is not: fill input 0 first", 0, 0, 0);
        }
        if (ins[0] != 0 && ins[0] == ins[1]) return _put(out, "double spend: both inputs spend position \x01", ins[0], 0, 0);
        for (uint256 j; j < 2; j++) {
            if ((zeros >> j) & 1 != (zeros >> (2 + j)) & 1) {
                return _put(out, "bad output: output \x01 must pay a positive amount to a non-zero owner, or be empty "
                            "(zero owner, zero amount)", j, 0, 0);
            }
        }
        if (zeros & 1 != 0) return _put(out, "bad output: output 0 is empty: a transaction pays at least one output", 0, 0, 0);
        if (ins[0] == 0 && zeros & 2 == 0) return _put(out, "bad deposit: a deposit (no inputs) pays output 0 only", 0, 0, 0);
        for (uint256 i; i < 2; i++) {
            bool used = ins[i] != 0;
            if (used == ((zeros >> (4 + i)) & 1 == 1)) {
                return _put(out, used ? "bad signature: input \x01 is used but unsigned"
                                      : "bad signature: input \x01 is unused, so its signature must be zero bytes", i, 0, 0);
            }
        }
    }

    /// Append template `t` to `out` with its values `a`, `b`, `c` in order (`out` has room past its end).
    function _put(string memory out, string memory t, uint256 a, uint256 b, uint256 c) private pure {
        // Never taken (no template is that long), but it keeps the ~100 call sites on one body, as in
        // RootChain._refuse.
        if (bytes(t).length > 0x400) _put(out, "", a, b, c);
        assembly ("memory-safe") {
            /// `x` in decimal at `o`; returns the end. The digits are written backwards 96 bytes on (the text
            /// has room), then moved.
            function dec(o, x) -> e {
                let last := add(o, 96)
                let first := last
                for {} 1 {} {
                    first := sub(first, 1)
                    mstore8(first, add(48, mod(x, 10)))
                    x := div(x, 10)
                    if iszero(x) { break }
                }
                e := add(o, sub(last, first))
                mcopy(o, first, sub(last, first))
            }
            /// The 32 nibbles of `x` (below 2**128) one a byte, the most significant first.
            function spread(x) -> y {
                y := and(or(shl(64, x), x), 0x0000000000000000ffffffffffffffff0000000000000000ffffffffffffffff)
                y := and(or(shl(32, y), y), 0x00000000ffffffff00000000ffffffff00000000ffffffff00000000ffffffff)
                y := and(or(shl(16, y), y), 0x0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff0000ffff)
                y := and(or(shl(8, y), y), 0x00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff)
                y := and(or(shl(4, y), y), 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f)
            }
            /// A spread word's nibbles as lower-case hex digits ('a' is 39 past '9' + 1).
            function digits(y) -> w {
                w := add(add(y, 0x3030303030303030303030303030303030303030303030303030303030303030),
                         mul(and(shr(4, add(y, 0x0606060606060606060606060606060606060606060606060606060606060606)),
                                 0x0101010101010101010101010101010101010101010101010101010101010101), 39))
            }
            /// A 32-byte hash, 0x and lower-case hex, at `o`; returns the end.
            function hash(o, x) -> e {
                mstore(o, shl(240, 0x3078))
                mstore(add(o, 2), digits(spread(shr(128, x))))
                mstore(add(o, 34), digits(spread(and(x, 0xffffffffffffffffffffffffffffffff))))
                e := add(o, 66)
            }
            /// EIP-55: 0x and hex whose letters are upper case where the keccak of the lower-case hex has a
            /// nibble of 8 or more (a digit's byte has bit 6 clear, a letter's set; upper case clears bit 5).
            function addr(o, x) -> e {
                let high := digits(spread(shr(32, and(x, 0xffffffffffffffffffffffffffffffffffffffff))))
                let low := shl(192, digits(spread(and(x, 0xffffffff))))
                mstore(o, shl(240, 0x3078))
                mstore(add(o, 2), high)
                mstore(add(o, 34), low)
                let h := keccak256(add(o, 2), 40)
                let eights := 0x0808080808080808080808080808080808080808080808080808080808080808
                let letters := 0x4040404040404040404040404040404040404040404040404040404040404040
                high := xor(high, and(shl(2, and(spread(shr(128, h)), eights)), shr(1, and(high, letters))))
                low := xor(low, and(shl(2, and(shl(192, spread(and(shr(96, h), 0xffffffff))), eights)),
                                    shr(1, and(low, letters))))
                mstore(add(o, 2), high)
                mstore(add(o, 34), low)
                e := add(o, 42)
            }
            /// STATE_NAMES.
            function state(o, x) -> e {
                switch x
                case 1 { mstore(o, "started") e := add(o, 7) }
                case 2 { mstore(o, "challenged") e := add(o, 10) }
                case 3 { mstore(o, "finalized") e := add(o, 9) }
                default { mstore(o, "not started") e := add(o, 11) }
            }
            /// PHASE_NAMES.
            function phase(o, x) -> e {
                switch x
                case 1 { mstore(o, "first phase") e := add(o, 11) }
                case 2 { mstore(o, "second phase") e := add(o, 12) }
                default { mstore(o, "over") e := add(o, 4) }
            }

            let o := add(add(out, 0x20), mload(out))
            let p := add(t, 0x20)
            let end := add(p, mload(t))
            let k := 0
            // A word at a time: copied whole, then the cursor moves past its text up to the first byte below
            // 0x20 (found exactly, as the template is ASCII: adding 0x60 to a byte's low 7 bits sets its top bit
            // unless it is below 0x20), which takes the next value.
            for {} lt(p, end) {} {
                let w := mload(p)
                let left := sub(end, p)
                let values := and(not(or(add(and(w, 0x7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f),
                                             0x6060606060606060606060606060606060606060606060606060606060606060), w)),
                                  0x8080808080808080808080808080808080808080808080808080808080808080)
                if lt(left, 32) { values := and(values, not(shr(mul(8, left), not(0)))) }
                mstore(o, w)
                if iszero(values) {
                    if gt(left, 32) { left := 32 }
                    o := add(o, left)
                    p := add(p, left)
                    continue
                }
                // The first such byte: 31 less the index, from the low end, of the highest byte of `values`.
                let i := shl(7, gt(values, 0xffffffffffffffffffffffffffffffff))
                i := or(i, shl(6, gt(shr(i, values), 0xffffffffffffffff)))
                i := or(i, shl(5, gt(shr(i, values), 0xffffffff)))
                i := or(i, shl(4, gt(shr(i, values), 0xffff)))
                i := or(i, shl(3, gt(shr(i, values), 0xff)))
                let j := sub(31, shr(3, i))
                o := add(o, j)
                p := add(p, add(j, 1))
                let x := c
                switch k
                case 0 { x := a }
                case 1 { x := b }
                k := add(k, 1)
                switch byte(j, w)
                case 1 { o := dec(o, x) }
                case 2 { o := addr(o, x) }
                case 3 { o := hash(o, x) }
                case 4 { o := state(o, x) }
                default { o := phase(o, x) }
            }
            mstore(out, sub(o, add(out, 0x20)))
        }
    }
}
