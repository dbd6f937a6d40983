"""An account's status: freezing (its open holds voided, its people told) and unfreezing."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger import books
from ledger.db import RetryTransaction
from ledger.errors import AccountNotFound
from ledger.models import (
    MEMO_MAX,
    clean_text,
    to_micros,
)
from ledger.sql import _T_COLS, _T_ROW
from ledger.types import FreezeResult, Transfer

if TYPE_CHECKING:
    from ledger.core import Ledger


async def set_status(
    ledger: Ledger, account_id: int, status: str, actor: int, reason: str
) -> FreezeResult:
    """Set the account's status; a freeze also voids the account's open holds. A change
    writes its audit entry and the owner's notice (an outbox row) in the same transaction."""

    async def work(conn: AsyncConnection) -> tuple[bool, list[Transfer], list[int]]:
        now = to_micros(ledger.clock())
        pending: list[Sequence[Any]] = []
        if status == "frozen" and not ledger.db.is_sqlite:
            # The hold gate (migration 0003): every hold being created with this account
            # holds it shared; once it is ours no new hold can land, so the holds listed
            # next are all there will be, however busy the account.
            await conn.execute(text("SELECT pg_advisory_xact_lock(:a)"), {"a": account_id})
        if status == "frozen":
            # Lock order: the pending transfers, then the accounts (both in id order).
            # NO KEY UPDATE, not UPDATE: a payment's foreign-key checks take KEY SHARE on
            # its two accounts in column order, which FOR UPDATE would wait on (deadlock).
            lock = "" if ledger.db.is_sqlite else " FOR NO KEY UPDATE"
            pending = list(
                (
                    await conn.execute(
                        text(
                            f"SELECT {_T_COLS} FROM transfers WHERE state = 'pending' AND "
                            "(debit_account_id = :a OR credit_account_id = :a) "
                            # A payout in flight is the card processor's now: it settles
                            # or returns by itself (ledger.payments.funding).
                            "AND kind <> 'payout' "
                            f"ORDER BY id{lock}"
                        ),
                        {"a": account_id},
                    )
                ).all()
            )
            involved = {account_id}
            for row in pending:
                involved.update((row[3], row[4]))
            if not ledger.db.is_sqlite:
                await conn.execute(
                    text(
                        "SELECT id FROM accounts WHERE id IN "
                        f"({', '.join(str(int(i)) for i in sorted(involved))}) "
                        "ORDER BY id FOR NO KEY UPDATE"
                    )
                )
        changed = (
            await conn.execute(
                text(
                    "UPDATE accounts SET status = :s WHERE id = :a AND kind = 'user' "
                    "AND status <> :s RETURNING id"
                ),
                {"s": status, "a": account_id},
            )
        ).first() is not None
        if not changed:
            exists = (
                await conn.execute(
                    text("SELECT 1 FROM accounts WHERE id = :a AND kind = 'user'"),
                    {"a": account_id},
                )
            ).first()
            if exists is None:
                raise AccountNotFound()
        if status == "frozen" and not ledger.db.is_sqlite:
            # A hold committed between the select above and the lock on the account
            # would have slipped past it (the hold gate above prevents that; this stays
            # as the check that it did). If one did, start over so it is locked in order
            # with the others (voiding it from here would take locks out of order).
            seen = {row[0] for row in pending}
            now_pending = (
                await conn.execute(
                    text(
                        "SELECT id FROM transfers WHERE state = 'pending' AND "
                        "(debit_account_id = :a OR credit_account_id = :a) "
                        "AND kind <> 'payout'"
                    ),
                    {"a": account_id},
                )
            ).scalars()
            if any(transfer_id not in seen for transfer_id in now_pending):
                raise RetryTransaction()
        voided = []
        for row in pending:
            result = (
                await conn.execute(
                    text(
                        "UPDATE transfers SET state = 'voided', resolved_at = :now, "
                        "resolved_by = :actor WHERE id = :id AND state = 'pending' "
                        f"RETURNING {_T_ROW}"
                    ),
                    {"now": now, "actor": actor, "id": row[0]},
                )
            ).first()
            if result is not None:
                voided.append(ledger._transfer_of(result))
        notices: list[int] = []
        if changed:
            action = "freeze" if status == "frozen" else "unfreeze"
            await books.write_audit(conn, now, actor, action, account_id, None, None, reason)
            owner = (
                await conn.execute(
                    text("SELECT owner_id FROM accounts WHERE id = :a"), {"a": account_id}
                )
            ).scalar()
            if owner is not None:  # the person is told, by the outbox (see ledger.outbox)
                notice = await ledger.outbox.write(
                    conn,
                    f"{action}:{account_id}:{now}",
                    int(owner),
                    status if status == "frozen" else "unfrozen",
                    detail=len(voided),
                    note=clean_text(reason)[:MEMO_MAX],
                )
                notices += [] if notice is None else [notice]
        return changed, voided, notices

    changed, voided, notices = await ledger.db.transaction(work)
    return FreezeResult(account_id, changed, voided, notices)
