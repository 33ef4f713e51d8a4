"""Radio REST under /api/v1: systems, talkgroups, units, calls (+audio), recorders, rates.

Lists use the sound API's page envelope; field names follow tr-engine (contracts.md).
"""

from __future__ import annotations

from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse
from sqlalchemy import ColumnElement, Select, and_, or_, select
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from ..auth.deps import require_access, require_access_or_query
from ..errors import ApiError, Conflict, NotFound
from ..params import INT64_MAX, Int64Query, Page, Size, int64_param, iso_param, text_params
from ..schemas import Data, documented
from ..schemas import Page as Listing
from ..store import radio as q
from ..store import radio_tables as rt
from ..store.paging import contains_pattern, envelope, fetch_page
from . import views

router = APIRouter(
    prefix="/api/v1", tags=["radio"], dependencies=[Depends(require_access), Depends(text_params)]
)
audio_router = APIRouter(prefix="/api/v1", tags=["radio"])

Listed = Listing[dict[str, Any]]  # rows' fields: docs/radio.md
One = Data[dict[str, Any]]
Many = Data[list[dict[str, Any]]]
CallId = Annotated[int, Path(ge=1, le=INT64_MAX, description="A call's id")]
AUDIO_TYPES = {".m4a": "audio/mp4", ".wav": "audio/wav", ".ogg": "audio/ogg", ".mp3": "audio/mpeg"}
_BINARY = {"schema": {"type": "string", "format": "binary"}}
AUDIO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "The audio", "content": {t: _BINARY for t in AUDIO_TYPES.values()}},
    206: {
        "description": "Part of it (Range)",
        "content": {t: _BINARY for t in AUDIO_TYPES.values()},
    },
}


def _db(request: Request) -> Any:
    return request.app.state.node.engine


async def _page(
    request: Request, query: Select[Any], page: int, size: int, view: Any
) -> dict[str, Any]:
    async with _db(request).connect() as conn:
        total, rows = await fetch_page(conn, query, page, size)
    return envelope(page, size, total, [view(r) for r in rows])


@router.get("/systems", summary="Radio systems", responses=documented(Listed))
async def systems(request: Request, page: Page = 1, size: Size = 10) -> dict[str, Any]:
    q = select(rt.systems).order_by(rt.systems.c.short_name)
    return await _page(request, q, page, size, views.system_view)


@router.get(
    "/instances",
    summary="trunk-recorder instances and their last heartbeat",
    responses=documented(Listed),
)
async def instances(request: Request, page: Page = 1, size: Size = 10) -> dict[str, Any]:
    return await _page(request, q.instances_query(), page, size, views.instance_view)


async def _resolve(request: Request, table: Any, id_col: str, ident: str, what: str) -> Any:
    """`sysid:id` or a plain id; 409 with candidates when a plain id is in several systems."""
    sysid, _, raw = ident.rpartition(":")
    number = int64_param(f"path.{what}_id (sysid:integer or integer)", raw)
    conds = [table.c[id_col] == number] + ([table.c.sysid == sysid] if sysid else [])
    async with _db(request).connect() as conn:
        rows = (await conn.execute(select(table).where(*conds))).mappings().all()
    if not rows:
        raise NotFound(f"{what} {ident!r} not found")
    if len(rows) > 1:
        raise Conflict(
            f"{what} {ident!r} exists in several systems; use sysid:id",
            candidates=[f"{r['sysid']}:{r[id_col]}" for r in rows],
        )
    return rows[0]


@router.get("/talkgroups", summary="Talkgroups", responses=documented(Listed))
async def talkgroups(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    sysid: str | None = None,
    search: str | None = None,
) -> dict[str, Any]:
    c = rt.talkgroups.c
    q = select(rt.talkgroups)
    if sysid:
        q = q.where(c.sysid == sysid)
    if search:
        pattern = contains_pattern(search)  # `%` and `_` match themselves
        q = q.where(
            or_(c.alpha_tag.ilike(pattern, escape="\\"), c.description.ilike(pattern, escape="\\"))
        )
    return await _page(request, q.order_by(c.sysid, c.tgid), page, size, views.talkgroup_view)


@router.get(
    "/talkgroups/{talkgroup_id}",
    summary="One talkgroup (sysid:tgid or tgid)",
    responses=documented(One),
)
async def talkgroup(talkgroup_id: str, request: Request) -> dict[str, Any]:
    row = await _resolve(request, rt.talkgroups, "tgid", talkgroup_id, "talkgroup")
    return {"data": views.talkgroup_view(row)}


