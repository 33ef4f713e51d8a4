"""Arranging data for the dashboard tests over the public API."""

from __future__ import annotations

import uuid
from typing import Any


def make_mic(api: Any, name: str, lat: float = 37.5665, lon: float = 126.978) -> str:
    mic_id = "m" + uuid.uuid4().hex[:10]
    body = {"id": mic_id, "name": name, "edge_id": "edge-" + mic_id,
            "location": {"latitude": lat, "longitude": lon}}
    r = api.post("/api/v1/mics", json=body)
    assert r.status_code == 201, r.text
    return mic_id


def post_event(api: Any, mic_id: str, label: str = "scream_female", confidence: float = 0.91,
               noises: list[float] | None = None) -> dict[str, Any]:
    body = {"mic_id": mic_id, "label_id": label, "confidence": confidence,
            "noises": noises if noises is not None else [40, 55, 72, 80, 64, 50]}
    r = api.post("/api/v1/events", json=body)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json().get("data", r.json())
    return data
