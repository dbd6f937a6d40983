"""What every feature module shares: the objects in ``bot_data``, the reader's language, the
refusals a handler can give and how they are put into words, delivery of messages that must
not break a handler, and the replies to unknown commands and stale buttons.
"""

from __future__ import annotations

import logging
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, TypeAlias, TypedDict

from telegram import Bot, CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    CallbackContext,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    Job,
    MessageHandler,
    filters,
)

from bot.render import money, plain
from bot.settings import Settings
from bot.texts import CATALOGUE, DEFAULT_LANGUAGE, t
from ledger import Currency, Ledger
from ledger.errors import AccountFrozen, AlreadyResolved, MemoTooLong, TooManyDecimals

if TYPE_CHECKING:
    from bot.flood import Outgoing
    from ledger.payments import Payments
    from ledger.payments.cheques import Cheques
    from ledger.payments.envelopes import Envelopes
    from ledger.payments.funding import Fundings
    from ledger.payments.links import PaymentLinks

log = logging.getLogger(__name__)


class BotData(TypedDict, total=False):
    """Every key the bot keeps in ``bot_data``, so mypy checks each read and write. Only
    this process's objects and memory: what workers share lives in the database."""

    ledger: Ledger
    owns_ledger: bool  # made by post_init from the settings, so closed at shutdown
    settings: Settings
    clock: Callable[[], datetime]
    payments: Payments  # the payments service over ``ledger`` (bot.outbox.payments_of)
    cheques: Cheques  # the cheque workflows over ``payments`` (bot.cheques.cheques_of)
    envelopes: Envelopes  # red envelopes over ``cheques`` (bot.envelopes.envelopes_of)
    links: PaymentLinks  # payment links over ``payments`` (bot.links.links_of)
    fundings: Fundings  # top-ups, payouts, refunds over ``ledger`` (bot.funding.funding_of)
    outgoing: Outgoing  # messages queued per chat, sent at the chat's pace (bot.flood)
    money_moved: dict[int, None]  # update ids that moved money (note_money_moved)
    cards_showing: set[str]  # refs of holds whose card is being put on screen
    expiry_due: deque[int]  # whole seconds at which shown holds fall due, ascending
    expiry_timer: tuple[int, Job[Any]]  # the second the expiry timer is set for, its job
    presses_abandoned: OrderedDict[str, str]  # ref -> key of a Confirm whose answer was lost
    # What other features do with a text or a /cancel that /send's conversation does not
    # take (bot.send.TEXT_FALLBACKS): a /request waiting for its amount, plain text.
    text_fallbacks: list[Callable[[Any, Any], Awaitable[bool]]]
    cancel_fallbacks: list[Callable[[Any, Any], Awaitable[bool]]]
    thanked: dict[str, None]  # refs of payments thanked from this process (bot.receipts)


# The types of every callback's ``context`` and of the application: bot_data is a BotData.
Context: TypeAlias = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
# The application as functions that read its bot_data take it; the other parameters stay open
# (``context.application`` leaves the context type unbound).
BotApplication: TypeAlias = Application[Any, Any, Any, Any, BotData, Any]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)

# Error fields that are amounts of money (minor units) and are written as such.
_MONEY_FIELDS = {"available", "amount", "remaining", "limit", "maximum"}
_MOVED_KEPT = 1_000


def ledger_of(context: Context) -> Ledger:
    return context.bot_data["ledger"]


def settings_of(context: Context) -> Settings:
    return context.bot_data["settings"]


def now(context: Context) -> datetime:
    """The current time, from the clock the application was built with (tests move it)."""
    return context.bot_data["clock"]()


_READER = "reader_language"  # an attribute of the update's context (one per update)


def lang(context: Context) -> str:
    """The language of whoever sent this update (picked by ``bot.people.refresh``)."""
    return getattr(context, _READER, DEFAULT_LANGUAGE)


