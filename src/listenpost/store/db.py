"""The async engine: SQLite (default, WAL) or PostgreSQL (asyncpg), chosen by URL."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from . import sqlitedriver

# Async drivers SQLAlchemy knows, by URL scheme -> the module that must be importable.
ASYNC_DRIVERS = {
    "sqlite+aiosqlite": "aiosqlite",
    "postgresql+asyncpg": "asyncpg",
    "postgresql+psycopg": "psycopg",
    "mysql+aiomysql": "aiomysql",
    "mysql+asyncmy": "asyncmy",
    "oracle+oracledb": "oracledb",
}
#: PostgreSQL's TCP keepalives (seconds, count): a vanished peer is noticed within ~4 s
KEEPALIVE = {"tcp_keepalives_idle": 2, "tcp_keepalives_interval": 1, "tcp_keepalives_count": 2}
CONNECT_TIMEOUT = 10.0  # seconds; an unreachable PostgreSQL host fails startup this soon


def installed_drivers() -> list[str]:
    return [s for s, module in ASYNC_DRIVERS.items() if importlib.util.find_spec(module)]


def normalise_url(url: str) -> str:
    """`postgresql://` (libpq style) means asyncpg here."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    return url


def redact(url: str) -> str:
    """The URL with its password replaced by `***`, for logs and error messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@", 1)[-1] if "@" in url else url


def check_url(url: str) -> None:
    """Raise ValueError (one line, no password) unless `url` names an installed async driver."""
    try:
        parsed = make_url(normalise_url(url))
    except ArgumentError:
        raise ValueError(
            f"{redact(url)!r} is not a database URL; use e.g. "
            "postgresql+asyncpg://user:password@host:5432/db or sqlite+aiosqlite:///path.db"
        ) from None
    scheme = parsed.drivername
    installed = ", ".join(installed_drivers())
    try:
        dialect = parsed.get_dialect()
    except NoSuchModuleError:
        raise ValueError(
            f"unknown database scheme {scheme!r}; installed drivers: {installed}"
        ) from None
    if not getattr(dialect, "is_async", False):
        raise ValueError(f"{scheme!r} is not an async driver; installed drivers: {installed}")
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        raise ValueError(
            f"the driver for {scheme!r} is not installed ({exc.name or exc}); "
            f"installed drivers: {installed}"
        ) from None


def where(url: str) -> str:
    """What a failing database URL points at: `host:port` or the SQLite file."""
    try:
        parsed: URL = make_url(normalise_url(url))
    except ArgumentError:
        return redact(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.host or 'localhost'}{port}"


def describe_failure(exc: BaseException) -> str:
    """The driver's own words for why the database refused, on one line."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:.0f} s"
    text_ = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text_).split())


def unusable(url: str, exc: BaseException) -> str:
    """One line for an operator whose database cannot be used: which, where, why, what to do."""
    return (
        f"--db-url {redact(url)}: cannot use the database at {where(url)} "
        f"({describe_failure(exc)}); check that it runs and the URL's host, port, database "
        "and credentials"
    )


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        # the file's directory is made when connecting (sqlitedriver.connect), so a path that
        # cannot be used fails where every database failure is reported, naming --db-url
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, json_serializer=json_dumps
        )
        event.listen(engine.sync_engine, "do_connect", sqlitedriver.use)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    url = normalise_url(url)
    args: dict[str, Any] = {}
    if url.startswith("postgresql+asyncpg"):
        # server-side keepalives on every session: a node whose host vanished while holding
        # a stream's turn (store/order.py) or a lease frees it within seconds, not hours
        keepalive = {name: str(value) for name, value in KEEPALIVE.items()}
        args = {"timeout": CONNECT_TIMEOUT, "server_settings": keepalive}
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=20,
        pool_pre_ping=True,
        connect_args=args,
        json_serializer=json_dumps,
    )


def json_dumps(value: Any) -> str:
    """JSON columns are written with orjson (several times faster than the standard library:
    a batch of events spent a fifth of its time there). Inputs never hold NaN (refused where
    they enter); what orjson cannot encode (integers beyond 64 bits) takes the standard
    library's path as before."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def is_sqlite(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "sqlite"


async def database_answers(engine: AsyncEngine, timeout: float = 2.0) -> bool:
    """Whether `SELECT 1` succeeds within `timeout` seconds."""

    async def probe() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    try:
        await asyncio.wait_for(probe(), timeout)
    except Exception:
        return False
    return True
