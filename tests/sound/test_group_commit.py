"""Group commit (store/groupcommit.py): concurrent ingest requests share transactions, yet
each is answered only once stored, in order, and a bad request fails alone.

The API tests run on SQLite and PostgreSQL (the `server` fixture); the unit tests drive the
writer directly against a real database of each kind."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from helpers import make_mic
from sqlalchemy import Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from support import Server, create_pg_database, insert_mic
from websockets.sync.client import connect

from listenpost.bus.base import Batch
from listenpost.bus.memory import MemoryBus
from listenpost.errors import Invalid
from listenpost.sound.ingest import Ingest
from listenpost.sound.models import EventIn
from listenpost.store import sound as store
from listenpost.store import tables as t
from listenpost.store.db import make_engine
from listenpost.store.groupcommit import GroupCommit
from listenpost.store.migrations import migrate

STAMP = "2026-03-26T09:00:00Z"


def _post_concurrently(srv: Server, token: str, bodies: list[tuple[str, Any]]) -> list[Any]:
    """Post every (path, body) from 16 threads; returns the 201 bodies in `bodies` order."""
    results: list[Any] = [None] * len(bodies)
    queue = list(enumerate(bodies))
    lock = threading.Lock()

    def worker() -> None:
        with srv.client(token) as c:
            while True:
                with lock:
                    if not queue:
                        return
                    index, (path, body) = queue.pop()
                r = c.post(path, json=body)
                assert r.status_code == 201, r.text
                results[index] = r.json()

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _post_and_read(srv: Server, token: str, mic: str, ws: Any) -> tuple[list[Any], list[str]]:
    """120 concurrent requests, a third of them batches, all with one created_at; returns
    their answers and the ids of the live frames that followed, in arrival order."""

    def item(n: int) -> dict[str, Any]:
        return {"mic_id": mic, "label_id": "crying", "confidence": n / 10_000, "created_at": STAMP}

    bodies: list[tuple[str, Any]] = []
    for n in range(120):
        if n % 3:
            bodies.append(("/api/v1/events", item(n * 10)))
        else:
            batch = [item(n * 10 + k) for k in range(1 + n % 7)]
            bodies.append(("/api/v1/events/batch", {"events": batch}))
    answers = _post_concurrently(srv, token, bodies)
    count = sum(len(a["data"]) if "data" in a else 1 for a in answers)
    frames: list[str] = []
    while len(frames) < count:
        frame = ws.recv(timeout=10)
        if frame:
            frames.append(orjson.loads(frame)["id"])
    return answers, frames


def test_concurrent_requests_are_stored_whole_and_in_stream_order(server: Server) -> None:
    """Live frames, list order (ties broken by stream offset) and each request's own order
    agree, and every acknowledged event is stored exactly once."""
    token = server.token()
    with server.client(token) as c:
        mic = make_mic(c)
    headers = {"Authorization": f"Bearer {token}"}
    with connect(server.ws_base + "/api/v1/ws", additional_headers=headers) as ws:
        assert ws.recv(timeout=10) == "hello"
        answers, frames = _post_and_read(server, token, mic["id"], ws)
    acked = [e["id"] for a in answers for e in (a["data"] if "data" in a else [a])]

    with server.client(token) as c:
        listed = c.get(
            "/api/v1/events", params={"mic_id": mic["id"], "size": 100, "page": 1}
        ).json()
        total, rest = listed["total_cnt"], listed["results"]
        for page in range(2, listed["max_page"] + 1):
            more = c.get("/api/v1/events", params={"mic_id": mic["id"], "size": 100, "page": page})
            rest += more.json()["results"]
    assert total == len(acked) == len(set(acked))
    assert sorted(frames) == sorted(acked)
    assert [e["id"] for e in reversed(rest)] == frames  # same created_at: offset order
    position = {event_id: i for i, event_id in enumerate(frames)}
    for answer in answers:
        if "data" in answer:
            places = [position[e["id"]] for e in answer["data"]]
            assert places == sorted(places)
            assert places[-1] - places[0] == len(places) - 1  # a request is never split


# --- the writer itself, on each database -------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/gc.db"
        return
    url, drop = create_pg_database()
    yield url
    drop()


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    db = make_engine(db_url)
    await migrate(db)
    async with db.begin() as conn:
        await insert_mic(conn)
    yield db
    await db.dispose()


class Announced(MemoryBus):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[bytes] = []

    async def publish(self, stream: str, payload: bytes, key: bytes | None = None) -> None:
        self.frames.append(payload)

    async def publish_many(self, stream: str, messages: Batch) -> None:
        self.frames += [payload for payload, _key in messages]


def event(mic: str = "m1", label: str = "crying") -> EventIn:
    return EventIn(mic_id=mic, label_id=label, confidence=0.5)


async def test_requests_share_transactions_and_a_bad_one_fails_alone(engine: AsyncEngine) -> None:
    bus = Announced()
    ingest = Ingest(engine, bus)
    jobs = [[event()] * (1 + n % 4) for n in range(60)]
    jobs[17] = [event(), event(mic="nope")]
    results = await asyncio.gather(*(ingest.accept(j) for j in jobs), return_exceptions=True)
    await ingest.stop()
    bad = results[17]
    assert isinstance(bad, Invalid) and bad.message == "events[1].mic_id: unknown mic 'nope'"
    good = [r for i, r in enumerate(results) if i != 17]
    assert all(isinstance(r, list) for r in good)
    assert ingest.writer.commits < len(jobs)  # grouped, not one transaction per request
    seqs = [row["seq"] for rows in good for row in rows]  # submission order
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    async with engine.connect() as conn:
        stored = (await conn.execute(t.events.select())).mappings().all()
    assert sorted(r["seq"] for r in stored) == seqs
    assert {r["id"]: r["seq"] for r in stored} == {
        row["id"]: row["seq"] for rows in good for row in rows
    }
    assert len(bus.frames) == len(seqs)  # published once each, after the commit


class Calls(MemoryBus):
    """Each call the bus got: (stream, [(payload, key), ...])."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, list[tuple[bytes, bytes | None]]]] = []

    async def publish(self, stream: str, payload: bytes, key: bytes | None = None) -> None:
        self.calls.append((stream, [(payload, key)]))

    async def publish_many(self, stream: str, messages: Batch) -> None:
        self.calls.append((stream, list(messages)))


