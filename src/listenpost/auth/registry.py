"""Which API keys are active and with what scope, as the store has them, at most ~1 s old.

Tokens are checked against this on every request and WebSocket sweep, so a key revoked by
`listenpost apikey revoke` (another process, maybe another node) stops its tokens within
`max_age`. One query reads every key, at most once per `max_age` per process, however many
requests arrive. A key id not in the snapshot forces a fresh read only when its token was
issued after (or about when) the snapshot was read: the key may be new; a token older than
the snapshot belongs to a key that is gone, and costs no read however often it is sent.
While the database does not answer, the last snapshot is kept (requests then meet the
database's own 503), retried at most once per `max_age`.

Started (a node's service), the registry re-reads every `max_age / 2` on its own, so the
snapshot a request meets is never stale and no request waits for that read (it was one
request a second, at the p99 of the latency bench); a request still reads inline when the
background read fell behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from ..store.keys import list_keys

log = logging.getLogger("listenpost.auth")
CLOCK_SLACK = 2.0  # seconds: a token from another node may carry a slightly later iat


@dataclass(frozen=True)
class KeyState:
    scope: str
    revoked: bool


class KeyRegistry:
    def __init__(
        self,
        engine: AsyncEngine,
        max_age: float = 1.0,
        timeout: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._max_age = max_age
        self._timeout = timeout
        self._clock = clock
        self._states: dict[str, KeyState] = {}
        self._read_at: float | None = None  # when the last read (or failed attempt) began
        self._read_wall: float | None = None  # the same, Unix seconds, of the last good read
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._keep_fresh(), name="listenpost-key-refresh")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _keep_fresh(self) -> None:
        half = self._max_age / 2
        while True:
            await asyncio.sleep(half)
            try:
                await self.refresh(older_than=half)
            except Exception:  # the first read failing: requests meet it themselves
                log.debug("background API key read failed", exc_info=True)

    async def get(self, key_id: str, issued_at: float) -> KeyState | None:
        """The state of the key a token (issued at `issued_at`, Unix seconds) names; None when
        no such key exists (deleted, or never was)."""
        if self._stale() or (key_id not in self._states and self._may_be_new(issued_at)):
            await self.refresh()
        return self._states.get(key_id)

    def _may_be_new(self, issued_at: float) -> bool:
        """Whether the key could have been created after the snapshot was read (with slack
        for other nodes' clocks)."""
        return self._read_wall is None or issued_at + CLOCK_SLACK >= self._read_wall

    def peek(self, key_id: str) -> KeyState | None:
        """The state in the current snapshot, without reading the store."""
        return self._states.get(key_id)

    def _stale(self, older_than: float | None = None) -> bool:
        limit = self._max_age if older_than is None else older_than
        return self._read_at is None or self._clock() - self._read_at > limit

    @property
    def max_age(self) -> float:
        return self._max_age

    async def refresh(self, older_than: float | None = None) -> None:
        """Re-read every key; concurrent callers share one read. With `older_than`, only
        when the snapshot is more than that many seconds old."""
        asked_at = self._clock()
        async with self._lock:
            if self._read_at is not None and self._read_at >= asked_at:
                return  # another caller read the store after we asked
            if older_than is not None and not self._stale(older_than):
                return
            started, wall = self._clock(), time.time()
            try:
                records = await asyncio.wait_for(list_keys(self._engine), self._timeout)
            except (DBAPIError, OSError, TimeoutError) as exc:
                if self._read_at is None:
                    raise
                log.warning("could not re-read API keys (%s); using the last list", exc)
            else:
                self._states = {r.id: KeyState(r.scope, r.revoked_at is not None) for r in records}
                self._read_wall = wall
            self._read_at = started
