"""The ledger's time: this host's, or the database server's (``DatabaseClock``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from ledger.db import Database
from ledger.models import from_micros

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class DatabaseClock:
    """The database server's clock, read without a round trip: the offset between it and
    this host's clock is measured at open and again by each ``sync`` (the sweeper's), and
    the time is this host's plus that offset. Workers on one PostgreSQL then agree to within
    a round trip, whatever their hosts' clocks say. On SQLite the database's clock is this
    host's (one process)."""

    def __init__(self, db: Database, host: Clock = utcnow) -> None:
        self._db = db
        self._host = host
        self._offset = timedelta(0)

    def __call__(self) -> datetime:
        return self._host() + self._offset

    async def sync(self) -> None:
        if self._db.is_sqlite:
            return
        before = self._host()
        rows = await self._db.read_one(
            "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000 AS BIGINT)", {}
        )
        after = self._host()
        self._offset = from_micros(int(rows[0][0])) - (before + (after - before) / 2)
