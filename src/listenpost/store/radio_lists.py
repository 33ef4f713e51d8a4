"""The radio REST API's reads: listings one page at a time, and rows by id.

Each listing returns (total, rows) for one page, ordered as docs/radio.md says; filters left
as None do not narrow. The API turns rows into views and errors into answers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from . import radio_tables as rt
from .paging import contains_pattern, fetch_page
from .radio import instances_query

Listing = tuple[int, list[Any]]
# What a path id names: the table and its number column (`sysid:number` or `number`).
NUMBERED: dict[str, tuple[Table, str]] = {
    "talkgroup": (rt.talkgroups, "tgid"),
    "unit": (rt.units, "unit_id"),
}


@dataclass(frozen=True)
class CallFilter:
    """GET /calls' filters (times in µs since the epoch)."""

    system: str | None = None
    talkgroup: int | None = None
    unit: int | None = None
    start: int | None = None
    end: int | None = None
    emergency: bool | None = None
    encrypted: bool | None = None


def _where(query: Select[Any], conds: Sequence[ColumnElement[bool]]) -> Select[Any]:
    return query.where(and_(True, *conds))


async def _newest(
    conn: AsyncConnection,
    table: Table,
    at: str,
    conds: Sequence[ColumnElement[bool]],
    page: int,
    size: int,
) -> Listing:
    """`table`'s rows matching every condition, latest `at` first (then latest id)."""
    query = _where(select(table), conds).order_by(table.c[at].desc(), table.c.id.desc())
    return await fetch_page(conn, query, page, size)


async def systems(conn: AsyncConnection, page: int, size: int) -> Listing:
    return await fetch_page(conn, select(rt.systems).order_by(rt.systems.c.short_name), page, size)


async def instances(conn: AsyncConnection, page: int, size: int) -> Listing:
    return await fetch_page(conn, instances_query(), page, size)


async def talkgroups(
    conn: AsyncConnection, page: int, size: int, sysid: str | None, search: str | None
) -> Listing:
    """`search` matches alpha tag or description anywhere, `%` and `_` literally."""
    c = rt.talkgroups.c
    conds: list[ColumnElement[bool]] = [c.sysid == sysid] if sysid else []
    if search:
        pattern = contains_pattern(search)
        conds.append(
            or_(c.alpha_tag.ilike(pattern, escape="\\"), c.description.ilike(pattern, escape="\\"))
        )
    query = _where(select(rt.talkgroups), conds).order_by(c.sysid, c.tgid)
    return await fetch_page(conn, query, page, size)


async def units(conn: AsyncConnection, page: int, size: int, sysid: str | None) -> Listing:
    c = rt.units.c
    query = _where(select(rt.units), [c.sysid == sysid] if sysid else [])
    return await fetch_page(conn, query.order_by(c.sysid, c.unit_id), page, size)


async def by_number(
    conn: AsyncConnection, kind: str, number: int, sysid: str | None
) -> list[RowMapping]:
    """Every `kind` ("talkgroup", "unit") row with that number (in that system)."""
    table, column = NUMBERED[kind]
    conds = [table.c[column] == number] + ([table.c.sysid == sysid] if sysid else [])
    return list((await conn.execute(select(table).where(*conds))).mappings().all())


async def unit_events(
    conn: AsyncConnection,
    page: int,
    size: int,
    system: str | None = None,
    talkgroup: int | None = None,
    unit: int | None = None,
) -> Listing:
    """Newest first by id (the order stored, the primary key), so the first page never sorts
    the whole table; `system` matches the short name or the sysid."""
    c = rt.unit_events.c
    conds: list[ColumnElement[bool]] = []
    if system:
        conds.append(or_(c.system == system, c.sysid == system))
    if talkgroup is not None:
        conds.append(c.talkgroup == talkgroup)
    if unit is not None:
        conds.append(c.unit == unit)
    query = _where(select(rt.unit_events), conds).order_by(c.id.desc())
    return await fetch_page(conn, query, page, size)


async def events_of_unit(
    conn: AsyncConnection, page: int, size: int, sysid: str, unit: int
) -> Listing:
    """One unit's events, latest event time first."""
    c = rt.unit_events.c
    return await _newest(
        conn, rt.unit_events, "time", [c.sysid == sysid, c.unit == unit], page, size
    )


def _call_conds(f: CallFilter) -> list[ColumnElement[bool]]:
    c = rt.calls.c
    conds: list[ColumnElement[bool]] = []
    if f.system:
        conds.append(or_(c.system == f.system, c.sysid == f.system))
    if f.talkgroup is not None:
        conds.append(c.talkgroup == f.talkgroup)
    if f.unit is not None:  # the call's own unit, or any unit that transmitted in it
        in_tx = select(rt.transmissions.c.call_id).where(rt.transmissions.c.unit == f.unit)
        conds.append(or_(c.unit == f.unit, c.id.in_(in_tx)))
    if f.start is not None:
        conds.append(c.start_time >= f.start)
    if f.end is not None:
        conds.append(c.start_time <= f.end)
    if f.emergency is not None:
        conds.append(c.emergency.is_(f.emergency))
    if f.encrypted is not None:
        conds.append(c.encrypted.is_(f.encrypted))
    return conds


async def calls(conn: AsyncConnection, page: int, size: int, f: CallFilter) -> Listing:
    """Newest start first."""
    return await _newest(conn, rt.calls, "start_time", _call_conds(f), page, size)


async def calls_by_id(conn: AsyncConnection, ids: Sequence[int]) -> list[RowMapping]:
    rows = await conn.execute(select(rt.calls).where(rt.calls.c.id.in_(ids)))
    return list(rows.mappings())


async def transmissions(conn: AsyncConnection, call_id: int) -> list[RowMapping]:
    """A call's transmissions in the order they were made."""
    t = rt.transmissions.c
    query = select(rt.transmissions).where(t.call_id == call_id).order_by(t.position, t.id)
    return list((await conn.execute(query)).mappings().all())


async def recorders(conn: AsyncConnection, page: int, size: int) -> Listing:
    c = rt.recorders.c
    query = select(rt.recorders).order_by(c.instance_id, c.src_num, c.rec_num)
    return await fetch_page(conn, query, page, size)


async def rates(
    conn: AsyncConnection,
    page: int,
    size: int,
    system: str | None,
    start: int | None,
    end: int | None,
) -> Listing:
    """Decode rates, newest first; `start`/`end` in µs since the epoch."""
    c = rt.rates.c
    conds: list[ColumnElement[bool]] = [c.system == system] if system else []
    if start is not None:
        conds.append(c.time >= start)
    if end is not None:
        conds.append(c.time <= end)
    return await _newest(conn, rt.rates, "time", conds, page, size)


async def calls_on_talkgroup(
    conn: AsyncConnection, page: int, size: int, sysid: str, tgid: int
) -> Listing:
    """One talkgroup's calls (by its system's id), newest start first."""
    c = rt.calls.c
    conds = [c.sysid == sysid, c.talkgroup == tgid]
    return await _newest(conn, rt.calls, "start_time", conds, page, size)
