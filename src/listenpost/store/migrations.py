"""Schema migrations with Alembic, run at startup and by `listenpost db upgrade|current|history`.

Revisions live in `store/alembic/versions/`, one file each, numbered on from the pre-Alembic
steps: `0003` is the base (what steps 1-3 built), `0005` and `0006` were steps 5 and 6. A new
schema change is a new revision file numbered after the head, with `down_revision` = the head;
use `op.*` (batch mode works on SQLite) and make it safe to re-run on a partly changed table.

Databases made before Alembic record `schema_version` in `lp_meta`; they are *stamped* with
the matching revision (nothing is rebuilt) and upgraded from there. PostgreSQL nodes starting
together serialise on an advisory lock held for the whole upgrade transaction.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TextIO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from . import tables as t

log = logging.getLogger("listenpost.store")

SCRIPTS = Path(__file__).with_name("alembic")
# Pre-Alembic `lp_meta.schema_version` -> the revision that database is at. Versions 1 and 2
# are not stamped: the base revision creates only what is missing, so they gain the rest.
LEGACY = {3: "0003", 5: "0005", 6: "0006"}
_LOCK = 727001


def alembic_config(conn: Connection | None = None, stdout: TextIO = sys.stdout) -> Config:
    cfg = Config(stdout=stdout)
    cfg.set_main_option("script_location", str(SCRIPTS))
    cfg.attributes["connection"] = conn
    return cfg


def head_revision() -> str:
    return str(ScriptDirectory.from_config(alembic_config()).get_current_head())


def current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _legacy_version(conn: Connection) -> int | None:
    """`schema_version` of a database made before Alembic, else None."""
    names = set(inspect(conn).get_table_names())
    if "alembic_version" in names or t.meta.name not in names:
        return None
    row = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).first()
    return int(row[0]) if row else None


def _adopt_legacy(conn: Connection) -> None:
    version = _legacy_version(conn)
    if version is None or version < min(LEGACY):
        return
    if version not in LEGACY:
        raise RuntimeError(f"database schema_version {version} is newer than this listenpost")
    log.info("database made before Alembic (schema v%d): stamping %s", version, LEGACY[version])
    command.stamp(alembic_config(conn), LEGACY[version])


def _upgrade(conn: Connection, revision: str) -> str:
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock({_LOCK})"))
    _adopt_legacy(conn)
    before = current_revision(conn)
    command.upgrade(alembic_config(conn), revision)
    after = current_revision(conn) or ""
    if after != before:
        log.info("database schema upgraded from %s to %s", before or "empty", after)
    return after


async def migrate(engine: AsyncEngine, revision: str = "head") -> str:
    """Bring the schema to `revision` (default: newest) in one transaction; returns it."""
    async with engine.begin() as conn:
        return await conn.run_sync(_upgrade, revision)


async def show(engine: AsyncEngine, what: str, stdout: TextIO = sys.stdout) -> None:
    """`current` or `history`, printed as Alembic prints them."""
    async with engine.connect() as conn:
        await conn.run_sync(lambda c: getattr(command, what)(alembic_config(c, stdout)))
