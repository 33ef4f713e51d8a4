"""Scenario: filtered radio fan-out, in process (the hub, its radio index and the routing of
real envelopes; wires that take frames at no cost, so the figure is the routing and offering
work alone). 1000 `/api/ws` clients each subscribed to one of 100 talkgroups (10 per
talkgroup) against the same 1000 clients subscribed to every call: the cost per delivered
frame should be about the same (within 20 %), i.e. routing work follows the matching clients.
"""

from __future__ import annotations

import time

import orjson

from .common import Row, absolute_row

NAME = "radio fan-out with filters (in process)"


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


def _per_delivery_us(filtered: bool, messages: int) -> tuple[float, int]:
    from listenpost.bus.base import Message
    from listenpost.hub.client import Client, FullPolicy
    from listenpost.hub.hub import Hub
    from listenpost.radio.channels import FilterKey
    from listenpost.radio.events import envelope
    from listenpost.radio.routing import RadioIndex, encode_route, radio_route, route_of

    stream = "bench.radio"
    hub = Hub()
    hub.index(stream, RadioIndex())
    for i in range(1000):
        tgs = frozenset({i % 100}) if filtered else frozenset()
        key = FilterKey(channels=frozenset({"calls"}), talkgroups=tgs)
        hub.add(Client(stream, 1000, FullPolicy.DROP, key, NullWire()))
    prepared = []
    for n in range(messages):
        data = {"system": "bench", "talkgroup": n % 100, "id": f"call-{n}"}
        body = orjson.dumps(envelope("call_start", data, 0.0))
        key = encode_route(route_of("call_start", data))
        prepared.append((body, Message(stream, body, key, str(n), 0.0)))
    delivered = 0
    start = time.perf_counter()
    for body, message in prepared:
        delivered += hub.publish(stream, body, radio_route(message))
    return (time.perf_counter() - start) / max(delivered, 1) * 1e6, delivered


def run(quick: bool) -> list[Row]:
    messages = 2_000 if quick else 10_000
    unfiltered, n_all = _per_delivery_us(False, messages // 50)
    filtered, n_some = _per_delivery_us(True, messages)
    return [
        Row("unfiltered: µs per delivered frame (1000 clients)", unfiltered, "µs",
            note=f"{n_all:,} deliveries"),
        absolute_row("filtered (1 of 100 talkgroups): per delivery ≤ 1.2× unfiltered",
                     filtered / unfiltered, "×", 1.2, False),
    ]
