"""Session: client input parsing, error events, filter keys, and a model-based check."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from listenpost.radio.channels import FilterKey
from listenpost.radio.session import Session

NOW = 1_700_000_000.9


def seeded() -> Session:
    session = Session()
    session.handle_text(
        '{"action":"subscribe","channels":["calls"],"systems":["a"],"talkgroups":[1],"units":[2]}',
        NOW,
    )
    return session


BAD: list[tuple[str | bytes, str]] = [
    ("", "invalid JSON"),
    ("{", "invalid JSON"),
    ("subscribe", "invalid JSON"),
    ('{"action":"subscribe",}', "invalid JSON"),
    (b"\xff", "invalid JSON"),
    ('{"action":"subscribe","talkgroups":[NaN]}', "invalid JSON"),
    ("[" * 50_000, "invalid JSON"),
    ("[]", "message must be a JSON object"),
    ("null", "message must be a JSON object"),
    ("42", "message must be a JSON object"),
    ('"subscribe"', "message must be a JSON object"),
    ("{}", "missing action"),
    ('{"channels":["calls"]}', "missing action"),
    ('{"action":null,"channels":["calls"]}', "missing action"),
    ('{"action":""}', "missing action"),
    ('{"action":"ping"}', "unknown action"),
    ('{"action":"SUBSCRIBE"}', "unknown action"),
    ('{"action":"Subscribe","channels":["x"]}', "unknown action"),
    ('{"action":1}', "field 'action' must be a string"),
    ('{"action":["subscribe"]}', "field 'action' must be a string"),
    ('{"action":"subscribe","channels":"calls"}', "field 'channels' must be an array"),
    ('{"action":"subscribe","channels":[1]}', "field 'channels' must be an array"),
    ('{"action":"subscribe","channels":["calls",null]}', "field 'channels' must be an array"),
    ('{"action":"subscribe","systems":{"a":1}}', "field 'systems' must be an array"),
    ('{"action":"subscribe","talkgroups":["9178"]}', "field 'talkgroups' must be an array"),
    ('{"action":"subscribe","talkgroups":[9178.5]}', "field 'talkgroups' must be an array"),
    ('{"action":"subscribe","talkgroups":[9178.0]}', "field 'talkgroups' must be an array"),
    ('{"action":"subscribe","talkgroups":[1e3]}', "field 'talkgroups' must be an array"),
    ('{"action":"subscribe","talkgroups":[true]}', "field 'talkgroups' must be an array"),
    ('{"action":"subscribe","units":[9223372036854775808]}', "field 'units' must be an array"),
    ('{"action":"subscribe","units":5}', "field 'units' must be an array"),
    # a bad field anywhere discards the whole message, valid parts included
    ('{"action":"subscribe","channels":["rates"],"units":["x"]}', "field 'units'"),
    ('{"action":"subscribe","talkgroups":["x"],"talkgroups":[1]}', "field 'talkgroups'"),
]


@pytest.mark.parametrize(("frame", "message"), BAD)
def test_bad_input_gets_an_error_event_and_changes_nothing(
    frame: str | bytes, message: str
) -> None:
    session = seeded()
    before = session.filter_key()
    (reply,) = session.handle_text(frame, NOW)
    assert list(reply) == ["event", "timestamp", "data"]
    assert reply["event"] == "error" and reply["timestamp"] == 1_700_000_000
    assert isinstance(reply["timestamp"], int)
    assert list(reply["data"]) == ["message"] and message in reply["data"]["message"]
    assert session.filter_key() == before


def test_int64_bounds_are_accepted() -> None:
    session = Session()
    session.handle_text(
        '{"action":"subscribe","units":[9223372036854775807,-9223372036854775808]}', NOW
    )
    assert session.units == {2**63 - 1, -(2**63)}


@pytest.mark.parametrize("key", ["CHANNELS", "Channels", "cHaNnElS"])
def test_keys_match_case_insensitively(key: str) -> None:
    session = Session()
    session.handle_text(json.dumps({"ACTION": "subscribe", key: ["calls"]}), NOW)
    assert session.channels == {"calls"}


def test_unicode_simple_folding_of_keys() -> None:
    session = Session()
    # U+017F LATIN SMALL LETTER LONG S folds to "s" (as in Go); a ligature does not match
    session.handle_text(
        '{"action":"subscribe","channel\u017f":["calls"],"talkgroup\u017f":[1],"unit\u017f":[2]}',
        NOW,
    )
    assert session.channels == {"calls"} and session.talkgroups == {1}
    session.handle_text('{"action":"subscribe","sy\ufb06ems":["x"]}', NOW)  # ligature: no
    assert session.systems == set()


def test_duplicate_keys_last_wins_and_null_is_absent() -> None:
    session = Session()
    (reply,) = session.handle_text(
        '{"action":"subscribe","channels":["a"],"Channels":["b"],'
        '"systems":["s"],"systems":null,"action":null}',
        NOW,
    )
    assert session.channels == {"b"} and session.systems == set()
    assert reply["data"]["added"]["systems"] is None
    assert reply["data"]["added"]["action"] == "subscribe"


def test_unknown_keys_are_ignored() -> None:
    session = Session()
    (reply,) = session.handle_text(
        '{"action":"subscribe","channels":["calls"],"extra":{"deep":[1,"x"]},"sysid":"nope"}', NOW
    )
    assert reply["event"] == "subscribed" and session.channels == {"calls"}


def test_binary_frames_are_read_like_text() -> None:
    session = Session()
    (reply,) = session.handle_text(b'{"action":"subscribe","channels":["units"]}', NOW)
    assert reply["event"] == "subscribed" and session.channels == {"units"}


def test_invalid_utf8_and_lone_surrogates_become_replacement_characters() -> None:
    session = Session()
    session.handle_text(b'{"action":"subscribe","systems":["a\xffb"]}', NOW)
    session.handle_text('{"action":"subscribe","systems":["c\\ud800d"]}', NOW)
    assert session.systems == {"a\ufffdb", "c\ufffdd"}
    json.dumps(session.handle_text('{"action":"subscribe"}', NOW), ensure_ascii=False).encode()


def test_filter_key_is_hashable_cached_and_tracks_changes() -> None:
    a, b = seeded(), seeded()
    assert a.filter_key() == b.filter_key() and hash(a.filter_key()) == hash(b.filter_key())
    assert a.filter_key() is a.filter_key()
    assert len({a.filter_key(), b.filter_key(), Session().filter_key()}) == 2
    a.handle_text('{"action":"subscribe","units":[3]}', NOW)
    assert a.filter_key() != b.filter_key() and a.units == {2, 3}
    key = a.filter_key()
    a.handle_text("garbage", NOW)
    assert a.filter_key() is key
    assert key == FilterKey(
        frozenset({"calls"}), frozenset({"a"}), frozenset({1}), frozenset({2, 3})
    )


# ---------------------------------------------------------------- model-based property


def reference_wants(
    channels: set[str],
    systems: set[str],
    talkgroups: set[int],
    units: set[int],
    event: str,
    data: Any,
) -> bool:
    """tr-engine.md §1.7/§1.8, written out plainly."""
    table = {
        "call_start": "calls",
        "call_end": "calls",
        "call_active": "calls",
        "audio_available": "calls",
        "unit_event": "units",
        "rate_update": "rates",
        "recorder_update": "recorders",
        "transcription_complete": "transcriptions",
    }
    if len(channels) == 0:
        return False
    if "*" not in channels and table.get(event, event) not in channels:
        return False
    if not (systems or talkgroups or units) or not isinstance(data, dict):
        return True

    def number(v: Any) -> bool:
        return type(v) in (int, float)

    if systems and type(data.get("system")) is str and data["system"] not in systems:
        return False
    if talkgroups and number(data.get("talkgroup")) and data["talkgroup"] not in talkgroups:
        return False
    return not (units and number(data.get("unit")) and data["unit"] not in units)


NAMES = st.sampled_from(
    ["calls", "units", "rates", "recorders", "*", "system_update", "transcriptions", "x"]
)
SYSTEMS = st.sampled_from(["metro", "county", ""])
IDS = st.integers(-1, 3)
OPS = st.tuples(
    st.sampled_from(["subscribe", "unsubscribe"]),
    st.none() | st.lists(NAMES, max_size=3),
    st.none() | st.lists(SYSTEMS, max_size=2),
    st.none() | st.lists(IDS, max_size=2),
    st.none() | st.lists(IDS, max_size=2),
)
FIELD_VALUE = st.one_of(st.none(), SYSTEMS, IDS, st.booleans(), st.just(1.0), st.just("1"))
DATA = st.one_of(
    st.dictionaries(
        st.sampled_from(["system", "talkgroup", "unit", "sysid", "tgid"]), FIELD_VALUE, max_size=5
    ),
    st.lists(IDS, max_size=2),
    st.none(),
    st.text(max_size=2),
)
EVENTS = st.sampled_from(
    [
        "call_start",
        "call_end",
        "call_active",
        "audio_available",
        "unit_event",
        "rate_update",
        "recorder_update",
        "system_update",
        "transcription_complete",
        "x",
        "calls",
    ]
)


@settings(max_examples=400)
@given(st.lists(OPS, max_size=6), st.lists(st.tuples(EVENTS, DATA), min_size=1, max_size=8))
def test_wants_matches_reference_model(ops: list[Any], events: list[Any]) -> None:
    session = Session()
    model: dict[str, set[Any]] = {
        "channels": set(),
        "systems": set(),
        "talkgroups": set(),
        "units": set(),
    }
    for action, *values in ops:
        fields = dict(zip(model, values, strict=True))
        (reply,) = session.handle_text(json.dumps({"action": action, **fields}), NOW)
        for name, value in fields.items():
            if value:
                if action == "subscribe":
                    model[name] |= set(value)
                else:
                    model[name] -= set(value)
        assert reply["data"]["channels"] == sorted(model["channels"])
        assert reply["data"]["systems"] == sorted(model["systems"])
        assert reply["data"]["added" if action == "subscribe" else "removed"] == {
            "action": action,
            **fields,
        }
    for event, data in events:
        expected = reference_wants(
            model["channels"], model["systems"], model["talkgroups"], model["units"], event, data
        )
        assert session.wants(event, data) is expected


ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
    max_leaves=10,
)
FRAMES = st.one_of(
    st.binary(max_size=120),
    ANY_JSON.map(json.dumps),
    st.dictionaries(
        st.sampled_from(["action", "Action", "channels", "systems", "talkgroups", "units"]),
        ANY_JSON | st.just("subscribe"),
        max_size=5,
    ).map(json.dumps),
)


@settings(max_examples=400)
@given(FRAMES)
def test_any_frame_gets_exactly_one_json_reply(frame: str | bytes) -> None:
    session = seeded()
    before = session.filter_key()
    (reply,) = session.handle_text(frame, NOW)
    assert reply["event"] in ("error", "subscribed", "unsubscribed")
    if reply["event"] == "error":
        assert session.filter_key() == before
    json.dumps(reply)
