"""Calls from call_start, call_end and calls_active: stored, tracked, announced once.

A call's start is announced when it is first seen live; its end exactly once, whether from
call_end or synthesised after missing from 3 snapshots (the `ended` column remembers it
across restarts, so a re-sent call_end updates the row without a second event).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import events as ev
from .records import ActiveCalls as Snapshot
from .records import CallRecord
from .state import Ctx, Emitted
from .tracker import Live
from .upserts import ensure_system, seen_at, tg_fields, touch_talkgroup, touch_unit, us


async def open_call(ctx: Ctx, call: CallRecord) -> tuple[int, str, Mapping[str, Any] | None]:
    """Find or create the call row; returns (id, sysid, the row found or None if new)."""
    seen = seen_at(ctx, call.timestamp)
    sysid = await ensure_system(ctx, call.sys_name, call.instance_id, call.sys_num, seen)
    touch_talkgroup(ctx, sysid, call.talkgroup, tg_fields(call), seen)
    touch_unit(ctx, sysid, call.unit, call.unit_alpha_tag, seen)
    start = us(call.start_time)
    row = await ctx.calls.find(ctx.conn, call.sys_name, call.tr_call_id, call.talkgroup, start)
    if row is not None:
        return int(row["id"]), sysid, row
    call_id = await ctx.calls.insert(ctx.conn, _call_row(call, sysid, start))
    return call_id, sysid, None


def _call_row(call: CallRecord, sysid: str, start: int | None) -> dict[str, Any]:
    return {
        "tr_call_id": call.tr_call_id,
        "system": call.sys_name,
        "sysid": sysid,
        "talkgroup": call.talkgroup,
        "talkgroup_alpha_tag": call.talkgroup_alpha_tag,
        "unit": call.unit,
        "unit_alpha_tag": call.unit_alpha_tag,
        "call_num": call.call_num,
        "start_time": start,
        "emergency": call.emergency,
        "encrypted": call.encrypted,
        "freq": call.freq,
        "phase2_tdma": call.phase2_tdma,
        "audio_type": call.audio_type,
        "metadata": dict(call.raw),
    }


async def on_call(ctx: Ctx, call: CallRecord) -> Emitted:
    call_id, sysid, row = await open_call(ctx, call)
    ended = row is not None and bool(row["ended"])
    if call.kind != "end":
        if ended or ctx.state.active.known(call):
            return []
        ctx.state.active.start(call, call_id)
        return [("call_start", ev.call_start(call, call_id=call_id, sysid=sysid))]
    ctx.state.active.end(call)
    ctx.calls.update(
        call_id,
        {
            "stop_time": us(call.stop_time),
            "duration": call.length,
            "error_count": call.error_count,
            "spike_count": call.spike_count,
            "signal": call.signal,
            "noise": call.noise,
            "emergency": call.emergency,
            "encrypted": call.encrypted,
            "metadata": dict(call.raw),
            "ended": True,
        },
    )
    if ended:
        return []  # a re-sent call_end: the row is updated, the end was announced already
    return [("call_end", ev.call_end(call, call_id=call_id, sysid=sysid))]


async def on_snapshot(ctx: Ctx, snap: Snapshot) -> Emitted:
    new, ended = ctx.state.active.snapshot(snap.calls)
    await ctx.calls.read(ctx.conn, new)
    out: Emitted = []
    for call in new:
        out += await on_call(ctx, call)
    for live in ended:
        out += await synth_end(ctx, live)
    return out


async def synth_end(ctx: Ctx, live: Live) -> Emitted:
    """End a call that vanished from the snapshots, unless its end was announced already."""
    call = live.call
    row = await ctx.calls.get(ctx.conn, live.call_id)
    if row is None or row["ended"]:
        return []
    start = call.start_time or call.timestamp
    now = ctx.received / 1_000_000
    duration = max(0.0, now - start) if start else float(call.length or 0.0)
    values = {"stop_time": ctx.received, "duration": duration, "ended": True}
    ctx.calls.update(live.call_id, values)
    sysid = row["sysid"]
    data = ev.call_end_synthesised(
        call_id=live.call_id,
        talkgroup=call.talkgroup,
        system=call.sys_name,
        sysid=sysid,
        duration=duration,
        encrypted=call.encrypted,
        emergency=call.emergency,
    )
    return [("call_end", data)]
