"""The outbox: every message a money movement owes someone, as rows written by the
statement that moved the money (migrations 0007's and 0012's triggers; a freeze writes its
own), then delivered by the bot and marked sent.

Who delivers a row. A row is written claimed (``claimed_at``) by the movement, under its
resolution key (``claimed_by``): the process whose statement wrote it delivers it at once
(``written``). Anyone else takes rows over with ``claim``, an atomic UPDATE, when the claim
is older than ``LEASE`` (a process stopped between writing and delivering), or when they hold
that same key and know nobody else delivers it (the process itself lost the movement's
answer). A press redelivered by Telegram does not count as knowing: its first delivery may
be running on another worker at that moment, so it waits for the lease like everyone else.
On PostgreSQL the claim skips rows another worker is claiming at the same moment
(``FOR UPDATE SKIP LOCKED``).

What a crash can still duplicate: a row sent but not yet marked sent (``mark_sent`` runs
once the rows of one delivery are sent) is sent again by whoever claims it after the lease:
at most one extra message per row, that is per person and event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.db import Database
from ledger.models import to_micros

LEASE = timedelta(seconds=30)
_COLS = "id, event_key, recipient_id, kind, transfer_id, request_id, detail, note"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message owed: to ``recipient_id`` (a Telegram user id), of ``kind`` (receipt,
    received, request_paid, request_declined, request_cancelled, card_expired, frozen,
    unfrozen; an operator's credited, debited, reversed_taken, reversed_back), about a
    transfer and/or a request; ``detail`` and ``note`` carry what a kind
    needs besides (a freeze: the holds released and the reason)."""

    id: int
    event_key: str
    recipient_id: int
    kind: str
    transfer_id: int | None
    request_id: int | None
    detail: int | None = None
    note: str | None = None


def _message(row: Sequence[Any]) -> OutboxMessage:
    return OutboxMessage(*row[:8])


class Outbox:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def written(
        self, *, transfer_ids: Sequence[int] = (), request_id: int | None = None
    ) -> list[OutboxMessage]:
        """The unsent rows a movement just wrote (its transfers', or its request's): its
        process delivers them, no claim needed (they were written claimed by it)."""
        where = []
        params: dict[str, Any] = {}
        if transfer_ids:
            marks = ", ".join(f":t{i}" for i in range(len(transfer_ids)))
            where.append(f"transfer_id IN ({marks})")
            params.update({f"t{i}": v for i, v in enumerate(transfer_ids)})
        if request_id is not None:
            where.append("request_id = :r")
            params["r"] = request_id
        if not where:
            return []
        rows = await self.db.read_one(
            f"SELECT {_COLS} FROM outbox WHERE sent_at IS NULL AND ({' OR '.join(where)}) "
            "ORDER BY id",
            params,
        )
        return [_message(row) for row in rows]

    async def claim(
        self,
        *,
        key: str | None = None,
        transfer_id: int | None = None,
        limit: int = 100,
    ) -> list[OutboxMessage]:
        """Take over unsent rows: those claimed under ``key`` (the same press again), or
        whose claim is older than ``LEASE``; only ``transfer_id``'s when given. Atomic: two
        callers never take the same row while its claim is fresh."""
        now = self.clock()
        scope = "" if transfer_id is None else " AND transfer_id = :t"
        skip = "" if self.db.is_sqlite else " FOR UPDATE SKIP LOCKED"
        from ledger.refs import new_ref

        rows = await self.db.write_one(
            f"UPDATE outbox SET claimed_at = :now, claimed_by = :token WHERE id IN ("
            f"SELECT id FROM outbox WHERE sent_at IS NULL{scope} "
            "AND (claimed_by = :key OR claimed_at <= :stale) "
            f"ORDER BY id LIMIT :limit{skip}) RETURNING {_COLS}",
            {
                "now": to_micros(now),
                "token": "claim:" + new_ref(),
                "key": key,
                "stale": to_micros(now - LEASE),
                "t": transfer_id,
                "limit": limit,
            },
        )
        return sorted((_message(row) for row in rows), key=lambda m: m.id)

    async def mark_sent(self, ids: Sequence[int]) -> None:
        """The rows ``ids`` were delivered: nobody sends them again."""
        if not ids:
            return
        marks = ", ".join(f":i{n}" for n in range(len(ids)))
        params: dict[str, Any] = {f"i{n}": v for n, v in enumerate(ids)}
        params["now"] = to_micros(self.clock())
        await self.db.write_one(
            f"UPDATE outbox SET sent_at = :now WHERE id IN ({marks}) AND sent_at IS NULL",
            params,
        )

    async def write(
        self,
        conn: AsyncConnection,
        event_key: str,
        recipient_id: int,
        kind: str,
        *,
        detail: int | None = None,
        note: str | None = None,
    ) -> int | None:
        """A row written by a multi-statement transaction (a freeze), in it; its id, or
        None when the event was written before."""
        now = to_micros(self.clock())
        row = (
            await conn.execute(
                text(
                    "INSERT INTO outbox (event_key, recipient_id, kind, detail, note, "
                    "created_at, claimed_at) VALUES (:k, :r, :kind, :d, :n, :now, :now) "
                    "ON CONFLICT (event_key) DO NOTHING RETURNING id"
                ),
                {
                    "k": event_key,
                    "r": recipient_id,
                    "kind": kind,
                    "d": detail,
                    "n": note,
                    "now": now,
                },
            )
        ).first()
        return None if row is None else int(row[0])

    async def by_ids(self, ids: Sequence[int]) -> list[OutboxMessage]:
        if not ids:
            return []
        marks = ", ".join(f":i{n}" for n in range(len(ids)))
        rows = await self.db.read_one(
            f"SELECT {_COLS} FROM outbox WHERE sent_at IS NULL AND id IN ({marks}) ORDER BY id",
            {f"i{n}": v for n, v in enumerate(ids)},
        )
        return [_message(row) for row in rows]
