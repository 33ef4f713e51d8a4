"""`/api/ws`: tr-engine's live radio WebSocket (tr-engine.md §1), over the shared hub."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from ..hub.client import Client, FullPolicy
from ..hub.ws import TOO_SLOW, admitted
from .processor import STREAM
from .session import Session

router = APIRouter()

#: Replies a client has not yet taken, in bytes, before its next request waits for room.
MAX_PENDING_REPLY_BYTES = 1024 * 1024


@router.websocket("/api/ws")
async def radio_ws(ws: WebSocket) -> None:
    async with admitted(ws, public=ws.app.state.node.settings.radio_ws_public) as accepted:
        if accepted:
            await _serve(ws)


async def _serve(ws: WebSocket) -> None:
    node = ws.app.state.node
    session = Session(node.settings.ws_max_subscriptions)
    client = Client(STREAM, node.settings.client_queue, FullPolicy.DROP, session.filter_key())
    node.hub.add(client)
    tasks = (
        asyncio.create_task(client.pump(ws, None, None)),
        asyncio.create_task(_read(ws, session, client, node)),
        asyncio.create_task(client.shed.wait()),
    )
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        node.hub.remove(client)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
    if client.overflowed:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ws.close(TOO_SLOW, "client is not reading its replies"), 5)


async def _read(ws: WebSocket, session: Session, client: Client, node: Any) -> None:
    """Apply each client message; its reply waits for room in the client's reply budget, and
    a client that leaves its replies unread for `ws_send_timeout` seconds is shed."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await ws.receive()
            if message["type"] == "websocket.disconnect":
                return
            frame = message.get("text")
            if frame is None:
                frame = message.get("bytes") or b""
            before = session.filter_key()
            for reply in session.handle_text(frame, time.time()):
                encoded = orjson.dumps(reply).decode()
                timeout = node.settings.ws_send_timeout
                if not await client.reply(encoded, MAX_PENDING_REPLY_BYTES, timeout):
                    node.hub.shed(client)
                    return
            if session.filter_key() != before:
                node.hub.rekey(client, session.filter_key())
