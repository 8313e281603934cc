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

    constructor(address operator_, uint64 exit_period_blocks, uint64 exit_period_seconds, uint96 exit_bond,
                uint16 max_finalize) {
        require(operator_ != address(0), "bad operator: the zero address");
        require(exit_period_blocks > 0 && exit_period_seconds > 0,
                "bad exit period: blocks and seconds must both be positive");
        require(exit_period_blocks < 2 ** 32, "bad exit period: at most 2**32 - 1 blocks, so two periods past any "
                                              "block fit an exit's 64-bit record");
        require(exit_bond > 0, "bad exit bond: an exit must be bonded, or nobody is paid to challenge it");
        if (max_finalize == 0 || max_finalize > MAX_FINALIZE_PER_CALL) {
            _fail("bad finalize cap: ", max_finalize, " outside 1..128");
        }
        operatorAddress = operator_;
        paramsWord = uint256(exit_period_blocks) | uint256(exit_period_seconds) << 64 | uint256(exit_bond) << 128
            | uint256(max_finalize) << 224;
        counters = CHILD_BLOCK_INTERVAL | 1 << 64;
    }

    // -- formatting of refusals ---------------------------------------------------------------------------------

    function _dec(uint256 v) private pure returns (string memory) {
        if (v == 0) return "0";
        uint256 n;
        for (uint256 t = v; t != 0; t /= 10) n++;
        bytes memory out = new bytes(n);
        for (; v != 0; v /= 10) out[--n] = bytes1(uint8(48 + v % 10));
        return string(out);
    }

    /// EIP-55: the address in hex, a letter upper case where the keccak of the lower-case hex has a nibble >= 8.
    function _addr(uint256 a) private pure returns (string memory) {
        bytes memory low = new bytes(40);
        for (uint256 i; i < 40; i++) {
            uint256 nib = (a >> (4 * (39 - i))) & 15;
            low[i] = bytes1(uint8(nib < 10 ? 48 + nib : 87 + nib));
        }
        uint256 h = uint256(keccak256(low));
        for (uint256 i; i < 40; i++) {
            if (uint8(low[i]) > 57 && (h >> (4 * (63 - i))) & 15 >= 8) low[i] = bytes1(uint8(low[i]) - 32);
        }
        return string.concat("0x", string(low));
    }

    function _hex32(bytes32 v) private pure returns (string memory) {
        bytes memory out = new bytes(64);
        for (uint256 i; i < 64; i++) {
            uint256 nib = (uint256(v) >> (4 * (63 - i))) & 15;
            out[i] = bytes1(uint8(nib < 10 ? 48 + nib : 87 + nib));
        }
        return string.concat("0x", string(out));
    }

    function _fail(string memory a, uint256 x, string memory b) private pure {
        revert(string.concat(a, _dec(x), b));
    }

    function _fail2(string memory a, uint256 x, string memory b, uint256 y, string memory c) private pure {
        revert(string.concat(a, _dec(x), b, _dec(y), c));
    }

    function _failA(string memory a, uint256 x, string memory b) private pure {
        revert(string.concat(a, _addr(x), b));
    }

    function _failDA(string memory a, uint256 x, string memory b, uint256 y, string memory c) private pure {
        revert(string.concat(a, _dec(x), b, _addr(y), c));
    }

    function _failState(string memory a, uint256 pos, string memory b, uint256 state, string memory c)
        private pure
    {
        revert(string.concat(a, _dec(pos), b, state == STARTED ? "started" : state == CHALLENGED ? "challenged" : state == FINALIZED
            ? "finalized" : "not started", c));
    }

    function _failHash(string memory a, bytes32 h, string memory b) private pure {
        revert(string.concat(a, _hex32(h), b));
    }

    // -- positions ------------------------------------------------------------------------------------------------

    /// Why `p` names no output ("" when it does): rules.decode_utxo_pos's refusal.
    function _positionError(uint256 p) private pure returns (string memory) {
        uint256 rest = p % BLOCK_OFFSET;
        string memory why = p == 0 || p > M64 ? " is outside 1..18446744073709551615" : p / BLOCK_OFFSET == 0
            ? " names block 0, which does not exist" : rest / TX_OFFSET >= MAX_TXS
            ? string.concat(" names transaction ", _dec(rest / TX_OFFSET), ", a block holds 65536")
            : string.concat(" names output ", _dec(rest % TX_OFFSET), ", a transaction has 2");
        return string.concat("bad position: position ", _dec(p), why);
    }

    function _positionOk(uint256 p) private pure returns (bool) {
        return p != 0 && p <= M64 && p / BLOCK_OFFSET != 0 && (p % BLOCK_OFFSET) / TX_OFFSET < MAX_TXS
            && p % TX_OFFSET < 2;
    }

    function _position(uint256 p) private pure returns (uint256 blknum, uint256 txindex, uint256 oindex) {
        if (!_positionOk(p)) revert(_positionError(p));
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

    /// SignedTransaction.decode: exactly 218 canonical bytes, or a refusal naming what is wrong.
    function _checkSigned(bytes calldata s) private pure {
        if (s.length != 218) {
            _fail("bad encoding: a signed transaction is 218 bytes, got ", s.length, "");
        }
        uint256 w = _word(s, 0);
        uint256 in0 = w >> 192;
        uint256 in1 = (w >> 128) & M64;
        uint256 o0 = _owner(s, 0);
        uint256 o1 = _owner(s, 1);
        bool z0 = _zeroSig(s, 88);
        bool z1 = _zeroSig(s, 153);
        // The common case, valid, in one test; the refusals below in the order rules.py checks them.
        if (in0 != 0 && _positionOk(in0) && (in1 == 0 || (_positionOk(in1) && in1 != in0)) && o0 != 0
                && _amount(s, 0) != 0 && (o1 == 0) == (_amount(s, 1) == 0) && !z0 && (in1 == 0) == z1) return;
        for (uint256 i; i < 2; i++) {
            uint256 p = i == 0 ? in0 : in1;
            if (p != 0 && !_positionOk(p)) {
                revert(string.concat("bad input: input ", _dec(i), ": ", _positionError(p)));
            }
        }
        if (in0 == 0 && in1 != 0) revert("bad input: input 1 is used while input 0 is not");
        if (in0 != 0 && in0 == in1) _fail("double spend: both inputs spend position ", in0, "");
        for (uint256 j; j < 2; j++) {
            if ((_amount(s, j) == 0) != ((j == 0 ? o0 : o1) == 0)) {
                _fail("bad output: output ", j, " must pay a positive amount to a non-zero owner, or be empty");
            }
        }
        if (o0 == 0) revert("bad output: output 0 is empty");
        if (in0 == 0 && o1 != 0) revert("bad deposit: a deposit (no inputs) pays output 0 only");
        for (uint256 i; i < 2; i++) {
            bool used = (i == 0 ? in0 : in1) != 0;
            if (used == (i == 0 ? z0 : z1)) {
                _fail("bad signature: input ", i, used ? " is used but unsigned"
                                                       : " is unused, so its signature must be zero bytes");
            }
        }
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
        if (root == bytes32(0)) {
            _fail("unknown block: child block ", blknum, " was never created");
        }
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
    function _checkInclusion(bytes32 root, bytes32 leaf, uint256 txindex, bytes calldata proof) private pure {
        if (proof.length != 512) {
            _fail("bad proof: a proof is 16 siblings (512 bytes), got ", proof.length, "");
        }
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
        if (node != root) {
            _fail("bad proof: the transaction is not at index ", txindex, " of the block with this root");
        }
    }

    function _leaf(bytes calldata s) private pure returns (bytes32) {
        return keccak256(s);
    }

    // -- ETH out ------------------------------------------------------------------------------------------------

    function _transfer(uint256 to, uint256 amount) private {
        if (amount == 0) return;
        assembly ("memory-safe") {
            pop(call(0, to, amount, 0, 0, 0, 0))
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
        require(msg.value > 0, "zero deposit: send the wei to deposit");
        require(msg.value <= MAX_AMOUNT,
                "deposit too large: at most 2**128 - 1 wei per deposit");
        uint256 c = counters;
        uint256 child = c & M64;
        uint256 index = c >> 64;
        if (index > MAX_DEPOSITS_PER_INTERVAL) {
            _fail("deposit limit: 999 deposit blocks already precede operator block ", child, "");
        }
        unchecked {
            blknum = child - CHILD_BLOCK_INTERVAL + index;
        }
        _recordBlock(blknum, _depositRoot(msg.sender, msg.value));
        counters = child | (index + 1) << 64;
        emit DepositCreated(msg.sender, blknum, msg.value);
    }

    function submit_block(bytes32 root) external returns (uint256 child) {
        address op = operatorAddress;
        if (msg.sender != op) {
            _failA("not the operator: only ", uint160(op), " submits blocks");
        }
        require(root != bytes32(0), "empty root: a block holds at least one transaction");
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

    function _badBond(string memory what, uint256 bond) private view {
        revert(string.concat("bad bond: ", what, " is bonded with exactly ", _dec(bond), " wei, got ",
                             _dec(msg.value)));
    }

    function _start(uint256 utxoPos, uint256 owner, uint256 amount, uint256 at) private {
        uint256 p = paramsWord;
        uint256 bond = (p >> 128) & type(uint96).max;
        if (msg.value != bond) _badBond("an exit", bond);
        uint256 state = (exits[utxoPos] >> 160) & 0xff;
        if (state != 0) {
            _failState("exit exists: the exit of position ", utxoPos, " was already ", state, " and cannot start again");
        }
        uint256 exitTime = _exitableAt(at & M64, block.timestamp, (p >> 64) & M64);
        uint256 exitBlock = _exitableAt(at >> 64, block.number, p & M64);
        exits[utxoPos] = owner | STARTED << 160 | exitBlock << 168;
        exitAmounts[utxoPos] = amount | exitTime << 128;
        _push(address(0), exitTime << 128 | utxoPos << 64);
        emit ExitStarted(address(uint160(owner)), utxoPos, amount, exitTime, exitBlock);
    }

    function start_deposit_exit(uint256 utxo_pos, uint256 amount) external payable {
        (uint256 blknum, uint256 txindex, uint256 oindex) = _position(utxo_pos);
        if (blknum % CHILD_BLOCK_INTERVAL == 0) {
            _fail("not a deposit block: block ", blknum, " is an operator block");
        }
        if (txindex != 0 || oindex != 0) {
            _fail2("not a deposit output: a deposit block's one output is at transaction 0, output "
                                 "0, not ", txindex, ", ", oindex, "");
        }
        (bytes32 root, uint256 at) = _block(blknum);
        if (amount == 0 || amount > MAX_AMOUNT) {
            _fail("not the deposit: no deposit pays ", amount, " wei");
        }
        if (_depositRoot(msg.sender, amount) != root) {
            _fail2("not the deposit: deposit block ", blknum, " does not pay ", amount, " wei to the sender");
        }
        _start(utxo_pos, uint160(msg.sender), amount, at);
    }

    function start_exit(uint256 utxo_pos, bytes calldata signed_tx, bytes calldata proof,
                        bytes calldata confirmation_sigs) external payable {
        (uint256 blknum, uint256 txindex, uint256 oindex) = _position(utxo_pos);
        if (blknum % CHILD_BLOCK_INTERVAL != 0) {
            _fail("deposit block: block ", blknum, " holds a deposit");
        }
        (bytes32 root, uint256 at) = _block(blknum);
        _checkSigned(signed_tx);
        uint256 in0 = _input(signed_tx, 0);
        uint256 in1 = _input(signed_tx, 1);
        require(in0 != 0, "not a spend: deposits come from L1");
        uint256 owner = _owner(signed_tx, oindex);
        if (owner == 0) {
            _fail("empty output: output ", oindex, " of the transaction pays nobody");
        }
        if (owner != uint160(msg.sender)) {
            _failDA("not the owner: position ", utxo_pos, " pays ", owner, ", not the sender");
        }
        if (confirmation_sigs.length != 130) {
            _fail("bad confirmation: confirmations are 130 bytes, got ", confirmation_sigs.length, "");
        }
        if (in1 == 0 && !_zeroSig(confirmation_sigs, 65)) {
            revert("bad confirmation: input 1 is unused");
        }
        uint256 n = in1 == 0 ? 1 : 2;
        for (uint256 i; i < n; i++) {  // one value never exits twice: as an input and as this output
            uint256 pos = i == 0 ? in0 : in1;
            uint256 paid = exits[pos];
            if ((paid >> 160) & 0xff == FINALIZED && paid & M160 != 0) {
                _fail2("input exited: input ", i, " (position ", pos, ") of this transaction was paid out");
            }
        }
        _checkInclusion(root, _leaf(signed_tx), txindex, proof);
        bytes32 txHash = _txHash(signed_tx);
        bytes32 digest = _signingDigest(txHash);
        bytes32 confirmed = _confirmationDigest(txHash, root);
        for (uint256 i; i < n; i++) {
            uint256 signer = _recover(digest, signed_tx[88 + 65 * i:153 + 65 * i]);
            if (signer == 0) {
                _fail("bad signature: input ", i, "'s signature recovers no signer");
            }
            if (_recover(confirmed, confirmation_sigs[65 * i:65 * i + 65]) != signer) {
                _failDA("bad confirmation: input ", i, " is not confirmed by its signer ", signer, "");
            }
        }
        _start(utxo_pos, owner, _amount(signed_tx, oindex), at);
    }

    function challenge_exit(uint256 utxo_pos, uint256 spend_pos, bytes calldata signed_tx, bytes calldata proof,
                            bytes calldata confirmation_sig) external {
        uint256 held = exits[utxo_pos];
        _requireStartedExit(utxo_pos, held);
        (uint256 blknum, uint256 txindex, uint256 oindex) = _position(spend_pos);
        if (oindex != 0) {
            _fail("bad position: name the spending transaction by its output 0, not ", oindex, "");
        }
        (bytes32 root,) = _block(blknum);
        _checkSigned(signed_tx);
        uint256 k = _spentIndex(signed_tx, utxo_pos);
        if (k == 2) {
            _fail("not a spend: the transaction does not spend position ", utxo_pos, "");
        }
        _checkInclusion(root, _leaf(signed_tx), txindex, proof);
        require(confirmation_sig.length == 65, "bad confirmation: a confirmation signature is 65 bytes");
        bytes32 txHash = _txHash(signed_tx);
        uint256 owner = held & M160;
        // The spend itself is the exiter's, signed for this root chain: a confirmation copied from another
        // deployment (whose root an operator can copy too) challenges nothing here.
        if (_recover(_signingDigest(txHash), signed_tx[88 + 65 * k:153 + 65 * k]) != owner) {
            _failDA("bad signature: the spend of position ", utxo_pos, " is not signed by ", owner, " for this root chain");
        }
        if (_recover(_confirmationDigest(txHash, root), confirmation_sig) != owner) {
            _failA("bad confirmation: not ", owner, "'s confirmation of the spend");
        }
        _cancelExit(utxo_pos, spend_pos);
    }

    function _requireStartedExit(uint256 utxoPos, uint256 held) private pure {
        uint256 state = (held >> 160) & 0xff;
        if (state != STARTED) {
            _failState("no exit to challenge: the exit of position ", utxoPos, " is ", state, "");
        }
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
        if (token != address(0)) {
            _failA("unknown token: ", uint160(token), "; only ETH (the zero address) exits "
                                 "here");
        }
        uint256 p = paramsWord;
        uint256 bond = (p >> 128) & type(uint96).max;
        uint256 cap = p >> 224;
        if (max_exits == 0 || max_exits > cap) {
            _fail2("bad max_exits: ", max_exits, " outside 1..", cap, "");
        }
        mapping(uint256 => uint256) storage q = queue[token];
        while (done < max_exits) {
            uint256 top = q[1];
            if (top == 0) break;
            if (block.timestamp < top >> 128) break;
            uint256 seq = top & M64;
            if (seq != 0) {  // an in-flight exit
                bytes32 txHash = ifeSeq[seq];
                uint256[3] memory f = _inFlight(txHash);
                if (block.number < f[1] >> 192) break;
                _pop(token);
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
            _pop(token);
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
        if (state != STARTED) {
            _failHash("in-flight exit finalized: the in-flight exit of transaction ", txHash, " is over");
        }
    }

    function _requireKnown(bytes32 txHash, uint256 state) private pure {
        if (state == 0) {
            _failHash("unknown in-flight exit: no in-flight exit of transaction ", txHash, " was started");
        }
    }

    function _phase(uint256 clock) private view returns (uint256) {
        if (block.timestamp < clock & M64 || block.number < (clock >> 64) & M64) return FIRST_PHASE;
        if (block.timestamp < (clock >> 128) & M64 || block.number < clock >> 192) return SECOND_PHASE;
        return PHASES_OVER;
    }

    /// Revert unless the in-flight exit is in a phase up to `last` from `first`.
    function _requirePhase(uint256 clock, uint256 first, uint256 last, uint256 what) private view {
        uint256 phase = _phase(clock);
        if (phase < first || phase > last) {
            revert(string.concat("out of phase: ", what == 0 ? "piggybacks are in the first phase" : what == 1
                                 ? "canonicity challenges are in the first phase" : what == 2
                                 ? "responses to canonicity challenges are in the second phase"
                                 : "piggybacks are challenged until the second phase ends", "; it is time ", _dec(block.timestamp), ", L1 block ",
                                 _dec(block.number), phase == FIRST_PHASE ? " (first phase)" : phase == SECOND_PHASE
                                 ? " (second phase)" : " (over)"));
        }
    }

    /// `s` is the transaction at `txPos` (its output 0's position) of an operator block.
    function _includedAt(bytes calldata s, uint256 txPos, bytes calldata proof) private view {
        (uint256 blknum, uint256 txindex, uint256 oindex) = _position(txPos);
        if (oindex != 0) {
            _fail("bad position: name a transaction by its output 0, not output ", oindex, "");
        }
        if (blknum % CHILD_BLOCK_INTERVAL != 0) {
            _fail("deposit block: block ", blknum, " holds a deposit, not a spend");
        }
        (bytes32 root,) = _block(blknum);
        _checkInclusion(root, _leaf(s), txindex, proof);
    }

    function _notSignedBy(string memory what, uint256 owner) private pure {
        revert(string.concat("bad signature: ", what, " is not signed by its owner ", _addr(owner)));
    }

    function start_in_flight_exit(bytes calldata in_flight_tx, bytes calldata input_txs,
                                  bytes calldata input_proofs) external payable {
        uint256 prm = paramsWord;
        (uint256 bond,) = _bonds();
        if (msg.value != bond) _badBond("an in-flight exit", bond);
        _checkSigned(in_flight_tx);
        uint256[2] memory ins = [_input(in_flight_tx, 0), _input(in_flight_tx, 1)];
        require(ins[0] != 0, "not a spend: a deposit has no inputs");
        uint256 youngest = ins[0] > ins[1] ? ins[0] : ins[1];
        bytes32 txHash = _txHash(in_flight_tx);
        if (ifeWord[txHash] != 0) {
            _failHash("in-flight exit exists: the in-flight exit of transaction ", txHash, " was already started");
        }
        uint256 n = ins[1] == 0 ? 1 : 2;
        bool txsOk = input_txs.length == n * 218;
        if (!txsOk || input_proofs.length != n * 512) {
            revert(string.concat("bad input proof: ", _dec(n), " input(s): the ", txsOk ? "proofs" : "input transactions",
                                 " are ", _dec(n), txsOk ? " x 512 bytes, got " : " x 218 bytes, got ",
                                 _dec(txsOk ? input_proofs.length : input_txs.length)));
        }
        for (uint256 i; i < n; i++) _checkSigned(input_txs[218 * i:218 * i + 218]);
        uint256[2] memory words;  // owner | amount << 160 of each input
        uint256 created;
        uint256 paidIn;
        for (uint256 i; i < n; i++) {
            bytes calldata creating = input_txs[218 * i:218 * i + 218];
            uint256 blknum = ins[i] / BLOCK_OFFSET;
            uint256 rest = ins[i] % BLOCK_OFFSET;
            (bytes32 root, uint256 at) = _block(blknum);
            _checkInclusion(root, _leaf(creating), rest / TX_OFFSET, input_proofs[512 * i:512 * i + 512]);
            bool isDeposit = _input(creating, 0) == 0;
            if ((blknum % CHILD_BLOCK_INTERVAL != 0) != isDeposit) {
                revert(isDeposit ? "not a spend: an operator block's transaction mints coins"
                                 : "not a spend: a deposit block holds a deposit, not a spend");
            }
            uint256 oindex = rest % TX_OFFSET;
            uint256 owner = _owner(creating, oindex);
            if (owner == 0) {
                _fail("empty output: output ", oindex, " of the input's transaction pays "
                                     "nobody");
            }
            uint256 amount = _amount(creating, oindex);
            words[i] = owner | amount << 160;
            paidIn += amount;
            if (ins[i] == youngest) created = at;
        }
        _checkInFlightAmounts(in_flight_tx, words, n, paidIn);
        for (uint256 i; i < n; i++) {
            if (_signer(in_flight_tx, i) != words[i] & M160) {
                _notSignedBy(string.concat("input ", _dec(i), " (position ", _dec(ins[i]), ")"), words[i] & M160);
            }
        }
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

    /// rules.check_in_flight_amounts: every amount below 2**96, the outputs at most the inputs.
    function _checkInFlightAmounts(bytes calldata s, uint256[2] memory words, uint256 n, uint256 paidIn)
        private pure
    {
        for (uint256 i; i < n; i++) {
            if (words[i] >> 160 >= IN_FLIGHT_AMOUNT_LIMIT) _tooLarge("input ", i, words[i] >> 160);
        }
        uint256 paidOut;
        for (uint256 j; j < 2; j++) {
            uint256 a = _amount(s, j);
            if (a >= IN_FLIGHT_AMOUNT_LIMIT) _tooLarge("output ", j, a);
            paidOut += a;
        }
        if (paidOut > paidIn) {
            _fail2("outputs exceed inputs: outputs pay ", paidOut, " wei, inputs hold ", paidIn, "");
        }
    }

    function _tooLarge(string memory what, uint256 i, uint256 amount) private pure {
        revert(string.concat("amount too large: ", what, _dec(i), " holds ", _dec(amount), " wei"));
    }

    /// A piggyback's common checks: its exact bond, an open in-flight exit of the transaction, the first phase.
    function _openPiggyback(bytes calldata s) private view returns (bytes32 txHash, uint256[3] memory f) {
        (, uint256 bond) = _bonds();
        if (msg.value != bond) _badBond("a piggyback", bond);
        (txHash, f) = _open(s);
        _requirePhase(f[1], FIRST_PHASE, FIRST_PHASE, 0);
    }

    /// rules.input_position: the position input `index` of `s` spends, or a refusal naming a bad index.
    function _inputPosition(bytes calldata s, uint256 index) private pure returns (uint256) {
        uint256 n = _input(s, 1) == 0 ? 1 : 2;
        if (index >= n) {
            _fail2("bad index: input index ", index, " is outside 0..", n - 1, "");
        }
        return _input(s, index);
    }

    function piggyback_input(bytes calldata in_flight_tx, uint8 index) external payable {
        (bytes32 txHash, uint256[3] memory f) = _openPiggyback(in_flight_tx);
        uint256 pos = _inputPosition(in_flight_tx, index);
        uint256 owner = ifeIn[txHash][index] & M160;
        if (owner != uint160(msg.sender)) {
            revert(string.concat("not the owner: input ", _dec(index), " (position ", _dec(pos), ") is owned by ",
                                 _addr(owner), ", not the sender"));
        }
        if (_flag(f, index)) _fail("piggybacked already: input ", index, " is piggybacked");
        ifeWord[txHash] = f[0] | 1 << (168 + index);
        emit InFlightInputPiggybacked(msg.sender, txHash, index);
    }

    function piggyback_output(bytes calldata in_flight_tx, uint8 index) external payable {
        (bytes32 txHash, uint256[3] memory f) = _openPiggyback(in_flight_tx);
        if (index >= 2) _fail("bad index: output index ", index, " is outside 0..1");
        uint256 owner = _owner(in_flight_tx, index);
        if (owner == 0) {
            _fail("bad index: output ", index, " of the in-flight transaction pays nobody");
        }
        if (owner != uint160(msg.sender)) {
            _failDA("not the owner: output ", index, " pays ", owner, ", not the sender");
        }
        if (_flag(f, PB_OUTPUT + index)) {
            _fail("piggybacked already: output ", index, " is piggybacked");
        }
        ifeWord[txHash] = f[0] | 1 << (168 + PB_OUTPUT + index);
        ifeOut[txHash][index] = owner | _amount(in_flight_tx, index) << 160;
        emit InFlightOutputPiggybacked(msg.sender, txHash, index);
    }

    /// rules.competing_input: `other` spends input `index` of `s` and is another transaction; returns the input
    /// of `other` spending it.
    function _competingInput(bytes calldata s, bytes calldata other, uint256 index) private pure returns (uint256) {
        uint256 pos = _inputPosition(s, index);
        if (keccak256(other[:88]) == keccak256(s[:88])) {
            revert("not a competitor: the transaction shown is the in-flight transaction itself");
        }
        uint256 k = _spentIndex(other, pos);
        if (k == 2) {
            _fail2("not a competitor: the transaction shown does not spend input ", index, " (position ", pos, ")");
        }
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
        if (_signer(competitor_tx, k) != owner || owner == 0) {
            _notSignedBy(string.concat("the competitor's input ", _dec(k)), owner);
        }
        uint256 position;
        if (competitor_pos == 0) {
            require(competitor_proof.length == 0, "bad proof: a competitor shown without its position carries no "
                                                  "inclusion proof");
            position = NOT_INCLUDED;
        } else {
            _includedAt(competitor_tx, competitor_pos, competitor_proof);
            position = competitor_pos;
        }
        uint256 known = _competitor(f);
        if (known != 0 && position >= known) {
            revert(string.concat("not older: a competitor ", known == NOT_INCLUDED ? "not included"
                                 : string.concat("at position ", _dec(known)),
                                 " is already shown"));
        }
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
        require(competitor != 0, "no challenge: no competitor of the in-flight transaction was shown");
        if (f[2] >> 192 != 0) {
            _fail("responded already: the in-flight transaction is shown at ", f[2] >> 192, "");
        }
        _includedAt(in_flight_tx, tx_pos, proof);
        if (tx_pos >= competitor) {
            _fail2("not older: the in-flight transaction at ", tx_pos, " is not older than the "
                                 "competitor at ", competitor, "");
        }
        ifeWord[txHash] = (f[0] & ~M160) | uint160(msg.sender);
        ifePos[txHash] = (f[2] & type(uint192).max) | tx_pos << 192;
        emit InFlightExitChallengeResponded(msg.sender, txHash, tx_pos);
    }

    function _notPiggybacked(string memory what, uint256 index) private pure {
        revert(string.concat("not piggybacked: ", what, _dec(index), " of the in-flight transaction is not "
                             "piggybacked"));
    }

    function challenge_piggybacked_input_spent(bytes calldata in_flight_tx, uint8 input_index,
                                               bytes calldata spending_tx) external {
        (bytes32 txHash, uint256[3] memory f) = _open(in_flight_tx);
        _requirePhase(f[1], FIRST_PHASE, SECOND_PHASE, 3);
        if (input_index >= 2 || !_flag(f, input_index)) _notPiggybacked("input ", input_index);
        _checkSigned(spending_tx);
        uint256 owner = ifeIn[txHash][input_index] & M160;
        uint256 k = _competingInput(in_flight_tx, spending_tx, input_index);
        if (_signer(spending_tx, k) != owner) _notSignedBy(string.concat("the spend's input ", _dec(k)), owner);
        ifeWord[txHash] = f[0] & ~(uint256(1) << (168 + input_index));
        (, uint256 pbBond) = _bonds();
        _transfer(uint160(msg.sender), pbBond);
        emit InFlightInputBlocked(msg.sender, txHash, input_index);
    }

    function challenge_piggybacked_output_spent(bytes calldata in_flight_tx, uint256 tx_pos, bytes calldata proof,
                                                uint8 output_index, bytes calldata spending_tx) external {
        (bytes32 txHash, uint256[3] memory f) = _open(in_flight_tx);
        _requirePhase(f[1], FIRST_PHASE, SECOND_PHASE, 3);
        if (output_index >= 2 || !_flag(f, PB_OUTPUT + output_index)) _notPiggybacked("output ", output_index);
        _includedAt(in_flight_tx, tx_pos, proof);
        uint256 outPos = tx_pos + output_index;
        if (spending_tx.length == 0) {
            uint256 state = (exits[outPos] >> 160) & 0xff;
            if (state != STARTED && state != FINALIZED) {
                _failState("not spent: position ", outPos, " has no standard exit (", state, ") and no spend of it is shown");
            }
        } else {
            _checkSigned(spending_tx);
            uint256 k = _spentIndex(spending_tx, outPos);
            if (k == 2) {
                _fail("not a spend: the transaction does not spend position ", outPos, "");
            }
            uint256 owner = ifeOut[txHash][output_index] & M160;
            if (_signer(spending_tx, k) != owner) {
                _notSignedBy(string.concat("the spend of position ", _dec(outPos)), owner);
            }
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
            if (utxo_pos != in0 && utxo_pos != in1) {
                _fail("not an input: the in-flight transaction does not spend position ", utxo_pos, "");
            }
            if (state == STARTED) {
                bool exited = (exits[in0] >> 160) & 0xff == FINALIZED
                    || (in1 != 0 && (exits[in1] >> 160) & 0xff == FINALIZED);
                require(_isCanonical(_competitor(f), f[2] >> 192) && !exited, "not canonical: the in-flight "
                        "transaction has a competitor or an exited input");
            } else {
                require(_flag(f, SETTLED_CANONICAL), "not canonical: the in-flight exit paid its inputs, not its "
                                                     "outputs");
            }
        } else {
            _includedAt(in_flight_tx, tx_pos, proof);
            if (utxo_pos < tx_pos || utxo_pos - tx_pos >= 2 || state != FINALIZED
                    || !_flag(f, PAID_OUTPUT + utxo_pos - tx_pos)) {
                _fail("not exited in flight: position ", utxo_pos, " is no output the "
                                     "in-flight exit paid");
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
