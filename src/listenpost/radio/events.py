"""Pure builders of tr-engine ``/api/ws`` event payloads (tr-engine.md §2).

Each builder returns exactly the §2 fields, keys sorted as Go serialises a map. Values the
plugin did not send become Go's zero values (``0``, ``""``, ``false``, ``0.0``), as the
original's typed structs produce. Ids owned by the database (``call_id``,
``recorder_id``) and the call's effective ``sysid`` are parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .records import (
    AudioRecord,
    CallRecord,
    RateRecord,
    RecorderState,
    SystemInfo,
    UnitEventRecord,
)

MAX_RATE = 40  # tr-engine sends this constant as max_rate

Payload = dict[str, Any]


def _sorted(data: Mapping[str, Any]) -> Payload:
    return dict(sorted(data.items()))


def _float(value: float | None) -> float:
    return 0.0 if value is None else float(value)


def envelope(event: str, data: Any, timestamp: float) -> Payload:
    """``{"event", "timestamp" (int unix seconds, server clock), "data"}`` in that order."""
    return {"event": event, "timestamp": int(timestamp), "data": data}


def _call_fields(call: CallRecord, call_id: int, sysid: str) -> Payload:
    """Fields call_start and call_end share."""
    return {
        "call_id": call_id,
        "tr_call_id": call.tr_call_id,
        "talkgroup": call.talkgroup,
        "talkgroup_alpha_tag": call.talkgroup_alpha_tag,
        "system": call.sys_name,
        "sysid": sysid,
        "unit": call.unit or 0,
        "unit_alpha_tag": call.unit_alpha_tag,
        "encrypted": call.encrypted,
        "emergency": call.emergency,
    }


def call_start(call: CallRecord, *, call_id: int, sysid: str) -> Payload:
    """§2.1, for a ``call_start`` message or a call first seen in ``calls_active``."""
    return _sorted({**_call_fields(call, call_id, sysid), "freq": call.freq or 0})


def call_end(call: CallRecord, *, call_id: int, sysid: str) -> Payload:
    """§2.2, from a ``call_end`` message (``duration`` is the plugin's ``length``)."""
    return _sorted(
        {
            **_call_fields(call, call_id, sysid),
            "duration": _float(call.length),
            "error_count": call.error_count or 0,
            "spike_count": call.spike_count or 0,
        }
    )


def call_end_synthesised(
    *,
    call_id: int,
    talkgroup: int,
    system: str,
    sysid: str,
    duration: float,
    encrypted: bool,
    emergency: bool,
) -> Payload:
    """§2.2, for a call missing from 3 ``calls_active`` snapshots (no ``unit`` field)."""
    return _sorted(
        {
            "call_id": call_id,
            "talkgroup": talkgroup,
            "system": system,
            "sysid": sysid,
            "duration": float(duration),
            "encrypted": encrypted,
            "emergency": emergency,
        }
    )


def audio_available(
    audio: AudioRecord,
    *,
    call_id: int,
    sysid: str,
    tr_call_id: str = "",
    audio_size: int | None = None,
) -> Payload:
    """§2.3, after an ``audio`` message is stored (no ``unit`` field).

    ``audio_size`` defaults to the size of the audio kept (m4a, else wav).
    """
    if audio_size is None:
        audio_size = len(audio.audio or b"")
    return _sorted(
        {
            "call_id": call_id,
            "tr_call_id": tr_call_id,
            "talkgroup": audio.talkgroup,
            "talkgroup_alpha_tag": audio.talkgroup_alpha_tag,
            "system": audio.sys_name,
            "sysid": sysid,
            "audio_size": audio_size,
            "duration": _float(audio.length),
            "transmissions": len(audio.src_list),
            "frequencies": len(audio.freq_list),
        }
    )


def audio_available_external(
    call: CallRecord, *, call_id: int, sysid: str, audio_size: int, duration: float | None = None
) -> Payload:
    """§2.3 "external" audio mode, from ``call_end``: no transmissions/frequencies."""
    return _sorted(
        {
            "call_id": call_id,
            "tr_call_id": call.tr_call_id,
            "talkgroup": call.talkgroup,
            "talkgroup_alpha_tag": call.talkgroup_alpha_tag,
            "system": call.sys_name,
            "sysid": sysid,
            "audio_size": audio_size,
            "duration": _float(call.length if duration is None else duration),
        }
    )


def unit_event(unit: UnitEventRecord, *, sysid: str) -> Payload:
    """§2.4; ``talkgroup`` is 0 when the message has none (a real value for filters).

    A ``call_alert`` (unit -> target unit, not in tr-engine) adds ``target_unit``; the other
    event types keep exactly the §2.4 fields."""
    data: Payload = {
        "unit": unit.unit,
        "unit_tag": unit.unit_alpha_tag,
        "event_type": unit.event_type,
        "talkgroup": unit.talkgroup or 0,
        "system": unit.sys_name,
        "sysid": sysid,
    }
    if unit.target_unit is not None:
        data["target_unit"] = unit.target_unit
    return _sorted(data)


def rate_update(rate: RateRecord, *, sysid: str) -> Payload:
    """§2.5, one per ``rates`` entry of a known system."""
    return _sorted(
        {
            "system": rate.sys_name,
            "sysid": sysid,
            "decode_rate": _float(rate.decode_rate),
            "max_rate": MAX_RATE,
            "control_channel": rate.control_channel or 0,
        }
    )


def system_update(system: SystemInfo) -> Payload:
    """§2.7; ``sysid`` is the effective sysid (short name when the system has none)."""
    return _sorted(
        {
            "system": system.sys_name,
            "system_type": system.system_type,
            "sysid": system.effective_sysid,
        }
    )


def recorder_update(
    rec: RecorderState, *, recorder_id: int, active_call: CallRecord | None = None
) -> Payload:
    """§2.6; ``active_call`` is the in-memory active call on the recorder's frequency,
    found by the caller; only then are ``tgid``/``tg_alpha_tag``/``unit_id``/
    ``unit_alpha_tag`` present."""
    data: Payload = {
        "recorder_id": recorder_id,
        "rec_num": rec.rec_num,
        "src_num": rec.src_num,
        "rec_type": rec.rec_type,
        "state": rec.rec_state if rec.rec_state is not None else 0,
        "rec_state_type": rec.rec_state_type,
        "freq": rec.freq or 0,
        "count": rec.count or 0,
        "duration": _float(rec.duration),
        "squelched": rec.squelched,
    }
    if active_call is not None:
        data.update(
            {
                "tgid": active_call.talkgroup,
                "tg_alpha_tag": active_call.talkgroup_alpha_tag,
                "unit_id": active_call.unit or 0,
                "unit_alpha_tag": active_call.unit_alpha_tag,
            }
        )
    return _sorted(data)
