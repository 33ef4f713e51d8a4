"""Rule index: which rules can match a (label_id, mic_id) pair (pure, stdlib only).

Rules are bucketed by each label id and each mic id they include; a rule with no
label (or mic) filter goes in the label (or mic) wildcard bucket.  For a label the
"label side" (its bucket plus the label wildcards) is built once and memoised; a
lookup is then ``label_side & (mic bucket | mic wildcards)``, two C-level set
intersections that probe at most the smaller side.  Rules whose labels do not match
are never touched, and a label no rule names costs one dict lookup.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T", bound=Hashable)


class RuleIndex(Generic[T]):
    """Maps rule id -> item (hashed by identity is fine), found by label id and mic id."""

    def __init__(self) -> None:
        self._filters: dict[str, tuple[T, frozenset[str] | None, frozenset[str] | None]] = {}
        self._by_label: dict[str, set[T]] = {}
        self._by_mic: dict[str, frozenset[T]] = {}
        self._any_label: frozenset[T] = frozenset()
        self._any_mic: frozenset[T] = frozenset()
        self._label_side: dict[str, frozenset[T]] = {}

    def __len__(self) -> int:
        return len(self._filters)

    def add(
        self, rule_id: str, labels: Iterable[str] | None, mics: Iterable[str] | None, item: T
    ) -> None:
        """Index ``item`` under ``rule_id``; None or empty filters match anything."""
        self.remove(rule_id)
        label_set = frozenset(labels) if labels else None
        mic_set = frozenset(mics) if mics else None
        self._filters[rule_id] = (item, label_set, mic_set)
        if label_set is None:
            self._any_label = self._any_label | {item}
        else:
            for label in label_set:
                self._by_label.setdefault(label, set()).add(item)
        if mic_set is None:
            self._any_mic = self._any_mic | {item}
        else:
            for mic in mic_set:
                self._by_mic[mic] = self._by_mic.get(mic, frozenset()) | {item}
        self._label_side.clear()

    def remove(self, rule_id: str) -> None:
        """Forget ``rule_id`` (no-op when unknown)."""
        entry = self._filters.pop(rule_id, None)
        if entry is None:
            return
        item, label_set, mic_set = entry
        if label_set is None:
            self._any_label = self._any_label - {item}
        else:
            for label in label_set:
                bucket = self._by_label[label]
                bucket.discard(item)
                if not bucket:
                    del self._by_label[label]
        if mic_set is None:
            self._any_mic = self._any_mic - {item}
        else:
            for mic in mic_set:
                left = self._by_mic[mic] - {item}
                if left:
                    self._by_mic[mic] = left
                else:
                    del self._by_mic[mic]
        self._label_side.clear()

    def match(self, label_id: str, mic_id: str) -> frozenset[T]:
        """Items of the rules whose filters accept both ids (unordered)."""
        side = self._label_side.get(label_id)
        if side is None:
            bucket = self._by_label.get(label_id)
            if bucket is None:  # not memoised: unknown labels must not grow memory
                side = self._any_label
            else:
                side = self._label_side[label_id] = self._any_label.union(bucket)
        if not side:
            return side
        found = side & self._any_mic
        mics = self._by_mic.get(mic_id)
        if mics:
            found |= side & mics
        return found
