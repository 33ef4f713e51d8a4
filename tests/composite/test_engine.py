"""Table tests for the pure composite engine (one section per numbered rule of the contract)."""

from __future__ import annotations

import ast
import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from listenpost.composite.engine import (
    BaseEvent,
    CompositeJoined,
    CompositeOpened,
    Engine,
    FeedResult,
    RuleSpec,
    composite_id,
    group_key,
    parse_group_by,
)
from listenpost.composite.keys import KEYERS, key_shape

SPEECH = "normal_speech_female"


def ev(
    eid: str, t: float, label: str = SPEECH, mic: str = "mic_001", edge: str | None = "edge-01"
) -> BaseEvent:
    return BaseEvent(eid, label, mic, edge, t)


def rule(
    rid: str = "r1",
    window: float = 30,
    min_events: int = 3,
    group_by: str = "label_id",
    labels: list[str] | None = None,
    mics: list[str] | None = None,
    enabled: bool = True,
) -> RuleSpec:
    return RuleSpec(
        rid,
        window,
        min_events,
        group_by,  # type: ignore[arg-type]
        frozenset(labels) if labels is not None else None,
        frozenset(mics) if mics is not None else None,
        enabled,
    )


def run(engine: Engine, events: list[BaseEvent]) -> list[FeedResult]:
    return [engine.feed(e) for e in events]


def opened(results: list[FeedResult]) -> list[CompositeOpened]:
    return [c for r in results for c in r.changes if isinstance(c, CompositeOpened)]


def joined(results: list[FeedResult]) -> list[CompositeJoined]:
    return [c for r in results for c in r.changes if isinstance(c, CompositeJoined)]


# --- group keys and group_by ------------------------------------------------------------


def test_documented_group_key_example() -> None:
    r = rule(group_by="label_id", labels=[SPEECH], mics=["mic_001", "mic_002"])
    e = ev("evt_001", 0)
    assert group_key(r, e) == "edge-01:normal_speech_female"
    engine = Engine([r])
    res = run(engine, [e, ev("evt_002", 1, mic="mic_002"), ev("evt_003", 2)])
    (comp,) = opened(res)
    assert comp.group_key == "edge-01:normal_speech_female"


