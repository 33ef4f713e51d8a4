"""Alerts, rules, targets and deliveries as the API shows them (times ISO 8601 UTC)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..timeutil import to_iso


def rule_resource(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        **row["spec"],
        "id": row["id"],
        "created_at": to_iso(row["created_at"]),
        "updated_at": to_iso(row["updated_at"]),
    }


def target_resource(row: Mapping[Any, Any], reveal: bool = False) -> dict[str, Any]:
    """A target; its webhook secret only when `reveal` (the create response)."""
    options = row.get("options") or {}
    view = {
        "id": row["id"],
        "name": row["name"],
        "kind": row["kind"],
        "url": row["url"],
        "topic": row["topic"],
        "ha_discovery": bool(options.get("ha_discovery")),
        "has_secret": bool(row["secret"]),
        "created_at": to_iso(row["created_at"]),
        "updated_at": to_iso(row["updated_at"]),
    }
    if reveal and row["secret"]:
        view["secret"] = row["secret"]
    return view


def alert_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "rule_id": row["rule_id"],
        "rule": row["rule"],
        "source": row["source"],
        "group_key": row["group_key"],
        "events": row["events"],
        "state": row["state"],
        "repeat_count": row["repeat_count"],
        "triggered_at": to_iso(row["triggered_at"]),
        "created_at": to_iso(row["created_at"]),
        "updated_at": to_iso(row["updated_at"]),
        "acknowledged_by": row["acknowledged_by"],
        "acknowledged_at": to_iso(row["acknowledged_at"]),
        "resolved_by": row["resolved_by"],
        "resolved_at": to_iso(row["resolved_at"]),
    }


def deliveries_view(
    deliveries: Sequence[Mapping[Any, Any]], attempts: Sequence[Mapping[Any, Any]]
) -> list[dict[str, Any]]:
    """One entry per target the alert was queued for, each with every attempt made."""
    by_delivery: dict[int, list[dict[str, Any]]] = {}
    for a in attempts:
        by_delivery.setdefault(a["delivery_seq"], []).append(
            {
                "attempt": a["attempt"],
                "at": to_iso(a["at"]),
                "status": "ok" if a["ok"] else "error",
                "error": a["error"],
            }
        )
    return [
        {
            "target_id": d["target_id"],
            "target_name": d["target_name"],
            "kind": d["target_kind"],
            "status": d["status"],
            "attempts": by_delivery.get(d["seq"], []),
            "next_attempt_at": to_iso(d["next_at"]) if d["status"] == "pending" else None,
            "last_error": d["last_error"],
        }
        for d in deliveries
    ]
