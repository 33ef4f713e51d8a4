"""Offsets become visible in offset order across nodes ingesting at once (PostgreSQL + Redis).

A sound event's offset is its row's `seq`, taken when the row is inserted. Two nodes storing at
the same time could commit (and publish) N+1 before N; a client that saw N+1 and resumed from
it would never get N. The first test makes that interleaving happen on purpose: a trigger
holds node A's transaction after it took its offset while node B stores an event. The second
posts to every node at once and has a client resume, hopping nodes, from every offset it saw.
"""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from cluster_support import Cluster, bus_url, wait_for
from helpers import make_mic, post_event
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from resume_support import Resumer
from support import Server

LIVE = "/api/v1/ws"
HOLD = 4242  # the advisory lock the test holds to keep node A's transaction open
T = TypeVar("T")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root: Path = tmp_path_factory.mktemp("offset-order")
    nodes = Cluster(
        root, bus_url=bus_url("redis"), LISTENPOST_BUS_PREFIX=f"lporder{uuid.uuid4().hex[:8]}"
    )
    try:
        yield nodes.start()
    finally:
        nodes.stop()


class Session:
    """One PostgreSQL session of the test's own, kept open across calls (its own loop)."""

    def __init__(self, url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.conn: asyncpg.Connection = self.run(asyncpg.connect(url.replace("+asyncpg", "")))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=30)

    def execute(self, sql: str, *args: Any) -> None:
        self.run(self.conn.execute(sql, *args))

    def fetch(self, sql: str, *args: Any) -> list[Any]:
        return list(self.run(self.conn.fetch(sql, *args)))

    def close(self) -> None:
        self.run(self.conn.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()


def in_background(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(fn()))
    thread.start()
    return thread, result


def waiting_on_advisory_locks(session: Session) -> list[int]:
    """The advisory lock keys some session is waiting for (not yet granted)."""
    rows = session.fetch("SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    return [int(r["objid"]) for r in rows]


def test_an_offset_taken_first_is_seen_first_even_when_its_transaction_is_slower(
    cluster: Cluster,
) -> None:
    a, b = cluster.nodes[0], cluster.nodes[1]
    token = a.token()
    with a.client(token) as c:
        slow, fast = make_mic(c), make_mic(c)
    control = Session(cluster.url)
    try:
        # an event of the slow mic waits, after its row (and offset) exists, for HOLD
        control.execute(
            "CREATE OR REPLACE FUNCTION lp_test_hold() RETURNS trigger AS $$ BEGIN "
            f"PERFORM pg_advisory_xact_lock_shared({HOLD}); RETURN NEW; END $$ LANGUAGE plpgsql"
        )
        control.execute(
            "CREATE TRIGGER lp_test_hold AFTER INSERT ON events FOR EACH ROW "
            f"WHEN (NEW.mic_id = '{slow['id']}') EXECUTE FUNCTION lp_test_hold()"
        )
        live = Resumer(LIVE, token)
        live.connect(cluster.nodes[2])
        control.execute(f"SELECT pg_advisory_lock({HOLD})")

        def post(node: Server, mic: dict[str, Any]) -> dict[str, Any]:
            with node.client(token) as c:
                return post_event(c, mic["id"])

        first, _ = in_background(lambda: post(a, slow))
        wait_for(lambda: HOLD in waiting_on_advisory_locks(control))  # A holds its offset
        second, second_done = in_background(lambda: post(b, fast))
        # B stores at once (the bug: its larger offset is visible while A's is not) or waits
        wait_for(lambda: second_done or set(waiting_on_advisory_locks(control)) - {HOLD})
        control.execute(f"SELECT pg_advisory_unlock({HOLD})")
        first.join()
        second.join()
        seen = [live.read(), live.read()]
        live.close()
    finally:
        control.execute("DROP TRIGGER IF EXISTS lp_test_hold ON events")
        control.close()
    offsets = [f["offset"] for f in seen]
    assert offsets == sorted(offsets), "live frames out of offset order"
    assert [f["data"]["mic"]["id"] for f in seen] == [slow["id"], fast["id"]]
    # a client that got only the first frame and resumes from it gets the second
    resumer = Resumer(LIVE, token)
    resumer.offset, resumer.epoch = offsets[0], seen[0]["epoch"]
    resumer.connect(b)
    replayed = [resumer.read() for _ in range(2)]
    resumer.close()
    assert replayed == [seen[1], {"control": "resume_complete", "replayed": 1}]


PER_NODE = 12  # events each node's poster stores per example


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: examples are slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cuts=st.lists(st.integers(0, 3 * PER_NODE - 1), min_size=1, max_size=5))
def test_concurrent_ingest_on_every_node_resumes_from_any_offset_seen(
    cluster: Cluster, cuts: list[int]
) -> None:
    """Every node stores events at once (one request of several events and single ones); a
    resumer hops nodes after each cut, resuming from the last offset it saw; a reference
    client stays connected. Both see every event exactly once, in offset order."""
    nodes = cluster.nodes
    token = nodes[0].token()
    with nodes[0].client(token) as c:
        mic = make_mic(c)
    reference = Resumer(LIVE, token)
    reference.connect(nodes[-1])
    resumer = Resumer(LIVE, token)
    resumer.connect(nodes[0])
    posted: list[str] = []
    start = threading.Barrier(len(nodes))

    def poster(node: Server) -> None:
        with node.client(token) as c:
            start.wait()
            for n in range(PER_NODE):
                if n % 4 == 0:  # a batch of three events now and then
                    items = [{"mic_id": mic["id"], "label_id": "scream_female", "confidence": 0.9}]
                    r = c.post("/api/v1/events/batch", json={"events": items * 3})
                    assert r.status_code == 201, r.text
                    posted.extend(e["id"] for e in r.json()["data"])
                else:
                    posted.append(post_event(c, mic["id"])["id"])

    threads = [threading.Thread(target=poster, args=(n,)) for n in nodes]
    for t in threads:
        t.start()
    total = len(nodes) * (PER_NODE + PER_NODE // 4 * 2)
    try:
        for hop, cut in enumerate(sorted(set(cuts)), start=1):
            while len(resumer.frames) < cut:
                resumer.read()
            resumer.close()
            resumer.connect(nodes[hop % len(nodes)])
        while len(reference.frames) < total:
            reference.read()
        while resumer.offset != reference.offset:
            resumer.read()
    finally:
        for t in threads:
            t.join()
        resumer.close()
        reference.close()
    offsets = [json.loads(f)["offset"] for f in reference.frames]
    assert offsets == sorted(set(offsets)), "live frames out of offset order"
    assert resumer.frames == reference.frames  # each once, in order, byte for byte
    assert sorted(json.loads(f)["data"]["id"] for f in reference.frames) == sorted(posted)
    assert all(ctl["control"] == "resume_complete" for ctl in resumer.controls)
