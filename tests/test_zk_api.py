"""The ``/api/zk/`` routes: deposit on L1, sign with EdDSA-Poseidon, send, prove, claim; and every refusal.

One module-scoped node proves two batches in this process (``worker=False``;
each costs seconds): the deposits, then a transfer and a withdrawal. The
refusals run between them and change nothing.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from contracts_spec.l1 import L1Client
from contracts_spec.zk import keys
from contracts_spec.zk.contract import ZkRollup
from contracts_spec.zk.params import SMALL
from contracts_spec.zk.rules import Transfer, Withdraw, sign
from node.chain import Chain
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.zk.api import router
from node.server import create_app
from primitives.snark import eddsa
from rollup.zk.service import ZkService, op_json

pytestmark = pytest.mark.slow

ETH = 10**18
TOKEN = "zk-admin-token"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
DEV = derive_dev_accounts(8)
ALICE, BOB, CAROL = DEV[0], DEV[1], DEV[2]


class Node:
    def __init__(self) -> None:
        self.chain = Chain(genesis_alloc=genesis_alloc(DEV))
        self.app = create_app(self.chain, dev_keys=dev_keys(DEV), routers=[router], admin_token=TOKEN)
        self.client = TestClient(self.app)
        self.l1 = L1Client.in_process(self.app.state.dispatcher)
        self.service = ZkService.deploy(self.l1, DEV[7].private_key, SMALL, worker=False)
        self.app.state.zk = self.service

    def l2_key(self, who) -> bytes:
        return keys.derive_l2_key(who.private_key, self.l1.chain_id, self.service.address)

    def deposit(self, who, amount: int) -> dict:
        px, py = keys.registration_point(keys.public_key(self.l2_key(who)))
        return self.l1.transact(who.private_key, self.service.address, ZkRollup, "deposit", px, py, who.address,
                                value=amount)

    def signed(self, op, who=None) -> dict:
        to = self.service.operator.pending.account(op.recipient) if isinstance(op, Transfer) else None
        key = to.key if to else (0, 0)
        return op_json(sign(op, self.l2_key(who), self.service.domain, SMALL.depth_bits, key))


@pytest.fixture(scope="module")
def node():
    n = Node()
    yield n
    n.service.close()
    n.chain.close()


def _ok(r) -> dict:
    assert r.status_code == 200, r.text
    return r.json()


def _refused(r, code: int, *words: str) -> str:
    assert r.status_code == code, r.text
    detail = r.json()["detail"]
    for w in words:
        assert w in str(detail), detail
    return detail


def test_no_rollup_hosted_is_a_404() -> None:
    chain = Chain(genesis_alloc=genesis_alloc(DEV[:1]))
    client = TestClient(create_app(chain, routers=[router]))
    _refused(client.get("/api/zk/status"), 404, "no zk-rollup hosted")
    chain.close()


def test_deposits_through_l1_are_proved_and_verified(node: Node) -> None:
    c = node.client
    node.deposit(ALICE, 3 * ETH)
    node.deposit(BOB, 1 * ETH)
    a = _ok(c.get("/api/zk/accounts/1"))
    assert a["owner"] == ALICE.address and a["verified"] is False and a["queued_deposits_wei"] == str(3 * ETH)
    ax, ay = keys.public_key(node.l2_key(ALICE))
    assert a["key"] == [str(ax), str(ay)]
    assert [x["index"] for x in _ok(c.get(f"/api/zk/accounts/by-key/{ax}/{hex(ay)}"))] == [1]
    assert [x["index"] for x in _ok(c.get(f"/api/zk/accounts/by-owner/{BOB.address}"))] == [2]
    assert _ok(c.get(f"/api/zk/accounts/by-owner/{CAROL.address}")) == []

    _refused(c.post("/api/zk/batches"), 401, "admin route")  # no token
    _refused(c.post("/api/zk/tick"), 401)
    _refused(c.post("/api/zk/censor/0"), 401)
    done = _ok(c.post("/api/zk/batches", headers=ADMIN))
    assert done["batch"] == 0 and done["gas"] > 0 and done["constraints"] > 0 and done["prove_seconds"] > 0
    _refused(c.post("/api/zk/batches", headers=ADMIN), 409, "nothing to prove")

    status = _ok(c.get("/api/zk/status"))
    assert status["state_root"] == status["rebuilt_root"] and status["l1"]["batches"] == 1
    assert status["l1"]["deposits_processed"] == 2 and status["preset"] == "small"
    assert status["proving_history"][0]["batch"] == 0 and status["progress"]["phase"] == "idle"
    b = _ok(c.get("/api/zk/batches/0"))
    assert [d["account"] for d in b["deposits"]] == [1, 2] and b["transfers"] == [] and b["gas_used"] == done["gas"]
    assert b["new_root"] == status["state_root"] and b["proving"]["constraints"] == done["constraints"]
    a = _ok(c.get("/api/zk/accounts/1"))
    assert a["verified"] and a["balance"] == str(3 * ETH) and a["next_nonce"] == 0
    msg = _ok(c.get("/api/zk/key-message"))
    assert node.service.address in msg["message"] and msg["chain_id"] == node.l1.chain_id


def test_refusals_name_the_rule_and_change_nothing(node: Node) -> None:
    c = node.client
    before = _ok(c.get("/api/zk/status"))
    good = node.signed(Transfer(1, 2, 1000, 0), ALICE)
    cases = [
        (node.signed(Transfer(1, 2, 1000, 0), BOB), "bad signature"),  # signed by another key
        (node.signed(Transfer(1, 2, 1000, 1), ALICE), "nonce 1 for account 1"),  # a future nonce
        (node.signed(Transfer(1, 2, 4 * ETH // 10**9 | 9 << 35, 0), ALICE), "cannot send"),  # overdraft
        (node.signed(Transfer(1, 77, 1000, 0), ALICE), "recipient account 77 does not exist"),
        (node.signed(Transfer(77, 1, 1000, 0), ALICE), "sender account 77 does not exist"),
        (node.signed(Withdraw(1, 4 * ETH, ALICE.address.lower(), 0), ALICE), "cannot withdraw"),
        ({**good, "amount": "1001"}, "amount40"),  # amount40 says otherwise
        ({**good, "signature": {"R8": ["1", "2"], "S": "3"}}, "bad signature"),  # no curve point
    ]
    for body, words in cases:
        _refused(c.post("/api/zk/operations", json=body), 409, words)
    body = {k: v for k, v in good.items() if k != "amount40"}
    detail = _refused(c.post("/api/zk/operations", json={**body, "amount": str(123456789012345678)}), 409,
                      "cannot be packed into float40", "nearest packable amounts are 123456789010000000 or "
                      "123456789020000000")
    assert "wei" in detail
    _refused(c.post("/api/zk/message", json={**{k: v for k, v in body.items() if k != "signature"},
                                             "amount": "123456789012345678"}), 409, "nearest packable")
    malformed = [
        ([good], "JSON object"),
        ({**good, "kind": "mint"}, "field 'kind'"),
        ({**good, "fee": 1}, "unknown field(s) for a transfer: fee"),
        ({k: v for k, v in good.items() if k != "nonce"}, "field 'nonce' is required"),
        ({**good, "sender": True}, "field 'sender' must be a whole number"),
        ({**good, "sender": -1}, "field 'sender' must be in 0.."),
        ({**good, "amount": "1.5"}, "field 'amount' must be a number"),
        ({**good, "amount": 2**60}, "send larger numbers as text"),
        ({**good, "signature": "0x12"}, "field 'signature' as text"),
        ({**good, "signature": {"R8": ["1"], "S": "3"}}, "R8 must be a list of two"),
        ({**good, "signature": {"R8": ["1", "2"]}}, "field 'signature'.S is required"),
        ({**good, "kind": "withdraw", "recipient": "0x12"}, "unknown field(s) for a withdraw: amount40"),
        ({k: v for k, v in {**good, "kind": "withdraw", "recipient": "0x12"}.items() if k != "amount40"},
         "field 'recipient' must be a 0x-prefixed 20-byte address"),
    ]
    for body, words in malformed:
        _refused(c.post("/api/zk/operations", json=body), 400, words)
    r = c.post("/api/zk/operations", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code in (400, 422) and "detail" in r.json()
    _refused(c.get("/api/zk/accounts/99"), 404, "no L2 account at index 99")
    _refused(c.get("/api/zk/batches/5"), 404, "batch 5 does not exist")
    _refused(c.get("/api/zk/accounts/by-owner/0x12"), 400, "owner must be a 0x-prefixed")
    _refused(c.get("/api/zk/withdrawals/nobody"), 400, "address")
    _refused(c.get("/api/zk/exit-proof/9"), 404, "account 9 does not exist")
    _refused(c.post("/api/zk/censor/9", headers=ADMIN), 404, "no deposit 9")
    after = _ok(c.get("/api/zk/status"))
    assert (after["mempool"], after["pending_root"]) == (before["mempool"], before["pending_root"]) == (0, before["state_root"])


def test_transfer_and_withdrawal_are_proved_and_claimable_at_once(node: Node) -> None:
    c = node.client
    # A wallet that signs itself: the field element from the node, EdDSA-Poseidon over it.
    unsigned = {"kind": "transfer", "sender": 1, "recipient": 2, "amount": str(ETH), "nonce": 0}
    m = _ok(c.post("/api/zk/message", json=unsigned))
    assert m["domain"] == str(node.service.domain) and m["depth_bits"] == SMALL.depth_bits
    sig = eddsa.sign_poseidon(node.l2_key(ALICE), int(m["message"]))
    sent = _ok(c.post("/api/zk/operations", json={**unsigned, "signature": {"R8": [str(v) for v in sig.R8],
                                                                           "S": str(sig.S)}}))
    assert sent["id"] == "1:0" and sent["next_nonce"] == 1
    replay = {**unsigned, "signature": {"R8": [hex(v) for v in sig.R8], "S": str(sig.S)}}  # 0x-hex as well
    _refused(c.post("/api/zk/operations", json=replay), 409, "nonce 0 for account 1: its next nonce is 1")
    big = {**unsigned, "signature": {"R8": list(sig.R8), "S": sig.S}}  # past 2**53 a number must be text
    _refused(c.post("/api/zk/operations", json=big), 400, "R8[0] as a JSON integer", "send larger numbers as text")
    # Bob withdraws half an ETH, signed in circomlibjs' packed form.
    w = Withdraw(2, ETH // 2, BOB.address.lower(), 0)
    signed_w = sign(w, node.l2_key(BOB), node.service.domain, SMALL.depth_bits)
    body = {**op_json(w), "signature": "0x" + eddsa.pack_signature(signed_w.signature).hex()}
    _ok(c.post("/api/zk/operations", json=body))
    assert [o["sender"] for o in _ok(c.get("/api/zk/mempool"))] == [1, 2]
    assert _ok(c.get("/api/zk/accounts/1"))["pending_balance"] == str(2 * ETH)

    done = _ok(c.post("/api/zk/batches", headers=ADMIN))
    assert done["batch"] == 1
    b = _ok(c.get("/api/zk/batches/1"))
    assert b["transfers"] == [{"sender": 1, "recipient": 2, "amount40": m["amount40"], "amount": str(ETH)}]
    assert b["withdrawals"] == [{"sender": 2, "amount": str(ETH // 2), "recipient": BOB.address}]
    assert _ok(c.get("/api/zk/mempool")) == []
    assert _ok(c.get("/api/zk/accounts/2"))["balance"] == str(ETH + ETH - ETH // 2)
    owed = _ok(c.get(f"/api/zk/withdrawals/{BOB.address.lower()}"))
    assert owed["withdrawable"] == str(ETH // 2) and owed["ready"] == [{"batch": 1, "account": 2,
                                                                         "amount": str(ETH // 2)}]
    node.l1.transact(BOB.private_key, node.service.address, ZkRollup, "claim_withdrawal", BOB.address)
    owed = _ok(c.get(f"/api/zk/withdrawals/{BOB.address}"))
    assert owed["withdrawable"] == "0" and len(owed["claimed"]) == 1
    proof = _ok(c.get("/api/zk/exit-proof/1"))
    assert proof["balance"] == str(2 * ETH) and proof["exodus"] is False and len(proof["siblings"]) == 3 * SMALL.levels
    status = _ok(c.get("/api/zk/status"))
    assert [h["batch"] for h in status["proving_history"]] == [0, 1]
    # the censorship switch the exodus demo uses, against the live operator
    node.deposit(CAROL, ETH)
    assert _ok(c.post("/api/zk/censor/2", headers=ADMIN)) == {"censored": [2]}
    assert _ok(c.get("/api/zk/status"))["censored"] == [2]
    tick = _ok(c.post("/api/zk/tick", headers=ADMIN))
    assert tick["committed"] is False and tick["progress"]["phase"] == "idle"  # nothing it will process
    assert _ok(c.post("/api/zk/uncensor/2", headers=ADMIN)) == {"censored": []}
