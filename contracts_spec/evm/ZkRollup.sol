// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// The twin of contracts_spec/zk/contract.py's ZkRollup: deposits queued in a Poseidon chain, batches verified by
/// a Groth16 proof with the BN254 precompiles (EIP-196/197), withdrawals, full-exit requests and exodus mode.
///
/// Storage, as the Python contract keeps it: the operator, the configuration in one word (depth | deposit slots << 8
/// | transfer slots << 16 | withdraw slots << 32 | deadline << 48), the verifying key as 28 words (read back with
/// 28 SLOADs per batch, as the Python reads it), the state root, the domain, the four counters in one word (queued |
/// processed << 64 | accounts << 128 | batches << 192), per queue entry its chain value, its block | time << 64 and
/// its refund word (depositor | amount << 160, or EXIT_FLAG | account), the account of each keccak(ax, ay, owner),
/// the owner of each account, the last full batch's block | time << 64, what each address may claim, the exodus
/// flag and the exited flag of each account, each in a slot of its own.
///
/// Poseidon (circomlib's, 2 and 4 inputs) and the empty tree's roots are in library Poseidon below: its constants
/// are generated from primitives/snark/poseidon.py and primitives/snark/quadtree.py by
/// contracts_spec/evm/gen_poseidon.py. The L2 key check (8 P on BabyJubJub, contracts_spec/zk/keys.py) is in
/// library BabyJub: three projective doublings and one inversion with the MODEXP precompile. ETH leaves with
/// ``transfer`` (the 2,300-gas stipend), the closest the EVM has to the toy L1's transfer, which runs no code.
/// The pairing is called with exactly its price (45,000 + 4 * 34,000): a proof point the precompile refuses burns
/// that much, as the toy L1 charges it before checking, and the reason names the point as the Python's does.
contract ZkRollup {
    uint256 private constant R = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 private constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    uint256 private constant WORD64 = 0xFFFFFFFFFFFFFFFF;
    uint256 private constant PROCESSED = 64;
    uint256 private constant ACCOUNTS = 128;
    uint256 private constant BATCHES = 192;
    uint256 private constant VK_WORDS = 28;
    uint256 private constant EXIT_FLAG = 1 << 255;
    uint256 private constant SECONDS_PER_SLOT = 12;
    uint256 private constant DEPOSIT_BITS = 96;
    uint256 private constant KIND_EXIT_WORD = 1 << 128;
    uint256 private constant COMMIT_HEADER = 289; // version, new root, 256-byte proof
    uint256 private constant AMOUNT_BYTES = 16;
    // EIP-197 at EIP-1108 prices: 45,000 + 34,000 per pair; the four pairs of a Groth16 check.
    uint256 private constant PAIRING_GAS = 45_000 + 4 * 34_000;

    event DepositQueued(uint256 indexed id, uint256 indexed account, uint256 amount, uint256 ax, uint256 ay,
                        address owner, address depositor, uint256 time);
    event ExitRequested(uint256 indexed id, uint256 indexed account, address owner, uint256 time);
    event BatchVerified(uint256 indexed index, uint256 old_root, uint256 new_root, uint256 first_deposit,
                        uint256 deposits);
    event WithdrawalReady(uint256 indexed batch, uint256 indexed account, address recipient, uint256 amount);
    event WithdrawalClaimed(address indexed recipient, uint256 amount);
    event ExodusActivated(uint256 first_unprocessed, address by);
    event Exited(uint256 indexed account, address owner, uint256 amount);
    event DepositRefunded(uint256 indexed id, address depositor, uint256 amount);

    address private operatorAddress;
    uint256 private cfg;
    uint256[VK_WORDS] private vk;
    uint256 private root;
    uint256 private domainValue;
    uint256 private countersWord;
    mapping(uint256 => uint256) private chain; // chain[k]: after the first k queue entries (k >= 1; chain 0 is 0)
    mapping(uint256 => uint256) private depositAt;
    mapping(uint256 => uint256) private refundWord;
    mapping(bytes32 => uint256) private accountOf;
    mapping(uint256 => address) private ownerOf;
    uint256 private lastFull;
    mapping(address => uint256) private withdrawableOf;
    bool private exodusActive;
    mapping(uint256 => bool) private exitedOf;

    constructor(address operator_, uint8 depth_bits, uint8 deposit_slots, uint16 transfer_slots,
                uint16 withdraw_slots, uint64 deadline, uint256[] memory vk_) {
        if (depth_bits % 2 != 0 || depth_bits < 2 || depth_bits > 32) {
            revert(string.concat("depth ", Fmt.dec(depth_bits), " must be even, 2..32"));
        }
        require(deposit_slots >= 1 && transfer_slots >= 1 && withdraw_slots >= 1, "every slot count must be >= 1");
        if (vk_.length != VK_WORDS) revert(string.concat("verifying key must be 28 words, got ", Fmt.dec(vk_.length)));
        Groth16.checkKey(vk_);
        operatorAddress = operator_;
        cfg = uint256(depth_bits) | uint256(deposit_slots) << 8 | uint256(transfer_slots) << 16
            | uint256(withdraw_slots) << 32 | uint256(deadline) << 48;
        for (uint256 i; i < VK_WORDS; ++i) vk[i] = vk_[i];
        root = Poseidon.emptyRoot(depth_bits / 2);
        domainValue = Poseidon.hash2(block.chainid % R, uint256(uint160(address(this))));
    }

    // -- counters and the queue --------------------------------------------------------------

    function _chain(uint256 count) private view returns (uint256) {
        return count == 0 ? 0 : chain[count];
    }

    function _overdue(uint256 depositId, uint256 queued) private view returns (bool) {
        if (depositId >= queued) return false;
        uint256 at = depositAt[depositId];
        uint256 lf = lastFull;
        uint256 startBlock = _max(at & WORD64, lf & WORD64);
        uint256 startTime = _max(at >> 64, lf >> 64);
        uint256 blocks = cfg >> 48 & WORD64;
        return block.number > startBlock + blocks && block.timestamp > startTime + blocks * SECONDS_PER_SLOT;
    }

    function _max(uint256 a, uint256 b) private pure returns (uint256) {
        return a > b ? a : b;
    }

    /// Append a priority operation to the queue: its chain value, block and time, refund word; queued + 1.
    function _enqueue(uint256 counters_, uint256 word, uint256 ax, uint256 ay, uint256 refund) private
        returns (uint256 queued)
    {
        queued = counters_ & WORD64;
        uint256 next = Poseidon.hash4(_chain(queued), word, ax, ay);
        chain[queued + 1] = next;
        depositAt[queued] = block.number | block.timestamp << 64;
        refundWord[queued] = refund;
    }

    // -- deposits ------------------------------------------------------------------------------

    function deposit(uint256 px, uint256 py, address owner) external payable {
        require(!exodusActive, "exodus mode: the rollup takes no more deposits");
        if (msg.value == 0 || msg.value >= 1 << DEPOSIT_BITS) {
            revert(string.concat("deposit of ", Fmt.dec(msg.value), " wei: must be in 1..2**96-1"));
        }
        require(owner != address(0), "owner is the zero address: nobody could take an exit");
        (uint256 ax, uint256 ay) = BabyJub.keyFromRegistration(px, py);
        uint256 w = countersWord;
        bytes32 keyId = keccak256(abi.encodePacked(ax, ay, owner));
        uint256 index = accountOf[keyId];
        if (index == 0) {
            uint256 depth = cfg & 0xFF;
            uint256 accounts = w >> ACCOUNTS & WORD64;
            if (accounts + 1 >= 1 << depth) revert(string.concat(
                "the account tree is full: all 2**", Fmt.dec(depth), " - 1 indices are taken; deposit to an "
                "existing account (same key and owner)"));
            index = accounts + 1;
            w = w & ~(WORD64 << ACCOUNTS) | index << ACCOUNTS;
            accountOf[keyId] = index;
            ownerOf[index] = owner;
        }
        uint256 queued = _enqueue(w, index << DEPOSIT_BITS | msg.value, ax, ay,
                                  uint256(uint160(msg.sender)) | msg.value << 160);
        countersWord = w + 1;
        emit DepositQueued(queued, index, msg.value, ax, ay, owner, msg.sender, block.timestamp);
    }

    function request_exit(uint256 account) external {
        require(!exodusActive, "exodus mode: exit with exit() instead");
        address owner = ownerOf[account];
        if (owner == address(0)) revert(string.concat("account ", Fmt.dec(account), " does not exist"));
        if (msg.sender != owner) revert(string.concat("only account ", Fmt.dec(account), "'s owner ",
                                                   Fmt.checksummed(owner), " may request its full exit"));
        uint256 w = countersWord;
        uint256 queued = _enqueue(w, KIND_EXIT_WORD | account << DEPOSIT_BITS, 0, 0, EXIT_FLAG | account);
        countersWord = w + 1;
        emit ExitRequested(queued, account, owner, block.timestamp);
    }

    // -- batches -------------------------------------------------------------------------------

    function commit_and_verify(bytes calldata data) external {
        require(!exodusActive, "exodus mode: the rollup takes no more batches");
        require(msg.sender == operatorAddress, "only the operator commits batches");
        uint256 c = cfg;
        uint256 newRoot = _decodeCommit(data);
        bytes calldata raw = data[COMMIT_HEADER:];
        uint256 n = Pubdata.check(c, raw);
        uint256 w = countersWord;
        uint256 queued = w & WORD64;
        uint256 processed = w >> PROCESSED & WORD64;
        if (processed + n > queued) {
            revert(string.concat("the batch processes ", Fmt.dec(n), " deposits but only ",
                                 Fmt.dec(queued - processed), " are queued"));
        }
        uint256 slots = c >> 8 & 0xFF;
        if (n < slots) {
            if (_overdue(processed + n, queued)) revert(string.concat(
                "deposit ", Fmt.dec(processed + n), " is overdue and the batch leaves it out"));
        }
        uint256 oldRoot = root;
        uint256[6] memory inputs = [oldRoot, newRoot, _chain(processed), _chain(processed + n), domainValue,
                                    Pubdata.digest(raw)];
        require(_verify(inputs, data[33:COMMIT_HEADER]),
                "the proof does not verify for this batch (old root, new root, deposits and pubdata)");
        root = newRoot;
        if (n == slots) lastFull = block.number | block.timestamp << 64;
        uint256 batches = w >> BATCHES;
        countersWord = w + (n << PROCESSED) + (1 << BATCHES);
        _pay(c, raw, n, processed, batches);
        emit BatchVerified(batches, oldRoot, newRoot, processed, n);
    }

    function _decodeCommit(bytes calldata data) private pure returns (uint256 newRoot) {
        if (data.length < COMMIT_HEADER) {
            revert(string.concat("malformed batch: commit data of ", Fmt.dec(data.length),
                                 " bytes is shorter than its 289-byte header"));
        }
        uint256 version = uint8(data[0]);
        if (version != 1) {
            revert(string.concat("malformed batch: commit version ", Fmt.dec(version),
                                 ": this rollup takes version 1"));
        }
        newRoot = uint256(bytes32(data[1:33]));
        require(newRoot < R, "malformed batch: new root is not a field element (>= the BN254 scalar modulus)");
    }

    /// Credit the full exits the batch paid out and its withdrawals, in the Python contract's order.
    function _pay(uint256 c, bytes calldata raw, uint256 n, uint256 processed, uint256 batches) private {
        uint256 ib = Pubdata.indexBytes(c);
        uint256 ws = ib + 36;
        uint256 pos = 1 + (c >> 16 & 0xFFFF) * (2 * ib + 5);
        uint256 exitsAt = pos + (c >> 32 & 0xFFFF) * ws;
        for (uint256 k; k < n; ++k) {
            uint256 paid = Pubdata.read(raw, exitsAt + k * AMOUNT_BYTES, AMOUNT_BYTES);
            uint256 word = refundWord[processed + k];
            if (word & EXIT_FLAG != 0 && paid != 0) {
                uint256 account = word & type(uint160).max;
                address owner = ownerOf[account];
                withdrawableOf[owner] += paid;
                emit WithdrawalReady(batches, account, owner, paid);
            }
        }
        for (; pos < exitsAt; pos += ws) {
            uint256 sender = Pubdata.read(raw, pos, ib);
            if (sender == 0) continue;
            uint256 amount = Pubdata.read(raw, pos + ib, AMOUNT_BYTES);
            address recipient = address(uint160(Pubdata.read(raw, pos + ib + AMOUNT_BYTES, 20)));
            withdrawableOf[recipient] += amount;
            emit WithdrawalReady(batches, sender, recipient, amount);
        }
    }

    /// Groth16 with the precompiles: e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta) == 1.
    function _verify(uint256[6] memory inputs, bytes calldata proof) private view returns (bool) {
        uint256[VK_WORDS] memory k = vk;
        uint256[24] memory p; // the pairing's input: four (G1, G2) pairs
        for (uint256 i; i < 8; ++i) {
            uint256 v = uint256(bytes32(proof[32 * i:32 * i + 32]));
            require(v < Q, "proof coordinate is not a field element");
        }
        uint256[2] memory acc = [k[14], k[15]];
        for (uint256 i; i < 6; ++i) {
            if (inputs[i] >= R) revert(string.concat("public input ", Fmt.dec(i), " is not a field element"));
            acc = Groth16.add(acc, Groth16.mul(k[16 + 2 * i], k[17 + 2 * i], inputs[i]));
        }
        uint256 ay = uint256(bytes32(proof[32:64]));
        p[0] = uint256(bytes32(proof[0:32]));
        p[1] = ay == 0 ? 0 : Q - ay;
        for (uint256 i; i < 4; ++i) p[2 + i] = uint256(bytes32(proof[64 + 32 * i:96 + 32 * i]));
        p[6] = k[0];
        p[7] = k[1];
        for (uint256 i; i < 4; ++i) p[8 + i] = k[2 + i];
        p[12] = acc[0];
        p[13] = acc[1];
        for (uint256 i; i < 4; ++i) p[14 + i] = k[6 + i];
        p[18] = uint256(bytes32(proof[192:224]));
        p[19] = uint256(bytes32(proof[224:256]));
        for (uint256 i; i < 4; ++i) p[20 + i] = k[10 + i];
        bool ok;
        uint256 out;
        assembly ("memory-safe") {
            // Short of the pairing's price the call would fail for want of gas, not of a point: run out of gas
            // here instead, as the toy L1 does when it charges the price.
            if lt(gas(), add(PAIRING_GAS, div(PAIRING_GAS, 63))) { invalid() }
            ok := staticcall(PAIRING_GAS, 8, p, 768, 0, 32)
            out := mload(0)
        }
        if (!ok) {
            if (!Groth16.onCurve(p[0], p[1])) revert("bn254: pair 0 G1 point is not on the curve");
            if (!Groth16.onCurve(p[18], p[19])) revert("bn254: pair 3 G1 point is not on the curve");
            revert("bn254: pair 0 G2 point is not on the twist curve or not in the G2 subgroup");
        }
        return out == 1;
    }

    // -- withdrawals ---------------------------------------------------------------------------

    /// Send ETH as the Python runtime's transfer does: it always arrives, whatever the recipient's code
    /// does. A call with the value stipend alone; a recipient that refuses it gets it through a one-shot
    /// contract that self-destructs to it (PUSH20 recipient, SELFDESTRUCT).
    function _send(address to, uint256 amount) private {
        bool ok;
        assembly ("memory-safe") { ok := call(0, to, amount, 0, 0, 0, 0) }
        if (!ok) {
            address made;
            assembly ("memory-safe") {
                let p := mload(0x40)
                mstore(p, or(shl(248, 0x73), shl(88, to)))
                mstore8(add(p, 21), 0xff)
                made := create(amount, p, 22)
            }
            require(made != address(0), "transfer failed: the ETH could not be sent");
        }
    }

    function claim_withdrawal(address recipient) external {
        uint256 amount = withdrawableOf[recipient];
        if (amount == 0) revert(string.concat("nothing to claim for ", Fmt.lower(recipient)));
        withdrawableOf[recipient] = 0;
        _send(recipient, amount);
        emit WithdrawalClaimed(recipient, amount);
    }

    // -- exodus mode ---------------------------------------------------------------------------

    function activate_exodus() external {
        require(!exodusActive, "exodus mode is already active");
        uint256 w = countersWord;
        uint256 processed = w >> PROCESSED & WORD64;
        require(_overdue(processed, w & WORD64),
                "no deposit is overdue: exodus mode starts only when the operator misses a deadline");
        exodusActive = true;
        emit ExodusActivated(processed, msg.sender);
    }

    function exit(uint256 account, uint256 ax, uint256 ay, uint256 balance, uint256 nonce,
                  uint256[] calldata siblings) external {
        require(exodusActive, "exits open only in exodus mode");
        address owner = ownerOf[account];
        if (owner == address(0)) revert(string.concat("account ", Fmt.dec(account), " does not exist"));
        if (exitedOf[account]) revert(string.concat("account ", Fmt.dec(account), " has already exited"));
        uint256 levels = (cfg & 0xFF) / 2;
        if (siblings.length != 3 * levels) revert(string.concat(
            "an exit proof has ", Fmt.dec(3 * levels), " siblings, got ", Fmt.dec(siblings.length)));
        require(ax < R && ay < R && balance < R && nonce < R, "exit proof value is not a field element");
        for (uint256 i; i < siblings.length; ++i) require(siblings[i] < R, "exit proof value is not a field element");
        uint256 node = Poseidon.hash4(ax, ay, balance, nonce);
        for (uint256 level; level < levels; ++level) {
            uint256 digit = account >> (2 * level) & 3;
            uint256 s0 = siblings[3 * level];
            uint256 s1 = siblings[3 * level + 1];
            uint256 s2 = siblings[3 * level + 2];
            (uint256 p0, uint256 p1) = digit & 1 != 0 ? (s0, node) : (node, s0);
            node = digit & 2 != 0 ? Poseidon.hash4(s1, s2, p0, p1) : Poseidon.hash4(p0, p1, s1, s2);
        }
        if (node != root) revert(string.concat("the proof does not show account ", Fmt.dec(account),
                                            "'s leaf under the last verified root"));
        exitedOf[account] = true;
        if (balance != 0) _send(owner, balance);
        emit Exited(account, owner, balance);
    }

    function refund_deposit(uint256 deposit_id) external {
        require(exodusActive, "refunds open only in exodus mode");
        uint256 w = countersWord;
        if (deposit_id < (w >> PROCESSED & WORD64) || deposit_id >= w & WORD64) {
            revert(string.concat("deposit ", Fmt.dec(deposit_id), " is not an unprocessed deposit"));
        }
        uint256 word = refundWord[deposit_id];
        if (word & EXIT_FLAG != 0) revert(string.concat("queue entry ", Fmt.dec(deposit_id),
                                                     " is a full-exit request: exit() pays that account"));
        if (word == 0) revert(string.concat("deposit ", Fmt.dec(deposit_id), " was already refunded"));
        refundWord[deposit_id] = 0;
        address depositor = address(uint160(word));
        uint256 amount = word >> 160;
        _send(depositor, amount);
        emit DepositRefunded(deposit_id, depositor, amount);
    }

    // -- views ---------------------------------------------------------------------------------

    function config() external view returns (uint256, uint256, uint256, uint256, uint256) {
        uint256 c = cfg;
        return (c & 0xFF, c >> 8 & 0xFF, c >> 16 & 0xFFFF, c >> 32 & 0xFFFF, c >> 48 & WORD64);
    }

    function state_root() external view returns (uint256) {
        return root;
    }

    function domain() external view returns (uint256) {
        return domainValue;
    }

    function counters() external view returns (uint256, uint256, uint256, uint256) {
        uint256 w = countersWord;
        return (w & WORD64, w >> PROCESSED & WORD64, w >> ACCOUNTS & WORD64, w >> BATCHES & WORD64);
    }

    function exodus() external view returns (bool) {
        return exodusActive;
    }

    function overdue() external view returns (bool) {
        uint256 w = countersWord;
        return _overdue(w >> PROCESSED & WORD64, w & WORD64);
    }

    function withdrawable(address recipient) external view returns (uint256) {
        return withdrawableOf[recipient];
    }

    function exited(uint256 account) external view returns (bool) {
        return exitedOf[account];
    }

    function owner_of(uint256 account) external view returns (address) {
        return ownerOf[account];
    }

    function operator() external view returns (address) {
        return operatorAddress;
    }
}

