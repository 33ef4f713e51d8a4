"""Event ingest, thresholds, listing and validation."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
from helpers import make_mic, post_event
from support import Server


def test_ingest_returns_201_with_event(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        ev = post_event(
            c,
            mic["id"],
            confidence=0.9123459,
            sound_level=71.2,
            noises=[60.0, 61.5],
            description="x",
            audio_file="/a/b.wav",
        )
    assert re.fullmatch(r"[0-9a-f]{32}", ev["id"])
    assert ev["confidence"] == 0.912345
    assert ev["suppressed"] is False
    assert ev["label"] == {
        "id": "scream_female",
        "name": {"ko": "비명(여성)", "en": "scream female"},
    }
    assert ev["mic"] == {"id": mic["id"], "name": mic["name"], "location": mic["location"]}
    assert ev["audio_file"] == {"file_path": "/a/b.wav"}
    assert ev["created_at"].endswith("Z")


def test_threshold_suppresses_and_hides_from_lists(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        c.patch(
            f"/api/v1/mics/{mic['id']}",
            json={"thresholds": {"glass_break": {"sound_level_ge": 65, "confidence": 0.8}}},
        )
        low_conf = post_event(c, mic["id"], label_id="glass_break", confidence=0.5)
        quiet = post_event(c, mic["id"], label_id="glass_break", confidence=0.9, sound_level=50)
        no_level = post_event(c, mic["id"], label_id="glass_break", confidence=0.9)
        other = post_event(c, mic["id"], label_id="crying", confidence=0.1)
        assert (low_conf["suppressed"], quiet["suppressed"]) == (True, True)
        assert (no_level["suppressed"], other["suppressed"]) == (False, False)
        listed = c.get("/api/v1/events", params={"mic_id": mic["id"]}).json()
        assert {e["id"] for e in listed["results"]} == {no_level["id"], other["id"]}
        everything = c.get(
            "/api/v1/events", params={"mic_id": mic["id"], "include_suppressed": "true"}
        ).json()
        assert everything["total_cnt"] == 4


def test_unknown_label_or_mic_is_422(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        r = c.post("/api/v1/events", json={"mic_id": mic["id"], "label_id": "dog", "confidence": 1})
        assert r.status_code == 422 and "label_id" in r.json()["detail"]["message"]
        r = c.post(
            "/api/v1/events", json={"mic_id": "ghost", "label_id": "crying", "confidence": 1}
        )
        assert r.status_code == 422 and "mic_id" in r.json()["detail"]["message"]


def test_wrong_types_and_malformed_json(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        for body, field in (
            ({"mic_id": mic["id"], "label_id": "crying", "confidence": "high"}, "confidence"),
            ({"mic_id": mic["id"], "label_id": "crying", "confidence": 1.5}, "confidence"),
            (
                {"mic_id": mic["id"], "label_id": "crying", "confidence": 1, "noises": "loud"},
                "noises",
            ),
            (
                {"mic_id": mic["id"], "label_id": "crying", "confidence": 1, "created_at": "yday"},
                "created_at",
            ),
        ):
            r = c.post("/api/v1/events", json=body)
            assert r.status_code == 422, body
            assert field in r.json()["detail"]["message"]
        r = c.post(
            "/api/v1/events", content=b"{not json", headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 422
        assert "JSON" in r.json()["detail"]["message"]


def test_oversized_body_is_413(server: Server) -> None:
    with server.client() as c:
        r = c.post(
            "/api/v1/events/batch",
            content=b"[" + b" " * (5 * 1024 * 1024) + b"]",
            headers={"Content-Type": "application/json"},
        )
    assert r.status_code == 413
    assert "too large" in r.json()["detail"]["message"]


def test_oversized_chunked_body_is_413(server: Server) -> None:
    """No Content-Length (a streamed upload): the limit is counted as the body arrives."""

    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(80):
            yield b" " * 65536  # 5 MiB in all, over the 4 MiB limit
        yield b"]"

    with server.client() as c:
        r = c.post(
            "/api/v1/events/batch", content=chunks(), headers={"Content-Type": "application/json"}
        )
    assert r.status_code == 413
    assert r.json()["detail"]["message"] == "request body too large: the limit is 4194304 bytes"


def test_batch_is_ordered_and_all_or_nothing(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        items = [
            {"mic_id": mic["id"], "label_id": "crying", "confidence": i / 10} for i in range(5)
        ]
        r = c.post("/api/v1/events/batch", json={"events": items})
        assert r.status_code == 201
        assert [e["confidence"] for e in r.json()["data"]] == [0.0, 0.1, 0.2, 0.3, 0.4]
        bad = items + [{"mic_id": mic["id"], "label_id": "unknown", "confidence": 0.5}]
        r = c.post("/api/v1/events/batch", json={"events": bad})
        assert r.status_code == 422
        assert "events[5]" in r.json()["detail"]["message"]
        assert c.get("/api/v1/events", params={"mic_id": mic["id"]}).json()["total_cnt"] == 5
        r = c.post("/api/v1/events/batch", json={"events": items * 201})
        assert r.status_code == 422


def test_batch_answer_is_each_event_as_stored(server: Server) -> None:
    """The batch's answer (encoded straight to bytes; validated on the fast path when the
    body holds no escaped NUL) is each event exactly as GET serves it, every field kept."""
    with server.client() as c:
        mic = make_mic(c)
        # the second description is a backslash then "u0000", not a NUL: its body holds
        # the six bytes of an escaped NUL, so it takes the full check, and passes
        for description in ("kitchen \u00e9", "kitchen \\u0000"):
            full = {
                "mic_id": mic["id"],
                "label_id": "glass_break",
                "confidence": 0.9876543,
                "sound_level": 71.25,
                "noises": [1.5, 0.0, 200.0],
                "description": description,
                "audio_file": "a/b.wav",
                "created_at": "2026-03-26T09:00:00.123456Z",
            }
            items = [full, {"mic_id": mic["id"], "label_id": "crying", "confidence": 0.5}]
            r = c.post("/api/v1/events/batch", json={"events": items})
            assert r.status_code == 201 and r.headers["content-type"] == "application/json"
            answered = r.json()["data"]
            assert [c.get(f"/api/v1/events/{e['id']}").json() for e in answered] == answered
            first = answered[0]
            assert first["description"] == description and first["noises"] == full["noises"]
            assert first["audio_file"] == {"file_path": "a/b.wav"}
            assert first["sound_level"] == 71.25 and first["confidence"] == 0.987654


def test_list_filters_order_and_paging(server: Server) -> None:
    with server.client() as c:
        a, b = make_mic(c), make_mic(c)
        times = ["2026-03-26T09:00:00Z", "2026-03-26T09:00:01Z", "2026-03-26T09:00:02Z"]
        ids = [post_event(c, a["id"], created_at=t, label_id="crying")["id"] for t in times]
        other = post_event(c, b["id"], created_at=times[1], label_id="glass_break")["id"]
        page = c.get("/api/v1/events", params={"mic_id": [a["id"], b["id"]], "size": 10}).json()
        assert [e["id"] for e in page["results"]] == [ids[2], other, ids[1], ids[0]] or [
            e["id"] for e in page["results"]
        ] == [ids[2], ids[1], other, ids[0]]
        page = c.get(
            "/api/v1/events", params={"mic_id": [a["id"], b["id"]], "label_id": "glass_break"}
        ).json()
        assert [e["id"] for e in page["results"]] == [other]
        page = c.get(
            "/api/v1/events", params={"mic_id": a["id"], "start": times[1], "end": times[2]}
        ).json()
        assert [e["id"] for e in page["results"]] == [ids[2], ids[1]]
        seen = []
        for p in (1, 2):
            body = c.get(
                "/api/v1/events", params={"mic_id": [a["id"], b["id"]], "size": 2, "page": p}
            ).json()
            assert body["max_page"] == 2 and body["total_cnt"] == 4
            seen += [e["id"] for e in body["results"]]
        assert sorted(seen) == sorted(ids + [other])


def test_get_event_bare_and_404(server: Server) -> None:
    with server.client() as c:
        ev = post_event(c, make_mic(c)["id"])
        got = c.get(f"/api/v1/events/{ev['id']}").json()
        assert got["id"] == ev["id"] and "data" not in got
        r = c.get(f"/api/v1/events/{uuid.uuid4().hex}")
        assert r.status_code == 404 and "not found" in r.json()["detail"]["message"]


def test_paging_validation(server: Server) -> None:
    with server.client() as c:
        for params, field in (
            ({"page": 0}, "page"),
            ({"size": 0}, "size"),
            ({"size": 101}, "size"),
            ({"page": "x"}, "page"),
            ({"start": "not-a-date"}, "start"),
        ):
            r = c.get("/api/v1/events", params=params)
            assert r.status_code == 422, params
            assert field in r.json()["detail"]["message"]
        assert c.get("/api/v1/mics", params={"size": 100}).status_code == 200


def test_public_endpoints(server: Server) -> None:
    assert httpx.get(server.base + "/health").json()["status"] == "ok"
    assert "swagger" in httpx.get(server.base + "/docs").text.lower()
    assert "/api/v1/events" in httpx.get(server.base + "/openapi.json").json()["paths"]
    text = httpx.get(server.base + "/metrics").text
    assert "listenpost_events_ingested_total" in text


def test_rate_limit(fresh_server: Server) -> None:
    fresh_server.start(["--rate-limit", "3/s,1000/min"])
    with fresh_server.client() as c:
        codes = [c.get("/api/v1/labels").status_code for _ in range(6)]
        assert 429 in codes and codes[:3] == [200, 200, 200]
        body = next(r for r in (c.get("/api/v1/labels") for _ in range(3)) if r.status_code == 429)
        detail = body.json()["detail"]
        assert detail["limit"] == 3 and detail["remaining"] == 0 and "reset" in detail
        assert "Rate limit exceeded" in detail["message"]
        assert c.get("/api/v1/mics").status_code == 200  # another endpoint, its own counter
    assert httpx.get(fresh_server.base + "/health").status_code == 200
