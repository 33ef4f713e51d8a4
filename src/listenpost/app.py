"""`create_app(settings)`: routers, error handlers, limits, docs, health and metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.responses import PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from . import __version__, errors, openapi, ui
from .alerts import api as alerts_api
from .alerts import live as alerts_live
from .alerts import setup_api as alert_setup_api
from .auth import api as auth_api
from .auth import logredact
from .auth.deps import require_access
from .bodylimit import BodyLimit
from .composite import api as composite_api
from .composite import live as composite_live
from .config import Settings
from .metrics import REGISTRY
from .node import Node
from .radio import api as radio_api
from .radio import ws as radio_ws
from .radio.views import radio_health
from .sound import api as sound_api
from .sound import live as sound_live
from .store.db import database_answers, redact

log = logging.getLogger("listenpost")


def create_app(settings: Settings) -> FastAPI:
    node = Node.build(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """`listenpost serve` starts the node before uvicorn (to report startup errors on one
        line and bind the port first); an app served any other way starts it here."""
        logredact.install()  # after uvicorn set up its loggers, before any request is logged
        owned = not node.started
        if owned:
            await node.start()
        log.info(
            "listenpost %s listening on http://%s:%d, data in %s (database %s, bus %s)",
            __version__,
            *getattr(app.state, "address", (settings.host, settings.port)),
            settings.data_dir,
            redact(settings.database_url),
            settings.bus_url,
        )
        yield
        if owned:
            await node.stop()

    app = FastAPI(
        title="listenpost",
        version=__version__,
        description="Deeply-compatible sound events and tr-engine-compatible radio streams.",
        lifespan=lifespan,
        dependencies=[Depends(require_access)],  # every route: auth/policy.py decides
        redoc_url=None,  # one documentation UI: /docs (Swagger UI); see docs/reference.md
        docs_url=None,  # served by ui.py from the package's own Swagger UI files (no CDN)
    )
    app.state.node = node
    errors.install_handlers(app)
    openapi.install(app)
    app.add_middleware(BodyLimit, max_body=settings.max_body)
    routers = (
        auth_api.router,
        sound_api.router,
        sound_live.router,
        composite_api.router,
        composite_live.router,
        radio_api.router,
        radio_api.audio_router,
        radio_ws.router,
        alert_setup_api.router,
        alerts_api.router,
        alerts_live.router,
        ui.router,
    )
    for router in routers:
        app.include_router(router)

    @app.get("/health", tags=["ops"], summary="Liveness (no auth)")
    async def health() -> dict[str, Any]:
        """Always 200 while the process serves (a liveness probe must not restart a node for a
        database or bus outage); `status` is "degraded" and `database` or `bus` "unavailable"
        meanwhile (REST keeps answering; live streams resume when the bus returns)."""
        database = "ok" if await database_answers(node.engine) else "unavailable"
        bus = "ok" if node.bus.available else "unavailable"
        status = "ok" if database == bus == "ok" else "degraded"
        body: dict[str, Any] = {
            "status": status,
            "version": __version__,
            "database": database,
            "bus": bus,
        }
        roles = node.roles.describe() if node.roles else {}
        if roles:
            body["composites"] = roles["composites"]
        if node.mqtt is not None:
            body["mqtt"] = "connected" if node.mqtt.connected.is_set() else "disconnected"
            if roles.get("mqtt_ingest") == "standby":
                body["mqtt"] = "standby"  # another node of the cluster ingests
            if database == "ok":
                body["radio"] = await radio_health(node.engine)
        return body

    @app.get(
        "/metrics",
        tags=["ops"],
        summary="Prometheus metrics (no auth)",
        response_class=PlainTextResponse,
    )
    async def metrics() -> Response:
        return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)

    return app
