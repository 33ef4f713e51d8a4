"""Two `listenpost serve` nodes on one PostgreSQL database and one bus: an event posted to
one reaches live clients of the other; while the bus is down both keep serving REST and say
so on /health, and afterwards the clients get what was posted meanwhile, once, in order."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from promtext import metric
from servers import BusServer
from support import Server, create_pg_database
from websockets.sync.client import ClientConnection, connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sound"))
from helpers import make_mic, post_event  # noqa: E402


@pytest.fixture
def nodes(private_bus: BusServer, tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    url, drop = create_pg_database()
    env = {"LISTENPOST_BUS_URL": private_bus.url, "LISTENPOST_BUS_PREFIX": uuid.uuid4().hex}
    a = Server(tmp_path / "a", url, **env).start()
    b = Server(tmp_path / "b", url, **env).start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()
        drop()


def health(server: Server) -> dict[str, str]:
    return dict(httpx.get(server.base + "/health", timeout=10).json())


def wait_for(condition: object, what: str) -> None:
    deadline = time.time() + 30
    while not condition():  # type: ignore[operator]
        assert time.time() < deadline, f"not within 30 s: {what}"
        time.sleep(0.1)


def next_id(ws: ClientConnection) -> str:
    while True:
        frame = ws.recv(timeout=30)
        if frame:  # "" is a keep-alive
            return str(json.loads(frame)["id"])


def test_live_events_cross_nodes_and_survive_a_bus_outage(
    nodes: tuple[Server, Server], private_bus: BusServer
) -> None:
    a, b = nodes
    token = a.token()  # issued by A, accepted by B: the signing key is in the shared database
    headers = {"Authorization": f"Bearer {token}"}
    with (
        connect(b.ws_base + "/api/v1/ws", additional_headers=headers) as ws,
        a.client(token) as c,
    ):
        assert ws.recv(timeout=10) == "hello"
        mic = make_mic(c)
        before = [post_event(c, mic["id"])["id"] for _ in range(3)]
        assert [next_id(ws) for _ in before] == before
        assert health(a)["bus"] == health(b)["bus"] == "ok"

        private_bus.stop()
        wait_for(lambda: health(a)["bus"] == "unavailable", "A notices the outage")
        assert health(a)["status"] == "degraded" and health(a)["database"] == "ok"
        during = [post_event(c, mic["id"])["id"] for _ in range(5)]  # REST keeps answering
        assert c.get("/api/v1/events", params={"mic_id": mic["id"]}).status_code == 200

        private_bus.start()
        assert [next_id(ws) for _ in during] == during  # held, then delivered once, in order
        wait_for(lambda: health(a)["bus"] == health(b)["bus"] == "ok", "both recover")
        last = post_event(c, mic["id"])["id"]
        assert next_id(ws) == last  # nothing repeated before it
    assert metric(b.base, "listenpost_bus_available") == 1.0
    assert metric(b.base, "listenpost_bus_lag_seconds_count", stream="sound.events") >= 9
