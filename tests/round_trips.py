"""Counting the statements the ledger sends the database, for tests that hold it to a number of
round trips. A read_one that goes through read_scan (as on PostgreSQL) is one statement,
counted once; a write_later is counted as deferred, not again when it runs."""

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
        self._deferred: set[int] = set()  # ids of write_later's params, run by write_one
        for name in _WAITED:
            monkeypatch.setattr(db, name, self._counting(name, getattr(db, name)))
        real_later = db.write_later

        def write_later(sql: str, params: dict[str, Any]) -> None:
            self.calls.append(("write_later", _verb(sql)))
            self._deferred.add(id(params))
            real_later(sql, params)

        monkeypatch.setattr(db, "write_later", write_later)

    def _counting(
        self, name: str, call: Callable[..., Awaitable[Any]]
    ) -> Callable[..., Awaitable[Any]]:
        async def counted(sql: str, params: dict[str, Any]) -> Any:
            if self._depth == 0 and id(params) not in self._deferred:
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

    @property
    def later(self) -> list[str]:
        """Writes nobody waits for (write_later)."""
        return [verb for name, verb in self.calls if name == "write_later"]


def _verb(sql: str) -> str:
    return sql.split()[0].upper()
