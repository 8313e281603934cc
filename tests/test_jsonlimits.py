"""The JSON nesting guard: brackets outside strings only, exact at the limit, linear on any input."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from primitives.jsonlimits import MAX_JSON_DEPTH, json_too_deep


def nested(depth: int, inner: str = "") -> str:
    """``depth`` arrays inside each other, ``inner`` in the middle."""
    return "[" * depth + inner + "]" * depth


def as_all_types(text: str) -> list[bytes | bytearray | str]:
    return [text, text.encode(), bytearray(text.encode())]


@pytest.mark.parametrize("limit", [1, 4, 32, MAX_JSON_DEPTH])
def test_exactly_at_the_limit_passes_and_one_over_is_refused(limit: int) -> None:
    for body in as_all_types(nested(limit)):
        assert json_too_deep(body, limit) is False
    for body in as_all_types(nested(limit + 1)):
        assert json_too_deep(body, limit) is True


def test_objects_and_arrays_both_count() -> None:
    doc = '{"a": [{"b": [1, 2]}, {"c": {}}]}'  # depth 4
    assert json_too_deep(doc, 4) is False
    assert json_too_deep(doc, 3) is True


def test_the_default_limit_is_max_json_depth() -> None:
    assert json_too_deep(nested(MAX_JSON_DEPTH)) is False
    assert json_too_deep(nested(MAX_JSON_DEPTH + 1)) is True


def test_siblings_do_not_add_up() -> None:
    doc = "[" + ", ".join([nested(3)] * 1000) + "]"  # depth 4, thousands of brackets
    assert json_too_deep(doc, 4) is False
    assert json_too_deep(doc, 3) is True


def test_brackets_inside_strings_do_not_count() -> None:
    doc = json.dumps(["[" * 500 + "{" * 500, {"k[[[[": "]]]]{{{{"}])
    for body in as_all_types(doc):
        assert json_too_deep(body, 2) is False
    assert json_too_deep(doc, 1) is True


def test_an_escaped_quote_does_not_end_the_string() -> None:
    doc = r'["a \" [[[[[[[[ still inside the string"]'
    assert json.loads(doc) == ['a " [[[[[[[[ still inside the string']
    for body in as_all_types(doc):
        assert json_too_deep(body, 1) is False


def test_an_escaped_backslash_does_end_the_string() -> None:
    doc = r'["a \\", ' + nested(5) + "]"
    assert json.loads(doc)[0] == "a \\"
    for body in as_all_types(doc):
        assert json_too_deep(body, 5) is True
        assert json_too_deep(body, 6) is False


def test_an_escaped_newline_and_unicode_escapes_stay_inside_the_string() -> None:
    doc = '["\\\n[[[[", "\\u005b[[[[", "\u00e9[[[["]'
    for body in as_all_types(doc):
        assert json_too_deep(body, 1) is False


def test_an_unterminated_string_hides_only_what_follows_it() -> None:
    assert json_too_deep(nested(3) + ', "open ' + "[" * 50, 3) is False
    assert json_too_deep("[" * 4 + '"open ' + "[" * 50, 3) is True


def test_utf16_and_utf32_bodies_are_read_as_json_loads_reads_them() -> None:
    # U+2200 holds a quote byte (0x22) in UTF-16/32. Scanned byte by byte, that byte
    # would open a "string" running to the quote of "x" and hide the nested arrays.
    doc = '["\u2200", ' + nested(10) + ', "x"]'
    for encoding in ("utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32"):
        body = doc.encode(encoding)
        assert json.loads(body)[0] == "\u2200"
        assert json_too_deep(body, 10) is True
        assert json_too_deep(body, 11) is False


def test_a_huge_unterminated_string_of_escapes_is_scanned_in_linear_time() -> None:
    body = "[" * (MAX_JSON_DEPTH + 1) + '"' + '\\"' * 500_000
    start = time.perf_counter()
    assert json_too_deep(body) is True
    assert json_too_deep(body.encode()) is True
    assert time.perf_counter() - start < 5


def test_deep_garbage_the_parser_would_choke_on_is_refused() -> None:
    assert json_too_deep(b"[" * 100_000, MAX_JSON_DEPTH) is True
    assert json_too_deep(b'{"a":' * 100_000, MAX_JSON_DEPTH) is True


def _depth(value: object) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    return 0


_TRICKY_TEXT = st.text(alphabet='[]{}"\\ \n\u2200\u2222ab', max_size=12)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | _TRICKY_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_TRICKY_TEXT, children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(value=_JSON_VALUES, limit=st.integers(0, 8), ensure_ascii=st.booleans())
def test_agrees_with_the_real_depth_of_any_document(value: object, limit: int, ensure_ascii: bool) -> None:
    doc = json.dumps(value, ensure_ascii=ensure_ascii)
    expected = _depth(value) > limit
    assert json_too_deep(doc, limit) is expected
    assert json_too_deep(doc.encode(), limit) is expected
    assert json_too_deep(doc.encode("utf-16"), limit) is expected
