"""Real receivers the delivery tests start: a webhook server checking the HMAC signature (it
can be down, slow or blocked on demand) and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support import free_port


class Receiver:
    """An HTTP endpoint on a fixed port; `start()`/`stop()` take it up and down. Webhook
    bodies are accepted only with a valid signature for `secret` (401 otherwise)."""

    def __init__(self, secret: str = "", port: int = 0) -> None:
        self.port = port or free_port()
        self.secret = secret
        self.bodies: list[dict[str, Any]] = []
        self.refused = 0  # requests with a bad signature
        self.gate = threading.Event()  # cleared: requests wait until it is set
        self.gate.set()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def ids(self) -> list[str]:
        return [b["id"] for b in self.bodies if "id" in b]

    def start(self) -> Receiver:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"] or 0))
                owner.gate.wait(60)
                if owner.secret and not owner.verify(self.headers, body):
                    owner.refused += 1
                    self.send_response(401)
                else:
                    owner.bodies.append(json.loads(body))
                    self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def verify(self, headers: Any, body: bytes) -> bool:
        stamp = headers["X-Listenpost-Timestamp"]
        expected = hmac.new(self.secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256)
        signature = headers["X-Listenpost-Signature"] or ""
        fresh = abs(time.time() - int(stamp)) < 300
        return fresh and hmac.compare_digest(signature, "sha256=" + expected.hexdigest())

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class Smtp:
    """A local SMTP server keeping every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[bytes] = []
        owner = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                owner.messages.append(envelope.content)
                return "250 OK"

        self.port = free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> Smtp:
        self.controller.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.controller.stop()
