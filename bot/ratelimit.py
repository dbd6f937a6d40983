"""Per-user rate limiting of payment actions: /send, /request, and presses of Confirm and Pay.

Each user may take ``settings.rate_limit_per_minute`` payment actions in any sliding minute.
The windows live in the database (``SharedState.admit``, migration 0006), so the limit holds
across every worker and every restart: one statement per action, which on PostgreSQL counts
under the user's row lock, so actions reaching several workers at the same moment cannot pass
it together. Times are the ledger's clock (the database's; tests move theirs).

The gate runs before every other handler (group -2, ahead of the directory refresh), so an
action over the limit is answered and dropped before any other work. Refused commands are
answered "slow down" at most once per ``TELL_EVERY`` (answering a flood with a flood would
get the bot throttled by Telegram for everyone), and never left in silence longer than that;
every press over the limit is still answered, as every button press must be. One user's
flood never slows anyone else.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
    CommandHandler,
    TypeHandler,
    filters,
)

from bot import buttons
from bot.common import BotApplication, Context, answer, ledger_of, post, settings_of
from bot.people import language_for
from bot.texts import language_of, t
from ledger.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

GROUP = -2  # before bot.people's refresh (group -1) and every feature (group 0)
WINDOW = timedelta(minutes=1)
TELL_EVERY = timedelta(seconds=10)  # a refused command is answered at most this often


async def _never_called(update: Update, context: Context) -> None:
    """The matcher below only recognises commands; the feature handlers act on them."""


# The payment commands, recognised exactly as their handlers recognise them (a new message,
# /send, /request, /link or /envelope, bare or addressed to this bot, never /send@another_bot).
_COMMANDS = CommandHandler(
    ("send", "request", "link", "envelope"), _never_called, filters=filters.UpdateType.MESSAGE
)
_PRESSES = (
    buttons.CARD_CONFIRM,
    buttons.REQUEST_PAY,
    buttons.CHEQUE_ACCEPT,  # cheques, escrow and envelopes move money too (issue 14)
    buttons.CHEQUE_ESCROW,
    buttons.ENVELOPE_OPEN,
)


def payment_action(update: Update) -> str | None:
    """What kind of payment action the update is ("command" or "press"), or None."""
    query = update.callback_query
    if query is not None:
        return "press" if (query.data or "").startswith(_PRESSES) else None
    return "command" if _COMMANDS.check_update(update) else None


async def gate(update: Update, context: Context) -> None:
    """Lets a payment action through, or answers "slow down" and drops it."""
    user = update.effective_user
    kind = payment_action(update)
    if kind is None or user is None:
        return
    shared = ledger_of(context).shared
    try:
        if await shared.admit(user.id, settings_of(context).rate_limit_per_minute, WINDOW):
            return
    except DatabaseUnavailable:
        # Nothing can be counted, and nothing can be paid either: the handler meets the
        # same outage and says so in its own words (for /send: nothing was charged).
        log.warning("rate limit not checked for update %s: database unavailable", update.update_id)
        return
    # The directory refresh has not run for this update: the language is looked up here.
    known = await ledger_of(context).directory.get(user.id)
    reader = language_for(known) if known else language_of(user.language_code)
    text = t(reader, "ratelimit.slow_down")
    if update.callback_query is not None:
        await answer(update.callback_query, text, alert=True)
    elif (message := update.effective_message) is not None and await shared.tell_refused(
        user.id, TELL_EVERY
    ):
        post(context, message.chat_id, text, reply_to=message.message_id)  # no flood wait
    else:
        log.info(
            "user %s is over the payment rate limit; update %s dropped", user.id, update.update_id
        )
    raise ApplicationHandlerStop


async def forget(application: BotApplication) -> None:
    """Drops actions out of every window, so the table stays small."""
    await application.bot_data["ledger"].shared.forget_actions(WINDOW)


async def forget_job(context: Context) -> None:
    """Runs ``forget`` on the job queue's schedule."""
    await forget(context.application)


def register(application: BotApplication) -> None:
    application.add_handler(TypeHandler(Update, gate), group=GROUP)
    interval = application.bot_data["settings"].sweep_interval_seconds
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            forget_job, interval=interval, first=interval, name="rate-limit-forget"
        )
