"""Pure composite-event engine: base events in, composite openings and joins out.

No I/O, no clock, stdlib only; time is always an event's ``created_at`` (float
unix seconds) or the ``now`` the caller passes to :meth:`Engine.expire`.

Semantics, per enabled rule, for each fed event (rules are independent of each other;
a feed's changes are listed in rule-id order, at most one per rule):

* The event matches when its label is in ``include_label_ids`` and its mic in
  ``include_mic_ids`` (None or empty = any).  Its group is ``group_key(rule, event)``
  (see :mod:`listenpost.composite.keys`; ``edge_id`` None counts as ``""``).
* Windows are half-open: ``W = window_seconds``; a composite started at ``s`` spans
  ``[s, s + W)``.  A group's clock is ``max(newest created_at it has seen, watermark)``.
* Late: ``created_at <= clock - W`` (outside the last window).  It counts nowhere and is
  reported in ``FeedResult.late_rules``.
* Pending: the group's matching events not in any composite with ``created_at`` inside
  the last window, kept sorted by ``(created_at, id)``; out-of-order events that are not
  late are inserted in place.  When they reach ``min_events`` they all become one
  composite; ``started_at`` is the earliest one's ``created_at`` and the id is
  ``composite_id(rule, group_key, earliest event id)``.
* Open composite: a later event with ``s <= created_at < s + W`` joins it (also when it
  arrives after events beyond the window, as long as it is not late).  An event with
  ``created_at >= s + W`` starts counting afresh; nothing from before ``s + W`` is ever
  pending again, so composites of one (rule, group) never overlap and one burst gives one
  composite per window.  An event older than ``s`` that is not late cannot join (``s``
  is published) nor start an overlapping composite: it is discarded and reported in
  ``FeedResult.discarded_rules``.
* ``set_rule`` with a changed spec, ``remove_rule`` and disabling drop the rule's state.
* ``expire(now)`` advances the watermark (events at or before ``now - W`` are late for
  every group, even one with no state) and forgets groups whose state can no longer
  change any result, so memory stays bounded.  Pending events are also trimmed lazily
  on every feed.  Pass a ``now`` you promise not to go back behind, e.g. the wall clock
  minus the lateness you accept (edges with slow clocks need that slack).
* ``restore(composites, events, now=...)`` rebuilds the state from stored composites
  and stored base events, in any order, so the engine then behaves exactly like one that
  never stopped (given the same rules and watermark).  Only each group's latest composite
  and its recent events matter: with a watermark ``now``, composites with ``started_at >
  now - 2*W`` and events with ``created_at > now - W`` are enough.  If the store lost a
  composite that should exist (pending >= min_events), restore returns it for persisting.
  Across a rule edit, pass only what was recorded after it.
* The caller feeds each event once; ids are deterministic, so nodes agree.
"""

from __future__ import annotations

import math
from bisect import insort
from collections.abc import Iterable
from heapq import heappop, heappush
from operator import attrgetter

from .index import RuleIndex
from .keys import KEYERS, composite_id, key_shape, parse_group_by
from .model import (
    BaseEvent,
    Change,
    CompositeJoined,
    CompositeOpened,
    CompositeRecord,
    FeedResult,
    RuleSpec,
    group_key,
)

__all__ = [
    "BaseEvent",
    "Change",
    "CompositeJoined",
    "CompositeOpened",
    "CompositeRecord",
    "Engine",
    "FeedResult",
    "RuleSpec",
    "composite_id",
    "group_key",
    "parse_group_by",
]


class _Group:
    __slots__ = ("newest", "pending", "comp_id", "comp_start", "comp_close")

    def __init__(self, newest: float, pending: list[tuple[float, str]] | None = None) -> None:
        self.newest = newest
        self.pending: list[tuple[float, str]] = pending if pending is not None else []
        self.comp_id = ""  # "" while the group has had no composite
        self.comp_start = -math.inf
        self.comp_close = -math.inf


class _Rule:
    __slots__ = ("id", "spec", "window", "min_events", "shape", "groups")

    def __init__(self, spec: RuleSpec) -> None:
        self.id = spec.id
        self.spec = spec
        self.window = float(spec.window_seconds)
        self.min_events = spec.min_events
        self.shape = key_shape(spec.group_by)
        self.groups: dict[str, _Group] = {}


def _prune(pending: list[tuple[float, str]], cutoff: float) -> None:
    """Drop the sorted pending entries at or before ``cutoff``."""
    i = 0
    while i < len(pending) and pending[i][0] <= cutoff:
        i += 1
    del pending[:i]


_RULE_ID = attrgetter("rule_id")


