"""Close live WebSockets whose access token expired or whose API key was revoked.

A handshake is checked once; after that one sweep per node and second looks at every open
authenticated socket and closes the ones that lost their right with 1008 (policy violation)
and a reason, so a revoked key or an expired token is cut within about a second. Sockets are
held weakly: one that ends on its own simply disappears from the watch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from typing import Any

from starlette.websockets import WebSocket, WebSocketState

from ..metrics import WS_AUTH_CLOSES
from .registry import KeyRegistry
from .tokens import Claims

log = logging.getLogger("listenpost.auth")

POLICY_VIOLATION = 1008
_REASONS = {  # close reasons the client reads
    "expired": "access token expired; reissue one and reconnect",
    "revoked": "API key revoked",
}


class SocketWatch:
    def __init__(self, registry: KeyRegistry, interval: float = 1.0) -> None:
        self._registry = registry
        self._interval = interval
        self._sockets: weakref.WeakKeyDictionary[Any, Claims] = weakref.WeakKeyDictionary()
        self._closing: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    def add(self, ws: Any, claims: Claims) -> None:
        """`ws`: a starlette WebSocket, or a detached connection (with `close_with`)."""
        self._sockets[ws] = claims

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="listenpost-socket-watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.sweep(time.time())
            except Exception:  # a sweep must never end the watch
                log.exception("WebSocket key sweep failed")

    async def sweep(self, now: float) -> int:
        """Close every socket whose token expired or whose key is gone; returns how many."""
        if not self._sockets:
            return 0
        await self._registry.refresh(older_than=self._registry.max_age)
        closed = 0
        for ws, claims in list(self._sockets.items()):
            reason = self._reason(claims, now)
            if reason is not None:
                self._sockets.pop(ws, None)
                WS_AUTH_CLOSES.labels(reason).inc()
                task = asyncio.create_task(_close(ws, _REASONS[reason]))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)
                closed += 1
        return closed

    def _reason(self, claims: Claims, now: float) -> str | None:
        """`expired`, `revoked` (also: deleted) or None while the socket may stay."""
        if claims.expires_at <= now:
            return "expired"
        state = self._registry.peek(claims.key_id)
        if state is None or state.revoked:
            return "revoked"
        return None


async def _close(ws: WebSocket, reason: str) -> None:
    close_with = getattr(ws, "close_with", None)
    if close_with is not None:  # a connection its handler detached (hub.ws.detach)
        close_with(POLICY_VIOLATION, reason)
        return
    if ws.application_state is not WebSocketState.CONNECTED:
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(ws.close(POLICY_VIOLATION, reason), 5)
