"""A running node: store, bus, hub and ingest, started in order and stopped in reverse."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from .auth.ratelimit import RateLimiter, parse_limits
from .bus.base import Bus, from_url
from .composite.runner import CompositeRunner
from .config import Settings
from .hub.hub import Hub
from .sound.ingest import Ingest
from .store import keys
from .store.db import make_engine
from .store.migrations import migrate

log = logging.getLogger("listenpost")


@dataclass
class Node:
    settings: Settings
    engine: AsyncEngine
    bus: Bus
    hub: Hub
    ingest: Ingest
    composites: CompositeRunner
    secret: str = ""
    rate_limiter: RateLimiter | None = None
    services: list[Any] = field(default_factory=list)

    @classmethod
    def build(cls, settings: Settings) -> Node:
        engine = make_engine(settings.database_url)
        bus = from_url(settings.bus_url)
        limiter = RateLimiter(parse_limits(settings.rate_limit)) if settings.rate_limit else None
        ingest = Ingest(engine, bus)
        composites = CompositeRunner(engine, bus)
        ingest.after_store.append(composites.on_events)
        node = cls(settings, engine, bus, Hub(), ingest, composites, rate_limiter=limiter)
        node.services.append(composites)
        return node

    async def start(self) -> None:
        version = await migrate(self.engine)
        log.info("database schema v%d ready", version)
        self.secret = self.settings.jwt_secret or await keys.server_secret(self.engine)
        for key in self.settings.api_keys:
            await keys.add_key(self.engine, key, "env:LISTENPOST_API_KEYS")
        if self.settings.rules_file:
            await self._load_rules(self.settings.rules_file)
        self.bus.set_handler(self.on_bus)
        await self.bus.start()
        for service in self.services:
            await service.start()

    async def stop(self) -> None:
        for service in reversed(self.services):
            await service.stop()
        await self.bus.stop()
        await self.engine.dispose()

    async def _load_rules(self, path: str) -> None:
        from .composite.rulesfile import read_rules
        from .store.composites import upsert_rule
        from .timeutil import now_us

        rules = read_rules(path)
        for rule in rules:
            now = now_us()
            await upsert_rule(self.engine, {**rule, "created_at": now, "updated_at": now})
        log.info("loaded %d composite rules from %s", len(rules), path)

    def on_bus(self, stream: str, payload: bytes) -> None:
        """Every published message, from this node or another, reaches local clients here."""
        self.hub.publish(stream, payload.decode())