/// The pubdata layout of contracts_spec/zk/pubdata.py, parsed as strictly as pubdata.decode parses it.
library Pubdata {
    uint256 private constant AMOUNT_BYTES = 16;

    function indexBytes(uint256 cfg) internal pure returns (uint256) {
        return ((cfg & 0xFF) + 7) / 8;
    }

    /// The big-endian integer of ``len`` (1..32) bytes of ``raw`` at ``pos`` (bounds checked by the caller).
    function read(bytes calldata raw, uint256 pos, uint256 len) internal pure returns (uint256 v) {
        assembly ("memory-safe") {
            v := shr(sub(256, mul(8, len)), calldataload(add(raw.offset, pos)))
        }
    }

    /// The number of priority operations the batch processes; reverts "malformed batch: ..." like pubdata.decode.
    function check(uint256 cfg, bytes calldata raw) internal pure returns (uint256 n) {
        uint256 depth = cfg & 0xFF;
        uint256 slots = cfg >> 8 & 0xFF;
        uint256 ib = indexBytes(cfg);
        uint256 ts = 2 * ib + 5;
        uint256 ws = ib + 20 + AMOUNT_BYTES;
        uint256 transfers = cfg >> 16 & 0xFFFF;
        uint256 withdrawals = cfg >> 32 & 0xFFFF;
        uint256 want = 1 + transfers * ts + withdrawals * ws + slots * AMOUNT_BYTES;
        if (raw.length != want) {
            revert(string.concat("malformed batch: pubdata is ", Fmt.dec(raw.length), " bytes; preset deployed takes "
                                 "exactly ", Fmt.dec(want)));
        }
        n = uint8(raw[0]);
        if (n > slots) {
            revert(string.concat("malformed batch: pubdata processes ", Fmt.dec(n), " deposits; a batch has ",
                                 Fmt.dec(slots), " deposit slots"));
        }
        uint256 cap = 1 << depth;
        uint256 pos = 1;
        for (uint256 k; k < transfers; ++k) {
            uint256 sender = read(raw, pos, ib);
            if (sender >= cap || read(raw, pos + ib, ib) >= cap) {
                revert(string.concat("malformed batch: transfer slot ", Fmt.dec(k),
                                     ": account index out of range for depth ", Fmt.dec(depth)));
            }
            if (sender == 0 && read(raw, pos, ts) != 0) {
                revert(string.concat("malformed batch: transfer slot ", Fmt.dec(k),
                                     " has sender 0 (padding) but is not all zeros"));
            }
            pos += ts;
        }
        for (uint256 k; k < withdrawals; ++k) {
            uint256 sender = read(raw, pos, ib);
            if (sender >= cap) {
                revert(string.concat("malformed batch: withdrawal slot ", Fmt.dec(k),
                                     ": account index out of range for depth ", Fmt.dec(depth)));
            }
            if (sender == 0 && (read(raw, pos, 32) | read(raw, pos + 32, ws - 32)) != 0) {
                revert(string.concat("malformed batch: withdrawal slot ", Fmt.dec(k),
                                     " has sender 0 (padding) but is not all zeros"));
            }
            pos += ws;
        }
        for (uint256 k = n; k < slots; ++k) {
            uint256 amount = read(raw, pos + k * AMOUNT_BYTES, AMOUNT_BYTES);
            if (amount != 0) {
                revert(string.concat("malformed batch: priority slot ", Fmt.dec(k), " is unused but pays out ",
                                     Fmt.dec(amount), " wei"));
            }
        }
    }

    /// ``sha256(raw) >> 3`` with the SHA-256 precompile.
    function digest(bytes calldata raw) internal view returns (uint256 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            calldatacopy(ptr, raw.offset, raw.length)
            if iszero(staticcall(gas(), 2, ptr, raw.length, 0, 32)) { revert(0, 0) }
            h := shr(3, mload(0))
        }
    }
}

