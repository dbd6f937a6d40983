"""The SQLite one-statement path: group-committed writes on a writer thread, inline reads.

``write_one`` calls that arrive together share one write transaction (one COMMIT, one fsync);
each still gets its own outcome: a refused statement fails alone, the rest of its batch is
committed; a batch whose transaction fails is reported ``DatabaseUnavailable`` to every caller
and leaves nothing behind. ``read_one`` runs on the event-loop thread and sees every write
whose ``write_one`` returned, and nothing uncommitted. SQLite only: PostgreSQL has no such path.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import Ledger
from ledger.db import Database
from ledger.errors import DatabaseUnavailable, InsufficientFunds

WRITER_THREAD = "ledger-sqlite-writer"
_CARD = "INSERT INTO cards (transfer_id, chat_id, message_id) VALUES (:t, :c, :m)"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
async def people(ledger: Ledger) -> tuple[int, int, int]:
    """Alice (1,000 funded), Bob and Carol (empty)."""
    alice, bob, carol = [await ledger.open_account(owner) for owner in (1, 2, 3)]
    await ledger.transfer(ledger.issuance_account_id, alice, 1_000, key="fund", kind="credit")
    return alice, bob, carol


@pytest.fixture
async def transfer_id(ledger: Ledger, people: tuple[int, int, int]) -> int:
    """A transfer the cards rows below can point at (cards.transfer_id is a foreign key)."""
    alice, bob, _ = people
    return (await ledger.transfer(alice, bob, 1, key="for-cards")).id


@asynccontextmanager
async def one_batch(db: Database) -> AsyncIterator[None]:
    """Writes queued inside go to the writer thread together, as one batch, when it ends: a
    transaction holds batches back while it runs (and this one runs until then)."""
    inside, done = asyncio.Event(), asyncio.Event()

    async def work(conn: AsyncConnection) -> None:
        inside.set()
        await done.wait()

    holder = asyncio.create_task(db.transaction(work))
    await inside.wait()
    try:
        yield
        await asyncio.sleep(0)  # the writes' tasks take their first step: they queue
    finally:
        done.set()
        await holder


async def together(db: Database, *calls: Awaitable[Any]) -> list[Any]:
    """Run the calls (each making one write first) with their writes in one batch; their
    results or errors, in order."""
    async with one_batch(db):
        tasks = [asyncio.ensure_future(call) for call in calls]
    return await asyncio.gather(*tasks, return_exceptions=True)


async def count(db: Database, sql: str, params: dict[str, Any] | None = None) -> int:
    return int((await db.read_one(sql, params or {}))[0][0])


class Writer:
    """Stands in for the writer thread's sqlite3 connection: fails the statement ``fail``
    (after rolling the transaction back, if ``rollback``), or stops before running a
    statement with a parameter equal to ``pause_at`` until ``go`` is set."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        fail: str | None = None,
        rollback: bool = False,
        pause_at: int | None = None,
    ) -> None:
        self.conn, self.fail, self.rollback, self.pause_at = conn, fail, rollback, pause_at
        self.started, self.go = threading.Event(), threading.Event()

    @property
    def in_transaction(self) -> bool:
        return self.conn.in_transaction

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql == self.fail:
            if self.rollback:  # as SQLite does itself on SQLITE_FULL, IOERR, BUSY
                self.conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("disk I/O error")
        if self.pause_at is not None and args and self.pause_at in args[0].values():
            self.started.set()
            self.go.wait()
        return self.conn.execute(sql, *args)

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
async def writer(ledger: Ledger, transfer_id: int) -> AsyncIterator[Any]:
    """The group commit's writer connection, to be wrapped by a test (put back after)."""
    group = ledger.db._group
    assert group is not None and group._conn is not None  # opened by the writes above
    real = group._conn
    yield group
    if isinstance(group._conn, Writer):
        group._conn.go.set()  # never leave the thread waiting, even after a failure
    group._conn = real


# --- grouping ----------------------------------------------------------------------------


async def test_concurrent_writes_commit_in_fewer_transactions_than_writes(
    ledger: Ledger, people: tuple[int, int, int]
) -> None:
    alice, bob, _ = people
    before = ledger.db.sqlite_commits
    writes = 64
    done = await asyncio.gather(
        *(ledger.transfer(alice, bob, 1, key=f"pay-{i}") for i in range(writes))
    )
    commits = ledger.db.sqlite_commits - before
    assert 1 <= commits < writes
    assert len({t.id for t in done}) == writes and not any(t.replayed for t in done)
    assert await count(ledger.db, "SELECT COUNT(*) FROM transfers WHERE kind = 'payment'") == writes
    assert (await ledger.account(bob)).available == writes
    assert (await ledger.verify()).ok


