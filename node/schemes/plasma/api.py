"""REST routes under ``/api/plasma/``: use the Plasma child chain this node hosts.

``l2lab node`` mounts ``router`` (the scheme registry, ``node.schemes``) and
its host puts a :class:`node.schemes.plasma.service.PlasmaService` on
``app.state.plasma``; in tests, ``create_app(chain, routers=[router])`` and
set ``app.state.plasma``. Users read the root chain's status, their unspent
outputs, served blocks, inclusion proofs, spends and confirmations; they send
transactions and confirmations they signed themselves (the rules' byte
layout, ``contracts_spec.plasma.rules``). L1 calls (deposit, exits,
challenges, finalisation) go to the root chain directly, as ``l2lab plasma``
does. The admin routes (the node's token) make a block now, or make the
operator withhold one, for the data-withholding demo against a live node.

Answers follow the node's conventions (``node.api``): 400 for input off its
documented form, naming the field; 404 for something absent (and for a node
that hosts no Plasma chain); 409 for a well-formed request the rules refuse,
naming the rule; 401 for an admin route without the token; 503 while the
root chain is being deployed, or when the operator could not log a
transaction.
"""

from __future__ import annotations

import sqlite3
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request
from pydantic import WithJsonSchema

from contracts_spec.plasma import rules as R
from node.api import require_admin, responses

router = APIRouter(prefix="/api/plasma", tags=["plasma"])

ADDRESS = r"^0[xX][0-9a-fA-F]{40}$"
TX_ID = r"^0[xX][0-9a-fA-F]{64}$"
SIGNED_TX = f"^0[xX][0-9a-fA-F]{{{2 * R.SIGNED_TX_BYTES}}}$"
CONFIRMATIONS = f"^0[xX]([0-9a-fA-F]{{{2 * R.SIG_BYTES}}}){{1,2}}$"
MAX_POSITION = R.encode_utxo_pos(R.MAX_BLKNUM, R.MAX_TXS_PER_BLOCK - 1, R.OUTPUTS_PER_TX - 1)

SUBMIT = {"type": "object", "title": "SignedTransaction",
          "properties": {"tx": {"type": "string", "pattern": SIGNED_TX,
                                "description": f"the signed transaction's {R.SIGNED_TX_BYTES} bytes in hex: two "
                                               "8-byte input positions, two (20-byte owner, 16-byte amount) "
                                               "outputs, two 65-byte signatures"}},
          "required": ["tx"], "additionalProperties": False}
CONFIRM = {"type": "object", "title": "Confirmation",
           "properties": {"id": {"type": "string", "pattern": TX_ID, "description": "the included transaction"},
                          "confirmations": {"type": "string", "pattern": CONFIRMATIONS,
                                            "description": "one 65-byte signature per used input, by its owner, "
                                                           "of the transaction hash with its block's root; a "
                                                           "one-input spend's may omit the unused input's 65 "
                                                           "zero bytes"}},
           "required": ["id", "confirmations"], "additionalProperties": False}
MAKE_BLOCK = {"type": "object", "title": "MakeBlock",
              "properties": {"withhold": {"type": "boolean",
                                          "description": "submit the root but serve no data (the attack)"}},
              "additionalProperties": False}


def _service(request: Request):
    service = getattr(request.app.state, "plasma", None)
    if service is None:
        if getattr(request.app.state, "plasma_starting", False):
            raise HTTPException(503, "the Plasma root chain is being deployed: retry in a few seconds")
        raise HTTPException(404, "no Plasma chain hosted here: `l2lab node` hosts one unless started with "
                                 "--plasma-preset off")
    return service


def _call(fn, *args):
    """Run a service call, mapping its errors to HTTP answers that keep the message."""
    from contracts_spec.l1 import L1Error
    from node.schemes.plasma.service import FormError
    from plasma.operator import PlasmaRefused

    try:
        return fn(*args)
    except FormError as exc:
        raise HTTPException(400, str(exc)) from None
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0]) if exc.args else "not found") from None
    except sqlite3.Error as exc:
        raise HTTPException(503, f"the operator could not log it, so it is not accepted: {exc}") from None
    except (PlasmaRefused, R.PlasmaRuleError, L1Error) as exc:
        raise HTTPException(409, str(exc)) from None


