"""Documented shapes of the answers, for the OpenAPI document only.

Views build the JSON (one function per shape); these models describe it so clients and the
schemathesis test can check it. They are attached with `responses={...: {"model": ...}}`,
which documents without filtering or re-validating what a view returns. Extra fields are
allowed (extensions); a time is null only for a stored time no ISO year can show.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")
Time = str | None


class Page(BaseModel, Generic[T]):
    """The page envelope of every list: `max_page` = ceil(total_cnt / size)."""

    page: int
    size: int
    total_cnt: int
    max_page: int
    results: list[T]


class Data(BaseModel, Generic[T]):
    data: T


def documented(model: Any, status: int = 200) -> dict[int | str, dict[str, Any]]:
    """`responses=` for a route whose answer has the shape `model`."""
    return {status: {"model": model}}
