"""The Solidity twins themselves: artefacts fresh, ABIs the Python contracts', and the compiler pinned.

The artefact and ABI checks need no compiler. The recompilation check runs
the pinned solc from tools/evm and skips, naming what is missing, without it.
"""

from __future__ import annotations

import importlib
import json

import pytest

from contracts_spec import evm as twins
from tests.evm_twin import gas_table, new_l1, require_evm

# The modules that hold the Python contracts the twins stand for.
SPEC_MODULES = ("contracts_spec.channels.contract", "contracts_spec.channels.monitoring",
                "contracts_spec.plasma.contract", "contracts_spec.optimistic.contract",
                "contracts_spec.optimistic.bisection", "contracts_spec.zk.contract")
NAMES = [p.stem for p in twins.source_files()]


def spec_class(name: str) -> type:
    for module in SPEC_MODULES:
        found = getattr(importlib.import_module(module), name, None)
        if found is not None:
            return found
    raise LookupError(f"{name}.sol is the twin of no Python contract in {', '.join(SPEC_MODULES)}")


@pytest.mark.parametrize("name", NAMES)
def test_a_twin_was_compiled_from_its_source_as_it_is(name: str) -> None:
    twins.check_fresh(name)


@pytest.mark.parametrize("name", NAMES)
def test_a_twin_has_the_abi_of_its_python_contract(name: str) -> None:
    assert twins.abi_differences(spec_class(name)) == []


def test_every_artefact_has_its_source() -> None:
    assert sorted(p.stem for p in twins.ARTIFACTS.glob("*.json")) == sorted(NAMES)


def test_a_missing_twin_is_named() -> None:
    with pytest.raises(twins.EvmArtifactError, match="no Solidity twin of Nothing"):
        twins.artifact("Nothing")


@pytest.mark.parametrize("name", NAMES)
def test_the_pinned_compiler_makes_the_artefact_that_is_committed(name: str) -> None:
    require_evm("recompiling the twins")
    from node import evm

    made = evm.compile_twin(name)
    held = json.loads(twins.artifact_path(name).read_text())
    assert made == held, f"{name}: the committed artefact is not what the pinned solc makes of {name}.sol"


def test_the_secret_registry_on_both_l1s() -> None:
    from contracts_spec.channels.contract import SecretRegistry
    from contracts_spec.l1 import TransactionReverted
    from primitives.secp256k1 import private_key_to_address

    key = b"\x07" * 32
    seen = {}
    for kind in ("toy", "evm"):
        l1 = new_l1(kind, {private_key_to_address(key): 10**18})
        registry = l1.deploy(key, SecretRegistry)
        l1.transact(key, registry, SecretRegistry, "register_secret", b"\x11" * 32)
        for secret in (b"\x11" * 32, bytes(32)):
            with pytest.raises(TransactionReverted):
                l1.transact(key, registry, SecretRegistry, "register_secret", secret, gas=100_000)
        block, _ = l1.call(registry, SecretRegistry, "get_secret_reveal", l1.events(
            registry, SecretRegistry, "SecretRevealed")[0]["secrethash"])
        assert block == l1.block_number() - 2
        seen[kind] = l1.calls
    assert [(c.method, c.ok, c.rule) for c in seen["toy"]] == [(c.method, c.ok, c.rule) for c in seen["evm"]]
    print(gas_table(seen["toy"], seen["evm"]))


def test_a_twins_digest_covers_the_files_it_imports(tmp_path, monkeypatch) -> None:
    """Editing shared code (lib/) or a twin another extends makes every twin that imports it stale."""
    (tmp_path / "lib").mkdir()
    (tmp_path / "A.sol").write_text('import {B} from "./lib/B.sol";\ncontract A {}\n')
    (tmp_path / "lib" / "B.sol").write_text("library B {}\n")
    monkeypatch.setattr(twins, "SOURCES", tmp_path)
    assert [p.name for p in twins.sources_of("A")] == ["A.sol", "B.sol"]
    before = twins.source_digest("A")
    (tmp_path / "lib" / "B.sol").write_text("library B { }\n")
    assert twins.source_digest("A") != before


def test_the_bisection_twin_extends_the_optimistic_one_and_the_channel_twins_share_their_text_library() -> None:
    assert [p.name for p in twins.sources_of("BisectionRollup")] == ["BisectionRollup.sol", "OptimisticRollup.sol"]
    assert twins.sources_of("ChannelAdjudicator")[1] == twins.sources_of("MonitoringService")[1]
