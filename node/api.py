"""REST routes under ``/api/``: the chain as a newcomer sees it in a browser or with curl.

Every route reads through the app's ``RpcDispatcher``, the same code that serves
JSON-RPC, and converts its hex quantities to plain numbers. Every answer other
than success is listed in the OpenAPI document (``responses``): 400 for input
that breaks the documented form (a path parameter off its pattern, a body that
is not JSON), 422 for a body off its schema, 404 for something that does not
exist, 409 for a well-formed request the chain refuses (a bad nonce, too little
balance, a clock at its end), 401 for an admin route without the node's token.
Each carries a ``detail`` naming the problem; nothing is changed by a refused
request.
"""

from __future__ import annotations

import re
import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from pydantic import BaseModel, BeforeValidator, Field, WithJsonSchema

from node.auth import HINT, is_authorized
from node.rpc import RpcError

router = APIRouter(prefix="/api", tags=["rest"])

_ADDRESS = re.compile(r"^0[xX][0-9a-fA-F]{40}$")
_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
_HEX = re.compile(r"^0x([0-9a-fA-F]{2})*$")
# More blocks than this per request would hold the chain lock for too long.
MAX_MINE_BLOCKS = 1000
# A page of recent blocks; older ones are a loop over /blocks/{number} away.
MAX_RECENT_BLOCKS = 100
# Ten years: enough for any challenge window, and keeps timestamps sane.
MAX_TIME_INCREASE = 10 * 365 * 24 * 3600


# --------------------------------------------------------------------------- models


def as_integer(value: Any) -> Any:
    """A JSON number with no fraction (3.0) as the integer JSON Schema says it is; anything else as it is."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    return value


def whole_number(low: int, high: int) -> Any:
    """A JSON integer in ``low..high`` as JSON Schema means it: 3 or 3.0, never true, "3" or 3.5.

    The check and the schema the OpenAPI document shows are written together here, so they agree.
    """

    def check(value: Any) -> int:
        value = as_integer(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError("must be a whole number")
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return Annotated[int, BeforeValidator(check),
                     WithJsonSchema({"type": "integer", "minimum": low, "maximum": high})]


class Status(BaseModel):
    chain_id: int
    head_number: int
    head_hash: str
    head_timestamp: int = Field(description="timestamp of the latest block (unix seconds)")
    time_offset: int = Field(description="seconds the chain clock runs ahead of the wall clock")
    automine: bool = Field(description="a block is mined for every accepted transaction")
    interval_mining_seconds: float = Field(description="0 when interval mining is off")
    base_fee_per_gas: int
    gas_price: int = Field(description="suggested gas price (base fee + tip) in wei")
    pending_transactions: int = Field(description="accepted, waiting for the next mined block")


class Block(BaseModel):
    number: int
    hash: str
    parent_hash: str
    timestamp: int
    miner: str
    gas_limit: int
    gas_used: int
    base_fee_per_gas: int
    transactions: list[str] = Field(description="transaction hashes in block order")


class AccountInfo(BaseModel):
    address: str
    balance_wei: str = Field(description="decimal string: wei amounts overflow JSON numbers in JS")
    balance_eth: str
    nonce: int
    is_contract: bool
    contract_name: str | None = None


class TxInfo(BaseModel):
    hash: str
    status: Literal["pending", "success", "reverted"]
    transaction: dict[str, Any] = Field(description="as eth_getTransactionByHash returns it")
    receipt: dict[str, Any] | None = Field(description="as eth_getTransactionReceipt returns it")
    gas_breakdown: dict[str, int] | None = Field(description="gas used by category, once mined")


class SendTx(BaseModel):
    raw: str = Field(description="signed transaction, 0x-prefixed hex", pattern=r"^0x([0-9a-fA-F]{2})+$",
                     max_length=2 + 2 * 128 * 1024,
                     examples=["0x02f86c827a6980843b9aca00850218711a00825208947099797051812dc3a010c7d01b50e0d17dc79c888"
                               "80de0b6b3a764000080c080a0..."])


class SentTx(BaseModel):
    hash: str
    mined: bool = Field(description="true when automine already included it in a block")
    block_number: int | None = None
    status: Literal["pending", "success", "reverted"]


class ContractInfo(BaseModel):
    name: str
    address: str
    abi: list[dict[str, Any]]


class MineRequest(BaseModel):
    blocks: whole_number(1, MAX_MINE_BLOCKS) = Field(1, description="how many blocks to mine")  # type: ignore[valid-type]


class Mined(BaseModel):
    blocks_mined: int
    head_number: int
    head_hash: str
    head_timestamp: int


class TimeIncrease(BaseModel):
    seconds: whole_number(1, MAX_TIME_INCREASE) = Field(description="how far to move the clock")  # type: ignore[valid-type]


class TimeIncreased(BaseModel):
    time_offset: int
    next_block_timestamp_at_least: int = Field(
        description="the clock moves now; the next mined block carries the new time"
    )


class DevAccountInfo(BaseModel):
    index: int
    address: str
    private_key: str
    balance_wei: str


class DevAccounts(BaseModel):
    warning: str
    accounts: list[DevAccountInfo]


# --------------------------------------------------------------------------- helpers

class Detail(BaseModel):
    """Every refusal: what was wrong, in words."""

    detail: str


_WHY = {
    400: "malformed input: a path parameter off its documented pattern, or a body that is not JSON "
         "(too deeply nested, a lone UTF-16 surrogate)",
    401: "an admin route, and the node's admin token is missing or wrong",
    403: "sent by a web page of another origin",
    404: "no such thing on this chain",
    409: "well-formed, but the chain or the scheme refused it (the detail says which rule)",
    413: "the request body is too large",
    503: "not accepted now; retry later (the detail says why)",
}


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: its refusals, each with the ``Detail`` body, for the OpenAPI document.

    Every route may answer 400 (BodyGuard, before any route runs), 403 and 413, so those are always listed.
    """
    return {code: {"model": Detail, "description": _WHY[code]} for code in sorted({400, 403, 413, *codes})}


