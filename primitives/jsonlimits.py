"""A guard against deeply nested JSON, checked before anything parses it.

Why it exists: importing py_ecc raises Python's recursion limit to 100000, and
the C accelerator behind ``json.loads`` recurses once per ``[`` or ``{`` while
honouring that limit. A document of a few hundred thousand brackets therefore
makes it recurse until the C stack overflows, and the process dies with a
segmentation fault instead of raising ``RecursionError``. Every reader of
untrusted JSON in a process that may have imported py_ecc (the node's HTTP
server, the snarkjs file readers) asks :func:`json_too_deep` first and refuses
the document if it answers True.

The scan counts brackets outside string literals only, so ``"[[[["`` inside a
string costs nothing and an escaped quote ``\\"`` does not end a string. It
never under-counts the part of a document the parser would read: when the
input is not valid JSON the answer may err towards True, and the parser would
have refused such input anyway.
"""

from __future__ import annotations

import json
import re

MAX_JSON_DEPTH = 64
"""Default nesting limit: far above any JSON-RPC, REST or snarkjs document, far below the stack's."""

# A JSON string literal: a quote, then runs of ordinary characters or backslash
# escapes (any character, newline included), then the closing quote -- or the
# end of the input, for a string never closed. Taking the rest of the input then
# keeps the scan linear (no retrying from every later quote) and loses nothing:
# the parser reads all of it as that string, never as brackets.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _too_deep_bytes(data: bytes, limit: int) -> bool:
    """The scan itself, on bytes in which every ASCII byte is the character it spells."""
    depth = 0
    for char in _STRING.sub(b"", data).translate(None, _NOT_BRACKETS):
        depth += 1 if char in b"[{" else -1
        if depth > limit:
            return True
    return False


def _too_deep_text(text: str, limit: int) -> bool:
    return _too_deep_bytes(text.encode("utf-8", "surrogatepass"), limit)


def json_too_deep(body: bytes | bytearray | str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``body``'s arrays and objects nest more than ``limit`` levels deep.

    ``limit`` levels exactly is still fine (``"[]"`` is depth 1). Bytes are
    read the way ``json.loads`` reads them: UTF-8, or UTF-16/32 when their
    byte pattern says so, because in UTF-16 a quote byte can be half of an
    unrelated character and a byte-level scan would lose its place.
    """
    if isinstance(body, str):
        if body.count("[") + body.count("{") <= limit:  # the common case, at C speed
            return False
        return _too_deep_text(body, limit)
    data = body if isinstance(body, bytes) else bytes(body)
    # Each bracket character holds its ASCII byte in UTF-8, -16 and -32 alike, so this bound holds for all.
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    encoding = json.detect_encoding(data)
    if encoding.startswith("utf-8"):  # ASCII bytes in UTF-8 are only ever those characters
        return _too_deep_bytes(data, limit)
    try:
        text = data.decode(encoding, "surrogatepass")
    except UnicodeDecodeError:
        return _too_deep_bytes(data, limit)  # json.loads cannot decode it either; scan what is there
    return _too_deep_text(text, limit)


__all__ = ["MAX_JSON_DEPTH", "json_too_deep"]
