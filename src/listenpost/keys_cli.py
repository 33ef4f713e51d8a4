"""`listenpost apikey create|list|revoke`: manage the API keys stored in the database.

A key is printed once, at creation; `list` shows names, scopes and use, never a key.
Operator mistakes (a taken name, an unknown key) are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from .auth.policy import SCOPES
from .config import Settings
from .store import keys
from .timeutil import now_us, to_iso

T = TypeVar("T")
Common = Callable[[argparse.ArgumentParser], None]


def add_commands(sub: Any, common: Common) -> None:
    """Register `apikey` and its subcommands on the top-level subparsers."""
    apikey = sub.add_parser("apikey", help="manage API keys")
    commands = apikey.add_subparsers(dest="apikey_command", required=True)
    create = commands.add_parser("create", help="create a key and print it once")
    common(create)
    create.add_argument("--name", required=True, help="who the key is for, e.g. edge-01")
    create.add_argument(
        "--scope",
        choices=SCOPES,
        default="admin",
        help="read: GETs and live WebSockets; ingest: post events only; admin: all (default)",
    )
    listing = commands.add_parser("list", help="list keys: name, scope, created, last used")
    common(listing)
    listing.add_argument("--json", action="store_true", help="JSON instead of a table")
    revoke = commands.add_parser("revoke", help="revoke a key; its tokens stop working at once")
    common(revoke)
    revoke.add_argument("key", metavar="NAME|ID")


def run(args: argparse.Namespace, settings: Settings) -> int:
    commands = {"create": _create, "list": _list, "revoke": _revoke}
    action = commands[args.apikey_command]
    return _with_store(settings, lambda engine: action(engine, args))


def _with_store(settings: Settings, action: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    from .store.db import make_engine
    from .store.migrations import migrate

    async def go() -> T:
        engine = make_engine(settings.database_url)
        try:
            await migrate(engine)
            return await action(engine)
        finally:
            await engine.dispose()

    return asyncio.run(go())


async def _create(engine: AsyncEngine, args: argparse.Namespace) -> int:
    from .auth.tokens import new_api_key

    key = new_api_key()
    try:
        await keys.add_key(engine, key, args.name, scope=args.scope)
    except keys.DuplicateName:
        return _fail(f"a key named {args.name!r} already exists; choose another --name")
    print(key)
    print(
        f"API key for {args.name!r} (scope {args.scope}) created; it is shown only once.",
        file=sys.stderr,
    )
    return 0


async def _list(engine: AsyncEngine, args: argparse.Namespace) -> int:
    rows = [_view(record) for record in await keys.list_keys(engine)]
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(_table(rows))
    return 0


async def _revoke(engine: AsyncEngine, args: argparse.Namespace) -> int:
    record = await keys.revoke_key(engine, args.key, now_us())
    if record is None:
        return _fail(f"no key has the name or id {args.key!r}; see `listenpost apikey list`")
    if record.revoked_at is not None:
        print(
            f"key {record.name!r} ({record.id}) was already revoked at {to_iso(record.revoked_at)}"
        )
    else:
        print(f"revoked key {record.name!r} ({record.id}); its access tokens no longer work")
    return 0


def _fail(message: str) -> int:
    print(f"listenpost: {message}", file=sys.stderr)
    return 2


def _view(record: keys.KeyRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "name": record.name,
        "scope": record.scope,
        "source": record.source,
        "created": to_iso(record.created_at),
        "last_used": to_iso(record.last_used_at),
        "revoked": to_iso(record.revoked_at),
    }


_HEADERS = ("ID", "NAME", "SCOPE", "SOURCE", "CREATED", "LAST USED", "STATUS")


def _table(rows: list[dict[str, Any]]) -> str:
    cells = [
        (
            r["id"],
            r["name"],
            r["scope"],
            r["source"],
            _short(r["created"]),
            _short(r["last_used"]) or "never",
            f"revoked {_short(r['revoked'])}" if r["revoked"] else "active",
        )
        for r in rows
    ]
    widths = [max(len(str(c)) for c in column) for column in zip(_HEADERS, *cells, strict=False)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in (_HEADERS, *cells)
    ]
    return "\n".join(lines)


def _short(iso: str | None) -> str:
    """`2026-12-05T08:13:54.738123Z` -> `2026-12-05 08:13:54Z` for the table."""
    return "" if iso is None else iso[:19].replace("T", " ") + "Z"
