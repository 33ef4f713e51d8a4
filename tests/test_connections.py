"""Slow clients and connection floods from outside (issue 14 #7), over raw loopback sockets:
header and body read timeouts, the per-address connection limit, and their metrics."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from promtext import metric
from support import API_KEY, Server
from wsraw import open_ws

TIMEOUTS = "listenpost_http_timeouts_total"
REFUSED = "listenpost_connections_refused_total"
OPEN = "listenpost_open_connections"


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Server]:
    srv = Server(tmp_path / "srv", LISTENPOST_HEADER_TIMEOUT="2", LISTENPOST_BODY_TIMEOUT="2")
    yield srv
    srv.stop()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def read_until_closed(sock: socket.socket, seconds: float = 15) -> bytes:
    """Everything the server sends until it closes the connection (fails if it never does)."""
    sock.settimeout(0.5)
    received = b""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            continue
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the server kept the connection open; got {received[:200]!r}")


def trickle(sock: socket.socket, data: bytes, seconds: float) -> bool:
    """Send `data` one byte every 0.25 s for up to `seconds`; False once the server hung up."""
    deadline = time.time() + seconds
    for byte in data:
        if time.time() > deadline:
            break
        try:
            sock.send(bytes([byte]))
        except OSError:
            return False
        time.sleep(0.25)
    return True


def test_client_sending_headers_slowly_is_disconnected(guarded: Server) -> None:
    guarded.start()
    slow = connect(guarded.port)
    slow.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    trickle(slow, b"X-Slow: " + b"a" * 100, 8)
    answer = read_until_closed(slow)
    assert answer.startswith(b"HTTP/1.1 408")
    silent = connect(guarded.port)  # connects and sends nothing at all
    read_until_closed(silent)
    assert metric(guarded.base, TIMEOUTS, phase="headers") == 2.0
    assert metric(guarded.base, TIMEOUTS, phase="body") == 0.0


def test_client_sending_a_body_slowly_is_answered_408_and_disconnected(guarded: Server) -> None:
    guarded.start()
    token = guarded.token()
    slow = connect(guarded.port)
    slow.sendall(
        (
            "POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            "Content-Length: 1000\r\n\r\n"
        ).encode()
    )
    trickle(slow, b'{"mic_id": "' + b"m" * 200, 8)
    answer = read_until_closed(slow)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408")
    assert "body" in json.loads(body)["detail"]["message"]
    assert metric(guarded.base, TIMEOUTS, phase="body") == 1.0
    assert metric(guarded.base, TIMEOUTS, phase="headers") == 0.0


def test_a_normal_client_is_not_timed_out(guarded: Server) -> None:
    guarded.start()
    with guarded.client() as c:
        for _ in range(3):
            assert c.get("/health").status_code == 200
            time.sleep(1)  # idle keep-alive between requests is not a header timeout
        token = c.headers["Authorization"].split()[1]
    ws = open_ws(guarded.port, "/api/v1/ws", token)  # a WebSocket outlives both timeouts
    try:
        time.sleep(5)
        ws.settimeout(5)
        assert b"hello" in ws.recv(100)
        assert metric(guarded.base, OPEN) == 2.0  # the WebSocket and this request
    finally:
        ws.close()
    assert metric(guarded.base, TIMEOUTS, phase="headers") == 0.0
    assert metric(guarded.base, TIMEOUTS, phase="body") == 0.0


def test_connections_beyond_the_per_address_limit_are_refused(guarded: Server) -> None:
    guarded.env["LISTENPOST_HEADER_TIMEOUT"] = "30"
    guarded.start(["--max-connections-per-ip", "4"])
    token = guarded.token()
    held = [connect(guarded.port) for _ in range(4)]
    try:
        extra = connect(guarded.port)
        answer = read_until_closed(extra)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 429")
        assert "connections" in json.loads(body)["detail"]["message"]
        held.pop().close()
        time.sleep(0.5)
        assert metric(guarded.base, REFUSED, reason="per_ip") == 1.0
        assert metric(guarded.base, OPEN) == 4.0  # three held + this request
        # WebSockets count too: three held sockets, one WebSocket fills the fourth slot
        ws = open_ws(guarded.port, "/api/v1/ws", token)
        with pytest.raises(ConnectionError):
            open_ws(guarded.port, "/api/v1/ws", token)
        ws.close()
    finally:
        for sock in held:
            sock.close()
    deadline = time.time() + 10
    while metric(guarded.base, OPEN) != 1.0:  # only the metrics request itself
        assert time.time() < deadline, "closed connections are still counted"
        time.sleep(0.2)
    assert metric(guarded.base, REFUSED, reason="per_ip") == 2.0


def test_websockets_beyond_the_per_key_limit_are_refused(tmp_path: Path) -> None:
    other = "lpk_test_second_key_for_the_limit"
    srv = Server(tmp_path / "keys", LISTENPOST_API_KEYS=f"{API_KEY},{other}")
    try:
        srv.start(["--max-websockets-per-key", "2"])
        token, token2 = srv.token(), srv.token(other)
        held = [open_ws(srv.port, "/api/v1/ws", token), open_ws(srv.port, "/api/ws", token)]
        with pytest.raises(ConnectionError, match="429"):
            open_ws(srv.port, "/api/ws", token)
        held.append(open_ws(srv.port, "/api/v1/ws", token2))  # another key has its own budget
        assert metric(srv.base, REFUSED, reason="per_key") == 1.0
        held.pop(0).close()
        deadline = time.time() + 10
        while True:  # the closed socket's slot comes back
            try:
                held.append(open_ws(srv.port, "/api/ws", token))
                break
            except ConnectionError:
                assert time.time() < deadline, "a closed WebSocket still holds its key's slot"
                time.sleep(0.2)
        for sock in held:
            sock.close()
    finally:
        srv.stop()
