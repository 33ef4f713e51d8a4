"""A short call recording: 8 kHz 16-bit mono WAV of a voice-like buzz (stdlib only).

Not speech, but it sounds like a radio call (a pitched buzz in syllables, a little hiss,
a squelch tail), so the dashboard's player and queue have something audible to play.
"""

from __future__ import annotations

import io
import math
import random
import sys
import wave
from array import array
from functools import lru_cache

RATE = 8000


@lru_cache(maxsize=32)
def call_wav(seconds: float, voice: int) -> bytes:
    """`seconds` of audio (at least 0.2) in voice `voice` (any int: pitch and syllable
    rhythm follow from it). Cached: the demo asks for a handful of distinct clips."""
    rng = random.Random(voice)
    pitch = 95 + (voice % 7) * 22
    syllables = rng.uniform(3.0, 5.5)
    total = max(int(RATE * max(seconds, 0.2)), 1)
    tail = min(int(RATE * 0.15), total // 4)
    samples = array("h")
    for n in range(total):
        t = n / RATE
        if n >= total - tail:  # squelch tail: the carrier drops
            value = rng.uniform(-0.25, 0.25)
        else:
            envelope = 0.5 + 0.5 * math.sin(2 * math.pi * syllables * t) ** 2
            drift = pitch * (1 + 0.06 * math.sin(2 * math.pi * 0.7 * t))
            phase = 2 * math.pi * drift * t
            voiced = 0.6 * math.sin(phase) + 0.25 * math.sin(2 * phase) + 0.1 * math.sin(3 * phase)
            value = envelope * voiced + rng.uniform(-0.04, 0.04)
        samples.append(int(max(-1.0, min(1.0, value)) * 12000))
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.tobytes())
    return out.getvalue()
