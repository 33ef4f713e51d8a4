"""Resume across three nodes on PostgreSQL and a real bus (Redis Streams, NATS JetStream): a
client that reconnects to another node each time still sees every message once, in order."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from cluster_support import Cluster, bus_url, health, wait_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mqtt_support import fixture_messages, publish, spawn_broker
from test_radio_e2e import drain, subscribe
from test_resume_radio import reconnect, until_seam
from test_resume_sound import TOTAL, run_example


@pytest.fixture(scope="module", params=["redis", "nats"])
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Cluster, tuple[str, int], str]]:
    url = bus_url(request.param)
    root = tmp_path_factory.mktemp(f"resume-{request.param}")
    broker, stop_broker = spawn_broker(root)
    prefix = f"rs{uuid.uuid4().hex[:8]}"
    topics = ",".join(f"{prefix}/{t}" for t in ("feeds/#", "units/#", "messages/#"))
    nodes = Cluster(
        root,
        bus_url=url,
        LISTENPOST_BUS_PREFIX=f"lpresume{uuid.uuid4().hex[:8]}",
        LISTENPOST_MQTT_URL=f"mqtt://{broker[0]}:{broker[1]}",
        LISTENPOST_MQTT_TOPICS=topics,
    )
    try:
        yield nodes.start(), broker, prefix
    finally:
        nodes.stop()
        stop_broker()


@settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cuts=st.lists(st.integers(0, TOTAL - 1), min_size=1, max_size=4),
    pauses=st.lists(st.integers(0, 3), max_size=5),
)
def test_disconnects_with_reconnects_to_other_nodes_see_every_event_once_in_order(
    cluster: tuple[Cluster, tuple[str, int], str], cuts: list[int], pauses: list[int]
) -> None:
    """Events are posted to node A (concurrent ingest on every node: test_offset_order.py);
    the resumer hops A → B → C → A …; the reference listens on C."""
    run_example(cluster[0].nodes, cuts, pauses)


def test_radio_replay_on_another_node(cluster: tuple[Cluster, tuple[str, int], str]) -> None:
    nodes, broker, prefix = cluster
    a, b, c = nodes.nodes
    wait_for(lambda: any(health(n).get("mqtt") == "connected" for n in nodes.nodes))
    token = a.token()
    references = [subscribe(n, token, {"channels": ["*"]}) for n in (a, b, c)]  # type: ignore[arg-type]
    publish(fixture_messages(prefix), broker)
    seen = [drain(ws, 3.0) for ws in references]
    for ws in references:
        ws.close()
    assert seen[0] and seen[0] == seen[1] == seen[2]  # same seq/epoch on every node
    since = seen[0][len(seen[0]) // 3]["seq"]
    for node in (a, b, c):
        ws = reconnect(node, token, since, seen[0][0]["epoch"])  # type: ignore[arg-type]
        ws.send(json.dumps({"action": "subscribe", "channels": ["*"]}))
        assert json.loads(ws.recv(timeout=10))["event"] == "subscribed"
        replayed, seam = until_seam(ws)
        ws.close()
        assert replayed == [f for f in seen[0] if f["seq"] > since]
        assert seam["data"] == {"recovered": True, "replayed": len(replayed)}
