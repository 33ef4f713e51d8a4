"""`/api/ws`: tr-engine's live radio WebSocket (tr-engine.md §1), over the shared hub."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from ..auth.deps import accept_or_refuse
from ..hub.client import Client, FullPolicy
from ..hub.hub import Match
from .channels import FilterKey
from .processor import STREAM
from .session import Session

router = APIRouter()


def radio_match(payload: bytes) -> Match:
    """Decode an envelope once; the hub then asks each distinct filter about it."""
    envelope: dict[str, Any] = json.loads(payload)
    event, data = envelope.get("event", ""), envelope.get("data")

    def match(key: object) -> bool:
        return isinstance(key, FilterKey) and key.wants(event, data)

    return match


@router.websocket("/api/ws")
async def radio_ws(ws: WebSocket) -> None:
    node = ws.app.state.node
    if not await accept_or_refuse(ws, public=node.settings.radio_ws_public):
        return
    session = Session()
    client = Client(STREAM, node.settings.client_queue, FullPolicy.DROP, session.filter_key())
    node.hub.add(client)
    pump = asyncio.create_task(client.pump(ws, None, None))
    try:
        reader = asyncio.create_task(_read(ws, session, client, node))
        await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        node.hub.remove(client)
        for task in (pump, reader):
            task.cancel()
            with contextlib.suppress(BaseException):
                await task


async def _read(ws: WebSocket, session: Session, client: Client, node: Any) -> None:
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
                client.offer(orjson.dumps(reply).decode(), control=True)
            if session.filter_key() != before:
                node.hub.rekey(client, session.filter_key())
