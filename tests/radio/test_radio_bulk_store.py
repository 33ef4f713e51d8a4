"""Rows handed to the SQLite driver directly (store/bulk.py) are stored exactly as SQLAlchemy's
own execute stores them, and every case the direct path cannot vouch for keeps SQLAlchemy's
behaviour: values it adds itself, rows of different shapes, errors, other databases."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from corpus import corpus_messages, shared_messages
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    MetaData,
    String,
    Table,
    bindparam,
    select,
    text,
)
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine
from support import create_pg_database

from listenpost.bus.memory import MemoryBus
from listenpost.radio import processor
from listenpost.radio.processor import RadioProcessor
from listenpost.radio.state import Limits
from listenpost.store import bulk
from listenpost.store import radio_tables as rt
from listenpost.store.db import make_engine
from listenpost.store.migrations import migrate

META = MetaData()
THINGS = Table(
    "things",
    META,
    Column("id", BigInteger, primary_key=True),
    Column("name", String(40)),
    Column("flag", Boolean),
    Column("level", Float),
    Column("doc", JSON),
)
DEFAULTED = Table(
    "defaulted",
    META,
    Column("id", BigInteger, primary_key=True),
    Column("state", String(16), nullable=False, default="active"),
)
ROWS: list[dict[str, Any]] = [
    {"id": 1, "name": "a", "flag": True, "level": 1.5, "doc": {"k": [1, "é", None]}},
    {"id": 2, "name": None, "flag": False, "level": None, "doc": None},
    {"id": 3, "name": "", "flag": None, "level": -0.0, "doc": [1, 2.5, {"n": 2**62}]},
]


async def _engine(url: str) -> AsyncEngine:
    db = make_engine(url)
    async with db.begin() as conn:
        await conn.run_sync(META.drop_all)
        await conn.run_sync(META.create_all)
    return db


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    db = await _engine(f"sqlite+aiosqlite:///{tmp_path}/b.db")
    yield db
    await db.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    url, drop = create_pg_database("lp_bulk")
    yield url
    drop()


async def _stored(db: AsyncEngine, table: Table) -> list[tuple[Any, ...]]:
    async with db.connect() as conn:
        raw = await conn.execute(text(f"SELECT * FROM {table.name} ORDER BY 1"))  # noqa: S608
        return [tuple(r) for r in raw]


async def test_the_driver_stores_what_sqlalchemy_stores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same database text for JSON (orjson, as the engine's serialiser), booleans, floats, NULL."""
    direct = await _engine(f"sqlite+aiosqlite:///{tmp_path}/direct.db")
    async with direct.begin() as conn:
        await bulk.execute_many(conn, THINGS.insert(), ROWS)
    with monkeypatch.context() as m:
        m.setattr(bulk, "plan", lambda *_a: None)
        plain = await _engine(f"sqlite+aiosqlite:///{tmp_path}/plain.db")
        async with plain.begin() as conn:
            await bulk.execute_many(conn, THINGS.insert(), ROWS)
    assert await _stored(direct, THINGS) == await _stored(plain, THINGS)
    assert len(await _stored(direct, THINGS)) == 3
    await direct.dispose()
    await plain.dispose()


async def test_the_direct_path_is_taken_on_sqlite(engine: AsyncEngine) -> None:
    found = bulk.plan(engine.dialect, THINGS.insert(), tuple(ROWS[0]))
    assert found is not None and found.names == ("id", "name", "flag", "level", "doc")
    update = THINGS.update().where(THINGS.c.id == bindparam("b_id"))
    changed = bulk.plan(engine.dialect, update, ("name", "b_id"))
    assert changed is not None and changed.names == ("name", "b_id")
    async with engine.begin() as conn:
        await bulk.execute_many(conn, THINGS.insert(), ROWS)
        await bulk.execute_many(conn, update, [{"name": "x", "b_id": 1}, {"name": "y", "b_id": 3}])
        await bulk.execute_many(conn, update, [])
    names = [row[1] for row in await _stored(engine, THINGS)]
    assert names == ["x", None, "y"]


