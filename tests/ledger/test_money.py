"""What people type as an amount: every valid amount round-trips, every mistake gets its own error.

The parser never rounds and never guesses: "12,50" is twelve and a half, "12.505" in dollars is
refused, "1e3" is refused. Examples first, then properties over generated amounts and text.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ledger.errors import (
    AmbiguousDecimalMark,
    AmbiguousThousands,
    AmountError,
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
from ledger.money import MAX_MINOR, Currency, format_amount, parse_amount, split_amount

USD, JPY, KWD = Currency.of("USD"), Currency.of("JPY"), Currency.of("KWD")
CURRENCIES = [USD, JPY, KWD]
SEPARATORS = [" ", "\u00a0", "\u202f"]  # space, no-break space, narrow no-break space


def refusal(text: str, currency: Currency = USD, maximum: int | None = None) -> AmountError:
    """The error parsing ``text`` raises (the test fails if it parses)."""
    with pytest.raises(AmountError) as raised:
        parse_amount(text, currency, maximum=maximum)
    return raised.value


def shown_like_1_000(minor: int, currency: Currency) -> bool:
    """Whether the bot writes ``minor`` as 1-3 digits, a mark and three decimals ("1.500 KWD"):
    the one shape that reads as thousands or decimals alike, refused when typed back."""
    return currency.exponent == 3 and 1_000 <= minor < 1_000_000


def assert_reads_back(minor: int, currency: Currency, **style: object) -> None:
    """What the bot writes, typed back, is the same amount, or for the "1,000" shape refused."""
    text = format_amount(minor, currency, **style)  # type: ignore[arg-type]
    if shown_like_1_000(minor, currency):
        assert type(refusal(text, currency)) is AmbiguousThousands
    else:
        assert parse_amount(text, currency) == minor


# --- accepted forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12", USD, 1200),
        ("12.5", USD, 1250),
        ("12.50", USD, 1250),
        ("12,50", USD, 1250),
        ("12,5", USD, 1250),
        ("0.01", USD, 1),
        ("1 000,50", USD, 100050),
        ("1\u00a0000,50", USD, 100050),
        ("1\u202f000,50", USD, 100050),
        ("1 000 000.01", USD, 100000001),
        ("  7.25  ", USD, 725),
        ("12.50 USD", USD, 1250),
        ("USD 12.50", USD, 1250),
        ("$12.50", USD, 1250),
        ("12", JPY, 12),
        ("1 000", JPY, 1000),
        ("12", KWD, 12000),
        ("12.5", KWD, 12500),
        ("0,001", KWD, 1),
        ("1 234,567", KWD, 1234567),
        # Thousands grouped by the other mark: the last mark, once, is the decimal one.
        ("1,000.50", USD, 100050),
        ("1.000,50", USD, 100050),
        ("12,345,678.90", USD, 1234567890),
        ("1,000,000", USD, 100000000),
        ("1.000.000", JPY, 1000000),
        ("$1,000.50", USD, 100050),
        ("1,000.500", KWD, 1000500),
    ],
)
def test_accepted_forms(text: str, currency: Currency, minor: int) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("minor", "currency", "en", "fr"),
    [
        (123456, USD, "1\u00a0234.56 USD", "1\u00a0234,56 USD"),
        (5, USD, "0.05 USD", "0,05 USD"),
        (1234, JPY, "1\u00a0234 JPY", "1\u00a0234 JPY"),
        (1234567, KWD, "1\u00a0234.567 KWD", "1\u00a0234,567 KWD"),
    ],
)
def test_format_writes_each_style(minor: int, currency: Currency, en: str, fr: str) -> None:
    assert format_amount(minor, currency, style="en") == en
    assert format_amount(minor, currency, style="fr") == fr
    assert format_amount(minor, currency, style="fr", code=False) == fr.rsplit(" ", 1)[0]


# --- every rejection, each with its own error ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", EmptyAmount),
        ("   ", EmptyAmount),
        ("\u00a0", EmptyAmount),
        ("USD", EmptyAmount),
        ("0", ZeroAmount),
        ("0.00", ZeroAmount),
        ("0,0", ZeroAmount),
        ("000", ZeroAmount),
        ("0.000", ZeroAmount),
        ("-5", NegativeAmount),
        ("-0", NegativeAmount),
        ("-0.00", NegativeAmount),
        ("\u22125", NegativeAmount),  # the typographic minus sign
        ("NaN", NotANumber),
        ("nan", NotANumber),
        ("inf", NotANumber),
        ("Infinity", NotANumber),
        ("∞", NotANumber),
        ("1e3", ExponentNotAllowed),
        ("1E3", ExponentNotAllowed),
        ("1.5e2", ExponentNotAllowed),
        ("2e-2", ExponentNotAllowed),
        ("1_000", UnderscoreNotAllowed),
        ("1_0.50", UnderscoreNotAllowed),
        ("١٢", NonAsciiDigits),  # Arabic-Indic twelve
        ("1٢", NonAsciiDigits),
        ("１２", NonAsciiDigits),  # fullwidth
        ("1,5.30", AmbiguousDecimalMark),  # "1,5" groups no thousands: which mark is which?
        ("1.000,50.5", AmbiguousDecimalMark),
        ("1000,000.50", AmbiguousDecimalMark),
        ("1,000,00", MalformedAmount),
        ("12.5051", TooManyDecimals),
        ("1 012,999", TooManyDecimals),  # grouped thousands: the comma is the decimal mark
        ("0.001", TooManyDecimals),
        ("1,000", AmbiguousThousands),  # a thousand, or one with three decimals: never guessed
        ("1.000", AmbiguousThousands),
        ("12.505", AmbiguousThousands),
        ("999,999", AmbiguousThousands),
        ("1 00", MalformedAmount),
        ("10 00,50", MalformedAmount),
        ("1000 000", MalformedAmount),
        ("1  000", MalformedAmount),
        ("1 000 00", MalformedAmount),
        ("12,50 0", MalformedAmount),
        ("1.2.3", MalformedAmount),
        ("12abc", MalformedAmount),
        ("+12", MalformedAmount),
        (".", MalformedAmount),
        ("12 EUR", WrongCurrency),
    ],
)
def test_each_mistake_has_its_own_error(text: str, error: type[AmountError]) -> None:
    assert type(refusal(text)) is error


@pytest.mark.parametrize("currency", CURRENCIES, ids=lambda c: c.code)
@pytest.mark.parametrize("text", ["1,000", "1.000", "25,000", "1,500", "999.999", "1.000 KWD"])
def test_1_000_is_refused_alike_whatever_the_currencys_decimals(
    currency: Currency, text: str
) -> None:
    """In KWD (three decimals) "1,000" was read as one dinar while USD refused it: a thousand
    or one, the same text can mean either, so every currency refuses it with the same error."""
    if text.endswith("KWD") and currency is not KWD:
        text = text.replace("KWD", currency.code)
    assert type(refusal(text, currency)) is AmbiguousThousands


@pytest.mark.parametrize(
    ("text", "minor"),
    [("1 000", 1_000_000), ("1 000,5", 1_000_500), ("0,500", 500), ("1.5", 1_500), ("12", 12_000)],
)
def test_three_decimal_amounts_other_than_that_shape_still_read(text: str, minor: int) -> None:
    assert parse_amount(text, KWD) == minor


@pytest.mark.parametrize(
    "text",
    [
        "100 JPY",
        "JPY 100",
        "JPY100",
        "100JPY",
        "100 jpy",
        "¥100",
        "¥ 100",
        "100¥",
        "100€",
        "€ 100",
        "EUR 5",
        "5 eur",
        "£5",
        "100 RUB",
        "₽100",
        "R$5",
        "C$5",
        "5 kr",
        "-€5",
    ],
)
def test_another_currency_before_or_after_the_amount_is_refused_by_name(text: str) -> None:
    error = refusal(text)
    assert isinstance(error, WrongCurrency) and error.expected == "USD" and error.given != "USD"


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("5 usd", USD, 500),
        ("5 Usd", USD, 500),  # was refused as "in USD, not USD"
        ("USD 5", USD, 500),
        ("$ 5", USD, 500),
        ("5 $", USD, 500),
        ("5$", USD, 500),
        ("US$5", USD, 500),
        ("$5 USD", USD, 500),
        ("$5", Currency.of("CAD"), 500),  # a dollar bot other than USD takes its "$"
        ("100 ¥", JPY, 100),
        ("JPY100", JPY, 100),
        ("€5", Currency.of("EUR"), 500),
    ],
)
def test_the_bots_own_currency_is_accepted_and_dropped(
    text: str, currency: Currency, minor: int
) -> None:
    assert parse_amount(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "amount", "rest"),
    [
        ("100 JPY lunch", "100 JPY", " lunch"),
        ("JPY 100 lunch", "JPY 100", " lunch"),
        ("¥ 100 @bob", "¥ 100", " @bob"),
        ("5 € tip", "5 €", " tip"),
        ("5 usd", "5 usd", ""),
        ("5 RUB", "5 RUB", ""),
        ("5 try this", "5", " try this"),  # an everyday word stays the note's...
        ("5 TRY", "5 TRY", ""),  # ...and is a currency in capitals
        ("5 rub it in", "5", " rub it in"),
        ("5 lunch", "5", " lunch"),
        ("lunch 5", "lunch", " 5"),
        ("USD lunch", "USD", " lunch"),
        ("   ", None, ""),
    ],
)
def test_split_amount_keeps_the_currency_with_its_number(
    text: str, amount: str | None, rest: str
) -> None:
    assert split_amount(text) == (amount, rest)
    assert split_amount(text, longest=True) == (amount, rest)


@pytest.mark.parametrize(
    ("text", "amount", "rest"),
    [
        # The longest amount: groups of three digits go on the number, as typed alone.
        ("1 000 x", "1 000", " x"),
        ("1 000 000,50 rent", "1 000 000,50", " rent"),
        ("USD 1 000 rent", "USD 1 000", " rent"),
        ("$1 000 rent", "$1 000", " rent"),
        ("1 000 USD rent", "1 000 USD", " rent"),
        ("1 000€ rent", "1 000€", " rent"),
        ("10 100th birthday", "10", " 100th birthday"),
        ("12.50 000", "12.50", " 000"),
        ("1234 567", "1234", " 567"),
    ],
)
def test_the_longest_amount_takes_groups_of_three_digits(
    text: str, amount: str | None, rest: str
) -> None:
    assert split_amount(text, longest=True) == (amount, rest)
    assert split_amount("10 500") == ("10", " 500")  # two numbers (/envelope 10 500)


def test_too_many_decimals_names_the_currency_decimals_and_never_rounds() -> None:
    assert refusal("12.5", JPY).decimals == 0  # type: ignore[attr-defined]
    assert refusal("12.0", JPY).decimals == 0  # type: ignore[attr-defined]
    assert refusal("1.2345", KWD).decimals == 3  # type: ignore[attr-defined]
    assert refusal("1.2345", USD).decimals == 2  # type: ignore[attr-defined]


def test_above_the_maximum_names_the_maximum() -> None:
    assert parse_amount("1000.00", USD, maximum=100_000) == 100_000
    too_much = refusal("1000.01", USD, maximum=100_000)
    assert isinstance(too_much, AmountTooLarge) and too_much.maximum == 100_000
    beyond = refusal("1" + "0" * 30, USD)
    assert isinstance(beyond, AmountTooLarge) and beyond.maximum == MAX_MINOR
    assert parse_amount(format_amount(MAX_MINOR, USD), USD) == MAX_MINOR
    assert type(refusal("92233720368547758.08", USD)) is AmountTooLarge


# --- properties ----------------------------------------------------------------------------

currencies = st.sampled_from(CURRENCIES)
styles = st.sampled_from(["en", "fr"])
amounts = st.one_of(st.integers(1, 10**7), st.integers(1, MAX_MINOR))


@given(minor=amounts, currency=currencies, style=styles, code=st.booleans())
@example(minor=MAX_MINOR, currency=USD, style="fr", code=True)
@example(minor=1, currency=KWD, style="en", code=False)
def test_format_then_parse_round_trips(
    minor: int, currency: Currency, style: str, code: bool
) -> None:
    assert_reads_back(minor, currency, style=style, code=code)


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    return separator.join(
        [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    )


@given(
    whole=st.integers(0, 10**12),
    fraction=st.data(),
    currency=currencies,
    separator=st.sampled_from(["", *SEPARATORS]),
    mark=st.sampled_from([".", ","]),
)
def test_what_people_type_means_what_they_meant(
    whole: int, fraction: st.DataObject, currency: Currency, separator: str, mark: str
) -> None:
    """Any grouping separator, either decimal mark, any number of decimals up to the currency's."""
    places = fraction.draw(st.integers(0, currency.exponent), label="places")
    decimals = fraction.draw(st.text("0123456789", min_size=places, max_size=places))
    text = _group(str(whole), separator) + (mark + decimals if decimals else "")
    expected = whole * 10**currency.exponent + int(decimals.ljust(currency.exponent, "0") or "0")
    if expected == 0:
        assert type(refusal(text, currency)) is ZeroAmount
    elif 1 <= whole <= 999 and len(decimals) == 3:  # "1,500": 1500 or 1.5? never guessed
        assert type(refusal(text, currency)) is AmbiguousThousands
    else:
        assert parse_amount(text, currency) == expected


