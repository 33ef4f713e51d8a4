"""Radio ingest: normalised trunk-recorder records -> store -> tr-engine events on the bus.

Messages are processed in arrival order, a batch at a time: the records of a batch are
stored in one transaction and their events published after it commits (the MQTT shell
acknowledges the batch's messages only then). The handlers live with their concern:
calls.py, audio.py, site.py; upserts.py creates what a record mentions; state.py holds the
in-memory state a failed transaction rolls back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from ..bus.base import Bus
from ..cluster import order
from ..metrics import RADIO_ERRORS, RADIO_MESSAGES, RADIO_REFUSED
from ..resume.history import FrameHistory
from ..store.db import database_answers
from . import events as ev
from .audio import on_audio
from .calls import on_call, on_snapshot
from .normalise import NormaliseError
from .payloads import normalise
from .records import (
    ActiveCalls as ActiveSnapshot,
)
from .records import (
    AudioRecord,
    CallRecord,
    ConfigRecord,
    Heartbeat,
    RateRecord,
    RecorderState,
    SystemInfo,
    TrunkMessage,
    UnitEventRecord,
)
from .routing import encode_route, route_of
from .site import (
    on_config,
    on_heartbeat,
    on_message,
    on_rate,
    on_recorder,
    on_system,
    on_unit,
)
from .state import Ctx, Emitted, IngestState, Limits
from .tracker import ActiveCalls
from .upserts import now_us

log = logging.getLogger("listenpost.radio")
STREAM = "radio.events"
Handler = Callable[[Ctx, Any], Awaitable[Emitted]]
Item = tuple[str, Any]  # (topic, record)
_COUNTERS: dict[type, Any] = {}

HANDLERS: dict[type, Handler] = {
    ConfigRecord: on_config,
    SystemInfo: on_system,
    RateRecord: on_rate,
    RecorderState: on_recorder,
    CallRecord: on_call,
    ActiveSnapshot: on_snapshot,
    AudioRecord: on_audio,
    UnitEventRecord: on_unit,
    TrunkMessage: on_message,
    Heartbeat: on_heartbeat,
}


class RadioProcessor:
    def __init__(
        self, engine: AsyncEngine, bus: Bus, data_dir: str, limits: Limits | None = None
    ) -> None:
        self.db = engine
        self.bus = bus
        self.limits = limits or Limits()
        self.history = FrameHistory(engine)  # gives each frame its offset (resume)
        self.state = IngestState(Path(data_dir).resolve())
        # called with each batch's records and the events it emitted, after they are stored;
        # must not block (the alert rules only enqueue)
        self.after_store: list[Callable[[list[Any], Emitted], None]] = []

    @property
    def active(self) -> ActiveCalls:
        return self.state.active

    async def handle(self, topic: str, payload: bytes) -> None:
        """Process one MQTT message; a bad one is logged and counted, never raised."""
        await self.handle_batch([(topic, payload)])

    async def handle_batch(self, messages: Sequence[tuple[str, bytes]]) -> None:
        """Store the records of several messages in one transaction, then publish their
        events. Returns once everything storable is stored (the caller may then ack)."""
        items = [item for topic, payload in messages for item in self._records(topic, payload)]
        if not items:
            return
        emitted = await self._store(items)
        try:
            now = time.time()
            frames = [
                (orjson.dumps(ev.envelope(event, data, now)), encode_route(route_of(event, data)))
                for event, data in emitted
            ]
            if frames:
                async with order.turn(self.db, self.bus, STREAM) as conn:  # offsets in order
                    published = await self.history.record(conn, frames, now)
                    routes = [route for _, route in frames]  # one bus call per batch, in order
                    await self.bus.publish_many(STREAM, list(zip(published, routes, strict=True)))
        except Exception:  # stored is stored: a bus failure costs live events, not ingest
            RADIO_ERRORS.labels("publish_failed").inc()
            log.exception("could not publish %d radio event(s)", len(emitted))
        for hook in self.after_store:
            hook([record for _, record in items], emitted)

    def _records(self, topic: str, payload: bytes) -> list[Item]:
        try:
            records = normalise(topic, payload)
        except NormaliseError as exc:
            RADIO_ERRORS.labels(exc.kind).inc()
            log.warning("skipped MQTT message: %s", exc)
            return []
        except Exception:  # a normaliser bug must not stop the ingest loop
            RADIO_ERRORS.labels("normalise_failed").inc()
            log.exception("skipped MQTT message from %s: the normaliser failed", topic)
            return []
        for record in records:
            counter = _COUNTERS.get(type(record))
            if counter is None:  # a labelled child looked up once per type, not per record
                counter = _COUNTERS[type(record)] = RADIO_MESSAGES.labels(type(record).__name__)
            counter.inc()
            if isinstance(record, ActiveSnapshot):
                _count_rejected(topic, record)
        if self._refused(topic, records):
            return []
        return [(topic, r) for r in records if type(r) in HANDLERS]

    def _refused(self, topic: str, records: Sequence[Any]) -> bool:
        """A message creating more than its limit allows is refused whole (counted, logged):
        one message must not make every later record slow or hold memory unbounded."""
        lim = self.limits
        for r in records:
            if isinstance(r, ActiveSnapshot) and len(r.calls) > lim.max_active_calls:
                return _refuse(
                    "calls_active",
                    topic,
                    f"{len(r.calls)} calls",
                    f"LISTENPOST_RADIO_MAX_ACTIVE_CALLS={lim.max_active_calls}",
                )
        rates = sum(isinstance(r, RateRecord) for r in records)
        if rates > lim.max_rate_systems:
            return _refuse(
                "rates",
                topic,
                f"{rates} systems",
                f"LISTENPOST_RADIO_MAX_RATE_SYSTEMS={lim.max_rate_systems}",
            )
        return False

    async def _store(self, items: list[Item]) -> Emitted:
        """Store records in one transaction. When the database rejects the batch, each record
        is stored alone so one bad record costs only itself; while the database is
        unreachable the batch is retried with backoff (its messages stay unacknowledged)."""
        delay = 0.5
        while True:
            mark = self.state.mark()
            try:
                async with self.db.begin() as conn:
                    ctx = Ctx(conn, self.state, now_us())
                    out: Emitted = []
                    calls = [r for _topic, r in items if isinstance(r, CallRecord)]
                    await ctx.calls.read(conn, calls)
                    for _topic, record in items:
                        out += await HANDLERS[type(record)](ctx, record)
                    await ctx.calls.flush(conn)
                    await ctx.deferred.flush(conn)
                self.state.forget()
                return out
            except Exception as exc:
                await self.state.undo(mark)
                if await database_answers(self.db):
                    if len(items) > 1:
                        return [e for item in items for e in await self._store([item])]
                    RADIO_ERRORS.labels("store_error").inc()
                    topic, record = items[0]
                    log.exception("could not store %s from %s", type(record).__name__, topic)
                    return []
                RADIO_ERRORS.labels("store_unavailable").inc()
                log.warning(
                    "database unavailable (%s); holding %d record(s) from %s, retrying in %.1f s",
                    str(exc).splitlines()[0][:200],
                    len(items),
                    items[0][0],
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)


def _refuse(reason: str, topic: str, size: str, setting: str) -> bool:
    RADIO_REFUSED.labels(reason).inc()
    log.warning("refused %s message from %s: %s is over the limit %s", reason, topic, size, setting)
    return True


def _count_rejected(topic: str, snap: ActiveSnapshot) -> None:
    """Entries of a snapshot the normaliser could not read: each logged and counted by reason
    like a refused message; the snapshot's other entries are stored."""
    for exc in snap.rejected:
        kind = getattr(exc, "kind", "bad_field")
        RADIO_ERRORS.labels(kind).inc()
        log.warning("left out of the calls_active snapshot from %s: %s", topic, exc)
