"""Running thousands of Hypothesis examples through one real Application.

A test that wants volume is a plain (sync) test that opens ``chat_bot``: its own event loop,
a fresh database, the ledger and the Application built once, and a ``run`` that drives one
coroutine to completion on that loop. Each Hypothesis example then costs one update, not a
new database and a new Application. Examples are derandomized, so CI replays the same ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings

from bot.app import build_application
from bot.fakeapi import RecordingRequest
from bot.settings import load_settings
from ledger import Ledger, Limits
from tests.bot.conftest import TOKEN, ChatBot
from tests.conftest import FakeClock, create_postgres_database, drop_postgres_database

T = TypeVar("T")
Run = Callable[[Awaitable[T]], T]

LIMITS = Limits(max_transfer=1_000_000, daily_limit=10_000_000)
# PostgreSQL answers each statement over a socket and the suite must stay short: it runs a
# quarter of the examples SQLite runs (every example kind still comes up many times).
POSTGRES_SHARE = 4


def examples(database: str, on_sqlite: int) -> int:
    return on_sqlite if database == "sqlite" else on_sqlite // POSTGRES_SHARE


def fuzz(max_examples: int) -> settings:
    """Hypothesis settings for volume through the bot: reproducible, no deadline (a database
    is involved), no example database (CI replays the derandomized examples instead)."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        print_blob=True,
    )


@contextmanager
def chat_bot(database: str, tmp_path: Path, **overrides: Any) -> Iterator[tuple[Run[Any], ChatBot]]:
    """The real Application on a fresh database of kind ``database``, with ``overrides`` of
    the settings, and the function that runs a coroutine on its event loop."""
    with asyncio.Runner() as runner:
        name = None
        if database == "sqlite":
            url = f"sqlite+aiosqlite:///{tmp_path / 'fuzz.db'}"
        else:
            name, url = runner.run(create_postgres_database())
        clock = FakeClock()
        ledger = runner.run(
            Ledger.open(url, "USD", clock=clock, default_limits=LIMITS, sqlite_synchronous="NORMAL")
        )
        api = RecordingRequest()
        app = build_application(
            load_settings(_env_file=None, bot_token=TOKEN, **overrides),
            ledger=ledger,
            request=api,
            clock=clock,
        )
        harness = ChatBot(app, api, ledger, clock)
        runner.run(app.initialize())
        api.clear()
        try:
            yield runner.run, harness
        finally:
            runner.run(app.shutdown())
            runner.run(ledger.close())
            if name is not None:
                runner.run(drop_postgres_database(name))
