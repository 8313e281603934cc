"""The node's admin token: who may move the clock, mine, snapshot, set balances or repoint a scheme.

``l2lab node`` makes a random token at start (or takes ``L2LAB_NODE_TOKEN``
from its environment), prints it, and writes it to ``DATA_DIR/node-token``
(readable by its owner only), as Jupyter does with its server token. Over HTTP
the dev-only JSON-RPC methods (``node.rpc.is_admin_method``: every ``evm_``, ``anvil_``
and ``hardhat_`` one) and the REST admin
routes answer only a request that carries ``Authorization: Bearer TOKEN``; the
CLI finds the token by itself (``find_token``). In-process callers (tests,
demos, the hosted schemes' own timers) hold the dispatcher and need none.
"""

from __future__ import annotations

import hmac
import os
import secrets
from pathlib import Path

TOKEN_FILE = "node-token"
TOKEN_ENV = "L2LAB_NODE_TOKEN"
HINT = ("send 'Authorization: Bearer TOKEN' with the admin token `l2lab node` printed "
        f"(also in DATA_DIR/{TOKEN_FILE})")
def new_token() -> str:
    """The token for this run: ``L2LAB_NODE_TOKEN`` when set, else 128 random bits in hex."""
    return os.environ.get(TOKEN_ENV) or secrets.token_hex(16)


def write_token(data_dir: str | os.PathLike, token: str) -> Path:
    """Save ``token`` in ``data_dir`` for the CLI, readable by this user only."""
    path = Path(data_dir) / TOKEN_FILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    os.chmod(path, 0o600)
    return path


def find_token(explicit: str | None = None, data_dir: str | os.PathLike | None = None) -> str | None:
    """The admin token a client should send: ``explicit``, else ``L2LAB_NODE_TOKEN``, else the data dir's."""
    if explicit:
        return explicit
    if os.environ.get(TOKEN_ENV):
        return os.environ[TOKEN_ENV]
    path = Path(data_dir if data_dir is not None else "./l2lab-data") / TOKEN_FILE
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def is_authorized(expected: str | None, authorization: str | None) -> bool:
    """Whether an ``Authorization`` header value shows ``expected`` (always, when the node has none)."""
    if expected is None:
        return True
    if not authorization or not authorization.startswith("Bearer "):
        return False
    return hmac.compare_digest(authorization[len("Bearer "):].strip().encode(), expected.encode())
