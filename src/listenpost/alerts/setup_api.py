"""REST: alert rules and alert targets (CRUD, admin; reading rules needs read)."""

from __future__ import annotations

import secrets
import uuid
from enum import Enum
from typing import Any

from fastapi import APIRouter, Depends, Request

from ..auth.deps import require_access
from ..errors import Invalid, NotFound
from ..node import Node, node_of
from ..params import Page, Size, text_params
from ..schemas import Page as Listing
from ..schemas import documented
from ..store import alerts as store
from ..store.paging import envelope
from ..timeutil import now_us
from .model import RuleBody, TargetBody, check_rule, check_target
from .schemas import AlertRule, AlertTarget
from .views import rule_resource, target_resource

router = APIRouter(prefix="/api/v1", dependencies=[Depends(require_access), Depends(text_params)])
RULES: list[str | Enum] = ["alert rules"]
TARGETS: list[str | Enum] = ["alert targets"]


async def _get(node: Node, kind: str, item_id: str) -> dict[str, Any]:
    async with node.engine.connect() as conn:
        row = await store.get(conn, kind, item_id)
    if row is None:
        raise NotFound(f"alert {kind} {item_id!r} not found")
    return dict(row)


async def _page(request: Request, kind: str, page: int, size: int) -> dict[str, Any]:
    view = rule_resource if kind == "rule" else target_resource
    async with node_of(request).engine.connect() as conn:
        total, rows = await store.page_of(conn, kind, page, size)
    return envelope(page, size, total, [view(r) for r in rows])


async def _rule_spec(node: Node, data: dict[str, Any]) -> dict[str, Any]:
    async with node.engine.connect() as conn:
        known = await store.existing_targets(conn, data.get("target_ids") or [])
    return check_rule(data, known)


def rule_row(spec: dict[str, Any], now: int, created_at: int | None = None) -> dict[str, Any]:
    return {
        "id": spec["id"],
        "name": spec["name"],
        "enabled": spec["enabled"],
        "source": spec["source"],
        "spec": {k: v for k, v in spec.items() if k != "id"},
        "created_at": created_at or now,
        "updated_at": now,
    }


@router.post("/alert-rules", status_code=201, tags=RULES, responses=documented(AlertRule, 201))
async def create_rule(body: RuleBody, request: Request) -> dict[str, Any]:
    node = node_of(request)
    spec = await _rule_spec(node, body.model_dump())
    spec["id"] = spec["id"] or uuid.uuid4().hex
    row = rule_row(spec, now_us())
    await store.insert(node.engine, "rule", row)
    resource = rule_resource(row)
    await node.alerts.set_rule(resource)
    return resource


@router.get("/alert-rules", tags=RULES, responses=documented(Listing[AlertRule]))
async def list_rules(request: Request, page: Page = 1, size: Size = 10) -> dict[str, Any]:
    return await _page(request, "rule", page, size)


@router.get("/alert-rules/{rule_id}", tags=RULES, responses=documented(AlertRule))
async def get_rule(rule_id: str, request: Request) -> dict[str, Any]:
    return rule_resource(await _get(node_of(request), "rule", rule_id))


@router.patch("/alert-rules/{rule_id}", tags=RULES, responses=documented(AlertRule))
async def patch_rule(rule_id: str, body: dict[str, Any], request: Request) -> dict[str, Any]:
    """Fields given replace the rule's (a whole `match`, `count` or `schedule` at a time)."""
    node = node_of(request)
    current = await _get(node, "rule", rule_id)
    if "id" in body and body["id"] != rule_id:
        raise Invalid("id: a rule's id cannot change")
    spec = await _rule_spec(node, {**current["spec"], **body, "id": rule_id})
    row = rule_row(spec, now_us(), current["created_at"])
    await store.update_item(node.engine, "rule", rule_id, row)
    resource = rule_resource(row)
    await node.alerts.set_rule(resource)
    return resource


@router.delete("/alert-rules/{rule_id}", status_code=204, tags=RULES)
async def delete_rule(rule_id: str, request: Request) -> None:
    node = node_of(request)
    await _get(node, "rule", rule_id)
    await store.delete_item(node.engine, "rule", rule_id, now_us())
    await node.alerts.remove_rule(rule_id)


def target_row(node: Node, data: dict[str, Any], now: int, created: int | None) -> dict[str, Any]:
    values = check_target(data, node.settings.mqtt_url)
    secret = values["secret"]
    if values["kind"] == "webhook" and not secret:
        secret = "whsec_" + secrets.token_urlsafe(32)
    return {
        "id": values["id"] or uuid.uuid4().hex,
        "name": values["name"],
        "kind": values["kind"],
        "url": values["url"],
        "secret": secret,
        "topic": values["topic"],
        "options": {"ha_discovery": values["ha_discovery"]},
        "created_at": created or now,
        "updated_at": now,
    }


@router.post(
    "/alert-targets", status_code=201, tags=TARGETS, responses=documented(AlertTarget, 201)
)
async def create_target(body: TargetBody, request: Request) -> dict[str, Any]:
    """A webhook created without `secret` gets one, shown in this response only."""
    node = node_of(request)
    row = target_row(node, body.model_dump(), now_us(), None)
    await store.insert(node.engine, "target", row)
    node.delivery.target_changed(row)
    return target_resource(row, reveal=True)


@router.get("/alert-targets", tags=TARGETS, responses=documented(Listing[AlertTarget]))
async def list_targets(request: Request, page: Page = 1, size: Size = 10) -> dict[str, Any]:
    return await _page(request, "target", page, size)


@router.get("/alert-targets/{target_id}", tags=TARGETS, responses=documented(AlertTarget))
async def get_target(target_id: str, request: Request) -> dict[str, Any]:
    return target_resource(await _get(node_of(request), "target", target_id))


@router.patch(
    "/alert-targets/{target_id}", tags=TARGETS, responses=documented(AlertTarget)
)
async def patch_target(target_id: str, body: dict[str, Any], request: Request) -> dict[str, Any]:
    node = node_of(request)
    current = await _get(node, "target", target_id)
    if "id" in body and body["id"] != target_id:
        raise Invalid("id: a target's id cannot change")
    data = {
        "id": target_id,
        "name": current["name"],
        "kind": current["kind"],
        "url": current["url"],
        "secret": current["secret"],
        "topic": current["topic"],
        "ha_discovery": bool((current["options"] or {}).get("ha_discovery")),
        **body,
    }
    # a change of kind drops what the old kind had and the new one cannot take
    for name, kinds, empty in (("secret", ("webhook",), None), ("topic", ("mqtt",), None),
                               ("ha_discovery", ("mqtt",), False)):
        if name not in body and data["kind"] not in kinds:
            data[name] = empty
    row = target_row(node, data, now_us(), current["created_at"])
    await store.update_item(node.engine, "target", target_id, row)
    node.delivery.target_changed(row)
    return target_resource(row)


@router.delete("/alert-targets/{target_id}", status_code=204, tags=TARGETS)
async def delete_target(target_id: str, request: Request) -> None:
    """Pending deliveries to the target are cancelled."""
    node = node_of(request)
    await _get(node, "target", target_id)
    await store.delete_item(node.engine, "target", target_id, now_us())
    await node.delivery.target_removed(target_id)


