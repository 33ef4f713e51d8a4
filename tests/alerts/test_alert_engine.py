"""The pure alert engine: matching, count windows, schedules, cooldowns, silence (no I/O)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from listenpost.alerts.engine import Engine, Fact, Fired, Repeated
from listenpost.alerts.facts import radio_facts
from listenpost.alerts.model import check_rule
from listenpost.alerts.schedule import DAYS
from listenpost.composite.engine import BaseEvent, CompositeOpened, RuleSpec
from listenpost.composite.engine import Engine as CompositeEngine
from listenpost.radio.records import Heartbeat, Skipped

T0 = 1_780_000_000.0


def rule(**fields: Any) -> dict[str, Any]:
    spec = check_rule({"name": "r", "source": "sound", **fields})
    spec["id"] = fields.get("id") or "r1"
    return spec


def sound(
    i: int, t: float, conf: float = 0.9, mic: str = "m1", label: str = "scream_female"
) -> Fact:
    ref = {"event_id": f"e{i}"}
    return Fact("sound", f"e{i}", t, mic=mic, label=label, confidence=conf, ref=ref)


def radio(i: int, t: float, talkgroup: int = 54623, **fields: Any) -> Fact:
    return Fact(
        "radio", f"call_start:{i}", t, event="call_start", system="p25", talkgroup=talkgroup,
        unit=100 + i, ref={"call_id": i}, **fields,
    )


def engine(*specs: dict[str, Any], now: float = T0) -> Engine:
    e = Engine()
    e.set_rules(specs, now)
    return e


def test_sound_rule_fires_once_per_matching_event_and_respects_min_confidence() -> None:
    e = engine(rule(match={"label_ids": ["scream_female"], "min_confidence": 0.8}))
    out = [d for i, c in enumerate((0.9, 0.79, 0.8, 0.95)) for d in e.feed(sound(i, T0 + i, c))]
    assert [type(d) for d in out] == [Fired, Fired, Fired]
    assert [d.refs[0]["event_id"] for d in out if isinstance(d, Fired)] == ["e0", "e2", "e3"]
    assert e.feed(sound(9, T0, 0.99, label="crying")) == []


def test_radio_count_rule_fires_once_for_three_calls_on_a_talkgroup() -> None:
    spec = rule(
        source="radio",
        match={"events": ["call_start"]},
        count={"min_events": 3, "window_seconds": 60, "group_by": ["talkgroup"]},
    )
    e = engine(spec)
    facts = [radio(1, T0), radio(2, T0 + 10, talkgroup=1), radio(3, T0 + 20), radio(4, T0 + 30)]
    facts.append(radio(5, T0 + 40))  # a fourth call in the same window joins silently
    out = [d for f in facts for d in e.feed(f)]
    assert len(out) == 1 and isinstance(out[0], Fired)
    assert out[0].group_key == "talkgroup=54623"
    assert [r["call_id"] for r in out[0].refs] == [1, 3, 4]


def test_emergency_match() -> None:
    e = engine(rule(source="radio", match={"emergency": True}))
    assert e.feed(radio(1, T0, emergency=False)) == []
    assert len(e.feed(radio(2, T0, emergency=True))) == 1


def test_cooldown_folds_repeats_and_realerts_on_higher_confidence() -> None:
    e = engine(rule(cooldown_seconds=60, realert_above_confidence=0.9, group_by=["mic"]))
    first = e.feed(sound(1, T0, 0.85))[0]
    assert isinstance(first, Fired) and first.group_key == "mic=m1"
    again = e.feed(sound(2, T0 + 5, 0.8)) + e.feed(sound(3, T0 + 6, 0.88))
    assert all(isinstance(d, Repeated) and d.alert_id == first.alert_id for d in again)
    assert isinstance(e.feed(sound(4, T0 + 7, 0.8, mic="m2"))[0], Fired)  # its own group
    louder = e.feed(sound(5, T0 + 8, 0.95))[0]
    assert isinstance(louder, Fired) and louder.alert_id != first.alert_id
    assert isinstance(e.feed(sound(6, T0 + 9, 0.93))[0], Repeated)  # not above 0.95
    assert isinstance(e.feed(sound(7, T0 + 68.1, 0.5))[0], Fired)  # cooldown over


def test_resolved_alert_ends_its_cooldown() -> None:
    e = engine(rule(cooldown_seconds=600))
    first = e.feed(sound(1, T0))[0]
    e.forget(first.alert_id)
    assert isinstance(e.feed(sound(2, T0 + 1))[0], Fired)


def test_silence_fires_once_per_quiet_spell_on_an_injected_clock() -> None:
    spec = rule(source="silence", match={"kind": "mic", "mic_ids": ["m1"], "for_seconds": 30})
    e = engine(spec, now=T0)
    assert e.tick(T0 + 29) == []
    fired = e.tick(T0 + 30)
    assert len(fired) == 1 and fired[0].group_key == "mic=m1"
    assert e.tick(T0 + 100) == []  # once per spell
    e.feed(sound(1, T0 + 101))
    assert e.tick(T0 + 130) == []
    assert len(e.tick(T0 + 131)) == 1


def test_decode_rate_silence() -> None:
    spec = rule(source="silence", match={"kind": "decode_rate", "below": 10, "for_seconds": 60})
    e = engine(spec)

    def rate(t: float, value: float) -> Fact:
        return Fact("radio", "r", t, event="rate_update", system="p25", decode_rate=value)

    e.feed(rate(T0, 5))
    assert e.tick(T0 + 59) == []
    e.feed(rate(T0 + 59.5, 30))  # recovered: the spell ends
    e.feed(rate(T0 + 70, 2))
    assert e.tick(T0 + 120) == [] and len(e.tick(T0 + 130)) == 1


times = st.lists(st.floats(min_value=0, max_value=3600, allow_nan=False), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(times)
def test_without_cooldown_every_matching_event_is_an_alert(offsets: list[float]) -> None:
    e = engine(rule())
    out = [d for i, t in enumerate(offsets) for d in e.feed(sound(i, T0 + t))]
    assert len(out) == len(offsets) and all(isinstance(d, Fired) for d in out)
    assert len({d.alert_id for d in out}) == len(offsets)


@settings(max_examples=200, deadline=None)
@given(times, st.floats(min_value=1, max_value=600))
def test_cooldown_alerts_plus_repeats_account_for_every_event(
    offsets: list[float], cooldown: float
) -> None:
    e = engine(rule(cooldown_seconds=cooldown))
    out = [d for i, t in enumerate(sorted(offsets)) for d in e.feed(sound(i, T0 + t))]
    fired = [d for d in out if isinstance(d, Fired)]
    assert len(out) == len(offsets)
    # an alert opens whenever an event comes at or after the previous alert's cooldown end
    expected, until = 0, -1.0
    for t in sorted(offsets):
        if T0 + t >= until:
            expected, until = expected + 1, T0 + t + cooldown
    assert len(fired) == expected


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 600, allow_nan=False), st.sampled_from([1, 2, 3])),
        min_size=1,
        max_size=40,
    ),
    st.integers(1, 4),
    st.floats(1, 120),
)
def test_count_rules_open_exactly_where_the_composite_engine_does(
    calls: list[tuple[float, int]], min_events: int, window: float
) -> None:
    spec = rule(
        source="radio",
        count={"min_events": min_events, "window_seconds": window, "group_by": ["talkgroup"]},
    )
    e = engine(spec)
    reference = CompositeEngine([RuleSpec("c", window, min_events, ("label_id",))])
    got, want = [], []
    for i, (t, tg) in enumerate(calls):
        out = e.feed(radio(i, T0 + t, talkgroup=tg))
        got += [d.refs[0]["call_id"] for d in out if isinstance(d, Fired)]
        for ch in reference.feed(BaseEvent(f"call_start:{i}", str(tg), "", None, T0 + t)).changes:
            if isinstance(ch, CompositeOpened):
                want.append(int(ch.event_ids[0].split(":")[1]))
    assert got == want


@settings(max_examples=300, deadline=None)
@given(
    st.floats(0, 14 * 86400, allow_nan=False),
    st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True),
    st.integers(0, 23),
    st.integers(0, 23),
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]),
)
def test_schedule_fires_only_inside_its_window(
    offset: float, days: list[str], start: int, end: int, tz: str
) -> None:
    if start == end:
        end = (end + 1) % 24
    schedule = {"timezone": tz, "days": days, "from": f"{start:02d}:00", "to": f"{end:02d}:00"}
    e = engine(rule(schedule=schedule))
    t = T0 + offset
    local = datetime.fromtimestamp(t, ZoneInfo(tz))
    day, hour = DAYS[local.weekday()], local.hour
    if start < end:
        inside = day in days and start <= hour < end
    else:
        yesterday = DAYS[(local.weekday() - 1) % 7]
        inside = (hour >= start and day in days) or (hour < end and yesterday in days)
    assert bool(e.feed(sound(1, t))) == inside


def test_system_silence_counts_messages_and_the_heartbeats_of_its_instance() -> None:
    spec = rule(source="silence", match={"kind": "system", "for_seconds": 60})
    e = engine(spec)

    def seen(t: float, **fields: Any) -> Fact:
        return Fact("radio", "r", t, event=fields.pop("event", "TrunkMessage"), **fields)

    e.feed(seen(T0, system="p25", instance="east"))
    e.feed(seen(T0 + 50, event="Heartbeat", instance="east"))  # the instance is alive
    assert e.tick(T0 + 109) == []
    [fired] = e.tick(T0 + 110)
    assert isinstance(fired, Fired) and fired.group_key == "system=p25"
    assert fired.refs[0]["system"] == "p25"


def test_unit_event_rule_matches_only_the_types_it_lists() -> None:
    e = engine(rule(source="radio", match={"unit_event_types": ["join"]}))

    def unit_event(i: int, kind: str) -> Fact:
        return Fact("radio", f"u{i}", T0, event="unit_event", system="p25", unit_event_type=kind)

    assert e.feed(unit_event(1, "call")) == []
    assert len(e.feed(unit_event(2, "join"))) == 1


def test_rules_set_again_keep_their_cooldowns_only_when_unchanged() -> None:
    spec = rule(cooldown_seconds=600)
    e = engine(spec)
    first = e.feed(sound(1, T0))[0]
    e.set_rules([dict(spec)], T0 + 1)  # the same rule read again: its cooldown holds
    assert isinstance(e.feed(sound(2, T0 + 2))[0], Repeated)
    e.set_rules([], T0 + 3)  # deleted: nothing matches, the open alert is forgotten
    assert e.feed(sound(3, T0 + 4)) == []
    e.forget(first.alert_id)  # resolving it after the rule went is harmless
    e.set_rules([spec], T0 + 5)  # back: a fresh rule, so a new alert
    back = e.feed(sound(4, T0 + 6))[0]
    assert isinstance(back, Fired) and back.alert_id != first.alert_id
    e.set_rules([{**spec, "cooldown_seconds": 300}], T0 + 7)  # changed: state starts afresh
    assert isinstance(e.feed(sound(5, T0 + 8))[0], Fired)
    e.set_rules([{**spec, "enabled": False}], T0 + 9)  # disabled: nothing fires
    assert e.feed(sound(6, T0 + 10)) == []


def test_a_stored_open_alert_restores_its_cooldown_at_start() -> None:
    e = engine(rule(cooldown_seconds=600), rule(id="r2"))
    e.restore("r1", "", "stored", T0, 0.9)
    e.restore("r2", "", "other", T0, None)  # no cooldown: nothing to restore
    e.restore("gone", "", "old", T0, None)  # its rule was deleted meanwhile
    found = {d.rule_id: d for d in e.feed(sound(1, T0 + 10))}
    assert isinstance(found["r1"], Repeated) and found["r1"].alert_id == "stored"
    assert isinstance(found["r2"], Fired)
    e.forget("stored")
    assert isinstance(e.feed(sound(2, T0 + 11))[0], Fired)


def test_expire_drops_cooldowns_that_ended() -> None:
    """Memory: a cooldown over before the watermark is forgotten (what a long-running
    server would otherwise keep for every group it ever alerted on)."""
    counting = rule(id="r2", count={"min_events": 5, "window_seconds": 10})
    e = engine(rule(cooldown_seconds=60, group_by=["mic"]), counting)
    for i in range(3):
        e.feed(sound(i, T0, mic=f"m{i}"))
    e.feed(sound(9, T0 + 30, mic="late"))
    e.expire(T0 + 60)
    assert sorted(g for _, g in e._alerts.values()) == ["mic=late"]
    assert e._rules["r2"].refs == {}  # and the events a count window held
    assert isinstance(e.feed(sound(10, T0 + 61, mic="late"))[0], Repeated)


def test_silence_rules_watch_only_their_subjects() -> None:
    mics = rule(source="silence", match={"kind": "mic", "mic_ids": ["m1"], "for_seconds": 30})
    systems = rule(id="r2", source="silence", match={"kind": "system", "for_seconds": 30})
    e = engine(mics, systems, rule(id="r3"))  # and a sound rule, which never ticks
    e.feed(sound(1, T0, mic="m2"))  # another mic, and no system: watched by neither
    fired = e.tick(T0 + 30)
    assert [d.group_key for d in fired] == ["mic=m1"]


def test_decode_rate_spell_starts_at_the_first_low_report() -> None:
    spec = rule(source="silence", match={"kind": "decode_rate", "below": 10, "for_seconds": 60})
    e = engine(spec)
    for t, value in ((T0, 5), (T0 + 30, 4)):
        e.feed(Fact("radio", "r", t, event="rate_update", system="p25", decode_rate=value))
    [fired] = e.tick(T0 + 60)
    assert fired.refs[0]["since"] == T0


def test_radio_records_naming_no_system_or_instance_say_nothing_of_liveness() -> None:
    """An ignored message or an anonymous heartbeat cannot keep any silence rule quiet."""
    records = [
        Skipped(topic="tr/feeds/x", reason="empty payload"),
        Heartbeat(instance_id=None, timestamp=None),
        Heartbeat(instance_id="east", timestamp=None),
    ]
    [fact] = radio_facts(records, [], T0)
    assert (fact.event, fact.instance, fact.system) == ("Heartbeat", "east", None)


def test_a_quiet_spell_outside_the_schedule_fires_once_it_opens() -> None:
    """T0 is 20:26 UTC: a silence rule scheduled from 21:00 waits for 21:00."""
    match = {"kind": "mic", "mic_ids": ["m1"], "for_seconds": 60}
    e = engine(rule(source="silence", match=match, schedule={"from": "21:00"}))
    e.feed(sound(1, T0))
    assert e.tick(T0 + 600) == []  # quiet for ten minutes, but 20:36
    [fired] = e.tick(T0 + 2000)  # 21:00 exactly: `from` is included
    assert fired.group_key == "mic=m1"


def test_composite_and_radio_rules_match_what_they_name() -> None:
    composite = rule(source="composite", match={"rule_ids": ["door"]})
    radio_end = rule(id="r2", source="radio", match={"events": ["call_end"]})
    e = engine(composite, radio_end)
    assert e.feed(Fact("composite", "c1", T0, rule_id="window")) == []
    assert [d.rule_id for d in e.feed(Fact("composite", "c2", T0, rule_id="door"))] == ["r1"]
    assert e.feed(radio(1, T0)) == []  # a call_start
    ended = Fact("radio", "call_end:1", T0, event="call_end", system="p25", ref={"call_id": 1})
    assert [d.rule_id for d in e.feed(ended)] == ["r2"]
