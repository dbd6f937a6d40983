"""The raw-driver baseline of ``python -m ledger.bench``: the same logical transfer (debit one
account if funded, credit the other, record it) in the fewest statements each engine allows,
on a minimal schema of its own, so the ledger's figures are a ratio to its engine.

SQLite: plain ``sqlite3``, called inline on the event loop thread (no thread hop: the
engine's own limit), WAL and the same ``synchronous`` as the ledger; a transfer is
``BEGIN IMMEDIATE``, conditional UPDATE of the debit, UPDATE of the credit, INSERT, COMMIT.
PostgreSQL: an asyncpg pool with one connection per client; a transfer is ONE statement (a
data-modifying CTE), in autocommit. A payment is two such transfers' worth of work: a hold
(debit moved to ``held``, transfer row ``pending``) and a post, each its own transaction.
"""

from __future__ import annotations

import random
import sqlite3
from typing import Any

FUNDS = 10**9
SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}  # PRAGMA synchronous values


class InsufficientFunds(Exception):
    """The baseline's refusal: the debit account cannot cover the amount."""


class NotPending(Exception):
    """The baseline's refusal: the hold to post is gone."""


_SQLITE_SCHEMA = [
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL "
    "CHECK (balance >= 0), held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0))",
    "CREATE TABLE transfers (id INTEGER PRIMARY KEY, debit INTEGER NOT NULL, "
    "credit INTEGER NOT NULL, amount INTEGER NOT NULL, state TEXT NOT NULL)",
]


class SqliteBaseline:
    """sqlite3 inline: each operation blocks the loop for the length of its transaction."""

    inline = True

    def __init__(self, path: str, accounts: int, synchronous: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")
        for statement in _SQLITE_SCHEMA:
            self.conn.execute(statement)
        self.conn.execute("BEGIN")
        self.conn.executemany(
            "INSERT INTO accounts (id, balance) VALUES (?, ?)",
            ((i, FUNDS) for i in range(accounts + 1)),
        )
        self.conn.execute("COMMIT")
        self.accounts = list(range(1, accounts + 1))
        self.merchant = 0

    def close(self) -> None:
        self.conn.close()

    def settings(self) -> dict[str, Any]:
        return {
            "journal_mode": self.conn.execute("PRAGMA journal_mode").fetchone()[0],
            "synchronous": SYNCHRONOUS[self.conn.execute("PRAGMA synchronous").fetchone()[0]],
        }

    def _move(self, debit: int, credit: int, amount: int, state: str) -> int:
        execute = self.conn.execute
        execute("BEGIN IMMEDIATE")
        try:
            if state == "posted":
                moved = execute(
                    "UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance >= ?",
                    (amount, debit, amount),
                ).rowcount
            else:
                moved = execute(
                    "UPDATE accounts SET balance = balance - ?, held = held + ? "
                    "WHERE id = ? AND balance >= ?",
                    (amount, amount, debit, amount),
                ).rowcount
            if not moved:
                raise InsufficientFunds()
            if state == "posted":
                execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, credit))
            row_id = execute(
                "INSERT INTO transfers (debit, credit, amount, state) VALUES (?, ?, ?, ?)",
                (debit, credit, amount, state),
            ).lastrowid
            execute("COMMIT")
        except BaseException:
            execute("ROLLBACK")
            raise
        return int(row_id or 0)

    def _post(self, transfer_id: int) -> None:
        execute = self.conn.execute
        execute("BEGIN IMMEDIATE")
        try:
            row = execute(
                "UPDATE transfers SET state = 'posted' WHERE id = ? AND state = 'pending' "
                "RETURNING debit, credit, amount",
                (transfer_id,),
            ).fetchone()
            if row is None:
                raise NotPending()
            debit, credit, amount = row
            execute("UPDATE accounts SET held = held - ? WHERE id = ?", (amount, debit))
            execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, credit))
            execute("COMMIT")
        except BaseException:
            execute("ROLLBACK")
            raise

    def operations(self) -> dict[str, object]:
        accounts, merchant = self.accounts, self.merchant

        async def single(rng: random.Random) -> None:
            debit, credit = rng.sample(accounts, 2)
            self._move(debit, credit, rng.randint(1, 100), "posted")

        async def payment(rng: random.Random) -> None:
            debit, credit = rng.sample(accounts, 2)
            self._post(self._move(debit, credit, rng.randint(1, 100), "pending"))

        async def hot(rng: random.Random) -> None:
            self._move(rng.choice(accounts), merchant, rng.randint(1, 100), "posted")

        return {"single": single, "payment": payment, "hot": hot}


