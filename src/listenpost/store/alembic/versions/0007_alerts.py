"""Alerts: rules, targets, alerts, the delivery outbox and its attempts.

The tables are created from `store/alert_tables.py` when missing; a later change to them is
a new revision that checks before it alters (as 0006 does), so it also works on a database
this revision created with the newer definitions.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None

TABLES = ("alert_attempts", "alert_deliveries", "alerts", "alert_targets", "alert_rules")


def upgrade() -> None:
    from listenpost.store import alert_tables

    bind = op.get_bind()
    inspector = sa.inspect(bind)
    for name in reversed(TABLES):
        if not inspector.has_table(name):
            table = alert_tables.metadata.tables[name]
            table.create(bind)


def downgrade() -> None:
    for name in TABLES:
        op.drop_table(name)