# What the OpenAPI document says an admin route answers without the token, and the rest.
ADMIN_RESPONSES = responses(401)


def require_admin(request: Request) -> None:
    """Dependency of every admin route (here and in the schemes' routers): 401 without the node's token."""
    if not is_authorized(getattr(request.app.state, "admin_token", None), request.headers.get("authorization")):
        raise HTTPException(401, f"{request.method} {request.url.path} is an admin route: {HINT}")



def _rpc(request: Request, method: str, *params: Any) -> Any:
    """Call the dispatcher, turning its errors into a 409 (the chain refused) that keeps its message."""
    try:
        return request.app.state.dispatcher.handle(method, list(params))
    except RpcError as exc:
        raise HTTPException(status_code=409, detail=f"{method}: {exc.message}") from None


def _q(value: Any) -> int:
    """A JSON-RPC quantity (``0x…``) as an int; ints pass through."""
    if value is None:
        return 0
    return value if isinstance(value, int) else int(value, 16)


def _check_address(address: str) -> str:
    if not _ADDRESS.match(address):
        raise HTTPException(
            status_code=400, detail=f"address must be 0x followed by 40 hex digits, got {address!r}"
        )
    return "0x" + address[2:]


def _check_hash(tx_hash: str) -> str:
    if not _HASH.match(tx_hash):
        raise HTTPException(
            status_code=400, detail=f"transaction hash must be 0x followed by 64 hex digits, got {tx_hash!r}"
        )
    return tx_hash.lower()


def _block_model(raw: dict[str, Any]) -> Block:
    txs = raw.get("transactions") or []
    return Block(
        number=_q(raw["number"]),
        hash=raw["hash"],
        parent_hash=raw["parentHash"],
        timestamp=_q(raw["timestamp"]),
        miner=raw.get("miner", ""),
        gas_limit=_q(raw.get("gasLimit")),
        gas_used=_q(raw.get("gasUsed")),
        base_fee_per_gas=_q(raw.get("baseFeePerGas")),
        transactions=[t if isinstance(t, str) else t["hash"] for t in txs],
    )