class Engine:
    """Composite state for a set of rules; see the module docstring for the semantics."""

    def __init__(self, rules: Iterable[RuleSpec] = ()) -> None:
        self._rules: dict[str, _Rule] = {}
        self._index: RuleIndex[_Rule] = RuleIndex()
        self._heap: list[tuple[float, int, _Rule, str, _Group]] = []
        self._watermark = -math.inf
        for rule in rules:
            self.set_rule(rule)

    @property
    def watermark(self) -> float:
        return self._watermark

    def rules(self) -> list[RuleSpec]:
        return [self._rules[rid].spec for rid in sorted(self._rules)]

    def group_count(self) -> int:
        """Number of (rule, group) states held (for metrics and tests)."""
        return sum(len(r.groups) for r in self._rules.values())

    def set_rule(self, rule: RuleSpec) -> None:
        """Add or replace a rule; replacing with a different spec drops its state."""
        old = self._rules.get(rule.id)
        if old is not None and old.spec == rule:
            return
        self.remove_rule(rule.id)
        compiled = self._rules[rule.id] = _Rule(rule)
        if rule.enabled:
            self._index.add(rule.id, rule.include_label_ids, rule.include_mic_ids, compiled)

    def set_rules(self, rules: Iterable[RuleSpec]) -> None:
        """Make the rule set exactly ``rules``; unchanged rules keep their state."""
        wanted = {rule.id: rule for rule in rules}
        for rid in [rid for rid in self._rules if rid not in wanted]:
            self.remove_rule(rid)
        for rule in wanted.values():
            self.set_rule(rule)

    def remove_rule(self, rule_id: str) -> None:
        if self._rules.pop(rule_id, None) is not None:
            self._index.remove(rule_id)

    def feed(self, event: BaseEvent) -> FeedResult:
        """Apply one accepted base event; changes come in rule-id order."""
        rules = self._index.match(event.label_id, event.mic_id)
        if not rules:
            return FeedResult([], 0, 0)
        t, eid, wm = event.created_at, event.id, self._watermark
        changes: list[Change] = []
        late = discarded = 0
        edge, label, mic = event.edge_id or "", event.label_id, event.mic_id
        keys: list[str | None] = [None] * len(KEYERS)  # group key per key shape
        for r in rules:
            key = keys[r.shape]
            if key is None:
                key = keys[r.shape] = KEYERS[r.shape](edge, label, mic)
            g = r.groups.get(key)
            if g is None:  # fresh group: only the watermark can make the event late
                if t <= wm - r.window:
                    late += 1
                    continue
                g = r.groups[key] = _Group(t, [(t, eid)])
                heappush(self._heap, (t + r.window, id(g), r, key, g))
                if r.min_events == 1:
                    changes.append(self._open(r, key, g))
                continue
            clock = g.newest if g.newest > wm else wm
            if t <= clock - r.window:
                late += 1
                continue
            if t > g.newest:
                g.newest = t
                if t > clock:
                    clock = t
            if t < g.comp_close:
                if t < g.comp_start:
                    discarded += 1
                else:
                    changes.append(CompositeJoined(g.comp_id, r.id, eid))
                continue
            pending = g.pending
            if pending and pending[0][0] <= clock - r.window:
                _prune(pending, clock - r.window)
            insort(pending, (t, eid))
            if len(pending) >= r.min_events:
                changes.append(self._open(r, key, g))
        if len(changes) > 1:
            changes.sort(key=_RULE_ID)
        return FeedResult(changes, late, discarded)

    def expire(self, now: float) -> None:
        """Advance the watermark to ``now`` (never backwards) and forget idle groups."""
        if now > self._watermark:
            self._watermark = now
        wm, heap = self._watermark, self._heap
        while heap and heap[0][0] <= wm:
            _, _, r, key, g = heappop(heap)
            if self._rules.get(r.id) is not r or r.groups.get(key) is not g:
                continue
            deadline = max(g.newest, g.comp_close) + r.window
            if deadline <= wm:
                del r.groups[key]
            else:
                heappush(heap, (deadline, id(g), r, key, g))

    def restore(
        self,
        composites: Iterable[CompositeRecord],
        events: Iterable[BaseEvent],
        *,
        now: float | None = None,
    ) -> list[CompositeOpened]:
        """Replace all state with the one implied by stored composites and base events.

        ``now`` is the watermark to resume with (the last one passed to ``expire``).
        Returns composites missing from the store (normally none), in rule/group order.
        """
        for r in self._rules.values():
            r.groups.clear()
        self._heap.clear()
        if now is not None and now > self._watermark:
            self._watermark = now
        wm = self._watermark
        for c in composites:
            owner = self._rules.get(c.rule_id)
            if owner is None or not owner.spec.enabled:
                continue
            g = owner.groups.get(c.group_key)
            if g is None:
                g = owner.groups[c.group_key] = _Group(c.started_at)
            if not g.comp_id or (c.started_at, c.composite_id) > (g.comp_start, g.comp_id):
                g.comp_id, g.comp_start = c.composite_id, c.started_at
                g.comp_close = c.started_at + owner.window
                g.newest = max(g.newest, c.started_at)
        for e in events:
            t = e.created_at
            for r in self._index.match(e.label_id, e.mic_id):
                key = KEYERS[r.shape](e.edge_id or "", e.label_id, e.mic_id)
                g = r.groups.get(key)
                if g is None:
                    g = r.groups[key] = _Group(t)
                elif t > g.newest:
                    g.newest = t
                cutoff = max(g.newest, wm) - r.window
                if t >= g.comp_close and t > cutoff:
                    _prune(g.pending, cutoff)
                    insort(g.pending, (t, e.id))
        opened: list[CompositeOpened] = []
        for rid in sorted(self._rules):
            r = self._rules[rid]
            for key in sorted(r.groups):
                g = r.groups[key]
                _prune(g.pending, max(g.newest, wm) - r.window)
                if len(g.pending) >= r.min_events:
                    opened.append(self._open(r, key, g))
                deadline = max(g.newest, g.comp_close) + r.window
                heappush(self._heap, (deadline, id(g), r, key, g))
        self.expire(wm)
        return opened

    def _open(self, r: _Rule, key: str, g: _Group) -> CompositeOpened:
        members, g.pending = g.pending, []
        started, first_id = members[0]
        g.comp_id = composite_id(r.id, key, first_id)
        g.comp_start, g.comp_close = started, started + r.window
        return CompositeOpened(g.comp_id, r.id, key, started, tuple(eid for _, eid in members))
