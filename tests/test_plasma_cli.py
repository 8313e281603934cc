"""``l2lab plasma``: deposit, send (confirmed once included), balance, exit, challenge, advance, finalize, watch,
against an in-process node hosting the Plasma chain.

The CLI's REST and JSON-RPC calls go to an in-process node app whose Plasma
operator is dev account 2. Bad input is one clear line on stderr and exit
code 1, never a traceback, and changes nothing.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from contracts_spec.l1 import L1Client
from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import MINIMAL
from node.chain import Chain
from node.cli import main
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.plasma import OPERATOR_ACCOUNT
from node.schemes.plasma import cli as plasma_cli
from node.schemes.plasma.api import router
from node.schemes.plasma.service import PlasmaService

ETH = 10**18
DEV = derive_dev_accounts(4)
TOKEN = "cli-token-" * 4
BOND = MINIMAL.exit_bond


@pytest.fixture
def node(tmp_path):
    chain = Chain(genesis_alloc=genesis_alloc(DEV, 100 * ETH))
    app = create(chain)
    l1 = L1Client.in_process(app.state.dispatcher)
    app.state.plasma = PlasmaService.deploy(l1, DEV[OPERATOR_ACCOUNT].private_key, MINIMAL, tmp_path)
    yield chain, app
    app.state.plasma.shutdown()
    chain.close()


def create(chain):
    from node.server import create_app

    return create_app(chain, dev_keys=dev_keys(DEV), routers=[router], admin_token=TOKEN)


@pytest.fixture
def cli(node, monkeypatch, capsys):
    chain, app = node

    def http(url, token=None):
        return TestClient(app, headers={"Authorization": f"Bearer {token}"} if token else {})

    class Admin:
        def __init__(self, token):
            self.token = token

        def request(self, method, params=None):
            from node.rpc import RpcError, is_admin_method

            if is_admin_method(method) and self.token != TOKEN:
                raise RpcError(-32001, f"{method} needs the node's admin token")
            return app.state.dispatcher.handle(method, list(params or []))

    monkeypatch.setattr(plasma_cli, "make_transport", lambda url, token=None: Admin(token))
    monkeypatch.setattr(plasma_cli, "make_http", http)
    # While the CLI waits for a block, the node's timer would tick the operator.
    monkeypatch.setattr(plasma_cli, "pause", lambda seconds: app.state.plasma.tick())
    monkeypatch.delenv("L2LAB_NODE_TOKEN", raising=False)

    def run(*argv: str, ok: bool = True) -> str:
        code = main(["plasma", "--data-dir", "/nonexistent", *argv])
        out = capsys.readouterr()
        if ok:
            assert code == 0, out.err
            return out.out
        assert code == 1, out
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in out.err, out.err
        assert lines[0].startswith("l2lab plasma "), lines[0]
        return lines[0]

    return run


def _state(node) -> tuple:
    chain, app = node
    op = app.state.plasma.operator
    return chain.block_number, len(op.pending), tuple(sorted(op.view.utxos)), len(op.confirmations)


def test_a_session_deposit_send_confirm_exit_advance_finalize(node, cli) -> None:
    chain, app = node
    l1 = L1Client.in_process(app.state.dispatcher)
    address = app.state.plasma.address
    out = cli("deposit", "--account", "0", "--amount", "3")
    assert "deposit block 1, output 1000000000" in out
    out = cli("send", "--account", "0", "--to", "1", "--amount", "1")
    assert "included in block 1000 at index 0" in out and "confirmed against root" in out
    assert "(checked on L1)" in out
    balance = cli("balance", "--account", "1")
    assert "1 ETH in 1 output(s)" in balance and "1000000000000:" in balance
    assert "2 ETH" in cli("balance", DEV[0].address)
    status = cli("status", "--account", "0")
    assert "operator blocks 1" in status and "exit queue: 0 exit(s)" in status
    out = cli("exit", "--account", "1", "--all")
    assert "exit of 1000000000000 started: 1 ETH" in out
    assert "started" in cli("exits")
    early = cli("finalize", "--account", "1", ok=False)
    assert "is exitable at" in early and "advance" in early
    assert "admin token" in cli("advance", ok=False)
    assert "can be finalized" in cli("--token", TOKEN, "advance")
    before = l1.balance(DEV[1].address)
    out = cli("finalize", "--account", "3")
    assert f"paid 1.01 ETH to {DEV[1].address}" in out and "finalized 1 exit(s)" in out
    assert l1.balance(DEV[1].address) == before + ETH + BOND
    assert l1.call(address, RootChain, "queue_length", R.ZERO_ADDRESS) == 0
    # A paid exit keeps its history; a watcher started afresh counts nothing it exited as its own.
    assert f"1000000000000: 1 ETH by {DEV[1].address}, finalized" in cli("exits")
    assert f"{DEV[1].address} holds 0 ETH in 0 output(s)" in cli("watch", "--account", "1", "--once")
    assert f"{DEV[0].address} holds 2 ETH in 1 output(s)" in cli("watch", "--account", "0", "--once")


def test_an_unconfirmed_payment_cannot_exit_until_confirmed(node, cli) -> None:
    cli("deposit", "--account", "0", "--amount", "2")
    out = cli("send", "--account", "0", "--to", "1", "--amount", "2", "--no-confirm")
    assert "not confirmed" in out
    ident = out.split("transaction ")[1].split(",")[0]
    refused = cli("exit", "--account", "1", "--utxo", "1000000000000", ok=False)
    assert "no confirmation" in refused and "l2lab plasma confirm" in refused
    # Nor can the recipient spend it: the refusal names the command the sender must run.
    refused = cli("send", "--account", "1", "--to", "2", "--amount", "1", ok=False)
    assert "unconfirmed input" in refused and f"`l2lab plasma confirm {ident}`" in refused
    assert "confirmed against root" in cli("confirm", "--account", "0", ident)
    assert "started" in cli("exit", "--account", "1", "--utxo", "1000000000000")


def test_an_exit_of_a_spent_deposit_is_challenged_from_the_cli(node, cli) -> None:
    chain, app = node
    l1 = L1Client.in_process(app.state.dispatcher)
    address = app.state.plasma.address
    cli("deposit", "--account", "0", "--amount", "2")
    cli("send", "--account", "0", "--to", "1", "--amount", "2")
    # Account 0 exits the deposit it has spent (the CLI lists only unspent outputs, so it goes to L1 directly).
    l1.transact(DEV[0].private_key, address, RootChain, "start_deposit_exit", 10**9, 2 * ETH, value=BOND)
    out = cli("challenge", "--account", "1", "--utxo", str(10**9))
    assert "challenged with its spend in block 1000" in out
    assert l1.call(address, RootChain, "exit_info", 10**9)[2] == 2
    again = cli("challenge", "--account", "1", "--utxo", str(10**9), ok=False)
    assert "no open exit" in again and "challenged" in again


def test_watch_raises_the_alarm_on_a_withheld_block_and_exits_everything(node, cli, monkeypatch) -> None:
    chain, app = node
    l1 = L1Client.in_process(app.state.dispatcher)
    cli("deposit", "--account", "0", "--amount", "2")
    cli("send", "--account", "0", "--to", "1", "--amount", "1")
    assert "validated 1 block(s)" in cli("watch", "--account", "1", "--once")
    monkeypatch.setattr(plasma_cli, "pause", lambda seconds: None)  # no block while the CLI waits
    assert "still pending after 0.1 s" in cli("send", "--account", "0", "--to", "1", "--amount", "0.5",
                                              "--timeout", "0.1")
    r = TestClient(app, headers={"Authorization": f"Bearer {TOKEN}"}).post("/api/plasma/blocks",
                                                                           json={"withhold": True})
    assert r.status_code == 200 and r.json()["withheld"]
    l1.mine(3)
    out = cli("watch", "--account", "1", "--once")
    assert "ALARM: block 2000 withheld" in out and "exit of 1000000000000 (1 ETH) started" in out


@pytest.mark.parametrize(("argv", "needle"), [
    (["deposit", "--account", "0", "--amount", "0"], "--amount must be more than 0 ETH"),
    (["deposit", "--account", "0", "--amount", "-1"], "--amount must be a non-negative number"),
    (["deposit", "--account", "0", "--amount", "1e40"], "below 2**128 wei"),
    (["deposit", "--account", "99", "--amount", "1"], "unknown account 99"),
    (["deposit", "--key", "0x12", "--amount", "1"], "--key must be 32 bytes"),
    (["deposit", "--amount", "1"], "say who signs"),
    (["send", "--account", "0", "--amount", "1"], "to whom?"),
    (["send", "--account", "0", "--to", "0xabc", "--amount", "1"], "--to must be a dev account number or"),
    (["send", "--account", "0", "--to", "1", "--amount", "1"], "cannot pay 1 ETH"),
    (["send", "--account", "0", "--to", "1", "--amount", "1", "--timeout", "0"], "--timeout must be"),
    (["confirm", "--account", "0", "0x1234"], "TX_ID must be a transaction id"),
    (["confirm", "--account", "0", "0x" + "ab" * 32], "unknown transaction"),
    (["exit", "--account", "0"], "say what exits"),
    (["exit", "--account", "0", "--utxo", "abc"], "--utxo must be an output position"),
    (["exit", "--account", "0", "--utxo", "2000000000000"], "cannot exit it"),
    (["exit", "--account", "0", "--utxo", "5000000001"], "no deposit block 5"),
    (["challenge", "--account", "0", "--utxo", "1000000000"], "no open exit of position 1000000000"),
    (["finalize", "--account", "0", "--max", "0"], "--max must be between 1 and 128"),
    (["watch", "--account", "0", "--interval", "0"], "--interval must be between"),
    (["watch", "--account", "0", "--deadline", "0"], "--deadline must be between"),
])
def test_bad_input_is_one_line_and_changes_nothing(node, cli, argv, needle) -> None:
    before = _state(node)
    line = cli(*argv, ok=False)
    assert needle in line, line
    assert _state(node) == before


def test_a_node_without_plasma_is_named(node, cli, monkeypatch) -> None:
    chain, app = node
    bare = create(chain)
    monkeypatch.setattr(plasma_cli, "make_http", lambda url, token=None: TestClient(bare))
    line = cli("status", ok=False)
    assert "no Plasma chain hosted here" in line and "--plasma-preset off" in line
