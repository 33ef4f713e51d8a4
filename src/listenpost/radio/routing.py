"""Routing radio frames by a key that travels beside them, through an index of subscriptions.

The publisher computes a frame's `Route` (channel, system, talkgroup, unit) from the event it
encodes, and the bus carries it as a small key, so no node decodes a frame to route it.
`RadioIndex` finds the subscriptions (`FilterKey`s) a route reaches with work proportional to
those that match, keeping tr-engine §1.7 exactly: a field absent from the event (or of the
wrong type) passes that filter, and 0 is a real value. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from typing import Any

import orjson

from .channels import ALL, FilterKey, channel_for

Number = int | float
#: (channel, system or None, talkgroup or None, unit or None); None: the field passes
Route = tuple[str, str | None, Number | None, Number | None]


def _number(value: Any) -> Number | None:
    # A JSON number as the frame carries it: bool is not a number, and a non-finite float is
    # encoded as null (absent), so it filters nothing.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def route_of(event_type: str, data: Any) -> Route:
    """The route of an event: what §1.7 looks at, and nothing else."""
    channel = channel_for(event_type)
    if not isinstance(data, Mapping):  # step 4: cannot filter, every filter passes
        return channel, None, None, None
    system = data.get("system")
    return (
        channel,
        system if isinstance(system, str) else None,
        _number(data.get("talkgroup")),
        _number(data.get("unit")),
    )


def encode_route(route: Route) -> bytes:
    """The key as the bus carries it (any number the frame itself can carry fits)."""
    return orjson.dumps(route)


def decode_route(key: bytes) -> Route:
    channel, system, talkgroup, unit = orjson.loads(key)
    return channel, system, talkgroup, unit


def _passes(key: FilterKey, system: str | None, talkgroup: Any, unit: Any) -> bool:
    """Steps 5–7 of §1.7 (the caller has settled the channel)."""
    return (
        (system is None or not key.systems or system in key.systems)
        and (talkgroup is None or not key.talkgroups or talkgroup in key.talkgroups)
        and (unit is None or not key.units or unit in key.units)
    )


class _Dimension:
    """Subscriptions indexed by their values of one field."""

    __slots__ = ("by_value", "every")

    def __init__(self) -> None:
        self.by_value: dict[Hashable, set[FilterKey]] = {}
        self.every: set[FilterKey] = set()

    def add(self, key: FilterKey, values: Iterable[Hashable]) -> None:
        self.every.add(key)
        for value in values:
            self.by_value.setdefault(value, set()).add(key)

    def discard(self, key: FilterKey, values: Iterable[Hashable]) -> None:
        """Forget a key added with these values (the hub discards only what it added)."""
        self.every.discard(key)
        for value in values:
            members = self.by_value[value]
            members.discard(key)
            if not members:
                del self.by_value[value]

    def candidates(self, value: Hashable | None) -> Iterable[FilterKey]:
        if value is None:  # the event lacks the field: every subscription passes it
            return self.every
        return self.by_value.get(value, ())


class _Channel:
    """The subscriptions of one channel: unfiltered ones, and the rest each indexed by its
    most selective field (talkgroups, else units, else systems)."""

    __slots__ = ("plain", "talkgroups", "units", "systems")

    def __init__(self) -> None:
        self.plain: set[FilterKey] = set()
        self.talkgroups = _Dimension()
        self.units = _Dimension()
        self.systems = _Dimension()

    def _slot(self, key: FilterKey) -> tuple[_Dimension, frozenset[Any]] | None:
        if key.talkgroups:
            return self.talkgroups, key.talkgroups
        if key.units:
            return self.units, key.units
        if key.systems:
            return self.systems, key.systems
        return None

    def add(self, key: FilterKey) -> None:
        slot = self._slot(key)
        if slot is None:
            self.plain.add(key)
        else:
            slot[0].add(key, slot[1])

    def discard(self, key: FilterKey) -> None:
        slot = self._slot(key)
        if slot is None:
            self.plain.discard(key)
        else:
            slot[0].discard(key, slot[1])

    def empty(self) -> bool:
        return not (
            self.plain or self.talkgroups.every or self.units.every or self.systems.every
        )

    def matching(self, route: Route, out: list[Hashable]) -> None:
        _, system, talkgroup, unit = route
        out.extend(self.plain)
        for dimension, value in (
            (self.talkgroups, talkgroup),
            (self.units, unit),
            (self.systems, system),
        ):
            found = dimension.candidates(value)
            out.extend(k for k in found if _passes(k, system, talkgroup, unit))


class RadioIndex:
    """The hub's index of `/api/ws` subscriptions (each distinct `FilterKey` once)."""

    def __init__(self) -> None:
        self._channels: dict[str, _Channel] = {}

    @staticmethod
    def _names(key: FilterKey) -> Iterable[str]:
        # A subscription to "*" is indexed there only, so a frame never finds it twice.
        return (ALL,) if ALL in key.channels else key.channels

    def add(self, key: Hashable) -> None:
        """Index a radio session's key (a silent one, with no channel, lands nowhere)."""
        assert isinstance(key, FilterKey)
        for name in self._names(key):
            self._channels.setdefault(name, _Channel()).add(key)

    def discard(self, key: Hashable) -> None:
        """Forget a key `add` indexed: the hub discards each distinct key once, after adding it."""
        assert isinstance(key, FilterKey)
        for name in self._names(key):
            channel = self._channels[name]
            channel.discard(key)
            if channel.empty():
                del self._channels[name]

    def matching(self, route: Hashable) -> list[Hashable]:
        """The distinct subscriptions that want a frame with this route (§1.7); the route
        may come as the bus carries it (`encode_route`), decoded here."""
        if isinstance(route, bytes):
            route = decode_route(route)
        assert isinstance(route, tuple)
        out: list[Hashable] = []
        names = (route[0],) if route[0] == ALL else (route[0], ALL)
        for name in names:
            channel = self._channels.get(name)
            if channel is not None:
                channel.matching(route, out)  # type: ignore[arg-type]
        return out


def radio_route(message: Any) -> Route | bytes:
    """A bus message's route: its key, as it came (the hub remembers what each key reaches,
    so a key is decoded only the first time); a message published without one (none of
    ours) is routed from its frame instead, so it still reaches exactly the right clients."""
    if message.key is not None:
        return message.key  # type: ignore[no-any-return]
    envelope = orjson.loads(message.payload)
    return route_of(envelope.get("event", ""), envelope.get("data"))
