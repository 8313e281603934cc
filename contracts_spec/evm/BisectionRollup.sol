// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {OptimisticRollup, OptimisticStep} from "./OptimisticRollup.sol";

/// The twin of contracts_spec/optimistic/bisection.py's BisectionRollup, which inherits from OptimisticRollup:
/// it imports OptimisticRollup.sol's two contracts (the one-step judge OptimisticStep and the rollup) as its
/// base, and adds StepJudge and the game.
///
/// Storage as the Python contract keeps it, after the base's: move_clock, finality (disputes open in all in
/// bits 0..63, the finality floor above), the dispute count, open disputes per batch, and per dispute
/// d_challenger (address | bond << 160), d_game (lo | hi << 48 | steps << 96 | turn << 144 | batch << 152),
/// d_time (last move | proposer's clock << 64 | challenger's << 128) and one slot each for the disputed
/// commitment, prev_root, entries root, the roots at hi and lo, and the proposer's midpoint root.
///
/// The one-step judge runs in a StepJudge the constructor deploys, which keeps the rollup's runtime within
/// EIP-170: it is the rollup's first creation, so its address follows from the rollup's (no storage slot, no
/// immutable), and the tree depth and domain separator it judges with are its immutables. A judged step costs
/// the rollup a STATICCALL to it; the judge's refusals come back as they are.

/// The one-step judge of a BisectionRollup, deployed by it: OptimisticStep over the rollup's depth and domain.
contract StepJudge is OptimisticStep {
    uint256 internal immutable treeDepth_;
    bytes32 internal immutable domainSeparator_;

    constructor(uint256 depth, bytes32 domain) {
        treeDepth_ = depth;
        domainSeparator_ = domain;
    }

    function _depth() internal view override returns (uint256) {
        return treeDepth_;
    }

    function _domain() internal view override returns (bytes32) {
        return domainSeparator_;
    }

    /// "" when derivation takes ``preRoot`` to ``claimed`` by ``entry``, else why not; a revert when the
    /// witnesses prove nothing either way.
    function judge(bytes32 preRoot, bytes calldata entry, bytes32 claimed, bytes calldata witnesses)
        external view returns (string memory)
    {
        return _judgeStep(preRoot, entry, claimed, witnesses);
    }
}

