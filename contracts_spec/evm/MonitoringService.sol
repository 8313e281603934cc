// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ChannelText} from "./lib/ChannelText.sol";

/// The two ChannelAdjudicator entries the MonitoringService calls.
interface IChannelAdjudicator {
    function update_non_closing_balance_proof(uint256 channel_identifier, address closing_participant,
                                              address non_closing_participant, uint256 nonce,
                                              uint256 transferred_amount, uint256 locked_amount, bytes32 locksroot,
                                              bytes calldata closing_signature,
                                              bytes calldata non_closing_signature) external;

    function channel_info(uint256 channel_identifier) external view returns (uint8, uint256, uint256, uint256);
}

/// The twin of contracts_spec/channels/monitoring.py's MonitoringService, with the reward rules it runs from
/// contracts_spec/channels/rules.py (RewardProof's EIP-712 digest, check_reward_proof, reward_after_monitor,
/// check_reward_claim, is_user_withdraw_ready).
///
/// Storage, as the Python contract keeps it: the adjudicator's address and the withdraw delay in a slot each;
/// balanceOf[user]; planned[user] = amount | block << 96 | timestamp << 160; per (channel, user) the reward
/// record in two slots, rewardWord = nonce | reward_amount << 64 and rewardService (read only when the word
/// is set). The update itself is a real call to the adjudicator, whose refusal reverts the whole call with
/// its reason. ETH goes out by a call with no gas beyond the value stipend, forced in when the recipient
/// refuses it. Refusals carry the Python reasons' rule, static text and numbers, not the addresses they name.
contract MonitoringService {
    using ChannelText for uint256;

    event NewDeposit(address indexed user, uint256 balance);
    event WithdrawPlanned(address indexed user, uint256 amount, uint256 ready_block);
    event Withdrawn(address indexed user, uint256 amount);
    event NewBalanceProofReceived(uint256 indexed channel_identifier, address indexed non_closing_participant,
                                  address indexed monitoring_service, uint256 nonce, uint256 reward_amount);
    event RewardClaimed(uint256 indexed channel_identifier, address indexed non_closing_participant,
                        address indexed monitoring_service, uint256 amount);

    uint256 private constant MASK64 = (1 << 64) - 1;
    uint256 private constant MASK96 = (1 << 96) - 1;
    uint256 private constant MAX_CHANNEL_DEPOSIT = (1 << 96) - 1;
    uint256 private constant MAX_NONCE = (1 << 64) - 1;
    uint256 private constant SECONDS_PER_SLOT = 12;

    bytes32 private constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 private constant NAME_HASH = keccak256("l2lab payment channels");
    bytes32 private constant VERSION_HASH = keccak256("1");
    bytes32 private constant MONITOR_REWARD_TYPEHASH = keccak256(
        "MonitorReward(address adjudicator,uint256 channelIdentifier,address nonClosingParticipant,uint256 nonce,"
        "uint256 rewardAmount)");

    address private adjudicatorAddress;
    uint256 private withdrawDelay;
    mapping(address => uint256) private balanceOf;
    mapping(address => uint256) private planned;
    mapping(uint256 => mapping(address => uint256)) private rewardWord;
    mapping(uint256 => mapping(address => address)) private rewardService;

    constructor(address adjudicator_, uint64 withdraw_delay) {
        require(adjudicator_ != address(0), "bad adjudicator: the zero address");
        require(withdraw_delay > 0, "bad withdraw delay: it must be at least one block");
        adjudicatorAddress = adjudicator_;
        withdrawDelay = withdraw_delay;
    }

    // -- deposits ---------------------------------------------------------------------------------------

    function deposit(address user) external payable {
        require(msg.value > 0, "zero deposit: send the wei to add");
        uint256 balance = balanceOf[user] + msg.value;
        if (balance > MAX_CHANNEL_DEPOSIT) {
            revert(string.concat("deposit cap: a user's deposit is at most ", MAX_CHANNEL_DEPOSIT.u()));
        }
        balanceOf[user] = balance;
        emit NewDeposit(user, balance);
    }

    function plan_withdraw(uint256 amount) external {
        uint256 balance = balanceOf[msg.sender];
        if (amount == 0 || amount > balance) {
            revert(string.concat("bad withdraw amount: ", amount.u(), ", the deposit holds ", balance.u()));
        }
        planned[msg.sender] = amount | block.number << 96 | block.timestamp << 160;
        emit WithdrawPlanned(msg.sender, amount, block.number + withdrawDelay);
    }

    function withdraw() external {
        uint256 plan = planned[msg.sender];
        require(plan != 0, "no withdrawal planned: call plan_withdraw first");
        uint256 amount = plan & MASK96;
        uint256 plannedBlock = plan >> 96 & MASK64;
        uint256 plannedTime = plan >> 160;
        uint256 delay = withdrawDelay;
        // rules.is_user_withdraw_ready: the delay's blocks and its slots.
        if (block.number < plannedBlock + delay || block.timestamp < plannedTime + delay * SECONDS_PER_SLOT) {
            revert(string.concat("withdraw delay: the withdrawal planned at block ", plannedBlock.u(),
                                 " goes out from block ", (plannedBlock + delay).u()));
        }
        uint256 balance = balanceOf[msg.sender];
        if (amount > balance) amount = balance;
        planned[msg.sender] = 0;
        balanceOf[msg.sender] = balance - amount;
        ChannelText.pay(msg.sender, amount);
        emit Withdrawn(msg.sender, amount);
    }

    // -- monitoring ---------------------------------------------------------------------------------------

    /// The reward record (service, nonce, reward) of ``user`` in the channel; all zero when there is none.
    function _record(uint256 id, address user) private view returns (address service, uint256 nonce, uint256 reward) {
        uint256 word = rewardWord[id][user];
        if (word == 0) return (address(0), 0, 0);
        return (rewardService[id][user], word & MASK64, word >> 64);
    }

    function _rewardDigest(address adjudicator_, uint256 id, address user, uint256 nonce, uint256 rewardAmount)
        private view returns (bytes32)
    {
        bytes32 domain = keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, address(this)));
        bytes32 structHash = keccak256(abi.encode(MONITOR_REWARD_TYPEHASH, adjudicator_, id, user, nonce, rewardAmount));
        return keccak256(abi.encodePacked(hex"1901", domain, structHash));
    }

    function monitor(uint256 channel_identifier, address closing_participant, address non_closing_participant,
                     uint256 nonce, uint256 transferred_amount, uint256 locked_amount, bytes32 locksroot,
                     bytes calldata closing_signature, bytes calldata non_closing_signature, uint256 reward_amount,
                     bytes calldata reward_signature) external {
        address adjudicator_ = adjudicatorAddress;
        address signer = ChannelText.recover(
            _rewardDigest(adjudicator_, channel_identifier, non_closing_participant, nonce, reward_amount),
            reward_signature);
        (, uint256 recordedNonce, uint256 recordedReward) = _record(channel_identifier, non_closing_participant);
        uint256 balance = balanceOf[non_closing_participant];
        // rules.check_reward_proof (the reward names this very channel and nonce)
        if (reward_amount > MAX_CHANNEL_DEPOSIT) {
            revert(string.concat("bad amount: reward amount ", reward_amount.u(), " is outside 0..",
                                 MAX_CHANNEL_DEPOSIT.u()));
        }
        if (nonce > MAX_NONCE) {
            revert(string.concat("bad amount: reward nonce ", nonce.u(), " is outside 0..", MAX_NONCE.u()));
        }
        if (signer == address(0) || signer != non_closing_participant) {
            revert("bad signature: the reward is not signed by the non-closing participant");
        }
        // rules.reward_after_monitor
        if (recordedReward != 0 && nonce <= recordedNonce) {
            revert(string.concat("stale nonce: a service already landed the proof of nonce ", recordedNonce.u()));
        }
        uint256 available = balance + recordedReward;
        if (reward_amount > available) {
            revert(string.concat("reward not covered: the user's deposit holds ", available.u(), ", the reward is ",
                                 reward_amount.u()));
        }
        // The update itself: it reverts, and so does this call, unless it is the one that lands.
        IChannelAdjudicator(adjudicator_).update_non_closing_balance_proof(
            channel_identifier, closing_participant, non_closing_participant, nonce, transferred_amount,
            locked_amount, locksroot, closing_signature, non_closing_signature);
        unchecked { balanceOf[non_closing_participant] = available - reward_amount; }
        rewardWord[channel_identifier][non_closing_participant] = nonce | reward_amount << 64;
        rewardService[channel_identifier][non_closing_participant] = msg.sender;
        emit NewBalanceProofReceived(channel_identifier, non_closing_participant, msg.sender, nonce, reward_amount);
    }

    function claim_reward(uint256 channel_identifier, address non_closing_participant) external {
        (address service,, uint256 reward) = _record(channel_identifier, non_closing_participant);
        (uint8 state,,,) = IChannelAdjudicator(adjudicatorAddress).channel_info(channel_identifier);
        // rules.check_reward_claim
        if (reward == 0) {
            revert("no reward: no update by a monitoring service landed in this channel, "
                   "or its reward was claimed already");
        }
        if (service != msg.sender) {
            revert("not the rewarded service: the update that landed was another service's, not the caller's");
        }
        require(state == 0, "channel not settled: a reward is claimable after settlement");
        rewardWord[channel_identifier][non_closing_participant] = 0;
        rewardService[channel_identifier][non_closing_participant] = address(0);
        ChannelText.pay(msg.sender, reward);
        emit RewardClaimed(channel_identifier, non_closing_participant, msg.sender, reward);
    }

    // -- views ------------------------------------------------------------------------------------------

    function balance_of(address user) external view returns (uint256) {
        return balanceOf[user];
    }

    function effective_balance(address user) external view returns (uint256) {
        uint256 plan = planned[user] & MASK96;
        uint256 balance = balanceOf[user];
        return balance > plan ? balance - plan : 0;
    }

    function reward_info(uint256 channel_identifier, address user) external view returns (address, uint256, uint256) {
        return _record(channel_identifier, user);
    }

    function adjudicator() external view returns (address) {
        return adjudicatorAddress;
    }
}
