"""trunk-recorder MQTT status-plugin payloads -> typed records (pure, stdlib only).

``normalise(topic, payload)`` returns the records of one MQTT message or raises
:class:`NormaliseError` (and nothing else) so the caller can log, count by ``kind`` and go
on. Dispatch is by the payload's ``type`` (as tr-engine does); the topic is used only
when ``type`` is absent (plugin status, hand-made payloads) and to recover a unit or
trunking message's system from ``<base>/<sys_name>/<type>``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from ._fields import Ctx, Fields, NormaliseError
from ._parse_calls import (
    SYS_NAME,
    SYS_NUM,
    parse_audio,
    parse_call_end,
    parse_call_start,
    parse_calls_active,
    parse_trunk_message,
    parse_unit,
)
from .records import (
    ConfigRecord,
    ConfigSystem,
    ConsoleLine,
    Heartbeat,
    PluginStatus,
    RateRecord,
    Record,
    RecorderState,
    Skipped,
    SourceInfo,
    SystemInfo,
)

__all__ = ["MESSAGE_TYPES", "UNIT_TYPES", "NormaliseError", "normalise", "normalise_value"]

UNIT_TYPES = frozenset(
    {"call", "end", "on", "off", "join", "ackresp", "data", "ans_req", "location", "call_alert"}
)


_EMPTY = object()
INSTANCE = ("instance_id", "instanceId")
# ``system``/``systems``/``rates`` entries said ``id``/``name`` before ``sys_num``/``sys_name``
_SYSTEM_NUM = ("sys_num", "id")
_SYSTEM_NAME = ("sys_name", "name")
_RATE_NAME = ("sys_name", "shortName")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _load(topic: str, payload: bytes | str) -> Any:
    if isinstance(payload, bytes | bytearray | memoryview):
        try:
            payload = bytes(payload).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise NormaliseError(
                "invalid_json", f"payload is not UTF-8: {exc.reason}", topic=topic
            ) from None
    if not payload.strip():
        return _EMPTY
    try:
        return _DECODER.decode(payload)  # json.loads with these options, decoder built once
    except (ValueError, RecursionError) as exc:
        raise NormaliseError("invalid_json", f"invalid JSON: {exc}", topic=topic) from None


def _status(top: Fields, ctx: Ctx) -> list[Record]:
    return [
        PluginStatus(
            instance_id=ctx.instance_id,
            client_id=top.opt_text("client_id"),
            status=top.req_text("status"),
            timestamp=ctx.timestamp,
        )
    ]


def _heartbeat(top: Fields, ctx: Ctx) -> list[Record]:
    """Plugin liveness; the body may be flat or nested under ``heartbeat``."""
    body = top.obj("heartbeat")
    instance = ctx.instance_id or (body.opt_text(INSTANCE) if body else None)
    return [Heartbeat(instance_id=instance, timestamp=ctx.timestamp, raw=top.d)]


def _console(top: Fields, ctx: Ctx) -> list[Record]:
    f = top.req_obj("console")
    return [
        ConsoleLine(
            instance_id=ctx.instance_id,
            timestamp=ctx.timestamp,
            time=f.opt_text("time"),
            severity=f.text("severity"),
            message=f.text("log_msg"),
        )
    ]


def _config(top: Fields, ctx: Ctx) -> list[Record]:
    f = top.req_obj("config")
    sources = tuple(
        SourceInfo(
            source_num=s.num("source_num"),
            center=s.num("center"),
            rate=s.num("rate"),
            min_hz=s.num("min_hz"),
            max_hz=s.num("max_hz"),
            error=s.real("error"),
            driver=s.text("driver"),
            device=s.text("device"),
            antenna=s.text("antenna"),
            gain=s.real("gain"),
            analog_recorders=s.num("analog_recorders"),
            digital_recorders=s.num("digital_recorders"),
            debug_recorders=s.num("debug_recorders"),
            sigmf_recorders=s.num("sigmf_recorders"),
        )
        for s in f.objs("sources")
    )
    systems = tuple(
        ConfigSystem(
            sys_num=s.num(SYS_NUM),
            sys_name=s.req_text(SYS_NAME),
            system_type=s.text(("system_type", "type", "systemType")),
            talkgroups_file=s.text(("talkgroups_file", "talkgroupsFile")),
            control_channel=s.num("control_channel"),
            channels=s.ints("channels"),
        )
        for s in f.objs("systems")
    )
    return [
        ConfigRecord(
            instance_id=ctx.instance_id or f.opt_text(INSTANCE),
            timestamp=ctx.timestamp,
            instance_key=f.text(("instance_key", "instanceKey")),
            capture_dir=f.text(("capture_dir", "captureDir")),
            upload_server=f.text(("upload_server", "uploadServer")),
            call_timeout=f.real(("call_timeout", "callTimeout")),
            sources=sources,
            systems=systems,
            raw=f.d,
        )
    ]


def _system_info(f: Fields, ctx: Ctx) -> SystemInfo:
    return SystemInfo(
        instance_id=ctx.instance_id,
        timestamp=ctx.timestamp,
        sys_num=f.num(_SYSTEM_NUM),
        sys_name=f.req_text(_SYSTEM_NAME),
        system_type=f.text(("type", "system_type")),
        sysid=f.text("sysid"),
        wacn=f.text("wacn"),
        nac=f.text("nac"),
        rfss=f.num("rfss"),
        site_id=f.num("site_id"),
    )


def _systems(top: Fields, ctx: Ctx) -> list[Record]:
    return [_system_info(f, ctx) for f in top.objs("systems", required=True)]


def _system(top: Fields, ctx: Ctx) -> list[Record]:
    return [_system_info(top.req_obj("system"), ctx)]


def _rate(f: Fields, ctx: Ctx) -> Record:
    name = f.opt_text(_RATE_NAME)
    if not name:  # the first plugin sent only the system number
        return Skipped(topic=ctx.topic, reason=f"{f.where} names no system (sys_num only)")
    return RateRecord(
        instance_id=ctx.instance_id,
        timestamp=ctx.timestamp,
        sys_num=f.num(_SYSTEM_NUM),
        sys_name=name,
        decode_rate=f.real("decoderate"),
        decode_rate_interval=f.real("decoderate_interval"),
        control_channel=f.num("control_channel"),
    )


def _rates(top: Fields, ctx: Ctx) -> list[Record]:
    return [_rate(f, ctx) for f in top.objs("rates", required=True)]


def _recorder_state(f: Fields, ctx: Ctx, snapshot: bool) -> RecorderState:
    src_num, rec_num = f.req_num(("src_num", "srcNum")), f.req_num(("rec_num", "recNum"))
    return RecorderState(
        instance_id=ctx.instance_id,
        timestamp=ctx.timestamp,
        snapshot=snapshot,
        tr_recorder_id=f.text("id", f"{src_num}_{rec_num}"),
        src_num=src_num,
        rec_num=rec_num,
        rec_type=f.text("type"),
        freq=f.num("freq"),
        duration=f.real("duration"),
        count=f.num("count"),
        rec_state=f.num(("rec_state", "state")),
        rec_state_type=f.text("rec_state_type"),
        squelched=f.flag("squelched"),
    )


def _recorders(top: Fields, ctx: Ctx) -> list[Record]:
    return [_recorder_state(f, ctx, True) for f in top.objs("recorders", required=True)]


def _recorder(top: Fields, ctx: Ctx) -> list[Record]:
    return [_recorder_state(top.req_obj("recorder"), ctx, False)]


_Handler = Callable[[Fields, Ctx], list[Record]]
_HANDLERS: Mapping[str, _Handler] = {
    "status": _status,
    "heartbeat": _heartbeat,
    "console": _console,
    "config": _config,
    "systems": _systems,
    "system": _system,
    "rates": _rates,
    "recorders": _recorders,
    "recorder": _recorder,
    "calls_active": parse_calls_active,
    "call_start": parse_call_start,
    "call_end": parse_call_end,
    "audio": parse_audio,
    "message": parse_trunk_message,
    **{t: parse_unit for t in UNIT_TYPES},
}
MESSAGE_TYPES = frozenset(_HANDLERS)


def _message_type(topic: str, obj: Mapping[str, Any]) -> str:
    declared = obj.get("type")
    if declared is not None:
        if not isinstance(declared, str):
            raise NormaliseError("bad_field", f"type must be a string, got {declared!r:.60}")
        if declared not in _HANDLERS:
            raise NormaliseError(
                "unknown_type", f"unknown message type {declared!r:.60}", msg_type=declared
            )
        return declared
    last = topic.rstrip("/").rsplit("/", 1)[-1]
    if last in _HANDLERS:
        return last
    if "status" in obj:
        return "status"
    raise NormaliseError("unknown_type", "no type key and the topic names no message type")


def normalise(topic: str, payload: bytes | str) -> list[Record]:
    """Typed records of one MQTT message; raises only :class:`NormaliseError`."""
    return normalise_value(topic, _load(topic, payload))


def normalise_value(topic: str, obj: Any) -> list[Record]:
    """`normalise` of a payload already read: `obj` is the value `json` reads from it (the
    caller may read it faster, see `radio/payloads.py`, but never to anything else)."""
    if obj is _EMPTY:
        return [Skipped(topic=topic, reason="empty payload")]
    if not isinstance(obj, dict):
        raise NormaliseError(
            "not_object", f"payload is a JSON {type(obj).__name__}, not an object", topic=topic
        )
    msg_type: str | None = None
    try:
        msg_type = _message_type(topic, obj)
        top = Fields(obj, msg_type)
        ctx = Ctx(topic, msg_type, top.opt_text(INSTANCE), top.time("timestamp"))
        return _HANDLERS[msg_type](top, ctx)
    except NormaliseError as exc:
        exc.topic = topic
        exc.msg_type = exc.msg_type or msg_type
        raise
