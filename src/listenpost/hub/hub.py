"""Fan-out: one encoded frame to every matching client of a stream, never awaiting any of them.

Clients are indexed by stream and by filter key, so a filter is evaluated once per distinct
key, not once per client. The hub is fed by the node's bus handler, so a cross-node bus can
drive it the same way as in-process ingest.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from ..metrics import BROADCAST, DELIVERED, DROPPED, SLOW_DISCONNECTS, WS_CLIENTS
from .client import Client, Offer

Match = Callable[[Hashable], bool]


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
        self.key_slots = KeySlots()

    def add(self, client: Client) -> None:
        self._streams.setdefault(client.stream, {}).setdefault(client.key, set()).add(client)
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

    def publish(self, stream: str, frame: str, match: Match | None = None) -> int:
        """Offer `frame` to every client whose key matches; returns how many took it."""
        BROADCAST.labels(stream).inc()
        groups = self._streams.get(stream)
        if not groups:
            return 0
        delivered = dropped = 0
        shed: list[Client] = []
        for key, members in list(groups.items()):
            if match is not None and not match(key):
                continue
            for client in members:
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
            DELIVERED.labels(stream).inc(delivered)
        if dropped:
            DROPPED.labels(stream).inc(dropped)
        return delivered
