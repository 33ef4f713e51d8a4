"""Resume on the Deeply streams, against a real server: random disconnects lose nothing and
repeat nothing; an offset the history no longer holds, or another epoch, is said so."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import make_mic, post_event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from resume_support import Resumer, next_text, open_stream
from support import Server

LIVE = "/api/v1/ws"
TOTAL = 24  # events per example


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The embedded default: SQLite and memory://."""
    srv = Server(tmp_path_factory.mktemp("resume-sound")).start()
    yield srv
    srv.stop()


def poster(server: Server, mic_id: str, count: int, pauses: list[int]) -> threading.Thread:
    """Posts `count` events one after another (with the example's pauses), in the background."""

    def run() -> None:
        with server.client() as c:
            for n in range(count):
                post_event(c, mic_id)
                if pauses and pauses[n % len(pauses)]:
                    time.sleep(pauses[n % len(pauses)] / 100)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def run_example(nodes: list[Server], cuts: list[int], pauses: list[int]) -> None:
    """A reference client stays connected; a resumer disconnects after each cut (a count of
    frames received) and reconnects, each time to the next node, from its last offset."""
    token = nodes[0].token()
    with nodes[0].client() as c:
        mic = make_mic(c)
    reference = Resumer(LIVE, token)
    reference.connect(nodes[-1])
    resumer = Resumer(LIVE, token)
    resumer.connect(nodes[0])
    thread = poster(nodes[0], mic["id"], TOTAL, pauses)
    try:
        for hop, cut in enumerate(sorted(set(cuts)), start=1):
            while len(resumer.frames) < cut:
                resumer.read()
            resumer.close()
            resumer.connect(nodes[hop % len(nodes)])
        while len(reference.frames) < TOTAL:
            reference.read()
        while resumer.offset != reference.offset:
            resumer.read()
    finally:
        thread.join()
        resumer.close()
        reference.close()
    assert resumer.frames == reference.frames  # each once, in order, byte for byte
    assert [json.loads(f)["data"]["mic"]["id"] for f in resumer.frames] == [mic["id"]] * TOTAL
    assert all(ctl["control"] == "resume_complete" for ctl in resumer.controls)
    for ctl in resumer.controls:  # the seam: `replayed` counts the frames sent before it
        assert ctl["replayed"] == ctl["before"]


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cuts=st.lists(st.integers(0, TOTAL - 1), min_size=1, max_size=4),
    pauses=st.lists(st.integers(0, 3), max_size=5),
)
def test_random_disconnects_see_every_event_once_in_order(
    node: Server, cuts: list[int], pauses: list[int]
) -> None:
    run_example([node], cuts, pauses)


def test_resume_without_since_wraps_and_old_clients_see_the_same_bytes(node: Server) -> None:
    token = node.token()
    with node.client() as c:
        mic = make_mic(c)
        old = open_stream(node, LIVE, token, "")
        new = open_stream(node, LIVE, token, "resume=1")
        event = post_event(c, mic["id"])
        plain, wrapped = next_text(old), next_text(new)
        old.close()
        new.close()
    assert json.loads(plain)["id"] == event["id"]
    frame = json.loads(wrapped)
    assert list(frame) == ["offset", "epoch", "data"] and isinstance(frame["offset"], int)
    assert wrapped.endswith(',"data":' + plain + "}")  # the documented payload, untouched


def test_composite_stream_resumes(node: Server) -> None:
    """Two composites (one per mic of the rule); the client misses the second one."""
    token = node.token()
    with node.client() as c:
        mics = [make_mic(c) for _ in range(2)]
        rule = {
            "name": "pair per mic",
            "window_seconds": 60,
            "min_events": 2,
            "group_by": "mic_id",
            "include_mic_ids": [m["id"] for m in mics],
        }
        made = c.post("/api/v1/composite-rules", json=rule)
        assert made.status_code == 201, made.text
        stream = Resumer("/api/v1/ws/composite-events", token)
        stream.connect(node)
        for _ in range(2):
            post_event(c, mics[0]["id"])
        first = stream.read()
        stream.close()
        for _ in range(2):
            post_event(c, mics[1]["id"])
        listed = c.get("/api/v1/composite-events", params={"composite_rule_id": made.json()["id"]})
        missed = listed.json()["results"]
        stream.connect(node)
        replayed = stream.read()
        control = stream.read()
        stream.close()
    assert len(missed) == 2 and first["data"]["id"] in {m["id"] for m in missed}
    assert replayed["data"]["id"] in {m["id"] for m in missed} - {first["data"]["id"]}
    assert replayed["offset"] > first["offset"] and replayed["epoch"] == first["epoch"]
    assert control == {"control": "resume_complete", "replayed": 1}


