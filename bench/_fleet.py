"""Live WebSocket clients that keep up with a fast stream: spread over several processes,
each counting frames by walking their headers (no payload copied, decoded or parsed).

A client written with the `websockets` library parses, unmasks-checks, decodes and queues
every frame; 100 of them in one process read well under the 1.5-2 million frames/s that
batch ingest sends them, so the server shed them all (1013) and "ingest with 100 live
clients" was really ingest while clients were being shed. Here each process runs raw asyncio
protocols (uvloop when installed) whose `data_received` only steps from frame head to frame
head, ~0.1 us per frame, and counts text frames per client.

`Fleet(uri, token, n, processes)` starts the processes and waits until every client is
upgraded; `collect(expected)` waits until every client has `expected` frames (or no client
made progress for `idle` seconds) and returns a `Tally`.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import time
from dataclasses import dataclass, field
from typing import Any


class Counter(asyncio.Protocol):
    """One client: the upgrade, then text frames counted by their heads; a close frame's
    code kept. Frames may straddle reads: `skip` is what is left of the current frame,
    `pending` a frame head cut short."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: Any = None
        self.upgraded = False
        self.head = b""
        self.skip = 0
        self.pending = b""
        self.frames = -1  # /api/v1/ws says "hello" first: events are the frames after it
        self.closed = 0  # close code received (0: none)
        self.ready = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_result(False)

    def data_received(self, data: bytes) -> None:
        if not self.upgraded:
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            self.upgraded = self.head.startswith(b"HTTP/1.1 101")
            data, self.head = self.head[end + 4 :], b""
            self.ready.set_result(self.upgraded)
            if not self.upgraded:
                self.transport.close()
                return
        self._count(data)

    def _count(self, data: bytes) -> None:
        if self.pending:
            data, self.pending = self.pending + data, b""
        pos, n, frames = self.skip, len(data), 0
        while pos < n:
            if pos + 2 > n:
                break
            first, size = data[pos], data[pos + 1] & 0x7F
            head = 2
            if size == 126:
                if pos + 4 > n:
                    break
                size, head = data[pos + 2] << 8 | data[pos + 3], 4
            elif size == 127:
                if pos + 10 > n:
                    break
                size, head = int.from_bytes(data[pos + 2 : pos + 10], "big"), 10
            opcode = first & 0x0F
            if opcode == 1 and size:  # an event (keep-alives are empty text frames)
                frames += 1
            elif opcode == 8:
                start = pos + head
                self.closed = int.from_bytes(data[start : start + 2], "big") or 1005
            pos += head + size
        if pos >= n:
            self.skip = pos - n
        else:
            self.skip, self.pending = 0, data[pos:]
        self.frames += frames


def _request(uri: str, token: str) -> tuple[str, int, bytes]:
    from urllib.parse import urlsplit

    parts = urlsplit(uri)
    lines = [
        f"GET {parts.path} HTTP/1.1",
        f"Host: {parts.hostname}:{parts.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        f"Authorization: Bearer {token}",
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return parts.hostname or "127.0.0.1", parts.port or 80, request


def _process(uri: str, token: str, n: int, ready: Any, expected: Any, stop: Any, out: Any) -> None:
    """One client process: connect n clients, then count until told to stop; reports
    per-client frame counts and close codes."""

    async def run() -> None:
        loop = asyncio.get_running_loop()
        host, port, request = _request(uri, token)
        clients: list[Counter] = []
        for _ in range(n):
            _, proto = await loop.create_connection(lambda: Counter(request), host, port)
            clients.append(proto)
        ok = await asyncio.gather(*(c.ready for c in clients))
        ready.put(sum(ok))
        while not stop.is_set():
            await asyncio.sleep(0.05)
        # drain: until every client has what was sent, or nobody moved for `idle` seconds
        want, idle = expected.value, 3.0
        last, moved = -1, time.monotonic()
        while min(c.frames for c in clients) < want and time.monotonic() - moved < idle:
            total = sum(c.frames for c in clients)
            if total != last:
                last, moved = total, time.monotonic()
            await asyncio.sleep(0.02)
        out.put(([c.frames for c in clients], [c.closed for c in clients], time.monotonic()))
        for c in clients:
            c.transport.close()

    try:
        import uvloop

        uvloop.run(run())
    except ImportError:
        asyncio.run(run())


@dataclass
class Tally:
    frames: list[int] = field(default_factory=list)  # per client
    closes: list[int] = field(default_factory=list)  # close code per client (0: open)
    drained_at: float = 0.0  # time.monotonic() when the last process finished reading

    def complete(self, expected: int) -> int:
        """Clients that received every one of `expected` frames."""
        return sum(1 for f in self.frames if f >= expected)


class Fleet:
    def __init__(self, uri: str, token: str, n: int, processes: int = 4) -> None:
        ctx = mp.get_context("spawn")
        self.ready, self.out = ctx.Queue(), ctx.Queue()
        self.stop, self.expected = ctx.Event(), ctx.Value("q", 0)
        sizes = [n // processes + (1 if i < n % processes else 0) for i in range(processes)]
        self.procs = [
            ctx.Process(
                target=_process,
                args=(uri, token, k, self.ready, self.expected, self.stop, self.out),
                daemon=True,
            )
            for k in sizes
            if k
        ]
        for p in self.procs:
            p.start()
        connected = sum(self.ready.get(timeout=60) for _ in self.procs)
        if connected != n:
            self.close()
            raise RuntimeError(f"only {connected} of {n} clients connected")

    def collect(self, expected: int) -> Tally:
        """Each client's frames once all have `expected` (or reading stalled)."""
        self.expected.value = expected
        self.stop.set()
        tally = Tally()
        for _ in self.procs:
            frames, closes, at = self.out.get(timeout=120)
            tally.frames += frames
            tally.closes += closes
            tally.drained_at = max(tally.drained_at, at)
        return tally

    def close(self) -> None:
        for p in self.procs:
            p.join(5)
            if p.is_alive():
                p.kill()
