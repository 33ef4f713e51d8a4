"""Alert latency: ingest → first delivery attempt, at 100 events/s with 100 rules.

`python -m bench alerts [--quick]` or `python bench/alerts.py [--quick]`. A real server (SQLite)
gets 100 sound alert rules, one per mic, all sending to one webhook; a local receiver
records when each alert arrives. Events are posted at 100/s round-robin over the 100 mics,
so every event fires exactly one alert. Latency = the receiver's arrival time minus the
moment the event's POST began (both on this machine's clock), i.e. it includes the HTTP
ingest, the store, the evaluation off the request path, the outbox transaction and the
webhook POST. Figures are printed, not asserted (target: p99 < 100 ms).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bench.common import Row, absolute_row, median, percentile
else:
    from .common import Row, absolute_row, median, percentile

NAME = "alerts: ingest to first delivery attempt"
RULES = 100
RATE = 100.0  # events per second


class _Receiver:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"] or 0))
                alert = json.loads(body)
                owner.arrived.setdefault(alert["events"][0]["event_id"], time.time())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"


def measure(seconds: float) -> list[float]:
    """Latencies in ms of every alert of a run of `seconds` at RATE events/s."""
    from support import Server

    receiver = _Receiver()
    data = Path(tempfile.mkdtemp(prefix="bench-alerts-"))
    server = Server(data, LISTENPOST_LOG_LEVEL="error")
    server.start()
    try:
        with server.client() as c:
            target = c.post(
                "/api/v1/alert-targets",
                json={"name": "bench", "kind": "webhook", "url": receiver.url},
            ).json()
            mics = []
            for i in range(RULES):
                mic = c.post("/api/v1/mics", json={"name": f"bench mic {i}"}).json()["data"]
                mics.append(mic["id"])
                rule = {
                    "name": f"bench {i}",
                    "source": "sound",
                    "match": {"mic_ids": [mic["id"]], "min_confidence": 0.5},
                    "target_ids": [target["id"]],
                }
                assert c.post("/api/v1/alert-rules", json=rule).status_code == 201
            sent: dict[str, float] = {}
            count = int(seconds * RATE)
            start = time.perf_counter()
            for n in range(count):
                pause = start + n / RATE - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                began = time.time()
                body = {"mic_id": mics[n % RULES], "label_id": "scream_female", "confidence": 0.9}
                sent[c.post("/api/v1/events", json=body).json()["id"]] = began
            deadline = time.time() + 30
            while len(receiver.arrived) < count and time.time() < deadline:
                time.sleep(0.1)
    finally:
        server.stop()
        receiver.server.shutdown()
        shutil.rmtree(data, ignore_errors=True)
    return [(receiver.arrived[e] - t) * 1000 for e, t in sent.items() if e in receiver.arrived]


def run(quick: bool) -> list[Row]:
    seconds = 5.0 if quick else 30.0
    latencies = measure(seconds)
    expected = int(seconds * RATE)
    note = f"{len(latencies)}/{expected} alerts delivered, {RULES} rules, {RATE:g} events/s"
    p99 = percentile(latencies, 99)
    rows = [
        Row("alert latency p50 (ingest → webhook)", median(latencies), "ms", note=note),
        absolute_row("alert latency p99 < 100 ms (ingest → webhook)", p99, "ms", 100, False),
        Row("alert latency max", max(latencies, default=float("nan")), "ms"),
    ]
    return rows


if __name__ == "__main__":
    for row in run("--quick" in sys.argv):
        print(f"{row.target}: {row.measured:.1f} {row.unit} {row.note}")
