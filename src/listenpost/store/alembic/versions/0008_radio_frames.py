"""Resume: `radio_frames`, the bounded history `/api/ws` clients replay after a reconnect.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from listenpost.store import radio_tables

    bind = op.get_bind()
    if not sa.inspect(bind).has_table("radio_frames"):
        radio_tables.frames.create(bind)  # with its index


def downgrade() -> None:
    op.drop_table("radio_frames")
