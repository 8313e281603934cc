"""The ``/api/optimistic/`` routes: deploy, deposit, sign typed data with a wallet, transfer, batch."""

from __future__ import annotations

import pytest
from eth_account import Account as EthAccount
from fastapi.testclient import TestClient

from contracts_spec.l1 import L1Client
from node.chain import Chain
from node.schemes.optimistic.api import router
from node.server import create_app
from primitives.secp256k1 import private_key_to_address

ETH = 10**18
KEYS = [bytes([i + 1]) * 32 for i in range(3)]
ADDRS = [private_key_to_address(k) for k in KEYS]


@pytest.fixture
def node():
    chain = Chain(genesis_alloc={a: 100 * ETH for a in ADDRS})
    app = create_app(chain, dev_keys=dict(zip(ADDRS, KEYS, strict=True)), routers=[router])
    with TestClient(app) as client:
        yield client, app
    chain.close()


def test_a_wallet_signs_typed_data_and_the_operator_batches_it(node) -> None:
    client, app = node
    assert client.get("/api/optimistic/status").status_code == 404
    r = client.post("/api/optimistic/deploy", json={"preset": "minimal"})
    assert r.status_code == 200, r.text
    rollup = r.json()["address"]
    assert r.json()["operator"] == ADDRS[0]

    from rollup.optimistic.l1view import RollupL1

    l1 = L1Client.in_process(app.state.dispatcher)
    RollupL1(l1, rollup).transact(KEYS[1], "deposit", ADDRS[1], value=3 * ETH)
    RollupL1(l1, rollup).transact(KEYS[2], "deposit", ADDRS[2], value=1 * ETH)
    alice = client.get(f"/api/optimistic/accounts/{ADDRS[1]}").json()
    assert alice == {"index": 0, "address": ADDRS[1], "balance": str(3 * ETH), "nonce": 0}

    tx = {"kind": "transfer", "from": 0, "to": 1, "amount": str(ETH), "nonce": 0}
    doc = client.post("/api/optimistic/typed-data", json=tx).json()
    signature = EthAccount.sign_typed_data(KEYS[1], full_message=doc).signature
    r = client.post("/api/optimistic/transactions", json={**tx, "signature": "0x" + bytes(signature).hex()})
    assert r.status_code == 200, r.text
    replay = client.post("/api/optimistic/transactions", json={**tx, "signature": "0x" + bytes(signature).hex()})
    assert replay.status_code == 409 and "bad nonce" in replay.json()["detail"]  # well-formed, refused

    posted = client.post("/api/optimistic/batches").json()
    assert posted["posted"] is True and posted["index"] == 0
    batch = client.get("/api/optimistic/batches/0").json()
    assert [e["kind"] for e in batch["entries"]] == ["deposit", "deposit", "transfer"]
    assert batch["final"] is False and batch["challenge_time_left"] > 0
    status = client.get("/api/optimistic/status").json()
    assert status["state_root"] == status["rebuilt_root"] == batch["post_root"]
    assert client.get("/api/optimistic/accounts/1").json()["balance"] == str(2 * ETH)


def test_bad_requests_name_the_problem(node) -> None:
    client, _ = node
    r = client.post("/api/optimistic/deploy", json={"preset": "huge"})
    assert r.status_code == 400 and "unknown preset" in r.json()["detail"]
    r = client.post("/api/optimistic/deploy", json={"operator": "0x" + "12" * 20})
    assert r.status_code == 409 and "not a dev account" in r.json()["detail"]
    client.post("/api/optimistic/deploy", json={})
    r = client.post("/api/optimistic/transactions",
                    json={"kind": "swap", "from": 0, "amount": "1", "nonce": 0, "signature": "0x" + "00" * 65})
    assert r.status_code == 400 and "'kind'" in r.json()["detail"]
    r = client.post("/api/optimistic/transactions",
                    json={"kind": "transfer", "from": 0, "to": 1, "amount": "1", "nonce": 0, "signature": "0x12"})
    assert r.status_code == 400 and "signature" in r.json()["detail"]
    r = client.post("/api/optimistic/transactions",
                    json={"kind": "transfer", "from": 0, "to": 1, "amount": "1", "nonce": 0,
                          "signature": "0x" + "11" * 65})
    assert r.status_code == 409 and "unknown account" in r.json()["detail"]
    assert client.get("/api/optimistic/accounts/7").status_code == 404
    assert client.get("/api/optimistic/batches/3").status_code == 404
    assert client.post("/api/optimistic/batches").json() == {"posted": False, "reason": "nothing pending"}
    assert client.post("/api/optimistic/attach", json={"address": "0x" + "34" * 20}).status_code == 404


