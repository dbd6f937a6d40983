"""SQLite on a database file: the connection settings every connection runs with, and the
group commit that writes ``Database.write_one`` statements on one writer thread.

See ``ledger.db`` for how the two paths (this one-statement path and SQLAlchemy's
transactions) share one file without contending inside SQLite.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from ledger.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
# The inline reader blocks the event loop while it waits, so it waits briefly: in WAL a read
# only waits in rare moments (another connection recovering the WAL after a crash).
SQLITE_READ_BUSY_TIMEOUT_MS = 1_000
# Most write_one calls one group commit takes: bounds how long a transaction() waits for it.
SQLITE_MAX_BATCH = 256

# The synchronous setting create_engine gave each SQLite engine, so that the plain sqlite3
# connections Database opens beside it get exactly the same settings (durability included).
SQLITE_SYNCHRONOUS: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def sqlite_pragmas(dbapi_connection: Any, synchronous: str, busy_timeout_ms: int) -> None:
    """The settings every SQLite connection of the ledger runs with, the engine's and ours."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_sqlite(path: str, synchronous: str, busy_timeout_ms: int) -> sqlite3.Connection:
    """A plain sqlite3 connection in autocommit (transactions are begun explicitly), usable
    from any one thread at a time."""
    conn = sqlite3.connect(
        path,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        sqlite_pragmas(conn, synchronous, busy_timeout_ms)
    except BaseException:
        conn.close()
        raise
    return conn


def sqlite_file(url: URL) -> str | None:
    """The database file of an SQLite URL; None for an in-memory database or a URI with
    options, which keep going through the engine (a second connection to ``:memory:`` would
    be another, empty database)."""
    name = url.database
    if not name or name == ":memory:" or name.startswith("file:") or url.query:
        return None
    return name


# One queued write_one: its statement, its parameters, and the future its caller awaits.
_Queued = tuple[str, dict[str, Any], "asyncio.Future[list[Sequence[Any]]]"]
# What one statement of a batch came to: its rows, or the error that refused it alone.
_Outcome = list[Sequence[Any]] | BaseException
# A batch for the writer thread, with the loop its callers wait on.
_Job = tuple[asyncio.AbstractEventLoop, list[_Queued]]
WRITER_THREAD = "ledger-sqlite-writer"


class _BatchLost(Exception):
    """The batch's transaction ended without committing: none of its statements stand."""


class GroupCommit:
    """SQLite writes, group-committed on one writer thread with its own sqlite3 connection.

    Every ``write`` queued while a batch runs joins the next batch: one thread hand-off and
    one COMMIT, so one fsync under synchronous=FULL, for all of them. Each statement keeps
    its own outcome: SQLite undoes only the statement an ABORT refusal stops, the transaction
    goes on. A caller's future is resolved only after COMMIT returned; if the transaction ends
    otherwise, every caller of the batch gets ``DatabaseUnavailable``.

    No task and no lock on the way: a write starts a batch itself when none runs, and the
    thread's answer (one ``call_soon_threadsafe``) resolves the callers and starts the next,
    so a lone write costs one thread hop, as aiosqlite's autocommit statement did.
    ``Database.transaction`` holds batches back (``paused``) while it writes on its own
    connection, so the two never contend inside SQLite.
    """

    def __init__(self, path: str, synchronous: str) -> None:
        self._path = path
        self._synchronous = synchronous
        self._queue: deque[_Queued] = deque()
        self._running = False  # a batch is on the writer thread
        self._paused = 0  # transactions holding batches back
        self._idle: list[asyncio.Future[None]] = []  # woken when the running batch ends
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None  # touched on the writer thread only
        self.commits = 0  # batches committed: fewer than writes when they were grouped

    async def write(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        future: asyncio.Future[list[Sequence[Any]]] = asyncio.get_running_loop().create_future()
        self._queue.append((sql, params, future))
        self._start()
        # A cancelled caller cancels only its own future: its statement is skipped if it
        # has not gone to the thread yet, and otherwise its outcome is dropped.
        return await future

    def _start(self) -> None:
        """Send what is queued to the writer thread as one batch, unless a batch is there
        already (the queue then goes when it ends) or a transaction holds batches back."""
        if self._running or self._paused:
            return
        batch: list[_Queued] = []
        while self._queue and len(batch) < SQLITE_MAX_BATCH:
            queued = self._queue.popleft()
            if not queued[2].done():  # a caller cancelled before its turn: never run it
                batch.append(queued)
        if not batch:
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=WRITER_THREAD, daemon=True)
            self._thread.start()
        self._running = True
        self._jobs.put((asyncio.get_running_loop(), batch))

    def _finish(self, batch: list[_Queued], outcomes: list[_Outcome] | BaseException) -> None:
        """On the loop: hand each caller its outcome, then start the next batch."""
        self._running = False
        if isinstance(outcomes, BaseException):
            self._fail(batch, outcomes)
        else:
            for (_, _, future), outcome in zip(batch, outcomes, strict=True):
                if future.done():  # its caller was cancelled meanwhile
                    continue
                if isinstance(outcome, BaseException):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
        idle, self._idle = self._idle, []
        for waiter in idle:
            if not waiter.done():
                waiter.set_result(None)
        self._start()

    @staticmethod
    def _fail(batch: Sequence[_Queued], cause: BaseException) -> None:
        for _, _, future in batch:
            if not future.done():
                error = DatabaseUnavailable()
                error.__cause__ = cause
                future.set_exception(error)

    async def _until_idle(self) -> None:
        while self._running:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._idle.append(waiter)
            await waiter

    @asynccontextmanager
    async def paused(self) -> AsyncIterator[None]:
        """No batch runs inside: waits for the one on the thread, if any, to end."""
        self._paused += 1
        try:
            await self._until_idle()
            yield
        finally:
            self._paused -= 1
            self._start()

    async def close(self) -> None:
        """Let the running batch end, then stop the thread; it closes its connection."""
        await self._until_idle()
        self._fail(self._queue, RuntimeError("the database was closed"))
        self._queue.clear()
        thread, self._thread = self._thread, None
        if thread is not None:
            self._jobs.put(None)
            await asyncio.to_thread(thread.join)  # closing may checkpoint the WAL: not inline

    # --- on the writer thread ---------------------------------------------------------

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, batch = job
            outcomes: list[_Outcome] | BaseException
            try:
                outcomes = self._run_batch([(sql, params) for sql, params, _ in batch])
            except BaseException as error:  # reported to every caller of the batch
                outcomes = error
            try:
                loop.call_soon_threadsafe(self._finish, batch, outcomes)
            except RuntimeError:  # the loop was closed without closing the database
                self._running = False
        self._drop()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = open_sqlite(self._path, self._synchronous, SQLITE_BUSY_TIMEOUT_MS)
        return self._conn

    def _run_batch(self, statements: list[tuple[str, dict[str, Any]]]) -> list[_Outcome]:
        """One write transaction for the whole batch; raises when none of it committed."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            outcomes = [self._run_statement(conn, sql, params) for sql, params in statements]
            conn.execute("COMMIT")
        except BaseException as error:
            self._abandon(conn, error)
            raise
        self.commits += 1
        if any(isinstance(outcome, BaseException) and is_broken(outcome) for outcome in outcomes):
            self._drop()  # committed, but the connection said it is unusable: a fresh one next
        return outcomes

    @staticmethod
    def _run_statement(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> _Outcome:
        try:
            return conn.execute(sql, params).fetchall()
        except Exception as error:
            if not conn.in_transaction:  # SQLite rolled the whole transaction back
                raise _BatchLost("the write transaction was rolled back") from error
            if isinstance(error, sqlite3.OperationalError) and is_locked(error):
                unavailable = DatabaseUnavailable()
                unavailable.__cause__ = error
                return unavailable
            return error  # refused alone (ABORT): the others of the batch stand

    def _abandon(self, conn: sqlite3.Connection, error: BaseException) -> None:
        """After a batch that did not commit: roll back what is left of it, and drop the
        connection if it is unusable (it is reopened for the next batch)."""
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            log.warning("could not roll back a failed write batch", exc_info=True)
            self._drop()
            return
        cause = error.__cause__ if isinstance(error, _BatchLost) else error
        if cause is not None and is_broken(cause):
            self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except sqlite3.Error:
                log.warning("could not close the SQLite writer connection", exc_info=True)


def is_locked(error: sqlite3.OperationalError) -> bool:
    """SQLite gave up waiting for another connection's lock (after its busy timeout)."""
    return "locked" in str(error) or "busy" in str(error)


def is_broken(error: BaseException) -> bool:
    """An SQLite error that means the connection itself is unusable (not a refusal, not a
    lock)."""
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, sqlite3.IntegrityError | sqlite3.OperationalError
    )