@pytest.mark.parametrize(
    ("group_by", "edge", "key"),
    [
        ("label_id", "edge-01", "edge-01:normal_speech_female"),
        ("mic_id", "edge-01", "edge-01:mic_001"),
        ("edge_id", "edge-01", "edge-01"),
        ("edge_id,label_id", "edge-01", "edge-01:normal_speech_female"),
        ("label_id,edge_id", "edge-01", "edge-01:normal_speech_female"),
        ("label_id,mic_id", "edge-01", "edge-01:normal_speech_female:mic_001"),
        ("mic_id,label_id", "edge-01", "edge-01:mic_001:normal_speech_female"),
        (" mic_id , label_id ", "edge-01", "edge-01:mic_001:normal_speech_female"),
        ("label_id", None, ":normal_speech_female"),
        ("edge_id", None, ""),
    ],
)
def test_group_key_shapes(group_by: str, edge: str | None, key: str) -> None:
    assert group_key(rule(group_by=group_by), ev("e", 0, edge=edge)) == key


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("label_id", ("label_id",)),
        ("mic_id,label_id", ("mic_id", "label_id")),
        ("  edge_id ,mic_id", ("edge_id", "mic_id")),
        ("label_id,mic_id,edge_id", ("label_id", "mic_id", "edge_id")),
    ],
)
def test_parse_group_by_ok(text: str, fields: tuple[str, ...]) -> None:
    assert parse_group_by(text) == fields


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "at least one of: label_id, mic_id, edge_id"),
        ("   ", "at least one"),
        ("label", "unknown group_by field 'label'; allowed: label_id, mic_id, edge_id"),
        ("label_id,,mic_id", "empty item"),
        ("label_id,", "empty item"),
        ("label_id,label_id", "'label_id' is listed twice"),
        ("Label_Id", "unknown group_by field 'Label_Id'"),
    ],
)
def test_parse_group_by_errors(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_group_by(text)


def test_a_rule_spec_grouping_by_nothing_is_refused() -> None:
    """`group_by` given as fields (as the alert engine builds its count windows): none at all is
    refused, as an empty text is."""
    with pytest.raises(ValueError, match="at least one of: label_id, mic_id, edge_id"):
        RuleSpec("r", 30, 3, ())


@pytest.mark.parametrize(
    "group_by",
    [p for n in (1, 2, 3) for p in itertools.permutations(("label_id", "mic_id", "edge_id"), n)],
)
@pytest.mark.parametrize("edge", ["edge-01", None])
def test_fast_key_builders_agree_with_group_key(
    group_by: tuple[str, ...], edge: str | None
) -> None:
    spec = RuleSpec("r", 30, 3, group_by)
    e = ev("e", 0, label="L", mic="M", edge=edge)
    fields = [f for f in group_by if f != "edge_id"]
    expected = ":".join([edge or ""] + ["L" if f == "label_id" else "M" for f in fields])
    assert group_key(spec, e) == expected
    assert KEYERS[key_shape(spec.group_by)](edge or "", "L", "M") == expected


def test_parse_group_by_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="must be a string"):
        parse_group_by(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window": 0}, "window_seconds must be > 0"),
        ({"window": -1}, "window_seconds must be > 0"),
        ({"window": float("nan")}, "window_seconds must be > 0"),
        ({"window": float("inf")}, "window_seconds must be > 0"),
        ({"min_events": 0}, "min_events must be an integer >= 1"),
        ({"min_events": True}, "min_events must be an integer >= 1"),
        ({"min_events": 2.5}, "min_events must be an integer >= 1"),
        ({"group_by": "nope"}, "unknown group_by field 'nope'"),
    ],
)
def test_rule_spec_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        rule(**kwargs)  # type: ignore[arg-type]


def test_rule_spec_normalises() -> None:
    a = rule(group_by="mic_id, label_id", labels=[], mics=[])
    assert a.group_by == ("mic_id", "label_id")
    assert a.include_label_ids is None and a.include_mic_ids is None
    b = RuleSpec("r1", 30, 3, ("mic_id", "label_id"))
    assert a == b
    with pytest.raises(ValueError, match="listed twice"):
        RuleSpec("r1", 30, 3, ("mic_id", "mic_id"))


def test_composite_ids_are_deterministic_hex() -> None:
    cid = composite_id("r1", "edge-01:x", "evt_1")
    assert re.fullmatch(r"[0-9a-f]{32}", cid)
    assert cid == composite_id("r1", "edge-01:x", "evt_1")
    others = {
        composite_id("r2", "edge-01:x", "evt_1"),
        composite_id("r1", "edge-02:x", "evt_1"),
        composite_id("r1", "edge-01:x", "evt_2"),
        composite_id("r1", "edge-01:x\x1fevt_1", ""),
    }
    assert cid not in others and len(others) == 4


# --- matching ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "mics", "event", "matches"),
    [
        (None, None, ev("e", 0, label="x", mic="m9"), True),
        ([], [], ev("e", 0, label="x", mic="m9"), True),
        (["x"], None, ev("e", 0, label="x", mic="m9"), True),
        (["x"], None, ev("e", 0, label="y", mic="m9"), False),
        (None, ["m9"], ev("e", 0, label="x", mic="m9"), True),
        (None, ["m9"], ev("e", 0, label="x", mic="m1"), False),
        (["x", "y"], ["m1", "m9"], ev("e", 0, label="y", mic="m1"), True),
        (["x", "y"], ["m1", "m9"], ev("e", 0, label="z", mic="m1"), False),
        (["x", "y"], ["m1", "m9"], ev("e", 0, label="x", mic="m2"), False),
    ],
)
def test_rule_matching(
    labels: list[str] | None, mics: list[str] | None, event: BaseEvent, matches: bool
) -> None:
    engine = Engine([rule(min_events=1, labels=labels, mics=mics)])
    assert bool(engine.feed(event).changes) is matches


