"""xmoney ledger: a double-entry money core. Imports nothing from ``telegram`` or ``bot``."""

from ledger.clock import utcnow
from ledger.core import Ledger
from ledger.directory import Person
from ledger.errors import *  # noqa: F403 - the typed errors are part of the public API
from ledger.money import Currency, format_amount, parse_amount, split_amount
from ledger.refs import new_ref
from ledger.requests import PaymentRequest
from ledger.types import (
    Account,
    AuditRecord,
    Card,
    FreezeResult,
    HistoryItem,
    HistoryPage,
    Limits,
    Stats,
    Transfer,
    VerifyReport,
)

__all__ = [
    "Account",
    "AuditRecord",
    "Card",
    "Currency",
    "FreezeResult",
    "HistoryItem",
    "HistoryPage",
    "Ledger",
    "Limits",
    "PaymentRequest",
    "Person",
    "Stats",
    "Transfer",
    "VerifyReport",
    "format_amount",
    "new_ref",
    "parse_amount",
    "split_amount",
    "utcnow",
]
