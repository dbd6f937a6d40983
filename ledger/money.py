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
    AmbiguousThousands,
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
    "XTR": 0,  # Telegram Stars (not ISO 4217): whole stars, paid through Telegram only
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
# Every active ISO 4217 code, so that "100 RUB" on a USD bot is refused as a currency rather
# than read as 100 USD with the note "RUB" (the test codes XTS and XXX are left out).
_ISO_CODES = (
    frozenset(
        """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP
    DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD
    MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB
    PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD
    SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS
    VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER
    ZAR ZMW ZWG ZWL
    """.split()
    )
    | _EXPONENTS.keys()
)
# Symbols, each with the currencies that write it (the first is the one a refusal names).
_SYMBOLS: dict[str, tuple[str, ...]] = {
    "$": ("USD", "CAD", "AUD", "NZD", "HKD", "SGD", "MXN", "CLP", "ARS", "COP"),
    "US$": ("USD",),
    "C$": ("CAD",),
    "CA$": ("CAD",),
    "A$": ("AUD",),
    "AU$": ("AUD",),
    "NZ$": ("NZD",),
    "HK$": ("HKD",),
    "S$": ("SGD",),
    "R$": ("BRL",),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "円": ("JPY",),
    "₹": ("INR",),
    "₩": ("KRW",),
    "₽": ("RUB",),
    "₺": ("TRY",),
    "₪": ("ILS",),
    "₫": ("VND",),
    "₴": ("UAH",),
    "₱": ("PHP",),
    "฿": ("THB",),
    "₦": ("NGN",),
    "₸": ("KZT",),
    "₾": ("GEL",),
    "₼": ("AZN",),
    "₡": ("CRC",),
    "₲": ("PYG",),
    "₵": ("GHS",),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
    "zł": ("PLN",),
    "Kč": ("CZK",),
}
# Codes that are also everyday words in lower case ("5 try this", "5 ils ont gagné"): next to
# an amount in a sentence they count as a currency only in capitals.
_WORDS = frozenset({"TRY", "ILS"})

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
        return next((mark for mark, codes in _SYMBOLS.items() if codes[0] == self.code), None)


_NUMBERISH = re.compile(r"^[0-9 \u00a0\u202f.,]+$")
# A dot or comma with three digits after a short whole part: "1,000" is a thousand in English
# and one in French, so it is never read, whatever the currency's number of decimals.
_THOUSANDS_OR_DECIMALS = re.compile(r"[1-9][0-9]{0,2}[.,][0-9]{3}")
# A currency written before or after the number: a run of anything but digits, blanks,
# decimal marks and signs ("USD", "$", "R$", "€").
_MARK = r"[^0-9\s.,+\-\u2212\u2013_()]+"
_MARK_BEFORE = re.compile(
    rf"(?P<sign>[-\u2212\u2013+]?)\s*(?P<mark>{_MARK})\s*(?P<number>.*)", re.S
)
_MARK_AFTER = re.compile(rf"(?P<number>.*?)\s*(?P<mark>{_MARK})", re.S)


def currencies_named(word: str) -> tuple[str, ...]:
    """The currencies a code or symbol stands for, in any case ("jpy" -> JPY, "$" -> USD,
    CAD, ...); empty when ``word`` names none."""
    if word in _SYMBOLS:
        return _SYMBOLS[word]
    code = word.upper()
    return (code,) if code in _ISO_CODES else ()


def names_a_currency(word: str) -> bool:
    """Whether a word next to an amount in a sentence is its currency: a symbol, a code in
    capitals, or in any case a code of a currency the bot can run in, unless that is also
    an everyday word ("try")."""
    if word in _SYMBOLS or (word.isupper() and word in _ISO_CODES):
        return True
    return word.upper() in _EXPONENTS and word.upper() not in _WORDS


def split_amount(text: str, *, longest: bool = False) -> tuple[str | None, str]:
    """The words at the start of ``text`` that write an amount, and the text after them: a
    number with its currency before or after it ("5 USD", "JPY 100", "€ 5"), so that a
    currency is never taken for the start of a note. A first word that is no amount comes
    back alone, for ``parse_amount`` to say why; None when ``text`` is blank. ``longest``:
    the number goes on in groups of three digits, as the same words typed alone would be
    read ("1 000 x" is 1 000 and "x": /send and /request); without it the first word is
    the number (commands that take two numbers, as /envelope 10 5)."""
    first, rest = _word(text)
    if first is None:
        return None, ""
    words = [first]
    if names_a_currency(first):
        second, after_second = _word(rest)
        if second is None or not _has_digit(second) or names_a_currency(second):
            return first, rest
        words.append(second)
        rest = after_second
    # The longest amount, as the guided conversation would read the same words alone: a
    # number goes on in groups of three digits ("1 000 x" is 1 000 with the note "x").
    if longest and _GROUP_HEAD.fullmatch(words[-1]):
        while (group := _group(rest)) is not None:
            words.append(group[0])
            rest = group[1]
            if not group[0].isdigit():  # decimals or a currency end the number
                break
    if not names_a_currency(first):
        after, after_rest = _word(rest)
        if after is not None and _has_digit(words[-1]) and names_a_currency(after):
            words.append(after)
            rest = after_rest
    return " ".join(words), rest


