"""The demo's pure sound side: mics, events, bursts and their timing."""

from __future__ import annotations

import math
import random

from listenpost.composite.api import RuleCreate
from listenpost.demo.place import CENTRE, DISTRESS, MICS, RULE, THRESHOLDS
from listenpost.demo.sound import (
    BURST_GAP,
    BURST_SPREAD,
    FIRST_BURST,
    LABEL_WEIGHTS,
    NOISE_POINTS,
    SoundGenerator,
    SoundSchedule,
    noises,
)
from listenpost.sound.labels import LABELS
from listenpost.sound.models import EventIn, MicCreate


def _metres(lat: float, lon: float) -> float:
    dlat = (lat - CENTRE[0]) * 111_320
    dlon = (lon - CENTRE[1]) * 111_320 * math.cos(math.radians(CENTRE[0]))
    return math.hypot(dlat, dlon)


def test_a_dozen_named_mics_around_the_station_that_the_api_accepts() -> None:
    assert len(MICS) == 12
    assert len({m.id for m in MICS}) == 12
    assert len({m.name for m in MICS}) == 12
    for mic in MICS:
        body = MicCreate.model_validate(mic.body())  # the API's own request model
        assert body.location is not None
        assert _metres(body.location.latitude, body.location.longitude) < 700
    assert {mic for mic in THRESHOLDS} <= {m.id for m in MICS}
    assert MICS[1].body()["thresholds"] == THRESHOLDS[MICS[1].id]


def test_the_demo_rule_is_valid_and_names_catalogue_labels() -> None:
    rule = RuleCreate.model_validate(RULE)
    assert set(rule.include_label_ids or ()) == set(DISTRESS) <= set(LABELS)
    assert set(LABEL_WEIGHTS) <= set(LABELS)


def test_events_are_valid_api_bodies_with_an_spl_series() -> None:
    gen = SoundGenerator(random.Random(7))
    seen = set()
    for _ in range(500):
        event = gen.event()
        EventIn.model_validate(event)
        assert event["label_id"] in LABELS
        assert len(event["noises"]) == NOISE_POINTS
        assert event["sound_level"] == max(event["noises"])
        seen.add(event["label_id"])
    assert {"normal_speech_male", "sound_level"} <= seen


def test_noises_rise_to_the_level_and_fall_back() -> None:
    series = noises(random.Random(1), 80.0, points=20)
    peak = series.index(max(series))
    assert 0 < peak < 19
    assert max(series) > 78 and min(series) < 76


def test_a_burst_is_more_than_the_rule_needs_at_one_mic_within_its_window() -> None:
    gen = SoundGenerator(random.Random(3))
    for _ in range(50):
        burst = gen.burst()
        assert burst.label_id in DISTRESS
        assert len(burst.events) > RULE["min_events"]
        offsets = [offset for offset, _ in burst.events]
        assert offsets == sorted(offsets) and offsets[-1] <= BURST_SPREAD < RULE["window_seconds"]
        for _, event in burst.events:
            assert (event["mic_id"], event["label_id"]) == (burst.mic.id, burst.label_id)


def test_the_schedule_keeps_the_rate_and_bursts_at_their_times() -> None:
    schedule = SoundSchedule(SoundGenerator(random.Random(5)), rate=2.0, start=100.0)
    background = 0
    bursts = []
    burst_events = 0
    now = 100.0
    while now < 400.0:
        now += 0.25
        events, burst = schedule.tick(now)
        if burst is not None:
            bursts.append(now)
            burst_events += len(burst.events)
        background += len(events)
    assert schedule.pending == []
    assert background == 600 + burst_events  # 2/s for 300 s, plus every burst's events
    assert bursts[0] == 100.0 + FIRST_BURST
    gaps = [b - a for a, b in zip(bursts, bursts[1:], strict=False)]
    assert all(BURST_GAP[0] <= gap <= BURST_GAP[1] + 0.25 for gap in gaps)
    assert schedule.bursts == len(bursts)


def test_burst_events_arrive_over_the_following_seconds_not_at_once() -> None:
    schedule = SoundSchedule(SoundGenerator(random.Random(9)), rate=0.0, start=0.0)
    assert schedule.tick(1.0) == ([], None)
    first, burst = schedule.tick(FIRST_BURST)
    assert burst is not None
    released = list(first)
    t = FIRST_BURST
    while schedule.pending:
        t += 0.25
        events, _ = schedule.tick(t)
        released += events
    assert released == [event for _, event in burst.events]
    assert t <= FIRST_BURST + BURST_SPREAD + 0.25
    assert schedule.tick(t - 10) == ([], None)  # a clock going back adds nothing
