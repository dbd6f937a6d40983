"""Cheques: money held for a payment whose payee is decided later (an inline cheque posted
in any chat, or escrow for someone who never started the bot).

A cheque's money is two transfers (migration 0008): its **hold**, a pending payment from the
sender to the system account (checked like any payment: limits, frozen, funds), never
posted; and its **payout**, the payment to whoever accepted it. Accepting voids the hold and
writes the payout in ONE transaction, guarded by ``payout_id IS NULL``: a cheque pays at most
once, to one person, and only money that was held (no hold pending, no payout). Cancel voids
the hold; expiry is the sweeper's (the hold's ``expires_at``); a freeze of the sender voids
it with every other hold. A cheque's state is read from those transfers, never stored twice:

    paid       payout written          open      hold pending (and not yet due)
    cancelled  hold voided, no payout  expired   hold expired
    void       never held (its chosen-result report never came, or the hold was refused)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.core import Ledger
from ledger.errors import (
    AccountFrozen,
    AlreadyResolved,
    DailyLimitExceeded,
    InsufficientFunds,
    LedgerError,
    NotYours,
    OverTransferMax,
)
from ledger.models import to_micros
from ledger.outbox import OutboxMessage
from ledger.payments.service import Payments, check_note
from ledger.refs import new_ref

CHEQUE_ID = "[A-Za-z0-9_-]{16}"
_COLS = (
    "c.id, c.source, c.sender_id, c.amount, c.memo, c.to_username, c.inline_message_id, "
    "c.hold_id, c.payout_id, c.acceptor_id, c.closed, h.state, h.expires_at, h.ref, p.ref, "
    "c.envelope_id, c.share_index"
)
_SELECT = (
    f"SELECT {_COLS} FROM cheques c LEFT JOIN transfers h ON h.id = c.hold_id "
    "LEFT JOIN transfers p ON p.id = c.payout_id"
)


def new_cheque_id() -> str:
    """16 URL-safe characters (96 random bits): fits a button's data and a /start payload."""
    return secrets.token_urlsafe(12)


def hold_key(cheque_id: str) -> str:
    return f"cheque:{cheque_id}"


class ChequeTaken(LedgerError):
    """Someone else accepted this cheque first."""

    code = "cheque_taken"


class NotForYou(LedgerError):
    """A named cheque pressed by someone else, or the sender accepting their own."""

    code = "cheque_not_for_you"

    def __init__(self, own: bool) -> None:
        super().__init__()
        self.own = own


class AlreadyOpened(LedgerError):
    """This person has a share of this red envelope already (one each)."""

    code = "envelope_opened"


class ChequeUnheld(LedgerError):
    """A cheque whose money was never held: nobody can accept it."""

    code = "cheque_unheld"


@dataclass(frozen=True, slots=True)
class Cheque:
    id: str
    source: str
    sender_id: int
    amount: int
    memo: str
    to_username: str | None
    inline_message_id: str | None
    hold_id: int | None
    payout_id: int | None
    acceptor_id: int | None
    closed: bool
    hold_state: str | None
    hold_expires_at: int | None
    hold_ref: str | None
    payout_ref: str | None
    envelope_id: str | None = None
    share_index: int | None = None

    @property
    def state(self) -> str:
        if self.payout_id is not None:
            return "paid"
        if self.hold_state is None:
            return "void"
        return {"pending": "open", "voided": "cancelled"}.get(self.hold_state, self.hold_state)

    def may_accept(self, user_id: int, username: str | None) -> bool:
        if user_id == self.sender_id:
            return False
        if self.to_username is None:
            return True
        return (username or "").lower() == self.to_username


def _cheque(row: Any) -> Cheque:
    values = list(row)
    values[10] = bool(values[10])
    return Cheque(*values)


@dataclass(frozen=True, slots=True)
class ChequeOutcome:
    """A cheque after a call, and the outbox rows the call wrote (to deliver now)."""

    cheque: Cheque
    done: bool = True  # False: it was in that state already (a second press, a redelivery)
    messages: list[OutboxMessage] = field(default_factory=list)


