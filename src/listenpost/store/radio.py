"""Queries for radio data: the only place that builds their SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    RowMapping,
    Select,
    Table,
    and_,
    bindparam,
    case,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from . import radio_tables as rt
from .bulk import execute_many


def _seen(table: Table, seen: int, latest: int | None = None) -> dict[str, Any]:
    """`first_seen`/`last_seen` widened to include `seen` (to `latest`): a late message (a
    broker's backlog) may move first_seen earlier but never moves last_seen backwards."""
    first, last = table.c.first_seen, table.c.last_seen
    latest = seen if latest is None else latest
    return {
        "first_seen": case((first > seen, seen), else_=first),
        "last_seen": case((last < latest, latest), else_=last),
    }


async def upsert(
    conn: AsyncConnection, table: Table, keys: dict[str, Any], values: dict[str, Any], seen: int
) -> None:
    """Insert or update a row found by `keys`, seen at `seen` (the message's time).
    Values that are None do not overwrite known ones."""
    cond = and_(*(table.c[k] == v for k, v in keys.items()))
    found = (await conn.execute(select(*(table.c[k] for k in keys)).where(cond))).first()
    clean = {k: v for k, v in values.items() if v is not None}
    if found is None:
        await conn.execute(table.insert().values(**keys, **values, first_seen=seen, last_seen=seen))
    else:
        await conn.execute(table.update().where(cond).values(**clean, **_seen(table, seen)))


async def widen_seen(
    conn: AsyncConnection, table: Table, keys: dict[str, Any], seen: int, latest: int | None = None
) -> None:
    """Widen a known row's first_seen/last_seen to include `seen` (to `latest`)."""
    cond = and_(*(table.c[k] == v for k, v in keys.items()))
    await conn.execute(table.update().where(cond).values(**_seen(table, seen, latest)))


async def upsert_many(
    conn: AsyncConnection, table: Table, keys: list[str], rows: list[dict[str, Any]]
) -> None:
    """`upsert` for many rows in one statement (rows carry their keys, values, first_seen and
    last_seen; one row per key): INSERT ... ON CONFLICT DO UPDATE, values that are None
    keeping the known ones, times widened."""
    if conn.dialect.name not in ("postgresql", "sqlite"):  # no ON CONFLICT: one by one
        for row in rows:
            ident = {k: row[k] for k in keys}
            values = {k: v for k, v in row.items() if k not in keys and not k.endswith("_seen")}
            await upsert(conn, table, ident, values, row["first_seen"])
            await widen_seen(conn, table, ident, row["first_seen"], row["last_seen"])
        return
    shape = (conn.dialect.name, table, tuple(keys), tuple(rows[0]))
    stmt = _UPSERTS.get(shape)
    if stmt is None:  # built once per shape: building it per batch cost more than running it
        stmt = _UPSERTS[shape] = _upsert_many(conn.dialect.name, table, keys, list(rows[0]))
    await execute_many(conn, stmt, rows)


_UPSERTS: dict[tuple[Any, ...], Any] = {}


def _upsert_many(dialect: str, table: Table, keys: list[str], columns: list[str]) -> Any:
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    new = stmt.excluded
    first, last = table.c.first_seen, table.c.last_seen
    values: dict[str, Any] = {
        c: func.coalesce(new[c], table.c[c]) for c in columns if c not in keys
    }
    values["first_seen"] = case((first > new.first_seen, new.first_seen), else_=first)
    values["last_seen"] = case((last < new.last_seen, new.last_seen), else_=last)
    return stmt.on_conflict_do_update(index_elements=keys, set_=values)


async def heartbeat(conn: AsyncConnection, instance_id: str, at: int, received: int) -> None:
    """Record a plugin heartbeat; `last_heartbeat` never moves backwards."""
    hb = rt.heartbeats
    cond = hb.c.instance_id == instance_id
    found = (await conn.execute(select(hb.c.instance_id).where(cond))).first()
    if found is None:
        values = {"last_heartbeat": at, "received_at": received, "count": 1}
        await conn.execute(hb.insert().values(instance_id=instance_id, **values))
        return
    await conn.execute(
        hb.update()
        .where(cond)
        .values(
            last_heartbeat=case((hb.c.last_heartbeat < at, at), else_=hb.c.last_heartbeat),
            received_at=received,
            count=hb.c.count + 1,
        )
    )


def instances_query() -> Select[Any]:
    """trunk-recorder instances (from config messages or heartbeats) with their last
    heartbeat, for the instances view."""
    i, hb = rt.instances, rt.heartbeats
    ids = select(i.c.instance_id).union(select(hb.c.instance_id)).subquery()
    return (
        select(
            ids.c.instance_id,
            i.c.instance_key,
            i.c.first_seen,
            i.c.last_seen,
            hb.c.last_heartbeat,
            hb.c.received_at.label("heartbeat_received_at"),
            hb.c["count"].label("heartbeats"),
        )
        .select_from(ids)
        .outerjoin(i, i.c.instance_id == ids.c.instance_id)
        .outerjoin(hb, hb.c.instance_id == ids.c.instance_id)
        .order_by(ids.c.instance_id)
    )


async def heartbeats(conn: AsyncConnection) -> dict[str, int]:
    """instance id -> last heartbeat (µs), for /health."""
    hb = rt.heartbeats
    rows = await conn.execute(select(hb.c.instance_id, hb.c.last_heartbeat))
    return {r[0]: int(r[1]) for r in rows}


async def system(conn: AsyncConnection, short_name: str) -> RowMapping | None:
    q = select(rt.systems).where(rt.systems.c.short_name == short_name)
    return (await conn.execute(q)).mappings().first()


# Statements built once and given their values as parameters: `.values(**row)` built a new
# statement per row, and SQLAlchemy then derived its cache key from every value (a call row's
# insert and update were a third of MQTT ingest's time). The compiled form is cached per set
# of columns given, so the SQL sent is the same. (Call rows: radio_calls.py.)
_INSERTS: dict[Table, Any] = {}
_BY_ID = "row_id_"  # the WHERE parameter of the updates by primary key (not a column name)
_UPDATE_RECORDER = rt.recorders.update().where(rt.recorders.c.id == bindparam(_BY_ID))


def _insert(table: Table) -> Any:
    stmt = _INSERTS.get(table)
    if stmt is None:
        stmt = _INSERTS[table] = table.insert()
    return stmt


async def insert(conn: AsyncConnection, table: Table, values: dict[str, Any]) -> int:
    result = await conn.execute(_insert(table), values)
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def insert_rows(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Append-only rows (unit events, rates, control-channel messages) in one statement."""
    await execute_many(conn, _insert(table), rows)


async def forget_call_lists(conn: AsyncConnection, call_id: int) -> None:
    """A call's transmissions and frequencies, before a repeated audio message rewrites them."""
    for table in (rt.transmissions, rt.frequencies):
        await conn.execute(table.delete().where(table.c.call_id == call_id))


async def recorder(conn: AsyncConnection, instance: str, src: int, rec: int) -> RowMapping | None:
    c = rt.recorders.c
    q = select(rt.recorders).where(c.instance_id == instance, c.src_num == src, c.rec_num == rec)
    return (await conn.execute(q)).mappings().first()


async def call(conn: AsyncConnection, call_id: int) -> RowMapping | None:
    q = select(rt.calls).where(rt.calls.c.id == call_id)
    return (await conn.execute(q)).mappings().first()


async def update_recorder(conn: AsyncConnection, recorder_id: int, values: dict[str, Any]) -> None:
    if values:
        await conn.execute(_UPDATE_RECORDER, {**values, _BY_ID: recorder_id})


async def open_calls(conn: AsyncConnection, limit: int) -> list[RowMapping]:
    """The newest `limit` calls whose end was never announced, newest first: what the
    active-call tracker held when the node that ingested them stopped."""
    c = rt.calls.c
    q = (
        select(c.id, c.system, c.tr_call_id, c.metadata)
        .where(c.stop_time.is_(None), c.ended.isnot(True))
        .order_by(c.id.desc())
        .limit(limit)
    )
    return list((await conn.execute(q)).mappings())
