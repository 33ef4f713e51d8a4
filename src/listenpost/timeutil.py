"""Time on the wire: ISO 8601 UTC with `Z`; in the store: integer microseconds since the epoch.

Every time a client sends must lie in the documented window [2000-01-01, 2100-01-01) UTC:
Python parses years 1..9999 in any offset, but a time the server stores must also format
back (year 0 or 10000 in UTC cannot), so the window is checked where times enter.
"""

from __future__ import annotations

import functools
import logging
import time
from datetime import UTC, datetime

log = logging.getLogger("listenpost")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EARLIEST_US = 946_684_800_000_000  # 2000-01-01T00:00:00Z
LATEST_US = 4_102_444_800_000_000  # 2100-01-01T00:00:00Z (excluded)
WINDOW_TEXT = "2000-01-01T00:00:00Z (included) to 2100-01-01T00:00:00Z (excluded)"


def now_us() -> int:
    return time.time_ns() // 1000


def to_iso(us: int | None) -> str | None:
    """Format microseconds as `2026-03-26T09:00:00Z` (fraction only when there is one).

    Never raises: a stored value that no ISO year can show (left by an older version) is
    served as null and logged, so one bad row cannot fail a whole list.
    """
    if us is None:
        return None
    secs, frac = divmod(us, 1_000_000)
    base = _second(secs)
    if base is None:
        log.warning("stored time %r us is outside any ISO 8601 year; served as null", us)
        return None
    return f"{base}.{frac:06d}Z" if frac else f"{base}Z"


@functools.lru_cache(maxsize=4096)
def _second(secs: int) -> str | None:
    """The whole-second part of `to_iso`, memoised: events of one batch or one burst share
    their seconds, and formatting a datetime costs more than the rest of an event's view."""
    try:
        return datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    except (ValueError, OverflowError, OSError):
        return None


def parse_iso(text: str) -> int:
    """Parse ISO 8601 into microseconds; a naive time is taken as UTC. Raises ValueError,
    also for a time outside the window (message says which)."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not an ISO 8601 time: {text!r}") from exc
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if not EARLIEST_US <= us < LATEST_US:
        raise ValueError(f"{text!r} is outside the accepted window, {WINDOW_TEXT}")
    return us
