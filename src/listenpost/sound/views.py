"""Wire shapes of the sound API, built from stored rows (one function per shape)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..timeutil import to_iso
from .labels import label_summary

PASSWORD_MASK = "********"


def endpoint_view(value: Mapping[Any, Any] | None) -> dict[str, Any] | None:
    """Passwords are write-only: a set password reads back as the mask, an unset one as null."""
    if not value:
        return None
    out = {k: value.get(k) for k in ("scheme", "port", "path", "username", "password")}
    out["password"] = PASSWORD_MASK if value.get("password") else None
    return out


def mic_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The full microphone object (seeds/live-composite-events.txt)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "host": row["host"],
        "subnet_mask": row["subnet_mask"],
        "mac_address": row["mac_address"],
        "microphone_type": row["microphone_type"],
        "channel": endpoint_view(row["channel"]),
        "console": endpoint_view(row["console"]),
        "streaming": bool(row["streaming"]),
        "recording": bool(row["recording"]),
        "edge_id": row["edge_id"],
        "location": row["location"],
        "status": row["status"],
        "thresholds": row["thresholds"] or {},
        "created_at": to_iso(row["created_at"]),
        "updated_at": to_iso(row["updated_at"]),
        "deleted_at": to_iso(row["deleted_at"]),
        "reported_at": to_iso(row["reported_at"]),
        "connected": bool(row["connected"]),
    }


def mic_summary(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {"id": row["mic_id"], "name": row["mic_name"], "location": row["mic_location"]}


def audio_view(path: str | None) -> dict[str, str] | None:
    return {"file_path": path} if path else None


def event_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The public Event object, plus the ingest details a client may want (extension)."""
    return {
        "id": row["id"],
        "label": label_summary(row["label_id"]),
        "confidence": row["confidence"],
        "mic": mic_summary(row),
        "sound_level": row["sound_level"],
        "noises": row["noises"] or [],
        "description": row["description"],
        "audio_file": audio_view(row["audio_file"]),
        "suppressed": bool(row["suppressed"]),
        "is_read": bool(row["is_read"]),
        "read_at": to_iso(row["read_at"]),
        "created_at": to_iso(row["created_at"]),
        "updated_at": to_iso(row["updated_at"]),
    }


def live_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    """The documented live-event frame of `/api/v1/ws`, plus `created_at`."""
    return {
        "id": row["id"],
        "label": label_summary(row["label_id"]),
        "confidence": row["confidence"],
        "mic": mic_summary(row),
        "noises": row["noises"] or [],
        "created_at": to_iso(row["created_at"]),
    }
