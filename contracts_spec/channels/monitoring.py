"""The MonitoringService contract: users' reward deposits, the update a watchtower lands for them, its reward.

Raiden's monitoring-service idea, for ETH, in one contract:

Deposits
    A user ``deposit``s ETH for itself (or anyone for it). To take it back it
    ``plan_withdraw``s an amount and, ``withdraw_delay`` blocks *and* as many
    12-second slots later, ``withdraw``s it: watchtowers see the plan coming
    and stop relying on a reward it would leave uncovered.

Monitoring
    When a user's partner closes with a stale proof, a watchtower calls
    ``monitor`` with the closer's newer balance proof, the user's
    counter-signature over it (``rules.update_digest``) and the user's signed
    ``rules.RewardProof`` for that proof's nonce. The contract itself calls the
    adjudicator's ``update_non_closing_balance_proof``: if that reverts (the
    window is over, or another service landed this proof or a newer one
    first), ``monitor`` reverts and records nothing. If it lands, the reward is
    set aside from the user's deposit under (channel, user) for the calling
    service (``rules.reward_after_monitor``); a later service landing a newer
    proof takes the record over and the older reward goes back to the user.

Claiming
    After the channel settled, ``claim_reward`` pays the recorded reward to
    the service whose update landed, once (``rules.check_reward_claim``):
    anyone else, a second claim, or a claim where no update by a service
    landed is refused naming its rule, and changes nothing.

Bounded work: every call reads and writes a fixed number of slots and makes
at most one call to the adjudicator.
"""

from __future__ import annotations

from contracts_spec.channels.contract import MASK64, MASK96
from contracts_spec.channels.rules import (
    MAX_CHANNEL_DEPOSIT,
    NO_REWARD,
    ChannelRuleError,
    RewardProof,
    RewardRecord,
    check_reward_claim,
    check_reward_proof,
    check_uint,
    is_user_withdraw_ready,
    reward_after_monitor,
)
from contracts_spec.runtime import (
    Context,
    Contract,
    Revert,
    constructor,
    event,
    external,
    register,
    view,
)


def _rule(exc: ChannelRuleError) -> Revert:
    return Revert(str(exc))


