"""/language: the language the bot speaks to you (``/language fr``, or buttons ``l:<code>``)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot import buttons
from bot.common import Context, answer, edit_message, lang, ledger_of, set_lang, tell_privately
from bot.texts import LANGUAGE_NAMES, LANGUAGES, t

COMMANDS = [("language", "menu.language")]

PREFIX = buttons.LANGUAGE


def _choices() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(LANGUAGE_NAMES[code], callback_data=PREFIX + code)]
            for code in LANGUAGES
        ]
    )


async def _choose(context: Context, user_id: int, code: str) -> None:
    await ledger_of(context).directory.set_language(user_id, code)
    set_lang(context, code)


async def language(update: Update, context: Context) -> None:
    """Sets the language from /language <code>, or offers the choices as buttons."""
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None
    wanted = (context.args or [""])[0].lower()
    if wanted in LANGUAGES:
        await _choose(context, user.id, wanted)
        await tell_privately(
            update, context, t(wanted, "language.set", name=LANGUAGE_NAMES[wanted])
        )
        return
    await tell_privately(update, context, t(lang(context), "language.choose"), _choices())


async def choose_language(update: Update, context: Context) -> None:
    """Sets the language the presser picked and says so in it."""
    query = update.callback_query
    assert query is not None
    code = (query.data or "").removeprefix(PREFIX)
    in_own_chat = query.message is not None and query.message.chat.id == query.from_user.id
    if code not in LANGUAGES or not in_own_chat:
        await answer(query, t(lang(context), "card.invalid"))
        return
    await _choose(context, query.from_user.id, code)
    await answer(query)
    assert query.message is not None
    await edit_message(
        context.bot,
        query.message.chat.id,
        query.message.message_id,
        t(code, "language.set", name=LANGUAGE_NAMES[code]),
    )


def register(application: Application) -> None:
    application.add_handler(
        CommandHandler("language", language, filters=filters.UpdateType.MESSAGE)
    )
    application.add_handler(CallbackQueryHandler(choose_language, pattern="^" + PREFIX))
