"""REST routes under ``/api/optimistic/``: run and use an optimistic rollup on this node.

``l2lab node`` mounts ``router`` (the scheme registry, ``node.schemes``); in
tests, ``create_app(chain, routers=[router])``. The node then hosts the rollup's operator (deployed with a dev account's key, or
attached to an existing deployment) and a full node, and L2 users talk to it:
fetch the EIP-712 document to sign, send signed transfers and withdrawals,
read accounts, batches and withdrawal proofs. Bad input is a 400 whose
``detail`` names the problem (404 for something that does not exist); a
refused request changes nothing.

When the chain keeps a data directory, the operator keeps its write-ahead log
of accepted transactions there: after a crash, ``POST /attach`` with the same
operator replays it, and ``status`` reports what the replay did.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from node.api import ADMIN_RESPONSES, require_admin

router = APIRouter(prefix="/api/optimistic", tags=["optimistic rollup"])


class DeployRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt option is named, not silently ignored
    preset: str = Field("minimal", description="'minimal' (tests, workshops) or 'mainnet'")
    operator: str | None = Field(None, description="a dev account address; the first one by default")
    bond_wei: str | None = Field(None, description="bond to post, decimal wei; the preset minimum by default")
    fraud_proof: str = Field("single-round", description="'single-round' (every intermediate root posted) "
                             "or 'bisection' (compact batches, interactive dispute game)")


class AttachRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(description="the rollup contract's address")
    operator: str | None = Field(None, description="a dev account holding the operator key, to sequence")


class TxRequest(BaseModel):
    """A transfer or withdrawal. The fields are checked by ``parse_tx``, strictly (no ``true`` for 1,
    no ``"1.0"``), so the numbers the operator reads are exactly the ones the wallet signed."""

    model_config = ConfigDict(extra="forbid")

    kind: Any = Field(description="'transfer' or 'withdraw'")
    from_: Any = Field(alias="from", description="sending account index (integer)")
    to: Any = Field(None, description="receiving account index (transfer)")
    recipient: Any = Field(None, description="L1 address paid on L1 (withdraw)")
    amount: Any = Field(description="wei, decimal string (or 0x-hex); below 2**256")
    nonce: Any = Field(description="the sender's next L2 nonce (integer)")
    signature: Any = Field(None, description="65 bytes r||s||v, 0x-hex (not for typed-data)")

    def body(self) -> dict[str, Any]:
        return {"kind": self.kind, "from": self.from_, "to": self.to, "recipient": self.recipient,
                "amount": self.amount, "nonce": self.nonce, "signature": self.signature}


def _l1(request: Request):
    from contracts_spec.l1 import L1Client

    return L1Client.in_process(request.app.state.dispatcher)


def _data_dir(request: Request):
    """The chain's data directory (None when it lives in memory): the operator's log goes there."""
    return getattr(getattr(request.app.state, "chain", None), "data_dir", None)


def _dev_key(request: Request, address: str | None) -> bytes:
    keys: dict[str, bytes] = getattr(request.app.state, "dev_keys", {}) or {}
    if not keys:
        raise HTTPException(400, "this node has no dev accounts to act as the operator")
    if address is None:
        return next(iter(keys.values()))
    for addr, key in keys.items():
        if addr.lower() == address.lower():
            return key
    raise HTTPException(400, f"operator {address} is not a dev account of this node")


def _service(request: Request):
    service = getattr(request.app.state, "optimistic", None)
    if service is None:
        raise HTTPException(404, "no optimistic rollup here yet: POST /api/optimistic/deploy or /attach")
    return service


def _install(request: Request, service) -> None:
    """Serve ``service`` from now on; the one it replaces closes its log."""
    old = getattr(request.app.state, "optimistic", None)
    request.app.state.optimistic = service
    if old is not None and old is not service:
        old.close()


def _call(fn, *args):
    """Run a service call, mapping its errors to HTTP answers that keep the message."""
    from contracts_spec.l1 import L1Error
    from rollup.optimistic.service import NotAccepted

    try:
        return fn(*args)
    except NotAccepted as exc:  # the operator's log could not be written: retry later
        raise HTTPException(503, str(exc)) from None
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0]) if exc.args else "not found") from None
    except PermissionError as exc:
        raise HTTPException(403, str(exc)) from None
    except (ValueError, L1Error) as exc:
        raise HTTPException(400, str(exc)) from None


@router.post("/deploy", summary="deploy a rollup with a dev account as its operator",
             dependencies=[Depends(require_admin)], responses=ADMIN_RESPONSES)
def deploy(body: DeployRequest, request: Request) -> dict[str, Any]:
    from contracts_spec.optimistic.bisection import BisectionRollup
    from contracts_spec.optimistic.contract import OptimisticRollup
    from contracts_spec.optimistic.params import get_preset
    from rollup.optimistic.service import OptimisticService

    preset = _call(get_preset, body.preset)
    contracts = {"single-round": OptimisticRollup, "bisection": BisectionRollup}
    if body.fraud_proof not in contracts:
        raise HTTPException(400, f"fraud_proof must be 'single-round' or 'bisection', got {body.fraud_proof!r}")
    key = _dev_key(request, body.operator)
    bond = None
    if body.bond_wei is not None:
        if not (body.bond_wei.isascii() and body.bond_wei.isdigit()) or len(body.bond_wei) > 78:
            raise HTTPException(400, f"bond_wei must be a decimal number of wei, got {body.bond_wei[:80]!r}")
        bond = int(body.bond_wei)
    service = _call(lambda: OptimisticService.deploy(_l1(request), key, preset, bond, data_dir=_data_dir(request),
                                                     contract=contracts[body.fraud_proof]))
    _install(request, service)
    return service.status()


@router.post("/attach", summary="follow (and with an operator key, sequence) an existing rollup",
             dependencies=[Depends(require_admin)], responses=ADMIN_RESPONSES)
def attach(body: AttachRequest, request: Request) -> dict[str, Any]:
    from rollup.optimistic.service import OptimisticService

    key = _dev_key(request, body.operator) if body.operator else None
    l1 = _l1(request)
    try:
        code = l1.rpc("eth_getCode", body.address, "latest")
    except Exception as exc:  # a malformed address is the dispatcher's 400
        raise HTTPException(400, f"address: {exc}") from None
    if code in ("0x", "", None):
        raise HTTPException(404, f"no contract at {body.address}")
    service = _call(lambda: OptimisticService(l1, body.address, key, data_dir=_data_dir(request)))
    _call(service.status)  # proves it is a rollup before keeping it
    _install(request, service)
    return service.status()


@router.get("/status", summary="the rollup's parameters, batches, deposits and roots")
def status(request: Request) -> dict[str, Any]:
    return _call(_service(request).status)


@router.get("/accounts/{who}", summary="an L2 account by index or address")
def account(who: str, request: Request) -> dict[str, Any]:
    return _call(_service(request).account, who)


@router.get("/batches/{index}", summary="a batch as rebuilt from L1 calldata")
def batch(index: int, request: Request) -> dict[str, Any]:
    return _call(_service(request).batch, index)


@router.post("/batches", summary="post the pending transactions as a batch now",
             dependencies=[Depends(require_admin)], responses=ADMIN_RESPONSES)
def post_batch(request: Request) -> dict[str, Any]:
    return _call(_service(request).post_batch)


@router.get("/eip712", summary="the EIP-712 document to sign, message fields left null to fill in")
def eip712(request: Request, kind: str = "transfer") -> dict[str, Any]:
    """Fill ``message`` (``from``, ``to`` or ``recipient``, ``amount``, ``nonce``) and pass the
    document to ``eth_account.Account.sign_typed_data(key, full_message=doc)``."""
    return _call(_service(request).eip712_schema, kind)


@router.post("/typed-data", summary="the EIP-712 document to sign for a transfer or withdrawal")
def typed_data(body: TxRequest, request: Request) -> dict[str, Any]:
    return _call(_service(request).typed_data, body.body())


@router.post("/transactions", summary="send a signed transfer or withdrawal to the operator")
def submit(body: TxRequest, request: Request) -> dict[str, Any]:
    return _call(_service(request).submit, body.body())


@router.post("/transactions/batch", summary="send several signed transactions: one durable log commit for all")
def submit_many(body: list[TxRequest], request: Request) -> dict[str, Any]:
    return _call(_service(request).submit_many, [tx.body() for tx in body])


@router.get("/withdrawals/{recipient}", summary="withdrawals to an L1 address, with claim proofs")
def withdrawals(recipient: str, request: Request) -> list[dict[str, Any]]:
    return _call(_service(request).withdrawals, recipient)
