"""A running node: store, bus, hub and ingest, started in order and stopped in reverse."""

from __future__ import annotations

import logging
import secrets
import socket
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection

from .alerts.delivery import Dispatcher
from .alerts.runner import STREAM as ALERT_STREAM
from .alerts.runner import AlertRunner
from .auth.ratelimit import RateLimiter, parse_limits
from .auth.registry import KeyRegistry
from .auth.watch import SocketWatch
from .bus.base import Bus, Message, from_url
from .bus.settings import BusOptions
from .cluster.lease import is_shared
from .cluster.roles import Roles
from .composite.runner import STREAM as COMPOSITE_STREAM
from .composite.runner import CompositeRunner
from .config import Settings, StartupError
from .hub.hub import Hub
from .radio.processor import STREAM as RADIO_STREAM
from .radio.processor import RadioProcessor
from .radio.state import Limits
from .resume import protocol as resume
from .sound.ingest import LIVE_STREAM, Ingest
from .store import keys, meta
from .store.db import make_engine, unusable
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
    #: per stream, how a message's routing key becomes the hub's route (absent: no routing)
    routes: dict[str, Callable[[Message], Hashable]] = field(default_factory=dict)
    radio: RadioProcessor | None = None
    mqtt: Any = None
    started: bool = False
    roles: Roles | None = None
    alerts: AlertRunner = field(init=False)
    delivery: Dispatcher = field(init=False)
    keys: KeyRegistry = field(init=False)
    sockets: SocketWatch = field(init=False)
    #: history reset marker shared by every node of a database (resume; set at start)
    epoch: str = ""
    resume: resume.Options = field(init=False)

    def __post_init__(self) -> None:
        self.keys = KeyRegistry(self.engine)
        self.alerts = AlertRunner(self.engine, self.bus, self.settings.max_clock_skew)
        self.delivery = Dispatcher(self.engine, self.settings)
        self.alerts.wake = self.delivery.wake
        self.ingest.after_store.insert(0, self.alerts.on_sound)  # only enqueues: first
        self.composites.after_create.append(self.alerts.on_composites)
        self.sockets = SocketWatch(self.keys)
        self.resume = resume.Options(self.settings.resume_history, self.settings.resume_max_age)

    @classmethod
    def build(cls, settings: Settings) -> Node:
        engine = make_engine(settings.database_url)
        bus = from_url(settings.bus_url, bus_options(settings))
        limiter = RateLimiter(parse_limits(settings.rate_limit)) if settings.rate_limit else None
        ingest = Ingest(engine, bus, settings.max_clock_skew)
        composites = CompositeRunner(
            engine, bus, settings.max_clock_skew, shared=is_shared(engine)
        )
        ingest.after_store.append(composites.on_events)
        hub = Hub()
        node = cls(settings, engine, bus, hub, ingest, composites, rate_limiter=limiter)
        limits = Limits(settings.radio_max_active_calls, settings.radio_max_rate_systems)
        node.radio = RadioProcessor(engine, bus, settings.data_dir, limits)
        node.radio.after_store.append(node.alerts.on_radio)
        from .radio.routing import RadioIndex, radio_route

        hub.index(RADIO_STREAM, RadioIndex())
        node.routes[RADIO_STREAM] = radio_route
        if settings.mqtt_url:
            from .radio.mqtt import MqttIngest

            node.mqtt = MqttIngest(settings, node.radio)
        node.roles = Roles(settings, engine, composites, node.radio, node.mqtt)
        # ingest last: stopped first, it still hands its last events to composites and alerts
        services = (node.keys, node.sockets, node.delivery, node.alerts, node.roles, ingest)
        node.services.extend(services)
        return node

    async def start(self) -> None:
        try:
            await self._prepare_store()
        except Exception as exc:
            raise StartupError(unusable(self.settings.database_url, exc)) from exc
        if self.settings.rules_file:
            await self._load_rules(self.settings.rules_file)
        streams = (LIVE_STREAM, COMPOSITE_STREAM, RADIO_STREAM, ALERT_STREAM)
        self.bus.subscribe(streams, self.on_bus)
        await self.bus.start()
        self.hub.start(self.settings.keepalive)
        for service in self.services:
            await service.start()
        self.started = True

    async def _prepare_store(self) -> None:
        """Schema, signing secret, environment keys; warn when nobody could authenticate."""
        revision = await migrate(self.engine)
        log.info("database schema at revision %s", revision)
        self.secret = self.settings.jwt_secret or await keys.server_secret(self.engine)
        self.epoch = await meta.remember(self.engine, "resume_epoch", secrets.token_hex(8))
        if self.radio is not None:
            self.radio.history.epoch, self.radio.history.options = self.epoch.encode(), self.resume
        removed = await keys.sync_env_keys(self.engine, self.settings.api_keys)
        if removed:
            log.info("removed %d API key(s) no longer in LISTENPOST_API_KEYS", len(removed))
        if not any(k.revoked_at is None for k in await keys.list_keys(self.engine)):
            log.warning(
                "no API key exists, so no client can authenticate: create one with "
                "`listenpost apikey create --name NAME` (or set LISTENPOST_API_KEYS)"
            )

    async def stop(self) -> None:
        self.started = False
        self.hub.stop()
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
        from .alerts.rulesfile import load_alert_rules

        await load_alert_rules(self, path)

    def on_bus(self, message: Message) -> None:
        """Every published message, from this node or another, reaches local clients here:
        routed by its key, never decoded (the hub sends the bytes as they came)."""
        router = self.routes.get(message.stream)
        route = router(message) if router is not None else None
        self.hub.submit(message.stream, message.payload, route)
        wrapped = resume.WRAPPED.get(message.stream)  # Deeply clients that asked for offsets
        if wrapped and message.key and self.hub.count(wrapped):
            payload = resume.wrap(message.key, self.epoch.encode(), message.payload)
            self.hub.submit(wrapped, payload)


def bus_options(settings: Settings) -> BusOptions:
    return BusOptions(
        maxlen=settings.bus_maxlen,
        max_age=settings.bus_max_age,
        prefix=settings.bus_prefix,
        node=f"{socket.gethostname()}:{settings.port}",
    )


def node_of(conn: HTTPConnection) -> Node:
    """The node serving this request or WebSocket, typed (`app.state` holds `Any`)."""
    node = conn.app.state.node
    if not isinstance(node, Node):
        raise RuntimeError("app.state.node is not a listenpost Node")
    return node
