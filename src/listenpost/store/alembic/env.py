"""Alembic environment: listenpost hands in an open (sync) connection from its async engine.

Migrations run through `listenpost.store.migrations` (server startup, `listenpost db ...`),
which passes the connection in `config.attributes["connection"]` inside its own transaction.
"""

from __future__ import annotations

from alembic import context

from listenpost.store import alert_tables, radio_tables  # noqa: F401  (registers them)
from listenpost.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `listenpost db upgrade` (it supplies the database)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
