"""A PostgreSQL outage answers 503 in the documented error shape; the server recovers alone."""

from __future__ import annotations

from pathlib import Path

import httpx
from helpers import make_mic
from support import Server, create_pg_database, pg_block, pg_unblock


def test_database_outage_is_503_then_recovers(tmp_path: Path) -> None:
    url, drop = create_pg_database()
    srv = Server(tmp_path / "srv", url)
    try:
        srv.start()
        token = srv.token()
        with httpx.Client(base_url=srv.base, headers={"Authorization": f"Bearer {token}"}) as c:
            mic = make_mic(c, edge_id="edge-01")
            event = {"mic_id": mic["id"], "label_id": "glass_break", "confidence": 0.9}
            pg_block(url)
            try:
                r = c.post("/api/v1/events", json=event)
                assert r.status_code == 503
                assert "database unavailable" in r.json()["detail"]["message"]
                assert r.headers["retry-after"] == "1"
                health = httpx.get(srv.base + "/health")
                assert health.status_code == 200  # alive: a liveness probe must not kill it
                assert health.json()["status"] == "degraded"
                assert health.json()["database"] == "unavailable"
            finally:
                pg_unblock(url)
            assert c.post("/api/v1/events", json=event).status_code == 201
            assert httpx.get(srv.base + "/health").json()["database"] == "ok"
            assert c.get("/api/v1/events").json()["total_cnt"] == 1  # the refused one is absent
    finally:
        srv.stop()
        drop()
