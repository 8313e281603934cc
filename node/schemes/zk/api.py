"""REST routes under ``/api/zk/``: use the zk-rollup this node hosts.

``l2lab node`` mounts ``router`` (the scheme registry, ``node.schemes``) and
its host puts a ``rollup.zk.service.ZkService`` on ``app.state.zk``; in
tests, ``create_app(chain, routers=[router])`` and set ``app.state.zk``.
Users read the rollup's status, accounts and verified batches, fetch the
text whose ``personal_sign`` signature derives their L2 key and the field
element an operation signs, send signed transfers and withdrawals, and read
what they may claim on L1 and, in exodus mode, their exit proof. The admin
routes (the node's token) run the operator now or make it censor a deposit,
for the censorship and exodus demo against a live node.

Answers follow the node's conventions (``node.api``): 400 for input off
its documented form, naming the field; 404 for something absent (and for a
node that hosts no zk-rollup); 409 for a well-formed request the rules refuse,
naming the rule; 401 for an admin route without the token; 503 while the
rollup is being deployed, or when the operator could not log an operation.
The service checks every body in code, so each refusal names its field in
words; the JSON Schema published beside each route documents the same form,
and tests/test_openapi_conformance.py holds the two together.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request
from pydantic import WithJsonSchema

from node.api import require_admin, responses

router = APIRouter(prefix="/api/zk", tags=["zk-rollup"])

# The documented forms (the service's parse_op checks them in code).
ADDRESS = r"^0[xX][0-9a-fA-F]{40}$"
MAX_SAFE_INTEGER = 2**53 - 1
U32 = {"type": "integer", "minimum": 0, "maximum": 2**32 - 1}
NUMBER_TEXT = r"^(0[xX][0-9a-fA-F]{1,64}|[0-9]{1,78})$"
# A number as text (decimal or 0x-hex), or a JSON integer up to 2**53 - 1, where every reader agrees on it.
NUMBER = {"anyOf": [{"type": "string", "pattern": NUMBER_TEXT},
                    {"type": "integer", "minimum": 0, "maximum": MAX_SAFE_INTEGER}]}
SIGNATURE = {
    "oneOf": [
        {"type": "object", "title": "EdDSASignature",
         "properties": {"R8": {"type": "array", "items": NUMBER, "minItems": 2, "maxItems": 2}, "S": NUMBER},
         "required": ["R8", "S"], "additionalProperties": False},
        {"type": "string", "pattern": r"^(0[xX])?[0-9a-fA-F]{128}$", "title": "PackedSignature"},
    ],
    "description": "the sender's EdDSA-Poseidon signature of the operation's message (POST /api/zk/message): "
                   "{R8: [x, y], S} as signPoseidon returns it, or circomlibjs' 64-byte packed form in hex",
}


def _op_schema(signed: bool) -> dict[str, Any]:
    def form(kind: str, recipient: dict, extra: dict) -> dict[str, Any]:
        props = {"kind": {"const": kind}, "sender": U32, "recipient": recipient, "amount": NUMBER, **extra,
                 "nonce": U32}
        required = ["kind", "sender", "recipient", "amount", "nonce"]
        if signed:
            props["signature"] = SIGNATURE
            required.append("signature")
        return {"type": "object", "title": f"{'Signed' if signed else 'Unsigned'}{kind.title()}",
                "properties": props, "required": required, "additionalProperties": False}

    amount40 = {"amount40": {"type": "integer", "minimum": 0, "maximum": 2**40 - 1,
                             "description": "the float40 encoding signed; by default the smallest-exponent one"}}
    return {"oneOf": [form("transfer", {**U32, "description": "the recipient's L2 account index"}, amount40),
                      form("withdraw", {"type": "string", "pattern": ADDRESS,
                                        "description": "the L1 address paid"}, {})],
            "description": "a transfer (amount in wei, sent as float40) to an L2 account, or a withdrawal "
                           "(exact wei) to an L1 address; sender and nonce are the signer's account and its "
                           "next nonce"}


UNSIGNED_OP, SIGNED_OP = _op_schema(False), _op_schema(True)


def _service(request: Request):
    service = getattr(request.app.state, "zk", None)
    if service is None:
        if getattr(request.app.state, "zk_starting", False):
            raise HTTPException(503, "the zk-rollup is being deployed (a first run sets up its proving keys): "
                                     "retry in a few seconds")
        raise HTTPException(404, "no zk-rollup hosted here: `l2lab node` hosts one unless started with "
                                 "--zk-preset off")
    return service


def _call(fn, *args):
    """Run a service call, mapping its errors to HTTP answers that keep the message."""
    from contracts_spec.l1 import L1Error
    from rollup.zk.service import FormError, NotAccepted

    try:
        return fn(*args)
    except FormError as exc:
        raise HTTPException(400, str(exc)) from None
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0]) if exc.args else "not found") from None
    except NotAccepted as exc:
        raise HTTPException(503, str(exc)) from None
    except (ValueError, L1Error) as exc:  # OpRefused, NotPackable, Refused, a reverted L1 call
        raise HTTPException(409, str(exc)) from None


def _number(text: str, what: str) -> int:
    from rollup.zk.service import parse_number

    return _call(parse_number, text, what)


_READ = responses(404, 503)
_ADMIN = responses(401, 404, 409, 503)


def _index() -> Any:
    """A path parameter holding an account, batch or deposit number (a new one per route: FastAPI binds it)."""
    return Path(json_schema_extra={"minimum": 0, "maximum": 2**32 - 1})


@router.get("/status", summary="the rollup's preset, roots, L1 counters, exodus, the operator's progress and "
            "proving history", responses=_READ)
def status(request: Request) -> dict[str, Any]:
    return _call(_service(request).status)


@router.get("/accounts/{index}", summary="an L2 account: verified balance and nonce, the mempool's view, "
            "queued deposits", responses=_READ)
def account(request: Request, index: int = _index()) -> dict[str, Any]:
    return _call(_service(request).account, index)


@router.get("/accounts/by-owner/{address}", summary="the accounts whose exits pay an L1 address",
            responses=_READ)
def accounts_by_owner(request: Request, address: str = Path(json_schema_extra={"pattern": ADDRESS})) -> list[dict[str, Any]]:
    service = _service(request)
    return _call(lambda: service.accounts_of(owner=address))


@router.get("/accounts/by-key/{ax}/{ay}", summary="the accounts of an L2 public key (one per owner)",
            responses=_READ)
def accounts_by_key(request: Request, ax: str = Path(json_schema_extra={"pattern": NUMBER_TEXT}),
                    ay: str = Path(json_schema_extra={"pattern": NUMBER_TEXT})) -> list[dict[str, Any]]:
    service = _service(request)
    key = (_number(ax, "ax"), _number(ay, "ay"))
    return _call(lambda: service.accounts_of(key=key))


@router.get("/batches/{index}", summary="a verified batch: roots, deposits, decoded pubdata, commit gas",
            responses=_READ)
def batch(request: Request, index: int = _index()) -> dict[str, Any]:
    return _call(_service(request).batch, index)


@router.post("/batches", summary="prove and commit the next batch now; answers once it is verified on L1",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def prove_now(request: Request) -> dict[str, Any]:
    return _call(_service(request).prove_now)


@router.post("/tick", summary="one operator step now: follow L1, commit a finished proof or start the next",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def tick(request: Request) -> dict[str, Any]:
    return _call(_service(request).tick)


@router.post("/censor/{deposit_id}", summary="make the operator ignore a queued deposit (the exodus demo)",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def censor(request: Request, deposit_id: int = _index()) -> dict[str, Any]:
    return _call(_service(request).censor, deposit_id, True)


@router.post("/uncensor/{deposit_id}", summary="stop ignoring a queued deposit",
               dependencies=[Depends(require_admin)], responses=_ADMIN)
def uncensor(request: Request, deposit_id: int = _index()) -> dict[str, Any]:
    return _call(_service(request).censor, deposit_id, False)


@router.get("/key-message", summary="the text to personal_sign whose signature derives your L2 key",
            responses=_READ)
def key_message(request: Request) -> dict[str, Any]:
    return _call(_service(request).key_message)


@router.post("/message", summary="the field element a transfer or withdrawal signs (EdDSA-Poseidon), with "
             "the domain", responses=responses(404, 409, 503))
def message(request: Request, body: Annotated[Any, Body(), WithJsonSchema(UNSIGNED_OP)]) -> dict[str, Any]:
    return _call(_service(request).message, body)


@router.post("/operations", summary="send a signed transfer or withdrawal to the operator",
             responses=responses(404, 409, 503))
def submit(request: Request, body: Annotated[Any, Body(), WithJsonSchema(SIGNED_OP)]) -> dict[str, Any]:
    return _call(_service(request).submit, body)


@router.get("/mempool", summary="the operator's mempool: admitted operations not yet in a verified batch",
            responses=_READ)
def mempool(request: Request) -> list[dict[str, Any]]:
    return _call(_service(request).mempool)


@router.get("/withdrawals/{address}", summary="what an L1 address may claim now, and its withdrawals",
            responses=_READ)
def withdrawals(request: Request, address: str = Path(json_schema_extra={"pattern": ADDRESS})) -> dict[str, Any]:
    return _call(_service(request).withdrawals, address)


@router.get("/exit-proof/{index}", summary="exit()'s arguments for an account at the last verified root "
            "(exits open in exodus mode)", responses=_READ)
def exit_proof(request: Request, index: int = _index()) -> dict[str, Any]:
    return _call(_service(request).exit_proof, index)
