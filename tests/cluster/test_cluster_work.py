"""Work done once across three nodes on one PostgreSQL database (no bus needed: composites
are read back through REST, which any node answers from the shared store)."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from cluster_support import Cluster, health, wait_for
from helpers import make_mic, post_event
from support import API_KEY

RULE_IN_FORCE = 1.0  # seconds: the documented bound for a rule change to reach every node


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    c = Cluster(tmp_path_factory.mktemp("cluster")).start()
    yield c
    c.stop()


def rule_body(mic_ids: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "name": f"cluster {uuid.uuid4().hex[:6]}",
        "window_seconds": 60,
        "min_events": 3,
        "group_by": "mic_id",
        "include_mic_ids": mic_ids,
        **fields,
    }


def composites_of(c: httpx.Client, rule_id: str) -> list[dict[str, Any]]:
    r = c.get("/api/v1/composite-events", params={"composite_rule_id": rule_id, "size": 100})
    assert r.status_code == 200, r.text
    return [c.get(f"/api/v1/composite-events/{x['id']}").json() for x in r.json()["results"]]


def test_three_nodes_started_together_share_schema_secret_and_one_leader(
    cluster: Cluster,
) -> None:
    a, b, c = cluster.nodes
    for node in (a, b, c):
        assert health(node)["database"] == "ok"
    roles = sorted(health(n)["composites"] for n in (a, b, c))
    assert roles == ["follower", "follower", "leader"]
    token = a.token()  # issued by A, accepted by C (one signing secret in the database)
    with c.client(token) as client:
        assert client.get("/api/v1/mics").status_code == 200
    with b.client(token) as client:
        mic = make_mic(client)
    with c.client(token) as client:  # a mic made through B is visible through C
        assert client.get(f"/api/v1/mics/{mic['id']}").status_code == 200
    assert c.token(API_KEY)  # the key every node was given reissues on any of them


def test_rule_made_on_b_fires_once_for_events_spread_over_a_b_c(cluster: Cluster) -> None:
    a, b, c = cluster.nodes
    token = a.token()
    clients = [n.client(token) for n in (a, b, c)]
    try:
        mic = make_mic(clients[0])
        rule = clients[1].post("/api/v1/composite-rules", json=rule_body([mic["id"]])).json()
        time.sleep(RULE_IN_FORCE)
        ids = [post_event(client, mic["id"])["id"] for client in clients]
        found = wait_for(lambda: composites_of(clients[2], rule["id"]))
        ids += [post_event(client, mic["id"])["id"] for client in clients]  # join, not open
        wait_for(lambda: len(composites_of(clients[0], rule["id"])[0]["events"]) == 6)
        final = composites_of(clients[0], rule["id"])
        assert len(final) == 1 and final[0]["id"] == found[0]["id"]
        assert [e["id"] for e in final[0]["events"]] == ids
    finally:
        for client in clients:
            client.close()


def test_rule_edited_and_deleted_on_one_node_is_in_force_on_the_leader(
    cluster: Cluster,
) -> None:
    leader = cluster.holder("composites", "leader")
    other = next(n for n in cluster.nodes if n is not leader)
    token = other.token()
    with other.client(token) as c, leader.client(token) as lc:
        mic = make_mic(c)
        rule = c.post("/api/v1/composite-rules", json=rule_body([mic["id"]])).json()
        url = f"/api/v1/composite-rules/{rule['id']}"
        assert c.patch(url, json={"min_events": 2}).status_code == 200
        time.sleep(RULE_IN_FORCE)
        post_event(lc, mic["id"])
        post_event(lc, mic["id"])  # two are enough after the edit made elsewhere
        wait_for(lambda: composites_of(lc, rule["id"]))
        assert c.delete(url).status_code == 204
        time.sleep(RULE_IN_FORCE)
        for _ in range(3):
            post_event(lc, mic["id"])
        # the leader evaluated its own events before answering: nothing opened
        listed = lc.get("/api/v1/composite-events", params={"composite_rule_id": rule["id"]})
        assert listed.json()["total_cnt"] == 1


def apikey(cluster: Cluster, *args: str) -> str:
    """`listenpost apikey ...` against the cluster's database (as an operator would)."""
    out = subprocess.run(
        [sys.executable, "-m", "listenpost", "apikey", *args, "--db-url", cluster.url],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


def test_a_key_made_once_works_on_every_node_and_its_revocation_reaches_all(
    cluster: Cluster,
) -> None:
    a, b, c = cluster.nodes
    name = f"cluster-{uuid.uuid4().hex[:6]}"
    key = apikey(cluster, "create", "--name", name, "--scope", "read")
    token = a.token(key)  # issued by A for a key no node was configured with
    for node in (b, c):
        r = httpx.get(node.base + "/api/v1/mics", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.text
    apikey(cluster, "revoke", name)
    for node in (b, c):  # each node's key snapshot is at most ~1 s old
        wait_for(
            lambda n=node: httpx.get(
                n.base + "/api/v1/mics", headers={"Authorization": f"Bearer {token}"}
            ).status_code
            == 401
        )
