"""The zk-rollup's L1 contract: deposits, batches verified by a Groth16 proof, withdrawals, exodus mode.

What L1 stores
    The state root, the verifying key (28 words, written once at deployment),
    the deposit queue as a running Poseidon chain (``pubdata.next_chain``)
    with each deposit's block and time and what to refund in exodus mode,
    the account index of every (key, owner) pair and the owner of every
    index, what each L1 address may claim from withdrawals, and four
    counters in one word. Batch data stays in calldata: the full node
    rebuilds the L2 state from it and the ``DepositQueued`` events.

Deposits
    ``deposit(px, py, owner)`` queues ``msg.value`` (1 .. 2**96 - 1 wei) for
    the key ``8 * (px, py)`` (``keys``: a canonical key at a few thousand
    gas), at the account L1 assigns there and then: the account of that key
    and owner, or the next free index (from 1). ``owner`` is the L1 address
    the account's balance goes to in exodus mode; binding it to the index
    means a deposit to someone else's key with another owner opens another
    account, so nobody can claim an exit to a key they do not own.

Batches
    ``commit_and_verify(data)`` (layout in ``pubdata``), from the operator
    only: the pubdata parses strictly, its deposits are the next ones of the
    queue, it leaves no overdue deposit out unless its deposit slots are
    full, and the Groth16 proof verifies for the six public inputs (old root,
    new root, the deposit chain before and after, the domain and the pubdata
    digest) with the BN254 precompiles at EIP-1108 prices: the check costs
    45,000 + 4 * 34,000 gas for the pairings and 6,150 per public input.
    Then the root moves on and each withdrawal is claimable at once with
    ``claim_withdrawal``. A batch that fails any rule reverts with the rule's
    name; the gas is spent and nothing changes. Proofs are never used as
    replay keys (Groth16 proofs can be re-randomised): a batch cannot be
    replayed because it must start from the current root.

Full exits
    ``request_exit(account)``, by the account's owner, queues a priority
    operation beside the deposits: the batch that processes it empties the
    account and posts its balance, which L1 makes claimable by the owner. So
    an operator that ignores a user's signed withdrawals must still pay them
    out in full, or miss the deadline and freeze the rollup into exodus.

Deadlines and exodus mode
    The queue is first in, first out. Deposit ``k`` is *overdue* once
    ``deposit_deadline_blocks`` blocks and as many 12-second slots have
    passed since the later of its own queueing and the last batch that
    filled every deposit slot (so a flood of deposits cannot make an
    operator that keeps processing full batches miss a deadline). When the
    queue's first unprocessed deposit is overdue, anyone may call
    ``activate_exodus``: batches stop for good, each account exits once with
    a Merkle proof of its leaf against the last verified root (``exit``,
    paid to the account's owner), and unprocessed deposits are refunded to
    their depositors (``refund_deposit``).

    The exit proof is a Merkle proof checked on L1, not a SNARK, so that an
    exit needs nothing but L1 data (a full node rebuilds the tree) and no
    prover: when the operator is gone, every user can still leave. It costs
    one Poseidon per level plus the leaf, at the published gas of a
    Solidity Poseidon (``gas.POSEIDON_GAS``): 13 * 54,352 = 706,576 gas at
    depth 24, 5 * 54,352 = 271,760 at depth 8.

Difference from a Solidity verifier: the verifying key is read from storage
(28 cold SLOADs, 58,800 gas per batch) where Solidity would keep it in the
code as constants (a few gas per word).
"""

from __future__ import annotations

from contracts_spec import gas as G
from contracts_spec.optimistic.params import SECONDS_PER_SLOT
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
from contracts_spec.zk import keys, pubdata
from contracts_spec.zk.params import DEPOSIT_BITS, ZkPreset
from contracts_spec.zk.rules import domain_of
from primitives.snark.field import Q, R
from primitives.snark.groth16_types import VerifyingKey

WORD64 = (1 << 64) - 1
# counters: queued | processed << 64 | accounts << 128 | batches << 192
PROCESSED, ACCOUNTS, BATCHES = 64, 128, 192
N_PUBLIC = 6
VK_WORDS = 2 + 4 + 4 + 4 + 2 * (N_PUBLIC + 1)
ADDRESS_MASK = (1 << 160) - 1
EXIT_FLAG = 1 << 255  # in a queue entry's refund word: a full-exit request (low bits: the account)


