"""Per-user rate limiting of payment actions: /send, /request, and presses of Confirm and Pay.

Each user may take ``settings.rate_limit_per_minute`` payment actions in any sliding minute.
The windows live in memory (``bot_data``) and read time from ``bot_data["clock"]``, so tests
move it; a restart forgets them, which errs on the side of letting people pay.

The gate runs before every other handler (group -2, ahead of the directory refresh), so an
action over the limit costs no database work: it is answered and dropped. A flood of commands
gets one "slow down" message, not one per command (answering a flood with a flood would get
the bot throttled by Telegram for everyone); every press over the limit is still answered, as
every button press must be. One user's flood never slows anyone else.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    TypeHandler,
    filters,
)

from bot import buttons
from bot.common import Context, answer, now, settings_of
from bot.texts import language_of, t

log = logging.getLogger(__name__)

GROUP = -2  # before bot.people's refresh (group -1) and every feature (group 0)
WINDOW_SECONDS = 60.0
_WINDOWS = "rate_windows"
_PRUNE_ABOVE = 10_000  # users tracked before idle windows are dropped


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


@dataclass
class Window:
    """One user's recent payment actions (clock timestamps, oldest first)."""

    moments: deque[float] = field(default_factory=deque)
    warned: bool = False  # told to slow down since their last admitted action


def payment_action(update: Update) -> str | None:
    """What kind of payment action the update is ("command" or "press"), or None."""
    query = update.callback_query
    if query is not None:
        return "press" if (query.data or "").startswith(_PRESSES) else None
    return "command" if _COMMANDS.check_update(update) else None


def admit(bot_data: dict[str, Any], user_id: int, moment: float, limit: int) -> Window | None:
    """Count an action of ``user_id`` at ``moment``; None when it is within the limit, else
    the user's window (the action is not counted: only admitted actions fill the window)."""
    windows: dict[int, Window] = bot_data.setdefault(_WINDOWS, {})
    window = windows.setdefault(user_id, Window())
    while window.moments and moment - window.moments[0] >= WINDOW_SECONDS:
        window.moments.popleft()
    if len(window.moments) >= limit:
        return window
    window.moments.append(moment)
    window.warned = False
    if len(windows) > _PRUNE_ABOVE:
        _prune(windows, moment)
    return None


def _prune(windows: dict[int, Window], moment: float) -> None:
    for user_id in [u for u, w in windows.items() if moment - w.moments[-1] >= WINDOW_SECONDS]:
        del windows[user_id]


async def gate(update: Update, context: Context) -> None:
    """Lets a payment action through, or answers "slow down" and drops it."""
    user = update.effective_user
    kind = payment_action(update)
    if kind is None or user is None:
        return
    moment = now(context).timestamp()
    window = admit(context.bot_data, user.id, moment, settings_of(context).rate_limit_per_minute)
    if window is None:
        return
    # The directory refresh has not run for this update; earlier updates picked the language.
    reader = (context.user_data or {}).get("lang") or language_of(user.language_code)
    text = t(reader, "ratelimit.slow_down")
    if update.callback_query is not None:
        await answer(update.callback_query, text, alert=True)
    elif not window.warned and update.effective_message is not None:
        window.warned = True
        await update.effective_message.reply_text(text)
    else:
        log.info(
            "user %s is over the payment rate limit; update %s dropped", user.id, update.update_id
        )
    raise ApplicationHandlerStop


def register(application: Application) -> None:
    application.add_handler(TypeHandler(Update, gate), group=GROUP)
