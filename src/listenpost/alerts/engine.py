"""Pure alert engine: facts (sound, composite and radio events) in, alert decisions out.

No I/O and no clock: time is a fact's `time` (unix seconds) or the `now` passed to `tick`
and `expire`, so tests drive it with any clock they like.

* A rule matches a fact of its source when every field its `match` names agrees (omitted =
  any); facts outside the rule's `schedule` count nowhere.
* Group key: the rule's `count.group_by` (or `group_by`) fields as `field=value` joined by
  `,`; no fields: `""`, one group for the whole rule.
* Without `count` every matching fact is a candidate. With `count`, candidates are the
  composite engine's openings (`listenpost.composite.engine`, same half-open windows,
  lateness and one-per-window semantics) over the matching facts keyed by group: the
  `min_events`-th fact in a window is a candidate, later facts in that window join it
  silently.
* A candidate becomes an alert (`Fired`) unless the group has an open cooldown
  (`cooldown_seconds` after the alert's time): then it is a `Repeated` of that alert, or,
  when its confidence is above `realert_above_confidence` and above the open alert's, a
  new alert that starts a new cooldown. `forget(alert_id)` (the alert was resolved) ends
  its cooldown.
* Silence rules watch subjects (mics, systems): `tick(now)` fires once per quiet spell
  (`for_seconds` without a fact, or with the decode rate below `below`); the next fact of
  the subject re-arms it. A listed subject counts as seen when the rule was set.
* Alert ids are deterministic: `alert_id(rule, group key, first fact id)`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..composite.engine import BaseEvent, CompositeOpened, RuleSpec
from ..composite.engine import Engine as WindowEngine
from .model import RADIO_EVENTS
from .schedule import Schedule

Ref = Mapping[str, Any]


@dataclass(frozen=True)
class Fact:
    """One event as the rules see it; `ref` is what an alert stores about it."""

    source: str  # sound | composite | radio
    id: str
    time: float
    mic: str | None = None
    label: str | None = None
    confidence: float | None = None
    sound_level: float | None = None
    rule_id: str | None = None  # composite: the composite rule
    event: str | None = None  # radio: call_start, unit_event, rate_update, heartbeat, ...
    system: str | None = None
    talkgroup: int | None = None
    unit: int | None = None
    unit_event_type: str | None = None
    emergency: bool | None = None
    encrypted: bool | None = None
    decode_rate: float | None = None
    instance: str | None = None
    ref: Ref = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Fired:
    alert_id: str
    rule_id: str
    group_key: str
    time: float
    refs: tuple[Ref, ...]
    confidence: float | None


@dataclass(frozen=True)
class Repeated:
    alert_id: str
    rule_id: str
    group_key: str
    time: float
    ref: Ref


Decision = Fired | Repeated


def alert_id(rule_id: str, group_key: str, first_id: str) -> str:
    text = f"{rule_id}\x1f{group_key}\x1f{first_id}".encode()
    return hashlib.sha256(text).hexdigest()[:32]


@dataclass
class _Open:
    alert_id: str
    until: float
    confidence: float


@dataclass
class _Watch:
    last: float
    fired: bool = False
    low_since: float | None = None  # decode_rate: when the rate went below the threshold


def _set(values: Any) -> frozenset[Any] | None:
    return frozenset(values) if values else None


class _Rule:
    def __init__(self, spec: Mapping[str, Any], now: float) -> None:
        self.spec = spec
        self.id: str = spec["id"]
        self.source: str = spec["source"]
        m = spec.get("match") or {}
        self.m = m
        self.sets = {k: _set(v) for k, v in m.items() if isinstance(v, list)}
        count = spec.get("count")
        self.fields: tuple[str, ...] = tuple(
            (count or {}).get("group_by") or spec.get("group_by") or ()
        )
        self.schedule = Schedule.of(spec["schedule"]) if spec.get("schedule") else None
        self.cooldown: float | None = spec.get("cooldown_seconds")
        self.realert: float | None = spec.get("realert_above_confidence")
        self.window: WindowEngine | None = None
        self.width = 0.0
        self.refs: dict[str, tuple[float, Ref, float | None]] = {}
        if count:
            self.width = float(count["window_seconds"])
            self.window = WindowEngine(
                [RuleSpec(self.id, self.width, int(count["min_events"]), ("label_id",))]
            )
        self.open: dict[str, _Open] = {}
        self.watch: dict[str, _Watch] = {}
        if self.source == "silence":
            listed = m.get("mic_ids") if m["kind"] == "mic" else m.get("systems")
            for subject in listed or ():
                self.watch[subject] = _Watch(now)

    def matches(self, f: Fact) -> bool:
        s, m = self.sets, self.m
        if self.source == "sound":
            return (
                _has(s.get("label_ids"), f.label)
                and _has(s.get("mic_ids"), f.mic)
                and _at_least(m.get("min_confidence"), f.confidence)
                and _at_least(m.get("min_sound_level"), f.sound_level)
            )
        if self.source == "composite":
            return _has(s.get("rule_ids"), f.rule_id)
        if f.event not in (s.get("events") or RADIO_EVENTS):
            return False
        if f.event == "unit_event" and not _has(s.get("unit_event_types"), f.unit_event_type):
            return False
        return (
            _has(s.get("systems"), f.system)
            and _has(s.get("talkgroups"), f.talkgroup)
            and _has(s.get("units"), f.unit)
            and _same(m.get("emergency"), f.emergency)
            and _same(m.get("encrypted"), f.encrypted)
        )

    def key(self, f: Fact) -> str:
        return ",".join(f"{name}={getattr(f, name)}" for name in self.fields)


def _has(allowed: frozenset[Any] | None, value: Any) -> bool:
    return allowed is None or value in allowed


def _at_least(minimum: float | None, value: float | None) -> bool:
    return minimum is None or (value is not None and value >= minimum)


def _same(wanted: bool | None, value: bool | None) -> bool:
    return wanted is None or value is wanted


class Engine:
    def __init__(self) -> None:
        self._rules: dict[str, _Rule] = {}
        self._alerts: dict[str, tuple[str, str]] = {}  # open alert id -> (rule id, group key)
        self._instances: dict[str, set[str]] = {}  # radio instance -> systems it reported

    def set_rule(self, spec: Mapping[str, Any], now: float) -> None:
        """Add or replace a rule (state is kept when the spec is unchanged)."""
        old = self._rules.get(spec["id"])
        if old is not None and old.spec == spec:
            return
        self.remove_rule(spec["id"])
        if spec.get("enabled", True):
            self._rules[spec["id"]] = _Rule(spec, now)

    def set_rules(self, specs: Iterable[Mapping[str, Any]], now: float) -> None:
        wanted = {s["id"]: s for s in specs}
        for rid in [r for r in self._rules if r not in wanted]:
            self.remove_rule(rid)
        for spec in wanted.values():
            self.set_rule(spec, now)

    def remove_rule(self, rule_id: str) -> None:
        rule = self._rules.pop(rule_id, None)
        if rule is not None:
            for opened in rule.open.values():
                self._alerts.pop(opened.alert_id, None)

    def forget(self, alert_id: str) -> None:
        """The alert was resolved: its cooldown ends, the next candidate is a new alert."""
        owner = self._alerts.pop(alert_id, None)
        if owner is not None and owner[0] in self._rules:
            self._rules[owner[0]].open.pop(owner[1], None)

    def restore(
        self, rule_id: str, group_key: str, aid: str, time: float, conf: float | None
    ) -> None:
        """Re-open the cooldown of a stored, unresolved alert (at start)."""
        rule = self._rules.get(rule_id)
        if rule is not None and rule.cooldown:
            rule.open[group_key] = _Open(aid, time + rule.cooldown, _conf(conf))
            self._alerts[aid] = (rule_id, group_key)

    def feed(self, f: Fact) -> list[Decision]:
        self._alive(f)
        out: list[Decision] = []
        for rule in self._rules.values():
            if rule.source != f.source or not rule.matches(f):
                continue
            if rule.schedule is not None and not rule.schedule.allows(f.time):
                continue
            key = rule.key(f)
            if rule.window is None:
                out.append(self._candidate(rule, key, f.time, (f.ref,), f.confidence, f.id))
                continue
            rule.refs[f.id] = (f.time, f.ref, f.confidence)
            result = rule.window.feed(BaseEvent(f.id, key, "", None, f.time))
            for change in result.changes:
                if isinstance(change, CompositeOpened):
                    members = [rule.refs[e] for e in change.event_ids if e in rule.refs]
                    refs = tuple(ref for _, ref, _ in members)
                    best = max((c for _, _, c in members if c is not None), default=None)
                    out.append(self._candidate(rule, key, f.time, refs, best, change.event_ids[0]))
        return out

    def tick(self, now: float) -> list[Decision]:
        """Silence rules whose subjects have been quiet long enough fire."""
        out: list[Decision] = []
        for rule in self._rules.values():
            if rule.source != "silence":
                continue
            wait, kind = float(rule.m["for_seconds"]), rule.m["kind"]
            for subject, w in rule.watch.items():
                since = w.low_since if kind == "decode_rate" else w.last
                if w.fired or since is None or now - since < wait:
                    continue
                if rule.schedule is not None and not rule.schedule.allows(now):
                    continue
                w.fired = True
                name = "mic" if kind == "mic" else "system"
                ref = {"kind": kind, name: subject, "since": since, "for_seconds": wait}
                first = f"{subject}@{since}"
                out.append(self._candidate(rule, f"{name}={subject}", now, (ref,), None, first))
        return out

    def expire(self, watermark: float) -> None:
        """Forget windows and cooldowns nothing at or after `watermark` can touch."""
        for rule in self._rules.values():
            if rule.window is not None:
                rule.window.expire(watermark)
                cutoff = watermark - rule.width
                rule.refs = {k: v for k, v in rule.refs.items() if v[0] > cutoff}
            for key in [k for k, o in rule.open.items() if o.until <= watermark]:
                self._alerts.pop(rule.open.pop(key).alert_id, None)

    def _alive(self, f: Fact) -> None:
        """Silence rules: the fact's subject was heard (or its decode rate reported)."""
        if f.instance and f.system:
            self._instances.setdefault(f.instance, set()).add(f.system)
        for rule in self._rules.values():
            if rule.source != "silence":
                continue
            kind = rule.m["kind"]
            if kind == "mic":
                subjects = [f.mic] if f.source == "sound" and f.mic else []
            elif f.source != "radio":
                continue
            elif kind == "decode_rate":
                subjects = [f.system] if f.event == "rate_update" and f.system else []
            elif f.system:
                subjects = [f.system]
            else:  # a heartbeat names the instance: every system it reported is alive
                subjects = sorted(self._instances.get(f.instance or "", ()))
            listed = rule.sets.get("mic_ids" if kind == "mic" else "systems")
            for subject in subjects:
                if listed is not None and subject not in listed:
                    continue
                w = rule.watch.setdefault(subject, _Watch(f.time))
                if kind == "decode_rate":
                    assert f.decode_rate is not None
                    if f.decode_rate >= rule.m["below"]:
                        w.low_since, w.fired = None, False
                    elif w.low_since is None:
                        w.low_since = f.time
                else:
                    w.last, w.fired = max(w.last, f.time), False

    def _candidate(
        self,
        rule: _Rule,
        key: str,
        time: float,
        refs: tuple[Ref, ...],
        conf: float | None,
        first_id: str,
    ) -> Decision:
        opened = rule.open.get(key)
        if opened is not None and time < opened.until:
            more_sure = (
                rule.realert is not None
                and conf is not None
                and conf > rule.realert
                and conf > opened.confidence
            )
            if not more_sure:
                return Repeated(opened.alert_id, rule.id, key, time, refs[-1] if refs else {})
            self._alerts.pop(opened.alert_id, None)
        aid = alert_id(rule.id, key, first_id)
        if rule.cooldown:
            rule.open[key] = _Open(aid, time + rule.cooldown, _conf(conf))
            self._alerts[aid] = (rule.id, key)
        return Fired(aid, rule.id, key, time, refs, conf)


def _conf(conf: float | None) -> float:
    return -1.0 if conf is None else conf
