"""Fan-out: one encoded frame to every matching client of a stream, never awaiting any of them.

Clients are grouped by stream and by filter key. A stream with an index (radio: the
subscriptions by channel, system, talkgroup and unit) finds the keys a frame's route reaches
with work proportional to the matching ones; a stream without one offers every frame to every
client. The hub is fed by the node's bus handler, for this node's ingest and every other's.
A message is framed once (`text_frame`) and the same bytes are written to every
matching client's transport at once: no task wakes per client. One timer sends every quiet
client its keep-alive (`tick`), instead of a timer each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable
from typing import Any, Protocol

from ..metrics import BROADCAST, DELIVERED, DROPPED, SLOW_DISCONNECTS, WS_CLIENTS
from .client import Client, Offer
from .wire import text_frame

KEEPALIVE = text_frame(b"")  # the sound streams' keep-alive: an empty text frame


class KeyIndex(Protocol):
    """The distinct filter keys of one stream, searchable by a frame's route."""

    def add(self, key: Hashable) -> None: ...
    def discard(self, key: Hashable) -> None: ...
    def matching(self, route: Hashable) -> Iterable[Hashable]: ...


class KeySlots:
    """Open WebSockets per API key, across every stream, so one key cannot hold unbounded
    sockets from many addresses (the per-address limit lives in `connguard`)."""

    def __init__(self) -> None:
        self._open: dict[str, int] = {}

    def acquire(self, key: str, limit: int) -> bool:
        held = self._open.get(key, 0)
        if limit > 0 and held >= limit:
            return False
        self._open[key] = held + 1
        return True

    def release(self, key: str) -> None:
        held = self._open.get(key, 0) - 1
        if held > 0:
            self._open[key] = held
        else:
            self._open.pop(key, None)


class Hub:
    def __init__(self) -> None:
        self._streams: dict[str, dict[Hashable, set[Client]]] = {}
        self._indexes: dict[str, KeyIndex] = {}
        self._counters: dict[str, tuple[Any, Any]] = {}  # stream -> (broadcast, delivered)
        self.key_slots = KeySlots()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, keepalive: float) -> None:
        """Send keep-alives: a client with `keepalive` set gets one after between `keepalive`/2
        and `keepalive` seconds without a frame, then every `keepalive` seconds (0: never)."""
        if keepalive > 0:
            self._schedule(keepalive / 2)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self, period: float) -> None:
        self._timer = asyncio.get_running_loop().call_later(period, self._tick, period)

    def _tick(self, period: float) -> None:
        self.tick()
        self._schedule(period)

    def tick(self) -> int:
        """One keep-alive round (every half period); returns how many keep-alives went out."""
        sent = 0
        for groups in self._streams.values():
            for members in groups.values():
                for client in members:
                    if not client.keepalive:
                        continue
                    client.idle_ticks += 1
                    if client.idle_ticks >= 2:
                        client.idle_ticks = 0
                        sent += client.wire.write_frame(KEEPALIVE)
        return sent

    def index(self, stream: str, index: KeyIndex) -> None:
        """Route `stream`'s frames through `index` (before any client of it connects)."""
        self._indexes[stream] = index

    def add(self, client: Client) -> None:
        groups = self._streams.setdefault(client.stream, {})
        members = groups.get(client.key)
        if members is None:
            members = groups[client.key] = set()
            index = self._indexes.get(client.stream)
            if index is not None:
                index.add(client.key)
        members.add(client)
        WS_CLIENTS.labels(client.stream).inc()

    def remove(self, client: Client) -> None:
        """Forget a client (idempotent: shedding and the socket's end both call it)."""
        groups = self._streams.get(client.stream, {})
        members = groups.get(client.key)
        if members and client in members:
            members.discard(client)
            WS_CLIENTS.labels(client.stream).dec()
            if not members:
                del groups[client.key]
                index = self._indexes.get(client.stream)
                if index is not None:
                    index.discard(client.key)

    def rekey(self, client: Client, key: Hashable) -> None:
        """Move a client to another filter key (its subscription changed)."""
        if client.overflowed:
            client.key = key  # shed: it stays out of the index
            return
        self.remove(client)
        client.key = key
        self.add(client)

    def shed(self, client: Client) -> None:
        """Give up on a client that fell behind: counted once, and no longer offered frames."""
        if client.mark_shed():
            SLOW_DISCONNECTS.labels(client.stream).inc()
        self.remove(client)

    def count(self, stream: str) -> int:
        return sum(len(m) for m in self._streams.get(stream, {}).values())

    def publish(self, stream: str, payload: bytes | str, route: Hashable = None) -> int:
        """Offer `payload` to every client whose key the stream's index finds for `route` (every
        client when the stream has no index or the frame no route); returns how many took it."""
        counters = self._counters.get(stream)
        if counters is None:  # a metric's labels() costs a lookup and a lock: once per stream
            labelled = (BROADCAST.labels(stream), DELIVERED.labels(stream))
            counters = self._counters[stream] = labelled
        counters[0].inc()
        groups = self._streams.get(stream)
        if not groups:
            return 0
        index = self._indexes.get(stream)
        keys = list(groups) if index is None or route is None else index.matching(route)
        frame = text_frame(payload.encode() if isinstance(payload, str) else payload)
        delivered = dropped = 0
        shed: list[Client] = []
        for key in keys:
            for client in groups.get(key, ()):
                result = client.offer(frame)
                if result is Offer.QUEUED:
                    delivered += 1
                elif result is not Offer.GONE:
                    dropped += 1
                    if result is Offer.SHED:
                        shed.append(client)
        for client in shed:
            SLOW_DISCONNECTS.labels(stream).inc()
            self.remove(client)
        if delivered:
            counters[1].inc(delivered)
        if dropped:
            DROPPED.labels(stream).inc(dropped)
        return delivered
