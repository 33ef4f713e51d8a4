"""Composite rules and events end to end: REST, the live composite WebSocket, restarts."""

from __future__ import annotations

import json
import re
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from support import SHARED, Server
from websockets.sync.client import connect

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sound"))
from helpers import make_mic, post_event  # noqa: E402

SEED = SHARED / "spec" / "seeds" / "live-composite-events.txt"


def documented_example() -> dict[str, Any]:
    text = SEED.read_text()
    start = text.index('{\n  "id": "composite_evt_123"')
    depth = 0
    for i, ch in enumerate(text[start:], start):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0:
            return dict(json.loads(text[start : i + 1]))
    raise AssertionError("example not found")


def assert_same_structure(example: Any, actual: Any, path: str = "$") -> None:
    """Every documented field is present with the documented JSON type (null allowed)."""
    if example is None or actual is None:
        return
    if isinstance(example, dict):
        assert isinstance(actual, dict), path
        for key, value in example.items():
            assert key in actual, f"{path}.{key} missing"
            assert_same_structure(value, actual[key], f"{path}.{key}")
    elif isinstance(example, list):
        assert isinstance(actual, list), path
        if example and actual:
            for item in actual:
                assert_same_structure(example[0], item, f"{path}[]")
    elif isinstance(example, bool):
        assert isinstance(actual, bool), path
    elif isinstance(example, int | float):
        assert isinstance(actual, int | float) and not isinstance(actual, bool), path
    else:
        assert isinstance(actual, type(example)), path


def make_rule(c: Any, **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Repeated Speech Cluster",
        "window_seconds": 30,
        "min_events": 3,
        "group_by": "label_id",
        "include_label_ids": ["normal_speech_female"],
        **fields,
    }
    r = c.post("/api/v1/composite-rules", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def next_json(ws: Any, timeout: float = 5) -> dict[str, Any]:
    while True:
        frame = ws.recv(timeout=timeout)
        if frame:
            return dict(json.loads(frame))


def test_rule_crud_and_validation(server: Server) -> None:
    with server.client() as c:
        rule = make_rule(c, id=f"rule_{uuid.uuid4().hex[:6]}", description="d")
        assert rule["enabled"] is True and rule["created_at"].endswith("Z")
        assert c.post("/api/v1/composite-rules", json={**rule}).status_code == 422  # extra fields
        url = f"/api/v1/composite-rules/{rule['id']}"
        assert c.get(url).json()["name"] == rule["name"]
        patched = c.patch(url, json={"min_events": 5, "include_mic_ids": []}).json()
        assert patched["min_events"] == 5 and patched["include_mic_ids"] is None
        listed = c.get("/api/v1/composite-rules", params={"size": 100}).json()
        assert rule["id"] in [r["id"] for r in listed["results"]]
        for body, field in (
            ({"window_seconds": 0}, "window_seconds"),
            ({"window_seconds": 86401}, "window_seconds"),
            ({"min_events": 0}, "min_events"),
            ({"group_by": "label_id,color"}, "group_by"),
            ({"include_label_ids": ["barking"]}, "include_label_ids"),
        ):
            r = c.patch(url, json=body)
            assert r.status_code == 422 and field in r.json()["detail"]["message"], body
        assert c.delete(url).status_code == 204
        assert c.get(url).status_code == 404
        assert c.get("/api/v1/composite-events/nope").status_code == 404


def test_burst_from_two_mics_streams_exactly_one_composite(server: Server) -> None:
    edge = f"edge-{uuid.uuid4().hex[:6]}"
    token = server.token()
    with server.client(token) as c:
        m1, m2 = make_mic(c, edge_id=edge), make_mic(c, edge_id=edge)
        rule = make_rule(c, include_mic_ids=[m1["id"], m2["id"]])
        with connect(
            server.ws_base + "/api/v1/ws/composite-events",
            additional_headers={"Authorization": f"Bearer {token}"},
        ) as ws:
            assert ws.recv(timeout=5) == "hello"
            ids = [
                post_event(c, m["id"], label_id="normal_speech_female", audio_file="/a.wav")["id"]
                for m in (m1, m2, m1, m2, m1)
            ]
            post_event(c, m1["id"], label_id="crying")  # not in the rule
            composite = next_json(ws)
            with pytest.raises(TimeoutError):
                next_json(ws, timeout=1.0)
        assert composite["group_key"] == f"{edge}:normal_speech_female"
        assert [e["id"] for e in composite["events"]] == ids[:3]
        assert {m["id"] for m in composite["mics"]} == {m1["id"], m2["id"]}
        assert composite["rule"]["id"] == rule["id"]
        assert re.fullmatch(r"[0-9a-f]{32}", composite["id"])
        assert_same_structure(documented_example(), composite)
        assert composite["events"][0]["audio_file"] == {"file_path": "/a.wav"}
        assert composite["events"][0]["read_at"] is None

        stored = c.get(f"/api/v1/composite-events/{composite['id']}").json()
        assert [e["id"] for e in stored["events"]] == ids  # the later two joined the open one
        assert stored["updated_at"] >= composite["updated_at"]
        listed = c.get("/api/v1/composite-events", params={"composite_rule_id": rule["id"]}).json()
        assert listed["total_cnt"] == 1 and listed["results"][0]["id"] == composite["id"]

        c.post(f"/api/v1/events/{ids[0]}/read")
        again = c.get(f"/api/v1/composite-events/{composite['id']}").json()
        assert again["events"][0]["is_read"] is True and again["events"][0]["read_at"]
        assert c.post(f"/api/v1/events/{uuid.uuid4().hex}/read").status_code == 404


def test_list_order_and_time_filters(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c, edge_id=f"e-{uuid.uuid4().hex[:6]}")
        rule = make_rule(c, min_events=1, window_seconds=1, include_label_ids=["glass_break"])
        base = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=10)
        for second in range(3):
            when = (base + timedelta(seconds=second * 2)).isoformat().replace("+00:00", "Z")
            post_event(c, mic["id"], label_id="glass_break", created_at=when)
        params = {"composite_rule_id": rule["id"]}
        desc = c.get("/api/v1/composite-events", params=params).json()["results"]
        asc = c.get("/api/v1/composite-events", params={**params, "order_by": "asc"}).json()
        assert len(desc) == 3 and [x["id"] for x in desc] == [x["id"] for x in asc["results"]][::-1]
        start = desc[1]["created_at"]
        newer = c.get("/api/v1/composite-events", params={**params, "created_at__ge": start}).json()
        assert {x["id"] for x in newer["results"]} == {desc[0]["id"], desc[1]["id"]}
        older = c.get("/api/v1/composite-events", params={**params, "created_at__le": start}).json()
        assert {x["id"] for x in older["results"]} == {desc[1]["id"], desc[2]["id"]}
        r = c.get("/api/v1/composite-events", params={"order_by": "sideways"})
        assert r.status_code == 422 and "order_by" in r.json()["detail"]["message"]