def _receipt_status(receipt: dict[str, Any] | None) -> Literal["pending", "success", "reverted"]:
    if receipt is None:
        return "pending"
    return "success" if _q(receipt.get("status")) == 1 else "reverted"


def _contracts(request: Request) -> list[dict[str, Any]]:
    return list(_rpc(request, "l2lab_contracts") or [])


def _format_eth(wei: int) -> str:
    # Integer arithmetic: Decimal would round past 28 significant digits.
    whole, frac = divmod(wei, 10**18)
    return f"{whole}.{frac:018d}".rstrip("0").rstrip(".")


# --------------------------------------------------------------------------- routes


@router.get("/status", response_model=Status, summary="Chain id, head, clock and mining mode",
            responses=responses())
def get_status(request: Request) -> Status:
    chain = request.app.state.chain
    head = _rpc(request, "eth_getBlockByNumber", "latest", False)
    return Status(
        chain_id=_q(_rpc(request, "eth_chainId")),
        head_number=_q(head["number"]),
        head_hash=head["hash"],
        head_timestamp=_q(head["timestamp"]),
        time_offset=chain.time_offset,
        automine=chain.automine,
        interval_mining_seconds=chain.interval_mining_seconds,
        base_fee_per_gas=_q(head.get("baseFeePerGas")),
        gas_price=_q(_rpc(request, "eth_gasPrice")),
        pending_transactions=len(chain.pending),
    )


@router.get("/blocks", response_model=list[Block], summary="The most recent blocks, newest first",
            responses=responses())
def get_recent_blocks(
    request: Request, limit: int = Query(10, ge=1, le=MAX_RECENT_BLOCKS, description="how many")
) -> list[Block]:
    head = _q(_rpc(request, "eth_blockNumber"))
    blocks = []
    for number in range(head, max(-1, head - limit), -1):
        raw = _rpc(request, "eth_getBlockByNumber", hex(number), False)
        if raw is not None:
            blocks.append(_block_model(raw))
    return blocks


@router.get("/blocks/latest", response_model=Block, summary="The head block", responses=responses())
def get_latest_block(request: Request) -> Block:
    return _block_model(_rpc(request, "eth_getBlockByNumber", "latest", False))


@router.get("/blocks/{number}", response_model=Block, summary="A block by number", responses=responses(404))
def get_block(request: Request, number: int = Path(json_schema_extra={"minimum": 0})) -> Block:
    if number < 0:
        raise HTTPException(status_code=400, detail=f"block number must be >= 0, got {number}")
    raw = _rpc(request, "eth_getBlockByNumber", hex(number), False)
    if raw is None:
        head = _q(_rpc(request, "eth_blockNumber"))
        raise HTTPException(status_code=404, detail=f"no block {number}: the head is block {head}")
    return _block_model(raw)


@router.get("/accounts/{address}", response_model=AccountInfo, summary="Balance, nonce and code",
            responses=responses())
def get_account(request: Request, address: str = Path(json_schema_extra={"pattern": _ADDRESS.pattern})) -> AccountInfo:
    _check_address(address)
    balance = _q(_rpc(request, "eth_getBalance", address, "latest"))
    nonce = _q(_rpc(request, "eth_getTransactionCount", address, "latest"))
    code = _rpc(request, "eth_getCode", address, "latest") or "0x"
    name = None
    if code not in ("0x", ""):
        lowered = address.lower()
        for contract in _contracts(request):
            if str(contract.get("address", "")).lower() == lowered:
                name = contract.get("name")
                break
    checksummed = _checksum(address)
    return AccountInfo(
        address=checksummed,
        balance_wei=str(balance),
        balance_eth=_format_eth(balance),
        nonce=nonce,
        is_contract=code not in ("0x", ""),
        contract_name=name,
    )


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(address)


@router.get("/tx/{tx_hash}", response_model=TxInfo, summary="A transaction, its receipt and gas",
            responses=responses(404))
