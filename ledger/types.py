"""What the ledger returns: plain frozen dataclasses, money as ``int`` minor units."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class Transfer:
    id: int
    ref: str
    kind: str  # payment | credit | debit | welcome | reversal
    debit_account_id: int
    credit_account_id: int
    amount: int
    currency: str
    state: str  # pending | posted | voided | expired
    memo: str
    actor_id: int | None
    created_at: datetime
    expires_at: datetime | None
    resolved_at: datetime | None
    resolved_by: int | None
    reverses_id: int | None
    debit_owner: int | None = None  # Telegram user id, None for system accounts
    credit_owner: int | None = None
    replayed: bool = False  # True when an idempotent retry returned the original

    def as_replay(self) -> Transfer:
        return replace(self, replayed=True)


@dataclass(frozen=True, slots=True)
class Account:
    """An account's counters as the ledger reads them: ``credits_posted`` and
    ``credits_pending`` are the totals, the row's own plus its credit shards' (on PostgreSQL
    credits go to ``account_credits`` rows: see ledger/README.md)."""

    id: int
    owner_id: int | None
    kind: str
    currency: str
    status: str
    debits_posted: int
    credits_posted: int
    debits_pending: int
    credits_pending: int
    day_number: int
    day_sent: int

    @property
    def available(self) -> int:
        return self.credits_posted - self.debits_posted - self.debits_pending

    @property
    def on_hold(self) -> int:
        return self.debits_pending

    @property
    def frozen(self) -> bool:
        return self.status == "frozen"


@dataclass(frozen=True, slots=True)
class Limits:
    max_transfer: int
    daily_limit: int


@dataclass(frozen=True, slots=True)
class ChequeMark:
    """A history transfer that is a cheque's: its ``hold`` (a pending payment to the system
    account, never posted) or its ``payout`` (the payment to whoever accepted it)."""

    role: str  # "hold" or "payout"
    to_username: str | None  # a named cheque's payee (lower case, no @)
    envelope: bool  # a red envelope's share


@dataclass(frozen=True, slots=True)
class HistoryItem:
    transfer: Transfer
    direction: str  # "in" or "out"
    counterparty_account_id: int
    counterparty_owner: int | None
    cheque: ChequeMark | None = None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    items: list[HistoryItem]
    offset: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class AuditRecord:
    id: int
    at: datetime
    actor_id: int | None
    action: str
    admin: bool
    account_id: int | None
    owner_id: int | None
    transfer_ref: str | None
    amount: int | None
    reason: str


@dataclass(frozen=True, slots=True)
class FreezeResult:
    account_id: int
    changed: bool  # False when the account already had that status
    voided: list[Transfer] = field(default_factory=list)
    notices: list[int] = field(default_factory=list)  # outbox rows it wrote (ledger.outbox)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    problems: list[str]
    accounts_checked: int
    transfers_checked: int
    pending_transfers: int

    def summary(self) -> str:
        if self.ok:
            return (
                f"all invariants hold ({self.accounts_checked} accounts, "
                f"{self.transfers_checked} transfers)"
            )
        return "; ".join(self.problems)


@dataclass(frozen=True, slots=True)
class Stats:
    users: int
    frozen: int
    total_issued: int
    transfers_today: int
    volume_today: int
    pending: int
    verify: VerifyReport


class Card(NamedTuple):
    """Where a pending transfer was shown (a chat message with buttons), and the payment
    request it was held for, if any."""

    chat_id: int
    message_id: int
    request_id: int | None
