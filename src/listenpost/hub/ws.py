"""The WebSocket shell shared by the server-to-client streams (live events, composites)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..auth.deps import accept_or_refuse, claims_of
from ..errors import error_response
from ..metrics import CONNECTIONS_REFUSED
from ..node import node_of
from ..resume import replay as resume
from .client import TOO_SLOW, Client, FullPolicy
from .wire import AsgiWire, wire_of

__all__ = ["TOO_SLOW", "admitted", "detach", "serve_stream"]
HANDED_OVER = "listenpost.handed_over"  # scope key: the key slot is released at the socket's end


@contextlib.asynccontextmanager
async def admitted(ws: WebSocket, public: bool = False) -> AsyncIterator[bool]:
    """Accept the handshake (or refuse it: 401/403 from auth, 429 when the caller's API key
    already holds `max_websockets_per_key` sockets); the key's slot is held until exit."""
    node = node_of(ws)
    claims = claims_of(ws)
    key = None if claims is None else claims.key_id
    limit = node.settings.max_websockets_per_key
    if key is not None and not node.hub.key_slots.acquire(key, limit):
        CONNECTIONS_REFUSED.labels("per_key").inc()
        message = f"too many WebSockets for this API key: the limit is {limit}"
        await ws.send_denial_response(error_response(429, message))
        yield False
        return
    try:
        yield await accept_or_refuse(ws, public)
    finally:
        if key is not None and not ws.scope.get(HANDED_OVER):
            node.hub.key_slots.release(key)


def detach(ws: WebSocket, client: Client, reads: bool = False) -> bool:
    """Hand the connection to its protocol (see connguard) so this handler can return and
    free everything the request held; the client leaves the hub and its key slot comes back
    when the socket ends, and the auth watch follows the connection instead of `ws`.
    False when the server's protocol cannot (another server): the handler keeps serving."""
    hand_over = getattr(client.wire, "detach", None)
    if hand_over is None:
        return False
    node = node_of(ws)
    claims = claims_of(ws)
    key = None if claims is None else claims.key_id
    ws.scope[HANDED_OVER] = True

    def on_end() -> None:
        node.hub.remove(client)
        if key is not None:
            node.hub.key_slots.release(key)

    if claims is not None:
        node.sockets.add(client.wire, claims)
    hand_over(on_end, reads)
    return True


async def serve_stream(ws: WebSocket, stream: str, policy: FullPolicy) -> None:
    bad, request = await resume.refused(ws, wrapped_flag=True)
    if bad:
        return
    async with admitted(ws) as accepted:
        if accepted:
            await _serve(ws, stream, policy, request)


async def _serve(
    ws: WebSocket, stream: str, policy: FullPolicy, request: resume.p.ResumeRequest | None
) -> None:
    """Say `hello`, then let the hub write frames (and keep-alives) straight to the socket
    while this task only waits for the client's end (or its shedding, which closes it)."""
    node = node_of(ws)
    await ws.send_text("hello")
    wire = wire_of(ws)
    name = resume.stream_of(stream, request)
    client = Client(name, node.settings.client_queue, policy, wire=wire, keepalive=True)
    try:
        joined = await resume.attach(node, client, stream, request)  # a resume replays first
    except BaseException:
        node.hub.remove(client)
        raise
    if joined and detach(ws, client):
        return
    try:
        if joined:
            await drain(ws)
    finally:
        node.hub.remove(client)
        if isinstance(wire, AsgiWire):
            wire.stop()


async def drain(ws: WebSocket) -> None:
    """Read and ignore client frames until the socket closes."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
