"""Fan-out: one encoded frame to every matching client of a stream, never awaiting any of them.

Clients are grouped by stream and by filter key. A stream with an index (radio: the
subscriptions by channel, system, talkgroup and unit) finds the keys a frame's route reaches
with work proportional to the matching ones; a stream without one offers every frame to every
client. The hub is fed by the node's bus handler, for this node's ingest and every other's.
A message is framed once (`text_frame`) and the same bytes are written to every
matching client's transport at once: no task wakes per client. One timer sends every quiet
client its keep-alive (`tick`), instead of a timer each.

Messages from the bus are `submit`ted: held until the current turn of the event loop ends,
then each client gets the frames meant for it joined into one write (`flush`). A group
commit announces its events without yielding, so a 1000-event group reached each client as
1000 writes (a `send` system call each, plus a few Python calls per client per frame: with
100 clients, ~60 % of the event loop's time); joined, it is a few writes per client.
Whatever changes who receives what (a client added, removed or rekeyed, a keep-alive round,
an immediate `publish`) flushes first, so each frame reaches exactly the clients it would
have reached when it was submitted, in the same order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable, Iterable
from typing import Protocol

from ..metrics import DROPPED, HUB_COUNTS, SLOW_DISCONNECTS, WS_CLIENTS
from .client import Client, Offer
from .wire import HEADS, text_frame

KEEPALIVE = text_frame(b"")  # the sound streams' keep-alive: an empty text frame
JOIN_BYTES = 64 * 1024  # frames joined into one write per client, at most (about)


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


class _Stream:
    """One stream's clients, grouped by filter key, and what its frames cost to route."""

    __slots__ = ("groups", "index", "routes", "clients", "counts")

    def __init__(self, name: str) -> None:
        self.groups: dict[Hashable, set[Client]] = {}
        self.index: KeyIndex | None = None
        #: route -> the member sets of the keys it reaches (valid until a key joins or leaves
        #: the index; a client joining or leaving an existing key's set changes nothing here)
        self.routes: dict[Hashable, tuple[set[Client], ...]] = {}
        self.clients = 0
        self.counts = HUB_COUNTS.cell(name)  # [broadcast, delivered], shared by every hub

    def reached(self, route: Hashable) -> tuple[set[Client], ...]:
        """The member sets a frame with this route goes to (looked up once per route)."""
        found = self.routes.get(route)
        if found is None:
            assert self.index is not None
            groups = self.groups
            found = tuple(groups[key] for key in self.index.matching(route) if key in groups)
            if len(self.routes) >= MAX_ROUTES:
                self.routes.clear()
            self.routes[route] = found
        return found


#: Routes remembered per indexed stream; past this many the memo starts afresh.
MAX_ROUTES = 4096