async def test_a_refused_statement_fails_alone_and_the_rest_of_its_batch_commits(
    ledger: Ledger, people: tuple[int, int, int]
) -> None:
    alice, bob, carol = people
    before = ledger.db.sqlite_commits
    results = await together(
        ledger.db,
        ledger.transfer(alice, bob, 600, key="first"),
        ledger.transfer(alice, carol, 600, key="overdraft"),  # only 400 left after the first
        ledger.transfer(ledger.issuance_account_id, carol, 5, key="credit", kind="credit"),
    )
    assert ledger.db.sqlite_commits - before == 1  # the three ran in one transaction
    assert not isinstance(results[0], BaseException)
    assert isinstance(results[1], InsufficientFunds)
    assert results[1].available == 400
    assert not isinstance(results[2], BaseException)
    assert (await ledger.account(bob)).available == 600
    assert (await ledger.account(carol)).available == 5
    keys = await ledger.db.read_one("SELECT idempotency_key FROM transfers ORDER BY id", {})
    assert [k for (k,) in keys] == ["fund", "first", "credit"]
    assert (await ledger.verify()).ok


async def test_a_unique_violation_fails_alone_in_its_batch(
    ledger: Ledger, transfer_id: int
) -> None:
    db = ledger.db
    before = db.sqlite_commits
    results = await together(
        db,
        db.write_one(_CARD, {"t": transfer_id, "c": 7, "m": 1}),
        db.write_one(_CARD, {"t": transfer_id, "c": 8, "m": 2}),  # cards.transfer_id is unique
        db.write_one("UPDATE accounts SET status = 'frozen' WHERE owner_id = 3", {}),
    )
    assert db.sqlite_commits - before == 1
    assert results[0] == [] and results[2] == []
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert "UNIQUE" in str(results[1])
    assert await db.read_one("SELECT chat_id FROM cards", {}) == [(7,)]
    assert await count(db, "SELECT COUNT(*) FROM accounts WHERE status = 'frozen'") == 1


# --- reads -------------------------------------------------------------------------------


async def test_every_write_is_seen_by_the_next_read(ledger: Ledger, transfer_id: int) -> None:
    db = ledger.db

    async def write_then_read(i: int) -> None:
        await db.write_one(
            "INSERT INTO audit_log (at, action, admin, reason) VALUES (:i, 'x', 0, 'r')", {"i": i}
        )
        assert await count(db, "SELECT COUNT(*) FROM audit_log WHERE at = :i", {"i": i}) == 1

    await asyncio.gather(*(write_then_read(i) for i in range(40)))


async def test_a_read_sees_nothing_uncommitted(
    ledger: Ledger, people: tuple[int, int, int]
) -> None:
    alice, *_ = people

    async def work(conn: AsyncConnection) -> int:
        await conn.execute(
            text("UPDATE accounts SET status = 'frozen' WHERE id = :a"), {"a": alice}
        )
        return await count(ledger.db, "SELECT COUNT(*) FROM accounts WHERE status = 'frozen'")

    assert await ledger.db.transaction(work) == 0
    assert await count(ledger.db, "SELECT COUNT(*) FROM accounts WHERE status = 'frozen'") == 1


async def test_a_read_runs_on_the_event_loop_thread_without_suspending(ledger: Ledger) -> None:
    db = ledger.db
    await db.read_one("SELECT 1", {})  # opens the reader connection
    assert db._plain_reader is not None
    db._plain_reader.create_function("thread_id", 0, threading.get_ident)
    assert await db.read_one("SELECT thread_id()", {}) == [(threading.get_ident(),)]
    # A coroutine that finishes on its first step never waited for another thread.
    step = db.read_one("SELECT COUNT(*) FROM accounts", {}).__await__()
    with pytest.raises(StopIteration) as finished:
        step.send(None)
    assert finished.value.value == [(1,)]  # the issuance account


