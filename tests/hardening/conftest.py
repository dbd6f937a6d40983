"""Shared hardening fixtures: the chat harness of tests/bot, and a PostgreSQL database
reached through a TCP proxy the test controls (for the outage tests)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from ledger import Currency, Ledger, Limits
from ledger.db import Database
from tests.bot.conftest import bot, make_bot, make_workers
from tests.conftest import (
    POSTGRES_ADMIN_URL,
    FakeClock,
    create_postgres_database,
    drop_postgres_database,
    require_postgres,
)
from tests.hardening.tcp_proxy import TcpProxy

__all__ = ["bot", "make_bot", "make_workers"]

PROXIED_TIMEOUT_S = 1.0  # the proxied ledger's connect and command timeouts (defaults 5 s, 15 s)


def url_of(database: str, port: int | None = None) -> str:
    """The database's URL, directly or (with ``port``) through the proxy."""
    url = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql+asyncpg", database=database)
    if port is not None:
        url = url.set(host="127.0.0.1", port=port)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def postgres() -> None:
    require_postgres()  # sync: it probes the server with asyncio.run()


@pytest.fixture
async def database_name(postgres: None) -> AsyncIterator[str]:
    name, _ = await create_postgres_database()
    try:
        yield name
    finally:
        await drop_postgres_database(name)


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    server = make_url(POSTGRES_ADMIN_URL)
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()


@pytest.fixture
async def witness(database_name: str, clock: FakeClock, limits: Limits) -> AsyncIterator[Ledger]:
    """The books as the database has them, read around the proxy (applies the migrations)."""
    ledger = await Ledger.open(url_of(database_name), "USD", clock=clock, default_limits=limits)
    try:
        yield ledger
    finally:
        await ledger.close()


@pytest.fixture
async def proxied(
    database_name: str, proxy: TcpProxy, witness: Ledger, clock: FakeClock, limits: Limits
) -> AsyncIterator[Ledger]:
    """A ledger whose every byte to PostgreSQL goes through the proxy, built as
    ``Ledger.open`` builds it, with short timeouts so a partition is found quickly."""
    db = Database.from_url(
        url_of(database_name, proxy.port),
        connect_timeout=PROXIED_TIMEOUT_S,
        command_timeout=PROXIED_TIMEOUT_S,
    )
    ledger = Ledger(db, Currency.of("USD"), clock=clock, default_limits=limits)
    await ledger.start()
    try:
        yield ledger
    finally:
        proxy.restore()
        await ledger.close()
