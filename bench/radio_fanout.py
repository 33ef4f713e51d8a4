"""Scenario: filtered radio fan-out, in process: the hub, its radio index and the routing of
real envelopes by the bus key. 1000 `/api/ws` clients each subscribed to one of 100
talkgroups (10 per talkgroup) against the same 1000 clients subscribed to every call: the
cost per delivered frame should be about the same (within 20 %), i.e. routing work follows
the matching clients. Frames go in as the node hands them over (`Hub.submit`, one message per
turn of the loop, as in steady traffic). Median of alternating runs, two kinds of wire:

- null wires that take every frame at no cost: the routing and offering work alone, the
  harshest view of what a frame costs before its first delivery;
- loopback TCP sockets (uvloop transports, written the way the server's protocol writes):
  what a delivery costs in the server. Nobody reads them; the kernel buffers hold it all.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
from typing import Any

import orjson

from .common import Row, absolute_row

NAME = "radio fan-out with filters (in process)"
CLIENTS, TALKGROUPS = 1000, 100


class NullWire:
    """A peer that takes every frame at once."""

    def write_frame(self, frame: bytes) -> bool:
        return True

    def backed_up(self) -> bool:
        return False

    def pending(self) -> int:
        return 0

    async def drained(self, timeout: float) -> bool:
        return True

    def close_with(self, code: int, reason: str) -> None:
        pass


class SocketWire(asyncio.Protocol):
    """A server-side connection, written as `connguard.GuardedWebSocketProtocol` writes."""

    def __init__(self) -> None:
        self.transport: Any = None
        self.paused = False
        self.close_sent = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False

    def write_frame(self, frame: bytes) -> bool:
        if self.close_sent or self.transport.is_closing():
            return False
        self.transport.write(frame)
        return True

    def backed_up(self) -> bool:
        return self.paused

    def pending(self) -> int:
        return int(self.transport.get_write_buffer_size())

    async def drained(self, timeout: float) -> bool:
        return True

    def close_with(self, code: int, reason: str) -> None:
        self.transport.close()


async def _socket_wires(n: int) -> tuple[list[Any], list[socket.socket]]:
    loop = asyncio.get_running_loop()
    listener = socket.create_server(("127.0.0.1", 0), backlog=n)
    port = listener.getsockname()[1]
    wires, peers = [], []
    for _ in range(n):
        peer = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        _, wire = await loop.connect_accepted_socket(SocketWire, accepted)
        wires.append(wire)
        peers.append(peer)
    listener.close()
    return wires, peers


def _frames(messages: int) -> list[tuple[bytes, Any]]:
    from listenpost.bus.base import Message
    from listenpost.radio.events import envelope
    from listenpost.radio.routing import encode_route, route_of

    prepared = []
    for n in range(messages):
        data = {"system": "bench", "talkgroup": n % TALKGROUPS, "id": f"call-{n}"}
        body = orjson.dumps(envelope("call_start", data, 0.0))
        key = encode_route(route_of("call_start", data))
        prepared.append((body, Message("bench.radio", body, key, str(n), 0.0)))
    return prepared


def _timed(filtered: bool, messages: int, wires: list[Any]) -> tuple[float, int]:
    """(seconds for `messages` frames, deliveries): client i on talkgroup i % 100 when
    `filtered`, else on every call."""
    from listenpost.hub.client import Client, FullPolicy
    from listenpost.hub.hub import Hub
    from listenpost.metrics import HUB_COUNTS
    from listenpost.radio.channels import FilterKey
    from listenpost.radio.routing import RadioIndex, radio_route

    stream = "bench.radio"
    hub = Hub()
    hub.index(stream, RadioIndex())
    for i, wire in enumerate(wires):
        tgs = frozenset({i % TALKGROUPS}) if filtered else frozenset()
        key = FilterKey(channels=frozenset({"calls"}), talkgroups=tgs)
        hub.add(Client(stream, 1000, FullPolicy.DROP, key, wire))
    prepared = _frames(messages)
    counts = HUB_COUNTS.cell(stream)
    before = counts[1]
    start = time.perf_counter()
    for body, message in prepared:  # the node's path, one message per turn of the loop
        hub.submit(stream, body, radio_route(message))
        hub.flush()  # what the end of the turn does
    return time.perf_counter() - start, counts[1] - before


def _per_delivery_us(filtered: bool, messages: int, wires: list[Any]) -> tuple[float, int]:
    seconds, delivered = _timed(filtered, messages, wires)
    return seconds / max(delivered, 1) * 1e6, delivered


def _proportional(messages: int, runs: int) -> tuple[float, float]:
    """(µs per frame when 10 of 1000 clients match, µs per frame with only those 10 clients):
    equal when routing work follows the matching clients, not the connected ones."""
    many, few = [], []
    matching = CLIENTS // TALKGROUPS
    for _ in range(runs):
        seconds, _ = _timed(True, messages, [NullWire() for _ in range(CLIENTS)])
        many.append(seconds / messages * 1e6)
        seconds, _ = _timed(False, messages, [NullWire() for _ in range(matching)])
        few.append(seconds / messages * 1e6)
    return statistics.median(many), statistics.median(few)


def _ratio(wires: Any, messages: int, runs: int) -> tuple[float, float, int]:
    """(median unfiltered µs per delivery, median filtered/unfiltered, deliveries per run)."""
    unfiltered, filtered = [], []
    n = 0
    for _ in range(runs):
        u, n = _per_delivery_us(False, messages // 50, wires())
        f, _ = _per_delivery_us(True, messages, wires())
        unfiltered.append(u)
        filtered.append(f)
    u = statistics.median(unfiltered)
    return u, statistics.median(filtered) / u, n


async def _over_sockets(messages: int, runs: int) -> tuple[float, float, int]:
    wires, peers = await _socket_wires(CLIENTS)
    try:
        # fresh sockets are not needed per run: each run writes ~30 KB per socket at most
        return _ratio(lambda: wires, messages, runs)
    finally:
        for wire in wires:
            wire.transport.abort()
        for peer in peers:
            peer.close()


async def _over_null(messages: int, runs: int) -> tuple[float, float, int]:
    return _ratio(lambda: [NullWire() for _ in range(CLIENTS)], messages, runs)


def run(quick: bool) -> list[Row]:
    messages, runs = (2_000, 3) if quick else (10_000, 5)
    try:
        from uvloop import run as loop_run
    except ImportError:
        loop_run = asyncio.run  # type: ignore[assignment]
    null_u, null_r, null_n = loop_run(_over_null(messages, runs))
    many, few = loop_run(_async(_proportional, messages, runs))
    sock_u, sock_r, sock_n = loop_run(_over_sockets(messages, runs))
    target = "filtered (1 of 100 talkgroups): per delivery ≤ 1.2× unfiltered"
    return [
        Row("null wires, unfiltered: µs per delivered frame (1000 clients)", null_u, "µs",
            note=f"routing work alone; {null_n:,} deliveries, median of {runs}"),
        Row("null wires, filtered ÷ unfiltered per delivery", null_r, "×",
            note="no target: a fixed per-frame cost (~2.5 µs) spread over 10 deliveries "
            "instead of 1000; docs/performance.md"),
        absolute_row("null wires: routing work follows matching clients: µs per frame, "
                     "10 of 1000 match ≤ 1.2× 10 clients in all", many / few, "×", 1.2, False),
        Row("loopback sockets, unfiltered: µs per delivered frame (1000 clients)", sock_u, "µs",
            note=f"{sock_n:,} deliveries, median of {runs}"),
        absolute_row(f"loopback sockets, {target}", sock_r, "×", 1.2, False),
    ]


async def _async(fn: Any, *args: Any) -> Any:
    return fn(*args)
