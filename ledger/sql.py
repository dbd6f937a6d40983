"""The SQL text the ledger's statements share: the transfer and account rows they read and
return, and how such a row becomes a ``Transfer``, an ``Account`` or a ``Card``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger.models import from_micros
from ledger.types import (
    Account,
    Card,
    Transfer,
)

_T_COLS = (
    "id, ref, kind, debit_account_id, credit_account_id, amount, currency, state, memo, "
    "actor_id, created_at, expires_at, resolved_at, resolved_by, reverses_id, "
    "idempotency_key, resolution_key"
)
_T_COLS_OF_T = ", ".join("t." + column.strip() for column in _T_COLS.split(","))  # joins


def _owners(table: str) -> str:
    """Both accounts' owners, read by the statement that writes or reads the transfer row
    (``table``: its name or alias), so no second round trip looks them up: a read failing
    after a committed payment would report it failed. Owner ids never change."""
    return ", ".join(
        f"(SELECT o.owner_id FROM accounts o WHERE o.id = {table}.{side}_account_id)"
        for side in ("debit", "credit")
    )


# A transfer row: _T_COLS (0-16), then its debit and credit accounts' owners (17, 18).
_T_ROW = f"{_T_COLS}, {_owners('transfers')}"
_T_ROW_OF_T = f"{_T_COLS_OF_T}, {_owners('t')}"
# An account's credits are its row's counters plus its shards' (account_credits, written
# instead of the row on PostgreSQL: see migration 0003). One query reads both: the shards'
# sums joined to the rows.
_A_COLS = (
    "a.id, a.owner_id, a.kind, a.currency, a.status, a.debits_posted, "
    "a.credits_posted + COALESCE(s.posted, 0), a.debits_pending, "
    "a.credits_pending + COALESCE(s.pending, 0), a.day_number, a.day_sent"
)
_A_FROM = (
    "accounts a LEFT JOIN (SELECT account_id, CAST(SUM(credits_posted) AS BIGINT) AS posted, "
    "CAST(SUM(credits_pending) AS BIGINT) AS pending FROM account_credits {shards}"
    "GROUP BY account_id) s ON s.account_id = a.id"
)


def _select_accounts(ids: str = "") -> str:
    """Accounts with their total credits, those whose id matches ``ids`` (``"= :id"``,
    ``"IN (...)"``) or all. The shards are filtered by the same test: PostgreSQL infers
    ``a.id = :id`` for them but not an IN list, and would sum every account's shards."""
    shards = f"WHERE account_id {ids} " if ids else ""
    where = f" WHERE a.id {ids}" if ids else ""
    return f"SELECT {_A_COLS} FROM {_A_FROM.format(shards=shards)}{where}"


_SELECT_ACCOUNT = _select_accounts("= :id")
# verify()'s read: the row's counters and its shards' sums apart, added in Python, so that
# books broken past 2^63 are reported rather than failing the read (PostgreSQL's SUM of
# BIGINTs is a NUMERIC, exact).
_SELECT_ALL_ACCOUNTS_APART = (
    "SELECT a.id, a.owner_id, a.kind, a.currency, a.status, a.debits_posted, "
    "a.credits_posted, a.debits_pending, a.credits_pending, a.day_number, a.day_sent, "
    "s.posted, s.pending FROM accounts a LEFT JOIN (SELECT account_id, "
    "SUM(credits_posted) AS posted, SUM(credits_pending) AS pending FROM account_credits "
    "GROUP BY account_id) s ON s.account_id = a.id"
)

_INSERT_TRANSFER = f"""
INSERT INTO transfers (ref, idempotency_key, kind, debit_account_id, credit_account_id, amount,
                       currency, state, memo, actor_id, created_at, expires_at, reverses_id)
VALUES (:ref, :key, :kind, :debit, :credit, :amount, :currency, :state, :memo, :actor, :now,
        :expires, :reverses)
ON CONFLICT (idempotency_key) DO NOTHING
RETURNING {_T_ROW}"""
# A hold that pays a payment request names it (migration 0007).
_INSERT_REQUEST_HOLD = _INSERT_TRANSFER.replace(
    "reverses_id)", "reverses_id, request_id)", 1
).replace(":reverses)", ":reverses, :request)", 1)

_RESOLVE = f"""
UPDATE transfers SET state = :state, resolved_at = :now, resolved_by = :actor,
                     resolution_key = :key
WHERE ref = :ref AND state = 'pending' AND {{timing}}
RETURNING {_T_ROW}"""
_RESOLVE_BEFORE_EXPIRY = _RESOLVE.format(timing="expires_at > :now")
_RESOLVE_AFTER_EXPIRY = _RESOLVE.format(timing="expires_at <= :now")
_SELECT_TRANSFER_BY = f"SELECT {_T_ROW} FROM transfers WHERE {{column}} = :value"
_CARD_COLS = "c.chat_id, c.message_id, c.request_id"
_SELECT_TRANSFER_AND_CARD = (  # the card's columns at 19 to 21
    f"SELECT {_T_ROW_OF_T}, {_CARD_COLS} "
    "FROM transfers t LEFT JOIN cards c ON c.transfer_id = t.id WHERE t.ref = :ref"
)


def _row_to_transfer(row: Sequence[Any]) -> Transfer:
    """A transfer row as ``_T_ROW`` lists it, owners included."""
    return _transfer(row, row[17], row[18])


def _transfer(row: Sequence[Any], debit_owner: int | None, credit_owner: int | None) -> Transfer:
    return Transfer(
        id=row[0],
        ref=row[1],
        kind=row[2],
        debit_account_id=row[3],
        credit_account_id=row[4],
        amount=row[5],
        currency=row[6],
        state=row[7],
        memo=row[8],
        actor_id=row[9],
        created_at=from_micros(row[10]),
        expires_at=None if row[11] is None else from_micros(row[11]),
        resolved_at=None if row[12] is None else from_micros(row[12]),
        resolved_by=row[13],
        reverses_id=row[14],
        debit_owner=debit_owner,
        credit_owner=credit_owner,
    )


def _row_to_card(row: Sequence[Any]) -> Card | None:
    """A card from (chat_id, message_id, request_id); None when its columns are NULL (no
    card, through a LEFT JOIN)."""
    return None if row[0] is None else Card(row[0], row[1], row[2])


def _row_to_account(row: Sequence[Any]) -> Account:
    return Account(*row[:11])
