"""Rule index: which rules can match a (label_id, mic_id) pair (pure, stdlib only).

Rules are bucketed by each label id and each mic id they include; a rule with no
label (or mic) filter goes in the label (or mic) wildcard bucket.  The rules for
a pair are the intersection of the label side (its bucket plus the wildcard) and
the mic side, computed once and kept in a bounded cache, so a cached lookup costs
one dict access whatever the number of rules that cannot match.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")

_EMPTY: frozenset[str] = frozenset()


class RuleIndex(Generic[T]):
    """Maps rule id -> item, found by label id and mic id; results are ordered by rule id."""

    def __init__(self, cache_size: int = 1 << 16) -> None:
        self._items: dict[str, T] = {}
        self._filters: dict[str, tuple[frozenset[str] | None, frozenset[str] | None]] = {}
        self._by_label: dict[str, set[str]] = {}
        self._by_mic: dict[str, set[str]] = {}
        self._any_label: set[str] = set()
        self._any_mic: set[str] = set()
        self._cache: dict[tuple[str, str], tuple[T, ...]] = {}
        self._cache_size = cache_size

    def __len__(self) -> int:
        return len(self._items)

    def add(
        self,
        rule_id: str,
        labels: Iterable[str] | None,
        mics: Iterable[str] | None,
        item: T,
    ) -> None:
        """Index ``item`` under ``rule_id``; None or empty filters match anything."""
        self.remove(rule_id)
        label_set = frozenset(labels) if labels else None
        mic_set = frozenset(mics) if mics else None
        self._items[rule_id] = item
        self._filters[rule_id] = (label_set, mic_set)
        _put(self._by_label, self._any_label, rule_id, label_set)
        _put(self._by_mic, self._any_mic, rule_id, mic_set)
        self._cache.clear()

    def remove(self, rule_id: str) -> None:
        """Forget ``rule_id`` (no-op when unknown)."""
        if rule_id not in self._filters:
            return
        del self._items[rule_id]
        label_set, mic_set = self._filters.pop(rule_id)
        _drop(self._by_label, self._any_label, rule_id, label_set)
        _drop(self._by_mic, self._any_mic, rule_id, mic_set)
        self._cache.clear()

    def match(self, label_id: str, mic_id: str) -> tuple[T, ...]:
        """Items of the rules whose filters accept both ids, ordered by rule id."""
        hit = self._cache.get((label_id, mic_id))
        if hit is not None:
            return hit
        label_side = (self._by_label.get(label_id, _EMPTY), self._any_label)
        mic_side = (self._by_mic.get(mic_id, _EMPTY), self._any_mic)
        if sum(map(len, label_side)) > sum(map(len, mic_side)):
            label_side, mic_side = mic_side, label_side
        inner, outer = mic_side
        ids = {rid for part in label_side for rid in part if rid in inner or rid in outer}
        found = tuple(self._items[rid] for rid in sorted(ids))
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[(label_id, mic_id)] = found
        return found


def _put(
    buckets: dict[str, set[str]], wild: set[str], rid: str, keys: frozenset[str] | None
) -> None:
    if keys is None:
        wild.add(rid)
        return
    for key in keys:
        buckets.setdefault(key, set()).add(rid)


def _drop(
    buckets: dict[str, set[str]], wild: set[str], rid: str, keys: frozenset[str] | None
) -> None:
    if keys is None:
        wild.discard(rid)
        return
    for key in keys:
        bucket = buckets.get(key)
        if bucket is not None:
            bucket.discard(rid)
            if not bucket:
                del buckets[key]
