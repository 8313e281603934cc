"""REST under ``/api/channels/``: hosted peers open, fund, pay (direct and routed), withdraw, settle
cooperatively, close and settle.

Every refusal is checked twice: the answer names the problem (400 for a body
off its form, 404 for an unknown peer, 409 for what the rules or L1 refuse),
and nothing changed: no peer's state, no log, no block.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from channels import codec
from contracts_spec.channels.params import MINIMAL
from contracts_spec.l1 import L1Client
from node.chain import Chain
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.channels import PEER_ACCOUNTS
from node.schemes.channels.api import router
from node.schemes.channels.service import ChannelService
from node.server import create_app

ETH = 10**18
DEV = derive_dev_accounts(7)
TOKEN = "channels-token-" * 3
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def new_node(tmp_path, hosting: bool = True):
    chain = Chain(genesis_alloc=genesis_alloc(DEV, 100 * ETH))
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[router], admin_token=TOKEN)
    if hosting:
        l1 = L1Client.in_process(app.state.dispatcher)
        app.state.channels = ChannelService.deploy(l1, DEV[3].private_key, MINIMAL,
                                                   {i: DEV[i].private_key for i in PEER_ACCOUNTS}, tmp_path)
    return chain, app, TestClient(app)


@pytest.fixture
def node(tmp_path):
    chain, app, client = new_node(tmp_path)
    yield chain, app.state.channels, client
    app.state.channels.shutdown()
    chain.close()


def snapshot(chain: Chain, service: ChannelService) -> tuple:
    return (chain.block_number, tuple(codec.dumps(p.state) for p in service.peers.values()),
            tuple(len(p.log) for p in service.peers.values()))


def ok(client: TestClient, path: str, body: dict) -> dict:
    r = client.post(f"/api/channels/{path}", json=body)
    assert r.status_code == 200, r.text
    return r.json()


def refused(node, path: str, body: object, code: int, words: str) -> str:
    chain, service, client = node
    before = snapshot(chain, service)
    r = client.post(f"/api/channels/{path}", json=body)
    assert r.status_code == code, r.text
    detail = r.json()["detail"]
    assert words in str(detail), detail
    assert snapshot(chain, service) == before
    return detail


def line(client: TestClient) -> None:
    """Channels 3-4, 4-5, 5-6, each funded with 10 ETH by its first participant."""
    for a, b in ((3, 4), (4, 5), (5, 6)):
        ok(client, "open", {"peer": a, "partner": b, "deposit": str(10 * ETH)})


def test_open_deposit_and_direct_payments_both_ways(node) -> None:
    _, service, client = node
    opened = ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(5 * ETH)})
    assert opened["status"] == "opened" and opened["deposit"] == str(5 * ETH)
    assert [t["call"] for t in opened["l1_transactions"]] == ["open_channel", "set_total_deposit"]
    funded = ok(client, "deposit", {"peer": 4, "partner": 3, "amount": 2 * ETH})
    assert funded["deposit"] == str(2 * ETH) and funded["partner_deposit"] == str(5 * ETH)
    for _ in range(5):
        paid = ok(client, "pay", {"peer": 3, "target": 4, "amount": str(ETH // 10)})
        assert paid["mode"] == "direct" and paid["status"] == "succeeded" and paid["l1_transactions"] == []
    ok(client, "pay", {"peer": DEV[4].address, "target": DEV[3].address, "amount": "0x" + (ETH // 4).to_bytes(8, "big").hex()})
    me = client.get("/api/channels/peers/3").json()
    [channel] = me["channels"]
    assert channel["balance"] == str(5 * ETH - ETH // 2 + ETH // 4)
    assert channel["partner_balance"] == str(2 * ETH + ETH // 2 - ETH // 4)
    assert client.get(f"/api/channels/peers/{DEV[4].address}").json()["account"] == 4
    listed = client.get("/api/channels/channels").json()
    assert len(listed) == 1 and listed[0]["account"] == 3
    status = client.get("/api/channels/status").json()
    assert status["adjudicator"] == service.adjudicator and status["deposits_held_wei"] == str(7 * ETH)
    assert [p["account"] for p in status["peers"]] == list(PEER_ACCOUNTS)


def test_a_routed_payment_crosses_three_hops(node) -> None:
    _, _, client = node
    line(client)
    paid = ok(client, "pay", {"peer": 3, "target": 6, "amount": str(2 * ETH)})
    assert paid["mode"] == "mediated" and paid["status"] == "succeeded" and len(paid["route"]) == 4
    for a, b in ((3, 4), (4, 5), (5, 6)):
        [c] = [c for c in client.get(f"/api/channels/peers/{a}").json()["channels"]
               if c["partner"] == DEV[b].address]
        assert (c["balance"], c["partner_balance"], c["locked"]) == (str(8 * ETH), str(2 * ETH), "0")


def test_close_then_settle_after_the_window(node) -> None:
    chain, service, client = node
    ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(5 * ETH)})
    ok(client, "pay", {"peer": 3, "target": 4, "amount": str(ETH)})
    closed = ok(client, "close", {"peer": 3, "partner": 4})
    assert closed["status"] == "closed" and [t["call"] for t in closed["l1_transactions"]][0] == "close_channel"
    detail = refused(node, "settle", {"peer": 4, "partner": 3}, 409, "settlement window open")
    assert f"after block {closed['settle_block']}" in detail
    refused(node, "close", {"peer": 4, "partner": 3}, 409, "already closed")
    refused(node, "pay", {"peer": 3, "target": 4, "amount": "1", "mode": "direct"}, 409, "no open channel")
    chain.increase_time(MINIMAL.settle_seconds(MINIMAL.default_settle_timeout) + 1)
    chain.mine(MINIMAL.default_settle_timeout + 1)
    settled = ok(client, "settle", {"peer": 4, "partner": 3})
    assert settled["status"] == "settled"
    assert service.l1.balance(service.adjudicator) == 0
    me = client.get("/api/channels/peers/4").json()
    assert me["in_channels"] == "0" and int(me["l1_balance"]) > 100 * ETH  # the 1 ETH paid is on L1 now
    again = ok(client, "settle", {"peer": 3, "partner": 4})
    assert again["already_settled"] is True and again["l1_transactions"] == []


def test_withdraw_keeps_the_channel_open_and_brings_the_amount_to_l1(node) -> None:
    _, service, client = node
    ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(5 * ETH)})
    ok(client, "pay", {"peer": 3, "target": 4, "amount": str(ETH)})
    out = ok(client, "withdraw", {"peer": 3, "partner": 4, "amount": str(2 * ETH)})
    assert out["status"] == "opened" and out["withdrawn"] == str(2 * ETH) and out["balance"] == str(2 * ETH)
    assert [t["call"] for t in out["l1_transactions"]] == ["set_total_withdraw"]
    assert 0 < 2 * ETH - int(out["l1_balance_change"]) < 10**16  # the amount, less the gas
    assert service.l1.balance(service.adjudicator) == 3 * ETH
    paid = ok(client, "withdraw", {"peer": 4, "partner": DEV[3].address, "amount": ETH // 2})
    assert paid["withdrawn"] == str(ETH // 2) and paid["partner_withdrawn"] == str(2 * ETH)
    ok(client, "pay", {"peer": 3, "target": 4, "amount": str(ETH)})  # the channel still carries payments
    [c] = client.get("/api/channels/peers/3").json()["channels"]
    assert (c["balance"], c["partner_balance"]) == (str(ETH), str(ETH + ETH // 2))


def test_cooperative_settle_ends_the_channel_in_one_transaction(node) -> None:
    _, service, client = node
    ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(5 * ETH)})
    ok(client, "deposit", {"peer": 4, "partner": 3, "amount": str(2 * ETH)})
    for i in range(12):
        a, b = (3, 4) if i % 3 else (4, 3)
        ok(client, "pay", {"peer": a, "target": b, "amount": str(ETH // 10)})
    before4 = service.l1.balance(DEV[4].address)
    out = ok(client, "cooperative-settle", {"peer": 3, "partner": 4})
    assert out["status"] == "settled" and [t["call"] for t in out["l1_transactions"]] == ["cooperative_settle"]
    owed3, owed4 = 5 * ETH - 8 * ETH // 10 + 4 * ETH // 10, 2 * ETH + 8 * ETH // 10 - 4 * ETH // 10
    assert out["paid_out"] == {DEV[3].address: str(owed3), DEV[4].address: str(owed4)}
    assert service.l1.balance(service.adjudicator) == 0
    assert service.l1.balance(DEV[4].address) == before4 + owed4  # the partner pays no gas
    for a, b in ((3, 4), (4, 3)):
        [c] = client.get(f"/api/channels/peers/{a}").json()["channels"]
        assert c["status"] == "settled" and c["partner"] == DEV[b].address
    refused(node, "cooperative-settle", {"peer": 4, "partner": 3}, 409, "no open channel")
    refused(node, "withdraw", {"peer": 4, "partner": 3, "amount": 1}, 409, "no open channel")
    ok(client, "open", {"peer": 4, "partner": 3})  # a new channel between the same pair


@pytest.mark.parametrize("path, body, code, words", [
    ("withdraw", {"peer": 3, "partner": 4}, 400, "missing field(s): amount"),
    ("withdraw", {"peer": 3, "partner": 4, "amount": 0}, 400, "more than 0"),
    ("withdraw", {"peer": 3, "partner": 4, "amount": -1}, 400, "must not be negative"),
    ("withdraw", {"peer": 3, "partner": 4, "amount": "1.5"}, 400, "whole number of wei"),
    ("withdraw", {"peer": 3, "partner": 4, "amount": str(2**256)}, 400, "too large"),
    ("withdraw", {"peer": 3, "partner": 4, "amount": 1, "expiration": 9}, 400, "unknown field(s) expiration"),
    ("withdraw", {"peer": 3, "partner": None, "amount": 1}, 400, "must not be null"),
    ("cooperative-settle", {"peer": 3}, 400, "missing field(s): partner"),
    ("cooperative-settle", {"peer": 3, "partner": 4, "amount": 1}, 400, "unknown field(s) amount"),
    ("cooperative-settle", "3-4", 400, "JSON object"),
    ("withdraw", {"peer": 0, "partner": 4, "amount": 1}, 404, "unknown peer 0"),
    ("cooperative-settle", {"peer": 3, "partner": 42}, 404, "unknown partner 42"),
    ("withdraw", {"peer": 3, "partner": 4, "amount": str(ETH + 1)}, 409, "withdraw beyond balance"),
    ("withdraw", {"peer": 4, "partner": 3, "amount": 1}, 409, "withdraw beyond balance"),
    ("withdraw", {"peer": 5, "partner": 6, "amount": 1}, 409, "no channel"),
    ("cooperative-settle", {"peer": 5, "partner": 6}, 409, "no channel"),
    ("withdraw", {"peer": 3, "partner": "0x" + "22" * 20, "amount": 1}, 409, "no channel"),
])
def test_bad_withdrawals_and_cooperative_settlements_change_nothing(node, path, body, code, words) -> None:
    ok(node[2], "open", {"peer": 3, "partner": 4, "deposit": str(ETH)})
    refused(node, path, body, code, words)


def test_co_signing_needs_the_partner_online_and_hosted_and_no_lock_pending(node) -> None:
    _, service, client = node
    ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(ETH)})
    stranger = "0x" + "33" * 20
    ok(client, "open", {"peer": 5, "partner": stranger, "deposit": str(ETH)})
    refused(node, "withdraw", {"peer": 5, "partner": stranger, "amount": 1}, 409, "partner not hosted")
    refused(node, "cooperative-settle", {"peer": 5, "partner": stranger}, 409, "partner not hosted")
    assert client.post("/api/channels/peers/4/offline", headers=AUTH).status_code == 200
    for path, body in (("withdraw", {"peer": 3, "partner": 4, "amount": 1}),
                       ("cooperative-settle", {"peer": 3, "partner": 4})):
        detail = refused(node, path, body, 409, "partner offline")
        assert "co-sign" in detail
        refused(node, path, {**body, "peer": 4, "partner": 3}, 409, "peer offline")
    assert client.post("/api/channels/peers/4/online", headers=AUTH).status_code == 200
    # A lock held in the channel: a cooperative settlement waits until it is unlocked or expires.
    ok(client, "open", {"peer": 4, "partner": 6, "deposit": str(ETH)})
    service.bus.hold_when(lambda s: type(s.message).__name__ == "SecretRequest")
    paid = ok(client, "pay", {"peer": 3, "target": 6, "amount": "1000"})
    assert paid["status"] != "succeeded"
    refused(node, "cooperative-settle", {"peer": 3, "partner": 4}, 409, "pending locks")
    service.bus.clear_filters()
    service.bus.release()


@pytest.mark.parametrize("body, words", [
    ({"peer": 3, "target": 4, "amount": "-1"}, "amount must be a whole number"),
    ({"peer": 3, "target": 4, "amount": -5}, "must not be negative"),
    ({"peer": 3, "target": 4, "amount": 1.5}, "whole number of wei"),
    ({"peer": 3, "target": 4, "amount": "1.5"}, "whole number of wei"),
    ({"peer": 3, "target": 4, "amount": True}, "whole number of wei"),
    ({"peer": 3, "target": 4, "amount": 0}, "more than 0"),
    ({"peer": 3, "target": 4, "amount": str(2**256)}, "too large"),
    ({"peer": 3, "target": 4}, "missing field(s): amount"),
    ({"peer": 3, "target": 4, "amount": 1, "fee": 1}, "unknown field(s) fee"),
    ({"peer": 3, "target": 4, "amount": 1, "mode": "teleport"}, "mode must be one of"),
    ({"peer": "three", "target": 4, "amount": 1}, "peer must be a dev account number"),
    ([1, 2], "JSON object"),
])
def test_bad_payment_forms_are_400_and_change_nothing(node, body, words) -> None:
    ok(node[2], "open", {"peer": 3, "partner": 4, "deposit": str(ETH)})
    refused(node, "pay", body, 400, words)


def test_unknown_peers_are_404_and_change_nothing(node) -> None:
    _, _, client = node
    ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(ETH)})
    refused(node, "pay", {"peer": 0, "target": 4, "amount": 1}, 404, "dev accounts 3, 4, 5, 6")
    refused(node, "pay", {"peer": 3, "target": 42, "amount": 1}, 404, "unknown target 42")
    refused(node, "open", {"peer": "0x" + "11" * 20, "partner": 4}, 404, "unknown peer")
    r = client.get("/api/channels/peers/9")
    assert r.status_code == 404 and "unknown peer" in r.json()["detail"]


def test_what_the_rules_refuse_is_409_and_changes_nothing(node) -> None:
    _, _, client = node
    ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(ETH)})
    refused(node, "pay", {"peer": 3, "target": 4, "amount": str(2 * ETH), "mode": "direct"}, 409,
            "insufficient capacity")
    refused(node, "pay", {"peer": 3, "target": 4, "amount": str(2 * ETH)}, 409, "no route")
    refused(node, "pay", {"peer": 3, "target": 6, "amount": "1"}, 409, "no route")
    refused(node, "pay", {"peer": 4, "target": 3, "amount": "1", "mode": "direct"}, 409, "insufficient capacity")
    refused(node, "pay", {"peer": 3, "target": 3, "amount": "1"}, 409, "does not pay itself")
    refused(node, "open", {"peer": 3, "partner": 4}, 409, "one open channel per pair")
    refused(node, "open", {"peer": 3, "partner": 3}, 409, "itself")
    refused(node, "open", {"peer": 5, "partner": 6, "deposit": str(10**6 * ETH)}, 409, "insufficient L1 balance")
    refused(node, "open", {"peer": 5, "partner": 6, "settle_timeout": 5}, 409, "between 10 and 200")
    refused(node, "open", {"peer": 5, "partner": 6, "settle_timeout": 0}, 400, "at least 1")
    refused(node, "open", {"peer": 5, "partner": 6, "deposit": None}, 400, "must not be null")
    refused(node, "deposit", {"peer": 5, "partner": 6, "amount": "1"}, 409, "no channel")
    refused(node, "settle", {"peer": 3, "partner": 4}, 409, "close channel 1 first")


def test_admin_routes_need_the_token(node) -> None:
    chain, service, client = node
    ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(ETH)})
    before = snapshot(chain, service)
    for path in ("tick", "peers/4/offline", "peers/4/online"):
        for headers in ({}, {"Authorization": "Bearer wrong"}):
            r = client.post(f"/api/channels/{path}", headers=headers)
            assert r.status_code == 401 and "admin" in r.json()["detail"], path
    assert snapshot(chain, service) == before and service.bus.is_online(DEV[4].address)
    assert client.post("/api/channels/peers/4/offline", headers=AUTH).json()["online"] is False
    refused(node, "pay", {"peer": 4, "target": 3, "amount": "1"}, 409, "peer offline")
    assert client.get("/api/channels/peers/4").json()["online"] is False
    assert client.post("/api/channels/peers/4/online", headers=AUTH).json()["online"] is True
    assert client.post("/api/channels/tick", headers=AUTH).status_code == 200


def test_a_node_without_channels_says_how_to_host_them(tmp_path) -> None:
    chain, app, client = new_node(tmp_path, hosting=False)
    for path in ("/api/channels/status", "/api/channels/channels", "/api/channels/peers/3"):
        r = client.get(path)
        assert r.status_code == 404 and "--channels-preset off" in r.json()["detail"]
    app.state.channels_starting = True
    r = client.post("/api/channels/pay", json={"peer": 3, "target": 4, "amount": 1})
    assert r.status_code == 503 and "being deployed" in r.json()["detail"]
    chain.close()


# -- the OpenAPI document: a bounded schemathesis run, valid and invalid bodies ------------------------------------


def _conformance_app():
    import tempfile

    _, app, _ = new_node(tempfile.mkdtemp(prefix="l2lab-channels-openapi-"))
    app.state.admin_token = None  # the admin routes' own refusal is tested above
    return app


def _schema():
    import schemathesis

    return schemathesis.openapi.from_asgi("/openapi.json", _conformance_app()).include(path_regex="^/api/channels/")


SCHEMA = _schema()


@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_the_channel_routes_keep_to_their_document(case) -> None:
    case.call_and_validate()


def test_a_peer_that_cannot_read_l1_does_not_keep_the_others_from_it(node, caplog) -> None:
    """Mallory's peer (4) closes on Alice's (3); peer 5's reads fail every round. Alice's peer still sees the
    close in the node's round, and the failure is named in the log."""
    import logging

    chain, service, client = node
    ok(client, "open", {"peer": 3, "partner": 4, "deposit": str(5 * ETH)})
    broken = service.peers[5]
    broken.poll = lambda: (_ for _ in ()).throw(RuntimeError("disk on fire"))
    ok(client, "close", {"peer": 4, "partner": 3})
    chain.mine(1)
    with caplog.at_level(logging.ERROR, logger="l2lab.channels"):
        service.tick()
    alice = service.peers[3]
    assert alice.state.block_number == chain.block_number  # peer 3 read the head, and the close in it
    assert client.get("/api/channels/peers/3").json()["channels"][0]["status"] == "closed"
    assert any("could not read L1" in r.getMessage() and "dev account 5" in r.getMessage() for r in caplog.records)