/// Groth16's curve work: G1 addition and multiplication with the precompiles, and the checks of a verifying key.
library Groth16 {
    uint256 private constant Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583;
    // The G2 generator in EIP-197 order (x.imag, x.real, y.imag, y.real).
    uint256 private constant G2_XI = 11559732032986387107991004021392285783925812861821192530917403151452391805634;
    uint256 private constant G2_XR = 10857046999023057135944570762232829481370756359578518086990519993285655852781;
    uint256 private constant G2_YI = 4082367875863433681332203403145435568316851327593401208105741076214120093531;
    uint256 private constant G2_YR = 8495653923123431417604973247489272438418190587263600148770280649306958101930;

    function onCurve(uint256 x, uint256 y) internal pure returns (bool) {
        if (x == 0 && y == 0) return true;
        return x < Q && y < Q && mulmod(y, y, Q) == addmod(mulmod(mulmod(x, x, Q), x, Q), 3, Q);
    }

    function mul(uint256 x, uint256 y, uint256 s) internal view returns (uint256[2] memory r) {
        uint256[3] memory input = [x, y, s];
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 7, input, 96, r, 64)
        }
        require(ok, "bn254: point is not on the curve");
    }

    function add(uint256[2] memory a, uint256[2] memory b) internal view returns (uint256[2] memory r) {
        uint256[4] memory input = [a[0], a[1], b[0], b[1]];
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 6, input, 128, r, 64)
        }
        require(ok, "bn254: first point is not on the curve");
    }

    /// What VerifyingKey's construction refuses: G1 points off the curve or at infinity, G2 points off the twist,
    /// outside G2 or at infinity (the pairing precompile checks both), and the degenerate deltas.
    function checkKey(uint256[] memory k) internal view {
        _g1(k[0], k[1], "vk alpha_1");
        _g2(k, 2, "vk beta_2");
        _g2(k, 6, "vk gamma_2");
        _g2(k, 10, "vk delta_2");
        bool sameX = k[10] == k[6] && k[11] == k[7];
        if (sameX && k[12] == k[8] && k[13] == k[9]) {
            revert("verifying key refused: verifying key is degenerate: delta_2 equals gamma_2 (no phase-2 "
                   "contribution), anyone could forge proofs");
        }
        if (sameX && k[12] == (Q - k[8]) % Q && k[13] == (Q - k[9]) % Q) {
            revert("verifying key refused: verifying key is degenerate: delta_2 equals -gamma_2, anyone could forge "
                   "proofs");
        }
        if (k[10] == G2_XI && k[11] == G2_XR) {
            if (k[12] == G2_YI && k[13] == G2_YR) {
                revert("verifying key refused: verifying key is degenerate: delta_2 is the G2 generator (delta = 1, "
                       "no phase-2 contribution): a secret everyone knows");
            }
            if (k[12] == Q - G2_YI && k[13] == Q - G2_YR) {
                revert("verifying key refused: verifying key is degenerate: delta_2 is minus the G2 generator "
                       "(delta = -1): a secret everyone knows");
            }
        }
        for (uint256 i; i < 7; ++i) _g1(k[14 + 2 * i], k[15 + 2 * i], string.concat("vk IC[", Fmt.dec(i), "]"));
    }

    function _g1(uint256 x, uint256 y, string memory what) private pure {
        if (!onCurve(x, y)) revert(string.concat("verifying key refused: bn254: ", what, " is not on the curve"));
        if (x == 0 && y == 0) revert(string.concat("verifying key refused: ", what, " is the point at infinity"));
    }

    function _g2(uint256[] memory k, uint256 at, string memory what) private view {
        uint256[6] memory input = [uint256(0), 0, k[at], k[at + 1], k[at + 2], k[at + 3]];
        bool ok;
        assembly ("memory-safe") {
            ok := staticcall(gas(), 8, input, 192, 0, 32)
        }
        if (!ok) revert(string.concat("verifying key refused: bn254: ", what, " is not on the twist or not in G2"));
        if (k[at] | k[at + 1] | k[at + 2] | k[at + 3] == 0) {
            revert(string.concat("verifying key refused: ", what, " is the point at infinity"));
        }
    }
}

