"""Small builders shared by the sound tests."""

from __future__ import annotations

import uuid
from typing import Any

import httpx


def make_mic(c: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {
        "name": f"mic {uuid.uuid4().hex[:6]}",
        "edge_id": "edge-01",
        "location": {"latitude": 37.546344, "longitude": 126.944322},
        **fields,
    }
    r = c.post("/api/v1/mics", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["data"])


def post_event(c: httpx.Client, mic_id: str, **fields: Any) -> dict[str, Any]:
    body = {"mic_id": mic_id, "label_id": "scream_female", "confidence": 0.9, **fields}
    r = c.post("/api/v1/events", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())
