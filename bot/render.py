"""How things look in a message: money per language, people, times, transfer states.

Everything returned as ``Html`` is safe to insert in a template: user-supplied text (names,
notes) is escaped here, once.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_skeleton, format_time

from bot.texts import Html, t
from ledger import Currency, Person, format_amount

_TAG = re.compile(r"<[^>]+>")


def money(lang: str, minor: int, currency: Currency, *, code: bool = True) -> str:
    """An amount the way ``lang`` writes it: 12.50 USD / 12,50 USD (without the code: 12.50)."""
    return format_amount(minor, currency, style=lang, code=code)


def who(person: Person | None, lang: str = "en") -> Html:
    """A person as others see them: @username, else their name; the bank for system accounts."""
    if person is None:
        return Html(t(lang, "who.system"))
    if person.username:
        return Html("@" + html.escape(person.username))
    return Html(f'<a href="tg://user?id={int(person.id)}">{html.escape(person.name)}</a>')


def memo(text: str) -> Html:
    """A note as a suffix (" — lunch"), or nothing."""
    return Html(f" — <i>{html.escape(text)}</i>" if text else "")


def when(lang: str, moment: datetime) -> str:
    """A date and time in UTC, written the way ``lang`` writes dates."""
    if lang == "fr":
        return moment.strftime("%d/%m/%Y %H:%M UTC")
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def zone(name: str | None) -> ZoneInfo:
    """A time zone by its IANA name; UTC for None or a name this system does not know."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_time(lang: str, moment: datetime, time_zone: str | None = None) -> str:
    """A date and time the way ``lang`` writes them (CLDR, by Babel), in ``time_zone``
    (a person's /timezone; UTC by default), named after it: "Nov 22, 2026, 12:00 PM UTC",
    "22 nov. 2026, 13:00 Europe/Paris"."""
    tz = zone(time_zone)
    date = format_skeleton("yMMMd", moment, tzinfo=tz, locale=lang)
    time = format_time(moment, "short", tzinfo=tz, locale=lang)
    return f"{date}, {time} {tz.key}"


def minutes(seconds: int) -> int:
    """Whole minutes, rounded up, for "expires in N min"."""
    return max(1, -(-seconds // 60))


def plain(text: str) -> str:
    """A catalogue text without markup, for places Telegram shows raw (button alerts)."""
    return html.unescape(_TAG.sub("", text))