@router.get(
    "/talkgroups/{talkgroup_id}/calls", summary="Calls on a talkgroup", responses=documented(Listed)
)
async def talkgroup_calls(
    talkgroup_id: str, request: Request, page: Page = 1, size: Size = 10
) -> dict[str, Any]:
    tg = await _resolve(request, rt.talkgroups, "tgid", talkgroup_id, "talkgroup")
    c = rt.calls.c
    q = select(rt.calls).where(c.sysid == tg["sysid"], c.talkgroup == tg["tgid"])
    return await _page(
        request, q.order_by(c.start_time.desc(), c.id.desc()), page, size, views.call_view
    )


@router.get("/units", summary="Units (radios)", responses=documented(Listed))
async def units(
    request: Request, page: Page = 1, size: Size = 10, sysid: str | None = None
) -> dict[str, Any]:
    c = rt.units.c
    q = select(rt.units).where(c.sysid == sysid) if sysid else select(rt.units)
    return await _page(request, q.order_by(c.sysid, c.unit_id), page, size, views.unit_view)


@router.get("/units/{unit_id}", summary="One unit (sysid:unit or unit)", responses=documented(One))
async def unit(unit_id: str, request: Request) -> dict[str, Any]:
    return {"data": views.unit_view(await _resolve(request, rt.units, "unit_id", unit_id, "unit"))}


@router.get("/units/{unit_id}/events", summary="A unit's events", responses=documented(Listed))
async def unit_events(
    unit_id: str, request: Request, page: Page = 1, size: Size = 10
) -> dict[str, Any]:
    u = await _resolve(request, rt.units, "unit_id", unit_id, "unit")
    c = rt.unit_events.c
    q = select(rt.unit_events).where(c.sysid == u["sysid"], c.unit == u["unit_id"])
    return await _page(
        request, q.order_by(c.time.desc(), c.id.desc()), page, size, views.unit_event_view
    )


@router.get(
    "/unit-events",
    summary="Unit events of every unit, latest stored first",
    responses=documented(Listed),
)
async def all_unit_events(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    system: str | None = None,
    talkgroup: Int64Query | None = None,
    unit: Int64Query | None = None,
) -> dict[str, Any]:
    """The dashboard's unit activity log starts from here before /api/ws takes over. Ordered
    by id (the order stored, the primary key) so the first page never sorts the whole table."""
    c = rt.unit_events.c
    conds: list[ColumnElement[bool]] = []
    if system:
        conds.append(or_(c.system == system, c.sysid == system))
    if talkgroup is not None:
        conds.append(c.talkgroup == talkgroup)
    if unit is not None:
        conds.append(c.unit == unit)
    q = select(rt.unit_events).where(and_(True, *conds)).order_by(c.id.desc())
    return await _page(request, q, page, size, views.unit_event_view)


def _call_filters(
    system: str | None,
    talkgroup: int | None,
    unit: int | None,
    start: int | None,
    end: int | None,
    emergency: bool | None,
    encrypted: bool | None,
) -> list[ColumnElement[bool]]:
    c = rt.calls.c
    conds: list[ColumnElement[bool]] = []
    if system:
        conds.append(or_(c.system == system, c.sysid == system))
    if talkgroup is not None:
        conds.append(c.talkgroup == talkgroup)
    if unit is not None:
        in_tx = select(rt.transmissions.c.call_id).where(rt.transmissions.c.unit == unit)
        conds.append(or_(c.unit == unit, c.id.in_(in_tx)))
    if start is not None:
        conds.append(c.start_time >= start)
    if end is not None:
        conds.append(c.start_time <= end)
    if emergency is not None:
        conds.append(c.emergency.is_(emergency))
    if encrypted is not None:
        conds.append(c.encrypted.is_(encrypted))
    return conds


@router.get("/calls", summary="Calls, newest first", responses=documented(Listed))
async def calls(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    system: str | None = None,
    talkgroup: Int64Query | None = None,
    unit: Int64Query | None = None,
    start: str | None = None,
    end: str | None = None,
    emergency: bool | None = None,
    encrypted: bool | None = None,
) -> dict[str, Any]:
    conds = _call_filters(
        system,
        talkgroup,
        unit,
        iso_param("start", start),
        iso_param("end", end),
        emergency,
        encrypted,
    )
    c = rt.calls.c
    q = select(rt.calls).where(and_(True, *conds)).order_by(c.start_time.desc(), c.id.desc())
    return await _page(request, q, page, size, views.call_view)


