"""Revocation and expiry reach what is already open: tokens issued from a revoked key stop
working on the next request (after at most the ~1 s key cache), live WebSockets are closed
with 1008, and an API key sent where a token belongs is named as such."""

from __future__ import annotations

import contextlib
import time

import httpx
import pytest
from support import Server
from test_apikeys import cli, create
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

LIVE = ("/api/v1/ws", "/api/v1/ws/composite-events", "/api/ws")


def wait_for_status(server: Server, token: str, status: int, within: float = 5.0) -> httpx.Response:
    deadline = time.monotonic() + within
    while True:
        r = httpx.get(server.base + "/api/v1/mics", headers={"Authorization": f"Bearer {token}"})
        if r.status_code == status or time.monotonic() > deadline:
            return r
        time.sleep(0.1)


def closed_code(ws: ClientConnection, within: float) -> tuple[int | None, str]:
    """Read until the server closes the socket; its close code and reason."""
    deadline = time.monotonic() + within
    with pytest.raises(ConnectionClosed) as info:  # noqa: PT012
        while time.monotonic() < deadline:
            try:
                ws.recv(timeout=0.5)
            except TimeoutError:
                continue
        raise AssertionError(f"still open after {within} s")
    close = info.value.rcvd
    return (close.code, close.reason) if close else (None, "")


def closes_counted(server: Server, reason: str) -> float:
    """`listenpost_websocket_auth_closes_total{reason=...}` from /metrics (0 when absent)."""
    line = f'listenpost_websocket_auth_closes_total{{reason="{reason}"}} '
    for row in httpx.get(server.base + "/metrics").text.splitlines():
        if row.startswith(line):
            return float(row[len(line) :])
    return 0.0


def test_revoked_key_stops_its_tokens_and_open_websockets(fresh_server: Server) -> None:
    key = create(fresh_server.data_dir, "console", "--scope", "read")
    fresh_server.start()
    token = fresh_server.token(key)
    assert wait_for_status(fresh_server, token, 200).status_code == 200
    with contextlib.ExitStack() as stack:
        sockets = [
            stack.enter_context(connect(f"{fresh_server.ws_base}{p}?access_token={token}"))
            for p in LIVE
        ]
        assert cli(fresh_server.data_dir, "revoke", "console").returncode == 0
        r = wait_for_status(fresh_server, token, 401)
        assert r.status_code == 401 and "revoked" in r.json()["detail"]["message"]
        for ws in sockets:
            code, reason = closed_code(ws, within=5)
            assert code == 1008 and "revoked" in reason
    assert closes_counted(fresh_server, "revoked") == len(LIVE)
    again = httpx.get(
        fresh_server.base + "/api/v1/auth/reissue", headers={"Authorization": f"Bearer {key}"}
    )
    assert again.status_code == 401 and "revoked" in again.json()["detail"]["message"]
    with pytest.raises(Exception, match="401"):
        connect(f"{fresh_server.ws_base}/api/v1/ws?access_token={token}")


def test_tokens_of_env_keys_no_longer_listed_stop_working(fresh_server: Server) -> None:
    fresh_server.env["LISTENPOST_API_KEYS"] = "first-key,second-key"
    fresh_server.start()
    token = fresh_server.token("second-key")
    fresh_server.stop()
    fresh_server.env["LISTENPOST_API_KEYS"] = "first-key"
    fresh_server.start()
    r = httpx.get(fresh_server.base + "/api/v1/mics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and "revoked or deleted" in r.json()["detail"]["message"]


def test_websocket_is_closed_when_its_token_expires(fresh_server: Server) -> None:
    fresh_server.env["LISTENPOST_TOKEN_TTL"] = "2"
    fresh_server.start()
    token = fresh_server.token()
    with contextlib.ExitStack() as stack:
        url = f"{fresh_server.ws_base}{{}}?access_token={token}"
        sockets = [stack.enter_context(connect(url.format(path))) for path in LIVE]
        for ws in sockets:
            code, reason = closed_code(ws, within=8)
            assert code == 1008 and "expired" in reason
    assert closes_counted(fresh_server, "expired") == len(LIVE)
    assert closes_counted(fresh_server, "revoked") == 0


@pytest.mark.parametrize("key", ["lpk_not_even_stored", "some-operator-chosen-key"])
def test_api_key_where_a_token_belongs_says_so(fresh_server: Server, key: str) -> None:
    fresh_server.env["LISTENPOST_API_KEYS"] = "some-operator-chosen-key"
    fresh_server.start()
    r = httpx.get(fresh_server.base + "/api/v1/events", headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 401
    assert "looks like an API key; exchange it at /api/v1/auth/reissue" in r.text
    with pytest.raises(Exception, match="401") as info:
        connect(f"{fresh_server.ws_base}/api/v1/ws?access_token={key}")
    assert b"/api/v1/auth/reissue" in info.value.response.body  # type: ignore[attr-defined]
    junk = httpx.get(fresh_server.base + "/api/v1/events", headers={"Authorization": "Bearer x"})
    assert "looks like an API key" not in junk.text