def test_disabled_rule_never_matches() -> None:
    engine = Engine([rule(min_events=1, enabled=False)])
    assert engine.feed(ev("e1", 0)).changes == []
    assert engine.group_count() == 0


def test_many_rules_only_matching_ones_fire() -> None:
    rules = [
        rule(f"r{i:03}", min_events=1, labels=[f"l{i}"], mics=[f"m{i % 7}"]) for i in range(300)
    ]
    rules += [rule("wild-label", min_events=1, mics=["m3"]), rule("wild", min_events=1)]
    engine = Engine(rules)
    for i in range(0, 300, 17):
        res = engine.feed(ev(f"e{i}", i, label=f"l{i}", mic=f"m{i % 7}"))
        fired = [c.rule_id for c in res.changes]
        want = sorted([f"r{i:03}", "wild"] + (["wild-label"] if i % 7 == 3 else []))
        assert fired == want


def test_index_follows_rule_changes() -> None:
    engine = Engine([rule("a", min_events=1, labels=["x"])])
    assert engine.feed(ev("e1", 0, label="x")).changes[0].rule_id == "a"
    engine.set_rule(rule("b", min_events=1, labels=["x"], mics=["m1"]))
    engine.set_rule(rule("c", min_events=1, mics=["m1", "m2"]))
    res = engine.feed(ev("e2", 100, label="x", mic="m1"))
    assert [c.rule_id for c in res.changes] == ["a", "b", "c"]
    engine.remove_rule("a")
    engine.set_rule(rule("c", min_events=1, mics=["m2"]))
    assert [c.rule_id for c in engine.feed(ev("e3", 200, label="x", mic="m1")).changes] == ["b"]
    assert [c.rule_id for c in engine.feed(ev("e4", 300, label="y", mic="m2")).changes] == ["c"]
    engine.set_rules([])
    assert engine.feed(ev("e5", 400, label="x", mic="m1")).changes == []
    assert len(engine._index) == 0 and not engine._index._by_label and not engine._index._by_mic


def test_unknown_labels_do_not_grow_the_index() -> None:
    engine = Engine([rule("a", min_events=1, labels=["x"]), rule("b", min_events=1, mics=["m1"])])
    for i in range(100):
        engine.feed(ev(f"e{i}", i, label=f"unknown{i}", mic=f"m{i}"))
    assert set(engine._index._label_side) <= {"x"}


# --- rules 1 and 2: counting within the window, opening ---------------------------------


@pytest.mark.parametrize(
    ("times", "opens_at", "started_at", "members"),
    [
        ([0, 10, 20], 2, 0, ["e0", "e1", "e2"]),
        ([0, 10, 29.999], 2, 0, ["e0", "e1", "e2"]),
        ([0, 15, 30], None, None, None),  # e0 is exactly one window behind e2: gone
        ([0, 10, 31, 35], 3, 10, ["e1", "e2", "e3"]),
        ([5, 5, 5], 2, 5, ["e0", "e1", "e2"]),
        ([0, 40, 80, 120], None, None, None),
    ],
)
def test_opening(
    times: list[float], opens_at: int | None, started_at: float | None, members: list[str] | None
) -> None:
    engine = Engine([rule(window=30, min_events=3)])
    res = run(engine, [ev(f"e{i}", t) for i, t in enumerate(times)])
    ops = [(i, c) for i, r in enumerate(res) for c in r.changes if isinstance(c, CompositeOpened)]
    if opens_at is None:
        assert ops == []
        return
    ((at, comp),) = ops
    assert at == opens_at
    assert comp.started_at == started_at
    assert list(comp.event_ids) == members
    assert comp.rule_id == "r1"
    assert comp.composite_id == composite_id("r1", comp.group_key, members[0])


