"""Served by another ASGI server (plain `uvicorn.run(create_app(...))`, uvicorn's own
WebSocket protocol), the streams fall back to `AsgiWire` (docs/performance.md): the node
starts in the app's lifespan, live events still arrive, radio requests are still answered,
and a client leaving is forgotten."""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from promtext import metric
from support import Server
from websockets.sync.client import ClientConnection, connect

LAUNCH = (
    "import os, uvicorn\n"
    "from listenpost.app import create_app\n"
    "from listenpost.config import Settings\n"
    "uvicorn.run(create_app(Settings()), host='127.0.0.1', port=int(os.environ['PORT']),"
    " log_level='warning')\n"
)


class PlainUvicorn(Server):
    """The app under `uvicorn.run`, configured by environment only."""

    def __init__(self, data_dir: Path, **env: str) -> None:
        super().__init__(data_dir, **env)
        self.env.update(PORT=str(self.port), LISTENPOST_DATA_DIR=str(data_dir))

    def command(self) -> list[str]:
        return [sys.executable, "-c", LAUNCH]


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[Server]:
    srv = PlainUvicorn(tmp_path / "srv")
    yield srv.start()
    srv.stop()


def next_frame(ws: ClientConnection) -> dict[str, Any]:
    """The next JSON frame (keep-alives are empty frames)."""
    while True:
        frame = ws.recv(timeout=10)
        if frame:
            return dict(json.loads(frame))


def test_live_events_and_radio_requests_without_listenposts_protocol(plain: Server) -> None:
    token = plain.token()

    def connected() -> float:
        return sum(
            metric(plain.base, "listenpost_websocket_clients", stream=stream)
            for stream in ("sound.events", "radio.events")
        )

    auth = {"Authorization": f"Bearer {token}"}
    with connect(plain.ws_base + "/api/v1/ws", additional_headers=auth) as live:
        assert live.recv(timeout=5) == "hello"
        with connect(plain.ws_base + "/api/ws", additional_headers=auth) as radio:
            radio.send(json.dumps({"action": "subscribe", "channels": ["calls"]}))
            assert json.loads(radio.recv(timeout=5))["event"] == "subscribed"
            assert connected() == 2
            with plain.client(token) as c:
                mic = c.post("/api/v1/mics", json={"name": "door"}).json()["data"]
                posted = c.post(
                    "/api/v1/events",
                    json={"mic_id": mic["id"], "label_id": "crying", "confidence": 0.9},
                ).json()
            assert next_frame(live)["id"] == posted["id"]
    # both sockets closed: the server forgets them (the gauge falls back to zero)
    deadline = time.monotonic() + 20  # a bound on waiting, not on speed
    while connected() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert connected() == 0


def test_a_client_that_never_reads_is_shed_and_others_keep_up(tmp_path: Path) -> None:
    srv = PlainUvicorn(tmp_path / "srv", LISTENPOST_CLIENT_QUEUE="32").start()
    try:
        token = srv.token()
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stuck.connect(("127.0.0.1", srv.port))
        stuck.sendall(
            (
                "GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
            ).encode()
        )
        assert b"101" in stuck.recv(200)
        auth = {"Authorization": f"Bearer {token}"}
        with connect(srv.ws_base + "/api/v1/ws", additional_headers=auth) as fast:
            assert fast.recv(timeout=5) == "hello"
            with srv.client(token) as c:
                mic = c.post("/api/v1/mics", json={"name": "door"}).json()["data"]
                event = {"mic_id": mic["id"], "label_id": "crying", "confidence": 0.5}
                event["noises"] = [70.0 + i / 100 for i in range(3000)]
                slow = "listenpost_slow_client_disconnects_total"
                for _ in range(50):  # until the stuck client's queue overflows
                    r = c.post("/api/v1/events/batch", json={"events": [event] * 20})
                    posted = [e["id"] for e in r.json()["data"]]
                    got = [next_frame(fast)["id"] for _ in range(20)]
                    assert got == posted  # the reading client misses nothing meanwhile
                    if metric(srv.base, slow, stream="sound.events") >= 1:
                        break
                assert metric(srv.base, slow, stream="sound.events") == 1.0
        stuck.close()
    finally:
        srv.stop()
