"""What the Redis and NATS buses share: an outbox drained by one writer, reader positions,
availability, and an orderly stop.

`publish` never waits for the network and never fails for an outage: it appends to a bounded
outbox that one writer task sends in order, in batches; `flush` waits (bounded) until what
was published so far is in the bus. A batch whose acknowledgement is lost
is sent again, and readers drop the repeats (`delivery.Seen`). Readers remember the position
of the last message they delivered per stream and continue from it after any reconnect.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ..metrics import BUS_AVAILABLE, BUS_ERRORS, BUS_PENDING
from .base import Batch, Handler, Message
from .delivery import Seen, message_id, record
from .settings import BusOptions

log = logging.getLogger("listenpost.bus")
BATCH = 500  # messages per write
RETRY = (0.1, 0.25, 0.5, 1.0, 2.0)  # seconds between reconnection attempts (last repeats)
STOP_FLUSH = 2.0  # seconds stop() gives the outbox to drain


@dataclass(frozen=True, slots=True)
class Outgoing:
    stream: str
    payload: bytes
    key: bytes | None
    msgid: str
    number: int  # this process's publish counter


class RemoteBus:
    """Subclasses implement `_connect`, `_close`, `_write` and `_read_forever`."""

    def __init__(self, url: str, options: BusOptions) -> None:
        self.url = url
        self.options = options
        self.streams: tuple[str, ...] = ()
        self.positions: dict[str, str] = {}  # stream -> last delivered position
        self._handler: Handler | None = None
        self._outbox: deque[Outgoing] = deque()
        self._counter = 0
        self._written = 0  # the counter of the last message the bus acknowledged
        self._progress = asyncio.Event()  # set after each write and availability change
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._available = False
        self._closing = False
        self._seen = Seen()
        self._lock = asyncio.Lock()

    # -- the Bus protocol -------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self._available

    def subscribe(self, streams: Sequence[str], handler: Handler) -> None:
        self.streams = tuple(dict.fromkeys(streams))
        self._handler = handler

    async def publish(self, stream: str, payload: bytes, key: bytes | None = None) -> None:
        self._enqueue(stream, payload, key)
        BUS_PENDING.set(len(self._outbox))
        self._wake.set()

    async def publish_many(self, stream: str, messages: Batch) -> None:
        for payload, key in messages:
            self._enqueue(stream, payload, key)
        BUS_PENDING.set(len(self._outbox))
        self._wake.set()

    def _enqueue(self, stream: str, payload: bytes, key: bytes | None) -> None:
        self._counter += 1
        if len(self._outbox) >= max(self.options.outbox, 1):
            self._outbox.popleft()
            BUS_ERRORS.labels("outbox_full").inc()
        self._outbox.append(
            Outgoing(
                stream,
                payload,
                key,
                message_id(self.options.publisher, self._counter),
                self._counter,
            )
        )

    async def flush(self, timeout: float) -> bool:
        target = self._counter
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._written < target:
            remaining = deadline - loop.time()
            if not self._available or self._closing or remaining <= 0:
                return False
            self._progress.clear()  # no await since the check: no wake-up is lost
            try:
                await asyncio.wait_for(self._progress.wait(), remaining)
            except TimeoutError:
                return False
        return True

    async def start(self) -> None:
        self._closing = False
        try:
            await self._ensure()
        except Exception as exc:  # the node serves REST meanwhile; the loops keep trying
            self._set_available(False, exc)
        self._tasks = [
            asyncio.create_task(self._write_forever(), name="bus-writer"),
            asyncio.create_task(self._read_loop(), name="bus-reader"),
        ]

    async def stop(self) -> None:
        """Give the outbox a moment to drain, then cancel the loops and close: bounded."""
        if self._outbox and self._available:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained(), STOP_FLUSH)
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, STOP_FLUSH)
        self._tasks = []
        if self._outbox:
            log.warning("bus stopped with %d message(s) never published", len(self._outbox))
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._close(), STOP_FLUSH)
        self._set_available(False)

    async def _ensure(self) -> None:
        """(Re)connect once for both loops; the first connection also fixes where each
        stream is read from (its current end), later ones keep `positions`."""
        async with self._lock:
            if not self._available:
                await self._connect()
                self._set_available(True)

    # -- for subclasses ---------------------------------------------------------------
    async def _connect(self) -> None:
        raise NotImplementedError

    async def _close(self) -> None:
        raise NotImplementedError

    async def _write(self, batch: list[Outgoing]) -> None:
        raise NotImplementedError

    async def _read_forever(self) -> None:
        """Read every subscribed stream from `self.positions`, calling `_deliver`; return or
        raise when the connection fails (the loop reconnects and calls it again)."""
        raise NotImplementedError

    async def _deliver(self, message: Message, msgid: str | None) -> None:
        """Hand one message to the node (once), then remember its position."""
        self.positions[message.stream] = message.position
        if not self._seen.fresh(message.stream, msgid) or self._handler is None:
            return
        record(message, self.options.node)
        result = self._handler(message)
        if inspect.isawaitable(result):
            await result

    def _set_available(self, up: bool, exc: BaseException | None = None) -> None:
        if up and not self._available:
            log.info("bus %s available", self._where())
        elif not up and self._available and not self._closing:
            BUS_ERRORS.labels("disconnected").inc()
            log.warning("bus %s unavailable: %s", self._where(), _brief(exc))
        elif not up and exc is not None and not self._closing:
            log.debug("bus %s still unavailable: %s", self._where(), _brief(exc))
        self._available = up
        self._progress.set()
        BUS_AVAILABLE.set(1 if up else 0)

    def _where(self) -> str:
        return self.url.rpartition("@")[2]  # never log credentials

    # -- loops ------------------------------------------------------------------------
    async def _drained(self) -> None:
        while self._outbox:
            await asyncio.sleep(0.01)

    async def _attempt(self, work: Callable[[], Awaitable[None]]) -> bool:
        """Connect if needed and run `work`; a failure marks the bus unavailable (False)."""
        try:
            await self._ensure()
            await work()
            return True
        except Exception as exc:
            self._set_available(False, exc)
            return False

    async def _write_forever(self) -> None:
        failures = 0
        while not self._closing:
            if not self._outbox:
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = [self._outbox[i] for i in range(min(BATCH, len(self._outbox)))]
            if not await self._attempt(functools.partial(self._write, batch)):
                await asyncio.sleep(RETRY[min(failures, len(RETRY) - 1)])
                failures += 1
                continue
            failures = 0
            self._written = max(self._written, batch[-1].number)
            self._progress.set()
            for sent in batch:  # publish may have dropped the oldest meanwhile
                if self._outbox and self._outbox[0] is sent:
                    self._outbox.popleft()
            BUS_PENDING.set(len(self._outbox))

    async def _read_loop(self) -> None:
        failures = 0
        while not self._closing:
            began = time.monotonic()
            await self._attempt(self._read_forever)  # returns when the connection breaks
            failures = 0 if time.monotonic() - began > RETRY[-1] else failures + 1
            await asyncio.sleep(RETRY[min(failures, len(RETRY) - 1)])


def _brief(exc: BaseException | None) -> str:
    if exc is None:
        return "closed"
    text = str(exc).splitlines()[0][:200] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
