"""Queries for radio data: the only place that builds their SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, Table, and_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from . import radio_tables as rt


async def upsert(
    conn: AsyncConnection, table: Table, keys: dict[str, Any], values: dict[str, Any], now: int
) -> None:
    """Insert or update a row found by `keys`; keeps `first_seen`, moves `last_seen`.
    Values that are None do not overwrite known ones."""
    cond = and_(*(table.c[k] == v for k, v in keys.items()))
    found = (await conn.execute(select(*(table.c[k] for k in keys)).where(cond))).first()
    clean = {k: v for k, v in values.items() if v is not None}
    if found is None:
        await conn.execute(table.insert().values(**keys, **values, first_seen=now, last_seen=now))
    else:
        await conn.execute(table.update().where(cond).values(**clean, last_seen=now))


async def system(conn: AsyncConnection, short_name: str) -> RowMapping | None:
    q = select(rt.systems).where(rt.systems.c.short_name == short_name)
    return (await conn.execute(q)).mappings().first()


async def find_call(
    conn: AsyncConnection, system: str, tr_call_id: str | None, talkgroup: int, start: int | None
) -> RowMapping | None:
    """By trunk-recorder id (and start), else by system + talkgroup + start time."""
    c = rt.calls.c
    if tr_call_id:
        q = select(rt.calls).where(c.system == system, c.tr_call_id == tr_call_id)
        row = (await conn.execute(q.order_by(c.id.desc()))).mappings().first()
        if row is not None:
            return row
    if start is not None:
        q = select(rt.calls).where(
            c.system == system, c.talkgroup == talkgroup, c.start_time == start
        )
        return (await conn.execute(q.order_by(c.id))).mappings().first()
    return None


async def insert(conn: AsyncConnection, table: Table, values: dict[str, Any]) -> int:
    result = await conn.execute(table.insert().values(**values))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


async def update_call(conn: AsyncConnection, call_id: int, values: dict[str, Any]) -> None:
    await conn.execute(rt.calls.update().where(rt.calls.c.id == call_id).values(**values))


async def recorder(conn: AsyncConnection, instance: str, src: int, rec: int) -> RowMapping | None:
    c = rt.recorders.c
    q = select(rt.recorders).where(c.instance_id == instance, c.src_num == src, c.rec_num == rec)
    return (await conn.execute(q)).mappings().first()
