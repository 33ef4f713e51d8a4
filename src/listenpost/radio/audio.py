"""`audio` messages: the call row, its transmissions/frequencies, its units, its file.

`audio_available` is announced once per call, and only when audio was stored: a call whose
audio failed to decode (or that has its audio already) changes silently. Units heard only
in the message's srcList are created, and the first of them becomes the call's unit when
the call has none.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..metrics import RADIO_ERRORS
from ..store import radio as q
from ..store import radio_tables as rt
from . import events as ev
from .records import AudioRecord
from .state import Ctx, Emitted
from .upserts import ensure_system, seen_at, tg_fields, touch_talkgroup, touch_unit, us

log = logging.getLogger("listenpost.radio")


async def on_audio(ctx: Ctx, a: AudioRecord) -> Emitted:
    seen = seen_at(ctx, a.timestamp)
    sysid = await ensure_system(ctx, a.sys_name, a.instance_id, None, seen)
    touch_talkgroup(ctx, sysid, a.talkgroup, tg_fields(a), seen)
    for s in a.src_list:
        touch_unit(ctx, sysid, s.src, s.tag, seen_at(ctx, s.time) if s.time else seen)
    row = await ctx.calls.find(ctx.conn, a.sys_name, None, a.talkgroup, us(a.start_time))
    call_id = await _upsert_call(ctx, a, sysid, row)
    await _store_lists(ctx, a, call_id, row is not None)
    if a.decode_error:
        RADIO_ERRORS.labels("audio_decode").inc()
        log.warning(
            "call %d: audio not decodable (%s); call kept without audio", call_id, a.decode_error
        )
        return []
    if row is not None and row["audio_path"]:
        return []  # the call has its audio already (a re-sent message): keep it, once
    if not await _store_audio(ctx, a, call_id):
        return []
    tr_call_id = (row["tr_call_id"] or "") if row is not None else ""
    data = ev.audio_available(a, call_id=call_id, sysid=sysid, tr_call_id=tr_call_id)
    return [("audio_available", data)]


def _first_unit(a: AudioRecord) -> int | None:
    return next((s.src for s in a.src_list if s.src), None)


async def _upsert_call(ctx: Ctx, a: AudioRecord, sysid: str, row: Mapping[str, Any] | None) -> int:
    values: dict[str, Any] = {
        "stop_time": us(a.stop_time),
        "duration": a.length,
        "freq": a.freq,
        "signal": a.signal,
        "noise": a.noise,
        "audio_type": a.audio_type,
    }
    if row is None:
        return await ctx.calls.insert(
            ctx.conn,
            {
                "system": a.sys_name,
                "sysid": sysid,
                "talkgroup": a.talkgroup,
                "talkgroup_alpha_tag": a.talkgroup_alpha_tag,
                "unit": _first_unit(a),
                "start_time": us(a.start_time),
                "emergency": a.emergency,
                "encrypted": a.encrypted,
                "metadata": dict(a.metadata),
                **values,
            },
        )
    call_id = int(row["id"])
    if not row["unit"]:
        values["unit"] = _first_unit(a)
    ctx.calls.update(call_id, {k: v for k, v in values.items() if v is not None})
    return call_id


async def _store_audio(ctx: Ctx, a: AudioRecord, call_id: int) -> bool:
    data = a.audio
    if not data or not a.audio_ext:
        return False
    files = ctx.state.files
    path = await files.write(files.path_for(a, call_id), data)
    ctx.state.written.append(path)
    values = {"audio_path": files.relative(path), "audio_size": len(data)}
    ctx.calls.update(call_id, values)
    return True


async def _store_lists(ctx: Ctx, a: AudioRecord, call_id: int, existed: bool) -> None:
    conn = ctx.conn
    if existed:
        await q.forget_call_lists(conn, call_id)
    for i, s in enumerate(a.src_list):
        nxt = a.src_list[i + 1].pos if i + 1 < len(a.src_list) else a.length
        dur = None if nxt is None or s.pos is None else max(0.0, nxt - s.pos)
        await q.insert(
            conn,
            rt.transmissions,
            {
                "call_id": call_id,
                "unit": s.src,
                "start_time": us(s.time),
                "position": s.pos,
                "duration": dur,
                "emergency": s.emergency,
                "tag": s.tag,
            },
        )
    for f in a.freq_list:
        await q.insert(
            conn,
            rt.frequencies,
            {
                "call_id": call_id,
                "freq": f.freq,
                "time": us(f.time),
                "position": f.pos,
                "duration": f.length,
                "error_count": f.error_count,
                "spike_count": f.spike_count,
            },
        )
