"""Versioned schema migrations: each step runs once, in order, recorded in `lp_meta`.

An equivalent of Alembic's linear history kept small: a step is a function of a sync
connection. PostgreSQL nodes starting together serialise on an advisory lock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import Connection, Table, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t

log = logging.getLogger("listenpost.store")

Step = Callable[[Connection], None]
_STEPS: list[tuple[int, str, Step]] = []


def step(version: int, title: str) -> Callable[[Step], Step]:
    def register(fn: Step) -> Step:
        _STEPS.append((version, title, fn))
        _STEPS.sort(key=lambda s: s[0])
        return fn

    return register


def create_tables(conn: Connection, *tables: Table) -> None:
    for table in tables:
        table.create(conn, checkfirst=True)
        for index in table.indexes:
            index.create(conn, checkfirst=True)


@step(1, "sound: api keys, mics, events")
def _v1(conn: Connection) -> None:
    create_tables(conn, t.api_keys, t.mics, t.events)


def _current(conn: Connection) -> int:
    row = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).first()
    return int(row[0]) if row else 0


def _migrate(conn: Connection) -> int:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(727001)"))
    t.meta.create(conn, checkfirst=True)
    version = _current(conn)
    for number, title, fn in _STEPS:
        if number > version:
            log.info("migrating schema to v%d: %s", number, title)
            fn(conn)
            version = number
            conn.execute(t.meta.delete().where(t.meta.c.key == "schema_version"))
            conn.execute(t.meta.insert().values(key="schema_version", value=str(version)))
    return version


async def migrate(engine: AsyncEngine) -> int:
    """Bring the schema to the newest version; returns it."""
    # Import domain steps so they register themselves.
    from . import migrations_more  # noqa: F401

    async with engine.begin() as conn:
        return await conn.run_sync(_migrate)


def latest_version() -> int:
    from . import migrations_more  # noqa: F401

    return _STEPS[-1][0]