async def test_a_committed_group_is_one_bus_call_in_offset_order(engine: AsyncEngine) -> None:
    """Each event is encoded once and the whole group handed to the bus in one call, keyed
    by its offset, in commit order (a call per event cost a tenth of batch ingest)."""
    bus = Calls()
    ingest = Ingest(engine, bus)
    jobs = [[event()] * (1 + n % 5) for n in range(30)]
    results = await asyncio.gather(*(ingest.accept(j) for j in jobs))
    await ingest.stop()
    assert len(bus.calls) == ingest.writer.commits < len(jobs)
    published = [message for _stream, messages in bus.calls for message in messages]
    seqs = [row["seq"] for rows in results for row in rows]
    assert [int(key or b"") for _payload, key in published] == seqs == sorted(seqs)
    assert [orjson.loads(p)["id"] for p, _k in published] == [
        row["id"] for rows in results for row in rows
    ]


def _rows(prefix: str) -> list[dict[str, Any]]:
    """Rows covering every column's kinds of value: nulls, JSON, booleans, int thresholds."""
    base = dict(
        mic_id="m1", label_id="crying", confidence=0.5, sound_level=None, noises=None,
        description=None, audio_file=None, confidence_threshold=None,
        sound_level_threshold=None, suppressed=False, is_read=False, read_at=None,
        created_at=10, updated_at=11,
    )  # fmt: skip
    other = dict(
        base, sound_level=70, noises=[1.5, 0, None], description="é\\u0000", audio_file="x",
        confidence_threshold=1, sound_level_threshold=55.5, suppressed=True, read_at=12,
    )  # fmt: skip
    return [dict(row, id=f"{prefix}{n}") for n, row in enumerate([base, other, base])]


async def test_the_events_insert_stores_what_sqlalchemy_stores(engine: AsyncEngine) -> None:
    """insert_events (on SQLite the driver's executemany with values put in database form
    by the columns' own processors) stores each value exactly as SQLAlchemy's insert of the
    same row does, returns consecutive offsets, and a refused insert raises SQLAlchemy's
    error, so the error handlers answer as before (409 here)."""
    async with engine.begin() as conn:
        await conn.execute(t.events.insert(), _rows("a"))
        offsets = await store.insert_events(conn, _rows("b"))
    columns = [c for c in t.events.columns if c.name not in ("seq", "id")]
    kinds = [func.coalesce(c.cast(Text), "<null>") for c in columns]
    async with engine.connect() as conn:
        stored = (await conn.execute(select(t.events.c.id, t.events.c.seq, *kinds))).all()
    by_id = {row[0]: row[2:] for row in stored}
    assert [by_id[f"b{n}"] for n in range(3)] == [by_id[f"a{n}"] for n in range(3)]
    seq_of = {row[0]: row[1] for row in stored}
    assert offsets == [seq_of[f"b{n}"] for n in range(3)] == list(range(offsets[0], offsets[0] + 3))
    if engine.dialect.name == "sqlite":  # the storage classes too (REAL 1.0, not INTEGER 1)
        types = ", ".join(f"typeof({c.name})" for c in columns)
        async with engine.connect() as conn:
            typed = (await conn.exec_driver_sql(f"SELECT id, {types} FROM events")).all()
        by_id = {row[0]: row[1:] for row in typed}
        assert [by_id[f"b{n}"] for n in range(3)] == [by_id[f"a{n}"] for n in range(3)]
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await store.insert_events(conn, _rows("b"))