def test_min_events_one_opens_on_every_new_window() -> None:
    engine = Engine([rule(window=10, min_events=1)])
    res = run(engine, [ev("a", 0), ev("b", 5), ev("c", 10), ev("d", 19.5), ev("e", 20)])
    assert [c.started_at for c in opened(res)] == [0, 10, 20]
    assert [c.event_id for c in joined(res)] == ["b", "d"]


def test_groups_are_independent() -> None:
    engine = Engine([rule(group_by="mic_id", min_events=2)])
    res = run(
        engine,
        [
            ev("a", 0, mic="m1"),
            ev("b", 1, mic="m2"),
            ev("c", 2, mic="m1"),
            ev("d", 3, mic="m2", edge="edge-02"),
            ev("e", 4, mic="m2"),
        ],
    )
    assert [(c.group_key, c.event_ids) for c in opened(res)] == [
        ("edge-01:m1", ("a", "c")),
        ("edge-01:m2", ("b", "e")),
    ]


def test_each_rule_gets_its_own_composite() -> None:
    engine = Engine([rule("b", min_events=2), rule("a", min_events=2, group_by="mic_id")])
    res = run(engine, [ev("x", 0), ev("y", 1)])
    assert [(c.rule_id, c.group_key) for c in opened(res[1:])] == [
        ("a", "edge-01:mic_001"),
        ("b", "edge-01:normal_speech_female"),
    ]


# --- rule 3: joining; one composite per window -------------------------------------------


def test_joins_until_window_end_exclusive() -> None:
    engine = Engine([rule(window=30, min_events=2)])
    res = run(engine, [ev("a", 0), ev("b", 1), ev("c", 15), ev("d", 29.99), ev("e", 30)])
    (comp,) = opened(res)
    assert [j.event_id for j in joined(res)] == ["c", "d"]
    assert all(j.composite_id == comp.composite_id for j in joined(res))
    assert res[4].changes == []  # "e" is at started_at + window: it starts afresh


def test_burst_yields_one_composite_per_window() -> None:
    engine = Engine([rule(window=30, min_events=3)])
    events = [ev(f"e{i}", i / 10) for i in range(1000)]  # 10 events/s for 100 s
    res = run(engine, events)
    comps = opened(res)
    assert [c.started_at for c in comps] == [0, 30, 60, 90]
    sizes = {c.composite_id: len(c.event_ids) for c in comps}
    for j in joined(res):
        sizes[j.composite_id] += 1
    assert sorted(sizes.values()) == [100, 300, 300, 300]


# --- rule 4: after the close, counting starts afresh -------------------------------------


def test_counting_restarts_after_close() -> None:
    engine = Engine([rule(window=30, min_events=3)])
    res = run(engine, [ev("a", 0), ev("b", 1), ev("c", 2), ev("d", 31), ev("e", 32), ev("f", 33)])
    first, second = opened(res)
    assert (first.started_at, first.event_ids) == (0, ("a", "b", "c"))
    assert (second.started_at, second.event_ids) == (31, ("d", "e", "f"))
    assert second.composite_id != first.composite_id


def test_events_before_close_never_count_again() -> None:
    # b2, b3 arrive after the composite opened but are older than its start: discarded,
    # and they do not help a later composite either.
    engine = Engine([rule(window=30, min_events=3)])
    res = run(
        engine,
        [ev("a", 10), ev("b", 11), ev("c", 12), ev("b2", 5), ev("b3", 6), ev("d", 40), ev("e", 41)],
    )
    assert [r.discarded_rules for r in res] == [0, 0, 0, 1, 1, 0, 0]
    assert len(opened(res)) == 1 and joined(res) == []


def test_out_of_order_event_joins_its_window_after_close() -> None:
    engine = Engine([rule(window=30, min_events=2)])
    res = run(engine, [ev("a", 0), ev("b", 1), ev("c", 35), ev("d", 20)])
    (comp,) = opened(res)
    assert res[3].changes == [CompositeJoined(comp.composite_id, "r1", "d")]