/// The L2 key registration of contracts_spec/zk/keys.py: A = 8 P on BabyJubJub, with A.x != 0.
library BabyJub {
    uint256 private constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    uint256 private constant A = 168700;
    uint256 private constant D = 168696;

    function keyFromRegistration(uint256 x, uint256 y) internal view returns (uint256 ax, uint256 ay) {
        bool onCurve;
        uint256 z;
        assembly ("memory-safe") {
            // p is the modulus made opaque to the optimiser, which would otherwise load the literal with CODECOPY
            // at each of its uses (see library Poseidon).
            let p := or(P, iszero(gas()))
            let x2 := mulmod(x, x, p)
            let y2 := mulmod(y, y, p)
            onCurve := and(and(lt(x, p), lt(y, p)),
                           eq(addmod(mulmod(A, x2, p), y2, p), addmod(1, mulmod(D, mulmod(x2, y2, p), p), p)))
            // Three doublings in projective coordinates (dbl-2008-bbjlp): complete on this curve.
            z := 1
            for { let i := 0 } lt(i, 3) { i := add(i, 1) } {
                let s := add(x, y)
                let b := mulmod(s, s, p)
                let c := mulmod(x, x, p)
                let d := mulmod(y, y, p)
                let e := mulmod(A, c, p)
                let f := addmod(e, d, p)
                let j := addmod(f, sub(p, mulmod(2, mulmod(z, z, p), p)), p)
                x := mulmod(addmod(b, sub(add(p, p), add(c, d)), p), j, p)
                y := mulmod(f, addmod(e, sub(p, d), p), p)
                z := mulmod(f, j, p)
            }
        }
        require(onCurve, "bad L2 key: registration point is not on BabyJubJub");
        uint256 zInv = _inverse(z);
        ax = mulmod(x, zInv, P);
        ay = mulmod(y, zInv, P);
        require(ax != 0, "bad L2 key: registration point has small order: 8 P is the identity or of order two");
    }

    /// z^(P - 2) mod P with the MODEXP precompile (EIP-198).
    function _inverse(uint256 z) private view returns (uint256 r) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, 32)
            mstore(add(ptr, 32), 32)
            mstore(add(ptr, 64), 32)
            mstore(add(ptr, 96), z)
            mstore(add(ptr, 128), sub(P, 2))
            mstore(add(ptr, 160), P)
            if iszero(staticcall(gas(), 5, ptr, 192, 0, 32)) { revert(0, 0) }
            r := mload(0)
        }
    }
}

/// Decimal and hexadecimal text for the revert reasons that name values.
library Fmt {
    function dec(uint256 v) internal pure returns (string memory s) {
        assembly ("memory-safe") {
            s := mload(0x40)
            let end := add(s, 128) // 78 digits at most
            let at := end
            for {} 1 {} {
                at := sub(at, 1)
                mstore8(at, add(48, mod(v, 10)))
                v := div(v, 10)
                if iszero(v) { break }
            }
            let n := sub(end, at)
            mstore(s, n)
            mcopy(add(s, 32), at, n)
            mstore(0x40, add(s, 160))
        }
    }

    /// The 40 hex digits of ``a``, without a loop: the nibbles are spread one to a byte by halving steps, then
    /// each byte d becomes "0" + d, plus 39 more when d > 9 (bit 4 of d + 6).
    function _hex(address a) private pure returns (bytes memory h) {
        h = new bytes(40);
        assembly ("memory-safe") {
            function ascii(v) -> w {
                v := or(and(v, 0xffffffffffffffff),
                        shl(64, and(v, 0xffffffffffffffff0000000000000000)))
                v := or(and(v, 0xffffffff000000000000000000000000ffffffff),
                        shl(32, and(v, 0xffffffff000000000000000000000000ffffffff00000000)))
                v := or(and(v, 0xffff000000000000ffff000000000000ffff000000000000ffff),
                        shl(16, and(v, 0xffff000000000000ffff000000000000ffff000000000000ffff0000)))
                v := or(and(v, 0xff000000ff000000ff000000ff000000ff000000ff000000ff000000ff),
                        shl(8, and(v, 0xff000000ff000000ff000000ff000000ff000000ff000000ff000000ff00)))
                v := or(and(v, 0xf000f000f000f000f000f000f000f000f000f000f000f000f000f000f000f),
                        shl(4, and(v, 0xf000f000f000f000f000f000f000f000f000f000f000f000f000f000f000f0)))
                let ones := 0x0101010101010101010101010101010101010101010101010101010101010101
                w := add(add(v, mul(0x30, ones)), mul(0x27, and(shr(4, add(v, mul(6, ones))), ones)))
            }
            mstore(add(h, 32), ascii(shr(32, a)))
            mstore(add(h, 64), shl(192, ascii(and(a, 0xffffffff))))
        }
    }

    /// ``0x`` and 40 lower-case hex digits (how the Python contract prints an address argument).
    function lower(address a) internal pure returns (string memory) {
        return string.concat("0x", string(_hex(a)));
    }

    /// EIP-55 mixed case (how the Python contract prints an address it read from storage).
    function checksummed(address a) internal pure returns (string memory) {
        bytes memory h = _hex(a);
        bytes32 k = keccak256(h);
        for (uint256 i; i < 40; ++i) {
            uint8 nibble = uint8(k[i / 2]) >> (i % 2 == 0 ? 4 : 0) & 15;
            if (uint8(h[i]) >= 97 && nibble >= 8) h[i] = bytes1(uint8(h[i]) - 32);
        }
        return string.concat("0x", string(h));
    }
}

