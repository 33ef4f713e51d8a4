"""Session: tr-engine.md §1.3–§1.8 rules, confirmations, error events, filter keys."""

from __future__ import annotations

import json
from typing import Any

import pytest

from listenpost.radio.channels import CHANNEL_MAP, FilterKey, channel_for
from listenpost.radio.session import Session

NOW = 1_700_000_000.9


def sub(session: Session, **fields: Any) -> list[dict[str, Any]]:
    return session.handle_text(json.dumps({"action": "subscribe", **fields}), NOW)


def unsub(session: Session, **fields: Any) -> list[dict[str, Any]]:
    return session.handle_text(json.dumps({"action": "unsubscribe", **fields}), NOW)


def session_with(**fields: Any) -> Session:
    session = Session()
    if fields:
        sub(session, **fields)
    return session


CALL = {"system": "metro", "talkgroup": 9178, "unit": 123}

# ---------------------------------------------------------------- §1.8 channel map


@pytest.mark.parametrize(
    ("event", "channel"),
    [
        ("call_start", "calls"),
        ("call_end", "calls"),
        ("call_active", "calls"),
        ("audio_available", "calls"),
        ("unit_event", "units"),
        ("rate_update", "rates"),
        ("recorder_update", "recorders"),
        ("transcription_complete", "transcriptions"),
        ("system_update", "system_update"),
        ("whatever_new", "whatever_new"),
    ],
)
def test_channel_map(event: str, channel: str) -> None:
    assert channel_for(event) == channel
    assert session_with(channels=[channel]).wants(event, {})
    assert session_with(channels=["*"]).wants(event, {})
    others = {"calls", "units", "rates", "recorders", "transcriptions", "system_update"}
    assert not session_with(channels=sorted(others - {channel})).wants(event, {})


def test_channel_names_are_not_event_names() -> None:
    assert not session_with(channels=["call_start"]).wants("call_start", {})
    assert not session_with(channels=["systems"]).wants("system_update", {})
    assert set(CHANNEL_MAP.values()) == {"calls", "units", "rates", "recorders", "transcriptions"}


# ---------------------------------------------------------------- §1.7 decision

DECISIONS: list[tuple[dict[str, Any], str, Any, bool]] = [
    # 1. nothing subscribed -> drop, even with filters
    ({}, "call_start", CALL, False),
    ({"systems": ["metro"]}, "call_start", CALL, False),
    ({"talkgroups": [9178], "units": [123]}, "call_start", CALL, False),
    # 2. channel or "*"
    ({"channels": ["units"]}, "call_start", CALL, False),
    ({"channels": ["units", "*"]}, "call_start", CALL, True),
    # 3. no filters -> deliver
    ({"channels": ["calls"]}, "call_start", CALL, True),
    # 4. data not an object -> deliver
    ({"channels": ["calls"], "systems": ["x"]}, "call_start", [1, 2], True),
    ({"channels": ["calls"], "talkgroups": [1]}, "call_start", None, True),
    ({"channels": ["calls"], "units": [1]}, "call_start", "text", True),
    # 5. systems
    ({"channels": ["calls"], "systems": ["metro"]}, "call_start", CALL, True),
    ({"channels": ["calls"], "systems": ["county"]}, "call_start", CALL, False),
    ({"channels": ["calls"], "systems": ["county", "metro"]}, "call_start", CALL, True),
    ({"channels": ["calls"], "systems": ["county"]}, "call_start", {"talkgroup": 1}, True),
    ({"channels": ["calls"], "systems": ["county"]}, "call_start", {"system": 5}, True),
    ({"channels": ["calls"], "systems": ["county"]}, "call_start", {"system": None}, True),
    ({"channels": ["calls"], "systems": ["metro"]}, "call_start", {"sysid": "x"}, True),
    # 6. talkgroups (number present must match; absent or non-number passes; 0 is real)
    ({"channels": ["calls"], "talkgroups": [9178]}, "call_start", CALL, True),
    ({"channels": ["calls"], "talkgroups": [1]}, "call_start", CALL, False),
    ({"channels": ["calls"], "talkgroups": [1]}, "call_start", {"system": "m"}, True),
    ({"channels": ["calls"], "talkgroups": [1]}, "call_start", {"talkgroup": "1x"}, True),
    ({"channels": ["calls"], "talkgroups": [1]}, "call_start", {"talkgroup": True}, True),
    ({"channels": ["calls"], "talkgroups": [1]}, "call_start", {"tgid": 2}, True),
    ({"channels": ["units"], "talkgroups": [1]}, "unit_event", {"talkgroup": 0}, False),
    ({"channels": ["units"], "talkgroups": [0]}, "unit_event", {"talkgroup": 0}, True),
    ({"channels": ["calls"], "talkgroups": [9178]}, "call_start", {"talkgroup": 9178.0}, True),
    # 7. units
    ({"channels": ["calls"], "units": [123]}, "call_start", CALL, True),
    ({"channels": ["calls"], "units": [1]}, "call_start", CALL, False),
    ({"channels": ["calls"], "units": [1]}, "call_start", {"unit": 0}, False),
    ({"channels": ["calls"], "units": [0]}, "call_start", {"unit": 0}, True),
    ({"channels": ["calls"], "units": [1]}, "audio_available", {"talkgroup": 5}, True),
    ({"channels": ["recorders"], "units": [1]}, "recorder_update", {"unit_id": 2}, True),
    # categories AND-ed, values OR-ed
    (
        {"channels": ["calls"], "systems": ["metro"], "talkgroups": [9178], "units": [123]},
        "call_start",
        CALL,
        True,
    ),
    (
        {"channels": ["calls"], "systems": ["metro"], "talkgroups": [9178], "units": [7]},
        "call_start",
        CALL,
        False,
    ),
    (
        {"channels": ["calls"], "systems": ["x"], "talkgroups": [9178], "units": [123]},
        "call_start",
        CALL,
        False,
    ),
    ({"channels": ["calls"], "talkgroups": [1, 9178, 3]}, "call_start", CALL, True),
    # filters are per connection, not per channel
    (
        {"channels": ["calls", "units"], "talkgroups": [5]},
        "unit_event",
        {"system": "m", "talkgroup": 6, "unit": 1},
        False,
    ),
]


