"""The payments service: every payment workflow (hold, confirm, cancel, expire, requests,
admin actions) as plain calls with plain arguments, returning outcome dataclasses. It knows
nothing of Telegram: the chat, an inline mode or a web page call the same service. Refusals
are the ledger's typed errors (``ledger.errors``)."""

from ledger.payments.outcomes import (
    Cancelled,
    Confirmed,
    Declined,
    Expired,
    Frozen,
    Held,
    Moved,
    PayStarted,
)
from ledger.payments.service import Payments

__all__ = [
    "Cancelled",
    "Confirmed",
    "Declined",
    "Expired",
    "Frozen",
    "Held",
    "Moved",
    "PayStarted",
    "Payments",
]