def control_after(server: Server, query: str) -> tuple[dict, object]:
    ws = open_stream(server, LIVE, server.token(), query)
    try:
        control = json.loads(next_text(ws))
        with server.client() as c:
            mic = make_mic(c)
            post_event(c, mic["id"])
        live = json.loads(next_text(ws))
    finally:
        ws.close()
    return control, live


def test_wrong_epoch_is_refused_explicitly_then_live(node: Server) -> None:
    with node.client() as c:
        post_event(c, make_mic(c)["id"])
    control, live = control_after(node, "since=1&epoch=0123456789abcdef")
    assert control["control"] == "resume_failed" and control["reason"] == "epoch_mismatch"
    assert control["epoch"] == live["epoch"] != "0123456789abcdef"  # type: ignore[index]
    assert isinstance(control["oldest"], int)


def test_expired_offsets_are_refused_explicitly(tmp_path: Path) -> None:
    """History kept: 3 events."""
    srv = Server(tmp_path / "s", LISTENPOST_RESUME_HISTORY="3")
    srv.start()
    try:
        with srv.client() as c:
            mic = make_mic(c)
            for _ in range(6):
                post_event(c, mic["id"])
        ws = open_stream(srv, LIVE, srv.token(), "resume=1")
        with srv.client() as c:
            post_event(c, mic["id"])  # offset 7
        epoch = json.loads(next_text(ws))["epoch"]
        ws.close()
        control, live = control_after(srv, f"since=2&epoch={epoch}")
        assert control == {
            "control": "resume_failed",
            "reason": "expired",
            "oldest": 5,
            "epoch": epoch,
        }
        assert live["offset"] == 8  # type: ignore[index]
        ws = open_stream(srv, LIVE, srv.token(), f"since=6&epoch={epoch}")
        got = [json.loads(next_text(ws)) for _ in range(3)]
        ws.close()
        assert [f.get("offset") for f in got[:2]] == [7, 8]
        assert got[2] == {"control": "resume_complete", "replayed": 2}
    finally:
        srv.stop()


def test_events_older_than_the_age_bound_are_expired(tmp_path: Path) -> None:
    """Nothing older than 100 s is kept (an edge may date an event up to 300 s back)."""
    srv = Server(tmp_path / "s", LISTENPOST_RESUME_MAX_AGE="100").start()
    try:
        with srv.client() as c:
            mic = make_mic(c)
            old = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 200))
            post_event(c, mic["id"], created_at=old)  # offset 1
            post_event(c, mic["id"])  # offset 2
        ws = open_stream(srv, LIVE, srv.token(), "resume=1")
        with srv.client() as c:
            post_event(c, mic["id"])  # offset 3
        epoch = json.loads(next_text(ws))["epoch"]
        ws.close()
        control, _ = control_after(srv, f"since=0&epoch={epoch}")
        assert control["reason"] == "expired" and control["oldest"] == 2
        ws = open_stream(srv, LIVE, srv.token(), f"since=1&epoch={epoch}")
        got = [json.loads(next_text(ws)) for _ in range(4)]
        ws.close()
        assert [f.get("offset") for f in got] == [2, 3, 4, None]
        assert got[3] == {"control": "resume_complete", "replayed": 3}
    finally:
        srv.stop()


def test_a_new_database_is_a_new_epoch(node: Server, tmp_path: Path) -> None:
    other = Server(tmp_path / "other").start()
    try:
        epochs = []
        for srv in (node, other):
            ws = open_stream(srv, LIVE, srv.token(), "resume=1")
            with srv.client() as c:
                post_event(c, make_mic(c)["id"])
            epochs.append(json.loads(next_text(ws))["epoch"])
            ws.close()
        assert epochs[0] != epochs[1]
    finally:
        other.stop()


@pytest.mark.parametrize(
    "query", ["since=-1&epoch=x", "since=abc&epoch=x", "since=5", "epoch=x", "resume=yes"]
)
def test_malformed_resume_parameters_are_a_400(node: Server, query: str) -> None:
    from websockets.exceptions import InvalidStatus

    with pytest.raises(InvalidStatus) as caught:
        open_stream(node, LIVE, node.token(), query)
    assert caught.value.response.status_code == 400
    assert b"message" in caught.value.response.body
