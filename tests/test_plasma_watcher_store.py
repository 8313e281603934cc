"""A Plasma watcher's durable store: what it validated and was handed survives its crash, and the operator's end.

The world is real: an in-process L1 with the root chain, the operator of
``plasma.operator``, and watchers that validate every block. A watcher with a
store is dropped without ``close`` (its files copied while its connection is
open, as a crash leaves them), the operator vanishes, and a new watcher on the
store still holds every block and confirmation it needs to exit.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from contracts_spec.plasma import rules as R
from contracts_spec.plasma.contract import RootChain
from contracts_spec.plasma.params import MINIMAL
from node.chain import Chain
from node.rpc import in_process_l1
from plasma.operator import Operator, tx_id
from plasma.watcher import Watcher, WatcherStore, WatcherStoreError
from primitives.secp256k1 import private_key_to_address
from tests import test_plasma_cli as cli_tests

ETH = 10**18
BOND = MINIMAL.exit_bond
NAMES = ("alice", "bob", "carol", "operator")
KEYS = {name: bytes([i + 151]) * 32 for i, name in enumerate(NAMES)}
ADDR = {name: private_key_to_address(k) for name, k in KEYS.items()}


class World:
    def __init__(self) -> None:
        self.l1 = in_process_l1(Chain(genesis_alloc={a: 1000 * ETH for a in ADDR.values()}))
        self.address = self.deploy()
        self.operator = Operator(self.l1, self.address, KEYS["operator"])
        self.gone = False

    def deploy(self) -> str:
        return self.l1.deploy(KEYS["operator"], RootChain, *MINIMAL.constructor_args(ADDR["operator"]))

    # The operator as a watcher reaches it; once gone, it serves nothing and takes nothing.
    def fetch(self, blknum: int) -> list[R.SignedTransaction] | None:
        return None if self.gone else self.operator.served_block(blknum)

    def confirmations(self, ident: str) -> bytes | None:
        return None if self.gone else self.operator.confirmations.get(ident)

    def post(self, ident: str, sigs: bytes) -> None:
        if not self.gone:
            self.operator.post_confirmation(ident, sigs)

    def watcher(self, name: str, store: Path | None = None, address: str | None = None) -> Watcher:
        return Watcher(self.l1, address or self.address, KEYS[name], fetch=self.fetch,
                       confirmations=self.confirmations, post=self.post, store_path=store)

    def deposit(self, name: str, amount: int) -> None:
        self.l1.transact(KEYS[name], self.address, RootChain, "deposit", value=amount)

    def paid(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in self.l1.events(self.address, RootChain, "ExitFinalized"):
            owner = next(n for n, a in ADDR.items() if a.lower() == e["owner"].lower())
            out[owner] = out.get(owner, 0) + e["paid"]
        return out


def crash_copy(store: Path, to: Path) -> Path:
    """The store's files as a crash would leave them: copied while the watcher's connection is still open."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{store}{suffix}").exists():
            shutil.copyfile(f"{store}{suffix}", f"{to}{suffix}")
    return to


def test_a_restarted_watcher_exits_blocks_it_validated_after_the_operator_vanished(tmp_path) -> None:
    world = World()
    store = tmp_path / "bob.sqlite"
    alice, bob = world.watcher("alice"), world.watcher("bob", store)
    world.deposit("alice", 5 * ETH)
    alice.poll()
    world.operator.submit(alice.pay(ADDR["bob"], 3 * ETH))
    assert world.operator.make_block() is not None
    for _ in range(2):  # the block, then Alice's confirmation her first round posted
        alice.poll()
        bob.poll()
    assert bob.balance() == 3 * ETH and 1000 in bob.blocks and bob.alarm is None
    [paying] = world.operator.blocks[1000].txs
    assert tx_id(paying) in bob.kept and tx_id(paying) in world.operator.confirmations  # posted by Alice
    crashed = crash_copy(store, tmp_path / "crashed.sqlite")
    del bob  # dropped without close
    world.gone = True

    again = world.watcher("bob", crashed)
    assert again.balance() == 3 * ETH  # from the store alone: the operator serves nothing
    assert sorted(again.blocks) == [1000] and tx_id(paying) in again.kept
    again.poll()
    assert again.alarm is None and again.balance() == 3 * ETH
    [record] = again.exit_all()
    assert record.utxo_pos == R.encode_utxo_pos(1000, 0, 0) and record.refused is None
    world.l1.increase_time(4 * MINIMAL.exit_period_seconds)
    world.l1.mine(4 * MINIMAL.exit_period_blocks)
    assert again.finalize() is not None
    assert world.paid() == {"bob": 3 * ETH + BOND}
    again.close()
    # Restarted once more: the exit it started is on record, and nothing is exited twice.
    third = world.watcher("bob", crashed)
    assert list(third.exits) == [R.encode_utxo_pos(1000, 0, 0)] and third.balance() == 0
    third.poll()
    assert world.paid() == {"bob": 3 * ETH + BOND}
    third.close()


def test_a_restart_without_the_operator_keeps_the_confirmations_it_was_handed_and_its_own(tmp_path) -> None:
    world = World()
    store = tmp_path / "alice.sqlite"
    alice, bob = world.watcher("alice", store), world.watcher("bob")
    world.deposit("alice", 4 * ETH)
    alice.poll()
    world.operator.submit(alice.pay(ADDR["bob"], ETH))
    world.operator.make_block()
    alice.poll()
    bob.poll()
    assert alice.balance() == 3 * ETH and bob.balance() == ETH
    alice.store._db.close()  # type: ignore[union-attr]  # the connection dies abruptly
    world.gone = True
    again = world.watcher("alice", store)
    assert again.balance() == 3 * ETH and again.kept == alice.kept
    assert again.store is not None and again.store.kept()[1] == set(alice.kept)  # posted, not posted again
    again.close()


