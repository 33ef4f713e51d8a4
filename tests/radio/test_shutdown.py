"""SIGTERM drains: requests and MQTT batches in flight finish, WebSockets are told the server
is going away (1001/1012), the process exits 0, and nothing acknowledged is lost."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mqtt_support import BROKER, FIXTURES, RadioServer, forget_session, mqtt_client, wait_for
from support import create_pg_database
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

GOING_AWAY = {1001, 1012}


@pytest.fixture(params=["sqlite", "postgres"])
def radio(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RadioServer]:
    env, drop = {}, None
    if request.param == "postgres":
        url, drop = create_pg_database()
        env["LISTENPOST_DB_URL"] = url
    srv = RadioServer(tmp_path / "radio", **env)
    yield srv
    srv.stop()
    forget_session(srv.client_id)
    if drop:
        drop()


class Burst:
    """Concurrent batch ingest and MQTT publishing; records only what was acknowledged."""

    def __init__(self, srv: RadioServer, token: str, mic_id: str) -> None:
        self.srv, self.token, self.mic_id = srv, token, mic_id
        self.stop_posting = threading.Event()
        self.stop_publishing = threading.Event()
        self.events: set[str] = set()
        self.units: set[int] = set()
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def start(self, posters: int = 8) -> None:
        for _ in range(posters):
            self.threads.append(threading.Thread(target=self._post, daemon=True))
        self.threads.append(threading.Thread(target=self._publish, daemon=True))
        for thread in self.threads:
            thread.start()

    def _post(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        body = {"events": [{"mic_id": self.mic_id, "label_id": "crying", "confidence": 0.9}] * 10}
        with httpx.Client(base_url=self.srv.base, headers=headers, timeout=30) as c:
            while not self.stop_posting.is_set():
                try:
                    r = c.post("/api/v1/events/batch", json=body)
                except httpx.HTTPError:
                    time.sleep(0.05)
                    continue
                if r.status_code == 201:
                    with self.lock:
                        self.events.update(e["id"] for e in r.json()["data"])

    def _publish(self) -> None:
        """QoS 1: a message counts once the broker's PUBACK has arrived."""
        sent: list[tuple[Any, int]] = []
        client = mqtt_client()
        template = json.loads((FIXTURES / "unit_on.json").read_text())
        topic = f"{self.srv.prefix}/units/p25trunk/on"
        unit = 820000
        try:
            while not self.stop_publishing.is_set():
                for _ in range(20):
                    unit += 1
                    template["on"]["unit"] = unit
                    sent.append((client.publish(topic, json.dumps(template), qos=1), unit))
                self._count(sent)
                time.sleep(0.02)
            time.sleep(2)  # let the last PUBACKs arrive
            self._count(sent)
        finally:
            client.loop_stop()
            client.disconnect()

    def _count(self, sent: list[tuple[Any, int]]) -> None:
        acked = {unit for info, unit in sent if info.is_published()}
        with self.lock:
            self.units = acked


def watch_close(url: str, codes: list[int | None], **kwargs: Any) -> threading.Thread:
    ws = connect(url, legacy=True, **kwargs)

    def read() -> None:
        try:
            while True:
                ws.recv()
        except ConnectionClosed:
            codes.append(ws.close_code)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread


def stored_events(c: httpx.Client, mic_id: str) -> set[str]:
    found: set[str] = set()
    page = 1
    while True:
        got = c.get("/api/v1/events", params={"mic_id": mic_id, "size": 100, "page": page}).json()
        found |= {e["id"] for e in got["results"]}
        if page >= got["max_page"]:
            return found
        page += 1


def stored_units(c: httpx.Client) -> set[int]:
    found: set[int] = set()
    page = 1
    while True:
        got = c.get("/api/v1/units", params={"size": 100, "page": page}).json()
        found |= {u["unit_id"] for u in got["results"]}
        if page >= got["max_page"]:
            return found
        page += 1


def test_sigterm_mid_burst_drains_and_loses_nothing_acknowledged(radio: RadioServer) -> None:
    mqtt_client(broker=BROKER).disconnect()
    radio.start()
    token = radio.token()
    with radio.client(token) as c:
        r = c.post("/api/v1/mics", json={"name": "drain", "edge_id": "e1"})
        assert r.status_code == 201, r.text
        mic_id = r.json()["data"]["id"]
    codes: list[int | None] = []
    watchers = [
        watch_close(f"{radio.ws_base}/api/v1/ws?access_token={token}", codes),
        watch_close(f"{radio.ws_base}/api/v1/ws/composite-events?access_token={token}", codes),
        watch_close(
            f"{radio.ws_base}/api/ws",
            codes,
            additional_headers={"Authorization": f"Bearer {token}"},
        ),
    ]
    burst = Burst(radio, token, mic_id)
    burst.start()
    try:
        wait_for(lambda: len(burst.events) >= 300 and len(burst.units) >= 300, timeout=60)
    except AssertionError:
        raise AssertionError(f"{len(burst.events)} {len(burst.units)}") from None

    assert radio.proc is not None
    signalled = time.monotonic()
    radio.proc.send_signal(signal.SIGTERM)
    burst.stop_publishing.set()
    status = radio.proc.wait(30)
    drained = time.monotonic() - signalled
    burst.stop_posting.set()
    for thread in burst.threads + watchers:
        thread.join(30)
    assert status == 0, (status, radio.log.read_text()[-3000:])
    assert sorted(codes, key=str) and set(codes) <= GOING_AWAY, codes
    assert len(codes) == 3

    radio.start()
    with radio.client() as c:
        assert stored_events(c, mic_id) >= burst.events
        try:
            wait_for(lambda: stored_units(c) >= burst.units, timeout=60)
        except AssertionError:
            missing = sorted(burst.units - stored_units(c))
            raise AssertionError(f"{len(missing)} acknowledged missing: {missing[:20]}") from None
    print(
        f"acknowledged: {len(burst.events)} events, {len(burst.units)} MQTT messages; "
        f"SIGTERM to exit {drained:.2f} s"
    )
    assert "Traceback" not in radio.log.read_text()
