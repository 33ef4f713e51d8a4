"""Sans-I/O state of one ``/api/ws`` connection (tr-engine.md §1.3–§1.7, contracts.md).

``Session.handle_text(frame, now)`` applies one client message and returns the replies to
send; ``Session.wants(event_type, data)`` is the delivery decision. No clock, no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from .channels import FilterKey

MAX_MESSAGE_BYTES = 512 * 1024  # inbound frames above this close with 1009 (transport's job)
MAX_ENTRIES = 1000  # default bound on each subscription set and on each list in one message
MAX_ENTRY_CHARS = 256  # bound on one channel or system name
FIELDS = ("action", "channels", "systems", "talkgroups", "units")
ACTIONS = ("subscribe", "unsubscribe")
_INT64 = (-(2**63), 2**63 - 1)
_T = TypeVar("_T")


class RequestError(ValueError):
    """A client message that changes nothing and is answered with an ``error`` event."""


class _Object(list[tuple[str, Any]]):
    """A JSON object as its (key, value) pairs, in document order, duplicates kept."""


@dataclass(frozen=True, slots=True)
class Request:
    action: str
    channels: list[str] | None = None
    systems: list[str] | None = None
    talkgroups: list[int] | None = None
    units: list[int] | None = None

    def echo(self) -> dict[str, Any]:
        """The request re-serialised in struct order; omitted fields are ``None``."""
        return {name: getattr(self, name) for name in FIELDS}


def _field_name(key: str) -> str | None:
    # Go's encoding/json matches keys to fields case-insensitively (Unicode simple
    # folding: "CHANNELS", "Action" and "channel\u017f" (long s) all match).
    for name in FIELDS:
        if len(key) == len(name) and all(c.casefold() == n for c, n in zip(key, name, strict=True)):
            return name
    return None


def _clean(text: str) -> str:
    # Lone surrogates ("\ud800") become U+FFFD, as Go's decoder does.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _strings(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestError(f"field '{name}' must be an array of strings")
    if any(len(v) > MAX_ENTRY_CHARS for v in value):
        raise RequestError(f"field '{name}': names are limited to {MAX_ENTRY_CHARS} characters")
    return [_clean(v) for v in value]


def _ints(name: str, value: Any) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) and _INT64[0] <= v <= _INT64[1]
        for v in value
    ):
        raise RequestError(f"field '{name}' must be an array of integers")
    return list(value)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_request(frame: str | bytes, max_entries: int = MAX_ENTRIES) -> Request:
    """Decode one client frame; raises :class:`RequestError` with a client-facing message.
    A list longer than `max_entries` is refused whatever the action, so no reply ever echoes
    more than that."""
    if isinstance(frame, bytes | bytearray | memoryview):
        frame = bytes(frame).decode("utf-8", "replace")  # Go: bad UTF-8 -> U+FFFD
    try:
        obj = json.loads(frame, object_pairs_hook=_Object, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise RequestError("invalid JSON") from None
    if not isinstance(obj, _Object):
        raise RequestError("message must be a JSON object")
    found: dict[str, Any] = {}
    for key, value in obj:  # later duplicates win, as in Go
        name = _field_name(key)
        if name is None:
            continue  # unknown keys are ignored
        if name == "action":
            if value is None:
                continue  # Go: null leaves a string field untouched
            if not isinstance(value, str):
                raise RequestError("field 'action' must be a string")
            found[name] = _clean(value)
        elif value is None:
            found[name] = None  # null is "absent"
        elif name in ("channels", "systems"):
            found[name] = _strings(name, value)
        else:
            found[name] = _ints(name, value)
        if isinstance(found.get(name), list) and len(found[name]) > max_entries:
            raise RequestError(f"field '{name}' lists more than {max_entries} entries")
    action = found.pop("action", None)
    if not action:
        raise RequestError("missing action")
    if action not in ACTIONS:
        raise RequestError(f"unknown action {action[:64]!r}; expected subscribe or unsubscribe")
    return Request(action=action, **found)


def _change(current: set[_T], values: list[_T] | None, add: bool) -> None:
    if values:
        if add:
            current.update(values)
        else:
            current.difference_update(values)


def _check_room(name: str, current: set[Any], values: list[Any] | None, limit: int) -> None:
    if values and len(current.union(values)) > limit:
        raise RequestError(f"field '{name}': a subscription holds at most {limit} entries")


class Session:
    """Subscription state of one connection: empty (receives nothing) until subscribed.
    Each set holds at most `max_entries` values, which also bounds every confirmation."""

    __slots__ = ("_channels", "_systems", "_talkgroups", "_units", "_key", "max_entries")

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._channels: set[str] = set()
        self._systems: set[str] = set()
        self._talkgroups: set[int] = set()
        self._units: set[int] = set()
        self._key: FilterKey | None = FilterKey()

    def apply(self, request: Request) -> dict[str, Any]:
        """Apply a parsed request (union / difference) and return its confirmation; raises
        :class:`RequestError`, changing nothing, when a set would outgrow its bound."""
        subscribe = request.action == "subscribe"
        if subscribe:
            for name in FIELDS[1:]:
                current = getattr(self, f"_{name}")
                _check_room(name, current, getattr(request, name), self.max_entries)
        _change(self._channels, request.channels, subscribe)
        _change(self._systems, request.systems, subscribe)
        _change(self._talkgroups, request.talkgroups, subscribe)
        _change(self._units, request.units, subscribe)
        self._key = None
        return {
            "data": {
                "added" if subscribe else "removed": request.echo(),
                "channels": sorted(self._channels),
                "systems": sorted(self._systems),
            },
            "event": "subscribed" if subscribe else "unsubscribed",
        }

    def handle_text(self, frame: str | bytes, now: float) -> list[dict[str, Any]]:
        """Handle one client frame; returns the messages to send back (one here)."""
        try:
            return [self.apply(parse_request(frame, self.max_entries))]
        except RequestError as exc:
            return [error_event(str(exc), now)]

    def filter_key(self) -> FilterKey:
        """Hashable snapshot of the subscription (cached until the next change)."""
        if self._key is None:
            self._key = FilterKey(
                frozenset(self._channels),
                frozenset(self._systems),
                frozenset(self._talkgroups),
                frozenset(self._units),
            )
        return self._key

    def wants(self, event_type: str, data: Mapping[str, Any] | Any) -> bool:
        return self.filter_key().wants(event_type, data)

    @property
    def channels(self) -> frozenset[str]:
        return self.filter_key().channels

    @property
    def systems(self) -> frozenset[str]:
        return self.filter_key().systems

    @property
    def talkgroups(self) -> frozenset[int]:
        return self.filter_key().talkgroups

    @property
    def units(self) -> frozenset[int]:
        return self.filter_key().units


def error_event(message: str, now: float) -> dict[str, Any]:
    """``{"event": "error", "timestamp": <unix s>, "data": {"message": ...}}``."""
    return {"event": "error", "timestamp": int(now), "data": {"message": message}}