async def test_reads_that_scan_a_table_leave_the_event_loop(
    ledger: Ledger, people: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """History, the audit log, statistics and the user count may read many rows: each runs
    on a thread, so the loop serves other updates meanwhile; the point reads stay inline."""
    alice, bob, _ = people
    await ledger.transfer(alice, bob, 5, key="scan")
    inline: list[str] = []
    real = Database._read_inline

    def spy(self: Database, sql: str, params: dict[str, Any]) -> list[Any]:
        inline.append(sql)
        return real(self, sql, params)

    monkeypatch.setattr(Database, "_read_inline", spy)
    page = await ledger.history(alice)
    assert [(item.direction, item.transfer.amount) for item in page.items][:1] == [("out", 5)]
    assert (await ledger.audit_log(admin_only=False))[0].action
    assert (await ledger.stats()).users == 3
    assert await ledger.directory.count() == 0
    history_sql = [sql for sql in inline if "ORDER BY t.id DESC" in sql]
    counts = [sql for sql in inline if "COUNT(*)" in sql or "ORDER BY a.id DESC" in sql]
    assert history_sql == [] and counts == []
    await ledger.account(alice)  # a point read: inline
    assert any("FROM accounts a" in sql for sql in inline)


async def test_the_write_and_read_connections_have_the_engines_durability(
    tmp_path: Path,
) -> None:
    for setting, number in (("FULL", 2), ("NORMAL", 1)):
        db = Database.from_url(
            f"sqlite+aiosqlite:///{tmp_path / setting}.db", sqlite_synchronous=setting
        )
        try:
            assert await db.write_one("PRAGMA synchronous", {}) == [(number,)]
            assert await db.read_one("PRAGMA synchronous", {}) == [(number,)]
            for pragma, value in (("journal_mode", "wal"), ("foreign_keys", 1)):
                assert await db.write_one(f"PRAGMA {pragma}", {}) == [(value,)]
                assert await db.read_one(f"PRAGMA {pragma}", {}) == [(value,)]
        finally:
            await db.close()


async def test_an_in_memory_database_keeps_the_engine_path() -> None:
    db = Database.from_url("sqlite+aiosqlite:///:memory:")
    try:
        await db.write_one("CREATE TABLE t (x INTEGER)", {})
        await db.write_one("INSERT INTO t VALUES (1)", {})
        assert await db.read_one("SELECT x FROM t", {}) == [(1,)]
        assert db.sqlite_commits == 0
    finally:
        await db.close()


# --- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize("fail", ["COMMIT", _CARD], ids=["commit-fails", "rolled-back-midway"])
async def test_a_failed_batch_is_unavailable_to_every_caller_and_leaves_nothing(
    ledger: Ledger, transfer_id: int, writer: Any, fail: str
) -> None:
    db = ledger.db
    writer._conn = Writer(writer._conn, fail=fail, rollback=fail != "COMMIT")
    before = db.sqlite_commits
    results = await together(
        db,
        db.write_one("UPDATE accounts SET status = 'frozen' WHERE owner_id = 3", {}),
        db.write_one(_CARD, {"t": transfer_id, "c": 7, "m": 1}),
        db.write_one("UPDATE accounts SET status = 'frozen' WHERE owner_id = 2", {}),
    )
    assert all(isinstance(r, DatabaseUnavailable) for r in results), results
    assert db.sqlite_commits == before
    assert await count(db, "SELECT COUNT(*) FROM accounts WHERE status = 'frozen'") == 0
    assert await count(db, "SELECT COUNT(*) FROM cards") == 0
    writer._conn = writer._conn.conn  # the disk is back: the next batch commits
    assert await db.write_one(_CARD + " RETURNING chat_id", {"t": transfer_id, "c": 7, "m": 1})
    assert db.sqlite_commits == before + 1


async def test_cancelled_callers_do_not_stop_the_others(
    ledger: Ledger, transfer_id: int, writer: Any
) -> None:
    db = ledger.db
    slow = writer._conn = Writer(writer._conn, pause_at=9999)
    loop = asyncio.get_running_loop()
    # One caller is cancelled while its statement runs on the writer thread...
    running = asyncio.create_task(db.write_one(_CARD, {"t": transfer_id, "c": 9999, "m": 1}))
    await loop.run_in_executor(None, slow.started.wait)
    running.cancel()
    # ... one while its statement waits for the next batch; a third waits beside it.
    queued = asyncio.create_task(db.write_one("UPDATE accounts SET status = 'frozen'", {}))
    other = asyncio.create_task(db.write_one("SELECT COUNT(*) FROM accounts", {}))
    await asyncio.sleep(0)
    queued.cancel()
    slow.go.set()
    with pytest.raises(asyncio.CancelledError):
        await running
    with pytest.raises(asyncio.CancelledError):
        await queued
    assert await other == [(4,)]
    # The statement already running was committed; the one still queued never ran.
    assert await db.read_one("SELECT chat_id FROM cards", {}) == [(9999,)]
    assert await count(db, "SELECT COUNT(*) FROM accounts WHERE status = 'frozen'") == 0
    assert await db.write_one("UPDATE accounts SET status = 'active' RETURNING id", {})


async def test_close_stops_the_writer_thread(database_url: str) -> None:
    before = set(threading.enumerate())
    db = Database.from_url(database_url)
    await db.write_one("CREATE TABLE t (x INTEGER)", {})
    assert await db.read_one("SELECT COUNT(*) FROM t", {}) == [(0,)]
    started = [
        t for t in threading.enumerate() if t not in before and t.name.startswith(WRITER_THREAD)
    ]
    assert len(started) == 1
    await db.close()
    assert not started[0].is_alive()
    assert db._plain_reader is None
