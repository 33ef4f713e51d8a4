"""Times the server cannot store and serve are refused at the edge, and a bad stored row
(written by an older version) does not poison the lists (issue 14, finding 1)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from helpers import make_mic, post_event
from support import Server

from listenpost.timeutil import parse_iso, to_iso

HOSTILE = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z"]


@pytest.mark.parametrize("when", HOSTILE)
def test_unservable_created_at_is_422_and_not_stored(server: Server, when: str) -> None:
    with server.client() as c:
        mic = make_mic(c)
        body = {"mic_id": mic["id"], "label_id": "crying", "confidence": 0.9, "created_at": when}
        r = c.post("/api/v1/events", json=body)
        assert r.status_code == 422, r.text
        assert "created_at" in r.json()["detail"]["message"]
        good = {**body, "created_at": "2026-03-01T00:00:00Z"}
        r = c.post("/api/v1/events/batch", json={"events": [good, body]})
        assert r.status_code == 422, r.text
        assert "events.1.created_at" in r.json()["detail"]["message"]
        listed = c.get("/api/v1/events", params={"mic_id": mic["id"]})
        assert listed.status_code == 200 and listed.json()["total_cnt"] == 0
        assert c.get("/api/v1/events").status_code == 200


def test_window_edges_round_trip(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        first = post_event(c, mic["id"], created_at="2000-01-01T00:00:00Z")
        assert first["created_at"] == "2000-01-01T00:00:00Z"
        offset = post_event(c, mic["id"], created_at="2000-01-01T09:00:00.5+09:00")
        assert offset["created_at"] == "2000-01-01T00:00:00.500000Z"
        page = c.get("/api/v1/events", params={"mic_id": mic["id"]}).json()
        assert {e["created_at"] for e in page["results"]} == {
            "2000-01-01T00:00:00Z",
            "2000-01-01T00:00:00.500000Z",
        }
        # a query time without a zone is taken as UTC (docs/reference.md)
        params = {"mic_id": mic["id"], "start": "2000-01-01T00:00:00.25"}
        page = c.get("/api/v1/events", params=params).json()
        assert [e["created_at"] for e in page["results"]] == ["2000-01-01T00:00:00.500000Z"]


@pytest.mark.parametrize(
    ("path", "param"),
    [
        ("/api/v1/events", "start"),
        ("/api/v1/events", "end"),
        ("/api/v1/composite-events", "created_at__ge"),
        ("/api/v1/composite-events", "created_at__le"),
        ("/api/v1/calls", "start"),
        ("/api/v1/calls", "end"),
        ("/api/v1/stats/rates", "start"),
    ],
)
def test_query_times_outside_the_window_are_422(server: Server, path: str, param: str) -> None:
    with server.client() as c:
        for when in HOSTILE:
            r = c.get(path, params={param: when})
            assert r.status_code == 422, (path, param, when, r.text)
            assert param in r.json()["detail"]["message"]
        assert c.get(path, params={param: "2026-03-01T00:00:00Z"}).status_code == 200


def test_mic_reported_at_outside_the_window_is_422(server: Server) -> None:
    with server.client() as c:
        for when in HOSTILE:
            r = c.post("/api/v1/mics", json={"name": "m", "reported_at": when})
            assert r.status_code == 422 and "reported_at" in r.json()["detail"]["message"]
        mic = make_mic(c)
        r = c.patch(f"/api/v1/mics/{mic['id']}", json={"reported_at": HOSTILE[0]})
        assert r.status_code == 422 and "reported_at" in r.json()["detail"]["message"]
        assert c.get(f"/api/v1/mics/{mic['id']}").json()["data"]["reported_at"] is None
        assert c.get("/api/v1/mics").status_code == 200


def test_a_bad_row_already_stored_does_not_poison_the_list(fresh_server: Server) -> None:
    """An older version could store year 10000; lists skip such rows, reads never 500."""
    fresh_server.start()
    with fresh_server.client() as c:
        mic = make_mic(c)
        good = post_event(c, mic["id"])
    bad_id = uuid.uuid4().hex
    far = 253_402_387_200_000_000  # 10000-01-01T00:00:00Z
    _insert_raw_event(fresh_server.data_dir / "listenpost.db", bad_id, mic["id"], far)
    fresh_server.restart()
    with fresh_server.client() as c:
        r = c.get("/api/v1/events")
        assert r.status_code == 200, r.text
        assert [e["id"] for e in r.json()["results"]] == [good["id"]]
        r = c.get(f"/api/v1/events/{bad_id}")
        assert r.status_code == 200 and r.json()["created_at"] is None
        assert post_event(c, mic["id"])["id"]


def test_a_stored_nan_is_served_as_null(fresh_server: Server) -> None:
    """NaN is refused at ingest now; one stored by an older version reads back as null."""
    fresh_server.start()
    with fresh_server.client() as c:
        mic = make_mic(c)
    bad_id = uuid.uuid4().hex
    _insert_raw_event(
        fresh_server.data_dir / "listenpost.db", bad_id, mic["id"], 1_764_900_000_000_000, "[NaN]"
    )
    with fresh_server.client() as c:
        r = c.get(f"/api/v1/events/{bad_id}")
        assert r.status_code == 200, r.text
        assert r.json()["noises"] == [None]
        assert c.post(f"/api/v1/events/{bad_id}/read").json()["noises"] == [None]
        assert c.get("/api/v1/events").json()["results"][0]["noises"] == [None]


def _insert_raw_event(
    db: Path, event_id: str, mic_id: str, created_at: int, noises: str | None = None
) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO events (id, mic_id, label_id, confidence, noises, suppressed, is_read,"
            " created_at, updated_at) VALUES (?, ?, 'crying', 0.9, ?, 0, 0, ?, ?)",
            (event_id, mic_id, noises, created_at, created_at),
        )


def test_to_iso_never_raises() -> None:
    for us in (-(2**63), -62_135_596_800_000_001, 253_402_300_800_000_000, 2**63 - 1):
        assert to_iso(us) is None
    assert to_iso(0) == "1970-01-01T00:00:00Z"
    assert to_iso(parse_iso("2099-12-31T23:59:59.999999Z")) == "2099-12-31T23:59:59.999999Z"
