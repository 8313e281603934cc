"""The OpenAPI document describes the node's REST API: a bounded schemathesis run with all its checks.

Every operation is called with requests generated from the document itself,
valid and invalid; schemathesis checks that none is a server error, that every
status code and body is the documented one, that schema-valid requests are not
refused as malformed and schema-violating ones are. It runs against a node
with no rollup hosted yet and against one hosting a rollup. JSON-RPC at
``POST /`` is left out: like geth it answers every error with HTTP 200 and a
JSON-RPC error object, which JSON Schema cannot tell apart;
tests/test_rpc_fuzz.py fuzzes it.
"""

from __future__ import annotations

import os

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from node.chain import Chain
from node.devaccounts import derive_dev_accounts, dev_keys, genesis_alloc
from node.schemes.optimistic.api import router
from node.server import create_app

DEV = derive_dev_accounts(3)
SETTINGS = settings(max_examples=20, deadline=None, derandomize=bool(os.environ.get("CI")),
                    suppress_health_check=list(HealthCheck))


def _app(hosting: bool):
    app = create_app(Chain(genesis_alloc=genesis_alloc(DEV)), dev_keys=dev_keys(DEV), routers=[router])
    if hosting:
        assert TestClient(app).post("/api/optimistic/deploy", json={}).status_code == 200
    return app


BARE = schemathesis.openapi.from_asgi("/openapi.json", _app(hosting=False)).exclude(path="/")
HOSTING = schemathesis.openapi.from_asgi("/openapi.json", _app(hosting=True)).exclude(path="/")


@BARE.parametrize()
@SETTINGS
def test_a_node_with_no_rollup_keeps_to_its_document(case) -> None:
    case.call_and_validate()


@HOSTING.parametrize()
@SETTINGS
def test_a_node_hosting_a_rollup_keeps_to_its_document(case) -> None:
    case.call_and_validate()


def _zk_app(hosting: bool):
    """A node with the zk-rollup's routes; ``hosting`` serves a deployed rollup (its prover in this process)."""
    from contracts_spec.l1 import L1Client
    from contracts_spec.zk.params import SMALL
    from node.devaccounts import derive_dev_account
    from node.schemes.zk.api import router as zk_router
    from rollup.zk.service import ZkService

    operator = derive_dev_account(7)
    chain = Chain(genesis_alloc=genesis_alloc([*DEV, operator]))
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[zk_router])
    if hosting:
        l1 = L1Client.in_process(app.state.dispatcher)
        app.state.zk = ZkService.deploy(l1, operator.private_key, SMALL, worker=False)
    return app


ZK_BARE = schemathesis.openapi.from_asgi("/openapi.json", _zk_app(hosting=False)).include(path_regex="^/api/zk/")
ZK_HOSTING = schemathesis.openapi.from_asgi("/openapi.json", _zk_app(hosting=True)).include(path_regex="^/api/zk/")


@ZK_BARE.parametrize()
@SETTINGS
def test_a_node_with_no_zk_rollup_keeps_to_its_document(case) -> None:
    case.call_and_validate()


@ZK_HOSTING.parametrize()
@SETTINGS
def test_a_node_hosting_a_zk_rollup_keeps_to_its_document(case) -> None:
    case.call_and_validate()


def _plasma_app(hosting: bool):
    """A node with the Plasma routes; ``hosting`` serves a deployed root chain with a deposit and a block."""
    import tempfile

    from contracts_spec.l1 import L1Client
    from contracts_spec.plasma import rules as R
    from contracts_spec.plasma.contract import RootChain
    from contracts_spec.plasma.params import MINIMAL
    from node.devaccounts import derive_dev_account
    from node.schemes.plasma.api import router as plasma_router
    from node.schemes.plasma.service import PlasmaService

    operator = derive_dev_account(2)
    chain = Chain(genesis_alloc=genesis_alloc([*DEV, operator]))
    app = create_app(chain, dev_keys=dev_keys(DEV), routers=[plasma_router])
    if hosting:
        l1 = L1Client.in_process(app.state.dispatcher)
        service = PlasmaService.deploy(l1, operator.private_key, MINIMAL, tempfile.mkdtemp(prefix="l2lab-oas-"))
        l1.transact(DEV[0].private_key, service.address, RootChain, "deposit", value=10**18)
        signed = R.sign_transaction(R.Transaction.spend([10**9], [(DEV[1].address, 10**18)]), [DEV[0].private_key],
                                    R.Domain(l1.chain_id, service.address))
        service.operator.submit(signed)
        service.tick()
        app.state.plasma = service
    return app


PLASMA_BARE = schemathesis.openapi.from_asgi("/openapi.json", _plasma_app(hosting=False)).include(
    path_regex="^/api/plasma/")
PLASMA_HOSTING = schemathesis.openapi.from_asgi("/openapi.json", _plasma_app(hosting=True)).include(
    path_regex="^/api/plasma/")


@PLASMA_BARE.parametrize()
@SETTINGS
def test_a_node_with_no_plasma_chain_keeps_to_its_document(case) -> None:
    case.call_and_validate()


@PLASMA_HOSTING.parametrize()
@SETTINGS
def test_a_node_hosting_a_plasma_chain_keeps_to_its_document(case) -> None:
    case.call_and_validate()
