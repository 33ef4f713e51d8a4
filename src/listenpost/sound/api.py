"""REST of the sound domain: mics, labels, events (Deeply API plus documented extensions)."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response

from ..auth.deps import require_access
from ..errors import Invalid, NotFound
from ..jsonbody import OrjsonRoute
from ..node import Node, node_of
from ..params import Page, Size, iso_param, text_params
from ..schemas import Data, documented
from ..schemas import Page as Listing
from ..store import sound as store
from ..store.paging import envelope
from ..timeutil import now_us, parse_iso
from . import thresholds
from .labels import LABELS
from .models import EventBatch, EventIn, MicCreate, MicPatch
from .schemas import Event, LabelInfo, Mic
from .views import event_view, mic_view

router = APIRouter(
    prefix="/api/v1",
    dependencies=[Depends(require_access), Depends(text_params)],
    route_class=OrjsonRoute,
)


def _node(request: Request) -> Node:
    return node_of(request)


def _mic_values(body: MicCreate | MicPatch, current: dict[str, Any]) -> dict[str, Any]:
    """Columns to write from the fields the client sent."""
    values: dict[str, Any] = {}
    for name in body.model_fields_set - {"id"}:
        value = getattr(body, name)
        if name == "thresholds":
            try:
                value = thresholds.merge(current.get("thresholds") or {}, value or {})
            except ValueError as exc:
                raise Invalid(str(exc)) from exc
        elif name in ("channel", "console", "location") and value is not None:
            value = value.model_dump()
        elif name == "reported_at":
            value = parse_iso(value) if value else None
        values[name] = value
    return values


@router.post(
    "/mics",
    status_code=201,
    tags=["mics"],
    summary="Register a mic (extension)",
    responses=documented(Data[Mic], 201),
)
async def create_mic(body: MicCreate, request: Request) -> dict[str, Any]:
    import uuid

    now = now_us()
    row: dict[str, Any] = {
        "id": body.id or uuid.uuid4().hex,
        "host": None,
        "subnet_mask": None,
        "mac_address": None,
        "microphone_type": None,
        "channel": None,
        "console": None,
        "streaming": False,
        "recording": False,
        "edge_id": None,
        "location": None,
        "status": "active",
        "thresholds": {},
        "reported_at": None,
        "connected": False,
        "created_at": now,
        "updated_at": now,
        "deleted_at": None,
    }
    row.update({k: v for k, v in _mic_values(body, row).items() if v is not None})
    await store.insert_mic(_node(request).engine, row)
    return {"data": mic_view(row)}


@router.get("/mics", tags=["mics"], summary="List mics", responses=documented(Listing[Mic]))
async def list_mics(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    name: str | None = None,
    edge_id: str | None = None,
) -> dict[str, Any]:
    async with _node(request).engine.connect() as conn:
        total, rows = await store.list_mics(conn, page, size, name, edge_id)
    return envelope(page, size, total, [mic_view(r) for r in rows])


async def _mic_or_404(request: Request, mic_id: str) -> dict[str, Any]:
    async with _node(request).engine.connect() as conn:
        row = await store.get_mic(conn, mic_id)
    if row is None:
        raise NotFound(f"mic {mic_id!r} not found")
    return dict(row)


@router.get("/mics/{mic_id}", tags=["mics"], summary="Get a mic", responses=documented(Data[Mic]))
async def get_mic(mic_id: str, request: Request) -> dict[str, Any]:
    return {"data": mic_view(await _mic_or_404(request, mic_id))}


@router.patch(
    "/mics/{mic_id}",
    tags=["mics"],
    summary="Update a mic (partial)",
    responses=documented(Data[Mic]),
)
async def patch_mic(mic_id: str, body: MicPatch, request: Request) -> dict[str, Any]:
    current = await _mic_or_404(request, mic_id)
    values = _mic_values(body, current)
    if "name" in values and values["name"] is None:
        raise Invalid("name: may not be null")
    values["updated_at"] = now_us()
    await store.update_mic(_node(request).engine, mic_id, values)
    current.update(values)
    return {"data": mic_view(current)}


@router.delete(
    "/mics/{mic_id}", tags=["mics"], summary="Delete a mic (soft)", responses=documented(Data[Mic])
)
async def delete_mic(mic_id: str, request: Request) -> dict[str, Any]:
    current = await _mic_or_404(request, mic_id)
    now = now_us()
    await store.update_mic(_node(request).engine, mic_id, {"deleted_at": now, "updated_at": now})
    current.update(deleted_at=now, updated_at=now)
    return {"data": mic_view(current)}


@router.get(
    "/labels",
    tags=["labels"],
    summary="List labels (extension)",
    responses=documented(Data[list[LabelInfo]]),
)
async def list_labels() -> dict[str, Any]:
    return {"data": list(LABELS.values())}


def _ingest_view(row: dict[str, Any]) -> dict[str, Any]:
    return event_view(row)


@router.post(
    "/events",
    status_code=201,
    tags=["events"],
    summary="Ingest one event (extension)",
    responses=documented(Event, 201),
)
async def post_event(body: EventIn, request: Request) -> dict[str, Any]:
    rows = await _node(request).ingest.accept([body])
    return _ingest_view(rows[0])


@router.post(
    "/events/batch",
    status_code=201,
    tags=["events"],
    summary="Ingest up to 1000",
    responses=documented(Data[list[Event]], 201),
)
async def post_events(body: EventBatch, request: Request) -> Response:
    # The answer is encoded once, straight to bytes: through the response model FastAPI
    # inferred (a dict), 1000 events were walked and dumped a second time by pydantic.
    rows = await _node(request).ingest.accept(body.events)
    content = orjson.dumps({"data": [_ingest_view(r) for r in rows]})
    return Response(content, 201, media_type="application/json")


@router.get(
    "/events",
    tags=["events"],
    summary="List events, newest first",
    responses=documented(Listing[Event]),
)
async def list_events(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    start: str | None = None,
    end: str | None = None,
    mic_id: Annotated[list[str] | None, Query()] = None,
    label_id: Annotated[list[str] | None, Query()] = None,
    include_suppressed: bool = False,
) -> dict[str, Any]:
    async with _node(request).engine.connect() as conn:
        total, rows = await store.list_events(
            conn,
            page,
            size,
            start=iso_param("start", start),
            end=iso_param("end", end),
            mic_ids=mic_id or [],
            label_ids=label_id or [],
            include_suppressed=include_suppressed,
        )
    return envelope(page, size, total, [event_view(r) for r in rows])


@router.get(
    "/events/{event_id}", tags=["events"], summary="Get an event", responses=documented(Event)
)
async def get_event(event_id: str, request: Request) -> dict[str, Any]:
    async with _node(request).engine.connect() as conn:
        row = await store.get_event(conn, event_id)
    if row is None:
        raise NotFound(f"event {event_id!r} not found")
    return event_view(row)
