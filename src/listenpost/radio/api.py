"""Radio REST under /api/v1: systems, talkgroups, units, calls (+audio), recorders, rates.

Lists use the sound API's page envelope; field names follow tr-engine (contracts.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.responses import MalformedRangeHeader, RangeNotSatisfiable

from ..auth.deps import require_access, require_access_or_query
from ..errors import ApiError, Conflict, NotFound
from ..node import node_of
from ..params import INT64_MAX, Int64Query, Page, Size, int64_param, iso_param, text_params
from ..schemas import Data, documented
from ..schemas import Page as Listing
from ..store import radio as store
from ..store import radio_lists as lists
from ..store.paging import envelope
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


Fetch = Callable[[AsyncConnection], Awaitable[Any]]


async def _read(request: Request, fetch: Fetch) -> Any:
    async with node_of(request).engine.connect() as conn:
        return await fetch(conn)


async def _page(
    request: Request, page: int, size: int, view: Callable[[Any], dict[str, Any]], fetch: Fetch
) -> dict[str, Any]:
    """One page of a listing (`fetch` gives (total, rows)) in the page envelope."""
    total, rows = await _read(request, fetch)
    return envelope(page, size, total, [view(r) for r in rows])


@router.get("/systems", summary="Radio systems", responses=documented(Listed))
async def systems(request: Request, page: Page = 1, size: Size = 10) -> dict[str, Any]:
    return await _page(
        request, page, size, views.system_view, lambda c: lists.systems(c, page, size)
    )


@router.get(
    "/instances",
    summary="trunk-recorder instances and their last heartbeat",
    responses=documented(Listed),
)
async def instances(request: Request, page: Page = 1, size: Size = 10) -> dict[str, Any]:
    return await _page(
        request, page, size, views.instance_view, lambda c: lists.instances(c, page, size)
    )


async def _resolve(request: Request, what: str, ident: str) -> Any:
    """`sysid:id` or a plain id; 409 with candidates when a plain id is in several systems."""
    sysid, _, raw = ident.rpartition(":")
    number = int64_param(f"path.{what}_id (sysid:integer or integer)", raw)
    rows = await _read(request, lambda c: lists.by_number(c, what, number, sysid or None))
    if not rows:
        raise NotFound(f"{what} {ident!r} not found")
    if len(rows) > 1:
        column = lists.NUMBERED[what][1]
        raise Conflict(
            f"{what} {ident!r} exists in several systems; use sysid:id",
            candidates=[f"{r['sysid']}:{r[column]}" for r in rows],
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
    return await _page(
        request,
        page,
        size,
        views.talkgroup_view,
        lambda c: lists.talkgroups(c, page, size, sysid, search),
    )


@router.get(
    "/talkgroups/{talkgroup_id}",
    summary="One talkgroup (sysid:tgid or tgid)",
    responses=documented(One),
)
async def talkgroup(talkgroup_id: str, request: Request) -> dict[str, Any]:
    return {"data": views.talkgroup_view(await _resolve(request, "talkgroup", talkgroup_id))}


@router.get(
    "/talkgroups/{talkgroup_id}/calls", summary="Calls on a talkgroup", responses=documented(Listed)
)
async def talkgroup_calls(
    talkgroup_id: str, request: Request, page: Page = 1, size: Size = 10
) -> dict[str, Any]:
    tg = await _resolve(request, "talkgroup", talkgroup_id)
    return await _page(
        request,
        page,
        size,
        views.call_view,
        lambda c: lists.calls_on_talkgroup(c, page, size, tg["sysid"], tg["tgid"]),
    )


@router.get("/units", summary="Units (radios)", responses=documented(Listed))
async def units(
    request: Request, page: Page = 1, size: Size = 10, sysid: str | None = None
) -> dict[str, Any]:
    return await _page(
        request, page, size, views.unit_view, lambda c: lists.units(c, page, size, sysid)
    )


@router.get("/units/{unit_id}", summary="One unit (sysid:unit or unit)", responses=documented(One))
async def unit(unit_id: str, request: Request) -> dict[str, Any]:
    return {"data": views.unit_view(await _resolve(request, "unit", unit_id))}


@router.get("/units/{unit_id}/events", summary="A unit's events", responses=documented(Listed))
async def unit_events(
    unit_id: str, request: Request, page: Page = 1, size: Size = 10
) -> dict[str, Any]:
    u = await _resolve(request, "unit", unit_id)
    return await _page(
        request,
        page,
        size,
        views.unit_event_view,
        lambda c: lists.events_of_unit(c, page, size, u["sysid"], u["unit_id"]),
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
    return await _page(
        request,
        page,
        size,
        views.unit_event_view,
        lambda c: lists.unit_events(c, page, size, system, talkgroup, unit),
    )


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
    wanted = lists.CallFilter(
        system,
        talkgroup,
        unit,
        iso_param("start", start),
        iso_param("end", end),
        emergency,
        encrypted,
    )
    return await _page(
        request, page, size, views.call_view, lambda c: lists.calls(c, page, size, wanted)
    )


@router.get(
    "/calls/active", summary="Calls in progress (in-memory tracker)", responses=documented(Many)
)
async def active_calls(request: Request) -> dict[str, Any]:
    radio = node_of(request).radio
    ids = [entry.call_id for entry in radio.active.live.values()] if radio else []
    rows = await _read(request, lambda c: lists.calls_by_id(c, ids))
    return {"data": sorted((views.call_view(r) for r in rows), key=lambda x: x["id"])}


async def _call_row(request: Request, call_id: int) -> Any:
    found = await _read(request, lambda c: store.call(c, call_id))
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
    rows = await _read(request, lambda c: lists.transmissions(c, call_id))
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
    path = FilePath(node_of(request).settings.data_dir).resolve() / row["audio_path"]
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
    return await _page(
        request, page, size, views.recorder_view, lambda c: lists.recorders(c, page, size)
    )


@router.get("/stats/rates", summary="Decode rates, newest first", responses=documented(Listed))
async def rates(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    system: str | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    since, until = iso_param("start", start), iso_param("end", end)
    return await _page(
        request,
        page,
        size,
        views.rate_view,
        lambda c: lists.rates(c, page, size, system, since, until),
    )