async def _insert_ids(conn: AsyncConnection, jobs: Any) -> list[Any]:
    for ids in jobs:
        for event_id in ids:
            await conn.execute(
                t.events.insert().values(
                    id=event_id,
                    mic_id="m1",
                    label_id="crying",
                    confidence=0.5,
                    suppressed=False,
                    is_read=False,
                    created_at=1,
                    updated_at=1,
                )
            )
    return [len(ids) for ids in jobs]


async def test_a_job_the_database_refuses_costs_only_itself(engine: AsyncEngine) -> None:
    """A duplicate id makes the group's transaction fail; each job is then stored alone."""
    announced: list[Any] = []

    async def announce(stored: list[tuple[Any, Any]]) -> None:
        announced.extend(job for job, _ in stored)

    writer: GroupCommit[list[str]] = GroupCommit(engine, _insert_ids, announce)
    jobs = [[f"a{n}", f"b{n}"] for n in range(20)] + [["a3"]]
    submitted = (writer.submit(j, len(j)) for j in jobs)
    results = await asyncio.gather(*submitted, return_exceptions=True)
    await writer.stop()
    assert results[:20] == [2] * 20
    assert isinstance(results[20], Exception)
    assert announced == jobs[:20]
    async with engine.connect() as conn:
        assert len((await conn.execute(t.events.select())).all()) == 40


async def test_stop_stores_everything_already_submitted(engine: AsyncEngine) -> None:
    ingest = Ingest(engine, Announced())
    pending = [asyncio.create_task(ingest.accept([event()] * 3)) for _ in range(40)]
    await asyncio.sleep(0)  # all submitted, few if any committed
    await ingest.stop()
    assert all(task.done() and len(task.result()) == 3 for task in pending)
    async with engine.connect() as conn:
        assert len((await conn.execute(t.events.select())).all()) == 120
    with pytest.raises(RuntimeError, match="shutting down"):
        await ingest.accept([event()])


# --- SIGTERM with requests in flight -------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgres"])
def own_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    url, drop = ("", None)
    if request.param == "postgres":
        url, drop = create_pg_database()
    srv = Server(tmp_path / "srv", url)
    yield srv
    srv.stop()
    if drop:
        drop()


def test_sigterm_keeps_every_acknowledged_single_event(own_server: Server) -> None:
    """32 clients posting one event per request (so requests share commits) when SIGTERM
    arrives: every 201 is in the database after the server drained and came back."""
    srv = own_server.start()
    token = srv.token()
    with srv.client(token) as c:
        mic = make_mic(c)["id"]
    acked: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    body = {"mic_id": mic, "label_id": "crying", "confidence": 1}

    def post() -> None:
        with srv.client(token) as c:
            while not stop.is_set():
                try:
                    r = c.post("/api/v1/events", json=body)
                except httpx.HTTPError:
                    continue
                if r.status_code == 201:
                    with lock:
                        acked.add(r.json()["id"])

    threads = [threading.Thread(target=post, daemon=True) for _ in range(32)]
    for thread in threads:
        thread.start()
    while len(acked) < 200:
        threading.Event().wait(0.05)
    assert srv.proc is not None
    srv.proc.send_signal(signal.SIGTERM)
    assert srv.proc.wait(30) == 0
    stop.set()
    for thread in threads:
        thread.join(30)
    srv.start()
    with srv.client(token) as c:
        stored: set[str] = set()
        page = 1
        while True:
            got = c.get("/api/v1/events", params={"mic_id": mic, "size": 100, "page": page})
            stored |= {e["id"] for e in got.json()["results"]}
            if page >= got.json()["max_page"]:
                break
            page += 1
    assert acked <= stored
