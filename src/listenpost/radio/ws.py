"""`/api/ws`: tr-engine's live radio WebSocket (tr-engine.md §1), over the shared hub."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from ..hub.client import Client, FullPolicy
from ..hub.wire import AsgiWire, wire_of
from ..hub.ws import admitted, detach
from ..node import node_of
from ..resume import replay as resume
from .processor import STREAM
from .session import Session

router = APIRouter()
_READERS: set[asyncio.Task[None]] = set()  # detached connections' readers, held strongly

#: Replies a client has not yet taken, in bytes, before its next request waits for room.
MAX_PENDING_REPLY_BYTES = 1024 * 1024


@router.websocket("/api/ws")
async def radio_ws(ws: WebSocket) -> None:
    bad, request = await resume.refused(ws, wrapped_flag=False)
    if bad:
        return
    async with admitted(ws, public=node_of(ws).settings.radio_ws_public) as accepted:
        if accepted:
            await _serve(ws, request)


async def _serve(ws: WebSocket, request: resume.p.ResumeRequest | None = None) -> None:
    """The hub writes matching frames straight to the socket; this task reads requests."""
    node = node_of(ws)
    session = Session(node.settings.ws_max_subscriptions)
    wire = wire_of(ws)
    reason = "client is not reading its replies"
    key = session.filter_key()
    client = Client(STREAM, node.settings.client_queue, FullPolicy.DROP, key, wire, False, reason)
    node.hub.add(client)
    resume.start_radio(node, client, request, session.filter_key)  # replays when subscribed
    if detach(ws, client, reads=True):  # one light task reads; the request's chain is freed
        receive = client.wire.receive  # type: ignore[attr-defined]  # the protocol's own
        reader = asyncio.create_task(_read(receive, session, client, node))
        _READERS.add(reader)
        reader.add_done_callback(_READERS.discard)
        return
    try:
        await _read(ws.receive, session, client, node)
    finally:
        node.hub.remove(client)
        if isinstance(wire, AsgiWire):
            wire.stop()


async def _read(
    receive: Callable[[], Awaitable[Any]], session: Session, client: Client, node: Any
) -> None:
    """Apply each client message; its reply waits for room in the client's reply budget, and
    a client that leaves its replies unread for `ws_send_timeout` seconds is shed."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if not await _apply(
                message.get("bytes") or b"" if text is None else text, session, client, node
            ):
                return


async def _apply(frame: str | bytes, session: Session, client: Client, node: Any) -> bool:
    """One request; False when the client was shed. (Its own frame, so that nothing of the
    request or its replies stays referenced while the connection waits for the next.)"""
    node.hub.flush()  # frames submitted before this request go out before its replies
    before = session.filter_key()
    for reply in session.handle_text(frame, time.time()):
        timeout = node.settings.ws_send_timeout
        if not await client.reply(orjson.dumps(reply), MAX_PENDING_REPLY_BYTES, timeout):
            node.hub.shed(client)  # closes it (1013)
            return False
    if session.filter_key() != before:
        node.hub.rekey(client, session.filter_key())
        resume.subscribed(client)
    return True
