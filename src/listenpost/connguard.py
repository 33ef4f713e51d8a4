"""Connection-level guards below the ASGI app: header and body read timeouts and a limit on
open connections per client address, as uvicorn protocol subclasses.

Why here: uvicorn's HTTP protocols have no header timeout (a client that connects and sends
its request line a byte at a time holds the socket forever), and the ASGI app only sees a
request once its headers are complete, so an ASGI middleware cannot time the header phase or
refuse a connection before it costs a parser. The body deadline lives here too, so one timer
covers both phases whether or not the application reads the body. The subclasses are handed
to uvicorn with `http=` and `ws=` (see `protocol_classes`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, ClassVar

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from .config import Settings
from .hub.wire import EXTENSION as WIRE
from .metrics import CONNECTIONS_REFUSED, HTTP_TIMEOUTS, OPEN_CONNECTIONS


class ConnectionGuard:
    """Counts open connections per client address; 0 (or less) means no limit."""

    def __init__(self, per_ip: int) -> None:
        self.per_ip = per_ip
        self._open: dict[str, set[asyncio.BaseTransport]] = {}

    def admit(self, transport: asyncio.BaseTransport, address: str) -> bool:
        held = self._open.setdefault(address, set())
        if self.per_ip > 0 and len(held) >= self.per_ip:
            if not held:
                del self._open[address]
            CONNECTIONS_REFUSED.labels("per_ip").inc()
            return False
        held.add(transport)
        OPEN_CONNECTIONS.inc()
        return True

    def release(self, transport: asyncio.BaseTransport, address: str) -> None:
        """Idempotent: the HTTP protocol or, after an upgrade, the WebSocket one calls it."""
        held = self._open.get(address)
        if held is not None and transport in held:
            held.discard(transport)
            OPEN_CONNECTIONS.dec()
            if not held:
                del self._open[address]


def raw_response(status: int, message: str) -> bytes:
    """A complete `Connection: close` answer in the documented error shape."""
    body = orjson.dumps({"detail": {"message": message}})
    return b"".join(
        [
            STATUS_LINE[status],
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
    )


def _address(client: tuple[str, int] | None) -> str:
    return client[0] if client else "unknown"


class GuardedHttpProtocol(HttpToolsProtocol):
    """Headers must be complete within `header_timeout` seconds of the connection or of the
    request's first byte; the body within `body_timeout` seconds of the headers. Past either,
    408 (when no response has started) and close."""

    guard: ClassVar[ConnectionGuard]
    header_timeout: ClassVar[float]
    body_timeout: ClassVar[float]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._admitted = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        limit = self.guard.per_ip
        if not self.guard.admit(transport, _address(self.client)):
            message = f"too many connections from your address: the limit is {limit}"
            transport.write(raw_response(429, message))
            transport.close()
            return
        self._admitted = True
        self._arm("headers", self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._admitted:
            self.guard.release(self.transport, _address(self.client))
        super().connection_lost(exc)

    def handle_websocket_upgrade(self) -> None:
        self._disarm()
        self._admitted = False  # the WebSocket protocol releases the slot from now on
        super().handle_websocket_upgrade()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # an idle connection's timer keeps running
            self._arm("headers", self.header_timeout)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not (self.parser.should_upgrade() and self._should_upgrade()):
            self._arm("body", self.body_timeout)

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self, phase: str, seconds: float) -> None:
        self._disarm()
        if seconds > 0:
            self._deadline = self.loop.call_later(seconds, self._expire, phase)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expire(self, phase: str) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        HTTP_TIMEOUTS.labels(phase).inc()
        cycle = self.cycle
        idle = cycle is None or cycle.response_complete
        if phase == "headers" and idle or phase == "body" and not cycle.response_started:
            seconds = self.header_timeout if phase == "headers" else self.body_timeout
            message = f"request {phase} not received within {seconds:g} s"
            self.transport.write(raw_response(408, message))
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the application sees http.disconnect, sends nothing
            cycle.message_event.set()
        self.transport.close()


class GuardedWebSocketProtocol(WebSocketsSansIOProtocol):
    """Holds the connection's slot after an upgrade and gives it back when the socket ends.

    It is also the connection's `hub.wire.Wire`, offered to the app in the ASGI scope, so the
    hub writes already-framed bytes straight to the transport (no task or ASGI `send` per
    frame). The handshake, auth and refusals go through ASGI as before; then the app may
    `detach`: its ASGI task returns (freeing the request's whole call chain, scope and
    headers) while the connection lives on, and `on_end` runs when the socket ends."""

    guard: ClassVar[ConnectionGuard]
    shed_grace: ClassVar[float] = 5.0  # seconds a shed client gets to take its close frame
    takes_joined: ClassVar[bool] = True  # `write_frame` may be given several frames joined

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_end: Callable[[], None] | None = None
        self._reads = True

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)
        if scope is not None:  # the app's task has not run yet: it will see the wire
            scope["extensions"][WIRE] = self

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard.release(self.transport, _address(self.client))
        super().connection_lost(exc)
        self._ended()

    def detach(self, on_end: Callable[[], None], reads: bool) -> None:
        """Keep the connection open after the app's task returns; `on_end()` once it ends.
        Without `reads`, client messages are discarded (nobody will `receive` them)."""
        self._on_end, self._reads = on_end, reads
        self.request = self.response = None  # type: ignore[assignment]
        if self.disconnected:
            self._ended()

    def _ended(self) -> None:
        on_end, self._on_end = self._on_end, None
        if on_end is not None:
            on_end()

    def send_receive_event_to_app(self) -> None:
        if self._reads:
            super().send_receive_event_to_app()
        else:
            self.frames = []

    async def run_asgi(self) -> None:
        """uvicorn's, except that a detached connection stays open when the app returns."""
        try:
            result = await self.app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            pass
        except BaseException:
            self.logger.exception("Exception in ASGI application\n")
            self.send_500_response()
        else:
            if not self.handshake_complete:
                self.logger.error("ASGI callable returned without completing handshake.")
                self.send_500_response()
            elif result is not None:
                self.logger.error("ASGI callable should return None, but returned '%s'.", result)
        if self._on_end is not None and not self.close_sent:
            self.scope = None  # type: ignore[assignment]
        elif self.close_timer is None:
            self.transport.close()

    def write_frame(self, frame: bytes) -> bool:
        if self.close_sent or self.transport.is_closing():
            return False
        self.transport.write(frame)
        return True

    def backed_up(self) -> bool:
        return not self.writable.is_set()

    def pending(self) -> int:
        return self.transport.get_write_buffer_size()

    async def drained(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self.writable.wait(), timeout)
        except TimeoutError:
            return False
        return True

    def close_with(self, code: int, reason: str) -> None:
        """Close frame now (behind what is buffered), the app told at once, and the socket
        aborted if the peer has not answered within `shed_grace` seconds."""
        if self.close_sent or self.transport.is_closing() or self.conn.state is not State.OPEN:
            return
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        self.close_timer = self.loop.call_later(self.shed_grace, self.transport.abort)


def protocol_classes(settings: Settings) -> tuple[type[asyncio.Protocol], type[asyncio.Protocol]]:
    """The HTTP and WebSocket protocol classes for uvicorn, sharing one guard."""
    guard = ConnectionGuard(settings.max_connections_per_ip)
    http = type(
        "GuardedHttp",
        (GuardedHttpProtocol,),
        {
            "guard": guard,
            "header_timeout": settings.header_timeout,
            "body_timeout": settings.body_timeout,
        },
    )
    ws = type("GuardedWebSocket", (GuardedWebSocketProtocol,), {"guard": guard})
    return http, ws
