"""The zk-rollup operator under crashes, a dying prover and L1 reorganisations: nothing acknowledged is lost.

Each scenario ends with the same check: a full node rebuilt from L1 alone
reaches the contract's state root, and so does the operator's own node.
Proofs are real (a few seconds each), so the scenarios share deployments
where they can and prove in-process (``worker=False``) where the worker is
not what is tested.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contracts_spec.zk import float40
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.params import SMALL
from contracts_spec.zk.rules import OpRefused, Transfer, Withdraw, sign
from node.chain import Chain
from node.rpc import in_process_l1
from primitives.secp256k1 import private_key_to_address
from rollup.zk.fullnode import ZkFullNode
from rollup.zk.lab import ZkLab
from rollup.zk.operator import LogWriteError, ZkOperator
from rollup.zk.prover import BatchProver

ETH = 10**18
NAMES = ("operator", "alice", "bob", "carol", "mallory")
KEYS = {name: bytes([i + 31]) * 32 for i, name in enumerate(NAMES)}
ALLOC = {private_key_to_address(k): 1000 * ETH for k in KEYS.values()}
ROOT = Path(__file__).resolve().parent.parent
PROVER = BatchProver(SMALL)


def new_lab(data_dir: Path | None = None) -> tuple[Chain, ZkLab]:
    chain = Chain(genesis_alloc=ALLOC, data_dir=data_dir)
    return chain, ZkLab(in_process_l1(chain), KEYS, preset=SMALL, prover=PROVER)


def operator(lab: ZkLab, log: Path | None = None, *, worker: bool = False) -> ZkOperator:
    return ZkOperator(lab.l1, lab.address, SMALL, KEYS["operator"], PROVER, log_path=log, worker=worker)


def transfer(lab: ZkLab, sender: str, recipient: int, amount: int, nonce: int) -> Transfer:
    op = sign(Transfer(lab.index(sender), recipient, float40.pack(amount), nonce), lab.l2_keys[sender], lab.domain,
              SMALL.depth_bits, lab.key_of(recipient) or (0, 0))
    assert isinstance(op, Transfer)
    return op


def withdraw(lab: ZkLab, sender: str, amount: int, nonce: int) -> Withdraw:
    op = sign(Withdraw(lab.index(sender), amount, lab.eth_address(sender), nonce), lab.l2_keys[sender], lab.domain,
              SMALL.depth_bits)
    assert isinstance(op, Withdraw)
    return op


def assert_roots_agree(lab: ZkLab, *operators: ZkOperator) -> None:
    """A full node from L1 alone, and each operator's own node, stand at the contract's root."""
    node = ZkFullNode(lab.l1, lab.address, SMALL)
    node.sync()
    root = lab.call("state_root")
    assert node.state.root == root
    for op in operators:
        op.sync()
        assert op.state.root == root


def balances(lab: ZkLab) -> dict[str, int]:
    node = ZkFullNode(lab.l1, lab.address, SMALL)
    node.sync()
    out = {}
    for name in ("alice", "bob", "carol"):
        try:
            acct = node.state.account(lab.index(name))
        except KeyError:
            continue
        out[name] = acct.balance if acct else 0
    return out


def log_rows(path: Path) -> list[tuple]:
    import sqlite3

    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT * FROM ops ORDER BY seq").fetchall() + \
            db.execute("SELECT * FROM refused ORDER BY seq").fetchall()
    finally:
        db.close()


# -- admission ---------------------------------------------------------------------------------


def test_admission_refusals_name_the_rule_and_change_nothing(tmp_path) -> None:
    chain, lab = new_lab()
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    op = operator(lab, tmp_path / "ops.sqlite")
    try:
        # the next batch's deposits are in the pending state: alice may pay at once
        first = transfer(lab, "alice", lab.index("bob"), ETH, 0)
        assert op.submit(first) == f"{lab.index('alice')}:0"
        before = (op.pending.root, list(op.mempool), log_rows(tmp_path / "ops.sqlite"), op.refused)
        bad_sig = sign(Transfer(lab.index("alice"), lab.index("bob"), float40.pack(ETH), 1), lab.l2_keys["bob"],
                       lab.domain, SMALL.depth_bits, lab.public_key("bob"))
        cases = [
            (bad_sig, "bad signature"),
            (first, "nonce 0 for account 1: its next nonce is 1"),  # a replay
            (transfer(lab, "alice", lab.index("bob"), ETH, 5), "nonce 5"),  # a future nonce
            (transfer(lab, "alice", lab.index("bob"), 10 * ETH, 1), "cannot send"),  # an overdraft
            (transfer(lab, "alice", 9, ETH, 1), "recipient account 9 does not exist"),
            (Transfer(lab.index("alice"), lab.index("bob"), float40.pack(ETH), 1), "not signed"),
            (withdraw(lab, "bob", 3 * ETH, 0), "cannot withdraw"),
            (Withdraw(lab.index("bob"), 0, lab.eth_address("bob"), 0), "withdrawal amount 0"),
            (Transfer(300, 1, 1, 0), "out of range"),
        ]
        for bad, rule in cases:
            with pytest.raises(OpRefused, match=rule):
                op.submit(bad)
            assert (op.pending.root, list(op.mempool), log_rows(tmp_path / "ops.sqlite"), op.refused) == before
        # a log that cannot record the operation: not admitted, nothing changes
        op.log.close()
        with pytest.raises(LogWriteError):
            op.submit(transfer(lab, "alice", lab.index("bob"), ETH, 1))
        assert (op.pending.root, list(op.mempool)) == before[:2]
    finally:
        op.close()
        chain.close()


# -- crashes -----------------------------------------------------------------------------------

CHILD = r"""
import os, signal, sys
from contracts_spec.zk.params import SMALL
from node.chain import Chain
from node.rpc import in_process_l1
from rollup.zk.operator import ZkOperator, op_from_json
from rollup.zk.prover import BatchProver
import json