def set_lang(context: Context, code: str) -> None:
    """Pick the language this update is answered in. Kept on the update's context, not in
    ``user_data``: a process keeps nothing per person (memory must not grow with every
    stranger, and another worker may see their next update)."""
    setattr(context, _READER, code)


class Refusal(Exception):
    """A check in the chat layer said no; ``key`` names the catalogue text, ``values`` fill it."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


def explain(lang: str, error: Exception, currency: Currency) -> str:
    """The catalogue message for a Refusal or a typed ledger error, with its figures."""
    if isinstance(error, Refusal):
        return t(lang, error.key, **error.values)
    code = getattr(error, "code", "ledger_error")
    if isinstance(error, AccountFrozen):
        code = f"{code}.{error.side}"
    elif isinstance(error, AlreadyResolved):
        code = f"{code}.{error.state}"
    elif isinstance(error, TooManyDecimals) and not error.decimals:
        code = f"{code}.none"
    if f"refusal.{code}" not in CATALOGUE:
        code = "ledger_error"
    values = {k: v for k, v in vars(error).items() if not k.startswith("_")}
    for name in _MONEY_FIELDS & values.keys():
        if isinstance(values[name], int) and not isinstance(error, MemoTooLong):
            values[name] = money(lang, values[name], currency)
    return t(lang, f"refusal.{code}", **values)


# Refusals that tell a figure (what someone has, may still send, a limit) or anything about
# a person or their account (frozen, unknown, never started, blocked the bot). In a group
# they go to the sender privately, and the group hears one line that is the same for every
# one of them, so it cannot tell "unknown" from "not started" from "frozen", nor learn
# anyone's balance.
_DISCREET = frozenset(
    {
        "insufficient_funds",
        "daily_limit",
        "over_transfer_max",
        "account_frozen",
        "people.unknown",
        "people.not_started",
        "request.undeliverable",  # the payer blocked the bot
        "request_refused",  # the payer's account is frozen
    }
)


def discreet(error: Exception) -> bool:
    """Whether a refusal is for the sender's eyes only (see ``_DISCREET``)."""
    key = error.key if isinstance(error, Refusal) else getattr(error, "code", "")
    return key in _DISCREET


async def refuse(update: Update, context: Context, error: Exception, then: str = "") -> None:
    """Say why a user's command was refused, and ``then`` (what to do next), as a reply. A
    discreet refusal in a group goes to the sender privately; the group hears only that they
    were told privately (or, when they cannot be written to, how to open a private chat)."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    reader = lang(context)
    text = explain(reader, error, ledger_of(context).currency)
    if not is_private(update) and discreet(error):
        told = await send_private(context.bot, user.id, text)
        key = "common.told_privately" if told else "common.start_privately"
        text = t(reader, key, link=start_link(context.bot))
    await message.reply_text(text + ("\n\n" + then if then else ""))


async def answer(query: CallbackQuery, text: str | None = None, *, alert: bool = False) -> None:
    """Answer a button press (``text`` from the catalogue, shown without markup). A press
    answered too late is logged, not raised: what it asked for was done or refused all the
    same, and the rest of the handler (editing the card, telling the recipient) must run."""
    try:
        await query.answer(plain(text) if text else None, show_alert=alert)
    except BadRequest as error:
        reason = error.message.lower()
        if "query is too old" not in reason and "query id is invalid" not in reason:
            raise
        log.info("button press %s answered too late: %s", query.id, error.message)


# A keyboard as PTB's object or as its JSON (``keyboard``): the Bot API calls take either.
Markup = InlineKeyboardMarkup | dict[str, Any]


class Sent(NamedTuple):
    """Where a message the bot sent landed: all a handler needs of Telegram's answer."""

    chat_id: int
    message_id: int


