"""Queries for composite rules, composite events and their member events."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import RowMapping, and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..errors import Conflict
from . import tables as t
from .paging import fetch_page

R, C, M, E = t.composite_rules, t.composite_events, t.composite_members, t.events


async def insert_rule(engine: AsyncEngine, row: dict[str, Any]) -> None:
    try:
        async with engine.begin() as conn:
            await conn.execute(R.insert().values(**row))
    except IntegrityError as exc:
        raise Conflict(f"rule id {row['id']!r} already exists") from exc


async def upsert_rule(engine: AsyncEngine, row: dict[str, Any]) -> None:
    async with engine.begin() as conn:
        current = (await conn.execute(select(R.c.created_at).where(R.c.id == row["id"]))).first()
        if current is None:
            await conn.execute(R.insert().values(**row))
        else:
            values = {k: v for k, v in row.items() if k not in ("id", "created_at")}
            await conn.execute(R.update().where(R.c.id == row["id"]).values(**values))


async def get_rule(conn: AsyncConnection, rule_id: str) -> RowMapping | None:
    return (await conn.execute(select(R).where(R.c.id == rule_id))).mappings().first()


async def all_rules(conn: AsyncConnection) -> list[RowMapping]:
    return list((await conn.execute(select(R).order_by(R.c.id))).mappings())


async def list_rules(conn: AsyncConnection, page: int, size: int) -> tuple[int, list[RowMapping]]:
    return await fetch_page(conn, select(R).order_by(R.c.created_at, R.c.id), page, size)


async def update_rule(engine: AsyncEngine, rule_id: str, values: dict[str, Any]) -> None:
    async with engine.begin() as conn:
        await conn.execute(R.update().where(R.c.id == rule_id).values(**values))


async def delete_rule(engine: AsyncEngine, rule_id: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(R.delete().where(R.c.id == rule_id))


async def insert_composite(
    conn: AsyncConnection, row: dict[str, Any], event_ids: Sequence[str]
) -> bool:
    """Insert a composite and its members; False when another writer already did (same id)."""
    try:
        async with conn.begin_nested():
            await conn.execute(C.insert().values(**row))
    except IntegrityError:
        return False
    await add_members(conn, row["id"], row["rule_id"], event_ids)
    return True


async def add_members(
    conn: AsyncConnection, composite_id: str, rule_id: str, event_ids: Iterable[str]
) -> None:
    await add_joins(conn, [(composite_id, rule_id, e) for e in event_ids])


async def add_joins(conn: AsyncConnection, joins: Sequence[tuple[str, str, str]]) -> None:
    """Members joining open composites: (composite_id, rule_id, event_id), one insert."""
    rows = [{"composite_id": c, "rule_id": r, "event_id": e} for c, r, e in joins]
    if rows:
        await conn.execute(M.insert(), rows)


async def touch_many(conn: AsyncConnection, composite_ids: Iterable[str], now: int) -> None:
    ids = sorted(composite_ids)
    if ids:
        await conn.execute(C.update().where(C.c.id.in_(ids)).values(updated_at=now))


async def recent_composites(conn: AsyncConnection, since_started: int) -> list[RowMapping]:
    q = select(C.c.id, C.c.rule_id, C.c.group_key, C.c.started_at).where(
        C.c.started_at > since_started
    )
    return list((await conn.execute(q)).mappings())


async def recent_events(
    conn: AsyncConnection, since_created: int, until_created: int
) -> list[RowMapping]:
    """Accepted events with `since < created_at <= until` and their mic's edge, in arrival
    order (`until` leaves out times ahead of the clock that an older version let in)."""
    q = (
        select(E.c.seq, E.c.id, E.c.label_id, E.c.mic_id, E.c.created_at, t.mics.c.edge_id)
        .select_from(E.outerjoin(t.mics, t.mics.c.id == E.c.mic_id))
        .where(
            E.c.created_at > since_created,
            E.c.created_at <= until_created,
            E.c.suppressed.is_(False),
        )
        .order_by(E.c.seq)
    )
    return list((await conn.execute(q)).mappings())


async def events_after(conn: AsyncConnection, after_seq: int, limit: int) -> list[RowMapping]:
    """Stored events (suppressed ones too, so their offsets count as seen) with
    `seq > after_seq`, oldest first, with their mic's edge: the composite leader's feed."""
    q = (
        select(
            E.c.seq,
            E.c.id,
            E.c.label_id,
            E.c.mic_id,
            E.c.created_at,
            E.c.suppressed,
            t.mics.c.edge_id,
        )
        .select_from(E.outerjoin(t.mics, t.mics.c.id == E.c.mic_id))
        .where(E.c.seq > after_seq)
        .order_by(E.c.seq)
        .limit(limit)
    )
    return list((await conn.execute(q)).mappings())


async def newest_event_seq(conn: AsyncConnection) -> int:
    return int((await conn.execute(select(func.max(E.c.seq)))).scalar() or 0)


async def get_composite(conn: AsyncConnection, composite_id: str) -> RowMapping | None:
    return (await conn.execute(select(C).where(C.c.id == composite_id))).mappings().first()


async def list_composites(
    conn: AsyncConnection,
    page: int,
    size: int,
    *,
    ge: int | None,
    le: int | None,
    rule_id: str | None,
    ascending: bool,
) -> tuple[int, list[RowMapping]]:
    conds = []
    if ge is not None:
        conds.append(C.c.created_at >= ge)
    if le is not None:
        conds.append(C.c.created_at <= le)
    if rule_id:
        conds.append(C.c.rule_id == rule_id)
    order = (C.c.created_at, C.c.seq) if ascending else (C.c.created_at.desc(), C.c.seq.desc())
    return await fetch_page(conn, select(C).where(and_(True, *conds)).order_by(*order), page, size)


async def members(conn: AsyncConnection, composite_ids: Sequence[str]) -> list[RowMapping]:
    """Member events of the composites with their full mic rows (prefixed `mic__`)."""
    mic_cols = [c.label(f"mic__{c.name}") for c in t.mics.c]
    q = (
        select(M.c.composite_id, E, *mic_cols)
        .select_from(M.join(E, E.c.id == M.c.event_id).outerjoin(t.mics, t.mics.c.id == E.c.mic_id))
        .where(M.c.composite_id.in_(list(composite_ids)))
        .order_by(E.c.created_at, E.c.id)
    )
    return list((await conn.execute(q)).mappings())