@given(minor=amounts, currency=currencies, style=styles, maximum=st.integers(1, MAX_MINOR))
def test_the_maximum_is_exact(minor: int, currency: Currency, style: str, maximum: int) -> None:
    text = format_amount(minor, currency, style=style)
    if shown_like_1_000(minor, currency):
        assert type(refusal(text, currency, maximum)) is AmbiguousThousands
    elif minor <= maximum:
        assert parse_amount(text, currency, maximum=maximum) == minor
    else:
        error = refusal(text, currency, maximum)
        assert isinstance(error, AmountTooLarge) and error.maximum == maximum


@given(minor=amounts, currency=currencies, style=styles, extra=st.text("0123456789", min_size=1))
def test_more_decimals_than_the_currency_has_is_refused_not_rounded(
    minor: int, currency: Currency, style: str, extra: str
) -> None:
    text = format_amount(minor, currency, style=style, code=False)
    mark = "," if style == "fr" else "."
    if currency.exponent == 0:
        text += mark
    added = extra.rstrip("0") + "1"
    error = refusal(text + added, currency)
    whole = minor // 10**currency.exponent
    if currency.exponent + len(added) == 3 and 1 <= whole <= 999:
        assert type(error) is AmbiguousThousands  # "12.501": refused too, as a maybe-thousand
    else:
        assert type(error) is TooManyDecimals and error.decimals == currency.exponent


