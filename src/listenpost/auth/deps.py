"""One Bearer check for REST calls and WebSocket handshakes."""

from __future__ import annotations

import time

from fastapi import Request
from starlette.requests import HTTPConnection
from starlette.websockets import WebSocket

from .. import errors
from ..errors import ApiError, AuthError
from ..metrics import RATE_LIMITED
from ..node import node_of
from .tokens import Claims, TokenExpired, TokenInvalid, check_token


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


def authenticate(conn: HTTPConnection, allow_query: bool = False) -> Claims:
    """Return the claims of a valid access token or raise the documented 401/403."""
    token = bearer(conn, allow_query)
    if token is None:
        raise ApiError(errors.NO_KEY, status=403)
    try:
        node = node_of(conn)
        return check_token(node.secret, token, time.time(), node.settings.token_ttl)
    except TokenExpired as exc:
        raise AuthError(errors.EXPIRED) from exc
    except TokenInvalid as exc:
        raise AuthError(errors.INVALID_KEY) from exc


async def require_access(request: Request) -> Claims:
    """FastAPI dependency: a valid access token, then the per-endpoint rate limit."""
    return _limit(request, authenticate(request))


async def require_access_or_query(request: Request) -> Claims:
    """As `require_access`, also accepting `?access_token=` (for `<audio src>` in browsers)."""
    return _limit(request, authenticate(request, allow_query=True))


def _limit(request: Request, claims: Claims) -> Claims:
    limiter = node_of(request).rate_limiter
    if limiter is not None:
        route = request.scope.get("route")
        endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
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
    return claims


async def accept_or_refuse(ws: WebSocket, public: bool = False) -> bool:
    """Check the handshake token; refuse with an HTTP 401/403 answer before accepting."""
    if not public:
        try:
            authenticate(ws, allow_query=True)
        except ApiError as exc:
            await ws.send_denial_response(errors.error_response(exc.status, exc.message))
            return False
    await ws.accept()
    return True
