"""``l2lab node`` hosts an optimistic rollup: operator and challenger beside the L1.

A newcomer starts the node and, with nothing else running, can deposit,
sign a transfer with a standard wallet against the served EIP-712 document,
and see the operator's timer post it in a batch. A restart (even after
``kill -9``) reattaches to the same rollup instead of deploying another.
"""

from __future__ import annotations

import re

import httpx
import pytest
from eth_account import Account as EthAccount

from contracts_spec.l1 import L1Client
from node.client import HttpTransport, LocalNode
from node.devaccounts import derive_dev_accounts
from rollup.optimistic.l1view import RollupL1
from tests.hosting import scheme_status, wait_for

pytestmark = pytest.mark.slow

ETH = 10**18
DEV = derive_dev_accounts(10)


def _wait_for(fn, timeout: float = 40.0):
    return wait_for(fn, "the hosted rollup", timeout, 0.3)


def _status(url: str) -> dict | None:
    return scheme_status(url, "optimistic")


def test_node_hosts_operator_and_reattaches_after_kill_9(tmp_path):
    data_dir = tmp_path / "chain"
    node = LocalNode(str(data_dir), log_path=str(tmp_path / "node.log")).start()
    try:
        url = node.url
        status = _wait_for(lambda: _status(url))
        rollup_address = status["address"]
        assert status["batch_count"] == 0

        l1 = L1Client(HttpTransport(url))
        rollup = RollupL1(l1, rollup_address)
        alice, bob = DEV[0], DEV[1]
        rollup.transact(alice.private_key, "deposit", alice.address, value=3 * ETH)
        rollup.transact(bob.private_key, "deposit", bob.address, value=1 * ETH)

        def credited():
            r = httpx.get(f"{url}/api/optimistic/accounts/{alice.address}", timeout=10)
            return r.status_code == 200 and r.json()

        # the operator's timer includes the deposits and posts them without being asked
        _wait_for(lambda: (_status(url) or {}).get("batch_count", 0) >= 1)
        a = credited()
        assert a["balance"] == str(3 * ETH)
        b = httpx.get(f"{url}/api/optimistic/accounts/{bob.address}", timeout=10).json()

        tx = {"kind": "transfer", "from": a["index"], "to": b["index"], "amount": str(ETH), "nonce": 0}
        # the served schema, message filled in by the user, signed by a standard wallet
        doc = httpx.get(f"{url}/api/optimistic/eip712", timeout=10).json()
        assert doc["message"] == {"from": None, "to": None, "amount": None, "nonce": None}
        doc["message"] = {"from": a["index"], "to": b["index"], "amount": ETH, "nonce": 0}
        bad = httpx.get(f"{url}/api/optimistic/eip712?kind=mint", timeout=10)
        assert bad.status_code == 400 and "kind" in bad.json()["detail"]
        sig = EthAccount.sign_typed_data(alice.private_key, full_message=doc).signature
        r = httpx.post(
            f"{url}/api/optimistic/transactions",
            json={**tx, "signature": "0x" + bytes(sig).hex()},
            timeout=10,
        )
        assert r.status_code == 200, r.text

        _wait_for(lambda: (_status(url) or {}).get("batch_count", 0) >= 2)
        bob_after = httpx.get(f"{url}/api/optimistic/accounts/{bob.address}", timeout=10).json()
        assert bob_after["balance"] == str(2 * ETH)
        st = _status(url)
        assert st["state_root"] == st["rebuilt_root"] and st["faults"] == []

        node.stop(kill=True)
        node = LocalNode(str(data_dir), log_path=str(tmp_path / "node2.log")).start()
        again = _wait_for(lambda: _status(node.url))
        assert again["address"] == rollup_address
        assert again["batch_count"] == 2
        assert (tmp_path / "node2.log").read_text().count("attached at") == 1
    finally:
        node.stop()


def test_optimistic_off_hosts_nothing(tmp_path):
    with LocalNode(
        str(tmp_path / "chain"), log_path=str(tmp_path / "node.log"), extra_args=["--optimistic", "off"]
    ) as node:
        r = httpx.get(f"{node.url}/api/optimistic/status", timeout=10)
        assert r.status_code == 404
        assert "deploy" in r.json()["detail"]


