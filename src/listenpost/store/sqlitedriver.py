"""aiosqlite with one thread hop per statement: what SQLite costs a lone ingest request.

aiosqlite runs every sqlite3 call in the connection's own thread, and each call is a hop:
the event loop queues it, the thread wakes, runs it and wakes the loop again. Through
SQLAlchemy a SELECT was four hops (make the cursor, execute, fetch, close it), an INSERT
three, and returning a connection to the pool one more (a ROLLBACK, even after a COMMIT):
13 hops to store one event. On an idle machine a hop costs only ~10-30 µs (measured), but
each is two thread wake-ups, and when the two cores are busy every one of them waits to be
scheduled: the ingest path should not depend on the scheduler 26 times per event.

Here a cursor is made, executed and, when the statement returns rows, read to the end in one
call on the thread; closing it is queued without waiting (the thread runs calls in order, so
it is closed before the connection's next statement), the same for the connection's own
`execute`/`executemany` (the events insert calls the driver directly); and a ROLLBACK is
skipped when SQLite itself said, after the connection's last call, that no transaction is
open (what pysqlite's `in_transaction` reads: `sqlite3_get_autocommit`). Every sqlite3 call
still runs on the connection's thread, in the order it was made. Rows are read eagerly, as
SQLAlchemy's adapter already did for every cursor that is not server-side (none is here).

Writers of one database file take turns in the process (`_turn`): a statement that may write
first waits, on its connection's thread, until no other connection of this process has a write
transaction open, and holds the turn until its own transaction ends (commit, rollback, error
or close); the next writer is woken then. Without it SQLite answered that writer "busy" and its
busy handler slept and retried (1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50, 100 ms ...), so a
writer got the lock up to tens of ms after it was free, or later still while the ingest, alert
and delivery transactions kept taking it: in 10 s of `python -m bench alerts` their first
writes slept 6.4 s in all, and alert latency p99 was 121-530 ms. SQLite's locking still
decides: another process, or a writer that gave up its wait after `TURN_WAIT`, meets the busy
timeout as before.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from aiosqlite.context import Result

TURN_WAIT = 30.0  # seconds a writer waits for its turn, then tries anyway (the busy timeout)
#: statements that never take SQLite's write lock (nor does a deferred BEGIN); the others,
#: and BEGIN IMMEDIATE / EXCLUSIVE, wait for the file's write turn
_READS = frozenset(("SELECT", "PRAGMA", "EXPLAIN", "SAVEPOINT", "RELEASE", "COMMIT", "END"))
_READS |= {"ROLLBACK"}
_turns: dict[str, threading.Lock] = {}
_turns_guard = threading.Lock()


def _turn(database: str) -> threading.Lock | None:
    """The write turn of a database file, shared by this process's connections to it (none
    for an in-memory database, private to its connection)."""
    if not database or database == ":memory:" or "mode=memory" in database:
        return None
    key = database if database.startswith("file:") else str(Path(database).resolve())
    with _turns_guard:
        return _turns.setdefault(key, threading.Lock())


def _writes(sql: str) -> bool:
    words = sql.lstrip()[:20].upper().split()
    if not words:
        return False
    if words[0] == "BEGIN":
        return len(words) > 1 and words[1] in ("IMMEDIATE", "EXCLUSIVE")
    return words[0] not in _READS


class Connection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors take one hop per statement, whose ROLLBACK is
    skipped when no transaction is open, and whose writes wait for the file's write turn."""

    def __init__(
        self,
        connector: Callable[[], sqlite3.Connection],
        iter_chunk_size: int,
        turn: threading.Lock | None = None,
    ) -> None:
        super().__init__(connector, iter_chunk_size)
        #: True only when the last call on the thread left no transaction open
        self._idle = False
        self._turn = turn
        self._turn_held = False  # only read and written on the connection's thread

    def _take_turn(self) -> None:
        """On the thread, before a statement that may write: wait for the other writers."""
        if self._turn is not None and not self._turn_held:
            self._turn_held = self._turn.acquire(timeout=TURN_WAIT)

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._idle = False  # unknown until the call reports
        return await super()._execute(self._tracked, partial(fn, *args, **kwargs))

    def _tracked(self, call: Callable[[], Any]) -> Any:
        """On the thread: run `call`, then note whether a transaction is still open."""
        try:
            return call()
        finally:
            try:
                open_ = self._connection is not None and self._connection.in_transaction
                self._idle = not open_
            except sqlite3.Error:
                open_, self._idle = False, False
            if self._turn_held and not open_:  # the write transaction ended: next writer
                self._turn_held = False
                self._turn.release()  # type: ignore[union-attr]

    def cursor(self) -> Result[aiosqlite.Cursor]:  # type: ignore[override]
        return Result(self._cursor())

    async def _cursor(self) -> aiosqlite.Cursor:
        return Cursor(self)  # no hop: the sqlite3 cursor is made with its first statement

    def execute(  # type: ignore[override]
        self, sql: str, parameters: Iterable[Any] | None = None
    ) -> Result[aiosqlite.Cursor]:
        return Result(Cursor(self).execute(sql, parameters))

    def executemany(  # type: ignore[override]
        self, sql: str, parameters: Iterable[Iterable[Any]]
    ) -> Result[aiosqlite.Cursor]:
        return Result(Cursor(self).executemany(sql, parameters))

    async def rollback(self) -> None:
        if not self._idle:
            await super().rollback()


class Cursor(aiosqlite.Cursor):
    """Made, executed and read in one hop; closed without waiting."""

    _conn: Connection

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn, None)  # type: ignore[arg-type]
        self._rows: deque[Any] = deque()
        self._arraysize = 1

    def _run(self, method: str, *args: Any) -> None:
        """On the thread: the statement, and every row it returns."""
        if method == "executescript" or _writes(args[0]):
            self._conn._take_turn()
        if self._cursor is None:
            self._cursor = self._conn._conn.cursor()
            self._cursor.arraysize = self._arraysize
        getattr(self._cursor, method)(*args)
        self._rows = deque(self._cursor.fetchall() if self._cursor.description else ())

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        await self._execute(self._run, "execute", sql, [] if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        await self._execute(self._run, "executemany", sql, parameters)
        return self

    async def executescript(self, sql_script: str) -> Cursor:
        await self._execute(self._run, "executescript", sql_script)
        return self

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        n = min(len(self._rows), self.arraysize if size is None else size)
        return [self._rows.popleft() for _ in range(n)]

    async def fetchall(self) -> list[Any]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        self._rows = deque()
        cursor, conn = self._cursor, self._conn
        if cursor is not None and conn._running:
            conn._tx.put_nowait((None, cursor.close))  # runs before the next statement

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._cursor is None else self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value
        if self._cursor is not None:
            self._cursor.arraysize = value

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description


def connect(database: str, iter_chunk_size: int = 64, **kwargs: Any) -> Connection:
    """Like `aiosqlite.connect` (SQLAlchemy's dialect passes the URL's arguments); a file's
    directory is created first (an OSError if it cannot be: the caller names the URL)."""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    connector = partial(sqlite3.connect, database, **kwargs)
    conn = Connection(connector, iter_chunk_size, _turn(database))
    conn._thread.daemon = True  # as SQLAlchemy sets for aiosqlite: never blocks the exit
    return conn


def use(dialect: Any, _record: Any, _cargs: Any, cparams: dict[str, Any]) -> None:
    """A `do_connect` listener: the engine's connections are this module's."""
    cparams["async_creator_fn"] = connect
