"""Who may call what: the one table mapping (method, route path) to the scope it needs.

Every route of the app is decided here, so a new endpoint cannot be forgotten: anything not
public, not ingest and not a read is `admin` (tests walk `app.routes` against this table).

* `read`   — every GET/HEAD and the live WebSockets, plus marking an event read (a console
             acknowledging what it shows changes no configuration).
* `ingest` — an edge: POST /api/v1/events and /api/v1/events/batch, nothing else.
* `admin`  — everything, including creating, changing and deleting mics, rules, thresholds,
             acknowledging and resolving alerts, and reading alert targets (they hold
             secrets).
"""

from __future__ import annotations

from typing import Literal

Scope = Literal["read", "ingest", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "ingest", "admin")
WEBSOCKET = "WEBSOCKET"  # the method name used here for WebSocket handshakes

PUBLIC_PATHS = frozenset(
    {"/health", "/metrics", "/docs", "/docs/oauth2-redirect", "/openapi.json"}
    # the dashboard's page and files (ui.py): it holds no data until its user logs in
    | {"/", "/ui/config.json", "/ui/{path:path}"}
)  # /redoc is off (docs/reference.md)
# The reissue endpoint takes an API key, not a token: any active key of any scope.
KEY_PATHS = frozenset({"/api/v1/auth/reissue"})
INGEST = frozenset({("POST", "/api/v1/events"), ("POST", "/api/v1/events/batch")})
READ_WRITES = frozenset({("POST", "/api/v1/events/{event_id}/read")})
READ_METHODS = frozenset({"GET", "HEAD", WEBSOCKET})
# Paths that are admin-only even to read: alert targets hold webhook secrets and service
# URLs with tokens in them (Apprise, MQTT credentials).
ADMIN_PATHS = frozenset({"/api/v1/alert-targets", "/api/v1/alert-targets/{target_id}"})
# Where a token may come as `?access_token=` (browsers cannot set headers there).
QUERY_TOKEN_PATHS = frozenset({"/api/v1/calls/{call_id}/audio"})


def needed_scope(method: str, path: str) -> Scope | None:
    """The scope a call needs; None for public routes and the key-taking reissue."""
    if path in PUBLIC_PATHS or path in KEY_PATHS:
        return None
    if path in ADMIN_PATHS:
        return "admin"
    if (method, path) in INGEST:
        return "ingest"
    if method in READ_METHODS or (method, path) in READ_WRITES:
        return "read"
    return "admin"


def grants(have: str, need: Scope) -> bool:
    """`admin` grants everything; `read` and `ingest` grant only themselves."""
    return have == "admin" or have == need


def query_token_allowed(method: str, path: str) -> bool:
    return method == WEBSOCKET or path in QUERY_TOKEN_PATHS
