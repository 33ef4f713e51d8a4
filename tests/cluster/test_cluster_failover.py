"""Fail-over on three nodes: `kill -9` the MQTT ingester mid-burst, or the composite leader
mid-window, and a survivor takes over losing nothing. One cluster serves every test; each
test starts its killed node again.

The broker is a private Mosquitto configured as docs/radio.md recommends (a queue that
holds a burst while no node is connected), so what is measured is listenpost's fail-over,
not a broker's default limits.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from cluster_support import Cluster, health, query, wait_for
from helpers import make_mic, post_event
from mqtt_support import FIXTURES, publish, publish_at_once, spawn_broker, unit_on_messages
from test_cluster_work import RULE_IN_FORCE, composites_of, rule_body
from websockets.sync.client import connect

BURST = 3000
BATCH = 200  # LISTENPOST_MQTT_BATCH_SIZE's default: what one transaction stores


Radio = tuple[Cluster, tuple[str, int], str]  # cluster, broker address, topic prefix


@pytest.fixture(scope="module")
def radio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radio]:
    root = tmp_path_factory.mktemp("failover")
    broker, stop_broker = spawn_broker(root, "max_queued_messages 100000")
    prefix = f"cl{uuid.uuid4().hex[:8]}"
    topics = ",".join(f"{prefix}/{t}" for t in ("feeds/#", "units/#", "messages/#"))
    cluster = Cluster(
        root,
        LISTENPOST_MQTT_URL=f"mqtt://{broker[0]}:{broker[1]}",
        LISTENPOST_MQTT_TOPICS=topics,
    )
    try:
        yield cluster.start(), broker, prefix
    finally:
        cluster.stop()
        stop_broker()


@pytest.fixture
def cluster(radio: Radio) -> Iterator[Cluster]:
    yield radio[0]
    radio[0].revive()


def stored_units(url: str, units: list[int]) -> int:
    """How many of `units` have a stored unit event."""
    sql = (
        "SELECT count(DISTINCT unit) AS n FROM radio_unit_events "
        f"WHERE unit BETWEEN {units[0]} AND {units[-1]}"
    )
    return int(query(url, sql)[0]["n"])


def test_one_node_ingests_and_a_survivor_takes_over_mid_burst_losing_nothing(
    radio: Radio, cluster: Cluster
) -> None:
    _, broker, prefix = radio
    ingester = cluster.holder("mqtt", "connected")
    assert sorted(health(n)["mqtt"] for n in cluster.nodes) == [
        "connected",
        "standby",
        "standby",
    ]
    (session,) = query(cluster.url, "SELECT value FROM lp_meta WHERE key = 'mqtt_client_id'")
    ports = {str(n.port) for n in cluster.nodes}
    assert session["value"].startswith("listenpost-")
    assert session["value"].rsplit("-", 1)[1] in ports  # derived from host and port

    units = list(range(700000, 700000 + BURST))
    burst = threading.Thread(
        target=publish_at_once, args=(unit_on_messages(prefix, units), broker)
    )
    burst.start()
    wait_for(lambda: stored_units(cluster.url, units) >= BURST // 10)
    cluster.kill(ingester)  # mid-burst: batches in hand, messages in flight and queued
    cluster.holder("mqtt", "connected")
    burst.join()
    wait_for(lambda: stored_units(cluster.url, units) == BURST, timeout=60)

    rows = query(cluster.url, f"SELECT unit FROM radio_unit_events WHERE unit >= {units[0]}")
    stored = [r["unit"] for r in rows]
    assert set(stored) == set(units)  # nothing lost
    duplicates = len(stored) - len(set(stored))
    print(f"fail-over mid-burst: {duplicates} message(s) stored twice")
    assert duplicates <= BATCH  # only what the dead node stored but had not acknowledged


def test_a_survivor_knows_the_calls_the_dead_ingester_saw_start(
    radio: Radio, cluster: Cluster
) -> None:
    """The active-call tracker is rebuilt from the store: a call started under the dead
    ingester is ended by the survivor when it vanishes from three snapshots."""
    _, broker, prefix = radio
    ingester = cluster.holder("mqtt", "connected")
    token = ingester.token()
    call_start = (FIXTURES / "call_start.json").read_bytes()
    publish([(f"{prefix}/feeds/call_start", call_start)], broker)
    with ingester.client(token) as c:
        call = wait_for(lambda: c.get("/api/v1/calls").json()["results"])[0]
    cluster.kill(ingester)
    survivor = cluster.holder("mqtt", "connected")
    empty = json.dumps({"type": "calls_active", "calls": [], "timestamp": 1686700200})
    with connect(f"{survivor.ws_base}/api/ws?access_token={token}") as ws:
        ws.send(json.dumps({"action": "subscribe", "channels": ["*"]}))
        assert json.loads(ws.recv(timeout=5))["event"] == "subscribed"
        publish([(f"{prefix}/feeds/calls_active", empty.encode())] * 3, broker)
        ended = wait_for(lambda: next_event(ws, "call_end"))
    assert ended["data"]["call_id"] == call["id"]


def next_event(ws: Any, kind: str) -> dict[str, Any] | None:
    frame = json.loads(ws.recv(timeout=10))
    return dict(frame) if frame.get("event") == kind else None


def test_composite_leader_killed_mid_window_gives_exactly_one_composite(
    cluster: Cluster,
) -> None:
    leader = cluster.holder("composites", "leader")
    others = [n for n in cluster.alive if n is not leader]
    token = others[0].token()
    with others[0].client(token) as c:
        mic = make_mic(c)
        rule = c.post("/api/v1/composite-rules", json=rule_body([mic["id"]])).json()
        time.sleep(RULE_IN_FORCE)
        with leader.client(token) as lc:
            ids = [post_event(lc, mic["id"])["id"] for _ in range(2)]  # window half full
        killed_at = time.monotonic()
        cluster.kill(leader)
        ids.append(post_event(c, mic["id"])["id"])  # completes the window on a survivor
        survivor = cluster.holder("composites", "leader")
        print(f"composite lease taken over {time.monotonic() - killed_at:.2f} s after kill")
    with survivor.client(token) as sc:
        wait_for(lambda: composites_of(sc, rule["id"]))
        ids.append(post_event(sc, mic["id"])["id"])
        wait_for(lambda: len(composites_of(sc, rule["id"])[0]["events"]) == 4)
        found = composites_of(sc, rule["id"])
    assert len(found) == 1
    assert [e["id"] for e in found[0]["events"]] == ids
