"""Checking the books: ``verify`` recomputes every counter from the transfers, ``stats``
sums them up, and the audit log records every admin action.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.errors import DatabaseUnavailable
from ledger.models import (
    AMOUNT_MAX,
    COUNTER_MAX,
    DAY_USEC,
    MEMO_MAX,
    clean_text,
    from_micros,
    to_micros,
)
from ledger.sql import _SELECT_ALL_ACCOUNTS_APART, _row_to_account
from ledger.types import (
    AuditRecord,
    Stats,
    VerifyReport,
)

if TYPE_CHECKING:
    from ledger.core import Ledger

# Sums over many amounts are taken in two parts, each far from 64 bits whatever the number of
# rows (amounts <= AMOUNT_MAX < 2^50: the high part < 2^26 a row), and put together in Python,
# whose ints do not overflow: SQLite's SUM fails with "integer overflow" past 2^63, which a
# day's volume or corrupted books (amounts written before revision 0005) could reach.
_SPLIT = 1 << 24


def _split_sums(expression: str) -> tuple[str, str]:
    """Two SQL sums (of non-negative integers) whose ``_joined`` value is
    ``SUM(expression)``, exactly."""
    return f"SUM(({expression}) / {_SPLIT})", f"SUM(({expression}) % {_SPLIT})"


def _joined(high: Any, low: Any) -> int:
    return int(high or 0) * _SPLIT + int(low or 0)


# What each row of Ledger._beyond_caps_sql holds, in verify()'s report.
_BEYOND_LABELS = {
    "account": "(debits_posted, credits_posted, debits_pending, credits_pending, day_sent)",
    "account shard": "(shard, credits_posted, credits_pending)",
    "transfer": "(amount)",
}


async def write_audit(
    conn: AsyncConnection,
    now: int,
    actor: int | None,
    action: str,
    account_id: int | None,
    transfer_id: int | None,
    amount: int | None,
    reason: str,
) -> None:
    await conn.execute(
        text(
            "INSERT INTO audit_log (at, actor_id, action, admin, account_id, transfer_id, "
            "amount, reason) VALUES (:at, :actor, :action, :admin, :account, :transfer, "
            ":amount, :reason)"
        ),
        {
            "at": now,
            "actor": actor,
            "action": action,
            "admin": True,
            "account": account_id,
            "transfer": transfer_id,
            "amount": amount,
            "reason": clean_text(reason)[:MEMO_MAX],
        },
    )


async def audit_log(
    ledger: Ledger, *, limit: int = 20, admin_only: bool = True
) -> list[AuditRecord]:
    """The latest audit entries, newest first."""
    where = "WHERE a.admin = :yes " if admin_only else ""
    # Admin entries can be few among many: a scan, off the event loop.
    rows = await ledger.db.read_scan(
        "SELECT a.id, a.at, a.actor_id, a.action, a.admin, a.account_id, c.owner_id, t.ref, "
        "a.amount, a.reason FROM audit_log a "
        "LEFT JOIN accounts c ON c.id = a.account_id "
        "LEFT JOIN transfers t ON t.id = a.transfer_id "
        f"{where}ORDER BY a.id DESC LIMIT :limit",
        {"limit": limit, "yes": True},
    )
    return [
        AuditRecord(r[0], from_micros(r[1]), r[2], r[3], bool(r[4]), r[5], r[6], r[7], r[8], r[9])
        for r in rows
    ]


async def verify(ledger: Ledger) -> VerifyReport:
    """Recompute every account's counters from the transfers and check the invariants.

    It reports, it never raises for what it finds (only ``DatabaseUnavailable`` when the
    database cannot be reached): a counter or an amount past revision 0005's caps or not
    stored as an integer (a REAL on SQLite) is one more problem, and so are books that
    cannot even be read."""
    sums_sql = ", ".join(
        part
        for state in ("posted", "pending")
        for side in ("d", "c")
        for part in _split_sums(
            f"CASE WHEN side = '{side}' AND state = '{state}' THEN amount ELSE 0 END"
        )
    )
    try:
        async with ledger.db.reading() as conn:
            accounts = (await conn.execute(text(_SELECT_ALL_ACCOUNTS_APART))).all()
            sums = (
                await conn.execute(
                    text(
                        f"SELECT account_id, {sums_sql}, COUNT(*) FROM ("
                        "SELECT debit_account_id AS account_id, 'd' AS side, state, amount "
                        "FROM transfers UNION ALL "
                        "SELECT credit_account_id, 'c', state, amount FROM transfers) x "
                        "GROUP BY account_id"
                    )
                )
            ).all()
            counts = (
                await conn.execute(
                    text(
                        "SELECT COUNT(*), SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), "
                        "SUM(CASE WHEN reverses_id IS NOT NULL THEN 1 ELSE 0 END) "
                        "FROM transfers"
                    )
                )
            ).one()
            beyond = (await conn.execute(text(beyond_caps_sql(ledger)))).all()
    except DatabaseUnavailable:
        raise
    except Exception as error:  # the books themselves cannot be read: say so, do not crash
        cause = str(getattr(error, "orig", None) or error).strip().splitlines() or ["?"]
        return VerifyReport(
            ok=False,
            problems=[f"the books cannot be read: {cause[0]}"],
            accounts_checked=0,
            transfers_checked=0,
            pending_transfers=0,
        )
    expected = {row[0]: tuple(_joined(row[i], row[i + 1]) for i in (1, 3, 5, 7)) for row in sums}
    problems = [
        f"{what} {ident} holds {_BEYOND_LABELS[what]} = "
        f"{tuple(v for v in values if v is not None)}, beyond the cap "
        f"({AMOUNT_MAX if what == 'transfer' else COUNTER_MAX}) or not stored as integers"
        for what, ident, *values in beyond
    ]
    totals: dict[str, list[int]] = {}
    for row in accounts:
        shards = (int(row[11] or 0), int(row[12] or 0))  # NUMERIC sums on PostgreSQL
        account = _row_to_account(
            [*row[:6], row[6] + shards[0], row[7], row[8] + shards[1], *row[9:11]]
        )
        actual = (
            account.debits_posted,
            account.credits_posted,
            account.debits_pending,
            account.credits_pending,
        )
        recomputed = expected.get(account.id, (0, 0, 0, 0))
        if actual != recomputed:
            problems.append(
                f"account {account.id} counters {actual} != recomputed {recomputed} "
                "(debits_posted, credits_posted, debits_pending, credits_pending)"
            )
        if account.kind == "user" and account.available < 0:
            problems.append(f"account {account.id} is overdrawn: {account.available}")
        t = totals.setdefault(account.currency, [0, 0, 0, 0])
        for i, value in enumerate(actual):
            t[i] += value
    for currency, (dp, cp, dpend, cpend) in totals.items():
        if dp != cp:
            problems.append(f"{currency}: posted debits {dp} != posted credits {cp}")
        if dpend != cpend:
            problems.append(f"{currency}: pending debits {dpend} != pending credits {cpend}")
    known = {row[0] for row in accounts}
    for account_id in expected.keys() - known:
        problems.append(f"transfers reference missing account {account_id}")
    from ledger.payments.cheques import cheque_problems  # cheques are holds too

    problems += await cheque_problems(ledger.db)
    return VerifyReport(
        ok=not problems,
        problems=problems,
        accounts_checked=len(accounts),
        transfers_checked=int(counts[0] or 0),
        pending_transfers=int(counts[1] or 0),
    )


def beyond_caps_sql(ledger: Ledger) -> str:
    """Rows (what, id, values...) whose counters or amount break revision 0005's caps, as
    rows written before it could (on SQLite: or are not stored as integers)."""

    def outside(columns: Sequence[str], low: int, high: int) -> str:
        tests = [f"{c} NOT BETWEEN {low} AND {high}" for c in columns]
        if ledger.db.is_sqlite:
            tests += [f"typeof({c}) <> 'integer'" for c in columns]
        return " OR ".join(tests)

    counters = ("debits_posted", "credits_posted", "debits_pending", "credits_pending")
    return (
        f"SELECT 'account', id, {', '.join(counters)}, day_sent FROM accounts "
        f"WHERE {outside((*counters, 'day_sent'), 0, COUNTER_MAX)} "
        "UNION ALL SELECT 'account shard', account_id, shard, credits_posted, "
        "credits_pending, NULL, NULL FROM account_credits "
        f"WHERE {outside(('credits_posted', 'credits_pending'), 0, COUNTER_MAX)} "
        "UNION ALL SELECT 'transfer', id, amount, NULL, NULL, NULL, NULL FROM transfers "
        f"WHERE {outside(('amount',), 1, AMOUNT_MAX)}"
    )


async def stats(ledger: Ledger) -> Stats:
    now = to_micros(ledger.clock())
    day_start = now - now % DAY_USEC
    paid_today = "FROM transfers WHERE kind = 'payment' AND state = 'posted' AND created_at >= :day"
    high, low = _split_sums("amount")  # the day's volume: see _split_sums
    rows = await ledger.db.read_scan(  # counts over whole tables
        "SELECT "
        "(SELECT COUNT(*) FROM accounts WHERE kind = 'user'), "
        "(SELECT COUNT(*) FROM accounts WHERE kind = 'user' AND status = 'frozen'), "
        "(SELECT debits_posted - credits_posted - COALESCE((SELECT SUM(credits_posted) "
        " FROM account_credits WHERE account_id = :iss), 0) FROM accounts WHERE id = :iss), "
        f"(SELECT COUNT(*) {paid_today}), (SELECT {high} {paid_today}), "
        f"(SELECT {low} {paid_today}), "
        "(SELECT COUNT(*) FROM transfers WHERE state = 'pending')",
        {"iss": ledger.issuance_account_id, "day": day_start},
    )
    users, frozen, issued, count, volume_high, volume_low, pending = rows[0]
    return Stats(
        int(users or 0),
        int(frozen or 0),
        int(issued or 0),
        int(count or 0),
        _joined(volume_high, volume_low),
        int(pending or 0),
        await verify(ledger),
    )
