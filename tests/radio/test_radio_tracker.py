"""The active-call tracker: snapshots start calls, 3 consecutive misses end them."""

from __future__ import annotations

import json

from mqtt_support import FIXTURES

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
    saved = tracker.save()
    assert [e.call_id for e in tracker.snapshot([])[1]] == [7]  # ...then the store fails
    tracker.load(saved)
    assert [e.call_id for e in tracker.snapshot([])[1]] == [7]
    assert tracker.live == {}
