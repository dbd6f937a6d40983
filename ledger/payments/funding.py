"""Money in and out of the ledger through cards: top-ups (the emulated card processor, or
Telegram Payments), payouts to the linked card with asynchronous settlement, and refunds.

Every movement is against the ``settlement`` account, the outside world's side (migration
0009). A top-up is one ``topup`` transfer, keyed by what makes it unique (the confirmation
card's token, Telegram's ``telegram_payment_charge_id``): it is credited at most once. A
payout is a ``payout`` hold that the processor posts (settled) or voids (returned) once
``settle_after`` has passed; its state lives in the transfer, so a restart loses nothing and
the next sweep settles it, exactly once (the resolution keys). What people are told is
written by the statement that moved the money (outbox rows, migration 0009).

A top-up or payout asked for is a ``fundings`` row: its ``token`` is the opaque reference a
button or an invoice carries, never anything a user could guess.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from ledger.books import write_audit
from ledger.core import Ledger
from ledger.errors import (
    AccountFrozen,
    AlreadyResolved,
    AlreadyReversed,
    InsufficientFunds,
    NotYours,
)
from ledger.models import DAY_USEC, to_micros
from ledger.payments import cards_processor as processor
from ledger.payments.cards_processor import LinkedCard
from ledger.payments.funding_outcomes import (
    Books,
    CardDeclined,
    DayTotals,
    Funding,
    FundingClosed,
    FundingLimit,
    FundingLimits,
    FundingNotFound,
    NoCard,
    NotRefundable,
    PayoutHeld,
    Refunded,
    RefundSpent,
    Settled,
    ToppedUp,
)
from ledger.types import Transfer

PAYOUT_HOLD_LIMIT = timedelta(days=7)  # a payout the processor never answers is returned
RESUME_AFTER = timedelta(seconds=30)  # a card charge left "charging" this long was abandoned


_F_COLS = (
    "id, token, kind, method, owner_id, amount, currency, state, card_last4, charge_id, "
    "decline, transfer_id, card_token, created_at"
)
_C_COLS = "token, last4, brand, exp_month, exp_year, behaviour"


def _funding(row: Sequence[Any]) -> Funding:
    return Funding(*row[:14])


def _card(row: Sequence[Any]) -> LinkedCard:
    return LinkedCard(*row[:6])


def topup_key(token: str) -> str:
    return f"topup:{token}"


def telegram_key(charge_id: str) -> str:
    return f"tgpay:{charge_id}"


def payout_key(token: str) -> str:
    return f"payout:{token}"


class Fundings:
    """Top-ups, payouts and refunds over one ``Ledger``. ``settle_after``: how long the
    processor takes to settle a payout; the daily limits' defaults (kept in the database);
    ``card_expiry``: how long a top-up's or payout's confirmation card can be confirmed."""

    def __init__(
        self,
        ledger: Ledger,
        *,
        settle_after: timedelta = timedelta(seconds=10),
        default_limits: FundingLimits | None = None,
        card_expiry: timedelta = timedelta(minutes=5),
    ) -> None:
        self.ledger = ledger
        self.db = ledger.db
        self.settle_after = settle_after
        self.card_expiry = card_expiry
        exp = 10**ledger.currency.exponent
        self._defaults = default_limits or FundingLimits(1_000 * exp, 1_000 * exp)
        self._settlement_id = 0

    # --- set-up ----------------------------------------------------------------------

    async def settlement_account_id(self) -> int:
        """The card-settlement account (made once, by whoever comes first), and the daily
        limits' starting values in the database."""
        if self._settlement_id:
            return self._settlement_id
        ledger = self.ledger
        code = ledger.currency.code

        async def setup(conn: AsyncConnection) -> int:
            now = to_micros(ledger.clock())
            await conn.execute(
                text(
                    "INSERT INTO accounts (kind, currency, status, created_at) "
                    "VALUES ('settlement', :c, 'active', :now) "
                    "ON CONFLICT (kind, currency) WHERE owner_id IS NULL DO NOTHING"
                ),
                {"c": code, "now": now},
            )
            await conn.execute(
                text(
                    "UPDATE ledger_limits SET "
                    "topup_daily_limit = COALESCE(topup_daily_limit, :t), "
                    "payout_daily_limit = COALESCE(payout_daily_limit, :p) "
                    "WHERE currency = :c AND (topup_daily_limit IS NULL "
                    "OR payout_daily_limit IS NULL)"
                ),
                {"c": code, "t": self._defaults.topup_daily, "p": self._defaults.payout_daily},
            )
            found = await conn.execute(
                text("SELECT id FROM accounts WHERE kind = 'settlement' AND currency = :c"),
                {"c": code},
            )
            return int(found.scalar_one())

        self._settlement_id = await self.db.transaction(setup)
        return self._settlement_id

    async def limits(self) -> FundingLimits:
        await self.settlement_account_id()
        rows = await self.db.read_one(
            "SELECT topup_daily_limit, payout_daily_limit FROM ledger_limits WHERE currency = :c",
            {"c": self.ledger.currency.code},
        )
        return FundingLimits(int(rows[0][0]), int(rows[0][1]))

    async def set_limits(
        self,
        admin_id: int,
        *,
        reason: str = "",
        topup_daily: int | None = None,
        payout_daily: int | None = None,
    ) -> FundingLimits:
        """Change the daily top-up and/or payout limit, on the record (audit log)."""
        for value in (topup_daily, payout_daily):
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ValueError("limits must be positive ints of minor units")
        await self.settlement_account_id()
        ledger = self.ledger

        async def work(conn: AsyncConnection) -> FundingLimits:
            now = to_micros(ledger.clock())
            row = (
                await conn.execute(
                    text(
                        "UPDATE ledger_limits SET "
                        "topup_daily_limit = COALESCE(:t, topup_daily_limit), "
                        "payout_daily_limit = COALESCE(:p, payout_daily_limit), "
                        "updated_at = :now, updated_by = :a WHERE currency = :c "
                        "RETURNING topup_daily_limit, payout_daily_limit"
                    ),
                    {
                        "t": topup_daily,
                        "p": payout_daily,
                        "now": now,
                        "a": admin_id,
                        "c": ledger.currency.code,
                    },
                )
            ).one()
            limits = FundingLimits(int(row[0]), int(row[1]))
            note = (
                f"topup_daily_limit={limits.topup_daily} payout_daily_limit={limits.payout_daily}"
            )
            # The ledger's own audit row, in this transaction (as its limit changes).
            await write_audit(
                conn,
                now,
                admin_id,
                "limits",
                None,
                None,
                None,
                note + (f"; {reason}" if reason else ""),
            )
            return limits

        return await self.db.transaction(work)

    def _today(self) -> date:
        return self.ledger.clock().date()

    def _day_start(self) -> int:
        now = to_micros(self.ledger.clock())
        return now - now % DAY_USEC

    # --- cards -----------------------------------------------------------------------

    async def link_card(self, user_id: int, number: str, expiry: str) -> LinkedCard:
        """Link a test card (replacing the one linked before): ``CardRefused`` when the
        number or the expiry is not right. Only the last four digits and a token are kept."""
        card = processor.tokenize(number, expiry, self._today())
        now = to_micros(self.ledger.clock())

        async def work(conn: AsyncConnection) -> None:
            await conn.execute(
                text(
                    "UPDATE payment_cards SET unlinked_at = :now "
                    "WHERE owner_id = :o AND unlinked_at IS NULL"
                ),
                {"o": user_id, "now": now},
            )
            await conn.execute(
                text(
                    f"INSERT INTO payment_cards ({_C_COLS}, owner_id, linked_at) "
                    "VALUES (:token, :last4, :brand, :m, :y, :b, :o, :now)"
                ),
                {
                    "token": card.token,
                    "last4": card.last4,
                    "brand": card.brand,
                    "m": card.exp_month,
                    "y": card.exp_year,
                    "b": card.behaviour,
                    "o": user_id,
                    "now": now,
                },
            )
            # On the record, as the person's own action (not an admin's).
            await conn.execute(
                text(
                    "INSERT INTO audit_log (at, actor_id, action, admin, account_id, reason) "
                    "VALUES (:now, :o, 'card.linked', :admin, :a, :r)"
                ),
                {
                    "now": now,
                    "o": user_id,
                    "admin": False,
                    "a": account_id,
                    "r": f"Visa •••• {card.last4} {card.exp_month:02d}/{card.exp_year}",
                },
            )

        account_id = await self.ledger.open_account(user_id)
        await self.db.transaction(work)
        return card

    async def card_of(self, user_id: int) -> LinkedCard | None:
        rows = await self.db.read_one(
            f"SELECT {_C_COLS} FROM payment_cards WHERE owner_id = :o AND unlinked_at IS NULL",
            {"o": user_id},
        )
        return _card(rows[0]) if rows else None

    async def _card_by_token(self, token: str) -> LinkedCard | None:
        rows = await self.db.read_one(
            f"SELECT {_C_COLS} FROM payment_cards WHERE token = :t", {"t": token}
        )
        return _card(rows[0]) if rows else None

    # --- fundings rows ---------------------------------------------------------------

    async def get(self, token: str) -> Funding:
        rows = await self.db.read_one(
            f"SELECT {_F_COLS} FROM fundings WHERE token = :t", {"t": token}
        )
        if not rows:
            raise FundingNotFound()
        return _funding(rows[0])

    async def by_transfer(self, transfer_id: int) -> Funding | None:
        rows = await self.db.read_one(
            f"SELECT {_F_COLS} FROM fundings WHERE transfer_id = :t", {"t": transfer_id}
        )
        return _funding(rows[0]) if rows else None

    async def _propose(
        self, kind: str, method: str, user_id: int, amount: int, card: LinkedCard | None
    ) -> Funding:
        token = secrets.token_urlsafe(15)  # 20 characters: fits a button and a payload
        rows = await self.db.write_one(
            "INSERT INTO fundings (token, kind, method, owner_id, amount, currency, state, "
            "card_token, card_last4, created_at) VALUES (:token, :kind, :method, :o, :a, :c, "
            f"'proposed', :ct, :cl, :now) RETURNING {_F_COLS}",
            {
                "token": token,
                "kind": kind,
                "method": method,
                "o": user_id,
                "a": amount,
                "c": self.ledger.currency.code,
                "ct": card.token if card else None,
                "cl": card.last4 if card else None,
                "now": to_micros(self.ledger.clock()),
            },
        )
        return _funding(rows[0])

    async def _set_state(
        self, funding_id: int, state: str, *, transfer_id: int | None = None, **extra: Any
    ) -> None:
        sets = ", ".join(f"{k} = :{k}" for k in extra)
        await self.db.write_one(
            "UPDATE fundings SET state = :s, transfer_id = COALESCE(:t, transfer_id), "
            f"resolved_at = :now{', ' + sets if sets else ''} WHERE id = :id",
            {
                "s": state,
                "t": transfer_id,
                "now": to_micros(self.ledger.clock()),
                "id": funding_id,
                **extra,
            },
        )

    async def _own(self, token: str, presser_id: int, kind: str) -> Funding:
        funding = await self.get(token)
        if funding.kind != kind:
            raise FundingNotFound()
        if funding.owner_id != presser_id:
            raise NotYours(token)
        return funding

    async def _not_expired(self, funding: Funding) -> None:
        """A confirmation card expires like a payment's: Confirm on it then does nothing.
        (Asked after looking for its movement: one a crash left unrecorded here stands.)"""
        stale = to_micros(self.ledger.clock() - self.card_expiry)
        if funding.state == "proposed" and funding.created_at <= stale:
            await self.db.write_one(
                "UPDATE fundings SET state = 'expired', resolved_at = :now "
                "WHERE id = :id AND state = 'proposed'",
                {"id": funding.id, "now": to_micros(self.ledger.clock())},
            )
            raise FundingClosed("expired")

    # --- checks ----------------------------------------------------------------------

    async def _account(self, user_id: int) -> int:
        ledger = self.ledger
        account_id = await ledger.open_account(user_id)
        if (await ledger.account(account_id)).frozen:
            raise AccountFrozen(account_id, "sender")
        return account_id

    async def topped_up_today(self, account_id: int) -> int:
        rows = await self.db.read_one(
            "SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE kind = 'topup' "
            "AND credit_account_id = :a AND created_at >= :day",
            {"a": account_id, "day": self._day_start()},
        )
        return int(rows[0][0])

    async def paid_out_today(self, account_id: int) -> int:
        rows = await self.db.read_one(
            "SELECT COALESCE(SUM(amount), 0) FROM transfers WHERE kind = 'payout' "
            "AND debit_account_id = :a AND created_at >= :day AND state IN ('pending', 'posted')",
            {"a": account_id, "day": self._day_start()},
        )
        return int(rows[0][0])

    async def check_topup(self, user_id: int, amount: int) -> int:
        """The account can receive ``amount`` from a top-up today; its id."""
        account_id = await self._account(user_id)
        limit = (await self.limits()).topup_daily
        done = await self.topped_up_today(account_id)
        if done + amount > limit:
            raise FundingLimit("topup", limit, max(limit - done, 0))
        return account_id

    async def check_payout(self, user_id: int, amount: int) -> int:
        account_id = await self._account(user_id)
        limit = (await self.limits()).payout_daily
        done = await self.paid_out_today(account_id)
        if done + amount > limit:
            raise FundingLimit("payout", limit, max(limit - done, 0))
        available = (await self.ledger.account(account_id)).available
        if amount > available:
            raise InsufficientFunds(available, amount)
        return account_id

    # --- top-up by the emulated card -------------------------------------------------

    async def propose_topup(self, user_id: int, amount: int) -> Funding:
        """A top-up from the linked card, to confirm: checked, nothing charged yet."""
        card = await self.card_of(user_id)
        if card is None:
            raise NoCard()
        await self.check_topup(user_id, amount)
        return await self._propose("topup", "card", user_id, amount, card)

    async def confirm_topup(self, token: str, presser_id: int, resume: bool = False) -> ToppedUp:
        """Charge the card and credit the account, once however often it is pressed:
        ``CardDeclined`` (nothing credited) or the top-up. ``resume``: finish a charge a
        stopped process started (its checks were made then)."""
        funding = await self._own(token, presser_id, "topup")
        ledger = self.ledger
        credited = await ledger.transfer_by_key(topup_key(token))
        if credited is not None:  # pressed again, or its process stopped before recording it
            if funding.state not in ("paid", "refunded"):
                await self._set_state(funding.id, "paid", transfer_id=credited.id)
            return await self._topped_up(topup_key(token), already=True)
        await self._not_expired(funding)
        if funding.state not in ("proposed", "charging"):
            raise FundingClosed(funding.state)
        if resume:
            account_id = await ledger.open_account(presser_id)
        else:
            account_id = await self.check_topup(presser_id, funding.amount)
            await self._set_state(funding.id, "charging")
        card = await self._card_by_token(funding.card_token) if funding.card_token else None
        decline = "card_declined" if card is None else processor.charge(card, self._today())
        if decline is not None:
            await self._set_state(funding.id, "declined", decline=decline)
            raise CardDeclined(decline)
        credited = await ledger.transfer(
            await self.settlement_account_id(),
            account_id,
            funding.amount,
            key=topup_key(token),
            kind="topup",
            memo=f"Visa •••• {funding.card_last4}",
            actor=presser_id,
        )
        await self._set_state(funding.id, "paid", transfer_id=credited.id)
        messages = (
            [] if credited.replayed else await ledger.outbox.written(transfer_ids=[credited.id])
        )
        available = (await ledger.account(account_id)).available
        return ToppedUp(credited, available, messages, already=credited.replayed)

    async def cancel(self, token: str, presser_id: int) -> Funding:
        """Cancel a top-up or payout not confirmed yet (``FundingClosed`` otherwise)."""
        funding = await self.get(token)
        if funding.owner_id != presser_id:
            raise NotYours(token)
        rows = await self.db.write_one(
            "UPDATE fundings SET state = 'cancelled', resolved_at = :now "
            f"WHERE id = :id AND state = 'proposed' RETURNING {_F_COLS}",
            {"id": funding.id, "now": to_micros(self.ledger.clock())},
        )
        if not rows:
            raise FundingClosed((await self.get(token)).state)
        return _funding(rows[0])

    async def _topped_up(self, key: str, *, already: bool) -> ToppedUp:
        credited = await self.ledger.transfer_by_key(key)
        assert credited is not None
        available = (await self.ledger.account(credited.credit_account_id)).available
        return ToppedUp(credited, available, [], already=already)

    # --- top-up through Telegram Payments --------------------------------------------

    async def propose_invoice(self, user_id: int, amount: int) -> Funding:
        """A top-up to be paid through Telegram: its token is the invoice's payload."""
        await self.check_topup(user_id, amount)
        return await self._propose("topup", "telegram", user_id, amount, None)

    async def pre_checkout(self, payload: str, user_id: int, currency: str, amount: int) -> None:
        """Whether Telegram may take this payment: a payload this bot made, for this user,
        not paid yet, for the amount and currency it says, into an account that can
        receive it within the limits. Raises the refusal the payer is to read."""
        try:
            funding = await self.get(payload)
        except FundingNotFound:
            raise FundingNotFound() from None
        if funding.kind != "topup" or funding.method != "telegram":
            raise FundingNotFound()
        if funding.owner_id != user_id:
            raise NotYours(payload)
        if funding.state != "proposed":
            raise FundingClosed(funding.state)
        if currency != funding.currency or amount != funding.amount:
            raise FundingNotFound()
        await self.check_topup(user_id, funding.amount)

    async def telegram_paid(
        self,
        payload: str,
        user_id: int,
        currency: str,
        amount: int,
        charge_id: str,
        provider_charge_id: str = "",
    ) -> ToppedUp:
        """Telegram took the payment: credit it, once per ``charge_id`` (the ledger's key),
        however often or in whatever order the update arrives. The money was taken, so it
        is credited even to an account frozen since the pre-checkout (it stays frozen
        there, refundable); an amount that is not the invoice's is credited as paid."""
        ledger = self.ledger
        existing = await ledger.transfer_by_key(telegram_key(charge_id))
        if existing is not None:
            return await self._topped_up(telegram_key(charge_id), already=True)
        funding: Funding | None
        try:
            funding = await self.get(payload)
        except FundingNotFound:
            funding = None
        # Record the charge first: a crash before the credit leaves a row that says paid,
        # and the next delivery of the update (or the sweep) credits it under the same key.
        if funding is not None and funding.owner_id != user_id:
            funding = None  # someone else's invoice: the payer is credited, it stays open
        if funding is not None and funding.charge_id is None:
            await self.db.write_one(
                "UPDATE fundings SET state = 'charging', charge_id = :c, provider_charge_id = :p "
                "WHERE id = :id AND charge_id IS NULL",
                {"c": charge_id, "p": provider_charge_id, "id": funding.id},
            )
        account_id = await ledger.open_account(user_id)
        memo = "Telegram Payments"
        credited = await ledger.transfer(
            await self.settlement_account_id(),
            account_id,
            amount,
            key=telegram_key(charge_id),
            kind="topup",
            memo=memo,
            actor=user_id,
        )
        if funding is not None and funding.charge_id in (None, charge_id):
            await self._set_state(funding.id, "paid", transfer_id=credited.id)
        messages = (
            [] if credited.replayed else await ledger.outbox.written(transfer_ids=[credited.id])
        )
        available = (await ledger.account(account_id)).available
        return ToppedUp(credited, available, messages, already=credited.replayed)

    async def credit_recorded_charges(self) -> list[ToppedUp]:
        """Charges whose credit a crash interrupted, credited now: those Telegram reported,
        and card charges Confirm started (the processor charges a token once: charging it
        again is answered the same) more than ``RESUME_AFTER`` ago."""
        rows = await self.db.read_one(
            f"SELECT {_F_COLS} FROM fundings WHERE kind = 'topup' AND state = 'charging' "
            "AND (charge_id IS NOT NULL OR (method = 'card' AND resolved_at <= :stale))",
            {"stale": to_micros(self.ledger.clock() - RESUME_AFTER)},
        )
        done = []
        for row in rows:
            funding = _funding(row)
            if funding.method == "card":
                try:
                    done.append(await self.confirm_topup(funding.token, funding.owner_id, True))
                except CardDeclined:
                    pass  # recorded as declined: nothing to credit
                continue
            assert funding.charge_id is not None
            done.append(
                await self.telegram_paid(
                    funding.token,
                    funding.owner_id,
                    funding.currency,
                    funding.amount,
                    funding.charge_id,
                )
            )
        return done

    # --- payouts ---------------------------------------------------------------------

    async def propose_payout(self, user_id: int, amount: int) -> Funding:
        card = await self.card_of(user_id)
        if card is None:
            raise NoCard()
        await self.check_payout(user_id, amount)
        return await self._propose("payout", "card", user_id, amount, card)

    async def confirm_payout(self, token: str, presser_id: int) -> PayoutHeld:
        """Hold the payout's amount and hand it to the processor (settled or returned by
        ``settle_due`` later). Once however often it is pressed."""
        funding = await self._own(token, presser_id, "payout")
        ledger = self.ledger
        held = await ledger.transfer_by_key(payout_key(token))
        if held is not None:  # pressed again, or its process stopped before recording it
            if funding.state != "held":
                await self._set_state(funding.id, "held", transfer_id=held.id)
            available = (await ledger.account(held.debit_account_id)).available
            return PayoutHeld(held, funding, available, already=True)
        await self._not_expired(funding)
        if funding.state != "proposed":
            raise FundingClosed(funding.state)
        account_id = await self.check_payout(presser_id, funding.amount)
        held = await ledger.create_pending(
            account_id,
            await self.settlement_account_id(),
            funding.amount,
            key=payout_key(token),
            expires_in=PAYOUT_HOLD_LIMIT,
            memo=f"Visa •••• {funding.card_last4}",
            actor=presser_id,
            kind="payout",
        )
        await self._set_state(funding.id, "held", transfer_id=held.id)
        available = (await ledger.account(account_id)).available
        return PayoutHeld(held, funding, available, already=held.replayed)

    async def settle_due(self, limit: int = 100) -> Settled:
        """The processor's answer for every payout held ``settle_after`` ago: posted to the
        settlement account, or returned (released) when the card cannot receive. Each at
        most once (resolution keys); safe to run from any process, any number of times: the
        payouts this call settled, and the messages they owe."""
        due = to_micros(self.ledger.clock() - self.settle_after)
        rows = await self.db.read_one(
            "SELECT t.ref, f.card_token FROM transfers t "
            "LEFT JOIN fundings f ON f.token = substr(t.idempotency_key, 8) "
            "WHERE t.kind = 'payout' AND t.state = 'pending' AND t.created_at <= :due "
            "ORDER BY t.id LIMIT :limit",
            {"due": due, "limit": limit},
        )
        settled: list[Transfer] = []
        for ref, card_token in rows:
            card = await self._card_by_token(card_token) if card_token else None
            ok = card is not None and processor.payout_settles(card, self._today())
            try:
                if ok:
                    resolved = await self.ledger.post(ref, key=f"settle:{ref}")
                else:
                    resolved = await self.ledger.void(ref, key=f"return:{ref}")
            except AlreadyResolved:
                continue  # settled by another sweep, or expired, meanwhile
            if not resolved.replayed:  # (a replay: another sweep settled it, and tells)
                settled.append(resolved)
        messages = await self.ledger.outbox.written(transfer_ids=[t.id for t in settled])
        return Settled(settled, messages)

    # --- refunds ---------------------------------------------------------------------

    async def refund_candidate(self, ref: str) -> tuple[Transfer, Funding | None]:
        """The top-up ``ref`` an admin asks to refund, unless it cannot be."""
        ledger = self.ledger
        original = await ledger.get_transfer(ref)
        if original.kind != "topup":
            raise NotRefundable(original.ref)
        reversal = await ledger.reversal_of(original.id)
        if reversal is not None:
            raise AlreadyReversed(original.ref, reversal.ref)
        available = (await ledger.account(original.credit_account_id)).available
        if available < original.amount:
            raise RefundSpent(original.ref, available, original.amount)
        return original, await self.by_transfer(original.id)

    async def refund(self, admin_id: int, ref: str, reason: str, *, key: str) -> Refunded:
        """Reverse a top-up's credit, once: refused when it was refunded already or its
        money was spent (what is left is named). The ledger goes first (it is what can
        refuse); a Telegram Stars payment is then ``telegram_due`` until ``stars_refunded``
        (asking again retries only that part)."""
        ledger = self.ledger
        original = await ledger.get_transfer(ref)
        funding = await self.by_transfer(original.id)
        stars = funding is not None and funding.method == "telegram" and funding.currency == "XTR"
        reversal = await ledger.reversal_of(original.id)
        if reversal is not None and stars and funding is not None and funding.state == "paid":
            return Refunded(reversal, funding, [], telegram_due=True)
        original, funding = await self.refund_candidate(ref)
        try:
            reversal = await ledger.reverse(ref, key=key, actor=admin_id, reason=reason)
        except InsufficientFunds as error:
            raise RefundSpent(original.ref, error.available, original.amount) from None
        if funding is not None and not stars:
            await self._set_state(funding.id, "refunded")
        messages = (
            [] if reversal.replayed else await ledger.outbox.written(transfer_ids=[reversal.id])
        )
        return Refunded(reversal, funding, messages, telegram_due=stars)

    async def stars_refunded(self, funding: Funding) -> None:
        """Telegram gave the stars back: the refund is complete."""
        await self._set_state(funding.id, "refunded")

    # --- the books -------------------------------------------------------------------

    async def day_totals(self) -> DayTotals:
        rows = await self.db.read_one(
            "SELECT "
            "SUM(CASE WHEN t.kind = 'topup' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN t.kind = 'topup' THEN t.amount ELSE 0 END), "
            "SUM(CASE WHEN t.kind = 'payout' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN t.kind = 'payout' THEN t.amount ELSE 0 END), "
            "SUM(CASE WHEN t.kind = 'reversal' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN t.kind = 'reversal' THEN t.amount ELSE 0 END) "
            "FROM transfers t WHERE t.state = 'posted' AND t.created_at >= :day "
            "AND (t.kind IN ('topup', 'payout') OR (t.kind = 'reversal' AND EXISTS ("
            "SELECT 1 FROM transfers o WHERE o.id = t.reverses_id AND o.kind = 'topup')))",
            {"day": self._day_start()},
        )
        return DayTotals(*(int(v or 0) for v in rows[0]))

    async def flows(self) -> dict[str, int]:
        """All-time money in and out, for the books' identity: issued + topped up - paid out
        - refunded = what users have (available and on hold)."""
        settlement = await self.settlement_account_id()
        rows = await self.db.read_one(
            "SELECT "
            "COALESCE(SUM(CASE WHEN kind = 'topup' AND state = 'posted' THEN amount END), 0), "
            "COALESCE(SUM(CASE WHEN kind = 'payout' AND state = 'posted' THEN amount END), 0), "
            "COALESCE(SUM(CASE WHEN kind = 'reversal' AND credit_account_id = :s "
            "THEN amount END), 0) FROM transfers",
            {"s": settlement},
        )
        topped_up, paid_out, refunded = (int(v) for v in rows[0])
        return {"topped_up": topped_up, "paid_out": paid_out, "refunded": refunded}

    async def books(self) -> Books:
        """The identity money in and out must keep, both sides read in one snapshot (and
        nothing written: the settlement account may not exist yet)."""
        params = {"c": self.ledger.currency.code, "i": self.ledger.issuance_account_id}
        async with self.db.reading() as conn:
            moved = (
                await conn.execute(
                    text(
                        "SELECT "
                        "COALESCE(SUM(CASE WHEN debit_account_id = :i THEN amount END), 0) - "
                        "COALESCE(SUM(CASE WHEN credit_account_id = :i THEN amount END), 0), "
                        "COALESCE(SUM(CASE WHEN kind = 'topup' THEN amount END), 0), "
                        "COALESCE(SUM(CASE WHEN kind = 'payout' THEN amount END), 0), "
                        "COALESCE(SUM(CASE WHEN kind = 'reversal' AND credit_account_id = ("
                        "SELECT id FROM accounts WHERE kind = 'settlement' AND currency = :c) "
                        "THEN amount END), 0) FROM transfers WHERE state = 'posted'"
                    ),
                    params,
                )
            ).one()
            users = (
                await conn.execute(
                    text(
                        "SELECT COALESCE(SUM(a.credits_posted - a.debits_posted + COALESCE(("
                        "SELECT SUM(c.credits_posted) FROM account_credits c "
                        "WHERE c.account_id = a.id), 0)), 0) FROM accounts a WHERE a.kind = 'user'"
                    )
                )
            ).scalar_one()
        issued, topped_up, paid_out, refunded = (int(v) for v in moved)
        return Books(issued, topped_up, paid_out, refunded, int(users))


__all__ = [
    "Books",
    "CardDeclined",
    "DayTotals",
    "Funding",
    "FundingClosed",
    "FundingLimit",
    "FundingLimits",
    "FundingNotFound",
    "Fundings",
    "NoCard",
    "NotRefundable",
    "PayoutHeld",
    "RefundSpent",
    "Refunded",
    "Settled",
    "ToppedUp",
]
