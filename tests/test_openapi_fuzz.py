"""schemathesis against the live OpenAPI document of a real server: no 5xx, and every answer
(status, content type, headers, body) is one the document describes.

A bounded run by default (CI); `SCHEMATHESIS_EXAMPLES=1000` for a longer one on demand,
`SCHEMATHESIS_DB=postgres` to fuzz a PostgreSQL-backed server instead of SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from schemathesis import checks
from support import Server, create_pg_database

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "30"))
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url, drop = ("", None)
    if os.environ.get("SCHEMATHESIS_DB") == "postgres":
        url, drop = create_pg_database()
    srv = Server(tmp_path_factory.mktemp("fuzz"), url).start()
    _seed(srv)
    yield srv
    srv.stop()
    if drop:
        drop()


def _seed(srv: Server) -> None:
    """Something in every sound list, so list answers are checked with real items too."""
    with srv.client() as c:
        mic = c.post("/api/v1/mics", json={"name": "seed", "edge_id": "e1"}).json()["data"]
        rule = {"name": "r", "window_seconds": 60, "min_events": 1, "group_by": "mic_id"}
        assert c.post("/api/v1/composite-rules", json=rule).status_code == 201
        target = {"name": "t", "kind": "webhook", "url": "http://127.0.0.1:9/"}
        target_id = c.post("/api/v1/alert-targets", json=target).json()["id"]
        alert_rule = {"name": "a", "source": "sound", "target_ids": [target_id]}
        assert c.post("/api/v1/alert-rules", json=alert_rule).status_code == 201
        event = {"mic_id": mic["id"], "label_id": "crying", "confidence": 0.9, "noises": [1.0]}
        assert c.post("/api/v1/events", json=event).status_code == 201


@pytest.fixture(scope="module")
def auth(live: Server) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.token()}"}


@pytest.fixture(scope="module")
def api_schema(live: Server) -> Any:
    return schemathesis.openapi.from_url(live.base + "/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_documented(
    case: Any, live: Server, auth: dict[str, str]
) -> None:
    case.call_and_validate(base_url=live.base, headers=auth, checks=CHECKS, timeout=30)
