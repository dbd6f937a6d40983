"""An account's history: its transfers, newest first, a page at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.sql import _T_COLS_OF_T, _transfer
from ledger.types import HistoryItem, HistoryPage

if TYPE_CHECKING:
    from ledger.core import Ledger


async def history(
    ledger: Ledger, account_id: int, *, limit: int = 10, offset: int = 0
) -> HistoryPage:
    """The account's transfers, newest first, ``limit`` at a time (a busy account's
    may be many rows to sort: off the event loop)."""
    # The counterparty's account and owner (17, 18), then the account's own owner (19):
    # one lookup for the page, not one per row.
    rows = await ledger.db.read_scan(
        f"SELECT {_T_COLS_OF_T}, c.id, c.owner_id, "
        "(SELECT o.owner_id FROM accounts o WHERE o.id = :acc) "
        "FROM transfers t JOIN accounts c ON c.id = CASE WHEN t.debit_account_id = :acc "
        "THEN t.credit_account_id ELSE t.debit_account_id END "
        "WHERE t.debit_account_id = :acc OR t.credit_account_id = :acc "
        "ORDER BY t.id DESC LIMIT :limit OFFSET :offset",
        {"acc": account_id, "limit": limit + 1, "offset": offset},
    )
    items = []
    for row in rows[:limit]:
        outgoing = row[3] == account_id
        other, own = row[18], row[19]
        transfer = _transfer(row, own, other) if outgoing else _transfer(row, other, own)
        items.append(HistoryItem(transfer, "out" if outgoing else "in", row[17], other))
    return HistoryPage(items, offset, len(rows) > limit)
