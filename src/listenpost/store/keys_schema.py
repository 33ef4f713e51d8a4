"""Schema step for API keys: scope, source, last use and revocation; names made unique.

Self-contained and idempotent (it looks at the table before changing it), so it is safe on a
database created by any earlier release and on a fresh one whose step 1 already built the
current table.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect, literal, select, text, update

from . import tables as t

STEP = 5
OLD_ENV_NAME = "env:LISTENPOST_API_KEYS"
_COLUMNS = (
    ("scope", "VARCHAR(16) NOT NULL DEFAULT 'admin'"),
    ("source", "VARCHAR(16) NOT NULL DEFAULT 'cli'"),
    ("last_used_at", "BIGINT"),
    ("revoked_at", "BIGINT"),
)


def upgrade(conn: Connection) -> None:
    present = {c["name"] for c in inspect(conn).get_columns("api_keys")}
    for name, ddl in _COLUMNS:
        if name not in present:
            conn.execute(text(f"ALTER TABLE api_keys ADD COLUMN {name} {ddl}"))
    keys = t.api_keys
    conn.execute(
        update(keys)
        .where(keys.c.name == OLD_ENV_NAME)
        .values(source="env", name=literal("env:") + keys.c.id)
    )
    _dedupe_names(conn)
    for index in keys.indexes:
        index.create(conn, checkfirst=True)


def _dedupe_names(conn: Connection) -> None:
    """Older releases allowed one name twice: the oldest keeps it, later ones get their id."""
    keys = t.api_keys
    rows = conn.execute(select(keys.c.id, keys.c.name).order_by(keys.c.created_at, keys.c.id)).all()
    seen: set[str] = set()
    for key_id, name in rows:
        if name in seen:
            conn.execute(update(keys).where(keys.c.id == key_id).values(name=f"{name} ({key_id})"))
        seen.add(name)
