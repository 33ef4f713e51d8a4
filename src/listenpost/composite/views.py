"""The composite-event payload of seeds/live-composite-events.txt, built from stored rows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..sound.labels import LABELS, label_summary
from ..sound.views import audio_view, mic_view
from ..timeutil import to_iso


def rule_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A rule as embedded in composites (the documented fields)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "window_seconds": row["window_seconds"],
        "min_events": row["min_events"],
        "enabled": bool(row["enabled"]),
        "group_by": row["group_by"],
        "include_label_ids": row["include_label_ids"] or None,
        "include_mic_ids": row["include_mic_ids"] or None,
    }


def rule_resource(row: Mapping[Any, Any]) -> dict[str, Any]:
    """A rule as the rules API returns it: the documented fields plus timestamps."""
    return {
        **rule_view(row),
        "created_at": to_iso(row["created_at"]),
        "updated_at": to_iso(row["updated_at"]),
    }


def label_view(label_id: str) -> dict[str, Any]:
    label = LABELS.get(label_id)
    return {**label_summary(label_id), "active": bool(label and label["active"])}


def _mic_of(member: Mapping[Any, Any]) -> dict[str, Any] | None:
    # The events query joins mics outer so that a member is never lost; but every event names
    # a mic that was registered, and mics are only ever soft-deleted, so the row is always there.
    if member["mic__id"] is None:  # pragma: no cover (defensive, see above)
        return None
    return mic_view({k[5:]: v for k, v in member.items() if k.startswith("mic__")})


def rich_event(member: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": member["id"],
        "confidence": member["confidence"],
        "confidence_threshold": member["confidence_threshold"],
        "sound_level": member["sound_level"],
        "sound_level_threshold": member["sound_level_threshold"],
        "description": member["description"],
        "audio_file": audio_view(member["audio_file"]),
        "is_read": bool(member["is_read"]),
        "read_at": to_iso(member["read_at"]),
        "created_at": to_iso(member["created_at"]),
        "updated_at": to_iso(member["updated_at"]),
        "label_id": member["label_id"],
        "mic_id": member["mic_id"],
        "label": label_view(member["label_id"]),
        "microphone": _mic_of(member),
    }


def composite_view(row: Mapping[Any, Any], members: Sequence[Mapping[Any, Any]]) -> dict[str, Any]:
    """`mics[]` carry `edge_status`: listenpost has no edge registry, so it is the status of
    the mic as its edge reports it (`active`/`inactive`)."""
    events = [rich_event(m) for m in members]
    mics: dict[str, dict[str, Any]] = {}
    labels: dict[str, dict[str, Any]] = {}
    for event in events:
        mic = event["microphone"]
        if mic is not None and mic["id"] not in mics:
            mics[mic["id"]] = {**mic, "edge_status": mic["status"]}
        labels.setdefault(event["label_id"], event["label"])
    return {
        "id": row["id"],
        "group_key": row["group_key"],
        "rule": row["rule"],
        "events": events,
        "mics": list(mics.values()),
        "labels": list(labels.values()),
        "started_at": to_iso(row["started_at"]),
        "created_at": to_iso(row["created_at"]),
        "updated_at": to_iso(row["updated_at"]),
    }
