"""Bounded subscriptions (issue 14 #6): a list beyond the limit is an error event, nothing
changes, and a confirmation never echoes more than the client sent."""

from __future__ import annotations

import json

import orjson
import pytest

from listenpost.radio.session import MAX_ENTRY_CHARS, Session

NOW = 1_700_000_000.0


def send(session: Session, **fields: object) -> dict:
    (reply,) = session.handle_text(json.dumps({"action": "subscribe", **fields}), NOW)
    return reply


@pytest.mark.parametrize(
    ("field", "make"),
    [
        ("channels", lambda i: f"ch{i}"),
        ("systems", lambda i: f"sys{i}"),
        ("talkgroups", lambda i: i),
        ("units", lambda i: i),
    ],
)
def test_a_list_may_not_grow_beyond_the_limit(field: str, make: object) -> None:
    session = Session(max_entries=10)
    assert send(session, **{field: [make(i) for i in range(6)]})["event"] == "subscribed"
    before = session.filter_key()
    reply = send(session, **{field: [make(i) for i in range(6, 11)]})
    assert reply["event"] == "error"
    assert field in reply["data"]["message"] and "10" in reply["data"]["message"]
    assert session.filter_key() == before  # unchanged, not partly applied
    assert send(session, **{field: [make(i) for i in range(6, 10)]})["event"] == "subscribed"
    assert len(getattr(session, field)) == 10
    # re-subscribing what is already there does not count twice
    assert send(session, **{field: [make(i) for i in range(10)]})["event"] == "subscribed"


def test_one_message_may_not_list_more_than_the_limit_even_to_unsubscribe() -> None:
    session = Session(max_entries=10)
    (reply,) = session.handle_text(
        json.dumps({"action": "unsubscribe", "units": list(range(11))}), NOW
    )
    assert reply["event"] == "error" and "units" in reply["data"]["message"]


def test_overlong_names_are_refused() -> None:
    session = Session()
    reply = send(session, systems=["x" * (MAX_ENTRY_CHARS + 1)])
    assert reply["event"] == "error" and "systems" in reply["data"]["message"]
    assert send(session, systems=["x" * MAX_ENTRY_CHARS])["event"] == "subscribed"


def test_default_limit_is_1000_per_list() -> None:
    session = Session()
    assert send(session, systems=[f"s{i}" for i in range(1000)])["event"] == "subscribed"
    assert send(session, systems=["one more"])["event"] == "error"
    assert len(session.systems) == 1000


def test_reply_is_never_larger_than_the_state_plus_what_was_sent() -> None:
    """A bare subscribe answers with the (bounded) current state, never an unbounded list."""
    session = Session(max_entries=50)
    send(session, systems=[f"system-{i}" for i in range(50)], channels=["*"])
    bare = orjson.dumps(send(session))
    assert len(bare) < 50 * 20 + 200
