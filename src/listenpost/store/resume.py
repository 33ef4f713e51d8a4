"""Queries behind resume: each stream's history window and its pages after an offset.

A stream's offsets are its table's `seq`. The window a client may resume from is bounded by
count (the newest `history` offsets) and age (rows stamped at or after `horizon`); a resume
from offset `since` is provable only when `since` is at or above the window's boundary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, RowMapping, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from . import radio_tables as rt
from . import tables as t

E, C, F = t.events, t.composite_events, rt.frames
#: each stream's table and the column its age is measured by
TABLES: dict[str, tuple[Table, Column[Any]]] = {
    "events": (E, E.c.created_at),
    "composites": (C, C.c.created_at),
    "radio": (F, F.c.at),
}


async def window(
    conn: AsyncConnection, stream: str, history: int, horizon_us: int | None
) -> tuple[int, int]:
    """(newest offset, boundary): every offset above the boundary is still in history."""
    table, stamp = TABLES[stream]
    seq = table.c.seq
    newest, oldest = (await conn.execute(select(func.max(seq), func.min(seq)))).one()
    newest = int(newest or 0)
    boundary = max(newest - history, int(oldest or 1) - 1, 0)
    if horizon_us is not None:
        recent = select(func.min(seq)).where(stamp >= horizon_us)
        first_recent = (await conn.execute(recent)).scalar()
        boundary = max(boundary, newest if first_recent is None else int(first_recent) - 1)
    return newest, boundary


async def event_page(conn: AsyncConnection, after: int, upto: int, limit: int) -> list[RowMapping]:
    """Published (not suppressed) events with `after < seq <= upto`, oldest first, with the
    mic fields their live frame carries."""
    mic = t.mics.c
    q = (
        select(E, mic.name.label("mic_name"), mic.location.label("mic_location"))
        .select_from(E.outerjoin(t.mics, mic.id == E.c.mic_id))
        .where(E.c.seq > after, E.c.seq <= upto, E.c.suppressed.is_(False))
        .order_by(E.c.seq)
        .limit(limit)
    )
    return list((await conn.execute(q)).mappings())


async def composite_page(
    conn: AsyncConnection, after: int, upto: int, limit: int
) -> list[RowMapping]:
    q = select(C).where(C.c.seq > after, C.c.seq <= upto).order_by(C.c.seq).limit(limit)
    return list((await conn.execute(q)).mappings())


async def frame_page(conn: AsyncConnection, after: int, upto: int, limit: int) -> list[RowMapping]:
    q = select(F).where(F.c.seq > after, F.c.seq <= upto).order_by(F.c.seq).limit(limit)
    return list((await conn.execute(q)).mappings())


async def append_frames(
    conn: AsyncConnection,
    frames: Sequence[tuple[str, str]],
    at_us: int,
    trim: tuple[int, int | None] | None = None,
) -> list[int]:
    """Store (frame, route) pairs in order; returns their offsets. With `trim` = (history,
    horizon), first drop what fell out of the window (the newest row always stays, so the
    newest offset is known after any trim). One transaction on `conn`."""
    rows = [{"at": at_us, "route": route, "frame": frame} for frame, route in frames]
    async with conn.begin():
        stmt = F.insert().returning(F.c.seq, sort_by_parameter_order=True)
        offsets = [int(r[0]) for r in await conn.execute(stmt, rows)]
        if trim is not None:
            history, horizon = trim
            newest = offsets[-1]
            await conn.execute(F.delete().where(F.c.seq <= newest - history))
            if horizon is not None:
                await conn.execute(F.delete().where(F.c.at < horizon, F.c.seq < newest))
    return offsets
