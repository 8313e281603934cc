"""Admission moves with the write-ahead log: a chunk the log cannot record leaves no trace in the operator."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest
from eth_account import Account as EthAccount
from fastapi.testclient import TestClient

from contracts_spec.l1 import L1Client
from contracts_spec.optimistic.encoding import ENTRY_SIZE, HEADER_SIZE, KIND_TRANSFER
from contracts_spec.optimistic.params import MINIMAL
from contracts_spec.optimistic.rules import Transfer, Withdraw
from node.chain import Chain
from node.rpc import in_process_l1
from node.schemes.optimistic.api import router
from node.server import create_app
from primitives.secp256k1 import private_key_to_address
from rollup.optimistic.fullnode import FullNode
from rollup.optimistic.lab import OptimisticLab
from rollup.optimistic.operator import NotLogged, Operator
from rollup.optimistic.service import NotAccepted, OptimisticService
from rollup.optimistic.wal import AcceptLog, LogWriteError

ETH = 10**18
NAMES = ("operator", "challenger", "alice", "bob")
KEYS = {name: bytes([i + 1]) * 32 for i, name in enumerate(NAMES)}


class FailingLog(AcceptLog):
    """A log whose append calls numbered in ``failing`` (1-based) fail as a full disk would."""

    def __init__(self, path, failing: set[int]) -> None:
        super().__init__(path)
        self.failing = failing
        self.calls = 0

    def append(self, txs: Sequence[Transfer | Withdraw]) -> None:
        self.calls += 1
        if self.calls in self.failing:
            raise LogWriteError(f"write-ahead log {self.path}: database or disk is full")
        super().append(txs)


@pytest.fixture
def lab() -> OptimisticLab:
    chain = Chain(genesis_alloc={private_key_to_address(k): 1000 * ETH for k in KEYS.values()})
    lab = OptimisticLab(in_process_l1(chain), KEYS, preset=MINIMAL)
    lab.deposit("alice", 5 * ETH)
    lab.deposit("bob", ETH)
    lab.submit_batch()
    return lab


def operator_with(lab: OptimisticLab, log: AcceptLog) -> Operator:
    operator = Operator(lab.rollup, lab.keys["operator"], log=log)
    operator.recover()
    return operator


def snapshot(operator: Operator) -> tuple:
    """Everything admission derives: state, pending list, byte count, deposits, age, posted batches."""
    seq = operator.sequencer
    return (seq.state.root, dict(seq.state.accounts), dict(seq.state.index_of),
            [(p.tx, p.writes, p.withdrawal_leaf) for p in seq.pending], seq.pending_bytes,
            seq.next_deposit, seq.batch_first_deposit, operator._first_pending_time, len(operator.posted))


def nonces(operator: Operator) -> dict[int, int]:
    return {i: a.nonce for i, a in operator.state.accounts.items()}


def replayed_balances(lab: OptimisticLab) -> dict[int, int]:
    """Balances a full node rebuilds from L1 alone; it must find no fault."""
    node = FullNode(lab.rollup)
    node.sync()
    assert node.faults() == []
    return {i: node.state.balance(i) for i in (0, 1)}


def test_a_failed_log_write_refuses_the_call_and_leaves_no_trace(lab, tmp_path) -> None:
    operator = operator_with(lab, FailingLog(tmp_path / "wal.sqlite", failing={2}))
    alice = lab.wallets["alice"]
    assert operator.submit([alice.transfer(0, 1, ETH, 0)]) == [None]  # pending before the failure
    before, before_nonces = snapshot(operator), nonces(operator)

    doomed = [alice.transfer(0, 1, ETH, 1), alice.withdraw(0, alice.address, ETH, 2)]
    with pytest.raises(NotLogged, match="disk is full") as info:
        operator.submit(doomed)
    assert info.value.results == []
    assert snapshot(operator) == before and nonces(operator) == before_nonces
    assert [t for _, t in operator.log.entries()] == [p.tx for p in operator.sequencer.pending]

    # The same transactions go through once the log writes again: their nonces were never spent.
    assert operator.submit(doomed) == [None, None]
    assert operator.post_batch() is not None
    assert len(operator.log) == 3  # kept until their batch is final on L1
    assert replayed_balances(lab) == {0: 5 * ETH - 3 * ETH, 1: 3 * ETH}


def test_a_closed_log_is_a_log_write_error_and_changes_nothing(lab, tmp_path) -> None:
    log = AcceptLog(tmp_path / "wal.sqlite")
    operator = operator_with(lab, log)
    before = snapshot(operator)
    log.close()
    with pytest.raises(NotLogged, match="closed database") as info:
        operator.submit([lab.wallets["alice"].transfer(0, 1, ETH, 0)])
    assert isinstance(info.value.__cause__, LogWriteError)
    assert snapshot(operator) == before
    assert operator.tick() is None  # nothing pending, nothing aged


def test_a_multi_chunk_call_keeps_the_chunks_logged_before_the_failure(lab, tmp_path) -> None:
    operator = operator_with(lab, FailingLog(tmp_path / "wal.sqlite", failing={2}))
    # Room for two transfers per batch, so four transfers are two chunks with a cut between them.
    small = HEADER_SIZE + 2 * max(ENTRY_SIZE.values())
    operator.params = dataclasses.replace(operator.params, max_batch_bytes=small)
    operator.sequencer.max_batch_bytes = small
    alice = lab.wallets["alice"]
    txs = [alice.transfer(0, 1, ETH, n) for n in range(4)]

    with pytest.raises(NotLogged, match="transactions 2..3 of 4 were not admitted") as info:
        operator.submit(txs)
    assert info.value.results == [None, None]
    # The first chunk stays: logged, then cut into a full batch when the second found no room.
    assert operator.batch_full
    assert [e.tx for e in operator.ready[-1].batch.entries] == txs[:2]
    assert len(operator.log) == 2  # not on L1 yet: still in the log
    seq = operator.sequencer
    assert (seq.pending, seq.pending_bytes, nonces(operator)[0]) == ([], HEADER_SIZE, 2)
    assert operator._first_pending_time is None
    operator.tick()  # the timer posts the full batch
    assert [e.tx for e in operator.posted[-1].sealed.batch.entries] == txs[:2]
    assert len(operator.log) == 2  # on L1, kept until final

    assert operator.submit(txs[2:]) == [None, None]
    assert seq.pending_bytes == HEADER_SIZE + 2 * ENTRY_SIZE[KIND_TRANSFER]
    assert operator.post_batch() is not None
    assert len(operator.log) == 4
    assert replayed_balances(lab) == {0: ETH, 1: 5 * ETH}
    lab.finalize()
    operator.tick()
    assert len(operator.log) == 0  # final: forgotten


def test_sequencer_roll_back_undoes_deposits_and_refuses_a_stale_mark(lab) -> None:
    seq = lab.operator.sequencer
    state = seq.state
    accounts, index_of = dict(state.accounts), dict(state.index_of)
    mark = seq.mark()
    newcomer = bytes([7]) * 20
    seq.add_deposit(seq.next_deposit, newcomer, ETH)  # creates an account
    seq.add_deposit(seq.next_deposit, state.get_account(0).address, ETH)  # tops one up
    dropped = seq.roll_back(mark)
    assert [d.amount for d in dropped] == [ETH, ETH]
    assert (state.accounts, state.index_of) == (accounts, index_of)
    assert (seq.pending, seq.next_deposit, seq.pending_bytes) == ([], mark.next_deposit, mark.pending_bytes)

    seq.add_deposit(seq.next_deposit, newcomer, ETH)
    seq.cut_batch()
    with pytest.raises(ValueError, match="already cut or reset"):
        seq.roll_back(mark)


def _signed(client: TestClient, key: bytes, tx: dict) -> dict:
    doc = client.post("/api/optimistic/typed-data", json=tx).json()
    return {**tx, "signature": "0x" + bytes(EthAccount.sign_typed_data(key, full_message=doc).signature).hex()}


def test_rest_answers_a_log_failure_as_a_refusal_naming_it(tmp_path) -> None:
    keys = list(KEYS.values())
    addrs = [private_key_to_address(k) for k in keys]
    chain = Chain(data_dir=tmp_path, genesis_alloc={a: 100 * ETH for a in addrs})
    app = create_app(chain, dev_keys=dict(zip(addrs, keys, strict=True)), routers=[router])
    try:
        with TestClient(app) as client:
            rollup = client.post("/api/optimistic/deploy", json={"preset": "minimal"}).json()["address"]
            from rollup.optimistic.l1view import RollupL1

            view = RollupL1.attach(L1Client.in_process(app.state.dispatcher), rollup)
            for i in (2, 3):
                view.transact(keys[i], "deposit", addrs[i], value=3 * ETH)
            assert client.post("/api/optimistic/batches").json()["posted"] is True
            service: OptimisticService = app.state.optimistic
            tx = _signed(client, keys[2], {"kind": "transfer", "from": 0, "to": 1, "amount": "1", "nonce": 0})
            service.log.close()
            for path, body in (("/api/optimistic/transactions", tx), ("/api/optimistic/transactions/batch", [tx])):
                r = client.post(path, json=body)
                assert r.status_code == 503, r.text  # the server could not log it: retry later
                assert "not accepted" in r.json()["detail"] and "closed database" in r.json()["detail"]
            assert client.get("/api/optimistic/status").json()["pending_transactions"] == 0
            assert client.get("/api/optimistic/accounts/0").json()["nonce"] == 0
            with pytest.raises(NotAccepted):
                service.submit(tx)
    finally:
        chain.close()
