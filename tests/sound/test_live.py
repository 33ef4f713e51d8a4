"""The live events WebSocket over loopback: hello, frames, keep-alives, slow clients."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

from helpers import make_mic, post_event
from promtext import metric
from support import Server
from websockets.sync.client import ClientConnection, connect


@contextmanager
def open_live(server: Server, token: str) -> Iterator[ClientConnection]:
    with connect(
        server.ws_base + "/api/v1/ws", additional_headers={"Authorization": f"Bearer {token}"}
    ) as ws:
        assert ws.recv(timeout=5) == "hello"
        yield ws


def next_json(ws: ClientConnection, timeout: float = 5) -> dict:
    while True:
        frame = ws.recv(timeout=timeout)
        if frame:
            return json.loads(frame)


def test_two_clients_receive_a_posted_event(server: Server) -> None:
    token = server.token()
    with open_live(server, token) as one, open_live(server, token) as two, server.client() as c:
        mic = make_mic(c)
        ev = post_event(c, mic["id"], noises=[66.99, 65.28])
        for ws in (one, two):
            frame = next_json(ws)
            assert frame["id"] == ev["id"]
            assert frame["label"]["name"]["en"] == "scream female"
            assert frame["mic"] == {
                "id": mic["id"],
                "name": mic["name"],
                "location": mic["location"],
            }
            assert frame["noises"] == [66.99, 65.28]
            assert frame["confidence"] == 0.9 and frame["created_at"] == ev["created_at"]


def test_suppressed_events_are_not_streamed(server: Server) -> None:
    token = server.token()
    with open_live(server, token) as ws, server.client() as c:
        mic = make_mic(c, thresholds={"crying": 0.9})
        post_event(c, mic["id"], label_id="crying", confidence=0.1)
        passed = post_event(c, mic["id"], label_id="crying", confidence=0.95)
        assert next_json(ws)["id"] == passed["id"]


def test_keepalive_is_an_empty_frame(fresh_server: Server) -> None:
    fresh_server.start(["--keepalive", "0.3"])
    with open_live(fresh_server, fresh_server.token()) as ws:
        assert ws.recv(timeout=3) == ""


def _raw_client_that_never_reads(server: Server, token: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.port))
    sock.sendall(
        (
            f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\nAuthorization: Bearer {token}\r\n\r\n"
        ).encode()
    )
    assert b"101" in sock.recv(200)
    return sock


def test_client_that_never_reads_does_not_delay_others(fresh_server: Server) -> None:
    fresh_server.start(["--client-queue", "32"])
    token = fresh_server.token()
    stuck = _raw_client_that_never_reads(fresh_server, token)
    try:
        with open_live(fresh_server, token) as fast, fresh_server.client(token) as c:
            mic = make_mic(c)
            noises = [70.0 + i / 100 for i in range(3000)]
            posted = []
            for _ in range(10):
                batch = [
                    {"mic_id": mic["id"], "label_id": "crying", "confidence": 0.5, "noises": noises}
                ] * 20
                r = c.post("/api/v1/events/batch", json={"events": batch})
                posted += [e["id"] for e in r.json()["data"]]
                got = [next_json(fast)["id"] for _ in range(20)]
                assert got == posted[-20:]
        deadline = time.time() + 10
        slow = "listenpost_slow_client_disconnects_total"
        while metric(fresh_server.base, slow, stream="sound.events") < 1:
            assert time.time() < deadline, "the stuck client was never shed"
            time.sleep(0.2)
        with fresh_server.client(token) as c:  # more events after the shedding
            mic = make_mic(c)
            for _ in range(5):
                post_event(c, mic["id"])
        # one stuck client is one disconnect, however many events were published meanwhile
        assert metric(fresh_server.base, slow, stream="sound.events") == 1.0
        assert metric(fresh_server.base, "listenpost_websocket_clients", stream="sound.events") == 0
    finally:
        stuck.close()
