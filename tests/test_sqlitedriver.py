"""The SQLite driver (store/sqlitedriver.py): one thread hop per statement, ROLLBACK skipped
only when SQLite says no transaction is open, results read exactly as before, and writers of
one file taking turns in the process."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine
from support import insert_mic

from listenpost.bus.memory import MemoryBus
from listenpost.sound.ingest import Ingest
from listenpost.sound.models import EventIn
from listenpost.store import sqlitedriver
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    db = make_engine(f"sqlite+aiosqlite:///{tmp_path}/d.db")
    await migrate(db)
    async with db.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE n (v INTEGER)")
        await conn.exec_driver_sql("INSERT INTO n VALUES (1), (2), (3), (4), (5)")
    yield db
    await db.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The calls the event loop waited for on a connection's thread."""
    calls: list[str] = []
    real = aiosqlite.Connection._execute

    async def counted(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        call = args[0].func if fn.__name__ == "_tracked" else fn  # the driver's wrapper
        calls.append(call.__name__)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return calls


async def test_the_engine_uses_the_driver(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlitedriver.Connection)


async def test_a_lone_event_is_stored_in_three_hops(engine: AsyncEngine, hops: list[str]) -> None:
    """Live mics, the insert (its offset is the rowid), the commit; no ROLLBACK on return to
    the pool. (aiosqlite itself: 13, a SELECT being four hops and an INSERT three.)"""
    async with engine.begin() as conn:
        await insert_mic(conn)
    ingest = Ingest(engine, MemoryBus())
    event = EventIn(mic_id="m1", label_id="crying", confidence=0.5)
    first = await ingest.accept([event])
    hops.clear()
    second = await ingest.accept([event])
    assert len(hops) == 3
    assert [r["seq"] for r in first + second] == [1, 2]
    await ingest.stop()


async def test_results_read_as_before(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT v FROM n ORDER BY v"))
        assert result.fetchone() == (1,)
        assert result.fetchmany(2) == [(2,), (3,)]
        assert result.fetchall() == [(4,), (5,)]
        assert result.fetchone() is None
        assert (await conn.execute(text("SELECT v FROM n WHERE v > 9"))).all() == []
        assert (await conn.execute(text("SELECT count(*) FROM n"))).scalar() == 5
        partial = await conn.execute(text("SELECT v FROM n ORDER BY v"))
        assert partial.first() == (1,)  # closes the cursor with rows unread
        updated = await conn.execute(text("UPDATE n SET v = v + 10 WHERE v > 3"))
        assert updated.rowcount == 2
        inserted = await conn.execute(text("INSERT INTO n VALUES (7)"))
        assert inserted.lastrowid == 6
        await conn.rollback()
        assert (await conn.execute(text("SELECT max(v) FROM n"))).scalar() == 5


async def test_an_open_transaction_is_rolled_back_on_return(
    engine: AsyncEngine, hops: list[str]
) -> None:
    """A connection returned with a write in progress is rolled back (else it would hold
    SQLite's write lock in the pool); one returned after a read or a commit is not."""
    async with engine.connect() as conn:
        await conn.exec_driver_sql("INSERT INTO n VALUES (6)")
        hops.clear()
    assert hops == ["rollback"]
    async with engine.connect() as conn:  # not locked out, and the row is gone
        await conn.exec_driver_sql("INSERT INTO n VALUES (7)")
        await conn.commit()
        hops.clear()
    assert hops == []
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM n WHERE v > 5"))).all() == [(7,)]
        hops.clear()
    assert hops == []


async def test_a_failed_statement_inside_a_transaction_is_rolled_back(
    engine: AsyncEngine,
) -> None:
    with pytest.raises(OperationalError):
        async with engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO n VALUES (8)")
            await conn.exec_driver_sql("INSERT INTO nowhere VALUES (1)")
    async with engine.begin() as conn:
        await conn.exec_driver_sql("INSERT INTO n VALUES (9)")
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM n WHERE v > 5"))).all() == [(9,)]


async def test_an_explicit_begin_is_seen_as_a_transaction(engine: AsyncEngine) -> None:
    """Whatever opened it, SQLite's own state decides whether the ROLLBACK is needed."""
    async with engine.connect() as conn:
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        raw = (await conn.get_raw_connection()).driver_connection
        assert raw._idle is False
    async with engine.begin() as conn:  # the write lock was given back
        await conn.exec_driver_sql("INSERT INTO n VALUES (10)")


def _waits_for_its_turn(conn: sqlitedriver.Connection) -> bool:
    """Whether the connection's thread is waiting for the file's write turn."""
    frame = sys._current_frames().get(conn._thread.ident or 0)
    while frame is not None:
        if frame.f_code.co_name == "_take_turn":
            return True
        frame = frame.f_back
    return False


async def test_a_writer_waits_for_the_other_writers_commit_not_for_sqlites_retries(
    engine: AsyncEngine,
) -> None:
    """A write while another connection of the process has a write transaction open waits for
    that commit in the driver and goes on when it ends, instead of being answered "busy" by
    SQLite and polling for the lock (its busy handler sleeps 1, 2, 5 ... 100 ms between
    tries: ingest, alerts and their deliveries lost up to a hundred ms to it). With SQLite's
    busy timeout at 0 it would be refused at once."""
    async with engine.connect() as first, engine.connect() as second:
        for conn in (first, second):
            await conn.exec_driver_sql("PRAGMA busy_timeout=0")
        raw = (await second.get_raw_connection()).driver_connection
        await first.exec_driver_sql("INSERT INTO n VALUES (6)")  # holds the write lock

        async def write() -> None:
            await second.exec_driver_sql("INSERT INTO n VALUES (7)")
            await second.commit()

        waiting = asyncio.create_task(write())
        for _ in range(10_000):  # until it is refused, or waits for its turn
            if waiting.done() or _waits_for_its_turn(raw):
                break
            await asyncio.sleep(0.001)
        assert not waiting.done()
        await first.commit()
        await waiting  # not "database is locked"
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT v FROM n WHERE v > 5"))).all() == [(6,), (7,)]


async def test_a_write_transaction_gives_the_turn_back_however_it_ends(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    """Committed, rolled back, failed, returned to the pool mid-write, or opened with BEGIN
    IMMEDIATE: once it ends, the file's write turn is free for the next writer."""
    turn = sqlitedriver._turn(str(tmp_path / "d.db"))
    assert turn is not None
    async with engine.begin() as conn:
        await conn.exec_driver_sql("INSERT INTO n VALUES (6)")
        assert turn.locked()
    assert not turn.locked()
    async with engine.connect() as conn:
        await conn.exec_driver_sql("INSERT INTO n VALUES (7)")
        await conn.rollback()
        assert not turn.locked()
    with pytest.raises(OperationalError):
        async with engine.begin() as conn:
            await conn.exec_driver_sql("INSERT INTO n VALUES (8)")
            await conn.exec_driver_sql("INSERT INTO nowhere VALUES (1)")
    assert not turn.locked()
    async with engine.connect() as conn:
        await conn.exec_driver_sql("INSERT INTO n VALUES (9)")  # returned: rolled back
    assert not turn.locked()
    async with engine.connect() as conn:
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
        assert turn.locked()
        await conn.commit()
        assert not turn.locked()
        assert (await conn.execute(text("SELECT v FROM n WHERE v > 5"))).all() == [(6,)]
        assert not turn.locked()  # a read takes no turn
