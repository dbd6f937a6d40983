"""Fresh PostgreSQL databases for the ledger tests, without paying for them in every test.

tests/conftest.py gives each test a new empty database, migrates it, and drops it afterwards:
on a busy machine that is one to three seconds per PostgreSQL test, most of it the DROP. Here
each test's database is cloned from one migrated once per session (CREATE DATABASE ...
TEMPLATE), and the clones are dropped ten at a time and at the end of the session (ten DROPs
at once take about as long as one). Every test still gets a database of its own, built by
the migrations and never touched by another test.

Opt in per module by overriding ``database_url``::

    @pytest.fixture
    def database_url(fresh_database_url: str) -> str:
        return fresh_database_url
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ledger.db import Database
from ledger.migrate import upgrade
from tests.conftest import POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database

_template: list[str] = []  # the migrated database the clones copy, once made
_clones: list[str] = []
BATCH = 10  # clones dropped together; also bounds how many a long run (a shrink) leaves
CONCURRENT_DROPS = 8  # well under the server's max_connections


async def clone_postgres_database() -> tuple[str, str]:
    """A new database with the migrations applied, dropped later with others.

    Tests run one at a time, so when a clone is asked for, the earlier ones belong to finished
    tests (or Hypothesis examples) and are dropped once ``BATCH`` of them have piled up.
    """
    import asyncpg

    if len(_clones) >= BATCH:
        await _drop(_clones)
    if not _template:
        name, url = await create_postgres_database()
        _template.append(name)
        db = Database.from_url(url)
        try:
            await upgrade(db.engine)
        finally:
            await db.close()  # a template must have no connections when it is copied
    name = f"xm_clone_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{_template[0]}"')
    finally:
        await conn.close()
    _clones.append(name)
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def _drop(names: list[str]) -> None:
    """Drop ``names`` (and empty the list), a few at a time."""
    doomed = list(names)
    names.clear()
    slots = asyncio.Semaphore(CONCURRENT_DROPS)

    async def drop(name: str) -> None:
        async with slots:
            await drop_postgres_database(name)

    await asyncio.gather(*(drop(name) for name in doomed))


async def _drop_all() -> None:
    await _drop(_clones)
    await _drop(_template)


@pytest.fixture(scope="session")
def _cloned_databases() -> Iterator[None]:
    """Drops every clone, and the template, when the session ends."""
    yield
    with ThreadPoolExecutor(1) as pool:  # no event loop may be running here; use a fresh one
        pool.submit(asyncio.run, _drop_all()).result()


@pytest.fixture
async def fresh_database_url(database: str, tmp_path: Path, _cloned_databases: None) -> str:
    """A database of this test's own with the migrations applied (SQLite: a new file, which
    Ledger.open migrates)."""
    if database == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
    _name, url = await clone_postgres_database()
    return url


@pytest.fixture
async def raw(fresh_database_url: str) -> AsyncIterator[object]:
    """A PostgreSQL connection of the test's own to its fresh database (asyncpg), beside the
    ledger's: to hold a transaction open across ledger calls, or to act as an operator."""
    import asyncpg

    conn = await asyncpg.connect(
        fresh_database_url.replace("postgresql+asyncpg://", "postgresql://")
    )
    try:
        yield conn
    finally:
        await conn.close()
