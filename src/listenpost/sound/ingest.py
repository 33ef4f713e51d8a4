"""The edge detector's ingest: validate, judge thresholds, store with offsets, then publish."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..bus.base import Bus
from ..cluster import order
from ..errors import Invalid
from ..metrics import EVENTS_INGESTED, EVENTS_SUPPRESSED
from ..resume.protocol import offset_key
from ..store import sound as store
from ..store.groupcommit import GroupCommit
from ..timeutil import now_us, parse_iso, to_iso
from . import thresholds
from .labels import LABELS
from .models import EventFields

log = logging.getLogger("listenpost.sound")
LIVE_STREAM = "sound.events"
AfterStore = Callable[[list[dict[str, Any]]], Awaitable[None]]


def _created_at(item: EventFields, now: int, max_skew_us: int) -> int:
    """The event's time (arrival when absent); ValueError when it is too far ahead of the
    clock: an edge clock set in the future must not hold back composites and list order."""
    if not item.created_at:
        return now
    created = parse_iso(item.created_at)
    if created > now + max_skew_us:
        raise ValueError(
            f"created_at: {item.created_at!r} is more than {max_skew_us / 1e6:g} s ahead of the"
            f" server clock ({to_iso(now)}); check the edge's clock (--max-clock-skew)"
        )
    return created


def new_ids(n: int) -> list[str]:
    """n random version-4 UUIDs as 32 hex digits, like `uuid.uuid4().hex` but from one
    urandom call (per-event `uuid4()` was a tenth of a batch's time)."""
    raw = bytearray(os.urandom(16 * n))
    for i in range(6, 16 * n, 16):
        raw[i] = raw[i] & 0x0F | 0x40  # version 4
        raw[i + 2] = raw[i + 2] & 0x3F | 0x80  # RFC 4122 variant
    text = raw.hex()
    return [text[i : i + 32] for i in range(0, 32 * n, 32)]


def _row(
    event_id: str, item: EventFields, mic: Any, now: int, created_at: int
) -> dict[str, Any]:
    threshold = (mic["thresholds"] or {}).get(item.label_id) or {}
    confidence = thresholds.truncate6(item.confidence)
    passed = thresholds.judge(threshold, confidence, item.sound_level)
    return {
        "id": event_id,
        "mic_id": item.mic_id,
        "label_id": item.label_id,
        "confidence": confidence,
        "sound_level": item.sound_level,
        "noises": item.noises,
        "description": item.description,
        "audio_file": item.audio_file,
        "confidence_threshold": threshold.get("confidence"),
        "sound_level_threshold": threshold.get("sound_level_ge"),
        "suppressed": not passed,
        "is_read": False,
        "read_at": None,
        "created_at": created_at,
        "updated_at": now,
    }


@dataclass(slots=True)
class _Job:
    """One request's events, checked except for what needs the database (their mics)."""

    items: Sequence[EventFields]
    times: list[int]
    now: int
    error: tuple[int, str] | None  # the first bad label or time: (index, message)
    label_error: bool = False  # that error is the label's (checked before the mic)


class Ingest:
    """Owns the write path so REST, batch and future ingesters share one behaviour.

    Requests are stored by a group commit (store/groupcommit.py): concurrent requests share
    a transaction and one multi-row insert, each answered once its events are committed and
    published, in submission order. On PostgreSQL each group is stored and published in a turn
    of the stream (cluster/order.py), so offsets reach clients in offset order across nodes."""

    def __init__(self, engine: AsyncEngine, bus: Bus, max_skew: float = 300.0) -> None:
        self.engine = engine
        self.bus = bus
        self.max_skew_us = int(max_skew * 1_000_000)
        self.after_store: list[AfterStore] = []
        self.writer: GroupCommit[_Job] = GroupCommit(
            engine,
            self._store,
            self._announce,
            publish=self._publish,
            turn=lambda: order.turn(engine, bus, LIVE_STREAM),
            serial=order.serial(engine),
        )

    async def start(self) -> None:
        self.writer.start()

    async def stop(self) -> None:
        """Store and publish every request already accepted (a graceful shutdown)."""
        await self.writer.stop()

    async def accept(self, items: Sequence[EventFields]) -> list[dict[str, Any]]:
        """Store all items or none (422 names the bad index); returns rows with mic summary."""
        now = now_us()
        times: list[int] = []
        error, label_error = None, False
        for index, item in enumerate(items):
            if item.label_id not in LABELS:
                error, label_error = (index, f"label_id: unknown label {item.label_id!r}"), True
                break
            try:
                times.append(_created_at(item, now, self.max_skew_us))
            except ValueError as exc:
                error = (index, str(exc))
                break
        job = _Job(items, times, now, error, label_error)
        rows: list[dict[str, Any]] = await self.writer.submit(job, len(items))
        return rows

    async def _store(self, conn: AsyncConnection, jobs: Sequence[_Job]) -> list[Any]:
        """Every job's rows in one insert; a job naming an unknown mic fails alone."""
        mics = await store.get_mics(conn, list({i.mic_id for job in jobs for i in job.items}))
        results: list[Any] = []
        rows: list[dict[str, Any]] = []
        for job in jobs:
            error = _first_error(job, mics)
            if error is not None:
                results.append(Invalid(f"{_where(job.items, error[0])}{error[1]}"))
                continue
            ids = new_ids(len(job.items))
            made = [
                _row(ids[n], item, mics[item.mic_id], job.now, job.times[n])
                for n, item in enumerate(job.items)
            ]
            results.append(made)
            rows += made
        offsets = await store.insert_events(conn, rows)
        for row, offset in zip(rows, offsets, strict=True):
            mic = mics[row["mic_id"]]
            row.update(
                seq=offset,
                mic_name=mic["name"],
                mic_location=mic["location"],
                edge_id=mic["edge_id"],
            )
        return results

    async def _publish(self, stored: list[tuple[_Job, Any]]) -> None:
        """The group's accepted events, each encoded once, handed to the bus in one call."""
        from .views import live_view

        messages = [
            (orjson.dumps(live_view(row)), offset_key(row["seq"]))
            for _job, rows in stored
            for row in rows
            if not row["suppressed"]
        ]
        if messages:
            await self.bus.publish_many(LIVE_STREAM, messages)

    async def _announce(self, stored: list[tuple[_Job, Any]]) -> None:
        rows = [row for _job, job_rows in stored for row in job_rows]
        accepted = [r for r in rows if not r["suppressed"]]
        EVENTS_INGESTED.inc(len(accepted))
        EVENTS_SUPPRESSED.inc(len(rows) - len(accepted))
        for hook in self.after_store:
            try:
                await hook(accepted)
            except Exception:  # stored events stay stored; the hook rebuilds at restart
                log.exception("post-ingest hook %r failed", hook)


def _first_error(job: _Job, mics: Mapping[str, Any]) -> tuple[int, str] | None:
    """The job's first bad event; for each event the label, then the mic, then the time is
    checked, so a 422 names the same event and field as a one-at-a-time check would."""
    last = job.error[0] if job.error else len(job.items) - 1
    for index in range(last + 1):
        if index == last and job.label_error:
            break
        mic_id = job.items[index].mic_id
        if mic_id not in mics:
            return index, f"mic_id: unknown mic {mic_id!r}"
    return job.error


def _where(items: Sequence[EventFields], index: int) -> str:
    """The 422 message's prefix naming the bad event of a batch."""
    return f"events[{index}]." if len(items) > 1 else ""
