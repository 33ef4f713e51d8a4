"""Pure fixed-window rate limiter: N requests per window per (key, endpoint)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}


@dataclass(frozen=True)
class Limit:
    count: int
    seconds: float


def parse_limits(text: str) -> list[Limit]:
    """`"10/s,1000/min"` -> limits; raises ValueError naming the bad part."""
    limits = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        m = re.fullmatch(r"(\d+)\s*/\s*([a-z]+)", part)
        if not m or m.group(2) not in _UNITS or int(m.group(1)) < 1:
            raise ValueError(f"bad rate limit {part!r}: use e.g. 10/s,1000/min")
        limits.append(Limit(int(m.group(1)), _UNITS[m.group(2)]))
    return limits


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int = 0
    remaining: int = 0
    reset: int = 0
    retry_after: int = 0


@dataclass
class RateLimiter:
    limits: list[Limit]
    _counts: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)

    def hit(self, key: str, now: float) -> Verdict:
        """Count one request; refuse it when any window is full (refusals are not counted)."""
        windows = []
        for i, lim in enumerate(self.limits):
            start = int(now // lim.seconds)
            seen_start, count = self._counts.get((key, i), (start, 0))
            if seen_start != start:
                count = 0
            windows.append((i, lim, start, count))
        for _, lim, start, count in windows:
            if count >= lim.count:
                reset = int((start + 1) * lim.seconds)
                return Verdict(False, lim.count, 0, reset, max(1, reset - int(now)))
        for i, _, start, count in windows:
            self._counts[(key, i)] = (start, count + 1)
        if len(self._counts) > 100_000:
            self._counts.clear()
        return Verdict(True)
