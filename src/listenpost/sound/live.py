"""`/api/v1/ws`: the live events stream (hello, one JSON frame per accepted event, keep-alives)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from ..hub.client import FullPolicy
from ..hub.ws import serve_stream
from .ingest import LIVE_STREAM

router = APIRouter()


@router.websocket("/api/v1/ws")
async def live_events(ws: WebSocket) -> None:
    await serve_stream(ws, LIVE_STREAM, FullPolicy.DISCONNECT)