@register
class MonitoringService(Contract):
    """Holds users' reward deposits; lands updates for them and pays the service whose update landed."""

    NewDeposit = event("NewDeposit(address indexed user, uint256 balance)")
    WithdrawPlanned = event("WithdrawPlanned(address indexed user, uint256 amount, uint256 ready_block)")
    Withdrawn = event("Withdrawn(address indexed user, uint256 amount)")
    NewBalanceProofReceived = event(
        "NewBalanceProofReceived(uint256 indexed channel_identifier, address indexed non_closing_participant, "
        "address indexed monitoring_service, uint256 nonce, uint256 reward_amount)")
    RewardClaimed = event("RewardClaimed(uint256 indexed channel_identifier, address indexed non_closing_participant, "
                          "address indexed monitoring_service, uint256 amount)")

    @constructor("address", "uint64")
    def init(self, ctx: Context, adjudicator: str, withdraw_delay: int) -> None:
        ctx.require(int(adjudicator, 16) != 0, "bad adjudicator: the zero address")
        ctx.require(withdraw_delay > 0, "bad withdraw delay: it must be at least one block")
        ctx.sstore_address("adjudicator", adjudicator)
        ctx.sstore("withdraw_delay", withdraw_delay)

    # -- deposits -----------------------------------------------------------------------------

    @external("deposit(address)", payable=True)
    def deposit(self, ctx: Context, user: str) -> None:
        """Add the value sent to ``user``'s reward deposit; anyone may."""
        ctx.require(ctx.value > 0, "zero deposit: send the wei to add")
        balance = ctx.sload("balance", user) + ctx.value
        ctx.require(balance <= MAX_CHANNEL_DEPOSIT, f"deposit cap: a user's deposit is at most {MAX_CHANNEL_DEPOSIT}")
        ctx.sstore("balance", user, balance)
        ctx.emit(self.NewDeposit, user, balance)

    @external("plan_withdraw(uint256)")
    def plan_withdraw(self, ctx: Context, amount: int) -> None:
        """Announce a withdrawal of ``amount``; it may go out after the withdraw delay."""
        balance = ctx.sload("balance", ctx.sender)
        ctx.require(0 < amount <= balance, f"bad withdraw amount: {amount}, the deposit holds {balance}")
        ctx.sstore("planned", ctx.sender, amount | ctx.block_number << 96 | ctx.timestamp << 160)
        delay = ctx.sload("withdraw_delay")
        ctx.emit(self.WithdrawPlanned, ctx.sender, amount, ctx.block_number + delay)

    @external("withdraw()")
    def withdraw(self, ctx: Context) -> None:
        """Pay out the planned withdrawal, once its delay has passed (at most what the deposit still holds)."""
        planned = ctx.sload("planned", ctx.sender)
        ctx.require(planned, "no withdrawal planned: call plan_withdraw first")
        amount, block, time = planned & MASK96, (planned >> 96) & MASK64, planned >> 160
        delay = ctx.sload("withdraw_delay")
        ctx.require(is_user_withdraw_ready(block, time, delay, ctx.block_number, ctx.timestamp),
                    f"withdraw delay: the withdrawal planned at block {block} goes out from block {block + delay}")
        balance = ctx.sload("balance", ctx.sender)
        amount = min(amount, balance)
        ctx.sstore("planned", ctx.sender, 0)
        ctx.sstore("balance", ctx.sender, balance - amount)
        ctx.transfer(ctx.sender, amount)
        ctx.emit(self.Withdrawn, ctx.sender, amount)

    # -- monitoring ------------------------------------------------------------------------------

    def _record(self, ctx: Context, channel_identifier: int, user: str) -> RewardRecord:
        word = ctx.sload("reward", channel_identifier, user)
        if not word:
            return NO_REWARD
        return RewardRecord(ctx.sload_address("reward_service", channel_identifier, user), word & MASK64, word >> 64)

    @external("monitor(uint256,address,address,uint256,uint256,uint256,bytes32,bytes,bytes,uint256,bytes)")
    def monitor(self, ctx: Context, channel_identifier: int, closing_participant: str, non_closing_participant: str,
                nonce: int, transferred_amount: int, locked_amount: int, locksroot: bytes,
                closing_signature: bytes, non_closing_signature: bytes, reward_amount: int,
                reward_signature: bytes) -> None:
        """Land the closer's newer proof on the non-closer's behalf, and set its reward aside for the caller."""
        adjudicator = ctx.sload_address("adjudicator")
        reward = RewardProof(ctx.chain_id, ctx.this, adjudicator, channel_identifier, non_closing_participant, nonce,
                             reward_amount)
        signer = ctx.ecrecover(reward.digest(ctx.keccak), reward_signature)
        recorded = self._record(ctx, channel_identifier, non_closing_participant)
        balance = ctx.sload("balance", non_closing_participant)
        try:
            check_uint(reward_amount, "reward amount", MAX_CHANNEL_DEPOSIT)
            check_reward_proof(reward, signer, non_closing=non_closing_participant, proof_nonce=nonce,
                               channel_identifier=channel_identifier)
            new = reward_after_monitor(recorded, ctx.sender, reward, balance + recorded.reward_amount)
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        # The update itself: it reverts, and so does this call, unless it is the one that lands.
        ctx.call(adjudicator, "update_non_closing_balance_proof(uint256,address,address,uint256,uint256,uint256,"
                              "bytes32,bytes,bytes)", channel_identifier, closing_participant, non_closing_participant,
                 nonce, transferred_amount, locked_amount, locksroot, closing_signature, non_closing_signature)
        ctx.sstore("balance", non_closing_participant, balance + recorded.reward_amount - new.reward_amount)
        ctx.sstore("reward", channel_identifier, non_closing_participant, new.nonce | new.reward_amount << 64)
        ctx.sstore_address("reward_service", channel_identifier, non_closing_participant, new.service)
        ctx.emit(self.NewBalanceProofReceived, channel_identifier, non_closing_participant, ctx.sender, nonce,
                 reward_amount)

    @external("claim_reward(uint256,address)")
    def claim_reward(self, ctx: Context, channel_identifier: int, non_closing_participant: str) -> None:
        """Pay the reward set aside in a settled channel to the service whose update landed; once."""
        recorded = self._record(ctx, channel_identifier, non_closing_participant)
        adjudicator = ctx.sload_address("adjudicator")
        state = ctx.call(adjudicator, "channel_info(uint256)", channel_identifier)[0]
        try:
            amount = check_reward_claim(recorded, ctx.sender, channel_settled=int(state) == 0)
        except ChannelRuleError as exc:
            raise _rule(exc) from None
        ctx.sstore("reward", channel_identifier, non_closing_participant, 0)
        ctx.sstore("reward_service", channel_identifier, non_closing_participant, 0)
        ctx.transfer(ctx.sender, amount)
        ctx.emit(self.RewardClaimed, channel_identifier, non_closing_participant, ctx.sender, amount)

    # -- views --------------------------------------------------------------------------------------

    @view("balance_of(address)", returns="uint256")
    def balance_of(self, ctx: Context, user: str) -> int:
        """``user``'s deposit not set aside for a reward."""
        return ctx.sload("balance", user)

    @view("effective_balance(address)", returns="uint256")
    def effective_balance(self, ctx: Context, user: str) -> int:
        """What a service may count on: the deposit less any planned withdrawal."""
        planned = ctx.sload("planned", user) & MASK96
        return max(ctx.sload("balance", user) - planned, 0)

    @view("reward_info(uint256,address)", returns="(address,uint256,uint256)")
    def reward_info(self, ctx: Context, channel_identifier: int, user: str) -> tuple:
        """The service whose update landed for ``user`` in the channel, its proof's nonce and the reward set aside."""
        return tuple(self._record(ctx, channel_identifier, user))

    @view("adjudicator()", returns="address")
    def adjudicator(self, ctx: Context) -> str:
        return ctx.sload_address("adjudicator")
