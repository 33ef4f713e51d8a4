"""Queries for mics and base events: the only place that builds their SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping, and_, bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..errors import Conflict
from ..timeutil import EARLIEST_US, LATEST_US
from . import bulk
from . import tables as t
from .paging import contains_pattern, fetch_page

MIC_SUMMARY = (t.mics.c.name.label("mic_name"), t.mics.c.location.label("mic_location"))


async def insert_mic(engine: AsyncEngine, row: dict[str, Any]) -> None:
    try:
        async with engine.begin() as conn:
            await conn.execute(t.mics.insert().values(**row))
    except IntegrityError as exc:
        raise Conflict(f"mic id {row['id']!r} already exists") from exc


async def get_mic(
    conn: AsyncConnection, mic_id: str, *, live_only: bool = True
) -> RowMapping | None:
    q = select(t.mics).where(t.mics.c.id == mic_id)
    if live_only:
        q = q.where(t.mics.c.deleted_at.is_(None))
    return (await conn.execute(q)).mappings().first()


#: built once: each ingest group runs it, and building it was a third of its cost on SQLite
LIVE_MICS = select(t.mics).where(
    t.mics.c.id.in_(bindparam("ids", expanding=True)), t.mics.c.deleted_at.is_(None)
)


async def get_mics(conn: AsyncConnection, mic_ids: Sequence[str]) -> dict[str, RowMapping]:
    """Live (not deleted) mics by id."""
    result = await conn.execute(LIVE_MICS, {"ids": list(set(mic_ids))})
    return {r["id"]: r for r in result.mappings()}


async def update_mic(engine: AsyncEngine, mic_id: str, values: dict[str, Any]) -> None:
    async with engine.begin() as conn:
        await conn.execute(t.mics.update().where(t.mics.c.id == mic_id).values(**values))


async def list_mics(
    conn: AsyncConnection, page: int, size: int, name: str | None, edge_id: str | None
) -> tuple[int, list[RowMapping]]:
    q = select(t.mics).where(t.mics.c.deleted_at.is_(None))
    if name:
        q = q.where(t.mics.c.name.ilike(contains_pattern(name), escape="\\"))
    if edge_id:
        q = q.where(t.mics.c.edge_id == edge_id)
    return await fetch_page(conn, q.order_by(t.mics.c.created_at, t.mics.c.id), page, size)


async def insert_events(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in order inside the caller's transaction; returns their stream offsets.

    One multi-row statement, not one per row. On SQLite without RETURNING (SQLAlchemy keeps
    the rows' order only by inserting them one at a time, ten times slower): the rows get
    consecutive offsets, as SQLite gives each new row the largest rowid plus one and the
    transaction holds the write lock, which the first and last row's offsets confirm. A lone
    row's offset is the rowid SQLite reports for it (`seq` is the rowid), so the common
    single-event request costs one statement, not two. Elsewhere the insert returns them."""
    if not rows:
        return []
    if conn.dialect.name == "sqlite":
        return await _insert_sqlite(conn, rows)
    stmt = t.events.insert().returning(t.events.c.id, t.events.c.seq)
    seq_of = {r[0]: int(r[1]) for r in await conn.execute(stmt, rows)}
    return [seq_of[row["id"]] for row in rows]


_EVENTS_INSERT = t.events.insert()


async def _insert_sqlite(conn: AsyncConnection, rows: list[dict[str, Any]]) -> list[int]:
    """The rows handed to the driver as SQLAlchemy would hand them (store/bulk.py: its
    per-row parameter processing was a tenth of batch ingest's event-loop time)."""
    found = bulk.plan(conn.dialect, _EVENTS_INSERT, tuple(rows[0]))
    assert found is not None  # every column is given: nothing for SQLAlchemy to add
    cursor = await bulk.run(conn, found.sql, found.params(rows))
    if len(rows) == 1:
        return [int(cursor.lastrowid)]  # `seq`: the rowid SQLite gave the row
    ends = (rows[0]["id"], rows[-1]["id"])
    q = select(t.events.c.id, t.events.c.seq).where(t.events.c.id.in_(ends))
    seq_of = {r[0]: int(r[1]) for r in await conn.execute(q)}
    first, last = seq_of[ends[0]], seq_of[ends[1]]
    if last - first == len(rows) - 1:  # increasing in insert order, so consecutive
        return list(range(first, last + 1))
    ids = [row["id"] for row in rows]  # never seen; kept so a surprise cannot misnumber
    q = select(t.events.c.id, t.events.c.seq).where(t.events.c.id.in_(ids))
    seq_of = {r[0]: int(r[1]) for r in await conn.execute(q)}
    return [seq_of[i] for i in ids]


def _event_query() -> Any:
    return select(t.events, *MIC_SUMMARY).select_from(
        t.events.outerjoin(t.mics, t.mics.c.id == t.events.c.mic_id)
    )


async def get_event(conn: AsyncConnection, event_id: str) -> RowMapping | None:
    q = _event_query().where(t.events.c.id == event_id)
    return (await conn.execute(q)).mappings().first()


async def list_events(
    conn: AsyncConnection,
    page: int,
    size: int,
    *,
    start: int | None,
    end: int | None,
    mic_ids: list[str],
    label_ids: list[str],
    include_suppressed: bool,
) -> tuple[int, list[RowMapping]]:
    """Newest first; ties broken by offset so paging is stable. start/end are inclusive.
    Rows whose time is outside the accepted window (only older versions could store them)
    are left out: they would sort first and cannot be shown."""
    conds = [t.events.c.created_at >= EARLIEST_US, t.events.c.created_at < LATEST_US]
    if start is not None:
        conds.append(t.events.c.created_at >= start)
    if end is not None:
        conds.append(t.events.c.created_at <= end)
    if mic_ids:
        conds.append(t.events.c.mic_id.in_(mic_ids))
    if label_ids:
        conds.append(t.events.c.label_id.in_(label_ids))
    if not include_suppressed:
        conds.append(t.events.c.suppressed.is_(False))
    q = _event_query().where(and_(True, *conds))
    q = q.order_by(t.events.c.created_at.desc(), t.events.c.seq.desc())
    return await fetch_page(conn, q, page, size)


async def mark_read(engine: AsyncEngine, event_id: str, now: int) -> bool:
    async with engine.begin() as conn:
        result = await conn.execute(
            t.events.update()
            .where(t.events.c.id == event_id, t.events.c.is_read.is_(False))
            .values(is_read=True, read_at=now, updated_at=now)
        )
        return bool(result.rowcount)
