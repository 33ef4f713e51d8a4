"""Every live client gets each event exactly once, in the order the events were stored, while
keep-alives are interleaved and other clients come and go (the hub writes straight to each
socket, so this is the contract that replaced the per-client queue)."""

from __future__ import annotations

import json
from pathlib import Path

from helpers import make_mic
from support import Server
from websockets.sync.client import ClientConnection, connect


def _open(server: Server, token: str) -> ClientConnection:
    ws = connect(
        server.ws_base + "/api/v1/ws", additional_headers={"Authorization": f"Bearer {token}"}
    )
    assert ws.recv(timeout=5) == "hello"
    return ws


def _ids(ws: ClientConnection, count: int) -> list[str]:
    got: list[str] = []
    while len(got) < count:
        frame = ws.recv(timeout=10)
        if frame:  # "" is a keep-alive
            got.append(json.loads(frame)["id"])
    return got


def test_each_client_gets_every_event_once_and_in_order(tmp_path: Path) -> None:
    srv = Server(tmp_path / "srv").start(["--keepalive", "0.05"])
    try:
        token = srv.token()
        clients = [_open(srv, token) for _ in range(4)]
        posted: list[str] = []
        with srv.client(token) as c:
            mic = make_mic(c)
            for n in range(15):
                if n == 5:  # a client leaving mid-stream changes nothing for the others
                    clients.pop().close()
                batch = [
                    {"mic_id": mic["id"], "label_id": "crying", "confidence": 0.5}
                    for _ in range(1 + n % 7)
                ]
                r = c.post("/api/v1/events/batch", json={"events": batch})
                assert r.status_code == 201, r.text
                posted += [e["id"] for e in r.json()["data"]]
        for ws in clients:
            assert _ids(ws, len(posted)) == posted
            try:  # and nothing more than the keep-alives afterwards
                assert all(ws.recv(timeout=0.3) == "" for _ in range(3))
            except TimeoutError:
                pass
            ws.close()
    finally:
        srv.stop()
