"""The documented error body `{"detail": {"message": ...}}` and the handlers that produce it.

Error tree:  ApiError
             ├── NotFound (404)      ├── Conflict (409)
             ├── Invalid (422)       └── AuthError (401/403)
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("listenpost")
INTERNAL = "internal error: the server failed to answer this request; it was logged"


class ApiError(Exception):
    status = 400

    def __init__(
        self,
        message: str,
        status: int | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.headers = headers
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"detail": {"message": self.message, **self.extra}}


class NotFound(ApiError):
    status = 404


class Conflict(ApiError):
    status = 409


class Invalid(ApiError):
    status = 422


class AuthError(ApiError):
    status = 401


NO_KEY = "No Key: send 'Authorization: Bearer <token>'."
INVALID_KEY = "Invalid Key: the token is not valid."
REVOKED = "Invalid Key: this API key has been revoked."
LOOKS_LIKE_KEY = (
    "Invalid Key: this looks like an API key; exchange it at /api/v1/auth/reissue"
    " for an access token."
)
REVOKED_TOKEN = "Invalid Key: the API key this token was issued for is revoked or deleted."
EXPIRED = (
    "Expired Token: authentication token expired. Please reissue a new token to renew your session."
)


def forbidden(method: str, path: str, need: str, have: str) -> str:
    return (
        f"Forbidden: {method} {path} needs an API key with scope '{need}' (or 'admin');"
        f" this token's key has scope '{have}'."
    )


def error_response(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"detail": {"message": message, **extra}}, status_code=status)


def describe_validation(errors: list[Any]) -> str:
    """One readable line per problem, naming the field: `query.size: must be <= 100`."""
    parts = []
    for err in errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        msg = err.get("msg", "invalid")
        if err.get("type") == "json_invalid":
            return f"malformed JSON body: {err.get('ctx', {}).get('error', msg)}"
        parts.append(f"{loc}: {msg}")
    return "; ".join(parts)


def _sqlstate(exc: DBAPIError) -> str:
    """The SQLSTATE of a driver error ("22…" is a data exception: a value, not an outage)."""
    return str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, describe_validation(list(exc.errors())))

    @app.exception_handler(DBAPIError)
    async def _database(_: Request, exc: DBAPIError) -> JSONResponse:
        """A constraint race is the caller's conflict; a value the database refuses (one the
        edge checks missed) is the caller's too; anything else from the driver means the
        database is not answering: 503 so clients retry (nothing was stored)."""
        if isinstance(exc, IntegrityError):
            return error_response(409, "conflicts with stored data (concurrent write?)")
        if isinstance(exc, DataError) or _sqlstate(exc).startswith("22"):
            log.warning("database refused a value: %s", exc.orig)
            return error_response(422, "a value cannot be stored (too long or not representable)")
        response = error_response(503, "database unavailable; nothing was stored, retry shortly")
        response.headers["Retry-After"] = "1"
        return response

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        """Last resort: the documented JSON shape, no internals (the traceback is logged by
        the server, which re-raises after this answer)."""
        return error_response(500, INTERNAL)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Starlette's own errors (404 no route, 405 with `Allow`) in our shape."""
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            from .openapi import allowed_methods

            allow = ", ".join(allowed_methods(request.app, request.url.path))
            headers["Allow"] = allow
            detail = f"method {request.method} not allowed here; allowed: {allow}"
        response = error_response(exc.status_code, detail)
        response.headers.update(headers)
        return response
