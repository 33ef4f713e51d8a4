"""Value types of the composite engine (pure, stdlib only); re-exported by ``engine``."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Protocol

from .keys import check_group_by, key_fields, make_key, parse_group_by


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A composite rule.  ``group_by`` may also be given as text (``"label_id,mic_id"``);
    empty include sets are stored as None (= any).  Raises ValueError when invalid."""

    id: str
    window_seconds: float
    min_events: int
    group_by: tuple[str, ...]
    include_label_ids: frozenset[str] | None = None
    include_mic_ids: frozenset[str] | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        gb: object = self.group_by
        fields = parse_group_by(gb) if isinstance(gb, str) else check_group_by(tuple(self.group_by))
        object.__setattr__(self, "group_by", fields)
        for name in ("include_label_ids", "include_mic_ids"):
            value = getattr(self, name)
            object.__setattr__(self, name, frozenset(value) if value else None)
        if not 0 < self.window_seconds < math.inf:
            raise ValueError(
                f"rule {self.id}: window_seconds must be > 0, got {self.window_seconds!r}"
            )
        if (
            isinstance(self.min_events, bool)
            or not isinstance(self.min_events, int)
            or self.min_events < 1
        ):
            raise ValueError(f"rule {self.id}: min_events must be an integer >= 1")


@dataclass(frozen=True, slots=True)
class BaseEvent:
    id: str
    label_id: str
    mic_id: str
    edge_id: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class CompositeOpened:
    composite_id: str
    rule_id: str
    group_key: str
    started_at: float
    event_ids: tuple[str, ...]  # sorted by (created_at, id)


@dataclass(frozen=True, slots=True)
class CompositeJoined:
    composite_id: str
    rule_id: str
    event_id: str


Change = CompositeOpened | CompositeJoined


@dataclass(slots=True)
class FeedResult:
    changes: list[Change] = field(default_factory=list)
    late_rules: int = 0  # matching rules for which the event was late
    discarded_rules: int = 0  # matching rules for which it predates the group's composite


class CompositeRecord(Protocol):
    """What restore needs of a stored composite (CompositeOpened qualifies)."""

    @property
    def composite_id(self) -> str: ...
    @property
    def rule_id(self) -> str: ...
    @property
    def group_key(self) -> str: ...
    @property
    def started_at(self) -> float: ...


def group_key(rule: RuleSpec, event: BaseEvent) -> str:
    """``edge_id`` (or ``""``) then the other group_by fields' values, joined by ``:``."""
    return make_key(event.edge_id, event.label_id, event.mic_id, key_fields(rule.group_by))
