"""`/api/v1/ws/composite-events`: hello, one JSON frame per new composite, keep-alives."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from ..hub.client import FullPolicy
from ..hub.ws import serve_stream
from .runner import STREAM

router = APIRouter()


@router.websocket("/api/v1/ws/composite-events")
async def live_composites(ws: WebSocket) -> None:
    await serve_stream(ws, STREAM, FullPolicy.DISCONNECT)
