"""What the funding service (``ledger.payments.funding``) answers: its refusals (typed
ledger errors, each carrying what a person needs to hear) and its outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.errors import LedgerError
from ledger.outbox import OutboxMessage
from ledger.types import Transfer

# --- refusals ----------------------------------------------------------------------------


class NoCard(LedgerError):
    """Link a card first with /card."""

    code = "funding.no_card"


class CardDeclined(LedgerError):
    """The card processor declined the charge: ``reason`` (insufficient_funds, ...)."""

    code = "funding.declined"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class FundingLimit(LedgerError):
    """Over the daily top-up or payout limit; ``remaining`` may still go today."""

    code = "funding.limit"

    def __init__(self, direction: str, limit: int, remaining: int) -> None:
        super().__init__(direction)
        self.direction, self.limit, self.remaining = direction, limit, remaining


class FundingClosed(LedgerError):
    """That top-up or payout is no longer open (``state``: declined, cancelled, paid...)."""

    code = "funding.closed"

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


class FundingNotFound(LedgerError):
    """No top-up or payout has that reference."""

    code = "funding.not_found"


class NotRefundable(LedgerError):
    """Only a top-up can be refunded."""

    code = "funding.not_refundable"

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref


class RefundSpent(LedgerError):
    """The top-up's money was spent: only ``available`` is left of it."""

    code = "funding.refund_spent"

    def __init__(self, ref: str, available: int, amount: int) -> None:
        super().__init__(ref)
        self.ref, self.available, self.amount = ref, available, amount


# --- outcomes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Funding:
    """A top-up or payout asked for (a ``fundings`` row)."""

    id: int
    token: str
    kind: str  # topup | payout
    method: str  # card | telegram
    owner_id: int
    amount: int
    currency: str
    state: str  # proposed charging paid declined cancelled expired held refunded
    card_last4: str | None
    charge_id: str | None
    decline: str | None
    transfer_id: int | None
    card_token: str | None
    created_at: int  # microseconds since the epoch


@dataclass(frozen=True, slots=True)
class ToppedUp:
    transfer: Transfer
    available: int
    messages: list[OutboxMessage] = field(default_factory=list)
    already: bool = False


@dataclass(frozen=True, slots=True)
class PayoutHeld:
    transfer: Transfer
    funding: Funding
    available: int
    already: bool = False


@dataclass(frozen=True, slots=True)
class Settled:
    transfers: list[Transfer]
    messages: list[OutboxMessage]


@dataclass(frozen=True, slots=True)
class Refunded:
    """``telegram_due``: a Telegram Stars payment whose stars are still to be given back
    through Telegram (``refundStarPayment``), then ``stars_refunded``."""

    reversal: Transfer
    funding: Funding | None
    messages: list[OutboxMessage]
    telegram_due: bool = False


@dataclass(frozen=True, slots=True)
class FundingLimits:
    topup_daily: int
    payout_daily: int


@dataclass(frozen=True, slots=True)
class DayTotals:
    """Today's money in and out (UTC day, the ledger's clock): counts and sums."""

    topups: int
    topped_up: int
    payouts: int
    paid_out: int
    refunds: int
    refunded: int


@dataclass(frozen=True, slots=True)
class Books:
    """issued + topped_up - paid_out - refunded must equal users' money (available and on
    hold): money only enters by issuance or a top-up and leaves by a payout or a refund."""

    issued: int
    topped_up: int
    paid_out: int
    refunded: int
    users: int

    @property
    def balanced(self) -> bool:
        return self.issued + self.topped_up - self.paid_out - self.refunded == self.users
