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

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from node.api import as_integer, require_admin, responses

router = APIRouter(prefix="/api/optimistic", tags=["optimistic rollup"])


# The documented forms. The routes check them in code (``parse_tx`` for transactions), so each
# refusal names its field in words; the schemathesis run in tests/test_openapi_conformance.py holds
# the two together.
ADDRESS = r"^0[xX][0-9a-fA-F]{40}$"
U32 = {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}
# Wei as text (decimal or 0x-hex, below 2**256: JSON numbers lose precision past 2**53), or as a
# JSON number up to 2**53 - 1, where every reader agrees on its value.
MAX_SAFE_INTEGER = 2**53 - 1
WEI = {"anyOf": [{"type": "string", "pattern": r"^(0[xX][0-9a-fA-F]{1,64}|[0-9]{1,78})$"},
                 {"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER}]}
SIGNATURE = {"type": "string", "pattern": r"^(0[xX])?[0-9a-fA-F]{130}$",
             "description": "the sender's EIP-712 signature, 65 bytes r||s||v as hex (0x optional)"}


def _tx_schema(signed: bool) -> dict[str, Any]:
    def form(kind: str, party: str, party_schema: dict) -> dict[str, Any]:
        props = {"kind": {"const": kind}, "from": U32, party: party_schema, "amount": WEI, "nonce": U32}
        required = ["kind", "from", party, "amount", "nonce"]
        if signed:
            props["signature"] = SIGNATURE
            required.append("signature")
        return {"type": "object", "title": f"{'Signed' if signed else 'Unsigned'}{kind.title()}",
                "properties": props, "required": required, "additionalProperties": False}

    return {"oneOf": [form("transfer", "to", U32), form("withdraw", "recipient", {"type": "string", "pattern": ADDRESS})],
            "description": "a transfer (to an L2 account index) or a withdrawal (to an L1 address)"}


UNSIGNED_TX, SIGNED_TX = _tx_schema(False), _tx_schema(True)
SIGNED_BATCH = {"type": "array", "items": SIGNED_TX, "minItems": 1, "maxItems": 1000}


class DeployRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt option is named, not silently ignored
    preset: str = Field("minimal", description="'minimal' (tests, workshops) or 'mainnet'",
                        json_schema_extra={"enum": ["minimal", "mainnet"]})
    operator: str | None = Field(None, description="a dev account address; the first one by default",
                                 json_schema_extra={"pattern": ADDRESS})
    bond_wei: str | None = Field(None, description="bond to post, decimal wei; the preset minimum by default",
                                 json_schema_extra={"pattern": r"^[0-9]{1,78}$"})
    fraud_proof: str = Field("single-round", description="'single-round' (every intermediate root posted) "
                             "or 'bisection' (compact batches, interactive dispute game)",
                             json_schema_extra={"enum": ["single-round", "bisection"]})


class AttachRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    address: str = Field(description="the rollup contract's address", json_schema_extra={"pattern": ADDRESS})
    operator: str | None = Field(None, description="a dev account holding the operator key, to sequence",
                                 json_schema_extra={"pattern": ADDRESS})


def _tx_body(body: dict) -> dict:
    """The transaction as ``parse_tx`` reads it: 3.0 as 3, and a signature's 0x added when left out."""
    out = {k: as_integer(v) for k, v in body.items()}
    sig = out.get("signature")
    if isinstance(sig, str) and len(sig) in (130, 132):
        out["signature"] = "0x" + sig[-130:] if len(sig) == 130 or sig[:2] in ("0x", "0X") else sig
    return out


def _form(body: Any, *, signed: bool) -> Any:
    """Check a transaction body's form (400 naming the field), before the rollup's rules see it (409)."""
    from rollup.optimistic.service import parse_tx

    if not isinstance(body, dict):
        raise HTTPException(400, "the request body must be a JSON object: a transfer or a withdrawal")
    body = _tx_body(body)
    extra = set(body) - {"kind", "from", "to", "recipient", "amount", "nonce", "signature"} \
        if isinstance(body, dict) else set()
    try:
        if extra:
            raise ValueError(f"unknown field(s) {', '.join(sorted(map(str, extra)))}")
        amount = body.get("amount")
        if isinstance(amount, int) and not isinstance(amount, bool) and amount > MAX_SAFE_INTEGER:
            raise ValueError(f"field 'amount' above {MAX_SAFE_INTEGER} must be sent as text: "
                             "JSON numbers that large lose precision in many readers")
        parse_tx(body, signed=signed)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    return body


def _l1(request: Request):
    from contracts_spec.l1 import L1Client

    return L1Client.in_process(request.app.state.dispatcher)


def _data_dir(request: Request):
    """The chain's data directory (None when it lives in memory): the operator's log goes there."""
    return getattr(getattr(request.app.state, "chain", None), "data_dir", None)


def _dev_key(request: Request, address: str | None) -> bytes:
    keys: dict[str, bytes] = getattr(request.app.state, "dev_keys", {}) or {}
    if not keys:
        raise HTTPException(409, "this node has no dev accounts to act as the operator")
    if address is None:
        return next(iter(keys.values()))
    for addr, key in keys.items():
        if addr.lower() == address.lower():
            return key
    raise HTTPException(409, f"operator {address} is not a dev account of this node")


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


def _call(fn, *args, refused: int = 409):
    """Run a service call, mapping its errors to HTTP answers that keep the message.

    A ValueError is a refusal: ``refused`` (409, the rules said no; 400 where only the form can be wrong).
    """
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
        raise HTTPException(refused, str(exc)) from None


# Every route may find no rollup hosted yet (404).
_READ = responses(404)
_ADMIN = responses(401, 404, 409)
_SUBMIT = responses(404, 409, 503)


@router.post("/deploy", summary="deploy a rollup with a dev account as its operator",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def deploy(body: DeployRequest, request: Request) -> dict[str, Any]:
    from contracts_spec.optimistic.bisection import BisectionRollup
    from contracts_spec.optimistic.contract import OptimisticRollup
    from contracts_spec.optimistic.params import get_preset
    from rollup.optimistic.service import OptimisticService

    preset = _call(get_preset, body.preset, refused=400)
    contracts = {"single-round": OptimisticRollup, "bisection": BisectionRollup}
    if body.fraud_proof not in contracts:
        raise HTTPException(400, f"fraud_proof must be 'single-round' or 'bisection', got {body.fraud_proof!r}")
    if body.operator is not None and not _is_address(body.operator):
        raise HTTPException(400, f"operator {body.operator[:60]!r} is not a dev account: not a 0x-prefixed address")
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


def _is_address(text: str) -> bool:
    import re

    return re.fullmatch(ADDRESS, text) is not None


@router.post("/attach", summary="follow (and with an operator key, sequence) an existing rollup",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def attach(body: AttachRequest, request: Request) -> dict[str, Any]:
    from rollup.optimistic.service import OptimisticService

    if not _is_address(body.address):
        raise HTTPException(400, f"address must be a 0x-prefixed 20-byte address, got {body.address[:60]!r}")
    if body.operator is not None and not _is_address(body.operator):
        raise HTTPException(400, f"operator {body.operator[:60]!r} is not a dev account: not a 0x-prefixed address")
    address = "0x" + body.address[2:]
    key = _dev_key(request, body.operator) if body.operator else None
    l1 = _l1(request)
    code = l1.rpc("eth_getCode", address, "latest")
    if code in ("0x", "", None):
        raise HTTPException(404, f"no contract at {body.address}")
    service = _call(lambda: OptimisticService(l1, address, key, data_dir=_data_dir(request)))
    _call(service.status)  # proves it is a rollup before keeping it
    _install(request, service)
    return service.status()


@router.get("/status", summary="the rollup's parameters, batches, deposits and roots", responses=_READ)
def status(request: Request) -> dict[str, Any]:
    return _call(_service(request).status)


@router.get("/accounts/{who}", summary="an L2 account by index or address", responses=_READ)
def account(request: Request, who: str = Path(
        description="an L2 account index, or the L1-style address it belongs to",
        json_schema_extra={"pattern": r"^([0-9]{1,10}|0[xX][0-9a-fA-F]{40})$"})) -> dict[str, Any]:
    return _call(_service(request).account, who, refused=400)


@router.get("/batches/{index}", summary="a batch as rebuilt from L1 calldata", responses=_READ)
def batch(request: Request, index: int = Path(json_schema_extra={"minimum": 0, "maximum": 2**32 - 1})) -> dict[str, Any]:
    return _call(_service(request).batch, index, refused=400)


@router.post("/batches", summary="post the pending transactions as a batch now",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def post_batch(request: Request) -> dict[str, Any]:
    return _call(_service(request).post_batch)


@router.post("/censor", summary="make the operator leave every deposit out (the censorship lesson)",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def censor(request: Request) -> dict[str, Any]:
    return _call(_service(request).censor, True)


@router.post("/uncensor", summary="make the operator take deposits in again",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def uncensor(request: Request) -> dict[str, Any]:
    return _call(_service(request).censor, False)


@router.get("/eip712", summary="the EIP-712 document to sign, message fields left null to fill in",
            responses=_READ)
def eip712(request: Request, kind: str = Query(
        "transfer", json_schema_extra={"enum": ["transfer", "withdraw"]})) -> dict[str, Any]:
    """Fill ``message`` (``from``, ``to`` or ``recipient``, ``amount``, ``nonce``) and pass the
    document to ``eth_account.Account.sign_typed_data(key, full_message=doc)``."""
    return _call(_service(request).eip712_schema, kind, refused=400)


@router.post("/typed-data", summary="the EIP-712 document to sign for a transfer or withdrawal",
             responses=responses(404, 409))
def typed_data(request: Request, body: Annotated[Any, Body(), WithJsonSchema(UNSIGNED_TX)]) -> dict[str, Any]:
    service = _service(request)
    return _call(service.typed_data, _form(body, signed=False))


@router.post("/transactions", summary="send a signed transfer or withdrawal to the operator", responses=_SUBMIT)
def submit(request: Request, body: Annotated[Any, Body(), WithJsonSchema(SIGNED_TX)]) -> dict[str, Any]:
    service = _service(request)
    return _call(service.submit, _form(body, signed=True))


@router.post("/transactions/batch", summary="send several signed transactions: one durable log commit for all",
             responses=_SUBMIT)
def submit_many(request: Request, body: Annotated[Any, Body(), WithJsonSchema(SIGNED_BATCH)]) -> dict[str, Any]:
    from rollup.optimistic.service import MAX_SUBMIT_MANY

    service = _service(request)
    if not isinstance(body, list) or not body:
        raise HTTPException(400, "a batch of transactions must be a non-empty JSON array")
    if len(body) > MAX_SUBMIT_MANY:
        raise HTTPException(400, f"{len(body)} transactions in one call: at most {MAX_SUBMIT_MANY}")
    txs = []
    for i, tx in enumerate(body):
        try:
            txs.append(_form(tx, signed=True))
        except HTTPException as exc:
            raise HTTPException(400, f"transaction {i}: {exc.detail}") from None
    return _call(service.submit_many, txs)


@router.get("/withdrawals/{recipient}", summary="withdrawals to an L1 address, with claim proofs", responses=_READ)
def withdrawals(request: Request, recipient: str = Path(json_schema_extra={"pattern": ADDRESS})) -> list[dict[str, Any]]:
    return _call(_service(request).withdrawals, recipient, refused=400)
