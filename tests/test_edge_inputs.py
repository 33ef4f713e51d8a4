"""Integers, numbers and text the database cannot hold are refused at the edge with a 422
naming the field; an unexpected exception answers JSON, never plain text (issue 14, #4)."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from support import Server

from listenpost import errors

HUGE = "9223372036854775808"  # 2**63: one more than SQLite INTEGER / PostgreSQL BIGINT hold
HUGER = "99999999999999999999"

PAGED = [
    "/api/v1/mics",
    "/api/v1/events",
    "/api/v1/composite-rules",
    "/api/v1/composite-events",
    "/api/v1/systems",
    "/api/v1/talkgroups",
    "/api/v1/units",
    "/api/v1/calls",
    "/api/v1/recorders",
    "/api/v1/stats/rates",
    "/api/v1/unit-events",
]


def _assert_422(r: object, field: str) -> None:
    status = r.status_code  # type: ignore[attr-defined]
    assert status == 422, (r.request.url, r.text)  # type: ignore[attr-defined]
    message = r.json()["detail"]["message"]  # type: ignore[attr-defined]
    assert field in message, message


def test_huge_page_numbers_are_422(server: Server) -> None:
    with server.client() as c:
        for path in PAGED:
            for page in ("9223372036854775807", HUGER):
                _assert_422(c.get(path, params={"page": page}), "page")
            assert c.get(path, params={"page": 1000}).status_code == 200, path


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/calls/{HUGER}",
        f"/api/v1/calls/{HUGE}",
        f"/api/v1/calls/-{HUGE}1",
        f"/api/v1/calls/{HUGER}/transmissions",
        f"/api/v1/calls/{HUGER}/audio",
        f"/api/v1/units/{HUGER}",
        f"/api/v1/units/555:{HUGER}",
        f"/api/v1/units/{HUGER}/events",
        f"/api/v1/talkgroups/{HUGER}",
        f"/api/v1/talkgroups/555:{HUGER}",
        f"/api/v1/talkgroups/555:{HUGE}/calls",
    ],
)
def test_huge_path_ids_are_422(server: Server, path: str) -> None:
    with server.client() as c:
        _assert_422(c.get(path), "_id")


def test_huge_call_filters_are_422(server: Server) -> None:
    with server.client() as c:
        for name in ("talkgroup", "unit"):
            _assert_422(c.get("/api/v1/calls", params={name: HUGE}), name)
            assert c.get("/api/v1/calls", params={name: 2**63 - 1}).status_code == 200


def test_huge_min_events_is_422(server: Server) -> None:
    with server.client() as c:
        body = {"name": "r", "window_seconds": 30, "min_events": int(HUGE)}
        _assert_422(c.post("/api/v1/composite-rules", json=body), "min_events")
        r = c.post("/api/v1/composite-rules", json={**body, "min_events": 3})
        assert r.status_code == 201
        rule = r.json()["id"]
        patch = c.patch(f"/api/v1/composite-rules/{rule}", json={"min_events": 2**40})
        _assert_422(patch, "min_events")
        assert c.get("/api/v1/composite-rules").status_code == 200


def test_nan_and_infinity_are_422(server: Server) -> None:
    """JSON has no NaN, but Python's parser takes it; nothing that cannot be served back."""
    with server.client() as c:
        r = c.post("/api/v1/mics", json={"name": "m"})
        mic = r.json()["data"]["id"]
        for field, raw in (
            ("noises", '"noises": [NaN]'),
            ("noises", '"noises": [1e999]'),
            ("confidence", '"confidence": NaN'),
            ("sound_level", '"sound_level": -Infinity'),
        ):
            head = f'"mic_id": "{mic}", "label_id": "crying", "confidence": 0.5'
            body = "{" + head + ", " + raw + "}"
            r = c.post("/api/v1/events", content=body, headers={"content-type": "application/json"})
            _assert_422(r, field)
        r = c.post(
            "/api/v1/mics",
            content='{"name": "m", "location": {"latitude": NaN, "longitude": 1}}',
            headers={"content-type": "application/json"},
        )
        _assert_422(r, "latitude")
        assert c.get("/api/v1/events").status_code == 200


async def test_unexpected_exception_is_a_json_500() -> None:
    app = FastAPI()
    errors.install_handlers(app)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("internal detail that must not leak")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"].startswith("application/json")
    message = r.json()["detail"]["message"]
    assert "internal error" in message and "must not leak" not in message


def test_text_the_database_cannot_store_is_422(server: Server) -> None:
    """NUL and over-long text: PostgreSQL refuses them, SQLite keeps them; both answer 422."""
    with server.client() as c:
        _assert_422(c.post("/api/v1/mics", json={"name": "a\u0000b"}), "name")
        _assert_422(c.post("/api/v1/mics", json={"name": "m", "host": "h" * 201}), "host")
        r = c.post("/api/v1/mics", json={"name": "m", "thresholds": {"crying\u0000": 0.5}})
        _assert_422(r, "thresholds")
        _assert_422(c.get("/api/v1/units", params={"sysid": "\u0000a"}), "query.sysid")
        _assert_422(c.get("/api/v1/mics", params={"name": "x\u0000"}), "query.name")
        _assert_422(c.get("/api/v1/mics/a%00b"), "path.mic_id")
        assert c.post("/api/v1/mics", json={"name": "m", "host": "h" * 200}).status_code == 201
