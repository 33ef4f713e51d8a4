"""Live streams across three nodes on a real bus (Redis Streams, then NATS JetStream): what
one node ingests reaches every node's clients exactly once, in order."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from cluster_support import Cluster, bus_url, health, query, wait_for
from helpers import make_mic, post_event
from mqtt_support import fixture_messages, publish, spawn_broker
from websockets.sync.client import ClientConnection, connect

RULE_IN_FORCE = 1.0


@pytest.fixture(scope="module", params=["redis", "nats"])
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Cluster, tuple[str, int], str]]:
    url = bus_url(request.param)
    root = tmp_path_factory.mktemp(f"live-{request.param}")
    broker, stop_broker = spawn_broker(root, "max_queued_messages 100000")
    prefix = f"cl{uuid.uuid4().hex[:8]}"
    topics = ",".join(f"{prefix}/{t}" for t in ("feeds/#", "units/#", "messages/#"))
    cluster = Cluster(
        root,
        bus_url=url,
        LISTENPOST_BUS_PREFIX=f"lpcluster{uuid.uuid4().hex[:8]}",
        LISTENPOST_MQTT_URL=f"mqtt://{broker[0]}:{broker[1]}",
        LISTENPOST_MQTT_TOPICS=topics,
    )
    try:
        yield cluster.start(), broker, prefix
    finally:
        cluster.stop()
        stop_broker()


def socket(node: Any, path: str, token: str, stack: ExitStack) -> ClientConnection:
    ws = stack.enter_context(
        connect(node.ws_base + path, additional_headers={"Authorization": f"Bearer {token}"})
    )
    if path.startswith("/api/v1/"):
        assert ws.recv(timeout=5) == "hello"
    else:
        ws.send(json.dumps({"action": "subscribe", "channels": ["*"]}))
        assert json.loads(ws.recv(timeout=5))["event"] == "subscribed"
    return ws


def frames_until_quiet(ws: ClientConnection, quiet: float = 2.0) -> list[str]:
    """Every non-empty frame until none arrives for `quiet` seconds (keep-alives are empty)."""
    out: list[str] = []
    while True:
        try:
            frame = ws.recv(timeout=quiet)
        except TimeoutError:
            return out
        if frame:
            out.append(str(frame))


def test_event_posted_to_a_reaches_b_and_c_once_in_order(
    live: tuple[Cluster, tuple[str, int], str],
) -> None:
    cluster, _, _ = live
    a, b, c = cluster.nodes
    token = a.token()
    with ExitStack() as stack:
        sockets = [socket(n, "/api/v1/ws", token, stack) for n in (a, b, c)]
        with a.client(token) as client:
            mic = make_mic(client)
            ids = [post_event(client, mic["id"])["id"] for _ in range(20)]
        for ws in sockets:
            got = [json.loads(f)["id"] for f in frames_until_quiet(ws)]
            assert got == ids


def test_rule_made_on_b_reaches_composite_clients_on_every_node_once(
    live: tuple[Cluster, tuple[str, int], str],
) -> None:
    cluster, _, _ = live
    a, b, c = cluster.nodes
    token = a.token()
    with ExitStack() as stack:
        sockets = [socket(n, "/api/v1/ws/composite-events", token, stack) for n in (a, b, c)]
        clients = [stack.enter_context(n.client(token)) for n in (a, b, c)]
        mic = make_mic(clients[0])
        body = {
            "name": "cluster live",
            "window_seconds": 60,
            "min_events": 3,
            "group_by": "mic_id",
            "include_mic_ids": [mic["id"]],
        }
        rule = clients[1].post("/api/v1/composite-rules", json=body).json()
        time.sleep(RULE_IN_FORCE)
        ids = [post_event(client, mic["id"])["id"] for client in clients]
        received = [[json.loads(f) for f in frames_until_quiet(ws)] for ws in sockets]
    for frames in received:
        assert len(frames) == 1
        assert frames[0]["rule"]["id"] == rule["id"]
        assert [e["id"] for e in frames[0]["events"]] == ids
    assert len({f[0]["id"] for f in received}) == 1


def test_radio_fixtures_published_once_are_stored_once_and_reach_every_node(
    live: tuple[Cluster, tuple[str, int], str],
) -> None:
    cluster, broker, prefix = live
    wait_for(lambda: any(health(n).get("mqtt") == "connected" for n in cluster.nodes))
    token = cluster.nodes[0].token()
    with ExitStack() as stack:
        sockets = [socket(n, f"/api/ws?access_token={token}", token, stack) for n in cluster.nodes]
        publish(fixture_messages(prefix), broker)
        received = [frames_until_quiet(ws, quiet=3.0) for ws in sockets]
    assert received[0] and received[0] == received[1] == received[2]  # same bytes, same order
    events = [json.loads(f) for f in received[0]]
    kinds = [e["event"] for e in events]
    # stored once: every stored row was announced once (a second ingester would double both)
    (unit_events,) = query(cluster.url, "SELECT count(*) AS n FROM radio_unit_events")
    assert unit_events["n"] == kinds.count("unit_event")
    (calls,) = query(cluster.url, "SELECT count(*) AS n FROM radio_calls")
    call_ids = {e["data"]["call_id"] for e in events if "call_id" in (e.get("data") or {})}
    assert calls["n"] == len(call_ids)
