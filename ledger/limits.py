"""The ledger's limits (one transfer's maximum, a day's total per account) and the daily
cap on welcome credits, all stored in ``ledger_limits`` and shared by every worker.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import books
from ledger.errors import AmountTooLarge
from ledger.models import (
    AMOUNT_MAX,
    COUNTER_MAX,
    DAY_USEC,
    to_micros,
)
from ledger.types import Limits

if TYPE_CHECKING:
    from ledger.core import Ledger

LIMITS_TTL_S = 15.0


async def limits(ledger: Ledger, *, fresh: bool = False) -> Limits:
    cached = ledger._limits
    if cached is not None and not fresh and time.monotonic() - cached[0] < LIMITS_TTL_S:
        return cached[1]
    rows = await ledger.db.read_one(
        "SELECT max_transfer, daily_limit FROM ledger_limits WHERE currency = :c",
        {"c": ledger.currency.code},
    )
    limits = Limits(*rows[0]) if rows else ledger._default_limits
    ledger._limits = (time.monotonic(), limits)
    return limits


async def sent_today(ledger: Ledger, account_id: int) -> int:
    account = await ledger.account(account_id)
    today = to_micros(ledger.clock()) // DAY_USEC
    return account.day_sent if account.day_number == today else 0


async def set_limits(
    ledger: Ledger,
    *,
    actor: int,
    reason: str = "",
    max_transfer: int | None = None,
    daily_limit: int | None = None,
) -> Limits:
    """Change the per-transfer maximum and/or the daily sending limit, on the record."""
    for value in (max_transfer, daily_limit):
        if value is not None and (not isinstance(value, int) or value <= 0):
            raise ValueError("limits must be positive ints of minor units")
    if max_transfer is not None and max_transfer > AMOUNT_MAX:
        raise AmountTooLarge(AMOUNT_MAX)
    if daily_limit is not None and daily_limit > COUNTER_MAX:
        raise AmountTooLarge(COUNTER_MAX)

    async def work(conn: AsyncConnection) -> Limits:
        now = to_micros(ledger.clock())
        row = (
            await conn.execute(
                text(
                    "UPDATE ledger_limits SET "
                    "max_transfer = COALESCE(:m, max_transfer), "
                    "daily_limit = COALESCE(:d, daily_limit), "
                    "updated_at = :now, updated_by = :actor WHERE currency = :c "
                    "RETURNING max_transfer, daily_limit"
                ),
                {
                    "m": max_transfer,
                    "d": daily_limit,
                    "now": now,
                    "actor": actor,
                    "c": ledger.currency.code,
                },
            )
        ).one()
        limits = Limits(row[0], row[1])
        await books.write_audit(
            conn,
            now,
            actor,
            "limits",
            None,
            None,
            None,
            f"max_transfer={limits.max_transfer} daily_limit={limits.daily_limit}"
            + (f"; {reason}" if reason else ""),
        )
        return limits

    limits = await ledger.db.transaction(work)
    ledger._limits = (time.monotonic(), limits)
    return limits


async def welcome_daily_cap(ledger: Ledger) -> int:
    """How many welcome credits may be issued per day, across all users."""
    rows = await ledger.db.read_one(
        "SELECT welcome_daily_cap FROM ledger_limits WHERE currency = :c",
        {"c": ledger.currency.code},
    )
    return int(rows[0][0]) if rows else 0


async def set_welcome_daily_cap(ledger: Ledger, cap: int) -> None:
    """Set how many welcome credits may be issued per day (0: none). The database counts
    them (``welcome_days``) and refuses the one over the cap: every process shares it."""
    if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
        raise ValueError("the welcome cap is a count of credits, 0 or more")
    await ledger.db.write_one(
        "UPDATE ledger_limits SET welcome_daily_cap = :cap WHERE currency = :c",
        {"cap": cap, "c": ledger.currency.code},
    )


async def welcomes_today(ledger: Ledger) -> int:
    """Welcome credits issued today (the ledger's UTC day, as for the daily limit)."""
    rows = await ledger.db.read_one(
        "SELECT issued FROM welcome_days WHERE currency = :c AND day_number = :d",
        {"c": ledger.currency.code, "d": to_micros(ledger.clock()) // DAY_USEC},
    )
    return int(rows[0][0]) if rows else 0
