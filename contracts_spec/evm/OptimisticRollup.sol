// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// The one-step judge of the optimistic rollups: optimistic/rules.py's derive_step on one step, its EIP-712
/// digests and leaves, and optimistic/state.py's WitnessedState over the witnesses encoding.decode_witnesses
/// reads, on primitives/smt.py's sparse Merkle tree (leaf keccak(0x00 || value), node keccak(0x01 || left ||
/// right)); the tree depth and EIP-712 domain come from the contract that judges. Refusal texts are built
/// by the message helpers at its end.
abstract contract OptimisticStep {
    uint256 internal constant HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0;
    bytes32 internal constant TRANSFER_TYPEHASH =
        keccak256("Transfer(uint32 from,uint32 to,uint256 amount,uint32 nonce)");
    bytes32 internal constant WITHDRAW_TYPEHASH =
        keccak256("Withdraw(uint32 from,address recipient,uint256 amount,uint32 nonce)");

    /// The account tree's depth and the EIP-712 domain separator steps are signed under.
    function _depth() internal view virtual returns (uint256);

    function _domain() internal view virtual returns (bytes32);

    /// One account witness (state.Witnesses) and what the step wrote to it.
    struct Witness {
        uint256 index;
        bool present;
        address addr;
        uint256 balance;
        uint256 nonce;
        uint256 siblings; // calldata offset of its depth siblings
        bool written;
        address newAddr;
        uint256 newBalance;
        uint256 newNonce;
    }

    /// state.WitnessedState: the step's pre-state as the witnesses show it.
    struct Partial {
        uint256 depth;
        bytes32 preRoot;
        bytes32 accountsRoot;
        bytes32 chain0;
        bytes32 chain;
        Witness[] ws;
    }

    /// A decoded entry's transaction (rules.Deposit, Transfer or Withdraw).
    struct Tx {
        uint256 kind;
        uint256 from; // the deposit's index for a deposit
        uint256 to;
        address addr; // the deposit's address or the withdrawal's recipient
        uint256 amount;
        uint256 nonce;
        uint256 sig; // calldata offset of r || s || v
    }

    /// Re-run one step on L1: "" when derivation takes ``preRoot`` to ``claimed``, else why not.
    function _judgeStep(bytes32 preRoot, bytes calldata entry, bytes32 claimed, bytes calldata witnesses)
        internal view returns (string memory)
    {
        Partial memory st = _witnessed(preRoot, witnesses);
        Tx memory t = _decodeTx(entry);
        address signer;
        if (t.kind != 0) signer = _recover(_txDigest(t), t.sig);
        string memory skipped = _deriveStep(st, t, signer);
        bytes32 root = _postRoot(st);
        if (root == claimed) return "";
        if (bytes(skipped).length != 0) {
            return string.concat("invalid transaction: ", skipped, "; it is a no-op, so the claimed root is wrong");
        }
        return "wrong state root";
    }

    function _decodeTx(bytes calldata e) internal pure returns (Tx memory t) {
        uint256 kind = uint8(e[0]);
        t.kind = kind;
        if (kind == 0) {
            t.from = uint32(bytes4(e[1:5]));
            t.addr = address(bytes20(e[5:25]));
            t.amount = uint128(bytes16(e[25:41]));
        } else if (kind == 1) {
            t.from = uint32(bytes4(e[1:5]));
            t.to = uint32(bytes4(e[5:9]));
            t.amount = _unpack(uint40(bytes5(e[9:14])));
            t.nonce = uint32(bytes4(e[14:18]));
            uint256 o;
            assembly ("memory-safe") { o := add(e.offset, 18) }
            t.sig = o;
        } else {
            t.kind = 2;
            t.from = uint32(bytes4(e[1:5]));
            t.addr = address(bytes20(e[5:25]));
            t.amount = _unpack(uint40(bytes5(e[25:30])));
            t.nonce = uint32(bytes4(e[30:34]));
            uint256 o;
            assembly ("memory-safe") { o := add(e.offset, 34) }
            t.sig = o;
        }
    }

    function _unpack(uint256 packed) internal pure returns (uint256) {
        return (packed >> 5) * 10 ** (packed & 31);
    }

    /// rules.tx_digest: the EIP-712 digest a transfer or withdrawal is signed over.
    function _txDigest(Tx memory t) internal view returns (bytes32) {
        bytes32 structHash = t.kind == 1
            ? keccak256(abi.encode(TRANSFER_TYPEHASH, t.from, t.to, t.amount, t.nonce))
            : keccak256(abi.encode(WITHDRAW_TYPEHASH, t.from, t.addr, t.amount, t.nonce));
        return keccak256(abi.encodePacked(hex"1901", _domain(), structHash));
    }

    /// ecrecover of a 65-byte r || s || v at calldata ``sig``; zero when it does not recover or s is high.
    function _recover(bytes32 digest, uint256 sig) internal view returns (address signer) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(sig)
            s := calldataload(add(sig, 32))
            v := byte(0, calldataload(add(sig, 64)))
        }
        signer = ecrecover(digest, v, r, s);
        if (uint256(s) > HALF_N) signer = address(0);
    }

    /// encoding.decode_witnesses and the checks of WitnessedState's constructor (key in range, once each).
    function _witnessed(bytes32 preRoot, bytes calldata data) internal view returns (Partial memory st) {
        uint256 depth = _depth();
        st.depth = depth;
        st.preRoot = preRoot;
        uint256 len = data.length;
        require(len >= 65, "bad witnesses: witnesses are short: expected a 64-byte pre-state and a count byte");
        st.accountsRoot = bytes32(data[0:32]);
        st.chain0 = bytes32(data[32:64]);
        st.chain = st.chain0;
        uint256 count = uint8(data[64]);
        st.ws = new Witness[](count);
        uint256 off = 65;
        for (uint256 i; i < count; ++i) {
            if (off + 5 > len) _r("bad witnesses: witness ", i, " is truncated");
            Witness memory w = st.ws[i];
            w.index = uint32(bytes4(data[off:off + 4]));
            uint256 present = uint8(data[off + 4]);
            off += 5;
            if (present == 1) {
                if (off + 60 > len) _r("bad witnesses: witness ", i, " account is truncated");
                w.present = true;
                w.addr = address(bytes20(data[off:off + 20]));
                w.balance = uint256(bytes32(data[off + 20:off + 52]));
                w.nonce = uint64(bytes8(data[off + 52:off + 60]));
                off += 60;
            } else if (present != 0) {
                _r2("bad witnesses: witness ", i, " has presence flag ", present, ", expected 0 or 1");
            }
            uint256 end = off + 32 * depth;
            if (end > len) {
                _r2("bad witnesses: witness ", i, " has fewer than ", depth, " siblings");
            }
            uint256 o;
            assembly ("memory-safe") { o := add(data.offset, off) }
            w.siblings = o;
            off = end;
        }
        if (off != len) _r("bad witnesses: ", len - off, " bytes after the last witness");
        for (uint256 i; i < count; ++i) {
            uint256 index = st.ws[i].index;
            if (index >= 1 << depth) _r2("bad witnesses: key ", index, " is out of range for depth ", depth, "");
            for (uint256 j; j < i; ++j) {
                if (st.ws[j].index == index) _r("bad witnesses: account ", index, " is witnessed twice");
            }
        }
    }

    function _find(Partial memory st, uint256 index) internal pure returns (Witness memory) {
        Witness[] memory ws = st.ws;
        for (uint256 i; i < ws.length; ++i) {
            if (ws[i].index == index) return ws[i];
        }
        revert(string.concat("bad witnesses: no witness for account ", _u(index)));
    }

    function _write(Witness memory w, address addr, uint256 balance, uint256 nonce) internal pure {
        w.written = true;
        w.newAddr = addr;
        w.newBalance = balance;
        w.newNonce = nonce;
    }

    /// rules.derive_step on the witnessed state: the rule the step breaks ("" when it applied).
    function _deriveStep(Partial memory st, Tx memory t, address signer) internal pure returns (string memory) {
        uint256 size = 1 << st.depth;
        if (t.kind == 0) {
            if (t.from >= size) return _outOfRange("deposit", t.from, st.depth);
            if (t.amount == 0) return string.concat("zero amount: deposit amount ", _u(t.amount), " out of range");
            Witness memory a = _find(st, t.from);
            if (!a.present) {
                _write(a, t.addr, t.amount, 0);
                return "";
            }
            if (a.addr != t.addr) {
                return string.concat("account taken: index ", _u(t.from), " belongs to ", _h(a.addr), ", not ",
                    _h(t.addr));
            }
            if (a.balance > type(uint256).max - t.amount) return string.concat("balance overflow: account ", _u(t.from));
            _write(a, a.addr, a.balance + t.amount, a.nonce);
            return "";
        }
        (Witness memory sender, string memory why) = _signedAccount(st, t, signer, size);
        if (bytes(why).length != 0) return why;
        if (t.kind == 1) {
            if (t.to >= size) return _outOfRange("receiving", t.to, st.depth);
            if (t.to == t.from) return string.concat("self transfer: account ", _u(t.from), " pays itself");
            why = _checkAmount(sender, t.amount);
            if (bytes(why).length != 0) return why;
            Witness memory receiver = _find(st, t.to);
            if (!receiver.present) return string.concat("unknown account: no account at index ", _u(t.to));
            if (receiver.balance > type(uint256).max - t.amount) {
                return string.concat("balance overflow: account ", _u(t.to));
            }
            _write(sender, sender.addr, sender.balance - t.amount, sender.nonce + 1);
            _write(receiver, receiver.addr, receiver.balance + t.amount, receiver.nonce);
            return "";
        }
        why = _checkAmount(sender, t.amount);
        if (bytes(why).length != 0) return why;
        _write(sender, sender.addr, sender.balance - t.amount, sender.nonce + 1);
        bytes32 leaf = keccak256(abi.encodePacked(t.addr, t.amount, uint32(t.from), uint32(t.nonce)));
        st.chain = keccak256(abi.encodePacked(st.chain, leaf));
        return "";
    }

    function _outOfRange(string memory what, uint256 index, uint256 depth) internal pure returns (string memory) {
        return string.concat("index out of range: ", what, " account ", _u(index), " >= 2**", _u(depth));
    }

    /// rules._signed_account: the sender's witness once the signature and nonce rules hold, else why not.
    function _signedAccount(Partial memory st, Tx memory t, address signer, uint256 size)
        internal pure returns (Witness memory a, string memory why)
    {
        if (t.from >= size) return (a, _outOfRange("sending", t.from, st.depth));
        a = _find(st, t.from);
        if (!a.present) return (a, string.concat("unknown account: no account at index ", _u(t.from)));
        if (signer == address(0)) return (a, "bad signature: the signature does not recover");
        if (signer != a.addr) {
            return (a, string.concat("bad signature: signed by ", _h(signer), ", account ", _u(t.from), " is ",
                _h(a.addr)));
        }
        if (t.nonce != a.nonce) {
            return (a, string.concat("bad nonce: expected ", _u(a.nonce), ", got ", _u(t.nonce)));
        }
        if (a.nonce >= type(uint32).max) {
            return (a, string.concat("nonce overflow: account ", _u(t.from), " used every nonce"));
        }
    }

    function _checkAmount(Witness memory a, uint256 amount) internal pure returns (string memory) {
        if (amount == 0) return string.concat("zero amount: amount must be positive, got ", _u(amount));
        if (amount > a.balance) {
            return string.concat("overspend: amount ", _u(amount), " exceeds balance ", _u(a.balance));
        }
        return "";
    }

    /// WitnessedState.post_root: every witness checked, the state root after the step's writes.
    function _postRoot(Partial memory st) internal pure returns (bytes32) {
        require(keccak256(abi.encodePacked(st.accountsRoot, st.chain0)) == st.preRoot,
            "bad witnesses: the accounts root and withdrawal chain shown do not make the step's pre-state root");
        bytes32 root = st.accountsRoot;
        bool wrote;
        Witness[] memory ws = st.ws;
        for (uint256 i; i < ws.length; ++i) {
            Witness memory w = ws[i];
            bytes32 old = w.present ? _leaf(w.addr, w.balance, w.nonce) : bytes32(0);
            if (_smtRoot(w.index, old, w.siblings, st.depth) != root) {
                _r("bad witnesses: the witness of account ", w.index, " does not match the state root");
            }
            if (w.written) {
                root = _smtRoot(w.index, _leaf(w.newAddr, w.newBalance, w.newNonce), w.siblings, st.depth);
                wrote = true;
            }
        }
        if (!wrote && st.chain == st.chain0) return st.preRoot;
        return keccak256(abi.encodePacked(root, st.chain));
    }

    /// Account.leaf: keccak(address[20] || balance[32] || nonce[8]).
    function _leaf(address addr, uint256 balance, uint256 nonce) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(addr, balance, uint64(nonce)));
    }

    /// smt.smt_root_from_proof with the siblings at calldata offset ``sib``.
    function _smtRoot(uint256 key, bytes32 value, uint256 sib, uint256 depth) internal pure returns (bytes32 node) {
        assembly ("memory-safe") {
            mstore8(0, 0)
            mstore(1, value)
            node := keccak256(0, 33)
            let m := mload(0x40)
            mstore8(m, 1)
            for { let level := 0 } lt(level, depth) { level := add(level, 1) } {
                let s := calldataload(add(sib, shl(5, level)))
                switch and(shr(level, key), 1)
                case 1 {
                    mstore(add(m, 1), s)
                    mstore(add(m, 33), node)
                }
                default {
                    mstore(add(m, 1), node)
                    mstore(add(m, 33), s)
                }
                node := keccak256(m, 65)
            }
        }
    }

    // -- message formatting ------------------------------------------------------------------------

    /// Revert with ``a`` ``x`` ``b`` (one call site per message keeps the code small).
    function _r(string memory a, uint256 x, string memory b) internal pure {
        revert(string.concat(a, _u(x), b));
    }

    function _r2(string memory a, uint256 x, string memory b, uint256 y, string memory c) internal pure {
        revert(string.concat(a, _u(x), b, _u(y), c));
    }

    function _u(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        uint256 len;
        for (uint256 t = v; t != 0; t /= 10) ++len;
        bytes memory b = new bytes(len);
        for (; v != 0; v /= 10) b[--len] = bytes1(uint8(48 + v % 10));
        return string(b);
    }

    function _h(address a) internal pure returns (string memory) {
        bytes memory b = new bytes(42);
        b[0] = "0";
        b[1] = "x";
        uint256 v = uint160(a);
        for (uint256 i = 41; i > 1; --i) {
            b[i] = bytes16("0123456789abcdef")[v & 15];
            v >>= 4;
        }
        return string(b);
    }
}