_READ = responses(404, 503)
_WRITE = responses(404, 409, 503)
_ADMIN = responses(401, 404, 409, 503)


def _position() -> Any:
    return Path(json_schema_extra={"minimum": 1, "maximum": MAX_POSITION},
                description="blknum * 1,000,000,000 + txindex * 10,000 + oindex")


@router.get("/status", summary="the root chain, its exit period and bond, the operator's blocks and pending "
            "transactions, the exit queue", responses=_READ)
def status(request: Request) -> dict[str, Any]:
    return _call(_service(request).status)


@router.get("/utxos/{owner}", summary="an owner's unspent outputs in blocks L1 holds, oldest first",
            responses=_READ)
def utxos(request: Request, owner: str = Path(json_schema_extra={"pattern": ADDRESS})) -> dict[str, Any]:
    return _call(_service(request).utxos, owner)


@router.get("/blocks/{blknum}", summary="an operator block as served: its root and transactions (404 when "
            "withheld)", responses=_READ)
def block(request: Request, blknum: int = Path(json_schema_extra={"minimum": 1, "maximum": R.MAX_BLKNUM})) -> dict[str, Any]:
    return _call(_service(request).block, blknum)


@router.get("/transactions/{tx_id}", summary="a submitted transaction: pending, included (block, index) or "
            "refused (the rule)", responses=_READ)
def transaction(request: Request, tx_id: str = Path(json_schema_extra={"pattern": TX_ID})) -> dict[str, Any]:
    return _call(_service(request).transaction, tx_id)


@router.post("/transactions", summary="send a signed transaction to the operator for the next block",
             responses=_WRITE)
def submit(request: Request, body: Annotated[Any, Body(), WithJsonSchema(SUBMIT)]) -> dict[str, Any]:
    return _call(_service(request).submit, body)


@router.get("/proofs/{utxo_pos}", summary="what start_exit of an output takes: its transaction, inclusion "
            "proof and confirmations", responses=_READ)
def proof(request: Request, utxo_pos: int = _position()) -> dict[str, Any]:
    return _call(_service(request).proof, utxo_pos)


@router.get("/spends/{utxo_pos}", summary="the served transaction spending an output, with its proof and "
            "confirmations (to challenge its exit)", responses=_READ)
def spend(request: Request, utxo_pos: int = _position()) -> dict[str, Any]:
    return _call(_service(request).spend, utxo_pos)


@router.get("/confirmations/{tx_id}", summary="the confirmations posted for an included transaction",
            responses=_READ)
def confirmation(request: Request, tx_id: str = Path(json_schema_extra={"pattern": TX_ID})) -> dict[str, Any]:
    return _call(_service(request).confirmation, tx_id)


@router.post("/confirmations", summary="post the confirmations of an included transaction (each is checked)",
             responses=_WRITE)
def confirm(request: Request, body: Annotated[Any, Body(), WithJsonSchema(CONFIRM)]) -> dict[str, Any]:
    return _call(_service(request).confirm, body)


@router.get("/exits", summary="the latest exits started on L1, each in its state now", responses=_READ)
def exits(request: Request) -> dict[str, Any]:
    return _call(_service(request).exits)


@router.post("/blocks", summary="put the pending transactions in a block now (withhold: the attack)",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def make_block(request: Request,
               body: Annotated[Any, Body(), WithJsonSchema(MAKE_BLOCK)] = None) -> dict[str, Any]:
    return _call(_service(request).make_block, body)


@router.post("/withhold/{blknum}", summary="make the operator stop serving a block (the data-withholding demo)",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def withhold(request: Request, blknum: int = Path(json_schema_extra={"minimum": 1, "maximum": R.MAX_BLKNUM})) -> dict[str, Any]:
    return _call(_service(request).withhold, blknum)