def test_a_store_refuses_another_owner_and_another_root_chain(tmp_path) -> None:
    world = World()
    store = tmp_path / "bob.sqlite"
    world.deposit("bob", ETH)
    bob = world.watcher("bob", store)
    bob.poll()
    bob.close()
    with pytest.raises(WatcherStoreError) as other_owner:
        world.watcher("carol", store)
    message = str(other_owner.value)
    assert f"owner {ADDR['bob']}" in message and f"owner {ADDR['carol']}" in message and str(store) in message
    other = world.deploy()
    with pytest.raises(WatcherStoreError) as other_chain:
        world.watcher("bob", store, address=other)
    message = str(other_chain.value)
    assert f"root chain {world.address}" in message and f"root chain {other}" in message
    assert WatcherStore.read_meta(store)["owner"] == ADDR["bob"]  # type: ignore[index]
    assert world.watcher("bob", store).balance() == ETH  # still its own


def test_a_store_is_refused_when_l1_does_not_hold_its_blocks(tmp_path) -> None:
    world = World()
    store = tmp_path / "alice.sqlite"
    world.deposit("alice", 2 * ETH)
    alice = world.watcher("alice", store)
    alice.poll()
    world.operator.submit(alice.pay(ADDR["bob"], ETH))
    world.operator.make_block()
    alice.poll()
    alice.close()
    fresh = World()  # the same root chain address and chain id, on a chain started afresh
    assert fresh.address == world.address
    with pytest.raises(WatcherStoreError, match=r"holds block\(s\) \[1000\]"):
        fresh.watcher("alice", store)
    bad = tmp_path / "not-a-store"
    bad.write_bytes(b"not sqlite" * 100)
    with pytest.raises(WatcherStoreError, match="cannot use .* as a watcher store"):
        world.watcher("alice", bad)
    with pytest.raises(WatcherStoreError, match="cannot open the watcher store"):
        world.watcher("alice", tmp_path / "missing" / "x.sqlite")


# -- the CLI -------------------------------------------------------------------------------------------

node, cli = cli_tests.node, cli_tests.cli  # the CLI's fixtures: an in-process node hosting the Plasma chain


def test_watch_with_a_store_reports_the_balance_with_the_operator_unreachable(node, cli, tmp_path,
                                                                                monkeypatch) -> None:
    from node.devaccounts import derive_dev_accounts
    from node.schemes.plasma import cli as plasma_cli

    dev = derive_dev_accounts(2)
    store = tmp_path / "watch.sqlite"
    cli("deposit", "--account", "0", "--amount", "2")
    cli("send", "--account", "0", "--to", "1", "--amount", "1")
    out = cli("watch", "--account", "1", "--once", "--store", str(store))
    assert f"{dev[1].address} holds 1 ETH in 1 output(s)" in out and str(store) in out

    class Unreachable:
        def __getattr__(self, name):
            def fail(*a, **kw):
                raise httpx.ConnectError("connection refused")
            return fail

    monkeypatch.setattr(plasma_cli, "make_http", lambda url, token=None: Unreachable())
    out = cli("watch", "--account", "1", "--once", "--store", str(store))
    assert "the operator is unreachable" in out
    assert "validated 1 block(s)" in out and f"{dev[1].address} holds 1 ETH in 1 output(s)" in out
    line = cli("watch", "--account", "0", "--once", "--store", str(store), ok=False)
    assert f"owner {dev[1].address}" in line and f"owner {dev[0].address}" in line
    # Without a store, nothing names the root chain.
    line = cli("watch", "--account", "1", "--once", "--no-store", ok=False)
    assert "cannot learn the root chain from the operator" in line


@pytest.mark.parametrize(("store", "needle"), [
    ("{tmp}", "is a directory"),
    ("{tmp}/missing/watch.sqlite", "does not exist"),
    ("{tmp}/junk", "cannot use"),
])
def test_watch_refuses_a_bad_store_path_in_one_line(node, cli, tmp_path, store, needle) -> None:
    (tmp_path / "junk").write_bytes(b"junk" * 300)
    line = cli("watch", "--account", "1", "--once", "--store", store.format(tmp=tmp_path), ok=False)
    assert needle in line, line


def test_watch_defaults_to_a_store_in_the_data_dir(node, cli, tmp_path, capsys) -> None:
    from node.cli import main
    from node.devaccounts import derive_dev_accounts

    address = derive_dev_accounts(2)[1].address
    cli("deposit", "--account", "1", "--amount", "1")
    assert main(["plasma", "--data-dir", str(tmp_path), "watch", "--account", "1", "--once"]) == 0
    out = capsys.readouterr().out
    default = tmp_path / f"watch-{address}.sqlite"
    assert default.is_file() and str(default) in out and "holds 1 ETH" in out
    assert "no store: --data-dir /nonexistent does not exist" in cli("watch", "--account", "1", "--once")
    # The node's own files in the same data dir are left alone.
    assert any(p.name.endswith("-operator.sqlite") for p in tmp_path.iterdir())
