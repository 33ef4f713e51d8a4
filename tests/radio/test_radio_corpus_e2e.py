"""The real-capture corpus replayed through Mosquitto into a running server: nothing refused,
nothing counted as an error, and the REST views hold what the messages said."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus import corpus_messages, shared_messages
from mqtt_support import RadioServer, forget_session, publish, wait_for

from listenpost.radio.normalise import normalise
from listenpost.radio.records import (
    ActiveCalls,
    AudioRecord,
    CallRecord,
    RateRecord,
    SystemInfo,
    UnitEventRecord,
)

# The shared set's audio carries the documentation's placeholder base64 ("ABgAwP9AAM...="),
# which is not audio anyone sent: it is counted as audio_decode by design.
MESSAGES = [m for m in corpus_messages() + shared_messages() if m[0] != "shared/audio.json"]


@pytest.fixture
def radio(tmp_path: Path) -> Iterator[RadioServer]:
    srv = RadioServer(tmp_path / "radio")
    yield srv
    srv.stop()
    forget_session(srv.client_id)


def metric_samples(base: str, name: str) -> dict[str, float]:
    text = httpx.get(base + "/metrics").text
    pattern = re.compile(rf"^{name}(\{{[^}}]*\}})? (\S+)$", re.M)
    return {labels or "": float(value) for labels, value in pattern.findall(text)}


def every(c: httpx.Client, path: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    page = 1
    while True:
        body = c.get(path, params={"page": page, "size": 100}).json()
        out += body["results"]
        if len(out) >= body["total_cnt"] or not body["results"]:
            return out
        page += 1


def expected() -> tuple[int, dict[str, set[Any]]]:
    """Record count and what the REST views must hold, from the normaliser's records."""
    count = 0
    want: dict[str, set[Any]] = {"systems": set(), "talkgroups": set(), "units": set()}
    for _, topic, payload in MESSAGES:
        records = normalise(topic, payload)
        count += len(records)
        for rec in records:
            calls = rec.calls if isinstance(rec, ActiveCalls) else (rec,)
            for item in calls:
                if isinstance(item, SystemInfo | RateRecord | CallRecord | AudioRecord):
                    want["systems"].add(item.sys_name)
                if isinstance(item, CallRecord | AudioRecord):
                    want["talkgroups"].add(item.talkgroup)
                if isinstance(item, UnitEventRecord):
                    want["systems"].add(item.sys_name)
                    want["units"].add(item.unit)
    return count, want


def test_corpus_replay_is_stored_without_a_single_error(radio: RadioServer) -> None:
    count, want = expected()
    radio.start()
    token = radio.token()
    publish([(f"{radio.prefix}/{topic}", payload) for _, topic, payload in MESSAGES])

    def processed() -> bool:
        return sum(metric_samples(radio.base, "listenpost_radio_messages_total").values()) >= count

    wait_for(processed, timeout=120)
    errors = metric_samples(radio.base, "listenpost_radio_errors_total")
    assert {k: v for k, v in errors.items() if v} == {}
    assert "skipped MQTT message" not in radio.log.read_text()

    with radio.client(token) as c:
        systems = {s["short_name"] for s in every(c, "/api/v1/systems")}
        assert want["systems"] <= systems
        tgids = {t["tgid"] for t in every(c, "/api/v1/talkgroups")}
        assert want["talkgroups"] <= tgids
        units = {u["unit_id"] for u in every(c, "/api/v1/units")}
        assert want["units"] <= units
        calls = every(c, "/api/v1/calls")
        assert want["talkgroups"] <= {x["talkgroup"] for x in calls}
        # one rule for tr_call_id: always a string, never null
        assert [x for x in calls if not isinstance(x["tr_call_id"], str)] == []
        alert = c.get("/api/v1/units/4810011/events").json()["results"]
        assert "call_alert" in {e["event_type"] for e in alert}


def test_one_bad_snapshot_entry_is_counted_and_the_others_stored(radio: RadioServer) -> None:
    radio.start()
    token = radio.token()
    _, topic, payload = next(m for m in corpus_messages() if m[1] == "feeds/calls_active")
    snapshot = json.loads(payload)
    good = snapshot["calls"][0]
    bad = {**good, "id": "2_4012_1686699318", "talkgroup": "not-a-number"}
    other = {**good, "id": "2_4013_1686699318", "talkgroup": "4013"}
    snapshot["calls"] = [good, bad, other]
    publish([(f"{radio.prefix}/{topic}", json.dumps(snapshot).encode())])

    def stored() -> set[int]:
        with radio.client(token) as c:
            return {x["talkgroup"] for x in every(c, "/api/v1/calls")}

    assert wait_for(lambda: stored() >= {4011, 4013}, timeout=60)
    errors = metric_samples(radio.base, "listenpost_radio_errors_total")
    assert errors.get('{reason="bad_field"}') == 1.0
    assert "calls_active.calls[1].talkgroup" in radio.log.read_text()