def get_tx(request: Request, tx_hash: str = Path(json_schema_extra={"pattern": _HASH.pattern})) -> TxInfo:
    tx_hash = _check_hash(tx_hash)
    tx = _rpc(request, "eth_getTransactionByHash", tx_hash)
    if tx is None:
        raise HTTPException(status_code=404, detail=f"no transaction {tx_hash} on this chain")
    receipt = _rpc(request, "eth_getTransactionReceipt", tx_hash)
    breakdown = None
    if receipt is not None:
        breakdown = receipt.get("gasBreakdown") or receipt.get("gas_breakdown")
        if breakdown is None:
            breakdown = _rpc(request, "l2lab_gasBreakdown", tx_hash)
        breakdown = {k: _q(v) for k, v in (breakdown or {}).items()}
    return TxInfo(
        hash=tx_hash,
        status=_receipt_status(receipt),
        transaction=tx,
        receipt=receipt,
        gas_breakdown=breakdown,
    )


@router.post("/tx", response_model=SentTx, summary="Send a signed raw transaction", responses=responses(409))
def send_tx(request: Request, body: SendTx) -> SentTx:
    raw = body.raw.strip()
    if not _HEX.match(raw) or len(raw) <= 2:
        raise HTTPException(status_code=400, detail="raw must be a signed transaction as 0x-prefixed hex")
    tx_hash = _rpc(request, "eth_sendRawTransaction", raw)
    receipt = _rpc(request, "eth_getTransactionReceipt", tx_hash)
    return SentTx(
        hash=tx_hash,
        mined=receipt is not None,
        block_number=_q(receipt["blockNumber"]) if receipt else None,
        status=_receipt_status(receipt),
    )


@router.get("/contracts", response_model=list[ContractInfo], summary="Deployed contracts and ABIs",
            responses=responses())
def get_contracts(request: Request) -> list[ContractInfo]:
    return [
        ContractInfo(name=c["name"], address=c["address"], abi=list(c.get("abi") or []))
        for c in _contracts(request)
    ]


@router.post("/mine", response_model=Mined, summary="Mine blocks now (pending transactions included)",
             dependencies=[Depends(require_admin)], responses=responses(401, 409))
def mine(request: Request, body: MineRequest | None = None) -> Mined:
    count = body.blocks if body is not None else 1
    chain = request.app.state.chain
    try:
        chain.mine(count)
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=f"cannot mine: {exc}") from None
    head = _rpc(request, "eth_getBlockByNumber", "latest", False)
    return Mined(
        blocks_mined=count,
        head_number=_q(head["number"]),
        head_hash=head["hash"],
        head_timestamp=_q(head["timestamp"]),
    )


@router.post("/time/increase", response_model=TimeIncreased, summary="Move the chain clock forward",
             dependencies=[Depends(require_admin)], responses=responses(401, 409))
def increase_time(request: Request, body: TimeIncrease) -> TimeIncreased:
    chain = request.app.state.chain
    try:
        chain.increase_time(body.seconds)
    except ValueError as exc:
        raise HTTPException(status_code=409, detail=f"cannot move the clock: {exc}") from None
    head = _rpc(request, "eth_getBlockByNumber", "latest", False)
    offset = chain.time_offset
    return TimeIncreased(
        time_offset=offset,
        next_block_timestamp_at_least=max(_q(head["timestamp"]), int(time.time()) + offset),
    )


@router.get("/dev-accounts", response_model=DevAccounts, summary="Funded dev accounts and their keys",
            responses=responses())
def get_dev_accounts(request: Request) -> DevAccounts:
    from node.devaccounts import PUBLIC_KEYS_WARNING

    keys: dict[str, bytes] = request.app.state.dev_keys
    accounts = []
    for index, (address, key) in enumerate(keys.items()):
        balance = _q(_rpc(request, "eth_getBalance", address, "latest"))
        accounts.append(
            DevAccountInfo(
                index=index, address=address, private_key="0x" + bytes(key).hex(), balance_wei=str(balance)
            )
        )
    return DevAccounts(warning=PUBLIC_KEYS_WARNING, accounts=accounts)
