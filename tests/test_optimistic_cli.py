"""The ``l2lab demo optimistic*`` scenarios run to the end and tell the story they promise."""

from __future__ import annotations

import re

import pytest

from node.cli import main


def test_demo_optimistic_honest_path(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "optimistic"]) == 0
    out = capsys.readouterr().out
    assert "refused: batch 1 is not final" in out
    assert "equals the operator's: True" in out


@pytest.mark.parametrize("preset", ["minimal", "mainnet"])
def test_demo_optimistic_fraud(preset: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "optimistic-fraud", "--preset", preset]) == 0  # mainnet: depth-32 witnesses
    out = capsys.readouterr().out
    assert "verdict: invalid transaction: bad signature" in out
    assert "Alice has 5.0000 ETH on L2" in out


@pytest.mark.parametrize("preset", ["minimal", "mainnet"])
def test_demo_optimistic_bisection(preset: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "optimistic-bisection", "--preset", preset]) == 0
    out = capsys.readouterr().out
    assert "challenger disagrees" in out and "L1 runs step 11" in out and "wrong state root" in out
    assert "Mallory has 0.9000 ETH on L2" in out  # her own valid payment stays posted


def _demo_json(capsys: pytest.CaptureFixture[str], scenario: str) -> tuple[dict, str]:
    """Run a demo with --json: stdout must be exactly one JSON document, the story on stderr."""
    import json

    assert main(["demo", scenario, "--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


@pytest.mark.parametrize("scenario", ["optimistic", "optimistic-fraud", "optimistic-bisection"])
def test_demo_json_summary_honest_users_lose_nothing(scenario: str, capsys: pytest.CaptureFixture[str]) -> None:
    summary, story = _demo_json(capsys, scenario)
    assert "[1]" in story and summary["ok"] is True and summary["scenario"] == scenario
    honest = {name: p for name, p in summary["users"].items() if p["honest"]}
    assert {"alice", "challenger" if scenario != "optimistic" else "bob"} <= set(honest)
    assert all(p["lost_wei"] == "0" for p in honest.values()), honest
    for person in summary["users"].values():
        assert set(person["start"]) == set(person["end"]) == {"l1_wei", "l2_wei", "bond_wei"}
    steps = {s["step"] for s in summary["l1_steps"]}
    assert {"deposit", "submit_batch"} <= steps and all(s["gas"] > 0 for s in summary["l1_steps"])
    assert summary["batches"]["submitted"] == 2


def test_demo_json_honest_path_claims_after_the_window(capsys: pytest.CaptureFixture[str]) -> None:
    summary, _ = _demo_json(capsys, "optimistic")
    assert summary["batches"] == {"submitted": 2, "on_l1": 2, "reverted": 0, "final": 2}
    assert "withdraw claim" in {s["step"] for s in summary["l1_steps"]}
    assert "not final" in summary["early_claim_refused"]
    bob = summary["users"]["bob"]
    assert int(bob["end"]["l2_wei"]) == 2 * 10**18  # 1 + 2 received - 1 withdrawn


def test_demo_json_fraud_slashes_the_bond(capsys: pytest.CaptureFixture[str]) -> None:
    summary, _ = _demo_json(capsys, "optimistic-fraud")
    assert "bad signature" in summary["verdict"]
    # Batch 1's data stays posted: its claim is proven wrong, then re-proposed, so both claims stand again.
    assert summary["batches"]["submitted"] == 2 and summary["batches"]["on_l1"] == 2
    slash = summary["slashing"]
    assert int(slash["slashed_wei"]) > 0 and slash["operator_bond_after_wei"] == "0"
    assert int(slash["reward_to_challenger_wei"]) + int(slash["burned_wei"]) == int(slash["slashed_wei"])
    assert summary["users"]["operator"]["end"]["bond_wei"] == slash["slashed_wei"]  # bonded again to re-propose
    assert {"prove_fraud", "repropose_batch"} <= {s["step"] for s in summary["l1_steps"]}
    assert summary["users"]["alice"]["end"]["l2_wei"] == str(5 * 10**18)


def test_demo_json_bisection_records_each_move(capsys: pytest.CaptureFixture[str]) -> None:
    summary, _ = _demo_json(capsys, "optimistic-bisection")
    assert summary["verdict"].startswith("step 11") and summary["fraud_step"] == 11
    moves = [s for s in summary["l1_steps"] if s["step"] in ("dispute move", "prove_fraud")]
    assert len(moves) == summary["dispute_moves"] and {m["by"] for m in moves} == {"operator", "challenger"}
    assert int(summary["slashing"]["slashed_wei"]) > 0


def test_demo_unknown_scenario_or_preset_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["demo", "nonesuch"])
    assert info.value.code == 2
    assert main(["demo", "optimistic", "--preset", "huge"]) == 2
    assert "unknown preset 'huge'" in capsys.readouterr().err


# -- l2lab optimistic ... against a node (in process: JSON-RPC dispatcher and REST TestClient) ------

ETH = 10**18


@pytest.fixture(scope="module")
def dev():
    from node.devaccounts import derive_dev_accounts

    return derive_dev_accounts(4)  # 0, 1: users; 2: challenger; 3: operator


def _node_app(dev, *, host: bool):
    """A node app in process; with ``host`` it also deploys and serves a rollup."""
    from fastapi.testclient import TestClient

    from node.chain import Chain
    from node.schemes.optimistic.api import router
    from node.server import create_app

    chain = Chain(genesis_alloc={a.address: 100 * ETH for a in dev})
    app = create_app(chain, dev_keys={a.address: a.private_key for a in dev}, routers=[router])
    client = TestClient(app)
    client.__enter__()
    if host:
        assert client.post("/api/optimistic/deploy", json={"operator": dev[3].address}).status_code == 200
    return chain, app, client


def _point_cli_at(monkeypatch, app, client) -> None:
    """Route the CLI's JSON-RPC and REST calls to an in-process node app."""
    from contracts_spec.l1 import L1Client
    from node.schemes.optimistic import cli as cli_optimistic

    monkeypatch.setattr(cli_optimistic, "make_transport",
                        lambda url, token=None: L1Client.in_process(app.state.dispatcher).transport)
    monkeypatch.setattr(cli_optimistic, "make_http", lambda url: client)


@pytest.fixture
def bare_node(dev, monkeypatch):
    """A node in process with no rollup yet, the CLI pointed at it; users hold dev keys 0–2."""
    chain, app, client = _node_app(dev, host=False)
    _point_cli_at(monkeypatch, app, client)
    yield chain, app, client, [a.private_key for a in dev[:3]], [a.address for a in dev[:3]]
    client.__exit__(None, None, None)
    chain.close()


def test_cli_deposit_transfer_withdraw_claim(bare_node, capsys) -> None:
    from contracts_spec.l1 import L1Client

    chain, app, client, keys, addrs = bare_node

    def cli(*argv: str) -> str:
        return _ok(capsys, *argv)

    rollup = cli("deploy", "--key", keys[0].hex()).strip()
    assert client.post("/api/optimistic/attach", json={"address": rollup, "operator": addrs[0]}).status_code == 200
    cli("deposit", "--rollup", rollup, "--key", keys[1].hex(), "--amount", "3")
    cli("deposit", "--rollup", rollup, "--key", keys[2].hex(), "--amount", "1")
    assert "accepted" in cli("transfer", "--key", keys[1].hex(), "--to", addrs[2], "--amount", "1.5")
    assert "accepted" in cli("withdraw", "--key", keys[2].hex(), "--amount", "0.5")
    assert client.post("/api/optimistic/batches").json()["posted"] is True
    status = cli("status", "--rollup", rollup)
    assert "batch 0: 4 entries, valid" in status
    assert cli("balance", "--rollup", rollup, addrs[2]).strip() == "2 ETH"
    assert "waits" in cli("claim", "--rollup", rollup, "--key", keys[2].hex())
    L1Client.in_process(app.state.dispatcher).rpc("evm_setNextBlockTimestamp", chain.head.timestamp + 120)
    L1Client.in_process(app.state.dispatcher).mine()
    before = chain.get_balance(addrs[2])
    assert "claimed 0.5 ETH from batch 0" in cli("claim", "--rollup", rollup, "--key", keys[2].hex())
    assert chain.get_balance(addrs[2]) > before
    assert "checked 1 live batch" in cli("challenge", "--rollup", rollup, "--key", keys[0].hex())

    assert main(["optimistic", "deposit", "--rollup", rollup, "--key", "zz", "--amount", "1"]) == 1
    assert "--key must be a private key in hex" in capsys.readouterr().err
    assert main(["optimistic", "deposit", "--rollup", rollup, "--key", keys[1].hex(), "--amount", "0"]) == 1
    assert "amount must be more than 0 ETH" in capsys.readouterr().err
    assert main(["optimistic", "transfer", "--key", keys[1].hex(), "--to", addrs[0], "--amount", "1"]) == 1
    assert "no L2 account" in capsys.readouterr().err


def test_cli_deploys_a_bisection_rollup_and_refuses_a_non_rollup(bare_node, capsys) -> None:
    chain, app, client, keys, addrs = bare_node

    def cli(*argv: str) -> str:
        return _ok(capsys, *argv)

    rollup = cli("deploy", "--key", keys[0].hex(), "--bisection").strip()
    r = client.post("/api/optimistic/attach", json={"address": rollup, "operator": addrs[0]})
    assert r.status_code == 200 and r.json()["fraud_proof"] == "bisection"
    cli("deposit", "--rollup", rollup, "--key", keys[1].hex(), "--amount", "3")
    cli("deposit", "--rollup", rollup, "--key", keys[2].hex(), "--amount", "1")
    assert "accepted" in cli("transfer", "--key", keys[1].hex(), "--to", addrs[2], "--amount", "1.5")
    assert client.post("/api/optimistic/batches").json()["posted"] is True
    assert "batch 0: 3 entries, valid" in cli("status", "--rollup", rollup)
    assert cli("balance", "--rollup", rollup, addrs[2]).strip() == "2.5 ETH"
    assert "checked 1 live batch" in cli("challenge", "--rollup", rollup, "--key", keys[1].hex())

    assert main(["optimistic", "status", "--rollup", addrs[1]]) == 1
    assert "is not an optimistic rollup" in capsys.readouterr().err


def test_cli_force_posts_an_overdue_deposit_and_a_dropped_withdrawal_when_no_operator_does(
        bare_node, capsys) -> None:
    """A rollup whose operator never posts: a user forces her deposit in, then her withdrawal behind a second
    deposit of her own, claims it after the window and takes her bond back; each refusal changes nothing."""
    from contracts_spec.l1 import L1Client

    chain, app, client, keys, addrs = bare_node
    l1 = L1Client.in_process(app.state.dispatcher)

    def cli(*argv: str) -> str:
        return _ok(capsys, *argv)

    def refused(*argv: str) -> str:
        head = chain.head.number
        assert main(["optimistic", *argv]) == 1
        _, err = capsys.readouterr()
        assert chain.head.number == head, "a refusal sent a transaction"
        return err

    def overdue() -> None:
        l1.mine(6)  # the minimal preset's deadline: 5 blocks and 60 s
        l1.rpc("evm_setNextBlockTimestamp", chain.head.timestamp + 61)
        l1.mine()

    rollup = cli("deploy", "--key", keys[0].hex()).strip()  # its operator (key 0) never posts a batch
    cli("deposit", "--rollup", rollup, "--key", keys[1].hex(), "--amount", "3")
    assert "not the operator" in refused("force", "--rollup", rollup, "--key", keys[1].hex())
    overdue()
    out = cli("force", "--rollup", rollup, "--key", keys[1].hex())
    assert "posted batch 0: the overdue deposit(s) (L1 gas" in out and "bonded 1 ETH" in out
    assert cli("balance", "--rollup", rollup, addrs[1]).strip() == "3 ETH"
    assert "no queued deposit to force: deposit any amount first" in refused(
        "force", "--rollup", rollup, "--key", keys[1].hex(), "--withdraw", "2")

    cli("deposit", "--rollup", rollup, "--key", keys[1].hex(), "--amount", "0.001")
    overdue()
    assert "insufficient L2 balance" in refused("force", "--rollup", rollup, "--key", keys[1].hex(),
                                                "--withdraw", "5")
    assert "has no L2 account, in the batches on L1 or in the queued deposits" in refused(
        "force", "--rollup", rollup, "--key", keys[2].hex(), "--withdraw", "1")
    out = cli("force", "--rollup", rollup, "--key", keys[1].hex(), "--withdraw", "2")
    assert "posted batch 1: the overdue deposit(s) and your withdrawal of 2 ETH" in out and "bonded" not in out
    assert cli("balance", "--rollup", rollup, addrs[1]).strip() == "1.001 ETH"
    assert "not final yet" in refused("unbond", "--rollup", rollup, "--key", keys[1].hex())

    l1.rpc("evm_setNextBlockTimestamp", chain.head.timestamp + 120)
    l1.mine()
    before = chain.get_balance(addrs[1])
    assert "claimed 2 ETH from batch 1" in cli("claim", "--rollup", rollup, "--key", keys[1].hex())
    assert "bond of 1 ETH withdrawn to L1" in cli("unbond", "--rollup", rollup, "--key", keys[1].hex())
    assert chain.get_balance(addrs[1]) > before + 2 * ETH  # the withdrawal and the bond, less two fees
    assert "has no bond on this rollup" in refused("unbond", "--rollup", rollup, "--key", keys[1].hex())

    # A newcomer's first deposit and her withdrawal in one forced batch: the deposit makes the account.
    cli("deposit", "--rollup", rollup, "--key", keys[2].hex(), "--amount", "1")
    overdue()
    out = cli("force", "--rollup", rollup, "--key", keys[2].hex(), "--withdraw", "0.5")
    assert "posted batch 2: the overdue deposit(s) and your withdrawal of 0.5 ETH" in out
    assert cli("balance", "--rollup", rollup, addrs[2]).strip() == "0.5 ETH"


def test_cli_defend_answers_a_liars_dispute_against_a_forced_batch_on_a_bisection_rollup(bare_node, capsys) -> None:
    from contracts_spec.l1 import L1Client
    from contracts_spec.optimistic.bisection import BisectionRollup
    from rollup.optimistic.dispute import BisectionChallenger, read_dispute
    from rollup.optimistic.l1view import RollupL1

    chain, app, client, keys, addrs = bare_node
    l1 = L1Client.in_process(app.state.dispatcher)

    def cli(*argv: str) -> str:
        return _ok(capsys, *argv)

    single = cli("deploy", "--key", keys[0].hex()).strip()
    assert main(["optimistic", "defend", "--rollup", single, "--key", keys[1].hex()]) == 1
    assert "a valid batch needs no defence" in capsys.readouterr().err

    rollup = cli("deploy", "--key", keys[0].hex(), "--bisection").strip()  # its operator never posts
    cli("deposit", "--rollup", rollup, "--key", keys[1].hex(), "--amount", "3")
    l1.mine(6)
    l1.rpc("evm_setNextBlockTimestamp", chain.head.timestamp + 61)
    l1.mine()
    out = cli("force", "--rollup", rollup, "--key", keys[1].hex(), "--withdraw", "1")
    assert "posted batch 0" in out and "defend --watch 5" in out
    liar = BisectionChallenger(RollupL1.attach(l1, rollup), keys[2], honest=False)
    liar.node.sync()
    liar.open(0)
    for _ in range(20):
        out = cli("defend", "--rollup", rollup, "--key", keys[1].hex())
        liar.act()
        if not read_dispute(liar.rollup).open:
            break
    (resolved,) = l1.events(rollup, BisectionRollup, "DisputeResolved")
    assert int(resolved["winner"], 16) == int(addrs[1], 16)  # the liar's bond went to her
    assert "defending 1 batch(es)" in cli("defend", "--rollup", rollup, "--key", keys[1].hex())
    assert cli("balance", "--rollup", rollup, addrs[1]).strip() == "2 ETH"


# -- a newcomer against the node's hosted rollup: no --rollup, dev accounts by number ------------


@pytest.fixture
def hosted(dev, monkeypatch):
    chain, app, client = _node_app(dev, host=True)
    _point_cli_at(monkeypatch, app, client)
    yield chain, client
    client.__exit__(None, None, None)
    chain.close()


def _ok(capsys, *argv: str) -> str:
    code = main(["optimistic", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def test_newcomer_flow_with_dev_account_numbers_only(hosted, capsys) -> None:
    chain, client = hosted
    assert "deposited 3 ETH" in _ok(capsys, "deposit", "--account", "0", "--amount", "3")
    _ok(capsys, "deposit", "--account", "1", "--amount", "1")
    with pytest.raises(AssertionError, match="operator's next batch gives it 3 ETH"):
        _ok(capsys, "balance", "--account", "0")  # not in a batch on L1 yet: the hint says what comes
    assert client.post("/api/optimistic/batches").json()["posted"] is True
    assert _ok(capsys, "balance", "--account", "0").strip() == "3 ETH"
    assert "accepted" in _ok(capsys, "transfer", "--account", "0", "--to-account", "1", "--amount", "1")
    assert "accepted" in _ok(capsys, "withdraw", "--account", "1", "--amount", "0.5")
    # Not in a batch yet: claim says so, rather than only "nothing to claim".
    assert "not yet in a batch on L1" in _ok(capsys, "claim", "--account", "1")
    assert client.post("/api/optimistic/batches").json()["posted"] is True
    status = _ok(capsys, "status")
    assert re.search(r"batch 1: 2 entries, valid, \d+s of challenge time left", status), status
    assert "nothing claimable yet" in _ok(capsys, "claim", "--account", "1")
    assert re.search(r"L1 time moved \d+s forward", _ok(capsys, "advance"))
    assert "every batch is already final" in _ok(capsys, "advance")
    assert "batch 1: 2 entries, valid, final" in _ok(capsys, "status")
    before = chain.get_balance(hosted[1].app.state.optimistic.rollup.address)
    assert "claimed 0.5 ETH from batch 1" in _ok(capsys, "claim", "--account", "1")
    assert chain.get_balance(hosted[1].app.state.optimistic.rollup.address) == before - ETH // 2
    assert "nothing to claim" in _ok(capsys, "claim", "--account", "1")
    assert "checked 2 live batch" in _ok(capsys, "challenge", "--account", "2")
    main(["optimistic", "status"])
    assert f"rollup {hosted[1].app.state.optimistic.rollup.address} (hosted by the node" in capsys.readouterr().err
    assert _ok(capsys, "balance", "--account", "1").strip() == "1.5 ETH"


def test_cli_censorship_lesson_against_the_hosted_operator(hosted, capsys) -> None:
    """``censor``, a deposit left out, ``advance --deadline``, the user's own ``force`` with her withdrawal,
    ``censor --off``: the lesson a class runs against the node."""
    chain, client = hosted
    _ok(capsys, "deposit", "--account", "0", "--amount", "2")
    assert client.post("/api/optimistic/batches").json()["posted"] is True
    assert "leaves every deposit out" in _ok(capsys, "censor")
    assert "leaves every deposit out (`l2lab optimistic censor --off` ends it)" in _ok(capsys, "status")
    _ok(capsys, "deposit", "--account", "1", "--amount", "0.5")
    assert client.post("/api/optimistic/batches").json()["posted"] is False  # the deposit is left out
    assert "is overdue" not in _ok(capsys, "status")
    assert "deposit 1 is overdue" in _ok(capsys, "advance", "--deadline")
    assert "deposit 1 is overdue: the operator may not post without it" in _ok(capsys, "status")
    r = client.post("/api/optimistic/batches")
    assert r.status_code == 200 and r.json()["posted"] is False  # nothing else it may post
    out = _ok(capsys, "force", "--account", "1", "--withdraw", "0.2")
    assert "posted batch 1: the overdue deposit(s) and your withdrawal of 0.2 ETH" in out
    assert _ok(capsys, "balance", "--account", "1").strip() == "0.3 ETH"
    assert "takes deposits in again" in _ok(capsys, "censor", "--off")
    assert main(["optimistic", "advance", "--deadline"]) == 1
    assert "no deposit waits for a batch" in capsys.readouterr().err


BAD_INPUTS = [
    (["deposit", "--account", "7", "--amount", "1"], "unknown account 7: this node's dev accounts are 0..3"),
    (["deposit", "--account", "-1", "--amount", "1"], "--account must be a dev account number, got '-1'"),
    (["deposit", "--account", "one", "--amount", "1"], "--account must be a dev account number"),
    (["deposit", "--key", "0xzz", "--amount", "1"], "--key must be a private key in hex"),
    (["deposit", "--key", "0x" + "00" * 32, "--amount", "1"], "not a valid secp256k1 private key"),
    (["deposit", "--key", "0x" + "ff" * 32, "--amount", "1"], "not a valid secp256k1 private key"),
    (["deposit", "--key", "0x1234", "--amount", "1"], "--key must be 32 bytes, got 2"),
    (["deposit", "--amount", "1"], "say who signs: --account N"),
    (["deposit", "--account", "0", "--amount", "abc"], "amount must be a number of ETH, got 'abc'"),
    (["deposit", "--account", "0", "--amount", "-1"], "amount must be a non-negative number of ETH"),
    (["deposit", "--account", "0", "--amount", "0"], "amount must be more than 0 ETH"),
    (["deposit", "--account", "0", "--amount", "nan"], "amount must be a non-negative number of ETH"),
    (["deposit", "--account", "0", "--amount", "1e-30"], "is not a whole number of wei"),
    (["deposit", "--account", "0", "--amount", "1e90"], "too large"),
    (["deposit", "--account", "0", "--amount", "1000"], "L1 refused"),
    (["deposit", "--account", "0", "--amount", "1", "--to", "0x12"], "--to must be a 0x-prefixed 20-byte address"),
    (["transfer", "--account", "0", "--to-account", "1", "--amount", "5"], "insufficient L2 balance"),
    (["transfer", "--account", "0", "--to-account", "1", "--amount", "1", "--nonce", "5"],
     "refused the transfer: transaction refused: bad nonce: expected 0, got 5"),
    (["transfer", "--account", "0", "--to-account", "1", "--amount", "1", "--nonce", "-1"], "--nonce must be"),
    (["transfer", "--account", "0", "--to-account", "1", "--amount", "1", "--nonce", str(2**40)], "--nonce must be"),
    (["transfer", "--account", "2", "--to-account", "0", "--amount", "1"], "has no L2 account yet: deposit first"),
    (["transfer", "--account", "0", "--to-account", "2", "--amount", "1"], "the receiver"),
    (["transfer", "--account", "0", "--to", "99", "--amount", "1"], "has no L2 account yet"),
    (["transfer", "--account", "0", "--to", "bob", "--amount", "1"], "--to must be a 0x-prefixed 20-byte address"),
    (["transfer", "--account", "0", "--amount", "1"], "to whom?"),
    (["withdraw", "--account", "0", "--amount", "1", "--recipient", "0xnothex"], "--recipient must be"),
    (["withdraw", "--account", "0", "--amount", str(10**80)], "too large"),
    (["balance"], "whose balance?"),
    (["balance", "0x" + "ab" * 20], "has no L2 account in the batches on L1 yet"),
    (["status", "--rollup", "0x" + "ab" * 20], "is not an optimistic rollup"),
    (["advance", "-5"], "SECONDS must be between 1 and 1000000000"),
    (["advance", "soon"], "SECONDS must be a whole number"),
    (["challenge", "--account", "2", "--watch", "-1"], "--watch must be between"),
    (["status", "--rpc", "localhost:8545"], "node URL must start with http://"),
    (["deploy", "--account", "0", "--bond", "0.5"], "--bond must be at least the preset's minimum, 1 ETH"),
    (["deploy", "--account", "0", "--bond", "1000"], "--bond 1000 ETH exceeds the key's L1 balance"),
    (["deploy", "--account", "0", "--preset", "huge"], "unknown preset 'huge'"),
    (["force", "--account", "0"], "no queued deposit to force: deposit any amount first"),
    (["force", "--account", "0", "--withdraw", "-1"], "amount must be a non-negative number of ETH"),
    (["force", "--account", "0", "--withdraw", "0"], "amount must be more than 0 ETH"),
    (["force", "--account", "0", "--withdraw", "1", "--recipient", "0x12"], "--recipient must be"),
    (["unbond", "--account", "1"], "has no bond on this rollup"),
    (["defend", "--account", "0"], "a valid batch needs no defence"),
    (["defend", "--account", "0", "--watch", "-1"], "--watch must be between"),
    (["advance", "--deadline"], "no deposit waits for a batch"),
    (["advance", "--deadline", "60"], "give SECONDS or --deadline, not both"),
]


@pytest.mark.parametrize(("argv", "problem"), BAD_INPUTS, ids=[" ".join(a)[:60] for a, _ in BAD_INPUTS])
def test_bad_input_is_one_line_and_changes_nothing(hosted, capsys, argv: list[str], problem: str) -> None:
    chain, client = hosted
    _ok(capsys, "deposit", "--account", "0", "--amount", "2")
    _ok(capsys, "deposit", "--account", "1", "--amount", "1")
    assert client.post("/api/optimistic/batches").json()["posted"] is True
    before = client.get("/api/optimistic/status").json()
    head = chain.head.number
    code = main(["optimistic", *argv])
    out, err = capsys.readouterr()
    assert code == 1 and out == ""
    # The rollup acted on is named on its own line first; the error is one line.
    err = "".join(line for line in err.splitlines(keepends=True) if not line.startswith("rollup 0x"))
    assert err.count("\n") == 1 and err.startswith(f"l2lab optimistic {argv[0]}: ") and problem in err, err
    assert "Traceback" not in err
    assert client.get("/api/optimistic/status").json() == before
    assert chain.head.number == head


def test_rollup_not_hosted_and_node_down_are_one_line(dev, monkeypatch, capsys) -> None:
    chain, app, client = _node_app(dev, host=False)
    try:
        with monkeypatch.context() as m:
            _point_cli_at(m, app, client)
            for argv in (["status"], ["deposit", "--account", "0", "--amount", "1"], ["advance"],
                         ["transfer", "--account", "0", "--to-account", "1", "--amount", "1"]):
                assert main(["optimistic", *argv]) == 1
                err = capsys.readouterr().err
                assert err.count("\n") == 1 and "hosts no optimistic rollup" in err, err
    finally:
        client.__exit__(None, None, None)
        chain.close()
    for argv in (["status"], ["transfer", "--account", "0", "--to-account", "1", "--amount", "1"]):
        assert main(["optimistic", "--rpc", "http://127.0.0.1:9", *argv]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "cannot reach the node at http://127.0.0.1:9" in err, err


def test_key_and_account_together_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["optimistic", "deposit", "--key", "0x" + "11" * 32, "--account", "0", "--amount", "1"])
    assert info.value.code == 2 and "not allowed with argument" in capsys.readouterr().err