@pytest.mark.parametrize(("subscription", "event", "data", "expected"), DECISIONS)
def test_delivery_decision(
    subscription: dict[str, Any], event: str, data: Any, expected: bool
) -> None:
    session = session_with(**subscription)
    assert session.wants(event, data) is expected
    assert session.filter_key().wants(event, data) is expected


def test_documented_consequences() -> None:
    recorder = {"recorder_id": 1, "tgid": 9178, "unit_id": 5}
    assert session_with(channels=["*"], systems=["metro"]).wants("recorder_update", recorder)
    rate = {"system": "metro", "sysid": "1", "decode_rate": 40.0}
    assert session_with(channels=["*"], talkgroups=[9178]).wants("rate_update", rate)
    audio = {"system": "metro", "talkgroup": 1, "audio_size": 3}
    assert session_with(channels=["*"], units=[123]).wants("audio_available", audio)
    transcription = {"sysid": "x", "tgid": 1}
    assert session_with(channels=["*"], systems=["a"], talkgroups=[2]).wants(
        "transcription_complete", transcription
    )


def test_fresh_session_receives_nothing() -> None:
    session = Session()
    assert session.filter_key() == FilterKey() and session.filter_key().silent
    for event in ["call_start", "unit_event", "system_update", "x"]:
        assert not session.wants(event, {})


def test_removing_last_channel_silences_even_with_filters() -> None:
    session = session_with(channels=["calls"], talkgroups=[9178])
    assert session.wants("call_start", CALL)
    unsub(session, channels=["calls"])
    assert not session.wants("call_start", CALL)
    assert session.talkgroups == {9178}


# ---------------------------------------------------------------- union / difference


def test_subscribe_is_union_and_unsubscribe_difference() -> None:
    session = Session()
    sub(session, channels=["calls"], systems=["a"], talkgroups=[1], units=[10])
    sub(session, channels=["units", "calls"], systems=["b"], talkgroups=[2], units=[10, 11])
    assert session.channels == {"calls", "units"} and session.systems == {"a", "b"}
    assert session.talkgroups == {1, 2} and session.units == {10, 11}
    unsub(session, channels=["calls", "nope"], systems=["a"], talkgroups=[1, 3], units=[])
    assert session.channels == {"units"} and session.systems == {"b"}
    assert session.talkgroups == {2} and session.units == {10, 11}


def test_channels_are_not_validated() -> None:
    session = session_with(channels=["anything at all", ""])
    assert session.channels == {"anything at all", ""}


# ---------------------------------------------------------------- confirmations


def test_subscribed_confirmation_shape() -> None:
    session = Session()
    (reply,) = sub(session, channels=["units", "calls"], talkgroups=[])
    assert list(reply) == ["data", "event"] and "timestamp" not in reply
    assert reply == {
        "event": "subscribed",
        "data": {
            "added": {
                "action": "subscribe",
                "channels": ["units", "calls"],
                "systems": None,
                "talkgroups": [],
                "units": None,
            },
            "channels": ["calls", "units"],
            "systems": [],
        },
    }
    assert list(reply["data"]["added"]) == ["action", "channels", "systems", "talkgroups", "units"]
    assert list(reply["data"]) == ["added", "channels", "systems"]


def test_unsubscribed_confirmation_reports_current_state() -> None:
    session = session_with(channels=["calls", "rates"], systems=["a", "b"], talkgroups=[7])
    (reply,) = unsub(session, systems=["a"], units=[3, 3])
    assert reply == {
        "event": "unsubscribed",
        "data": {
            "removed": {
                "action": "unsubscribe",
                "channels": None,
                "systems": ["a"],
                "talkgroups": None,
                "units": [3, 3],
            },
            "channels": ["calls", "rates"],
            "systems": ["b"],
        },
    }
    assert json.loads(json.dumps(reply)) == reply  # JSON-serialisable as is


def test_confirmation_for_empty_subscribe() -> None:
    (reply,) = Session().handle_text('{"action":"subscribe"}', NOW)
    assert reply["data"] == {
        "added": dict.fromkeys(["action", "channels", "systems", "talkgroups", "units"])
        | {"action": "subscribe"},
        "channels": [],
        "systems": [],
    }
