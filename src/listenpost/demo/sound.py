"""Sound events: background chatter at a steady rate, and bursts that fire the demo rule.

`SoundSchedule.tick(now)` is the whole decision, pure: which events are due at `now`
(seconds on any monotonic clock). The caller only sleeps, posts and logs.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass, field
from typing import Any

from .place import DISTRESS, MICS, RULE, MicSpec

Event = dict[str, Any]  # a `POST /api/v1/events` body

# How often each label is heard in the background (relative weights; every id is in the
# label catalogue, sound/labels.py). Distress labels are rare here: bursts bring them.
LABEL_WEIGHTS: dict[str, float] = {
    "normal_speech_male": 26,
    "normal_speech_female": 26,
    "sound_level": 18,
    "physical_impacts": 6,
    "crying": 4,
    "breathing_heavily": 4,
    "aggressive_yell_male": 3,
    "aggressive_yell_female": 3,
    "glass_break": 1,
    "scream_female": 1,
    "scream_male": 1,
    "help_me": 1,
    "save_me": 1,
}
NOISE_POINTS = 16  # SPL samples per event (the edge reports a short series)
FIRST_BURST = 2.0  # seconds after start: the first composite appears at once
BURST_GAP = (20.0, 45.0)  # seconds between bursts
BURST_SPREAD = 3.0  # a burst's events arrive within this many seconds


@dataclass(frozen=True)
class Burst:
    mic: MicSpec
    label_id: str
    events: list[tuple[float, Event]]  # (seconds after the burst starts, body)


def noises(rng: random.Random, level: float, points: int = NOISE_POINTS) -> list[float]:
    """An SPL series (dB) that rises to `level` and falls back, with a little jitter."""
    peak = rng.randint(points // 4, 3 * points // 4)
    floor = level - rng.uniform(6, 14)
    series = []
    for i in range(points):
        shape = math.exp(-(((i - peak) / (points / 5)) ** 2))
        series.append(round(floor + (level - floor) * shape + rng.uniform(-1, 1), 2))
    return series


class SoundGenerator:
    def __init__(self, rng: random.Random, mics: tuple[MicSpec, ...] = MICS) -> None:
        self.rng = rng
        self.mics = mics
        self.labels = list(LABEL_WEIGHTS)
        self.weights = list(LABEL_WEIGHTS.values())

    def _mic(self) -> MicSpec:
        return self.rng.choices(self.mics, [m.activity for m in self.mics])[0]

    def event(self, mic: MicSpec | None = None, label_id: str | None = None) -> Event:
        rng = self.rng
        label = label_id or rng.choices(self.labels, self.weights)[0]
        loud = label in DISTRESS or label.startswith("aggressive")
        level = rng.uniform(78, 98) if loud else rng.uniform(48, 80)
        series = noises(rng, level)
        return {
            "mic_id": (mic or self._mic()).id,
            "label_id": label,
            "confidence": round(rng.uniform(0.72, 0.98) if loud else rng.uniform(0.3, 0.95), 4),
            "sound_level": max(series),
            "noises": series,
        }

    def burst(self) -> Burst:
        """One mic hears several distress sounds within seconds: more than the rule needs."""
        rng = self.rng
        mic = self._mic()
        label = rng.choice(DISTRESS)
        count = rng.randint(RULE["min_events"] + 1, RULE["min_events"] + 3)
        offsets = sorted(rng.uniform(0, BURST_SPREAD) for _ in range(count))
        return Burst(mic, label, [(t, self.event(mic, label)) for t in offsets])


@dataclass
class SoundSchedule:
    """Background events at `rate` per second (credit carried between ticks, so the rate
    holds exactly over time) plus a burst every BURST_GAP seconds, the first at
    FIRST_BURST."""

    generator: SoundGenerator
    rate: float
    start: float
    credit: float = 0.0
    last: float = field(init=False)
    next_burst: float = field(init=False)
    pending: list[tuple[float, int, Event]] = field(default_factory=list)
    bursts: int = 0
    queued: int = 0  # events ever queued: the heap's tie-breaker (bodies do not compare)

    def __post_init__(self) -> None:
        self.last = self.start
        self.next_burst = self.start + FIRST_BURST

    def tick(self, now: float) -> tuple[list[Event], Burst | None]:
        """Events due at `now`, and the burst that began at this tick (for the log)."""
        self.credit += self.rate * max(0.0, now - self.last)
        self.last = now
        count = int(self.credit)
        self.credit -= count
        due = [self.generator.event() for _ in range(count)]
        burst = None
        if now >= self.next_burst:
            burst = self.generator.burst()
            self.bursts += 1
            for offset, event in burst.events:
                self.queued += 1
                heapq.heappush(self.pending, (now + offset, self.queued, event))
            self.next_burst = now + self.generator.rng.uniform(*BURST_GAP)
        while self.pending and self.pending[0][0] <= now:
            due.append(heapq.heappop(self.pending)[2])
        return due, burst