_PG_SCHEMA = [
    "CREATE TABLE bl_accounts (id bigint PRIMARY KEY, balance bigint NOT NULL "
    "CHECK (balance >= 0), held bigint NOT NULL DEFAULT 0 CHECK (held >= 0))",
    "CREATE TABLE bl_transfers (id bigserial PRIMARY KEY, debit bigint NOT NULL, "
    "credit bigint NOT NULL, amount bigint NOT NULL, state text NOT NULL)",
]
# The credit UPDATE reads ``d``, so it runs only when (and after) the debit succeeded.
_PG_TRANSFER = """
WITH d AS (UPDATE bl_accounts SET balance = balance - $3 WHERE id = $1 AND balance >= $3
           RETURNING id),
     c AS (UPDATE bl_accounts SET balance = balance + $3
           WHERE id = $2 AND EXISTS (SELECT 1 FROM d) RETURNING id)
INSERT INTO bl_transfers (debit, credit, amount, state)
SELECT $1, $2, $3, 'posted' FROM d, c RETURNING id"""
_PG_HOLD = """
WITH d AS (UPDATE bl_accounts SET balance = balance - $3, held = held + $3
           WHERE id = $1 AND balance >= $3 RETURNING id)
INSERT INTO bl_transfers (debit, credit, amount, state)
SELECT $1, $2, $3, 'pending' FROM d RETURNING id"""
_PG_POST = """
WITH t AS (UPDATE bl_transfers SET state = 'posted' WHERE id = $1 AND state = 'pending'
           RETURNING debit, credit, amount),
     d AS (UPDATE bl_accounts a SET held = a.held - t.amount FROM t WHERE a.id = t.debit
           RETURNING a.id),
     c AS (UPDATE bl_accounts a SET balance = a.balance + t.amount FROM t, d
           WHERE a.id = t.credit RETURNING a.id)
SELECT count(*) FROM c"""
RETRY_SQLSTATES = {"40001", "40P01"}


class PostgresBaseline:
    """asyncpg, one data-modifying CTE per transfer, retried on deadlock like the ledger."""

    inline = False

    def __init__(self, pool: Any, accounts: int) -> None:
        self.pool = pool
        self.accounts = list(range(1, accounts + 1))
        self.merchant = 0
        self.retries = 0

    @classmethod
    async def create(cls, dsn: str, accounts: int, pool_size: int) -> PostgresBaseline:
        import asyncpg

        pool = await asyncpg.create_pool(dsn, min_size=pool_size, max_size=pool_size)
        async with pool.acquire() as conn:
            for statement in _PG_SCHEMA:
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO bl_accounts (id, balance) SELECT g, $1 FROM generate_series(0, $2) g",
                FUNDS,
                accounts,
            )
            await conn.execute("VACUUM ANALYZE bl_accounts")
        return cls(pool, accounts)

    async def close(self) -> None:
        await self.pool.close()

    async def settings(self) -> dict[str, Any]:
        async with self.pool.acquire() as conn:
            return {"synchronous_commit": await conn.fetchval("SHOW synchronous_commit")}

    async def _fetchval(self, sql: str, *args: Any) -> Any:
        import asyncpg

        for attempt in range(8):
            try:
                async with self.pool.acquire() as conn:
                    return await conn.fetchval(sql, *args)
            except asyncpg.PostgresError as error:
                if getattr(error, "sqlstate", None) not in RETRY_SQLSTATES or attempt == 7:
                    raise
                self.retries += 1
        raise AssertionError("unreachable")

    def operations(self) -> dict[str, object]:
        accounts, merchant = self.accounts, self.merchant

        async def move(debit: int, credit: int, amount: int) -> None:
            if await self._fetchval(_PG_TRANSFER, debit, credit, amount) is None:
                raise InsufficientFunds()

        async def single(rng: random.Random) -> None:
            debit, credit = rng.sample(accounts, 2)
            await move(debit, credit, rng.randint(1, 100))

        async def payment(rng: random.Random) -> None:
            debit, credit = rng.sample(accounts, 2)
            held = await self._fetchval(_PG_HOLD, debit, credit, rng.randint(1, 100))
            if held is None:
                raise InsufficientFunds()
            if await self._fetchval(_PG_POST, held) != 1:
                raise NotPending()

        async def hot(rng: random.Random) -> None:
            await move(rng.choice(accounts), merchant, rng.randint(1, 100))

        return {"single": single, "payment": payment, "hot": hot}