def test_restart_mid_window_yields_exactly_one_composite(fresh_server: Server) -> None:
    fresh_server.start()
    with fresh_server.client() as c:
        mic = make_mic(c, edge_id="edge-01")
        rule = make_rule(c, window_seconds=600, min_events=3)
        first = [post_event(c, mic["id"], label_id="normal_speech_female")["id"] for _ in range(2)]
    fresh_server.restart()
    with fresh_server.client() as c:
        third = post_event(c, mic["id"], label_id="normal_speech_female")["id"]
        fourth = post_event(c, mic["id"], label_id="normal_speech_female")["id"]
        listed = c.get("/api/v1/composite-events", params={"composite_rule_id": rule["id"]}).json()
    assert listed["total_cnt"] == 1
    assert [e["id"] for e in listed["results"][0]["events"]] == first + [third, fourth]
    fresh_server.restart()
    with fresh_server.client() as c:
        post_event(c, mic["id"], label_id="normal_speech_female")
        listed = c.get("/api/v1/composite-events", params={"composite_rule_id": rule["id"]}).json()
    assert listed["total_cnt"] == 1 and len(listed["results"][0]["events"]) == 5


def test_rules_file_loads_at_startup(fresh_server: Server, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - id: glass\n    name: Glass\n    window_seconds: 10\n    min_events: 1\n"
        "    group_by: mic_id\n    include_label_ids: [glass_break]\n"
    )
    fresh_server.start(["--rules", str(rules)])
    with fresh_server.client() as c:
        assert c.get("/api/v1/composite-rules/glass").json()["group_by"] == "mic_id"
        mic = make_mic(c, edge_id="edge-9")
        post_event(c, mic["id"], label_id="glass_break")
        found = c.get("/api/v1/composite-events", params={"composite_rule_id": "glass"}).json()
    assert found["results"][0]["group_key"] == f"edge-9:{mic['id']}"


def test_composite_refused_by_the_database_is_saved_with_the_next_event(
    fresh_server: Server,
) -> None:
    """The event is stored but its composite's insert fails (a trigger stands in for a
    database fault): the composite is not lost, it is saved and streamed with the next event."""
    import sqlite3

    fresh_server.start()
    db = sqlite3.connect(fresh_server.data_dir / "listenpost.db")
    token = fresh_server.token()
    with fresh_server.client(token) as c:
        mic = make_mic(c, edge_id="edge-01")
        rule = make_rule(c, window_seconds=600, min_events=2)
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON composite_events "
            "BEGIN INSERT INTO table_that_is_missing VALUES (1); END"  # an OperationalError
        )
        db.commit()
        first = [post_event(c, mic["id"], label_id="normal_speech_female")["id"] for _ in range(2)]
        params = {"composite_rule_id": rule["id"]}
        assert c.get("/api/v1/composite-events", params=params).json()["total_cnt"] == 0
        db.execute("DROP TRIGGER refuse")
        db.commit()
        with connect(
            f"{fresh_server.ws_base}/api/v1/ws/composite-events?access_token={token}"
        ) as ws:
            assert ws.recv(timeout=5) == "hello"
            third = post_event(c, mic["id"], label_id="normal_speech_female")["id"]
            streamed = next_json(ws)
        listed = c.get("/api/v1/composite-events", params=params).json()
    db.close()
    assert listed["total_cnt"] == 1
    assert [e["id"] for e in listed["results"][0]["events"]] == first + [third]
    assert [e["id"] for e in streamed["events"]] == first + [third]
