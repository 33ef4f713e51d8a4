"""The WebSocket shell shared by the server-to-client streams (live events, composites)."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..auth.deps import accept_or_refuse
from .client import Client, FullPolicy

TOO_SLOW = 1013  # "try again later": the client fell behind and should resync over REST


async def serve_stream(ws: WebSocket, stream: str, policy: FullPolicy) -> None:
    """Authenticate, say `hello`, then pump hub frames with empty-string keep-alives."""
    if not await accept_or_refuse(ws):
        return
    node = ws.app.state.node
    client = Client(stream, node.settings.client_queue, policy)
    await ws.send_text("hello")
    node.hub.add(client)
    pump = asyncio.create_task(client.pump(ws, "", node.settings.keepalive))
    reader = asyncio.create_task(_drain(ws))
    shed = asyncio.create_task(client.shed.wait())
    tasks = (pump, reader, shed)
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        node.hub.remove(client)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
    if client.overflowed:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(TOO_SLOW, "client too slow; resync over REST"), 5)


async def _drain(ws: WebSocket) -> None:
    """Read and ignore client frames until the socket closes."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
