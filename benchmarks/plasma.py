"""``l2lab bench plasma``: operator throughput, L1 gas per block and per exit, the mass-exit drain, client storage.

Measured in one run so the ratios are fair:

- transactions per second through the child chain's operator
  (``plasma.operator.Operator``): ``submit_many`` of 100 signed spends at a
  time (one batched signature recovery on every core, the rules'
  ``check_spend`` against the operator's view, one log write per call),
  with its write-ahead log in SQLite fsynced (as a node runs it) and in
  memory; the same one transaction per ``submit``; then building the block
  (its depth-16 tree) and submitting its root to L1; beside them the
  batched recovery of the block's signatures alone, the floor admission
  cannot go under;
- the L1 gas of a block's root submission, from its receipt, for blocks of
  1 to 1,000 transactions (10,000 in the full run), and that gas per
  transaction: a block costs L1 the same whatever it holds;
- the L1 gas of each call of the exit game, from receipts: deposit,
  start_deposit_exit, start_exit of the output of a spend with one input
  and with two, challenge_exit, and finalize_exits per exit paid; beside
  the OMG Network's published gas of a challenge and of processing an exit
  (omgnetwork/plasma-contracts, the production successor of plasma-mvp);
- the mass exit: N users hold outputs of operator blocks (each of them
  received coins, half of them also paid a neighbour), then the operator
  withholds a block in which it steals a user's coins and exits them. Every
  user exits every output it holds (1.5 N honest exits, each a real L1
  ``start_exit`` with its transaction, inclusion proof and confirmations,
  paying its own gas), the exit period passes, and anyone drains the queue
  with ``finalize_exits`` calls of 128 exits. The L1 runs without
  automine: transactions wait in its pool and blocks are mined, each packed
  up to the L1's 30M block gas limit by gas used, as Ethereum packs them.
  Reported per N: exits, L1 blocks to start them all and to finalize them,
  gas, the base fee's rise over the start, wall time on the toy L1 (users'
  signing of their L1 transactions excluded), and whether every honest user
  was paid in full before the thief, who gets its bond back at most;
- what a user's client (``plasma.watcher.Watcher``) stores per block it
  watches, for blocks of 1 to 1,000 transactions (10,000 in the full run):
  every transaction of every block, which is what lets it exit without the
  operator.

The mass exit's users get their coins in operator blocks, not by a deposit
each: a funder deposits once and pays each user in a block of chained
spends. It is quicker to set up (one L1 transaction, not N) and costs the
drain more gas, not less: every exit is a ``start_exit`` with a proof and
signatures to check, dearer than a ``start_deposit_exit``.

The run uses the mainnet preset's exit bond with an exit period of 1,200
L1 blocks (four hours of 12-second slots) rather than a week, so that the
drain does not mine 100,800 empty blocks; every exit of the drain starts
well within one period, which is what puts the honest users ahead of the
thief, and the figures count the period's blocks used.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from eth_account import Account

from benchmarks.harness import Figure
from contracts_spec.l1 import L1Client, encode_call
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import MAINNET, MAX_FINALIZE_PER_CALL, PlasmaPreset
from node.chain import Chain
from node.rpc import in_process_l1
from plasma.operator import Block, Operator, tx_id
from plasma.watcher import Watcher
from primitives import secp256k1
from primitives.secp256k1 import private_key_to_address

SCHEME = "plasma"
ETH = 10**18
BATCH = 100  # transactions per submit_many call in the throughput figures
# The mainnet bond; an exit period of 1,200 blocks (4 hours of 12-second slots), so the drain's wait is short.
BENCH = PlasmaPreset(name="bench", exit_period_blocks=1_200, exit_bond=MAINNET.exit_bond)
BOND = BENCH.exit_bond
# L1 fees of the drain's transactions: a fee cap no base fee of these runs reaches, so no exit is priced out.
MAX_FEE = 10**16
TIP = 10**9
START_GAS = 300_000  # an exit's gas limit: ~125k used, plus the deepest sift-up of the exit queue's heap
POOL_TOP_UP = 1_000  # pending transactions kept in the L1's pool while a drain is mined
KEEPER_CALLS = 32  # finalize calls a keeper sends at most (the L1's pool holds 64 of a sender)
USER_L1_BALANCE = 10_000 * ETH
KEEPER_L1_BALANCE = 10**7 * ETH
# Published gas figures of the OMG Network's Plasma contracts (omgnetwork/plasma-contracts, plasma_framework):
# the challenge of a standard exit, behind its initial bond (PaymentStandardExitRouter.sol: "70000 (gas cost of
# challenge)"), and one processExit call, behind its exit bounty (ExitBounty.sol: "107000 is the approx gas
# usage for calling processExit()").
OMG_PUBLISHED_GAS = {"challenge_exit": 70_000, "finalize_per_exit": 107_000}


def _fig(metric: str, workload: str, unit: str, value: float, name: str, note: str = "") -> Figure:
    return Figure(scheme=SCHEME, metric=metric, workload=workload, unit=unit, value=value, note=note,
                  name=f"plasma.{name}")


def _gas(receipt: dict) -> int:
    return int(receipt["gasUsed"], 16)


# -- a child chain on a fresh L1 -------------------------------------------------------------------------------------


@dataclass
class _World:
    """An in-process L1 with the root chain, its operator, and ``n`` users (keys from ``base``) with L1 ETH."""

    chain: Chain
    l1: L1Client
    address: str
    operator: Operator
    op_key: bytes
    funder_key: bytes
    keys: list[bytes]
    addrs: list[str]
    extra: dict[str, bytes] = field(default_factory=dict)

    @property
    def domain(self) -> R.Domain:
        return self.operator.domain

    def close(self) -> None:
        self.operator.close()
        self.chain.close()


@contextmanager
def _world(n: int, base: int, *, log_path: str | None = None,
           extra: Sequence[str] = ()) -> Iterator[_World]:
    keys = [(base + i).to_bytes(32, "big") for i in range(n)]
    addrs = [private_key_to_address(k) for k in keys]
    op_key, funder_key = (base - 1).to_bytes(32, "big"), (base - 2).to_bytes(32, "big")
    named = {name: (base - 3 - i).to_bytes(32, "big") for i, name in enumerate(extra)}
    alloc = {a: USER_L1_BALANCE for a in addrs}
    alloc.update({private_key_to_address(k): KEEPER_L1_BALANCE for k in (op_key, funder_key, *named.values())})
    chain = Chain(genesis_alloc=alloc)
    l1 = in_process_l1(chain)
    address = l1.deploy(op_key, RootChain, *BENCH.constructor_args(private_key_to_address(op_key)))
    world = _World(chain, l1, address, Operator(l1, address, op_key, log_path=log_path), op_key, funder_key,
                   keys, addrs, named)
    try:
        yield world
    finally:
        world.close()


def _admit(op: Operator, txs: Sequence[R.SignedTransaction], batch: int = BATCH) -> None:
    for at in range(0, len(txs), batch):
        refused = [r for r in op.submit_many(txs[at:at + batch]) if not isinstance(r, str)]
        if refused:
            raise RuntimeError(f"benchmark transaction refused: {refused[0]}")


def _signed_by(world: _World, key: bytes, txs: Sequence[R.Transaction]) -> list[R.SignedTransaction]:
    """Single-input ``txs`` signed by ``key``, in one batch."""
    sigs = secp256k1.sign_many([R.signing_digest(t.hash(), world.domain) for t in txs], key)
    return [R.SignedTransaction(t, (s, R.EMPTY_SIGNATURE)) for t, s in zip(txs, sigs, strict=True)]


def _confirm_block(world: _World, block: Block, key: bytes) -> None:
    """The spender ``key`` confirms every (single-input) transaction of ``block``: its outputs become spendable."""
    sigs = secp256k1.sign_many([R.confirmation_digest(t.tx.hash(), block.root) for t in block.txs], key)
    for t, sig in zip(block.txs, sigs, strict=True):
        world.operator.post_confirmation(tx_id(t), sig + R.EMPTY_SIGNATURE)


def _confirm_spends(world: _World, block: Block) -> None:
    """Transaction ``i`` of ``block`` (user ``i``'s single-input spend) confirmed by user ``i``."""
    for i, t in enumerate(block.txs):
        world.operator.post_confirmation(tx_id(t), R.confirmations(t, block.root, [world.keys[i]]))


def _fund(world: _World, amounts: Sequence[int]) -> tuple[Block, list[R.SignedTransaction]]:
    """One deposit of the funder's, split for the users: transaction ``i`` of the returned block pays user ``i``
    ``amounts[i]`` (output 0, no change). Before it, blocks of the funder's own halving splits (1, 2, 4, ...
    transactions), each confirmed before the next spends it, as the rules demand. Returns the block and its
    transactions, confirmed by the funder."""
    l1, op = world.l1, world.operator
    funder = private_key_to_address(world.funder_key)
    blknum = l1.call(world.address, RootChain, "next_deposit_block")
    l1.transact(world.funder_key, world.address, RootChain, "deposit", value=sum(amounts))
    # Coins of the funder's, each covering a slice [lo, hi) of the users: halved until each covers one.
    coins = [(R.encode_utxo_pos(blknum, 0, 0), 0, len(amounts))]
    while any(hi - lo > 1 for _, lo, hi in coins):
        txs, slices = [], []
        for pos, lo, hi in coins:
            if hi - lo == 1:
                txs.append(R.Transaction.spend([pos], [(funder, amounts[lo])]))
                slices.append([(lo, hi)])
                continue
            mid = (lo + hi) // 2
            txs.append(R.Transaction.spend([pos], [(funder, sum(amounts[lo:mid])), (funder, sum(amounts[mid:hi]))]))
            slices.append([(lo, mid), (mid, hi)])
        _admit(op, _signed_by(world, world.funder_key, txs), batch=len(txs))
        block = op.make_block()
        assert block is not None
        _confirm_block(world, block, world.funder_key)
        coins = [(R.encode_utxo_pos(block.blknum, i, o), lo, hi)
                 for i, parts in enumerate(slices) for o, (lo, hi) in enumerate(parts)]
    order = sorted(coins, key=lambda c: c[1])
    signed = _signed_by(world, world.funder_key,
                        [R.Transaction.spend([pos], [(world.addrs[lo], amounts[lo])]) for pos, lo, _ in order])
    _admit(op, signed, batch=len(signed))
    block = op.make_block()
    assert block is not None
    _confirm_block(world, block, world.funder_key)
    return block, signed


def _spends(world: _World, coins: dict[int, tuple[int, int]], pay: dict[int, int]) -> list[R.SignedTransaction]:
    """User ``i`` (a key of ``pay``) spends its coin ``coins[i] = (position, amount)``: ``pay[i]`` wei to user
    ``i + 1`` (output 0), the rest back to itself (output 1); each signed by its owner."""
    out = []
    n = len(world.keys)
    for i, amount in pay.items():
        pos, held = coins[i]
        outputs = [(world.addrs[(i + 1) % n], amount)] + ([(world.addrs[i], held - amount)] if held > amount else [])
        out.append(R.sign_transaction(R.Transaction.spend([pos], outputs), [world.keys[i]], world.domain))
    return out


# -- the operator's throughput -------------------------------------------------------------------------------------------


def operator_rates(users: int, rounds: int = 2, singles: int = 200) -> dict[str, float]:
    """Admission and block rates of the operator, its log fsynced and in memory.

    ``users`` users each hold a coin; a round is one block in which every user
    pays its neighbour half of its coin and keeps the change, which the next
    round spends. Each round's spends are signed before the clock starts
    (users sign, not the operator); the best round counts.
    """
    out: dict[str, float] = {}
    for durable in (True, False):
        with tempfile.TemporaryDirectory(prefix="l2lab-bench-plasma-") as tmp:
            log = os.path.join(tmp, "operator.sqlite") if durable else None
            with _world(users, 4_000_000, log_path=log) as world:
                op = world.operator
                block, _ = _fund(world, [ETH + i for i in range(users)])
                coins = {i: (R.encode_utxo_pos(block.blknum, i, 0), ETH + i) for i in range(users)}
                admit = build = float("inf")
                txs: list[R.SignedTransaction] = []
                for _ in range(rounds):
                    txs = _spends(world, coins, {i: coins[i][1] // 2 for i in range(users)})
                    start = time.perf_counter()
                    _admit(op, txs)
                    middle = time.perf_counter()
                    made = op.make_block()
                    end = time.perf_counter()
                    assert made is not None and len(made.txs) == users
                    admit, build = min(admit, middle - start), min(build, end - middle)
                    _confirm_spends(world, made)  # each user confirms its spend: its change is spendable
                    coins = {i: (R.encode_utxo_pos(made.blknum, i, 1), coins[i][1] - coins[i][1] // 2)
                             for i in range(users)}
                kind = "wal" if durable else "memory"
                out[f"admit_{kind}"], out[f"block_{kind}"] = admit, build
                if durable:
                    one = _spends(world, coins, {i: coins[i][1] // 2 for i in range(singles)})
                    start = time.perf_counter()
                    for t in one:
                        op.submit(t)
                    out["admit_single_wal"] = (time.perf_counter() - start) / singles
                    assert op.make_block() is not None
                    start = time.perf_counter()
                    signers = R.recover_signers(txs, world.domain)
                    out["recover_batch"] = time.perf_counter() - start
                    assert all(s[0] is not None for s in signers)
    return out


# -- L1 gas of blocks and client storage -------------------------------------------------------------------------------


def block_costs(sizes: Sequence[int]) -> dict[int, dict[str, int]]:
    """For each block size: the L1 gas of its root's submission (from the receipt) and the bytes a watching
    client's ``Watcher.stored_bytes`` grew by when it validated the block."""
    users = sum(sizes)
    out: dict[int, dict[str, int]] = {}
    with _world(users, 5_000_000, extra=("observer",)) as world:
        op, l1 = world.operator, world.l1
        watcher = Watcher(l1, world.address, world.extra["observer"], fetch=op.served_block,
                          confirmations=op.confirmations.get, post=op.post_confirmation)
        block, _ = _fund(world, [ETH] * users)
        watcher.poll()
        first = 0
        for size in sizes:
            coins = {i: (R.encode_utxo_pos(block.blknum, i, 0), ETH) for i in range(first, first + size)}
            _admit(op, _spends(world, coins, {i: ETH // 2 for i in coins}))
            made = op.make_block()
            assert made is not None and len(made.txs) == size
            before = watcher.stored_bytes()
            watcher.poll()
            if watcher.alarm is not None or made.blknum not in watcher.blocks:
                raise RuntimeError(f"the watcher did not validate block {made.blknum}: {watcher.alarm}")
            submitted = [e for e in l1.events(world.address, RootChain, "BlockSubmitted")
                         if e["blknum"] == made.blknum]
            receipt = l1.receipt(submitted[-1]["transactionHash"])
            assert receipt is not None
            out[size] = {"gas": _gas(receipt), "stored": watcher.stored_bytes() - before}
            first += size
    return out


# -- the gas of each exit-game call ------------------------------------------------------------------------------------


def call_gas(finalize_exits: int = 20) -> dict[str, int]:
    """Gas of each root chain call, from its receipt, in one small child chain.

    Alice deposits once and Carol twice; in one block Alice pays Bob (one input) and
    Carol merges her two deposits to pay Dave (two inputs). Once an exit is in
    the queue, Bob and Dave exit what they received, Mallory exits a deposit,
    Alice tries to exit the
    deposit she spent and Bob challenges her; then ``finalize_exits`` of
    ``finalize_exits`` more deposit exits and these.
    """
    names = ("alice", "bob", "carol", "dave", "mallory")
    used: dict[str, int] = {}
    with _world(0, 6_000_000, extra=names) as world:
        l1, op, key = world.l1, world.operator, world.extra
        addr = {n: private_key_to_address(k) for n, k in key.items()}

        def send(name: str, method: str, *args: Any, value: int = 0) -> dict:
            return l1.transact(key[name], world.address, RootChain, method, *args, value=value)

        def deposit(name: str, amount: int) -> int:
            blknum = l1.call(world.address, RootChain, "next_deposit_block")
            receipt = send(name, "deposit", value=amount)
            used.setdefault("deposit", _gas(receipt))
            return R.encode_utxo_pos(blknum, 0, 0)

        a, c1, c2 = deposit("alice", 2 * ETH), deposit("carol", ETH), deposit("carol", ETH)
        one = R.sign_transaction(R.Transaction.spend([a], [(addr["bob"], 2 * ETH)]), [key["alice"]], world.domain)
        two = R.sign_transaction(R.Transaction.spend([c1, c2], [(addr["dave"], 2 * ETH)]),
                                 [key["carol"]] * 2, world.domain)
        _admit(op, [one, two])
        block = op.make_block()
        assert block is not None
        # The first exit also creates the exit queue's length and root slots: not a figure.
        send("mallory", "start_deposit_exit", deposit("mallory", ETH), ETH, value=BOND)
        for index, (signed, signers) in enumerate(((one, ["alice"]), (two, ["carol", "carol"]))):
            owner = "bob" if index == 0 else "dave"
            sigs = R.confirmations(signed, block.root, [key[s] for s in signers])
            receipt = send(owner, "start_exit", R.encode_utxo_pos(block.blknum, index, 0), signed.encode(),
                           block.tree.proof(index), sigs, value=BOND)
            used[f"start_exit_{len(signers)}_input{'s' if len(signers) > 1 else ''}"] = _gas(receipt)
        used["start_deposit_exit"] = _gas(send("mallory", "start_deposit_exit", deposit("mallory", ETH), ETH,
                                               value=BOND))
        send("alice", "start_deposit_exit", a, 2 * ETH, value=BOND)  # she spent it: a false exit
        confirmation = R.confirm(one, block.root, key["alice"])
        used["challenge_exit"] = _gas(send("bob", "challenge_exit", a, R.tx_pos(block.blknum, 0), one.encode(),
                                           block.tree.proof(0), confirmation))
        for _ in range(finalize_exits):
            send("mallory", "start_deposit_exit", deposit("mallory", ETH), ETH, value=BOND)
        queued = l1.call(world.address, RootChain, "queue_length", R.ZERO_ADDRESS)
        world.chain.increase_time(2 * BENCH.exit_period_seconds + 1)
        for left in _chunks(2 * BENCH.exit_period_blocks + 1):
            world.chain.mine(left)
        receipt = send("bob", "finalize_exits", R.ZERO_ADDRESS, min(queued, MAX_FINALIZE_PER_CALL))
        if l1.call(world.address, RootChain, "queue_length", R.ZERO_ADDRESS):
            raise RuntimeError("finalize_exits left exits in the queue")
        used["finalize_per_exit"] = _gas(receipt) // queued
        used["finalize_exits_queue"] = queued
    return used


def _chunks(blocks: int, most: int = 1_000) -> Iterator[int]:
    while blocks > 0:
        yield min(blocks, most)
        blocks -= most


# -- the mass exit ---------------------------------------------------------------------------------------------------


@dataclass
class _Exit:
    key: bytes
    nonce: int
    utxo_pos: int
    owner: str
    amount: int
    data: bytes


def _sign_l1(chain_id: int, key: bytes, nonce: int, to: str, data: bytes, value: int, gas: int) -> bytes:
    tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "to": to, "value": value, "data": data, "gas": gas,
          "maxFeePerGas": MAX_FEE, "maxPriorityFeePerGas": TIP}
    return bytes(Account.sign_transaction(tx, key).raw_transaction)


def _drain_pool(chain: Chain, raws: list[bytes]) -> tuple[list[bytes], list[int], float]:
    """Send ``raws`` (keeping about ``POOL_TOP_UP`` in the pool) and mine blocks until all are in; the hashes,
    the blocks mined, and the wall seconds it took."""
    hashes: list[bytes] = []
    mined: list[int] = []
    at = 0
    start = time.perf_counter()
    while at < len(raws) or len(chain.pending):
        while at < len(raws) and len(chain.pending) < POOL_TOP_UP:
            hashes.append(chain.send_raw_transaction(raws[at]))
            at += 1
        chain.mine()
        mined.append(chain.block_number)
        if chain.head.gas_used == 0 and len(chain.pending):
            raise RuntimeError(f"{len(chain.pending)} transactions wait in the pool and none fits a block")
    return hashes, mined, time.perf_counter() - start


def mass_exit(n: int) -> dict[str, Any]:
    """The mass exit of ``n`` users (``n`` even) after a withheld block; see the module doc."""
    if n < 2 or n % 2:
        raise ValueError(f"the mass exit needs an even number of users, got {n}")
    started = time.perf_counter()
    calls = -(-(n + n // 2 + 1) // MAX_FINALIZE_PER_CALL)  # the finalize calls, shared by keepers
    keepers = [f"keeper{k}" for k in range(-(-calls // KEEPER_CALLS))]
    with _world(n, 7_000_000, extra=keepers) as world:
        l1, op, chain = world.l1, world.operator, world.chain
        chain_id = l1.chain_id
        amounts = [ETH + i for i in range(n)]
        funded, fund_txs = _fund(world, amounts)
        coins = {i: (R.encode_utxo_pos(funded.blknum, i, 0), amounts[i]) for i in range(n)}
        paying = {i: ETH // 2 for i in range(0, n, 2)}  # half the users pay their neighbour, in one block
        pays = _spends(world, coins, paying)
        _admit(op, pays)
        paid_block = op.make_block()
        assert paid_block is not None
        # The operator's withheld block: it spends user 0's change with its own signature, then exits it.
        victim = R.encode_utxo_pos(paid_block.blknum, 0, 1)
        theft = R.sign_transaction(R.Transaction.spend([victim], [(private_key_to_address(world.op_key), ETH // 2)]),
                                   [world.op_key], world.domain)
        stolen = op.submit_block([theft], check=False, withhold=True)
        chain.set_automine(False)

        def start_exit(key: bytes, nonce: int, block: Block, index: int, oindex: int, sigs: bytes) -> _Exit:
            signed = block.txs[index]
            out = signed.tx.outputs[oindex]
            pos = R.encode_utxo_pos(block.blknum, index, oindex)
            data = encode_call(RootChain, "start_exit", pos, signed.encode(), block.tree.proof(index), sigs)
            return _Exit(key, nonce, pos, out.owner, out.amount, data)

        # Each spender's confirmation of its spend, as its watcher posts it once the block is valid.
        fund_conf = secp256k1.sign_many([R.confirmation_digest(t.tx.hash(), funded.root) for t in fund_txs],
                                        world.funder_key)
        pay_conf = {i: R.confirm(t, paid_block.root, world.keys[i]) for i, t in zip(paying, pays, strict=True)}
        thief = start_exit(world.op_key, l1.nonce(private_key_to_address(world.op_key)), stolen, 0, 0,
                           R.confirmations(theft, stolen.root, [world.op_key]))
        exits = [thief]  # the thief exits first
        for i in range(n):  # every user exits every output it holds, oldest first
            nonce = 0
            if i % 2:
                exits.append(start_exit(world.keys[i], nonce, funded, i, 0, fund_conf[i] + R.EMPTY_SIGNATURE))
                nonce += 1
                exits.append(start_exit(world.keys[i], nonce, paid_block, (i - 1) // 2, 0,
                                        pay_conf[i - 1] + R.EMPTY_SIGNATURE))
            else:
                exits.append(start_exit(world.keys[i], nonce, paid_block, i // 2, 1, pay_conf[i] + R.EMPTY_SIGNATURE))
        raws = [_sign_l1(chain_id, e.key, e.nonce, world.address, e.data, BOND, START_GAS) for e in exits]
        setup = time.perf_counter() - started

        base_before = chain.base_fee()
        hashes, start_blocks, start_seconds = _drain_pool(chain, raws)
        start_receipts = [l1.receipt("0x" + h.hex()) for h in hashes]
        if not all(r is not None and int(r["status"], 16) == 1 for r in start_receipts):
            raise RuntimeError("an exit of the mass exit reverted")
        base_after = chain.base_fee()
        queued = l1.call(world.address, RootChain, "queue_length", R.ZERO_ADDRESS)
        assert queued == len(exits)

        # The exit period passes; then anyone finalizes, 128 exits a call, many calls in a block.
        chain.increase_time(2 * BENCH.exit_period_seconds + 1)
        for count in _chunks(2 * BENCH.exit_period_blocks + 1):
            chain.mine(count)
        assert calls == -(-len(exits) // MAX_FINALIZE_PER_CALL)
        finalize = encode_call(RootChain, "finalize_exits", R.ZERO_ADDRESS, MAX_FINALIZE_PER_CALL)
        estimate = int(l1.rpc("eth_estimateGas", {"from": private_key_to_address(world.extra[keepers[0]]),
                                                  "to": world.address, "data": "0x" + finalize.hex()}), 16)
        final_raws = [_sign_l1(chain_id, world.extra[keepers[k % len(keepers)]], k // len(keepers),
                               world.address, finalize, 0, estimate * 5 // 4) for k in range(calls)]
        hashes, final_blocks, final_seconds = _drain_pool(chain, final_raws)
        final_receipts = [l1.receipt("0x" + h.hex()) for h in hashes]
        if not all(r is not None and int(r["status"], 16) == 1 for r in final_receipts):
            raise RuntimeError("a finalize_exits call of the mass exit reverted")

        limit = chain.block_gas_limit
        block_gas = [int(l1.block(b)["gasUsed"], 16) for b in (*start_blocks, *final_blocks)]
        paid: dict[int, int] = {}
        order: list[int] = []
        for e in l1.events(world.address, RootChain, "ExitFinalized", final_blocks[0], final_blocks[-1]):
            paid[e["utxo_pos"]] = paid.get(e["utxo_pos"], 0) + e["paid"]
            order.append(e["utxo_pos"])
        honest = exits[1:]
        in_full = sum(1 for e in honest if paid.get(e.utxo_pos) == e.amount + BOND)
        if sum(e.amount for e in honest) != sum(amounts):
            raise RuntimeError("the honest exits do not cover every coin the users hold")
        start_gas = sum(_gas(r) for r in start_receipts if r is not None)
        final_gas = sum(_gas(r) for r in final_receipts if r is not None)
        return {
            "users": n, "exits": len(exits), "honest_exits": len(honest), "paid_in_full": in_full,
            "thief_paid": paid.get(thief.utxo_pos, 0), "thief_amount": thief.amount,
            "paid_before_thief": order.index(thief.utxo_pos) if thief.utxo_pos in order else len(order),
            "contract_left": l1.balance(world.address),
            "start_blocks": len(start_blocks), "start_gas": start_gas, "start_seconds": start_seconds,
            "finalize_calls": calls, "finalize_blocks": len(final_blocks), "finalize_gas": final_gas,
            "finalize_seconds": final_seconds, "finalize_call_gas": max(_gas(r) for r in final_receipts if r),
            "max_block_gas": max(block_gas), "gas_limit": limit,
            "base_fee_rise": base_after / base_before, "setup_seconds": setup,
        }


# -- the suite ---------------------------------------------------------------------------------------------------


def run(quick: bool) -> list[Figure]:
    figures: list[Figure] = []

    users = 1_000 if quick else 10_000
    rates = operator_rates(users, rounds=2, singles=100 if quick else 300)
    w = f"{users:,} spends, one block"
    for kind, label in (("wal", "log fsynced"), ("memory", "log in memory")):
        admit, build = rates[f"admit_{kind}"], rates[f"block_{kind}"]
        figures += [
            _fig("admissions_per_second", f"{w}, submit_many of {BATCH}, {label}", "tx/s", round(users / admit),
                 f"operator.admit_per_second.{kind}",
                 f"Operator.submit_many of {BATCH} signed spends a call: one batched signature recovery on every "
                 "core, check_spend against the operator's view and the pending block, one log write a call"
                 + (" (SQLite WAL, synchronous=FULL)" if kind == "wal" else "")),
            _fig("block_build_and_submit_time", f"{w}, {label}", "ms", round(1000 * build, 2),
                 f"operator.block_time.{kind}",
                 "make_block: the block's depth-16 tree, its log entry, its root sent to the in-process L1 "
                 "and mined"),
            _fig("transactions_per_second", f"{w}, {label}", "tx/s", round(users / (admit + build)),
                 f"operator.per_second.{kind}", "admission and the block together, best of two rounds"),
        ]
    figures += [
        _fig("admissions_per_second", "one spend per submit, log fsynced", "tx/s",
             round(1 / rates["admit_single_wal"]), "operator.admit_per_second.single",
             "Operator.submit of one spend at a time: a recovery and a fsynced log write each"),
        _fig("admissions_per_second", f"{w}, signature recovery only", "tx/s",
             round(users / rates["recover_batch"]), "operator.admit_per_second.recovery_floor",
             "rules.recover_signers over the block's spends in one batch, nothing else: admission's floor"),
        _fig("txs_per_block", w, "txs", users, "operator.txs_per_block",
             f"the block these figures built; a block holds at most {R.MAX_TXS_PER_BLOCK:,} (2**16 leaves)"),
    ]

    sizes = (1, 10, 100, 1000) if quick else (1, 10, 100, 1000, 10_000)
    costs = block_costs(sizes)
    for size in sizes:
        gas, stored = costs[size]["gas"], costs[size]["stored"]
        figures += [
            _fig("l1_gas_per_block", f"block of {size:,} txs", "gas", gas, f"block_gas.{size}",
                 "submit_block's receipt: the root, its time and L1 block stored, the counter moved"),
            _fig("l1_gas_per_tx", f"block of {size:,} txs", "gas/tx", round(gas / size, 2), f"gas_per_tx.{size}",
                 "the root submission's gas over the block's transactions; nothing else of them touches L1"),
            _fig("client_storage_per_block", f"block of {size:,} txs", "bytes", stored, f"storage.{size}",
                 f"Watcher.stored_bytes grew by this when it validated the block: {R.SIGNED_TX_BYTES} bytes a "
                 f"signed transaction, the {R.HASH_BYTES}-byte root, and the {R.CONFIRMATIONS_BYTES}-byte "
                 "confirmation of each transaction whose output the block spends"),
        ]

    used = call_gas()
    for call in ("deposit", "start_deposit_exit", "start_exit_1_input", "start_exit_2_inputs", "challenge_exit",
                 "finalize_per_exit"):
        note = "from its receipt"
        if call == "finalize_per_exit":
            note = (f"one finalize_exits call paying {used['finalize_exits_queue']} exits (one challenged), its "
                    "receipt's gas over them")
        elif call.startswith("start_exit"):
            note = "the exit of a spend's output: transaction, inclusion proof and confirmations checked, bonded"
        figures.append(_fig("l1_gas", call.replace("_", " "), "gas", used[call], f"gas.{call}", note))
        if call in OMG_PUBLISHED_GAS:
            source = ("PaymentStandardExitRouter.sol, the gas its initial exit bond is sized on"
                      if call == "challenge_exit" else "ExitBounty.sol, one processExit() call, its exit bounty's size")
            figures.append(_fig("l1_gas_published", f"omg plasma-contracts, {call.replace('_', ' ')}", "gas",
                                OMG_PUBLISHED_GAS[call], f"published.omg.gas.{call}",
                                f"published: omgnetwork/plasma-contracts (OMG Network), {source}; approximate"))

    counts = (100, 300) if quick else (100, 300, 1_000, 3_000, 10_000)
    drains = [mass_exit(n) for n in counts]
    for d in drains:
        wl = f"{d['users']:,} users"
        full_blocks = -(-d["start_gas"] // d["gas_limit"])
        figures += [
            _fig("exits_started", wl, "exits", d["exits"], f"mass_exit.exits.{d['users']}",
                 f"{d['honest_exits']:,} honest (each user every output it holds) and the thief's"),
            _fig("l1_blocks_to_start_exits", wl, "blocks", d["start_blocks"], f"mass_exit.start_blocks.{d['users']}",
                 f"packed to the {d['gas_limit']:,} gas limit by the L1's own block building (the gas alone needs "
                 f"{full_blocks}); "
                 f"{d['start_blocks'] / BENCH.exit_period_blocks:.1%} of this run's exit period, "
                 f"{d['start_blocks'] / MAINNET.exit_period_blocks:.3%} of mainnet's week, on an otherwise empty L1"),
            _fig("l1_gas_to_start_exits", wl, "gas", d["start_gas"], f"mass_exit.start_gas.{d['users']}",
                 f"{d['start_gas'] // d['exits']:,} gas an exit"),
            _fig("l1_blocks_to_finalize", wl, "blocks", d["finalize_blocks"],
                 f"mass_exit.finalize_blocks.{d['users']}",
                 f"{d['finalize_calls']} finalize_exits calls of up to {MAX_FINALIZE_PER_CALL} exits, the dearest "
                 f"{d['finalize_call_gas']:,} gas"),
            _fig("l1_gas_to_finalize", wl, "gas", d["finalize_gas"], f"mass_exit.finalize_gas.{d['users']}",
                 f"{d['finalize_gas'] // d['exits']:,} gas an exit: the exit queue's heap deepens with the exits"),
            _fig("drain_time", wl, "s", round(d["start_seconds"] + d["finalize_seconds"], 2),
                 f"mass_exit.seconds.{d['users']}",
                 f"the toy L1 taking, executing and mining every exit ({d['start_seconds']:.2f} s) and finalize "
                 f"call ({d['finalize_seconds']:.2f} s); users' signing excluded; setup {d['setup_seconds']:.2f} s"),
            _fig("base_fee_rise", wl, "x", round(d["base_fee_rise"], 2), f"mass_exit.base_fee_rise.{d['users']}",
                 "the next L1 block's base fee once every exit started, over the first exit block's: up to 12.5% a "
                 "block above half full (EIP-1559)"),
            _fig("max_l1_block_gas", wl, "gas", d["max_block_gas"], f"mass_exit.max_block_gas.{d['users']}",
                 f"the fullest L1 block of the drain; the limit is {d['gas_limit']:,}"),
            _fig("honest_exits_paid_in_full", wl, "exits", d["paid_in_full"], f"mass_exit.paid_in_full.{d['users']}",
                 f"of {d['honest_exits']:,}: amount and bond back"),
            _fig("exits_paid_before_thief", wl, "exits", d["paid_before_thief"],
                 f"mass_exit.paid_before_thief.{d['users']}",
                 "exits finalized before the thief's, though it started first: older outputs are paid first"),
            _fig("thief_paid", wl, "wei", d["thief_paid"], f"mass_exit.thief_paid.{d['users']}",
                 f"its exit of {d['thief_amount']:,} stolen wei, paid last, from what was left: its bond is {BOND:,}"),
            _fig("contract_balance_left", wl, "wei", d["contract_left"], f"mass_exit.contract_left.{d['users']}",
                 "the root chain's balance once the queue is empty"),
        ]
    biggest = drains[-1]
    per_user = biggest["start_gas"] / biggest["users"]
    figures.append(_fig("users_per_exit_period", "mainnet's one-week period, whole L1", "users",
                        int(MAINNET.exit_period_blocks * biggest["gas_limit"] // per_user),
                        "mass_exit.users_per_week",
                        f"derived, not measured: {MAINNET.exit_period_blocks:,} blocks of "
                        f"{biggest['gas_limit']:,} gas over the {per_user:,.0f} gas a user's exits took to start at "
                        f"{biggest['users']:,} users, if nothing else used L1"))
    return figures
