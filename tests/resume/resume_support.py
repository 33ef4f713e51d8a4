"""A client that resumes: connects with `?resume=1` or `?since=&epoch=`, keeps what it reads."""

from __future__ import annotations

import json
from typing import Any

from support import Server
from websockets.sync.client import ClientConnection, connect


def open_stream(server: Server, path: str, token: str, query: str = "resume=1") -> ClientConnection:
    ws = connect(
        f"{server.ws_base}{path}?{query}",
        additional_headers={"Authorization": f"Bearer {token}"},
        max_size=None,
    ).__enter__()  # closed by the caller
    assert ws.recv(timeout=10) == "hello"
    return ws


def next_text(ws: ClientConnection, timeout: float = 10) -> str:
    """The next frame that is not a keep-alive (an empty text frame)."""
    while True:
        text = ws.recv(timeout=timeout)
        assert isinstance(text, str)
        if text:
            return text


class Resumer:
    """Reads a Deeply stream, reconnecting from the last offset it holds."""

    def __init__(self, path: str, token: str) -> None:
        self.path = path
        self.token = token
        self.frames: list[str] = []  # the data frames, exactly as received
        self.controls: list[dict[str, Any]] = []
        self.epoch = ""
        self.offset: int | None = None
        self.ws: ClientConnection | None = None

    def connect(self, server: Server) -> None:
        query = "resume=1"
        if self.offset is not None:
            query = f"since={self.offset}&epoch={self.epoch}"
        self.ws = open_stream(server, self.path, self.token, query)
        self._since_connect = 0

    def read(self) -> dict[str, Any]:
        """One frame: a data frame is kept (and counted for this connection's seam)."""
        assert self.ws is not None
        text = next_text(self.ws)
        frame = json.loads(text)
        if "control" in frame:
            self.controls.append({**frame, "before": self._since_connect})
            return dict(frame)
        self.frames.append(text)
        self._since_connect += 1
        self.offset, self.epoch = frame["offset"], frame["epoch"]
        return dict(frame)

    def close(self) -> None:
        if self.ws is not None:
            self.ws.close()
            self.ws = None
