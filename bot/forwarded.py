"""Forwarded messages never run commands. A forwarded "/credit @bob 77 as agreed" is someone
else's words: run, it would act as whoever forwarded it (an admin, say). It is stopped before
every other handler (the rate limiter and the directory refresh included): in a private chat
the forwarder is told, in one line, that forwarded commands are not run; in a group it is
ignored silently, since forwarding a message that happens to start with "/" is ordinary
conversation there and the bot cannot tell which bot it was meant for.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, MessageHandler, filters

from bot.common import Context, is_private, ledger_of
from bot.people import language_for
from bot.texts import language_of, t

GROUP = -3  # before bot.ratelimit (-2), bot.people (-1) and every feature (0)


async def refuse_forwarded(update: Update, context: Context) -> None:
    """Stops a forwarded command; privately, says why."""
    message, user = update.effective_message, update.effective_user
    if message is not None and is_private(update):
        known = await ledger_of(context).directory.get(user.id) if user else None
        reader = language_for(known) if known else language_of(user.language_code if user else None)
        await message.reply_text(t(reader, "common.forwarded_command"))
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(
        MessageHandler(filters.FORWARDED & filters.COMMAND, refuse_forwarded), group=GROUP
    )