/// The bisection game on top of the single-round rollup: compact batches (version 2), disputes narrowed by
/// bisection on chess clocks to one step judged with the same _judgeStep (in its StepJudge).
contract BisectionRollup is OptimisticRollup {
    event DisputeOpened(uint256 indexed id, uint256 indexed index, address indexed challenger, uint256 steps,
        uint256 bond);
    event Bisected(uint256 indexed id, uint256 lo, uint256 hi, uint256 mid, bytes32 mid_root);
    event Chosen(uint256 indexed id, bool agree, uint256 lo, uint256 hi);
    event DisputeResolved(uint256 indexed id, uint256 indexed index, address indexed winner, string reason,
        uint256 reward, uint256 burned);

    uint256 internal constant TURN_BISECT = 0;
    uint256 internal constant TURN_CHOOSE = 1;
    uint256 internal constant TURN_STEP = 2;
    uint256 internal constant FLOOR_STEPS_ON_CLOSE = 4;
    uint256 internal constant MAX_FLOOR_STEPS = 256;

    // -- storage: one slot per Python key ----------------------------------------------------
    uint256 internal moveClock_;
    uint256 internal finality_; // disputes open in all | floor << 64
    uint256 internal disputes_;
    mapping(uint256 => uint256) internal openAgainst_;
    mapping(uint256 => uint256) internal dChallenger_; // address | bond << 160; zero once closed
    mapping(uint256 => uint256) internal dGame_; // lo | hi << 48 | steps << 96 | turn << 144 | index << 152
    mapping(uint256 => uint256) internal dTime_; // last move | proposer's seconds << 64 | challenger's << 128
    mapping(uint256 => bytes32) internal dCommitment_;
    mapping(uint256 => bytes32) internal dPrevRoot_;
    mapping(uint256 => bytes32) internal dEntriesRoot_;
    mapping(uint256 => bytes32) internal dRootHi_;
    mapping(uint256 => bytes32) internal dRootLo_;
    mapping(uint256 => bytes32) internal dMidRoot_;

    struct Game {
        uint256 index;
        uint256 lo;
        uint256 hi;
        uint256 steps;
        uint256 turn;
    }

    constructor(address operator, uint8 depth, uint64 window, uint64 deadline, uint256 min_bond,
        uint8 reward_percent, uint32 max_batch_bytes, uint64 move_clock)
        OptimisticRollup(operator, depth, window, deadline, min_bond, reward_percent, max_batch_bytes)
    {
        require(move_clock > 0, "move clock of zero seconds");
        moveClock_ = move_clock;
        new StepJudge(depth, domain_); // the first creation: at _judgeAddress()
    }

    /// Where the constructor's StepJudge is: the address of this contract's first CREATE (nonce 1).
    function _judgeAddress() internal view returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(hex"d694", address(this), hex"01")))));
    }

    function _judge(bytes32 preRoot, bytes calldata entry, bytes32 claimed, bytes calldata witnesses)
        internal view override returns (string memory)
    {
        return StepJudge(_judgeAddress()).judge(preRoot, entry, claimed, witnesses);
    }

    function _batchVersion() internal pure override returns (uint256) {
        return 2;
    }

    function prove_fraud(uint256, bytes calldata, uint256, bytes calldata, bytes32[] calldata, bytes calldata,
        bytes32[] calldata, bytes calldata) external pure override
    {
        revert("this rollup has no intermediate roots to prove against: open_dispute and bisect");
    }

    // -- finality ------------------------------------------------------------------------------

    function _isFinal(uint256 index) internal view override returns (bool) {
        if (!super._isFinal(index)) return false;
        uint256 word = finality_;
        return word & W64 == 0 || index < word >> 64;
    }

    /// Store the count and the floor moved over up to ``steps`` batches with no open dispute; the floor.
    function _raiseFloor(uint256 openTotal, uint256 floor, uint256 steps) internal returns (uint256) {
        uint256 count = batches_;
        uint256 start = floor;
        while (floor - start < steps && floor < count && openAgainst_[floor] == 0) ++floor;
        finality_ = openTotal | (floor << 64);
        return floor;
    }

    function advance_finality(uint256 steps) external {
        if (steps == 0 || steps > MAX_FLOOR_STEPS) {
            _r("steps ", steps, " out of range 1..256");
        }
        uint256 word = finality_;
        uint256 openTotal = word & W64;
        uint256 floor = word >> 64;
        require(openTotal != 0, "no dispute is open: every batch past its window is final");
        if (_raiseFloor(openTotal, floor, steps) == floor) {
            _r("batch ", floor, " has an open dispute (or none follows)");
        }
    }

    // -- the game's storage ---------------------------------------------------------------------

    function _game(uint256 dispute) internal view returns (Game memory g) {
        uint256 word = dGame_[dispute];
        g.index = word >> 152;
        g.lo = word & W48;
        g.hi = (word >> 48) & W48;
        g.steps = (word >> 96) & W48;
        g.turn = (word >> 144) & 0xff;
    }

    function _setGame(uint256 dispute, Game memory g) internal {
        dGame_[dispute] = g.lo | (g.hi << 48) | (g.steps << 96) | (g.turn << 144) | (g.index << 152);
    }

    /// The side to move's seconds left now (negative once it ran out).
    function _left(uint256 dispute, uint256 turn) internal view returns (int256) {
        uint256 word = dTime_[dispute];
        uint256 clock = turn == TURN_BISECT ? (word >> 64) & W64 : word >> 128;
        return int256(clock) - int256(block.timestamp - (word & W64));
    }

    function _rootLo(uint256 dispute, uint256 lo) internal view returns (bytes32) {
        return lo != 0 ? dRootLo_[dispute] : dPrevRoot_[dispute];
    }

    /// True when the disputed claim no longer stands: another dispute won first, or it was re-proposed.
    function _moot(uint256 dispute, uint256 index) internal view returns (bool) {
        return index >= batches_ || commitment_[index] != dCommitment_[dispute];
    }

    function _proposer(uint256 index) internal view returns (address) {
        return address(uint160(batchMeta_[index]));
    }

    // -- opening and moving -----------------------------------------------------------------------

    function open_dispute(uint256 index, bytes calldata header_bytes) external payable {
        uint256 count = batches_;
        if (index >= count) _r("batch ", index, " has no standing claim to dispute");
        if (block.timestamp >= _submitted(index) + window_) {
            _r("batch ", index, "'s challenge window has closed");
        }
        Header memory header = _liveHeader(index, count, header_bytes);
        require(msg.value >= minBond_, "challenger bond below the minimum");
        require(msg.value < 1 << 96, "challenger bond above 2**96 wei");
        uint256 dispute = disputes_;
        disputes_ = dispute + 1;
        uint256 n = header.entryCount;
        uint256 clock = moveClock_;
        dChallenger_[dispute] = uint256(uint160(msg.sender)) | (msg.value << 160);
        _setGame(dispute, Game(index, 0, n, n, n == 1 ? TURN_STEP : TURN_BISECT));
        dTime_[dispute] = block.timestamp | (clock << 64) | (clock << 128);
        dCommitment_[dispute] = commitment_[index];
        dPrevRoot_[dispute] = header.prevRoot;
        dEntriesRoot_[dispute] = header.entriesRoot;
        dRootHi_[dispute] = header.postRoot;
        openAgainst_[index] = openAgainst_[index] + 1;
        uint256 word = finality_;
        uint256 openTotal = word & W64;
        uint256 floor = word >> 64;
        finality_ = (openTotal + 1) | ((openTotal == 0 || index < floor ? index : floor) << 64);
        emit DisputeOpened(dispute, index, msg.sender, n, msg.value);
    }

    /// Charge the side to move for the time since the last move; it must not have run out.
    function _spendClock(uint256 dispute, uint256 turn) internal {
        uint256 word = dTime_[dispute];
        uint256 shift = turn == TURN_BISECT ? 64 : 128;
        uint256 elapsed = block.timestamp - (word & W64);
        uint256 clock = (word >> shift) & W64;
        if (clock < elapsed) {
            revert(turn == TURN_BISECT ? "the proposer's clock has run out: call timeout"
                : "the challenger's clock has run out: call timeout");
        }
        word = (word & ~(W64 << shift) & ~W64) | ((clock - elapsed) << shift) | block.timestamp;
        dTime_[dispute] = word;
    }

    function _requireOpen(uint256 dispute) internal view {
        if (dChallenger_[dispute] == 0) _r("dispute ", dispute, " is not open");
    }

    /// The game of open dispute ``dispute``, once it is ``turn``'s move.
    function _requireTurn(uint256 dispute, uint256 turn) internal view returns (Game memory g) {
        _requireOpen(dispute);
        g = _game(dispute);
        if (g.turn != turn) {
            revert(string.concat("not this move's turn: it is the ", g.turn == TURN_BISECT ? "proposer bisects"
                : g.turn == TURN_CHOOSE ? "challenger chooses" : "one-step proof", " turn"));
        }
    }

    function bisect(uint256 dispute, bytes32 mid_root) external {
        Game memory g = _requireTurn(dispute, TURN_BISECT);
        require(msg.sender == _proposer(g.index), "only the batch's proposer bisects");
        _spendClock(dispute, TURN_BISECT);
        uint256 mid = (g.lo + g.hi) / 2;
        dMidRoot_[dispute] = mid_root;
        g.turn = TURN_CHOOSE;
        _setGame(dispute, g);
        emit Bisected(dispute, g.lo, g.hi, mid, mid_root);
    }

    function choose(uint256 dispute, bool agree) external {
        Game memory g = _requireTurn(dispute, TURN_CHOOSE);
        require(msg.sender == address(uint160(dChallenger_[dispute])), "only the challenger chooses");
        _spendClock(dispute, TURN_CHOOSE);
        uint256 mid = (g.lo + g.hi) / 2;
        bytes32 midRoot = dMidRoot_[dispute];
        if (agree) {
            g.lo = mid;
            dRootLo_[dispute] = midRoot;
        } else {
            g.hi = mid;
            dRootHi_[dispute] = midRoot;
        }
        g.turn = g.hi - g.lo == 1 ? TURN_STEP : TURN_BISECT;
        _setGame(dispute, g);
        emit Chosen(dispute, agree, g.lo, g.hi);
    }

    function prove_step(uint256 dispute, bytes calldata entry, bytes32[] calldata proof, bytes calldata witnesses)
        external
    {
        Game memory g = _requireTurn(dispute, TURN_STEP);
        address challenger = address(uint160(dChallenger_[dispute]));
        address proposer = _proposer(g.index);
        require(msg.sender == challenger || msg.sender == proposer, "only the two parties prove the last step");
        if (_moot(dispute, g.index)) {
            _endMoot(dispute, g.index);
            return;
        }
        _spendClock(dispute, TURN_STEP);
        uint256 step = g.lo;
        _provenEntry(dEntriesRoot_[dispute], g.steps, step, entry, proof, "entry", true);
        string memory reason = _judge(_rootLo(dispute, step), entry, dRootHi_[dispute], witnesses);
        if (bytes(reason).length != 0) {
            _challengerWins(dispute, g.index, step, string.concat("step ", _u(step), ": ", reason));
        } else {
            _proposerWins(dispute, g.index, string.concat("step ", _u(step), " is valid"));
        }
    }

    function timeout(uint256 dispute) external {
        _requireOpen(dispute);
        Game memory g = _game(dispute);
        int256 left = _left(dispute, g.turn);
        if (left >= 0) _r("the side to move still has ", uint256(left), " seconds");
        if (_moot(dispute, g.index)) {
            _endMoot(dispute, g.index);
        } else if (g.turn == TURN_BISECT) {
            _challengerWins(dispute, g.index, g.lo, "the proposer's clock ran out");
        } else {
            _proposerWins(dispute, g.index, "the challenger's clock ran out");
        }
    }

    function dismiss(uint256 dispute) external {
        _requireOpen(dispute);
        uint256 index = dGame_[dispute] >> 152;
        if (!_moot(dispute, index)) {
            _r("batch ", index, "'s claim still stands: play the dispute out");
        }
        _endMoot(dispute, index);
    }

    // -- endings ------------------------------------------------------------------------------------

    /// Close the dispute, uncount it, let the finality floor move on; its challenger and bond.
    function _close(uint256 dispute, uint256 index) internal returns (address challenger, uint256 bond) {
        uint256 word = dChallenger_[dispute];
        challenger = address(uint160(word));
        bond = word >> 160;
        dChallenger_[dispute] = 0;
        dGame_[dispute] = 0;
        dTime_[dispute] = 0;
        openAgainst_[index] = openAgainst_[index] - 1;
        uint256 fin = finality_;
        uint256 openTotal = fin & W64;
        _raiseFloor(openTotal - 1, fin >> 64, openTotal > 1 ? FLOOR_STEPS_ON_CLOSE : 0);
    }

    function _endMoot(uint256 dispute, uint256 index) internal {
        (address challenger, uint256 bond) = _close(dispute, index);
        _pay(challenger, bond);
        emit DisputeResolved(dispute, index, address(0), "the disputed claim no longer stands: bond returned", 0, 0);
    }

    function _challengerWins(uint256 dispute, uint256 index, uint256 step, string memory reason) internal {
        bytes32 prevRoot = dPrevRoot_[dispute];
        (address challenger, uint256 bond) = _close(dispute, index);
        _pay(challenger, bond); // its bond back; the reward comes from the proposer's
        _revertFrom(index, step, reason, prevRoot, challenger);
        emit DisputeResolved(dispute, index, challenger, reason, 0, 0);
    }

    function _proposerWins(uint256 dispute, uint256 index, string memory reason) internal {
        address proposer = _proposer(index);
        (, uint256 bond) = _close(dispute, index);
        uint256 reward = bond * rewardPercent_ / 100;
        burned_ = burned_ + bond - reward;
        _pay(proposer, reward);
        emit DisputeResolved(dispute, index, proposer, reason, reward, bond - reward);
    }

    // -- views ----------------------------------------------------------------------------------------

    function dispute(uint256 id) external view returns (bool, uint256, address, uint256, uint256, bytes32, bytes32,
        bytes32, uint8, uint256, uint256, bool, bool)
    {
        bool open = dChallenger_[id] != 0;
        Game memory g = _game(id);
        uint256 word = dTime_[id];
        int256 c0 = int256((word >> 64) & W64);
        int256 c1 = int256(word >> 128);
        bool due;
        if (open) {
            int256 elapsed = int256(block.timestamp - (word & W64));
            if (g.turn == TURN_BISECT) {
                c0 -= elapsed;
                due = c0 < 0;
            } else {
                c1 -= elapsed;
                due = c1 < 0;
            }
        }
        return (open, g.index, address(uint160(dChallenger_[id])), g.lo, g.hi, _rootLo(id, g.lo), dRootHi_[id],
            dMidRoot_[id], uint8(g.turn), c0 > 0 ? uint256(c0) : 0, c1 > 0 ? uint256(c1) : 0, due,
            open && _moot(id, g.index));
    }

    function dispute_count() external view returns (uint256) {
        return disputes_;
    }

    function open_disputes(uint256 index) external view returns (uint256) {
        return openAgainst_[index];
    }

    function finality() external view returns (uint256, uint256) {
        uint256 word = finality_;
        return (word & W64, word >> 64);
    }

    function move_clock() external view returns (uint256) {
        return moveClock_;
    }
}
