"""REST: composite rules (extension), composite events (Deeply), marking events read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from ..auth.deps import require_access
from ..errors import Invalid, NotFound
from ..node import Node, node_of
from ..params import Page, Size, iso_param, text_params
from ..schemas import Page as Listing
from ..schemas import documented
from ..sound.labels import LABELS
from ..sound.models import ResourceId, Strict
from ..sound.schemas import Event
from ..sound.views import event_view
from ..store import composites as store
from ..store import sound as sound_store
from ..store.paging import envelope
from ..timeutil import now_us
from .keys import parse_group_by
from .schemas import Composite, Rule
from .views import composite_view, rule_resource

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_access), Depends(text_params)])

Window = Annotated[float, Field(gt=0, le=86400)]
MAX_MIN_EVENTS = 1_000_000  # the engine holds up to this many pending events per group
MinEvents = Annotated[int, Field(ge=1, le=MAX_MIN_EVENTS)]


class RuleFields(Strict):
    description: str | None = None
    enabled: bool | None = None
    include_label_ids: list[str] | None = None
    include_mic_ids: list[str] | None = None


class RuleCreate(RuleFields):
    id: ResourceId | None = None
    name: Annotated[str, Field(min_length=1, max_length=200)]
    window_seconds: Window
    min_events: MinEvents
    group_by: str = "label_id"


class RulePatch(RuleFields):
    name: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    window_seconds: Window | None = None
    min_events: MinEvents | None = None
    group_by: str | None = None


def check_rule_values(values: dict[str, Any]) -> dict[str, Any]:
    """Validate what pydantic cannot: group_by fields and label ids. Raises Invalid (422)."""
    if values.get("group_by") is not None:
        try:
            values["group_by"] = ",".join(parse_group_by(values["group_by"]))
        except ValueError as exc:
            raise Invalid(f"group_by: {exc}") from exc
    for label_id in values.get("include_label_ids") or ():
        if label_id not in LABELS:
            raise Invalid(f"include_label_ids: unknown label {label_id!r}")
    for name in ("include_label_ids", "include_mic_ids"):
        if name in values and not values[name]:
            values[name] = None
    return values


def _node(request: Request) -> Node:
    return node_of(request)


async def _rule_or_404(request: Request, rule_id: str) -> dict[str, Any]:
    async with _node(request).engine.connect() as conn:
        row = await store.get_rule(conn, rule_id)
    if row is None:
        raise NotFound(f"composite rule {rule_id!r} not found")
    return dict(row)


@router.post(
    "/composite-rules", status_code=201, tags=["composite rules"], responses=documented(Rule, 201)
)
async def create_rule(body: RuleCreate, request: Request) -> dict[str, Any]:
    now = now_us()
    values = check_rule_values(body.model_dump())
    row = {
        **values,
        "id": body.id or uuid.uuid4().hex,
        "created_at": now,
        "updated_at": now,
        "enabled": True if body.enabled is None else body.enabled,
    }
    await store.insert_rule(_node(request).engine, row)
    await _node(request).composites.set_rule(row)
    return rule_resource(row)


@router.get("/composite-rules", tags=["composite rules"], responses=documented(Listing[Rule]))
async def list_rules(request: Request, page: Page = 1, size: Size = 10) -> dict[str, Any]:
    async with _node(request).engine.connect() as conn:
        total, rows = await store.list_rules(conn, page, size)
    return envelope(page, size, total, [rule_resource(r) for r in rows])


@router.get("/composite-rules/{rule_id}", tags=["composite rules"], responses=documented(Rule))
async def get_rule(rule_id: str, request: Request) -> dict[str, Any]:
    return rule_resource(await _rule_or_404(request, rule_id))


@router.patch("/composite-rules/{rule_id}", tags=["composite rules"], responses=documented(Rule))
async def patch_rule(rule_id: str, body: RulePatch, request: Request) -> dict[str, Any]:
    current = await _rule_or_404(request, rule_id)
    values = check_rule_values({k: getattr(body, k) for k in body.model_fields_set})
    for name in ("name", "window_seconds", "min_events", "group_by", "enabled"):
        if name in values and values[name] is None:
            raise Invalid(f"{name}: may not be null")
    values["updated_at"] = now_us()
    await store.update_rule(_node(request).engine, rule_id, values)
    current.update(values)
    await _node(request).composites.set_rule(current)
    return rule_resource(current)


@router.delete("/composite-rules/{rule_id}", status_code=204, tags=["composite rules"])
async def delete_rule(rule_id: str, request: Request) -> None:
    await _rule_or_404(request, rule_id)
    await store.delete_rule(_node(request).engine, rule_id)
    await _node(request).composites.remove_rule(rule_id)


@router.get(
    "/composite-events", tags=["composite events"], responses=documented(Listing[Composite])
)
async def list_composites(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    created_at__ge: str | None = None,
    created_at__le: str | None = None,
    composite_rule_id: str | None = None,
    order_by: Annotated[Literal["asc", "desc"], Query()] = "desc",
) -> dict[str, Any]:
    async with _node(request).engine.connect() as conn:
        total, rows = await store.list_composites(
            conn,
            page,
            size,
            ge=iso_param("created_at__ge", created_at__ge),
            le=iso_param("created_at__le", created_at__le),
            rule_id=composite_rule_id,
            ascending=order_by == "asc",
        )
        members = await store.members(conn, [r["id"] for r in rows])
    by_id: dict[str, list[Any]] = {}
    for m in members:
        by_id.setdefault(m["composite_id"], []).append(m)
    return envelope(page, size, total, [composite_view(r, by_id.get(r["id"], [])) for r in rows])


@router.get(
    "/composite-events/{composite_event_id}",
    tags=["composite events"],
    responses=documented(Composite),
)
async def get_composite(composite_event_id: str, request: Request) -> dict[str, Any]:
    async with _node(request).engine.connect() as conn:
        row = await store.get_composite(conn, composite_event_id)
        if row is None:
            raise NotFound(f"composite event {composite_event_id!r} not found")
        members = await store.members(conn, [composite_event_id])
    return composite_view(row, members)


@router.post(
    "/events/{event_id}/read",
    tags=["events"],
    summary="Mark an event read (extension)",
    responses=documented(Event),
)
async def mark_read(event_id: str, request: Request) -> dict[str, Any]:
    engine = _node(request).engine
    await sound_store.mark_read(engine, event_id, now_us())
    async with engine.connect() as conn:
        row = await sound_store.get_event(conn, event_id)
    if row is None:
        raise NotFound(f"event {event_id!r} not found")
    return event_view(row)
