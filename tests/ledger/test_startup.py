"""Several workers starting together on one database: the migrations run under an advisory
lock (once, whoever comes first), the system accounts are made once, and every worker comes
up. And the ledger's time is the database's, whatever the worker's host clock says."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from telegram.ext import Application

import ledger.migrate
from bot import __main__ as program
from bot.settings import load_settings
from ledger import Ledger
from ledger.core import DatabaseClock
from ledger.db import Database
from tests.conftest import FakeClock, create_postgres_database, drop_postgres_database

TOKEN = "123456:TEST-token"


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_three_workers_starting_together_on_an_empty_database_all_come_up(
    database_url: str,
) -> None:
    opened = await asyncio.gather(
        *(Ledger.open(database_url, "USD") for _ in range(3)), return_exceptions=True
    )
    try:
        assert not [o for o in opened if isinstance(o, BaseException)], opened
        ledgers = [o for o in opened if isinstance(o, Ledger)]
        assert len({one.issuance_account_id for one in ledgers}) == 1
        rows = await ledgers[0].db.read_one(
            "SELECT COUNT(*) FROM accounts WHERE kind = 'issuance'", {}
        )
        assert rows[0][0] == 1
        # and each works: a credit on one is seen by the others
        account = await ledgers[1].open_account(7)
        await ledgers[2].transfer(
            ledgers[2].issuance_account_id, account, 500, key="welcome", kind="credit"
        )
        assert (await ledgers[0].account(account)).available == 500
    finally:
        for one in opened:
            if isinstance(one, Ledger):
                await one.close()


def test_python_m_bot_applies_the_migrations_once_per_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []
    real = ledger.migrate.upgrade

    async def counted(engine: object, revision: str = "head") -> None:
        runs.append(revision)
        await real(engine, revision)  # type: ignore[arg-type]

    monkeypatch.setattr(ledger.migrate, "upgrade", counted)

    def started(self: Application, **kwargs: object) -> None:  # what run_polling does first
        async def start() -> None:
            assert self.post_init is not None
            await self.post_init(self)
            await self.bot_data["ledger"].close()

        asyncio.run(start())

    monkeypatch.setattr(Application, "run_polling", started)
    settings = load_settings(
        _env_file=None, bot_token=TOKEN, database_url=f"sqlite+aiosqlite:///{tmp_path}/x.db"
    )
    assert asyncio.run(program.prepare_database(settings)) is None
    program.run(settings)
    assert runs == ["head"]


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_the_ledgers_time_is_the_databases_not_the_hosts(database_url: str) -> None:
    db = Database.from_url(database_url)
    try:
        host = FakeClock()  # a host whose clock is wrong by years
        clock = DatabaseClock(db, host)
        await clock.sync()
        rows = await db.read_one(
            "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)", {}
        )
        from ledger.models import from_micros

        assert abs(clock() - from_micros(rows[0][0])) < timedelta(seconds=2)
        host.advance(30)  # the host's clock runs on; the database's with it
        assert abs(clock() - from_micros(rows[0][0]) - timedelta(seconds=30)) < timedelta(seconds=2)
    finally:
        await db.close()


async def test_a_ledger_opened_without_a_clock_runs_on_the_databases(database: str) -> None:
    if database == "sqlite":
        pytest.skip("SQLite serves one process: its clock is the host's")
    name, url = await create_postgres_database()
    try:
        opened = await Ledger.open(url, "USD")
        try:
            assert isinstance(opened.clock, DatabaseClock)
        finally:
            await opened.close()
    finally:
        await drop_postgres_database(name)