def test_cli_newcomer_flow_against_a_real_node(tmp_path):
    """Only the dev account numbers the node printed: deposit, transfer, withdraw, status, advance, claim."""
    import subprocess
    import sys

    with LocalNode(str(tmp_path / "chain"), log_path=str(tmp_path / "node.log")) as node:
        _wait_for(lambda: _status(node.url))

        def cli(*argv: str, ok: bool = True) -> str:
            # --data-dir: where this node keeps its admin token, which `advance` needs.
            done = subprocess.run([sys.executable, "-m", "node.cli", "optimistic", "--rpc", node.url,
                                   "--data-dir", str(tmp_path / "chain"), *argv],
                                  capture_output=True, text=True, timeout=60)
            assert (done.returncode == 0) is ok, (argv, done.stdout, done.stderr)
            if not ok:
                # One line of error, after the line naming the rollup acted on (when one was found).
                error = [line for line in done.stderr.splitlines() if not line.startswith("rollup 0x")]
                assert len(error) == 1 and "Traceback" not in done.stderr, done.stderr
                return done.stderr
            return done.stdout

        assert "deposited 3 ETH" in cli("deposit", "--account", "0", "--amount", "3")
        cli("deposit", "--account", "1", "--amount", "1")
        _wait_for(lambda: (_status(node.url) or {}).get("batch_count", 0) >= 1)
        assert "accepted" in cli("transfer", "--account", "0", "--to-account", "1", "--amount", "1")
        assert "accepted" in cli("withdraw", "--account", "1", "--amount", "0.5")
        # The transfer and the withdrawal land in one batch or two, as the operator's timer falls: wait until
        # nothing is left unposted.
        _wait_for(lambda: (s := _status(node.url) or {}).get("batch_count", 0) >= 2
                  and s.get("pending_transactions") == 0)
        assert "s of challenge time left" in cli("status")
        assert "nothing claimable yet" in cli("claim", "--account", "1")
        assert "every batch is final" in cli("advance")
        assert re.search(r"claimed 0\.5 ETH from batch \d+ for ", cli("claim", "--account", "1"))
        assert cli("balance", "--account", "1").strip() == "1.5 ETH"
        assert "unknown account 10" in cli("balance", "--account", "10", ok=False)
        assert "insufficient L2 balance" in cli("transfer", "--account", "0", "--to-account", "1",
                                                "--amount", "50", ok=False)
    assert "cannot reach the node" in cli("status", ok=False)


def test_the_host_names_the_preset_a_deployed_rollup_matches():
    from types import SimpleNamespace

    from contracts_spec.optimistic.params import MAINNET, MINIMAL
    from node.schemes.optimistic.host import HostedOptimistic

    for preset in (MINIMAL, MAINNET):
        params = SimpleNamespace(challenge_window=preset.challenge_window, tree_depth=preset.tree_depth)
        assert HostedOptimistic.preset_of(params) == f"{preset.name} preset"
    assert HostedOptimistic.preset_of(SimpleNamespace(challenge_window=61, tree_depth=8)) == "custom"


