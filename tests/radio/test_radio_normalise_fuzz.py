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
from hostile import HOSTILE, TEMPLATES, TYPES, hostile_message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listenpost.radio._fields import INT64_MAX, INT64_MIN
from listenpost.radio.normalise import MESSAGE_TYPES, NormaliseError, normalise

KINDS = {"invalid_json", "not_object", "unknown_type", "bad_field", "missing_field"}


def test_every_message_type_has_a_real_template() -> None:
    assert set(MESSAGE_TYPES) <= set(TEMPLATES)


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
    check(*data.draw(hostile_message(msg_type)))


@pytest.mark.parametrize("msg_type", TYPES)
@settings(max_examples=25, deadline=None)
@given(body=HOSTILE, topic_last=st.sampled_from(["", "x", "heartbeat", "call_alert", "on"]))
def test_hostile_bodies_under_each_type(msg_type: str, body: Any, topic_last: str) -> None:
    key = {"calls_active": "calls", "call_start": "call", "call_end": "call", "audio": "call"}
    payload = {"type": msg_type, key.get(msg_type, msg_type): body, "timestamp": "1"}
    check(f"feeds/{topic_last}", json.dumps(payload))