@given(minor=amounts, currency=currencies, style=styles, sign=st.sampled_from(["-", "\u2212"]))
def test_negative_amounts_are_refused(
    minor: int, currency: Currency, style: str, sign: str
) -> None:
    text = format_amount(minor, currency, style=style)
    assert type(refusal(sign + text, currency)) is NegativeAmount


@given(minor=amounts, currency=currencies, at=st.data())
def test_underscores_are_refused(minor: int, currency: Currency, at: st.DataObject) -> None:
    digits = str(minor)
    cut = at.draw(st.integers(1, max(len(digits) - 1, 1)))
    assert type(refusal(digits[:cut] + "_" + digits[cut:], currency)) is UnderscoreNotAllowed


@given(
    mantissa=st.integers(0, 10**6),
    power=st.integers(-20, 20),
    e=st.sampled_from(["e", "E"]),
    currency=currencies,
)
def test_exponents_are_refused(mantissa: int, power: int, e: str, currency: Currency) -> None:
    assert type(refusal(f"{mantissa}{e}{power}", currency)) is ExponentNotAllowed


non_ascii_digit = st.characters(categories=["Nd"]).filter(lambda ch: not "0" <= ch <= "9")


@given(minor=amounts, digit=non_ascii_digit, at=st.data())
def test_digits_other_than_0_to_9_are_refused(minor: int, digit: str, at: st.DataObject) -> None:
    digits = str(minor)
    cut = at.draw(st.integers(0, len(digits)))
    assert type(refusal(digits[:cut] + digit + digits[cut:])) is NonAsciiDigits


