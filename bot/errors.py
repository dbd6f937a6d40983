"""The global error handler: log the failed update, tell the user the truth about their money.

Handlers catch the refusals they expect; what reaches this handler is an outage or a bug. The
user is told that something failed and nothing was charged, which is true unless the update had
already moved money (``note_money_moved``); then they are told to check /history instead.
Harmless Bot API noise (an edit that changes nothing, a button answered too late, a user who
blocked the bot) is logged quietly; flood control is logged, since no message could get through.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot import metrics
from bot.common import Context, lang, money_moved
from bot.render import plain
from bot.texts import t
from ledger.errors import DatabaseUnavailable

log = logging.getLogger(__name__)

_HARMLESS = ("message is not modified", "query is too old", "query id is invalid")


async def on_error(update: object, context: Context) -> None:
    """Logs the failure with its update id and tells the user what became of their money."""
    error = context.error
    update_id = update.update_id if isinstance(update, Update) else None
    if isinstance(error, BadRequest) and any(s in error.message.lower() for s in _HARMLESS):
        log.info("update %s: ignored Bot API answer: %s", update_id, error.message)
        return
    if isinstance(error, Forbidden):
        log.warning("update %s: %s", update_id, error.message)
        return
    if isinstance(error, RetryAfter):
        log.warning("update %s: flood control, retry after %s", update_id, error.retry_after)
        return
    if isinstance(error, DatabaseUnavailable):
        metrics.DATABASE_ERRORS.inc()
        log.error("update %s failed: database unavailable", update_id)
    else:
        log.error("update %s failed", update_id, exc_info=error)
    if not isinstance(update, Update) or update.effective_user is None:
        return
    reader = lang(context)
    if money_moved(context, update):
        key = "error.after_money_moved"
    elif isinstance(error, DatabaseUnavailable):
        key = "error.database_unavailable"
    else:
        key = "error.failed"
    await _tell(update, context, t(reader, key))


async def _tell(update: Update, context: Context, text: str) -> None:
    """An alert on the pressed button, else (or if the press was answered already) a message."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(plain(text), show_alert=True)
            return
        except TelegramError:
            pass  # answered before the failure; say it in the chat instead
    if update.effective_chat is None:
        return
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError as failure:
        log.warning(
            "update %s: could not tell the user about the failure: %s",
            update.update_id,
            failure.message,
        )
