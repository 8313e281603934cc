"""``l2lab zk-rollup``: deposit, transfer, withdraw, claim, status, and exodus (censor, exit, refund), in process.

The CLI's JSON-RPC and REST calls go to an in-process node app; its operator
proves in this process (two proofs). Bad input is one line and exit code 1.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from contracts_spec.l1 import L1Client
from contracts_spec.zk.params import SMALL
from node.chain import Chain
from node.cli import main
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.zk import cli as zk_cli
from node.schemes.zk.api import router
from node.server import create_app
from rollup.zk.service import ZkService

pytestmark = pytest.mark.slow

ETH = 10**18
DEV = derive_dev_accounts(8)


@pytest.fixture(scope="module")
def node():
    chain = Chain(genesis_alloc=genesis_alloc(DEV, 100 * ETH))
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[router])
    client = TestClient(app)
    l1 = L1Client.in_process(app.state.dispatcher)
    app.state.zk = ZkService.deploy(l1, DEV[7].private_key, SMALL, worker=False)
    yield chain, app, client
    app.state.zk.close()
    chain.close()


@pytest.fixture
def cli(node, monkeypatch, capsys):
    chain, app, client = node
    monkeypatch.setattr(zk_cli, "make_transport",
                        lambda url, token=None: L1Client.in_process(app.state.dispatcher).transport)
    monkeypatch.setattr(zk_cli, "make_http", lambda url, token=None: client)

    def run(*argv: str, ok: bool = True) -> str:
        code = main(["zk-rollup", *argv])
        out = capsys.readouterr()
        if ok:
            assert code == 0, out.err
            return out.out
        assert code == 1, out
        lines = out.err.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in out.err, out.err
        return lines[0]

    return run


def test_deposit_transfer_withdraw_claim(node, cli) -> None:
    chain, app, client = node
    service = app.state.zk
    assert "to L2 account 1 (deposit 0)" in cli("deposit", "--account", "0", "--amount", "3")
    assert "to L2 account 2 (deposit 1)" in cli("deposit", "--account", "1", "--amount", "1")
    assert service.prove_now()["batch"] == 0
    assert "accepted: operation 1:0" in cli("transfer", "--account", "0", "--to-account", "1", "--amount", "1")
    assert "accepted: operation 2:0" in cli("withdraw", "--account", "1", "--amount", "0.5")
    assert "mempool 2" in cli("status")
    assert "nothing to claim" in cli("claim", "--account", "1")
    assert service.prove_now()["batch"] == 1
    status = cli("status", "--account", "1")
    assert "batches verified 2" in status and "account 2: 1.5 ETH verified, next nonce 1" in status
    assert "constraints" in status and "L1 gas" in status
    before = chain.get_balance(DEV[1].address)
    assert "claimed 0.5 ETH for" in cli("claim", "--account", "1")
    assert chain.get_balance(DEV[1].address) > before
    # a transfer to an index, then refusals the CLI catches before anything is signed
    assert "accepted" in cli("transfer", "--key", DEV[0].private_key.hex(), "--to", "2", "--amount", "0.25")
    assert "nearest amounts are 0.12345678901 ETH or 0.12345678902 ETH" in cli(
        "transfer", "--account", "0", "--to", "2", "--amount", "0.1234567890123", ok=False)
    assert "insufficient L2 balance" in cli("transfer", "--account", "0", "--to", "2", "--amount", "50", ok=False)
    assert "has no L2 account yet: deposit first" in cli("transfer", "--account", "3", "--to", "1",
                                                         "--amount", "1", ok=False)
    assert "no L2 account at index 200" in cli("transfer", "--account", "0", "--to", "200", "--amount", "1",
                                                      ok=False)
    assert "nonce 0 for account 1" in cli("transfer", "--account", "0", "--to", "2", "--amount", "1",
                                          "--nonce", "0", ok=False)


def test_bad_input_is_one_line(cli) -> None:
    assert "--key must be a private key in hex" in cli("deposit", "--key", "zz", "--amount", "1", ok=False)
    assert "--amount must be more than 0 ETH" in cli("deposit", "--account", "0", "--amount", "0", ok=False)
    assert "--amount must be a positive number of ETH" in cli("deposit", "--account", "0", "--amount", "lots",
                                                              ok=False)
    assert "unknown account 12" in cli("deposit", "--account", "12", "--amount", "1", ok=False)
    assert "say who signs" in cli("withdraw", "--amount", "1", ok=False)
    assert "to whom?" in cli("transfer", "--account", "0", "--amount", "1", ok=False)
    assert "--recipient must be a 0x-prefixed" in cli("withdraw", "--account", "0", "--amount", "1",
                                                      "--recipient", "0x12", ok=False)
    assert "unknown zk preset" in cli("claim", "--account", "0", "--rollup", "0x" + "11" * 20, "--preset", "huge",
                                      ok=False)
    assert "no contract at" in cli("claim", "--account", "0", "--rollup", "0x" + "11" * 20, "--preset", "small",
                                   ok=False)
    assert "exits open only in exodus mode" in cli("exit", "--account", "0", ok=False)
    assert "node URL must start with http" in cli("status", "--rpc", "ftp://x", ok=False)


def test_censorship_ends_in_exodus_and_everyone_exits(node, cli) -> None:
    """A censored deposit past its deadline: anyone starts exodus, exits pay from L1 data, the deposit is refunded."""
    chain, app, client = node
    l1 = L1Client.in_process(app.state.dispatcher)
    cli("deposit", "--account", "2", "--amount", "2")
    queued = app.state.zk.status()["l1"]["deposits_queued"]
    assert "censors deposit(s) 2" in cli("censor", str(queued - 1))
    l1.mine(SMALL.deposit_deadline_blocks + 1)
    l1.increase_time(SMALL.deposit_deadline_seconds + 1)
    l1.mine(1)
    assert "OVERDUE" in cli("status")
    before = chain.get_balance(DEV[0].address)
    out = cli("exit", "--account", "0")
    assert "exodus mode started" in out and "exited L2 account 1" in out
    assert chain.get_balance(DEV[0].address) > before
    assert "nothing left to exit" in cli("exit", "--account", "0")
    out = cli("exit", "--account", "2")
    assert "refunded deposit" in out and "2 ETH back" in out
    assert "EXODUS MODE" in cli("status")