async def call_api(bot: Bot, method: str, params: dict[str, Any]) -> Any:
    """One Bot API call whose answer is used raw (Telegram's JSON) or not at all, sent with the
    bot's defaults (parse mode, link previews) exactly as its own methods would send them.

    Why not ``bot.send_message``: python-telegram-bot turns every message it gets back into a
    ``telegram.Message`` (about a hundred attributes, each set through a checking
    ``__setattr__``), ~165 µs of CPU each on the benchmark's machine, five times the call
    itself; a payment gets three back and reads none of them (``python -m bot.bench``). The
    request goes through the same ``Bot._post`` as every PTB method, so the rate limiter,
    the error types (``BadRequest``, ``Forbidden``, ...) and the request layer are the same;
    tests/bot/test_api_calls.py checks that the parameters match PTB's own methods."""
    defaults = getattr(bot, "defaults", None)
    if defaults is not None and "text" in params:
        if defaults.parse_mode is not None:
            params.setdefault("parse_mode", defaults.parse_mode)
        if defaults.link_preview_options is not None:
            params.setdefault("link_preview_options", _as_json(defaults.link_preview_options))
    return await bot._post(method, params)  # PTB's private entry point: see above


_JSON_OF: dict[int, tuple[TelegramObject, dict[str, Any]]] = {}


def _as_json(value: TelegramObject) -> dict[str, Any]:
    """A settings object (the bot's defaults) as the JSON it is sent as, converted once: PTB
    would otherwise copy and convert it again on every call."""
    found = _JSON_OF.get(id(value))
    if found is None or found[0] is not value:
        found = _JSON_OF[id(value)] = (value, value.to_dict())
    return found[1]


def keyboard(*rows: list[tuple[str, str]]) -> Markup:
    """An inline keyboard of (label, callback data) buttons as the JSON Telegram takes: the
    cards every payment shows skip building and converting PTB's button objects."""
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in rows
        ]
    }


