"""Request parameters shared by every router, bounded at the edge.

A number the database cannot hold (SQLite INTEGER and PostgreSQL BIGINT stop at 2**63 - 1)
or a time the server cannot show must be a 422 naming the parameter, never reach the store.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from .errors import Invalid
from .timeutil import parse_iso

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_PAGE = 10_000_000  # 10**9 rows at size 100; keeps the OFFSET far inside BIGINT

Page = Annotated[int, Query(gt=0, le=MAX_PAGE, description=f"Page number, 1..{MAX_PAGE}")]
Size = Annotated[int, Query(gt=0, le=100, description="Page size, 1..100")]
Int64Query = Annotated[int, Query(ge=INT64_MIN, le=INT64_MAX)]


def iso_param(name: str, value: str | None) -> int | None:
    """A query time in the accepted window, as microseconds; 422 naming `name` otherwise."""
    if value is None:
        return None
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise Invalid(f"query.{name}: {exc}") from exc


def int64_param(name: str, text: str) -> int:
    """An integer that the store can hold, parsed from text; 422 naming `name` otherwise."""
    try:
        number = int(text)
    except ValueError as exc:
        raise Invalid(f"{name}: must be an integer, got {text!r}") from exc
    if not INT64_MIN <= number <= INT64_MAX:
        raise Invalid(f"{name}: must be between {INT64_MIN} and {INT64_MAX}, got {text}")
    return number


def check_text(where: str, value: str) -> None:
    """Text must be storable everywhere: PostgreSQL refuses NUL in text (SQLite keeps it)."""
    if "\x00" in value:
        raise Invalid(f"{where}: text may not contain NUL (\\u0000)")


async def text_params(request: Request) -> None:
    """Router dependency: every query and path parameter is storable text (422 naming it)."""
    for name, value in request.query_params.multi_items():
        check_text(f"query.{name}", value)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_text(f"path.{name}", value)
