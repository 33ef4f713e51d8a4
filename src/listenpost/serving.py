"""`listenpost serve`: checks that fail fast, the socket bound first, then the node and uvicorn.

Order matters to operators: everything that can be checked without side effects is checked
first (settings are already validated; the rules file and database URL here), then the
listening socket is bound, so a second server on a taken port stops before it migrates,
stores keys or creates files; only then the data directory, the database and the services.
Each failure is a StartupError whose message is the one line printed (exit status 2).

Shutdown (SIGTERM or SIGINT) is uvicorn's: stop accepting, close WebSockets with 1012
(service restart), let in-flight requests finish for up to `--shutdown-timeout` seconds,
then stop the node's services (MQTT finishes the batch it is storing), and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import math
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import uvicorn
from fastapi import FastAPI

from .config import Settings, StartupError
from .node import Node

log = logging.getLogger("listenpost")
# Runs beside the server while it accepts connections (`listenpost demo` feeds it data).
Companion = Callable[[FastAPI], Awaitable[None]]


def serve(settings: Settings, companion: Companion | None = None) -> None:
    """Run until a signal; raises StartupError when the server cannot start. `companion`,
    if given, starts once the server accepts connections and is cancelled when shutdown
    begins; if it fails, the server shuts down and its exception is raised here."""
    preflight(settings)
    sock = bind(settings.host, settings.port)
    try:
        prepare_data_dir(settings.data_dir)
        from .app import create_app

        app = create_app(settings)
        app.state.address = sock.getsockname()[:2]  # the real port when --port is 0
        config = _uvicorn_config(settings, app)
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(_run(config, app, sock, companion))
    finally:
        sock.close()


def preflight(settings: Settings) -> None:
    """Checks with no side effects: the rules file parses, the database URL has a driver."""
    from .store.db import check_url

    if settings.rules_file:
        from .composite.rulesfile import read_rules

        try:
            read_rules(settings.rules_file)
        except (OSError, ValueError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise StartupError(
                f"--rules {settings.rules_file}: {reason}; fix the rules file or drop --rules"
            ) from exc
    try:
        check_url(settings.database_url)
    except ValueError as exc:
        raise StartupError(f"--db-url: {exc}") from exc


def bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound before anything else is touched."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise StartupError(f"--host {host}: cannot listen there ({_reason(exc)})") from exc
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise StartupError(_bind_problem(host, port, exc)) from exc
    return sock


def _bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return (
            f"--port {port} on {host} is already in use (another listenpost?); stop that "
            "server or choose another port with --port or LISTENPOST_PORT"
        )
    if exc.errno == errno.EACCES:
        return f"--port {port}: permission denied; use a port above 1023 or run with privileges"
    return f"--host {host} --port {port}: cannot listen there ({_reason(exc)})"


def prepare_data_dir(path: str) -> None:
    """Create the data directory and prove it is writable."""
    where = Path(path).resolve()
    try:
        where.mkdir(parents=True, exist_ok=True)
        probe = where / ".listenpost-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise StartupError(
            f"--data-dir {where}: cannot create or write there ({_reason(exc)}); choose a "
            "writable directory with --data-dir or LISTENPOST_DATA_DIR"
        ) from exc


def _reason(exc: OSError) -> str:
    return str(exc.strerror or exc)


def _uvicorn_config(settings: Settings, app: FastAPI) -> uvicorn.Config:
    from .connguard import protocol_classes

    http, ws = protocol_classes(settings)
    return uvicorn.Config(
        app,
        http=http,
        ws=ws,
        log_level=settings.log_level,
        ws_per_message_deflate=False,
        ws_ping_interval=54.0,
        ws_ping_timeout=6.0,
        ws_max_size=512 * 1024,
        proxy_headers=False,
        timeout_graceful_shutdown=math.ceil(settings.shutdown_timeout) or None,
    )


async def _run(
    config: uvicorn.Config, app: FastAPI, sock: socket.socket, companion: Companion | None
) -> None:
    node: Node = app.state.node
    try:
        await node.start()
    except BaseException:
        with contextlib.suppress(Exception):
            await node.stop()
        raise
    # Everything loaded so far lives as long as the process: keep it out of the collector's
    # full passes, which otherwise rescan it while events are being fanned out.
    gc.collect()
    gc.freeze()
    server = _Server(config, (lambda: companion(app)) if companion else None)
    try:
        await server.serve(sockets=[sock])
    finally:
        await node.stop()
    if not server.started:
        raise StartupError("the HTTP server did not start; the log above says why")
    if server.failure is not None:
        raise server.failure


class _Server(uvicorn.Server):
    """uvicorn's server, minus re-raising the caught signal after a graceful shutdown (which
    would make a drained SIGTERM exit with status -15 instead of 0), plus a companion task."""

    def __init__(
        self, config: uvicorn.Config, companion: Callable[[], Awaitable[None]] | None = None
    ) -> None:
        super().__init__(config)
        self.companion = companion
        self.task: asyncio.Task[None] | None = None
        self.failure: Exception | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.companion is not None:
            self.task = asyncio.create_task(self._companion(self.companion))

    async def _companion(self, companion: Callable[[], Awaitable[None]]) -> None:
        try:
            await companion()
        except Exception as exc:  # serve() raises it once the server has stopped
            self.failure = exc
            self.should_exit = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            try:
                yield
            finally:
                self._captured_signals.clear()


def describe_unexpected(exc: BaseException) -> str:
    """One line for a failure nobody anticipated."""
    lines = str(exc).strip().splitlines()
    first = lines[0] if lines else ""
    return f"{type(exc).__name__}: {first} (--log-level debug shows the traceback)"
