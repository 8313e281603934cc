"""What every scheme's command line shares: one-line failures, ``--key`` and ``--account`` parsing, the runner.

A scheme's CLI (``node/schemes/<scheme>/cli.py``) raises :class:`CliError`
for anything the user should fix and hands its table of commands to
:func:`run_commands`, which turns every failure (a refusal by L1 or the
node, an unreachable node, a bug) into one line on stderr and an exit code,
never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from primitives.secp256k1 import SECP256K1_N


class CliError(Exception):
    """A failure to report in one line."""


def fail(prog: str, command: str, message: str, code: int = 1) -> int:
    """Print ``l2lab PROG COMMAND: MESSAGE`` on stderr; the exit code."""
    print(f"l2lab {prog}{' ' + command if command else ''}: {message}", file=sys.stderr)
    return code


def parse_private_key(text: str) -> bytes:
    """A secp256k1 private key from hex (``0x`` optional); CliError naming what is wrong."""
    hexpart = text[2:] if text[:2] in ("0x", "0X") else text
    try:
        key = bytes.fromhex(hexpart)
    except ValueError:
        raise CliError("--key must be a private key in hex") from None
    if len(key) != 32:
        raise CliError(f"--key must be 32 bytes, got {len(key)}")
    if not 0 < int.from_bytes(key, "big") < SECP256K1_N:
        raise CliError("--key is not a valid secp256k1 private key (0 or not below the curve order)")
    return key


def dev_account_key(listed: Sequence[Any], index_text: str, option: str = "--account") -> bytes:
    """The private key of dev account ``index_text`` of a node whose ``eth_accounts`` are ``listed``: the number
    must name one of them, and the standard dev mnemonic must derive that address (else the user gives --key)."""
    from node.devaccounts import MAX_ACCOUNT_COUNT, derive_dev_account

    if not index_text.isdigit() or int(index_text) >= MAX_ACCOUNT_COUNT:
        raise CliError(f"{option} must be a dev account number, got {index_text!r}")
    index = int(index_text)
    if index >= len(listed):
        have = f"0..{len(listed) - 1}" if listed else "none"
        raise CliError(f"unknown account {index}: this node's dev accounts are {have}")
    acct = derive_dev_account(index)
    if acct.address.lower() != str(listed[index]).lower():
        raise CliError(f"dev account {index} of this node is not from the standard dev mnemonic: use --key")
    return acct.private_key


def answer_detail(r: Any) -> str:
    """The ``detail`` of an HTTP error answer (each field of a validation error named), or its text."""
    try:
        body = r.json()
    except ValueError:
        return r.text.strip()[:200] or f"HTTP {r.status_code}"
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, list):  # FastAPI's validation errors: name each field
        return "; ".join(f"{'.'.join(map(str, d.get('loc', [])[1:]))}: {d.get('msg')}"
                         for d in detail if isinstance(d, dict))
    return str(detail)


def run_commands(prog: str, commands: Mapping[str, Callable[[argparse.Namespace], None]],
                 args: argparse.Namespace) -> int:
    """Run ``commands[args.action]``; every failure is one line and a non-zero exit code."""
    import httpx

    from contracts_spec.l1 import L1Error
    from node.rpc import RpcError

    if not getattr(args, "action", None):
        return fail(prog, "", "choose a command: " + ", ".join(commands), 2)
    where = getattr(args, "api", None) or args.rpc
    for url in (args.rpc, getattr(args, "api", None)):
        if url is not None and not str(url).startswith(("http://", "https://")):
            return fail(prog, args.action, f"node URL must start with http:// or https://, got {url!r}")
    try:
        commands[args.action](args)
    except CliError as exc:
        return fail(prog, args.action, str(exc))
    except L1Error as exc:
        return fail(prog, args.action, f"L1 refused: {exc}")
    except RpcError as exc:
        return fail(prog, args.action, f"the node refused: {exc}")
    except BrokenPipeError:
        raise  # our own stdout closed (``| head``), not the node: the entry point ends quietly
    except (OSError, ConnectionError, httpx.TransportError) as exc:
        hint = "" if "running" in str(exc) else " (is `l2lab node` running?)"
        return fail(prog, args.action, f"cannot reach the node at {where}: {exc}{hint}")
    except Exception as exc:  # anything else is still one line, never a traceback
        return fail(prog, args.action, f"failed: {type(exc).__name__}: {exc}")
    return 0
