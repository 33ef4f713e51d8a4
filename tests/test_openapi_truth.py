"""The OpenAPI document describes the errors the server really sends, and those errors have
the documented shape everywhere: 405 with a complete `Allow`, Range errors on audio, literal
`search`, and `/redoc` off (issue 14, "OpenAPI tells the truth")."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import Server

AUDIO = bytes(range(256)) * 4  # 1024 bytes


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("truth")).start()
    yield server
    server.stop()


def _rows(srv: Server, sql: str, *values: Any) -> int:
    with sqlite3.connect(srv.data_dir / "listenpost.db") as conn:
        return int(conn.execute(sql, values).lastrowid or 0)


def test_document_advertises_the_error_shape_for_every_error(srv: Server) -> None:
    doc = httpx.get(srv.base + "/openapi.json").json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    error = doc["components"]["schemas"]["Error"]
    assert error["properties"]["detail"]["required"] == ["message"]
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if status[0] in "45":
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (path, method)
            if path.startswith("/api/v1/") and not path.startswith("/api/v1/auth/"):
                assert {"401", "403", "500", "503"} <= set(op["responses"]), (path, method)
    events = doc["paths"]["/api/v1/events"]
    assert "422" in events["post"]["responses"] and "413" in events["post"]["responses"]


def test_validation_error_matches_the_document(srv: Server) -> None:
    with srv.client() as c:
        r = c.get("/api/v1/events", params={"size": 1000})
    assert r.status_code == 422
    assert set(r.json()) == {"detail"} and isinstance(r.json()["detail"]["message"], str)


def test_405_names_every_allowed_method(srv: Server) -> None:
    with srv.client() as c:
        r = c.delete("/api/v1/events")
        assert r.status_code == 405
        assert r.json()["detail"]["message"]
        assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "HEAD", "POST"}
        r = c.put("/api/v1/mics/abc")
        assert r.status_code == 405
        assert {m.strip() for m in r.headers["allow"].split(",")} == {
            "DELETE",
            "GET",
            "HEAD",
            "PATCH",
        }


def test_redoc_is_off_and_docs_are_on(srv: Server) -> None:
    r = httpx.get(srv.base + "/redoc")
    assert r.status_code == 404 and r.json()["detail"]["message"]
    assert httpx.get(srv.base + "/docs").status_code == 200


def test_audio_range_errors_are_json(srv: Server) -> None:
    audio = srv.data_dir / "audio" / "range-test.m4a"
    audio.parent.mkdir(exist_ok=True)
    audio.write_bytes(AUDIO)
    call_id = _rows(
        srv,
        "INSERT INTO radio_calls (system, sysid, talkgroup, emergency, encrypted, audio_path)"
        " VALUES ('s', '1', 1, 0, 0, ?)",
        str(Path("audio") / audio.name),
    )
    url = f"/api/v1/calls/{call_id}/audio"
    with srv.client() as c:
        ok = c.get(url, headers={"Range": "bytes=0-9"})
        assert ok.status_code == 206 and ok.content == AUDIO[:10]
        for bad in ("bytes=9-0", "lines=0-9", "bytes", "bytes=-"):
            r = c.get(url, headers={"Range": bad})
            assert r.status_code == 400, (bad, r.text)
            assert "range" in r.json()["detail"]["message"]
        r = c.get(url, headers={"Range": "bytes=5000-6000"})
        assert r.status_code == 416
        assert r.headers["content-range"] == f"bytes */{len(AUDIO)}"
        assert "1024 bytes" in r.json()["detail"]["message"]


def test_talkgroup_search_is_literal(srv: Server) -> None:
    for tgid, tag in ((9001, "100% Fire"), (9002, "Fire North"), (9003, "EMS_1"), (9004, "EMS 1")):
        _rows(
            srv,
            "INSERT INTO radio_talkgroups (sysid, tgid, alpha_tag, first_seen, last_seen)"
            " VALUES ('lit', ?, ?, 0, 0)",
            tgid,
            tag,
        )
    with srv.client() as c:

        def found(search: str) -> list[str]:
            r = c.get("/api/v1/talkgroups", params={"sysid": "lit", "search": search})
            assert r.status_code == 200, r.text
            return [t["alpha_tag"] for t in r.json()["results"]]

        assert found("%") == ["100% Fire"]
        assert found("_") == ["EMS_1"]
        assert found("S_1") == ["EMS_1"]
        assert found("fire") == ["100% Fire", "Fire North"]
