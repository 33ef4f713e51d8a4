"""Which work this node does: the two leases and what holding or losing each one means.

* `composites` (every node): its holder evaluates composite rules for events stored by any
  node (EventFeed); the others only keep their rules current (RuleSync), so a survivor that
  takes the lease rebuilds from the store and goes on (CompositeRunner.lead).
* `mqtt-ingest` (nodes with --mqtt): its holder rebuilds the active-call tracker from the
  store and connects to the broker as the cluster's MQTT session; the others stand by.

The MQTT session's client id is recorded in the database by the first node that ingests, and
every later holder resumes that session: the broker redelivers what the previous holder
received but had not acknowledged (stored or not: at-least-once) and what it queued while no
node was connected, so a fail-over loses nothing. Two holders at once cannot both consume
either: the broker closes the older connection of a client id when the newer one connects.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from ..composite.runner import CompositeRunner
from ..config import Settings
from ..radio.processor import RadioProcessor
from ..radio.restore import active_calls
from ..store import meta
from .feed import EventFeed
from .lease import Lease, is_shared
from .rulesync import RuleSync

MQTT_KEY = 727002  # advisory lock keys (migrations hold 727001 per upgrade transaction)
COMPOSITES_KEY = 727003


class Roles:
    def __init__(
        self,
        settings: Settings,
        engine: AsyncEngine,
        composites: CompositeRunner,
        radio: RadioProcessor | None,
        mqtt: Any,
    ) -> None:
        self.settings = settings
        self.db = engine
        self.runner = composites
        self.radio = radio
        self.mqtt = mqtt
        self.shared = is_shared(engine)
        self.feed = EventFeed(engine, composites)
        self.rules = RuleSync(engine, composites)
        self.composites = Lease(engine, "composites", COMPOSITES_KEY, self._lead, self._follow)
        self.ingest: Lease | None = None
        if mqtt is not None:
            self.ingest = Lease(engine, "mqtt-ingest", MQTT_KEY, self._ingest, self._stand_by)

    def describe(self) -> dict[str, str]:
        """For /health: what this node does now."""
        out = {"composites": "leader" if self.composites.held else "follower"}
        if self.ingest is not None:
            out["mqtt_ingest"] = "active" if self.ingest.held else "standby"
        return out

    async def start(self) -> None:
        await self.composites.start()
        if self.shared:
            await self.rules.start()
        if self.ingest is not None:
            await self.ingest.start()

    async def stop(self) -> None:
        if self.ingest is not None:
            await self.ingest.stop()
        await self.rules.stop()
        await self.composites.stop()

    async def _lead(self) -> None:
        await self.runner.lead()
        if self.shared:
            await self.feed.start()

    async def _follow(self) -> None:
        await self.feed.stop()
        await self.runner.follow()

    async def _ingest(self) -> None:
        assert self.radio is not None
        limit = self.settings.radio_max_active_calls
        self.radio.state.active = await active_calls(self.db, limit)
        if not self.settings.mqtt_client_id:
            from ..radio.mqtt import derived_client_id

            derived = derived_client_id(self.settings.port)
            self.mqtt.client_id = await meta.remember(self.db, "mqtt_client_id", derived)
        await self.mqtt.start()

    async def _stand_by(self) -> None:
        await self.mqtt.stop()