async def test_a_value_sqlalchemy_adds_itself_keeps_its_path(engine: AsyncEngine) -> None:
    """A column default not given is computed by SQLAlchemy: no plan, and the default stored."""
    assert bulk.plan(engine.dialect, DEFAULTED.insert(), ("id",)) is None
    async with engine.begin() as conn:
        await bulk.execute_many(conn, DEFAULTED.insert(), [{"id": 1}, {"id": 2}])
        await bulk.execute_many(conn, DEFAULTED.insert(), [{"id": 3, "state": "gone"}])
    assert await _stored(engine, DEFAULTED) == [(1, "active"), (2, "active"), (3, "gone")]


async def test_rows_of_different_shapes_get_sqlalchemys_error(engine: AsyncEngine) -> None:
    rows = [{"id": 1, "name": "a"}, {"id": 2}]
    with pytest.raises(StatementError, match="name"):
        async with engine.begin() as conn:
            await bulk.execute_many(conn, THINGS.insert(), rows)
    assert await _stored(engine, THINGS) == []


@pytest.mark.parametrize("rows", [[{"id": 1}], [{"id": 1}, {"id": 2}]], ids=["one", "many"])
async def test_a_driver_error_is_raised_as_sqlalchemy_raises_it(
    engine: AsyncEngine, rows: list[dict[str, Any]]
) -> None:
    """The store's callers judge errors by SQLAlchemy's classes (a constraint is not an outage)."""
    async with engine.begin() as conn:
        await bulk.execute_many(conn, THINGS.insert(), [{"id": 1}])
    with pytest.raises(IntegrityError, match="UNIQUE"):
        async with engine.begin() as conn:
            await bulk.execute_many(conn, THINGS.insert(), rows)
    assert len(await _stored(engine, THINGS)) == 1


async def test_postgresql_keeps_sqlalchemys_execute(pg_url: str) -> None:
    db = make_engine(pg_url)
    assert bulk.plan(db.dialect, THINGS.insert(), tuple(ROWS[0])) is not None  # it could...
    try:
        async with db.begin() as conn:
            await conn.run_sync(META.drop_all)
            await conn.run_sync(META.create_all)
            await bulk.execute_many(conn, THINGS.insert(), ROWS)  # ...but asyncpg binds in C
        async with db.connect() as conn:
            got = (await conn.execute(select(THINGS).order_by(THINGS.c.id))).all()
        assert [tuple(r) for r in got] == [tuple(r.values()) for r in ROWS]
    finally:
        await db.dispose()


RADIO_TABLES = [
    rt.calls,
    rt.talkgroups,
    rt.units,
    rt.unit_events,
    rt.rates,
    rt.systems,
]


async def _ingest(folder: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = make_engine(f"sqlite+aiosqlite:///{folder}/r.db")
    await migrate(db)
    proc = RadioProcessor(db, MemoryBus(), str(folder), Limits())
    messages = [(topic, payload) for _s, topic, payload in corpus_messages() + shared_messages()]
    for i in range(0, len(messages), 7):
        await proc.handle_batch(messages[i : i + 7])
    tables = {t.name: await _stored(db, t) for t in RADIO_TABLES}
    await db.dispose()
    return tables


async def test_radio_ingest_stores_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every real capture ingested with and without the direct path: identical tables."""
    monkeypatch.setattr(processor, "now_us", lambda: 1_800_000_000_000_000)  # "received at"
    (tmp_path / "direct").mkdir()
    (tmp_path / "plain").mkdir()
    direct = await _ingest(tmp_path / "direct")
    monkeypatch.setattr(bulk, "plan", lambda *_a: None)
    plain = await _ingest(tmp_path / "plain")
    assert all(direct[name] for name in ("radio_calls", "radio_units", "radio_unit_events"))
    for name, rows in plain.items():
        assert direct[name] == rows, name
