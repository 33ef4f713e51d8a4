"""Documented shapes of the alert API's answers (see listenpost.schemas)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..schemas import Time


class AlertRule(BaseModel):
    id: str
    name: str
    description: str | None
    enabled: bool
    source: str  # sound | composite | radio | silence
    match: dict[str, Any]  # per source: docs/alerts.md
    count: dict[str, Any] | None
    group_by: list[str] | None
    schedule: dict[str, Any] | None
    cooldown_seconds: float | None
    realert_above_confidence: float | None
    target_ids: list[str]
    created_at: Time
    updated_at: Time


class AlertTarget(BaseModel):
    id: str
    name: str
    kind: str  # webhook | apprise | mqtt
    url: str | None
    topic: str | None
    ha_discovery: bool
    has_secret: bool
    secret: str | None = None  # only in the create response of a webhook
    created_at: Time
    updated_at: Time


class Alert(BaseModel):
    id: str
    rule_id: str
    rule: dict[str, Any]  # the rule as it was when the alert fired
    source: str
    group_key: str
    events: list[dict[str, Any]]  # the triggering events: docs/alerts.md
    state: str  # new | acknowledged | resolved
    repeat_count: int
    triggered_at: Time
    created_at: Time
    updated_at: Time
    acknowledged_by: str | None
    acknowledged_at: Time
    resolved_by: str | None
    resolved_at: Time


class Attempt(BaseModel):
    attempt: int
    at: Time
    status: str  # ok | error
    error: str | None


class Delivery(BaseModel):
    target_id: str
    target_name: str | None  # null once the target is deleted
    kind: str | None
    status: str  # pending | delivered | expired | cancelled
    attempts: list[Attempt]
    next_attempt_at: Time
    last_error: str | None


class Deliveries(BaseModel):
    alert_id: str
    deliveries: list[Delivery]