@router.get(
    "/calls/active", summary="Calls in progress (in-memory tracker)", responses=documented(Many)
)
async def active_calls(request: Request) -> dict[str, Any]:
    live = list(request.app.state.node.radio.active.live.values())
    ids = [entry.call_id for entry in live]
    async with _db(request).connect() as conn:
        rows = (await conn.execute(select(rt.calls).where(rt.calls.c.id.in_(ids)))).mappings()
        found = [views.call_view(r) for r in rows]
    return {"data": sorted(found, key=lambda x: x["id"])}


async def _call_row(request: Request, call_id: int) -> Any:
    async with _db(request).connect() as conn:
        row = (await conn.execute(select(rt.calls).where(rt.calls.c.id == call_id))).mappings()
        found = row.first()
    if found is None:
        raise NotFound(f"call {call_id} not found")
    return found


@router.get("/calls/{call_id}", summary="One call", responses=documented(One))
async def call(call_id: CallId, request: Request) -> dict[str, Any]:
    return {"data": views.call_view(await _call_row(request, call_id))}


@router.get(
    "/calls/{call_id}/transmissions",
    summary="A call's unit transmissions",
    responses=documented(Many),
)
async def transmissions(call_id: CallId, request: Request) -> dict[str, Any]:
    await _call_row(request, call_id)
    t = rt.transmissions.c
    async with _db(request).connect() as conn:
        rows = (
            (
                await conn.execute(
                    select(rt.transmissions).where(t.call_id == call_id).order_by(t.position, t.id)
                )
            )
            .mappings()
            .all()
        )
    return {"data": [views.transmission_view(r) for r in rows]}


@audio_router.get(
    "/calls/{call_id}/audio",
    summary="A call's audio (Range supported)",
    dependencies=[Depends(require_access_or_query)],
    response_class=FileResponse,
    responses=AUDIO_RESPONSES,
)
async def audio(call_id: CallId, request: Request) -> FileResponse:
    row = await _call_row(request, call_id)
    if not row["audio_path"]:
        raise NotFound(f"call {call_id} has no audio")
    path = FilePath(request.app.state.node.settings.data_dir).resolve() / row["audio_path"]
    if not path.is_file():
        raise NotFound(f"call {call_id}: audio file is missing")
    response = FileResponse(
        path, media_type=AUDIO_TYPES.get(path.suffix, "audio/mpeg"), stat_result=path.stat()
    )
    _check_range(request, response, path.stat().st_size)
    return response


def _check_range(request: Request, response: FileResponse, size: int) -> None:
    """Refuse a bad `Range` in the documented JSON shape. Starlette would answer it in plain
    text; its own parser is used so both agree on what is bad."""
    header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if header is None or (if_range is not None and not response._should_use_range(if_range)):
        return
    try:
        FileResponse._parse_range_header(header, size)
    except MalformedRangeHeader as exc:
        raise ApiError(f"header.range: {exc.content}", status=400) from exc
    except RangeNotSatisfiable as exc:
        raise ApiError(
            f"header.range: not satisfiable, the audio has {size} bytes",
            status=416,
            headers={"Content-Range": f"bytes */{size}"},
        ) from exc


@router.get("/recorders", summary="Recorders and their last state", responses=documented(Listed))
async def recorders(request: Request, page: Page = 1, size: Size = 10) -> dict[str, Any]:
    c = rt.recorders.c
    q = select(rt.recorders).order_by(c.instance_id, c.src_num, c.rec_num)
    return await _page(request, q, page, size, views.recorder_view)


@router.get("/stats/rates", summary="Decode rates, newest first", responses=documented(Listed))
async def rates(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    system: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    c = rt.rates.c
    conds: list[ColumnElement[bool]] = []
    if system:
        conds.append(c.system == system)
    if (s := iso_param("start", start)) is not None:
        conds.append(c.time >= s)
    if (e := iso_param("end", end)) is not None:
        conds.append(c.time <= e)
    q = select(rt.rates).where(and_(True, *conds)).order_by(c.time.desc(), c.id.desc())
    return await _page(request, q, page, size, views.rate_view)
