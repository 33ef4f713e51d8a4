"""Fan-out benchmark: events posted over REST -> N live WebSocket clients, with persistence on.

Prints delivered frames/s for listenpost and for a bare `websockets` broadcast server on the
same machine, so the two can be compared.  Run: `python bench/fanout.py [--clients 500]`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets
from websockets.asyncio.server import broadcast, serve

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import Server  # noqa: E402


async def _reader(
    uri: str, headers: dict[str, str], want: int, ready: asyncio.Event, counter: list[int]
) -> None:
    async with websockets.connect(
        uri, additional_headers=headers, max_queue=None, compression=None
    ) as ws:
        ready.set()
        got = 0
        while got < want:
            frame = await ws.recv()
            if frame and frame != "hello":
                got += 1
        counter[0] += got


async def _run_clients(
    uri: str,
    headers: dict[str, str],
    clients: int,
    events: int,
    fire: asyncio.Future[None] | None = None,
) -> tuple[list, list[int]]:
    counter = [0]
    readies = [asyncio.Event() for _ in range(clients)]
    tasks = [asyncio.create_task(_reader(uri, headers, events, r, counter)) for r in readies]
    for r in readies:
        await r.wait()
    return tasks, counter


async def bench_listenpost(clients: int, events: int, batch: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(
            Path(tmp), LISTENPOST_CLIENT_QUEUE="100000", LISTENPOST_MAX_CONNECTIONS_PER_IP="0"
        ).start()
        try:
            token = srv.token()
            headers = {"Authorization": f"Bearer {token}"}
            async with httpx.AsyncClient(base_url=srv.base, headers=headers, timeout=60) as c:
                mic = (await c.post("/api/v1/mics", json={"name": "bench"})).json()["data"]["id"]
                tasks, counter = await _run_clients(
                    srv.ws_base + "/api/v1/ws", headers, clients, events
                )
                item = {
                    "mic_id": mic,
                    "label_id": "crying",
                    "confidence": 0.5,
                    "noises": [60.0 + i for i in range(20)],
                }
                start = time.perf_counter()
                for _ in range(events // batch):
                    await c.post("/api/v1/events/batch", json={"events": [item] * batch})
                await asyncio.gather(*tasks)
                elapsed = time.perf_counter() - start
        finally:
            srv.stop()
    return counter[0] / elapsed


async def bench_bare(clients: int, events: int) -> float:
    conns: set = set()

    async def handler(ws: websockets.ServerConnection) -> None:
        conns.add(ws)
        await ws.send("hello")
        try:
            await ws.wait_closed()
        finally:
            conns.discard(ws)

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        port = server.sockets[0].getsockname()[1]
        tasks, counter = await _run_clients(f"ws://127.0.0.1:{port}", {}, clients, events)
        frame = '{"id":"x","label":{"id":"crying"},"noises":[' + ",".join(["60.0"] * 20) + "]}"
        start = time.perf_counter()
        for _ in range(events):
            broadcast(conns, frame)
            await asyncio.sleep(0)
        await asyncio.gather(*tasks)
        return counter[0] / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--events", type=int, default=500)
    p.add_argument("--batch", type=int, default=50)
    a = p.parse_args()
    lp = asyncio.run(bench_listenpost(a.clients, a.events, a.batch))
    print(
        f"listenpost (SQLite, persisted): {a.clients} clients x {a.events} events: "
        f"{lp:,.0f} frames/s delivered"
    )
    bare = asyncio.run(bench_bare(a.clients, a.events))
    print(
        f"bare websockets broadcast:      {a.clients} clients x {a.events} events: "
        f"{bare:,.0f} frames/s delivered"
    )
    print(f"ratio: {lp / bare:.2f}")


if __name__ == "__main__":
    main()
