"""Many light WebSocket clients in one process (raw asyncio protocols, uvloop), driven over
stdin/stdout by the benchmark: `python -m bench._clients URL N [--header H] [--subscribe TEXT]`.

It connects N clients (a few hundred at a time), prints `ready <connected>` and then answers
commands, one per line on stdin:
  `mark`    forget what was received so far;
  `report`  print one JSON line: frames received, per sequence number the receipt count and
            the last receipt time (time.monotonic(), system-wide on Linux), duplicates and
            out-of-order frames seen per client;
  `quit`    close everything and exit.
A sequence number is the first `seq=<digits>` or first noise value in a frame; frames
without one only count.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import functools
import os
import re
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import orjson

SEQ = re.compile(rb'(?:seq=|"noises":\[)(\d+)')


class Stats:
    def __init__(self) -> None:
        self.frames = 0
        self.last: dict[int, float] = {}
        self.count: dict[int, int] = {}
        self.duplicates = 0
        self.out_of_order = 0
        self.closed: dict[int, int] = {}

    def clear(self) -> None:
        self.__init__()  # type: ignore[misc]


STATS = Stats()


def _mask(payload: bytes, opcode: int) -> bytes:
    key = os.urandom(4)
    n = len(payload)
    head = bytes([0x80 | opcode])
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return head + key + masked


class Client(asyncio.Protocol):
    def __init__(self, request: bytes, subscribe: bytes | None, ready: asyncio.Future) -> None:
        self.request = request
        self.subscribe = subscribe
        self.ready = ready
        self.buf = bytearray()
        self.upgraded = False
        self.last_seq = -1
        self.seen: set[int] = set()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self.request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_result(False)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            ok = self.buf.startswith(b"HTTP/1.1 101")
            del self.buf[: end + 4]
            self.upgraded = ok
            if not ok:
                self.transport.close()  # type: ignore[union-attr]
                return
            if self.subscribe is not None:
                self.transport.write(_mask(self.subscribe, 1))  # type: ignore[union-attr]
            if not self.ready.done():
                self.ready.set_result(True)
        self._frames()

    def _frames(self) -> None:
        buf = self.buf
        pos = 0
        while len(buf) - pos >= 2:
            opcode, n = buf[pos] & 0x0F, buf[pos + 1] & 0x7F
            head = 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n, head = int.from_bytes(buf[pos + 2 : pos + 4], "big"), 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n, head = int.from_bytes(buf[pos + 2 : pos + 10], "big"), 10
            if len(buf) - pos < head + n:
                break
            payload = bytes(buf[pos + head : pos + head + n])
            pos += head + n
            if opcode == 1 or opcode == 2:
                self._message(payload)
            elif opcode == 9:
                self.transport.write(_mask(payload, 10))  # type: ignore[union-attr]
            elif opcode == 8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                STATS.closed[code] = STATS.closed.get(code, 0) + 1
                self.transport.close()  # type: ignore[union-attr]
        del buf[:pos]

    def _message(self, payload: bytes) -> None:
        STATS.frames += 1
        found = SEQ.search(payload)
        if found is None:
            return
        now = time.monotonic()
        seq = int(found.group(1))
        if seq in self.seen:
            STATS.duplicates += 1
            return
        if seq < self.last_seq:
            STATS.out_of_order += 1
        self.seen.add(seq)
        self.last_seq = seq
        STATS.count[seq] = STATS.count.get(seq, 0) + 1
        STATS.last[seq] = now


def request_bytes(url: str, headers: list[str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1",
        f"Host: {parts.hostname}:{parts.port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        *headers,
    ]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return parts.hostname or "127.0.0.1", parts.port or 80, request


async def connect_all(url: str, n: int, headers: list[str], subscribe: bytes | None) -> list:
    loop = asyncio.get_running_loop()
    host, port, request = request_bytes(url, headers)
    clients: list[Any] = []
    for start in range(0, n, 200):
        readies = []
        for _ in range(start, min(n, start + 200)):
            ready = loop.create_future()
            readies.append(ready)
            try:
                _, proto = await loop.create_connection(
                    functools.partial(Client, request, subscribe, ready), host, port
                )
                clients.append(proto)
            except OSError:
                ready.set_result(False)
        await asyncio.wait_for(asyncio.gather(*readies), 120)
    return clients


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("n", type=int)
    p.add_argument("--header", action="append", default=[])
    p.add_argument("--subscribe", default=None)
    a = p.parse_args()
    subscribe = a.subscribe.encode() if a.subscribe else None
    clients = await connect_all(a.url, a.n, a.header, subscribe)
    connected = sum(1 for c in clients if c.upgraded)
    print(f"ready {connected}", flush=True)
    reader = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while line := (await reader.readline()).strip():
        if line == b"mark":
            STATS.clear()
            print("ok", flush=True)
        elif line == b"report":
            open_now = sum(1 for c in clients if c.transport and not c.transport.is_closing())
            report = {
                "frames": STATS.frames,
                "last": STATS.last,
                "count": STATS.count,
                "duplicates": STATS.duplicates,
                "out_of_order": STATS.out_of_order,
                "closed": STATS.closed,
                "open": open_now,
            }
            sys.stdout.buffer.write(orjson.dumps(report, option=orjson.OPT_NON_STR_KEYS) + b"\n")
            sys.stdout.flush()
        elif line == b"quit":
            break
    for c in clients:
        if c.transport:
            c.transport.close()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.run(main())
    except ImportError:
        asyncio.run(main())
