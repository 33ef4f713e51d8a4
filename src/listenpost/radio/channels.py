"""tr-engine ``/api/ws`` channel map (tr-engine.md §1.8) and delivery decision (§1.7).

Pure: the decision is a function of the event and a frozen subscription, so a hub can
group connections by :class:`FilterKey` and decide once per distinct filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

ALL = "*"

#: event type -> channel; any other event type is its own channel (e.g. ``system_update``).
CHANNEL_MAP: Mapping[str, str] = MappingProxyType(
    {
        "call_start": "calls",
        "call_end": "calls",
        "call_active": "calls",
        "audio_available": "calls",
        "unit_event": "units",
        "rate_update": "rates",
        "recorder_update": "recorders",
        "transcription_complete": "transcriptions",
    }
)


def channel_for(event_type: str) -> str:
    """The channel an event type is delivered on (§1.8)."""
    return CHANNEL_MAP.get(event_type, event_type)


def _is_number(value: Any) -> bool:
    # A JSON number; JSON booleans are not numbers even though Python's bool is an int.
    return isinstance(value, int | float) and not isinstance(value, bool)


def deliver(
    event_type: str,
    data: Any,
    *,
    channels: frozenset[str] | set[str],
    systems: frozenset[str] | set[str],
    talkgroups: frozenset[int] | set[int],
    units: frozenset[int] | set[int],
) -> bool:
    """The 8-step decision of tr-engine.md §1.7, literally and in order."""
    if not channels:  # 1. nothing subscribed yet
        return False
    if channel_for(event_type) not in channels and ALL not in channels:  # 2.
        return False
    if not systems and not talkgroups and not units:  # 3. no filters
        return True
    if not isinstance(data, Mapping):  # 4. cannot filter
        return True
    system = data.get("system")  # 5. absent / not a string -> passes
    if systems and isinstance(system, str) and system not in systems:
        return False
    talkgroup = data.get("talkgroup")  # 6. 0 is a real value
    if talkgroups and _is_number(talkgroup) and talkgroup not in talkgroups:
        return False
    unit = data.get("unit")  # 7.
    if units and _is_number(unit) and unit not in units:
        return False
    return True  # 8.


@dataclass(frozen=True, slots=True)
class FilterKey:
    """A hashable snapshot of one connection's subscription."""

    channels: frozenset[str] = frozenset()
    systems: frozenset[str] = frozenset()
    talkgroups: frozenset[int] = frozenset()
    units: frozenset[int] = frozenset()

    def wants(self, event_type: str, data: Any) -> bool:
        return deliver(
            event_type,
            data,
            channels=self.channels,
            systems=self.systems,
            talkgroups=self.talkgroups,
            units=self.units,
        )

    @property
    def silent(self) -> bool:
        """True when no event can be delivered (no channel subscribed)."""
        return not self.channels