// BEGIN generated by contracts_spec/evm/gen_poseidon.py: do not edit by hand
/// circomlib's Poseidon over BN254 (the constants of primitives/snark/poseidon.py) and the empty
/// subtrees of primitives/snark/quadtree.py.
library Poseidon {
    /// Poseidon of 2 inputs (width 3: 8 full and 57 partial rounds).
    function hash2(uint256 in1, uint256 in2) internal view returns (uint256 h) {
        assembly ("memory-safe") {
            function mix(q, a0, a1, a2) -> b0, b1, b2 {
                b0 := add(add(mulmod(a0, 0x109b7f411ba0e4c9b2b70caf5c36a7b194be7c11ad24378bfedb68592ba8118b, q),
                    mulmod(a1, 0x16ed41e13bb9c0c66ae119424fddbcbc9314dc9fdbdeea55d6c64543dc4903e0, q)),
                    mulmod(a2, 0x2b90bba00fca0589f617e7dcbfe82e0df706ab640ceb247b791a93b74e36736d, q))
                b1 := add(add(mulmod(a0, 0x2969f27eed31a480b9c36c764379dbca2cc8fdd1415c3dded62940bcde0bd771, q),
                    mulmod(a1, 0x2e2419f9ec02ec394c9871c832963dc1b89d743c8c7b964029b2311687b1fe23, q)),
                    mulmod(a2, 0x101071f0032379b697315876690f053d148d4e109f5fb065c8aacc55a0f89bfa, q))
                b2 := add(add(mulmod(a0, 0x143021ec686a3f330d5f9e654638065ce6cd79e28c5b3753326244ee65a1b1a7, q),
                    mulmod(a1, 0x176cc029695ad02582a70eff08a6fd99d057e12e58e7d7b6b16cdfabc8ee2911, q)),
                    mulmod(a2, 0x19a3fc0a56702bf417ba7fee3802593fa644470307043f7773279cd71d25d5e0, q))
            }
            function pow5(q, v) -> w {
                let v2 := mulmod(v, v, q)
                w := mulmod(mulmod(v2, v2, q), v, q)
            }
            // q is the field's modulus, made opaque to the optimiser (hence view, not pure): folded back into a
            // literal used this often, it would be loaded with CODECOPY (about 30 gas) at every use, not DUPed.
            let q := or(0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001, iszero(gas()))
            let s0 := 0 let s1 := in1 let s2 := in2
            s0 := pow5(q, addmod(s0, 0x0ee9a592ba9a9518d05986d656f40c2114c4993c11bb29938d21d47304cd8e6e, q))
            s1 := pow5(q, addmod(s1, 0x00f1445235f2148c5986587169fc1bcd887b08d4d00868df5696fff40956e864, q))
            s2 := pow5(q, addmod(s2, 0x08dff3487e8ac99e1f29a058d0fa80b930c728730b7ab36ce879f3890ecf73f5, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x2f27be690fdaee46c3ce28f7532b13c856c35342c84bda6e20966310fadc01d0, q))
            s1 := pow5(q, addmod(s1, 0x2b2ae1acf68b7b8d2416bebf3d4f6234b763fe04b8043ee48b8327bebca16cf2, q))
            s2 := pow5(q, addmod(s2, 0x0319d062072bef7ecca5eac06f97d4d55952c175ab6b03eae64b44c7dbf11cfa, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x28813dcaebaeaa828a376df87af4a63bc8b7bf27ad49c6298ef7b387bf28526d, q))
            s1 := pow5(q, addmod(s1, 0x2727673b2ccbc903f181bf38e1c1d40d2033865200c352bc150928adddf9cb78, q))
            s2 := pow5(q, addmod(s2, 0x234ec45ca27727c2e74abd2b2a1494cd6efbd43e340587d6b8fb9e31e65cc632, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x15b52534031ae18f7f862cb2cf7cf760ab10a8150a337b1ccd99ff6e8797d428, q))
            s1 := pow5(q, addmod(s1, 0x0dc8fad6d9e4b35f5ed9a3d186b79ce38e0e8a8d1b58b132d701d4eecf68d1f6, q))
            s2 := pow5(q, addmod(s2, 0x1bcd95ffc211fbca600f705fad3fb567ea4eb378f62e1fec97805518a47e4d9c, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x10520b0ab721cadfe9eff81b016fc34dc76da36c2578937817cb978d069de559, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0a8526e9d9e0da22ce8d94e263a8ed5484d34614da2d768462cdf6dea7989b6b, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1116fa006c17831ef3dc42d9dbeb7721d6372943d145e1d3572ce1e83d658fa7, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x238ce638b7f429c554db135a56b841dd1fafe5dbe5273eb1209a3d6fe16b702d, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x00185e9e6073fb916566e21fa72193d0f59a108b25eab222004ea72a8ffa97c1, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x116b402e300eb1750f4df186e918430eb2d7c0b94a317e1793a6a75278312c37, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x06f7d4fce8d01aa6f063f5833010675fb4411547923229bd250e9f18734785b0, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0d7009d0dd50d1342d220cb69068ff9a575a903940d403f3973f00ad3a988e61, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x07bf939ea61266e66e09daa5c95a2d475ea85006fd8202ac451fbdaf4d7713fd, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x2ccd4cd53395c5ef4099c8d032097d33c9bbf102afc350f29d73391e1b2815ae, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x06066582c016122a7f718be9336aab939b32cecba5cadf998c32852fbd3c67eb, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1da9873ad8b1439b0f089146fa84755247058ba96306472759a5d7570ee96a29, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x184ee817dfb8eefc50d06c4c63dc247f1a750a5713998c53fdb03f954f63a10e, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x00abaf81fd3cbe5c354e900b5b305051890aa7d5477b6ee964250d18826cdcdd, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x18dd9e94f0a15f041ab8da038a7c3384799f18da930ccbde5ec154ee29231724, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x22a9db02cd988f336b6ef109f51485f3280bd3c708702c330d28b6f3f427ecb1, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1213c545a1f6533025f8fc5f1e17f97cca1bd2b8c410fbf78079ad2b27b0288e, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x26e9635f4d46f26fba8dff00a1aaf37861f712963723b47054fc6e6c8780d977, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x2dd744e809ecd0e7670257249369e2d8fa22efd5aafb0f2e79d2f8c2559728c4, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0af00b5af30e88a3da0bbc526cceeff2c5230ee59dfe69236632ce3ea46b1561, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0393b7620d78da3651fd18b966d0fbac0f187233e4a9b32f47edc8db1b427e1c, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x078941b8f2fa2025cd8f72fb3af64abde9e52f4dcc331c132e0872ba288cfd54, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0d0c396d574ccda3d9838a319307b9cb23c6da24708c9dc752b3ac7aa0c01754, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x2d2d6c06688b5d61a28ac65fe5ceb6fbacaeda447e8c26378e4f1174fd0e7f0b, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x213cc690d85f0d7b12cede4e87721ccee84a0cf9140f100be64b937e89ee2b75, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x183c7f47bab034a6791607eb5507d2fb77c3bef7e1eb8f9e660ed49d6fa835a4, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x12d38aca7d7f2999acdaa7afa470dbc0d014f994ff8a425dcf5d709b4c5f8891, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x05faa348214268d0b5c54ed0cde8c83a4d79fb15fa94b65a1b01ea1c50757625, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0e8dd67f884a87588287f3ab55972a7496023a43f8da426ab59bf676425b6d4a, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0810d122c011c8830f48fdbe9b43231db5f2938aa501e15b0ace836776247e20, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x127e998cf30f76cc5f9b0e0359285a5df42549d1702a44ba117474f02632c618, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x03f148ee71169a9f22c37ad1338c285c9dd0113aa82c26dd2fb73e92f22b7a5d, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1fcc2a3ecd83418b7c04e83c213d6c53c03448efff4928365287f12883f12f0e, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1dac70a36e33ebca594a8830eaee643a5fe4edd016cc05119244e5eddb27be90, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x030ec7605dd5869a17ecb0b25596d75efe68ce5c8b4585a2833ec62d0608b202, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0ef0a55659c6c606355a3e0c1eb400b83cf39c44544b59f9d7391f1920dbde1b, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x2ea57e170f7d89c2034bd8fcc3e48ced68cca812b5ac7eeee6f30443f2be21df, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0387db6cf8e365c34aa496466ac8127813e1fa2bc9c9084bf95214811b31ca45, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1c17bcb60cad114daa86b7ab0faf2f9e53b4f1590d72ad49598a1c9f631762b3, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1958056f36be3ded17384bb3a059357846f2b30b01f0337c1e1c2b704d3ea0e4, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x2de99b3e77de42ec6e5975d4477ae96d00b23bf9c6391e595529e0a4021221fb, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x2d2131086c3bc3418dde3237acaabb24b27e9e2cbfd7a9ebf52bd612688b3527, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0ae349869aec39bf93f8b2cbd631d4baf910de6d1712142acfa2b82dd7ec01fa, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x209df7f7923cb342ca83896920e95f9f11c4729970172640b000430eca179989, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x21e79c2d6c42734a9a608dc58c35c137517b1e64a5d5767fdddaa1a12efade88, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x049c4e33e7ccf5ad5ebd5d0794ade154e86af76537ee5ccfa237a262c4e467ba, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1869d4e923fb31e8424a16c269e46ac49254c3d05ff35022a76b98b11f8b8b33, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x23bf80f538756a283d8f04719a8b6e028ddedeb95e2fa971a1aa002d34539385, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x26cde2d63e1b586581f632ce4c4fa2efc226bc5cf18d65c5525a8fcc5066fb94, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x14076b33136ec0e1ac549638a4b902ba5d6ebf052a8f14804256e47cf2c2f04b, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x2cd8fb137caa0ed0b658a8fb3b7568185e987910e8aaa40e0db02a734e03c42e, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x024562fc799792e21a0c94cbb88e1a43b297948049cef86c17d04a0298d793b8, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x270aec6f1b7b1a1a241b2b0b78f713f2aa23a25cbcbe5220eae939775fc7295c, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1a093a3014147bf0bac4e3c917c367b95f7955495b87549ecc6ce7f96d7087e6, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0dcebf0a0455c0d2b7cf2b4a674258af44a114be3a162795ed39938193b79f06, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0910adbe751bb9038b98054eb027a8b71f83ad86ad8c06255d1c0c8d77a448f8, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x209a5c2333bdb226479c47dc0e045edb76cb46c3b886f5df3b9796842f174a8f, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x18d1db85bf7812d2cc6e761ce8b778e46a8fb6dec2b640692e39748ee1857cba, q))
            s1 := pow5(q, addmod(s1, 0x072c1bbe5b21fad79ea9520d9d76706713b173b7293f9c31eb5e88b77c646292, q))
            s2 := pow5(q, addmod(s2, 0x069b898b636f3281d5e49d4e543e4134f3480e62c8a20d4c846db06afaea7a34, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x1cfb5662e8cf5ac9226a80ee17b36abecb73ab5f87e161927b4349e10e4bdf08, q))
            s1 := pow5(q, addmod(s1, 0x0f21177e302a771bbae6d8d1ecb373b62c99af346220ac0129c53f666eb24100, q))
            s2 := pow5(q, addmod(s2, 0x1671522374606992affb0dd7f71b12bec4236aede6290546bcef7e1f515c2320, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0fa3ec5b9488259c2eb4cf24501bfad9be2ec9e42c5cc8ccd419d2a692cad870, q))
            s1 := pow5(q, addmod(s1, 0x193c0e04e0bd298357cb266c1506080ed36edce85c648cc085e8c57b1ab54bba, q))
            s2 := pow5(q, addmod(s2, 0x102adf8ef74735a27e9128306dcbc3c99f6f7291cd406578ce14ea2adaba68f8, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            s0 := pow5(q, addmod(s0, 0x0fe0af7858e49859e2a54d6f1ad945b1316aa24bfbdd23ae40a6d0cb70c3eab1, q))
            s1 := pow5(q, addmod(s1, 0x216f6717bbc7dedb08536a2220843f4e2da5f1daa9ebdefde8a5ea7344798d22, q))
            s2 := pow5(q, addmod(s2, 0x1da55cc900f0d21f4a3e694391918a1b3c23b2ac773c6b3ef88e2e4228325161, q))
            s0, s1, s2 := mix(q, s0, s1, s2)
            h := mod(s0, q)
        }
    }
    /// Poseidon of 4 inputs (width 5: 8 full and 60 partial rounds).
    function hash4(uint256 in1, uint256 in2, uint256 in3, uint256 in4) internal view returns (uint256 h) {
        assembly ("memory-safe") {
            function mix(q, a0, a1, a2, a3, a4) -> b0, b1, b2, b3, b4 {
                b0 := add(add(add(add(mulmod(a0, 0x251e7fdf99591080080b0af133b9e4369f22e57ace3cd7f64fc6fdbcf38d7da1, q),
                    mulmod(a1, 0x25fb50b65acf4fb047cbd3b1c17d97c7fe26ea9ca238d6e348550486e91c7765, q)),
                    mulmod(a2, 0x293d617d7da72102355f39ebf62f91b06deb5325f367a4556ea1e31ed5767833, q)),
                    mulmod(a3, 0x104d0295ab00c85e960111ac25da474366599e575a9b7edf6145f14ba6d3c1c4, q)),
                    mulmod(a4, 0x0aaa35e2c84baf117dea3e336cd96a39792b3813954fe9bf3ed5b90f2f69c977, q))
                b1 := add(add(add(add(mulmod(a0, 0x2a70b9f1d4bbccdbc03e17c1d1dcdb02052903dc6609ea6969f661b2eb74c839, q),
                    mulmod(a1, 0x281154651c921e746315a9934f1b8a1bba9f92ad8ef4b979115b8e2e991ccd7a, q)),
                    mulmod(a2, 0x28c2be2f8264f95f0b53c732134efa338ccd8fdb9ee2b45fb86a894f7db36c37, q)),
                    mulmod(a3, 0x21888041e6febd546d427c890b1883bb9b626d8cb4dc18dcc4ec8fa75e530a13, q)),
                    mulmod(a4, 0x14ddb5fada0171db80195b9592d8cf2be810930e3ea4574a350d65e2cbff4941, q))
                b2 := add(add(add(add(mulmod(a0, 0x2f69a7198e1fbcc7dea43265306a37ed55b91bff652ad69aa4fa8478970d401d, q),
                    mulmod(a1, 0x001c1edd62645b73ad931ab80e37bbb267ba312b34140e716d6a3747594d3052, q)),
                    mulmod(a2, 0x15b98ce93e47bc64ce2f2c96c69663c439c40c603049466fa7f9a4b228bfc32b, q)),
                    mulmod(a3, 0x12c7e2adfa524e5958f65be2fbac809fcba8458b28e44d9265051de33163cf9c, q)),
                    mulmod(a4, 0x2efc2b90d688134849018222e7b8922eaf67ce79816ef468531ec2de53bbd167, q))
                b3 := add(add(add(add(mulmod(a0, 0x0c3f050a6bf5af151981e55e3e1a29a13c3ffa4550bd2514f1afd6c5f721f830, q),
                    mulmod(a1, 0x0dec54e6dbf75205fa75ba7992bd34f08b2efe2ecd424a73eda7784320a1a36e, q)),
                    mulmod(a2, 0x1c482a25a729f5df20225815034b196098364a11f4d988fb7cc75cf32d8136fa, q)),
                    mulmod(a3, 0x2625ce48a7b39a4252732624e4ab94360812ac2fc9a14a5fb8b607ae9fd8514a, q)),
                    mulmod(a4, 0x07f017a7ebd56dd086f7cd4fd710c509ed7ef8e300b9a8bb9fb9f28af710251f, q))
                b4 := add(add(add(add(mulmod(a0, 0x2a20e3a4a0e57d92f97c9d6186c6c3ea7c5e55c20146259be2f78c2ccc2e3595, q),
                    mulmod(a1, 0x1049f8210566b51faafb1e9a5d63c0ee701673aed820d9c4403b01feb727a549, q)),
                    mulmod(a2, 0x02ecac687ef5b4b568002bd9d1b96b4bef357a69e3e86b5561b9299b82d69c8e, q)),
                    mulmod(a3, 0x2d3a1aea2e6d44466808f88c9ba903d3bdcb6b58ba40441ed4ebcf11bbe1e37b, q)),
                    mulmod(a4, 0x14074bb14c982c81c9ad171e4f35fe49b39c4a7a72dbb6d9c98d803bfed65e64, q))
            }
            function pow5(q, v) -> w {
                let v2 := mulmod(v, v, q)
                w := mulmod(mulmod(v2, v2, q), v, q)
            }
            // q is the field's modulus, made opaque to the optimiser (hence view, not pure): folded back into a
            // literal used this often, it would be loaded with CODECOPY (about 30 gas) at every use, not DUPed.
            let q := or(0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001, iszero(gas()))
            let s0 := 0 let s1 := in1 let s2 := in2 let s3 := in3 let s4 := in4
            s0 := pow5(q, addmod(s0, 0x0eb544fee2815dda7f53e29ccac98ed7d889bb4ebd47c3864f3c2bd81a6da891, q))
            s1 := pow5(q, addmod(s1, 0x0554d736315b8662f02fdba7dd737fbca197aeb12ea64713ba733f28475128cb, q))
            s2 := pow5(q, addmod(s2, 0x2f83b9df259b2b68bcd748056307c37754907df0c0fb0035f5087c58d5e8c2d4, q))
            s3 := pow5(q, addmod(s3, 0x2ca70e2e8d7f39a12447ac83052451b461f15f8b41a75ef31915208f5aba9683, q))
            s4 := pow5(q, addmod(s4, 0x1cb5f9319be6a45e91b04d7222271c94994196f12ed22c5d4ec719cb83ecfea9, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2eb4f99c69f966ebf8a42192de7ff61621c7bb47b93750c2b9ea08d18446c122, q))
            s1 := pow5(q, addmod(s1, 0x224a28e5a35385a7c5198169e405d9ea0fc7da8b93ee13b6d5f7d099e299520e, q))
            s2 := pow5(q, addmod(s2, 0x0f7411b465e600eed8afdd6afca49c3036f33ecbd9a0f97823796b993bbd82f7, q))
            s3 := pow5(q, addmod(s3, 0x0f9d0d5aad2c9555a2be7150392d8d9819b208ae3370f99a0626f9ff5d90e4e3, q))
            s4 := pow5(q, addmod(s4, 0x1e9a96dc8292bb596f52a59538d329229732b25259cf744b6a12d30702d6fba0, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x08780514ccd90380887d578c45555e593cfe52eab4b945c6c2cd4d528fb3fe3c, q))
            s1 := pow5(q, addmod(s1, 0x272498fced686c7ac8149fa3f73ef8c2ced64717e3556d5a59f119d629ccb5fc, q))
            s2 := pow5(q, addmod(s2, 0x01ef8f9dd7c93aac4b7cb80930bd06eb45bd350aff585f10e3d0ef8a782ef7df, q))
            s3 := pow5(q, addmod(s3, 0x045b9f59b6595e614dc08f222b469b138e886e64bf3c40aa97ea0ae754934d30, q))
            s4 := pow5(q, addmod(s4, 0x0ac1e91c57d9da919fd6f59d2a40ff8ea3e41e24e247a387adf2584295d61c66, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x028a1621a94054b0c7f9a421353cd89d0fd67061aee99979d12e68f04e62d134, q))
            s1 := pow5(q, addmod(s1, 0x26b41802c071ea4c9632647ed059236e50c19c3fb3c96d09d02aae2a0dcd9dbc, q))
            s2 := pow5(q, addmod(s2, 0x2fb5dda8072bb72cbaac2f63e468215e05c9de06758db6a94af34384aedb462b, q))
            s3 := pow5(q, addmod(s3, 0x2212d3a0f5fccaf244ff3547fd823249ad8ab8ba2a18d383dd05c56ee894d850, q))
            s4 := pow5(q, addmod(s4, 0x1b041ad5b2f0684258e4dfaeea09be56a3276fdb19f44c015cd0c7eed465e2e3, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x0a01776bb22f4b6b8eccff33e76fded3144fb7e3ac14e846a91e64afb1500eff, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x09d8db1e10531681407aaf525e01aecfbbb0a20ee68b595a72b78cc72ce6a73e, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x151efb27426ad51d3874abc4ce05faeb67758bb33760c644d8ab001b9941608b, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2cf5a51438538da9d608292c8a4ba4baf6f356706d9bfad6b96aa9c5ef38faa4, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x14c074b8d3806789ee1642c41c4aa5ff2eb5e586aaf71676aede09c850cb3bbd, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1434eed9fd6ccfb679cae98d38fba1b3b34156948b47e020568dbe0182543960, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1a99e9ee433de4876d9cdf34d63216472288e9335e27e61c9f5d11b82e079ec7, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1d58137fe94a35e78bd29b738c804f92bface4c6815a8b144ec25941d1ebde74, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1bbefcec59b523c3fd35b2e3d323375b5a646afb65a0506f5d1ed45454e66016, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x05323a5b7e5aa659e91b7f75adb0583b3f959e034e0e5a410248b788d2fbf362, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1e53285d3dbbb3a8d9a6d9791aa68cd402de6536b624c1f794bb7dd92d935dcc, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x07fb892ef8f0ed888c90336b5a0926fb34cb96d7368d288fb477826d651f82f2, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x0b515b464a837b928c030540ccd082861322cd4c56b5c112bb8efa6351402dec, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2c6ad0c9cb1810417ed6abcb6a84a60608651a1d9e6f30d323a1a0edea71c902, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x12873d46d984c662165f19c232f05b381052b7d1f1ace004b4970f142c92c719, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x3017c866411ce594a6c4f2010a0653340ac2c9c6107b5ab43c9e84a7a68d0a0a, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1ab3fc0f89372cee5ddb35a2ede99ca6e8172167c96a656cd72a683e3c4eee17, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x20c3f011236970f8ec88afe462e3138d2eed726499e0c485de20eec8d1697f5b, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x0298f303d47f472e0c5d0b410298320827b0a5ad8c66c5e6aa34de95669bbe1b, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x208ac5eeacde932fb4302bc9f244899fe129d25234ab8cd22a836c5e71091424, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x0f2ca813808c8469435d649edb0730ae33c2e86928cd086e4e33efd34950351e, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1520c64e5fb5c99a7b68e3e03cdbb90b2f59fe97898bc02cffa9de2e8e1da88c, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x21a28ccdb1d042ec15fefbb498777aeb719b86be42f2608ec9bf4bc517b3cafc, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2cdae0355cdf1070275a3bdd9d7ab980dffdbb615a7ed86cd697c70a22a7cc05, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1d27a5e0293d22dcf7aaee1e6a67c3292f65e3480a4d9765c976b6c9be52b685, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2691be3ee1df97377a701b992d8eef4671272684a513b59d4cd36a09124b4a14, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x146c4fa473f5428073fb5fa8cb65f1ac852c5f4402d185b25b999133056a6c2c, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x00f5bdb573e15214433025064b3e17ff482eb98e28f55f2c634781e4de98b550, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2a238a6cb670408d1cf3482472eb7721f4f9b982853d7b33418a013e34daa266, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x3019c8789ac42055c829293cada0a8fb56955dd7559e16c2f1c8e4024dc0ca2e, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2303beee75071614370ab3ec96b318a4b2c3ff4218417966ac656533023190df, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x286aeec5c4030177d3b81814fbb0faa80fbee808e1206c0bded75dcbbb70aa85, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1587337ad03036c3b4d82f7cce42b8a7a5b8452e9d098954f29d08cd1f7864f3, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x226c3b55657adacbc72c378cd9802aa4ff94298a6efcdc641a4da4530985ab9f, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x255007cb4495b034ec1fbd8506ec2f26fa3f80ebcf3ec284a0f23147a5735166, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x02d4133c9f09da5700555df45e8c82c87d1f4ec891b53bd0d9ebf21b6cce37e3, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x109dba8937cbdfd914627fa0bba13a1508528cf4df56b0c07c23b51d09d127f6, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x147936b3fd03ca1f1ddf9081c23ebad94bdd42c86c1c58316521b42f5482b23f, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1c31fbc9febc9ba157526d33fa411ebff9808868831bae843468de84d7e9331a, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x18ecf5e6a035d1204fe5194b3c38fc00384fadd45acb9eef58b225642b491e05, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2fd1e44b644f4a07c9e30bb89885187683c3549e28774ad2ac080dc409be0b4a, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x276339d9ad99aa77f8becf048f4512f96f4cf6948c3815d09ff6f3632eead0e2, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x05ed1ff19f1a54e0d18bee962faab3a8f8f999f358514c7b3c50b1bc8f890a91, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x23f7a8ce33fccf2f75395f46b1b2d6a51f72a62caea8b5aaa1f819db7a230b3c, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2767d9e8059193f2ecb8b77e12fe38dbd1430e43672a3b4ee73789c3b67d4233, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2805951a06db2531ad19fb97a85cfddc7654f1d663102e45742e4e13728550a4, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1edd84a843583eb4753d8670bf0cda7bbd690a54e756b231e040f0da20ba6b3c, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x21cea290380518eef8f31162cf8624766526c28953fbc248301787c6a9bc082e, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x041b116370212c62e6c621444681d5b37e8a8cd7027646a7a292d1bb2a8b884d, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x01555fcdcf02d909cf1a95811bcd2c1823f1c24df281b1a16c68e789c6ed53ca, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x1c06657b32ae9acf0a43176a46fc1d6b7a4cc3b66f3de49deb235694a89a93fd, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x0d32adb776a343cf9b20a974fdc9e169cefec52aeaa4abcaeee770050b49cb13, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x18ada57fba9608a3bbac607467d428f35da2d1c2a3055a20563fdffa845e362a, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x0d3eba9b435e6ddd9ffb1e299ca3663cf14fe655f22866b1eef0e47f14fd271f, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x02d000bc10e747aa5a27a1fb069f6f9680300001ddd7a74b94b86e89917f9259, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x0d64bebe8571c4534fef423cde86c35b755bfb86e3110c6392ca4ed81d10f29b, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2dbbf275e85a4d0b6d0c7f95be54cbb86a0630bfc38c230cea833ca469729705, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x260d6aa6f101e27922715e1ea1ab3b5ee9b2dcc2b1934f6233c97f6ce80e9119, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x0d049af9615baa1daded16cc5bbdf17064cc6d134e2875c8da730c8875a371bf, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x039e3bcd53336ceb3f3d1fbff42664a6a6c3a69d226e15d1afd921ee80f66cc0, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x125063ad821893043ac0a9607db015544523493016296da045a99638ec0d348d, q))
            s1 := pow5(q, addmod(s1, 0x1374d180cbdf06f3f1bf189d3a79cce15e519b369ee528594dcd87e7dd5d0dde, q))
            s2 := pow5(q, addmod(s2, 0x2d950d8443ed86b476bbb8274c33e9dfd9e391e4b92d52a4d09b111076a9ea6f, q))
            s3 := pow5(q, addmod(s3, 0x031ca8713e84a4ff5523f892c05771dde5482834f4d806057bf4204c346efd19, q))
            s4 := pow5(q, addmod(s4, 0x1c922a706055402e2a7678c0348561bfd11117596de5e53796915f61ef6d347d, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x17c31ea02fbc378320d86ffed6c7ca1583b618c5c1a687818d4087a497d73490, q))
            s1 := pow5(q, addmod(s1, 0x05b86c4bb8ef318b6a7227e4192d149d3c17a9764ccd660de4d50a77f192a91b, q))
            s2 := pow5(q, addmod(s2, 0x265bc95df4a4c4876ff70d7ea2fde2c7ab15f4a6ae0d237cd6ce74ba986c7a7b, q))
            s3 := pow5(q, addmod(s3, 0x24752b47bc6c6bc8d9bbe48f5fef2f6908701739c5f5b4b3d6c886d4715c7929, q))
            s4 := pow5(q, addmod(s4, 0x14814a1e0f492a4ea0d86e527a96482178d624b98da96ee5e583b9324d974efe, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x10def931073b6479bd60577378f29381997c8e041d3cfb3dc7523bca906f00bd, q))
            s1 := pow5(q, addmod(s1, 0x14f7ae770bf7e95f7f706c0d8ab4ed03fa0b880d28c69d031b4592c98610175f, q))
            s2 := pow5(q, addmod(s2, 0x1aef50a0cee751b59f926af40e8035d19decc9d428ebe4e775c5cc9dce1ce589, q))
            s3 := pow5(q, addmod(s3, 0x041935607172f68eba65ca60068dfe3b086c2a2d57d09602951214b57e73cf5a, q))
            s4 := pow5(q, addmod(s4, 0x26863e9dd24255d1573bd083959b856c0493fbefe83c819837a151d3bf452cb8, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            s0 := pow5(q, addmod(s0, 0x2036efb6f9830965eb3d7a068bd087c9f5adf251ba62052c652738e63ff8b3af, q))
            s1 := pow5(q, addmod(s1, 0x0c712a975b74dc9d766b639a029969ca30be4f75a753f854b00fa4f1b4f4ee9b, q))
            s2 := pow5(q, addmod(s2, 0x08014dab3cd1667e27afc99bfac1e6807afdff6456492ca3375731d387539699, q))
            s3 := pow5(q, addmod(s3, 0x198d07192db4fac2a82a4a79839d6a2b97c4dd4d37b4e8f3b53009f79b34e6a4, q))
            s4 := pow5(q, addmod(s4, 0x29eb1de42a3ad381b23b4131426897a32709b29d53bb946dfd15784d1f63e572, q))
            s0, s1, s2, s3, s4 := mix(q, s0, s1, s2, s3, s4)
            h := mod(s0, q)
        }
    }
    /// z_levels: the root of an empty tree of ``levels`` (0..16) 4-ary levels.
    function emptyRoot(uint256 levels) internal pure returns (uint256 z) {
        assembly ("memory-safe") {
            switch levels
            case 0 { z := 0x0000000000000000000000000000000000000000000000000000000000000000 }
            case 1 { z := 0x0532fd436e19c70e51209694d9c215250937921b8b79060488c1206db73e9946 }
            case 2 { z := 0x1ea8dbbca1ca3a574b1b871aad1e8bc47571c7e11a99a6fb25f3f19d4bfad32c }
            case 3 { z := 0x1b98ec5a992cd3688e655aef8674386f4e84f0a442eaab4840427e359c214dd2 }
            case 4 { z := 0x0fd83a3939005974d559c13c652a31942ffd61cab9a038e04239af96cafaee14 }
            case 5 { z := 0x11eb54967ae25ce42205223461cda9dbb1a1811db38b71e404d1fd94c9627777 }
            case 6 { z := 0x1c682a99981cf10a215d2788721e0ca060ddc0932cbb04c903eee3bd899dcfc0 }
            case 7 { z := 0x2b3de1ae8e72d64a5cb03934061e3fd03789273f370e32d576ae54b4cbeca719 }
            case 8 { z := 0x1b64ed0dc55f80f1f3da256b451baf16110fc268311a13fe903f87945b734861 }
            case 9 { z := 0x06efb4c4a55b0225fd1088d357b2432f422b0593015c57980e373ecef9029c72 }
            case 10 { z := 0x262138dff44f5352d2d7ec48461c771444a6c00c761a3263735d0a99143a51f1 }
            case 11 { z := 0x07ea118d86ace14a8eaa26fc18b36fefe7d5f5b00e0eb9ebfd1c88f37131c178 }
            case 12 { z := 0x0c2a4af81a2cd78159ce2f3d7ee05367fc5b3c3e1becea2a86d1e66dd27ffb7f }
            case 13 { z := 0x1a953a710c22f79c369c976fc9981ffdbfe236695297fec65886e645e6fa2884 }
            case 14 { z := 0x16b0c5e286286eb6c4774ad6292b4f0bdc5b36cb7890b27544268892ae255e0d }
            case 15 { z := 0x2dd7186449cc82702fb8f2d7fa86e0095263f8afb521e1976f499e67a0d7cbb8 }
            case 16 { z := 0x151399c724e17408a7a43cdadba2fc000da9339c56e4d49c6cdee6c4356fbc68 }
            default { revert(0, 0) }
        }
    }
}
// END generated