def test_a_hosted_bisection_rollup_is_defended_by_the_dispute_game(tmp_path):
    """The host's challenger plays bisection on a compact rollup (prove_fraud is refused there)."""
    import json
    from types import SimpleNamespace

    from contracts_spec.optimistic.bisection import BisectionRollup
    from contracts_spec.optimistic.params import MINIMAL
    from contracts_spec.optimistic.rules import Account
    from node.chain import Chain
    from node.rpc import RpcDispatcher
    from node.schemes.optimistic.host import HostedOptimistic
    from rollup.optimistic.service import OptimisticService

    dev = derive_dev_accounts(10)
    chain = Chain(genesis_alloc={a.address: 1000 * 10**18 for a in dev})
    l1 = L1Client.in_process(RpcDispatcher(chain))
    operator, challenger, alice, mallory = (dev[i].private_key for i in (9, 8, 0, 1))
    service = OptimisticService.deploy(l1, operator, MINIMAL, contract=BisectionRollup)
    (tmp_path / "optimistic.json").write_text(json.dumps({"address": service.rollup.address}))
    for key in (alice, mallory):
        service.rollup.transact(key, "deposit", EthAccount.from_key(key).address, value=10**18)
    service.post_batch()
    # The operator turns thief: Mallory is credited 3 ETH from nowhere in batch 1.
    seq = service.operator.sequencer
    m = seq.state.index_of[bytes.fromhex(EthAccount.from_key(mallory).address[2:])]
    acct = seq.state.get_account(m)
    from rollup.optimistic.client import Wallet

    tx = Wallet(mallory, l1.chain_id, service.rollup.address).transfer(m, m, 1, acct.nonce)
    seq.inject(tx, {m: Account(acct.address, acct.balance + 3 * 10**18, acct.nonce + 1)})
    service.post_batch()
    service.close()

    app = SimpleNamespace(state=SimpleNamespace())
    host = HostedOptimistic(app, l1, preset="minimal", operator_key=operator, challenger_key=challenger,
                            data_dir=tmp_path, announce=lambda line: None)
    host.setup()
    for _ in range(40):
        host.tick()
        if service.rollup.call("bond_of", EthAccount.from_key(operator).address) < MINIMAL.min_bond:
            break
    assert service.rollup.call("bond_of", EthAccount.from_key(operator).address) < MINIMAL.min_bond
    assert not service.rollup.call("is_final", 1)


def test_a_censoring_hosted_operator_is_refused_once_in_the_log_and_its_challenger_goes_on_watching(
        tmp_path, caplog):
    """The operator's own rules refuse its batch once a deposit it left out is overdue; the timer's round
    says so once and still runs the challenger (which used to be skipped, the round ending on the error)."""
    import json
    import logging
    from types import SimpleNamespace

    from contracts_spec.optimistic.params import MINIMAL
    from node.chain import Chain
    from node.rpc import RpcDispatcher
    from node.schemes.optimistic.host import HostedOptimistic
    from rollup.optimistic.client import Wallet
    from rollup.optimistic.service import OptimisticService

    dev = derive_dev_accounts(10)
    chain = Chain(genesis_alloc={a.address: 100 * 10**18 for a in dev})
    l1 = L1Client.in_process(RpcDispatcher(chain))
    operator, challenger, alice, bob = (dev[i].private_key for i in (9, 8, 0, 1))
    service = OptimisticService.deploy(l1, operator, MINIMAL)
    (tmp_path / "optimistic.json").write_text(json.dumps({"address": service.rollup.address}))
    service.rollup.transact(alice, "deposit", dev[0].address, value=10**18)
    service.post_batch()
    service.close()
    host = HostedOptimistic(SimpleNamespace(state=SimpleNamespace()), l1, preset="minimal", operator_key=operator,
                            challenger_key=challenger, data_dir=tmp_path, announce=lambda line: None)
    host.setup()
    host.service.censor(True)
    host.service.rollup.transact(bob, "deposit", dev[1].address, value=10**18)
    withdrawal = Wallet(alice, l1.chain_id, service.rollup.address).withdraw(0, dev[0].address, 10**17, 0)
    assert host.service.operator.submit([withdrawal]) == [None]
    l1.mine(MINIMAL.deposit_deadline_blocks + 1)
    l1.increase_time(MINIMAL.deposit_deadline_seconds + 1)
    watched = []
    watch = host.challenger.watch
    host.challenger.watch = lambda: watched.append(1) or watch()
    with caplog.at_level(logging.WARNING, logger="l2lab.optimistic"):
        for _ in range(3):
            host.tick()
    refused = [r for r in caplog.records if "the operator's batch is refused" in r.getMessage()]
    assert len(refused) == 1 and "deposit 1 is overdue" in refused[0].getMessage()
    assert len(watched) == 3 and service.rollup.call("batch_count") == 1
    host.service.censor(False)  # it takes the deposit in again, and posts both
    host.service.post_batch()
    assert service.rollup.call("batch_count") == 2 and service.rollup.call("deposits_included") == 2
    host.service.close()
    chain.close()
