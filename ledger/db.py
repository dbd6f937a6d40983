"""Database access: one engine, a one-round-trip write path, and retried transactions.

Design for few round trips: every money movement is ONE SQL statement (an INSERT or a
conditional UPDATE of ``transfers``); the triggers created by the migrations move the
account counters, enforce the invariants and write the audit row inside that statement.
On PostgreSQL such a statement runs in autocommit, one round trip, sent through the pooled
asyncpg connection directly, skipping SQLAlchemy's per-statement overhead on the hot path.

SQLite (a database file): the one-statement path bypasses aiosqlite, whose thread hand-off
per statement cost several times the statement itself in CPU (docs calibration). A point
read runs inline on the event-loop thread on a plain ``sqlite3`` connection of its own, in
autocommit (each read its own snapshot of committed data; WAL readers never wait for the
writer). Writes are group-committed: ``write_one`` calls that arrive while a batch runs queue
up, and the next batch runs everything queued in ONE ``BEGIN IMMEDIATE`` ... ``COMMIT`` on a
dedicated writer thread (one thread hop and one fsync for the whole batch). A refused
statement (trigger ``RAISE(ABORT)``, CHECK, UNIQUE) undoes only itself, so it fails alone; if
the transaction itself ends, every statement of the batch is reported ``DatabaseUnavailable``.
A caller hears its result only after COMMIT returned. Scanning reads (``read_scan``:
history, the audit log, counts), ``reading()`` and ``transaction()`` still go through the
SQLAlchemy engine on aiosqlite, off the loop thread. An in-memory SQLite URL keeps that
engine for everything.

SQLite settings: WAL, a busy timeout, foreign keys on, the configured ``synchronous``, on
every connection alike; multi-statement write transactions start with ``BEGIN IMMEDIATE``
(a deferred transaction that later writes fails with "database is locked" under contention).
Within one process transactions are serialised by an asyncio lock and hold write batches back
while they run, so the two never spin in SQLite's busy handler; the busy timeout covers other
processes.

PostgreSQL: READ COMMITTED with row locks taken in account-id order by the triggers; the
whole transaction, COMMIT included, is retried on SQLSTATE 40001 and 40P01. A lost server
is never a hang nor a driver exception: connecting and every command have a timeout, and
every way of losing the connection surfaces as ``DatabaseUnavailable``. Pooled connections
found closed at checkout (the server restarted while they sat idle) are replaced, with
every older one, so the first call after an outage works.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any, TypeVar, cast

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import QueuePool

from ledger.errors import DatabaseUnavailable
from ledger.sqlite_writer import (
    SQLITE_BUSY_TIMEOUT_MS,
    SQLITE_READ_BUSY_TIMEOUT_MS,
    SQLITE_SYNCHRONOUS,
    GroupCommit,
    is_broken,
    is_locked,
    open_sqlite,
    sqlite_file,
    sqlite_pragmas,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

RETRY_SQLSTATES = {"40001", "40P01"}
MAX_ATTEMPTS = 8
# Every ledger statement is small: a server that has not answered by then is unreachable.
PG_CONNECT_TIMEOUT_S = 5.0
PG_COMMAND_TIMEOUT_S = 15.0
# Waiting longer than this for a free pooled connection means the database is swamped.
PG_POOL_TIMEOUT_S = 10.0


def create_engine(
    url: str,
    *,
    sqlite_synchronous: str = "FULL",
    pool_size: int = 20,
    connect_timeout: float = PG_CONNECT_TIMEOUT_S,
    command_timeout: float = PG_COMMAND_TIMEOUT_S,
    pool_timeout: float = PG_POOL_TIMEOUT_S,
) -> AsyncEngine:
    """Make the async engine with the per-connection settings each engine needs."""
    if url.startswith("sqlite"):
        engine = create_async_engine(url, pool_reset_on_return=None)
        sync = sqlite_synchronous.upper()
        if sync not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {sync!r}")

        @event.listens_for(engine.sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # Autocommit at the driver; transactions are begun explicitly below.
            dbapi_connection.isolation_level = None
            sqlite_pragmas(dbapi_connection, sync, SQLITE_BUSY_TIMEOUT_MS)

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            # Reads take a snapshot (deferred BEGIN); writes take the write lock up front.
            read_only = connection.get_execution_options().get("read_only", False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        SQLITE_SYNCHRONOUS[engine.sync_engine] = sync
        return engine
    if url.startswith("postgresql"):
        if "+asyncpg" not in url:
            url = re.sub(r"^postgresql(\+\w+)?://", "postgresql+asyncpg://", url)
        # pool_size is the most connections, each kept once opened (the pool opens them on
        # demand): an "overflow" connection is closed on return, so clients above the kept
        # number would reconnect (TLS probe included) on nearly every statement under load.
        engine = create_async_engine(
            url,
            pool_size=pool_size,
            max_overflow=0,
            pool_timeout=pool_timeout,
            connect_args={"timeout": connect_timeout, "command_timeout": command_timeout},
        )

        @event.listens_for(engine.sync_engine, "checkout")
        def _on_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
            # Free (no round trip): asyncpg knows when the server closed the socket. The pool
            # then reconnects this one and drops every connection older than now.
            if dbapi_connection.driver_connection.is_closed():
                raise sa_exc.InvalidatePoolError("pooled connection was closed by the server")

        return engine
    raise ValueError("DATABASE_URL must start with sqlite+aiosqlite:// or postgresql+asyncpg://")


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class RetryTransaction(Exception):
    """Raised inside ``Database.transaction`` work to roll back and run it again: the work
    found that what it locked is no longer all it must lock (PostgreSQL only)."""


class Database:
    """The engine plus the two ways the ledger writes: one statement, or one transaction."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self.is_sqlite = self.dialect == "sqlite"
        self._positional: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._writer: AsyncConnection | None = None
        self._reader: AsyncConnection | None = None
        # SQLite on a file: plain sqlite3 for the one-statement path (see the module's doc).
        path = sqlite_file(engine.url) if self.is_sqlite else None
        synchronous = SQLITE_SYNCHRONOUS.get(engine.sync_engine)
        self._plain_settings = (path, synchronous) if path and synchronous else None
        self._plain_reader: sqlite3.Connection | None = None
        self._group: GroupCommit | None = None
        self._exclusive: dict[str, asyncio.Lock] = {}
        if self._plain_settings is not None:
            self._group = GroupCommit(*self._plain_settings)
        # PostgreSQL: connections the one-statement path keeps checked out between calls
        # (see _pg_fetch), at most half the pool so transactions always find one there.
        self._pg_idle: list[AsyncConnection] = []
        # create_engine pools PostgreSQL with AsyncAdaptedQueuePool, a QueuePool: it has size().
        self._pg_idle_max = (
            0 if self.is_sqlite else max(1, cast(QueuePool, engine.pool).size() // 2)
        )

    @classmethod
    def from_url(cls, url: str, **kwargs: Any) -> Database:
        return cls(create_engine(url, **kwargs))

    @property
    def sqlite_commits(self) -> int:
        """Write batches committed by the SQLite group commit (0 on other paths)."""
        return 0 if self._group is None else self._group.commits

    async def close(self) -> None:
        self._pg_idle_max = 0  # a call still running gives its connection back to the pool
        while self._pg_idle:
            await self._pg_idle.pop().close()
        if self._group is not None:
            await self._group.close()
        reader, self._plain_reader = self._plain_reader, None
        if reader is not None:
            reader.close()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        await self.engine.dispose()

    # --- the one-statement path -------------------------------------------------------

    async def write_one(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        """Run one write statement and return its rows once it is durable: in autocommit
        through the driver on PostgreSQL, in a group commit on an SQLite file."""
        if self._group is not None:
            return await self._group.write(sql, params)
        if self.is_sqlite:
            assert self._write_lock is not None
            async with self._write_lock:
                conn = await self._writer_connection()
                try:
                    return await self._sqlite_fetch(conn, sql, params)
                except (sa_exc.DBAPIError, sqlite3.Error) as error:
                    await self._drop_writer_if_broken(error)
                    raise
        return await self._pg_fetch(sql, params)

    async def read_one(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        """Run one short read statement (no transaction needed), each its own snapshot of
        committed data. On an SQLite file it runs inline on the event-loop thread: a point
        read costs tens of microseconds there, a thread hop several times that. A read that
        scans a table belongs in ``read_scan``, which leaves the loop free meanwhile."""
        if self._plain_settings is not None:
            return self._read_inline(sql, params)
        return await self.read_scan(sql, params)

    async def read_scan(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        """Run one read statement that may take a while (COUNTs, sums over a table): on
        SQLite on a thread (aiosqlite, one long-lived connection in autocommit, each read its
        own snapshot), so the event loop serves others meanwhile; on PostgreSQL as read_one."""
        if self.is_sqlite:
            conn = await self._reader_connection()
            try:
                return await self._sqlite_fetch(conn, sql, params)
            except (sa_exc.DBAPIError, sqlite3.Error) as error:
                if is_broken(error) and conn is self._reader:
                    self._reader = None
                    await conn.invalidate()
                raise
        return await self._pg_fetch(sql, params)

    def _read_inline(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        conn = self._plain_reader
        if conn is None:
            assert self._plain_settings is not None
            path, synchronous = self._plain_settings
            conn = self._plain_reader = open_sqlite(path, synchronous, SQLITE_READ_BUSY_TIMEOUT_MS)
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            if is_locked(error):  # already waited SQLITE_READ_BUSY_TIMEOUT_MS
                raise DatabaseUnavailable() from error
            raise
        except sqlite3.Error as error:
            if is_broken(error) and conn is self._plain_reader:
                self._plain_reader = None  # reopened by the next read
                conn.close()
            raise

    async def _sqlite_fetch(
        self, conn: AsyncConnection, sql: str, params: dict[str, Any]
    ) -> list[Sequence[Any]]:
        sync = conn.sync_connection
        if sync is None or sync.closed or sync.invalidated:
            driver = (await conn.get_raw_connection()).driver_connection  # reconnects
        else:
            driver = sync.connection.driver_connection  # held already: no greenlet hop
        assert driver is not None  # held and valid, or just reconnected: it has one
        try:
            return list(await driver.execute_fetchall(sql, params))
        except sqlite3.OperationalError as error:
            # SQLite has already waited busy_timeout for the other process's lock: retrying
            # on top would hold this process's write lock for minutes.
            if is_locked(error):
                raise DatabaseUnavailable() from error
            raise

    async def _pg_fetch(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        import asyncpg

        lost = (
            OSError,  # TimeoutError included
            asyncpg.PostgresConnectionError,
            asyncpg.exceptions.OperatorInterventionError,  # server shutting down or starting
            asyncpg.InterfaceError,
        )
        query, names = self._to_positional(sql)
        args = [params[name] for name in names]
        for attempt in range(MAX_ATTEMPTS):
            try:
                conn = await self._pg_connection()
                keep = False
                try:
                    driver = _asyncpg(conn)
                    try:
                        rows = await driver.fetch(query, *args)
                    except asyncpg.QueryCanceledError:
                        keep = True  # statement_timeout or a cancel: the connection is fine
                        raise
                    except lost:
                        driver.terminate()  # at once: a graceful close would wait
                        await conn.invalidate()
                        await self._pg_drop_idle()  # kept from before the loss: suspect too
                        raise
                    except asyncpg.PostgresError:
                        keep = True  # a refused autocommit statement leaves nothing behind
                        raise
                    keep = True
                    return rows
                finally:
                    await self._pg_release(conn, keep)
            except asyncpg.QueryCanceledError as error:  # not served in time; nothing applied
                raise DatabaseUnavailable() from error
            except lost as error:  # before PostgresError, which two of them are
                raise DatabaseUnavailable() from error
            except asyncpg.PostgresError as error:
                if (
                    getattr(error, "sqlstate", None) in RETRY_SQLSTATES
                    and attempt < MAX_ATTEMPTS - 1
                ):
                    await asyncio.sleep(0.005 * (attempt + 1))
                    continue
                raise
            except sa_exc.TimeoutError as error:  # no pooled connection came free in time
                raise DatabaseUnavailable() from error
            except (sa_exc.DBAPIError, sa_exc.InterfaceError) as error:
                if isinstance(error, sa_exc.DBAPIError) and not _is_disconnect(error):
                    raise
                raise DatabaseUnavailable() from error
        raise AssertionError("unreachable")

    async def _pg_connection(self) -> AsyncConnection:
        """A connection for one autocommit statement: one kept from an earlier call, else a
        pool checkout. Keeping them skips the pool's checkout and checkin, which cost about
        as much client CPU as the statement itself (python -m ledger.bench)."""
        while self._pg_idle:
            conn = self._pg_idle.pop()
            if not _asyncpg(conn).is_closed():
                return conn
            await conn.invalidate()  # the server closed it while it sat here
            await conn.close()
        return await self.engine.connect()

    async def _pg_drop_idle(self) -> None:
        while self._pg_idle:
            conn = self._pg_idle.pop()
            _asyncpg(conn).terminate()
            await conn.invalidate()
            await conn.close()

    async def _pg_release(self, conn: AsyncConnection, keep: bool) -> None:
        """Keep a healthy connection for the next statement, or give it back to the pool.
        Not kept: a connection whose call was cancelled or failed on the way (its protocol
        state is unknown). close() here does no I/O (autocommit: nothing to roll back)."""
        if keep and len(self._pg_idle) < self._pg_idle_max:
            self._pg_idle.append(conn)
        else:
            await conn.close()

    def _to_positional(self, sql: str) -> tuple[str, tuple[str, ...]]:
        cached = self._positional.get(sql)
        if cached is None:
            names: list[str] = []

            def number(match: re.Match[str]) -> str:
                name = match.group(1)
                if name not in names:
                    names.append(name)
                return f"${names.index(name) + 1}"

            cached = (_NAMED.sub(number, sql), tuple(names))
            self._positional[sql] = cached
        return cached

    async def _writer_connection(self) -> AsyncConnection:
        if self._writer is None:
            self._writer = await self.engine.connect()
        return self._writer

    async def _reader_connection(self) -> AsyncConnection:
        if self._reader is None:
            conn = await self.engine.connect()
            if self._reader is None:
                self._reader = conn
            else:  # another read opened one meanwhile
                await conn.close()
        return self._reader

    async def _drop_writer_if_broken(self, error: BaseException) -> None:
        if is_broken(error) and self._writer is not None:
            await self._writer.invalidate()
            self._writer = None

    # --- the transaction path ---------------------------------------------------------

    async def transaction(self, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """Run ``work`` in one write transaction (BEGIN IMMEDIATE on SQLite), retried whole,
        COMMIT included, on serialization failures and deadlocks. On SQLite no write batch
        runs meanwhile (they queue, and go together after it)."""
        if self.is_sqlite:
            assert self._write_lock is not None
            held: AbstractAsyncContextManager[Any] = (
                nullcontext() if self._group is None else self._group.paused()
            )
            async with self._write_lock, held:
                conn = await self._writer_connection()
                async with conn.begin():
                    return await work(conn)
        for attempt in range(MAX_ATTEMPTS):
            try:
                async with self.engine.begin() as conn:
                    return await work(conn)
            except RetryTransaction:
                if attempt == MAX_ATTEMPTS - 1:
                    raise
                continue
            except sa_exc.DBAPIError as error:
                if _sqlstate(error) in RETRY_SQLSTATES and attempt < MAX_ATTEMPTS - 1:
                    await asyncio.sleep(0.005 * (attempt + 1))
                    continue
                if _is_disconnect(error):
                    raise DatabaseUnavailable() from error
                raise
            except (TimeoutError, OSError, sa_exc.TimeoutError) as error:
                raise DatabaseUnavailable() from error
        raise AssertionError("unreachable")

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncConnection]:
        """A connection for several reads in one snapshot (REPEATABLE READ on PostgreSQL)."""
        options = {"read_only": True} if self.is_sqlite else {"isolation_level": "REPEATABLE READ"}
        try:
            async with self.engine.connect() as conn:
                await conn.execution_options(**options)
                yield conn
        except sa_exc.DBAPIError as error:
            if _is_disconnect(error):
                raise DatabaseUnavailable() from error
            raise
        except (OSError, sa_exc.TimeoutError) as error:
            raise DatabaseUnavailable() from error

    @asynccontextmanager
    async def exclusive(self, name: str) -> AsyncIterator[bool]:
        """Whether this process holds ``name`` for the block: on PostgreSQL a session advisory
        lock (``pg_try_advisory_lock``), so of several workers one at a time gets True and the
        others False at once, without waiting; on SQLite (one process) an in-process lock.
        The lock goes with the block's end, or with the connection if the process dies."""
        lock = self._exclusive.setdefault(name, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            if self.is_sqlite:
                yield True
                return
            key = zlib.crc32(name.encode())  # a stable 32-bit number for the name
            try:
                conn = await self.engine.connect()
            except (OSError, sa_exc.DBAPIError, sa_exc.TimeoutError) as error:
                raise DatabaseUnavailable() from error
            try:
                got = await _asyncpg(conn).fetchval("SELECT pg_try_advisory_lock($1)", key)
                try:
                    yield bool(got)
                finally:
                    if got:
                        await _asyncpg(conn).execute("SELECT pg_advisory_unlock($1)", key)
            finally:
                await conn.close()

    async def ping(self) -> bool:
        try:
            rows = await self.read_one("SELECT 1", {})
            return bool(rows) and rows[0][0] == 1
        except Exception:  # a health check reports; it never raises
            log.warning("database ping failed", exc_info=True)
            return False


def _asyncpg(conn: AsyncConnection) -> Any:
    """The asyncpg connection under ``conn``: one from engine.connect(), open and never
    invalidated (an invalidated one is closed, never kept), so it has one."""
    sync = conn.sync_connection
    assert sync is not None
    driver = sync.connection.driver_connection
    assert driver is not None
    return driver


def _sqlstate(error: sa_exc.DBAPIError) -> str | None:
    orig = error.orig
    return getattr(orig, "sqlstate", None) or getattr(
        getattr(orig, "__cause__", None), "sqlstate", None
    )


def _is_disconnect(error: sa_exc.DBAPIError) -> bool:
    if error.connection_invalidated:
        return True
    # The driver's own words only: str(error) also carries the SQL and its parameters, and a
    # user's note saying "connection" must not turn a refusal into an outage.
    text = str(error.orig if error.orig is not None else error).lower()
    return any(s in text for s in ("connection", "closed", "refused", "timeout", "reset by peer"))
