"""The bare library: a `websockets` broadcast server (uvloop, like listenpost under uvicorn).

`python -m bench._bare` prints its port. Every message a client sends is broadcast to every
other connected client; a message starting with `batch\\n` is split into lines, each broadcast.
Pings every `--ping` seconds (its keep-alive), compression off.
"""

from __future__ import annotations

import argparse
import asyncio

import uvloop
from websockets.asyncio.server import ServerConnection, broadcast, serve

CONNS: set[ServerConnection] = set()


async def handler(ws: ServerConnection) -> None:
    CONNS.add(ws)
    try:
        await ws.send("hello")
        async for message in ws:
            text = message if isinstance(message, str) else message.decode()
            frames = text.split("\n")[1:] if text.startswith("batch\n") else [text]
            others = CONNS - {ws}
            for frame in frames:
                broadcast(others, frame)
    finally:
        CONNS.discard(ws)


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--ping", type=float, default=20.0)
    a = p.parse_args()
    async with serve(
        handler, "127.0.0.1", 0, compression=None, ping_interval=a.ping, backlog=4096
    ) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    uvloop.run(main())
