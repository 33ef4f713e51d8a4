"""Three `listenpost serve` processes on loopback ports sharing a fresh PostgreSQL database
(made and dropped per cluster) and, when given, a bus URL."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from support import Server, create_pg_database


class Cluster:
    def __init__(self, root: Path, size: int = 3, bus_url: str = "", **env: str) -> None:
        self.url, self._drop = create_pg_database(prefix="cluster")
        if bus_url:
            env["LISTENPOST_BUS_URL"] = bus_url
        self.nodes = [Server(root / f"node{i}", self.url, **env) for i in range(size)]
        for node in self.nodes:
            node.startup_timeout = 120.0  # three interpreters importing at once on a shared box

    def start(self) -> Cluster:
        """Every node at once (they migrate the fresh database together)."""
        errors: list[BaseException] = []

        def run(node: Server) -> None:
            try:
                node.start()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        threads = [threading.Thread(target=run, args=(n,)) for n in self.nodes]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            self.stop()
            raise errors[0]
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()
        self._drop()

    @property
    def alive(self) -> list[Server]:
        return [n for n in self.nodes if n.proc is not None and n.proc.poll() is None]

    def kill(self, node: Server) -> None:
        """`kill -9`: no drain, no goodbye to the database or the broker."""
        assert node.proc is not None
        node.proc.kill()
        node.proc.wait()

    def revive(self) -> None:
        """Start again every node that was killed (same port, data dir and database)."""
        for node in self.nodes:
            if node not in self.alive:
                node.start()

    def holder(self, key: str, value: str, timeout: float = 30.0) -> Server:
        """The live node whose /health says `key: value` (waits for a fail-over)."""
        deadline = time.time() + timeout
        while True:
            found = [n for n in self.alive if health(n).get(key) == value]
            if found:
                assert len(found) == 1, f"{len(found)} nodes report {key}={value}"
                return found[0]
            assert time.time() < deadline, f"no node reports {key}={value}"
            time.sleep(0.1)


def health(node: Server) -> dict[str, Any]:
    return dict(httpx.get(node.base + "/health", timeout=5).json())


def wait_for(fn: Any, timeout: float = 30.0) -> Any:
    deadline = time.time() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.time() < deadline, "condition not met in time"
        time.sleep(0.1)


BUSES = {"redis": ("redis://127.0.0.1:6379/0", 6379), "nats": ("nats://127.0.0.1:4222", 4222)}


def bus_url(name: str) -> str:
    """The local Redis or NATS; skips (fails under CI=true) when it does not answer."""
    import socket

    from support import service_missing

    url, port = BUSES[name]
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError as exc:
        service_missing(f"{name} bus", str(exc))
    return url


def query(url: str, sql: str) -> list[Any]:
    async def run() -> list[Any]:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""))
        try:
            return list(await conn.fetch(sql))
        finally:
            await conn.close()

    return asyncio.run(run())
