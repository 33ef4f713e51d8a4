"""The page envelope shared by every list endpoint."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncConnection


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` literally anywhere (`%` and `_` are not wildcards);
    use with `escape="\\"`."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def envelope(page: int, size: int, total: int, results: list[Any]) -> dict[str, Any]:
    """`max_page` is ceil(total_cnt / size), so 0 when nothing matches."""
    return {
        "page": page,
        "size": size,
        "total_cnt": total,
        "max_page": -(-total // size),
        "results": results,
    }


async def fetch_page(
    conn: AsyncConnection, query: Select[Any], page: int, size: int
) -> tuple[int, list[Any]]:
    """Run `query` (already ordered) for one page; returns (total, rows)."""
    total = (
        await conn.execute(select(func.count()).select_from(query.order_by(None).subquery()))
    ).scalar_one()
    rows = (await conn.execute(query.limit(size).offset((page - 1) * size))).mappings().all()
    return int(total), list(rows)
