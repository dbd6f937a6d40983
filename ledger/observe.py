"""Reads for monitoring (the bot's ``/metrics``): figures about the ledger's state that no
payment needs. Each is one short statement; nothing here writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ledger.core import Ledger


async def outbox_backlog(ledger: Ledger) -> int:
    """Messages owed to people (receipts, notices) not delivered yet: the outbox's unsent rows
    (a partial index holds exactly those, so this stays cheap however long the outbox)."""
    rows = await ledger.db.read_one("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL", {})
    return int(rows[0][0])
