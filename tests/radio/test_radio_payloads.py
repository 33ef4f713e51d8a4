"""Payloads read by orjson (`radio/payloads.py`) give exactly what the pure normaliser gives
reading them with `json`: the same JSON value (same types: an int stays an int however
large, -0.0 stays -0.0), so the same records, and for anything orjson refuses or cannot
vouch for, the normaliser's own reading and error message."""

from __future__ import annotations

import json
from typing import Any

import pytest
from corpus import corpus_messages, shared_messages
from hostile import TYPES, hostile_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listenpost.radio import normalise as pure
from listenpost.radio import payloads
from listenpost.radio.normalise import NormaliseError

EDGES = [
    b"",
    b"  \n",
    b"\xef\xbb\xbf{}",
    b'{"a": NaN}',
    b"[Infinity]",
    b'"\\ud800"',
    b'{"\\udc00x": "\\ud83d\\ude00"}',
    b"1e400",
    b"-1.7976931348623159e308",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551616",
    b"123456789012345678901234567890",
    b'{"a": 1, "a": 2}',
    b'"\xed\xa0\x80"',
    b"\xff",
    b'"a\x01b"',
    b"-0",
    b"-0.0",
    b"[1.0, 1e5, 1E-5, 0.1e1]",
    b"{} x",
    b"\x0c{}",
]


def typed(value: Any) -> Any:
    """A value with its types spelt out, so 1 != 1.0 != True and -0.0 != 0.0."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    return (type(value).__name__, repr(value))


def by_json(payload: bytes) -> Any:
    try:
        return ("value", typed(pure._load("t", payload)))
    except NormaliseError as exc:
        return ("error", exc.kind, str(exc))


def check(payload: bytes) -> None:
    read = payloads.read(payload)
    if read is not payloads.UNREAD:
        assert ("value", typed(read)) == by_json(payload)


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec=None, exclude_categories=())),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=20,
)


@st.composite
def json_texts(draw: st.DrawFn) -> bytes:
    value = draw(json_values)
    ascii_only = draw(st.booleans())
    text = json.dumps(value, ensure_ascii=ascii_only, indent=draw(st.sampled_from([None, 0, 2])))
    data = text.encode("utf-8", "surrogatepass")
    if draw(st.booleans()):  # a byte changed, inserted or dropped somewhere
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.binary(max_size=2)) + data[at + draw(st.integers(0, 1)) :]
    return data


@pytest.mark.parametrize("payload", EDGES)
def test_edges_read_as_json_reads_them(payload: bytes) -> None:
    check(payload)


@settings(max_examples=3000, deadline=None)
@given(json_texts())
def test_json_texts_read_as_json_reads_them(payload: bytes) -> None:
    check(payload)


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=64))
def test_any_bytes_read_as_json_reads_them(payload: bytes) -> None:
    check(payload)


def outcome(topic: str, payload: bytes, normalise: Any = payloads.normalise) -> Any:
    try:
        records = normalise(topic, payload)
    except NormaliseError as exc:
        return ("error", exc.kind, str(exc), exc.msg_type)
    return ("records", records, [typed(getattr(r, "raw", None)) for r in records])


def test_real_messages_give_the_same_records() -> None:
    messages = corpus_messages() + shared_messages()
    assert messages
    for _, topic, payload in messages:
        assert payloads.read(payload) is not payloads.UNREAD
        assert outcome(topic, payload) == outcome(topic, payload, pure.normalise)


@pytest.mark.parametrize("msg_type", TYPES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_messages_give_the_same_records_or_error(
    msg_type: str, data: st.DataObject
) -> None:
    topic, text = data.draw(hostile_message(msg_type))
    payload = text.encode("utf-8", "surrogatepass")
    assert outcome(topic, payload) == outcome(topic, payload, pure.normalise)
