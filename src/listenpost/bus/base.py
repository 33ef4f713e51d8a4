"""The bus seam: how a node hears what any node published. Implementations pick by URL.

A message is the exact bytes the hub sends plus a small routing key beside them (radio: the
channel, system, talkgroup and unit of the event), so no node decodes a frame to route it.
Every delivered message carries its position in its stream (a Redis stream entry id, a
JetStream stream sequence, a counter in memory) and `read` returns a stream from a position,
so a reader that blinks can continue where it stopped and a client can later resume.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from .settings import BusOptions


@dataclass(frozen=True, slots=True)
class Message:
    """One delivered message. `position` is opaque but ordered within its stream (compare
    with `order`); `published` is the bus's clock at publication (seconds), for lag."""

    stream: str
    payload: bytes
    key: bytes | None
    position: str
    published: float


Handler = Callable[[Message], Awaitable[None] | None]
Batch = Sequence[tuple[bytes, bytes | None]]  # (payload, key) pairs of one stream, in order


class Bus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, stream: str, payload: bytes, key: bytes | None = None) -> None: ...
    async def publish_many(self, stream: str, messages: Batch) -> None:
        """`publish` each (payload, key) in order, in one call: a committed group of events
        is handed over at once instead of paying a call, a clock read and the metrics per
        message on the way in."""
        ...

    async def flush(self, timeout: float) -> bool:
        """Wait until everything published so far is in the bus (False: not within
        `timeout` seconds, or the bus is unavailable)."""
        ...

    def subscribe(self, streams: Sequence[str], handler: Handler) -> None: ...
    async def read(self, stream: str, after: str | None, limit: int) -> list[Message]: ...
    @property
    def available(self) -> bool: ...


def order(position: str) -> tuple[int, int]:
    """A sortable form of any bus's position ("17-0" for Redis, "17" for NATS and memory)."""
    first, _, second = position.partition("-")
    return int(first), int(second or 0)


def from_url(url: str, options: BusOptions | None = None) -> Bus:
    """`memory://` (default, private to this node), `memory://NAME` (shared by the nodes of
    one process: tests), `redis://host:port/db` (Redis Streams), `nats://host:port`
    (NATS JetStream)."""
    options = options or BusOptions()
    scheme = url.partition("://")[0].lower() if "://" in url else url.lower()
    if scheme in ("", "memory"):
        from .memory import MemoryBus

        return MemoryBus(url.partition("://")[2], options)
    if scheme in ("redis", "rediss"):
        from .redis import RedisBus

        return RedisBus(url, options)
    if scheme in ("nats", "tls"):
        from .nats import NatsBus

        return NatsBus(url, options)
    raise ValueError(
        f"unsupported bus URL {url!r}: use memory://, redis://host:port/db or nats://host:port"
    )