def test_older_composite_is_not_reopened_once_a_newer_exists() -> None:
    engine = Engine([rule(window=10, min_events=1)])
    res = run(engine, [ev("a", 0), ev("b", 12), ev("c", 8)])
    assert [c.started_at for c in opened(res)] == [0, 12]
    assert res[2].changes == [] and res[2].discarded_rules == 1 and res[2].late_rules == 0


# --- rule 5: late and out-of-order events ------------------------------------------------


@pytest.mark.parametrize(
    ("t", "late"),
    [(89, True), (90, True), (90.5, False), (99, False), (101, False)],
)
def test_late_boundary(t: float, late: bool) -> None:
    engine = Engine([rule(window=10, min_events=5)])
    engine.feed(ev("a", 100))
    assert engine.feed(ev("b", t)).late_rules == int(late)


def test_late_counts_each_matching_rule_and_does_not_count() -> None:
    engine = Engine(
        [
            rule("r1", window=10, min_events=2),
            rule("r2", window=10, min_events=2),
            rule("r3", window=100, min_events=2, group_by="mic_id"),
        ]
    )
    engine.feed(ev("a", 100))
    res = engine.feed(ev("b", 80))
    assert res.late_rules == 2
    assert [(c.rule_id, c.event_ids) for c in opened([res])] == [("r3", ("b", "a"))]
    assert len(res.changes) == 1
    # the late event did not count for r1/r2: one more event opens with "a" only
    res = engine.feed(ev("c", 101))
    assert [(c.rule_id, c.event_ids) for c in res.changes if isinstance(c, CompositeOpened)] == [
        ("r1", ("a", "c")),
        ("r2", ("a", "c")),
    ]


def test_late_is_per_group() -> None:
    engine = Engine([rule(window=10, min_events=1, group_by="mic_id")])
    engine.feed(ev("a", 100, mic="m1"))
    res = engine.feed(ev("b", 50, mic="m2"))  # another group has its own clock
    assert res.late_rules == 0 and len(res.changes) == 1


def test_out_of_order_within_window_sorted_and_earliest_starts() -> None:
    engine = Engine([rule(window=10, min_events=3)])
    res = run(engine, [ev("x10", 10), ev("x5", 5), ev("x8", 8)])
    (comp,) = opened(res)
    assert comp.started_at == 5
    assert comp.event_ids == ("x5", "x8", "x10")
    assert comp.composite_id == composite_id("r1", comp.group_key, "x5")
    # joins keep working relative to the earliest start
    assert engine.feed(ev("x14", 14.9)).changes == [CompositeJoined(comp.composite_id, "r1", "x14")]
    assert engine.feed(ev("x15", 15)).changes == []


def test_same_time_ties_sort_by_id() -> None:
    engine = Engine([rule(window=10, min_events=3)])
    (comp,) = opened(run(engine, [ev("b", 1), ev("c", 1), ev("a", 1)]))
    assert comp.event_ids == ("a", "b", "c")
    assert comp.composite_id == composite_id("r1", comp.group_key, "a")


def test_out_of_order_pending_pruned_relative_to_newest() -> None:
    engine = Engine([rule(window=10, min_events=4)])
    res = run(engine, [ev("a", 3), ev("b", 12), ev("c", 4), ev("d", 13), ev("e", 14), ev("f", 15)])
    # a (3) is gone once 13 arrives, c (4) once 14 arrives: b, d, e, f remain
    assert [c.event_ids for c in opened(res)] == [("b", "d", "e", "f")]


# --- rule 6: editing, disabling, removing drops state ------------------------------------


def test_edit_drops_pending() -> None:
    engine = Engine([rule(window=30, min_events=3)])
    run(engine, [ev("a", 0), ev("b", 1)])
    engine.set_rule(rule(window=31, min_events=3))
    assert engine.feed(ev("c", 2)).changes == []
    assert [c.event_ids for c in opened(run(engine, [ev("d", 3), ev("e", 4)]))] == [("c", "d", "e")]


