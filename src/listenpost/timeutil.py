"""Time on the wire: ISO 8601 UTC with `Z`; in the store: integer microseconds since the epoch."""

from __future__ import annotations

import time
from datetime import UTC, datetime


def now_us() -> int:
    return time.time_ns() // 1000


def to_iso(us: int | None) -> str | None:
    """Format microseconds as `2026-03-26T09:00:00Z` (fraction only when there is one)."""
    if us is None:
        return None
    secs, frac = divmod(us, 1_000_000)
    base = datetime.fromtimestamp(secs, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac:06d}Z" if frac else f"{base}Z"


def parse_iso(text: str) -> int:
    """Parse ISO 8601 into microseconds; a naive time is taken as UTC. Raises ValueError."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    dt = datetime.fromisoformat(value)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
