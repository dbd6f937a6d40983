"""Counting the statements the ledger sends the database, for tests that hold it to a number of
round trips. A read_one that goes through read_scan (as on PostgreSQL) is one statement,
counted once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from ledger.db import Database

_WAITED = ("read_one", "read_scan", "write_one")


class RoundTrips:
    def __init__(self, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[str, str]] = []  # (method, the statement's first word)
        self._depth = 0
        for name in _WAITED:
            monkeypatch.setattr(db, name, self._counting(name, getattr(db, name)))

    def _counting(
        self, name: str, call: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        async def counted(sql: str, params: dict[str, Any]) -> Any:
            if self._depth == 0:
                self.calls.append((name, _verb(sql)))
            self._depth += 1
            try:
                return await call(sql, params)
            finally:
                self._depth -= 1

        return counted

    def take(self) -> list[str]:
        """The methods called since the last take, in order."""
        calls, self.calls = self.calls, []
        return [name for name, _ in calls]

    @property
    def reads(self) -> list[str]:
        return [verb for name, verb in self.calls if name in ("read_one", "read_scan")]

    @property
    def writes(self) -> list[str]:
        """Writes waited for."""
        return [verb for name, verb in self.calls if name == "write_one"]


def _verb(sql: str) -> str:
    return sql.split()[0].upper()
