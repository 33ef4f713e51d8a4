"""The bus seam: how a node hears what any node published. Implementations pick by URL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

Handler = Callable[[str, bytes], Awaitable[None] | None]


class Bus(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def publish(self, stream: str, payload: bytes) -> None: ...
    def set_handler(self, handler: Handler) -> None: ...


def from_url(url: str) -> Bus:
    """`memory://` (default) is the in-process bus; others arrive with multi-node support."""
    if url in ("", "memory://", "memory"):
        from .memory import MemoryBus

        return MemoryBus()
    raise ValueError(f"unsupported bus URL {url!r}: this build knows memory://")
