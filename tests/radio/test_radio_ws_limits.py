"""`/api/ws` over loopback (issue 14 #6): replies to a client's own messages are bounded, a
client that does not read them is closed and counted once, and others keep being served."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

from promtext import metric
from support import Server
from websockets.sync.client import connect
from wsraw import frame, open_ws

SLOW = "listenpost_slow_client_disconnects_total"
CLIENTS = "listenpost_websocket_clients"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def send_until_blocked(sock: socket.socket, payload: bytes, seconds: float) -> int:
    """Send `payload` frames for up to `seconds` or until the server stops taking them."""
    sock.settimeout(0.5)
    sent = 0
    deadline = time.time() + seconds
    try:
        while time.time() < deadline:
            sock.sendall(frame(payload))
            sent += 1
    except (TimeoutError, OSError):
        pass
    return sent


def reads_to_eof(sock: socket.socket, seconds: float) -> bool:
    """Read (and discard) until the server closes the connection."""
    sock.settimeout(1)
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if not sock.recv(1 << 16):
                return True
        except TimeoutError:
            continue
        except OSError:
            return True
    return False


def test_client_that_never_reads_its_replies_is_closed_and_counted_once(
    fresh_server: Server,
) -> None:
    fresh_server.env["LISTENPOST_WS_SEND_TIMEOUT"] = "1"
    fresh_server.start()
    token = fresh_server.token()
    assert fresh_server.proc is not None
    before = rss_kib(fresh_server.proc.pid)
    sock = open_ws(fresh_server.port, "/api/ws", token)
    try:
        systems = [f"{i:04d}-" + "s" * 120 for i in range(1000)]  # the limit, ~125 KB of state
        sock.sendall(frame(json.dumps({"action": "subscribe", "systems": systems}).encode()))
        sent = send_until_blocked(sock, b'{"action":"subscribe"}', 20)
        assert sent > 0
        deadline = time.time() + 15
        while metric(fresh_server.base, SLOW, stream="radio.events") < 1:
            assert time.time() < deadline, "the client that never reads was never closed"
            time.sleep(0.2)
        assert reads_to_eof(sock, 20), "the server never closed the socket"
    finally:
        sock.close()
    assert metric(fresh_server.base, SLOW, stream="radio.events") == 1.0
    deadline = time.time() + 10
    while metric(fresh_server.base, CLIENTS, stream="radio.events") != 0:
        assert time.time() < deadline
        time.sleep(0.2)
    # memory stayed bounded: well under the ~1 GB the unbounded replies reached
    assert rss_kib(fresh_server.proc.pid) - before < 100 * 1024
    with connect(f"{fresh_server.ws_base}/api/ws?access_token={token}") as ws:
        ws.send(json.dumps({"action": "subscribe", "channels": ["*"]}))
        assert json.loads(ws.recv(timeout=5))["event"] == "subscribed"


def test_a_client_that_pipelines_many_requests_gets_every_reply(fresh_server: Server) -> None:
    """Back-pressure, not disconnection, for a client that does read."""
    fresh_server.start()
    with connect(f"{fresh_server.ws_base}/api/ws?access_token={fresh_server.token()}") as ws:
        systems = [f"{i:04d}-" + "s" * 120 for i in range(1000)]
        ws.send(json.dumps({"action": "subscribe", "systems": systems}))
        for _ in range(200):
            ws.send('{"action":"subscribe"}')
        replies = [json.loads(ws.recv(timeout=10)) for _ in range(201)]
    assert [r["event"] for r in replies] == ["subscribed"] * 201
    assert len(replies[-1]["data"]["systems"]) == 1000
    assert metric(fresh_server.base, SLOW, stream="radio.events") == 0.0


def test_subscription_beyond_the_limit_is_an_error_event(fresh_server: Server) -> None:
    fresh_server.start(["--ws-max-subscriptions", "5"])
    with connect(f"{fresh_server.ws_base}/api/ws?access_token={fresh_server.token()}") as ws:
        ws.send(json.dumps({"action": "subscribe", "units": [1, 2, 3, 4, 5, 6]}))
        reply = json.loads(ws.recv(timeout=5))
        assert reply["event"] == "error" and "units" in reply["data"]["message"]
        assert isinstance(reply["timestamp"], int)
        ws.send(json.dumps({"action": "subscribe", "units": [1, 2, 3, 4, 5]}))
        assert json.loads(ws.recv(timeout=5))["event"] == "subscribed"
