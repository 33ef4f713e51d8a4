"""Hypothesis fuzz of normalise() per MQTT message type: real message shapes (every plugin
generation, from the corpus and the shared examples) with hostile values in any field —
wrong types, huge ints, NaN/Infinity spelt as strings, blank strings, deep nesting. The
result is records or a NormaliseError, never another exception, and every record holds only
values a column can take (ints within int64, finite floats)."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import pytest
from corpus import corpus_messages, shared_messages
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listenpost.radio._fields import INT64_MAX, INT64_MIN
from listenpost.radio.normalise import MESSAGE_TYPES, NormaliseError, normalise

KINDS = {"invalid_json", "not_object", "unknown_type", "bad_field", "missing_field"}


def _templates() -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Real messages by type (``status`` has no type key: it is the plugin status)."""
    out: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for _, topic, payload in corpus_messages() + shared_messages():
        obj = json.loads(payload)
        out.setdefault(obj.get("type", "status"), []).append((topic, obj))
    return out


TEMPLATES = _templates()
TYPES = sorted(TEMPLATES)


def test_every_message_type_has_a_real_template() -> None:
    assert set(MESSAGE_TYPES) <= set(TEMPLATES)


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


NUMERIC_WORDS = ["nan", "NaN", "inf", "-Infinity", "1e400", "-1e400", "0x1A", "1_000", "9" * 40]
HOSTILE_SCALARS = (
    st.none()
    | st.booleans()
    | st.sampled_from([0, -1, 1, 2**31, 2**53 + 1, INT64_MAX, INT64_MAX + 1, INT64_MIN - 1])
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["", " ", "\t\n", "true", "false", "0", "1", "-0", "+5", "3.7", "1e5"])
    | st.sampled_from(NUMERIC_WORDS)
    | st.text(max_size=12)
)
HOSTILE = st.recursive(
    HOSTILE_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=8,
)
MARK = "__DEEP__"  # replaced by a deeply nested array in the JSON text


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _set(obj: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        obj = obj[step]
    obj[path[-1]] = value


def _columns_ok(value: Any, where: str = "record") -> None:
    """Ints within int64 and finite floats, recursively through records and tuples."""
    if isinstance(value, bool) or value is None or isinstance(value, str | bytes):
        return
    if isinstance(value, int):
        assert INT64_MIN <= value <= INT64_MAX, where
    elif isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            _columns_ok(item, f"{where}[{i}]")
    elif dataclasses.is_dataclass(value):
        for f in dataclasses.fields(value):
            if f.name not in ("raw", "metadata", "rejected"):  # the plugin's own objects
                _columns_ok(getattr(value, f.name), f"{where}.{f.name}")


def check(topic: str, payload: str) -> None:
    try:
        records = normalise(topic, payload)
    except NormaliseError as exc:
        assert exc.kind in KINDS and exc.topic == topic
        return
    assert isinstance(records, list)
    for rec in records:
        _columns_ok(rec, type(rec).__name__)
        for rejected in getattr(rec, "rejected", ()):
            assert isinstance(rejected, NormaliseError) and rejected.kind in KINDS


@pytest.mark.parametrize("msg_type", TYPES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_values_in_real_shapes(msg_type: str, data: st.DataObject) -> None:
    topic, template = data.draw(st.sampled_from(TEMPLATES[msg_type]))
    payload = json.loads(json.dumps(template))
    paths = _paths(payload)[1:]
    for path in data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4)):
        try:
            _set(payload, path, data.draw(HOSTILE | st.just(MARK)))
        except (KeyError, IndexError, TypeError):  # an earlier change removed the parent
            continue
    depth = data.draw(st.sampled_from([50, 900, 5000]))
    check(topic, json.dumps(payload).replace(json.dumps(MARK), _deep(depth)))


@pytest.mark.parametrize("msg_type", TYPES)
@settings(max_examples=25, deadline=None)
@given(body=HOSTILE, topic_last=st.sampled_from(["", "x", "heartbeat", "call_alert", "on"]))
def test_hostile_bodies_under_each_type(msg_type: str, body: Any, topic_last: str) -> None:
    key = {"calls_active": "calls", "call_start": "call", "call_end": "call", "audio": "call"}
    payload = {"type": msg_type, key.get(msg_type, msg_type): body, "timestamp": "1"}
    check(f"feeds/{topic_last}", json.dumps(payload))
