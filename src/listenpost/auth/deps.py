"""The one access check for REST calls and WebSocket handshakes.

`authorize` decides every route the same way: the scope it needs comes from
`policy.needed_scope(method, route path)`; the token must be valid, its key still active in
the store (`KeyRegistry`, ≤ 1 s old) and of a scope that grants the route. It runs as an
app-wide dependency (`require_access`), so no endpoint can be left out; WebSocket handlers
call `accept_or_refuse`, which reuses the result and hands the socket to the node's watch.
"""

from __future__ import annotations

import contextlib
import time

from fastapi import Request
from sqlalchemy.exc import DBAPIError
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from .. import errors
from ..errors import ApiError, AuthError
from ..metrics import RATE_LIMITED
from ..node import Node, node_of
from ..store.keys import find_key
from .policy import WEBSOCKET, grants, needed_scope, query_token_allowed
from .tokens import KEY_PREFIX, Claims, TokenExpired, TokenInvalid, check_token

_CHECKED = "listenpost.claims"  # scope key: the request was already authorized


def bearer(conn: HTTPConnection, allow_query: bool) -> str | None:
    header = conn.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
        raise AuthError(errors.INVALID_KEY)
    if allow_query:
        return conn.query_params.get("access_token") or None
    return None


def route_path(conn: HTTPConnection) -> str:
    """The matched route's path template (`/api/v1/mics/{mic_id}`), else the raw path."""
    route = conn.scope.get("route")
    return str(getattr(route, "path", None) or conn.url.path)


def public_paths(node: Node) -> frozenset[str]:
    return frozenset({"/api/ws"}) if node.settings.radio_ws_public else frozenset()


async def authorize(conn: HTTPConnection, method: str) -> Claims | None:
    """Claims of the caller, or None for a public route; raises the documented 401/403."""
    if _CHECKED in conn.scope:
        checked: Claims | None = conn.scope[_CHECKED]
        return checked
    node = node_of(conn)
    path = route_path(conn)
    need = None if path in public_paths(node) else needed_scope(method, path)
    claims = None
    if need is not None:
        token = bearer(conn, allow_query=query_token_allowed(method, path))
        if token is None:
            raise ApiError(errors.NO_KEY, status=403)
        claims = await _claims(node, token)
        state = await node.keys.get(claims.key_id, claims.issued_at)
        if state is None or state.revoked:
            raise AuthError(errors.REVOKED_TOKEN)
        if not grants(state.scope, need):
            raise ApiError(errors.forbidden(method, path, need, state.scope), status=403)
    conn.scope[_CHECKED] = claims
    return claims


def claims_of(conn: HTTPConnection) -> Claims | None:
    """The claims `authorize` already found for this request (None: public or not checked)."""
    claims: Claims | None = conn.scope.get(_CHECKED)
    return claims


async def _claims(node: Node, token: str) -> Claims:
    try:
        return check_token(node.secret, token, time.time(), node.settings.token_ttl)
    except TokenExpired as exc:
        raise AuthError(errors.EXPIRED) from exc
    except TokenInvalid as exc:
        if await _is_api_key(node, token):
            raise AuthError(errors.LOOKS_LIKE_KEY) from exc
        raise AuthError(errors.INVALID_KEY) from exc


async def _is_api_key(node: Node, token: str) -> bool:
    """`lpk_…`, or any stored key (LISTENPOST_API_KEYS may have any shape)."""
    if token.startswith(KEY_PREFIX):
        return True
    with contextlib.suppress(DBAPIError, OSError):
        return await find_key(node.engine, token) is not None
    return False


async def require_access(conn: HTTPConnection) -> Claims | None:
    """App-wide dependency: `authorize`, then the per-endpoint rate limit (HTTP only)."""
    if conn.scope["type"] != "http":
        return await authorize(conn, WEBSOCKET)
    assert isinstance(conn, Request)
    claims = await authorize(conn, conn.method)
    if claims is not None:
        _limit(conn, claims)
    return claims


# Kept for routers that name it; the policy decides where `?access_token=` is accepted.
require_access_or_query = require_access


def _limit(request: Request, claims: Claims) -> None:
    limiter = node_of(request).rate_limiter
    if limiter is not None:
        endpoint = f"{request.method} {route_path(request)}"
        verdict = limiter.hit(f"{claims.key_id}|{endpoint}", time.time())
        if not verdict.allowed:
            RATE_LIMITED.inc()
            raise ApiError(
                f"Rate limit exceeded. Please try again in {verdict.retry_after} seconds.",
                status=429,
                limit=verdict.limit,
                remaining=0,
                reset=verdict.reset,
            )


async def accept_or_refuse(ws: WebSocket, public: bool = False) -> bool:
    """Check the handshake; refuse with an HTTP 401/403 answer before accepting, or accept and
    let the node's watch close the socket (1008) when its token expires or its key is revoked.
    `public` is kept for callers; the policy already knows the public routes."""
    try:
        claims = None if public else await authorize(ws, WEBSOCKET)
    except ApiError as exc:
        await ws.send_denial_response(errors.error_response(exc.status, exc.message))
        return False
    await ws.accept()
    if claims is not None:
        node_of(ws).sockets.add(ws, claims)
    return True
