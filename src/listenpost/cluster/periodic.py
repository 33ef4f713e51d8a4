"""A task that does one step every few seconds until stopped; a failed step is logged and
the next one runs as usual (a database blink must not end the loop)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger("listenpost.cluster")


class Periodic:
    name = "periodic"
    every = 1.0

    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None

    async def step(self) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("%s: %s", self.name, exc)