def test_same_spec_keeps_state() -> None:
    engine = Engine([rule(window=30, min_events=3)])
    run(engine, [ev("a", 0), ev("b", 1)])
    engine.set_rule(rule(window=30, min_events=3))
    engine.set_rules([rule(window=30, min_events=3)])
    assert len(opened([engine.feed(ev("c", 2))])) == 1


def test_edit_drops_open_composite() -> None:
    engine = Engine([rule(window=30, min_events=2)])
    (comp,) = opened(run(engine, [ev("a", 0), ev("b", 1)]))
    engine.set_rule(rule(window=30, min_events=2, mics=["mic_001"]))
    res = run(engine, [ev("c", 2), ev("d", 3)])
    assert joined(res) == []
    (again,) = opened(res)
    assert again.event_ids == ("c", "d") and again.composite_id != comp.composite_id


@pytest.mark.parametrize("how", ["disable", "remove", "set_rules"])
def test_disable_or_remove_drops_state(how: str) -> None:
    engine = Engine([rule(window=30, min_events=2), rule("other", min_events=9)])
    run(engine, [ev("a", 0)])
    if how == "disable":
        engine.set_rule(rule(window=30, min_events=2, enabled=False))
        assert engine.feed(ev("x", 0.5)).changes == []
    elif how == "remove":
        engine.remove_rule("r1")
        engine.remove_rule("never-existed")
    else:
        engine.set_rules([rule("other", min_events=9)])
        assert [r.id for r in engine.rules()] == ["other"]
        assert engine.feed(ev("x", 0.5)).changes == []
    engine.set_rule(rule(window=30, min_events=2))
    assert engine.feed(ev("b", 1)).changes == []
    assert len(engine.feed(ev("c", 2)).changes) == 1


# --- expiry and watermark ----------------------------------------------------------------


def test_expire_forgets_idle_groups() -> None:
    engine = Engine([rule(window=10, min_events=2, group_by="mic_id")])
    for i in range(100):
        engine.feed(ev(f"e{i}", i, mic=f"m{i}"))
    assert engine.group_count() == 100
    engine.expire(60)  # groups with newest <= 50 are gone
    assert engine.group_count() == 49
    engine.expire(1000)
    assert engine.group_count() == 0
    assert engine._heap == []


def test_expire_keeps_group_while_composite_can_still_get_joins() -> None:
    engine = Engine([rule(window=10, min_events=1)])
    engine.feed(ev("a", 0))
    engine.expire(19.9)  # a join at created_at 9.95 would still be on time
    assert engine.group_count() == 1
    assert len(joined([engine.feed(ev("b", 9.95))])) == 1
    engine.expire(20)
    assert engine.group_count() == 0


def test_watermark_makes_old_events_late_for_new_groups_and_never_goes_back() -> None:
    engine = Engine([rule(window=10, min_events=1, group_by="mic_id")])
    engine.expire(100)
    engine.expire(50)
    assert engine.watermark == 100
    assert engine.feed(ev("a", 90, mic="m1")).late_rules == 1
    assert engine.group_count() == 0
    res = engine.feed(ev("b", 90.5, mic="m1"))
    assert res.late_rules == 0 and len(res.changes) == 1


def test_watermark_trims_pending() -> None:
    engine = Engine([rule(window=10, min_events=3)])
    run(engine, [ev("a", 0), ev("b", 5)])
    engine.expire(12)  # "a" can no longer be in a window with anything on time
    assert opened(run(engine, [ev("c", 6)])) == []
    assert [c.event_ids for c in opened(run(engine, [ev("d", 7)]))] == [("b", "c", "d")]


def test_removed_rule_heap_entries_are_harmless() -> None:
    engine = Engine([rule(window=10, min_events=1)])
    engine.feed(ev("a", 0))
    engine.set_rule(rule(window=10, min_events=1, labels=[SPEECH]))
    engine.feed(ev("b", 1))
    engine.expire(10.5)
    assert engine.group_count() == 1
    engine.expire(100)
    assert engine.group_count() == 0


# --- rule 7: restore (table cases; the property tests replay random streams) -------------


