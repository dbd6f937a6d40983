"""What a payment's card warns its payer of before they confirm: a first payment to this
person, or the same amount to the same person moments ago (a double send)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ledger.core import Ledger
from ledger.models import to_micros
from ledger.types import Transfer

REPEAT_WINDOW = timedelta(minutes=2)


@dataclass(frozen=True, slots=True)
class Nudges:
    first_payment: bool  # never paid this person before (nothing posted to them)
    just_sent: bool  # the same amount to them, posted or held, within REPEAT_WINDOW


async def nudges_for(ledger: Ledger, hold: Transfer) -> Nudges:
    """The nudges for ``hold``'s card, in one read (other transfers than ``hold`` itself)."""
    rows = await ledger.db.read_one(
        "SELECT COALESCE(MAX(CASE WHEN t.state = 'posted' THEN 1 ELSE 0 END), 0), "
        "COALESCE(MAX(CASE WHEN t.amount = :amount AND t.created_at >= :since "
        "AND t.state IN ('posted', 'pending') THEN 1 ELSE 0 END), 0) "
        "FROM transfers t WHERE t.debit_account_id = :debit "
        "AND t.credit_account_id = :credit AND t.kind = 'payment' AND t.id <> :id",
        {
            "amount": hold.amount,
            "since": to_micros(hold.created_at - REPEAT_WINDOW),
            "debit": hold.debit_account_id,
            "credit": hold.credit_account_id,
            "id": hold.id,
        },
    )
    paid_before, repeat = rows[0]
    return Nudges(first_payment=not paid_before, just_sent=bool(repeat))
