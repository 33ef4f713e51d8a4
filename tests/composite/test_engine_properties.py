"""Property tests: random event streams against a naive reference model, invariants,
restart equivalence and determinism."""

from __future__ import annotations

import math
import os
import random
from collections import defaultdict
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from listenpost.composite.engine import (
    BaseEvent,
    Change,
    CompositeJoined,
    CompositeOpened,
    Engine,
    FeedResult,
    RuleSpec,
    composite_id,
)

LABELS = ("a", "b", "c")
MICS = ("m1", "m2", "m3", "m4")
EDGE_OF = {"m1": "e1", "m2": "e1", "m3": "e2", "m4": None}

# LISTENPOST_COMPOSITE_EXAMPLES=5000 for a thorough run
SETTINGS = settings(
    max_examples=int(os.environ.get("LISTENPOST_COMPOSITE_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# --- reference model: the contract, spelled out as naively as possible ------------------


@dataclass
class _RefGroup:
    newest: float = -math.inf
    free: list[tuple[float, str]] = field(default_factory=list)  # accepted, in no composite
    comp: tuple[float, str] | None = None  # latest composite (started_at, id)


class Reference:
    """Never forgets anything (expire only moves the watermark), no index, no pruning."""

    def __init__(self, rules: list[RuleSpec]) -> None:
        self.rules = {r.id: r for r in rules}
        self.groups: dict[tuple[str, str], _RefGroup] = {}
        self.wm = -math.inf

    def set_rule(self, r: RuleSpec) -> None:
        if self.rules.get(r.id) != r:
            self.rules[r.id] = r
            self.groups = {k: g for k, g in self.groups.items() if k[0] != r.id}

    def remove_rule(self, rid: str) -> None:
        self.rules.pop(rid, None)
        self.groups = {k: g for k, g in self.groups.items() if k[0] != rid}

    def expire(self, now: float) -> None:
        self.wm = max(self.wm, now)

    def feed(self, e: BaseEvent) -> FeedResult:
        out = FeedResult()
        for rid in sorted(self.rules):
            r = self.rules[rid]
            if not r.enabled:
                continue
            if r.include_label_ids and e.label_id not in r.include_label_ids:
                continue
            if r.include_mic_ids and e.mic_id not in r.include_mic_ids:
                continue
            values = {"label_id": e.label_id, "mic_id": e.mic_id}
            key = ":".join([e.edge_id or ""] + [values[f] for f in r.group_by if f != "edge_id"])
            g = self.groups.setdefault((rid, key), _RefGroup())
            w = r.window_seconds
            if e.created_at <= max(g.newest, self.wm) - w:
                out.late_rules += 1
                continue
            g.newest = max(g.newest, e.created_at)
            if g.comp is not None and e.created_at < g.comp[0] + w:
                if e.created_at < g.comp[0]:
                    out.discarded_rules += 1
                else:
                    out.changes.append(CompositeJoined(g.comp[1], rid, e.id))
                continue
            g.free.append((e.created_at, e.id))
            clock = max(g.newest, self.wm)
            barrier = g.comp[0] + w if g.comp else -math.inf
            pending = sorted(x for x in g.free if x[0] > clock - w and x[0] >= barrier)
            if len(pending) >= r.min_events:
                cid = composite_id(rid, key, pending[0][1])
                g.comp = (pending[0][0], cid)
                g.free = [x for x in g.free if x not in pending]
                out.changes.append(
                    CompositeOpened(cid, rid, key, pending[0][0], tuple(i for _, i in pending))
                )
        return out


# --- strategies --------------------------------------------------------------------------


@st.composite
def rule_specs(draw: st.DrawFn, rid: str) -> RuleSpec:
    return RuleSpec(
        id=rid,
        window_seconds=draw(st.sampled_from([1, 2, 3, 5, 8, 2.5])),
        min_events=draw(st.integers(1, 4)),
        group_by=draw(
            st.sampled_from(
                [
                    ("label_id",),
                    ("mic_id",),
                    ("edge_id",),
                    ("mic_id", "label_id"),
                    ("label_id", "edge_id"),
                    ("label_id", "mic_id", "edge_id"),
                ]
            )
        ),
        include_label_ids=draw(st.none() | st.frozensets(st.sampled_from(LABELS), max_size=2)),
        include_mic_ids=draw(st.none() | st.frozensets(st.sampled_from(MICS), max_size=3)),
        enabled=draw(st.sampled_from([True, True, True, False])),
    )


@st.composite
def rule_sets(draw: st.DrawFn) -> list[RuleSpec]:
    n = draw(st.integers(1, 4))
    return [draw(rule_specs(f"r{i}")) for i in range(n)]


@st.composite
def streams(draw: st.DrawFn, edits: bool = False, expiry: bool = True) -> list[tuple]:
    """Ops: ("event", BaseEvent) / ("expire", now) / ("rule", RuleSpec) / ("remove", id).

    Times are on a half-second grid so equal times and exact window boundaries are common;
    a drifting clock with backward jumps yields out-of-order and late events.
    """
    n = draw(st.integers(0, 60))
    ops: list[tuple] = []
    clock = 0.0
    for i in range(n):
        kind = draw(
            st.sampled_from(
                ["event"] * 8
                + (["expire"] if expiry else [])
                + (["rule", "rule", "remove"] if edits else [])
            )
        )
        if kind == "event":
            clock += draw(st.integers(-2, 4)) / 2
            skew = draw(st.sampled_from([0, 0, 0, -1, -3, -6, -12])) / 2
            mic = draw(st.sampled_from(MICS))
            ops.append(
                (
                    "event",
                    BaseEvent(
                        f"ev{i}", draw(st.sampled_from(LABELS)), mic, EDGE_OF[mic], clock + skew
                    ),
                )
            )
        elif kind == "expire":
            ops.append(("expire", clock - draw(st.integers(0, 20)) / 2))
        elif kind == "rule":
            ops.append(("rule", draw(rule_specs(f"r{draw(st.integers(0, 4))}"))))
        else:
            ops.append(("remove", f"r{draw(st.integers(0, 4))}"))
    return ops


def apply(engine: Engine | Reference, ops: list[tuple]) -> list[FeedResult | None]:
    out: list[FeedResult | None] = []
    for kind, arg in ops:
        if kind == "event":
            out.append(engine.feed(arg))
        elif kind == "expire":
            engine.expire(arg)
            out.append(None)
        elif kind == "rule":
            engine.set_rule(arg)
            out.append(None)
        else:
            engine.remove_rule(arg)
            out.append(None)
    return out


def changes(results: list[FeedResult | None]) -> list[Change]:
    return [c for r in results if r is not None for c in r.changes]


# --- properties --------------------------------------------------------------------------


@SETTINGS
@given(rules=rule_sets(), ops=streams(edits=True))
def test_engine_matches_reference_model(rules: list[RuleSpec], ops: list[tuple]) -> None:
    assert apply(Engine(rules), ops) == apply(Reference(rules), ops)


@SETTINGS
@given(rules=rule_sets(), ops=streams())
def test_composite_invariants(rules: list[RuleSpec], ops: list[tuple]) -> None:
    results = apply(Engine(rules), ops)
    spec = {r.id: r for r in rules}
    events = {arg.id: arg for kind, arg in ops if kind == "event"}
    comps: dict[str, CompositeOpened] = {}
    members: dict[str, list[str]] = defaultdict(list)
    for c in changes(results):
        if isinstance(c, CompositeOpened):
            assert c.composite_id not in comps
            comps[c.composite_id] = c
            members[c.composite_id].extend(c.event_ids)
            times = [(events[i].created_at, i) for i in c.event_ids]
            assert times == sorted(times)
            assert c.started_at == times[0][0]
            assert c.composite_id == composite_id(c.rule_id, c.group_key, c.event_ids[0])
            assert len(c.composite_id) == 32 and c.composite_id == c.composite_id.lower()
        else:
            assert c.composite_id in comps and comps[c.composite_id].rule_id == c.rule_id
            members[c.composite_id].append(c.event_id)
    by_group: dict[tuple[str, str], list[CompositeOpened]] = defaultdict(list)
    used: dict[str, set[str]] = defaultdict(set)
    for cid, comp in comps.items():
        r = spec[comp.rule_id]
        ids = members[cid]
        assert len(ids) >= r.min_events
        for i in ids:
            e = events[i]
            assert comp.started_at <= e.created_at < comp.started_at + r.window_seconds
            assert not r.include_label_ids or e.label_id in r.include_label_ids
            assert not r.include_mic_ids or e.mic_id in r.include_mic_ids
            assert i not in used[comp.rule_id], "event in two composites of one rule"
            used[comp.rule_id].add(i)
        by_group[(comp.rule_id, comp.group_key)].append(comp)
    for (rid, _), group in by_group.items():
        group.sort(key=lambda c: c.started_at)
        for a, b in zip(group, group[1:], strict=False):
            assert a.started_at + spec[rid].window_seconds <= b.started_at, "overlapping windows"


def _stored(results: list[FeedResult | None]) -> list[CompositeOpened]:
    return [c for c in changes(results) if isinstance(c, CompositeOpened)]


@SETTINGS
@given(rules=rule_sets(), ops=streams(), data=st.data())
def test_restart_anywhere_gives_identical_results(
    rules: list[RuleSpec], ops: list[tuple], data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(ops)), label="split")
    original = Engine(rules)
    head = apply(original, ops[:split])
    seen = [arg for kind, arg in ops[:split] if kind == "event"]
    random.Random(split).shuffle(seen)  # restore does not need the ingest order
    restarted = Engine(list(reversed(rules)))
    wm = original.watermark
    missing = restarted.restore(_stored(head), seen, now=wm if math.isfinite(wm) else None)
    assert missing == []
    assert apply(restarted, ops[split:]) == apply(original, ops[split:])


@SETTINGS
@given(rules=rule_sets(), ops=streams(), data=st.data())
def test_restart_from_recent_slice_with_watermark(
    rules: list[RuleSpec], ops: list[tuple], data: st.DataObject
) -> None:
    split = data.draw(st.integers(0, len(ops)), label="split")
    original = Engine(rules)
    head = apply(original, ops[:split])
    now = data.draw(st.integers(-10, 60), label="now") / 2
    original.expire(now)
    wm = original.watermark
    horizon = max(r.window_seconds for r in rules)
    comps = [c for c in _stored(head) if c.started_at > wm - 2 * horizon]
    seen = [arg for kind, arg in ops[:split] if kind == "event" and arg.created_at > wm - horizon]
    restarted = Engine(rules)
    assert restarted.restore(comps, seen, now=wm) == []
    assert apply(restarted, ops[split:]) == apply(original, ops[split:])


@SETTINGS
@given(rules=rule_sets(), ops=streams(), data=st.data())
def test_restore_recovers_composites_lost_in_a_crash(
    rules: list[RuleSpec], ops: list[tuple], data: st.DataObject
) -> None:
    # The store persisted the event but not the composite it opened (crash in between).
    split = data.draw(st.integers(0, len(ops)), label="split")
    original = Engine(rules)
    head = apply(original, ops[:split])
    last_ops = [r for r in head[-1:] if r is not None]
    lost = [c for r in last_ops for c in r.changes if isinstance(c, CompositeOpened)]
    kept = [c for c in _stored(head) if c not in lost]
    restarted = Engine(rules)
    wm = original.watermark
    seen = [arg for kind, arg in ops[:split] if kind == "event"]
    assert restarted.restore(kept, seen, now=wm if math.isfinite(wm) else None) == lost
    assert apply(restarted, ops[split:]) == apply(original, ops[split:])


@SETTINGS
@given(rules=rule_sets(), ops=streams(edits=True))
def test_same_input_same_output(rules: list[RuleSpec], ops: list[tuple]) -> None:
    first = apply(Engine(rules), ops)
    second = apply(Engine(list(reversed(rules))), ops)
    assert first == second
    assert all(c.composite_id == c.composite_id.lower() for c in changes(first))


@SETTINGS
@given(rules=rule_sets(), ops=streams(expiry=False))
def test_expire_bounds_memory(rules: list[RuleSpec], ops: list[tuple]) -> None:
    engine = Engine(rules)
    apply(engine, ops)
    times = [arg.created_at for kind, arg in ops if kind == "event"]
    if times:
        engine.expire(max(times) + 2 * max(r.window_seconds for r in rules))
    assert engine.group_count() == 0 and engine._heap == []


def test_late_and_discarded_are_exclusive_of_changes() -> None:
    # one concrete long random run, mostly as a smoke test for the counters
    rng = random.Random(7)
    rules = [
        RuleSpec(f"r{i}", rng.choice([5, 10, 30]), rng.randint(1, 5), ("mic_id",)) for i in range(5)
    ]
    engine, reference = Engine(rules), Reference(rules)
    t = 0.0
    late = 0
    for i in range(3000):
        t += rng.random()
        mic = rng.choice(MICS)
        e = BaseEvent(f"e{i}", rng.choice(LABELS), mic, EDGE_OF[mic], t - rng.expovariate(0.2))
        got = engine.feed(e)
        assert got == reference.feed(e)
        late += got.late_rules
        assert len(got.changes) + got.late_rules + got.discarded_rules <= len(rules)
        if i % 100 == 0:
            engine.expire(t - 20)
            reference.expire(t - 20)
    assert late > 0


# --- the rule index against a plain scan -------------------------------------------------

MANY_LABELS = tuple(f"l{i}" for i in range(12))
MANY_MICS = tuple(f"m{i}" for i in range(12))


@st.composite
def index_ops(draw: st.DrawFn) -> list[tuple]:
    """Adds (with random label/mic filters, None or empty meaning any), removals and
    lookups, over up to 60 rule ids so buckets share and lose members."""
    filters = st.none() | st.frozensets(st.sampled_from(MANY_LABELS), max_size=4)
    mic_filters = st.none() | st.frozensets(st.sampled_from(MANY_MICS), max_size=4)
    ops: list[tuple] = []
    for _ in range(draw(st.integers(0, 150))):
        kind = draw(st.sampled_from(["add", "add", "remove", "match", "match", "match"]))
        rid = f"r{draw(st.integers(0, 59))}"
        if kind == "add":
            ops.append(("add", rid, draw(filters), draw(mic_filters)))
        elif kind == "remove":
            ops.append(("remove", rid))
        else:
            label = draw(st.sampled_from((*MANY_LABELS, "unknown")))
            ops.append(("match", label, draw(st.sampled_from((*MANY_MICS, "unknown")))))
    return ops


@SETTINGS
@given(ops=index_ops())
def test_rule_index_finds_exactly_what_a_scan_finds(ops: list[tuple]) -> None:
    """Per-event cost follows the rules that match (the index), never the rules that exist,
    and the index answers exactly what checking every rule's filters would."""
    from listenpost.composite.index import RuleIndex

    index: RuleIndex[str] = RuleIndex()
    rules: dict[str, tuple[frozenset[str] | None, frozenset[str] | None]] = {}
    for op in ops:
        if op[0] == "add":
            _, rid, labels, mics = op
            index.add(rid, labels, mics, rid)
            rules[rid] = (labels, mics)
        elif op[0] == "remove":
            index.remove(op[1])
            rules.pop(op[1], None)
        else:
            _, label, mic = op
            scan = {
                rid
                for rid, (labels, mics) in rules.items()
                if (not labels or label in labels) and (not mics or mic in mics)
            }
            assert index.match(label, mic) == scan
    assert len(index) == len(rules)


@SETTINGS
@given(ops=streams(edits=True), extra=st.integers(0, 40))
def test_engine_with_many_unrelated_rules_matches_reference(ops: list[tuple], extra: int) -> None:
    """Rules that name labels no event carries change nothing: the indexed engine with them
    gives the plain-scan reference's results."""
    rules = [RuleSpec("r0", 3, 2, ("mic_id",))] + [
        RuleSpec(f"x{i}", 2, 1, ("label_id",), frozenset({f"never{i}"})) for i in range(extra)
    ]
    assert apply(Engine(rules), ops) == apply(Reference(rules), ops)