def _signed(client, key: bytes, tx: dict) -> dict:
    doc = client.post("/api/optimistic/typed-data", json=tx).json()
    return {**tx, "signature": "0x" + bytes(EthAccount.sign_typed_data(key, full_message=doc).signature).hex()}


def test_a_bisection_rollup_takes_a_batch_call_logged_durably_and_recovered_on_attach(tmp_path) -> None:
    from rollup.optimistic.l1view import RollupL1

    chain = Chain(data_dir=tmp_path, genesis_alloc={a: 100 * ETH for a in ADDRS})
    app = create_app(chain, dev_keys=dict(zip(ADDRS, KEYS, strict=True)), routers=[router])
    try:
        with TestClient(app) as client:
            r = client.post("/api/optimistic/deploy", json={"preset": "minimal", "fraud_proof": "bisection"})
            assert r.status_code == 200, r.text
            assert r.json()["fraud_proof"] == "bisection" and r.json()["write_ahead_log"].startswith(str(tmp_path))
            rollup = r.json()["address"]
            l1 = L1Client.in_process(app.state.dispatcher)
            RollupL1.attach(l1, rollup).transact(KEYS[1], "deposit", ADDRS[1], value=3 * ETH)
            RollupL1.attach(l1, rollup).transact(KEYS[2], "deposit", ADDRS[2], value=1 * ETH)
            client.post("/api/optimistic/batches")
            txs = [_signed(client, KEYS[1], {"kind": "transfer", "from": 0, "to": 1, "amount": str(ETH), "nonce": n})
                   for n in range(2)]
            stale = {**txs[0]}  # nonce 0 again: refused on its own, the others still accepted
            r = client.post("/api/optimistic/transactions/batch", json=[*txs, stale])
            assert r.status_code == 200, r.text
            results = r.json()["results"]
            assert [x["accepted"] for x in results] == [True, True, False] and "bad nonce" in results[2]["reason"]

            # The operator object is replaced without posting (as after a crash); attach replays the log.
            r = client.post("/api/optimistic/attach", json={"address": rollup, "operator": ADDRS[0]})
            assert r.status_code == 200, r.text
            assert r.json()["recovered"] == {"already_on_l1": 0, "readmitted": 2, "refused": []}
            assert r.json()["pending_transactions"] == 2
            assert client.post("/api/optimistic/batches").json()["posted"] is True
            assert client.get("/api/optimistic/accounts/1").json()["balance"] == str(3 * ETH)
            assert app.state.optimistic.log is not None and len(app.state.optimistic.log) == 2  # until final
            app.state.optimistic.close()
    finally:
        chain.close()


def test_bad_batch_calls_and_deploys_change_nothing(node) -> None:
    client, _ = node
    r = client.post("/api/optimistic/deploy", json={"fraud_proof": "zk"})
    assert r.status_code == 400 and "fraud_proof" in r.json()["detail"]
    assert client.get("/api/optimistic/status").status_code == 404
    client.post("/api/optimistic/deploy", json={})
    good = {"kind": "transfer", "from": 0, "to": 1, "amount": "1", "nonce": 0, "signature": "0x" + "11" * 65}
    r = client.post("/api/optimistic/transactions/batch", json=[good, {**good, "signature": "0x12"}])
    assert r.status_code == 400 and "transaction 1" in r.json()["detail"]
    r = client.post("/api/optimistic/transactions/batch", json=[])
    assert r.status_code == 400 and "non-empty" in r.json()["detail"]
    assert client.get("/api/optimistic/status").json()["pending_transactions"] == 0


