"""The Deeply auth flow: API key -> access token -> every call; documented error bodies."""

from __future__ import annotations

import time

import httpx
import pytest
from support import API_KEY, Server
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect


def test_reissue_gives_a_token_that_opens_the_api(server: Server) -> None:
    r = httpx.get(
        server.base + "/api/v1/auth/reissue", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert r.status_code == 200
    token = r.json()["access_token"]
    r = httpx.get(server.base + "/api/v1/mics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200


def test_missing_header_is_403_no_key(server: Server) -> None:
    r = httpx.get(server.base + "/api/v1/events")
    assert r.status_code == 403
    assert "No Key" in r.json()["detail"]["message"]


@pytest.mark.parametrize("value", ["Bearer nonsense", "Basic abc", f"Bearer {API_KEY}"])
def test_bad_or_wrong_credential_is_401_invalid_key(server: Server, value: str) -> None:
    r = httpx.get(server.base + "/api/v1/events", headers={"Authorization": value})
    assert r.status_code == 401
    assert "Invalid Key" in r.json()["detail"]["message"]


def test_access_token_is_not_an_api_key(server: Server) -> None:
    token = server.token()
    r = httpx.get(
        server.base + "/api/v1/auth/reissue", headers={"Authorization": f"Bearer {token}"}
    )
    assert r.status_code == 401
    assert r.json() == {"detail": {"message": r.json()["detail"]["message"]}}


def test_reissue_without_key_is_403(server: Server) -> None:
    assert httpx.get(server.base + "/api/v1/auth/reissue").status_code == 403


def test_websocket_refused_before_accept(server: Server) -> None:
    for headers, status in (({}, 403), ({"Authorization": "Bearer junk"}, 401)):
        with pytest.raises(InvalidStatus) as info:
            connect(server.ws_base + "/api/v1/ws", additional_headers=headers)
        assert info.value.response.status_code == status
        assert b"detail" in info.value.response.body


def test_websocket_accepts_query_token(server: Server) -> None:
    with connect(f"{server.ws_base}/api/v1/ws?access_token={server.token()}") as ws:
        assert ws.recv(timeout=5) == "hello"


def test_token_expires(fresh_server: Server) -> None:
    fresh_server.env["LISTENPOST_TOKEN_TTL"] = "1"
    fresh_server.start()
    token = fresh_server.token()
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(fresh_server.base + "/api/v1/mics", headers=headers).status_code == 200
    time.sleep(2.1)  # exp is whole seconds, rounded up
    r = httpx.get(fresh_server.base + "/api/v1/mics", headers=headers)
    assert r.status_code == 401
    assert r.json()["detail"]["message"].startswith("Expired Token")
    with pytest.raises(InvalidStatus) as info:
        connect(fresh_server.ws_base + "/api/v1/ws", additional_headers=headers)
    assert info.value.response.status_code == 401


def test_cli_created_key_works_and_is_stored_hashed(fresh_server: Server) -> None:
    import sqlite3
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "listenpost",
            "apikey",
            "create",
            "--name",
            "edge-01",
            "--data-dir",
            str(fresh_server.data_dir),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    key = out.stdout.strip()
    assert key.startswith("lpk_")
    fresh_server.start()
    assert fresh_server.token(key)
    db = sqlite3.connect(fresh_server.data_dir / "listenpost.db")
    stored = [row[0] for row in db.execute("SELECT key_hash FROM api_keys")]
    assert key not in stored and len(stored) == 2
