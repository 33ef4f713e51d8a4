"""A lean HTTP/1.1 keep-alive poster for the ingest benches.

httpx's pool costs the bench more CPU than the server spends on a one-event request (at 32
connections the client process used 74 % of a core while the server idled at 38 %), so the
single-event figure measured the client. Each poster here holds one connection, writes a
prepared request and reads the answer by its Content-Length: a few µs of client work per
request, so the figure is the server's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from urllib.parse import urlsplit

import orjson

# What one answer counts: the events a 201 acknowledged.
Count = Callable[[bytes], int]


def count_events(body: bytes) -> int:
    """Events a batch answer (`{"data": [...]}`) or a single-event answer acknowledged."""
    data = orjson.loads(body)
    return len(data["data"]) if isinstance(data, dict) and "data" in data else 1


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


async def post_all(
    base: str, token: str, path: str, bodies: list[bytes], posters: int,
    count: Count = count_events,
) -> int:
    """Post every body over `posters` keep-alive connections; returns events acknowledged.
    Anything but 201 stops the run with the server's answer."""
    url = urlsplit(base)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    queue = list(reversed(bodies))
    acked = 0

    async def poster() -> None:
        nonlocal acked
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while queue:
                body = queue.pop()
                writer.write(
                    f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                    f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode() + body
                )
                status, answer = await _answer(reader)
                if status != 201:
                    raise RuntimeError(f"{status}: {answer[:300]!r}")
                acked += count(answer)
        finally:
            writer.close()

    await asyncio.gather(*(poster() for _ in range(posters)))
    return acked