def test_a_signature_is_taken_with_or_without_0x(node) -> None:
    """eth-account 0.14 prints signatures without the 0x; the operator takes either."""
    from rollup.optimistic.l1view import RollupL1

    client, app = node
    address = client.post("/api/optimistic/deploy", json={}).json()["address"]
    rollup = RollupL1(L1Client.in_process(app.state.dispatcher), address)
    rollup.transact(KEYS[1], "deposit", ADDRS[1], value=2 * ETH)
    rollup.transact(KEYS[2], "deposit", ADDRS[2], value=ETH)
    assert client.post("/api/optimistic/batches").json()["posted"] is True
    tx = {"kind": "transfer", "from": 0, "to": 1, "amount": str(ETH), "nonce": 0}
    doc = client.post("/api/optimistic/typed-data", json=tx).json()
    bare = bytes(EthAccount.sign_typed_data(KEYS[1], full_message=doc).signature).hex()
    assert not bare.startswith("0x")
    r = client.post("/api/optimistic/transactions", json={**tx, "signature": bare})
    assert r.status_code == 200 and r.json()["accepted"] is True, r.text


def test_the_censorship_switch_is_admin_only_and_a_censoring_operator_cannot_post_past_the_deadline() -> None:
    """``POST /censor``: the operator leaves deposits out; once one is overdue its own rules refuse its batch
    (409, naming the rule) until someone forces the deposit in; ``/uncensor`` takes them in again."""
    from rollup.optimistic.fullnode import force_deposits
    from rollup.optimistic.l1view import RollupL1

    chain = Chain(genesis_alloc={a: 100 * ETH for a in ADDRS})
    app = create_app(chain, dev_keys=dict(zip(ADDRS, KEYS, strict=True)), routers=[router], admin_token="t")
    admin = {"Authorization": "Bearer t"}
    with TestClient(app) as client:
        assert client.post("/api/optimistic/deploy", json={"preset": "minimal"}, headers=admin).status_code == 200
        l1 = L1Client.in_process(app.state.dispatcher)
        rollup = RollupL1.attach(l1, client.get("/api/optimistic/status").json()["address"])
        rollup.transact(KEYS[1], "deposit", ADDRS[1], value=2 * ETH)
        assert client.post("/api/optimistic/batches", headers=admin).json()["posted"] is True
        assert client.post("/api/optimistic/censor").status_code == 401  # no token: nothing changes
        assert client.get("/api/optimistic/status").json()["censoring_deposits"] is False
        r = client.post("/api/optimistic/censor", headers=admin)
        assert r.status_code == 200 and r.json()["censoring_deposits"] is True
        rollup.transact(KEYS[2], "deposit", ADDRS[2], value=ETH)
        withdrawal = _signed(client, KEYS[1], {"kind": "withdraw", "from": 0, "recipient": ADDRS[1],
                                               "amount": str(ETH), "nonce": 0})
        assert client.post("/api/optimistic/transactions", json=withdrawal).status_code == 200
        assert client.get("/api/optimistic/status").json()["pending_transactions"] == 1  # the deposit left out
        l1.mine(6)
        l1.increase_time(61)
        assert rollup.call("is_overdue", 1)
        r = client.post("/api/optimistic/batches", headers=admin)
        assert r.status_code == 409 and "deposit 1 is overdue" in r.json()["detail"]
        assert rollup.call("batch_count") == 1
        force_deposits(rollup, KEYS[2])  # anyone bonded may
        status = client.get("/api/optimistic/status").json()
        assert status["batch_count"] == 2 and status["deposits_included"] == 2
        assert client.post("/api/optimistic/batches", headers=admin).json()["posted"] is True  # the withdrawal
        assert client.get(f"/api/optimistic/accounts/{ADDRS[1]}").json()["balance"] == str(ETH)
        r = client.post("/api/optimistic/uncensor", headers=admin)
        assert r.status_code == 200 and r.json()["censoring_deposits"] is False
        rollup.transact(KEYS[2], "deposit", ADDRS[2], value=ETH)
        assert client.post("/api/optimistic/batches", headers=admin).json()["posted"] is True
        assert client.get(f"/api/optimistic/accounts/{ADDRS[2]}").json()["balance"] == str(2 * ETH)
    chain.close()