@given(whole=st.integers(1, 10**9), cents=st.integers(0, 99), dot_first=st.booleans())
def test_both_marks_read_only_when_one_groups_thousands(
    whole: int, cents: int, dot_first: bool
) -> None:
    """ "1,000.50" and "1.000,50" are a thousand and fifty cents; "1234,000.50" groups no
    thousands, so which mark is the decimal one is a guess, refused."""
    first, second = (".", ",") if dot_first else (",", ".")
    text = f"{whole}{first}000{second}{cents:02d}"
    if whole < 1000:
        assert parse_amount(text, USD) == (whole * 1000) * 100 + cents
    else:
        assert type(refusal(text)) is AmbiguousDecimalMark


@given(
    head=st.integers(1, 999),
    groups=st.lists(st.integers(0, 10**5), min_size=1, max_size=4),
    separator=st.sampled_from(SEPARATORS),
)
def test_bad_grouping_is_refused(head: int, groups: list[int], separator: str) -> None:
    parts = [str(head)] + [str(g) for g in groups]
    if all(len(p) == 3 for p in parts[1:]):
        parts[-1] += "0"  # make at least one group the wrong size
    assert type(refusal(separator.join(parts) + ",50")) is MalformedAmount


@given(text=st.text(max_size=30), currency=currencies)
@example(text="12\n\u200b", currency=USD)
@example(text="1\n\u200b", currency=JPY)
def test_any_text_is_an_amount_or_a_typed_refusal(text: str, currency: Currency) -> None:
    """Whatever arrives from the chat, the parser answers with an amount or an AmountError,
    never with another exception (which would reach the user as a crash)."""
    try:
        minor = parse_amount(text, currency)
    except AmountError:
        return
    assert isinstance(minor, int) and 0 < minor <= MAX_MINOR
    assert_reads_back(minor, currency)


@given(
    text=st.text(alphabet="0123456789 .,\u00a0\u202f\u200b\n\t-_eE", max_size=20),
    currency=currencies,
)
def test_numberish_text_is_an_amount_or_a_typed_refusal(text: str, currency: Currency) -> None:
    try:
        minor = parse_amount(text, currency)
    except AmountError:
        return
    assert isinstance(minor, int) and 0 < minor <= MAX_MINOR
    # What was accepted is exactly the digits typed: no digit is dropped or invented.
    assert set(text.strip().replace("\u200b", "")) <= set("0123456789 .,\u00a0\u202f")
