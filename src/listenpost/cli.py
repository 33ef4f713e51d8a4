"""The `listenpost` command: `serve`, `demo`, `apikey create|list|revoke`, `db`, `replay`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import traceback
from typing import Any

from . import keys_cli
from .config import SettingError, Settings, StartupError, load_settings
from .demo.command import DemoError
from .demo.command import add_command as add_demo_command


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="TOML or YAML settings file (env LISTENPOST_CONFIG)")
    p.add_argument("--data-dir", dest="data_dir", help="data directory (default ./listenpost-data)")
    p.add_argument("--db-url", dest="db_url", help="SQLAlchemy URL (default SQLite in data dir)")
    p.add_argument("--log-level", dest="log_level", help="debug, info, warning, error")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="listenpost", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the server")
    _common(serve)
    serve.add_argument("--host", help="bind address (default 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port (default 8100)")
    serve.add_argument(
        "--bus-url", dest="bus_url", help="memory:// (default), redis://host:port/db, nats://host:port"
    )
    serve.add_argument(
        "--bus-maxlen", dest="bus_maxlen", type=int, help="messages kept per bus stream (10000)"
    )
    serve.add_argument(
        "--bus-max-age", dest="bus_max_age", type=float, help="seconds bus messages are kept (3600)"
    )
    serve.add_argument(
        "--bus-prefix", dest="bus_prefix", help="Redis key / NATS stream prefix (listenpost)"
    )
    serve.add_argument(
        "--resume-history", dest="resume_history", type=int, help="frames per stream (10000)"
    )
    serve.add_argument(
        "--resume-max-age", dest="resume_max_age", type=float, help="seconds of resume history"
    )
    serve.add_argument("--token-ttl", dest="token_ttl", type=float, help="access token seconds")
    serve.add_argument("--keepalive", type=float, help="WebSocket keep-alive seconds (20)")
    serve.add_argument(
        "--client-queue",
        dest="client_queue",
        type=int,
        help="frames buffered per WebSocket client (1024)",
    )
    serve.add_argument(
        "--ws-max-subscriptions",
        dest="ws_max_subscriptions",
        type=int,
        help="entries per /api/ws subscription list (1000)",
    )
    serve.add_argument(
        "--ws-send-timeout",
        dest="ws_send_timeout",
        type=float,
        help="seconds an /api/ws client may leave replies unread before it is closed (10)",
    )
    serve.add_argument(
        "--header-timeout", dest="header_timeout", type=float, help="request headers, s (30)"
    )
    serve.add_argument(
        "--body-timeout", dest="body_timeout", type=float, help="request body, s (30)"
    )
    serve.add_argument(
        "--max-connections-per-ip",
        dest="max_connections_per_ip",
        type=int,
        help="open connections per client address, 0 for no limit (256)",
    )
    serve.add_argument(
        "--max-websockets-per-key",
        dest="max_websockets_per_key",
        type=int,
        help="open WebSockets per API key, 0 for no limit (1000)",
    )
    serve.add_argument("--rate-limit", dest="rate_limit", help="e.g. 10/s,1000/min (off)")
    serve.add_argument("--max-body", dest="max_body", type=int, help="request body bytes")
    serve.add_argument(
        "--max-clock-skew",
        dest="max_clock_skew",
        type=float,
        help="seconds an event time may be ahead of the server clock (300)",
    )
    serve.add_argument(
        "--shutdown-timeout",
        dest="shutdown_timeout",
        type=float,
        help="seconds SIGTERM waits for in-flight requests and MQTT batches (10)",
    )
    serve.add_argument(
        "--alert-delivery-max-age",
        dest="alert_delivery_max_age",
        type=float,
        help="seconds an alert delivery is retried before it is given up (86400)",
    )
    serve.add_argument(
        "--alert-retry-max-delay",
        dest="alert_retry_max_delay",
        type=float,
        help="longest wait in seconds between two attempts of an alert delivery (30)",
    )
    serve.add_argument(
        "--alert-timeout",
        dest="alert_timeout",
        type=float,
        help="seconds one alert delivery attempt may take (10)",
    )
    serve.add_argument("--rules", dest="rules_file", help="composite/alert rules YAML or TOML")
    serve.add_argument("--mqtt", dest="mqtt_url", help="trunk-recorder MQTT broker URL")

    keys_cli.add_commands(sub, _common)
    add_demo_command(sub)

    db = sub.add_parser("db", help="database schema (Alembic): upgrade, current, history")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="migrate the schema (startup does this too)")
    upgrade.add_argument("revision", nargs="?", default="head", help="target (default head)")
    for name, text in (("current", "show the database's revision"), ("history", "list revisions")):
        _common(db_sub.add_parser(name, help=text))
    _common(upgrade)

    replay = sub.add_parser("replay", help="publish a trunk-recorder fixture directory to MQTT")
    replay.add_argument("directory")
    replay.add_argument("--mqtt", dest="mqtt_url", required=True)
    replay.add_argument(
        "--speed", type=float, default=0.0, help="messages per second (0: as fast as possible)"
    )
    return parser


def _setup_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    if level.lower() != "debug":  # Alembic narrates every step at INFO; listenpost sums it up
        logging.getLogger("alembic").setLevel(logging.WARNING)


async def _db(settings: Settings, command: str, revision: str) -> None:
    from sqlalchemy.exc import DBAPIError

    from .store.db import check_url, make_engine, unusable
    from .store.migrations import migrate, show

    try:
        check_url(settings.database_url)
    except ValueError as exc:
        raise StartupError(f"--db-url: {exc}") from exc
    engine = make_engine(settings.database_url)
    try:
        if command == "upgrade":
            print(f"database at revision {await migrate(engine, revision)}")
        else:
            await show(engine, command)
    except (OSError, DBAPIError) as exc:
        raise StartupError(unusable(settings.database_url, exc)) from exc
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    skip = {"command", "db_command", "revision"}
    flags: dict[str, Any] = {k: v for k, v in vars(args).items() if k not in skip}
    if args.command == "replay":
        from .radio.replay import replay

        _setup_logging("info")
        return asyncio.run(replay(args.directory, args.mqtt_url, args.speed))
    debug = "debug" in (flags.get("log_level"), os.environ.get("LISTENPOST_LOG_LEVEL"))
    try:
        if args.command == "demo":  # its own settings: a throwaway server, see demo/main.py
            from .demo.main import run as demo

            _setup_logging(args.log_level)
            return demo(args)
        settings = load_settings(flags)
        _setup_logging(settings.log_level)
        return _run(args, settings)
    except (SettingError, StartupError, DemoError) as exc:
        return _fail(str(exc), debug)
    except Exception as exc:  # one line for operators; the traceback with --log-level debug
        from .serving import describe_unexpected

        return _fail(describe_unexpected(exc), debug)


def _run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        from .serving import serve

        serve(settings)
        return 0
    if args.command == "db":
        asyncio.run(_db(settings, args.db_command, getattr(args, "revision", "head")))
        return 0
    return keys_cli.run(args, settings)


def _fail(message: str, debug: bool) -> int:
    """A startup failure: one line (exit status 2); the traceback too at debug level."""
    if debug:
        traceback.print_exc()
    print(f"listenpost: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
