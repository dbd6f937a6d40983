"""The emulated Visa processor: links test cards and charges or pays out to them, moving no
real money. It answers like a card processor's test mode: a handful of published test
numbers, each with a known behaviour, and nothing else (a real card number is refused
before anything about it is kept).

What is kept of a card: its last four digits, its expiry and a random token. The full
number lives only in the call that links it; it is never stored, returned or logged.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date

from ledger.errors import LedgerError

# Test number -> what the processor does with it (the well-known processors' test cards).
APPROVE = "approve"
TEST_CARDS: dict[str, str] = {
    "4242424242424242": APPROVE,
    "4000056655665556": APPROVE,  # a debit card
    "4000000000009995": "insufficient_funds",
    "4000000000000069": "expired_card",
    "4000000000000002": "card_declined",
    "4000000000000119": "processing_error",
    "4000000000000077": "payout_returned",  # top-ups work, payouts come back
}
# Decline reasons a charge can give (and "payout_returned" for payouts).
DECLINES = ("insufficient_funds", "expired_card", "card_declined", "processing_error")


class CardRefused(LedgerError):
    """The card can't be linked: ``reason`` is number_invalid, not_test_card, expiry_invalid
    or expired."""

    code = "card_refused"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class LinkedCard:
    token: str
    last4: str
    brand: str
    exp_month: int
    exp_year: int
    behaviour: str

    def expired(self, today: date) -> bool:
        return (self.exp_year, self.exp_month) < (today.year, today.month)


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum every card number carries (catches one mistyped digit, most swaps)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


_EXPIRY = re.compile(r"^(\d{1,2})\s*/\s*(\d{2}|\d{4})$")


def parse_expiry(text: str) -> tuple[int, int]:
    """ "12/29", "12/2029" -> (12, 2029)."""
    match = _EXPIRY.match(text.strip())
    if match is None:
        raise CardRefused("expiry_invalid")
    month, year = int(match.group(1)), int(match.group(2))
    if len(match.group(2)) == 2:
        year += 2000
    if not 1 <= month <= 12:
        raise CardRefused("expiry_invalid")
    return month, year


def tokenize(number: str, expiry: str, today: date) -> LinkedCard:
    """Check a card number and expiry and make the card's token: ``CardRefused`` when the
    number is not a valid test card number or the card has expired."""
    digits = re.sub(r"[\s-]", "", number)
    if not digits.isascii() or not digits.isdigit() or not 13 <= len(digits) <= 19:
        raise CardRefused("number_invalid")
    if not luhn_ok(digits):
        raise CardRefused("number_invalid")
    behaviour = TEST_CARDS.get(digits)
    if behaviour is None:
        raise CardRefused("not_test_card")
    month, year = parse_expiry(expiry)
    token = "card_" + secrets.token_urlsafe(18)
    card = LinkedCard(token, digits[-4:], "visa", month, year, behaviour)
    if card.expired(today):
        raise CardRefused("expired")
    return card


def charge(card: LinkedCard, today: date) -> str | None:
    """Charge the card for a top-up: None when approved, else the decline reason."""
    if card.expired(today):
        return "expired_card"
    if card.behaviour in DECLINES:
        return card.behaviour
    return None


_PAYOUT_FAILS = ("payout_returned", "card_declined", "processing_error", "expired_card")


def payout_settles(card: LinkedCard, today: date) -> bool:
    """Whether a payout to the card settles, or comes back (a card that cannot receive, or
    expired since it was linked). A card without funds can still receive."""
    return card.behaviour not in _PAYOUT_FAILS and not card.expired(today)
