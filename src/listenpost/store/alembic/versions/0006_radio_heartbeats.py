"""Radio: plugin heartbeats; call_alert target unit; call end announced once.

Converted from the pre-Alembic step 6 (radio).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    if not inspector.has_table("radio_heartbeats"):
        op.create_table(
            "radio_heartbeats",
            sa.Column("instance_id", sa.String(200), primary_key=True),
            sa.Column("last_heartbeat", sa.BigInteger, nullable=False),
            sa.Column("received_at", sa.BigInteger, nullable=False),
            sa.Column("count", sa.BigInteger, nullable=False),
        )
    for table, column in (("radio_unit_events", "target_unit"), ("radio_calls", "ended")):
        if column not in {c["name"] for c in inspector.get_columns(table)}:
            kind = sa.BigInteger() if column == "target_unit" else sa.Boolean()
            op.add_column(table, sa.Column(column, kind))


def downgrade() -> None:
    op.drop_column("radio_calls", "ended")
    op.drop_column("radio_unit_events", "target_unit")
    op.drop_table("radio_heartbeats")