async def send_text(bot: Bot, chat_id: int, text: str, reply_markup: Markup | None = None) -> Sent:
    """``bot.send_message`` without building a Message from the answer."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    result = await call_api(bot, "sendMessage", params)
    return Sent(result["chat"]["id"], result["message_id"])


async def reply(message: Message, text: str, reply_markup: Markup | None = None) -> Sent:
    """``message.reply_text``: in a private chat (no quote, no topic) the same call without
    building a Message from the answer; elsewhere PTB's own (it quotes the message replied
    to, in its thread)."""
    if message.chat.type == ChatType.PRIVATE and message.business_connection_id is None:
        return await send_text(message.get_bot(), message.chat_id, text, reply_markup)
    # A dict goes out as the keyboard's JSON; PTB's annotation lists only its own objects.
    sent = await message.reply_text(text, reply_markup=reply_markup)  # type: ignore[arg-type]
    return Sent(sent.chat_id, sent.message_id)


def post(context: Context, chat_id: int, text: str, *, reply_to: int | None = None) -> None:
    """Send a message nobody waits for (a group's /help, "slow down"): queued for the chat
    and sent at its pace by ``bot.flood.Outgoing``, so no handler ever waits for Telegram's
    flood limits. The one way such messages go out; ``reply_to`` quotes a message."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text}
    if reply_to is not None:
        params["reply_parameters"] = {"message_id": reply_to, "allow_sending_without_reply": True}
    context.bot_data["outgoing"].post(context.bot, params)


async def answer_in_group(
    update: Update, context: Context, text: str, topic: str, every: timedelta
) -> None:
    """Answer a message in a group at most once per ``every`` for ``topic``, across every
    worker (the database decides), without waiting for the group's flood limit."""
    message = update.effective_message
    assert message is not None
    if await ledger_of(context).shared.throttle(message.chat_id, topic, every):
        post(context, message.chat_id, text, reply_to=message.message_id)
    else:
        log.info("chat %s: %s answered within the last %s; quiet", message.chat_id, topic, every)


GROUP_COMMANDS_EVERY = timedelta(minutes=1)  # /help and unknown commands, per group


def start_link(bot: Bot, payload: str | None = None) -> str:
    """The link that opens a private chat with the bot (and sends /start <payload>)."""
    return f"https://t.me/{bot.username}" + (f"?start={payload}" if payload else "")


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def send_private(
    bot: Bot, user_id: int, text: str, reply_markup: Markup | None = None
) -> Sent | None:
    """Write to a person privately; None (logged) when they blocked the bot or never started it."""
    try:
        return await send_text(bot, user_id, text, reply_markup)
    except Forbidden as error:
        log.warning("cannot write to user %s privately: %s", user_id, error.message)
    except BadRequest as error:
        if "chat not found" not in error.message.lower():
            raise
        log.warning("cannot write to user %s privately: %s", user_id, error.message)
    return None


async def tell_privately(
    update: Update, context: Context, text: str, reply_markup: Markup | None = None
) -> None:
    """Answer privately: in the private chat itself, or from a group by private message. The
    group hears only how to open a private chat, and only when the private message failed."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    if is_private(update):
        # A dict goes out as the keyboard's JSON (see reply()).
        await message.reply_text(text, reply_markup=reply_markup)  # type: ignore[arg-type]
        return
    if await send_private(context.bot, user.id, text, reply_markup) is None:
        await message.reply_text(
            t(lang(context), "common.start_privately", link=start_link(context.bot))
        )


async def edit_message(
    bot: Bot,
    chat_id: int,
    message_id: int,
    text: str,
    reply_markup: Markup | None = None,
) -> bool:
    """Edit a message the bot sent; False (logged) when it is gone or can no longer be edited.
    An edit that changes nothing counts as done."""
    params: dict[str, Any] = {"chat_id": chat_id, "message_id": message_id, "text": text}
    if reply_markup is not None:
        params["reply_markup"] = reply_markup
    try:
        await call_api(bot, "editMessageText", params)
    except BadRequest as error:
        reason = error.message.lower()
        if "not modified" in reason:
            return True
        if "not found" in reason or "can't be edited" in reason:
            log.warning("message %s in chat %s not edited: %s", message_id, chat_id, reason)
            return False
        raise
    except Forbidden as error:
        log.warning("message %s in chat %s not edited: %s", message_id, chat_id, error.message)
        return False
    return True


def note_money_moved(context: Context, update: object) -> None:
    """Remember that this update moved money, so a later failure is never reported to the
    user as "nothing was charged"."""
    if isinstance(update, Update):
        moved: dict[int, None] = context.bot_data.setdefault("money_moved", {})
        moved[update.update_id] = None
        while len(moved) > _MOVED_KEPT:
            moved.pop(next(iter(moved)))


def money_moved(context: Context, update: object) -> bool:
    return isinstance(update, Update) and update.update_id in context.bot_data.get(
        "money_moved", {}
    )


def addressed_to_me(message: Message, bot_username: str | None) -> bool:
    """A command written as /cmd@this_bot."""
    entity = (message.entities or (None,))[0]
    if entity is None or entity.offset != 0 or not message.text or not bot_username:
        return False
    command = message.text[: entity.length]
    return command.lower().endswith("@" + bot_username.lower())


async def reply_unknown_command(update: Update, context: Context) -> None:
    """Answers a command the bot does not know (or will not reveal) with a pointer to /help."""
    message = update.effective_message
    if message is None:
        return
    text = t(lang(context), "common.unknown_command")
    if is_private(update):
        await message.reply_text(text)
    # In groups other bots' commands are none of our business; answer only /cmd@this_bot,
    # and once a minute per group at most (a flood of them gets one answer).
    elif addressed_to_me(message, context.bot.username):
        await answer_in_group(update, context, text, "commands", GROUP_COMMANDS_EVERY)


async def stale_button(update: Update, context: Context) -> None:
    """Answers a press on a button no handler recognises."""
    query = update.callback_query
    assert query is not None
    await answer(query, t(lang(context), "common.stale_button"))


def register_fallbacks(application: Application) -> None:
    """The catch-alls. app.py registers them after every feature, so any handler a feature
    registers (admin commands included) is tried first."""
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, reply_unknown_command)
    )
    application.add_handler(CallbackQueryHandler(stale_button))
