"""normalise(): bad input raises NormaliseError (with a kind) and nothing else."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listenpost.radio.normalise import MESSAGE_TYPES, NormaliseError, normalise

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "trunk-recorder-mqtt"
TOPICS: dict[str, str] = json.loads((FIXTURES / "topics.json").read_text())
PAYLOADS = {name: json.loads((FIXTURES / name).read_text()) for name in TOPICS}


def kind_of(topic: str, payload: bytes | str) -> str:
    with pytest.raises(NormaliseError) as info:
        normalise(topic, payload)
    assert info.value.topic == topic
    assert info.value.message in str(info.value)
    return info.value.kind


@pytest.mark.parametrize(
    "payload",
    [
        b"{",
        b"not json",
        b'{"type": "rates", }',
        b"\xff\xfe{}",
        "{'type': 'x'}",
        b'{"type":"rates","rates":[],"timestamp":NaN}',
        b"[" * 100_000,
        b"Infinity",
        b'{"type": "call_start"} trailing',
        b'{"a": 1' + b"0" * 5000 + b"}",
    ],
)
def test_malformed_json(payload: bytes | str) -> None:
    assert kind_of("feeds/x", payload) == "invalid_json"


@pytest.mark.parametrize("payload", ["[]", "[1, 2]", "3", '"call_start"', "null", "true"])
def test_non_object(payload: str) -> None:
    assert kind_of("feeds/call_start", payload) == "not_object"


@pytest.mark.parametrize(
    "payload",
    [
        {"type": "bogus"},
        {"type": ""},
        {"type": "CALL_START", "call": {}},
        {"type": "signal", "signal": {}},
        {"instance_id": "x"},
    ],
)
def test_unknown_type(payload: dict[str, Any]) -> None:
    assert kind_of("feeds/nothing", json.dumps(payload)) == "unknown_type"


def test_unknown_type_reports_the_type() -> None:
    with pytest.raises(NormaliseError) as info:
        normalise("feeds/x", '{"type": "bogus"}')
    assert info.value.msg_type == "bogus"


@pytest.mark.parametrize("value", [1, True, ["rates"], {"a": 1}])
def test_non_string_type(value: Any) -> None:
    assert kind_of("feeds/rates", json.dumps({"type": value})) == "bad_field"


@pytest.mark.parametrize(
    ("name", "mutate", "kind"),
    [
        ("call_start.json", lambda p: p.pop("call"), "missing_field"),
        ("call_start.json", lambda p: p["call"].pop("talkgroup"), "missing_field"),
        ("call_start.json", lambda p: p["call"].pop("sys_name"), "missing_field"),
        ("call_start.json", lambda p: p.update(call=[1]), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(talkgroup="abc"), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(talkgroup=True), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(freq=[1]), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(talkgroup=2**63), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(unit=-1e30), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(freq="9" * 30), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(encrypted="maybe"), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(encrypted=2), "bad_field"),
        ("call_start.json", lambda p: p["call"].update(talkgroup_alpha_tag={"x": 1}), "bad_field"),
        ("call_start.json", lambda p: p.update(timestamp="yesterday"), "bad_field"),
        ("calls_active.json", lambda p: p.pop("calls"), "missing_field"),
        ("calls_active.json", lambda p: p.update(calls={"a": 1}), "bad_field"),
        ("systems.json", lambda p: p["systems"][0].pop("sys_name"), "missing_field"),
        ("systems.json", lambda p: p.update(systems=None), "missing_field"),
        ("recorders.json", lambda p: p["recorders"][0].pop("rec_num"), "missing_field"),
        ("recorder.json", lambda p: p.pop("recorder"), "missing_field"),
        ("audio.json", lambda p: p["call"].pop("metadata"), "missing_field"),
        ("audio.json", lambda p: p["call"]["metadata"].pop("short_name"), "missing_field"),
        ("audio.json", lambda p: p["call"]["metadata"].update(freqList=5), "bad_field"),
        ("audio.json", lambda p: p["call"]["metadata"].update(srcList=[None]), "bad_field"),
        ("unit_on.json", lambda p: p["on"].pop("unit"), "missing_field"),
        ("unit_on.json", lambda p: p.update(on="x"), "bad_field"),
        ("plugin_status.json", lambda p: p.pop("status"), "missing_field"),
        ("console.json", lambda p: p.pop("console"), "missing_field"),
        ("trunking_message.json", lambda p: p.pop("message"), "missing_field"),
        ("config.json", lambda p: p["config"].update(sources=3), "bad_field"),
    ],
)
def test_structural_errors(name: str, mutate: Any, kind: str) -> None:
    payload = json.loads(json.dumps(PAYLOADS[name]))
    mutate(payload)
    assert kind_of(TOPICS[name], json.dumps(payload)) == kind


def test_error_names_the_field_and_type() -> None:
    payload = json.loads(json.dumps(PAYLOADS["call_start.json"]))
    payload["call"]["talkgroup"] = "abc"
    with pytest.raises(NormaliseError) as info:
        normalise("feeds/call_start", json.dumps(payload))
    assert "call_start.call.talkgroup" in info.value.message
    assert info.value.msg_type == "call_start"


def test_overflowing_number_is_a_bad_field() -> None:
    payload = '{"type": "rates", "rates": [], "timestamp": 1e400}'
    assert kind_of("feeds/rates", payload) == "bad_field"


def test_unit_without_system_anywhere() -> None:
    payload = {"type": "on", "on": {"unit": 1}}
    assert kind_of("on", json.dumps(payload)) == "missing_field"


# ---------------------------------------------------------------- property tests

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
TYPES = st.sampled_from(sorted(MESSAGE_TYPES) + ["bogus"])
TOPIC = st.sampled_from(sorted(set(TOPICS.values())) + ["", "x", "units/a/on", "/"])


def _check(topic: str, payload: bytes | str) -> None:
    try:
        records = normalise(topic, payload)
    except NormaliseError as exc:
        assert exc.kind in (
            "invalid_json",
            "not_object",
            "unknown_type",
            "bad_field",
            "missing_field",
        )
    else:
        assert isinstance(records, list)


@settings(max_examples=300)
@given(TOPIC, st.binary(max_size=200))
def test_random_bytes_only_raise_normalise_error(topic: str, payload: bytes) -> None:
    _check(topic, payload)


@settings(max_examples=300)
@given(TOPIC, JSON)
def test_random_json_only_raises_normalise_error(topic: str, value: Any) -> None:
    _check(topic, json.dumps(value))


@settings(max_examples=500)
@given(
    TOPIC,
    TYPES,
    JSON,
    st.sampled_from(
        [
            "call",
            "calls",
            "rates",
            "systems",
            "system",
            "recorders",
            "recorder",
            "config",
            "console",
            "message",
            "on",
            "end",
            "status",
        ]
    ),
)
def test_random_bodies_only_raise_normalise_error(
    topic: str, msg_type: str, body: Any, key: str
) -> None:
    _check(topic, json.dumps({"type": msg_type, key: body, "timestamp": 1}))


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(TOPICS)), st.data(), JSON)
def test_mutated_fixtures_only_raise_normalise_error(
    name: str, data: st.DataObject, value: Any
) -> None:
    payload = json.loads(json.dumps(PAYLOADS[name]))
    path = data.draw(st.sampled_from(_paths(payload)[1:]))
    target = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    _check(TOPICS[name], json.dumps(payload))
