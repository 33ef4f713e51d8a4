"""The OpenAPI document, made to describe the answers the server really sends.

FastAPI documents its own list-shaped `HTTPValidationError` for 422 and nothing else; the
server answers every error as `{"detail": {"message": ...}}` (errors.py). This adds, per
operation, the errors it can give, in that shape: auth (401/403/429) on every token-protected
operation, 422 where there is input, 413 where there is a body, 404/409 where a path names a
resource, 503 (`Retry-After`) where the database answers, 500 everywhere.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.routing import compile_path

ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "object",
            "required": ["message"],
            "properties": {"message": {"type": "string"}},
            "additionalProperties": True,
        }
    },
}
PUBLIC_PREFIXES = ("/health", "/metrics", "/api/v1/auth/")
SCHEMES: dict[str, Any] = {
    "AccessToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "AccessTokenQuery": {"type": "apiKey", "in": "query", "name": "access_token"},
    "ApiKey": {"type": "http", "scheme": "bearer", "description": "an API key (lpk_…)"},
}
WHY = {
    "400": "Unreadable request: a body that is not UTF-8 JSON text, or a bad Range header",
    "401": "Invalid or expired credentials",
    "403": "No credentials, or not allowed",
    "404": "Not found",
    "409": "Conflicts with stored data",
    "413": "Request body too large",
    "416": "Range not satisfiable",
    "422": "Invalid input; the message names the field",
    "429": "Rate limited; `limit`, `remaining` and `reset` in `detail`",
    "500": "Unexpected failure (logged by the server)",
    "503": "Database unavailable; nothing was stored, retry after `Retry-After` seconds",
}
HEADERS: dict[str, dict[str, Any]] = {
    "503": {"Retry-After": {"schema": {"type": "string"}, "required": True}},
    "416": {"Content-Range": {"schema": {"type": "string"}, "required": True}},
}


def install(app: FastAPI) -> None:
    """Replace `app.openapi` with the truthful document (built once, then cached)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            doc = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = describe_errors(doc)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe_errors(doc: dict[str, Any]) -> dict[str, Any]:
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Error"] = ERROR_SCHEMA
    components["securitySchemes"] = SCHEMES
    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            _describe(path, method, op)
    return doc


def _describe(path: str, method: str, op: dict[str, Any]) -> None:
    statuses = ["500"]
    params = op.get("parameters", [])
    if params or "requestBody" in op:
        statuses.append("422")
    if "requestBody" in op:
        statuses += ["400", "413"]
    if any(p.get("in") == "path" for p in params):
        statuses.append("404")
    if method != "get" or path.startswith(("/api/v1/talkgroups/", "/api/v1/units/")):
        statuses.append("409")  # a concurrent write, a duplicate id, an ambiguous radio id
    if path.startswith("/api/v1/auth/"):
        statuses += ["401", "403", "503"]
        op["security"] = [{"ApiKey": []}]
    elif not path.startswith(PUBLIC_PREFIXES):
        statuses += ["401", "403", "429", "503"]
        op["security"] = [{"AccessToken": []}]
        if path.endswith("/audio"):
            op["security"].append({"AccessTokenQuery": []})
            statuses += ["400", "416"]
    responses = op.setdefault("responses", {})
    for status in statuses:
        responses[status] = _error(status)


def _error(status: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": WHY[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    if status in HEADERS:
        response["headers"] = HEADERS[status]
    return response


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """Every method some operation serves at `path` (a 405's `Allow` must name them all;
    Starlette names only the first route that matched the path)."""
    methods: set[str] = set()
    for template, item in app.openapi().get("paths", {}).items():
        regex, _, _ = compile_path(template)
        if regex.match(path):
            methods.update(m.upper() for m in item)
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