data_dir, address, log, key, op_json, mode = sys.argv[1:]
chain = Chain(data_dir=data_dir)
l1 = in_process_l1(chain)
prover = BatchProver(SMALL)
prover.verifying_key()
operator = ZkOperator(l1, address, SMALL, bytes.fromhex(key), prover, log_path=log, worker=False)
operator.submit(op_from_json(json.loads(op_json)))
print("admitted", flush=True)
real_prove, real_transact = operator.prove_now, l1.transact

def die():
    os.kill(os.getpid(), signal.SIGKILL)

def prove(batch):
    print("proving", flush=True)
    proved = real_prove(batch)
    if mode == "after-proof":
        die()
    return proved

def transact(*args, **kwargs):
    receipt = real_transact(*args, **kwargs)
    if mode == "during-commit" and args[3] == "commit_and_verify":
        die()  # L1 has the batch; the operator never saw the receipt
    return receipt

operator.prove_now = prove
l1.transact = transact
operator.tick()
print("committed", flush=True)
"""


@pytest.mark.parametrize("mode", ["mid-proof", "after-proof", "during-commit"])
def test_an_acknowledged_operation_survives_sigkill_of_the_operator(tmp_path, mode) -> None:
    """The operator process admits an op (acknowledged), starts a batch and is killed: a new one commits the op."""
    import json

    from rollup.zk.operator import op_to_json

    data_dir, log = tmp_path / "l1", tmp_path / "ops.sqlite"
    chain, lab = new_lab(data_dir)
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    op = transfer(lab, "alice", lab.index("bob"), 2 * ETH, 0)
    address = lab.address
    chain.close()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(data_dir), address, str(log), KEYS["operator"].hex(),
                              json.dumps(op_to_json(op)), mode], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "admitted"  # acknowledged: from here on it must not be lost
        assert child.stdout.readline().strip() == "proving"
        if mode == "mid-proof":
            time.sleep(1.0)
            child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=120) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    chain = Chain(data_dir=data_dir)
    try:
        lab.l1 = in_process_l1(chain)
        committed = lab.call("counters")[3]
        assert committed == (1 if mode == "during-commit" else 0)
        again = operator(lab, log)
        try:
            if mode == "during-commit":
                assert again.mempool == [] and again.status(f"{op.sender}:0")["status"] == "included"
            else:
                assert again.mempool == [op]  # re-admitted from the log
                assert again.wait()["status"] in (1, "0x1")
                assert again.mempool == [] and again.status(f"{op.sender}:0") == {
                    "id": f"{op.sender}:0", "status": "included", "batch": 0}
            assert lab.call("counters")[3] == 1
            assert balances(lab) == {"alice": 3 * ETH, "bob": 3 * ETH}
            assert again.refused == []
            assert_roots_agree(lab, again)
        finally:
            again.close()
    finally:
        chain.close()


# -- the proving worker ------------------------------------------------------------------------


def test_restart_while_the_worker_is_proving_and_a_dead_worker_is_replaced(tmp_path) -> None:
    chain, lab = new_lab()
    log = tmp_path / "ops.sqlite"
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    first = operator(lab, log, worker=True)
    try:
        first.submit(transfer(lab, "alice", lab.index("bob"), ETH, 0))
        assert first.tick() is None and first.progress.phase == "proving"
    finally:
        first.close()  # restarted while its worker proves: the proof is abandoned, the worker ended
    second = operator(lab, log, worker=True)
    try:
        assert len(second.mempool) == 1
        assert second.tick() is None and second.progress.phase == "proving"
        deadline = time.time() + 60
        while not second.worker_pids() and time.time() < deadline:
            time.sleep(0.05)
        for pid in second.worker_pids():
            os.kill(pid, signal.SIGKILL)  # the worker process dies mid-proof
        deadline = time.time() + 60
        while not second._job.done() and time.time() < deadline:
            time.sleep(0.05)
        assert second.tick() is None  # noticed: a new worker takes the batch again
        assert "proving failed" in second.progress.last["error"]
        assert second.progress.phase == "proving"
        receipt = second.wait(timeout=300)
        assert receipt is not None and receipt["status"] in (1, "0x1")
        assert second.mempool == [] and second.history[-1]["batch"] == 0
        assert balances(lab) == {"alice": 4 * ETH, "bob": 2 * ETH}
        assert_roots_agree(lab, second)
    finally:
        second.close()
        chain.close()


# -- operations made void, and a batch order the circuit needs ---------------------------------


def test_an_operation_made_void_by_what_l1_verified_is_dropped_with_its_reason(tmp_path) -> None:
    """Two operator processes share the key but not the log: what the other one verified voids this one's ops."""
    chain, lab = new_lab()
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    mine, other = operator(lab, tmp_path / "mine.sqlite"), operator(lab, tmp_path / "other.sqlite")
    try:
        bob = lab.index("bob")
        mine.submit(transfer(lab, "alice", bob, 4 * ETH, 0))
        mine.submit(withdraw(lab, "bob", 4 * ETH, 0))  # only payable with alice's 4 ETH
        mine.submit(withdraw(lab, "alice", ETH // 2, 1))
        other.submit(transfer(lab, "alice", bob, ETH, 0))  # alice's nonce 0, spent elsewhere
        assert other.wait()["status"] in (1, "0x1")
        mine.sync()
        reasons = [r for _, r in mine.refused]
        assert len(reasons) == 2, reasons
        assert "nonce 0 of account 1 was used by another operation in verified batch 0" in reasons[0]
        assert "cannot withdraw" in reasons[1]
        assert mine.status(f"{bob}:0")["status"] == "refused"
        late = withdraw(lab, "alice", ETH // 2, 1)
        assert mine.mempool == [late]  # alice's next nonce still follows what L1 verified: it stands
        mine.close()
        again = operator(lab, tmp_path / "mine.sqlite")  # the trace survives a restart; the rest comes back
        assert again.mempool == [late] and [r for _, r in again.refused] == reasons
        again.close()
        assert_roots_agree(lab, other)
    finally:
        other.close()
        chain.close()


def test_a_withdrawal_then_a_transfer_of_one_sender_never_stalls_the_operator() -> None:
    """The circuit runs transfers before withdrawals: the transfer whose nonce follows a withdrawal waits a batch."""
    chain, lab = new_lab()
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    op = operator(lab)
    try:
        op.submit(withdraw(lab, "alice", ETH, 0))
        op.submit(transfer(lab, "alice", lab.index("bob"), ETH, 1))
        op.submit(transfer(lab, "bob", lab.index("alice"), ETH // 2, 0))
        batch, deposits, ops = op.next_batch()
        assert (deposits, ops) == (2, 1)  # the withdrawal alone: alice's transfer would run before it
        assert op.wait()["status"] in (1, "0x1")
        assert op.wait()["status"] in (1, "0x1")
        assert op.mempool == [] and op.refused == []
        assert balances(lab) == {"alice": 7 * ETH // 2, "bob": 3 * ETH // 2}
        assert_roots_agree(lab, op)
    finally:
        op.close()
        chain.close()


# -- L1 reorganisations ------------------------------------------------------------------------


def test_a_batch_l1_drops_comes_back_to_the_mempool_and_a_remined_batch_is_readopted(tmp_path) -> None:
    chain, lab = new_lab()
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    op = operator(lab, tmp_path / "ops.sqlite")
    watcher = ZkFullNode(lab.l1, lab.address, SMALL)
    try:
        t = transfer(lab, "alice", lab.index("bob"), 2 * ETH, 0)
        op.submit(t)
        snapshot = lab.l1.rpc("evm_snapshot")
        receipt = op.wait()
        tx = lab.l1.rpc("eth_getTransactionByHash", receipt["transactionHash"])
        assert op.mempool == [] and op.status(f"{t.sender}:0")["status"] == "included"
        watcher.sync()
        assert watcher.batches == 1
        assert lab.l1.rpc("evm_revert", snapshot) is True  # L1 takes the batch back
        op.sync()
        watcher.sync()
        assert watcher.reorganisations == op.node.reorganisations == 1
        assert watcher.batches == op.node.batches == 0 and watcher.state.root == lab.call("state_root")
        assert op.mempool == [t]  # back, in its order, with the deposits in the pending state again
        assert op.pending.account(lab.index("bob")).balance == 3 * ETH
        # the same commit is mined again (a reorg's dropped transaction re-included): both re-adopt it. A
        # second later, so the block differs: one mined in the same second would be the same block again.
        lab.l1.rpc("evm_increaseTime", 1)
        again = lab.l1.transact(KEYS["operator"], lab.address, ZkRollup, "commit_and_verify",
                                _commit_data(tx["input"]))
        assert again["blockHash"] != receipt["blockHash"]
        assert op.tick() is None and op.mempool == []
        assert op.status(f"{t.sender}:0")["status"] == "included"
        watcher.sync()
        assert watcher.batches == 1 and watcher.state.root == lab.call("state_root")
        assert balances(lab) == {"alice": 3 * ETH, "bob": 3 * ETH}
        assert_roots_agree(lab, op)
    finally:
        op.close()
        chain.close()


def _commit_data(raw_input: str) -> bytes:
    from eth_abi import decode as abi_decode

    (data,) = abi_decode(["bytes"], bytes.fromhex(raw_input[2:])[4:])
    return data


def test_a_deposit_l1_drops_is_dropped_and_a_reassigned_index_is_never_paid() -> None:
    """A transfer admitted to carol's new account must not pay whoever L1 gives carol's index after a reorg."""
    chain, lab = new_lab()
    lab.deposit("alice", 5 * ETH)
    op = operator(lab)
    try:
        snapshot = lab.l1.rpc("evm_snapshot")
        lab.deposit("carol", ETH)
        carol = lab.index("carol")
        op.sync()
        t = transfer(lab, "alice", carol, ETH, 0)
        op.submit(t)  # carol's deposit is in the next batch, so alice may pay her already
        assert lab.l1.rpc("evm_revert", snapshot) is True  # carol's deposit is gone...
        lab.deposit("mallory", ETH)  # ...and L1 gives her index to mallory
        assert lab.index("mallory") == carol
        op.sync()
        assert op.mempool == []
        (dropped, reason), = op.refused
        assert dropped == t and "no longer holds the key" in reason
        assert op.pending.account(carol).key == lab.public_key("mallory")
        assert op.wait()["status"] in (1, "0x1")  # the deposits alone
        assert op.state.account(carol).balance == ETH and op.state.account(lab.index("alice")).balance == 5 * ETH
        assert_roots_agree(lab, op)
    finally:
        op.close()
        chain.close()
