"""`listenpost apikey create|list|revoke`: scopes, unique names, env keys, last use, and the
schema step that brings older key tables up to date."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from support import API_KEY, Server


def cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LISTENPOST_")}
    command = [sys.executable, "-m", "listenpost", "apikey", *args, "--data-dir", str(data_dir)]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def create(data_dir: Path, name: str, *extra: str) -> str:
    out = cli(data_dir, "create", "--name", name, *extra)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def listed(data_dir: Path) -> dict[str, dict[str, Any]]:
    out = cli(data_dir, "list", "--json")
    assert out.returncode == 0, out.stderr
    return {row["name"]: row for row in json.loads(out.stdout)}


def test_list_shows_names_scopes_and_use_never_the_key(tmp_path: Path) -> None:
    read_key = create(tmp_path, "dashboard", "--scope", "read")
    edge_key = create(tmp_path, "edge-01", "--scope", "ingest")
    admin_key = create(tmp_path, "ops")
    rows = listed(tmp_path)
    assert {n: r["scope"] for n, r in rows.items()} == {
        "dashboard": "read",
        "edge-01": "ingest",
        "ops": "admin",
    }
    assert all(r["source"] == "cli" and r["last_used"] is None for r in rows.values())
    assert all(r["created"].endswith("Z") and r["revoked"] is None for r in rows.values())
    table = cli(tmp_path, "list")
    assert table.returncode == 0
    header = table.stdout.splitlines()[0].split()
    assert header[:4] == ["ID", "NAME", "SCOPE", "SOURCE"]
    assert "dashboard" in table.stdout and "edge-01" in table.stdout
    for key in (read_key, edge_key, admin_key):
        assert key not in table.stdout and key not in json.dumps(rows)
        assert key[4:12] not in table.stdout


def test_duplicate_name_is_refused_with_status_2(tmp_path: Path) -> None:
    create(tmp_path, "edge-01")
    out = cli(tmp_path, "create", "--name", "edge-01")
    assert out.returncode == 2
    assert "edge-01" in out.stderr and "already" in out.stderr
    assert out.stdout == ""
    assert len(listed(tmp_path)) == 1


def test_unknown_scope_is_a_usage_error(tmp_path: Path) -> None:
    out = cli(tmp_path, "create", "--name", "x", "--scope", "root")
    assert out.returncode == 2 and "scope" in out.stderr


def test_revoke_by_name_or_id(tmp_path: Path) -> None:
    create(tmp_path, "a")
    create(tmp_path, "b")
    key_b = listed(tmp_path)["b"]["id"]
    assert cli(tmp_path, "revoke", "a").returncode == 0
    out = cli(tmp_path, "revoke", key_b)
    assert out.returncode == 0 and "b" in out.stdout
    rows = listed(tmp_path)
    assert rows["a"]["revoked"] and rows["b"]["revoked"]
    assert "revoked" in cli(tmp_path, "list").stdout
    again = cli(tmp_path, "revoke", "a")
    assert again.returncode == 0 and "already" in again.stdout
    missing = cli(tmp_path, "revoke", "nobody")
    assert missing.returncode == 2 and "nobody" in missing.stderr


def test_env_keys_are_marked_admin_and_removed_when_unlisted(fresh_server: Server) -> None:
    other = "some-operator-chosen-key"
    fresh_server.env["LISTENPOST_API_KEYS"] = f"{API_KEY},{other}"
    fresh_server.start()
    fresh_server.token(other)
    rows = [r for r in listed(fresh_server.data_dir).values() if r["source"] == "env"]
    assert len(rows) == 2 and {r["scope"] for r in rows} == {"admin"}
    fresh_server.stop()
    fresh_server.env["LISTENPOST_API_KEYS"] = API_KEY
    fresh_server.start()
    rows = [r for r in listed(fresh_server.data_dir).values() if r["source"] == "env"]
    assert len(rows) == 1
    r = httpx.get(
        fresh_server.base + "/api/v1/auth/reissue", headers={"Authorization": f"Bearer {other}"}
    )
    assert r.status_code == 401


def test_last_used_is_set_by_reissue(fresh_server: Server) -> None:
    key = create(fresh_server.data_dir, "edge-01")
    fresh_server.start()
    assert listed(fresh_server.data_dir)["edge-01"]["last_used"] is None
    fresh_server.token(key)
    assert listed(fresh_server.data_dir)["edge-01"]["last_used"].endswith("Z")


def test_older_key_tables_are_upgraded(tmp_path: Path) -> None:
    """A database from before scopes: env keys all named alike, a duplicated CLI name."""
    create(tmp_path, "placeholder")  # a fully migrated database
    db = sqlite3.connect(tmp_path / "listenpost.db")
    db.executescript(
        """
        DROP TABLE api_keys;
        CREATE TABLE api_keys (id VARCHAR(32) PRIMARY KEY, name VARCHAR(200) NOT NULL,
            key_hash VARCHAR(64) NOT NULL UNIQUE, created_at BIGINT NOT NULL);
        INSERT INTO api_keys VALUES ('e1', 'env:LISTENPOST_API_KEYS', 'h1', 1);
        INSERT INTO api_keys VALUES ('e2', 'env:LISTENPOST_API_KEYS', 'h2', 2);
        INSERT INTO api_keys VALUES ('c1', 'edge', 'h3', 3);
        INSERT INTO api_keys VALUES ('c2', 'edge', 'h4', 4);
        UPDATE alembic_version SET version_num = '0003';
        """
    )
    db.commit()
    db.close()
    rows = {r["id"]: r for r in listed(tmp_path).values()}
    assert {i: (r["source"], r["scope"]) for i, r in rows.items()} == {
        "e1": ("env", "admin"),
        "e2": ("env", "admin"),
        "c1": ("cli", "admin"),
        "c2": ("cli", "admin"),
    }
    assert len({r["name"] for r in rows.values()}) == 4 and rows["c1"]["name"] == "edge"
    assert cli(tmp_path, "create", "--name", "edge").returncode == 2
