"""Shared fixtures: a fresh database per test on SQLite and on the real PostgreSQL server,
each built by running the Alembic migrations, and a clock the test controls.

PostgreSQL tests skip with a visible reason when the server is unreachable; with
REQUIRE_POSTGRES=1 (set by .ci/run) they fail instead.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ledger import Ledger, Limits

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
DATABASES = ["sqlite", "postgresql"]

_pg_state: dict[str, object] = {}
_counter = itertools.count()


class FakeClock:
    """A clock tests move by hand; the ledger and the bot read time only through it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 0, **kwargs: float) -> None:
        self.now += timedelta(seconds=seconds, **kwargs)


def postgres_available() -> str | None:
    """None when the PostgreSQL test server answers, otherwise why not."""
    if "reason" not in _pg_state:
        import asyncpg

        async def probe() -> None:
            conn = await asyncpg.connect(POSTGRES_ADMIN_URL, timeout=3)
            await conn.close()

        try:
            asyncio.run(probe())
            _pg_state["reason"] = None
        except Exception as error:  # any failure to connect is a reason to skip
            _pg_state["reason"] = f"PostgreSQL at {POSTGRES_ADMIN_URL} unreachable: {error!r}"
    return _pg_state["reason"]  # type: ignore[return-value]


def require_postgres() -> None:
    reason = postgres_available()
    if reason is None:
        return
    if REQUIRE_POSTGRES:
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


async def create_postgres_database() -> tuple[str, str]:
    """Create an empty database; returns (name, SQLAlchemy URL)."""
    import asyncpg

    name = f"xm_test_{os.getpid()}_{next(_counter)}_{uuid.uuid4().hex[:6]}"
    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return name, f"{base}/{name}"


async def drop_postgres_database(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(params=DATABASES)
def database(request: pytest.FixtureRequest) -> str:
    """The engine under test: every test using it runs once per database."""
    if request.param == "postgresql":
        require_postgres()
    return request.param


@pytest.fixture
async def database_url(database: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a fresh, empty database (migrations not yet applied)."""
    if database == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'ledger.db'}"
        return
    name, url = await create_postgres_database()
    try:
        yield url
    finally:
        await drop_postgres_database(name)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def limits() -> Limits:
    """Generous defaults so tests only meet limits when they mean to."""
    return Limits(max_transfer=1_000_000, daily_limit=10_000_000)


@pytest.fixture
async def ledger(database_url: str, clock: FakeClock, limits: Limits) -> AsyncIterator[Ledger]:
    """A ledger on a fresh database built by the migrations, in USD, with the test clock."""
    ledger = await Ledger.open(
        database_url, "USD", clock=clock, default_limits=limits, sqlite_synchronous="NORMAL"
    )
    try:
        yield ledger
    finally:
        await ledger.close()


@pytest.fixture(scope="session", autouse=True)
def _quiet_loggers() -> Iterator[None]:
    import logging

    logging.getLogger("httpx").setLevel(logging.WARNING)
    yield
