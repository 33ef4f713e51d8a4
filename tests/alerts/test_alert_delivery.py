"""Alert delivery to real receivers: signed webhooks, Apprise (json:// and mailto:// to a
local SMTP server), MQTT on Mosquitto; outages, restarts and a slow target."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alert_helpers import alerts_of, make_mic, make_rule, make_target, post_event, wait_for
from promtext import metric
from receivers import Receiver, Smtp
from support import Server, create_pg_database


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[Server]:
    """A server retrying at most 1 s apart, so outages end quickly in tests."""
    server = Server(tmp_path / "srv", LISTENPOST_ALERT_RETRY_MAX_DELAY="1")
    yield server
    server.stop()


def deliveries(c: httpx.Client, alert_id: str) -> list[dict[str, Any]]:
    return list(c.get(f"/api/v1/alerts/{alert_id}/deliveries").json()["deliveries"])


def fire(c: httpx.Client, targets: list[str], n: int = 1) -> list[str]:
    """A rule sending to `targets`, fired by `n` events; returns the alert ids."""
    mic = make_mic(c)
    rule = make_rule(c, match={"mic_ids": [mic["id"]]}, target_ids=targets)
    for _ in range(n):
        post_event(c, mic["id"])
    found = wait_for(lambda: len(alerts_of(c, rule["id"])) == n and alerts_of(c, rule["id"]))
    return sorted(a["id"] for a in found)


def test_webhook_is_signed_and_every_attempt_is_listed(srv: Server) -> None:
    receiver = Receiver().start()
    try:
        srv.start()
        with srv.client() as c:
            target = make_target(c, name="ops", kind="webhook", url=receiver.url)
            receiver.secret = target["secret"]
            [alert_id] = fire(c, [target["id"]])
            wait_for(lambda: receiver.ids() == [alert_id])
            assert receiver.refused == 0
            assert receiver.bodies[0] == c.get(f"/api/v1/alerts/{alert_id}").json()
            [delivery] = wait_for(lambda: deliveries(c, alert_id))
            assert delivery["target_id"] == target["id"] and delivery["target_name"] == "ops"
            assert delivery["status"] == "delivered"
            assert delivery["attempts"][0]["status"] == "ok"
            # a receiver checking another secret refuses it: a failed attempt with its reason
            receiver.secret = "not-the-secret"
            [second] = fire(c, [target["id"]])
            wait_for(lambda: len(deliveries(c, second)[0]["attempts"]) >= 2)
            shown = deliveries(c, second)[0]
            assert shown["status"] == "pending" and "HTTP 401" in shown["attempts"][0]["error"]
            name = "listenpost_alert_delivery_attempts_total"
            assert metric(srv.base, name, kind="webhook", result="ok") >= 1
            assert metric(srv.base, name, kind="webhook", result="error") >= 2
    finally:
        receiver.stop()


def test_target_down_gets_every_alert_once_back_even_across_a_restart(srv: Server) -> None:
    receiver = Receiver()  # not started: the target is down
    srv.start()
    with srv.client() as c:
        target = make_target(c, kind="webhook", url=receiver.url, secret="a-shared-secret")
        receiver.secret = "a-shared-secret"
        ids = fire(c, [target["id"]], n=3)
        # deliveries to one target go out in order: the oldest is retried, the rest wait
        wait_for(lambda: any(deliveries(c, a)[0]["attempts"] for a in ids))
        assert all(deliveries(c, a)[0]["status"] == "pending" for a in ids)
    srv.stop()
    receiver.start()
    try:
        srv.start()
        wait_for(lambda: sorted(set(receiver.ids())) == ids)
        with srv.client() as c:
            for alert_id in ids:
                [shown] = wait_for(lambda a=alert_id: deliveries(c, a))
                wait_for(lambda a=alert_id: deliveries(c, a)[0]["status"] == "delivered")
                assert deliveries(c, alert_id)[0]["attempts"][-1]["status"] == "ok"
            # down again while running, then back: the next alerts arrive too
            receiver.stop()
            more = fire(c, [target["id"]], n=2)
            wait_for(lambda: any(deliveries(c, a)[0]["attempts"] for a in more))
            receiver.start()
            wait_for(lambda: set(more) <= set(receiver.ids()))
        assert sorted(set(receiver.ids())) == sorted(ids + more)
    finally:
        receiver.stop()


def test_a_slow_target_does_not_delay_another(srv: Server) -> None:
    slow, fast = Receiver(), Receiver()
    slow.gate.clear()  # the slow receiver holds every request until the test lets it go
    slow.start()
    fast.start()
    try:
        srv.start()
        with srv.client() as c:
            t_slow = make_target(c, name="slow", kind="webhook", url=slow.url)
            t_fast = make_target(c, name="fast", kind="webhook", url=fast.url)
            ids = fire(c, [t_slow["id"], t_fast["id"]], n=3)
            wait_for(lambda: sorted(fast.ids()) == ids)
            assert slow.ids() == []  # still holding the first request
            slow.gate.set()
            wait_for(lambda: set(slow.ids()) == set(ids))
    finally:
        slow.gate.set()
        slow.stop()
        fast.stop()


def test_apprise_json_and_mailto(srv: Server) -> None:
    receiver = Receiver().start()
    try:
        with Smtp() as smtp:
            srv.start()
            with srv.client() as c:
                json_target = make_target(
                    c, name="json", kind="apprise", url=f"json://127.0.0.1:{receiver.port}/hook"
                )
                mail = make_target(
                    c,
                    name="mail",
                    kind="apprise",
                    url=f"mailto://127.0.0.1:{smtp.port}?from=alerts@example.com"
                    "&to=ops@example.com&mode=insecure",
                )
                [alert_id] = fire(c, [json_target["id"], mail["id"]])
                [notice] = wait_for(lambda: receiver.bodies)
                assert alert_id in notice["message"] and notice["title"].startswith("listenpost")
                assert "scream_female" in notice["message"]
                [message] = wait_for(lambda: smtp.messages)
                assert b"To: ops@example.com" in message and alert_id.encode() in message
                wait_for(lambda: {d["status"] for d in deliveries(c, alert_id)} == {"delivered"})
    finally:
        receiver.stop()


def test_mqtt_target_publishes_the_alert_with_qos1_and_home_assistant_discovery(
    srv: Server,
) -> None:
    from radio_helpers import mqtt_subscriber

    topic = f"lpt-alerts-{uuid.uuid4().hex[:8]}"
    with mqtt_subscriber([f"{topic}/#", topic, "homeassistant/binary_sensor/#"]) as received:
        srv.start()
        with srv.client() as c:
            target = make_target(
                c,
                name="broker",
                kind="mqtt",
                url="mqtt://127.0.0.1:1883",
                topic=topic,
                ha_discovery=True,
            )
            [alert_id] = fire(c, [target["id"]])
            wait_for(lambda: topic in received)
            alert = json.loads(received[topic])
            assert alert == c.get(f"/api/v1/alerts/{alert_id}").json()
            rule_id = alert["rule_id"]
            config_topic = f"homeassistant/binary_sensor/listenpost_{rule_id}/config"
            wait_for(lambda: config_topic in received and f"{topic}/{rule_id}/state" in received)
            config = json.loads(received[config_topic])
            assert config["state_topic"] == f"{topic}/{rule_id}/state"
            assert received[f"{topic}/{rule_id}/state"] == b"ON"


def test_mqtt_target_without_a_url_publishes_through_the_servers_broker(
    tmp_path: Path,
) -> None:
    from radio_helpers import mqtt_subscriber

    topic = f"lpt-alerts-{uuid.uuid4().hex[:8]}"
    srv = Server(
        tmp_path / "srv",
        LISTENPOST_MQTT_URL="mqtt://127.0.0.1:1883",
        LISTENPOST_MQTT_TOPICS=f"{topic}-radio/#",  # ingests nothing anyone else publishes
    )
    try:
        with mqtt_subscriber([topic]) as received:
            srv.start()
            with srv.client() as c:
                target = make_target(c, name="broker", kind="mqtt", topic=topic)
                assert target["url"] is None
                [alert_id] = fire(c, [target["id"]])
                wait_for(lambda: topic in received)
                assert json.loads(received[topic])["id"] == alert_id
    finally:
        srv.stop()


def test_an_apprise_target_that_cannot_be_reached_is_a_failed_attempt_with_its_reason(
    srv: Server,
) -> None:
    srv.start()
    with srv.client() as c:
        url = Receiver().url.replace("http://", "json://")  # nobody listens there
        target = make_target(c, name="ops", kind="apprise", url=url)
        [alert_id] = fire(c, [target["id"]])
        [attempt] = wait_for(lambda: deliveries(c, alert_id)[0]["attempts"][:1])
        assert attempt["status"] != "ok"
        assert attempt["error"].startswith("Apprise could not notify"), attempt


def test_nodes_sharing_postgresql_send_each_alert_once(tmp_path: Path) -> None:
    url, drop = create_pg_database()
    receiver = Receiver().start()
    retry = {"LISTENPOST_ALERT_RETRY_MAX_DELAY": "1"}
    nodes = [Server(tmp_path / f"node{i}", url, **retry) for i in (0, 1)]
    try:
        nodes[0].start()
        with nodes[0].client() as c0:
            target = make_target(c0, kind="webhook", url=receiver.url)
            mic = make_mic(c0)
            rule = make_rule(c0, match={"mic_ids": [mic["id"]]}, target_ids=[target["id"]])
        nodes[1].start()  # reads the rule and the target at start
        with nodes[0].client() as c0, nodes[1].client() as c1:
            for c in (c0, c1, c0, c1, c1):  # each node evaluates what it ingests
                post_event(c, mic["id"])
            found = wait_for(
                lambda: len(alerts_of(c0, rule["id"])) == 5 and alerts_of(c0, rule["id"])
            )
            ids = {a["id"] for a in found}
            wait_for(lambda: set(receiver.ids()) == ids)
            for alert_id in ids:
                wait_for(lambda a=alert_id: deliveries(c1, a)[0]["status"] == "delivered")
        assert sorted(receiver.ids()) == sorted(ids)  # each exactly once
    finally:
        for node in nodes:
            node.stop()
        receiver.stop()
        drop()


def test_a_delivery_older_than_the_maximum_age_is_given_up(tmp_path: Path) -> None:
    server = Server(tmp_path / "srv", LISTENPOST_ALERT_DELIVERY_MAX_AGE="2",
                    LISTENPOST_ALERT_RETRY_MAX_DELAY="1")
    try:
        server.start()
        with server.client() as c:
            target = make_target(c, kind="webhook", url=Receiver().url)  # nobody listens
            [alert_id] = fire(c, [target["id"]])
            [shown] = wait_for(
                lambda: [d for d in deliveries(c, alert_id) if d["status"] == "expired"]
            )
            assert "older than 2 s" in shown["last_error"] and shown["attempts"]
            assert shown["next_attempt_at"] is None
            name = "listenpost_alert_deliveries_expired_total"
            assert metric(server.base, name, kind="webhook") == 1
    finally:
        server.stop()
