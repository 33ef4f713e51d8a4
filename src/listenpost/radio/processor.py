"""Radio ingest: normalised trunk-recorder records -> store -> tr-engine events on the bus.

One message is processed at a time, in arrival order, so the active-call tracker and the
store agree. Unknown systems are created on first sight rather than dropping their data.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..bus.base import Bus
from ..metrics import RADIO_ERRORS, RADIO_MESSAGES
from ..store import radio as q
from ..store import radio_tables as rt
from ..store.db import database_answers
from . import events as ev
from .normalise import NormaliseError, normalise
from .records import (
    ActiveCalls as ActiveSnapshot,
)
from .records import (
    AudioRecord,
    CallRecord,
    ConfigRecord,
    RateRecord,
    RecorderState,
    SystemInfo,
    TrunkMessage,
    UnitEventRecord,
    effective_sysid,
)
from .tracker import ActiveCalls, Live

log = logging.getLogger("listenpost.radio")
STREAM = "radio.events"
Emitted = list[tuple[str, dict[str, Any]]]


def us(t: float | None) -> int | None:
    return None if t is None else int(round(t * 1_000_000))


class RadioProcessor:
    def __init__(self, engine: AsyncEngine, bus: Bus, data_dir: str) -> None:
        self.db = engine
        self.bus = bus
        self.audio_root = Path(data_dir).resolve() / "audio"
        self.data_dir = Path(data_dir).resolve()
        self.active = ActiveCalls()
        self._recorders: dict[tuple[str, int, int], tuple[Any, ...]] = {}
        self._handlers: dict[type, Callable[[AsyncConnection, Any], Awaitable[Emitted]]] = {
            ConfigRecord: self._config,
            SystemInfo: self._system,
            RateRecord: self._rate,
            RecorderState: self._recorder,
            CallRecord: self._call,
            ActiveSnapshot: self._snapshot,
            AudioRecord: self._audio,
            UnitEventRecord: self._unit,
            TrunkMessage: self._message,
        }

    async def handle(self, topic: str, payload: bytes) -> None:
        """Process one MQTT message; a bad one is logged and counted, never raised."""
        try:
            records = normalise(topic, payload)
        except NormaliseError as exc:
            RADIO_ERRORS.labels(exc.kind).inc()
            log.warning("skipped MQTT message: %s", exc)
            return
        for record in records:
            RADIO_MESSAGES.labels(type(record).__name__).inc()
            handler = self._handlers.get(type(record))
            if handler is None:
                continue
            emitted = await self._store(topic, record, handler)
            for event, data in emitted:
                envelope = ev.envelope(event, data, time.time())
                await self.bus.publish(STREAM, orjson.dumps(envelope))

    async def _store(
        self, topic: str, record: Any, handler: Callable[[AsyncConnection, Any], Awaitable[Emitted]]
    ) -> Emitted:
        """Store one record. A record the database rejects is skipped (one bad record must not
        stop the ingest loop); while the database itself is unreachable the record is retried
        with backoff, so the MQTT message stays unacknowledged and nothing is lost."""
        delay = 0.5
        while True:
            # in-memory state a handler changes is rolled back with its transaction
            saved = (self.active.save(), dict(self._recorders))
            try:
                async with self.db.begin() as conn:
                    return await handler(conn, record)
            except Exception as exc:
                self.active.load(saved[0])
                self._recorders = saved[1]
                if await database_answers(self.db):
                    RADIO_ERRORS.labels("store_error").inc()
                    log.exception("could not store %s from %s", type(record).__name__, topic)
                    return []
                RADIO_ERRORS.labels("store_unavailable").inc()
                log.warning(
                    "database unavailable (%s); holding %s from %s, retrying in %.1f s",
                    str(exc).splitlines()[0][:200],
                    type(record).__name__,
                    topic,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _ensure_system(
        self, conn: AsyncConnection, name: str, instance: str | None, sys_num: int | None
    ) -> str:
        """Return the system's effective sysid, creating the system when it is new."""
        row = await q.system(conn, name)
        now = _now()
        if row is None:
            await q.insert(
                conn,
                rt.systems,
                {
                    "short_name": name,
                    "instance_id": instance,
                    "sys_num": sys_num,
                    "first_seen": now,
                    "last_seen": now,
                },
            )
            log.info("new radio system %r", name)
            return name
        return effective_sysid(row["sysid"], name)

    async def _config(self, conn: AsyncConnection, rec: ConfigRecord) -> Emitted:
        now = _now()
        await q.upsert(
            conn,
            rt.instances,
            {"instance_id": rec.instance_id or ""},
            {"instance_key": rec.instance_key, "config": dict(rec.raw)},
            now,
        )
        for s in rec.systems:
            await q.upsert(
                conn,
                rt.systems,
                {"short_name": s.sys_name},
                {
                    "instance_id": rec.instance_id,
                    "sys_num": s.sys_num,
                    "system_type": s.system_type,
                },
                now,
            )
        return []

    async def _system(self, conn: AsyncConnection, rec: SystemInfo) -> Emitted:
        await q.upsert(
            conn,
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
            _now(),
        )
        return [("system_update", ev.system_update(rec))]

    async def _rate(self, conn: AsyncConnection, rec: RateRecord) -> Emitted:
        sysid = await self._ensure_system(conn, rec.sys_name, rec.instance_id, rec.sys_num)
        await q.insert(
            conn,
            rt.rates,
            {
                "system": rec.sys_name,
                "sysid": sysid,
                "time": us(rec.timestamp) or _now(),
                "decode_rate": rec.decode_rate,
                "control_channel": rec.control_channel,
            },
        )
        return [("rate_update", ev.rate_update(rec, sysid=sysid))]

    async def _recorder(self, conn: AsyncConnection, rec: RecorderState) -> Emitted:
        instance = rec.instance_id or ""
        state = (rec.rec_state, rec.freq, rec.squelched)
        ident = (instance, rec.src_num, rec.rec_num)
        changed = self._recorders.get(ident) != state
        self._recorders[ident] = state
        values = {
            "rec_type": rec.rec_type,
            "state": rec.rec_state,
            "rec_state_type": rec.rec_state_type,
            "freq": rec.freq,
            "count": rec.count,
            "duration": rec.duration,
            "squelched": rec.squelched,
            "updated_at": _now(),
        }
        row = await q.recorder(conn, *ident)
        if row is None:
            rid = await q.insert(
                conn,
                rt.recorders,
                {"instance_id": instance, "src_num": rec.src_num, "rec_num": rec.rec_num, **values},
            )
        else:
            rid = int(row["id"])
            await conn.execute(
                rt.recorders.update().where(rt.recorders.c.id == rid).values(**values)
            )
        if rec.snapshot and not changed:
            return []
        call = self.active.on_freq(rec.freq)
        return [("recorder_update", ev.recorder_update(rec, recorder_id=rid, active_call=call))]

    async def _touch_radio(
        self,
        conn: AsyncConnection,
        sysid: str,
        talkgroup: int | None,
        tg: dict[str, Any],
        unit: int | None,
        unit_tag: str,
    ) -> None:
        now = _now()
        if talkgroup:
            await q.upsert(conn, rt.talkgroups, {"sysid": sysid, "tgid": talkgroup}, tg, now)
        if unit:
            await q.upsert(
                conn,
                rt.units,
                {"sysid": sysid, "unit_id": unit},
                {"alpha_tag": unit_tag or None},
                now,
            )

    async def _open_call(self, conn: AsyncConnection, call: CallRecord) -> tuple[int, str, bool]:
        """Find or create the call row; returns (id, sysid, created)."""
        sysid = await self._ensure_system(conn, call.sys_name, call.instance_id, call.sys_num)
        await self._touch_radio(
            conn, sysid, call.talkgroup, _tg_fields(call), call.unit, call.unit_alpha_tag
        )
        start = us(call.start_time)
        row = await q.find_call(conn, call.sys_name, call.tr_call_id, call.talkgroup, start)
        if row is not None:
            return int(row["id"]), sysid, False
        call_id = await q.insert(
            conn,
            rt.calls,
            {
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
            },
        )
        return call_id, sysid, True

    async def _call(self, conn: AsyncConnection, call: CallRecord) -> Emitted:
        call_id, sysid, _ = await self._open_call(conn, call)
        if call.kind != "end":
            if self.active.known(call):
                return []
            self.active.start(call, call_id)
            return [("call_start", ev.call_start(call, call_id=call_id, sysid=sysid))]
        self.active.end(call)
        await q.update_call(
            conn,
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
            },
        )
        return [("call_end", ev.call_end(call, call_id=call_id, sysid=sysid))]

    async def _snapshot(self, conn: AsyncConnection, snap: ActiveSnapshot) -> Emitted:
        new, ended = self.active.snapshot(snap.calls)
        out: Emitted = []
        for call in new:
            out += await self._call(conn, call)
        for live in ended:
            out.append(await self._synth_end(conn, live))
        return out

    async def _synth_end(self, conn: AsyncConnection, live: Live) -> tuple[str, dict[str, Any]]:
        call = live.call
        start = call.start_time or call.timestamp
        duration = max(0.0, time.time() - start) if start else float(call.length or 0.0)
        await q.update_call(conn, live.call_id, {"stop_time": _now(), "duration": duration})
        sysid = await self._ensure_system(conn, call.sys_name, call.instance_id, call.sys_num)
        return (
            "call_end",
            ev.call_end_synthesised(
                call_id=live.call_id,
                talkgroup=call.talkgroup,
                system=call.sys_name,
                sysid=sysid,
                duration=duration,
                encrypted=call.encrypted,
                emergency=call.emergency,
            ),
        )

    async def _audio(self, conn: AsyncConnection, a: AudioRecord) -> Emitted:
        sysid = await self._ensure_system(conn, a.sys_name, a.instance_id, None)
        await self._touch_radio(conn, sysid, a.talkgroup, _tg_fields(a), None, "")
        start = us(a.start_time)
        row = await q.find_call(conn, a.sys_name, None, a.talkgroup, start)
        values = {
            "stop_time": us(a.stop_time),
            "duration": a.length,
            "freq": a.freq,
            "signal": a.signal,
            "noise": a.noise,
            "audio_type": a.audio_type,
        }
        if row is None:
            call_id = await q.insert(
                conn,
                rt.calls,
                {
                    "system": a.sys_name,
                    "sysid": sysid,
                    "talkgroup": a.talkgroup,
                    "talkgroup_alpha_tag": a.talkgroup_alpha_tag,
                    "start_time": start,
                    "emergency": a.emergency,
                    "encrypted": a.encrypted,
                    "metadata": dict(a.metadata),
                    **values,
                },
            )
            tr_call_id = ""
        else:
            call_id, tr_call_id = int(row["id"]), row["tr_call_id"] or ""
            await q.update_call(conn, call_id, {k: v for k, v in values.items() if v is not None})
        if a.decode_error:
            RADIO_ERRORS.labels("audio_decode").inc()
            log.warning(
                "call %d: audio not decodable (%s); call kept without audio",
                call_id,
                a.decode_error,
            )
        else:
            await self._store_audio(conn, a, call_id)
        await self._store_lists(conn, a, call_id, row is not None)
        return [
            (
                "audio_available",
                ev.audio_available(a, call_id=call_id, sysid=sysid, tr_call_id=tr_call_id),
            )
        ]

    async def _store_audio(self, conn: AsyncConnection, a: AudioRecord, call_id: int) -> None:
        data, ext = a.audio, a.audio_ext
        if not data or not ext:
            return
        day = datetime.fromtimestamp(a.start_time or time.time(), UTC)
        name = Path(a.filename or f"{int(a.start_time or time.time())}_{a.sys_name}{ext}").name
        if Path(name).suffix != ext:
            name = Path(name).stem + ext
        path = self.audio_root / _safe(a.sys_name) / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        await q.update_call(
            conn,
            call_id,
            {"audio_path": str(path.relative_to(self.data_dir)), "audio_size": len(data)},
        )

    async def _store_lists(
        self, conn: AsyncConnection, a: AudioRecord, call_id: int, existed: bool
    ) -> None:
        if existed:
            for table in (rt.transmissions, rt.frequencies):
                await conn.execute(table.delete().where(table.c.call_id == call_id))
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

    async def _unit(self, conn: AsyncConnection, u: UnitEventRecord) -> Emitted:
        sysid = await self._ensure_system(conn, u.sys_name, u.instance_id, u.sys_num)
        await self._touch_radio(conn, sysid, u.talkgroup, _tg_fields(u), u.unit, u.unit_alpha_tag)
        await q.insert(
            conn,
            rt.unit_events,
            {
                "system": u.sys_name,
                "sysid": sysid,
                "unit": u.unit,
                "unit_alpha_tag": u.unit_alpha_tag,
                "event_type": u.event_type,
                "talkgroup": u.talkgroup,
                "time": us(u.timestamp) or _now(),
                "metadata": dict(u.raw),
            },
        )
        return [("unit_event", ev.unit_event(u, sysid=sysid))]

    async def _message(self, conn: AsyncConnection, m: TrunkMessage) -> Emitted:
        await self._ensure_system(conn, m.sys_name, m.instance_id, m.sys_num)
        await q.insert(
            conn,
            rt.trunk_messages,
            {
                "system": m.sys_name,
                "time": us(m.timestamp) or _now(),
                "trunk_msg": m.trunk_msg,
                "trunk_msg_type": m.trunk_msg_type,
                "opcode": m.opcode,
                "opcode_type": m.opcode_type,
                "opcode_desc": m.opcode_desc,
                "meta": m.meta,
            },
        )
        return []


def _tg_fields(r: CallRecord | AudioRecord | UnitEventRecord) -> dict[str, Any]:
    return {
        "alpha_tag": r.talkgroup_alpha_tag or None,
        "description": r.talkgroup_description or None,
        "tg_group": r.talkgroup_group or None,
        "tag": r.talkgroup_tag or None,
    }


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "unknown"


def _now() -> int:
    return time.time_ns() // 1000
