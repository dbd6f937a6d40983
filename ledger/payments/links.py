"""Payment links: "pay me" links (``t.me/<bot>?start=pay-<id>``) whose payer gets the usual
hold and confirmation card, for the link's amount or one they choose.

A link is single-use or reusable, expires, and can be revoked by its owner. A payment
through it is an ordinary hold (``Payments.hold``), keyed so that the database, not a read
ahead, decides who may pay a single-use link: its holds form a chain of idempotency keys,
``link:<id>``, then ``link:<id>:<ref of the previous hold>`` once that hold ended unpaid
(cancelled or expired). Two payers opening it at once compute the same next key; the unique
key lets one hold be made, and the other is told someone is paying it. A posted hold ends
the chain: the link is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ledger.errors import IdempotencyConflict, LedgerError, OverTransferMax
from ledger.models import from_micros, to_micros
from ledger.payments.cheques import new_cheque_id
from ledger.payments.outcomes import Held
from ledger.payments.service import Payments, check_note, check_parties
from ledger.types import Transfer

LINK_ID = "[A-Za-z0-9_-]{16}"
_COLS = "id, owner_id, amount, memo, reusable, revoked, expires_at, created_at"


class LinkClosed(LedgerError):
    """A link that can no longer be paid: ``why`` is revoked, expired, used or busy (a
    single-use link someone else is paying right now) or unknown."""

    code = "link_closed"

    def __init__(self, why: str) -> None:
        super().__init__()
        self.why = why


@dataclass(frozen=True, slots=True)
class PaymentLink:
    id: str
    owner_id: int
    amount: int | None
    memo: str
    reusable: bool
    revoked: bool
    expires_at: Any
    created_at: Any


def _link(row: Any) -> PaymentLink:
    return PaymentLink(
        row[0],
        row[1],
        row[2],
        row[3],
        bool(row[4]),
        bool(row[5]),
        from_micros(row[6]),
        from_micros(row[7]),
    )


class PaymentLinks:
    """The payment links over the payments service; ``expiry``: how long a link lives."""

    def __init__(self, payments: Payments, *, expiry: timedelta = timedelta(days=7)) -> None:
        self.payments = payments
        self.ledger = payments.ledger
        self.db = payments.ledger.db
        self.expiry = expiry

    async def create(
        self, owner_id: int, amount: int | None, memo: str, *, reusable: bool
    ) -> PaymentLink:
        check_note(memo)
        if amount is not None:
            limits = await self.ledger.limits()
            if amount > limits.max_transfer:
                raise OverTransferMax(limits.max_transfer)
        now = self.ledger.clock()
        link_id = new_cheque_id()
        await self.db.write_one(
            "INSERT INTO payment_links (id, owner_id, amount, memo, reusable, expires_at, "
            "created_at) VALUES (:id, :owner, :amount, :memo, :reusable, :expires, :now)",
            {
                "id": link_id,
                "owner": owner_id,
                "amount": amount,
                "memo": memo,
                "reusable": reusable,
                "expires": to_micros(now + self.expiry),
                "now": to_micros(now),
            },
        )
        found = await self.get(link_id)
        assert found is not None
        return found

    async def get(self, link_id: str) -> PaymentLink | None:
        rows = await self.db.read_one(
            f"SELECT {_COLS} FROM payment_links WHERE id = :id", {"id": link_id}
        )
        return _link(rows[0]) if rows else None

    async def of_owner(self, owner_id: int) -> list[PaymentLink]:
        """The owner's links that can still be paid, newest first."""
        rows = await self.db.read_one(
            f"SELECT {_COLS} FROM payment_links WHERE owner_id = :o AND revoked = :no "
            "AND expires_at > :now ORDER BY created_at DESC, id LIMIT 20",
            {"o": owner_id, "no": False, "now": to_micros(self.ledger.clock())},
        )
        links = [_link(r) for r in rows]
        return [link for link in links if link.reusable or not await self._used(link)]

    async def revoke(self, link_id: str, owner_id: int) -> bool:
        """Revoke a link of ``owner_id``'s; False when it is not theirs or was revoked."""
        rows = await self.db.write_one(
            "UPDATE payment_links SET revoked = :yes WHERE id = :id AND owner_id = :o "
            "AND revoked = :no RETURNING id",
            {"id": link_id, "o": owner_id, "yes": True, "no": False},
        )
        return bool(rows)

    async def open(self, link_id: str) -> PaymentLink:
        """The link a payer opened, if it can be paid (``LinkClosed`` saying why)."""
        link = await self.get(link_id)
        if link is None:
            raise LinkClosed("unknown")
        if link.revoked:
            raise LinkClosed("revoked")
        if link.expires_at <= self.ledger.clock():
            raise LinkClosed("expired")
        if not link.reusable and await self._used(link):
            raise LinkClosed("used")
        return link

    async def pay(
        self, link_id: str, payer_id: int, amount: int | None, *, key: str
    ) -> tuple[PaymentLink, Held]:
        """Hold the payment for the payer's Confirm: the link's amount, or ``amount`` when
        the link leaves it to the payer. ``key``: the payer's request (a redelivered /start
        finds the same hold), used for reusable links."""
        link = await self.open(link_id)
        check_parties(payer_id, link.owner_id)
        paid = link.amount if link.amount is not None else amount
        if paid is None:
            raise ValueError("an amount is needed for this link")
        hold_key = key
        if not link.reusable:
            current, hold_key = await self._chain(link)
            # A live hold: its payer sees their card again (the same key), others wait.
            if current is not None and current.debit_owner != payer_id:
                raise LinkClosed("busy")
        try:
            held = await self.payments.hold(payer_id, link.owner_id, paid, link.memo, key=hold_key)
        except IdempotencyConflict:
            raise LinkClosed("busy") from None
        return link, held

    async def _chain(self, link: PaymentLink) -> tuple[Transfer | None, str]:
        """A single-use link's live hold (or None) and the key of its next hold."""
        key = f"link:{link.id}"
        while True:
            found = await self.ledger.transfer_by_key(key)
            if found is None:
                return None, key
            if found.state in ("voided", "expired"):
                key = f"link:{link.id}:{found.ref}"
                continue
            if found.state == "posted":
                raise LinkClosed("used")
            return found, key

    async def _used(self, link: PaymentLink) -> bool:
        """Whether a single-use link was paid."""
        try:
            await self._chain(link)
        except LinkClosed:
            return True
        return False
