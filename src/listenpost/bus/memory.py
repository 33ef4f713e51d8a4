"""In-process bus: publish calls each subscribed node's handler directly, in order.

`memory://` is private to one node; `memory://NAME` is shared by every node of this process
that names it (tests run several nodes in one process this way). A bounded history per
stream serves `read`, so positions mean the same here as on Redis or NATS.
"""

from __future__ import annotations

import inspect
import time
from collections import deque
from collections.abc import Sequence

from .base import Batch, Handler, Message
from .settings import BusOptions

_SHARED: dict[str, _Broker] = {}


class _Broker:
    def __init__(self, options: BusOptions) -> None:
        self.options = options
        self.members: list[MemoryBus] = []
        self.history: dict[str, deque[Message]] = {}
        self.counters: dict[str, int] = {}

    def extend(self, stream: str, messages: Batch) -> list[Message]:
        """Number and keep messages published together (one clock read), trimming the
        stream's history to its count and age bounds."""
        position, now = self.counters.get(stream, 0), time.time()
        made = [
            Message(stream, payload, key, str(position + n), now)
            for n, (payload, key) in enumerate(messages, 1)
        ]
        self.counters[stream] = position + len(made)
        kept = self.history.setdefault(stream, deque(maxlen=self.options.maxlen or None))
        kept.extend(made)
        if self.options.max_age > 0:
            horizon = now - self.options.max_age
            while kept and kept[0].published < horizon:
                kept.popleft()
        return made


class MemoryBus:
    def __init__(self, name: str = "", options: BusOptions | None = None) -> None:
        self.options = options or BusOptions()
        if name:
            self._broker = _SHARED.setdefault(name, _Broker(self.options))
        else:
            self._broker = _Broker(self.options)
        self._handler: Handler | None = None
        self._streams: frozenset[str] = frozenset()
        self._positions: dict[str, int] = {}  # stream -> last delivered, for a restart

    @property
    def available(self) -> bool:
        return True

    async def start(self) -> None:
        """Join the broker; after a stop, first catch up on what is retained since."""
        if self in self._broker.members:
            return
        for stream, last in list(self._positions.items()):
            await self._deliver_many(
                await self.read(stream, str(last), self.options.maxlen or 1 << 62)
            )
        self._broker.members.append(self)

    async def stop(self) -> None:
        if self in self._broker.members:
            self._broker.members.remove(self)

    def subscribe(self, streams: Sequence[str], handler: Handler) -> None:
        self._streams = frozenset(streams)
        self._handler = handler

    async def publish(self, stream: str, payload: bytes, key: bytes | None = None) -> None:
        await self.publish_many(stream, ((payload, key),))

    async def publish_many(self, stream: str, messages: Batch) -> None:
        made = self._broker.extend(stream, messages)
        for member in list(self._broker.members):
            await member._deliver_many(made)

    async def flush(self, timeout: float) -> bool:
        return True  # publish returns once every member has it

    async def _deliver_many(self, messages: list[Message]) -> None:
        """Hand messages of one stream to this member's handler, in order."""
        handler = self._handler
        if handler is None or not messages or messages[0].stream not in self._streams:
            return
        from .delivery import record_many

        self._positions[messages[0].stream] = int(messages[-1].position)
        record_many(messages, self.options.node)
        for message in messages:
            result = handler(message)
            if inspect.isawaitable(result):
                await result

    async def read(self, stream: str, after: str | None, limit: int) -> list[Message]:
        start = int(after) if after else 0
        kept = self._broker.history.get(stream, ())
        return [m for m in kept if int(m.position) > start][:limit]
