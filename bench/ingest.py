"""Sound ingest benchmark: events/s persisted by `POST /api/v1/events/batch`.

A real `listenpost serve` (SQLite in WAL mode in a temporary directory) takes batches from a
few concurrent posters; the figure is events acknowledged (201) per second, checked against
the count the REST API reports at the end (acknowledged = stored). Cases:

* `batch`: 1000 events per request, 4 posters, with 0 and with 100 live `/api/v1/ws`
  clients (in a separate process, reading everything they are sent; a client that falls
  behind is shed by the server as usual, which the output reports);
* `single`: one event per request (`POST /api/v1/events`), 32 posters.

Run: `python bench/ingest.py [--quick] [--cases batch,single] [--clients 0,100]`.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support import Server  # noqa: E402

PROFILE_DIR = ""  # set by --profile


@dataclass
class Figure:
    case: str
    clients: int
    events: int
    seconds: float
    stored: int
    frames: int = 0
    shed: int = 0

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def line(self) -> str:
        extra = f", {self.frames:,} frames to clients, {self.shed} shed" if self.clients else ""
        lost = "" if self.stored == self.events else f" STORED {self.stored:,}!"
        return (
            f"{self.case:>6} {self.clients:>4} clients: {self.rate:>9,.0f} events/s persisted "
            f"({self.events:,} in {self.seconds:.2f} s{extra}){lost}"
        )


def _clients_main(uri: str, token: str, n: int, ready: Any, stop: Any, out: Any) -> None:
    """Child process: n WebSocket clients reading until `stop`; reports frames and sheds."""
    import websockets

    async def one(counter: list[int]) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        async with websockets.connect(uri, additional_headers=headers, max_queue=None) as ws:
            counter[1] += 1
            try:
                async for _frame in ws:
                    counter[0] += 1
            except websockets.ConnectionClosed:
                pass
            if ws.close_code == 1013:
                counter[2] += 1

    async def run() -> None:
        counter = [0, 0, 0]
        tasks = [asyncio.create_task(one(counter)) for _ in range(n)]
        while counter[1] < n:
            await asyncio.sleep(0.05)
        ready.set()
        while not stop.is_set():
            await asyncio.sleep(0.05)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        out.put((counter[0], counter[2]))

    asyncio.run(run())


async def _post_all(base: str, token: str, path: str, bodies: list[bytes], posters: int) -> int:
    """Post every body with `posters` concurrent connections; returns events acknowledged."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    queue = list(reversed(bodies))
    acked = 0

    async def poster(client: httpx.AsyncClient) -> None:
        nonlocal acked
        while queue:
            body = queue.pop()
            r = await client.post(path, content=body, headers=headers)
            if r.status_code != 201:
                raise RuntimeError(f"{r.status_code}: {r.text[:300]}")
            data = orjson.loads(r.content)
            acked += len(data["data"]) if "data" in data else 1

    limits = httpx.Limits(max_connections=posters)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        await asyncio.gather(*(poster(client) for _ in range(posters)))
    return acked


def _profiler(srv: Server, case: str, clients: int) -> subprocess.Popen[bytes] | None:
    """`py-spy record` on the server while it ingests, when --profile names a directory."""
    if not PROFILE_DIR:
        return None
    assert srv.proc is not None
    out = Path(PROFILE_DIR) / f"ingest-{case}-{clients}.txt"
    args = ["py-spy", "record", "--pid", str(srv.proc.pid), "--format", "raw", "-o", str(out)]
    spy = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return spy


def _stored(srv: Server, token: str) -> int:
    with srv.client(token) as c:
        return int(c.get("/api/v1/events", params={"size": 1}).json()["total_cnt"])


def run_case(case: str, clients: int, events: int, env: dict[str, str]) -> Figure:
    per_request, posters, path = (
        (1000, 4, "/api/v1/events/batch") if case == "batch" else (1, 32, "/api/v1/events")
    )
    with tempfile.TemporaryDirectory() as tmp:
        srv = Server(Path(tmp), LISTENPOST_MAX_CONNECTIONS_PER_IP="0", **env).start()
        ctx = mp.get_context("spawn")
        stop, ready, out = ctx.Event(), ctx.Event(), ctx.Queue()
        child = None
        try:
            token = srv.token()
            with srv.client(token) as c:
                mic = c.post("/api/v1/mics", json={"name": "bench"}).json()["data"]["id"]
            item = {"mic_id": mic, "label_id": "crying", "confidence": 0.5, "noises": [61.5] * 8}
            if per_request == 1:
                bodies = [orjson.dumps(item)] * events
            else:
                bodies = [orjson.dumps({"events": [item] * per_request})] * (events // per_request)
            if clients:
                uri = srv.ws_base + "/api/v1/ws"
                child = ctx.Process(
                    target=_clients_main, args=(uri, token, clients, ready, stop, out)
                )
                child.start()
                if not ready.wait(60):
                    raise RuntimeError("clients did not connect")
            spy = _profiler(srv, case, clients)
            start = time.perf_counter()
            acked = asyncio.run(_post_all(srv.base, token, path, bodies, posters))
            seconds = time.perf_counter() - start
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            frames = shed = 0
            if child is not None:
                time.sleep(1)  # let the clients read what was sent
                stop.set()
                frames, shed = out.get(timeout=60)
                child.join(10)
            return Figure(case, clients, acked, seconds, _stored(srv, token), frames, shed)
        finally:
            if child is not None and child.is_alive():
                child.kill()
            srv.stop()


def run(
    quick: bool, cases: list[str] | None = None, clients: list[int] | None = None
) -> list[Figure]:
    """The figures of each case; `quick` uses fewer events."""
    out = []
    for case in cases or ["batch", "single"]:
        events = (20_000 if quick else 60_000) if case == "batch" else (1_000 if quick else 3_000)
        for n in clients if clients is not None else ([0, 100] if case == "batch" else [0]):
            figure = run_case(case, n, events, {})
            print(figure.line(), flush=True)
            out.append(figure)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", default="batch,single")
    parser.add_argument("--clients", default=None, help="live client counts, e.g. 0,100")
    parser.add_argument("--profile", default="", help="directory for py-spy stacks")
    args = parser.parse_args()
    global PROFILE_DIR
    PROFILE_DIR = args.profile
    clients = [int(c) for c in args.clients.split(",")] if args.clients else None
    run(args.quick, args.cases.split(","), clients)


if __name__ == "__main__":
    main()