class Cheques:
    """The cheque workflows over the payments service; ``expiry``: how long one is held."""

    def __init__(self, payments: Payments, *, expiry: timedelta = timedelta(hours=24)) -> None:
        self.payments = payments
        self.ledger = payments.ledger
        self.db = payments.ledger.db
        self.expiry = expiry

    async def get(self, cheque_id: str) -> Cheque | None:
        rows = await self.db.read_one(f"{_SELECT} WHERE c.id = :id", {"id": cheque_id})
        return _cheque(rows[0]) if rows else None

    async def of_hold(self, transfer_id: int) -> Cheque | None:
        return await self.of_transfer(self.ledger, transfer_id)

    @staticmethod
    async def of_transfer(ledger: Ledger, transfer_id: int) -> Cheque | None:
        """The cheque whose hold or payout ``transfer_id`` is, if any."""
        rows = await ledger.db.read_one(
            f"{_SELECT} WHERE c.hold_id = :t OR c.payout_id = :t", {"t": transfer_id}
        )
        return _cheque(rows[0]) if rows else None

    @staticmethod
    async def of_user(ledger: Ledger, user_id: int, limit: int = 10) -> list[Cheque]:
        """A person's latest cheques (envelope shares included), sent or accepted (admin
        /user)."""
        rows = await ledger.db.read_one(
            f"{_SELECT} WHERE c.sender_id = :u OR c.acceptor_id = :u "
            "ORDER BY c.created_at DESC LIMIT :n",
            {"u": user_id, "n": limit},
        )
        return [_cheque(r) for r in rows]

    async def check(self, sender_id: int, amount: int) -> None:
        """The checks the hold would make, read ahead (an inline query's answer): raises
        the typed error; nothing is written."""
        ledger = self.ledger
        account = await ledger.account(await ledger.open_account(sender_id))
        if account.frozen:
            raise AccountFrozen(account.id, "sender")
        limits = await ledger.limits()
        if amount > limits.max_transfer:
            raise OverTransferMax(limits.max_transfer)
        sent = await ledger.sent_today(account.id)
        if sent + amount > limits.daily_limit:
            raise DailyLimitExceeded(limits.daily_limit, max(limits.daily_limit - sent, 0))
        if amount > account.available:
            raise InsufficientFunds(account.available, amount)

    async def write(
        self,
        cheque_id: str,
        sender_id: int,
        amount: int,
        memo: str,
        *,
        source: str = "inline",
        to_username: str | None = None,
        inline_message_id: str | None = None,
        hold_now: bool = True,
    ) -> ChequeOutcome:
        """Hold ``amount`` for cheque ``cheque_id``. Idempotent: a redelivered report finds
        the same cheque and the same hold (its key is the cheque's). A cheque closed meanwhile
        (``void``) is never held; a refused hold raises and leaves it void. ``hold_now=False``
        only writes it down (an escrow offer, held when its sender says so)."""
        check_note(memo)
        if to_username is not None:
            to_username = to_username.lower().lstrip("@")
        now = to_micros(self.ledger.clock())
        await self.db.write_one(
            "INSERT INTO cheques (id, source, sender_id, amount, currency, memo, to_username, "
            "inline_message_id, created_at) VALUES (:id, :source, :sender, :amount, :cur, "
            ":memo, :to, :imid, :now) ON CONFLICT (id) DO NOTHING",
            {
                "id": cheque_id,
                "source": source,
                "sender": sender_id,
                "amount": amount,
                "cur": self.ledger.currency.code,
                "memo": memo,
                "to": to_username,
                "imid": inline_message_id,
                "now": now,
            },
        )
        cheque = await self.get(cheque_id)
        assert cheque is not None
        if cheque.closed:  # declared void by a press before this report: never held
            return ChequeOutcome(cheque, done=False)
        if cheque.sender_id != sender_id:
            raise NotYours(cheque_id)
        if cheque.hold_id is not None or not hold_now:
            return ChequeOutcome(cheque, done=False)
        ledger = self.ledger
        hold = await ledger.create_pending(
            await ledger.open_account(sender_id),
            ledger.issuance_account_id,
            cheque.amount,
            key=hold_key(cheque_id),
            expires_in=self.expiry,
            memo=cheque.memo,
            actor=sender_id,
        )
        linked = await self.db.write_one(
            "UPDATE cheques SET hold_id = :h WHERE id = :id AND closed = :no "
            "AND hold_id IS NULL RETURNING id",
            {"h": hold.id, "id": cheque_id, "no": False},
        )
        if not linked and not hold.replayed:
            # Closed between the insert and the hold: the hold is released at once.
            try:
                await ledger.void(hold.ref, key=f"closed:{hold.ref}")
            except AlreadyResolved:
                pass
        after = await self.get(cheque_id)
        assert after is not None
        return ChequeOutcome(after, done=bool(linked))

    async def close_unheld(self, cheque_id: str, sender_id: int | None = None) -> Cheque:
        """A press on a cheque whose hold was never reported: from now on it can never be
        held (a late report finds it closed), and so never pay. Returns it as it stands
        (held after all, when the report won the race)."""
        await self.db.write_one(
            "INSERT INTO cheques (id, source, sender_id, amount, currency, memo, closed, "
            "created_at) VALUES (:id, 'inline', :sender, 0, :cur, '', :yes, :now) "
            "ON CONFLICT (id) DO NOTHING",
            {
                "id": cheque_id,
                "sender": sender_id or 0,
                "cur": self.ledger.currency.code,
                "yes": True,
                "now": to_micros(self.ledger.clock()),
            },
        )
        await self.db.write_one(
            "UPDATE cheques SET closed = :yes WHERE id = :id AND hold_id IS NULL",
            {"id": cheque_id, "yes": True},
        )
        cheque = await self.get(cheque_id)
        assert cheque is not None
        return cheque

    async def accept(self, cheque_id: str, acceptor_id: int, username: str | None) -> ChequeOutcome:
        """Pay the cheque to ``acceptor_id``: its hold voided and the payout written in one
        transaction, with the outbox rows telling both parties. A second press (or anyone
        after the first) gets the cheque as it stands, ``done=False``."""
        cheque = await self.get(cheque_id)
        if cheque is None or cheque.hold_id is None:
            raise ChequeUnheld()
        if cheque.state == "paid":
            if cheque.acceptor_id == acceptor_id:
                return ChequeOutcome(cheque, done=False)
            raise ChequeTaken()
        if not cheque.may_accept(acceptor_id, username):
            raise NotForYou(own=acceptor_id == cheque.sender_id)
        if cheque.state != "open":
            raise AlreadyResolved(cheque.hold_ref or "", cheque.hold_state or "voided")
        ledger = self.ledger
        sender_account = await ledger.open_account(cheque.sender_id)
        acceptor_account = await ledger.open_account(acceptor_id)

        async def work(conn: AsyncConnection) -> list[int] | str:
            now = to_micros(ledger.clock())
            claimed = (
                await conn.execute(
                    text(
                        "UPDATE cheques SET acceptor_id = :a WHERE id = :id "
                        "AND acceptor_id IS NULL AND payout_id IS NULL RETURNING id"
                    ),
                    {"a": acceptor_id, "id": cheque_id},
                )
            ).first()
            if claimed is None:
                return "taken"
            released = (
                await conn.execute(
                    text(
                        "UPDATE transfers SET state = 'voided', resolved_at = :now, "
                        "resolved_by = :a, resolution_key = :key WHERE id = :h "
                        "AND state = 'pending' AND expires_at > :now RETURNING id"
                    ),
                    {
                        "now": now,
                        "a": acceptor_id,
                        "key": f"cheque:{cheque_id}:accept",
                        "h": cheque.hold_id,
                    },
                )
            ).first()
            if released is None:
                raise _Rollback("ended")
            payout = (
                await conn.execute(
                    text(
                        "INSERT INTO transfers (ref, idempotency_key, kind, debit_account_id, "
                        "credit_account_id, amount, currency, state, memo, actor_id, "
                        "created_at) VALUES (:ref, :key, 'payment', :d, :c, :amount, :cur, "
                        "'posted', :memo, :a, :now) RETURNING id"
                    ),
                    {
                        "ref": new_ref(),
                        "key": f"cheque:{cheque_id}:payout",
                        "d": sender_account,
                        "c": acceptor_account,
                        "amount": cheque.amount,
                        "cur": ledger.currency.code,
                        "memo": cheque.memo,
                        "a": acceptor_id,
                        "now": now,
                    },
                )
            ).scalar_one()
            await conn.execute(
                text("UPDATE cheques SET payout_id = :p WHERE id = :id"),
                {"p": payout, "id": cheque_id},
            )
            outbox = ledger.outbox
            ids = [
                await outbox.write(
                    conn,
                    f"cheque:{cheque_id}:{who}",
                    person,
                    f"cheque_{what}",
                    detail=payout,
                    note=cheque_id,
                )
                for who, person, what in (
                    ("sender", cheque.sender_id, "paid"),
                    ("acceptor", acceptor_id, "received"),
                )
            ]
            return [i for i in ids if i is not None]

        try:
            written = await self.db.transaction(work)
        except _Rollback:
            # The hold ended meanwhile (cancelled, frozen, or due): expire it if due.
            current = await self.get(cheque_id)
            assert current is not None
            if current.hold_state == "pending" and current.hold_ref:
                try:
                    await ledger.expire(current.hold_ref, key=f"late:{current.hold_ref}")
                except (AlreadyResolved, LedgerError):
                    pass
                current = await self.get(cheque_id) or current
            raise AlreadyResolved(current.hold_ref or "", current.hold_state or "voided") from None
        except LedgerError:
            raise
        except Exception as error:
            from ledger.transfers import _refusal

            if "envelope_id" in str(getattr(error, "orig", error)):  # one share each
                raise AlreadyOpened() from None
            refusal = _refusal(error)
            if refusal is None:
                raise
            if refusal.startswith("frozen"):
                side = "recipient" if refusal.endswith("credit") else "sender"
                raise AccountFrozen(None, side) from None
            raise LedgerError(f"refused by the ledger: {refusal}") from None
        after = await self.get(cheque_id)
        assert after is not None
        if written == "taken":
            if after.acceptor_id == acceptor_id:
                return ChequeOutcome(after, done=False)
            raise ChequeTaken()
        assert isinstance(written, list)
        return ChequeOutcome(after, messages=await ledger.outbox.by_ids(written))

    async def cancel(self, cheque_id: str, presser_id: int) -> ChequeOutcome:
        """The sender takes the cheque back before anyone accepted it: its hold released."""
        cheque = await self.get(cheque_id)
        if cheque is None or cheque.hold_id is None or cheque.hold_ref is None:
            raise ChequeUnheld()
        if presser_id != cheque.sender_id:
            raise NotYours(cheque_id)
        if cheque.state == "paid":
            raise ChequeTaken()
        try:
            voided = await self.ledger.void(
                cheque.hold_ref, key=f"cheque:{cheque_id}:cancel", actor=presser_id
            )
        except AlreadyResolved:
            after = await self.get(cheque_id)
            assert after is not None
            if after.state == "paid":
                raise ChequeTaken() from None
            return ChequeOutcome(after, done=False)
        after = await self.get(cheque_id)
        assert after is not None
        return ChequeOutcome(after, done=not voided.replayed)


