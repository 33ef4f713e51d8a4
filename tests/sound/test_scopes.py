"""Scopes: every route of the app has one decision in auth/policy.py, and a real server
enforces it for read, ingest and admin keys on REST and WebSocket alike."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import API_KEY, Server
from test_apikeys import create
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from listenpost.app import create_app
from listenpost.auth import policy
from listenpost.config import Settings


def app_routes(tmp_path: Path) -> list[tuple[str, str]]:
    """Every (method, path template) the app serves, WebSockets as method `WEBSOCKET`."""
    app = create_app(Settings(data_dir=str(tmp_path)))
    found = []
    for route in _walk(app.routes):
        methods = getattr(route, "methods", None) or {policy.WEBSOCKET}
        found += [(m, route.path) for m in sorted(methods) if m != "HEAD"]
    return found


def _walk(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        if hasattr(route, "effective_candidates"):  # an included router (FastAPI >= 0.16x)
            yield from _walk(route.effective_candidates())
        elif hasattr(route, "original_route"):
            yield route.starlette_route or route.original_route
        else:
            yield route


def test_every_route_has_a_scope_decision_and_every_rule_names_a_route(tmp_path: Path) -> None:
    routes = app_routes(tmp_path)
    assert len(routes) > 30
    decisions = {r: policy.needed_scope(*r) for r in routes}
    assert set(decisions.values()) <= {None, "read", "ingest", "admin"}
    paths = {path for _, path in routes}
    named = policy.PUBLIC_PATHS | policy.KEY_PATHS | policy.QUERY_TOKEN_PATHS
    assert named <= paths, named - paths
    assert policy.INGEST | policy.READ_WRITES <= set(routes)
    changes = [r for r in routes if r[1].startswith(("/api/v1/mics", "/api/v1/composite-rules"))]
    assert all(decisions[r] == "admin" for r in changes if r[0] not in {"GET", "WEBSOCKET"})
    assert {r for r, need in decisions.items() if need == "ingest"} == policy.INGEST


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _call(server: Server, method: str, path: str, token: str | None) -> tuple[int, str]:
    """Status and message of one call; WebSockets report their handshake status."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if method == policy.WEBSOCKET:
        try:
            with connect(server.ws_base + _concrete(path), additional_headers=headers):
                return 101, ""
        except InvalidStatus as exc:
            return exc.response.status_code, exc.response.body.decode()
    body = {} if method in {"POST", "PATCH", "PUT"} else None
    r = httpx.request(method, server.base + _concrete(path), headers=headers, json=body)
    return r.status_code, r.text


@pytest.fixture(scope="module")
def scoped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    data = tmp_path_factory.mktemp("scoped")
    keys = {scope: create(data / "srv", f"k-{scope}", "--scope", scope) for scope in policy.SCOPES}
    srv = Server(data / "srv").start()
    yield srv, {scope: srv.token(key) for scope, key in keys.items()}
    srv.stop()


def test_no_route_is_open_without_a_token_unless_public(
    scoped: tuple[Server, dict[str, str]], tmp_path: Path
) -> None:
    server, _ = scoped
    for method, path in app_routes(tmp_path):
        status, text = _call(server, method, path, None)
        if policy.needed_scope(method, path) is None:
            assert status not in {401, 403} or path in policy.KEY_PATHS, (method, path)
        else:
            assert status == 403 and "No Key" in text, (method, path, status)


@pytest.mark.parametrize("scope", policy.SCOPES)
def test_each_scope_reaches_exactly_its_routes(
    scoped: tuple[Server, dict[str, str]], tmp_path: Path, scope: str
) -> None:
    server, tokens = scoped
    for method, path in app_routes(tmp_path):
        need = policy.needed_scope(method, path)
        if need is None:
            continue
        status, text = _call(server, method, path, tokens[scope])
        if policy.grants(scope, need):
            assert status not in {401, 403}, (scope, method, path, status, text)
        else:
            assert status == 403, (scope, method, path, status)
            assert f"scope '{need}'" in text and "detail" in text, text


def test_read_key_cannot_change_mics_rules_or_thresholds(
    scoped: tuple[Server, dict[str, str]],
) -> None:
    server, tokens = scoped
    with server.client(server.token(API_KEY)) as admin:
        mic = admin.post("/api/v1/mics", json={"name": "m", "edge_id": "e"}).json()["data"]
    reader = {"Authorization": f"Bearer {tokens['read']}"}
    patch = {"thresholds": {"scream_female": {"confidence": 0.1}}}
    r = httpx.patch(f"{server.base}/api/v1/mics/{mic['id']}", json=patch, headers=reader)
    assert r.status_code == 403
    assert r.json() == {"detail": {"message": r.json()["detail"]["message"]}}
    assert "'admin'" in r.json()["detail"]["message"]
    assert httpx.get(f"{server.base}/api/v1/mics/{mic['id']}", headers=reader).status_code == 200


def test_ingest_key_posts_events_and_nothing_else(scoped: tuple[Server, dict[str, str]]) -> None:
    server, tokens = scoped
    with server.client(server.token(API_KEY)) as admin:
        mic = admin.post("/api/v1/mics", json={"name": "m2", "edge_id": "e"}).json()["data"]
    edge = {"Authorization": f"Bearer {tokens['ingest']}"}
    event = {"mic_id": mic["id"], "label_id": "glass_break", "confidence": 0.9}
    assert httpx.post(server.base + "/api/v1/events", json=event, headers=edge).status_code == 201
    batch = httpx.post(server.base + "/api/v1/events/batch", json={"events": [event]}, headers=edge)
    assert batch.status_code == 201
    r = httpx.get(server.base + "/api/v1/events", headers=edge)
    assert r.status_code == 403 and "scope 'read'" in r.json()["detail"]["message"]
