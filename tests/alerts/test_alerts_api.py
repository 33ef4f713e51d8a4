"""Alert rules, targets and alerts through a real server (SQLite and PostgreSQL)."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from alert_helpers import (
    alerts_of,
    make_key,
    make_mic,
    make_rule,
    make_target,
    next_json,
    post_event,
    wait_for,
)
from support import Server
from websockets.sync.client import connect


def test_rule_crud_and_validation_names_the_field(server: Server) -> None:
    with server.client() as c:
        target = make_target(c, kind="webhook", url="http://127.0.0.1:9/hook")
        assert target["secret"].startswith("whsec_")  # generated, shown once
        shown = c.get(f"/api/v1/alert-targets/{target['id']}").json()
        assert "secret" not in shown and shown["has_secret"] is True
        rule = make_rule(
            c,
            id=f"r-{uuid.uuid4().hex[:6]}",
            match={"label_ids": ["scream_female"], "min_confidence": 0.8},
            cooldown_seconds=60,
            schedule={"timezone": "Europe/Berlin", "days": ["mon", "fri"], "from": "22:00"},
            target_ids=[target["id"]],
        )
        url = f"/api/v1/alert-rules/{rule['id']}"
        assert c.get(url).json() == rule
        patched = c.patch(url, json={"enabled": False, "cooldown_seconds": 5}).json()
        assert patched["enabled"] is False and patched["cooldown_seconds"] == 5
        assert patched["match"] == rule["match"]
        listed = c.get("/api/v1/alert-rules", params={"size": 100}).json()
        assert rule["id"] in [r["id"] for r in listed["results"]]
        for body, field in (
            ({"match": {"min_confidence": 2}}, "match.min_confidence"),
            ({"match": {"label_ids": ["barking"]}}, "match.label_ids"),
            ({"match": {"talkgroups": [1]}}, "match.talkgroups"),
            ({"count": {"min_events": 0, "window_seconds": 60}}, "count.min_events"),
            ({"count": {"min_events": 2, "window_seconds": 9, "group_by": ["talkgroup"]}},
             "count.group_by"),
            ({"schedule": {"timezone": "Mars/Olympus"}}, "schedule.timezone"),
            ({"schedule": {"from": "25:00"}}, "schedule.from"),
            ({"cooldown_seconds": -1}, "cooldown_seconds"),
            ({"target_ids": ["nope"]}, "target_ids"),
            (
                {"source": "radio", "match": {}, "realert_above_confidence": 0.9},
                "realert_above_confidence",
            ),
            ({"source": "silence", "match": {"kind": "mic"}}, "match.for_seconds"),
            (
                {"count": {"min_events": 2, "window_seconds": 9, "group_by": ["mic", "mic"]}},
                "count.group_by: a field is listed twice",
            ),
            ({"schedule": {"timezone": "UTC", "from": "08:00", "to": "08:00"}}, "schedule.to"),
            (
                {
                    "source": "silence",
                    "match": {"kind": "mic", "for_seconds": 60},
                    "count": {"min_events": 2, "window_seconds": 60},
                },
                "cannot count",
            ),
            (
                {"source": "silence", "match": {"kind": "decode_rate", "for_seconds": 60}},
                "match.below",
            ),
            ({"colour": "red"}, "colour"),
        ):
            r = c.patch(url, json=body)
            assert r.status_code == 422 and field in r.json()["detail"]["message"], (body, r.text)
        r = c.post("/api/v1/alert-rules", json={"source": "sound"})
        assert r.status_code == 422 and "name" in r.text
        r = c.post("/api/v1/alert-targets", json={"name": "m", "kind": "mqtt", "url": "mqtt://x"})
        assert r.status_code == 422 and "topic" in r.json()["detail"]["message"]
        r = c.post("/api/v1/alert-targets", json={"name": "a", "kind": "apprise", "url": "nope"})
        assert r.status_code == 422 and "url" in r.json()["detail"]["message"]
        mqtt = {"name": "m", "kind": "mqtt", "url": "mqtt://127.0.0.1", "topic": "lp/a"}
        for fields, message in (
            ({"topic": "lp/#"}, "topic: a publish topic may not contain + or #"),
            ({"url": "http://127.0.0.1"}, "url: unsupported MQTT URL scheme"),
            ({"secret": "s" * 8}, "secret: only webhook targets are signed"),
            ({"kind": "webhook", "url": "http://127.0.0.1:9/"}, "topic: only mqtt targets"),
        ):
            r = c.post("/api/v1/alert-targets", json={**mqtt, **fields})
            assert r.status_code == 422 and message in r.json()["detail"]["message"], r.text
        assert c.delete(url).status_code == 204 and c.get(url).status_code == 404
        target_url = f"/api/v1/alert-targets/{target['id']}"
        to_mqtt = {"kind": "mqtt", "url": "mqtt://127.0.0.1", "topic": "lp/a"}
        moved = c.patch(target_url, json=to_mqtt)
        assert moved.status_code == 200 and moved.json()["has_secret"] is False, moved.text
        back = c.patch(target_url, json={"kind": "webhook", "url": "http://127.0.0.1:9/"})
        assert back.status_code == 200 and back.json()["topic"] is None, back.text
        target_url = f"/api/v1/alert-targets/{target['id']}"
        assert c.delete(target_url).status_code == 204 and c.get(target_url).status_code == 404


def test_sound_rule_fires_once_per_matching_event(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        rule = make_rule(c, match={"mic_ids": [mic["id"]], "min_confidence": 0.8})
        kept = [post_event(c, mic["id"], confidence=conf)["id"] for conf in (0.9, 0.5, 0.8)]
        post_event(c, mic["id"], label_id="crying", confidence=0.99)  # another label: fires too
        found = wait_for(lambda: len(alerts_of(c, rule["id"])) >= 3 and alerts_of(c, rule["id"]))
        events = sorted(a["events"][0]["event_id"] for a in found)
        assert len(found) == 3 and kept[1] not in events and kept[0] in events
        assert all(a["state"] == "new" and a["repeat_count"] == 0 for a in found)
        assert all(a["rule"]["id"] == rule["id"] for a in found)
        one = c.get(f"/api/v1/alerts/{found[0]['id']}").json()
        assert one == found[0]
        assert c.get("/api/v1/alerts/nope").status_code == 404
        assert c.get("/api/v1/alerts", params={"source": "radio", "rule_id": rule["id"]}).json()[
            "total_cnt"
        ] == 0
        assert c.get("/api/v1/alerts", params={"start": "yesterday"}).status_code == 422


def test_cooldown_counts_repeats_and_is_streamed(server: Server) -> None:
    token = server.token()
    with server.client(token) as c:
        mic = make_mic(c)
        make_rule(
            c, match={"mic_ids": [mic["id"]]}, cooldown_seconds=3600, realert_above_confidence=0.95
        )
        with connect(
            server.ws_base + "/api/v1/ws/alerts",
            additional_headers={"Authorization": f"Bearer {token}"},
        ) as ws:
            assert ws.recv(timeout=5) == "hello"
            for conf in (0.9, 0.8, 0.85):
                post_event(c, mic["id"], confidence=conf)
            frames = [next_json(ws) for _ in range(3)]
            assert [f["repeat_count"] for f in frames] == [0, 1, 2]
            assert len({f["id"] for f in frames}) == 1
            post_event(c, mic["id"], confidence=0.97)  # more sure: a new alert
            louder = next_json(ws)
            assert louder["id"] != frames[0]["id"] and louder["repeat_count"] == 0
        stored = c.get(f"/api/v1/alerts/{frames[0]['id']}").json()
        assert stored == frames[-1]


def test_ack_and_resolve_need_admin_and_are_streamed_with_the_key_name(server: Server) -> None:
    name = f"ops-{uuid.uuid4().hex[:6]}"
    admin = server.token(make_key(server, name, "admin"))
    reader = server.token(make_key(server, f"console-{uuid.uuid4().hex[:6]}", "read"))
    with server.client(admin) as c, server.client(reader) as r:
        mic = make_mic(c)
        rule = make_rule(c, match={"mic_ids": [mic["id"]]})
        post_event(c, mic["id"])
        alert = wait_for(lambda: alerts_of(c, rule["id"]))[0]
        assert r.get(f"/api/v1/alerts/{alert['id']}").status_code == 200
        for action in ("ack", "resolve"):
            assert r.post(f"/api/v1/alerts/{alert['id']}/{action}").status_code == 403
        new_rule = {"name": "x", "source": "sound"}
        assert r.post("/api/v1/alert-rules", json=new_rule).status_code == 403
        assert r.get("/api/v1/alert-targets").status_code == 403  # targets hold secrets
        with connect(
            f"{server.ws_base}/api/v1/ws/alerts?access_token={reader}"
        ) as ws:
            assert ws.recv(timeout=5) == "hello"
            acked = c.post(f"/api/v1/alerts/{alert['id']}/ack").json()
            assert next_json(ws) == acked
            assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == name
            assert c.post(f"/api/v1/alerts/{alert['id']}/ack").status_code == 409
            resolved = c.post(f"/api/v1/alerts/{alert['id']}/resolve").json()
            assert next_json(ws) == resolved
            assert resolved["resolved_by"] == name and resolved["acknowledged_by"] == name
        assert c.get(f"/api/v1/alerts/{alert['id']}").json() == resolved
        states = c.get("/api/v1/alerts", params={"state": "resolved", "rule_id": rule["id"]})
        assert states.json()["total_cnt"] == 1
        assert c.post("/api/v1/alerts/nope/ack").status_code == 404


def test_alert_stream_needs_a_token(server: Server) -> None:
    with pytest.raises(Exception, match="403|401"):
        with connect(server.ws_base + "/api/v1/ws/alerts") as ws:
            ws.recv(timeout=5)
    assert httpx.get(server.base + "/api/v1/alerts").status_code in (401, 403)


def test_rules_file_loads_alert_targets_and_rules(fresh_server: Server, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "alert_targets:\n"
        "  - {id: ops-hook, name: ops, kind: webhook, url: 'http://127.0.0.1:9/',\n"
        "     secret: s3cr3t-value}\n"
        "alert_rules:\n"
        "  - {id: any-scream, name: Scream, source: sound, target_ids: [ops-hook],\n"
        "     match: {label_ids: [scream_female]}}\n"
    )
    fresh_server.start(["--rules", str(rules)])
    with fresh_server.client() as c:
        assert c.get("/api/v1/alert-rules/any-scream").json()["target_ids"] == ["ops-hook"]
        assert c.get("/api/v1/alert-targets/ops-hook").json()["has_secret"] is True
    fresh_server.stop()
    rules.write_text("alert_rules:\n  - {id: bad, name: b, source: sound, match: {x: 1}}\n")
    with pytest.raises(RuntimeError, match="alert_rules"):
        fresh_server.start(["--rules", str(rules)])


def test_composite_rule_fires_once_per_composite(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        composite_rule = c.post(
            "/api/v1/composite-rules",
            json={"name": "pair", "window_seconds": 60, "min_events": 2, "group_by": "mic_id",
                  "include_mic_ids": [mic["id"]]},
        ).json()
        rule = make_rule(c, source="composite", match={"rule_ids": [composite_rule["id"]]})
        for _ in range(3):  # the third joins the open composite: still one alert
            post_event(c, mic["id"])
        [alert] = wait_for(lambda: alerts_of(c, rule["id"]))
        [composite] = c.get(
            "/api/v1/composite-events", params={"composite_rule_id": composite_rule["id"]}
        ).json()["results"]
        assert alert["events"][0]["composite_id"] == composite["id"]
        assert alert["events"][0]["rule_id"] == composite_rule["id"]
        assert alert["source"] == "composite"


def test_an_open_alerts_cooldown_survives_a_restart(fresh_server: Server) -> None:
    """After a restart the same trouble is still one alert: the repeat is counted on the
    stored alert (its cooldown was restored), not raised as a new one."""
    fresh_server.start()
    with fresh_server.client() as c:
        mic = make_mic(c)
        rule = make_rule(c, match={"mic_ids": [mic["id"]]}, cooldown_seconds=3600)
        post_event(c, mic["id"], confidence=0.9)
        [first] = wait_for(lambda: alerts_of(c, rule["id"]))
    fresh_server.restart()
    with fresh_server.client() as c:
        post_event(c, mic["id"], confidence=0.8)
        [again] = wait_for(
            lambda: [a for a in alerts_of(c, rule["id"]) if a["repeat_count"] == 1]
        )
        assert again["id"] == first["id"] and len(alerts_of(c, rule["id"])) == 1
