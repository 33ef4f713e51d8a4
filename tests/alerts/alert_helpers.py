"""Builders shared by the alert tests: keys of a scope, rules, targets, waiting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from support import Server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sound"))
from helpers import make_mic, post_event  # noqa: E402

__all__ = ["make_mic", "post_event"]


def make_key(server: Server, name: str, scope: str) -> str:
    """A new API key of `scope` on the server's database (through `listenpost apikey`)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENPOST_")}
    args = ["apikey", "create", "--name", name, "--scope", scope]
    args += ["--data-dir", str(server.data_dir)]
    if server.db_url:
        args += ["--db-url", server.db_url]
    out = subprocess.run(
        [sys.executable, "-m", "listenpost", *args], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def make_rule(c: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"name": "scream", "source": "sound", **fields}
    r = c.post("/api/v1/alert-rules", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def make_target(c: httpx.Client, **fields: Any) -> dict[str, Any]:
    r = c.post("/api/v1/alert-targets", json={"name": "t", **fields})
    assert r.status_code == 201, r.text
    return dict(r.json())


def alerts_of(c: httpx.Client, rule_id: str) -> list[dict[str, Any]]:
    r = c.get("/api/v1/alerts", params={"rule_id": rule_id, "size": 100})
    assert r.status_code == 200, r.text
    return list(r.json()["results"])


def wait_for(fn: Any, timeout: float = 20) -> Any:
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.time() < deadline, "condition not met in time"
        time.sleep(0.1)


def next_json(ws: Any, timeout: float = 10) -> dict[str, Any]:
    while True:
        frame = ws.recv(timeout=timeout)
        if frame:
            return dict(json.loads(frame))