def test_restore_resumes_open_composite() -> None:
    r = rule(window=30, min_events=3)
    events = [ev("a", 0), ev("b", 1), ev("c", 2), ev("d", 3)]
    before = Engine([r])
    comps = opened(run(before, events))
    after = Engine([r])
    assert after.restore(comps, reversed(events)) == []
    tail = [ev("e", 20), ev("f", 29), ev("g", -1), ev("h", 31), ev("i", 32), ev("j", 40)]
    assert run(after, tail) == run(before, tail)


def test_restore_returns_composite_missing_from_store() -> None:
    r = rule(window=30, min_events=3)
    events = [ev("a", 0), ev("b", 1), ev("c", 2), ev("d", 40), ev("e", 41), ev("f", 42)]
    before = Engine([r])
    comps = opened(run(before, events))
    assert len(comps) == 2
    after = Engine([r])
    assert after.restore(comps[:1], events) == comps[1:]
    assert after.restore(comps, events) == []
    assert after.restore(comps[::-1], events) == []  # the store's order does not matter
    tail = [ev("g", 43), ev("h", 72)]
    assert run(after, tail) == run(before, tail)


def test_restore_ignores_unknown_and_disabled_rules() -> None:
    engine = Engine([rule(window=30, min_events=2), rule("off", min_events=1, enabled=False)])
    stray = [
        CompositeOpened("f" * 32, "gone", "k", 0.0, ("x",)),
        CompositeOpened("e" * 32, "off", "edge-01:" + SPEECH, 0.0, ("x",)),
    ]
    assert engine.restore(stray, [ev("a", 0)]) == []
    assert [c.event_ids for c in engine.feed(ev("b", 1)).changes] == [("a", "b")]  # type: ignore[union-attr]


# --- purity ------------------------------------------------------------------------------

PKG = Path(__file__).resolve().parents[2] / "src" / "listenpost" / "composite"
PURE = ("engine", "model", "keys", "index")
STDLIB_OK = {
    "__future__",
    "bisect",
    "collections",
    "dataclasses",
    "hashlib",
    "heapq",
    "math",
    "operator",
    "typing",
    "uuid",
}


@pytest.mark.parametrize("name", PURE)
def test_engine_modules_import_only_stdlib(name: str) -> None:
    tree = ast.parse((PKG / f"{name}.py").read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                assert node.level == 1 and node.module in PURE, ast.dump(node)
                continue
            roots = {(node.module or "").split(".")[0]}
        else:
            continue
        assert roots <= STDLIB_OK, f"{name}.py imports {roots - STDLIB_OK}"


def test_engine_loads_nothing_but_stdlib() -> None:
    # Load the modules as a bare package so the check does not depend on other packages'
    # __init__ files, then compare what got imported against the standard library.
    code = f"""
import sys, types
before = set(sys.modules)
for name, path in (("listenpost", {str(PKG.parent)!r}), ("listenpost.composite", {str(PKG)!r})):
    mod = types.ModuleType(name); mod.__path__ = [path]; sys.modules[name] = mod
import listenpost.composite.engine
new = {{m.split(".")[0] for m in set(sys.modules) - before}} - {{"listenpost"}}
bad = sorted(m for m in new if m not in sys.stdlib_module_names)
assert not bad, bad
assert not {{"asyncio", "sqlalchemy", "fastapi", "starlette", "socket"}} & new, new
"""
    subprocess.run([sys.executable, "-c", code], check=True)


def test_composite_id_is_a_standard_uuid5() -> None:
    """The fast id path must equal uuid.uuid5 so other tools can recompute ids."""
    import uuid

    from listenpost.composite.keys import composite_id

    ns = uuid.uuid5(uuid.NAMESPACE_URL, "urn:listenpost:composite-event")
    for parts in [("r", "k", "e"), ("rule-1", "edge-01:glass_break", "f" * 32)]:
        assert composite_id(*parts) == uuid.uuid5(ns, "\x1f".join(parts)).hex
