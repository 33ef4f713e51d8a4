"""REST: alerts (list, get, deliveries) and their acknowledgement and resolution (admin)."""

from __future__ import annotations

from enum import Enum
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request

from ..auth.deps import claims_of, require_access
from ..errors import Conflict, NotFound
from ..node import node_of
from ..params import Page, Size, iso_param, text_params
from ..schemas import Page as Listing
from ..schemas import documented
from ..store import alerts as store
from ..store.keys import key_name
from ..store.paging import envelope
from ..timeutil import now_us
from .schemas import Alert, Deliveries
from .views import alert_view, deliveries_view

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_access), Depends(text_params)])
ALERTS: list[str | Enum] = ["alerts"]


@router.get("/alerts", tags=ALERTS, responses=documented(Listing[Alert]))
async def list_alerts(
    request: Request,
    page: Page = 1,
    size: Size = 10,
    state: Literal["new", "acknowledged", "resolved"] | None = None,
    rule_id: str | None = None,
    source: Literal["sound", "composite", "radio", "silence"] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> dict[str, Any]:
    """Newest first; `start`/`end` bound `created_at` (ISO 8601, both included)."""
    async with node_of(request).engine.connect() as conn:
        total, rows = await store.list_alerts(
            conn,
            page,
            size,
            state=state,
            rule_id=rule_id,
            source=source,
            start=iso_param("start", start),
            end=iso_param("end", end),
        )
    return envelope(page, size, total, [alert_view(r) for r in rows])


@router.get("/alerts/{alert_id}", tags=ALERTS, responses=documented(Alert))
async def get_alert(alert_id: str, request: Request) -> dict[str, Any]:
    async with node_of(request).engine.connect() as conn:
        row = await store.get_alert(conn, alert_id)
    if row is None:
        raise NotFound(f"alert {alert_id!r} not found")
    return alert_view(row)


@router.get(
    "/alerts/{alert_id}/deliveries", tags=ALERTS, responses=documented(Deliveries)
)
async def alert_deliveries(alert_id: str, request: Request) -> dict[str, Any]:
    """One entry per target the alert was queued for, with every attempt and its error."""
    await get_alert(alert_id, request)
    async with node_of(request).engine.connect() as conn:
        deliveries, attempts = await store.deliveries_of(conn, alert_id)
    return {"alert_id": alert_id, "deliveries": deliveries_view(deliveries, attempts)}


async def _move(request: Request, alert_id: str, to: str, allowed: tuple[str, ...]) -> Any:
    node = node_of(request)
    claims = claims_of(request)
    who = (await key_name(node.engine, claims.key_id) if claims else None) or "unknown"
    now = now_us()
    field = "acknowledged" if to == "acknowledged" else "resolved"
    values = {"state": to, f"{field}_by": who, f"{field}_at": now, "updated_at": now}
    row = await store.change_state(node.engine, alert_id, allowed, values)
    if row is None:
        raise NotFound(f"alert {alert_id!r} not found")
    if row["state"] != to or row["updated_at"] != now:
        raise Conflict(f"alert {alert_id!r} is {row['state']}; it cannot become {to}")
    view = alert_view(row)
    await node.alerts.changed(view)
    return view


@router.post(
    "/alerts/{alert_id}/ack",
    tags=ALERTS,
    summary="Acknowledge an alert (admin)",
    responses=documented(Alert),
)
async def ack(alert_id: str, request: Request) -> dict[str, Any]:
    view: dict[str, Any] = await _move(request, alert_id, "acknowledged", ("new",))
    return view


@router.post(
    "/alerts/{alert_id}/resolve",
    tags=ALERTS,
    summary="Resolve an alert (admin)",
    responses=documented(Alert),
)
async def resolve(alert_id: str, request: Request) -> dict[str, Any]:
    view: dict[str, Any] = await _move(request, alert_id, "resolved", ("new", "acknowledged"))
    return view
