"""Microphones: register, list with filters, get, partial update with thresholds, soft delete."""

from __future__ import annotations

import uuid

from helpers import make_mic
from support import Server


def test_create_returns_full_mic_object(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(
            c,
            host="172.16.10.21",
            microphone_type="PDM_715IP",
            channel={"scheme": "rtsp", "port": 554, "path": "/stream"},
            console={
                "scheme": "http",
                "port": 80,
                "path": "/",
                "username": "admin",
                "password": "secret",
            },
        )
    for field in (
        "id",
        "name",
        "host",
        "subnet_mask",
        "mac_address",
        "microphone_type",
        "channel",
        "console",
        "streaming",
        "recording",
        "edge_id",
        "location",
        "status",
        "thresholds",
        "created_at",
        "updated_at",
        "deleted_at",
        "reported_at",
        "connected",
    ):
        assert field in mic
    assert mic["console"]["password"] == "********"
    assert mic["channel"]["password"] is None
    assert mic["created_at"].endswith("Z")
    assert mic["status"] == "active"


def test_client_chosen_id_and_duplicate_conflict(server: Server) -> None:
    mic_id = f"mic_{uuid.uuid4().hex[:8]}"
    with server.client() as c:
        assert make_mic(c, id=mic_id)["id"] == mic_id
        r = c.post("/api/v1/mics", json={"id": mic_id, "name": "again"})
        assert r.status_code == 409
        assert mic_id in r.json()["detail"]["message"]
        r = c.post("/api/v1/mics", json={"id": "bad id!", "name": "x"})
        assert r.status_code == 422


def test_list_filters_by_name_substring_and_edge(server: Server) -> None:
    tag = uuid.uuid4().hex[:8]
    edge = f"edge-{tag}"
    with server.client() as c:
        make_mic(c, name=f"Lobby {tag}", edge_id=edge)
        make_mic(c, name=f"Hall {tag}", edge_id=edge)
        make_mic(c, name=f"Lobby {tag}", edge_id="other")
        page = c.get("/api/v1/mics", params={"name": f"lobby {tag}"}).json()
        assert page["total_cnt"] == 2
        page = c.get("/api/v1/mics", params={"edge_id": edge, "size": 1}).json()
        assert (page["total_cnt"], page["max_page"], len(page["results"])) == (2, 2, 1)
        page2 = c.get("/api/v1/mics", params={"edge_id": edge, "size": 1, "page": 2}).json()
        assert page2["results"][0]["id"] != page["results"][0]["id"]


def test_patch_thresholds_accepts_both_forms_and_merges(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        url = f"/api/v1/mics/{mic['id']}"
        r = c.patch(
            url,
            json={"thresholds": {"breathing_heavily": {"sound_level_ge": 65, "confidence": 0.8}}},
        )
        assert r.status_code == 200
        r = c.patch(url, json={"thresholds": {"breathing_heavily": 0.5, "screem_male": 0.3}})
        th = r.json()["data"]["thresholds"]
        assert th["breathing_heavily"] == {"sound_level_ge": 65, "confidence": 0.5}
        assert th["scream_male"] == {"sound_level_ge": None, "confidence": 0.3}
        r = c.patch(url, json={"thresholds": {"breathing_heavily": {"confidence": None}}})
        th = r.json()["data"]["thresholds"]  # the object form changes only what it names
        assert th["breathing_heavily"] == {"sound_level_ge": 65, "confidence": None}
        r = c.patch(url, json={"name": "Renamed", "status": "inactive"})
        data = r.json()["data"]
        assert data["name"] == "Renamed" and data["status"] == "inactive"
        assert data["thresholds"] == th
        assert c.get(url).json()["data"]["name"] == "Renamed"


def test_patch_rejects_bad_values_with_field_names(server: Server) -> None:
    with server.client() as c:
        url = f"/api/v1/mics/{make_mic(c)['id']}"
        for body, field in (
            ({"thresholds": {"glass_break": 2}}, "glass_break"),
            ({"thresholds": {"not_a_label": 0.5}}, "not_a_label"),
            ({"thresholds": {"glass_break": "high"}}, "glass_break: must be a number"),
            ({"thresholds": {"glass_break": {"loudness": 3}}}, "loudness"),
            ({"status": "sleeping"}, "status"),
            ({"location": {"latitude": 91, "longitude": 0}}, "latitude"),
            ({"name": 5}, "name"),
        ):
            r = c.patch(url, json=body)
            assert r.status_code == 422, body
            assert field in r.json()["detail"]["message"]


def test_unknown_mic_is_404(server: Server) -> None:
    with server.client() as c:
        for method in ("GET", "PATCH", "DELETE"):
            r = c.request(method, "/api/v1/mics/nope", json={} if method == "PATCH" else None)
            assert r.status_code == 404
            assert "nope" in r.json()["detail"]["message"]


def test_delete_is_soft(server: Server) -> None:
    tag = uuid.uuid4().hex
    with server.client() as c:
        mic = make_mic(c, name=tag)
        r = c.delete(f"/api/v1/mics/{mic['id']}")
        assert r.status_code == 200 and r.json()["data"]["deleted_at"]
        assert c.get(f"/api/v1/mics/{mic['id']}").status_code == 404
        assert c.get("/api/v1/mics", params={"name": tag}).json()["total_cnt"] == 0


def test_labels_lists_the_thirteen(server: Server) -> None:
    with server.client() as c:
        labels = c.get("/api/v1/labels").json()["data"]
    assert len(labels) == 13
    speech = next(x for x in labels if x["id"] == "normal_speech_female")
    assert speech["name"] == {"ko": "대화(여성)", "en": "normal speech female"}
    assert speech["active"] is True
