"""Sound ingest benchmark: events/s persisted by `POST /api/v1/events/batch`.

A real `listenpost serve` (SQLite in WAL mode in a temporary directory) takes batches from a
few concurrent posters; the figure is events acknowledged (201) per second, checked against
the count the REST API reports at the end (acknowledged = stored). Cases:

* `batch`: 1000 events per request, 4 posters, with 0 and with 100 live `/api/v1/ws`
  clients (spread over `--client-processes` processes that count frames by their heads,
  bench/_fleet.py); the output says how many clients received every event, how long after
  the last acknowledgement the last frame was read, and how many clients the server shed
  (1013, its own count from /metrics);
* `single`: one event per request (`POST /api/v1/events`), 32 posters;
* `rules`: the batch case with 1 and with 1,000 composite rules loaded (`--rules`): rule 0
  takes every event (grouped by mic, so each event joins an open composite), the others name
  labels the events never carry: per-event cost must follow the rules that match.

Run: `python bench/ingest.py [--quick] [--cases batch,single,rules] [--clients 0,100]`, or as
the `ingest` scenario of `python -m bench`.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / d) for d in ("tests", "")]
from support import Server  # noqa: E402

from bench._fleet import Fleet  # noqa: E402
from bench._poster import post_all  # noqa: E402

NAME = "batch and single-event ingest (SQLite, WAL)"
TARGET_BATCH = 20_000  # events/s persisted with 100 live clients (issue 16)

PROFILE_DIR = ""  # set by --profile
CLIENT_PROCESSES = 4  # processes the live clients are spread over (--client-processes)


@dataclass
class Figure:
    case: str
    clients: int
    rules: int
    events: int
    seconds: float
    stored: int
    frames: int = 0  # frames the clients counted, all of them together
    complete: int = 0  # clients that received every event
    shed: int = 0  # clients the server shed (its own count, /metrics)
    drain: float = 0.0  # seconds from the last acknowledgement to the last frame read

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    def clients_note(self) -> str:
        return (
            f"{self.complete} of {self.clients} clients received all {self.events:,} events"
            f" ({self.frames:,} frames, last {self.drain:.2f} s after the last ack),"
            f" {self.shed} shed by the server"
        )

    def line(self) -> str:
        extra = f", {self.clients_note()}" if self.clients else ""
        lost = "" if self.stored == self.events else f" STORED {self.stored:,}!"
        return (
            f"{self.case:>6} {self.clients:>4} clients {self.rules:>4} rules: "
            f"{self.rate:>9,.0f} events/s persisted "
            f"({self.events:,} in {self.seconds:.2f} s{extra}){lost}"
        )


def _profiler(srv: Server, case: str, clients: int) -> subprocess.Popen[bytes] | None:
    """`py-spy record` on the server while it ingests, when --profile names a directory."""
    if not PROFILE_DIR:
        return None
    assert srv.proc is not None
    out = Path(PROFILE_DIR) / f"ingest-{case}-{clients}.txt"
    args = ["py-spy", "record", "--nonblocking", "--threads", "--rate", "400"]
    args += ["--pid", str(srv.proc.pid), "--format", "raw", "-o", str(out)]
    spy = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return spy


def _server_counts(srv: Server) -> tuple[int, int]:
    """(frames delivered, clients shed) on the live sound stream, as the server counted them
    (a client task cancelled at the end never reads its close frame, so the clients' own
    count of 1013 closes misses most sheds)."""
    text = httpx.get(srv.base + "/metrics", timeout=10).text
    found = {"delivered": 0.0, "shed": 0.0}
    for line in text.splitlines():
        if 'stream="sound.events"' not in line or line.startswith("#"):
            continue
        name, _, value = line.rpartition(" ")
        if name.startswith("listenpost_messages_delivered_total"):
            found["delivered"] += float(value)
        elif name.startswith("listenpost_slow_client_disconnects_total"):
            found["shed"] += float(value)
    return int(found["delivered"]), int(found["shed"])


def _stored(srv: Server, token: str) -> int:
    with srv.client(token) as c:
        return int(c.get("/api/v1/events", params={"size": 1}).json()["total_cnt"])


def _rules_file(path: Path, n: int) -> list[str]:
    """`--rules` arguments for n rules (none for 0): rule 0 matches every bench event."""
    if not n:
        return []
    from listenpost.sound.labels import LABELS

    others = sorted(label for label in LABELS if label != "crying")
    rules = [{"id": "r0000", "name": "all", "window_seconds": 30, "min_events": 3,
              "group_by": "mic_id"}]
    for i in range(1, n):
        picked = [others[(i * 7 + k) % len(others)] for k in range(1 + i % 3)]
        rules.append({"id": f"r{i:04}", "name": f"rule {i}", "window_seconds": 30,
                      "min_events": 3, "group_by": "mic_id", "include_label_ids": picked})
    path.write_text(orjson.dumps({"rules": rules}).decode())  # JSON is YAML
    return ["--rules", str(path)]


def run_case(case: str, clients: int, events: int, rules: int = 0) -> Figure:
    per_request, posters, path = (
        (1, 32, "/api/v1/events") if case == "single" else (1000, 4, "/api/v1/events/batch")
    )
    with tempfile.TemporaryDirectory() as tmp:
        extra = _rules_file(Path(tmp) / "rules.yaml", rules)
        srv = Server(Path(tmp) / "srv", LISTENPOST_MAX_CONNECTIONS_PER_IP="0").start(extra)
        fleet = None
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
                fleet = Fleet(srv.ws_base + "/api/v1/ws", token, clients, CLIENT_PROCESSES)
            spy = _profiler(srv, case, clients)
            start = time.perf_counter()
            acked = asyncio.run(post_all(srv.base, token, path, bodies, posters))
            seconds = time.perf_counter() - start
            acked_at = time.monotonic()
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            figure = Figure(case, clients, rules, acked, seconds, 0)
            if fleet is not None:
                tally = fleet.collect(acked)
                figure.frames, figure.complete = sum(tally.frames), tally.complete(acked)
                figure.drain = max(0.0, tally.drained_at - acked_at)
                figure.shed = _server_counts(srv)[1]
            figure.stored = _stored(srv, token)
            return figure
        finally:
            if fleet is not None:
                fleet.close()
            srv.stop()


def measure(
    quick: bool, cases: list[str] | None = None, clients: list[int] | None = None
) -> list[Figure]:
    """The figures of each case; `quick` uses fewer events."""
    out = []
    for case in cases or ["batch", "single", "rules"]:
        events = (2_000 if quick else 10_000) if case == "single" else (20_000 if quick else 60_000)
        counts = clients if clients is not None else ([0, 100] if case == "batch" else [0])
        # rules: 1 and 1,000 alternate, 3 times each (a lone pair moved ±30 % under load), in
        # ABBA order: with 1 rule always first, it was the slower of every pair in one run
        abba = [1, 1000] if quick else [1, 1000, 1000, 1, 1, 1000]
        order = abba if case == "rules" else [0]
        for n in counts:
            for rules in order:
                figure = run_case(case, n, events, rules)
                print(figure.line(), flush=True)
                out.append(figure)
    return out


def _median_rate(figures: list[Figure], case: str, rules: int) -> float:
    return statistics.median(f.rate for f in figures if (f.case, f.rules) == (case, rules))


def run(quick: bool) -> list[Any]:
    """The `ingest` scenario of `python -m bench`."""
    from bench.common import Row, absolute_row

    measured = measure(quick)
    figures = {(f.case, f.clients, f.rules): f for f in measured}
    rows = []
    batch0, batch100 = figures[("batch", 0, 0)], figures[("batch", 100, 0)]
    for f in (batch0, batch100):
        note = f"1000/request, 4 posters; {f.clients_note()}"
        row = absolute_row(
            f"batch ingest ≥ {TARGET_BATCH:,} events/s, {f.clients} live clients",
            f.rate, "events/s", TARGET_BATCH, True,
        )
        row.note = f"{row.note}; {note}".strip("; ") if f.clients else row.note
        rows.append(row)
    single = figures[("single", 0, 0)]
    rows.append(Row("single-event ingest (issue: 450/s)", single.rate, "events/s",
                    note="1 event/request, 32 keep-alive posters (bench/_poster.py)"))
    one, many = _median_rate(measured, "rules", 1), _median_rate(measured, "rules", 1000)
    flat = many / one
    rounds = sum(f.rules == 1 for f in measured)
    rows.append(Row("batch ingest flat 1 → 1,000 composite rules (within 20 %)", many,
                    "events/s", one, flat, abs(flat - 1) <= 0.2,
                    f"1 rule: {one:,.0f}/s; median of {rounds} alternating runs each, ABBA"))
    lost = sum(f.events - f.stored for f in measured)
    rows.append(Row("acknowledged but not stored", lost, "events", met=lost == 0))
    return rows


def main() -> None:
    global PROFILE_DIR, CLIENT_PROCESSES
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", default="batch,single,rules")
    parser.add_argument("--clients", default=None, help="live client counts, e.g. 0,100")
    parser.add_argument("--profile", default="", help="directory for py-spy stacks")
    parser.add_argument("--client-processes", type=int, default=CLIENT_PROCESSES)
    args = parser.parse_args()
    PROFILE_DIR, CLIENT_PROCESSES = args.profile, args.client_processes
    clients = [int(c) for c in args.clients.split(",")] if args.clients else None
    measure(args.quick, args.cases.split(","), clients)


if __name__ == "__main__":
    main()
