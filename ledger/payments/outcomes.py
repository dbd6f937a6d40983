"""What a payments call did: plain frozen dataclasses. ``messages`` are the outbox rows the
call wrote (or took over) and its caller must deliver now (``ledger.outbox``): who is told
what is decided by the database, in the transaction that moved the money."""

from __future__ import annotations

from dataclasses import dataclass, field

from ledger.outbox import OutboxMessage
from ledger.requests import PaymentRequest
from ledger.types import Card, Transfer


@dataclass(frozen=True, slots=True)
class Held:
    """A hold for a payment: ``show_card`` when its card must be put on screen (False for
    a redelivered update whose card is shown already, or a hold that has ended)."""

    transfer: Transfer
    show_card: bool


@dataclass(frozen=True, slots=True)
class Confirmed:
    """A card's payment, posted: by this call, by this same press before (``replayed``), or
    by another press (``already``). ``available``: both accounts' balances after it, by
    account id (one read, for the receipt and the messages); ``reserved``: what each still
    has on hold for other payments, from the same read."""

    transfer: Transfer
    card: Card | None
    available: dict[int, int]
    replayed: bool = False
    already: bool = False
    messages: list[OutboxMessage] = field(default_factory=list)
    reserved: dict[int, int] = field(default_factory=dict)

    @property
    def sender_available(self) -> int:
        return self.available[self.transfer.debit_account_id]


@dataclass(frozen=True, slots=True)
class Cancelled:
    """A card's hold, ended unpaid (voided by this press, or found expired)."""

    transfer: Transfer
    card: Card | None
    messages: list[OutboxMessage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Expired:
    """Holds the sweeper expired, with their cards' places to redraw."""

    transfers: list[Transfer]
    messages: list[OutboxMessage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PayStarted:
    """Pay on a request: its hold, and whether its card must be shown now."""

    request: PaymentRequest
    held: Held


@dataclass(frozen=True, slots=True)
class Declined:
    """A request declined by its payer; ``hold`` is the hold Pay made for it, released with
    it (None if Pay was never pressed), and ``card`` that hold's card."""

    request: PaymentRequest
    hold: Transfer | None
    card: Card | None
    messages: list[OutboxMessage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Frozen:
    """A freeze or unfreeze: the holds it released, with their cards, and the notices."""

    account_id: int
    changed: bool
    released: list[tuple[Transfer, Card | None]]
    messages: list[OutboxMessage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Moved:
    """An operator's credit, debit or reversal: by this call, or by the same key before
    (``transfer.replayed``). ``messages``: the notices it owes (written with the money) that
    this call must deliver: its own, or, when replayed, only those whose first delivery was
    abandoned (their claim went stale)."""

    transfer: Transfer
    messages: list[OutboxMessage] = field(default_factory=list)
