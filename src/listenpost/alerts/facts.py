"""What ingest hands the alert engine, as `Fact`s (pure conversions, no I/O)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from ..timeutil import to_iso
from .engine import Fact


def sound_fact(row: Mapping[Any, Any]) -> Fact:
    """An accepted sound event row as ingest stored it (times in µs)."""
    ref = {
        "kind": "sound",
        "event_id": row["id"],
        "mic_id": row["mic_id"],
        "label_id": row["label_id"],
        "confidence": row["confidence"],
        "sound_level": row["sound_level"],
        "created_at": to_iso(row["created_at"]),
    }
    return Fact(
        "sound",
        row["id"],
        row["created_at"] / 1e6,
        mic=row["mic_id"],
        label=row["label_id"],
        confidence=row["confidence"],
        sound_level=row["sound_level"],
        ref=ref,
    )


def composite_fact(payload: Mapping[Any, Any], now: float) -> Fact:
    """A new composite event as the composite stream carries it."""
    rule_id = (payload.get("rule") or {}).get("id")
    ref = {
        "kind": "composite",
        "composite_id": payload["id"],
        "rule_id": rule_id,
        "group_key": payload.get("group_key"),
        "started_at": payload.get("started_at"),
        "event_ids": [e["id"] for e in payload.get("events") or ()],
    }
    return Fact("composite", payload["id"], now, rule_id=rule_id, ref=ref)


def radio_facts(
    records: Iterable[Any], emitted: Iterable[tuple[str, Mapping[Any, Any]]], now: float
) -> list[Fact]:
    """Liveness facts for every record naming a system or instance (messages, heartbeats),
    then one fact per tr-engine event the batch emitted."""
    facts = []
    for record in records:
        system = getattr(record, "sys_name", None) or None
        instance = getattr(record, "instance_id", None) or None
        if system or instance:
            kind = type(record).__name__
            facts.append(Fact("radio", kind, now, event=kind, system=system, instance=instance))
    for event, data in emitted:
        facts.append(_radio_event(event, data, now))
    return facts


def _radio_event(event: str, data: Mapping[Any, Any], now: float) -> Fact:
    call_id = data.get("call_id")
    ident = f"{event}:{call_id}" if call_id is not None else f"{event}:{uuid.uuid4().hex}"
    unit = data.get("unit")
    return Fact(
        "radio",
        ident,
        now,
        event=event,
        system=data.get("system"),
        talkgroup=data.get("talkgroup"),
        unit=unit if unit else None,
        unit_event_type=data.get("event_type"),
        emergency=data.get("emergency"),
        encrypted=data.get("encrypted"),
        decode_rate=data.get("decode_rate"),
        ref={"kind": "radio", "event": event, **data},
    )


def stored_ref(ref: Mapping[Any, Any]) -> dict[str, Any]:
    """A ref as stored and shown: silence times become ISO text."""
    out = dict(ref)
    if "since" in out and isinstance(out["since"], float):
        out["since"] = to_iso(int(out["since"] * 1e6))
    return out
