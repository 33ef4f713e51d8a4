"""API keys: scope, source, last use, revocation; names made unique.

Converted from the pre-Alembic step 5 (keys). Idempotent: it looks at the table first, so it
is safe on a database whose api_keys already has some of the columns.

Revision ID: 0005
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None

OLD_ENV_NAME = "env:LISTENPOST_API_KEYS"
_COLUMNS = (
    ("scope", "VARCHAR(16) NOT NULL DEFAULT 'admin'"),
    ("source", "VARCHAR(16) NOT NULL DEFAULT 'cli'"),
    ("last_used_at", "BIGINT"),
    ("revoked_at", "BIGINT"),
)
keys = sa.table(
    "api_keys",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("created_at", sa.BigInteger),
    sa.column("source", sa.String),
)


def upgrade() -> None:
    conn = op.get_bind()
    inspector = sa.inspect(conn)
    present = {c["name"] for c in inspector.get_columns("api_keys")}
    for name, ddl in _COLUMNS:
        if name not in present:
            conn.execute(sa.text(f"ALTER TABLE api_keys ADD COLUMN {name} {ddl}"))
    conn.execute(
        sa.update(keys)
        .where(keys.c.name == OLD_ENV_NAME)
        .values(source="env", name=sa.literal("env:") + keys.c.id)
    )
    _dedupe_names(conn)
    if "ux_api_keys_name" not in {i["name"] for i in inspector.get_indexes("api_keys")}:
        op.create_index("ux_api_keys_name", "api_keys", ["name"], unique=True)


def _dedupe_names(conn: sa.Connection) -> None:
    """Older releases allowed one name twice: the oldest keeps it, later ones get their id."""
    rows = conn.execute(sa.select(keys.c.id, keys.c.name).order_by(keys.c.created_at, keys.c.id))
    seen: set[str] = set()
    for key_id, name in rows.all():
        if name in seen:
            conn.execute(
                sa.update(keys).where(keys.c.id == key_id).values(name=f"{name} ({key_id})")
            )
        seen.add(name)


def downgrade() -> None:
    op.drop_index("ux_api_keys_name", "api_keys")
    with op.batch_alter_table("api_keys") as batch:
        for name, _ddl in reversed(_COLUMNS):
            batch.drop_column(name)
