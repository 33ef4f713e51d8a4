"""Wire shapes of the radio REST API (tr-engine's column and event field names)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ..store import radio as q
from ..timeutil import to_iso

Row = Mapping[Any, Any]


def system_view(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "short_name": r["short_name"],
        "system_type": r["system_type"],
        "sysid": r["sysid"],
        "wacn": r["wacn"],
        "nac": r["nac"],
        "rfss": r["rfss"],
        "site_id": r["site_id"],
        "sys_num": r["sys_num"],
        "instance_id": r["instance_id"],
        "first_seen": to_iso(r["first_seen"]),
        "last_seen": to_iso(r["last_seen"]),
    }


def talkgroup_view(r: Row) -> dict[str, Any]:
    return {
        "sysid": r["sysid"],
        "tgid": r["tgid"],
        "alpha_tag": r["alpha_tag"],
        "description": r["description"],
        "tg_group": r["tg_group"],
        "tag": r["tag"],
        "priority": r["priority"],
        "mode": r["mode"],
        "first_seen": to_iso(r["first_seen"]),
        "last_seen": to_iso(r["last_seen"]),
    }


def unit_view(r: Row) -> dict[str, Any]:
    return {
        "sysid": r["sysid"],
        "unit_id": r["unit_id"],
        "alpha_tag": r["alpha_tag"],
        "first_seen": to_iso(r["first_seen"]),
        "last_seen": to_iso(r["last_seen"]),
    }


def call_view(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "tr_call_id": r["tr_call_id"] or "",  # always a string (docs/radio.md): "" = none
        "system": r["system"],
        "sysid": r["sysid"],
        "talkgroup": r["talkgroup"],
        "talkgroup_alpha_tag": r["talkgroup_alpha_tag"],
        "unit": r["unit"],
        "unit_alpha_tag": r["unit_alpha_tag"],
        "start_time": to_iso(r["start_time"]),
        "stop_time": to_iso(r["stop_time"]),
        "duration": r["duration"],
        "emergency": bool(r["emergency"]),
        "encrypted": bool(r["encrypted"]),
        "freq": r["freq"],
        "audio_type": r["audio_type"],
        "error_count": r["error_count"],
        "spike_count": r["spike_count"],
        "signal": r["signal"],
        "noise": r["noise"],
        "audio_size": r["audio_size"],
        "audio_url": f"/api/v1/calls/{r['id']}/audio" if r["audio_path"] else None,
    }


def transmission_view(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "call_id": r["call_id"],
        "unit": r["unit"],
        "start_time": to_iso(r["start_time"]),
        "position": r["position"],
        "duration": r["duration"],
        "emergency": bool(r["emergency"]),
        "tag": r["tag"],
    }


def unit_event_view(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "system": r["system"],
        "sysid": r["sysid"],
        "unit": r["unit"],
        "unit_alpha_tag": r["unit_alpha_tag"],
        "event_type": r["event_type"],
        "talkgroup": r["talkgroup"],
        "target_unit": r["target_unit"],
        "time": to_iso(r["time"]),
    }


def recorder_view(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "instance_id": r["instance_id"],
        "src_num": r["src_num"],
        "rec_num": r["rec_num"],
        "rec_type": r["rec_type"],
        "state": r["state"],
        "rec_state_type": r["rec_state_type"],
        "freq": r["freq"],
        "count": r["count"],
        "duration": r["duration"],
        "squelched": r["squelched"],
        "updated_at": to_iso(r["updated_at"]),
    }


def rate_view(r: Row) -> dict[str, Any]:
    return {
        "id": r["id"],
        "system": r["system"],
        "sysid": r["sysid"],
        "time": to_iso(r["time"]),
        "decode_rate": r["decode_rate"],
        "control_channel": r["control_channel"],
    }


def instance_view(r: Row) -> dict[str, Any]:
    """A trunk-recorder instance: from its config message and/or its heartbeats."""
    return {
        "instance_id": r["instance_id"],
        "instance_key": r["instance_key"],
        "first_seen": to_iso(r["first_seen"]),
        "last_seen": to_iso(r["last_seen"]),
        "last_heartbeat": to_iso(r["last_heartbeat"]),
        "heartbeat_received_at": to_iso(r["heartbeat_received_at"]),
        "heartbeats": r["heartbeats"] or 0,
    }


async def radio_health(engine: AsyncEngine) -> dict[str, Any]:
    """`/health`'s radio part: each plugin instance's last heartbeat (its own clock)."""
    async with engine.connect() as conn:
        beats = await q.heartbeats(conn)
    return {"instances": {k: {"last_heartbeat": to_iso(v)} for k, v in sorted(beats.items())}}
