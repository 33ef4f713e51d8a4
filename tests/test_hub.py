"""Hub accounting without sockets: a shed client is counted once and offered nothing more;
per-key slots come back when released."""

from __future__ import annotations

import asyncio

from listenpost.hub.client import Client, FullPolicy, Offer
from listenpost.hub.hub import Hub, KeySlots
from listenpost.metrics import DROPPED, SLOW_DISCONNECTS, WS_CLIENTS


def value(metric: object, stream: str) -> float:
    return float(metric.labels(stream)._value.get())  # type: ignore[attr-defined]


def test_overflowing_client_is_counted_once_and_unregistered() -> None:
    stream = "test.shed-once"
    hub = Hub()
    slow = Client(stream, 2, FullPolicy.DISCONNECT)
    hub.add(slow)
    for i in range(50):
        hub.publish(stream, f"frame {i}")
    assert value(SLOW_DISCONNECTS, stream) == 1.0
    assert value(DROPPED, stream) == 1.0  # the one frame that did not fit; then it was gone
    assert value(WS_CLIENTS, stream) == 0.0 and hub.count(stream) == 0
    hub.shed(slow)  # the socket's end shedding again changes nothing
    hub.remove(slow)
    assert value(SLOW_DISCONNECTS, stream) == 1.0 and value(WS_CLIENTS, stream) == 0.0


def test_drop_policy_client_stays() -> None:
    stream = "test.drop"
    hub = Hub()
    client = Client(stream, 1, FullPolicy.DROP)
    hub.add(client)
    assert [client.offer(f"{i}") for i in range(3)] == [Offer.QUEUED, Offer.DROPPED, Offer.DROPPED]
    assert not client.overflowed and hub.count(stream) == 1


def test_replies_wait_for_room_then_give_up() -> None:
    async def scenario() -> tuple[bool, bool]:
        client = Client("test.replies", 10, FullPolicy.DROP)
        first = await client.reply("x" * 60, max_bytes=100, timeout=0.05)  # one always fits
        second = await client.reply("y" * 60, max_bytes=100, timeout=0.05)  # nobody drains
        return first, second

    assert asyncio.run(scenario()) == (True, False)


def test_key_slots() -> None:
    slots = KeySlots()
    assert slots.acquire("k", 2) and slots.acquire("k", 2) and not slots.acquire("k", 2)
    assert slots.acquire("other", 2)
    slots.release("k")
    assert slots.acquire("k", 2)
    assert all(slots.acquire("free", 0) for _ in range(5))  # 0: no limit


def test_frames_broadcast_and_delivered_are_counted_in_metrics() -> None:
    from listenpost.metrics import REGISTRY

    stream = "test.counted"
    hub = Hub()
    clients = [Client(stream, 10, FullPolicy.DROP) for _ in range(3)]
    for client in clients:
        hub.add(client)
    hub.publish(stream, b"one")
    hub.remove(clients[0])
    hub.publish(stream, "two")
    labels = {"stream": stream}
    assert REGISTRY.get_sample_value("listenpost_messages_broadcast_total", labels) == 2.0
    assert REGISTRY.get_sample_value("listenpost_messages_delivered_total", labels) == 5.0