_WORD = re.compile(r"\s*(\S+)")
# The first word of a space-grouped number (a currency symbol may be stuck to it: "$1"), and
# each group after it; the last may carry decimals or a currency ("000,50", "000€").
_GROUP_HEAD = re.compile(r"[^0-9\s.,]*[0-9]{1,3}")
_GROUP = re.compile(r"[0-9]{3}(?:[.,][0-9]+)?(?P<mark>[^0-9\s.,]*)")


def _group(text: str) -> tuple[str, str] | None:
    """The next group of three digits of a number, and the text after it; None if the next
    word is not one ("100th" is a word of the note)."""
    word, rest = _word(text)
    match = _GROUP.fullmatch(word or "")
    if word is None or match is None:
        return None
    if match["mark"] and not names_a_currency(match["mark"]):
        return None
    return word, rest


def _word(text: str) -> tuple[str | None, str]:
    match = _WORD.match(text)
    return (match.group(1), text[match.end() :]) if match else (None, "")


def _has_digit(word: str) -> bool:
    return any("0" <= ch <= "9" for ch in word)


def parse_amount(text: str | None, currency: Currency, *, maximum: int | None = None) -> int:
    """Turn what a person typed into minor units, or raise the AmountError that says why not.

    Accepts ``12``, ``12.5``, ``12.50``, ``12,50``, space-grouped thousands (``1 000,50``)
    and thousands grouped by the other mark (``1,000.50``, ``1.000,50``, ``1,000,000``),
    optionally with the currency's code or symbol before or after it. Another currency's is
    refused by name, and ``1,000`` (a thousand, or one with three decimals?) is refused in
    every currency.
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
        raw = _ungroup_marks(raw)
    elif _THOUSANDS_OR_DECIMALS.fullmatch(raw):
        raise AmbiguousThousands()
    mark = "." if "." in raw else "," if "," in raw else None
    if mark is not None and raw.count(mark) > 1:
        raw = _ungroup_repeated(raw, mark, text or "")
        mark = None
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
    """``raw`` without the currency written before or after its number ("$5", "5 usd",
    "USD 5 "); another currency's code or symbol is refused by name, not read as a number."""
    for pattern in (_MARK_BEFORE, _MARK_AFTER):
        match = pattern.fullmatch(raw)
        if match is None:
            continue
        named = currencies_named(match["mark"])
        if not named:
            continue
        if currency.code not in named:
            raise WrongCurrency(named[0], currency.code)
        raw = (match.groupdict().get("sign", "") + match["number"]).strip()
    return raw


def _thousands(groups: list[str]) -> bool:
    """Whether ``groups`` are a number's thousands: 1-3 digits, then exactly three each."""
    head, tail = groups[0], groups[1:]
    return (
        1 <= len(head) <= 3
        and head.isdigit()
        and head.isascii()
        and all(len(g) == 3 and g.isdigit() and g.isascii() for g in tail)
    )


def _ungroup_marks(raw: str) -> str:
    """Both marks: ``1,000.50`` (English) or ``1.000,50``. The last mark is the decimal one
    when it comes once and every other mark groups thousands exactly; anything else could be
    read two ways and is refused."""
    decimal = "." if raw.rfind(".") > raw.rfind(",") else ","
    group = "," if decimal == "." else "."
    integer, _, fraction = raw.partition(decimal)
    if decimal in fraction or not _thousands(integer.split(group)):
        raise AmbiguousDecimalMark()
    return integer.replace(group, "") + decimal + fraction


def _ungroup_repeated(raw: str, mark: str, original: str) -> str:
    """One mark twice or more groups thousands (``1,000,000``): it cannot be the decimals."""
    groups = raw.split(mark)
    if not _thousands(groups):
        raise MalformedAmount(original)
    return "".join(groups)


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
    ``parse_amount(format_amount(x)) == x`` for every valid amount in both styles, except in
    three-decimal currencies from 1 to 999.999: "1.500 KWD" has the "1,000" shape the parser
    refuses as a thousand-or-decimals.
    """
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**currency.exponent)
    grouped = f"{whole:,}".replace(",", _DISPLAY_GROUP)
    mark = "," if style == "fr" else "."
    number = grouped + (mark + str(frac).zfill(currency.exponent) if currency.exponent else "")
    text = sign + number
    return f"{text} {currency.code}" if code else text
