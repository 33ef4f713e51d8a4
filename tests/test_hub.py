"""Hub accounting without sockets: a shed client is counted once and offered nothing more;
per-key slots come back when released; frames submitted in one turn of the event loop reach
each client joined, in order, under the same slow-client policy."""

from __future__ import annotations

import asyncio
import random

import pytest

from listenpost.hub.client import Client, FullPolicy, Offer
from listenpost.hub.hub import Hub, KeySlots
from listenpost.hub.wire import MemoryWire, text_frame
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


class JoiningWire(MemoryWire):
    """A socket like the server's: several frames may come in one write; `slow` stands for a
    peer over its high-water mark."""

    takes_joined = True

    def __init__(self, slow: bool = False) -> None:
        super().__init__()
        self.slow = slow
        self.writes = 0

    def write_frame(self, frame: bytes) -> bool:
        self.writes += 1
        return super().write_frame(frame)

    def backed_up(self) -> bool:
        return self.slow

    def stream(self) -> bytes:
        return b"".join(self.frames)


def test_submitted_frames_reach_each_client_joined_in_order() -> None:
    """A group commit announces 1000 events in one turn of the loop: each client gets them
    in order, as the same byte stream, in a few writes instead of 1000."""
    stream = "test.joined"

    async def scenario() -> tuple[list[JoiningWire], MemoryWire]:
        hub = Hub()
        wires = [JoiningWire() for _ in range(3)]
        for wire in wires:
            hub.add(Client(stream, 1024, FullPolicy.DISCONNECT, wire=wire))
        plain = MemoryWire()  # a wire that reads frame by frame (resume's seam, ASGI)
        hub.add(Client(stream, 10_000, FullPolicy.DISCONNECT, wire=plain))
        for i in range(1000):
            hub.submit(stream, b'{"n":%d,"pad":"%s"}' % (i, b"x" * 300))
        assert all(w.writes == 0 for w in wires)  # held until the turn ends
        await asyncio.sleep(0)
        return wires, plain

    wires, plain = asyncio.run(scenario())
    expected = [f'{{"n":{i},"pad":"{"x" * 300}"}}' for i in range(1000)]
    for wire in wires:
        assert _split(wire.stream()).texts() == expected
        assert wire.writes <= 6  # ~320 KB in runs of ~64 KB
    assert plain.texts() == expected and len(plain.frames) == 1000


def _split(data: bytes) -> MemoryWire:
    """The frames of a byte stream of unmasked text frames."""
    out = MemoryWire()
    while data:
        n = data[1] & 0x7F
        start, size = 2, n
        if n == 126:
            start, size = 4, int.from_bytes(data[2:4], "big")
        out.frames.append(data[: start + size])
        data = data[start + size :]
    return out


def test_submitted_frames_reach_whoever_was_there_when_submitted() -> None:
    stream = "test.membership"

    async def scenario() -> tuple[MemoryWire, MemoryWire, MemoryWire]:
        hub = Hub()
        early, late, leaving = MemoryWire(), MemoryWire(), MemoryWire()
        hub.add(Client(stream, 100, FullPolicy.DROP, wire=early))
        gone = Client(stream, 100, FullPolicy.DROP, wire=leaving)
        hub.add(gone)
        hub.submit(stream, b"first")
        hub.remove(gone)  # it was there for "first"
        hub.add(Client(stream, 100, FullPolicy.DROP, wire=late))  # not there for "first"
        hub.submit(stream, b"second")
        hub.publish(stream, b"third")  # immediate, behind what was submitted
        await asyncio.sleep(0)
        return early, late, leaving

    early, late, leaving = asyncio.run(scenario())
    assert early.texts() == ["first", "second", "third"]
    assert late.texts() == ["second", "third"]
    assert leaving.texts() == ["first"]


@pytest.mark.parametrize("policy", [FullPolicy.DROP, FullPolicy.DISCONNECT])
def test_joined_offers_apply_the_slow_client_policy_as_single_offers(policy: FullPolicy) -> None:
    """Runs of frames offered joined end in the same frames, drops and shedding as the same
    frames offered one at a time, whatever the peer's state and backlog."""
    rng = random.Random(16)
    for _case in range(300):
        maxsize = rng.randint(0, 6)
        one = Client("s", maxsize, policy, wire=JoiningWire())
        joined = Client("s", maxsize, policy, wire=JoiningWire())
        counts = [[0, 0, 0], [0, 0, 0]]  # written, dropped, shed
        for run in range(rng.randint(1, 6)):
            slow = rng.random() < 0.6
            for c in (one, joined):
                c.wire.slow = slow  # type: ignore[attr-defined]
            frames = [text_frame(b"%d.%d" % (run, k)) for k in range(rng.randint(1, 5))]
            for frame in frames:
                result = one.offer(frame)
                counts[0][0] += result is Offer.QUEUED
                counts[0][1] += result in (Offer.DROPPED, Offer.SHED)
                counts[0][2] += result is Offer.SHED
            took, lost, shed = joined.offer_joined(frames, b"".join(frames))
            counts[1][0] += took
            counts[1][1] += lost
            counts[1][2] += shed
        assert counts[0] == counts[1]
        assert one.wire.stream() == joined.wire.stream()  # type: ignore[attr-defined]
        assert (one.overflowed, one.dropped) == (joined.overflowed, joined.dropped)
