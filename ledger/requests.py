"""Payment requests: someone asks someone else for money; the payer pays or declines once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from ledger.db import Database
from ledger.errors import (
    AlreadyResolved,
    AmountTooLarge,
    IdempotencyConflict,
    MemoTooLong,
    SameAccount,
    TransferNotFound,
)
from ledger.models import AMOUNT_MAX, KEY_MAX, MEMO_MAX, clean_text, from_micros, to_micros
from ledger.money import Currency

_COLS = (
    "id, ref, requester_id, payer_id, amount, currency, memo, state, transfer_ref, created_at, "
    "expires_at, reminded_at"
)
REMIND_EVERY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    id: int
    ref: str
    requester_id: int
    payer_id: int
    amount: int
    currency: str
    memo: str
    state: str  # open | paid | declined | cancelled
    transfer_ref: str | None
    created_at: datetime
    replayed: bool = False  # True when a retry with the same key returned the original
    expires_at: datetime | None = None  # None: made before requests had their own expiry
    reminded_at: datetime | None = None


def _request(row: Sequence[Any]) -> PaymentRequest:
    """A row of ``_COLS``, field by field (a row of another length raises)."""
    request_id, ref, requester, payer, amount, currency, memo, state, transfer_ref = row[:9]
    created, expires, reminded = row[9:]
    return PaymentRequest(
        id=request_id,
        ref=ref,
        requester_id=requester,
        payer_id=payer,
        amount=amount,
        currency=currency,
        memo=memo,
        state=state,
        transfer_ref=transfer_ref,
        created_at=from_micros(created),
        expires_at=None if expires is None else from_micros(expires),
        reminded_at=None if reminded is None else from_micros(reminded),
    )


class PaymentRequests:
    def __init__(self, db: Database, clock: Callable[[], datetime], currency: Currency) -> None:
        self.db = db
        self.clock = clock
        self.currency = currency

    async def create(
        self,
        requester_id: int,
        payer_id: int,
        amount: int,
        memo: str = "",
        *,
        key: str | None = None,
        lasts: timedelta | None = None,
    ) -> PaymentRequest:
        """Open a request, open for ``lasts`` (None: until answered). With ``key``, a retry
        with the same fields returns the original (``replayed=True``) and different fields
        are refused naming the field."""
        from ledger.refs import new_ref

        memo = clean_text(memo)
        if len(memo) > MEMO_MAX:
            raise MemoTooLong(MEMO_MAX)
        if requester_id == payer_id:
            raise SameAccount()
        if amount <= 0:
            raise ValueError("amount must be positive")
        if amount > AMOUNT_MAX:  # the database refuses it too (revision 0005)
            raise AmountTooLarge(AMOUNT_MAX)
        if key is not None and not 0 < len(key) <= KEY_MAX:
            raise ValueError(f"an idempotency key has 1 to {KEY_MAX} characters")
        rows = await self.db.write_one(
            "INSERT INTO payment_requests (ref, requester_id, payer_id, amount, currency, memo, "
            "state, created_at, idempotency_key, expires_at) "
            "VALUES (:ref, :r, :p, :a, :c, :m, 'open', :now, :key, :expires) "
            f"ON CONFLICT (idempotency_key) DO NOTHING RETURNING {_COLS}",
            {
                "key": key,
                "ref": new_ref(),
                "r": requester_id,
                "p": payer_id,
                "a": amount,
                "c": self.currency.code,
                "m": memo,
                "now": to_micros(self.clock()),
                "expires": None if lasts is None else to_micros(self.clock() + lasts),
            },
        )
        if rows:
            return _request(rows[0])
        found = await self.db.read_one(
            f"SELECT {_COLS} FROM payment_requests WHERE idempotency_key = :key", {"key": key}
        )
        existing = _request(found[0])
        for field, old, new in (
            ("requester", existing.requester_id, requester_id),
            ("payer", existing.payer_id, payer_id),
            ("amount", existing.amount, amount),
            ("memo", existing.memo, memo),
        ):
            if old != new:
                raise IdempotencyConflict(key or "", field)
        return replace(existing, replayed=True)

    async def get(self, ref: str) -> PaymentRequest:
        rows = await self.db.read_one(
            f"SELECT {_COLS} FROM payment_requests WHERE ref = :ref", {"ref": ref}
        )
        if not rows:
            raise TransferNotFound(ref)
        return _request(rows[0])

    async def by_id(self, request_id: int) -> PaymentRequest:
        """The request a card points at (cards store the request's id)."""
        rows = await self.db.read_one(
            f"SELECT {_COLS} FROM payment_requests WHERE id = :id", {"id": request_id}
        )
        if not rows:
            raise TransferNotFound(str(request_id))
        return _request(rows[0])

    async def resolve(
        self, ref: str, state: str, transfer_ref: str | None = None
    ) -> PaymentRequest:
        """Move an open request to ``state`` exactly once."""
        rows = await self.db.write_one(
            "UPDATE payment_requests SET state = :s, transfer_ref = :t, resolved_at = :now "
            f"WHERE ref = :ref AND state = 'open' RETURNING {_COLS}",
            {"s": state, "t": transfer_ref, "now": to_micros(self.clock()), "ref": ref},
        )
        if not rows:
            current = await self.get(ref)
            raise AlreadyResolved(ref, current.state)
        return _request(rows[0])

    async def open_of(self, person_id: int, *, limit: int = 20) -> list[PaymentRequest]:
        """Open requests ``person_id`` made or is asked to pay, newest first, not lapsed."""
        rows = await self.db.read_one(
            f"SELECT {_COLS} FROM payment_requests WHERE state = 'open' "
            "AND (requester_id = :p OR payer_id = :p) "
            "AND (expires_at IS NULL OR expires_at > :now) ORDER BY id DESC LIMIT :limit",
            {"p": person_id, "now": to_micros(self.clock()), "limit": limit},
        )
        return [_request(row) for row in rows]

    async def remind(self, ref: str) -> PaymentRequest | None:
        """Note a reminder of an open request, unless one went less than a day ago (None);
        one statement, so two presses at once remind once."""
        now = self.clock()
        rows = await self.db.write_one(
            "UPDATE payment_requests SET reminded_at = :now WHERE ref = :ref AND state = 'open' "
            "AND (reminded_at IS NULL OR reminded_at <= :since) "
            f"RETURNING {_COLS}",
            {"now": to_micros(now), "since": to_micros(now - REMIND_EVERY), "ref": ref},
        )
        return _request(rows[0]) if rows else None

    async def lapse_overdue(self, limit: int = 200) -> list[PaymentRequest]:
        """Close open requests past their own expiry (``cancelled``); those closed now."""
        rows = await self.db.write_one(
            "UPDATE payment_requests SET state = 'cancelled', resolved_at = :now "
            "WHERE id IN (SELECT id FROM payment_requests WHERE state = 'open' "
            "AND expires_at <= :now ORDER BY expires_at LIMIT :limit) AND state = 'open' "
            f"RETURNING {_COLS}",
            {"now": to_micros(self.clock()), "limit": limit},
        )
        return [_request(row) for row in rows]
