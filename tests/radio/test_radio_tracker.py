"""The active-call tracker: snapshots start calls, 3 consecutive misses end them."""

from __future__ import annotations

import json
from dataclasses import replace

from mqtt_support import FIXTURES

from listenpost.radio._parse_calls import call_from_stored
from listenpost.radio.normalise import normalise
from listenpost.radio.records import ActiveCalls as Snapshot
from listenpost.radio.records import CallRecord
from listenpost.radio.tracker import ActiveCalls


def snapshot_call() -> CallRecord:
    payload = (FIXTURES / "calls_active.json").read_bytes()
    (snap,) = normalise("feeds/calls_active", payload)
    assert isinstance(snap, Snapshot)
    return snap.calls[0]


def test_new_call_in_snapshot_is_reported_once() -> None:
    tracker, call = ActiveCalls(), snapshot_call()
    new, ended = tracker.snapshot([call])
    assert new == [call] and ended == []
    tracker.start(call, 7)
    assert tracker.snapshot([call]) == ([], [])


def test_three_consecutive_misses_end_a_call() -> None:
    tracker, call = ActiveCalls(), snapshot_call()
    tracker.start(call, 7)
    assert tracker.snapshot([]) == ([], [])
    assert tracker.snapshot([]) == ([], [])
    new, ended = tracker.snapshot([])
    assert [e.call_id for e in ended] == [7] and tracker.live == {}


def test_reappearing_resets_the_miss_count() -> None:
    tracker, call = ActiveCalls(), snapshot_call()
    tracker.start(call, 7)
    tracker.snapshot([])
    tracker.snapshot([])
    tracker.snapshot([call])
    assert tracker.snapshot([]) == ([], []) and tracker.snapshot([]) == ([], [])
    assert len(tracker.snapshot([])[1]) == 1


def test_call_end_removes_and_frequency_lookup() -> None:
    tracker, call = ActiveCalls(), snapshot_call()
    tracker.start(call, 7)
    assert tracker.on_freq(call.freq) == call and tracker.on_freq(1) is None
    assert tracker.end(call) is not None and tracker.on_freq(call.freq) is None
    assert json.loads((FIXTURES / "calls_active.json").read_text())["type"] == "calls_active"


def test_a_snapshot_rolled_back_is_applied_once_on_retry() -> None:
    """A snapshot whose storing failed is retried: rolling back keeps the third miss, so the
    call still ends (and gets its synthesised call_end) on the retry."""
    tracker, call = ActiveCalls(), snapshot_call()
    tracker.start(call, 7)
    tracker.snapshot([])
    tracker.snapshot([])
    mark = tracker.mark()
    assert [e.call_id for e in tracker.snapshot([])[1]] == [7]  # ...then the store fails
    tracker.undo(mark)
    assert [e.call_id for e in tracker.snapshot([])[1]] == [7]
    assert tracker.live == {}


def many_calls(n: int) -> list[CallRecord]:
    call = snapshot_call()
    return [replace(call, tr_call_id=f"2_{i}_1686699318", talkgroup=i) for i in range(1, n + 1)]


def test_rollback_cost_is_what_the_record_changed_not_the_active_calls() -> None:
    """With 20,000 live calls, a record that changes one call journals one change, and
    undoing it restores exactly the state before (no copy of the whole tracker)."""
    tracker = ActiveCalls()
    calls = many_calls(20_000)
    for i, call in enumerate(calls):
        tracker.start(call, i)
    tracker.forget()
    before = dict(tracker.live)
    mark = tracker.mark()
    assert tracker.live.journal_size == 0  # a record touching no call costs nothing
    tracker.end(calls[5])
    tracker.start(replace(calls[0], tr_call_id="new"), 99)
    assert tracker.live.journal_size == 2
    tracker.undo(mark)
    assert tracker.live == before


def test_undo_restores_a_snapshot_that_ended_and_started_calls() -> None:
    tracker = ActiveCalls()
    a, b, c = many_calls(3)
    tracker.start(a, 1)
    tracker.start(b, 2)
    tracker.snapshot([a])
    tracker.snapshot([a])
    tracker.forget()
    before = dict(tracker.live)
    mark = tracker.mark()
    new, ended = tracker.snapshot([c])
    assert new == [c] and [e.call_id for e in ended] == [2]
    tracker.start(c, 3)
    tracker.undo(mark)
    assert tracker.live == before
    assert tracker.snapshot([c])[1][0].call_id == 2  # the retry ends it again


def test_journal_refuses_unjournaled_mutation() -> None:
    import pytest

    tracker = ActiveCalls()
    with pytest.raises(TypeError):
        tracker.live.update({})


def test_a_stored_call_is_read_back_and_an_unreadable_one_skipped() -> None:
    """A node taking over ingest rebuilds the tracker from stored `metadata`; a row it
    cannot read (not an object, or a call without its id) is skipped, not fatal."""
    raw = json.loads((FIXTURES / "calls_active.json").read_bytes())["calls"][0]
    call = call_from_stored(raw)
    assert call is not None and call.talkgroup == raw["talkgroup"]
    assert call_from_stored(None) is None
    assert call_from_stored(["not", "a", "call"]) is None
    assert call_from_stored({k: v for k, v in raw.items() if k != "talkgroup"}) is None
