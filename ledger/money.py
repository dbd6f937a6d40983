"""Money: integer minor units, one parser for what people type, one formatter.

Amounts are ``int`` counts of the currency's minor unit (cents for USD, yen for JPY)
from the database to the last moment of formatting. ``Decimal`` and ``float`` never
carry an amount; the parser works on the digits themselves so nothing is ever rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ledger.errors import (
    AmbiguousDecimalMark,
    AmountTooLarge,
    EmptyAmount,
    ExponentNotAllowed,
    MalformedAmount,
    NegativeAmount,
    NonAsciiDigits,
    NotANumber,
    TooManyDecimals,
    UnderscoreNotAllowed,
    WrongCurrency,
    ZeroAmount,
)

# ISO 4217 minor-unit exponents for the currencies an operator is likely to pick.
_EXPONENTS = {
    "USD": 2,
    "EUR": 2,
    "GBP": 2,
    "CHF": 2,
    "CAD": 2,
    "AUD": 2,
    "NZD": 2,
    "SEK": 2,
    "NOK": 2,
    "DKK": 2,
    "PLN": 2,
    "CZK": 2,
    "BRL": 2,
    "MXN": 2,
    "INR": 2,
    "CNY": 2,
    "HKD": 2,
    "SGD": 2,
    "ZAR": 2,
    "TRY": 2,
    "ILS": 2,
    "AED": 2,
    "XOF": 0,
    "XAF": 0,
    "JPY": 0,
    "KRW": 0,
    "ISK": 0,
    "VND": 0,
    "CLP": 0,
    "HUF": 2,
    "BHD": 3,
    "KWD": 3,
    "OMR": 3,
    "JOD": 3,
    "TND": 3,
}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}

# Largest amount a BIGINT column holds; anything beyond is refused before arithmetic.
MAX_MINOR = 2**63 - 1

GROUP_SEPARATORS = (" ", "\u00a0", "\u202f")  # space, no-break space, narrow no-break space
_DISPLAY_GROUP = "\u00a0"


@dataclass(frozen=True, slots=True)
class Currency:
    """A currency and the number of decimals its minor unit has (ISO 4217 exponent)."""

    code: str
    exponent: int

    @classmethod
    def of(cls, code: str) -> Currency:
        code = code.strip().upper()
        if code not in _EXPONENTS:
            raise ValueError(f"unknown currency {code!r}; known: {', '.join(sorted(_EXPONENTS))}")
        return cls(code, _EXPONENTS[code])

    @property
    def symbol(self) -> str | None:
        return _SYMBOLS.get(self.code)


_NUMBERISH = re.compile(r"^[0-9 \u00a0\u202f.,]+$")


def parse_amount(text: str | None, currency: Currency, *, maximum: int | None = None) -> int:
    """Turn what a person typed into minor units, or raise the AmountError that says why not.

    Accepts ``12``, ``12.5``, ``12.50``, ``12,50`` and space-grouped thousands
    (``1 000,50``), optionally with the currency's code or symbol around it.
    """
    raw = (text or "").strip()
    # Invisible characters (zero-width, bidi marks) never make an amount valid.
    raw = "".join(ch for ch in raw if ch not in "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f")
    raw = _strip_currency(raw, currency)
    if not raw:
        raise EmptyAmount()
    if raw[0] in "-−–" or raw.startswith("("):
        raise NegativeAmount()
    if raw[0] == "+":
        raise MalformedAmount(text or "")
    lowered = raw.lower()
    if lowered in {"nan", "inf", "infinity", "∞"} or "nan" in lowered or "inf" in lowered:
        raise NotANumber()
    if "_" in raw:
        raise UnderscoreNotAllowed()
    if any(ch.isdigit() and not ("0" <= ch <= "9") for ch in raw):
        raise NonAsciiDigits()
    if re.fullmatch(r"[0-9.,]*[eE][+-]?[0-9]+", raw):
        raise ExponentNotAllowed()
    if not _NUMBERISH.fullmatch(raw):  # fullmatch: "$" alone lets a trailing "\n" through
        raise MalformedAmount(text or "")
    if "." in raw and "," in raw:
        raise AmbiguousDecimalMark()
    mark = "." if "." in raw else "," if "," in raw else None
    if mark is not None and raw.count(mark) > 1:
        raise MalformedAmount(text or "")
    integer, _, fraction = raw.partition(mark) if mark else (raw, "", "")
    if any(sep in fraction for sep in GROUP_SEPARATORS):
        raise MalformedAmount(text or "")
    integer = _ungroup(integer, text or "")
    if not integer and not fraction:
        raise MalformedAmount(text or "")
    if len(fraction) > currency.exponent:
        if fraction.rstrip("0") == "" and int(integer or "0") == 0:
            raise ZeroAmount()
        raise TooManyDecimals(currency.exponent)
    digits = (integer or "0").lstrip("0") + fraction.ljust(currency.exponent, "0")
    if len(digits) > 19:
        raise AmountTooLarge(maximum if maximum is not None else MAX_MINOR)
    minor = int(digits or "0")
    if minor == 0:
        raise ZeroAmount()
    limit = MAX_MINOR if maximum is None else min(maximum, MAX_MINOR)
    if minor > limit:
        raise AmountTooLarge(limit)
    return minor


def _strip_currency(raw: str, currency: Currency) -> str:
    marks = [currency.code, currency.code.lower()]
    if currency.symbol:
        marks.append(currency.symbol)
    for mark in marks:
        if raw.startswith(mark):
            return raw[len(mark) :].strip()
        if raw.endswith(mark):
            return raw[: -len(mark)].strip()
    # A different known code or symbol is a mistake worth naming, not a malformed number.
    match = re.fullmatch(
        r"([A-Za-z]{3})\s*([0-9.,\s\u00a0\u202f]+)|([0-9.,\s\u00a0\u202f]+?)\s*([A-Za-z]{3})", raw
    )
    if match:
        code = (match.group(1) or match.group(4) or "").upper()
        if code in _EXPONENTS:
            raise WrongCurrency(code, currency.code)
    for code, symbol in _SYMBOLS.items():
        if symbol in raw:
            raise WrongCurrency(code, currency.code)
    return raw


def _ungroup(integer: str, original: str) -> str:
    """Remove thousands separators, insisting on groups of exactly three digits."""
    if not any(sep in integer for sep in GROUP_SEPARATORS):
        return integer
    groups = re.split("[ \u00a0\u202f]", integer)
    if not groups[0] or len(groups[0]) > 3 or any(len(g) != 3 for g in groups[1:]):
        raise MalformedAmount(original)
    return "".join(groups)


def format_amount(minor: int, currency: Currency, *, style: str = "en", code: bool = True) -> str:
    """Write minor units the way a language writes money: ``1 234.50 USD`` / ``1 234,50 USD``.

    Thousands are grouped with a no-break space, which the parser accepts, so
    ``parse_amount(format_amount(x)) == x`` for every valid amount in both styles.
    """
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**currency.exponent)
    grouped = f"{whole:,}".replace(",", _DISPLAY_GROUP)
    mark = "," if style == "fr" else "."
    number = grouped + (mark + str(frac).zfill(currency.exponent) if currency.exponent else "")
    text = sign + number
    return f"{text} {currency.code}" if code else text