class Hub:
    def __init__(self) -> None:
        self._streams: dict[str, _Stream] = {}
        self._indexes: dict[str, KeyIndex] = {}
        self.key_slots = KeySlots()
        self._timer: asyncio.TimerHandle | None = None
        self._held: dict[str, list[tuple[bytes, Hashable]]] = {}  # submitted, not yet written
        self._flush: asyncio.Handle | None = None

    def start(self, keepalive: float) -> None:
        """Send keep-alives: a client with `keepalive` set gets one after between `keepalive`/2
        and `keepalive` seconds without a frame, then every `keepalive` seconds (0: never)."""
        if keepalive > 0:
            self._schedule(keepalive / 2)

    def stop(self) -> None:
        self.flush()
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
        self.flush()
        sent = 0
        for state in self._streams.values():
            for members in state.groups.values():
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
        state = self._streams.get(stream)
        if state is not None:
            state.index = index
            state.routes.clear()

    def _stream(self, name: str) -> _Stream:
        state = self._streams.get(name)
        if state is None:
            state = self._streams[name] = _Stream(name)
            state.index = self._indexes.get(name)
        return state

    def add(self, client: Client) -> None:
        self.flush()  # what was submitted before it joined is not its
        state = self._stream(client.stream)
        members = state.groups.get(client.key)
        if members is None:
            members = state.groups[client.key] = set()
            if state.index is not None:
                state.index.add(client.key)
                state.routes.clear()
        if client not in members:
            members.add(client)
            state.clients += 1
            WS_CLIENTS.labels(client.stream).inc()

    def remove(self, client: Client) -> None:
        """Forget a client (idempotent: shedding and the socket's end both call it)."""
        self.flush()
        state = self._streams.get(client.stream)
        if state is None:
            return
        members = state.groups.get(client.key)
        if members and client in members:
            members.discard(client)
            state.clients -= 1
            WS_CLIENTS.labels(client.stream).dec()
            if not members:
                del state.groups[client.key]
                if state.index is not None:
                    state.index.discard(client.key)
                    state.routes.clear()

    def rekey(self, client: Client, key: Hashable) -> None:
        """Move a client to another filter key (its subscription changed). A client no longer
        in the hub (shed, or its socket ended while its last request was being answered)
        only takes the key: it is not offered frames again."""
        state = self._streams.get(client.stream)
        members = None if state is None else state.groups.get(client.key)
        if client.overflowed or members is None or client not in members:
            client.key = key
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
        state = self._streams.get(stream)
        return 0 if state is None else state.clients

    def publish(self, stream: str, payload: bytes | str, route: Hashable = None) -> int:
        """Offer `payload` to every client whose key the stream's index finds for `route` (every
        client when the stream has no index or the frame no route); returns how many took it.
        (The per-frame path: everything here is paid once per frame, whether it reaches one
        client or thousands, so it stays short.)"""
        if self._held:
            self.flush()  # what was submitted goes first
        state = self._streams.get(stream) or self._stream(stream)
        state.counts[0] += 1
        reached = self._reached(state, route)
        if not reached:
            return 0
        body = payload.encode() if isinstance(payload, str) else payload
        n = len(body)
        return self._offer(
            stream, state, reached, HEADS[n] + body if n < 4096 else text_frame(body)
        )

    @staticmethod
    def _reached(state: _Stream, route: Hashable) -> tuple[set[Client], ...]:
        if route is not None and state.index is not None:
            reached = state.routes.get(route)
            return state.reached(route) if reached is None else reached
        return tuple(state.groups.values()) if state.clients else ()

    def _offer(
        self, stream: str, state: _Stream, reached: tuple[set[Client], ...], frame: bytes
    ) -> int:
        """One frame to every client of `reached`; returns how many took it."""
        delivered = 0
        trouble: list[tuple[Client, Offer]] | None = None
        for members in reached:
            for client in members:
                result = client.offer(frame)
                if result is QUEUED:
                    delivered += 1
                elif result is not GONE:
                    if trouble is None:
                        trouble = []
                    trouble.append((client, result))
        state.counts[1] += delivered
        if trouble is not None:
            self._troubled(stream, trouble)
        return delivered

    def submit(self, stream: str, payload: bytes, route: Hashable = None) -> None:
        """`publish` when this turn of the event loop ends, joined with the other frames
        submitted meanwhile (see the module's doc); at once when no loop runs."""
        state = self._streams.get(stream)
        if state is None or not state.clients:
            self._stream(stream).counts[0] += 1  # nobody to write to, now or at the flush
            return
        held = self._held.get(stream)
        if held is None:
            held = self._held[stream] = []
        body = payload
        n = len(body)
        held.append((HEADS[n] + body if n < 4096 else text_frame(body), route))
        if self._flush is None:
            try:
                self._flush = asyncio.get_running_loop().call_soon(self.flush)
            except RuntimeError:
                self.flush()

    def flush(self) -> None:
        """Write every submitted frame now."""
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        if not self._held:
            return
        held, self._held = self._held, {}
        for stream, frames in held.items():
            if len(frames) == 1:  # steady traffic: one frame a turn, nothing to join
                frame, route = frames[0]
                state = self._stream(stream)
                state.counts[0] += 1
                reached = self._reached(state, route)
                if reached:
                    self._offer(stream, state, reached, frame)
            else:
                self._write_joined(stream, frames)

    def _write_joined(self, stream: str, frames: list[tuple[bytes, Hashable]]) -> None:
        state = self._stream(stream)
        state.counts[0] += len(frames)
        if not state.clients:
            return
        runs: list[tuple[set[Client], list[bytes]]]  # clients and the frames each gets
        if state.index is None:
            everyone = [frame for frame, _route in frames]
            runs = [(members, everyone) for members in state.groups.values()]
        else:
            per_set: dict[int, tuple[set[Client], list[bytes]]] = {}
            for frame, route in frames:
                reached = tuple(state.groups.values()) if route is None else state.reached(route)
                for members in reached:
                    run = per_set.get(id(members))
                    if run is None:
                        per_set[id(members)] = (members, [frame])
                    else:
                        run[1].append(frame)
            runs = list(per_set.values())
        delivered = dropped = 0
        shed: list[Client] = []
        for members, mine in runs:
            for part in _slices(mine):
                joined = b"".join(part) if len(part) > 1 else part[0]
                for client in members:
                    took, lost, gone = client.offer_joined(part, joined)
                    delivered += took
                    dropped += lost
                    if gone:
                        shed.append(client)
        state.counts[1] += delivered
        if dropped:
            DROPPED.labels(stream).inc(dropped)
        for client in shed:
            SLOW_DISCONNECTS.labels(stream).inc()
            self.remove(client)

    def _troubled(self, stream: str, trouble: list[tuple[Client, Offer]]) -> None:
        """Frames that did not fit (counted), and the clients that were shed for it."""
        DROPPED.labels(stream).inc(len(trouble))
        for client, result in trouble:
            if result is Offer.SHED:
                SLOW_DISCONNECTS.labels(stream).inc()
                self.remove(client)


QUEUED, GONE = Offer.QUEUED, Offer.GONE


def _slices(frames: list[bytes]) -> Iterable[list[bytes]]:
    """Consecutive runs of `frames` of about JOIN_BYTES each (a frame is never split)."""
    if len(frames) == 1:
        yield frames
        return
    start = size = 0
    for end, frame in enumerate(frames):
        size += len(frame)
        if size >= JOIN_BYTES:
            yield frames[start : end + 1]
            start, size = end + 1, 0
    if start < len(frames):
        yield frames[start:]
