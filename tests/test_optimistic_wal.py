"""Nothing accepted is ever lost: the operator's write-ahead log survives a kill and is replayed on start."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from contracts_spec.optimistic.params import MINIMAL
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import FullNode
from rollup.optimistic.l1view import RollupL1
from rollup.optimistic.lab import OptimisticLab
from rollup.optimistic.operator import Operator
from rollup.optimistic.service import OptimisticService, wal_path
from rollup.optimistic.wal import AcceptLog

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}

# The child deploys a rollup on a persistent L1, funds Alice and Bob, gets four
# transactions accepted through the service and is killed before any is posted.
CHILD = textwrap.dedent("""
    import json, os, signal, sys
    from contracts_spec.optimistic.params import MINIMAL
    from node.chain import Chain
    from node.rpc import in_process_l1
    from rollup.optimistic.client import Wallet
    from rollup.optimistic.service import OptimisticService, tx_json

    data_dir, keys = sys.argv[1], {k: bytes.fromhex(v) for k, v in json.loads(sys.argv[2]).items()}
    ETH = 10**18
    l1 = in_process_l1(Chain(data_dir=os.path.join(data_dir, "l1")))
    service = OptimisticService.deploy(l1, keys["operator"], MINIMAL, data_dir=data_dir)
    service.operator.max_batch_age = 10**6  # nothing is posted by age before the kill
    rollup = service.rollup
    for name in ("alice", "bob"):
        w = Wallet(keys[name], l1.chain_id, rollup.address)
        rollup.transact(keys[name], "deposit", w.address, value=5 * ETH)
    assert service.post_batch()["posted"]
    alice = Wallet(keys["alice"], l1.chain_id, rollup.address)
    bob = Wallet(keys["bob"], l1.chain_id, rollup.address)
    txs = [alice.transfer(0, 1, ETH, 0), alice.transfer(0, 1, ETH, 1), bob.transfer(1, 0, ETH // 2, 0),
           alice.withdraw(0, alice.address, ETH // 4, 2)]
    for tx in txs:
        assert service.submit(tx_json(tx))["accepted"]
    print(json.dumps({"rollup": rollup.address}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def l2_balances(rollup: RollupL1) -> dict[int, int]:
    node = FullNode(rollup)
    node.sync()
    assert node.faults() == []
    return {i: node.state.balance(i) for i in (0, 1)}


def test_transactions_accepted_before_a_sigkill_all_land_in_a_batch(tmp_path) -> None:
    genesis = {private_key_to_address(k): 100 * ETH for k in KEYS.values()}
    Chain(data_dir=tmp_path / "l1", genesis_alloc=genesis).close()
    keys = json.dumps({k: v.hex() for k, v in KEYS.items()})
    child = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path), keys],
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, child.stderr
    address = json.loads(child.stdout.strip().splitlines()[-1])["rollup"]

    chain = Chain(data_dir=tmp_path / "l1")
    try:
        l1 = in_process_l1(chain)
        service = OptimisticService(l1, address, KEYS["operator"], data_dir=tmp_path)
        assert service.recovery is not None
        assert (service.recovery.already_on_l1, service.recovery.readmitted) == (0, 4)
        assert service.recovery.refused == []
        assert service.status()["recovered"]["readmitted"] == 4
        assert service.post_batch()["posted"]
        assert len(service.log) == 4  # on L1, not final: an L1 reorganisation could still take them back
        l1.increase_time(MINIMAL.challenge_window + 1)
        l1.mine()
        service.tick()
        assert len(service.log) == 0  # final on L1: the log forgot them
        assert service.rollup.call("batch_count") == 2
        assert l2_balances(service.rollup) == {0: 5 * ETH - 2 * ETH + ETH // 2 - ETH // 4,
                                               1: 5 * ETH + 2 * ETH - ETH // 2}
        service.close()
    finally:
        chain.close()


@pytest.fixture
def lab() -> OptimisticLab:
    chain = Chain(genesis_alloc={private_key_to_address(k): 1000 * ETH for k in KEYS.values()})
    lab = OptimisticLab(in_process_l1(chain), KEYS, preset=MINIMAL)
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    lab.submit_batch()
    return lab


def logged_operator(lab: OptimisticLab, path) -> Operator:
    """An operator of ``lab``'s rollup whose log lives at ``path``, recovered from it."""
    operator = Operator(lab.rollup, lab.keys["operator"], log=AcceptLog(path))
    operator.recover()
    return operator


def test_an_operator_dropped_without_shutdown_is_reborn_with_its_mempool_in_order(lab, tmp_path) -> None:
    path = tmp_path / "wal.sqlite"
    first = logged_operator(lab, path)
    alice = lab.wallets["alice"]
    txs = [alice.transfer(0, 1, ETH, n) for n in range(3)]
    assert first.submit(txs) == [None] * 3
    del first  # no clean shutdown: the log is all that remains

    reborn = Operator(lab.rollup, lab.keys["operator"], log=AcceptLog(path))
    recovery = reborn.recover()
    assert (recovery.already_on_l1, recovery.readmitted, recovery.refused) == (0, 3, [])
    assert [p.tx for p in reborn.sequencer.pending] == txs  # original order, so nonces 0, 1, 2 pass
    reborn.post_batch()
    assert l2_balances(lab.rollup) == {0: 2 * ETH, 1: 4 * ETH}


def test_logged_transactions_already_on_l1_are_dropped_not_replayed(lab, tmp_path) -> None:
    path = tmp_path / "wal.sqlite"
    first = logged_operator(lab, path)
    txs = [lab.wallets["alice"].transfer(0, 1, ETH, n) for n in range(2)]
    first.submit(txs)
    first.post_batch()
    first.log.append(txs)  # as if killed after L1 took the batch but before the log forgot it

    recovery = Operator(lab.rollup, lab.keys["operator"], log=AcceptLog(path)).recover()
    assert (recovery.already_on_l1, recovery.readmitted, recovery.refused) == (2, 0, [])
    assert len(AcceptLog(path)) == 0
    assert l2_balances(lab.rollup) == {0: 3 * ETH, 1: 3 * ETH}


def test_a_logged_transaction_that_became_invalid_is_reported_and_kept(lab, tmp_path) -> None:
    path = tmp_path / "wal.sqlite"
    first = logged_operator(lab, path)
    alice = lab.wallets["alice"]
    first.submit([alice.transfer(0, 1, ETH, 0)])
    first.post_batch()
    stale = alice.transfer(0, 1, 2 * ETH, 0)  # nonce 0 is spent on L1 by another transfer
    good = alice.transfer(0, 1, ETH, 1)
    first.log.append([stale, good])
    del first

    reborn = Operator(lab.rollup, lab.keys["operator"], log=AcceptLog(path))
    recovery = reborn.recover()
    assert recovery.readmitted == 1
    ((tx, reason),) = recovery.refused
    assert tx == stale and "bad nonce" in reason
    assert reborn.log.refused() == [(stale, reason)]  # kept on disk, out of the mempool
    assert [t for _, t in reborn.log.entries()] == [good]  # still pending, still logged


def test_bad_log_use_is_refused_with_a_reason(lab, tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        AcceptLog(tmp_path / "missing" / "wal.sqlite")
    with pytest.raises(ValueError, match="no write-ahead log"):
        lab.operator.recover()
    assert wal_path(tmp_path, "0xABCD").endswith("optimistic-0xabcd-wal.sqlite")
