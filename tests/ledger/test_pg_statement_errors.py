"""PostgreSQL: a statement that fails on its own leaves the kept connections alone.

The one-statement path keeps its asyncpg connections between calls and, when one is lost,
terminates it and drops the idle ones too (they are suspect after an outage). A statement
that fails while its connection is fine must not do that: bad arguments (asyncpg refuses
them before sending anything, as a DataError) and a cancelled statement
(``statement_timeout``, or an operator's ``pg_cancel_backend``) are not outages. The next
statement then runs on the same server backend, with no reconnect.
"""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ledger import Ledger
from ledger.errors import DatabaseUnavailable

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)
SLEEP_S = 30  # the statement cancelled below; never waited for in full


@pytest.fixture
def database_url(fresh_database_url: str) -> str:
    return fresh_database_url


async def backend(ledger: Ledger) -> int:
    return (await ledger.db.read_one("SELECT pg_backend_pid()", {}))[0][0]


async def test_bad_arguments_fail_alone_and_the_connection_is_kept(ledger: Ledger) -> None:
    before = await backend(ledger)
    with pytest.raises(asyncpg.DataError) as refused:
        await ledger.db.read_one("SELECT CAST(:n AS integer) + 1", {"n": "not a number"})
    assert not isinstance(refused.value, DatabaseUnavailable)
    assert await backend(ledger) == before
    assert await ledger.db.read_one("SELECT CAST(:n AS integer) + 1", {"n": 41}) == [(42,)]


async def test_a_cancelled_statement_is_unavailable_and_the_connection_is_kept(
    ledger: Ledger, raw: asyncpg.Connection
) -> None:
    before = await backend(ledger)
    sleeping = asyncio.create_task(ledger.db.read_one("SELECT pg_sleep(:s)", {"s": SLEEP_S}))
    for _ in range(200):  # until the server runs it
        running = await raw.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE pid = $1 AND query LIKE 'SELECT pg_sleep%'",
            before,
        )
        if running:
            break
        await asyncio.sleep(0.01)
    assert await raw.fetchval("SELECT pg_cancel_backend($1)", before)

    with pytest.raises(DatabaseUnavailable):
        await asyncio.wait_for(sleeping, SLEEP_S / 2)
    assert await backend(ledger) == before


async def test_a_statement_timeout_leaves_the_ledger_working(
    ledger: Ledger, raw: asyncpg.Connection, database_url: str
) -> None:
    """The database's own statement_timeout (set by an operator) cancels a slow statement;
    the ledger says unavailable for it and goes on serving on the same connections."""
    name = database_url.rsplit("/", 1)[1]
    await raw.execute(f'ALTER DATABASE "{name}" SET statement_timeout = 200')
    await ledger.close()
    reopened = await Ledger.open(database_url, "USD")
    try:
        alice = await reopened.open_account(1)
        before = await backend(reopened)
        with pytest.raises(DatabaseUnavailable):
            await reopened.db.read_one("SELECT pg_sleep(1)", {})
        assert await backend(reopened) == before
        assert (await reopened.account(alice)).owner_id == 1
    finally:
        await reopened.close()
