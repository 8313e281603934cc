"""REST routes under ``/api/channels/``: use the channel peers this node hosts for its dev accounts.

``l2lab node`` mounts ``router`` (the scheme registry, ``node.schemes``) and
its host puts a :class:`~node.schemes.channels.service.ChannelService` on
``app.state.channels``; in tests, ``create_app(chain, routers=[router])`` and
set ``app.state.channels``. Users read the adjudicator's status, every
channel and one peer's balances, and make a hosted peer open a channel,
deposit, pay (directly, or routed over a path of channels), withdraw part of
its balance while the channel stays open, settle cooperatively (one L1
transaction, co-signed by the partner, no window), or close and settle.

Those verbs act for the node's dev accounts, whose keys are public, exactly
as ``eth_sendTransaction`` does, so they need no token. What changes the
network by fiat (a peer taken offline for the mediator-offline workshop, a
tick of every peer now) is an admin route and needs the node's token.

Answers follow the node's conventions (``node.api``): 400 for a body off
its form, naming the field (a negative, fractional or oversized amount, an
unknown field); 404 for an unknown peer, and for a node that hosts no
channels; 409 for a well-formed request the rules or L1 refuse, naming the
rule (no route, insufficient capacity, the settlement window still open, a
withdrawal beyond the balance, a partner offline or not hosted here, so
nobody can co-sign);
401 for an admin route without the token; 503 while the contracts are being
deployed. A refused request changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Request
from pydantic import WithJsonSchema

from node.api import require_admin, responses

router = APIRouter(prefix="/api/channels", tags=["payment channels"])

ADDRESS = r"^0[xX][0-9a-fA-F]{40}$"
WHO = {"anyOf": [{"type": "integer", "minimum": 0, "maximum": 99_999},
                 {"type": "string", "pattern": ADDRESS}],
       "description": "a hosted peer's dev account number, or an address"}

def _wei(positive: bool) -> dict[str, Any]:
    text = r"^(0[xX]0*[1-9a-fA-F][0-9a-fA-F]*|0*[1-9][0-9]*)$" if positive else r"^(0[xX][0-9a-fA-F]*|[0-9]*)$"
    return {"anyOf": [{"type": "string", "allOf": [{"pattern": r"^(0[xX][0-9a-fA-F]{1,64}|[0-9]{1,77})$"},
                                                   {"pattern": text}]},
                      {"type": "integer", "minimum": 1 if positive else 0, "maximum": 2**256 - 1}],
            "description": "an amount in wei: decimal text (at most 77 digits) or 0x text (at most 64 hex digits), "
                           "or a JSON integer" + ("; more than 0" if positive else "")}


WEI, DEPOSIT_WEI = _wei(True), _wei(False)


def _form(title: str, fields: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {"type": "object", "title": title, "properties": fields, "required": required,
            "additionalProperties": False}


OPEN = _form("OpenChannel", {"peer": WHO, "partner": WHO, "deposit": DEPOSIT_WEI,
                             "settle_timeout": {"type": "integer", "minimum": 1,
                                                "description": "the window in blocks (the preset bounds it: "
                                                               "outside its bounds is a 409)"}},
             ["peer", "partner"])
DEPOSIT = _form("Deposit", {"peer": WHO, "partner": WHO, "amount": WEI}, ["peer", "partner", "amount"])
PAY = _form("Pay", {"peer": WHO, "target": WHO, "amount": WEI,
                    "mode": {"enum": ["auto", "direct", "mediated"],
                             "description": "direct over the peer's own channel, mediated over a route, or auto "
                                            "(direct when the channel can carry it)"}},
            ["peer", "target", "amount"])
WITHDRAW = _form("Withdraw", {"peer": WHO, "partner": WHO, "amount": WEI}, ["peer", "partner", "amount"])
PAIR = _form("ChannelOf", {"peer": WHO, "partner": WHO}, ["peer", "partner"])


def _service(request: Request) -> Any:
    service = getattr(request.app.state, "channels", None)
    if service is None:
        if getattr(request.app.state, "channels_starting", False):
            raise HTTPException(503, "the channel adjudicator is being deployed: retry in a second")
        raise HTTPException(404, "no payment channels hosted here: `l2lab node` hosts them unless started with "
                                 "--channels-preset off")
    return service


def _call(fn: Any, *args: Any) -> Any:
    """Run a service call, mapping its errors to HTTP answers that keep the message."""
    from channels.transition import Refused
    from contracts_spec.channels.rules import ChannelRuleError
    from contracts_spec.l1 import L1Error
    from node.schemes.channels.service import FormError, NotDone

    try:
        return fn(*args)
    except FormError as exc:
        raise HTTPException(400, str(exc)) from None
    except KeyError as exc:
        raise HTTPException(404, str(exc.args[0]) if exc.args else "not found") from None
    except Refused as exc:
        raise HTTPException(409, f"refused: {exc}") from None
    except (NotDone, ChannelRuleError, L1Error) as exc:
        raise HTTPException(409, str(exc)) from None


_READ = responses(404, 503)
_ACT = responses(404, 409, 503)
_ADMIN = responses(401, 404, 503)


def _who() -> Any:
    return Path(description="a hosted peer's dev account number, or its address",
                json_schema_extra={"pattern": r"^([0-9]{1,5}|0[xX][0-9a-fA-F]{40})$"})


@router.get("/status", summary="the adjudicator, its preset, the hosted peers and what L1 holds",
            responses=_READ)
def status(request: Request) -> dict[str, Any]:
    return _call(_service(request).status)


@router.get("/channels", summary="every channel a hosted peer is in, with both sides' balances",
            responses=_READ)
def channels(request: Request) -> list[dict[str, Any]]:
    return _call(_service(request).channels)


@router.get("/peers/{who}", summary="a hosted peer's channels, balances, payments and L1 balance",
            responses=_READ)
def peer(request: Request, who: str = _who()) -> dict[str, Any]:
    return _call(_service(request).balances, who)


@router.post("/open", summary="a hosted peer opens a channel (and deposits into it)", responses=_ACT)
def open_channel(request: Request, body: Annotated[Any, Body(), WithJsonSchema(OPEN)]) -> dict[str, Any]:
    return _call(_service(request).open, body)


@router.post("/deposit", summary="a hosted peer adds to its deposit in an open channel", responses=_ACT)
def deposit(request: Request, body: Annotated[Any, Body(), WithJsonSchema(DEPOSIT)]) -> dict[str, Any]:
    return _call(_service(request).deposit, body)


@router.post("/pay", summary="a hosted peer pays, over its own channel or routed over several", responses=_ACT)
def pay(request: Request, body: Annotated[Any, Body(), WithJsonSchema(PAY)]) -> dict[str, Any]:
    return _call(_service(request).pay, body)


@router.post("/close", summary="a hosted peer closes a channel with its partner's latest balance proof",
             responses=_ACT)
def close(request: Request, body: Annotated[Any, Body(), WithJsonSchema(PAIR)]) -> dict[str, Any]:
    return _call(_service(request).close, body)


@router.post("/withdraw", summary="a hosted peer takes part of its balance back to L1, co-signed by its partner; "
                                  "the channel stays open", responses=_ACT)
def withdraw(request: Request, body: Annotated[Any, Body(), WithJsonSchema(WITHDRAW)]) -> dict[str, Any]:
    return _call(_service(request).withdraw, body)


@router.post("/cooperative-settle", summary="end an open channel at its current balances in one L1 transaction, "
                                            "co-signed by the partner (no settlement window)", responses=_ACT)
def cooperative_settle(request: Request, body: Annotated[Any, Body(), WithJsonSchema(PAIR)]) -> dict[str, Any]:
    return _call(_service(request).cooperative_settle, body)


@router.post("/settle", summary="settle a closed channel whose settlement window is over", responses=_ACT)
def settle(request: Request, body: Annotated[Any, Body(), WithJsonSchema(PAIR)]) -> dict[str, Any]:
    return _call(_service(request).settle, body)


@router.post("/tick", summary="every hosted peer reads L1 and delivers its messages now",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def tick(request: Request) -> dict[str, Any]:
    return _call(_service(request).tick)


@router.post("/peers/{who}/offline", summary="take a hosted peer off the network and off L1 (workshops)",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def offline(request: Request, who: str = _who()) -> dict[str, Any]:
    return _call(_service(request).set_online, who, False)


@router.post("/peers/{who}/online", summary="bring a hosted peer back: it resends what was not acknowledged",
             dependencies=[Depends(require_admin)], responses=_ADMIN)
def online(request: Request, who: str = _who()) -> dict[str, Any]:
    return _call(_service(request).set_online, who, True)
