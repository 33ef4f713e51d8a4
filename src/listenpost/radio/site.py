"""Records about the site rather than one call: config, systems, rates, recorders, unit
events, control-channel messages and plugin heartbeats."""

from __future__ import annotations

from ..store import radio as q
from ..store import radio_tables as rt
from . import events as ev
from .records import (
    ConfigRecord,
    Heartbeat,
    RateRecord,
    RecorderState,
    SystemInfo,
    TrunkMessage,
    UnitEventRecord,
)
from .state import Ctx, Emitted
from .upserts import ensure_system, now_us, seen_at, tg_fields, touch_talkgroup, touch_unit, us


async def on_config(ctx: Ctx, rec: ConfigRecord) -> Emitted:
    seen = seen_at(ctx, rec.timestamp)
    await q.upsert(
        ctx.conn,
        rt.instances,
        {"instance_id": rec.instance_id or ""},
        {"instance_key": rec.instance_key, "config": dict(rec.raw)},
        seen,
    )
    for s in rec.systems:
        ctx.systems.pop(s.sys_name, None)  # its sysid may change
        values = {
            "instance_id": rec.instance_id,
            "sys_num": s.sys_num,
            "system_type": s.system_type,
        }
        await q.upsert(ctx.conn, rt.systems, {"short_name": s.sys_name}, values, seen)
    return []


async def on_system(ctx: Ctx, rec: SystemInfo) -> Emitted:
    ctx.systems.pop(rec.sys_name, None)  # its sysid may change
    await q.upsert(
        ctx.conn,
        rt.systems,
        {"short_name": rec.sys_name},
        {
            "instance_id": rec.instance_id,
            "sys_num": rec.sys_num,
            "system_type": rec.system_type,
            "sysid": rec.sysid,
            "wacn": rec.wacn,
            "nac": rec.nac,
            "rfss": rec.rfss,
            "site_id": rec.site_id,
        },
        seen_at(ctx, rec.timestamp),
    )
    return [("system_update", ev.system_update(rec))]


async def on_rate(ctx: Ctx, rec: RateRecord) -> Emitted:
    seen = seen_at(ctx, rec.timestamp)
    sysid = await ensure_system(ctx, rec.sys_name, rec.instance_id, rec.sys_num, seen)
    ctx.deferred.insert(
        rt.rates,
        {
            "system": rec.sys_name,
            "sysid": sysid,
            "time": us(rec.timestamp) or ctx.received,
            "decode_rate": rec.decode_rate,
            "control_channel": rec.control_channel,
        },
    )
    return [("rate_update", ev.rate_update(rec, sysid=sysid))]


async def on_recorder(ctx: Ctx, rec: RecorderState) -> Emitted:
    instance = rec.instance_id or ""
    state = (rec.rec_state, rec.freq, rec.squelched)
    ident = (instance, rec.src_num, rec.rec_num)
    changed = ctx.state.recorders.get(ident) != state
    if changed:
        ctx.state.recorders[ident] = state
    values = {
        "rec_type": rec.rec_type,
        "state": rec.rec_state,
        "rec_state_type": rec.rec_state_type,
        "freq": rec.freq,
        "count": rec.count,
        "duration": rec.duration,
        "squelched": rec.squelched,
        "updated_at": now_us(),
    }
    row = await q.recorder(ctx.conn, *ident)
    if row is None:
        keys = {"instance_id": instance, "src_num": rec.src_num, "rec_num": rec.rec_num}
        rid = await q.insert(ctx.conn, rt.recorders, {**keys, **values})
    else:
        rid = int(row["id"])
        await q.update_recorder(ctx.conn, rid, values)
    if rec.snapshot and not changed:
        return []
    call = ctx.state.active.on_freq(rec.freq)
    return [("recorder_update", ev.recorder_update(rec, recorder_id=rid, active_call=call))]


async def on_unit(ctx: Ctx, u: UnitEventRecord) -> Emitted:
    seen = seen_at(ctx, u.timestamp)
    sysid = await ensure_system(ctx, u.sys_name, u.instance_id, u.sys_num, seen)
    touch_talkgroup(ctx, sysid, u.talkgroup, tg_fields(u), seen)
    touch_unit(ctx, sysid, u.unit, u.unit_alpha_tag, seen)
    ctx.deferred.insert(
        rt.unit_events,
        {
            "system": u.sys_name,
            "sysid": sysid,
            "unit": u.unit,
            "unit_alpha_tag": u.unit_alpha_tag,
            "event_type": u.event_type,
            "talkgroup": u.talkgroup,
            "target_unit": u.target_unit,
            "time": us(u.timestamp) or ctx.received,
            "metadata": dict(u.raw),
        },
    )
    return [("unit_event", ev.unit_event(u, sysid=sysid))]


async def on_message(ctx: Ctx, m: TrunkMessage) -> Emitted:
    seen = seen_at(ctx, m.timestamp)
    await ensure_system(ctx, m.sys_name, m.instance_id, m.sys_num, seen)
    ctx.deferred.insert(
        rt.trunk_messages,
        {
            "system": m.sys_name,
            "time": us(m.timestamp) or ctx.received,
            "trunk_msg": m.trunk_msg,
            "trunk_msg_type": m.trunk_msg_type,
            "opcode": m.opcode,
            "opcode_type": m.opcode_type,
            "opcode_desc": m.opcode_desc,
            "meta": m.meta,
        },
    )
    return []


async def on_heartbeat(ctx: Ctx, hb: Heartbeat) -> Emitted:
    """Plugin liveness: the last heartbeat per instance (shown by /instances and /health)."""
    await q.heartbeat(ctx.conn, hb.instance_id or "", seen_at(ctx, hb.timestamp), ctx.received)
    return []