def vk_to_words(vk: VerifyingKey) -> list[int]:
    """The verifying key as the constructor takes it: alpha, beta, gamma, delta (EIP-197 G2 order), IC."""
    if vk.n_public != N_PUBLIC:
        raise ValueError(f"the zk-rollup's circuit has {N_PUBLIC} public inputs, this key has {vk.n_public}")
    words = list(vk.alpha_g1)
    for g2 in (vk.beta_g2, vk.gamma_g2, vk.delta_g2):
        (x0, x1), (y0, y1) = g2
        words += [x1, x0, y1, y0]
    for p in vk.ic:
        words += list(p)
    return words


def constructor_args(preset: ZkPreset, operator: str, vk: VerifyingKey) -> tuple:
    return (*preset.constructor_args(operator), vk_to_words(vk))


def _g2(words: list[int]) -> tuple[tuple[int, int], tuple[int, int]]:
    return (words[0], words[1]), (words[2], words[3])


@register
class ZkRollup(Contract):
    """Holds the rollup's ETH and state root; accepts batches only with a valid proof."""

    DepositQueued = event("DepositQueued(uint256 indexed id, uint256 indexed account, uint256 amount, uint256 ax, "
                          "uint256 ay, address owner, address depositor, uint256 time)")
    ExitRequested = event("ExitRequested(uint256 indexed id, uint256 indexed account, address owner, uint256 time)")
    BatchVerified = event("BatchVerified(uint256 indexed index, uint256 old_root, uint256 new_root, "
                          "uint256 first_deposit, uint256 deposits)")
    WithdrawalReady = event("WithdrawalReady(uint256 indexed batch, uint256 indexed account, address recipient, "
                            "uint256 amount)")
    WithdrawalClaimed = event("WithdrawalClaimed(address indexed recipient, uint256 amount)")
    ExodusActivated = event("ExodusActivated(uint256 first_unprocessed, address by)")
    Exited = event("Exited(uint256 indexed account, address owner, uint256 amount)")
    DepositRefunded = event("DepositRefunded(uint256 indexed id, address depositor, uint256 amount)")

    @constructor("address", "uint8", "uint8", "uint16", "uint16", "uint64", "uint256[]")
    def init(self, ctx: Context, operator: str, depth_bits: int, deposit_slots: int, transfer_slots: int,
             withdraw_slots: int, deadline: int, vk: list[int]) -> None:
        ctx.require(depth_bits % 2 == 0 and 2 <= depth_bits <= 32, f"depth {depth_bits} must be even, 2..32")
        ctx.require(1 <= deposit_slots and transfer_slots >= 1 and withdraw_slots >= 1, "every slot count must be >= 1")
        ctx.require(len(vk) == VK_WORDS, f"verifying key must be {VK_WORDS} words, got {len(vk)}")
        try:
            VerifyingKey(alpha_g1=(vk[0], vk[1]), beta_g2=self._g2c0(vk[2:6]), gamma_g2=self._g2c0(vk[6:10]),
                         delta_g2=self._g2c0(vk[10:14]), ic=tuple((vk[k], vk[k + 1]) for k in range(14, VK_WORDS, 2)))
        except ValueError as exc:
            raise Revert(f"verifying key refused: {exc}") from None
        ctx.sstore_address("operator", operator)
        ctx.sstore("cfg", depth_bits | deposit_slots << 8 | transfer_slots << 16 | withdraw_slots << 32
                   | deadline << 48)
        for i, w in enumerate(vk):
            ctx.sstore("vk", i, w)
        ctx.sstore("root", self._empty_root(depth_bits))
        ctx.sstore("domain", ctx.poseidon([ctx.chain_id % R, int(ctx.this, 16)]))

    @staticmethod
    def _g2c0(w: list[int]) -> tuple[tuple[int, int], tuple[int, int]]:
        return (w[1], w[0]), (w[3], w[2])

    @staticmethod
    def _empty_root(depth_bits: int) -> int:
        from primitives.snark.quadtree import empty_hashes

        return empty_hashes(depth_bits // 2)[depth_bits // 2]

    # -- configuration ---------------------------------------------------------------------

    def _preset(self, ctx: Context) -> ZkPreset:
        cfg = ctx.sload("cfg")
        return ZkPreset(name="deployed", depth_bits=cfg & 0xFF, deposit_slots=cfg >> 8 & 0xFF,
                        transfer_slots=cfg >> 16 & 0xFFFF, withdraw_slots=cfg >> 32 & 0xFFFF,
                        deposit_deadline_blocks=cfg >> 48 & WORD64)

    def _counters(self, ctx: Context) -> tuple[int, int, int, int]:
        w = ctx.sload("counters")
        return w & WORD64, w >> PROCESSED & WORD64, w >> ACCOUNTS & WORD64, w >> BATCHES & WORD64

    def _set_counters(self, ctx: Context, queued: int, processed: int, accounts: int, batches: int) -> None:
        ctx.sstore("counters", queued | processed << PROCESSED | accounts << ACCOUNTS | batches << BATCHES)

    def _chain(self, ctx: Context, count: int) -> int:
        """The deposit chain after the first ``count`` deposits."""
        return ctx.sload("chain", count) if count else 0

    def _overdue(self, ctx: Context, deposit_id: int, queued: int) -> bool:
        if deposit_id >= queued:
            return False
        at, last_full = ctx.sload("deposit_at", deposit_id), ctx.sload("last_full")
        start_block = max(at & WORD64, last_full & WORD64)
        start_time = max(at >> 64, last_full >> 64)
        blocks = ctx.sload("cfg") >> 48 & WORD64
        return ctx.block_number > start_block + blocks and ctx.timestamp > start_time + blocks * SECONDS_PER_SLOT

    # -- deposits --------------------------------------------------------------------------

    @external("deposit(uint256,uint256,address)", payable=True)
    def deposit(self, ctx: Context, px: int, py: int, owner: str) -> None:
        """Queue ``msg.value`` for the key ``8 * (px, py)``, paid to ``owner`` in exodus mode."""
        ctx.require(not ctx.sload_bool("exodus"), "exodus mode: the rollup takes no more deposits")
        ctx.require(0 < ctx.value < 1 << DEPOSIT_BITS, f"deposit of {ctx.value} wei: must be in 1..2**96-1")
        ctx.require(int(owner, 16) != 0, "owner is the zero address: nobody could take an exit")
        ctx.gas.charge(G.BABYJUB_REGISTRATION_GAS, "babyjub_registration")
        try:
            ax, ay = keys.key_from_registration((px, py))
        except ValueError as exc:
            raise Revert(f"bad L2 key: {exc}") from None
        queued, processed, accounts, batches = self._counters(ctx)
        key_id = ctx.keccak(ax.to_bytes(32, "big") + ay.to_bytes(32, "big") + bytes.fromhex(owner[2:]))
        index = ctx.sload("account_of", key_id)
        if not index:
            depth = ctx.sload("cfg") & 0xFF
            ctx.require(accounts + 1 < 1 << depth,
                        f"the account tree is full: all 2**{depth} - 1 indices are taken; deposit to an existing "
                        "account (same key and owner)")
            accounts += 1
            index = accounts
            ctx.sstore("account_of", key_id, index)
            ctx.sstore_address("owner", index, owner)
        chain = pubdata.next_chain(self._chain(ctx, queued), index, ctx.value, ax, ay, ctx.poseidon)
        ctx.sstore("chain", queued + 1, chain)
        ctx.sstore("deposit_at", queued, ctx.block_number | ctx.timestamp << 64)
        ctx.sstore("refund", queued, int(ctx.sender, 16) | ctx.value << 160)
        self._set_counters(ctx, queued + 1, processed, accounts, batches)
        ctx.emit(self.DepositQueued, queued, index, ctx.value, ax, ay, owner, ctx.sender, ctx.timestamp)

    @external("request_exit(uint256)")
    def request_exit(self, ctx: Context, account: int) -> None:
        """Queue a full exit of ``account`` (its owner only): the operator must pay it out by the deadline."""
        ctx.require(not ctx.sload_bool("exodus"), "exodus mode: exit with exit() instead")
        owner = ctx.sload_address("owner", account)
        ctx.require(int(owner, 16) != 0, f"account {account} does not exist")
        ctx.require(ctx.sender == owner, f"only account {account}'s owner {owner} may request its full exit")
        queued, processed, accounts, batches = self._counters(ctx)
        chain = pubdata.next_chain(self._chain(ctx, queued), account, 0, 0, 0, ctx.poseidon, kind=pubdata.KIND_EXIT)
        ctx.sstore("chain", queued + 1, chain)
        ctx.sstore("deposit_at", queued, ctx.block_number | ctx.timestamp << 64)
        ctx.sstore("refund", queued, EXIT_FLAG | account)
        self._set_counters(ctx, queued + 1, processed, accounts, batches)
        ctx.emit(self.ExitRequested, queued, account, owner, ctx.timestamp)

    # -- batches ---------------------------------------------------------------------------

    @external("commit_and_verify(bytes)")
    def commit_and_verify(self, ctx: Context, data: bytes) -> None:
        ctx.require(not ctx.sload_bool("exodus"), "exodus mode: the rollup takes no more batches")
        ctx.require(ctx.sender == ctx.sload_address("operator"), "only the operator commits batches")
        preset = self._preset(ctx)
        try:
            new_root, proof_raw, raw = pubdata.decode_commit(data)
            posted = pubdata.decode(preset, raw)
        except pubdata.PubdataError as exc:
            raise Revert(f"malformed batch: {exc}") from None
        queued, processed, accounts, batches = self._counters(ctx)
        n = posted.n_deposits
        ctx.require(processed + n <= queued,
                    f"the batch processes {n} deposits but only {queued - processed} are queued")
        if n < preset.deposit_slots:
            ctx.require(not self._overdue(ctx, processed + n, queued),
                        f"deposit {processed + n} is overdue and the batch leaves it out")
        old_root = ctx.sload("root")
        inputs = pubdata.public_inputs(old_root, new_root, self._chain(ctx, processed), self._chain(ctx, processed + n),
                                       ctx.sload("domain"), pubdata.pubdata_hash(raw, ctx.sha256))
        ctx.require(self._verify(ctx, inputs, proof_raw),
                    "the proof does not verify for this batch (old root, new root, deposits and pubdata)")
        ctx.sstore("root", new_root)
        if n == preset.deposit_slots:
            ctx.sstore("last_full", ctx.block_number | ctx.timestamp << 64)
        self._set_counters(ctx, queued, processed + n, accounts, batches + 1)
        for k, paid in enumerate(posted.exits):
            word = ctx.sload("refund", processed + k)
            if word & EXIT_FLAG and paid:
                owner = ctx.sload_address("owner", word & ADDRESS_MASK)
                ctx.sstore("withdrawable", owner, ctx.sload("withdrawable", owner) + paid)
                ctx.emit(self.WithdrawalReady, batches, word & ADDRESS_MASK, owner, paid)
        for w in posted.withdrawals:
            recipient = "0x" + w.recipient.to_bytes(20, "big").hex()
            ctx.sstore("withdrawable", recipient, ctx.sload("withdrawable", recipient) + w.amount)
            ctx.emit(self.WithdrawalReady, batches, w.sender, recipient, w.amount)
        ctx.emit(self.BatchVerified, batches, old_root, new_root, processed, n)

    def _verify(self, ctx: Context, inputs: list[int], proof_raw: bytes) -> bool:
        """Groth16 with the precompiles: e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta) == 1."""
        vk = [ctx.sload("vk", i) for i in range(VK_WORDS)]
        a, b, c = pubdata.proof_words(proof_raw)
        for v in (*a, *b[0], *b[1], *c):
            ctx.require(v < Q, "proof coordinate is not a field element")
        acc = (vk[14], vk[15])
        for i, x in enumerate(inputs):
            ctx.require(0 <= x < R, f"public input {i} is not a field element")
            term = ctx.bn254_mul((vk[16 + 2 * i], vk[17 + 2 * i]), x)
            acc = ctx.bn254_add(acc, term)
        neg_a = (a[0], (Q - a[1]) % Q if a[1] else 0)
        return ctx.bn254_pairing([
            (neg_a, b),
            ((vk[0], vk[1]), _g2(vk[2:6])),
            (acc, _g2(vk[6:10])),
            (c, _g2(vk[10:14])),
        ])

    # -- withdrawals -----------------------------------------------------------------------

    @external("claim_withdrawal(address)")
    def claim_withdrawal(self, ctx: Context, recipient: str) -> None:
        """Pay ``recipient`` everything verified batches sent it (anyone may call)."""
        amount = ctx.sload("withdrawable", recipient)
        ctx.require(amount > 0, f"nothing to claim for {recipient}")
        ctx.sstore("withdrawable", recipient, 0)
        ctx.transfer(recipient, amount)
        ctx.emit(self.WithdrawalClaimed, recipient, amount)

    # -- exodus mode -----------------------------------------------------------------------

    @external("activate_exodus()")
    def activate_exodus(self, ctx: Context) -> None:
        ctx.require(not ctx.sload_bool("exodus"), "exodus mode is already active")
        queued, processed, _, _ = self._counters(ctx)
        ctx.require(self._overdue(ctx, processed, queued),
                    "no deposit is overdue: exodus mode starts only when the operator misses a deadline")
        ctx.sstore_bool("exodus", True)
        ctx.emit(self.ExodusActivated, processed, ctx.sender)

    @external("exit(uint256,uint256,uint256,uint256,uint256,uint256[])")
    def exit(self, ctx: Context, account: int, ax: int, ay: int, balance: int, nonce: int,
             siblings: list[int]) -> None:
        """Pay an account's balance at the last verified root to its owner, once (anyone may call)."""
        ctx.require(ctx.sload_bool("exodus"), "exits open only in exodus mode")
        owner = ctx.sload_address("owner", account)
        ctx.require(int(owner, 16) != 0, f"account {account} does not exist")
        ctx.require(not ctx.sload_bool("exited", account), f"account {account} has already exited")
        levels = (ctx.sload("cfg") & 0xFF) // 2
        ctx.require(len(siblings) == 3 * levels, f"an exit proof has {3 * levels} siblings, got {len(siblings)}")
        for v in (ax, ay, balance, nonce, *siblings):
            ctx.require(v < R, "exit proof value is not a field element")
        node = ctx.poseidon([ax, ay, balance, nonce])
        for level in range(levels):
            digit = account >> (2 * level) & 3
            s0, s1, s2 = siblings[3 * level: 3 * level + 3]
            pair = (s0, node) if digit & 1 else (node, s0)
            children = (s1, s2, *pair) if digit & 2 else (*pair, s1, s2)
            node = ctx.poseidon(list(children))
        ctx.require(node == ctx.sload("root"), f"the proof does not show account {account}'s leaf under the last "
                                               "verified root")
        ctx.sstore_bool("exited", account, True)
        if balance:
            ctx.transfer(owner, balance)
        ctx.emit(self.Exited, account, owner, balance)

    @external("refund_deposit(uint256)")
    def refund_deposit(self, ctx: Context, deposit_id: int) -> None:
        """In exodus mode, return a deposit no batch processed to its depositor (anyone may call)."""
        ctx.require(ctx.sload_bool("exodus"), "refunds open only in exodus mode")
        queued, processed, _, _ = self._counters(ctx)
        ctx.require(processed <= deposit_id < queued, f"deposit {deposit_id} is not an unprocessed deposit")
        word = ctx.sload("refund", deposit_id)
        ctx.require(not word & EXIT_FLAG, f"queue entry {deposit_id} is a full-exit request: exit() pays that account")
        ctx.require(word != 0, f"deposit {deposit_id} was already refunded")
        ctx.sstore("refund", deposit_id, 0)
        depositor, amount = "0x" + (word & ADDRESS_MASK).to_bytes(20, "big").hex(), word >> 160
        ctx.transfer(depositor, amount)
        ctx.emit(self.DepositRefunded, deposit_id, depositor, amount)

    # -- views -----------------------------------------------------------------------------

    @view("config()", returns="(uint256,uint256,uint256,uint256,uint256)")
    def config(self, ctx: Context) -> tuple[int, int, int, int, int]:
        """(depth_bits, deposit_slots, transfer_slots, withdraw_slots, deposit_deadline_blocks): the circuit's shape."""
        p = self._preset(ctx)
        return p.depth_bits, p.deposit_slots, p.transfer_slots, p.withdraw_slots, p.deposit_deadline_blocks

    @view("state_root()", returns="uint256")
    def state_root(self, ctx: Context) -> int:
        return ctx.sload("root")

    @view("domain()", returns="uint256")
    def domain(self, ctx: Context) -> int:
        return ctx.sload("domain")

    @view("counters()", returns="(uint256,uint256,uint256,uint256)")
    def counters(self, ctx: Context) -> tuple[int, int, int, int]:
        """(deposits queued, deposits processed, accounts assigned, batches verified)."""
        return self._counters(ctx)

    @view("exodus()", returns="bool")
    def exodus(self, ctx: Context) -> bool:
        return ctx.sload_bool("exodus")

    @view("overdue()", returns="bool")
    def overdue(self, ctx: Context) -> bool:
        queued, processed, _, _ = self._counters(ctx)
        return self._overdue(ctx, processed, queued)

    @view("withdrawable(address)", returns="uint256")
    def withdrawable(self, ctx: Context, recipient: str) -> int:
        return ctx.sload("withdrawable", recipient)

    @view("exited(uint256)", returns="bool")
    def exited(self, ctx: Context, account: int) -> bool:
        return ctx.sload_bool("exited", account)

    @view("owner_of(uint256)", returns="address")
    def owner_of(self, ctx: Context, account: int) -> str:
        return ctx.sload_address("owner", account)

    @view("operator()", returns="address")
    def operator(self, ctx: Context) -> str:
        return ctx.sload_address("operator")


__all__ = ["N_PUBLIC", "VK_WORDS", "ZkRollup", "constructor_args", "domain_of", "vk_to_words"]
