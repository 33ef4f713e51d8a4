"""Routing cost of `/api/ws` frames in the hub, in process (no sockets): the subscription index
against the plain §1.7 predicate asked of every distinct subscription, and against the
unfiltered case (every client subscribed to everything), per delivered frame. The hub remembers
what each route reaches; "memo off" forgets it before every frame (the index or the scan then
works for every frame, as a stream with ever-new routes would).

1000 clients, each subscribed to `calls` on one of 100 talkgroups; frames cycle through the
talkgroups (10 matching clients each). Run: `python bench/radio_routing.py [--clients 1000]`.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Hashable
from typing import Any

import orjson

from listenpost.bus.base import Message
from listenpost.hub.client import Client, FullPolicy
from listenpost.hub.hub import Hub
from listenpost.radio.channels import FilterKey
from listenpost.radio.events import envelope
from listenpost.radio.routing import RadioIndex, encode_route, radio_route, route_of

STREAM = "bench.radio"


class _Scan:
    """The former routing: decode the frame, then ask every distinct subscription."""

    def __init__(self) -> None:
        self.keys: set[FilterKey] = set()

    def add(self, key: Hashable) -> None:
        assert isinstance(key, FilterKey)
        self.keys.add(key)

    def discard(self, key: Hashable) -> None:
        assert isinstance(key, FilterKey)
        self.keys.discard(key)

    def matching(self, route: Hashable) -> list[Hashable]:
        assert isinstance(route, bytes)
        frame = orjson.loads(route)
        return [k for k in self.keys if k.wants(frame["event"], frame["data"])]


def _run(
    hub: Hub,
    clients: list[Client],
    frames: list[Message],
    route: Callable[[Message], Any],
    memo: bool,
) -> tuple[float, int]:
    delivered = 0
    routes = hub._streams[STREAM].routes
    start = time.perf_counter()
    for n, message in enumerate(frames, 1):
        if not memo:
            routes.clear()
        delivered += hub.publish(STREAM, message.payload, route(message))
        if n % 200 == 0:
            for client in clients:
                client.wire.frames.clear()  # type: ignore[attr-defined]  # bench: nobody reads
    return time.perf_counter() - start, delivered


def _hub(index: Any, keys: list[FilterKey]) -> tuple[Hub, list[Client]]:
    hub = Hub()
    hub.index(STREAM, index)
    clients = [Client(STREAM, 10**9, FullPolicy.DROP, key) for key in keys]
    for client in clients:
        hub.add(client)
    return hub, clients


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--talkgroups", type=int, default=100)
    parser.add_argument("--frames", type=int, default=20_000)
    args = parser.parse_args()
    frames = []
    for n in range(args.frames):
        data = {"system": "site", "talkgroup": n % args.talkgroups, "unit": 7}
        body = orjson.dumps(envelope("call_start", data, 0.0))
        frames.append(Message(STREAM, body, encode_route(route_of("call_start", data)), "", 0))
    calls = frozenset({"calls"})
    filtered = [
        FilterKey(channels=calls, talkgroups=frozenset({i % args.talkgroups}))
        for i in range(args.clients)
    ]
    everything = [FilterKey(channels=frozenset({"*"}))] * args.clients
    cases = {
        "indexed, one talkgroup each": (RadioIndex, filtered, radio_route, True),
        "indexed, memo off": (RadioIndex, filtered, radio_route, False),
        "scan (decode + predicate), memo off": (_Scan, filtered, lambda m: m.payload, False),
        "unfiltered (every client everything)": (RadioIndex, everything, radio_route, True),
    }
    print(f"{args.clients} clients, {args.talkgroups} talkgroups, {args.frames} frames")
    for name, (index, keys, route, memo) in cases.items():
        hub, clients = _hub(index(), keys)
        seconds, delivered = _run(hub, clients, frames, route, memo)
        print(
            f"{name:45s} {seconds / args.frames * 1e6:8.1f} µs/frame "
            f"{seconds / max(delivered, 1) * 1e9:8.0f} ns/delivery "
            f"{delivered / seconds:12,.0f} deliveries/s"
        )


if __name__ == "__main__":
    main()
