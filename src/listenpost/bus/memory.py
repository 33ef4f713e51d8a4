"""In-process bus: publish calls the node's handler directly."""

from __future__ import annotations

import inspect

from .base import Handler


class MemoryBus:
    def __init__(self) -> None:
        self._handler: Handler | None = None

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    async def publish(self, stream: str, payload: bytes) -> None:
        if self._handler is None:
            return
        result = self._handler(stream, payload)
        if inspect.isawaitable(result):
            await result
