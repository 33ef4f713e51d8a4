"""Receipt bookkeeping every bus shares: lag and delivery metrics, and duplicate detection.

A publisher retries a batch whose acknowledgement it never saw (the connection broke), so a
message may be stored twice; each carries `<publisher>:<counter>` and a reader drops one
whose counter it has already passed for that publisher on that stream.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from ..metrics import BUS_DELIVERED, BUS_ERRORS, BUS_LAG
from .base import Message


def record(message: Message, node: str) -> None:
    record_many((message,), node)


def record_many(messages: Sequence[Message], node: str) -> None:
    """Count messages of one stream delivered together and observe each one's lag (one label
    lookup and one clock read for all of them; never empty)."""
    stream, now = messages[0].stream, time.time()
    BUS_DELIVERED.labels(stream, node).inc(len(messages))
    lag = BUS_LAG.labels(stream)
    for message in messages:
        lag.observe(max(0.0, now - message.published))


def message_id(publisher: str, counter: int) -> str:
    return f"{publisher}:{counter}"


class Seen:
    """Per stream and publisher, the highest counter delivered."""

    def __init__(self) -> None:
        self._last: dict[tuple[str, str], int] = {}

    def fresh(self, stream: str, msgid: str | None) -> bool:
        """True the first time (stream, msgid) is seen; a repeat is counted and refused."""
        if not msgid:
            return True
        publisher, _, counter = msgid.rpartition(":")
        try:
            number = int(counter)
        except ValueError:
            return True
        slot = (stream, publisher)
        if number <= self._last.get(slot, 0):
            BUS_ERRORS.labels("duplicate").inc()
            return False
        self._last[slot] = number
        return True
