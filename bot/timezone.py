"""/timezone: the time zone every time the bot shows you is written in (``/timezone
Europe/Paris``; ``/timezone`` alone says which one is set; UTC by default)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.common import Context, Refusal, lang, ledger_of, now, refuse, tell_privately
from bot.people import registered_sender
from bot.render import local_time
from bot.texts import t

COMMANDS = [("timezone", "menu.timezone")]
_KNOWN: frozenset[str] = frozenset()


def known_zone(text: str) -> str | None:
    """The IANA name ``text`` writes, in its own case ("europe/paris" -> "Europe/Paris"), or
    None when there is none by that name."""
    global _KNOWN
    if not _KNOWN:
        _KNOWN = frozenset(available_timezones()) | {"UTC"}
    wanted = text.strip()
    found = next((name for name in _KNOWN if name.lower() == wanted.lower()), None)
    if found is None:
        return None
    try:
        ZoneInfo(found)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return found


async def timezone(update: Update, context: Context) -> None:
    """Sets the time zone from /timezone <name>, or says which one is set."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader = lang(context)
    try:
        person = await registered_sender(context, user)
        wanted = " ".join(context.args or [])
        if not wanted:
            current = person.time_zone or "UTC"
            await tell_privately(update, context, t(reader, "timezone.current", zone=current))
            return
        found = known_zone(wanted)
        if found is None:
            raise Refusal("timezone.unknown", text=wanted[:40])
    except Refusal as error:
        await refuse(update, context, error)
        return
    await ledger_of(context).directory.set_time_zone(user.id, found)
    moment: datetime = now(context)
    await tell_privately(
        update,
        context,
        t(reader, "timezone.set", zone=found, now=local_time(reader, moment, found)),
    )


def register(application: Application) -> None:
    application.add_handler(
        CommandHandler("timezone", timezone, filters=filters.UpdateType.MESSAGE)
    )
