"""``/api/plasma/``: the REST routes of the hosted child chain, honest use and every kind of bad input.

Users sign their own transactions and confirmations; the routes serve
blocks, proofs and spends that a client checks against L1. Every refusal is
the documented status (400 form, 404 absent, 409 a rule, 401 admin) with a
message naming the problem, and changes nothing.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from contracts_spec.l1 import L1Client
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import MINIMAL
from node.chain import Chain
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.plasma import OPERATOR_ACCOUNT
from node.schemes.plasma.api import router
from node.schemes.plasma.service import PlasmaService
from node.server import create_app

ETH = 10**18
DEV = derive_dev_accounts(4)
TOKEN = "api-token-" * 4
ALICE, BOB = DEV[0], DEV[1]


class World:
    def __init__(self, tmp_path) -> None:
        self.chain = Chain(genesis_alloc=genesis_alloc(DEV, 100 * ETH))
        self.app = create_app(self.chain, dev_keys=dev_keys(DEV), routers=[router], admin_token=TOKEN)
        self.l1 = L1Client.in_process(self.app.state.dispatcher)
        self.service = PlasmaService.deploy(self.l1, DEV[OPERATOR_ACCOUNT].private_key, MINIMAL, tmp_path)
        self.app.state.plasma = self.service
        self.http = TestClient(self.app)
        self.admin = TestClient(self.app, headers={"Authorization": f"Bearer {TOKEN}"})
        self.domain = R.Domain(self.l1.chain_id, self.service.address)

    def deposit(self, who, amount: int) -> int:
        self.l1.transact(who.private_key, self.service.address, RootChain, "deposit", value=amount)
        return R.encode_utxo_pos(self.l1.call(self.service.address, RootChain, "next_deposit_block") - 1, 0, 0)

    def pay(self, who, inputs, outputs) -> R.SignedTransaction:
        return R.sign_transaction(R.Transaction.spend(inputs, outputs), [who.private_key] * len(inputs), self.domain)

    def submit(self, signed: R.SignedTransaction):
        return self.http.post("/api/plasma/transactions", json={"tx": "0x" + signed.encode().hex()})

    def state(self) -> tuple:
        op = self.service.operator
        op.sync()
        return (self.chain.block_number, len(op.pending), tuple(sorted(op.view.utxos)), len(op.confirmations),
                tuple(sorted((n, b.withheld) for n, b in op.blocks.items())))


@pytest.fixture
def world(tmp_path):
    w = World(tmp_path)
    yield w
    w.service.shutdown()
    w.chain.close()


def test_pay_include_confirm_and_read_what_an_exit_and_a_challenge_need(world) -> None:
    deposit = world.deposit(ALICE, 3 * ETH)
    mine = world.http.get(f"/api/plasma/utxos/{ALICE.address}").json()
    assert mine["balance"] == str(3 * ETH) and mine["utxos"][0]["utxo_pos"] == deposit
    signed = world.pay(ALICE, [deposit], [(BOB.address, ETH), (ALICE.address, 2 * ETH)])
    r = world.submit(signed)
    assert r.status_code == 200 and r.json()["next_block"] == 1000
    ident = r.json()["id"]
    assert world.http.get(f"/api/plasma/transactions/{ident}").json()["status"] == "pending"
    assert world.http.get(f"/api/plasma/utxos/{ALICE.address}").json()["utxos"][0]["spend_pending"]
    assert world.submit(signed).json()["id"] == ident  # the same transaction again: already admitted
    world.service.tick()
    where = world.http.get(f"/api/plasma/transactions/{ident}").json()
    assert (where["status"], where["blknum"], where["txindex"]) == ("included", 1000, 0)
    assert where["output_positions"] == [10**12, 10**12 + 1]
    block = world.http.get("/api/plasma/blocks/1000").json()
    root = world.l1.call(world.service.address, RootChain, "child_block", 1000)[0]
    assert block["root"] == "0x" + root.hex() and block["transactions"][0]["id"] == ident

    proof = world.http.get(f"/api/plasma/proofs/{10**12}").json()
    assert proof["confirmations"] is None and proof["amount"] == str(ETH) and proof["owner"] == BOB.address
    sigs = R.confirmations(signed, root, [ALICE.private_key])
    # A one-input spend's single signature is its confirmation; the unused input's zero bytes are implied.
    r = world.http.post("/api/plasma/confirmations",
                        json={"id": ident, "confirmations": "0x" + sigs[:R.SIG_BYTES].hex()})
    assert r.status_code == 200, r.text
    assert world.http.get(f"/api/plasma/confirmations/{ident}").json()["confirmations"] == "0x" + sigs.hex()
    proof = world.http.get(f"/api/plasma/proofs/{10**12}").json()
    R.check_inclusion(root, signed.leaf(), 0, bytes.fromhex(proof["proof"][2:]))
    world.l1.transact(BOB.private_key, world.service.address, RootChain, "start_exit", 10**12,
                      bytes.fromhex(proof["tx"][2:]), bytes.fromhex(proof["proof"][2:]),
                      bytes.fromhex(proof["confirmations"][2:]), value=MINIMAL.exit_bond)
    spend = world.http.get(f"/api/plasma/spends/{deposit}").json()
    assert (spend["blknum"], spend["txindex"], spend["spend_pos"]) == (1000, 0, R.tx_pos(1000, 0))
    exits = world.http.get("/api/plasma/exits").json()
    assert exits["queue_length"] == 1 and exits["exits"][0]["state"] == "started"
    status = world.http.get("/api/plasma/status").json()
    assert status["operator_blocks"] == 1 and status["exit_queue"]["next"]["utxo_pos"] == 10**12
    # The operator follows L1: an exiting output cannot be spent on the child chain.
    r = world.submit(world.pay(BOB, [10**12], [(ALICE.address, ETH)]))
    assert r.status_code == 409 and "exited input" in r.json()["detail"]


def test_a_withheld_block_is_not_served_and_the_attack_routes_need_the_token(world) -> None:
    deposit = world.deposit(ALICE, ETH)
    world.submit(world.pay(ALICE, [deposit], [(BOB.address, ETH)]))
    assert world.http.post("/api/plasma/blocks", json={"withhold": True}).status_code == 401
    assert world.http.post("/api/plasma/withhold/1000").status_code == 401
    r = world.admin.post("/api/plasma/blocks", json={"withhold": True})
    assert r.status_code == 200 and r.json()["blknum"] == 1000 and r.json()["withheld"]
    r = world.http.get("/api/plasma/blocks/1000")
    assert r.status_code == 404 and "withheld" in r.json()["detail"]
    assert world.http.get(f"/api/plasma/proofs/{10**12}").status_code == 404
    assert world.http.get("/api/plasma/status").json()["withheld_blocks"] == [1000]
    r = world.admin.post("/api/plasma/blocks")
    assert r.status_code == 409 and "nothing pending" in r.json()["detail"]


def _refusals(world):
    deposit = world.deposit(ALICE, 2 * ETH)
    good = world.pay(ALICE, [deposit], [(BOB.address, ETH)])
    raw = good.encode()
    wrong_signer = world.pay(BOB, [deposit], [(BOB.address, ETH)])
    too_much = world.pay(ALICE, [deposit], [(BOB.address, 3 * ETH)])
    unknown = world.pay(ALICE, [5 * 10**12], [(BOB.address, ETH)])
    other_domain = R.sign_transaction(good.tx, [ALICE.private_key], R.Domain(world.l1.chain_id + 1,
                                                                              world.service.address))
    hexed = "0x" + raw.hex()
    return [
        ("post", "/api/plasma/transactions", {"tx": hexed[:-2]}, 400, "must be 218 bytes"),
        ("post", "/api/plasma/transactions", {"tx": "0xzz"}, 400, "must be hex text"),
        ("post", "/api/plasma/transactions", {"tx": 5}, 400, "must be hex text"),
        ("post", "/api/plasma/transactions", {}, 400, "tx is required"),
        ("post", "/api/plasma/transactions", {"tx": hexed, "extra": 1}, 400, "unknown field 'extra'"),
        ("post", "/api/plasma/transactions", [hexed], 400, "must be a JSON object"),
        ("post", "/api/plasma/transactions", {"tx": "0x" + (bytes(88) + bytes(130)).hex()}, 409, "bad output"),
        ("post", "/api/plasma/transactions", {"tx": "0x" + wrong_signer.encode().hex()}, 409, "bad signature"),
        ("post", "/api/plasma/transactions", {"tx": "0x" + other_domain.encode().hex()}, 409, "bad signature"),
        ("post", "/api/plasma/transactions", {"tx": "0x" + too_much.encode().hex()}, 409, "outputs exceed inputs"),
        ("post", "/api/plasma/transactions", {"tx": "0x" + unknown.encode().hex()}, 409, "unknown input"),
        ("post", "/api/plasma/confirmations", {"id": "0x12", "confirmations": "0x" + "00" * 65}, 400,
         "must be a transaction id"),
        ("post", "/api/plasma/confirmations", {"id": "0x" + "ab" * 32, "confirmations": "0x00"}, 400,
         "one or two 65-byte signatures"),
        ("post", "/api/plasma/confirmations", {"id": "0x" + "ab" * 32, "confirmations": "0x" + "11" * 65}, 409,
         "not included"),
        ("get", "/api/plasma/utxos/0x1234", None, 400, "owner must be a 0x-prefixed 20-byte address"),
        ("get", "/api/plasma/blocks/1001", None, 404, "deposit block"),
        ("get", "/api/plasma/blocks/9000", None, 404, "no operator block 9000"),
        ("get", "/api/plasma/blocks/0", None, 400, "blknum must be a block number"),
        ("get", "/api/plasma/transactions/0x" + "ab" * 32, None, 404, "no transaction"),
        ("get", "/api/plasma/transactions/nothex", None, 400, "must be a transaction id"),
        ("get", "/api/plasma/proofs/1000000000", None, 404, "start_deposit_exit needs no proof"),
        ("get", "/api/plasma/proofs/1000000000000", None, 404, "no served transaction"),
        ("get", "/api/plasma/proofs/0", None, 400, "utxo_pos must be in 1.."),
        ("get", "/api/plasma/spends/2", None, 404, "no output at utxo_pos 2"),
        ("get", "/api/plasma/spends/1000000000", None, 404, "no served block spends"),
        ("get", "/api/plasma/confirmations/0x" + "ab" * 32, None, 404, "no confirmation"),
        ("post", "/api/plasma/blocks", {"withhold": "yes"}, 400, "withhold must be true or false"),
        ("post", "/api/plasma/withhold/3000", None, 404, "no operator block"),
    ]


def test_every_bad_request_is_named_and_changes_nothing(world) -> None:
    for method, path, body, code, needle in _refusals(world):
        before = world.state()
        client = world.admin if path.startswith(("/api/plasma/blocks", "/api/plasma/withhold")) else world.http
        r = client.get(path) if method == "get" else client.post(path, json=body)
        assert r.status_code == code, (path, body, r.text)
        assert needle in r.json()["detail"], (path, r.json())
        assert world.state() == before, path


def test_a_node_without_plasma_answers_404_and_503_while_deploying(tmp_path) -> None:
    chain = Chain(genesis_alloc=genesis_alloc(DEV))
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[router])
    http = TestClient(app)
    r = http.get("/api/plasma/status")
    assert r.status_code == 404 and "--plasma-preset off" in r.json()["detail"]
    app.state.plasma_starting = True
    assert http.get("/api/plasma/status").status_code == 503
    chain.close()
