"""`/api/v1/ws/alerts`: hello, the whole alert on creation and after every change, keep-alives."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from ..hub.client import FullPolicy
from ..hub.ws import serve_stream
from .runner import STREAM

router = APIRouter()


@router.websocket("/api/v1/ws/alerts")
async def live_alerts(ws: WebSocket) -> None:
    await serve_stream(ws, STREAM, FullPolicy.DISCONNECT)
