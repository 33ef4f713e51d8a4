"""Alembic migrations: databases made before Alembic are adopted (stamped, data kept), fresh
ones are built by the revisions, and operators have `listenpost db upgrade|current|history`."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import Server, create_pg_database

LEGACY = Path(__file__).parent / "fixtures" / "legacy"
# Databases made by pre-Alembic servers (schema_version 3 and 6), and what each stored.
MADE_BEFORE = {
    "listenpost-v3.sqlite": (
        "55ad30b45f79411081f292e4e6ca5476",
        "873856dc439e418f8dccbfdd2100b3ed",
    ),
    "listenpost-v6.sqlite": (
        "81edc82bee7a405a9eb93d2b5b8498d8",
        "15b0024167294777b2a3acc9db0995a4",
    ),
}
BASE = "0003"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LISTENPOST_LOG_LEVEL": "warning"}
    env.pop("LISTENPOST_API_KEYS", None)
    return subprocess.run(
        [sys.executable, "-m", "listenpost", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def head() -> str:
    """The newest revision, as `listenpost db history` names it."""
    out = cli("db", "history")
    assert out.returncode == 0, out.stderr
    return out.stdout.split("->", 1)[1].split()[0].strip(",")


def sqlite_schema(path: Path) -> dict[str, set[tuple[str, str, int]]]:
    """Tables and their columns (name, type, not null); column order is not compared."""
    con = sqlite3.connect(path)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {
            n: {(c[1], c[2], c[3]) for c in con.execute(f'PRAGMA table_info("{n}")')}
            for n in sorted(names)
            if n != "alembic_version"
        }
    finally:
        con.close()


@pytest.mark.parametrize("made_before", sorted(MADE_BEFORE))
def test_sqlite_database_made_before_alembic_keeps_its_data(
    made_before: str, tmp_path: Path
) -> None:
    mic, event = MADE_BEFORE[made_before]
    data = tmp_path / "srv"
    data.mkdir()
    shutil.copy(LEGACY / made_before, data / "listenpost.db")
    srv = Server(data).start()
    try:
        with srv.client() as c:
            events = c.get("/api/v1/events", params={"mic_id": mic}).json()["results"]
            assert [e["id"] for e in events] == [event]
            assert c.get("/api/v1/composite-rules/legacy-rule").status_code == 200
    finally:
        srv.stop()
    current = cli("db", "current", "--data-dir", str(data))
    assert current.returncode == 0, current.stderr
    assert head() in current.stdout
    assert sqlite_schema(data / "listenpost.db") == sqlite_schema(fresh_head(tmp_path / "new"))


def fresh_head(data: Path) -> Path:
    out = cli("db", "upgrade", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    return data / "listenpost.db"


def test_fresh_base_revision_is_the_old_schema(tmp_path: Path) -> None:
    out = cli("db", "upgrade", BASE, "--data-dir", str(tmp_path))
    assert out.returncode == 0, out.stderr
    legacy = sqlite_schema(LEGACY / "listenpost-v3.sqlite")
    assert sqlite_schema(tmp_path / "listenpost.db") == legacy
    assert BASE in cli("db", "current", "--data-dir", str(tmp_path)).stdout


def test_db_commands_upgrade_to_head_once(tmp_path: Path) -> None:
    for _ in range(2):
        out = cli("db", "upgrade", "--data-dir", str(tmp_path))
        assert out.returncode == 0, out.stderr
    assert head() in cli("db", "current", "--data-dir", str(tmp_path)).stdout
    history = cli("db", "history").stdout
    assert BASE in history and "base" in history.lower()


@pytest.fixture
def pg_url() -> Iterator[str]:
    url, drop = create_pg_database()
    yield url
    drop()


def _pg(url: str, sql: str) -> list[tuple[object, ...]]:
    import asyncpg

    async def run() -> list[tuple[object, ...]]:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            if sql.lstrip().upper().startswith("SELECT"):
                return [tuple(r) for r in await conn.fetch(sql)]
            await conn.execute(sql)
            return []
        finally:
            await conn.close()

    return asyncio.run(run())


def test_postgres_database_made_before_alembic_is_stamped(pg_url: str) -> None:
    _pg(pg_url, (LEGACY / "schema-v3-postgresql.sql").read_text())
    _pg(
        pg_url,
        "INSERT INTO api_keys (id, name, key_hash, created_at) VALUES ('k1', 'old', 'h', 1)",
    )
    out = cli("db", "upgrade", "--db-url", pg_url)
    assert out.returncode == 0, out.stderr
    assert _pg(pg_url, "SELECT id, name FROM api_keys") == [("k1", "old")]
    assert _pg(pg_url, "SELECT version_num FROM alembic_version") == [(head(),)]


def test_db_command_on_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    from support import free_port

    out = cli("db", "upgrade", "--db-url", f"postgresql://lp:s3cret@127.0.0.1:{free_port()}/x")
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "--db-url" in out.stderr and "s3cret" not in out.stderr


def test_nodes_upgrading_together_take_turns(pg_url: str) -> None:
    """PostgreSQL: several `db upgrade` at once (as nodes starting together) all succeed."""
    env = {**os.environ, "LISTENPOST_LOG_LEVEL": "warning"}
    argv = [sys.executable, "-m", "listenpost", "db", "upgrade", "--db-url", pg_url]
    procs = [subprocess.Popen(argv, env=env, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
    assert _pg(pg_url, "SELECT version_num FROM alembic_version") == [(head(),)]
