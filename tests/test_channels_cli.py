"""``l2lab channel``: open, deposit, pay (direct and routed), withdraw, coop-settle, close, settle and status,
against an in-process node.

The CLI's REST and JSON-RPC calls go to an in-process node app hosting
channel peers for dev accounts 3 to 6. Bad input is one clear line on
stderr and a non-zero exit code, never a traceback, and changes nothing.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from channels import codec
from contracts_spec.channels.params import MINIMAL
from contracts_spec.l1 import L1Client
from node.chain import Chain
from node.cli import main
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.channels import PEER_ACCOUNTS
from node.schemes.channels import cli as channel_cli
from node.schemes.channels.api import router
from node.schemes.channels.service import ChannelService
from node.server import create_app

ETH = 10**18
DEV = derive_dev_accounts(7)
TOKEN = "cli-token-" * 4


@pytest.fixture
def node(tmp_path):
    chain = Chain(genesis_alloc=genesis_alloc(DEV, 100 * ETH))
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[router], admin_token=TOKEN)
    l1 = L1Client.in_process(app.state.dispatcher)
    app.state.channels = ChannelService.deploy(l1, DEV[3].private_key, MINIMAL,
                                               {i: DEV[i].private_key for i in PEER_ACCOUNTS}, tmp_path)
    yield chain, app
    app.state.channels.shutdown()
    chain.close()


@pytest.fixture
def cli(node, monkeypatch, capsys):
    chain, app = node

    def http(url, token=None):
        return TestClient(app, headers={"Authorization": f"Bearer {token}"} if token else {})

    class Admin:
        """The JSON-RPC transport, refusing admin methods without the token as the node does over HTTP."""

        def __init__(self, token):
            self.token = token

        def request(self, method, params=None):
            from node.rpc import RpcError, is_admin_method

            if is_admin_method(method) and self.token != TOKEN:
                raise RpcError(-32001, f"{method} needs the node's admin token")
            return app.state.dispatcher.handle(method, list(params or []))

    monkeypatch.setattr(channel_cli, "make_transport", lambda url, token=None: Admin(token))
    monkeypatch.setattr(channel_cli, "make_http", http)
    monkeypatch.delenv("L2LAB_NODE_TOKEN", raising=False)

    def run(*argv: str, ok: bool = True) -> str:
        code = main(["channel", "--data-dir", "/nonexistent", *argv])
        out = capsys.readouterr()
        if ok:
            assert code == 0, out.err
            return out.out
        assert code == 1, out
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in out.err, out.err
        assert lines[0].startswith("l2lab channel "), lines[0]
        return lines[0]

    return run


def state(node) -> tuple:
    chain, app = node
    return chain.block_number, tuple(codec.dumps(p.state) for p in app.state.channels.peers.values())


def test_a_session_open_pay_both_ways_routed_close_and_settle(node, cli) -> None:
    out = cli("open", "--account", "3", "--partner", "4", "--deposit", "5")
    assert "opened channel 1" in out and "balance 5 ETH" in out and "open_channel by 3" in out
    assert "set_total_deposit" in cli("deposit", "--account", "4", "--partner", "3", "--amount", "1")
    cli("open", "--account", "4", "--partner", "5", "--deposit", "2")
    assert "directly: succeeded; no L1 transaction" in cli("pay", "--account", "3", "--to", "4", "--amount", "0.25")
    cli("pay", "--account", "4", "--to", DEV[3].address, "--amount", "0.05")
    assert "over 2 hops: succeeded" in cli("pay", "--account", "3", "--to", "5", "--amount", "1")
    status = cli("status", "--account", "3")
    assert "balance 3.8 ETH, partner 2.2 ETH" in status and "payment" in status
    overview = cli("status")
    assert "adjudicator 0x" in overview and "peer 6" in overview and "deposits held 8 ETH" in overview
    assert "close_channel by 3" in cli("close", "--account", "3", "--partner", "4")
    early = cli("settle", "--account", "3", "--partner", "4", ok=False)
    assert "settlement window open" in early
    no_token = cli("settle", "--account", "3", "--partner", "4", "--time-travel", ok=False)
    assert "admin token" in no_token
    out = cli("--token", TOKEN, "settle", "--account", "3", "--partner", "4", "--time-travel")
    assert "time travel:" in out and "settled" in out
    assert "settled" in cli("status", "--account", "4")


def test_withdraw_then_settle_cooperatively(node, cli) -> None:
    chain, app = node
    service = app.state.channels
    cli("open", "--account", "3", "--partner", "4", "--deposit", "5")
    for _ in range(3):
        cli("pay", "--account", "3", "--to", "4", "--amount", "0.5")
    cli("pay", "--account", "4", "--to", "3", "--amount", "0.25")
    out = cli("withdraw", "--account", "3", "--partner", "4", "--amount", "1.5")
    assert out.startswith("withdrew 1.5 ETH to L1") and "set_total_withdraw by 3" in out
    assert "balance 2.25 ETH, partner 1.25 ETH" in out and "opened" in out
    out = cli("coop-settle", "--account", "4", "--partner", "3")
    assert "settled cooperatively: channel 1" in out and "no settlement window" in out
    assert f"paid out {DEV[4].address} 1.25 ETH; {DEV[3].address} 2.25 ETH" in out
    assert "L1: cooperative_settle by 4" in out and out.count("gas)") == 1
    assert service.l1.balance(service.adjudicator) == 0
    assert "settled" in cli("status", "--account", "3")
    assert "no open channel" in cli("coop-settle", "--account", "3", "--partner", "4", ok=False)


@pytest.mark.parametrize("argv, words", [
    (("withdraw", "--account", "3", "--partner", "4", "--amount", "6"), "withdraw beyond balance"),
    (("withdraw", "--account", "4", "--partner", "3", "--amount", "0.1"), "withdraw beyond balance"),
    (("withdraw", "--account", "3", "--partner", "4", "--amount", "0"), "--amount must be more than 0 ETH"),
    (("withdraw", "--account", "3", "--partner", "4", "--amount", "-2"), "--amount must be a non-negative"),
    (("withdraw", "--account", "3", "--partner", "x4", "--amount", "1"), "--partner must be a dev account"),
    (("withdraw", "--account", "5", "--partner", "6", "--amount", "1"), "no channel"),
    (("withdraw", "--account", "9", "--partner", "4", "--amount", "1"), "unknown peer 9"),
    (("coop-settle", "--account", "5", "--partner", "6"), "no channel"),
    (("coop-settle", "--account", "3", "--partner", "42"), "unknown partner 42"),
    (("coop-settle", "--account", "3", "--partner", "0x" + "44" * 20), "no channel"),
])
def test_bad_withdrawals_and_settlements_are_one_line_and_change_nothing(node, cli, argv, words) -> None:
    cli("open", "--account", "3", "--partner", "4", "--deposit", "5")
    before = state(node)
    line = cli(*argv, ok=False)
    assert words in line and line.startswith(f"l2lab channel {argv[0]}: "), line
    assert state(node) == before


def test_co_signing_with_the_partner_offline_is_one_line(node, cli) -> None:
    _, app = node
    cli("open", "--account", "3", "--partner", "4", "--deposit", "5")
    app.state.channels.set_online(4, False)
    before = state(node)
    for argv in (("withdraw", "--account", "3", "--partner", "4", "--amount", "1"),
                 ("coop-settle", "--account", "3", "--partner", "4")):
        line = cli(*argv, ok=False)
        assert "partner offline" in line and "co-sign" in line, line
    assert state(node) == before


@pytest.mark.parametrize("argv, words", [
    (("pay", "--account", "3", "--to", "4", "--amount", "-1"), "--amount must be a non-negative number of ETH"),
    (("pay", "--account", "3", "--to", "4", "--amount", "abc"), "--amount must be a non-negative number"),
    (("pay", "--account", "3", "--to", "4", "--amount", "0"), "--amount must be more than 0 ETH"),
    (("pay", "--account", "3", "--to", "4", "--amount", "1e-30"), "at most 18 decimals"),
    (("pay", "--account", "3", "--to", "4", "--amount", "1e80"), "too large"),
    (("pay", "--account", "3", "--to", "0x12", "--amount", "1"), "--to must be a dev account number or a 0x"),
    (("pay", "--account", "0", "--to", "4", "--amount", "1"), "unknown peer 0"),
    (("pay", "--account", "3", "--to", "4", "--amount", "50"), "no route"),
    (("pay", "--account", "3", "--to", "4", "--amount", "50", "--mode", "direct"), "insufficient capacity"),
    (("pay", "--account", "3", "--to", "6", "--amount", "1"), "no route"),
    (("open", "--account", "3", "--partner", "4"), "one open channel per pair"),
    (("open", "--account", "5", "--partner", "6", "--deposit", "1000000"), "insufficient L1 balance"),
    (("open", "--account", "5", "--partner", "6", "--settle-timeout", "3"), "between 10 and 200"),
    (("deposit", "--account", "5", "--partner", "6", "--amount", "1"), "no channel"),
    (("close", "--account", "5", "--partner", "6"), "no channel"),
    (("settle", "--account", "3", "--partner", "4"), "close channel 1 first"),
])
def test_bad_input_is_one_line_and_changes_nothing(node, cli, argv, words) -> None:
    cli("open", "--account", "3", "--partner", "4", "--deposit", "5")
    before = state(node)
    line = cli(*argv, ok=False)
    assert words in line, line
    assert state(node) == before


def test_no_command_and_a_bad_url_are_usage_errors(cli, capsys) -> None:
    assert main(["channel"]) == 2 and "choose a command" in capsys.readouterr().err
    assert main(["channel", "--rpc", "ftp://x", "status"]) == 1
    assert "must start with http://" in capsys.readouterr().err
