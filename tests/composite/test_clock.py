"""Event times are bounded by the server clock, and the composite engine's watermark follows
the clock so idle groups are forgotten (issue 14, finding 2)."""

from __future__ import annotations

import re
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from support import Server
from test_composite_api import make_rule

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sound"))
from helpers import make_mic, post_event  # noqa: E402


def iso_in(seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def test_created_at_too_far_ahead_is_422_naming_the_field(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c)
        body = {"mic_id": mic["id"], "label_id": "crying", "confidence": 0.9}
        r = c.post("/api/v1/events", json={**body, "created_at": iso_in(3600)})
        assert r.status_code == 422, r.text
        assert "created_at" in r.json()["detail"]["message"]
        assert "ahead of the server clock" in r.json()["detail"]["message"]
        batch = [body, {**body, "created_at": iso_in(86_400 * 365)}]
        r = c.post("/api/v1/events/batch", json={"events": batch})
        assert r.status_code == 422 and "events[1].created_at" in r.json()["detail"]["message"]
        assert post_event(c, mic["id"], created_at=iso_in(60))["id"]  # within the default 300 s
        assert c.get("/api/v1/events", params={"mic_id": mic["id"]}).json()["total_cnt"] == 1


def test_normal_events_after_a_far_future_one_still_build_composites(server: Server) -> None:
    with server.client() as c:
        mic = make_mic(c, edge_id=f"edge-{uuid.uuid4().hex[:6]}")
        rule = make_rule(c, min_events=2, window_seconds=60, include_mic_ids=[mic["id"]])
        far = {"mic_id": mic["id"], "label_id": "normal_speech_female", "confidence": 0.9}
        c.post("/api/v1/events", json={**far, "created_at": "2099-12-31T23:59:59Z"})
        ids = [post_event(c, mic["id"], label_id="normal_speech_female")["id"] for _ in range(2)]
        found = c.get("/api/v1/composite-events", params={"composite_rule_id": rule["id"]}).json()
    assert found["total_cnt"] == 1
    assert [e["id"] for e in found["results"][0]["events"]] == ids


def _groups(c: httpx.Client) -> float:
    text = c.get("/metrics").text
    match = re.search(r"^listenpost_composite_groups (\S+)$", text, re.M)
    assert match, "listenpost_composite_groups missing from /metrics"
    return float(match.group(1))


def _wait_for_groups(c: httpx.Client, wanted: float, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while _groups(c) != wanted:
        assert time.monotonic() < deadline, f"groups stayed at {_groups(c)}, wanted {wanted}"
        time.sleep(0.2)


def test_idle_groups_are_forgotten(fresh_server: Server) -> None:
    """Memory follows the groups active in the last skew + window, not every group ever seen."""
    fresh_server.start(["--max-clock-skew", "1"])
    with fresh_server.client() as c:
        make_rule(c, min_events=1000, window_seconds=1, group_by="mic_id")
        mics = [make_mic(c)["id"] for _ in range(20)]
        for mic in mics:
            post_event(c, mic, label_id="normal_speech_female")
        assert _groups(c) == 20
        _wait_for_groups(c, 0)
        for mic in mics[:5]:
            post_event(c, mic, label_id="normal_speech_female")
        assert _groups(c) == 5
        _wait_for_groups(c, 0)


def test_clock_skew_setting_is_checked() -> None:
    from listenpost.config import load_settings

    assert load_settings({}, env={}).max_clock_skew == 300.0
    assert load_settings({}, env={"LISTENPOST_MAX_CLOCK_SKEW": "5"}).max_clock_skew == 5.0
    for bad in ("-1", "nan", "inf"):
        with pytest.raises(ValueError, match="LISTENPOST_MAX_CLOCK_SKEW"):
            load_settings({}, env={"LISTENPOST_MAX_CLOCK_SKEW": bad})
