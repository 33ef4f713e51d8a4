"""One contract, every bus (memory://, redis://, nats://): per-stream order, each message to
every node exactly once, keys beside payloads, reading from a position, bounded retention,
an outage survived without a duplicate or a gap, and a stop that never hangs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis
from servers import BusServer, forget, shared_url
from support import free_port

from listenpost.bus.base import Bus, Message, from_url, order
from listenpost.bus.settings import BusOptions
from listenpost.metrics import BUS_ERRORS

STREAMS = ("conf.a", "conf.b")
DEADLINE = 30.0  # seconds before a wait counts as failed (never a performance bound)


class Peer:
    """A stand-in node: one bus, and what its handler received."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus
        self.got: list[Message] = []

    def on(self, message: Message) -> None:
        self.got.append(message)

    def payloads(self, stream: str) -> list[bytes]:
        return [m.payload for m in self.got if m.stream == stream]


async def eventually(condition: Callable[[], bool], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"not within {DEADLINE} s: {what}")
        await asyncio.sleep(0.02)


class Cluster:
    """Peers on one bus URL under a prefix of their own."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"lpt{uuid.uuid4().hex[:10]}"
        self.peers: list[Peer] = []

    async def add(self, n: int = 1, **options: Any) -> list[Peer]:
        added = []
        for _ in range(n):
            name = f"{self.prefix}-{len(self.peers)}"
            bus = from_url(self.url, BusOptions(prefix=self.prefix, node=name, **options))
            peer = Peer(bus)
            bus.subscribe(STREAMS, peer.on)
            await bus.start()
            self.peers.append(peer)
            added.append(peer)
        return added

    async def close(self) -> None:
        for peer in self.peers:
            await asyncio.wait_for(peer.bus.stop(), DEADLINE)
        await forget(self.url, self.prefix)


@pytest.fixture(params=["memory", "redis", "nats"])
async def cluster(request: pytest.FixtureRequest) -> AsyncIterator[Cluster]:
    kind = request.param
    url = f"memory://conformance-{uuid.uuid4().hex}" if kind == "memory" else shared_url(kind)
    group = Cluster(url)
    yield group
    await group.close()


def same_order_everywhere(peers: list[Peer], stream: str) -> list[bytes]:
    first = peers[0].payloads(stream)
    for peer in peers[1:]:
        assert peer.payloads(stream) == first
    return first


async def test_every_node_gets_every_message_once_in_one_order(cluster: Cluster) -> None:
    peers = await cluster.add(3)

    async def talk(i: int, peer: Peer) -> None:
        for n in range(60):
            key = None if n % 3 == 0 else f"key {i}/{n}".encode()
            await peer.bus.publish(STREAMS[n % 2], f"{i}/{n}".encode(), key)
            if n % 7 == 0:
                await asyncio.sleep(0)

    await asyncio.gather(*(talk(i, p) for i, p in enumerate(peers)))
    await eventually(lambda: all(len(p.got) >= 180 for p in peers), "180 messages each")
    await asyncio.sleep(0.2)  # room for a duplicate to show up
    for peer in peers:
        assert len(peer.got) == 180 and len({m.payload for m in peer.got}) == 180
        for m in peer.got:
            i, n = m.payload.decode().split("/")
            assert m.key == (None if int(n) % 3 == 0 else f"key {i}/{n}".encode())
    for stream in STREAMS:
        seen = same_order_everywhere(peers, stream)
        for i in range(3):  # each publisher's messages keep their order
            mine = [int(p.split(b"/")[1]) for p in seen if p.startswith(f"{i}/".encode())]
            assert mine == sorted(mine) and len(mine) == 30
        positions = [order(m.position) for m in peers[0].got if m.stream == stream]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)


async def test_publish_many_is_publish_for_each_in_order(cluster: Cluster) -> None:
    """A group handed over in one call reaches every node as the same messages one by one
    would: in order, keys beside payloads, between what was published before and after."""
    peers = await cluster.add(2)
    first = peers[0]
    await first.bus.publish(STREAMS[0], b"before", b"k-before")
    group = [(b"g%d" % n, None if n % 4 == 0 else b"k%d" % n) for n in range(50)]
    await first.bus.publish_many(STREAMS[0], group)
    await first.bus.publish_many(STREAMS[0], [])
    await first.bus.publish(STREAMS[0], b"after", None)
    want = [b"before", *(p for p, _k in group), b"after"]
    await eventually(lambda: all(len(p.got) >= len(want) for p in peers), "52 messages each")
    await asyncio.sleep(0.2)  # room for a duplicate to show up
    for peer in peers:
        assert peer.payloads(STREAMS[0]) == want
        assert [m.key for m in peer.got[1:51]] == [k for _p, k in group]
        positions = [order(m.position) for m in peer.got]
        assert positions == sorted(positions) and len(set(positions)) == len(positions)
    read = await first.bus.read(STREAMS[0], None, 100)
    assert [m.payload for m in read] == want


async def test_read_from_a_position(cluster: Cluster) -> None:
    (peer,) = await cluster.add(1)
    for n in range(20):
        await peer.bus.publish(STREAMS[0], b"%d" % n, b"k%d" % n)
    await eventually(lambda: len(peer.got) == 20, "20 messages")
    tenth = peer.got[9].position
    after = await peer.bus.read(STREAMS[0], tenth, 100)
    assert [m.payload for m in after] == [b"%d" % n for n in range(10, 20)]
    assert [m.key for m in after] == [b"k%d" % n for n in range(10, 20)]
    assert [m.position for m in after] == [m.position for m in peer.got[10:]]
    assert [m.payload for m in await peer.bus.read(STREAMS[0], None, 3)] == [b"0", b"1", b"2"]
    assert await peer.bus.read(STREAMS[0], peer.got[-1].position, 10) == []


async def test_retention_is_bounded_by_count(cluster: Cluster) -> None:
    (peer,) = await cluster.add(1, maxlen=50)
    for n in range(500):
        await peer.bus.publish(STREAMS[0], b"%d" % n)
    await eventually(lambda: bool(peer.got) and peer.got[-1].payload == b"499", "the last message")
    got = [int(m.payload) for m in peer.got]  # what was trimmed before it was read is gone
    assert got == sorted(set(got))
    kept = await peer.bus.read(STREAMS[0], None, 10_000)
    slack = 100 if cluster.url.startswith("redis") else 0  # MAXLEN ~ trims whole nodes
    assert 50 <= len(kept) <= 50 + slack
    assert [m.payload for m in kept] == [b"%d" % n for n in range(500 - len(kept), 500)]


async def test_retention_is_bounded_by_age(cluster: Cluster) -> None:
    (peer,) = await cluster.add(1, max_age=1.0)
    for n in range(5):
        await peer.bus.publish(STREAMS[0], b"old %d" % n)
    await eventually(lambda: len(peer.got) == 5, "5 messages")
    await asyncio.sleep(1.5)
    for n in range(5):
        await peer.bus.publish(STREAMS[0], b"new %d" % n)
    await eventually(lambda: len(peer.got) == 10, "10 messages")
    kept: list[Message] = []

    async def only_new() -> bool:
        kept[:] = await peer.bus.read(STREAMS[0], None, 100)
        return all(m.payload.startswith(b"new") for m in kept)

    loop = asyncio.get_running_loop()
    deadline = loop.time() + DEADLINE
    while not await only_new():  # NATS expires on its own schedule
        assert loop.time() < deadline, f"old messages kept: {kept}"
        await asyncio.sleep(0.1)


async def test_a_node_back_from_a_break_reads_on_from_where_it_stopped(cluster: Cluster) -> None:
    stays, leaves = await cluster.add(2, maxlen=50)
    for n in range(10):
        await stays.bus.publish(STREAMS[0], b"%d" % n)
    await eventually(lambda: len(leaves.got) == 10, "10 messages")
    await leaves.bus.stop()
    for n in range(10, 40):  # within retention
        await stays.bus.publish(STREAMS[0], b"%d" % n)
    await eventually(lambda: len(stays.got) == 40, "40 messages")
    await leaves.bus.start()
    await eventually(lambda: len(leaves.got) >= 40, "the missed 30")
    assert leaves.payloads(STREAMS[0]) == [b"%d" % n for n in range(40)]

    await leaves.bus.stop()
    gaps = BUS_ERRORS.labels("gap")._value.get()
    for n in range(40, 400):  # beyond retention: the node gets the tail, and says so
        await stays.bus.publish(STREAMS[0], b"%d" % n)
    await eventually(lambda: stays.got[-1].payload == b"399", "the last message")
    await leaves.bus.start()
    await eventually(lambda: leaves.got[-1].payload == b"399", "the last message")
    got = [int(p) for p in leaves.payloads(STREAMS[0])]
    assert got[:40] == list(range(40)) and got == sorted(set(got)) and len(got) < 400
    if not cluster.url.startswith("memory"):
        assert BUS_ERRORS.labels("gap")._value.get() > gaps


async def test_flush_returns_once_what_was_published_is_in_the_bus(cluster: Cluster) -> None:
    """Writers of ordered streams publish, flush, then let the next node publish
    (cluster/order.py): after `flush`, every node can read the messages, in order."""
    first, second = await cluster.add(2)
    turns = [(n, i) for n in range(3) for i in range(2)]
    for n, i in turns:
        peer = (first, second)[i]
        for k in range(20):
            await peer.bus.publish(STREAMS[0], b"%d/%d/%d" % (n, i, k))
        assert await peer.bus.flush(DEADLINE)
        kept = await second.bus.read(STREAMS[0], None, 10_000)
        assert kept and kept[-1].payload == b"%d/%d/19" % (n, i)
    await eventually(lambda: len(first.got) == 120, "120 messages")
    assert [m.payload for m in first.got] == [
        b"%d/%d/%d" % (n, i, k) for n, i in turns for k in range(20)
    ]


@pytest.mark.parametrize("kind", ["redis", "nats"])
async def test_flush_without_a_bus_says_so_at_once(kind: str) -> None:
    url = f"{kind}://127.0.0.1:{free_port()}" + ("/0" if kind == "redis" else "")
    bus = from_url(url, BusOptions(prefix="lpt-nobody"))
    bus.subscribe(STREAMS, lambda m: None)
    await asyncio.wait_for(bus.start(), DEADLINE)
    await bus.publish(STREAMS[0], b"held")
    assert await asyncio.wait_for(bus.flush(DEADLINE * 10), DEADLINE) is False
    await asyncio.wait_for(bus.stop(), DEADLINE)


@pytest.mark.parametrize("kind", ["redis", "nats"])
async def test_stop_never_hangs_without_a_bus(kind: str) -> None:
    url = f"{kind}://127.0.0.1:{free_port()}" + ("/0" if kind == "redis" else "")
    bus = from_url(url, BusOptions(prefix="lpt-nobody"))
    bus.subscribe(STREAMS, lambda m: None)
    await asyncio.wait_for(bus.start(), DEADLINE)  # a node starts, and serves, without it
    assert not bus.available
    for n in range(10):
        await bus.publish(STREAMS[0], b"%d" % n)  # held, never raised
    await asyncio.wait_for(bus.stop(), DEADLINE)


async def test_a_restarted_bus_loses_nothing_and_repeats_nothing(private_bus: BusServer) -> None:
    group = Cluster(private_bus.url)
    try:
        first, second = await group.add(2)
        for n in range(30):
            await first.bus.publish(STREAMS[0], b"%d" % n, b"k")
        await eventually(lambda: len(first.got) == len(second.got) == 30, "30 messages each")
        private_bus.stop()
        await eventually(
            lambda: not first.bus.available and not second.bus.available, "outage noticed"
        )
        for n in range(30, 60):  # published during the outage: held, then sent
            await second.bus.publish(STREAMS[0], b"%d" % n, b"k")
        private_bus.start()
        await eventually(lambda: len(first.got) >= 60 and len(second.got) >= 60, "60 each")
        await eventually(lambda: first.bus.available and second.bus.available, "recovered")
        for n in range(60, 70):
            await first.bus.publish(STREAMS[0], b"%d" % n, b"k")
        await eventually(lambda: len(first.got) >= 70 and len(second.got) >= 70, "70 each")
        for peer in (first, second):
            assert peer.payloads(STREAMS[0]) == [b"%d" % n for n in range(70)]
    finally:
        await group.close()


async def test_killed_connections_resume_where_they_stopped() -> None:
    """Redis: `CLIENT KILL` this test's connections again and again while messages flow."""
    group = Cluster(shared_url("redis"))
    admin = Redis.from_url(group.url)
    try:
        first, second = await group.add(2)
        stop = asyncio.Event()

        async def kill() -> None:
            while not stop.is_set():
                for client in await admin.client_list():
                    if str(client.get("name", "")).startswith(f"listenpost:{group.prefix}"):
                        await admin.client_kill_filter(_id=client["id"])
                await asyncio.sleep(0.05)

        killer = asyncio.create_task(kill())
        for n in range(300):
            await (first if n % 2 else second).bus.publish(STREAMS[n % 2], b"%d" % n)
            if n % 10 == 0:
                await asyncio.sleep(0.02)
        stop.set()
        await killer
        await eventually(lambda: len(first.got) >= 300 and len(second.got) >= 300, "300 each")
        await asyncio.sleep(0.2)
        for stream in STREAMS:
            seen = same_order_everywhere([first, second], stream)
            numbers = [int(p) for p in seen]
            assert sorted(numbers) == [n for n in range(300) if n % 2 == STREAMS.index(stream)]
            for parity in (0, 1):  # one publisher's messages keep their order
                mine = [n for n in numbers if (n // 1) % 2 == parity]
                assert mine == sorted(mine)
    finally:
        await admin.aclose()
        await group.close()


async def test_a_message_stored_twice_is_delivered_once() -> None:
    """Redis: a publisher that never saw its acknowledgement writes the batch again (same
    `<publisher>:<counter>`); the node delivers it once and counts the repeat. An entry
    without a usable id (another writer's) is still delivered: nothing is lost."""
    group = Cluster(shared_url("redis"))
    admin = Redis.from_url(group.url)
    try:
        (peer,) = await group.add(1)
        key = f"{group.prefix}:{STREAMS[0]}"
        duplicates = BUS_ERRORS.labels("duplicate")._value.get()
        entries: list[dict[str, bytes | str]] = [
            {"p": b"one", "m": "other:1"},
            {"p": b"one", "m": "other:1"},
            {"p": b"two", "m": "other:2"},
            {"p": b"three"},
            {"p": b"four", "m": "other:x"},
        ]
        for fields in entries:
            await admin.xadd(key, fields)  # type: ignore[arg-type]
        await peer.bus.publish(STREAMS[0], b"last")  # arrives after all of the above
        await eventually(lambda: b"last" in peer.payloads(STREAMS[0]), "the last message")
        assert peer.payloads(STREAMS[0]) == [b"one", b"two", b"three", b"four", b"last"]
        assert BUS_ERRORS.labels("duplicate")._value.get() == duplicates + 1
    finally:
        await admin.aclose()
        await group.close()
