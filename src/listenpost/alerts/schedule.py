"""When a rule may fire: days of the week and a time of day in a time zone (pure).

`from` is included and `to` excluded; `to` before `from` spans midnight, and the part after
midnight belongs to the day it started on (`fri 22:00-06:00` covers Saturday 03:00).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


@dataclass(frozen=True)
class Schedule:
    tz: ZoneInfo
    days: frozenset[int]  # 0 = Monday, as datetime.weekday()
    start: int  # minutes after local midnight, included
    end: int  # excluded; <= start: the window spans midnight

    @classmethod
    def of(cls, spec: Mapping[str, Any]) -> Schedule:
        days = spec.get("days") or DAYS
        return cls(
            ZoneInfo(spec.get("timezone") or "UTC"),
            frozenset(DAYS.index(d) for d in days),
            _minutes(spec.get("from") or "00:00"),
            _minutes(spec.get("to") or "24:00"),
        )

    def allows(self, t: float) -> bool:
        """Whether unix time `t` lies inside the schedule."""
        local = datetime.fromtimestamp(t, self.tz)
        minute, day = local.hour * 60 + local.minute, local.weekday()
        if self.start < self.end:
            return day in self.days and self.start <= minute < self.end
        if minute >= self.start:
            return day in self.days
        return minute < self.end and (day - 1) % 7 in self.days