class _Rollback(Exception):
    """Leaves an accept's transaction without writing anything."""


async def cheque_problems(db: Any) -> list[str]:
    """``verify()``'s checks of cheques: held for a cheque = its amount; a paid cheque's
    hold was released and its payout is its amount, posted; no cheque pays twice; an
    envelope's shares sum to its total."""
    rows = await db.read_scan(
        "SELECT c.id, c.amount, h.amount, h.state, p.amount, p.state FROM cheques c "
        "LEFT JOIN transfers h ON h.id = c.hold_id LEFT JOIN transfers p ON p.id = c.payout_id "
        "WHERE c.hold_id IS NOT NULL",
        {},
    )
    problems = []
    envelopes = await db.read_scan(
        "SELECT e.id, e.total, e.shares, (SELECT COALESCE(SUM(c.amount), 0) FROM cheques c "
        "WHERE c.envelope_id = e.id), (SELECT COUNT(*) FROM cheques c "
        "WHERE c.envelope_id = e.id) FROM envelopes e",
        {},
    )
    for envelope_id, total, shares, summed, counted in envelopes:
        if (summed, counted) != (total, shares):
            problems.append(
                f"envelope {envelope_id}: {counted} shares summing to {summed} "
                f"!= {shares} shares of {total}"
            )
    for cheque_id, amount, held, hold_state, paid, paid_state in rows:
        if held != amount:
            problems.append(f"cheque {cheque_id}: held {held} != its amount {amount}")
        if paid is not None and (paid != amount or paid_state != "posted"):
            problems.append(f"cheque {cheque_id}: payout {paid} ({paid_state}) != {amount}")
        if paid is not None and hold_state != "voided":
            problems.append(f"cheque {cheque_id}: paid while its hold is {hold_state}")
    return problems
