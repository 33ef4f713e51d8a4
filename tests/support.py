"""Test support: a real `listenpost serve` process on a free loopback port, and its clients."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

API_KEY = "lpk_test_key_for_the_suite"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def service_missing(name: str, reason: str) -> None:
    """A missing service skips locally but fails loudly under CI=true."""
    import pytest

    message = f"{name} is not reachable ({reason}); .ci/run installs and starts it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class Server:
    """One server process; `restart()` keeps the same port, data dir and database."""

    startup_timeout = 30.0  # seconds until /health answers (a busy machine may need more)

    def __init__(self, data_dir: Path, db_url: str = "", **env: str) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        self.db_url = db_url
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "server.log"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The process to run: `listenpost serve` on this port, data dir and database."""
        args = [
            sys.executable,
            "-m",
            "listenpost",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        if self.db_url:
            args += ["--db-url", self.db_url]
        return args

    def start(self, extra: list[str] | None = None) -> Server:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = self.command()
        env = {
            **os.environ,
            "LISTENPOST_API_KEYS": API_KEY,
            "LISTENPOST_LOG_LEVEL": "warning",
            **self.env,
        }
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(args + (extra or []), env=env, stdout=log, stderr=log)
        deadline = time.time() + self.startup_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.base + "/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start in {self.startup_timeout:.0f} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def token(self, key: str = API_KEY) -> str:
        r = httpx.get(
            self.base + "/api/v1/auth/reissue", headers={"Authorization": f"Bearer {key}"}
        )
        assert r.status_code == 200, r.text
        return str(r.json()["access_token"])

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)


def create_pg_database(prefix: str = "lp_test") -> tuple[str, Any]:
    """A fresh PostgreSQL database for one test session; returns (url, drop callable)."""
    import asyncio
    import uuid

    import asyncpg

    base = os.environ.get("LISTENPOST_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def run(sql: str) -> None:
        conn = await asyncpg.connect(base, timeout=5)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    try:
        asyncio.run(run(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as exc:
        service_missing("PostgreSQL", str(exc))
    url = base.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + f"/{name}"

    def drop() -> None:
        asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return url, drop


def _pg_admin(url: str, *statements: str) -> None:
    import asyncio

    import asyncpg

    admin = url.rsplit("/", 1)[0].replace("+asyncpg", "") + "/test"

    async def run() -> None:
        conn = await asyncpg.connect(admin, timeout=5)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def pg_block(url: str) -> None:
    """Simulate a database outage: refuse new connections and cut the open ones."""
    name = url.rsplit("/", 1)[1]
    _pg_admin(
        url,
        f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false',
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'",
    )


def pg_unblock(url: str) -> None:
    _pg_admin(url, f'ALTER DATABASE "{url.rsplit("/", 1)[1]}" ALLOW_CONNECTIONS true')


async def insert_mic(conn: Any, mic_id: str = "m1") -> None:
    """A live mic stored directly, for tests that drive the store or `Ingest` without HTTP."""
    from listenpost.store import tables as t

    now = 1_774_515_600_000_000
    await conn.execute(
        t.mics.insert().values(
            id=mic_id,
            name=mic_id,
            streaming=False,
            recording=False,
            status="active",
            thresholds={},
            connected=False,
            created_at=now,
            updated_at=now,
        )
    )