/// The twin of contracts_spec/optimistic/contract.py's OptimisticRollup, with the rules it calls:
/// optimistic/submission.py (who may post, the deposit queue, the claim), optimistic/encoding.py (batch,
/// claim header and witness bytes), the one-step judge above (OptimisticStep), and primitives/merkle.py's binary
/// tree (odd levels padded with 32 zero bytes).
///
/// Storage as the Python contract keeps it: every parameter in a slot of its own; "counters" packs the
/// deposits queued (bits 0..63), account indices assigned (64..127) and claims awaiting re-proposal (128..);
/// batch_meta packs the claim's proposer (bits 0..159), time (160..207) and first deposit id (208..255);
/// deposit_at packs block | time << 64. Entries and withdrawal roots are computed from the calldata in one
/// pass with O(log n) memory; the data hash needs the transactions in memory once. ETH goes out by a call
/// with the value stipend alone, forced in when the recipient refuses it.
contract OptimisticRollup is OptimisticStep {
    event BondPosted(address indexed proposer, uint256 amount, uint256 total);
    event BondWithdrawn(address indexed proposer, uint256 amount);
    event DepositQueued(uint256 indexed id, address indexed l2_address, uint256 amount, uint256 account, uint256 time);
    event BatchSubmitted(uint256 indexed index, address indexed proposer, bytes32 body_hash, bytes32 entries_root,
        bytes32 post_root, bytes32 withdrawal_root, uint256 first_deposit, uint256 entry_count);
    event ClaimReproposed(uint256 indexed index, address indexed proposer, bytes32 body_hash, bytes32 entries_root,
        bytes32 post_root, bytes32 withdrawal_root);
    event FraudProven(uint256 indexed index, uint256 step, address indexed challenger, string reason, uint256 reward,
        uint256 burned);
    event BatchReverted(uint256 indexed index, bytes32 commitment);
    event WithdrawalClaimed(uint256 indexed index, uint256 indexed leaf_index, address recipient, uint256 amount);

    uint256 internal constant W64 = type(uint64).max;
    uint256 internal constant W48 = (1 << 48) - 1;
    uint256 internal constant SECONDS_PER_SLOT = 12;
    uint256 internal constant HEADER_SIZE = 109;
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");

    // -- storage: one slot per Python key ---------------------------------------------------
    address internal operator_;
    uint256 internal depth_;
    uint256 internal window_;
    uint256 internal deadline_;
    uint256 internal minBond_;
    uint256 internal rewardPercent_;
    uint256 internal maxBatchBytes_;
    bytes32 internal stateRoot_;
    bytes32 internal domain_;
    uint256 internal counters_;
    uint256 internal included_;
    uint256 internal batches_;
    uint256 internal burned_;
    mapping(address => uint256) internal bond_;
    mapping(address => uint256) internal lastBatchOf_;
    mapping(address => uint256) internal accountOf_;
    mapping(uint256 => bytes32) internal depositHash_;
    mapping(uint256 => uint256) internal depositAt_;
    mapping(uint256 => bytes32) internal commitment_;
    mapping(uint256 => uint256) internal batchMeta_;
    mapping(uint256 => mapping(uint256 => bool)) internal claimed_;

    constructor(address operator, uint8 depth, uint64 window, uint64 deadline, uint256 min_bond,
        uint8 reward_percent, uint32 max_batch_bytes) {
        if (depth < 1 || depth > 32) _r("tree depth ", depth, " must be in 1..32");
        if (reward_percent > 100) _r("reward percent ", reward_percent, " exceeds 100");
        operator_ = operator;
        depth_ = depth;
        window_ = window;
        deadline_ = deadline;
        minBond_ = min_bond;
        rewardPercent_ = reward_percent;
        maxBatchBytes_ = max_batch_bytes;
        bytes32 e = keccak256(abi.encodePacked(uint8(0), bytes32(0)));
        for (uint256 i; i < depth; ++i) e = keccak256(abi.encodePacked(uint8(1), e, e));
        stateRoot_ = keccak256(abi.encodePacked(e, bytes32(0)));
        domain_ = keccak256(abi.encodePacked(DOMAIN_TYPEHASH, keccak256("l2lab optimistic rollup"), keccak256("1"),
            block.chainid, uint256(uint160(address(this)))));
    }

    function _batchVersion() internal pure virtual returns (uint256) {
        return 1;
    }

    // -- bonds --------------------------------------------------------------------------------

    function post_bond() external payable {
        require(msg.value > 0, "bond of zero");
        uint256 total = bond_[msg.sender] + msg.value;
        bond_[msg.sender] = total;
        emit BondPosted(msg.sender, msg.value, total);
    }

    function withdraw_bond(uint256 amount) external {
        uint256 have = bond_[msg.sender];
        if (amount == 0 || amount > have) {
            _r2("bond withdrawal ", amount, " out of range (bonded ", have, ")");
        }
        uint256 last = lastBatchOf_[msg.sender];
        if (last > 0 && last <= _posted()) {
            if (!_isFinal(last - 1)) {
                _r("batch ", last - 1, " of this proposer is not final yet");
            }
        }
        bond_[msg.sender] = have - amount;
        _pay(msg.sender, amount);
        emit BondWithdrawn(msg.sender, amount);
    }

    // -- deposits -------------------------------------------------------------------------------

    function deposit(address l2_address) external payable {
        if (msg.value == 0 || msg.value >= 1 << 128) {
            _r("deposit of ", msg.value, " wei: must be in 1..2**128-1");
        }
        require(l2_address != address(0), "deposit to the zero address: no key could ever spend it");
        uint256 word = counters_;
        uint256 n = word & W64;
        uint256 accounts = (word >> 64) & W64;
        uint256 slot = accountOf_[l2_address];
        uint256 index;
        if (slot != 0) {
            index = slot - 1;
        } else {
            uint256 depth = depth_;
            if (accounts >= 1 << depth) {
                _r("the account tree is full: all 2**", depth, " indices are taken, so a deposit to a new address "
                    "could never be placed; deposit to an address that has an L2 account");
            }
            index = accounts;
            accounts += 1;
            accountOf_[l2_address] = index + 1;
        }
        bytes32 previous = depositHash_[n];
        depositHash_[n + 1] = keccak256(abi.encodePacked(previous, uint32(index), l2_address, uint128(msg.value)));
        depositAt_[n] = block.number | (block.timestamp << 64);
        counters_ = ((word >> 128) << 128) | (n + 1) | (accounts << 64);
        emit DepositQueued(n, l2_address, msg.value, index, block.timestamp);
    }

    /// submission.is_overdue over the stored queue.
    function _overdue(uint256 id) internal view returns (bool) {
        if (id >= counters_ & W64) return false;
        uint256 queued = depositAt_[id];
        uint256 blocks = deadline_;
        return block.number > (queued & W64) + blocks && block.timestamp > (queued >> 64) + blocks * SECONDS_PER_SLOT;
    }

    // -- batches --------------------------------------------------------------------------------

    /// What one pass over batch bytes gives: the decoded header, the claim roots and the commitment parts.
    struct Scan {
        uint256 version;
        uint256 count;
        uint256 firstDeposit;
        uint256 deposits;
        bytes32 depositHash;
        bytes32 prevRoot;
        bytes32 postRoot;
        bytes32 lastRoot;
        bytes32 entriesRoot;
        bytes32 withdrawalRoot;
        bytes32 dataHash;
    }

    function submit_batch(bytes calldata data) external {
        uint256 included = included_;
        uint256 count = batches_;
        if (msg.sender != operator_ && !_overdue(included)) {
            revert("not the operator: only the operator may submit while no deposit is overdue");
        }
        if (_awaiting() != 0) {
            _r("the claims from batch ", count, " on were proven wrong: re-propose them (repropose_batch) before "
                "posting a new batch");
        }
        Scan memory s = _decodedBatch(data, depositHash_[included]);
        _checkClaim(s);
        if (s.firstDeposit != included) {
            revert(string.concat("deposit out of order: batch must start at deposit ", _u(included)));
        }
        uint256 end = included + s.deposits;
        require(end <= counters_ & W64, "unknown deposit: batch includes deposits that were never made");
        require(s.depositHash == depositHash_[end],
            "deposits differ: batch deposits differ from the L1 queue (amounts, order or indices)");
        if (_overdue(end)) {
            _r("overdue deposit left out: deposit ", end, " is overdue: include it first");
        }
        bytes32 body = _storeClaim(count, s);
        batchMeta_[count] = uint256(uint160(msg.sender)) | (block.timestamp << 160) | (included << 208);
        batches_ = count + 1;
        included_ = end;
        emit BatchSubmitted(count, msg.sender, body, s.entriesRoot, s.postRoot, s.withdrawalRoot, included, s.count);
    }

    function repropose_batch(uint256 index, bytes32 old_body_hash, bytes32 old_withdrawal_root, bytes calldata data)
        external
    {
        uint256 awaiting = _awaiting();
        uint256 standing = batches_;
        require(awaiting != 0, "no claim is invalid: there is nothing to re-propose");
        if (index != standing) {
            _r("re-propose batch ", standing, " first: claims are replaced in order");
        }
        Scan memory s = _decodedBatch(data, 0);
        if (keccak256(abi.encodePacked(old_body_hash, old_withdrawal_root, s.dataHash)) != commitment_[index]) {
            _r("these are not batch ", index, "'s transactions (or not its current claim)");
        }
        _checkClaim(s);
        bytes32 body = _storeClaim(index, s);
        uint256 firstDeposit = (batchMeta_[index] >> 208) & W48;
        batchMeta_[index] = uint256(uint160(msg.sender)) | (block.timestamp << 160) | (firstDeposit << 208);
        batches_ = index + 1;
        _setAwaiting(awaiting - 1);
        emit ClaimReproposed(index, msg.sender, body, s.entriesRoot, s.postRoot, s.withdrawalRoot);
    }

    /// submission.check_claim: at least one entry, from the current state root, the last root the post_root.
    function _checkClaim(Scan memory s) internal view {
        require(s.count != 0, "empty batch");
        require(s.prevRoot == stateRoot_, "wrong prev_root: prev_root is not the current state root");
        if (s.version == 1) {
            require(s.lastRoot == s.postRoot,
                "wrong post_root: the last entry's root is not the post_root the header claims");
        }
    }

    /// The sender bonded, ``data`` within the size limit, decoded, of this rollup's version.
    function _decodedBatch(bytes calldata data, bytes32 running) internal view returns (Scan memory s) {
        require(bond_[msg.sender] >= minBond_, "proposer bond below the minimum");
        uint256 limit = maxBatchBytes_;
        if (data.length > limit) {
            revert(string.concat("batch of ", _u(data.length), " bytes exceeds ", _u(limit)));
        }
        s = _scan(data, running);
        if (s.version != _batchVersion()) {
            revert(string.concat("batch version ", _u(s.version), ": this rollup takes version ",
                _u(_batchVersion())));
        }
    }

    /// encoding.decode_batch, claim_roots, header_of and compute_data_hash in one pass over the calldata;
    /// the deposits' running hash from ``running`` (submission.compute_deposit_hash).
    function _scan(bytes calldata data, bytes32 running) internal pure returns (Scan memory s) {
        uint256 len = data.length;
        if (len < HEADER_SIZE) {
            _r("malformed batch: batch is ", len, " bytes, shorter than its 109-byte header");
        }
        uint256 version = uint8(data[0]);
        if (version != 1 && version != 2) revert(string.concat("malformed batch: unknown batch version ", _u(version)));
        s.version = version;
        uint256 cut = version == 2 ? 32 : 0; // bytes an entry lacks against the kind's size
        uint256 rootCut = 32 - cut; // bytes of root left out of the data hash
        uint256 n = uint32(bytes4(data[105:109]));
        s.count = n;
        s.firstDeposit = uint64(bytes8(data[97:105]));
        // mem: hash scratch 96 | running deposit hash | withdrawal chain | withdrawals | deposits |
        // entries frontier 33 words | withdrawals frontier 33 words | the transactions, for the data hash
        uint256 mem;
        assembly ("memory-safe") {
            mem := mload(0x40)
            mstore(0x40, add(mem, add(2400, len)))
            mstore(add(mem, 96), running)
            mstore(add(mem, 128), calldataload(add(data.offset, 33)))
            mstore(add(mem, 160), 0)
            mstore(add(mem, 192), 0)
            calldatacopy(add(mem, 2336), add(data.offset, 97), 12)
        }
        (uint256 off, uint256 p, uint256 err) = _walk(data, mem, n, cut);
        if (err & 0xff == 1) {
            revert(string.concat("malformed batch: batch ends before entry ", _u((err >> 8) & W64), " of ", _u(n)));
        }
        if (err & 0xff == 2) {
            revert(string.concat("malformed batch: entry ", _u((err >> 8) & W64), " has unknown kind ",
                _u(err >> 128)));
        }
        if (err & 0xff == 3) _r("malformed batch: entry ", (err >> 8) & W64, " is truncated");
        if (off != len) _r("malformed batch: ", len - off, " bytes after the last entry");
        if (version == 1 && n != 0) s.lastRoot = bytes32(data[len - 32:len]);
        bytes32 dataHash;
        bytes32 chain;
        uint256 w;
        assembly ("memory-safe") {
            dataHash := keccak256(add(mem, 2336), sub(p, add(mem, 2336)))
            running := mload(add(mem, 96))
            chain := mload(add(mem, 128))
            w := mload(add(mem, 160))
        }
        s.dataHash = dataHash;
        s.depositHash = running;
        uint256 deposits;
        assembly ("memory-safe") { deposits := mload(add(mem, 192)) }
        s.deposits = deposits;
        s.entriesRoot = _frontierRoot(mem + 224, n, mem);
        s.withdrawalRoot = _frontierRoot(mem + 1280, w, mem);
        s.prevRoot = keccak256(data[1:65]);
        s.postRoot = keccak256(abi.encodePacked(bytes32(data[65:97]), chain));
    }

    /// The walk over a batch's ``n`` entries (see _scan for ``mem``); where it ended, the end of the
    /// transactions copied for the data hash, and an error (kind | entry << 8 | entry kind << 128) or 0.
    function _walk(bytes calldata data, uint256 mem, uint256 n, uint256 cut)
        internal pure returns (uint256 off, uint256 p, uint256 err)
    {
        assembly ("memory-safe") {
            let dataEnd := add(data.offset, data.length)
            let src := add(data.offset, 109)
            p := add(mem, 2348)
            // entry sizes by kind (73, 115, 131, 131) in the top bytes
            let sizes := 0x4973838300000000000000000000000000000000000000000000000000000000
            let rootCut := sub(32, cut)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let kind := byte(0, calldataload(src))
                // a kind above 3 has size 0 here; past the end the kind reads 0 and its entry overruns
                let size := sub(byte(kind, sizes), cut)
                if or(gt(kind, 3), gt(add(src, size), dataEnd)) {
                    switch lt(src, dataEnd)
                    case 0 { err := or(1, shl(8, i)) }
                    default {
                        switch gt(kind, 3)
                        case 1 { err := or(or(2, shl(8, i)), shl(128, kind)) }
                        default { err := or(3, shl(8, i)) }
                    }
                    break
                }
                calldatacopy(p, src, size)
                mstore8(mem, 0)
                mstore(add(mem, 1), keccak256(p, size))
                let h := keccak256(mem, 33)
                let f := add(mem, 224)
                let lvl := 0
                for {} and(shr(lvl, i), 1) { lvl := add(lvl, 1) } {
                    mstore8(mem, 1)
                    mstore(add(mem, 1), mload(add(f, shl(5, lvl))))
                    mstore(add(mem, 33), h)
                    h := keccak256(mem, 65)
                }
                mstore(add(f, shl(5, lvl)), h)
                switch kind
                case 0 {
                    mstore(mem, mload(add(mem, 96)))
                    calldatacopy(add(mem, 32), add(src, 1), 40)
                    mstore(add(mem, 96), keccak256(mem, 72))
                    mstore(add(mem, 192), add(mload(add(mem, 192)), 1))
                }
                case 2 {
                    let packed := shr(216, calldataload(add(src, 25)))
                    calldatacopy(mem, add(src, 5), 20)
                    mstore(add(mem, 20), mul(shr(5, packed), exp(10, and(packed, 31))))
                    calldatacopy(add(mem, 52), add(src, 1), 4)
                    calldatacopy(add(mem, 56), add(src, 30), 4)
                    let leaf := keccak256(mem, 60)
                    mstore(mem, mload(add(mem, 128)))
                    mstore(add(mem, 32), leaf)
                    mstore(add(mem, 128), keccak256(mem, 64))
                    mstore8(mem, 0)
                    mstore(add(mem, 1), leaf)
                    h := keccak256(mem, 33)
                    let w := mload(add(mem, 160))
                    f := add(mem, 1280)
                    lvl := 0
                    for {} and(shr(lvl, w), 1) { lvl := add(lvl, 1) } {
                        mstore8(mem, 1)
                        mstore(add(mem, 1), mload(add(f, shl(5, lvl))))
                        mstore(add(mem, 33), h)
                        h := keccak256(mem, 65)
                    }
                    mstore(add(f, shl(5, lvl)), h)
                    mstore(add(mem, 160), add(w, 1))
                }
                case 3 { mstore8(p, 2) }
                p := add(p, sub(size, rootCut))
                src := add(src, size)
            }
            off := sub(src, data.offset)
        }
    }

    /// The binary Merkle root of ``n`` leaves whose pending left nodes per level are at ``f`` (bit k of n says
    /// level k holds one); a missing right sibling is 32 zero bytes, as primitives.merkle pads odd levels.
    function _frontierRoot(uint256 f, uint256 n, uint256 scratch) internal pure returns (bytes32 root) {
        if (n == 0) return bytes32(0);
        uint256 d;
        for (uint256 m = n - 1; m != 0; m >>= 1) ++d;
        assembly ("memory-safe") {
            let carry := 0
            for { let lvl := 0 } lt(lvl, d) { lvl := add(lvl, 1) } {
                switch and(shr(lvl, n), 1)
                case 1 {
                    mstore8(scratch, 1)
                    mstore(add(scratch, 1), mload(add(f, shl(5, lvl))))
                    mstore(add(scratch, 33), mul(carry, root))
                    root := keccak256(scratch, 65)
                    carry := 1
                }
                default {
                    if carry {
                        mstore8(scratch, 1)
                        mstore(add(scratch, 1), root)
                        mstore(add(scratch, 33), 0)
                        root := keccak256(scratch, 65)
                    }
                }
            }
            if iszero(carry) { root := mload(add(f, shl(5, d))) }
        }
    }

    /// Commit to the claim as batch ``index``'s and move the state root on; its body hash.
    function _storeClaim(uint256 index, Scan memory s) internal returns (bytes32 body) {
        body = keccak256(abi.encodePacked(s.prevRoot, s.postRoot, s.entriesRoot, uint32(s.count)));
        commitment_[index] = keccak256(abi.encodePacked(body, s.withdrawalRoot, s.dataHash));
        stateRoot_ = s.postRoot;
        lastBatchOf_[msg.sender] = index + 1;
    }

    function _awaiting() internal view returns (uint256) {
        return counters_ >> 128;
    }

    function _setAwaiting(uint256 awaiting) internal {
        counters_ = (counters_ & ((1 << 128) - 1)) | (awaiting << 128);
    }

    function _posted() internal view returns (uint256) {
        return batches_ + _awaiting();
    }

    function _submitted(uint256 index) internal view returns (uint256) {
        return (batchMeta_[index] >> 160) & W48;
    }

    function _isFinal(uint256 index) internal view virtual returns (bool) {
        if (index >= batches_) return false;
        return block.timestamp >= _submitted(index) + window_;
    }

    // -- fraud proofs ------------------------------------------------------------------------------

    /// A claim header (encoding.BatchHeader) read from its 164 bytes.
    struct Header {
        bytes32 prevRoot;
        bytes32 postRoot;
        bytes32 entriesRoot;
        uint256 entryCount;
    }

    function prove_fraud(uint256 index, bytes calldata header_bytes, uint256 step, bytes calldata entry,
        bytes32[] calldata entry_proof, bytes calldata prev_entry, bytes32[] calldata prev_proof,
        bytes calldata witnesses) external virtual
    {
        uint256 count = batches_;
        Header memory header = _liveHeader(index, count, header_bytes);
        if (step >= header.entryCount) {
            revert(string.concat("step ", _u(step), " out of range: the batch has ", _u(header.entryCount)));
        }
        _provenEntry(header.entriesRoot, header.entryCount, step, entry, entry_proof, "entry", false);
        bytes32 preRoot;
        if (step == 0) {
            require(prev_entry.length == 0 && prev_proof.length == 0,
                "step 0 starts from prev_root: send no previous entry");
            preRoot = header.prevRoot;
        } else {
            _provenEntry(header.entriesRoot, header.entryCount, step - 1, prev_entry, prev_proof, "previous entry",
                false);
            preRoot = bytes32(prev_entry[prev_entry.length - 32:]);
        }
        string memory reason = _judge(preRoot, entry, bytes32(entry[entry.length - 32:]), witnesses);
        if (bytes(reason).length == 0) {
            _r2("no fraud: step ", step, " of batch ", index, " is claimed as derivation gives it");
        }
        _revertFrom(index, step, reason, header.prevRoot, msg.sender);
    }

    /// The header of live batch ``index`` (of ``count`` standing), once it opens the stored commitment.
    function _liveHeader(uint256 index, uint256 count, bytes calldata raw) internal view returns (Header memory h) {
        if (index >= count) {
            _r2("batch ", index, " does not exist or has no standing claim: claims stand for the batches below ",
                count, ", the others wait to be posted or re-proposed");
        }
        if (_isFinal(index)) _r("batch ", index, " is final: its challenge window has closed");
        require(raw.length == 164, "header is not the batch's header");
        h.prevRoot = bytes32(raw[0:32]);
        h.postRoot = bytes32(raw[32:64]);
        h.entriesRoot = bytes32(raw[64:96]);
        h.entryCount = uint32(bytes4(raw[160:164]));
        bytes32 body;
        assembly ("memory-safe") {
            let m := mload(0x40)
            calldatacopy(m, raw.offset, 96)
            calldatacopy(add(m, 96), add(raw.offset, 160), 4)
            body := keccak256(m, 100)
            mstore(m, body)
            calldatacopy(add(m, 32), add(raw.offset, 96), 64)
            body := keccak256(m, 96)
        }
        require(body == commitment_[index], "header is not the batch's header");
    }

    /// Entry ``step`` is ``raw`` once its Merkle path reaches the entries root; its size checked for its kind.
    function _provenEntry(bytes32 root, uint256 entryCount, uint256 step, bytes calldata raw,
        bytes32[] calldata proof, string memory what, bool compact) internal pure
    {
        uint256 expected = entryCount > 1 ? _bitLength(entryCount - 1) : 0;
        if (proof.length != expected) {
            revert(string.concat(what, " proof has ", _u(proof.length), " siblings, expected ", _u(expected)));
        }
        if (!_verifyMerkle(root, keccak256(raw), step, proof)) {
            revert(string.concat(what, " is not step ", _u(step), " of the batch: inclusion proof does not match"));
        }
        if (raw.length == 0) revert(string.concat(what, ": entry is empty"));
        uint256 kind = uint8(raw[0]);
        uint256 size = kind == 0 ? 73 : kind == 1 ? 115 : kind < 4 ? 131 : 0;
        if (size == 0) revert(string.concat(what, ": entry has unknown kind ", _u(kind)));
        if (compact) size -= 32;
        if (raw.length != size) {
            revert(string.concat(what, ": entry of kind ", _u(kind), " is ", _u(raw.length), " bytes, expected ",
                _u(size)));
        }
    }

    function _bitLength(uint256 v) internal pure returns (uint256 n) {
        for (; v != 0; v >>= 1) ++n;
    }

    /// merkle.verify_merkle_proof: ``leaf`` at ``index`` under ``root`` by ``proof``, leaf level first.
    function _verifyMerkle(bytes32 root, bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal pure returns (bool ok)
    {
        if (proof.length < 256 && index >= 1 << proof.length) return false;
        assembly ("memory-safe") {
            mstore8(0, 0)
            mstore(1, leaf)
            let node := keccak256(0, 33)
            let m := mload(0x40)
            mstore8(m, 1)
            for { let i := 0 } lt(i, proof.length) { i := add(i, 1) } {
                let sib := calldataload(add(proof.offset, shl(5, i)))
                switch and(index, 1)
                case 1 {
                    mstore(add(m, 1), sib)
                    mstore(add(m, 33), node)
                }
                default {
                    mstore(add(m, 1), node)
                    mstore(add(m, 33), sib)
                }
                node := keccak256(m, 65)
                index := shr(1, index)
            }
            ok := eq(node, root)
        }
    }

    /// The verdict of a won fraud proof (or dispute) against batch ``index``'s claim: it and every later claim
    /// wait to be re-proposed, the state root goes back to ``root``, the proposer's bond is slashed.
    function _revertFrom(uint256 index, uint256 step, string memory reason, bytes32 root, address winner) internal {
        address proposer = address(uint160(batchMeta_[index]));
        uint256 standing = batches_;
        if (index < standing) {
            _setAwaiting(_awaiting() + standing - index);
            batches_ = index;
            stateRoot_ = root;
        }
        uint256 bond = bond_[proposer];
        uint256 reward = winner == proposer ? 0 : bond * rewardPercent_ / 100;
        bond_[proposer] = 0;
        burned_ = burned_ + bond - reward;
        if (reward != 0) _pay(winner, reward);
        emit FraudProven(index, step, winner, reason, reward, bond - reward);
    }

    /// The one-step judge (OptimisticStep._judgeStep) over this rollup's depth and domain.
    function _judge(bytes32 preRoot, bytes calldata entry, bytes32 claimed, bytes calldata witnesses)
        internal view virtual returns (string memory)
    {
        return _judgeStep(preRoot, entry, claimed, witnesses);
    }

    function _depth() internal view override returns (uint256) {
        return depth_;
    }

    function _domain() internal view override returns (bytes32) {
        return domain_;
    }

    // -- withdrawals --------------------------------------------------------------------------------

    function withdraw(uint256 index, bytes32 body_hash, bytes32 withdrawal_root, bytes32 data_hash,
        uint256 leaf_index, address recipient, uint256 amount, uint32 from_index, uint32 nonce,
        bytes32[] calldata proof) external
    {
        if (index >= batches_) {
            _r("batch ", index,
                " does not exist or its claim was proven wrong (it waits to be re-proposed)");
        }
        if (!_isFinal(index)) _r("batch ", index, " is not final: its challenge window is open");
        if (proof.length < 256 && leaf_index >= 1 << proof.length) {
            revert(string.concat("leaf index ", _u(leaf_index), " does not fit a proof of ", _u(proof.length)));
        }
        require(!claimed_[index][leaf_index], "withdrawal already claimed");
        require(keccak256(abi.encodePacked(body_hash, withdrawal_root, data_hash)) == commitment_[index],
            "body hash, withdrawal root and data hash do not match the batch's claim");
        bytes32 leaf = keccak256(abi.encodePacked(recipient, amount, from_index, nonce));
        require(_verifyMerkle(withdrawal_root, leaf, leaf_index, proof), "withdrawal proof does not match");
        claimed_[index][leaf_index] = true;
        _pay(recipient, amount);
        emit WithdrawalClaimed(index, leaf_index, recipient, amount);
    }

    /// ETH out of the rollup as the toy L1's transfer sends it: it always arrives, and the recipient's code
    /// does not decide. A call with the value stipend alone; a recipient that refuses it gets it through a
    /// one-shot contract that self-destructs to it (PUSH20 to, SELFDESTRUCT), so no recipient can block its
    /// payout, nor the verdict, dismissal or withdrawal that pays it.
    function _pay(address to, uint256 amount) internal {
        if (amount == 0) return;
        bool ok;
        assembly ("memory-safe") { ok := call(0, to, amount, 0, 0, 0, 0) }
        if (!ok) {
            bytes memory initCode = abi.encodePacked(hex"73", to, hex"ff");
            address made;
            assembly ("memory-safe") { made := create(amount, add(initCode, 32), mload(initCode)) }
            require(made != address(0), "transfer failed: the ETH could not be sent");
        }
    }

    // -- views ---------------------------------------------------------------------------------------

    function batch_count() external view returns (uint256) {
        return batches_;
    }

    function batches_posted() external view returns (uint256) {
        return _posted();
    }

    function state_root() external view returns (bytes32) {
        return stateRoot_;
    }

    function batch_info(uint256 index) external view returns (bytes32, address, uint256, uint256) {
        if (index >= _posted()) _r("batch ", index, " does not exist");
        uint256 meta = batchMeta_[index];
        return (commitment_[index], address(uint160(meta)), (meta >> 160) & W48, (meta >> 208) & W48);
    }

    function is_final(uint256 index) external view returns (bool) {
        return _isFinal(index);
    }

    function challenge_time_left(uint256 index) external view returns (uint256) {
        if (index >= _posted()) _r("batch ", index, " does not exist");
        if (index >= batches_) return window_;
        uint256 end = _submitted(index) + window_;
        return end > block.timestamp ? end - block.timestamp : 0;
    }

    function deposit_count() external view returns (uint256) {
        return counters_ & W64;
    }

    function account_count() external view returns (uint256) {
        return (counters_ >> 64) & W64;
    }

    function account_index(address l2_address) external view returns (uint256) {
        uint256 slot = accountOf_[l2_address];
        if (slot == 0) revert(string.concat(_h(l2_address), " has no L2 account: it has never been deposited to"));
        return slot - 1;
    }

    function deposits_included() external view returns (uint256) {
        return included_;
    }

    function is_overdue(uint256 deposit_id) external view returns (bool) {
        return deposit_id >= included_ && _overdue(deposit_id);
    }

    function bond_of(address proposer) external view returns (uint256) {
        return bond_[proposer];
    }

    function burned() external view returns (uint256) {
        return burned_;
    }

    function is_claimed(uint256 index, uint256 leaf_index) external view returns (bool) {
        return claimed_[index][leaf_index];
    }

    function domain_separator() external view returns (bytes32) {
        return domain_;
    }

    function params() external view returns (address, uint8, uint64, uint64, uint256, uint8, uint32) {
        return (operator_, uint8(depth_), uint64(window_), uint64(deadline_), minBond_, uint8(rewardPercent_),
            uint32(maxBatchBytes_));
    }
}
